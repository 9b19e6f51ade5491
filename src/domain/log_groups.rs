//! Which log group a Lambda function writes to, and which function wrote an event of a
//! group that several functions share.
//!
//! A function logs to `LoggingConfig.LogGroup` when it is set, else to `/aws/lambda/<name>`.
//! In a custom group Lambda names each stream `YYYY/MM/DD/<function_name>[<version>]<id>`
//! (in the default group, `YYYY/MM/DD/[<version>]<id>`), so the stream tells the function.

use serde_json::Value;

use crate::domain::stack::StackResource;

/// The group Lambda creates for a function without a `LoggingConfig.LogGroup`.
pub fn default_group(function_name: &str) -> String {
    format!("/aws/lambda/{function_name}")
}

/// The function named in a custom group's stream name (`2026/11/30/orders-dev-create[$LATEST]
/// 0a1b...`); `None` for a default group's stream (`2026/11/30/[$LATEST]0a1b...`) or another
/// shape.
pub fn function_of_stream(stream: &str) -> Option<&str> {
    let mut parts = stream.splitn(4, '/');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(y, 4) && digits(m, 2) && digits(d, 2)) {
        return None;
    }
    let (name, _) = parts.next()?.split_once('[')?;
    Some(name).filter(|n| !n.is_empty())
}

/// `LoggingConfig.LogGroup` of a function's template `Properties` (JSON, or the raw text of
/// a YAML block): a literal name, or a `Ref` to a log group of the stack (its physical name).
/// `None` when the template does not say, or says it in a way that needs the service
/// (`Fn::Sub` with variables, `Fn::ImportValue`).
pub fn template_log_group(properties: &Value, resources: &[StackResource]) -> Option<String> {
    let config = properties.get("LoggingConfig")?;
    let by_ref = |logical: &str| {
        resources
            .iter()
            .find(|r| r.logical_id == logical)
            .and_then(|r| r.physical_id.clone())
    };
    match config {
        Value::Object(_) => match config.get("LogGroup")? {
            Value::String(name) => Some(name.clone()),
            Value::Object(o) => match (o.get("Ref"), o.get("Fn::Sub")) {
                (Some(Value::String(logical)), _) => by_ref(logical),
                (_, Some(Value::String(name))) if !name.contains("${") => Some(name.clone()),
                _ => None,
            },
            _ => None,
        },
        Value::String(block) => yaml_log_group(block, by_ref),
        _ => None,
    }
}

/// `LogGroup:` in the raw text of a YAML `LoggingConfig` block.
fn yaml_log_group(block: &str, by_ref: impl Fn(&str) -> Option<String>) -> Option<String> {
    let mut lines = block.lines().map(str::trim);
    let line = lines.find(|l| l.starts_with("LogGroup:"))?;
    let unquote = |s: &str| s.trim().trim_matches(|c| c == '"' || c == '\'').to_owned();
    let value = line["LogGroup:".len()..].trim();
    if let Some(logical) = value.strip_prefix("!Ref") {
        return by_ref(&unquote(logical));
    }
    if value.is_empty() {
        let next = lines.next()?;
        return next.strip_prefix("Ref:").and_then(|l| by_ref(&unquote(l)));
    }
    if value.starts_with('!') || value.starts_with('{') {
        return None;
    }
    Some(unquote(value))
}

/// Where each function of a stack writes: `(function name, log group)`, one pair a function,
/// from what the service says (`GetFunctionConfiguration`), else the template, else the default.
pub fn function_groups(
    functions: &[(String, Option<String>, Option<String>)],
) -> Vec<(String, String)> {
    functions
        .iter()
        .map(|(name, from_service, from_template)| {
            let group = from_service
                .clone()
                .or_else(|| from_template.clone())
                .unwrap_or_else(|| default_group(name));
            (name.clone(), group)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::custom(
        "2026/11/30/orders-dev-create[$LATEST]0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        Some("orders-dev-create")
    )]
    #[case::version("2026/01/02/api_fn[12]ff00", Some("api_fn"))]
    #[case::default_group("2026/11/30/[$LATEST]0a1b2c3d4e5f60718293a4b5c6d7e8f9", None)]
    #[case::not_a_date("abcd/11/30/fn[$LATEST]x", None)]
    #[case::no_bracket("2026/11/30/fn", None)]
    #[case::empty("", None)]
    fn streams_name_their_function(#[case] stream: &str, #[case] expected: Option<&str>) {
        assert_eq!(function_of_stream(stream), expected);
    }

    fn res(logical: &str, physical: &str) -> StackResource {
        StackResource {
            logical_id: logical.into(),
            physical_id: Some(physical.into()),
            resource_type: "AWS::Logs::LogGroup".into(),
            status: "CREATE_COMPLETE".into(),
            stack_path: "demo".into(),
        }
    }

    #[rstest]
    #[case::literal(serde_json::json!({"LoggingConfig": {"LogGroup": "/shared/app", "LogFormat": "JSON"}}), Some("/shared/app"))]
    #[case::reference(serde_json::json!({"LoggingConfig": {"LogGroup": {"Ref": "AppLogs"}}}), Some("/stack/app-logs-Xy12"))]
    #[case::sub_literal(serde_json::json!({"LoggingConfig": {"LogGroup": {"Fn::Sub": "/shared/app"}}}), Some("/shared/app"))]
    #[case::sub_variables(serde_json::json!({"LoggingConfig": {"LogGroup": {"Fn::Sub": "/${AWS::StackName}/x"}}}), None)]
    #[case::format_only(serde_json::json!({"LoggingConfig": {"LogFormat": "JSON"}}), None)]
    #[case::no_config(serde_json::json!({"Runtime": "nodejs20.x"}), None)]
    #[case::yaml_literal(serde_json::json!({"LoggingConfig": "LogFormat: JSON\nLogGroup: '/shared/app'"}), Some("/shared/app"))]
    #[case::yaml_short_ref(serde_json::json!({"LoggingConfig": "LogGroup: !Ref AppLogs\nLogFormat: JSON"}), Some("/stack/app-logs-Xy12"))]
    #[case::yaml_long_ref(serde_json::json!({"LoggingConfig": "LogGroup:\n  Ref: AppLogs"}), Some("/stack/app-logs-Xy12"))]
    #[case::yaml_import(serde_json::json!({"LoggingConfig": "LogGroup: !ImportValue shared-logs"}), None)]
    fn template_names_the_group(#[case] props: Value, #[case] expected: Option<&str>) {
        let resources = [res("AppLogs", "/stack/app-logs-Xy12")];
        assert_eq!(template_log_group(&props, &resources).as_deref(), expected);
    }

    #[test]
    fn the_service_wins_then_the_template_then_the_default() {
        let got = function_groups(&[
            ("a".into(), Some("/svc".into()), Some("/tpl".into())),
            ("b".into(), None, Some("/tpl".into())),
            ("c".into(), None, None),
        ]);
        assert_eq!(
            got,
            [
                ("a".to_owned(), "/svc".to_owned()),
                ("b".to_owned(), "/tpl".to_owned()),
                ("c".to_owned(), "/aws/lambda/c".to_owned()),
            ]
        );
    }
}
