//! A log group's recent events into the archive, as JSON lines.

use serde_json::json;
use tokio::io::AsyncWriteExt;

use super::Writer;
use crate::aws::AwsContext;
use crate::aws::shelve::{AwsError, Progress, ProgressFn, io_error};
use crate::domain::archive::{LogEntry, path_segment};

/// Streams a log group's events since `start_ms` into a JSON-lines file, page by page.
pub(super) async fn write_logs(
    ctx: &AwsContext,
    w: &mut Writer,
    group: &str,
    start_ms: i64,
    progress: ProgressFn<'_>,
) -> Result<LogEntry, AwsError> {
    let file = format!("logs/{}.jsonl", path_segment(group));
    let path = w.root.join(&file);
    let mut out = tokio::io::BufWriter::new(w.create(&file).await?);
    let mut token: Option<String> = None;
    let mut last: Option<String> = None;
    let mut events = 0u64;
    loop {
        let page = ctx
            .logs()
            .filter_log_events()
            .log_group_name(group)
            .start_time(start_ms)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("FilterLogEvents", e))?;
        for e in page.events() {
            let mut line = json!({
                "timestamp": e.timestamp(),
                "ingestion_time": e.ingestion_time(),
                "log_stream": e.log_stream_name(),
                "event_id": e.event_id(),
                "message": e.message(),
            })
            .to_string();
            line.push('\n');
            out.write_all(line.as_bytes())
                .await
                .map_err(|x| io_error("cannot write", &path, &x))?;
            events += 1;
        }
        progress(Progress::Logs {
            group: group.to_string(),
            events,
        });
        // An empty page may still carry a token while the search goes on: follow it until
        // it ends or repeats.
        match page.next_token() {
            Some(t) if last.as_deref() != Some(t) => {
                last = Some(t.to_string());
                token = Some(t.to_string());
            }
            _ => break,
        }
    }
    out.flush()
        .await
        .map_err(|x| io_error("cannot write", &path, &x))?;
    Ok(LogEntry {
        group: group.to_string(),
        events,
        file,
    })
}
