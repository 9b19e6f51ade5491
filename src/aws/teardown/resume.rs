//! Finishing a run that sent DeleteStack and was killed before it saw the end: the rerun finds
//! that run in the audit log, follows the stack by id without sending anything again, deletes
//! the log groups the plan listed outside the stack, and records the result for both runs.

use std::collections::BTreeSet;

use chrono::Utc;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::{Outcome, OutcomeKind, Settings, StepRecord};
use crate::aws::audit::{Audit, Entry};
use crate::aws::{AwsContext, AwsError, cloudformation};

/// An earlier run that sent DeleteStack for a stack and wrote no result.
#[derive(Debug, Clone, PartialEq)]
pub struct SentDelete {
    pub run: String,
    pub stack_id: String,
    pub stack_name: String,
    pub account: String,
    pub region: String,
    /// The last step that run recorded.
    pub last_step: Option<Value>,
    /// The plan that run recorded (its JSON), kept in the rerun's record.
    pub plan: Value,
    /// Log groups outside the stack that the plan deletes after the stack.
    pub outside_log_groups: Vec<String>,
    /// Where that run's verified archive is, when it was a shelve.
    pub archive: Option<String>,
}

/// What the audit log says about one run on one stack.
#[derive(Debug, Default)]
struct RunOnStack {
    run: String,
    stack_id: String,
    stack_name: String,
    account: String,
    region: String,
    plan: Option<Value>,
    last_step: Option<Value>,
    sent_delete: bool,
    archive: Option<String>,
    result: bool,
}

/// Every run the log holds, per stack, in order; and the runs a later finished run carried on.
fn runs_of(text: &str) -> (Vec<RunOnStack>, BTreeSet<String>) {
    let mut runs: Vec<RunOnStack> = Vec::new();
    let mut carried: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let text_of = |k: &str| v[k].as_str().unwrap_or_default().to_string();
        let (run, stack_id) = (text_of("run"), text_of("stack_id"));
        let found = runs
            .iter()
            .position(|r| r.run == run && r.stack_id == stack_id);
        let at = if let Some(i) = found {
            i
        } else {
            runs.push(RunOnStack {
                run: run.clone(),
                stack_id: stack_id.clone(),
                stack_name: text_of("stack_name"),
                account: text_of("account"),
                region: text_of("region"),
                ..RunOnStack::default()
            });
            runs.len() - 1
        };
        let r = &mut runs[at];
        match v["event"].as_str() {
            Some("plan") => r.plan = Some(v["detail"]["plan"].clone()),
            Some("step") => {
                let d = &v["detail"];
                if d["step"] == "delete_stack" && d["ok"] == true {
                    r.sent_delete = true;
                }
                r.last_step = Some(d.clone());
            }
            Some("archived") => r.archive = v["detail"]["location"].as_str().map(String::from),
            Some("unfinished") => {
                if let Some(earlier) = v["detail"]["run"].as_str() {
                    carried.push((run, earlier.to_string()));
                }
            }
            Some("result") => r.result = true,
            _ => {}
        }
    }
    let finished: BTreeSet<&str> = runs
        .iter()
        .filter(|r| r.result)
        .map(|r| r.run.as_str())
        .collect();
    let settled = carried
        .into_iter()
        .filter(|(by, _)| finished.contains(by.as_str()))
        .map(|(_, earlier)| earlier)
        .collect();
    (runs, settled)
}

