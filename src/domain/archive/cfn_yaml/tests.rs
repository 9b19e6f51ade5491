use proptest::prelude::*;
use rstest::rstest;
use serde_json::{Value, json};

use super::{YamlError, to_json};
use crate::domain::archive::template::{
    NameScope, deployment_buckets, fixed_names, no_echo_params, only_resources,
};

/// A SAM-shaped template deployed as YAML: short forms everywhere, code in its own bucket.
const ORDERS: &str = include_str!("orders.yaml");

/// The value of `V:` in a one-key document.
fn value_of(yaml: &str) -> Value {
    let doc = to_json(&format!("V: {yaml}")).unwrap_or_else(|e| panic!("{yaml}: {e}"));
    doc["V"].clone()
}

#[rstest]
#[case::ref_("!Ref Bucket", json!({"Ref": "Bucket"}))]
#[case::ref_pseudo("!Ref AWS::StackName", json!({"Ref": "AWS::StackName"}))]
#[case::condition("!Condition IsProd", json!({"Condition": "IsProd"}))]
#[case::getatt_dotted("!GetAtt Table.Arn", json!({"Fn::GetAtt": ["Table", "Arn"]}))]
#[case::getatt_nested_attribute(
    "!GetAtt Db.Endpoint.Address",
    json!({"Fn::GetAtt": ["Db", "Endpoint.Address"]})
)]
#[case::getatt_list("!GetAtt [Table, Arn]", json!({"Fn::GetAtt": ["Table", "Arn"]}))]
#[case::sub("!Sub '${AWS::StackName}-x'", json!({"Fn::Sub": "${AWS::StackName}-x"}))]
#[case::join("!Join [',', [a, b]]", json!({"Fn::Join": [",", ["a", "b"]]}))]
#[case::if_("!If [IsProd, a, b]", json!({"Fn::If": ["IsProd", "a", "b"]}))]
#[case::select("!Select [1, [a, b]]", json!({"Fn::Select": [1, ["a", "b"]]}))]
#[case::split("!Split ['/', a/b]", json!({"Fn::Split": ["/", "a/b"]}))]
#[case::find_in_map(
    "!FindInMap [M, k, v]",
    json!({"Fn::FindInMap": ["M", "k", "v"]})
)]
#[case::import_value("!ImportValue net-VpcId", json!({"Fn::ImportValue": "net-VpcId"}))]
#[case::get_azs_empty("!GetAZs ''", json!({"Fn::GetAZs": ""}))]
#[case::get_azs_bare("!GetAZs", json!({"Fn::GetAZs": ""}))]
#[case::base64("!Base64 hello", json!({"Fn::Base64": "hello"}))]
#[case::cidr("!Cidr [10.0.0.0/16, 4, 8]", json!({"Fn::Cidr": ["10.0.0.0/16", 4, 8]}))]
#[case::equals("!Equals [a, b]", json!({"Fn::Equals": ["a", "b"]}))]
#[case::and("!And [!Condition A, !Condition B]", json!({"Fn::And": [{"Condition": "A"}, {"Condition": "B"}]}))]
#[case::or("!Or [!Condition A, !Condition B]", json!({"Fn::Or": [{"Condition": "A"}, {"Condition": "B"}]}))]
#[case::not("!Not [!Condition A]", json!({"Fn::Not": [{"Condition": "A"}]}))]
#[case::transform(
    "!Transform {Name: AWS::Include, Parameters: {Location: s3://b/k}}",
    json!({"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "s3://b/k"}}})
)]
#[case::length("!Length [a, b]", json!({"Fn::Length": ["a", "b"]}))]
#[case::to_json_string("!ToJsonString {a: 1}", json!({"Fn::ToJsonString": {"a": 1}}))]
#[case::tagged_number_stays_text("!Base64 123", json!({"Fn::Base64": "123"}))]
fn every_short_form_becomes_its_long_form(#[case] yaml: &str, #[case] want: Value) {
    assert_eq!(value_of(yaml), want);
}

