//! `doctor`'s checks against AWS: credentials and the identity behind them, the SSO
//! session, the endpoint, how many stacks the discovery tags match, and the permissions of
//! the documented policies (the IAM simulator where allowed, else cheap read calls).

use std::path::PathBuf;

use super::{AwsContext, AwsError, AwsOptions, ErrorKind, accounts, cloudformation, identity};
use crate::domain::discovery::{self, TagFilter};
use crate::domain::doctor::{self, Check, Sso};
use crate::domain::iam;
use crate::domain::sanitize::sanitize;

/// What the AWS checks need besides the SDK options.
#[derive(Debug, Clone)]
pub struct Inputs<'a> {
    pub options: &'a AwsOptions,
    /// Where the region comes from, for messages (`--region`, `AWS_REGION`, ...).
    pub region_source: String,
    /// The profile the SDK uses (`--profile`, `AWS_PROFILE`, else `default`).
    pub profile: String,
    /// `[discovery] regions`.
    pub regions: &'a [String],
    /// `[discovery] profiles`.
    pub profiles: &'a [String],
    pub filters: &'a [TagFilter],
}

/// The SSO token cache folder of the AWS CLI and SDKs.
fn sso_cache_dir() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|d| d.home_dir().join(".aws/sso/cache"))
}

/// The SSO state of `profile` from the user's AWS config file and token cache.
pub fn sso_state(profile: &str, now: chrono::DateTime<chrono::Utc>) -> Sso {
    let config = super::profiles::config_files()
        .first()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .unwrap_or_default();
    let cache: Vec<String> = sso_cache_dir()
        .and_then(|d| std::fs::read_dir(d).ok())
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
                .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                .collect()
        })
        .unwrap_or_default();
    doctor::sso_state(&config, profile, &cache, now)
}

/// Every AWS check, in order. Checks that depend on a failed one are left out (their
/// failure would only repeat it).
pub async fn checks(inputs: &Inputs<'_>, now: chrono::DateTime<chrono::Utc>) -> Vec<Check> {
    let mut out = Vec::new();
    let sso = sso_state(&inputs.profile, now);
    let sso_failed = matches!(sso, Sso::Expired(_) | Sso::NoToken { .. });
    out.push(doctor::sso_check(&inputs.profile, &sso));
    let ctx = match AwsContext::load(inputs.options).await {
        Ok(c) => c,
        Err(e) => {
            out.push(Check::fail(
                "region",
                e.message,
                "pass --region, set AWS_REGION, or add `region = ...` to your AWS profile",
            ));
            return out;
        }
    };
    let source = if inputs.options.region.is_none() && ctx.endpoint_url.is_some() {
        "the default for an emulator endpoint".to_string()
    } else {
        inputs.region_source.clone()
    };
    out.push(doctor::region_check("region", &ctx.region, &source));
    for r in inputs.regions {
        out.push(doctor::region_check(
            "discovery:regions",
            r,
            "[discovery] regions",
        ));
    }
    let who = identity::identity(&ctx).await;
    out.push(endpoint_check(&ctx, who.as_ref().err()));
    let who = match who {
        Ok(w) => w,
        Err(e) => {
            if !matches!(e.kind, ErrorKind::Network | ErrorKind::Timeout) {
                out.push(credentials_failure(&e, &inputs.profile, sso_failed));
            }
            return out;
        }
    };
    out.push(Check::pass(
        "credentials",
        format!(
            "{} in account {}{}",
            sanitize(&who.arn),
            sanitize(&who.account),
            who.alias
                .as_deref()
                .map(|a| format!(" ({})", sanitize(a)))
                .unwrap_or_default()
        ),
    ));
    out.extend(profile_checks(inputs, now).await);
    out.push(discovery_check(&ctx, inputs).await);
    out.extend(permission_checks(&ctx, &who.arn).await);
    out
}

fn endpoint_check(ctx: &AwsContext, failure: Option<&AwsError>) -> Check {
    let target = match &ctx.endpoint_url {
        Some(u) => format!("every call goes to {}", sanitize(u)),
        None => format!("AWS's public endpoints in {}", ctx.region),
    };
    match failure {
        Some(e) if matches!(e.kind, ErrorKind::Network | ErrorKind::Timeout) => Check::fail(
            "endpoint",
            format!("{target}, which does not answer: {}", e.message),
            if ctx.endpoint_url.is_some() {
                "start the emulator, or correct --endpoint-url / AWS_ENDPOINT_URL / [aws] endpoint_url"
            } else {
                "check your network connection and any proxy (HTTPS_PROXY)"
            },
        ),
        _ => Check::pass("endpoint", target),
    }
}

fn credentials_failure(e: &AwsError, profile: &str, sso_failed: bool) -> Check {
    let shown = sanitize(profile);
    let fix = if sso_failed {
        format!("run `aws sso login --profile {shown}`")
    } else if e.kind == ErrorKind::Credentials || e.message.contains("credentials") {
        format!(
            "no credentials for profile {shown}: run `aws configure --profile {shown}` or `aws sso login --profile {shown}`, set AWS_PROFILE, or pass --profile"
        )
    } else {
        "check that the credentials are valid (`aws sts get-caller-identity`)".to_string()
    };
    Check::fail("credentials", e.message.clone(), fix)
}

