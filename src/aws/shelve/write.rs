//! Writing a stack's archive into a folder: template (and nested templates), stack.json,
//! every table (schema + DynamoDB JSON lines), every bucket (data files + index), optional
//! log events, then the manifest, last.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aws_sdk_cloudformation::types::TemplateStage;
use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use tokio::io::AsyncWriteExt;
use tokio_util::sync::CancellationToken;

use super::files::{entry, items_digest};
use super::{AwsError, ErrorKind, Progress, ProgressFn, ShelveOptions, io_error};
use crate::aws::{AwsContext, cloudformation, dynamodb, to_chrono};
use crate::domain::archive::{
    self, BucketEntry, FORMAT, LogEntry, MANIFEST, Manifest, NestedEntry, ObjectEntry,
    ParameterEntry, ResourceEntry, STACK_FILE, StackFile, TableEntry, VERSION, hex, path_segment,
    template,
};
use crate::domain::stack::{Stack, StackResource};

/// What the writer has produced so far: files written, in order.
struct Writer {
    root: PathBuf,
    files: Vec<String>,
    /// sha256 and size of the files hashed while they were written (object data).
    known: std::collections::HashMap<String, (String, u64)>,
}

impl Writer {
    async fn create(&mut self, rel: &str) -> Result<tokio::fs::File, AwsError> {
        let path = self.root.join(rel);
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(|e| io_error("cannot create the folder", parent, &e))?;
        }
        self.files.push(rel.to_string());
        tokio::fs::File::create(&path)
            .await
            .map_err(|e| io_error("cannot write", &path, &e))
    }

    async fn write(&mut self, rel: &str, bytes: &[u8]) -> Result<(), AwsError> {
        let mut f = self.create(rel).await?;
        let path = self.root.join(rel);
        f.write_all(bytes)
            .await
            .map_err(|e| io_error("cannot write", &path, &e))?;
        f.flush()
            .await
            .map_err(|e| io_error("cannot write", &path, &e))
    }

    async fn write_json(&mut self, rel: &str, v: &impl serde::Serialize) -> Result<(), AwsError> {
        let text = serde_json::to_vec_pretty(v)
            .map_err(|e| AwsError::new(ErrorKind::Other, e.to_string()))?;
        self.write(rel, &text).await
    }
}

