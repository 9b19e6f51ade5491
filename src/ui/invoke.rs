//! The invoke screen: sign-in and request form on the left; the response (status,
//! headers, pretty body, latency, log tail + REPORT) or the fan-out view on the right.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Gauge, Paragraph, Wrap};

use super::Theme;
use super::widgets::{block, spinner, truncate};
use crate::app::App;
use crate::app::invoke::{FanOut, Field, InvokeState};
use crate::app::widgets::TextInput;
use crate::domain::invoke::{HISTOGRAM_BOUNDS, Summary, pretty_body};
use crate::domain::invoke::{Outcome, Via};
use crate::domain::sanitize::sanitize;

/// Lines of a pretty body shown at most (the rest is summarised).
const MAX_BODY_LINES: usize = 400;

/// Draws the invoke screen of the stack opened from the detail.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(st) = app.views.invoke() else {
        return;
    };
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(area);
    let form_h = if st.tokens.is_some() { 10 } else { 6 };
    let [form, payload] =
        Layout::vertical([Constraint::Length(form_h), Constraint::Min(4)]).areas(left);
    render_form(frame, form, app, st, theme);
    render_payload(frame, payload, st, theme);
    if let Some(f) = &st.fanout {
        render_fanout(frame, right, f, app.tick, theme);
    } else {
        render_response(frame, right, app, st, theme);
    }
}

fn field_line<'a>(
    st: &InvokeState,
    field: Field,
    label: &'a str,
    value: String,
    theme: &Theme,
) -> Line<'a> {
    let focused = st.focus == field;
    let mut spans = vec![
        Span::styled(if focused { "› " } else { "  " }, theme.accent),
        Span::styled(format!("{label:<14}"), theme.dim),
        Span::styled(value, if focused { theme.selected } else { theme.base }),
    ];
    if focused {
        spans.push(Span::styled("█", theme.accent));
    }
    Line::from(spans)
}

/// A text field: its value truncated to `w`, the cursor where it is when focused.
fn input_line<'a>(
    st: &InvokeState,
    field: Field,
    label: &'a str,
    input: &TextInput,
    w: usize,
    theme: &Theme,
) -> Line<'a> {
    if st.focus != field {
        return field_line(st, field, label, truncate(&sanitize(input), w), theme);
    }
    let (before, after) = input.around_cursor();
    let before = truncate(&sanitize(before), w);
    let mut line = field_line(st, field, label, before.clone(), theme);
    if !after.is_empty() {
        let left = w.saturating_sub(before.chars().count() + 1);
        line.push_span(Span::styled(
            truncate(&sanitize(after), left),
            theme.selected,
        ));
    }
    line
}

fn render_form(frame: &mut Frame, area: Rect, app: &App, st: &InvokeState, theme: &Theme) {
    let w = usize::from(area.width.saturating_sub(20));
    let clean = |s: &str| truncate(&sanitize(s), w);
    let mut lines = Vec::new();
    let pool = match &st.pool {
        Ok((p, _)) => clean(p),
        Err(_) => "(none)".into(),
    };
    if st.tokens.is_none() {
        lines.push(Line::from(vec![
            Span::styled("  pool          ", theme.dim),
            Span::raw(pool),
        ]));
        lines.push(input_line(st, Field::User, "user", &st.user, w, theme));
        let mask = "•".repeat(st.password.chars().count().min(w));
        let label = if st.new_password_session.is_some() {
            "new password"
        } else {
            "password"
        };
        lines.push(field_line(st, Field::Password, label, mask, theme));
        let status = if st.signing_in {
            Line::styled(format!("  {} signing in…", spinner(app.tick)), theme.dim)
        } else {
            Line::styled("  enter: sign in · the password is never shown", theme.dim)
        };
        lines.push(status);
    } else {
        let until = st
            .tokens
            .as_ref()
            .map(|t| t.expires_at.format("%H:%M UTC").to_string())
            .unwrap_or_default();
        lines.push(Line::from(vec![
            Span::styled("  signed in     ", theme.dim),
            Span::styled(clean(&st.user), theme.ok),
            Span::styled(format!("  until {until}"), theme.dim),
        ]));
        let func = st.function_name().map_or("(no function)".into(), &clean);
        lines.push(field_line(
            st,
            Field::Function,
            "function",
            format!("‹ {func} ›"),
            theme,
        ));
        let via = match st.via {
            Via::Lambda => "‹ lambda (direct, proxy event) ›".to_string(),
            Via::Api => format!(
                "‹ api {} ›",
                st.api_url
                    .as_deref()
                    .map_or("(no ServiceEndpoint)".into(), &clean)
            ),
        };
        lines.push(field_line(st, Field::Via, "via", via, theme));
        lines.push(input_line(
            st,
            Field::Method,
            "method",
            &st.method,
            w,
            theme,
        ));
        lines.push(input_line(st, Field::Path, "path", &st.path, w, theme));
        let saved = if st.saved.is_empty() {
            String::new()
        } else {
            format!("  ({} saved: ←/→)", st.saved.len())
        };
        lines.push(field_line(
            st,
            Field::Name,
            "payload name",
            format!("{}{saved}", clean(&st.name)),
            theme,
        ));
        lines.push(input_line(
            st,
            Field::Count,
            "fan-out N",
            &st.count,
            w,
            theme,
        ));
        lines.push(input_line(
            st,
            Field::Concurrency,
            "concurrency",
            &st.concurrency,
            w,
            theme,
        ));
    }
    let title = format!(" Invoke · {} ", sanitize(&st.stack.name));
    frame.render_widget(Paragraph::new(lines).block(block(title, theme, true)), area);
}

