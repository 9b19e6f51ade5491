//! Shelving one planned stack from start to end: refuse early what teardown would refuse,
//! write the archive, read it back against its manifest (and, for S3, upload it and read
//! it back again), and only then tear the stack down through the teardown path.

use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::{
    AwsError, ErrorKind, Preview, PreviewEntry, Progress, ProgressFn, ShelveOptions, Shelved,
};
use crate::aws::audit::{Audit, Entry};
use crate::aws::teardown::{self, Settings, StackPlan};
use crate::aws::{AwsContext, cloudformation, dynamodb};
use crate::domain::archive::{self, Location, Manifest, archive_name, template};
use crate::domain::sanitize::sanitize;

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
    let mut no_echo: Vec<String> = template::read(&body)
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
    let record = |event: &str, detail: serde_json::Value| {
        td.audit.record(&Entry {
            time: chrono::Utc::now(),
            run: td.run_id,
            account: td.account,
            region: &sp.plan.region,
            stack_id: &sp.stack.id,
            stack_name: &sp.stack.name,
            event,
            detail,
        })
    };
    let interrupted = teardown::unfinished_shelve(td.audit, &sp.stack.id);
    let (location, manifest, kept_from) = if let Some((earlier, location)) = interrupted {
        progress(Progress::Phase(format!(
            "keeping the archive of the interrupted run {earlier}, whose teardown had begun"
        )));
        let manifest = verify_existing(ctx, &location, progress).await.map_err(|e| {
                AwsError::new(
                    e.kind,
                    format!(
                        "shelving {name} stopped: the archive {} of the interrupted run {earlier} does not verify ({e}); nothing more was deleted",
                        sanitize(&location)
                    ),
                )
            })?;
        (location, manifest, Some(earlier))
    } else {
        let last = std::sync::Mutex::new(None::<String>);
        let mark = |step: &str, location: &str| {
            let _ = record("shelve_step", json!({"step": step, "location": location}));
            if let Ok(mut l) = last.lock() {
                *l = Some(step.to_string());
            }
            crate::aws::audit::stall_if_asked(step, cancel);
        };
        match fresh_archive(ctx, sp, to, opts, td.account, &mark, progress, cancel).await {
            Ok((location, manifest)) => (location, manifest, None),
            Err(e) => {
                let last_step = last.lock().ok().and_then(|l| l.clone());
                let msg = format!("shelving {name} failed: {e}; nothing was deleted");
                let _ = record(
                    "shelve_stopped",
                    json!({"error": &msg, "last_step": last_step}),
                );
                return Err(AwsError::new(e.kind, msg));
            }
        }
    };
    record(
        "archived",
        json!({
            "location": &location,
            "files": manifest.files.len(),
            "size_bytes": manifest.size_bytes(),
            "items": manifest.items(),
            "objects": manifest.objects(),
            "not_kept": &manifest.not_kept,
            "kept_from": kept_from,
        }),
    )
    .map_err(|e| {
        refused(format!(
            "refused: {e}; the archive is at {location}; nothing was deleted"
        ))
    })?;
    crate::aws::audit::stall_if_asked("archived", cancel);
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

/// Writes a new archive of the stack under `to` and verifies it: its location and manifest.
/// `mark` records each step done. A failed write leaves no folder without a manifest.
#[allow(clippy::too_many_arguments)]
async fn fresh_archive(
    ctx: &AwsContext,
    sp: &StackPlan,
    to: &Location,
    opts: &ShelveOptions,
    account: &str,
    mark: &(dyn Fn(&str, &str) + Sync),
    progress: ProgressFn<'_>,
    cancel: &CancellationToken,
) -> Result<(String, Manifest), AwsError> {
    let mut place = target(to, &sp.stack.name, opts.now);
    // A rerun within the same second as a killed run: the next free name, never its folder.
    for n in 2..100 {
        let Location::Dir(d) = &place else { break };
        if !tokio::fs::try_exists(d).await.unwrap_or(false) {
            break;
        }
        place = to.join(&format!("{}-{n}", archive_name(&sp.stack.name, opts.now)));
    }
    let (dir, staged) = match &place {
        Location::Dir(d) => (d.clone(), false),
        Location::S3 { .. } => (super::staging_dir(), true),
    };
    let location = place.to_string();
    let result = archive_and_verify(
        ctx,
        sp,
        account,
        &dir,
        &place,
        opts,
        &|step| mark(step, &location),
        progress,
        cancel,
    )
    .await;
    if staged {
        let _ = tokio::fs::remove_dir_all(&dir).await;
    }
    if result.is_err()
        && !staged
        && !tokio::fs::try_exists(dir.join(archive::MANIFEST))
            .await
            .unwrap_or(false)
    {
        let _ = tokio::fs::remove_dir_all(&dir).await;
    }
    result.map(|m| (location, m))
}

/// Reads an archive written earlier back against its manifest (an S3 one through a staging
/// folder).
async fn verify_existing(
    ctx: &AwsContext,
    location: &str,
    progress: ProgressFn<'_>,
) -> Result<Manifest, AwsError> {
    let place: Location = location
        .parse()
        .map_err(|e: String| AwsError::new(ErrorKind::Invalid, e))?;
    match place {
        Location::Dir(d) => super::verify_dir(&d, progress).await,
        Location::S3 { bucket, prefix } => {
            let dir = super::staging_dir();
            let read = match super::download(ctx, &bucket, &prefix, &dir, progress).await {
                Ok(()) => super::verify_dir(&dir, progress).await,
                Err(e) => Err(e),
            };
            let _ = tokio::fs::remove_dir_all(&dir).await;
            read
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn archive_and_verify(
    ctx: &AwsContext,
    sp: &StackPlan,
    account: &str,
    dir: &std::path::Path,
    place: &Location,
    opts: &ShelveOptions,
    mark: &(dyn Fn(&str) + Sync),
    progress: ProgressFn<'_>,
    cancel: &CancellationToken,
) -> Result<Manifest, AwsError> {
    let written =
        super::write_archive(ctx, &sp.stack, account, dir, opts, progress, cancel).await?;
    mark("archive_written");
    progress(Progress::Phase("verifying the archive".into()));
    let read = super::verify_dir(dir, progress).await?;
    if read != written {
        return Err(refused(
            "the manifest read back differs from the one written".into(),
        ));
    }
    mark("archive_verified");
    if let Location::S3 { bucket, prefix } = place {
        super::upload(ctx, dir, &read, bucket, prefix, progress).await?;
        mark("archive_uploaded");
        super::verify_remote(ctx, &read, bucket, prefix, progress).await?;
        mark("upload_verified");
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
