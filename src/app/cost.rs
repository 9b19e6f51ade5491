//! What stacks cost, in the console: the `$/MO` column of the stack list (one estimate for
//! every listed stack, asked after the list is drawn), the `$` breakdown of one stack, and
//! what a teardown saves. Every estimate is one `Effect::Cost(CostEffect::Estimate)`; its answer comes back as
//! `Action::Cost(CostMsg::Estimated)` and goes to whoever holds its request id.

use super::keymap::Command;
use super::list::ListState;
use super::stacks::LoadState;
use super::{App, Effect, Level, Screen};
use crate::domain::cost::{PriceTable, Saving, StackCost, money, plan_savings};
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
    pub request_id: u64,
    pub load: LoadState,
    pub cost: Option<StackCost>,
    /// Cursor over the breakdown lines.
    pub list: ListState,
}

impl CostState {
    /// Waits for the estimate just asked for (or shows why it could not be asked).
    fn start(&mut self, estimate: Option<Result<(u64, Effect), String>>) -> Vec<Effect> {
        match estimate {
            Some(Ok((request_id, effect))) => {
                self.request_id = request_id;
                self.load = LoadState::Loading;
                vec![effect]
            }
            Some(Err(e)) => {
                self.load = LoadState::Failed(e);
                Vec::new()
            }
            None => Vec::new(),
        }
    }

    fn set(&mut self, cost: Option<StackCost>) {
        self.list
            .set_len(cost.as_ref().map_or(0, |c| c.breakdown.len()));
        self.cost = cost;
        self.load = LoadState::Loaded;
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
        let stacks = self.stacks.stacks.clone();
        match self.cost_effect(stacks) {
            Ok((request_id, effect)) => {
                self.stacks.cost_request = request_id;
                self.stacks.cost_load = LoadState::Loading;
                vec![effect]
            }
            Err(e) => {
                self.stacks.cost_load = LoadState::Failed(e.clone());
                self.notify(Level::Error, format!("$/MO: {e}"));
                Vec::new()
            }
        }
    }

    /// An estimate of `stacks` with a fresh request id.
    fn cost_effect(&mut self, stacks: Vec<Stack>) -> Result<(u64, Effect), String> {
        let prices = self.settings.cost.prices.clone()?;
        let request_id = self.request_id();
        let settings = crate::domain::cost::CostSettings {
            days: self.settings.cost.days,
            prices,
            now: self.clock.now(),
        };
        Ok((
            request_id,
            Effect::Cost(CostEffect::Estimate {
                request_id,
                stacks,
                settings: Box::new(settings),
            }),
        ))
    }

    /// An estimate arrived: to the column, the `$` screen and the teardown plan that asked.
    pub(crate) fn costs_loaded(
        &mut self,
        request_id: u64,
        result: &Result<Vec<StackCost>, String>,
    ) -> Vec<Effect> {
        if request_id == self.stacks.cost_request {
            match result {
                Ok(costs) => {
                    for c in costs {
                        self.stacks.costs.insert(c.stack_id.clone(), c.clone());
                    }
                    self.stacks.cost_load = LoadState::Loaded;
                }
                Err(e) => {
                    self.stacks.cost_load = LoadState::Failed(e.clone());
                    self.notify(Level::Error, format!("$/MO: {e}"));
                }
            }
            let now = self.clock.now();
            self.stacks.refilter(now);
        }
        if let Some(c) = self.views.cost_mut()
            && c.request_id == request_id
        {
            match result {
                Ok(costs) => {
                    let mine = costs.iter().find(|x| x.stack_id == c.stack.id).cloned();
                    c.set(mine);
                }
                Err(e) => {
                    c.load = LoadState::Failed(e.clone());
                    if request_id != self.stacks.cost_request {
                        self.notify(Level::Error, e.clone());
                    }
                }
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
            request_id: 0,
            load: LoadState::Loading,
            cost: None,
            list: ListState::default(),
        };
        let mut effects = Vec::new();
        if let Some(c) = self.stacks.costs.get(&st.stack.id) {
            st.set(Some(c.clone()));
        } else if self.stacks.cost_load == LoadState::Loading
            && self.stacks.stacks.iter().any(|s| s.id == st.stack.id)
        {
            st.request_id = self.stacks.cost_request;
        } else {
            let estimate = self.estimate_one(st.stack.clone());
            effects = st.start(estimate);
        }
        self.views.open(st);
        effects
    }

    /// The estimate of one stack for the `$` screen (`None` before the AWS context is ready).
    fn estimate_one(&mut self, stack: Stack) -> Option<Result<(u64, Effect), String>> {
        self.connection
            .is_some()
            .then(|| self.cost_effect(vec![stack]))
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
                let Some(stack) = self.views.cost().map(|c| c.stack.clone()) else {
                    return Vec::new();
                };
                let estimate = self.estimate_one(stack);
                self.views
                    .cost_mut()
                    .map(|st| st.start(estimate))
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
        let outcome = self.cost_effect(stacks);
        let Some(t) = self.views.teardown_mut() else {
            return Vec::new();
        };
        let effects = match outcome {
            Ok((request_id, effect)) => {
                t.cost_request = request_id;
                t.savings = Savings::Loading;
                vec![effect]
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
