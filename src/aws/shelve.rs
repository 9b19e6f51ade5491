//! Shelving: a stack's template, parameters, tables, buckets and (optionally) logs written
//! to an archive and verified against its manifest; restoring a stack from one; listing
//! the archives of a place. Progress goes through a callback, so a screen can show it.

mod files;
mod restore;
mod run;
mod store;
mod write;

pub use files::{hash_file, read_manifest, verify_dir};
pub use restore::restore;
pub use run::{TeardownRun, preview, restore_from, shelve_stack, target};
pub use store::{download, list_archives, list_archives_of, staging_dir, upload, verify_remote};
pub use write::write_archive;

pub use crate::domain::archive::shelve::{
    ArchiveSummary, BucketCheck, CONCURRENCY, Preview, PreviewEntry, Progress, RestoreOptions,
    RestoreReport, ShelveOptions, Shelved, TableCheck,
};

use super::{AwsError, ErrorKind};

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
