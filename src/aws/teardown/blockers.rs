//! The AWS side of the blocker checks: at most one lookup per resource (DescribeTable,
//! DescribeUserPool, ECR ListImages, GetObjectLockConfiguration, or Cloud Control
//! GetResource for the other protected types), and switching deletion protection off.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde_json::{Value, json};

use crate::aws::{AwsContext, AwsError, ErrorKind, to_chrono};
use crate::domain::teardown::{
    Facts, ObjectLockFacts, ResourceRef, Unprotect, needs_cloud_control, repository_empties_itself,
};

mod listing;
pub use listing::mark_blocked;

/// Versions whose retention is read (one HeadObject each) in a bucket with Object Lock on.
pub const MAX_LOCK_CHECKS: u64 = 10_000;
/// HeadObject requests in flight while reading retentions.
const LOCK_CONCURRENCY: usize = 16;

fn unchecked(e: &AwsError) -> Facts {
    if e.is_not_found() {
        Facts::Template
    } else {
        Facts::Unchecked(e.to_string())
    }
}

/// What one lookup says about the resource's blockers (`Facts::Template` when its type
/// needs none, or it is gone).
pub async fn facts_of(ctx: &AwsContext, r: ResourceRef<'_>, now: DateTime<Utc>) -> Facts {
    let Some(physical) = r.physical_id else {
        return Facts::Template;
    };
    match r.resource_type {
        "AWS::DynamoDB::Table" => {
            match ctx
                .dynamodb()
                .describe_table()
                .table_name(physical)
                .send()
                .await
            {
                Ok(out) => {
                    let on = out
                        .table()
                        .and_then(
                            aws_sdk_dynamodb::types::TableDescription::deletion_protection_enabled,
                        )
                        .unwrap_or(false);
                    Facts::Live(json!({ "DeletionProtectionEnabled": on }))
                }
                Err(e) => unchecked(&AwsError::from_sdk("DescribeTable", e)),
            }
        }
        "AWS::Cognito::UserPool" => {
            match ctx
                .cognito()
                .describe_user_pool()
                .user_pool_id(physical)
                .send()
                .await
            {
                Ok(out) => {
                    let state = out
                        .user_pool()
                        .and_then(|p| p.deletion_protection())
                        .map_or("INACTIVE", |d| d.as_str());
                    Facts::Live(json!({ "DeletionProtection": state }))
                }
                Err(e) => unchecked(&AwsError::from_sdk("DescribeUserPool", e)),
            }
        }
        "AWS::ECR::Repository" if !repository_empties_itself(r.properties) => {
            match ctx
                .ecr()
                .list_images()
                .repository_name(physical)
                .max_results(1000)
                .send()
                .await
            {
                Ok(out) => Facts::Images {
                    at_least: out.image_ids().len() as u64,
                },
                Err(e) => unchecked(&AwsError::from_sdk("ListImages", e)),
            }
        }
        "AWS::S3::Bucket" => match object_lock(ctx, physical, now).await {
            Ok(Some(lock)) => Facts::ObjectLock(lock),
            Ok(None) => Facts::Template,
            Err(e) => unchecked(&e),
        },
        t if needs_cloud_control(t) => match live_properties(ctx, t, physical).await {
            Ok(props) => Facts::Live(props),
            Err(e) => unchecked(&e),
        },
        _ => Facts::Template,
    }
}

/// The resource's live properties (Cloud Control GetResource), in its CloudFormation schema.
pub async fn live_properties(
    ctx: &AwsContext,
    type_name: &str,
    identifier: &str,
) -> Result<Value, AwsError> {
    let out = ctx
        .cloudcontrol()
        .get_resource()
        .type_name(type_name)
        .identifier(identifier)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("GetResource", e))?;
    let text = out
        .resource_description()
        .and_then(|d| d.properties())
        .unwrap_or("{}");
    serde_json::from_str(text).map_err(|e| {
        AwsError::new(
            ErrorKind::Invalid,
            format!("GetResource: the properties of {type_name} are not JSON ({e})"),
        )
    })
}

