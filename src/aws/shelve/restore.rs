//! Restoring a stack from a verified archive folder: check that nothing is in the way,
//! create the stack (in two phases when its code lives in its own deployment bucket), load
//! every table and bucket back, and check counts and checksums.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use aws_sdk_cloudformation::types::{Capability, Parameter, Tag};
use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use aws_sdk_s3::primitives::ByteStream;
use futures::StreamExt;
use sha2::{Digest as _, Sha256};
use tokio::io::AsyncBufReadExt;

use super::files::{parse_item_line, read_index};
use super::{
    AwsError, BucketCheck, ErrorKind, Progress, ProgressFn, RestoreOptions, RestoreReport,
    TableCheck, io_error,
};
use crate::aws::{AwsContext, cloudformation, dynamodb};
use crate::domain::archive::template::{self, FixedName, NameScope};
use crate::domain::archive::{
    ItemsDigest, Manifest, ObjectEntry, STACK_FILE, StackFile, hex, restore_order,
};
use crate::domain::sanitize::sanitize;

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
    let parsed = template::parse(&body);
    if let Some(t) = &parsed {
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

    if parsed.is_none() {
        let buckets: Vec<String> = manifest
            .buckets
            .iter()
            .map(|b| b.logical_id.clone())
            .collect();
        let code = template::yaml_deployment_buckets(&body, &buckets);
        if !code.is_empty() {
            return Err(invalid(format!(
                "restore stopped before it started: the template is YAML and its code or nested templates come from the stack's own bucket(s) {}, which needs the two-phase restore that reads JSON templates only: restore by hand (docs/shelve.md) with the template converted to JSON",
                sanitize(&code.join(", "))
            )));
        }
    }
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

/// The parameters to create with: archived values, NoEcho ones and overrides from `given`.
fn parameters(
    archived: &StackFile,
    given: &BTreeMap<String, String>,
) -> Result<Vec<(String, String)>, AwsError> {
    if let Some(unknown) = given
        .keys()
        .find(|k| !archived.parameters.iter().any(|p| &p.key == *k))
    {
        return Err(invalid(format!(
            "--param {}: the archived stack has no such parameter",
            sanitize(unknown)
        )));
    }
    let missing: Vec<&str> = archived
        .parameters
        .iter()
        .filter(|p| p.value.is_none() && !given.contains_key(&p.key))
        .map(|p| p.key.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(invalid(format!(
            "restore stopped before it started: NoEcho parameter(s) {} cannot be read from the archive: give them with --param KEY=VALUE",
            sanitize(&missing.join(", "))
        )));
    }
    Ok(archived
        .parameters
        .iter()
        .map(|p| {
            let v = given
                .get(&p.key)
                .cloned()
                .or_else(|| p.value.clone())
                .unwrap_or_default();
            (p.key.clone(), v)
        })
        .collect())
}

/// The fixed names that already exist (tables, buckets, functions, log groups).
async fn taken_names(ctx: &AwsContext, names: &[FixedName]) -> Result<Vec<FixedName>, AwsError> {
    let mut out = Vec::new();
    for n in names {
        let Some(name) = n.name.as_deref() else {
            continue;
        };
        let exists = match n.resource_type.as_str() {
            "AWS::DynamoDB::Table" => found(
                ctx.dynamodb()
                    .describe_table()
                    .table_name(name)
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("DescribeTable", e)),
            )?,
            "AWS::S3::Bucket" => match ctx.s3().head_bucket().bucket(name).send().await {
                Ok(_) => true,
                Err(e) => {
                    let status = e.raw_response().map(|r| r.status().as_u16());
                    match status {
                        Some(404) => false,
                        // Owned by another account: the name is taken all the same.
                        Some(403 | 301) => true,
                        _ => found(Err::<(), _>(AwsError::from_sdk("HeadBucket", e)))?,
                    }
                }
            },
            "AWS::Lambda::Function" => found(
                ctx.lambda()
                    .get_function()
                    .function_name(name)
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("GetFunction", e)),
            )?,
            "AWS::Logs::LogGroup" => ctx
                .logs()
                .describe_log_groups()
                .log_group_name_prefix(name)
                .limit(5)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("DescribeLogGroups", e))?
                .log_groups()
                .iter()
                .any(|g| g.log_group_name() == Some(name)),
            _ => false,
        };
        if exists {
            out.push(n.clone());
        }
    }
    Ok(out)
}

