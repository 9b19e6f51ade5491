//! `protoctl shelve`, `restore` and `archives`: archive a stack and tear it down, bring it
//! back from an archive, list the archives of a folder or S3 prefix.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use serde::Serialize;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::Context;
use super::output::{print_json, print_table};
use crate::aws::audit::{Audit, random_id};
use crate::aws::shelve::{self, Progress, RestoreOptions, ShelveOptions, TeardownRun};
use crate::aws::teardown::{self, OutcomeKind, Settings};
use crate::aws::{AwsError, ErrorKind, cloudformation, s3};
use crate::cli::OutputFormat;
use crate::domain::archive::{self, Location};
use crate::domain::discovery;
use crate::domain::sanitize::sanitize;

/// The arguments of `protoctl shelve`.
#[derive(Debug, Clone, Args)]
pub struct ShelveArgs {
    /// Stack names or ids
    #[arg(value_name = "STACK", required = true)]
    pub stacks: Vec<String>,
    /// Where archives go: a folder or s3://BUCKET/PREFIX (default: the first of the config's [shelve] locations, else archives/ in the data dir)
    #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX")]
    pub to: Option<String>,
    /// Keep every object version and delete marker, not only the latest versions
    #[arg(long)]
    pub all_versions: bool,
    /// Also keep the log events of this last stretch (e.g. 30d)
    #[arg(long, value_name = "DUR", value_parser = crate::config::parse_duration)]
    pub logs: Option<Duration>,
    /// Really archive and tear down; without it only the plan is shown
    #[arg(long)]
    pub yes: bool,
    /// Audit log (default: audit.jsonl in the platform data dir)
    #[arg(long, value_name = "PATH")]
    pub audit_log: Option<PathBuf>,
}

/// The arguments of `protoctl restore`.
#[derive(Debug, Clone, Args)]
pub struct RestoreArgs {
    /// The archive: its folder, or s3://BUCKET/PREFIX/NAME
    #[arg(value_name = "ARCHIVE")]
    pub archive: String,
    /// Create the stack under this name (default: the archived stack's name)
    #[arg(long, value_name = "NEW")]
    pub name: Option<String>,
    /// A parameter value (repeatable); required for NoEcho parameters
    #[arg(long = "param", value_name = "K=V", value_parser = parse_param)]
    pub params: Vec<(String, String)>,
}

/// The arguments of `protoctl archives`.
#[derive(Debug, Clone, Args)]
pub struct ArchivesArgs {
    /// Where to look: a folder or s3://BUCKET/PREFIX (default: the config's [shelve] locations, else archives/ in the data dir)
    #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX")]
    pub from: Option<String>,
}

fn parse_param(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("{s:?} is not KEY=VALUE")),
    }
}

/// `--to`/`--from`, else the first of the config's `[shelve] locations` (else the default).
fn location(ctx: &Context, arg: Option<&str>) -> anyhow::Result<Location> {
    match arg {
        Some(s) => s.parse().map_err(anyhow::Error::msg),
        None => archive::configured_locations(&ctx.config.shelve.locations)
            .map_err(anyhow::Error::msg)?
            .into_iter()
            .next()
            .ok_or_else(|| anyhow::anyhow!("no archive location: pass --to")),
    }
}

fn show_progress(stack: &str, p: &Progress) {
    let line = match p {
        Progress::Phase(s) => format!("{stack}: {}", sanitize(s)),
        Progress::Items { table, items } => {
            format!("{stack}: table {}: {items} items", sanitize(table))
        }
        Progress::Objects {
            bucket,
            objects,
            bytes,
        } => format!(
            "{stack}: bucket {}: {objects} objects, {}",
            sanitize(bucket),
            s3::human_size(*bytes)
        ),
        Progress::Logs { group, events } => {
            format!("{stack}: {}: {events} log events", sanitize(group))
        }
        Progress::Verified { files, total } => format!("{stack}: verified {files}/{total} files"),
        Progress::Teardown(t) => {
            super::teardown::print_progress(stack, t);
            return;
        }
    };
    super::teardown::progress_line(&line);
}

#[derive(Serialize)]
struct PlanOut<'a> {
    #[serde(flatten)]
    preview: &'a shelve::Preview,
    allowed: bool,
    plan: &'a crate::domain::teardown::Plan,
}

#[derive(Serialize)]
struct DoneOut<'a> {
    stack: &'a str,
    location: &'a str,
    archived_at: chrono::DateTime<chrono::Utc>,
    files: usize,
    size_bytes: u64,
    tables: usize,
    items: u64,
    buckets: usize,
    objects: u64,
    not_kept: &'a [String],
    teardown: &'a teardown::Outcome,
}

