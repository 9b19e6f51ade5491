//! Shelve and restore of a stack deployed from a YAML template with short-form intrinsics,
//! its function's code in the stack's own bucket: the restore runs in two phases and the
//! archive keeps the template as deployed.

use aws_sdk_cloudformation::types::{Capability, Tag};
use serde_json::Value;

use crate::shelve::{
    EMPTY_ZIP, block, bucket_contents, only_archive, physical, settled, table_digest,
    table_in_the_way, temp_dir,
};
use crate::support::{aws, run, stderr, stdout};
use crate::teardown::{
    audit_path, config_for, gone, protoctl_with, prototype_tags, stack_status, unique,
};

/// The first deploy: only the artifacts bucket.
const PHASE_ONE: &str = "Resources:\n  ArtifactsBucket:\n    Type: AWS::S3::Bucket\n";

/// The full template, as a CLI deploy of hand-written YAML leaves it. (`!GetAtt` in its dotted
/// form only: the emulator misreads the list form, which the unit tests cover.)
const FULL: &str = r#"AWSTemplateFormatVersion: 2010-09-09
Description: >-
  Orders, deployed from YAML
  with short-form intrinsics.
Parameters:
  Stage:
    Type: String
    Default: dev
    AllowedValues: [dev, prod]
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Resources:
  ArtifactsBucket:
    Type: AWS::S3::Bucket
  OrdersRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Sub "${AWS::StackName}-orders"
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: { Service: [lambda.amazonaws.com] }
            Action: ["sts:AssumeRole"]
  OrdersTable:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Join ["-", [!Ref "AWS::StackName", orders]]
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - AttributeName: pk
          AttributeType: S
      KeySchema:
        - AttributeName: pk
          KeyType: HASH
  OrdersFunction:
    Type: AWS::Lambda::Function
    Properties:
      FunctionName: !Sub ${AWS::StackName}-orders
      Handler: app.handler
      Runtime: python3.12
      Role: !GetAtt OrdersRole.Arn
      Code:
        S3Bucket: !Ref ArtifactsBucket
        S3Key: releases/orders/0.4.2.zip
      Environment:
        Variables:
          TABLE: !Ref OrdersTable
          MODE: !If [IsProd, live, test]
Outputs:
  Table:
    Value: !GetAtt OrdersTable.Arn
"#;

/// Deploys the YAML stack as a CLI user would: the bucket, the artifact, the full template.
async fn deploy(name: &str, team: &str) {
    let ctx = aws().await;
    let cfn = ctx.cloudformation();
    let tags: Vec<Tag> = prototype_tags(team)
        .into_iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    cfn.create_stack()
        .stack_name(name)
        .template_body(PHASE_ONE)
        .set_tags(Some(tags.clone()))
        .send()
        .await
        .expect("create phase one");
    settled(name).await;
    ctx.s3()
        .put_object()
        .bucket(physical(name, "ArtifactsBucket").await)
        .key("releases/orders/0.4.2.zip")
        .body(EMPTY_ZIP.to_vec().into())
        .send()
        .await
        .expect("upload artifact");
    cfn.update_stack()
        .stack_name(name)
        .template_body(FULL)
        .capabilities(Capability::CapabilityNamedIam)
        .set_tags(Some(tags))
        .send()
        .await
        .expect("update to the full template");
    assert_eq!(settled(name).await, "UPDATE_COMPLETE");
}

async fn fill(table: &str, n: usize) {
    let ddb = aws().await.dynamodb();
    for i in 0..n {
        ddb.put_item()
            .table_name(table)
            .item(
                "pk",
                aws_sdk_dynamodb::types::AttributeValue::S(format!("order-{i:03}")),
            )
            .item(
                "total",
                aws_sdk_dynamodb::types::AttributeValue::N(format!("{i}.50")),
            )
            .send()
            .await
            .expect("put item");
    }
}

#[test]
fn yaml_stack_with_code_in_its_own_bucket_round_trips_in_two_phases() {
    let team = unique("sh-yaml");
    let name = team.clone();
    let config = config_for(&team, "");
    let (items_before, artifacts_before) = block(async {
        deploy(&name, &team).await;
        let table = physical(&name, "OrdersTable").await;
        fill(&table, 12).await;
        (
            table_digest(&table).await,
            bucket_contents(&physical(&name, "ArtifactsBucket").await).await,
        )
    });
    assert_eq!(items_before.0, 12);
    let dir = temp_dir(&name);

    let mut c = protoctl_with(&config);
    c.args(["shelve", &name, "--to", dir.to_str().unwrap(), "--yes"])
        .args(["--audit-log", audit_path(&name).to_str().unwrap()])
        .args(["--output", "json"]);
    let out = run(c);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(block(gone(&name)), "the stack is torn down");
    let archive = only_archive(&dir);
    assert_eq!(
        std::fs::read_to_string(archive.join("template.yaml")).unwrap(),
        FULL,
        "the archive keeps the template as deployed"
    );

    let mut c = protoctl_with(&config);
    c.args(["restore", archive.to_str().unwrap(), "--output", "json"]);
    let out = run(c);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["two_phase"], true, "{report}");
    assert_eq!(report["verified"], true, "{report}");
    assert_eq!(report["status"], "UPDATE_COMPLETE", "{report}");

    let (items_after, artifacts_after, handler) = block(async {
        let ctx = aws().await;
        let handler = ctx
            .lambda()
            .get_function()
            .function_name(format!("{name}-orders"))
            .send()
            .await
            .ok()
            .and_then(|f| {
                f.configuration()
                    .and_then(|c| c.handler().map(String::from))
            });
        (
            table_digest(&physical(&name, "OrdersTable").await).await,
            bucket_contents(&physical(&name, "ArtifactsBucket").await).await,
            handler,
        )
    });
    assert_eq!(items_after, items_before);
    assert_eq!(artifacts_after, artifacts_before);
    assert_eq!(handler.as_deref(), Some("app.handler"));

    // The name check reads YAML templates too: under a new name whose table name is
    // already taken, the restore stops before it starts and names the table.
    let other = format!("{name}-b");
    block(table_in_the_way(&format!("{other}-orders"), "pk"));
    let mut c = protoctl_with(&config);
    c.args(["restore", archive.to_str().unwrap(), "--name", &other]);
    let out = run(c);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("still taken"), "{err}");
    assert!(err.contains(&format!("{other}-orders")), "{err}");
    assert!(block(stack_status(&other)).is_none(), "nothing was created");
}
