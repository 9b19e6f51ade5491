//! Following log groups: the history first, then live tail (StartLiveTail, 10 groups a
//! session) when it works, else one polite poller; everything reported on a channel.

use std::collections::HashMap;

use aws_sdk_cloudwatchlogs::types::{LiveTailSessionLogEvent, StartLiveTailResponseStream};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::endpoint::EndpointPrefix;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use super::{FollowOptions, LogGroupRef, LogQuery, PollPlan, SeenLines, TailMode, TailMsg};
use super::{filter_group, sort_events};
use crate::aws::{AwsContext, AwsError, ErrorKind};
use crate::domain::logbuf::{HARD_CAP, LogEvent};

/// StartLiveTail accepts at most this many log groups a session.
pub const LIVE_TAIL_GROUPS: usize = 10;

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
                plan.backlog_read(i, now);
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
