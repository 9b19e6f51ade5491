//! The S3 screens of a stack: its buckets, a prefix browser, an object (detail + preview),
//! versions; downloads with progress; copying keys, URIs and presigned URLs.

pub mod preview;
#[cfg(test)]
pub(crate) mod tests;

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent};
use tokio_util::sync::CancellationToken;

use super::keymap::Command;
use super::list::ListState;
use super::stacks::LoadState;
use super::{App, Effect, Level, Screen};
use crate::app::widgets::input::Edit;
use crate::aws::s3;
use crate::domain::s3::{
    BucketRef, BucketStats, DownloadOutcome, ListPage, ObjectEntry, ObjectHead, Preview,
    VersionEntry,
};
use crate::domain::stack::Stack;
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
    pub load: LoadState,
    pub loading_more: bool,
    pub pages: usize,
    pub request_id: u64,
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
    pub load: LoadState,
    pub head: Option<ObjectHead>,
    pub preview: Option<PreviewDoc>,
    pub preview_read: usize,
    pub scroll: ListState,
    pub request_id: u64,
}

/// The versions of a key (or of every key under a prefix).
#[derive(Debug)]
pub struct VersionsView {
    pub bucket: String,
    pub key: String,
    pub exact: bool,
    pub load: LoadState,
    pub entries: Vec<VersionEntry>,
    pub truncated: bool,
    pub list: ListState,
    pub request_id: u64,
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
    pub load: LoadState,
    pub buckets: Vec<BucketInfo>,
    pub list: ListState,
    pub request_id: u64,
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
            load: LoadState::Idle,
            buckets: Vec::new(),
            list: ListState::default(),
            request_id: 0,
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
    format!("./{}", s3::safe_file_name(name))
}

impl App {
    /// Opens the bucket list of the stack shown in the detail screen.
    pub(crate) fn open_s3(&mut self) -> Vec<Effect> {
        let Some(stack) = self.detail.as_ref().map(|d| d.stack.clone()) else {
            return Vec::new();
        };
        self.s3 = Some(Box::new(S3State::new(stack)));
        self.screens.push(Screen::S3Buckets);
        self.s3_reload_buckets()
    }

    /// True while an S3 prompt has the keyboard.
    pub(crate) fn s3_input_focused(&self) -> bool {
        is_s3(self.screen()) && self.s3.as_ref().is_some_and(|s| s.input.is_some())
    }

    fn s3_reload_buckets(&mut self) -> Vec<Effect> {
        if self.aws.is_none() {
            return Vec::new();
        }
        let request_id = self.request_id();
        let Some(s) = self.s3.as_mut() else {
            return Vec::new();
        };
        s.request_id = request_id;
        s.load = LoadState::Loading;
        vec![Effect::S3(S3Effect::LoadBuckets {
            request_id,
            stack_id: s.stack.id.clone(),
        })]
    }

