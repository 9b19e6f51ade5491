//! Results of the S3 screens' work: buckets, listings, objects, versions, downloads.

use super::{
    DownloadRequest, Entry, MAX_PREVIEW_BYTES, ObjectView, S3Action, S3Effect, S3State,
    VersionsView, is_s3,
};
use crate::app::Scoped;
use crate::app::list::ListState;
use crate::app::widgets::Loadable;
use crate::app::{App, Effect, Level, Screen};
use crate::domain::s3::DownloadOutcome;
use crate::domain::stack::Scope;
use crate::domain::text::human_size;

impl App {
    /// Opens the bucket list of the stack shown in the detail screen.
    pub(crate) fn open_s3(&mut self) -> Vec<Effect> {
        let Some(stack) = self.views.detail().map(|d| d.stack.clone()) else {
            return Vec::new();
        };
        self.views.open(S3State::new(stack));
        self.s3_reload_buckets()
    }

    /// True while an S3 prompt has the keyboard.
    pub(crate) fn s3_input_focused(&self) -> bool {
        is_s3(self.screen()) && self.views.s3().is_some_and(|s| s.input.is_some())
    }

    /// The scope of the stack the S3 screens were opened from.
    pub(super) fn s3_scope(&self) -> Scope {
        self.views.s3().map(|s| s.stack.scope()).unwrap_or_default()
    }

    pub(super) fn s3_reload_buckets(&mut self) -> Vec<Effect> {
        let scope = self.s3_scope();
        if self.connection.is_none() {
            return Vec::new();
        }
        let Some(s) = self.views.s3_mut() else {
            return Vec::new();
        };
        let request_id = s.load.start(&mut self.requests);
        vec![Effect::S3(Scoped::new(
            scope,
            S3Effect::LoadBuckets {
                request_id,
                stack_id: s.stack.id.clone(),
            },
        ))]
    }

