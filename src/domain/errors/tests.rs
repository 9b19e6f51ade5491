//! Detection per error kind and log format, and grouping of realistic mixes.

use rstest::rstest;

use super::*;
use crate::domain::logbuf::LogEvent;

const RID: &str = "4ce9340a-b765-490f-ad8a-02ab3415e2bf";

fn d(msg: &str) -> Detected {
    detect(msg).unwrap_or_else(|| panic!("not detected: {msg}"))
}

#[rstest]
#[case::node_invoke_error_text(
    "2026-12-01T10:00:00.000Z\t4ce9340a-b765-490f-ad8a-02ab3415e2bf\tERROR\tInvoke Error \t{\"errorType\":\"TypeError\",\"errorMessage\":\"Cannot read properties of undefined (reading 'id')\",\"stack\":[\"TypeError: Cannot read properties of undefined (reading 'id')\",\"    at Runtime.handler (file:///var/task/index.mjs:3:20)\",\"    at Runtime.handleOnceNonStreaming (file:///var/runtime/index.mjs:1173:29)\"]}\n",
    ErrorKind::Runtime,
    "TypeError",
    "Cannot read properties of undefined (reading 'id')",
    Some("Runtime.handler (/var/task/index.mjs)"),
    Some(RID)
)]
#[case::node_uncaught_init(
    "2026-12-01T10:00:00.000Z\tundefined\tERROR\tUncaught Exception \t{\"errorType\":\"Runtime.ImportModuleError\",\"errorMessage\":\"Error: Cannot find module 'index'\\nRequire stack:\\n- /var/runtime/index.mjs\",\"stack\":[\"Runtime.ImportModuleError: Error: Cannot find module 'index'\"]}",
    ErrorKind::Init,
    "Runtime.ImportModuleError",
    "Error: Cannot find module 'index'",
    None,
    None
)]
#[case::node_json_format(
    "{\"timestamp\":\"2026-12-01T10:00:00.000Z\",\"level\":\"ERROR\",\"requestId\":\"4ce9340a-b765-490f-ad8a-02ab3415e2bf\",\"message\":{\"errorType\":\"Error\",\"errorMessage\":\"order 42 not found\",\"stackTrace\":[\"Error: order 42 not found\",\"    at get (/var/task/orders.js:10:11)\"]}}",
    ErrorKind::Runtime,
    "Error",
    "order 42 not found",
    Some("get (/var/task/orders.js)"),
    Some(RID)
)]
#[case::python_text_unhandled(
    "[ERROR] KeyError: 'id'\rTraceback (most recent call last):\r  File \"/var/task/app.py\", line 10, in lambda_handler\r    return event['id']\r",
    ErrorKind::Runtime,
    "KeyError",
    "'id'",
    Some("lambda_handler (/var/task/app.py)"),
    None
)]
#[case::python_json_unhandled(
    "{\"timestamp\": \"2026-12-01T10:00:00Z\", \"log_level\": \"ERROR\", \"errorMessage\": \"division by zero\", \"errorType\": \"ZeroDivisionError\", \"requestId\": \"4ce9340a-b765-490f-ad8a-02ab3415e2bf\", \"stackTrace\": [\"  File \\\"/var/task/app.py\\\", line 3, in handler\\n    return 1 / 0\\n\"]}",
    ErrorKind::Runtime,
    "ZeroDivisionError",
    "division by zero",
    Some("handler (/var/task/app.py)"),
    Some(RID)
)]
#[case::python_bare_traceback(
    "Traceback (most recent call last):\n  File \"/var/task/index.py\", line 48, in lambda_handler\n    responseData = {'Error': traceback.format_exc(e)}\n  File \"/var/lang/lib/python3.6/traceback.py\", line 167, in format_exc\n    return \"\".join(x)\nTypeError: '>=' not supported between instances of 'ClientError' and 'int'",
    ErrorKind::Runtime,
    "TypeError",
    "'>=' not supported between instances of 'ClientError' and 'int'",
    Some("lambda_handler (/var/task/index.py)"),
    None
)]
#[case::python_logger_error(
    "[ERROR]\t2026-12-01T10:00:00.123Z\t4ce9340a-b765-490f-ad8a-02ab3415e2bf\tpayment 991 declined\n",
    ErrorKind::Application,
    "ERROR",
    "payment 991 declined",
    None,
    Some(RID)
)]
#[case::python_logger_error_spaces(
    "[ERROR]  2026-12-01T10:00:00.123Z    4ce9340a-b765-490f-ad8a-02ab3415e2bf    payment 991 declined",
    ErrorKind::Application,
    "ERROR",
    "payment 991 declined",
    None,
    Some(RID)
)]
#[case::java_text(
    "java.lang.IllegalStateException: order 7 is closed\n\tat com.example.Orders.close(Orders.java:88)\n\tat com.example.Handler.handleRequest(Handler.java:20)\n\tat java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(Unknown Source)",
    ErrorKind::Runtime,
    "java.lang.IllegalStateException",
    "order 7 is closed",
    Some("com.example.Orders.close (Orders.java)"),
    None
)]
#[case::java_json(
    "{\"errorMessage\":\"boom\",\"errorType\":\"java.lang.RuntimeException\",\"stackTrace\":[\"com.example.Handler.handleRequest(Handler.java:20)\",\"java.base/jdk.internal.reflect.X.invoke(Unknown Source)\"]}",
    ErrorKind::Runtime,
    "java.lang.RuntimeException",
    "boom",
    Some("com.example.Handler.handleRequest (Handler.java)"),
    None
)]
#[case::powertools_typescript(
    "{\"level\":\"ERROR\",\"message\":\"failed to charge\",\"service\":\"payments\",\"timestamp\":\"2026-12-01T10:00:00.000Z\",\"xray_trace_id\":\"1-5e34a614-10bdxmplf1fb44f07bc535a1\",\"error\":{\"name\":\"CardDeclined\",\"location\":\"/var/task/index.js:2778\",\"message\":\"card 4242 declined\",\"stack\":\"CardDeclined: card 4242 declined\\n    at charge (/var/task/index.js:2778:11)\"}}",
    ErrorKind::Application,
    "CardDeclined",
    "failed to charge: card 4242 declined",
    Some("charge (/var/task/index.js)"),
    None
)]
#[case::powertools_python(
    "{\"level\":\"ERROR\",\"location\":\"handler:12\",\"message\":\"could not save\",\"timestamp\":\"2026-12-01 10:00:00,000+0000\",\"service\":\"orders\",\"exception\":\"Traceback (most recent call last):\\n  File \\\"/var/task/app.py\\\", line 12, in handler\\n    save(x)\\nValueError: bad total 3.50\",\"exception_name\":\"ValueError\",\"function_request_id\":\"4ce9340a-b765-490f-ad8a-02ab3415e2bf\"}",
    ErrorKind::Application,
    "ValueError",
    "could not save: bad total 3.50",
    Some("handler (/var/task/app.py)"),
    Some(RID)
)]
#[case::json_record_fatal_plain(
    "{\"timestamp\":\"2026-12-01T10:00:00.000Z\",\"level\":\"FATAL\",\"requestId\":\"4ce9340a-b765-490f-ad8a-02ab3415e2bf\",\"message\":\"config missing\"}",
    ErrorKind::Application,
    "FATAL",
    "config missing",
    None,
    Some(RID)
)]
#[case::node_console_error_text(
    "2026-12-01T10:00:00.000Z\t4ce9340a-b765-490f-ad8a-02ab3415e2bf\tERROR\tcould not reach db",
    ErrorKind::Application,
    "ERROR",
    "could not reach db",
    None,
    Some(RID)
)]
#[case::old_node_no_level(
    "2017-06-22T06:36:19.294Z\t18fea243-5715-11e7-9ad9-a197117ae4d4\tTypeError: Cannot read property '0' of undefined\n    at exports.handler (/var/task/CloudTrailEventProcessing.js:20:34)",
    ErrorKind::Runtime,
    "TypeError",
    "Cannot read property '0' of undefined",
    Some("exports.handler (/var/task/CloudTrailEventProcessing.js)"),
    Some("18fea243-5715-11e7-9ad9-a197117ae4d4")
)]
#[case::timeout_line(
    "2023-10-20T16:28:17.840Z 4299ee26-8d1d-4ea9-bd43-77b85ed96cfe Task timed out after 31.01 seconds\n\n",
    ErrorKind::Timeout,
    TIMEOUT_TYPE,
    "Task timed out after 31.01 seconds",
    None,
    Some("4299ee26-8d1d-4ea9-bd43-77b85ed96cfe")
)]
#[case::timeout_report(
    "REPORT RequestId: 595492f6-5916-4b98-94e5-a1079dfab87b Duration: 5000.00 ms Billed Duration: 5579 ms Memory Size: 3008 MB Max Memory Used: 113 MB Init Duration: 578.07 ms Status: timeout",
    ErrorKind::Timeout,
    TIMEOUT_TYPE,
    "Task timed out after 5.00 seconds",
    None,
    Some("595492f6-5916-4b98-94e5-a1079dfab87b")
)]
#[case::timeout_json_report(
    "{\"time\": \"2024-10-18T19:38:39.661Z\", \"type\": \"platform.report\", \"record\": {\"requestId\": \"b441820a-ebe5-4d5f-93bc-f945707b0225\", \"metrics\": {\"durationMs\": 30000.0, \"billedDurationMs\": 30000, \"memorySizeMB\": 128, \"maxMemoryUsedMB\": 74}, \"status\": \"timeout\"}}",
    ErrorKind::Timeout,
    TIMEOUT_TYPE,
    "Task timed out after 30.00 seconds",
    None,
    Some("b441820a-ebe5-4d5f-93bc-f945707b0225")
)]
#[case::init_report_text(
    "INIT_REPORT Init Duration: 206.72 ms\tPhase: init\tStatus: error\tError Type: Runtime.ExitError",
    ErrorKind::Init,
    "Runtime.ExitError",
    "init error (phase init): Runtime.ExitError",
    None,
    None
)]
#[case::init_report_json(
    "{\"time\":\"2026-12-01T10:00:00.000Z\",\"type\":\"platform.initReport\",\"record\":{\"initializationType\":\"on-demand\",\"phase\":\"init\",\"status\":\"error\",\"errorType\":\"Runtime.ExitError\",\"metrics\":{\"durationMs\":206.7}}}",
    ErrorKind::Init,
    "Runtime.ExitError",
    "init error: Runtime.ExitError",
    None,
    None
)]
#[case::timeout_json_glued_after_extension_text(
    "[AWS Parameters and Secrets Lambda Extension] 2026/11/30 10:00:00 ready.{\"time\":\"2026-11-30T10:00:03Z\",\"type\":\"platform.report\",\"record\":{\"requestId\":\"0b6e2c1d-8f3a-4d5e-9a7b-c1d2e3f4a5b6\",\"metrics\":{\"durationMs\":3000.0},\"status\":\"timeout\"}}",
    ErrorKind::Timeout,
    TIMEOUT_TYPE,
    "Task timed out after 3.00 seconds",
    None,
    Some("0b6e2c1d-8f3a-4d5e-9a7b-c1d2e3f4a5b6")
)]
#[case::report_status_after_init_start_in_one_event(
    "INIT_START Runtime Version: provided:al2023.v40\tRuntime Version ARN: arn:aws:lambda:eu-west-1::runtime:1a2b\nSTART RequestId: 0b6e2c1d-8f3a-4d5e-9a7b-c1d2e3f4a5b6 Version: $LATEST\nREPORT RequestId: 0b6e2c1d-8f3a-4d5e-9a7b-c1d2e3f4a5b6\tDuration: 2.0 ms\tBilled Duration: 3 ms\tMemory Size: 128 MB\tMax Memory Used: 9 MB\tStatus: timeout\n",
    ErrorKind::Timeout,
    TIMEOUT_TYPE,
    "Task timed out after 0.00 seconds",
    None,
    Some("0b6e2c1d-8f3a-4d5e-9a7b-c1d2e3f4a5b6")
)]
#[case::import_module_python2(
    "Unable to import module 'lambda_function': No module named shipper\n",
    ErrorKind::Init,
    "Runtime.ImportModuleError",
    "Unable to import module 'lambda_function': No module named shipper",
    None,
    None
)]
#[case::oom_report(
    "REPORT RequestId: 83269395-33ee-45a8-8a99-38f67b6faf72\tDuration: 11.48 ms\tBilled Duration: 12 ms\tMemory Size: 128 MB\tMax Memory Used: 128 MB\tStatus: error\tError Type: Runtime.OutOfMemory",
    ErrorKind::OutOfMemory,
    OOM_TYPE,
    "invocation error: Runtime.OutOfMemory",
    None,
    Some("83269395-33ee-45a8-8a99-38f67b6faf72")
)]
#[case::oom_signal(
    "RequestId: 83269395-33ee-45a8-8a99-38f67b6faf72 Error: Runtime exited with error: signal: killed\nRuntime.ExitError",
    ErrorKind::OutOfMemory,
    OOM_TYPE,
    "Runtime exited with error: signal: killed",
    None,
    Some("83269395-33ee-45a8-8a99-38f67b6faf72")
)]
#[case::oom_json_report(
    "{\"time\":\"2026-12-01T10:00:00.000Z\",\"type\":\"platform.report\",\"record\":{\"requestId\":\"83269395-33ee-45a8-8a99-38f67b6faf72\",\"status\":\"error\",\"errorType\":\"Runtime.OutOfMemory\",\"metrics\":{\"durationMs\":11.4}}}",
    ErrorKind::OutOfMemory,
    OOM_TYPE,
    "invocation error: Runtime.OutOfMemory",
    None,
    Some("83269395-33ee-45a8-8a99-38f67b6faf72")
)]
fn detects(
    #[case] msg: &str,
    #[case] kind: ErrorKind,
    #[case] error_type: &str,
    #[case] message: &str,
    #[case] frame: Option<&str>,
    #[case] request_id: Option<&str>,
) {
    let got = d(msg);
    assert_eq!(got.kind, kind, "{got:?}");
    assert_eq!(got.error_type, error_type, "{got:?}");
    assert_eq!(got.message, message, "{got:?}");
    assert_eq!(got.frame.as_deref(), frame, "{got:?}");
    assert_eq!(got.request_id.as_deref(), request_id, "{got:?}");
}

