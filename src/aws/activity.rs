//! Activity of prototype stacks: the last event time of each function's log group, looked
//! up for many stacks at once with bounded concurrency.

use std::collections::BTreeMap;

use aws_sdk_cloudwatchlogs::types::OrderBy;
use chrono::{DateTime, Utc};
use futures::StreamExt;

use super::{AwsContext, AwsError, cloudformation, tagging};
use crate::domain::abandon::{AbandonPolicy, Assessment, policy_from_config};
use crate::domain::function_cache::FunctionCache;
use crate::domain::stack::{Stack, StackResource};

pub use crate::domain::abandon::assess_stack;

/// Stacks looked up at once.
pub const DEFAULT_CONCURRENCY: usize = 16;

const LAMBDA_FUNCTION: &str = "AWS::Lambda::Function";

/// The log group Lambda writes a function's logs to.
pub fn log_group_of(function_name: &str) -> String {
    crate::domain::log_groups::default_group(function_name)
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

/// The last event time of one function: of its own group, or of its streams in a custom one.
async fn function_last_event(
    ctx: &AwsContext,
    function: &str,
    group: &str,
) -> Result<Option<DateTime<Utc>>, AwsError> {
    if group == log_group_of(function) {
        last_event(ctx, group).await
    } else {
        last_function_event(ctx, group, function).await
    }
}

/// The last event time of one function in a custom (perhaps shared) log group: the newest
/// of the group's 50 most recently written streams that this function wrote (its streams are
/// named `YYYY/MM/DD/<function>[<version>]<id>`).
pub async fn last_function_event(
    ctx: &AwsContext,
    group: &str,
    function: &str,
) -> Result<Option<DateTime<Utc>>, AwsError> {
    let res = ctx
        .logs()
        .describe_log_streams()
        .log_group_name(group)
        .order_by(OrderBy::LastEventTime)
        .descending(true)
        .limit(50)
        .send()
        .await;
    match res {
        Ok(out) => Ok(out
            .log_streams()
            .iter()
            .filter(|s| {
                s.log_stream_name()
                    .and_then(crate::domain::log_groups::function_of_stream)
                    == Some(function)
            })
            .filter_map(|s| s.last_event_timestamp().or(s.creation_time()))
            .max()
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

/// The last event time of each function of one stack, in whatever group it logs to (the
/// shared resolver of `aws::logs`), read fresh (no cache: teardown's guards use this).
pub async fn stack_log_activity(
    ctx: &AwsContext,
    stack_id: &str,
) -> Result<Vec<DateTime<Utc>>, AwsError> {
    let resources = cloudformation::resources(ctx, stack_id).await?;
    let groups = super::logs::function_log_groups(ctx, stack_id, &resources, None).await;
    let futs: Vec<_> = groups
        .iter()
        .map(|(function, group)| function_last_event(ctx, function, group))
        .collect();
    let found: Vec<_> = futures::stream::iter(futs)
        .buffer_unordered(DEFAULT_CONCURRENCY)
        .collect()
        .await;
    let mut out = Vec::new();
    for r in found {
        out.extend(r?);
    }
    Ok(out)
}

/// The function-name cache file (`$XDG_CACHE_HOME/protoctl/stack-functions.json` on Linux).
pub(crate) fn cache_path() -> Option<std::path::PathBuf> {
    if std::env::var_os("PROTOCTL_NO_CACHE").is_some() {
        return None;
    }
    directories::ProjectDirs::from("", "", "protoctl")
        .map(|d| d.cache_dir().join("stack-functions.json"))
}

pub(crate) fn load_cache(path: Option<&std::path::Path>) -> FunctionCache {
    path.and_then(|p| std::fs::read_to_string(p).ok())
        .map(|t| FunctionCache::parse(&t))
        .unwrap_or_default()
}

/// Writes the cache atomically; a failure only costs the next run some requests.
pub(crate) fn save_cache(path: Option<&std::path::Path>, cache: &FunctionCache) {
    let Some(path) = path else { return };
    let write = || -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
        std::fs::write(&tmp, cache.to_text())?;
        std::fs::rename(&tmp, path)
    };
    if let Err(e) = write() {
        tracing::debug!(error = %e, path = %path.display(), "function cache not written");
    }
}

/// The log activity of many stacks, by stack id. Each stack's function names come from the
/// function cache when its state is unchanged since they were read (else one
/// `ListStackResources`), then every function's log group is looked up, `concurrency` requests
/// at once across all stacks. A failed lookup is kept as its message (the caller protects that
/// stack).
pub async fn activity_of(
    ctx: &AwsContext,
    stacks: &[Stack],
    concurrency: usize,
) -> BTreeMap<String, Result<Vec<DateTime<Utc>>, String>> {
    let path = cache_path();
    let mut cache = load_cache(path.as_deref());
    let now = Utc::now();
    let concurrency = concurrency.max(1);
    // Multi-region discovery: each stack's resources and logs live in its own region.
    let contexts: BTreeMap<&str, AwsContext> = stacks
        .iter()
        .filter(|s| !s.region.is_empty() && s.region != ctx.region)
        .map(|s| (s.region.as_str(), ctx.with_region(&s.region)))
        .collect();
    let ctx_of = |s: &Stack| contexts.get(s.region.as_str()).unwrap_or(ctx);

    // 1. Function names: cached, or listed (futures collected first: a lazy `map` closure in
    //    the stream makes the future non-Send for spawned tasks).
    let mut names: BTreeMap<String, Result<Vec<(String, String)>, String>> = BTreeMap::new();
    let mut misses = Vec::new();
    for s in stacks {
        match cache.get_groups(s, now) {
            Some(f) => {
                names.insert(s.id.clone(), Ok(f));
            }
            None => misses.push(s),
        }
    }
    if misses.len() >= TAG_SWEEP_MIN {
        let (learned, tagged_regions) = names_from_tags(&misses, ctx, &contexts).await;
        // The sweep names the functions; where each one logs comes from its configuration.
        let futs: Vec<_> = misses
            .iter()
            // A root's nested functions carry their nested stack's tags: read its tree instead.
            .filter(|s| s.nested_stacks == 0)
            .filter_map(|s| learned.get(s.id.as_str()).map(|f| (*s, f)))
            .map(|(s, functions)| async move {
                let res: Vec<StackResource> = functions
                    .iter()
                    .map(|f| StackResource {
                        logical_id: f.clone(),
                        physical_id: Some(f.clone()),
                        resource_type: "AWS::Lambda::Function".into(),
                        status: "CREATE_COMPLETE".into(),
                        stack_path: s.name.clone(),
                    })
                    .collect();
                let groups = super::logs::function_log_groups(ctx_of(s), &s.id, &res, None).await;
                (s, groups)
            })
            .collect();
        let swept: Vec<_> = futures::stream::iter(futs)
            .buffer_unordered(concurrency)
            .collect()
            .await;
        for (s, groups) in swept {
            cache.put_groups(s, &groups, now);
            names.insert(s.id.clone(), Ok(groups));
        }
        // A stack the sweep does not mention has no function of its own, once the region's
        // sweep is seen to carry CloudFormation's tags at all.
        for s in &misses {
            let region = ctx_of(s).region.as_str();
            if names.contains_key(&s.id)
                || !tagged_regions.contains(region)
                || !silence_means_none(s)
            {
                continue;
            }
            if silence_settled(s, now) {
                cache.put_groups(s, &[], now);
            }
            names.insert(s.id.clone(), Ok(Vec::new()));
        }
        misses.retain(|s| !names.contains_key(&s.id));
    }
    let futs: Vec<_> = misses
        .iter()
        .map(|s| async move {
            let r = match cloudformation::resources(ctx_of(s), &s.id).await {
                Ok(res) => Ok(super::logs::function_log_groups(ctx_of(s), &s.id, &res, None).await),
                Err(e) => Err(e.to_string()),
            };
            (*s, r)
        })
        .collect();
    let listed: Vec<_> = futures::stream::iter(futs)
        .buffer_unordered(concurrency)
        .collect()
        .await;
    for (s, r) in listed {
        if let Ok(f) = &r {
            cache.put_groups(s, f, now);
        }
        names.insert(s.id.clone(), r);
    }
    cache.prune(now);
    save_cache(path.as_deref(), &cache);

    // 2. Every function's log group, across all stacks at once.
    let futs: Vec<_> = stacks
        .iter()
        .filter_map(|s| match names.get(&s.id) {
            Some(Ok(f)) => Some(f.iter().map(move |(f, g)| (s, f, g))),
            _ => None,
        })
        .flatten()
        .map(|(s, function, group)| async move {
            (
                s.id.as_str(),
                function_last_event(ctx_of(s), function, group).await,
            )
        })
        .collect();
    let looked_up: Vec<_> = futures::stream::iter(futs)
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let mut out: BTreeMap<String, Result<Vec<DateTime<Utc>>, String>> = names
        .into_iter()
        .map(|(id, r)| (id, r.map(|_| Vec::new())))
        .collect();
    for (id, r) in looked_up {
        let Some(slot) = out.get_mut(id) else {
            continue;
        };
        match (slot.as_mut(), r) {
            (Ok(times), Ok(t)) => times.extend(t),
            (Ok(_), Err(e)) => *slot = Err(e.to_string()),
            (Err(_), _) => {}
        }
    }
    out
}

/// Stacks missing from the cache from which one tagging sweep per region is cheaper than a
/// `ListStackResources` each.
pub(crate) const TAG_SWEEP_MIN: usize = 10;

/// How long after a stack's last change the tags of its functions are taken to be visible to
/// the sweep: only then is "not mentioned, so no function" remembered in the cache.
const TAG_SETTLE_MINUTES: i64 = 10;

/// Whether a stack that a tag-carrying sweep does not mention can be taken to have no
/// function: not while an operation is in progress (functions may be coming), and not for a
/// root of nested stacks (its functions carry their nested stacks' tags).
pub(crate) fn silence_means_none(stack: &Stack) -> bool {
    stack.nested_stacks == 0 && !stack.status.ends_with("_IN_PROGRESS")
}

/// Whether the stack changed long enough ago for the sweep's silence to be cached.
pub(crate) fn silence_settled(stack: &Stack, now: DateTime<Utc>) -> bool {
    let changed = stack.last_updated.unwrap_or(stack.created);
    now - changed >= chrono::Duration::minutes(TAG_SETTLE_MINUTES)
}

/// The function names of the `stacks` that one Resource Groups Tagging sweep per region
/// mentions, by stack id, and the regions whose sweep found at least one CloudFormation-tagged
/// function (where a stack's absence means it has none). A stack a sweep does not mention in
/// another region (tags not carried, as on an emulator) is left to `ListStackResources`, as is
/// every stack of a region whose sweep fails (no `tag:GetResources` permission).
async fn names_from_tags<'a>(
    stacks: &[&'a Stack],
    ctx: &AwsContext,
    contexts: &BTreeMap<&str, AwsContext>,
) -> (
    BTreeMap<&'a str, Vec<String>>,
    std::collections::BTreeSet<String>,
) {
    let ctx_of = |s: &Stack| contexts.get(s.region.as_str()).unwrap_or(ctx);
    let mut by_region: BTreeMap<&str, Vec<&'a Stack>> = BTreeMap::new();
    for s in stacks {
        by_region
            .entry(ctx_of(s).region.as_str())
            .or_default()
            .push(s);
    }
    let mut out = BTreeMap::new();
    let mut tagged = std::collections::BTreeSet::new();
    for (region, group) in &by_region {
        let Some(first) = group.first() else { continue };
        let swept = match tagging::stack_functions(ctx_of(first)).await {
            Ok(f) => f,
            Err(e) => {
                tracing::debug!(error = %e, "tagging sweep failed; listing each stack's resources");
                continue;
            }
        };
        if !swept.is_empty() {
            tagged.insert((*region).to_owned());
        }
        for s in group {
            if let Some(functions) = swept.of(&s.id, &s.name) {
                out.insert(s.id.as_str(), functions.to_vec());
            }
        }
    }
    (out, tagged)
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
#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn stack(status: &str, nested: usize, updated_minutes_ago: i64, now: DateTime<Utc>) -> Stack {
        Stack {
            status: status.into(),
            last_updated: Some(now - chrono::Duration::minutes(updated_minutes_ago)),
            nested_stacks: nested,
            ..Stack::sample("shelf", now - chrono::Duration::days(40))
        }
    }

    #[test]
    fn an_unmentioned_stack_has_no_function_unless_busy_or_a_root_of_nested_stacks() {
        let now = Utc.with_ymd_and_hms(2026, 12, 3, 9, 0, 0).unwrap();
        assert!(silence_means_none(&stack("CREATE_COMPLETE", 0, 60, now)));
        assert!(silence_means_none(&stack(
            "UPDATE_ROLLBACK_COMPLETE",
            0,
            60,
            now
        )));
        assert!(!silence_means_none(&stack(
            "UPDATE_IN_PROGRESS",
            0,
            60,
            now
        )));
        assert!(!silence_means_none(&stack("CREATE_COMPLETE", 2, 60, now)));
    }

    #[test]
    fn silence_is_cached_only_once_the_tags_have_had_time_to_show() {
        let now = Utc.with_ymd_and_hms(2026, 12, 3, 9, 0, 0).unwrap();
        assert!(silence_settled(
            &stack("CREATE_COMPLETE", 0, TAG_SETTLE_MINUTES, now),
            now
        ));
        assert!(!silence_settled(
            &stack("CREATE_COMPLETE", 0, TAG_SETTLE_MINUTES - 1, now),
            now
        ));
        let mut never_updated = stack("CREATE_COMPLETE", 0, 0, now);
        never_updated.last_updated = None;
        assert!(silence_settled(&never_updated, now));
    }
}
