//! `protoctl resources STACK`: the resources of a stack and of every stack nested in it,
//! each with the path of the stack that owns it.

use std::process::ExitCode;

use serde::Serialize;

use super::Context;
use super::output::{print_json, print_table};
use crate::aws::cloudformation;
use crate::cli::OutputFormat;
use crate::domain::console_url;
use crate::domain::stack::StackResource;

/// One element of `resources --output json`: the resource and its AWS console page (null
/// for types without a page of their own).
#[derive(Serialize)]
struct Row<'a> {
    #[serde(flatten)]
    resource: &'a StackResource,
    console_url: Option<String>,
}

/// Lists the resources of one prototype stack.
pub async fn run(ctx: &Context, stack: &str) -> anyhow::Result<ExitCode> {
    let stack = cloudformation::resolve(&ctx.aws, stack, &ctx.filters).await?;
    let resources = cloudformation::resources(&ctx.aws, &stack.id).await?;
    match ctx.output {
        OutputFormat::Json => {
            let rows: Vec<Row> = resources
                .iter()
                .map(|r| Row {
                    resource: r,
                    console_url: r
                        .physical_id
                        .as_deref()
                        .and_then(|id| console_url::resource(&stack.region, &r.resource_type, id)),
                })
                .collect();
            print_json(&rows)?;
        }
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