    /// Applies an S3 task's result.
    pub(crate) fn s3_update(&mut self, action: S3Action) -> Vec<Effect> {
        let page_rows = self.page_rows;
        let Some(s) = self.s3.as_mut() else {
            return Vec::new();
        };
        let mut error: Option<String> = None;
        let mut effects = Vec::new();
        match action {
            S3Action::BucketsLoaded { request_id, result } => {
                if request_id != s.request_id {
                    return Vec::new();
                }
                match result {
                    Ok(b) => {
                        s.list.set_len(b.len());
                        s.buckets = b;
                        s.load = LoadState::Loaded;
                    }
                    Err(e) => {
                        s.load = LoadState::Failed(e.clone());
                        error = Some(e);
                    }
                }
            }
            S3Action::CountProgress {
                bucket,
                stats,
                done,
            } => {
                if let Some(b) = s.buckets.iter_mut().find(|b| b.bucket.name == bucket) {
                    b.stats = Some(stats);
                    b.counting = !done;
                }
                if done {
                    s.counts.retain(|(n, _)| *n != bucket);
                }
            }
            S3Action::CountFailed { bucket, error: e } => {
                if let Some(b) = s.buckets.iter_mut().find(|b| b.bucket.name == bucket) {
                    b.counting = false;
                    b.count_error = Some(e.clone());
                }
                s.counts.retain(|(n, _)| *n != bucket);
                error = Some(e);
            }
            S3Action::PageLoaded { request_id, result } => {
                let Some(b) = s.browser.as_mut() else {
                    return Vec::new();
                };
                if request_id != b.request_id {
                    return Vec::new();
                }
                b.loading_more = false;
                match result {
                    Ok(page) => {
                        b.append(page);
                        b.load = LoadState::Loaded;
                        if let Some(pos) = b.restore.take() {
                            b.list.selected = pos.min(b.list.len.saturating_sub(1));
                        }
                    }
                    Err(e) => {
                        if b.entries.is_empty() {
                            b.load = LoadState::Failed(e.clone());
                        } else {
                            b.load = LoadState::Loaded;
                        }
                        error = Some(e);
                    }
                }
            }
            S3Action::ObjectLoaded { request_id, result } => {
                let Some(o) = s.object.as_mut() else {
                    return Vec::new();
                };
                if request_id != o.request_id {
                    return Vec::new();
                }
                match result {
                    Ok((head, p)) => {
                        let doc = preview::build(&p.bytes, p.truncated());
                        o.scroll = ListState::default();
                        o.scroll.set_len(doc.lines.len());
                        o.preview_read = p.bytes.len();
                        o.preview = Some(doc);
                        o.head = Some(head);
                        o.load = LoadState::Loaded;
                    }
                    Err(e) => {
                        o.load = LoadState::Failed(e.clone());
                        error = Some(e);
                    }
                }
            }
            S3Action::VersionsLoaded { request_id, result } => {
                let Some(v) = s.versions.as_mut() else {
                    return Vec::new();
                };
                if request_id != v.request_id {
                    return Vec::new();
                }
                match result {
                    Ok((entries, truncated)) => {
                        v.list.set_len(entries.len());
                        v.entries = entries;
                        v.truncated = truncated;
                        v.load = LoadState::Loaded;
                    }
                    Err(e) => {
                        v.load = LoadState::Failed(e.clone());
                        error = Some(e);
                    }
                }
            }
            S3Action::DownloadProgress { id, done, total } => {
                if let Some(d) = s.download.as_mut().filter(|d| d.id == id) {
                    d.done = done;
                    d.total = total;
                }
            }
            S3Action::DownloadFinished { id, result } => {
                if s.download.as_ref().is_none_or(|d| d.id != id) {
                    return Vec::new();
                }
                s.download = None;
                match result {
                    Ok(DownloadOutcome::Done { bytes, path }) => {
                        let where_ = path.map(|p| p.display().to_string()).unwrap_or_default();
                        let text = format!("saved {} to {}", s3::human_size(bytes), where_);
                        self.notify(Level::Info, text);
                    }
                    Ok(DownloadOutcome::Cancelled) => {
                        self.notify(Level::Info, "download cancelled");
                    }
                    Err(e) => error = Some(format!("download failed: {e}")),
                }
            }
            S3Action::Presigned(result) => match result {
                Ok(url) => effects.push(Effect::CopyToClipboard(url)),
                Err(e) => error = Some(e),
            },
        }
        if let Some(e) = error {
            self.notify(Level::Error, e);
        }
        if self.screen() == Screen::S3Browser {
            effects.extend(self.s3_more_if_needed(page_rows));
        }
        effects
    }

    fn s3_more_if_needed(&mut self, page_rows: usize) -> Vec<Effect> {
        let Some(b) = self.s3.as_mut().and_then(|s| s.browser.as_mut()) else {
            return Vec::new();
        };
        if !b.wants_more(page_rows) {
            return Vec::new();
        }
        b.loading_more = true;
        vec![Effect::S3(S3Effect::ListPage {
            request_id: b.request_id,
            bucket: b.bucket.clone(),
            prefix: b.prefix.clone(),
            token: b.next_token.clone(),
        })]
    }

