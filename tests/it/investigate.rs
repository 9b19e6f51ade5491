//! `errors` and `query` against the emulator, on a stack of our own: two functions (one
//! writing text logs, one JSON logs) and a custom log group, seeded with PutLogEvents with a
//! mix of errors; the groups and counts must be exact, and a query must give the same rows
//! as the AWS CLI's StartQuery / GetQueryResults.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use aws_sdk_cloudformation::types::{Capability, StackStatus, Tag};
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use crate::support::{aws, endpoint, run, stderr, stdout};

mod console;
mod console_query;
mod query;

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
    "CreateFunction": {
      "Type": "AWS::Lambda::Function",
      "Properties": {
        "FunctionName": {"Fn::Sub": "${AWS::StackName}-create"},
        "Runtime": "nodejs20.x", "Handler": "index.handler",
        "Role": {"Fn::GetAtt": ["Role", "Arn"]},
        "Code": {"ZipFile": "exports.handler = async () => ({});"}
      }
    },
    "ListFunction": {
      "Type": "AWS::Lambda::Function",
      "Properties": {
        "FunctionName": {"Fn::Sub": "${AWS::StackName}-list"},
        "Runtime": "python3.12", "Handler": "app.handler",
        "Role": {"Fn::GetAtt": ["Role", "Arn"]},
        "Code": {"ZipFile": "def handler(e, c): return {}"}
      }
    },
    "AppLogs": {
      "Type": "AWS::Logs::LogGroup",
      "Properties": {"LogGroupName": {"Fn::Sub": "/custom/${AWS::StackName}/app"}}
    }
  }
}"#;

pub(crate) fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", &protoctl::aws::audit::random_id()[..8])
}

