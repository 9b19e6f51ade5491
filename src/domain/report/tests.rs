use super::*;
use proptest::prelude::*;
use rstest::rstest;

const ID: &str = "3f5a4c1e-1234-4bcd-9e0f-aabbccddeeff";

proptest! {
    #[test]
    fn request_id_of_agrees_with_parse_line(
        words in proptest::collection::vec(
            prop_oneof![
                Just("START".to_string()),
                Just("END".to_string()),
                Just("REPORT".to_string()),
                Just("RequestId:".to_string()),
                Just("Duration:".to_string()),
                Just("Billed Duration:".to_string()),
                Just("Memory Size:".to_string()),
                Just("Max Memory Used:".to_string()),
                Just("12.5".to_string()),
                Just("ms".to_string()),
                Just(ID.to_string()),
                Just("{\"requestId\": \"abc\"}".to_string()),
                Just("Task timed out after 3.00 seconds".to_string()),
                Just("ERROR".to_string()),
                "[ -~]{0,12}",
            ],
            0..10,
        ),
        sep in prop_oneof![Just(" "), Just("\t")],
    ) {
        let msg = words.join(sep);
        let line = parse_line(&msg);
        prop_assert_eq!(request_id_of(&msg), line.request_id());
    }
}

fn report(duration_ms: f64, billed_ms: u64, memory_mb: u64, max_memory_mb: u64) -> Report {
    Report {
        request_id: ID.to_owned(),
        duration_ms,
        billed_ms: Some(billed_ms),
        memory_mb: Some(memory_mb),
        max_memory_mb: Some(max_memory_mb),
        init_ms: None,
        status: None,
        error_type: None,
        restore_ms: None,
        billed_restore_ms: None,
    }
}

fn other(id: Option<&str>) -> LambdaLine {
    LambdaLine::Other {
        request_id: id.map(str::to_owned),
    }
}

fn error(id: Option<&str>) -> LambdaLine {
    LambdaLine::Error {
        request_id: id.map(str::to_owned),
    }
}

#[rstest]
#[case::start("START RequestId: 3f5a4c1e-1234-4bcd-9e0f-aabbccddeeff Version: $LATEST",
    LambdaLine::Start { request_id: ID.into(), version: Some("$LATEST".into()) })]
#[case::start_tabs_newline("START RequestId: 3f5a4c1e-1234-4bcd-9e0f-aabbccddeeff\tVersion: 7\n",
    LambdaLine::Start { request_id: ID.into(), version: Some("7".into()) })]
#[case::start_no_version("START RequestId: abc", LambdaLine::Start { request_id: "abc".into(), version: None })]
#[case::end("END RequestId: 3f5a4c1e-1234-4bcd-9e0f-aabbccddeeff\n", LambdaLine::End { request_id: ID.into() })]
#[case::timeout("2024-01-01T00:00:00.000Z 3f5a4c1e-1234-4bcd-9e0f-aabbccddeeff Task timed out after 3.00 seconds\n",
    LambdaLine::Timeout { request_id: Some(ID.into()), seconds: Some(3.0) })]
#[case::timeout_tabs("2024-01-01T00:00:00.000Z\t3f5a4c1e-1234-4bcd-9e0f-aabbccddeeff\tTask timed out after 900.25 seconds",
    LambdaLine::Timeout { request_id: Some(ID.into()), seconds: Some(900.25) })]
