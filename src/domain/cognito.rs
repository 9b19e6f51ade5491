//! Which Cognito pool, app client and user a sign-in is for, and which flow it uses.
//! Errors are plain messages; `aws::cognito` turns them into configuration errors.

use std::fmt;

use crate::config::CognitoConfig;
use crate::domain::sanitize::sanitize;
use crate::domain::stack::Stack;

const NO_POOL: &str = "no Cognito user pool: set [cognito] user_pool_id and client_id in the config, or name a stack with UserPoolId and UserPoolClientId outputs";

/// Which user of which app client of which pool: the key of a sign-in and of its cache.
#[derive(Clone, PartialEq, Eq)]
pub struct PoolUser {
    pub user_pool_id: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub username: String,
}

impl fmt::Debug for PoolUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolUser")
            .field("user_pool_id", &self.user_pool_id)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("username", &self.username)
            .finish()
    }
}

/// The pool and app client to sign in with: the stack's `UserPoolId` / `UserPoolClientId`
/// outputs (or `protoctl:user-pool-id` / `protoctl:user-pool-client-id` tags) override
/// the config's `[cognito]`.
pub fn pool_for(config: &CognitoConfig, stack: Option<&Stack>) -> Result<(String, String), String> {
    let from_stack = |outputs: &[&str], tags: &[&str]| {
        stack.and_then(|s| {
            outputs
                .iter()
                .find_map(|k| s.outputs.get(*k))
                .or_else(|| tags.iter().find_map(|k| s.tags.get(*k)))
                .cloned()
        })
    };
    let pool = from_stack(&["UserPoolId"], &["protoctl:user-pool-id"])
        .or_else(|| config.user_pool_id.clone());
    let client = from_stack(
        &["UserPoolClientId", "UserPoolWebClientId"],
        &["protoctl:user-pool-client-id"],
    )
    .or_else(|| config.client_id.clone());
    match (pool, client) {
        (Some(p), Some(c)) => Ok((p, c)),
        _ => Err(NO_POOL.to_string()),
    }
}

/// The sign-in flow to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Srp,
    Password,
}

impl Flow {
    /// Parses the config's `auth_flow` (`srp` or `password`).
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "srp" | "" => Ok(Self::Srp),
            "password" => Ok(Self::Password),
            other => Err(format!(
                "[cognito] auth_flow {:?}: use srp or password",
                sanitize(other)
            )),
        }
    }
}

/// The pool's region: the part of its id before `_` (`eu-west-1_AbC123` → `eu-west-1`).
pub fn pool_region(user_pool_id: &str) -> Option<&str> {
    let (region, rest) = user_pool_id.split_once('_')?;
    let valid = !rest.is_empty()
        && region.split('-').count() >= 3
        && region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    valid.then_some(region)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn the_pool_region_comes_from_its_id() {
        assert_eq!(pool_region("eu-west-1_AbC123"), Some("eu-west-1"));
        assert_eq!(pool_region("us-gov-west-1_x"), Some("us-gov-west-1"));
        for bad in [
            "",
            "nounderscore",
            "_abc",
            "eu-west-1_",
            "EU-WEST-1_abc",
            "local_abc",
        ] {
            assert_eq!(pool_region(bad), None, "{bad}");
        }
    }

    fn user(name: &str) -> PoolUser {
        PoolUser {
            user_pool_id: "us-east-1_abc".into(),
            client_id: "client1".into(),
            client_secret: Some("s3cret".into()),
            username: name.into(),
        }
    }

    #[test]
    fn debug_hides_the_secret() {
        let s = format!("{:?}", user("ana"));
        assert!(!s.contains("s3cret"), "{s}");
    }

    #[test]
    fn stack_outputs_override_config() {
        let cfg = CognitoConfig {
            user_pool_id: Some("cfg-pool".into()),
            client_id: Some("cfg-client".into()),
            ..CognitoConfig::default()
        };
        assert_eq!(
            pool_for(&cfg, None).unwrap(),
            ("cfg-pool".into(), "cfg-client".into())
        );
        let mut stack = crate::ui::tests::demo_stack("orders-dev", "CREATE_COMPLETE", 1, &[]);
        stack.outputs = BTreeMap::from([
            ("UserPoolId".into(), "stack-pool".into()),
            ("UserPoolClientId".into(), "stack-client".into()),
        ]);
        assert_eq!(
            pool_for(&cfg, Some(&stack)).unwrap(),
            ("stack-pool".into(), "stack-client".into())
        );
        assert!(pool_for(&CognitoConfig::default(), None).is_err());
    }

    #[test]
    fn flows_parse() {
        assert_eq!(Flow::parse("srp").unwrap(), Flow::Srp);
        assert_eq!(Flow::parse("password").unwrap(), Flow::Password);
        assert!(Flow::parse("magic").is_err());
    }
}
