//! DynamoDB screens: the stack's tables, the lazily paged items of one table with a query
//! form, and one item (plain or typed JSON, copy, conditional edit, delete, export).

use std::collections::BTreeMap;

use tokio_util::sync::CancellationToken;

use super::list::ListState;
use super::widgets::Loadable;
use super::{App, Effect, Level, Screen};
use crate::domain::dynamo::table::{ExportSummary, ItemQuery, Page, TableInfo, common_columns};
use crate::domain::dynamo::{Attr, Item, item_to_plain_json, item_to_typed_json};
use crate::domain::stack::Stack;

mod commands;
mod form;
mod messages;
use crate::app::keymap::Command;
use form::FIELD_MAX;
pub use form::{FormField, QueryForm};
pub use messages::{DynamoEffect, DynamoMsg, ItemOutcome};

/// Columns the items screen keeps (key attributes first).
pub const MAX_COLUMNS: usize = 16;

/// Empty pages read in a row before paging waits for a key (a filter that matches little).
pub const EMPTY_PAGES_BEFORE_PAUSE: u32 = 20;

/// Paging and export settings from the config's `[dynamodb]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DynamoSettings {
    pub page_size: i32,
    pub export_segments: i32,
    /// The items screen stops paging once it holds this many items.
    pub max_rows: usize,
}

impl Default for DynamoSettings {
    fn default() -> Self {
        Self {
            page_size: 200,
            export_segments: 4,
            max_rows: crate::config::DEFAULT_MAX_ROWS,
        }
    }
}

/// The state of the DynamoDB screens for one stack.
#[derive(Debug)]
pub struct DynamoState {
    pub stack: Stack,
    /// The stack's tables: the latest request and how it stands.
    pub load: Loadable,
    pub tables: Vec<TableInfo>,
    pub list: ListState,
    pub items: Option<ItemsState>,
    pub view: Option<ItemView>,
}

/// The items of one table (or of a query on it), loaded page by page.
#[derive(Debug)]
pub struct ItemsState {
    pub table: TableInfo,
    pub query: ItemQuery,
    pub items: Vec<Item>,
    pub list: ListState,
    /// How many loaded items carry each attribute (for the columns).
    pub counts: BTreeMap<String, usize>,
    pub columns: Vec<String>,
    pub next_key: Option<Item>,
    /// The page in flight (or the last one read, or why it failed: no page is asked after).
    pub load: Loadable,
    pub scanned: u64,
    pub pages: u64,
    /// Pages in a row that matched nothing (a selective filter on a big table).
    pub empty_streak: u32,
    pub form: Option<QueryForm>,
    pub export: Option<ExportState>,
}

/// A running or finished export.
#[derive(Debug)]
pub struct ExportState {
    pub path: String,
    pub written: u64,
    /// The table's approximate item count, for full-table exports.
    pub total: Option<u64>,
    pub cancel: CancellationToken,
    pub request_id: u64,
    pub result: Option<Result<ExportSummary, String>>,
}

/// Closing the items screen stops the export.
impl Drop for ExportState {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// One item, opened from the items screen.
#[derive(Debug)]
pub struct ItemView {
    /// Position in the loaded items (it may move when items are removed).
    pub index: usize,
    pub item: Item,
    pub typed: bool,
    /// The shown JSON, pretty-printed once.
    pub text: String,
    pub scroll: super::widgets::Scroll,
    pub confirm_delete: bool,
    /// The save, delete or reload in flight (its answer ends in a notification).
    pub op: Loadable,
}

impl ItemView {
    fn new(index: usize, item: Item, typed: bool) -> Self {
        let mut v = Self {
            index,
            item,
            typed,
            text: String::new(),
            scroll: super::widgets::Scroll::default(),
            confirm_delete: false,
            op: Loadable::default(),
        };
        v.refresh_text();
        v
    }

