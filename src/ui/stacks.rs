//! The stack list screen.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table};

use super::Theme;
use super::widgets::{block, gutter, message, spinner, truncate};
use crate::app::App;
use crate::app::errors::ErrorCount;
use crate::app::stacks::LoadState;
use crate::domain::sanitize::sanitize;
use crate::domain::time::short_age;

/// The stack list shows its ERRORS column from this width on.
pub const ERRORS_MIN_WIDTH: u16 = 120;

/// Draws the stack list (only the visible rows are built).
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let st = &app.stacks;
    let loading = matches!(st.load.state(), LoadState::Loading | LoadState::Idle);
    let mut title = format!(" Stacks ({}", st.view.len());
    if st.view.len() != st.stacks.len() {
        title.push_str(&format!(" of {}", st.stacks.len()));
    }
    title.push_str(&format!(
        ") · sort: {}{} ",
        st.sort.label(),
        if st.reverse { " ↑" } else { "" }
    ));
    if !st.filter.is_empty() {
        title.push_str(&format!("· filter: {} ", sanitize(&st.filter)));
    }
    if st.abandoned_only {
        title.push_str("· abandoned only ");
    }
    if !st.marked.is_empty() {
        title.push_str(&format!("· {} marked ", st.marked.len()));
    }
    if loading {
        title.push_str(&format!("{} ", spinner(app.tick)));
    }
    let blk = block(title, theme, true);
    if st.stacks.is_empty() {
        match st.load.state() {
            LoadState::Idle | LoadState::Loading => {
                message(frame, area, blk, "Discovering prototype stacks…", theme.dim);
            }
            LoadState::Failed(e) => message(
                frame,
                area,
                blk,
                &format!("Could not list stacks:\n{e}\n\npress r to retry"),
                theme.error,
            ),
            LoadState::Loaded => message(
                frame,
                area,
                blk,
                &format!(
                    "No prototype stacks carry the tags {}.\nDeploy one with those tags, or change [discovery] tags / --tag.",
                    app.header.filters
                ),
                theme.dim,
            ),
        }
        return;
    }
    if st.view.is_empty() && st.abandoned_only && st.filter.is_empty() {
        let text = if st.assessments.is_empty() {
            "Looking up the stacks' activity…"
        } else {
            "No abandoned stacks: every prototype is in use, protected or within its TTL.\npress A to show all stacks"
        };
        message(frame, area, blk, text, theme.dim);
        return;
    }
    let now = app.clock.now();
    // The ERRORS column needs room: a narrow terminal leaves it out.
    let show_errors = area.width >= ERRORS_MIN_WIDTH && !st.errors.is_empty();
    let height = usize::from(area.height.saturating_sub(3));
    let window = st.list.visible(height);
    let rows: Vec<Row> = window
        .clone()
        .filter_map(|pos| st.view.get(pos).map(|&i| (pos, &st.stacks[i])))
        .map(|(pos, s)| {
            let tags = s
                .tags
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(" ");
            let mark = if st.marked.contains(&s.id) {
                "●"
            } else {
                " "
            };
            let verdict = match st.assessments.get(&s.id) {
                Some(a) if a.protected => Span::styled(
                    format!("protected: {}", a.protection_reasons.join("; ")),
                    theme.ok,
                ),
                Some(a) if a.abandoned => Span::styled(
                    format!("ABANDONED: {}", a.abandoned_reasons.join("; ")),
                    theme.warn,
                ),
                Some(a) => Span::styled(format!("idle {}d", a.idle_days), theme.dim),
                None => Span::styled("…", theme.dim),
            };
            let verdict = Span::styled(truncate(&sanitize(&verdict.content), 120), verdict.style);
            let mut name = vec![Span::raw(format!(
                "{}{mark}{}",
                gutter(pos == st.list.selected),
                sanitize(&s.name)
            ))];
            if s.nested_stacks > 0 {
                name.push(Span::styled(
                    format!(" +{} nested", s.nested_stacks),
                    theme.accent,
                ));
            }
            let mut cells = vec![Cell::from(Line::from(name))];
            if st.multi_region {
                cells.push(Cell::from(Span::styled(
                    sanitize(&s.region).into_owned(),
                    theme.accent,
                )));
            }
            if st.multi_account {
                let mut account =
                    crate::domain::teardown::account_from_stack_id(&s.id).unwrap_or_default();
                if let Some(alias) = &s.account_alias {
                    account = format!("{account} ({alias})");
                }
                cells.push(Cell::from(sanitize(&account).into_owned()));
            }
            cells.extend([
                Cell::from(Span::styled(
                    sanitize(&s.status).into_owned(),
                    theme.status(&s.status),
                )),
                Cell::from(short_age(s.created, now)),
                Cell::from(
                    s.last_updated
                        .map_or_else(|| "-".to_string(), |t| short_age(t, now)),
                ),
                super::cost::cell(st, s, theme),
            ]);
            if show_errors {
                cells.push(match st.errors.get(&s.id) {
                    Some(ErrorCount::Done(0)) => Cell::from(Span::styled("0", theme.dim)),
                    Some(ErrorCount::Done(n)) => {
                        Cell::from(Span::styled(n.to_string(), theme.error))
                    }
                    Some(ErrorCount::Failed) => Cell::from(Span::styled("-", theme.dim)),
                    Some(ErrorCount::Loading) | None => Cell::from(Span::styled("…", theme.dim)),
                });
            }
            cells.extend([
                Cell::from(Line::from(verdict)),
                Cell::from(Line::from(Span::styled(
                    truncate(&sanitize(&tags), 200),
                    theme.dim,
                ))),
            ]);
            let row = Row::new(cells);
            if pos == st.list.selected {
                row.style(theme.selected)
            } else {
                row
            }
        })
        .collect();
    let mut titles = vec!["   NAME"];
    let mut widths = vec![Constraint::Length(24)];
    if st.multi_region {
        titles.push("REGION");
        widths.push(Constraint::Length(15));
    }
    if st.multi_account {
        titles.push("ACCOUNT");
        widths.push(Constraint::Length(st.account_width.max(13)));
    }
    titles.extend(["STATUS", "AGE", "UPDATED", "$/MO"]);
    widths.extend([
        Constraint::Length(22),
        Constraint::Length(5),
        Constraint::Length(8),
        Constraint::Length(9),
    ]);
    if show_errors {
        titles.push("ERRORS");
        widths.push(Constraint::Length(6));
    }
    titles.extend(["ABANDONED/PROTECTED", "TAGS"]);
    // ABANDONED/PROTECTED gives ERRORS some of its room.
    let verdict_width = if show_errors { 36 } else { 42 };
    widths.extend([Constraint::Length(verdict_width), Constraint::Min(10)]);
    let header = Row::new(titles).style(theme.title);
    let table = Table::new(rows, widths).header(header).block(blk);
    frame.render_widget(table, area);
}

impl super::Draw for crate::app::StacksState {
    fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
        render(frame, area, app, theme);
    }

    fn footer(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) -> bool {
        if !app.stacks.filter_editing || app.overlay.is_some() {
            return false;
        }
        let mut spans = vec![Span::styled("/", theme.key)];
        spans.extend(super::widgets::input_spans(
            &app.stacks.filter,
            ratatui::style::Style::default(),
            theme.accent,
        ));
        spans.push(Span::styled("  enter keep · esc clear", theme.dim));
        frame.render_widget(ratatui::widgets::Paragraph::new(Line::from(spans)), area);
        true
    }
}
