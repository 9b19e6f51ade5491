//! The log tail's memory: a bounded, time-ordered, de-duplicated buffer of events from all
//! functions' log groups, per-function insights from Lambda's platform lines, and helpers.

use std::collections::{HashSet, VecDeque};

pub mod follow;
mod ids;
#[cfg(test)]
mod incremental_tests;
mod insights;
mod requests;
mod search;
mod timeline;

#[cfg(test)]
mod formats_tests;
use ids::{EvictedIds, StrHash, StrIndex};
use requests::RequestOrder;
use search::Search;

pub use insights::{DURATION_WINDOW, FunctionInsights, Insights};
pub use timeline::{activity_buckets, parse_since};

/// Events a buffer keeps unless told otherwise.
pub const DEFAULT_CAP: usize = 10_000;
/// The most events a buffer will ever keep, whatever it is asked for.
pub const HARD_CAP: usize = 100_000;

/// One `CloudWatch` Logs event, tagged with the function whose log group it came from.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct LogEvent {
    /// When the function logged it, in ms since the Unix epoch.
    pub timestamp_ms: i64,
    /// When `CloudWatch` received it, in ms since the Unix epoch.
    pub ingestion_ms: Option<i64>,
    /// The function (logical or physical name) whose log group this is.
    pub function: String,
    /// The log group name, e.g. `/aws/lambda/my-fn`.
    pub log_group: String,
    /// The log stream name (one per execution environment).
    pub log_stream: String,
    /// `CloudWatch`'s unique event id.
    pub event_id: String,
    /// The message text as logged.
    pub message: String,
}

impl LogEvent {
    fn key(&self) -> (i64, &str) {
        (self.timestamp_ms, &self.event_id)
    }
}

/// A set of the most recently added ids, forgetting the oldest beyond its capacity.
#[derive(Debug, Clone)]
struct RecentIds {
    set: HashSet<String>,
    order: VecDeque<String>,
    cap: usize,
}

impl RecentIds {
    fn new(cap: usize) -> Self {
        Self {
            set: HashSet::new(),
            order: VecDeque::new(),
            cap,
        }
    }

    /// Remembers `id`; `false` if it was already remembered.
    fn insert(&mut self, id: &str) -> bool {
        if self.set.contains(id) {
            return false;
        }
        if self.cap == 0 {
            return true;
        }
        self.set.insert(id.to_owned());
        self.order.push_back(id.to_owned());
        while self.order.len() > self.cap {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        true
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.set.len()
    }
}

/// Bounded, ordered, de-duplicated buffer of log events.
///
/// Holds the newest `cap` events by `(timestamp_ms, event_id)`; an event already held, recently
/// evicted, older than everything evicted or cleared so far, or older than everything held in a
/// full buffer is not taken.
///
/// Events live in slots that do not move while they are held; the time order and, when asked
/// for, the request order ([`Self::group_by_request`]) and the search's match count
/// ([`Self::set_search`]) refer to them by slot and are kept up to date event by event, so a
/// batch costs O(batch + evicted), not O(buffer).
#[derive(Debug, Clone)]
pub struct LogBuffer {
    /// Event storage; a freed slot holds an empty event until it is reused.
    slots: Vec<LogEvent>,
    free: Vec<u32>,
    /// Slots in time order.
    order: VecDeque<u32>,
    /// The slot of each event held, by event id.
    ids: StrIndex,
    evicted: EvictedIds,
    hash: StrHash,
    /// Key of the newest event evicted or cleared; nothing at or below it is taken again.
    watermark: Option<(i64, String)>,
    cap: usize,
    search: Option<Search>,
    requests: Option<RequestOrder>,
}

impl Default for LogBuffer {
    fn default() -> Self {
        Self::new(DEFAULT_CAP)
    }
}

impl LogBuffer {
    /// An empty buffer keeping at most `cap` events (clamped to `1..=HARD_CAP`).
    pub fn new(cap: usize) -> Self {
        let cap = cap.clamp(1, HARD_CAP);
        Self {
            slots: Vec::new(),
            free: Vec::new(),
            order: VecDeque::new(),
            ids: StrIndex::default(),
            evicted: EvictedIds::new(cap),
            hash: StrHash::random(),
            watermark: None,
            cap,
            search: None,
            requests: None,
        }
    }

    /// The most events this buffer keeps.
    pub fn cap(&self) -> usize {
        self.cap
    }

    /// Adds a batch in any order; returns how many events were new.
    pub fn ingest(&mut self, batch: impl IntoIterator<Item = LogEvent>) -> usize {
        self.ingest_with(batch, |_| {})
    }