#[case::timeout_bare("Task timed out after", LambdaLine::Timeout { request_id: None, seconds: None })]
#[case::node_info(
    "2024-01-01T00:00:00.000Z\t3f5a4c1e-1234-4bcd-9e0f-aabbccddeeff\tINFO\thello ERROR world",
    other(Some(ID))
)]
#[case::node_invoke_error(
    "2024-01-01T00:00:00.000Z\t3f5a4c1e-1234-4bcd-9e0f-aabbccddeeff\tERROR\tInvoke Error \t{\"errorType\":\"Error\"}",
    error(Some(ID))
)]
#[case::node_init_error(
    "2024-01-01T00:00:00.000Z\tundefined\tERROR\tUncaught Exception \t{}",
    error(None)
)]
#[case::python_error(
    "[ERROR]\t2024-01-01T00:00:00.000Z\t3f5a4c1e-1234-4bcd-9e0f-aabbccddeeff\tboom",
    error(Some(ID))
)]
#[case::python_import_error(
    "[ERROR] Runtime.ImportModuleError: Unable to import module 'app': No module named 'x'",
    error(None)
)]
#[case::python_info(
    "[INFO]\t2024-01-01T00:00:00.000Z\t3f5a4c1e-1234-4bcd-9e0f-aabbccddeeff\tok",
    other(Some(ID))
)]
#[case::java_error(
    "2024-01-01 12:00:00 3f5a4c1e-1234-4bcd-9e0f-aabbccddeeff ERROR Handler - failed",
    error(Some(ID))
)]
#[case::tracing_error(
    "2024-01-01T00:00:00.000000Z ERROR lambda_runtime: failed",
    error(None)
)]
#[case::bare_error("ERROR something broke", error(None))]
#[case::runtime_exited(
    "RequestId: 3f5a4c1e-1234-4bcd-9e0f-aabbccddeeff Error: Runtime exited with error: exit status 1",
    error(Some(ID))
)]
#[case::exit_error("Runtime.ExitError", error(None))]
#[case::json_error(
    r#"{"timestamp":"2024-01-01T00:00:00Z","level":"ERROR","requestId":"abc-1","message":"x"}"#,
    error(Some("abc-1"))
)]
#[case::json_info(
    r#"{"timestamp":"2024-01-01T00:00:00Z", "level": "INFO", "requestId": "abc-1"}"#,
    other(Some("abc-1"))
)]
#[case::error_mid_sentence("we saw ERROR here", other(None))]
#[case::uuid_late_in_message("order created 12 3f5a4c1e-1234-4bcd-9e0f-aabbccddeeff", other(None))]
#[case::extension(
    "EXTENSION\tName: x\tState: Ready\tEvents: [INVOKE,SHUTDOWN]",
    other(None)
)]
#[case::init_start(
    "INIT_START Runtime Version: python:3.12.v18\tRuntime Version ARN: arn:aws:lambda:eu-west-1::runtime:abc",
    other(None)
)]
#[case::truncated_report("REPORT RequestId: abc\tDuration:", other(Some("abc")))]
#[case::report_key_only("REPORT RequestId:", other(None))]
#[case::empty("", other(None))]
#[case::whitespace(" \t\n", other(None))]
#[case::unicode("héllo ✓ 日本語 RequestId✓: ΩΩ", other(None))]
#[case::garbage("::: :: : REPORT END START", other(None))]
fn classifies_lines(#[case] msg: &str, #[case] expected: LambdaLine) {
    assert_eq!(parse_line(msg), expected);
}

#[rstest]
#[case::cold("REPORT RequestId: 3f5a4c1e-1234-4bcd-9e0f-aabbccddeeff\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 67 MB\tInit Duration: 187.65 ms\t\n",
    Report { init_ms: Some(187.65), ..report(12.34, 13, 128, 67) })]
#[case::warm(
    "REPORT RequestId: 3f5a4c1e-1234-4bcd-9e0f-aabbccddeeff\tDuration: 1.5 ms\tBilled Duration: 2 ms\tMemory Size: 256 MB\tMax Memory Used: 70 MB\t",
    report(1.5, 2, 256, 70)
)]
#[case::timeout_spaces("REPORT RequestId: 3f5a4c1e-1234-4bcd-9e0f-aabbccddeeff Duration: 3000.00 ms Billed Duration: 3000 ms Memory Size: 128 MB Max Memory Used: 50 MB Status: timeout",
    Report { status: Some("timeout".into()), ..report(3000.0, 3000, 128, 50) })]
#[case::error_status("REPORT RequestId: 3f5a4c1e-1234-4bcd-9e0f-aabbccddeeff\tDuration: 5.01 ms\tBilled Duration: 6 ms\tMemory Size: 1024 MB\tMax Memory Used: 80 MB\tInit Duration: 300.1 ms\tStatus: error\tError Type: Runtime.ExitError",
    Report { init_ms: Some(300.1), status: Some("error".into()), error_type: Some("Runtime.ExitError".into()), ..report(5.01, 6, 1024, 80) })]
