//! Starts each effect as a task; every result comes back on the action channel.

use std::sync::{Arc, Mutex};

use tokio::sync::mpsc::UnboundedSender;

use crate::app::{Action, DetailData, Effect};
use crate::aws::{AwsContext, AwsOptions, cloudformation};
use crate::domain::discovery::TagFilter;

/// Spawns the network work the app asks for.
pub struct Runner {
    tx: UnboundedSender<Action>,
    filters: Arc<Vec<TagFilter>>,
    /// Extra regions to discover in at once (`[discovery] regions`).
    regions: Arc<Vec<String>>,
    /// The connection options, changed by profile/region switches.
    options: Mutex<AwsOptions>,
}

impl Runner {
    /// A runner sending results on `tx`.
    pub fn new(
        tx: UnboundedSender<Action>,
        filters: Vec<TagFilter>,
        regions: Vec<String>,
        options: AwsOptions,
    ) -> Self {
        Self {
            tx,
            filters: Arc::new(filters),
            regions: Arc::new(regions),
            options: Mutex::new(options),
        }
    }

    /// Starts `effect` in a task (AWS work waits for an AWS context).
    pub fn spawn(&self, effect: Effect, aws: Option<Arc<AwsContext>>) {
        match effect {
            Effect::SwitchAws { profile, region } => {
                let opts = {
                    let mut o = self
                        .options
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    if profile.is_some() {
                        o.profile = profile;
                    }
                    if region.is_some() {
                        o.region = region;
                    }
                    o.clone()
                };
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    let res = AwsContext::load(&opts)
                        .await
                        .map(Arc::new)
                        .map_err(|e| e.to_string());
                    let _ = tx.send(Action::AwsReady(res));
                });
            }
            Effect::ListProfiles => {
                let tx = self.tx.clone();
                tokio::task::spawn_blocking(move || {
                    let _ = tx.send(Action::ProfilesListed(crate::aws::profiles::list_profiles()));
                });
            }
            other => self.spawn_aws(other, aws),
        }
    }

    fn spawn_aws(&self, effect: Effect, aws: Option<Arc<AwsContext>>) {
        let Some(aws) = aws else {
            return;
        };
        let tx = self.tx.clone();
        let filters = Arc::clone(&self.filters);
        let regions = Arc::clone(&self.regions);
        tokio::spawn(async move {
            let action = match effect {
                // Done by the event loop itself, never here.
                Effect::CopyToClipboard(_)
                | Effect::CopyNamed { .. }
                | Effect::EditText { .. }
                | Effect::SwitchAws { .. }
                | Effect::ListProfiles => return,
                Effect::LoadStacks { request_id } => Action::StacksLoaded {
                    request_id,
                    result: cloudformation::discover_in_regions(&aws, &regions, &filters)
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
                Effect::S3(e) => return super::s3_effects::run(e, &aws, &tx).await,
                Effect::LoadLogGroups {
                    request_id,
                    stack_name,
                    stack_id,
                    function,
                } => Action::LogGroupsLoaded {
                    request_id,
                    result: async {
                        let resources = cloudformation::resources(&aws, &stack_id).await?;
                        crate::aws::logs::groups_for(
                            &aws,
                            &stack_name,
                            &resources,
                            function.as_deref(),
                        )
                        .await
                    }
                    .await
                    .map_err(|e| e.to_string()),
                },
                Effect::FollowLogs {
                    request_id,
                    groups,
                    opts,
                    cancel,
                } => {
                    let (ttx, mut trx) = tokio::sync::mpsc::unbounded_channel();
                    let fwd = tx.clone();
                    let forward = async move {
                        while let Some(msg) = trx.recv().await {
                            if fwd.send(Action::LogsTail { request_id, msg }).is_err() {
                                break;
                            }
                        }
                    };
                    let tail = async move {
                        crate::aws::logs::follow(&aws, &groups, &opts, &cancel, &ttx).await;
                    };
                    tokio::join!(tail, forward);
                    return;
                }
                Effect::Invoke(fx) => return super::invoke::run(*fx, aws, tx).await,
                Effect::Shelf(fx) => {
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
                    result: crate::aws::activity::activity_of(
                        &aws,
                        &stacks,
                        crate::aws::activity::DEFAULT_CONCURRENCY,
                    )
                    .await,
                },
                Effect::PlanTeardown {
                    request_id,
                    stacks,
                    mut settings,
                } => {
                    settings.filters.clone_from(&filters);
                    Action::TeardownPlanned {
                        request_id,
                        result: Box::new(
                            crate::aws::teardown::plan_many(&aws, stacks, &settings)
                                .await
                                .map_err(|e| e.to_string()),
                        ),
                    }
                }
                Effect::RunTeardown {
                    plans,
                    account,
                    mut settings,
                    cancel,
                } => {
                    settings.filters.clone_from(&filters);
                    super::teardown::run(&aws, &plans, &account, &settings, &cancel, &tx).await;
                    Action::TeardownFinished
                }
            };
            let _ = tx.send(action);
        });
    }
}

async fn load_detail(aws: &AwsContext, stack_id: &str) -> Result<DetailData, String> {
    // The stack's own region: `App::context_for` chose the context.
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
