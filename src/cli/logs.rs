//! `protoctl logs STACK`: the logs of a stack's functions, interleaved by time, once each.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::{Context, OutputFormat};
use crate::aws::cloudformation;
use crate::aws::logs::{self, FollowOptions, LogGroupRef, LogQuery, TailMode, TailMsg};
use crate::domain::logbuf::{HARD_CAP, LogBuffer, LogEvent, parse_since};
use crate::domain::report::{Report, parse_report};
use crate::domain::sanitize::sanitize;

/// The options of `protoctl logs`.
#[derive(Debug, Clone, clap::Args)]
pub struct LogsArgs {
    /// Stack name or id
    pub stack: String,
    /// Only this function (logical id, physical name or short name)
    #[arg(long, value_name = "F")]
    pub function: Option<String>,
    /// Start: an age (15m, 2h, 1d) or a time (RFC3339, YYYY-MM-DD); default [logs] since
    #[arg(long, value_name = "DUR|TIME")]
    pub since: Option<String>,
    /// End: an age or a time (not with --follow)
    #[arg(long, value_name = "TIME", conflicts_with = "follow")]
    pub until: Option<String>,
    /// CloudWatch Logs filter pattern, e.g. ERROR or '{ $.level = "error" }'
    #[arg(long, value_name = "PATTERN")]
    pub filter: Option<String>,
    /// Keep printing new events until Ctrl-C or SIGTERM
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// Poll FilterLogEvents only, never StartLiveTail
    #[arg(long)]
    pub no_live_tail: bool,
}

/// One event as `--output json` prints it (one object a line).
#[derive(Debug, Serialize)]
pub struct JsonEvent<'a> {
    pub timestamp: String,
    pub function: &'a str,
    pub log_group: &'a str,
    pub log_stream: &'a str,
    pub event_id: &'a str,
    pub message: &'a str,
    pub report: Option<Report>,
}

impl<'a> JsonEvent<'a> {
    /// The JSON shape of an event, with its parsed REPORT line.
    pub fn new(e: &'a LogEvent) -> Self {
        Self {
            timestamp: timestamp(e.timestamp_ms),
            function: &e.function,
            log_group: &e.log_group,
            log_stream: &e.log_stream,
            event_id: &e.event_id,
            message: &e.message,
            report: parse_report(&e.message),
        }
    }
}

