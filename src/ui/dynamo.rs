//! The DynamoDB screens: the stack's tables, a table's items (only the visible rows are
//! built), the query form, and one item as coloured JSON.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Gauge, Paragraph, Row, Table};

use super::Theme;
use super::widgets::{block, gutter, message, spinner, truncate};
use crate::app::App;
use crate::app::dynamo::{DynamoState, ItemsState};
use crate::app::stacks::LoadState;
use crate::domain::dynamo::cell_text;
use crate::domain::dynamo::table::{IndexKind, ItemQuery, KeyAttr, SkOp, TableInfo};
use crate::domain::sanitize::sanitize;
use crate::domain::text::human_size;

mod form;
use form::render_form;

mod item;
pub use item::render_item;

/// Widest a column of the items screen gets.
const MAX_COL_WIDTH: usize = 32;

fn key_text(k: &KeyAttr) -> String {
    format!("{} {}", k.name, k.attr_type)
}

fn keys_text(pk: &KeyAttr, sk: Option<&KeyAttr>) -> String {
    match sk {
        Some(sk) => format!("{} · {}", key_text(pk), key_text(sk)),
        None => key_text(pk),
    }
}

/// Draws the tables of the stack.
pub fn render_tables(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(st) = app.views.dynamo() else {
        return;
    };
    let title = format!(" DynamoDB tables of {} ", sanitize(&st.stack.name));
    let [list, detail] = Layout::vertical([Constraint::Min(4), Constraint::Length(7)]).areas(area);
    match st.load.state() {
        LoadState::Failed(e) => {
            message(
                frame,
                area,
                block(title, theme, true),
                &format!("Could not load the tables:\n{e}\n\npress r to retry"),
                theme.error,
            );
            return;
        }
        LoadState::Loaded if st.tables.is_empty() => {
            message(
                frame,
                area,
                block(title, theme, true),
                "This stack has no DynamoDB tables.",
                theme.dim,
            );
            return;
        }
        LoadState::Loaded => {}
        _ => {
            message(
                frame,
                area,
                block(title, theme, true),
                &format!("{} Describing the tables…", spinner(app.tick)),
                theme.dim,
            );
            return;
        }
    }
    let h = usize::from(list.height.saturating_sub(3));
    let win = st.list.visible(h);
    let rows: Vec<Row> = win
        .clone()
        .filter_map(|i| st.tables.get(i).map(|t| (i, t)))
        .map(|(i, t)| {
            let sel = i == st.list.selected;
            let row = Row::new(vec![
                Cell::from(format!("{}{}", gutter(sel), sanitize(&t.name))),
                Cell::from(Span::styled(
                    sanitize(&t.logical_id).into_owned(),
                    theme.dim,
                )),
                Cell::from(sanitize(&keys_text(&t.pk, t.sk.as_ref())).into_owned()),
                Cell::from(t.indexes.len().to_string()),
                Cell::from(t.item_count.map_or_else(|| "-".into(), |n| n.to_string())),
                Cell::from(
                    t.size_bytes
                        .map_or_else(|| "-".into(), |n| human_size(u64::try_from(n).unwrap_or(0))),
                ),
                Cell::from(billing(&t.billing_mode)),
                Cell::from(Span::styled(
                    sanitize(&t.status).into_owned(),
                    theme.status(&t.status),
                )),
            ]);
            if sel { row.style(theme.selected) } else { row }
        })
        .collect();
    let header = Row::new(vec![
        "  TABLE",
        "LOGICAL ID",
        "KEYS",
        "INDEXES",
        "ITEMS",
        "SIZE",
        "BILLING",
        "STATUS",
    ])
    .style(theme.title);
    frame.render_widget(
        Table::new(
            rows,
            [
                Constraint::Min(16),
                Constraint::Length(12),
                Constraint::Length(18),
                Constraint::Length(7),
                Constraint::Length(7),
                Constraint::Length(9),
                Constraint::Length(11),
                Constraint::Length(8),
            ],
        )
        .header(header)
        .block(block(
            format!("{}({}) ", title, st.tables.len()),
            theme,
            true,
        )),
        list,
    );
    render_table_detail(frame, detail, st, theme);
}

