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
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::{App, Level, Screen, StacksState};
use crate::domain::sanitize::sanitize;
pub use theme::Theme;

/// How a screen draws, implemented by its state type (beside `app::ScreenState`); the
/// renderer picks the implementation from the page on top (`app::screens`).
pub(crate) trait Draw {
    /// The page on top (`app.screen()`, one of this view's pages) in the body's `area`.
    fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme);
    /// The footer while the view's own input has the keyboard; `false`: the usual footer.
    fn footer(_frame: &mut Frame, _area: Rect, _app: &App, _theme: &Theme) -> bool {
        false
    }
}

/// Declares the renderer's dispatch to the page on top, from the registration.
macro_rules! drawing {
    ($( $variant:ident($ty:ty, $get:ident, $get_mut:ident) {
        $( $page:ident = $name:literal, )+
    } )*) => {
        fn draw_page(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
            match app.screen() {
                Screen::Stacks => <StacksState as Draw>::draw(frame, area, app, theme),
                $( $( Screen::$page )|+ => <$ty as Draw>::draw(frame, area, app, theme), )*
            }
        }

        fn draw_footer(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) -> bool {
            match app.screen() {
                Screen::Stacks => <StacksState as Draw>::footer(frame, area, app, theme),
                $( $( Screen::$page )|+ => <$ty as Draw>::footer(frame, area, app, theme), )*
            }
        }
    };
}

crate::app::screens::with_views!(drawing);

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
    draw_page(frame, body, app, theme);
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
    if draw_footer(frame, area, app, theme) {
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
