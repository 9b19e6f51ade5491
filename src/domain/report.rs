//! Parsing of what the Lambda platform and runtimes write to `CloudWatch` Logs, in both log
//! formats: the text lines (START / END / REPORT, INIT_REPORT / RESTORE_REPORT, timeouts,
//! runtime errors) and the JSON records of `LoggingConfig.LogFormat = JSON` (`platform.start`,
//! `platform.runtimeDone`, `platform.report`, `platform.initReport`, `platform.restoreReport`
//! and application records with `level` and `requestId`). Both give the same [`LambdaLine`].

mod json;
mod text;

#[cfg(test)]
mod tests;

use std::fmt;

/// The figures of one invocation's report: a `REPORT RequestId: ...` line or a
/// `platform.report` record.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Report {
    /// The invocation's request id.
    pub request_id: String,
    /// `Duration:` (`durationMs`) in milliseconds.
    pub duration_ms: f64,
    /// `Billed Duration:` in milliseconds, when reported.
    pub billed_ms: Option<u64>,
    /// `Memory Size:` (configured) in MB, when reported.
    pub memory_mb: Option<u64>,
    /// `Max Memory Used:` in MB, when reported.
    pub max_memory_mb: Option<u64>,
    /// Present only on the first invocation of an execution environment (a cold start).
    pub init_ms: Option<f64>,
    /// `Status:` when it is not a success, e.g. `"timeout"` or `"error"`.
    pub status: Option<String>,
    /// `Error Type:`, e.g. `"Runtime.ExitError"`.
    pub error_type: Option<String>,
    /// `Restore Duration:` of a `SnapStart` restore (a cold start too).
    pub restore_ms: Option<f64>,
    /// `Billed Restore Duration:` in milliseconds.
    pub billed_restore_ms: Option<u64>,
}

impl Report {
    /// Whether this invocation started a new execution environment (an init or a restore).
    pub fn is_cold_start(&self) -> bool {
        self.init_ms.is_some() || self.restore_ms.is_some()
    }

    /// Whether the invocation failed (`Status: error` or `failure`, or an error type).
    pub fn is_failure(&self) -> bool {
        matches!(self.status.as_deref(), Some("error" | "failure"))
            || (self.error_type.is_some() && !self.is_timeout())
    }

    /// Whether the invocation timed out.
    pub fn is_timeout(&self) -> bool {
        self.status.as_deref() == Some("timeout")
    }

    /// `billed 42 ms · 88/1024 MB`: the billed time and memory, `?` where not reported.
    pub fn billing_text(&self) -> String {
        let opt = |v: Option<u64>| v.map_or_else(|| "?".to_owned(), |v| v.to_string());
        format!(
            "billed {} ms · {}/{} MB",
            opt(self.billed_ms),
            opt(self.max_memory_mb),
            opt(self.memory_mb)
        )
    }

    /// `cold start (init 150.2 ms)` or `cold start (restore 300.0 ms)`; `None` when warm.
    pub fn cold_start_text(&self) -> Option<String> {
        match (self.init_ms, self.restore_ms) {
            (Some(init), _) => Some(format!("cold start (init {init:.1} ms)")),
            (None, Some(restore)) => Some(format!("cold start (restore {restore:.1} ms)")),
            (None, None) => None,
        }
    }
}

impl fmt::Display for Report {
    /// Writes the line in the tab-separated shape Lambda uses, so it parses back to the same values.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "REPORT RequestId: {}\tDuration: {} ms",
            self.request_id, self.duration_ms
        )?;
        if let Some(v) = self.billed_ms {
            write!(f, "\tBilled Duration: {v} ms")?;
        }
        if let Some(v) = self.memory_mb {
            write!(f, "\tMemory Size: {v} MB")?;
        }
        if let Some(v) = self.max_memory_mb {
            write!(f, "\tMax Memory Used: {v} MB")?;
        }
        if let Some(init) = self.init_ms {
            write!(f, "\tInit Duration: {init} ms")?;
        }
        if let Some(v) = self.restore_ms {
            write!(f, "\tRestore Duration: {v} ms")?;
        }
        if let Some(v) = self.billed_restore_ms {
            write!(f, "\tBilled Restore Duration: {v} ms")?;
        }
        if let Some(status) = &self.status {
            write!(f, "\tStatus: {status}")?;
        }
        if let Some(error_type) = &self.error_type {
            write!(f, "\tError Type: {error_type}")?;
        }
        Ok(())
    }
}

