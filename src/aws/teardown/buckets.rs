//! Buckets in a teardown: measuring their contents for the plan, and emptying them (every
//! version and delete marker) before the stack delete.

use std::collections::BTreeSet;
use std::time::Duration;

use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio_util::sync::CancellationToken;

use super::Progress;
use crate::aws::{AwsContext, AwsError, ErrorKind};
use crate::domain::teardown::BucketContents;

/// Keys per DeleteObjects request (the S3 maximum).
const DELETE_BATCH: usize = 1000;
/// Attempts of one DeleteObjects batch while S3 says SlowDown.
const SLOWDOWN_ATTEMPTS: u32 = 8;

/// Counts a bucket's objects, versions and delete markers (`None`: the bucket is gone).
/// One ListObjectVersions pass; a bucket counts as versioned when it holds real version ids
/// or delete markers.
pub async fn measure_bucket(
    ctx: &AwsContext,
    bucket: &str,
) -> Result<Option<BucketContents>, AwsError> {
    let s3 = ctx.s3();
    let mut c = BucketContents {
        bucket: bucket.to_string(),
        ..Default::default()
    };
    let mut key_marker: Option<String> = None;
    let mut version_marker: Option<String> = None;
    loop {
        let page = s3
            .list_object_versions()
            .bucket(bucket)
            .set_key_marker(key_marker.take())
            .set_version_id_marker(version_marker.take())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ListObjectVersions", e));
        let page = match page {
            Ok(p) => p,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e),
        };
        for v in page.versions() {
            c.versions += 1;
            // Versioning shows in the listing: real version ids (never "null").
            c.versioned |= v.version_id().is_some_and(|id| id != "null");
            c.bytes += v.size().unwrap_or(0).max(0) as u64;
            if v.is_latest().unwrap_or(false) {
                c.objects += 1;
            }
        }
        c.delete_markers += page.delete_markers().len() as u64;
        c.versioned |= c.delete_markers > 0;
        if page.is_truncated() != Some(true) {
            break;
        }
        key_marker = page.next_key_marker().map(ToString::to_string);
        version_marker = page.next_version_id_marker().map(ToString::to_string);
        if key_marker.is_none() && version_marker.is_none() {
            break;
        }
    }
    Ok(Some(c))
}

/// Deletes every version and delete marker of a bucket: pages of ListObjectVersions, each
/// page one DeleteObjects request (at most 1,000 keys), `concurrency` requests in flight,
/// backing off on SlowDown; then checks the bucket is empty (new writes: go again).
pub async fn empty_bucket(
    ctx: &AwsContext,
    bucket: &str,
    total: u64,
    concurrency: usize,
    progress: &(dyn Fn(Progress) + Send + Sync),
    cancel: &CancellationToken,
) -> Result<u64, AwsError> {
    let s3 = ctx.s3();
    let mut deleted = 0u64;
    for _round in 0..5 {
        let mut inflight = FuturesUnordered::new();
        let mut key_marker: Option<String> = None;
        let mut version_marker: Option<String> = None;
        let mut found_any = false;
        loop {
            if cancel.is_cancelled() {
                return Err(AwsError::new(ErrorKind::Other, "cancelled"));
            }
            let page = s3
                .list_object_versions()
                .bucket(bucket)
                .max_keys(DELETE_BATCH as i32)
                .set_key_marker(key_marker.clone())
                .set_version_id_marker(version_marker.clone())
                .send()
                .await;
            let page = match page.map_err(|e| AwsError::from_sdk("ListObjectVersions", e)) {
                Ok(p) => p,
                Err(e) if e.is_not_found() => return Ok(deleted),
                Err(e) => return Err(e),
            };
            let mut ids: Vec<ObjectIdentifier> = Vec::new();
            let pairs = page
                .versions()
                .iter()
                .map(|v| (v.key(), v.version_id()))
                .chain(
                    page.delete_markers()
                        .iter()
                        .map(|m| (m.key(), m.version_id())),
                );
            for (key, version) in pairs {
                let Some(key) = key else { continue };
                let mut id = ObjectIdentifier::builder().key(key);
                if let Some(v) = version.filter(|v| *v != "null") {
                    id = id.version_id(v);
                }
                if let Ok(id) = id.build() {
                    ids.push(id);
                }
            }
            found_any |= !ids.is_empty();
            for chunk in ids.chunks(DELETE_BATCH) {
                while inflight.len() >= concurrency.max(1) {
                    if let Some(r) = inflight.next().await {
                        deleted += r?;
                        progress(Progress::Bucket {
                            bucket: bucket.to_string(),
                            deleted,
                            total: total.max(deleted),
                        });
                    }
                }
                inflight.push(delete_batch(&s3, bucket, chunk.to_vec()));
            }
            if page.is_truncated() != Some(true) {
                break;
            }
            key_marker = page.next_key_marker().map(ToString::to_string);
            version_marker = page.next_version_id_marker().map(ToString::to_string);
            if key_marker.is_none() && version_marker.is_none() {
                break;
            }
        }
        while let Some(r) = inflight.next().await {
            deleted += r?;
            progress(Progress::Bucket {
                bucket: bucket.to_string(),
                deleted,
                total: total.max(deleted),
            });
        }
        if !found_any {
            return Ok(deleted);
        }
    }
    Err(AwsError::new(
        ErrorKind::Conflict,
        format!("bucket {bucket} keeps receiving new objects; not emptied"),
    ))
}

