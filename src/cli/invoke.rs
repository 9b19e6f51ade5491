//! `protoctl invoke STACK FUNCTION`: call a prototype as the signed-in Cognito user,
//! directly (Lambda Invoke with a synthesised API Gateway event) or through its API;
//! once, or fanned out with statistics.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::Context;
use super::login::{PASSWORD_ENV, pool_user, sign_in_and_store};
use super::output::print_json;
use crate::aws::cloudformation;
use crate::aws::cognito::{self, PoolUser, TokenCache};
use crate::aws::invoke::{self, MAX_CONCURRENCY, MAX_COUNT, Outcome, Target, fan_out};
use crate::cli::OutputFormat;
use crate::domain::invoke::{
    CallSpec, EventShape, Request, Summary, api_base_url, body_value, method_or_default,
    parse_payload, pretty_body,
};
use crate::domain::sanitize::{sanitize, sanitize_multiline};
use crate::domain::stack::Stack;
use crate::domain::tokens::Tokens;

pub use crate::domain::invoke::{Via, stage_of};

impl ValueEnum for Via {
    fn value_variants<'a>() -> &'a [Self] {
        &[Self::Lambda, Self::Api]
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(match self {
            Self::Lambda => clap::builder::PossibleValue::new("lambda")
                .help("Lambda Invoke with a synthesised API Gateway proxy event"),
            Self::Api => clap::builder::PossibleValue::new("api").help(
                "An HTTP request to the stack's API (ServiceEndpoint output or [invoke] api_url)",
            ),
        })
    }
}

/// The arguments of `invoke`.
#[derive(Debug, Clone, Args)]
pub struct InvokeArgs {
    /// Stack name or id
    pub stack: String,
    /// Function: logical id, physical name or Serverless short name (optional with one function)
    pub function: Option<String>,
    /// Call the function directly (lambda, default) or through its API
    #[arg(long, value_enum, default_value_t = Via::Lambda)]
    pub via: Via,
    /// Request body as JSON, or @FILE to read it from a file
    #[arg(long, value_name = "JSON|@FILE")]
    pub payload: Option<String>,
    /// HTTP method (default: POST with a payload, else GET)
    #[arg(long, value_name = "M")]
    pub method: Option<String>,
    /// Path (with an optional ?query), e.g. /items?limit=5
    #[arg(long, value_name = "P", default_value = "/")]
    pub path: String,
    /// Extra request header NAME:VALUE, repeatable
    #[arg(long = "header", value_name = "NAME:VALUE")]
    pub headers: Vec<String>,
    /// The Cognito user (else [cognito] username, else the last user signed in)
    #[arg(long, value_name = "U")]
    pub user: Option<String>,
    /// API Gateway event shape for --via lambda: rest (v1) or http (v2); default [invoke] event_shape
    #[arg(long, value_name = "SHAPE")]
    pub event_shape: Option<String>,
    /// Send the payload to Lambda as the event itself, without an API Gateway wrapper
    #[arg(long)]
    pub raw: bool,
    /// Base URL for --via api (overrides the ServiceEndpoint output and [invoke] api_url)
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,
    /// Fan out: make N calls and print a summary
    #[arg(long, value_name = "N")]
    pub count: Option<usize>,
    /// Calls in flight at once during a fan-out
    #[arg(long, value_name = "C", default_value_t = 10)]
    pub concurrency: usize,
}

/// Runs `invoke`.
pub async fn run(ctx: &Context, args: &InvokeArgs) -> anyhow::Result<ExitCode> {
    ctx.ensure_writable("invoke")?;
    if let Some(n) = args.count
        && (n == 0 || n > MAX_COUNT)
    {
        anyhow::bail!("--count must be between 1 and {MAX_COUNT}");
    }
    if args.concurrency == 0 || args.concurrency > MAX_CONCURRENCY {
        anyhow::bail!("--concurrency must be between 1 and {MAX_CONCURRENCY}");
    }
    let payload = read_payload(args.payload.as_deref())?;
    let stack = cloudformation::resolve(&ctx.aws, &args.stack, &ctx.filters).await?;
    let target = build_target(ctx, &stack, args, payload).await?;
    match args.count {
        None => single(ctx, &target).await,
        Some(n) => fan(ctx, &target, n, args.concurrency).await,
    }
}

