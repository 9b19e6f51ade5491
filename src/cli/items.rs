//! `protoctl items STACK`: a table's items as JSON lines (plain JSON, exact numbers), or a
//! sanitised table for people; `--export PATH` writes JSON lines with parallel scan segments.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;
use tokio_util::sync::CancellationToken;

use super::Context;
use super::output::print_table;
use crate::aws::cloudformation;
use crate::aws::dynamodb::{self, Filter, FilterOp, ItemQuery, SkOp, TableInfo};
use crate::cli::OutputFormat;
use crate::domain::dynamo::{Item, cell_text};

/// The options of `items`.
#[derive(Debug, Clone, Args)]
pub struct ItemsArgs {
    /// Stack name or id
    pub stack: String,
    /// Table: logical id or physical name (optional when the stack has one table)
    #[arg(long, value_name = "T")]
    pub table: Option<String>,
    /// Read a GSI or LSI instead of the base table
    #[arg(long, value_name = "I")]
    pub index: Option<String>,
    /// Partition-key value: Query instead of Scan
    #[arg(long, value_name = "V")]
    pub pk: Option<String>,
    /// Sort key begins with this prefix (needs --pk)
    #[arg(long, value_name = "P", requires = "pk")]
    pub sk_begins_with: Option<String>,
    /// Newest first: descending sort-key order (queries only)
    #[arg(long, requires = "pk")]
    pub desc: bool,
    /// Server-side filter: "ATTR OP [VALUE]" with OP one of = <> < <= > >= contains
    /// begins_with exists not_exists ("quoted" values are strings, numbers are N)
    #[arg(long, value_name = "EXPR")]
    pub filter: Option<String>,
    /// Stop after N items
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// Write every item to this JSON-lines file (parallel scan segments for full tables)
    #[arg(long, value_name = "PATH", conflicts_with = "limit")]
    pub export: Option<PathBuf>,
}

/// Parses `ATTR OP [VALUE]`.
pub fn parse_filter(text: &str) -> Result<Filter, String> {
    let mut parts = text.trim().splitn(3, char::is_whitespace);
    let attr = parts.next().unwrap_or("").to_string();
    let op_text = parts.next().unwrap_or("");
    let value = parts.next().unwrap_or("").trim().to_string();
    let op = FilterOp::ALL
        .into_iter()
        .find(|o| o.label() == op_text)
        .ok_or_else(|| {
            format!(
                "--filter: unknown operator {op_text:?} (use one of: {})",
                FilterOp::ALL.map(FilterOp::label).join(" ")
            )
        })?;
    if attr.is_empty() {
        return Err("--filter: expected \"ATTR OP [VALUE]\"".into());
    }
    if op.needs_value() && value.is_empty() {
        return Err(format!("--filter: {} needs a value", op.label()));
    }
    Ok(Filter { attr, op, value })
}

/// Resolves the stack and describes the picked table.
pub async fn table_for(
    ctx: &Context,
    stack: &str,
    wanted: Option<&str>,
) -> anyhow::Result<TableInfo> {
    let stack = cloudformation::resolve(&ctx.aws, stack, &ctx.filters).await?;
    let resources = cloudformation::resources(&ctx.aws, &stack.id).await?;
    let r = cloudformation::pick_resource(
        &resources,
        "AWS::DynamoDB::Table",
        "table",
        &stack.name,
        wanted,
    )?;
    let name = r
        .physical_id
        .clone()
        .unwrap_or_else(|| r.logical_id.clone());
    Ok(dynamodb::describe_table(&ctx.aws, &name, &r.logical_id).await?)
}