#[case::xray(
    "REPORT RequestId: 3f5a4c1e-1234-4bcd-9e0f-aabbccddeeff\tDuration: 2.00 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\t\nXRAY TraceId: 1-5e1b4151-5ac6c58f5c5a3b8d2f1e0a9b\tSegmentId: 6a7b8c9d0e1f2a3b\tSampled: true\t\n",
    report(2.0, 2, 128, 40)
)]
#[case::snapstart(
    "REPORT RequestId: 3f5a4c1e-1234-4bcd-9e0f-aabbccddeeff Duration: 5.00 ms Billed Duration: 100 ms Memory Size: 512 MB Max Memory Used: 90 MB Restore Duration: 300.00 ms Billed Restore Duration: 120 ms",
    Report { restore_ms: Some(300.0), billed_restore_ms: Some(120), ..report(5.0, 100, 512, 90) }
)]
#[case::attached_units(
    "REPORT RequestId: 3f5a4c1e-1234-4bcd-9e0f-aabbccddeeff Duration: 7.5ms Billed Duration: 8ms Memory Size: 128MB Max Memory Used: 9MB",
    report(7.5, 8, 128, 9)
)]
#[case::fractional_billed(
    "REPORT RequestId: 3f5a4c1e-1234-4bcd-9e0f-aabbccddeeff Duration: 7.5 ms Billed Duration: 8.0 ms Memory Size: 128 MB Max Memory Used: 9 MB",
    report(7.5, 8, 128, 9)
)]
fn parses_reports(#[case] msg: &str, #[case] expected: Report) {
    assert_eq!(parse_report(msg), Some(expected.clone()));
    assert_eq!(parse_line(msg), LambdaLine::Report(expected));
}

#[rstest]
#[case::not_report("START RequestId: x")]
#[case::leading_text(
    "x REPORT RequestId: a Duration: 1 ms Billed Duration: 1 ms Memory Size: 1 MB Max Memory Used: 1 MB"
)]
#[case::missing_duration(
    "REPORT RequestId: a Billed Duration: 1 ms Memory Size: 1 MB Max Memory Used: 1 MB"
)]
#[case::missing_request_id(
    "REPORT Duration: 1 ms Billed Duration: 1 ms Memory Size: 1 MB Max Memory Used: 1 MB"
)]
#[case::negative_duration(
    "REPORT RequestId: a Duration: -1 ms Billed Duration: 1 ms Memory Size: 1 MB Max Memory Used: 1 MB"
)]
#[case::nan_duration(
    "REPORT RequestId: a Duration: NaN ms Billed Duration: 1 ms Memory Size: 1 MB Max Memory Used: 1 MB"
)]
#[case::value_is_key(
    "REPORT RequestId: Duration: 1 ms Billed Duration: 1 ms Memory Size: 1 MB Max Memory Used: 1 MB"
)]
#[case::empty("")]
fn rejects_incomplete_reports(#[case] msg: &str) {
    assert_eq!(parse_report(msg), None);
}

#[test]
fn request_id_accessor_and_cold_start() {
    let line = parse_line("END RequestId: r-1");
    assert_eq!(line.request_id(), Some("r-1"));
    assert_eq!(other(None).request_id(), None);
    assert!(!report(1.0, 1, 1, 1).is_cold_start());
    assert!(
        Report {
            init_ms: Some(0.0),
            ..report(1.0, 1, 1, 1)
        }
        .is_cold_start()
    );
}

fn arb_report() -> impl Strategy<Value = Report> {
    (
        "[A-Za-z0-9-]{1,40}",
        0.0..1e9f64,
        proptest::option::of(any::<u64>()),
        proptest::option::of(any::<u64>()),
        proptest::option::of(any::<u64>()),
        proptest::option::of(0.0..1e7f64),
        proptest::option::of("(timeout|error|failure)"),
        proptest::option::of("[A-Za-z.]{1,24}"),
        proptest::option::of(0.0..1e7f64),
        proptest::option::of(any::<u64>()),
    )
        .prop_map(
            |(id, d, b, m, mm, init, status, et, restore, billed_restore)| Report {
                request_id: id,
                duration_ms: d,
                billed_ms: b,
                memory_mb: m,
                max_memory_mb: mm,
                init_ms: init,
                status,
                error_type: et,
                restore_ms: restore,
                billed_restore_ms: billed_restore,
            },
        )
}

