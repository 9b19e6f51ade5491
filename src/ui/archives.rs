//! The shelf screen (the archives of the configured locations) and the restore screen
//! (the form, the run's progress, the counts and checksums check).

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::Theme;
use super::widgets::{block, gutter, input_spans, message, spinner, truncate};
use crate::app::App;
use crate::app::archives::{RestorePhase, RestoreState};
use crate::app::stacks::LoadState;
use crate::domain::archive::shelve::RestoreReport;
use crate::domain::sanitize::sanitize;
use crate::domain::text::human_size;

/// Draws the shelf screen.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(a) = app.views.archives() else {
        return;
    };
    let title = format!(" Shelf · {} ", sanitize(&a.places.join(", ")));
    if let LoadState::Failed(e) = a.load.state() {
        message(
            frame,
            area,
            block(title, theme, true),
            &format!("Could not list the archives:\n{e}\n\npress r to retry"),
            theme.error,
        );
        return;
    }
    if a.load.is_loading() && a.archives.is_empty() {
        message(
            frame,
            area,
            block(title, theme, true),
            &format!("{} Reading the archives' manifests…", spinner(app.tick)),
            theme.dim,
        );
        return;
    }
    if a.archives.is_empty() {
        message(
            frame,
            area,
            block(title, theme, true),
            "No archives here yet. S on a stack shelves it.",
            theme.dim,
        );
        return;
    }
    let h = usize::from(area.height.saturating_sub(3));
    let win = a.list.visible(h);
    let rows: Vec<Row> = win
        .filter_map(|i| a.archives.get(i).map(|x| (i, x)))
        .map(|(i, x)| {
            let sel = i == a.list.selected;
            let row = Row::new(vec![
                Cell::from(format!("{}{}", gutter(sel), sanitize(&x.stack))),
                Cell::from(x.archived_at.format("%Y-%m-%d %H:%M").to_string()),
                Cell::from(human_size(x.size_bytes)),
                Cell::from(x.tables.to_string()),
                Cell::from(x.items.to_string()),
                Cell::from(x.buckets.to_string()),
                Cell::from(x.objects.to_string()),
                Cell::from(Span::styled(sanitize(&x.location).into_owned(), theme.dim)),
            ]);
            if sel { row.style(theme.selected) } else { row }
        })
        .collect();
    let header = Row::new(vec![
        "  STACK", "ARCHIVED", "SIZE", "TABLES", "ITEMS", "BUCKETS", "OBJECTS", "LOCATION",
    ])
    .style(theme.title);
    frame.render_widget(
        Table::new(
            rows,
            [
                Constraint::Length(24),
                Constraint::Length(16),
                Constraint::Length(10),
                Constraint::Length(6),
                Constraint::Length(8),
                Constraint::Length(7),
                Constraint::Length(8),
                Constraint::Min(10),
            ],
        )
        .header(header)
        .block(block(
            format!("{title}({}) ", a.archives.len()),
            theme,
            true,
        )),
        area,
    );
}

/// Draws the restore screen.
pub fn render_restore(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(r) = app.views.archives().and_then(|a| a.restore.as_ref()) else {
        return;
    };
    let a = &r.archive;
    let mut title = format!(
        " Restore · {} · archived {} ",
        sanitize(&a.stack),
        a.archived_at.format("%Y-%m-%d %H:%M")
    );
    let mut lines = vec![
        Line::from(vec![
            Span::styled("From ", theme.title),
            Span::styled(sanitize(&a.location).into_owned(), theme.accent),
        ]),
        Line::raw(format!(
            "  {} table(s), {} items · {} bucket(s), {} objects · {} · account {} · {}",
            a.tables,
            a.items,
            a.buckets,
            a.objects,
            human_size(a.size_bytes),
            sanitize(&a.account),
            sanitize(&a.region)
        )),
        Line::raw(""),
    ];
    match &r.phase {
        RestorePhase::Form => {
            lines.extend(form_lines(r, theme));
        }
        RestorePhase::Running => {
            title.push_str(&format!("· running {} ", spinner(app.tick)));
            lines.push(Line::styled(
                format!("Restoring as {}", sanitize(r.name.as_str())),
                theme.title,
            ));
            lines.extend(progress_lines(r, theme));
        }
        RestorePhase::Done(report) => {
            title.push_str("· finished · esc back to the shelf ");
            lines.extend(report_lines(report, theme));
        }
        RestorePhase::Failed(e) => {
            title.push_str("· failed · esc back ");
            lines.push(Line::styled(sanitize(e).into_owned(), theme.error));
        }
    }
    let height = usize::from(area.height.saturating_sub(2));
    lines.truncate(height);
    frame.render_widget(Paragraph::new(lines).block(block(title, theme, true)), area);
}