/// One check per `[discovery] profiles` entry: its credentials and the account they reach.
async fn profile_checks(inputs: &Inputs<'_>, now: chrono::DateTime<chrono::Utc>) -> Vec<Check> {
    futures::future::join_all(inputs.profiles.iter().map(|p| async move {
        let name = format!("profile:{}", sanitize(p));
        let who = match accounts::profile_context(inputs.options, p).await {
            Ok(ctx) => identity::identity(&ctx).await,
            Err(e) => Err(e),
        };
        match who {
            Ok(w) => Check::pass(
                name,
                format!(
                    "account {}{} as {}",
                    sanitize(&w.account),
                    w.alias
                        .as_deref()
                        .map(|a| format!(" ({})", sanitize(a)))
                        .unwrap_or_default(),
                    sanitize(&w.arn)
                ),
            ),
            Err(e) => {
                let sso = sso_state(p, now);
                let mut c = credentials_failure(
                    &e,
                    p,
                    matches!(sso, Sso::Expired(_) | Sso::NoToken { .. }),
                );
                c.check = name;
                c
            }
        }
    }))
    .await
}

async fn discovery_check(ctx: &AwsContext, inputs: &Inputs<'_>) -> Check {
    let tags = discovery::describe_filters(inputs.filters);
    let where_ = if inputs.regions.is_empty() {
        ctx.region.clone()
    } else {
        inputs.regions.join(", ")
    };
    let found = if inputs.profiles.is_empty() {
        cloudformation::discover_in_regions(ctx, inputs.regions, inputs.filters).await
    } else {
        match accounts::places(ctx, inputs.options, inputs.profiles).await {
            Ok(places) => accounts::discover_all(&places, inputs.regions, inputs.filters)
                .await
                .map(|all| all.into_iter().map(|l| l.stack).collect()),
            Err(e) => Err(e),
        }
    };
    let where_ = if inputs.profiles.is_empty() {
        where_
    } else {
        format!(
            "{where_} of profiles {}",
            sanitize(&inputs.profiles.join(", "))
        )
    };
    match found {
        Ok(found) if !found.is_empty() => Check::pass(
            "discovery",
            format!(
                "{} stacks carry the discovery tags ({}) in {where_}",
                found.len(),
                sanitize(&tags)
            ),
        ),
        Ok(_) => {
            let all = cloudformation::all_stacks(ctx).await.map(|s| {
                s.into_iter()
                    .filter(|s| !discovery::is_deleted_status(&s.status))
                    .count()
            });
            let detail = match all {
                Ok(0) => format!("there are no stacks in {}", ctx.region),
                Ok(n) => format!(
                    "none of the {n} stacks in {} carries the discovery tags ({})",
                    ctx.region,
                    sanitize(&tags)
                ),
                Err(e) => format!(
                    "no stack carries the discovery tags ({}): {e}",
                    sanitize(&tags)
                ),
            };
            Check::fail(
                "discovery",
                detail,
                format!(
                    "tag your prototype stacks ({}), or set [discovery] tags / pass --tag to the tags they carry; check the region too",
                    sanitize(&tags)
                ),
            )
        }
        Err(e) if e.kind == ErrorKind::AccessDenied => Check::fail(
            "discovery",
            e.message,
            "attach the read policy of docs/iam.md (assets/iam/read.json)",
        ),
        Err(e) => Check::fail(
            "discovery",
            e.message,
            "see the log file for the full cause",
        ),
    }
}

/// One check per documented policy through the simulator, or one read check made of cheap
/// calls when the simulator cannot be used.
async fn permission_checks(ctx: &AwsContext, caller_arn: &str) -> Vec<Check> {
    let why_not = match iam::simulation_principal(caller_arn) {
        None => "the caller is not a user or role the simulator can take".to_string(),
        Some(principal) => {
            let mut checks = Vec::new();
            let mut failure = None;
            for policy in &iam::POLICIES {
                let actions = iam::actions(policy.json).unwrap_or_default();
                match identity::simulate(ctx, &principal, &actions).await {
                    Ok(decisions) => checks.push(doctor::policy_check(policy.name, &decisions)),
                    Err(e) => {
                        failure = Some(e.message);
                        break;
                    }
                }
            }
            match failure {
                None => return checks,
                Some(f) => f,
            }
        }
    };
    vec![read_calls_check(ctx, &why_not).await]
}

/// The read permission by cheap read calls (one item each).
async fn read_calls_check(ctx: &AwsContext, why_not: &str) -> Check {
    let logs = ctx.logs().describe_log_groups().limit(1).send().await;
    let lambda = ctx.lambda().list_functions().max_items(1).send().await;
    let dynamodb = ctx.dynamodb().list_tables().limit(1).send().await;
    let results = [
        (
            "logs:DescribeLogGroups",
            logs.map(|_| ())
                .map_err(|e| AwsError::from_sdk("DescribeLogGroups", e)),
        ),
        (
            "lambda:ListFunctions",
            lambda
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("ListFunctions", e)),
        ),
        (
            "dynamodb:ListTables",
            dynamodb
                .map(|_| ())
                .map_err(|e| AwsError::from_sdk("ListTables", e)),
        ),
    ];
    let denied: Vec<&str> = results
        .iter()
        .filter(|(_, r)| r.as_ref().is_err_and(|e| e.kind == ErrorKind::AccessDenied))
        .map(|(a, _)| *a)
        .collect();
    let how = format!(
        "checked with read calls, as the IAM simulator cannot be used ({}); invoke, edit and teardown are not checked",
        sanitize(why_not)
    );
    if denied.is_empty() {
        Check::pass("permissions:read", how)
    } else {
        Check::fail(
            "permissions:read",
            format!("denied: {} ({how})", denied.join(", ")),
            "attach the read policy of docs/iam.md (assets/iam/read.json) to your role or user",
        )
    }
}
