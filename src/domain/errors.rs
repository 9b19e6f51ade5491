//! Errors in a stack's logs: which events are errors (runtime errors, application records at
//! level ERROR/FATAL, timeouts, init failures, out-of-memory), in both Lambda log formats, and
//! their grouping by a fingerprint that survives changing ids, numbers and timestamps.

mod fingerprint;
mod frames;
mod group;
mod json;
mod text;

#[cfg(test)]
mod tests;

pub use fingerprint::{fingerprint, normalise_message};
pub use frames::top_application_frame;
pub use group::{
    DEFAULT_SPARK_BUCKETS, ErrorGroup, Grouper, LatestOccurrence, MAX_GROUPS, MAX_REQUEST_LINES,
    REQUEST_IDS_KEPT, request_lines,
};

use serde::Serialize;

use crate::domain::report;

/// What kind of failure an error event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// An error the runtime reported for an invocation (an unhandled exception, a crash).
    Runtime,
    /// An application log record at level ERROR, FATAL or CRITICAL.
    Application,
    /// The invocation ran out of time (`Task timed out`, `Status: timeout`).
    Timeout,
    /// The execution environment failed to start (`INIT_REPORT ... Status: error`, import errors).
    Init,
    /// The function ran out of memory (`Runtime.OutOfMemory`, `signal: killed`).
    OutOfMemory,
}

impl ErrorKind {
    /// The name used in JSON output and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Runtime => "runtime",
            Self::Application => "application",
            Self::Timeout => "timeout",
            Self::Init => "init",
            Self::OutOfMemory => "out_of_memory",
        }
    }

    /// Kinds the platform reports without a message of the function's own: their fingerprint
    /// is the kind, the type and the function, never the message.
    pub fn is_platform(self) -> bool {
        matches!(self, Self::Timeout | Self::OutOfMemory)
    }
}

/// One error found in one log event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    /// What kind of failure.
    pub kind: ErrorKind,
    /// The error's type, e.g. `TypeError`, `KeyError`, `java.lang.NullPointerException`,
    /// `Sandbox.Timedout`, `Runtime.ExitError`, or the level (`ERROR`) of a plain record.
    pub error_type: String,
    /// The error's message as logged (first line, at most [`MAX_MESSAGE`] characters).
    pub message: String,
    /// The innermost frame of the application's own code, when a stack is logged.
    pub frame: Option<String>,
    /// The request the event belongs to, when the line carries it.
    pub request_id: Option<String>,
    /// A generic platform signal (a REPORT `Status: error`, `Process exited before completing
    /// request`): dropped when the same request has a more specific error.
    pub generic: bool,
}

/// Messages are cut to this many characters before they are kept or fingerprinted.
pub const MAX_MESSAGE: usize = 500;
/// Events longer than this are not parsed as JSON (they are scanned as text only).
pub const MAX_JSON_BYTES: usize = 256 * 1024;

/// The timeout type Lambda reports (`errorType` of a timed-out invocation).
pub const TIMEOUT_TYPE: &str = "Sandbox.Timedout";
/// The out-of-memory type Lambda reports.
pub const OOM_TYPE: &str = "Runtime.OutOfMemory";

/// Finds the error in one log message, if it is one; never panics, whatever the input.
///
/// A JSON record is read wherever the event holds it (also glued after an extension's text
/// line); a record that does not parse (cut short) is read as text. A text event with
/// several platform lines (`INIT_START`, `START`, `REPORT` together) is read line by line.
pub fn detect(message: &str) -> Option<Detected> {
    if let Some(record) = report::json_record(message)
        && record.len() <= MAX_JSON_BYTES
        && let Some(value) = report::first_json_object(record)
    {
        return json::detect(&value);
    }
    text::detect(message).or_else(|| report::platform_lines(message).find_map(text::detect))
}

/// The first line of `s`, trimmed and cut to [`MAX_MESSAGE`] characters.
pub(crate) fn first_line(s: &str) -> String {
    let line = s
        .split(['\n', '\r'])
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    cut(line)
}

/// Counts as a bar sparkline (`▁`..`█`, a space for none), scaled to the largest.
pub fn sparkline(counts: &[u64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = counts.iter().copied().max().unwrap_or(0);
    counts
        .iter()
        .map(|&c| {
            if c == 0 || max == 0 {
                ' '
            } else {
                BARS[((c * 7).div_ceil(max)) as usize]
            }
        })
        .collect()
}

/// `counts` summed into `n` equal slices (fewer when there are fewer counts).
pub fn rebucket(counts: &[u64], n: usize) -> Vec<u64> {
    if n == 0 || counts.len() <= n {
        return counts.to_vec();
    }
    let mut out = vec![0; n];
    for (i, c) in counts.iter().enumerate() {
        out[i * n / counts.len()] += c;
    }
    out
}

/// `s` cut to [`MAX_MESSAGE`] characters.
pub(crate) fn cut(s: &str) -> String {
    match s.char_indices().nth(MAX_MESSAGE) {
        Some((i, _)) => s[..i].to_string(),
        None => s.to_string(),
    }
}

/// Runtime error types that mean the environment failed to start.
pub(crate) fn is_init_type(t: &str) -> bool {
    matches!(
        t,
        "Runtime.ImportModuleError"
            | "Runtime.HandlerNotFound"
            | "Runtime.UserCodeSyntaxError"
            | "Runtime.MalformedHandlerName"
            | "Runtime.InvalidEntrypoint"
            | "Runtime.InitError"
    )
}

/// The kind of an error the runtime reported with this type.
pub(crate) fn runtime_kind(t: &str) -> ErrorKind {
    if t.contains("OutOfMemory") {
        ErrorKind::OutOfMemory
    } else if t == TIMEOUT_TYPE {
        ErrorKind::Timeout
    } else if is_init_type(t) {
        ErrorKind::Init
    } else {
        ErrorKind::Runtime
    }
}
