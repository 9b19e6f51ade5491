//! The query screen's keys, results and effects.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tokio_util::sync::CancellationToken;

use super::{
    ExportState, Phase, PickerKind, QueryEffect, QueryMsg, QueryState, RecordView, Results,
    RunState, TEXT_LIMIT,
};
use crate::app::Scoped;
use crate::app::keymap::Command;
use crate::app::stacks::LoadState;
use crate::app::widgets::input::Edit;
use crate::app::{App, Effect, Level, Screen};
use crate::domain::queries::{self, WINDOWS};

impl App {
    /// Opens the query screen over the detail's stack.
    pub fn open_query(&mut self) -> Vec<Effect> {
        let Some(d) = self.views.detail() else {
            return Vec::new();
        };
        let stack = d.stack.clone();
        let saved = queries::for_stack(&stack.name, &self.settings.queries.saved);
        let window = queries::age_label(self.settings.queries.since);
        self.views.open(QueryState::new(stack, saved, window));
        self.load_query_groups()
    }

    fn load_query_groups(&mut self) -> Vec<Effect> {
        if self.connection.is_none() {
            return Vec::new();
        }
        let Some(q) = self.views.query_mut() else {
            return Vec::new();
        };
        let request_id = q.load.start(&mut self.requests);
        vec![Effect::Query(Scoped::new(
            q.stack.scope(),
            Box::new(QueryEffect::LoadGroups {
                request_id,
                stack_name: q.stack.name.clone(),
                stack_id: q.stack.id.clone(),
            }),
        ))]
    }

    /// True while the query editor or a picker has the keyboard.
    pub(crate) fn query_input_focused(&self) -> bool {
        self.screen() == Screen::Query
            && self
                .views
                .query()
                .is_some_and(|q| q.editing || q.picker.is_some())
    }

    /// A typed key while the editor or a picker is focused.
    pub(crate) fn query_input(&mut self, key: KeyEvent) -> Vec<Effect> {
        if self.show_help {
            self.show_help = false;
            return Vec::new();
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let Some(q) = self.views.query_mut() else {
            return Vec::new();
        };
        if q.picker.is_some() {
            return self.query_picker_key(key);
        }
        match key.code {
            KeyCode::Enter => return self.query_run(),
            KeyCode::Char('r') if ctrl => return self.query_run(),
            KeyCode::Char('e') if ctrl => return self.query_command(Command::QueryEditor),
            KeyCode::Esc | KeyCode::Tab => q.editing = false,
            KeyCode::F(1) => self.show_help = true,
            _ => {
                q.editor.handle(key, TEXT_LIMIT);
            }
        }
        Vec::new()
    }

    fn query_picker_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(q) = self.views.query_mut() else {
            return Vec::new();
        };
        let Some(p) = q.picker.as_mut() else {
            return Vec::new();
        };
        match key.code {
            KeyCode::Esc => q.picker = None,
            KeyCode::Up => {
                p.list.navigate(Command::Up, 1);
            }
            KeyCode::Down | KeyCode::Tab => {
                p.list.navigate(Command::Down, 1);
            }
            KeyCode::Enter => return self.query_pick(),
            _ => {
                if p.input.handle(key, 200) == Edit::Changed {
                    q.refilter_picker();
                }
            }
        }
        Vec::new()
    }

    /// Enter in a picker: the typed or selected window, or the selected saved query.
    fn query_pick(&mut self) -> Vec<Effect> {
        let now = self.clock.now();
        let Some(q) = self.views.query_mut() else {
            return Vec::new();
        };
        let Some(p) = q.picker.take() else {
            return Vec::new();
        };
        let chosen = p.matches.get(p.list.selected).copied();
        match p.kind {
            PickerKind::Window => {
                let typed = p.input.trim().to_string();
                if typed.is_empty() {
                    if let Some(w) = chosen.and_then(|i| WINDOWS.get(i)) {
                        q.window = (*w).to_string();
                    }
                } else if let Err(e) = queries::parse_window(&typed, now) {
                    q.picker = Some(p);
                    self.notify(Level::Error, e);
                } else {
                    q.window = typed;
                }
            }
            PickerKind::Saved => {
                if let Some(s) = chosen.and_then(|i| q.saved.get(i)) {
                    q.editor.set(s.text.clone());
                    q.editing = true;
                }
            }
        }
        Vec::new()
    }

    /// A bound command on the query screen.
    pub(crate) fn query_command(&mut self, cmd: Command) -> Vec<Effect> {
        let page = self.page_rows.max(1);
        let Some(q) = self.views.query_mut() else {
            return Vec::new();
        };
        match cmd {
            Command::Back => {
                if q.record.take().is_none() {
                    if q.cancel() {
                        self.notify(Level::Info, "query cancelled: stopping its queries");
                    } else {
                        self.views.pop();
                    }
                }
            }
            Command::QueryCancel => {
                if !q.cancel() {
                    self.notify(Level::Info, "no query is running");
                }
            }
            Command::QueryEdit => q.editing = true,
            Command::Refresh if matches!(q.load.state(), LoadState::Failed(_)) => {
                return self.load_query_groups();
            }
            Command::QueryRun | Command::Refresh => return self.query_run(),
            Command::QueryWindow => q.open_picker(PickerKind::Window),
            Command::QuerySaved => q.open_picker(PickerKind::Saved),
            Command::QueryEditor => {
                return vec![Effect::EditText {
                    target: crate::app::EditTarget::QueryText,
                    initial: q.editor.to_string(),
                    extension: "txt",
                }];
            }
            Command::QueryExport => return self.query_export(),
            Command::QueryLeft | Command::QueryRight => {
                if let Some(r) = q.results.as_mut() {
                    r.first_col = if cmd == Command::QueryLeft {
                        r.first_col.saturating_sub(1)
                    } else {
                        (r.first_col + 1).min(r.columns.len().saturating_sub(1))
                    };
                }
            }
            Command::Open => {
                if let Some(r) = q.results.as_ref().filter(|r| !r.rows.is_empty()) {
                    q.record = Some(RecordView {
                        row: r.list.selected,
                        scroll: crate::app::widgets::Scroll::default(),
                    });
                }
            }
            other => {
                if let Some(rec) = q.record.as_mut() {
                    // The row wraps: its height is the renderer's to know.
                    rec.scroll.navigate(other, page, None);
                } else if let Some(r) = q.results.as_mut() {
                    r.list.navigate(other, page);
                }
            }
        }
        Vec::new()
    }

