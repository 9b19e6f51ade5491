//! Restoring a stack from a verified archive folder: check that nothing is in the way,
//! create the stack (in two phases when its code lives in its own deployment bucket), load
//! every table and bucket back, and check counts and checksums.

use std::path::Path;

use aws_sdk_cloudformation::types::{Capability, Parameter, Tag};

use super::{AwsError, ErrorKind, Progress, ProgressFn, io_error};
use crate::aws::{AwsContext, cloudformation};
use crate::domain::archive::shelve::{BucketCheck, RestoreOptions, RestoreReport, TableCheck};
use crate::domain::archive::template::{self, NameScope};
use crate::domain::archive::{Manifest, STACK_FILE, StackFile};
use crate::domain::sanitize::sanitize;

mod buckets;
mod checks;
mod tables;

use buckets::{check_bucket, load_bucket};
use checks::{parameters, taken_names};
use tables::{load_table, table_digest};

/// The tag every restored stack carries, naming its archive.
pub const RESTORED_FROM_TAG: &str = "protoctl:restored-from";

fn invalid(msg: String) -> AwsError {
    AwsError::new(ErrorKind::Invalid, msg)
}

/// Restores the stack archived in `dir` (already verified against `manifest`).
pub async fn restore(
    ctx: &AwsContext,
    dir: &Path,
    manifest: &Manifest,
    opts: &RestoreOptions,
    progress: ProgressFn<'_>,
) -> Result<RestoreReport, AwsError> {
    let stack_path = dir.join(STACK_FILE);
    let text = tokio::fs::read(&stack_path)
        .await
        .map_err(|e| io_error("cannot read", &stack_path, &e))?;
    let archived: StackFile = serde_json::from_slice(&text)
        .map_err(|e| invalid(format!("{STACK_FILE} cannot be read: {e}")))?;
    let tpath = dir.join(&manifest.template_file);
    let body = tokio::fs::read_to_string(&tpath)
        .await
        .map_err(|e| io_error("cannot read", &tpath, &e))?;
    let name = opts.name.clone().unwrap_or_else(|| archived.name.clone());

    progress(Progress::Phase(
        "checking that nothing is in the way".into(),
    ));
    let params = parameters(&archived, &opts.params)?;
    if let Some(s) = cloudformation::describe(ctx, &name).await?
        && !crate::domain::discovery::is_deleted_status(&s.status)
    {
        return Err(AwsError::new(
            ErrorKind::Conflict,
            format!(
                "restore stopped before it started: stack {:?} exists ({}): restore under another name with --name NEW",
                sanitize(&name),
                sanitize(&s.status)
            ),
        ));
    }
    // JSON, or YAML read into the same value: the archived text itself stays as deployed.
    let parsed = template::read(&body);
    if let Ok(t) = &parsed {
        let account = crate::aws::teardown::caller_account(ctx).await?;
        let scope = NameScope {
            stack_name: name.clone(),
            region: ctx.region.clone(),
            account,
            params: params.iter().cloned().collect(),
        };
        let taken = taken_names(ctx, &template::fixed_names(t, &scope)).await?;
        if !taken.is_empty() {
            let list: Vec<String> = taken
                .iter()
                .map(|n| {
                    format!(
                        "{} {:?} ({})",
                        n.resource_type,
                        sanitize(n.name.as_deref().unwrap_or_default()),
                        sanitize(&n.logical_id)
                    )
                })
                .collect();
            return Err(AwsError::new(
                ErrorKind::Conflict,
                format!(
                    "restore stopped before it started: these names are still taken: {}; delete them (back up a retained table or bucket first) or, when the template derives them from the stack name, restore with --name NEW",
                    list.join(", ")
                ),
            ));
        }
    }

    if let Err(e) = &parsed {
        let buckets: Vec<String> = manifest
            .buckets
            .iter()
            .map(|b| b.logical_id.clone())
            .collect();
        let code = template::yaml_deployment_buckets(&body, &buckets);
        if !code.is_empty() {
            return Err(invalid(format!(
                "restore stopped before it started: the template cannot be read ({}) and its code or nested templates come from the stack's own bucket(s) {}, which needs the two-phase restore: restore by hand (docs/shelve.md) with the template converted to JSON",
                sanitize(&e.to_string()),
                sanitize(&code.join(", "))
            )));
        }
        tracing::warn!(
            error = %e,
            "the archived template cannot be read: restoring it as is in one phase, without the name check"
        );
    }
    let parsed = parsed.ok();
    let deployment: Vec<String> = parsed
        .as_ref()
        .map(template::deployment_buckets)
        .unwrap_or_default()
        .into_iter()
        .filter(|b| manifest.buckets.iter().any(|m| &m.logical_id == b))
        .collect();
    let two_phase = !deployment.is_empty();
    let mut tags: Vec<Tag> = archived
        .tags
        .iter()
        .filter(|(k, _)| k.as_str() != RESTORED_FROM_TAG)
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    tags.push(
        Tag::builder()
            .key(RESTORED_FROM_TAG)
            .value(opts.source.chars().take(256).collect::<String>())
            .build(),
    );
    let cfn_params: Vec<Parameter> = params
        .iter()
        .map(|(k, v)| {
            Parameter::builder()
                .parameter_key(k)
                .parameter_value(v)
                .build()
        })
        .collect();
    // The first phase is rewritten, so sent as JSON whatever the archived text was; the
    // full template goes as archived.
    let first_body = match (&parsed, two_phase) {
        (Some(t), true) => template::only_resources(t, &deployment).to_string(),
        _ => body.clone(),
    };
    progress(Progress::Phase(if two_phase {
        format!("creating stack {name} with its deployment bucket only")
    } else {
        format!("creating stack {name}")
    }));
    let asked = chrono::Utc::now() - chrono::Duration::seconds(5);
    let created = ctx
        .cloudformation()
        .create_stack()
        .stack_name(&name)
        .template_body(first_body)
        .set_parameters(Some(cfn_params.clone()))
        .set_tags(Some(tags))
        .capabilities(Capability::CapabilityIam)
        .capabilities(Capability::CapabilityNamedIam)
        .capabilities(Capability::CapabilityAutoExpand)
        .client_request_token(format!("protoctl-{}", crate::aws::audit::random_id()))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("CreateStack", e));
    let stack_id = match created {
        Ok(out) => out.stack_id().unwrap_or(&name).to_string(),
        Err(e) => created_by_a_retry(ctx, &name, &opts.source, asked, &e)
            .await
            .ok_or(e)?,
    };
    let mut status = wait(ctx, &stack_id, "CREATE_COMPLETE", opts).await?;
    let mut buckets = Vec::new();
    if two_phase {
        let resources = cloudformation::resources(ctx, &stack_id).await?;
        for b in manifest
            .buckets
            .iter()
            .filter(|b| deployment.contains(&b.logical_id))
        {
            let target = physical(&resources, &b.logical_id)?;
            load_bucket(ctx, dir, b, &target, opts, progress).await?;
        }
        progress(Progress::Phase(format!(
            "updating stack {name} to the full template"
        )));
        ctx.cloudformation()
            .update_stack()
            .stack_name(&stack_id)
            .template_body(&body)
            .set_parameters(Some(cfn_params))
            .capabilities(Capability::CapabilityIam)
            .capabilities(Capability::CapabilityNamedIam)
            .capabilities(Capability::CapabilityAutoExpand)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("UpdateStack", e))?;
        status = wait(ctx, &stack_id, "UPDATE_COMPLETE", opts).await?;
    }
    let resources = cloudformation::resources(ctx, &stack_id).await?;
    for b in manifest
        .buckets
        .iter()
        .filter(|b| !deployment.contains(&b.logical_id))
    {
        let target = physical(&resources, &b.logical_id)?;
        load_bucket(ctx, dir, b, &target, opts, progress).await?;
    }
    let mut tables = Vec::new();
    for t in &manifest.tables {
        let target = physical(&resources, &t.logical_id)?;
        load_table(
            ctx,
            &dir.join(&t.items_file),
            &target,
            &t.logical_id,
            opts,
            progress,
        )
        .await?;
        progress(Progress::Phase(format!("checking table {}", t.logical_id)));
        let d = table_digest(ctx, &target, &t.logical_id).await?;
        tables.push(TableCheck {
            logical_id: t.logical_id.clone(),
            name: target,
            expected_items: t.items,
            items: d.count(),
            digest_matches: d.hex() == t.items_digest,
        });
    }
    for b in &manifest.buckets {
        let target = physical(&resources, &b.logical_id)?;
        progress(Progress::Phase(format!("checking bucket {}", b.logical_id)));
        buckets.push(check_bucket(ctx, dir, b, &target, opts).await?);
    }
    Ok(RestoreReport {
        stack_name: name,
        stack_id,
        status,
        two_phase,
        tables,
        buckets,
    })
}

