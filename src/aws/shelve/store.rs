//! Archives in S3 (written through a local staging folder, with server-side encryption,
//! read back by streaming) and the listing of the archives of a folder or prefix.

use std::path::{Path, PathBuf};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use futures::StreamExt;
use sha2::{Digest as _, Sha256};
use tokio::io::AsyncWriteExt;

use super::{ArchiveSummary, AwsError, ErrorKind, Progress, ProgressFn, io_error};
use crate::aws::AwsContext;
use crate::domain::archive::{Location, MANIFEST, Manifest, hex, is_safe_path};
use crate::domain::sanitize::sanitize;

/// Files sent or fetched at once.
const PARALLEL: usize = 8;

/// A fresh local folder to stage an archive in (under the system's temp folder).
pub fn staging_dir() -> PathBuf {
    std::env::temp_dir().join(format!("protoctl-shelf-{}", crate::aws::audit::random_id()))
}

fn key_of(prefix: &str, rel: &str) -> String {
    format!("{prefix}{rel}")
}

/// Uploads the archive in `dir` to `s3://bucket/prefix` (every file, then the manifest
/// last), each object encrypted at rest (SSE-S3).
pub async fn upload(
    ctx: &AwsContext,
    dir: &Path,
    manifest: &Manifest,
    bucket: &str,
    prefix: &str,
    progress: ProgressFn<'_>,
) -> Result<(), AwsError> {
    progress(Progress::Phase(format!(
        "uploading to s3://{}/{}",
        sanitize(bucket),
        sanitize(prefix)
    )));
    let s3 = ctx.s3();
    let put = |rel: String| {
        let s3 = s3.clone();
        let path = dir.join(&rel);
        let key = key_of(prefix, &rel);
        async move {
            let body = ByteStream::from_path(&path).await.map_err(|e| {
                AwsError::new(
                    ErrorKind::Other,
                    format!("cannot read {}: {e}", sanitize(&path.display().to_string())),
                )
            })?;
            s3.put_object()
                .bucket(bucket)
                .key(key)
                .body(body)
                .server_side_encryption(ServerSideEncryption::Aes256)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("PutObject", e))?;
            Ok::<(), AwsError>(())
        }
    };
    let results: Vec<Result<(), AwsError>> =
        futures::stream::iter(manifest.files.iter().map(|f| put(f.path.clone())))
            .buffer_unordered(PARALLEL)
            .collect()
            .await;
    results.into_iter().collect::<Result<Vec<()>, _>>()?;
    put(MANIFEST.to_string()).await
}

/// Streams one object and returns its sha256 and size (memory stays bounded).
async fn hash_object(ctx: &AwsContext, bucket: &str, key: &str) -> Result<(String, u64), AwsError> {
    let resp = ctx
        .s3()
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("GetObject", e))?;
    let mut body = resp.body;
    let mut h = Sha256::new();
    let mut n = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| {
            AwsError::new(
                ErrorKind::Network,
                format!("GetObject: reading failed: {e}"),
            )
        })?;
        h.update(&chunk);
        n += chunk.len() as u64;
    }
    Ok((hex(&h.finalize()), n))
}

/// Reads the uploaded archive back from S3 and checks every file against the manifest.
pub async fn verify_remote(
    ctx: &AwsContext,
    manifest: &Manifest,
    bucket: &str,
    prefix: &str,
    progress: ProgressFn<'_>,
) -> Result<(), AwsError> {
    progress(Progress::Phase("verifying the uploaded archive".into()));
    let checks = manifest.files.iter().map(|f| async move {
        let (sha, bytes) = hash_object(ctx, bucket, &key_of(prefix, &f.path)).await?;
        if sha == f.sha256 && bytes == f.bytes {
            Ok(())
        } else {
            Err(AwsError::new(
                ErrorKind::Invalid,
                format!(
                    "checksum mismatch in S3: {} differs from the manifest",
                    sanitize(&f.path)
                ),
            ))
        }
    });
    let results: Vec<Result<(), AwsError>> = futures::stream::iter(checks)
        .buffer_unordered(PARALLEL)
        .collect()
        .await;
    results.into_iter().collect::<Result<Vec<()>, _>>()?;
    Ok(())
}

async fn fetch_to(ctx: &AwsContext, bucket: &str, key: &str, path: &Path) -> Result<(), AwsError> {
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent)
            .await
            .map_err(|e| io_error("cannot create the folder", parent, &e))?;
    }
    let mut f = tokio::fs::File::create(path)
        .await
        .map_err(|e| io_error("cannot write", path, &e))?;
    crate::aws::s3::stream_to(
        ctx,
        bucket,
        key,
        None,
        &mut f,
        &tokio_util::sync::CancellationToken::new(),
        |_| {},
    )
    .await
    .map_err(|e| AwsError::new(ErrorKind::Network, format!("{e:#}")))?;
    f.flush()
        .await
        .map_err(|e| io_error("cannot write", path, &e))
}

