//! `protoctl cost` against the emulator, on stacks these tests create with known usage:
//! metrics put through PutMetricData, tables of known billing mode, a bucket of known size.
//! Every quantity must be the seeded usage and every figure quantity × the table's price.

use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
use aws_sdk_s3::primitives::ByteStream;
use protoctl::domain::cost::PriceTable;
use serde_json::Value;

use crate::support::{aws, protoctl, run, stderr, stdout};
use crate::teardown::{config_for, create_stack_from, protoctl_with, prototype_tags, unique};

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
    "ArmFn": {
      "Type": "AWS::Lambda::Function",
      "Properties": {
        "FunctionName": {"Fn::Sub": "${AWS::StackName}-arm"},
        "Runtime": "nodejs20.x", "Handler": "index.handler", "MemorySize": 1024,
        "Architectures": ["arm64"],
        "Role": {"Fn::GetAtt": ["Role", "Arn"]},
        "Code": {"ZipFile": "exports.handler = async () => ({});"}
      }
    },
    "X86Fn": {
      "Type": "AWS::Lambda::Function",
      "Properties": {
        "FunctionName": {"Fn::Sub": "${AWS::StackName}-x86"},
        "Runtime": "nodejs20.x", "Handler": "index.handler", "MemorySize": 512,
        "Role": {"Fn::GetAtt": ["Role", "Arn"]},
        "Code": {"ZipFile": "exports.handler = async () => ({});"}
      }
    },
    "OnDemand": {
      "Type": "AWS::DynamoDB::Table",
      "Properties": {
        "TableName": {"Fn::Sub": "${AWS::StackName}-ondemand"},
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST"
      }
    },
    "Provisioned": {
      "Type": "AWS::DynamoDB::Table",
      "Properties": {
        "TableName": {"Fn::Sub": "${AWS::StackName}-provisioned"},
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 3}
      }
    },
    "Data": {
      "Type": "AWS::S3::Bucket",
      "Properties": {"BucketName": {"Fn::Sub": "${AWS::StackName}-data"}}
    },
    "Api": {
      "Type": "AWS::ApiGateway::RestApi",
      "Properties": {"Name": {"Fn::Sub": "${AWS::StackName}-api"}}
    },
    "Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Version": "2012-10-17",
      "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*"}]}}}
  }
}"#;

const IDLE: &str = r#"{
  "Resources": {
    "Role": {
      "Type": "AWS::IAM::Role",
      "Properties": {
        "RoleName": {"Fn::Sub": "${AWS::StackName}-role"},
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
          "Principal": {"Service": ["lambda.amazonaws.com"]}, "Action": ["sts:AssumeRole"]}]}
      }
    },
    "Fn": {
      "Type": "AWS::Lambda::Function",
      "Properties": {
        "FunctionName": {"Fn::Sub": "${AWS::StackName}-idle"},
        "Runtime": "nodejs20.x", "Handler": "index.handler",
        "Role": {"Fn::GetAtt": ["Role", "Arn"]},
        "Code": {"ZipFile": "exports.handler = async () => ({});"}
      }
    }
  }
}"#;

async fn put(namespace: &str, metric: &str, dims: &[(&str, &str)], values: &[f64]) {
    let ctx = aws().await;
    let at = aws_smithy_types::DateTime::from_secs(chrono::Utc::now().timestamp() - 3600);
    let mut req = ctx.cloudwatch().put_metric_data().namespace(namespace);
    for v in values {
        let mut d = MetricDatum::builder()
            .metric_name(metric)
            .value(*v)
            .timestamp(at);
        for (k, val) in dims {
            d = d.dimensions(Dimension::builder().name(*k).value(*val).build());
        }
        req = req.metric_data(d.build());
    }
    req.send().await.expect("put metric data");
}

fn line<'a>(stack: &'a Value, resource: &str, usage: &str) -> Option<&'a Value> {
    stack["breakdown"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["resource"] == resource && i["usage_type"].as_str().unwrap().contains(usage))
}

