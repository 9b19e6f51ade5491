//! DynamoDB screens: the stack's tables, the lazily paged items of one table with a query
//! form, and one item (plain or typed JSON, copy, conditional edit, delete, export).

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tokio_util::sync::CancellationToken;

use super::keymap::Command;
use super::list::ListState;
use super::stacks::LoadState;
use super::{Action, App, Effect, Level, Screen};
use crate::domain::dynamo::table::{ExportSummary, ItemQuery, Page, TableInfo, common_columns};
use crate::domain::dynamo::{
    Attr, Item, item_from_plain_json, item_from_typed_json, item_to_plain_json, item_to_typed_json,
};
use crate::domain::stack::Stack;

mod form;
use form::FIELD_MAX;
pub use form::{FormField, QueryForm};

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

/// A write or re-read of the opened item, as it came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemOutcome {
    Saved(Item),
    Deleted,
    Reloaded(Option<Item>),
}

/// The state of the DynamoDB screens for one stack.
#[derive(Debug)]
pub struct DynamoState {
    pub stack: Stack,
    pub load: LoadState,
    pub tables: Vec<TableInfo>,
    pub list: ListState,
    pub request_id: u64,
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
    pub loading: bool,
    pub scanned: u64,
    pub pages: u64,
    /// Pages in a row that matched nothing (a selective filter on a big table).
    pub empty_streak: u32,
    pub request_id: u64,
    pub error: Option<String>,
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

/// One item, opened from the items screen.
#[derive(Debug)]
pub struct ItemView {
    /// Position in the loaded items (it may move when items are removed).
    pub index: usize,
    pub item: Item,
    pub typed: bool,
    /// The shown JSON, pretty-printed once.
    pub text: String,
    pub scroll: usize,
    pub confirm_delete: bool,
    pub busy: bool,
    pub request_id: u64,
}

impl ItemView {
    fn new(index: usize, item: Item, typed: bool) -> Self {
        let mut v = Self {
            index,
            item,
            typed,
            text: String::new(),
            scroll: 0,
            confirm_delete: false,
            busy: false,
            request_id: 0,
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
            loading: false,
            scanned: 0,
            pages: 0,
            empty_streak: 0,
            request_id: 0,
            error: None,
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
        self.loading = false;
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
            load: LoadState::Idle,
            tables: Vec::new(),
            list: ListState::default(),
            request_id: 0,
            items: None,
            view: None,
        }
    }
}

impl App {
    /// Opens the tables of the stack shown in the detail.
    pub(crate) fn open_dynamo_tables(&mut self) -> Vec<Effect> {
        let Some(d) = self.detail.as_ref() else {
            return Vec::new();
        };
        self.dynamo = Some(DynamoState::new(d.stack.clone()));
        self.screens.push(Screen::DynamoTables);
        self.reload_dynamo_tables()
    }

    fn reload_dynamo_tables(&mut self) -> Vec<Effect> {
        if self.aws.is_none() {
            return Vec::new();
        }
        let request_id = self.request_id();
        let Some(st) = self.dynamo.as_mut() else {
            return Vec::new();
        };
        st.request_id = request_id;
        st.load = LoadState::Loading;
        vec![Effect::LoadDynamoTables {
            scope: st.stack.scope(),
            request_id,
            stack_id: st.stack.id.clone(),
        }]
    }

    /// True while the query form has the keyboard.
    pub fn dynamo_input_focused(&self) -> bool {
        self.screen() == Screen::DynamoItems
            && self
                .dynamo
                .as_ref()
                .and_then(|d| d.items.as_ref())
                .is_some_and(|i| i.form.is_some())
    }

