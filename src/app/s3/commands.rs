//! Keys and commands of the S3 screens, and their prompts.

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent};
use tokio_util::sync::CancellationToken;

use super::{
    Browser, Download, Entry, Input, InputKind, MAX_INPUT, S3Effect, default_download_path,
};
use crate::app::Scoped;
use crate::app::keymap::Command;
use crate::app::widgets::input::Edit;
use crate::app::{App, Effect, Level, Screen};
use crate::domain::s3::{BucketStats, s3_uri};

impl App {
    /// Handles a command on one of the S3 screens.
    pub(crate) fn s3_command(&mut self, cmd: Command) -> Vec<Effect> {
        let scope = self.s3_scope();
        let page = self.page_rows.max(1);
        match cmd {
            Command::Back => return self.s3_back(),
            Command::S3Cancel => {
                if let Some(s) = self.views.s3_mut() {
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
                        vec![Effect::CopyToClipboard(s3_uri(&bucket, &key))]
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
                return vec![Effect::S3(Scoped::new(
                    scope,
                    S3Effect::Presign {
                        bucket: t.bucket,
                        key: t.key,
                        version_id: t.version_id,
                        expiry: self.settings.s3.presign_expiry,
                    },
                ))];
            }
            Command::S3Download => {
                let Some(t) = self.s3_target() else {
                    self.notify(Level::Error, "choose an object to download");
                    return Vec::new();
                };
                let Some(s) = self.views.s3_mut() else {
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

    pub(super) fn s3_back(&mut self) -> Vec<Effect> {
        let screen = self.screen();
        let Some(s) = self.views.s3_mut() else {
            self.views.pop();
            return Vec::new();
        };
        match screen {
            Screen::S3Browser => {
                let Some(b) = s.browser.as_mut() else {
                    self.views.pop();
                    return Vec::new();
                };
                if !b.filter.is_empty() {
                    b.filter.clear();
                    b.refilter();
                    return Vec::new();
                }
                if let Some((prefix, cursor)) = b.history.pop() {
                    let effects = self.s3_list(prefix);
                    if let Some(b) = self.views.s3_mut().and_then(|s| s.browser.as_mut()) {
                        b.restore = Some(cursor);
                    }
                    return effects;
                }
                s.browser = None;
                self.views.pop();
            }
            Screen::S3Object => {
                s.object = None;
                self.views.pop();
            }
            Screen::S3Versions => {
                s.versions = None;
                self.views.pop();
            }
            _ => {
                self.views.pop();
            }
        }
        Vec::new()
    }

    pub(super) fn s3_buckets_command(&mut self, cmd: Command, page: usize) -> Vec<Effect> {
        let scope = self.s3_scope();
        let Some(s) = self.views.s3_mut() else {
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
                vec![Effect::S3(Scoped::new(
                    scope,
                    S3Effect::Count { bucket, cancel },
                ))]
            }
            Command::Open => {
                let Some(b) = s.selected_bucket() else {
                    return Vec::new();
                };
                s.browser = Some(Browser {
                    bucket: b.bucket.name.clone(),
                    ..Browser::default()
                });
                self.views.push_page(Screen::S3Browser);
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

    pub(super) fn s3_browser_command(&mut self, cmd: Command, page: usize) -> Vec<Effect> {
        let Some(b) = self.views.s3_mut().and_then(|s| s.browser.as_mut()) else {
            return Vec::new();
        };
        match cmd {
            Command::Refresh => {
                let prefix = b.prefix.clone();
                self.s3_list(prefix)
            }
            Command::Filter => {
                let text = b.filter.clone();
                if let Some(s) = self.views.s3_mut() {
                    s.input = Some(Input {
                        kind: InputKind::Filter,
                        text: text.into(),
                    });
                }
                Vec::new()
            }
            Command::S3Jump => {
                let text = b.prefix.clone();
                if let Some(s) = self.views.s3_mut() {
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

    pub(super) fn s3_object_command(&mut self, cmd: Command, page: usize) -> Vec<Effect> {
        let Some(o) = self.views.s3_mut().and_then(|s| s.object.as_mut()) else {
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
                let lines = o.preview.as_ref().map_or(0, |doc| doc.lines.len());
                o.scroll.navigate(other, page, Some(lines));
                Vec::new()
            }
        }
    }

    pub(super) fn s3_versions_command(&mut self, cmd: Command, page: usize) -> Vec<Effect> {
        let scope = self.s3_scope();
        let Some(v) = self.views.s3_mut().and_then(|s| s.versions.as_mut()) else {
            return Vec::new();
        };
        match cmd {
            Command::Refresh => {
                let request_id = v.load.start(&mut self.requests);
                vec![Effect::S3(Scoped::new(
                    scope,
                    S3Effect::LoadVersions {
                        request_id,
                        bucket: v.bucket.clone(),
                        key: v.key.clone(),
                        exact: v.exact,
                    },
                ))]
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
        let Some(s) = self.views.s3_mut() else {
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

    pub(super) fn s3_submit(&mut self, kind: InputKind, text: String) -> Vec<Effect> {
        let scope = self.s3_scope();
        match kind {
            InputKind::Filter => self.s3_more_if_needed(self.page_rows),
            InputKind::Jump => {
                let Some(b) = self.views.s3_mut().and_then(|s| s.browser.as_mut()) else {
                    return Vec::new();
                };
                b.history.push((b.prefix.clone(), b.list.selected));
                self.s3_list(text)
            }
            InputKind::DownloadPath => {
                let id = self.request_id();
                let Some(s) = self.views.s3_mut() else {
                    return Vec::new();
                };
                let Some(req) = s.pending_download.take() else {
                    return Vec::new();
                };
                let path = PathBuf::from(expand_home(text.trim(), self.settings.home.as_deref()));
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
                vec![Effect::S3(Scoped::new(
                    scope,
                    S3Effect::Download {
                        id,
                        bucket: req.bucket,
                        key: req.key,
                        version_id: req.version_id,
                        path,
                        cancel,
                    },
                ))]
            }
        }
    }
}

/// `~/x` to the home folder's `x`.
fn expand_home(p: &str, home: Option<&std::path::Path>) -> String {
    if let Some(rest) = p.strip_prefix("~/")
        && let Some(home) = home
    {
        return home.join(rest).display().to_string();
    }
    p.to_string()
}