pub(crate) async fn create_stack(name: &str, template: &str, team: &str) {
    let ctx = aws().await;
    let res = ctx
        .cloudformation()
        .create_stack()
        .stack_name(name)
        .template_body(template)
        .capabilities(Capability::CapabilityNamedIam)
        .tags(
            Tag::builder()
                .key("protoctl:prototype")
                .value("true")
                .build(),
        )
        .tags(Tag::builder().key("team").value(team).build())
        .send()
        .await;
    if let Err(e) = res {
        let text = format!("{e:?}");
        assert!(
            text.contains("AlreadyExists"),
            "create stack {name}: {text}"
        );
    }
    for _ in 0..200 {
        let out = ctx
            .cloudformation()
            .describe_stacks()
            .stack_name(name)
            .send()
            .await
            .ok();
        let status = out.and_then(|o| o.stacks().first().and_then(|s| s.stack_status()).cloned());
        if status == Some(StackStatus::CreateComplete) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("stack {name} not created");
}

/// Puts `events` (age in minutes, message) into one stream of `group`, creating both.
pub(crate) async fn seed(group: &str, stream: &str, now: DateTime<Utc>, events: &[(i64, String)]) {
    let ctx = aws().await;
    let logs = ctx.logs();
    // The emulator's CloudFormation may have created the custom group already.
    let _ = logs.create_log_group().log_group_name(group).send().await;
    logs.create_log_stream()
        .log_group_name(group)
        .log_stream_name(stream)
        .send()
        .await
        .expect("create log stream");
    let mut sorted: Vec<&(i64, String)> = events.iter().collect();
    sorted.sort_by_key(|(age, _)| -age);
    let batch: Vec<InputLogEvent> = sorted
        .iter()
        .enumerate()
        .map(|(i, (age_s, m))| {
            let t = now - Duration::seconds(*age_s) + Duration::milliseconds(i as i64);
            InputLogEvent::builder()
                .timestamp(t.timestamp_millis())
                .message(m)
                .build()
                .unwrap()
        })
        .collect();
    logs.put_log_events()
        .log_group_name(group)
        .log_stream_name(stream)
        .set_log_events(Some(batch))
        .send()
        .await
        .expect("put log events");
}

fn rid(n: u32) -> String {
    format!("{n:08}-aaaa-4bbb-8ccc-{n:012}")
}

fn node_request(age_min: i64, r: &str, body: &[&str], report_extra: &str) -> Vec<(i64, String)> {
    let s = age_min * 60;
    let mut out = vec![(s, format!("START RequestId: {r} Version: $LATEST\n"))];
    for (i, b) in body.iter().enumerate() {
        out.push((
            s - 1 - i as i64,
            format!("2026-12-01T10:00:00.000Z\t{r}\t{b}\n"),
        ));
    }
    out.push((s - 5, format!("END RequestId: {r}\n")));
    out.push((
        s - 6,
        format!("REPORT RequestId: {r}\tDuration: 12.5 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB\t{report_extra}\n"),
    ));
    out
}

fn not_found(r: &str, order: u32) -> String {
    format!(
        "ERROR\tInvoke Error \t{{\"errorType\":\"NotFound\",\"errorMessage\":\"order {order} of {r} not found\",\"stack\":[\"NotFound: order {order} of {r} not found\",\"    at get (/var/task/orders.js:10:11)\",\"    at Runtime.handler (file:///var/runtime/index.mjs:1:1)\"]}}"
    )
}

fn json_request(
    age_min: i64,
    r: &str,
    records: &[String],
    status: &str,
    error_type: Option<&str>,
) -> Vec<(i64, String)> {
    let s = age_min * 60;
    let mut out = vec![(
        s,
        format!(
            "{{\"time\":\"2026-12-01T10:00:00.000Z\",\"type\":\"platform.start\",\"record\":{{\"requestId\":\"{r}\",\"version\":\"$LATEST\"}}}}"
        ),
    )];
    for (i, rec) in records.iter().enumerate() {
        out.push((s - 1 - i as i64, rec.clone()));
    }
    let et = error_type.map_or(String::new(), |e| format!(",\"errorType\":\"{e}\""));
    out.push((s - 5, format!("{{\"time\":\"2026-12-01T10:00:00.000Z\",\"type\":\"platform.runtimeDone\",\"record\":{{\"requestId\":\"{r}\",\"status\":\"{status}\"{et}}}}}")));
    out.push((s - 6, format!("{{\"time\":\"2026-12-01T10:00:00.000Z\",\"type\":\"platform.report\",\"record\":{{\"requestId\":\"{r}\",\"status\":\"{status}\"{et},\"metrics\":{{\"durationMs\":3000.0,\"billedDurationMs\":3000,\"memorySizeMB\":128,\"maxMemoryUsedMB\":128}}}}}}")));
    out
}

/// A stack with 7 error groups over the last 4 hours (see the assertions).
async fn seeded_stack() -> (String, PathBuf, DateTime<Utc>) {
    let team = unique("inv");
    let name = team.clone();
    create_stack(&name, TEMPLATE, &team).await;
    let now = Utc::now();
    let (r1, r2, r3, r4) = (rid(1), rid(2), rid(3), rid(4));
    let mut create = Vec::new();
    create.extend(node_request(180, &r1, &[&not_found(&r1, 17)], ""));
    create.extend(node_request(50, &r2, &[&not_found(&r2, 981)], ""));
    create.extend(node_request(
        40,
        &r3,
        &["INFO\tcalling the db"],
        "Status: timeout",
    ));
    create.push((
        40 * 60 - 3,
        format!("2026-12-01T10:00:00.000Z {r3} Task timed out after 3.00 seconds\n"),
    ));
    create.extend(node_request(30, &r4, &["INFO\tall good"], ""));
    create.push((15 * 60, "INIT_REPORT Init Duration: 206.72 ms\tPhase: init\tStatus: error\tError Type: Runtime.ExitError".to_string()));
    seed(
        &format!("/aws/lambda/{name}-create"),
        "2026/12/01/[$LATEST]aaa",
        now,
        &create,
    )
    .await;

    let (r5, r6, r7, r8) = (rid(5), rid(6), rid(7), rid(8));
    let mut list = Vec::new();
    list.extend(json_request(45, &r5, &[format!("{{\"timestamp\":\"2026-12-01T10:00:00.000Z\",\"level\":\"ERROR\",\"requestId\":\"{r5}\",\"message\":{{\"errorType\":\"NotFound\",\"errorMessage\":\"order 5 of {r5} not found\",\"stackTrace\":[\"NotFound: order 5\",\"    at get (/var/task/orders.js:12:3)\"]}}}}")], "error", Some("Runtime.Unknown")));
    list.extend(json_request(20, &r6, &[format!("{{\"timestamp\":\"2026-12-01T10:00:00Z\",\"log_level\":\"ERROR\",\"errorMessage\":\"'id'\",\"errorType\":\"KeyError\",\"requestId\":\"{r6}\",\"stackTrace\":[\"  File \\\"/var/task/app.py\\\", line 3, in handler\\n    return e['id']\\n\"]}}")], "error", None));
    list.extend(json_request(10, &r7, &[format!("{{\"timestamp\":\"2026-12-01T10:00:00.000Z\",\"level\":\"INFO\",\"requestId\":\"{r7}\",\"message\":\"slow call\"}}")], "timeout", None));
    list.extend(json_request(
        5,
        &r8,
        &[],
        "error",
        Some("Runtime.OutOfMemory"),
    ));
    seed(
        &format!("/aws/lambda/{name}-list"),
        "2026/12/01/[$LATEST]bbb",
        now,
        &list,
    )
    .await;

    let card = |r: &str, n: u32| {
        format!(
            "{{\"level\":\"ERROR\",\"message\":\"failed to charge\",\"service\":\"payments\",\"timestamp\":\"2026-12-01T10:00:00.000Z\",\"function_request_id\":\"{r}\",\"error\":{{\"name\":\"CardDeclined\",\"message\":\"card {n} declined\",\"stack\":\"CardDeclined: card {n} declined\\n    at charge (/var/task/pay.js:7:9)\"}}}}"
        )
    };
    let app = vec![
        (25 * 60, card(&rid(9), 4242)),
        (
            24 * 60,
            "{\"level\":\"INFO\",\"message\":\"charged\"}".to_string(),
        ),
        (12 * 60, card(&rid(10), 1881)),
    ];
    seed(&format!("/custom/{name}/app"), "app", now, &app).await;

    let config = crate::support::log_file(&format!("config-{team}")).with_extension("toml");
    std::fs::write(
        &config,
        format!("[discovery]\ntags = [\"protoctl:prototype=true\", \"team={team}\"]\n[[queries.saved]]\nname = \"latest-five\"\ntext = \"fields @timestamp, @message | sort @timestamp desc | limit 5\"\n"),
    )
    .unwrap();
    (name, config, now)
}

pub(crate) fn protoctl_with(config: &PathBuf) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_protoctl"));
    c.arg("--endpoint-url").arg(endpoint());
    c.arg("--config").arg(config);
    c.arg("--log-file")
        .arg(crate::support::log_file("investigate"));
    c
}

