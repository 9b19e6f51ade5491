//! Parsing of the lines the Lambda platform and runtimes write to `CloudWatch` Logs:
//! START / END / REPORT, timeouts, runtime errors, and request ids of ordinary lines.

use std::fmt;

/// The figures of one `REPORT RequestId: ...` line, written once per invocation.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Report {
    /// The invocation's request id.
    pub request_id: String,
    /// `Duration:` in milliseconds.
    pub duration_ms: f64,
    /// `Billed Duration:` in milliseconds.
    pub billed_ms: u64,
    /// `Memory Size:` (configured) in MB.
    pub memory_mb: u64,
    /// `Max Memory Used:` in MB.
    pub max_memory_mb: u64,
    /// Present only on the first invocation of an execution environment (a cold start).
    pub init_ms: Option<f64>,
    /// The newer `Status:` field, e.g. `"timeout"` or `"error"`.
    pub status: Option<String>,
    /// The newer `Error Type:` field, e.g. `"Runtime.ExitError"`.
    pub error_type: Option<String>,
}

impl Report {
    /// Whether this invocation started a new execution environment.
    pub fn is_cold_start(&self) -> bool {
        self.init_ms.is_some()
    }
}

impl fmt::Display for Report {
    /// Writes the line in the tab-separated shape Lambda uses, so it parses back to the same values.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "REPORT RequestId: {}\tDuration: {} ms\tBilled Duration: {} ms\tMemory Size: {} MB\tMax Memory Used: {} MB",
            self.request_id, self.duration_ms, self.billed_ms, self.memory_mb, self.max_memory_mb
        )?;
        if let Some(init) = self.init_ms {
            write!(f, "\tInit Duration: {init} ms")?;
        }
        if let Some(status) = &self.status {
            write!(f, "\tStatus: {status}")?;
        }
        if let Some(error_type) = &self.error_type {
            write!(f, "\tError Type: {error_type}")?;
        }
        Ok(())
    }
}

/// What one log message means to the Lambda platform.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LambdaLine {
    /// `START RequestId: <id> Version: $LATEST`.
    Start {
        /// The invocation's request id.
        request_id: String,
        /// The function version invoked, e.g. `$LATEST`.
        version: Option<String>,
    },
    /// `END RequestId: <id>`.
    End {
        /// The invocation's request id.
        request_id: String,
    },
    /// `REPORT RequestId: <id> Duration: ...`.
    Report(Report),
    /// `Task timed out after 3.00 seconds`.
    Timeout {
        /// The request that timed out, when the line carries it.
        request_id: Option<String>,
        /// The timeout in seconds, when readable.
        seconds: Option<f64>,
    },
    /// A runtime error line (`ERROR`, `[ERROR]`, `Runtime.ExitError`, `Error: Runtime exited ...`).
    Error {
        /// The failing request, when the line carries it.
        request_id: Option<String>,
    },
    /// Anything else.
    Other {
        /// The request id, when the runtime's line prefix carries one.
        request_id: Option<String>,
    },
}

impl LambdaLine {
    /// The request id this line belongs to, when known.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Start { request_id, .. } | Self::End { request_id } => Some(request_id),
            Self::Report(r) => Some(&r.request_id),
            Self::Timeout { request_id, .. }
            | Self::Error { request_id }
            | Self::Other { request_id } => request_id.as_deref(),
        }
    }
}

/// Classifies one log message; never panics, whatever the input.
pub fn parse_line(msg: &str) -> LambdaLine {
    let mut tokens = msg.split_whitespace();
    let first = tokens.next().unwrap_or("");
    let second = tokens.next().unwrap_or("");
    if second == "RequestId:" {
        match first {
            "START" => {
                if let Some(request_id) = value_after(msg, "RequestId:") {
                    let version = value_after(msg, "Version:").map(str::to_owned);
                    return LambdaLine::Start {
                        request_id: request_id.to_owned(),
                        version,
                    };
                }
            }
            "END" => {
                if let Some(request_id) = value_after(msg, "RequestId:") {
                    return LambdaLine::End {
                        request_id: request_id.to_owned(),
                    };
                }
            }
            "REPORT" => {
                if let Some(report) = parse_report(msg) {
                    return LambdaLine::Report(report);
                }
            }
            _ => {}
        }
    }
    let request_id = request_id_of(msg).map(str::to_owned);
    if let Some(pos) = msg.find("Task timed out after") {
        let seconds = msg[pos..]
            .split_whitespace()
            .nth(4)
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.0);
        return LambdaLine::Timeout {
            request_id,
            seconds,
        };
    }
    if is_error_line(msg) {
        return LambdaLine::Error { request_id };
    }
    LambdaLine::Other { request_id }
}

