//! A stack's log groups: where each function writes (its `LoggingConfig.LogGroup`, else
//! `/aws/lambda/<name>`), plus the template's own log groups, and which function wrote an
//! event of a group several functions share. Every reader of a stack's logs (the console,
//! `logs`, `errors`, `query`, teardown's activity checks) asks here.

use crate::aws::{AwsContext, AwsError, cloudformation};
use crate::domain::log_groups::{default_group, function_groups, template_log_group};
use crate::domain::stack::StackResource;
use crate::domain::teardown::template_resources;

const LAMBDA_FUNCTION: &str = "AWS::Lambda::Function";

pub use crate::domain::logbuf::follow::LogGroupRef;

/// A group to look for: its name, the function it is named after, and the functions that
/// are told apart by stream name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub name: String,
    pub function: String,
    pub functions_by_stream: Vec<String>,
}

/// The log groups a stack may write to: each function's group (`(function, group)` pairs as
/// [`function_log_groups`] gives them; a custom group named once, with every function
/// writing to it) plus every `AWS::Logs::LogGroup` of its template, de-duplicated, in a
/// stable order.
pub fn candidate_groups(
    functions: &[(String, String)],
    resources: &[StackResource],
) -> Vec<Candidate> {
    let mut out: Vec<Candidate> = Vec::new();
    for (function, group) in functions {
        if group.is_empty() {
            continue;
        }
        let custom = *group != default_group(function);
        if let Some(c) = out.iter_mut().find(|c| c.name == *group) {
            if custom && !c.functions_by_stream.contains(function) {
                c.functions_by_stream.push(function.clone());
            }
            continue;
        }
        out.push(Candidate {
            name: group.clone(),
            function: function.clone(),
            functions_by_stream: if custom {
                vec![function.clone()]
            } else {
                Vec::new()
            },
        });
    }
    for r in resources
        .iter()
        .filter(|r| r.resource_type == "AWS::Logs::LogGroup")
    {
        if let Some(p) = &r.physical_id
            && !p.is_empty()
            && !out.iter().any(|c| c.name == *p)
        {
            let function = p
                .strip_prefix("/aws/lambda/")
                .map_or_else(|| r.logical_id.clone(), ToString::to_string);
            out.push(Candidate {
                name: p.clone(),
                function,
                functions_by_stream: Vec::new(),
            });
        }
    }
    out
}

/// Where each function of the stack writes (`only`: just that function, by physical name):
/// `LoggingConfig.LogGroup` from GetFunctionConfiguration; where the service does not say
/// (an emulator), the template's `LoggingConfig` (one GetTemplate); else `/aws/lambda/<name>`.
pub async fn function_log_groups(
    ctx: &AwsContext,
    stack: &str,
    resources: &[StackResource],
    only: Option<&str>,
) -> Vec<(String, String)> {
    let functions: Vec<&StackResource> = resources
        .iter()
        .filter(|r| r.resource_type == LAMBDA_FUNCTION && r.status != "DELETE_COMPLETE")
        .filter(|r| r.physical_id.is_some())
        .filter(|r| only.is_none_or(|o| r.physical_id.as_deref() == Some(o)))
        .collect();
    if functions.is_empty() {
        return Vec::new();
    }
    let client = crate::aws::lambda::client(ctx, true);
    let lookups = functions.iter().map(|r| {
        let client = client.clone();
        let name = r.physical_id.clone().unwrap_or_default();
        async move {
            client
                .get_function_configuration()
                .function_name(&name)
                .send()
                .await
                .ok()
                .and_then(|c| c.logging_config()?.log_group().map(str::to_owned))
                .filter(|g| !g.is_empty())
        }
    });
    let from_service = futures::future::join_all(lookups).await;
    let template = if from_service.iter().any(Option::is_none) {
        cloudformation::template(ctx, stack)
            .await
            .map(|body| template_resources(&body))
            .unwrap_or_default()
    } else {
        std::collections::BTreeMap::default()
    };
    let rows: Vec<_> = functions
        .iter()
        .zip(from_service)
        .map(|(r, service)| {
            let from_template = template
                .get(&r.logical_id)
                .and_then(|t| template_log_group(&t.properties, resources));
            (
                r.physical_id.clone().unwrap_or_default(),
                service,
                from_template,
            )
        })
        .collect();
    function_groups(&rows)
}

/// The stack's log groups that exist (one DescribeLogGroups per candidate, concurrently).
pub async fn stack_log_groups(
    ctx: &AwsContext,
    stack: &str,
    resources: &[StackResource],
) -> Result<Vec<LogGroupRef>, AwsError> {
    let functions = function_log_groups(ctx, stack, resources, None).await;
    existing(ctx, candidate_groups(&functions, resources)).await
}

