//! Request ids from one counter: each screen keeps the id of its latest request, and a
//! result whose id is not the latest is dropped (the user moved on).

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_never_issued_twice() {
        let mut ids = Requests::default();
        let first = ids.issue();
        let second = ids.issue();
        assert!(second > first);
    }
}