/// Parses a `REPORT RequestId: ...` line; `None` if it is not one or lacks a required figure.
pub fn parse_report(msg: &str) -> Option<Report> {
    let tokens: Vec<&str> = msg.split_whitespace().collect();
    if tokens.first() != Some(&"REPORT") {
        return None;
    }
    let mut fields = ReportFields::default();
    let mut key_start = 1;
    let mut i = 1;
    while i < tokens.len() {
        let tok = tokens[i];
        let Some(last_word) = tok.strip_suffix(':').filter(|w| !w.is_empty()) else {
            i += 1;
            continue;
        };
        let mut key = tokens[key_start..i].join(" ");
        if !key.is_empty() {
            key.push(' ');
        }
        key.push_str(last_word);
        i += 1;
        if let Some(value) = tokens.get(i).filter(|v| !v.ends_with(':')) {
            fields.set(&key, value);
            i += 1;
            if matches!(tokens.get(i), Some(&("ms" | "MB"))) {
                i += 1;
            }
        }
        key_start = i;
    }
    fields.build()
}

#[derive(Default)]
struct ReportFields<'a> {
    request_id: Option<&'a str>,
    duration_ms: Option<f64>,
    billed_ms: Option<u64>,
    memory_mb: Option<u64>,
    max_memory_mb: Option<u64>,
    init_ms: Option<f64>,
    status: Option<&'a str>,
    error_type: Option<&'a str>,
}

impl<'a> ReportFields<'a> {
    fn set(&mut self, key: &str, value: &'a str) {
        match key {
            "RequestId" => fill(&mut self.request_id, Some(value)),
            "Duration" => fill(&mut self.duration_ms, parse_f64(value)),
            "Billed Duration" => fill(&mut self.billed_ms, parse_u64(value)),
            "Memory Size" => fill(&mut self.memory_mb, parse_u64(value)),
            "Max Memory Used" => fill(&mut self.max_memory_mb, parse_u64(value)),
            "Init Duration" => fill(&mut self.init_ms, parse_f64(value)),
            "Status" => fill(&mut self.status, Some(value)),
            "Error Type" => fill(&mut self.error_type, Some(value)),
            _ => {}
        }
    }

    fn build(self) -> Option<Report> {
        Some(Report {
            request_id: self.request_id?.to_owned(),
            duration_ms: self.duration_ms?,
            billed_ms: self.billed_ms?,
            memory_mb: self.memory_mb?,
            max_memory_mb: self.max_memory_mb?,
            init_ms: self.init_ms,
            status: self.status.map(str::to_owned),
            error_type: self.error_type.map(str::to_owned),
        })
    }
}

fn fill<T>(slot: &mut Option<T>, value: Option<T>) {
    if slot.is_none() {
        *slot = value;
    }
}

fn strip_unit(value: &str) -> &str {
    value
        .strip_suffix("ms")
        .or_else(|| value.strip_suffix("MB"))
        .unwrap_or(value)
}

fn parse_f64(value: &str) -> Option<f64> {
    strip_unit(value)
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
}

fn parse_u64(value: &str) -> Option<u64> {
    let v = strip_unit(value);
    v.parse::<u64>().ok().or_else(|| {
        v.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite() && *f >= 0.0 && *f <= u64::MAX as f64)
            .map(|f| f.round() as u64)
    })
}

/// The whitespace-delimited token following the token `key`.
fn value_after<'a>(msg: &'a str, key: &str) -> Option<&'a str> {
    // A substring search first: most lines do not hold the key at all.
    if !msg.contains(key) {
        return None;
    }
    let mut tokens = msg.split_whitespace();
    tokens.find(|t| *t == key)?;
    tokens.next().filter(|v| !v.ends_with(':'))
}