/// Writes the archive of `stack` into `dir` (created; it must not hold an archive yet) and
/// returns its manifest. The manifest is written last: a folder without one is no archive.
pub async fn write_archive(
    ctx: &AwsContext,
    stack: &Stack,
    account: &str,
    dir: &Path,
    opts: &ShelveOptions,
    progress: ProgressFn<'_>,
    cancel: &CancellationToken,
) -> Result<Manifest, AwsError> {
    if tokio::fs::try_exists(dir.join(MANIFEST))
        .await
        .unwrap_or(false)
    {
        return Err(AwsError::new(
            ErrorKind::Conflict,
            format!(
                "{} already holds an archive",
                crate::domain::sanitize::sanitize(&dir.display().to_string())
            ),
        ));
    }
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| io_error("cannot create the archive folder", dir, &e))?;
    let mut w = Writer {
        root: dir.to_path_buf(),
        files: Vec::new(),
        known: std::collections::HashMap::new(),
    };
    progress(Progress::Phase("reading the stack and its template".into()));
    let body = original_template(ctx, &stack.id).await?;
    let parsed = template::parse(&body);
    let template_file = if parsed.is_some() {
        "template.json"
    } else {
        "template.yaml"
    };
    w.write(template_file, body.as_bytes()).await?;
    let resources = cloudformation::resources(ctx, &stack.id).await?;
    let live: Vec<&StackResource> = resources
        .iter()
        .filter(|r| r.status != "DELETE_COMPLETE" && r.physical_id.is_some())
        .collect();
    let mut nested = Vec::new();
    for r in live
        .iter()
        .filter(|r| r.resource_type == "AWS::CloudFormation::Stack")
    {
        let id = r.physical_id.clone().unwrap_or_default();
        let text = original_template(ctx, &id).await?;
        let rel = format!("nested/{}.template", path_segment(&r.logical_id));
        w.write(&rel, text.as_bytes()).await?;
        nested.push(NestedEntry {
            logical_id: r.logical_id.clone(),
            stack_id: id,
            template_file: rel,
        });
    }
    let (parameters, capabilities) = parameters(ctx, &stack.id, parsed.as_ref()).await?;
    let no_echo: Vec<String> = parameters
        .iter()
        .filter(|p| p.no_echo)
        .map(|p| p.key.clone())
        .collect();
    let stack_file = StackFile {
        name: stack.name.clone(),
        id: stack.id.clone(),
        account: account.to_string(),
        region: stack.region.clone(),
        description: stack.description.clone(),
        parameters,
        tags: stack.tags.clone(),
        outputs: stack.outputs.clone(),
        capabilities,
        resources: resources.iter().map(ResourceEntry::from).collect(),
    };
    w.write_json(STACK_FILE, &stack_file).await?;

    let mut tables = Vec::new();
    for r in live
        .iter()
        .filter(|r| r.resource_type == "AWS::DynamoDB::Table")
    {
        let name = r.physical_id.clone().unwrap_or_default();
        tables.push(write_table(ctx, &mut w, &r.logical_id, &name, opts, progress, cancel).await?);
    }
    let mut buckets = Vec::new();
    for r in live.iter().filter(|r| r.resource_type == "AWS::S3::Bucket") {
        let name = r.physical_id.clone().unwrap_or_default();
        buckets
            .push(write_bucket(ctx, &mut w, &r.logical_id, &name, opts, progress, cancel).await?);
    }
    let mut logs = Vec::new();
    if let Some(span) = opts.logs {
        let start = opts.now - chrono::Duration::from_std(span).unwrap_or_default();
        for g in crate::aws::logs::stack_log_groups(ctx, &stack.id, &resources).await? {
            logs.push(write_logs(ctx, &mut w, &g.name, start.timestamp_millis(), progress).await?);
        }
    }
    if cancel.is_cancelled() {
        return Err(AwsError::new(ErrorKind::Other, "cancelled"));
    }

    progress(Progress::Phase("writing the manifest".into()));
    let mut files = Vec::with_capacity(w.files.len());
    for rel in &w.files {
        match w.known.remove(rel) {
            Some((sha256, bytes)) => files.push(archive::FileEntry {
                path: rel.clone(),
                bytes,
                sha256,
            }),
            None => files.push(entry(dir, rel).await?),
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let not_kept = archive::not_kept(&resources, &no_echo, opts.logs.is_some(), opts.all_versions)
        .iter()
        .map(archive::NotKept::line)
        .collect();
    let manifest = Manifest {
        format: FORMAT.into(),
        version: VERSION,
        stack_name: stack.name.clone(),
        stack_id: stack.id.clone(),
        account: account.to_string(),
        region: stack.region.clone(),
        archived_at: opts.now,
        template_file: template_file.into(),
        nested,
        tables,
        buckets,
        logs,
        no_echo,
        not_kept,
        files,
    };
    let tmp = dir.join(format!("{MANIFEST}.partial"));
    let text = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| AwsError::new(ErrorKind::Other, e.to_string()))?;
    tokio::fs::write(&tmp, &text)
        .await
        .map_err(|e| io_error("cannot write", &tmp, &e))?;
    tokio::fs::rename(&tmp, dir.join(MANIFEST))
        .await
        .map_err(|e| io_error("cannot write", &tmp, &e))?;
    Ok(manifest)
}

