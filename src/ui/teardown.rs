//! The teardown screen: the plan, the typed confirmation, the countdown, the progress.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Theme;
use super::widgets::{block, message, spinner, truncate};
use crate::app::App;
use crate::app::cost::Tone;
use crate::app::teardown::{Phase, TeardownState};
use crate::domain::sanitize::sanitize;
use crate::domain::teardown::run::StackPlan;
use crate::domain::teardown::{Lifts, PlanAction};

/// Draws the teardown screen.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(t) = app.views.teardown() else {
        return;
    };
    let mut title = format!(" Teardown · {} stack(s) ", t.stacks.len());
    if !t.account.is_empty() {
        title.push_str(&format!("· account {} ", sanitize(&t.account)));
    }
    match &t.phase {
        Phase::Planning => {
            title.push_str(&format!("{} ", spinner(app.tick)));
            message(
                frame,
                area,
                block(title, theme, true),
                "Building the plan: resources, deletion policies, bucket contents…",
                theme.dim,
            );
        }
        Phase::Failed(e) => message(
            frame,
            area,
            block(title, theme, true),
            &format!("Could not build the plan:\n{e}\n\nesc to go back"),
            theme.error,
        ),
        Phase::Review | Phase::Confirm | Phase::Countdown(_) => {
            let [body, prompt] =
                Layout::vertical([Constraint::Min(3), Constraint::Length(3)]).areas(area);
            render_plan(frame, body, t, title, theme);
            render_prompt(frame, prompt, app, t, theme);
        }
        Phase::Running | Phase::Done => render_progress(frame, area, app, t, title, theme),
    }
}

/// The plan of `plans` as lines: a blocker summary, then per stack its verdict, blockers,
/// steps and refusals.
pub(super) fn plan_lines<'a>(
    plans: &[StackPlan],
    lifts: Lifts,
    savings: Option<&crate::app::cost::Savings>,
    theme: &Theme,
) -> Vec<Line<'a>> {
    let mut lines = Vec::new();
    let all: usize = plans.iter().map(|p| p.plan.blockers.len()).sum();
    if all > 0 {
        let standing: usize = plans.iter().map(|p| p.plan.blocked_by().count()).sum();
        let chosen = lifts.names();
        let flags = if chosen.is_empty() {
            "no flags chosen".to_string()
        } else {
            format!("chosen: {}", chosen.join(" "))
        };
        let (text, style) = if standing == 0 {
            (
                format!("✓ {all} blocker(s), every one lifted ({flags})"),
                theme.ok,
            )
        } else {
            (
                format!(
                    "⚠ {standing} of {all} blocker(s) stand: nothing will be deleted ({flags}; p: lift deletion protection, b: bypass GOVERNANCE retention)"
                ),
                theme.warn,
            )
        };
        lines.push(Line::styled(text, style));
        lines.push(Line::raw(""));
    }
    for (i, sp) in plans.iter().enumerate() {
        let p = &sp.plan;
        let verdict = if sp.assessment.abandoned {
            Span::styled(
                format!(
                    "  abandoned: {}",
                    sanitize(&sp.assessment.abandoned_reasons.join("; "))
                ),
                theme.warn,
            )
        } else if sp.assessment.protected {
            Span::styled(
                format!(
                    "  protected: {}",
                    sanitize(&sp.assessment.protection_reasons.join("; "))
                ),
                theme.ok,
            )
        } else {
            Span::styled(
                format!(
                    "  not abandoned: last activity {} days ago",
                    sp.assessment.idle_days
                ),
                theme.dim,
            )
        };
        lines.push(Line::from(vec![
            Span::styled(
                format!(
                    "{} ({} · {})",
                    sanitize(&p.stack_name),
                    sanitize(&sp.stack.status),
                    sanitize(&p.region)
                ),
                theme.title,
            ),
            verdict,
        ]));
        for (text, tone) in savings.map(|s| s.lines(i)).unwrap_or_default() {
            let style = match tone {
                Tone::Dim => theme.dim,
                Tone::Ok => theme.ok,
                Tone::Warn => theme.warn,
            };
            lines.push(Line::styled(sanitize(&text).into_owned(), style));
        }
        for b in &p.blockers {
            if b.lifted {
                lines.push(Line::styled(
                    format!("  ✓ lifted: {}", sanitize(&b.line())),
                    theme.ok,
                ));
            } else {
                lines.push(Line::styled(
                    format!("  ⚠ BLOCKED: {}", sanitize(&b.line())),
                    theme.warn,
                ));
            }
        }
        for st in &p.steps {
            let style = match st.action {
                PlanAction::Survives { .. } => theme.warn,
                PlanAction::EmptyThenDelete | PlanAction::DeleteOutsideStack => theme.accent,
                PlanAction::Delete => Style::default(),
            };
            let name = st
                .logical_id
                .as_deref()
                .or(st.physical_id.as_deref())
                .unwrap_or("-");
            let note = st
                .note
                .as_deref()
                .map(|n| format!(" ({})", sanitize(n)))
                .unwrap_or_default();
            lines.push(Line::from(vec![
                Span::raw(format!("  {:<32} ", truncate(&sanitize(name), 32))),
                Span::styled(
                    format!("{:<28} ", truncate(&sanitize(&st.resource_type), 28)),
                    theme.dim,
                ),
                Span::styled(format!("{}{note}", st.action.describe()), style),
            ]));
        }
        for r in &p.refusals {
            lines.push(Line::styled(
                format!("  ✗ REFUSED: {}", sanitize(&r.reason)),
                theme.error,
            ));
        }
        lines.push(Line::raw(""));
    }
    lines
}

