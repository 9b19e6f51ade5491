//! The search's match count, kept event by event as the buffer takes and evicts events.

use super::{CaseInsensitive, LogEvent};

/// Which held events match a case-insensitive term, by slot, and how many do.
#[derive(Debug, Clone)]
pub(super) struct Search {
    term: String,
    needle: CaseInsensitive,
    matched: Vec<bool>,
    count: usize,
}

impl Search {
    pub(super) fn new(term: &str) -> Self {
        Self {
            term: term.to_owned(),
            needle: CaseInsensitive::new(term),
            matched: Vec::new(),
            count: 0,
        }
    }

    pub(super) fn term(&self) -> &str {
        &self.term
    }

    pub(super) fn count(&self) -> usize {
        self.count
    }

    pub(super) fn is_match(&self, slot: u32) -> bool {
        self.matched.get(slot as usize).copied().unwrap_or(false)
    }

    /// Takes the event just stored in `slot` into the count.
    pub(super) fn observe(&mut self, slot: u32, event: &LogEvent) {
        let slot = slot as usize;
        if self.matched.len() <= slot {
            self.matched.resize(slot + 1, false);
        }
        let hit = self.needle.matches(&event.message);
        self.matched[slot] = hit;
        self.count += usize::from(hit);
    }

    /// Takes the event leaving `slot` out of the count.
    pub(super) fn forget(&mut self, slot: u32) {
        if let Some(hit) = self.matched.get_mut(slot as usize) {
            self.count -= usize::from(*hit);
            *hit = false;
        }
    }

    pub(super) fn clear(&mut self) {
        self.matched.clear();
        self.count = 0;
    }
}