fn form_lines<'a>(r: &RestoreState, theme: &Theme) -> Vec<Line<'a>> {
    let field = |label: String, input: &crate::app::widgets::TextInput, focused: bool| {
        let mut spans = vec![Span::styled(
            format!("{}{label:<24} ", gutter(focused)),
            if focused { theme.accent } else { theme.dim },
        )];
        if focused {
            spans.extend(input_spans(input, theme.accent, theme.accent));
        } else {
            spans.push(Span::raw(sanitize(input.as_str()).into_owned()));
        }
        Line::from(spans)
    };
    let mut lines = vec![field("new stack name".into(), &r.name, r.focus == 0)];
    if r.params.is_empty() {
        lines.push(Line::styled(
            "  no NoEcho parameters: every parameter comes from the archive",
            theme.dim,
        ));
    } else {
        lines.push(Line::styled(
            "  NoEcho parameters (their values were never readable: give them again):",
            theme.warn,
        ));
        for (i, (k, v)) in r.params.iter().enumerate() {
            // What is typed for a secret is shown as dots.
            let masked =
                crate::app::widgets::TextInput::new("•".repeat(v.as_str().chars().count()));
            lines.push(field(truncate(&sanitize(k), 24), &masked, r.focus == i + 1));
        }
    }
    lines.push(Line::raw(""));
    let hint = match r.missing() {
        Some(why) => Line::styled(format!("{why} · tab next field · esc back"), theme.warn),
        None => Line::from(vec![
            Span::styled("enter", theme.key),
            Span::raw(" creates the stack and loads its data · "),
            Span::styled("tab", theme.key),
            Span::raw(" next field · "),
            Span::styled("esc", theme.key),
            Span::raw(" back"),
        ]),
    };
    lines.push(hint);
    lines
}

fn progress_lines<'a>(r: &RestoreState, theme: &Theme) -> Vec<Line<'a>> {
    let p = &r.progress;
    let mut lines = Vec::new();
    if !p.phase.is_empty() {
        lines.push(Line::styled(
            format!("  {}", sanitize(&p.phase)),
            theme.accent,
        ));
    }
    if let Some((files, total)) = p.verified {
        lines.push(Line::styled(
            format!("    {files}/{total} archive files checked"),
            theme.dim,
        ));
    }
    for (t, n) in &p.tables {
        lines.push(Line::styled(
            format!(
                "    table  {:<28} {n} items loaded",
                truncate(&sanitize(t), 28)
            ),
            theme.dim,
        ));
    }
    for (b, (n, bytes)) in &p.buckets {
        lines.push(Line::styled(
            format!(
                "    bucket {:<28} {n} objects loaded, {}",
                truncate(&sanitize(b), 28),
                human_size(*bytes)
            ),
            theme.dim,
        ));
    }
    lines
}

/// The counts and checksums check of a finished restore.
pub fn report_lines<'a>(report: &RestoreReport, theme: &Theme) -> Vec<Line<'a>> {
    let (head, style) = if report.verified() {
        ("✓ every count and checksum matches the archive", theme.ok)
    } else {
        ("✗ the data differs from the archive (below)", theme.error)
    };
    let mut lines = vec![
        Line::styled(
            format!(
                "{}  {}{}",
                sanitize(&report.stack_name),
                sanitize(&report.status),
                if report.two_phase {
                    " (two phases)"
                } else {
                    ""
                }
            ),
            theme.title,
        ),
        Line::styled(head, style),
    ];
    let mark = |ok: bool| {
        if ok {
            ("ok", theme.ok)
        } else {
            ("DIFFERS", theme.error)
        }
    };
    for t in &report.tables {
        let (m, s) = mark(t.digest_matches && t.items == t.expected_items);
        lines.push(Line::from(vec![
            Span::raw(format!(
                "  table  {:<28} {}/{} items  ",
                truncate(&sanitize(&t.logical_id), 28),
                t.items,
                t.expected_items
            )),
            Span::styled(m, s),
        ]));
    }
    for b in &report.buckets {
        let (m, s) = mark(b.checksums_match && b.objects == b.expected_objects);
        lines.push(Line::from(vec![
            Span::raw(format!(
                "  bucket {:<28} {}/{} objects  ",
                truncate(&sanitize(&b.logical_id), 28),
                b.objects,
                b.expected_objects
            )),
            Span::styled(m, s),
        ]));
    }
    lines
}

/// The footer while the restore form has the keyboard.
pub fn render_footer(frame: &mut Frame, area: Rect, theme: &Theme) {
    frame.render_widget(
        Paragraph::new(Line::styled(
            "enter restore · tab/↓ next field · ↑ previous · esc back",
            theme.dim,
        )),
        area,
    );
}

impl super::Draw for crate::app::archives::ArchivesState {
    fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
        if app.screen() == crate::app::Screen::Restore {
            render_restore(frame, area, app, theme);
        } else {
            render(frame, area, app, theme);
        }
    }

    fn footer(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) -> bool {
        let focused = app.restore_input_focused() && app.notifications.is_empty();
        if focused {
            render_footer(frame, area, theme);
        }
        focused
    }
}
