//! Keeps `assets/iam/*.json` true: every AWS operation the code can call (an SDK fluent
//! call chain ending in `.send()` or `.presigned(..)` anywhere under `src/`, the demo seeder
//! aside) is granted by exactly the policies that need it, and every granted action is
//! either called or listed in `GRANTED_WITHOUT_A_CALL` with its reason.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;

use super::{POLICIES, actions};

mod scan;

use scan::{chain_before, code_only, pascal, resolve_var, scan};

/// Client accessors of `AwsContext` and the IAM service prefix of each.
const ACCESSORS: &[(&str, &str)] = &[
    ("cloudformation", "cloudformation"),
    ("cloudcontrol", "cloudformation"),
    ("s3", "s3"),
    ("logs", "logs"),
    ("lambda", "lambda"),
    ("dynamodb", "dynamodb"),
    ("cognito", "cognito-idp"),
    ("sts", "sts"),
    ("ecr", "ecr"),
    ("iam", "iam"),
    ("cloudwatch", "cloudwatch"),
    ("costexplorer", "ce"),
    ("tagging", "tag"),
];

/// SDK crates and the IAM service prefix of each.
const CRATES: &[(&str, &str)] = &[
    ("aws_sdk_cloudformation", "cloudformation"),
    ("aws_sdk_cloudcontrol", "cloudformation"),
    ("aws_sdk_s3", "s3"),
    ("aws_sdk_cloudwatchlogs", "logs"),
    ("aws_sdk_lambda", "lambda"),
    ("aws_sdk_dynamodb", "dynamodb"),
    ("aws_sdk_cognitoidentityprovider", "cognito-idp"),
    ("aws_sdk_sts", "sts"),
    ("aws_sdk_ecr", "ecr"),
    ("aws_sdk_iam", "iam"),
    ("aws_sdk_cloudwatch", "cloudwatch"),
    ("aws_sdk_resourcegroupstagging", "tag"),
    ("aws_sdk_costexplorer", "ce"),
];

/// Operations whose IAM action is not `prefix:OperationName` (empty: no permission needed).
const ACTION_OF: &[(&str, &[&str])] = &[
    ("s3:ListObjectsV2", &["s3:ListBucket"]),
    ("s3:ListObjectVersions", &["s3:ListBucketVersions"]),
    ("s3:HeadObject", &["s3:GetObject"]),
    (
        "s3:GetObjectLockConfiguration",
        &["s3:GetBucketObjectLockConfiguration"],
    ),
    (
        "s3:DeleteObjects",
        &["s3:DeleteObject", "s3:DeleteObjectVersion"],
    ),
    ("s3:ListBuckets", &["s3:ListAllMyBuckets"]),
    ("lambda:Invoke", &["lambda:InvokeFunction"]),
    // Always allowed: STS answers who the caller is whatever their policies say.
    ("sts:GetCallerIdentity", &[]),
    // The user pool's public sign-in API: authorised by the user's password and tokens.
    ("cognito-idp:InitiateAuth", &[]),
    ("cognito-idp:RespondToAuthChallenge", &[]),
    ("cognito-idp:GetUser", &[]),
];

/// Actions that read but whose name does not start with a reading verb.
const READS: &[&str] = &[
    "logs:StartQuery",
    "logs:StopQuery",
    "logs:StartLiveTail",
    "iam:SimulatePrincipalPolicy",
    "dynamodb:Scan",
    "dynamodb:Query",
];

