//! The headless face: one module per subcommand, all on the shared `aws/` + `domain/` core.

pub mod args;
mod completions;
pub mod errors;
pub mod invoke;
pub mod items;
mod login;
pub mod logs;
mod objects;
mod output;
pub mod query;
mod resources;
mod stacks;
pub mod teardown;
mod teardown_text;

use std::process::ExitCode;

use anyhow::Context as _;

use crate::aws::{AwsContext, AwsOptions};
use crate::config::Config;
use crate::domain::discovery::TagFilter;
use crate::domain::time::Clock;
pub use args::{Cli, Command, GlobalArgs, OutputFormat};

/// Everything a subcommand needs: config, AWS context, filters, flags and clock.
pub struct Context {
    pub config: Config,
    pub aws: AwsContext,
    pub filters: Vec<TagFilter>,
    pub read_only: bool,
    pub output: OutputFormat,
    pub clock: Clock,
}

impl Context {
    /// Resolves the config file and the AWS context from the global options.
    pub async fn from_args(g: &GlobalArgs) -> anyhow::Result<Self> {
        let (config, _) = Config::load(g.config.as_deref())?;
        let aws = AwsContext::load(&aws_options(g, &config)).await?;
        let filters = if g.tags.is_empty() {
            config.discovery.tags.clone()
        } else {
            g.tags.clone()
        };
        Ok(Self {
            config,
            aws,
            filters,
            read_only: g.read_only,
            output: g.output,
            clock: Clock::new(g.now),
        })
    }

    /// Fails with a clear message when `--read-only` is set.
    pub fn ensure_writable(&self, what: &str) -> anyhow::Result<()> {
        if self.read_only {
            anyhow::bail!("refused: {what} is a write and --read-only is set");
        }
        Ok(())
    }
}

/// The SDK options from flags first, then the config's `[aws]` section.
pub fn aws_options(g: &GlobalArgs, config: &Config) -> AwsOptions {
    AwsOptions {
        profile: g.profile.clone().or_else(|| config.aws.profile.clone()),
        region: g.region.clone().or_else(|| config.aws.region.clone()),
        endpoint_url: g
            .endpoint_url
            .clone()
            .or_else(|| config.aws.endpoint_url.clone()),
        operation_timeout: Some(config.aws.operation_timeout),
        attempt_timeout: Some(config.aws.attempt_timeout),
        max_attempts: Some(config.aws.max_attempts),
    }
}

/// Runs one headless subcommand and maps failure to exit code 1 with one line on stderr.
pub async fn run(global: GlobalArgs, command: Command) -> ExitCode {
    match dispatch(global, command).await {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "command failed");
            eprintln!("protoctl: {}", one_line_error(&e));
            ExitCode::from(1)
        }
    }
}

/// True when stdout was closed by the reader (`protoctl ... | head`): not a failure.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The error's outermost messages on one line, sanitised and free of tokens.
pub fn one_line_error(e: &anyhow::Error) -> String {
    let text = format!("{e:#}");
    let text = crate::domain::tokens::redact(&text);
    crate::domain::sanitize::sanitize(&text.replace('\n', " ")).into_owned()
}

async fn dispatch(global: GlobalArgs, command: Command) -> anyhow::Result<ExitCode> {
    // Commands that need neither config nor AWS.
    match command {
        Command::Completions { shell } => return completions::print(shell),
        Command::Man => return completions::man(),
        _ => {}
    }
    let ctx = Context::from_args(&global).await?;
    match command {
        Command::Stacks { no_activity } => stacks::run(&ctx, no_activity).await,
        Command::Resources { stack } => resources::run(&ctx, &stack).await,
        Command::Items(args) => Box::pin(items::run(&ctx, &args)).await,
        Command::Objects {
            stack,
            bucket,
            prefix,
            recursive,
            versions,
        } => {
            let opts = objects::ListOptions {
                bucket,
                prefix,
                recursive,
                versions,
            };
            objects::list(&ctx, &stack, &opts).await
        }
        Command::GetObject {
            stack,
            key,
            bucket,
            version_id,
            out,
        } => {
            objects::get(
                &ctx,
                &stack,
                &key,
                bucket.as_deref(),
                version_id.as_deref(),
                out,
            )
            .await
        }
        Command::Logs(args) => Box::pin(logs::run(&ctx, *args)).await,
        Command::Login {
            user,
            stack,
            print_token,
        } => {
            Box::pin(login::run(
                &ctx,
                user.as_deref(),
                stack.as_deref(),
                print_token,
            ))
            .await
        }
        Command::Invoke(args) => Box::pin(invoke::run(&ctx, &args)).await,
        Command::Completions { .. } | Command::Man => Ok(ExitCode::SUCCESS),
        Command::Teardown(args) => teardown::run(&ctx, &args).await,
        Command::Errors(args) => Box::pin(errors::run(&ctx, &args)).await,
        Command::Query(args) => Box::pin(query::run(&ctx, &args)).await,
        Command::DemoSeed { assets } => crate::demo::seed(&ctx.aws, &assets)
            .await
            .context("seeding the demo failed")
            .map(|()| ExitCode::SUCCESS),
    }
}
