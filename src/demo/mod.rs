//! The demo: prototype stacks, a shared user pool and realistic content, seeded
//! idempotently into an emulator (or a sandbox account) through the real AWS APIs.

mod data;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context as _, bail};
use aws_sdk_cloudformation::types::{Capability, Parameter, StackStatus, Tag};
use aws_sdk_cognitoidentityprovider::types::{ExplicitAuthFlowsType, MessageActionType};
use serde::Deserialize;

use crate::aws::{AwsContext, AwsError};

/// `assets/demo/stacks.json`: the user pool and the stories of the demo stacks.
#[derive(Debug, Deserialize)]
pub struct DemoSpec {
    pub user_pool: PoolSpec,
    pub stacks: Vec<StackSpec>,
}

/// The shared Cognito user pool of the demo.
#[derive(Debug, Deserialize)]
pub struct PoolSpec {
    pub name: String,
    pub client_name: String,
    pub username: String,
    pub password: String,
}

/// One demo stack and its story.
#[derive(Debug, Deserialize)]
pub struct StackSpec {
    pub service: String,
    pub stage: String,
    pub story: String,
    pub tags: BTreeMap<String, String>,
    pub termination_protection: bool,
    pub versioning: String,
    pub items: usize,
    pub objects: usize,
    pub logs: String,
}

impl StackSpec {
    /// The stack name, as the Serverless Framework names it.
    pub fn stack_name(&self) -> String {
        format!("{}-{}", self.service, self.stage)
    }
}

/// The ids of the shared user pool.
#[derive(Debug, Clone)]
pub struct PoolIds {
    pub pool_id: String,
    pub pool_arn: String,
    pub client_id: String,
}

/// Seeds everything; running it again changes nothing that is already there.
pub async fn seed(ctx: &AwsContext, assets: &Path) -> anyhow::Result<()> {
    let spec: DemoSpec = serde_json::from_str(
        &std::fs::read_to_string(assets.join("stacks.json"))
            .with_context(|| format!("reading {}", assets.join("stacks.json").display()))?,
    )
    .context("assets/demo/stacks.json is not valid")?;
    let template = std::fs::read_to_string(assets.join("serverless-template.json"))
        .context("reading the demo template")?;
    let pool = ensure_pool(ctx, &spec.user_pool).await?;
    for s in &spec.stacks {
        ensure_stack(ctx, s, &template, &pool).await?;
        let outputs = stack_outputs(ctx, &s.stack_name()).await?;
        data::seed_items(ctx, s, output(&outputs, "ItemsTableName")?).await?;
        data::seed_objects(ctx, s, output(&outputs, "DataBucketName")?).await?;
        data::seed_deployment_artifacts(
            ctx,
            s,
            output(&outputs, "ServerlessDeploymentBucketName")?,
        )
        .await?;
        data::seed_logs(ctx, s).await?;
        eprintln!("seeded {} ({})", s.stack_name(), s.story);
    }
    println!(
        "{}",
        serde_json::json!({"user_pool_id": pool.pool_id, "client_id": pool.client_id, "username": spec.user_pool.username})
    );
    Ok(())
}

fn output<'a>(outputs: &'a BTreeMap<String, String>, key: &str) -> anyhow::Result<&'a str> {
    outputs
        .get(key)
        .map(String::as_str)
        .with_context(|| format!("the demo stack has no {key} output"))
}

