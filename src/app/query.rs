//! The Logs Insights screen: a query over every log group of a stack, a window, the saved
//! queries, the run's progress (cancellable), and the rows as a table of the query's fields.

#[cfg(test)]
pub(crate) mod tests;
mod update;

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::list::ListState;
use super::widgets::Loadable;
use super::widgets::TextInput;
use crate::app::keymap::Command;
use crate::domain::queries::SavedQuery;
use crate::domain::queries::{ChunkProgress, QueryOutcome, Row, plan};
use crate::domain::sanitize::sanitize;
use crate::domain::stack::Stack;

/// The query a new screen starts with.
pub const DEFAULT_QUERY: &str =
    "fields @timestamp, @log, @message | sort @timestamp desc | limit 100";
/// Characters the query may have.
pub const TEXT_LIMIT: usize = 10_000;
/// Characters of a value kept for its table cell (the record view shows it whole).
pub const CELL_CHARS: usize = 240;
/// The widest a column is drawn (the last visible one takes what is left).
pub const COLUMN_WIDTH: usize = 40;
/// Rows kept of a run (AWS returns at most this many a query).
pub const MAX_ROWS: usize = plan::MAX_ROWS;

/// A task's answer, back on the action channel.
#[derive(Debug)]
pub enum QueryMsg {
    /// The stack's log groups.
    Groups {
        request_id: u64,
        result: Result<Vec<String>, String>,
    },
    /// One query's status and statistics (GetQueryResults).
    Progress {
        request_id: u64,
        progress: ChunkProgress,
    },
    /// The merged rows, or why there are none.
    Done {
        request_id: u64,
        result: Box<Result<QueryOutcome, String>>,
    },
    /// The export's file (its full path) and rows written.
    Exported {
        request_id: u64,
        result: Result<(String, usize), String>,
    },
}

/// The work this screen asks for.
#[derive(Debug, Clone)]
pub enum QueryEffect {
    /// Find the log groups of the stack (every function, custom and shared groups).
    LoadGroups {
        request_id: u64,
        stack_name: String,
        stack_id: String,
    },
    /// Run `text` over `groups` for `[start_ms, end_ms]` (50 groups a query, a bounded number
    /// at once); cancelling the token stops every running query.
    Run {
        request_id: u64,
        groups: Vec<String>,
        text: String,
        window: (i64, i64),
        cancel: CancellationToken,
    },
    /// Write the rows as JSON lines to `path`.
    Export {
        request_id: u64,
        path: String,
        rows: Arc<Vec<Row>>,
    },
}

/// Where a run is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    Running,
    /// Cancel asked; StopQuery is on its way.
    Cancelling,
    Complete,
    Cancelled,
    Failed(String),
}

/// A run: its queries' progress.
#[derive(Debug)]
pub struct RunState {
    pub request_id: u64,
    pub cancel: CancellationToken,
    /// The latest progress of each query (one per 50 log groups).
    pub chunks: Vec<Option<ChunkProgress>>,
    pub phase: Phase,
    /// The window it ran over, as typed.
    pub window: String,
}

impl RunState {
    /// `Scheduled`, `Running`, `Complete`, `Cancelling`, `Cancelled` or `Failed`.
    pub fn status(&self) -> &'static str {
        match &self.phase {
            Phase::Running => {
                let any = |s: &str| {
                    self.chunks
                        .iter()
                        .flatten()
                        .any(|c| c.status.eq_ignore_ascii_case(s))
                };
                if any("Running") || (any("Complete") && self.complete() < self.chunks.len()) {
                    "Running"
                } else {
                    "Scheduled"
                }
            }
            Phase::Cancelling => "Cancelling",
            Phase::Complete => "Complete",
            Phase::Cancelled => "Cancelled",
            Phase::Failed(_) => "Failed",
        }
    }

    /// Queries that are complete.
    pub fn complete(&self) -> usize {
        self.chunks
            .iter()
            .flatten()
            .filter(|c| c.status.eq_ignore_ascii_case("Complete"))
            .count()
    }

    /// Records scanned and matched, summed over the queries.
    pub fn figures(&self) -> (f64, f64) {
        self.chunks.iter().flatten().fold((0.0, 0.0), |(s, m), c| {
            (s + c.records_scanned, m + c.records_matched)
        })
    }

    /// Still working.
    pub fn active(&self) -> bool {
        matches!(self.phase, Phase::Running | Phase::Cancelling)
    }
}