/// The policies that grant each action that changes something (reads go in `read`).
const WRITES: &[(&str, &[&str])] = &[
    ("lambda:InvokeFunction", &["invoke"]),
    ("dynamodb:PutItem", &["edit"]),
    ("dynamodb:DeleteItem", &["edit"]),
    ("dynamodb:BatchWriteItem", &["teardown"]),
    ("s3:PutObject", &["edit", "teardown"]),
    ("s3:DeleteObject", &["edit", "teardown"]),
    ("s3:DeleteObjectVersion", &["teardown"]),
    ("cloudformation:DeleteStack", &["teardown"]),
    ("cloudformation:CreateStack", &["teardown"]),
    ("cloudformation:UpdateStack", &["teardown"]),
    ("cloudformation:UpdateResource", &["teardown"]),
    ("logs:DeleteLogGroup", &["teardown"]),
    ("dynamodb:UpdateTable", &["teardown"]),
    ("cognito-idp:UpdateUserPool", &["teardown"]),
    ("s3:PutBucketVersioning", &["teardown"]),
    ("s3:BypassGovernanceRetention", &["teardown"]),
];

/// Actions a policy grants although no SDK call names them, and why.
const GRANTED_WITHOUT_A_CALL: &[(&str, &str)] = &[
    (
        "s3:GetObjectVersion",
        "GetObject and HeadObject with a version id",
    ),
    (
        "s3:BypassGovernanceRetention",
        "teardown --bypass-governance-retention",
    ),
    (
        "cloudformation:GetTemplate",
        "detail and teardown read the template",
    ),
    (
        "cloudformation:CreateStack",
        "restore recreates an archived stack",
    ),
    (
        "cloudwatch:GetMetricData",
        "cost reads invocation and duration metrics",
    ),
    (
        "tag:GetResources",
        "cost finds the stack's tagged resources",
    ),
    (
        "lambda:GetFunction",
        "function details and the shelve manifest",
    ),
    (
        "cognito-idp:DescribeUserPoolClient",
        "sign-in reads an app client's secret",
    ),
    ("dynamodb:BatchWriteItem", "restore loads archived items"),
    (
        "s3:PutObject",
        "shelve writes archives to S3; restore and the console upload objects",
    ),
    ("s3:DeleteObject", "the console deletes objects"),
    ("dynamodb:PutItem", "the console edits items"),
    ("dynamodb:DeleteItem", "the console deletes items"),
    (
        "dynamodb:DescribeTable",
        "Cloud Control reads a table's live properties through DynamoDB",
    ),
    (
        "cognito-idp:DescribeUserPool",
        "Cloud Control reads a user pool's live properties through Cognito",
    ),
    (
        "dynamodb:UpdateTable",
        "Cloud Control switches deletion protection off through DynamoDB",
    ),
    (
        "cognito-idp:UpdateUserPool",
        "Cloud Control switches deletion protection off through Cognito",
    ),
    (
        "s3:PutBucketVersioning",
        "teardown suspends versioning before emptying",
    ),
];

fn iam_actions(operation: &str) -> Vec<String> {
    ACTION_OF
        .iter()
        .find(|(op, _)| *op == operation)
        .map_or_else(
            || vec![operation.to_string()],
            |(_, a)| a.iter().map(|s| (*s).to_string()).collect(),
        )
}

fn policies_needing(action: &str) -> Result<Vec<&'static str>, String> {
    if let Some((_, p)) = WRITES.iter().find(|(a, _)| *a == action) {
        return Ok(p.to_vec());
    }
    let verb = action.split(':').nth(1).unwrap_or("");
    let reads_by_name = [
        "Describe", "List", "Get", "Filter", "Head", "BatchGet", "Lookup",
    ]
    .iter()
    .any(|v| verb.starts_with(v));
    if reads_by_name || READS.contains(&action) {
        Ok(vec!["read"])
    } else {
        Err(format!(
            "`{action}` changes something: add it to WRITES in src/domain/iam/coverage.rs with the policy that grants it, and to that policy in assets/iam/"
        ))
    }
}

