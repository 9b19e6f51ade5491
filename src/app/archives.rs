//! The shelf screen (`:archives`): the archives of the configured locations; `enter` on
//! one opens the restore form (the new stack's name, NoEcho parameters), then the restore
//! runs with its progress and ends with the counts and checksums check.

use std::collections::BTreeMap;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent};

use super::keymap::Command;
use super::list::ListState;
use super::shelf::{RunProgress, ShelfEffect, ShelfMsg};
use super::widgets::Loadable;
use super::widgets::TextInput;
use super::widgets::input::Edit;
use super::{App, Effect, Level, Screen};
use crate::app::shelf::ShelfWork;
use crate::domain::archive::Location;
use crate::domain::archive::shelve::{ArchiveSummary, RestoreOptions, RestoreReport};

/// Longest stack name CloudFormation takes.
const MAX_NAME: usize = 128;
/// Longest parameter value typed here.
const MAX_VALUE: usize = 4096;

/// State of the shelf screen.
#[derive(Debug, Default)]
pub struct ArchivesState {
    /// The listing of the archives: the latest request and how it stands.
    pub load: Loadable,
    /// The locations listed, as shown in the title.
    pub places: Vec<String>,
    pub archives: Vec<ArchiveSummary>,
    pub list: ListState,
    pub restore: Option<RestoreState>,
}

impl ArchivesState {
    pub fn selected(&self) -> Option<&ArchiveSummary> {
        self.archives.get(self.list.selected)
    }
}

/// Where the restore screen is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestorePhase {
    /// The name and NoEcho parameters are edited; `enter` starts.
    Form,
    Running,
    Done(Box<RestoreReport>),
    Failed(String),
}

/// The restore of one archive.
#[derive(Debug)]
pub struct RestoreState {
    pub archive: ArchiveSummary,
    pub request_id: u64,
    pub phase: RestorePhase,
    /// The new stack's name (default: the archived name).
    pub name: TextInput,
    /// NoEcho parameters to fill in, in the archive's order.
    pub params: Vec<(String, TextInput)>,
    /// The field with the cursor: 0 the name, then the parameters.
    pub focus: usize,
    pub progress: RunProgress,
}

impl RestoreState {
    fn field(&mut self) -> &mut TextInput {
        match self.focus.checked_sub(1) {
            Some(i) if i < self.params.len() => &mut self.params[i].1,
            _ => &mut self.name,
        }
    }

    /// Why the form cannot start yet, if it cannot.
    pub fn missing(&self) -> Option<String> {
        if self.name.as_str().trim().is_empty() {
            return Some("the stack name is empty".into());
        }
        let empty: Vec<&str> = self
            .params
            .iter()
            .filter(|(_, v)| v.as_str().is_empty())
            .map(|(k, _)| k.as_str())
            .collect();
        (!empty.is_empty()).then(|| format!("fill in {}", empty.join(", ")))
    }
}

impl App {
    /// Opens the shelf screen and lists the archives of the configured locations.
    pub fn open_archives(&mut self) -> Vec<Effect> {
        let places = match self.archive_locations() {
            Ok(p) => p,
            Err(e) => {
                self.notify(Level::Error, e);
                return Vec::new();
            }
        };
        self.views.truncate(1);
        self.views.open(ArchivesState {
            places: places.iter().map(ToString::to_string).collect(),
            ..ArchivesState::default()
        });
        self.reload_archives()
    }

    fn reload_archives(&mut self) -> Vec<Effect> {
        if self.connection.is_none() {
            return Vec::new();
        }
        let Some(a) = self.views.archives_mut() else {
            return Vec::new();
        };
        let places: Vec<Location> = a.places.iter().filter_map(|p| p.parse().ok()).collect();
        let request_id = a.load.start(&mut self.requests);
        vec![Effect::Shelf(ShelfWork::new(
            None,
            Box::new(ShelfEffect::List { request_id, places }),
        ))]
    }

    /// True while the restore form has the keyboard.
    pub fn restore_input_focused(&self) -> bool {
        self.screen() == Screen::Restore
            && self
                .views
                .archives()
                .and_then(|a| a.restore.as_ref())
                .is_some_and(|r| r.phase == RestorePhase::Form)
    }

    /// A bound command on the shelf screen.
    pub fn archives_command(&mut self, cmd: Command) -> Vec<Effect> {
        let page = self.page_rows.max(1);
        match cmd {
            Command::Back => {
                self.views.truncate(1);
                Vec::new()
            }
            Command::Refresh => self.reload_archives(),
            Command::Open => self.open_restore(),
            other => {
                if let Some(a) = self.views.archives_mut() {
                    a.list.navigate(other, page);
                }
                Vec::new()
            }
        }
    }

    fn open_restore(&mut self) -> Vec<Effect> {
        let read_only = self.header.read_only;
        let Some(a) = self.views.archives_mut() else {
            return Vec::new();
        };
        let Some(archive) = a.selected().cloned() else {
            return Vec::new();
        };
        if read_only {
            self.notify(Level::Error, "read-only mode: restore is refused");
            return Vec::new();
        }
        a.restore = Some(RestoreState {
            name: TextInput::new(archive.stack.clone()),
            params: archive
                .no_echo
                .iter()
                .map(|k| (k.clone(), TextInput::default()))
                .collect(),
            archive,
            request_id: 0,
            phase: RestorePhase::Form,
            focus: 0,
            progress: RunProgress::default(),
        });
        self.views.push_page(Screen::Restore);
        Vec::new()
    }

