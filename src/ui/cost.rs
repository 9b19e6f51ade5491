//! What stacks cost: the `$` breakdown screen and the stack list's `$/MO` cell.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::Theme;
use super::widgets::{block, gutter, message, spinner, truncate};
use crate::app::App;
use crate::app::stacks::{LoadState, StacksState};
use crate::domain::cost::{StackCost, money, quantity_text, unit_price_text};
use crate::domain::sanitize::sanitize;
use crate::domain::stack::Stack;

/// The note every figure carries.
pub const LIST_PRICES: &str = "list prices, free tier not counted";

/// Lines of notes (unpriced resources, what the estimate could not see) shown at most.
const NOTES_SHOWN: usize = 4;

/// The `$/MO` cell of a stack: its figure, `…` while estimating, `?` when it failed.
pub fn cell<'a>(st: &StacksState, s: &Stack, theme: &Theme) -> Cell<'a> {
    let span = match (st.costs.get(&s.id), st.cost_load.state()) {
        (Some(c), _) => {
            let style = if c.fixed_usd > 0.0 {
                theme.warn
            } else {
                ratatui::style::Style::default()
            };
            Span::styled(money(c.monthly_usd, &c.currency), style)
        }
        (None, LoadState::Idle | LoadState::Loading) => Span::styled("…", theme.dim),
        (None, LoadState::Failed(_)) => Span::styled("?", theme.error),
        (None, LoadState::Loaded) => Span::styled("-", theme.dim),
    };
    Cell::from(Line::from(span))
}

/// A unit price with the digits it needs and the currency label.
fn unit_price(p: f64, currency: &str) -> String {
    if currency == "USD" {
        format!("${}", unit_price_text(p))
    } else {
        format!("{} {currency}", unit_price_text(p))
    }
}

/// Draws the `$` screen.
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(st) = app.views.cost() else {
        return;
    };
    let mut title = format!(
        " Cost · {} ({}) ",
        sanitize(&st.stack.name),
        sanitize(&st.stack.region)
    );
    let cost = match (st.load.state(), &st.cost) {
        (LoadState::Idle | LoadState::Loading, _) => {
            title.push_str(&format!("{} ", spinner(app.tick)));
            let text = format!(
                "Estimating what {} costs a month: metrics, table sizes, log groups…",
                st.stack.name
            );
            message(frame, area, block(title, theme, true), &text, theme.dim);
            return;
        }
        (LoadState::Failed(e), _) => {
            let text = format!("Could not estimate the cost:\n{e}\n\nr to retry · esc back");
            message(frame, area, block(title, theme, true), &text, theme.error);
            return;
        }
        (LoadState::Loaded, None) => {
            let text = "No estimate for this stack: it may be gone.\n\nr to retry · esc back";
            message(frame, area, block(title, theme, true), text, theme.dim);
            return;
        }
        (LoadState::Loaded, Some(c)) => c,
    };
    title.push_str(&format!(
        "· about {}/month, {} of it fixed ",
        money(cost.monthly_usd, &cost.currency),
        money(cost.fixed_usd, &cost.currency)
    ));
    let notes = note_lines(cost);
    let shown = notes.len().min(NOTES_SHOWN);
    let selected = cost.breakdown.get(st.list.selected);
    let [summary, body, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(u16::try_from(shown + usize::from(selected.is_some())).unwrap_or(0)),
    ])
    .areas(area.inner(ratatui::layout::Margin::new(1, 1)));
    frame.render_widget(block(title, theme, true), area);
    frame.render_widget(
        Paragraph::new(Line::styled(
            format!(
                "{LIST_PRICES} · the last {} days scaled to a month · ⚑ fixed: billed whatever the use",
                cost.days
            ),
            theme.dim,
        )),
        summary,
    );
    if cost.breakdown.is_empty() {
        let text = format!(
            "Nothing measurable: no usage in the last {} days and no fixed cost.",
            cost.days
        );
        frame.render_widget(Paragraph::new(Line::styled(text, theme.dim)), body);
    } else {
        render_items(frame, body, st, cost, theme);
    }
    // The selected line's source in full (the column cuts it), with its price's page.
    let mut lines: Vec<Line> = selected
        .map(|i| {
            Line::styled(
                truncate(
                    &sanitize(&format!(
                        "› {} · price from {} (read {})",
                        i.source, i.price_source, i.price_read
                    )),
                    400,
                ),
                theme.accent,
            )
        })
        .into_iter()
        .collect();
    let first_note = lines.len();
    lines.extend(
        notes
            .iter()
            .take(shown)
            .map(|n| Line::styled(truncate(&sanitize(n), 400), theme.dim)),
    );
    if notes.len() > shown
        && lines.len() > first_note
        && let Some(last) = lines.last_mut()
    {
        *last = Line::styled(
            format!(
                "… and {} more notes: protoctl cost {}",
                notes.len() - shown + 1,
                sanitize(&st.stack.name)
            ),
            theme.dim,
        );
    }
    frame.render_widget(Paragraph::new(lines), foot);
}

