//! The blocker checks on AWS's documented response shapes (DescribeTable, DescribeUserPool,
//! Cloud Control GetResource properties of RDS) and on template properties.

use super::*;
use chrono::TimeZone;
use serde_json::json;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap()
}

fn res<'a>(id: &'a str, ty: &'a str, props: &'a Value) -> ResourceRef<'a> {
    ResourceRef {
        logical_id: id,
        resource_type: ty,
        physical_id: Some("phys-1"),
        properties: props,
    }
}

/// The `Table` member of a DescribeTable response as AWS documents it (trimmed).
const DESCRIBE_TABLE: &str = r#"{"Table":{"TableName":"orders","TableStatus":"ACTIVE",
  "DeletionProtectionEnabled":true,"BillingModeSummary":{"BillingMode":"PAY_PER_REQUEST"}}}"#;

/// A DescribeUserPool response as AWS documents it (trimmed).
const DESCRIBE_USER_POOL: &str = r#"{"UserPool":{"Id":"eu-west-1_AbC123","Name":"users",
  "DeletionProtection":"ACTIVE","MfaConfiguration":"OFF"}}"#;

/// The `Properties` of a Cloud Control GetResource answer for an Aurora cluster.
const RDS_CLUSTER: &str = r#"{"DBClusterIdentifier":"proto-db","Engine":"aurora-postgresql",
  "DeletionProtection":true,"Port":5432,"StorageEncrypted":true}"#;

#[test]
fn documented_shapes_give_deletion_protection_blockers() {
    let table: Value = serde_json::from_str(DESCRIBE_TABLE).unwrap();
    let live = json!({"DeletionProtectionEnabled": table["Table"]["DeletionProtectionEnabled"]});
    let b = resource_blockers(
        res("Orders", "AWS::DynamoDB::Table", &Value::Null),
        &Facts::Live(live),
        Lifts::default(),
        now(),
    );
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].kind, "deletion_protection");
    assert_eq!(b[0].lift.flag(), Some("--disable-deletion-protection"));
    assert_eq!(b[0].unprotect, Some(Unprotect::Table));
    assert!(!b[0].lifted);
    assert!(
        b[0].line()
            .starts_with("Orders (AWS::DynamoDB::Table phys-1): deletion protection is on")
    );

    let pool: Value = serde_json::from_str(DESCRIBE_USER_POOL).unwrap();
    let live = json!({"DeletionProtection": pool["UserPool"]["DeletionProtection"]});
    let lifts = Lifts {
        disable_deletion_protection: true,
        ..Lifts::default()
    };
    let b = resource_blockers(
        res("UserPool6BA7E5F2", "AWS::Cognito::UserPool", &Value::Null),
        &Facts::Live(live),
        lifts,
        now(),
    );
    assert_eq!(b.len(), 1);
    assert!(b[0].lifted);
    assert_eq!(b[0].unprotect, Some(Unprotect::UserPool));

    let rds: Value = serde_json::from_str(RDS_CLUSTER).unwrap();
    let b = resource_blockers(
        res("Db", "AWS::RDS::DBCluster", &Value::Null),
        &Facts::Live(rds),
        Lifts::default(),
        now(),
    );
    assert_eq!(
        b[0].unprotect,
        Some(Unprotect::CloudControl {
            property: "DeletionProtection".into()
        })
    );
}

#[test]
fn live_state_wins_over_the_template_and_failures_fall_back_to_it() {
    let props = json!({"DeletionProtectionEnabled": true});
    let off = Facts::Live(json!({"DeletionProtectionEnabled": false}));
    let r = res("T", "AWS::DynamoDB::Table", &props);
    assert!(resource_blockers(r, &off, Lifts::default(), now()).is_empty());
    let failed = Facts::Unchecked("AccessDenied".into());
    let b = resource_blockers(r, &failed, Lifts::default(), now());
    assert!(b[0].why.contains("in the template"), "{}", b[0].why);
    assert!(unchecked_note(&failed).unwrap().contains("AccessDenied"));
}

