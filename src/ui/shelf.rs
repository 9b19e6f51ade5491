//! The shelve screen: what the archive keeps and what cannot come back, the teardown plan,
//! the typed confirmation and countdown, then the run's three steps and their progress.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Theme;
use super::teardown::{confirm_line, plan_lines, stack_section};
use super::widgets::{block, message, spinner, truncate};
use crate::app::App;
use crate::app::shelf::{Planned, RunProgress, ShelveState, Step};
use crate::app::teardown::Phase;
use crate::domain::sanitize::sanitize;
use crate::domain::teardown::Lifts;
use crate::domain::text::human_size;

/// Draws the shelve screen.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(t) = app.views.shelve() else {
        return;
    };
    let mut title = format!(" Shelve · {} ", sanitize(&t.stack.name));
    if !t.account.is_empty() {
        title.push_str(&format!("· account {} ", sanitize(&t.account)));
    }
    match &t.phase {
        Phase::Planning => message(
            frame,
            area,
            block(format!("{title}{} ", spinner(app.tick)), theme, true),
            "Planning: resources, tables, buckets, what cannot come back…",
            theme.dim,
        ),
        Phase::Failed(e) => message(
            frame,
            area,
            block(title, theme, true),
            &format!("Could not plan the shelve:\n{e}\n\nesc to go back"),
            theme.error,
        ),
        Phase::Review | Phase::Confirm | Phase::Countdown(_) => {
            let [body, prompt] =
                Layout::vertical([Constraint::Min(3), Constraint::Length(3)]).areas(area);
            let height = usize::from(body.height.saturating_sub(2));
            let window = t.list.visible(height);
            let lines: Vec<Line> = t
                .planned
                .as_ref()
                .map(|p| plan_view(p, theme))
                .unwrap_or_default()
                .into_iter()
                .skip(window.start)
                .take(height)
                .collect();
            frame.render_widget(
                Paragraph::new(lines).block(block(title + "· plan ", theme, true)),
                body,
            );
            render_prompt(frame, prompt, app, t, theme);
        }
        Phase::Running | Phase::Done => render_run(frame, area, app, t, title, theme),
    }
}

/// The preview (kept, lost, where) followed by the teardown plan.
pub fn plan_view<'a>(p: &Planned, theme: &Theme) -> Vec<Line<'a>> {
    let v = &p.preview;
    let count = |c: Option<u64>, what: &str| {
        c.map_or_else(|| format!("? {what}"), |n| format!("{n} {what}"))
    };
    let mut lines = vec![Line::from(vec![
        Span::styled("Archive to ", theme.title),
        Span::styled(sanitize(&v.location).into_owned(), theme.accent),
    ])];
    for t in &v.tables {
        lines.push(Line::raw(format!(
            "  keeps table  {:<28} {}",
            truncate(&sanitize(&t.logical_id), 28),
            count(t.count, "items (approximate)")
        )));
    }
    for b in &v.buckets {
        let size = p
            .plan
            .plan
            .buckets
            .iter()
            .find(|x| x.bucket == b.name)
            .map(|x| format!(", {}", human_size(x.bytes)))
            .unwrap_or_default();
        lines.push(Line::raw(format!(
            "  keeps bucket {:<28} {}{size}",
            truncate(&sanitize(&b.logical_id), 28),
            count(b.count, "objects")
        )));
    }
    if v.log_groups > 0 {
        lines.push(Line::raw(format!(
            "  keeps the events of {} log group(s)",
            v.log_groups
        )));
    }
    if v.not_kept.is_empty() {
        lines.push(Line::styled(
            "  everything the stack holds comes back on restore",
            theme.ok,
        ));
    } else {
        lines.push(Line::styled("  cannot come back:", theme.warn));
        for n in &v.not_kept {
            lines.push(Line::styled(
                format!("    - {}", sanitize(&n.line())),
                theme.warn,
            ));
        }
    }
    lines.push(Line::raw(""));
    lines.extend(plan_lines(
        std::slice::from_ref(&p.plan),
        Lifts::default(),
        None,
        theme,
    ));
    lines
}

