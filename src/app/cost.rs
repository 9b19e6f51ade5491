//! What stacks cost, in the console: the `$/MO` column of the stack list (one estimate for
//! every listed stack, asked after the list is drawn), the `$` breakdown of one stack, and
//! what a teardown saves. Every estimate is one `Effect::Cost(CostEffect::Estimate)`; its answer comes back as
//! `Action::Cost(CostMsg::Estimated)` and goes to whoever holds its request id.

use super::keymap::Command;
use super::list::ListState;
use super::widgets::{Loadable, Requests};
use super::{App, Effect, Level, Screen};
use crate::domain::cost::{CostSettings, PriceTable, Saving, StackCost, money, plan_savings};
use crate::domain::stack::Stack;

/// Most lines a teardown plan lists of what keeps costing, per stack.
pub const KEEPS_SHOWN: usize = 6;

/// `[cost]` as the console uses it.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Days of usage measured, scaled to a month.
    pub days: u32,
    /// The bundled table with the config's overrides (or why it is unusable).
    pub prices: Result<PriceTable, String>,
}

impl Settings {
    /// The console's cost settings from the config.
    pub fn from_config(config: &crate::config::Config) -> Self {
        Self {
            days: config.cost.days,
            prices: config.cost.price_table().map_err(|e| e.to_string()),
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            days: 30,
            prices: PriceTable::bundled().map_err(|e| e.to_string()),
        }
    }
}

/// The `$` screen: one stack's breakdown.
#[derive(Debug)]
pub struct CostState {
    pub stack: Stack,
    /// The estimate: the latest request (perhaps the column's) and how it stands.
    pub load: Loadable,
    pub cost: Option<StackCost>,
    /// Cursor over the breakdown lines.
    pub list: ListState,
}

impl CostState {
    /// Asks for the stack's estimate with `settings` (or shows why it could not be asked;
    /// `None` before the AWS context is ready).
    fn start(
        &mut self,
        settings: Option<Result<CostSettings, String>>,
        ids: &mut Requests,
    ) -> Vec<Effect> {
        match settings {
            Some(Ok(settings)) => {
                let request_id = self.load.start(ids);
                vec![estimate(request_id, vec![self.stack.clone()], settings)]
            }
            Some(Err(e)) => {
                self.load.fail(e);
                Vec::new()
            }
            None => Vec::new(),
        }
    }

    fn set(&mut self, cost: Option<StackCost>) {
        self.list
            .set_len(cost.as_ref().map_or(0, |c| c.breakdown.len()));
        self.cost = cost;
        self.load.set_loaded();
    }
}

/// What a teardown plan knows of what it saves.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Savings {
    #[default]
    Loading,
    /// Per plan, in plan order.
    Ready(Vec<Option<Saving>>),
    Failed(String),
}

/// How a line of the teardown plan's cost part reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Still estimating, or no figure.
    Dim,
    /// Everything is saved.
    Ok,
    /// Something keeps costing after the teardown.
    Warn,
}

/// One line of the teardown plan's cost part.
pub type SavingLine = (String, Tone);

impl Savings {
    /// The lines the plan shows under stack `i` (the renderer and the scroll count agree).
    pub fn lines(&self, i: usize) -> Vec<SavingLine> {
        let sv = match self {
            Self::Loading => {
                return vec![(
                    "  cost: estimating what the teardown saves…".into(),
                    Tone::Dim,
                )];
            }
            Self::Failed(e) => return vec![(format!("  cost: unknown ({e})"), Tone::Dim)],
            Self::Ready(all) => match all.get(i) {
                Some(Some(sv)) => sv,
                _ => return vec![("  cost: no estimate for this stack".into(), Tone::Dim)],
            },
        };
        let saves = money(sv.saves_monthly_usd, &sv.currency);
        if sv.keeps_costing.is_empty() {
            return vec![(
                format!("  saves about {saves}/month; nothing keeps costing afterwards"),
                Tone::Ok,
            )];
        }
        let mut out = vec![(
            format!(
                "  saves about {saves}/month; keeps costing about {}/month afterwards:",
                money(sv.keeps_monthly_usd, &sv.currency)
            ),
            Tone::Warn,
        )];
        for item in sv.keeps_costing.iter().take(KEEPS_SHOWN) {
            out.push((
                format!(
                    "    {} · {} · {}/month",
                    item.resource,
                    item.usage_type,
                    money(item.monthly_usd, &sv.currency)
                ),
                Tone::Warn,
            ));
        }
        if sv.keeps_costing.len() > KEEPS_SHOWN {
            out.push((
                format!("    … and {} more", sv.keeps_costing.len() - KEEPS_SHOWN),
                Tone::Warn,
            ));
        }
        out
    }
}

