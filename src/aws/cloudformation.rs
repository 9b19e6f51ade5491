//! CloudFormation: discovery of prototype stacks, their resources, events and templates.

use std::collections::BTreeMap;

use aws_sdk_cloudformation::types as cfn;

use super::{AwsContext, AwsError, ErrorKind, to_chrono};
use crate::domain::discovery::{self, TagFilter};
use crate::domain::stack::{Stack, StackResource};

pub mod pick;
pub mod tree;

pub use crate::domain::stack::StackEvent;
pub use pick::pick_resource;

fn region_of(id: &str) -> String {
    id.split(':').nth(3).unwrap_or_default().to_string()
}

/// The region named in a stack id ARN, when it is one.
pub fn region_of_id(id: &str) -> Option<String> {
    Some(region_of(id)).filter(|r| id.starts_with("arn:") && !r.is_empty())
}

fn stack_from_sdk(s: &cfn::Stack) -> Stack {
    let id = s.stack_id().unwrap_or_default().to_string();
    Stack {
        name: s.stack_name().unwrap_or_default().to_string(),
        region: region_of(&id),
        id,
        status: s
            .stack_status()
            .map(|st| st.as_str().to_string())
            .unwrap_or_default(),
        created: s.creation_time().map(to_chrono).unwrap_or_default(),
        last_updated: s.last_updated_time().map(to_chrono),
        tags: s
            .tags()
            .iter()
            .map(|t| {
                (
                    t.key().unwrap_or_default().to_string(),
                    t.value().unwrap_or_default().to_string(),
                )
            })
            .collect(),
        termination_protection: s.enable_termination_protection().unwrap_or(false),
        outputs: s
            .outputs()
            .iter()
            .map(|o| {
                (
                    o.output_key().unwrap_or_default().to_string(),
                    o.output_value().unwrap_or_default().to_string(),
                )
            })
            .collect::<BTreeMap<_, _>>(),
        description: s.description().map(ToString::to_string),
        parent_id: s.parent_id().map(ToString::to_string),
        root_id: s.root_id().map(ToString::to_string),
        nested_stacks: 0,
        profile: None,
        account_alias: None,
    }
}

/// Every live stack of the account/region (all pages of DescribeStacks).
pub async fn all_stacks(ctx: &AwsContext) -> Result<Vec<Stack>, AwsError> {
    let client = ctx.cloudformation();
    let mut out = Vec::new();
    let mut pages = client.describe_stacks().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsError::from_sdk("DescribeStacks", e))?;
        out.extend(page.stacks().iter().map(stack_from_sdk));
    }
    Ok(out)
}

/// The prototype stacks: every root stack whose tags match all `filters`, sorted by name,
/// each with the count of stacks nested in it. A nested stack belongs to its root and is
/// not listed on its own (see [`tree::parent_links`]).
pub async fn discover(ctx: &AwsContext, filters: &[TagFilter]) -> Result<Vec<Stack>, AwsError> {
    let all = all_stacks(ctx).await?;
    let links = tree::parent_links(ctx, &all).await?;
    Ok(discovery::discover_roots(filters, all, &links))
}

/// Discovery across `regions` at once (queried in parallel); with no regions, the context's
/// own. The first failing region's error is returned.
pub async fn discover_in_regions(
    ctx: &AwsContext,
    regions: &[String],
    filters: &[TagFilter],
) -> Result<Vec<Stack>, AwsError> {
    if regions.is_empty() {
        return discover(ctx, filters).await;
    }
    let contexts: Vec<AwsContext> = regions.iter().map(|r| ctx.with_region(r)).collect();
    let results = futures::future::join_all(contexts.iter().map(|c| discover(c, filters))).await;
    let mut all = Vec::new();
    for r in results {
        all.extend(r?);
    }
    all.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.region.cmp(&b.region)));
    Ok(all)
}

/// One stack by name or id, whatever its tags (`None` when it does not exist).
pub async fn describe(ctx: &AwsContext, name_or_id: &str) -> Result<Option<Stack>, AwsError> {
    let res = ctx
        .cloudformation()
        .describe_stacks()
        .stack_name(name_or_id)
        .send()
        .await;
    match res {
        Ok(out) => Ok(out.stacks().first().map(stack_from_sdk)),
        Err(e) => {
            let err = AwsError::from_sdk("DescribeStacks", e);
            if err.is_not_found() {
                Ok(None)
            } else {
                Err(err)
            }
        }
    }
}

