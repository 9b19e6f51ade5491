//! `protoctl objects STACK` and `protoctl get-object STACK KEY`: a stack's buckets, listed
//! page by page (streamed, never collected), and one object's exact bytes.
//!
//! JSON lines: every line has `type` (`object` or `folder`), `bucket`, `key`, `size`,
//! `last_modified`, `etag`, `storage_class`; with `--versions` also `version_id`,
//! `is_latest`, `delete_marker`. A folder (a common prefix, listed without `--recursive`)
//! is a line with `type: "folder"`, its prefix as `key` (ending in `/`) and nulls for the
//! object fields. Keys are exact (JSON escapes control characters); tables sanitise them.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;

use crate::domain::console_url;
use tokio_util::sync::CancellationToken;

use super::{Context, OutputFormat};
use crate::aws::cloudformation;
use crate::aws::s3::{self, BucketRef, ObjectEntry, PAGE_KEYS, VersionEntry};
use crate::domain::sanitize::sanitize;
use crate::domain::time::rfc3339;

/// What `objects` lists.
#[derive(Debug, Clone, Default)]
pub struct ListOptions {
    pub bucket: Option<String>,
    pub prefix: String,
    pub recursive: bool,
    pub versions: bool,
}

/// One JSON line of `objects`.
#[derive(Debug, Serialize)]
struct Line<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    bucket: &'a str,
    key: &'a str,
    size: Option<u64>,
    last_modified: Option<String>,
    etag: Option<&'a str>,
    storage_class: Option<&'a str>,
    /// Absent without `--versions`; with it, the id or null.
    #[allow(clippy::option_option)]
    #[serde(skip_serializing_if = "Option::is_none")]
    version_id: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_latest: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    delete_marker: Option<bool>,
}

impl<'a> Line<'a> {
    fn folder(bucket: &'a str, prefix: &'a str, versions: bool) -> Self {
        Self {
            kind: "folder",
            bucket,
            key: prefix,
            size: None,
            last_modified: None,
            etag: None,
            storage_class: None,
            version_id: versions.then_some(None),
            is_latest: None,
            delete_marker: None,
        }
    }

    fn object(bucket: &'a str, o: &'a ObjectEntry) -> Self {
        Self {
            kind: "object",
            bucket,
            key: &o.key,
            size: Some(o.size),
            last_modified: o.last_modified.map(rfc3339),
            etag: o.etag.as_deref(),
            storage_class: o.storage_class.as_deref(),
            version_id: None,
            is_latest: None,
            delete_marker: None,
        }
    }

    fn version(bucket: &'a str, v: &'a VersionEntry) -> Self {
        Self {
            kind: "object",
            bucket,
            key: &v.key,
            size: v.size,
            last_modified: v.last_modified.map(rfc3339),
            etag: v.etag.as_deref(),
            storage_class: v.storage_class.as_deref(),
            version_id: Some(v.version_id.as_deref()),
            is_latest: Some(v.is_latest),
            delete_marker: Some(v.delete_marker),
        }
    }
}

/// A JSON line with its AWS console page.
#[derive(Serialize)]
struct WithUrl<'a> {
    #[serde(flatten)]
    line: &'a Line<'a>,
    console_url: String,
}

/// Prints lines as JSON (exact) or as a fixed-width table (sanitised), as they come.
struct Printer {
    json: bool,
    /// The region of the stack's buckets, for each line's `console_url`.
    region: String,
    header_done: bool,
    out: std::io::BufWriter<std::io::Stdout>,
}

impl Printer {
    fn line(&mut self, l: &Line<'_>) -> std::io::Result<()> {
        if self.json {
            let url = if l.kind == "folder" {
                console_url::s3_prefix(&self.region, l.bucket, l.key)
            } else {
                console_url::s3_object(&self.region, l.bucket, l.key)
            };
            serde_json::to_writer(
                &mut self.out,
                &WithUrl {
                    line: l,
                    console_url: url,
                },
            )?;
            return writeln!(self.out);
        }
        if !self.header_done {
            self.header_done = true;
            writeln!(
                self.out,
                "{:<12}  {:<20}  {:<12}  {:<8}  KEY",
                "SIZE", "MODIFIED", "CLASS", "VERSION"
            )?;
        }
        let size = match (l.kind, l.size) {
            ("folder", _) => "DIR".to_string(),
            (_, Some(n)) => n.to_string(),
            (_, None) => "-".to_string(),
        };
        let version = match (l.delete_marker, l.is_latest) {
            (Some(true), Some(true)) => "deleted",
            (Some(true), _) => "marker",
            (_, Some(true)) => "latest",
            (_, Some(false)) => "old",
            _ => "",
        };
        writeln!(
            self.out,
            "{:<12}  {:<20}  {:<12}  {:<8}  s3://{}/{}",
            size,
            l.last_modified.as_deref().unwrap_or("-"),
            l.storage_class.unwrap_or("-"),
            version,
            sanitize(l.bucket),
            sanitize(l.key)
        )
    }
}

/// A closed stdout (`| head`) ends the listing quietly.
fn quiet_pipe(r: std::io::Result<()>) -> anyhow::Result<bool> {
    match r {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(e.into()),
    }
}