fn render_plan(frame: &mut Frame, area: Rect, t: &TeardownState, title: String, theme: &Theme) {
    let height = usize::from(area.height.saturating_sub(2));
    let window = t.list.visible(height);
    let all = plan_lines(&t.plans, t.lifts, Some(&t.savings), theme);
    let visible: Vec<Line> = all
        .into_iter()
        .skip(window.start)
        .take(window.len().max(height))
        .collect();
    frame.render_widget(
        Paragraph::new(visible).block(block(title + "· plan ", theme, true)),
        area,
    );
}

fn render_prompt(frame: &mut Frame, area: Rect, app: &App, t: &TeardownState, theme: &Theme) {
    let want = sanitize(&t.expected_confirmation()).into_owned();
    let line = match t.phase {
        Phase::Review if app.header.read_only => Line::styled(
            "READ-ONLY: teardown is refused; nothing will be deleted · esc back",
            theme.error,
        ),
        Phase::Review if t.plans.iter().any(|p| p.plan.blocked_by().next().is_some()) => {
            Line::styled(
                "Blocked (above): nothing will be deleted · p lifts deletion protection, \
                 b bypasses GOVERNANCE retention (COMPLIANCE never) · esc back",
                theme.error,
            )
        }
        Phase::Review if !t.allowed() => Line::styled(
            "Refused by the guards above: nothing will be deleted · esc back",
            theme.error,
        ),
        Phase::Review => Line::from(vec![
            Span::styled("enter", theme.key),
            Span::raw(" to confirm the teardown · "),
            Span::styled("esc", theme.key),
            Span::raw(" back"),
        ]),
        Phase::Confirm => {
            let chosen = t.lifts.names();
            let what = match (t.plans.len(), chosen.is_empty()) {
                (1, true) => " (the stack name) to confirm".to_string(),
                (_, true) => " (the number of stacks) to confirm".to_string(),
                (1, false) => format!(" (the stack name) to confirm with {}", chosen.join(" ")),
                (_, false) => format!(
                    " (the number of stacks) to confirm with {}",
                    chosen.join(" ")
                ),
            };
            confirm_line(&want, &what, &t.typed, theme)
        }
        Phase::Countdown(left) => Line::styled(
            format!(
                "Deleting in {}… press any key to cancel",
                left.div_ceil(4).max(1)
            ),
            theme.warn,
        ),
        _ => Line::raw(""),
    };
    frame.render_widget(
        Paragraph::new(line).block(block(" Confirm ".into(), theme, true)),
        area,
    );
}

/// `Type WANT WHAT: typed▏`: the typed confirmation line.
pub(super) fn confirm_line<'a>(
    want: &str,
    what: &str,
    typed: &crate::app::widgets::TextInput,
    theme: &Theme,
) -> Line<'a> {
    let mut spans = vec![
        Span::raw("Type "),
        Span::styled(want.to_string(), theme.warn),
        Span::raw(what.to_string()),
        Span::raw(": "),
    ];
    spans.extend(super::widgets::input_spans(
        typed,
        theme.accent,
        theme.accent,
    ));
    Line::from(spans)
}

