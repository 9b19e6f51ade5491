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
            .scroll((st.scroll, 0)),
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

#[cfg(test)]
mod tests {
    use crate::app::Action;
    use crate::app::Effect;
    use crate::app::invoke::{
        Field, InvokeEffect, InvokeMsg, InvokeState, PayloadStore, SignInResult,
    };
    use crate::app::keymap::Command;
    use crate::domain::invoke::{Outcome, Sample, body_hash};
    use crate::domain::tokens::Tokens;
    use crate::ui::tests::{app, assert_clean, demo_stack, draw_sized, now, ready};
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn jwt(claims: &str) -> String {
        use base64::Engine as _;
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.sig",
            e.encode(r#"{"alg":"RS256"}"#),
            e.encode(claims)
        )
    }

    fn key(c: KeyCode) -> Action {
        Action::Input(KeyEvent::new(c, KeyModifiers::NONE))
    }

    /// Runs the disk effects of the invoke screen and feeds their results back.
    fn disk(a: &mut crate::app::App, effects: Vec<Effect>) {
        for fx in effects {
            if let Effect::Invoke(_, fx) = fx
                && let Some(msg) = crate::tui::invoke::disk(*fx)
            {
                let more = a.update(Action::Invoke(msg));
                disk(a, more);
            }
        }
    }

    fn typed(a: &mut crate::app::App, s: &str) {
        for c in s.chars() {
            a.update(key(KeyCode::Char(c)));
        }
    }

