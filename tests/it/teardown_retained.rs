//! The truth about retained resources in the plans of a Serverless-compiled and a
//! CDK-synthesised stack (this suite's own templates, shaped like the real ones): Lambda
//! versions go with their function, a retained table keeps its items and stands out, and the
//! text columns stay aligned with a 131-character logical id.

use serde_json::Value;

use crate::support::{stderr, stdout};
use crate::teardown::{
    audit_path, config_for, create_stack_from, prototype_tags, teardown_cmd, unique,
};

const LONG_ID: &str = "ApiGatewayMethodUsersUseridVarOrdersOrderidVarItemsItemidVarAttachmentsAttachmentidVarCommentsCommentidVarReactionsOptionsQueueXXXX";

/// Serverless Framework's compiled shape: deployment bucket, execution role, a function
/// and its version with `DeletionPolicy: Retain`.
fn serverless() -> String {
    r#"{
  "AWSTemplateFormatVersion": "2010-09-09",
  "Description": "The AWS CloudFormation template for this Serverless application",
  "Resources": {
    "ServerlessDeploymentBucket": {
      "Type": "AWS::S3::Bucket",
      "Properties": {"BucketEncryption": {"ServerSideEncryptionConfiguration": [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}}
    },
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
        "MemorySize": 1024,
        "Timeout": 6,
        "Role": {"Fn::GetAtt": ["IamRoleLambdaExecution", "Arn"]}
      },
      "DependsOn": ["IamRoleLambdaExecution"]
    },
    "HelloLambdaVersionKq8bZzJ1bPZ3Hj5cE9vX0nFq2wYtLr4sUo6aDc": {
      "Type": "AWS::Lambda::Version",
      "DeletionPolicy": "Retain",
      "Properties": {"FunctionName": {"Ref": "HelloLambdaFunction"}, "CodeSha256": "abc="}
    },
    "LONGID": {"Type": "AWS::SNS::Topic"}
  }
}"#
    .replace("LONGID", LONG_ID)
}

/// CDK's synthesised shape: hashed logical ids, `Retain` on the table (and on the user pool,
/// which the emulator skips).
const CDK: &str = r#"{
  "Resources": {
    "SpacesTable8A997355": {
      "Type": "AWS::DynamoDB::Table",
      "Properties": {
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
        "TableName": {"Fn::Sub": "${AWS::StackName}-spaces"}
      },
      "UpdateReplacePolicy": "Retain",
      "DeletionPolicy": "Retain"
    },
    "SpaceFinderUserPool6BA7E5F2": {
      "Type": "AWS::Cognito::UserPool",
      "Properties": {"UserPoolName": "SpaceFinderUserPool"},
      "UpdateReplacePolicy": "Retain",
      "DeletionPolicy": "Retain"
    },
    "SpacesLambdaServiceRole8B4EF0D1": {
      "Type": "AWS::IAM::Role",
      "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}}
    }
  }
}"#;

fn step<'a>(plan: &'a Value, id: &str) -> &'a Value {
    plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["logical_id"] == id)
        .unwrap_or_else(|| panic!("no step {id}: {plan}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn serverless_and_cdk_plans_tell_the_truth_about_retained_resources() {
    let team = unique("td-ret");
    let sls = format!("{team}-sls");
    let cdk = format!("{team}-cdk");
    create_stack_from(&sls, &serverless(), &prototype_tags(&team), false).await;
    create_stack_from(&cdk, CDK, &prototype_tags(&team), false).await;
    let config = config_for(&team, "");
    let audit = audit_path(&team);

    let out = teardown_cmd(&config, &audit, &[&sls, &cdk, "--output", "json"]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let plans: Vec<Value> = serde_json::from_str(&stdout(&out)).unwrap();
    let version = step(
        &plans[0],
        "HelloLambdaVersionKq8bZzJ1bPZ3Hj5cE9vX0nFq2wYtLr4sUo6aDc",
    );
    assert_eq!(version["action"], "Delete", "{version}");
    assert!(
        version["note"]
            .as_str()
            .unwrap()
            .contains("goes with function HelloLambdaFunction"),
        "{version}"
    );
    let table = step(&plans[1], "SpacesTable8A997355");
    assert_eq!(table["action"]["Survives"]["costs"], true, "{table}");
    assert_eq!(table["keeps_data"], true);
    assert!(table["note"].as_str().unwrap().contains("keeps its items"));

    let out = teardown_cmd(&config, &audit, &[&sls, &cdk]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let text = stdout(&out);
    assert!(!text.contains("AWS::Lambda::Version  survives"), "{text}");
    assert!(text.contains("KEEPS DATA: SpacesTable8A997355"), "{text}");
    // The type column starts at one offset on every resource line of the Serverless plan.
    let sls_part = text.split(&format!("{cdk} (")).next().unwrap();
    let columns: Vec<usize> = sls_part
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("  KEEPS") && !l.starts_with("  slow"))
        .filter_map(|l| l.find("AWS::"))
        .collect();
    assert!(columns.len() >= 5, "{text}");
    assert!(columns.iter().all(|c| *c == columns[0]), "{text}");
    assert!(text.contains(&format!("  {LONG_ID}\n")), "{text}");
}
