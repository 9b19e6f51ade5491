//! The command line of docs/cli.md, defined once with clap.

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
    Stacks {
        /// Only the list: no log activity, abandonment or blocker lookups (one DescribeStacks
        /// page per 100 stacks)
        #[arg(long)]
        no_activity: bool,
    },
    /// List a stack's resources
    Resources {
        /// Stack name or id
        stack: String,
    },
    /// Print a stack table's items as JSON lines (all pages unless --limit)
    Items(Box<crate::cli::items::ItemsArgs>),
    /// List a stack's objects (one level with folders, or --recursive), JSON lines with --output json
    Objects {
        /// Stack name or id
        stack: String,
        /// Bucket: logical id or name (default: every bucket of the stack)
        #[arg(long, value_name = "B")]
        bucket: Option<String>,
        /// Only keys starting with this prefix
        #[arg(long, value_name = "P", default_value = "")]
        prefix: String,
        /// Every key under the prefix, not one level with folders
        #[arg(long)]
        recursive: bool,
        /// Every version and delete marker instead of the current objects
        #[arg(long)]
        versions: bool,
    },
    /// Print or save one object's exact bytes
    GetObject {
        /// Stack name or id
        stack: String,
        /// The object's key, exactly
        key: String,
        /// Bucket: logical id or name (may be left out when the stack has one bucket)
        #[arg(long, value_name = "B")]
        bucket: Option<String>,
        /// A version id (default: the current version)
        #[arg(long, value_name = "ID")]
        version_id: Option<String>,
        /// Write to this file (or into this folder); `-` or nothing: stdout
        #[arg(short = 'o', long = "output-file", value_name = "PATH|-")]
        out: Option<std::path::PathBuf>,
    },
    /// Print (or follow) the logs of a stack's functions, interleaved by time
    Logs(Box<super::logs::LogsArgs>),
    /// Sign in to the Cognito user pool and cache the tokens (password from PROTOCTL_PASSWORD or a hidden prompt)
    Login {
        /// The user (else [cognito] username, else the last user signed in, else a prompt)
        #[arg(long, value_name = "U")]
        user: Option<String>,
        /// Use this stack's user pool (its UserPoolId / UserPoolClientId outputs)
        #[arg(long, value_name = "STACK")]
        stack: Option<String>,
        /// Also print the tokens (they are secrets: only when you mean it)
        #[arg(long)]
        print_token: bool,
    },
    /// Call a function as the signed-in user, directly or through its API, once or fanned out
    Invoke(Box<crate::cli::invoke::InvokeArgs>),
    /// A stack's errors over a window, grouped by fingerprint (exit 3 with --fail-on-new when one is new)
    Errors(Box<crate::cli::errors::ErrorsArgs>),
    /// Run a Logs Insights query over every log group of a stack
    Query(Box<crate::cli::query::QueryArgs>),
    /// What each prototype costs a month, from usage and the bundled list prices
    Cost(Box<crate::cli::cost::CostArgs>),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions {
        /// The shell
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) generated from this command line
    Man,
    /// Plan (and with --yes, do) the teardown of prototype stacks
    Teardown(crate::cli::teardown::TeardownArgs),
    /// Check the set-up (credentials, region, SSO, endpoint, config, discovery tags,
    /// permissions, terminal) and say how to fix each problem; exit 0 only when all pass
    Doctor,
    /// Archive stacks (template, tables, buckets, optionally logs), verify, then tear them down
    Shelve(crate::cli::shelve::ShelveArgs),
    /// Create a stack again from an archive and load its tables and buckets back
    Restore(crate::cli::shelve::RestoreArgs),
    /// List the archives of a folder or S3 prefix
    Archives(crate::cli::shelve::ArchivesArgs),
    /// Seed the demo data into an emulator (idempotent)
    #[command(hide = true)]
    DemoSeed {
        /// Folder with the demo templates and data
        #[arg(long, default_value = "assets/demo")]
        assets: PathBuf,
    },
}