    /// An app on the invoke screen of orders-dev, the cached sign-in answered `signed_in`.
    fn screen(signed_in: bool) -> crate::app::App {
        let mut a = app();
        ready(&mut a);
        let mut stack = demo_stack("orders-dev", "UPDATE_COMPLETE", 12, &[]);
        stack
            .outputs
            .insert("UserPoolClientId".into(), "client-demo".into());
        let dir = std::env::temp_dir().join(format!("protoctl-ui-invoke-{}", std::process::id()));
        let mut st = InvokeState::new(
            stack,
            vec!["orders-dev-create".into(), "orders-dev-list".into()],
            Some(PayloadStore::at(dir)),
            &a.settings.invoke,
        );
        st.user = "demo@example.com".into();
        let fx = a.open_invoke_with(st);
        let Some(Effect::Invoke(_, fx_box)) = fx.first() else {
            panic!("{fx:?}")
        };
        let InvokeEffect::Resume { request_id, .. } = fx_box.as_ref() else {
            panic!("{fx:?}")
        };
        let result = if signed_in {
            SignInResult::Tokens(Tokens {
                id_token: jwt(r#"{"sub":"u-1","cognito:username":"demo@example.com"}"#),
                access_token: jwt(r#"{"username":"demo@example.com"}"#),
                refresh_token: None,
                expires_at: now() + chrono::Duration::minutes(60),
            })
        } else {
            SignInResult::None
        };
        a.update(crate::app::invoke::signed_in(*request_id, Ok(result)));
        a
    }

    #[test]
    fn sign_in_form_hides_the_password() {
        let mut a = screen(false);
        typed(&mut a, "Demo-Passw0rd!");
        let t = draw_sized(&a, 120, 24);
        let text = format!("{}", t.backend());
        assert!(!text.contains("Demo-Passw0rd!"), "password shown");
        insta::assert_snapshot!("invoke__sign_in", t.backend());
        let fx = a.update(key(KeyCode::Enter));
        let Some(Effect::Invoke(_, fx_box)) = fx.first() else {
            panic!("{fx:?}")
        };
        let InvokeEffect::SignIn { password, .. } = fx_box.as_ref() else {
            panic!("{fx:?}")
        };
        assert!(!format!("{fx:?}").contains("Demo-Passw0rd!"), "Debug leaks");
        assert_eq!(password.0, "Demo-Passw0rd!");
        assert!(a.views.invoke().unwrap().password.is_empty(), "cleared");
    }

    #[test]
    fn payload_is_validated_as_you_type() {
        let mut a = screen(true);
        let st = a.views.invoke_mut().unwrap();
        st.focus = Field::Payload;
        typed(&mut a, "{\"title\": ");
        assert!(a.views.invoke().unwrap().payload_error.is_some());
        // Calling with an invalid payload is refused inline.
        let fx = a.update(Action::Command(Command::InvokeCall));
        assert!(fx.is_empty());
        insta::assert_snapshot!("invoke__invalid_payload", draw_sized(&a, 120, 24).backend());
        typed(&mut a, "\"hello\"}");
        assert!(a.views.invoke().unwrap().payload_error.is_none());
    }

    #[test]
    fn response_view() {
        let mut a = screen(true);
        a.views.invoke_mut().unwrap().focus = Field::Payload;
        typed(&mut a, "{\"title\":\"hello\"}");
        let fx = a.update(Action::Command(Command::InvokeCall));
        let Some(Effect::Invoke(_, fx_box)) = fx.first() else {
            panic!("{fx:?}")
        };
        let InvokeEffect::Call { request_id, .. } = fx_box.as_ref() else {
            panic!("{fx:?}")
        };
        let tail = "START RequestId: r-1 Version: $LATEST\n2026-11-27T12:00:00.000Z\tr-1\tINFO\tcreated item 42\nEND RequestId: r-1\nREPORT RequestId: r-1\tDuration: 41.2 ms\tBilled Duration: 42 ms\tMemory Size: 1024 MB\tMax Memory Used: 88 MB\tInit Duration: 180.5 ms\t\n";
        a.update(Action::Invoke(InvokeMsg::Called {
            request_id: *request_id,
            result: Box::new(Ok(Outcome {
                status: 200,
                function_error: None,
                headers: Vec::new(),
                body: br#"{"statusCode":201,"body":"{\"id\":42}","evil":"\u001b[2J"}"#.to_vec(),
                log_tail: Some(tail.into()),
                report: crate::domain::report::report_of(tail),
                latency_ms: 63.4,
            })),
        }));
        let t = draw_sized(&a, 120, 28);
        assert_clean(&t);
        insta::assert_snapshot!("invoke__response", t.backend());
    }

    #[test]
    fn fan_out_summary_and_cancel() {
        let mut a = screen(true);
        let fx = a.update(Action::Command(Command::InvokeFanOut));
        let Some(Effect::Invoke(_, fx_box)) = fx.first() else {
            panic!("{fx:?}")
        };
        let InvokeEffect::FanOut {
            request_id,
            count,
            concurrency,
            cancel,
            ..
        } = fx_box.as_ref()
        else {
            panic!("{fx:?}")
        };
        assert_eq!((*count, *concurrency), (100, 10));
        for i in 0..60u32 {
            let sample = Sample {
                latency_ms: f64::from(20 + i * 7),
                error: i % 20 == 0,
                throttled: u32::from(i % 30 == 0),
                cold_start: i < 3,
                body_hash: Some(body_hash(if i % 2 == 0 { b"a" } else { b"b" })),
            };
            a.update(Action::Invoke(InvokeMsg::Sample {
                request_id: *request_id,
                sample,
            }));
        }
        // A stale sample is dropped.
        a.update(Action::Invoke(InvokeMsg::Sample {
            request_id: 9999,
            sample: Sample {
                latency_ms: 1.0,
                error: true,
                throttled: 0,
                cold_start: false,
                body_hash: None,
            },
        }));
        insta::assert_snapshot!("invoke__fan_out_running", draw_sized(&a, 120, 24).backend());
        a.update(Action::Command(Command::Back));
        assert!(cancel.is_cancelled(), "esc cancels the fan-out");
        assert!(a.views.invoke().is_some(), "first esc only cancels");
        a.update(Action::Invoke(InvokeMsg::FanOutDone {
            request_id: *request_id,
        }));
        insta::assert_snapshot!("invoke__fan_out_summary", draw_sized(&a, 120, 24).backend());
        a.update(Action::Command(Command::Back));
        assert!(a.views.invoke().is_none(), "second esc closes");
    }

    #[test]
    fn named_payloads_are_saved_per_stack_and_function() {
        let mut a = screen(true);
        let dir =
            std::env::temp_dir().join(format!("protoctl-ui-invoke-named-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let st = a.views.invoke_mut().unwrap();
        st.store = Some(PayloadStore::at(dir.clone()));
        st.saved.clear();
        st.focus = Field::Payload;
        typed(&mut a, "{\"a\":1}");
        let fx = a.update(Action::Command(Command::InvokeSavePayload));
        disk(&mut a, fx);
        let st = a.views.invoke_mut().unwrap();
        assert_eq!(
            st.saved.get("default").map(String::as_str),
            Some("{\"a\":1}")
        );
        st.payload.clear();
        st.focus = Field::Name;
        a.update(key(KeyCode::Right));
        assert_eq!(a.views.invoke().unwrap().payload, "{\"a\":1}");
        // Another function has its own (empty) set.
        let st = a.views.invoke_mut().unwrap();
        st.focus = Field::Function;
        let fx = a.update(key(KeyCode::Right));
        disk(&mut a, fx);
        assert!(a.views.invoke().unwrap().saved.is_empty());
        let back = PayloadStore::at(dir.clone()).load("orders-dev", "orders-dev-create");
        assert_eq!(back.len(), 1);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn read_only_refuses_the_screen() {
        let mut a = app();
        a.header.read_only = true;
        ready(&mut a);
        let stack = demo_stack("orders-dev", "UPDATE_COMPLETE", 12, &[]);
        a.views.open(crate::app::DetailState::new(stack));
        let fx = a.update(Action::Command(Command::Invoke));
        assert!(fx.is_empty());
        assert!(a.views.invoke().is_none());
        assert_eq!(a.screen(), crate::app::Screen::Detail);
        let n = a.notifications.back().unwrap();
        assert!(n.text.contains("--read-only"), "{}", n.text);
        a.header.read_only = false;
        a.update(Action::Command(Command::Invoke));
        assert_eq!(a.screen(), crate::app::Screen::Invoke);
    }
}
