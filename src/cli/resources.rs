//! `protoctl resources STACK`: the resources of a stack and of every stack nested in it,
//! each with the path of the stack that owns it.

use std::process::ExitCode;

use super::Context;
use super::output::{print_json, print_table};
use crate::aws::cloudformation;
use crate::cli::OutputFormat;

/// Lists the resources of one prototype stack.
pub async fn run(ctx: &Context, stack: &str) -> anyhow::Result<ExitCode> {
    let stack = cloudformation::resolve(&ctx.aws, stack, &ctx.filters).await?;
    let resources = cloudformation::resources(&ctx.aws, &stack.id).await?;
    match ctx.output {
        OutputFormat::Json => print_json(&resources)?,
        OutputFormat::Table => {
            let rows: Vec<Vec<String>> = resources
                .iter()
                .map(|r| {
                    vec![
                        r.stack_path.clone(),
                        r.logical_id.clone(),
                        r.resource_type.clone(),
                        r.status.clone(),
                        r.physical_id.clone().unwrap_or_else(|| "-".into()),
                    ]
                })
                .collect();
            print_table(
                &["STACK", "LOGICAL ID", "TYPE", "STATUS", "PHYSICAL ID"],
                &rows,
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
