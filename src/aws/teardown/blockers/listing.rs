//! The listing's blockers column: each stack's blockers, and what the function cache
//! remembers of a resource list that holds nothing that can block.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use futures::StreamExt;

use super::tree_blockers;
use crate::aws::activity::{TAG_SWEEP_MIN, silence_means_none, silence_settled};
use crate::aws::tagging::{StackSet, stacks_with_blockable};
use crate::aws::{AwsContext, AwsError};
use crate::domain::stack::Stack;

/// Fills `blocked` and `blocked_reasons` of each assessment from its stack's blockers
/// (ListStackResources, GetTemplate, then one lookup per resource that can block).
pub async fn mark_blocked(
    ctx: &AwsContext,
    assessed: &mut [(
        crate::domain::stack::Stack,
        crate::domain::abandon::Assessment,
    )],
    now: DateTime<Utc>,
    concurrency: usize,
) {
    // A stack whose resource list (remembered for its current state) holds nothing that can
    // block needs no request: resource types change only through a stack operation. What
    // can block (object lock, retention, deletion protection) is always read live.
    let path = crate::aws::activity::cache_path();
    let mut cache = crate::aws::activity::load_cache(path.as_deref());
    let known_clear: Vec<bool> = assessed
        .iter()
        .map(|(s, _)| cache.nothing_blocks(s, now))
        .collect();
    // Many stacks to look at: one tagging sweep per region first; a stack that owns none of
    // the region's tagged resources that can block needs no look either.
    let unknown: Vec<&Stack> = assessed
        .iter()
        .zip(&known_clear)
        .filter(|(_, clear)| !**clear)
        .map(|((s, _), _)| s)
        .collect();
    let silent = if unknown.len() >= TAG_SWEEP_MIN {
        swept_silent(ctx, &unknown).await
    } else {
        BTreeSet::new()
    };
    let silent = &silent;
    let results: Vec<Result<Checked, AwsError>> = futures::stream::iter(
        assessed
            .iter()
            .zip(&known_clear)
            .map(|((s, _), clear)| async move {
                if *clear || silent.contains(s.id.as_str()) {
                    return Ok(Checked::default());
                }
                if s.region.is_empty() || s.region == ctx.region {
                    stack_blocker_lines(ctx, &s.id, now).await
                } else {
                    stack_blocker_lines(&ctx.with_region(&s.region), &s.id, now).await
                }
            })
            .collect::<Vec<_>>(),
    )
    .buffered(concurrency.max(1))
    .collect()
    .await;
    let learned: Vec<(&crate::domain::stack::Stack, &Checked)> = assessed
        .iter()
        .zip(&results)
        .zip(&known_clear)
        .filter(|(_, clear)| !**clear)
        // The sweep's silence is remembered once the stack's tags have had time to appear.
        .filter(|(((s, _), _), _)| !silent.contains(s.id.as_str()) || silence_settled(s, now))
        .filter_map(|(((s, _), r), _)| r.as_ref().ok().map(|c| (s, c)))
        .collect();
    if !learned.is_empty() {
        // Into the file as it is now: another task may have written it meanwhile.
        let mut fresh = crate::aws::activity::load_cache(path.as_deref());
        for (s, c) in learned {
            fresh.set_nothing_blocks(s, !c.can_block, c.functionless, now);
        }
        crate::aws::activity::save_cache(path.as_deref(), &fresh);
    }
    for ((_, a), r) in assessed.iter_mut().zip(results) {
        match r.map(|c| c.lines) {
            Ok(lines) => {
                a.blocked = !lines.is_empty();
                a.blocked_reasons = lines;
            }
            Err(e) => {
                a.blocked = false;
                a.blocked_reasons = vec![format!("blockers not checked: {e}")];
            }
        }
    }
}

