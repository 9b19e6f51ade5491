//! Planning a teardown: the caller's account, each stack's resources, template, deletion
//! policies, bucket contents and outside log groups, read without changing anything.

use std::collections::BTreeMap;

use aws_sdk_cloudformation::types::TemplateStage;
use futures::StreamExt;

use super::blockers::tree_blockers;
use super::buckets::measure_bucket;
use super::{Settings, StackPlan};
use crate::aws::activity::{self, function_names, log_group_of};
use crate::aws::cloudformation;
use crate::aws::{AwsContext, AwsError};
use crate::domain::discovery;
use crate::domain::nested::{nested_stacks, stack_name_of};
use crate::domain::stack::{Stack, StackResource};
use crate::domain::teardown::{
    BucketContents, GuardInput, LevelRules, Refusal, build_tree_plan, check_guards,
    deletion_policies, template_resources,
};

/// The account the credentials act in (STS GetCallerIdentity).
pub async fn caller_account(ctx: &AwsContext) -> Result<String, AwsError> {
    let out = ctx
        .sts()
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("GetCallerIdentity", e))?;
    Ok(out.account().unwrap_or_default().to_string())
}

/// Builds the plan of one stack (read-only: nothing is changed).
pub async fn plan_stack(
    ctx: &AwsContext,
    stack: Stack,
    account: &str,
    settings: &Settings,
) -> Result<StackPlan, AwsError> {
    let activity = activity::stack_log_activity(ctx, &stack.id)
        .await
        .map_err(|e| e.to_string());
    let assessment =
        activity::assess_stack(&stack, Some(&activity), &settings.policy, settings.now);
    let resources = cloudformation::resources(ctx, &stack.id).await?;
    let templates = tree_templates(ctx, &stack.id, &resources).await?;
    let mut extra = Vec::new();
    if let Some(root) = cloudformation::tree::root_of(ctx, &stack).await? {
        extra.push(Refusal {
            guard: "nested_stack",
            reason: cloudformation::tree::nested_refusal_text(&stack, &root),
        });
    }
    extra.extend(nested_guards(&resources));
    let mut rules = BTreeMap::new();
    for (path, template) in &templates {
        let policies = match deletion_policies(template) {
            Ok(p) => p,
            Err(e) => {
                extra.push(Refusal {
                    guard: "template_unreadable",
                    reason: format!(
                        "the template of stack {path} cannot be read ({e}), so what survives is unknown"
                    ),
                });
                BTreeMap::default()
            }
        };
        rules.insert(
            path.clone(),
            LevelRules {
                policies,
                template: template_resources(template),
            },
        );
    }
    let bucket_names: Vec<String> = resources
        .iter()
        .filter(|r| r.resource_type == "AWS::S3::Bucket" && r.status != "DELETE_COMPLETE")
        .filter_map(|r| r.physical_id.clone())
        .collect();
    let measured: Vec<Result<Option<BucketContents>, AwsError>> = futures::stream::iter(
        bucket_names
            .iter()
            .map(|b| measure_bucket(ctx, b))
            .collect::<Vec<_>>(),
    )
    .buffered(settings.concurrency.max(1))
    .collect()
    .await;
    let mut buckets = Vec::new();
    for m in measured {
        if let Some(b) = m? {
            buckets.push(b);
        }
    }
    let outside = log_groups_outside(ctx, &resources).await?;
    let found = tree_blockers(
        ctx,
        &stack.name,
        &resources,
        &templates,
        settings.lifts,
        settings.now,
        settings.concurrency,
    )
    .await;
    let mut refusals = check_guards(&GuardInput {
        stack: &stack,
        matches_discovery: discovery::matches_all(&settings.filters, &stack.tags),
        discovery_tags_text: discovery::describe_filters(&settings.filters),
        account,
        blocked_accounts: &settings.blocked_accounts,
        allowed_accounts: settings.allowed(),
        assessment: &assessment,
        read_only: settings.read_only,
        redescribed: Some(&stack),
    });
    refusals.extend(extra);
    let mut plan = build_tree_plan(&stack, &resources, &rules, buckets, outside, refusals);
    plan.blockers = found.blockers;
    plan.slow_deletes = found.slow;
    plan.unchecked = found.unchecked;
    plan.lifts = settings.lifts;
    Ok(StackPlan {
        stack,
        assessment,
        plan,
    })
}

