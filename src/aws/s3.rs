//! S3: a stack's buckets, page-by-page listings, object heads, bounded previews, streamed
//! downloads, versions and presigned links. Returns domain types, never SDK types.

use std::time::Duration;

use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::types::EncodingType;
use tokio_util::sync::CancellationToken;

use super::{AwsContext, AwsError, ErrorKind, to_chrono};
use crate::domain::sanitize::sanitize;

mod transfer;

pub use transfer::{download, download_target, io_reason, preview, stream_to};

pub use crate::domain::text::{human_size, safe_file_name};

/// Keys asked for per ListObjectsV2 / ListObjectVersions page (the service maximum).
pub const PAGE_KEYS: i32 = 1000;

pub use crate::domain::s3::{
    BUCKET_TYPE, BucketRef, BucketStats, DownloadOutcome, ListPage, ObjectEntry, ObjectHead,
    Preview, Progress, VersionEntry, VersionPage, s3_uri, sort_versions, stack_buckets, url_decode,
};

/// A key as returned: decoded when the response says it is url-encoded.
fn key_of(s: Option<&str>, encoded: bool) -> String {
    let s = s.unwrap_or_default();
    if encoded {
        url_decode(s)
    } else {
        s.to_string()
    }
}

fn etag(s: Option<&str>) -> Option<String> {
    s.map(|e| e.trim_matches('"').to_string())
}

fn size(n: Option<i64>) -> u64 {
    n.unwrap_or(0).max(0) as u64
}

/// Lists one page under `prefix`; with a `delimiter` (usually `/`) sub-prefixes come back
/// as folders instead of their objects.
pub async fn list_page(
    ctx: &AwsContext,
    bucket: &str,
    prefix: &str,
    delimiter: Option<&str>,
    token: Option<&str>,
    max_keys: i32,
) -> Result<ListPage, AwsError> {
    let mut req = ctx
        .s3()
        .list_objects_v2()
        .bucket(bucket)
        .encoding_type(EncodingType::Url)
        .max_keys(max_keys);
    if !prefix.is_empty() {
        req = req.prefix(prefix);
    }
    if let Some(d) = delimiter {
        req = req.delimiter(d);
    }
    if let Some(t) = token {
        req = req.continuation_token(t);
    }
    let out = req
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("ListObjectsV2", e))?;
    let enc = out.encoding_type() == Some(&EncodingType::Url);
    let folders = out
        .common_prefixes()
        .iter()
        .filter(|p| p.prefix().is_some())
        .map(|p| key_of(p.prefix(), enc))
        .collect();
    let objects = out
        .contents()
        .iter()
        .map(|o| ObjectEntry {
            key: key_of(o.key(), enc),
            size: size(o.size()),
            last_modified: o.last_modified().map(to_chrono),
            etag: etag(o.e_tag()),
            storage_class: o.storage_class().map(|s| s.as_str().to_string()),
        })
        .collect();
    let next_token = if out.is_truncated().unwrap_or(false) {
        out.next_continuation_token().map(ToString::to_string)
    } else {
        None
    };
    Ok(ListPage {
        folders,
        objects,
        next_token,
    })
}

/// Counts the objects and bytes under `prefix`, page by page, reporting each page's
/// running total to `progress`; stops early (returning what was counted) when cancelled.
pub async fn count(
    ctx: &AwsContext,
    bucket: &str,
    prefix: &str,
    cancel: &CancellationToken,
    mut progress: impl FnMut(BucketStats),
) -> Result<BucketStats, AwsError> {
    let mut stats = BucketStats::default();
    let mut token: Option<String> = None;
    loop {
        let page = tokio::select! {
            () = cancel.cancelled() => return Ok(stats),
            p = list_page(ctx, bucket, prefix, None, token.as_deref(), PAGE_KEYS) => p?,
        };
        stats.objects += page.objects.len() as u64;
        stats.bytes += page.objects.iter().map(|o| o.size).sum::<u64>();
        progress(stats);
        match page.next_token {
            Some(t) => token = Some(t),
            None => return Ok(stats),
        }
    }
}

/// The bucket's versioning status (`Enabled`, `Suspended`, or `None` when never set).
pub async fn versioning(ctx: &AwsContext, bucket: &str) -> Result<Option<String>, AwsError> {
    let req = ctx.s3().get_bucket_versioning().bucket(bucket);
    let res = if ctx.endpoint_url.is_some() {
        req.customize()
            .interceptor(EmptyVersioningRoot)
            .send()
            .await
    } else {
        req.send().await
    };
    let out = res.map_err(|e| AwsError::from_sdk("GetBucketVersioning", e))?;
    Ok(out.status().map(|s| s.as_str().to_string()))
}

/// A bucket's versioning status as the emulator wrote it (`None`: never versioned).
#[derive(Debug, PartialEq, Eq)]
struct VersioningStatus(Option<String>);

