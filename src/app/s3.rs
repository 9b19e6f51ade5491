//! The S3 screens of a stack: its buckets, a prefix browser, an object (detail + preview),
//! versions; downloads with progress; copying keys, URIs and presigned URLs.

mod commands;
pub mod preview;
mod results;
#[cfg(test)]
pub(crate) mod tests;

use std::path::PathBuf;

use tokio_util::sync::CancellationToken;

use super::Screen;
use super::list::ListState;
use super::stacks::LoadState;
use super::widgets::Loadable;
use crate::app::keymap::Command;
use crate::domain::s3::{
    BucketRef, BucketStats, DownloadOutcome, ListPage, ObjectEntry, ObjectHead, Preview,
    VersionEntry,
};
use crate::domain::stack::Stack;
use crate::domain::text::safe_file_name;
use preview::PreviewDoc;

/// Largest preview read, whatever the config says.
const MAX_PREVIEW_BYTES: u64 = 16 * 1024 * 1024;
/// Versions loaded for one key or prefix.
pub const VERSIONS_LIMIT: usize = 10_000;
/// Rows from the end of the loaded listing at which the next page is fetched.
const LOAD_AHEAD: usize = 200;
/// Longest text typed into a prompt.
const MAX_INPUT: usize = 1024;

/// Results of S3 tasks.
#[derive(Debug)]
pub enum S3Action {
    BucketsLoaded {
        request_id: u64,
        result: Result<Vec<BucketInfo>, String>,
    },
    CountProgress {
        bucket: String,
        stats: BucketStats,
        done: bool,
    },
    CountFailed {
        bucket: String,
        error: String,
    },
    PageLoaded {
        request_id: u64,
        result: Result<ListPage, String>,
    },
    ObjectLoaded {
        request_id: u64,
        result: Result<(ObjectHead, Preview), String>,
    },
    VersionsLoaded {
        request_id: u64,
        result: Result<(Vec<VersionEntry>, bool), String>,
    },
    DownloadProgress {
        id: u64,
        done: u64,
        total: u64,
    },
    DownloadFinished {
        id: u64,
        result: Result<DownloadOutcome, String>,
    },
    Presigned(Result<String, String>),
}

/// S3 work for a task.
#[derive(Debug, Clone)]
pub enum S3Effect {
    LoadBuckets {
        request_id: u64,
        stack_id: String,
    },
    Count {
        bucket: String,
        cancel: CancellationToken,
    },
    ListPage {
        request_id: u64,
        bucket: String,
        prefix: String,
        token: Option<String>,
    },
    LoadObject {
        request_id: u64,
        bucket: String,
        key: String,
        version_id: Option<String>,
        preview_bytes: usize,
    },
    LoadVersions {
        request_id: u64,
        bucket: String,
        key: String,
        exact: bool,
    },
    Download {
        id: u64,
        bucket: String,
        key: String,
        version_id: Option<String>,
        path: PathBuf,
        cancel: CancellationToken,
    },
    Presign {
        bucket: String,
        key: String,
        version_id: Option<String>,
        expiry: std::time::Duration,
    },
}

/// A bucket of the stack, its versioning and (on request) its size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketInfo {
    pub bucket: BucketRef,
    pub versioning: Option<String>,
    pub stats: Option<BucketStats>,
    pub counting: bool,
    pub count_error: Option<String>,
}

/// One row of the prefix browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Folder(String),
    Object(ObjectEntry),
}

impl Entry {
    /// The full key (or prefix, for a folder).
    pub fn key(&self) -> &str {
        match self {
            Self::Folder(p) => p,
            Self::Object(o) => &o.key,
        }
    }
}

/// The prefix browser of one bucket.
#[derive(Debug, Default)]
pub struct Browser {
    pub bucket: String,
    pub prefix: String,
    pub entries: Vec<Entry>,
    /// Indices into `entries` that match the filter.
    pub view: Vec<usize>,
    pub list: ListState,
    pub filter: String,
    pub next_token: Option<String>,
    /// The listing of the prefix: its latest request (the later pages carry the same id) and
    /// how its first page stands.
    pub load: Loadable,
    pub loading_more: bool,
    pub pages: usize,
    /// Parent prefixes and their cursor, for going back up.
    pub history: Vec<(String, usize)>,
    /// Where to put the cursor when the listing arrives (after going back up).
    pub restore: Option<usize>,
}