/// RFC3339 with milliseconds, UTC.
pub fn timestamp(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Prints the events of a time range, or follows until Ctrl-C / SIGTERM.
pub async fn run(ctx: &Context, args: LogsArgs) -> anyhow::Result<ExitCode> {
    let now = ctx.clock.now();
    let since = match &args.since {
        Some(s) => parse_since(s, now).map_err(anyhow::Error::msg)?,
        None => {
            now - chrono::Duration::from_std(ctx.config.logs.since)
                .unwrap_or(chrono::Duration::hours(1))
        }
    };
    let until = args
        .until
        .as_deref()
        .map(|u| parse_since(u, now).map_err(|e| anyhow::anyhow!("--until: {e}")))
        .transpose()?;
    if let Some(u) = until
        && u < since
    {
        anyhow::bail!("--until is before --since: nothing to show");
    }
    let stack = cloudformation::resolve(&ctx.aws, &args.stack, &ctx.filters).await?;
    let resources = cloudformation::resources(&ctx.aws, &stack.id).await?;
    let groups =
        logs::groups_for(&ctx.aws, &stack.name, &resources, args.function.as_deref()).await?;
    if groups.is_empty() {
        anyhow::bail!(
            "stack {:?} has no log groups yet (a function's group appears on its first invocation)",
            sanitize(&stack.name)
        );
    }
    let mut printer = Printer::new(ctx.output, &groups, &stack.name);
    if !args.follow {
        let q = LogQuery {
            start_ms: Some(since.timestamp_millis()),
            end_ms: until.map(|u| u.timestamp_millis()),
            filter: args.filter.clone(),
            limit: Some(HARD_CAP),
        };
        let res = logs::filter_groups(&ctx.aws, &groups, &q).await?;
        for e in &res.events {
            if !printer.print(e)? {
                return Ok(ExitCode::SUCCESS);
            }
        }
        if res.truncated {
            eprintln!(
                "protoctl: stopped at {HARD_CAP} events per log group: narrow with --since, --until or --filter"
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    follow(ctx, &args, &groups, since.timestamp_millis(), &mut printer).await
}

async fn follow(
    ctx: &Context,
    args: &LogsArgs,
    groups: &[LogGroupRef],
    start_ms: i64,
    printer: &mut Printer,
) -> anyhow::Result<ExitCode> {
    let cancel = CancellationToken::new();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut opts = FollowOptions::new(start_ms, args.filter.clone());
    opts.live_tail = !args.no_live_tail;
    let aws = ctx.aws.clone();
    let task_groups = groups.to_vec();
    let task_cancel = cancel.clone();
    let task = tokio::spawn(async move {
        logs::follow(&aws, &task_groups, &opts, &task_cancel, &tx).await;
    });
    spawn_signal_watch(cancel.clone());
    let mut buf = LogBuffer::new(ctx.config.logs.buffer);
    let mut result = Ok(ExitCode::SUCCESS);
    loop {
        let msg = tokio::select! {
            () = cancel.cancelled() => break,
            m = rx.recv() => m,
        };
        let Some(msg) = msg else { break };
        match msg {
            TailMsg::Events(mut batch) => {
                logs::sort_events(&mut batch);
                let mut fresh = Vec::new();
                buf.ingest_with(batch, |e| fresh.push(e.clone()));
                let mut open = true;
                for e in &fresh {
                    match printer.print(e) {
                        Ok(true) => {}
                        Ok(false) => open = false,
                        Err(e) => {
                            result = Err(e);
                            open = false;
                        }
                    }
                    if !open {
                        break;
                    }
                }
                if !open {
                    break;
                }
            }
            TailMsg::Mode(TailMode::Live { sessions }) => {
                tracing::info!(sessions, "live tail started");
            }
            TailMsg::Mode(TailMode::Polling { reason }) => {
                tracing::info!(%reason, "following by polling FilterLogEvents");
            }
            TailMsg::Sampled(true) => {
                eprintln!("protoctl: live tail is sampling (too many events to send them all)");
            }
            TailMsg::Sampled(false) => {}
            TailMsg::Warning(w) => eprintln!("protoctl: {}", sanitize(&w)),
        }
    }
    cancel.cancel();
    let _ = task.await;
    result
}

/// Cancels on Ctrl-C or SIGTERM.
fn spawn_signal_watch(cancel: CancellationToken) {
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate());
            match term {
                Ok(mut term) => {
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => {}
                        _ = term.recv() => {}
                    }
                }
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        cancel.cancel();
    });
}

/// Writes events one a line: JSON objects, or `TIME  FUNCTION  MESSAGE` sanitised.
struct Printer {
    output: OutputFormat,
    width: usize,
    prefix: String,
}

impl Printer {
    fn new(output: OutputFormat, groups: &[LogGroupRef], stack: &str) -> Self {
        let prefix = format!("{stack}-");
        let width = groups
            .iter()
            .map(|g| short_name(&g.function, &prefix).chars().count())
            .max()
            .unwrap_or(0)
            .min(40);
        Self {
            output,
            width,
            prefix,
        }
    }

    /// Prints one event; `false` when stdout is closed (a pipe reader went away).
    fn print(&mut self, e: &LogEvent) -> anyhow::Result<bool> {
        let mut line = match self.output {
            OutputFormat::Json => {
                serde_json::to_string(&JsonEvent::new(e)).context("encoding an event")?
            }
            OutputFormat::Table => format!(
                "{}  {:<w$}  {}",
                timestamp(e.timestamp_ms),
                sanitize(short_name(&e.function, &self.prefix)),
                sanitize(&e.message.trim_end().replace('\t', "  ")),
                w = self.width
            ),
        };
        line.push('\n');
        let mut out = std::io::stdout().lock();
        match out.write_all(line.as_bytes()).and_then(|()| out.flush()) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
            Err(e) => Err(e).context("writing to stdout"),
        }
    }
}

pub use crate::domain::text::short_name;