#[test]
fn every_call_is_granted_by_exactly_the_policies_that_need_it() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let (calls, mut problems) = scan(&root);
    assert!(
        calls.len() > 30,
        "the scan found only {} calls: {calls:?}",
        calls.len()
    );
    let granted: BTreeMap<&str, BTreeSet<String>> = POLICIES
        .iter()
        .map(|p| {
            (
                p.name,
                actions(p.json).expect("policy JSON").into_iter().collect(),
            )
        })
        .collect();
    let mut needed: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for call in &calls {
        for action in iam_actions(&call.operation) {
            needed.entry(action).or_default().push(call.site.clone());
        }
    }
    for (action, sites) in &needed {
        let need = match policies_needing(action) {
            Ok(n) => n,
            Err(e) => {
                problems.push(format!("{e} (called as {})", sites[0]));
                continue;
            }
        };
        for (policy, acts) in &granted {
            let has = acts.contains(action);
            if need.contains(policy) && !has {
                problems.push(format!(
                    "`{action}` (called as {}) is missing from assets/iam/{policy}.json",
                    sites[0]
                ));
            } else if !need.contains(policy) && has {
                problems.push(format!(
                    "`{action}` is in assets/iam/{policy}.json but only {} need it",
                    need.join(", ")
                ));
            }
        }
    }
    for (policy, acts) in &granted {
        for action in acts {
            let explained = GRANTED_WITHOUT_A_CALL.iter().any(|(a, _)| a == action);
            if !needed.contains_key(action) && !explained {
                problems.push(format!(
                    "assets/iam/{policy}.json grants `{action}` that no code calls: remove it, or say why in GRANTED_WITHOUT_A_CALL (src/domain/iam/coverage.rs)"
                ));
            }
            if explained && !needed.contains_key(action) {
                let want = policies_needing(action).unwrap_or_default();
                if !want.contains(policy) {
                    problems.push(format!(
                        "`{action}` is in assets/iam/{policy}.json but only {} need it",
                        want.join(", ")
                    ));
                }
            }
        }
    }
    let mut report = String::new();
    for p in &problems {
        let _ = writeln!(report, "  - {p}");
    }
    assert!(
        problems.is_empty(),
        "the IAM policies and the code disagree:\n{report}"
    );
}

#[test]
fn the_scanner_finds_calls_through_accessors_variables_and_typed_clients() {
    let src = r#"
        async fn a(ctx: &AwsContext) { ctx.cloudformation().describe_stacks().send().await; }
        async fn b(ctx: &AwsContext) {
            let client = ctx.logs(); // .delete_log_group() in a comment is no call
            let s = "client.put_item().send()";
            client
                .filter_log_events()
                .log_group_name(g)
                .into_paginator()
                .send();
        }
        async fn c(client: &aws_sdk_lambda::Client) { client.invoke().function_name('x').send().await; }
    "#;
    let code = code_only(src);
    let ends: Vec<usize> = code.match_indices(".send()").map(|(i, _)| i).collect();
    assert_eq!(ends.len(), 3, "the string literal is blanked");
    let ops: Vec<Vec<String>> = ends
        .iter()
        .map(|e| {
            chain_before(code.as_bytes(), *e)
                .into_iter()
                .map(|(n, _)| n)
                .collect()
        })
        .collect();
    assert_eq!(ops[0], ["ctx", "cloudformation", "describe_stacks"]);
    assert_eq!(
        ops[1],
        [
            "client",
            "filter_log_events",
            "log_group_name",
            "into_paginator"
        ]
    );
    let fns = BTreeMap::new();
    assert_eq!(resolve_var(&code, "client", ends[1], &fns), Some("logs"));
    assert_eq!(resolve_var(&code, "client", ends[2], &fns), Some("lambda"));
    assert_eq!(pascal("list_objects_v2"), "ListObjectsV2");
    assert_eq!(iam_actions("lambda:Invoke"), ["lambda:InvokeFunction"]);
    assert!(policies_needing("lambda:PublishVersion").is_err());
}

#[test]
fn the_docs_show_each_policy_as_it_is() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/iam.md")).expect("docs/iam.md");
    for p in &POLICIES {
        assert!(
            doc.contains(p.json.trim_end()),
            "docs/iam.md does not show assets/iam/{}.json as it is: paste the file into its ```json block",
            p.name
        );
    }
}
