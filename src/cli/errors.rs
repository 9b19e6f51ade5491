//! `protoctl errors STACK`: the errors of a stack's functions over a window, grouped by
//! fingerprint; `--fail-on-new SINCE` exits 3 when a group first appeared after SINCE.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::logs::{short_name, timestamp};
use super::output::format_table;
use super::{Context, OutputFormat};
use crate::aws::errors::{Via, stack_errors};
use crate::aws::{cloudformation, logs};
use crate::domain::errors::{ErrorGroup, sparkline as spark};
use crate::domain::logbuf::{HARD_CAP, parse_since};
use crate::domain::sanitize::sanitize;
use crate::domain::time::short_age;

/// Exit code when `--fail-on-new` finds a new group.
pub const EXIT_NEW_ERRORS: u8 = 3;

/// Where the error events come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ViaArg {
    /// Insights on real AWS for windows over 6 hours, else reading the events.
    Auto,
    /// FilterLogEvents: every event of every group, detected here.
    Events,
    /// One Logs Insights query per 50 groups for the lines that may be errors.
    Insights,
}

impl From<ViaArg> for Via {
    fn from(v: ViaArg) -> Self {
        match v {
            ViaArg::Auto => Self::Auto,
            ViaArg::Events => Self::Events,
            ViaArg::Insights => Self::Insights,
        }
    }
}

/// The options of `protoctl errors`.
#[derive(Debug, Clone, clap::Args)]
pub struct ErrorsArgs {
    /// Stack name or id
    pub stack: String,
    /// Start of the window: an age (24h, 7d) or a time (RFC3339, YYYY-MM-DD)
    #[arg(long, value_name = "DUR|TIME", default_value = "24h")]
    pub since: String,
    /// End of the window (default: now)
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Only this function (logical id, physical name or short name)
    #[arg(long, value_name = "F")]
    pub function: Option<String>,
    /// Exit 3 when a group was first seen after this age or time (for CI and cron)
    #[arg(long, value_name = "SINCE")]
    pub fail_on_new: Option<String>,
    /// Read every event, or ask Logs Insights for the error lines
    #[arg(long, value_enum, default_value_t = ViaArg::Auto)]
    pub via: ViaArg,
}

/// One group as `--output json` prints it.
#[derive(Debug, Serialize)]
struct JsonGroup<'a> {
    fingerprint: &'a str,
    kind: &'a str,
    #[serde(rename = "type")]
    error_type: &'a str,
    message: &'a str,
    functions: &'a [String],
    count: u64,
    first_seen: String,
    last_seen: String,
    request_ids: &'a [String],
    frame: Option<&'a str>,
    sparkline: &'a [u64],
    latest: JsonLatest<'a>,
}

#[derive(Debug, Serialize)]
struct JsonLatest<'a> {
    timestamp: String,
    function: &'a str,
    log_group: &'a str,
    log_stream: &'a str,
    event_id: &'a str,
    request_id: Option<&'a str>,
}

impl<'a> JsonGroup<'a> {
    fn new(g: &'a ErrorGroup) -> Self {
        Self {
            fingerprint: &g.fingerprint,
            kind: g.kind.as_str(),
            error_type: &g.error_type,
            message: &g.message,
            functions: &g.functions,
            count: g.count,
            first_seen: timestamp(g.first_seen_ms),
            last_seen: timestamp(g.last_seen_ms),
            request_ids: &g.request_ids,
            frame: g.frame.as_deref(),
            sparkline: &g.sparkline,
            latest: JsonLatest {
                timestamp: timestamp(g.latest.timestamp_ms),
                function: &g.latest.function,
                log_group: &g.latest.log_group,
                log_stream: &g.latest.log_stream,
                event_id: &g.latest.event_id,
                request_id: g.latest.request_id.as_deref(),
            },
        }
    }
}

