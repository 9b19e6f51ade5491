//! Shelving: a stack's template, parameters, tables, buckets and (optionally) logs written
//! to an archive and verified against its manifest; restoring a stack from one; listing
//! the archives of a place. Progress goes through a callback, so a screen can show it.

mod files;
mod restore;
mod run;
mod store;
mod write;

pub use files::{hash_file, read_manifest, verify_dir};
pub use restore::{BucketCheck, RestoreOptions, RestoreReport, TableCheck, restore};
pub use run::{
    Preview, PreviewEntry, Shelved, TeardownRun, preview, restore_from, shelve_stack, target,
};
pub use store::{
    ArchiveSummary, download, list_archives, list_archives_of, staging_dir, upload, verify_remote,
};
pub use write::{ShelveOptions, write_archive};

use super::{AwsError, ErrorKind};

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
    Teardown(super::teardown::Progress),
}

/// The progress callback every long step takes.
pub type ProgressFn<'a> = &'a (dyn Fn(Progress) + Send + Sync);

fn io_error(what: &str, path: &std::path::Path, e: &std::io::Error) -> AwsError {
    AwsError::new(
        ErrorKind::Other,
        format!(
            "{what} {}: {}",
            crate::domain::sanitize::sanitize(&path.display().to_string()),
            super::s3::io_reason(e)
        ),
    )
}
