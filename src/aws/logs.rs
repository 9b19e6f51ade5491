//! CloudWatch Logs: a stack's log groups, FilterLogEvents over several groups, and the
//! follow engine (StartLiveTail where it works, else a polite trailing-window poller).

use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::time::Duration;

use aws_sdk_cloudwatchlogs::types::{LiveTailSessionLogEvent, StartLiveTailResponseStream};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::endpoint::EndpointPrefix;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

mod groups;

pub use groups::{
    Candidate, LogGroupRef, candidate_groups, function_log_groups, groups_for, stack_log_groups,
};

use super::{AwsContext, AwsError, ErrorKind};
use crate::domain::logbuf::{HARD_CAP, LogEvent};

pub use crate::domain::logbuf::follow::{FollowOptions, TailMode, TailMsg};

/// What to read: a time range (ms since the epoch) and a CloudWatch filter pattern.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogQuery {
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub filter: Option<String>,
    /// At most this many events per group (further pages are not fetched).
    pub limit: Option<usize>,
}

/// Events of several groups, interleaved by time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filtered {
    pub events: Vec<LogEvent>,
    /// Some group had more events than the limit.
    pub truncated: bool,
}

/// All pages of FilterLogEvents for one group (up to `q.limit` events).
pub async fn filter_group(
    ctx: &AwsContext,
    group: &LogGroupRef,
    q: &LogQuery,
) -> Result<Filtered, AwsError> {
    let client = ctx.logs();
    let limit = q.limit.unwrap_or(HARD_CAP).min(HARD_CAP);
    let mut out = Filtered::default();
    let mut token: Option<String> = None;
    let mut last_token: Option<String> = None;
    loop {
        let page = client
            .filter_log_events()
            .log_group_name(&group.name)
            .set_start_time(q.start_ms)
            .set_end_time(q.end_ms)
            .set_filter_pattern(q.filter.clone().filter(|f| !f.is_empty()))
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("FilterLogEvents", e))?;
        for e in page.events() {
            if out.events.len() >= limit {
                out.truncated = true;
                break;
            }
            let stream = e.log_stream_name().unwrap_or_default();
            let Some(function) = group.function_of(stream) else {
                continue;
            };
            out.events.push(LogEvent {
                timestamp_ms: e.timestamp().unwrap_or_default(),
                ingestion_ms: e.ingestion_time(),
                function: function.to_string(),
                log_group: group.name.clone(),
                log_stream: stream.to_string(),
                event_id: e.event_id().unwrap_or_default().to_string(),
                message: e.message().unwrap_or_default().to_string(),
            });
        }
        // FilterLogEvents may answer an empty page with a token while it is still
        // searching streams: keep going until the token ends (or repeats).
        match page.next_token() {
            Some(t) if !out.truncated && last_token.as_deref() != Some(t) => {
                last_token = Some(t.to_string());
                token = Some(t.to_string());
            }
            _ => break,
        }
    }
    Ok(out)
}

/// FilterLogEvents over every group (one call per group, all pages), interleaved by time.
pub async fn filter_groups(
    ctx: &AwsContext,
    groups: &[LogGroupRef],
    q: &LogQuery,
) -> Result<Filtered, AwsError> {
    let results = futures::future::join_all(groups.iter().map(|g| filter_group(ctx, g, q))).await;
    let mut out = Filtered::default();
    for r in results {
        let r = r?;
        out.truncated |= r.truncated;
        out.events.extend(r.events);
    }
    sort_events(&mut out.events);
    Ok(out)
}

/// Sorts by time, then by event id (the order the buffer keeps).
pub fn sort_events(events: &mut [LogEvent]) {
    events.sort_by(|a, b| (a.timestamp_ms, &a.event_id).cmp(&(b.timestamp_ms, &b.event_id)));
}

// ── follow ────────────────────────────────────────────────────────────────────────────

/// StartLiveTail accepts at most this many log groups a session.
pub const LIVE_TAIL_GROUPS: usize = 10;

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

/// Follows `groups` until `cancel` fires: first the history since `start_ms` (one poll
/// round), then live tail when it works, else a polite poller. Everything is reported on
/// `tx`; returns when cancelled or when `tx` is closed.
pub async fn follow(
    ctx: &AwsContext,
    groups: &[LogGroupRef],
    opts: &FollowOptions,
    cancel: &CancellationToken,
    tx: &UnboundedSender<TailMsg>,
) {
    if groups.is_empty() {
        cancel.cancelled().await;
        return;
    }
    let mut seen = SeenLines::default();
    let mut plan = PollPlan::new(groups.len(), opts.start_ms, opts.late_window, opts.interval);
    if !backlog(ctx, groups, opts, &mut plan, cancel, tx, &mut seen).await {
        return;
    }
    let reason = if !opts.live_tail {
        "live tail off".to_string()
    } else if groups.iter().any(|g| g.arn.is_none()) {
        "log group ARNs unknown".to_string()
    } else {
        loop {
            let started = now_ms();
            seen.new_session();
            match live_tail(ctx, groups, opts, cancel, tx, &mut seen).await {
                LiveEnd::Cancelled => return,
                LiveEnd::Renew => {
                    // Catch up on what may slip between two sessions, then reconnect.
                    plan.resume_from(now_ms());
                    if !poll_round(ctx, groups, opts, &mut plan, cancel, tx, &mut seen).await {
                        return;
                    }
                }
                LiveEnd::Unavailable(reason) => {
                    plan.resume_from(started);
                    break reason;
                }
            }
        }
    };
    if tx
        .send(TailMsg::Mode(TailMode::Polling { reason }))
        .is_err()
    {
        return;
    }
    while poll_one(ctx, groups, opts, &mut plan, cancel, tx, &mut seen).await {}
}

