//! App state and `update`: actions in, state changes and effects out. Never awaits.

pub mod detail;
pub mod keymap;
pub mod list;
pub mod stacks;
// ── dynamodb (issue 3) ──
pub mod dynamo;
// ── s3 (issue 4) ──
// ── logs (issue 5) ──
// ── invoke (issue 6) ──
// ── teardown (issue 7) ──

use std::collections::VecDeque;
use std::sync::Arc;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind};

use crate::aws::AwsContext;
use crate::domain::time::Clock;
pub use detail::{DetailData, DetailState};
use keymap::{Command, Key, Keymap, Scope};
pub use stacks::StacksState;

/// Everything that can change the app: commands from keys, ticks, results of tasks.
#[derive(Debug)]
pub enum Action {
    /// A bound key's command.
    Command(Command),
    /// A typed character while an input line is focused.
    Input(KeyEvent),
    Tick,
    /// The SDK configuration finished loading (credentials and region resolved).
    AwsReady(Result<Arc<AwsContext>, String>),
    /// `$EDITOR` closed: the edited text (or why editing failed), for the requester `tag`.
    EditFinished {
        tag: String,
        result: Result<String, String>,
    },
    StacksLoaded {
        request_id: u64,
        result: Result<Vec<crate::domain::stack::Stack>, String>,
    },
    DetailLoaded {
        request_id: u64,
        result: Box<Result<DetailData, String>>,
    },
    // ── dynamodb (issue 3) ──
    DynamoTablesLoaded {
        request_id: u64,
        result: Result<Vec<crate::aws::dynamodb::TableInfo>, String>,
    },
    DynamoPageLoaded {
        request_id: u64,
        result: Box<Result<crate::aws::dynamodb::Page, String>>,
    },
    DynamoItemDone {
        request_id: u64,
        result: Box<Result<dynamo::ItemOutcome, String>>,
    },
    DynamoExportProgress {
        request_id: u64,
        written: u64,
    },
    DynamoExportDone {
        request_id: u64,
        result: Result<crate::aws::dynamodb::ExportSummary, String>,
    },
    // ── s3 (issue 4) ──
    // ── logs (issue 5) ──
    // ── invoke (issue 6) ──
    // ── teardown (issue 7) ──
}

/// Work for the loop: network effects start a task that sends its result back as an
/// action; terminal effects (clipboard, editor) are done by the loop itself.
/// Long-lived work carries a `CancellationToken` that the screen's state keeps and cancels.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Put text on the clipboard (OSC 52: works over SSH).
    CopyToClipboard(String),
    /// Suspend the console, edit `initial` in `$EDITOR` (a temp file with `extension`),
    /// resume, and answer with `Action::EditFinished { tag, .. }`.
    EditText {
        tag: String,
        initial: String,
        extension: &'static str,
    },
    LoadStacks {
        request_id: u64,
    },
    LoadDetail {
        request_id: u64,
        stack_id: String,
    },
    // ── dynamodb (issue 3) ──
    LoadDynamoTables {
        request_id: u64,
        stack_id: String,
    },
    LoadDynamoPage {
        request_id: u64,
        table: Box<crate::aws::dynamodb::TableInfo>,
        query: crate::aws::dynamodb::ItemQuery,
        start: Option<crate::domain::dynamo::Item>,
        limit: i32,
    },
    GetDynamoItem {
        request_id: u64,
        table: Box<crate::aws::dynamodb::TableInfo>,
        item: crate::domain::dynamo::Item,
    },
    PutDynamoItem {
        request_id: u64,
        table: Box<crate::aws::dynamodb::TableInfo>,
        old: crate::domain::dynamo::Item,
        new: crate::domain::dynamo::Item,
    },
    DeleteDynamoItem {
        request_id: u64,
        table: Box<crate::aws::dynamodb::TableInfo>,
        old: crate::domain::dynamo::Item,
    },
    ExportDynamo {
        request_id: u64,
        table: Box<crate::aws::dynamodb::TableInfo>,
        query: crate::aws::dynamodb::ItemQuery,
        path: String,
        segments: i32,
        page_size: i32,
        cancel: tokio_util::sync::CancellationToken,
    },
    // ── s3 (issue 4) ──
    // ── logs (issue 5) ──
    // ── invoke (issue 6) ──
    // ── teardown (issue 7) ──
}

