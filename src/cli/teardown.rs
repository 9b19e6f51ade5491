//! `protoctl teardown [STACK...] [--abandoned] [--yes]`: the plan (nothing deleted), or with
//! `--yes` the teardown itself. Any refusal exits 1 with its reason and deletes nothing.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use serde::Serialize;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::Context;
use super::output::print_json;
use crate::aws::audit::{Audit, Entry, random_id};
use crate::aws::teardown::{self, Outcome, OutcomeKind, Progress, Settings, StackPlan};
use crate::aws::{AwsContext, AwsError, cloudformation};
use crate::cli::OutputFormat;
use crate::domain::discovery;
use crate::domain::sanitize::sanitize;
use crate::domain::stack::Stack;
use crate::domain::teardown::Lifts;
use crate::domain::teardown::{Blocker, Plan, Refusal};

mod resume;

use resume::{report_resumed, resume_sent_deletes};

/// The arguments of `protoctl teardown`.
#[derive(Debug, Clone, Args)]
pub struct TeardownArgs {
    /// Stack names or ids
    #[arg(value_name = "STACK")]
    pub stacks: Vec<String>,
    /// Every abandoned (and unprotected) prototype stack
    #[arg(long)]
    pub abandoned: bool,
    /// Really delete; without it only the plan is shown and nothing is deleted
    #[arg(long)]
    pub yes: bool,
    /// Retry stacks in DELETE_FAILED, retaining the resources that failed to delete
    #[arg(long)]
    pub retain_failed: bool,
    /// Switch deletion protection off (DynamoDB tables, Cognito user pools, RDS and the other
    /// protected types) right before DeleteStack, after the guards pass again; audited
    #[arg(long)]
    pub disable_deletion_protection: bool,
    /// Delete GOVERNANCE-retained object versions with the bypass header (needs the
    /// s3:BypassGovernanceRetention permission); COMPLIANCE retention is never bypassed
    #[arg(long)]
    pub bypass_governance_retention: bool,
    /// Audit log (default: audit.jsonl in the platform data dir)
    #[arg(long, value_name = "PATH")]
    pub audit_log: Option<PathBuf>,
}

#[derive(Serialize)]
struct PlanOut<'a> {
    #[serde(flatten)]
    plan: &'a Plan,
    allowed: bool,
    status: &'a str,
    last_activity: chrono::DateTime<chrono::Utc>,
    idle_days: i64,
    abandoned: bool,
    abandoned_reasons: &'a [String],
    protected: bool,
    protection_reasons: &'a [String],
    blocked: bool,
    blocked_reasons: &'a [String],
    /// What the teardown saves a month and what keeps costing (absent without an estimate).
    #[serde(skip_serializing_if = "Option::is_none")]
    cost: Option<&'a crate::domain::cost::Saving>,
}

impl<'a> PlanOut<'a> {
    fn of(sp: &'a StackPlan) -> Self {
        Self {
            plan: &sp.plan,
            allowed: sp.plan.allowed(),
            status: &sp.stack.status,
            last_activity: sp.assessment.last_activity,
            idle_days: sp.assessment.idle_days,
            abandoned: sp.assessment.abandoned,
            abandoned_reasons: &sp.assessment.abandoned_reasons,
            protected: sp.assessment.protected,
            protection_reasons: &sp.assessment.protection_reasons,
            blocked: sp.assessment.blocked,
            blocked_reasons: &sp.assessment.blocked_reasons,
            cost: None,
        }
    }
}

#[derive(Serialize)]
struct DoneOut<'a> {
    #[serde(flatten)]
    outcome: &'a Outcome,
    account: &'a str,
    region: &'a str,
    plan: &'a Plan,
}