/// The status in a GetBucketVersioning body whose root is `GetBucketVersioningResponse`
/// instead of S3's `VersioningConfiguration` (how the emulator answers, which the SDK's
/// parser rejects); `None` for any other body.
fn foreign_versioning_body(body: &[u8]) -> Option<VersioningStatus> {
    let mut text = std::str::from_utf8(body).ok()?.trim();
    if let Some(rest) = text.strip_prefix("<?xml") {
        text = rest[rest.find("?>")? + 2..].trim();
    }
    let rest = text.strip_prefix("<GetBucketVersioningResponse")?;
    if !rest.starts_with([' ', '>', '/']) {
        return None;
    }
    let open_end = rest.find('>')?;
    if rest[..open_end].ends_with('/') {
        return (open_end + 1 == rest.len()).then_some(VersioningStatus(None));
    }
    let inner = rest[open_end + 1..].strip_suffix("</GetBucketVersioningResponse>")?;
    let status = match inner.split_once("<Status>") {
        Some((_, after)) => Some(after.split_once("</Status>")?.0.trim().to_string()),
        None => None,
    };
    match status.as_deref() {
        None | Some("Enabled" | "Suspended") => Some(VersioningStatus(status)),
        Some(_) => None,
    }
}

/// On a custom endpoint only: reads the emulator's GetBucketVersioning answer (another root
/// element than S3's) into the output S3's answer would give, so the caller can rely on the
/// status. Any other response, error or body is left untouched.
#[derive(Debug)]
struct EmptyVersioningRoot;

impl aws_smithy_runtime_api::client::interceptors::Intercept for EmptyVersioningRoot {
    fn name(&self) -> &'static str {
        "EmptyVersioningRoot"
    }

    fn modify_before_attempt_completion(
        &self,
        context: &mut aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextMut<'_>,
        _runtime_components: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        _cfg: &mut aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        let Some(status) = context
            .response()
            .filter(|r| r.status().is_success())
            .and_then(|r| r.body().bytes())
            .and_then(foreign_versioning_body)
        else {
            return Ok(());
        };
        if let Some(slot) = context.output_or_error_mut()
            && slot.is_err()
        {
            *slot = Ok(aws_smithy_runtime_api::client::interceptors::context::Output::erase(
                    aws_sdk_s3::operation::get_bucket_versioning::GetBucketVersioningOutput::builder()
                        .set_status(status.0.as_deref().map(aws_sdk_s3::types::BucketVersioningStatus::from))
                        .build(),
                ));
        }
        Ok(())
    }
}

/// HeadObject: size, dates, ETag, content type, user metadata, storage class, version.
pub async fn head(
    ctx: &AwsContext,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
) -> Result<ObjectHead, AwsError> {
    let out = ctx
        .s3()
        .head_object()
        .bucket(bucket)
        .key(key)
        .set_version_id(version_id.map(ToString::to_string))
        .send()
        .await
        .map_err(|e| not_found_key(AwsError::from_sdk("HeadObject", e), bucket, key))?;
    Ok(ObjectHead {
        bucket: bucket.to_string(),
        key: key.to_string(),
        size: size(out.content_length()),
        last_modified: out.last_modified().map(to_chrono),
        etag: etag(out.e_tag()),
        content_type: out.content_type().map(ToString::to_string),
        metadata: out
            .metadata()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
        storage_class: Some(
            out.storage_class()
                .map_or("STANDARD", |s| s.as_str())
                .to_string(),
        ),
        version_id: out.version_id().map(ToString::to_string),
    })
}

/// HeadObject answers a missing key with a bare 404: say which key.
fn not_found_key(e: AwsError, bucket: &str, key: &str) -> AwsError {
    if e.is_not_found() || e.code.as_deref() == Some("NotFound") {
        AwsError::new(
            ErrorKind::NotFound,
            format!(
                "no object {:?} in bucket {}",
                sanitize(key),
                sanitize(bucket)
            ),
        )
    } else {
        e
    }
}

