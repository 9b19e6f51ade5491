//! The teardown's checks right before it changes anything (blockers again, deletion
//! protection switched off when asked), and the truth when something went wrong: another run
//! deleted the stack first, or CloudFormation said which resources failed and why.

use serde_json::json;

use super::{FailedResource, OutcomeKind, Progress, Teardown, tree_blockers, tree_templates};
use crate::aws::cloudformation::{self, StackEvent};
use crate::domain::stack::StackResource;
use crate::domain::teardown::{Blocker, Refusal};

/// The refusal a blocker the flags do not lift makes.
pub fn blocker_refusal(b: &Blocker) -> Refusal {
    Refusal {
        guard: "blocked",
        reason: b.line(),
    }
}

/// "DELETE_FAILED: Table (AWS::DynamoDB::Table): <reason>; ..." naming every failed resource.
pub fn delete_failed_message(failed: &[FailedResource]) -> String {
    if failed.is_empty() {
        return "DELETE_FAILED, and CloudFormation named no failed resource (see the stack's \
                events: protoctl resources STACK, or the console's stack detail)"
            .to_owned();
    }
    let each: Vec<String> = failed
        .iter()
        .map(|f| {
            format!(
                "{} ({}): {}",
                f.logical_id,
                f.resource_type,
                f.reason.as_deref().unwrap_or("no reason given")
            )
        })
        .collect();
    format!(
        "DELETE_FAILED: {}; lift what blocks them and run again, or retry retaining them with \
         --retain-failed --yes",
        each.join("; ")
    )
}

/// The resources that failed to delete and why: resources in DELETE_FAILED with the reason
/// of their latest DELETE_FAILED event, or, when the resources cannot be listed, every
/// resource with a DELETE_FAILED event since the delete began (the stack's own excluded).
pub fn failed_from(
    stack_name: &str,
    resources: &[StackResource],
    events: &[StackEvent],
) -> Vec<FailedResource> {
    let reason_of = |id: &str| {
        events
            .iter()
            .find(|e| e.logical_id == id && e.status == "DELETE_FAILED")
            .and_then(|e| e.reason.clone())
    };
    let mut out: Vec<FailedResource> = resources
        .iter()
        .filter(|r| r.status == "DELETE_FAILED")
        .map(|r| FailedResource {
            logical_id: r.logical_id.clone(),
            resource_type: r.resource_type.clone(),
            reason: reason_of(&r.logical_id),
        })
        .collect();
    if out.is_empty() {
        for e in events {
            if e.status == "DELETE_FAILED"
                && e.logical_id != stack_name
                && e.resource_type != "AWS::CloudFormation::Stack"
                && !out.iter().any(|f| f.logical_id == e.logical_id)
            {
                out.push(FailedResource {
                    logical_id: e.logical_id.clone(),
                    resource_type: e.resource_type.clone(),
                    reason: e.reason.clone(),
                });
            }
        }
    }
    out
}