fn token_soup() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("REPORT".to_owned()),
        Just("START".to_owned()),
        Just("RequestId:".to_owned()),
        Just("Duration:".to_owned()),
        Just("Billed".to_owned()),
        Just("Memory".to_owned()),
        Just("ms".to_owned()),
        Just(":".to_owned()),
        Just("[ERROR]".to_owned()),
        Just("Task timed out after".to_owned()),
        Just("{\"requestId\":\"".to_owned()),
        "[0-9.eE+-]{0,6}",
        any::<String>(),
    ];
    prop::collection::vec(token, 0..16).prop_map(|v| v.join(" "))
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_text(s in any::<String>()) {
        let _ = parse_line(&s);
        let _ = parse_report(&s);
    }

    #[test]
    fn never_panics_on_token_soup(s in token_soup()) {
        let line = parse_line(&s);
        if let Some(r) = parse_report(&s) {
            prop_assert_eq!(line, LambdaLine::Report(r));
        }
    }

    #[test]
    fn formatted_report_parses_back(r in arb_report(), spaces in any::<bool>(), xray in any::<bool>()) {
        let mut text = r.to_string();
        if spaces {
            text = text.replace('\t', " ");
        }
        if xray {
            text.push_str("\t\nXRAY TraceId: 1-abc-def\tSegmentId: 0a1b\tSampled: true\n");
        }
        prop_assert_eq!(parse_report(&text), Some(r.clone()));
        prop_assert_eq!(parse_line(&text), LambdaLine::Report(r));
    }
}

const JID: &str = "0b6e2c1d-8f3a-4d5e-9a7b-c1d2e3f4a5b6";

fn warm(duration_ms: f64) -> Report {
    Report {
        request_id: JID.into(),
        duration_ms,
        billed_ms: None,
        memory_mb: None,
        max_memory_mb: None,
        init_ms: None,
        status: None,
        error_type: None,
        restore_ms: None,
        billed_restore_ms: None,
    }
}

fn full(duration_ms: f64, billed: u64, memory: u64, used: u64) -> Report {
    Report {
        billed_ms: Some(billed),
        memory_mb: Some(memory),
        max_memory_mb: Some(used),
        ..warm(duration_ms)
    }
}

