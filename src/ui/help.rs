//! The `?` help overlay: every effective key of the current screen.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::Theme;
use super::widgets::block;
use crate::app::App;

/// Draws the help overlay centred over `area`.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let scope = app.screen().scope();
    let lines: Vec<Line> = app
        .keymap
        .bindings_for(scope)
        .into_iter()
        .map(|(cmd, keys)| {
            let keys = keys
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            Line::from(vec![
                Span::styled(format!("{keys:>22}"), theme.key),
                Span::raw("  "),
                Span::raw(cmd.label()),
            ])
        })
        .collect();
    let height = (lines.len() as u16 + 2).min(area.height);
    let [v] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(area);
    let [popup] = Layout::horizontal([Constraint::Length(52)])
        .flex(Flex::Center)
        .areas(v);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(block(" Keys (any key closes) ".into(), theme, true)),
        popup,
    );
}
