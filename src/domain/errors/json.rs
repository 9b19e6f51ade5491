//! Errors in JSON log records: Lambda's JSON log format (`platform.*` records, the runtimes'
//! `errorType` / `errorMessage` / `stackTrace` records), and application records at level
//! ERROR, FATAL or CRITICAL (the Powertools shape: `level`, `message`, `error` or `exception`).

use serde_json::Value;

use super::{
    Detected, ErrorKind, OOM_TYPE, TIMEOUT_TYPE, cut, first_line, frames, is_init_type,
    runtime_kind,
};

/// The error in one JSON record, if it is one.
pub fn detect(v: &Value) -> Option<Detected> {
    let obj = v.as_object()?;
    if let Some(t) = obj.get("type").and_then(Value::as_str)
        && t.starts_with("platform.")
    {
        return platform(t, obj.get("record")?);
    }
    let request_id = str_field(v, &["requestId", "request_id", "AWSRequestId"])
        .or_else(|| str_field(v, &["function_request_id"]))
        .map(str::to_string);
    // The runtime's own record of an unhandled error: top level, or inside `message`.
    for holder in [Some(v), obj.get("message").filter(|m| m.is_object())]
        .into_iter()
        .flatten()
    {
        if let Some(error_type) = str_field(holder, &["errorType"]) {
            let message = str_field(holder, &["errorMessage"]).unwrap_or("");
            let stack = stack_text(holder.get("stackTrace").or_else(|| holder.get("stack")));
            let kind = runtime_kind(error_type);
            return Some(Detected {
                kind,
                error_type: error_type.to_string(),
                message: first_line(message),
                frame: stack.as_deref().and_then(frames::top_application_frame),
                request_id,
                generic: false,
            });
        }
    }
    let level = str_field(v, &["level", "log_level", "levelname", "severity"])?;
    if !matches!(
        level.to_ascii_uppercase().as_str(),
        "ERROR" | "FATAL" | "CRITICAL"
    ) {
        return None;
    }
    Some(application(v, level, request_id))
}

/// An application record at an error level: the error's name, message and stack from `error`
/// or `exception` (object or text), else the record's `message`.
fn application(v: &Value, level: &str, request_id: Option<String>) -> Detected {
    let error = v
        .get("error")
        .or_else(|| v.get("exception"))
        .or_else(|| v.get("err"));
    let record_message = match v.get("message").or_else(|| v.get("msg")) {
        Some(Value::String(s)) => first_line(s),
        Some(other @ (Value::Object(_) | Value::Array(_))) => cut(&other.to_string()),
        _ => String::new(),
    };
    let (mut error_type, mut message, mut stack) = (None, None, None);
    match error {
        Some(e @ Value::Object(_)) => {
            error_type = str_field(e, &["name", "type", "errorType"]).map(str::to_string);
            message = str_field(e, &["message", "errorMessage"]).map(first_line);
            stack = stack_text(e.get("stack").or_else(|| e.get("stackTrace")));
        }
        Some(Value::String(text)) => {
            // Powertools for Python: `exception` is the formatted traceback, its last line
            // `Type: message`; `exception_name` names the type.
            stack = Some(text.clone());
            let last = text.lines().rev().map(str::trim).find(|l| !l.is_empty());
            if let Some((t, m)) = last.and_then(|l| l.split_once(": ")) {
                error_type = Some(t.to_string());
                message = Some(first_line(m));
            }
        }
        _ => {}
    }
    if let Some(name) = str_field(v, &["exception_name", "errorName"]) {
        error_type = Some(name.to_string());
    }
    let frame = stack
        .as_deref()
        .and_then(frames::top_application_frame)
        .or_else(|| str_field(v, &["location"]).map(str::to_string));
    let message = match message {
        Some(m) if !m.is_empty() && record_message.is_empty() => m,
        Some(m) if !m.is_empty() && m != record_message => format!("{record_message}: {m}"),
        _ => record_message,
    };
    Detected {
        kind: ErrorKind::Application,
        error_type: error_type.unwrap_or_else(|| level.to_ascii_uppercase()),
        message: cut(&message),
        frame,
        request_id,
        generic: false,
    }
}

/// Lambda's `platform.*` records in the JSON log format.
fn platform(t: &str, record: &Value) -> Option<Detected> {
    if let Value::String(s) = record {
        // platform.fault: "RequestId: ... Process exited before completing request"
        return (t == "platform.fault").then(|| Detected {
            kind: ErrorKind::Runtime,
            error_type: "Runtime.ExitError".into(),
            message: first_line(s),
            frame: None,
            request_id: super::text::request_id_after(s).map(str::to_string),
            generic: true,
        });
    }
    let status = str_field(record, &["status"])?;
    let request_id = str_field(record, &["requestId"]).map(str::to_string);
    let error_type = str_field(record, &["errorType"]);
    let init = matches!(
        t,
        "platform.initReport" | "platform.initRuntimeDone" | "platform.restoreReport"
    );
    if !init && !matches!(t, "platform.report" | "platform.runtimeDone") {
        return None;
    }
    let duration = record
        .pointer("/metrics/durationMs")
        .and_then(Value::as_f64);
    let (kind, error_type, message, generic) = match (status, init) {
        ("success", _) => return None,
        ("timeout", false) => (
            ErrorKind::Timeout,
            TIMEOUT_TYPE.to_string(),
            timeout_message(duration),
            false,
        ),
        (_, true) => {
            let et = error_type.unwrap_or(if status == "timeout" {
                TIMEOUT_TYPE
            } else {
                "Runtime.InitError"
            });
            (
                ErrorKind::Init,
                et.to_string(),
                format!("init {status}: {et}"),
                true,
            )
        }
        (_, false) => {
            let et = error_type.unwrap_or("Runtime.Unknown");
            let kind = if et.contains("OutOfMemory") {
                ErrorKind::OutOfMemory
            } else {
                ErrorKind::Runtime
            };
            let et = if kind == ErrorKind::OutOfMemory {
                OOM_TYPE
            } else {
                et
            };
            let generic = kind == ErrorKind::Runtime && !is_init_type(et);
            (
                kind,
                et.to_string(),
                format!("invocation {status}: {et}"),
                generic,
            )
        }
    };
    Some(Detected {
        kind,
        error_type,
        message,
        frame: None,
        request_id,
        generic,
    })
}

/// `Task timed out after 3.00 seconds`, from a duration in ms when there is one.
pub fn timeout_message(duration_ms: Option<f64>) -> String {
    match duration_ms {
        Some(ms) => format!("Task timed out after {:.2} seconds", ms / 1000.0),
        None => "Task timed out".to_string(),
    }
}

/// The first of `keys` holding a string.
fn str_field<'a>(v: &'a Value, keys: &[&str]) -> Option<&'a str> {
    keys.iter().find_map(|k| v.get(*k).and_then(Value::as_str))
}

/// A stack as text: an array of lines (Node, Python, Java runtimes) or a string.
fn stack_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Array(lines) => Some(
            lines
                .iter()
                .filter_map(Value::as_str)
                .take(200)
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        _ => None,
    }
}
