//! Hostile input at every parser of outside data: log lines (REPORT, JSON records), DynamoDB
//! JSON, templates, stack names and ids, the config and payload files. None panics, errors are
//! text, and anything drawn from them, once through `sanitize`, holds no terminal control byte.

use std::path::Path;

use proptest::prelude::*;
use serde_json::Value;

use crate::domain::sanitize::{is_unsafe_char, sanitize, sanitize_multiline};

/// Strings made of any characters, weighted towards C0, C1, ESC, DEL and bidi controls and the
/// punctuation the parsers split on.
fn hostile() -> impl Strategy<Value = String> {
    let ch = prop_oneof![
        3 => any::<char>(),
        2 => prop::sample::select(vec![
            '\u{1b}', '\u{7}', '\u{0}', '\r', '\n', '\t', '\u{7f}', '\u{9b}', '\u{9d}',
            '\u{85}', '\u{202e}', '\u{2066}', '\u{feff}', '[', ']', '{', '}', '"', ':', ',',
            '\\', ' ', 'é', '日', '\u{1f600}',
        ]),
        2 => prop::sample::select(vec!['a', 'R', 'E', 'P', 'O', 'T', '1', '0', '.', '-', '/']),
    ];
    prop::collection::vec(ch, 0..120).prop_map(|v| v.into_iter().collect())
}

/// Hostile text spliced into the shapes the parsers expect.
fn shaped() -> impl Strategy<Value = String> {
    let frames = prop::sample::select(vec![
        "REPORT RequestId: {}\tDuration: 1.{} ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: {} MB\tInit Duration: {} ms",
        "START RequestId: {} Version: $LATEST",
        "END RequestId: {}",
        "2024-01-01T00:00:00.000Z\t{}\tERROR\t{}",
        "{\"time\":\"{}\",\"type\":\"platform.report\",\"record\":{\"requestId\":\"{}\",\"metrics\":{\"durationMs\":{}}}}",
        "{\"level\":\"ERROR\",\"requestId\":\"{}\",\"message\":\"{}\"}",
        "{\"Resources\":{\"{}\":{\"Type\":\"{}\",\"DeletionPolicy\":\"{}\"}}}",
        "Resources:\n  {}:\n    Type: {}\n    DeletionPolicy: {}\n",
        "{\"pk\":{\"S\":\"{}\"},\"n\":{\"N\":\"{}\"},\"l\":{\"L\":[{\"{}\":\"x\"}]}}",
        "[discovery]\ntags = [\"{}\"]\n[teardown]\nmax_wait = \"{}\"\n[keys]\n{} = \"q\"\n",
        "arn:aws:cloudformation:us-east-1:123456789012:stack/{}/{}",
        "{}-{}-{}",
    ]);
    (frames, prop::collection::vec(hostile(), 4)).prop_map(|(frame, parts)| {
        let mut out = String::new();
        let mut parts = parts.into_iter();
        for (i, piece) in frame.split("{}").enumerate() {
            if i > 0 {
                out.push_str(&parts.next().unwrap_or_default());
            }
            out.push_str(piece);
        }
        out
    })
}

fn input() -> impl Strategy<Value = String> {
    prop_oneof![hostile(), shaped()]
}

fn assert_drawable(text: &str) {
    assert!(
        !sanitize(text).chars().any(is_unsafe_char),
        "unsafe after sanitize: {text:?}"
    );
    assert!(
        !sanitize_multiline(text)
            .chars()
            .any(|c| c != '\n' && c != '\t' && is_unsafe_char(c)),
        "unsafe after sanitize_multiline: {text:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn log_lines_never_panic_and_draw_clean(msg in input()) {
        let line = crate::domain::report::parse_line(&msg);
        assert_drawable(&format!("{line:?}"));
        if let Some(id) = line.request_id() {
            assert_drawable(id);
        }
        if let Some(report) = crate::domain::report::parse_report(&msg) {
            assert_drawable(&report.to_string());
        }
        if let Some(id) = crate::domain::report::request_id_of(&msg) {
            prop_assert!(msg.contains(id));
            assert_drawable(id);
        }
    }

    #[test]
    fn dynamodb_json_never_panics_and_errors_draw_clean(text in input()) {
        if let Ok(v) = serde_json::from_str::<Value>(&text) {
            for r in [
                crate::domain::dynamo::item_from_typed_json(&v),
                crate::domain::dynamo::item_from_plain_json(&v),
            ] {
                match r {
                    Ok(item) => {
                        for a in item.values() {
                            assert_drawable(&crate::domain::dynamo::cell_text(a, 40));
                        }
                    }
                    Err(e) => {
                        let msg = e.to_string();
                        prop_assert!(!msg.is_empty());
                        assert_drawable(&msg);
                    }
                }
            }
        }
    }

    #[test]
    fn templates_never_panic_and_errors_draw_clean(body in input()) {
        match crate::domain::teardown::deletion_policies(&body) {
            Ok(policies) => {
                for id in policies.keys() {
                    assert_drawable(id);
                }
            }
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(!msg.is_empty());
                assert_drawable(&msg);
            }
        }
    }

    #[test]
    fn stack_names_and_paths_never_panic(a in input(), b in input()) {
        use crate::domain::nested;
        assert_drawable(nested::stack_name_of(&a));
        let path = nested::child_path(&a, &b);
        let _ = nested::depth(&path);
        assert_drawable(nested::relative_path(&a, &path));
        if let Some(parent) = nested::parent_name_candidate(&a) {
            prop_assert!(a.contains(parent));
        }
    }

    #[test]
    fn config_never_panics_and_errors_draw_clean(text in input()) {
        if let Err(e) = crate::config::Config::parse(&text, Path::new("hostile.toml")) {
            let msg = e.to_string();
            prop_assert!(!msg.is_empty());
            assert_drawable(&msg);
        }
        if let Err(e) = crate::config::parse_duration(&text) {
            assert_drawable(&e);
        }
    }

    #[test]
    fn payload_files_never_panic_and_errors_are_one_clean_line(text in input()) {
        if let Err(e) = crate::domain::invoke::parse_payload(&text) {
            prop_assert!(!e.is_empty());
            prop_assert!(!e.contains('\n'), "one line: {e:?}");
            assert_drawable(&e);
        }
        let bytes = text.as_bytes();
        assert_drawable(&crate::domain::invoke::pretty_body(bytes));
        let _ = crate::domain::invoke::body_value(bytes);
        let _ = crate::domain::invoke::EventShape::parse(&text);
    }
}
