//! The cost estimates' task.

use super::effects::{Env, Run};
use crate::app::Action;
use crate::app::cost::{CostEffect, CostMsg};
use crate::domain::stack::by_scope;

impl Run for CostEffect {
    /// Estimates on a blocking-pool thread that drives the estimate on the runtime (its
    /// stream of per-resource calls borrows the context, which the compiler cannot prove
    /// `Send` inside a spawned task).
    async fn run(self, env: Env) {
        let Self::Estimate {
            request_id,
            stacks,
            settings,
        } = self;
        let Env {
            aws, contexts, tx, ..
        } = env;
        let handle = tokio::runtime::Handle::current();
        let _ = tokio::task::spawn_blocking(move || {
            let result = handle.block_on(async {
                // Each profile's stacks are measured with its own context (regions apart inside).
                let mut out = Vec::with_capacity(stacks.len());
                for (scope, group) in by_scope(stacks) {
                    let ctx = contexts
                        .for_scope(&aws, &scope)
                        .await
                        .map_err(|e| e.to_string())?;
                    out.extend(
                        crate::aws::cost::estimate(&ctx, &group, &settings)
                            .await
                            .map_err(|e| e.to_string())?,
                    );
                }
                Ok(out)
            });
            let _ = tx.send(Action::Cost(CostMsg::Estimated { request_id, result }));
        })
        .await;
    }
}