    /// Applies an S3 task's result.
    pub(crate) fn s3_update(&mut self, action: S3Action) -> Vec<Effect> {
        let page_rows = self.page_rows;
        let Some(s) = self.views.s3_mut() else {
            return Vec::new();
        };
        let mut error: Option<String> = None;
        let mut info: Option<String> = None;
        let mut effects = Vec::new();
        match action {
            S3Action::BucketsLoaded { request_id, result } => {
                match s.load.finish(request_id, result) {
                    None => return Vec::new(),
                    Some(Ok(b)) => {
                        s.list.set_len(b.len());
                        s.buckets = b;
                    }
                    Some(Err(e)) => error = Some(e),
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
                let Some(result) = b.load.finish(request_id, result) else {
                    return Vec::new();
                };
                b.loading_more = false;
                match result {
                    Ok(page) => {
                        b.append(page);
                        let max = self.settings.s3.max_objects;
                        if b.next_token.is_some() && b.entries.len() >= max {
                            info = Some(format!(
                                "stopped at {} entries ([s3] max_objects = {max}): open a folder, narrow the prefix or raise the limit",
                                b.entries.len()
                            ));
                        }
                        if let Some(pos) = b.restore.take() {
                            b.list.selected = pos.min(b.list.len.saturating_sub(1));
                        }
                    }
                    Err(e) => {
                        // A later page failed: what is listed stays usable.
                        if !b.entries.is_empty() {
                            b.load.set_loaded();
                        }
                        error = Some(e);
                    }
                }
            }
            S3Action::ObjectLoaded { request_id, result } => {
                let Some(o) = s.object.as_mut() else {
                    return Vec::new();
                };
                match o.load.finish(request_id, result) {
                    None => return Vec::new(),
                    Some(Ok((head, p))) => {
                        let doc = super::preview::build(&p.bytes, p.truncated());
                        o.scroll.reset();
                        o.preview_read = p.bytes.len();
                        o.preview = Some(doc);
                        o.head = Some(head);
                    }
                    Some(Err(e)) => error = Some(e),
                }
            }
            S3Action::VersionsLoaded { request_id, result } => {
                let Some(v) = s.versions.as_mut() else {
                    return Vec::new();
                };
                match v.load.finish(request_id, result) {
                    None => return Vec::new(),
                    Some(Ok((entries, truncated))) => {
                        v.list.set_len(entries.len());
                        v.entries = entries;
                        v.truncated = truncated;
                    }
                    Some(Err(e)) => error = Some(e),
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
                        let text = format!("saved {} to {}", human_size(bytes), where_);
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
        if let Some(text) = info {
            self.notify(Level::Info, text);
        }
        if self.screen() == Screen::S3Browser {
            effects.extend(self.s3_more_if_needed(page_rows));
        }
        effects
    }

    pub(super) fn s3_more_if_needed(&mut self, page_rows: usize) -> Vec<Effect> {
        let scope = self.s3_scope();
        let Some(b) = self.views.s3_mut().and_then(|s| s.browser.as_mut()) else {
            return Vec::new();
        };
        if !b.wants_more(page_rows) {
            return Vec::new();
        }
        if b.entries.len() >= self.settings.s3.max_objects {
            return Vec::new();
        }
        b.loading_more = true;
        vec![Effect::S3(Scoped::new(
            scope,
            S3Effect::ListPage {
                request_id: b.load.request(),
                bucket: b.bucket.clone(),
                prefix: b.prefix.clone(),
                token: b.next_token.clone(),
            },
        ))]
    }

    /// Starts listing `prefix` of the browser's bucket from its first page.
    pub(super) fn s3_list(&mut self, prefix: String) -> Vec<Effect> {
        let scope = self.s3_scope();
        let Some(b) = self.views.s3_mut().and_then(|s| s.browser.as_mut()) else {
            return Vec::new();
        };
        b.prefix = prefix;
        b.entries.clear();
        b.view.clear();
        b.list = ListState::default();
        b.next_token = None;
        b.pages = 0;
        b.filter.clear();
        let request_id = b.load.start(&mut self.requests);
        b.loading_more = false;
        vec![Effect::S3(Scoped::new(
            scope,
            S3Effect::ListPage {
                request_id,
                bucket: b.bucket.clone(),
                prefix: b.prefix.clone(),
                token: None,
            },
        ))]
    }

    pub(super) fn s3_open_object(
        &mut self,
        bucket: String,
        key: String,
        version_id: Option<String>,
    ) -> Vec<Effect> {
        let scope = self.s3_scope();
        let preview_bytes = (self.settings.s3.preview_kib * 1024).min(MAX_PREVIEW_BYTES) as usize;
        let Some(s) = self.views.s3_mut() else {
            return Vec::new();
        };
        let mut object = ObjectView {
            bucket: bucket.clone(),
            key: key.clone(),
            version_id: version_id.clone(),
            load: Loadable::default(),
            head: None,
            preview: None,
            preview_read: 0,
            scroll: crate::app::widgets::Scroll::default(),
        };
        let request_id = object.load.start(&mut self.requests);
        s.object = Some(object);
        if self.screen() != Screen::S3Object {
            self.views.push_page(Screen::S3Object);
        }
        vec![Effect::S3(Scoped::new(
            scope,
            S3Effect::LoadObject {
                request_id,
                bucket,
                key,
                version_id,
                preview_bytes,
            },
        ))]
    }

    pub(super) fn s3_open_versions(
        &mut self,
        bucket: String,
        key: String,
        exact: bool,
    ) -> Vec<Effect> {
        let scope = self.s3_scope();
        let Some(s) = self.views.s3_mut() else {
            return Vec::new();
        };
        let mut versions = VersionsView {
            bucket: bucket.clone(),
            key: key.clone(),
            exact,
            load: Loadable::default(),
            entries: Vec::new(),
            truncated: false,
            list: ListState::default(),
        };
        let request_id = versions.load.start(&mut self.requests);
        s.versions = Some(versions);
        self.views.push_page(Screen::S3Versions);
        vec![Effect::S3(Scoped::new(
            scope,
            S3Effect::LoadVersions {
                request_id,
                bucket,
                key,
                exact,
            },
        ))]
    }

    /// The object (bucket, key, version) the current screen points at, if any.
    pub(super) fn s3_target(&self) -> Option<DownloadRequest> {
        let s = self.views.s3()?;
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
    pub(crate) fn s3_selected_key(&self) -> Option<(String, String)> {
        let s = self.views.s3()?;
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
}
