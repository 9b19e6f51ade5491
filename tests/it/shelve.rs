//! Shelve and restore against the emulator, on stacks these tests create: a round trip of a
//! Serverless-shaped stack (code in its own deployment bucket), an S3 archive, and every
//! failure path deleting nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use aws_sdk_cloudformation::types::{Capability, Tag};
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use protoctl::domain::archive::{ItemsDigest, sha256_hex};
use serde_json::Value;

use crate::faults::{self, FaultPlan};
use crate::support::{aws, endpoint, run, stderr, stdout};
use crate::teardown::{
    audit_path, config_for, gone, protoctl_with, prototype_tags, stack_status, unique,
};

/// Phase one of a Serverless deploy: only the deployment bucket.
const PHASE_ONE: &str =
    r#"{"Resources": {"ServerlessDeploymentBucket": {"Type": "AWS::S3::Bucket"}}}"#;

/// A stack shaped like a Serverless Framework compile: code in its own deployment bucket, a
/// table with an index and a stream, an uploads bucket, names derived from the stack name.
const SLS: &str = r#"{
  "AWSTemplateFormatVersion": "2010-09-09",
  "Parameters": {"Stage": {"Type": "String", "Default": "dev"}},
  "Resources": {
    "ServerlessDeploymentBucket": {"Type": "AWS::S3::Bucket"},
    "IamRoleLambdaExecution": {
      "Type": "AWS::IAM::Role",
      "Properties": {
        "RoleName": {"Fn::Sub": "${AWS::StackName}-lambda"},
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
          "Principal": {"Service": ["lambda.amazonaws.com"]}, "Action": ["sts:AssumeRole"]}]}
      }
    },
    "CreateLambdaFunction": {
      "Type": "AWS::Lambda::Function",
      "Properties": {
        "Code": {"S3Bucket": {"Ref": "ServerlessDeploymentBucket"}, "S3Key": "serverless/app/dev/1700000000000/app.zip"},
        "FunctionName": {"Fn::Sub": "${AWS::StackName}-create"},
        "Handler": "handler.create",
        "Runtime": "python3.12",
        "Role": {"Fn::GetAtt": ["IamRoleLambdaExecution", "Arn"]}
      }
    },
    "TodosTable": {
      "Type": "AWS::DynamoDB::Table",
      "Properties": {
        "TableName": {"Fn::Join": ["-", [{"Ref": "AWS::StackName"}, "todos"]]},
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                 {"AttributeName": "sk", "AttributeType": "N"},
                                 {"AttributeName": "owner", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "GlobalSecondaryIndexes": [{"IndexName": "ByOwner",
          "KeySchema": [{"AttributeName": "owner", "KeyType": "HASH"}],
          "Projection": {"ProjectionType": "ALL"}}],
        "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"}
      }
    },
    "UploadsBucket": {
      "Type": "AWS::S3::Bucket",
      "Properties": {"BucketName": {"Fn::Sub": "${AWS::StackName}-uploads-${Stage}"}}
    }
  },
  "Outputs": {"ServerlessDeploymentBucketName": {"Value": {"Ref": "ServerlessDeploymentBucket"}}}
}"#;

/// A plain stack: a table and a bucket with fixed names, no code.
const PLAIN: &str = r#"{
  "Resources": {
    "Notes": {
      "Type": "AWS::DynamoDB::Table",
      "Properties": {
        "TableName": {"Fn::Sub": "${AWS::StackName}-notes"},
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]
      }
    },
    "Files": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": {"Fn::Sub": "${AWS::StackName}-files"}}}
  }
}"#;

/// An empty zip archive: the smallest valid deployment artifact.
pub(crate) const EMPTY_ZIP: [u8; 22] = [
    0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];

pub(crate) fn block<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

async fn wait_settled(name: &str) {
    settled(name).await;
}

