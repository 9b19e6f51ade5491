//! The errors screen: a stack's error groups over a window (1 h, 24 h, 7 d), newest first;
//! `enter` shows a group's latest occurrence as its whole request (START to REPORT, JSON
//! records pretty-printed), from which `i` opens invoke on that function. Also the stack
//! list's ERRORS column (failed requests of each stack over the last 24 h).

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use super::keymap::Command;
use super::list::ListState;
use super::widgets::Loadable;
use super::{Action, App, Effect, Level, Screen};
use crate::app::Scoped;
use crate::domain::errors::{ErrorGroup, LatestOccurrence, MAX_JSON_BYTES};
use crate::domain::logbuf::LogEvent;
use crate::domain::logbuf::follow::LogGroupRef;
use crate::domain::report::{first_json_object, json_record};
use crate::domain::sanitize::sanitize;
use crate::domain::stack::Stack;

/// Groups kept on the screen (the newest).
pub const MAX_SHOWN: usize = 500;
/// Events of one occurrence kept.
pub const MAX_OCCURRENCE_EVENTS: usize = 2_000;
/// Display lines of one occurrence kept (pretty-printed JSON takes several a record).
pub const MAX_OCCURRENCE_LINES: usize = 20_000;
/// Characters of one display line kept.
const MAX_LINE_CHARS: usize = 2_000;

/// The window the errors screen looks over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    Hour,
    Day,
    Week,
}

impl Window {
    /// `1h`, `24h`, `7d`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Hour => "1h",
            Self::Day => "24h",
            Self::Week => "7d",
        }
    }

    /// Its length.
    pub fn duration(self) -> chrono::Duration {
        match self {
            Self::Hour => chrono::Duration::hours(1),
            Self::Day => chrono::Duration::hours(24),
            Self::Week => chrono::Duration::days(7),
        }
    }

    /// The next window `w` goes to.
    #[must_use]
    pub fn next(self) -> Self {
        match self {
            Self::Hour => Self::Day,
            Self::Day => Self::Week,
            Self::Week => Self::Hour,
        }
    }
}

/// Work for the runner.
#[derive(Debug, Clone)]
pub enum ErrorsEffect {
    /// The error groups of `stack` over `window`.
    Load {
        request_id: u64,
        stack: Box<Stack>,
        window: (DateTime<Utc>, DateTime<Utc>),
        cancel: CancellationToken,
    },
    /// The whole request of an occurrence, from its log group.
    Occurrence {
        request_id: u64,
        region: String,
        group: LogGroupRef,
        at: Box<LatestOccurrence>,
    },
    /// Failed requests of each stack over `window` (the stack list's ERRORS column).
    Counts {
        request_id: u64,
        stacks: Vec<Stack>,
        window: (DateTime<Utc>, DateTime<Utc>),
    },
}

/// What the error groups of a stack came back as.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub groups: Vec<ErrorGroup>,
    pub log_groups: Vec<LogGroupRef>,
    /// The stack's functions (physical names), for invoke.
    pub functions: Vec<String>,
    /// A group or query hit its limit: counts are lower bounds.
    pub truncated: bool,
    /// Error events not grouped.
    pub dropped: u64,
    /// Read through Logs Insights (else every event).
    pub insights: bool,
}

/// Results for the errors screen and the ERRORS column.
#[derive(Debug)]
pub enum ErrorsMsg {
    Loaded {
        request_id: u64,
        result: Box<Result<Loaded, String>>,
    },
    Occurrence {
        request_id: u64,
        result: Result<Vec<LogEvent>, String>,
    },
    Count {
        request_id: u64,
        stack_id: String,
        result: Result<u64, String>,
    },
}

/// One stack's cell of the ERRORS column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorCount {
    Loading,
    Done(u64),
    Failed,
}

/// One line of an occurrence as drawn: sanitised, tabs expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OccurrenceLine {
    /// The event's time, on its first line only.
    pub time_ms: Option<i64>,
    pub text: String,
    /// A line of the error event itself.
    pub error: bool,
}

/// The latest occurrence of a group, its request's lines.
#[derive(Debug)]
pub struct OccurrenceState {
    pub group: ErrorGroup,
    /// The request's events: the latest read and how it stands.
    pub load: Loadable,
    pub lines: Vec<OccurrenceLine>,
    /// Events of the request read (before the line cap).
    pub events: usize,
    /// The first line shown (its cursor), moved by the navigation keys.
    pub scroll: super::widgets::Scroll,
}