#[rstest]
#[case::sub_with_variables(
    "!Sub ['${A}-${B}', {B: !Ref C}]",
    json!({"Fn::Sub": ["${A}-${B}", {"B": {"Ref": "C"}}]})
)]
#[case::if_with_no_value(
    "!If [IsProd, !Ref A, !Ref AWS::NoValue]",
    json!({"Fn::If": ["IsProd", {"Ref": "A"}, {"Ref": "AWS::NoValue"}]})
)]
#[case::join_of_functions(
    "!Join ['', [!Ref A, !GetAtt B.Arn]]",
    json!({"Fn::Join": ["", [{"Ref": "A"}, {"Fn::GetAtt": ["B", "Arn"]}]]})
)]
#[case::select_of_get_azs(
    "!Select [0, !GetAZs '']",
    json!({"Fn::Select": [0, {"Fn::GetAZs": ""}]})
)]
#[case::short_around_long(
    "!Base64 {'Fn::Sub': 'x${A}'}",
    json!({"Fn::Base64": {"Fn::Sub": "x${A}"}})
)]
#[case::long_forms_pass_through(
    "{Ref: A, Other: {'Fn::GetAtt': [B, Arn]}}",
    json!({"Ref": "A", "Other": {"Fn::GetAtt": ["B", "Arn"]}})
)]
#[case::getatt_list_with_sub(
    "!GetAtt [!Sub '${Name}Stack', Outputs.Url]",
    json!({"Fn::GetAtt": [{"Fn::Sub": "${Name}Stack"}, "Outputs.Url"]})
)]
fn nested_short_forms(#[case] yaml: &str, #[case] want: Value) {
    assert_eq!(value_of(yaml), want);
}

#[test]
fn block_short_forms_take_their_block() {
    let doc = to_json(
        "Value: !Base64\n  Fn::Sub: |\n    #!/bin/bash\n    echo ${Stage}\nNext: !Join\n  - ''\n  - - a\n    - !Ref B\n",
    )
    .unwrap();
    assert_eq!(
        doc,
        json!({
            "Value": {"Fn::Base64": {"Fn::Sub": "#!/bin/bash\necho ${Stage}\n"}},
            "Next": {"Fn::Join": ["", ["a", {"Ref": "B"}]]}
        })
    );
}

#[rstest]
#[case::version_date("2010-09-09", json!("2010-09-09"))]
#[case::policy_version("2012-10-17", json!("2012-10-17"))]
#[case::on("on", json!("on"))]
#[case::off("off", json!("off"))]
#[case::yes("yes", json!("yes"))]
#[case::no("No", json!("No"))]
#[case::y("y", json!("y"))]
#[case::octal_looking("0755", json!("0755"))]
#[case::account_id("012345678901", json!("012345678901"))]
#[case::hex("0x1F", json!("0x1F"))]
#[case::octal_12("0o17", json!("0o17"))]
#[case::underscores("1_000", json!("1_000"))]
#[case::plus("+5", json!("+5"))]
#[case::infinity(".inf", json!(".inf"))]
#[case::not_a_number(".nan", json!(".nan"))]
#[case::semver("0.4.2", json!("0.4.2"))]
#[case::sexagesimal("1:30", json!("1:30"))]
#[case::int("30", json!(30))]
#[case::zero("0", json!(0))]
#[case::negative("-7", json!(-7))]
#[case::exponent("-1.5e3", serde_json::from_str::<Value>("-1.5e3").unwrap())]
#[case::true_("true", json!(true))]
#[case::true_capital("True", json!(true))]
#[case::false_upper("FALSE", json!(false))]
#[case::null("null", Value::Null)]
#[case::tilde("~", Value::Null)]
#[case::empty("", Value::Null)]
#[case::quoted_true("'true'", json!("true"))]
#[case::quoted_number("\"30\"", json!("30"))]
#[case::str_tag("!!str 30", json!("30"))]
#[case::int_tag("!!int '30'", json!(30))]
#[case::bool_tag("!!bool 'false'", json!(false))]
#[case::null_tag("!!null ''", Value::Null)]
fn scalars_keep_their_meaning(#[case] yaml: &str, #[case] want: Value) {
    assert_eq!(value_of(yaml), want);
}

#[test]
fn numbers_keep_every_digit() {
    for text in ["1.10", "12345678901234567890123", "1e-7", "-0.0"] {
        assert_eq!(value_of(text).to_string(), text);
    }
}