    /// Starts listing `prefix` of the browser's bucket from its first page.
    fn s3_list(&mut self, prefix: String) -> Vec<Effect> {
        let request_id = self.request_id();
        let Some(b) = self.s3.as_mut().and_then(|s| s.browser.as_mut()) else {
            return Vec::new();
        };
        b.prefix = prefix;
        b.entries.clear();
        b.view.clear();
        b.list = ListState::default();
        b.next_token = None;
        b.pages = 0;
        b.filter.clear();
        b.load = LoadState::Loading;
        b.loading_more = false;
        b.request_id = request_id;
        vec![Effect::S3(S3Effect::ListPage {
            request_id,
            bucket: b.bucket.clone(),
            prefix: b.prefix.clone(),
            token: None,
        })]
    }

    fn s3_open_object(
        &mut self,
        bucket: String,
        key: String,
        version_id: Option<String>,
    ) -> Vec<Effect> {
        let request_id = self.request_id();
        let preview_bytes = (self.settings.s3.preview_kib * 1024).min(MAX_PREVIEW_BYTES) as usize;
        let Some(s) = self.s3.as_mut() else {
            return Vec::new();
        };
        s.object = Some(ObjectView {
            bucket: bucket.clone(),
            key: key.clone(),
            version_id: version_id.clone(),
            load: LoadState::Loading,
            head: None,
            preview: None,
            preview_read: 0,
            scroll: ListState::default(),
            request_id,
        });
        if self.screen() != Screen::S3Object {
            self.screens.push(Screen::S3Object);
        }
        vec![Effect::S3(S3Effect::LoadObject {
            request_id,
            bucket,
            key,
            version_id,
            preview_bytes,
        })]
    }

    fn s3_open_versions(&mut self, bucket: String, key: String, exact: bool) -> Vec<Effect> {
        let request_id = self.request_id();
        let Some(s) = self.s3.as_mut() else {
            return Vec::new();
        };
        s.versions = Some(VersionsView {
            bucket: bucket.clone(),
            key: key.clone(),
            exact,
            load: LoadState::Loading,
            entries: Vec::new(),
            truncated: false,
            list: ListState::default(),
            request_id,
        });
        self.screens.push(Screen::S3Versions);
        vec![Effect::S3(S3Effect::LoadVersions {
            request_id,
            bucket,
            key,
            exact,
        })]
    }

    /// The object (bucket, key, version) the current screen points at, if any.
    fn s3_target(&self) -> Option<DownloadRequest> {
        let s = self.s3.as_ref()?;
        match self.screen() {
            Screen::S3Browser => {
                let b = s.browser.as_ref()?;
                match b.selected()? {
                    Entry::Object(o) => Some(DownloadRequest {
                        bucket: b.bucket.clone(),
                        key: o.key.clone(),
                        version_id: None,
                    }),
                    Entry::Folder(_) => None,
                }
            }
            Screen::S3Object => {
                let o = s.object.as_ref()?;
                Some(DownloadRequest {
                    bucket: o.bucket.clone(),
                    key: o.key.clone(),
                    version_id: o.version_id.clone(),
                })
            }
            Screen::S3Versions => {
                let v = s.versions.as_ref()?;
                let e = v.entries.get(v.list.selected)?;
                (!e.delete_marker).then(|| DownloadRequest {
                    bucket: v.bucket.clone(),
                    key: e.key.clone(),
                    version_id: e.version_id.clone(),
                })
            }
            _ => None,
        }
    }

