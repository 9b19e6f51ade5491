//! Executing a planned teardown: guards again, empty the buckets, DeleteStack by StackId,
//! follow the events, delete the surviving log groups, every step in the audit log first.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::buckets::{Emptying, empty_bucket_with};
use super::truth;
use super::{Outcome, OutcomeKind, Progress, Settings, StackPlan, StepRecord};
use crate::aws::audit::{Audit, Entry, random_id};
use crate::aws::cloudformation;
use crate::aws::{AwsContext, AwsError};
use crate::domain::discovery;
use crate::domain::teardown::{GuardInput, PlanAction, VersionRef, check_guards};

pub(super) struct Teardown<'a> {
    pub(super) ctx: &'a AwsContext,
    pub(super) sp: &'a StackPlan,
    pub(super) account: &'a str,
    pub(super) settings: &'a Settings,
    pub(super) audit: &'a Audit,
    pub(super) run: &'a str,
    pub(super) progress: &'a (dyn Fn(Progress) + Send + Sync),
    pub(super) cancel: &'a CancellationToken,
    pub(super) outcome: Outcome,
}

/// A bucket to empty: its name, what the plan counted, and the versions the plan listed.
type EmptyTarget = (String, u64, Option<Arc<Vec<VersionRef>>>);

/// Tears one planned stack down. `retain` (logical ids) is only for the retry of a stack in
/// DELETE_FAILED. Guards run again right before the buckets are emptied and right before
/// DeleteStack; any refusal stops everything. Every step goes to the audit log first.
#[allow(clippy::too_many_arguments)]
pub async fn execute(
    ctx: &AwsContext,
    sp: &StackPlan,
    account: &str,
    settings: &Settings,
    audit: &Audit,
    run_id: &str,
    retain: &[String],
    progress: &(dyn Fn(Progress) + Send + Sync),
    cancel: &CancellationToken,
) -> Outcome {
    let mut run = Teardown {
        ctx,
        sp,
        account,
        settings,
        audit,
        run: run_id,
        progress,
        cancel,
        outcome: Outcome {
            stack_name: sp.stack.name.clone(),
            stack_id: sp.stack.id.clone(),
            result: OutcomeKind::Failed,
            steps: Vec::new(),
            refusals: Vec::new(),
            failed_resources: Vec::new(),
            error: None,
            note: None,
        },
    };
    for (earlier, last_step) in audit.unfinished_runs(&sp.stack.id) {
        let _ = run.audit_line(
            "unfinished",
            json!({"run": earlier, "last_step": last_step, "note": "that run stopped without a result; this run carries on"}),
        );
    }
    if let Err(e) = run.audit_line(
        "plan",
        json!({"plan": &sp.plan, "assessment": &sp.assessment, "retain": retain}),
    ) {
        run.outcome.error = Some(format!("refused: {e}; nothing was deleted"));
        run.outcome.result = OutcomeKind::Refused;
        return run.outcome;
    }
    let result = run.go(retain).await;
    if let Err(e) = result {
        run.outcome.error = Some(e);
    }
    if run.outcome.result == OutcomeKind::Cancelled {
        let last_step = run.outcome.steps.last().map(|s| json!(s));
        let _ = run.audit_line(
            "interrupted",
            json!({"last_step": last_step, "note": "stopped between steps on request; run the teardown again to finish it"}),
        );
    }
    let outcome_json = json!({
        "result": run.outcome.result,
        "error": &run.outcome.error,
        "refusals": &run.outcome.refusals,
        "failed_resources": &run.outcome.failed_resources,
        "note": &run.outcome.note,
    });
    let _ = run.audit_line("result", outcome_json);
    run.outcome
}

