//! The stack list: discovered stacks, a filter, a sort.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::list::ListState;
use crate::domain::abandon::{AbandonPolicy, Assessment};
use crate::domain::cost::StackCost;
use crate::domain::stack::Stack;
use crate::domain::teardown::account_from_stack_id;

pub use super::widgets::LoadState;
use super::widgets::Loadable;

/// The column the stack list is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Name,
    Status,
    Age,
    Updated,
    /// The `$/MO` column: most expensive first, stacks not estimated yet last.
    Cost,
}

impl SortKey {
    /// The column name shown in the header.
    pub fn label(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Status => "status",
            Self::Age => "age",
            Self::Updated => "updated",
            Self::Cost => "$/mo",
        }
    }

    fn next(self) -> Self {
        match self {
            Self::Name => Self::Status,
            Self::Status => Self::Age,
            Self::Age => Self::Updated,
            Self::Updated => Self::Cost,
            Self::Cost => Self::Name,
        }
    }
}

/// State of the stack list screen.
#[derive(Debug, Default)]
pub struct StacksState {
    /// The list's load: its latest request and how it stands.
    pub load: Loadable,
    pub stacks: Vec<Stack>,
    /// Indices into `stacks` after filter and sort.
    pub view: Vec<usize>,
    pub list: ListState,
    pub filter: crate::app::widgets::TextInput,
    pub filter_editing: bool,
    pub sort: SortKey,
    pub reverse: bool,
    pub loaded_at: Option<DateTime<Utc>>,
    /// Abandonment verdicts by stack id (after the log activity arrives).
    pub assessments: BTreeMap<String, Assessment>,
    /// The log activity behind `assessments`: its latest request and how it stands.
    pub activity: Loadable,
    pub policy: AbandonPolicy,
    /// Show only the abandoned stacks.
    pub abandoned_only: bool,
    /// True when the stacks come from more than one region (the list shows a REGION column).
    pub multi_region: bool,
    /// True when the stacks come from more than one account (the list shows an ACCOUNT column).
    pub multi_account: bool,
    /// The width of the ACCOUNT column: the longest `id (alias)`, within bounds.
    pub account_width: u16,
    /// Stack ids marked for a teardown of several stacks.
    pub marked: BTreeSet<String>,
    /// The ERRORS column: failed requests of the last 24 h, by stack id.
    pub errors: BTreeMap<String, super::errors::ErrorCount>,
    pub errors_request: u64,
    /// The `$/MO` column: each stack's estimate by stack id (kept across reloads).
    pub costs: BTreeMap<String, StackCost>,
    /// The column's estimate: in flight, done, or failed.
    pub cost_load: Loadable,
}

impl StacksState {
    /// Stores a fresh list, keeping the cursor on the same stack when it is still there.
    pub fn set(&mut self, stacks: Vec<Stack>, now: DateTime<Utc>) {
        let keep = self.selected().map(|s| s.id.clone());
        self.stacks = stacks;
        self.multi_region = self
            .stacks
            .first()
            .is_some_and(|f| self.stacks.iter().any(|s| s.region != f.region));
        let accounts: BTreeSet<Option<String>> = self
            .stacks
            .iter()
            .map(|s| account_from_stack_id(&s.id))
            .collect();
        self.multi_account = accounts.len() > 1;
        let longest = self
            .stacks
            .iter()
            .map(|s| {
                12 + s
                    .account_alias
                    .as_ref()
                    .map_or(0, |a| a.chars().count() + 3)
            })
            .max()
            .unwrap_or(12);
        self.account_width = u16::try_from(longest.clamp(12, 40) + 1).unwrap_or(13);
        self.loaded_at = Some(now);
        self.refilter(now);
        if let Some(id) = keep
            && let Some(pos) = self.view.iter().position(|&i| self.stacks[i].id == id)
        {
            self.list.selected = pos;
        }
    }

    /// Stores the stacks' log activity and assesses every stack at `now`.
    pub fn set_activity(
        &mut self,
        activity: &BTreeMap<String, Result<Vec<DateTime<Utc>>, String>>,
        now: DateTime<Utc>,
    ) {
        self.assessments = self
            .stacks
            .iter()
            .map(|s| {
                let a =
                    crate::domain::abandon::assess_stack(s, activity.get(&s.id), &self.policy, now);
                (s.id.clone(), a)
            })
            .collect();
        self.refilter(now);
    }