/// Prints the items of one table (or writes them to `--export`).
pub async fn run(ctx: &Context, args: &ItemsArgs) -> anyhow::Result<ExitCode> {
    let filter = args
        .filter
        .as_deref()
        .map(parse_filter)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let table = table_for(ctx, &args.stack, args.table.as_deref()).await?;
    if let Some(ix) = &args.index
        && !table.indexes.iter().any(|i| &i.name == ix)
    {
        let names: Vec<&str> = table.indexes.iter().map(|i| i.name.as_str()).collect();
        anyhow::bail!(
            "table {} has no index {:?} (it has: {})",
            table.name,
            ix,
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        );
    }
    let q = ItemQuery {
        index: args.index.clone(),
        pk: args.pk.clone(),
        sk: args
            .sk_begins_with
            .clone()
            .map(|p| (SkOp::BeginsWith, p, String::new())),
        descending: args.desc,
        filter,
    };
    // Headless reads take DynamoDB's own 1 MB pages (no Limit): the fewest requests. The
    // console's smaller `[dynamodb] page_size` is for interactive paging.
    let page_size = args
        .limit
        .map_or(0, |l| i32::try_from(l.min(1000)).unwrap_or(1000));
    if let Some(path) = &args.export {
        let summary = dynamodb::export(
            &ctx.aws,
            &table,
            &q,
            path,
            ctx.config.dynamodb.export_segments,
            page_size,
            CancellationToken::new(),
            Arc::new(|_| {}),
        )
        .await?;
        eprintln!(
            "exported {} items ({} bytes) from {} to {}",
            summary.items,
            summary.bytes,
            table.name,
            crate::domain::sanitize::sanitize(&path.display().to_string())
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mut start: Option<Item> = None;
    let mut count = 0u64;
    let mut table_rows: Vec<Item> = Vec::new();
    let mut out = std::io::stdout().lock();
    loop {
        let page = dynamodb::page(&ctx.aws, &table, &q, start.as_ref(), page_size, None).await?;
        for item in page.items {
            if args.limit.is_some_and(|l| count >= l) {
                break;
            }
            count += 1;
            match ctx.output {
                OutputFormat::Json => {
                    if let Err(e) = out.write_all(dynamodb::json_line(&item).as_bytes()) {
                        if e.kind() == std::io::ErrorKind::BrokenPipe {
                            return Ok(ExitCode::SUCCESS);
                        }
                        return Err(e.into());
                    }
                }
                OutputFormat::Table => table_rows.push(item),
            }
        }
        if args.limit.is_some_and(|l| count >= l) {
            break;
        }
        match page.last_key {
            Some(k) => start = Some(k),
            None => break,
        }
    }
    if let Err(e) = out.flush()
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(e.into());
    }
    drop(out);
    if ctx.output == OutputFormat::Table {
        let mut counts = std::collections::BTreeMap::new();
        for it in &table_rows {
            for k in it.keys() {
                *counts.entry(k.clone()).or_insert(0usize) += 1;
            }
        }
        let keys = match table.keys_of(q.index.as_deref()) {
            Some((pk, sk)) => {
                let mut v = vec![pk.name];
                v.extend(sk.map(|s| s.name));
                v
            }
            None => table.key_names(),
        };
        let cols = dynamodb::common_columns(&counts, &keys, 8);
        let rows: Vec<Vec<String>> = table_rows
            .iter()
            .map(|it| {
                cols.iter()
                    .map(|c| it.get(c).map_or_else(|| "-".into(), |a| cell_text(a, 40)))
                    .collect()
            })
            .collect();
        let headers: Vec<&str> = cols.iter().map(String::as_str).collect();
        print_table(&headers, &rows)?;
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse() {
        let f = parse_filter("status = SHIPPED").unwrap();
        assert_eq!(
            (f.attr.as_str(), f.op, f.value.as_str()),
            ("status", FilterOp::Eq, "SHIPPED")
        );
        let f = parse_filter("note exists").unwrap();
        assert_eq!(f.op, FilterOp::Exists);
        let f = parse_filter("note contains ring twice").unwrap();
        assert_eq!(f.value, "ring twice");
        assert!(
            parse_filter("qty ~ 3")
                .unwrap_err()
                .contains("unknown operator")
        );
        assert!(parse_filter("qty >").unwrap_err().contains("needs a value"));
    }
}