    fn refresh_text(&mut self) {
        let json = if self.typed {
            item_to_typed_json(&self.item)
        } else {
            item_to_plain_json(&self.item)
        };
        self.text = serde_json::to_string_pretty(&json).unwrap_or_default();
    }
}

/// Whether the text can only be written as DynamoDB JSON (sets and binary have no plain form).
fn needs_typed(a: &Attr) -> bool {
    match a {
        Attr::B(_) | Attr::Ss(_) | Attr::Ns(_) | Attr::Bs(_) => true,
        Attr::L(l) => l.iter().any(needs_typed),
        Attr::M(m) => m.values().any(needs_typed),
        _ => false,
    }
}

impl ItemsState {
    fn new(table: TableInfo, query: ItemQuery) -> Self {
        let mut s = Self {
            table,
            query,
            items: Vec::new(),
            list: ListState::default(),
            counts: BTreeMap::new(),
            columns: Vec::new(),
            next_key: None,
            load: Loadable::default(),
            scanned: 0,
            pages: 0,
            empty_streak: 0,
            form: None,
            export: None,
        };
        s.columns = s.key_columns();
        s
    }

    /// The key attributes of what is read (the index's, then the table's).
    pub fn key_columns(&self) -> Vec<String> {
        let mut keys = Vec::new();
        if let Some((pk, sk)) = self.table.keys_of(self.query.index.as_deref()) {
            keys.push(pk.name);
            keys.extend(sk.map(|s| s.name));
        }
        for k in self.table.key_names() {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        keys
    }

    /// Adds a loaded page: items, counts, columns, next key.
    pub fn add_page(&mut self, page: Page) {
        let empty = page.items.is_empty();
        for it in &page.items {
            for k in it.keys() {
                *self.counts.entry(k.clone()).or_insert(0) += 1;
            }
        }
        self.items.extend(page.items);
        self.list.set_len(self.items.len());
        self.scanned += page.scanned;
        self.pages += 1;
        self.empty_streak = if empty { self.empty_streak + 1 } else { 0 };
        self.next_key = page.last_key;
        self.load.set_loaded();
        self.columns = common_columns(&self.counts, &self.key_columns(), MAX_COLUMNS);
    }

    /// True when more pages exist.
    pub fn has_more(&self) -> bool {
        self.next_key.is_some()
    }
}

impl DynamoState {
    /// The screens for `stack`, nothing loaded yet.
    pub fn new(stack: Stack) -> Self {
        Self {
            stack,
            load: Loadable::default(),
            tables: Vec::new(),
            list: ListState::default(),
            items: None,
            view: None,
        }
    }
}

impl App {
    /// Opens the tables of the stack shown in the detail.
    pub(crate) fn open_dynamo_tables(&mut self) -> Vec<Effect> {
        let Some(d) = self.views.detail() else {
            return Vec::new();
        };
        self.views.open(DynamoState::new(d.stack.clone()));
        self.reload_dynamo_tables()
    }

    fn reload_dynamo_tables(&mut self) -> Vec<Effect> {
        if self.connection.is_none() {
            return Vec::new();
        }
        let Some(st) = self.views.dynamo_mut() else {
            return Vec::new();
        };
        let request_id = st.load.start(&mut self.requests);
        vec![Effect::Dynamo(DynamoEffect::LoadTables {
            scope: st.stack.scope(),
            request_id,
            stack_id: st.stack.id.clone(),
        })]
    }

    /// True while the query form has the keyboard.
    pub fn dynamo_input_focused(&self) -> bool {
        self.screen() == Screen::DynamoItems
            && self
                .views
                .dynamo()
                .and_then(|d| d.items.as_ref())
                .is_some_and(|i| i.form.is_some())
    }

