//! The logs screen's tasks: finding a stack's (or one function's) log groups, following them.

use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;

use crate::app::Action;
use crate::app::logs::{LogsEffect, LogsMsg};
use crate::aws::{AwsContext, cloudformation};

/// Does one logs effect; every result goes back on `tx`. A follow runs until its token is
/// cancelled (the screen closed or paused the tail).
pub async fn run(fx: LogsEffect, aws: Arc<AwsContext>, tx: UnboundedSender<Action>) {
    match fx {
        LogsEffect::LoadGroups {
            request_id,
            stack_name,
            stack_id,
            function,
            ..
        } => {
            let result = async {
                let resources = cloudformation::resources(&aws, &stack_id).await?;
                crate::aws::logs::groups_for(&aws, &stack_name, &resources, function.as_deref())
                    .await
            }
            .await
            .map_err(|e| e.to_string());
            let _ = tx.send(Action::Logs(LogsMsg::GroupsLoaded { request_id, result }));
        }
        LogsEffect::Follow {
            request_id,
            groups,
            opts,
            cancel,
            ..
        } => {
            let (ttx, mut trx) = tokio::sync::mpsc::unbounded_channel();
            let forward = async move {
                while let Some(msg) = trx.recv().await {
                    if tx
                        .send(Action::Logs(LogsMsg::Tail { request_id, msg }))
                        .is_err()
                    {
                        break;
                    }
                }
            };
            let tail = async move {
                crate::aws::logs::follow(&aws, &groups, &opts, &cancel, &ttx).await;
            };
            tokio::join!(tail, forward);
        }
    }
}

impl super::effects::Run for LogsEffect {
    async fn run(self, env: super::effects::Env) {
        run(self, env.aws, env.tx).await;
    }
}
