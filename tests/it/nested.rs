//! Nested stacks: a prototype is its root stack and everything nested in it. Three shapes,
//! this suite's own templates modelled on what the tools emit: CDK's `NestedStack` (hashed
//! logical ids, two levels), SAM's nested application (`AWS::Serverless::Application`, as
//! SAM transforms it) and the Serverless Framework's split-stacks plugin. The nested
//! templates are uploaded to a bucket of the test's own, as the tools upload theirs.

use std::path::PathBuf;

use aws_sdk_cloudformation::types::Tag;
use serde_json::Value;

use crate::support::{aws, stderr, stdout};
use crate::teardown::{
    audit_path, config_for, create_stack_from, gone, log_group_exists, object_count, protoctl_with,
    prototype_tags, teardown_cmd, unique,
};

/// CDK root: an SNS topic and the nested stack resource CDK names
/// `<Id>NestedStack<Id>NestedStackResource<hash>`.
const CDK_ROOT: &str = r#"{
  "Resources": {
    "EventsTopic4C1D9F0B": {"Type": "AWS::SNS::Topic"},
    "DataNestedStackDataNestedStackResource6E5D4C3B": {
      "Type": "AWS::CloudFormation::Stack",
      "Properties": {"TemplateURL": "https://s3.us-east-1.amazonaws.com/BUCKET/3f9a1c0e7b.json"},
      "UpdateReplacePolicy": "Delete",
      "DeletionPolicy": "Delete"
    }
  }
}"#;

/// CDK level 1: a table, a versioned bucket and a second nested stack.
const CDK_DATA: &str = r#"{
  "Resources": {
    "OrdersTable315BB997": {
      "Type": "AWS::DynamoDB::Table",
      "Properties": {
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST"
      },
      "UpdateReplacePolicy": "Delete",
      "DeletionPolicy": "Delete"
    },
    "UploadsBucket5E5E9B64": {
      "Type": "AWS::S3::Bucket",
      "Properties": {"VersioningConfiguration": {"Status": "Enabled"}},
      "UpdateReplacePolicy": "Delete",
      "DeletionPolicy": "Delete"
    },
    "ArchiveNestedStackArchiveNestedStackResource9C8D7E6F": {
      "Type": "AWS::CloudFormation::Stack",
      "Properties": {"TemplateURL": "https://s3.us-east-1.amazonaws.com/BUCKET/b81d22e4aa.json"},
      "UpdateReplacePolicy": "Delete",
      "DeletionPolicy": "Delete"
    }
  }
}"#;

/// CDK level 2: a table and a function with its role.
const CDK_ARCHIVE: &str = r#"{
  "Resources": {
    "ArchiveTable0A1B2C3D": {
      "Type": "AWS::DynamoDB::Table",
      "Properties": {
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST"
      },
      "UpdateReplacePolicy": "Delete",
      "DeletionPolicy": "Delete"
    },
    "ArchiverServiceRole4F1E2D3C": {
      "Type": "AWS::IAM::Role",
      "Properties": {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
          "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
      }
    },
    "Archiver5F8E7D6C": {
      "Type": "AWS::Lambda::Function",
      "Properties": {
        "Code": {"ZipFile": "exports.handler = async () => ({});"},
        "Handler": "index.handler",
        "Runtime": "nodejs20.x",
        "Role": {"Fn::GetAtt": ["ArchiverServiceRole4F1E2D3C", "Arn"]}
      },
      "DependsOn": ["ArchiverServiceRole4F1E2D3C"]
    }
  }
}"#;

/// SAM, transformed: the root's function and `SimpleTable`, and the nested application
/// (`AWS::Serverless::Application` becomes a stack with SAM's tag) holding a table of the
/// same logical id.
const SAM_ROOT: &str = r#"{
  "AWSTemplateFormatVersion": "2010-09-09",
  "Resources": {
    "Table": {
      "Type": "AWS::DynamoDB::Table",
      "Properties": {
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST"
      }
    },
    "Inventory": {
      "Type": "AWS::CloudFormation::Stack",
      "Properties": {
        "TemplateURL": "https://s3.amazonaws.com/BUCKET/sam/inventory/template.json",
        "Tags": [{"Key": "lambda:createdBy", "Value": "SAM"}]
      }
    }
  }
}"#;