    /// Handles the DynamoDB actions (results of tasks).
    pub(crate) fn dynamo_update(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::DynamoTablesLoaded { request_id, result } => {
                let Some(st) = self.dynamo.as_mut() else {
                    return Vec::new();
                };
                if st.request_id != request_id {
                    return Vec::new();
                }
                match result {
                    Ok(tables) => {
                        st.list.set_len(tables.len());
                        st.tables = tables;
                        st.load = LoadState::Loaded;
                    }
                    Err(e) => {
                        st.load = LoadState::Failed(e.clone());
                        self.notify(Level::Error, e);
                    }
                }
                Vec::new()
            }
            Action::DynamoPageLoaded { request_id, result } => {
                let Some(items) = self.dynamo.as_mut().and_then(|d| d.items.as_mut()) else {
                    return Vec::new();
                };
                if items.request_id != request_id {
                    return Vec::new();
                }
                match *result {
                    Ok(page) => {
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
                    Err(e) => {
                        items.loading = false;
                        items.error = Some(e.clone());
                        self.notify(Level::Error, e);
                        Vec::new()
                    }
                }
            }
            Action::DynamoItemDone { request_id, result } => {
                self.dynamo_item_done(request_id, *result);
                Vec::new()
            }
            Action::DynamoExportProgress {
                request_id,
                written,
            } => {
                if let Some(ex) = self.dynamo_export_mut(request_id) {
                    ex.written = ex.written.max(written);
                }
                Vec::new()
            }
            Action::DynamoExportDone { request_id, result } => {
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
            _ => Vec::new(),
        }
    }

    fn dynamo_export_mut(&mut self, request_id: u64) -> Option<&mut ExportState> {
        self.dynamo
            .as_mut()?
            .items
            .as_mut()?
            .export
            .as_mut()
            .filter(|e| e.request_id == request_id)
    }

    fn dynamo_item_done(&mut self, request_id: u64, result: Result<ItemOutcome, String>) {
        let Some(st) = self.dynamo.as_mut() else {
            return;
        };
        let Some(view) = st.view.as_mut().filter(|v| v.request_id == request_id) else {
            return;
        };
        view.busy = false;
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
                    self.screens.pop();
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
        let Some(d) = self.dynamo.as_mut() else {
            return Vec::new();
        };
        let scope = d.stack.scope();
        let Some(items) = d.items.as_mut() else {
            return Vec::new();
        };
        if items.loading
            || items.error.is_some()
            || !items.has_more()
            || items.items.len() >= self.settings.dynamo.max_rows
            || items.list.selected + near < items.items.len()
        {
            return Vec::new();
        }
        let request_id = self.requests.issue();
        items.loading = true;
        items.request_id = request_id;
        vec![Effect::LoadDynamoPage {
            scope,
            request_id,
            table: Box::new(items.table.clone()),
            query: items.query.clone(),
            start: items.next_key.clone(),
            limit: page_size,
        }]
    }

    fn dynamo_start_items(&mut self, table: TableInfo, query: ItemQuery) -> Vec<Effect> {
        let Some(st) = self.dynamo.as_mut() else {
            return Vec::new();
        };
        if let Some(old) = st.items.as_ref().and_then(|i| i.export.as_ref()) {
            old.cancel.cancel();
        }
        let mut items = ItemsState::new(table, query);
        let page_size = self.settings.dynamo.page_size;
        items.request_id = self.requests.issue();
        items.loading = true;
        let effect = Effect::LoadDynamoPage {
            scope: st.stack.scope(),
            request_id: items.request_id,
            table: Box::new(items.table.clone()),
            query: items.query.clone(),
            start: None,
            limit: page_size,
        };
        st.items = Some(items);
        if self.aws.is_none() {
            return Vec::new();
        }
        vec![effect]
    }

    /// Commands on the DynamoDB screens.
    pub(crate) fn dynamo_command(&mut self, cmd: Command) -> Vec<Effect> {
        let page = self.page_rows.max(1);
        match self.screen() {
            Screen::DynamoTables => match cmd {
                Command::Back => {
                    self.screens.pop();
                    self.dynamo = None;
                    Vec::new()
                }
                Command::Refresh => self.reload_dynamo_tables(),
                Command::Open => {
                    let Some(st) = self.dynamo.as_ref() else {
                        return Vec::new();
                    };
                    let Some(table) = st.tables.get(st.list.selected).cloned() else {
                        return Vec::new();
                    };
                    self.screens.push(Screen::DynamoItems);
                    self.dynamo_start_items(table, ItemQuery::default())
                }
                other => {
                    if let Some(st) = self.dynamo.as_mut() {
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
        let Some(st) = self.dynamo.as_mut() else {
            return Vec::new();
        };
        let Some(items) = st.items.as_mut() else {
            return Vec::new();
        };
        match cmd {
            Command::Back => {
                if let Some(ex) = &items.export {
                    ex.cancel.cancel();
                }
                st.items = None;
                self.screens.pop();
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
                self.screens.push(Screen::DynamoItem);
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
                vec![Effect::ExportDynamo {
                    scope: st.stack.scope(),
                    request_id,
                    table: Box::new(items.table.clone()),
                    query: items.query.clone(),
                    path,
                    segments: self.settings.dynamo.export_segments,
                    page_size: self.settings.dynamo.page_size,
                    cancel,
                }]
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
        let Some(st) = self.dynamo.as_mut() else {
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
                self.screens.pop();
                Vec::new()
            }
            Command::ItemTyped => {
                view.typed = !view.typed;
                view.scroll = 0;
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
            Command::ItemEdit if view.busy => Vec::new(),
            Command::ItemEdit => {
                let typed = view.typed || view.item.values().any(needs_typed);
                let json = if typed {
                    item_to_typed_json(&view.item)
                } else {
                    item_to_plain_json(&view.item)
                };
                let initial = serde_json::to_string_pretty(&json).unwrap_or_default() + "\n";
                let tag = if typed {
                    "dynamo:typed"
                } else {
                    "dynamo:plain"
                };
                if typed && !view.typed {
                    self.notify(
                        Level::Info,
                        "editing as DynamoDB JSON: the item has sets or binary",
                    );
                }
                vec![Effect::EditText {
                    tag: tag.into(),
                    initial,
                    extension: ".json",
                }]
            }
            Command::ItemDelete => {
                view.confirm_delete = true;
                Vec::new()
            }
            Command::ItemConfirm if view.confirm_delete && !view.busy => {
                view.confirm_delete = false;
                let Some(items) = st.items.as_ref() else {
                    return Vec::new();
                };
                let table = Box::new(items.table.clone());
                let old = view.item.clone();
                view.request_id = self.requests.issue();
                view.busy = true;
                vec![Effect::DeleteDynamoItem {
                    scope: st.stack.scope(),
                    request_id: view.request_id,
                    table,
                    old,
                }]
            }
            Command::Refresh if !view.busy => {
                let Some(items) = st.items.as_ref() else {
                    return Vec::new();
                };
                view.request_id = self.requests.issue();
                view.busy = true;
                vec![Effect::GetDynamoItem {
                    scope: st.stack.scope(),
                    request_id: view.request_id,
                    table: Box::new(items.table.clone()),
                    item: view.item.clone(),
                }]
            }
            Command::Up => {
                view.scroll = view.scroll.saturating_sub(1);
                Vec::new()
            }
            Command::Down => {
                view.scroll = (view.scroll + 1).min(lines.saturating_sub(1));
                Vec::new()
            }
            Command::PageUp => {
                view.scroll = view.scroll.saturating_sub(page);
                Vec::new()
            }
            Command::PageDown => {
                view.scroll = (view.scroll + page).min(lines.saturating_sub(1));
                Vec::new()
            }
            Command::Top => {
                view.scroll = 0;
                Vec::new()
            }
            Command::Bottom => {
                view.scroll = lines.saturating_sub(page);
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// The edited item came back from `$EDITOR`: parse it and start the conditional put.
    pub(crate) fn dynamo_edit_finished(&mut self, tag: &str, text: &str) -> Vec<Effect> {
        if self.header.read_only {
            self.notify(
                Level::Error,
                "refused: editing is a write and --read-only is set",
            );
            return Vec::new();
        }
        let Some(st) = self.dynamo.as_mut() else {
            return Vec::new();
        };
        let (Some(view), Some(items)) = (st.view.as_mut(), st.items.as_ref()) else {
            return Vec::new();
        };
        let parsed = serde_json::from_str::<serde_json::Value>(text)
            .map_err(|e| format!("the edited text is not JSON: {e}"))
            .and_then(|v| {
                if tag.ends_with(":typed") {
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
        view.request_id = self.requests.issue();
        view.busy = true;
        vec![Effect::PutDynamoItem {
            scope: st.stack.scope(),
            request_id: view.request_id,
            table: Box::new(items.table.clone()),
            old: view.item.clone(),
            new,
        }]
    }

    /// A key typed while the query form is open.
    pub(crate) fn dynamo_input(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(items) = self.dynamo.as_mut().and_then(|d| d.items.as_mut()) else {
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

#[cfg(test)]
pub(crate) mod tests;
