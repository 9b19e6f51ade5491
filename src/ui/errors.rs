//! The errors screen: a stack's error groups (kind, type, message, functions, count, first
//! and last seen, a count sparkline) with the selected group's details; and a group's latest
//! occurrence, its request's lines from START to REPORT. Only the visible rows are built.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};

use super::Theme;
use super::widgets::{block, gutter, message, spinner, truncate};
use crate::app::App;
use crate::app::errors::{ErrorsState, OccurrenceState};
use crate::app::stacks::LoadState;
use crate::domain::errors::{ErrorGroup, rebucket, sparkline};
use crate::domain::sanitize::sanitize;
use crate::domain::text::short_name;
use crate::domain::time::short_age;

/// Sparkline cells of a group row.
const TREND_WIDTH: usize = 12;

fn age(ms: i64, now: chrono::DateTime<chrono::Utc>) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map_or_else(|| "-".into(), |t| short_age(t, now))
}

fn one_line(s: &str) -> String {
    sanitize(&s.replace(['\n', '\r', '\t'], " ")).into_owned()
}

fn functions(g: &ErrorGroup, stack: &str) -> String {
    let prefix = format!("{stack}-");
    g.functions
        .iter()
        .map(|f| short_name(f, &prefix))
        .collect::<Vec<_>>()
        .join(",")
}

/// Draws the errors screen (or the occurrence on top of it).
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(st) = app.views.errors() else {
        return;
    };
    match &st.occurrence {
        Some(o) if app.screen() == crate::app::Screen::ErrorOccurrence => {
            render_occurrence(frame, area, app, st, o, theme);
        }
        _ => render_groups(frame, area, app, st, theme),
    }
}

fn render_groups(frame: &mut Frame, area: Rect, app: &App, st: &ErrorsState, theme: &Theme) {
    let loading = matches!(st.load.state(), LoadState::Loading | LoadState::Idle);
    let n = st.data.groups.len();
    let mut title = format!(
        " Errors · {} · last {} ({n} group{}",
        sanitize(&st.stack.name),
        st.window.label(),
        if n == 1 { "" } else { "s" }
    );
    if st.hidden > 0 {
        title.push_str(&format!(", {} more not shown", st.hidden));
    }
    title.push_str(") ");
    if st.data.insights {
        title.push_str("· via Logs Insights ");
    }
    if st.data.truncated || st.data.dropped > 0 {
        title.push_str("· counts are lower bounds ");
    }
    if loading {
        title.push_str(&format!("{} ", spinner(app.tick)));
    }
    let blk = block(title, theme, true);
    if st.data.groups.is_empty() {
        match st.load.state() {
            LoadState::Idle | LoadState::Loading => message(
                frame,
                area,
                blk,
                &format!("Reading the errors of the last {}…", st.window.label()),
                theme.dim,
            ),
            LoadState::Failed(e) => message(
                frame,
                area,
                blk,
                &format!("Could not read the errors:\n{e}\n\npress r to retry"),
                theme.error,
            ),
            LoadState::Loaded => message(
                frame,
                area,
                blk,
                &format!(
                    "no errors in the last {}\n\npress w for another window",
                    st.window.label()
                ),
                theme.dim,
            ),
        }
        return;
    }
    let [table_area, details_area] =
        Layout::vertical([Constraint::Min(4), Constraint::Length(6)]).areas(area);
    let now = st.loaded_at.unwrap_or_else(|| app.clock.now());
    let height = usize::from(table_area.height.saturating_sub(3));
    let rows: Vec<Row> = st
        .list
        .visible(height)
        .filter_map(|pos| st.data.groups.get(pos).map(|g| (pos, g)))
        .map(|(pos, g)| {
            let selected = pos == st.list.selected;
            let row = Row::new(vec![
                Cell::from(format!("{}{}", gutter(selected), g.kind.as_str())),
                Cell::from(Span::styled(one_line(&g.error_type), theme.error)),
                Cell::from(truncate(&one_line(&g.message), 300)),
                Cell::from(Span::styled(
                    truncate(&one_line(&functions(g, &st.stack.name)), 100),
                    theme.accent,
                )),
                Cell::from(g.count.to_string()),
                Cell::from(age(g.first_seen_ms, now)),
                Cell::from(age(g.last_seen_ms, now)),
                Cell::from(Span::styled(
                    sparkline(&rebucket(&g.sparkline, TREND_WIDTH)),
                    theme.warn,
                )),
            ]);
            if selected {
                row.style(theme.selected)
            } else {
                row
            }
        })
        .collect();
    let header = Row::new([
        "  KIND",
        "TYPE",
        "MESSAGE",
        "FUNCTIONS",
        "COUNT",
        "FIRST",
        "LAST",
        "TREND",
    ])
    .style(theme.title);
    let widths = [
        Constraint::Length(15),
        Constraint::Length(20),
        Constraint::Min(16),
        Constraint::Length(14),
        Constraint::Length(5),
        Constraint::Length(5),
        Constraint::Length(5),
        Constraint::Length(TREND_WIDTH as u16),
    ];
    let table = Table::new(rows, widths).header(header).block(blk);
    frame.render_widget(table, table_area);
    if let Some(g) = st.selected() {
        render_details(frame, details_area, g, theme);
    }
}