fn render_payload(frame: &mut Frame, area: Rect, st: &InvokeState, theme: &Theme) {
    let h = usize::from(area.height.saturating_sub(3));
    let w = usize::from(area.width.saturating_sub(2));
    // The lines up to the cursor's, the cursor's (with the cursor when focused), the rest.
    let (before, after) = st.payload.around_cursor();
    let mut head: Vec<&str> = before.split('\n').collect();
    let mut tail: Vec<&str> = after.split('\n').collect();
    let (cur_left, cur_right) = (head.pop().unwrap_or(""), tail.remove(0));
    let at = head.len();
    let mut lines: Vec<Line> = head
        .iter()
        .map(|l| Line::raw(truncate(&sanitize(l), w)))
        .collect();
    let left = truncate(&sanitize(cur_left), w);
    let mut cursor_line = Line::raw(left.clone());
    if st.focus == Field::Payload {
        cursor_line.push_span(Span::styled("█", theme.accent));
    }
    if !cur_right.is_empty() {
        let room = w.saturating_sub(left.chars().count() + 1);
        cursor_line.push_span(Span::raw(truncate(&sanitize(cur_right), room)));
    }
    lines.push(cursor_line);
    lines.extend(tail.iter().map(|l| Line::raw(truncate(&sanitize(l), w))));
    let start = lines.len().saturating_sub(h.max(1)).min(at);
    lines.drain(..start);
    if st.payload.is_empty() && st.focus != Field::Payload {
        lines = vec![Line::styled("(empty: {} for a direct call)", theme.dim)];
    }
    let status = match &st.payload_error {
        Some(e) => Line::styled(truncate(&sanitize(e), w), theme.error),
        None => Line::styled("valid JSON", theme.ok),
    };
    let [text, foot] =
        Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner(area));
    frame.render_widget(
        block(" Payload (JSON) ".into(), theme, st.focus == Field::Payload),
        area,
    );
    frame.render_widget(Paragraph::new(lines), text);
    frame.render_widget(Paragraph::new(status), foot);
}

fn inner(area: Rect) -> Rect {
    Rect {
        x: area.x + 1,
        y: area.y + 1,
        width: area.width.saturating_sub(2),
        height: area.height.saturating_sub(2),
    }
}

fn render_response(frame: &mut Frame, area: Rect, app: &App, st: &InvokeState, theme: &Theme) {
    let blk = block(" Response ".into(), theme, false);
    let w = usize::from(area.width.saturating_sub(2));
    let mut lines: Vec<Line> = Vec::new();
    if let Some(e) = &st.error {
        lines.push(Line::styled(sanitize(e).into_owned(), theme.error));
        lines.push(Line::raw(""));
    }
    if st.busy {
        lines.push(Line::styled(
            format!("{} calling…", spinner(app.tick)),
            theme.dim,
        ));
    } else if let Some(o) = &st.response {
        response_lines(o, w, theme, &mut lines);
    } else if st.tokens.is_some() {
        lines.push(Line::styled(
            "enter or ctrl-r: call once · ctrl-f: fan out N at concurrency C · pgup/pgdn scroll",
            theme.dim,
        ));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .block(blk)
            .wrap(Wrap { trim: false })
            .scroll((st.scroll.top_u16(), 0)),
        area,
    );
}

