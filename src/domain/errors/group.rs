//! Grouping error events by fingerprint over a window: counts, first and last seen, the
//! functions affected, a count sparkline, the latest request ids and the latest occurrence.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::{Detected, ErrorKind, detect, fingerprint};
use crate::domain::logbuf::LogEvent;
use crate::domain::report::request_id_of;

/// Request ids kept per group (the latest ones).
pub const REQUEST_IDS_KEPT: usize = 5;
/// Distinct groups kept; errors of further fingerprints are only counted in `dropped`.
pub const MAX_GROUPS: usize = 1000;
/// Error events held before grouping; further ones are only counted in `dropped`.
pub const MAX_CANDIDATES: usize = 500_000;
/// Buckets of a group's sparkline unless told otherwise.
pub const DEFAULT_SPARK_BUCKETS: usize = 24;
/// Lines of one request shown at most.
pub const MAX_REQUEST_LINES: usize = 2000;

/// Where the latest occurrence of a group was logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatestOccurrence {
    /// When (ms since the epoch).
    pub timestamp_ms: i64,
    /// The function (physical name) whose log group it is in.
    pub function: String,
    /// The log group.
    pub log_group: String,
    /// The log stream.
    pub log_stream: String,
    /// CloudWatch's event id.
    pub event_id: String,
    /// The request, when known.
    pub request_id: Option<String>,
    /// The event's text as logged.
    pub raw: String,
}

/// One group of equal errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorGroup {
    /// 16 hex digits: type + normalised message + top application frame.
    pub fingerprint: String,
    /// What kind of failure.
    pub kind: ErrorKind,
    /// The error type.
    pub error_type: String,
    /// The message of the latest occurrence.
    pub message: String,
    /// The top application frame, when known.
    pub frame: Option<String>,
    /// Functions it happened in, sorted.
    pub functions: Vec<String>,
    /// Occurrences (each failed request once).
    pub count: u64,
    /// The first occurrence in the window (ms).
    pub first_seen_ms: i64,
    /// The latest occurrence (ms).
    pub last_seen_ms: i64,
    /// The request ids of the latest occurrences, newest first.
    pub request_ids: Vec<String>,
    /// Occurrences per equal slice of the window, oldest first.
    pub sparkline: Vec<u64>,
    /// The latest occurrence.
    pub latest: LatestOccurrence,
}

struct Candidate {
    detected: Detected,
    fingerprint: String,
    timestamp_ms: i64,
    event: usize,
}

/// Collects error events, then groups them ([`Grouper::finish`]).
pub struct Grouper {
    from_ms: i64,
    to_ms: i64,
    buckets: usize,
    events: Vec<LogEvent>,
    candidates: Vec<Candidate>,
    /// Error events not kept (over [`MAX_CANDIDATES`] or [`MAX_GROUPS`]).
    pub dropped: u64,
}

impl Grouper {
    /// A grouper over the window `[from_ms, to_ms]` with `buckets` sparkline slices.
    pub fn new(from_ms: i64, to_ms: i64, buckets: usize) -> Self {
        Self {
            from_ms,
            to_ms,
            buckets,
            events: Vec::new(),
            candidates: Vec::new(),
            dropped: 0,
        }
    }

    /// Looks at one event; keeps it only when it is an error.
    pub fn add(&mut self, event: &LogEvent) {
        if event.timestamp_ms < self.from_ms || event.timestamp_ms > self.to_ms {
            return;
        }
        let Some(mut detected) = detect(&event.message) else {
            return;
        };
        if self.candidates.len() >= MAX_CANDIDATES {
            self.dropped += 1;
            return;
        }
        if detected.request_id.is_none() {
            detected.request_id = request_id_of(&event.message).map(str::to_string);
        }
        let fingerprint = fingerprint(&detected, &event.function);
        self.candidates.push(Candidate {
            detected,
            fingerprint,
            timestamp_ms: event.timestamp_ms,
            event: self.events.len(),
        });
        self.events.push(event.clone());
    }

