//! Actual cost from Cost Explorer, grouped by the `aws:cloudformation:stack-name` cost
//! allocation tag and by service, turned into the same `StackCost` the estimate gives.

use std::collections::BTreeMap;

use super::{CostItem, DAYS_PER_MONTH, StackCost};
use crate::domain::stack::Stack;

/// The cost allocation tag CloudFormation puts on what a stack creates.
pub const STACK_TAG: &str = "aws:cloudformation:stack-name";

/// How to activate the tag, for notes and errors.
pub const ACTIVATE: &str = "activate the cost allocation tag aws:cloudformation:stack-name in \
     the Billing console (Cost allocation tags > AWS-generated cost allocation tags), or run \
     `aws ce update-cost-allocation-tags-status --cost-allocation-tags-status \
     TagKey=aws:cloudformation:stack-name,Status=Active`; costs show under it from about a day later";

/// What every explorer figure carries.
pub const NOTE: &str = "actual unblended cost from Cost Explorer (GetCostAndUsage, $0.01 a \
     request; needs the cost allocation tag aws:cloudformation:stack-name activated; lags about \
     a day); stacks of one name in several regions or accounts share a figure";

/// One group of a GetCostAndUsage answer: a tag value, a service, an amount.
#[derive(Debug, Clone, PartialEq)]
pub struct ExplorerRow {
    /// The tag's value: the stack name (empty: cost without the tag).
    pub stack: String,
    pub service: String,
    pub amount: f64,
    pub unit: String,
}

/// The stack name of a group key (`aws:cloudformation:stack-name$orders-dev`), `None` for
/// a key of another kind.
pub fn stack_of_key(key: &str) -> Option<&str> {
    key.strip_prefix(STACK_TAG)?.strip_prefix('$')
}

/// Each stack's actual cost over the window of `days`, scaled to a 30-day month, with a line
/// per service. `window` names the dates (`2026-11-02..2026-12-02`).
pub fn explorer_costs(
    stacks: &[Stack],
    rows: &[ExplorerRow],
    days: u32,
    window: &str,
) -> Vec<StackCost> {
    let days = days.max(1);
    let scale = DAYS_PER_MONTH / f64::from(days);
    let tagged = rows.iter().any(|r| !r.stack.is_empty() && r.amount != 0.0);
    let mut by_stack: BTreeMap<&str, BTreeMap<&str, (f64, &str)>> = BTreeMap::new();
    for r in rows {
        let e = by_stack
            .entry(r.stack.as_str())
            .or_default()
            .entry(r.service.as_str())
            .or_insert((0.0, r.unit.as_str()));
        e.0 += r.amount;
    }
    stacks
        .iter()
        .map(|s| {
            let services = by_stack.get(s.name.as_str());
            let currency = services
                .and_then(|m| m.values().next())
                .map_or("USD", |(_, unit)| *unit)
                .to_string();
            let breakdown: Vec<CostItem> = services
                .into_iter()
                .flatten()
                .filter(|(_, (amount, _))| *amount != 0.0)
                .map(|(service, (amount, unit))| CostItem {
                    service: (*service).to_string(),
                    resource: s.name.clone(),
                    logical_id: None,
                    usage_type: "actual cost".into(),
                    quantity: *amount,
                    unit: format!("{unit} in {days} days"),
                    unit_price: scale,
                    monthly_usd: amount * scale,
                    fixed: false,
                    source: format!(
                        "Cost Explorer GetCostAndUsage UnblendedCost, {STACK_TAG}={}, {window}",
                        s.name
                    ),
                    price_source: "Cost Explorer".into(),
                    price_read: window.to_string(),
                })
                .collect();
            let mut notes = vec![NOTE.to_string()];
            if breakdown.is_empty() {
                notes.push(if tagged {
                    format!("no cost under the tag for this stack in the last {days} days")
                } else {
                    format!("no cost carries the tag in the last {days} days: {ACTIVATE}")
                });
            }
            StackCost {
                stack: s.name.clone(),
                stack_id: s.id.clone(),
                region: s.region.clone(),
                currency,
                days,
                monthly_usd: breakdown.iter().map(|i| i.monthly_usd).sum::<f64>() + 0.0,
                fixed_usd: 0.0,
                breakdown,
                unpriced: Vec::new(),
                notes,
            }
        })
        .collect()
}

/// A Cost Explorer error with what to do about it: activating the tag or the service.
pub fn explain_error(code: Option<&str>, message: &str) -> String {
    let lower = message.to_lowercase();
    let hint = if code == Some("DataUnavailableException")
        || lower.contains("tag")
        || lower.contains("not available")
    {
        format!("; {ACTIVATE}")
    } else if lower.contains("not enabled") || lower.contains("opt") {
        "; open Cost Explorer once in the Billing console to enable it (its data is ready about a day later)".into()
    } else if code == Some("AccessDeniedException") {
        "; the credentials need ce:GetCostAndUsage (docs/iam.md)".into()
    } else {
        String::new()
    };
    format!("{message}{hint}")
}

#[cfg(test)]
#[allow(clippy::float_cmp)] // the figures are exact: amounts × 30 / days
mod tests {
    use super::*;
    use crate::domain::cost::tests::stack_named;

    fn row(stack: &str, service: &str, amount: f64) -> ExplorerRow {
        ExplorerRow {
            stack: stack.into(),
            service: service.into(),
            amount,
            unit: "USD".into(),
        }
    }

    #[test]
    fn groups_become_a_line_per_service_scaled_to_a_month() {
        assert_eq!(
            stack_of_key("aws:cloudformation:stack-name$orders-dev"),
            Some("orders-dev")
        );
        assert_eq!(stack_of_key("aws:cloudformation:stack-name$"), Some(""));
        assert_eq!(stack_of_key("AWS Lambda"), None);
        let stacks = [stack_named("orders-dev"), stack_named("idle-dev")];
        let rows = [
            row("orders-dev", "AWS Lambda", 1.5),
            row("orders-dev", "AWS Lambda", 0.5),
            row("orders-dev", "Amazon DynamoDB", 3.0),
            row("", "Amazon EC2", 100.0),
        ];
        let costs = explorer_costs(&stacks, &rows, 15, "2026-11-17..2026-12-02");
        let c = &costs[0];
        assert_eq!(c.breakdown.len(), 2);
        assert_eq!(c.breakdown[0].quantity, 2.0);
        assert_eq!(c.breakdown[0].unit, "USD in 15 days");
        assert_eq!(c.breakdown[0].monthly_usd, 4.0);
        assert_eq!(c.monthly_usd, 10.0);
        for i in &c.breakdown {
            assert_eq!(i.monthly_usd, i.quantity * i.unit_price);
        }
        assert!(c.notes[0].contains("$0.01 a request"));
        assert_eq!(costs[1].monthly_usd, 0.0);
        assert!(costs[1].notes[1].starts_with("no cost under the tag"));
    }

    #[test]
    fn no_tagged_cost_says_how_to_activate_the_tag() {
        let stacks = [stack_named("orders-dev")];
        let costs = explorer_costs(&stacks, &[row("", "Amazon EC2", 9.0)], 30, "w");
        assert!(costs[0].notes[1].contains("update-cost-allocation-tags-status"));
        let e = explain_error(
            Some("DataUnavailableException"),
            "GetCostAndUsage: DataUnavailableException: Data is not available.",
        );
        assert!(e.contains("Cost allocation tags"), "{e}");
        let e = explain_error(Some("AccessDeniedException"), "GetCostAndUsage: denied");
        assert!(e.contains("ce:GetCostAndUsage"), "{e}");
    }
}
