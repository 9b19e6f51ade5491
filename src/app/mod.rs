//! App state and `update`: actions in, state changes and effects out. Never awaits.

pub mod archives;
pub mod copy;
pub mod cost;
pub mod detail;
pub mod dynamo;
pub mod errors;
pub mod invoke;
pub mod keymap;
pub mod list;
pub mod logs;
mod messages;
pub mod palette;
pub mod query;
pub mod s3;
pub(crate) mod screens;
pub mod settings;
pub mod shelf;
pub mod stacks;
pub mod teardown;
pub mod views;
pub mod widgets;

use std::collections::VecDeque;

use crossterm::event::{Event, KeyEventKind, MouseButton, MouseEventKind};

use crate::config::Theme as ThemeName;
use crate::domain::time::Clock;
pub use detail::{DetailData, DetailState};
use keymap::{Command, Key, Keymap};
pub use messages::{Action, EditTarget, Effect, Scoped, Update, Work};
use palette::Overlay;
pub use settings::Settings;
pub use stacks::StacksState;
pub use views::{Screen, ScreenState, ViewState, Views};

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
    /// The open screens, each with the state it owns (the stack list at the bottom).
    pub views: Views,
    pub stacks: StacksState,
    /// What the screens read from the config file.
    pub settings: Settings,
    pub header: HeaderInfo,
    pub notifications: VecDeque<Notification>,
    /// The command palette or a picker, when open.
    pub overlay: Option<Overlay>,
    /// The colour theme in use (switchable from the palette).
    pub theme: ThemeName,
    pub show_help: bool,
    pub should_quit: bool,
    /// Quitting was asked while a teardown runs: the y/n question is shown.
    pub confirm_quit: bool,
    /// The teardown was told to stop between steps; the console quits once it has.
    pub quit_when_stopped: bool,
    pub clock: Clock,
    pub keymap: Keymap,
    /// The session's connection, once its context has loaded (AWS work waits for it).
    pub connection: Option<crate::domain::stack::Connection>,
    /// Visible body rows, updated by the renderer's last layout (for paging).
    pub page_rows: usize,
    /// Animation frame for spinners.
    pub tick: u64,
    requests: widgets::Requests,
}

impl App {
    /// A new app on the stack list, waiting for the AWS context.
    pub fn new(keymap: Keymap, clock: Clock, header: HeaderInfo, settings: Settings) -> Self {
        let stacks = StacksState {
            policy: settings.teardown.policy.clone(),
            ..StacksState::default()
        };
        Self {
            views: Views::default(),
            stacks,
            header,
            notifications: VecDeque::new(),
            overlay: None,
            theme: settings.theme,
            settings,
            show_help: false,
            should_quit: false,
            confirm_quit: false,
            quit_when_stopped: false,
            clock,
            keymap,
            connection: None,
            page_rows: 20,
            tick: 0,
            requests: widgets::Requests::default(),
        }
    }

    /// The screen on top.
    pub fn screen(&self) -> Screen {
        self.views.screen()
    }

    fn request_id(&mut self) -> u64 {
        self.requests.issue()
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
        self.overlay.is_some() || self.screen_input_focused()
    }

