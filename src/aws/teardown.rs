//! Teardown against AWS: building a stack's plan (resources, deletion policies, bucket
//! contents, log groups outside the template, the caller's account), then executing it
//! (guards again, empty the buckets, DeleteStack by StackId, follow the events, delete the
//! surviving log groups), every step recorded in the audit log.

mod blockers;
mod buckets;
mod execute;
mod plan;
mod resume;
mod truth;

pub use blockers::{
    MAX_LOCK_CHECKS, StackBlockers, facts_of, live_properties, mark_blocked, object_lock,
    stack_blockers, tree_blockers, unprotect,
};
pub use buckets::{Emptying, empty_bucket, empty_bucket_with, measure_bucket};
use execute::Teardown;
pub use execute::execute;
pub(crate) use plan::processed_template;
pub use plan::{abandoned_stacks, caller_account, plan_many, plan_stack, tree_templates};
pub use resume::{
    SentDelete, delete_under_way, finish_sent_delete, unfinished_sent_delete, unfinished_shelve,
};

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::activity;
use crate::domain::discovery::TagFilter;
use crate::domain::teardown::Lifts;

pub use crate::domain::teardown::run::{
    FailedResource, Outcome, OutcomeKind, Progress, Settings, StackPlan, StepRecord,
};

/// Buckets emptied (and DeleteObjects requests in flight per bucket) at once by default.
pub const DEFAULT_CONCURRENCY: usize = 4;

impl Settings {
    /// Settings from the config file and the global flags.
    pub fn from_config(
        config: &crate::config::Config,
        filters: Vec<TagFilter>,
        read_only: bool,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            filters,
            policy: activity::policy_of(&config.abandon),
            blocked_accounts: config.teardown.blocked_accounts.clone(),
            allowed_accounts: config.teardown.allowed_accounts.clone(),
            concurrency: if config.teardown.concurrency == 0 {
                DEFAULT_CONCURRENCY
            } else {
                config.teardown.concurrency.min(64)
            },
            read_only,
            now,
            poll: Duration::from_secs(2),
            max_wait: Duration::from_secs(3600),
            lifts: Lifts::default(),
        }
    }

    fn allowed(&self) -> Option<&[String]> {
        (!self.allowed_accounts.is_empty()).then_some(self.allowed_accounts.as_slice())
    }
}
