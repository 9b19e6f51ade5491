//! The items screen's query form.

use super::keys_text;
use crate::app::dynamo::{FormField, ItemsState, QueryForm};
use crate::domain::dynamo::table::{FilterOp, SkOp};
use crate::domain::sanitize::sanitize;
use crate::ui::Theme;
use crate::ui::widgets::{block, gutter, truncate};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

pub(super) fn render_form(
    frame: &mut Frame,
    area: Rect,
    items: &ItemsState,
    form: &QueryForm,
    theme: &Theme,
) {
    let w = area.width.min(72);
    let h = area.height.min(16);
    let popup = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    frame.render_widget(Clear, popup);
    let t = &items.table;
    let index_name = match form.index {
        0 => format!("(table) {}", keys_text(&t.pk, t.sk.as_ref())),
        n => t.indexes.get(n - 1).map_or_else(String::new, |ix| {
            format!("{} {}", ix.name, keys_text(&ix.pk, ix.sk.as_ref()))
        }),
    };
    let (pk_name, sk_name) = t
        .keys_of(match form.index {
            0 => None,
            n => t.indexes.get(n - 1).map(|i| i.name.as_str()),
        })
        .map_or((String::new(), None), |(p, s)| (p.name, s.map(|s| s.name)));
    let sk_label = sk_name.clone().unwrap_or_else(|| "(no sort key)".into());
    let value = |field: FormField| -> (String, String) {
        match field {
            FormField::Index => ("index".into(), format!("‹ {index_name} ›")),
            FormField::Pk => (format!("{pk_name} ="), form.pk.to_string()),
            FormField::SkOp => (
                sk_label.clone(),
                format!("‹ {} ›", SkOp::ALL[form.sk_op % SkOp::ALL.len()].label()),
            ),
            FormField::Sk1 => ("value".into(), form.sk1.to_string()),
            FormField::Sk2 => ("and (between)".into(), form.sk2.to_string()),
            FormField::Order => (
                "order".into(),
                if form.descending {
                    "‹ descending ›"
                } else {
                    "‹ ascending ›"
                }
                .into(),
            ),
            FormField::FilterAttr => ("filter attribute".into(), form.f_attr.to_string()),
            FormField::FilterOp => (
                "filter op".into(),
                format!(
                    "‹ {} ›",
                    FilterOp::ALL[form.f_op % FilterOp::ALL.len()].label()
                ),
            ),
            FormField::FilterValue => ("filter value".into(), form.f_value.to_string()),
        }
    };
    let mut lines = Vec::new();
    for field in FormField::ALL {
        let (label, v) = value(field);
        let focused = form.focused() == field;
        let width = usize::from(w.saturating_sub(24));
        // The focused text field shows its cursor where it is.
        let (v, after) = match (focused, form.text(field)) {
            (true, Some(input)) => {
                let (before, rest) = input.around_cursor();
                (before.to_string(), rest.to_string())
            }
            _ => (v, String::new()),
        };
        let mut spans = vec![
            Span::styled(
                format!("{}{label:<18}", gutter(focused)),
                if focused { theme.key } else { theme.dim },
            ),
            Span::styled(
                truncate(&sanitize(&v), width),
                if focused { theme.selected } else { theme.base },
            ),
        ];
        if focused && !field.is_choice() {
            spans.push(Span::styled("█", theme.accent));
            if !after.is_empty() {
                let left = width.saturating_sub(v.chars().count() + 1);
                spans.push(Span::styled(
                    truncate(&sanitize(&after), left),
                    theme.selected,
                ));
            }
        }
        lines.push(Line::from(spans));
    }
    lines.push(Line::raw(""));
    match &form.error {
        Some(e) => lines.push(Line::styled(
            truncate(&sanitize(e), usize::from(w)),
            theme.error,
        )),
        None => lines.push(Line::styled(
            "empty key value = scan; \"quoted\" filter values are strings",
            theme.dim,
        )),
    }
    lines.push(Line::styled(
        "tab/↑↓ field · ←→ choose · enter run · ctrl-u clear · esc close",
        theme.dim,
    ));
    frame.render_widget(
        Paragraph::new(lines).block(block(" Query ".into(), theme, true)),
        popup,
    );
}
