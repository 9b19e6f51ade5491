//! The teardown screen: the plan of the chosen stacks, a typed confirmation, a 3-second
//! countdown any key cancels, then progress per stack (bucket bars, live stack events).

mod phase;

pub use phase::{COUNTDOWN_TICKS, Phase, Typed, confirm_key};

use crate::app::widgets::TextInput;
use std::collections::{BTreeMap, VecDeque};

use crossterm::event::{KeyCode, KeyEvent};
use tokio_util::sync::CancellationToken;

use super::keymap::Command;
use super::list::ListState;
use super::{App, Effect, Level, Screen, ViewState};
use crate::domain::stack::Stack;
use crate::domain::stack::StackEvent;
use crate::domain::teardown::Lifts;
use crate::domain::teardown::run::{Outcome, OutcomeKind, Progress, Settings, StackPlan};

/// Stack events kept per stack while a teardown runs.
const EVENTS_KEPT: usize = 200;

/// Progress of one stack's teardown.
#[derive(Debug, Clone, Default)]
pub struct StackProgress {
    pub phase: String,
    /// Bucket → (deleted, total).
    pub buckets: BTreeMap<String, (u64, u64)>,
    pub events: VecDeque<StackEvent>,
    pub outcome: Option<Outcome>,
}

/// State of the teardown screen.
#[derive(Debug)]
pub struct TeardownState {
    pub stacks: Vec<Stack>,
    pub request_id: u64,
    pub phase: Phase,
    pub account: String,
    pub plans: Vec<StackPlan>,
    /// Scroll over the plan lines.
    pub list: ListState,
    pub typed: crate::app::widgets::TextInput,
    /// The flags chosen on the plan (`p`, `b`) that lift blockers.
    pub lifts: Lifts,
    pub progress: BTreeMap<String, StackProgress>,
    pub cancel: Option<CancellationToken>,
    /// What tearing each stack down saves a month (estimated once the plan is in).
    pub savings: super::cost::Savings,
    /// The latest estimate's request id (an older answer is dropped); `savings` is its state.
    pub cost_request: u64,
}

/// Closing the screen stops a run between steps (the runner records where it stopped).
impl Drop for TeardownState {
    fn drop(&mut self) {
        if let Some(c) = &self.cancel {
            c.cancel();
        }
    }
}

impl TeardownState {
    /// A teardown of `stacks`, its plan not built yet.
    pub fn new(stacks: Vec<Stack>) -> Self {
        Self {
            stacks,
            request_id: 0,
            phase: Phase::Planning,
            account: String::new(),
            plans: Vec::new(),
            list: ListState::default(),
            typed: TextInput::default(),
            lifts: Lifts::default(),
            progress: BTreeMap::new(),
            cancel: None,
            savings: super::cost::Savings::Loading,
            cost_request: 0,
        }
    }

    /// What the user must type: the stack name, or the number of stacks when several.
    pub fn expected_confirmation(&self) -> String {
        match self.plans.as_slice() {
            [one] => one.stack.name.clone(),
            many => many.len().to_string(),
        }
    }

    /// Chooses the flags that lift blockers, for every plan shown.
    pub fn choose_lifts(&mut self, lifts: Lifts) {
        self.lifts = lifts;
        for p in &mut self.plans {
            p.plan.relift(lifts);
        }
        let n = self.plan_lines();
        self.list.set_len(n);
    }

    /// True when every plan passed every guard.
    pub fn allowed(&self) -> bool {
        !self.plans.is_empty() && self.plans.iter().all(|p| p.plan.allowed())
    }

    /// The number of lines the plan view has (for scrolling).
    pub fn plan_lines(&self) -> usize {
        let blockers: usize = self.plans.iter().map(|p| p.plan.blockers.len()).sum();
        let summary = if blockers > 0 { 2 } else { 0 };
        summary
            + self
                .plans
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    2 + self.savings.lines(i).len()
                        + p.plan.steps.len()
                        + p.plan.refusals.len()
                        + p.plan.blockers.len()
                })
                .sum::<usize>()
    }

    fn record(&mut self, stack_id: &str, p: Progress) {
        self.progress
            .entry(stack_id.to_string())
            .or_default()
            .record(p);
    }
}

impl StackProgress {
    /// Takes one progress report of the stack's teardown in.
    pub fn record(&mut self, p: Progress) {
        let sp = self;
        match p {
            Progress::Phase(s) => sp.phase = s,
            Progress::Bucket {
                bucket,
                deleted,
                total,
            } => {
                sp.buckets.insert(bucket, (deleted, total));
            }
            Progress::Event(e) => {
                sp.events.push_front(e);
                sp.events.truncate(EVENTS_KEPT);
            }
        }
    }
}

/// A teardown plan, and a running teardown's progress and end.
#[derive(Debug)]
pub enum TeardownMsg {
    Planned {
        request_id: u64,
        result: Box<Result<(String, Vec<crate::domain::teardown::run::StackPlan>), String>>,
    },
    Progress {
        stack_id: String,
        progress: crate::domain::teardown::run::Progress,
    },
    Outcome(crate::domain::teardown::run::Outcome),
    Finished,
}