#[test]
fn multi_line_strings() {
    let doc = to_json(concat!(
        "Literal: |\n  line one\n    indented\n  line three\n",
        "Strip: |-\n  no newline at the end\n",
        "Keep: |+\n  kept\n\n",
        "Folded: >\n  folded\n  into one\n\n  paragraph two\n",
        "Plain: first\n  second\n",
        "Double: \"a\\tb\\nc \\\n  d\"\n",
        "Single: 'it''s\n  joined'\n",
    ))
    .unwrap();
    assert_eq!(doc["Literal"], "line one\n  indented\nline three\n");
    assert_eq!(doc["Strip"], "no newline at the end");
    assert_eq!(doc["Keep"], "kept\n\n");
    assert_eq!(doc["Folded"], "folded into one\nparagraph two\n");
    assert_eq!(doc["Plain"], "first second");
    assert_eq!(doc["Double"], "a\tb\nc d");
    assert_eq!(doc["Single"], "it's joined");
}

#[test]
fn keys_keep_their_order_and_become_text() {
    let doc = to_json("z: 1\na: 2\n10: x\ntrue: y\nm: {c: 1, b: 2}\n").unwrap();
    let keys: Vec<&String> = doc.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["z", "a", "10", "true", "m"]);
    let inner: Vec<&String> = doc["m"].as_object().unwrap().keys().collect();
    assert_eq!(inner, ["c", "b"]);
}

#[test]
fn comments_document_markers_and_json_flow_are_read() {
    let doc = to_json(
        "%YAML 1.1\n---\n# a comment\n{\"A\": [1, \"b\", {\"c\": null}]} # trailing\n...\n",
    )
    .unwrap();
    assert_eq!(doc, json!({"A": [1, "b", {"c": null}]}));
}

#[test]
fn a_sam_shaped_template_reads_as_its_json_form() {
    let t = to_json(ORDERS).unwrap();
    assert_eq!(t["AWSTemplateFormatVersion"], "2010-09-09");
    assert_eq!(t["Transform"], "AWS::Serverless-2016-10-31");
    assert_eq!(
        t["Description"],
        "Orders service: an HTTP API in front of one function, its code in the stack's own artifacts bucket."
    );
    assert_eq!(t["Globals"]["Function"]["Timeout"], 10);
    assert_eq!(t["Parameters"]["ApiKey"]["NoEcho"], true);
    assert_eq!(
        t["Parameters"]["Stage"]["AllowedValues"],
        json!(["dev", "prod"])
    );
    assert_eq!(t["Mappings"]["StageConfig"]["dev"]["Alarms"], "off");
    assert_eq!(t["Mappings"]["StageConfig"]["prod"]["Alarms"], "on");
    assert_eq!(
        t["Conditions"],
        json!({
            "IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
            "HasAlarms": {"Fn::And": [
                {"Condition": "IsProd"},
                {"Fn::Not": [{"Fn::Equals": [
                    {"Fn::FindInMap": ["StageConfig", {"Ref": "Stage"}, "Alarms"]}, "off"]}]}
            ]}
        })
    );
    let f = &t["Resources"]["OrdersFunction"];
    assert_eq!(f["DependsOn"], "OrdersRole");
    assert_eq!(
        f["Properties"]["FunctionName"],
        json!({"Fn::Join": ["-", [{"Ref": "AWS::StackName"}, "orders"]]})
    );
    assert_eq!(
        f["Properties"]["Role"],
        json!({"Fn::GetAtt": ["OrdersRole", "Arn"]})
    );
    assert_eq!(
        f["Properties"]["Code"],
        json!({"S3Bucket": {"Ref": "ArtifactsBucket"}, "S3Key": {"Ref": "ArtifactKey"}})
    );
    let env = &f["Properties"]["Environment"]["Variables"];
    assert_eq!(env["ZONE"], json!({"Fn::Select": [0, {"Fn::GetAZs": ""}]}));
    assert_eq!(env["BANNER"], "Orders service\nstage-aware\n");
    assert_eq!(env["VERSION"], "0.4.2");
    assert_eq!(env["RETRIES"], 3);
    assert_eq!(
        env["DEBUG"],
        json!({"Fn::If": ["IsProd", "false", {"Ref": "AWS::NoValue"}]})
    );
    let role = &t["Resources"]["OrdersRole"]["Properties"];
    assert_eq!(role["AssumeRolePolicyDocument"]["Version"], "2012-10-17");
    assert_eq!(
        role["Policies"][0]["PolicyDocument"]["Version"],
        "2012-10-17"
    );
    assert_eq!(
        role["Policies"][0]["PolicyDocument"]["Statement"][0]["Resource"],
        json!([{"Fn::GetAtt": ["OrdersTable", "Arn"]}, {"Fn::Sub": "${OrdersTable.Arn}/index/*"}])
    );
    assert_eq!(
        t["Resources"]["OrdersApi"]["Properties"]["DefinitionBody"],
        json!({"Fn::Transform": {"Name": "AWS::Include",
            "Parameters": {"Location": {"Fn::Sub": "s3://${ArtifactsBucket}/openapi.yaml"}}}})
    );
    assert_eq!(
        t["Resources"]["UserData"]["Properties"]["Value"],
        json!({"Fn::Base64": {"Fn::Sub": "#!/bin/bash\necho ${Stage} > /etc/stage\n"}})
    );
    assert_eq!(
        t["Outputs"]["Subnets"]["Value"],
        json!({"Fn::Join": [",", {"Fn::Cidr": ["10.0.0.0/16", 4, 8]}]})
    );
    assert_eq!(
        t["Outputs"]["Shared"]["Value"],
        json!({"Fn::ImportValue": "shared-network-VpcId"})
    );
    assert_eq!(
        t["Outputs"]["Parts"]["Value"],
        json!({"Fn::Select": [1, {"Fn::Split": ["/", {"Ref": "ArtifactKey"}]}]})
    );
}

