//! `protoctl doctor`: checks what new users get wrong and says how to fix each. It never
//! stops at the first problem: a bad config file or a missing region is one failed check
//! among the others. Exit 0 only when every check passes.

use std::process::ExitCode;

use super::output::{print_json, print_table};
use super::{GlobalArgs, OutputFormat, aws_options};
use crate::aws::doctor::{Inputs, checks};
use crate::config::{Config, ConfigError};
use crate::domain::doctor::{Check, all_ok, terminal_checks};
use crate::domain::sanitize::sanitize;
use crate::domain::time::Clock;

/// The config file check, and the config to go on with (the defaults when it is broken).
fn config_check(g: &GlobalArgs) -> (Check, Config) {
    match Config::load(g.config.as_deref()) {
        Ok((config, Some(path))) => (
            Check::pass(
                "config",
                format!("{} is valid", sanitize(&path.display().to_string())),
            ),
            config,
        ),
        Ok((config, None)) => (
            Check::pass(
                "config",
                format!(
                    "no config file at {}: the defaults apply",
                    Config::default_path().map_or_else(
                        || "(no config dir)".into(),
                        |p| sanitize(&p.display().to_string()).into_owned()
                    )
                ),
            ),
            config,
        ),
        Err(e) => {
            let fix = match &e {
                ConfigError::Invalid {
                    path, line, key, ..
                } => format!(
                    "correct `{}` on line {line} of {} (every key is described in config.example.toml)",
                    sanitize(key),
                    sanitize(&path.display().to_string())
                ),
                ConfigError::Read { path, .. } => format!(
                    "create {} or pass --config with the right path",
                    sanitize(&path.display().to_string())
                ),
            };
            (
                Check::fail("config", sanitize(&e.to_string()).into_owned(), fix),
                Config::default(),
            )
        }
    }
}

fn region_source(g: &GlobalArgs, config: &Config, profile: &str) -> String {
    let env_set = |k: &str| std::env::var(k).is_ok_and(|v| !v.is_empty());
    if g.region.is_some() {
        "--region".into()
    } else if config.aws.region.is_some() {
        "[aws] region of the config file".into()
    } else if env_set("AWS_REGION") {
        "AWS_REGION".into()
    } else if env_set("AWS_DEFAULT_REGION") {
        "AWS_DEFAULT_REGION".into()
    } else {
        format!("profile {profile} of the AWS config file")
    }
}

/// Runs every check and prints them; exit 1 when one fails.
pub async fn run(g: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let (config_result, config) = config_check(g);
    let mut options = aws_options(g, &config);
    // A check-up answers quickly: an endpoint that does not answer is a finding, not a wait.
    options.operation_timeout = options
        .operation_timeout
        .map(|t| t.min(std::time::Duration::from_secs(15)));
    options.max_attempts = options.max_attempts.map(|n| n.min(2));
    let profile = options
        .profile
        .clone()
        .or_else(|| std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()))
        .unwrap_or_else(|| "default".into());
    let filters = if g.tags.is_empty() {
        config.discovery.tags.clone()
    } else {
        g.tags.clone()
    };
    let inputs = Inputs {
        options: &options,
        region_source: region_source(g, &config, &profile),
        profile,
        regions: &config.discovery.regions,
        profiles: &config.discovery.profiles,
        filters: &filters,
    };
    let mut all = vec![config_result];
    all.extend(checks(&inputs, Clock::new(g.now).now()).await);
    all.extend(terminal_checks(
        &|k| std::env::var(k).ok(),
        config.ui.clipboard,
        config.ui.mouse,
    ));
    match g.output {
        OutputFormat::Json => print_json(&all)?,
        OutputFormat::Table => {
            let rows: Vec<Vec<String>> = all
                .iter()
                .map(|c| {
                    vec![
                        if c.ok { "ok" } else { "FAIL" }.to_string(),
                        c.check.clone(),
                        c.detail.clone(),
                        c.fix.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            print_table(&["", "CHECK", "DETAIL", "FIX"], &rows)?;
        }
    }
    Ok(if all_ok(&all) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
