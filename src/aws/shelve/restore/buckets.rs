//! A bucket loaded back from its index (PutObject, or DeleteObject for a delete marker),
//! then read again object by object for the checksums.

use std::collections::BTreeMap;
use std::path::Path;

use aws_sdk_s3::primitives::ByteStream;
use futures::StreamExt;
use sha2::{Digest as _, Sha256};

use super::{BucketCheck, RestoreOptions};
use crate::aws::AwsContext;
use crate::aws::shelve::files::read_index;
use crate::aws::shelve::{AwsError, ErrorKind, Progress, ProgressFn};
use crate::domain::archive::{ObjectEntry, hex, restore_order};
use crate::domain::sanitize::sanitize;

/// Puts a bucket's archived objects back (per key oldest first, so the latest is current;
/// a delete marker becomes a DeleteObject).
pub(super) async fn load_bucket(
    ctx: &AwsContext,
    dir: &Path,
    b: &crate::domain::archive::BucketEntry,
    target: &str,
    opts: &RestoreOptions,
    progress: ProgressFn<'_>,
) -> Result<(), AwsError> {
    progress(Progress::Phase(format!("loading bucket {}", b.logical_id)));
    let mut index = read_index(&dir.join(&b.index_file)).await?;
    restore_order(&mut index);
    // Keys in order; a key's versions go one after another, keys in parallel.
    let mut by_key: Vec<Vec<ObjectEntry>> = Vec::new();
    for e in index {
        match by_key.last_mut() {
            Some(v) if v[0].key == e.key => v.push(e),
            _ => by_key.push(vec![e]),
        }
    }
    let mut objects = 0u64;
    let mut bytes = 0u64;
    let mut reported = 0u64;
    let mut stream = futures::stream::iter(by_key.into_iter().map(|versions| async move {
        let mut sent = (0u64, 0u64);
        for e in versions {
            put_entry(ctx, dir, target, &e).await?;
            if !e.delete_marker {
                sent.0 += 1;
                sent.1 += e.size;
            }
        }
        Ok::<_, AwsError>(sent)
    }))
    .buffer_unordered(opts.concurrency.clamp(1, 64));
    while let Some(r) = stream.next().await {
        let (n, s) = r?;
        objects += n;
        bytes += s;
        if objects - reported >= 500 {
            reported = objects;
            progress(Progress::Objects {
                bucket: b.logical_id.clone(),
                objects,
                bytes,
            });
        }
    }
    progress(Progress::Objects {
        bucket: b.logical_id.clone(),
        objects,
        bytes,
    });
    Ok(())
}

async fn put_entry(
    ctx: &AwsContext,
    dir: &Path,
    bucket: &str,
    e: &ObjectEntry,
) -> Result<(), AwsError> {
    if e.delete_marker {
        ctx.s3()
            .delete_object()
            .bucket(bucket)
            .key(&e.key)
            .send()
            .await
            .map_err(|x| AwsError::from_sdk("DeleteObject", x))?;
        return Ok(());
    }
    let path = dir.join(&e.file);
    let body = ByteStream::from_path(&path).await.map_err(|x| {
        AwsError::new(
            ErrorKind::Other,
            format!("cannot read {}: {x}", sanitize(&path.display().to_string())),
        )
    })?;
    ctx.s3()
        .put_object()
        .bucket(bucket)
        .key(&e.key)
        .body(body)
        .set_content_type(e.content_type.clone())
        .set_content_encoding(e.content_encoding.clone())
        .set_content_disposition(e.content_disposition.clone())
        .set_content_language(e.content_language.clone())
        .set_cache_control(e.cache_control.clone())
        .set_metadata((!e.metadata.is_empty()).then(|| {
            e.metadata
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        }))
        .send()
        .await
        .map_err(|x| AwsError::from_sdk("PutObject", x))?;
    Ok(())
}

/// Reads every current object of the restored bucket back and compares it with the
/// archive's latest versions.
pub(super) async fn check_bucket(
    ctx: &AwsContext,
    dir: &Path,
    b: &crate::domain::archive::BucketEntry,
    target: &str,
    opts: &RestoreOptions,
) -> Result<BucketCheck, AwsError> {
    let index = read_index(&dir.join(&b.index_file)).await?;
    let expected: BTreeMap<String, String> = index
        .into_iter()
        .filter(|e| e.is_latest && !e.delete_marker)
        .map(|e| (e.key, e.sha256))
        .collect();
    let mut keys = Vec::new();
    let mut pages = ctx
        .s3()
        .list_objects_v2()
        .bucket(target)
        .into_paginator()
        .send();
    let mut matches = true;
    let mut count = 0u64;
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsError::from_sdk("ListObjectsV2", e))?;
        keys.clear();
        keys.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(ToString::to_string)),
        );
        count += keys.len() as u64;
        let hashes: Vec<Result<(String, String), AwsError>> =
            futures::stream::iter(keys.iter().map(|k| async move {
                let resp = ctx
                    .s3()
                    .get_object()
                    .bucket(target)
                    .key(k)
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("GetObject", e))?;
                let mut body = resp.body;
                let mut h = Sha256::new();
                while let Some(c) = body.next().await {
                    let c = c.map_err(|e| {
                        AwsError::new(ErrorKind::Network, format!("GetObject: {e}"))
                    })?;
                    h.update(&c);
                }
                Ok((k.clone(), hex(&h.finalize())))
            }))
            .buffer_unordered(opts.concurrency.clamp(1, 64))
            .collect()
            .await;
        for r in hashes {
            let (k, sha) = r?;
            matches &= expected.get(&k) == Some(&sha);
        }
    }
    Ok(BucketCheck {
        logical_id: b.logical_id.clone(),
        name: target.to_string(),
        expected_objects: expected.len() as u64,
        objects: count,
        checksums_match: matches && count == expected.len() as u64,
    })
}