    /// Handles the DynamoDB actions (results of tasks).
    pub(crate) fn dynamo_update(&mut self, msg: DynamoMsg) -> Vec<Effect> {
        match msg {
            DynamoMsg::TablesLoaded { request_id, result } => {
                let Some(st) = self.views.dynamo_mut() else {
                    return Vec::new();
                };
                match st.load.finish(request_id, result) {
                    None => {}
                    Some(Ok(tables)) => {
                        st.list.set_len(tables.len());
                        st.tables = tables;
                    }
                    Some(Err(e)) => self.notify(Level::Error, e),
                }
                Vec::new()
            }
            DynamoMsg::PageLoaded { request_id, result } => {
                let Some(items) = self.views.dynamo_mut().and_then(|d| d.items.as_mut()) else {
                    return Vec::new();
                };
                match items.load.finish(request_id, *result) {
                    None => Vec::new(),
                    Some(Ok(page)) => {
                        items.add_page(page);
                        let max = self.settings.dynamo.max_rows;
                        if items.has_more() && items.items.len() >= max {
                            let text = format!(
                                "stopped at {} items ([dynamodb] max_rows = {max}): narrow with a query or raise the limit",
                                items.items.len()
                            );
                            self.notify(Level::Info, text);
                            return Vec::new();
                        }
                        if items.empty_streak >= EMPTY_PAGES_BEFORE_PAUSE {
                            // Stop reading on our own; a key press reads on.
                            return Vec::new();
                        }
                        self.dynamo_load_more()
                    }
                    Some(Err(e)) => {
                        self.notify(Level::Error, e);
                        Vec::new()
                    }
                }
            }
            DynamoMsg::ItemDone { request_id, result } => {
                self.dynamo_item_done(request_id, *result);
                Vec::new()
            }
            DynamoMsg::ExportProgress {
                request_id,
                written,
            } => {
                if let Some(ex) = self.dynamo_export_mut(request_id) {
                    ex.written = ex.written.max(written);
                }
                Vec::new()
            }
            DynamoMsg::ExportDone { request_id, result } => {
                let Some(ex) = self.dynamo_export_mut(request_id) else {
                    return Vec::new();
                };
                let path = ex.path.clone();
                ex.result = Some(result.clone());
                match result {
                    Ok(s) if s.cancelled => self.notify(
                        Level::Info,
                        format!("export cancelled: {} items kept in {path}", s.items),
                    ),
                    Ok(s) => {
                        if let Some(ex) = self.dynamo_export_mut(request_id) {
                            ex.written = s.items;
                        }
                        self.notify(
                            Level::Info,
                            format!("exported {} items ({} bytes) to {path}", s.items, s.bytes),
                        );
                    }
                    Err(e) => self.notify(Level::Error, format!("export failed: {e}")),
                }
                Vec::new()
            }
        }
    }

    fn dynamo_export_mut(&mut self, request_id: u64) -> Option<&mut ExportState> {
        self.views
            .dynamo_mut()?
            .items
            .as_mut()?
            .export
            .as_mut()
            .filter(|e| e.request_id == request_id)
    }

    fn dynamo_item_done(&mut self, request_id: u64, result: Result<ItemOutcome, String>) {
        let Some(st) = self.views.dynamo_mut() else {
            return;
        };
        let Some(view) = st.view.as_mut() else {
            return;
        };
        let Some(result) = view.op.finish(request_id, result) else {
            return;
        };
        let index = view.index;
        let old = view.item.clone();
        let saved = matches!(result, Ok(ItemOutcome::Saved(_) | ItemOutcome::Deleted));
        let (level, text) = match result {
            Err(e) => (Level::Error, e),
            Ok(ItemOutcome::Saved(new) | ItemOutcome::Reloaded(Some(new))) => {
                view.item = new.clone();
                view.refresh_text();
                if let Some(items) = st.items.as_mut()
                    && items.items.get(index) == Some(&old)
                {
                    items.items[index] = new;
                }
                (
                    Level::Info,
                    if saved { "item saved" } else { "item reloaded" }.to_string(),
                )
            }
            Ok(ItemOutcome::Deleted | ItemOutcome::Reloaded(None)) => {
                if let Some(items) = st.items.as_mut()
                    && items.items.get(index) == Some(&old)
                {
                    items.items.remove(index);
                    items.list.set_len(items.items.len());
                }
                st.view = None;
                if self.screen() == Screen::DynamoItem {
                    self.views.pop();
                }
                (
                    Level::Info,
                    if saved {
                        "item deleted"
                    } else {
                        "the item no longer exists"
                    }
                    .to_string(),
                )
            }
        };
        self.notify(level, text);
    }

    /// Starts the next page when the cursor nears the end of what is loaded.
    fn dynamo_load_more(&mut self) -> Vec<Effect> {
        let page_size = self.settings.dynamo.page_size;
        let near = self.page_rows.max(1) * 2;
        let Some(d) = self.views.dynamo_mut() else {
            return Vec::new();
        };
        let scope = d.stack.scope();
        let Some(items) = d.items.as_mut() else {
            return Vec::new();
        };
        if items.load.is_loading()
            || items.load.error().is_some()
            || !items.has_more()
            || items.items.len() >= self.settings.dynamo.max_rows
            || items.list.selected + near < items.items.len()
        {
            return Vec::new();
        }
        let request_id = items.load.start(&mut self.requests);
        vec![Effect::Dynamo(DynamoEffect::LoadPage {
            scope,
            request_id,
            table: Box::new(items.table.clone()),
            query: items.query.clone(),
            start: items.next_key.clone(),
            limit: page_size,
        })]
    }

