//! The `$/MO` column, the `$` screen and the teardown plan's savings, through `update`.

use super::*;
use crate::app::Action;
use crate::app::keymap::Keymap;
use crate::app::stacks::LoadState;
use crate::app::stacks::StacksEffect;
use crate::app::stacks::StacksMsg;
use crate::app::tests::stack;
use crate::domain::cost::CostItem;
use crate::ui::tests::{app, ready};

/// A stack's estimate: `usage` of Lambda requests and `fixed` of a NAT gateway.
pub(crate) fn cost_of(s: &Stack, usage: f64, fixed: f64) -> StackCost {
    let item = |usage_type: &str, resource: &str, monthly: f64, fixed: bool| CostItem {
        service: if fixed { "EC2" } else { "Lambda" }.into(),
        resource: resource.into(),
        logical_id: Some(resource.into()),
        usage_type: usage_type.into(),
        quantity: if fixed { 730.0 } else { monthly / 0.000_000_2 },
        unit: if fixed { "hour" } else { "request" }.into(),
        unit_price: if fixed { monthly / 730.0 } else { 0.000_000_2 },
        monthly_usd: monthly,
        fixed,
        source: if fixed {
            "template AWS::EC2::NatGateway × 1 × 730 h".into()
        } else {
            "CloudWatch AWS/Lambda Invocations (Sum) over 30 days".into()
        },
        price_source: "https://aws.amazon.com/lambda/pricing/".into(),
        price_read: "2025-06-01".into(),
    };
    let mut breakdown = Vec::new();
    if usage > 0.0 {
        breakdown.push(item("Requests", &format!("{}-api", s.name), usage, false));
    }
    if fixed > 0.0 {
        breakdown.push(item("NAT gateway hours", "Nat", fixed, true));
    }
    StackCost {
        stack: s.name.clone(),
        stack_id: s.id.clone(),
        region: s.region.clone(),
        currency: "USD".into(),
        days: 30,
        monthly_usd: usage + fixed,
        fixed_usd: fixed,
        breakdown,
        unpriced: Vec::new(),
        notes: Vec::new(),
    }
}