#[test]
fn other_protected_types_from_template_properties() {
    let elb = json!({"LoadBalancerAttributes": [{"Key": "deletion_protection.enabled", "Value": "true"}]});
    let b = resource_blockers(
        res("Lb", "AWS::ElasticLoadBalancingV2::LoadBalancer", &elb),
        &Facts::Template,
        Lifts {
            disable_deletion_protection: true,
            ..Lifts::default()
        },
        now(),
    );
    assert_eq!(b[0].lift, Lift::Manual);
    assert!(!b[0].lifted, "protoctl does not switch this one off");
    let ledger = json!({});
    assert_eq!(
        resource_blockers(
            res("L", "AWS::QLDB::Ledger", &ledger),
            &Facts::Template,
            Lifts::default(),
            now()
        )
        .len(),
        1,
        "a ledger is protected unless it says otherwise"
    );
    let plain = json!({"DeletionProtection": false});
    assert!(
        resource_blockers(
            res("D", "AWS::RDS::DBInstance", &plain),
            &Facts::Template,
            Lifts::default(),
            now()
        )
        .is_empty()
    );
    assert!(needs_cloud_control("AWS::RDS::DBInstance"));
    assert!(!needs_cloud_control("AWS::DynamoDB::Table"));
}

#[test]
fn ecr_images_block_unless_empty_on_delete() {
    let none = Value::Null;
    let b = resource_blockers(
        res("Repo", "AWS::ECR::Repository", &none),
        &Facts::Images { at_least: 3 },
        Lifts::default(),
        now(),
    );
    assert_eq!(b[0].kind, "holds_data");
    let empties = json!({"EmptyOnDelete": true});
    assert!(repository_empties_itself(&empties));
    assert!(
        resource_blockers(
            res("Repo", "AWS::ECR::Repository", &empties),
            &Facts::Images { at_least: 3 },
            Lifts::default(),
            now()
        )
        .is_empty()
    );
}

#[test]
fn object_lock_modes_and_holds() {
    let until = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
    let lock = ObjectLockFacts {
        enabled: true,
        governance_versions: 2,
        governance_until: Some(until),
        compliance_versions: 1,
        compliance_until: Some(until),
        legal_holds: 1,
        checked: 4,
        ..Default::default()
    };
    let lifts = Lifts {
        bypass_governance_retention: true,
        disable_deletion_protection: true,
    };
    let b = resource_blockers(
        res("Data", "AWS::S3::Bucket", &Value::Null),
        &Facts::ObjectLock(lock),
        lifts,
        now(),
    );
    let kinds: Vec<_> = b.iter().map(|b| (b.kind, b.lifted)).collect();
    assert_eq!(
        kinds,
        [
            ("compliance_retention", false),
            ("governance_retention", true),
            ("legal_hold", false)
        ]
    );
    assert!(b[0].lifted_by.contains("2027-01-01"), "{}", b[0].lifted_by);
    assert!(b[0].lifted_by.contains("214 days"), "{}", b[0].lifted_by);
    assert!(b[1].lifted_by.contains("s3:BypassGovernanceRetention"));
}

#[test]
fn slow_deletes_say_how_long() {
    let vpc = json!({"VpcConfig": {"SubnetIds": ["subnet-1"], "SecurityGroupIds": ["sg-1"]}});
    let s = slow_delete(res("Fn", "AWS::Lambda::Function", &vpc), &[]).unwrap();
    assert!(s.takes.contains("minutes"));
    let none = Value::Null;
    assert!(slow_delete(res("Cdn", "AWS::CloudFront::Distribution", &none), &[]).is_some());
    assert!(slow_delete(res("Fn", "AWS::Lambda::Function", &none), &[]).is_none());
    let dist = json!({"DistributionConfig": {"DefaultCacheBehavior": {"LambdaFunctionAssociations": [
        {"EventType": "viewer-request", "LambdaFunctionARN": {"Ref": "EdgeVersion1"}}]}}});
    let version = json!({"FunctionName": {"Ref": "Edge"}});
    let edge = edge_functions(
        [
            ("Cdn", "AWS::CloudFront::Distribution", &dist),
            ("EdgeVersion1", "AWS::Lambda::Version", &version),
            ("Edge", "AWS::Lambda::Function", &none),
        ]
        .into_iter(),
    );
    assert_eq!(edge, ["Edge"]);
    assert!(
        slow_delete(res("Edge", "AWS::Lambda::Function", &none), &edge)
            .unwrap()
            .why
            .contains("Lambda@Edge")
    );
}

#[test]
fn lifts_name_the_flags() {
    let l = Lifts {
        disable_deletion_protection: true,
        bypass_governance_retention: true,
    };
    assert_eq!(
        l.names(),
        [
            "--disable-deletion-protection",
            "--bypass-governance-retention"
        ]
    );
    assert!(Lifts::default().names().is_empty());
}
