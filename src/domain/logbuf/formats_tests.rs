//! One set of invocations written in Lambda's two log formats (text, in its variants, and
//! JSON, with extension lines mixed in) must give the same figures and the same request groups.

use super::{Insights, LogEvent};
use crate::domain::report::{LambdaLine, parse_line, parse_report, request_id_of};

#[derive(Clone, Copy, PartialEq)]
enum Outcome {
    Ok,
    Timeout,
    Crash,
}

struct Invocation {
    id: String,
    duration: f64,
    billed: u64,
    used: u64,
    init: Option<f64>,
    restore: Option<(f64, u64)>,
    outcome: Outcome,
}

fn invocations() -> Vec<Invocation> {
    (0..40_u32)
        .map(|i| Invocation {
            id: format!("7c0d{i:04x}-5b1e-4f7a-9c3d-2e8f6a1b0c{i:02x}"),
            duration: f64::from(i * 7 % 23) + 0.25,
            billed: u64::from(i * 7 % 23) + 1,
            used: 60 + u64::from(i % 9),
            init: (i % 10 == 0).then_some(180.5 + f64::from(i)),
            restore: (i % 10 == 5).then_some((320.75, 90)),
            outcome: match i % 13 {
                4 => Outcome::Timeout,
                9 => Outcome::Crash,
                _ => Outcome::Ok,
            },
        })
        .collect()
}

/// The text format, varied the way real accounts vary it: tabs or runs of spaces, `Init
/// Duration` first or last, `INIT_START` and `START` in one event, `XRAY` after the REPORT.
fn text_events(inv: &Invocation, n: usize) -> Vec<String> {
    let id = &inv.id;
    let sep = if n.is_multiple_of(2) { "\t" } else { "  " };
    let mut start = format!("START RequestId: {id} Version: $LATEST\n");
    if inv.init.is_some() && n.is_multiple_of(3) {
        start = format!(
            "INIT_START Runtime Version: nodejs:20.v31\tRuntime Version ARN: arn:aws:lambda:eu-west-1::runtime:0a1b\n{start}"
        );
    }
    let mut events = vec![
        start,
        format!("2026-11-30T10:00:00.000Z\t{id}\tINFO\tloaded order\r{{\r  \"total\": 3\r}}\n"),
    ];
    match inv.outcome {
        Outcome::Ok => {}
        Outcome::Timeout => events.push(format!(
            "2026-11-30T10:00:03.000Z {id} Task timed out after 3.00 seconds\n"
        )),
        Outcome::Crash => events.push(format!(
            "RequestId: {id} Error: Runtime exited with error: exit status 1\nRuntime.ExitError\n"
        )),
    }
    events.push(format!("END RequestId: {id}\n"));
    let mut fields = vec![
        format!("Duration: {} ms", inv.duration),
        format!("Billed Duration: {} ms", inv.billed),
        "Memory Size: 256 MB".to_owned(),
        format!("Max Memory Used: {} MB", inv.used),
    ];
    if let Some(init) = inv.init {
        let field = format!("Init Duration: {init} ms");
        if n.is_multiple_of(2) {
            fields.push(field);
        } else {
            fields.insert(0, field);
        }
    }
    if let Some((restore, billed)) = inv.restore {
        fields.push(format!("Restore Duration: {restore} ms"));
        fields.push(format!("Billed Restore Duration: {billed} ms"));
    }
    match inv.outcome {
        Outcome::Ok => {}
        Outcome::Timeout => fields.push("Status: timeout".to_owned()),
        Outcome::Crash => {
            fields.push("Status: error".to_owned());
            fields.push("Error Type: Runtime.ExitError".to_owned());
        }
    }
    let mut report = format!("REPORT RequestId: {id}{sep}{}{sep}\n", fields.join(sep));
    if n % 4 == 1 {
        report.push_str("XRAY TraceId: 1-6749e1a0-3c2b1a0f9e8d7c6b5a4f3e2d\tSegmentId: 5e4d3c2b1a0f9e8d\tSampled: true\n");
    }
    events.push(report);
    events
}

