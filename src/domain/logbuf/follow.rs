//! What following a stack's logs is about: the groups, how to follow, and what the follow
//! engine reports.

use std::time::Duration;

use serde::Serialize;

use super::LogEvent;
use crate::domain::log_groups::function_of_stream;

/// One log group to read, with the function it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogGroupRef {
    /// The log group name, e.g. `/aws/lambda/orders-dev-create`.
    pub name: String,
    /// The physical function name (or, for a group of no function, the resource's logical id).
    pub function: String,
    /// The group's ARN without the trailing `:*` (StartLiveTail wants ARNs).
    pub arn: Option<String>,
    /// For a custom group (`LoggingConfig.LogGroup`), which may be shared: the stack's
    /// functions writing to it. Each event then belongs to the function its stream names,
    /// and events of any other function are not the stack's. Empty for a group of its own.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub functions_by_stream: Vec<String>,
}

impl LogGroupRef {
    /// The function an event of this group belongs to, from its stream name when the group
    /// is shared; `None` when it is another function's event (not the stack's).
    pub fn function_of(&self, stream: &str) -> Option<&str> {
        if self.functions_by_stream.is_empty() {
            return Some(&self.function);
        }
        let named = function_of_stream(stream)?;
        self.functions_by_stream
            .iter()
            .find(|f| *f == named)
            .map(String::as_str)
    }
}

/// How events arrive while following.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TailMode {
    /// StartLiveTail sessions are streaming.
    Live { sessions: usize },
    /// FilterLogEvents is polled over a trailing window.
    Polling { reason: String },
}

/// What the follow engine reports.
#[derive(Debug, Clone, PartialEq)]
pub enum TailMsg {
    /// Events, not yet de-duplicated against earlier polls (feed them to a `LogBuffer`).
    Events(Vec<LogEvent>),
    /// The source changed (live tail started, or fell back to polling).
    Mode(TailMode),
    /// A live-tail update said whether it was sampled (too many events to send them all).
    Sampled(bool),
    /// A non-fatal problem (throttling, a failed poll); the engine keeps going.
    Warning(String),
}

/// How to follow.
#[derive(Debug, Clone)]
pub struct FollowOptions {
    /// First poll starts here (ms since the epoch).
    pub start_ms: i64,
    pub filter: Option<String>,
    /// Try StartLiveTail first.
    pub live_tail: bool,
    /// The poller's pause between requests (about one request a second).
    pub interval: Duration,
    /// How far back each poll re-reads for late-ingested events.
    pub late_window: Duration,
    /// A live-tail session is replaced after this long (AWS ends them at 3 hours).
    pub session_limit: Duration,
}

impl FollowOptions {
    /// Defaults: live tail on, one request a second, a 3-minute late window, 2h50m sessions.
    pub fn new(start_ms: i64, filter: Option<String>) -> Self {
        Self {
            start_ms,
            filter,
            live_tail: true,
            interval: Duration::from_secs(1),
            late_window: Duration::from_secs(180),
            session_limit: Duration::from_secs(2 * 3600 + 50 * 60),
        }
    }
}