/// The history since `start_ms`: every group at once (a one-off burst, so a stack of many
/// functions shows its past without waiting a second per group); `false` when cancelled.
async fn backlog(
    ctx: &AwsContext,
    groups: &[LogGroupRef],
    opts: &FollowOptions,
    plan: &mut PollPlan,
    cancel: &CancellationToken,
    tx: &UnboundedSender<TailMsg>,
    seen: &mut SeenLines,
) -> bool {
    let now = now_ms();
    let q = LogQuery {
        start_ms: Some(opts.start_ms),
        end_ms: None,
        filter: opts.filter.clone(),
        limit: Some(HARD_CAP),
    };
    let results = tokio::select! {
        () = cancel.cancelled() => return false,
        r = futures::future::join_all(groups.iter().map(|g| filter_group(ctx, g, &q))) => r,
    };
    let mut events = Vec::new();
    for (i, r) in results.into_iter().enumerate() {
        match r {
            Ok(f) => {
                plan.covered[i] = now;
                events.extend(seen.filter_polled(f.events));
            }
            // That group is read again by the poller from the start.
            Err(e) => {
                if tx.send(TailMsg::Warning(e.message)).is_err() {
                    return false;
                }
            }
        }
    }
    sort_events(&mut events);
    events.is_empty() || tx.send(TailMsg::Events(events)).is_ok()
}

/// Polls every group once (the backlog before live tail, or a catch-up).
async fn poll_round(
    ctx: &AwsContext,
    groups: &[LogGroupRef],
    opts: &FollowOptions,
    plan: &mut PollPlan,
    cancel: &CancellationToken,
    tx: &UnboundedSender<TailMsg>,
    seen: &mut SeenLines,
) -> bool {
    for _ in 0..groups.len() {
        if !poll_one(ctx, groups, opts, plan, cancel, tx, seen).await {
            return false;
        }
    }
    true
}

/// One poll request (after the plan's pause); `false` when cancelled.
async fn poll_one(
    ctx: &AwsContext,
    groups: &[LogGroupRef],
    opts: &FollowOptions,
    plan: &mut PollPlan,
    cancel: &CancellationToken,
    tx: &UnboundedSender<TailMsg>,
    seen: &mut SeenLines,
) -> bool {
    let Some((i, start)) = plan.next_request() else {
        return false;
    };
    let now = now_ms();
    let q = LogQuery {
        start_ms: Some(start),
        end_ms: None,
        filter: opts.filter.clone(),
        limit: Some(HARD_CAP),
    };
    let res = tokio::select! {
        () = cancel.cancelled() => return false,
        r = filter_group(ctx, &groups[i], &q) => r,
    };
    match res {
        Ok(f) => {
            plan.succeeded(i, now);
            let events = seen.filter_polled(f.events);
            if !events.is_empty() && tx.send(TailMsg::Events(events)).is_err() {
                return false;
            }
        }
        Err(e) => {
            let throttled = e.kind == ErrorKind::Throttled;
            plan.failed(throttled);
            if tx.send(TailMsg::Warning(e.message)).is_err() {
                return false;
            }
        }
    }
    tokio::select! {
        () = cancel.cancelled() => false,
        () = tokio::time::sleep(plan.delay()) => true,
    }
}

enum LiveEnd {
    Cancelled,
    /// The session reached its age limit: reconnect.
    Renew,
    /// Live tail failed or ended on its own: poll instead.
    Unavailable(String),
}

