//! One item: its JSON, highlighted, scrolled.

use crate::app::App;
use crate::domain::dynamo::cell_text;
use crate::domain::sanitize::sanitize;
use crate::ui::Theme;
use crate::ui::widgets::{block, spinner};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Colours one line of pretty JSON: keys, strings, numbers, literals.
fn json_line<'a>(line: &str, theme: &Theme) -> Line<'a> {
    let clean = sanitize(line).into_owned();
    let indent_len = clean.len() - clean.trim_start().len();
    let (indent, rest) = clean.split_at(indent_len);
    let mut spans = vec![Span::raw(indent.to_string())];
    let mut value = rest;
    if rest.starts_with('"')
        && let Some(end) = string_end(rest)
        && rest[end..].starts_with(": ")
    {
        spans.push(Span::styled(rest[..end].to_string(), theme.accent));
        spans.push(Span::raw(": "));
        value = &rest[end + 2..];
    }
    let style = match value.chars().next() {
        Some('"') => theme.ok,
        Some(c) if c == '-' || c.is_ascii_digit() => theme.warn,
        Some('t' | 'f' | 'n') => theme.key,
        _ => theme.base,
    };
    spans.push(Span::styled(value.to_string(), style));
    Line::from(spans)
}

/// The byte index just after the closing quote of the JSON string starting `s`.
fn string_end(s: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// Draws the opened item as pretty JSON (plain or typed), scrolled.
pub fn render_item(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(st) = app.views.dynamo() else {
        return;
    };
    let (Some(view), Some(items)) = (st.view.as_ref(), st.items.as_ref()) else {
        return;
    };
    let key = items
        .table
        .key_names()
        .iter()
        .filter_map(|k| view.item.get(k).map(|a| cell_text(a, 40)))
        .collect::<Vec<_>>()
        .join(" / ");
    let banner_h = u16::from(view.confirm_delete || view.op.is_loading());
    let [body, banner] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(banner_h)]).areas(area);
    let h = usize::from(body.height.saturating_sub(2));
    let lines: Vec<Line> = view
        .text
        .lines()
        .skip(view.scroll.top())
        .take(h)
        .map(|l| json_line(l, theme))
        .collect();
    let total = view.text.lines().count();
    let title = format!(
        " {} · {} · {} JSON · line {}/{} ",
        sanitize(&items.table.name),
        sanitize(&key),
        if view.typed { "DynamoDB" } else { "plain" },
        (view.scroll.top() + 1).min(total),
        total
    );
    frame.render_widget(Paragraph::new(lines).block(block(title, theme, true)), body);
    if view.confirm_delete {
        frame.render_widget(
            Paragraph::new(Line::styled(
                format!(
                    " delete item {}? press y to delete, any other key keeps it",
                    sanitize(&key)
                ),
                theme.error,
            )),
            banner,
        );
    } else if view.op.is_loading() {
        frame.render_widget(
            Paragraph::new(Line::styled(
                format!(" {} writing…", spinner(app.tick)),
                theme.warn,
            )),
            banner,
        );
    }
}
