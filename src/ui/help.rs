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
    // One column when the keys fit; side by side columns when they do not; the last line
    // says how many are left out when even those do not.
    let rows = usize::from(area.height.saturating_sub(2)).max(1);
    let fit = usize::from(area.width / COLUMN).max(1);
    let columns = lines.len().div_ceil(rows).clamp(1, fit);
    let mut lines = lines;
    let room = rows * columns;
    if lines.len() > room {
        let left_out = lines.len() - room + 1;
        lines.truncate(room - 1);
        lines.push(Line::from(Span::styled(
            format!("{:>22}  … and {left_out} more", ""),
            theme.dim,
        )));
    }
    let per_column = lines.len().div_ceil(columns);
    let height = (per_column as u16 + 2).min(area.height);
    let [v] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(area);
    // Side by side columns keep each one as wide as the single one.
    let width = COLUMN * columns as u16 + if columns > 1 { 2 } else { 0 };
    let [popup] = Layout::horizontal([Constraint::Length(width)])
        .flex(Flex::Center)
        .areas(v);
    frame.render_widget(Clear, popup);
    let outer = block(" Keys (any key closes) ".into(), theme, true);
    let inner = outer.inner(popup);
    frame.render_widget(outer, popup);
    let cols = Layout::horizontal(vec![Constraint::Length(COLUMN); columns]).split(inner);
    for (chunk, col) in lines.chunks(per_column.max(1)).zip(cols.iter()) {
        frame.render_widget(Paragraph::new(chunk.to_vec()), *col);
    }
}

/// The width of one column of keys (22 for the keys, the command's label after them).
const COLUMN: u16 = 52;