fn note_lines(cost: &StackCost) -> Vec<String> {
    cost.unpriced
        .iter()
        .map(|u| {
            format!(
                "not priced: {} ({}): {}",
                u.logical_id, u.resource_type, u.why
            )
        })
        .chain(cost.notes.iter().map(|n| format!("note: {n}")))
        .collect()
}

fn render_items(
    frame: &mut Frame,
    area: Rect,
    st: &crate::app::cost::CostState,
    cost: &StackCost,
    theme: &Theme,
) {
    let height = usize::from(area.height.saturating_sub(1));
    let window = st.list.visible(height);
    let cur = &cost.currency;
    let rows: Vec<Row> = window
        .filter_map(|pos| cost.breakdown.get(pos).map(|i| (pos, i)))
        .map(|(pos, i)| {
            let usage = if i.fixed {
                format!("⚑ {}", sanitize(&i.usage_type))
            } else {
                sanitize(&i.usage_type).into_owned()
            };
            let row = Row::new(vec![
                Cell::from(format!(
                    "{}{}",
                    gutter(pos == st.list.selected),
                    sanitize(&i.service)
                )),
                Cell::from(sanitize(&i.resource).into_owned()),
                Cell::from(Span::styled(
                    usage,
                    if i.fixed {
                        theme.warn
                    } else {
                        ratatui::style::Style::default()
                    },
                )),
                Cell::from(Line::from(quantity_text(i.quantity)).right_aligned()),
                Cell::from(sanitize(&i.unit).into_owned()),
                Cell::from(Line::from(unit_price(i.unit_price, cur)).right_aligned()),
                Cell::from(Line::from(money(i.monthly_usd, cur)).right_aligned()),
                Cell::from(Span::styled(truncate(&sanitize(&i.source), 200), theme.dim)),
            ]);
            if pos == st.list.selected {
                row.style(theme.selected)
            } else {
                row
            }
        })
        .collect();
    let header = Row::new(vec![
        "  SERVICE",
        "RESOURCE",
        "USAGE",
        "QUANTITY",
        "UNIT",
        "UNIT PRICE",
        "MONTHLY",
        "SOURCE",
    ])
    .style(theme.title);
    let widths = [
        Constraint::Length(18),
        Constraint::Fill(3),
        Constraint::Length(20),
        Constraint::Length(12),
        Constraint::Length(9),
        Constraint::Length(13),
        Constraint::Length(8),
        Constraint::Fill(2),
    ];
    frame.render_widget(Table::new(rows, widths).header(header), area);
}

impl super::Draw for crate::app::cost::CostState {
    fn draw(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
        render(frame, area, app, theme);
    }
}

#[cfg(test)]
mod tests {
    use crate::app::cost::CostEffect;
    use crate::app::cost::CostMsg;
    use crate::app::keymap::Command;
    use crate::app::stacks::StacksMsg;
    use crate::app::{Action, App, Effect};
    use crate::domain::cost::{CostItem, StackCost, Unpriced};
    use crate::domain::stack::Stack;
    use crate::ui::tests::{app, assert_clean, demo_stacks, draw_sized, ready};

