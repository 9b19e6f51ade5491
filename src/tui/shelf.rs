//! The console's shelf tasks: plan and preview a shelve, run it, list archives, restore
//! one; progress streams back as actions.

use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;

use crate::app::Action;
use crate::app::shelf::{Planned, ShelfEffect, ShelfMsg};
use crate::aws::audit::{Audit, random_id};
use crate::aws::shelve::{self, Progress, TeardownRun};
use crate::aws::{AwsContext, AwsError, ErrorKind, cloudformation, teardown};
use crate::domain::archive::Location;
use crate::domain::discovery::TagFilter;
use crate::domain::sanitize::sanitize;
use crate::domain::stack::Stack;
use crate::domain::teardown::run::Settings;

/// Runs one shelf effect to its end; the last action it sends is its result.
pub async fn run(
    fx: ShelfEffect,
    aws: Arc<AwsContext>,
    filters: Arc<Vec<TagFilter>>,
    tx: UnboundedSender<Action>,
) {
    let send = |m: ShelfMsg| {
        let _ = tx.send(Action::Shelf(m));
    };
    match fx {
        ShelfEffect::Preview {
            request_id,
            stack,
            mut settings,
            to,
            opts,
        } => {
            settings.filters.clone_from(&filters);
            let result = plan(&aws, stack, &settings, &to, &opts)
                .await
                .map_err(|e| e.to_string());
            send(ShelfMsg::Previewed {
                request_id,
                result: Box::new(result),
            });
        }
        ShelfEffect::Shelve {
            request_id,
            plan,
            account,
            mut settings,
            to,
            opts,
            cancel,
        } => {
            settings.filters.clone_from(&filters);
            let Some(path) = Audit::default_path() else {
                send(ShelfMsg::Shelved {
                    request_id,
                    result: Box::new(Err("refused: no data dir for the audit log".into())),
                });
                return;
            };
            let audit = Audit::new(path);
            let run_id = random_id();
            let td = TeardownRun {
                account: &account,
                settings: &settings,
                audit: &audit,
                run_id: &run_id,
            };
            let ptx = tx.clone();
            let progress = move |progress: Progress| {
                let _ = ptx.send(Action::Shelf(ShelfMsg::Progress {
                    request_id,
                    progress,
                }));
            };
            let result = Box::pin(shelve::shelve_stack(
                &aws, &plan, &to, &opts, &td, &progress, &cancel,
            ))
            .await
            .map_err(|e| e.to_string());
            send(ShelfMsg::Shelved {
                request_id,
                result: Box::new(result),
            });
        }
        ShelfEffect::List { request_id, places } => {
            let result = shelve::list_archives_of(&aws, &places)
                .await
                .map_err(|e| e.to_string());
            send(ShelfMsg::Listed { request_id, result });
        }
        ShelfEffect::Restore {
            request_id,
            archive,
            opts,
        } => {
            let ptx = tx.clone();
            let progress = move |progress: Progress| {
                let _ = ptx.send(Action::Shelf(ShelfMsg::Progress {
                    request_id,
                    progress,
                }));
            };
            let result = shelve::restore_from(&aws, &archive, &opts, &progress)
                .await
                .map_err(|e| format!("restore failed: {e}"));
            send(ShelfMsg::Restored {
                request_id,
                result: Box::new(result),
            });
        }
    }
}

/// The teardown plan of `stack`, the refusal of an archive bucket of its own, and the
/// preview of what the archive keeps.
async fn plan(
    aws: &AwsContext,
    stack: Stack,
    settings: &Settings,
    to: &Location,
    opts: &shelve::ShelveOptions,
) -> Result<Planned, AwsError> {
    let (account, plans) = Box::pin(teardown::plan_many(aws, vec![stack], settings)).await?;
    let plan = plans
        .into_iter()
        .next()
        .ok_or_else(|| AwsError::new(ErrorKind::NotFound, "the stack is gone"))?;
    if let Location::S3 { bucket, .. } = to {
        let own = cloudformation::resources(aws, &plan.stack.id).await?;
        if own.iter().any(|r| {
            r.resource_type == "AWS::S3::Bucket"
                && r.physical_id.as_deref() == Some(bucket.as_str())
        }) {
            return Err(AwsError::new(
                ErrorKind::Invalid,
                format!(
                    "refused: the archive location s3://{} is a bucket of this stack, which shelving deletes: set [shelve] locations to a bucket outside it",
                    sanitize(bucket)
                ),
            ));
        }
    }
    let preview = shelve::preview(aws, &plan, to, opts).await?;
    Ok(Planned {
        account,
        plan,
        preview,
    })
}

impl super::effects::Run for crate::app::shelf::ShelfWork {
    /// The archive writer's and the restore's futures hold borrows across stream
    /// combinators for which the compiler cannot prove `Send`: they run on a blocking thread
    /// of their own, driven by the same runtime.
    async fn run(self, env: super::effects::Env) {
        let handle = tokio::runtime::Handle::current();
        let _ = tokio::task::spawn_blocking(move || {
            handle.block_on(run(*self.work, env.aws, env.filters, env.tx));
        })
        .await;
    }
}
