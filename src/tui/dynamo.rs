//! The DynamoDB effects' tasks: table descriptions, item writes, the export.

use crate::app::dynamo::{DynamoEffect, DynamoMsg};
use std::path::Path;
use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use crate::app::Action;
use crate::app::dynamo::ItemOutcome;
use crate::aws::dynamodb::{self};
use crate::aws::{AwsContext, cloudformation};
use crate::domain::dynamo::table::{ExportSummary, ItemQuery, TableInfo};

/// Does one DynamoDB effect; its result as the action to send.
pub async fn run(fx: DynamoEffect, aws: &AwsContext, tx: &UnboundedSender<Action>) -> Action {
    match fx {
        DynamoEffect::LoadTables {
            request_id,
            stack_id,
            ..
        } => Action::Dynamo(DynamoMsg::TablesLoaded {
            request_id,
            result: load_tables(aws, &stack_id).await,
        }),
        DynamoEffect::LoadPage {
            request_id,
            table,
            query,
            start,
            limit,
            ..
        } => Action::Dynamo(DynamoMsg::PageLoaded {
            request_id,
            result: Box::new(
                dynamodb::page(aws, &table, &query, start.as_ref(), limit, None)
                    .await
                    .map_err(|e| e.to_string()),
            ),
        }),
        DynamoEffect::Export {
            request_id,
            table,
            query,
            path,
            segments,
            page_size,
            cancel,
            ..
        } => Action::Dynamo(DynamoMsg::ExportDone {
            request_id,
            result: export(
                aws, tx, request_id, &table, &query, &path, segments, page_size, cancel,
            )
            .await,
        }),
        DynamoEffect::GetItem {
            request_id,
            table,
            item,
            ..
        } => item_done(
            request_id,
            dynamodb::get_item(aws, &table, &item)
                .await
                .map(ItemOutcome::Reloaded),
        ),
        DynamoEffect::PutItem {
            request_id,
            table,
            old,
            new,
            ..
        } => item_done(
            request_id,
            dynamodb::put_if_unchanged(aws, &table, &old, &new)
                .await
                .map(|()| ItemOutcome::Saved(new)),
        ),
        DynamoEffect::DeleteItem {
            request_id,
            table,
            old,
            ..
        } => item_done(
            request_id,
            dynamodb::delete_if_unchanged(aws, &table, &old)
                .await
                .map(|()| ItemOutcome::Deleted),
        ),
    }
}

/// Describes every DynamoDB table of the stack.
async fn load_tables(aws: &AwsContext, stack_id: &str) -> Result<Vec<TableInfo>, String> {
    let resources = cloudformation::resources(aws, stack_id)
        .await
        .map_err(|e| e.to_string())?;
    let tables: Vec<(String, String)> = resources
        .iter()
        .filter(|r| r.resource_type == "AWS::DynamoDB::Table")
        .filter_map(|r| Some((r.physical_id.clone()?, r.logical_id.clone())))
        .collect();
    dynamodb::describe_tables(aws, &tables)
        .await
        .map_err(|e| e.to_string())
}

/// The answer to a get, conditional put or conditional delete of the opened item.
fn item_done(request_id: u64, result: Result<ItemOutcome, crate::aws::AwsError>) -> Action {
    Action::Dynamo(DynamoMsg::ItemDone {
        request_id,
        result: Box::new(result.map_err(|e| e.to_string())),
    })
}

/// Exports with progress actions on `tx`.
#[allow(clippy::too_many_arguments)] // the fields of one effect
async fn export(
    aws: &AwsContext,
    tx: &UnboundedSender<Action>,
    request_id: u64,
    table: &TableInfo,
    query: &ItemQuery,
    path: &str,
    segments: i32,
    page_size: i32,
    cancel: CancellationToken,
) -> Result<ExportSummary, String> {
    let ptx = tx.clone();
    let progress = Arc::new(move |written| {
        let _ = ptx.send(Action::Dynamo(DynamoMsg::ExportProgress {
            request_id,
            written,
        }));
    });
    dynamodb::export(
        aws,
        table,
        query,
        Path::new(path),
        segments,
        page_size,
        cancel,
        progress,
    )
    .await
    .map_err(|e| e.to_string())
}

impl super::effects::Run for DynamoEffect {
    async fn run(self, env: super::effects::Env) {
        let action = run(self, &env.aws, &env.tx).await;
        let _ = env.tx.send(action);
    }
}
