//! Reads the `DeletionPolicy` of every resource from a `CloudFormation` template body.
//!
//! JSON templates are parsed fully; YAML templates get a tolerant line scan of the top-level
//! `Resources:` block. Feed it the processed template (`GetTemplate` `TemplateStage=Processed`)
//! so that SAM-generated resources appear under their real logical ids.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

/// What `CloudFormation` does with a resource when its stack is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum DeletionPolicy {
    Delete,
    Retain,
    RetainExceptOnCreate,
    Snapshot,
}

impl DeletionPolicy {
    /// Reads a policy name; anything unreadable (intrinsic functions, typos) counts as
    /// `Retain`, so a plan warns about a survivor rather than promising a removal.
    pub fn from_template_value(value: &str) -> Self {
        match value {
            "Delete" => Self::Delete,
            "RetainExceptOnCreate" => Self::RetainExceptOnCreate,
            "Snapshot" => Self::Snapshot,
            _ => Self::Retain,
        }
    }

    /// The name as written in a template.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Delete => "Delete",
            Self::Retain => "Retain",
            Self::RetainExceptOnCreate => "RetainExceptOnCreate",
            Self::Snapshot => "Snapshot",
        }
    }

    /// True when the resource itself is left in place by a stack delete.
    pub fn keeps_resource(self) -> bool {
        matches!(self, Self::Retain | Self::RetainExceptOnCreate)
    }
}

/// Why a template's deletion policies could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("template is not valid JSON: {0}")]
    InvalidJson(String),
    #[error("template has no Resources section")]
    NoResources,
    #[error("YAML template not understood at line {line}: {what}")]
    UnsupportedYaml { line: usize, what: &'static str },
}

/// Maps each logical id in the template to its deletion policy.
///
/// Resources without a `DeletionPolicy` map to `Delete`. `CloudFormation` actually defaults
/// `AWS::RDS::DBCluster` (and `AWS::RDS::DBInstance` outside a cluster) to `Snapshot`; that
/// subtlety is deliberately ignored here.
pub fn deletion_policies(
    template_body: &str,
) -> Result<BTreeMap<String, DeletionPolicy>, PlanError> {
    let body = template_body.trim_start_matches('\u{feff}');
    if body.trim_start().starts_with('{') {
        json_policies(body)
    } else {
        yaml_policies(body)
    }
}

fn json_policies(body: &str) -> Result<BTreeMap<String, DeletionPolicy>, PlanError> {
    let template: Value =
        serde_json::from_str(body).map_err(|e| PlanError::InvalidJson(e.to_string()))?;
    let resources = template
        .get("Resources")
        .and_then(Value::as_object)
        .ok_or(PlanError::NoResources)?;
    Ok(resources
        .iter()
        .map(|(id, resource)| {
            let policy = match resource.get("DeletionPolicy") {
                None => DeletionPolicy::Delete,
                Some(Value::String(s)) => DeletionPolicy::from_template_value(s),
                Some(_) => DeletionPolicy::Retain,
            };
            (id.clone(), policy)
        })
        .collect())
}

fn yaml_policies(body: &str) -> Result<BTreeMap<String, DeletionPolicy>, PlanError> {
    let mut policies = BTreeMap::new();
    let mut found = false;
    let mut in_resources = false;
    let mut resource_indent = None;
    let mut current: Option<String> = None;
    let mut child_indent = None;

    for (index, raw) in body.lines().enumerate() {
        let line = index + 1;
        let content = strip_comment(raw).trim_end();
        if content.trim_start().is_empty() {
            continue;
        }
        let indent = content.len() - content.trim_start_matches(' ').len();
        if indent == 0 {
            if content == "---" || content == "..." {
                continue;
            }
            let key = split_key(content).map(|(key, rest)| (key == "Resources", rest));
            in_resources = matches!(key, Some((true, _)));
            if let Some((true, rest)) = key {
                if !rest.is_empty() {
                    return Err(PlanError::UnsupportedYaml {
                        line,
                        what: "inline Resources value",
                    });
                }
                found = true;
            }
            resource_indent = None;
            current = None;
            continue;
        }
        if !in_resources {
            continue;
        }
        let level = *resource_indent.get_or_insert(indent);
        if indent < level {
            return Err(PlanError::UnsupportedYaml {
                line,
                what: "inconsistent indentation",
            });
        }
        if indent == level {
            let (id, _) = split_key(content.trim_start()).ok_or(PlanError::UnsupportedYaml {
                line,
                what: "expected a logical id",
            })?;
            policies.insert(id.clone(), DeletionPolicy::Delete);
            current = Some(id);
            child_indent = None;
            continue;
        }
        let Some(id) = &current else { continue };
        if indent != *child_indent.get_or_insert(indent) {
            continue;
        }
        if let Some((key, value)) = split_key(content.trim_start())
            && key == "DeletionPolicy"
        {
            policies.insert(
                id.clone(),
                DeletionPolicy::from_template_value(&unquote(value)),
            );
        }
    }
    if found {
        Ok(policies)
    } else {
        Err(PlanError::NoResources)
    }
}