    /// The key (or folder prefix) under the cursor, with its bucket, for copying.
    fn s3_selected_key(&self) -> Option<(String, String)> {
        let s = self.s3.as_ref()?;
        match self.screen() {
            Screen::S3Browser => {
                let b = s.browser.as_ref()?;
                b.selected()
                    .map(|e| (b.bucket.clone(), e.key().to_string()))
            }
            Screen::S3Buckets => s
                .selected_bucket()
                .map(|b| (b.bucket.name.clone(), String::new())),
            _ => self.s3_target().map(|t| (t.bucket, t.key)),
        }
    }

    /// Handles a command on one of the S3 screens.
    pub(crate) fn s3_command(&mut self, cmd: Command) -> Vec<Effect> {
        let page = self.page_rows.max(1);
        match cmd {
            Command::Back => return self.s3_back(),
            Command::S3Cancel => {
                if let Some(s) = self.s3.as_mut() {
                    if let Some(d) = s.download.as_ref() {
                        d.cancel.cancel();
                    } else if !s.counts.is_empty() {
                        s.cancel_all();
                        for b in &mut s.buckets {
                            b.counting = false;
                        }
                        self.notify(Level::Info, "count cancelled");
                    }
                }
                return Vec::new();
            }
            Command::S3CopyKey | Command::S3CopyUri => {
                return match self.s3_selected_key() {
                    Some((bucket, key)) if cmd == Command::S3CopyUri => {
                        vec![Effect::CopyToClipboard(s3::s3_uri(&bucket, &key))]
                    }
                    Some((bucket, key)) => vec![Effect::CopyToClipboard(if key.is_empty() {
                        bucket
                    } else {
                        key
                    })],
                    None => Vec::new(),
                };
            }
            Command::S3CopyUrl => {
                let Some(t) = self.s3_target() else {
                    self.notify(Level::Error, "a presigned URL needs an object");
                    return Vec::new();
                };
                return vec![Effect::S3(S3Effect::Presign {
                    bucket: t.bucket,
                    key: t.key,
                    version_id: t.version_id,
                    expiry: self.settings.s3.presign_expiry,
                })];
            }
            Command::S3Download => {
                let Some(t) = self.s3_target() else {
                    self.notify(Level::Error, "choose an object to download");
                    return Vec::new();
                };
                let Some(s) = self.s3.as_mut() else {
                    return Vec::new();
                };
                if s.download.is_some() {
                    self.notify(Level::Error, "a download is running (x cancels it)");
                    return Vec::new();
                }
                s.input = Some(Input {
                    kind: InputKind::DownloadPath,
                    text: default_download_path(&t.key).into(),
                });
                s.pending_download = Some(t);
                return Vec::new();
            }
            _ => {}
        }
        match self.screen() {
            Screen::S3Buckets => self.s3_buckets_command(cmd, page),
            Screen::S3Browser => self.s3_browser_command(cmd, page),
            Screen::S3Object => self.s3_object_command(cmd, page),
            Screen::S3Versions => self.s3_versions_command(cmd, page),
            _ => Vec::new(),
        }
    }

    fn s3_back(&mut self) -> Vec<Effect> {
        let screen = self.screen();
        let Some(s) = self.s3.as_mut() else {
            self.screens.pop();
            return Vec::new();
        };
        match screen {
            Screen::S3Browser => {
                let Some(b) = s.browser.as_mut() else {
                    self.screens.pop();
                    return Vec::new();
                };
                if !b.filter.is_empty() {
                    b.filter.clear();
                    b.refilter();
                    return Vec::new();
                }
                if let Some((prefix, cursor)) = b.history.pop() {
                    let effects = self.s3_list(prefix);
                    if let Some(b) = self.s3.as_mut().and_then(|s| s.browser.as_mut()) {
                        b.restore = Some(cursor);
                    }
                    return effects;
                }
                s.browser = None;
                self.screens.pop();
            }
            Screen::S3Object => {
                s.object = None;
                self.screens.pop();
            }
            Screen::S3Versions => {
                s.versions = None;
                self.screens.pop();
            }
            _ => {
                self.screens.pop();
                self.s3 = None;
            }
        }
        Vec::new()
    }

