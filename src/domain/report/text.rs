//! The text log format: `START` / `END` / `REPORT` / `INIT_REPORT` / `RESTORE_REPORT` lines
//! (tab or space separated, fields in any order, units attached or apart), timeouts and the
//! runtimes' error lines.

use super::{
    InitReport, LambdaLine, Report, failure_status, is_error_level, json_record, json_string_field,
    request_id_of,
};

/// Classifies one text record (the whole event, or one of its platform lines).
pub(super) fn parse(msg: &str) -> LambdaLine {
    let mut tokens = msg.split_whitespace();
    let first = tokens.next().unwrap_or("");
    let second = tokens.next().unwrap_or("");
    if second == "RequestId:" {
        match first {
            "START" => {
                if let Some(request_id) = value_after(msg, "RequestId:") {
                    let version = value_after(msg, "Version:").map(str::to_owned);
                    return LambdaLine::Start {
                        request_id: request_id.to_owned(),
                        version,
                    };
                }
            }
            "END" => {
                if let Some(request_id) = value_after(msg, "RequestId:") {
                    return LambdaLine::End {
                        request_id: request_id.to_owned(),
                    };
                }
            }
            "REPORT" => {
                if let Some(report) = report(msg) {
                    return LambdaLine::Report(report);
                }
            }
            _ => {}
        }
    }
    if matches!(first, "INIT_REPORT" | "RESTORE_REPORT") {
        return LambdaLine::InitReport(init_report(first, msg));
    }
    let request_id = request_id_of(msg).map(str::to_owned);
    if let Some(pos) = msg.find("Task timed out after") {
        let seconds = msg[pos..]
            .split_whitespace()
            .nth(4)
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.0);
        return LambdaLine::Timeout {
            request_id,
            seconds,
        };
    }
    if is_error_line(msg) {
        return LambdaLine::Error { request_id };
    }
    LambdaLine::Other { request_id }
}

/// The `Key: value` fields after the line's keyword: multi-word keys (`Billed Restore
/// Duration`), tabs or spaces, a unit (`ms`, `MB`) after the value or attached to it.
fn fields(msg: &str) -> Vec<(String, &str)> {
    let tokens: Vec<&str> = msg.split_whitespace().collect();
    let mut out = Vec::new();
    let mut key_start = 1;
    let mut i = 1;
    while i < tokens.len() {
        let Some(last_word) = tokens[i].strip_suffix(':').filter(|w| !w.is_empty()) else {
            i += 1;
            continue;
        };
        let mut key = tokens[key_start..i].join(" ");
        if !key.is_empty() {
            key.push(' ');
        }
        key.push_str(last_word);
        i += 1;
        if let Some(value) = tokens.get(i).filter(|v| !v.ends_with(':')) {
            out.push((key, *value));
            i += 1;
            if matches!(tokens.get(i), Some(&("ms" | "MB"))) {
                i += 1;
            }
        }
        key_start = i;
    }
    out
}

/// A `REPORT` line; `None` without a request id and a duration.
fn report(msg: &str) -> Option<Report> {
    let mut r = Partial::default();
    for (key, value) in fields(msg) {
        match key.as_str() {
            "RequestId" => fill(&mut r.request_id, Some(value)),
            "Duration" => fill(&mut r.duration_ms, parse_f64(value)),
            "Billed Duration" => fill(&mut r.billed_ms, parse_u64(value)),
            "Memory Size" => fill(&mut r.memory_mb, parse_u64(value)),
            "Max Memory Used" => fill(&mut r.max_memory_mb, parse_u64(value)),
            "Init Duration" => fill(&mut r.init_ms, parse_f64(value)),
            "Restore Duration" => fill(&mut r.restore_ms, parse_f64(value)),
            "Billed Restore Duration" => fill(&mut r.billed_restore_ms, parse_u64(value)),
            "Status" => fill(&mut r.status, Some(value)),
            "Error Type" => fill(&mut r.error_type, Some(value)),
            _ => {}
        }
    }
    Some(Report {
        request_id: r.request_id?.to_owned(),
        duration_ms: r.duration_ms?,
        billed_ms: r.billed_ms,
        memory_mb: r.memory_mb,
        max_memory_mb: r.max_memory_mb,
        init_ms: r.init_ms,
        status: failure_status(r.status),
        error_type: r.error_type.map(str::to_owned),
        restore_ms: r.restore_ms,
        billed_restore_ms: r.billed_restore_ms,
    })
}