#[rstest]
#[case::json_report(
    r#"{"time":"2026-11-30T10:00:00.101Z","type":"platform.report","record":{"requestId":"0b6e2c1d-8f3a-4d5e-9a7b-c1d2e3f4a5b6","metrics":{"durationMs":2.41,"billedDurationMs":3,"memorySizeMB":512,"maxMemoryUsedMB":77},"status":"success"}}"#,
    full(2.41, 3, 512, 77)
)]
#[case::json_cold_spaces_newline(
    "{\"time\": \"2026-11-30T10:00:00Z\", \"type\": \"platform.report\", \"record\": {\"requestId\": \"0b6e2c1d-8f3a-4d5e-9a7b-c1d2e3f4a5b6\", \"metrics\": {\"durationMs\": 8.5, \"billedDurationMs\": 9, \"memorySizeMB\": 128, \"maxMemoryUsedMB\": 70, \"initDurationMs\": 412.07}, \"status\": \"success\"}}\n",
    Report { init_ms: Some(412.07), ..full(8.5, 9, 128, 70) }
)]
#[case::json_only_duration(
    r#"{"time":"2026-11-30T10:00:00Z","type":"platform.report","record":{"requestId":"0b6e2c1d-8f3a-4d5e-9a7b-c1d2e3f4a5b6","metrics":{"durationMs":1.9},"spans":[{"name":"responseLatency","durationMs":0.4}],"status":"success"}}"#,
    warm(1.9)
)]
#[case::json_restore(
    r#"{"time":"2026-11-30T10:00:00Z","type":"platform.report","record":{"requestId":"0b6e2c1d-8f3a-4d5e-9a7b-c1d2e3f4a5b6","status":"success","metrics":{"durationMs":151.2,"billedDurationMs":152,"memorySizeMB":512,"maxMemoryUsedMB":95,"restoreDurationMs":488.1,"billedRestoreDurationMs":61}}}"#,
    Report { restore_ms: Some(488.1), billed_restore_ms: Some(61), ..full(151.2, 152, 512, 95) }
)]
#[case::json_timeout(
    r#"{"time":"2026-11-30T10:00:00Z","type":"platform.report","record":{"requestId":"0b6e2c1d-8f3a-4d5e-9a7b-c1d2e3f4a5b6","metrics":{"durationMs":6000.0,"billedDurationMs":6000,"memorySizeMB":128,"maxMemoryUsedMB":81,"initDurationMs":310.4},"status":"timeout"}}"#,
    Report { init_ms: Some(310.4), status: Some("timeout".into()), ..full(6000.0, 6000, 128, 81) }
)]
#[case::json_error_type(
    r#"{"time":"2026-11-30T10:00:00Z","type":"platform.report","record":{"requestId":"0b6e2c1d-8f3a-4d5e-9a7b-c1d2e3f4a5b6","metrics":{"durationMs":12.0,"billedDurationMs":12,"memorySizeMB":128,"maxMemoryUsedMB":20},"status":"error","errorType":"Runtime.ExitError"}}"#,
    Report { status: Some("error".into()), error_type: Some("Runtime.ExitError".into()), ..full(12.0, 12, 128, 20) }
)]
#[case::text_init_first(
    "REPORT RequestId: 0b6e2c1d-8f3a-4d5e-9a7b-c1d2e3f4a5b6  Init Duration: 51.5 ms   Duration: 240.0 ms   Billed Duration: 241 ms   Memory Size: 128 MB   Max Memory Used: 31 MB",
    Report { init_ms: Some(51.5), ..full(240.0, 241, 128, 31) }
)]
#[case::text_restore_tabs(
    "REPORT RequestId: 0b6e2c1d-8f3a-4d5e-9a7b-c1d2e3f4a5b6\tDuration: 402.5 ms\tBilled Duration: 403 ms\tMemory Size: 1024 MB\tMax Memory Used: 33 MB\tRestore Duration: 470.2 ms\tBilled Restore Duration: 80 ms",
    Report { restore_ms: Some(470.2), billed_restore_ms: Some(80), ..full(402.5, 403, 1024, 33) }
)]
#[case::text_init_start_report_xray_one_event(
    "INIT_START Runtime Version: python:3.13.v9\tRuntime Version ARN: arn:aws:lambda:eu-west-1::runtime:9f8e\nSTART RequestId: 0b6e2c1d-8f3a-4d5e-9a7b-c1d2e3f4a5b6 Version: $LATEST\nREPORT RequestId: 0b6e2c1d-8f3a-4d5e-9a7b-c1d2e3f4a5b6\tDuration: 4.0 ms\tBilled Duration: 5 ms\tMemory Size: 128 MB\tMax Memory Used: 41 MB\tInit Duration: 120.0 ms\t\nXRAY TraceId: 1-6749e1a0-0a1b2c3d4e5f60718293a4b5\tSegmentId: 0f1e2d3c4b5a6978\tSampled: true\n",
    Report { init_ms: Some(120.0), ..full(4.0, 5, 128, 41) }
)]
#[case::text_status_error_spaces(
    "REPORT RequestId: 0b6e2c1d-8f3a-4d5e-9a7b-c1d2e3f4a5b6 Duration: 9.1 ms Billed Duration: 10 ms Memory Size: 128 MB Max Memory Used: 12 MB Status: error Error Type: Runtime.InvalidEntrypoint",
    Report { status: Some("error".into()), error_type: Some("Runtime.InvalidEntrypoint".into()), ..full(9.1, 10, 128, 12) }
)]
#[case::text_only_duration(
    "REPORT RequestId: 0b6e2c1d-8f3a-4d5e-9a7b-c1d2e3f4a5b6\tDuration: 1.9 ms\t",
    warm(1.9)
)]
fn parses_reports_of_both_formats(#[case] msg: &str, #[case] expected: Report) {
    assert_eq!(parse_line(msg), LambdaLine::Report(expected.clone()));
    assert_eq!(parse_report(msg), Some(expected));
    assert_eq!(request_id_of(msg), Some(JID));
}

