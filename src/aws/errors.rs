//! The errors of a stack's functions: read the error events of its log groups over a window
//! (every event, or Logs Insights for the candidate lines on real AWS), group them by
//! fingerprint, and read one occurrence's whole request back. `protoctl errors` and the
//! console's errors screen and ERRORS column share this.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use super::logs::{self, LogGroupRef, LogQuery};
use super::{AwsContext, AwsError, cloudformation, insights};
use crate::domain::errors::{DEFAULT_SPARK_BUCKETS, ErrorGroup, Grouper, LatestOccurrence};
use crate::domain::logbuf::{HARD_CAP, LogEvent};
use crate::domain::stack::Stack;

/// Windows longer than this use Logs Insights on real AWS ([`Via::Auto`]).
pub const INSIGHTS_AFTER: chrono::Duration = chrono::Duration::hours(6);
/// A Lambda invocation lasts at most this long: an occurrence's request is read this far
/// either side of it.
pub const REQUEST_SPAN: chrono::Duration = chrono::Duration::minutes(15);
/// Stacks whose errors are counted at once (the stack list's ERRORS column).
pub const COUNT_CONCURRENCY: usize = 4;

/// Where the error events come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// Insights on real AWS for windows over [`INSIGHTS_AFTER`], else reading the events.
    Auto,
    /// FilterLogEvents: every event of every group, detected here.
    Events,
    /// One Logs Insights query per 50 groups for the lines that may be errors.
    Insights,
}

/// The path [`Via::Auto`] takes: Insights only on real AWS (no endpoint URL) and for windows
/// longer than [`INSIGHTS_AFTER`], where scanning server-side beats paging every event.
pub fn choose_via(via: Via, endpoint_url: Option<&str>, window: chrono::Duration) -> Via {
    match via {
        Via::Auto if endpoint_url.is_none() && window > INSIGHTS_AFTER => Via::Insights,
        Via::Auto => Via::Events,
        other => other,
    }
}

/// What the error search found.
#[derive(Debug, Clone)]
pub struct StackErrors {
    /// The groups, latest first.
    pub groups: Vec<ErrorGroup>,
    /// Every event read (the events path) or the candidate lines (the Insights path).
    pub events: Vec<LogEvent>,
    /// Error events not grouped (bounds reached).
    pub dropped: u64,
    /// A group or query hit its limit: counts are lower bounds.
    pub truncated: bool,
    /// The path taken.
    pub via: Via,
}

impl StackErrors {
    /// Failed requests over every group.
    pub fn total(&self) -> u64 {
        self.groups.iter().map(|g| g.count).sum()
    }
}

/// Reads the error events of `groups` over `[from, to]` by the chosen path and groups them.
pub async fn stack_errors(
    aws: &AwsContext,
    groups: &[LogGroupRef],
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    via: Via,
    cancel: &CancellationToken,
) -> Result<StackErrors, AwsError> {
    let via = choose_via(via, aws.endpoint_url.as_deref(), to - from);
    let window = (from.timestamp_millis(), to.timestamp_millis());
    let (events, truncated) = match via {
        Via::Insights => insights::error_candidates(aws, groups, window, cancel).await?,
        Via::Auto | Via::Events => {
            let q = LogQuery {
                start_ms: Some(window.0),
                end_ms: Some(window.1),
                filter: None,
                limit: Some(HARD_CAP),
            };
            let res = logs::filter_groups(aws, groups, &q).await?;
            (res.events, res.truncated)
        }
    };
    let mut grouper = Grouper::new(window.0, window.1, DEFAULT_SPARK_BUCKETS);
    for e in &events {
        grouper.add(e);
    }
    let (groups, dropped) = grouper.finish();
    Ok(StackErrors {
        groups,
        events,
        dropped,
        truncated,
        via,
    })
}

/// A stack's log groups (one function's with `function`) and its functions' physical names.
pub async fn stack_groups(
    aws: &AwsContext,
    stack: &Stack,
    function: Option<&str>,
) -> Result<(Vec<LogGroupRef>, Vec<String>), AwsError> {
    let resources = cloudformation::resources(aws, &stack.id).await?;
    let functions = crate::aws::activity::function_names(&resources);
    let groups = logs::groups_for(aws, &stack.name, &resources, function).await?;
    Ok((groups, functions))
}