#[rstest]
#[case::start("START RequestId: 4ce9340a-b765-490f-ad8a-02ab3415e2bf Version: $LATEST\n")]
#[case::end("END RequestId: 4ce9340a-b765-490f-ad8a-02ab3415e2bf\n")]
#[case::report_ok(
    "REPORT RequestId: 4ce9340a-b765-490f-ad8a-02ab3415e2bf\tDuration: 26.73 ms\tBilled Duration: 27 ms \tMemory Size: 128 MB\tMax Memory Used: 75 MB\t\n"
)]
#[case::info_text(
    "2019-06-07T19:11:20.564Z\tc793869b-ee49-115b-a5b6-4fd21e8dedac\tWARN\tEvent not processed."
)]
#[case::info_text_mentions_error(
    "2019-06-07T19:11:20.564Z\tc793869b-ee49-115b-a5b6-4fd21e8dedac\tINFO\tretrying after Error: ECONNRESET"
)]
#[case::python_info(
    "[INFO]  2020-01-31T22:12:58.534Z    1c8df7d3-xmpl-46da-9778-518e6eca8125    ## EVENT"
)]
#[case::json_info(
    "{\"timestamp\":\"2024-02-09T08:42:44.078Z\",\"level\":\"INFO\",\"requestId\":\"d661f7cf-9208-46b9-85b0-213b04a91065\",\"message\":\"Just some logs here =)\"}"
)]
#[case::json_report_ok(
    "{\"time\":\"2024-02-09T08:42:44.080Z\",\"type\":\"platform.report\",\"record\":{\"requestId\":\"d661f7cf-9208-46b9-85b0-213b04a91065\",\"status\":\"success\",\"metrics\":{\"durationMs\":1.317}}}"
)]
#[case::json_init_ok(
    "{\"time\":\"2022-10-12T00:01:15.000Z\",\"type\":\"platform.initReport\",\"record\":{\"initializationType\":\"on-demand\",\"phase\":\"init\",\"status\":\"success\"}}"
)]
#[case::plain_word_error("processed 3 items, 0 errors")]
#[case::cut_json(
    "{\"timestamp\":\"2024-02-09T08:42:44.078Z\",\"level\":\"INFO\",\"message\":\"Just some logs here =)\""
)]
#[case::empty("")]
#[case::malformed_report("REPORT invalid report log line")]
fn ignores(#[case] msg: &str) {
    assert_eq!(detect(msg), None);
}