impl Teardown<'_> {
    pub(super) fn audit_line(&self, event: &str, detail: serde_json::Value) -> Result<(), String> {
        self.audit.record(&Entry {
            time: Utc::now(),
            run: self.run,
            account: self.account,
            region: &self.sp.plan.region,
            stack_id: &self.sp.stack.id,
            stack_name: &self.sp.stack.name,
            event,
            detail,
        })
    }

    pub(super) fn step(&mut self, step: &str, target: &str, ok: bool, detail: String) {
        let rec = StepRecord {
            time: Utc::now(),
            step: step.to_string(),
            target: target.to_string(),
            ok,
            detail,
        };
        let _ = self.audit_line("step", json!(&rec));
        self.outcome.steps.push(rec);
        crate::aws::audit::stall_if_asked(step, self.cancel);
    }

    fn cancelled(&mut self) -> bool {
        if self.cancel.is_cancelled() {
            self.outcome.result = OutcomeKind::Cancelled;
            true
        } else {
            false
        }
    }

    /// Describes the stack again by StackId and runs every guard; false = refused.
    async fn guards_pass(&mut self, when: &str) -> Result<bool, String> {
        (self.progress)(Progress::Phase(format!("checking guards {when}")));
        let current = cloudformation::describe(self.ctx, &self.sp.stack.id)
            .await
            .map_err(|e| e.to_string())?;
        let input_stack = &self.sp.stack;
        let refusals = check_guards(&GuardInput {
            stack: input_stack,
            matches_discovery: discovery::matches_all(&self.settings.filters, &input_stack.tags),
            discovery_tags_text: discovery::describe_filters(&self.settings.filters),
            account: self.account,
            blocked_accounts: &self.settings.blocked_accounts,
            allowed_accounts: self.settings.allowed(),
            assessment: &self.sp.assessment,
            read_only: self.settings.read_only,
            redescribed: current.as_ref(),
        });
        let ok = refusals.is_empty();
        let detail = if ok {
            "all guards pass".to_string()
        } else {
            refusals
                .iter()
                .map(|r| r.reason.clone())
                .collect::<Vec<_>>()
                .join("; ")
        };
        self.step("guards", when, ok, detail);
        if !ok {
            self.outcome.refusals = refusals;
            self.outcome.result = OutcomeKind::Refused;
        }
        Ok(ok)
    }

    async fn go(&mut self, retain: &[String]) -> Result<(), String> {
        if !self.sp.plan.allowed() {
            self.outcome.refusals.clone_from(&self.sp.plan.refusals);
            self.outcome
                .refusals
                .extend(self.sp.plan.blocked_by().map(truth::blocker_refusal));
            self.outcome.result = OutcomeKind::Refused;
            self.step(
                "guards",
                "plan",
                false,
                "the plan was refused; nothing was deleted".into(),
            );
            return Ok(());
        }
        if !self.guards_pass("before emptying buckets").await? {
            return self.after_refusal().await;
        }
        if self.cancelled()
            || self
                .blockers_hold("before emptying buckets")
                .await?
                .is_none()
        {
            return Ok(());
        }
        if let Err(e) = self.empty_buckets().await {
            return self.after_failure(e).await;
        }
        if self.cancelled() {
            return Ok(());
        }
        if !self.guards_pass("before DeleteStack").await? {
            return self.after_refusal().await;
        }
        if self.cancelled() {
            return Ok(());
        }
        let Some(fresh) = self.blockers_hold("before DeleteStack").await? else {
            return Ok(());
        };
        self.lift_protection(&fresh).await?;
        let status = match self.delete_stack(retain).await {
            Ok(status) => status,
            Err(e) => return self.after_failure(e).await,
        };
        match status.as_str() {
            "DELETE_COMPLETE" => {}
            "DELETE_FAILED" => {
                self.outcome.failed_resources = self.failed_resources().await;
                self.outcome.result = OutcomeKind::Failed;
                return Err(truth::delete_failed_message(&self.outcome.failed_resources));
            }
            other if self.cancel.is_cancelled() => {
                self.outcome.result = OutcomeKind::Cancelled;
                return Err(format!(
                    "stopped following the delete ({other}); CloudFormation goes on with it"
                ));
            }
            other => return Err(format!("the stack delete ended in {other}")),
        }
        self.delete_outside_log_groups().await?;
        self.outcome.result = OutcomeKind::Deleted;
        Ok(())
    }

    async fn empty_buckets(&mut self) -> Result<(), String> {
        let targets: Vec<EmptyTarget> = self
            .sp
            .plan
            .steps
            .iter()
            .filter(|s| s.action == PlanAction::EmptyThenDelete)
            .filter_map(|s| s.physical_id.clone())
            .map(|b| {
                let measured = self.sp.plan.buckets.iter().find(|c| c.bucket == b);
                let total = measured.map_or(0, |c| c.versions + c.delete_markers);
                let listed = measured.and_then(|c| c.listed.clone());
                (b, total, listed)
            })
            .collect();
        if targets.is_empty() {
            return Ok(());
        }
        (self.progress)(Progress::Phase(format!(
            "emptying {} bucket(s)",
            targets.len()
        )));
        let conc = self.settings.concurrency.max(1);
        let opts = Emptying {
            concurrency: conc,
            bypass_governance: self.settings.lifts.bypass_governance_retention,
        };
        let (ctx, progress, cancel) = (self.ctx, self.progress, self.cancel);
        let results: Vec<(String, Result<u64, AwsError>)> = futures::stream::iter(
            targets
                .iter()
                .map(|(b, total, listed)| async move {
                    let r = empty_bucket_with(
                        ctx,
                        b,
                        *total,
                        listed.as_deref().map(Vec::as_slice),
                        opts,
                        progress,
                        cancel,
                    )
                    .await;
                    (b.clone(), r)
                })
                .collect::<Vec<_>>(),
        )
        .buffer_unordered(conc)
        .collect()
        .await;
        let mut first_err = None;
        for (bucket, r) in results {
            match r {
                Ok(n) => self.step(
                    "empty_bucket",
                    &bucket,
                    true,
                    format!("{n} versions and delete markers deleted"),
                ),
                Err(e) => {
                    self.step("empty_bucket", &bucket, false, e.to_string());
                    first_err.get_or_insert(e.to_string());
                }
            }
        }
        match first_err {
            Some(e) if self.cancel.is_cancelled() => {
                self.outcome.result = OutcomeKind::Cancelled;
                Err(e)
            }
            Some(e) => Err(format!("{e}; the stack was not deleted")),
            None => Ok(()),
        }
    }

    async fn delete_stack(&mut self, retain: &[String]) -> Result<String, String> {
        let token = format!("protoctl-{}", random_id());
        (self.progress)(Progress::Phase("deleting the stack".into()));
        let started = Utc::now() - chrono::Duration::seconds(2);
        let mut req = self
            .ctx
            .cloudformation()
            .delete_stack()
            .stack_name(&self.sp.stack.id)
            .client_request_token(&token);
        for r in retain {
            req = req.retain_resources(r);
        }
        if let Err(e) = req.send().await {
            let e = AwsError::from_sdk("DeleteStack", e);
            self.step(
                "delete_stack",
                &self.sp.stack.id.clone(),
                false,
                e.to_string(),
            );
            return Err(e.to_string());
        }
        let detail = if retain.is_empty() {
            format!("DeleteStack sent (ClientRequestToken {token})")
        } else {
            format!(
                "DeleteStack sent retaining {} (ClientRequestToken {token})",
                retain.join(", ")
            )
        };
        self.step("delete_stack", &self.sp.stack.id.clone(), true, detail);
        let status = self.follow(started).await?;
        let ok = status == "DELETE_COMPLETE";
        self.step(
            "stack_status",
            &self.sp.stack.id.clone(),
            ok,
            status.clone(),
        );
        Ok(status)
    }

    /// Polls the stack by id and streams its new events until the delete settles.
    async fn follow(&mut self, started: DateTime<Utc>) -> Result<String, String> {
        let deadline = tokio::time::Instant::now() + self.settings.max_wait;
        let mut seen: BTreeSet<(DateTime<Utc>, String, String)> = BTreeSet::new();
        loop {
            let events = cloudformation::events(self.ctx, &self.sp.stack.id, 100)
                .await
                .unwrap_or_default();
            for e in events.into_iter().rev() {
                if e.timestamp >= started
                    && seen.insert((e.timestamp, e.logical_id.clone(), e.status.clone()))
                {
                    (self.progress)(Progress::Event(e));
                }
            }
            let current = cloudformation::describe(self.ctx, &self.sp.stack.id)
                .await
                .map_err(|e| e.to_string())?;
            let status = current.map_or_else(|| "DELETE_COMPLETE".to_string(), |s| s.status);
            if status == "DELETE_COMPLETE" || status == "DELETE_FAILED" {
                return Ok(status);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(format!(
                    "still {status} after {} minutes; CloudFormation goes on with it",
                    self.settings.max_wait.as_secs() / 60
                ));
            }
            tokio::select! {
                () = self.cancel.cancelled() => return Ok(status),
                () = tokio::time::sleep(self.settings.poll) => {}
            }
        }
    }

    async fn delete_outside_log_groups(&mut self) -> Result<(), String> {
        let groups: Vec<String> = self
            .sp
            .plan
            .steps
            .iter()
            .filter(|s| s.action == PlanAction::DeleteOutsideStack)
            .filter_map(|s| s.physical_id.clone())
            .collect();
        let mut failed = None;
        for g in groups {
            (self.progress)(Progress::Phase(format!("deleting log group {g}")));
            let res = self
                .ctx
                .logs()
                .delete_log_group()
                .log_group_name(&g)
                .send()
                .await;
            match res.map_err(|e| AwsError::from_sdk("DeleteLogGroup", e)) {
                Ok(_) => self.step("delete_log_group", &g, true, "deleted".into()),
                Err(e) if e.is_not_found() => {
                    self.step("delete_log_group", &g, true, "already gone".into());
                }
                Err(e) => {
                    self.step("delete_log_group", &g, false, e.to_string());
                    failed.get_or_insert(e.to_string());
                }
            }
        }
        match failed {
            Some(e) => Err(format!("the stack is deleted but a log group is left: {e}")),
            None => Ok(()),
        }
    }
}