#[derive(Default)]
struct Partial<'a> {
    request_id: Option<&'a str>,
    duration_ms: Option<f64>,
    billed_ms: Option<u64>,
    memory_mb: Option<u64>,
    max_memory_mb: Option<u64>,
    init_ms: Option<f64>,
    restore_ms: Option<f64>,
    billed_restore_ms: Option<u64>,
    status: Option<&'a str>,
    error_type: Option<&'a str>,
}

/// An `INIT_REPORT` or `RESTORE_REPORT` line.
fn init_report(keyword: &str, msg: &str) -> InitReport {
    let restore = keyword == "RESTORE_REPORT";
    let (mut phase, mut duration_ms, mut status, mut error_type) = (None, None, None, None);
    for (key, value) in fields(msg) {
        match key.as_str() {
            "Init Duration" | "Restore Duration" => fill(&mut duration_ms, parse_f64(value)),
            "Phase" => fill(&mut phase, Some(value)),
            "Status" => fill(&mut status, Some(value)),
            "Error Type" => fill(&mut error_type, Some(value)),
            _ => {}
        }
    }
    InitReport {
        phase: phase
            .unwrap_or(if restore { "restore" } else { "init" })
            .to_owned(),
        duration_ms,
        status: failure_status(status),
        error_type: error_type.map(str::to_owned),
    }
}

fn fill<T>(slot: &mut Option<T>, value: Option<T>) {
    if slot.is_none() {
        *slot = value;
    }
}

fn strip_unit(value: &str) -> &str {
    value
        .strip_suffix("ms")
        .or_else(|| value.strip_suffix("MB"))
        .unwrap_or(value)
}

fn parse_f64(value: &str) -> Option<f64> {
    strip_unit(value)
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
}

fn parse_u64(value: &str) -> Option<u64> {
    let v = strip_unit(value);
    v.parse::<u64>()
        .ok()
        .or_else(|| v.parse::<f64>().ok().and_then(round_u64))
}

/// A non-negative finite number rounded to an integer.
pub(super) fn round_u64(f: f64) -> Option<u64> {
    (f.is_finite() && f >= 0.0 && f <= u64::MAX as f64).then(|| f.round() as u64)
}

/// The whitespace-delimited token following the token `key`.
pub(super) fn value_after<'a>(msg: &'a str, key: &str) -> Option<&'a str> {
    // A substring search first: most lines do not hold the key at all.
    if !msg.contains(key) {
        return None;
    }
    let mut tokens = msg.split_whitespace();
    tokens.find(|t| *t == key)?;
    tokens.next().filter(|v| !v.ends_with(':'))
}

/// Whether `s` has the shape of a request id (a UUID, any hex case).
pub(super) fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                b == b'-'
            } else {
                b.is_ascii_hexdigit()
            }
        })
}

/// An `ERROR` level marker where runtimes put it (first, after a leading timestamp, or after
/// the request id), a JSON record at an error level (one that did not parse: cut short), or
/// the platform's runtime-exit messages.
fn is_error_line(msg: &str) -> bool {
    if msg.contains("Runtime.ExitError") || msg.contains("Error: Runtime exited") {
        return true;
    }
    if let Some(record) = json_record(msg) {
        return json_string_field(record, "level").is_some_and(is_error_level);
    }
    let tokens: Vec<&str> = msg.split_whitespace().take(4).collect();
    let is_marker = |t: &str| matches!(t, "ERROR" | "[ERROR]");
    tokens.first().is_some_and(|t| is_marker(t))
        || tokens.windows(2).enumerate().any(|(i, pair)| {
            let (prev, t) = (pair[0], pair[1]);
            is_marker(t)
                && (is_uuid(prev)
                    || prev == "undefined"
                    || (i == 0 && prev.starts_with(|c: char| c.is_ascii_digit())))
        })
}