/// Plans, and with `--yes` executes, the teardown of the chosen stacks.
pub async fn run(ctx: &Context, args: &TeardownArgs) -> anyhow::Result<ExitCode> {
    if args.stacks.is_empty() && !args.abandoned {
        eprintln!("protoctl: name the stacks to tear down, or pass --abandoned");
        return Ok(ExitCode::from(2));
    }
    if args.yes {
        ctx.ensure_writable("teardown")?;
    }
    let mut settings = Settings::from_config(
        &ctx.config,
        ctx.filters.clone(),
        ctx.read_only,
        ctx.clock.now(),
    );
    settings.lifts = Lifts {
        disable_deletion_protection: args.disable_deletion_protection,
        bypass_governance_retention: args.bypass_governance_retention,
    };
    let audit = Audit::new(
        args.audit_log
            .clone()
            .or_else(Audit::default_path)
            .ok_or_else(|| anyhow::anyhow!("no data dir for the audit log: pass --audit-log"))?,
    );
    let run_id = random_id();
    let cancel = CancellationToken::new();
    let c = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            c.cancel();
        }
    });
    let (resumed, rest) =
        resume_sent_deletes(ctx, args, &audit, &run_id, &settings, &cancel).await?;
    let resumed_failure = report_resumed(ctx, &resumed)?;
    if rest.stacks.is_empty() && !rest.abandoned {
        return match resumed_failure {
            Some(e) => Err(anyhow::anyhow!(e)),
            None => Ok(ExitCode::SUCCESS),
        };
    }
    let args = &rest;
    let chosen = choose_stacks(ctx, args, &settings).await?;
    // Each group of stacks is planned with the context that reaches it, its guards checked
    // against its own account; `reach[i]` is the context and account of `plans[i]`.
    let mut plans: Vec<StackPlan> = Vec::new();
    let mut reach: Vec<(AwsContext, String)> = Vec::new();
    for (gctx, group) in by_context(chosen) {
        let ids: Vec<(String, String)> = group
            .iter()
            .map(|s| (s.name.clone(), s.id.clone()))
            .collect();
        let (account, planned) = match Box::pin(teardown::plan_many(&gctx, group, &settings)).await
        {
            Ok(planned) => planned,
            Err(e) => return gone_while_planning(&gctx, &ids, e).await,
        };
        for sp in planned {
            reach.push((gctx.clone(), account.clone()));
            plans.push(sp);
        }
    }
    let mut retain: Vec<Vec<String>> = Vec::new();
    for (sp, (gctx, _)) in plans.iter_mut().zip(&reach) {
        retain.push(retain_list(gctx, sp, args.retain_failed).await?);
    }
    for sp in &mut plans {
        sp.assessment.blocked = sp.plan.blocked_by().next().is_some();
        sp.assessment.blocked_reasons = sp.plan.blocked_by().map(Blocker::line).collect();
    }
    let refusals: Vec<&Refusal> = plans.iter().flat_map(|p| &p.plan.refusals).collect();
    let blocked: Vec<(&str, &Blocker)> = plans
        .iter()
        .flat_map(|p| p.plan.blocked_by().map(|b| (p.stack.name.as_str(), b)))
        .collect();

    if !args.yes || !refusals.is_empty() || !blocked.is_empty() {
        for (sp, (_, account)) in plans.iter().zip(&reach) {
            let event = if args.yes { "refused" } else { "dry_run" };
            record(
                &audit,
                &run_id,
                account,
                sp,
                event,
                json!({"plan": &sp.plan, "assessment": &sp.assessment}),
            )?;
        }
        let savings = super::teardown_cost::savings(ctx, &plans).await;
        match ctx.output {
            OutputFormat::Json => {
                let out: Vec<PlanOut> = plans
                    .iter()
                    .zip(&savings)
                    .map(|(p, s)| PlanOut {
                        cost: s.as_ref(),
                        ..PlanOut::of(p)
                    })
                    .collect();
                print_json(&out)?;
            }
            OutputFormat::Table => print!(
                "{}{}",
                plans_text(&plans),
                super::teardown_cost::savings_text(&plans, &savings)
            ),
        }
        if refusals.is_empty() && blocked.is_empty() {
            if plans.is_empty() {
                eprintln!("protoctl: no stack to tear down");
            } else if ctx.output == OutputFormat::Table {
                eprintln!("dry run: nothing was deleted; run again with --yes to tear down");
            }
            return Ok(ExitCode::SUCCESS);
        }
        for (stack, b) in &blocked {
            progress_line(&format!(
                "protoctl: blocked: {}: {}",
                sanitize(stack),
                sanitize(&b.line())
            ));
        }
        let mut reasons: Vec<String> = refusals.iter().map(|r| r.reason.clone()).collect();
        if !blocked.is_empty() {
            reasons.push(format!(
                "{} blocker(s) (listed above) would make CloudFormation fail the delete",
                blocked.len()
            ));
        }
        anyhow::bail!("refused: {}; nothing was deleted", reasons.join("; "));
    }

    let mut outcomes = Vec::new();
    for ((sp, retain), (gctx, account)) in plans.iter().zip(&retain).zip(&reach) {
        let name = sanitize(&sp.stack.name).into_owned();
        let verbose = ctx.output == OutputFormat::Table;
        let progress = move |p: Progress| {
            if verbose {
                print_progress(&name, &p);
            }
        };
        let outcome = Box::pin(teardown::execute(
            gctx, sp, account, &settings, &audit, &run_id, retain, &progress, &cancel,
        ))
        .await;
        let stop = outcome.result != OutcomeKind::Deleted;
        outcomes.push(outcome);
        if stop {
            break;
        }
    }
    match ctx.output {
        OutputFormat::Json => {
            let out: Vec<DoneOut> = outcomes
                .iter()
                .zip(plans.iter().zip(&reach))
                .map(|(o, (sp, (_, account)))| DoneOut {
                    outcome: o,
                    account,
                    region: &sp.plan.region,
                    plan: &sp.plan,
                })
                .collect();
            print_json(&out)?;
        }
        OutputFormat::Table => {
            for o in &outcomes {
                let mut out = std::io::stdout().lock();
                writeln!(out, "{}", outcome_line(o))?;
                out.flush()?;
            }
        }
    }
    if let Some(bad) = outcomes.iter().find(|o| o.result != OutcomeKind::Deleted) {
        let reason = bad.error.clone().unwrap_or_else(|| {
            bad.refusals
                .iter()
                .map(|r| r.reason.clone())
                .collect::<Vec<_>>()
                .join("; ")
        });
        let left = plans.len()
            - outcomes
                .iter()
                .filter(|o| o.result == OutcomeKind::Deleted)
                .count();
        anyhow::bail!(
            "{} {}: {reason} ({left} stack(s) not deleted)",
            bad.stack_name,
            result_word(bad.result)
        );
    }
    if let Some(e) = resumed_failure {
        anyhow::bail!(e);
    }
    Ok(ExitCode::SUCCESS)
}