fn response_lines(o: &Outcome, w: usize, theme: &Theme, lines: &mut Vec<Line<'static>>) {
    let status_style = if o.is_error() { theme.error } else { theme.ok };
    let mut head = vec![
        Span::styled(format!("status {}", o.status), status_style),
        Span::styled(format!("  {:.1} ms round trip", o.latency_ms), theme.dim),
    ];
    if let Some(fe) = &o.function_error {
        head.push(Span::styled(
            format!("  FUNCTION ERROR: {}", sanitize(fe)),
            theme.error,
        ));
    }
    lines.push(Line::from(head));
    if let Some(r) = &o.report {
        let mut s = format!("REPORT {:.1} ms · {}", r.duration_ms, r.billing_text());
        if let Some(cold) = r.cold_start_text() {
            s.push_str(&format!(" · {cold}"));
        }
        lines.push(Line::styled(s, theme.accent));
    }
    for (k, v) in o.headers.iter().take(20) {
        lines.push(Line::from(vec![
            Span::styled(format!("{}: ", sanitize(k)), theme.dim),
            Span::raw(truncate(&sanitize(v), w)),
        ]));
    }
    lines.push(Line::raw(""));
    let body = pretty_body(&o.body);
    let total = body.lines().count();
    for l in body.lines().take(MAX_BODY_LINES) {
        lines.push(Line::raw(sanitize(l).into_owned()));
    }
    if total > MAX_BODY_LINES {
        lines.push(Line::styled(
            format!("… {} more lines", total - MAX_BODY_LINES),
            theme.dim,
        ));
    }
    if let Some(tail) = &o.log_tail {
        lines.push(Line::raw(""));
        lines.push(Line::styled("── log tail", theme.title));
        for l in tail
            .lines()
            .rev()
            .take(40)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
        {
            lines.push(Line::styled(
                sanitize(&l.replace('\t', "  ")).into_owned(),
                theme.dim,
            ));
        }
    }
}

fn render_fanout(frame: &mut Frame, area: Rect, f: &FanOut, tick: u64, theme: &Theme) {
    let s: Summary = f.summary();
    let title = if f.done {
        " Fan-out · done ".to_string()
    } else {
        format!(" Fan-out {} · esc cancels ", spinner(tick))
    };
    let blk = block(title, theme, true);
    let inner_area = blk.inner(area);
    frame.render_widget(blk, area);
    let [gauge, stats, hist] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(5),
        Constraint::Min(1),
    ])
    .areas(inner_area);
    let ratio = if f.total == 0 {
        0.0
    } else {
        (s.count as f64 / f.total as f64).clamp(0.0, 1.0)
    };
    frame.render_widget(
        Gauge::default()
            .gauge_style(theme.accent)
            .ratio(ratio)
            .label(format!(
                "{}/{} at concurrency {}",
                s.count, f.total, f.concurrency
            )),
        gauge,
    );
    let l = s.latency_ms;
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!("ok {}", s.ok), theme.ok),
            Span::raw("  "),
            Span::styled(
                format!("errors {}", s.errors),
                if s.errors > 0 { theme.error } else { theme.dim },
            ),
            Span::raw("  "),
            Span::styled(
                format!("throttled {}", s.throttled),
                if s.throttled > 0 {
                    theme.warn
                } else {
                    theme.dim
                },
            ),
        ]),
        Line::raw(format!(
            "cold starts {}  distinct responses {}",
            s.cold_starts, s.distinct_responses
        )),
        Line::raw(format!(
            "latency ms  p50 {:.1}  p90 {:.1}  p99 {:.1}  max {:.1}",
            l.p50, l.p90, l.p99, l.max
        )),
    ];
    if f.done && s.cancelled > 0 {
        lines.push(Line::styled(
            format!("cancelled: {} calls not made", s.cancelled),
            theme.warn,
        ));
    }
    frame.render_widget(Paragraph::new(lines), stats);

    let counts = Summary::histogram(&f.samples);
    let max = counts.iter().copied().max().unwrap_or(0).max(1);
    let bar_w = usize::from(hist.width.saturating_sub(16));
    let mut rows = vec![Line::styled("latency histogram", theme.title)];
    let mut lower = 0.0;
    for (bound, n) in HISTOGRAM_BOUNDS.iter().zip(counts) {
        let label = if bound.is_infinite() || *bound >= f64::MAX {
            format!(">{lower:.0} ms")
        } else {
            format!("≤{bound:.0} ms")
        };
        let len = n * bar_w / max;
        rows.push(Line::from(vec![
            Span::styled(format!("{label:>8} "), theme.dim),
            Span::styled("█".repeat(len), theme.accent),
            Span::raw(format!(" {n}")),
        ]));
        lower = *bound;
    }
    frame.render_widget(Paragraph::new(rows), hist);
}

impl super::Draw for crate::app::invoke::InvokeState {
    fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
        render(frame, area, app, theme);
    }
}

#[cfg(test)]
mod tests;