async fn buckets_of(
    ctx: &Context,
    stack: &str,
    wanted: Option<&str>,
    all_when_unnamed: bool,
) -> anyhow::Result<Vec<BucketRef>> {
    let stack = cloudformation::resolve(&ctx.aws, stack, &ctx.filters).await?;
    let resources = cloudformation::resources(&ctx.aws, &stack.id).await?;
    if wanted.is_none() && all_when_unnamed {
        let all = s3::stack_buckets(&resources);
        if all.is_empty() {
            anyhow::bail!("stack {:?} has no bucket", sanitize(&stack.name));
        }
        return Ok(all);
    }
    let r =
        cloudformation::pick_resource(&resources, s3::BUCKET_TYPE, "bucket", &stack.name, wanted)?;
    Ok(vec![BucketRef {
        logical_id: r.logical_id.clone(),
        name: r
            .physical_id
            .clone()
            .ok_or_else(|| anyhow::anyhow!("bucket {} has no name yet", sanitize(&r.logical_id)))?,
    }])
}

/// `objects`: lists every bucket of the stack (or `--bucket`) under `--prefix`.
pub async fn list(ctx: &Context, stack: &str, opts: &ListOptions) -> anyhow::Result<ExitCode> {
    let buckets = buckets_of(ctx, stack, opts.bucket.as_deref(), true).await?;
    let mut p = Printer {
        json: ctx.output == OutputFormat::Json,
        region: ctx.aws.region.clone(),
        header_done: false,
        out: std::io::BufWriter::new(std::io::stdout()),
    };
    let delimiter = (!opts.recursive).then_some("/");
    for b in &buckets {
        let go_on = if opts.versions {
            list_versions(ctx, &mut p, &b.name, &opts.prefix, delimiter).await?
        } else {
            list_objects(ctx, &mut p, &b.name, &opts.prefix, delimiter).await?
        };
        if !go_on {
            return Ok(ExitCode::SUCCESS);
        }
    }
    quiet_pipe(p.out.flush())?;
    Ok(ExitCode::SUCCESS)
}

async fn list_objects(
    ctx: &Context,
    p: &mut Printer,
    bucket: &str,
    prefix: &str,
    delimiter: Option<&str>,
) -> anyhow::Result<bool> {
    let mut token: Option<String> = None;
    loop {
        let page = s3::list_page(
            &ctx.aws,
            bucket,
            prefix,
            delimiter,
            token.as_deref(),
            PAGE_KEYS,
        )
        .await?;
        for f in &page.folders {
            if !quiet_pipe(p.line(&Line::folder(bucket, f, false)))? {
                return Ok(false);
            }
        }
        for o in &page.objects {
            if !quiet_pipe(p.line(&Line::object(bucket, o)))? {
                return Ok(false);
            }
        }
        match page.next_token {
            Some(t) => token = Some(t),
            None => return Ok(true),
        }
    }
}

async fn list_versions(
    ctx: &Context,
    p: &mut Printer,
    bucket: &str,
    prefix: &str,
    delimiter: Option<&str>,
) -> anyhow::Result<bool> {
    let mut marker = None;
    loop {
        let page = s3::versions_page(
            &ctx.aws,
            bucket,
            prefix,
            delimiter,
            marker.as_ref(),
            PAGE_KEYS,
        )
        .await?;
        for f in &page.folders {
            if !quiet_pipe(p.line(&Line::folder(bucket, f, true)))? {
                return Ok(false);
            }
        }
        for v in &page.versions {
            if !quiet_pipe(p.line(&Line::version(bucket, v)))? {
                return Ok(false);
            }
        }
        match page.next {
            Some(m) => marker = Some(m),
            None => return Ok(true),
        }
    }
}

/// `get-object`: the object's exact bytes to stdout (no `-o`, or `-o -`) or to a file.
pub async fn get(
    ctx: &Context,
    stack: &str,
    key: &str,
    bucket: Option<&str>,
    version_id: Option<&str>,
    out: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let buckets = buckets_of(ctx, stack, bucket, false).await?;
    let Some(b) = buckets.first() else {
        anyhow::bail!("no bucket");
    };
    let cancel = CancellationToken::new();
    match out {
        Some(path) if path.as_os_str() != "-" => {
            let outcome =
                s3::download(&ctx.aws, &b.name, key, version_id, &path, &cancel, |_| {}).await?;
            if let s3::DownloadOutcome::Done {
                bytes,
                path: Some(p),
            } = outcome
            {
                eprintln!(
                    "wrote {bytes} bytes to {}",
                    sanitize(&p.display().to_string())
                );
            }
        }
        _ => {
            let mut stdout = BlockingWriter(std::io::stdout().lock());
            match s3::stream_to(
                &ctx.aws,
                &b.name,
                key,
                version_id,
                &mut stdout,
                &cancel,
                |_| {},
            )
            .await
            {
                Ok(_) => {}
                Err(e) if is_broken_pipe(&e) => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Stdout for the async streamer: each write goes straight to the (blocking) handle,
/// which is what a CLI printing bytes wants.
struct BlockingWriter<W>(W);

impl<W: Write + Unpin> tokio::io::AsyncWrite for BlockingWriter<W> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::task::Poll::Ready(self.0.write(buf))
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(self.0.flush())
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(self.0.flush())
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.downcast_ref::<std::io::Error>()
        .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}