    /// Like [`Self::ingest`], calling `on_new` for each new event (e.g. to feed [`Insights`]).
    ///
    /// A batch larger than the cap may push some of its own new events out again.
    pub fn ingest_with(
        &mut self,
        batch: impl IntoIterator<Item = LogEvent>,
        mut on_new: impl FnMut(&LogEvent),
    ) -> usize {
        let mut added = 0;
        for event in batch {
            let h = self.hash.of(&event.event_id);
            if self.holds(h, &event.event_id) || self.evicted.contains(h, &event.event_id) {
                continue;
            }
            if let Some((ts, id)) = &self.watermark
                && event.key() <= (*ts, id.as_str())
            {
                continue;
            }
            if self.order.len() >= self.cap
                && self
                    .order
                    .front()
                    .is_some_and(|&first| event.key() < self.slot(first).key())
            {
                continue;
            }
            on_new(&event);
            added += 1;
            let at = match self.order.back() {
                Some(&last) if self.slot(last).key() > event.key() => self
                    .order
                    .partition_point(|&s| self.slot(s).key() < event.key()),
                _ => self.order.len(),
            };
            let slot = self.store(event);
            self.ids.insert(h, u64::from(slot));
            self.order.insert(at, slot);
            if let Some(search) = &mut self.search {
                search.observe(slot, &self.slots[slot as usize]);
            }
            if let Some(requests) = &mut self.requests {
                requests.insert(&self.slots, slot);
            }
            while self.order.len() > self.cap {
                self.evict_oldest();
            }
        }
        added
    }

    fn slot(&self, slot: u32) -> &LogEvent {
        &self.slots[slot as usize]
    }

    /// Whether the event with this id (of hash `h`) is held.
    fn holds(&self, h: u64, id: &str) -> bool {
        self.ids
            .get(h, |slot| self.slots[slot as usize].event_id == id)
            .is_some()
    }

    fn store(&mut self, event: LogEvent) -> u32 {
        if let Some(slot) = self.free.pop() {
            self.slots[slot as usize] = event;
            slot
        } else {
            self.slots.push(event);
            // At most `HARD_CAP + 1` slots are ever in use.
            (self.slots.len() - 1) as u32
        }
    }

    fn evict_oldest(&mut self) {
        let Some(slot) = self.order.pop_front() else {
            return;
        };
        if let Some(search) = &mut self.search {
            search.forget(slot);
        }
        if let Some(requests) = &mut self.requests {
            requests.remove(&self.slots, slot);
        }
        let old = std::mem::take(&mut self.slots[slot as usize]);
        self.free.push(slot);
        let h = self.hash.of(&old.event_id);
        self.ids.remove(h, u64::from(slot));
        // The watermark's id keeps its allocation; the evicted id moves to the ring.
        match &mut self.watermark {
            Some((ts, id)) => {
                *ts = old.timestamp_ms;
                id.clear();
                id.push_str(&old.event_id);
            }
            None => self.watermark = Some((old.timestamp_ms, old.event_id.clone())),
        }
        self.evicted.insert(self.hash, h, old.event_id);
    }

    /// Empties the buffer; events up to the newest one held now will not be taken again.
    pub fn clear(&mut self) {
        if let Some(&last) = self.order.back() {
            let last = self.slot(last);
            self.watermark = Some((last.timestamp_ms, last.event_id.clone()));
        }
        self.order.clear();
        self.slots.clear();
        self.free.clear();
        self.ids.clear();
        if let Some(search) = &mut self.search {
            search.clear();
        }
        if let Some(requests) = &mut self.requests {
            *requests = RequestOrder::default();
        }
    }

    /// Number of events held.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether no event is held.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The `i`-th oldest event held, in O(1).
    pub fn get(&self, i: usize) -> Option<&LogEvent> {
        self.order.get(i).map(|&s| self.slot(s))
    }

    /// All events held, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &LogEvent> {
        self.order.iter().map(|&s| self.slot(s))
    }

    /// Up to `len` events from index `start` (for rendering only the visible rows).
    pub fn range(&self, start: usize, len: usize) -> impl Iterator<Item = &LogEvent> {
        let start = start.min(self.order.len());
        let end = start.saturating_add(len).min(self.order.len());
        self.order.range(start..end).map(|&s| self.slot(s))
    }

    /// Index of the first event at or after `timestamp_ms` (`len()` if none), for jumping to a time.
    pub fn first_at_or_after(&self, timestamp_ms: i64) -> usize {
        self.order
            .partition_point(|&s| self.slot(s).timestamp_ms < timestamp_ms)
    }