#[test]
fn never_panics_on_odd_input() {
    for msg in [
        "{",
        "{]",
        "[ERROR]",
        "[ERROR] ",
        "\t\t\t",
        "2026-12-01T10:00:00.000Z\t",
        "Traceback (most recent call last):",
        "REPORT Status:",
        "INIT_REPORT Status:",
        "{\"type\":\"platform.report\",\"record\":7}",
        "{\"level\":5}",
        "\u{202e}ERROR\u{0}",
        "Task timed out after",
    ] {
        let _ = detect(msg);
    }
}

fn ev(ts: i64, function: &str, stream: &str, id: &str, msg: &str) -> LogEvent {
    LogEvent {
        timestamp_ms: ts,
        ingestion_ms: None,
        function: function.into(),
        log_group: format!("/aws/lambda/{function}"),
        log_stream: stream.into(),
        event_id: id.into(),
        message: msg.into(),
    }
}

fn node_error(rid: &str, order: u32) -> String {
    format!(
        "2026-12-01T10:00:00.000Z\t{rid}\tERROR\tInvoke Error \t{{\"errorType\":\"NotFound\",\"errorMessage\":\"order {order} of {rid} not found\",\"stack\":[\"NotFound: order {order}\",\"    at get (/var/task/orders.js:10:11)\"]}}"
    )
}

