use std::collections::BTreeMap;

use crate::app::teardown::{TeardownEffect, TeardownMsg};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::app::cost::CostMsg;
use crate::app::keymap::Command;
use crate::app::stacks::StacksEffect;
use crate::app::stacks::StacksMsg;
use crate::app::teardown::{COUNTDOWN_TICKS, Phase};
use crate::app::{Action, App, Effect};
use crate::domain::abandon::{AbandonPolicy, assess};
use crate::domain::stack::StackEvent;
use crate::domain::stack::{Stack, StackResource};
use crate::domain::teardown::run::{Outcome, OutcomeKind, Progress, StackPlan};
use crate::domain::teardown::{BucketContents, DeletionPolicy, build_plan};
use crate::ui::tests::{app, assert_clean, demo_stacks, draw, draw_sized, now, ready};

pub(crate) fn loaded() -> App {
    let mut a = app();
    let id = ready(&mut a);
    let effects = a.update(Action::Stacks(StacksMsg::Loaded {
        request_id: id,
        result: Ok(demo_stacks()),
    }));
    let Some(Effect::Stacks(StacksEffect::Activity { request_id, stacks })) = effects.first()
    else {
        panic!("{effects:?}")
    };
    // orders-dev was busy an hour ago; the others have no log activity.
    let activity = stacks
        .iter()
        .map(|s| {
            let logs = if s.name == "orders-dev" {
                vec![now() - chrono::Duration::hours(1)]
            } else {
                vec![]
            };
            (s.id.clone(), Ok(logs))
        })
        .collect();
    let request_id = *request_id;
    a.update(Action::Stacks(StacksMsg::Activity {
        request_id,
        result: activity,
    }));
    a
}

pub(crate) fn plan_for(stack: &Stack) -> StackPlan {
    let r = |l: &str, p: &str, t: &str| StackResource {
        logical_id: l.into(),
        physical_id: Some(p.into()),
        resource_type: t.into(),
        status: "CREATE_COMPLETE".into(),
        stack_path: "demo".into(),
    };
    let resources = vec![
        r(
            "DataBucket",
            &format!("{}-data-123456789012", stack.name),
            "AWS::S3::Bucket",
        ),
        r(
            "ItemsTable",
            &format!("{}-items", stack.name),
            "AWS::DynamoDB::Table",
        ),
        r(
            "ListLambdaFunction",
            &format!("{}-list", stack.name),
            "AWS::Lambda::Function",
        ),
        r("UploadsBucket", "kept-uploads", "AWS::S3::Bucket"),
    ];
    let policies = BTreeMap::from([
        ("UploadsBucket".to_string(), DeletionPolicy::Retain),
        ("DataBucket".to_string(), DeletionPolicy::Delete),
    ]);
    let buckets = vec![
        BucketContents {
            bucket: format!("{}-data-123456789012", stack.name),
            objects: 1200,
            versions: 3400,
            delete_markers: 600,
            bytes: 5 * 1024 * 1024,
            versioned: true,
            ..Default::default()
        },
        BucketContents {
            bucket: "kept-uploads".into(),
            objects: 4,
            bytes: 4096,
            ..Default::default()
        },
    ];
    let assessment = assess(stack, &[], &AbandonPolicy::default(), now());
    let plan = build_plan(
        stack,
        &resources,
        &policies,
        buckets,
        vec![format!("/aws/lambda/{}-list", stack.name)],
        vec![],
    );
    StackPlan {
        stack: stack.clone(),
        assessment,
        plan,
    }
}

