//! The S3 screens: the stack's buckets, the prefix browser, an object with its preview,
//! versions; a download progress bar and the prompt line. Only visible rows are built.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::Theme;
use super::widgets::{block, gutter, message, spinner, truncate};
use crate::app::s3::preview::Tok;
use crate::app::s3::{Browser, Entry, ObjectView, S3State, VersionsView};
use crate::app::stacks::LoadState;
use crate::app::{App, Screen};
use crate::domain::sanitize::sanitize;
use crate::domain::text::human_size;

/// Draws the S3 screen on top.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(s) = app.views.s3() else {
        return;
    };
    let (main, bar) = if s.download.is_some() {
        let [m, b] = Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(area);
        (m, Some(b))
    } else {
        (area, None)
    };
    match app.screen() {
        Screen::S3Buckets => render_buckets(frame, main, app, s, theme),
        Screen::S3Browser => {
            if let Some(b) = s.browser.as_ref() {
                render_browser(frame, main, app, b, theme);
            }
        }
        Screen::S3Object => {
            if let Some(o) = s.object.as_ref() {
                render_object(frame, main, app, o, theme);
            }
        }
        Screen::S3Versions => {
            if let Some(v) = s.versions.as_ref() {
                render_versions(frame, main, app, v, theme);
            }
        }
        _ => {}
    }
    if let Some(bar) = bar {
        render_download(frame, bar, s, theme);
    }
}

/// Draws the S3 prompt in the footer when one is focused; false otherwise.
pub fn render_input(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) -> bool {
    if !app.s3_input_focused() {
        return false;
    }
    let Some(input) = app.views.s3().and_then(|s| s.input.as_ref()) else {
        return false;
    };
    let mut spans = vec![Span::styled(input.label(), theme.key)];
    spans.extend(super::widgets::input_spans(
        &input.text,
        Style::default(),
        theme.accent,
    ));
    spans.push(Span::styled("  enter ok · esc cancel", theme.dim));
    let line = Line::from(spans);
    frame.render_widget(Paragraph::new(line), area);
    true
}

fn date(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(|| "-".into(), |t| t.format("%Y-%m-%d %H:%M").to_string())
}

fn selected_style<'a>(row: Row<'a>, selected: bool, theme: &Theme) -> Row<'a> {
    if selected {
        row.style(theme.selected)
    } else {
        row
    }
}

fn render_buckets(frame: &mut Frame, area: Rect, app: &App, s: &S3State, theme: &Theme) {
    let mut title = format!(
        " Buckets of {} ({}) ",
        sanitize(&s.stack.name),
        s.buckets.len()
    );
    if s.load.is_loading() {
        title.push_str(&format!("{} ", spinner(app.tick)));
    }
    let blk = block(title, theme, true);
    if s.buckets.is_empty() {
        let text = match s.load.state() {
            LoadState::Failed(e) => format!("Could not list the buckets:\n{e}\n\npress r to retry"),
            LoadState::Loaded => "This stack has no S3 bucket.".into(),
            _ => "Loading the stack's buckets…".into(),
        };
        let style = if matches!(s.load.state(), LoadState::Failed(_)) {
            theme.error
        } else {
            theme.dim
        };
        message(frame, area, blk, &text, style);
        return;
    }
    let h = usize::from(area.height.saturating_sub(3));
    let rows: Vec<Row> = s
        .list
        .visible(h)
        .filter_map(|i| s.buckets.get(i).map(|b| (i, b)))
        .map(|(i, b)| {
            let (objects, size) = match (&b.stats, &b.count_error) {
                (_, Some(_)) => ("error".to_string(), String::new()),
                (Some(st), None) => {
                    let more = if b.counting {
                        format!("{}…", spinner(app.tick))
                    } else {
                        String::new()
                    };
                    (
                        format!("{}{more}", st.objects),
                        format!("{}{more}", human_size(st.bytes)),
                    )
                }
                (None, None) => ("-".into(), "-".into()),
            };
            let versioning = b.versioning.as_deref().unwrap_or("off");
            let vstyle = if versioning == "Enabled" {
                theme.warn
            } else {
                theme.dim
            };
            selected_style(
                Row::new(vec![
                    Cell::from(format!(
                        "{}{}",
                        gutter(i == s.list.selected),
                        sanitize(&b.bucket.logical_id)
                    )),
                    Cell::from(sanitize(&b.bucket.name).into_owned()),
                    Cell::from(Span::styled(sanitize(versioning).into_owned(), vstyle)),
                    Cell::from(objects),
                    Cell::from(size),
                ]),
                i == s.list.selected,
                theme,
            )
        })
        .collect();
    let header =
        Row::new(["  LOGICAL ID", "BUCKET", "VERSIONING", "OBJECTS", "SIZE"]).style(theme.title);
    frame.render_widget(
        Table::new(
            rows,
            [
                Constraint::Length(30),
                Constraint::Min(20),
                Constraint::Length(11),
                Constraint::Length(10),
                Constraint::Length(12),
            ],
        )
        .header(header)
        .block(blk),
        area,
    );
}