    /// Marks or unmarks the stack under the cursor and moves down.
    pub fn toggle_mark(&mut self) {
        let Some(id) = self.selected().map(|s| s.id.clone()) else {
            return;
        };
        if !self.marked.remove(&id) {
            self.marked.insert(id);
        }
        self.list.navigate(super::keymap::Command::Down, 1);
    }

    /// The stack under the cursor.
    pub fn selected(&self) -> Option<&Stack> {
        self.view
            .get(self.list.selected)
            .and_then(|&i| self.stacks.get(i))
    }

    /// Rebuilds the view from the filter and sort.
    pub fn refilter(&mut self, _now: DateTime<Utc>) {
        let needle = self.filter.to_lowercase();
        let mut view: Vec<usize> = self
            .stacks
            .iter()
            .enumerate()
            .filter(|(_, s)| needle.is_empty() || matches_filter(s, &needle))
            .filter(|(_, s)| {
                !self.abandoned_only || self.assessments.get(&s.id).is_some_and(|a| a.abandoned)
            })
            .map(|(i, _)| i)
            .collect();
        let stacks = &self.stacks;
        let monthly = |s: &Stack| self.costs.get(&s.id).map_or(-1.0, |c| c.monthly_usd);
        view.sort_by(|&a, &b| {
            let (a, b) = (&stacks[a], &stacks[b]);
            let ord = match self.sort {
                SortKey::Name => a.name.cmp(&b.name),
                SortKey::Status => a.status.cmp(&b.status).then(a.name.cmp(&b.name)),
                // Age: youngest first.
                SortKey::Age => b.created.cmp(&a.created).then(a.name.cmp(&b.name)),
                SortKey::Updated => b
                    .last_updated
                    .unwrap_or(b.created)
                    .cmp(&a.last_updated.unwrap_or(a.created))
                    .then(a.name.cmp(&b.name)),
                SortKey::Cost => monthly(b).total_cmp(&monthly(a)).then(a.name.cmp(&b.name)),
            };
            if self.reverse { ord.reverse() } else { ord }
        });
        self.view = view;
        self.list.set_len(self.view.len());
        let live: BTreeSet<&str> = self.stacks.iter().map(|s| s.id.as_str()).collect();
        self.marked.retain(|id| live.contains(id.as_str()));
    }

    /// Moves to the next sort column (or flips the direction).
    pub fn cycle_sort(&mut self, reverse: bool, now: DateTime<Utc>) {
        if reverse {
            self.reverse = !self.reverse;
        } else {
            self.sort = self.sort.next();
            self.reverse = false;
        }
        self.refilter(now);
    }
}

fn matches_filter(s: &Stack, needle: &str) -> bool {
    s.name.to_lowercase().contains(needle)
        || s.status.to_lowercase().contains(needle)
        || s.tags
            .iter()
            .any(|(k, v)| k.to_lowercase().contains(needle) || v.to_lowercase().contains(needle))
}

use crossterm::event::{KeyCode, KeyEvent};

use super::Effect;
use super::keymap::Command;
use super::widgets::input::Edit;

/// The stack list: its keys and commands.
impl super::App {
    /// A command on the stack list.
    pub(super) fn stacks_command(&mut self, cmd: Command, page: usize) -> Vec<Effect> {
        match cmd {
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
            Command::Errors => self.open_errors(),
            Command::Query => self.open_on_stack(Command::Query, "query"),
            Command::Cost => self.open_cost(),
            Command::Teardown => {
                let targets = self.teardown_targets();
                self.open_teardown(targets)
            }
            Command::Shelve => {
                let stack = self.stacks.selected().cloned();
                self.open_shelve(stack)
            }
            Command::Mark => {
                self.stacks.toggle_mark();
                Vec::new()
            }
            Command::AbandonedFilter => {
                let now = self.clock.now();
                self.stacks.abandoned_only = !self.stacks.abandoned_only;
                self.stacks.refilter(now);
                Vec::new()
            }
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
        }
    }

