//! Render snapshots: TestBackend at a fixed size, a pinned clock, sorted data.

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::{Theme, render};
use crate::app::detail::DetailData;
use crate::app::detail::DetailEffect;
use crate::app::detail::DetailMsg;
use crate::app::keymap::{Command, Keymap};
use crate::app::stacks::StacksEffect;
use crate::app::stacks::StacksMsg;
use crate::app::{Action, App, Effect, HeaderInfo};
use crate::config::Theme as ThemeName;
use crate::domain::stack::StackEvent;
use crate::domain::stack::{Stack, StackResource};
use crate::domain::time::Clock;

pub(crate) fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap()
}

pub(crate) fn demo_stack(name: &str, status: &str, days_old: i64, tags: &[(&str, &str)]) -> Stack {
    Stack {
        id: format!("arn:aws:cloudformation:us-east-1:123456789012:stack/{name}/6f1c"),
        status: status.into(),
        last_updated: (days_old > 3).then(|| now() - chrono::Duration::days(days_old / 2)),
        tags: tags
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect(),
        termination_protection: name.starts_with("ledger"),
        outputs: BTreeMap::from([
            (
                "ServiceEndpoint".to_string(),
                format!("https://abc123.execute-api.us-east-1.amazonaws.com/dev/{name}"),
            ),
            ("UserPoolId".to_string(), "us-east-1_Demo1234".to_string()),
        ]),
        description: Some("The AWS CloudFormation template for this Serverless application".into()),
        ..Stack::sample(name, now() - chrono::Duration::days(days_old))
    }
}

pub(crate) fn app() -> App {
    let header = HeaderInfo {
        connection: String::new(),
        filters: "protoctl:prototype=true, team=proto-lab".into(),
        read_only: false,
    };
    App::new(
        Keymap::load(&toml::Table::new()).unwrap(),
        Clock::new(Some(now())),
        header,
        crate::app::Settings::default(),
    )
}

/// Marks the AWS context ready and returns the stack-list request id.
pub(crate) fn ready(app: &mut App) -> u64 {
    let ctx = crate::app::test_connection(Some("demo"), "http://127.0.0.1:5000");
    match app.update(Action::AwsReady(Ok(ctx))).as_slice() {
        [Effect::Stacks(StacksEffect::Load { request_id })] => *request_id,
        other => panic!("{other:?}"),
    }
}

pub(crate) fn demo_stacks() -> Vec<Stack> {
    let base = [("protoctl:prototype", "true"), ("team", "proto-lab")];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut t = base.to_vec();
        t.extend_from_slice(extra);
        t
    };
    vec![
        demo_stack(
            "orders-dev",
            "UPDATE_COMPLETE",
            12,
            &with(&[("owner", "ana")]),
        ),
        demo_stack(
            "survey-dev",
            "CREATE_COMPLETE",
            45,
            &with(&[("owner", "ben")]),
        ),
        demo_stack(
            "legacy-quiz-dev",
            "CREATE_COMPLETE",
            300,
            &with(&[("expires-at", "2026-01-31")]),
        ),
        demo_stack(
            "ledger-dev",
            "UPDATE_IN_PROGRESS",
            2,
            &with(&[("owner", "eve")]),
        ),
        demo_stack(
            "payments-poc-dev",
            "UPDATE_ROLLBACK_FAILED",
            90,
            &with(&[("protoctl:keep", "true")]),
        ),
    ]
}

/// Renders the app into a fixed 100x24 buffer.
pub(crate) fn draw(app: &App) -> Terminal<TestBackend> {
    draw_sized(app, 100, 24)
}

pub(crate) fn draw_sized(app: &App, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    let theme = Theme::new(ThemeName::Dark, false);
    t.draw(|f| render(f, app, &theme)).unwrap();
    t
}

#[test]
fn stacks_loading() {
    let mut a = app();
    ready(&mut a);
    insta::assert_snapshot!("stacks__loading", draw(&a).backend());
}

