//! The Logs Insights screen: the query editor, the run's status, the rows as a table of the
//! query's fields (only the visible rows and columns built), a row in full, the pickers.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::Theme;
use super::widgets::{block, gutter, input_spans, message, spinner, truncate};
use crate::app::App;
use crate::app::query::{Phase, PickerKind, QueryState, Results, record_lines};
use crate::app::stacks::LoadState;
use crate::domain::queries::WINDOWS;
use crate::domain::sanitize::sanitize;

/// Draws the query screen.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(q) = app.views.query() else {
        return;
    };
    let text_w = usize::from(area.width.saturating_sub(2)).max(1);
    // Word wrapping may take a line more than the characters fill.
    let filled = (q.editor.chars().count() + 1).div_ceil(text_w);
    let text_lines = (filled + usize::from(filled > 1)).clamp(1, 6);
    let [editor, status, body] = Layout::vertical([
        Constraint::Length(u16::try_from(text_lines).unwrap_or(6) + 2),
        Constraint::Length(1),
        Constraint::Min(3),
    ])
    .areas(area);
    render_editor(frame, editor, q, theme);
    frame.render_widget(Paragraph::new(status_line(q, app.tick, theme)), status);
    match (&q.results, q.record) {
        (Some(r), Some(rec)) => render_record(frame, body, r, rec.row, rec.scroll.top_u16(), theme),
        (Some(r), None) => render_table(frame, body, r, theme),
        (None, _) => render_empty(frame, body, q, theme),
    }
    if q.picker.is_some() {
        render_picker(frame, body, q, theme);
    }
}

fn render_editor(frame: &mut Frame, area: Rect, q: &QueryState, theme: &Theme) {
    let groups = match q.load.state() {
        LoadState::Loaded => format!("{} log groups", q.groups.len()),
        LoadState::Failed(_) => "no log groups".to_string(),
        _ => "finding log groups…".to_string(),
    };
    let title = format!(
        " Insights · {} · {groups} · window {} ",
        sanitize(&q.stack.name),
        sanitize(&q.window)
    );
    let spans = if q.editing && q.picker.is_none() {
        input_spans(&q.editor, Style::default(), theme.accent)
    } else {
        vec![Span::raw(sanitize(&q.editor).into_owned())]
    };
    frame.render_widget(
        Paragraph::new(Line::from(spans))
            .block(block(title, theme, q.editing))
            .wrap(Wrap { trim: false }),
        area,
    );
}

fn status_line(q: &QueryState, tick: u64, theme: &Theme) -> Line<'static> {
    let Some(run) = &q.run else {
        let hint = if q.editing {
            " enter runs · esc leaves the editor · ctrl-e $EDITOR"
        } else {
            " e edits · ctrl-r runs · w window · s saved queries"
        };
        return Line::styled(hint, theme.dim);
    };
    let (scanned, matched) = match (&run.phase, &q.results) {
        (Phase::Complete, Some(r)) => (r.records_scanned, r.records_matched),
        _ => run.figures(),
    };
    let figures = format!("{scanned:.0} records scanned · {matched:.0} matched");
    let n = run.chunks.len();
    let queries = if n == 1 {
        "1 query".to_string()
    } else {
        format!("{n} queries")
    };
    let mut spans = Vec::new();
    match &run.phase {
        Phase::Running | Phase::Cancelling => {
            spans.push(Span::styled(
                format!(" {} {}", spinner(tick), run.status()),
                theme.accent,
            ));
            spans.push(Span::raw(format!(
                " · {}/{n} complete · {figures} · window {}",
                run.complete(),
                sanitize(&run.window)
            )));
            if run.phase == Phase::Running {
                spans.push(Span::styled(" · x cancels", theme.dim));
            }
        }
        Phase::Complete => {
            let rows = q.results.as_ref().map_or(0, |r| r.rows.len());
            spans.push(Span::styled(" Complete", theme.ok));
            spans.push(Span::raw(format!(
                " · {rows} rows · {figures} · {queries} · window {}",
                sanitize(&run.window)
            )));
            if let Some(r) = &q.results {
                if r.approximate {
                    spans.push(Span::styled(
                        " · stats per query (aggregates cannot be combined)",
                        theme.warn,
                    ));
                }
                if r.capped {
                    spans.push(Span::styled(" · first 10000 rows kept", theme.warn));
                }
            }
        }
        Phase::Cancelled => {
            spans.push(Span::styled(" Cancelled", theme.warn));
            spans.push(Span::raw(format!(" · {figures}")));
        }
        Phase::Failed(e) => {
            spans.push(Span::styled(
                format!(" Failed: {}", sanitize(&truncate(e, 200))),
                theme.error,
            ));
        }
    }
    Line::from(spans)
}

