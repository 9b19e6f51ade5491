//! `update` tests: made-up results in, state and follow-up effects checked.

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::app::detail::DetailEffect;
use crate::app::detail::DetailMsg;
use crate::app::stacks::StacksEffect;
use crate::app::stacks::StacksMsg;
use crate::domain::stack::Stack;

pub(crate) fn stack(name: &str, status: &str, created_day: u32) -> Stack {
    Stack {
        status: status.into(),
        tags: BTreeMap::from([
            ("protoctl:prototype".to_string(), "true".to_string()),
            ("owner".to_string(), format!("{name}-owner")),
        ]),
        ..Stack::sample(
            name,
            Utc.with_ymd_and_hms(2026, 11, created_day, 9, 0, 0)
                .unwrap(),
        )
    }
}

fn app() -> App {
    let km = Keymap::load(&toml::Table::new()).unwrap();
    App::new(
        km,
        Clock::new(Some(Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap())),
        HeaderInfo::default(),
        crate::app::Settings::default(),
    )
}

fn ready(app: &mut App) -> u64 {
    let ctx = crate::app::test_connection(None, "http://127.0.0.1:1");
    let effects = app.update(Action::AwsReady(Ok(ctx)));
    match effects.as_slice() {
        [Effect::Stacks(StacksEffect::Load { request_id })] => *request_id,
        other => panic!("expected LoadStacks, got {other:?}"),
    }
}

fn key(c: char) -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

#[test]
fn loads_stacks_when_aws_is_ready() {
    let mut a = app();
    assert!(
        a.update(Action::Command(Command::Refresh)).is_empty(),
        "no AWS yet: no effect"
    );
    let id = ready(&mut a);
    assert_eq!(a.stacks.load, stacks::LoadState::Loading);
    a.update(Action::Stacks(StacksMsg::Loaded {
        request_id: id,
        result: Ok(vec![
            stack("b", "CREATE_COMPLETE", 2),
            stack("a", "UPDATE_COMPLETE", 3),
        ]),
    }));
    assert_eq!(a.stacks.load, stacks::LoadState::Loaded);
    assert_eq!(a.stacks.selected().unwrap().name, "a");
}

#[test]
fn stale_results_are_dropped() {
    let mut a = app();
    let first = ready(&mut a);
    let second = match a.update(Action::Command(Command::Refresh)).as_slice() {
        [Effect::Stacks(StacksEffect::Load { request_id })] => *request_id,
        other => panic!("{other:?}"),
    };
    assert_ne!(first, second);
    a.update(Action::Stacks(StacksMsg::Loaded {
        request_id: first,
        result: Ok(vec![stack("old", "CREATE_COMPLETE", 1)]),
    }));
    assert!(a.stacks.stacks.is_empty(), "stale result must be ignored");
    a.update(Action::Stacks(StacksMsg::Loaded {
        request_id: second,
        result: Ok(vec![stack("new", "CREATE_COMPLETE", 1)]),
    }));
    assert_eq!(a.stacks.stacks[0].name, "new");
}

#[test]
fn failure_keeps_old_rows_and_notifies() {
    let mut a = app();
    let id = ready(&mut a);
    a.update(Action::Stacks(StacksMsg::Loaded {
        request_id: id,
        result: Ok(vec![stack("a", "CREATE_COMPLETE", 1)]),
    }));
    let id2 = match a.update(Action::Command(Command::Refresh)).as_slice() {
        [Effect::Stacks(StacksEffect::Load { request_id })] => *request_id,
        other => panic!("{other:?}"),
    };
    a.update(Action::Stacks(StacksMsg::Loaded {
        request_id: id2,
        result: Err("DescribeStacks: throttled".into()),
    }));
    assert_eq!(a.stacks.stacks.len(), 1);
    assert_eq!(a.notifications.back().unwrap().level, Level::Error);
    for _ in 0..NOTIFY_TICKS {
        a.update(Action::Tick);
    }
    assert!(a.notifications.is_empty(), "notifications expire");
}

