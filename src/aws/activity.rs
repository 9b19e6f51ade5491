//! Activity of prototype stacks: the last event time of each function's log group, looked
//! up for many stacks at once with bounded concurrency.

use std::collections::BTreeMap;

use aws_sdk_cloudwatchlogs::types::OrderBy;
use chrono::{DateTime, Utc};
use futures::StreamExt;

use super::{AwsContext, AwsError, cloudformation};
use crate::domain::abandon::{AbandonPolicy, Assessment, assess_with_activity, policy_from_config};
use crate::domain::stack::{Stack, StackResource};

/// Stacks looked up at once.
pub const DEFAULT_CONCURRENCY: usize = 8;

const LAMBDA_FUNCTION: &str = "AWS::Lambda::Function";

/// The log group Lambda writes a function's logs to.
pub fn log_group_of(function_name: &str) -> String {
    format!("/aws/lambda/{function_name}")
}

/// The physical names of the stack's Lambda functions.
pub fn function_names(resources: &[StackResource]) -> Vec<String> {
    resources
        .iter()
        .filter(|r| r.resource_type == LAMBDA_FUNCTION && r.status != "DELETE_COMPLETE")
        .filter_map(|r| r.physical_id.clone())
        .collect()
}

/// The last event time of one log group (`None` when it has no events or does not exist).
pub async fn last_event(ctx: &AwsContext, group: &str) -> Result<Option<DateTime<Utc>>, AwsError> {
    let res = ctx
        .logs()
        .describe_log_streams()
        .log_group_name(group)
        .order_by(OrderBy::LastEventTime)
        .descending(true)
        .limit(1)
        .send()
        .await;
    match res {
        Ok(out) => Ok(out
            .log_streams()
            .first()
            .and_then(|s| s.last_event_timestamp().or(s.creation_time()))
            .and_then(DateTime::from_timestamp_millis)),
        Err(e) => {
            let err = AwsError::from_sdk("DescribeLogStreams", e);
            if err.is_not_found() {
                Ok(None)
            } else {
                Err(err)
            }
        }
    }
}

/// The last event time of each function log group of one stack.
pub async fn stack_log_activity(
    ctx: &AwsContext,
    stack_id: &str,
) -> Result<Vec<DateTime<Utc>>, AwsError> {
    let resources = cloudformation::resources(ctx, stack_id).await?;
    let mut out = Vec::new();
    for f in function_names(&resources) {
        if let Some(t) = last_event(ctx, &log_group_of(&f)).await? {
            out.push(t);
        }
    }
    Ok(out)
}

/// The log activity of many stacks, by stack id; at most `concurrency` stacks at once.
/// A failed lookup is kept as its message (the caller protects that stack).
pub async fn activity_of(
    ctx: &AwsContext,
    stacks: &[Stack],
    concurrency: usize,
) -> BTreeMap<String, Result<Vec<DateTime<Utc>>, String>> {
    // Futures collected first: a lazy `map` closure in the stream makes the future
    // non-Send for spawned tasks (higher-ranked lifetime inference).
    let futs: Vec<_> = stacks
        .iter()
        .map(|s| async move {
            // Multi-region discovery: each stack's logs live in its own region.
            let regional = (!s.region.is_empty() && s.region != ctx.region)
                .then(|| ctx.with_region(&s.region));
            let r = stack_log_activity(regional.as_ref().unwrap_or(ctx), &s.id)
                .await
                .map_err(|e| e.to_string());
            (s.id.clone(), r)
        })
        .collect();
    futures::stream::iter(futs)
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await
}

/// The abandonment policy of the config's `[abandon]` section.
pub fn policy_of(config: &crate::config::AbandonConfig) -> AbandonPolicy {
    policy_from_config(config.after, &config.keep_tags, &config.ttl_tags)
}

/// Every stack with its assessment at `now`, in the order given.
pub async fn assess_all(
    ctx: &AwsContext,
    stacks: Vec<Stack>,
    policy: &AbandonPolicy,
    now: DateTime<Utc>,
) -> Vec<(Stack, Assessment)> {
    let activity = activity_of(ctx, &stacks, DEFAULT_CONCURRENCY).await;
    stacks
        .into_iter()
        .map(|s| {
            let a = assess_stack(&s, activity.get(&s.id), policy, now);
            (s, a)
        })
        .collect()
}

/// Assesses one stack from its looked-up activity (missing or failed = protected).
pub fn assess_stack(
    stack: &Stack,
    activity: Option<&Result<Vec<DateTime<Utc>>, String>>,
    policy: &AbandonPolicy,
    now: DateTime<Utc>,
) -> Assessment {
    let activity = match activity {
        Some(Ok(v)) => Ok(v.as_slice()),
        Some(Err(e)) => Err(e.as_str()),
        None => Err("not looked up"),
    };
    assess_with_activity(stack, activity, policy, now)
}
