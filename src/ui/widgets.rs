//! Small shared drawing helpers.

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::Theme;
use crate::app::widgets::TextInput;
use crate::domain::sanitize::sanitize;

/// Spinner frames for loading indicators.
const SPINNER: [&str; 4] = ["⠋", "⠙", "⠸", "⠴"];

/// The spinner glyph for a tick.
pub fn spinner(tick: u64) -> &'static str {
    SPINNER[(tick % 4) as usize]
}

/// A centred message inside a bordered block (loading, empty, error states).
pub fn message(
    frame: &mut Frame,
    area: Rect,
    block: Block<'_>,
    text: &str,
    style: ratatui::style::Style,
) {
    let lines: Vec<Line> = text
        .lines()
        .map(|l| Line::styled(sanitize(l).into_owned(), style))
        .collect();
    let inner_height = area.height.saturating_sub(2);
    let pad = inner_height.saturating_sub(lines.len() as u16) / 2;
    let mut all = vec![Line::raw(""); usize::from(pad)];
    all.extend(lines);
    frame.render_widget(
        Paragraph::new(all)
            .block(block)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        area,
    );
}

/// Truncates to `max` characters with an ellipsis (display only).
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// A bordered block with a title in the theme's title style.
pub fn block<'a>(title: String, theme: &Theme, focused: bool) -> Block<'a> {
    let b = Block::bordered().title(Line::styled(title, theme.title));
    if focused {
        b.border_style(theme.accent)
    } else {
        b.border_style(theme.dim)
    }
}

/// The cursor mark in front of the selected row (visible without colour too).
pub fn gutter(selected: bool) -> &'static str {
    if selected { "› " } else { "  " }
}

/// A text input drawn as its (sanitised) text with a block cursor at the cursor.
pub fn input_spans(input: &TextInput, text: Style, cursor: Style) -> Vec<Span<'static>> {
    let (before, after) = input.around_cursor();
    vec![
        Span::styled(sanitize(before).into_owned(), text),
        Span::styled("█", cursor),
        Span::styled(sanitize(after).into_owned(), text),
    ]
}