/// When CreateStack's reply was lost and its retry found the stack there: the stack this
/// restore created (tagged with its source, created since it asked), else `None`.
async fn created_by_a_retry(
    ctx: &AwsContext,
    name: &str,
    source: &str,
    asked: chrono::DateTime<chrono::Utc>,
    error: &AwsError,
) -> Option<String> {
    if error.code.as_deref() != Some("AlreadyExistsException") {
        return None;
    }
    let stack = cloudformation::describe(ctx, name).await.ok()??;
    let tagged: String = source.chars().take(256).collect();
    (stack.tags.get(RESTORED_FROM_TAG) == Some(&tagged) && stack.created >= asked)
        .then_some(stack.id)
}

fn physical(
    resources: &[crate::domain::stack::StackResource],
    logical: &str,
) -> Result<String, AwsError> {
    resources
        .iter()
        .find(|r| r.logical_id == logical)
        .and_then(|r| r.physical_id.clone())
        .ok_or_else(|| {
            AwsError::new(
                ErrorKind::Other,
                format!(
                    "the restored stack has no resource {:?}: its template no longer creates it",
                    sanitize(logical)
                ),
            )
        })
}

/// Polls the stack until it settles; anything but `want` is an error with the first
/// failure CloudFormation gave.
async fn wait(
    ctx: &AwsContext,
    stack_id: &str,
    want: &str,
    opts: &RestoreOptions,
) -> Result<String, AwsError> {
    let started = std::time::Instant::now();
    loop {
        let status = cloudformation::describe(ctx, stack_id)
            .await?
            .map(|s| s.status)
            .unwrap_or_default();
        if !status.ends_with("_IN_PROGRESS") && !status.is_empty() {
            if status == want {
                return Ok(status);
            }
            let events = cloudformation::events(ctx, stack_id, 50)
                .await
                .unwrap_or_default();
            let reason = events
                .iter()
                .rev()
                .find(|e| e.status.ends_with("_FAILED"))
                .and_then(|e| e.reason.clone().map(|r| format!("{}: {r}", e.logical_id)))
                .unwrap_or_default();
            return Err(AwsError::new(
                ErrorKind::Other,
                format!(
                    "the restored stack ended {}{}",
                    sanitize(&status),
                    if reason.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", sanitize(&reason))
                    }
                ),
            ));
        }
        if started.elapsed() > opts.max_wait {
            return Err(AwsError::new(
                ErrorKind::Other,
                format!(
                    "the restored stack is still {status} after {:?}",
                    opts.max_wait
                ),
            ));
        }
        tokio::time::sleep(opts.poll).await;
    }
}
