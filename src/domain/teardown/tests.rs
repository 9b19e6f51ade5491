use super::*;
use chrono::{TimeZone, Utc};
use rstest::rstest;

const ID: &str = "arn:aws:cloudformation:eu-west-1:123456789012:stack/proto-demo/0a1b";

fn stack() -> Stack {
    Stack {
        name: "proto-demo".into(),
        id: ID.into(),
        status: "CREATE_COMPLETE".into(),
        created: Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(),
        last_updated: None,
        tags: BTreeMap::new(),
        termination_protection: false,
        outputs: BTreeMap::new(),
        description: None,
        region: "eu-west-1".into(),
        parent_id: None,
        root_id: None,
        nested_stacks: 0,
        profile: None,
        account_alias: None,
    }
}

fn res(id: &str, ty: &str, physical: Option<&str>, status: &str) -> StackResource {
    StackResource {
        logical_id: id.into(),
        physical_id: physical.map(str::to_owned),
        resource_type: ty.into(),
        status: status.into(),
        stack_path: "proto-demo".into(),
    }
}

fn step(
    id: &str,
    ty: &str,
    physical: Option<&str>,
    action: PlanAction,
    note: Option<&str>,
) -> PlanStep {
    let keeps_data = matches!(action, PlanAction::Survives { .. });
    PlanStep {
        logical_id: Some(id.into()),
        physical_id: physical.map(str::to_owned),
        resource_type: ty.into(),
        action,
        note: note.map(str::to_owned),
        keeps_data,
        stack_path: "proto-demo".into(),
    }
}

fn survives(policy: &str) -> PlanAction {
    PlanAction::Survives {
        policy: policy.into(),
        costs: true,
    }
}

const JSON: &str = r#"{
      "Resources": {
        "Queue": { "Type": "AWS::SQS::Queue" },
        "Topic": { "Type": "AWS::SNS::Topic", "DeletionPolicy": "Delete" },
        "Kept": { "Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain" },
        "Table": { "Type": "AWS::DynamoDB::Table", "DeletionPolicy": "RetainExceptOnCreate" },
        "Db": { "Type": "AWS::RDS::DBCluster", "DeletionPolicy": "Snapshot" },
        "Data": { "Type": "AWS::S3::Bucket" },
        "Unmeasured": { "Type": "AWS::S3::Bucket", "DeletionPolicy": "Delete" },
        "Failed": { "Type": "AWS::S3::Bucket" },
        "Removed": { "Type": "AWS::SQS::Queue" },
        "FnLogs": { "Type": "AWS::Logs::LogGroup" }
      }
    }"#;

fn json_resources() -> Vec<StackResource> {
    vec![
        res(
            "Queue",
            "AWS::SQS::Queue",
            Some("https://sqs/q"),
            "CREATE_COMPLETE",
        ),
        res(
            "Topic",
            "AWS::SNS::Topic",
            Some("arn:sns:t"),
            "CREATE_COMPLETE",
        ),
        res("Kept", S3_BUCKET, Some("kept-bucket"), "CREATE_COMPLETE"),
        res(
            "Table",
            "AWS::DynamoDB::Table",
            Some("tbl"),
            "UPDATE_COMPLETE",
        ),
        res("Db", "AWS::RDS::DBCluster", Some("db-1"), "CREATE_COMPLETE"),
        res("Data", S3_BUCKET, Some("data-bucket"), "CREATE_COMPLETE"),
        res(
            "Unmeasured",
            S3_BUCKET,
            Some("other-bucket"),
            "CREATE_COMPLETE",
        ),
        res("Failed", S3_BUCKET, None, "CREATE_FAILED"),
        res(
            "Removed",
            "AWS::SQS::Queue",
            Some("https://sqs/old"),
            "DELETE_COMPLETE",
        ),
        res(
            "FnLogs",
            LOG_GROUP,
            Some("/aws/lambda/fn-a"),
            "CREATE_COMPLETE",
        ),
        res(
            "Generated",
            "AWS::IAM::Role",
            Some("role-1"),
            "CREATE_COMPLETE",
        ),
    ]
}

fn json_buckets() -> Vec<BucketContents> {
    vec![
        BucketContents {
            bucket: "kept-bucket".into(),
            objects: 3,
            bytes: 2048,
            ..Default::default()
        },
        BucketContents {
            bucket: "data-bucket".into(),
            objects: 12,
            versions: 40,
            delete_markers: 3,
            bytes: 1_572_864,
            versioned: true,
            ..Default::default()
        },
    ]
}

