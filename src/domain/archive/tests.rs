use std::collections::BTreeMap;

use serde_json::json;

use super::template::{NameScope, deployment_buckets, fixed_names, no_echo_params, only_resources};
use super::*;
use crate::domain::dynamo::Attr;
use crate::domain::stack::StackResource;

fn item(pairs: &[(&str, Attr)]) -> crate::domain::dynamo::Item {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), v.clone()))
        .collect()
}

#[test]
fn items_digest_ignores_order_and_set_order_but_not_content() {
    let a = item(&[
        ("pk", Attr::S("a".into())),
        ("tags", Attr::Ss(vec!["x".into(), "y".into()])),
    ]);
    let a_reordered = item(&[
        ("pk", Attr::S("a".into())),
        ("tags", Attr::Ss(vec!["y".into(), "x".into()])),
    ]);
    let b = item(&[("pk", Attr::S("b".into())), ("n", Attr::N("1.50".into()))]);
    let b_changed = item(&[("pk", Attr::S("b".into())), ("n", Attr::N("1.5".into()))]);
    let mut one = ItemsDigest::default();
    one.add(&a);
    one.add(&b);
    let mut two = ItemsDigest::default();
    two.add(&b);
    two.add(&a_reordered);
    assert_eq!(one, two);
    assert_eq!(one.count(), 2);
    let mut three = ItemsDigest::default();
    three.add(&a);
    three.add(&b_changed);
    assert_ne!(one.hex(), three.hex());
    assert_eq!(one.hex().len(), 64);
}

#[test]
fn sha256_of_empty() {
    assert_eq!(
        sha256_hex(b""),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

#[test]
fn locations_parse_and_join() {
    let s3: Location = "s3://shelf/team/archives".parse().unwrap();
    assert_eq!(
        s3,
        Location::S3 {
            bucket: "shelf".into(),
            prefix: "team/archives/".into()
        }
    );
    assert_eq!(s3.join("x").to_string(), "s3://shelf/team/archives/x/");
    let root: Location = "s3://shelf".parse().unwrap();
    assert_eq!(root.join("x").to_string(), "s3://shelf/x/");
    assert!("s3:///p".parse::<Location>().is_err());
    assert_eq!(
        "/tmp/a".parse::<Location>().unwrap(),
        Location::Dir("/tmp/a".into())
    );
    let at = chrono::DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    assert_eq!(archive_name("my stack", at), "my_stack-20260102T030405Z");
}

#[test]
fn paths_stay_inside_the_archive() {
    assert!(is_safe_path("tables/Todos/items.jsonl"));
    for bad in ["", "/etc/passwd", "a/../b", "..", "a//b", "a\\b", "./a"] {
        assert!(!is_safe_path(bad), "{bad}");
    }
    assert_eq!(path_segment("/aws/lambda/f"), "_aws_lambda_f");
    assert_eq!(path_segment(".."), "_");
}

#[test]
fn restore_order_puts_latest_last() {
    let e = |key: &str, latest: bool, t: i64| ObjectEntry {
        key: key.into(),
        version_id: None,
        is_latest: latest,
        delete_marker: false,
        last_modified: chrono::DateTime::from_timestamp(t, 0),
        size: 0,
        sha256: String::new(),
        file: String::new(),
        content_type: None,
        content_encoding: None,
        content_disposition: None,
        content_language: None,
        cache_control: None,
        metadata: BTreeMap::new(),
    };
    let mut v = vec![
        e("b", true, 5),
        e("a", true, 9),
        e("a", false, 1),
        e("a", false, 3),
    ];
    restore_order(&mut v);
    let order: Vec<(String, bool, i64)> = v
        .iter()
        .map(|x| {
            (
                x.key.clone(),
                x.is_latest,
                x.last_modified.unwrap().timestamp(),
            )
        })
        .collect();
    assert_eq!(
        order,
        [
            ("a".into(), false, 1),
            ("a".into(), false, 3),
            ("a".into(), true, 9),
            ("b".into(), true, 5)
        ]
    );
}

fn sls_like() -> serde_json::Value {
    json!({
        "Parameters": {"Secret": {"Type": "String", "NoEcho": true}, "Stage": {"Type": "String", "Default": "dev"}},
        "Resources": {
            "ServerlessDeploymentBucket": {"Type": "AWS::S3::Bucket"},
            "Uploads": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": {"Fn::Sub": "${AWS::StackName}-uploads-${Stage}"}}},
            "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": {"Fn::Join": ["-", [{"Ref": "AWS::StackName"}, "todos"]]}}},
            "Fn": {"Type": "AWS::Lambda::Function", "DependsOn": ["Table"], "Properties": {
                "Code": {"S3Bucket": {"Ref": "ServerlessDeploymentBucket"}, "S3Key": "a.zip"},
                "FunctionName": {"Fn::GetAtt": ["X", "Y"]}}}
        }
    })
}