    /// The groups, latest first. A generic platform signal (a REPORT `Status: error`) is left
    /// out when its request has a more specific error, and each request counts once a group.
    pub fn finish(mut self) -> (Vec<ErrorGroup>, u64) {
        let specific: HashSet<String> = self
            .candidates
            .iter()
            .filter(|c| !c.detected.generic)
            .filter_map(|c| c.detected.request_id.clone())
            .collect();
        self.candidates.sort_by(|a, b| {
            (a.timestamp_ms, &self.events[a.event].event_id)
                .cmp(&(b.timestamp_ms, &self.events[b.event].event_id))
        });
        let mut seen: HashSet<(String, String)> = HashSet::new();
        let mut groups: HashMap<String, ErrorGroup> = HashMap::new();
        let mut functions: HashMap<String, BTreeSet<String>> = HashMap::new();
        let mut dropped = self.dropped;
        for c in &self.candidates {
            let e = &self.events[c.event];
            let d = &c.detected;
            if d.generic && d.request_id.as_ref().is_some_and(|r| specific.contains(r)) {
                continue;
            }
            let occurrence = d.request_id.as_ref().map_or_else(
                || format!("event:{}:{}", e.log_group, e.event_id),
                |r| format!("request:{r}"),
            );
            if !seen.insert((occurrence, c.fingerprint.clone())) {
                continue;
            }
            if !groups.contains_key(&c.fingerprint) && groups.len() >= MAX_GROUPS {
                dropped += 1;
                continue;
            }
            let bucket = self.bucket(c.timestamp_ms);
            let g = groups
                .entry(c.fingerprint.clone())
                .or_insert_with(|| ErrorGroup {
                    fingerprint: c.fingerprint.clone(),
                    kind: d.kind,
                    error_type: d.error_type.clone(),
                    message: String::new(),
                    frame: None,
                    functions: Vec::new(),
                    count: 0,
                    first_seen_ms: c.timestamp_ms,
                    last_seen_ms: c.timestamp_ms,
                    request_ids: Vec::new(),
                    sparkline: vec![0; self.buckets],
                    latest: latest(e, None),
                });
            g.count += 1;
            g.last_seen_ms = c.timestamp_ms;
            g.message.clone_from(&d.message);
            g.frame.clone_from(&d.frame);
            g.latest = latest(e, d.request_id.clone());
            if let Some(r) = &d.request_id
                && !g.request_ids.contains(r)
            {
                g.request_ids.insert(0, r.clone());
                g.request_ids.truncate(REQUEST_IDS_KEPT);
            }
            if let Some(slot) = bucket.and_then(|b| g.sparkline.get_mut(b)) {
                *slot += 1;
            }
            functions
                .entry(c.fingerprint.clone())
                .or_default()
                .insert(e.function.clone());
        }
        let mut out: Vec<ErrorGroup> = groups
            .into_values()
            .map(|mut g| {
                g.functions = functions
                    .remove(&g.fingerprint)
                    .unwrap_or_default()
                    .into_iter()
                    .collect();
                g
            })
            .collect();
        out.sort_by(|a, b| {
            b.last_seen_ms
                .cmp(&a.last_seen_ms)
                .then_with(|| a.fingerprint.cmp(&b.fingerprint))
        });
        (out, dropped)
    }

    fn bucket(&self, t: i64) -> Option<usize> {
        if self.buckets == 0 || self.to_ms <= self.from_ms {
            return None;
        }
        let span = i128::from(self.to_ms) - i128::from(self.from_ms);
        let offset = i128::from(t) - i128::from(self.from_ms);
        (0..=span)
            .contains(&offset)
            .then(|| ((offset * self.buckets as i128 / span) as usize).min(self.buckets - 1))
    }
}

fn latest(e: &LogEvent, request_id: Option<String>) -> LatestOccurrence {
    LatestOccurrence {
        timestamp_ms: e.timestamp_ms,
        function: e.function.clone(),
        log_group: e.log_group.clone(),
        log_stream: e.log_stream.clone(),
        event_id: e.event_id.clone(),
        request_id,
        raw: e.message.clone(),
    }
}

/// The whole request of an occurrence: the lines of its stream from its `START` (or
/// `platform.start`) through its `REPORT` (or `platform.report`), in time order; the
/// occurrence alone when it has no request id or the request's lines are not there.
pub fn request_lines<'a>(events: &'a [LogEvent], at: &LatestOccurrence) -> Vec<&'a LogEvent> {
    let mut stream: Vec<&LogEvent> = events
        .iter()
        .filter(|e| e.log_group == at.log_group && e.log_stream == at.log_stream)
        .collect();
    stream.sort_by(|a, b| (a.timestamp_ms, &a.event_id).cmp(&(b.timestamp_ms, &b.event_id)));
    let alone = || {
        stream
            .iter()
            .copied()
            .filter(|e| e.event_id == at.event_id)
            .collect::<Vec<_>>()
    };
    let Some(rid) = at.request_id.as_deref() else {
        return alone();
    };
    let is_start = |e: &LogEvent| {
        let m = e.message.trim_start();
        (m.starts_with("START ") || m.contains("\"platform.start\""))
            && request_id_of(m) == Some(rid)
    };
    let is_end = |e: &LogEvent| {
        let m = e.message.trim_start();
        (m.starts_with("REPORT ") || m.contains("\"platform.report\""))
            && request_id_of(m) == Some(rid)
    };
    let Some(start) = stream.iter().position(|e| is_start(e)) else {
        let mut mine: Vec<&LogEvent> = stream
            .iter()
            .copied()
            .filter(|e| request_id_of(&e.message) == Some(rid))
            .collect();
        mine.truncate(MAX_REQUEST_LINES);
        return if mine.is_empty() { alone() } else { mine };
    };
    let mut out = Vec::new();
    for e in &stream[start..] {
        out.push(*e);
        if is_end(e) || out.len() >= MAX_REQUEST_LINES {
            break;
        }
    }
    out
}
