//! Teardown against the emulator, on stacks these tests create themselves (never the shared
//! demo stacks): emptying and deleting, the dry run, every refusal, the audit log, activity.

use std::path::PathBuf;

use aws_sdk_cloudformation::types::{Capability, StackStatus, Tag};
use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use futures::StreamExt;
use serde_json::Value;

use crate::support::{aws, endpoint, protoctl, run, stderr, stdout};

const TEMPLATE: &str = r#"{
  "Resources": {
    "Data": {
      "Type": "AWS::S3::Bucket",
      "Properties": {
        "BucketName": {"Fn::Sub": "${AWS::StackName}-data"},
        "VersioningConfiguration": {"Status": "Enabled"}
      }
    },
    "Role": {
      "Type": "AWS::IAM::Role",
      "Properties": {
        "RoleName": {"Fn::Sub": "${AWS::StackName}-role"},
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
          "Principal": {"Service": ["lambda.amazonaws.com"]}, "Action": ["sts:AssumeRole"]}]}
      }
    },
    "Worker": {
      "Type": "AWS::Lambda::Function",
      "Properties": {
        "FunctionName": {"Fn::Sub": "${AWS::StackName}-worker"},
        "Runtime": "nodejs20.x",
        "Handler": "index.handler",
        "Role": {"Fn::GetAtt": ["Role", "Arn"]},
        "Code": {"ZipFile": "exports.handler = async () => ({});"}
      }
    }
  }
}"#;

pub(crate) fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", &protoctl::aws::audit::random_id()[..8])
}

pub(crate) fn prototype_tags(team: &str) -> Vec<(String, String)> {
    vec![
        ("protoctl:prototype".into(), "true".into()),
        ("team".into(), team.into()),
    ]
}

async fn create_stack(name: &str, tags: &[(String, String)], termination: bool) {
    create_stack_from(name, TEMPLATE, tags, termination).await;
}