fn found<T>(r: Result<T, AwsError>) -> Result<bool, AwsError> {
    match r {
        Ok(_) => Ok(true),
        Err(e) if e.is_not_found() => Ok(false),
        Err(e) => Err(e),
    }
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

/// Writes a table's archived items back, 25 a request, retrying what DynamoDB left
/// unprocessed; reads the file line by line.
async fn load_table(
    ctx: &AwsContext,
    path: &Path,
    table: &str,
    logical: &str,
    opts: &RestoreOptions,
    progress: ProgressFn<'_>,
) -> Result<(), AwsError> {
    progress(Progress::Phase(format!("loading table {logical}")));
    let f = tokio::fs::File::open(path)
        .await
        .map_err(|e| io_error("cannot read", path, &e))?;
    let mut lines = tokio::io::BufReader::new(f).lines();
    let mut batches: Vec<Vec<WriteRequest>> = Vec::new();
    let mut batch = Vec::new();
    let mut loaded = 0u64;
    loop {
        let line = lines
            .next_line()
            .await
            .map_err(|e| io_error("cannot read", path, &e))?;
        let end = line.is_none();
        if let Some(line) = line {
            let item = parse_item_line(&line).map_err(invalid)?;
            batch.push(
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .set_item(Some(dynamodb::item_to_sdk(&item)))
                            .build()
                            .map_err(|e| AwsError::new(ErrorKind::Other, e.to_string()))?,
                    )
                    .build(),
            );
            if batch.len() == 25 {
                batches.push(std::mem::take(&mut batch));
            }
        }
        if end && !batch.is_empty() {
            batches.push(std::mem::take(&mut batch));
        }
        if batches.len() >= opts.concurrency.max(1) || (end && !batches.is_empty()) {
            let n: u64 = batches.iter().map(|b| b.len() as u64).sum();
            let results: Vec<Result<(), AwsError>> =
                futures::stream::iter(batches.drain(..).map(|b| write_batch(ctx, table, b)))
                    .buffer_unordered(opts.concurrency.max(1))
                    .collect()
                    .await;
            results.into_iter().collect::<Result<Vec<()>, _>>()?;
            loaded += n;
            progress(Progress::Items {
                table: logical.to_string(),
                items: loaded,
            });
        }
        if end {
            return Ok(());
        }
    }
}

