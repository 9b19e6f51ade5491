//! The JSON log format (`LoggingConfig.LogFormat = JSON`): Lambda's `platform.*` records and
//! the runtimes' application records (`level`, `requestId`, `message`).

use serde_json::Value;

use super::{
    InitReport, LambdaLine, Report, failure_status, first_json_object, is_error_level,
    json_string_field, request_id_of, text::round_u64,
};

/// Events longer than this are not parsed as JSON (they are read as text).
const MAX_JSON_BYTES: usize = 256 * 1024;

/// Classifies a JSON record (`record` is where it starts in the event `msg`); `None` if it
/// is not a JSON object, so that the event is read as text.
pub(super) fn parse(record: &str, msg: &str) -> Option<LambdaLine> {
    if record.len() > MAX_JSON_BYTES {
        return None;
    }
    let value = first_json_object(record)?;
    let request_id = || request_id_of(msg).map(str::to_owned);
    if let Some(t) = value.get("type").and_then(Value::as_str)
        && t.starts_with("platform.")
    {
        let id = json_string_field(record, "requestId").map(str::to_owned);
        return Some(
            platform(t, value.get("record"), id).unwrap_or_else(|| LambdaLine::Other {
                request_id: request_id(),
            }),
        );
    }
    let level = ["level", "log_level", "levelname"]
        .iter()
        .find_map(|k| value.get(*k).and_then(Value::as_str));
    Some(if level.is_some_and(is_error_level) {
        LambdaLine::Error {
            request_id: request_id(),
        }
    } else {
        LambdaLine::Other {
            request_id: request_id(),
        }
    })
}

/// A `platform.*` record; `None` for the types that say nothing about an invocation
/// (`platform.initStart`, `platform.extension`, ...) or lack the request they are about.
fn platform(t: &str, record: Option<&Value>, id: Option<String>) -> Option<LambdaLine> {
    let record = record?;
    if let Value::String(text) = record {
        // `platform.fault`: "RequestId: ... Process exited before completing request"
        return (t == "platform.fault").then(|| LambdaLine::Error {
            request_id: super::text::value_after(text, "RequestId:").map(str::to_owned),
        });
    }
    let status = record.get("status").and_then(Value::as_str);
    let metric = |name: &str| {
        record
            .get("metrics")
            .and_then(|m| m.get(name))
            .and_then(Value::as_f64)
            .filter(|v| v.is_finite() && *v >= 0.0)
    };
    let error_type = || {
        record
            .get("errorType")
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    match t {
        "platform.start" => Some(LambdaLine::Start {
            request_id: id?,
            version: record
                .get("version")
                .and_then(Value::as_str)
                .map(str::to_owned),
        }),
        "platform.runtimeDone" => match failure_status(status).as_deref() {
            None => Some(LambdaLine::End { request_id: id? }),
            Some("timeout") => Some(LambdaLine::Timeout {
                request_id: id,
                seconds: metric("durationMs").map(|ms| ms / 1000.0),
            }),
            Some(_) => Some(LambdaLine::Error { request_id: id }),
        },
        "platform.report" => Some(LambdaLine::Report(Report {
            request_id: id?,
            duration_ms: metric("durationMs")?,
            billed_ms: metric("billedDurationMs").and_then(round_u64),
            memory_mb: metric("memorySizeMB").and_then(round_u64),
            max_memory_mb: metric("maxMemoryUsedMB").and_then(round_u64),
            init_ms: metric("initDurationMs"),
            status: failure_status(status),
            error_type: error_type(),
            restore_ms: metric("restoreDurationMs"),
            billed_restore_ms: metric("billedRestoreDurationMs").and_then(round_u64),
        })),
        "platform.initReport" | "platform.restoreReport" => {
            let default_phase = if t == "platform.restoreReport" {
                "restore"
            } else {
                "init"
            };
            Some(LambdaLine::InitReport(InitReport {
                phase: record
                    .get("phase")
                    .and_then(Value::as_str)
                    .unwrap_or(default_phase)
                    .to_owned(),
                duration_ms: metric("durationMs"),
                status: failure_status(status),
                error_type: error_type(),
            }))
        }
        _ => None,
    }
}