/// The figures of an `INIT_REPORT` / `RESTORE_REPORT` line or a `platform.initReport` /
/// `platform.restoreReport` record: how an execution environment started, outside a request.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct InitReport {
    /// `init`, `invoke` (an init retried inside an invocation) or `restore`.
    pub phase: String,
    /// `Init Duration:` / `Restore Duration:` in milliseconds.
    pub duration_ms: Option<f64>,
    /// `Status:` when it is not a success (`error`, `timeout`).
    pub status: Option<String>,
    /// `Error Type:`, e.g. `Runtime.ExitError`.
    pub error_type: Option<String>,
}

/// What one log event means to the Lambda platform.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LambdaLine {
    /// `START RequestId: <id> Version: $LATEST` / `platform.start`.
    Start {
        /// The invocation's request id.
        request_id: String,
        /// The function version invoked, e.g. `$LATEST`.
        version: Option<String>,
    },
    /// `END RequestId: <id>` / a successful `platform.runtimeDone`.
    End {
        /// The invocation's request id.
        request_id: String,
    },
    /// `REPORT RequestId: <id> Duration: ...` / `platform.report`.
    Report(Report),
    /// `INIT_REPORT ...` / `RESTORE_REPORT ...` / `platform.initReport` / `platform.restoreReport`.
    InitReport(InitReport),
    /// `Task timed out after 3.00 seconds` / a `platform.runtimeDone` with status `timeout`.
    Timeout {
        /// The request that timed out, when the line carries it.
        request_id: Option<String>,
        /// The timeout in seconds, when readable.
        seconds: Option<f64>,
    },
    /// A runtime error line (`ERROR`, `[ERROR]`, `Runtime.ExitError`, `Error: Runtime exited ...`),
    /// an application record at level ERROR / FATAL / CRITICAL, or a failed `platform.runtimeDone`.
    Error {
        /// The failing request, when the line carries it.
        request_id: Option<String>,
    },
    /// Anything else.
    Other {
        /// The request id, when the runtime's line prefix (or the record) carries one.
        request_id: Option<String>,
    },
}

impl LambdaLine {
    /// The request id this line belongs to, when known.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Start { request_id, .. } | Self::End { request_id } => Some(request_id),
            Self::Report(r) => Some(&r.request_id),
            Self::InitReport(_) => None,
            Self::Timeout { request_id, .. }
            | Self::Error { request_id }
            | Self::Other { request_id } => request_id.as_deref(),
        }
    }

    /// How much a line says: when one event holds several platform lines (`INIT_START`,
    /// `START`, `REPORT` and `XRAY` together), the one that says most stands for the event.
    fn weight(&self) -> u8 {
        match self {
            Self::Report(_) => 6,
            Self::Timeout { .. } => 5,
            Self::Error { .. } => 4,
            Self::InitReport(_) => 3,
            Self::Start { .. } => 2,
            Self::End { .. } => 1,
            Self::Other { .. } => 0,
        }
    }
}

/// Classifies one log event, text or JSON; never panics, whatever the input.
pub fn parse_line(msg: &str) -> LambdaLine {
    if let Some(record) = json_record(msg)
        && let Some(line) = json::parse(record, msg)
    {
        return line;
    }
    let mut best = text::parse(msg);
    for line in platform_lines(msg) {
        let candidate = text::parse(line);
        if candidate.weight() > best.weight() {
            best = candidate;
        }
    }
    best
}

