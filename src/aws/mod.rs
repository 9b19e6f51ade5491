//! The AWS layer: one `SdkConfig` shared by every client, one module per service.
//! Functions here return domain types, never SDK types.

pub mod accounts;
pub mod activity;
pub mod api;
pub mod audit;
pub mod cloudformation;
pub mod cloudwatch;
pub mod cognito;
pub mod cost;
pub mod cost_explorer;
pub mod doctor;
pub mod dynamodb;
pub mod error;
pub mod errors;
pub mod identity;
pub mod insights;
pub mod invoke;
pub mod lambda;
pub mod logs;
pub mod profiles;
pub mod s3;
pub mod shelve;
pub mod tagging;
pub mod teardown;

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

pub use error::{AwsError, ErrorKind};

/// Where and how to connect: the resolved global options.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    pub operation_timeout: Option<Duration>,
    pub attempt_timeout: Option<Duration>,
    pub max_attempts: Option<u32>,
    /// Take credentials from the profile alone, never from exported access keys (each
    /// profile of a several-account shelf is its own account).
    pub profile_credentials: bool,
}

/// The shared SDK configuration plus what the header shows.
#[derive(Debug, Clone)]
pub struct AwsContext {
    pub sdk: SdkConfig,
    pub profile: Option<String>,
    pub region: String,
    pub endpoint_url: Option<String>,
}

impl AwsContext {
    /// Loads the default credential chain (env, profile, SSO, ...) honouring the options.
    pub async fn load(opts: &AwsOptions) -> Result<Self, AwsError> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_timeout(opts.operation_timeout.unwrap_or(Duration::from_secs(60)))
                    .operation_attempt_timeout(
                        opts.attempt_timeout.unwrap_or(Duration::from_secs(20)),
                    )
                    .connect_timeout(Duration::from_secs(5))
                    .build(),
            )
            .retry_config(
                RetryConfig::standard().with_max_attempts(opts.max_attempts.unwrap_or(5)),
            );
        if let Some(p) = &opts.profile {
            loader = loader.profile_name(p);
            if opts.profile_credentials {
                loader = loader.credentials_provider(
                    aws_config::profile::ProfileFileCredentialsProvider::builder()
                        .profile_name(p)
                        .build(),
                );
            }
        }
        if let Some(r) = &opts.region {
            loader = loader.region(Region::new(r.clone()));
        }
        if let Some(url) = &opts.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let mut sdk = loader.load().await;
        let region = match sdk.region() {
            Some(r) => r.to_string(),
            // An emulator does not care about the region; real AWS needs one.
            None if sdk.endpoint_url().is_some() => {
                sdk = sdk.into_builder().region(Region::new("us-east-1")).build();
                "us-east-1".to_string()
            }
            None => {
                return Err(AwsError::new(
                    ErrorKind::Config,
                    "no AWS region: pass --region, set AWS_REGION, or set region in your AWS profile",
                ));
            }
        };
        let endpoint_url = sdk.endpoint_url().map(ToString::to_string);
        Ok(Self {
            sdk,
            profile: opts.profile.clone(),
            region,
            endpoint_url,
        })
    }

    /// A copy of this context for another region (multi-region discovery).
    #[must_use]
    pub fn with_region(&self, region: &str) -> Self {
        Self {
            sdk: self
                .sdk
                .clone()
                .into_builder()
                .region(Region::new(region.to_string()))
                .build(),
            profile: self.profile.clone(),
            region: region.to_string(),
            endpoint_url: self.endpoint_url.clone(),
        }
    }

    /// The CloudFormation client.
    pub fn cloudformation(&self) -> aws_sdk_cloudformation::Client {
        aws_sdk_cloudformation::Client::new(&self.sdk)
    }

    /// The Cloud Control client (live properties of any resource type).
    pub fn cloudcontrol(&self) -> aws_sdk_cloudcontrol::Client {
        aws_sdk_cloudcontrol::Client::new(&self.sdk)
    }

    /// The ECR client.
    pub fn ecr(&self) -> aws_sdk_ecr::Client {
        aws_sdk_ecr::Client::new(&self.sdk)
    }

    /// The DynamoDB client.
    pub fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.sdk)
    }

    /// The S3 client (path-style addressing when an emulator endpoint is set).
    pub fn s3(&self) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::config::Builder::from(&self.sdk)
            .force_path_style(self.endpoint_url.is_some())
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    /// The CloudWatch client (metrics).
    pub fn cloudwatch(&self) -> aws_sdk_cloudwatch::Client {
        aws_sdk_cloudwatch::Client::new(&self.sdk)
    }

    /// The Cost Explorer client: one endpoint for the whole account, in us-east-1.
    pub fn costexplorer(&self) -> aws_sdk_costexplorer::Client {
        let conf = aws_sdk_costexplorer::config::Builder::from(&self.sdk)
            .region(Region::new("us-east-1"))
            .build();
        aws_sdk_costexplorer::Client::from_conf(conf)
    }

    /// The CloudWatch Logs client.
    pub fn logs(&self) -> aws_sdk_cloudwatchlogs::Client {
        aws_sdk_cloudwatchlogs::Client::new(&self.sdk)
    }

    /// The Lambda client.
    pub fn lambda(&self) -> aws_sdk_lambda::Client {
        aws_sdk_lambda::Client::new(&self.sdk)
    }

    /// The Cognito user pools client.
    pub fn cognito(&self) -> aws_sdk_cognitoidentityprovider::Client {
        aws_sdk_cognitoidentityprovider::Client::new(&self.sdk)
    }

    /// The IAM client (account alias, policy simulator).
    pub fn iam(&self) -> aws_sdk_iam::Client {
        aws_sdk_iam::Client::new(&self.sdk)
    }

    /// The STS client.
    pub fn sts(&self) -> aws_sdk_sts::Client {
        aws_sdk_sts::Client::new(&self.sdk)
    }

    /// A one-line description for the header: `profile · region · endpoint`.
    /// The connection as the console's header shows it.
    pub fn connection(&self) -> crate::domain::stack::Connection {
        crate::domain::stack::Connection {
            label: self.describe(),
        }
    }

    pub fn describe(&self) -> String {
        let mut s = format!(
            "{} · {}",
            self.profile.as_deref().unwrap_or("default"),
            self.region
        );
        if let Some(e) = &self.endpoint_url {
            s.push_str(" · ");
            s.push_str(e);
        }
        s
    }
}

/// Converts an SDK timestamp to chrono (out-of-range values clamp to the epoch).
pub fn to_chrono(t: &aws_smithy_types::DateTime) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(t.secs(), t.subsec_nanos()).unwrap_or_default()
}

/// An AWS context for tests (no credentials, no network until a request is made).
#[cfg(test)]
pub(crate) fn test_context(profile: Option<&str>, endpoint: &str) -> std::sync::Arc<AwsContext> {
    std::sync::Arc::new(AwsContext {
        sdk: aws_config::SdkConfig::builder().build(),
        profile: profile.map(str::to_string),
        region: "us-east-1".into(),
        endpoint_url: Some(endpoint.into()),
    })
}
