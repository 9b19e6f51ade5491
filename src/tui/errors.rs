//! Runs the errors screen's effects: a stack's error groups, an occurrence's request, and
//! the stack list's ERRORS counts (each stack's count sent back as soon as it is known).

use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;

use crate::app::Action;
use crate::app::errors::{ErrorsEffect, ErrorsMsg, Loaded, action};
use crate::aws::AwsContext;
use crate::aws::errors::{COUNT_CONCURRENCY, Via, count_stacks, occurrence_lines, of_stack};

/// The context of a stack's own region (multi-region discovery).
fn in_region(aws: &Arc<AwsContext>, region: &str) -> Arc<AwsContext> {
    if region.is_empty() || region == aws.region {
        Arc::clone(aws)
    } else {
        Arc::new(aws.with_region(region))
    }
}

/// Does `fx` and sends its result(s) back on `tx`.
pub async fn run(fx: ErrorsEffect, aws: Arc<AwsContext>, tx: UnboundedSender<Action>) {
    match fx {
        ErrorsEffect::Load {
            request_id,
            stack,
            window,
            cancel,
        } => {
            let ctx = in_region(&aws, &stack.region);
            let result = tokio::select! {
                r = of_stack(&ctx, &stack, window, &cancel) => r,
                () = cancel.cancelled() => return,
            };
            let result = result
                .map(|(found, log_groups, functions)| Loaded {
                    groups: found.groups,
                    log_groups,
                    functions,
                    truncated: found.truncated,
                    dropped: found.dropped,
                    insights: found.via == Via::Insights,
                })
                .map_err(|e| e.to_string());
            let _ = tx.send(action(ErrorsMsg::Loaded {
                request_id,
                result: Box::new(result),
            }));
        }
        ErrorsEffect::Occurrence {
            request_id,
            region,
            group,
            at,
        } => {
            let ctx = in_region(&aws, &region);
            let result = occurrence_lines(&ctx, &group, &at)
                .await
                .map_err(|e| e.to_string());
            let _ = tx.send(action(ErrorsMsg::Occurrence { request_id, result }));
        }
        ErrorsEffect::Counts {
            request_id,
            stacks,
            window,
        } => {
            count_stacks(&aws, &stacks, window, COUNT_CONCURRENCY, |id, r| {
                let _ = tx.send(action(ErrorsMsg::Count {
                    request_id,
                    stack_id: id.to_string(),
                    result: r.clone(),
                }));
            })
            .await;
        }
    }
}

impl super::effects::Run for crate::app::Scoped<Box<ErrorsEffect>> {
    async fn run(self, env: super::effects::Env) {
        run(*self.work, env.aws, env.tx).await;
    }
}