/// Resolves a user's `STACK` argument to a prototype stack: it must exist and match the
/// discovery tags (protoctl never acts on stacks outside the shelf).
pub async fn resolve(
    ctx: &AwsContext,
    name_or_id: &str,
    filters: &[TagFilter],
) -> Result<Stack, AwsError> {
    let shown = crate::domain::sanitize::sanitize(name_or_id).into_owned();
    let stack = describe(ctx, name_or_id).await?.ok_or_else(|| {
        AwsError::new(
            ErrorKind::NotFound,
            format!(
                "stack {shown:?} not found in {} (run `protoctl stacks` to list them)",
                ctx.region
            ),
        )
    })?;
    if discovery::is_deleted_status(&stack.status) {
        return Err(AwsError::new(
            ErrorKind::NotFound,
            format!("stack {shown:?} is deleted"),
        ));
    }
    if let Some(root) = tree::root_of(ctx, &stack).await? {
        return Err(tree::nested_refusal(&stack, &root));
    }
    if !discovery::matches_all(filters, &stack.tags) {
        return Err(AwsError::new(
            ErrorKind::Invalid,
            format!(
                "stack {shown:?} does not carry the discovery tags ({}): protoctl only works on prototype stacks",
                discovery::describe_filters(filters)
            ),
        ));
    }
    Ok(stack)
}

/// Every resource of a stack and of every stack nested in it, to any depth, each with the
/// path of the stack that owns it, in tree order (see [`tree::resources`]).
pub async fn resources(ctx: &AwsContext, stack: &str) -> Result<Vec<StackResource>, AwsError> {
    tree::resources(ctx, stack).await
}

/// The resources of one stack only (all pages of ListStackResources), sorted by logical id,
/// each marked with `stack_path`.
pub async fn stack_level(
    ctx: &AwsContext,
    stack: &str,
    stack_path: &str,
) -> Result<Vec<StackResource>, AwsError> {
    let client = ctx.cloudformation();
    let mut out = Vec::new();
    let mut pages = client
        .list_stack_resources()
        .stack_name(stack)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsError::from_sdk("ListStackResources", e))?;
        out.extend(page.stack_resource_summaries().iter().map(|r| {
            StackResource {
                logical_id: r.logical_resource_id().unwrap_or_default().to_string(),
                physical_id: r.physical_resource_id().map(ToString::to_string),
                resource_type: r.resource_type().unwrap_or_default().to_string(),
                status: r
                    .resource_status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                stack_path: stack_path.to_string(),
            }
        }));
    }
    out.sort_by(|a, b| a.logical_id.cmp(&b.logical_id));
    Ok(out)
}

/// The most recent `limit` events of a stack, newest first.
pub async fn events(
    ctx: &AwsContext,
    stack: &str,
    limit: usize,
) -> Result<Vec<StackEvent>, AwsError> {
    let client = ctx.cloudformation();
    let mut out = Vec::new();
    let mut pages = client
        .describe_stack_events()
        .stack_name(stack)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsError::from_sdk("DescribeStackEvents", e))?;
        for e in page.stack_events() {
            out.push(StackEvent {
                timestamp: e.timestamp().map(to_chrono).unwrap_or_default(),
                logical_id: e.logical_resource_id().unwrap_or_default().to_string(),
                resource_type: e.resource_type().unwrap_or_default().to_string(),
                status: e
                    .resource_status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                reason: e.resource_status_reason().map(ToString::to_string),
            });
        }
        if out.len() >= limit {
            break;
        }
    }
    out.sort_by_key(|e| std::cmp::Reverse(e.timestamp));
    out.truncate(limit);
    Ok(out)
}

/// The stack's original template body (JSON or YAML text).
pub async fn template(ctx: &AwsContext, stack: &str) -> Result<String, AwsError> {
    let out = ctx
        .cloudformation()
        .get_template()
        .stack_name(stack)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("GetTemplate", e))?;
    Ok(out.template_body().unwrap_or_default().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_from_arn() {
        assert_eq!(
            region_of("arn:aws:cloudformation:eu-west-1:123:stack/a/b"),
            "eu-west-1"
        );
        assert_eq!(region_of("garbage"), "");
    }
}
