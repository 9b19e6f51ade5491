//! The shelve screen (`S` on a stack): what the archive will keep and what cannot come
//! back, the teardown plan, a typed confirmation and a countdown (as `D`), then the run
//! with its three steps (writing, verifying, tearing down), cancellable between steps.

use std::collections::BTreeMap;

use crossterm::event::KeyEvent;
use tokio_util::sync::CancellationToken;

use super::keymap::Command;
use super::list::ListState;
use super::teardown::{Phase, StackProgress};
use super::widgets::TextInput;
use super::{App, Effect, Level, Screen, ViewState};
use crate::domain::archive::Location;
use crate::domain::archive::shelve::{
    ArchiveSummary, Preview, Progress, RestoreOptions, RestoreReport, ShelveOptions, Shelved,
};
use crate::domain::stack::Scope;
use crate::domain::stack::Stack;
use crate::domain::teardown::run::{OutcomeKind, Settings, StackPlan};

/// What the shelf tasks send back.
#[derive(Debug)]
pub enum ShelfMsg {
    /// The teardown plan and the archive preview of the stack to shelve.
    Previewed {
        request_id: u64,
        result: Box<Result<Planned, String>>,
    },
    /// A report of the running shelve or restore.
    Progress { request_id: u64, progress: Progress },
    Shelved {
        request_id: u64,
        result: Box<Result<Shelved, String>>,
    },
    /// The archives of the configured locations, newest first.
    Listed {
        request_id: u64,
        result: Result<Vec<ArchiveSummary>, String>,
    },
    Restored {
        request_id: u64,
        result: Box<Result<RestoreReport, String>>,
    },
}

/// A stack planned for shelving: its account, teardown plan and archive preview.
#[derive(Debug, Clone)]
pub struct Planned {
    pub account: String,
    pub plan: StackPlan,
    pub preview: Preview,
}

/// Shelf work for the loop.
#[derive(Debug, Clone)]
#[allow(
    clippy::large_enum_variant,
    reason = "it travels boxed whole, in Effect::Shelf"
)]
pub enum ShelfEffect {
    Preview {
        request_id: u64,
        stack: Stack,
        settings: Box<Settings>,
        to: Location,
        opts: ShelveOptions,
    },
    Shelve {
        request_id: u64,
        plan: Box<StackPlan>,
        account: String,
        settings: Box<Settings>,
        to: Location,
        opts: ShelveOptions,
        cancel: CancellationToken,
    },
    List {
        request_id: u64,
        places: Vec<Location>,
    },
    Restore {
        request_id: u64,
        archive: Location,
        opts: RestoreOptions,
    },
}

/// The three steps of a shelve run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    Writing,
    Verifying,
    TearingDown,
}

impl Step {
    pub const ALL: [Self; 3] = [Self::Writing, Self::Verifying, Self::TearingDown];

    pub fn label(self) -> &'static str {
        match self {
            Self::Writing => "writing the archive",
            Self::Verifying => "verifying it against its manifest",
            Self::TearingDown => "tearing the stack down",
        }
    }

    /// The step a progress report belongs to.
    fn of(p: &Progress) -> Option<Self> {
        match p {
            Progress::Items { .. } | Progress::Objects { .. } | Progress::Logs { .. } => {
                Some(Self::Writing)
            }
            Progress::Verified { .. } => Some(Self::Verifying),
            Progress::Teardown(_) => Some(Self::TearingDown),
            Progress::Phase(s) if s.starts_with("verifying") || s.starts_with("uploading") => {
                Some(Self::Verifying)
            }
            Progress::Phase(s) if s.starts_with("tearing") => Some(Self::TearingDown),
            Progress::Phase(_) => None,
        }
    }
}