/// The rows of a finished run, with their cells ready to draw.
#[derive(Debug)]
pub struct Results {
    /// The query's fields in order, `@ptr` left out.
    pub columns: Vec<String>,
    /// The rows as AWS gave them (exported and shown in full).
    pub rows: Arc<Vec<Row>>,
    /// Each row's cells by column: sanitised, on one line, cut to [`CELL_CHARS`].
    pub cells: Vec<Vec<String>>,
    /// Each column's width: its widest cell or header, at most [`COLUMN_WIDTH`].
    pub widths: Vec<usize>,
    /// Each column's widest cell or header, uncut (room left over goes to cut columns).
    pub natural: Vec<usize>,
    pub list: ListState,
    /// The first column drawn (horizontal scroll).
    pub first_col: usize,
    pub records_scanned: f64,
    pub records_matched: f64,
    pub queries: usize,
    /// A `stats` over several queries whose aggregates cannot be combined.
    pub approximate: bool,
    /// More rows came than are kept.
    pub capped: bool,
}

impl Results {
    /// The rows of `outcome`, at most [`MAX_ROWS`], their cells made once.
    pub fn new(outcome: QueryOutcome) -> Self {
        let mut rows = outcome.rows;
        let capped = rows.len() > MAX_ROWS;
        rows.truncate(MAX_ROWS);
        let columns = if outcome.columns.is_empty() {
            plan::columns(&rows)
        } else {
            outcome.columns
        };
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                columns
                    .iter()
                    .map(|c| cell(plan::value(r, c).unwrap_or("")))
                    .collect()
            })
            .collect();
        let natural: Vec<usize> = columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                cells
                    .iter()
                    .map(|r| r[i].chars().count())
                    .chain([c.chars().count()])
                    .max()
                    .unwrap_or(0)
                    .max(1)
            })
            .collect();
        let widths = natural.iter().map(|w| (*w).min(COLUMN_WIDTH)).collect();
        let mut list = ListState::default();
        list.set_len(rows.len());
        Self {
            columns,
            rows: Arc::new(rows),
            cells,
            widths,
            natural,
            list,
            first_col: 0,
            records_scanned: outcome.records_scanned,
            records_matched: outcome.records_matched,
            queries: outcome.queries,
            approximate: outcome.approximate,
            capped,
        }
    }
}

/// A value as a table cell: sanitised, whitespace runs as one space, cut with an ellipsis.
pub fn cell(v: &str) -> String {
    let one: String = v.split_whitespace().collect::<Vec<_>>().join(" ");
    let clean = sanitize(&one);
    match clean.char_indices().nth(CELL_CHARS) {
        Some((i, _)) => format!("{}…", &clean[..i]),
        None => clean.into_owned(),
    }
}

/// One row in full: each field (`@ptr` too) with its value's lines, a JSON value (or the
/// JSON at the end of a text log line) pretty-printed; everything sanitised.
pub fn record_lines(row: &Row) -> Vec<(String, Vec<String>)> {
    row.iter()
        .map(|(f, v)| {
            let text = pretty(v).unwrap_or_else(|| v.clone());
            let lines = text
                .lines()
                .map(|l| sanitize(l).into_owned())
                .collect::<Vec<_>>();
            (sanitize(f).into_owned(), lines)
        })
        .collect()
}

fn pretty(v: &str) -> Option<String> {
    let t = v.trim();
    let json = |s: &str| {
        serde_json::from_str::<serde_json::Value>(s)
            .ok()
            .filter(|j| j.is_object() || j.is_array())
            .and_then(|j| serde_json::to_string_pretty(&j).ok())
    };
    if let Some(p) = json(t) {
        return Some(p);
    }
    // `time\trequest\tLEVEL\t{...}`: the text format with a JSON message.
    let (head, tail) = t.rsplit_once('\t')?;
    json(tail).map(|p| format!("{head}\n{p}"))
}

/// An open picker: the windows (with a typed one) or the saved queries.
#[derive(Debug, Clone)]
pub struct Picker {
    pub kind: PickerKind,
    /// The typed window, or the filter of the saved queries.
    pub input: TextInput,
    /// Indexes into the choices, best match first.
    pub matches: Vec<usize>,
    pub list: ListState,
}

/// Which choices a picker offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickerKind {
    Window,
    Saved,
}

/// A running or finished export.
#[derive(Debug, Clone)]
pub struct ExportState {
    pub request_id: u64,
    pub path: String,
    pub result: Option<Result<(String, usize), String>>,
}

/// A row shown in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordView {
    pub row: usize,
    pub scroll: super::widgets::Scroll,
}

/// State of the query screen.
#[derive(Debug)]
pub struct QueryState {
    pub stack: Stack,
    /// The stack's log group names, once found.
    pub groups: Vec<String>,
    /// The log groups' load: the latest request and how it stands.
    pub load: Loadable,
    pub editor: TextInput,
    /// The editor has the keyboard.
    pub editing: bool,
    /// The window as typed (`1h`, `2026-12-01T10:00/2026-12-01T12:00`).
    pub window: String,
    /// The built-in queries and the config's for this stack.
    pub saved: Vec<SavedQuery>,
    pub picker: Option<Picker>,
    pub run: Option<RunState>,
    pub results: Option<Results>,
    pub record: Option<RecordView>,
    pub export: Option<ExportState>,
}