/// A bucket's Object Lock (`None`: not enabled): its default rule and, one HeadObject per
/// version (at most [`MAX_LOCK_CHECKS`]), the retentions still running and legal holds.
pub async fn object_lock(
    ctx: &AwsContext,
    bucket: &str,
    now: DateTime<Utc>,
) -> Result<Option<ObjectLockFacts>, AwsError> {
    let s3 = ctx.s3();
    let conf = match s3
        .get_object_lock_configuration()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) => {
            let e = AwsError::from_sdk("GetObjectLockConfiguration", e);
            return match e.code.as_deref() {
                Some("ObjectLockConfigurationNotFoundError") => Ok(None),
                _ if e.is_not_found() => Ok(None),
                _ => Err(e),
            };
        }
    };
    let Some(c) = conf.object_lock_configuration() else {
        return Ok(None);
    };
    if c.object_lock_enabled()
        .map(aws_sdk_s3::types::ObjectLockEnabled::as_str)
        != Some("Enabled")
    {
        return Ok(None);
    }
    let mut facts = ObjectLockFacts {
        enabled: true,
        default_rule: c.rule().and_then(|r| r.default_retention()).map(|d| {
            let mode = d.mode().map_or("?", |m| m.as_str());
            match (d.days(), d.years()) {
                (Some(days), _) => format!("{mode} {days} days"),
                (_, Some(years)) => format!("{mode} {years} years"),
                _ => mode.to_owned(),
            }
        }),
        ..Default::default()
    };
    let versions = lock_versions(&s3, bucket, &mut facts).await?;
    let heads: Vec<Result<LockState, AwsError>> = futures::stream::iter(
        versions
            .iter()
            .map(|(k, v)| head_lock(&s3, bucket, k, v.as_deref()))
            .collect::<Vec<_>>(),
    )
    .buffer_unordered(LOCK_CONCURRENCY)
    .collect()
    .await;
    for h in heads {
        let h = h?;
        facts.checked += 1;
        if h.legal_hold {
            facts.legal_holds += 1;
        }
        let Some(until) = h.until.filter(|u| *u > now) else {
            continue;
        };
        match h.mode.as_deref() {
            Some("COMPLIANCE") => {
                facts.compliance_versions += 1;
                facts.compliance_until = facts.compliance_until.max(Some(until));
            }
            Some("GOVERNANCE") => {
                facts.governance_versions += 1;
                facts.governance_until = facts.governance_until.max(Some(until));
            }
            _ => {}
        }
    }
    Ok(Some(facts))
}

type VersionKey = (String, Option<String>);

/// The bucket's object versions (not delete markers, which hold no retention), at most
/// [`MAX_LOCK_CHECKS`]; `facts.more` when there are more.
async fn lock_versions(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    facts: &mut ObjectLockFacts,
) -> Result<Vec<VersionKey>, AwsError> {
    let mut out = Vec::new();
    let (mut key_marker, mut version_marker) = (None::<String>, None::<String>);
    loop {
        let page = s3
            .list_object_versions()
            .bucket(bucket)
            .set_key_marker(key_marker.take())
            .set_version_id_marker(version_marker.take())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("ListObjectVersions", e))?;
        for v in page.versions() {
            if out.len() as u64 >= MAX_LOCK_CHECKS {
                facts.more = true;
                return Ok(out);
            }
            if let Some(k) = v.key() {
                out.push((k.to_owned(), v.version_id().map(str::to_owned)));
            }
        }
        if page.is_truncated() != Some(true) {
            return Ok(out);
        }
        key_marker = page.next_key_marker().map(str::to_owned);
        version_marker = page.next_version_id_marker().map(str::to_owned);
        if key_marker.is_none() && version_marker.is_none() {
            return Ok(out);
        }
    }
}

struct LockState {
    mode: Option<String>,
    until: Option<DateTime<Utc>>,
    legal_hold: bool,
}

async fn head_lock(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    version: Option<&str>,
) -> Result<LockState, AwsError> {
    let out = s3
        .head_object()
        .bucket(bucket)
        .key(key)
        .set_version_id(version.filter(|v| *v != "null").map(str::to_owned))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("HeadObject", e))?;
    Ok(LockState {
        mode: out.object_lock_mode().map(|m| m.as_str().to_owned()),
        until: out.object_lock_retain_until_date().map(to_chrono),
        legal_hold: out
            .object_lock_legal_hold_status()
            .is_some_and(|s| s.as_str() == "ON"),
    })
}

