//! The stack detail screen: resources grouped by service, outputs, recent events.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::Theme;
use super::widgets::{block, gutter, message, spinner, truncate};
use crate::app::App;
use crate::app::detail::{DetailState, Pane, ResourceRow, stack_depth};
use crate::app::stacks::LoadState;
use crate::domain::sanitize::sanitize;
use crate::domain::time::{rfc3339, short_age};

/// The indent of a tree row `depth` stacks under the root.
fn indent(depth: usize) -> String {
    "  ".repeat(depth)
}

/// Draws the detail of the stack opened from the list.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(d) = app.views.detail() else {
        return;
    };
    let [summary, main] = Layout::vertical([Constraint::Length(3), Constraint::Min(3)]).areas(area);
    render_summary(frame, summary, app, d, theme);
    let Some(data) = d.data.as_ref() else {
        let blk = block(" Resources ".into(), theme, true);
        match d.load.state() {
            LoadState::Failed(e) => message(
                frame,
                main,
                blk,
                &format!("Could not load the stack:\n{e}\n\npress r to retry"),
                theme.error,
            ),
            _ => message(
                frame,
                main,
                blk,
                &format!(
                    "{} Loading resources, outputs and events…",
                    spinner(app.tick)
                ),
                theme.dim,
            ),
        }
        return;
    };
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(main);
    let [outputs, events] =
        Layout::vertical([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(right);

    // Resources, grouped.
    let h = usize::from(left.height.saturating_sub(2));
    let win = d.resources.visible(h);
    let rows: Vec<Row> = win
        .clone()
        .filter_map(|pos| d.rows.get(pos).map(|r| (pos, r)))
        .map(|(pos, r)| {
            let row = match r {
                ResourceRow::Stack { path, depth, count } => Row::new(vec![
                    Cell::from(Span::styled(
                        format!(
                            "{}{}▸ {}",
                            gutter(d.pane == Pane::Resources && pos == d.resources.selected),
                            indent(depth - 1),
                            sanitize(path)
                        ),
                        theme.accent,
                    )),
                    Cell::from(Span::styled(
                        format!("nested stack ({count})"),
                        theme.accent,
                    )),
                    Cell::from(""),
                ]),
                ResourceRow::Group {
                    service,
                    count,
                    depth,
                } => Row::new(vec![
                    Cell::from(Span::styled(
                        format!(
                            "{}{}▾ {service} ({count})",
                            gutter(d.pane == Pane::Resources && pos == d.resources.selected),
                            indent(*depth)
                        ),
                        theme.title,
                    )),
                    Cell::from(""),
                    Cell::from(""),
                ]),
                ResourceRow::Resource(i) => {
                    let res = &data.resources[*i];
                    Row::new(vec![
                        Cell::from(format!(
                            "{}{}  {}",
                            gutter(d.pane == Pane::Resources && pos == d.resources.selected),
                            indent(stack_depth(&data.stack.name, &res.stack_path)),
                            sanitize(&res.logical_id)
                        )),
                        Cell::from(Span::styled(
                            truncate(&sanitize(res.physical_id.as_deref().unwrap_or("-")), 60),
                            theme.dim,
                        )),
                        Cell::from(Span::styled(
                            sanitize(&res.status).into_owned(),
                            theme.status(&res.status),
                        )),
                    ])
                }
            };
            if d.pane == Pane::Resources && pos == d.resources.selected {
                row.style(theme.selected)
            } else {
                row
            }
        })
        .collect();
    let title = format!(" Resources ({}) ", data.resources.len());
    frame.render_widget(
        Table::new(
            rows,
            [
                Constraint::Percentage(40),
                Constraint::Percentage(40),
                Constraint::Min(12),
            ],
        )
        .block(block(title, theme, d.pane == Pane::Resources)),
        left,
    );

    // Outputs.
    let h = usize::from(outputs.height.saturating_sub(2));
    let win = d.outputs.visible(h);
    let rows: Vec<Row> = data
        .stack
        .outputs
        .iter()
        .enumerate()
        .skip(win.start)
        .take(win.len())
        .map(|(pos, (k, v))| {
            let row = Row::new(vec![
                Cell::from(Span::styled(
                    format!(
                        "{}{}",
                        gutter(d.pane == Pane::Outputs && pos == d.outputs.selected),
                        sanitize(k)
                    ),
                    theme.accent,
                )),
                Cell::from(sanitize(v).into_owned()),
            ]);
            if d.pane == Pane::Outputs && pos == d.outputs.selected {
                row.style(theme.selected)
            } else {
                row
            }
        })
        .collect();
    frame.render_widget(
        Table::new(rows, [Constraint::Length(30), Constraint::Min(10)]).block(block(
            format!(" Outputs ({}) ", data.stack.outputs.len()),
            theme,
            d.pane == Pane::Outputs,
        )),
        outputs,
    );

    // Events.
    let now = app.clock.now();
    let h = usize::from(events.height.saturating_sub(2));
    let win = d.events.visible(h);
    let rows: Vec<Row> = win
        .clone()
        .filter_map(|pos| data.events.get(pos).map(|e| (pos, e)))
        .map(|(pos, e)| {
            let row = Row::new(vec![
                Cell::from(Span::styled(
                    format!(
                        "{}{}",
                        gutter(d.pane == Pane::Events && pos == d.events.selected),
                        short_age(e.timestamp, now)
                    ),
                    theme.dim,
                )),
                Cell::from(sanitize(&e.logical_id).into_owned()),
                Cell::from(Span::styled(
                    sanitize(&e.status).into_owned(),
                    theme.status(&e.status),
                )),
                Cell::from(Span::styled(
                    sanitize(e.reason.as_deref().unwrap_or("")).into_owned(),
                    theme.dim,
                )),
            ]);
            if d.pane == Pane::Events && pos == d.events.selected {
                row.style(theme.selected)
            } else {
                row
            }
        })
        .collect();
    frame.render_widget(
        Table::new(
            rows,
            [
                Constraint::Length(7),
                Constraint::Length(28),
                Constraint::Length(20),
                Constraint::Min(5),
            ],
        )
        .block(block(
            format!(" Recent events ({}) ", data.events.len()),
            theme,
            d.pane == Pane::Events,
        )),
        events,
    );
}

fn render_summary(frame: &mut Frame, area: Rect, app: &App, d: &DetailState, theme: &Theme) {
    let s = &d.stack;
    let now = app.clock.now();
    let updated = s.last_updated.map_or_else(
        || "never updated".to_string(),
        |t| format!("updated {} ({} ago)", rfc3339(t), short_age(t, now)),
    );
    let mut first = vec![
        Span::styled(sanitize(&s.name).into_owned(), theme.title),
        Span::raw("  "),
        Span::styled(sanitize(&s.status).into_owned(), theme.status(&s.status)),
        Span::styled(
            format!(
                "  created {} ({} ago) · {updated}",
                rfc3339(s.created),
                short_age(s.created, now)
            ),
            theme.dim,
        ),
    ];
    if s.termination_protection {
        first.push(Span::styled("  termination protection", theme.warn));
    }
    let tags = s
        .tags
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("  ");
    let lines = vec![
        Line::from(first),
        Line::styled(truncate(&sanitize(&tags), 400), theme.accent),
        Line::styled(
            truncate(&sanitize(s.description.as_deref().unwrap_or("")), 400),
            theme.dim,
        ),
    ];
    frame.render_widget(Paragraph::new(lines), area);
}

impl super::Draw for crate::app::DetailState {
    fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
        render(frame, area, app, theme);
    }
}
