//! The request order of the log buffer, kept event by event: each request's lines together
//! (by `(function, request id)`), requests ordered by their oldest line held, lines without a
//! request id on their own.
//!
//! Rows are sorted by `(key of the group's oldest line, key of the line)`, so a group is one
//! contiguous run of rows. Adding a line is a binary search and one insertion; a group whose
//! oldest line leaves (or a late line becomes its oldest) moves as one run, by rotation over
//! the rows between its old and new place.

use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasherDefault;

use super::{Fnv, LogEvent};
use crate::domain::report::request_id_of;

/// Marks a slot whose line has no request id (a group of its own).
const ALONE: u32 = u32::MAX;

type Key<'a> = (i64, &'a str);

#[derive(Debug, Clone)]
struct Group {
    /// `function \0 request id`, the key of `index`.
    name: String,
    /// Slot of the group's oldest line held.
    anchor: u32,
    len: usize,
}

/// Rows of the request order, by slot of the buffer.
#[derive(Debug, Clone, Default)]
pub(super) struct RequestOrder {
    rows: VecDeque<u32>,
    /// Group of each slot in use, [`ALONE`] for lines without a request id.
    group_of: Vec<u32>,
    groups: Vec<Group>,
    free_groups: Vec<u32>,
    index: HashMap<String, u32, BuildHasherDefault<Fnv>>,
    scratch: String,
}

fn key(slots: &[LogEvent], slot: u32) -> Key<'_> {
    slots[slot as usize].key()
}

impl RequestOrder {
    /// The order of the events held, `order` being their slots in time order.
    pub(super) fn build(slots: &[LogEvent], order: &VecDeque<u32>) -> Self {
        let mut this = Self {
            group_of: vec![ALONE; slots.len()],
            ..Self::default()
        };
        // Time order makes each group's first line its anchor; rank by time breaks ties.
        let mut rank = vec![0u32; slots.len()];
        for (i, &slot) in order.iter().enumerate() {
            rank[slot as usize] = i as u32;
            let Some(g) = this.group_for(slots, slot) else {
                continue;
            };
            let group = &mut this.groups[g as usize];
            if group.len == 0 {
                group.anchor = slot;
            }
            group.len += 1;
            this.group_of[slot as usize] = g;
        }
        let mut keyed: Vec<(u32, u32, u32)> = order
            .iter()
            .map(|&slot| {
                let anchor = this.anchor(slot);
                (rank[anchor as usize], rank[slot as usize], slot)
            })
            .collect();
        keyed.sort_unstable();
        this.rows = keyed.into_iter().map(|(_, _, slot)| slot).collect();
        this
    }

    /// The slot at `row`.
    pub(super) fn get(&self, row: usize) -> Option<u32> {
        self.rows.get(row).copied()
    }

    /// The row of the line in `slot` (held and taken into this order).
    pub(super) fn row_of(&self, slots: &[LogEvent], slot: u32) -> Option<usize> {
        let at = self.lower_bound(slots, 0, self.rows.len(), self.sort_key(slots, slot));
        (self.rows.get(at) == Some(&slot)).then_some(at)
    }

    /// Takes the line just stored in `slot` into the order.
    pub(super) fn insert(&mut self, slots: &[LogEvent], slot: u32) {
        let s = slot as usize;
        if self.group_of.len() <= s {
            self.group_of.resize(s + 1, ALONE);
        }
        let own = key(slots, slot);
        let Some(g) = self.group_for(slots, slot) else {
            self.group_of[s] = ALONE;
            let at = self.lower_bound(slots, 0, self.rows.len(), (own, own));
            self.rows.insert(at, slot);
            return;
        };
        self.group_of[s] = g;
        let group = &self.groups[g as usize];
        if group.len == 0 {
            let group = &mut self.groups[g as usize];
            group.anchor = slot;
            group.len = 1;
            let at = self.lower_bound(slots, 0, self.rows.len(), (own, own));
            self.rows.insert(at, slot);
            return;
        }
        let anchor = key(slots, group.anchor);
        if own > anchor {
            let at = self.lower_bound(slots, 0, self.rows.len(), (anchor, own));
            self.rows.insert(at, slot);
            self.groups[g as usize].len += 1;
            return;
        }
        // A late line older than the group's oldest: it leads the group, which moves forward.
        let start = self.lower_bound(slots, 0, self.rows.len(), (anchor, anchor));
        let len = group.len + 1;
        let group = &mut self.groups[g as usize];
        group.anchor = slot;
        group.len = len;
        self.rows.insert(start, slot);
        let to = self.lower_bound(slots, 0, start, (own, own));
        rotate_left(&mut self.rows, to, start + len, start - to);
    }

