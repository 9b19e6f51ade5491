//! Writing a stack's archive into a folder: template (and nested templates), stack.json,
//! every table (schema + DynamoDB JSON lines), every bucket (data files + index), optional
//! log events, then the manifest, last.

use std::path::{Path, PathBuf};

use aws_sdk_cloudformation::types::TemplateStage;
use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio_util::sync::CancellationToken;

use super::files::entry;
use super::{AwsError, ErrorKind, Progress, ProgressFn, io_error};
use crate::aws::{AwsContext, cloudformation};
use crate::domain::archive::{
    self, FORMAT, MANIFEST, Manifest, NestedEntry, ParameterEntry, ResourceEntry, STACK_FILE,
    StackFile, VERSION, path_segment, template,
};
use crate::domain::stack::{Stack, StackResource};

mod buckets;
mod logs;
mod tables;

use buckets::write_bucket;
use logs::write_logs;
use tables::write_table;

use crate::domain::archive::shelve::ShelveOptions;

/// What the writer has produced so far: files written, in order.
struct Writer {
    root: PathBuf,
    files: Vec<String>,
    /// sha256 and size of the files hashed while they were written (object data).
    known: std::collections::HashMap<String, (String, u64)>,
}

impl Writer {
    /// A writer of the same archive folder that keeps its own list (merged back with
    /// [`Writer::absorb`]): the tables and the buckets are written side by side.
    fn lane(&self) -> Self {
        Self {
            root: self.root.clone(),
            files: Vec::new(),
            known: std::collections::HashMap::new(),
        }
    }

    /// Takes over the files a lane wrote.
    fn absorb(&mut self, lane: Self) {
        self.files.extend(lane.files);
        self.known.extend(lane.known);
    }

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
    let template_file = if template::parse(&body).is_some() {
        "template.json"
    } else {
        "template.yaml"
    };
    w.write(template_file, body.as_bytes()).await?;
    let parsed = template::read(&body).ok();
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

    // Two lanes at once: the tables one after another, and the buckets one after another.
    // The wall is the longer lane's, not their sum, with at most one scan's segments and
    // one bucket's downloads in flight. A failure in either stops both (nothing is deleted).
    let mut table_lane = w.lane();
    let mut bucket_lane = w.lane();
    let tables_written = async {
        let mut tables = Vec::new();
        for r in live
            .iter()
            .filter(|r| r.resource_type == "AWS::DynamoDB::Table")
        {
            let name = r.physical_id.clone().unwrap_or_default();
            let lane = &mut table_lane;
            tables
                .push(write_table(ctx, lane, &r.logical_id, &name, opts, progress, cancel).await?);
        }
        Ok::<_, AwsError>(tables)
    };
    let buckets_written = async {
        let mut buckets = Vec::new();
        for r in live.iter().filter(|r| r.resource_type == "AWS::S3::Bucket") {
            let name = r.physical_id.clone().unwrap_or_default();
            let lane = &mut bucket_lane;
            buckets
                .push(write_bucket(ctx, lane, &r.logical_id, &name, opts, progress, cancel).await?);
        }
        Ok::<_, AwsError>(buckets)
    };
    let (tables, buckets) =
        futures::future::try_join(Box::pin(tables_written), Box::pin(buckets_written)).await?;
    w.absorb(table_lane);
    w.absorb(bucket_lane);
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