    /// `$EDITOR` returned the query: lines joined, `#` comment lines left out.
    pub(crate) fn query_edited(&mut self, text: &str) -> Vec<Effect> {
        if let Some(q) = self.views.query_mut() {
            let joined = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .collect::<Vec<_>>()
                .join(" ");
            q.editor
                .set(joined.chars().take(TEXT_LIMIT).collect::<String>());
            q.editing = true;
        }
        Vec::new()
    }

    /// Runs the editor's query over the window (a running one is stopped first).
    fn query_run(&mut self) -> Vec<Effect> {
        let now = self.clock.now();
        let request_id = self.request_id();
        let Some(q) = self.views.query_mut() else {
            return Vec::new();
        };
        let text = q.editor.trim().to_string();
        let problem = if text.is_empty() {
            Some("type a query first (fields @message | limit 20)".to_string())
        } else if q.load != LoadState::Loaded {
            Some("the stack's log groups are not found yet".to_string())
        } else if q.groups.is_empty() {
            Some("the stack has no log groups yet".to_string())
        } else {
            None
        };
        if let Some(p) = problem {
            self.notify(Level::Error, p);
            return Vec::new();
        }
        let (from, to) = match queries::parse_window(&q.window, now) {
            Ok(w) => w,
            Err(e) => {
                self.notify(Level::Error, e);
                return Vec::new();
            }
        };
        q.cancel();
        let cancel = CancellationToken::new();
        q.run = Some(RunState {
            request_id,
            cancel: cancel.clone(),
            chunks: vec![None; q.chunks()],
            phase: Phase::Running,
            window: q.window.clone(),
        });
        q.results = None;
        q.record = None;
        q.editing = false;
        vec![Effect::Query(Scoped::new(
            q.stack.scope(),
            Box::new(QueryEffect::Run {
                request_id,
                groups: q.groups.clone(),
                text,
                window: (from.timestamp_millis(), to.timestamp_millis()),
                cancel,
            }),
        ))]
    }

    /// `E`: the rows as JSON lines in a file named after the stack and the time.
    fn query_export(&mut self) -> Vec<Effect> {
        let stamp = self.clock.now().format("%Y%m%d-%H%M%S");
        let request_id = self.request_id();
        let Some(q) = self.views.query_mut() else {
            return Vec::new();
        };
        let Some(rows) = q.results.as_ref().map(|r| r.rows.clone()) else {
            self.notify(Level::Info, "run a query first (enter or ctrl-r)");
            return Vec::new();
        };
        let path = format!(
            "{}-query-{stamp}.jsonl",
            crate::domain::text::safe_file_name(&q.stack.name)
        );
        q.export = Some(ExportState {
            request_id,
            path: path.clone(),
            result: None,
        });
        vec![Effect::Query(Scoped::new(
            q.stack.scope(),
            Box::new(QueryEffect::Export {
                request_id,
                path,
                rows,
            }),
        ))]
    }

    /// A task's answer for this screen; stale ones are dropped.
    pub(crate) fn query_msg(&mut self, msg: QueryMsg) -> Vec<Effect> {
        let Some(q) = self.views.query_mut() else {
            return Vec::new();
        };
        let run_id = q.run.as_ref().map(|r| r.request_id);
        match msg {
            QueryMsg::Groups { request_id, result } => match q.load.finish(request_id, result) {
                None => {}
                Some(Ok(mut groups)) => {
                    groups.dedup();
                    q.groups = groups;
                }
                Some(Err(e)) => self.notify(Level::Error, e),
            },
            QueryMsg::Progress {
                request_id,
                progress,
            } if Some(request_id) == run_id => {
                if let Some(slot) = q
                    .run
                    .as_mut()
                    .and_then(|r| r.chunks.get_mut(progress.chunk))
                {
                    *slot = Some(progress);
                }
            }
            QueryMsg::Done { request_id, result } if Some(request_id) == run_id => {
                let Some(run) = q.run.as_mut() else {
                    return Vec::new();
                };
                match *result {
                    Ok(outcome) => {
                        run.phase = Phase::Complete;
                        q.results = Some(Results::new(outcome));
                    }
                    Err(_) if run.phase == Phase::Cancelling => run.phase = Phase::Cancelled,
                    Err(e) => {
                        run.phase = Phase::Failed(e.clone());
                        self.notify(Level::Error, e);
                    }
                }
            }
            QueryMsg::Exported { request_id, result }
                if q.export.as_ref().map(|e| e.request_id) == Some(request_id) =>
            {
                let note = match &result {
                    Ok((path, n)) => (Level::Info, format!("exported {n} rows to {path}")),
                    Err(e) => (Level::Error, format!("export failed: {e}")),
                };
                if let Some(ex) = q.export.as_mut() {
                    ex.result = Some(result);
                }
                self.notify(note.0, note.1);
            }
            _ => {}
        }
        Vec::new()
    }
}