/// The template as deployed (the Original stage: what the user gave, before transforms).
async fn original_template(ctx: &AwsContext, stack: &str) -> Result<String, AwsError> {
    let out = ctx
        .cloudformation()
        .get_template()
        .stack_name(stack)
        .template_stage(TemplateStage::Original)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("GetTemplate", e))?;
    match out.template_body() {
        Some(b) if !b.trim().is_empty() => Ok(b.to_string()),
        _ => cloudformation::template(ctx, stack).await,
    }
}

/// The stack's parameters (NoEcho ones without their masked value) and capabilities.
async fn parameters(
    ctx: &AwsContext,
    stack_id: &str,
    parsed: Option<&Value>,
) -> Result<(Vec<ParameterEntry>, Vec<String>), AwsError> {
    let out = ctx
        .cloudformation()
        .describe_stacks()
        .stack_name(stack_id)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("DescribeStacks", e))?;
    let Some(s) = out.stacks().first() else {
        return Ok((Vec::new(), Vec::new()));
    };
    let marked = parsed.map(template::no_echo_params).unwrap_or_default();
    let params = s
        .parameters()
        .iter()
        .map(|p| {
            let key = p.parameter_key().unwrap_or_default().to_string();
            let value = p.parameter_value().unwrap_or_default();
            let no_echo = marked.contains(&key) || value == "****";
            ParameterEntry {
                key,
                value: (!no_echo).then(|| value.to_string()),
                no_echo,
            }
        })
        .collect();
    let caps = s
        .capabilities()
        .iter()
        .map(|c| c.as_str().to_string())
        .collect();
    Ok((params, caps))
}

#[allow(clippy::too_many_arguments)]
async fn write_table(
    ctx: &AwsContext,
    w: &mut Writer,
    logical: &str,
    name: &str,
    opts: &ShelveOptions,
    progress: ProgressFn<'_>,
    cancel: &CancellationToken,
) -> Result<TableEntry, AwsError> {
    progress(Progress::Phase(format!("archiving table {logical}")));
    let dir = format!("tables/{}", path_segment(logical));
    let schema_file = format!("{dir}/table.json");
    let items_file = format!("{dir}/items.jsonl");
    w.write_json(&schema_file, &table_schema(ctx, name).await?)
        .await?;
    let info = dynamodb::describe_table(ctx, name, logical).await?;
    let path = w.root.join(&items_file);
    w.create(&items_file).await?;
    let table = logical.to_string();
    let sink: Arc<dyn Fn(u64) + Send + Sync> = Arc::new(|_| {});
    let summary = dynamodb::export_as(
        ctx,
        &info,
        &dynamodb::ItemQuery::default(),
        &path,
        opts.concurrency.clamp(1, 16) as i32,
        1000,
        cancel.clone(),
        sink,
        dynamodb::typed_json_line,
    )
    .await?;
    if summary.cancelled {
        return Err(AwsError::new(ErrorKind::Other, "cancelled"));
    }
    progress(Progress::Items {
        table,
        items: summary.items,
    });
    let digest = items_digest(&path).await?;
    Ok(TableEntry {
        logical_id: logical.to_string(),
        name: name.to_string(),
        items: digest.count(),
        items_digest: digest.hex(),
        schema_file,
        items_file,
    })
}