fn render_table_detail(frame: &mut Frame, area: Rect, st: &DynamoState, theme: &Theme) {
    let Some(t) = st.tables.get(st.list.selected) else {
        return;
    };
    let mut lines = vec![Line::from(vec![
        Span::styled("key  ", theme.dim),
        Span::styled(
            sanitize(&keys_text(&t.pk, t.sk.as_ref())).into_owned(),
            theme.accent,
        ),
    ])];
    if t.indexes.is_empty() {
        lines.push(Line::styled("no secondary indexes", theme.dim));
    }
    for ix in &t.indexes {
        let kind = match ix.kind {
            IndexKind::Gsi => "GSI",
            IndexKind::Lsi => "LSI",
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{kind}  "), theme.dim),
            Span::styled(sanitize(&ix.name).into_owned(), theme.title),
            Span::raw("  "),
            Span::styled(
                sanitize(&keys_text(&ix.pk, ix.sk.as_ref())).into_owned(),
                theme.accent,
            ),
            Span::styled(
                format!("  projection {}", sanitize(&ix.projection)),
                theme.dim,
            ),
        ]));
    }
    frame.render_widget(
        Paragraph::new(lines).block(block(format!(" {} ", sanitize(&t.name)), theme, false)),
        area,
    );
}

/// The billing mode as people say it.
fn billing(mode: &str) -> String {
    match mode {
        "PAY_PER_REQUEST" => "on-demand".into(),
        "PROVISIONED" => "provisioned".into(),
        other => sanitize(other).into_owned(),
    }
}

/// A one-line description of what is read (scan, query, index, filter).
pub fn describe_query(t: &TableInfo, q: &ItemQuery) -> String {
    let mut s = if q.is_query() { "query" } else { "scan" }.to_string();
    if let Some(ix) = &q.index {
        s.push_str(&format!(" {ix}"));
    }
    if let (Some(pk), Some((pkd, skd))) = (&q.pk, t.keys_of(q.index.as_deref())) {
        s.push_str(&format!(" {} = {pk:?}", pkd.name));
        if let (Some((op, a, b)), Some(skd)) = (&q.sk, skd) {
            match op {
                SkOp::BeginsWith => s.push_str(&format!(" and begins_with({}, {a:?})", skd.name)),
                SkOp::Between => s.push_str(&format!(" and {} between {a:?} and {b:?}", skd.name)),
                o => s.push_str(&format!(" and {} {} {a:?}", skd.name, o.label())),
            }
        }
        s.push_str(if q.descending { " desc" } else { " asc" });
    }
    if let Some(f) = &q.filter {
        s.push_str(&format!(" · filter {} {}", f.attr, f.op.label()));
        if f.op.needs_value() {
            s.push_str(&format!(" {}", f.value));
        }
    }
    s
}

/// Draws the items of the open table; the cost depends on the visible rows only.
pub fn render_items(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(items) = app.views.dynamo().and_then(|d| d.items.as_ref()) else {
        return;
    };
    let export_h = u16::from(items.export.is_some());
    let [status, body, export] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(export_h),
    ])
    .areas(area);
    render_items_status(frame, status, app, items, theme);
    let title = format!(
        " {} · {} ",
        sanitize(&items.table.name),
        truncate(&sanitize(&describe_query(&items.table, &items.query)), 80)
    );
    if items.items.is_empty() {
        let text = if let Some(e) = items.load.error() {
            format!("Could not read the table:\n{e}\n\npress r to retry")
        } else if items.load.is_loading() {
            format!("{} Reading the first page…", spinner(app.tick))
        } else {
            "No items.".to_string()
        };
        let style = if items.load.error().is_some() {
            theme.error
        } else {
            theme.dim
        };
        message(frame, body, block(title, theme, true), &text, style);
    } else {
        render_item_rows(frame, body, items, title, theme);
    }
    if let Some(ex) = &items.export {
        render_export(frame, export, ex, theme);
    }
    if let Some(form) = &items.form {
        render_form(frame, area, items, form, theme);
    }
}

