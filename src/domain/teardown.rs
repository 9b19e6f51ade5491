//! Teardown of an abandoned stack: the plan of what goes and what survives, and the guards
//! that must all pass right before protoctl calls `DeleteStack`.
//!
//! Pure data in, pure data out; the AWS calls that gather the inputs live elsewhere.

mod blockers;
mod guards;
mod retained;
pub mod run;
mod template;
mod template_props;

use super::text::human_size;
use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::stack::{Stack, StackResource};

pub use blockers::{
    Blocker, Facts, Lift, Lifts, ObjectLockFacts, PROTECTED_TYPES, ResourceRef, SlowDelete,
    Unprotect, edge_functions, needs_cloud_control, repository_empties_itself, resource_blockers,
    slow_delete, unchecked_note,
};
pub use guards::{GuardInput, Refusal, account_from_stack_id, check_guards, guard};
pub use retained::{RetainedFate, retained_fate};
pub use template::{DeletionPolicy, PlanError, deletion_policies};
pub use template_props::{TemplateResource, template_resources};

const S3_BUCKET: &str = "AWS::S3::Bucket";
const LOG_GROUP: &str = "AWS::Logs::LogGroup";
const NESTED_STACK_TYPE: &str = crate::domain::nested::NESTED_STACK_TYPE;

/// One version or delete marker to delete: its key and version id (`None`: the null
/// version of a never-versioned bucket).
pub type VersionRef = (String, Option<String>);

/// Versions kept from the measuring pass for the emptying (bounds memory: a bigger bucket is
/// listed again while it is emptied).
pub const MAX_LISTED: usize = 100_000;

/// What an S3 bucket of the stack holds, measured before the plan is shown.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BucketContents {
    pub bucket: String,
    pub objects: u64,
    pub versions: u64,
    pub delete_markers: u64,
    pub bytes: u64,
    pub versioned: bool,
    /// Every version and delete marker the measuring pass saw (at most [`MAX_LISTED`]), so
    /// the emptying deletes them without listing the bucket again; `None` when there were
    /// more. Not part of the plan's JSON.
    #[serde(skip)]
    pub listed: Option<std::sync::Arc<Vec<VersionRef>>>,
}

impl BucketContents {
    /// One short phrase such as "12 objects, 40 versions, 3 delete markers, 1.5 MiB".
    pub fn summary(&self) -> String {
        if self.versioned {
            format!(
                "{} objects, {} versions, {} delete markers, {}",
                self.objects,
                self.versions,
                self.delete_markers,
                human_size(self.bytes)
            )
        } else {
            format!("{} objects, {}", self.objects, human_size(self.bytes))
        }
    }
}

/// What happens to one resource when the stack is torn down.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum PlanAction {
    Delete,
    /// An S3 bucket that must be emptied (all versions and delete markers) before deletion.
    EmptyThenDelete,
    /// Left in place by its `DeletionPolicy` (`policy` is the policy name, e.g. "Retain");
    /// `costs` is false for what costs nothing to keep.
    Survives {
        policy: String,
        costs: bool,
    },
    /// Lambda log groups not in the template, which a stack delete leaves behind.
    DeleteOutsideStack,
}

impl PlanAction {
    /// A short human-readable description of the action.
    pub fn describe(&self) -> String {
        match self {
            Self::Delete => "deleted with the stack".to_owned(),
            Self::EmptyThenDelete => "emptied, then deleted with the stack".to_owned(),
            Self::Survives { policy, costs } if *costs => {
                format!("survives (DeletionPolicy {policy}) and keeps costing")
            }
            Self::Survives { policy, .. } => {
                format!("survives (DeletionPolicy {policy}); costs nothing to keep")
            }
            Self::DeleteOutsideStack => "deleted separately (not part of the stack)".to_owned(),
        }
    }
}

/// One line of a teardown plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanStep {
    pub logical_id: Option<String>,
    pub physical_id: Option<String>,
    pub resource_type: String,
    pub action: PlanAction,
    pub note: Option<String>,
    /// A survivor that keeps data (a retained table's items, a pool's users): the plan
    /// makes it stand out.
    pub keeps_data: bool,
    /// The path of the stack that owns it (the root's name, then nested stack logical ids).
    pub stack_path: String,
}

impl PlanStep {
    /// The step's name in its tree: the logical id, after the path of its nested stack below
    /// the root `root` (`Data/Table`); `-` for a step outside the stack.
    pub fn tree_id(&self, root: &str) -> String {
        let id = self.logical_id.as_deref().unwrap_or("-");
        match crate::domain::nested::relative_path(root, &self.stack_path) {
            "" => id.to_owned(),
            rel => format!("{rel}{}{id}", crate::domain::nested::PATH_SEP),
        }
    }
}