    fn item(
        service: &str,
        resource: &str,
        usage_type: &str,
        (quantity, unit, unit_price): (f64, &str, f64),
        fixed: bool,
        source: &str,
    ) -> CostItem {
        CostItem {
            service: service.into(),
            resource: resource.into(),
            logical_id: None,
            usage_type: usage_type.into(),
            quantity,
            unit: unit.into(),
            unit_price,
            monthly_usd: quantity * unit_price,
            fixed,
            source: source.into(),
            price_source: "https://aws.amazon.com/lambda/pricing/".into(),
            price_read: "2025-06-01".into(),
        }
    }

    /// orders-dev's breakdown: usage of every kind and a NAT gateway.
    fn orders_cost(s: &Stack) -> StackCost {
        let breakdown = vec![
            item(
                "Lambda",
                "orders-dev-list",
                "Requests",
                (1_200_000.0, "request", 0.000_000_2),
                false,
                "CloudWatch AWS/Lambda Invocations (Sum) over 30 days",
            ),
            item(
                "Lambda",
                "orders-dev-list",
                "Duration (Arm)",
                (75_000.0, "GB-second", 0.000_013_333_4),
                false,
                "CloudWatch AWS/Lambda Duration (Sum) over 30 days × 1024 MB",
            ),
            item(
                "DynamoDB",
                "orders-dev-items",
                "Write request units",
                (2_000_000.0, "request", 0.000_000_625),
                false,
                "CloudWatch AWS/DynamoDB ConsumedWriteCapacityUnits (Sum) over 30 days",
            ),
            item(
                "S3",
                "orders-dev-data",
                "Storage (Standard)",
                (12.5, "GB-month", 0.023),
                false,
                "ListObjectVersions STANDARD (every version)",
            ),
            item(
                "VPC",
                "orders-dev-nat",
                "NAT gateway hours",
                (730.0, "hour", 0.045),
                true,
                "template AWS::EC2::NatGateway × 1 × 730 h",
            ),
        ];
        StackCost {
            stack: s.name.clone(),
            stack_id: s.id.clone(),
            region: s.region.clone(),
            currency: "USD".into(),
            days: 30,
            monthly_usd: breakdown.iter().map(|i| i.monthly_usd).sum(),
            fixed_usd: 32.85,
            breakdown,
            unpriced: vec![Unpriced {
                logical_id: "Db".into(),
                resource_type: "AWS::RDS::DBInstance".into(),
                why: "priced by instance class".into(),
            }],
            notes: Vec::new(),
        }
    }

    /// The list loaded; returns the column's request id.
    fn listed(a: &mut App) -> u64 {
        let id = ready(a);
        let effects = a.update(Action::Stacks(StacksMsg::Loaded {
            request_id: id,
            result: Ok(demo_stacks()),
        }));
        effects
            .iter()
            .find_map(|e| match e {
                Effect::Cost(CostEffect::Estimate { request_id, .. }) => Some(*request_id),
                _ => None,
            })
            .expect("an estimate after the list")
    }

    fn costs(a: &App, f: impl Fn(&Stack) -> StackCost) -> Vec<StackCost> {
        a.stacks.stacks.iter().map(f).collect()
    }

    #[test]
    fn the_column_fills_in_after_the_list() {
        let mut a = app();
        let id = listed(&mut a);
        insta::assert_snapshot!("cost__column_loading", draw_sized(&a, 120, 12).backend());
        let all = costs(&a, |s| {
            if s.name == "orders-dev" {
                orders_cost(s)
            } else {
                let mut c = orders_cost(s);
                c.breakdown.clear();
                c.monthly_usd = if s.name == "survey-dev" { 0.0042 } else { 0.0 };
                c.fixed_usd = 0.0;
                c
            }
        });
        a.update(Action::Cost(CostMsg::Estimated {
            request_id: id,
            result: Ok(all),
        }));
        for _ in 0..4 {
            a.update(Action::Command(Command::Sort));
        }
        insta::assert_snapshot!("cost__column_sorted", draw_sized(&a, 120, 12).backend());
    }

