//! Faults on the paths that change things: teardown, item edit and delete, and the Cognito
//! token cache under concurrent refreshes. Each either ends with exactly what a clean run
//! gives, or stops with one clear line, deletes nothing outside its plan, and can be rerun.

use std::path::PathBuf;
use std::process::{Command, Output};

use aws_sdk_cloudformation::types::Tag;
use aws_sdk_s3::primitives::ByteStream;

use crate::faults::{self, FaultPlan};
use crate::support::{aws, endpoint, log_file, stderr};
use crate::teardown::{audit_lines, unique};

/// A stack of its own: one versioned bucket, so the teardown has emptying and a delete to do.
const TEMPLATE: &str = r#"{
  "Resources": {
    "Data": {
      "Type": "AWS::S3::Bucket",
      "Properties": {
        "BucketName": {"Fn::Sub": "${AWS::StackName}-data"},
        "VersioningConfiguration": {"Status": "Enabled"}
      }
    },
    "Items": {
      "Type": "AWS::DynamoDB::Table",
      "Properties": {
        "TableName": {"Fn::Sub": "${AWS::StackName}-items"},
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]
      }
    }
  }
}"#;

/// Runs `f` to completion on a runtime of its own (the fault proxy keeps its own runtime, which
/// must not be dropped inside another).
pub(crate) fn block<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Runtime::new().unwrap().block_on(f)
}

