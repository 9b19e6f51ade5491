//! Who the credentials are: the caller's account and ARN (STS), the account's alias (IAM),
//! and what the IAM policy simulator says the caller may do.

use serde::Serialize;

use super::{AwsContext, AwsError};

/// The identity behind a set of credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identity {
    /// The 12-digit account id.
    pub account: String,
    /// The caller's ARN (a user, a role, or an assumed-role session).
    pub arn: String,
    /// The account's IAM alias, when it has one and the caller may read it.
    pub alias: Option<String>,
}

/// The account and ARN of the caller (STS GetCallerIdentity).
pub async fn caller(ctx: &AwsContext) -> Result<(String, String), AwsError> {
    let out = ctx
        .sts()
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("GetCallerIdentity", e))?;
    Ok((
        out.account().unwrap_or_default().to_string(),
        out.arn().unwrap_or_default().to_string(),
    ))
}

/// The account's alias (IAM ListAccountAliases); `None` when it has none or the caller may
/// not read it (the failure is logged, never shown: the alias is a nicety).
pub async fn account_alias(ctx: &AwsContext) -> Option<String> {
    match ctx.iam().list_account_aliases().send().await {
        Ok(out) => out.account_aliases().first().cloned(),
        Err(e) => {
            let err = AwsError::from_sdk("ListAccountAliases", e);
            tracing::debug!(error = %err, "no account alias");
            None
        }
    }
}

/// The caller's identity with the account alias.
pub async fn identity(ctx: &AwsContext) -> Result<Identity, AwsError> {
    let (account, arn) = caller(ctx).await?;
    let alias = account_alias(ctx).await;
    Ok(Identity {
        account,
        arn,
        alias,
    })
}

/// An IAM client that tries once: the simulator is often denied or absent, and `doctor`
/// falls back at once instead of retrying.
fn iam_once(ctx: &AwsContext) -> aws_sdk_iam::Client {
    let conf = aws_sdk_iam::config::Builder::from(&ctx.sdk)
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(1));
    aws_sdk_iam::Client::from_conf(conf.build())
}

/// Whether `principal` may call each of `actions` on any resource, by the IAM policy
/// simulator (SimulatePrincipalPolicy): `(action, allowed)` in the order given.
pub async fn simulate(
    ctx: &AwsContext,
    principal: &str,
    actions: &[String],
) -> Result<Vec<(String, bool)>, AwsError> {
    let client = iam_once(ctx);
    let mut decided = std::collections::BTreeMap::new();
    let mut pages = client
        .simulate_principal_policy()
        .policy_source_arn(principal)
        .set_action_names(Some(actions.to_vec()))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsError::from_sdk("SimulatePrincipalPolicy", e))?;
        for r in page.evaluation_results() {
            decided.insert(
                r.eval_action_name().to_string(),
                r.eval_decision().as_str() == "allowed",
            );
        }
    }
    Ok(actions
        .iter()
        .map(|a| (a.clone(), decided.get(a).copied().unwrap_or(false)))
        .collect())
}
