//! Teardown blockers and the truth of a teardown, against the emulator (table deletion
//! protection, Object Lock in both modes, two runs at once, retained resources of Serverless-
//! and CDK-shaped stacks) and the CloudFormation front (DELETE_FAILED with its reason,
//! termination protection refused by CloudFormation, a delete that never answers).

use std::process::Stdio;
use std::time::Duration;

use aws_sdk_s3::types::{
    BucketVersioningStatus, ObjectLockConfiguration, ObjectLockEnabled, ObjectLockLegalHoldStatus,
    ObjectLockMode, VersioningConfiguration,
};
use serde_json::Value;

use crate::cfn_front::{self, FailOn, FrontPlan};
use crate::support::{aws, endpoint, stderr, stdout};
use crate::teardown::{
    audit_lines, audit_path, config_for, create_stack_from, gone, protoctl_with, prototype_tags,
    teardown_cmd, unique,
};

const TABLE_AND_BUCKET: &str = r#"{
  "Resources": {
    "Orders": {
      "Type": "AWS::DynamoDB::Table",
      "Properties": {
        "TableName": {"Fn::Sub": "${AWS::StackName}-orders"},
        "BillingMode": "PAY_PER_REQUEST",
        "DeletionProtectionEnabled": true,
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]
      }
    },
    "Data": {
      "Type": "AWS::S3::Bucket",
      "Properties": {"BucketName": {"Fn::Sub": "${AWS::StackName}-data"}}
    }
  }
}"#;

const BUCKET_ONLY: &str = r#"{
  "Resources": {
    "Data": {
      "Type": "AWS::S3::Bucket",
      "Properties": {"BucketName": {"Fn::Sub": "${AWS::StackName}-data"}}
    }
  }
}"#;

async fn put(bucket: &str, key: &str) {
    aws()
        .await
        .s3()
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(b"data".to_vec().into())
        .send()
        .await
        .expect("put object");
}

async fn versions(bucket: &str) -> usize {
    let out = aws()
        .await
        .s3()
        .list_object_versions()
        .bucket(bucket)
        .send()
        .await
        .expect("list versions");
    out.versions().len()
}

/// `protoctl` with `config`, talking to `url` (a front) instead of the emulator.
fn protoctl_at(config: &std::path::Path, url: &str) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_protoctl"));
    c.arg("--endpoint-url").arg(url).arg("--config").arg(config);
    c.arg("--log-file")
        .arg(crate::support::log_file("teardown-front"));
    c
}

fn json_of(out: &std::process::Output) -> Vec<Value> {
    serde_json::from_str(&stdout(out))
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", stdout(out), stderr(out)))
}

#[tokio::test(flavor = "multi_thread")]
async fn table_deletion_protection_blocks_until_the_flag_lifts_it() {
    let team = unique("td-dp");
    let name = team.clone();
    create_stack_from(&name, TABLE_AND_BUCKET, &prototype_tags(&team), false).await;
    let bucket = format!("{name}-data");
    put(&bucket, "a.json").await;
    let config = config_for(&team, "");
    let audit = audit_path(&name);

    let out = teardown_cmd(&config, &audit, &[&name, "--output", "json"]);
    let plans = json_of(&out);
    let blockers = plans[0]["blockers"].as_array().unwrap();
    assert_eq!(blockers.len(), 1, "{blockers:?}");
    assert_eq!(blockers[0]["logical_id"], "Orders");
    assert_eq!(blockers[0]["kind"], "deletion_protection");
    assert_eq!(blockers[0]["lifted"], false);
    assert_eq!(plans[0]["allowed"], false);
    assert_eq!(plans[0]["blocked"], true);

    let mut c = protoctl_with(&config);
    c.args(["stacks", "--output", "json"]);
    let rows = json_of(&crate::support::run(c));
    let row = rows.iter().find(|r| r["name"] == name.as_str()).unwrap();
    assert_eq!(row["blocked"], true, "{row}");
    assert!(
        row["blocked_reasons"][0]
            .as_str()
            .unwrap()
            .contains("--disable-deletion-protection"),
        "{row}"
    );

    // Neither --yes alone nor a flag that lifts something else touches anything.
    for extra in [&[][..], &["--bypass-governance-retention"][..]] {
        let mut args = vec![name.as_str(), "--yes"];
        args.extend_from_slice(extra);
        let out = teardown_cmd(&config, &audit, &args);
        assert!(!out.status.success());
        let err = stderr(&out);
        let line = format!(
            "blocked: {name}: Orders (AWS::DynamoDB::Table {name}-orders): deletion protection is on"
        );
        assert!(err.contains(&line), "{err}");
        assert!(
            err.contains("lifted by --disable-deletion-protection"),
            "{err}"
        );
        assert!(!gone(&name).await);
        assert_eq!(versions(&bucket).await, 1, "the bucket was touched");
    }

    let out = teardown_cmd(
        &config,
        &audit,
        &[&name, "--yes", "--disable-deletion-protection"],
    );
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    assert!(gone(&name).await);
    let table = aws()
        .await
        .dynamodb()
        .describe_table()
        .table_name(format!("{name}-orders"))
        .send()
        .await;
    assert!(table.is_err(), "the table survived");
    let lines = audit_lines(&audit);
    assert!(
        lines
            .iter()
            .any(|l| l["event"] == "disable_deletion_protection"
                && l["detail"]["logical_id"] == "Orders"),
        "{lines:?}"
    );
}