fn init(
    phase: &str,
    duration_ms: Option<f64>,
    status: Option<&str>,
    et: Option<&str>,
) -> LambdaLine {
    LambdaLine::InitReport(InitReport {
        phase: phase.into(),
        duration_ms,
        status: status.map(str::to_owned),
        error_type: et.map(str::to_owned),
    })
}

#[rstest]
#[case::text_init_report_error(
    "INIT_REPORT Init Duration: 190.4 ms\tPhase: init\tStatus: error\tError Type: Runtime.ExitError",
    init("init", Some(190.4), Some("error"), Some("Runtime.ExitError"))
)]
#[case::text_init_report_invoke_timeout(
    "INIT_REPORT Init Duration: 9999.9 ms Phase: invoke Status: timeout",
    init("invoke", Some(9999.9), Some("timeout"), None)
)]
#[case::text_restore_report(
    "RESTORE_REPORT Restore Duration: 512.3 ms",
    init("restore", Some(512.3), None, None)
)]
#[case::json_init_report(
    r#"{"time":"2026-11-30T10:00:00Z","type":"platform.initReport","record":{"initializationType":"on-demand","phase":"init","status":"error","errorType":"Runtime.ExitError","metrics":{"durationMs":190.4}}}"#,
    init("init", Some(190.4), Some("error"), Some("Runtime.ExitError"))
)]
#[case::json_restore_report(
    r#"{"time":"2026-11-30T10:00:00Z","type":"platform.restoreReport","record":{"status":"success","metrics":{"durationMs":512.3}}}"#,
    init("restore", Some(512.3), None, None)
)]
#[case::json_start(
    r#"{"time":"2026-11-30T10:00:00Z","type":"platform.start","record":{"requestId":"0b6e2c1d-8f3a-4d5e-9a7b-c1d2e3f4a5b6","version":"8"}}"#,
    LambdaLine::Start { request_id: JID.into(), version: Some("8".into()) }
)]
#[case::json_runtime_done(
    r#"{"time":"2026-11-30T10:00:00Z","type":"platform.runtimeDone","record":{"requestId":"0b6e2c1d-8f3a-4d5e-9a7b-c1d2e3f4a5b6","status":"success","spans":[]}}"#,
    LambdaLine::End { request_id: JID.into() }
)]
#[case::json_runtime_done_timeout(
    r#"{"time":"2026-11-30T10:00:00Z","type":"platform.runtimeDone","record":{"requestId":"0b6e2c1d-8f3a-4d5e-9a7b-c1d2e3f4a5b6","status":"timeout","metrics":{"durationMs":3000.0}}}"#,
    LambdaLine::Timeout { request_id: Some(JID.into()), seconds: Some(3.0) }
)]
#[case::json_runtime_done_failure(
    r#"{"time":"2026-11-30T10:00:00Z","type":"platform.runtimeDone","record":{"requestId":"0b6e2c1d-8f3a-4d5e-9a7b-c1d2e3f4a5b6","status":"failure"}}"#,
    LambdaLine::Error { request_id: Some(JID.into()) }
)]
#[case::json_fault(
    r#"{"time":"2026-11-30T10:00:00Z","type":"platform.fault","record":"RequestId: 0b6e2c1d-8f3a-4d5e-9a7b-c1d2e3f4a5b6 Process exited before completing request"}"#,
    LambdaLine::Error { request_id: Some(JID.into()) }
)]
#[case::json_init_start(
    r#"{"time":"2026-11-30T10:00:00Z","type":"platform.initStart","record":{"initializationType":"on-demand","phase":"init"}}"#,
    other(None)
)]
#[case::json_application_info(
    r#"{"timestamp":"2026-11-30T10:00:00Z","level":"INFO","requestId":"0b6e2c1d-8f3a-4d5e-9a7b-c1d2e3f4a5b6","message":"saved"}"#,
    other(Some(JID))
)]
#[case::json_application_fatal_lowercase(
    r#"{"timestamp":"2026-11-30T10:00:00Z","level":"fatal","requestId":"0b6e2c1d-8f3a-4d5e-9a7b-c1d2e3f4a5b6","message":"gone"}"#,
    error(Some(JID))
)]
#[case::json_glued_after_extension_text(
    r#"[Datadog Extension] 2026/11/30 10:00:00 starting up.{"time":"2026-11-30T10:00:00Z","type":"platform.start","record":{"requestId":"0b6e2c1d-8f3a-4d5e-9a7b-c1d2e3f4a5b6","version":"$LATEST"}}"#,
    LambdaLine::Start { request_id: JID.into(), version: Some("$LATEST".into()) }
)]
#[case::json_followed_by_glued_record(
    "{\"timestamp\":\"2026-11-30T10:00:00Z\",\"level\":\"ERROR\",\"requestId\":\"0b6e2c1d-8f3a-4d5e-9a7b-c1d2e3f4a5b6\",\"message\":\"x\"}\n[Extension] flushed",
    error(Some(JID))
)]
#[case::json_cut_short(
    r#"{"time":"2026-11-30T10:00:00Z","type":"platform.runtimeDone","record":{"requestId":"0b6e2c1d-8f3a-4d5e-9a7b-c1d2e3f4a5b6","status":"success","spans":[{"name":"responseLatency","#,
    other(Some(JID))
)]
#[case::json_cut_error_record(
    r#"{"timestamp":"2026-11-30T10:00:00Z","level":"ERROR","requestId":"0b6e2c1d-8f3a-4d5e-9a7b-c1d2e3f4a5b6","message":"cut"#,
    error(Some(JID))
)]
#[case::plain_extension_line(
    "[AWS Parameters and Secrets Lambda Extension] 2026/11/30 10:00:00 log level set to info.",
    other(None)
)]
#[case::node_carriage_returns(
    "2026-11-30T10:00:00.000Z\t0b6e2c1d-8f3a-4d5e-9a7b-c1d2e3f4a5b6\tINFO\tEVENT\r{\r  \"key\": \"value\"\r}\n",
    other(Some(JID))
)]
fn classifies_records_of_both_formats(#[case] msg: &str, #[case] expected: LambdaLine) {
    assert_eq!(parse_line(msg), expected);
}