impl Browser {
    /// The part of the prefix that is a folder path (up to its last `/`).
    pub fn base(&self) -> &str {
        match self.prefix.rfind('/') {
            Some(i) => &self.prefix[..=i],
            None => "",
        }
    }

    /// The entry's name relative to the current folder.
    pub fn name_of<'a>(&self, e: &'a Entry) -> &'a str {
        let k = e.key();
        k.strip_prefix(self.base()).unwrap_or(k)
    }

    /// The entry under the cursor.
    pub fn selected(&self) -> Option<&Entry> {
        self.view
            .get(self.list.selected)
            .and_then(|&i| self.entries.get(i))
    }

    fn matches(&self, e: &Entry) -> bool {
        self.filter.is_empty()
            || self
                .name_of(e)
                .to_lowercase()
                .contains(&self.filter.to_lowercase())
    }

    /// Rebuilds the filtered view (after the filter changed).
    pub fn refilter(&mut self) {
        let view: Vec<usize> = (0..self.entries.len())
            .filter(|&i| self.matches(&self.entries[i]))
            .collect();
        self.view = view;
        self.list.set_len(self.view.len());
    }

    /// Appends a page, extending the view with its matching rows only.
    pub fn append(&mut self, page: ListPage) {
        let mut rows: Vec<Entry> = page
            .folders
            .into_iter()
            .map(Entry::Folder)
            .chain(page.objects.into_iter().map(Entry::Object))
            // S3 lists the prefix itself as an object when a "folder" was created in the console.
            .filter(|e| !(matches!(e, Entry::Object(o) if o.key == self.prefix && o.key.ends_with('/'))))
            .collect();
        rows.sort_by(|a, b| a.key().cmp(b.key()));
        let start = self.entries.len();
        self.entries.extend(rows);
        for i in start..self.entries.len() {
            if self.matches(&self.entries[i]) {
                self.view.push(i);
            }
        }
        self.list.set_len(self.view.len());
        self.next_token = page.next_token;
        self.pages += 1;
    }

    /// True when the cursor is near the end of what is loaded and more pages exist.
    pub fn wants_more(&self, page_rows: usize) -> bool {
        self.next_token.is_some()
            && !self.loading_more
            && self.load == LoadState::Loaded
            && self.list.len.saturating_sub(self.list.selected) <= LOAD_AHEAD.max(page_rows * 2)
    }
}

/// The object screen: its head and a preview of its first bytes.
#[derive(Debug)]
pub struct ObjectView {
    pub bucket: String,
    pub key: String,
    pub version_id: Option<String>,
    /// The head and the preview: the latest request and how it stands.
    pub load: Loadable,
    pub head: Option<ObjectHead>,
    pub preview: Option<PreviewDoc>,
    pub preview_read: usize,
    pub scroll: super::widgets::Scroll,
}

/// The versions of a key (or of every key under a prefix).
#[derive(Debug)]
pub struct VersionsView {
    pub bucket: String,
    pub key: String,
    pub exact: bool,
    /// The versions: the latest request and how it stands.
    pub load: Loadable,
    pub entries: Vec<VersionEntry>,
    pub truncated: bool,
    pub list: ListState,
}

/// A download in progress (or just finished).
#[derive(Debug)]
pub struct Download {
    pub id: u64,
    pub key: String,
    pub path: PathBuf,
    pub done: u64,
    pub total: u64,
    pub cancel: CancellationToken,
}

/// What a prompt line is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Filter,
    Jump,
    DownloadPath,
}

/// A focused prompt line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    pub kind: InputKind,
    pub text: crate::app::widgets::TextInput,
}

impl Input {
    /// The prompt shown before the text.
    pub fn label(&self) -> &'static str {
        match self.kind {
            InputKind::Filter => "/",
            InputKind::Jump => "prefix: ",
            InputKind::DownloadPath => "save to: ",
        }
    }
}

/// What a pending download prompt will fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadRequest {
    pub bucket: String,
    pub key: String,
    pub version_id: Option<String>,
}