/// The table's definition: keys, indexes, billing, streams and TTL, as DynamoDB names them.
async fn table_schema(ctx: &AwsContext, name: &str) -> Result<Value, AwsError> {
    let out = ctx
        .dynamodb()
        .describe_table()
        .table_name(name)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("DescribeTable", e))?;
    let t = out
        .table()
        .ok_or_else(|| AwsError::new(ErrorKind::Other, "DescribeTable: no table in the reply"))?;
    let keys = |ks: &[aws_sdk_dynamodb::types::KeySchemaElement]| -> Value {
        ks.iter()
            .map(|k| json!({"AttributeName": k.attribute_name(), "KeyType": k.key_type().as_str()}))
            .collect()
    };
    let projection = |p: Option<&aws_sdk_dynamodb::types::Projection>| -> Value {
        p.map_or(Value::Null, |p| {
            json!({
                "ProjectionType": p.projection_type().map(|t| t.as_str().to_string()),
                "NonKeyAttributes": p.non_key_attributes(),
            })
        })
    };
    let ttl = ctx
        .dynamodb()
        .describe_time_to_live()
        .table_name(name)
        .send()
        .await
        .ok()
        .and_then(|o| o.time_to_live_description().cloned());
    Ok(json!({
        "TableName": t.table_name(),
        "AttributeDefinitions": t.attribute_definitions().iter().map(|a| json!({
            "AttributeName": a.attribute_name(), "AttributeType": a.attribute_type().as_str()
        })).collect::<Vec<_>>(),
        "KeySchema": keys(t.key_schema()),
        "BillingMode": t.billing_mode_summary().and_then(|b| b.billing_mode()).map_or("PROVISIONED", |b| b.as_str()),
        "ProvisionedThroughput": t.provisioned_throughput().map(|p| json!({
            "ReadCapacityUnits": p.read_capacity_units(), "WriteCapacityUnits": p.write_capacity_units()
        })),
        "GlobalSecondaryIndexes": t.global_secondary_indexes().iter().map(|g| json!({
            "IndexName": g.index_name(), "KeySchema": keys(g.key_schema()), "Projection": projection(g.projection()),
        })).collect::<Vec<_>>(),
        "LocalSecondaryIndexes": t.local_secondary_indexes().iter().map(|l| json!({
            "IndexName": l.index_name(), "KeySchema": keys(l.key_schema()), "Projection": projection(l.projection()),
        })).collect::<Vec<_>>(),
        "StreamSpecification": t.stream_specification().map(|s| json!({
            "StreamEnabled": s.stream_enabled(), "StreamViewType": s.stream_view_type().map(|v| v.as_str().to_string())
        })),
        "TimeToLive": ttl.map(|d| json!({
            "AttributeName": d.attribute_name(),
            "Status": d.time_to_live_status().map(|s| s.as_str().to_string()),
        })),
        "DeletionProtectionEnabled": t.deletion_protection_enabled(),
        "ItemCount": t.item_count(),
    }))
}

/// Objects between two progress reports of a bucket.
const PROGRESS_EVERY: u64 = 250;

/// One object version to archive (from a listing page).
struct Listed {
    key: String,
    version_id: Option<String>,
    is_latest: bool,
    delete_marker: bool,
    last_modified: Option<DateTime<Utc>>,
}

/// One page of the bucket's latest objects, or of every version and delete marker.
async fn list_page(
    ctx: &AwsContext,
    bucket: &str,
    all_versions: bool,
    token: (Option<String>, Option<String>),
) -> Result<(Vec<Listed>, Option<(Option<String>, Option<String>)>), AwsError> {
    let s3 = ctx.s3();
    if all_versions {
        let out = s3
            .list_object_versions()
            .bucket(bucket)
            .set_key_marker(token.0)
            .set_version_id_marker(token.1)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ListObjectVersions", e))?;
        let mut v: Vec<Listed> = out
            .versions()
            .iter()
            .map(|o| Listed {
                key: o.key().unwrap_or_default().to_string(),
                version_id: o.version_id().map(ToString::to_string),
                is_latest: o.is_latest().unwrap_or(false),
                delete_marker: false,
                last_modified: o.last_modified().map(to_chrono),
            })
            .collect();
        v.extend(out.delete_markers().iter().map(|o| Listed {
            key: o.key().unwrap_or_default().to_string(),
            version_id: o.version_id().map(ToString::to_string),
            is_latest: o.is_latest().unwrap_or(false),
            delete_marker: true,
            last_modified: o.last_modified().map(to_chrono),
        }));
        let next = out.is_truncated().unwrap_or(false).then(|| {
            (
                out.next_key_marker().map(ToString::to_string),
                out.next_version_id_marker().map(ToString::to_string),
            )
        });
        Ok((v, next))
    } else {
        let out = s3
            .list_objects_v2()
            .bucket(bucket)
            .set_continuation_token(token.0)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ListObjectsV2", e))?;
        let v = out
            .contents()
            .iter()
            .map(|o| Listed {
                key: o.key().unwrap_or_default().to_string(),
                version_id: None,
                is_latest: true,
                delete_marker: false,
                last_modified: o.last_modified().map(to_chrono),
            })
            .collect();
        let next = out
            .next_continuation_token()
            .filter(|_| out.is_truncated().unwrap_or(false))
            .map(|t| (Some(t.to_string()), None));
        Ok((v, next))
    }
}