impl QueryState {
    /// A screen over `stack`'s log groups (not found yet), the editor focused.
    pub fn new(stack: Stack, saved: Vec<SavedQuery>, window: String) -> Self {
        Self {
            stack,
            groups: Vec::new(),
            load: Loadable::default(),
            editor: TextInput::new(DEFAULT_QUERY),
            editing: true,
            window,
            saved,
            picker: None,
            run: None,
            results: None,
            record: None,
            export: None,
        }
    }

    /// The number of queries a run makes (one per 50 log groups).
    pub fn chunks(&self) -> usize {
        self.groups
            .len()
            .div_ceil(plan::MAX_GROUPS_PER_QUERY)
            .max(1)
    }

    /// Stops the running queries, if any.
    pub fn cancel(&mut self) -> bool {
        match self.run.as_mut() {
            Some(r) if r.phase == Phase::Running => {
                r.cancel.cancel();
                r.phase = Phase::Cancelling;
                true
            }
            _ => false,
        }
    }

    /// Opens a picker of `kind`.
    pub fn open_picker(&mut self, kind: PickerKind) {
        let mut p = Picker {
            kind,
            input: TextInput::default(),
            matches: Vec::new(),
            list: ListState::default(),
        };
        if kind == PickerKind::Window {
            p.list.selected = crate::domain::queries::WINDOWS
                .iter()
                .position(|w| *w == self.window)
                .unwrap_or(0);
        }
        self.picker = Some(p);
        self.refilter_picker();
    }

    /// Recomputes the picker's matches after its input changed.
    pub fn refilter_picker(&mut self) {
        let Some(p) = self.picker.as_mut() else {
            return;
        };
        let names: Vec<&str> = match p.kind {
            PickerKind::Window => crate::domain::queries::WINDOWS.to_vec(),
            PickerKind::Saved => self.saved.iter().map(|q| q.name.as_str()).collect(),
        };
        p.matches = if p.kind == PickerKind::Window {
            // A typed window is taken as it is; the presets stay listed.
            (0..names.len()).collect()
        } else {
            let q = p.input.trim().to_string();
            let mut scored: Vec<(usize, i64)> = names
                .iter()
                .enumerate()
                .filter_map(|(i, n)| super::palette::fuzzy_score(&q, n).map(|s| (i, s)))
                .collect();
            if !q.is_empty() {
                scored.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                p.list.selected = 0;
            }
            scored.into_iter().map(|(i, _)| i).collect()
        };
        p.list.set_len(p.matches.len());
    }
}

impl Drop for QueryState {
    fn drop(&mut self) {
        if let Some(r) = &self.run {
            r.cancel.cancel();
        }
    }
}

impl super::Update for QueryMsg {
    fn update(self, app: &mut super::App) -> Vec<super::Effect> {
        app.query_msg(self)
    }
}

impl super::ScreenState for QueryState {
    fn command(app: &mut super::App, cmd: Command) -> Vec<super::Effect> {
        app.query_command(cmd)
    }

    fn hints(_app: &super::App, _page: super::Screen) -> Vec<Command> {
        vec![
            Command::QueryEdit,
            Command::QueryRun,
            Command::QueryWindow,
            Command::QuerySaved,
            Command::Open,
            Command::QueryExport,
            Command::QueryCancel,
            Command::QueryRight,
            Command::Back,
        ]
    }

    fn input_focused(app: &super::App) -> bool {
        app.query_input_focused()
    }

    /// The selected result row as JSON, or the query while it is edited (or has no rows).
    fn copy_target(app: &super::App, _page: super::Screen) -> Option<(&'static str, String)> {
        let q = app.views.query()?;
        match &q.results {
            Some(r) if !q.editing => {
                let row = r.rows.get(r.list.selected)?;
                let json = crate::domain::queries::row_json(row);
                Some(("result row", json.to_string()))
            }
            _ => Some(("query", q.editor.as_str().to_string())),
        }
    }

    fn console_target(app: &super::App, _page: super::Screen) -> Option<String> {
        let q = app.views.query()?;
        Some(crate::domain::console_url::logs_insights(&q.stack.region))
    }

    fn input(app: &mut super::App, key: crossterm::event::KeyEvent) -> Vec<super::Effect> {
        app.query_input(key)
    }

    fn edited(
        app: &mut super::App,
        target: super::EditTarget,
        text: &str,
    ) -> Option<Vec<super::Effect>> {
        (target == super::EditTarget::QueryText).then(|| app.query_edited(text))
    }
}