fn render_empty(frame: &mut Frame, area: Rect, q: &QueryState, theme: &Theme) {
    let blk = block(" Results ".to_string(), theme, !q.editing);
    let (text, style) = match (q.load.state(), &q.run) {
        (LoadState::Failed(e), _) => (
            format!("Could not find the stack's log groups:\n{e}\n\npress r to retry"),
            theme.error,
        ),
        (LoadState::Loaded, _) if q.groups.is_empty() => (
            "The stack has no log groups yet: a function's group appears on its first invocation."
                .to_string(),
            theme.dim,
        ),
        (_, Some(r)) if r.active() => ("Waiting for the query…".to_string(), theme.dim),
        (_, Some(r)) if matches!(r.phase, Phase::Cancelled | Phase::Failed(_)) => {
            ("No rows.".to_string(), theme.dim)
        }
        (LoadState::Loaded, _) => (
            format!(
                "{} log groups ({} a run).\nType a query and press enter, or s for the saved queries.",
                q.groups.len(),
                if q.chunks() == 1 {
                    "one query".to_string()
                } else {
                    format!("{} queries of 50 groups", q.chunks())
                }
            ),
            theme.dim,
        ),
        _ => ("Finding the stack's log groups…".to_string(), theme.dim),
    };
    message(frame, area, blk, &text, style);
}

/// The columns drawn from `first` in `width` characters: index and width each. Room left
/// when they all fit goes to the cut ones, in order; the last column takes what is left.
fn visible_columns(r: &Results, width: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut used = 0;
    for i in r.first_col..r.columns.len() {
        if used >= width {
            break;
        }
        let w = r.widths[i].min(width - used);
        out.push((i, w));
        used += w + 2;
    }
    let mut spare = width.saturating_sub(used.saturating_sub(2));
    let n = out.len();
    for (k, (i, w)) in out.iter_mut().enumerate() {
        let grow = if k + 1 == n {
            spare
        } else {
            r.natural[*i].saturating_sub(*w).min(spare)
        };
        *w += grow;
        spare -= grow;
    }
    out
}

fn cells_line(cells: &[(usize, usize)], text: impl Fn(usize) -> String) -> String {
    let mut line = String::new();
    for (n, (i, w)) in cells.iter().enumerate() {
        let t = truncate(&text(*i), *w);
        line.push_str(&t);
        if n + 1 < cells.len() {
            let pad = w.saturating_sub(t.chars().count()) + 2;
            line.extend(std::iter::repeat_n(' ', pad));
        }
    }
    line
}

