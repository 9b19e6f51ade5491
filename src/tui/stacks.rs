//! The stack list's tasks: finding the shelf's stacks, and their activity.

use std::collections::BTreeMap;

use tokio::sync::mpsc::UnboundedSender;

use super::contexts::Contexts;
use super::effects::{Env, Run};
use crate::app::Action;
use crate::app::stacks::{StacksEffect, StacksMsg};
use crate::aws::{AwsContext, accounts, cloudformation};
use crate::domain::discovery::TagFilter;
use crate::domain::stack::{Stack, by_scope};

impl Run for StacksEffect {
    async fn run(self, env: Env) {
        let msg = match self {
            Self::Load { request_id } => StacksMsg::Loaded {
                request_id,
                result: load_shelf(&env.aws, &env.contexts, &env.regions, &env.filters, &env.tx)
                    .await,
            },
            Self::Activity { request_id, stacks } => StacksMsg::Activity {
                request_id,
                result: activity(&env.aws, &env.contexts, stacks).await,
            },
        };
        let _ = env.tx.send(Action::Stacks(msg));
    }
}

/// The stacks of the shelf: the session's (in each of `[discovery] regions`), or with
/// `[discovery] profiles` those of every profile and region in parallel; a profile that
/// cannot be read is a notice and the others are still listed.
async fn load_shelf(
    aws: &AwsContext,
    contexts: &Contexts,
    regions: &[String],
    filters: &[TagFilter],
    tx: &UnboundedSender<Action>,
) -> Result<Vec<Stack>, String> {
    if contexts.profiles().is_empty() {
        return cloudformation::discover_in_regions(aws, regions, filters)
            .await
            .map_err(|e| e.to_string());
    }
    let (places, mut failed) = contexts.places().await;
    let (found, unread) = accounts::discover_each(&places, regions, filters).await;
    failed.extend(unread);
    if places.is_empty() {
        let all: Vec<String> = failed.iter().map(ToString::to_string).collect();
        return Err(all.join("; "));
    }
    for e in failed {
        let _ = tx.send(Action::Notice(e.to_string()));
    }
    Ok(found.into_iter().map(|l| l.stack).collect())
}

/// The activity of the listed stacks, each group read in its own account and region.
async fn activity(
    aws: &AwsContext,
    contexts: &Contexts,
    stacks: Vec<Stack>,
) -> BTreeMap<String, Result<Vec<chrono::DateTime<chrono::Utc>>, String>> {
    let groups = by_scope(stacks);
    let done = futures::future::join_all(groups.iter().map(|(scope, group)| async move {
        match contexts.for_scope(aws, scope).await {
            Ok(ctx) => {
                crate::aws::activity::activity_of(
                    &ctx,
                    group,
                    crate::aws::activity::DEFAULT_CONCURRENCY,
                )
                .await
            }
            Err(e) => group
                .iter()
                .map(|s| (s.id.clone(), Err(e.to_string())))
                .collect(),
        }
    }))
    .await;
    done.into_iter().flatten().collect()
}
