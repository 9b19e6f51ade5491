//! Following log groups without a terminal or a network: the poller's schedule (round-robin,
//! a trailing window for late events, backoff on throttling) and the lines already shown
//! (live tail and polls overlap; each occurrence is emitted once).

use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::time::Duration;

use crate::domain::logbuf::LogEvent;

/// The poller's schedule: which group next, over which window, and how long to wait.
/// One request at a time, round-robin over the groups, backing off on throttling.
#[derive(Debug, Clone)]
pub struct PollPlan {
    /// Per group: the end of the last successful poll (ms).
    covered: Vec<i64>,
    start_ms: i64,
    late_ms: i64,
    next: usize,
    base: Duration,
    delay: Duration,
}

/// The longest pause the poller backs off to.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

impl PollPlan {
    /// A plan for `groups` groups starting at `start_ms`.
    pub fn new(groups: usize, start_ms: i64, late_window: Duration, interval: Duration) -> Self {
        let late_ms = i64::try_from(late_window.as_millis()).unwrap_or(i64::MAX);
        Self {
            covered: vec![start_ms.saturating_add(late_ms); groups],
            start_ms,
            late_ms,
            next: 0,
            base: interval,
            delay: interval,
        }
    }

    /// The next group to poll and the window start, or `None` without groups.
    pub fn next_request(&self) -> Option<(usize, i64)> {
        let covered = *self.covered.get(self.next)?;
        Some((
            self.next,
            covered.saturating_sub(self.late_ms).max(self.start_ms),
        ))
    }

    /// Records a poll of `group` that read everything up to `now_ms`.
    pub fn succeeded(&mut self, group: usize, now_ms: i64) {
        if let Some(c) = self.covered.get_mut(group) {
            *c = (*c).max(now_ms);
        }
        self.delay = self.base;
        self.advance();
    }

    /// Records that the history read `group` up to `now_ms` (no round-robin step, no
    /// change to the pause).
    pub fn backlog_read(&mut self, group: usize, now_ms: i64) {
        self.covered[group] = now_ms;
    }

    /// Records a failed poll; throttling doubles the pause (up to 30 s).
    pub fn failed(&mut self, throttled: bool) {
        if throttled {
            self.delay = (self.delay * 2).min(MAX_BACKOFF);
        } else {
            self.advance();
        }
    }

    /// Restarts coverage at `from_ms` for every group (after a live-tail session ended).
    pub fn resume_from(&mut self, from_ms: i64) {
        for c in &mut self.covered {
            *c = from_ms;
        }
        self.start_ms = self.start_ms.min(from_ms);
    }

    /// How long to wait before the next request.
    pub fn delay(&self) -> Duration {
        self.delay
    }

    fn advance(&mut self) {
        if !self.covered.is_empty() {
            self.next = (self.next + 1) % self.covered.len();
        }
    }
}

/// The lines already emitted, by group, stream, time and message (live tail has no event
/// ids, and the poller re-reads its trailing window): each occurrence is emitted once, and
/// a line logged twice in the same millisecond still shows twice. Bounded.
#[derive(Debug, Default)]
pub struct SeenLines {
    shown: HashMap<u64, u32>,
    order: VecDeque<u64>,
    /// Occurrences per line in the current live-tail session.
    live: HashMap<u64, u32>,
}

/// How many lines are remembered.
const SEEN_CAP: usize = 50_000;

fn fingerprint(e: &LogEvent) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (&e.log_group, &e.log_stream, e.timestamp_ms, &e.message).hash(&mut h);
    h.finish()
}

impl SeenLines {
    fn mark(&mut self, fp: u64, k: u32) -> bool {
        let shown = self.shown.entry(fp).or_insert(0);
        if k <= *shown {
            return false;
        }
        if *shown == 0 {
            self.order.push_back(fp);
        }
        *shown = k;
        while self.order.len() > SEEN_CAP {
            if let Some(old) = self.order.pop_front() {
                self.shown.remove(&old);
                self.live.remove(&old);
            }
        }
        true
    }

    /// Keeps the events of one poll result not emitted before.
    pub fn filter_polled(&mut self, events: Vec<LogEvent>) -> Vec<LogEvent> {
        let mut count: HashMap<u64, u32> = HashMap::new();
        events
            .into_iter()
            .filter(|e| {
                let fp = fingerprint(e);
                let k = count.entry(fp).or_insert(0);
                *k += 1;
                let k = *k;
                self.mark(fp, k)
            })
            .collect()
    }