    /// Takes the line in `slot` (still stored) out of the order.
    pub(super) fn remove(&mut self, slots: &[LogEvent], slot: u32) {
        let at = self.lower_bound(slots, 0, self.rows.len(), self.sort_key(slots, slot));
        if self.rows.get(at) != Some(&slot) {
            return;
        }
        self.rows.remove(at);
        let g = std::mem::replace(&mut self.group_of[slot as usize], ALONE);
        if g == ALONE {
            return;
        }
        let group = &mut self.groups[g as usize];
        group.len -= 1;
        if group.len == 0 {
            let name = std::mem::take(&mut group.name);
            self.index.remove(&name);
            self.free_groups.push(g);
            return;
        }
        if group.anchor != slot {
            return;
        }
        // The group's oldest line left: the next one leads it, and the run moves back.
        let len = group.len;
        group.anchor = self.rows[at];
        let lead = key(slots, group.anchor);
        let to = self.lower_bound(slots, at + len, self.rows.len(), (lead, lead));
        rotate_left(&mut self.rows, at, to, len);
    }

    /// The group of the line in `slot`, created (empty) when new; `None` without a request id.
    fn group_for(&mut self, slots: &[LogEvent], slot: u32) -> Option<u32> {
        let event = &slots[slot as usize];
        let id = request_id_of(&event.message)?;
        self.scratch.clear();
        self.scratch.push_str(&event.function);
        self.scratch.push('\0');
        self.scratch.push_str(id);
        if let Some(&g) = self.index.get(self.scratch.as_str()) {
            return Some(g);
        }
        let group = Group {
            name: self.scratch.clone(),
            anchor: slot,
            len: 0,
        };
        let g = if let Some(g) = self.free_groups.pop() {
            self.groups[g as usize] = group;
            g
        } else {
            self.groups.push(group);
            (self.groups.len() - 1) as u32
        };
        self.index.insert(self.scratch.clone(), g);
        Some(g)
    }

    fn anchor(&self, slot: u32) -> u32 {
        match self.group_of.get(slot as usize) {
            Some(&g) if g != ALONE => self.groups[g as usize].anchor,
            _ => slot,
        }
    }

    fn sort_key<'a>(&self, slots: &'a [LogEvent], slot: u32) -> (Key<'a>, Key<'a>) {
        (key(slots, self.anchor(slot)), key(slots, slot))
    }

    /// First row in `lo..hi` whose sort key is not below `target`.
    fn lower_bound(
        &self,
        slots: &[LogEvent],
        mut lo: usize,
        mut hi: usize,
        target: (Key<'_>, Key<'_>),
    ) -> usize {
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.sort_key(slots, self.rows[mid]) < target {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }
}

/// Rotates `rows[start..end]` left by `by`: its first `by` rows go to its end.
fn rotate_left(rows: &mut VecDeque<u32>, start: usize, end: usize, by: usize) {
    if by == 0 || start + by >= end {
        return;
    }
    reverse(rows, start, start + by);
    reverse(rows, start + by, end);
    reverse(rows, start, end);
}

fn reverse(rows: &mut VecDeque<u32>, mut i: usize, mut j: usize) {
    while i + 1 < j {
        j -= 1;
        rows.swap(i, j);
        i += 1;
    }
}