fn render_table(frame: &mut Frame, area: Rect, r: &Results, theme: &Theme) {
    let inner = ratatui::widgets::Block::bordered().inner(area);
    let width = usize::from(inner.width).saturating_sub(2);
    let cols = visible_columns(r, width);
    let title = if r.rows.is_empty() {
        " Results · no rows ".to_string()
    } else {
        format!(
            " Results · row {}/{} · columns {}–{} of {} ",
            r.list.selected + 1,
            r.rows.len(),
            r.first_col + 1,
            r.first_col + cols.len(),
            r.columns.len()
        )
    };
    frame.render_widget(block(title, theme, true), area);
    if r.rows.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled(
                "The query matched nothing in this window.",
                theme.dim,
            )),
            inner,
        );
        return;
    }
    let mut lines = Vec::with_capacity(usize::from(inner.height));
    let header = cells_line(&cols, |i| sanitize(&r.columns[i]).into_owned());
    lines.push(Line::styled(format!("  {header}"), theme.title));
    let rows = r.list.visible(usize::from(inner.height.saturating_sub(1)));
    for i in rows {
        let selected = i == r.list.selected;
        let text = cells_line(&cols, |c| r.cells[i][c].clone());
        let style = if selected {
            theme.selected
        } else {
            Style::default()
        };
        lines.push(Line::styled(format!("{}{text}", gutter(selected)), style));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn render_record(
    frame: &mut Frame,
    area: Rect,
    r: &Results,
    row: usize,
    scroll: u16,
    theme: &Theme,
) {
    let title = format!(" Row {}/{} in full · esc back ", row + 1, r.rows.len());
    let blk = block(title, theme, true);
    let Some(fields) = r.rows.get(row) else {
        message(frame, area, blk, "no such row", theme.dim);
        return;
    };
    let mut lines = Vec::new();
    for (field, values) in record_lines(fields) {
        let mut it = values.into_iter();
        lines.push(Line::from(vec![
            Span::styled(format!("{field}: "), theme.key),
            Span::raw(it.next().unwrap_or_default()),
        ]));
        lines.extend(it.map(|l| Line::raw(format!("  {l}"))));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .block(blk)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        area,
    );
}

fn render_picker(frame: &mut Frame, area: Rect, q: &QueryState, theme: &Theme) {
    let Some(p) = &q.picker else {
        return;
    };
    let width = area.width.saturating_sub(4).min(90);
    let rows = u16::try_from(p.matches.len()).unwrap_or(u16::MAX).min(12);
    let height = (rows + 4).min(area.height);
    let popup = Rect {
        x: area.x + (area.width.saturating_sub(width)) / 2,
        y: area.y + 1u16.min(area.height.saturating_sub(height)),
        width,
        height,
    };
    frame.render_widget(Clear, popup);
    let (title, prompt) = match p.kind {
        PickerKind::Window => (
            " Window · enter picks · esc closes ",
            "or type one (3h, 2026-12-01T10:00/2026-12-01T12:00): ",
        ),
        PickerKind::Saved => (" Saved queries · enter loads · esc closes ", "filter: "),
    };
    let blk = block(title.to_string(), theme, true);
    let inner = blk.inner(popup);
    frame.render_widget(blk, popup);
    let mut spans = vec![Span::styled(prompt, theme.dim)];
    spans.extend(input_spans(&p.input, Style::default(), theme.accent));
    let mut lines = vec![Line::from(spans), Line::raw("")];
    let text_w = usize::from(inner.width).saturating_sub(2);
    for i in p.list.visible(usize::from(inner.height.saturating_sub(2))) {
        let Some(&idx) = p.matches.get(i) else {
            continue;
        };
        let selected = i == p.list.selected;
        let label = match p.kind {
            PickerKind::Window => {
                let w = WINDOWS.get(idx).copied().unwrap_or_default();
                if w == q.window {
                    format!("{w} (current)")
                } else {
                    w.to_string()
                }
            }
            PickerKind::Saved => q.saved.get(idx).map_or_else(String::new, |s| {
                format!(
                    "{:<22} {:<9} {}",
                    sanitize(&s.name),
                    if s.builtin { "built-in" } else { "config" },
                    sanitize(&s.description)
                )
            }),
        };
        let style = if selected {
            theme.selected
        } else {
            Style::default()
        };
        lines.push(Line::styled(
            format!("{}{}", gutter(selected), truncate(&label, text_w)),
            style,
        ));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

impl super::Draw for crate::app::query::QueryState {
    fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
        render(frame, area, app, theme);
    }
}

#[cfg(test)]
mod tests;
