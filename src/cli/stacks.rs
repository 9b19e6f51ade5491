//! `protoctl stacks`: the prototype stacks discovered by tag.

use std::process::ExitCode;

use super::Context;
use super::output::{print_json, print_table};
use crate::aws::cloudformation;
use crate::cli::OutputFormat;
use crate::domain::time::{rfc3339, short_age};

/// Lists the discovered stacks.
pub async fn run(ctx: &Context) -> anyhow::Result<ExitCode> {
    let stacks = cloudformation::discover(&ctx.aws, &ctx.filters).await?;
    match ctx.output {
        OutputFormat::Json => print_json(&stacks)?,
        OutputFormat::Table => {
            let now = ctx.clock.now();
            let rows: Vec<Vec<String>> = stacks
                .iter()
                .map(|s| {
                    vec![
                        s.name.clone(),
                        s.status.clone(),
                        short_age(s.created, now),
                        s.last_updated.map_or_else(|| "-".into(), rfc3339),
                        s.tags
                            .iter()
                            .map(|(k, v)| format!("{k}={v}"))
                            .collect::<Vec<_>>()
                            .join(","),
                    ]
                })
                .collect();
            print_table(&["NAME", "STATUS", "AGE", "LAST UPDATED", "TAGS"], &rows)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