impl Teardown<'_> {
    /// The resources that failed to delete, read from the stack's resources and events.
    pub(super) async fn failed_resources(&self) -> Vec<FailedResource> {
        let resources = cloudformation::resources(self.ctx, &self.sp.stack.id)
            .await
            .unwrap_or_default();
        let events = cloudformation::events(self.ctx, &self.sp.stack.id, 200)
            .await
            .unwrap_or_default();
        failed_from(&self.sp.stack.name, &resources, &events)
    }

    /// Checks every blocker again (fresh lookups); `None` when one the flags do not lift
    /// appeared (refused), else the blockers found (the lifted ones to switch off).
    pub(super) async fn blockers_hold(
        &mut self,
        when: &str,
    ) -> Result<Option<Vec<Blocker>>, String> {
        (self.progress)(Progress::Phase(format!("checking blockers {when}")));
        let resources = cloudformation::resources(self.ctx, &self.sp.stack.id)
            .await
            .map_err(|e| e.to_string())?;
        let templates = tree_templates(self.ctx, &self.sp.stack.id, &resources)
            .await
            .map_err(|e| e.to_string())?;
        let found = tree_blockers(
            self.ctx,
            &self.sp.stack.name,
            &resources,
            &templates,
            self.settings.lifts,
            self.settings.now,
            self.settings.concurrency,
        )
        .await;
        let unlifted: Vec<Refusal> = found
            .blockers
            .iter()
            .filter(|b| !b.lifted)
            .map(blocker_refusal)
            .collect();
        if unlifted.is_empty() {
            let detail = format!(
                "{} blocker(s), all lifted by the flags",
                found.blockers.len()
            );
            self.step("blockers", when, true, detail);
            return Ok(Some(found.blockers));
        }
        let detail = unlifted
            .iter()
            .map(|r| r.reason.clone())
            .collect::<Vec<_>>()
            .join("; ");
        self.step("blockers", when, false, detail);
        self.outcome.refusals = unlifted;
        self.outcome.result = OutcomeKind::Refused;
        Ok(None)
    }

    /// Switches deletion protection off on each lifted blocker, each one audited first.
    pub(super) async fn lift_protection(&mut self, blockers: &[Blocker]) -> Result<(), String> {
        for b in blockers.iter().filter(|b| b.lifted) {
            let (Some(how), Some(physical)) = (&b.unprotect, b.physical_id.as_deref()) else {
                continue;
            };
            (self.progress)(Progress::Phase(format!(
                "switching deletion protection off on {}",
                b.logical_id
            )));
            self.audit_line(
                "disable_deletion_protection",
                json!({"logical_id": &b.logical_id, "resource_type": &b.resource_type,
                       "physical_id": physical, "via": how}),
            )?;
            match super::unprotect(self.ctx, how, &b.resource_type, physical).await {
                Ok(done) => self.step("disable_deletion_protection", physical, true, done),
                Err(e) => {
                    self.step(
                        "disable_deletion_protection",
                        physical,
                        false,
                        e.to_string(),
                    );
                    return Err(format!(
                        "{}: deletion protection could not be switched off ({e}); the stack was \
                         not deleted",
                        b.logical_id
                    ));
                }
            }
        }
        Ok(())
    }

    /// After a guard refused: if the stack is gone or being deleted, that is the news.
    pub(super) async fn after_refusal(&mut self) -> Result<(), String> {
        if let Some(truth) = self.other_run().await {
            return truth;
        }
        Ok(())
    }

    /// After a failed step: re-describe the stack by id and tell what is true.
    pub(super) async fn after_failure(&mut self, error: String) -> Result<(), String> {
        match self.other_run().await {
            Some(truth) => truth,
            None => Err(error),
        }
    }

    /// `Some` when the stack was deleted (or is being deleted) by someone else since the plan.
    async fn other_run(&mut self) -> Option<Result<(), String>> {
        let current = cloudformation::describe(self.ctx, &self.sp.stack.id)
            .await
            .ok()?;
        let status = current.as_ref().map(|s| s.status.as_str());
        match status {
            None | Some("DELETE_COMPLETE") => {
                let note = "already deleted by another run (or by hand) since the plan";
                self.step("stack_status", &self.sp.stack.id.clone(), true, note.into());
                self.outcome.refusals.clear();
                self.outcome.result = OutcomeKind::Deleted;
                self.outcome.note = Some(note.to_owned());
                self.outcome.error = None;
                Some(Ok(()))
            }
            Some("DELETE_IN_PROGRESS") => {
                self.outcome.refusals.clear();
                self.outcome.result = OutcomeKind::Refused;
                Some(Err(
                    "deletion in progress, started by another run (or by hand) since the plan; \
                     this run leaves it alone (follow it with protoctl stacks)"
                        .to_owned(),
                ))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn event(id: &str, ty: &str, status: &str, reason: Option<&str>) -> StackEvent {
        StackEvent {
            timestamp: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            logical_id: id.into(),
            resource_type: ty.into(),
            status: status.into(),
            reason: reason.map(str::to_owned),
        }
    }

    #[test]
    fn failed_resources_come_with_their_reasons() {
        let reason = "Resource handler returned message: \"Table cannot be deleted as deletion protection is enabled\"";
        let events = vec![
            event(
                "demo",
                "AWS::CloudFormation::Stack",
                "DELETE_FAILED",
                Some("The following resource(s) failed to delete: [Table]. "),
            ),
            event(
                "Table",
                "AWS::DynamoDB::Table",
                "DELETE_FAILED",
                Some(reason),
            ),
            event("Bucket", "AWS::S3::Bucket", "DELETE_COMPLETE", None),
        ];
        let resources = vec![StackResource {
            logical_id: "Table".into(),
            physical_id: Some("t".into()),
            resource_type: "AWS::DynamoDB::Table".into(),
            status: "DELETE_FAILED".into(),
            stack_path: "demo".into(),
        }];
        let from_resources = failed_from("demo", &resources, &events);
        let from_events = failed_from("demo", &[], &events);
        assert_eq!(from_resources, from_events);
        assert_eq!(from_events.len(), 1);
        let msg = delete_failed_message(&from_events);
        assert!(
            msg.contains("Table (AWS::DynamoDB::Table): Resource handler"),
            "{msg}"
        );
        assert!(!msg.contains("Unknown"));
        assert!(delete_failed_message(&[]).contains("named no failed resource"));
    }
}