    /// Index (in time order) of the event with this key, if held.
    pub fn position(&self, timestamp_ms: i64, event_id: &str) -> Option<usize> {
        let key = (timestamp_ms, event_id);
        let at = self.order.partition_point(|&s| self.slot(s).key() < key);
        self.get(at).filter(|e| e.key() == key).map(|_| at)
    }

    /// Timestamp of the oldest event held.
    pub fn oldest_timestamp(&self) -> Option<i64> {
        self.get(0).map(|e| e.timestamp_ms)
    }

    /// Timestamp of the newest event held (where the next poll can start from).
    pub fn newest_timestamp(&self) -> Option<i64> {
        self.order.back().map(|&s| self.slot(s).timestamp_ms)
    }

    /// Sets the case-insensitive search whose matches [`Self::search_matches`] counts (empty:
    /// none). Costs O(buffer) when the term changes and nothing when it is the same.
    pub fn set_search(&mut self, term: &str) {
        if term.is_empty() {
            self.search = None;
            return;
        }
        if self.search.as_ref().is_some_and(|s| s.term() == term) {
            return;
        }
        let mut search = Search::new(term);
        for &slot in &self.order {
            search.observe(slot, self.slot(slot));
        }
        self.search = Some(search);
    }

    /// Events held that match the search set with [`Self::set_search`] (0 without one).
    pub fn search_matches(&self) -> usize {
        self.search.as_ref().map_or(0, Search::count)
    }

    /// Whether the event at time-order index `i` matches the search (false without one).
    pub fn is_match(&self, i: usize) -> bool {
        match (&self.search, self.order.get(i)) {
            (Some(search), Some(&slot)) => search.is_match(slot),
            _ => false,
        }
    }

    /// Keeps (or stops keeping) the request order of [`Self::by_request`]: building it costs
    /// O(buffer log buffer) once, keeping it O(1) amortised per event.
    pub fn group_by_request(&mut self, on: bool) {
        match (on, self.requests.is_some()) {
            (true, false) => self.requests = Some(RequestOrder::build(&self.slots, &self.order)),
            (false, true) => self.requests = None,
            _ => {}
        }
    }

    /// Whether the request order is kept.
    pub fn is_grouped_by_request(&self) -> bool {
        self.requests.is_some()
    }

    /// The event at `row` of the request order: each request's lines together, requests by
    /// their first line held (time order when the request order is not kept).
    pub fn by_request(&self, row: usize) -> Option<&LogEvent> {
        match &self.requests {
            Some(requests) => requests.get(row).map(|s| self.slot(s)),
            None => self.get(row),
        }
    }

    /// The row of the request order holding the event with this key, if held.
    pub fn by_request_row(&self, timestamp_ms: i64, event_id: &str) -> Option<usize> {
        let at = self.position(timestamp_ms, event_id)?;
        match &self.requests {
            Some(requests) => requests.row_of(&self.slots, self.order[at]),
            None => Some(at),
        }
    }
}

/// Case-insensitive substring search over many lines: what
/// `line.to_lowercase().contains(&needle.to_lowercase())` says, without allocating per line
/// when both are ASCII (almost every log line).
#[derive(Debug, Clone)]
pub struct CaseInsensitive {
    needle: String,
    scratch: String,
}

impl CaseInsensitive {
    pub fn new(needle: &str) -> Self {
        Self {
            needle: needle.to_lowercase(),
            scratch: String::new(),
        }
    }

    /// True when the line holds the needle, ignoring case.
    pub fn matches(&mut self, line: &str) -> bool {
        if line.is_ascii() && self.needle.is_ascii() {
            self.scratch.clear();
            self.scratch.push_str(line);
            self.scratch.make_ascii_lowercase();
            self.scratch.contains(self.needle.as_str())
        } else {
            line.to_lowercase().contains(self.needle.as_str())
        }
    }
}

