//! The log tail screen: every function of a stack (or one), interleaved by time, followed
//! live, with search, request grouping and REPORT insights.

use std::collections::HashMap;

use tokio_util::sync::CancellationToken;

use super::keymap::Command;
use super::list::ListState;
use super::widgets::Loadable;
use super::{App, Effect, Level};
use crate::domain::logbuf::CaseInsensitive;
use crate::domain::logbuf::follow::{FollowOptions, LogGroupRef, TailMode, TailMsg};
use crate::domain::logbuf::{HARD_CAP, Insights, LogBuffer, LogEvent};
use crate::domain::stack::Stack;

/// State of the log tail screen.
#[derive(Debug)]
pub struct LogsState {
    pub stack: Stack,
    /// The function shown (physical name), or every function of the stack.
    pub function: Option<String>,
    pub groups: Vec<LogGroupRef>,
    /// The log groups' load; its request id also marks the tail that follows them.
    pub load: Loadable,
    pub buf: LogBuffer,
    pub insights: Insights,
    /// Cursor over the rows of the view.
    pub list: ListState,
    /// The cursor sticks to the newest event.
    pub follow: bool,
    /// New events wait here while paused (bounded by the buffer's cap).
    pub pending: Vec<LogEvent>,
    pub paused: bool,
    pub wrap: bool,
    pub show_insights: bool,
    /// The selected event is shown in full (JSON pretty-printed) below the list.
    pub expanded: bool,
    pub search: String,
    pub matches: usize,
    /// Rows ordered by request id (START … END / REPORT together) instead of by time.
    pub by_request: bool,
    pub mode: Option<TailMode>,
    pub sampled: bool,
    pub warning: Option<String>,
    pub cancel: Option<CancellationToken>,
    /// Colour slot of each function, by first appearance among the groups.
    pub colours: HashMap<String, usize>,
    /// Time range start (ms) the tail began at.
    pub start_ms: i64,
}

impl LogsState {
    /// A tail of `stack` (one function when `function` is set), nothing loaded yet.
    pub fn new(stack: Stack, function: Option<String>, cap: usize, start_ms: i64) -> Self {
        Self {
            stack,
            function,
            groups: Vec::new(),
            load: Loadable::default(),
            buf: LogBuffer::new(cap),
            insights: Insights::new(),
            list: ListState::default(),
            follow: true,
            pending: Vec::new(),
            paused: false,
            wrap: false,
            show_insights: true,
            expanded: false,
            search: String::new(),
            matches: 0,
            by_request: false,
            mode: None,
            sampled: false,
            warning: None,
            cancel: None,
            colours: HashMap::new(),
            start_ms,
        }
    }

    /// Rows in the view.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether there is nothing to show.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The event shown at view row `row`.
    pub fn event_at(&self, row: usize) -> Option<&LogEvent> {
        if self.by_request {
            self.buf.by_request(row)
        } else {
            self.buf.get(row)
        }
    }

    /// The event under the cursor.
    pub fn selected(&self) -> Option<&LogEvent> {
        self.event_at(self.list.selected)
    }

    /// Stores the groups found and assigns each function a colour.
    pub fn set_groups(&mut self, groups: Vec<LogGroupRef>) {
        for g in &groups {
            let n = self.colours.len();
            self.colours.entry(g.function.clone()).or_insert(n);
        }
        self.groups = groups;
        self.load.set_loaded();
    }

    /// Takes a batch from the tail (queued while paused).
    pub fn ingest(&mut self, batch: Vec<LogEvent>) {
        if self.paused && self.pending.len() + batch.len() <= self.buf.cap().min(HARD_CAP) {
            self.pending.extend(batch);
            return;
        }
        let mut batch = batch;
        if self.paused {
            // The queue is full: take everything now rather than lose events.
            batch.append(&mut self.pending);
        }
        let selected_key = self
            .selected()
            .map(|e| (e.timestamp_ms, e.event_id.clone()));
        // The buffer keeps the search's count and the request order as events come and go.
        self.count_matches();
        self.rebuild_view();
        let insights = &mut self.insights;
        self.buf.ingest_with(batch, |e| insights.observe(e));
        self.list.set_len(self.len());
        if self.follow && !self.paused {
            self.list.selected = self.len().saturating_sub(1);
        } else if let Some((ts, id)) = selected_key {
            self.reselect(ts, &id);
        }
        self.matches = self.buf.search_matches();
    }

