//! `query` against the emulator: the rows equal the AWS CLI's StartQuery / GetQueryResults
//! on the same groups, saved queries, and a stack of more groups than one query may name.

use aws_sdk_cloudformation::types::{StackStatus, Tag};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::Value;
use std::process::Command;

use super::{aws, json_lines, protoctl_with, seed, seeded_stack, unique};
use crate::support::{endpoint, root, run, stderr, stdout};

fn aws_cli(args: &[&str]) -> Value {
    let out = Command::new(root().join(".venv/bin/aws"))
        .args([
            "--endpoint-url",
            &endpoint(),
            "--region",
            "us-east-1",
            "--output",
            "json",
            "logs",
        ])
        .args(args)
        .output()
        .expect("run the AWS CLI");
    assert!(
        out.status.success(),
        "aws {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The rows of `query` over `groups` for `[from, to]` by the AWS CLI's StartQuery and
/// GetQueryResults, each as an object of its fields (`@ptr` left out).
pub(super) fn cli_rows(
    groups: &[String],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    query: &str,
) -> Vec<Value> {
    let mut args = vec!["start-query", "--log-group-names"];
    args.extend(groups.iter().map(String::as_str));
    let (start, end) = (from.timestamp().to_string(), to.timestamp().to_string());
    args.extend([
        "--start-time",
        &start,
        "--end-time",
        &end,
        "--query-string",
        query,
    ]);
    let id = aws_cli(&args)["queryId"].as_str().unwrap().to_string();
    let res = aws_cli(&["get-query-results", "--query-id", &id]);
    assert_eq!(res["status"], "Complete");
    res["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            Value::Object(
                row.as_array()
                    .unwrap()
                    .iter()
                    .filter(|f| f["field"] != "@ptr")
                    .map(|f| (f["field"].as_str().unwrap().to_string(), f["value"].clone()))
                    .collect(),
            )
        })
        .collect()
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_query_gives_the_aws_cli_rows() {
    let (name, config, now) = seeded_stack().await;
    let from = now - Duration::hours(4);
    let to = now + Duration::minutes(1);
    let groups = [
        format!("/aws/lambda/{name}-create"),
        format!("/aws/lambda/{name}-list"),
        format!("/custom/{name}/app"),
    ];
    let groups = groups.to_vec();
    for query in [
        "fields @timestamp, @message, @log | sort @timestamp desc | limit 15",
        "fields @timestamp, @logStream | filter @message like /ERROR/ | sort @timestamp asc | limit 7",
        "fields @message",
    ] {
        let mut c = protoctl_with(&config);
        c.args([
            "query",
            &name,
            query,
            "--since",
            &rfc3339(from),
            "--until",
            &rfc3339(to),
            "--output",
            "json",
        ]);
        let out = run(c);
        assert!(out.status.success(), "{}", stderr(&out));
        let ours = json_lines(&stdout(&out));

        let theirs = cli_rows(&groups, from, to, query);
        assert!(!theirs.is_empty(), "{query}");
        assert_eq!(ours, theirs, "{query}");
    }

    // A saved query from the config, and an unknown one.
    let mut c = protoctl_with(&config);
    c.args([
        "query",
        &name,
        "--saved",
        "latest-five",
        "--since",
        "4h",
        "--output",
        "json",
    ]);
    let out = run(c);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(json_lines(&stdout(&out)).len(), 5);
    let mut c = protoctl_with(&config);
    c.args(["query", &name, "--saved", "nope"]);
    let out = run(c);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("recent-errors"), "{}", stderr(&out));
    let mut c = protoctl_with(&config);
    c.args(["query", &name, "--list-saved", "--output", "json"]);
    let out = run(c);
    let names: Vec<String> = json_lines(&stdout(&out))
        .iter()
        .map(|q| q["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "recent-errors",
            "slowest-invocations",
            "cold-starts",
            "memory-headroom",
            "latest-five"
        ]
    );
}

/// A stack of 55 log groups: more than one query may name, so protoctl splits and merges.
#[tokio::test(flavor = "multi_thread")]
async fn more_than_fifty_groups_are_split_and_merged_into_the_same_rows() {
    let team = unique("inv-wide");
    let name = team.clone();
    let resources: Vec<String> = (0..55)
        .map(|i| {
            format!(
                "\"Logs{i}\": {{\"Type\": \"AWS::Logs::LogGroup\", \"Properties\": {{\"LogGroupName\": {{\"Fn::Sub\": \"/custom/${{AWS::StackName}}/g{i:02}\"}}}}}}"
            )
        })
        .collect();
    let template = format!("{{\"Resources\": {{{}}}}}", resources.join(","));
    let ctx = aws().await;
    ctx.cloudformation()
        .create_stack()
        .stack_name(&name)
        .template_body(&template)
        .tags(
            Tag::builder()
                .key("protoctl:prototype")
                .value("true")
                .build(),
        )
        .tags(Tag::builder().key("team").value(&team).build())
        .send()
        .await
        .expect("create stack");
    for _ in 0..200 {
        let s = ctx
            .cloudformation()
            .describe_stacks()
            .stack_name(&name)
            .send()
            .await
            .ok();
        if s.and_then(|o| o.stacks().first().and_then(|s| s.stack_status()).cloned())
            == Some(StackStatus::CreateComplete)
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let now = Utc::now();
    let groups: Vec<String> = (0..55).map(|i| format!("/custom/{name}/g{i:02}")).collect();
    for (i, g) in groups.iter().enumerate() {
        // Distinct times across all groups, interleaved so both chunks hold the newest rows.
        let a = ((i * 37) % 55) as i64 * 7 + 60;
        seed(
            g,
            "s",
            now,
            &[
                (a, format!("first of g{i:02}")),
                (a + 3, format!("second of g{i:02}")),
            ],
        )
        .await;
    }
    let config = crate::support::log_file(&format!("config-{team}")).with_extension("toml");
    std::fs::write(
        &config,
        format!("[discovery]\ntags = [\"protoctl:prototype=true\", \"team={team}\"]\n"),
    )
    .unwrap();
    let from = now - Duration::hours(1);
    let to = now + Duration::minutes(1);
    let query = "fields @timestamp, @message, @log | sort @timestamp desc | limit 40";
    let mut c = protoctl_with(&config);
    c.args([
        "query",
        &name,
        query,
        "--since",
        &rfc3339(from),
        "--until",
        &rfc3339(to),
        "--output",
        "json",
    ]);
    let out = run(c);
    assert!(out.status.success(), "{}", stderr(&out));
    let ours = json_lines(&stdout(&out));
    // The emulator accepts all 55 groups in one query (AWS would not): the reference answer.
    let theirs = cli_rows(&groups, from, to, query);
    assert_eq!(theirs.len(), 40);
    assert_eq!(ours, theirs);
    assert!(
        ours.iter()
            .any(|r| r["@log"].as_str().unwrap().ends_with("/g51")),
        "rows of the second chunk are merged in"
    );
}