#[allow(clippy::too_many_arguments)]
async fn write_bucket(
    ctx: &AwsContext,
    w: &mut Writer,
    logical: &str,
    name: &str,
    opts: &ShelveOptions,
    progress: ProgressFn<'_>,
    cancel: &CancellationToken,
) -> Result<BucketEntry, AwsError> {
    progress(Progress::Phase(format!("archiving bucket {logical}")));
    let index_file = format!("buckets/{}/objects.jsonl", path_segment(logical));
    let index_path = w.root.join(&index_file);
    let mut index = tokio::io::BufWriter::new(w.create(&index_file).await?);
    let all_versions = opts.all_versions;
    // One listing page at a time, fetched as the window drains; every object streams to
    // its own file. `buffered` keeps the listing order, so numbering and index are stable.
    let pages = futures::stream::try_unfold(Some((None, None)), move |token| async move {
        let Some(token) = token else {
            return Ok(None);
        };
        let (page, next) = list_page(ctx, name, all_versions, token).await?;
        Ok::<_, AwsError>(Some((
            futures::stream::iter(page.into_iter().map(Ok::<Listed, AwsError>)),
            next,
        )))
    });
    let root = w.root.clone();
    let fetched = pages
        .try_flatten()
        .enumerate()
        .map(|(i, listed)| {
            let root = root.clone();
            async move {
                let l = listed?;
                let file = if l.delete_marker {
                    String::new()
                } else {
                    archive::object_file(logical, i as u64 + 1)
                };
                fetch_object(ctx, name, l, file, root).await
            }
        })
        .buffered(opts.concurrency.clamp(1, 64));
    let mut fetched = std::pin::pin!(fetched);
    let (mut objects, mut markers, mut bytes) = (0u64, 0u64, 0u64);
    while let Some(e) = fetched.next().await {
        if cancel.is_cancelled() {
            return Err(AwsError::new(ErrorKind::Other, "cancelled"));
        }
        let e = e?;
        if e.delete_marker {
            markers += 1;
        } else {
            w.files.push(e.file.clone());
            w.known.insert(e.file.clone(), (e.sha256.clone(), e.size));
            objects += 1;
            bytes += e.size;
        }
        let mut line = serde_json::to_string(&e)
            .map_err(|x| AwsError::new(ErrorKind::Other, x.to_string()))?;
        line.push('\n');
        index
            .write_all(line.as_bytes())
            .await
            .map_err(|x| io_error("cannot write", &index_path, &x))?;
        if (objects + markers) % PROGRESS_EVERY == 0 {
            progress(Progress::Objects {
                bucket: logical.to_string(),
                objects,
                bytes,
            });
        }
    }
    progress(Progress::Objects {
        bucket: logical.to_string(),
        objects,
        bytes,
    });
    index
        .flush()
        .await
        .map_err(|x| io_error("cannot write", &index_path, &x))?;
    Ok(BucketEntry {
        logical_id: logical.to_string(),
        name: name.to_string(),
        objects,
        delete_markers: markers,
        bytes,
        all_versions: opts.all_versions,
        index_file,
    })
}

