//! A teardown run as data: what it depends on, the planned stacks, the progress it
//! reports and how each stack ended.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Lifts, Plan, Refusal};
use crate::domain::abandon::{AbandonPolicy, Assessment};
use crate::domain::discovery::TagFilter;
use crate::domain::stack::{Stack, StackEvent};

/// Everything the plan and the guards depend on besides the stack.
#[derive(Debug, Clone)]
pub struct Settings {
    pub filters: Vec<TagFilter>,
    pub policy: AbandonPolicy,
    pub blocked_accounts: Vec<String>,
    /// Empty = every account that is not blocked.
    pub allowed_accounts: Vec<String>,
    pub concurrency: usize,
    pub read_only: bool,
    pub now: DateTime<Utc>,
    /// Time between polls while following a stack delete.
    pub poll: Duration,
    /// Longest wait for DELETE_COMPLETE before giving up following (the delete goes on).
    pub max_wait: Duration,
    /// The flags that lift blockers (`--disable-deletion-protection`, ...).
    pub lifts: Lifts,
}

/// A stack, its assessment and its teardown plan.
#[derive(Debug, Clone, Serialize)]
pub struct StackPlan {
    pub stack: Stack,
    pub assessment: Assessment,
    pub plan: Plan,
}

/// What a running teardown reports as it goes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Progress {
    /// A phase starts ("checking guards", "emptying buckets", ...).
    Phase(String),
    /// Versions and delete markers removed from a bucket so far, of `total` planned.
    Bucket {
        bucket: String,
        deleted: u64,
        total: u64,
    },
    /// A new stack event while the delete runs.
    Event(StackEvent),
}

/// One step done (or refused, or failed), as recorded in the audit log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepRecord {
    pub time: DateTime<Utc>,
    pub step: String,
    pub target: String,
    pub ok: bool,
    pub detail: String,
}

/// A resource CloudFormation could not delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedResource {
    pub logical_id: String,
    pub resource_type: String,
    pub reason: Option<String>,
}

/// How a stack's teardown ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    Deleted,
    Refused,
    Failed,
    Cancelled,
}

/// The end of one stack's teardown: what was done and how it ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub stack_name: String,
    pub stack_id: String,
    pub result: OutcomeKind,
    pub steps: Vec<StepRecord>,
    pub refusals: Vec<Refusal>,
    /// On DELETE_FAILED: the resources that stopped the delete (retry retaining them).
    pub failed_resources: Vec<FailedResource>,
    pub error: Option<String>,
    /// What else is true, e.g. "already deleted by another run".
    pub note: Option<String>,
}