#[test]
fn a_sam_shaped_template_restores_in_two_phases() {
    let t = to_json(ORDERS).unwrap();
    assert_eq!(deployment_buckets(&t), ["ArtifactsBucket"]);
    assert_eq!(
        no_echo_params(&t).into_iter().collect::<Vec<_>>(),
        ["ApiKey"]
    );
    let first = only_resources(&t, &["ArtifactsBucket".to_string()]);
    let text = first.to_string();
    let back: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(back, first, "the first phase is sent as JSON");
    assert_eq!(back["AWSTemplateFormatVersion"], "2010-09-09");
    assert_eq!(
        back["Resources"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["ArtifactsBucket"]
    );
    assert_eq!(
        back["Conditions"]["IsProd"]["Fn::Equals"][0]["Ref"],
        "Stage"
    );
    let scope = NameScope {
        stack_name: "orders-dev".into(),
        region: "eu-west-1".into(),
        account: "123456789012".into(),
        ..NameScope::default()
    };
    let names: Vec<(String, Option<String>)> = fixed_names(&t, &scope)
        .into_iter()
        .map(|n| (n.logical_id, n.name))
        .collect();
    assert_eq!(
        names,
        [
            ("OrdersTable".into(), Some("orders-dev-orders".into())),
            ("OrdersFunction".into(), Some("orders-dev-orders".into())),
            (
                "OrdersLogs".into(),
                Some("/aws/lambda/orders-dev-orders".into())
            ),
        ]
    );
}

fn error_of(yaml: &str) -> (YamlError, String) {
    let e = to_json(yaml).expect_err(yaml);
    let text = e.to_string();
    assert!(!text.contains('\n') && !text.contains('\r'), "{text:?}");
    (e, text)
}

#[test]
fn an_unknown_tag_is_named_with_its_path_and_line() {
    let (e, text) = error_of(
        "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Code:\n        - !Ref A\n        - !Frobnicate B\n",
    );
    assert_eq!(
        e,
        YamlError::Unsupported {
            what: "unknown tag !Frobnicate".into(),
            path: "Resources.Fn.Properties.Code[1]".into(),
            line: 7,
        }
    );
    assert_eq!(
        text,
        "unknown tag !Frobnicate at Resources.Fn.Properties.Code[1] (line 7)"
    );
    let (_, text) = error_of("A: !!binary aGVsbG8=\n");
    assert_eq!(
        text,
        "tag !!binary (CloudFormation does not support it) at A (line 1)"
    );
    let (_, text) = error_of("A: !ref x\n");
    assert!(text.starts_with("unknown tag !ref at A"), "{text}");
    let (_, text) = error_of("%TAG !e! tag:example.com,2000:\n---\nA: !e!thing x\n");
    assert!(text.contains("!<tag:example.com,2000:thing>"), "{text}");
}

#[test]
fn invalid_yaml_is_one_line_with_its_line_number() {
    let (e, text) = error_of("Resources:\n  A:\n    Type: x\n   B: [unclosed\n");
    assert!(matches!(e, YamlError::Syntax { line: 4, .. }), "{e:?}");
    assert!(text.starts_with("YAML not well-formed at line 4"), "{text}");
    let (e, _) = error_of("A: 'never closed\nB: 1\n");
    assert!(matches!(e, YamlError::Syntax { .. }), "{e:?}");
    let (e, _) = error_of("A:\n\t- tab\n");
    assert!(matches!(e, YamlError::Syntax { line: 2, .. }), "{e:?}");
}

#[rstest]
#[case::alias(
    "A: &x 1\nB: *x\n",
    "a YAML alias (CloudFormation does not support aliases) at B (line 2)"
)]
#[case::merge(
    "Base: &b {x: 1}\nA:\n  <<: *b\n",
    "a YAML alias (CloudFormation does not support aliases) at A.<< (line 3)"
)]
#[case::duplicate("A: 1\nB: 2\nA: 3\n", "duplicate key \"A\" at the top (line 3)")]
#[case::second_document(
    "A: 1\n---\nB: 2\n",
    "a second YAML document (a template is one document) at the top (line 2)"
)]
#[case::sequence_at_top(
    "- a\n- b\n",
    "no mapping at the top (a template is a mapping of sections) at the template (line 1)"
)]
#[case::empty(
    "",
    "no mapping at the top (a template is a mapping of sections) at the template (line 1)"
)]
#[case::scalar_at_top(
    "just text",
    "no mapping at the top (a template is a mapping of sections) at the template (line 1)"
)]
#[case::complex_key(
    "A:\n  ? [x, y]\n  : 1\n",
    "a mapping key that is not a scalar at A (line 2)"
)]
#[case::tagged_key("A:\n  !Ref x: 1\n", "tag !Ref on a mapping key at A (line 2)")]
#[case::map_tag_on_sequence("A: !!map [1]\n", "tag !!map on a sequence at A (line 1)")]
#[case::int_tag_on_text(
    "A: !!int ten\n",
    "\"ten\" is not a JSON number (a !!int or !!float tag) at A (line 1)"
)]
#[case::line_break_in_key("\"a\\nb\":\n  c: !Nope x\n", "unknown tag !Nope at a\\nb.c (line 2)")]
fn what_cloudformation_refuses_is_refused(#[case] yaml: &str, #[case] want: &str) {
    assert_eq!(error_of(yaml).1, want);
}