/// Turns Object Lock on for the (empty) bucket, through the S3 API: the emulator ignores
/// it in templates.
async fn lock_bucket(bucket: &str) {
    let s3 = aws().await.s3();
    s3.put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .expect("versioning");
    s3.put_object_lock_configuration()
        .bucket(bucket)
        .object_lock_configuration(
            ObjectLockConfiguration::builder()
                .object_lock_enabled(ObjectLockEnabled::Enabled)
                .build(),
        )
        .send()
        .await
        .expect("object lock");
}

async fn put_retained(bucket: &str, key: &str, mode: ObjectLockMode, days: i64) {
    let until = chrono::Utc::now() + chrono::Duration::days(days);
    aws()
        .await
        .s3()
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(b"kept".to_vec().into())
        .object_lock_mode(mode)
        .object_lock_retain_until_date(aws_smithy_types::DateTime::from_secs(until.timestamp()))
        .send()
        .await
        .expect("put retained object");
}

#[tokio::test(flavor = "multi_thread")]
async fn object_lock_governance_is_bypassed_on_request_and_compliance_never() {
    let team = unique("td-lock");
    let gov = format!("{team}-g");
    let comp = format!("{team}-c");
    create_stack_from(&gov, BUCKET_ONLY, &prototype_tags(&team), false).await;
    create_stack_from(&comp, BUCKET_ONLY, &prototype_tags(&team), false).await;
    let (gov_bucket, comp_bucket) = (format!("{gov}-data"), format!("{comp}-data"));
    lock_bucket(&gov_bucket).await;
    lock_bucket(&comp_bucket).await;
    put_retained(&gov_bucket, "g.json", ObjectLockMode::Governance, 2).await;
    put(&gov_bucket, "plain.json").await;
    put_retained(&comp_bucket, "c.json", ObjectLockMode::Compliance, 3).await;
    put(&comp_bucket, "held.json").await;
    aws()
        .await
        .s3()
        .put_object_legal_hold()
        .bucket(&comp_bucket)
        .key("held.json")
        .legal_hold(
            aws_sdk_s3::types::ObjectLockLegalHold::builder()
                .status(ObjectLockLegalHoldStatus::On)
                .build(),
        )
        .send()
        .await
        .expect("legal hold");
    let config = config_for(&team, "");
    let audit = audit_path(&team);

    let plans = json_of(&teardown_cmd(
        &config,
        &audit,
        &[&gov, &comp, "--output", "json"],
    ));
    let kinds = |i: usize| -> Vec<String> {
        plans[i]["blockers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["kind"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(kinds(0), ["governance_retention"]);
    assert_eq!(kinds(1), ["compliance_retention", "legal_hold"]);
    let compliance = &plans[1]["blockers"][0];
    assert!(
        compliance["lifted_by"]
            .as_str()
            .unwrap()
            .contains("the stack cannot go before"),
        "{compliance}"
    );
    assert!(compliance["until"].is_string());

    // Every flag at once still cannot lift COMPLIANCE retention or a legal hold.
    let out = teardown_cmd(
        &config,
        &audit,
        &[
            &comp,
            "--yes",
            "--bypass-governance-retention",
            "--disable-deletion-protection",
        ],
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("COMPLIANCE retention until"), "{err}");
    assert!(err.contains("legal hold"), "{err}");
    assert_eq!(versions(&comp_bucket).await, 2);

    let out = teardown_cmd(&config, &audit, &[&gov, "--yes"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(
            "lifted by --bypass-governance-retention (needs s3:BypassGovernanceRetention)"
        ),
        "{}",
        stderr(&out)
    );
    assert_eq!(versions(&gov_bucket).await, 2, "the bucket was touched");

    let out = teardown_cmd(
        &config,
        &audit,
        &[&gov, "--yes", "--bypass-governance-retention"],
    );
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    assert!(gone(&gov).await);
    assert!(!gone(&comp).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_failed_names_the_resource_and_why_then_the_retry_retains_it() {
    let team = unique("td-fail");
    let name = team.clone();
    create_stack_from(&name, BUCKET_ONLY, &prototype_tags(&team), false).await;
    let reason = "Resource handler returned message: \"The bucket you tried to delete is not empty (Service: S3, Status Code: 409, Request ID: 8TZ6Z5TPS0Q0JM1D)\" (HandlerErrorCode: GeneralServiceException)";
    let front = cfn_front::start(
        &endpoint(),
        FrontPlan {
            fail: Some(FailOn {
                logical_id: "Data".into(),
                resource_type: "AWS::S3::Bucket".into(),
                reason: reason.into(),
            }),
            ..FrontPlan::default()
        },
    );
    let config = config_for(&team, "");
    let audit = audit_path(&name);
    let through_front = |args: &[&str]| {
        let mut c = protoctl_at(&config, &front.url);
        c.arg("teardown").arg("--audit-log").arg(&audit).args(args);
        crate::support::run(c)
    };

    let out = through_front(&[&name, "--yes", "--output", "json"]);
    assert!(!out.status.success());
    let done = json_of(&out);
    assert_eq!(done[0]["result"], "failed");
    assert_eq!(done[0]["failed_resources"][0]["logical_id"], "Data");
    assert_eq!(done[0]["failed_resources"][0]["reason"], reason);
    let err = stderr(&out);
    assert!(
        err.contains("DELETE_FAILED: Data (AWS::S3::Bucket): Resource handler returned message"),
        "{err}"
    );
    assert!(!err.contains("Unknown"), "{err}");

    let out = through_front(&[&name, "--retain-failed", "--yes"]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    assert!(gone(&name).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn cloudformation_refusing_under_termination_protection_is_reported() {
    let team = unique("td-tp");
    let name = team.clone();
    create_stack_from(&name, BUCKET_ONLY, &prototype_tags(&team), false).await;
    let front = cfn_front::start(
        &endpoint(),
        FrontPlan {
            protect_on_delete: true,
            ..FrontPlan::default()
        },
    );
    let config = config_for(&team, "");
    let mut c = protoctl_at(&config, &front.url);
    c.args(["teardown", &name, "--yes", "--audit-log"])
        .arg(audit_path(&name));
    let out = crate::support::run(c);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("DeleteStack: ValidationError")
            && err.contains("TerminationProtection is enabled"),
        "{err}"
    );
    assert!(!gone(&name).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn progress_lines_reach_a_log_file_while_the_run_is_still_going() {
    let team = unique("td-log");
    let name = team.clone();
    create_stack_from(&name, BUCKET_ONLY, &prototype_tags(&team), false).await;
    let front = cfn_front::start(
        &endpoint(),
        FrontPlan {
            hang_delete: true,
            ..FrontPlan::default()
        },
    );
    let config = config_for(&team, "");
    let log = crate::support::log_file(&format!("cron-{name}"));
    let file = std::fs::File::create(&log).unwrap();
    let mut c = protoctl_at(&config, &front.url);
    c.args(["teardown", &name, "--yes", "--audit-log"])
        .arg(audit_path(&name))
        .stdout(Stdio::from(file.try_clone().unwrap()))
        .stderr(Stdio::from(file));
    let mut child = c.spawn().unwrap();
    let mut text = String::new();
    for _ in 0..300 {
        text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains("deleting the stack") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let still_running = child.try_wait().unwrap().is_none();
    child.kill().ok();
    child.wait().ok();
    assert!(still_running, "the run ended early: {text}");
    let checked = format!("{name}: checking guards before emptying buckets");
    let deleting = format!("{name}: deleting the stack");
    assert!(
        text.contains(&checked) && text.contains(&deleting),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn two_teardowns_of_one_stack_both_tell_the_truth() {
    let team = unique("td-two");
    let name = team.clone();
    create_stack_from(&name, BUCKET_ONLY, &prototype_tags(&team), false).await;
    let bucket = format!("{name}-data");
    for i in 0..200 {
        put(&bucket, &format!("k{i:04}")).await;
    }
    let config = config_for(&team, "");
    let spawn = |tag: &str| {
        let mut c = protoctl_with(&config);
        c.args(["teardown", &name, "--yes", "--audit-log"])
            .arg(audit_path(&format!("{name}-{tag}")))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c.spawn().unwrap()
    };
    let first = spawn("a");
    tokio::time::sleep(Duration::from_millis(150)).await;
    let second = spawn("b");
    let outs = [
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    ];
    let mut deleted = 0;
    for out in &outs {
        let (o, e) = (stdout(out), stderr(out));
        assert!(
            !e.contains("was not deleted") && !e.contains("NoSuchBucket"),
            "{o}\n{e}"
        );
        if out.status.success() {
            assert!(o.contains(&format!("{name}  deleted")), "{o}\n{e}");
            deleted += 1;
        } else {
            // Too late even to plan: the stack was already gone when it was looked up.
            assert!(e.contains("not found"), "{o}\n{e}");
        }
    }
    assert!(deleted >= 1);
    assert!(gone(&name).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn answers_that_are_not_aws_say_what_came_back() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let cases = [
        (
            "HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/html\r\n",
            "<html><body><h1>502 Bad Gateway</h1>\x1b[2J</body></html>",
            "HTTP 500 (text/html)",
        ),
        (
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n",
            "{\"message\":\"welcome to the proxy\"}",
            "HTTP 200 (application/json)",
        ),
    ];
    for (head, body, expected) in cases {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let response = format!("{head}content-length: {}\r\n\r\n{body}", body.len());
        let server = tokio::spawn(async move {
            loop {
                let Ok((mut s, _)) = listener.accept().await else {
                    return;
                };
                let mut buf = vec![0u8; 64 * 1024];
                let _ = s.read(&mut buf).await;
                let _ = s.write_all(response.as_bytes()).await;
            }
        });
        let config = crate::support::log_file("config-not-aws").with_extension("toml");
        std::fs::write(&config, "[aws]\nmax_attempts = 1\n").unwrap();
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_protoctl"));
        c.arg("--endpoint-url")
            .arg(&url)
            .arg("--config")
            .arg(&config);
        c.arg("--log-file").arg(crate::support::log_file("not-aws"));
        c.arg("stacks");
        let out = tokio::task::spawn_blocking(move || c.output().unwrap())
            .await
            .unwrap();
        server.abort();
        assert!(!out.status.success());
        let err = stderr(&out);
        assert!(err.contains("DescribeStacks"), "{err}");
        assert!(err.contains(expected), "{err}");
        assert!(err.contains("--endpoint-url"), "{err}");
        assert!(!err.contains("Unknown") && !err.contains('\x1b'), "{err}");
        let first = if body.starts_with('<') {
            "502 Bad Gateway"
        } else {
            "welcome to the proxy"
        };
        assert!(err.contains(first), "{err}");
    }
}
