//! What the S3 screens and commands show: buckets, listings, object heads, previews,
//! versions and how a download went.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::stack::StackResource;

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

/// The CloudFormation type of a bucket.
pub const BUCKET_TYPE: &str = "AWS::S3::Bucket";

/// The buckets among a stack's resources (those with a physical name), in logical-id order.
pub fn stack_buckets(resources: &[StackResource]) -> Vec<BucketRef> {
    resources
        .iter()
        .filter(|r| r.resource_type == BUCKET_TYPE)
        .filter_map(|r| {
            r.physical_id.as_ref().map(|p| BucketRef {
                logical_id: r.logical_id.clone(),
                name: p.clone(),
            })
        })
        .collect()
}

/// Decodes a key sent with `encoding-type=url` (percent escapes, `+` for a space), the
/// way S3 returns keys that XML 1.0 cannot carry (control characters).
pub fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match hex_pair(b[i + 1], b[i + 2]) {
                Some(v) => {
                    out.push(v);
                    i += 2;
                }
                None => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn hex_pair(hi: u8, lo: u8) -> Option<u8> {
    let d = |c: u8| (c as char).to_digit(16);
    Some((d(hi)? * 16 + d(lo)?) as u8)
}

/// Orders versions by key, then the latest first, then newest first.
pub fn sort_versions(v: &mut [VersionEntry]) {
    v.sort_by(|a, b| {
        a.key
            .cmp(&b.key)
            .then(b.is_latest.cmp(&a.is_latest))
            .then(b.last_modified.cmp(&a.last_modified))
    });
}

/// The `s3://bucket/key` URI of an object (the key exactly as it is).
pub fn s3_uri(bucket: &str, key: &str) -> String {
    format!("s3://{bucket}/{key}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_of_a_stack() {
        let r = |l: &str, p: Option<&str>, t: &str| StackResource {
            logical_id: l.into(),
            physical_id: p.map(Into::into),
            resource_type: t.into(),
            status: "CREATE_COMPLETE".into(),
            stack_path: "demo".into(),
        };
        let rs = [
            r("DataBucket", Some("d-1"), BUCKET_TYPE),
            r("Fn", Some("f"), "AWS::Lambda::Function"),
            r("Pending", None, BUCKET_TYPE),
            r("ServerlessDeploymentBucket", Some("sls-1"), BUCKET_TYPE),
        ];
        let b = stack_buckets(&rs);
        assert_eq!(
            b.iter().map(|b| b.name.as_str()).collect::<Vec<_>>(),
            ["d-1", "sls-1"]
        );
    }

    #[test]
    fn versions_sort_latest_first_within_a_key() {
        let v = |k: &str, latest: bool, min: i64| VersionEntry {
            key: k.into(),
            version_id: Some(format!("{k}{min}")),
            is_latest: latest,
            delete_marker: false,
            size: Some(1),
            last_modified: Some(chrono::DateTime::from_timestamp(min * 60, 0).unwrap()),
            etag: None,
            storage_class: None,
        };
        let mut all = vec![
            v("b", false, 1),
            v("a", false, 2),
            v("b", true, 3),
            v("a", true, 5),
        ];
        sort_versions(&mut all);
        let ids: Vec<_> = all.iter().map(|v| v.version_id.clone().unwrap()).collect();
        assert_eq!(ids, ["a5", "a2", "b3", "b1"]);
    }

    #[test]
    fn url_encoded_keys_decode() {
        assert_eq!(url_decode("a+b%20c%2B%1B%E2%9C%93"), "a b c+\x1b✓");
        assert_eq!(url_decode("100%"), "100%");
        assert_eq!(url_decode("%zz%4"), "%zz%4");
    }

    #[test]
    fn uris_keep_the_key() {
        assert_eq!(s3_uri("b", "a b/ü.txt"), "s3://b/a b/ü.txt");
    }
}
