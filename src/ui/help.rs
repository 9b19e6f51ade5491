//! The `?` help overlay: every effective key of the current screen.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::Theme;
use super::widgets::block;
use crate::app::App;
use crate::app::keymap::Command;

const COMMANDS: [Command; 16] = [
    Command::Up,
    Command::Down,
    Command::PageUp,
    Command::PageDown,
    Command::Top,
    Command::Bottom,
    Command::Open,
    Command::Back,
    Command::Refresh,
    Command::Filter,
    Command::Sort,
    Command::ReverseSort,
    Command::NextPane,
    Command::PrevPane,
    Command::Help,
    Command::Quit,
];

/// Draws the help overlay centred over `area`.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let scope = app.screen().scope();
    let lines: Vec<Line> = COMMANDS
        .iter()
        .filter_map(|c| {
            let keys = app.keymap.keys_for(scope, *c);
            if keys.is_empty() {
                return None;
            }
            let keys = keys
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            Some(Line::from(vec![
                Span::styled(format!("{keys:>22}"), theme.key),
                Span::raw("  "),
                Span::raw(c.label()),
            ]))
        })
        .collect();
    let height = (lines.len() as u16 + 2).min(area.height);
    let [v] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(area);
    let [popup] = Layout::horizontal([Constraint::Length(48)])
        .flex(Flex::Center)
        .areas(v);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(block(" Keys (any key closes) ".into(), theme, true)),
        popup,
    );
}