/// Creates a stack from `template` and waits for CREATE_COMPLETE.
pub(crate) async fn create_stack_from(
    name: &str,
    template: &str,
    tags: &[(String, String)],
    termination: bool,
) {
    let ctx = aws().await;
    let mut req = ctx
        .cloudformation()
        .create_stack()
        .stack_name(name)
        .template_body(template)
        .capabilities(Capability::CapabilityNamedIam)
        .enable_termination_protection(termination);
    for (k, v) in tags {
        req = req.tags(Tag::builder().key(k).value(v).build());
    }
    if let Err(e) = req.send().await {
        // Under load the SDK may retry a CreateStack whose first attempt did succeed.
        let text = format!("{e:?}");
        assert!(
            text.contains("AlreadyExistsException"),
            "create stack {name}: {text}"
        );
    }
    for _ in 0..200 {
        if stack_status(name).await == Some(StackStatus::CreateComplete) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("stack {name} not created");
}

pub(crate) async fn stack_status(name: &str) -> Option<StackStatus> {
    let ctx = aws().await;
    let out = ctx
        .cloudformation()
        .describe_stacks()
        .stack_name(name)
        .send()
        .await
        .ok()?;
    out.stacks().first().and_then(|s| s.stack_status()).cloned()
}

pub(crate) async fn gone(name: &str) -> bool {
    matches!(
        stack_status(name).await,
        None | Some(StackStatus::DeleteComplete)
    )
}

/// Runs the requests 16 at a time.
async fn concurrently<F: std::future::Future<Output = ()>>(requests: impl Iterator<Item = F>) {
    futures::stream::iter(requests)
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
}

/// Puts `keys` objects twice each (two versions), then deletes the first `markers` keys
/// (one delete marker each).
async fn fill_bucket(bucket: &str, keys: usize, markers: usize) {
    let ctx = aws().await;
    let s3 = ctx.s3();
    // The emulator's CloudFormation does not apply VersioningConfiguration: set it here.
    s3.put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .expect("enable versioning");
    // Both versions of a key from one task, in order (moto races on concurrent puts of a key).
    let puts = (0..keys).map(|i| {
        let s3 = s3.clone();
        async move {
            for v in 0..2 {
                s3.put_object()
                    .bucket(bucket)
                    .key(format!("data/{i:05}.json"))
                    .body(format!("{{\"i\":{i},\"v\":{v}}}").into_bytes().into())
                    .send()
                    .await
                    .expect("put object");
            }
        }
    });
    concurrently(puts).await;
    let dels = (0..markers).map(|i| {
        let s3 = s3.clone();
        async move {
            s3.delete_object()
                .bucket(bucket)
                .key(format!("data/{i:05}.json"))
                .send()
                .await
                .expect("delete object");
        }
    });
    concurrently(dels).await;
}

pub(crate) async fn object_count(bucket: &str) -> Option<usize> {
    let ctx = aws().await;
    let out = ctx
        .s3()
        .list_object_versions()
        .bucket(bucket)
        .send()
        .await
        .ok()?;
    Some(out.versions().len() + out.delete_markers().len())
}

/// The log group Lambda would create at the first run: outside the template.
async fn function_logs(function: &str, minutes_from_now: i64) -> String {
    let ctx = aws().await;
    let logs = ctx.logs();
    let group = format!("/aws/lambda/{function}");
    logs.create_log_group()
        .log_group_name(&group)
        .send()
        .await
        .expect("create log group");
    logs.create_log_stream()
        .log_group_name(&group)
        .log_stream_name("2026/11/27/[$LATEST]0")
        .send()
        .await
        .expect("create log stream");
    let t = chrono::Utc::now() + chrono::Duration::minutes(minutes_from_now);
    logs.put_log_events()
        .log_group_name(&group)
        .log_stream_name("2026/11/27/[$LATEST]0")
        .log_events(
            InputLogEvent::builder()
                .timestamp(t.timestamp_millis())
                .message("START RequestId: 1")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("put log events");
    group
}

pub(crate) async fn log_group_exists(group: &str) -> bool {
    let ctx = aws().await;
    let out = ctx
        .logs()
        .describe_log_groups()
        .log_group_name_prefix(group)
        .send()
        .await
        .unwrap();
    out.log_groups()
        .iter()
        .any(|g| g.log_group_name() == Some(group))
}

pub(crate) fn audit_path(name: &str) -> PathBuf {
    crate::support::log_file(&format!("audit-{name}")).with_extension("jsonl")
}

pub(crate) fn audit_lines(path: &PathBuf) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// A config with the given team tag and extra `[teardown]` lines.
pub(crate) fn config_for(team: &str, teardown: &str) -> PathBuf {
    config_named(team, team, teardown)
}

fn config_named(file: &str, team: &str, teardown: &str) -> PathBuf {
    let path = crate::support::log_file(&format!("config-{file}")).with_extension("toml");
    std::fs::write(
        &path,
        format!(
            "[discovery]\ntags = [\"protoctl:prototype=true\", \"team={team}\"]\n[abandon]\nafter = \"7d\"\n[teardown]\n{teardown}\n"
        ),
    )
    .unwrap();
    path
}

/// `protoctl` on the emulator with `config` (not the demo one).
pub(crate) fn protoctl_with(config: &PathBuf) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_protoctl"));
    c.arg("--endpoint-url").arg(endpoint());
    c.arg("--config").arg(config);
    c.arg("--log-file")
        .arg(crate::support::log_file("teardown"));
    c
}

pub(crate) fn teardown_cmd(
    config: &PathBuf,
    audit: &PathBuf,
    args: &[&str],
) -> std::process::Output {
    let mut c = protoctl_with(config);
    c.arg("teardown").arg("--audit-log").arg(audit).args(args);
    run(c)
}

#[tokio::test(flavor = "multi_thread")]
async fn versioned_bucket_is_emptied_and_stack_deleted() {
    let team = unique("td-big");
    let name = team.clone();
    create_stack(&name, &prototype_tags(&team), false).await;
    let bucket = format!("{name}-data");
    fill_bucket(&bucket, 600, 300).await;
    let group = function_logs(&format!("{name}-worker"), 0).await;
    let config = config_for(&team, "");
    let audit = audit_path(&name);

    // The dry run: the plan, nothing deleted.
    let out = teardown_cmd(&config, &audit, &[&name, "--output", "json"]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let plans: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(plans.len(), 1);
    let plan = &plans[0];
    assert_eq!(plan["allowed"], true);
    assert_eq!(plan["account"], "123456789012");
    let b = plan["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["bucket"] == bucket.as_str())
        .unwrap();
    assert_eq!(b["versions"], 1200);
    assert_eq!(b["delete_markers"], 300);
    assert_eq!(b["objects"], 300);
    assert_eq!(b["versioned"], true);
    let steps = plan["steps"].as_array().unwrap();
    assert!(
        steps
            .iter()
            .any(|s| s["physical_id"] == group.as_str() && s["action"] == "DeleteOutsideStack"),
        "{steps:?}"
    );
    assert!(
        steps
            .iter()
            .any(|s| s["logical_id"] == "Data" && s["action"] == "EmptyThenDelete")
    );
    assert!(!gone(&name).await, "dry run deleted the stack");
    assert!(log_group_exists(&group).await);
    assert_eq!(
        object_count(&bucket).await,
        Some(1000),
        "first page still full"
    );

    // The real thing.
    let out = teardown_cmd(&config, &audit, &[&name, "--yes", "--output", "json"]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let done: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(done[0]["result"], "deleted", "{}", done[0]);
    let steps: Vec<&str> = done[0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "guards",
            "blockers",
            "empty_bucket",
            "guards",
            "blockers",
            "delete_stack",
            "stack_status",
            "delete_log_group"
        ]
    );
    assert!(gone(&name).await);
    assert_eq!(object_count(&bucket).await, None, "bucket is gone");
    assert!(!log_group_exists(&group).await, "outside log group deleted");

    let lines = audit_lines(&audit);
    let events: Vec<&str> = lines.iter().map(|l| l["event"].as_str().unwrap()).collect();
    assert_eq!(events[0], "dry_run");
    assert_eq!(events[1], "plan");
    assert_eq!(*events.last().unwrap(), "result");
    assert_eq!(lines.last().unwrap()["detail"]["result"], "deleted");
    for l in &lines {
        assert_eq!(l["account"], "123456789012");
        assert_eq!(l["region"], "us-east-1");
        assert!(l["stack_id"].as_str().unwrap().contains(&name));
        assert!(chrono::DateTime::parse_from_rfc3339(l["time"].as_str().unwrap()).is_ok());
    }
    assert!(lines[1]["detail"]["plan"]["steps"].is_array());
}

/// Runs `teardown NAME --yes` and checks it is refused with `reason`, nothing deleted.
async fn assert_refused(config: &PathBuf, name: &str, extra: &[&str], reason: &str) {
    let bucket = format!("{name}-data");
    let audit = audit_path(name);
    let mut args = vec![name, "--yes"];
    args.extend_from_slice(extra);
    let out = teardown_cmd(config, &audit, &args);
    assert_eq!(out.status.code(), Some(1), "{name}: {}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains(reason), "{name}: {err}");
    assert!(err.contains("nothing was deleted"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert_eq!(
        stack_status(name).await,
        Some(StackStatus::CreateComplete),
        "{name} touched"
    );
    assert_eq!(
        object_count(&bucket).await,
        Some(3),
        "{name}: bucket touched"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals_delete_nothing() {
    let team = unique("td-guard");
    let tags = prototype_tags(&team);
    let untagged = unique("td-untagged");
    let kept = unique("td-kept");
    let guarded = unique("td-guarded");
    let plain = unique("td-plain");
    let mut kept_tags = tags.clone();
    kept_tags.push(("protoctl:keep".into(), "true".into()));
    let owner_only = [("owner".to_string(), "ana".to_string())];
    tokio::join!(
        create_stack(&untagged, &owner_only, false),
        create_stack(&kept, &kept_tags, false),
        create_stack(&guarded, &tags, true),
        create_stack(&plain, &tags, false),
    );
    for n in [&untagged, &kept, &guarded, &plain] {
        fill_bucket(&format!("{n}-data"), 1, 1).await;
    }
    let config = config_for(&team, "");
    assert_refused(&config, &untagged, &[], "does not carry the discovery tags").await;
    assert_refused(&config, &kept, &[], "protected: tagged protoctl:keep=true").await;
    assert_refused(&config, &guarded, &[], "termination protection").await;
    let blocked = config_named(
        &format!("{team}-blocked"),
        &team,
        "blocked_accounts = [\"123456789012\"]",
    );
    assert_refused(&blocked, &plain, &[], "blocked account 123456789012").await;
    let allowed = config_named(
        &format!("{team}-allowed"),
        &team,
        "allowed_accounts = [\"000000000000\"]",
    );
    assert_refused(&allowed, &plain, &[], "not in the allowed accounts").await;
    // --read-only refuses before anything is looked at.
    let out = teardown_cmd(
        &config,
        &audit_path(&plain),
        &[&plain, "--yes", "--read-only"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--read-only"), "{}", stderr(&out));
    // The retaining retry is only for a stack in DELETE_FAILED.
    assert_refused(&config, &plain, &["--retain-failed"], "not DELETE_FAILED").await;
    // One refused stack in a batch stops the whole batch: the plain one survives too.
    let out = teardown_cmd(&config, &audit_path(&plain), &[&plain, &kept, "--yes"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stack_status(&plain).await,
        Some(StackStatus::CreateComplete)
    );
    let lines = audit_lines(&audit_path(&plain));
    assert!(lines.iter().any(|l| l["event"] == "refused"), "{lines:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn abandoned_selects_only_expired_unprotected_stacks() {
    let team = unique("td-abandon");
    let expired = unique("td-expired");
    let fresh = unique("td-fresh");
    let expired_kept = unique("td-expkept");
    let mut exp_tags = prototype_tags(&team);
    exp_tags.push(("expires-at".into(), "2026-01-31".into()));
    let mut kept_tags = exp_tags.clone();
    kept_tags.push(("cloud-nuke-excluded".into(), "true".into()));
    let fresh_tags = prototype_tags(&team);
    tokio::join!(
        create_stack(&expired, &exp_tags, false),
        create_stack(&fresh, &fresh_tags, false),
        create_stack(&expired_kept, &kept_tags, false),
    );
    fill_bucket(&format!("{expired}-data"), 5, 2).await;
    let config = config_for(&team, "");
    let audit = audit_path(&expired);

    let out = teardown_cmd(&config, &audit, &["--abandoned", "--output", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let plans: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    let names: Vec<&str> = plans
        .iter()
        .map(|p| p["stack_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, [expired.as_str()]);
    assert_eq!(
        plans[0]["abandoned_reasons"][0],
        "expires-at 2026-02-01T00:00:00Z has passed"
    );

    let out = teardown_cmd(&config, &audit, &["--abandoned", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("deleted"), "{}", stdout(&out));
    assert!(gone(&expired).await);
    assert_eq!(
        stack_status(&fresh).await,
        Some(StackStatus::CreateComplete)
    );
    assert_eq!(
        stack_status(&expired_kept).await,
        Some(StackStatus::CreateComplete)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn stacks_report_activity_from_function_logs() {
    let team = unique("td-activity");
    let name = team.clone();
    create_stack(&name, &prototype_tags(&team), false).await;
    function_logs(&format!("{name}-worker"), 20).await;
    let config = config_for(&team, "");
    let mut c = protoctl_with(&config);
    c.args(["stacks", "--output", "json"]);
    let out = run(c);
    assert!(out.status.success(), "{}", stderr(&out));
    let stacks: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(stacks.len(), 1);
    let s = &stacks[0];
    let created = chrono::DateTime::parse_from_rfc3339(s["created"].as_str().unwrap()).unwrap();
    let last = chrono::DateTime::parse_from_rfc3339(s["last_activity"].as_str().unwrap()).unwrap();
    assert!(
        last - created > chrono::Duration::minutes(15),
        "the log event (20 minutes ahead) is the last activity: {s}"
    );
    assert_eq!(s["abandoned"], false);

    // With the clock pinned 30 days ahead the stack is idle past `after` (7d).
    let now = (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339();
    let mut c = protoctl_with(&config);
    c.args(["--now", &now, "stacks", "--output", "json"]);
    let out = run(c);
    let stacks: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(stacks[0]["abandoned"], true, "{}", stacks[0]);
    assert_eq!(stacks[0]["idle_days"], 29);
    assert_eq!(stacks[0]["abandoned_reasons"][0], "idle 29 days (limit 7)");

    // The demo stories, with the demo config.
    let mut c = protoctl();
    c.args(["stacks", "--output", "json"]);
    let out = run(c);
    let stacks: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    let by = |n: &str| stacks.iter().find(|s| s["name"] == n).unwrap().clone();
    assert_eq!(by("legacy-quiz-dev")["abandoned"], true);
    assert_eq!(by("payments-poc-dev")["protected"], true);
    assert_eq!(
        by("ledger-dev")["protection_reasons"][0],
        "termination protection is on"
    );
    assert_eq!(by("orders-dev")["abandoned"], false);
}

#[tokio::test(flavor = "multi_thread")]
async fn console_tears_down_an_abandoned_stack_with_one_key() {
    let team = unique("td-console");
    let expired = unique("td-conexp");
    let mut tags = prototype_tags(&team);
    tags.push(("expires-at".into(), "2026-01-31".into()));
    create_stack(&expired, &tags, false).await;
    fill_bucket(&format!("{expired}-data"), 20, 5).await;
    let team_tag = format!("team={team}");
    let t = crate::e2e::Tmux::start(
        "teardown",
        &["--tag", "protoctl:prototype=true", "--tag", &team_tag],
    );
    t.wait_for("ABANDONED: expires-at");
    t.send(&["A"]);
    t.wait_for("abandoned only");
    t.send(&["D"]);
    let screen = t.wait_for("enter to confirm");
    assert!(screen.contains("emptied, then deleted"), "{screen}");
    t.send(&["Enter"]);
    t.wait_for("to confirm:");
    t.send(&["-l", &expired]);
    t.send(&["Enter"]);
    t.wait_for("Deleting in");
    let screen = t.wait_for("finished");
    assert!(screen.contains("deleted"), "{screen}");
    assert!(gone(&expired).await);
    assert_eq!(object_count(&format!("{expired}-data")).await, None);
    t.send(&["Escape"]);
    t.wait_for("Stacks (0)");
    t.send(&["q"]);
    assert_eq!(t.wait_exit(), 0);
}

/// Puts `n` objects into a never-versioned bucket.
async fn fill_plain(bucket: &str, n: usize) {
    let s3 = aws().await.s3();
    let puts = (0..n).map(|i| {
        let s3 = s3.clone();
        async move {
            s3.put_object()
                .bucket(bucket)
                .key(format!("p/{i:05}"))
                .body(b"x".to_vec().into())
                .send()
                .await
                .expect("put object");
        }
    });
    concurrently(puts).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn never_versioned_bucket_is_planned_with_its_objects_and_emptied() {
    let team = unique("td-plain");
    let name = team.clone();
    create_stack(&name, &prototype_tags(&team), false).await;
    let bucket = format!("{name}-data");
    fill_plain(&bucket, 1_500).await;
    let config = config_for(&team, "");
    let audit = audit_path(&name);
    let out = teardown_cmd(&config, &audit, &[&name, "--output", "json"]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let plans: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    let b = plans[0]["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["bucket"] == bucket.as_str())
        .unwrap()
        .clone();
    assert_eq!(b["versioned"], false, "{b}");
    assert_eq!(b["objects"], 1_500, "{b}");
    assert_eq!(b["versions"], 1_500, "{b}");
    assert_eq!(b["delete_markers"], 0, "{b}");
    assert!(
        b.get("listed").is_none(),
        "the kept listing is not output: {b}"
    );

    let out = teardown_cmd(&config, &audit, &[&name, "--yes", "--output", "json"]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let done: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(done[0]["result"], "deleted", "{}", done[0]);
    let emptied = done[0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == "empty_bucket")
        .unwrap();
    assert_eq!(
        emptied["detail"], "1500 versions and delete markers deleted",
        "{emptied}"
    );
    assert!(gone(&name).await);
    assert_eq!(object_count(&bucket).await, None, "bucket is gone");
}

#[tokio::test(flavor = "multi_thread")]
async fn emptying_deletes_what_the_plan_listed_and_what_came_after() {
    use protoctl::aws::teardown::{empty_bucket, measure_bucket};
    let ctx = aws().await;
    let team = unique("td-empty");
    create_stack(&team, &prototype_tags(&team), false).await;
    let bucket = format!("{team}-data");
    // 700 keys x 2 versions + 200 delete markers = 1,600 entries: two listing pages.
    fill_bucket(&bucket, 700, 200).await;
    let measured = measure_bucket(&ctx, &bucket).await.unwrap().unwrap();
    assert_eq!(measured.versions + measured.delete_markers, 1_600);
    let listed = measured.listed.clone().expect("small enough to keep");
    assert_eq!(listed.len(), 1_600);
    // Written after the plan: found by the verifying listing.
    fill_plain(&bucket, 30).await;
    let cancel = tokio_util::sync::CancellationToken::new();
    let deleted = empty_bucket(&ctx, &bucket, 1_600, Some(&listed), 4, &|_| {}, &cancel)
        .await
        .unwrap();
    assert_eq!(deleted, 1_630);
    assert_eq!(object_count(&bucket).await, Some(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn emptying_without_a_listing_pages_through_every_version() {
    use protoctl::aws::teardown::empty_bucket;
    let ctx = aws().await;
    let team = unique("td-pages");
    create_stack(&team, &prototype_tags(&team), false).await;
    let bucket = format!("{team}-data");
    // 1,100 keys x 2 versions + 300 markers = 2,500 entries: three pages, each page's last
    // key held back until the next page is listed.
    fill_bucket(&bucket, 1_100, 300).await;
    let cancel = tokio_util::sync::CancellationToken::new();
    let progress = std::sync::Mutex::new(Vec::new());
    let deleted = empty_bucket(
        &ctx,
        &bucket,
        2_500,
        None,
        4,
        &|p| progress.lock().unwrap().push(format!("{p:?}")),
        &cancel,
    )
    .await
    .unwrap();
    assert_eq!(deleted, 2_500);
    assert_eq!(object_count(&bucket).await, Some(0));
    assert!(progress.lock().unwrap().len() >= 3, "progress per batch");
}

/// Turns a bucket's versioning on or suspends it.
pub(crate) async fn set_versioning(
    bucket: &str,
    status: aws_sdk_s3::types::BucketVersioningStatus,
) {
    aws()
        .await
        .s3()
        .put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(status)
                .build(),
        )
        .send()
        .await
        .expect("put bucket versioning");
}

/// A bucket written to before versioning was turned on holds "null" versions under the
/// newer ones: emptying names them (a delete by key alone would only add delete markers).
#[tokio::test(flavor = "multi_thread")]
async fn objects_written_before_versioning_are_emptied() {
    use aws_sdk_s3::types::BucketVersioningStatus::{Enabled, Suspended};
    use protoctl::aws::teardown::{empty_bucket, measure_bucket};
    let ctx = aws().await;
    let team = unique("td-null");
    create_stack(&team, &prototype_tags(&team), false).await;
    let bucket = format!("{team}-data");
    let cancel = tokio_util::sync::CancellationToken::new();

    // With the plan's listing: 20 null versions, 5 of them under a newer version.
    fill_plain(&bucket, 20).await;
    set_versioning(&bucket, Enabled).await;
    fill_plain(&bucket, 5).await;
    let measured = measure_bucket(&ctx, &bucket).await.unwrap().unwrap();
    assert_eq!(measured.versions, 25);
    let listed = measured.listed.clone().expect("small enough to keep");
    let deleted = empty_bucket(&ctx, &bucket, 25, Some(&listed), 4, &|_| {}, &cancel)
        .await
        .expect("emptied");
    assert_eq!(deleted, 25);
    assert_eq!(object_count(&bucket).await, Some(0));

    // Without it (the listing pass alone): suspended versioning writes null versions too.
    set_versioning(&bucket, Suspended).await;
    fill_plain(&bucket, 10).await;
    set_versioning(&bucket, Enabled).await;
    fill_plain(&bucket, 3).await;
    let deleted = empty_bucket(&ctx, &bucket, 13, None, 4, &|_| {}, &cancel)
        .await
        .expect("emptied");
    assert_eq!(deleted, 13);
    assert_eq!(object_count(&bucket).await, Some(0));
}
