//! The shelf archive: its versioned manifest, where an archive lives, the order-free digest
//! of a table's items, and what a shelved stack cannot get back.

pub mod cfn_yaml;
mod digest;
mod location;
mod lost;
pub mod shelve;
pub mod template;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use digest::{ItemsDigest, hex, item_digest, sha256_hex};
pub use location::{Location, archive_name, configured as configured_locations, default_location};
pub use lost::{NotKept, not_kept};

/// The `format` field of every manifest.
pub const FORMAT: &str = "protoctl-archive";
/// The manifest version this build writes (and the highest it reads).
pub const VERSION: u32 = 1;
/// The manifest's file name, at the archive's root; written last.
pub const MANIFEST: &str = "manifest.json";
/// The stack's description (parameters, tags, outputs, resources), at the archive's root.
pub const STACK_FILE: &str = "stack.json";

/// One file of the archive: its path (relative, `/`-separated), size and sha256 (hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

/// A table in the archive: its schema file, its items file and what the items add up to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableEntry {
    pub logical_id: String,
    pub name: String,
    pub items: u64,
    /// The order-free digest of every item ([`ItemsDigest`]).
    pub items_digest: String,
    pub schema_file: String,
    pub items_file: String,
}

/// A bucket in the archive: its object index (one JSON line per object version kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BucketEntry {
    pub logical_id: String,
    pub name: String,
    /// Object versions kept (the latest of each key, or all with `all_versions`).
    pub objects: u64,
    /// Delete markers kept (only with `all_versions`).
    pub delete_markers: u64,
    pub bytes: u64,
    pub all_versions: bool,
    pub index_file: String,
}

/// A log group's events in the archive (JSON lines).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    pub group: String,
    pub events: u64,
    pub file: String,
}

/// A nested stack's template in the archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NestedEntry {
    pub logical_id: String,
    pub stack_id: String,
    pub template_file: String,
}

/// The archive's manifest: what it holds, with a sha256 for every other file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    pub stack_name: String,
    pub stack_id: String,
    pub account: String,
    pub region: String,
    pub archived_at: DateTime<Utc>,
    /// The template as deployed (the Original stage).
    pub template_file: String,
    pub nested: Vec<NestedEntry>,
    pub tables: Vec<TableEntry>,
    pub buckets: Vec<BucketEntry>,
    pub logs: Vec<LogEntry>,
    /// Parameters whose values could not be read back (NoEcho): give them on restore.
    pub no_echo: Vec<String>,
    /// What the archive does not hold, in words.
    pub not_kept: Vec<String>,
    pub files: Vec<FileEntry>,
}

impl Manifest {
    /// Every item of every table.
    pub fn items(&self) -> u64 {
        self.tables.iter().map(|t| t.items).sum()
    }

    /// Every object version of every bucket.
    pub fn objects(&self) -> u64 {
        self.buckets.iter().map(|b| b.objects).sum()
    }

    /// The archive's size: every file but the manifest.
    pub fn size_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }

    /// Checks the format and version this build can read.
    pub fn check_version(&self) -> Result<(), String> {
        if self.format != FORMAT {
            return Err(format!("not a protoctl archive (format {:?})", self.format));
        }
        if self.version > VERSION {
            return Err(format!(
                "archive format version {} is newer than this protoctl reads ({VERSION}): upgrade protoctl",
                self.version
            ));
        }
        Ok(())
    }
}

/// One object version in a bucket's index file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectEntry {
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    pub is_latest: bool,
    #[serde(default)]
    pub delete_marker: bool,
    pub last_modified: Option<DateTime<Utc>>,
    pub size: u64,
    /// sha256 (hex) of the bytes; empty for a delete marker.
    pub sha256: String,
    /// The data file in the archive; empty for a delete marker.
    pub file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_disposition: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<String>,
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub metadata: std::collections::BTreeMap<String, String>,
}

/// The order a bucket's versions are put back in: per key, oldest first, so the latest
/// ends up current.
pub fn restore_order(entries: &mut [ObjectEntry]) {
    entries.sort_by(|a, b| {
        a.key
            .cmp(&b.key)
            .then(a.is_latest.cmp(&b.is_latest))
            .then(a.last_modified.cmp(&b.last_modified))
    });
}

/// A stack parameter as archived (`value` is `None` for NoEcho parameters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParameterEntry {
    pub key: String,
    pub value: Option<String>,
    pub no_echo: bool,
}

/// `stack.json`: the stack as it was, besides its template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackFile {
    pub name: String,
    pub id: String,
    pub account: String,
    pub region: String,
    pub description: Option<String>,
    pub parameters: Vec<ParameterEntry>,
    pub tags: std::collections::BTreeMap<String, String>,
    pub outputs: std::collections::BTreeMap<String, String>,
    pub capabilities: Vec<String>,
    pub resources: Vec<ResourceEntry>,
}

/// One resource of the stack as it was (`type` as in `protoctl resources`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceEntry {
    pub logical_id: String,
    pub physical_id: Option<String>,
    #[serde(rename = "type")]
    pub resource_type: String,
    pub status: String,
}

impl From<&crate::domain::stack::StackResource> for ResourceEntry {
    fn from(r: &crate::domain::stack::StackResource) -> Self {
        Self {
            logical_id: r.logical_id.clone(),
            physical_id: r.physical_id.clone(),
            resource_type: r.resource_type.clone(),
            status: r.status.clone(),
        }
    }
}

/// A data file's path for object number `n` of bucket `logical_id`.
pub fn object_file(logical_id: &str, n: u64) -> String {
    format!("buckets/{}/data/{n:08}", path_segment(logical_id))
}

/// A name made safe as one path segment (logical ids already are; log groups are not).
pub fn path_segment(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let s = s.trim_start_matches('.').to_string();
    if s.is_empty() { "_".into() } else { s }
}

/// True when `path` (from a manifest) stays inside the archive: relative, no `..`.
pub fn is_safe_path(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && path
            .split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
}

#[cfg(test)]
mod tests;
