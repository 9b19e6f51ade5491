//! Pure render functions: `render(frame, &app)` draws the whole screen; no I/O, no awaits.

mod archives;
mod cost;
mod detail;
mod dynamo;
mod errors;
mod help;
mod invoke;
mod logs;
mod palette;
mod query;
mod s3;
mod shelf;
mod stacks;
mod teardown;
pub mod theme;
pub mod widgets;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::{App, Level, Screen};
use crate::domain::sanitize::sanitize;
pub use theme::Theme;

/// Draws the header, the current screen, the footer and any overlay.
pub fn render(frame: &mut Frame, app: &App, theme: &Theme) {
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    frame.render_widget(
        ratatui::widgets::Block::new().style(theme.base),
        frame.area(),
    );
    render_header(frame, header, app, theme);
    match app.screen() {
        Screen::Stacks => stacks::render(frame, body, app, theme),
        Screen::Detail => detail::render(frame, body, app, theme),
        Screen::DynamoTables => dynamo::render_tables(frame, body, app, theme),
        Screen::DynamoItems => dynamo::render_items(frame, body, app, theme),
        Screen::DynamoItem => dynamo::render_item(frame, body, app, theme),
        Screen::S3Buckets | Screen::S3Browser | Screen::S3Object | Screen::S3Versions => {
            s3::render(frame, body, app, theme);
        }
        Screen::Logs => logs::render(frame, body, app, theme),
        Screen::Query => query::render(frame, body, app, theme),
        Screen::Invoke => invoke::render(frame, body, app, theme),
        Screen::Teardown => teardown::render(frame, body, app, theme),
        Screen::Errors | Screen::ErrorOccurrence => errors::render(frame, body, app, theme),
        Screen::Cost => cost::render(frame, body, app, theme),
        Screen::Shelve => shelf::render(frame, body, app, theme),
        Screen::Archives => archives::render(frame, body, app, theme),
        Screen::Restore => archives::render_restore(frame, body, app, theme),
    }
    render_footer(frame, footer, app, theme);
    if app.show_help {
        help::render(frame, body, app, theme);
    }
    if let Some(o) = &app.overlay {
        palette::render(frame, body, o, theme);
    }
}

/// The number of body rows a list gets in a terminal of `height` lines (header, footer,
/// block borders and the column header row taken away).
pub fn list_rows(height: u16) -> usize {
    usize::from(height.saturating_sub(5))
}

fn render_header(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let conn = if app.header.connection.is_empty() {
        "connecting…".to_string()
    } else {
        sanitize(&app.header.connection).into_owned()
    };
    let mut spans = vec![
        Span::styled(" protoctl ", theme.header),
        Span::raw(" "),
        Span::styled(conn, theme.accent),
        Span::styled(
            format!("  tags: {}", sanitize(&app.header.filters)),
            theme.dim,
        ),
    ];
    if app.header.read_only {
        spans.push(Span::styled("  READ-ONLY", theme.warn));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn render_footer(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    if app.confirm_quit {
        let line = Line::from(vec![
            Span::styled(
                "a teardown is running: quit and stop it between steps? ",
                theme.warn,
            ),
            Span::styled("y/n", theme.key),
        ]);
        frame.render_widget(Paragraph::new(line), area);
        return;
    }
    if app.teardown_input_focused() {
        teardown::render_footer(frame, area, app, theme);
        return;
    }
    if app.shelve_input_focused() {
        shelf::render_footer(frame, area, app, theme);
        return;
    }
    if app.restore_input_focused() && app.notifications.is_empty() {
        archives::render_footer(frame, area, theme);
        return;
    }
    if s3::render_input(frame, area, app, theme) {
        return;
    }
    if app.screen() == Screen::Stacks && app.stacks.filter_editing && app.overlay.is_none() {
        let mut spans = vec![Span::styled("/", theme.key)];
        spans.extend(widgets::input_spans(
            &app.stacks.filter,
            Style::default(),
            theme.accent,
        ));
        spans.push(Span::styled("  enter keep · esc clear", theme.dim));
        let line = Line::from(spans);
        frame.render_widget(Paragraph::new(line), area);
        return;
    }
    if let Some(n) = app.notifications.back() {
        let style = match n.level {
            Level::Error => theme.error,
            Level::Info => theme.ok,
        };
        frame.render_widget(
            Paragraph::new(Line::styled(sanitize(&n.text).into_owned(), style)),
            area,
        );
        return;
    }
    let scope = app.screen().scope();
    let mut spans = Vec::new();
    for cmd in app.hints() {
        spans.push(Span::styled(app.keymap.hint(scope, cmd), theme.key));
        spans.push(Span::styled(format!(" {}  ", cmd.label()), theme.dim));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

#[cfg(test)]
pub(crate) mod tests;
