//! What stops a restore before anything is created: parameters that cannot be given, and
//! physical names the template fixes that are still taken.

use std::collections::BTreeMap;

use super::invalid;
use crate::aws::AwsContext;
use crate::aws::shelve::AwsError;
use crate::domain::archive::StackFile;
use crate::domain::archive::template::FixedName;
use crate::domain::sanitize::sanitize;

/// The parameters to create with: archived values, NoEcho ones and overrides from `given`.
pub(super) fn parameters(
    archived: &StackFile,
    given: &BTreeMap<String, String>,
) -> Result<Vec<(String, String)>, AwsError> {
    if let Some(unknown) = given
        .keys()
        .find(|k| !archived.parameters.iter().any(|p| &p.key == *k))
    {
        return Err(invalid(format!(
            "--param {}: the archived stack has no such parameter",
            sanitize(unknown)
        )));
    }
    let missing: Vec<&str> = archived
        .parameters
        .iter()
        .filter(|p| p.value.is_none() && !given.contains_key(&p.key))
        .map(|p| p.key.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(invalid(format!(
            "restore stopped before it started: NoEcho parameter(s) {} cannot be read from the archive: give them with --param KEY=VALUE",
            sanitize(&missing.join(", "))
        )));
    }
    Ok(archived
        .parameters
        .iter()
        .map(|p| {
            let v = given
                .get(&p.key)
                .cloned()
                .or_else(|| p.value.clone())
                .unwrap_or_default();
            (p.key.clone(), v)
        })
        .collect())
}

/// The fixed names that already exist (tables, buckets, functions, log groups).
pub(super) async fn taken_names(
    ctx: &AwsContext,
    names: &[FixedName],
) -> Result<Vec<FixedName>, AwsError> {
    let mut out = Vec::new();
    for n in names {
        let Some(name) = n.name.as_deref() else {
            continue;
        };
        let exists = match n.resource_type.as_str() {
            "AWS::DynamoDB::Table" => found(
                ctx.dynamodb()
                    .describe_table()
                    .table_name(name)
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("DescribeTable", e)),
            )?,
            "AWS::S3::Bucket" => match ctx.s3().head_bucket().bucket(name).send().await {
                Ok(_) => true,
                Err(e) => {
                    let status = e.raw_response().map(|r| r.status().as_u16());
                    match status {
                        Some(404) => false,
                        // Owned by another account: the name is taken all the same.
                        Some(403 | 301) => true,
                        _ => found(Err::<(), _>(AwsError::from_sdk("HeadBucket", e)))?,
                    }
                }
            },
            "AWS::Lambda::Function" => found(
                ctx.lambda()
                    .get_function()
                    .function_name(name)
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("GetFunction", e)),
            )?,
            "AWS::Logs::LogGroup" => ctx
                .logs()
                .describe_log_groups()
                .log_group_name_prefix(name)
                .limit(5)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("DescribeLogGroups", e))?
                .log_groups()
                .iter()
                .any(|g| g.log_group_name() == Some(name)),
            _ => false,
        };
        if exists {
            out.push(n.clone());
        }
    }
    Ok(out)
}

fn found<T>(r: Result<T, AwsError>) -> Result<bool, AwsError> {
    match r {
        Ok(_) => Ok(true),
        Err(e) if e.is_not_found() => Ok(false),
        Err(e) => Err(e),
    }
}