impl OccurrenceState {
    /// Turns the request's events into display lines: JSON records pretty-printed, the
    /// error event marked; at most [`MAX_OCCURRENCE_LINES`].
    pub fn set_events(&mut self, events: &[LogEvent]) {
        self.events = events.len();
        self.lines.clear();
        for e in events.iter().take(MAX_OCCURRENCE_EVENTS) {
            let error = e.event_id == self.group.latest.event_id;
            let body = display(&e.message);
            for (i, line) in body.lines().enumerate() {
                if self.lines.len() >= MAX_OCCURRENCE_LINES {
                    break;
                }
                let line: String = line.chars().take(MAX_LINE_CHARS).collect();
                self.lines.push(OccurrenceLine {
                    time_ms: (i == 0).then_some(e.timestamp_ms),
                    text: sanitize(&line.replace('\t', "    ")).into_owned(),
                    error,
                });
            }
        }
        self.load.set_loaded();
    }
}

/// A log line as shown: a JSON record pretty-printed, a text line ending in a JSON document
/// (`ERROR\tInvoke Error \t{...}`) as its text then the document pretty-printed, else as is.
fn display(message: &str) -> String {
    let text = message.trim_end();
    if text.len() > MAX_JSON_BYTES {
        return text.to_string();
    }
    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).ok();
    if let Some(p) = json_record(text)
        .and_then(first_json_object)
        .and_then(|v| pretty(&v))
    {
        return p;
    }
    if let Some(i) = text.find('{')
        && let Ok(v) = serde_json::from_str::<serde_json::Value>(&text[i..])
        && v.is_object()
        && let Some(p) = pretty(&v)
    {
        let head = text[..i].trim_end();
        return if head.is_empty() {
            p
        } else {
            format!("{head}\n{p}")
        };
    }
    text.to_string()
}

/// State of the errors screen.
#[derive(Debug)]
pub struct ErrorsState {
    pub stack: Stack,
    pub window: Window,
    /// The groups of the window: the latest read and how it stands.
    pub load: Loadable,
    pub data: Loaded,
    /// Groups beyond [`MAX_SHOWN`] left out.
    pub hidden: usize,
    pub list: ListState,
    pub cancel: Option<CancellationToken>,
    /// When the window ended (the loaded groups' ages are from here).
    pub loaded_at: Option<DateTime<Utc>>,
    pub occurrence: Option<OccurrenceState>,
}

impl ErrorsState {
    /// The errors of `stack` over `window`, nothing loaded yet.
    pub fn new(stack: Stack, window: Window) -> Self {
        Self {
            stack,
            window,
            load: Loadable::default(),
            data: Loaded::default(),
            hidden: 0,
            list: ListState::default(),
            cancel: None,
            loaded_at: None,
            occurrence: None,
        }
    }

    /// Stores the groups (newest first, at most [`MAX_SHOWN`]), keeping the cursor's group.
    pub fn set(&mut self, mut data: Loaded) {
        let keep = self.selected().map(|g| g.fingerprint.clone());
        data.groups.sort_by(|a, b| {
            b.last_seen_ms
                .cmp(&a.last_seen_ms)
                .then_with(|| a.fingerprint.cmp(&b.fingerprint))
        });
        self.hidden = data.groups.len().saturating_sub(MAX_SHOWN);
        data.groups.truncate(MAX_SHOWN);
        self.data = data;
        self.list.set_len(self.data.groups.len());
        if let Some(f) = keep
            && let Some(i) = self.data.groups.iter().position(|g| g.fingerprint == f)
        {
            self.list.selected = i;
        }
        self.load.set_loaded();
    }

    /// The group under the cursor.
    pub fn selected(&self) -> Option<&ErrorGroup> {
        self.data.groups.get(self.list.selected)
    }

    /// Stops a load in flight.
    pub fn stop(&mut self) {
        if let Some(c) = self.cancel.take() {
            c.cancel();
        }
    }
}

impl Drop for ErrorsState {
    fn drop(&mut self) {
        self.stop();
    }
}

impl App {
    /// Opens the errors screen of the detail's stack, else of the stack under the cursor.
    pub(crate) fn open_errors(&mut self) -> Vec<Effect> {
        let stack = if self.screen() == Screen::Detail {
            self.views.detail().map(|d| d.stack.clone())
        } else {
            self.stacks.selected().cloned()
        };
        let Some(stack) = stack else {
            return Vec::new();
        };
        self.views.open(ErrorsState::new(stack, Window::Day));
        self.reload_errors()
    }

