//! What a restore reads from an archived template (JSON, or YAML read into the same JSON
//! value): NoEcho parameters, the buckets that hold the stack's own deployment artifacts,
//! and the physical names the template fixes.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{Map, Value};

use super::cfn_yaml::{self, YamlError};

/// The template as JSON, when it is JSON.
pub fn parse(body: &str) -> Option<Value> {
    serde_json::from_str::<Value>(body)
        .ok()
        .filter(Value::is_object)
}

/// The template as JSON, from JSON text or from YAML text (short-form intrinsics turned
/// into their long forms, [`cfn_yaml`]).
pub fn read(body: &str) -> Result<Value, YamlError> {
    match parse(body) {
        Some(t) => Ok(t),
        None => cfn_yaml::to_json(body),
    }
}

fn resources(t: &Value) -> impl Iterator<Item = (&String, &Value)> {
    t.get("Resources")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|m| m.iter())
}

fn type_of(r: &Value) -> &str {
    r.get("Type").and_then(Value::as_str).unwrap_or_default()
}

/// The parameters marked `NoEcho`.
pub fn no_echo_params(t: &Value) -> BTreeSet<String> {
    t.get("Parameters")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter(|(_, p)| {
                    p.get("NoEcho")
                        .is_some_and(|v| v == &Value::Bool(true) || v == "true")
                })
                .map(|(k, _)| k.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// Every logical id a value names: `{"Ref": X}`, `{"Fn::GetAtt": [X, ...]}` (or `"X.Attr"`)
/// and `${X}` or `${X.Attr}` in an `Fn::Sub` string.
fn refs_in<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("Ref") {
                out.push(r);
            }
            match m.get("Fn::GetAtt") {
                Some(Value::Array(a)) => out.extend(a.first().and_then(Value::as_str)),
                Some(Value::String(s)) => out.push(s.split('.').next().unwrap_or_default()),
                _ => {}
            }
            let sub = match m.get("Fn::Sub") {
                Some(Value::Array(a)) => a.first().and_then(Value::as_str),
                Some(v) => v.as_str(),
                None => None,
            };
            if let Some(s) = sub {
                sub_names(s, out);
            }
            for x in m.values() {
                refs_in(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| refs_in(x, out)),
        _ => {}
    }
}

/// The names in `${...}` of an `Fn::Sub` string, up to their first dot (`${!Literal}` skipped).
fn sub_names<'a>(s: &'a str, out: &mut Vec<&'a str>) {
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return;
        };
        let name = &after[..end];
        if !name.starts_with('!') {
            out.push(name.split('.').next().unwrap_or_default().trim());
        }
        rest = &after[end + 1..];
    }
}

/// The template's buckets that hold code or templates other resources of the same stack
/// are created from (Lambda code, layers, nested templates): the stack cannot be created
/// in one go from an archive, since those buckets are empty until it exists.
pub fn deployment_buckets(t: &Value) -> Vec<String> {
    let buckets: BTreeSet<&str> = resources(t)
        .filter(|(_, r)| type_of(r) == "AWS::S3::Bucket")
        .map(|(k, _)| k.as_str())
        .collect();
    let mut found = BTreeSet::new();
    for (_, r) in resources(t) {
        let props = r.get("Properties");
        let source = match type_of(r) {
            "AWS::Lambda::Function" => props.and_then(|p| p.get("Code")),
            "AWS::Lambda::LayerVersion" => props.and_then(|p| p.get("Content")),
            "AWS::CloudFormation::Stack" => props.and_then(|p| p.get("TemplateURL")),
            "AWS::Serverless::Function" => props.and_then(|p| p.get("CodeUri")),
            "AWS::Serverless::LayerVersion" => props.and_then(|p| p.get("ContentUri")),
            "AWS::Serverless::Application" => props.and_then(|p| p.get("Location")),
            _ => None,
        };
        let mut refs = Vec::new();
        if let Some(s) = source {
            refs_in(s, &mut refs);
        }
        found.extend(refs.into_iter().filter(|r| buckets.contains(r)));
    }
    found.into_iter().map(ToString::to_string).collect()
}

/// For a template that cannot be read (YAML that [`read`] refuses): the buckets
/// among `buckets` (logical ids) that a Lambda code or layer location (`S3Bucket:`) or a
/// nested stack's `TemplateURL:` names, on its line or the next one, by `!Ref`, `Ref:`,
/// `!Sub`/`${...}` or `!GetAtt`. A word match: it may name a bucket that is not a code
/// source, never miss one that is written in these forms.
pub fn yaml_deployment_buckets(body: &str, buckets: &[String]) -> Vec<String> {
    let lines: Vec<&str> = body.lines().collect();
    let mut found = BTreeSet::new();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        let Some(rest) = [
            "S3Bucket:",
            "TemplateURL:",
            "\"S3Bucket\":",
            "\"TemplateURL\":",
        ]
        .iter()
        .find_map(|k| t.strip_prefix(k)) else {
            continue;
        };
        let mut text = rest.to_string();
        if let Some(next) = lines.get(i + 1) {
            text.push(' ');
            text.push_str(next);
        }
        for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
            if let Some(b) = buckets.iter().find(|b| b.as_str() == word) {
                found.insert(b.clone());
            }
        }
    }
    found.into_iter().collect()
}

