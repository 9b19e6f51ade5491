//! What shelving and restoring a stack take and give back: the options, the progress a
//! screen shows, the dry run's preview, the archive listing, and the restore's checks.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Manifest, NotKept};
use crate::domain::teardown::run::Outcome;

/// Requests in flight at once while archiving (objects, scan segments) or restoring.
pub const CONCURRENCY: usize = 16;

/// What shelving or restoring reports as it goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// A step starts ("reading the template", "verifying", "creating the stack", ...).
    Phase(String),
    /// Items of a table written (or loaded) so far.
    Items { table: String, items: u64 },
    /// Objects of a bucket written (or loaded) so far, and their bytes.
    Objects {
        bucket: String,
        objects: u64,
        bytes: u64,
    },
    /// Log events of a group written so far.
    Logs { group: String, events: u64 },
    /// Files of the archive checked so far, of `total`.
    Verified { files: u64, total: u64 },
    /// The teardown that follows a verified archive.
    Teardown(crate::domain::teardown::run::Progress),
}

/// How a stack is archived.
#[derive(Debug, Clone)]
pub struct ShelveOptions {
    /// Every object version and delete marker, not only the latest versions.
    pub all_versions: bool,
    /// Keep the log events of this last stretch of time.
    pub logs: Option<Duration>,
    /// Objects downloaded (and scan segments read) at once.
    pub concurrency: usize,
    pub now: DateTime<Utc>,
}

/// A table and bucket as the dry run shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PreviewEntry {
    pub logical_id: String,
    pub name: String,
    /// Items (DynamoDB's approximate count) or objects.
    pub count: Option<u64>,
}

/// What shelving a stack would archive, what it cannot keep, and where it would go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Preview {
    pub stack: String,
    pub location: String,
    pub tables: Vec<PreviewEntry>,
    pub buckets: Vec<PreviewEntry>,
    pub log_groups: usize,
    pub no_echo: Vec<String>,
    pub not_kept: Vec<NotKept>,
}

/// A stack shelved: where its archive is, what it holds, and how its teardown ended.
#[derive(Debug, Clone, Serialize)]
pub struct Shelved {
    pub location: String,
    pub manifest: Manifest,
    pub outcome: Outcome,
}

/// How to restore.
#[derive(Debug, Clone)]
pub struct RestoreOptions {
    /// The new stack's name (default: the archived stack's name).
    pub name: Option<String>,
    /// Parameter values to set (required for NoEcho parameters).
    pub params: BTreeMap<String, String>,
    /// Where the archive came from, for the `protoctl:restored-from` tag.
    pub source: String,
    /// Time between polls while the stack is created or updated.
    pub poll: Duration,
    /// Longest wait for the stack.
    pub max_wait: Duration,
    /// Writes in flight at once.
    pub concurrency: usize,
}

/// A table loaded back and checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableCheck {
    pub logical_id: String,
    pub name: String,
    pub expected_items: u64,
    pub items: u64,
    pub digest_matches: bool,
}

/// A bucket loaded back and checked (the latest version of each object).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BucketCheck {
    pub logical_id: String,
    pub name: String,
    pub expected_objects: u64,
    pub objects: u64,
    pub checksums_match: bool,
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RestoreReport {
    pub stack_name: String,
    pub stack_id: String,
    pub status: String,
    pub two_phase: bool,
    pub tables: Vec<TableCheck>,
    pub buckets: Vec<BucketCheck>,
}

impl RestoreReport {
    /// True when every count and checksum matched.
    pub fn verified(&self) -> bool {
        self.tables
            .iter()
            .all(|t| t.digest_matches && t.items == t.expected_items)
            && self
                .buckets
                .iter()
                .all(|b| b.checksums_match && b.objects == b.expected_objects)
    }
}

/// One archive as `protoctl archives` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArchiveSummary {
    pub stack: String,
    pub archived_at: DateTime<Utc>,
    pub location: String,
    pub size_bytes: u64,
    pub tables: usize,
    pub items: u64,
    pub buckets: usize,
    pub objects: u64,
    pub account: String,
    pub region: String,
    pub version: u32,
    /// Parameters whose values the archive lacks: to be given on restore.
    pub no_echo: Vec<String>,
}