/// Prints the groups; exits 3 under `--fail-on-new` when one is new.
pub async fn run(ctx: &Context, args: &ErrorsArgs) -> anyhow::Result<ExitCode> {
    let now = ctx.clock.now();
    let from = parse_since(&args.since, now).map_err(|e| anyhow::anyhow!("--since: {e}"))?;
    let to = match &args.until {
        Some(u) => parse_since(u, now).map_err(|e| anyhow::anyhow!("--until: {e}"))?,
        None => now,
    };
    if to < from {
        eprintln!("protoctl: --until is before --since: nothing to search");
        return Ok(ExitCode::from(2));
    }
    let fail_on_new = match &args.fail_on_new {
        Some(s) => {
            let t = parse_since(s, now).map_err(|e| anyhow::anyhow!("--fail-on-new: {e}"))?;
            if t < from {
                eprintln!(
                    "protoctl: --fail-on-new {s} is before the window's start (--since {}): every group would look new; widen --since",
                    args.since
                );
                return Ok(ExitCode::from(2));
            }
            Some(t)
        }
        None => None,
    };
    let stack = cloudformation::resolve(&ctx.aws, &args.stack, &ctx.filters).await?;
    let resources = cloudformation::resources(&ctx.aws, &stack.id).await?;
    let groups =
        logs::groups_for(&ctx.aws, &stack.name, &resources, args.function.as_deref()).await?;
    if groups.is_empty() {
        eprintln!(
            "protoctl: stack {} has no log groups yet: no errors to show",
            sanitize(&stack.name)
        );
        return Ok(ExitCode::SUCCESS);
    }
    let found = stack_errors(
        &ctx.aws,
        &groups,
        (from, to),
        args.via.into(),
        &CancellationToken::new(),
    )
    .await?;
    tracing::info!(via = ?found.via, events = found.events.len(), groups = found.groups.len(), "errors grouped");
    print(ctx.output, &found.groups, &stack.name, now)?;
    if found.truncated {
        eprintln!(
            "protoctl: a log group held more events than could be read ({HARD_CAP} per group, 10000 per query): counts are lower bounds; narrow --since"
        );
    }
    if found.dropped > 0 {
        eprintln!(
            "protoctl: {} error events were not grouped (too many distinct errors)",
            found.dropped
        );
    }
    if let Some(t) = fail_on_new {
        let new: Vec<&ErrorGroup> = found
            .groups
            .iter()
            .filter(|g| g.first_seen_ms > t.timestamp_millis())
            .collect();
        if !new.is_empty() {
            eprintln!(
                "protoctl: {} new error group(s) since {}: {}",
                new.len(),
                timestamp(t.timestamp_millis()),
                new.iter()
                    .map(|g| format!("{} {}", g.fingerprint, sanitize(&g.error_type)))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            return Ok(ExitCode::from(EXIT_NEW_ERRORS));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print(
    output: OutputFormat,
    groups: &[ErrorGroup],
    stack: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match output {
        OutputFormat::Json => {
            for g in groups {
                let line = serde_json::to_string(&JsonGroup::new(g)).context("encoding a group")?;
                writeln!(out, "{line}")?;
            }
        }
        OutputFormat::Table => {
            let prefix = format!("{stack}-");
            let age = |ms: i64| {
                DateTime::from_timestamp_millis(ms).map_or_else(String::new, |t| short_age(t, now))
            };
            let rows: Vec<Vec<String>> = groups
                .iter()
                .map(|g| {
                    vec![
                        age(g.last_seen_ms),
                        age(g.first_seen_ms),
                        g.count.to_string(),
                        spark(&g.sparkline),
                        g.kind.as_str().to_string(),
                        g.error_type.clone(),
                        g.functions
                            .iter()
                            .map(|f| short_name(f, &prefix))
                            .collect::<Vec<_>>()
                            .join(","),
                        cut(&g.message, 100),
                        g.fingerprint.clone(),
                    ]
                })
                .collect();
            out.write_all(
                format_table(
                    &[
                        "LAST",
                        "FIRST",
                        "COUNT",
                        "TREND",
                        "KIND",
                        "TYPE",
                        "FUNCTIONS",
                        "MESSAGE",
                        "FINGERPRINT",
                    ],
                    &rows,
                )
                .as_bytes(),
            )?;
        }
    }
    out.flush()?;
    Ok(())
}

fn cut(s: &str, n: usize) -> String {
    let one_line = s.replace(['\n', '\r', '\t'], " ");
    match one_line.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &one_line[..i]),
        None => one_line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_scales_to_the_largest() {
        assert_eq!(spark(&[0, 1, 7, 0]), " ▂█ ");
        assert_eq!(spark(&[]), "");
        assert_eq!(spark(&[0, 0]), "  ");
    }
}