// Exact float equality is the point: each figure is the seeded usage and quantity × price.
#[allow(clippy::float_cmp)]
#[tokio::test(flavor = "multi_thread")]
async fn every_quantity_is_the_seeded_usage_and_every_figure_quantity_times_price() {
    let team = unique("cost");
    let name = unique("costed");
    let idle = unique("idle");
    create_stack_from(&name, TEMPLATE, &prototype_tags(&team), false).await;
    create_stack_from(&idle, IDLE, &prototype_tags(&team), false).await;
    let ctx = aws().await;
    let arm = format!("{name}-arm");
    let x86 = format!("{name}-x86");
    let group = format!("/aws/lambda/{arm}");
    ctx.logs()
        .create_log_group()
        .log_group_name(&group)
        .send()
        .await
        .unwrap();
    let bucket = format!("{name}-data");
    for (key, size) in [("a", 1000usize), ("b/c", 2500)] {
        ctx.s3()
            .put_object()
            .bucket(&bucket)
            .key(key)
            .body(ByteStream::from(vec![b'x'; size]))
            .send()
            .await
            .unwrap();
    }
    put(
        "AWS/Lambda",
        "Invocations",
        &[("FunctionName", &arm)],
        &[700.0, 500.0],
    )
    .await;
    put(
        "AWS/Lambda",
        "Duration",
        &[("FunctionName", &arm)],
        &[250_000.0],
    )
    .await;
    put(
        "AWS/Lambda",
        "Invocations",
        &[("FunctionName", &x86)],
        &[300.0],
    )
    .await;
    put(
        "AWS/Lambda",
        "Duration",
        &[("FunctionName", &x86)],
        &[90_000.0],
    )
    .await;
    let on_demand = format!("{name}-ondemand");
    let provisioned = format!("{name}-provisioned");
    put(
        "AWS/DynamoDB",
        "ConsumedReadCapacityUnits",
        &[("TableName", &on_demand)],
        &[40.0],
    )
    .await;
    put(
        "AWS/DynamoDB",
        "ConsumedWriteCapacityUnits",
        &[("TableName", &on_demand)],
        &[25.0],
    )
    .await;
    put(
        "AWS/DynamoDB",
        "ConsumedReadCapacityUnits",
        &[("TableName", &provisioned)],
        &[99.0],
    )
    .await;
    let api = format!("{name}-api");
    put("AWS/ApiGateway", "Count", &[("ApiName", &api)], &[800.0]).await;
    put(
        "AWS/Logs",
        "IncomingBytes",
        &[("LogGroupName", &group)],
        &[5_000_000.0],
    )
    .await;

    let mut c = protoctl_with(&config_for(&team, ""));
    c.args(["cost", "--days", "30", "--output", "json"]);
    let out = run(c);
    assert!(out.status.success(), "{}", stderr(&out));
    let all: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let stacks = all.as_array().unwrap();
    assert_eq!(stacks.len(), 2, "{all:#}");
    let s = stacks.iter().find(|s| s["stack"] == name.as_str()).unwrap();
    let prices = PriceTable::bundled().unwrap();
    let price = |key: &str| prices.price("us-east-1", key).unwrap().unit_price;
    let gb = 1_073_741_824.0;
    let expect = [
        (arm.as_str(), "Requests", 1200.0, price("lambda.requests")),
        (
            arm.as_str(),
            "Duration (Arm)",
            250.0,
            price("lambda.duration.arm64"),
        ),
        (x86.as_str(), "Requests", 300.0, price("lambda.requests")),
        (
            x86.as_str(),
            "Duration (x86)",
            45.0,
            price("lambda.duration.x86_64"),
        ),
        (
            on_demand.as_str(),
            "read request",
            40.0,
            price("dynamodb.read_request_units"),
        ),
        (
            on_demand.as_str(),
            "write request",
            25.0,
            price("dynamodb.write_request_units"),
        ),
        (
            provisioned.as_str(),
            "read capacity",
            5.0 * 730.0,
            price("dynamodb.rcu_hours"),
        ),
        (
            provisioned.as_str(),
            "write capacity",
            3.0 * 730.0,
            price("dynamodb.wcu_hours"),
        ),
        (
            bucket.as_str(),
            "Standard",
            3500.0 / gb,
            price("s3.standard"),
        ),
        (
            api.as_str(),
            "REST API",
            800.0,
            price("apigateway.rest_requests"),
        ),
        (
            group.as_str(),
            "Ingestion",
            5_000_000.0 / gb,
            price("logs.ingestion"),
        ),
    ];
    for (resource, usage, quantity, unit_price) in expect {
        let l = line(s, resource, usage).unwrap_or_else(|| panic!("{resource} {usage}: {s:#}"));
        assert_eq!(l["quantity"].as_f64().unwrap(), quantity, "{l:#}");
        assert_eq!(l["unit_price"].as_f64().unwrap(), unit_price, "{l:#}");
        assert_eq!(
            l["monthly_usd"].as_f64().unwrap(),
            quantity * unit_price,
            "{l:#}"
        );
        assert!(!l["source"].as_str().unwrap().is_empty());
    }
    // Provisioned capacity and the key are fixed; consumed units on a provisioned table
    // cost nothing more.
    assert_eq!(
        line(s, &provisioned, "read capacity").unwrap()["fixed"],
        true
    );
    assert!(line(s, &provisioned, "request").is_none(), "{s:#}");
    let key = s["breakdown"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["service"] == "KMS")
        .unwrap_or_else(|| panic!("no KMS key line: {s:#}"));
    assert_eq!(key["fixed"], true);
    assert_eq!(key["monthly_usd"].as_f64().unwrap(), price("kms.keys"));
    let items = s["breakdown"].as_array().unwrap();
    let total: f64 = items
        .iter()
        .map(|i| i["monthly_usd"].as_f64().unwrap())
        .sum();
    assert!((s["monthly_usd"].as_f64().unwrap() - total).abs() < 1e-9);
    let fixed: f64 = items
        .iter()
        .filter(|i| i["fixed"] == true)
        .map(|i| i["monthly_usd"].as_f64().unwrap())
        .sum();
    assert!((s["fixed_usd"].as_f64().unwrap() - fixed).abs() < 1e-9);

    let quiet = stacks.iter().find(|s| s["stack"] == idle.as_str()).unwrap();
    assert_eq!(quiet["monthly_usd"].as_f64(), Some(0.0), "{quiet:#}");
    assert_eq!(quiet["breakdown"].as_array().map(Vec::len), Some(0));

    let mut c = protoctl_with(&config_for(&team, ""));
    c.args(["cost", &name]);
    let out = run(c);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("/month"), "{text}");
    assert!(text.contains("free tiers not taken off"), "{text}");

    // The teardown plan says what tearing the stack down saves.
    let audit = crate::teardown::audit_path(&name);
    let out = crate::teardown::teardown_cmd(&config_for(&team, ""), &audit, &[&name]);
    let text = stdout(&out);
    assert!(
        text.contains(&format!("{name}: saves about $")),
        "{text}{}",
        stderr(&out)
    );
}