/// The error groups of one stack over `[from, to]`, with its log groups and functions: what
/// the console's errors screen shows. A stack without log groups has no errors.
pub async fn of_stack(
    aws: &AwsContext,
    stack: &Stack,
    window: (DateTime<Utc>, DateTime<Utc>),
    cancel: &CancellationToken,
) -> Result<(StackErrors, Vec<LogGroupRef>, Vec<String>), AwsError> {
    let (groups, functions) = stack_groups(aws, stack, None).await?;
    if groups.is_empty() {
        let found = StackErrors {
            groups: Vec::new(),
            events: Vec::new(),
            dropped: 0,
            truncated: false,
            via: Via::Events,
        };
        return Ok((found, groups, functions));
    }
    let found = stack_errors(aws, &groups, window, Via::Auto, cancel).await?;
    Ok((found, groups, functions))
}

/// The whole request of an occurrence: its group's events carrying the request id within
/// [`REQUEST_SPAN`] either side (FilterLogEvents with the id as a quoted term), from START
/// to REPORT in its stream; the occurrence alone when it has no request id.
pub async fn occurrence_lines(
    aws: &AwsContext,
    group: &LogGroupRef,
    at: &LatestOccurrence,
) -> Result<Vec<LogEvent>, AwsError> {
    let alone = || LogEvent {
        timestamp_ms: at.timestamp_ms,
        ingestion_ms: None,
        function: at.function.clone(),
        log_group: at.log_group.clone(),
        log_stream: at.log_stream.clone(),
        event_id: at.event_id.clone(),
        message: at.raw.clone(),
    };
    let Some(rid) = at.request_id.as_deref() else {
        return Ok(vec![alone()]);
    };
    let span = REQUEST_SPAN.num_milliseconds();
    let q = LogQuery {
        start_ms: Some(at.timestamp_ms - span),
        end_ms: Some(at.timestamp_ms + span),
        filter: Some(format!("\"{}\"", rid.replace('"', ""))),
        limit: Some(crate::domain::errors::MAX_REQUEST_LINES * 4),
    };
    let mut events = logs::filter_group(aws, group, &q).await?.events;
    logs::sort_events(&mut events);
    if !events.iter().any(|e| e.event_id == at.event_id) {
        events.push(alone());
        logs::sort_events(&mut events);
    }
    Ok(crate::domain::errors::request_lines(&events, at)
        .into_iter()
        .cloned()
        .collect())
}

/// The number of failed requests of each stack over `[from, to]`, by stack id, `concurrency`
/// stacks at once, each in its own region; `on_done` hears each stack as it is counted.
pub async fn count_stacks(
    aws: &AwsContext,
    stacks: &[Stack],
    window: (DateTime<Utc>, DateTime<Utc>),
    concurrency: usize,
    on_done: impl Fn(&str, &Result<u64, String>),
) -> BTreeMap<String, Result<u64, String>> {
    let cancel = CancellationToken::new();
    let futs: Vec<_> = stacks
        .iter()
        .map(|s| {
            let cancel = cancel.clone();
            async move {
                let ctx = if s.region.is_empty() || s.region == aws.region {
                    aws.clone()
                } else {
                    aws.with_region(&s.region)
                };
                let r = of_stack(&ctx, s, window, &cancel)
                    .await
                    .map(|(found, _, _)| found.total())
                    .map_err(|e| e.to_string());
                (s.id.clone(), r)
            }
        })
        .collect();
    let mut done = futures::stream::iter(futs).buffer_unordered(concurrency.max(1));
    let mut out = BTreeMap::new();
    while let Some((id, r)) = done.next().await {
        on_done(&id, &r);
        out.insert(id, r);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_uses_insights_only_on_aws_for_long_windows() {
        let day = chrono::Duration::hours(24);
        let hour = chrono::Duration::hours(1);
        assert_eq!(choose_via(Via::Auto, None, day), Via::Insights);
        assert_eq!(choose_via(Via::Auto, None, hour), Via::Events);
        assert_eq!(
            choose_via(Via::Auto, Some("http://127.0.0.1:5000"), day),
            Via::Events
        );
        assert_eq!(
            choose_via(Via::Insights, Some("http://x"), hour),
            Via::Insights
        );
        assert_eq!(choose_via(Via::Events, None, day), Via::Events);
    }
}