/// Creates `name` with the prototype tags of `team`, waits for it, and puts `objects` keys
/// (each with two versions) in its bucket.
pub(crate) async fn fixture_stack(name: &str, team: &str, objects: usize) -> String {
    let ctx = aws().await;
    ctx.cloudformation()
        .create_stack()
        .stack_name(name)
        .template_body(TEMPLATE)
        .tags(
            Tag::builder()
                .key("protoctl:prototype")
                .value("true")
                .build(),
        )
        .tags(Tag::builder().key("team").value(team).build())
        .send()
        .await
        .unwrap();
    for _ in 0..100 {
        let stack = protoctl::aws::cloudformation::describe(&ctx, name)
            .await
            .unwrap();
        if stack.is_some_and(|s| s.status == "CREATE_COMPLETE") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let bucket = format!("{name}-data");
    // Templates' VersioningConfiguration is not applied by the emulator: set it by the API.
    ctx.s3()
        .put_bucket_versioning()
        .bucket(&bucket)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    for i in 0..objects {
        for v in 0..2 {
            ctx.s3()
                .put_object()
                .bucket(&bucket)
                .key(format!("k/{i:03}.json"))
                .body(ByteStream::from(format!("{{\"v\":{v}}}").into_bytes()))
                .send()
                .await
                .unwrap();
        }
    }
    bucket
}

/// Versions and delete markers left in `bucket`, `None` when the bucket is gone.
pub(crate) async fn versions_left(bucket: &str) -> Option<usize> {
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

pub(crate) async fn stack_exists(name: &str) -> bool {
    let ctx = aws().await;
    protoctl::aws::cloudformation::describe(&ctx, name)
        .await
        .unwrap()
        .is_some_and(|s| s.status != "DELETE_COMPLETE")
}

pub(crate) fn config(team: &str, extra: &str) -> PathBuf {
    let path = log_file(&format!("config-writes-{team}")).with_extension("toml");
    std::fs::write(
        &path,
        format!(
            "[discovery]\ntags = [\"protoctl:prototype=true\", \"team={team}\"]\n[aws]\n{extra}\n"
        ),
    )
    .unwrap();
    path
}

fn teardown(url: &str, config: &PathBuf, audit: &PathBuf, name: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_protoctl"))
        .arg("--endpoint-url")
        .arg(url)
        .arg("--config")
        .arg(config)
        .arg("--log-file")
        .arg(log_file("write-paths"))
        .args(["teardown", name, "--yes", "--audit-log"])
        .arg(audit)
        .output()
        .unwrap()
}

/// Under 20% mixed faults a teardown either finishes or stops with one line; a stop leaves an
/// audit record, and a clean rerun finishes the job. A bystander stack of the same team is
/// never touched.
#[test]
fn teardown_under_faults_finishes_or_stops_and_resumes() {
    let team = unique("wp-td");
    let bystander = unique("wp-keep");
    let kept_bucket = block(fixture_stack(&bystander, &team, 3));
    let cfg = config(
        &team,
        "max_attempts = 10\noperation_timeout = \"60s\"\nattempt_timeout = \"3s\"",
    );
    let mut stopped = 0;
    // Three runs of mixed faults, and one where some requests are never answered.
    let stalls = FaultPlan {
        stall: 0.1,
        ..FaultPlan::mixed(0.1)
    };
    let plans = [
        FaultPlan::mixed(0.2),
        FaultPlan::mixed(0.2),
        FaultPlan::mixed(0.2),
        stalls,
    ];
    for (seed, plan) in (0..).zip(plans) {
        let name = unique("wp-td");
        let bucket = block(fixture_stack(&name, &team, 12));
        let audit = log_file(&format!("audit-{name}")).with_extension("jsonl");
        let proxy = faults::start(&endpoint(), plan, 7000 + seed);
        let out = teardown(&proxy.url, &cfg, &audit, &name);
        drop(proxy);
        if !out.status.success() {
            stopped += 1;
            let err = stderr(&out);
            assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
            assert!(!err.contains("panicked"), "{err}");
            assert!(
                !audit_lines(&audit).is_empty(),
                "a stopped run leaves an audit record"
            );
            let again = teardown(&endpoint(), &cfg, &audit, &name);
            assert!(
                again.status.success(),
                "the rerun finishes: {}",
                stderr(&again)
            );
        }
        assert!(!block(stack_exists(&name)), "{name} deleted (seed {seed})");
        assert_eq!(block(versions_left(&bucket)), None, "{bucket} removed");
        let records = audit_lines(&audit);
        assert!(
            records.iter().any(|r| r.to_string().contains(&name)),
            "the audit log names the stack: {records:?}"
        );
    }
    assert_eq!(
        block(versions_left(&kept_bucket)),
        Some(6),
        "nothing outside the plan is deleted"
    );
    assert!(block(stack_exists(&bystander)));
    eprintln!("teardown under faults: 4 runs, {stopped} stopped and resumed");
}

/// With every request failing, a teardown deletes nothing and says so in one line.
#[test]
fn teardown_with_every_request_failing_deletes_nothing() {
    let team = unique("wp-all");
    let name = unique("wp-all");
    let bucket = block(fixture_stack(&name, &team, 4));
    let cfg = config(
        &team,
        "max_attempts = 2\noperation_timeout = \"20s\"\nattempt_timeout = \"5s\"",
    );
    let audit = log_file(&format!("audit-{name}")).with_extension("jsonl");
    for plan in [
        FaultPlan {
            server_error: 1.0,
            ..FaultPlan::default()
        },
        FaultPlan {
            reset: 1.0,
            ..FaultPlan::default()
        },
        FaultPlan {
            expired: true,
            ..FaultPlan::default()
        },
        FaultPlan {
            slow_down: 1.0,
            ..FaultPlan::default()
        },
        FaultPlan {
            throttle: 1.0,
            ..FaultPlan::default()
        },
        FaultPlan {
            truncate: 1.0,
            ..FaultPlan::default()
        },
    ] {
        let proxy = faults::start(&endpoint(), plan, 11);
        let out = teardown(&proxy.url, &cfg, &audit, &name);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{plan:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{plan:?}: {err}");
        assert!(err.starts_with("protoctl: "), "{err}");
    }
    // Every request hanging: a timeout line within the operation timeout.
    let impatient = config(
        &format!("{team}-hang"),
        "max_attempts = 2\noperation_timeout = \"4s\"\nattempt_timeout = \"2s\"",
    );
    std::fs::write(
        &impatient,
        std::fs::read_to_string(&impatient)
            .unwrap()
            .replace(&format!("team={team}-hang"), &format!("team={team}")),
    )
    .unwrap();
    let proxy = faults::start(
        &endpoint(),
        FaultPlan {
            hang: true,
            ..FaultPlan::default()
        },
        11,
    );
    let started = std::time::Instant::now();
    let out = teardown(&proxy.url, &impatient, &audit, &name);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "hang: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "hang: {err}");
    assert!(err.contains("timed out"), "hang: {err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
    assert!(block(stack_exists(&name)));
    assert_eq!(block(versions_left(&bucket)), Some(8), "nothing deleted");
}

/// A conditional put or delete whose answer is lost (a cut connection, a short body) is
/// retried; the retry must not report "changed by someone else" for the caller's own write.
#[test]
fn item_edit_and_delete_under_faults_end_as_a_clean_run() {
    use protoctl::aws::dynamodb::{delete_if_unchanged, get_item, item_to_sdk, put_if_unchanged};
    use protoctl::domain::dynamo::{Attr, Item};
    let team = unique("wp-item");
    let name = unique("wp-item");
    block(fixture_stack(&name, &team, 0));
    let table_name = format!("{name}-items");
    let table = block(async {
        protoctl::aws::dynamodb::describe_table(&aws().await, &table_name, "Items").await
    })
    .unwrap();
    let item = |pk: &str, n: &str| -> Item {
        [
            ("pk".to_string(), Attr::S(pk.into())),
            ("n".to_string(), Attr::N(n.into())),
        ]
        .into_iter()
        .collect()
    };
    let put_plain = |it: Item| {
        block(async {
            aws()
                .await
                .dynamodb()
                .put_item()
                .table_name(&table.name)
                .set_item(Some(item_to_sdk(&it)))
                .send()
                .await
                .unwrap();
        });
    };
    let mut faults_seen = 0;
    for seed in 0..12_u64 {
        let pk = format!("item-{seed}");
        let (old, new) = (item(&pk, "1"), item(&pk, "2"));
        put_plain(old.clone());
        let plan = FaultPlan {
            reset: 0.1,
            truncate: 0.1,
            server_error: 0.05,
            throttle: 0.05,
            slow_down: 0.05,
            stall: 0.05,
            ..FaultPlan::default()
        };
        let proxy = faults::start(&endpoint(), plan, 500 + seed);
        let url = proxy.url.clone();
        block(async {
            let ctx = aws().await;
            let faulty = protoctl::aws::AwsContext::load(&protoctl::aws::AwsOptions {
                endpoint_url: Some(url),
                region: Some("us-east-1".into()),
                max_attempts: Some(10),
                attempt_timeout: Some(std::time::Duration::from_secs(2)),
                ..Default::default()
            })
            .await
            .unwrap();
            put_if_unchanged(&faulty, &table, &old, &new)
                .await
                .unwrap_or_else(|e| panic!("put (seed {seed}): {e}"));
            let stored = get_item(&ctx, &table, &new).await.unwrap();
            assert_eq!(stored.as_ref(), Some(&new), "seed {seed}");
            delete_if_unchanged(&faulty, &table, &new)
                .await
                .unwrap_or_else(|e| panic!("delete (seed {seed}): {e}"));
            assert_eq!(get_item(&ctx, &table, &new).await.unwrap(), None);
        });
        faults_seen += proxy
            .counters
            .faults
            .load(std::sync::atomic::Ordering::SeqCst);
    }
    assert!(faults_seen > 0, "the proxy injected no fault");
    // Expired credentials or no answer at all: an error, the item as it was.
    let kept = item("item-kept", "1");
    put_plain(kept.clone());
    for plan in [
        FaultPlan {
            expired: true,
            ..FaultPlan::default()
        },
        FaultPlan {
            hang: true,
            ..FaultPlan::default()
        },
    ] {
        let proxy = faults::start(&endpoint(), plan, 5);
        let url = proxy.url.clone();
        block(async {
            let faulty = protoctl::aws::AwsContext::load(&protoctl::aws::AwsOptions {
                endpoint_url: Some(url),
                region: Some("us-east-1".into()),
                max_attempts: Some(2),
                attempt_timeout: Some(std::time::Duration::from_secs(1)),
                operation_timeout: Some(std::time::Duration::from_secs(3)),
                ..Default::default()
            })
            .await
            .unwrap();
            let e = put_if_unchanged(&faulty, &table, &kept, &item("item-kept", "2"))
                .await
                .unwrap_err();
            assert!(!e.to_string().contains('\n'), "{e}");
            let e = delete_if_unchanged(&faulty, &table, &kept)
                .await
                .unwrap_err();
            assert!(!e.to_string().contains('\n'), "{e}");
            let ctx = aws().await;
            assert_eq!(
                get_item(&ctx, &table, &kept).await.unwrap(),
                Some(kept.clone()),
                "{plan:?}"
            );
        });
    }
    // A real conflict is still one: someone else's change is never overwritten.
    let (old, theirs) = (item("item-conflict", "1"), item("item-conflict", "3"));
    put_plain(theirs);
    block(async {
        let ctx = aws().await;
        let err = put_if_unchanged(&ctx, &table, &old, &item("item-conflict", "2"))
            .await
            .unwrap_err();
        assert_eq!(err.kind, protoctl::aws::ErrorKind::Conflict, "{err}");
        let err = delete_if_unchanged(&ctx, &table, &old).await.unwrap_err();
        assert_eq!(err.kind, protoctl::aws::ErrorKind::Conflict, "{err}");
    });
}
