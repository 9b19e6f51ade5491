//! `protoctl stacks`: the prototype stacks discovered by tag, with their activity and
//! whether they are abandoned or protected.

use std::process::ExitCode;

use serde::Serialize;

use super::Context;
use super::output::{print_json, print_table};
use crate::aws::accounts::{self, Located};
use crate::aws::activity;
use crate::cli::OutputFormat;
use crate::domain::abandon::Assessment;
use crate::domain::time::{rfc3339, short_age};

/// One element of `stacks --output json`: the stack's fields, where it lives and its
/// assessment's.
#[derive(Serialize)]
struct Row<'a> {
    #[serde(flatten)]
    located: &'a Located,
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

/// The shelf with each stack's assessment: every profile and region of `[discovery]`,
/// each group of stacks assessed in its own account and region.
pub async fn assessed_shelf(ctx: &Context) -> anyhow::Result<Vec<(Located, Assessment)>> {
    let places = ctx.places().await?;
    let shelf =
        accounts::discover_all(&places, &ctx.config.discovery.regions, &ctx.filters).await?;
    let now = ctx.clock.now();
    let policy = activity::policy_of(&ctx.config.abandon);
    let mut groups: Vec<Vec<Located>> = Vec::new();
    for l in shelf {
        let same =
            |g: &Vec<Located>| g[0].profile == l.profile && g[0].stack.region == l.stack.region;
        match groups.iter_mut().find(|g| same(g)) {
            Some(g) => g.push(l),
            None => groups.push(vec![l]),
        }
    }
    let assessed = futures::future::join_all(groups.into_iter().map(|group| {
        let policy = &policy;
        async move {
            let gctx = group[0].ctx.clone();
            let stacks = group.iter().map(|l| l.stack.clone()).collect();
            let mut assessed = activity::assess_all(&gctx, stacks, policy, now).await;
            crate::aws::teardown::mark_blocked(&gctx, &mut assessed, now, 4).await;
            group
                .into_iter()
                .zip(assessed)
                .map(|(l, (_, a))| (l, a))
                .collect::<Vec<_>>()
        }
    }))
    .await;
    let mut all: Vec<(Located, Assessment)> = assessed.into_iter().flatten().collect();
    all.sort_by(|(a, _), (b, _)| {
        (&a.stack.name, &a.account, &a.stack.region).cmp(&(
            &b.stack.name,
            &b.account,
            &b.stack.region,
        ))
    });
    Ok(all)
}

/// Lists the discovered stacks; with `no_activity`, only what DescribeStacks says.
pub async fn run(ctx: &Context, no_activity: bool) -> anyhow::Result<ExitCode> {
    let now = ctx.clock.now();
    if no_activity {
        let places = ctx.places().await?;
        let mut shelf =
            accounts::discover_all(&places, &ctx.config.discovery.regions, &ctx.filters).await?;
        shelf.sort_by(|a, b| {
            (&a.stack.name, &a.account, &a.stack.region).cmp(&(
                &b.stack.name,
                &b.account,
                &b.stack.region,
            ))
        });
        return print_plain(ctx, &shelf, now);
    }
    let assessed = assessed_shelf(ctx).await?;
    match ctx.output {
        OutputFormat::Json => {
            let rows: Vec<Row> = assessed
                .iter()
                .map(|(located, assessment)| Row {
                    located,
                    assessment,
                })
                .collect();
            print_json(&rows)?;
        }
        OutputFormat::Table => {
            let rows: Vec<Vec<String>> = assessed
                .iter()
                .map(|(l, a)| {
                    let s = &l.stack;
                    vec![
                        s.name.clone(),
                        l.account_label(),
                        s.region.clone(),
                        s.status.clone(),
                        s.nested_stacks.to_string(),
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
                    "ACCOUNT",
                    "REGION",
                    "STATUS",
                    "NESTED",
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

/// The list without activity: JSON of the stacks' own fields and where they live, or the
/// table without the IDLE and ABANDONED/PROTECTED columns.
fn print_plain(
    ctx: &Context,
    shelf: &[Located],
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<ExitCode> {
    match ctx.output {
        OutputFormat::Json => print_json(&shelf)?,
        OutputFormat::Table => {
            let rows: Vec<Vec<String>> = shelf
                .iter()
                .map(|l| {
                    let s = &l.stack;
                    vec![
                        s.name.clone(),
                        l.account_label(),
                        s.region.clone(),
                        s.status.clone(),
                        s.nested_stacks.to_string(),
                        short_age(s.created, now),
                        s.last_updated.map_or_else(|| "-".into(), rfc3339),
                        tags_cell(s),
                    ]
                })
                .collect();
            print_table(
                &[
                    "NAME",
                    "ACCOUNT",
                    "REGION",
                    "STATUS",
                    "NESTED",
                    "AGE",
                    "LAST UPDATED",
                    "TAGS",
                ],
                &rows,
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn tags_cell(s: &crate::domain::stack::Stack) -> String {
    s.tags
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}