    fn reselect(&mut self, ts: i64, id: &str) {
        let found = if self.by_request {
            self.buf.by_request_row(ts, id)
        } else {
            let from = self.buf.first_at_or_after(ts);
            (from..self.buf.len()).find(|&i| {
                self.buf
                    .get(i)
                    .is_some_and(|e| e.event_id == id || e.timestamp_ms > ts)
            })
        };
        if let Some(row) = found {
            self.list.selected = row;
        }
    }

    /// Has the buffer keep the request order (each request's lines together, requests by
    /// first line) while `by_request` is on; nothing to do when it already does.
    pub fn rebuild_view(&mut self) {
        self.buf.group_by_request(self.by_request);
    }

    /// Pauses (new events wait) or resumes (they are taken and the view jumps to the end).
    pub fn toggle_pause(&mut self) {
        if self.paused {
            self.paused = false;
            self.follow = true;
            let pending = std::mem::take(&mut self.pending);
            self.ingest(pending);
            self.list.selected = self.len().saturating_sub(1);
        } else {
            self.paused = true;
            self.follow = false;
        }
    }

    /// Counts the rows matching the search (case-insensitive); the buffer keeps the count
    /// from then on, so this costs nothing while the term is unchanged.
    pub fn count_matches(&mut self) {
        self.buf.set_search(&self.search);
        self.matches = self.buf.search_matches();
    }

    /// Moves the cursor to the next (or previous) row matching the search, wrapping around.
    pub fn jump_to_match(&mut self, back: bool) -> bool {
        let n = self.len();
        if self.search.is_empty() || n == 0 {
            return false;
        }
        let mut search = CaseInsensitive::new(&self.search);
        let start = self.list.selected;
        for step in 1..=n {
            let row = if back {
                (start + n - step % n) % n
            } else {
                (start + step) % n
            };
            if self
                .event_at(row)
                .is_some_and(|e| search.matches(&e.message))
            {
                self.list.selected = row;
                self.follow = false;
                return true;
            }
        }
        false
    }

    /// Stops the tail task.
    pub fn stop(&mut self) {
        if let Some(c) = self.cancel.take() {
            c.cancel();
        }
    }
}

impl Drop for LogsState {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Results of the logs screen's tasks.
#[derive(Debug)]
pub enum LogsMsg {
    GroupsLoaded {
        request_id: u64,
        result: Result<Vec<crate::domain::logbuf::follow::LogGroupRef>, String>,
    },
    /// A message of the running tail (events, mode, sampling, warnings).
    Tail {
        request_id: u64,
        msg: crate::domain::logbuf::follow::TailMsg,
    },
}

/// Logs work for the loop (in the stack's scope).
#[derive(Debug, Clone)]
pub enum LogsEffect {
    /// Find the stack's (or one function's) log groups.
    LoadGroups {
        scope: crate::domain::stack::Scope,
        request_id: u64,
        stack_name: String,
        stack_id: String,
        function: Option<String>,
    },
    /// Follow the groups until the token is cancelled; messages come back as `LogsMsg::Tail`.
    Follow {
        scope: crate::domain::stack::Scope,
        request_id: u64,
        groups: Vec<crate::domain::logbuf::follow::LogGroupRef>,
        opts: crate::domain::logbuf::follow::FollowOptions,
        cancel: tokio_util::sync::CancellationToken,
    },
}

impl LogsEffect {
    /// The stack's profile and region, which the work runs with.
    pub fn scope(&self) -> &crate::domain::stack::Scope {
        match self {
            Self::LoadGroups { scope, .. } | Self::Follow { scope, .. } => scope,
        }
    }
}

impl App {
    /// Opens the tail for the detail's stack (or its selected function).
    pub fn open_logs(&mut self, one_function: bool) -> Vec<Effect> {
        let Some(d) = self.views.detail() else {
            return Vec::new();
        };
        let function = if one_function {
            match d.selected_resource() {
                Some(r) if r.resource_type == "AWS::Lambda::Function" => r.physical_id.clone(),
                _ => {
                    self.notify(Level::Info, "select a Lambda function first (or press l)");
                    return Vec::new();
                }
            }
        } else {
            None
        };
        let since = chrono::Duration::from_std(self.settings.logs.since)
            .unwrap_or(chrono::Duration::hours(1));
        let start_ms = (self.clock.now() - since).timestamp_millis();
        let stack = d.stack.clone();
        let cap = self.settings.logs.buffer;
        self.views
            .open(LogsState::new(stack, function, cap, start_ms));
        self.reload_logs()
    }

