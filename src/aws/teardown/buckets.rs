//! Buckets in a teardown: measuring their contents for the plan, and emptying them (every
//! version and delete marker) before the stack delete.

use std::collections::BTreeSet;
use std::time::Duration;

use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio_util::sync::CancellationToken;

use std::sync::Arc;

use super::Progress;
use crate::aws::{AwsContext, AwsError, ErrorKind, s3};
use crate::domain::teardown::{BucketContents, MAX_LISTED, VersionRef};

/// Keys per DeleteObjects request (the S3 maximum).
const DELETE_BATCH: usize = 1000;
/// Attempts of one DeleteObjects batch while S3 says SlowDown.
const SLOWDOWN_ATTEMPTS: u32 = 8;

/// Counts a bucket's objects, versions and delete markers (`None`: the bucket is gone), and
/// keeps what it saw (up to [`MAX_LISTED`]) for the emptying.
///
/// A bucket that was never versioned (GetBucketVersioning has no status) holds only null
/// versions and no delete markers, so ListObjectsV2 counts it; any other bucket is counted
/// with ListObjectVersions and counts as versioned when it holds real version ids or delete
/// markers.
pub async fn measure_bucket(
    ctx: &AwsContext,
    bucket: &str,
) -> Result<Option<BucketContents>, AwsError> {
    let never_versioned = match s3::versioning(ctx, bucket).await {
        Ok(status) => status.is_none(),
        Err(e) if e.is_not_found() => return Ok(None),
        // No permission to read the status: the version listing tells everything.
        Err(_) => false,
    };
    let mut c = BucketContents {
        bucket: bucket.to_string(),
        ..Default::default()
    };
    let mut listed: Vec<VersionRef> = Vec::new();
    let keep = |listed: &mut Vec<VersionRef>, key: Option<&str>, version: Option<&str>| {
        if listed.len() < MAX_LISTED
            && let Some(key) = key
        {
            // A "null" version id is kept: in a bucket versioned after it was written to,
            // deleting the key without it would only add a delete marker.
            listed.push((key.to_string(), version.map(ToString::to_string)));
        }
    };
    let found = if never_versioned {
        measure_objects(ctx, bucket, &mut c, &mut |k| {
            keep(&mut listed, Some(k), None);
        })
        .await?
    } else {
        measure_versions(ctx, bucket, &mut c, &mut |k, v| keep(&mut listed, k, v)).await?
    };
    if !found {
        return Ok(None);
    }
    let total = c.versions + c.delete_markers;
    if total <= MAX_LISTED as u64 && listed.len() as u64 == total {
        c.listed = Some(Arc::new(listed));
    }
    Ok(Some(c))
}

/// ListObjectsV2 pages of a never-versioned bucket (`s3::list_page`, keys exact); false
/// when the bucket is gone.
async fn measure_objects(
    ctx: &AwsContext,
    bucket: &str,
    c: &mut BucketContents,
    keep: &mut (dyn FnMut(&str) + Send),
) -> Result<bool, AwsError> {
    let mut token: Option<String> = None;
    loop {
        let page = match s3::list_page(ctx, bucket, "", None, token.as_deref(), s3::PAGE_KEYS).await
        {
            Ok(p) => p,
            Err(e) if e.is_not_found() => return Ok(false),
            Err(e) => return Err(e),
        };
        for o in &page.objects {
            c.objects += 1;
            c.versions += 1;
            c.bytes += o.size;
            keep(&o.key);
        }
        match page.next_token {
            Some(t) => token = Some(t),
            None => return Ok(true),
        }
    }
}

