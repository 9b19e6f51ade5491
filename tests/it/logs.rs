//! `logs` against the emulator: the demo's busy orders-dev logs (read only) and log-group
//! fixtures of our own (CreateLogGroup / PutLogEvents) for filters, time ranges and follow.

use std::collections::HashSet;
use std::time::Duration;

use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use protoctl::aws::AwsContext;
use protoctl::aws::logs::{self, FollowOptions, LogGroupRef, LogQuery, TailMode, TailMsg};
use protoctl::domain::logbuf::{LogBuffer, LogEvent};
use serde_json::Value;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio_util::sync::CancellationToken;

use crate::support::{aws, protoctl, run, stderr, stdout};

fn unique(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("/protoctl-test/{name}-{nanos}")
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Creates a group with one stream and the given `(timestamp, message)` events.
async fn fixture(ctx: &AwsContext, name: &str, events: &[(i64, &str)]) -> LogGroupRef {
    let client = ctx.logs();
    let group = unique(name);
    client
        .create_log_group()
        .log_group_name(&group)
        .send()
        .await
        .unwrap();
    client
        .create_log_stream()
        .log_group_name(&group)
        .log_stream_name("s1")
        .send()
        .await
        .unwrap();
    put(ctx, &group, events).await;
    let found = logs::stack_log_groups(
        ctx,
        "no-such-stack",
        &[protoctl::domain::stack::StackResource {
            logical_id: "FixtureLogGroup".into(),
            physical_id: Some(group.clone()),
            resource_type: "AWS::Logs::LogGroup".into(),
            status: "CREATE_COMPLETE".into(),
            stack_path: "fixture".into(),
        }],
    )
    .await
    .unwrap();
    assert_eq!(found.len(), 1, "the fixture group is found");
    assert!(found[0].arn.is_some());
    found.into_iter().next().unwrap()
}

async fn put(ctx: &AwsContext, group: &str, events: &[(i64, &str)]) {
    if events.is_empty() {
        return;
    }
    ctx.logs()
        .put_log_events()
        .log_group_name(group)
        .log_stream_name("s1")
        .set_log_events(Some(
            events
                .iter()
                .map(|(t, m)| {
                    InputLogEvent::builder()
                        .timestamp(*t)
                        .message(*m)
                        .build()
                        .unwrap()
                })
                .collect(),
        ))
        .send()
        .await
        .unwrap();
}

fn json_lines(out: &str) -> Vec<Value> {
    out.lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn orders_dev_logs_as_json_lines_with_reports() {
    let mut c = protoctl();
    c.args(["logs", "orders-dev", "--since", "2h", "--output", "json"]);
    let out = run(c);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let events = json_lines(&stdout(&out));
    assert!(events.len() > 100, "busy logs: {}", events.len());
    for f in [
        "timestamp",
        "function",
        "log_group",
        "log_stream",
        "event_id",
        "message",
        "report",
    ] {
        assert!(events[0].get(f).is_some(), "missing {f}: {}", events[0]);
    }
    let functions: HashSet<&str> = events
        .iter()
        .map(|e| e["function"].as_str().unwrap())
        .collect();
    assert_eq!(
        functions,
        HashSet::from(["orders-dev-create", "orders-dev-list"])
    );
    let stamps: Vec<&str> = events
        .iter()
        .map(|e| e["timestamp"].as_str().unwrap())
        .collect();
    let mut sorted = stamps.clone();
    sorted.sort_unstable();
    assert_eq!(stamps, sorted, "interleaved by time");
    let ids: HashSet<&str> = events
        .iter()
        .map(|e| e["event_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), events.len(), "each event once");
    let reports: Vec<&Value> = events.iter().filter(|e| !e["report"].is_null()).collect();
    assert!(!reports.is_empty());
    for r in &reports {
        assert!(r["message"].as_str().unwrap().starts_with("REPORT"));
        assert!(r["report"]["duration_ms"].as_f64().unwrap() > 0.0);
        assert!(r["report"]["memory_mb"].as_u64().unwrap() >= 512);
    }
    let cold = reports
        .iter()
        .filter(|r| !r["report"]["init_ms"].is_null())
        .count();
    assert_eq!(
        cold, 6,
        "one cold start per stream: 3 streams x 2 functions"
    );
}

#[test]
fn one_function_filter_and_table_output() {
    let mut c = protoctl();
    c.args([
        "logs",
        "orders-dev",
        "--function",
        "create",
        "--since",
        "2h",
        "--filter",
        "ERROR",
    ]);
    let out = run(c);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let text = stdout(&out);
    assert!(!text.is_empty());
    for line in text.lines() {
        assert!(line.contains("  create  "), "{line}");
        assert!(line.contains("ERROR"), "{line}");
    }
    // An unknown function is one clear line and exit 1.
    let mut c = protoctl();
    c.args(["logs", "orders-dev", "--function", "nope"]);
    let out = run(c);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("orders-dev-create"),
        "{}",
        stderr(&out)
    );
    let mut c = protoctl();
    c.args(["logs", "orders-dev", "--since", "soon"]);
    let out = run(c);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("\"soon\""), "{}", stderr(&out));
}

#[tokio::test]
async fn filter_pattern_and_time_range_on_a_fixture() {
    let ctx = aws().await;
    let t = now_ms() - 60_000;
    let g = fixture(
        &ctx,
        "filter",
        &[
            (t, "INFO starting"),
            (t + 1_000, "ERROR payment declined"),
            (t + 2_000, "INFO still going"),
            (t + 3_000, "ERROR timeout talking to db"),
        ],
    )
    .await;
    let q = |start, end, filter: Option<&str>| LogQuery {
        start_ms: start,
        end_ms: end,
        filter: filter.map(Into::into),
        limit: None,
    };
    let all = logs::filter_groups(&ctx, std::slice::from_ref(&g), &q(Some(t), None, None))
        .await
        .unwrap();
    assert_eq!(all.events.len(), 4);
    let errors = logs::filter_groups(
        &ctx,
        std::slice::from_ref(&g),
        &q(Some(t), None, Some("ERROR")),
    )
    .await
    .unwrap();
    let msgs: Vec<&str> = errors.events.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(
        msgs,
        ["ERROR payment declined", "ERROR timeout talking to db"]
    );
    let range = logs::filter_groups(
        &ctx,
        std::slice::from_ref(&g),
        &q(Some(t + 500), Some(t + 2_500), None),
    )
    .await
    .unwrap();
    let msgs: Vec<&str> = range.events.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(msgs, ["ERROR payment declined", "INFO still going"]);
    assert!(range.events.iter().all(|e| e.function == "FixtureLogGroup"));
}

/// Runs the follow engine in the background; returns its receiver and token.
fn start_follow(
    ctx: &AwsContext,
    g: &LogGroupRef,
    start_ms: i64,
    live_tail: bool,
) -> (UnboundedReceiver<TailMsg>, CancellationToken) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let cancel = CancellationToken::new();
    let mut opts = FollowOptions::new(start_ms, None);
    opts.live_tail = live_tail;
    opts.interval = Duration::from_millis(150);
    let (ctx, groups, c) = (ctx.clone(), vec![g.clone()], cancel.clone());
    tokio::spawn(async move { logs::follow(&ctx, &groups, &opts, &c, &tx).await });
    (rx, cancel)
}

/// Reads messages into `buf` until `done` holds (or 10 s pass); returns the modes seen and
/// how many events arrived in total (before de-duplication).
async fn collect_until(
    rx: &mut UnboundedReceiver<TailMsg>,
    buf: &mut LogBuffer,
    modes: &mut Vec<TailMode>,
    done: impl Fn(&LogBuffer, &[TailMode]) -> bool,
) -> Vec<LogEvent> {
    let mut shown = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !done(buf, modes) {
        let msg = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("timed out waiting for the tail")
            .expect("tail ended");
        match msg {
            TailMsg::Events(batch) => {
                buf.ingest_with(batch, |e| shown.push(e.clone()));
            }
            TailMsg::Mode(m) => modes.push(m),
            TailMsg::Sampled(_) | TailMsg::Warning(_) => {}
        }
    }
    shown
}

#[tokio::test]
async fn follow_picks_up_an_event_written_after_the_start() {
    let ctx = aws().await;
    let t = now_ms() - 30_000;
    let g = fixture(&ctx, "follow", &[(t, "first"), (t + 1, "second")]).await;
    let (mut rx, cancel) = start_follow(&ctx, &g, t - 1_000, false);
    let mut buf = LogBuffer::new(1_000);
    let mut modes = Vec::new();
    let first = collect_until(&mut rx, &mut buf, &mut modes, |b, _| b.len() >= 2).await;
    assert_eq!(first.len(), 2);
    put(&ctx, &g.name, &[(now_ms(), "written after the start")]).await;
    let later = collect_until(&mut rx, &mut buf, &mut modes, |b, _| b.len() >= 3).await;
    assert_eq!(later.len(), 1);
    assert_eq!(later[0].message, "written after the start");
    // More polls of the trailing window bring nothing twice.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let mut raw = 0;
    while let Ok(msg) = rx.try_recv() {
        if let TailMsg::Events(batch) = msg {
            raw += batch.len();
            assert_eq!(buf.ingest(batch), 0, "no duplicates");
        }
    }
    assert_eq!(raw, 0, "the engine itself re-sends nothing it already sent");
    assert!(
        matches!(modes.first(), Some(TailMode::Polling { .. })),
        "{modes:?}"
    );
    cancel.cancel();
}

#[tokio::test]
async fn live_tail_session_then_fallback_to_polling() {
    let ctx = aws().await;
    let t = now_ms() - 30_000;
    let g = fixture(&ctx, "live", &[(t, "one"), (t + 1, "two"), (t + 2, "two")]).await;
    let (mut rx, cancel) = start_follow(&ctx, &g, t - 1_000, true);
    let mut buf = LogBuffer::new(1_000);
    let mut modes = Vec::new();
    let shown = collect_until(&mut rx, &mut buf, &mut modes, |b, m| {
        b.len() >= 3 && m.iter().any(|m| matches!(m, TailMode::Polling { .. }))
    })
    .await;
    assert!(
        matches!(modes.first(), Some(TailMode::Live { sessions: 1 })),
        "a live-tail session started (no stream- host prefix on the emulator): {modes:?}"
    );
    assert!(
        matches!(&modes[1], TailMode::Polling { reason } if reason.contains("ended")),
        "{modes:?}"
    );
    let msgs: Vec<&str> = shown.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(msgs, ["one", "two", "two"], "each line once, repeats kept");
    put(&ctx, &g.name, &[(now_ms(), "after the fallback")]).await;
    let later = collect_until(&mut rx, &mut buf, &mut modes, |b, _| b.len() >= 4).await;
    assert_eq!(later.len(), 1);
    assert_eq!(later[0].message, "after the fallback");
    cancel.cancel();
}

#[test]
fn follow_prints_each_event_once_and_stops_on_sigterm() {
    let mut c = protoctl();
    c.args([
        "logs",
        "orders-dev",
        "--function",
        "list",
        "--since",
        "2h",
        "--follow",
        "--output",
        "json",
    ]);
    c.stdout(std::process::Stdio::piped());
    c.stderr(std::process::Stdio::piped());
    let child = c.spawn().unwrap();
    std::thread::sleep(Duration::from_secs(4));
    let pid = child.id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let events = json_lines(&stdout(&out));
    assert!(events.len() > 50, "the backlog: {}", events.len());
    let ids: HashSet<&str> = events
        .iter()
        .map(|e| e["event_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), events.len(), "each event once");
    assert!(events.iter().all(|e| e["function"] == "orders-dev-list"));
}

#[test]
fn tail_screen_end_to_end() {
    let t = crate::e2e::Tmux::start("logs", &[]);
    t.wait_for("orders-dev");
    t.send(&["/"]);
    t.send(&["-l", "orders"]);
    t.send(&["Enter"]);
    t.wait_for("filter: orders");
    t.send(&["Enter"]);
    t.wait_for("Resources (");
    t.send(&["l"]);
    let screen = t.wait_for("Insights");
    assert!(
        screen.contains("Logs · orders-dev · all functions"),
        "{screen}"
    );
    let screen = t.wait_for("REPORT RequestId");
    assert!(screen.contains("INVOKES"), "{screen}");
    assert!(
        screen.contains(" create ") && screen.contains(" list "),
        "{screen}"
    );
    t.send(&["p"]);
    t.wait_for("PAUSED (0 new)");
    t.send(&["G"]);
    t.send(&["Escape"]);
    t.wait_for("Resources (");
    t.send(&["q"]);
    assert_eq!(t.wait_exit(), 0);
}

#[test]
fn time_range_on_the_demo_and_usage_errors() {
    let mut c = protoctl();
    c.args([
        "logs",
        "orders-dev",
        "--since",
        "90m",
        "--until",
        "30m",
        "--output",
        "json",
    ]);
    // The demo's busy stack logs from 50 to 36 minutes before it was seeded: this window
    // holds some of its events for the first 50 minutes of a test run, however slow.
    let out = run(c);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let events = json_lines(&stdout(&out));
    assert!(!events.is_empty());
    let now = chrono::Utc::now();
    for e in &events {
        let t = chrono::DateTime::parse_from_rfc3339(e["timestamp"].as_str().unwrap()).unwrap();
        let age = now.signed_duration_since(t).num_seconds();
        // A few seconds of slack for the time the command took.
        assert!(
            (30 * 60 - 5..=90 * 60 + 5).contains(&age),
            "{age}s old: {e}"
        );
    }
    let mut c = protoctl();
    c.args(["logs", "orders-dev", "--follow", "--until", "5m"]);
    assert_eq!(run(c).status.code(), Some(2), "--until with --follow");
    let mut c = protoctl();
    c.args(["logs", "orders-dev", "--since", "5m", "--until", "1h"]);
    let out = run(c);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("before --since"), "{}", stderr(&out));
}