    fn dynamo_start_items(&mut self, table: TableInfo, query: ItemQuery) -> Vec<Effect> {
        let Some(st) = self.views.dynamo_mut() else {
            return Vec::new();
        };
        if let Some(old) = st.items.as_ref().and_then(|i| i.export.as_ref()) {
            old.cancel.cancel();
        }
        let mut items = ItemsState::new(table, query);
        let page_size = self.settings.dynamo.page_size;
        let request_id = items.load.start(&mut self.requests);
        let effect = Effect::Dynamo(DynamoEffect::LoadPage {
            scope: st.stack.scope(),
            request_id,
            table: Box::new(items.table.clone()),
            query: items.query.clone(),
            start: None,
            limit: page_size,
        });
        st.items = Some(items);
        if self.connection.is_none() {
            return Vec::new();
        }
        vec![effect]
    }
}

impl super::Work for DynamoEffect {
    fn scope(&self) -> Option<&crate::domain::stack::Scope> {
        Some(Self::scope(self))
    }
}

impl super::Update for DynamoMsg {
    fn update(self, app: &mut super::App) -> Vec<super::Effect> {
        app.dynamo_update(self)
    }
}

impl super::ScreenState for DynamoState {
    fn command(app: &mut super::App, cmd: Command) -> Vec<super::Effect> {
        app.dynamo_command(cmd)
    }

    fn hints(_app: &super::App, page: super::Screen) -> Vec<Command> {
        match page {
            super::Screen::DynamoItems => vec![
                Command::Open,
                Command::ItemQuery,
                Command::Filter,
                Command::ItemExport,
                Command::ItemCancel,
                Command::Refresh,
                Command::Back,
            ],
            super::Screen::DynamoItem => vec![
                Command::ItemTyped,
                Command::ItemCopy,
                Command::ItemEdit,
                Command::ItemDelete,
                Command::Refresh,
                Command::Back,
            ],
            _ => vec![
                Command::Open,
                Command::Refresh,
                Command::Back,
                Command::Help,
                Command::Quit,
            ],
        }
    }

    fn input_focused(app: &super::App) -> bool {
        app.dynamo_input_focused()
    }

    /// The selected table's name, or the selected item's key as JSON.
    fn copy_target(app: &super::App, page: super::Screen) -> Option<(&'static str, String)> {
        let st = app.views.dynamo()?;
        match page {
            super::Screen::DynamoTables => st
                .tables
                .get(st.list.selected)
                .map(|t| ("table name", t.name.clone())),
            super::Screen::DynamoItems => {
                let items = st.items.as_ref()?;
                let item = items.items.get(items.list.selected)?;
                let key = items.table.key_of(item).ok()?;
                let json = crate::domain::dynamo::item_to_plain_json(&key);
                Some(("item key", json.to_string()))
            }
            _ => None,
        }
    }

    /// The table's page (the selected one on the tables page).
    fn console_target(app: &super::App, page: super::Screen) -> Option<String> {
        let region = &app.views.detail()?.stack.region;
        let st = app.views.dynamo()?;
        let table = match page {
            super::Screen::DynamoTables => &st.tables.get(st.list.selected)?.name,
            super::Screen::DynamoItems => &st.items.as_ref()?.table.name,
            _ => return None,
        };
        crate::domain::console_url::resource(region, "AWS::DynamoDB::Table", table)
    }

    fn input(app: &mut super::App, key: crossterm::event::KeyEvent) -> Vec<super::Effect> {
        app.dynamo_input(key)
    }

    fn edited(
        app: &mut super::App,
        target: super::EditTarget,
        text: &str,
    ) -> Option<Vec<super::Effect>> {
        match target {
            super::EditTarget::DynamoItem { typed } => Some(app.dynamo_edit_finished(typed, text)),
            _ => None,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
