//! The truth about a resource whose `DeletionPolicy` keeps it: whether it really survives
//! the stack (a Lambda version does not outlive its function), and what it keeps costing.

use std::collections::BTreeMap;

use serde_json::Value;

use super::DeletionPolicy;
use super::template_props::TemplateResource;

/// What a retained resource really does when its stack goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetainedFate {
    /// Deleted anyway, with the resource it belongs to (the text says which).
    GoesWith(String),
    /// Really survives; `costs` is false for what costs nothing to keep; `data` for
    /// resources that keep data (a table's items, a pool's users).
    Survives {
        costs: bool,
        data: bool,
        note: String,
    },
}

fn function_ref(props: &Value) -> Option<&str> {
    let f = props.get("FunctionName")?;
    f.get("Ref")
        .and_then(Value::as_str)
        .or_else(|| {
            f.get("Fn::GetAtt")
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .and_then(Value::as_str)
        })
        .or_else(|| f.as_str().and_then(|s| s.strip_prefix("!Ref ")))
}

/// The fate of resource `id` of `resource_type` kept by its policy. `template` holds every
/// resource of the stack, `policies` their deletion policies.
pub fn retained_fate(
    id: &str,
    resource_type: &str,
    template: &BTreeMap<String, TemplateResource>,
    policies: &BTreeMap<String, DeletionPolicy>,
) -> RetainedFate {
    let props = template.get(id).map_or(&Value::Null, |r| &r.properties);
    let survives = |costs: bool, data: bool, note: &str| RetainedFate::Survives {
        costs,
        data,
        note: note.to_owned(),
    };
    match resource_type {
        "AWS::Lambda::Version" | "AWS::Lambda::Alias" => {
            let what = if resource_type == "AWS::Lambda::Version" {
                "version"
            } else {
                "alias"
            };
            match function_ref(props) {
                Some(f)
                    if template.contains_key(f)
                        && !policies.get(f).is_some_and(|p| p.keeps_resource()) =>
                {
                    RetainedFate::GoesWith(format!(
                        "goes with function {f}: deleting a function deletes every {what} of it, \
                         whatever the {what}'s DeletionPolicy says"
                    ))
                }
                Some(f) if template.contains_key(f) => survives(
                    false,
                    false,
                    &format!("stays with function {f}, which is retained too"),
                ),
                _ => survives(
                    false,
                    false,
                    &format!(
                        "a {what} of a function outside the stack; costs nothing to keep (Lambda \
                         bills invocations, not stored code)"
                    ),
                ),
            }
        }
        "AWS::Lambda::LayerVersion" => survives(
            false,
            false,
            "a layer version outlives every function using it; costs nothing to keep but counts \
             against the account's 75 GB code storage",
        ),
        "AWS::DynamoDB::Table" => {
            let on_demand = props
                .get("BillingMode")
                .and_then(Value::as_str)
                .is_some_and(|m| m == "PAY_PER_REQUEST");
            survives(
                true,
                true,
                if on_demand {
                    "keeps its items: storage billed per GB-month, and any reads and writes"
                } else {
                    "keeps its items: storage billed per GB-month and its provisioned capacity \
                     every hour"
                },
            )
        }
        "AWS::S3::Bucket" => survives(
            true,
            true,
            "keeps its objects: storage billed per GB-month, and its name stays taken",
        ),
        "AWS::Cognito::UserPool" => survives(
            true,
            true,
            "keeps its users and their sign-ins: billed per monthly active user past the free \
             tier; its domain prefix stays taken",
        ),
        "AWS::Logs::LogGroup" => survives(
            true,
            true,
            if props.get("RetentionInDays").is_some() {
                "keeps its log events until its retention expires them: storage billed per \
                 GB-month"
            } else {
                "keeps its log events for ever (no RetentionInDays): storage billed per GB-month"
            },
        ),
        "AWS::KMS::Key" => survives(true, false, "billed monthly per key"),
        "AWS::SecretsManager::Secret" => survives(true, true, "billed monthly per secret"),
        "AWS::RDS::DBCluster" | "AWS::RDS::DBInstance" => survives(
            true,
            true,
            "keeps running: instance hours and storage billed",
        ),
        t if t.starts_with("AWS::IAM::")
            || t.starts_with("AWS::ApiGateway")
            || matches!(
                t,
                "AWS::SNS::Topic"
                    | "AWS::SQS::Queue"
                    | "AWS::Lambda::Function"
                    | "AWS::Lambda::Permission"
                    | "AWS::Events::Rule"
            ) =>
        {
            survives(false, false, "costs nothing while nothing uses it")
        }
        _ => survives(
            true,
            false,
            "keeps costing whatever it bills while it exists",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::teardown::template_props::template_resources;

    #[test]
    fn serverless_versions_go_with_their_function_and_cdk_data_survives() {
        let body = r#"{"Resources":{
          "HelloLambdaFunction":{"Type":"AWS::Lambda::Function","Properties":{}},
          "HelloLambdaVersionAbc":{"Type":"AWS::Lambda::Version","DeletionPolicy":"Retain",
             "Properties":{"FunctionName":{"Ref":"HelloLambdaFunction"}}},
          "Kept":{"Type":"AWS::Lambda::Function","DeletionPolicy":"Retain"},
          "KeptVersion":{"Type":"AWS::Lambda::Version","DeletionPolicy":"Retain",
             "Properties":{"FunctionName":{"Ref":"Kept"}}},
          "Outside":{"Type":"AWS::Lambda::Alias","DeletionPolicy":"Retain",
             "Properties":{"FunctionName":"arn:aws:lambda:eu-west-1:1:function:x"}},
          "SpacesTable8A997355":{"Type":"AWS::DynamoDB::Table","DeletionPolicy":"Retain",
             "Properties":{"BillingMode":"PAY_PER_REQUEST"}}
        }}"#;
        let t = template_resources(body);
        let p = super::super::deletion_policies(body).unwrap();
        let fate = |id: &str| retained_fate(id, &t[id].resource_type, &t, &p);
        assert!(
            matches!(fate("HelloLambdaVersionAbc"), RetainedFate::GoesWith(s) if s.contains("HelloLambdaFunction"))
        );
        assert!(
            matches!(fate("KeptVersion"), RetainedFate::Survives { costs: false, note, .. } if note.contains("retained too"))
        );
        assert!(matches!(
            fate("Outside"),
            RetainedFate::Survives { costs: false, .. }
        ));
        assert!(
            matches!(fate("SpacesTable8A997355"), RetainedFate::Survives { costs: true, data: true, note } if note.contains("reads and writes"))
        );
    }
}
