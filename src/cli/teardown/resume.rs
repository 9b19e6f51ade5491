//! Resuming a killed run: the named stacks an earlier run sent DeleteStack for are followed
//! to their end without sending anything again, and reported before the rest.

use std::io::Write;

use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::{TeardownArgs, outcome_line, progress_line, result_word};
use crate::aws::audit::Audit;
use crate::aws::teardown::{self, Outcome, OutcomeKind, Settings};
use crate::cli::output::print_json;
use crate::cli::{Context, OutputFormat};
use crate::domain::sanitize::sanitize;

/// A stack whose delete an earlier, killed run sent, finished by this run.
pub(super) struct Resumed {
    outcome: Outcome,
    account: String,
    region: String,
}

/// With `--yes`: the named stacks an earlier run sent DeleteStack for and never saw end (it
/// was killed) are followed to their end without sending anything again; the others are left
/// for the normal path.
pub(super) async fn resume_sent_deletes(
    ctx: &Context,
    args: &TeardownArgs,
    audit: &Audit,
    run_id: &str,
    settings: &Settings,
    cancel: &CancellationToken,
) -> anyhow::Result<(Vec<Resumed>, TeardownArgs)> {
    let mut rest = args.clone();
    if !args.yes {
        return Ok((Vec::new(), rest));
    }
    rest.stacks.clear();
    let mut resumed = Vec::new();
    for name in &args.stacks {
        let sent = match teardown::unfinished_sent_delete(audit, name) {
            Some(sent) if teardown::delete_under_way(&ctx.aws, &sent).await? => sent,
            _ => {
                rest.stacks.push(name.clone());
                continue;
            }
        };
        if ctx.output == OutputFormat::Table {
            progress_line(&format!(
                "{}: run {} sent DeleteStack and stopped without a result; following that delete",
                sanitize(&sent.stack_name),
                sent.run
            ));
        }
        let outcome =
            teardown::finish_sent_delete(&ctx.aws, audit, &sent, run_id, settings, cancel).await;
        resumed.push(Resumed {
            outcome,
            account: sent.account,
            region: sent.region,
        });
    }
    Ok((resumed, rest))
}

/// Prints the outcomes of the resumed stacks (JSON only when they are all there is); the
/// first failure's line, if any.
pub(super) fn report_resumed(ctx: &Context, resumed: &[Resumed]) -> anyhow::Result<Option<String>> {
    if resumed.is_empty() {
        return Ok(None);
    }
    match ctx.output {
        OutputFormat::Json => {
            let mut out = Vec::new();
            for r in resumed {
                let mut v = serde_json::to_value(&r.outcome)?;
                v["account"] = json!(r.account);
                v["region"] = json!(r.region);
                out.push(v);
            }
            print_json(&out)?;
        }
        OutputFormat::Table => {
            let mut out = std::io::stdout().lock();
            for r in resumed {
                writeln!(out, "{}", outcome_line(&r.outcome))?;
            }
            out.flush()?;
        }
    }
    Ok(resumed
        .iter()
        .find(|r| r.outcome.result != OutcomeKind::Deleted)
        .map(|r| {
            format!(
                "{} {}: {}",
                sanitize(&r.outcome.stack_name),
                result_word(r.outcome.result),
                sanitize(r.outcome.error.as_deref().unwrap_or("not deleted"))
            )
        }))
}
