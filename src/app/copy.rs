//! The console's habits from the AWS web console and k9s: `y` copies the selected thing's
//! id or name, `o` copies its AWS console page (a terminal over SSH has no browser; OSC 52
//! reaches the user's own clipboard).

use super::detail::Pane;
use super::keymap::Command;
use super::messages::Effect;
use super::{App, Level, Screen};
use crate::domain::console_url;

impl App {
    /// `copy` and `console` on the screens without their own copy commands.
    pub(crate) fn copy_command(&mut self, cmd: Command) -> Vec<Effect> {
        let found = if cmd == Command::Console {
            self.console_target()
                .map(|text| ("console URL", text))
                .ok_or("no console page for this")
        } else if cmd == Command::CopyName {
            self.views
                .logs()
                .filter(|_| self.screen() == Screen::Logs)
                .and_then(|l| l.selected())
                .map(|e| ("log group", e.log_group.clone()))
                .ok_or("nothing to copy here")
        } else {
            self.copy_target().ok_or("nothing to copy here")
        };
        match found {
            Ok((what, text)) => vec![Effect::CopyNamed { what, text }],
            Err(why) => {
                self.notify(Level::Info, why);
                Vec::new()
            }
        }
    }

    /// What `y` copies on the focused screen, and its name.
    fn copy_target(&self) -> Option<(&'static str, String)> {
        match self.screen() {
            Screen::Stacks => self.stacks.selected().map(|s| ("stack id", s.id.clone())),
            Screen::Detail => {
                let d = self.views.detail()?;
                match d.pane {
                    Pane::Resources => d
                        .selected_resource()
                        .and_then(|r| r.physical_id.clone())
                        .map(|id| ("physical id", id)),
                    Pane::Outputs => d
                        .stack
                        .outputs
                        .values()
                        .nth(d.outputs.selected)
                        .map(|v| ("output", v.clone())),
                    Pane::Events => Some(("stack id", d.stack.id.clone())),
                }
            }
            Screen::DynamoTables => {
                let st = self.views.dynamo()?;
                st.tables
                    .get(st.list.selected)
                    .map(|t| ("table name", t.name.clone()))
            }
            Screen::DynamoItems => {
                let items = self.views.dynamo()?.items.as_ref()?;
                let item = items.items.get(items.list.selected)?;
                let key = items.table.key_of(item).ok()?;
                let json = crate::domain::dynamo::item_to_plain_json(&key);
                Some(("item key", json.to_string()))
            }
            Screen::Logs => self
                .views
                .logs()?
                .selected()
                .map(|e| ("log message", e.message.clone())),
            Screen::Errors | Screen::ErrorOccurrence => {
                let st = self.views.errors()?;
                let group = match &st.occurrence {
                    Some(o) if self.screen() == Screen::ErrorOccurrence => &o.group,
                    _ => st.selected()?,
                };
                Some(match &group.latest.request_id {
                    Some(id) => ("request id", id.clone()),
                    None => ("fingerprint", group.fingerprint.clone()),
                })
            }
            Screen::Query => {
                let q = self.views.query()?;
                match &q.results {
                    Some(r) if !q.editing => {
                        let row = r.rows.get(r.list.selected)?;
                        let json = crate::domain::queries::row_json(row);
                        Some(("result row", json.to_string()))
                    }
                    _ => Some(("query", q.editor.as_str().to_string())),
                }
            }

            _ => None,
        }
    }

    /// The console page of the selected stack, resource or table.
    fn console_target(&self) -> Option<String> {
        match self.screen() {
            Screen::Stacks => self
                .stacks
                .selected()
                .map(|s| console_url::stack(&s.region, &s.id)),
            Screen::Detail => {
                let d = self.views.detail()?;
                let stack = console_url::stack(&d.stack.region, &d.stack.id);
                if d.pane != Pane::Resources {
                    return Some(stack);
                }
                let Some(r) = d.selected_resource() else {
                    return Some(stack);
                };
                r.physical_id
                    .as_deref()
                    .and_then(|id| console_url::resource(&d.stack.region, &r.resource_type, id))
            }
            Screen::DynamoTables => {
                let region = &self.views.detail()?.stack.region;
                let st = self.views.dynamo()?;
                let t = st.tables.get(st.list.selected)?;
                console_url::resource(region, "AWS::DynamoDB::Table", &t.name)
            }
            Screen::DynamoItems => {
                let region = &self.views.detail()?.stack.region;
                let items = self.views.dynamo()?.items.as_ref()?;
                console_url::resource(region, "AWS::DynamoDB::Table", &items.table.name)
            }
            Screen::Logs => {
                let region = &self.views.detail()?.stack.region;
                let e = self.views.logs()?.selected()?;
                Some(console_url::log_group(region, &e.log_group))
            }
            Screen::S3Buckets | Screen::S3Browser | Screen::S3Object | Screen::S3Versions => {
                let s = self.views.s3()?;
                let (bucket, key) = self.s3_selected_key().or_else(|| {
                    // An empty folder: the folder itself.
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
            Screen::Errors | Screen::ErrorOccurrence => {
                let st = self.views.errors()?;
                let group = match &st.occurrence {
                    Some(o) if self.screen() == Screen::ErrorOccurrence => &o.group,
                    _ => st.selected()?,
                };
                Some(console_url::log_group(
                    &st.stack.region,
                    &group.latest.log_group,
                ))
            }
            Screen::Query => {
                let q = self.views.query()?;
                Some(console_url::logs_insights(&q.stack.region))
            }
            _ => None,
        }
    }
}

/// The notification after a copy: what it was and (the start of) the text, one safe line.
pub fn copied_note(what: &str, text: &str) -> String {
    const MAX: usize = 400;
    let line = crate::domain::sanitize::sanitize(text.lines().next().unwrap_or(""));
    let mut shown: String = line.chars().take(MAX).collect();
    if line.chars().count() > MAX || text.lines().nth(1).is_some() {
        shown.push('…');
    }
    format!("{what} copied: {shown}")
}