pub(crate) fn key(c: char) -> Action {
    Action::Input(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

pub(crate) fn type_text(a: &mut App, text: &str) {
    for c in text.chars() {
        a.update(key(c));
    }
}

/// The list filtered to abandoned stacks, the teardown of legacy-quiz-dev planned.
fn planned() -> App {
    let mut a = loaded();
    a.update(Action::Command(Command::AbandonedFilter));
    plan_one(&mut a);
    a
}

/// `D` on the focused stack, and the plan of that one stack answered.
fn plan_one(a: &mut App) {
    let effects = a.update(Action::Command(Command::Teardown));
    let Some(Effect::Teardown(TeardownEffect::Plan {
        request_id, stacks, ..
    })) = effects.first()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(stacks.len(), 1);
    let plan = plan_for(&stacks[0]);
    let request_id = *request_id;
    a.update(Action::Teardown(TeardownMsg::Planned {
        request_id,
        result: Box::new(Ok(("123456789012".into(), vec![plan]))),
    }));
}

#[test]
fn abandoned_view() {
    let mut a = loaded();
    insta::assert_snapshot!(
        "teardown__stacks_assessed",
        draw_sized(&a, 140, 14).backend()
    );
    a.update(Action::Command(Command::AbandonedFilter));
    let names: Vec<&str> = a
        .stacks
        .view
        .iter()
        .map(|&i| a.stacks.stacks[i].name.as_str())
        .collect();
    assert_eq!(
        names,
        ["legacy-quiz-dev"],
        "survey-dev was updated 22 days ago (limit 30)"
    );
    insta::assert_snapshot!("teardown__abandoned", draw_sized(&a, 140, 12).backend());
}

#[test]
fn the_plan_says_what_the_teardown_saves_once_the_estimate_arrives() {
    use crate::domain::cost::{CostItem, StackCost};
    let mut a = planned();
    let t = a.views.teardown().unwrap();
    let (request_id, stack) = (t.cost_request, t.plans[0].stack.clone());
    assert!(request_id > 0, "the plan asked for an estimate");
    let line = |logical: &str, resource: &str, usage_type: &str, monthly: f64| CostItem {
        service: "S3".into(),
        resource: resource.into(),
        logical_id: Some(logical.into()),
        usage_type: usage_type.into(),
        quantity: monthly / 0.023,
        unit: "GB-month".into(),
        unit_price: 0.023,
        monthly_usd: monthly,
        fixed: false,
        source: "ListObjectVersions STANDARD (every version)".into(),
        price_source: "https://aws.amazon.com/s3/pricing/".into(),
        price_read: "2025-06-01".into(),
    };
    let breakdown = vec![
        line(
            "DataBucket",
            "legacy-quiz-dev-data-123456789012",
            "Storage (Standard)",
            4.6,
        ),
        line("UploadsBucket", "kept-uploads", "Storage (Standard)", 1.15),
    ];
    let cost = StackCost {
        stack: stack.name.clone(),
        stack_id: stack.id.clone(),
        region: stack.region.clone(),
        currency: "USD".into(),
        days: 30,
        monthly_usd: 5.75,
        fixed_usd: 0.0,
        breakdown,
        unpriced: vec![],
        notes: vec![],
    };
    a.update(Action::Cost(CostMsg::Estimated {
        request_id,
        result: Ok(vec![cost]),
    }));
    let t = draw_sized(&a, 140, 20);
    let screen = format!("{:?}", t.backend());
    assert!(screen.contains("saves about $4.60/month"), "{screen}");
    assert!(screen.contains("kept-uploads"), "{screen}");
    insta::assert_snapshot!("teardown__plan_savings", t.backend());
}

#[test]
fn plan_confirm_countdown_progress() {
    let mut a = planned();
    insta::assert_snapshot!("teardown__plan", draw_sized(&a, 140, 20).backend());

    a.update(Action::Command(Command::Open));
    assert!(a.input_focused());
    type_text(&mut a, "legacy-quiz");
    insta::assert_snapshot!("teardown__confirm_typed", draw_sized(&a, 140, 20).backend());
    // A wrong name does not start anything.
    a.update(Action::Input(KeyEvent::new(
        KeyCode::Enter,
        KeyModifiers::NONE,
    )));
    let t = a.views.teardown().unwrap();
    assert_eq!(t.phase, Phase::Confirm);
    type_text(&mut a, "-dev");
    a.update(Action::Input(KeyEvent::new(
        KeyCode::Enter,
        KeyModifiers::NONE,
    )));
    assert_eq!(
        a.views.teardown().unwrap().phase,
        Phase::Countdown(COUNTDOWN_TICKS)
    );
    for _ in 0..COUNTDOWN_TICKS - 1 {
        assert!(a.update(Action::Tick).is_empty());
    }
    let effects = a.update(Action::Tick);
    let Some(Effect::Teardown(TeardownEffect::Run { plans, account, .. })) = effects.first() else {
        panic!("{effects:?}")
    };
    assert_eq!((plans.len(), account.as_str()), (1, "123456789012"));
    let id = plans[0].stack.id.clone();
    let bucket = plans[0].plan.buckets[0].bucket.clone();
    a.update(Action::Teardown(TeardownMsg::Progress {
        stack_id: id.clone(),
        progress: Progress::Phase("emptying 1 bucket(s)".into()),
    }));
    a.update(Action::Teardown(TeardownMsg::Progress {
        stack_id: id.clone(),
        progress: Progress::Bucket {
            bucket,
            deleted: 2000,
            total: 4000,
        },
    }));
    for (mins, logical, status) in [
        (3, "legacy-quiz-dev", "DELETE_IN_PROGRESS"),
        (2, "ItemsTable", "DELETE_COMPLETE"),
    ] {
        a.update(Action::Teardown(TeardownMsg::Progress {
            stack_id: id.clone(),
            progress: Progress::Event(StackEvent {
                timestamp: now() - chrono::Duration::minutes(mins),
                logical_id: logical.into(),
                resource_type: "AWS::CloudFormation::Stack".into(),
                status: status.into(),
                reason: None,
            }),
        }));
    }
    insta::assert_snapshot!("teardown__progress", draw_sized(&a, 120, 16).backend());
    a.update(Action::Teardown(TeardownMsg::Outcome(Outcome {
        note: None,
        stack_name: "legacy-quiz-dev".into(),
        stack_id: id,
        result: OutcomeKind::Deleted,
        steps: vec![],
        refusals: vec![],
        failed_resources: vec![],
        error: None,
    })));
    a.update(Action::Teardown(TeardownMsg::Finished));
    assert_eq!(a.views.teardown().unwrap().phase, Phase::Done);
    let effects = a.update(Action::Command(Command::Back));
    assert!(matches!(
        effects.first(),
        Some(Effect::Stacks(StacksEffect::Load { .. }))
    ));
    assert!(a.views.teardown().is_none());
}

/// `planned()` confirmed and counted down: the teardown task runs.
fn running() -> (App, tokio_util::sync::CancellationToken) {
    let mut a = planned();
    a.update(Action::Command(Command::Open));
    type_text(&mut a, "legacy-quiz-dev");
    a.update(Action::Input(KeyEvent::new(
        KeyCode::Enter,
        KeyModifiers::NONE,
    )));
    for _ in 0..COUNTDOWN_TICKS - 1 {
        a.update(Action::Tick);
    }
    let effects = a.update(Action::Tick);
    let Some(Effect::Teardown(TeardownEffect::Run { cancel, .. })) = effects.first() else {
        panic!("{effects:?}")
    };
    (a, cancel.clone())
}

#[test]
fn quitting_while_a_teardown_runs_asks_and_stops_between_steps() {
    let (mut a, cancel) = running();
    a.update(Action::Command(Command::Quit));
    assert!(a.confirm_quit && !a.should_quit);
    insta::assert_snapshot!("teardown__quit_question", draw_sized(&a, 120, 16).backend());
    // While asked, every key is the answer (ctrl-c included): others change nothing.
    let ctrl_c =
        crossterm::event::Event::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert!(matches!(a.map_event(&ctrl_c), Some(Action::Input(_))));
    a.update(key('x'));
    assert!(a.confirm_quit);
    // No: the teardown goes on untouched.
    a.update(key('n'));
    assert!(!a.confirm_quit && !a.should_quit && !cancel.is_cancelled());
    assert_eq!(a.views.teardown().unwrap().phase, Phase::Running);
    // The palette's quit asks the same; yes stops the runner between steps.
    a.run_palette(crate::app::palette::PaletteAction::Quit);
    assert!(a.confirm_quit);
    a.update(key('y'));
    assert!(cancel.is_cancelled(), "the runner is told to stop");
    assert!(!a.should_quit, "the console waits for the runner to stop");
    a.update(Action::Command(Command::Quit));
    assert!(!a.confirm_quit, "asked once");
    a.update(Action::Teardown(TeardownMsg::Outcome(Outcome {
        note: None,
        stack_name: "legacy-quiz-dev".into(),
        stack_id: a.views.teardown().unwrap().plans[0].stack.id.clone(),
        result: OutcomeKind::Cancelled,
        steps: vec![],
        refusals: vec![],
        failed_resources: vec![],
        error: None,
    })));
    a.update(Action::Teardown(TeardownMsg::Finished));
    assert!(a.should_quit);
}

#[test]
fn quitting_with_no_teardown_running_quits_at_once() {
    let mut a = planned();
    a.update(Action::Command(Command::Quit));
    assert!(a.should_quit && !a.confirm_quit);
}

/// `planned()` with a table under deletion protection and a bucket under COMPLIANCE.
fn planned_with_blockers() -> App {
    use crate::domain::teardown::{Blocker, Lift};
    let mut a = planned();
    let t = a.views.teardown_mut().unwrap();
    let blocker = |id: &str, kind: &'static str, lift: Lift, by: &str| Blocker {
        logical_id: id.into(),
        resource_type: "AWS::DynamoDB::Table".into(),
        physical_id: Some(format!("legacy-quiz-dev-{id}")),
        kind,
        why: format!("{kind} is on"),
        lift,
        lifted_by: by.into(),
        until: None,
        lifted: false,
        unprotect: None,
    };
    t.plans[0].plan.blockers = vec![blocker(
        "ItemsTable",
        "deletion_protection",
        Lift::DisableDeletionProtection,
        "--disable-deletion-protection",
    )];
    let lifts = t.lifts;
    t.choose_lifts(lifts);
    a
}

#[test]
fn blockers_stand_on_top_until_a_flag_lifts_them_and_the_run_carries_it() {
    let mut a = planned_with_blockers();
    insta::assert_snapshot!("teardown__blocked", draw_sized(&a, 140, 20).backend());
    // Blocked: enter does not reach the confirmation.
    a.update(Action::Command(Command::Open));
    assert_eq!(a.views.teardown().unwrap().phase, Phase::Review);
    // `p` lifts deletion protection; the confirmation names the flag.
    a.update(Action::Command(Command::TeardownDisableProtection));
    assert!(a.views.teardown().unwrap().allowed());
    a.update(Action::Command(Command::Open));
    assert_eq!(a.views.teardown().unwrap().phase, Phase::Confirm);
    let screen = format!("{:?}", draw_sized(&a, 140, 20).backend());
    assert!(screen.contains("--disable-deletion-protection"), "{screen}");
    type_text(&mut a, "legacy-quiz-dev");
    a.update(Action::Input(KeyEvent::new(
        KeyCode::Enter,
        KeyModifiers::NONE,
    )));
    for _ in 0..COUNTDOWN_TICKS - 1 {
        a.update(Action::Tick);
    }
    let effects = a.update(Action::Tick);
    let Some(Effect::Teardown(TeardownEffect::Run { settings, .. })) = effects.first() else {
        panic!("{effects:?}")
    };
    assert!(settings.lifts.disable_deletion_protection);
    assert!(!settings.lifts.bypass_governance_retention);
}

#[test]
fn a_flag_toggled_twice_leaves_the_blocker_standing() {
    let mut a = planned_with_blockers();
    a.update(Action::Command(Command::TeardownDisableProtection));
    a.update(Action::Command(Command::TeardownDisableProtection));
    let t = a.views.teardown().unwrap();
    assert!(!t.allowed());
    assert_eq!(t.plans[0].plan.blocked_by().count(), 1);
    // GOVERNANCE bypass lifts nothing here: deletion protection still stands.
    a.update(Action::Command(Command::TeardownBypassGovernance));
    assert!(!a.views.teardown().unwrap().allowed());
}

#[test]
fn any_key_cancels_the_countdown() {
    let mut a = planned();
    a.update(Action::Command(Command::Open));
    type_text(&mut a, "legacy-quiz-dev");
    a.update(Action::Input(KeyEvent::new(
        KeyCode::Enter,
        KeyModifiers::NONE,
    )));
    a.update(Action::Tick);
    insta::assert_snapshot!("teardown__countdown", draw_sized(&a, 140, 20).backend());
    // `q` during the countdown cancels; it does not quit and nothing runs.
    let ev = crossterm::event::Event::Key(KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE));
    let action = a.map_event(&ev).unwrap();
    assert!(a.update(action).is_empty());
    assert!(!a.should_quit);
    assert_eq!(a.views.teardown().unwrap().phase, Phase::Review);
    for _ in 0..20 {
        assert!(a.update(Action::Tick).is_empty());
    }
}