/// The payload text from `--payload` (JSON or @FILE), validated as JSON.
fn read_payload(arg: Option<&str>) -> anyhow::Result<Option<Value>> {
    let Some(arg) = arg else { return Ok(None) };
    let text = match arg.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read the payload file {path}: {e}"))?,
        None => arg.to_string(),
    };
    parse_payload(&text).map(Some).map_err(anyhow::Error::msg)
}

/// Valid tokens for the user: cached (refreshed when needed), else a sign-in when
/// `PROTOCTL_PASSWORD` is set.
async fn tokens_for(ctx: &Context, user: &PoolUser, stack: &Stack) -> anyhow::Result<Tokens> {
    let cache = TokenCache::platform()?;
    if let Some(t) = cognito::cached_tokens(&ctx.aws, &cache, user, ctx.clock.now()).await? {
        return Ok(t);
    }
    if std::env::var_os(PASSWORD_ENV).is_some_and(|v| !v.is_empty()) {
        return sign_in_and_store(ctx, user).await;
    }
    anyhow::bail!(
        "not signed in as {} to pool {}: run `protoctl login --stack {} --user {}`",
        sanitize(&user.username),
        sanitize(&user.user_pool_id),
        sanitize(&stack.name),
        sanitize(&user.username)
    )
}

async fn build_target(
    ctx: &Context,
    stack: &Stack,
    args: &InvokeArgs,
    payload: Option<Value>,
) -> anyhow::Result<Target> {
    let headers = args
        .headers
        .iter()
        .map(|h| {
            h.split_once(':')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .filter(|(k, _)| !k.is_empty())
                .ok_or_else(|| anyhow::anyhow!("--header {h:?}: use NAME:VALUE"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let request = Request {
        method: method_or_default(args.method.as_deref(), payload.is_some()),
        path: args.path.clone(),
        headers,
        body: payload.as_ref().map(Value::to_string),
    };
    let mut spec = CallSpec {
        via: args.via,
        function: None,
        request,
        token: None,
        raw_event: None,
        shape: EventShape::default(),
        stage: stage_of(stack.outputs.get("ServiceEndpoint").map(String::as_str)),
        base_url: None,
    };
    match args.via {
        Via::Lambda => {
            let resources = cloudformation::resources(&ctx.aws, &stack.id).await?;
            let function = cloudformation::pick_resource(
                &resources,
                "AWS::Lambda::Function",
                "function",
                &stack.name,
                args.function.as_deref(),
            )?;
            let name = function
                .physical_id
                .clone()
                .unwrap_or_else(|| function.logical_id.clone());
            if args.raw {
                spec.raw_event = Some(payload.unwrap_or_else(|| json!({})));
            } else {
                let user = pool_user(ctx, Some(stack), args.user.as_deref(), false)?;
                let tokens = tokens_for(ctx, &user, stack).await?;
                spec.token = Some(token_of(ctx, &tokens).to_string());
                spec.shape = EventShape::parse(
                    args.event_shape
                        .as_deref()
                        .unwrap_or(&ctx.config.invoke.event_shape),
                )
                .map_err(anyhow::Error::msg)?;
            }
            tracing::info!(function = %name, "invoking directly");
            spec.function = Some(name);
        }
        Via::Api => {
            let base_url = api_base_url(
                args.api_url.as_deref(),
                stack,
                ctx.config.invoke.api_url.as_deref(),
            )
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "stack {:?} has no ServiceEndpoint output: pass --api-url or set [invoke] api_url",
                    sanitize(&stack.name)
                )
            })?;
            let user = pool_user(ctx, Some(stack), args.user.as_deref(), false)?;
            let tokens = tokens_for(ctx, &user, stack).await?;
            tracing::info!(url = %base_url, "calling the API");
            spec.token = Some(token_of(ctx, &tokens).to_string());
            spec.base_url = Some(base_url);
        }
    }
    invoke::build_target(&ctx.aws, spec, args.count.is_none(), ctx.clock.now())
        .map_err(anyhow::Error::msg)
}

/// The token the config puts in Authorization and the claims: id (default) or access.
fn token_of<'a>(ctx: &Context, tokens: &'a Tokens) -> &'a str {
    if ctx.config.cognito.token == "access" {
        &tokens.access_token
    } else {
        &tokens.id_token
    }
}

