//! `--cost-source explorer`: actual cost from Cost Explorer's GetCostAndUsage, grouped by
//! the `aws:cloudformation:stack-name` cost allocation tag and by service. One request per
//! page of groups for the whole shelf (each request costs $0.01).

use chrono::{DateTime, Duration, Utc};

use super::{AwsContext, AwsError, ErrorKind};
use crate::domain::cost::StackCost;
use crate::domain::cost::explorer::{
    ExplorerRow, STACK_TAG, explain_error, explorer_costs, stack_of_key,
};
use crate::domain::stack::Stack;

/// GetCostAndUsage pages read at most (a page holds many groups; a shelf needs one or two).
pub const MAX_PAGES: usize = 20;

/// The metric asked for: what the bill shows before discounts are shared out.
pub const METRIC: &str = "UnblendedCost";

/// Each stack's actual cost over the last `days` days (to today, exclusive), scaled to a
/// 30-day month.
pub async fn actual(
    ctx: &AwsContext,
    stacks: &[Stack],
    days: u32,
    now: DateTime<Utc>,
) -> Result<Vec<StackCost>, AwsError> {
    use aws_sdk_costexplorer::types::{
        DateInterval, Granularity, GroupDefinition, GroupDefinitionType,
    };
    let end = now.date_naive();
    let start = end - Duration::days(i64::from(days.max(1)));
    let window = format!("{start}..{end}");
    let interval = DateInterval::builder()
        .start(start.to_string())
        .end(end.to_string())
        .build()
        .map_err(|e| AwsError::new(ErrorKind::Invalid, format!("GetCostAndUsage: {e}")))?;
    let client = ctx.costexplorer();
    let mut rows = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let out = client
            .get_cost_and_usage()
            .time_period(interval.clone())
            .granularity(Granularity::Monthly)
            .metrics(METRIC)
            .group_by(
                GroupDefinition::builder()
                    .r#type(GroupDefinitionType::Tag)
                    .key(STACK_TAG)
                    .build(),
            )
            .group_by(
                GroupDefinition::builder()
                    .r#type(GroupDefinitionType::Dimension)
                    .key("SERVICE")
                    .build(),
            )
            .set_next_page_token(token.take())
            .send()
            .await
            .map_err(|e| {
                let err = AwsError::from_sdk("GetCostAndUsage", e);
                AwsError {
                    message: explain_error(err.code.as_deref(), &err.message),
                    ..err
                }
            })?;
        for period in out.results_by_time() {
            for g in period.groups() {
                let keys = g.keys();
                let Some(stack) = keys.iter().find_map(|k| stack_of_key(k)) else {
                    continue;
                };
                let service = keys
                    .iter()
                    .find(|k| stack_of_key(k).is_none())
                    .cloned()
                    .unwrap_or_default();
                let Some(m) = g.metrics().and_then(|m| m.get(METRIC)) else {
                    continue;
                };
                rows.push(ExplorerRow {
                    stack: stack.to_string(),
                    service,
                    amount: m.amount().and_then(|a| a.parse().ok()).unwrap_or(0.0),
                    unit: m.unit().unwrap_or("USD").to_string(),
                });
            }
        }
        token = out.next_page_token().map(ToString::to_string);
        if token.is_none() {
            break;
        }
    }
    Ok(explorer_costs(stacks, &rows, days, &window))
}