#[test]
fn plan_from_json_template_with_every_policy() {
    let policies = deletion_policies(JSON).unwrap();
    let outside = vec![
        "/aws/lambda/fn-b".into(),
        "/aws/lambda/fn-a".into(),
        "/aws/lambda/fn-b".into(),
    ];
    let plan = build_plan(
        &stack(),
        &json_resources(),
        &policies,
        json_buckets(),
        outside,
        vec![],
    );
    let snapshot_note = "a final snapshot is kept (DeletionPolicy Snapshot) and keeps costing";
    let expected = vec![
        step(
            "Queue",
            "AWS::SQS::Queue",
            Some("https://sqs/q"),
            PlanAction::Delete,
            None,
        ),
        step(
            "Topic",
            "AWS::SNS::Topic",
            Some("arn:sns:t"),
            PlanAction::Delete,
            None,
        ),
        step(
            "Kept",
            S3_BUCKET,
            Some("kept-bucket"),
            survives("Retain"),
            Some("keeps 3 objects, 2.0 KiB; storage billed per GB-month, and its name stays taken"),
        ),
        step(
            "Table",
            "AWS::DynamoDB::Table",
            Some("tbl"),
            survives("RetainExceptOnCreate"),
            Some(
                "keeps its items: storage billed per GB-month and its provisioned capacity every hour",
            ),
        ),
        step(
            "Db",
            "AWS::RDS::DBCluster",
            Some("db-1"),
            PlanAction::Delete,
            Some(snapshot_note),
        ),
        step(
            "Data",
            S3_BUCKET,
            Some("data-bucket"),
            PlanAction::EmptyThenDelete,
            Some("12 objects, 40 versions, 3 delete markers, 1.5 MiB"),
        ),
        step(
            "Unmeasured",
            S3_BUCKET,
            Some("other-bucket"),
            PlanAction::EmptyThenDelete,
            Some("contents not measured"),
        ),
        step(
            "Failed",
            S3_BUCKET,
            None,
            PlanAction::Delete,
            Some("never created; nothing to remove"),
        ),
        step(
            "FnLogs",
            LOG_GROUP,
            Some("/aws/lambda/fn-a"),
            PlanAction::Delete,
            None,
        ),
        step(
            "Generated",
            "AWS::IAM::Role",
            Some("role-1"),
            PlanAction::Delete,
            None,
        ),
        PlanStep {
            logical_id: None,
            physical_id: Some("/aws/lambda/fn-b".into()),
            resource_type: LOG_GROUP.into(),
            action: PlanAction::DeleteOutsideStack,
            note: Some("created by Lambda at first run; a stack delete leaves it".into()),
            keeps_data: false,
            stack_path: "proto-demo".into(),
        },
    ];
    assert_eq!(plan.steps, expected);
    let surviving: Vec<_> = plan
        .surviving()
        .filter_map(|s| s.logical_id.as_deref())
        .collect();
    assert_eq!(surviving, ["Kept", "Table"]);
    assert_eq!(plan.buckets, json_buckets());
    assert_eq!(plan.account, "123456789012");
    assert_eq!(
        (plan.stack_name.as_str(), plan.region.as_str()),
        ("proto-demo", "eu-west-1")
    );
    assert!(plan.allowed());
}

#[test]
fn plan_from_yaml_template() {
    let yaml = "Resources:\n  Site:\n    Type: AWS::S3::Bucket\n    DeletionPolicy: Retain\n  \
                    Uploads:\n    Type: AWS::S3::Bucket\n  Fn:\n    Type: AWS::Lambda::Function\n";
    let policies = deletion_policies(yaml).unwrap();
    let resources = [
        res("Site", S3_BUCKET, Some("site"), "CREATE_COMPLETE"),
        res("Uploads", S3_BUCKET, Some("uploads"), "CREATE_COMPLETE"),
        res("Fn", "AWS::Lambda::Function", Some("fn"), "CREATE_COMPLETE"),
    ];
    let plan = build_plan(
        &stack(),
        &resources,
        &policies,
        vec![],
        vec!["/aws/lambda/fn".into()],
        vec![],
    );
    let actions: Vec<_> = plan.steps.iter().map(|s| s.action.clone()).collect();
    assert_eq!(
        actions,
        [
            survives("Retain"),
            PlanAction::EmptyThenDelete,
            PlanAction::Delete,
            PlanAction::DeleteOutsideStack
        ]
    );
    assert_eq!(plan.surviving().count(), 1);
    let note = plan.steps[0].note.as_deref().unwrap_or_default();
    assert!(note.starts_with("keeps its objects"), "{note}");
}