/// Which of the candidates exist, with their ARNs.
async fn existing(
    ctx: &AwsContext,
    candidates: Vec<Candidate>,
) -> Result<Vec<LogGroupRef>, AwsError> {
    let client = ctx.logs();
    let lookups = candidates.into_iter().map(|c| {
        let client = client.clone();
        async move {
            let out = client
                .describe_log_groups()
                .log_group_name_prefix(&c.name)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("DescribeLogGroups", e))?;
            let found = out
                .log_groups()
                .iter()
                .find(|g| g.log_group_name() == Some(c.name.as_str()))
                .map(|g| LogGroupRef {
                    arn: g
                        .log_group_arn()
                        .map(ToString::to_string)
                        .or_else(|| g.arn().map(|a| a.trim_end_matches(":*").to_string())),
                    name: c.name.clone(),
                    function: c.function.clone(),
                    functions_by_stream: c.functions_by_stream.clone(),
                });
            Ok::<_, AwsError>(found)
        }
    });
    let results = futures::future::join_all(lookups).await;
    let mut out = Vec::new();
    for r in results {
        if let Some(g) = r? {
            out.push(g);
        }
    }
    Ok(out)
}

/// The log groups to read: every group of the stack, or those of one function (named by
/// logical id, physical name or Serverless short name); in a shared group, only that
/// function's streams.
pub async fn groups_for(
    ctx: &AwsContext,
    stack_name: &str,
    resources: &[StackResource],
    function: Option<&str>,
) -> Result<Vec<LogGroupRef>, AwsError> {
    let Some(f) = function else {
        return stack_log_groups(ctx, stack_name, resources).await;
    };
    let r =
        cloudformation::pick_resource(resources, LAMBDA_FUNCTION, "function", stack_name, Some(f))?;
    let physical = r.physical_id.clone().unwrap_or_default();
    let functions = function_log_groups(ctx, stack_name, resources, Some(&physical)).await;
    existing(ctx, candidate_groups(&functions, &[])).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(l: &str, p: &str, t: &str) -> StackResource {
        StackResource {
            logical_id: l.into(),
            physical_id: Some(p.into()),
            resource_type: t.into(),
            status: "CREATE_COMPLETE".into(),
            stack_path: "demo".into(),
        }
    }

    fn cand(name: &str, function: &str, by_stream: &[&str]) -> Candidate {
        Candidate {
            name: name.into(),
            function: function.into(),
            functions_by_stream: by_stream.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn candidates_are_function_groups_plus_template_groups_deduplicated() {
        let rs = vec![
            res("ApiLambdaFunction", "shop-dev-api", "AWS::Lambda::Function"),
            res(
                "ApiLogGroup",
                "/aws/lambda/shop-dev-api",
                "AWS::Logs::LogGroup",
            ),
            res("AuditLogGroup", "/shop/audit", "AWS::Logs::LogGroup"),
            res("Table", "shop-items", "AWS::DynamoDB::Table"),
        ];
        let functions = [(
            "shop-dev-api".to_owned(),
            "/aws/lambda/shop-dev-api".to_owned(),
        )];
        assert_eq!(
            candidate_groups(&functions, &rs),
            vec![
                cand("/aws/lambda/shop-dev-api", "shop-dev-api", &[]),
                cand("/shop/audit", "AuditLogGroup", &[]),
            ]
        );
    }

    #[test]
    fn a_shared_custom_group_is_read_once_and_split_by_stream() {
        let rs = vec![res("SharedLogs", "/shop/shared", "AWS::Logs::LogGroup")];
        let functions = [
            ("shop-a".to_owned(), "/shop/shared".to_owned()),
            ("shop-b".to_owned(), "/shop/shared".to_owned()),
            ("shop-c".to_owned(), "/aws/lambda/shop-c".to_owned()),
        ];
        let got = candidate_groups(&functions, &rs);
        assert_eq!(
            got,
            vec![
                cand("/shop/shared", "shop-a", &["shop-a", "shop-b"]),
                cand("/aws/lambda/shop-c", "shop-c", &[]),
            ]
        );
        let shared = LogGroupRef {
            name: got[0].name.clone(),
            function: got[0].function.clone(),
            arn: None,
            functions_by_stream: got[0].functions_by_stream.clone(),
        };
        assert_eq!(
            shared.function_of("2026/11/30/shop-b[$LATEST]0a1b"),
            Some("shop-b")
        );
        assert_eq!(shared.function_of("2026/11/30/other-app[3]0a1b"), None);
        assert_eq!(shared.function_of("2026/11/30/[$LATEST]0a1b"), None);
        let own = LogGroupRef {
            functions_by_stream: Vec::new(),
            ..shared
        };
        assert_eq!(own.function_of("anything"), Some("shop-a"));
    }
}