impl App {
    /// One estimate for every listed stack, for the `$/MO` column (after the list is drawn).
    pub(crate) fn load_costs(&mut self) -> Vec<Effect> {
        if self.connection.is_none() || self.stacks.stacks.is_empty() {
            return Vec::new();
        }
        match self.cost_settings() {
            Ok(settings) => {
                let request_id = self.stacks.cost_load.start(&mut self.requests);
                vec![estimate(request_id, self.stacks.stacks.clone(), settings)]
            }
            Err(e) => {
                self.stacks.cost_load.fail(e.clone());
                self.notify(Level::Error, format!("$/MO: {e}"));
                Vec::new()
            }
        }
    }

    /// What an estimate needs from the settings and the clock (or why it cannot be asked).
    fn cost_settings(&self) -> Result<CostSettings, String> {
        Ok(CostSettings {
            days: self.settings.cost.days,
            prices: self.settings.cost.prices.clone()?,
            now: self.clock.now(),
        })
    }

    /// An estimate arrived: to the column, the `$` screen and the teardown plan that asked.
    pub(crate) fn costs_loaded(
        &mut self,
        request_id: u64,
        result: &Result<Vec<StackCost>, String>,
    ) -> Vec<Effect> {
        let mine = self.stacks.cost_load.finish(request_id, result.as_ref());
        if let Some(answer) = mine {
            match answer {
                Ok(costs) => {
                    for c in costs {
                        self.stacks.costs.insert(c.stack_id.clone(), c.clone());
                    }
                }
                Err(e) => self.notify(Level::Error, format!("$/MO: {e}")),
            }
            let now = self.clock.now();
            self.stacks.refilter(now);
        }
        if let Some(c) = self.views.cost_mut() {
            match c.load.finish(request_id, result.as_ref()) {
                None => {}
                Some(Ok(costs)) => {
                    let mine = costs.iter().find(|x| x.stack_id == c.stack.id).cloned();
                    c.set(mine);
                }
                // The column's own estimate has already said so.
                Some(Err(_)) if self.stacks.cost_load.is_latest(request_id) => {}
                Some(Err(e)) => self.notify(Level::Error, e.clone()),
            }
        }
        if let Some(t) = self.views.teardown_mut()
            && t.cost_request == request_id
        {
            t.savings = match result {
                Ok(costs) => Savings::Ready(plan_savings(&t.plans, costs)),
                Err(e) => Savings::Failed(e.clone()),
            };
            let n = t.plan_lines();
            t.list.set_len(n);
        }
        Vec::new()
    }

