//! A table loaded back from its items file (BatchWriteItem, retrying what is left
//! unprocessed), then scanned again for its count and digest.

use std::path::Path;
use std::time::Duration;

use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use futures::StreamExt;
use tokio::io::AsyncBufReadExt;

use super::{RestoreOptions, invalid};
use crate::aws::shelve::files::parse_item_line;
use crate::aws::shelve::{AwsError, ErrorKind, Progress, ProgressFn, io_error};
use crate::aws::{AwsContext, dynamodb};
use crate::domain::archive::ItemsDigest;
use crate::domain::sanitize::sanitize;

/// Writes a table's archived items back, 25 a request, retrying what DynamoDB left
/// unprocessed; reads the file line by line.
pub(super) async fn load_table(
    ctx: &AwsContext,
    path: &Path,
    table: &str,
    logical: &str,
    opts: &RestoreOptions,
    progress: ProgressFn<'_>,
) -> Result<(), AwsError> {
    progress(Progress::Phase(format!("loading table {logical}")));
    let f = tokio::fs::File::open(path)
        .await
        .map_err(|e| io_error("cannot read", path, &e))?;
    let mut lines = tokio::io::BufReader::new(f).lines();
    let mut batches: Vec<Vec<WriteRequest>> = Vec::new();
    let mut batch = Vec::new();
    let mut loaded = 0u64;
    loop {
        let line = lines
            .next_line()
            .await
            .map_err(|e| io_error("cannot read", path, &e))?;
        let end = line.is_none();
        if let Some(line) = line {
            let item = parse_item_line(&line).map_err(invalid)?;
            batch.push(
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .set_item(Some(dynamodb::item_to_sdk(&item)))
                            .build()
                            .map_err(|e| AwsError::new(ErrorKind::Other, e.to_string()))?,
                    )
                    .build(),
            );
            if batch.len() == 25 {
                batches.push(std::mem::take(&mut batch));
            }
        }
        if end && !batch.is_empty() {
            batches.push(std::mem::take(&mut batch));
        }
        if batches.len() >= opts.concurrency.max(1) || (end && !batches.is_empty()) {
            let n: u64 = batches.iter().map(|b| b.len() as u64).sum();
            let results: Vec<Result<(), AwsError>> =
                futures::stream::iter(batches.drain(..).map(|b| write_batch(ctx, table, b)))
                    .buffer_unordered(opts.concurrency.max(1))
                    .collect()
                    .await;
            results.into_iter().collect::<Result<Vec<()>, _>>()?;
            loaded += n;
            progress(Progress::Items {
                table: logical.to_string(),
                items: loaded,
            });
        }
        if end {
            return Ok(());
        }
    }
}

async fn write_batch(
    ctx: &AwsContext,
    table: &str,
    mut batch: Vec<WriteRequest>,
) -> Result<(), AwsError> {
    let mut delay = Duration::from_millis(50);
    for _ in 0..12 {
        let out = ctx
            .dynamodb()
            .batch_write_item()
            .request_items(table, batch)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("BatchWriteItem", e))?;
        batch = out
            .unprocessed_items()
            .and_then(|m| m.get(table).cloned())
            .unwrap_or_default();
        if batch.is_empty() {
            return Ok(());
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
    Err(AwsError::new(
        ErrorKind::Throttled,
        format!(
            "BatchWriteItem: {} items of {} stayed unprocessed after retries",
            batch.len(),
            sanitize(table)
        ),
    ))
}

/// Scans the restored table and digests its items.
pub(super) async fn table_digest(
    ctx: &AwsContext,
    table: &str,
    logical: &str,
) -> Result<ItemsDigest, AwsError> {
    let info = dynamodb::describe_table(ctx, table, logical).await?;
    let q = dynamodb::ItemQuery::default();
    let mut d = ItemsDigest::default();
    let mut start = None;
    loop {
        let p = dynamodb::page(ctx, &info, &q, start.as_ref(), 1000, None).await?;
        for it in &p.items {
            d.add(it);
        }
        match p.last_key {
            Some(k) => start = Some(k),
            None => return Ok(d),
        }
    }
}