/// The stacks (by id) whose region's sweep found resources that can block, tagged by
/// CloudFormation, and none of them theirs. A region whose sweep fails (no
/// `tag:GetResources` permission) or finds no such resource at all (tags not carried, as on an
/// emulator) vouches for none of its stacks: they are looked at one by one.
async fn swept_silent<'a>(ctx: &AwsContext, stacks: &[&'a Stack]) -> BTreeSet<&'a str> {
    let mut by_region: BTreeMap<&str, Vec<&'a Stack>> = BTreeMap::new();
    for s in stacks {
        let region = if s.region.is_empty() {
            &ctx.region
        } else {
            &s.region
        };
        by_region.entry(region.as_str()).or_default().push(s);
    }
    let mut out = BTreeSet::new();
    for (region, group) in by_region {
        let swept = if region == ctx.region {
            stacks_with_blockable(ctx).await
        } else {
            stacks_with_blockable(&ctx.with_region(region)).await
        };
        match swept {
            Ok(swept) => out.extend(silent_in(&group, &swept)),
            Err(e) => {
                tracing::debug!(error = %e, region, "blockable sweep failed; looking at each stack");
            }
        }
    }
    out
}

/// The stacks of one region that its sweep vouches for: the sweep found something (so
/// CloudFormation's tags reach this region's resources) but nothing of theirs, and nothing of
/// theirs can be hiding: not a root of nested stacks (its resources carry their nested
/// stacks' tags), not in the middle of an operation.
fn silent_in<'a>(group: &[&'a Stack], swept: &StackSet) -> Vec<&'a str> {
    if swept.is_empty() {
        return Vec::new();
    }
    group
        .iter()
        .filter(|s| !swept.mentions(&s.id, &s.name) && silence_means_none(s))
        .map(|s| s.id.as_str())
        .collect()
}

/// What the blockers check of one stack found.
#[derive(Debug, Default)]
struct Checked {
    /// The blocker lines (empty: nothing blocks its teardown).
    lines: Vec<String>,
    /// Whether the resource list holds anything that can block.
    can_block: bool,
    /// Whether the resource list holds no function (`false` when unknown).
    functionless: bool,
}

/// The blockers check of one stack.
async fn stack_blocker_lines(
    ctx: &AwsContext,
    stack_id: &str,
    now: DateTime<Utc>,
) -> Result<Checked, AwsError> {
    let resources = crate::aws::cloudformation::resources(ctx, stack_id).await?;
    let functionless = !resources
        .iter()
        .any(|r| r.resource_type == "AWS::Lambda::Function");
    let can_block = |t: &str| {
        matches!(
            t,
            "AWS::S3::Bucket" | "AWS::ECR::Repository" | "AWS::DynamoDB::Table"
        ) || crate::domain::teardown::PROTECTED_TYPES
            .iter()
            .any(|(p, _, _)| *p == t)
    };
    if !resources.iter().any(|r| can_block(&r.resource_type)) {
        return Ok(Checked {
            lines: Vec::new(),
            can_block: false,
            functionless,
        });
    }
    let root = crate::domain::nested::stack_name_of(stack_id);
    let templates = crate::aws::teardown::tree_templates(ctx, stack_id, &resources).await?;
    let found = tree_blockers(
        ctx,
        root,
        &resources,
        &templates,
        crate::domain::teardown::Lifts::default(),
        now,
        4,
    )
    .await;
    Ok(Checked {
        lines: found
            .blockers
            .iter()
            .map(crate::domain::teardown::Blocker::line)
            .collect(),
        can_block: true,
        functionless,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::tagging::{STACK_ID_TAG, STACK_NAME_TAG};

    fn stack(name: &str, status: &str, nested: usize) -> Stack {
        Stack {
            status: status.into(),
            nested_stacks: nested,
            ..Stack::sample(name, chrono::Utc::now() - chrono::Duration::days(40))
        }
    }

    #[test]
    fn a_sweep_vouches_only_for_settled_plain_stacks_it_does_not_mention() {
        let bucketed = stack("bucketed", "CREATE_COMPLETE", 0);
        let named = stack("named", "UPDATE_COMPLETE", 0);
        let plain = stack("plain", "CREATE_COMPLETE", 0);
        let busy = stack("busy", "UPDATE_IN_PROGRESS", 0);
        let root = stack("root", "CREATE_COMPLETE", 2);
        let group = [&bucketed, &named, &plain, &busy, &root];
        let mut swept = StackSet::default();
        swept.add([(STACK_ID_TAG, bucketed.id.as_str())].into_iter());
        swept.add([(STACK_NAME_TAG, "named")].into_iter());
        assert_eq!(silent_in(&group, &swept), vec![plain.id.as_str()]);
        // A sweep that found nothing at all (tags not carried here) vouches for nobody.
        assert!(silent_in(&group, &StackSet::default()).is_empty());
    }
}
