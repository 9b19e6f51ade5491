//! Snapshots of the log tail, its insights, hostile lines, and a 100,000-event frame.

use crate::app::keymap::Command;
use crate::app::logs::{LogsEffect, LogsMsg};
use crate::app::{Action, App, Effect};
use crate::domain::logbuf::LogEvent;
use crate::domain::logbuf::follow::{LogGroupRef, TailMode, TailMsg};
use crate::ui::tests::{assert_clean, draw_sized, now, on_orders_detail};

const RID: [&str; 4] = [
    "0a1b2c3d-0000-4000-a000-000000000001",
    "0a1b2c3d-0000-4000-a000-000000000002",
    "0a1b2c3d-0000-4000-a000-000000000003",
    "0a1b2c3d-0000-4000-a000-000000000004",
];

fn group(f: &str) -> LogGroupRef {
    LogGroupRef {
        name: format!("/aws/lambda/{f}"),
        function: f.into(),
        arn: Some(format!(
            "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/{f}"
        )),
        functions_by_stream: Vec::new(),
    }
}

fn event(f: &str, secs_ago: i64, n: usize, message: &str) -> LogEvent {
    LogEvent {
        timestamp_ms: (now() - chrono::Duration::seconds(secs_ago)).timestamp_millis(),
        ingestion_ms: None,
        function: f.into(),
        log_group: format!("/aws/lambda/{f}"),
        log_stream: "2026/11/27/[$LATEST]abc".into(),
        event_id: format!("{n:08}"),
        message: message.into(),
    }
}

/// One invocation's lines: START, a log line, END, REPORT.
fn invocation(f: &str, at: i64, n: usize, id: &str, cold: bool, error: bool) -> Vec<LogEvent> {
    let init = if cold {
        "\tInit Duration: 312.45 ms"
    } else {
        ""
    };
    let status = if error {
        "\tStatus: error\tError Type: Runtime.HandlerError"
    } else {
        ""
    };
    let mut out = vec![event(
        f,
        at,
        n,
        &format!("START RequestId: {id} Version: $LATEST"),
    )];
    if error {
        out.push(event(f, at - 1, n + 1, &format!(
            "2026-11-27T11:58:00.000Z\t{id}\tERROR\tInvoke Error \t{{\"errorType\":\"ValidationError\",\"errorMessage\":\"total must be positive\"}}"
        )));
    } else {
        out.push(event(
            f,
            at - 1,
            n + 1,
            &format!(
                "{{\"level\":\"info\",\"msg\":\"{f} handled\",\"requestId\":\"{id}\",\"items\":3}}"
            ),
        ));
    }
    out.push(event(f, at - 2, n + 2, &format!("END RequestId: {id}")));
    out.push(event(f, at - 2, n + 3, &format!(
        "REPORT RequestId: {id}\tDuration: {}.50 ms\tBilled Duration: {} ms\tMemory Size: 1024 MB\tMax Memory Used: 91 MB{init}{status}",
        100 + n, 101 + n
    )));
    out
}

/// The app on the orders-dev tail with both groups found; returns the tail's request id.
fn tail_app() -> (App, u64) {
    let mut a = on_orders_detail();
    let effects = a.update(Action::Command(Command::Logs));
    let Some(Effect::Logs(LogsEffect::LoadGroups {
        request_id,
        function,
        ..
    })) = effects.first()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(*function, None);
    let rid = *request_id;
    let effects = a.update(Action::Logs(LogsMsg::GroupsLoaded {
        request_id: rid,
        result: Ok(vec![group("orders-dev-create"), group("orders-dev-list")]),
    }));
    assert!(
        matches!(
            effects.first(),
            Some(Effect::Logs(LogsEffect::Follow { .. }))
        ),
        "{effects:?}"
    );
    (a, rid)
}

fn busy_batch() -> Vec<LogEvent> {
    let mut v = Vec::new();
    v.extend(invocation("orders-dev-create", 300, 0, RID[0], true, false));
    v.extend(invocation("orders-dev-list", 280, 10, RID[1], true, false));
    v.extend(invocation(
        "orders-dev-create",
        200,
        20,
        RID[2],
        false,
        true,
    ));
    v.extend(invocation("orders-dev-list", 100, 30, RID[3], false, false));
    v.reverse();
    v
}

#[test]
fn tail_with_insights() {
    let (mut a, rid) = tail_app();
    insta::assert_snapshot!("logs__waiting", draw_sized(&a, 120, 20).backend());
    a.update(Action::Logs(LogsMsg::Tail {
        request_id: rid,
        msg: TailMsg::Mode(TailMode::Live { sessions: 1 }),
    }));
    a.update(Action::Logs(LogsMsg::Tail {
        request_id: rid,
        msg: TailMsg::Events(busy_batch()),
    }));
    // A stale tail's events are dropped.
    a.update(Action::Logs(LogsMsg::Tail {
        request_id: rid + 100,
        msg: TailMsg::Events(vec![event("orders-dev-list", 1, 999, "stale")]),
    }));
    let l = a.views.logs().unwrap();
    assert_eq!(l.len(), 16);
    assert_eq!(l.list.selected, 15, "follows the newest event");
    let create = l.insights.function("orders-dev-create").unwrap();
    assert_eq!(
        (create.invocations, create.cold_starts, create.errors),
        (2, 1, 1)
    );
    insta::assert_snapshot!("logs__tail_insights", draw_sized(&a, 120, 32).backend());
    // Wrapped at 70 columns, the cursor's row stays on screen wherever it goes.
    a.update(Action::Command(Command::LogsWrap));
    for _ in 0..16 {
        a.update(Action::Command(Command::Up));
        let screen = draw_sized(&a, 70, 24).backend().to_string();
        assert!(screen.contains('›'), "cursor off screen:\n{screen}");
    }
    insta::assert_snapshot!("logs__wrapped_narrow", draw_sized(&a, 70, 24).backend());
}