/// Plans, and with `--yes` does, the shelving of the named stacks.
pub async fn run_shelve(ctx: &Context, args: &ShelveArgs) -> anyhow::Result<ExitCode> {
    if args.yes {
        ctx.ensure_writable("shelve")?;
    }
    let to = location(ctx, args.to.as_deref())?;
    let settings = Settings::from_config(
        &ctx.config,
        ctx.filters.clone(),
        ctx.read_only,
        ctx.clock.now(),
    );
    let audit = Audit::new(
        args.audit_log
            .clone()
            .or_else(Audit::default_path)
            .ok_or_else(|| anyhow::anyhow!("no data dir for the audit log: pass --audit-log"))?,
    );
    let names = finish_sent_deletes(ctx, args, &audit, &settings).await?;
    if names.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    let mut stacks = Vec::new();
    let mut seen = BTreeSet::new();
    for name in &names {
        let shown = sanitize(name).into_owned();
        let stack = cloudformation::describe(&ctx.aws, name)
            .await?
            .filter(|s| !discovery::is_deleted_status(&s.status))
            .ok_or_else(|| {
                AwsError::new(
                    ErrorKind::NotFound,
                    format!("stack {shown:?} not found in {}", ctx.aws.region),
                )
            })?;
        if seen.insert(stack.id.clone()) {
            stacks.push(stack);
        }
    }
    let (account, plans) = Box::pin(teardown::plan_many(&ctx.aws, stacks, &settings)).await?;
    if let Location::S3 { bucket, .. } = &to {
        for sp in &plans {
            let own = cloudformation::resources(&ctx.aws, &sp.stack.id).await?;
            if own.iter().any(|r| {
                r.resource_type == "AWS::S3::Bucket"
                    && r.physical_id.as_deref() == Some(bucket.as_str())
            }) {
                anyhow::bail!(
                    "refused: s3://{} is a bucket of stack {}, which shelving deletes: archive to a bucket outside the stack; nothing was archived or deleted",
                    sanitize(bucket),
                    sanitize(&sp.stack.name)
                );
            }
        }
    }
    let opts = ShelveOptions {
        all_versions: args.all_versions,
        logs: args.logs,
        concurrency: shelve::CONCURRENCY,
        now: ctx.clock.now(),
    };
    let run_id = random_id();
    let refused: Vec<String> = plans
        .iter()
        .filter(|p| !p.plan.allowed())
        .flat_map(|p| {
            p.plan.refusals.iter().map(|r| r.reason.clone()).chain(
                p.plan
                    .blocked_by()
                    .map(crate::domain::teardown::Blocker::line),
            )
        })
        .collect();

    if !args.yes || !refused.is_empty() {
        let mut previews = Vec::new();
        for sp in &plans {
            previews.push(shelve::preview(&ctx.aws, sp, &to, &opts).await?);
            let event = if args.yes { "refused" } else { "dry_run" };
            audit
                .record(&crate::aws::audit::Entry {
                    time: chrono::Utc::now(),
                    run: &run_id,
                    account: &account,
                    region: &sp.plan.region,
                    stack_id: &sp.stack.id,
                    stack_name: &sp.stack.name,
                    event,
                    detail: json!({"shelve": true, "plan": &sp.plan}),
                })
                .map_err(|e| anyhow::anyhow!(e))?;
        }
        match ctx.output {
            OutputFormat::Json => print_json(
                &plans
                    .iter()
                    .zip(&previews)
                    .map(|(sp, p)| PlanOut {
                        preview: p,
                        allowed: sp.plan.allowed(),
                        plan: &sp.plan,
                    })
                    .collect::<Vec<_>>(),
            )?,
            OutputFormat::Table => {
                let mut out = std::io::stdout().lock();
                for p in &previews {
                    out.write_all(preview_text(p).as_bytes())?;
                }
                out.write_all(super::teardown::plans_text(&plans).as_bytes())?;
                out.flush()?;
            }
        }
        if !refused.is_empty() {
            anyhow::bail!(
                "refused: {}; nothing was archived or deleted",
                refused.join("; ")
            );
        }
        if ctx.output == OutputFormat::Table {
            eprintln!("dry run: nothing was archived or deleted; run again with --yes to shelve");
        }
        return Ok(ExitCode::SUCCESS);
    }

    let cancel = CancellationToken::new();
    let c = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            c.cancel();
        }
    });
    let td = TeardownRun {
        account: &account,
        settings: &settings,
        audit: &audit,
        run_id: &run_id,
    };
    let mut done = Vec::new();
    let mut failure = None;
    for sp in &plans {
        let name = sanitize(&sp.stack.name).into_owned();
        let verbose = ctx.output == OutputFormat::Table;
        let progress = move |p: Progress| {
            if verbose {
                show_progress(&name, &p);
            }
        };
        let shelved = Box::pin(shelve::shelve_stack(
            &ctx.aws, sp, &to, &opts, &td, &progress, &cancel,
        ))
        .await;
        match shelved {
            Ok(s) => {
                let ok = s.outcome.result == OutcomeKind::Deleted;
                if !ok {
                    failure = Some(format!(
                        "{} archived to {} but not deleted: {}",
                        s.outcome.stack_name,
                        s.location,
                        s.outcome.error.clone().unwrap_or_else(|| {
                            s.outcome
                                .refusals
                                .iter()
                                .map(|r| r.reason.clone())
                                .collect::<Vec<_>>()
                                .join("; ")
                        })
                    ));
                }
                done.push(s);
                if !ok {
                    break;
                }
            }
            Err(e) => {
                failure = Some(e.to_string());
                break;
            }
        }
    }
    match ctx.output {
        OutputFormat::Json => print_json(
            &done
                .iter()
                .map(|s| DoneOut {
                    stack: &s.manifest.stack_name,
                    location: &s.location,
                    archived_at: s.manifest.archived_at,
                    files: s.manifest.files.len(),
                    size_bytes: s.manifest.size_bytes(),
                    tables: s.manifest.tables.len(),
                    items: s.manifest.items(),
                    buckets: s.manifest.buckets.len(),
                    objects: s.manifest.objects(),
                    not_kept: &s.manifest.not_kept,
                    teardown: &s.outcome,
                })
                .collect::<Vec<_>>(),
        )?,
        OutputFormat::Table => {
            let mut out = std::io::stdout().lock();
            for s in &done {
                writeln!(
                    out,
                    "{}  shelved to {} ({} items, {} objects, {}); stack {}",
                    sanitize(&s.manifest.stack_name),
                    sanitize(&s.location),
                    s.manifest.items(),
                    s.manifest.objects(),
                    s3::human_size(s.manifest.size_bytes()),
                    match s.outcome.result {
                        OutcomeKind::Deleted => "deleted",
                        OutcomeKind::Refused => "refused",
                        OutcomeKind::Failed => "failed",
                        OutcomeKind::Cancelled => "cancelled",
                    }
                )?;
            }
            out.flush()?;
        }
    }
    if let Some(f) = failure {
        anyhow::bail!("{f}");
    }
    Ok(ExitCode::SUCCESS)
}

