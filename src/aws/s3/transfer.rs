//! Reading objects: bounded previews, streams to any writer, and downloads that never
//! leave a half-written file.

use std::path::{Path, PathBuf};

use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

use super::{DownloadOutcome, Preview, Progress};
use super::{not_found_key, size};
use crate::aws::{AwsContext, AwsError, ErrorKind};
use crate::domain::sanitize::sanitize;
use crate::domain::text::safe_file_name;

/// Reads at most `max_bytes` from the start of an object with a Range GET (never the whole
/// object: even a server that ignores the range is read only that far).
pub async fn preview(
    ctx: &AwsContext,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
    size_hint: u64,
    max_bytes: usize,
) -> Result<Preview, AwsError> {
    if size_hint == 0 || max_bytes == 0 {
        // A Range GET of an empty object is an InvalidRange error: nothing to read.
        return Ok(Preview {
            bytes: Vec::new(),
            total: size_hint,
        });
    }
    let out = ctx
        .s3()
        .get_object()
        .bucket(bucket)
        .key(key)
        .set_version_id(version_id.map(ToString::to_string))
        .range(format!("bytes=0-{}", max_bytes - 1))
        .send()
        .await
        .map_err(|e| not_found_key(AwsError::from_sdk("GetObject", e), bucket, key))?;
    let total = out
        .content_range()
        .and_then(|r| r.rsplit('/').next())
        .and_then(|t| t.parse::<u64>().ok())
        .unwrap_or(size_hint);
    let mut body = out.body;
    let mut bytes = Vec::with_capacity(max_bytes.min(size_hint as usize));
    while bytes.len() < max_bytes {
        match body.next().await {
            Some(Ok(chunk)) => {
                let take = chunk.len().min(max_bytes - bytes.len());
                bytes.extend_from_slice(&chunk[..take]);
            }
            Some(Err(e)) => {
                return Err(AwsError::new(
                    ErrorKind::Network,
                    format!("GetObject: reading the object failed: {e}"),
                ));
            }
            None => break,
        }
    }
    Ok(Preview { bytes, total })
}

/// Streams an object into `out`, chunk by chunk (never held whole in memory), reporting
/// progress; returns `None` when cancelled.
pub async fn stream_to<W: AsyncWrite + Unpin>(
    ctx: &AwsContext,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
    out: &mut W,
    cancel: &CancellationToken,
    mut progress: impl FnMut(Progress),
) -> Result<Option<u64>, anyhow::Error> {
    let resp = ctx
        .s3()
        .get_object()
        .bucket(bucket)
        .key(key)
        .set_version_id(version_id.map(ToString::to_string))
        .send()
        .await
        .map_err(|e| not_found_key(AwsError::from_sdk("GetObject", e), bucket, key))?;
    let total = size(resp.content_length());
    let mut body = resp.body;
    let mut done = 0u64;
    let mut reported = 0u64;
    progress(Progress { done, total });
    loop {
        let next = tokio::select! {
            () = cancel.cancelled() => return Ok(None),
            n = body.next() => n,
        };
        match next {
            Some(Ok(chunk)) => {
                out.write_all(&chunk).await?;
                done += chunk.len() as u64;
                // Report at most every 256 KiB (and at the end).
                if done - reported >= 256 * 1024 {
                    reported = done;
                    progress(Progress { done, total });
                }
            }
            Some(Err(e)) => anyhow::bail!("GetObject: reading the object failed: {e}"),
            None => break,
        }
    }
    out.flush().await?;
    progress(Progress { done, total });
    Ok(Some(done))
}

/// Where a download to `path` goes: into it when it is an existing folder (named after the
/// key's last segment), else `path` itself.
pub fn download_target(path: &Path, key: &str) -> PathBuf {
    if path.is_dir() {
        let name = key.rsplit('/').find(|s| !s.is_empty()).unwrap_or("object");
        path.join(safe_file_name(name))
    } else {
        path.to_path_buf()
    }
}

/// Downloads an object to a file: streamed into a temporary file beside the target, then
/// renamed into place, so the target is never left half-written. A path that cannot be
/// written fails before anything is fetched.
pub async fn download(
    ctx: &AwsContext,
    bucket: &str,
    key: &str,
    version_id: Option<&str>,
    path: &Path,
    cancel: &CancellationToken,
    progress: impl FnMut(Progress),
) -> Result<DownloadOutcome, anyhow::Error> {
    let target = download_target(path, key);
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = target
        .file_name()
        .map_or_else(|| "object".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{file_name}.protoctl-part-{}", std::process::id()));
    let shown = sanitize(&target.display().to_string()).into_owned();
    let mut file = tokio::fs::File::create(&tmp)
        .await
        .map_err(|e| anyhow::anyhow!("cannot write {shown}: {}", io_reason(&e)))?;
    let result = stream_to(ctx, bucket, key, version_id, &mut file, cancel, progress).await;
    let finished = match result {
        Ok(Some(n)) => file
            .sync_all()
            .await
            .map(|()| n)
            .map_err(anyhow::Error::from),
        Ok(None) => {
            drop(file);
            let _ = tokio::fs::remove_file(&tmp).await;
            return Ok(DownloadOutcome::Cancelled);
        }
        Err(e) => Err(e),
    };
    drop(file);
    match finished {
        Ok(bytes) => {
            if let Err(e) = tokio::fs::rename(&tmp, &target).await {
                let _ = tokio::fs::remove_file(&tmp).await;
                anyhow::bail!("cannot write {shown}: {}", io_reason(&e));
            }
            Ok(DownloadOutcome::Done {
                bytes,
                path: Some(target),
            })
        }
        Err(e) => {
            let _ = tokio::fs::remove_file(&tmp).await;
            Err(e)
        }
    }
}

/// A short reason for an I/O error ("permission denied", "no such folder").
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory => "no such folder".into(),
        std::io::ErrorKind::IsADirectory => "it is a folder".into(),
        std::io::ErrorKind::ReadOnlyFilesystem => "read-only file system".into(),
        std::io::ErrorKind::StorageFull => "no space left on the device".into(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::text::human_size;

    #[test]
    fn sizes() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(20 * 1024 * 1024), "20.0 MiB");
    }

    #[test]
    fn file_names_cannot_escape() {
        assert_eq!(safe_file_name(".."), "object");
        assert_eq!(safe_file_name("a\\b"), "a_b");
        assert_eq!(safe_file_name("x\x1b[2J"), "x_[2J");
        assert_eq!(safe_file_name("résumé.txt"), "résumé.txt");
        let dir = std::env::temp_dir();
        assert_eq!(download_target(&dir, "uploads/a/b.txt"), dir.join("b.txt"));
        assert_eq!(
            download_target(Path::new("/nonexistent/x.bin"), "k"),
            PathBuf::from("/nonexistent/x.bin")
        );
    }
}