    fn s3_buckets_command(&mut self, cmd: Command, page: usize) -> Vec<Effect> {
        let Some(s) = self.s3.as_mut() else {
            return Vec::new();
        };
        match cmd {
            Command::Refresh => self.s3_reload_buckets(),
            Command::S3Count => {
                let Some(b) = s.buckets.get_mut(s.list.selected) else {
                    return Vec::new();
                };
                if b.counting {
                    return Vec::new();
                }
                b.counting = true;
                b.count_error = None;
                b.stats = Some(BucketStats::default());
                let cancel = CancellationToken::new();
                let bucket = b.bucket.name.clone();
                s.counts.push((bucket.clone(), cancel.clone()));
                vec![Effect::S3(S3Effect::Count { bucket, cancel })]
            }
            Command::Open => {
                let Some(b) = s.selected_bucket() else {
                    return Vec::new();
                };
                s.browser = Some(Browser {
                    bucket: b.bucket.name.clone(),
                    ..Browser::default()
                });
                self.screens.push(Screen::S3Browser);
                self.s3_list(String::new())
            }
            Command::S3Versions => {
                let Some(b) = s.selected_bucket() else {
                    return Vec::new();
                };
                let name = b.bucket.name.clone();
                self.s3_open_versions(name, String::new(), false)
            }
            other => {
                s.list.navigate(other, page);
                Vec::new()
            }
        }
    }

    fn s3_browser_command(&mut self, cmd: Command, page: usize) -> Vec<Effect> {
        let Some(b) = self.s3.as_mut().and_then(|s| s.browser.as_mut()) else {
            return Vec::new();
        };
        match cmd {
            Command::Refresh => {
                let prefix = b.prefix.clone();
                self.s3_list(prefix)
            }
            Command::Filter => {
                let text = b.filter.clone();
                if let Some(s) = self.s3.as_mut() {
                    s.input = Some(Input {
                        kind: InputKind::Filter,
                        text: text.into(),
                    });
                }
                Vec::new()
            }
            Command::S3Jump => {
                let text = b.prefix.clone();
                if let Some(s) = self.s3.as_mut() {
                    s.input = Some(Input {
                        kind: InputKind::Jump,
                        text: text.into(),
                    });
                }
                Vec::new()
            }
            Command::Open => match b.selected().cloned() {
                Some(Entry::Folder(p)) => {
                    b.history.push((b.prefix.clone(), b.list.selected));
                    self.s3_list(p)
                }
                Some(Entry::Object(o)) => {
                    let bucket = b.bucket.clone();
                    self.s3_open_object(bucket, o.key, None)
                }
                None => Vec::new(),
            },
            Command::S3Versions => {
                let (key, exact) = match b.selected() {
                    Some(Entry::Object(o)) => (o.key.clone(), true),
                    Some(Entry::Folder(p)) => (p.clone(), false),
                    None => (b.prefix.clone(), false),
                };
                let bucket = b.bucket.clone();
                self.s3_open_versions(bucket, key, exact)
            }
            other => {
                b.list.navigate(other, page);
                self.s3_more_if_needed(page)
            }
        }
    }

    fn s3_object_command(&mut self, cmd: Command, page: usize) -> Vec<Effect> {
        let Some(o) = self.s3.as_mut().and_then(|s| s.object.as_mut()) else {
            return Vec::new();
        };
        match cmd {
            Command::Refresh => {
                let (b, k, v) = (o.bucket.clone(), o.key.clone(), o.version_id.clone());
                self.s3_open_object(b, k, v)
            }
            Command::S3Versions => {
                let (b, k) = (o.bucket.clone(), o.key.clone());
                self.s3_open_versions(b, k, true)
            }
            other => {
                // The preview scrolls by lines: the cursor is the top line.
                let s = &mut o.scroll;
                let last_top = s.len.saturating_sub(page);
                s.navigate(other, page);
                if matches!(other, Command::Bottom) || s.selected > last_top {
                    s.selected = last_top;
                }
                s.set_offset(s.selected);
                Vec::new()
            }
        }
    }

