//! Shelving one planned stack from start to end: refuse early what teardown would refuse,
//! write the archive, read it back against its manifest (and, for S3, upload it and read
//! it back again), and only then tear the stack down through the teardown path.

use serde::Serialize;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::{AwsError, ErrorKind, Progress, ProgressFn, ShelveOptions};
use crate::aws::audit::{Audit, Entry};
use crate::aws::teardown::{self, Outcome, Settings, StackPlan};
use crate::aws::{AwsContext, cloudformation, dynamodb};
use crate::domain::archive::{self, Location, Manifest, NotKept, archive_name, template};
use crate::domain::sanitize::sanitize;

/// A table and bucket as the dry run shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PreviewEntry {
    pub logical_id: String,
    pub name: String,
    /// Items (DynamoDB's approximate count) or objects.
    pub count: Option<u64>,
}

/// What shelving a stack would archive, what it cannot keep, and where it would go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Preview {
    pub stack: String,
    pub location: String,
    pub tables: Vec<PreviewEntry>,
    pub buckets: Vec<PreviewEntry>,
    pub log_groups: usize,
    pub no_echo: Vec<String>,
    pub not_kept: Vec<NotKept>,
}

/// Where the archive of `stack` goes inside `to`, named by stack and time.
pub fn target(to: &Location, stack: &str, now: chrono::DateTime<chrono::Utc>) -> Location {
    to.join(&archive_name(stack, now))
}

/// Works out what shelving would keep and lose (reads only).
pub async fn preview(
    ctx: &AwsContext,
    sp: &StackPlan,
    to: &Location,
    opts: &ShelveOptions,
) -> Result<Preview, AwsError> {
    let resources = cloudformation::resources(ctx, &sp.stack.id).await?;
    let body = cloudformation::template(ctx, &sp.stack.id).await?;
    let mut no_echo: Vec<String> = template::parse(&body)
        .map(|t| template::no_echo_params(&t).into_iter().collect())
        .unwrap_or_default();
    no_echo.sort();
    let mut tables = Vec::new();
    for r in resources
        .iter()
        .filter(|r| r.resource_type == "AWS::DynamoDB::Table" && r.status != "DELETE_COMPLETE")
    {
        let name = r.physical_id.clone().unwrap_or_default();
        let count = dynamodb::describe_table(ctx, &name, &r.logical_id)
            .await
            .ok()
            .and_then(|t| t.item_count)
            .map(|n| n.max(0) as u64);
        tables.push(PreviewEntry {
            logical_id: r.logical_id.clone(),
            name,
            count,
        });
    }
    let buckets = resources
        .iter()
        .filter(|r| r.resource_type == "AWS::S3::Bucket" && r.status != "DELETE_COMPLETE")
        .map(|r| {
            let name = r.physical_id.clone().unwrap_or_default();
            let count = sp.plan.buckets.iter().find(|b| b.bucket == name).map(|b| {
                if opts.all_versions {
                    b.versions + b.delete_markers
                } else {
                    b.objects
                }
            });
            PreviewEntry {
                logical_id: r.logical_id.clone(),
                name,
                count,
            }
        })
        .collect();
    let log_groups = if opts.logs.is_some() {
        crate::aws::logs::stack_log_groups(ctx, &sp.stack.id, &resources)
            .await
            .map(|g| g.len())
            .unwrap_or_default()
    } else {
        0
    };
    Ok(Preview {
        stack: sp.stack.name.clone(),
        location: target(to, &sp.stack.name, opts.now).to_string(),
        tables,
        buckets,
        log_groups,
        not_kept: archive::not_kept(&resources, &no_echo, opts.logs.is_some(), opts.all_versions),
        no_echo,
    })
}

/// A stack shelved: where its archive is, what it holds, and how its teardown ended.
#[derive(Debug, Clone, Serialize)]
pub struct Shelved {
    pub location: String,
    pub manifest: Manifest,
    pub outcome: Outcome,
}

/// Everything the teardown half of a shelve needs (the same as `teardown --yes`).
pub struct TeardownRun<'a> {
    pub account: &'a str,
    pub settings: &'a Settings,
    pub audit: &'a Audit,
    pub run_id: &'a str,
}

fn refused(msg: String) -> AwsError {
    AwsError::new(ErrorKind::Invalid, msg)
}