/// With `--yes`: a named stack whose shelve was killed after its DeleteStack was sent (the
/// archive verified before) is followed to its end without sending anything again, and
/// reported with that archive. Returns the names left for the normal path; an error when a
/// followed delete did not end in DELETE_COMPLETE.
async fn finish_sent_deletes(
    ctx: &Context,
    args: &ShelveArgs,
    audit: &Audit,
    settings: &Settings,
) -> anyhow::Result<Vec<String>> {
    if !args.yes {
        return Ok(args.stacks.clone());
    }
    let mut rest = Vec::new();
    let mut done = Vec::new();
    for name in &args.stacks {
        let sent = match teardown::unfinished_sent_delete(audit, name) {
            Some(sent)
                if sent.archive.is_some()
                    && teardown::delete_under_way(&ctx.aws, &sent).await? =>
            {
                sent
            }
            _ => {
                rest.push(name.clone());
                continue;
            }
        };
        let outcome = teardown::finish_sent_delete(
            &ctx.aws,
            audit,
            &sent,
            &random_id(),
            settings,
            &CancellationToken::new(),
        )
        .await;
        let location = sent.archive.clone().unwrap_or_default();
        if outcome.result != OutcomeKind::Deleted {
            anyhow::bail!(
                "{} archived to {} but not deleted: {}",
                sanitize(&outcome.stack_name),
                sanitize(&location),
                sanitize(outcome.error.as_deref().unwrap_or("not deleted"))
            );
        }
        done.push(json!({"stack": &outcome.stack_name, "location": location,
                         "resumed_from": &sent.run, "teardown": outcome}));
    }
    if !done.is_empty() {
        if !rest.is_empty() || ctx.output == OutputFormat::Table {
            let mut out = std::io::stdout().lock();
            for d in &done {
                writeln!(
                    out,
                    "{}  shelved to {} by run {}; stack deleted (the DeleteStack that run sent completed)",
                    sanitize(d["stack"].as_str().unwrap_or_default()),
                    sanitize(d["location"].as_str().unwrap_or_default()),
                    sanitize(d["resumed_from"].as_str().unwrap_or_default())
                )?;
            }
            out.flush()?;
        } else {
            print_json(&done)?;
        }
    }
    Ok(rest)
}