/// Cuts a YAML comment: `#` at the start of the content or after whitespace.
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    let mut quote = None;
    for (i, &b) in bytes.iter().enumerate() {
        match (quote, b) {
            (None, b'"' | b'\'') if i == 0 || b" \t:[{,".contains(&bytes[i - 1]) => quote = Some(b),
            (Some(q), _) if b == q => quote = None,
            (None, b'#') if i == 0 || bytes[i - 1].is_ascii_whitespace() => return &line[..i],
            _ => {}
        }
    }
    line
}

/// Splits `key: rest` (key possibly quoted) into the unquoted key and the trimmed rest.
fn split_key(content: &str) -> Option<(String, &str)> {
    let opening_quote = content.chars().next().filter(|c| matches!(c, '"' | '\''));
    let (key, after) = if let Some(q) = opening_quote {
        let end = content[1..].find(q)? + 1;
        (content[1..end].to_owned(), content[end + 1..].trim_start())
    } else {
        let colon = content
            .match_indices(':')
            .map(|(i, _)| i)
            .find(|&i| content[i + 1..].is_empty() || content[i + 1..].starts_with(' '))?;
        (content[..colon].trim_end().to_owned(), &content[colon..])
    };
    let rest = after.strip_prefix(':')?;
    if !(rest.is_empty() || rest.starts_with(' ')) || key.is_empty() || key.starts_with(['-', '?'])
    {
        return None;
    }
    Some((key, rest.trim()))
}

fn unquote(value: &str) -> String {
    let v = value.trim();
    for q in ['"', '\''] {
        if let Some(inner) = v.strip_prefix(q).and_then(|s| s.strip_suffix(q)) {
            return inner.to_owned();
        }
    }
    v.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    const JSON: &str = r#"{
      "AWSTemplateFormatVersion": "2010-09-09",
      "Resources": {
        "Plain": { "Type": "AWS::SQS::Queue" },
        "Gone": { "Type": "AWS::SNS::Topic", "DeletionPolicy": "Delete" },
        "Kept": { "Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain" },
        "KeptLater": { "Type": "AWS::DynamoDB::Table", "DeletionPolicy": "RetainExceptOnCreate" },
        "Snap": { "Type": "AWS::RDS::DBCluster", "DeletionPolicy": "Snapshot" },
        "Cond": { "Type": "AWS::S3::Bucket", "DeletionPolicy": { "Fn::If": ["Prod", "Retain", "Delete"] } },
        "Typo": { "Type": "AWS::S3::Bucket", "DeletionPolicy": "retain" }
      }
    }"#;

    #[test]
    fn json_every_policy() {
        let p = deletion_policies(JSON).unwrap();
        let expected = [
            ("Cond", DeletionPolicy::Retain),
            ("Gone", DeletionPolicy::Delete),
            ("Kept", DeletionPolicy::Retain),
            ("KeptLater", DeletionPolicy::RetainExceptOnCreate),
            ("Plain", DeletionPolicy::Delete),
            ("Snap", DeletionPolicy::Snapshot),
            ("Typo", DeletionPolicy::Retain),
        ];
        let got: Vec<_> = p.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(got, expected);
    }

    const YAML: &str = "\u{feff}AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Description: |
  Resources:
    NotAResource:
      DeletionPolicy: Retain
Parameters:
  Stage:
    Type: String
Resources:   # the things
  ApiFunction:
    Type: AWS::Lambda::Function
    Properties:
      Code:
        ZipFile: |
          DeletionPolicy: Retain
      Tags:
        - Key: DeletionPolicy
          Value: Retain
  \"DataBucket\":
    Type: AWS::S3::Bucket
    DeletionPolicy: \"Retain\" # keep the data
    UpdateReplacePolicy: Retain

  Table:
    DeletionPolicy: 'RetainExceptOnCreate'
    Type: AWS::DynamoDB::Table
  Db:\r
    Type: AWS::RDS::DBCluster\r
    DeletionPolicy: Snapshot\r
  Cond:
    Type: AWS::S3::Bucket
    DeletionPolicy: !If [Prod, Retain, Delete]
  Explicit:
    Type: AWS::SNS::Topic
    DeletionPolicy: Delete
Outputs:
  Url:
    DeletionPolicy: Retain