/// Downloads the archive at `s3://bucket/prefix` into `dir` (the manifest first, then
/// every file it names); the caller verifies it.
pub async fn download(
    ctx: &AwsContext,
    bucket: &str,
    prefix: &str,
    dir: &Path,
    progress: ProgressFn<'_>,
) -> Result<(), AwsError> {
    progress(Progress::Phase(format!(
        "downloading s3://{}/{}",
        sanitize(bucket),
        sanitize(prefix)
    )));
    fetch_to(ctx, bucket, &key_of(prefix, MANIFEST), &dir.join(MANIFEST)).await?;
    let m = super::read_manifest(dir).await?;
    let results: Vec<Result<(), AwsError>> = futures::stream::iter(m.files.iter().map(|f| {
        let path = dir.join(&f.path);
        async move { fetch_to(ctx, bucket, &key_of(prefix, &f.path), &path).await }
    }))
    .buffer_unordered(PARALLEL)
    .collect()
    .await;
    results.into_iter().collect::<Result<Vec<()>, _>>()?;
    Ok(())
}

fn summary(m: &Manifest, location: String) -> ArchiveSummary {
    ArchiveSummary {
        stack: m.stack_name.clone(),
        archived_at: m.archived_at,
        location,
        size_bytes: m.size_bytes(),
        tables: m.tables.len(),
        items: m.items(),
        buckets: m.buckets.len(),
        objects: m.objects(),
        account: m.account.clone(),
        region: m.region.clone(),
        version: m.version,
        no_echo: m.no_echo.clone(),
    }
}

/// The archives directly inside `from` (folders or prefixes holding a manifest), newest
/// first. Entries without a readable manifest are skipped (an unfinished write).
pub async fn list_archives(
    ctx: &AwsContext,
    from: &Location,
) -> Result<Vec<ArchiveSummary>, AwsError> {
    let mut out = Vec::new();
    match from {
        Location::Dir(root) => {
            let mut rd = match tokio::fs::read_dir(root).await {
                Ok(rd) => rd,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
                Err(e) => return Err(io_error("cannot read", root, &e)),
            };
            while let Some(d) = rd
                .next_entry()
                .await
                .map_err(|e| io_error("cannot read", root, &e))?
            {
                let path = d.path();
                if let Ok(m) = super::read_manifest(&path).await {
                    out.push(summary(&m, path.display().to_string()));
                }
            }
        }
        Location::S3 { bucket, prefix } => {
            let mut pages = ctx
                .s3()
                .list_objects_v2()
                .bucket(bucket)
                .prefix(prefix)
                .delimiter("/")
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| AwsError::from_sdk("ListObjectsV2", e))?;
                for p in page.common_prefixes().iter().filter_map(|p| p.prefix()) {
                    if let Some(m) = remote_manifest(ctx, bucket, p).await? {
                        out.push(summary(&m, format!("s3://{bucket}/{p}")));
                    }
                }
            }
        }
    }
    out.sort_by(|a, b| {
        b.archived_at
            .cmp(&a.archived_at)
            .then(a.stack.cmp(&b.stack))
    });
    Ok(out)
}

/// The archives of several places, newest first.
pub async fn list_archives_of(
    ctx: &AwsContext,
    places: &[Location],
) -> Result<Vec<ArchiveSummary>, AwsError> {
    let mut out = Vec::new();
    for p in places {
        out.extend(list_archives(ctx, p).await?);
    }
    out.sort_by(|a, b| {
        b.archived_at
            .cmp(&a.archived_at)
            .then(a.stack.cmp(&b.stack))
    });
    Ok(out)
}

async fn remote_manifest(
    ctx: &AwsContext,
    bucket: &str,
    prefix: &str,
) -> Result<Option<Manifest>, AwsError> {
    let res = ctx
        .s3()
        .get_object()
        .bucket(bucket)
        .key(key_of(prefix, MANIFEST))
        .send()
        .await;
    let resp = match res {
        Ok(r) => r,
        Err(e) => {
            let e = AwsError::from_sdk("GetObject", e);
            return if e.is_not_found() { Ok(None) } else { Err(e) };
        }
    };
    let bytes = resp
        .body
        .collect()
        .await
        .map_err(|e| AwsError::new(ErrorKind::Network, format!("GetObject: {e}")))?
        .into_bytes();
    Ok(serde_json::from_slice::<Manifest>(&bytes)
        .ok()
        .filter(|m| m.check_version().is_ok() && m.files.iter().all(|f| is_safe_path(&f.path))))
}