/// The dry run for people: what goes into the archive, and what cannot come back.
fn preview_text(p: &shelve::Preview) -> String {
    let mut s = format!(
        "shelve {} -> {}\n",
        sanitize(&p.stack),
        sanitize(&p.location)
    );
    let count = |c: Option<u64>, what: &str| {
        c.map_or_else(|| format!("? {what}"), |n| format!("{n} {what}"))
    };
    for t in &p.tables {
        s.push_str(&format!(
            "  keeps table {} ({}): {}\n",
            sanitize(&t.logical_id),
            sanitize(&t.name),
            count(t.count, "items (approximate)")
        ));
    }
    for b in &p.buckets {
        s.push_str(&format!(
            "  keeps bucket {} ({}): {}\n",
            sanitize(&b.logical_id),
            sanitize(&b.name),
            count(b.count, "objects")
        ));
    }
    if p.log_groups > 0 {
        s.push_str(&format!(
            "  keeps the events of {} log group(s)\n",
            p.log_groups
        ));
    }
    if p.not_kept.is_empty() {
        s.push_str("  everything the stack holds comes back on restore\n");
    } else {
        s.push_str("  cannot come back:\n");
        for n in &p.not_kept {
            s.push_str(&format!("    - {}\n", sanitize(&n.line())));
        }
    }
    s
}

/// Restores a stack from an archive folder or S3 prefix.
pub async fn run_restore(ctx: &Context, args: &RestoreArgs) -> anyhow::Result<ExitCode> {
    ctx.ensure_writable("restore")?;
    let from: Location = args.archive.parse().map_err(anyhow::Error::msg)?;
    let verbose = ctx.output == OutputFormat::Table;
    let progress = move |p: Progress| {
        if verbose {
            show_progress("restore", &p);
        }
    };
    let opts = RestoreOptions {
        name: args.name.clone(),
        params: args.params.iter().cloned().collect::<BTreeMap<_, _>>(),
        source: from.to_string(),
        poll: Duration::from_secs(2),
        max_wait: Duration::from_secs(3600),
        concurrency: shelve::CONCURRENCY,
    };
    let report = shelve::restore_from(&ctx.aws, &from, &opts, &progress)
        .await
        .context("restore failed")?;
    match ctx.output {
        OutputFormat::Json => print_json(&json!({
            "stack_name": &report.stack_name,
            "stack_id": &report.stack_id,
            "status": &report.status,
            "two_phase": report.two_phase,
            "verified": report.verified(),
            "tables": &report.tables,
            "buckets": &report.buckets,
        }))?,
        OutputFormat::Table => {
            let mut rows = Vec::new();
            for t in &report.tables {
                rows.push(vec![
                    "table".into(),
                    t.logical_id.clone(),
                    t.name.clone(),
                    format!("{}/{}", t.items, t.expected_items),
                    if t.digest_matches { "ok" } else { "DIFFERS" }.into(),
                ]);
            }
            for b in &report.buckets {
                rows.push(vec![
                    "bucket".into(),
                    b.logical_id.clone(),
                    b.name.clone(),
                    format!("{}/{}", b.objects, b.expected_objects),
                    if b.checksums_match { "ok" } else { "DIFFERS" }.into(),
                ]);
            }
            println!(
                "{}  {}  {}",
                sanitize(&report.stack_name),
                sanitize(&report.status),
                sanitize(&report.stack_id)
            );
            print_table(&["KIND", "LOGICAL ID", "NAME", "COUNT", "CHECKSUMS"], &rows)?;
        }
    }
    if !report.verified() {
        anyhow::bail!(
            "stack {} was restored but its data differs from the archive (see the counts above)",
            sanitize(&report.stack_name)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Lists the archives of a folder or S3 prefix.
pub async fn run_archives(ctx: &Context, args: &ArchivesArgs) -> anyhow::Result<ExitCode> {
    let places = match args.from.as_deref() {
        Some(s) => vec![s.parse().map_err(anyhow::Error::msg)?],
        None => archive::configured_locations(&ctx.config.shelve.locations)
            .map_err(anyhow::Error::msg)?,
    };
    let list = shelve::list_archives_of(&ctx.aws, &places).await?;
    match ctx.output {
        OutputFormat::Json => print_json(&list)?,
        OutputFormat::Table => {
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|a| {
                    vec![
                        a.stack.clone(),
                        a.archived_at
                            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                        s3::human_size(a.size_bytes),
                        a.tables.to_string(),
                        a.items.to_string(),
                        a.objects.to_string(),
                        a.location.clone(),
                    ]
                })
                .collect();
            print_table(
                &[
                    "STACK", "ARCHIVED", "SIZE", "TABLES", "ITEMS", "OBJECTS", "LOCATION",
                ],
                &rows,
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