    #[test]
    fn a_failed_column_shows_question_marks_and_the_error_once() {
        let mut a = app();
        let id = listed(&mut a);
        a.update(Action::Cost(CostMsg::Estimated {
            request_id: id,
            result: Err(
                "GetMetricData: AccessDenied (the credentials lack permission for this)".into(),
            ),
        }));
        insta::assert_snapshot!("cost__column_failed", draw_sized(&a, 120, 12).backend());
    }

    #[test]
    fn the_breakdown_screen() {
        let mut a = app();
        let id = listed(&mut a);
        // On orders-dev (the list is sorted by name: ledger-dev, legacy-quiz-dev, orders-dev).
        a.update(Action::Command(Command::Down));
        a.update(Action::Command(Command::Down));
        a.update(Action::Command(Command::Cost));
        insta::assert_snapshot!("cost__breakdown_loading", draw_sized(&a, 120, 16).backend());
        let all = costs(&a, orders_cost);
        a.update(Action::Cost(CostMsg::Estimated {
            request_id: id,
            result: Ok(all),
        }));
        insta::assert_snapshot!("cost__breakdown", draw_sized(&a, 120, 16).backend());
        // Scrolling keeps the cursor in the few rows that are drawn.
        for _ in 0..4 {
            a.update(Action::Command(Command::Down));
        }
        let t = draw_sized(&a, 120, 9);
        let screen = format!("{:?}", t.backend());
        assert!(screen.contains("NAT gateway hours"), "{screen}");
        assert!(
            !screen.contains("Requests"),
            "only the visible rows:\n{screen}"
        );
        // Failed, then empty.
        let effects = a.update(Action::Command(Command::Refresh));
        let [Effect::Cost(CostEffect::Estimate { request_id, .. })] = effects.as_slice() else {
            panic!("{effects:?}")
        };
        let rid = *request_id;
        a.update(Action::Cost(CostMsg::Estimated {
            request_id: rid,
            result: Err(
                "GetTemplate: ValidationError: Stack with id orders-dev does not exist".into(),
            ),
        }));
        insta::assert_snapshot!("cost__breakdown_failed", draw_sized(&a, 120, 10).backend());
        let effects = a.update(Action::Command(Command::Refresh));
        let [Effect::Cost(CostEffect::Estimate { request_id, .. })] = effects.as_slice() else {
            panic!("{effects:?}")
        };
        let rid = *request_id;
        let mut empty = costs(&a, orders_cost);
        for c in &mut empty {
            c.breakdown.clear();
            c.unpriced.clear();
            c.monthly_usd = 0.0;
            c.fixed_usd = 0.0;
        }
        a.update(Action::Cost(CostMsg::Estimated {
            request_id: rid,
            result: Ok(empty),
        }));
        insta::assert_snapshot!("cost__breakdown_empty", draw_sized(&a, 120, 10).backend());
    }

    #[test]
    fn names_from_aws_are_sanitised() {
        let mut a = app();
        let id = listed(&mut a);
        a.update(Action::Command(Command::Cost));
        let all = costs(&a, |s| {
            let mut c = orders_cost(s);
            c.breakdown[0].resource = "evil\x1b[2J\x07name".into();
            c.breakdown[0].source = "metric\u{202e}rev".into();
            c.notes.push("note \x1b]52;c;AAAA\x07".into());
            c
        });
        a.update(Action::Cost(CostMsg::Estimated {
            request_id: id,
            result: Ok(all),
        }));
        assert_clean(&draw_sized(&a, 120, 16));
        a.update(Action::Command(Command::Back));
        assert_clean(&draw_sized(&a, 120, 16));
    }
}
