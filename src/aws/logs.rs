//! CloudWatch Logs: a stack's log groups, FilterLogEvents over several groups, and the
//! follow engine (StartLiveTail where it works, else a polite trailing-window poller).

mod follow;
mod groups;

pub use follow::{LIVE_TAIL_GROUPS, NoHostPrefix, follow};

pub use groups::{
    Candidate, LogGroupRef, candidate_groups, function_log_groups, groups_for, stack_log_groups,
};

use super::{AwsContext, AwsError};
use crate::domain::logbuf::{HARD_CAP, LogEvent};

pub use crate::domain::log_poll::{PollPlan, SeenLines};
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