/// The report of an event (a REPORT line or a `platform.report` record, wherever it sits in
/// the event); `None` if it holds none or the report lacks its request id or duration.
pub fn parse_report(msg: &str) -> Option<Report> {
    match parse_line(msg) {
        LambdaLine::Report(r) => Some(r),
        _ => None,
    }
}

/// The last REPORT line in a log tail, parsed.
pub fn report_of(tail: &str) -> Option<Report> {
    tail.lines().rev().find_map(parse_report)
}

/// The lines after the first of a multi-line event that start with a platform keyword
/// (`REPORT`, `START`, `END`, `INIT_REPORT`, `RESTORE_REPORT`): the platform writes
/// `INIT_START`, `START` and `REPORT` into one event at times, and a runtime's `\r` line
/// breaks (Node.js) separate lines too.
pub fn platform_lines(msg: &str) -> impl Iterator<Item = &str> {
    msg.split(['\n', '\r'])
        .skip(1)
        .map(str::trim_start)
        .filter(|l| {
            ["REPORT ", "START ", "END ", "INIT_REPORT", "RESTORE_REPORT"]
                .iter()
                .any(|k| l.starts_with(k))
        })
}

/// The JSON record of an event: the whole message when it starts with `{`, or a platform
/// record glued after an extension's plain-text line (`[Extension] ... info.{"time":...}`).
pub fn json_record(msg: &str) -> Option<&str> {
    let trimmed = msg.trim_start();
    if trimmed.starts_with('{') {
        return Some(trimmed);
    }
    if !msg.contains("\"platform.") {
        return None;
    }
    let pos = msg.find("{\"time\"")?;
    Some(&msg[pos..])
}

/// The first JSON object at the start of `record`, ignoring what follows it (a line break,
/// the next record glued on); `None` if it is not one (cut, or not JSON at all).
pub fn first_json_object(record: &str) -> Option<serde_json::Value> {
    let mut values = serde_json::Deserializer::from_str(record).into_iter::<serde_json::Value>();
    match values.next() {
        Some(Ok(v)) if v.is_object() => Some(v),
        _ => None,
    }
}

/// The request id of any event, borrowed: what `parse_line(msg).request_id()` gives, without
/// building the line (a JSON record's `"requestId"`; a `RequestId: <id>` token pair, which is
/// also where START, END and REPORT lines keep theirs; or a UUID among the first three tokens,
/// the prefix runtimes put before the message).
pub fn request_id_of(msg: &str) -> Option<&str> {
    if let Some(record) = json_record(msg)
        && let Some(id) = json_string_field(record, "requestId")
    {
        return Some(id);
    }
    if let Some(id) = text::value_after(msg, "RequestId:") {
        return Some(id);
    }
    msg.split_whitespace().take(3).find(|t| text::is_uuid(t))
}

/// A string value of `"key": "value"` in a JSON record, without unescaping (the first
/// occurrence of the key, at any depth).
fn json_string_field<'a>(msg: &'a str, key: &str) -> Option<&'a str> {
    let needle = format!("\"{key}\"");
    let rest = &msg[msg.find(&needle)? + needle.len()..];
    let rest = rest.trim_start().strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    rest.get(..rest.find('"')?)
}

/// Whether a log level names an error (`ERROR`, `FATAL`, `CRITICAL`, any case).
fn is_error_level(level: &str) -> bool {
    ["ERROR", "FATAL", "CRITICAL"]
        .iter()
        .any(|l| level.eq_ignore_ascii_case(l))
}

/// `"success"` says nothing more than no status at all: both are `None`.
fn failure_status(status: Option<&str>) -> Option<String> {
    status
        .filter(|s| !s.is_empty() && !s.eq_ignore_ascii_case("success"))
        .map(str::to_owned)
}