#[test]
fn a_carriage_return_never_reaches_the_terminal() {
    let msg = "2026-11-30T10:00:00.000Z\t0b6e2c1d-8f3a-4d5e-9a7b-c1d2e3f4a5b6\tINFO\tEVENT\r{\r  \"key\": \"value\"\r}\n";
    for shown in [
        crate::domain::sanitize::sanitize(msg),
        crate::domain::sanitize::sanitize_multiline(msg),
    ] {
        assert!(!shown.contains('\r'), "{shown}");
    }
}

#[test]
fn display_texts_say_what_is_known() {
    assert_eq!(warm(1.0).billing_text(), "billed ? ms · ?/? MB");
    assert_eq!(
        full(1.0, 2, 128, 60).billing_text(),
        "billed 2 ms · 60/128 MB"
    );
    assert_eq!(warm(1.0).cold_start_text(), None);
    let restored = Report {
        restore_ms: Some(300.0),
        ..warm(1.0)
    };
    assert!(restored.is_cold_start());
    assert_eq!(
        restored.cold_start_text().as_deref(),
        Some("cold start (restore 300.0 ms)")
    );
    assert!(
        Report {
            status: Some("failure".into()),
            ..warm(1.0)
        }
        .is_failure()
    );
    let timed_out = Report {
        status: Some("timeout".into()),
        error_type: Some("Sandbox.Timedout".into()),
        ..warm(1.0)
    };
    assert!(timed_out.is_timeout() && !timed_out.is_failure());
}