fn render_items_status(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    items: &ItemsState,
    theme: &Theme,
) {
    let mut spans = vec![
        Span::styled(format!(" {} loaded", items.items.len()), theme.accent),
        Span::styled(format!(" · {} scanned", items.scanned), theme.dim),
        Span::styled(format!(" · {} pages", items.pages), theme.dim),
    ];
    if items.load.is_loading() {
        spans.push(Span::styled(
            format!("  {} loading more…", spinner(app.tick)),
            theme.warn,
        ));
    } else if items.has_more() && items.items.len() >= app.settings.dynamo.max_rows {
        spans.push(Span::styled(
            format!(
                "  stopped at [dynamodb] max_rows = {}: narrow with a query",
                app.settings.dynamo.max_rows
            ),
            theme.warn,
        ));
    } else if items.has_more() && items.empty_streak >= crate::app::dynamo::EMPTY_PAGES_BEFORE_PAUSE
    {
        spans.push(Span::styled(
            format!(
                "  paused: {} pages in a row matched nothing · ↓ reads on",
                items.empty_streak
            ),
            theme.warn,
        ));
    } else if items.has_more() {
        spans.push(Span::styled("  more below ↓", theme.dim));
    } else if items.load.error().is_none() {
        spans.push(Span::styled("  all loaded", theme.ok));
    }
    if let Some(e) = items.load.error() {
        spans.push(Span::styled(
            format!("  {}", truncate(&sanitize(e), 80)),
            theme.error,
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn render_item_rows(
    frame: &mut Frame,
    area: Rect,
    items: &ItemsState,
    title: String,
    theme: &Theme,
) {
    let h = usize::from(area.height.saturating_sub(3));
    let win = items.list.visible(h);
    let visible = &items.items[win.clone()];
    let keys = items.key_columns();
    // Widths from the header and the visible rows only.
    let mut widths: Vec<usize> = items
        .columns
        .iter()
        .map(|c| c.chars().count().min(MAX_COL_WIDTH))
        .collect();
    let cells: Vec<Vec<String>> = visible
        .iter()
        .map(|it| {
            items
                .columns
                .iter()
                .enumerate()
                .map(|(ci, c)| {
                    let text = it.get(c).map_or_else(String::new, |a| {
                        sanitize(&cell_text(a, MAX_COL_WIDTH)).into_owned()
                    });
                    widths[ci] = widths[ci].max(text.chars().count()).min(MAX_COL_WIDTH);
                    text
                })
                .collect()
        })
        .collect();
    // Fit as many columns as the width allows.
    let mut used = 2usize;
    let mut shown = 0usize;
    for w in &widths {
        if used + w + 1 > usize::from(area.width.saturating_sub(2)) && shown > 0 {
            break;
        }
        used += w + 1;
        shown += 1;
    }
    let header = Row::new(
        items.columns[..shown]
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let style = if keys.contains(c) {
                    theme.accent
                } else {
                    theme.title
                };
                let prefix = if i == 0 { "  " } else { "" };
                Cell::from(Span::styled(
                    format!("{prefix}{}", truncate(&sanitize(c), MAX_COL_WIDTH)),
                    style,
                ))
            })
            .collect::<Vec<_>>(),
    );
    let rows: Vec<Row> = cells
        .into_iter()
        .enumerate()
        .map(|(off, row)| {
            let pos = win.start + off;
            let sel = pos == items.list.selected;
            let r = Row::new(
                row.into_iter()
                    .take(shown)
                    .enumerate()
                    .map(|(i, text)| {
                        if i == 0 {
                            Cell::from(format!("{}{text}", gutter(sel)))
                        } else {
                            Cell::from(text)
                        }
                    })
                    .collect::<Vec<_>>(),
            );
            if sel { r.style(theme.selected) } else { r }
        })
        .collect();
    let constraints: Vec<Constraint> = widths[..shown]
        .iter()
        .enumerate()
        .map(|(i, w)| Constraint::Length((w + if i == 0 { 2 } else { 0 }) as u16))
        .collect();
    frame.render_widget(
        Table::new(rows, constraints)
            .header(header)
            .block(block(title, theme, true)),
        area,
    );
}

fn render_export(
    frame: &mut Frame,
    area: Rect,
    ex: &crate::app::dynamo::ExportState,
    theme: &Theme,
) {
    let path = sanitize(&ex.path).into_owned();
    let (label, ratio, style) = match &ex.result {
        None => {
            let ratio = ex
                .total
                .filter(|t| *t > 0)
                .map_or(0.0, |t| (ex.written as f64 / t as f64).min(1.0));
            let total = ex.total.map_or_else(String::new, |t| format!(" / ~{t}"));
            (
                format!(
                    "exporting to {path}: {}{total} items · x cancels",
                    ex.written
                ),
                ratio,
                theme.accent,
            )
        }
        Some(Ok(s)) if s.cancelled => (
            format!("export cancelled: {} items kept in {path}", s.items),
            0.0,
            theme.warn,
        ),
        Some(Ok(s)) => (
            format!(
                "exported {} items ({}) to {path}",
                s.items,
                human_size(s.bytes)
            ),
            1.0,
            theme.ok,
        ),
        Some(Err(e)) => (format!("export failed: {}", sanitize(e)), 0.0, theme.error),
    };
    frame.render_widget(
        Gauge::default()
            .gauge_style(style)
            .ratio(ratio)
            .label(Span::styled(label, Style::default())),
        area,
    );
}

impl super::Draw for crate::app::dynamo::DynamoState {
    fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
        match app.screen() {
            crate::app::Screen::DynamoItems => render_items(frame, area, app, theme),
            crate::app::Screen::DynamoItem => render_item(frame, area, app, theme),
            _ => render_tables(frame, area, app, theme),
        }
    }
}

#[cfg(test)]
mod tests;