#[test]
fn filter_input_and_sort() {
    let mut a = app();
    let id = ready(&mut a);
    a.update(Action::Stacks(StacksMsg::Loaded {
        request_id: id,
        result: Ok(vec![
            stack("orders-dev", "CREATE_COMPLETE", 1),
            stack("survey-dev", "CREATE_COMPLETE", 5),
            stack("ledger-dev", "UPDATE_IN_PROGRESS", 3),
        ]),
    }));
    let slash = a.map_event(&key('/')).unwrap();
    a.update(slash);
    assert!(a.input_focused());
    for c in "sur".chars() {
        let act = a.map_event(&key(c)).unwrap();
        assert!(
            matches!(act, Action::Input(_)),
            "typing goes to the filter, not the keymap"
        );
        a.update(act);
    }
    assert_eq!(a.stacks.view.len(), 1);
    a.update(Action::Input(KeyEvent::new(
        KeyCode::Enter,
        KeyModifiers::NONE,
    )));
    assert!(!a.input_focused());
    a.update(Action::Command(Command::Back));
    assert_eq!(a.stacks.view.len(), 3, "esc clears the filter");
    a.update(Action::Command(Command::Sort)); // status
    assert_eq!(a.stacks.selected().unwrap().status, "CREATE_COMPLETE");
    a.update(Action::Command(Command::Sort)); // age: youngest first
    let names: Vec<_> = a
        .stacks
        .view
        .iter()
        .map(|&i| a.stacks.stacks[i].name.as_str())
        .collect();
    assert_eq!(names, ["survey-dev", "ledger-dev", "orders-dev"]);
}

/// The stack list holding orders-dev, after `enter` on it: the app and the effects.
fn opening_orders_dev() -> (App, Vec<Effect>) {
    let mut a = app();
    let id = ready(&mut a);
    a.update(Action::Stacks(StacksMsg::Loaded {
        request_id: id,
        result: Ok(vec![stack("orders-dev", "CREATE_COMPLETE", 1)]),
    }));
    let effects = a.update(Action::Command(Command::Open));
    (a, effects)
}

#[test]
fn open_detail_then_back() {
    let (mut a, effects) = opening_orders_dev();
    let (rid, sid) = match effects.as_slice() {
        [
            Effect::Detail(DetailEffect::Load {
                request_id,
                stack_id,
                ..
            }),
        ] => (*request_id, stack_id.clone()),
        other => panic!("{other:?}"),
    };
    assert_eq!(a.screen(), Screen::Detail);
    assert!(sid.contains("orders-dev"));
    let st = stack("orders-dev", "CREATE_COMPLETE", 1);
    a.update(Action::Detail(DetailMsg::Loaded {
        request_id: rid,
        result: Box::new(Ok(DetailData {
            stack: st,
            resources: vec![],
            events: vec![],
        })),
    }));
    assert_eq!(a.views.detail().unwrap().load, stacks::LoadState::Loaded);
    a.update(Action::Command(Command::Back));
    assert_eq!(a.screen(), Screen::Stacks);
    assert!(a.views.detail().is_none());
}

#[test]
fn every_screen_of_an_open_stack_works_in_its_profile_and_region() {
    let mut a = app();
    let id = ready(&mut a);
    let mut st = stack("orders-dev", "CREATE_COMPLETE", 1);
    st.region = "eu-west-1".into();
    st.profile = Some("sandbox".into());
    a.update(Action::Stacks(StacksMsg::Loaded {
        request_id: id,
        result: Ok(vec![st.clone()]),
    }));
    let scope = crate::domain::stack::Scope {
        profile: Some("sandbox".into()),
        region: "eu-west-1".into(),
    };
    let effects = a.update(Action::Command(Command::Open));
    let [Effect::Detail(DetailEffect::Load { request_id, .. })] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    assert_eq!(
        effects[0].scope(),
        Some(&scope),
        "the detail loads where the stack is"
    );
    // The describe result knows no profile: the open stack keeps the one that found it.
    a.update(Action::Detail(DetailMsg::Loaded {
        request_id: *request_id,
        result: Box::new(Ok(DetailData {
            stack: Stack {
                profile: None,
                ..st
            },
            resources: vec![],
            events: vec![],
        })),
    }));
    for cmd in [Command::S3Buckets, Command::DynamoTables, Command::Logs] {
        let effects = a.update(Action::Command(cmd));
        assert!(!effects.is_empty(), "{cmd:?}");
        for e in &effects {
            assert_eq!(e.scope(), Some(&scope), "{cmd:?}: {e:?}");
        }
        a.update(Action::Command(Command::Back));
    }
    assert_eq!(
        Effect::Stacks(StacksEffect::Load { request_id: 2 }).scope(),
        None,
        "discovery is the session's"
    );
}