fn render_details(frame: &mut Frame, area: Rect, g: &ErrorGroup, theme: &Theme) {
    let mut lines = vec![Line::from(vec![
        Span::styled(one_line(&g.error_type), theme.error),
        Span::raw(": "),
        Span::raw(truncate(&one_line(&g.message), 500)),
    ])];
    if let Some(f) = &g.frame {
        lines.push(Line::styled(format!("at {}", one_line(f)), theme.dim));
    }
    lines.push(Line::styled(
        format!(
            "requests: {}",
            g.request_ids
                .iter()
                .map(|r| one_line(r))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        theme.dim,
    ));
    let title = format!(" {} · enter shows the latest occurrence ", g.fingerprint);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block(title, theme, false))
            .wrap(Wrap { trim: true }),
        area,
    );
}

fn render_occurrence(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    st: &ErrorsState,
    o: &OccurrenceState,
    theme: &Theme,
) {
    let g = &o.group;
    let at = chrono::DateTime::from_timestamp_millis(g.latest.timestamp_ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut title = format!(
        " {} · {} · {} · request {} ",
        one_line(&g.error_type),
        one_line(short_name(
            &g.latest.function,
            &format!("{}-", st.stack.name)
        )),
        at,
        one_line(g.latest.request_id.as_deref().unwrap_or("-")),
    );
    if o.load.is_loading() {
        title.push_str(&format!("{} ", spinner(app.tick)));
    } else if !o.lines.is_empty() {
        title.push_str(&format!(
            "· line {}/{} ",
            (o.scroll.top() + 1).min(o.lines.len()),
            o.lines.len()
        ));
    }
    let blk = block(title, theme, true);
    match o.load.state() {
        LoadState::Idle | LoadState::Loading => {
            message(
                frame,
                area,
                blk,
                "Reading the request's log lines…",
                theme.dim,
            );
            return;
        }
        LoadState::Failed(e) => {
            message(
                frame,
                area,
                blk,
                &format!("Could not read the request:\n{e}\n\npress r to retry"),
                theme.error,
            );
            return;
        }
        LoadState::Loaded if o.lines.is_empty() => {
            message(
                frame,
                area,
                blk,
                "The request's log lines are no longer there (expired or deleted).",
                theme.dim,
            );
            return;
        }
        LoadState::Loaded => {}
    }
    let height = usize::from(area.height.saturating_sub(2));
    let width = usize::from(area.width.saturating_sub(2));
    let lines: Vec<Line> = o
        .lines
        .iter()
        .skip(o.scroll.top())
        .take(height)
        .map(|l| {
            let time = l.time_ms.map_or_else(
                || " ".repeat(12),
                |ms| {
                    chrono::DateTime::from_timestamp_millis(ms)
                        .unwrap_or_default()
                        .format("%H:%M:%S%.3f")
                        .to_string()
                },
            );
            let style = if l.error { theme.error } else { theme.base };
            Line::from(vec![
                Span::styled(time, theme.dim),
                Span::styled(" │ ", theme.dim),
                Span::styled(truncate(&l.text, width.saturating_sub(15).max(1)), style),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).block(blk), area);
}

impl super::Draw for crate::app::errors::ErrorsState {
    fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
        render(frame, area, app, theme);
    }
}

#[cfg(test)]
#[path = "errors_tests.rs"]
mod tests;