/// Runs one StartLiveTail session per 10 groups until cancelled, renewed or failed.
async fn live_tail(
    ctx: &AwsContext,
    groups: &[LogGroupRef],
    opts: &FollowOptions,
    cancel: &CancellationToken,
    tx: &UnboundedSender<TailMsg>,
    seen: &mut SeenLines,
) -> LiveEnd {
    let client = live_tail_client(ctx);
    let mut receivers = Vec::new();
    for chunk in groups.chunks(LIVE_TAIL_GROUPS) {
        let arns: Vec<String> = chunk.iter().filter_map(|g| g.arn.clone()).collect();
        let res = client
            .start_live_tail()
            .set_log_group_identifiers(Some(arns))
            .set_log_event_filter_pattern(opts.filter.clone().filter(|f| !f.is_empty()))
            .send()
            .await;
        match res {
            Ok(out) => receivers.push(out.response_stream),
            Err(e) => {
                let e = AwsError::from_sdk("StartLiveTail", e);
                return LiveEnd::Unavailable(format!("live tail unavailable: {}", e.message));
            }
        }
    }
    let _ = tx.send(TailMsg::Mode(TailMode::Live {
        sessions: receivers.len(),
    }));
    // Each receiver is read in turn through a merged channel.
    let (etx, mut erx) = tokio::sync::mpsc::unbounded_channel();
    let stop = cancel.child_token();
    for mut rx in receivers {
        let etx = etx.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            loop {
                let item = tokio::select! {
                    () = stop.cancelled() => return,
                    r = rx.recv() => r,
                };
                let ended = !matches!(item, Ok(Some(_)));
                if etx
                    .send(item.map_err(|e| AwsError::from_sdk("StartLiveTail", e).message))
                    .is_err()
                    || ended
                {
                    return;
                }
            }
        });
    }
    drop(etx);
    let arn_map: HashMap<&str, &LogGroupRef> = groups
        .iter()
        .filter_map(|g| g.arn.as_deref().map(|a| (a, g)))
        .collect();
    let deadline = tokio::time::sleep(opts.session_limit);
    tokio::pin!(deadline);
    let result = loop {
        let item = tokio::select! {
            () = cancel.cancelled() => break LiveEnd::Cancelled,
            () = &mut deadline => break LiveEnd::Renew,
            i = erx.recv() => i,
        };
        match item {
            Some(Ok(Some(StartLiveTailResponseStream::SessionUpdate(u)))) => {
                if let Some(m) = u.session_metadata() {
                    let _ = tx.send(TailMsg::Sampled(m.sampled()));
                }
                let events: Vec<LogEvent> = u
                    .session_results()
                    .iter()
                    .filter_map(|e| live_event(e, &arn_map, opts.start_ms))
                    .filter_map(|e| seen.live_event(e))
                    .collect();
                if !events.is_empty() && tx.send(TailMsg::Events(events)).is_err() {
                    break LiveEnd::Cancelled;
                }
            }
            Some(Ok(Some(_))) => {}
            Some(Ok(None)) | None => {
                break LiveEnd::Unavailable("live tail session ended".into());
            }
            Some(Err(e)) => break LiveEnd::Unavailable(format!("live tail ended: {e}")),
        }
    };
    stop.cancel();
    result
}

/// A live-tail event of one of `arns`' groups, not older than `start_ms`.
fn live_event(
    e: &LiveTailSessionLogEvent,
    arns: &HashMap<&str, &LogGroupRef>,
    start_ms: i64,
) -> Option<LogEvent> {
    let id = e.log_group_identifier()?;
    let bare = id.trim_end_matches(":*");
    let group = arns.get(bare).copied().or_else(|| {
        // Some shapes name the group rather than its ARN.
        arns.values()
            .copied()
            .find(|g| g.name == bare || bare.ends_with(&format!(":log-group:{}", g.name)))
    })?;
    let timestamp_ms = e.timestamp().unwrap_or_default();
    if timestamp_ms < start_ms {
        return None;
    }
    let stream = e.log_stream_name().unwrap_or_default();
    Some(LogEvent {
        timestamp_ms,
        ingestion_ms: e.ingestion_time(),
        function: group.function_of(stream)?.to_string(),
        log_group: group.name.clone(),
        log_stream: stream.to_string(),
        event_id: String::new(),
        message: e.message().unwrap_or_default().to_string(),
    })
}

/// A Logs client for StartLiveTail; on a custom endpoint (an emulator serving one host)
/// the modelled `stream-` host prefix is not added.
fn live_tail_client(ctx: &AwsContext) -> aws_sdk_cloudwatchlogs::Client {
    let mut conf = aws_sdk_cloudwatchlogs::config::Builder::from(&ctx.sdk);
    if ctx.endpoint_url.is_some() {
        conf = conf.interceptor(NoHostPrefix);
    }
    aws_sdk_cloudwatchlogs::Client::from_conf(conf.build())
}

/// Removes the operation's endpoint host prefix before the endpoint is applied. The Rust
/// SDK has no `disable_host_prefix` setting; the prefix is stored in the config bag by the
/// operation's own interceptor in `read_before_execution`, which runs before this hook.
#[derive(Debug)]
pub struct NoHostPrefix;

impl Intercept for NoHostPrefix {
    fn name(&self) -> &'static str {
        "NoHostPrefix"
    }

    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        cfg.interceptor_state().unset::<EndpointPrefix>();
        Ok(())
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
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
