//! Keys and commands of the DynamoDB screens, the query form's typing and the edited item.

use crate::app::keymap::Command;
use crate::app::{App, Effect, Level, Screen};
use crate::domain::dynamo::table::ItemQuery;
use crate::domain::dynamo::{
    item_from_plain_json, item_from_typed_json, item_to_plain_json, item_to_typed_json,
};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tokio_util::sync::CancellationToken;

use super::{DynamoEffect, ExportState, FIELD_MAX, FormField, ItemView, QueryForm, needs_typed};

impl App {
    /// Commands on the DynamoDB screens.
    pub(crate) fn dynamo_command(&mut self, cmd: Command) -> Vec<Effect> {
        let page = self.page_rows.max(1);
        match self.screen() {
            Screen::DynamoTables => match cmd {
                Command::Back => {
                    self.views.pop();
                    Vec::new()
                }
                Command::Refresh => self.reload_dynamo_tables(),
                Command::Open => {
                    let Some(st) = self.views.dynamo() else {
                        return Vec::new();
                    };
                    let Some(table) = st.tables.get(st.list.selected).cloned() else {
                        return Vec::new();
                    };
                    self.views.push_page(Screen::DynamoItems);
                    self.dynamo_start_items(table, ItemQuery::default())
                }
                other => {
                    if let Some(st) = self.views.dynamo_mut() {
                        st.list.navigate(other, page);
                    }
                    Vec::new()
                }
            },
            Screen::DynamoItems => self.dynamo_items_command(cmd, page),
            Screen::DynamoItem => self.dynamo_item_command(cmd, page),
            _ => Vec::new(),
        }
    }

    fn dynamo_items_command(&mut self, cmd: Command, page: usize) -> Vec<Effect> {
        let Some(st) = self.views.dynamo_mut() else {
            return Vec::new();
        };
        let Some(items) = st.items.as_mut() else {
            return Vec::new();
        };
        match cmd {
            Command::Back => {
                // Dropping the items stops an export.
                st.items = None;
                self.views.pop();
                Vec::new()
            }
            Command::Refresh => {
                let (t, q) = (items.table.clone(), items.query.clone());
                self.dynamo_start_items(t, q)
            }
            Command::ItemQuery | Command::Filter => {
                let field = if cmd == Command::ItemQuery {
                    FormField::Pk
                } else {
                    FormField::FilterAttr
                };
                items.form = Some(QueryForm::from_query(&items.table, &items.query, field));
                Vec::new()
            }
            Command::Open => {
                let Some(item) = items.items.get(items.list.selected).cloned() else {
                    return Vec::new();
                };
                st.view = Some(ItemView::new(items.list.selected, item, false));
                self.views.push_page(Screen::DynamoItem);
                Vec::new()
            }
            Command::ItemExport => {
                if items.export.as_ref().is_some_and(|e| e.result.is_none()) {
                    self.notify(Level::Info, "an export is running (x cancels it)");
                    return Vec::new();
                }
                let stamp = self.clock.now().format("%Y%m%d-%H%M%S");
                let path = format!(
                    "{}-{stamp}.jsonl",
                    crate::domain::text::safe_file_name(&items.table.name)
                );
                let cancel = CancellationToken::new();
                let request_id = self.requests.issue();
                let total = if items.query.is_query() || items.query.filter.is_some() {
                    None
                } else {
                    items.table.item_count.map(|n| n.max(0) as u64)
                };
                items.export = Some(ExportState {
                    path: path.clone(),
                    written: 0,
                    total,
                    cancel: cancel.clone(),
                    request_id,
                    result: None,
                });
                vec![Effect::Dynamo(DynamoEffect::Export {
                    scope: st.stack.scope(),
                    request_id,
                    table: Box::new(items.table.clone()),
                    query: items.query.clone(),
                    path,
                    segments: self.settings.dynamo.export_segments,
                    page_size: self.settings.dynamo.page_size,
                    cancel,
                })]
            }
            Command::ItemCancel => {
                match items.export.as_ref() {
                    Some(ex) if ex.result.is_none() => ex.cancel.cancel(),
                    Some(_) => items.export = None,
                    None => {}
                }
                Vec::new()
            }
            other => {
                items.list.navigate(other, page);
                items.empty_streak = 0;
                self.dynamo_load_more()
            }
        }
    }

