//! `protoctl stacks`: the prototype stacks discovered by tag, with their activity and
//! whether they are abandoned or protected.

use std::process::ExitCode;

use serde::Serialize;

use super::Context;
use super::output::{print_json, print_table};
use crate::aws::{activity, cloudformation};
use crate::cli::OutputFormat;
use crate::domain::abandon::Assessment;
use crate::domain::stack::Stack;
use crate::domain::time::{rfc3339, short_age};

/// One element of `stacks --output json`: the stack's fields and its assessment's.
#[derive(Serialize)]
struct Row<'a> {
    #[serde(flatten)]
    stack: &'a Stack,
    #[serde(flatten)]
    assessment: &'a Assessment,
}

/// The ABANDONED/PROTECTED column: the verdict and its reasons.
pub fn verdict(a: &Assessment) -> String {
    if a.protected {
        format!("protected: {}", a.protection_reasons.join("; "))
    } else if a.abandoned {
        format!("ABANDONED: {}", a.abandoned_reasons.join("; "))
    } else {
        "-".to_string()
    }
}

/// Lists the discovered stacks; with `no_activity`, only what DescribeStacks says.
pub async fn run(ctx: &Context, no_activity: bool) -> anyhow::Result<ExitCode> {
    let stacks =
        cloudformation::discover_in_regions(&ctx.aws, &ctx.config.discovery.regions, &ctx.filters)
            .await?;
    let now = ctx.clock.now();
    if no_activity {
        return print_plain(ctx, &stacks, now);
    }
    let policy = activity::policy_of(&ctx.config.abandon);
    let mut assessed = activity::assess_all(&ctx.aws, stacks, &policy, now).await;
    crate::aws::teardown::mark_blocked(&ctx.aws, &mut assessed, now, 4).await;
    match ctx.output {
        OutputFormat::Json => {
            let rows: Vec<Row> = assessed
                .iter()
                .map(|(stack, assessment)| Row { stack, assessment })
                .collect();
            print_json(&rows)?;
        }
        OutputFormat::Table => {
            let rows: Vec<Vec<String>> = assessed
                .iter()
                .map(|(s, a)| {
                    vec![
                        s.name.clone(),
                        s.status.clone(),
                        short_age(s.created, now),
                        s.last_updated.map_or_else(|| "-".into(), rfc3339),
                        format!("{}d", a.idle_days),
                        verdict(a),
                        tags_cell(s),
                    ]
                })
                .collect();
            print_table(
                &[
                    "NAME",
                    "STATUS",
                    "AGE",
                    "LAST UPDATED",
                    "IDLE",
                    "ABANDONED/PROTECTED",
                    "TAGS",
                ],
                &rows,
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The list without activity: JSON of the stacks' own fields, or the table without the IDLE
/// and ABANDONED/PROTECTED columns.
fn print_plain(
    ctx: &Context,
    stacks: &[Stack],
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<ExitCode> {
    match ctx.output {
        OutputFormat::Json => print_json(&stacks)?,
        OutputFormat::Table => {
            let rows: Vec<Vec<String>> = stacks
                .iter()
                .map(|s| {
                    vec![
                        s.name.clone(),
                        s.status.clone(),
                        short_age(s.created, now),
                        s.last_updated.map_or_else(|| "-".into(), rfc3339),
                        tags_cell(s),
                    ]
                })
                .collect();
            print_table(&["NAME", "STATUS", "AGE", "LAST UPDATED", "TAGS"], &rows)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn tags_cell(s: &Stack) -> String {
    s.tags
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}