#[test]
fn enter_on_a_resource_opens_its_screen() {
    let res = |l: &str, t: &str| crate::domain::stack::StackResource {
        logical_id: l.into(),
        physical_id: Some(format!("orders-dev-{l}")),
        resource_type: t.into(),
        status: "CREATE_COMPLETE".into(),
        stack_path: "orders-dev".into(),
    };
    for (resource_type, screen) in [
        ("AWS::DynamoDB::Table", Screen::DynamoTables),
        ("AWS::S3::Bucket", Screen::S3Buckets),
        ("AWS::Lambda::Function", Screen::Logs),
        ("AWS::SNS::Topic", Screen::Detail),
    ] {
        let (mut a, effects) = opening_orders_dev();
        let Some(Effect::Detail(DetailEffect::Load { request_id, .. })) = effects.first() else {
            panic!("{effects:?}");
        };
        a.update(Action::Detail(DetailMsg::Loaded {
            request_id: *request_id,
            result: Box::new(Ok(DetailData {
                stack: stack("orders-dev", "CREATE_COMPLETE", 1),
                resources: vec![res("Thing", resource_type)],
                events: vec![],
            })),
        }));
        while a.views.detail().unwrap().selected_resource().is_none() {
            a.update(Action::Command(Command::Down));
        }
        let effects = a.update(Action::Command(Command::Open));
        assert_eq!(a.screen(), screen, "{resource_type}: {effects:?}");
        assert_eq!(
            effects.is_empty(),
            screen == Screen::Detail,
            "{resource_type}"
        );
    }
}

#[test]
fn help_toggles_and_quit_quits() {
    let mut a = app();
    let act = a.map_event(&key('?')).unwrap();
    a.update(act);
    assert!(a.show_help);
    let act = a.map_event(&key('x')).unwrap();
    a.update(act);
    assert!(!a.show_help, "any key closes help");
    let act = a.map_event(&key('q')).unwrap();
    a.update(act);
    assert!(a.should_quit);
}

/// The effect of a key on the focused screen, through the key map.
fn press(a: &mut App, c: char) -> Vec<Effect> {
    let action = a.map_event(&key(c)).expect("bound");
    a.update(action)
}

fn copied(effects: &[Effect]) -> (&'static str, String) {
    match effects {
        [Effect::CopyNamed { what, text }] => (*what, text.clone()),
        other => panic!("expected one copy, got {other:?}"),
    }
}

#[test]
fn y_copies_the_stack_id_and_o_its_console_page() {
    let (mut a, _) = opening_orders_dev();
    a.update(Action::Command(Command::Back));
    let (what, text) = copied(&press(&mut a, 'y'));
    assert_eq!(what, "stack id");
    assert_eq!(
        text,
        "arn:aws:cloudformation:us-east-1:123456789012:stack/orders-dev/0000"
    );
    let (what, url) = copied(&press(&mut a, 'o'));
    assert_eq!(what, "console URL");
    assert_eq!(
        url,
        crate::domain::console_url::stack("us-east-1", &text),
        "the stack's page in its region"
    );
    assert_eq!(
        copy::copied_note(what, &url),
        format!("console URL copied: {url}")
    );
}

#[test]
fn y_and_o_on_a_resource_of_the_detail() {
    let (mut a, effects) = opening_orders_dev();
    let Some(Effect::Detail(DetailEffect::Load { request_id, .. })) = effects.first() else {
        panic!("{effects:?}");
    };
    let res = |l: &str, t: &str| crate::domain::stack::StackResource {
        logical_id: l.into(),
        physical_id: Some(format!("orders-dev-{l}")),
        resource_type: t.into(),
        status: "CREATE_COMPLETE".into(),
        stack_path: "orders-dev".into(),
    };
    a.update(Action::Detail(DetailMsg::Loaded {
        request_id: *request_id,
        result: Box::new(Ok(DetailData {
            stack: stack("orders-dev", "CREATE_COMPLETE", 1),
            resources: vec![
                res("Create", "AWS::Lambda::Function"),
                res("Perm", "AWS::Lambda::Permission"),
            ],
            events: vec![],
        })),
    }));
    while a.views.detail().unwrap().selected_resource().is_none() {
        a.update(Action::Command(Command::Down));
    }
    assert_eq!(
        copied(&press(&mut a, 'y')),
        ("physical id", "orders-dev-Create".to_string())
    );
    let (_, url) = copied(&press(&mut a, 'o'));
    assert!(
        url.ends_with("/lambda/home?region=us-east-1#/functions/orders-dev-Create"),
        "{url}"
    );
    // A type without a page of its own: a note, no copy.
    a.update(Action::Command(Command::Down));
    assert!(press(&mut a, 'o').is_empty());
    assert_eq!(
        a.notifications.back().map(|n| n.text.as_str()),
        Some("no console page for this")
    );
}

#[test]
fn the_copy_note_is_one_safe_bounded_line() {
    let note = copy::copied_note("log message", "a\u{1b}[31mred\nsecond line");
    assert!(!note.contains('\u{1b}') && !note.contains('\n'), "{note:?}");
    assert!(note.starts_with("log message copied: a") && note.ends_with('…'));
    assert!(copy::copied_note("x", &"z".repeat(10_000)).chars().count() < 500);
}