/// Everything the S3 screens of one stack hold.
#[derive(Debug)]
pub struct S3State {
    pub stack: Stack,
    /// The stack's buckets: the latest request and how it stands.
    pub load: Loadable,
    pub buckets: Vec<BucketInfo>,
    pub list: ListState,
    pub counts: Vec<(String, CancellationToken)>,
    pub browser: Option<Browser>,
    pub object: Option<ObjectView>,
    pub versions: Option<VersionsView>,
    pub download: Option<Download>,
    pub input: Option<Input>,
    pub pending_download: Option<DownloadRequest>,
}

impl S3State {
    /// The S3 screens of `stack`, nothing loaded yet.
    pub fn new(stack: Stack) -> Self {
        Self {
            stack,
            load: Loadable::default(),
            buckets: Vec::new(),
            list: ListState::default(),
            counts: Vec::new(),
            browser: None,
            object: None,
            versions: None,
            download: None,
            input: None,
            pending_download: None,
        }
    }

    /// Cancels every running task (counts, download).
    pub fn cancel_all(&mut self) {
        for (_, t) in self.counts.drain(..) {
            t.cancel();
        }
        if let Some(d) = self.download.take() {
            d.cancel.cancel();
        }
    }

    /// The bucket under the cursor.
    pub fn selected_bucket(&self) -> Option<&BucketInfo> {
        self.buckets.get(self.list.selected)
    }
}

impl Drop for S3State {
    fn drop(&mut self) {
        self.cancel_all();
    }
}

fn is_s3(screen: Screen) -> bool {
    matches!(
        screen,
        Screen::S3Buckets | Screen::S3Browser | Screen::S3Object | Screen::S3Versions
    )
}

/// The file name a download of `key` suggests (its last segment, made safe).
pub fn default_download_path(key: &str) -> String {
    let name = key.rsplit('/').find(|s| !s.is_empty()).unwrap_or("object");
    format!("./{}", safe_file_name(name))
}

impl super::Update for S3Action {
    fn update(self, app: &mut super::App) -> Vec<super::Effect> {
        app.s3_update(self)
    }
}

impl super::ScreenState for S3State {
    fn command(app: &mut super::App, cmd: Command) -> Vec<super::Effect> {
        app.s3_command(cmd)
    }

    fn hints(_app: &super::App, page: super::Screen) -> Vec<Command> {
        match page {
            super::Screen::S3Browser => vec![
                Command::Open,
                Command::Filter,
                Command::S3Jump,
                Command::S3Download,
                Command::S3Versions,
                Command::S3CopyKey,
                Command::S3CopyUrl,
                Command::Back,
                Command::Help,
            ],
            super::Screen::S3Object => vec![
                Command::Down,
                Command::S3Download,
                Command::S3Versions,
                Command::S3CopyUri,
                Command::S3CopyUrl,
                Command::Back,
                Command::Help,
            ],
            super::Screen::S3Versions => vec![
                Command::Open,
                Command::S3Download,
                Command::S3CopyUrl,
                Command::Back,
                Command::Help,
            ],
            _ => vec![
                Command::Open,
                Command::S3Count,
                Command::S3Versions,
                Command::S3CopyKey,
                Command::Back,
                Command::Help,
            ],
        }
    }

    fn input_focused(app: &super::App) -> bool {
        app.s3_input_focused()
    }

    /// The selected object's (or prefix's) page; an empty folder's own.
    fn console_target(app: &super::App, _page: super::Screen) -> Option<String> {
        use crate::domain::console_url;
        let s = app.views.s3()?;
        let (bucket, key) = app.s3_selected_key().or_else(|| {
            let b = s.browser.as_ref()?;
            Some((b.bucket.clone(), b.prefix.clone()))
        })?;
        let region = &s.stack.region;
        Some(if key.is_empty() || key.ends_with('/') {
            console_url::s3_prefix(region, &bucket, &key)
        } else {
            console_url::s3_object(region, &bucket, &key)
        })
    }

    fn input(app: &mut super::App, key: crossterm::event::KeyEvent) -> Vec<super::Effect> {
        app.s3_input(key)
    }
}