/// ListObjectVersions pages; false when the bucket is gone.
async fn measure_versions(
    ctx: &AwsContext,
    bucket: &str,
    c: &mut BucketContents,
    keep: &mut (dyn FnMut(Option<&str>, Option<&str>) + Send),
) -> Result<bool, AwsError> {
    let s3 = ctx.s3();
    let mut key_marker: Option<String> = None;
    let mut version_marker: Option<String> = None;
    loop {
        let page = s3
            .list_object_versions()
            .bucket(bucket)
            .max_keys(DELETE_BATCH as i32)
            .set_key_marker(key_marker.take())
            .set_version_id_marker(version_marker.take())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ListObjectVersions", e));
        let page = match page {
            Ok(p) => p,
            Err(e) if e.is_not_found() => return Ok(false),
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
            keep(v.key(), v.version_id());
        }
        for m in page.delete_markers() {
            c.delete_markers += 1;
            keep(m.key(), m.version_id());
        }
        c.versioned |= c.delete_markers > 0;
        if page.is_truncated() != Some(true) {
            return Ok(true);
        }
        key_marker = page.next_key_marker().map(ToString::to_string);
        version_marker = page.next_version_id_marker().map(ToString::to_string);
        if key_marker.is_none() && version_marker.is_none() {
            return Ok(true);
        }
    }
}

/// Deletes every version and delete marker of a bucket. What the plan's measuring pass saw
/// (`listed`) is deleted straight away, 1,000 keys a DeleteObjects request, `concurrency`
/// requests in flight; then the bucket is listed (ListObjectVersions) and whatever is left or
/// new is deleted the same way, each page's deletes running while the next page is listed,
/// until a listing finds nothing. SlowDown is backed off.
pub async fn empty_bucket(
    ctx: &AwsContext,
    bucket: &str,
    total: u64,
    listed: Option<&[VersionRef]>,
    concurrency: usize,
    progress: &(dyn Fn(Progress) + Send + Sync),
    cancel: &CancellationToken,
) -> Result<u64, AwsError> {
    let opts = Emptying {
        concurrency,
        bypass_governance: false,
    };
    empty_bucket_with(ctx, bucket, total, listed, opts, progress, cancel).await
}

/// How a bucket is emptied.
#[derive(Debug, Clone, Copy)]
pub struct Emptying {
    /// DeleteObjects requests in flight.
    pub concurrency: usize,
    /// Send `x-amz-bypass-governance-retention: true` (needs s3:BypassGovernanceRetention),
    /// so GOVERNANCE-retained versions are deleted too.
    pub bypass_governance: bool,
}

/// [`empty_bucket`] with the bypass of GOVERNANCE retention when asked.
pub async fn empty_bucket_with(
    ctx: &AwsContext,
    bucket: &str,
    total: u64,
    listed: Option<&[VersionRef]>,
    opts: Emptying,
    progress: &(dyn Fn(Progress) + Send + Sync),
    cancel: &CancellationToken,
) -> Result<u64, AwsError> {
    let s3 = ctx.s3();
    let concurrency = opts.concurrency.max(1);
    let mut run = Deleter {
        s3: &s3,
        bucket,
        total,
        bypass: opts.bypass_governance,
        concurrency,
        deleted: 0,
        inflight: FuturesUnordered::new(),
        progress,
    };
    if let Some(listed) = listed {
        for chunk in listed.chunks(DELETE_BATCH) {
            if cancel.is_cancelled() {
                return Err(AwsError::new(ErrorKind::Other, "cancelled"));
            }
            let ids = chunk
                .iter()
                .filter_map(|(k, v)| identifier(k, v.as_deref()))
                .collect();
            run.push(ids).await?;
        }
        run.drain().await?;
    }
    for _round in 0..5 {
        if !list_and_delete(&mut run, cancel).await? {
            return Ok(run.deleted);
        }
    }
    Err(AwsError::new(
        ErrorKind::Conflict,
        format!("bucket {bucket} keeps receiving new objects; not emptied"),
    ))
}

/// The key and version to delete. The version is sent as listed, `null` too: the null
/// version of a key (written before versioning was turned on, or while it was suspended)
/// is only deleted when named; a delete by key alone would put a delete marker on top.
fn identifier(key: &str, version: Option<&str>) -> Option<ObjectIdentifier> {
    ObjectIdentifier::builder()
        .key(key)
        .set_version_id(version.map(ToString::to_string))
        .build()
        .ok()
}

