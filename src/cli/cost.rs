//! `protoctl cost [STACK...] [--days 30] [--cost-source usage|explorer]`: what each
//! prototype costs a month, with its breakdown.

use std::process::ExitCode;

use clap::Args;

use super::Context;
use super::output::{format_table, print_json};
use crate::aws::cloudformation;
use crate::aws::cost::{self, CostSettings};
use crate::aws::cost_explorer;
use crate::cli::OutputFormat;
use crate::config::CostSource;
use crate::domain::cost::explorer;
use crate::domain::cost::{StackCost, money, quantity_text, unit_price_text};
use crate::domain::sanitize::sanitize;

/// The arguments of `protoctl cost`.
#[derive(Debug, Clone, Args)]
pub struct CostArgs {
    /// Stack names or ids (default: every prototype stack)
    #[arg(value_name = "STACK")]
    pub stacks: Vec<String>,
    /// Days of usage to measure, scaled to a 30-day month (default: [cost] days, 30)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=455))]
    pub days: Option<u32>,
    /// usage: metrics and sizes times the bundled list prices; explorer: Cost Explorer
    #[arg(long, value_enum, value_name = "SOURCE")]
    pub cost_source: Option<CostSource>,
}

/// Prints what each chosen stack costs a month.
pub async fn run(ctx: &Context, args: &CostArgs) -> anyhow::Result<ExitCode> {
    let explorer = args.cost_source.unwrap_or(ctx.config.cost.source) == CostSource::Explorer;
    let days = args.days.unwrap_or(ctx.config.cost.days);
    let stacks = if args.stacks.is_empty() {
        cloudformation::discover_in_regions(&ctx.aws, &ctx.config.discovery.regions, &ctx.filters)
            .await?
    } else {
        let mut out = Vec::new();
        for name in &args.stacks {
            let s = cloudformation::resolve(&ctx.aws, name, &ctx.filters).await?;
            if !out
                .iter()
                .any(|o: &crate::domain::stack::Stack| o.id == s.id)
            {
                out.push(s);
            }
        }
        out
    };
    let costs = if explorer {
        cost_explorer::actual(&ctx.aws, &stacks, days, ctx.clock.now()).await?
    } else {
        let settings = CostSettings {
            days,
            prices: ctx.config.cost.price_table()?,
            now: ctx.clock.now(),
        };
        cost::estimate(&ctx.aws, &stacks, &settings).await?
    };
    match ctx.output {
        OutputFormat::Json => print_json(&costs)?,
        OutputFormat::Table if explorer => {
            // The note every figure carries, said once.
            let mut once = costs.clone();
            for c in &mut once {
                c.notes.retain(|n| n != explorer::NOTE);
            }
            print!("{}", costs_text(&once));
            println!("note: {}", explorer::NOTE);
        }
        OutputFormat::Table => print!("{}", costs_text(&costs)),
    }
    Ok(ExitCode::SUCCESS)
}

/// The estimates as text for people: a line per stack, then its breakdown.
pub fn costs_text(costs: &[StackCost]) -> String {
    let mut s = String::new();
    for c in costs {
        s.push_str(&format!(
            "{} ({}): about {}/month, {} of it fixed (usage over {} days; list prices, free tiers not taken off)\n",
            sanitize(&c.stack),
            sanitize(&c.region),
            money(c.monthly_usd, &c.currency),
            money(c.fixed_usd, &c.currency),
            c.days
        ));
        if !c.breakdown.is_empty() {
            let rows: Vec<Vec<String>> = c
                .breakdown
                .iter()
                .map(|i| {
                    vec![
                        sanitize(&i.service).into_owned(),
                        sanitize(&i.resource).into_owned(),
                        format!("{}{}", i.usage_type, if i.fixed { " (fixed)" } else { "" }),
                        format!("{} {}", quantity_text(i.quantity), sanitize(&i.unit)),
                        format!("{} /{}", unit_price_text(i.unit_price), sanitize(&i.unit)),
                        money(i.monthly_usd, &c.currency),
                        sanitize(&i.source).into_owned(),
                    ]
                })
                .collect();
            let table = format_table(
                &[
                    "SERVICE",
                    "RESOURCE",
                    "USAGE",
                    "QUANTITY",
                    "UNIT PRICE",
                    "MONTHLY",
                    "FROM",
                ],
                &rows,
            );
            for line in table.lines() {
                s.push_str("  ");
                s.push_str(line);
                s.push('\n');
            }
        }
        for u in &c.unpriced {
            s.push_str(&format!(
                "  not priced: {} ({}): {}\n",
                sanitize(&u.logical_id),
                sanitize(&u.resource_type),
                u.why
            ));
        }
        for n in &c.notes {
            s.push_str(&format!("  note: {}\n", sanitize(n)));
        }
    }
    if costs.len() > 1 {
        let total: f64 = costs.iter().map(|c| c.monthly_usd).sum();
        let fixed: f64 = costs.iter().map(|c| c.fixed_usd).sum();
        let currency = costs.first().map_or("USD", |c| c.currency.as_str());
        s.push_str(&format!(
            "total: about {}/month over {} stacks, {} of it fixed\n",
            money(total, currency),
            costs.len(),
            money(fixed, currency)
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use crate::domain::cost::{money, quantity_text as quantity, unit_price_text as unit_price};

    #[test]
    fn numbers_read_well() {
        assert_eq!(quantity(1_000_000.0), "1000000");
        assert_eq!(quantity(0.125), "0.125");
        assert_eq!(unit_price(0.000_000_2), "0.0000002");
        assert_eq!(unit_price(0.045), "0.045");
        assert_eq!(quantity(0.000_003_166_5), "0.000003167");
        assert_eq!(quantity(0.000_015_408_7), "0.00001541");
        assert_eq!(quantity(12.5), "12.5");
        assert_eq!(quantity(0.000_000_054_02), "5.402e-8");
        assert_eq!(quantity(0.0), "0");
        assert_eq!(money(-0.0, "USD"), "$0.00");
        assert_eq!(money(0.000_000_7, "USD"), "<$0.0001");
        assert_eq!(money(0.0042, "EUR"), "0.0042 EUR");
    }
}
