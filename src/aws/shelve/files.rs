//! The archive on disk: streaming sha256 of files, the items digest of a table file, and
//! the verification of a whole archive against its manifest.

use std::path::Path;

use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncBufReadExt, AsyncReadExt};

use super::{AwsError, ErrorKind, Progress, ProgressFn, io_error};
use crate::domain::archive::{
    FileEntry, ItemsDigest, MANIFEST, Manifest, ObjectEntry, hex, is_safe_path,
};
use crate::domain::dynamo::item_from_typed_json;
use crate::domain::sanitize::sanitize;

/// Read buffer for hashing: memory stays bounded whatever the file's size.
const CHUNK: usize = 256 * 1024;

fn invalid(msg: String) -> AwsError {
    AwsError::new(ErrorKind::Invalid, msg)
}

/// The sha256 (hex) and size of a file, read in chunks.
pub async fn hash_file(path: &Path) -> Result<(String, u64), AwsError> {
    let mut f = tokio::fs::File::open(path)
        .await
        .map_err(|e| io_error("cannot read", path, &e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    let mut n = 0u64;
    loop {
        let got = f
            .read(&mut buf)
            .await
            .map_err(|e| io_error("cannot read", path, &e))?;
        if got == 0 {
            break;
        }
        h.update(&buf[..got]);
        n += got as u64;
    }
    Ok((hex(&h.finalize()), n))
}

/// A file entry for `rel` inside `root`.
pub(super) async fn entry(root: &Path, rel: &str) -> Result<FileEntry, AwsError> {
    let (sha256, bytes) = hash_file(&root.join(rel)).await?;
    Ok(FileEntry {
        path: rel.to_string(),
        bytes,
        sha256,
    })
}

/// Reads a table's items file (DynamoDB JSON lines) line by line: the count and digest.
pub(super) async fn items_digest(path: &Path) -> Result<ItemsDigest, AwsError> {
    let f = tokio::fs::File::open(path)
        .await
        .map_err(|e| io_error("cannot read", path, &e))?;
    let mut lines = tokio::io::BufReader::new(f).lines();
    let mut d = ItemsDigest::default();
    let mut n = 0u64;
    while let Some(line) = lines
        .next_line()
        .await
        .map_err(|e| io_error("cannot read", path, &e))?
    {
        n += 1;
        let item = parse_item_line(&line).map_err(|e| {
            invalid(format!(
                "{} line {n}: {e}",
                sanitize(&path.display().to_string())
            ))
        })?;
        d.add(&item);
    }
    Ok(d)
}

/// One line of an items file: `{"Item": {...}}` in DynamoDB JSON.
pub(super) fn parse_item_line(line: &str) -> Result<crate::domain::dynamo::Item, String> {
    let v: serde_json::Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let item = v.get("Item").ok_or("no \"Item\" field")?;
    item_from_typed_json(item).map_err(|e| e.to_string())
}

/// Reads one bucket index file.
pub(super) async fn read_index(path: &Path) -> Result<Vec<ObjectEntry>, AwsError> {
    let text = tokio::fs::read_to_string(path)
        .await
        .map_err(|e| io_error("cannot read", path, &e))?;
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| {
                invalid(format!(
                    "{} line {}: {e}",
                    sanitize(&path.display().to_string()),
                    i + 1
                ))
            })
        })
        .collect()
}

/// Reads and checks the manifest of the archive in `dir`.
pub async fn read_manifest(dir: &Path) -> Result<Manifest, AwsError> {
    let path = dir.join(MANIFEST);
    let text = tokio::fs::read(&path).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            invalid(format!(
                "{} holds no {MANIFEST}: not an archive, or its writing did not finish",
                sanitize(&dir.display().to_string())
            ))
        } else {
            io_error("cannot read", &path, &e)
        }
    })?;
    let m: Manifest = serde_json::from_slice(&text)
        .map_err(|e| invalid(format!("the manifest cannot be read: {e}")))?;
    m.check_version().map_err(invalid)?;
    if let Some(bad) = m.files.iter().find(|f| !is_safe_path(&f.path)) {
        return Err(invalid(format!(
            "the manifest names a file outside the archive: {:?}",
            sanitize(&bad.path)
        )));
    }
    Ok(m)
}

/// Reads the archive in `dir` back against its manifest: every file's size and sha256,
/// every table's item count and digest, every bucket's counts and object checksums.
/// Any difference is an error naming the first file that differs.
pub async fn verify_dir(dir: &Path, progress: ProgressFn<'_>) -> Result<Manifest, AwsError> {
    let m = read_manifest(dir).await?;
    let total = m.files.len() as u64;
    for (i, f) in m.files.iter().enumerate() {
        let (sha, bytes) = hash_file(&dir.join(&f.path)).await?;
        if sha != f.sha256 || bytes != f.bytes {
            return Err(invalid(format!(
                "checksum mismatch: {} ({bytes} bytes, sha256 {sha}; the manifest says {} bytes, sha256 {})",
                sanitize(&f.path),
                f.bytes,
                f.sha256
            )));
        }
        if (i + 1) % 500 == 0 || i + 1 == m.files.len() {
            progress(Progress::Verified {
                files: i as u64 + 1,
                total,
            });
        }
    }
    let by_path: std::collections::HashMap<&str, &FileEntry> =
        m.files.iter().map(|f| (f.path.as_str(), f)).collect();
    let listed = |p: &str| by_path.get(p).copied();
    for t in &m.tables {
        if listed(&t.items_file).is_none() || listed(&t.schema_file).is_none() {
            return Err(invalid(format!(
                "table {}: its files are not in the manifest",
                sanitize(&t.logical_id)
            )));
        }
        let d = items_digest(&dir.join(&t.items_file)).await?;
        if d.count() != t.items || d.hex() != t.items_digest {
            return Err(invalid(format!(
                "table {}: {} items read back, the manifest says {} (or their digest differs)",
                sanitize(&t.logical_id),
                d.count(),
                t.items
            )));
        }
    }
    for b in &m.buckets {
        if listed(&b.index_file).is_none() {
            return Err(invalid(format!(
                "bucket {}: its index is not in the manifest",
                sanitize(&b.logical_id)
            )));
        }
        let index = read_index(&dir.join(&b.index_file)).await?;
        let markers = index.iter().filter(|o| o.delete_marker).count() as u64;
        let objects = index.len() as u64 - markers;
        if objects != b.objects || markers != b.delete_markers {
            return Err(invalid(format!(
                "bucket {}: {objects} objects and {markers} delete markers read back, the manifest says {} and {}",
                sanitize(&b.logical_id),
                b.objects,
                b.delete_markers
            )));
        }
        for o in index.iter().filter(|o| !o.delete_marker) {
            if listed(&o.file).is_none_or(|f| f.sha256 != o.sha256 || f.bytes != o.size) {
                return Err(invalid(format!(
                    "bucket {}: object {:?} does not match its data file",
                    sanitize(&b.logical_id),
                    sanitize(&o.key)
                )));
            }
        }
    }
    Ok(m)
}