/// A progress bar of `width` cells.
pub(super) fn bar(deleted: u64, total: u64, width: usize) -> String {
    let total = total.max(1);
    let filled = ((deleted.min(total) as f64 / total as f64) * width as f64).round() as usize;
    format!(
        "[{}{}]",
        "█".repeat(filled),
        "░".repeat(width.saturating_sub(filled))
    )
}

fn render_progress(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    t: &TeardownState,
    mut title: String,
    theme: &Theme,
) {
    if t.phase == Phase::Running {
        title.push_str(&format!("· running {} · esc cancels ", spinner(app.tick)));
    } else {
        title.push_str("· finished · esc back to the stacks ");
    }
    let height = usize::from(area.height.saturating_sub(2));
    let per_stack = (height / t.plans.len().max(1)).max(3);
    let mut lines: Vec<Line> = Vec::new();
    for sp in &t.plans {
        lines.extend(stack_section(
            &sp.stack.name,
            t.progress.get(&sp.stack.id),
            per_stack,
            theme,
        ));
    }
    lines.truncate(height);
    frame.render_widget(Paragraph::new(lines).block(block(title, theme, true)), area);
}

/// One stack's teardown progress: its phase, bucket bars, the outcome's errors and the
/// latest stack events, in at most `per_stack` lines.
pub(super) fn stack_section<'a>(
    name: &str,
    prog: Option<&crate::app::teardown::StackProgress>,
    per_stack: usize,
    theme: &Theme,
) -> Vec<Line<'a>> {
    let phase = prog.map_or("waiting", |p| p.phase.as_str());
    let style = match phase {
        "deleted" => theme.ok,
        "failed" | "refused" | "cancelled" => theme.error,
        _ => theme.accent,
    };
    let mut section = vec![Line::from(vec![
        Span::styled(sanitize(name).into_owned(), theme.title),
        Span::raw("  "),
        Span::styled(sanitize(phase).into_owned(), style),
    ])];
    if let Some(p) = prog {
        for (bucket, (deleted, total)) in &p.buckets {
            section.push(Line::from(vec![
                Span::raw(format!("  {:<40} ", truncate(&sanitize(bucket), 40))),
                Span::styled(bar(*deleted, *total, 24), theme.accent),
                Span::raw(format!(" {deleted}/{total}")),
            ]));
        }
        if let Some(o) = &p.outcome {
            if let Some(e) = &o.error {
                section.push(Line::styled(format!("  {}", sanitize(e)), theme.error));
            }
            for r in &o.failed_resources {
                section.push(Line::styled(
                    format!(
                        "  ✗ {} {}: {}",
                        sanitize(&r.logical_id),
                        sanitize(&r.resource_type),
                        sanitize(r.reason.as_deref().unwrap_or("DELETE_FAILED"))
                    ),
                    theme.error,
                ));
            }
            if !o.failed_resources.is_empty() {
                section.push(Line::styled(
                    format!(
                        "  retry retaining them: protoctl teardown {} --retain-failed --yes",
                        sanitize(&o.stack_name)
                    ),
                    theme.warn,
                ));
            }
        }
        let room = per_stack.saturating_sub(section.len());
        for e in p.events.iter().take(room) {
            section.push(Line::from(vec![
                Span::styled(format!("  {} ", e.timestamp.format("%H:%M:%S")), theme.dim),
                Span::raw(format!("{:<32} ", truncate(&sanitize(&e.logical_id), 32))),
                Span::styled(sanitize(&e.status).into_owned(), theme.status(&e.status)),
                Span::styled(
                    e.reason
                        .as_deref()
                        .map(|r| format!(" {}", sanitize(r)))
                        .unwrap_or_default(),
                    theme.dim,
                ),
            ]));
        }
    }
    section.truncate(per_stack);
    section
}

/// The footer while the confirmation line or the countdown has the keyboard.
pub fn render_footer(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let text = match app.views.teardown().map(|t| &t.phase) {
        Some(Phase::Countdown(_)) => "any key cancels",
        _ => "enter confirm · esc back · backspace delete",
    };
    frame.render_widget(Paragraph::new(Line::styled(text, theme.dim)), area);
}

impl super::Draw for crate::app::teardown::TeardownState {
    fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
        render(frame, area, app, theme);
    }

    fn footer(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) -> bool {
        let focused = app.teardown_input_focused();
        if focused {
            render_footer(frame, area, app, theme);
        }
        focused
    }
}

#[cfg(test)]
pub(super) mod tests;
