//! CloudWatch Logs Insights: StartQuery / GetQueryResults / StopQuery over any number of log
//! groups (chunks of 50, at most [`plan::CONCURRENT_QUERIES`] running at once), merged into
//! the rows one query would give; and the error candidates of a window, for `errors`.

pub use crate::domain::queries::plan;

use std::time::Duration;

use aws_sdk_cloudwatchlogs::types::{QueryStatistics, QueryStatus};
use futures::StreamExt;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use super::logs::LogGroupRef;
use super::{AwsContext, AwsError, ErrorKind};
use crate::domain::logbuf::LogEvent;
pub use plan::{ChunkProgress, QueryOutcome, Row, columns};

/// How a query runs.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Pause between GetQueryResults calls of one query.
    pub poll: Duration,
    /// Queries at once (at most [`plan::MAX_CONCURRENT_QUERIES`]).
    pub concurrency: usize,
    /// Give up on a query after this long (StopQuery, then an error).
    pub timeout: Duration,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            poll: Duration::from_millis(500),
            concurrency: plan::CONCURRENT_QUERIES,
            timeout: Duration::from_secs(15 * 60),
        }
    }
}

/// Runs `query` over `groups` for `[start_ms, end_ms]`, reporting progress on `progress`;
/// cancelling stops every running query (StopQuery) and returns an error.
pub async fn run(
    ctx: &AwsContext,
    groups: &[String],
    query: &str,
    (start_ms, end_ms): (i64, i64),
    opts: &RunOptions,
    cancel: &CancellationToken,
    progress: Option<&UnboundedSender<ChunkProgress>>,
) -> Result<QueryOutcome, AwsError> {
    if groups.is_empty() {
        return Err(AwsError::new(ErrorKind::Invalid, "no log groups to query"));
    }
    let chunks = plan::chunks(groups);
    let n = chunks.len();
    let concurrency = opts.concurrency.clamp(1, plan::MAX_CONCURRENT_QUERIES);
    let results: Vec<Result<(Vec<Row>, ChunkProgress), AwsError>> =
        futures::stream::iter(chunks.into_iter().enumerate().map(|(i, chunk)| {
            let window = (start_ms.div_euclid(1000), (end_ms + 999).div_euclid(1000));
            async move { run_one(ctx, &chunk, query, window, opts, cancel, progress, (i, n)).await }
        }))
        .buffered(concurrency)
        .collect()
        .await;
    let mut outcome = QueryOutcome {
        queries: n,
        ..QueryOutcome::default()
    };
    let mut parts = Vec::with_capacity(n);
    for r in results {
        let (rows, p) = r?;
        outcome.records_scanned += p.records_scanned;
        outcome.records_matched += p.records_matched;
        parts.push(rows);
    }
    let (rows, approximate) = plan::merge(&plan::shape(query), parts);
    outcome.columns = columns(&rows);
    outcome.rows = rows;
    outcome.approximate = approximate;
    Ok(outcome)
}

#[allow(clippy::too_many_arguments)] // one query's whole context; private
async fn run_one(
    ctx: &AwsContext,
    groups: &[String],
    query: &str,
    (start_s, end_s): (i64, i64),
    opts: &RunOptions,
    cancel: &CancellationToken,
    progress: Option<&UnboundedSender<ChunkProgress>>,
    (chunk, chunks): (usize, usize),
) -> Result<(Vec<Row>, ChunkProgress), AwsError> {
    if cancel.is_cancelled() {
        // A chunk still waiting for its turn never starts.
        return Err(AwsError::new(ErrorKind::Other, "query cancelled"));
    }
    let client = ctx.logs();
    let started = client
        .start_query()
        .set_log_group_names(Some(groups.to_vec()))
        .start_time(start_s)
        .end_time(end_s)
        .query_string(query)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("StartQuery", e))?;
    let id = started
        .query_id()
        .ok_or_else(|| AwsError::new(ErrorKind::Other, "StartQuery returned no query id"))?
        .to_string();
    let deadline = tokio::time::Instant::now() + opts.timeout;
    loop {
        let out = client
            .get_query_results()
            .query_id(&id)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("GetQueryResults", e))?;
        let status = out.status().cloned().unwrap_or(QueryStatus::Running);
        let figures = out.statistics();
        let p = ChunkProgress {
            chunk,
            chunks,
            status: status.as_str().to_string(),
            records_scanned: figures.map_or(0.0, QueryStatistics::records_scanned),
            records_matched: figures.map_or(0.0, QueryStatistics::records_matched),
            bytes_scanned: figures.map_or(0.0, QueryStatistics::bytes_scanned),
        };
        if let Some(tx) = progress {
            let _ = tx.send(p.clone());
        }
        match status {
            QueryStatus::Complete => {
                let rows = out
                    .results()
                    .iter()
                    .map(|r| {
                        r.iter()
                            .map(|f| {
                                (
                                    f.field().unwrap_or_default().to_string(),
                                    f.value().unwrap_or_default().to_string(),
                                )
                            })
                            .collect()
                    })
                    .collect();
                return Ok((rows, p));
            }
            QueryStatus::Failed | QueryStatus::Cancelled | QueryStatus::Timeout => {
                return Err(AwsError::new(
                    ErrorKind::Other,
                    format!("the Logs Insights query ended {}", status.as_str()),
                ));
            }
            _ => {}
        }
        tokio::select! {
            () = cancel.cancelled() => {
                stop(ctx, &id).await;
                return Err(AwsError::new(ErrorKind::Other, "query cancelled"));
            }
            () = tokio::time::sleep(opts.poll) => {}
        }
        if tokio::time::Instant::now() >= deadline {
            stop(ctx, &id).await;
            return Err(AwsError::new(
                ErrorKind::Timeout,
                "the Logs Insights query did not finish in time: narrow the window",
            ));
        }
    }
}

