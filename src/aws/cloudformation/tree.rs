//! Stack trees: a root stack expanded into every stack nested in it, and the way back from
//! a nested stack to its root.
//!
//! CloudFormation reports `ParentId`/`RootId` on nested stacks; where it does not (some
//! emulators), a nested stack is known as the physical id of an `AWS::CloudFormation::Stack`
//! resource of its parent. Every call here is bounded by the number of stacks in the tree
//! (one `ListStackResources` per stack), never by the number of resources.

use std::collections::BTreeSet;

use futures::StreamExt;

use super::{AwsContext, AwsError, ErrorKind, describe, stack_level};
use crate::domain::nested::{
    self, MAX_DEPTH, MAX_STACKS, nested_stacks, parent_name_candidate, stack_name_of,
};
use crate::domain::sanitize::sanitize;
use crate::domain::stack::{Stack, StackResource};

/// Nested stacks listed at once.
const CONCURRENCY: usize = 8;

/// Every resource of `stack` (a name or id) and of every stack nested in it, level by level
/// (the stacks of a level listed concurrently), in tree order. A nested stack that is gone
/// by the time it is listed is skipped.
pub async fn resources(ctx: &AwsContext, stack: &str) -> Result<Vec<StackResource>, AwsError> {
    let mut out = stack_level(ctx, stack, stack_name_of(stack)).await?;
    let mut seen: BTreeSet<String> = BTreeSet::from([stack.to_string()]);
    let mut frontier = nested_stacks(&out);
    let mut listed = 0usize;
    for _ in 0..MAX_DEPTH {
        frontier.retain(|n| seen.insert(n.physical_id.clone()));
        frontier.truncate(MAX_STACKS.saturating_sub(listed));
        if frontier.is_empty() {
            break;
        }
        listed += frontier.len();
        let levels: Vec<Result<Vec<StackResource>, AwsError>> = futures::stream::iter(
            frontier
                .iter()
                .map(|n| stack_level(ctx, &n.physical_id, &n.path))
                .collect::<Vec<_>>(),
        )
        .buffered(CONCURRENCY)
        .collect()
        .await;
        let mut next = Vec::new();
        for level in levels {
            match level {
                Ok(level) => {
                    next.extend(nested_stacks(&level));
                    out.extend(level);
                }
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e),
            }
        }
        frontier = next;
    }
    nested::sort_tree(&mut out);
    Ok(out)
}

/// Links from each nested stack among `stacks` (by id) to its parent: `ParentId` where
/// CloudFormation reports it, else the nested stack resources of the likely parents (only
/// stacks that another stack's name marks as its parent are listed, one level each).
pub async fn parent_links(
    ctx: &AwsContext,
    stacks: &[Stack],
) -> Result<std::collections::BTreeMap<String, String>, AwsError> {
    let parents = nested::parents_to_confirm(stacks);
    let listed: Vec<Result<(String, Vec<StackResource>), AwsError>> = futures::stream::iter(
        parents
            .iter()
            .map(|p| async move {
                stack_level(ctx, &p.id, &p.name)
                    .await
                    .map(|r| (p.id.clone(), r))
            })
            .collect::<Vec<_>>(),
    )
    .buffered(CONCURRENCY)
    .collect()
    .await;
    let mut ok = Vec::new();
    for l in listed {
        match l {
            Ok(l) => ok.push(l),
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(nested::parent_links(stacks, &ok))
}

/// The root stack `stack` is nested in, or `None` when it is a root. Uses `RootId`/`ParentId`
/// when CloudFormation reports them, else walks up through the parents its name points to,
/// confirming each by its nested stack resources (two calls per level).
pub async fn root_of(ctx: &AwsContext, stack: &Stack) -> Result<Option<Stack>, AwsError> {
    if let Some(up) = stack.root_id.as_ref().or(stack.parent_id.as_ref()) {
        let mut at = describe(ctx, up).await?;
        for _ in 0..MAX_DEPTH {
            match at.as_ref().and_then(|s| s.parent_id.clone()) {
                Some(parent) => at = describe(ctx, &parent).await?,
                None => break,
            }
        }
        return Ok(Some(at.unwrap_or_else(|| unknown_root(up))));
    }
    let mut current = stack.clone();
    let mut root = None;
    for _ in 0..MAX_DEPTH {
        let Some(parent_name) = parent_name_candidate(&current.name) else {
            break;
        };
        let Some(parent) = describe(ctx, parent_name).await? else {
            break;
        };
        let level = stack_level(ctx, &parent.id, &parent.name).await?;
        if !nested_stacks(&level)
            .iter()
            .any(|n| nested::is_same_stack(&n.physical_id, &current))
        {
            break;
        }
        root = Some(parent.clone());
        current = parent;
    }
    Ok(root)
}

/// A root known only by its id (it could not be described).
fn unknown_root(id: &str) -> Stack {
    Stack {
        name: stack_name_of(id).to_string(),
        id: id.to_string(),
        status: String::new(),
        created: chrono::DateTime::default(),
        last_updated: None,
        tags: std::collections::BTreeMap::new(),
        termination_protection: false,
        outputs: std::collections::BTreeMap::new(),
        description: None,
        region: String::new(),
        parent_id: None,
        root_id: None,
        nested_stacks: 0,
        profile: None,
        account_alias: None,
    }
}

/// The line that refuses to act on a nested stack on its own.
pub fn nested_refusal_text(stack: &Stack, root: &Stack) -> String {
    format!(
        "stack {:?} is nested in {:?}: a prototype is its root stack and everything nested in it, so name the root ({})",
        sanitize(&stack.name),
        sanitize(&root.name),
        sanitize(&root.name)
    )
}

/// The error for a nested stack named on its own.
pub fn nested_refusal(stack: &Stack, root: &Stack) -> AwsError {
    AwsError::new(ErrorKind::Invalid, nested_refusal_text(stack, root))
}
