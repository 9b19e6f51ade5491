//! What the S3 screens and commands show: buckets, listings, object heads, previews,
//! versions and how a download went.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// A bucket the stack owns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BucketRef {
    pub logical_id: String,
    pub name: String,
}

/// One object of a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectEntry {
    pub key: String,
    pub size: u64,
    pub last_modified: Option<DateTime<Utc>>,
    pub etag: Option<String>,
    pub storage_class: Option<String>,
}

/// One page of a listing: the folders (common prefixes) and objects, and where to go on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPage {
    pub folders: Vec<String>,
    pub objects: Vec<ObjectEntry>,
    pub next_token: Option<String>,
}

/// Object count and total size of a bucket (or a prefix), counted so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BucketStats {
    pub objects: u64,
    pub bytes: u64,
}

/// What HeadObject says about one object (or one version of it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectHead {
    pub bucket: String,
    pub key: String,
    pub size: u64,
    pub last_modified: Option<DateTime<Utc>>,
    pub etag: Option<String>,
    pub content_type: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub storage_class: Option<String>,
    pub version_id: Option<String>,
}

/// The first bytes of an object, read with a bounded Range GET.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    pub bytes: Vec<u8>,
    /// The object's full size.
    pub total: u64,
}

impl Preview {
    /// True when the object is larger than what was read.
    pub fn truncated(&self) -> bool {
        (self.bytes.len() as u64) < self.total
    }
}

/// One version or delete marker of a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionEntry {
    pub key: String,
    pub version_id: Option<String>,
    pub is_latest: bool,
    pub delete_marker: bool,
    pub size: Option<u64>,
    pub last_modified: Option<DateTime<Utc>>,
    pub etag: Option<String>,
    pub storage_class: Option<String>,
}

/// One page of ListObjectVersions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionPage {
    pub folders: Vec<String>,
    pub versions: Vec<VersionEntry>,
    /// `(key marker, version id marker)` of the next page.
    pub next: Option<(String, Option<String>)>,
}

/// Progress of a download: bytes written so far of the total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
}

/// How a download ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownloadOutcome {
    /// Every byte was written (`bytes`), to `path` when downloading to a file.
    Done { bytes: u64, path: Option<PathBuf> },
    /// Cancelled; any partial file was removed.
    Cancelled,
}