async fn ensure_pool(ctx: &AwsContext, spec: &PoolSpec) -> anyhow::Result<PoolIds> {
    let c = ctx.cognito();
    let pools = c
        .list_user_pools()
        .max_results(60)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("ListUserPools", e))?;
    let existing = pools
        .user_pools()
        .iter()
        .find(|p| p.name() == Some(spec.name.as_str()))
        .and_then(|p| p.id().map(ToString::to_string));
    let pool_id = if let Some(id) = existing {
        id
    } else {
        let out = c
            .create_user_pool()
            .pool_name(&spec.name)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("CreateUserPool", e))?;
        out.user_pool()
            .and_then(|p| p.id())
            .context("CreateUserPool returned no id")?
            .to_string()
    };
    let described = c
        .describe_user_pool()
        .user_pool_id(&pool_id)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("DescribeUserPool", e))?;
    let pool_arn = described
        .user_pool()
        .and_then(|p| p.arn())
        .unwrap_or_default()
        .to_string();
    let clients = c
        .list_user_pool_clients()
        .user_pool_id(&pool_id)
        .max_results(60)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("ListUserPoolClients", e))?;
    let client_id = match clients
        .user_pool_clients()
        .iter()
        .find(|cl| cl.client_name() == Some(spec.client_name.as_str()))
        .and_then(|cl| cl.client_id())
    {
        Some(id) => id.to_string(),
        None => c
            .create_user_pool_client()
            .user_pool_id(&pool_id)
            .client_name(&spec.client_name)
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserSrpAuth)
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("CreateUserPoolClient", e))?
            .user_pool_client()
            .and_then(|cl| cl.client_id())
            .context("CreateUserPoolClient returned no id")?
            .to_string(),
    };
    let user = c
        .admin_get_user()
        .user_pool_id(&pool_id)
        .username(&spec.username)
        .send()
        .await;
    if user.is_err() {
        c.admin_create_user()
            .user_pool_id(&pool_id)
            .username(&spec.username)
            .message_action(MessageActionType::Suppress)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("AdminCreateUser", e))?;
        c.admin_set_user_password()
            .user_pool_id(&pool_id)
            .username(&spec.username)
            .password(&spec.password)
            .permanent(true)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("AdminSetUserPassword", e))?;
    }
    Ok(PoolIds {
        pool_id,
        pool_arn,
        client_id,
    })
}

async fn ensure_stack(
    ctx: &AwsContext,
    s: &StackSpec,
    template: &str,
    pool: &PoolIds,
) -> anyhow::Result<()> {
    let name = s.stack_name();
    if let Some(existing) = crate::aws::cloudformation::describe(ctx, &name).await?
        && existing.status != "DELETE_COMPLETE"
    {
        return wait_stable(ctx, &name).await;
    }
    let param = |k: &str, v: &str| {
        Parameter::builder()
            .parameter_key(k)
            .parameter_value(v)
            .build()
    };
    let mut req = ctx
        .cloudformation()
        .create_stack()
        .stack_name(&name)
        .template_body(template)
        .capabilities(Capability::CapabilityIam)
        .capabilities(Capability::CapabilityNamedIam)
        .enable_termination_protection(s.termination_protection)
        .parameters(param("Service", &s.service))
        .parameters(param("Stage", &s.stage))
        .parameters(param("UserPoolId", &pool.pool_id))
        .parameters(param("UserPoolClientId", &pool.client_id))
        .parameters(param("UserPoolArn", &pool.pool_arn))
        .parameters(param("DataVersioning", &s.versioning));
    for (k, v) in &s.tags {
        req = req.tags(Tag::builder().key(k).value(v).build());
    }
    req.send()
        .await
        .map_err(|e| AwsError::from_sdk("CreateStack", e))?;
    wait_stable(ctx, &name).await
}

async fn wait_stable(ctx: &AwsContext, name: &str) -> anyhow::Result<()> {
    for _ in 0..120 {
        let out = ctx
            .cloudformation()
            .describe_stacks()
            .stack_name(name)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DescribeStacks", e))?;
        let status = out
            .stacks()
            .first()
            .and_then(|s| s.stack_status())
            .cloned()
            .unwrap_or(StackStatus::CreateInProgress);
        match status {
            StackStatus::CreateComplete | StackStatus::UpdateComplete => return Ok(()),
            StackStatus::CreateInProgress | StackStatus::UpdateInProgress => {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            other => bail!("demo stack {name} ended in {}", other.as_str()),
        }
    }
    bail!("demo stack {name} did not finish creating")
}

async fn stack_outputs(ctx: &AwsContext, name: &str) -> anyhow::Result<BTreeMap<String, String>> {
    let s = crate::aws::cloudformation::describe(ctx, name)
        .await?
        .with_context(|| format!("demo stack {name} vanished"))?;
    Ok(s.outputs)
}