/// A ready app whose list holds a, b, c; returns the column's estimate request.
fn listed(a: &mut App) -> (u64, Vec<Stack>) {
    let id = ready(a);
    let stacks = vec![
        stack("a", "CREATE_COMPLETE", 1),
        stack("b", "CREATE_COMPLETE", 2),
        stack("c", "CREATE_COMPLETE", 3),
    ];
    let effects = a.update(Action::Stacks(StacksMsg::Loaded {
        request_id: id,
        result: Ok(stacks),
    }));
    let asked: Vec<_> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Cost(CostEffect::Estimate {
                request_id, stacks, ..
            }) => Some((*request_id, stacks.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(asked.len(), 1, "one batched estimate: {effects:?}");
    assert!(
        matches!(
            effects.first(),
            Some(Effect::Stacks(StacksEffect::Activity { .. }))
        ),
        "activity first, the estimate after: {effects:?}"
    );
    asked.into_iter().next().unwrap_or_default()
}

#[test]
fn the_column_is_one_batched_estimate_filled_in_after_the_list() {
    let mut a = app();
    let (id, asked) = listed(&mut a);
    assert_eq!(asked.len(), 3, "every listed stack in the one call");
    assert_eq!(
        a.stacks.load,
        LoadState::Loaded,
        "the list is drawn already"
    );
    assert_eq!(a.stacks.cost_load, LoadState::Loading);
    // A stale answer is dropped.
    a.update(Action::Cost(CostMsg::Estimated {
        request_id: id + 100,
        result: Ok(vec![cost_of(&asked[0], 1.0, 0.0)]),
    }));
    assert!(a.stacks.costs.is_empty());
    a.update(Action::Cost(CostMsg::Estimated {
        request_id: id,
        result: Ok(vec![
            cost_of(&asked[0], 1.0, 0.0),
            cost_of(&asked[1], 0.5, 32.85),
            cost_of(&asked[2], 0.0, 0.0),
        ]),
    }));
    assert_eq!(a.stacks.cost_load, LoadState::Loaded);
    assert_eq!(a.stacks.costs.len(), 3);
    // Sorted by $/MO: most expensive first.
    for _ in 0..4 {
        a.update(Action::Command(Command::Sort));
    }
    assert_eq!(a.stacks.sort, crate::app::stacks::SortKey::Cost);
    let names: Vec<&str> = a
        .stacks
        .view
        .iter()
        .map(|&i| a.stacks.stacks[i].name.as_str())
        .collect();
    assert_eq!(names, ["b", "a", "c"]);
    a.update(Action::Command(Command::ReverseSort));
    let first = a
        .stacks
        .view
        .first()
        .map(|&i| a.stacks.stacks[i].name.as_str());
    assert_eq!(first, Some("c"), "reversed: cheapest first");
}

#[test]
fn a_failed_estimate_says_so_once_and_keeps_the_list() {
    let mut a = app();
    let (id, _) = listed(&mut a);
    a.notifications.clear();
    a.update(Action::Cost(CostMsg::Estimated {
        request_id: id,
        result: Err("AccessDenied: cloudwatch:GetMetricData".into()),
    }));
    assert!(matches!(a.stacks.cost_load.state(), LoadState::Failed(_)));
    assert_eq!(a.stacks.view.len(), 3);
    assert_eq!(a.notifications.len(), 1);
    assert!(a.notifications[0].text.starts_with("$/MO: AccessDenied"));
}

#[test]
fn dollar_shows_the_column_figure_or_waits_for_it_or_asks() {
    let mut a = app();
    let (id, asked) = listed(&mut a);
    // While the column estimates, `$` waits for the same answer: no second call.
    assert!(a.update(Action::Command(Command::Cost)).is_empty());
    assert_eq!(a.screen(), Screen::Cost);
    let c = a.views.cost().unwrap();
    assert_eq!(
        (c.load.request(), c.load.state()),
        (id, &LoadState::Loading)
    );
    a.update(Action::Cost(CostMsg::Estimated {
        request_id: id,
        result: Ok(asked.iter().map(|s| cost_of(s, 2.0, 1.0)).collect()),
    }));
    let c = a.views.cost().unwrap();
    assert_eq!(c.load, LoadState::Loaded);
    assert_eq!(c.cost.as_ref().unwrap().stack, "a");
    assert_eq!(c.list.len, 2);
    a.update(Action::Command(Command::Down));
    assert_eq!(a.views.cost().unwrap().list.selected, 1);
    // Back, then `$` again: the figure is there at once.
    a.update(Action::Command(Command::Back));
    assert_eq!(a.screen(), Screen::Stacks);
    assert!(a.update(Action::Command(Command::Cost)).is_empty());
    assert_eq!(a.views.cost().unwrap().load, LoadState::Loaded);
    // `r` estimates this one stack again.
    let effects = a.update(Action::Command(Command::Refresh));
    let [Effect::Cost(CostEffect::Estimate { stacks, .. })] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(stacks.len(), 1);
    assert_eq!(a.views.cost().unwrap().load, LoadState::Loading);
}

#[test]
fn dollar_on_the_detail_estimates_that_stack_and_errors_show() {
    let mut a = app();
    let (id, asked) = listed(&mut a);
    a.update(Action::Cost(CostMsg::Estimated {
        request_id: id,
        result: Err("throttled".into()),
    }));
    a.update(Action::Command(Command::Open));
    assert_eq!(a.screen(), Screen::Detail);
    let effects = a.update(Action::Command(Command::Cost));
    let [
        Effect::Cost(CostEffect::Estimate {
            request_id, stacks, ..
        }),
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(stacks[0].id, asked[0].id);
    a.update(Action::Cost(CostMsg::Estimated {
        request_id: *request_id,
        result: Err("the stack no longer exists".into()),
    }));
    assert_eq!(
        a.views.cost().unwrap().load,
        LoadState::Failed("the stack no longer exists".into())
    );
    a.update(Action::Command(Command::Back));
    assert_eq!(a.screen(), Screen::Detail);
}

#[test]
fn the_dollar_key_is_bound_on_the_list_and_the_detail() {
    use crate::app::keymap::{Key, Scope};
    let km = Keymap::load(&toml::Table::new()).unwrap();
    let dollar = Key::parse("$").unwrap();
    assert_eq!(km.lookup(Scope::Stacks, dollar), Some(Command::Cost));
    assert_eq!(km.lookup(Scope::Detail, dollar), Some(Command::Cost));
}

#[test]
fn saving_lines_name_what_keeps_costing_and_stay_bounded() {
    use crate::domain::cost::Saving;
    let s = stack("a", "CREATE_COMPLETE", 1);
    let c = cost_of(&s, 1.0, 32.85);
    let keeps: Vec<CostItem> = (0..9).map(|_| c.breakdown[1].clone()).collect();
    let sv = Saving {
        saves_monthly_usd: 1.0,
        keeps_monthly_usd: 32.85 * 9.0,
        currency: "USD".into(),
        keeps_costing: keeps,
    };
    let lines = Savings::Ready(vec![Some(sv)]).lines(0);
    assert_eq!(lines.len(), 1 + KEEPS_SHOWN + 1);
    assert!(lines[0].0.contains("saves about $1.00/month"), "{lines:?}");
    assert!(lines[0].0.contains("keeps costing about $295.65/month"));
    assert_eq!(lines.last().unwrap().0, "    … and 3 more");
    assert_eq!(Savings::Loading.lines(0)[0].1, Tone::Dim);
    assert_eq!(
        Savings::Ready(vec![None]).lines(0)[0].0,
        "  cost: no estimate for this stack"
    );
}