/// Which screen is on top.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Stacks,
    Detail,
    // ── dynamodb (issue 3) ──
    DynamoTables,
    DynamoItems,
    DynamoItem,
    // ── s3 (issue 4) ──
    // ── logs (issue 5) ──
    // ── invoke (issue 6) ──
    // ── teardown (issue 7) ──
}

impl Screen {
    /// The key-map scope of this screen.
    pub fn scope(self) -> Scope {
        match self {
            Self::Stacks => Scope::Stacks,
            Self::Detail => Scope::Detail,
            // ── dynamodb (issue 3) ──
            Self::DynamoTables => Scope::DynamoTables,
            Self::DynamoItems => Scope::DynamoItems,
            Self::DynamoItem => Scope::DynamoItem,
            // ── s3 (issue 4) ──
            // ── logs (issue 5) ──
            // ── invoke (issue 6) ──
            // ── teardown (issue 7) ──
        }
    }
}

/// How loud a notification is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Error,
}

/// A short message shown in the footer for a few seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub level: Level,
    pub text: String,
    /// Ticks left before it disappears.
    pub ttl: u32,
}

/// Ticks a notification stays (4 ticks a second).
const NOTIFY_TICKS: u32 = 24;

/// What the header shows about the connection.
#[derive(Debug, Clone, Default)]
pub struct HeaderInfo {
    pub connection: String,
    pub filters: String,
    pub read_only: bool,
}

/// The whole state of the console.
pub struct App {
    pub screens: Vec<Screen>,
    pub stacks: StacksState,
    pub detail: Option<DetailState>,
    // ── dynamodb (issue 3) ──
    pub dynamo: Option<dynamo::DynamoState>,
    pub dynamo_settings: dynamo::DynamoSettings,
    // ── s3 (issue 4) ──
    // ── logs (issue 5) ──
    // ── invoke (issue 6) ──
    // ── teardown (issue 7) ──
    pub header: HeaderInfo,
    pub notifications: VecDeque<Notification>,
    pub show_help: bool,
    pub should_quit: bool,
    pub clock: Clock,
    pub keymap: Keymap,
    pub aws: Option<Arc<AwsContext>>,
    /// Visible body rows, updated by the renderer's last layout (for paging).
    pub page_rows: usize,
    /// Animation frame for spinners.
    pub tick: u64,
    next_request: u64,
}

impl App {
    /// A new app on the stack list, waiting for the AWS context.
    pub fn new(keymap: Keymap, clock: Clock, header: HeaderInfo) -> Self {
        Self {
            screens: vec![Screen::Stacks],
            stacks: StacksState::default(),
            detail: None,
            // ── dynamodb (issue 3) ──
            dynamo: None,
            dynamo_settings: dynamo::DynamoSettings::default(),
            // ── s3 (issue 4) ──
            // ── logs (issue 5) ──
            // ── invoke (issue 6) ──
            // ── teardown (issue 7) ──
            header,
            notifications: VecDeque::new(),
            show_help: false,
            should_quit: false,
            clock,
            keymap,
            aws: None,
            page_rows: 20,
            tick: 0,
            next_request: 0,
        }
    }

    /// The screen on top.
    pub fn screen(&self) -> Screen {
        self.screens.last().copied().unwrap_or(Screen::Stacks)
    }

    fn request_id(&mut self) -> u64 {
        self.next_request += 1;
        self.next_request
    }

    /// Shows a notification in the footer.
    pub fn notify(&mut self, level: Level, text: impl Into<String>) {
        self.notifications.push_back(Notification {
            level,
            text: text.into(),
            ttl: NOTIFY_TICKS,
        });
        while self.notifications.len() > 3 {
            self.notifications.pop_front();
        }
    }