/// Switches deletion protection off on one resource; returns what was done (for the audit).
pub async fn unprotect(
    ctx: &AwsContext,
    how: &Unprotect,
    resource_type: &str,
    physical: &str,
) -> Result<String, AwsError> {
    match how {
        Unprotect::Table => {
            ctx.dynamodb()
                .update_table()
                .table_name(physical)
                .deletion_protection_enabled(false)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("UpdateTable", e))?;
            Ok("UpdateTable DeletionProtectionEnabled=false".to_owned())
        }
        Unprotect::UserPool => unprotect_user_pool(ctx, physical).await,
        Unprotect::CloudControl { property } => {
            let patch =
                json!([{ "op": "replace", "path": format!("/{property}"), "value": false }]);
            let cc = ctx.cloudcontrol();
            let out = cc
                .update_resource()
                .type_name(resource_type)
                .identifier(physical)
                .patch_document(patch.to_string())
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("UpdateResource", e))?;
            let token = out
                .progress_event()
                .and_then(|p| p.request_token())
                .unwrap_or_default()
                .to_owned();
            wait_cloud_control(ctx, &token).await?;
            Ok(format!("Cloud Control UpdateResource {property}=false"))
        }
    }
}

/// UpdateUserPool resets every setting it is not given, so the pool's settings
/// (DescribeUserPool) are sent back with `DeletionProtection=INACTIVE`.
async fn unprotect_user_pool(ctx: &AwsContext, pool_id: &str) -> Result<String, AwsError> {
    use aws_sdk_cognitoidentityprovider::types::DeletionProtectionType;
    let cognito = ctx.cognito();
    let out = cognito
        .describe_user_pool()
        .user_pool_id(pool_id)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("DescribeUserPool", e))?;
    let p = out.user_pool().cloned().ok_or_else(|| {
        AwsError::new(
            ErrorKind::NotFound,
            format!("DescribeUserPool: no pool {pool_id}"),
        )
    })?;
    cognito
        .update_user_pool()
        .user_pool_id(pool_id)
        .deletion_protection(DeletionProtectionType::Inactive)
        .set_policies(p.policies)
        .set_lambda_config(p.lambda_config)
        .set_auto_verified_attributes(p.auto_verified_attributes)
        .set_sms_verification_message(p.sms_verification_message)
        .set_email_verification_message(p.email_verification_message)
        .set_email_verification_subject(p.email_verification_subject)
        .set_verification_message_template(p.verification_message_template)
        .set_sms_authentication_message(p.sms_authentication_message)
        .set_user_attribute_update_settings(p.user_attribute_update_settings)
        .set_mfa_configuration(p.mfa_configuration)
        .set_device_configuration(p.device_configuration)
        .set_email_configuration(p.email_configuration)
        .set_sms_configuration(p.sms_configuration)
        .set_user_pool_tags(p.user_pool_tags)
        .set_admin_create_user_config(p.admin_create_user_config)
        .set_user_pool_add_ons(p.user_pool_add_ons)
        .set_account_recovery_setting(p.account_recovery_setting)
        .set_user_pool_tier(p.user_pool_tier)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("UpdateUserPool", e))?;
    Ok("UpdateUserPool DeletionProtection=INACTIVE (its other settings sent back)".to_owned())
}

async fn wait_cloud_control(ctx: &AwsContext, token: &str) -> Result<(), AwsError> {
    use aws_sdk_cloudcontrol::types::OperationStatus;
    let cc = ctx.cloudcontrol();
    for _ in 0..300 {
        let out = cc
            .get_resource_request_status()
            .request_token(token)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("GetResourceRequestStatus", e))?;
        let Some(p) = out.progress_event() else {
            return Ok(());
        };
        match p.operation_status() {
            Some(OperationStatus::Success) => return Ok(()),
            Some(OperationStatus::Failed | OperationStatus::CancelComplete) => {
                return Err(AwsError::new(
                    ErrorKind::Other,
                    format!(
                        "UpdateResource failed: {}",
                        p.status_message().unwrap_or("no reason given")
                    ),
                ));
            }
            _ => tokio::time::sleep(Duration::from_secs(2)).await,
        }
    }
    Err(AwsError::new(
        ErrorKind::Timeout,
        "UpdateResource: still in progress after 10 minutes",
    ))
}

