//! The command line of ../shared/CLI.md, defined once with clap.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::domain::discovery::TagFilter;

/// protoctl: a terminal console for the serverless prototypes on your AWS shelf.
#[derive(Debug, Parser)]
#[command(name = "protoctl", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Options valid before or after any subcommand.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// AWS profile (else the SDK's default chain: env, profile, SSO, ...)
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// AWS region
    #[arg(long, global = true, value_name = "NAME")]
    pub region: Option<String>,
    /// Send every AWS call to this endpoint (an emulator)
    #[arg(long, global = true, value_name = "URL", env = "AWS_ENDPOINT_URL")]
    pub endpoint_url: Option<String>,
    /// Config file (default: config.toml in the platform config dir)
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Discovery filter KEY=VALUE or KEY; repeatable; replaces the config's tags
    #[arg(long = "tag", global = true, value_name = "KEY[=VALUE]")]
    pub tags: Vec<TagFilter>,
    /// Refuse every write (edit, delete, invoke, teardown)
    #[arg(long, global = true)]
    pub read_only: bool,
    /// Output format
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
    /// Pin the clock for every age, idle and TTL computation (tests, snapshots)
    #[arg(long, global = true, hide = true, value_name = "RFC3339")]
    pub now: Option<DateTime<Utc>>,
    /// Log file (default: protoctl.log in the platform data dir); level from PROTOCTL_LOG
    #[arg(long, global = true, value_name = "PATH")]
    pub log_file: Option<PathBuf>,
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
}

/// The headless subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the prototype stacks (discovered by tag)
    Stacks,
    /// List a stack's resources
    Resources {
        /// Stack name or id
        stack: String,
    },
    // ── dynamodb (issue 3) ──
    /// Print a stack table's items as JSON lines (all pages unless --limit)
    Items(Box<crate::cli::items::ItemsArgs>),
    // ── s3 (issue 4) ──
    // ── logs (issue 5) ──
    // ── invoke (issue 6) ──
    // ── teardown (issue 7) ──
    /// Seed the demo data into an emulator (idempotent)
    #[command(hide = true)]
    DemoSeed {
        /// Folder with the demo templates and data
        #[arg(long, default_value = "assets/demo")]
        assets: PathBuf,
    },
}