/// Archives the planned stack to `to`, verifies the archive, then tears the stack down.
/// An `Err` means nothing was deleted; `Ok` carries the teardown's outcome, which may
/// itself be a refusal or failure (the archive is kept either way).
pub async fn shelve_stack(
    ctx: &AwsContext,
    sp: &StackPlan,
    to: &Location,
    opts: &ShelveOptions,
    td: &TeardownRun<'_>,
    progress: ProgressFn<'_>,
    cancel: &CancellationToken,
) -> Result<Shelved, AwsError> {
    let name = sanitize(&sp.stack.name).into_owned();
    if !sp.plan.allowed() {
        let mut reasons: Vec<String> = sp.plan.refusals.iter().map(|r| r.reason.clone()).collect();
        reasons.extend(
            sp.plan
                .blocked_by()
                .map(crate::domain::teardown::Blocker::line),
        );
        return Err(refused(format!(
            "refused: {}; nothing was archived or deleted",
            reasons.join("; ")
        )));
    }
    let place = target(to, &sp.stack.name, opts.now);
    let (dir, staged) = match &place {
        Location::Dir(d) => (d.clone(), false),
        Location::S3 { .. } => (super::staging_dir(), true),
    };
    let result =
        archive_and_verify(ctx, sp, td.account, &dir, &place, opts, progress, cancel).await;
    if staged {
        let _ = tokio::fs::remove_dir_all(&dir).await;
    }
    let manifest = match result {
        Ok(m) => m,
        Err(e) => {
            if !staged
                && !tokio::fs::try_exists(dir.join(archive::MANIFEST))
                    .await
                    .unwrap_or(false)
            {
                let _ = tokio::fs::remove_dir_all(&dir).await;
            }
            return Err(AwsError::new(
                e.kind,
                format!("shelving {name} failed: {e}; nothing was deleted"),
            ));
        }
    };
    let location = place.to_string();
    td.audit
        .record(&Entry {
            time: chrono::Utc::now(),
            run: td.run_id,
            account: td.account,
            region: &sp.plan.region,
            stack_id: &sp.stack.id,
            stack_name: &sp.stack.name,
            event: "archived",
            detail: json!({
                "location": &location,
                "files": manifest.files.len(),
                "size_bytes": manifest.size_bytes(),
                "items": manifest.items(),
                "objects": manifest.objects(),
                "not_kept": &manifest.not_kept,
            }),
        })
        .map_err(|e| {
            refused(format!(
                "refused: {e}; the archive is at {location}; nothing was deleted"
            ))
        })?;
    progress(Progress::Phase("tearing the stack down".into()));
    let forward = |p: teardown::Progress| progress(Progress::Teardown(p));
    let outcome = Box::pin(teardown::execute(
        ctx,
        sp,
        td.account,
        td.settings,
        td.audit,
        td.run_id,
        &[],
        &forward,
        cancel,
    ))
    .await;
    Ok(Shelved {
        location,
        manifest,
        outcome,
    })
}

#[allow(clippy::too_many_arguments)]
async fn archive_and_verify(
    ctx: &AwsContext,
    sp: &StackPlan,
    account: &str,
    dir: &std::path::Path,
    place: &Location,
    opts: &ShelveOptions,
    progress: ProgressFn<'_>,
    cancel: &CancellationToken,
) -> Result<Manifest, AwsError> {
    let written =
        super::write_archive(ctx, &sp.stack, account, dir, opts, progress, cancel).await?;
    progress(Progress::Phase("verifying the archive".into()));
    let read = super::verify_dir(dir, progress).await?;
    if read != written {
        return Err(refused(
            "the manifest read back differs from the one written".into(),
        ));
    }
    if let Location::S3 { bucket, prefix } = place {
        super::upload(ctx, dir, &read, bucket, prefix, progress).await?;
        super::verify_remote(ctx, &read, bucket, prefix, progress).await?;
    }
    Ok(read)
}

/// Restores the archive at `from`: an S3 archive is downloaded to a staging folder first
/// (removed at the end); the archive is verified against its manifest before anything is
/// created. `source` in `opts` names it in the restored stack's tags.
pub async fn restore_from(
    ctx: &AwsContext,
    from: &Location,
    opts: &super::RestoreOptions,
    progress: ProgressFn<'_>,
) -> Result<super::RestoreReport, AwsError> {
    let (dir, staged) = match from {
        Location::Dir(d) => (d.clone(), false),
        Location::S3 { bucket, prefix } => {
            let dir = super::staging_dir();
            if let Err(e) = super::download(ctx, bucket, prefix, &dir, progress).await {
                let _ = tokio::fs::remove_dir_all(&dir).await;
                return Err(AwsError::new(e.kind, format!("{e}; nothing was created")));
            }
            (dir, true)
        }
    };
    let result = async {
        progress(Progress::Phase("verifying the archive".into()));
        let manifest = super::verify_dir(&dir, progress).await.map_err(|e| {
            AwsError::new(
                e.kind,
                format!("the archive does not match its manifest: {e}; nothing was created"),
            )
        })?;
        super::restore(ctx, &dir, &manifest, opts, progress).await
    }
    .await;
    if staged {
        let _ = tokio::fs::remove_dir_all(&dir).await;
    }
    result
}