    fn reload_logs(&mut self) -> Vec<Effect> {
        if self.connection.is_none() {
            return Vec::new();
        }
        let Some(l) = self.views.logs_mut() else {
            return Vec::new();
        };
        l.stop();
        let request_id = l.load.start(&mut self.requests);
        vec![Effect::Logs(LogsEffect::LoadGroups {
            scope: l.stack.scope(),
            request_id,
            stack_name: l.stack.name.clone(),
            stack_id: l.stack.id.clone(),
            function: l.function.clone(),
        })]
    }

    /// Handles the actions of the log tail.
    /// The search term typed in `$EDITOR`: its first line.
    pub(crate) fn logs_search_edited(&mut self, text: &str) -> Vec<Effect> {
        let Some(l) = self.views.logs_mut() else {
            return Vec::new();
        };
        let term = text.lines().next().unwrap_or("").trim();
        l.search = term.chars().take(200).collect();
        l.count_matches();
        if !l.search.is_empty() && !l.jump_to_match(false) {
            self.notify(Level::Info, "no match");
        }
        Vec::new()
    }

    pub fn logs_update(&mut self, msg: LogsMsg) -> Vec<Effect> {
        let Some(l) = self.views.logs_mut() else {
            return Vec::new();
        };
        match msg {
            LogsMsg::GroupsLoaded { request_id, result } => {
                match l.load.finish(request_id, result) {
                    None => Vec::new(),
                    Some(Ok(groups)) if groups.is_empty() => {
                        l.load.fail(
                            "no log groups yet: a function's group appears on its first invocation",
                        );
                        Vec::new()
                    }
                    Some(Ok(groups)) => {
                        l.set_groups(groups.clone());
                        let cancel = CancellationToken::new();
                        l.cancel = Some(cancel.clone());
                        vec![Effect::Logs(LogsEffect::Follow {
                            scope: l.stack.scope(),
                            request_id,
                            groups,
                            opts: FollowOptions::new(l.start_ms, None),
                            cancel,
                        })]
                    }
                    Some(Err(e)) => {
                        self.notify(Level::Error, e);
                        Vec::new()
                    }
                }
            }
            LogsMsg::Tail { request_id, msg } if l.load.is_latest(request_id) => {
                match msg {
                    TailMsg::Events(batch) => l.ingest(batch),
                    TailMsg::Mode(m) => {
                        let note = match &m {
                            TailMode::Polling { reason } => {
                                Some(format!("following by polling FilterLogEvents ({reason})"))
                            }
                            TailMode::Live { .. } => None,
                        };
                        l.mode = Some(m);
                        if let Some(n) = note {
                            self.notify(Level::Info, n);
                        }
                    }
                    TailMsg::Sampled(s) => l.sampled = s,
                    TailMsg::Warning(w) => {
                        l.warning = Some(w.clone());
                        self.notify(Level::Error, w);
                    }
                }
                Vec::new()
            }
            LogsMsg::Tail { .. } => Vec::new(),
        }
    }