/// A nested stack busy with an operation refuses the teardown of its root.
fn nested_guards(resources: &[StackResource]) -> Vec<Refusal> {
    nested_stacks(resources)
        .into_iter()
        .filter(|n| crate::domain::abandon::is_in_progress(&n.status))
        .map(|n| Refusal {
            guard: crate::domain::teardown::guard::IN_PROGRESS,
            reason: format!("nested stack {} is busy ({})", n.path, n.status),
        })
        .collect()
}

/// The processed template of every stack of a tree, by stack path (the root's first).
pub async fn tree_templates(
    ctx: &AwsContext,
    stack_id: &str,
    resources: &[StackResource],
) -> Result<Vec<(String, String)>, AwsError> {
    let mut levels = vec![(stack_name_of(stack_id).to_string(), stack_id.to_string())];
    levels.extend(
        nested_stacks(resources)
            .into_iter()
            .map(|n| (n.path, n.physical_id)),
    );
    let fetched: Vec<Result<(String, String), AwsError>> = futures::stream::iter(
        levels
            .into_iter()
            .map(|(path, id)| async move { processed_template(ctx, &id).await.map(|t| (path, t)) })
            .collect::<Vec<_>>(),
    )
    .buffered(8)
    .collect()
    .await;
    fetched.into_iter().collect()
}

pub(crate) async fn processed_template(
    ctx: &AwsContext,
    stack_id: &str,
) -> Result<String, AwsError> {
    let res = ctx
        .cloudformation()
        .get_template()
        .stack_name(stack_id)
        .template_stage(TemplateStage::Processed)
        .send()
        .await;
    match res {
        Ok(out) if out.template_body().is_some_and(|b| !b.trim().is_empty()) => {
            Ok(out.template_body().unwrap_or_default().to_string())
        }
        _ => cloudformation::template(ctx, stack_id).await,
    }
}

async fn log_groups_outside(
    ctx: &AwsContext,
    resources: &[StackResource],
) -> Result<Vec<String>, AwsError> {
    let mut out = Vec::new();
    for f in function_names(resources) {
        let group = log_group_of(&f);
        if resources
            .iter()
            .any(|r| r.physical_id.as_deref() == Some(group.as_str()))
        {
            continue;
        }
        let found = ctx
            .logs()
            .describe_log_groups()
            .log_group_name_prefix(&group)
            .limit(5)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DescribeLogGroups", e))?;
        if found
            .log_groups()
            .iter()
            .any(|g| g.log_group_name() == Some(group.as_str()))
        {
            out.push(group);
        }
    }
    Ok(out)
}

/// Plans several stacks (named, or discovered) at once, in order. `account` is asked once.
pub async fn plan_many(
    ctx: &AwsContext,
    stacks: Vec<Stack>,
    settings: &Settings,
) -> Result<(String, Vec<StackPlan>), AwsError> {
    let account = caller_account(ctx).await?;
    let plans: Vec<Result<StackPlan, AwsError>> = futures::stream::iter(
        stacks
            .into_iter()
            .map(|s| plan_stack(ctx, s, &account, settings))
            .collect::<Vec<_>>(),
    )
    .buffered(settings.concurrency.max(1))
    .collect()
    .await;
    let plans = plans.into_iter().collect::<Result<Vec<_>, _>>()?;
    Ok((account, plans))
}

/// The stacks `--abandoned` selects: discovered, assessed, abandoned (never protected).
pub async fn abandoned_stacks(
    ctx: &AwsContext,
    settings: &Settings,
) -> Result<Vec<Stack>, AwsError> {
    let stacks = cloudformation::discover(ctx, &settings.filters).await?;
    let assessed = activity::assess_all(ctx, stacks, &settings.policy, settings.now).await;
    Ok(assessed
        .into_iter()
        .filter(|(_, a)| a.abandoned && !a.protected)
        .map(|(s, _)| s)
        .collect())
}