    /// True while a line of text input has the keyboard.
    pub fn input_focused(&self) -> bool {
        (self.screen() == Screen::Stacks && self.stacks.filter_editing)
            // dynamodb (issue 3)
            || self.dynamo_input_focused()
    }

    /// Turns a terminal event into an action through the key map of the current screen.
    pub fn map_event(&self, ev: &Event) -> Option<Action> {
        let Event::Key(key) = ev else {
            return None;
        };
        if key.kind == KeyEventKind::Release {
            return None;
        }
        if self.input_focused() {
            return Some(Action::Input(*key));
        }
        if self.show_help {
            // Any key closes help; its own command still runs when it is quit.
            let cmd = self
                .keymap
                .lookup(self.screen().scope(), Key::from_event(*key));
            return Some(Action::Command(match cmd {
                Some(Command::Quit) => Command::Quit,
                _ => Command::Help,
            }));
        }
        self.keymap
            .lookup(self.screen().scope(), Key::from_event(*key))
            .map(Action::Command)
    }

    /// Applies one action; returns the effects to start.
    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Tick => {
                self.tick = self.tick.wrapping_add(1);
                for n in &mut self.notifications {
                    n.ttl = n.ttl.saturating_sub(1);
                }
                self.notifications.retain(|n| n.ttl > 0);
                Vec::new()
            }
            Action::AwsReady(Ok(ctx)) => {
                self.header.connection = ctx.describe();
                self.aws = Some(ctx);
                self.reload_stacks()
            }
            Action::AwsReady(Err(e)) => {
                self.stacks.fail(e.clone());
                self.notify(Level::Error, e);
                Vec::new()
            }
            Action::StacksLoaded { request_id, result } => {
                if request_id != self.stacks.request_id {
                    return Vec::new();
                }
                match result {
                    Ok(stacks) => self.stacks.set(stacks, self.clock.now()),
                    Err(e) => {
                        self.stacks.fail(e.clone());
                        self.notify(Level::Error, e);
                    }
                }
                Vec::new()
            }
            Action::DetailLoaded { request_id, result } => {
                let Some(detail) = self.detail.as_mut() else {
                    return Vec::new();
                };
                if detail.request_id != request_id {
                    return Vec::new();
                }
                match *result {
                    Ok(data) => detail.set(data),
                    Err(e) => {
                        detail.fail(e.clone());
                        self.notify(Level::Error, e);
                    }
                }
                Vec::new()
            }
            // dynamodb (issue 3): the query form takes typed keys.
            Action::Input(key) if self.dynamo_input_focused() => self.dynamo_input(key),
            Action::Input(key) => {
                self.stacks_input(key);
                Vec::new()
            }
            // ── dynamodb (issue 3) ──
            a @ (Action::DynamoTablesLoaded { .. }
            | Action::DynamoPageLoaded { .. }
            | Action::DynamoItemDone { .. }
            | Action::DynamoExportProgress { .. }
            | Action::DynamoExportDone { .. }) => self.dynamo_update(a),
            // ── s3 (issue 4) ──
            // ── logs (issue 5) ──
            // ── invoke (issue 6) ──
            // ── teardown (issue 7) ──
            Action::EditFinished { tag, result } => self.edit_finished(&tag, result),
            Action::Command(cmd) => self.command(cmd),
        }
    }

    /// Routes an editor result to the screen that asked for it (by the tag's prefix).
    fn edit_finished(&mut self, tag: &str, result: Result<String, String>) -> Vec<Effect> {
        let prefix = tag.split(':').next().unwrap_or("");
        match (prefix, result) {
            // ── dynamodb (issue 3) ──
            ("dynamo", Ok(text)) => self.dynamo_edit_finished(tag, &text),
            // ── invoke (issue 6) ──
            (_, Err(e)) => {
                self.notify(Level::Error, e);
                Vec::new()
            }
            (_, Ok(_)) => Vec::new(),
        }
    }

    fn stacks_input(&mut self, key: KeyEvent) {
        let st = &mut self.stacks;
        match key.code {
            KeyCode::Esc => {
                st.filter.clear();
                st.filter_editing = false;
            }
            KeyCode::Enter => st.filter_editing = false,
            KeyCode::Backspace => {
                st.filter.pop();
            }
            KeyCode::Char(c)
                if !key
                    .modifiers
                    .contains(crossterm::event::KeyModifiers::CONTROL) =>
            {
                if st.filter.chars().count() < 200 {
                    st.filter.push(c);
                }
            }
            _ => return,
        }
        let now = self.clock.now();
        st.refilter(now);
    }

    fn reload_stacks(&mut self) -> Vec<Effect> {
        if self.aws.is_none() {
            return Vec::new();
        }
        let request_id = self.request_id();
        self.stacks.start_loading(request_id);
        vec![Effect::LoadStacks { request_id }]
    }

    fn command(&mut self, cmd: Command) -> Vec<Effect> {
        if cmd == Command::Quit {
            self.should_quit = true;
            return Vec::new();
        }
        if cmd == Command::Help {
            self.show_help = !self.show_help;
            return Vec::new();
        }
        let page = self.page_rows.max(1);
        match self.screen() {
            Screen::Stacks => match cmd {
                Command::Refresh => self.reload_stacks(),
                Command::Filter => {
                    self.stacks.filter_editing = true;
                    Vec::new()
                }
                Command::Sort | Command::ReverseSort => {
                    let now = self.clock.now();
                    self.stacks.cycle_sort(cmd == Command::ReverseSort, now);
                    Vec::new()
                }
                Command::Open => self.open_detail(),
                Command::Back => {
                    if !self.stacks.filter.is_empty() {
                        self.stacks.filter.clear();
                        let now = self.clock.now();
                        self.stacks.refilter(now);
                    }
                    Vec::new()
                }
                other => {
                    self.stacks.list.navigate(other, page);
                    Vec::new()
                }
            },
            Screen::Detail => match cmd {
                Command::Back => {
                    self.screens.pop();
                    self.detail = None;
                    Vec::new()
                }
                Command::Refresh => self.reload_detail(),
                Command::NextPane | Command::PrevPane => {
                    if let Some(d) = self.detail.as_mut() {
                        d.cycle_pane(cmd == Command::PrevPane);
                    }
                    Vec::new()
                }
                // ── dynamodb (issue 3) ──
                Command::DynamoTables => self.open_dynamo_tables(),
                // ── s3 (issue 4) ──
                // ── logs (issue 5) ──
                // ── invoke (issue 6) ──
                // ── teardown (issue 7) ──
                other => {
                    if let Some(d) = self.detail.as_mut() {
                        d.navigate(other, page);
                    }
                    Vec::new()
                }
            },
            // ── dynamodb (issue 3) ──
            Screen::DynamoTables | Screen::DynamoItems | Screen::DynamoItem => {
                self.dynamo_command(cmd)
            } // ── s3 (issue 4) ──
              // ── logs (issue 5) ──
              // ── invoke (issue 6) ──
              // ── teardown (issue 7) ──
        }
    }

    fn open_detail(&mut self) -> Vec<Effect> {
        let Some(stack) = self.stacks.selected().cloned() else {
            return Vec::new();
        };
        self.detail = Some(DetailState::new(stack));
        self.screens.push(Screen::Detail);
        self.reload_detail()
    }

    fn reload_detail(&mut self) -> Vec<Effect> {
        if self.aws.is_none() {
            return Vec::new();
        }
        let request_id = self.request_id();
        let Some(d) = self.detail.as_mut() else {
            return Vec::new();
        };
        d.start_loading(request_id);
        vec![Effect::LoadDetail {
            request_id,
            stack_id: d.stack.id.clone(),
        }]
    }
}

#[cfg(test)]
mod tests;