#[test]
fn pause_search_group_and_expand() {
    let (mut a, rid) = tail_app();
    a.update(Action::Logs(LogsMsg::Tail {
        request_id: rid,
        msg: TailMsg::Events(busy_batch()),
    }));
    a.update(Action::Command(Command::LogsPause));
    a.update(Action::Logs(LogsMsg::Tail {
        request_id: rid,
        msg: TailMsg::Events(vec![event("orders-dev-list", 5, 500, "late line")]),
    }));
    let l = a.views.logs().unwrap();
    assert_eq!((l.len(), l.pending.len(), l.list.selected), (16, 1, 15));
    a.update(Action::Command(Command::LogsPause));
    let l = a.views.logs().unwrap();
    assert_eq!((l.len(), l.pending.len(), l.list.selected), (17, 0, 16));

    // Search comes back from $EDITOR; n/N move between matches.
    let effects = a.update(Action::Command(Command::Filter));
    let Some(Effect::EditText { target, .. }) = effects.first() else {
        panic!("{effects:?}")
    };
    a.update(Action::EditFinished {
        target: *target,
        result: Ok("report\n".into()),
    });
    let l = a.views.logs().unwrap();
    assert_eq!(l.matches, 4);
    let first = l.list.selected;
    assert!(l.selected().unwrap().message.starts_with("REPORT"));
    a.update(Action::Command(Command::LogsNextMatch));
    let second = a.views.logs().unwrap().list.selected;
    assert_ne!(first, second);
    a.update(Action::Command(Command::LogsPrevMatch));
    assert_eq!(a.views.logs().unwrap().list.selected, first);

    // Grouped by request: START … REPORT of one request are adjacent.
    a.update(Action::Command(Command::LogsByRequest));
    let l = a.views.logs().unwrap();
    let ids: Vec<String> = (0..4)
        .map(|r| l.event_at(r).unwrap().message.clone())
        .collect();
    assert!(ids.iter().all(|m| m.contains(RID[0])), "{ids:?}");
    assert!(
        l.selected().unwrap().message.starts_with("REPORT"),
        "cursor kept"
    );

    // The JSON line pretty-printed on demand.
    a.update(Action::Command(Command::Top));
    a.update(Action::Command(Command::Down));
    a.update(Action::Command(Command::Open));
    insta::assert_snapshot!("logs__expanded_json", draw_sized(&a, 120, 32).backend());

    a.update(Action::Command(Command::Back));
    assert!(a.views.logs().is_none());
    assert_eq!(a.screen(), crate::app::Screen::Detail);
}

#[test]
fn hostile_log_lines_never_reach_the_terminal() {
    let (mut a, rid) = tail_app();
    let evil = "\x1b]52;c;ZXZpbA==\x07\x1b[2J\u{9b}31m\u{202e}\r\n\t";
    let mut batch = vec![
        event("orders-dev-create", 30, 1, &format!("plain {evil} line")),
        event(
            "orders-dev-create",
            20,
            2,
            &format!("{{\"msg\":\"{}\"}}", "\\u001b[31mred"),
        ),
        event("orders-dev-list", 10, 3, &"x".repeat(50_000)),
    ];
    batch[2].log_stream = evil.into();
    let mut weird = event(&format!("orders-dev-{evil}"), 5, 4, evil);
    weird.log_group = evil.into();
    batch.push(weird);
    a.update(Action::Logs(LogsMsg::Tail {
        request_id: rid,
        msg: TailMsg::Events(batch),
    }));
    a.update(Action::Logs(LogsMsg::Tail {
        request_id: rid,
        msg: TailMsg::Warning(evil.into()),
    }));
    let t = draw_sized(&a, 120, 32);
    assert_clean(&t);
    insta::assert_snapshot!("logs__hostile", t.backend());
    a.update(Action::Command(Command::LogsWrap));
    a.update(Action::Command(Command::Up));
    a.update(Action::Command(Command::Open));
    assert_clean(&draw_sized(&a, 120, 32));
    a.update(Action::Command(Command::Top));
    a.update(Action::Command(Command::Down));
    assert_clean(&draw_sized(&a, 120, 32));
}

/// Ingesting 100,000 events into the buffer (at the hard cap) and drawing a frame that shows
/// the newest. (Its speed is measured by `benches/render.rs`, not here.)
#[test]
fn hundred_thousand_events_and_a_frame() {
    let (mut a, rid) = tail_app();
    a.views.logs_mut().unwrap().buf = crate::domain::logbuf::LogBuffer::new(100_000);
    for chunk in 0..100 {
        let batch: Vec<LogEvent> = (0..1_000)
            .map(|i| {
                let n = chunk * 1_000 + i;
                let f = if n % 2 == 0 {
                    "orders-dev-create"
                } else {
                    "orders-dev-list"
                };
                let mut e = event(f, 0, n, &format!("line {n} of the load test"));
                e.timestamp_ms -= i64::try_from(100_000 - n).unwrap();
                e
            })
            .collect();
        a.update(Action::Logs(LogsMsg::Tail {
            request_id: rid,
            msg: TailMsg::Events(batch),
        }));
    }
    assert_eq!(a.views.logs().unwrap().len(), 100_000);
    let t = draw_sized(&a, 160, 48);
    assert!(
        t.backend()
            .to_string()
            .contains("line 99999 of the load test")
    );
}