    /// Gives a live-tail event its synthetic id (`live-<hash>-<n>`); `None` when it was
    /// already emitted (by a poll or an earlier session).
    pub fn live_event(&mut self, mut e: LogEvent) -> Option<LogEvent> {
        let fp = fingerprint(&e);
        let k = self.live.entry(fp).or_insert(0);
        *k += 1;
        let k = *k;
        e.event_id = format!("live-{fp:016x}-{k}");
        self.mark(fp, k).then_some(e)
    }

    /// A new live-tail session counts occurrences afresh.
    pub fn new_session(&mut self) {
        self.live.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(group: &str, ts: i64, id: &str, msg: &str) -> LogEvent {
        LogEvent {
            timestamp_ms: ts,
            ingestion_ms: None,
            function: "f".into(),
            log_group: group.into(),
            log_stream: "s".into(),
            event_id: id.into(),
            message: msg.into(),
        }
    }

    #[test]
    fn poll_plan_round_robins_with_a_trailing_window_and_backs_off() {
        let late = Duration::from_secs(180);
        let mut p = PollPlan::new(2, 1_000_000, late, Duration::from_secs(1));
        assert_eq!(p.next_request(), Some((0, 1_000_000)));
        p.succeeded(0, 2_000_000);
        assert_eq!(p.next_request(), Some((1, 1_000_000)));
        p.failed(true);
        assert_eq!(p.delay(), Duration::from_secs(2));
        assert_eq!(
            p.next_request(),
            Some((1, 1_000_000)),
            "retries the same group"
        );
        for _ in 0..10 {
            p.failed(true);
        }
        assert_eq!(p.delay(), MAX_BACKOFF);
        p.succeeded(1, 2_000_000);
        assert_eq!(p.delay(), Duration::from_secs(1));
        assert_eq!(p.next_request(), Some((0, 2_000_000 - 180_000)));
        p.failed(false);
        assert_eq!(p.next_request(), Some((1, 2_000_000 - 180_000)));
        assert_eq!(PollPlan::new(0, 0, late, late).next_request(), None);
    }

    #[test]
    fn live_tail_and_polls_emit_each_line_once_but_keep_repeats() {
        let mut seen = SeenLines::default();
        let polled = vec![ev("g", 1, "id1", "hello"), ev("g", 2, "id2", "world")];
        assert_eq!(seen.filter_polled(polled.clone()).len(), 2);
        assert!(seen.filter_polled(polled).is_empty(), "re-read window");
        seen.new_session();
        assert!(
            seen.live_event(ev("g", 1, "", "hello")).is_none(),
            "already polled"
        );
        let a = seen.live_event(ev("g", 1, "", "hello")).unwrap();
        let b = seen.live_event(ev("g", 5, "", "new")).unwrap();
        assert!(a.event_id.starts_with("live-") && a.event_id != b.event_id);
        let polled = vec![
            ev("g", 1, "id1", "hello"),
            ev("g", 1, "id3", "hello"),
            ev("g", 1, "id9", "hello"),
            ev("g", 5, "id4", "new"),
            ev("g", 6, "id5", "late"),
            ev("other", 5, "id6", "new"),
        ];
        let kept: Vec<String> = seen
            .filter_polled(polled)
            .into_iter()
            .map(|e| e.event_id)
            .collect();
        assert_eq!(kept, ["id9", "id5", "id6"]);
    }

    /// The poller re-reads overlapping windows; fed through a `LogBuffer`, every event shows
    /// once, in order, whatever the overlap and the order within a poll.
    #[test]
    fn overlapping_polls_through_the_buffer_show_each_event_once() {
        use crate::domain::logbuf::LogBuffer;
        let mut buf = LogBuffer::new(1_000);
        let all: Vec<LogEvent> = (0..300)
            .map(|i| ev("g", i / 2, &format!("{i:05}"), "m"))
            .collect();
        let mut shown = Vec::new();
        let mut t = 0;
        while t < 200 {
            // A window of 40 ms ending at t, newest first, with the latest 5 ms not yet ingested.
            let mut batch: Vec<LogEvent> = all
                .iter()
                .filter(|e| e.timestamp_ms >= t - 40 && e.timestamp_ms <= t - 5)
                .cloned()
                .collect();
            batch.reverse();
            buf.ingest_with(batch, |e| shown.push(e.event_id.clone()));
            t += 7;
        }
        let mut sorted = shown.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), shown.len(), "no duplicates");
        assert_eq!(
            buf.iter().map(|e| e.event_id.clone()).collect::<Vec<_>>(),
            sorted
        );
        assert_eq!(shown.len(), all.len(), "no gaps");
    }
}