/// The JSON format (`LoggingConfig.LogFormat = JSON`), with an extension's plain-text line
/// now and then, alone or glued to the next record.
fn json_events(inv: &Invocation, n: usize) -> Vec<String> {
    let id = &inv.id;
    let extension = "[AWS Parameters and Secrets Lambda Extension] 2026/11/30 10:00:00 PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL is info.";
    let mut start = format!(
        r#"{{"time":"2026-11-30T10:00:00.000Z","type":"platform.start","record":{{"requestId":"{id}","version":"$LATEST"}}}}"#
    );
    if n % 5 == 2 {
        start = format!("{extension}{start}");
    }
    let mut events = Vec::new();
    if inv.init.is_some() {
        events.push(r#"{"time":"2026-11-30T10:00:00.000Z","type":"platform.initStart","record":{"initializationType":"on-demand","phase":"init","runtimeVersion":"nodejs:20.v31"}}"#.to_owned());
    }
    events.push(start);
    if n % 5 == 3 {
        events.push(format!("{extension}\n"));
    }
    events.push(format!(
        r#"{{"timestamp":"2026-11-30T10:00:00.000Z","level":"INFO","requestId":"{id}","message":"loaded order"}}"#
    ));
    let (status, error_type) = match inv.outcome {
        Outcome::Ok => ("success", String::new()),
        Outcome::Timeout => ("timeout", String::new()),
        Outcome::Crash => ("error", r#","errorType":"Runtime.ExitError""#.to_owned()),
    };
    if inv.outcome == Outcome::Crash {
        events.push(format!(
            r#"{{"timestamp":"2026-11-30T10:00:00.000Z","level":"ERROR","requestId":"{id}","message":{{"errorType":"Runtime.ExitError","errorMessage":"exit status 1"}}}}"#
        ));
    }
    events.push(format!(
        r#"{{"time":"2026-11-30T10:00:00.100Z","type":"platform.runtimeDone","record":{{"requestId":"{id}","status":"{status}"{error_type},"metrics":{{"durationMs":{},"producedBytes":12}}}}}}"#,
        inv.duration
    ));
    let mut metrics = format!(
        r#""durationMs":{},"billedDurationMs":{},"memorySizeMB":256,"maxMemoryUsedMB":{}"#,
        inv.duration, inv.billed, inv.used
    );
    if let Some(init) = inv.init {
        metrics.push_str(&format!(r#","initDurationMs":{init}"#));
    }
    if let Some((restore, billed)) = inv.restore {
        metrics.push_str(&format!(
            r#","restoreDurationMs":{restore},"billedRestoreDurationMs":{billed}"#
        ));
    }
    events.push(format!(
        "{{\"time\":\"2026-11-30T10:00:00.101Z\",\"type\":\"platform.report\",\"record\":{{\"requestId\":\"{id}\",\"metrics\":{{{metrics}}},\"status\":\"{status}\"{error_type}}}}}\n"
    ));
    events
}

fn event(stream: &str, message: String) -> LogEvent {
    LogEvent {
        timestamp_ms: 0,
        ingestion_ms: None,
        function: "orders-dev-create".into(),
        log_group: "/aws/lambda/orders-dev-create".into(),
        log_stream: stream.into(),
        event_id: String::new(),
        message,
    }
}

fn observe(render: fn(&Invocation, usize) -> Vec<String>) -> (Insights, Vec<LogEvent>) {
    let mut insights = Insights::new();
    let mut events = Vec::new();
    for (n, inv) in invocations().iter().enumerate() {
        let stream = format!("2026/11/30/[$LATEST]{:032x}", n / 8);
        for message in render(inv, n) {
            let e = event(&stream, message);
            insights.observe(&e);
            events.push(e);
        }
    }
    (insights, events)
}

#[test]
fn text_and_json_give_the_same_insights() {
    let (text, text_events) = observe(text_events);
    let (json, json_events) = observe(json_events);
    let t = text.function("orders-dev-create").unwrap();
    assert_eq!(t, json.function("orders-dev-create").unwrap());
    assert_eq!((t.invocations, t.cold_starts), (40, 8));
    assert_eq!((t.timeouts, t.errors), (3, 3));
    assert_eq!((t.memory_mb, t.peak_memory_mb), (Some(256), Some(68)));
    assert!(t.p50_ms.is_some() && t.max_ms == Some(22.25));
    let reports = |events: &[LogEvent]| -> Vec<_> {
        events
            .iter()
            .filter_map(|e| parse_report(&e.message))
            .collect()
    };
    assert_eq!(reports(&text_events), reports(&json_events));
}

#[test]
fn every_event_of_an_invocation_carries_its_request_id_in_both_formats() {
    for render in [
        text_events as fn(&Invocation, usize) -> Vec<String>,
        json_events,
    ] {
        for (n, inv) in invocations().iter().enumerate() {
            for message in render(inv, n) {
                let id = request_id_of(&message);
                let plain_extension = message.starts_with("[AWS") && !message.contains('{');
                let init_start = message.contains("platform.initStart");
                if plain_extension || init_start {
                    assert_eq!(id, None, "{message}");
                } else {
                    assert_eq!(id, Some(inv.id.as_str()), "{message}");
                    assert_eq!(parse_line(&message).request_id(), id, "{message}");
                }
            }
        }
    }
}

#[test]
fn a_glued_extension_line_does_not_hide_the_record() {
    let inv = &invocations()[2];
    let glued = &json_events(inv, 2)[0];
    assert!(glued.starts_with("[AWS Parameters"));
    assert!(
        matches!(parse_line(glued), LambdaLine::Start { ref request_id, .. } if *request_id == inv.id)
    );
}
