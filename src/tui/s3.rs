//! The S3 tasks: each runs `aws::s3` and sends its results (and progress) back as actions.

use tokio::sync::mpsc::UnboundedSender;

use crate::app::Action;
use crate::app::s3::{BucketInfo, S3Action, S3Effect};
use crate::aws::{AwsContext, cloudformation, s3};

fn send(tx: &UnboundedSender<Action>, a: S3Action) {
    let _ = tx.send(Action::S3(a));
}

/// Runs one S3 effect to its end (progress actions on the way).
pub async fn run(effect: S3Effect, aws: &AwsContext, tx: &UnboundedSender<Action>) {
    match effect {
        S3Effect::LoadBuckets {
            request_id,
            stack_id,
        } => {
            let result = load_buckets(aws, &stack_id).await;
            send(tx, S3Action::BucketsLoaded { request_id, result });
        }
        S3Effect::Count { bucket, cancel } => {
            let res = s3::count(aws, &bucket, "", &cancel, |stats| {
                send(
                    tx,
                    S3Action::CountProgress {
                        bucket: bucket.clone(),
                        stats,
                        done: false,
                    },
                );
            })
            .await;
            match res {
                Ok(stats) => send(
                    tx,
                    S3Action::CountProgress {
                        bucket,
                        stats,
                        done: true,
                    },
                ),
                Err(e) => send(
                    tx,
                    S3Action::CountFailed {
                        bucket,
                        error: e.to_string(),
                    },
                ),
            }
        }
        S3Effect::ListPage {
            request_id,
            bucket,
            prefix,
            token,
        } => {
            let result = s3::list_page(
                aws,
                &bucket,
                &prefix,
                Some("/"),
                token.as_deref(),
                s3::PAGE_KEYS,
            )
            .await
            .map_err(|e| e.to_string());
            send(tx, S3Action::PageLoaded { request_id, result });
        }
        S3Effect::LoadObject {
            request_id,
            bucket,
            key,
            version_id,
            preview_bytes,
        } => {
            let result = async {
                let head = s3::head(aws, &bucket, &key, version_id.as_deref()).await?;
                let p = s3::preview(
                    aws,
                    &bucket,
                    &key,
                    version_id.as_deref(),
                    head.size,
                    preview_bytes,
                )
                .await?;
                Ok::<_, crate::aws::AwsError>((head, p))
            }
            .await
            .map_err(|e| e.to_string());
            send(tx, S3Action::ObjectLoaded { request_id, result });
        }
        S3Effect::LoadVersions {
            request_id,
            bucket,
            key,
            exact,
        } => {
            let result = s3::versions(aws, &bucket, &key, exact, crate::app::s3::VERSIONS_LIMIT)
                .await
                .map_err(|e| e.to_string());
            send(tx, S3Action::VersionsLoaded { request_id, result });
        }
        S3Effect::Download {
            id,
            bucket,
            key,
            version_id,
            path,
            cancel,
        } => {
            let result = s3::download(
                aws,
                &bucket,
                &key,
                version_id.as_deref(),
                &path,
                &cancel,
                |p| {
                    send(
                        tx,
                        S3Action::DownloadProgress {
                            id,
                            done: p.done,
                            total: p.total,
                        },
                    );
                },
            )
            .await
            .map_err(|e| format!("{e:#}"));
            send(tx, S3Action::DownloadFinished { id, result });
        }
        S3Effect::Presign {
            bucket,
            key,
            version_id,
            expiry,
        } => {
            let result = s3::presign_get(aws, &bucket, &key, version_id.as_deref(), expiry)
                .await
                .map_err(|e| e.to_string());
            send(tx, S3Action::Presigned(result));
        }
    }
}

async fn load_buckets(aws: &AwsContext, stack_id: &str) -> Result<Vec<BucketInfo>, String> {
    let resources = cloudformation::resources(aws, stack_id)
        .await
        .map_err(|e| e.to_string())?;
    let buckets = s3::stack_buckets(&resources);
    let statuses =
        futures::future::join_all(buckets.iter().map(|b| s3::versioning(aws, &b.name))).await;
    Ok(buckets
        .into_iter()
        .zip(statuses)
        .map(|(bucket, v)| BucketInfo {
            bucket,
            // Unreadable (no permission): shown as unknown rather than failing the list.
            versioning: v.unwrap_or_else(|_| Some("?".into())),
            stats: None,
            counting: false,
            count_error: None,
        })
        .collect())
}

impl super::effects::Run for crate::app::Scoped<S3Effect> {
    async fn run(self, env: super::effects::Env) {
        run(self.work, &env.aws, &env.tx).await;
    }
}