/// StopQuery, best effort (the query may have finished meanwhile).
async fn stop(ctx: &AwsContext, id: &str) {
    if let Err(e) = ctx.logs().stop_query().query_id(id).send().await {
        let e = AwsError::from_sdk("StopQuery", e);
        tracing::info!(query = id, error = %e, "StopQuery failed");
    }
}

/// The Insights query that finds the candidate error events of a window: every line that
/// may hold an error, newest first; the grouping then reads them as `errors` reads events.
pub const ERROR_CANDIDATES_QUERY: &str = "fields @timestamp, @message, @log, @logStream \
| filter @message like /(?i)(error|exception|traceback|timed out|timeout|fatal|critical|killed|exited|unable to import)/ \
| sort @timestamp desc | limit 10000";

/// The candidate error events of `groups` over `[start_ms, end_ms]` through Logs Insights
/// (one query per 50 groups); `true` when a query hit its 10,000-row limit.
pub async fn error_candidates(
    ctx: &AwsContext,
    groups: &[LogGroupRef],
    window: (i64, i64),
    cancel: &CancellationToken,
) -> Result<(Vec<LogEvent>, bool), AwsError> {
    let names: Vec<String> = groups.iter().map(|g| g.name.clone()).collect();
    let mut events = Vec::new();
    let mut full = false;
    for chunk in plan::chunks(&names) {
        let out = run(
            ctx,
            &chunk,
            ERROR_CANDIDATES_QUERY,
            window,
            &RunOptions::default(),
            cancel,
            None,
        )
        .await?;
        full |= out.rows.len() >= plan::MAX_ROWS;
        events.extend(out.rows.iter().filter_map(|r| row_event(r, groups)));
    }
    Ok((events, full))
}

/// A result row of [`ERROR_CANDIDATES_QUERY`] as a log event of its group.
fn row_event(row: &Row, groups: &[LogGroupRef]) -> Option<LogEvent> {
    let log = plan::value(row, "@log")?;
    // AWS writes `account-id:group-name`; the emulator the bare name.
    let name = groups.iter().find(|g| {
        g.name == log
            || log
                .strip_suffix(g.name.as_str())
                .is_some_and(|p| p.ends_with(':'))
    })?;
    let stream = plan::value(row, "@logStream").unwrap_or_default();
    Some(LogEvent {
        timestamp_ms: parse_timestamp(plan::value(row, "@timestamp")?)?,
        ingestion_ms: None,
        function: name.function_of(stream)?.to_string(),
        log_group: name.name.clone(),
        log_stream: stream.to_string(),
        event_id: plan::value(row, "@ptr").unwrap_or_default().to_string(),
        message: plan::value(row, "@message")?.to_string(),
    })
}

/// `2026-12-02 07:51:38.123` (AWS, UTC) or milliseconds since the epoch (the emulator).
pub fn parse_timestamp(v: &str) -> Option<i64> {
    if let Ok(ms) = v.parse::<i64>() {
        return Some(ms);
    }
    chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%d %H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc().timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_of_both_shapes() {
        assert_eq!(parse_timestamp("1764661898123"), Some(1_764_661_898_123));
        assert_eq!(
            parse_timestamp("2026-12-02 07:51:38.123"),
            Some(
                chrono::DateTime::parse_from_rfc3339("2026-12-02T07:51:38.123Z")
                    .unwrap()
                    .timestamp_millis()
            )
        );
        assert_eq!(parse_timestamp("yesterday"), None);
    }

    #[test]
    fn rows_map_back_to_their_group() {
        let groups = vec![LogGroupRef {
            name: "/aws/lambda/app-create".into(),
            function: "app-create".into(),
            arn: None,
            functions_by_stream: Vec::new(),
        }];
        let row: Row = vec![
            ("@timestamp".into(), "2026-12-02 07:51:38.123".into()),
            ("@message".into(), "boom".into()),
            ("@log".into(), "123456789012:/aws/lambda/app-create".into()),
            ("@logStream".into(), "s".into()),
            ("@ptr".into(), "p1".into()),
        ];
        let e = row_event(&row, &groups).unwrap();
        assert_eq!(
            (e.function.as_str(), e.event_id.as_str(), e.message.as_str()),
            ("app-create", "p1", "boom")
        );
        let other: Row = vec![("@log".into(), "1:/aws/lambda/x".into())];
        assert!(row_event(&other, &groups).is_none());
    }
}