/// The latest run on `stack` (a name or a stack id) that sent DeleteStack and never wrote a
/// result, unless a later run already finished it.
pub fn unfinished_sent_delete(audit: &Audit, stack: &str) -> Option<SentDelete> {
    let text = std::fs::read_to_string(audit.path()).ok()?;
    let (runs, settled) = runs_of(&text);
    let r = runs.into_iter().rev().find(|r| {
        (r.stack_name == stack || r.stack_id == stack)
            && r.sent_delete
            && !r.result
            && !settled.contains(&r.run)
    })?;
    let plan = r.plan.unwrap_or(Value::Null);
    let outside_log_groups = plan["steps"]
        .as_array()
        .map(|steps| {
            steps
                .iter()
                .filter(|s| s["action"] == "DeleteOutsideStack")
                .filter_map(|s| s["physical_id"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    Some(SentDelete {
        run: r.run,
        stack_id: r.stack_id,
        stack_name: r.stack_name,
        account: r.account,
        region: r.region,
        last_step: r.last_step,
        plan,
        outside_log_groups,
        archive: r.archive,
    })
}

/// The latest unfinished shelve of `stack_id` whose archive was verified and whose teardown had
/// begun (a plan recorded after the archive): its run id and the archive's location. A rerun
/// keeps that archive, since the teardown may already have emptied a bucket.
pub fn unfinished_shelve(audit: &Audit, stack_id: &str) -> Option<(String, String)> {
    let text = std::fs::read_to_string(audit.path()).ok()?;
    let (runs, settled) = runs_of(&text);
    runs.into_iter()
        .rev()
        .find(|r| {
            r.stack_id == stack_id
                && r.archive.is_some()
                && r.plan.is_some()
                && !r.result
                && !settled.contains(&r.run)
        })
        .and_then(|r| Some((r.run, r.archive?)))
}

/// True when `sent`'s stack is gone or being deleted, so following it is all that is left.
pub async fn delete_under_way(ctx: &AwsContext, sent: &SentDelete) -> Result<bool, AwsError> {
    let current = cloudformation::describe(ctx, &sent.stack_id).await?;
    Ok(current.is_none_or(|s| s.status == "DELETE_COMPLETE" || s.status == "DELETE_IN_PROGRESS"))
}

/// Follows the delete `sent` started to its end, sends no DeleteStack, deletes the log groups
/// its plan listed outside the stack, and records the outcome under `run_id`.
pub async fn finish_sent_delete(
    ctx: &AwsContext,
    audit: &Audit,
    sent: &SentDelete,
    run_id: &str,
    settings: &Settings,
    cancel: &CancellationToken,
) -> Outcome {
    let line = |event: &str, detail: Value| {
        let _ = audit.record(&Entry {
            time: Utc::now(),
            run: run_id,
            account: &sent.account,
            region: &sent.region,
            stack_id: &sent.stack_id,
            stack_name: &sent.stack_name,
            event,
            detail,
        });
    };
    line(
        "unfinished",
        json!({"run": &sent.run, "last_step": &sent.last_step,
               "note": "that run sent DeleteStack and stopped without a result; this run follows the delete and sends nothing again"}),
    );
    line("plan", json!({"plan": &sent.plan, "resumes": &sent.run}));
    let mut outcome = Outcome {
        stack_name: sent.stack_name.clone(),
        stack_id: sent.stack_id.clone(),
        result: OutcomeKind::Failed,
        steps: Vec::new(),
        refusals: Vec::new(),
        failed_resources: Vec::new(),
        error: None,
        note: None,
    };
    let step = |outcome: &mut Outcome, name: &str, target: &str, ok: bool, detail: String| {
        let rec = StepRecord {
            time: Utc::now(),
            step: name.to_string(),
            target: target.to_string(),
            ok,
            detail,
        };
        line("step", json!(&rec));
        outcome.steps.push(rec);
    };
    let status = follow(ctx, &sent.stack_id, settings, cancel).await;
    match status {
        Ok(s) if s == "DELETE_COMPLETE" => {
            step(
                &mut outcome,
                "stack_status",
                &sent.stack_id,
                true,
                format!("DELETE_COMPLETE (the delete run {} sent)", sent.run),
            );
            let mut failed = None;
            for g in &sent.outside_log_groups {
                let res = ctx.logs().delete_log_group().log_group_name(g).send().await;
                match res.map_err(|e| AwsError::from_sdk("DeleteLogGroup", e)) {
                    Ok(_) => step(&mut outcome, "delete_log_group", g, true, "deleted".into()),
                    Err(e) if e.is_not_found() => {
                        step(
                            &mut outcome,
                            "delete_log_group",
                            g,
                            true,
                            "already gone".into(),
                        );
                    }
                    Err(e) => {
                        step(&mut outcome, "delete_log_group", g, false, e.to_string());
                        failed.get_or_insert(e.to_string());
                    }
                }
            }
            if let Some(e) = failed {
                outcome.error = Some(format!("the stack is deleted but a log group is left: {e}"));
            } else {
                outcome.result = OutcomeKind::Deleted;
                outcome.note = Some(format!(
                    "the DeleteStack sent by run {} completed; nothing was sent again",
                    sent.run
                ));
            }
        }
        Ok(s) => {
            step(
                &mut outcome,
                "stack_status",
                &sent.stack_id,
                false,
                s.clone(),
            );
            outcome.result = if cancel.is_cancelled() {
                OutcomeKind::Cancelled
            } else {
                OutcomeKind::Failed
            };
            outcome.error = Some(format!(
                "the delete run {} sent ended in {s}; see protoctl teardown {} for what is left",
                sent.run, sent.stack_name
            ));
        }
        Err(e) => outcome.error = Some(e),
    }
    line(
        "result",
        json!({"result": outcome.result, "error": &outcome.error, "refusals": [],
               "failed_resources": [], "note": &outcome.note}),
    );
    outcome
}

/// Polls the stack by id until its delete settles (or the wait or a cancel ends it).
async fn follow(
    ctx: &AwsContext,
    stack_id: &str,
    settings: &Settings,
    cancel: &CancellationToken,
) -> Result<String, String> {
    let deadline = tokio::time::Instant::now() + settings.max_wait;
    loop {
        let current = cloudformation::describe(ctx, stack_id)
            .await
            .map_err(|e| e.to_string())?;
        let status = current.map_or_else(|| "DELETE_COMPLETE".to_string(), |s| s.status);
        if status != "DELETE_IN_PROGRESS" || cancel.is_cancelled() {
            return Ok(status);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(format!(
                "still {status} after {} minutes; CloudFormation goes on with it",
                settings.max_wait.as_secs() / 60
            ));
        }
        tokio::select! {
            () = cancel.cancelled() => {}
            () = tokio::time::sleep(settings.poll) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(run: &str, event: &str, detail: &Value) -> String {
        json!({"time": "2026-01-01T00:00:00Z", "run": run, "account": "1", "region": "r",
               "stack_id": "arn:s", "stack_name": "s", "event": event, "detail": detail})
        .to_string()
    }

    fn log(lines: &[String]) -> Audit {
        let dir = std::env::temp_dir().join(format!(
            "protoctl-resume-{}",
            crate::aws::audit::random_id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("audit.jsonl");
        std::fs::write(&path, lines.join("\n")).unwrap();
        Audit::new(path)
    }

    fn plan() -> Value {
        json!({"steps": [{"action": "DeleteOutsideStack", "physical_id": "/aws/lambda/f"},
                         {"action": "Delete", "physical_id": "t"}]})
    }

    #[test]
    fn a_killed_run_that_sent_delete_stack_is_found_once() {
        let sent = line("a", "step", &json!({"step": "delete_stack", "ok": true}));
        let audit = log(&[line("a", "plan", &json!({"plan": plan()})), sent.clone()]);
        let found = unfinished_sent_delete(&audit, "s").unwrap();
        assert_eq!(found.run, "a");
        assert_eq!(found.outside_log_groups, ["/aws/lambda/f"]);
        assert_eq!(found.last_step.unwrap()["step"], "delete_stack");
        assert!(unfinished_sent_delete(&audit, "arn:s").is_some());
        assert!(unfinished_sent_delete(&audit, "other").is_none());

        // Finished by a rerun: found no more.
        let audit = log(&[
            line("a", "plan", &json!({"plan": plan()})),
            sent.clone(),
            line("b", "unfinished", &json!({"run": "a"})),
            line("b", "plan", &json!({"plan": plan(), "resumes": "a"})),
            line("b", "result", &json!({"result": "deleted"})),
        ]);
        assert!(unfinished_sent_delete(&audit, "s").is_none());
        // A run with a result, or one that never sent DeleteStack, is not one.
        let audit = log(&[
            line("a", "plan", &json!({"plan": plan()})),
            sent,
            line("a", "result", &json!({"result": "failed"})),
            line("c", "plan", &json!({"plan": plan()})),
            line("c", "step", &json!({"step": "delete_stack", "ok": false})),
        ]);
        assert!(unfinished_sent_delete(&audit, "s").is_none());
    }

    #[test]
    fn a_shelve_is_kept_once_its_teardown_began() {
        let archived = line("a", "archived", &json!({"location": "/x/s-1"}));
        let audit = log(std::slice::from_ref(&archived));
        assert_eq!(
            unfinished_shelve(&audit, "arn:s"),
            None,
            "nothing deleted yet"
        );
        let audit = log(&[
            archived.clone(),
            line("a", "plan", &json!({"plan": plan()})),
        ]);
        assert_eq!(
            unfinished_shelve(&audit, "arn:s"),
            Some(("a".into(), "/x/s-1".into()))
        );
        let audit = log(&[
            archived,
            line("a", "plan", &json!({"plan": plan()})),
            line("a", "result", &json!({"result": "deleted"})),
        ]);
        assert_eq!(unfinished_shelve(&audit, "arn:s"), None);
    }
}
