//! Custom and shared log groups, and the JSON log format, against the emulator: a stack of
//! our own whose `text` function logs in text to its own group while `create` and `list`
//! log JSON to one custom group (`LoggingConfig.LogGroup`, read from the template since the
//! emulator's GetFunctionConfiguration leaves it out), which another application shares.
//! Each event must be attributed to its function by stream name, the other application's
//! events left out, and one set of invocations must give the same reports in both formats.

use std::collections::BTreeMap;

use chrono::Utc;
use serde_json::Value;

use crate::investigate::{create_stack, json_lines, protoctl_with, seed, unique};
use crate::support::{run, stderr, stdout};

const TEMPLATE: &str = r#"{
  "Resources": {
    "Role": {
      "Type": "AWS::IAM::Role",
      "Properties": {
        "RoleName": {"Fn::Sub": "${AWS::StackName}-role"},
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
          "Principal": {"Service": ["lambda.amazonaws.com"]}, "Action": ["sts:AssumeRole"]}]}
      }
    },
    "TextFunction": {
      "Type": "AWS::Lambda::Function",
      "Properties": {
        "FunctionName": {"Fn::Sub": "${AWS::StackName}-text"},
        "Runtime": "nodejs20.x", "Handler": "index.handler",
        "Role": {"Fn::GetAtt": ["Role", "Arn"]},
        "Code": {"ZipFile": "exports.handler = async () => ({});"}
      }
    },
    "CreateFunction": {
      "Type": "AWS::Lambda::Function",
      "Properties": {
        "FunctionName": {"Fn::Sub": "${AWS::StackName}-create"},
        "Runtime": "nodejs20.x", "Handler": "index.handler",
        "Role": {"Fn::GetAtt": ["Role", "Arn"]},
        "Code": {"ZipFile": "exports.handler = async () => ({});"},
        "LoggingConfig": {"LogFormat": "JSON", "LogGroup": {"Ref": "SharedLogs"}}
      }
    },
    "ListFunction": {
      "Type": "AWS::Lambda::Function",
      "Properties": {
        "FunctionName": {"Fn::Sub": "${AWS::StackName}-list"},
        "Runtime": "python3.12", "Handler": "app.handler",
        "Role": {"Fn::GetAtt": ["Role", "Arn"]},
        "Code": {"ZipFile": "def handler(e, c): return {}"},
        "LoggingConfig": {"LogFormat": "JSON", "LogGroup": {"Ref": "SharedLogs"}}
      }
    },
    "SharedLogs": {
      "Type": "AWS::Logs::LogGroup",
      "Properties": {"LogGroupName": {"Fn::Sub": "/shared/${AWS::StackName}"}}
    }
  }
}"#;

/// `(request id, duration, init, status)` of the invocations both formats describe.
const INVOCATIONS: [(&str, f64, Option<f64>, &str); 3] = [
    (
        "5d1c7a20-0000-4a1b-9c2d-000000000001",
        12.5,
        Some(210.25),
        "success",
    ),
    (
        "5d1c7a20-0000-4a1b-9c2d-000000000002",
        3.75,
        None,
        "success",
    ),
    (
        "5d1c7a20-0000-4a1b-9c2d-000000000003",
        3000.0,
        None,
        "timeout",
    ),
];

fn text_events() -> Vec<(i64, String)> {
    let mut out = Vec::new();
    for (n, (id, duration, init, status)) in INVOCATIONS.iter().enumerate() {
        let age = 600 - 60 * n as i64;
        out.push((age, format!("START RequestId: {id} Version: $LATEST\n")));
        out.push((
            age - 1,
            format!("2026-12-02T10:00:00.000Z\t{id}\tINFO\tworking\r{{\r}}\n"),
        ));
        let mut report = format!(
            "REPORT RequestId: {id}\tDuration: {duration} ms\tBilled Duration: {} ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\t",
            duration.ceil()
        );
        if let Some(init) = init {
            report = format!(
                "REPORT RequestId: {id}  Init Duration: {init} ms  Duration: {duration} ms  Billed Duration: {} ms  Memory Size: 128 MB  Max Memory Used: 70 MB",
                duration.ceil()
            );
        }
        if *status == "timeout" {
            out.push((
                age - 2,
                format!("2026-12-02T10:00:03.000Z {id} Task timed out after 3.00 seconds\n"),
            ));
            report.push_str("Status: timeout");
        }
        out.push((age - 3, format!("END RequestId: {id}\n")));
        out.push((age - 3, format!("{report}\n")));
    }
    out
}