/// The rows of the browser's visible window (the only rows ever built).
pub fn browser_rows<'a>(b: &'a Browser, height: usize, theme: &Theme) -> Vec<Row<'a>> {
    b.list
        .visible(height)
        .filter_map(|pos| {
            b.view
                .get(pos)
                .and_then(|&i| b.entries.get(i))
                .map(|e| (pos, e))
        })
        .map(|(pos, e)| {
            let sel = pos == b.list.selected;
            let name = truncate(&sanitize(b.name_of(e)), 300);
            let row = match e {
                Entry::Folder(_) => Row::new(vec![
                    Cell::from(Span::styled(format!("{}{name}", gutter(sel)), theme.accent)),
                    Cell::from(Span::styled("DIR", theme.dim)),
                    Cell::from(""),
                    Cell::from(""),
                ]),
                Entry::Object(o) => Row::new(vec![
                    Cell::from(format!("{}{name}", gutter(sel))),
                    Cell::from(human_size(o.size)),
                    Cell::from(Span::styled(date(o.last_modified), theme.dim)),
                    Cell::from(Span::styled(
                        sanitize(o.storage_class.as_deref().unwrap_or("-")).into_owned(),
                        theme.dim,
                    )),
                ]),
            };
            selected_style(row, sel, theme)
        })
        .collect()
}

fn render_browser(frame: &mut Frame, area: Rect, app: &App, b: &Browser, theme: &Theme) {
    let mut title = format!(" s3://{}/{} ", sanitize(&b.bucket), sanitize(&b.prefix));
    let count = if b.view.len() == b.entries.len() {
        format!("{}", b.entries.len())
    } else {
        format!("{} of {}", b.view.len(), b.entries.len())
    };
    title.push_str(&format!("· {count}"));
    if b.next_token.is_some() {
        title.push_str("+ loaded");
        if b.entries.len() >= app.settings.s3.max_objects {
            title.push_str(" · stopped at [s3] max_objects");
        }
    }
    title.push(' ');
    if !b.filter.is_empty() {
        title.push_str(&format!("· filter: {} ", sanitize(&b.filter)));
    }
    if b.load.is_loading() || b.loading_more {
        title.push_str(&format!("{} ", spinner(app.tick)));
    }
    let blk = block(title, theme, true);
    if b.entries.is_empty() || b.view.is_empty() {
        let (text, style) = match b.load.state() {
            LoadState::Failed(e) => (
                format!("Could not list the objects:\n{e}\n\npress r to retry"),
                theme.error,
            ),
            LoadState::Loaded if b.entries.is_empty() => {
                ("Nothing under this prefix.".to_string(), theme.dim)
            }
            LoadState::Loaded if b.next_token.is_some() => (
                "No loaded name matches the filter.\nMove down (j) to load the next page."
                    .to_string(),
                theme.dim,
            ),
            LoadState::Loaded => ("No name matches the filter.".to_string(), theme.dim),
            _ => ("Listing…".to_string(), theme.dim),
        };
        message(frame, area, blk, &text, style);
        return;
    }
    let h = usize::from(area.height.saturating_sub(3));
    let header = Row::new(["  NAME", "SIZE", "MODIFIED", "CLASS"]).style(theme.title);
    frame.render_widget(
        Table::new(
            browser_rows(b, h, theme),
            [
                Constraint::Min(20),
                Constraint::Length(10),
                Constraint::Length(16),
                Constraint::Length(12),
            ],
        )
        .header(header)
        .block(blk),
        area,
    );
}