    /// Handles a key command on the log tail.
    pub fn logs_command(&mut self, cmd: Command) -> Vec<Effect> {
        let page = self.page_rows.max(1);
        let Some(l) = self.views.logs_mut() else {
            return Vec::new();
        };
        match cmd {
            Command::Back => {
                // Dropping the screen stops the tail.
                self.views.pop();
                Vec::new()
            }
            Command::Refresh => self.reload_logs(),
            Command::LogsPause => {
                l.toggle_pause();
                Vec::new()
            }
            Command::LogsWrap => {
                l.wrap = !l.wrap;
                Vec::new()
            }
            Command::LogsInsights => {
                l.show_insights = !l.show_insights;
                Vec::new()
            }
            Command::Open => {
                l.expanded = !l.expanded;
                Vec::new()
            }
            Command::LogsByRequest => {
                let key = l.selected().map(|e| (e.timestamp_ms, e.event_id.clone()));
                l.by_request = !l.by_request;
                l.rebuild_view();
                if let Some((ts, id)) = key {
                    l.reselect(ts, &id);
                }
                Vec::new()
            }
            Command::Filter => vec![Effect::EditText {
                target: crate::app::EditTarget::LogsSearch,
                initial: l.search.clone(),
                extension: "txt",
            }],
            Command::LogsNextMatch | Command::LogsPrevMatch => {
                if !l.jump_to_match(cmd == Command::LogsPrevMatch) && !l.search.is_empty() {
                    self.notify(Level::Info, "no match");
                }
                Vec::new()
            }
            Command::Bottom => {
                if l.paused {
                    l.toggle_pause();
                }
                l.follow = true;
                l.list.selected = l.len().saturating_sub(1);
                Vec::new()
            }
            other => {
                if l.list.navigate(other, page) {
                    l.follow = l.list.selected + 1 >= l.len();
                }
                Vec::new()
            }
        }
    }
}

impl super::Work for LogsEffect {
    fn scope(&self) -> Option<&crate::domain::stack::Scope> {
        Some(Self::scope(self))
    }
}

impl super::Update for LogsMsg {
    fn update(self, app: &mut App) -> Vec<Effect> {
        app.logs_update(self)
    }
}

impl super::ScreenState for LogsState {
    fn command(app: &mut App, cmd: Command) -> Vec<Effect> {
        app.logs_command(cmd)
    }

    fn hints(_app: &App, _page: super::Screen) -> Vec<Command> {
        vec![
            Command::LogsPause,
            Command::Bottom,
            Command::Filter,
            Command::LogsNextMatch,
            Command::LogsWrap,
            Command::Open,
            Command::LogsByRequest,
            Command::Back,
        ]
    }

    fn edited(app: &mut App, target: super::EditTarget, text: &str) -> Option<Vec<Effect>> {
        (target == super::EditTarget::LogsSearch).then(|| app.logs_search_edited(text))
    }

    fn copy_target(app: &App, _page: super::Screen) -> Option<(&'static str, String)> {
        app.views
            .logs()?
            .selected()
            .map(|e| ("log message", e.message.clone()))
    }