/// One page of ListObjectVersions under `prefix` (versions and delete markers merged,
/// by key, newest first within a key).
pub async fn versions_page(
    ctx: &AwsContext,
    bucket: &str,
    prefix: &str,
    delimiter: Option<&str>,
    marker: Option<&(String, Option<String>)>,
    max_keys: i32,
) -> Result<VersionPage, AwsError> {
    let mut req = ctx
        .s3()
        .list_object_versions()
        .bucket(bucket)
        .encoding_type(EncodingType::Url)
        .max_keys(max_keys);
    if !prefix.is_empty() {
        req = req.prefix(prefix);
    }
    if let Some(d) = delimiter {
        req = req.delimiter(d);
    }
    if let Some((k, v)) = marker {
        req = req.key_marker(k).set_version_id_marker(v.clone());
    }
    let out = req
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("ListObjectVersions", e))?;
    // Some servers (emulators) ignore encoding-type: decode only what says it is encoded.
    let enc = out.encoding_type() == Some(&EncodingType::Url);
    let mut versions: Vec<VersionEntry> = out
        .versions()
        .iter()
        .map(|v| VersionEntry {
            key: key_of(v.key(), enc),
            version_id: v.version_id().map(ToString::to_string),
            is_latest: v.is_latest().unwrap_or(false),
            delete_marker: false,
            size: Some(size(v.size())),
            last_modified: v.last_modified().map(to_chrono),
            etag: etag(v.e_tag()),
            storage_class: v.storage_class().map(|s| s.as_str().to_string()),
        })
        .collect();
    versions.extend(out.delete_markers().iter().map(|d| VersionEntry {
        key: key_of(d.key(), enc),
        version_id: d.version_id().map(ToString::to_string),
        is_latest: d.is_latest().unwrap_or(false),
        delete_marker: true,
        size: None,
        last_modified: d.last_modified().map(to_chrono),
        etag: None,
        storage_class: None,
    }));
    sort_versions(&mut versions);
    let folders = out
        .common_prefixes()
        .iter()
        .filter(|p| p.prefix().is_some())
        .map(|p| key_of(p.prefix(), enc))
        .collect();
    let next = if out.is_truncated().unwrap_or(false) {
        out.next_key_marker().map(|k| {
            (
                key_of(Some(k), enc),
                out.next_version_id_marker().map(ToString::to_string),
            )
        })
    } else {
        None
    };
    Ok(VersionPage {
        folders,
        versions,
        next,
    })
}

/// Every version and delete marker of `key` exactly (or of every key under it when
/// `exact` is false), up to `limit` entries.
pub async fn versions(
    ctx: &AwsContext,
    bucket: &str,
    key: &str,
    exact: bool,
    limit: usize,
) -> Result<(Vec<VersionEntry>, bool), AwsError> {
    let mut out = Vec::new();
    let mut marker: Option<(String, Option<String>)> = None;
    loop {
        let page = versions_page(ctx, bucket, key, None, marker.as_ref(), PAGE_KEYS).await?;
        out.extend(page.versions.into_iter().filter(|v| !exact || v.key == key));
        if out.len() >= limit {
            out.truncate(limit);
            return Ok((out, true));
        }
        match page.next {
            // Past the exact key: nothing more of it can follow.
            Some((k, _)) if exact && k.as_str() > key => return Ok((out, false)),
            Some(m) => marker = Some(m),
            None => return Ok((out, false)),
        }
    }
}

/// A presigned GET URL for the object, valid for `expiry`.
pub async fn presign_get(
    ctx: &AwsContext,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
    expiry: Duration,
) -> Result<String, AwsError> {
    let config = PresigningConfig::expires_in(expiry).map_err(|e| {
        AwsError::new(
            ErrorKind::Config,
            format!("[s3] presign_expiry: {e} (at most 7 days)"),
        )
    })?;
    let req = ctx
        .s3()
        .get_object()
        .bucket(bucket)
        .key(key)
        .set_version_id(version_id.map(ToString::to_string))
        .presigned(config)
        .await
        .map_err(|e| AwsError::from_sdk("GetObject (presign)", e))?;
    Ok(req.uri().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_emulators_versioning_answer_and_nothing_else() {
        let moto = b"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<GetBucketVersioningResponse xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>";
        assert_eq!(foreign_versioning_body(moto), Some(VersioningStatus(None)));
        assert_eq!(
            foreign_versioning_body(b"<GetBucketVersioningResponse/>"),
            Some(VersioningStatus(None))
        );
        assert_eq!(
            foreign_versioning_body(
                b"<GetBucketVersioningResponse xmlns=\"x\"><Status>Enabled</Status></GetBucketVersioningResponse>"
            ),
            Some(VersioningStatus(Some("Enabled".into())))
        );
        assert_eq!(
            foreign_versioning_body(
                b"<GetBucketVersioningResponse><Status>Suspended</Status><MfaDelete>Disabled</MfaDelete></GetBucketVersioningResponse>"
            ),
            Some(VersioningStatus(Some("Suspended".into())))
        );
        for other in [
            &b"<GetBucketVersioningResponse><Status>Bogus</Status></GetBucketVersioningResponse>"[..],
            b"<GetBucketVersioningResponse><Status>Enabled</GetBucketVersioningResponse>",
            b"<GetBucketVersioningResponseX/>",
            b"<GetBucketVersioningResponse/><more/>",
            b"<VersioningConfiguration/>",
            b"<Error><Code>NoSuchBucket</Code></Error>",
            b"",
            b"\xff\xfe",
        ] {
            assert_eq!(foreign_versioning_body(other), None, "{other:?}");
        }
    }
}