/// The request id of any line, borrowed: what `parse_line(msg).request_id()` gives, without
/// building the line (a `RequestId: <id>` token pair, which is also where START, END and REPORT
/// lines keep theirs; a JSON `"requestId"`; or a UUID among the first three tokens, the prefix
/// runtimes put before the message).
pub fn request_id_of(msg: &str) -> Option<&str> {
    if let Some(id) = value_after(msg, "RequestId:") {
        return Some(id);
    }
    if msg.trim_start().starts_with('{')
        && let Some(id) = json_string_field(msg, "requestId")
    {
        return Some(id);
    }
    msg.split_whitespace().take(3).find(|t| is_uuid(t))
}

/// A string value of `"key": "value"` in a flat JSON line, without unescaping.
fn json_string_field<'a>(msg: &'a str, key: &str) -> Option<&'a str> {
    let needle = format!("\"{key}\"");
    let rest = &msg[msg.find(&needle)? + needle.len()..];
    let rest = rest.trim_start().strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    rest.get(..rest.find('"')?)
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                b == b'-'
            } else {
                b.is_ascii_hexdigit()
            }
        })
}

/// An `ERROR` level marker where runtimes put it (first, after a leading timestamp, or after
/// the request id), a JSON `"level":"ERROR"`, or the
/// platform's runtime-exit messages.
fn is_error_line(msg: &str) -> bool {
    if msg.contains("Runtime.ExitError") || msg.contains("Error: Runtime exited") {
        return true;
    }
    if msg.trim_start().starts_with('{') {
        return json_string_field(msg, "level") == Some("ERROR");
    }
    let tokens: Vec<&str> = msg.split_whitespace().take(4).collect();
    let is_marker = |t: &str| matches!(t, "ERROR" | "[ERROR]");
    tokens.first().is_some_and(|t| is_marker(t))
        || tokens.windows(2).enumerate().any(|(i, pair)| {
            let (prev, t) = (pair[0], pair[1]);
            is_marker(t)
                && (is_uuid(prev)
                    || prev == "undefined"
                    || (i == 0 && prev.starts_with(|c: char| c.is_ascii_digit())))
        })
}

/// The last REPORT line in a log tail, parsed.
pub fn report_of(tail: &str) -> Option<Report> {
    tail.lines().rev().find_map(parse_report)
}

#[cfg(test)]
mod tests {
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
            billed_ms,
            memory_mb,
            max_memory_mb,
            init_ms: None,
            status: None,
            error_type: None,
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
    #[case::uuid_late_in_message(
        "order created 12 3f5a4c1e-1234-4bcd-9e0f-aabbccddeeff",
        other(None)
    )]
    #[case::extension(
        "EXTENSION\tName: x\tState: Ready\tEvents: [INVOKE,SHUTDOWN]",
        other(None)
    )]
    #[case::init_start(
        "INIT_START Runtime Version: python:3.12.v18\tRuntime Version ARN: arn:aws:lambda:eu-west-1::runtime:abc",
        other(None)
    )]
    #[case::init_report(
        "INIT_REPORT Init Duration: 10000.00 ms Phase: init Status: timeout",
        other(None)
    )]
    #[case::truncated_report("REPORT RequestId: abc\tDuration: 1.0 ms", other(Some("abc")))]
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
        report(5.0, 100, 512, 90)
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
    #[case::missing_max_memory(
        "REPORT RequestId: a Duration: 1 ms Billed Duration: 1 ms Memory Size: 1 MB"
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
    #[case::text_memory(
        "REPORT RequestId: a Duration: 1 ms Billed Duration: 1 ms Memory Size: lots MB Max Memory Used: 1 MB"
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
            any::<u64>(),
            any::<u64>(),
            any::<u64>(),
            proptest::option::of(0.0..1e7f64),
            proptest::option::of("[a-z]{1,10}"),
            proptest::option::of("[A-Za-z.]{1,24}"),
        )
            .prop_map(|(id, d, b, m, mm, init, status, et)| Report {
                request_id: id,
                duration_ms: d,
                billed_ms: b,
                memory_mb: m,
                max_memory_mb: mm,
                init_ms: init,
                status,
                error_type: et,
            })
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
}