    /// The selected event's log group.
    fn console_target(app: &App, _page: super::Screen) -> Option<String> {
        let region = &app.views.detail()?.stack.region;
        let e = app.views.logs()?.selected()?;
        Some(crate::domain::console_url::log_group(region, &e.log_group))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::stacks::LoadState;
    use crate::app::{Action, Screen};
    use crate::ui::tests::on_orders_detail;

    /// An app on orders-dev's detail, loaded.
    fn on_detail() -> App {
        on_orders_detail()
    }

    #[test]
    fn one_function_needs_a_function_under_the_cursor() {
        let mut a = on_detail();
        // The cursor is on the first group heading: no function.
        assert!(a.update(Action::Command(Command::LogsFunction)).is_empty());
        assert_eq!(a.screen(), Screen::Detail);
        assert!(
            a.notifications
                .back()
                .unwrap()
                .text
                .contains("Lambda function")
        );
        // Lambda group heading, then CreateLambdaFunction.
        a.update(Action::Command(Command::Down));
        let effects = a.update(Action::Command(Command::LogsFunction));
        let Some(Effect::Logs(LogsEffect::LoadGroups { function, .. })) = effects.first() else {
            panic!("{effects:?}")
        };
        assert_eq!(function.as_deref(), Some("orders-dev-create"));
        assert_eq!(a.screen(), Screen::Logs);
    }

    #[test]
    fn no_groups_is_a_clear_state_and_back_cancels_the_tail() {
        let mut a = on_detail();
        let effects = a.update(Action::Command(Command::Logs));
        let Some(Effect::Logs(LogsEffect::LoadGroups { request_id, .. })) = effects.first() else {
            panic!("{effects:?}")
        };
        let rid = *request_id;
        a.update(Action::Logs(LogsMsg::GroupsLoaded {
            request_id: rid,
            result: Ok(vec![]),
        }));
        let l = a.views.logs().unwrap();
        assert!(matches!(l.load.state(), LoadState::Failed(e) if e.contains("no log groups")));

        // A retry finds a group and starts following; esc cancels the task.
        let effects = a.update(Action::Command(Command::Refresh));
        let Some(Effect::Logs(LogsEffect::LoadGroups { request_id, .. })) = effects.first() else {
            panic!("{effects:?}")
        };
        let group = LogGroupRef {
            name: "/aws/lambda/orders-dev-create".into(),
            function: "orders-dev-create".into(),
            arn: None,
            functions_by_stream: Vec::new(),
        };
        let effects = a.update(Action::Logs(LogsMsg::GroupsLoaded {
            request_id: *request_id,
            result: Ok(vec![group]),
        }));
        let Some(Effect::Logs(LogsEffect::Follow { cancel, opts, .. })) = effects.first() else {
            panic!("{effects:?}")
        };
        assert_eq!(
            opts.start_ms,
            (crate::ui::tests::now() - chrono::Duration::hours(1)).timestamp_millis(),
            "[logs] since"
        );
        let cancel = cancel.clone();
        assert!(!cancel.is_cancelled());
        a.update(Action::Command(Command::Back));
        assert!(cancel.is_cancelled());
        assert_eq!(a.screen(), Screen::Detail);
    }

    #[test]
    fn warnings_and_mode_changes_are_notified_and_failures_shown() {
        let mut a = on_detail();
        let effects = a.update(Action::Command(Command::Logs));
        let Some(Effect::Logs(LogsEffect::LoadGroups { request_id, .. })) = effects.first() else {
            panic!("{effects:?}")
        };
        let rid = *request_id;
        a.update(Action::Logs(LogsMsg::Tail {
            request_id: rid,
            msg: TailMsg::Mode(TailMode::Polling {
                reason: "live tail session ended".into(),
            }),
        }));
        assert!(a.notifications.back().unwrap().text.contains("polling"));
        a.update(Action::Logs(LogsMsg::Tail {
            request_id: rid,
            msg: TailMsg::Warning("FilterLogEvents: ThrottlingException".into()),
        }));
        assert!(a.notifications.back().unwrap().text.contains("Throttling"));
        a.update(Action::Logs(LogsMsg::Tail {
            request_id: rid,
            msg: TailMsg::Sampled(true),
        }));
        assert!(a.views.logs().unwrap().sampled);
        a.update(Action::Logs(LogsMsg::GroupsLoaded {
            request_id: rid,
            result: Err("DescribeLogGroups: AccessDeniedException".into()),
        }));
        assert!(matches!(
            a.views.logs().unwrap().load.state(),
            LoadState::Failed(e) if e.contains("AccessDenied")
        ));
    }
}
