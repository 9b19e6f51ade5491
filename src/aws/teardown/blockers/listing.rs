//! The listing's blockers column: each stack's blockers, and what the function cache
//! remembers of a resource list that holds nothing that can block.

use chrono::{DateTime, Utc};
use futures::StreamExt;

use super::tree_blockers;
use crate::aws::{AwsContext, AwsError};

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
    let results: Vec<Result<Checked, AwsError>> = futures::stream::iter(
        assessed
            .iter()
            .zip(&known_clear)
            .map(|((s, _), clear)| async move {
                if *clear {
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