/// What a shelve or restore run has reported so far.
#[derive(Debug, Clone, Default)]
pub struct RunProgress {
    /// The latest phase line.
    pub phase: String,
    /// Table → items written (or loaded).
    pub tables: BTreeMap<String, u64>,
    /// Bucket → (objects, bytes) written (or loaded).
    pub buckets: BTreeMap<String, (u64, u64)>,
    /// Files verified, of the total.
    pub verified: Option<(u64, u64)>,
    /// The teardown that follows a verified archive.
    pub teardown: StackProgress,
}

impl RunProgress {
    /// Takes one report in (tables and buckets are bounded by the stack's resources).
    pub fn record(&mut self, p: Progress) {
        match p {
            Progress::Phase(s) => self.phase = s,
            Progress::Items { table, items } => {
                self.tables.insert(table, items);
            }
            Progress::Objects {
                bucket,
                objects,
                bytes,
            } => {
                self.buckets.insert(bucket, (objects, bytes));
            }
            Progress::Logs { group, events } => self.phase = format!("{group}: {events} events"),
            Progress::Verified { files, total } => self.verified = Some((files, total)),
            Progress::Teardown(t) => self.teardown.record(t),
        }
    }
}

/// State of the shelve screen.
#[derive(Debug)]
pub struct ShelveState {
    pub stack: Stack,
    pub request_id: u64,
    pub phase: Phase,
    pub account: String,
    pub planned: Option<Planned>,
    /// Where the archive goes (the folder or prefix that holds archives).
    pub to: Location,
    /// Scroll over the plan lines.
    pub list: ListState,
    pub typed: TextInput,
    /// The step running (or last run).
    pub step: Option<Step>,
    pub progress: RunProgress,
    pub result: Option<Result<Shelved, String>>,
    pub cancel: Option<CancellationToken>,
}

/// Closing the screen stops a run between steps (the runner records where it stopped).
impl Drop for ShelveState {
    fn drop(&mut self) {
        if let Some(c) = &self.cancel {
            c.cancel();
        }
    }
}

impl ShelveState {
    /// True when the plan passed every guard.
    pub fn allowed(&self) -> bool {
        self.planned.as_ref().is_some_and(|p| p.plan.plan.allowed())
    }
}

/// The lines of the plan view: the preview (what is kept, what cannot come back), then
/// the teardown plan as the teardown screen shows it.
pub fn plan_len(p: &Planned) -> usize {
    let v = &p.preview;
    let preview =
        2 + v.tables.len() + v.buckets.len() + usize::from(v.log_groups > 0) + 1 + v.not_kept.len();
    let tp = &p.plan.plan;
    let summary = if tp.blockers.is_empty() { 0 } else { 2 };
    preview + summary + 2 + tp.steps.len() + tp.refusals.len() + tp.blockers.len()
}

fn shelve_options(now: chrono::DateTime<chrono::Utc>) -> ShelveOptions {
    ShelveOptions {
        all_versions: false,
        logs: None,
        concurrency: crate::domain::archive::shelve::CONCURRENCY,
        now,
    }
}

impl App {
    /// Opens the shelve screen for `stack` and plans it (the teardown plan and the preview).
    pub fn open_shelve(&mut self, stack: Option<Stack>) -> Vec<Effect> {
        let Some(stack) = stack else {
            return Vec::new();
        };
        if self.connection.is_none() {
            return Vec::new();
        }
        let to = match self.archive_locations() {
            Ok(places) => places.into_iter().next(),
            Err(e) => {
                self.notify(Level::Error, e);
                return Vec::new();
            }
        };
        let Some(to) = to else {
            return Vec::new();
        };
        let request_id = self.request_id();
        self.views.open(ShelveState {
            stack: stack.clone(),
            request_id,
            phase: Phase::Planning,
            account: String::new(),
            planned: None,
            to: to.clone(),
            list: ListState::default(),
            typed: TextInput::default(),
            step: None,
            progress: RunProgress::default(),
            result: None,
            cancel: None,
        });
        let mut settings = self.settings.teardown.clone();
        settings.read_only = self.header.read_only;
        settings.now = self.clock.now();
        vec![Effect::Shelf(ShelfWork::new(
            Some(stack.scope()),
            Box::new(ShelfEffect::Preview {
                request_id,
                stack,
                settings: Box::new(settings),
                to,
                opts: shelve_options(self.clock.now()),
            }),
        ))]
    }