/// Teardown work for the loop (each stack runs in its own scope).
#[derive(Debug, Clone)]
pub enum TeardownEffect {
    Plan {
        request_id: u64,
        stacks: Vec<crate::domain::stack::Stack>,
        settings: Box<crate::domain::teardown::run::Settings>,
    },
    Run {
        plans: Vec<crate::domain::teardown::run::StackPlan>,
        account: String,
        settings: Box<crate::domain::teardown::run::Settings>,
        cancel: tokio_util::sync::CancellationToken,
    },
}

impl App {
    /// Opens the teardown of the marked stacks (or the selected one) and plans it.
    pub fn open_teardown(&mut self, stacks: Vec<Stack>) -> Vec<Effect> {
        if stacks.is_empty() || self.connection.is_none() {
            return Vec::new();
        }
        let request_id = self.request_id();
        let mut st = TeardownState::new(stacks.clone());
        st.request_id = request_id;
        self.views.open(st);
        let mut settings = self.settings.teardown.clone();
        settings.read_only = self.header.read_only;
        settings.now = self.clock.now();
        vec![Effect::Teardown(TeardownEffect::Plan {
            request_id,
            stacks,
            settings: Box::new(settings),
        })]
    }

    /// The stacks `D` acts on from the list: the marked ones, else the one under the cursor.
    pub fn teardown_targets(&self) -> Vec<Stack> {
        let st = &self.stacks;
        let marked: Vec<Stack> = st
            .stacks
            .iter()
            .filter(|s| st.marked.contains(&s.id))
            .cloned()
            .collect();
        if marked.is_empty() {
            st.selected().cloned().into_iter().collect()
        } else {
            marked
        }
    }

    /// True while the confirmation line or the countdown has the keyboard.
    pub fn teardown_input_focused(&self) -> bool {
        self.screen() == Screen::Teardown
            && self
                .views
                .teardown()
                .is_some_and(|t| matches!(t.phase, Phase::Confirm | Phase::Countdown(_)))
    }

    /// A raw key on the teardown screen: typing the confirmation, or cancelling the countdown.
    pub fn teardown_input(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(t) = self.views.teardown_mut() else {
            return Vec::new();
        };
        let want = t.expected_confirmation();
        let cancelled = "teardown cancelled: nothing was deleted";
        if let Some((level, msg)) = t.phase.confirm_input(&mut t.typed, &want, key, cancelled) {
            self.notify(level, msg);
        }
        Vec::new()
    }