    /// A key on the restore form: edit the focused field, move, start or go back.
    pub fn restore_input(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(r) = self.views.archives_mut().and_then(|a| a.restore.as_mut()) else {
            return Vec::new();
        };
        let fields = 1 + r.params.len();
        match key.code {
            KeyCode::Esc => {
                self.close_restore();
                Vec::new()
            }
            KeyCode::Tab | KeyCode::Down => {
                r.focus = (r.focus + 1) % fields;
                Vec::new()
            }
            KeyCode::BackTab | KeyCode::Up => {
                r.focus = (r.focus + fields - 1) % fields;
                Vec::new()
            }
            KeyCode::Enter => self.start_restore(),
            _ => {
                let limit = if r.focus == 0 { MAX_NAME } else { MAX_VALUE };
                if r.field().handle(key, limit) == Edit::Changed && r.focus == 0 {
                    // Stack names: letters, digits and hyphens.
                    let clean: String = r
                        .name
                        .as_str()
                        .chars()
                        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                        .collect();
                    if clean != r.name.as_str() {
                        r.name.set(clean);
                    }
                }
                Vec::new()
            }
        }
    }

    fn close_restore(&mut self) {
        if let Some(a) = self.views.archives_mut() {
            a.restore = None;
        }
        if self.screen() == Screen::Restore {
            self.views.pop();
        }
    }

    fn start_restore(&mut self) -> Vec<Effect> {
        if self.header.read_only {
            self.notify(Level::Error, "read-only mode: restore is refused");
            return Vec::new();
        }
        let request_id = self.request_id();
        let Some(r) = self.views.archives_mut().and_then(|a| a.restore.as_mut()) else {
            return Vec::new();
        };
        if let Some(why) = r.missing() {
            self.notify(Level::Error, format!("{why} (tab moves between fields)"));
            return Vec::new();
        }
        let archive: Location = match r.archive.location.parse() {
            Ok(l) => l,
            Err(e) => {
                self.notify(Level::Error, e);
                return Vec::new();
            }
        };
        r.request_id = request_id;
        r.phase = RestorePhase::Running;
        r.progress = RunProgress::default();
        let params: BTreeMap<String, String> = r
            .params
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().to_string()))
            .collect();
        let opts = RestoreOptions {
            name: Some(r.name.as_str().to_string()),
            params,
            source: r.archive.location.clone(),
            poll: Duration::from_secs(2),
            max_wait: Duration::from_secs(3600),
            concurrency: crate::domain::archive::shelve::CONCURRENCY,
        };
        vec![Effect::Shelf(ShelfWork::new(
            None,
            Box::new(ShelfEffect::Restore {
                request_id,
                archive,
                opts,
            }),
        ))]
    }

    /// A bound command on the restore screen (the form itself takes raw keys).
    pub fn restore_command(&mut self, cmd: Command) -> Vec<Effect> {
        let Some(phase) = self
            .views
            .archives()
            .and_then(|a| a.restore.as_ref())
            .map(|r| r.phase.clone())
        else {
            return Vec::new();
        };
        match (cmd, phase) {
            (Command::Back, RestorePhase::Running) => {
                self.notify(
                    Level::Info,
                    "the restore runs to its end (a half-made stack helps nobody); esc when it is done",
                );
                Vec::new()
            }
            (Command::Back, RestorePhase::Done(_)) => {
                self.close_restore();
                // The restored stack shows in the list: reload it and the shelf.
                let mut fx = self.reload_stacks();
                fx.extend(self.reload_archives());
                fx
            }
            (Command::Back, _) => {
                self.close_restore();
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// The archives listed, and the restore's progress and result.
    pub fn archives_update(&mut self, msg: ShelfMsg) -> Vec<Effect> {
        let Some(a) = self.views.archives_mut() else {
            return Vec::new();
        };
        match msg {
            ShelfMsg::Listed { request_id, result } => match a.load.finish(request_id, result) {
                None => {}
                Some(Ok(list)) => {
                    a.list.set_len(list.len());
                    a.archives = list;
                }
                Some(Err(e)) => self.notify(Level::Error, e),
            },
            ShelfMsg::Progress {
                request_id,
                progress,
            } => {
                if let Some(r) = a.restore.as_mut().filter(|r| r.request_id == request_id) {
                    r.progress.record(progress);
                }
            }
            ShelfMsg::Restored { request_id, result } => {
                let Some(r) = a.restore.as_mut().filter(|r| r.request_id == request_id) else {
                    return Vec::new();
                };
                match *result {
                    Ok(report) => {
                        let (level, text) = if report.verified() {
                            (
                                Level::Info,
                                format!(
                                    "{} restored: every count and checksum matches",
                                    report.stack_name
                                ),
                            )
                        } else {
                            (
                                Level::Error,
                                format!(
                                    "{} restored but its data differs from the archive",
                                    report.stack_name
                                ),
                            )
                        };
                        r.phase = RestorePhase::Done(Box::new(report));
                        self.notify(level, text);
                    }
                    Err(e) => {
                        r.phase = RestorePhase::Failed(e.clone());
                        self.notify(Level::Error, e);
                    }
                }
            }
            _ => {}
        }
        Vec::new()
    }
}

impl super::ScreenState for ArchivesState {
    fn command(app: &mut App, cmd: Command) -> Vec<Effect> {
        if app.screen() == Screen::Restore {
            app.restore_command(cmd)
        } else {
            app.archives_command(cmd)
        }
    }

    fn hints(_app: &App, page: Screen) -> Vec<Command> {
        if page == Screen::Restore {
            vec![Command::Open, Command::Back, Command::Help]
        } else {
            vec![
                Command::Open,
                Command::Refresh,
                Command::Back,
                Command::Help,
            ]
        }
    }

    fn input_focused(app: &App) -> bool {
        app.restore_input_focused()
    }

    fn input(app: &mut App, key: KeyEvent) -> Vec<Effect> {
        app.restore_input(key)
    }
}
