//! The export: every item of a scan (parallel segments) or query to a JSON-lines file.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::AsyncWriteExt;
use tokio_util::sync::CancellationToken;

use super::{ItemQuery, TableInfo, page};
use crate::aws::{AwsContext, AwsError, ErrorKind};
use crate::domain::dynamo::{Item, item_to_plain_json, item_to_typed_json};
use crate::domain::sanitize::sanitize;

pub use crate::domain::dynamo::table::ExportSummary;

/// One JSON line for an item: plain JSON, numbers exact.
pub fn json_line(item: &Item) -> String {
    let mut s = item_to_plain_json(item).to_string();
    s.push('\n');
    s
}

/// One DynamoDB JSON line for an item, as DynamoDB's own S3 export writes it:
/// `{"Item": {"name": {"S": "text"}, ...}}`.
pub fn typed_json_line(item: &Item) -> String {
    let mut s = serde_json::json!({ "Item": item_to_typed_json(item) }).to_string();
    s.push('\n');
    s
}

/// Writes every item of a scan (in `segments` parallel segments) or of a query (sequential)
/// to `path` as JSON lines; `progress(items_written)` after each page; stops on `cancel`
/// (the partial file is kept and the summary says `cancelled`).
#[allow(clippy::too_many_arguments)] // one export's settings, each used once
pub async fn export(
    ctx: &AwsContext,
    table: &TableInfo,
    q: &ItemQuery,
    path: &Path,
    segments: i32,
    page_size: i32,
    cancel: CancellationToken,
    progress: Arc<dyn Fn(u64) + Send + Sync>,
) -> Result<ExportSummary, AwsError> {
    export_as(
        ctx, table, q, path, segments, page_size, cancel, progress, json_line,
    )
    .await
}

/// [`export`] with each item written by `line` (e.g. [`typed_json_line`]).
#[allow(clippy::too_many_arguments)] // one export's settings, each used once
pub async fn export_as(
    ctx: &AwsContext,
    table: &TableInfo,
    q: &ItemQuery,
    path: &Path,
    segments: i32,
    page_size: i32,
    cancel: CancellationToken,
    progress: Arc<dyn Fn(u64) + Send + Sync>,
    line: fn(&Item) -> String,
) -> Result<ExportSummary, AwsError> {
    let io_err = |e: std::io::Error| {
        AwsError::new(
            ErrorKind::Other,
            format!(
                "cannot write {}: {e}",
                sanitize(&path.display().to_string())
            ),
        )
    };
    let file = tokio::fs::File::create(path).await.map_err(io_err)?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<Item>>(8);
    let written = Arc::new(AtomicU64::new(0));
    let scanned = Arc::new(AtomicU64::new(0));
    let writer = {
        let written = Arc::clone(&written);
        let progress = Arc::clone(&progress);
        tokio::spawn(async move {
            let mut out = tokio::io::BufWriter::new(file);
            let mut bytes = 0u64;
            while let Some(items) = rx.recv().await {
                for it in &items {
                    let text = line(it);
                    bytes += text.len() as u64;
                    out.write_all(text.as_bytes()).await?;
                }
                let n =
                    written.fetch_add(items.len() as u64, Ordering::Relaxed) + items.len() as u64;
                progress(n);
            }
            out.flush().await?;
            Ok::<u64, std::io::Error>(bytes)
        })
    };
    let segs = if q.is_query() {
        1
    } else {
        segments.clamp(1, 64)
    };
    let mut tasks = Vec::new();
    for seg in 0..segs {
        let (ctx, table, q, tx, cancel, scanned) = (
            ctx.clone(),
            table.clone(),
            q.clone(),
            tx.clone(),
            cancel.clone(),
            Arc::clone(&scanned),
        );
        tasks.push(tokio::spawn(async move {
            let mut start: Option<Item> = None;
            loop {
                let segment = (!q.is_query() && segs > 1).then_some((seg, segs));
                let p = tokio::select! {
                    () = cancel.cancelled() => return Ok(()),
                    p = page(&ctx, &table, &q, start.as_ref(), page_size, segment) => p?,
                };
                scanned.fetch_add(p.scanned, Ordering::Relaxed);
                if !p.items.is_empty() && tx.send(p.items).await.is_err() {
                    return Ok(());
                }
                match p.last_key {
                    Some(k) => start = Some(k),
                    None => return Ok::<(), AwsError>(()),
                }
            }
        }));
    }
    drop(tx);
    let mut first_err = None;
    for t in tasks {
        match t.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                cancel.cancel();
                first_err.get_or_insert(e);
            }
            Err(e) => {
                first_err.get_or_insert(AwsError::new(
                    ErrorKind::Other,
                    format!("export task failed: {e}"),
                ));
            }
        }
    }
    let bytes = match writer.await {
        Ok(Ok(b)) => b,
        Ok(Err(e)) => return Err(io_err(e)),
        Err(e) => {
            return Err(AwsError::new(
                ErrorKind::Other,
                format!("export writer failed: {e}"),
            ));
        }
    };
    if let Some(e) = first_err {
        return Err(e);
    }
    Ok(ExportSummary {
        items: written.load(Ordering::Relaxed),
        scanned: scanned.load(Ordering::Relaxed),
        bytes,
        cancelled: cancel.is_cancelled(),
    })
}