/// DeleteObjects batches in flight, each a spawned task so it runs while the caller lists.
struct Deleter<'a> {
    s3: &'a aws_sdk_s3::Client,
    bucket: &'a str,
    total: u64,
    bypass: bool,
    concurrency: usize,
    deleted: u64,
    inflight: FuturesUnordered<tokio::task::JoinHandle<Result<u64, AwsError>>>,
    progress: &'a (dyn Fn(Progress) + Send + Sync),
}

impl Deleter<'_> {
    /// Starts one batch, first waiting for a slot.
    async fn push(&mut self, ids: Vec<ObjectIdentifier>) -> Result<(), AwsError> {
        if ids.is_empty() {
            return Ok(());
        }
        while self.inflight.len() >= self.concurrency {
            self.next().await?;
        }
        let (s3, bucket, bypass) = (self.s3.clone(), self.bucket.to_string(), self.bypass);
        self.inflight.push(tokio::spawn(async move {
            delete_batch(&s3, &bucket, ids, bypass).await
        }));
        Ok(())
    }

    /// Waits for one batch to finish.
    async fn next(&mut self) -> Result<(), AwsError> {
        let Some(joined) = self.inflight.next().await else {
            return Ok(());
        };
        let n = joined
            .map_err(|e| AwsError::new(ErrorKind::Other, format!("delete task failed: {e}")))??;
        self.deleted += n;
        (self.progress)(Progress::Bucket {
            bucket: self.bucket.to_string(),
            deleted: self.deleted,
            total: self.total.max(self.deleted),
        });
        Ok(())
    }

    /// Waits for every batch.
    async fn drain(&mut self) -> Result<(), AwsError> {
        while !self.inflight.is_empty() {
            self.next().await?;
        }
        Ok(())
    }
}

/// One pass over ListObjectVersions, deleting each page while the next is listed. The last
/// key of a page is the next request's marker: its versions are held back and deleted with
/// the next page, so the marker still exists when it is listed from (some S3 emulators lose
/// their place when the marker key is gone). Returns whether anything was found.
async fn list_and_delete(
    run: &mut Deleter<'_>,
    cancel: &CancellationToken,
) -> Result<bool, AwsError> {
    let mut key_marker: Option<String> = None;
    let mut version_marker: Option<String> = None;
    let mut carry: Vec<ObjectIdentifier> = Vec::new();
    let mut found_any = false;
    loop {
        if cancel.is_cancelled() {
            run.drain().await.ok();
            return Err(AwsError::new(ErrorKind::Other, "cancelled"));
        }
        let room = DELETE_BATCH.saturating_sub(carry.len()).max(1);
        let page = run
            .s3
            .list_object_versions()
            .bucket(run.bucket)
            .max_keys(room as i32)
            .set_key_marker(key_marker.clone())
            .set_version_id_marker(version_marker.clone())
            .send()
            .await;
        let page = match page.map_err(|e| AwsError::from_sdk("ListObjectVersions", e)) {
            Ok(p) => p,
            Err(e) if e.is_not_found() => {
                run.drain().await?;
                return Ok(false);
            }
            Err(e) => return Err(e),
        };
        let mut ids = std::mem::take(&mut carry);
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
            if let Some(id) = key.and_then(|k| identifier(k, version)) {
                found_any = true;
                ids.push(id);
            }
        }
        let truncated = page.is_truncated() == Some(true);
        key_marker = page.next_key_marker().map(ToString::to_string);
        version_marker = page.next_version_id_marker().map(ToString::to_string);
        let more = truncated && (key_marker.is_some() || version_marker.is_some());
        if more && let Some(marker) = key_marker.as_deref() {
            let (held, now): (Vec<_>, Vec<_>) = ids.into_iter().partition(|id| id.key() == marker);
            carry = held;
            ids = now;
        }
        for chunk in ids.chunks(DELETE_BATCH) {
            run.push(chunk.to_vec()).await?;
        }
        if !more {
            run.drain().await?;
            return Ok(found_any);
        }
    }
}

/// One DeleteObjects request (quiet), retried with exponential backoff on SlowDown;
/// returns how many keys were deleted.
async fn delete_batch(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    ids: Vec<ObjectIdentifier>,
    bypass: bool,
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
            .set_bypass_governance_retention(bypass.then_some(true))
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
