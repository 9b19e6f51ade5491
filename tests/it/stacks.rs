//! `stacks` and `resources` against the emulator with the demo data.

use serde_json::Value;

use crate::support::{protoctl, run, stderr, stdout};

fn json_stacks(extra: &[&str]) -> Vec<Value> {
    let mut c = protoctl();
    c.args(extra).args(["stacks", "--output", "json"]);
    let out = run(c);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    serde_json::from_str::<Value>(&stdout(&out))
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn names(stacks: &[Value]) -> Vec<String> {
    stacks
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn lists_exactly_the_tagged_stacks() {
    let stacks = json_stacks(&[]);
    let names = names(&stacks);
    for want in [
        "ledger-dev",
        "legacy-quiz-dev",
        "orders-dev",
        "payments-poc-dev",
        "survey-dev",
    ] {
        assert!(
            names.contains(&want.to_string()),
            "{want} missing from {names:?}"
        );
    }
    assert!(
        !names.contains(&"scratch-dev".to_string()),
        "untagged stack leaked"
    );
    assert!(
        !names.contains(&"billing-dev".to_string()),
        "other team's stack leaked"
    );
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "sorted by name");
}

#[test]
fn json_has_the_contract_fields() {
    let stacks = json_stacks(&[]);
    let orders = stacks.iter().find(|s| s["name"] == "orders-dev").unwrap();
    for field in [
        "name",
        "id",
        "status",
        "created",
        "last_updated",
        "tags",
        "termination_protection",
        "outputs",
    ] {
        assert!(orders.get(field).is_some(), "missing {field}: {orders}");
    }
    assert_eq!(orders["status"], "CREATE_COMPLETE");
    assert_eq!(orders["tags"]["team"], "proto-lab");
    assert!(
        orders["outputs"]["ServiceEndpoint"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    assert!(
        orders["outputs"]["UserPoolId"]
            .as_str()
            .unwrap()
            .contains('_')
    );
    let ledger = stacks.iter().find(|s| s["name"] == "ledger-dev").unwrap();
    assert_eq!(ledger["termination_protection"], true);
    assert!(chrono::DateTime::parse_from_rfc3339(orders["created"].as_str().unwrap()).is_ok());
}

#[test]
fn tag_flag_replaces_config_tags() {
    let stacks = json_stacks(&["--tag", "team=payments-core"]);
    assert_eq!(names(&stacks), ["billing-dev"]);
    let stacks = json_stacks(&["--tag", "owner=ana"]);
    assert_eq!(
        names(&stacks),
        ["orders-dev", "scratch-dev"],
        "key=value across teams"
    );
    let stacks = json_stacks(&["--tag", "protoctl:keep"]);
    assert_eq!(names(&stacks), ["payments-poc-dev"], "key-only filter");
    let stacks = json_stacks(&["--tag", "team=nobody"]);
    assert!(stacks.is_empty());
}

#[test]
fn table_output_lists_names() {
    let mut c = protoctl();
    c.arg("stacks");
    let out = run(c);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.starts_with("NAME"), "{text}");
    assert!(text.contains("orders-dev"));
    assert!(!text.contains("scratch-dev"));
}

#[test]
fn resources_of_a_stack() {
    let mut c = protoctl();
    c.args(["resources", "orders-dev", "--output", "json"]);
    let out = run(c);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let res: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    let types: Vec<&str> = res.iter().map(|r| r["type"].as_str().unwrap()).collect();
    for t in [
        "AWS::Lambda::Function",
        "AWS::DynamoDB::Table",
        "AWS::S3::Bucket",
        "AWS::Logs::LogGroup",
        "AWS::IAM::Role",
        "AWS::ApiGateway::RestApi",
    ] {
        assert!(types.contains(&t), "{t} missing: {types:?}");
    }
    let f = res
        .iter()
        .find(|r| r["logical_id"] == "CreateLambdaFunction")
        .unwrap();
    assert_eq!(f["physical_id"], "orders-dev-create");
    assert_eq!(f["status"], "CREATE_COMPLETE");
}

#[test]
fn resources_refuses_unknown_and_untagged_stacks() {
    let mut c = protoctl();
    c.args(["resources", "no-such-stack"]);
    let out = run(c);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("not found"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");

    let mut c = protoctl();
    c.args(["resources", "scratch-dev"]);
    let out = run(c);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("discovery tags"), "{}", stderr(&out));
}

#[test]
fn bad_tag_is_a_usage_error() {
    let mut c = protoctl();
    c.args(["--tag", "=oops", "stacks"]);
    let out = run(c);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("empty key"), "{}", stderr(&out));
}

#[test]
fn unreachable_endpoint_fails_in_one_line() {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_protoctl"));
    c.args(["--endpoint-url", "http://127.0.0.1:9", "--config"])
        .arg(crate::support::demo_config())
        .arg("--log-file")
        .arg(crate::support::log_file("unreachable"))
        .args(["stacks"]);
    let out = run(c);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("cannot reach"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

/// `stacks` with its function-name cache in `cache`.
fn json_stacks_cached(cache: &std::path::Path) -> Value {
    let mut c = protoctl();
    c.env("XDG_CACHE_HOME", cache)
        .env_remove("PROTOCTL_NO_CACHE")
        .args([
            "stacks",
            "--output",
            "json",
            "--now",
            "2026-11-27T12:00:00Z",
        ]);
    let out = run(c);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

#[test]
fn the_function_cache_never_changes_the_answer() {
    let dir = std::env::temp_dir().join(format!("protoctl-it-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let cold = json_stacks_cached(&dir);
    let file = dir.join("protoctl/stack-functions.json");
    let cache: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let orders = cold
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "orders-dev")
        .unwrap();
    let id = orders["id"].as_str().unwrap();
    let functions = cache["stacks"][id]["functions"].as_array().unwrap();
    assert!(
        functions
            .iter()
            .any(|f| f.as_str().unwrap().starts_with("orders-dev-")),
        "orders-dev's functions cached: {functions:?}"
    );
    assert!(orders["last_activity"].is_string(), "{orders}");
    // Warm: the same answer from the cached names.
    assert_eq!(json_stacks_cached(&dir), cold);
    // The blockers check remembered what the resource list holds: orders-dev has a bucket and
    // a table, which can block, so its check keeps reading them live.
    let cache: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(
        cache["stacks"][id]["nothing_blocks"], false,
        "{}",
        cache["stacks"][id]
    );
    // A stale entry (the stack changed since: another update time) is not trusted.
    let mut stale = cache.clone();
    stale["stacks"][id]["functions"] = serde_json::json!([]);
    stale["stacks"][id]["stamp"] = serde_json::json!("2001-01-01T00:00:00Z");
    std::fs::write(&file, stale.to_string()).unwrap();
    assert_eq!(json_stacks_cached(&dir), cold);
    // A garbled file is an empty cache.
    std::fs::write(&file, "{ not json").unwrap();
    assert_eq!(json_stacks_cached(&dir), cold);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn no_activity_lists_the_stacks_without_verdicts() {
    let mut c = protoctl();
    c.args(["stacks", "--no-activity", "--output", "json"]);
    let out = run(c);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let plain: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(names(&plain), names(&json_stacks(&[])));
    let orders = plain.iter().find(|s| s["name"] == "orders-dev").unwrap();
    assert_eq!(orders["tags"]["team"], "proto-lab");
    for field in ["abandoned", "idle_days", "protected", "blocked"] {
        assert!(orders.get(field).is_none(), "{field} in {orders}");
    }
    let mut c = protoctl();
    c.args(["stacks", "--no-activity"]);
    let out = run(c);
    let text = stdout(&out);
    assert!(text.starts_with("NAME"), "{text}");
    assert!(
        text.contains("orders-dev") && !text.contains("IDLE"),
        "{text}"
    );
}

/// What CloudFormation does on real AWS (the emulator does not): the stack's name and id as
/// tags on its function. The sweep files the function under that stack.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tagging_sweep_files_functions_by_their_stack_tags() {
    use protoctl::aws::tagging::{STACK_ID_TAG, STACK_NAME_TAG, stack_functions};
    let ctx = crate::support::aws().await;
    let lambda = ctx.lambda();
    let function = lambda
        .get_function()
        .function_name("orders-dev-create")
        .send()
        .await
        .unwrap();
    let arn = function
        .configuration()
        .and_then(|c| c.function_arn())
        .unwrap()
        .to_owned();
    // A stack id no real stack has: other tests' sweeps are not misled.
    let id = format!(
        "arn:aws:cloudformation:us-east-1:123456789012:stack/sweep-{}/x",
        std::process::id()
    );
    lambda
        .tag_resource()
        .resource(&arn)
        .tags(STACK_NAME_TAG, "sweep-test")
        .tags(STACK_ID_TAG, &id)
        .send()
        .await
        .unwrap();
    let swept = stack_functions(&ctx).await;
    lambda
        .untag_resource()
        .resource(&arn)
        .tag_keys(STACK_NAME_TAG)
        .tag_keys(STACK_ID_TAG)
        .send()
        .await
        .unwrap();
    let swept = swept.unwrap();
    assert_eq!(
        swept.of(&id, "sweep-test"),
        Some(&["orders-dev-create".to_owned()][..])
    );
}

/// The blockers column's sweep: a table CloudFormation made (its tags put on here, as real
/// CloudFormation does and the emulator does not) names its stack; a stack with nothing
/// tagged is not mentioned. In a region of its own, so no other test's sweep sees the table.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_blockable_sweep_names_the_stacks_that_own_a_table() {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, Tag,
    };
    use protoctl::aws::tagging::{STACK_ID_TAG, STACK_NAME_TAG, stacks_with_blockable};
    let ctx = crate::support::aws().await.with_region("ap-southeast-2");
    let ddb = ctx.dynamodb();
    let table = format!("sweep-{}-items", std::process::id());
    let id = format!(
        "arn:aws:cloudformation:ap-southeast-2:123456789012:stack/sweep-{}/x",
        std::process::id()
    );
    let before = stacks_with_blockable(&ctx).await.unwrap();
    assert!(!before.mentions(&id, "sweep-owner"));
    let made = ddb
        .create_table()
        .table_name(&table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .tags(
            Tag::builder()
                .key(STACK_NAME_TAG)
                .value("sweep-owner")
                .build()
                .unwrap(),
        )
        .tags(Tag::builder().key(STACK_ID_TAG).value(&id).build().unwrap())
        .send()
        .await
        .unwrap();
    assert!(made.table_description().is_some());
    let swept = stacks_with_blockable(&ctx).await;
    ddb.delete_table().table_name(&table).send().await.unwrap();
    let swept = swept.unwrap();
    assert!(swept.mentions(&id, "sweep-owner"));
    assert!(swept.mentions("another-id", "sweep-owner"), "by name too");
    assert!(!swept.mentions(
        "arn:aws:cloudformation:ap-southeast-2:123456789012:stack/plain/y",
        "plain"
    ));
}
