//! One latest request per view: ids come from one counter, and a result whose id is not
//! the latest is dropped (the user moved on).

/// Issues request ids; each view keeps the id of its latest request.
#[derive(Debug, Clone, Default)]
pub struct Requests {
    last: u64,
}

impl Requests {
    /// A new id, never issued before.
    pub fn issue(&mut self) -> u64 {
        self.last += 1;
        self.last
    }
}

/// The state of something loaded by a request: the latest request id and the value.
#[derive(Debug, Clone)]
pub struct Loadable<T> {
    /// The id of the request whose result is awaited (or was stored last).
    pub request_id: u64,
    pub loading: bool,
    pub value: Option<T>,
    pub error: Option<String>,
}

impl<T> Default for Loadable<T> {
    fn default() -> Self {
        Self {
            request_id: 0,
            loading: false,
            value: None,
            error: None,
        }
    }
}

impl<T> Loadable<T> {
    /// Starts request `id`: earlier results are stale from now on.
    pub fn start(&mut self, id: u64) {
        self.request_id = id;
        self.loading = true;
        self.error = None;
    }

    /// Stores the result of request `id`; returns false (and drops it) when stale.
    pub fn finish(&mut self, id: u64, result: Result<T, String>) -> bool {
        if id != self.request_id || !self.loading {
            return false;
        }
        self.loading = false;
        match result {
            Ok(v) => self.value = Some(v),
            Err(e) => self.error = Some(e),
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_results_are_dropped() {
        let mut ids = Requests::default();
        let mut l: Loadable<u32> = Loadable::default();
        let first = ids.issue();
        l.start(first);
        let second = ids.issue();
        l.start(second);
        assert!(!l.finish(first, Ok(1)));
        assert!(l.finish(second, Ok(2)));
        assert_eq!(l.value, Some(2));
        assert!(!l.finish(second, Ok(3)), "a result counts once");
    }
}
