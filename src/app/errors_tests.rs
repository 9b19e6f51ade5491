//! The errors screen's state and update: opening, windows, stale results, the occurrence's
//! lines and the ERRORS column.

use chrono::{Duration, TimeZone, Utc};

use super::*;
use crate::app::keymap::Keymap;
use crate::app::stacks::LoadState;
use crate::app::stacks::StacksEffect;
use crate::app::stacks::StacksMsg;
use crate::app::{HeaderInfo, Settings};
use crate::domain::errors::Grouper;
use crate::domain::time::Clock;

pub(crate) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap()
}

fn ev(group: &str, stream: &str, function: &str, mins_ago: i64, id: &str, msg: &str) -> LogEvent {
    LogEvent {
        timestamp_ms: (now() - Duration::minutes(mins_ago)).timestamp_millis(),
        ingestion_ms: None,
        function: function.into(),
        log_group: group.into(),
        log_stream: stream.into(),
        event_id: id.into(),
        message: msg.into(),
    }
}

fn rid(n: u32) -> String {
    format!("{n:08}-aaaa-4bbb-8ccc-{n:012}")
}

/// A text-format request of `orders-dev-create` failing with `body`.
fn text_request(mins_ago: i64, n: u32, body: &str) -> Vec<LogEvent> {
    let (g, s, f) = (
        "/aws/lambda/orders-dev-create",
        "2026/11/27/[$LATEST]aaa",
        "orders-dev-create",
    );
    let req = rid(n);
    vec![
        ev(
            g,
            s,
            f,
            mins_ago,
            &format!("{n}a"),
            &format!("START RequestId: {req} Version: $LATEST"),
        ),
        ev(
            g,
            s,
            f,
            mins_ago,
            &format!("{n}b"),
            &format!("2026-11-27T10:00:00.000Z\t{req}\tINFO\tloading order"),
        ),
        ev(
            g,
            s,
            f,
            mins_ago,
            &format!("{n}c"),
            &format!("2026-11-27T10:00:00.000Z\t{req}\t{body}"),
        ),
        ev(
            g,
            s,
            f,
            mins_ago,
            &format!("{n}d"),
            &format!("END RequestId: {req}"),
        ),
        ev(
            g,
            s,
            f,
            mins_ago,
            &format!("{n}e"),
            &format!(
                "REPORT RequestId: {req}\tDuration: 12.5 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB"
            ),
        ),
    ]
}

/// A JSON-format request of `orders-dev-list` with one application error record.
fn json_request(mins_ago: i64, n: u32, card: u32) -> Vec<LogEvent> {
    let (g, s, f) = (
        "/aws/lambda/orders-dev-list",
        "2026/11/27/[$LATEST]bbb",
        "orders-dev-list",
    );
    let req = rid(n);
    vec![
        ev(
            g,
            s,
            f,
            mins_ago,
            &format!("{n}a"),
            &format!(
                "{{\"time\":\"2026-11-27T10:00:00.000Z\",\"type\":\"platform.start\",\"record\":{{\"requestId\":\"{req}\",\"version\":\"$LATEST\"}}}}"
            ),
        ),
        ev(
            g,
            s,
            f,
            mins_ago,
            &format!("{n}b"),
            &format!(
                "{{\"level\":\"ERROR\",\"message\":\"failed to charge\",\"requestId\":\"{req}\",\"error\":{{\"name\":\"CardDeclined\",\"message\":\"card {card} declined\",\"stack\":\"CardDeclined: card {card} declined\\n    at charge (/var/task/pay.js:7:9)\"}}}}"
            ),
        ),
        ev(
            g,
            s,
            f,
            mins_ago,
            &format!("{n}c"),
            &format!(
                "{{\"time\":\"2026-11-27T10:00:00.000Z\",\"type\":\"platform.report\",\"record\":{{\"requestId\":\"{req}\",\"status\":\"success\",\"metrics\":{{\"durationMs\":20.0,\"billedDurationMs\":20,\"memorySizeMB\":128,\"maxMemoryUsedMB\":70}}}}}}"
            ),
        ),
    ]
}

fn not_found(n: u32, order: u32) -> String {
    let r = rid(n);
    format!(
        "ERROR\tInvoke Error \t{{\"errorType\":\"NotFound\",\"errorMessage\":\"order {order} of {r} not found\",\"stack\":[\"NotFound: order {order} not found\",\"    at get (/var/task/orders.js:10:11)\"]}}"
    )
}