    fn s3_versions_command(&mut self, cmd: Command, page: usize) -> Vec<Effect> {
        let Some(v) = self.s3.as_mut().and_then(|s| s.versions.as_mut()) else {
            return Vec::new();
        };
        match cmd {
            Command::Refresh => {
                let request_id = self.request_id();
                let Some(v) = self.s3.as_mut().and_then(|s| s.versions.as_mut()) else {
                    return Vec::new();
                };
                v.request_id = request_id;
                v.load = LoadState::Loading;
                vec![Effect::S3(S3Effect::LoadVersions {
                    request_id,
                    bucket: v.bucket.clone(),
                    key: v.key.clone(),
                    exact: v.exact,
                })]
            }
            Command::Open => {
                let Some(e) = v.entries.get(v.list.selected) else {
                    return Vec::new();
                };
                if e.delete_marker {
                    self.notify(Level::Info, "a delete marker has no content");
                    return Vec::new();
                }
                let (b, k, id) = (v.bucket.clone(), e.key.clone(), e.version_id.clone());
                self.s3_open_object(b, k, id)
            }
            other => {
                v.list.navigate(other, page);
                Vec::new()
            }
        }
    }

    /// A key typed into the focused S3 prompt.
    pub(crate) fn s3_input(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(s) = self.s3.as_mut() else {
            return Vec::new();
        };
        let Some(input) = s.input.as_mut() else {
            return Vec::new();
        };
        let kind = input.kind;
        match key.code {
            KeyCode::Esc => {
                s.input = None;
                s.pending_download = None;
                if kind == InputKind::Filter
                    && let Some(b) = s.browser.as_mut()
                {
                    b.filter.clear();
                    b.refilter();
                }
                return Vec::new();
            }
            KeyCode::Enter => {
                let text = input.text.take();
                s.input = None;
                return self.s3_submit(kind, text);
            }
            _ => {
                if input.text.handle(key, MAX_INPUT) != Edit::Changed {
                    return Vec::new();
                }
            }
        }
        if kind == InputKind::Filter {
            let text = input.text.to_string();
            if let Some(b) = s.browser.as_mut() {
                b.filter = text;
                b.refilter();
            }
        }
        Vec::new()
    }

    fn s3_submit(&mut self, kind: InputKind, text: String) -> Vec<Effect> {
        match kind {
            InputKind::Filter => self.s3_more_if_needed(self.page_rows),
            InputKind::Jump => {
                let Some(b) = self.s3.as_mut().and_then(|s| s.browser.as_mut()) else {
                    return Vec::new();
                };
                b.history.push((b.prefix.clone(), b.list.selected));
                self.s3_list(text)
            }
            InputKind::DownloadPath => {
                let id = self.request_id();
                let Some(s) = self.s3.as_mut() else {
                    return Vec::new();
                };
                let Some(req) = s.pending_download.take() else {
                    return Vec::new();
                };
                let path = PathBuf::from(expand_home(text.trim()));
                if path.as_os_str().is_empty() {
                    self.notify(Level::Error, "no path given");
                    return Vec::new();
                }
                let cancel = CancellationToken::new();
                s.download = Some(Download {
                    id,
                    key: req.key.clone(),
                    path: path.clone(),
                    done: 0,
                    total: 0,
                    cancel: cancel.clone(),
                });
                vec![Effect::S3(S3Effect::Download {
                    id,
                    bucket: req.bucket,
                    key: req.key,
                    version_id: req.version_id,
                    path,
                    cancel,
                })]
            }
        }
    }
}

/// `~/x` to the home folder's `x`.
fn expand_home(p: &str) -> String {
    if let Some(rest) = p.strip_prefix("~/")
        && let Some(home) = std::env::var_os("HOME")
    {
        return PathBuf::from(home).join(rest).display().to_string();
    }
    p.to_string()
}
