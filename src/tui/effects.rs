//! Starts each effect as a task; every result comes back on the action channel.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;

use super::contexts::Contexts;
use crate::app::{Action, DetailData, Effect};
use crate::aws::{AwsContext, AwsOptions, accounts, cloudformation};
use crate::domain::discovery::TagFilter;
use crate::domain::stack::{Stack, by_scope};

/// Spawns the network work the app asks for.
pub struct Runner {
    tx: UnboundedSender<Action>,
    filters: Arc<Vec<TagFilter>>,
    /// Extra regions to discover in at once (`[discovery] regions`).
    regions: Arc<Vec<String>>,
    /// The session's options and a context per `[discovery] profiles` entry.
    contexts: Contexts,
}

impl Runner {
    /// A runner sending results on `tx`.
    pub fn new(
        tx: UnboundedSender<Action>,
        filters: Vec<TagFilter>,
        regions: Vec<String>,
        profiles: Vec<String>,
        options: AwsOptions,
    ) -> Self {
        Self {
            tx,
            filters: Arc::new(filters),
            regions: Arc::new(regions),
            contexts: Contexts::new(options, profiles),
        }
    }

    /// Starts `effect` in a task (AWS work waits for the session's context). An effect of
    /// a stack's screen runs in that stack's scope: the context of the profile that found
    /// it, in its region.
    pub fn spawn(&self, effect: Effect) {
        match effect {
            Effect::SwitchAws { profile, region } => {
                let opts = self.contexts.switch(profile, region);
                let tx = self.tx.clone();
                let contexts = self.contexts.clone();
                tokio::spawn(async move {
                    let res = match AwsContext::load(&opts).await {
                        Ok(ctx) => {
                            let connection = ctx.connection();
                            contexts.set_session(Arc::new(ctx));
                            Ok(connection)
                        }
                        Err(e) => Err(e.to_string()),
                    };
                    let _ = tx.send(Action::AwsReady(res));
                });
            }
            Effect::ListProfiles => {
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || {
                    let _ = tx.send(Action::ProfilesListed(crate::aws::profiles::list_profiles()));
                });
            }
            other => self.spawn_aws(other),
        }
    }

    fn spawn_aws(&self, effect: Effect) {
        let Some(session) = self.contexts.session() else {
            return;
        };
        if let Effect::LoadCosts {
            request_id,
            stacks,
            settings,
        } = effect
        {
            estimate_costs(
                session,
                self.contexts.clone(),
                request_id,
                stacks,
                *settings,
                self.tx.clone(),
            );
            return;
        }
        let tx = self.tx.clone();
        let filters = Arc::clone(&self.filters);
        let regions = Arc::clone(&self.regions);
        let contexts = self.contexts.clone();
        tokio::spawn(async move {
            let aws = match effect.scope().cloned() {
                Some(scope) => match contexts.for_scope(&session, &scope).await {
                    Ok(ctx) => Arc::new(ctx),
                    Err(e) => {
                        let _ = tx.send(Action::Notice(e.to_string()));
                        return;
                    }
                },
                None => Arc::clone(&session),
            };
            let action = match effect {
                // Done by the event loop itself, never here.
                Effect::CopyToClipboard(_)
                | Effect::CopyNamed { .. }
                | Effect::EditText { .. }
                | Effect::SwitchAws { .. }
                | Effect::ListProfiles
                | Effect::LoadCosts { .. } => return,
                Effect::LoadStacks { request_id } => Action::StacksLoaded {
                    request_id,
                    result: load_shelf(&aws, &contexts, &regions, &filters, &tx).await,
                },
                Effect::LoadDetail {
                    request_id,
                    stack_id,
                    ..
                } => Action::DetailLoaded {
                    request_id,
                    result: Box::new(load_detail(&aws, &stack_id).await),
                },
                Effect::Dynamo(fx) => super::dynamo::run(fx, &aws, &tx).await,
                Effect::S3(_, e) => return super::s3::run(e, &aws, &tx).await,
                Effect::Logs(fx) => return super::logs::run(fx, aws, tx).await,
                Effect::Invoke(_, fx) => return super::invoke::run(*fx, aws, tx).await,
                Effect::Errors(_, fx) => return super::errors::run(*fx, aws, tx).await,
                Effect::Query(_, fx) => return super::query::run(*fx, &aws, &tx).await,
                Effect::Shelf(_, fx) => {
                    // The archive writer's and the restore's futures hold borrows across
                    // stream combinators for which the compiler cannot prove `Send`: they run
                    // on a blocking thread of their own, driven by the same runtime.
                    let handle = tokio::runtime::Handle::current();
                    let _ = tokio::task::spawn_blocking(move || {
                        handle.block_on(super::shelf::run(*fx, aws, filters, tx));
                    })
                    .await;
                    return;
                }
                Effect::LoadActivity { request_id, stacks } => Action::ActivityLoaded {
                    request_id,
                    result: activity(&aws, &contexts, stacks).await,
                },
                Effect::Teardown(fx) => {
                    return super::teardown::effect(fx, &aws, &contexts, &filters, &tx).await;
                }
            };
            let _ = tx.send(action);
        });
    }
}

/// Estimates what `stacks` cost on a blocking-pool thread that drives the estimate on the
/// runtime (its stream of per-resource calls borrows the context, which the compiler cannot
/// prove `Send` inside a spawned task); the answer comes back as `Action::CostsLoaded`.
fn estimate_costs(
    aws: Arc<AwsContext>,
    contexts: Contexts,
    request_id: u64,
    stacks: Vec<Stack>,
    settings: crate::aws::cost::CostSettings,
    tx: UnboundedSender<Action>,
) {
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
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
        let _ = tx.send(Action::CostsLoaded { request_id, result });
    });
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

async fn load_detail(aws: &AwsContext, stack_id: &str) -> Result<DetailData, String> {
    // The context is the stack's own (its profile and region): the runner chose it.
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