#[test]
fn groups_equal_errors_across_ids_and_counts_each_request_once() {
    let r1 = "11111111-1111-4111-8111-111111111111";
    let r2 = "22222222-2222-4222-8222-222222222222";
    let r3 = "33333333-3333-4333-8333-333333333333";
    let events = vec![
        ev(1_000, "app-create", "s1", "1", &node_error(r1, 17)),
        ev(
            1_001,
            "app-create",
            "s1",
            "2",
            &format!(
                "REPORT RequestId: {r1}\tDuration: 3.0 ms\tBilled Duration: 3 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB\tStatus: error\tError Type: Runtime.Unknown"
            ),
        ),
        ev(2_000, "app-list", "s2", "3", &node_error(r2, 981)),
        ev(
            3_000,
            "app-list",
            "s2",
            "4",
            &format!("2026-12-01T10:00:03.000Z {r3} Task timed out after 3.00 seconds"),
        ),
        ev(
            3_001,
            "app-list",
            "s2",
            "5",
            &format!(
                "REPORT RequestId: {r3}\tDuration: 3003.12 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB\tStatus: timeout"
            ),
        ),
        ev(9_999_999, "app-list", "s2", "6", &node_error(r2, 5)),
    ];
    let mut g = Grouper::new(0, 10_000, 10);
    for e in &events {
        g.add(e);
    }
    let (groups, dropped) = g.finish();
    assert_eq!(dropped, 0);
    assert_eq!(groups.len(), 2, "{groups:#?}");
    let timeout = &groups[0];
    assert_eq!(timeout.kind, ErrorKind::Timeout);
    assert_eq!(timeout.count, 1, "the line and the REPORT are one timeout");
    assert_eq!(timeout.functions, ["app-list"]);
    let nf = &groups[1];
    assert_eq!(nf.error_type, "NotFound");
    assert_eq!(nf.count, 2, "the generic REPORT of r1 is not counted");
    assert_eq!(nf.functions, ["app-create", "app-list"]);
    assert_eq!((nf.first_seen_ms, nf.last_seen_ms), (1_000, 2_000));
    assert_eq!(nf.request_ids, [r2, r1]);
    assert_eq!(nf.message, format!("order 981 of {r2} not found"));
    assert_eq!(nf.latest.event_id, "3");
    assert_eq!(nf.sparkline.iter().sum::<u64>(), 2);
    assert_eq!(nf.sparkline[1], 1);
    assert_eq!(nf.sparkline[2], 1);
}