    fn dynamo_item_command(&mut self, cmd: Command, page: usize) -> Vec<Effect> {
        let read_only = self.header.read_only;
        let Some(st) = self.views.dynamo_mut() else {
            return Vec::new();
        };
        let Some(view) = st.view.as_mut() else {
            return Vec::new();
        };
        if view.confirm_delete && cmd != Command::ItemConfirm {
            view.confirm_delete = false;
            if matches!(cmd, Command::Back) {
                return Vec::new();
            }
        }
        let lines = view.text.lines().count();
        match cmd {
            Command::Back => {
                st.view = None;
                self.views.pop();
                Vec::new()
            }
            Command::ItemTyped => {
                view.typed = !view.typed;
                view.scroll.reset();
                view.refresh_text();
                Vec::new()
            }
            Command::ItemCopy => vec![Effect::CopyToClipboard(view.text.clone())],
            Command::ItemEdit | Command::ItemDelete if read_only => {
                let what = if cmd == Command::ItemEdit {
                    "editing"
                } else {
                    "deleting"
                };
                self.notify(
                    Level::Error,
                    format!("refused: {what} an item is a write and --read-only is set"),
                );
                Vec::new()
            }
            Command::ItemEdit if view.op.is_loading() => Vec::new(),
            Command::ItemEdit => {
                let typed = view.typed || view.item.values().any(needs_typed);
                let json = if typed {
                    item_to_typed_json(&view.item)
                } else {
                    item_to_plain_json(&view.item)
                };
                let initial = serde_json::to_string_pretty(&json).unwrap_or_default() + "\n";
                if typed && !view.typed {
                    self.notify(
                        Level::Info,
                        "editing as DynamoDB JSON: the item has sets or binary",
                    );
                }
                vec![Effect::EditText {
                    target: crate::app::EditTarget::DynamoItem { typed },
                    initial,
                    extension: ".json",
                }]
            }
            Command::ItemDelete => {
                view.confirm_delete = true;
                Vec::new()
            }
            Command::ItemConfirm if view.confirm_delete && !view.op.is_loading() => {
                view.confirm_delete = false;
                let Some(items) = st.items.as_ref() else {
                    return Vec::new();
                };
                let table = Box::new(items.table.clone());
                let old = view.item.clone();
                let request_id = view.op.start(&mut self.requests);
                vec![Effect::Dynamo(DynamoEffect::DeleteItem {
                    scope: st.stack.scope(),
                    request_id,
                    table,
                    old,
                })]
            }
            Command::Refresh if !view.op.is_loading() => {
                let Some(items) = st.items.as_ref() else {
                    return Vec::new();
                };
                let request_id = view.op.start(&mut self.requests);
                vec![Effect::Dynamo(DynamoEffect::GetItem {
                    scope: st.stack.scope(),
                    request_id,
                    table: Box::new(items.table.clone()),
                    item: view.item.clone(),
                })]
            }
            Command::Up
            | Command::Down
            | Command::PageUp
            | Command::PageDown
            | Command::Top
            | Command::Bottom => {
                view.scroll.navigate(cmd, page, Some(lines));
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// The edited item came back from `$EDITOR`: parse it and start the conditional put.
    pub(crate) fn dynamo_edit_finished(&mut self, typed: bool, text: &str) -> Vec<Effect> {
        if self.header.read_only {
            self.notify(
                Level::Error,
                "refused: editing is a write and --read-only is set",
            );
            return Vec::new();
        }
        let Some(st) = self.views.dynamo_mut() else {
            return Vec::new();
        };
        let (Some(view), Some(items)) = (st.view.as_mut(), st.items.as_ref()) else {
            return Vec::new();
        };
        let parsed = serde_json::from_str::<serde_json::Value>(text)
            .map_err(|e| format!("the edited text is not JSON: {e}"))
            .and_then(|v| {
                if typed {
                    item_from_typed_json(&v).map_err(|e| e.to_string())
                } else {
                    item_from_plain_json(&v).map_err(|e| e.to_string())
                }
            });
        let new = match parsed {
            Ok(n) => n,
            Err(e) => {
                self.notify(Level::Error, format!("not saved: {e}"));
                return Vec::new();
            }
        };
        if new == view.item {
            self.notify(Level::Info, "no changes");
            return Vec::new();
        }
        if let Err(e) = items
            .table
            .key_of(&new)
            .map_err(|e| format!("not saved: {e}"))
            .and_then(|k| {
                (Ok(k) == items.table.key_of(&view.item))
                    .then_some(())
                    .ok_or_else(|| {
                        format!(
                            "not saved: the key attributes ({}) cannot be changed by an edit",
                            items.table.key_names().join(", ")
                        )
                    })
            })
        {
            self.notify(Level::Error, e);
            return Vec::new();
        }
        let request_id = view.op.start(&mut self.requests);
        vec![Effect::Dynamo(DynamoEffect::PutItem {
            scope: st.stack.scope(),
            request_id,
            table: Box::new(items.table.clone()),
            old: view.item.clone(),
            new,
        })]
    }

    /// A key typed while the query form is open.
    pub(crate) fn dynamo_input(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(items) = self.views.dynamo_mut().and_then(|d| d.items.as_mut()) else {
            return Vec::new();
        };
        let n_indexes = items.table.indexes.len();
        let Some(form) = items.form.as_mut() else {
            return Vec::new();
        };
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let n = FormField::ALL.len();
        match key.code {
            KeyCode::Esc => items.form = None,
            KeyCode::Tab | KeyCode::Down => form.field = (form.field + 1) % n,
            KeyCode::BackTab | KeyCode::Up => form.field = (form.field + n - 1) % n,
            KeyCode::Left | KeyCode::Right if form.focused().is_choice() => {
                form.cycle(n_indexes, key.code == KeyCode::Left);
            }
            KeyCode::Char(' ') if form.focused().is_choice() => form.cycle(n_indexes, false),
            KeyCode::Enter => match form.to_query(&items.table) {
                Ok(q) => {
                    let table = items.table.clone();
                    return self.dynamo_start_items(table, q);
                }
                Err(e) => form.error = Some(e),
            },
            KeyCode::Char('u') if ctrl => {
                if let Some(t) = form.text_mut() {
                    t.clear();
                }
            }
            _ => {
                if let Some(t) = form.text_mut() {
                    t.handle(key, FIELD_MAX);
                }
            }
        }
        Vec::new()
    }
}