/// Events of orders-dev: NotFound twice (text), CardDeclined three times (JSON), a timeout.
pub(crate) fn events() -> Vec<LogEvent> {
    let mut out = Vec::new();
    out.extend(text_request(300, 1, &not_found(1, 17)));
    out.extend(text_request(90, 2, &not_found(2, 981)));
    out.extend(json_request(200, 3, 4242));
    out.extend(json_request(40, 4, 1881));
    out.extend(json_request(10, 5, 5555));
    let mut t = text_request(5, 6, "INFO\tcalling the db");
    t.push(ev(
        "/aws/lambda/orders-dev-create",
        "2026/11/27/[$LATEST]aaa",
        "orders-dev-create",
        5,
        "6f",
        &format!(
            "2026-11-27T10:00:00.000Z {} Task timed out after 3.00 seconds",
            rid(6)
        ),
    ));
    out.extend(t);
    out
}

/// The groups of [`events`] over the last 24 h, as the core makes them.
pub(crate) fn loaded() -> Loaded {
    let from = (now() - Duration::hours(24)).timestamp_millis();
    let mut g = Grouper::new(from, now().timestamp_millis(), 24);
    for e in &events() {
        g.add(e);
    }
    let (groups, dropped) = g.finish();
    Loaded {
        groups,
        log_groups: Vec::new(),
        functions: vec!["orders-dev-create".into(), "orders-dev-list".into()],
        truncated: false,
        dropped,
        insights: false,
    }
}

/// The events of one request of [`events`] (what the runner reads back).
pub(crate) fn request_events(n: u32) -> Vec<LogEvent> {
    let r = rid(n);
    events()
        .into_iter()
        .filter(|e| e.message.contains(&r))
        .collect()
}

fn app() -> App {
    App::new(
        Keymap::load(&toml::Table::new()).unwrap(),
        Clock::new(Some(now())),
        HeaderInfo::default(),
        Settings::default(),
    )
}

/// An app on the stack list of orders-dev and survey-dev, AWS ready; and the effects of
/// the list's arrival.
pub(crate) fn listed(a: &mut App) -> Vec<Effect> {
    let ctx = crate::app::test_connection(None, "http://127.0.0.1:1");
    let id = match a.update(Action::AwsReady(Ok(ctx))).as_slice() {
        [Effect::Stacks(StacksEffect::Load { request_id })] => *request_id,
        other => panic!("{other:?}"),
    };
    a.update(Action::Stacks(StacksMsg::Loaded {
        request_id: id,
        result: Ok(vec![
            crate::app::tests::stack("orders-dev", "CREATE_COMPLETE", 2),
            crate::app::tests::stack("survey-dev", "CREATE_COMPLETE", 3),
        ]),
    }))
}