async fn write_batch(
    ctx: &AwsContext,
    table: &str,
    mut batch: Vec<WriteRequest>,
) -> Result<(), AwsError> {
    let mut delay = Duration::from_millis(50);
    for _ in 0..12 {
        let out = ctx
            .dynamodb()
            .batch_write_item()
            .request_items(table, batch)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("BatchWriteItem", e))?;
        batch = out
            .unprocessed_items()
            .and_then(|m| m.get(table).cloned())
            .unwrap_or_default();
        if batch.is_empty() {
            return Ok(());
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
    Err(AwsError::new(
        ErrorKind::Throttled,
        format!(
            "BatchWriteItem: {} items of {} stayed unprocessed after retries",
            batch.len(),
            sanitize(table)
        ),
    ))
}

/// Scans the restored table and digests its items.
async fn table_digest(
    ctx: &AwsContext,
    table: &str,
    logical: &str,
) -> Result<ItemsDigest, AwsError> {
    let info = dynamodb::describe_table(ctx, table, logical).await?;
    let q = dynamodb::ItemQuery::default();
    let mut d = ItemsDigest::default();
    let mut start = None;
    loop {
        let p = dynamodb::page(ctx, &info, &q, start.as_ref(), 1000, None).await?;
        for it in &p.items {
            d.add(it);
        }
        match p.last_key {
            Some(k) => start = Some(k),
            None => return Ok(d),
        }
    }
}

/// Puts a bucket's archived objects back (per key oldest first, so the latest is current;
/// a delete marker becomes a DeleteObject).
async fn load_bucket(
    ctx: &AwsContext,
    dir: &Path,
    b: &crate::domain::archive::BucketEntry,
    target: &str,
    opts: &RestoreOptions,
    progress: ProgressFn<'_>,
) -> Result<(), AwsError> {
    progress(Progress::Phase(format!("loading bucket {}", b.logical_id)));
    let mut index = read_index(&dir.join(&b.index_file)).await?;
    restore_order(&mut index);
    // Keys in order; a key's versions go one after another, keys in parallel.
    let mut by_key: Vec<Vec<ObjectEntry>> = Vec::new();
    for e in index {
        match by_key.last_mut() {
            Some(v) if v[0].key == e.key => v.push(e),
            _ => by_key.push(vec![e]),
        }
    }
    let mut objects = 0u64;
    let mut bytes = 0u64;
    let mut reported = 0u64;
    let mut stream = futures::stream::iter(by_key.into_iter().map(|versions| async move {
        let mut sent = (0u64, 0u64);
        for e in versions {
            put_entry(ctx, dir, target, &e).await?;
            if !e.delete_marker {
                sent.0 += 1;
                sent.1 += e.size;
            }
        }
        Ok::<_, AwsError>(sent)
    }))
    .buffer_unordered(opts.concurrency.clamp(1, 64));
    while let Some(r) = stream.next().await {
        let (n, s) = r?;
        objects += n;
        bytes += s;
        if objects - reported >= 500 {
            reported = objects;
            progress(Progress::Objects {
                bucket: b.logical_id.clone(),
                objects,
                bytes,
            });
        }
    }
    progress(Progress::Objects {
        bucket: b.logical_id.clone(),
        objects,
        bytes,
    });
    Ok(())
}

async fn put_entry(
    ctx: &AwsContext,
    dir: &Path,
    bucket: &str,
    e: &ObjectEntry,
) -> Result<(), AwsError> {
    if e.delete_marker {
        ctx.s3()
            .delete_object()
            .bucket(bucket)
            .key(&e.key)
            .send()
            .await
            .map_err(|x| AwsError::from_sdk("DeleteObject", x))?;
        return Ok(());
    }
    let path = dir.join(&e.file);
    let body = ByteStream::from_path(&path).await.map_err(|x| {
        AwsError::new(
            ErrorKind::Other,
            format!("cannot read {}: {x}", sanitize(&path.display().to_string())),
        )
    })?;
    ctx.s3()
        .put_object()
        .bucket(bucket)
        .key(&e.key)
        .body(body)
        .set_content_type(e.content_type.clone())
        .set_content_encoding(e.content_encoding.clone())
        .set_content_disposition(e.content_disposition.clone())
        .set_content_language(e.content_language.clone())
        .set_cache_control(e.cache_control.clone())
        .set_metadata((!e.metadata.is_empty()).then(|| {
            e.metadata
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        }))
        .send()
        .await
        .map_err(|x| AwsError::from_sdk("PutObject", x))?;
    Ok(())
}

/// Reads every current object of the restored bucket back and compares it with the
/// archive's latest versions.
async fn check_bucket(
    ctx: &AwsContext,
    dir: &Path,
    b: &crate::domain::archive::BucketEntry,
    target: &str,
    opts: &RestoreOptions,
) -> Result<BucketCheck, AwsError> {
    let index = read_index(&dir.join(&b.index_file)).await?;
    let expected: BTreeMap<String, String> = index
        .into_iter()
        .filter(|e| e.is_latest && !e.delete_marker)
        .map(|e| (e.key, e.sha256))
        .collect();
    let mut keys = Vec::new();
    let mut pages = ctx
        .s3()
        .list_objects_v2()
        .bucket(target)
        .into_paginator()
        .send();
    let mut matches = true;
    let mut count = 0u64;
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsError::from_sdk("ListObjectsV2", e))?;
        keys.clear();
        keys.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(ToString::to_string)),
        );
        count += keys.len() as u64;
        let hashes: Vec<Result<(String, String), AwsError>> =
            futures::stream::iter(keys.iter().map(|k| async move {
                let resp = ctx
                    .s3()
                    .get_object()
                    .bucket(target)
                    .key(k)
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("GetObject", e))?;
                let mut body = resp.body;
                let mut h = Sha256::new();
                while let Some(c) = body.next().await {
                    let c = c.map_err(|e| {
                        AwsError::new(ErrorKind::Network, format!("GetObject: {e}"))
                    })?;
                    h.update(&c);
                }
                Ok((k.clone(), hex(&h.finalize())))
            }))
            .buffer_unordered(opts.concurrency.clamp(1, 64))
            .collect()
            .await;
        for r in hashes {
            let (k, sha) = r?;
            matches &= expected.get(&k) == Some(&sha);
        }
    }
    Ok(BucketCheck {
        logical_id: b.logical_id.clone(),
        name: target.to_string(),
        expected_objects: expected.len() as u64,
        objects: count,
        checksums_match: matches && count == expected.len() as u64,
    })
}