/// The JSON of one call, as in CLI.md.
pub fn outcome_json(o: &Outcome) -> Value {
    let mut v = json!({
        "status": o.status,
        "function_error": o.function_error,
        "payload": body_value(&o.body),
        "duration_ms": o.duration_ms(),
        "log_tail": o.log_tail,
        "report": o.report,
        "latency_ms": o.latency_ms,
    });
    if !o.headers.is_empty() {
        v["headers"] = o
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect::<serde_json::Map<_, _>>()
            .into();
    }
    v
}

async fn single(ctx: &Context, target: &Target) -> anyhow::Result<ExitCode> {
    let o = target.call().await?;
    match ctx.output {
        OutputFormat::Json => print_json(&outcome_json(&o))?,
        OutputFormat::Table => {
            let mut head = format!("status {} · {:.1} ms", o.status, o.duration_ms());
            if let Some(fe) = &o.function_error {
                head.push_str(&format!(" · FUNCTION ERROR ({})", sanitize(fe)));
            }
            println!("{head}");
            for (k, v) in &o.headers {
                println!("{}: {}", sanitize(k), sanitize(v));
            }
            println!("{}", sanitize_multiline(&pretty_body(&o.body)));
            if let Some(tail) = &o.log_tail {
                println!("--- log tail");
                println!("{}", sanitize_multiline(tail.trim_end()));
            }
        }
    }
    Ok(if o.is_error() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

async fn fan(
    ctx: &Context,
    target: &Target,
    count: usize,
    concurrency: usize,
) -> anyhow::Result<ExitCode> {
    let cancel = CancellationToken::new();
    let on_ctrl_c = cancel.clone();
    let watcher = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_ctrl_c.cancel();
        }
    });
    let show_progress = std::io::stderr().is_terminal();
    let mut done = 0usize;
    let samples = fan_out(target, count, concurrency, &cancel, |_| {
        done += 1;
        if show_progress && (done.is_multiple_of(10) || done == count) {
            eprint!("\r{done}/{count}");
        }
    })
    .await;
    watcher.abort();
    if show_progress {
        eprintln!();
    }
    let summary = Summary::of(&samples, count);
    match ctx.output {
        OutputFormat::Json => print_json(&summary)?,
        OutputFormat::Table => {
            let l = summary.latency_ms;
            println!(
                "{} calls: {} ok, {} errors, {} throttled, {} cold starts, {} distinct responses",
                summary.count,
                summary.ok,
                summary.errors,
                summary.throttled,
                summary.cold_starts,
                summary.distinct_responses
            );
            println!(
                "latency ms: p50 {:.1} · p90 {:.1} · p99 {:.1} · max {:.1}",
                l.p50, l.p90, l.p99, l.max
            );
            if summary.cancelled > 0 {
                println!("cancelled: {} calls not made", summary.cancelled);
            }
        }
    }
    Ok(if summary.errors > 0 || summary.cancelled > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages() {
        assert_eq!(
            stage_of(Some("https://abc.execute-api.us-east-1.amazonaws.com/dev")),
            "dev"
        );
        assert_eq!(stage_of(Some("https://abc.example.com")), "$default");
        assert_eq!(stage_of(None), "$default");
    }

    #[test]
    fn payload_argument() {
        assert_eq!(read_payload(None).unwrap(), None);
        assert_eq!(
            read_payload(Some("{\"a\":1}")).unwrap(),
            Some(json!({"a":1}))
        );
        let e = read_payload(Some("{nope")).unwrap_err().to_string();
        assert!(e.starts_with("invalid JSON payload at line 1"), "{e}");
        let e = read_payload(Some("@/nonexistent/p.json"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("/nonexistent/p.json"), "{e}");
    }
}
