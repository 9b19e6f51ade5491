//! Starts each effect as a task; every result comes back on the action channel.

use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;

use crate::app::{Action, DetailData, Effect};
use crate::aws::{AwsContext, cloudformation};
use crate::domain::discovery::TagFilter;

/// Spawns the network work the app asks for.
pub struct Runner {
    tx: UnboundedSender<Action>,
    filters: Arc<Vec<TagFilter>>,
}

impl Runner {
    /// A runner sending results on `tx`.
    pub fn new(tx: UnboundedSender<Action>, filters: Vec<TagFilter>) -> Self {
        Self {
            tx,
            filters: Arc::new(filters),
        }
    }

    /// Starts `effect` in a task (nothing happens without an AWS context yet).
    pub fn spawn(&self, effect: Effect, aws: Option<Arc<AwsContext>>) {
        let Some(aws) = aws else {
            return;
        };
        let tx = self.tx.clone();
        let filters = Arc::clone(&self.filters);
        tokio::spawn(async move {
            let action = match effect {
                // Done by the event loop itself, never here.
                Effect::CopyToClipboard(_) | Effect::EditText { .. } => return,
                Effect::LoadStacks { request_id } => Action::StacksLoaded {
                    request_id,
                    result: cloudformation::discover(&aws, &filters)
                        .await
                        .map_err(|e| e.to_string()),
                },
                Effect::LoadDetail {
                    request_id,
                    stack_id,
                } => Action::DetailLoaded {
                    request_id,
                    result: Box::new(load_detail(&aws, &stack_id).await),
                },
                // ── dynamodb (issue 3) ──
                Effect::LoadDynamoTables {
                    request_id,
                    stack_id,
                } => Action::DynamoTablesLoaded {
                    request_id,
                    result: super::dynamo_effects::load_tables(&aws, &stack_id).await,
                },
                Effect::LoadDynamoPage {
                    request_id,
                    table,
                    query,
                    start,
                    limit,
                } => Action::DynamoPageLoaded {
                    request_id,
                    result: Box::new(
                        crate::aws::dynamodb::page(
                            &aws,
                            &table,
                            &query,
                            start.as_ref(),
                            limit,
                            None,
                        )
                        .await
                        .map_err(|e| e.to_string()),
                    ),
                },
                e @ (Effect::GetDynamoItem { .. }
                | Effect::PutDynamoItem { .. }
                | Effect::DeleteDynamoItem { .. }) => {
                    super::dynamo_effects::item_write(&aws, e).await
                }
                Effect::ExportDynamo {
                    request_id,
                    table,
                    query,
                    path,
                    segments,
                    page_size,
                    cancel,
                } => Action::DynamoExportDone {
                    request_id,
                    result: super::dynamo_effects::export(
                        &aws, &tx, request_id, &table, &query, &path, segments, page_size, cancel,
                    )
                    .await,
                },
                // ── s3 (issue 4) ──
                // ── logs (issue 5) ──
                // ── invoke (issue 6) ──
                // ── teardown (issue 7) ──
            };
            let _ = tx.send(action);
        });
    }
}

async fn load_detail(aws: &AwsContext, stack_id: &str) -> Result<DetailData, String> {
    let (stack, resources, events) = tokio::join!(
        cloudformation::describe(aws, stack_id),
        cloudformation::resources(aws, stack_id),
        cloudformation::events(aws, stack_id, 50),
    );
    let stack = stack
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "the stack no longer exists".to_string())?;
    Ok(DetailData {
        stack,
        resources: resources.map_err(|e| e.to_string())?,
        events: events.map_err(|e| e.to_string())?,
    })
}