#[test]
fn nesting_is_bounded() {
    let deep = format!("A: {}{}", "[".repeat(200), "]".repeat(200));
    let (_, text) = error_of(&deep);
    assert!(
        text.starts_with("nesting deeper than 128 levels at A"),
        "{text}"
    );
    let fine = format!("A: {}{}", "[".repeat(100), "]".repeat(100));
    assert!(to_json(&fine).is_ok());
}

/// YAML-ish text: template fragments, short forms and hostile characters in any order.
fn yamlish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => prop::sample::select(vec![
            "Resources:", "\n", "\n  ", "\n    ", "- ", ": ", "!Ref ", "!GetAtt ", "!Sub ",
            "!If [", "[", "]", "{", "}", ", ", "'", "\"", "|\n", ">-\n", "&a ", "*a", "<<: ",
            "!!binary ", "!Nope ", "? ", "---\n", "%TAG ! x\n", "#", "\t", "A.B", "0755",
            "2010-09-09", "on", "~", "\u{1b}[31m", "\u{85}", "\u{2028}", "\r", "\\",
        ])
        .prop_map(String::from),
        1 => any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..60).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_text_gives_a_mapping_or_a_one_line_error(body in yamlish()) {
        match to_json(&body) {
            Ok(v) => prop_assert!(v.is_object()),
            Err(e) => {
                let text = e.to_string();
                prop_assert!(!text.is_empty());
                prop_assert!(
                    !text.chars().any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}'),
                    "{text:?}"
                );
            }
        }
    }
}
