//! `protoctl query STACK 'QUERY'`: a Logs Insights query over every log group of a stack
//! (split by 50 groups and merged), one JSON object a row or a table of the query's fields.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;
use tokio_util::sync::CancellationToken;

use super::output::format_table;
use super::{Context, OutputFormat};
use crate::aws::insights::{self, QueryOutcome, RunOptions};
use crate::aws::{cloudformation, logs};
use crate::domain::logbuf::parse_since;
use crate::domain::queries::{self, SavedQuery, row_json};
use crate::domain::sanitize::sanitize;

/// Characters of a cell in table output (JSON is never cut).
const TABLE_CELL: usize = 120;

/// The options of `protoctl query`.
#[derive(Debug, Clone, clap::Args)]
pub struct QueryArgs {
    /// Stack name or id
    pub stack: String,
    /// The Logs Insights query, e.g. 'fields @timestamp, @message | sort @timestamp desc | limit 20'
    #[arg(conflicts_with = "saved")]
    pub query: Option<String>,
    /// Run a saved query by name (built-in or from [queries] in the config)
    #[arg(long, value_name = "NAME")]
    pub saved: Option<String>,
    /// List the saved queries for this stack and exit
    #[arg(long, conflicts_with_all = ["query", "saved"])]
    pub list_saved: bool,
    /// Start: an age (15m, 1h, 7d) or a time; default [queries] since
    #[arg(long, value_name = "DUR|TIME")]
    pub since: Option<String>,
    /// End (default: now)
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Only this function's log group (logical id, physical name or short name)
    #[arg(long, value_name = "F")]
    pub function: Option<String>,
}

/// Runs the query and prints its rows.
pub async fn run(ctx: &Context, args: &QueryArgs) -> anyhow::Result<ExitCode> {
    let now = ctx.clock.now();
    let from = match &args.since {
        Some(s) => parse_since(s, now).map_err(|e| anyhow::anyhow!("--since: {e}"))?,
        None => {
            now - chrono::Duration::from_std(ctx.config.queries.since)
                .unwrap_or(chrono::Duration::hours(1))
        }
    };
    let to = match &args.until {
        Some(u) => parse_since(u, now).map_err(|e| anyhow::anyhow!("--until: {e}"))?,
        None => now,
    };
    if to < from {
        eprintln!("protoctl: --until is before --since: nothing to query");
        return Ok(ExitCode::from(2));
    }
    let stack = cloudformation::resolve(&ctx.aws, &args.stack, &ctx.filters).await?;
    let saved = queries::for_stack(&stack.name, &ctx.config.queries.saved);
    if args.list_saved {
        print_saved(ctx.output, &saved)?;
        return Ok(ExitCode::SUCCESS);
    }
    let text = match (&args.query, &args.saved) {
        (Some(q), None) if !q.trim().is_empty() => q.clone(),
        (None, Some(name)) => {
            let Some(q) = saved.iter().find(|q| &q.name == name) else {
                eprintln!(
                    "protoctl: no saved query {:?} for {}: known are {}",
                    sanitize(name),
                    sanitize(&stack.name),
                    saved
                        .iter()
                        .map(|q| q.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                return Ok(ExitCode::from(2));
            };
            q.text.clone()
        }
        _ => {
            eprintln!("protoctl: give a query ('fields @message | limit 20') or --saved NAME");
            return Ok(ExitCode::from(2));
        }
    };
    let resources = cloudformation::resources(&ctx.aws, &stack.id).await?;
    let groups =
        logs::groups_for(&ctx.aws, &stack.name, &resources, args.function.as_deref()).await?;
    if groups.is_empty() {
        anyhow::bail!(
            "stack {:?} has no log groups yet (a function's group appears on its first invocation)",
            sanitize(&stack.name)
        );
    }
    let names: Vec<String> = groups.iter().map(|g| g.name.clone()).collect();
    let cancel = CancellationToken::new();
    let watch = cancel.clone();
    let signal = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            watch.cancel();
        }
    });
    let result = insights::run(
        &ctx.aws,
        &names,
        &text,
        (from.timestamp_millis(), to.timestamp_millis()),
        &RunOptions::default(),
        &cancel,
        None,
    )
    .await;
    signal.abort();
    let outcome = result?;
    print_rows(ctx.output, &outcome)?;
    if outcome.approximate {
        eprintln!(
            "protoctl: the stack has more than 50 log groups and this stats query's aggregates cannot be combined across queries: rows are listed per query"
        );
    }
    if ctx.output == OutputFormat::Table {
        eprintln!(
            "{} rows; {} records scanned, {} matched; {} quer{}",
            outcome.rows.len(),
            outcome.records_scanned,
            outcome.records_matched,
            outcome.queries,
            if outcome.queries == 1 { "y" } else { "ies" }
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn print_rows(output: OutputFormat, outcome: &QueryOutcome) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match output {
        OutputFormat::Json => {
            for row in &outcome.rows {
                let line = serde_json::to_string(&row_json(row)).context("encoding a row")?;
                writeln!(out, "{line}")?;
            }
        }
        OutputFormat::Table => {
            let headers: Vec<&str> = outcome.columns.iter().map(String::as_str).collect();
            let rows: Vec<Vec<String>> = outcome
                .rows
                .iter()
                .map(|r| {
                    outcome
                        .columns
                        .iter()
                        .map(|c| cell(insights::plan::value(r, c).unwrap_or("")))
                        .collect()
                })
                .collect();
            out.write_all(format_table(&headers, &rows).as_bytes())?;
        }
    }
    out.flush()?;
    Ok(())
}

fn print_saved(output: OutputFormat, saved: &[SavedQuery]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match output {
        OutputFormat::Json => {
            for q in saved {
                let v = serde_json::json!({
                    "name": q.name,
                    "description": q.description,
                    "builtin": q.builtin,
                    "text": q.text,
                });
                writeln!(out, "{v}")?;
            }
        }
        OutputFormat::Table => {
            let rows: Vec<Vec<String>> = saved
                .iter()
                .map(|q| {
                    vec![
                        q.name.clone(),
                        if q.builtin { "built-in" } else { "config" }.to_string(),
                        q.description.clone(),
                    ]
                })
                .collect();
            out.write_all(format_table(&["NAME", "FROM", "DESCRIPTION"], &rows).as_bytes())?;
        }
    }
    Ok(())
}

/// A cell on one line, cut to [`TABLE_CELL`] characters.
fn cell(v: &str) -> String {
    let one = v.trim_end().replace(['\n', '\r', '\t'], " ");
    match one.char_indices().nth(TABLE_CELL) {
        Some((i, _)) => format!("{}…", &one[..i]),
        None => one,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_one_line_and_cut() {
        assert_eq!(cell("a\nb\tc\n"), "a b c");
        assert_eq!(cell(&"x".repeat(200)).chars().count(), TABLE_CELL + 1);
    }
}
