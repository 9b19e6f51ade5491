//! What a teardown saves a month and what keeps costing after it, for the plan.

use crate::aws::cost::{self, CostSettings};
use crate::aws::teardown::StackPlan;
use crate::domain::cost::{Saving, money, plan_savings};
use crate::domain::sanitize::sanitize;

/// Each plan's saving, in plan order; `None` where the estimate could not be made (the
/// plan is shown anyway; the cause is in the log).
pub async fn savings(ctx: &super::Context, plans: &[StackPlan]) -> Vec<Option<Saving>> {
    let none = || vec![None; plans.len()];
    let Ok(prices) = ctx.config.cost.price_table() else {
        return none();
    };
    let settings = CostSettings {
        days: ctx.config.cost.days,
        prices,
        now: ctx.clock.now(),
    };
    let stacks: Vec<_> = plans.iter().map(|p| p.stack.clone()).collect();
    match Box::pin(cost::estimate(&ctx.aws, &stacks, &settings)).await {
        Ok(costs) => plan_savings(plans, &costs),
        Err(e) => {
            tracing::warn!(error = %e, "no cost estimate for the teardown plan");
            none()
        }
    }
}

/// One line per stack: "saves about $X/month", then what keeps costing.
pub fn savings_text(plans: &[StackPlan], savings: &[Option<Saving>]) -> String {
    let mut s = String::new();
    for (p, saving) in plans.iter().zip(savings) {
        let Some(sv) = saving else { continue };
        s.push_str(&format!(
            "{}: saves about {}/month",
            sanitize(&p.stack.name),
            money(sv.saves_monthly_usd, &sv.currency)
        ));
        if sv.keeps_costing.is_empty() {
            s.push_str("; nothing keeps costing afterwards\n");
            continue;
        }
        let kept: Vec<String> = sv
            .keeps_costing
            .iter()
            .map(|i| {
                format!(
                    "{} ({} {})",
                    sanitize(&i.resource),
                    i.usage_type,
                    money(i.monthly_usd, &sv.currency)
                )
            })
            .collect();
        s.push_str(&format!(
            "; keeps costing about {}/month afterwards: {}\n",
            money(sv.keeps_monthly_usd, &sv.currency),
            kept.join(", ")
        ));
    }
    s
}