    fn reload_errors(&mut self) -> Vec<Effect> {
        if self.connection.is_none() {
            return Vec::new();
        }
        let now = self.clock.now();
        let Some(st) = self.views.errors_mut() else {
            return Vec::new();
        };
        st.stop();
        let cancel = CancellationToken::new();
        st.cancel = Some(cancel.clone());
        let request_id = st.load.start(&mut self.requests);
        st.loaded_at = Some(now);
        vec![Effect::Errors(Scoped::new(
            st.stack.scope(),
            Box::new(ErrorsEffect::Load {
                request_id,
                stack: Box::new(st.stack.clone()),
                window: (now - st.window.duration(), now),
                cancel,
            }),
        ))]
    }

    /// The ERRORS column's counts for every listed stack (last 24 h), a few stacks at once.
    pub(crate) fn load_error_counts(&mut self) -> Vec<Effect> {
        if self.stacks.stacks.is_empty() {
            return Vec::new();
        }
        let request_id = self.request_id();
        let now = self.clock.now();
        self.stacks.errors_request = request_id;
        self.stacks.errors = self
            .stacks
            .stacks
            .iter()
            .map(|s| (s.id.clone(), ErrorCount::Loading))
            .collect();
        let window = (now - Window::Day.duration(), now);
        // One effect per profile and region: each group is read with the context that reaches it.
        crate::domain::stack::by_scope(self.stacks.stacks.clone())
            .into_iter()
            .map(|(scope, stacks)| {
                Effect::Errors(Scoped::new(
                    scope,
                    Box::new(ErrorsEffect::Counts {
                        request_id,
                        stacks,
                        window,
                    }),
                ))
            })
            .collect()
    }

    /// A result for the errors screen or the ERRORS column.
    pub(crate) fn errors_msg(&mut self, msg: ErrorsMsg) -> Vec<Effect> {
        match msg {
            ErrorsMsg::Count {
                request_id,
                stack_id,
                result,
            } => {
                if request_id == self.stacks.errors_request {
                    let cell = match result {
                        Ok(n) => ErrorCount::Done(n),
                        Err(e) => {
                            tracing::info!(stack = %stack_id, error = %e, "error count failed");
                            ErrorCount::Failed
                        }
                    };
                    self.stacks.errors.insert(stack_id, cell);
                }
            }
            ErrorsMsg::Loaded { request_id, result } => {
                let Some(st) = self
                    .views
                    .errors_mut()
                    .filter(|s| s.load.is_latest(request_id))
                else {
                    return Vec::new();
                };
                st.cancel = None;
                match st.load.finish(request_id, *result) {
                    None => {}
                    Some(Ok(data)) => st.set(data),
                    Some(Err(e)) => self.notify(Level::Error, e),
                }
            }
            ErrorsMsg::Occurrence { request_id, result } => {
                let Some(o) = self.views.errors_mut().and_then(|s| s.occurrence.as_mut()) else {
                    return Vec::new();
                };
                if let Some(Ok(events)) = o.load.finish(request_id, result) {
                    o.set_events(&events);
                }
            }
        }
        Vec::new()
    }

    /// A command on the errors screen or an occurrence.
    pub(crate) fn errors_command(&mut self, cmd: Command) -> Vec<Effect> {
        let page = self.page_rows.max(1);
        if self.screen() == Screen::ErrorOccurrence {
            return match cmd {
                Command::Back => {
                    self.views.pop();
                    if let Some(st) = self.views.errors_mut() {
                        st.occurrence = None;
                    }
                    Vec::new()
                }
                Command::Invoke => self.invoke_from_occurrence(),
                Command::Refresh => self.open_occurrence(),
                other => {
                    if let Some(o) = self.views.errors_mut().and_then(|s| s.occurrence.as_mut()) {
                        o.scroll.navigate(other, page, Some(o.lines.len()));
                    }
                    Vec::new()
                }
            };
        }
        match cmd {
            Command::Back => {
                self.views.pop();
                Vec::new()
            }
            Command::Refresh => self.reload_errors(),
            Command::ErrorsWindow => {
                if let Some(st) = self.views.errors_mut() {
                    st.window = st.window.next();
                }
                self.reload_errors()
            }
            Command::Open => {
                let effects = self.open_occurrence();
                if !effects.is_empty() {
                    self.views.push_page(Screen::ErrorOccurrence);
                }
                effects
            }
            other => {
                if let Some(st) = self.views.errors_mut() {
                    st.list.navigate(other, page);
                }
                Vec::new()
            }
        }
    }