#[test]
fn stacks_loaded() {
    let mut a = app();
    let id = ready(&mut a);
    a.update(Action::Stacks(StacksMsg::Loaded {
        request_id: id,
        result: Ok(demo_stacks()),
    }));
    a.update(Action::Command(Command::Down));
    insta::assert_snapshot!("stacks__loaded", draw(&a).backend());
}

#[test]
fn stacks_empty() {
    let mut a = app();
    let id = ready(&mut a);
    a.update(Action::Stacks(StacksMsg::Loaded {
        request_id: id,
        result: Ok(vec![]),
    }));
    insta::assert_snapshot!("stacks__empty", draw(&a).backend());
}

#[test]
fn stacks_error() {
    let mut a = app();
    let id = ready(&mut a);
    a.update(Action::Stacks(StacksMsg::Loaded {
        request_id: id,
        result: Err("DescribeStacks: ExpiredToken: The security token included in the request is expired (credentials expired or invalid: run `aws sso login` or check your profile)".into()),
    }));
    insta::assert_snapshot!("stacks__error", draw(&a).backend());
}

#[test]
fn stacks_help() {
    let mut a = app();
    let id = ready(&mut a);
    a.update(Action::Stacks(StacksMsg::Loaded {
        request_id: id,
        result: Ok(demo_stacks()),
    }));
    a.update(Action::Command(Command::Help));
    insta::assert_snapshot!("stacks__help", draw_sized(&a, 100, 30).backend());
}

pub(crate) fn detail_data(stack: Stack) -> DetailData {
    let r = |l: &str, p: &str, t: &str| StackResource {
        logical_id: l.into(),
        physical_id: Some(p.into()),
        resource_type: t.into(),
        status: "CREATE_COMPLETE".into(),
        stack_path: "orders-dev".into(),
    };
    let ev = |mins: i64, l: &str, s: &str, reason: Option<&str>| StackEvent {
        timestamp: now() - chrono::Duration::minutes(mins),
        logical_id: l.into(),
        resource_type: "AWS::CloudFormation::Stack".into(),
        status: s.into(),
        reason: reason.map(Into::into),
    };
    DetailData {
        stack,
        resources: vec![
            r("ApiGatewayRestApi", "abc123", "AWS::ApiGateway::RestApi"),
            r(
                "CreateLambdaFunction",
                "orders-dev-create",
                "AWS::Lambda::Function",
            ),
            r(
                "CreateLogGroup",
                "/aws/lambda/orders-dev-create",
                "AWS::Logs::LogGroup",
            ),
            r(
                "DataBucket",
                "orders-dev-data-123456789012",
                "AWS::S3::Bucket",
            ),
            r(
                "IamRoleLambdaExecution",
                "orders-dev-us-east-1-lambdaRole",
                "AWS::IAM::Role",
            ),
            r("ItemsTable", "orders-dev-items", "AWS::DynamoDB::Table"),
            r(
                "ListLambdaFunction",
                "orders-dev-list",
                "AWS::Lambda::Function",
            ),
            r(
                "ServerlessDeploymentBucket",
                "orders-dev-serverlessdeploymentbucket-1x2y",
                "AWS::S3::Bucket",
            ),
        ],
        events: vec![
            ev(60, "orders-dev", "UPDATE_COMPLETE", None),
            ev(62, "ItemsTable", "UPDATE_COMPLETE", None),
            ev(
                65,
                "orders-dev",
                "UPDATE_IN_PROGRESS",
                Some("User Initiated"),
            ),
        ],
    }
}

/// An app that has just opened orders-dev's detail (the demo list, cursor moved to it),
/// with the detail's request id; nothing loaded yet.
pub(crate) fn on_orders_detail_loading() -> (App, u64) {
    let mut a = app();
    let id = ready(&mut a);
    a.update(Action::Stacks(StacksMsg::Loaded {
        request_id: id,
        result: Ok(demo_stacks()),
    }));
    // Sorted by name: ledger, legacy-quiz, orders, ...
    a.update(Action::Command(Command::Down));
    a.update(Action::Command(Command::Down));
    let effects = a.update(Action::Command(Command::Open));
    let Some(Effect::Detail(DetailEffect::Load { request_id, .. })) = effects.first() else {
        panic!("{effects:?}")
    };
    let request_id = *request_id;
    (a, request_id)
}