    /// The archive locations of the config (or the default one).
    pub fn archive_locations(&self) -> Result<Vec<Location>, String> {
        crate::domain::archive::configured_locations(&self.settings.shelve_locations)
    }

    /// True while the confirmation line or the countdown has the keyboard.
    pub fn shelve_input_focused(&self) -> bool {
        self.screen() == Screen::Shelve
            && self
                .views
                .shelve()
                .is_some_and(|t| matches!(t.phase, Phase::Confirm | Phase::Countdown(_)))
    }

    /// A raw key on the shelve screen: the confirmation, or any key cancelling the countdown.
    pub fn shelve_input(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(t) = self.views.shelve_mut() else {
            return Vec::new();
        };
        let want = t.stack.name.clone();
        let cancelled = "shelve cancelled: nothing was archived or deleted";
        if let Some((level, msg)) = t.phase.confirm_input(&mut t.typed, &want, key, cancelled) {
            self.notify(level, msg);
        }
        Vec::new()
    }

    /// A bound command on the shelve screen.
    pub fn shelve_command(&mut self, cmd: Command) -> Vec<Effect> {
        let page = self.page_rows.max(1);
        let read_only = self.header.read_only;
        let Some(t) = self.views.shelve_mut() else {
            return Vec::new();
        };
        match (cmd, t.phase.clone()) {
            (Command::Back, Phase::Running) => {
                if let Some(c) = &t.cancel {
                    c.cancel();
                }
                t.progress.phase = "cancelling: the step running ends first…".into();
                Vec::new()
            }
            (Command::Back, _) => {
                let deleted = t.result.as_ref().is_some_and(Result::is_ok);
                self.views.close(|v| matches!(v, ViewState::Shelve(_)));
                if deleted {
                    self.stacks.marked.clear();
                    if self.screen() == Screen::Detail {
                        self.views.pop();
                    }
                    return self.reload_stacks();
                }
                Vec::new()
            }
            (Command::Open, Phase::Review) => {
                let allowed = t.allowed();
                let notes = t.phase.confirm_from_review(
                    &mut t.typed,
                    read_only,
                    allowed,
                    "shelve",
                    "archived or deleted",
                );
                for (level, text) in notes {
                    self.notify(level, text);
                }
                Vec::new()
            }
            (other, _) => {
                t.list.navigate(other, page);
                Vec::new()
            }
        }
    }

    /// The countdown ticks; at zero the shelve starts.
    pub fn shelve_tick(&mut self) -> Vec<Effect> {
        let Some(t) = self.views.shelve_mut() else {
            return Vec::new();
        };
        if !t.phase.tick() {
            return Vec::new();
        }
        let Some(planned) = t.planned.clone() else {
            return Vec::new();
        };
        let cancel = CancellationToken::new();
        t.cancel = Some(cancel.clone());
        t.phase = Phase::Running;
        t.step = Some(Step::Writing);
        t.progress = RunProgress::default();
        let mut settings = self.settings.teardown.clone();
        settings.read_only = self.header.read_only;
        settings.now = self.clock.now();
        vec![Effect::Shelf(ShelfWork::new(
            Some(planned.plan.stack.scope()),
            Box::new(ShelfEffect::Shelve {
                request_id: t.request_id,
                plan: Box::new(planned.plan),
                account: planned.account,
                settings: Box::new(settings),
                to: t.to.clone(),
                opts: shelve_options(self.clock.now()),
                cancel,
            }),
        ))]
    }

