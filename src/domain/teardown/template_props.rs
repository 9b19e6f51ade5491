//! Each resource's type and `Properties` from a template, for the blocker checks and the
//! truth about retained resources. JSON templates are read whole; YAML templates by a line
//! scan that keeps each property's scalar value (nested blocks as their raw text).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// A resource as the template declares it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TemplateResource {
    pub resource_type: String,
    /// The `Properties` object (`Value::Null` when absent or unreadable).
    pub properties: Value,
}

/// Every resource of the template by logical id (empty when the template cannot be read).
pub fn template_resources(body: &str) -> BTreeMap<String, TemplateResource> {
    let body = body.trim_start_matches('\u{feff}');
    if body.trim_start().starts_with('{') {
        json_resources(body)
    } else {
        yaml_resources(body)
    }
}

fn json_resources(body: &str) -> BTreeMap<String, TemplateResource> {
    let Ok(template) = serde_json::from_str::<Value>(body) else {
        return BTreeMap::new();
    };
    let Some(resources) = template.get("Resources").and_then(Value::as_object) else {
        return BTreeMap::new();
    };
    resources
        .iter()
        .map(|(id, r)| {
            (
                id.clone(),
                TemplateResource {
                    resource_type: r
                        .get("Type")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    properties: r.get("Properties").cloned().unwrap_or(Value::Null),
                },
            )
        })
        .collect()
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn key_value(content: &str) -> Option<(String, String)> {
    let t = content.trim();
    let colon = t
        .match_indices(':')
        .map(|(i, _)| i)
        .find(|&i| t[i + 1..].is_empty() || t[i + 1..].starts_with(' '))?;
    let key = t[..colon].trim().trim_matches(|c| c == '"' || c == '\'');
    if key.is_empty() || key.starts_with('-') {
        return None;
    }
    let value = t[colon + 1..].trim();
    let value = value
        .split(" #")
        .next()
        .unwrap_or_default()
        .trim()
        .trim_matches(|c| c == '"' || c == '\'');
    Some((key.to_owned(), value.to_owned()))
}

fn yaml_resources(body: &str) -> BTreeMap<String, TemplateResource> {
    let mut out: BTreeMap<String, TemplateResource> = BTreeMap::new();
    let mut in_resources = false;
    let mut resource_indent = None;
    let mut current: Option<String> = None;
    let mut child_indent = None;
    let mut in_props = false;
    let mut prop_indent = None;
    let mut nested: Option<(String, String)> = None;
    let flush = |out: &mut BTreeMap<String, TemplateResource>,
                 current: &Option<String>,
                 nested: &mut Option<(String, String)>| {
        if let (Some(id), Some((key, text))) = (current, nested.take())
            && let Some(r) = out.get_mut(id)
        {
            props_of(r).insert(key, Value::String(text));
        }
    };
    for raw in body.lines() {
        let content = raw.trim_end_matches('\r');
        if content.trim().is_empty() || content.trim_start().starts_with('#') {
            continue;
        }
        let indent = indent_of(content);
        if indent == 0 {
            flush(&mut out, &current, &mut nested);
            in_resources = content.trim_end() == "Resources:"
                || content.starts_with("Resources:") && content[10..].trim().starts_with('#');
            resource_indent = None;
            current = None;
            continue;
        }
        if !in_resources {
            continue;
        }
        let level = *resource_indent.get_or_insert(indent);
        if indent <= level {
            flush(&mut out, &current, &mut nested);
            current = key_value(content).map(|(k, _)| k);
            if let Some(id) = &current {
                out.entry(id.clone()).or_default();
            }
            child_indent = None;
            in_props = false;
            continue;
        }
        let Some(id) = current.clone() else { continue };
        let child = *child_indent.get_or_insert(indent);
        if indent == child {
            flush(&mut out, &current, &mut nested);
            in_props = false;
            if let Some((k, v)) = key_value(content) {
                match k.as_str() {
                    "Type" => {
                        if let Some(r) = out.get_mut(&id) {
                            r.resource_type = v;
                        }
                    }
                    "Properties" => {
                        in_props = true;
                        prop_indent = None;
                    }
                    _ => {}
                }
            }
            continue;
        }
        if !in_props {
            continue;
        }
        let p = *prop_indent.get_or_insert(indent);
        if indent == p {
            flush(&mut out, &current, &mut nested);
            if let Some((k, v)) = key_value(content) {
                if v.is_empty() || v == "|" || v == ">" {
                    nested = Some((k, String::new()));
                } else if let Some(r) = out.get_mut(&id) {
                    props_of(r).insert(k, scalar(&v));
                }
            }
        } else if let Some((_, text)) = nested.as_mut()
            && text.len() < 16 * 1024
        {
            text.push_str(content.trim());
            text.push('\n');
        }
    }
    flush(&mut out, &current, &mut nested);
    out
}

fn props_of(r: &mut TemplateResource) -> &mut Map<String, Value> {
    if !r.properties.is_object() {
        r.properties = Value::Object(Map::new());
    }
    r.properties.as_object_mut().expect("just made an object")
}

fn scalar(v: &str) -> Value {
    match v {
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        _ => Value::String(v.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_types_and_properties() {
        let r = template_resources(
            r#"{"Resources":{"T":{"Type":"AWS::DynamoDB::Table","Properties":{"DeletionProtectionEnabled":true}},"Q":{"Type":"AWS::SQS::Queue"}}}"#,
        );
        assert_eq!(r["T"].resource_type, "AWS::DynamoDB::Table");
        assert_eq!(r["T"].properties["DeletionProtectionEnabled"], true);
        assert_eq!(r["Q"].properties, Value::Null);
        assert!(template_resources("{ not json").is_empty());
    }

    #[test]
    fn yaml_scalars_and_nested_blocks() {
        let body = "Resources:\n  Repo:\n    Type: AWS::ECR::Repository\n    Properties:\n      EmptyOnDelete: true # say so\n      RepositoryName: 'x'\n  Fn:\n    Type: 'AWS::Lambda::Function'\n    Properties:\n      VpcConfig:\n        SubnetIds:\n          - subnet-1\n    DeletionPolicy: Retain\nOutputs:\n  X:\n    Value: 1\n";
        let r = template_resources(body);
        assert_eq!(r["Repo"].properties["EmptyOnDelete"], true);
        assert_eq!(r["Repo"].properties["RepositoryName"], "x");
        assert_eq!(r["Fn"].resource_type, "AWS::Lambda::Function");
        let vpc = r["Fn"].properties["VpcConfig"].as_str().unwrap();
        assert!(vpc.contains("SubnetIds"), "{vpc}");
        assert_eq!(r.len(), 2);
    }
}