/// `NAME  deleted (note): error` for people.
pub(super) fn outcome_line(o: &Outcome) -> String {
    format!(
        "{}  {}{}{}",
        sanitize(&o.stack_name),
        result_word(o.result),
        o.note
            .as_deref()
            .map(|n| format!(" ({})", sanitize(n)))
            .unwrap_or_default(),
        o.error
            .as_deref()
            .map(|e| format!(": {}", sanitize(e)))
            .unwrap_or_default()
    )
}

/// When planning failed: if every stack is gone by now (another run deleted it), say so
/// and succeed; otherwise the planning error stands.
async fn gone_while_planning(
    aws: &AwsContext,
    ids: &[(String, String)],
    error: AwsError,
) -> anyhow::Result<ExitCode> {
    let mut gone = Vec::new();
    for (name, id) in ids {
        match cloudformation::describe(aws, id).await {
            Ok(None) => gone.push(name),
            Ok(Some(s)) if s.status == "DELETE_COMPLETE" => gone.push(name),
            _ => {}
        }
    }
    if ids.is_empty() || gone.len() < ids.len() {
        return Err(error.into());
    }
    let mut out = std::io::stdout().lock();
    for name in gone {
        writeln!(
            out,
            "{}  deleted (already deleted by another run while this one planned)",
            sanitize(name)
        )?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

pub(super) fn result_word(k: OutcomeKind) -> &'static str {
    match k {
        OutcomeKind::Deleted => "deleted",
        OutcomeKind::Refused => "refused",
        OutcomeKind::Failed => "failed",
        OutcomeKind::Cancelled => "cancelled",
    }
}

fn record(
    audit: &Audit,
    run: &str,
    account: &str,
    sp: &StackPlan,
    event: &str,
    detail: serde_json::Value,
) -> anyhow::Result<()> {
    audit
        .record(&Entry {
            time: chrono::Utc::now(),
            run,
            account,
            region: &sp.plan.region,
            stack_id: &sp.stack.id,
            stack_name: &sp.stack.name,
            event,
            detail,
        })
        .map_err(|e| anyhow::anyhow!(e))
}

/// The stacks of one context, in the order each context first appears.
fn by_context(chosen: Vec<(AwsContext, Stack)>) -> Vec<(AwsContext, Vec<Stack>)> {
    let mut groups: Vec<(AwsContext, Vec<Stack>)> = Vec::new();
    for (c, s) in chosen {
        match groups
            .iter_mut()
            .find(|(g, _)| g.profile == c.profile && g.region == c.region)
        {
            Some((_, g)) => g.push(s),
            None => groups.push((c, vec![s])),
        }
    }
    groups
}

/// The named stacks (any tags: the guards refuse untagged ones) and, with `--abandoned`,
/// the abandoned prototypes; each once, in order, with the context that reaches it.
async fn choose_stacks(
    ctx: &Context,
    args: &TeardownArgs,
    settings: &Settings,
) -> anyhow::Result<Vec<(AwsContext, Stack)>> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for name in &args.stacks {
        let shown = sanitize(name).into_owned();
        let stack = cloudformation::describe(&ctx.aws, name)
            .await?
            .filter(|s| !discovery::is_deleted_status(&s.status))
            .ok_or_else(|| {
                AwsError::new(
                    crate::aws::ErrorKind::NotFound,
                    format!("stack {shown:?} not found in {}", ctx.aws.region),
                )
            })?;
        if seen.insert(stack.id.clone()) {
            out.push((ctx.aws.clone(), stack));
        }
    }
    if !args.abandoned {
        return Ok(out);
    }
    if ctx.config.discovery.profiles.is_empty() {
        for s in teardown::abandoned_stacks(&ctx.aws, settings).await? {
            if seen.insert(s.id.clone()) {
                out.push((ctx.aws.clone(), s));
            }
        }
        return Ok(out);
    }
    // Every profile and region of the shelf; the stacks of an account the guards refuse
    // are kept (and said so), as protected ones are, so they do not stop the others.
    for (l, a) in super::stacks::assessed_shelf(ctx).await? {
        if !a.abandoned || a.protected || !seen.insert(l.stack.id.clone()) {
            continue;
        }
        if let Some(why) = account_refused(&l.account, settings) {
            progress_line(&format!(
                "protoctl: kept: {} ({}, profile {}): {why}",
                sanitize(&l.stack.name),
                sanitize(&l.account_label()),
                sanitize(l.profile.as_deref().unwrap_or("default"))
            ));
            continue;
        }
        out.push((l.ctx, l.stack));
    }
    Ok(out)
}