    /// Results and progress of the shelf tasks.
    pub fn shelf_update(&mut self, msg: ShelfMsg) -> Vec<Effect> {
        match msg {
            ShelfMsg::Listed { .. } | ShelfMsg::Restored { .. } => self.archives_update(msg),
            ShelfMsg::Progress { request_id, .. }
                if self
                    .views
                    .shelve()
                    .is_none_or(|t| t.request_id != request_id) =>
            {
                self.archives_update(msg)
            }
            msg => {
                self.shelve_update(msg);
                Vec::new()
            }
        }
    }

    fn shelve_update(&mut self, msg: ShelfMsg) {
        let Some(t) = self.views.shelve_mut() else {
            return;
        };
        match msg {
            ShelfMsg::Previewed { request_id, result } if request_id == t.request_id => {
                match *result {
                    Ok(p) => {
                        t.account.clone_from(&p.account);
                        let lines = plan_len(&p);
                        t.planned = Some(p);
                        t.list.set_len(lines);
                        t.phase = Phase::Review;
                    }
                    Err(e) => {
                        t.phase = Phase::Failed(e.clone());
                        self.notify(Level::Error, e);
                    }
                }
            }
            ShelfMsg::Progress {
                request_id,
                progress,
            } if request_id == t.request_id => {
                if let Some(step) = Step::of(&progress) {
                    t.step = Some(step);
                }
                t.progress.record(progress);
            }
            ShelfMsg::Shelved { request_id, result } if request_id == t.request_id => {
                t.phase = Phase::Done;
                t.cancel = None;
                let text = match &*result {
                    Ok(s) if s.outcome.result == OutcomeKind::Deleted => {
                        Ok(format!("{} shelved to {}", t.stack.name, s.location))
                    }
                    Ok(s) => Err(format!(
                        "{} archived to {} but not deleted: {}",
                        t.stack.name,
                        s.location,
                        s.outcome.error.clone().unwrap_or_else(|| "refused".into())
                    )),
                    Err(e) => Err(e.clone()),
                };
                if let Ok(s) = &*result {
                    let tp = &mut t.progress.teardown;
                    tp.phase = match s.outcome.result {
                        OutcomeKind::Deleted => "deleted",
                        OutcomeKind::Refused => "refused",
                        OutcomeKind::Failed => "failed",
                        OutcomeKind::Cancelled => "cancelled",
                    }
                    .into();
                    tp.outcome = Some(s.outcome.clone());
                    t.step = Some(Step::TearingDown);
                }
                t.result = Some(*result);
                match text {
                    Ok(m) => self.notify(Level::Info, m),
                    Err(e) => self.notify(Level::Error, e),
                }
            }
            _ => {}
        }
    }
}

/// Shelf work with the scope of the stack shelved; `None` for the shelf's archives and
/// restores, which run with the session's context.
#[derive(Debug, Clone)]
pub struct ShelfWork {
    pub scope: Option<Scope>,
    pub work: Box<ShelfEffect>,
}

impl ShelfWork {
    pub fn new(scope: Option<Scope>, work: Box<ShelfEffect>) -> Self {
        Self { scope, work }
    }
}

impl super::Work for ShelfWork {
    fn scope(&self) -> Option<&Scope> {
        self.scope.as_ref()
    }
}

impl super::Update for ShelfMsg {
    fn update(self, app: &mut App) -> Vec<Effect> {
        app.shelf_update(self)
    }
}

impl super::ScreenState for ShelveState {
    fn command(app: &mut App, cmd: Command) -> Vec<Effect> {
        app.shelve_command(cmd)
    }

    fn hints(_app: &App, _page: super::Screen) -> Vec<Command> {
        vec![Command::Open, Command::Back, Command::Help]
    }

    fn input_focused(app: &App) -> bool {
        app.shelve_input_focused()
    }

    fn input(app: &mut App, key: KeyEvent) -> Vec<Effect> {
        app.shelve_input(key)
    }

    fn tick(app: &mut App) -> Vec<Effect> {
        app.shelve_tick()
    }
}
