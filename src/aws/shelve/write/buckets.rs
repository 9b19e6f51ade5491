//! A bucket into the archive: its listing page by page (latest versions, or every version
//! and delete marker), each object streamed into a data file and hashed, and the index.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use sha2::{Digest as _, Sha256};
use tokio::io::AsyncWriteExt;
use tokio_util::sync::CancellationToken;

use super::{ShelveOptions, Writer};
use crate::aws::shelve::{AwsError, ErrorKind, Progress, ProgressFn, io_error};
use crate::aws::{AwsContext, to_chrono};
use crate::domain::archive::{self, BucketEntry, ObjectEntry, hex, path_segment};

/// Objects between two progress reports of a bucket.
const PROGRESS_EVERY: u64 = 250;

/// One object version to archive (from a listing page).
struct Listed {
    key: String,
    version_id: Option<String>,
    is_latest: bool,
    delete_marker: bool,
    last_modified: Option<DateTime<Utc>>,
}

/// One page of the bucket's latest objects, or of every version and delete marker.
async fn list_page(
    ctx: &AwsContext,
    bucket: &str,
    all_versions: bool,
    token: (Option<String>, Option<String>),
) -> Result<(Vec<Listed>, Option<(Option<String>, Option<String>)>), AwsError> {
    let s3 = ctx.s3();
    if all_versions {
        let out = s3
            .list_object_versions()
            .bucket(bucket)
            .set_key_marker(token.0)
            .set_version_id_marker(token.1)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ListObjectVersions", e))?;
        let mut v: Vec<Listed> = out
            .versions()
            .iter()
            .map(|o| Listed {
                key: o.key().unwrap_or_default().to_string(),
                version_id: o.version_id().map(ToString::to_string),
                is_latest: o.is_latest().unwrap_or(false),
                delete_marker: false,
                last_modified: o.last_modified().map(to_chrono),
            })
            .collect();
        v.extend(out.delete_markers().iter().map(|o| Listed {
            key: o.key().unwrap_or_default().to_string(),
            version_id: o.version_id().map(ToString::to_string),
            is_latest: o.is_latest().unwrap_or(false),
            delete_marker: true,
            last_modified: o.last_modified().map(to_chrono),
        }));
        let next = out.is_truncated().unwrap_or(false).then(|| {
            (
                out.next_key_marker().map(ToString::to_string),
                out.next_version_id_marker().map(ToString::to_string),
            )
        });
        Ok((v, next))
    } else {
        let out = s3
            .list_objects_v2()
            .bucket(bucket)
            .set_continuation_token(token.0)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ListObjectsV2", e))?;
        let v = out
            .contents()
            .iter()
            .map(|o| Listed {
                key: o.key().unwrap_or_default().to_string(),
                version_id: None,
                is_latest: true,
                delete_marker: false,
                last_modified: o.last_modified().map(to_chrono),
            })
            .collect();
        let next = out
            .next_continuation_token()
            .filter(|_| out.is_truncated().unwrap_or(false))
            .map(|t| (Some(t.to_string()), None));
        Ok((v, next))
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn write_bucket(
    ctx: &AwsContext,
    w: &mut Writer,
    logical: &str,
    name: &str,
    opts: &ShelveOptions,
    progress: ProgressFn<'_>,
    cancel: &CancellationToken,
) -> Result<BucketEntry, AwsError> {
    progress(Progress::Phase(format!("archiving bucket {logical}")));
    let index_file = format!("buckets/{}/objects.jsonl", path_segment(logical));
    let index_path = w.root.join(&index_file);
    let mut index = tokio::io::BufWriter::new(w.create(&index_file).await?);
    let all_versions = opts.all_versions;
    // One listing page at a time, fetched as the window drains; every object streams to
    // its own file. `buffered` keeps the listing order, so numbering and index are stable.
    let pages = futures::stream::try_unfold(Some((None, None)), move |token| async move {
        let Some(token) = token else {
            return Ok(None);
        };
        let (page, next) = list_page(ctx, name, all_versions, token).await?;
        Ok::<_, AwsError>(Some((
            futures::stream::iter(page.into_iter().map(Ok::<Listed, AwsError>)),
            next,
        )))
    });
    let root = w.root.clone();
    let fetched = pages
        .try_flatten()
        .enumerate()
        .map(|(i, listed)| {
            let root = root.clone();
            async move {
                let l = listed?;
                let file = if l.delete_marker {
                    String::new()
                } else {
                    archive::object_file(logical, i as u64 + 1)
                };
                fetch_object(ctx, name, l, file, root).await
            }
        })
        .buffered(opts.concurrency.clamp(1, 64));
    let mut fetched = std::pin::pin!(fetched);
    let (mut objects, mut markers, mut bytes) = (0u64, 0u64, 0u64);
    while let Some(e) = fetched.next().await {
        if cancel.is_cancelled() {
            return Err(AwsError::new(ErrorKind::Other, "cancelled"));
        }
        let e = e?;
        if e.delete_marker {
            markers += 1;
        } else {
            w.files.push(e.file.clone());
            w.known.insert(e.file.clone(), (e.sha256.clone(), e.size));
            objects += 1;
            bytes += e.size;
        }
        let mut line = serde_json::to_string(&e)
            .map_err(|x| AwsError::new(ErrorKind::Other, x.to_string()))?;
        line.push('\n');
        index
            .write_all(line.as_bytes())
            .await
            .map_err(|x| io_error("cannot write", &index_path, &x))?;
        if (objects + markers) % PROGRESS_EVERY == 0 {
            progress(Progress::Objects {
                bucket: logical.to_string(),
                objects,
                bytes,
            });
        }
    }
    progress(Progress::Objects {
        bucket: logical.to_string(),
        objects,
        bytes,
    });
    index
        .flush()
        .await
        .map_err(|x| io_error("cannot write", &index_path, &x))?;
    Ok(BucketEntry {
        logical_id: logical.to_string(),
        name: name.to_string(),
        objects,
        delete_markers: markers,
        bytes,
        all_versions: opts.all_versions,
        index_file,
    })
}

/// Streams one object version into its data file, hashing as it goes.
async fn fetch_object(
    ctx: &AwsContext,
    bucket: &str,
    l: Listed,
    file: String,
    root: PathBuf,
) -> Result<ObjectEntry, AwsError> {
    let mut e = ObjectEntry {
        key: l.key,
        version_id: l.version_id,
        is_latest: l.is_latest,
        delete_marker: l.delete_marker,
        last_modified: l.last_modified,
        size: 0,
        sha256: String::new(),
        file,
        content_type: None,
        content_encoding: None,
        content_disposition: None,
        content_language: None,
        cache_control: None,
        metadata: BTreeMap::new(),
    };
    if e.delete_marker {
        return Ok(e);
    }
    let resp = ctx
        .s3()
        .get_object()
        .bucket(bucket)
        .key(&e.key)
        .set_version_id(e.version_id.clone())
        .send()
        .await
        .map_err(|x| AwsError::from_sdk("GetObject", x))?;
    e.content_type = resp.content_type().map(ToString::to_string);
    e.content_encoding = resp.content_encoding().map(ToString::to_string);
    e.content_disposition = resp.content_disposition().map(ToString::to_string);
    e.content_language = resp.content_language().map(ToString::to_string);
    e.cache_control = resp.cache_control().map(ToString::to_string);
    e.metadata = resp
        .metadata()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let path = root.join(&e.file);
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent)
            .await
            .map_err(|x| io_error("cannot create the folder", parent, &x))?;
    }
    let mut out = tokio::fs::File::create(&path)
        .await
        .map_err(|x| io_error("cannot write", &path, &x))?;
    let mut h = Sha256::new();
    let mut body = resp.body;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|x| {
            AwsError::new(
                ErrorKind::Network,
                format!("GetObject: reading the object failed: {x}"),
            )
        })?;
        h.update(&chunk);
        e.size += chunk.len() as u64;
        out.write_all(&chunk)
            .await
            .map_err(|x| io_error("cannot write", &path, &x))?;
    }
    out.flush()
        .await
        .map_err(|x| io_error("cannot write", &path, &x))?;
    e.sha256 = hex(&h.finalize());
    Ok(e)
}