const SAM_INVENTORY: &str = r#"{
  "AWSTemplateFormatVersion": "2010-09-09",
  "Resources": {
    "Table": {
      "Type": "AWS::DynamoDB::Table",
      "Properties": {
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST"
      }
    }
  }
}"#;

/// Serverless Framework with the split-stacks plugin: the function stays in the root, its
/// log group moves to the `LogGroupsNestedStack`, tables to `TablesNestedStack`.
const SLS_ROOT: &str = r#"{
  "AWSTemplateFormatVersion": "2010-09-09",
  "Description": "The AWS CloudFormation template for this Serverless application",
  "Resources": {
    "IamRoleLambdaExecution": {
      "Type": "AWS::IAM::Role",
      "Properties": {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
          "Principal": {"Service": ["lambda.amazonaws.com"]}, "Action": ["sts:AssumeRole"]}]},
        "RoleName": {"Fn::Join": ["-", [{"Ref": "AWS::StackName"}, "lambdaRole"]]}
      }
    },
    "HelloLambdaFunction": {
      "Type": "AWS::Lambda::Function",
      "Properties": {
        "Code": {"ZipFile": "def handler(event, context): return {}"},
        "Handler": "handler.hello",
        "Runtime": "python3.12",
        "FunctionName": {"Fn::Sub": "${AWS::StackName}-hello"},
        "Role": {"Fn::GetAtt": ["IamRoleLambdaExecution", "Arn"]}
      },
      "DependsOn": ["IamRoleLambdaExecution"]
    },
    "LogGroupsNestedStack": {
      "Type": "AWS::CloudFormation::Stack",
      "Properties": {
        "TemplateURL": "https://s3.amazonaws.com/BUCKET/serverless/svc/dev/cloudformation-template-LogGroups-nested-stack.json",
        "Parameters": {"FunctionName": {"Fn::Sub": "${AWS::StackName}-hello"}}
      }
    },
    "TablesNestedStack": {
      "Type": "AWS::CloudFormation::Stack",
      "Properties": {
        "TemplateURL": "https://s3.amazonaws.com/BUCKET/serverless/svc/dev/cloudformation-template-Tables-nested-stack.json"
      }
    }
  }
}"#;

const SLS_LOG_GROUPS: &str = r#"{
  "AWSTemplateFormatVersion": "2010-09-09",
  "Parameters": {"FunctionName": {"Type": "String"}},
  "Resources": {
    "HelloLogGroup": {
      "Type": "AWS::Logs::LogGroup",
      "Properties": {"LogGroupName": {"Fn::Sub": "/aws/lambda/${FunctionName}"}}
    }
  }
}"#;