fn tok_style(t: Tok, theme: &Theme) -> Style {
    match t {
        Tok::Plain => theme.base,
        Tok::Key => theme.accent,
        Tok::Str => theme.ok,
        Tok::Num | Tok::Lit => theme.warn,
        Tok::Punct | Tok::Dim => theme.dim,
    }
}

fn render_object(frame: &mut Frame, area: Rect, app: &App, o: &ObjectView, theme: &Theme) {
    let meta_lines = o.head.as_ref().map_or(0, |h| h.metadata.len().min(4));
    let [top, bottom] = Layout::vertical([
        Constraint::Length(9 + meta_lines as u16),
        Constraint::Min(3),
    ])
    .areas(area);
    let title = format!(" {} ", truncate(&sanitize(&o.key), 200));
    let Some(h) = o.head.as_ref() else {
        let blk = block(title, theme, true);
        match o.load.state() {
            LoadState::Failed(e) => message(
                frame,
                area,
                blk,
                &format!("Could not read the object:\n{e}\n\npress r to retry"),
                theme.error,
            ),
            _ => message(
                frame,
                area,
                blk,
                &format!("{} Reading the object…", spinner(app.tick)),
                theme.dim,
            ),
        }
        return;
    };
    let field = |k: &str, v: String| {
        Line::from(vec![
            Span::styled(format!("{k:<14}"), theme.dim),
            Span::raw(sanitize(&v).into_owned()),
        ])
    };
    let mut lines = vec![
        field("bucket", h.bucket.clone()),
        field("size", format!("{} ({} bytes)", human_size(h.size), h.size)),
        field("modified", date(h.last_modified)),
        field("ETag", h.etag.clone().unwrap_or_else(|| "-".into())),
        field(
            "content type",
            h.content_type.clone().unwrap_or_else(|| "-".into()),
        ),
        field(
            "storage class",
            h.storage_class.clone().unwrap_or_else(|| "-".into()),
        ),
        field(
            "version",
            h.version_id.clone().unwrap_or_else(|| "-".into()),
        ),
    ];
    if h.metadata.is_empty() {
        lines.push(field("metadata", "-".into()));
    }
    for (i, (k, v)) in h.metadata.iter().take(4).enumerate() {
        lines.push(field(
            if i == 0 { "metadata" } else { "" },
            format!("{k}: {v}"),
        ));
    }
    frame.render_widget(Paragraph::new(lines).block(block(title, theme, false)), top);

    let Some(doc) = o.preview.as_ref() else {
        return;
    };
    let mut ptitle = format!(" Preview · {}", doc.kind.label());
    if (o.preview_read as u64) < h.size {
        ptitle.push_str(&format!(
            " · first {} of {}",
            human_size(o.preview_read as u64),
            human_size(h.size)
        ));
    }
    ptitle.push_str(&format!(
        " · line {}/{} ",
        (o.scroll.top() + 1).min(doc.lines.len()),
        doc.lines.len()
    ));
    let blk = block(ptitle, theme, true);
    if doc.lines.is_empty() {
        message(frame, bottom, blk, "(empty object)", theme.dim);
        return;
    }
    let height = usize::from(bottom.height.saturating_sub(2));
    let lines: Vec<Line> = doc
        .lines
        .iter()
        .skip(o.scroll.top())
        .take(height)
        .map(|l| {
            Line::from(
                l.iter()
                    .map(|(t, s)| Span::styled(s.as_str(), tok_style(*t, theme)))
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).block(blk), bottom);
}

fn render_versions(frame: &mut Frame, area: Rect, app: &App, v: &VersionsView, theme: &Theme) {
    let what = if v.key.is_empty() {
        "every key".to_string()
    } else if v.exact {
        sanitize(&v.key).into_owned()
    } else {
        format!("{}*", sanitize(&v.key))
    };
    let markers = v.entries.iter().filter(|e| e.delete_marker).count();
    let mut title = format!(" Versions of {what} in {} ", sanitize(&v.bucket));
    if v.load.is_loading() {
        title.push_str(&format!("{} ", spinner(app.tick)));
    } else {
        title.push_str(&format!(
            "({} versions, {markers} delete markers{}) ",
            v.entries.len() - markers,
            if v.truncated { ", first ones only" } else { "" }
        ));
    }
    let blk = block(title, theme, true);
    if v.entries.is_empty() {
        let (text, style) = match v.load.state() {
            LoadState::Failed(e) => (
                format!("Could not list the versions:\n{e}\n\npress r to retry"),
                theme.error,
            ),
            LoadState::Loaded => ("No versions.".to_string(), theme.dim),
            _ => ("Listing versions…".to_string(), theme.dim),
        };
        message(frame, area, blk, &text, style);
        return;
    }
    let h = usize::from(area.height.saturating_sub(3));
    let rows: Vec<Row> = v
        .list
        .visible(h)
        .filter_map(|i| v.entries.get(i).map(|e| (i, e)))
        .map(|(i, e)| {
            let sel = i == v.list.selected;
            let state = match (e.delete_marker, e.is_latest) {
                (true, true) => Span::styled("marker (latest)", theme.error),
                (true, false) => Span::styled("delete marker", theme.warn),
                (false, true) => Span::styled("latest", theme.ok),
                (false, false) => Span::styled("old", theme.dim),
            };
            selected_style(
                Row::new(vec![
                    Cell::from(format!(
                        "{}{}",
                        gutter(sel),
                        truncate(&sanitize(&e.key), 200)
                    )),
                    Cell::from(Span::styled(
                        sanitize(e.version_id.as_deref().unwrap_or("null")).into_owned(),
                        theme.dim,
                    )),
                    Cell::from(state),
                    Cell::from(e.size.map_or_else(|| "-".into(), human_size)),
                    Cell::from(Span::styled(date(e.last_modified), theme.dim)),
                ]),
                sel,
                theme,
            )
        })
        .collect();
    let header = Row::new(["  KEY", "VERSION ID", "STATE", "SIZE", "MODIFIED"]).style(theme.title);
    frame.render_widget(
        Table::new(
            rows,
            [
                Constraint::Min(20),
                Constraint::Length(36),
                Constraint::Length(15),
                Constraint::Length(10),
                Constraint::Length(16),
            ],
        )
        .header(header)
        .block(blk),
        area,
    );
}

/// Cells of the download progress bar.
const BAR_WIDTH: u64 = 24;

fn render_download(frame: &mut Frame, area: Rect, s: &S3State, theme: &Theme) {
    let Some(d) = s.download.as_ref() else {
        return;
    };
    let done = d.done.min(d.total);
    let filled = (done * BAR_WIDTH).checked_div(d.total).unwrap_or(0) as usize;
    let pct = (done * 100).checked_div(d.total).unwrap_or(0);
    let line = Line::from(vec![
        Span::styled("█".repeat(filled), theme.accent),
        Span::styled("░".repeat(BAR_WIDTH as usize - filled), theme.dim),
        Span::raw(format!(
            " {pct:>3}%  {} / {}  {} → {}",
            human_size(d.done),
            human_size(d.total),
            truncate(&sanitize(&d.key), 40),
            truncate(&sanitize(&d.path.display().to_string()), 40),
        )),
        Span::styled("  x cancels", theme.dim),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}

impl super::Draw for crate::app::s3::S3State {
    fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
        render(frame, area, app, theme);
    }

    fn footer(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) -> bool {
        render_input(frame, area, app, theme)
    }
}

#[cfg(test)]
mod tests;