    /// A bound command on the teardown screen.
    pub fn teardown_command(&mut self, cmd: Command) -> Vec<Effect> {
        let page = self.page_rows.max(1);
        let Some(t) = self.views.teardown_mut() else {
            return Vec::new();
        };
        match (cmd, t.phase.clone()) {
            (Command::Back, Phase::Running) => {
                if let Some(c) = &t.cancel {
                    c.cancel();
                }
                t.progress
                    .values_mut()
                    .for_each(|p| p.phase = "cancelling…".into());
                Vec::new()
            }
            (Command::Back, phase) => {
                self.close_teardown();
                // After a run the stacks may be gone: back to a fresh list. A plan left
                // without running changed nothing: back where it was opened.
                if phase == Phase::Done {
                    return self.reload_stacks_after_teardown();
                }
                Vec::new()
            }
            (
                Command::TeardownDisableProtection | Command::TeardownBypassGovernance,
                Phase::Review,
            ) => {
                let mut lifts = t.lifts;
                if cmd == Command::TeardownDisableProtection {
                    lifts.disable_deletion_protection = !lifts.disable_deletion_protection;
                } else {
                    lifts.bypass_governance_retention = !lifts.bypass_governance_retention;
                }
                t.choose_lifts(lifts);
                let chosen = lifts.names();
                let text = if chosen.is_empty() {
                    "no flags chosen: every blocker stands".to_string()
                } else {
                    format!("chosen: {}", chosen.join(" "))
                };
                self.notify(Level::Info, text);
                Vec::new()
            }
            (Command::Open, Phase::Review) => {
                let allowed = t.allowed();
                let notes = t.phase.confirm_from_review(
                    &mut t.typed,
                    self.header.read_only,
                    allowed,
                    "teardown",
                    "deleted",
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

    /// Closes the teardown screen (dropping it stops a run between steps).
    fn close_teardown(&mut self) {
        self.views.close(|v| matches!(v, ViewState::Teardown(_)));
    }

    fn reload_stacks_after_teardown(&mut self) -> Vec<Effect> {
        self.stacks.marked.clear();
        if self.screen() == Screen::Detail {
            // The stack may be gone: back to the list.
            self.views.pop();
        }
        self.reload_stacks()
    }

    /// True while a teardown task runs (quitting then asks first).
    pub fn teardown_running(&self) -> bool {
        self.views
            .teardown()
            .is_some_and(|t| t.phase == Phase::Running && t.cancel.is_some())
    }

    /// The answer to "quit and stop the teardown between steps? y/n": on yes the runner is
    /// told to stop after the step it is in (it records "interrupted" with that step) and the
    /// console quits once it has; on no nothing changes.
    pub fn quit_answer(&mut self, key: KeyEvent) -> Vec<Effect> {
        match key.code {
            KeyCode::Char('y' | 'Y') => {
                self.confirm_quit = false;
                self.quit_when_stopped = true;
                if let Some(t) = self.views.teardown_mut() {
                    if let Some(c) = &t.cancel {
                        c.cancel();
                    }
                    t.progress
                        .values_mut()
                        .filter(|p| p.outcome.is_none())
                        .for_each(|p| p.phase = "stopping between steps…".into());
                }
                if self.teardown_running() {
                    self.notify(
                        Level::Info,
                        "stopping the teardown between steps; the console quits when it has",
                    );
                } else {
                    self.should_quit = true;
                }
            }
            KeyCode::Char('n' | 'N') | KeyCode::Esc => {
                self.confirm_quit = false;
                self.notify(Level::Info, "the teardown goes on");
            }
            _ => {}
        }
        Vec::new()
    }

    /// The countdown ticks; at zero the teardown starts.
    pub fn teardown_tick(&mut self) -> Vec<Effect> {
        let Some(t) = self.views.teardown_mut() else {
            return Vec::new();
        };
        if !t.phase.tick() {
            return Vec::new();
        }
        let cancel = CancellationToken::new();
        t.cancel = Some(cancel.clone());
        t.phase = Phase::Running;
        for p in &t.plans {
            t.progress.entry(p.stack.id.clone()).or_default().phase = "waiting".into();
        }
        let mut settings = self.settings.teardown.clone();
        settings.read_only = self.header.read_only;
        settings.now = self.clock.now();
        settings.lifts = t.lifts;
        vec![Effect::Teardown(TeardownEffect::Run {
            plans: t.plans.clone(),
            account: t.account.clone(),
            settings: Box::new(settings),
            cancel,
        })]
    }

    /// Results and progress of the teardown tasks.
    pub fn teardown_update(&mut self, msg: TeardownMsg) -> Vec<Effect> {
        let Some(t) = self.views.teardown_mut() else {
            return Vec::new();
        };
        match msg {
            TeardownMsg::Planned { request_id, result } => {
                if request_id != t.request_id {
                    return Vec::new();
                }
                match *result {
                    Ok((account, plans)) => {
                        t.account = account;
                        t.plans = plans;
                        t.phase = Phase::Review;
                        let lifts = t.lifts;
                        t.choose_lifts(lifts);
                        return self.load_teardown_costs();
                    }
                    Err(e) => {
                        t.phase = Phase::Failed(e.clone());
                        self.notify(Level::Error, e);
                    }
                }
            }
            TeardownMsg::Progress { stack_id, progress } => t.record(&stack_id, progress),
            TeardownMsg::Outcome(outcome) => {
                let failed = outcome.result != OutcomeKind::Deleted;
                let name = outcome.stack_name.clone();
                let entry = t.progress.entry(outcome.stack_id.clone()).or_default();
                entry.phase = match outcome.result {
                    OutcomeKind::Deleted => "deleted".into(),
                    OutcomeKind::Refused => "refused".into(),
                    OutcomeKind::Failed => "failed".into(),
                    OutcomeKind::Cancelled => "cancelled".into(),
                };
                let err = outcome.error.clone();
                entry.outcome = Some(outcome);
                if failed {
                    self.notify(
                        Level::Error,
                        format!("{name}: {}", err.unwrap_or_else(|| "not deleted".into())),
                    );
                }
            }
            TeardownMsg::Finished => {
                t.phase = Phase::Done;
                t.cancel = None;
                if self.quit_when_stopped {
                    self.should_quit = true;
                }
                self.confirm_quit = false;
            }
        }
        Vec::new()
    }
}

/// Default settings before the config is applied (tests, and the console's start).
pub fn default_settings() -> Settings {
    Settings::from_config(
        &crate::config::Config::default(),
        Vec::new(),
        false,
        chrono::DateTime::<chrono::Utc>::default(),
    )
}

impl super::Work for TeardownEffect {
    /// A plan or a run of several stacks: each group runs with its own scope.
    fn scope(&self) -> Option<&crate::domain::stack::Scope> {
        None
    }
}

impl super::Update for TeardownMsg {
    fn update(self, app: &mut App) -> Vec<Effect> {
        app.teardown_update(self)
    }
}

impl super::ScreenState for TeardownState {
    fn command(app: &mut App, cmd: Command) -> Vec<Effect> {
        app.teardown_command(cmd)
    }

    fn hints(_app: &App, _page: super::Screen) -> Vec<Command> {
        vec![
            Command::Open,
            Command::TeardownDisableProtection,
            Command::TeardownBypassGovernance,
            Command::Back,
            Command::Help,
        ]
    }

    fn input_focused(app: &App) -> bool {
        app.teardown_input_focused()
    }

    fn input(app: &mut App, key: KeyEvent) -> Vec<Effect> {
        app.teardown_input(key)
    }

    fn tick(app: &mut App) -> Vec<Effect> {
        app.teardown_tick()
    }
}
