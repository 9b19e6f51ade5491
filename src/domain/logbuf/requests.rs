//! The request order of the log buffer, kept event by event: each request's lines together
//! (by `(function, request id)`), requests ordered by their oldest line held, lines without a
//! request id on their own.
//!
//! Rows are sorted by `(key of the group's oldest line, key of the line)`, so a group is one
//! contiguous run of rows. Adding a line is a binary search and one insertion; a group whose
//! oldest line leaves (or a late line becomes its oldest) moves as one run, by rotation over
//! the rows between its old and new place. New lines land near the end and evicted ones
//! leave from the front, so the searches gallop from that end: O(log distance), on rows still
//! in the cache, instead of a binary search over the whole buffer.

use std::collections::VecDeque;

use super::LogEvent;
use super::ids::{StrHash, StrIndex};
use crate::domain::report::request_id_of;

/// Marks a slot whose line has no request id (a group of its own).
const ALONE: u32 = u32::MAX;

type Key<'a> = (i64, &'a str);

#[derive(Debug, Clone)]
struct Group {
    /// `function \0 request id`, the key of `index` (its allocation is reused with the group).
    name: String,
    /// Slot of the group's oldest line held.
    anchor: u32,
    len: usize,
}

/// Rows of the request order, by slot of the buffer.
#[derive(Debug, Clone)]
pub(super) struct RequestOrder {
    rows: VecDeque<u32>,
    /// Group of each slot in use, [`ALONE`] for lines without a request id.
    group_of: Vec<u32>,
    groups: Vec<Group>,
    free_groups: Vec<u32>,
    /// Groups in use, by name.
    index: StrIndex,
    hash: StrHash,
    scratch: String,
}

impl Default for RequestOrder {
    fn default() -> Self {
        Self {
            rows: VecDeque::new(),
            group_of: Vec::new(),
            groups: Vec::new(),
            free_groups: Vec::new(),
            index: StrIndex::default(),
            hash: StrHash::random(),
            scratch: String::new(),
        }
    }
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
            let at = self.lower_bound_from_back(slots, 0, self.rows.len(), (own, own));
            self.rows.insert(at, slot);
            return;
        };
        self.group_of[s] = g;
        let group = &self.groups[g as usize];
        if group.len == 0 {
            let group = &mut self.groups[g as usize];
            group.anchor = slot;
            group.len = 1;
            let at = self.lower_bound_from_back(slots, 0, self.rows.len(), (own, own));
            self.rows.insert(at, slot);
            return;
        }
        let anchor = key(slots, group.anchor);
        if own > anchor {
            let at = self.lower_bound_from_back(slots, 0, self.rows.len(), (anchor, own));
            self.rows.insert(at, slot);
            self.groups[g as usize].len += 1;
            return;
        }
        // A late line older than the group's oldest: it leads the group, which moves forward.
        let start = self.lower_bound_from_back(slots, 0, self.rows.len(), (anchor, anchor));
        let len = group.len + 1;
        let group = &mut self.groups[g as usize];
        group.anchor = slot;
        group.len = len;
        self.rows.insert(start, slot);
        let to = self.lower_bound_from_back(slots, 0, start, (own, own));
        rotate_left(&mut self.rows, to, start + len, start - to);
    }

    /// Takes the line in `slot` (still stored) out of the order.
    pub(super) fn remove(&mut self, slots: &[LogEvent], slot: u32) {
        let at = self.lower_bound_from_front(slots, 0, self.rows.len(), self.sort_key(slots, slot));
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
            self.index.remove(self.hash.of(&group.name), u64::from(g));
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
        let to = self.lower_bound_from_front(slots, at + len, self.rows.len(), (lead, lead));
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
        let h = self.hash.of(&self.scratch);
        let found = self
            .index
            .get(h, |g| self.groups[g as usize].name == self.scratch);
        if let Some(g) = found {
            return Some(g as u32);
        }
        let g = if let Some(g) = self.free_groups.pop() {
            let group = &mut self.groups[g as usize];
            group.name.clear();
            group.name.push_str(&self.scratch);
            group.anchor = slot;
            group.len = 0;
            g
        } else {
            self.groups.push(Group {
                name: self.scratch.clone(),
                anchor: slot,
                len: 0,
            });
            (self.groups.len() - 1) as u32
        };
        self.index.insert(h, u64::from(g));
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

impl RequestOrder {
    /// [`Self::lower_bound`] for a row expected near `hi`: probes `hi - 1`, `hi - 2`, `hi - 4`, …
    /// until a row sorts below `target`, then searches the last stride.
    fn lower_bound_from_back(
        &self,
        slots: &[LogEvent],
        lo: usize,
        hi: usize,
        target: (Key<'_>, Key<'_>),
    ) -> usize {
        // Every row in `right..hi` sorts at or above `target`.
        let (mut right, mut step) = (hi, 1);
        while right > lo {
            let probe = right.saturating_sub(step).max(lo);
            if self.sort_key(slots, self.rows[probe]) < target {
                return self.lower_bound(slots, probe + 1, right, target);
            }
            right = probe;
            step *= 2;
        }
        lo
    }

    /// [`Self::lower_bound`] for a row expected near `lo`: probes `lo`, `lo + 1`, `lo + 3`, …
    /// until a row sorts at or above `target`, then searches the last stride.
    fn lower_bound_from_front(
        &self,
        slots: &[LogEvent],
        lo: usize,
        hi: usize,
        target: (Key<'_>, Key<'_>),
    ) -> usize {
        // Every row in `lo..left` sorts below `target`.
        let (mut left, mut step) = (lo, 1);
        while left < hi {
            let probe = (left + step - 1).min(hi - 1);
            if self.sort_key(slots, self.rows[probe]) >= target {
                return self.lower_bound(slots, left, probe, target);
            }
            left = probe + 1;
            step *= 2;
        }
        hi
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::LogBuffer;
    use super::*;

    fn line(ts: i64, id: usize, request: Option<u8>) -> LogEvent {
        LogEvent {
            timestamp_ms: ts,
            function: "f".into(),
            event_id: format!("{id:04}"),
            message: request.map_or_else(|| "plain".to_owned(), |r| format!("END RequestId: r{r}")),
            ..LogEvent::default()
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Galloping from either end finds the row a binary search over the same range
        /// finds, for every row's key and every range.
        #[test]
        fn galloping_finds_what_binary_search_finds(
            lines in proptest::collection::vec((0i64..50, proptest::option::of(0u8..6)), 1..40),
        ) {
            let mut buf = LogBuffer::new(100);
            buf.group_by_request(true);
            buf.ingest(lines.iter().enumerate().map(|(i, &(ts, r))| line(ts, i, r)));
            let Some(order) = &buf.requests else {
                return Err(TestCaseError::fail("no request order"));
            };
            let n = order.rows.len();
            let mut targets: Vec<(Key<'_>, Key<'_>)> =
                order.rows.iter().map(|&s| order.sort_key(&buf.slots, s)).collect();
            targets.push(((-1, ""), (-1, "")));
            targets.push(((i64::MAX, ""), (i64::MAX, "")));
            for target in targets {
                for lo in 0..=n {
                    for hi in lo..=n {
                        let want = order.lower_bound(&buf.slots, lo, hi, target);
                        prop_assert_eq!(order.lower_bound_from_back(&buf.slots, lo, hi, target), want);
                        prop_assert_eq!(order.lower_bound_from_front(&buf.slots, lo, hi, target), want);
                    }
                }
            }
        }
    }
}
