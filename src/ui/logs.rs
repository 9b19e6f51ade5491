//! The log tail screen: events of every function interleaved by time, each function in its
//! own colour, the selected event in full, and per-function REPORT insights.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Sparkline, Table, Wrap};

use super::Theme;
use super::widgets::{block, message, spinner, truncate};
use crate::app::App;
use crate::app::logs::LogsState;
use crate::app::stacks::LoadState;
use crate::domain::logbuf::LogEvent;
use crate::domain::logbuf::follow::TailMode;
use crate::domain::report::parse_report;
use crate::domain::sanitize::{sanitize, sanitize_multiline};
use crate::domain::text::short_name;

/// Characters of a message drawn at most (the buffer keeps the whole line).
pub const DISPLAY_CHARS: usize = 2_000;

const PALETTE: [Color; 8] = [
    Color::Cyan,
    Color::Magenta,
    Color::Green,
    Color::Yellow,
    Color::LightBlue,
    Color::LightRed,
    Color::LightGreen,
    Color::LightMagenta,
];

/// Draws the tail screen.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(l) = app.views.logs() else {
        return;
    };
    let title = title(l, app.tick);
    let blk = block(title, theme, true);
    if l.is_empty() {
        let text = match l.load.state() {
            LoadState::Failed(e) => format!("Could not tail the logs:\n{e}\n\npress r to retry"),
            LoadState::Loaded => "Waiting for log events…".to_string(),
            _ => "Finding the log groups…".to_string(),
        };
        let style = if matches!(l.load.state(), LoadState::Failed(_)) {
            theme.error
        } else {
            theme.dim
        };
        message(frame, area, blk, &text, style);
        return;
    }
    let mut constraints = vec![Constraint::Min(3)];
    let detail_h = if l.expanded {
        (area.height / 3).max(5)
    } else {
        0
    };
    let insights_h = if l.show_insights {
        u16::try_from(l.insights.len().min(8)).unwrap_or(8) + 4
    } else {
        0
    };
    if l.expanded {
        constraints.push(Constraint::Length(detail_h));
    }
    if l.show_insights {
        constraints.push(Constraint::Length(insights_h));
    }
    let areas = Layout::vertical(constraints).split(area);
    render_lines(frame, areas[0], l, theme, blk);
    let mut next = 1;
    if l.expanded {
        render_selected(frame, areas[next], l, theme);
        next += 1;
    }
    if l.show_insights {
        render_insights(frame, areas[next], l, theme);
    }
}

fn title(l: &LogsState, tick: u64) -> String {
    let prefix = format!("{}-", l.stack.name);
    let what = l.function.as_deref().map_or_else(
        || "all functions".to_string(),
        |f| short_name(f, &prefix).to_string(),
    );
    let mut t = format!(
        " Logs · {} · {} · {} events",
        sanitize(&l.stack.name),
        sanitize(&what),
        l.len()
    );
    match &l.mode {
        Some(TailMode::Live { .. }) => t.push_str(" · LIVE"),
        Some(TailMode::Polling { .. }) => t.push_str(" · polling"),
        None if matches!(l.load.state(), LoadState::Loading | LoadState::Idle) => {
            t.push_str(&format!(" {}", spinner(tick)));
        }
        None => {}
    }
    if l.sampled {
        t.push_str(" · SAMPLED");
    }
    if l.paused {
        t.push_str(&format!(" · PAUSED ({} new)", l.pending.len()));
    } else if !l.follow {
        t.push_str(" · scrolled");
    }
    if l.wrap {
        t.push_str(" · wrap");
    }
    if l.by_request {
        t.push_str(" · by request");
    }
    if !l.search.is_empty() {
        t.push_str(&format!(
            " · /{} ({} matches)",
            sanitize(&truncate(&l.search, 30)),
            l.matches
        ));
    }
    t.push(' ');
    t
}

fn colour_of(l: &LogsState, theme: &Theme, function: &str) -> Style {
    // Without colour (NO_COLOR) the dim style is plain: keep every function plain too.
    if theme.dim == Style::default() {
        return Style::default();
    }
    let slot = l.colours.get(function).copied().unwrap_or(0);
    Style::default().fg(PALETTE[slot % PALETTE.len()])
}

/// The message as drawn: sanitised, one line, truncated for display.
fn display_text(e: &LogEvent) -> String {
    let msg = e.message.trim_end_matches(['\n', '\r']).replace('\t', "  ");
    truncate(&sanitize(&msg), DISPLAY_CHARS)
}