/// A small fast hasher (FNV-1a) for maps keyed by short strings built every batch; not for
/// keys an attacker chooses to collide (log lines are the user's own).
#[derive(Debug, Clone, Copy)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_insensitive_is_lowercase_contains() {
        for (h, n) in [
            ("Processing ORDER#00042", "order#00042"),
            ("Processing order#00042", "ORDER#00042"),
            ("nothing here", "order"),
            ("", ""),
            ("abc", ""),
            ("ab", "abc"),
            ("Grüße ÜBER alles", "über"),
            ("\u{212A}elvin", "kelvin"),
            ("ÄÖ", "ä"),
        ] {
            let mut search = CaseInsensitive::new(n);
            assert_eq!(
                search.matches(h),
                h.to_lowercase().contains(&n.to_lowercase()),
                "{h:?} {n:?}"
            );
        }
    }
    use proptest::prelude::*;
    use rstest::rstest;

    fn ev(ts: i64, id: &str) -> LogEvent {
        LogEvent {
            timestamp_ms: ts,
            ingestion_ms: Some(ts.saturating_add(5)),
            function: "fn-a".into(),
            log_group: "/aws/lambda/fn-a".into(),
            log_stream: "2024/01/01/[$LATEST]abc".into(),
            event_id: id.into(),
            message: format!("msg {id}"),
        }
    }

    fn keys(buf: &LogBuffer) -> Vec<(i64, String)> {
        buf.iter()
            .map(|e| (e.timestamp_ms, e.event_id.clone()))
            .collect()
    }

    /// Deterministic xorshift generator so shuffles are reproducible from a proptest seed.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self, bound: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % bound.max(1)
        }

        fn shuffle<T>(&mut self, items: &mut [T]) {
            for i in (1..items.len()).rev() {
                items.swap(i, self.next(i as u64 + 1) as usize);
            }
        }
    }

    #[test]
    fn orders_late_events_and_breaks_ties_by_id() {
        let mut buf = LogBuffer::new(10);
        assert_eq!(buf.ingest([ev(10, "b"), ev(30, "c")]), 2);
        assert_eq!(
            buf.ingest([ev(20, "x"), ev(10, "a"), ev(40, "d"), ev(10, "bb")]),
            4
        );
        let want = [
            (10, "a"),
            (10, "b"),
            (10, "bb"),
            (20, "x"),
            (30, "c"),
            (40, "d"),
        ];
        let want: Vec<(i64, String)> = want.iter().map(|(t, i)| (*t, (*i).to_owned())).collect();
        assert_eq!(keys(&buf), want);
        assert_eq!(buf.newest_timestamp(), Some(40));
        assert_eq!(buf.oldest_timestamp(), Some(10));
        assert_eq!(buf.first_at_or_after(15), 3);
        assert_eq!(buf.first_at_or_after(99), 6);
    }

    #[test]
    fn drops_duplicates_within_and_across_batches() {
        let mut buf = LogBuffer::new(10);
        assert_eq!(buf.ingest([ev(1, "a"), ev(1, "a"), ev(2, "b")]), 2);
        assert_eq!(buf.ingest([ev(2, "b"), ev(3, "c"), ev(1, "a")]), 1);
        let mut seen = Vec::new();
        let added = buf.ingest_with([ev(3, "c"), ev(4, "d")], |e| seen.push(e.event_id.clone()));
        assert_eq!((added, seen), (1, vec!["d".to_owned()]));
        assert_eq!(buf.len(), 4);
    }

    #[test]
    fn evicts_oldest_and_refuses_evicted_or_older_events() {
        let mut buf = LogBuffer::new(3);
        assert_eq!(buf.ingest([ev(5, "e"), ev(1, "a")]), 2);
        assert_eq!(
            buf.ingest([ev(0, "z")]),
            1,
            "room left: an old event still fits"
        );
        assert_eq!(buf.ingest([ev(6, "f"), ev(7, "g")]), 2);
        assert_eq!(
            keys(&buf).iter().map(|k| k.0).collect::<Vec<_>>(),
            [5, 6, 7]
        );
        assert_eq!(buf.ingest([ev(0, "z"), ev(1, "a"), ev(2, "never-seen")]), 0);
        assert_eq!(buf.ingest([ev(6, "f2")]), 1);
        assert_eq!(
            keys(&buf).iter().map(|k| k.0).collect::<Vec<_>>(),
            [6, 6, 7]
        );
    }

    #[test]
    fn clear_forgets_events_but_not_that_they_were_seen() {
        let mut buf = LogBuffer::new(10);
        buf.ingest([ev(1, "a"), ev(2, "b")]);
        buf.clear();
        assert!(buf.is_empty());
        assert_eq!(buf.newest_timestamp(), None);
        assert_eq!(buf.ingest([ev(1, "a"), ev(2, "b"), ev(3, "c")]), 1);
        assert_eq!(buf.get(0).map(|e| e.event_id.as_str()), Some("c"));
    }

    #[rstest]
    #[case(0, 3, &[0, 1, 2])]
    #[case(5, 100, &[5, 6])]
    #[case(7, 1, &[])]
    #[case(100, 5, &[])]
    #[case(2, 0, &[])]
    #[case(1, usize::MAX, &[1, 2, 3, 4, 5, 6])]
    fn range_is_clamped(#[case] start: usize, #[case] len: usize, #[case] want: &[i64]) {
        let mut buf = LogBuffer::new(100);
        buf.ingest((0..7).map(|i| ev(i, &format!("id{i}"))));
        let got: Vec<i64> = buf.range(start, len).map(|e| e.timestamp_ms).collect();
        assert_eq!(got, want);
        assert_eq!(buf.get(6).map(|e| e.timestamp_ms), Some(6));
        assert!(buf.get(7).is_none());
    }

    #[rstest]
    #[case(0, 1)]
    #[case(1, 1)]
    #[case(500, 500)]
    #[case(HARD_CAP + 1, HARD_CAP)]
    #[case(usize::MAX, HARD_CAP)]
    fn cap_is_clamped(#[case] asked: usize, #[case] cap: usize) {
        assert_eq!(LogBuffer::new(asked).cap(), cap);
        assert_eq!(LogBuffer::default().cap(), DEFAULT_CAP);
    }

    #[test]
    fn memory_stays_bounded_over_100k_ingests() {
        let cap = 100;
        let mut buf = LogBuffer::new(cap);
        let mut previous: Vec<LogEvent> = Vec::new();
        for chunk in 0..2_000_i64 {
            let mut batch: Vec<LogEvent> = (0..50)
                .map(|i| {
                    let n = chunk * 50 + i;
                    ev(n / 3, &format!("{n:08}"))
                })
                .collect();
            batch.reverse();
            let added = buf.ingest(previous.iter().cloned().chain(batch.iter().cloned()));
            assert_eq!(added, 50);
            assert!(buf.len() <= cap);
            assert_eq!(buf.ids.len(), buf.len());
            assert!(buf.evicted.len() <= cap);
            previous = batch;
        }
        let want: Vec<(i64, String)> = (99_900..100_000_i64)
            .map(|n| (n / 3, format!("{n:08}")))
            .collect();
        assert_eq!(keys(&buf), want);
    }

    proptest! {
        /// Polls each function's log group over a trailing window while events become visible
        /// late, delivering shuffled overlapping batches: the buffer must hold exactly the
        /// newest `cap` events of the stream, with no duplicates and no gaps.
        #[test]
        fn replayed_trailing_window_polls_give_the_sorted_unique_stream(
            n in 1usize..300,
            seed in 1u64..u64::MAX,
            max_delay in 0i64..40,
            poll_every in 1i64..25,
            extra in 0i64..10,
            functions in 1usize..4,
            small_cap in proptest::option::of(1usize..300),
        ) {
            let mut rng = Rng(seed);
            let mut ts = 1_700_000_000_000_i64;
            let stream: Vec<(LogEvent, i64)> = (0..n)
                .map(|i| {
                    ts += rng.next(5) as i64;
                    let id = format!("{:07}-{i}", (i * 7919) % 1_000_003);
                    let mut e = ev(ts, &id);
                    e.function = format!("fn-{}", i % functions);
                    (e, ts + rng.next(max_delay as u64 + 1) as i64)
                })
                .collect();
            let window = max_delay + poll_every + extra;
            let last_visible = stream.iter().map(|(_, at)| *at).max().unwrap_or(ts);
            let cap = small_cap.unwrap_or(HARD_CAP);
            let mut buf = LogBuffer::new(cap);
            let (mut added, mut reported) = (0, 0);
            let mut t = stream[0].0.timestamp_ms;
            while t <= last_visible + poll_every {
                for f in 0..functions {
                    let name = format!("fn-{f}");
                    let mut visible: Vec<LogEvent> = stream
                        .iter()
                        .filter(|(e, at)| e.function == name && *at <= t && e.timestamp_ms >= t - window)
                        .map(|(e, _)| e.clone())
                        .collect();
                    rng.shuffle(&mut visible);
                    while !visible.is_empty() {
                        let take = (rng.next(visible.len() as u64) + 1) as usize;
                        let batch: Vec<LogEvent> = visible.drain(..take).collect();
                        added += buf.ingest_with(batch, |_| reported += 1);
                        prop_assert!(buf.len() <= cap);
                    }
                }
                t += poll_every;
            }
            let mut want: Vec<(i64, String)> = stream
                .iter()
                .map(|(e, _)| (e.timestamp_ms, e.event_id.clone()))
                .collect();
            want.sort();
            let want = want.split_off(want.len().saturating_sub(cap));
            let got = keys(&buf);
            let unique: HashSet<&String> = got.iter().map(|k| &k.1).collect();
            prop_assert_eq!(unique.len(), got.len());
            prop_assert_eq!(got, want);
            prop_assert_eq!(added, reported);
            if small_cap.is_none() {
                prop_assert_eq!(added, n);
            }
        }
    }
}
