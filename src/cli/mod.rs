//! The headless face: one module per subcommand, all on the shared `aws/` + `domain/` core.

pub mod args;
mod completions;
pub mod cost;
mod doctor;
pub mod errors;
pub mod invoke;
pub mod items;
mod login;
pub mod logs;
mod objects;
mod output;
pub mod query;
mod resources;
pub mod shelve;
mod stacks;
pub mod teardown;
mod teardown_cost;
mod teardown_text;

use std::process::ExitCode;

use anyhow::Context as _;

use crate::aws::accounts::{self, Located, Place};
use crate::aws::{AwsContext, AwsOptions};
use crate::config::Config;
use crate::domain::discovery::TagFilter;
use crate::domain::sanitize::sanitize;
use crate::domain::time::Clock;
pub use args::{Cli, Command, GlobalArgs, OutputFormat};

/// Everything a subcommand needs: config, AWS context, filters, flags and clock.
pub struct Context {
    pub config: Config,
    pub aws: AwsContext,
    /// The SDK options the context was loaded with (each profile of the shelf reuses them).
    pub aws_options: AwsOptions,
    pub filters: Vec<TagFilter>,
    pub read_only: bool,
    pub output: OutputFormat,
    pub clock: Clock,
}

impl Context {
    /// Resolves the config file and the AWS context from the global options.
    pub async fn from_args(g: &GlobalArgs) -> anyhow::Result<Self> {
        let (config, _) = Config::load(g.config.as_deref())?;
        let options = aws_options(g, &config);
        let aws = AwsContext::load(&options).await?;
        let filters = if g.tags.is_empty() {
            config.discovery.tags.clone()
        } else {
            g.tags.clone()
        };
        Ok(Self {
            config,
            aws,
            aws_options: options,
            filters,
            read_only: g.read_only,
            output: g.output,
            clock: Clock::new(g.now),
        })
    }

    /// The places of the shelf: one per `[discovery] profiles` entry, else this context.
    pub async fn places(&self) -> Result<Vec<Place>, crate::aws::AwsError> {
        accounts::places(
            &self.aws,
            &self.aws_options,
            &self.config.discovery.profiles,
        )
        .await
    }

    /// With `[discovery] profiles`, moves this context to the account and region of the
    /// stacks the arguments name (each replaced by its stack id); a bare name that several
    /// accounts have is refused, listing them. Without profiles, nothing changes.
    pub async fn locate_stacks(&mut self, stacks: &mut [&mut String]) -> anyhow::Result<()> {
        if self.config.discovery.profiles.is_empty() || stacks.is_empty() {
            return Ok(());
        }
        let places = self.places().await?;
        let mut found: Vec<Located> = Vec::new();
        for s in stacks.iter_mut() {
            let l =
                accounts::locate(&places, &self.config.discovery.regions, &self.filters, s).await?;
            (**s).clone_from(&l.stack.id);
            found.push(l);
        }
        let first = &found[0];
        if let Some(other) = found
            .iter()
            .find(|l| l.account != first.account || l.stack.region != first.stack.region)
        {
            anyhow::bail!(
                "the stacks named are in more than one account or region ({} in {} {}, {} in {} {}): name the stacks of one account and region at a time",
                sanitize(&first.stack.name),
                first.account,
                first.stack.region,
                sanitize(&other.stack.name),
                other.account,
                other.stack.region
            );
        }
        self.aws = first.ctx.clone();
        Ok(())
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
        profile_credentials: false,
    }
}

/// Runs one headless subcommand and maps failure to exit code 1 with one line on stderr.
pub async fn run(global: GlobalArgs, command: Command) -> ExitCode {
    match Box::pin(dispatch(global, command)).await {
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

/// The `STACK` arguments of a per-stack command.
fn stack_args(command: &mut Command) -> Vec<&mut String> {
    match command {
        Command::Resources { stack }
        | Command::Objects { stack, .. }
        | Command::GetObject { stack, .. }
        | Command::Login {
            stack: Some(stack), ..
        } => vec![stack],
        Command::Items(a) => vec![&mut a.stack],
        Command::Logs(a) => vec![&mut a.stack],
        Command::Invoke(a) => vec![&mut a.stack],
        Command::Errors(a) => vec![&mut a.stack],
        Command::Query(a) => vec![&mut a.stack],
        Command::Teardown(a) => a.stacks.iter_mut().collect(),
        Command::Shelve(a) => a.stacks.iter_mut().collect(),
        Command::Cost(a) => a.stacks.iter_mut().collect(),
        _ => Vec::new(),
    }
}

async fn dispatch(global: GlobalArgs, command: Command) -> anyhow::Result<ExitCode> {
    // Commands that need neither config nor AWS.
    match command {
        Command::Completions { shell } => return completions::print(shell),
        Command::Man => return completions::man(),
        Command::Doctor => return doctor::run(&global).await,
        _ => {}
    }
    let mut ctx = Context::from_args(&global).await?;
    let mut command = command;
    ctx.locate_stacks(&mut stack_args(&mut command)).await?;
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
        Command::Completions { .. } | Command::Man | Command::Doctor => Ok(ExitCode::SUCCESS),
        Command::Teardown(args) => teardown::run(&ctx, &args).await,
        Command::Shelve(args) => Box::pin(shelve::run_shelve(&ctx, &args)).await,
        Command::Restore(args) => Box::pin(shelve::run_restore(&ctx, &args)).await,
        Command::Archives(args) => shelve::run_archives(&ctx, &args).await,
        Command::Errors(args) => Box::pin(errors::run(&ctx, &args)).await,
        Command::Query(args) => Box::pin(query::run(&ctx, &args)).await,
        Command::Cost(args) => Box::pin(cost::run(&ctx, &args)).await,
        Command::DemoSeed { assets } => crate::demo::seed(&ctx.aws, &assets)
            .await
            .context("seeding the demo failed")
            .map(|()| ExitCode::SUCCESS),
    }
}