#[test]
fn deployment_bucket_found_and_phase_one_holds_only_it() {
    let t = sls_like();
    assert_eq!(deployment_buckets(&t), ["ServerlessDeploymentBucket"]);
    let one = only_resources(&t, &deployment_buckets(&t));
    let res = one["Resources"].as_object().unwrap();
    assert_eq!(res.len(), 1);
    assert!(one["Parameters"]["Secret"].is_object());
    assert_eq!(
        no_echo_params(&t).into_iter().collect::<Vec<_>>(),
        ["Secret"]
    );
}

#[test]
fn deployment_buckets_named_by_sub_get_att_and_sam_properties() {
    let t = json!({"Resources": {
        "Code": {"Type": "AWS::S3::Bucket"},
        "Layers": {"Type": "AWS::S3::Bucket"},
        "Sam": {"Type": "AWS::S3::Bucket"},
        "Nested": {"Type": "AWS::S3::Bucket"},
        "Uploads": {"Type": "AWS::S3::Bucket"},
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {
            "Code": {"S3Bucket": {"Fn::Sub": "${Code}"}, "S3Key": {"Fn::Sub": ["${!Literal}/${Uploads2}", {}]}},
            "Environment": {"Variables": {"UPLOADS": {"Ref": "Uploads"}}}}},
        "Layer": {"Type": "AWS::Lambda::LayerVersion", "Properties": {
            "Content": {"S3Bucket": {"Fn::Select": [0, [{"Ref": "Layers"}]]}, "S3Key": "l.zip"}}},
        "SamFn": {"Type": "AWS::Serverless::Function", "Properties": {
            "CodeUri": {"Bucket": {"Ref": "Sam"}, "Key": "f.zip"}}},
        "Child": {"Type": "AWS::CloudFormation::Stack", "Properties": {
            "TemplateURL": {"Fn::Sub": "https://${Nested.RegionalDomainName}/child.json"}}},
        "Attr": {"Type": "AWS::Lambda::Function", "Properties": {
            "Code": {"S3Bucket": {"Fn::GetAtt": "Missing.Arn"}, "S3Key": "k"}}}
    }});
    assert_eq!(deployment_buckets(&t), ["Code", "Layers", "Nested", "Sam"]);
}

#[test]
fn fixed_names_resolve_with_the_new_stack_name() {
    let scope = NameScope {
        stack_name: "copy".into(),
        region: "us-east-1".into(),
        account: "1".into(),
        params: BTreeMap::new(),
    };
    let names = fixed_names(&sls_like(), &scope);
    let by: BTreeMap<&str, Option<&str>> = names
        .iter()
        .map(|n| (n.logical_id.as_str(), n.name.as_deref()))
        .collect();
    assert_eq!(by["Uploads"], Some("copy-uploads-dev"));
    assert_eq!(by["Table"], Some("copy-todos"));
    assert_eq!(by["Fn"], None);
    assert!(!by.contains_key("ServerlessDeploymentBucket"));
}

#[test]
fn not_kept_names_what_is_lost() {
    let r = |id: &str, ty: &str| StackResource {
        logical_id: id.into(),
        physical_id: Some(id.into()),
        resource_type: ty.into(),
        status: "CREATE_COMPLETE".into(),
        stack_path: "shop".into(),
    };
    let res = [
        r("Pool", "AWS::Cognito::UserPool"),
        r("Q", "AWS::SQS::Queue"),
        r("F", "AWS::Lambda::Function"),
        r("B", "AWS::S3::Bucket"),
    ];
    let lines: Vec<String> = not_kept(&res, &["Secret".into()], false, false)
        .iter()
        .map(NotKept::line)
        .collect();
    assert!(
        lines[0].contains("Pool") && lines[0].contains("passwords"),
        "{lines:?}"
    );
    assert!(lines.iter().any(|l| l.contains("parameter Secret")));
    assert!(lines.iter().any(|l| l.contains("--logs")));
    assert!(lines.iter().any(|l| l.contains("--all-versions")));
    assert_eq!(not_kept(&res[2..], &[], true, true), vec![]);
}

#[test]
fn newer_manifest_versions_are_refused() {
    let mut m = Manifest {
        format: FORMAT.into(),
        version: VERSION,
        stack_name: "s".into(),
        stack_id: "id".into(),
        account: "1".into(),
        region: "r".into(),
        archived_at: chrono::Utc::now(),
        template_file: "template.json".into(),
        nested: vec![],
        tables: vec![],
        buckets: vec![],
        logs: vec![],
        no_echo: vec![],
        not_kept: vec![],
        files: vec![],
    };
    assert!(m.check_version().is_ok());
    m.version = VERSION + 1;
    assert!(m.check_version().unwrap_err().contains("newer"));
    m.format = "zip".into();
    assert!(m.check_version().is_err());
}