const SLS_TABLES: &str = r#"{
  "AWSTemplateFormatVersion": "2010-09-09",
  "Resources": {
    "NotesTable": {
      "Type": "AWS::DynamoDB::Table",
      "Properties": {
        "AttributeDefinitions": [{"AttributeName": "noteId", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "noteId", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST"
      }
    }
  }
}"#;

/// Uploads the nested templates to a bucket of the test's own; returns its name.
async fn upload_templates(files: &[(&str, &str)]) -> String {
    let bucket = unique("nested-tpl");
    let s3 = aws().await.s3();
    s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("template bucket");
    for (key, body) in files {
        s3.put_object()
            .bucket(&bucket)
            .key(*key)
            .body(body.replace("BUCKET", &bucket).into_bytes().into())
            .send()
            .await
            .expect("upload template");
    }
    bucket
}

/// The stacks nested under `root`, found by the names CloudFormation gives them.
async fn nested_names(root: &str) -> Vec<String> {
    let cfn = aws().await.cloudformation();
    let mut out = Vec::new();
    let mut pages = cfn.describe_stacks().into_paginator().send();
    while let Some(page) = pages.next().await {
        for s in page.expect("describe stacks").stacks() {
            let name = s.stack_name().unwrap_or_default();
            if name.starts_with(&format!("{root}-")) && s.stack_status().is_some() {
                out.push(name.to_string());
            }
        }
    }
    out.sort();
    out
}

/// Puts the discovery tags on a nested stack, as CloudFormation does with the root's tags.
async fn tag_like_root(stack: &str, tags: &[(String, String)]) {
    let cfn = aws().await.cloudformation();
    let mut req = cfn
        .update_stack()
        .stack_name(stack)
        .use_previous_template(true);
    for (k, v) in tags {
        req = req.tags(Tag::builder().key(k).value(v).build());
    }
    req.send().await.expect("tag nested stack");
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn cmd(config: &PathBuf, args: &[&str]) -> std::process::Output {
    let mut c = protoctl_with(config);
    c.args(args);
    crate::support::run(c)
}

/// `resources ROOT --output json`.
fn resources(config: &PathBuf, root: &str) -> Vec<Value> {
    let out = cmd(config, &["resources", root, "--output", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

fn physical_of(resources: &[Value], logical: &str) -> String {
    resources
        .iter()
        .find(|r| r["logical_id"] == logical)
        .and_then(|r| r["physical_id"].as_str())
        .unwrap_or_else(|| panic!("{logical} not in {resources:?}"))
        .to_string()
}

async fn table_exists(table: &str) -> bool {
    aws()
        .await
        .dynamodb()
        .describe_table()
        .table_name(table)
        .send()
        .await
        .is_ok()
}

/// Two versions of `keys` objects, then a delete marker on the first `markers`.
async fn fill_versioned(bucket: &str, keys: usize, markers: usize) {
    let s3 = aws().await.s3();
    s3.put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .expect("versioning");
    for i in 0..keys {
        for v in 0..2 {
            s3.put_object()
                .bucket(bucket)
                .key(format!("uploads/{i:03}.json"))
                .body(format!("{{\"v\":{v}}}").into_bytes().into())
                .send()
                .await
                .expect("put object");
        }
    }
    for i in 0..markers {
        s3.delete_object()
            .bucket(bucket)
            .key(format!("uploads/{i:03}.json"))
            .send()
            .await
            .expect("delete object");
    }
}

/// A log group with one event two hours ahead (so activity read from it stands out), as
/// Lambda writes at a function's first run.
async fn function_logs(function: &str) -> String {
    let logs = aws().await.logs();
    let group = format!("/aws/lambda/{function}");
    logs.create_log_group()
        .log_group_name(&group)
        .send()
        .await
        .expect("log group");
    logs.create_log_stream()
        .log_group_name(&group)
        .log_stream_name("s")
        .send()
        .await
        .expect("log stream");
    logs.put_log_events()
        .log_group_name(&group)
        .log_stream_name("s")
        .log_events(
            aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                .timestamp((chrono::Utc::now() + chrono::Duration::hours(2)).timestamp_millis())
                .message("START RequestId: 1 Version: $LATEST")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("log events");
    group
}

#[tokio::test(flavor = "multi_thread")]
async fn cdk_two_levels_are_one_prototype_and_teardown_leaves_nothing() {
    let team = unique("nested-cdk");
    let root = team.clone();
    let tpl = upload_templates(&[
        ("3f9a1c0e7b.json", CDK_DATA),
        ("b81d22e4aa.json", CDK_ARCHIVE),
    ])
    .await;
    let tags = prototype_tags(&team);
    create_stack_from(&root, &CDK_ROOT.replace("BUCKET", &tpl), &tags, false).await;
    let nested = nested_names(&root).await;
    assert_eq!(nested.len(), 2, "{nested:?}");
    // CloudFormation copies the root's tags onto its nested stacks.
    let data_stack = nested.iter().min_by_key(|n| n.len()).unwrap().clone();
    tag_like_root(&data_stack, &tags).await;
    let config = config_for(&team, "");

    // Discovery: the root only, with its nested count.
    let out = cmd(&config, &["stacks", "--output", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let listed: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    let names: Vec<&str> = listed.iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(names, [root.as_str()]);
    assert_eq!(listed[0]["nested_stacks"], 2);
    let out = cmd(&config, &["stacks"]);
    assert!(stdout(&out).contains("NESTED"), "{}", stdout(&out));

    // Every resource with the path of the stack that owns it.
    let res = resources(&config, &root);
    let data_path = format!("{root}/DataNestedStackDataNestedStackResource6E5D4C3B");
    let archive_path = format!("{data_path}/ArchiveNestedStackArchiveNestedStackResource9C8D7E6F");
    let path_of = |logical: &str| {
        res.iter()
            .find(|r| r["logical_id"] == logical)
            .map(|r| r["stack_path"].as_str().unwrap().to_string())
    };
    assert_eq!(path_of("EventsTopic4C1D9F0B"), Some(root.clone()));
    assert_eq!(path_of("UploadsBucket5E5E9B64"), Some(data_path.clone()));
    assert_eq!(path_of("Archiver5F8E7D6C"), Some(archive_path.clone()));
    let text = stdout(&cmd(&config, &["resources", &root]));
    assert!(
        text.contains("STACK") && text.contains(&archive_path),
        "{text}"
    );

    let bucket = physical_of(&res, "UploadsBucket5E5E9B64");
    let archive_table = physical_of(&res, "ArchiveTable0A1B2C3D");
    let orders_table = physical_of(&res, "OrdersTable315BB997");
    let function = physical_of(&res, "Archiver5F8E7D6C");
    fill_versioned(&bucket, 20, 5).await;
    let group = function_logs(&function).await;
    aws()
        .await
        .dynamodb()
        .put_item()
        .table_name(&archive_table)
        .item(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S("order-7".into()),
        )
        .send()
        .await
        .expect("put item");

    // Activity for abandonment comes from the function two levels down.
    let out = cmd(&config, &["stacks", "--output", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let listed: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    let last = listed[0]["last_activity"].as_str().unwrap();
    let last = chrono::DateTime::parse_from_rfc3339(last).unwrap();
    assert!(
        last > chrono::Utc::now() + chrono::Duration::minutes(90),
        "{last}"
    );

    // Capabilities read the whole tree: a table two levels down, the nested bucket, the
    // nested function's logs.
    let out = cmd(
        &config,
        &[
            "items",
            &root,
            "--table",
            "ArchiveTable0A1B2C3D",
            "--output",
            "json",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("order-7"), "{}", stdout(&out));
    let out = cmd(
        &config,
        &["objects", &root, "--recursive", "--output", "json"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let objects = json_lines(&stdout(&out));
    assert_eq!(objects.len(), 15, "{objects:?}");
    assert!(objects.iter().all(|o| o["bucket"] == bucket.as_str()));
    let out = cmd(
        &config,
        &[
            "logs",
            &root,
            "--function",
            "Archiver5F8E7D6C",
            "--since",
            "1h",
            "--output",
            "json",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("START RequestId: 1"),
        "{}",
        stdout(&out)
    );

    // The nested stack on its own: refused, naming the root.
    let audit = audit_path(&root);
    let out = teardown_cmd(&config, &audit, &[&data_stack, "--yes"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("is nested in") && err.contains(&root), "{err}");
    assert!(err.contains("nothing was deleted"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    let out = cmd(&config, &["items", &data_stack]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(&format!("{root:?}")),
        "{}",
        stderr(&out)
    );
    assert!(!gone(&data_stack).await);

    // The plan covers the whole tree.
    let out = teardown_cmd(&config, &audit, &[&root, "--output", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let plans: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    let plan = &plans[0];
    assert_eq!(plan["allowed"], true, "{plan}");
    let b = plan["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["bucket"] == bucket.as_str())
        .expect("nested bucket measured");
    assert_eq!(b["versions"], 40);
    assert_eq!(b["delete_markers"], 5);
    let steps = plan["steps"].as_array().unwrap();
    assert!(steps.iter().any(|s| s["physical_id"] == bucket.as_str()
        && s["action"] == "EmptyThenDelete"
        && s["stack_path"] == data_path.as_str()));
    assert!(
        steps
            .iter()
            .any(|s| s["physical_id"] == group.as_str() && s["action"] == "DeleteOutsideStack")
    );
    let text = stdout(&teardown_cmd(&config, &audit, &[&root]));
    assert!(
        text.contains("DataNestedStackDataNestedStackResource6E5D4C3B/UploadsBucket5E5E9B64"),
        "{text}"
    );

    // The real thing: nothing is left.
    let out = teardown_cmd(&config, &audit, &[&root, "--yes", "--output", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let done: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(done[0]["result"], "deleted", "{}", done[0]);
    assert!(gone(&root).await);
    for n in &nested {
        assert!(gone(n).await, "{n} left behind");
    }
    assert_eq!(object_count(&bucket).await, None, "nested bucket left");
    assert!(!table_exists(&orders_table).await, "level-1 table left");
    assert!(!table_exists(&archive_table).await, "level-2 table left");
    assert!(!log_group_exists(&group).await, "function log group left");
}

#[tokio::test(flavor = "multi_thread")]
async fn sam_nested_application_name_at_two_levels_is_refused_with_both_paths() {
    let team = unique("nested-sam");
    let root = team.clone();
    let tpl = upload_templates(&[("sam/inventory/template.json", SAM_INVENTORY)]).await;
    create_stack_from(
        &root,
        &SAM_ROOT.replace("BUCKET", &tpl),
        &prototype_tags(&team),
        false,
    )
    .await;
    let config = config_for(&team, "");

    let out = cmd(&config, &["items", &root, "--table", "Table"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.contains("used at 2 levels")
            && err.contains(&format!("{root}/Table"))
            && err.contains(&format!("{root}/Inventory/Table")),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    let res = resources(&config, &root);
    let nested_table = res
        .iter()
        .find(|r| r["logical_id"] == "Table" && r["stack_path"] != root.as_str())
        .and_then(|r| r["physical_id"].as_str())
        .unwrap()
        .to_string();
    aws()
        .await
        .dynamodb()
        .put_item()
        .table_name(&nested_table)
        .item(
            "id",
            aws_sdk_dynamodb::types::AttributeValue::S("sku-1".into()),
        )
        .send()
        .await
        .expect("put item");
    let out = cmd(
        &config,
        &[
            "items",
            &root,
            "--table",
            "Inventory/Table",
            "--output",
            "json",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("sku-1"));

    let nested = nested_names(&root).await;
    assert_eq!(nested.len(), 1, "{nested:?}");
    let audit = audit_path(&root);
    let out = teardown_cmd(&config, &audit, &[&root, "--yes", "--output", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(gone(&root).await);
    assert!(gone(&nested[0]).await);
    assert!(!table_exists(&nested_table).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn split_stacks_log_group_and_table_nested_are_found_and_torn_down() {
    let team = unique("nested-sls");
    let root = team.clone();
    let tpl = upload_templates(&[
        (
            "serverless/svc/dev/cloudformation-template-LogGroups-nested-stack.json",
            SLS_LOG_GROUPS,
        ),
        (
            "serverless/svc/dev/cloudformation-template-Tables-nested-stack.json",
            SLS_TABLES,
        ),
    ])
    .await;
    create_stack_from(
        &root,
        &SLS_ROOT.replace("BUCKET", &tpl),
        &prototype_tags(&team),
        false,
    )
    .await;
    let config = config_for(&team, "");
    let res = resources(&config, &root);
    let table = physical_of(&res, "NotesTable");
    let group = format!("/aws/lambda/{root}-hello");
    assert_eq!(
        res.iter()
            .find(|r| r["logical_id"] == "HelloLogGroup")
            .map(|r| r["stack_path"].clone()),
        Some(Value::from(format!("{root}/LogGroupsNestedStack")))
    );

    // The only table of the tree needs no name; the root's function is found by its
    // short name, its log group in a nested stack.
    let out = cmd(&config, &["items", &root, "--output", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = cmd(
        &config,
        &[
            "logs",
            &root,
            "--function",
            "hello",
            "--since",
            "1h",
            "--output",
            "json",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let audit = audit_path(&root);
    let out = teardown_cmd(&config, &audit, &[&root, "--output", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let plans: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    let steps = plans[0]["steps"].as_array().unwrap();
    // The log group is part of the tree: deleted with the stack, not separately.
    assert!(
        !steps.iter().any(|s| s["action"] == "DeleteOutsideStack"),
        "{steps:?}"
    );
    assert!(steps.iter().any(|s| s["logical_id"] == "NotesTable"
        && s["stack_path"] == format!("{root}/TablesNestedStack").as_str()));

    let out = teardown_cmd(&config, &audit, &[&root, "--yes", "--output", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(gone(&root).await);
    assert!(!table_exists(&table).await, "nested table left");
    assert!(!log_group_exists(&group).await, "nested log group left");
}