#[test]
fn refused_plan_cannot_be_confirmed() {
    let mut a = loaded();
    // payments-poc-dev (protected) with the cursor on it.
    while a.stacks.selected().unwrap().name != "payments-poc-dev" {
        a.update(Action::Command(Command::Down));
    }
    let effects = a.update(Action::Command(Command::Teardown));
    let Some(Effect::Teardown(TeardownEffect::Plan {
        request_id, stacks, ..
    })) = effects.first()
    else {
        panic!()
    };
    let mut plan = plan_for(&stacks[0]);
    plan.plan.refusals.push(crate::domain::teardown::Refusal {
        guard: "protected",
        reason: "stack payments-poc-dev is protected: tagged protoctl:keep=true".into(),
    });
    let request_id = *request_id;
    a.update(Action::Teardown(TeardownMsg::Planned {
        request_id,
        result: Box::new(Ok(("123456789012".into(), vec![plan]))),
    }));
    a.update(Action::Command(Command::Open));
    assert_eq!(a.views.teardown().unwrap().phase, Phase::Review);
    insta::assert_snapshot!("teardown__refused", draw_sized(&a, 140, 20).backend());
}

#[test]
fn several_stacks_confirm_by_count_and_read_only_refuses() {
    let mut a = loaded();
    a.update(Action::Command(Command::Mark));
    a.update(Action::Command(Command::Mark));
    assert_eq!(a.stacks.marked.len(), 2);
    let effects = a.update(Action::Command(Command::Teardown));
    let Some(Effect::Teardown(TeardownEffect::Plan {
        request_id, stacks, ..
    })) = effects.first()
    else {
        panic!()
    };
    assert_eq!(stacks.len(), 2);
    let plans = stacks.iter().map(plan_for).collect();
    let request_id = *request_id;
    a.update(Action::Teardown(TeardownMsg::Planned {
        request_id,
        result: Box::new(Ok(("123456789012".into(), plans))),
    }));
    assert_eq!(a.views.teardown().unwrap().expected_confirmation(), "2");
    a.header.read_only = true;
    a.update(Action::Command(Command::Open));
    assert_eq!(a.views.teardown().unwrap().phase, Phase::Review);
    a.header.read_only = false;
    a.update(Action::Command(Command::Open));
    type_text(&mut a, "2");
    a.update(Action::Input(KeyEvent::new(
        KeyCode::Enter,
        KeyModifiers::NONE,
    )));
    assert!(matches!(
        a.views.teardown().unwrap().phase,
        Phase::Countdown(_)
    ));
    assert_clean(&draw(&a));
}

#[test]
fn leaving_a_plan_that_did_not_run_goes_back_where_it_was_opened_without_a_reload() {
    // From the detail of the abandoned stack: the plan, then esc.
    let mut a = loaded();
    a.update(Action::Command(Command::AbandonedFilter));
    a.update(Action::Command(Command::Open));
    assert_eq!(a.screen(), crate::app::Screen::Detail);
    plan_one(&mut a);
    assert_eq!(a.screen(), crate::app::Screen::Teardown);
    let effects = a.update(Action::Command(Command::Back));
    assert!(effects.is_empty(), "{effects:?}");
    assert_eq!(a.screen(), crate::app::Screen::Detail);
    assert!(a.views.teardown().is_none());
}