fn render_prompt(frame: &mut Frame, area: Rect, app: &App, t: &ShelveState, theme: &Theme) {
    let line = match t.phase {
        Phase::Review if app.header.read_only => Line::styled(
            "READ-ONLY: shelve is refused; nothing will be archived or deleted · esc back",
            theme.error,
        ),
        Phase::Review if !t.allowed() => Line::styled(
            "Refused by the guards above: nothing will be archived or deleted · esc back",
            theme.error,
        ),
        Phase::Review => Line::from(vec![
            Span::styled("enter", theme.key),
            Span::raw(" to confirm: archive, verify, then tear down · "),
            Span::styled("esc", theme.key),
            Span::raw(" back"),
        ]),
        Phase::Confirm => confirm_line(
            &sanitize(&t.stack.name),
            " (the stack name) to shelve it",
            &t.typed,
            theme,
        ),
        Phase::Countdown(left) => Line::styled(
            format!(
                "Shelving in {}… press any key to cancel",
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

/// The step lines: done, running or waiting, with what each has reported.
pub fn step_lines<'a>(
    step: Option<Step>,
    finished: bool,
    failed: bool,
    p: &RunProgress,
    theme: &Theme,
) -> Vec<Line<'a>> {
    let mut lines = Vec::new();
    for s in Step::ALL {
        let (mark, style) = match step {
            Some(cur) if s < cur => ("✓", theme.ok),
            Some(cur) if s == cur && finished && !failed => ("✓", theme.ok),
            Some(cur) if s == cur && failed => ("✗", theme.error),
            Some(cur) if s == cur => ("…", theme.accent),
            _ => ("·", theme.dim),
        };
        lines.push(Line::styled(format!("{mark} {}", s.label()), style));
        if Some(s) == step || step.is_some_and(|c| s < c) {
            lines.extend(detail_lines(s, p, theme));
        }
    }
    lines
}

fn detail_lines<'a>(s: Step, p: &RunProgress, theme: &Theme) -> Vec<Line<'a>> {
    match s {
        Step::Writing => {
            let mut v: Vec<Line> = p
                .tables
                .iter()
                .map(|(t, n)| {
                    Line::styled(
                        format!("    table  {:<28} {n} items", truncate(&sanitize(t), 28)),
                        theme.dim,
                    )
                })
                .collect();
            v.extend(p.buckets.iter().map(|(b, (n, bytes))| {
                Line::styled(
                    format!(
                        "    bucket {:<28} {n} objects, {}",
                        truncate(&sanitize(b), 28),
                        human_size(*bytes)
                    ),
                    theme.dim,
                )
            }));
            v
        }
        Step::Verifying => p
            .verified
            .map(|(files, total)| {
                Line::styled(format!("    {files}/{total} files checked"), theme.dim)
            })
            .into_iter()
            .collect(),
        Step::TearingDown => Vec::new(),
    }
}

fn render_run(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    t: &ShelveState,
    mut title: String,
    theme: &Theme,
) {
    let failed = matches!(&t.result, Some(Err(_)))
        || matches!(&t.result, Some(Ok(s)) if s.outcome.result != crate::domain::teardown::run::OutcomeKind::Deleted);
    if t.phase == Phase::Running {
        title.push_str(&format!(
            "· running {} · esc cancels between steps ",
            spinner(app.tick)
        ));
    } else {
        title.push_str("· finished · esc back to the stacks ");
    }
    let height = usize::from(area.height.saturating_sub(2));
    let mut lines = step_lines(t.step, t.phase == Phase::Done, failed, &t.progress, theme);
    if t.phase == Phase::Running && !t.progress.phase.is_empty() {
        lines.push(Line::styled(
            format!("  {}", sanitize(&t.progress.phase)),
            theme.accent,
        ));
    }
    match &t.result {
        Some(Ok(s)) => {
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                format!(
                    "Archived {} items and {} objects ({}) to",
                    s.manifest.items(),
                    s.manifest.objects(),
                    human_size(s.manifest.size_bytes())
                ),
                theme.ok,
            ));
            lines.push(Line::styled(
                format!("  {}", sanitize(&s.location)),
                theme.ok,
            ));
        }
        Some(Err(e)) => {
            lines.push(Line::raw(""));
            lines.push(Line::styled(sanitize(e).into_owned(), theme.error));
        }
        None => {}
    }
    if t.step == Some(Step::TearingDown) {
        lines.push(Line::raw(""));
        let room = height.saturating_sub(lines.len()).max(3);
        lines.extend(stack_section(
            &t.stack.name,
            Some(&t.progress.teardown),
            room,
            theme,
        ));
    }
    lines.truncate(height);
    frame.render_widget(Paragraph::new(lines).block(block(title, theme, true)), area);
}

/// The footer while the confirmation line or the countdown has the keyboard.
pub fn render_footer(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let text = match app.views.shelve().map(|t| &t.phase) {
        Some(Phase::Countdown(_)) => "any key cancels",
        _ => "enter confirm · esc back · backspace delete",
    };
    frame.render_widget(Paragraph::new(Line::styled(text, theme.dim)), area);
}

impl super::Draw for crate::app::shelf::ShelveState {
    fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
        render(frame, area, app, theme);
    }

    fn footer(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) -> bool {
        let focused = app.shelve_input_focused();
        if focused {
            render_footer(frame, area, app, theme);
        }
        focused
    }
}

#[cfg(test)]
mod tests;
