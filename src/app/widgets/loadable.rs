//! One request/answer exchange of a screen: the id of its latest request and how it stands.
//! Starting a request makes every earlier id stale; an answer to a stale id is dropped
//! (the user moved on), the latest answer is recorded as loaded or failed.

use super::Requests;

/// Whether data is on its way, there, or failed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LoadState {
    #[default]
    Idle,
    Loading,
    Loaded,
    Failed(String),
}

/// One request/answer exchange of a screen: the latest request's id and how it stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Loadable {
    state: LoadState,
    request: u64,
}

impl Loadable {
    /// Starts a new request: a fresh id from `ids`, state Loading. An answer to any older id
    /// is stale.
    pub fn start(&mut self, ids: &mut Requests) -> u64 {
        self.request = ids.issue();
        self.state = LoadState::Loading;
        self.request
    }

    /// The answer to `id`: None when stale (dropped). Otherwise records Loaded or
    /// Failed(e) and gives the result back.
    pub fn finish<T, E: Clone + Into<String>>(
        &mut self,
        id: u64,
        result: Result<T, E>,
    ) -> Option<Result<T, E>> {
        if !self.is_latest(id) {
            return None;
        }
        self.state = match &result {
            Ok(_) => LoadState::Loaded,
            Err(e) => LoadState::Failed(e.clone().into()),
        };
        Some(result)
    }

    /// True when `id` is the latest request's.
    pub fn is_latest(&self, id: u64) -> bool {
        id == self.request
    }

    /// How the latest request stands.
    pub fn state(&self) -> &LoadState {
        &self.state
    }

    /// The latest request's id (0 before the first).
    pub fn request(&self) -> u64 {
        self.request
    }

    /// Why the latest request failed, if it did.
    pub fn error(&self) -> Option<&str> {
        match &self.state {
            LoadState::Failed(e) => Some(e),
            _ => None,
        }
    }

    /// True while the latest request is in flight.
    pub fn is_loading(&self) -> bool {
        self.state == LoadState::Loading
    }

    /// Records the data as there (filled without an answer, or an answer handled in parts).
    pub fn set_loaded(&mut self) {
        self.state = LoadState::Loaded;
    }

    /// Records a failure (the request could not start, or its answer was unusable).
    pub fn fail(&mut self, e: impl Into<String>) {
        self.state = LoadState::Failed(e.into());
    }
}

impl PartialEq<LoadState> for Loadable {
    fn eq(&self, other: &LoadState) -> bool {
        self.state == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_answer_is_recorded() {
        let (mut ids, mut l) = (Requests::default(), Loadable::default());
        assert_eq!(l, LoadState::Idle);
        let id = l.start(&mut ids);
        assert!(l.is_loading());
        assert_eq!(l.request(), id);
        assert_eq!(l.finish(id, Ok::<_, String>(7)), Some(Ok(7)));
        assert_eq!(l, LoadState::Loaded);
    }

    #[test]
    fn a_stale_answer_is_dropped() {
        let (mut ids, mut l) = (Requests::default(), Loadable::default());
        let first = l.start(&mut ids);
        let second = l.start(&mut ids);
        assert!(!l.is_latest(first));
        assert!(l.is_latest(second));
        assert_eq!(l.finish(first, Ok::<_, String>(1)), None);
        assert_eq!(l.finish(first, Err::<u8, _>("late".to_string())), None);
        assert!(l.is_loading());
        assert_eq!(l.finish(second, Ok::<_, String>(2)), Some(Ok(2)));
        assert_eq!(l, LoadState::Loaded);
    }

    #[test]
    fn a_failure_is_recorded() {
        let (mut ids, mut l) = (Requests::default(), Loadable::default());
        let id = l.start(&mut ids);
        let back = l.finish(id, Err::<(), _>("denied".to_string()));
        assert_eq!(back, Some(Err("denied".to_string())));
        assert_eq!(l.state(), &LoadState::Failed("denied".into()));
        assert_eq!(l.error(), Some("denied"));
    }

    #[test]
    fn a_restart_makes_the_answer_before_it_stale() {
        let (mut ids, mut l) = (Requests::default(), Loadable::default());
        let first = l.start(&mut ids);
        assert!(l.finish(first, Ok::<_, String>(())).is_some());
        let again = l.start(&mut ids);
        assert!(l.is_loading());
        assert_eq!(l.finish(first, Ok::<_, String>(())), None);
        assert!(l.is_loading());
        assert!(l.finish(again, Err::<(), _>("gone")).is_some());
        assert_eq!(l, LoadState::Failed("gone".into()));
    }

    #[test]
    fn screens_share_one_counter() {
        let mut ids = Requests::default();
        let (mut a, mut b) = (Loadable::default(), Loadable::default());
        let x = a.start(&mut ids);
        let y = b.start(&mut ids);
        assert_ne!(x, y);
        assert_eq!(b.finish(x, Ok::<_, String>(())), None);
        assert!(a.finish(x, Ok::<_, String>(())).is_some());
    }
}