";

    #[test]
    fn yaml_line_scan() {
        let p = deletion_policies(YAML).unwrap();
        let got: Vec<_> = p.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(
            got,
            [
                ("ApiFunction", DeletionPolicy::Delete),
                ("Cond", DeletionPolicy::Retain),
                ("DataBucket", DeletionPolicy::Retain),
                ("Db", DeletionPolicy::Snapshot),
                ("Explicit", DeletionPolicy::Delete),
                ("Table", DeletionPolicy::RetainExceptOnCreate),
            ]
        );
    }

    #[test]
    fn yaml_four_space_indent() {
        let body = "Resources:\n    A:\n        Type: X\n        DeletionPolicy: Retain\n    B:\n        Type: Y\n";
        let p = deletion_policies(body).unwrap();
        assert_eq!(p.get("A"), Some(&DeletionPolicy::Retain));
        assert_eq!(p.get("B"), Some(&DeletionPolicy::Delete));
    }

    #[rstest]
    #[case::bad_json("{ \"Resources\": ", "not valid JSON")]
    #[case::json_without_resources("{\"Outputs\": {}}", "no Resources")]
    #[case::json_resources_not_object("{\"Resources\": []}", "no Resources")]
    #[case::yaml_without_resources("Outputs:\n  A:\n    Value: 1\n", "no Resources")]
    #[case::empty("", "no Resources")]
    #[case::flow_resources("Resources: {}\n", "line 1: inline Resources value")]
    #[case::ragged(
        "Resources:\n    A:\n      Type: X\n  B:\n    Type: Y\n",
        "line 4: inconsistent indentation"
    )]
    #[case::list_item("Resources:\n  - A\n", "line 2: expected a logical id")]
    fn unreadable_templates(#[case] body: &str, #[case] message: &str) {
        let err = deletion_policies(body).unwrap_err().to_string();
        assert!(err.contains(message), "{err}");
    }

    #[rstest]
    #[case("A: b", Some(("A", "b")))]
    #[case("A:", Some(("A", "")))]
    #[case("'A:B': c", Some(("A:B", "c")))]
    #[case("arn:aws:x: y", Some(("arn:aws:x", "y")))]
    #[case("A:b", None)]
    #[case("- A: b", None)]
    #[case("\"open", None)]
    #[case(": x", None)]
    fn key_splitting(#[case] input: &str, #[case] expected: Option<(&str, &str)>) {
        assert_eq!(
            split_key(input).as_ref().map(|(k, r)| (k.as_str(), *r)),
            expected
        );
    }

    #[test]
    fn comments_respect_quotes() {
        assert_eq!(strip_comment("A: 'x # y' # z"), "A: 'x # y' ");
        assert_eq!(strip_comment("# all"), "");
        assert_eq!(strip_comment("A: b#c"), "A: b#c");
        assert_eq!(strip_comment("A: it's b # c'"), "A: it's b ");
    }

    #[test]
    fn policy_names_round_trip() {
        for p in [
            DeletionPolicy::Delete,
            DeletionPolicy::Retain,
            DeletionPolicy::RetainExceptOnCreate,
            DeletionPolicy::Snapshot,
        ] {
            assert_eq!(DeletionPolicy::from_template_value(p.as_str()), p);
        }
        assert!(DeletionPolicy::RetainExceptOnCreate.keeps_resource());
        assert!(!DeletionPolicy::Snapshot.keeps_resource());
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;
    use std::fmt::Write;

    fn yaml_line() -> impl Strategy<Value = String> {
        let indent = prop::sample::select(vec!["", " ", "  ", "    ", "      "]);
        let key = prop::sample::select(vec![
            "Resources:",
            "DeletionPolicy:",
            "\"Q\":",
            "'",
            "\"",
            "- x",
            "#",
            "Type:",
            "A:b",
            ":",
            "---",
        ]);
        let value = "[ -~é]{0,8}";
        (indent, key, value).prop_map(|(i, k, v)| format!("{i}{k} {v}"))
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_text(body in "\\PC{0,200}") {
            let _ = deletion_policies(&body);
        }

        #[test]
        fn never_panics_on_yaml_like_text(lines in prop::collection::vec(yaml_line(), 0..30)) {
            let _ = deletion_policies(&lines.join("\n"));
        }

        #[test]
        fn yaml_and_json_agree(
            resources in prop::collection::btree_map(
                "[A-Z][A-Za-z0-9]{0,10}",
                prop::option::of(prop::sample::select(vec!["Delete", "Retain", "RetainExceptOnCreate", "Snapshot"])),
                0..8,
            )
        ) {
            let mut yaml = String::from("Resources:\n");
            let mut json = serde_json::Map::new();
            for (id, policy) in &resources {
                writeln!(yaml, "  {id}:\n    Type: AWS::SQS::Queue").unwrap();
                let mut entry = serde_json::Map::new();
                entry.insert("Type".into(), "AWS::SQS::Queue".into());
                if let Some(p) = policy {
                    writeln!(yaml, "    DeletionPolicy: {p}").unwrap();
                    entry.insert("DeletionPolicy".into(), (*p).into());
                }
                json.insert(id.clone(), entry.into());
            }
            let json = serde_json::json!({ "Resources": json }).to_string();
            let from_yaml = deletion_policies(&yaml).unwrap();
            prop_assert_eq!(&from_yaml, &deletion_policies(&json).unwrap());
            prop_assert_eq!(from_yaml.len(), resources.len());
            for (id, policy) in &resources {
                let expected = policy.map_or(DeletionPolicy::Delete, DeletionPolicy::from_template_value);
                prop_assert_eq!(from_yaml[id], expected);
            }
        }
    }
}