/// Streams one object version into its data file, hashing as it goes.
async fn fetch_object(
    ctx: &AwsContext,
    bucket: &str,
    l: Listed,
    file: String,
    root: PathBuf,
) -> Result<ObjectEntry, AwsError> {
    let mut e = ObjectEntry {
        key: l.key,
        version_id: l.version_id,
        is_latest: l.is_latest,
        delete_marker: l.delete_marker,
        last_modified: l.last_modified,
        size: 0,
        sha256: String::new(),
        file,
        content_type: None,
        content_encoding: None,
        content_disposition: None,
        content_language: None,
        cache_control: None,
        metadata: BTreeMap::new(),
    };
    if e.delete_marker {
        return Ok(e);
    }
    let resp = ctx
        .s3()
        .get_object()
        .bucket(bucket)
        .key(&e.key)
        .set_version_id(e.version_id.clone())
        .send()
        .await
        .map_err(|x| AwsError::from_sdk("GetObject", x))?;
    e.content_type = resp.content_type().map(ToString::to_string);
    e.content_encoding = resp.content_encoding().map(ToString::to_string);
    e.content_disposition = resp.content_disposition().map(ToString::to_string);
    e.content_language = resp.content_language().map(ToString::to_string);
    e.cache_control = resp.cache_control().map(ToString::to_string);
    e.metadata = resp
        .metadata()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let path = root.join(&e.file);
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent)
            .await
            .map_err(|x| io_error("cannot create the folder", parent, &x))?;
    }
    let mut out = tokio::fs::File::create(&path)
        .await
        .map_err(|x| io_error("cannot write", &path, &x))?;
    let mut h = Sha256::new();
    let mut body = resp.body;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|x| {
            AwsError::new(
                ErrorKind::Network,
                format!("GetObject: reading the object failed: {x}"),
            )
        })?;
        h.update(&chunk);
        e.size += chunk.len() as u64;
        out.write_all(&chunk)
            .await
            .map_err(|x| io_error("cannot write", &path, &x))?;
    }
    out.flush()
        .await
        .map_err(|x| io_error("cannot write", &path, &x))?;
    e.sha256 = hex(&h.finalize());
    Ok(e)
}

/// Streams a log group's events since `start_ms` into a JSON-lines file, page by page.
async fn write_logs(
    ctx: &AwsContext,
    w: &mut Writer,
    group: &str,
    start_ms: i64,
    progress: ProgressFn<'_>,
) -> Result<LogEntry, AwsError> {
    let file = format!("logs/{}.jsonl", path_segment(group));
    let path = w.root.join(&file);
    let mut out = tokio::io::BufWriter::new(w.create(&file).await?);
    let mut token: Option<String> = None;
    let mut last: Option<String> = None;
    let mut events = 0u64;
    loop {
        let page = ctx
            .logs()
            .filter_log_events()
            .log_group_name(group)
            .start_time(start_ms)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("FilterLogEvents", e))?;
        for e in page.events() {
            let mut line = json!({
                "timestamp": e.timestamp(),
                "ingestion_time": e.ingestion_time(),
                "log_stream": e.log_stream_name(),
                "event_id": e.event_id(),
                "message": e.message(),
            })
            .to_string();
            line.push('\n');
            out.write_all(line.as_bytes())
                .await
                .map_err(|x| io_error("cannot write", &path, &x))?;
            events += 1;
        }
        progress(Progress::Logs {
            group: group.to_string(),
            events,
        });
        // An empty page may still carry a token while the search goes on: follow it until
        // it ends or repeats.
        match page.next_token() {
            Some(t) if last.as_deref() != Some(t) => {
                last = Some(t.to_string());
                token = Some(t.to_string());
            }
            _ => break,
        }
    }
    out.flush()
        .await
        .map_err(|x| io_error("cannot write", &path, &x))?;
    Ok(LogEntry {
        group: group.to_string(),
        events,
        file,
    })
}