    pub(super) fn stacks_input(&mut self, key: KeyEvent) {
        let st = &mut self.stacks;
        match key.code {
            KeyCode::Esc => {
                st.filter.clear();
                st.filter_editing = false;
            }
            KeyCode::Enter => st.filter_editing = false,
            _ => {
                if st.filter.handle(key, 200) != Edit::Changed {
                    return;
                }
            }
        }
        let now = self.clock.now();
        st.refilter(now);
    }

    pub(super) fn load_activity(&mut self) -> Vec<Effect> {
        let request_id = self.stacks.activity.start(&mut self.requests);
        vec![Effect::Stacks(StacksEffect::Activity {
            request_id,
            stacks: self.stacks.stacks.clone(),
        })]
    }

    pub(super) fn reload_stacks(&mut self) -> Vec<Effect> {
        if self.connection.is_none() {
            return Vec::new();
        }
        // Stale rows stay visible while the new list loads.
        let request_id = self.stacks.load.start(&mut self.requests);
        vec![Effect::Stacks(StacksEffect::Load { request_id })]
    }
}

/// The stack list's task results.
#[derive(Debug)]
pub enum StacksMsg {
    /// The stacks found (every profile and region of the shelf).
    Loaded {
        request_id: u64,
        result: Result<Vec<Stack>, String>,
    },
    /// When each stack last did something (its functions' latest log event).
    Activity {
        request_id: u64,
        result: BTreeMap<String, Result<Vec<DateTime<Utc>>, String>>,
    },
}

/// The stack list's work.
#[derive(Debug, Clone)]
pub enum StacksEffect {
    /// Find the stacks of the shelf.
    Load { request_id: u64 },
    /// Read the activity of `stacks` (each group in its own account and region).
    Activity { request_id: u64, stacks: Vec<Stack> },
}

impl super::Work for StacksEffect {
    fn scope(&self) -> Option<&crate::domain::stack::Scope> {
        None
    }
}

impl super::Update for StacksMsg {
    fn update(self, app: &mut super::App) -> Vec<Effect> {
        match self {
            Self::Loaded { request_id, result } => {
                match app.stacks.load.finish(request_id, result) {
                    None => Vec::new(),
                    Some(Ok(stacks)) => {
                        app.stacks.set(stacks, app.clock.now());
                        let mut effects = app.load_activity();
                        effects.extend(app.load_error_counts());
                        effects.extend(app.load_costs());
                        effects
                    }
                    Some(Err(e)) => {
                        app.notify(super::Level::Error, e);
                        Vec::new()
                    }
                }
            }
            Self::Activity { request_id, result } => {
                // Each stack's activity carries its own error: the answer as a whole is there.
                if app.stacks.activity.is_latest(request_id) {
                    app.stacks.activity.set_loaded();
                    let now = app.clock.now();
                    app.stacks.set_activity(&result, now);
                }
                Vec::new()
            }
        }
    }
}

impl super::ScreenState for StacksState {
    fn command(app: &mut super::App, cmd: Command) -> Vec<Effect> {
        let page = app.page_rows.max(1);
        app.stacks_command(cmd, page)
    }

    fn hints(_app: &super::App, _page: super::Screen) -> Vec<Command> {
        vec![
            Command::Open,
            Command::Cost,
            Command::Teardown,
            Command::Mark,
            Command::AbandonedFilter,
            Command::Filter,
            Command::Sort,
            Command::Refresh,
            Command::Help,
            Command::Quit,
        ]
    }

    fn input_focused(app: &super::App) -> bool {
        app.stacks.filter_editing
    }

    fn copy_target(app: &super::App, _page: super::Screen) -> Option<(&'static str, String)> {
        app.stacks.selected().map(|s| ("stack id", s.id.clone()))
    }

    fn console_target(app: &super::App, _page: super::Screen) -> Option<String> {
        let s = app.stacks.selected()?;
        Some(crate::domain::console_url::stack(&s.region, &s.id))
    }

    fn input(app: &mut super::App, key: KeyEvent) -> Vec<Effect> {
        app.stacks_input(key);
        Vec::new()
    }
}