    /// `$`: the breakdown of the selected stack (list) or the open one (detail). A figure
    /// the column already has shows at once; one the column is still estimating arrives
    /// with it; otherwise the stack is estimated on its own.
    pub(crate) fn open_cost(&mut self) -> Vec<Effect> {
        let stack = match self.screen() {
            Screen::Detail => self.views.detail().map(|d| d.stack.clone()),
            _ => self.stacks.selected().cloned(),
        };
        let Some(stack) = stack else {
            return Vec::new();
        };
        let mut st = CostState {
            stack,
            load: Loadable::default(),
            cost: None,
            list: ListState::default(),
        };
        let mut effects = Vec::new();
        if let Some(c) = self.stacks.costs.get(&st.stack.id) {
            st.set(Some(c.clone()));
        } else if self.stacks.cost_load.is_loading()
            && self.stacks.stacks.iter().any(|s| s.id == st.stack.id)
        {
            // Wait for the column's estimate: the same request, still in flight.
            st.load = self.stacks.cost_load.clone();
        } else {
            let settings = self.estimate_one();
            effects = st.start(settings, &mut self.requests);
        }
        self.views.open(st);
        effects
    }

    /// The settings of one stack's estimate for the `$` screen (`None` before the AWS
    /// context is ready).
    fn estimate_one(&self) -> Option<Result<CostSettings, String>> {
        self.connection.is_some().then(|| self.cost_settings())
    }

    /// A bound command on the `$` screen.
    pub(crate) fn cost_command(&mut self, cmd: Command) -> Vec<Effect> {
        let page = self.page_rows.max(1);
        match cmd {
            Command::Back => {
                self.views.pop();
                Vec::new()
            }
            Command::Refresh => {
                let settings = self.estimate_one();
                self.views
                    .cost_mut()
                    .map(|st| st.start(settings, &mut self.requests))
                    .unwrap_or_default()
            }
            other => {
                if let Some(c) = self.views.cost_mut() {
                    c.list.navigate(other, page);
                }
                Vec::new()
            }
        }
    }

    /// Asks what the planned stacks cost, for the plan's "saves about" lines.
    pub(crate) fn load_teardown_costs(&mut self) -> Vec<Effect> {
        let Some(stacks) = self
            .views
            .teardown()
            .map(|t| t.plans.iter().map(|p| p.stack.clone()).collect::<Vec<_>>())
        else {
            return Vec::new();
        };
        let settings = self.cost_settings();
        let Some(t) = self.views.teardown_mut() else {
            return Vec::new();
        };
        let effects = match settings {
            Ok(settings) => {
                let request_id = self.requests.issue();
                t.cost_request = request_id;
                t.savings = Savings::Loading;
                vec![estimate(request_id, stacks, settings)]
            }
            Err(e) => {
                t.savings = Savings::Failed(e);
                Vec::new()
            }
        };
        let n = t.plan_lines();
        t.list.set_len(n);
        effects
    }
}

/// The estimate of `stacks` asked by request `request_id`.
fn estimate(request_id: u64, stacks: Vec<Stack>, settings: CostSettings) -> Effect {
    Effect::Cost(CostEffect::Estimate {
        request_id,
        stacks,
        settings: Box::new(settings),
    })
}

/// An estimate's answer.
#[derive(Debug)]
pub enum CostMsg {
    Estimated {
        request_id: u64,
        result: Result<Vec<StackCost>, String>,
    },
}

/// Estimate what `stacks` cost a month (one batched estimate, whatever their number).
#[derive(Debug, Clone)]
pub enum CostEffect {
    Estimate {
        request_id: u64,
        stacks: Vec<Stack>,
        settings: Box<crate::domain::cost::CostSettings>,
    },
}

impl super::Work for CostEffect {
    /// Stacks of several profiles: each group is measured with its own context.
    fn scope(&self) -> Option<&crate::domain::stack::Scope> {
        None
    }
}

impl super::Update for CostMsg {
    fn update(self, app: &mut App) -> Vec<Effect> {
        let Self::Estimated { request_id, result } = self;
        app.costs_loaded(request_id, &result)
    }
}

impl super::ScreenState for CostState {
    fn command(app: &mut App, cmd: Command) -> Vec<Effect> {
        app.cost_command(cmd)
    }

    fn hints(_app: &App, _page: Screen) -> Vec<Command> {
        vec![
            Command::Refresh,
            Command::Back,
            Command::Help,
            Command::Quit,
        ]
    }
}

#[cfg(test)]
mod tests;