#[test]
fn a_generic_status_alone_is_its_own_group() {
    let r = "44444444-4444-4444-8444-444444444444";
    let mut g = Grouper::new(0, 10, 1);
    g.add(&ev(5, "f", "s", "1", &format!("REPORT RequestId: {r}\tDuration: 3.0 ms\tBilled Duration: 3 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB\tStatus: error\tError Type: Runtime.ExitError")));
    let (groups, _) = g.finish();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].error_type, "Runtime.ExitError");
}

#[test]
fn request_lines_run_from_start_to_report() {
    let r = "55555555-5555-4555-8555-555555555555";
    let other = "66666666-6666-4666-8666-666666666666";
    let events = vec![
        ev(
            1,
            "f",
            "s",
            "1",
            &format!("START RequestId: {other} Version: $LATEST"),
        ),
        ev(
            2,
            "f",
            "s",
            "2",
            &format!(
                "REPORT RequestId: {other}\tDuration: 1 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB"
            ),
        ),
        ev(
            3,
            "f",
            "s",
            "3",
            &format!("START RequestId: {r} Version: $LATEST"),
        ),
        ev(4, "f", "s", "4", "plain line without an id"),
        ev(5, "f", "s", "5", &node_error(r, 1)),
        ev(6, "f", "s", "6", &format!("END RequestId: {r}")),
        ev(
            7,
            "f",
            "s",
            "7",
            &format!(
                "REPORT RequestId: {r}\tDuration: 1 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB"
            ),
        ),
        ev(
            8,
            "f",
            "s",
            "8",
            &format!("START RequestId: {other} Version: $LATEST"),
        ),
        ev(5, "f", "other-stream", "9", "elsewhere"),
    ];
    let mut g = Grouper::new(0, 10, 1);
    for e in &events {
        g.add(e);
    }
    let (groups, _) = g.finish();
    let lines = request_lines(&events, &groups[0].latest);
    let ids: Vec<&str> = lines.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids, ["3", "4", "5", "6", "7"]);
}

#[test]
fn groups_are_bounded() {
    let mut g = Grouper::new(0, i64::MAX, 1);
    for i in 0..(MAX_GROUPS + 5) {
        // Distinct types: distinct fingerprints.
        let msg = format!(
            "{{\"level\":\"ERROR\",\"message\":\"x\",\"error\":{{\"name\":\"E{}\",\"message\":\"m\"}}}}",
            to_letters(i)
        );
        g.add(&ev(i as i64, "f", "s", &i.to_string(), &msg));
    }
    let (groups, dropped) = g.finish();
    assert_eq!(groups.len(), MAX_GROUPS);
    assert_eq!(dropped, 5);
}

fn to_letters(mut i: usize) -> String {
    let mut s = String::new();
    loop {
        s.push((b'a' + (i % 26) as u8) as char);
        i /= 26;
        if i == 0 {
            return s;
        }
    }
}
