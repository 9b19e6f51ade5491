//! Lambda Invoke (RequestResponse, LogType=Tail): the response payload, the decoded log
//! tail with its REPORT line, and the function error.

use std::time::Instant;

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{InvocationType, LogType};
use base64::Engine as _;
use serde::Serialize;

use super::{AwsContext, AwsError};
use crate::domain::report::Report;

/// Longest log tail kept (Lambda returns at most the last 4 KB anyway).
const MAX_LOG_TAIL: usize = 8 * 1024;

/// What one direct invocation returned.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Invocation {
    /// The Lambda API status (200 for RequestResponse).
    pub status: i32,
    /// `Handled` / `Unhandled` when the function failed.
    pub function_error: Option<String>,
    /// The raw response payload.
    #[serde(skip)]
    pub payload: Vec<u8>,
    /// The decoded log tail (the last 4 KB of the invocation's log).
    pub log_tail: Option<String>,
    /// The REPORT line of the tail, parsed.
    pub report: Option<Report>,
    /// Round-trip time measured by protoctl.
    pub latency_ms: f64,
}

impl Invocation {
    /// The function's own duration from REPORT, else the round trip.
    pub fn duration_ms(&self) -> f64 {
        self.report
            .as_ref()
            .map_or(self.latency_ms, |r| r.duration_ms)
    }

    /// True when the REPORT line shows an Init Duration.
    pub fn cold_start(&self) -> bool {
        self.report.as_ref().is_some_and(Report::is_cold_start)
    }
}

/// A Lambda client; `retries: false` leaves throttling to the caller (fan-out counts it).
pub fn client(ctx: &AwsContext, retries: bool) -> aws_sdk_lambda::Client {
    let mut conf = aws_sdk_lambda::config::Builder::from(&ctx.sdk);
    if !retries {
        conf = conf.retry_config(aws_config::retry::RetryConfig::disabled());
    }
    aws_sdk_lambda::Client::from_conf(conf.build())
}

/// Invokes `function` synchronously with `payload`, asking for the log tail.
pub async fn invoke(
    client: &aws_sdk_lambda::Client,
    function: &str,
    payload: &[u8],
) -> Result<Invocation, AwsError> {
    let started = Instant::now();
    let out = client
        .invoke()
        .function_name(function)
        .invocation_type(InvocationType::RequestResponse)
        .log_type(LogType::Tail)
        .payload(Blob::new(payload))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("Invoke", e))?;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let log_tail = out.log_result().map(decode_log_tail);
    let report = log_tail.as_deref().and_then(report_of);
    Ok(Invocation {
        status: out.status_code(),
        function_error: out.function_error().map(ToString::to_string),
        payload: out
            .payload()
            .map(|b| b.as_ref().to_vec())
            .unwrap_or_default(),
        log_tail,
        report,
        latency_ms,
    })
}

/// Decodes the base64 `LogResult` (bounded; invalid base64 is shown as such).
pub fn decode_log_tail(b64: &str) -> String {
    match base64::engine::general_purpose::STANDARD.decode(b64.trim()) {
        Ok(bytes) => {
            let start = bytes.len().saturating_sub(MAX_LOG_TAIL);
            String::from_utf8_lossy(&bytes[start..]).into_owned()
        }
        Err(_) => "(the log tail was not valid base64)".to_string(),
    }
}

pub use crate::domain::report::report_of;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_is_decoded_and_report_parsed() {
        let text = "START RequestId: r1 Version: $LATEST\nhello\nEND RequestId: r1\nREPORT RequestId: r1\tDuration: 12.5 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB\tInit Duration: 150.2 ms\t\n";
        let b64 = base64::engine::general_purpose::STANDARD.encode(text);
        let tail = decode_log_tail(&b64);
        assert_eq!(tail, text);
        let r = report_of(&tail).unwrap();
        assert_eq!(r.request_id, "r1");
        assert!(r.is_cold_start());
        assert!(decode_log_tail("!!").contains("not valid base64"));
        assert!(report_of("no report").is_none());
    }
}