    /// Turns a terminal event into an action through the key map of the current screen.
    pub fn map_event(&self, ev: &Event) -> Option<Action> {
        if let Event::Mouse(m) = ev {
            return self.map_mouse(m.kind, m.row);
        }
        let Event::Key(key) = ev else {
            return None;
        };
        if key.kind == KeyEventKind::Release {
            return None;
        }
        if self.confirm_quit || self.input_focused() {
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

    /// Mouse (opt-in in the config): the wheel scrolls, a click on the stack list selects
    /// that row and a second click on it opens it.
    fn map_mouse(&self, kind: MouseEventKind, row: u16) -> Option<Action> {
        match kind {
            MouseEventKind::ScrollDown => Some(Action::Command(Command::Down)),
            MouseEventKind::ScrollUp => Some(Action::Command(Command::Up)),
            MouseEventKind::Down(MouseButton::Left)
                if self.overlay.is_none() && self.screen() == Screen::Stacks =>
            {
                // Header line, block border and column header come before the first row.
                let first_row = 3_u16;
                let pos = self.stacks.list.offset() + usize::from(row.checked_sub(first_row)?);
                (pos < self.stacks.view.len()).then_some(Action::ClickRow(pos))
            }
            _ => None,
        }
    }

    /// Applies one action; returns the effects to start.
    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        let action = match action.route(self) {
            Ok(effects) => return effects,
            Err(action) => action,
        };
        match action {
            Action::Tick => {
                self.tick = self.tick.wrapping_add(1);
                for n in &mut self.notifications {
                    n.ttl = n.ttl.saturating_sub(1);
                }
                self.notifications.retain(|n| n.ttl > 0);
                self.screens_tick()
            }
            Action::AwsReady(Ok(ctx)) => {
                self.header.connection.clone_from(&ctx.label);
                let switched = self.connection.is_some();
                self.connection = Some(ctx);
                if switched {
                    // Another account or region: views of the old one's stacks close.
                    self.views.truncate(1);
                    self.stacks.stacks.clear();
                    let now = self.clock.now();
                    self.stacks.refilter(now);
                }
                self.reload_stacks()
            }
            Action::ProfilesListed(profiles) => {
                if profiles.is_empty() {
                    self.notify(
                        Level::Error,
                        "no profiles in ~/.aws/config or ~/.aws/credentials",
                    );
                } else {
                    self.overlay = Some(Overlay::picker("profile", profiles));
                }
                Vec::new()
            }
            Action::ClickRow(pos) => {
                if self.stacks.list.selected == pos {
                    return self.open_detail();
                }
                self.stacks.list.selected = pos;
                Vec::new()
            }
            Action::AwsReady(Err(e)) => {
                self.stacks.load.fail(e.clone());
                self.notify(Level::Error, e);
                Vec::new()
            }
            Action::Input(key) if self.confirm_quit => self.quit_answer(key),
            Action::Input(key) if self.overlay.is_some() => self.overlay_input(key),
            Action::Input(key) => self.screen_input(key),
            Action::EditFinished { target, result } => self.edit_finished(target, result),
            Action::Notice(text) => {
                self.notify(Level::Error, text);
                Vec::new()
            }
            Action::Command(cmd) => self.command(cmd),
            // Every capability's messages went their own way above.
            _ => Vec::new(),
        }
    }

    /// Hands an editor result to the screen that asked for it.
    fn edit_finished(&mut self, target: EditTarget, result: Result<String, String>) -> Vec<Effect> {
        let text = match result {
            Ok(text) => text,
            Err(e) => {
                self.notify(Level::Error, e);
                return Vec::new();
            }
        };
        self.screens_edited(target, &text)
    }

    fn command(&mut self, cmd: Command) -> Vec<Effect> {
        if cmd == Command::Quit {
            if self.teardown_running() {
                self.confirm_quit = !self.quit_when_stopped;
            } else {
                self.should_quit = true;
            }
            return Vec::new();
        }
        if cmd == Command::Help {
            self.show_help = !self.show_help;
            return Vec::new();
        }
        if cmd == Command::Palette {
            self.overlay = Some(Overlay::palette());
            return Vec::new();
        }
        if matches!(cmd, Command::Copy | Command::Console | Command::CopyName) {
            return self.copy_command(cmd);
        }
        self.screen_command(cmd)
    }
}

/// The connection of a session in us-east-1, for tests (as `AwsContext::connection` names
/// it).
#[cfg(test)]
pub(crate) fn test_connection(
    profile: Option<&str>,
    endpoint: &str,
) -> crate::domain::stack::Connection {
    crate::domain::stack::Connection {
        label: format!("{} · us-east-1 · {endpoint}", profile.unwrap_or("default")),
    }
}

#[cfg(test)]
mod tests;