/// The template with only the resources named (and the parameters, conditions, mappings
/// and metadata they may use): the first phase of a two-phase restore.
pub fn only_resources(t: &Value, keep: &[String]) -> Value {
    let mut out = Map::new();
    for key in [
        "AWSTemplateFormatVersion",
        "Description",
        "Parameters",
        "Mappings",
        "Conditions",
    ] {
        if let Some(v) = t.get(key) {
            out.insert(key.to_string(), v.clone());
        }
    }
    let res: Map<String, Value> = resources(t)
        .filter(|(k, _)| keep.contains(k))
        .map(|(k, v)| {
            let mut v = v.clone();
            if let Some(o) = v.as_object_mut() {
                o.remove("DependsOn");
            }
            (k.clone(), v)
        })
        .collect();
    out.insert("Resources".into(), Value::Object(res));
    Value::Object(out)
}

/// A physical name the template fixes; `name` is `None` when it cannot be worked out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FixedName {
    pub logical_id: String,
    pub resource_type: String,
    pub name: Option<String>,
}

/// What the pseudo parameters and parameters resolve to for a restore.
#[derive(Debug, Clone, Default)]
pub struct NameScope {
    pub stack_name: String,
    pub region: String,
    pub account: String,
    pub params: BTreeMap<String, String>,
}

/// The name property of each type whose names must be unique in an account and region.
const NAME_PROPS: &[(&str, &str)] = &[
    ("AWS::DynamoDB::Table", "TableName"),
    ("AWS::S3::Bucket", "BucketName"),
    ("AWS::Lambda::Function", "FunctionName"),
    ("AWS::Logs::LogGroup", "LogGroupName"),
    ("AWS::SQS::Queue", "QueueName"),
    ("AWS::SNS::Topic", "TopicName"),
];

/// The physical names the template fixes, resolved where they can be.
pub fn fixed_names(t: &Value, scope: &NameScope) -> Vec<FixedName> {
    let mut out = Vec::new();
    for (logical, r) in resources(t) {
        let ty = type_of(r);
        let Some((_, prop)) = NAME_PROPS.iter().find(|(k, _)| *k == ty) else {
            continue;
        };
        let Some(v) = r.get("Properties").and_then(|p| p.get(*prop)) else {
            continue;
        };
        out.push(FixedName {
            logical_id: logical.clone(),
            resource_type: ty.to_string(),
            name: resolve(v, scope, t),
        });
    }
    out
}

fn pseudo(name: &str, scope: &NameScope, t: &Value) -> Option<String> {
    match name {
        "AWS::StackName" => Some(scope.stack_name.clone()),
        "AWS::Region" => Some(scope.region.clone()),
        "AWS::AccountId" => Some(scope.account.clone()),
        "AWS::Partition" => Some("aws".into()),
        "AWS::URLSuffix" => Some("amazonaws.com".into()),
        p => scope.params.get(p).cloned().or_else(|| {
            t.get("Parameters")
                .and_then(|ps| ps.get(p))
                .and_then(|d| d.get("Default"))
                .and_then(scalar)
        }),
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Resolves literals, `Ref`, `Fn::Sub` (string form) and `Fn::Join` of those.
fn resolve(v: &Value, scope: &NameScope, t: &Value) -> Option<String> {
    if let Some(s) = scalar(v) {
        return Some(s);
    }
    let m = v.as_object()?;
    if m.len() != 1 {
        return None;
    }
    if let Some(Value::String(r)) = m.get("Ref") {
        return pseudo(r, scope, t);
    }
    if let Some(Value::String(s)) = m.get("Fn::Sub") {
        return substitute(s, scope, t);
    }
    if let Some(Value::Array(parts)) = m.get("Fn::Join") {
        let sep = parts.first().and_then(Value::as_str)?;
        let list = parts.get(1)?.as_array()?;
        let items: Option<Vec<String>> = list.iter().map(|x| resolve(x, scope, t)).collect();
        return Some(items?.join(sep));
    }
    None
}

fn substitute(s: &str, scope: &NameScope, t: &Value) -> Option<String> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}')?;
        let name = &after[..end];
        if let Some(lit) = name.strip_prefix('!') {
            out.push_str("${");
            out.push_str(lit);
            out.push('}');
        } else {
            out.push_str(&pseudo(name, scope, t)?);
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}