/// The full teardown plan for one stack, with any refusals that block it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub stack_name: String,
    pub stack_id: String,
    pub account: String,
    pub region: String,
    pub steps: Vec<PlanStep>,
    pub buckets: Vec<BucketContents>,
    pub refusals: Vec<Refusal>,
    /// What stops CloudFormation from deleting resources (each says what lifts it).
    pub blockers: Vec<Blocker>,
    /// Deletes that are not blocked but take long.
    pub slow_deletes: Vec<SlowDelete>,
    /// Checks that could not be made (the plan says so; the template decided).
    pub unchecked: Vec<String>,
    /// The flags this plan was built with.
    pub lifts: Lifts,
}

impl Plan {
    /// True when no guard refused the teardown and the chosen flags lift every blocker.
    pub fn allowed(&self) -> bool {
        self.refusals.is_empty() && self.blocked_by().next().is_none()
    }

    /// Chooses the flags again (the console toggles them on the plan): each blocker is
    /// lifted or not by the new choice.
    pub fn relift(&mut self, lifts: Lifts) {
        self.lifts = lifts;
        for b in &mut self.blockers {
            b.lifted = lifts.covers(b.lift);
        }
    }

    /// The blockers the chosen flags do not lift.
    pub fn blocked_by(&self) -> impl Iterator<Item = &Blocker> {
        self.blockers.iter().filter(|b| !b.lifted)
    }

    /// The steps whose resource outlives the teardown (and keeps costing).
    pub fn surviving(&self) -> impl Iterator<Item = &PlanStep> {
        self.steps
            .iter()
            .filter(|s| matches!(s.action, PlanAction::Survives { .. }))
    }
}

/// Builds the teardown plan from the stack's resources and their deletion policies.
///
/// Resources already `DELETE_COMPLETE` are left out; resources missing from `policies` count
/// as `Delete`. `account` comes from the stack id (empty if it cannot be read).
pub fn build_plan(
    stack: &Stack,
    resources: &[StackResource],
    policies: &BTreeMap<String, DeletionPolicy>,
    buckets: Vec<BucketContents>,
    function_log_groups_outside_template: Vec<String>,
    refusals: Vec<Refusal>,
) -> Plan {
    build_plan_from(
        stack,
        resources,
        policies,
        &BTreeMap::new(),
        buckets,
        function_log_groups_outside_template,
        refusals,
    )
}

/// [`build_plan`] with the template's resources, so retained resources are told truly
/// (a Lambda version goes with its function; a table keeps its items and costs).
pub fn build_plan_from(
    stack: &Stack,
    resources: &[StackResource],
    policies: &BTreeMap<String, DeletionPolicy>,
    template: &BTreeMap<String, TemplateResource>,
    buckets: Vec<BucketContents>,
    function_log_groups_outside_template: Vec<String>,
    refusals: Vec<Refusal>,
) -> Plan {
    plan_with(
        stack,
        resources,
        |_| (policies, template),
        buckets,
        function_log_groups_outside_template,
        refusals,
    )
}

/// The deletion policies and template resources of one stack of a tree.
#[derive(Debug, Clone, Default)]
pub struct LevelRules {
    pub policies: BTreeMap<String, DeletionPolicy>,
    pub template: BTreeMap<String, TemplateResource>,
}

/// The plan of a stack tree: each resource judged by the rules of the stack that owns it
/// (`rules` by stack path), and everything under a retained nested stack survives with it.
pub fn build_tree_plan(
    stack: &Stack,
    resources: &[StackResource],
    rules: &BTreeMap<String, LevelRules>,
    buckets: Vec<BucketContents>,
    function_log_groups_outside_template: Vec<String>,
    refusals: Vec<Refusal>,
) -> Plan {
    let none = LevelRules::default();
    let mut plan = plan_with(
        stack,
        resources,
        |path| {
            let r = rules.get(path).unwrap_or(&none);
            (&r.policies, &r.template)
        },
        buckets,
        function_log_groups_outside_template,
        refusals,
    );
    keep_retained_subtrees(&mut plan.steps);
    plan
}