pub(crate) fn json_lines(out: &str) -> Vec<Value> {
    out.lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// (type, kind) → (count, functions)
fn summary(groups: &[Value]) -> BTreeMap<(String, String), (u64, Vec<String>)> {
    groups
        .iter()
        .map(|g| {
            let functions = g["functions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f.as_str().unwrap().to_string())
                .collect();
            let key = (
                g["type"].as_str().unwrap().to_string(),
                g["kind"].as_str().unwrap().to_string(),
            );
            (key, (g["count"].as_u64().unwrap(), functions))
        })
        .collect()
}

fn errors(config: &PathBuf, args: &[&str]) -> std::process::Output {
    let mut c = protoctl_with(config);
    c.arg("errors").args(args);
    run(c)
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_are_grouped_exactly_and_new_ones_fail() {
    let (name, config, _) = seeded_stack().await;
    let create = format!("{name}-create");
    let list = format!("{name}-list");
    let out = errors(&config, &[&name, "--since", "4h", "--output", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let groups = json_lines(&stdout(&out));
    let s = summary(&groups);
    let key = |t: &str, k: &str| (t.to_string(), k.to_string());
    let want: BTreeMap<(String, String), (u64, Vec<String>)> = [
        (
            key("NotFound", "runtime"),
            (3, vec![create.clone(), list.clone()]),
        ),
        (
            key("Sandbox.Timedout", "timeout"),
            (1, vec![create.clone()]),
        ),
        (key("Runtime.ExitError", "init"), (1, vec![create.clone()])),
        (key("KeyError", "runtime"), (1, vec![list.clone()])),
        (
            key("Runtime.OutOfMemory", "out_of_memory"),
            (1, vec![list.clone()]),
        ),
        (
            key("CardDeclined", "application"),
            (2, vec!["AppLogs".to_string()]),
        ),
    ]
    .into_iter()
    .collect();
    // Two timeout groups (one per function) share a key in `summary`: check them apart.
    let timeouts: Vec<&Value> = groups.iter().filter(|g| g["kind"] == "timeout").collect();
    assert_eq!(timeouts.len(), 2, "{groups:#?}");
    assert!(timeouts.iter().any(|g| g["functions"][0] == list.as_str()));
    assert_eq!(groups.len(), 7, "{groups:#?}");
    for (k, v) in &want {
        if k.1 != "timeout" {
            assert_eq!(s.get(k), Some(v), "{k:?} in {groups:#?}");
        }
    }
    for f in [
        "fingerprint",
        "kind",
        "type",
        "message",
        "functions",
        "count",
        "first_seen",
        "last_seen",
        "request_ids",
    ] {
        assert!(groups[0].get(f).is_some(), "missing {f}");
    }
    let seen: Vec<&str> = groups
        .iter()
        .map(|g| g["last_seen"].as_str().unwrap())
        .collect();
    let mut newest_first = seen.clone();
    newest_first.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(seen, newest_first, "latest first");
    let nf = groups.iter().find(|g| g["type"] == "NotFound").unwrap();
    assert_eq!(
        nf["request_ids"],
        serde_json::json!([rid(5), rid(2), rid(1)])
    );

    // --function narrows to one function's groups.
    let out = errors(
        &config,
        &[
            &name,
            "--since",
            "4h",
            "--function",
            "list",
            "--output",
            "json",
        ],
    );
    let only = json_lines(&stdout(&out));
    assert_eq!(only.len(), 4, "{only:#?}");
    assert_eq!(
        only.iter().find(|g| g["type"] == "NotFound").unwrap()["count"],
        1
    );

    // Nothing first seen in the last 2.5 h before 2 h ago: exit 0; with the recent window: 3.
    let out = errors(
        &config,
        &[
            &name,
            "--since",
            "4h",
            "--until",
            "2h",
            "--fail-on-new",
            "150m",
            "--output",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json_lines(&stdout(&out)).len(), 1);
    let out = errors(
        &config,
        &[
            &name,
            "--since",
            "4h",
            "--fail-on-new",
            "150m",
            "--output",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("6 new error group(s)"),
        "{}",
        stderr(&out)
    );
    let out = errors(&config, &[&name, "--since", "1h", "--fail-on-new", "2h"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "before the window is a usage error"
    );

    // The Insights path finds the same groups on the emulator.
    let out = errors(
        &config,
        &[
            &name, "--since", "4h", "--via", "insights", "--output", "json",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let via_insights = json_lines(&stdout(&out));
    let strip = |gs: &[Value]| -> Vec<(String, u64, String, String)> {
        let mut v: Vec<_> = gs
            .iter()
            .map(|g| {
                (
                    g["fingerprint"].as_str().unwrap().to_string(),
                    g["count"].as_u64().unwrap(),
                    g["first_seen"].to_string(),
                    g["functions"].to_string(),
                )
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(strip(&via_insights), strip(&groups));

    // The table is for people: aligned and sanitised.
    let out = errors(&config, &[&name, "--since", "4h"]);
    let table = stdout(&out);
    assert!(table.starts_with("LAST"), "{table}");
    assert!(
        table.contains("CardDeclined") && table.contains("create,list"),
        "{table}"
    );
}

#[test]
fn the_demo_stack_has_one_error_group() {
    // orders-dev: 2 functions x 3 streams x 40 invocations, every 13th (i = 7, 20, 33) a
    // ValidationError whose REPORT also says `Status: error` (counted once, not twice).
    let mut c = crate::support::protoctl();
    c.args(["errors", "orders-dev", "--since", "2h", "--output", "json"]);
    let out = run(c);
    assert!(out.status.success(), "{}", stderr(&out));
    let groups = json_lines(&stdout(&out));
    assert_eq!(groups.len(), 1, "{groups:#?}");
    let g = &groups[0];
    assert_eq!(g["type"], "ValidationError");
    assert_eq!(g["kind"], "runtime");
    assert_eq!(g["message"], "total must be positive");
    assert_eq!(g["count"], 18);
    assert_eq!(
        g["functions"],
        serde_json::json!(["orders-dev-create", "orders-dev-list"])
    );
    assert_eq!(g["request_ids"].as_array().unwrap().len(), 5);
}