/// Splits `text` into spans, highlighting case-insensitive matches of `needle`.
fn highlighted(text: &str, needle: &str, base: Style, hit: Style) -> Vec<Span<'static>> {
    if needle.is_empty() {
        return vec![Span::styled(text.to_string(), base)];
    }
    let lower = text.to_lowercase();
    let needle = needle.to_lowercase();
    // Lower-casing can change byte lengths; highlight only where offsets line up.
    if lower.len() != text.len() {
        return vec![Span::styled(text.to_string(), base)];
    }
    let mut spans = Vec::new();
    let mut at = 0;
    while let Some(pos) = lower[at..].find(&needle) {
        let start = at + pos;
        let end = start + needle.len();
        if !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            break;
        }
        if start > at {
            spans.push(Span::styled(text[at..start].to_string(), base));
        }
        spans.push(Span::styled(text[start..end].to_string(), hit));
        at = end;
    }
    spans.push(Span::styled(text[at..].to_string(), base));
    spans
}

fn render_lines(
    frame: &mut Frame,
    area: Rect,
    l: &LogsState,
    theme: &Theme,
    blk: ratatui::widgets::Block<'_>,
) {
    let inner = blk.inner(area);
    frame.render_widget(blk, area);
    let height = usize::from(inner.height);
    let width = usize::from(inner.width);
    let prefix = format!("{}-", l.stack.name);
    let name_w = l
        .groups
        .iter()
        .map(|g| short_name(&g.function, &prefix).chars().count())
        .max()
        .unwrap_or(6)
        .clamp(4, 24);
    let head_w = 12 + 1 + name_w + 1;
    let text_w = width.saturating_sub(head_w + 2).max(1);
    let hit = theme.key.add_modifier(Modifier::REVERSED);
    // Rows from the list's window; with wrap on, each row may take several lines, so the
    // window starts early enough to keep the cursor's lines on screen.
    let window = l.list.visible(height);
    let mut start = window.start;
    if l.wrap && l.list.selected >= start {
        let h = |row: usize| l.event_at(row).map_or(1, |e| wrapped_height(e, text_w));
        let sel = l.list.selected;
        let mut used = h(sel);
        start = sel;
        while start > window.start && used + h(start - 1) <= height {
            start -= 1;
            used += h(start);
        }
    }
    let mut lines: Vec<Line> = Vec::with_capacity(height);
    let mut row = start;
    while lines.len() < height && row < l.len() {
        let Some(e) = l.event_at(row) else { break };
        let selected = row == l.list.selected;
        let base = if selected { theme.selected } else { theme.base };
        let ts = chrono::DateTime::from_timestamp_millis(e.timestamp_ms)
            .unwrap_or_default()
            .format("%H:%M:%S%.3f")
            .to_string();
        let name = truncate(&sanitize(short_name(&e.function, &prefix)), name_w);
        let fstyle = if selected {
            theme.selected
        } else {
            colour_of(l, theme, &e.function)
        };
        let text = display_text(e);
        let mut level = base;
        if !selected && is_error(e) {
            level = theme.error;
        } else if !selected && e.message.starts_with("REPORT ") {
            level = theme.dim;
        }
        let chunks: Vec<String> = if l.wrap {
            chunk(&text, text_w)
        } else {
            vec![truncate(&text, text_w)]
        };
        for (k, piece) in chunks.into_iter().enumerate() {
            if lines.len() >= height {
                break;
            }
            let mut spans = if k == 0 {
                vec![
                    Span::styled(
                        format!("{}{ts} ", if selected { "›" } else { " " }),
                        if selected { base } else { theme.dim },
                    ),
                    Span::styled(format!("{name:<name_w$} "), fstyle),
                ]
            } else {
                vec![Span::styled(" ".repeat(head_w + 1), base)]
            };
            spans.extend(highlighted(&piece, &l.search, level, hit));
            lines.push(Line::from(spans));
        }
        row += 1;
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn is_error(e: &LogEvent) -> bool {
    matches!(
        crate::domain::report::parse_line(&e.message),
        crate::domain::report::LambdaLine::Error { .. }
            | crate::domain::report::LambdaLine::Timeout { .. }
    )
}

fn wrapped_height(e: &LogEvent, width: usize) -> usize {
    display_text(e)
        .chars()
        .count()
        .div_ceil(width.max(1))
        .max(1)
}

fn chunk(text: &str, width: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    if chars.is_empty() {
        return vec![String::new()];
    }
    chars
        .chunks(width.max(1))
        .map(|c| c.iter().collect())
        .collect()
}

/// The JSON document in a log line: the whole message, or what follows the runtime's
/// `time<TAB>request<TAB>LEVEL<TAB>` prefix.
pub fn json_part(message: &str) -> Option<serde_json::Value> {
    let trimmed = message.trim();
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(trimmed)
        && (v.is_object() || v.is_array())
    {
        return Some(v);
    }
    let start = trimmed.find(['{', '['])?;
    serde_json::from_str::<serde_json::Value>(&trimmed[start..])
        .ok()
        .filter(|v| v.is_object() || v.is_array())
}

fn render_selected(frame: &mut Frame, area: Rect, l: &LogsState, theme: &Theme) {
    let Some(e) = l.selected() else {
        return;
    };
    let mut lines: Vec<Line> = vec![Line::styled(
        format!(
            "{} · {} · {}",
            chrono::DateTime::from_timestamp_millis(e.timestamp_ms)
                .unwrap_or_default()
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            sanitize(&e.log_group),
            sanitize(&e.log_stream)
        ),
        theme.dim,
    )];
    if let Some(r) = parse_report(&e.message) {
        lines.push(Line::styled(
            format!(
                "duration {:.2} ms · {}{}",
                r.duration_ms,
                r.billing_text(),
                r.cold_start_text()
                    .map(|c| format!(" · {c}"))
                    .unwrap_or_default()
            ),
            theme.accent,
        ));
    }
    let body = match json_part(&e.message) {
        Some(v) => serde_json::to_string_pretty(&v).unwrap_or_default(),
        None => e.message.clone(),
    };
    let body: String = body.chars().take(20_000).collect();
    for line in sanitize_multiline(&body).lines() {
        lines.push(Line::raw(line.replace('\t', "    ")));
    }
    let blk = block(" Event (enter closes) ".into(), theme, false);
    frame.render_widget(
        Paragraph::new(lines).block(blk).wrap(Wrap { trim: false }),
        area,
    );
}

fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

fn ms(x: Option<f64>) -> String {
    x.map_or_else(|| "-".into(), |v| format!("{v:.0}"))
}

fn render_insights(frame: &mut Frame, area: Rect, l: &LogsState, theme: &Theme) {
    let blk = block(" Insights ".into(), theme, false);
    let inner = blk.inner(area);
    frame.render_widget(blk, area);
    let [table_area, spark_area] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
    let prefix = format!("{}-", l.stack.name);
    // The figures are kept up to date at ingest: nothing here sorts or scans the buffer.
    let rows: Vec<Row> = l
        .insights
        .iter()
        .take(8)
        .map(|(name, f)| {
            let mem = f.peak_memory_share().map_or_else(|| "-".into(), pct);
            let errors = f.errors + f.timeouts;
            let err_style = if errors > 0 { theme.error } else { theme.base };
            Row::new(vec![
                Cell::from(Span::styled(
                    truncate(&sanitize(short_name(name, &prefix)), 24),
                    colour_of(l, theme, name),
                )),
                Cell::from(f.invocations.to_string()),
                Cell::from(format!("{} ({})", f.cold_starts, pct(f.cold_start_share()))),
                Cell::from(ms(f.p50_ms)),
                Cell::from(ms(f.p95_ms)),
                Cell::from(ms(f.max_ms)),
                Cell::from(format!(
                    "{mem} of {}",
                    f.memory_mb
                        .map_or_else(|| "-".into(), |m| format!("{m} MB"))
                )),
                Cell::from(Span::styled(
                    format!("{} err · {} t/o", f.errors, f.timeouts),
                    err_style,
                )),
            ])
        })
        .collect();
    let header = Row::new([
        "FUNCTION", "INVOKES", "COLD", "P50 ms", "P95 ms", "MAX ms", "PEAK MEM", "ERRORS",
    ])
    .style(theme.title);
    let table = Table::new(
        rows,
        [
            Constraint::Length(24),
            Constraint::Length(8),
            Constraint::Length(10),
            Constraint::Length(7),
            Constraint::Length(7),
            Constraint::Length(7),
            Constraint::Length(16),
            Constraint::Min(14),
        ],
    )
    .header(header);
    frame.render_widget(table, table_area);
    // Activity over the buffered time range, one bar per column.
    let label = "activity ";
    let [lab, bars] = Layout::horizontal([
        Constraint::Length(u16::try_from(label.len()).unwrap_or(9)),
        Constraint::Min(1),
    ])
    .areas(spark_area);
    frame.render_widget(Paragraph::new(Span::styled(label, theme.dim)), lab);
    if let (Some(from), Some(to)) = (l.buf.oldest_timestamp(), l.buf.newest_timestamp()) {
        let counts = l.buf.activity(from, to, usize::from(bars.width));
        frame.render_widget(Sparkline::default().data(&counts).style(theme.accent), bars);
    }
}

impl super::Draw for crate::app::logs::LogsState {
    fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
        render(frame, area, app, theme);
    }
}

#[cfg(test)]
mod tests;