fn load_id(effects: &[Effect]) -> (u64, (DateTime<Utc>, DateTime<Utc>)) {
    match effects {
        [Effect::Errors(Scoped { work: fx, .. })] => match fx.as_ref() {
            ErrorsEffect::Load {
                request_id, window, ..
            } => (*request_id, *window),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

/// An app on orders-dev's errors screen with [`loaded`] in.
pub(crate) fn on_errors() -> App {
    let mut a = app();
    listed(&mut a);
    let (id, _) = load_id(&a.update(Action::Command(Command::Errors)));
    a.update(action(ErrorsMsg::Loaded {
        request_id: id,
        result: Box::new(Ok(loaded())),
    }));
    a
}

#[test]
fn the_list_asks_for_error_counts_and_fills_them_in() {
    let mut a = app();
    let effects = listed(&mut a);
    let (request_id, stacks, window) = effects
        .iter()
        .find_map(|e| match e {
            Effect::Errors(Scoped { work: fx, .. }) => match fx.as_ref() {
                ErrorsEffect::Counts {
                    request_id,
                    stacks,
                    window,
                } => Some((*request_id, stacks.len(), *window)),
                _ => None,
            },
            _ => None,
        })
        .expect("a count effect");
    assert_eq!(stacks, 2);
    assert_eq!(window.1 - window.0, Duration::hours(24));
    assert!(
        a.stacks.errors.values().all(|c| *c == ErrorCount::Loading),
        "… while counting"
    );
    let id = |n: &str| {
        a.stacks
            .stacks
            .iter()
            .find(|s| s.name == n)
            .unwrap()
            .id
            .clone()
    };
    let (orders, survey) = (id("orders-dev"), id("survey-dev"));
    a.update(action(ErrorsMsg::Count {
        request_id,
        stack_id: orders.clone(),
        result: Ok(7),
    }));
    a.update(action(ErrorsMsg::Count {
        request_id,
        stack_id: survey.clone(),
        result: Err("AccessDenied".into()),
    }));
    assert_eq!(a.stacks.errors[&orders], ErrorCount::Done(7));
    assert_eq!(a.stacks.errors[&survey], ErrorCount::Failed);
    // A stale count (an earlier listing) is dropped.
    a.update(action(ErrorsMsg::Count {
        request_id: request_id + 100,
        stack_id: orders.clone(),
        result: Ok(1),
    }));
    assert_eq!(a.stacks.errors[&orders], ErrorCount::Done(7));
}

#[test]
fn e_opens_the_groups_newest_first_and_w_changes_the_window() {
    let mut a = app();
    listed(&mut a);
    let (first, window) = load_id(&a.update(Action::Command(Command::Errors)));
    assert_eq!(a.screen(), Screen::Errors);
    assert_eq!(window.1 - window.0, Duration::hours(24), "24 h by default");
    assert_eq!(a.views.errors().unwrap().stack.name, "orders-dev");
    let (second, window) = load_id(&a.update(Action::Command(Command::ErrorsWindow)));
    assert_eq!(window.1 - window.0, Duration::days(7));
    // The first answer is stale now.
    a.update(action(ErrorsMsg::Loaded {
        request_id: first,
        result: Box::new(Ok(loaded())),
    }));
    assert_eq!(a.views.errors().unwrap().load, LoadState::Loading);
    a.update(action(ErrorsMsg::Loaded {
        request_id: second,
        result: Box::new(Ok(loaded())),
    }));
    let st = a.views.errors().unwrap();
    let summary: Vec<(&str, u64)> = st
        .data
        .groups
        .iter()
        .map(|g| (g.error_type.as_str(), g.count))
        .collect();
    assert_eq!(
        summary,
        [
            ("Sandbox.Timedout", 1),
            ("CardDeclined", 3),
            ("NotFound", 2)
        ]
    );
    let (_, window) = load_id(&a.update(Action::Command(Command::ErrorsWindow)));
    assert_eq!(window.1 - window.0, Duration::hours(1));
    a.update(Action::Command(Command::Back));
    assert_eq!(a.screen(), Screen::Stacks);
    assert!(a.views.errors().is_none());
}

#[test]
fn a_failed_load_is_shown_and_notified() {
    let mut a = app();
    listed(&mut a);
    let (id, _) = load_id(&a.update(Action::Command(Command::Errors)));
    a.update(action(ErrorsMsg::Loaded {
        request_id: id,
        result: Box::new(Err("FilterLogEvents: throttled".into())),
    }));
    assert!(matches!(
        a.views.errors().unwrap().load.state(),
        LoadState::Failed(e) if e.contains("throttled")
    ));
    assert_eq!(a.notifications.back().unwrap().level, Level::Error);
}

#[test]
fn the_palette_and_the_detail_open_errors_too() {
    let mut a = app();
    listed(&mut a);
    let effects = a.run_palette(crate::app::palette::PaletteAction::Screen("errors"));
    assert_eq!(
        a.views.screens(),
        [Screen::Stacks, Screen::Detail, Screen::Errors]
    );
    assert!(effects.iter().any(|e| matches!(e, Effect::Errors(..))));
    a.update(Action::Command(Command::Back));
    assert_eq!(a.screen(), Screen::Detail);
    load_id(&a.update(Action::Command(Command::Errors)));
    assert_eq!(a.screen(), Screen::Errors);
}

#[test]
fn enter_reads_the_latest_occurrence_and_builds_its_lines() {
    let mut a = on_errors();
    a.update(Action::Command(Command::Down));
    let effects = a.update(Action::Command(Command::Open));
    assert_eq!(a.screen(), Screen::ErrorOccurrence);
    let (request_id, at) = match effects.as_slice() {
        [Effect::Errors(Scoped { work: fx, .. })] => match fx.as_ref() {
            ErrorsEffect::Occurrence {
                request_id,
                at,
                group,
                ..
            } => {
                assert_eq!(group.name, "/aws/lambda/orders-dev-list");
                (*request_id, at.clone())
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    };
    assert_eq!(at.request_id.as_deref(), Some(rid(5).as_str()));
    a.update(action(ErrorsMsg::Occurrence {
        request_id,
        result: Ok(request_events(5)),
    }));
    let o = a.views.errors().unwrap().occurrence.as_ref().unwrap();
    assert_eq!(o.load, LoadState::Loaded);
    assert_eq!(o.events, 3);
    // START, the pretty-printed error record (several lines), REPORT.
    assert!(o.lines.len() > 10, "{:#?}", o.lines);
    assert_eq!(
        (o.lines[0].time_ms.is_some(), o.lines[0].text.as_str()),
        (true, "{")
    );
    assert!(
        o.lines
            .iter()
            .take(8)
            .any(|l| l.text.contains("\"platform.start\""))
    );
    assert!(
        o.lines
            .iter()
            .any(|l| l.error && l.text.contains("\"level\": \"ERROR\""))
    );
    assert_eq!(o.lines.iter().filter(|l| l.time_ms.is_some()).count(), 3);
    a.update(Action::Command(Command::Bottom));
    let o = a.views.errors().unwrap().occurrence.as_ref().unwrap();
    assert_eq!(o.scroll.top(), o.lines.len() - a.page_rows);
    a.update(Action::Command(Command::Back));
    assert_eq!(a.screen(), Screen::Errors);
    assert!(a.views.errors().unwrap().occurrence.is_none());
}

#[test]
fn i_on_an_occurrence_opens_invoke_on_its_function() {
    let mut a = on_errors();
    // NotFound, in orders-dev-create (the second function is listed first for invoke).
    a.views.errors_mut().unwrap().data.functions.reverse();
    a.update(Action::Command(Command::Bottom));
    a.update(Action::Command(Command::Open));
    a.update(Action::Command(Command::Invoke));
    assert_eq!(a.screen(), Screen::Invoke);
    assert_eq!(
        a.views.invoke().unwrap().function_name(),
        Some("orders-dev-create")
    );
}

#[test]
fn invoke_is_refused_read_only() {
    let mut a = on_errors();
    a.header.read_only = true;
    a.update(Action::Command(Command::Open));
    a.update(Action::Command(Command::Invoke));
    assert_eq!(a.screen(), Screen::ErrorOccurrence);
    assert!(a.notifications.back().unwrap().text.contains("read-only"));
}

#[test]
fn the_screen_keeps_a_bounded_number_of_groups_and_lines() {
    let mut st = ErrorsState::new(
        crate::app::tests::stack("x", "CREATE_COMPLETE", 1),
        Window::Day,
    );
    let one = loaded().groups.remove(0);
    let many: Vec<ErrorGroup> = (0..MAX_SHOWN + 7)
        .map(|i| {
            let mut g = one.clone();
            g.fingerprint = format!("{i:016x}");
            g.last_seen_ms = i as i64;
            g
        })
        .collect();
    st.set(Loaded {
        groups: many,
        ..Loaded::default()
    });
    assert_eq!(st.data.groups.len(), MAX_SHOWN);
    assert_eq!(st.hidden, 7);
    assert_eq!(
        st.data.groups[0].last_seen_ms,
        (MAX_SHOWN + 6) as i64,
        "newest first"
    );
    let mut o = OccurrenceState {
        group: one,
        load: Loadable::default(),
        lines: Vec::new(),
        events: 0,
        scroll: crate::app::widgets::Scroll::default(),
    };
    let big = format!("{{\"items\":[{}]}}", vec!["1"; 50_000].join(","));
    let events: Vec<LogEvent> = (0..3)
        .map(|i| ev("g", "s", "f", 1, &i.to_string(), &big))
        .collect();
    o.set_events(&events);
    assert_eq!(o.lines.len(), MAX_OCCURRENCE_LINES);
}

#[test]
fn hostile_lines_are_sanitised() {
    let mut o = OccurrenceState {
        group: loaded().groups.remove(0),
        load: Loadable::default(),
        lines: Vec::new(),
        events: 0,
        scroll: crate::app::widgets::Scroll::default(),
    };
    o.set_events(&[ev("g", "s", "f", 1, "x", "boom \u{1b}[31mred\u{7}\ttab")]);
    assert!(!o.lines[0].text.contains('\u{1b}'));
    assert!(!o.lines[0].text.contains('\u{7}'));
    assert!(o.lines[0].text.contains("    tab"));
}

#[test]
fn y_copies_the_latest_request_id_and_o_the_log_groups_console_page() {
    let mut a = on_errors();
    a.update(Action::Command(Command::Down));
    let group = a.views.errors().unwrap().selected().unwrap().clone();
    let effects = a.update(Action::Command(Command::Copy));
    let [Effect::CopyNamed { what, text }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(*what, "request id");
    assert_eq!(Some(text), group.latest.request_id.as_ref());
    let effects = a.update(Action::Command(Command::Console));
    let [Effect::CopyNamed { what, text }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(*what, "console URL");
    assert!(text.contains("#logsV2:log-groups/log-group/"), "{text}");
    assert!(text.contains("orders-dev-list"), "{text}");
}