    /// Reads the selected group's latest occurrence (its request's lines).
    fn open_occurrence(&mut self) -> Vec<Effect> {
        let Some(st) = self.views.errors_mut() else {
            return Vec::new();
        };
        let group = match &st.occurrence {
            Some(o) => o.group.clone(),
            None => match st.selected() {
                Some(g) => g.clone(),
                None => return Vec::new(),
            },
        };
        let log_group = st
            .data
            .log_groups
            .iter()
            .find(|g| g.name == group.latest.log_group)
            .cloned()
            .unwrap_or_else(|| LogGroupRef {
                name: group.latest.log_group.clone(),
                function: group.latest.function.clone(),
                arn: None,
                functions_by_stream: Vec::new(),
            });
        let at = Box::new(group.latest.clone());
        let mut occurrence = OccurrenceState {
            group,
            load: Loadable::default(),
            lines: Vec::new(),
            events: 0,
            scroll: super::widgets::Scroll::default(),
        };
        let request_id = occurrence.load.start(&mut self.requests);
        st.occurrence = Some(occurrence);
        vec![Effect::Errors(Scoped::new(
            st.stack.scope(),
            Box::new(ErrorsEffect::Occurrence {
                request_id,
                region: st.stack.region.clone(),
                group: log_group,
                at,
            }),
        ))]
    }

    /// `i` on an occurrence: the invoke screen with its function selected.
    fn invoke_from_occurrence(&mut self) -> Vec<Effect> {
        if self.invoke_refused() {
            return Vec::new();
        }
        let Some(st) = self.views.errors() else {
            return Vec::new();
        };
        let Some(o) = st.occurrence.as_ref() else {
            return Vec::new();
        };
        let function = o.group.latest.function.clone();
        let Some(index) = st.data.functions.iter().position(|f| *f == function) else {
            self.notify(
                Level::Error,
                format!(
                    "{} is not one of the stack's functions: nothing to invoke",
                    sanitize(&function)
                ),
            );
            return Vec::new();
        };
        let mut state = super::invoke::InvokeState::new(
            st.stack.clone(),
            st.data.functions.clone(),
            self.settings.invoke.payloads.clone(),
            &self.settings.invoke,
        );
        state.function = index;
        self.open_invoke_with(state)
    }
}

/// Hands a runner's result to the app.
pub fn action(msg: ErrorsMsg) -> Action {
    Action::Errors(msg)
}

#[cfg(test)]
#[path = "errors_tests.rs"]
pub(crate) mod tests;

impl super::Update for ErrorsMsg {
    fn update(self, app: &mut App) -> Vec<Effect> {
        app.errors_msg(self)
    }
}

/// The group an occurrence page shows, or the one selected in the list.
fn shown_group(app: &App, page: Screen) -> Option<&ErrorGroup> {
    let st = app.views.errors()?;
    match &st.occurrence {
        Some(o) if page == Screen::ErrorOccurrence => Some(&o.group),
        _ => st.selected(),
    }
}

impl super::ScreenState for ErrorsState {
    fn command(app: &mut App, cmd: Command) -> Vec<Effect> {
        app.errors_command(cmd)
    }

    /// The group's latest request id (its fingerprint when it has none).
    fn copy_target(app: &App, page: Screen) -> Option<(&'static str, String)> {
        let group = shown_group(app, page)?;
        Some(match &group.latest.request_id {
            Some(id) => ("request id", id.clone()),
            None => ("fingerprint", group.fingerprint.clone()),
        })
    }

    /// The log group of the group's latest occurrence.
    fn console_target(app: &App, page: Screen) -> Option<String> {
        let region = &app.views.errors()?.stack.region;
        let group = shown_group(app, page)?;
        Some(crate::domain::console_url::log_group(
            region,
            &group.latest.log_group,
        ))
    }

    fn hints(_app: &App, page: Screen) -> Vec<Command> {
        if page == Screen::ErrorOccurrence {
            vec![
                Command::Invoke,
                Command::PageDown,
                Command::Top,
                Command::Refresh,
                Command::Back,
                Command::Help,
            ]
        } else {
            vec![
                Command::Open,
                Command::ErrorsWindow,
                Command::Refresh,
                Command::Back,
                Command::Help,
            ]
        }
    }
}