/// Queues a Cost Explorer answer in the emulator (moto's `ce` serves them in order, one per
/// distinct request).
fn queue_explorer_result(groups: &[(&str, &str, &str)]) {
    use std::io::{Read, Write};
    let groups: Vec<Value> = groups
        .iter()
        .map(|(tag, service, amount)| {
            serde_json::json!({
                "Keys": [format!("aws:cloudformation:stack-name${tag}"), service],
                "Metrics": {"UnblendedCost": {"Amount": amount, "Unit": "USD"}}
            })
        })
        .collect();
    let body = serde_json::json!({"results": [{
        "ResultsByTime": [{
            "TimePeriod": {"Start": "2026-11-01", "End": "2026-12-01"},
            "Total": {},
            "Groups": groups,
            "Estimated": false
        }],
        "DimensionValueAttributes": []
    }]})
    .to_string();
    let endpoint = crate::support::endpoint();
    let host = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let mut conn = std::net::TcpStream::connect(host).expect("connect to the emulator");
    write!(
        conn,
        "POST /moto-api/static/ce/cost-and-usage-results HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
}

// Exact float equality: the figures are the queued amounts scaled by 30 / days.
#[allow(clippy::float_cmp)]
#[tokio::test(flavor = "multi_thread")]
async fn explorer_reports_the_tagged_cost_per_service_and_says_how_to_activate_the_tag() {
    let team = unique("ce");
    let name = unique("billed");
    let quiet = unique("untagged");
    create_stack_from(&name, IDLE, &prototype_tags(&team), false).await;
    create_stack_from(&quiet, IDLE, &prototype_tags(&team), false).await;
    queue_explorer_result(&[
        (&name, "AWS Lambda", "1.5"),
        (&name, "Amazon DynamoDB", "3.25"),
        ("", "Amazon EC2", "100"),
    ]);
    let config = config_for(&team, "");
    let mut c = protoctl_with(&config);
    c.args([
        "cost",
        "--cost-source",
        "explorer",
        "--days",
        "15",
        "--output",
        "json",
    ]);
    let out = run(c);
    assert!(out.status.success(), "{}", stderr(&out));
    let all: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let s = all
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stack"] == name.as_str())
        .unwrap_or_else(|| panic!("{all:#}"));
    assert_eq!(s["monthly_usd"].as_f64(), Some(9.5), "{s:#}");
    assert_eq!(s["fixed_usd"].as_f64(), Some(0.0));
    let lambda = line(s, &name, "actual cost").unwrap();
    assert_eq!(lambda["service"], "AWS Lambda");
    assert_eq!(lambda["quantity"].as_f64(), Some(1.5));
    assert_eq!(lambda["unit"], "USD in 15 days");
    assert_eq!(lambda["monthly_usd"].as_f64(), Some(3.0));
    assert!(
        lambda["source"]
            .as_str()
            .unwrap()
            .starts_with("Cost Explorer GetCostAndUsage UnblendedCost"),
        "{lambda:#}"
    );
    assert!(s["notes"][0].as_str().unwrap().contains("$0.01 a request"));
    let q = all
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stack"] == quiet.as_str())
        .unwrap();
    assert_eq!(q["monthly_usd"].as_f64(), Some(0.0));
    assert!(
        q["notes"][1]
            .as_str()
            .unwrap()
            .starts_with("no cost under the tag"),
        "{q:#}"
    );
    // The same request again (the emulator answers it the same): the text says the note once.
    let mut c = protoctl_with(&config);
    c.args(["cost", "--cost-source", "explorer", "--days", "15", &name]);
    let out = run(c);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("about $9.50/month"), "{text}");
    assert_eq!(text.matches("$0.01 a request").count(), 1, "{text}");

    // No cost under the tag at all: every stack says how to activate it.
    queue_explorer_result(&[("", "Amazon EC2", "12")]);
    let mut c = protoctl_with(&config);
    c.args([
        "cost",
        "--cost-source",
        "explorer",
        "--days",
        "7",
        "--output",
        "json",
    ]);
    let out = run(c);
    assert!(out.status.success(), "{}", stderr(&out));
    let all: Value = serde_json::from_str(&stdout(&out)).unwrap();
    for s in all.as_array().unwrap() {
        let notes = s["notes"].to_string();
        assert!(
            notes.contains("update-cost-allocation-tags-status"),
            "{s:#}"
        );
    }
}

#[test]
fn bad_days_are_usage_errors() {
    let mut c = protoctl();
    c.args(["cost", "--days", "0"]);
    assert_eq!(run(c).status.code(), Some(2));
}