/// An app on orders-dev's loaded detail screen.
pub(crate) fn on_orders_detail() -> App {
    let (mut a, request_id) = on_orders_detail_loading();
    let stack = a.views.detail().unwrap().stack.clone();
    a.update(Action::Detail(DetailMsg::Loaded {
        request_id,
        result: Box::new(Ok(detail_data(stack))),
    }));
    a
}

#[test]
fn detail_loaded() {
    let (mut a, request_id) = on_orders_detail_loading();
    let stack = a.views.detail().unwrap().stack.clone();
    assert_eq!(stack.name, "orders-dev");
    insta::assert_snapshot!("detail__loading", draw(&a).backend());
    a.update(Action::Detail(DetailMsg::Loaded {
        request_id,
        result: Box::new(Ok(detail_data(stack))),
    }));
    a.update(Action::Command(Command::Down));
    insta::assert_snapshot!("detail__loaded", draw_sized(&a, 120, 28).backend());
}

#[test]
fn nested_stacks_show_as_a_count_and_a_tree() {
    let mut a = app();
    let id = ready(&mut a);
    let mut stacks = demo_stacks();
    stacks[0].nested_stacks = 2;
    a.update(Action::Stacks(StacksMsg::Loaded {
        request_id: id,
        result: Ok(stacks),
    }));
    a.update(Action::Command(Command::Down));
    a.update(Action::Command(Command::Down));
    insta::assert_snapshot!("stacks__nested_count", draw(&a).backend());
    let effects = a.update(Action::Command(Command::Open));
    let Some(Effect::Detail(DetailEffect::Load { request_id, .. })) = effects.first() else {
        panic!("{effects:?}")
    };
    let request_id = *request_id;
    let mut data = detail_data(a.views.detail().unwrap().stack.clone());
    data.resources.truncate(3);
    let nested = |path: &str, l: &str, p: &str, t: &str| StackResource {
        logical_id: l.into(),
        physical_id: Some(p.into()),
        resource_type: t.into(),
        status: "CREATE_COMPLETE".into(),
        stack_path: path.into(),
    };
    data.resources.extend([
        nested(
            "orders-dev",
            "Data",
            "orders-dev-Data-1A2B3C4D5E6F",
            "AWS::CloudFormation::Stack",
        ),
        nested(
            "orders-dev/Data",
            "ItemsTable",
            "orders-dev-items",
            "AWS::DynamoDB::Table",
        ),
        nested(
            "orders-dev/Data",
            "Archive",
            "orders-dev-Data-1A2B-Archive-7G8H9I0J1K2L",
            "AWS::CloudFormation::Stack",
        ),
        nested(
            "orders-dev/Data/Archive",
            "ArchiveBucket",
            "orders-dev-archive-123456789012",
            "AWS::S3::Bucket",
        ),
    ]);
    a.update(Action::Detail(DetailMsg::Loaded {
        request_id,
        result: Box::new(Ok(data)),
    }));
    // Down to the nested table, past the nested stack's heading and its service heading.
    for _ in 0..10 {
        a.update(Action::Command(Command::Down));
    }
    let d = a.views.detail().unwrap();
    assert_eq!(
        d.selected_resource().map(|r| r.logical_id.as_str()),
        Some("ItemsTable")
    );
    insta::assert_snapshot!("detail__nested_tree", draw_sized(&a, 120, 28).backend());
}