#[test]
fn refusals_block_the_plan_and_bad_ids_give_empty_account() {
    let mut s = stack();
    s.id = "not-an-arn".into();
    let refusal = Refusal {
        guard: guard::READ_ONLY,
        reason: "read-only".into(),
    };
    let plan = build_plan(
        &s,
        &[],
        &BTreeMap::new(),
        vec![],
        vec![],
        vec![refusal.clone()],
    );
    assert!(!plan.allowed());
    assert_eq!(plan.refusals, [refusal]);
    assert_eq!(plan.account, "");
    assert!(plan.steps.is_empty());
}

#[rstest]
#[case(PlanAction::Delete, "deleted with the stack")]
#[case(PlanAction::EmptyThenDelete, "emptied, then deleted with the stack")]
#[case(
    survives("Retain"),
    "survives (DeletionPolicy Retain) and keeps costing"
)]
#[case(
        PlanAction::Survives { policy: "Retain".into(), costs: false },
        "survives (DeletionPolicy Retain); costs nothing to keep"
    )]
#[case(
    PlanAction::DeleteOutsideStack,
    "deleted separately (not part of the stack)"
)]
fn action_descriptions(#[case] action: PlanAction, #[case] text: &str) {
    assert_eq!(action.describe(), text);
}

#[test]
fn plan_serializes_actions_by_name() {
    let json = serde_json::to_string(&survives("Retain")).unwrap();
    assert_eq!(json, r#"{"Survives":{"policy":"Retain","costs":true}}"#);
    assert_eq!(
        serde_json::to_string(&PlanAction::EmptyThenDelete).unwrap(),
        r#""EmptyThenDelete""#
    );
}

#[test]
fn tree_plan_judges_each_level_by_its_own_template_and_keeps_retained_subtrees() {
    let at = |path: &str, id: &str, ty: &str, physical: &str| StackResource {
        stack_path: path.into(),
        ..res(id, ty, Some(physical), "CREATE_COMPLETE")
    };
    let resources = vec![
        at("proto-demo", "Data", NESTED_STACK_TYPE, "proto-demo-Data-X"),
        at("proto-demo/Data", "Bucket", S3_BUCKET, "data-bucket"),
        at("proto-demo/Data", "Table", "AWS::DynamoDB::Table", "t"),
        at("proto-demo/Data", "Keep", NESTED_STACK_TYPE, "keep"),
        at("proto-demo/Data/Keep", "Logs", S3_BUCKET, "kept-bucket"),
        at("proto-demo", "Table", "AWS::DynamoDB::Table", "root-t"),
    ];
    let data_rules = LevelRules {
        policies: BTreeMap::from([
            ("Table".to_string(), DeletionPolicy::Retain),
            ("Keep".to_string(), DeletionPolicy::Retain),
        ]),
        template: BTreeMap::new(),
    };
    let rules = BTreeMap::from([
        ("proto-demo".to_string(), LevelRules::default()),
        ("proto-demo/Data".to_string(), data_rules),
    ]);
    let plan = build_tree_plan(&stack(), &resources, &rules, vec![], vec![], vec![]);
    let action = |path: &str, id: &str| {
        plan.steps
            .iter()
            .find(|s| s.stack_path == path && s.logical_id.as_deref() == Some(id))
            .map(|s| s.action.clone())
            .unwrap()
    };
    assert_eq!(action("proto-demo", "Table"), PlanAction::Delete);
    assert!(matches!(
        action("proto-demo/Data", "Table"),
        PlanAction::Survives { .. }
    ));
    assert_eq!(
        action("proto-demo/Data", "Bucket"),
        PlanAction::EmptyThenDelete
    );
    let kept = plan
        .steps
        .iter()
        .find(|s| s.physical_id.as_deref() == Some("kept-bucket"))
        .unwrap();
    assert!(matches!(kept.action, PlanAction::Survives { .. }));
    assert!(
        kept.note
            .as_deref()
            .unwrap()
            .contains("nested stack proto-demo/Data/Keep is retained")
    );
}

#[rstest]
#[case(0, "0 B")]
#[case(1023, "1023 B")]
#[case(1024, "1.0 KiB")]
#[case(1536, "1.5 KiB")]
#[case(5 * 1024 * 1024 * 1024, "5.0 GiB")]
#[case(u64::MAX, "16.0 EiB")]
fn bytes_are_human_readable(#[case] bytes: u64, #[case] text: &str) {
    assert_eq!(human_size(bytes), text);
}