fn json_events() -> Vec<(i64, String)> {
    let mut out = Vec::new();
    for (n, (id, duration, init, status)) in INVOCATIONS.iter().enumerate() {
        let age = 600 - 60 * n as i64;
        let start = format!(
            r#"{{"time":"2026-12-02T10:00:00.000Z","type":"platform.start","record":{{"requestId":"{id}","version":"$LATEST"}}}}"#
        );
        // An extension's plain-text line glued to the next record.
        out.push((
            age,
            format!("[Example Extension] 2026/12/02 10:00:00 ready.{start}"),
        ));
        out.push((age - 1, format!(r#"{{"timestamp":"2026-12-02T10:00:00.000Z","level":"INFO","requestId":"{id}","message":"working"}}"#)));
        out.push((age - 3, format!(r#"{{"time":"2026-12-02T10:00:00.000Z","type":"platform.runtimeDone","record":{{"requestId":"{id}","status":"{status}"}}}}"#)));
        let init = init
            .map(|i| format!(r#","initDurationMs":{i}"#))
            .unwrap_or_default();
        out.push((age - 3, format!(
            r#"{{"time":"2026-12-02T10:00:00.000Z","type":"platform.report","record":{{"requestId":"{id}","metrics":{{"durationMs":{duration},"billedDurationMs":{},"memorySizeMB":128,"maxMemoryUsedMB":70{init}}},"status":"{status}"}}}}"#,
            duration.ceil()
        )));
    }
    out
}

/// The same events a quarter of an hour earlier (so that the shared group's are the newest).
fn older(events: &[(i64, String)]) -> Vec<(i64, String)> {
    events
        .iter()
        .map(|(age, m)| (age + 1000, m.clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_shared_custom_group_is_split_by_function_and_both_formats_agree() {
    let team = unique("lg");
    let name = team.clone();
    create_stack(&name, TEMPLATE, &team).await;
    let now = Utc::now();
    let day = now.format("%Y/%m/%d");
    seed(
        &format!("/aws/lambda/{name}-text"),
        &format!("{day}/[$LATEST]0a0a0a0a"),
        now,
        &older(&text_events()),
    )
    .await;
    let shared = format!("/shared/{name}");
    seed(
        &shared,
        &format!("{day}/{name}-create[$LATEST]0b0b0b0b"),
        now,
        &json_events(),
    )
    .await;
    seed(
        &shared,
        &format!("{day}/{name}-list[$LATEST]0c0c0c0c"),
        now,
        &json_events()[..4],
    )
    .await;
    let outsider = vec![(
        300,
        "{\"level\":\"ERROR\",\"message\":\"not the stack's\"}".to_owned(),
    )];
    seed(
        &shared,
        &format!("{day}/other-app-worker[$LATEST]0d0d0d0d"),
        now,
        &outsider,
    )
    .await;
    let config = crate::support::log_file(&format!("config-{team}")).with_extension("toml");
    std::fs::write(&config, format!("[discovery]\ntags = [\"team={team}\"]\n")).unwrap();

    let logs = |extra: &[&str]| {
        let mut c = protoctl_with(&config);
        c.args(["logs", &name, "--since", "1h", "--output", "json"])
            .args(extra);
        let out = run(c);
        assert!(out.status.success(), "{}", stderr(&out));
        json_lines(&stdout(&out))
    };
    let all = logs(&[]);
    let mut per_function: BTreeMap<String, usize> = BTreeMap::new();
    for e in &all {
        let function = e["function"].as_str().unwrap();
        let stream = e["log_stream"].as_str().unwrap();
        assert!(
            !e["message"].as_str().unwrap().contains("not the stack's"),
            "{e}"
        );
        if e["log_group"] == shared.as_str() {
            assert!(
                stream.contains(&format!("/{function}[")),
                "{function} got {stream}"
            );
        }
        *per_function.entry(function.to_owned()).or_default() += 1;
    }
    assert_eq!(
        per_function,
        BTreeMap::from([
            (format!("{name}-create"), 12),
            (format!("{name}-list"), 4),
            (format!("{name}-text"), 13),
        ])
    );

    let reports = |events: &[Value], function: &str| -> Vec<Value> {
        events
            .iter()
            .filter(|e| e["function"] == function && !e["report"].is_null())
            .map(|e| e["report"].clone())
            .collect()
    };
    let text = reports(&all, &format!("{name}-text"));
    assert_eq!(text.len(), 3);
    assert_eq!(text, reports(&all, &format!("{name}-create")));
    assert_eq!(text[0]["init_ms"], 210.25);
    assert_eq!(text[2]["status"], "timeout");

    let create = logs(&["--function", "create"]);
    assert_eq!(create.len(), 12);
    assert!(
        create
            .iter()
            .all(|e| e["function"] == format!("{name}-create").as_str())
    );
    let list = logs(&["--function", "ListFunction"]);
    assert_eq!(list.len(), 4);

    // Each function's latest event, in the shared group too (never the other
    // application's newer one): for teardown's guard and for the listing's activity.
    let ctx = crate::support::aws().await;
    let stack = protoctl::aws::cloudformation::describe(&ctx, &name)
        .await
        .unwrap()
        .unwrap();
    let ages = |times: &[chrono::DateTime<Utc>]| {
        let mut ages: Vec<i64> = times.iter().map(|t| (now - *t).num_seconds()).collect();
        ages.sort_unstable();
        ages
    };
    let guard = protoctl::aws::activity::stack_log_activity(&ctx, &stack.id)
        .await
        .unwrap();
    let listing = protoctl::aws::activity::activity_of(&ctx, std::slice::from_ref(&stack), 4).await;
    let listed = listing[&stack.id].as_ref().unwrap();
    for times in [&guard, listed] {
        let ages = ages(times);
        assert_eq!(ages.len(), 3, "{ages:?}");
        assert!((476..=478).contains(&ages[0]), "create: {ages:?}");
        assert!((596..=600).contains(&ages[1]), "list: {ages:?}");
        assert!((1476..=1478).contains(&ages[2]), "text: {ages:?}");
    }
}