/// One DeleteObjects request (quiet), retried with exponential backoff on SlowDown;
/// returns how many keys were deleted.
async fn delete_batch(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    ids: Vec<ObjectIdentifier>,
) -> Result<u64, AwsError> {
    let mut pending = ids;
    let mut deleted = 0u64;
    let mut delay = Duration::from_millis(200);
    for attempt in 1..=SLOWDOWN_ATTEMPTS {
        let delete = Delete::builder()
            .set_objects(Some(pending.clone()))
            .quiet(true)
            .build()
            .map_err(|e| AwsError::new(ErrorKind::Invalid, format!("DeleteObjects: {e}")))?;
        let res = s3
            .delete_objects()
            .bucket(bucket)
            .delete(delete)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DeleteObjects", e));
        let out = match res {
            Ok(out) => out,
            Err(e) if e.kind == ErrorKind::Throttled && attempt < SLOWDOWN_ATTEMPTS => {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(10));
                continue;
            }
            Err(e) => return Err(e),
        };
        let errors = out.errors();
        if errors.is_empty() {
            deleted += pending.len() as u64;
            return Ok(deleted);
        }
        let slow: BTreeSet<(String, Option<String>)> = errors
            .iter()
            .filter(|e| matches!(e.code(), Some("SlowDown" | "InternalError")))
            .map(|e| {
                (
                    e.key().unwrap_or_default().to_string(),
                    e.version_id().map(ToString::to_string),
                )
            })
            .collect();
        if let Some(hard) = errors
            .iter()
            .find(|e| !matches!(e.code(), Some("SlowDown" | "InternalError")))
        {
            return Err(AwsError::from_code(
                "DeleteObjects",
                hard.code().unwrap_or("Unknown"),
                &format!(
                    "{} ({})",
                    hard.message().unwrap_or_default(),
                    hard.key().unwrap_or_default()
                ),
            ));
        }
        let before = pending.len() as u64;
        pending.retain(|id| {
            slow.contains(&(
                id.key().to_string(),
                id.version_id().map(ToString::to_string),
            ))
        });
        deleted += before - pending.len() as u64;
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(10));
    }
    Err(AwsError::new(
        ErrorKind::Throttled,
        format!("DeleteObjects on {bucket}: S3 kept answering SlowDown"),
    ))
}