/// Every blocker, slow delete and unchecked lookup of a stack's resources: one lookup per
/// resource, `concurrency` in flight.
pub async fn stack_blockers(
    ctx: &AwsContext,
    resources: &[crate::domain::stack::StackResource],
    template: &std::collections::BTreeMap<String, crate::domain::teardown::TemplateResource>,
    lifts: crate::domain::teardown::Lifts,
    now: DateTime<Utc>,
    concurrency: usize,
) -> StackBlockers {
    use crate::domain::teardown::{edge_functions, resource_blockers, slow_delete, unchecked_note};
    let live: Vec<&crate::domain::stack::StackResource> = resources
        .iter()
        .filter(|r| r.status != "DELETE_COMPLETE" && r.physical_id.is_some())
        .collect();
    let props_of = |id: &str| template.get(id).map_or(&Value::Null, |t| &t.properties);
    let refs: Vec<ResourceRef> = live
        .iter()
        .map(|r| ResourceRef {
            logical_id: &r.logical_id,
            resource_type: &r.resource_type,
            physical_id: r.physical_id.as_deref(),
            properties: props_of(&r.logical_id),
        })
        .collect();
    let facts: Vec<Facts> = futures::stream::iter(
        refs.iter()
            .map(|r| facts_of(ctx, *r, now))
            .collect::<Vec<_>>(),
    )
    .buffered(concurrency.max(1))
    .collect()
    .await;
    let edge = edge_functions(
        template
            .iter()
            .map(|(id, t)| (id.as_str(), t.resource_type.as_str(), &t.properties)),
    );
    let mut out = StackBlockers::default();
    for (r, f) in refs.iter().zip(&facts) {
        out.blockers.extend(resource_blockers(*r, f, lifts, now));
        out.slow.extend(slow_delete(*r, &edge));
        if let Some(n) = unchecked_note(f) {
            out.unchecked.push(format!("{}: {n}", r.logical_id));
        }
    }
    out
}

/// [`stack_blockers`] for a whole stack tree: each stack's resources checked against its
/// own template (`templates` by stack path); a nested resource is named by its path below
/// the root (`Data/Table`).
pub async fn tree_blockers(
    ctx: &AwsContext,
    root: &str,
    resources: &[crate::domain::stack::StackResource],
    templates: &[(String, String)],
    lifts: crate::domain::teardown::Lifts,
    now: DateTime<Utc>,
    concurrency: usize,
) -> StackBlockers {
    let mut out = StackBlockers::default();
    for (path, template) in templates {
        let level: Vec<crate::domain::stack::StackResource> = resources
            .iter()
            .filter(|r| &r.stack_path == path)
            .cloned()
            .collect();
        let mut found = stack_blockers(
            ctx,
            &level,
            &crate::domain::teardown::template_resources(template),
            lifts,
            now,
            concurrency,
        )
        .await;
        let rel = crate::domain::nested::relative_path(root, path);
        if !rel.is_empty() {
            let named = |id: &str| format!("{rel}/{id}");
            for b in &mut found.blockers {
                b.logical_id = named(&b.logical_id);
            }
            for s in &mut found.slow {
                s.logical_id = named(&s.logical_id);
            }
            for u in &mut found.unchecked {
                *u = named(u);
            }
        }
        out.blockers.extend(found.blockers);
        out.slow.extend(found.slow);
        out.unchecked.extend(found.unchecked);
    }
    out
}

/// What [`stack_blockers`] found.
#[derive(Debug, Clone, Default)]
pub struct StackBlockers {
    pub blockers: Vec<crate::domain::teardown::Blocker>,
    pub slow: Vec<crate::domain::teardown::SlowDelete>,
    pub unchecked: Vec<String>,
}