/// Waits until no operation runs on the stack; its status then.
pub(crate) async fn settled(name: &str) -> String {
    for _ in 0..300 {
        match stack_status(name).await {
            Some(s) if !s.as_str().ends_with("_IN_PROGRESS") => return s.as_str().to_string(),
            _ => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
    panic!("stack {name} never settled");
}

/// Creates an on-demand table `name` keyed by the string `key`, as someone else would (a
/// name a restore finds taken).
pub(crate) async fn table_in_the_way(name: &str, key: &str) {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    aws()
        .await
        .dynamodb()
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(key)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name(key)
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("create the table in the way");
}

fn tags(team: &str) -> Vec<Tag> {
    let mut t: Vec<Tag> = prototype_tags(team)
        .into_iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    t.push(Tag::builder().key("owner").value("alice").build());
    t
}

/// Deploys the Serverless-shaped stack the way `sls deploy` does: the deployment bucket,
/// the artifact uploaded, then the full template.
async fn deploy_sls(name: &str, team: &str) {
    let ctx = aws().await;
    let cfn = ctx.cloudformation();
    cfn.create_stack()
        .stack_name(name)
        .template_body(PHASE_ONE)
        .set_tags(Some(tags(team)))
        .send()
        .await
        .expect("create phase one");
    wait_settled(name).await;
    let bucket = physical(name, "ServerlessDeploymentBucket").await;
    ctx.s3()
        .put_object()
        .bucket(&bucket)
        .key("serverless/app/dev/1700000000000/app.zip")
        .body(EMPTY_ZIP.to_vec().into())
        .content_type("application/zip")
        .send()
        .await
        .expect("upload artifact");
    cfn.update_stack()
        .stack_name(name)
        .template_body(SLS)
        .capabilities(Capability::CapabilityNamedIam)
        .set_tags(Some(tags(team)))
        .send()
        .await
        .expect("update to the full template");
    wait_settled(name).await;
    assert_eq!(
        stack_status(name)
            .await
            .map(|s| s.as_str().to_string())
            .as_deref(),
        Some("UPDATE_COMPLETE")
    );
}

pub(crate) async fn deploy_plain(name: &str, team: &str) {
    crate::teardown::create_stack_from(name, PLAIN, &prototype_tags(team), false).await;
}

pub(crate) async fn physical(stack: &str, logical: &str) -> String {
    let ctx = aws().await;
    protoctl::aws::cloudformation::resources(&ctx, stack)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.logical_id == logical)
        .and_then(|r| r.physical_id)
        .unwrap_or_else(|| panic!("{stack} has no {logical}"))
}

/// A function's log group with `n` events of the last hour.
async fn function_logs(group: &str, n: i64) {
    let logs = aws().await.logs();
    let _ = logs.create_log_group().log_group_name(group).send().await;
    logs.create_log_stream()
        .log_group_name(group)
        .log_stream_name("s")
        .send()
        .await
        .unwrap();
    let now = chrono::Utc::now().timestamp_millis() - 3_600_000;
    let events = (0..n).map(|i| {
        aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
            .timestamp(now + i)
            .message(format!("line {i}"))
            .build()
            .unwrap()
    });
    logs.put_log_events()
        .log_group_name(group)
        .log_stream_name("s")
        .set_log_events(Some(events.collect()))
        .send()
        .await
        .unwrap();
}

/// Items of every DynamoDB type, numbers beyond f64, binary and sets.
async fn fill_table(table: &str, n: usize) {
    let ddb = aws().await.dynamodb();
    for i in 0..n {
        let mut req = ddb
            .put_item()
            .table_name(table)
            .item("pk", AttributeValue::S(format!("todo#{}", i % 7)))
            .item("sk", AttributeValue::N(format!("{i}")))
            .item("owner", AttributeValue::S(format!("user{}", i % 3)))
            .item(
                "exact",
                AttributeValue::N("12345678901234567890123456789012345678".into()),
            )
            .item(
                "small",
                AttributeValue::N(format!("0.{i:03}00000000000000000000001")),
            )
            .item(
                "blob",
                AttributeValue::B(Blob::new(vec![0u8, 255, i as u8, 10])),
            )
            .item(
                "tags",
                AttributeValue::Ss(vec!["b".into(), "a".into(), format!("t{i}")]),
            )
            .item(
                "nums",
                AttributeValue::Ns(vec!["1".into(), "2.5".into(), "-3e2".into()]),
            )
            .item(
                "bins",
                AttributeValue::Bs(vec![Blob::new(vec![1]), Blob::new(vec![2, 3])]),
            )
            .item("done", AttributeValue::Bool(i % 2 == 0))
            .item("nothing", AttributeValue::Null(true))
            .item(
                "nested",
                AttributeValue::M(
                    [(
                        "list".to_string(),
                        AttributeValue::L(vec![
                            AttributeValue::S("x\u{1b}[31m".into()),
                            AttributeValue::N("7".into()),
                        ]),
                    )]
                    .into_iter()
                    .collect(),
                ),
            );
        if i == 0 {
            req = req.item(
                "text",
                AttributeValue::S("übergrößen 🎉 \"quoted\"\n".into()),
            );
        }
        req.send().await.expect("put item");
    }
}

pub(crate) async fn fill_objects(bucket: &str, n: usize) {
    let s3 = aws().await.s3();
    for i in 0..n {
        s3.put_object()
            .bucket(bucket)
            .key(format!("uploads/{i:03} file ü.json"))
            .body(format!("{{\"i\":{i}}}").into_bytes().into())
            .content_type("application/json")
            .metadata("origin", format!("test-{i}"))
            .send()
            .await
            .expect("put object");
    }
    let binary: Vec<u8> = (0..70_000u32).map(|i| (i * 31 % 251) as u8).collect();
    s3.put_object()
        .bucket(bucket)
        .key("images/big.bin")
        .body(binary.into())
        .content_type("image/png")
        .cache_control("max-age=60")
        .send()
        .await
        .expect("put binary");
}

/// Every item of a table, digested order-free.
pub(crate) async fn table_digest(table: &str) -> (u64, String) {
    let ctx = aws().await;
    let info = protoctl::aws::dynamodb::describe_table(&ctx, table, "T")
        .await
        .unwrap();
    let q = protoctl::aws::dynamodb::ItemQuery::default();
    let mut d = ItemsDigest::default();
    let mut start = None;
    loop {
        let p = protoctl::aws::dynamodb::page(&ctx, &info, &q, start.as_ref(), 100, None)
            .await
            .unwrap();
        p.items.iter().for_each(|i| d.add(i));
        match p.last_key {
            Some(k) => start = Some(k),
            None => return (d.count(), d.hex()),
        }
    }
}

/// Key -> (sha256, content type, metadata) of every current object.
pub(crate) async fn bucket_contents(
    bucket: &str,
) -> BTreeMap<String, (String, Option<String>, BTreeMap<String, String>)> {
    let s3 = aws().await.s3();
    let listed = s3.list_objects_v2().bucket(bucket).send().await.unwrap();
    let mut out = BTreeMap::new();
    for o in listed.contents() {
        let key = o.key().unwrap().to_string();
        let got = s3
            .get_object()
            .bucket(bucket)
            .key(&key)
            .send()
            .await
            .unwrap();
        let ctype = got.content_type().map(ToString::to_string);
        let meta: BTreeMap<String, String> = got
            .metadata()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        let bytes = got.body.collect().await.unwrap().into_bytes();
        out.insert(key, (sha256_hex(&bytes), ctype, meta));
    }
    out
}

async fn stack_tags(name: &str) -> BTreeMap<String, String> {
    let ctx = aws().await;
    protoctl::aws::cloudformation::describe(&ctx, name)
        .await
        .unwrap()
        .map(|s| s.tags)
        .unwrap_or_default()
}

fn shelve(config: &PathBuf, name: &str, to: &str, extra: &[&str]) -> std::process::Output {
    let mut c = protoctl_with(config);
    c.arg("shelve")
        .arg(name)
        .arg("--to")
        .arg(to)
        .arg("--audit-log")
        .arg(audit_path(name))
        .args(extra);
    run(c)
}

fn restore(config: &PathBuf, archive: &str, extra: &[&str]) -> std::process::Output {
    let mut c = protoctl_with(config);
    c.arg("restore").arg(archive).args(extra);
    run(c)
}

pub(crate) fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("protoctl-shelf-test-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    d
}

pub(crate) fn only_archive(dir: &Path) -> PathBuf {
    let found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    found[0].clone()
}

#[test]
fn serverless_stack_round_trip_keeps_every_item_object_and_tag() {
    let team = unique("sh-sls");
    let name = team.clone();
    let config = config_for(&team, "");
    let (table, uploads, deploy) = block(async {
        deploy_sls(&name, &team).await;
        let table = physical(&name, "TodosTable").await;
        let uploads = physical(&name, "UploadsBucket").await;
        let deploy = physical(&name, "ServerlessDeploymentBucket").await;
        fill_table(&table, 60).await;
        fill_objects(&uploads, 25).await;
        function_logs(&format!("/aws/lambda/{name}-create"), 3).await;
        (table, uploads, deploy)
    });
    let (items_before, objects_before, artifacts_before) = block(async {
        (
            table_digest(&table).await,
            bucket_contents(&uploads).await,
            bucket_contents(&deploy).await,
        )
    });
    assert_eq!(items_before.0, 60);
    let dir = temp_dir(&name);

    // The dry run says what cannot come back and writes nothing.
    let out = shelve(&config, &name, dir.to_str().unwrap(), &["--output", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let plan: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(plan[0]["allowed"], true);
    let not_kept = plan[0]["not_kept"].to_string();
    assert!(not_kept.contains("--logs"), "{not_kept}");
    assert!(!dir.exists(), "the dry run wrote an archive");

    let out = shelve(
        &config,
        &name,
        dir.to_str().unwrap(),
        &["--yes", "--logs", "30d", "--output", "json"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let done: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(done[0]["items"], 60);
    assert_eq!(done[0]["objects"], 27, "25 uploads, a binary, the artifact");
    assert_eq!(done[0]["teardown"]["result"], "deleted");
    assert!(block(gone(&name)), "the stack is torn down");
    let events: Vec<String> = crate::teardown::audit_lines(&audit_path(&name))
        .iter()
        .map(|l| l["event"].as_str().unwrap().to_string())
        .collect();
    let archived = events
        .iter()
        .position(|e| e == "archived")
        .expect("archived event");
    let plan_at = events
        .iter()
        .position(|e| e == "plan")
        .expect("teardown plan event");
    assert!(
        archived < plan_at,
        "archived before the teardown: {events:?}"
    );

    let archive = only_archive(&dir);
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(archive.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["logs"][0]["events"], 3, "{}", manifest["logs"]);
    assert_eq!(manifest["version"], 1);
    let mut c = protoctl_with(&config);
    c.args([
        "archives",
        "--from",
        dir.to_str().unwrap(),
        "--output",
        "json",
    ]);
    let out = run(c);
    assert!(out.status.success(), "{}", stderr(&out));
    let list: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["stack"], name.as_str());
    assert_eq!(list[0]["items"], 60);
    assert_eq!(list[0]["objects"], 27);
    assert!(list[0]["size_bytes"].as_u64().unwrap() > 70_000);

    let out = restore(&config, archive.to_str().unwrap(), &["--output", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["verified"], true, "{report}");
    assert_eq!(report["two_phase"], true, "{report}");
    assert_eq!(report["status"], "UPDATE_COMPLETE");

    let (items_after, objects_after, artifacts_after) = block(async {
        let deploy = physical(&name, "ServerlessDeploymentBucket").await;
        (
            table_digest(&physical(&name, "TodosTable").await).await,
            bucket_contents(&physical(&name, "UploadsBucket").await).await,
            bucket_contents(&deploy).await,
        )
    });
    assert_eq!(items_after, items_before);
    assert_eq!(objects_after, objects_before);
    assert_eq!(artifacts_after, artifacts_before);
    let tags = block(stack_tags(&name));
    assert_eq!(tags.get("owner").map(String::as_str), Some("alice"));
    assert_eq!(tags.get("team"), Some(&team));
    assert_eq!(
        tags.get("protoctl:restored-from").map(String::as_str),
        archive.to_str()
    );
    let function = block(async {
        aws()
            .await
            .lambda()
            .get_function()
            .function_name(format!("{name}-create"))
            .send()
            .await
            .map(|f| {
                f.configuration()
                    .and_then(|c| c.handler())
                    .map(ToString::to_string)
            })
    });
    assert_eq!(function.unwrap().as_deref(), Some("handler.create"));

    // The stack exists again: a second restore stops before it starts.
    let out = restore(&config, archive.to_str().unwrap(), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("exists"), "{}", stderr(&out));
}

#[test]
fn s3_archive_round_trip_is_encrypted_and_refuses_the_stacks_own_bucket() {
    let team = unique("sh-s3");
    let name = team.clone();
    let config = config_for(&team, "");
    let shelf = unique("shelf");
    let (table, files) = block(async {
        deploy_plain(&name, &team).await;
        aws()
            .await
            .s3()
            .create_bucket()
            .bucket(&shelf)
            .send()
            .await
            .unwrap();
        let table = physical(&name, "Notes").await;
        let files = physical(&name, "Files").await;
        fill_table_plain(&table, 30).await;
        // Objects written before versioning is on: null versions under the newer ones,
        // which the teardown must name to delete.
        fill_objects(&files, 5).await;
        crate::teardown::set_versioning(&files, aws_sdk_s3::types::BucketVersioningStatus::Enabled)
            .await;
        version_some(&files).await;
        (table, files)
    });
    let before = block(async { (table_digest(&table).await, bucket_contents(&files).await) });

    let own = format!("s3://{files}/archives");
    let out = shelve(&config, &name, &own, &["--yes"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("outside the stack"),
        "{}",
        stderr(&out)
    );
    assert!(!block(gone(&name)));

    let to = format!("s3://{shelf}/team/archives");
    let out = shelve(
        &config,
        &name,
        &to,
        &["--yes", "--all-versions", "--output", "json"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(block(gone(&name)));
    let done: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(done[0]["objects"], 7, "six objects and an older version");
    let location = done[0]["location"].as_str().unwrap().to_string();
    assert!(
        location.starts_with(&format!("s3://{shelf}/team/archives/{name}-")),
        "{location}"
    );
    let encrypted = block(async {
        let s3 = aws().await.s3();
        let listed = s3.list_objects_v2().bucket(&shelf).send().await.unwrap();
        let mut all = Vec::new();
        for o in listed.contents() {
            let h = s3
                .head_object()
                .bucket(&shelf)
                .key(o.key().unwrap())
                .send()
                .await
                .unwrap();
            all.push(h.server_side_encryption().map(|e| e.as_str().to_string()));
        }
        all
    });
    assert!(!encrypted.is_empty());
    assert!(
        encrypted.iter().all(|e| e.as_deref() == Some("AES256")),
        "{encrypted:?}"
    );

    let mut c = protoctl_with(&config);
    c.args(["archives", "--from", &to, "--output", "json"]);
    let out = run(c);
    let list: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(list.len(), 1, "{}", stdout(&out));
    assert_eq!(list[0]["location"], location.as_str());
    assert_eq!(list[0]["items"], 30);

    let out = restore(&config, &location, &["--output", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["verified"], true);
    assert_eq!(report["two_phase"], false);
    let after = block(async {
        (
            table_digest(&physical(&name, "Notes").await).await,
            bucket_contents(&physical(&name, "Files").await).await,
        )
    });
    assert_eq!(after, before);
}

pub(crate) async fn enable_versioning(bucket: &str) {
    aws()
        .await
        .s3()
        .put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
}

/// A second version of one key, a delete marker on another.
async fn version_some(bucket: &str) {
    let s3 = aws().await.s3();
    s3.put_object()
        .bucket(bucket)
        .key("uploads/000 file ü.json")
        .body(b"second version".to_vec().into())
        .content_type("text/plain")
        .send()
        .await
        .unwrap();
    s3.delete_object()
        .bucket(bucket)
        .key("uploads/001 file ü.json")
        .send()
        .await
        .unwrap();
}

pub(crate) async fn fill_table_plain(table: &str, n: usize) {
    let ddb = aws().await.dynamodb();
    for i in 0..n {
        ddb.put_item()
            .table_name(table)
            .item("id", AttributeValue::S(format!("note-{i}")))
            .item(
                "n",
                AttributeValue::N(format!("{i}.000000000000000000000000000001")),
            )
            .send()
            .await
            .unwrap();
    }
}

#[test]
fn failures_while_archiving_delete_nothing() {
    let team = unique("sh-fail");
    let name = team.clone();
    let config = config_for(&team, "");
    block(async {
        deploy_plain(&name, &team).await;
        fill_table_plain(&physical(&name, "Notes").await, 5).await;
        fill_objects(&physical(&name, "Files").await, 3).await;
    });

    // An archive folder that cannot be created.
    let file = temp_dir(&format!("{name}-file"));
    std::fs::write(&file, b"not a folder").unwrap();
    let out = shelve(
        &config,
        &name,
        file.join("sub").to_str().unwrap(),
        &["--yes"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("nothing was deleted"), "{err}");
    assert_eq!(
        err.trim_end()
            .lines()
            .filter(|l| l.starts_with("protoctl:"))
            .count(),
        1,
        "{err}"
    );
    assert!(!block(gone(&name)));

    // Read-only refuses before anything is written.
    let dir = temp_dir(&name);
    let mut c = protoctl_with(&config);
    c.args([
        "--read-only",
        "shelve",
        &name,
        "--yes",
        "--to",
        dir.to_str().unwrap(),
    ]);
    let out = run(c);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--read-only"), "{}", stderr(&out));
    assert!(!dir.exists());

    // A file corrupted between writing and verifying: the checksum mismatch stops it.
    let (result, archive) = block(async {
        let ctx = aws().await;
        let cfg = protoctl::config::Config::load(Some(&config)).unwrap().0;
        let filters = cfg.discovery.tags.clone();
        let settings = protoctl::aws::teardown::Settings::from_config(
            &cfg,
            filters,
            false,
            chrono::Utc::now(),
        );
        let stack = protoctl::aws::cloudformation::describe(&ctx, &name)
            .await
            .unwrap()
            .unwrap();
        let (account, plans) = protoctl::aws::teardown::plan_many(&ctx, vec![stack], &settings)
            .await
            .unwrap();
        let audit = protoctl::aws::audit::Audit::new(audit_path(&name));
        let td = protoctl::aws::shelve::TeardownRun {
            account: &account,
            settings: &settings,
            audit: &audit,
            run_id: "test",
        };
        let opts = protoctl::aws::shelve::ShelveOptions {
            all_versions: false,
            logs: None,
            concurrency: 4,
            now: chrono::Utc::now(),
        };
        let to = protoctl::domain::archive::Location::Dir(dir.clone());
        let archive = protoctl::aws::shelve::target(&to, &name, opts.now);
        let protoctl::domain::archive::Location::Dir(archive_dir) = archive.clone() else {
            unreachable!()
        };
        let corrupt = {
            let archive_dir = archive_dir.clone();
            move |p: protoctl::aws::shelve::Progress| {
                if p == protoctl::aws::shelve::Progress::Phase("verifying the archive".into()) {
                    let data = archive_dir.join("buckets/Files/data/00000002");
                    let mut bytes = std::fs::read(&data).unwrap();
                    bytes[0] ^= 1;
                    std::fs::write(&data, bytes).unwrap();
                }
            }
        };
        let r = protoctl::aws::shelve::shelve_stack(
            &ctx,
            &plans[0],
            &to,
            &opts,
            &td,
            &corrupt,
            &tokio_util::sync::CancellationToken::new(),
        )
        .await;
        (r.map(|s| s.location), archive_dir)
    });
    let err = result
        .expect_err("a corrupt archive must stop the shelve")
        .to_string();
    assert!(
        err.contains("checksum mismatch") && err.contains("nothing was deleted"),
        "{err}"
    );
    assert!(!block(gone(&name)));

    // Restoring the corrupt archive stops before anything is created.
    let copy = unique("sh-copy");
    let out = restore(&config, archive.to_str().unwrap(), &["--name", &copy]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("checksum mismatch"),
        "{}",
        stderr(&out)
    );
    assert!(block(stack_status(&copy)).is_none());

    // Faults injected while archiving: the run either finishes (archive verified, stack
    // gone) or stops having deleted nothing.
    let dir = temp_dir(&format!("{name}-faults"));
    let proxy = faults::start(&endpoint(), FaultPlan::mixed(0.3), 4242);
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_protoctl"));
    c.arg("--endpoint-url")
        .arg(&proxy.url)
        .arg("--config")
        .arg(&config)
        .arg("--log-file")
        .arg(crate::support::log_file("shelve-faults"))
        .args(["shelve", &name, "--yes", "--output", "json", "--to"])
        .arg(&dir)
        .arg("--audit-log")
        .arg(audit_path(&name));
    let out = run(c);
    drop(proxy);
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{err}");
    if out.status.success() {
        assert!(block(gone(&name)));
        let m = block(protoctl::aws::shelve::verify_dir(
            &only_archive(&dir),
            &|_| {},
        ));
        assert!(m.is_ok(), "{m:?}");
    } else if err.contains("nothing was deleted") {
        assert!(!block(gone(&name)), "{err}");
    } else {
        // Archived and verified, then the teardown itself met the faults.
        assert!(err.contains("archived to"), "{err}");
        let m = block(protoctl::aws::shelve::verify_dir(
            &only_archive(&dir),
            &|_| {},
        ));
        assert!(m.is_ok(), "{m:?}");
    }
}

#[test]
fn a_name_still_taken_stops_the_restore_before_it_starts() {
    let team = unique("sh-taken");
    let name = team.clone();
    let config = config_for(&team, "");
    block(async {
        deploy_plain(&name, &team).await;
        fill_table_plain(&physical(&name, "Notes").await, 3).await;
    });
    let dir = temp_dir(&name);
    let out = shelve(&config, &name, dir.to_str().unwrap(), &["--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(block(gone(&name)));
    // Someone made a table with the name the template fixes.
    block(table_in_the_way(&format!("{name}-notes"), "id"));
    let archive = only_archive(&dir);
    let out = restore(&config, archive.to_str().unwrap(), &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("still taken") && err.contains(&format!("{name}-notes")),
        "{err}"
    );
    assert!(err.contains("--name NEW"), "{err}");
    assert!(block(gone(&name)), "nothing was created");

    // Under another name the template's names differ: the restore goes through.
    let copy = unique("sh-taken-copy");
    let out = restore(
        &config,
        archive.to_str().unwrap(),
        &["--name", &copy, "--output", "json"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["tables"][0]["items"], 3);
    assert_eq!(
        report["tables"][0]["name"],
        format!("{copy}-notes").as_str()
    );
}