#[test]
fn hostile_strings_never_reach_the_terminal() {
    let mut a = app();
    let id = ready(&mut a);
    let evil = "\x1b]52;c;ZXZpbA==\x07\x1b[2J\u{9b}31m\u{202e}";
    let mut s = demo_stack(
        &format!("evil{evil}"),
        &format!("CREATE_COMPLETE{evil}"),
        1,
        &[("team", evil)],
    );
    s.outputs.insert(format!("Out{evil}"), format!("val{evil}"));
    s.description = Some(evil.into());
    a.update(Action::Stacks(StacksMsg::Loaded {
        request_id: id,
        result: Ok(vec![s.clone()]),
    }));
    assert_clean(&draw(&a));
    let effects = a.update(Action::Command(Command::Open));
    let Some(Effect::Detail(DetailEffect::Load { request_id, .. })) = effects.first() else {
        panic!()
    };
    let mut data = detail_data(s);
    data.resources[0].physical_id = Some(evil.into());
    data.events[0].reason = Some(evil.into());
    a.update(Action::Detail(DetailMsg::Loaded {
        request_id: *request_id,
        result: Box::new(Ok(data)),
    }));
    assert_clean(&draw_sized(&a, 120, 28));
    a.update(Action::Stacks(StacksMsg::Loaded {
        request_id: 999,
        result: Err(evil.into()),
    }));
    a.notify(crate::app::Level::Error, evil);
    assert_clean(&draw(&a));
}

/// Asserts that no cell of the buffer holds a control or bidi character.
pub(crate) fn assert_clean(t: &Terminal<TestBackend>) {
    for cell in t.backend().buffer().content() {
        for c in cell.symbol().chars() {
            assert!(
                !crate::domain::sanitize::is_unsafe_char(c),
                "unsafe char {:?} reached the buffer:\n{}",
                c,
                t.backend()
            );
        }
    }
}

#[test]
fn a_click_on_a_scrolled_list_selects_the_row_under_the_pointer() {
    use crossterm::event::{Event, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
    let mut a = app();
    let id = ready(&mut a);
    let stacks: Vec<Stack> = (0..60)
        .map(|i| demo_stack(&format!("proto-{i:02}-dev"), "CREATE_COMPLETE", 10, &[]))
        .collect();
    a.update(Action::Stacks(StacksMsg::Loaded {
        request_id: id,
        result: Ok(stacks),
    }));
    a.update(Action::Command(Command::Bottom));
    let t = draw(&a);
    // The row drawn on screen line 5 is the one a click there must select.
    let line: String = (0..100)
        .map(|x| t.backend().buffer()[(x, 5)].symbol().to_string())
        .collect();
    let click = Event::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: 10,
        row: 5,
        modifiers: KeyModifiers::NONE,
    });
    let action = a.map_event(&click).expect("a click on a row");
    a.update(action);
    let selected = a.stacks.selected().expect("a selected stack").name.clone();
    assert!(
        line.contains(&selected),
        "clicked {line:?}, selected {selected}"
    );
}

#[test]
fn stacks_from_two_accounts_show_the_account() {
    let mut a = app();
    let id = ready(&mut a);
    let mut stacks = demo_stacks();
    let single = stacks.clone();
    stacks[0].id = stacks[0].id.replace("123456789012", "222222222222");
    stacks[0].account_alias = Some("proto-sandbox".into());
    stacks[0].profile = Some("sandbox".into());
    a.update(Action::Stacks(StacksMsg::Loaded {
        request_id: id,
        result: Ok(single),
    }));
    assert!(!draw(&a).backend().to_string().contains("ACCOUNT"));
    let id = {
        a.update(Action::Command(Command::Refresh));
        a.stacks.load.request()
    };
    a.update(Action::Stacks(StacksMsg::Loaded {
        request_id: id,
        result: Ok(stacks),
    }));
    let screen = draw_sized(&a, 170, 12).backend().to_string();
    assert!(screen.contains("ACCOUNT"), "{screen}");
    assert!(
        screen.contains("222222222222 (proto-sandbox)") && screen.contains("123456789012"),
        "{screen}"
    );
    insta::assert_snapshot!("stacks__two_accounts", draw_sized(&a, 170, 12).backend());
}