/// Why the account guards refuse `account`, if they do.
fn account_refused(account: &str, settings: &Settings) -> Option<&'static str> {
    if settings
        .blocked_accounts
        .iter()
        .any(|b| b.trim() == account)
    {
        return Some("its account is in blocked_accounts");
    }
    if !settings.allowed_accounts.is_empty()
        && !settings
            .allowed_accounts
            .iter()
            .any(|a| a.trim() == account)
    {
        return Some("its account is not in allowed_accounts");
    }
    None
}

/// With `--retain-failed`: the DELETE_FAILED resources to retain (a refusal when the stack
/// is not in DELETE_FAILED).
async fn retain_list(
    aws: &AwsContext,
    sp: &mut StackPlan,
    retain_failed: bool,
) -> anyhow::Result<Vec<String>> {
    if !retain_failed {
        return Ok(Vec::new());
    }
    if sp.stack.status != "DELETE_FAILED" {
        sp.plan.refusals.push(Refusal {
            guard: "retain_failed",
            reason: format!(
                "stack {} is {}, not DELETE_FAILED: --retain-failed only retries a failed delete",
                sp.stack.name, sp.stack.status
            ),
        });
        return Ok(Vec::new());
    }
    Ok(cloudformation::resources(aws, &sp.stack.id)
        .await?
        .into_iter()
        .filter(|r| r.status == "DELETE_FAILED" && r.stack_path == sp.stack.name)
        .map(|r| r.logical_id)
        .collect())
}

/// Writes one progress line to stderr and flushes it at once, so a log file (cron) holds
/// every line even when the run is killed.
pub(super) fn progress_line(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}");
    let _ = err.flush();
}

pub(super) fn print_progress(stack: &str, p: &Progress) {
    let line = match p {
        Progress::Phase(s) => format!("{stack}: {}", sanitize(s)),
        Progress::Bucket {
            bucket,
            deleted,
            total,
        } => format!("{stack}: {}: {deleted}/{total} deleted", sanitize(bucket)),
        Progress::Event(e) => format!(
            "{stack}: {} {} {}",
            sanitize(&e.logical_id),
            sanitize(&e.status),
            sanitize(e.reason.as_deref().unwrap_or(""))
        ),
    };
    progress_line(&line);
}

/// The plans as text for people (every AWS string sanitised).
pub fn plans_text(plans: &[StackPlan]) -> String {
    super::teardown_text::plans_text(plans)
}