/// A nested stack that survives keeps every resource in it: their steps say so (and a
/// bucket in it is not emptied).
fn keep_retained_subtrees(steps: &mut [PlanStep]) {
    let kept: Vec<(String, String)> = steps
        .iter()
        .filter(|s| s.resource_type == NESTED_STACK_TYPE)
        .filter_map(|s| match &s.action {
            PlanAction::Survives { policy, .. } => Some((
                crate::domain::nested::child_path(&s.stack_path, s.logical_id.as_deref()?),
                policy.clone(),
            )),
            _ => None,
        })
        .collect();
    for step in steps.iter_mut() {
        let Some((path, policy)) = kept.iter().find(|(p, _)| {
            step.stack_path == *p
                || step
                    .stack_path
                    .strip_prefix(p.as_str())
                    .is_some_and(|rest| rest.starts_with(crate::domain::nested::PATH_SEP))
        }) else {
            continue;
        };
        if matches!(step.action, PlanAction::Survives { .. }) {
            continue;
        }
        step.action = PlanAction::Survives {
            policy: policy.clone(),
            costs: true,
        };
        step.keeps_data = step.keeps_data || step.resource_type == S3_BUCKET;
        step.note = Some(format!(
            "its nested stack {path} is retained (DeletionPolicy {policy}), so it stays"
        ));
    }
}

fn plan_with<'r>(
    stack: &Stack,
    resources: &[StackResource],
    rules_of: impl Fn(
        &str,
    ) -> (
        &'r BTreeMap<String, DeletionPolicy>,
        &'r BTreeMap<String, TemplateResource>,
    ),
    buckets: Vec<BucketContents>,
    function_log_groups_outside_template: Vec<String>,
    refusals: Vec<Refusal>,
) -> Plan {
    let mut steps: Vec<PlanStep> = resources
        .iter()
        .filter(|r| r.status != "DELETE_COMPLETE")
        .map(|r| {
            let (policies, template) = rules_of(&r.stack_path);
            resource_step(r, policies, template, &buckets)
        })
        .collect();

    let mut outside = function_log_groups_outside_template;
    outside.sort();
    outside.dedup();
    for group in outside {
        let in_stack = resources
            .iter()
            .any(|r| r.physical_id.as_deref() == Some(group.as_str()));
        if !in_stack {
            steps.push(PlanStep {
                logical_id: None,
                physical_id: Some(group),
                resource_type: LOG_GROUP.to_owned(),
                action: PlanAction::DeleteOutsideStack,
                note: Some("created by Lambda at first run; a stack delete leaves it".to_owned()),
                keeps_data: false,
                stack_path: stack.name.clone(),
            });
        }
    }

    Plan {
        stack_name: stack.name.clone(),
        stack_id: stack.id.clone(),
        account: account_from_stack_id(&stack.id).unwrap_or_default(),
        region: stack.region.clone(),
        steps,
        buckets,
        refusals,
        blockers: Vec::new(),
        slow_deletes: Vec::new(),
        unchecked: Vec::new(),
        lifts: Lifts::default(),
    }
}

fn resource_step(
    r: &StackResource,
    policies: &BTreeMap<String, DeletionPolicy>,
    template: &BTreeMap<String, TemplateResource>,
    buckets: &[BucketContents],
) -> PlanStep {
    let policy = policies
        .get(&r.logical_id)
        .copied()
        .unwrap_or(DeletionPolicy::Delete);
    let is_bucket = r.resource_type == S3_BUCKET;
    let contents = r
        .physical_id
        .as_deref()
        .and_then(|p| buckets.iter().find(|b| b.bucket == p));
    let mut keeps_data = false;
    let (action, note) = if policy.keeps_resource() {
        let fate = retained_fate(&r.logical_id, &r.resource_type, template, policies);
        let policy = policy.as_str().to_owned();
        match fate {
            RetainedFate::GoesWith(why) => (PlanAction::Delete, Some(why)),
            RetainedFate::Survives { costs, data, note } => {
                keeps_data = data;
                let note = match contents {
                    Some(c) => format!(
                        "keeps {}; {}",
                        c.summary(),
                        note.trim_start_matches("keeps its objects: ")
                    ),
                    None => note,
                };
                (PlanAction::Survives { policy, costs }, Some(note))
            }
        }
    } else if r.physical_id.is_none() {
        (
            PlanAction::Delete,
            Some("never created; nothing to remove".to_owned()),
        )
    } else if is_bucket {
        let note = contents.map_or_else(
            || "contents not measured".to_owned(),
            BucketContents::summary,
        );
        (PlanAction::EmptyThenDelete, Some(note))
    } else if policy == DeletionPolicy::Snapshot {
        let note = "a final snapshot is kept (DeletionPolicy Snapshot) and keeps costing";
        (PlanAction::Delete, Some(note.to_owned()))
    } else {
        (PlanAction::Delete, None)
    };
    PlanStep {
        logical_id: Some(r.logical_id.clone()),
        physical_id: r.physical_id.clone(),
        resource_type: r.resource_type.clone(),
        action,
        note,
        keeps_data,
        stack_path: r.stack_path.clone(),
    }
}

#[cfg(test)]
mod tests;
