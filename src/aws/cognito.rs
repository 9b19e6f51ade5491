//! Cognito sign-in for the shared user pool: USER_PASSWORD_AUTH and USER_SRP_AUTH (with
//! the PASSWORD_VERIFIER challenge), NEW_PASSWORD_REQUIRED, refresh, and the token cache.
//!
//! Passwords and tokens never reach an error message or the log: errors are built from the
//! error code alone, and `Tokens` has a redacting `Debug`.

use std::collections::HashMap;
use std::fmt;

use aws_sdk_cognitoidentityprovider::types::{
    AuthFlowType, AuthenticationResultType, ChallengeNameType,
};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use chrono::{DateTime, TimeDelta, Utc};

use super::{AwsContext, AwsError, ErrorKind};
use crate::config::CognitoConfig;
use crate::domain::sanitize::sanitize;
use crate::domain::srp::{SrpClient, cognito_timestamp, secret_hash};
use crate::domain::stack::Stack;
use crate::domain::tokens::{Tokens, decode_claims};

mod cache;

pub use crate::domain::cognito::{Flow, PoolUser, pool_region};
pub use cache::{TokenCache, cached_tokens};

/// The pool and app client to sign in with: the stack's `UserPoolId` / `UserPoolClientId`
/// outputs (or `protoctl:user-pool-id` / `protoctl:user-pool-client-id` tags) override
/// the config's `[cognito]`.
pub fn pool_for(
    config: &CognitoConfig,
    stack: Option<&Stack>,
) -> Result<(String, String), AwsError> {
    crate::domain::cognito::pool_for(config, stack).map_err(|m| AwsError::new(ErrorKind::Config, m))
}

/// How a sign-in ended: tokens, or Cognito wants a new password first.
#[derive(Debug)]
pub enum SignIn {
    Tokens(Tokens),
    /// NEW_PASSWORD_REQUIRED: answer with [`complete_new_password`] and this session.
    NewPasswordRequired {
        session: String,
    },
}

/// A Cognito client in the pool's own region (the shared pool may live in another region
/// than the stack being invoked).
fn pool_client(ctx: &AwsContext, user: &PoolUser) -> aws_sdk_cognitoidentityprovider::Client {
    match pool_region(&user.user_pool_id) {
        Some(r) if r != ctx.region => ctx.with_region(r).cognito(),
        _ => ctx.cognito(),
    }
}

/// What Cognito's refusal of a challenge answer says when the session was spent: the answer
/// was accepted, then retried after its reply was lost on the way.
const SPENT_SESSION: &str = "the sign-in session was already used or has expired";

/// Signs `user` in with `password` using `flow`. An SRP answer whose reply was lost, retried
/// and refused for a spent session starts the sign-in over (at most [`SIGN_IN_TRIES`] in all).
pub async fn sign_in(
    ctx: &AwsContext,
    user: &PoolUser,
    password: &str,
    flow: Flow,
    now: DateTime<Utc>,
) -> Result<SignIn, AwsError> {
    let mut tries = 1;
    loop {
        match sign_in_once(ctx, user, password, flow, now).await {
            Err(e) if e.message.ends_with(SPENT_SESSION) && tries < SIGN_IN_TRIES => {
                tracing::info!("the sign-in session was spent by a retry; signing in again");
                tries += 1;
            }
            other => return other,
        }
    }
}

/// Sign-ins started over at most, when each one's session is spent by a retry.
const SIGN_IN_TRIES: u32 = 3;

async fn sign_in_once(
    ctx: &AwsContext,
    user: &PoolUser,
    password: &str,
    flow: Flow,
    now: DateTime<Utc>,
) -> Result<SignIn, AwsError> {
    tracing::info!(pool = %user.user_pool_id, user = %user.username, ?flow, "signing in");
    let client = pool_client(ctx, user);
    let mut req = client.initiate_auth().client_id(&user.client_id);
    req = req.auth_parameters("USERNAME", &user.username);
    if let Some(secret) = &user.client_secret {
        req = req.auth_parameters(
            "SECRET_HASH",
            secret_hash(&user.username, &user.client_id, secret),
        );
    }
    let srp = match flow {
        Flow::Password => {
            req = req
                .auth_flow(AuthFlowType::UserPasswordAuth)
                .auth_parameters("PASSWORD", password);
            None
        }
        Flow::Srp => {
            let srp = SrpClient::new(&user.user_pool_id)
                .map_err(|e| AwsError::new(ErrorKind::Invalid, e.to_string()))?;
            req = req
                .auth_flow(AuthFlowType::UserSrpAuth)
                .auth_parameters("SRP_A", srp.srp_a_hex());
            Some(srp)
        }
    };
    let out = req
        .send()
        .await
        .map_err(|e| auth_error("InitiateAuth", e, user))?;
    let mut result = out.authentication_result().cloned();
    let mut challenge = out.challenge_name().cloned();
    let mut session = out.session().map(ToString::to_string);
    let mut params = out.challenge_parameters().cloned().unwrap_or_default();

    if challenge == Some(ChallengeNameType::PasswordVerifier) {
        let Some(srp) = srp else {
            return Err(AwsError::new(
                ErrorKind::Invalid,
                "Cognito asked for an SRP password verifier on a password sign-in",
            ));
        };
        let (r, c, s, p) =
            password_verifier(ctx, user, &srp, password, &params, session, now).await?;
        (result, challenge, session, params) = (r, c, s, p);
    }
    if let Some(r) = result {
        return tokens_from(&r, None, now);
    }
    match challenge {
        Some(ChallengeNameType::NewPasswordRequired) => Ok(SignIn::NewPasswordRequired {
            session: session.unwrap_or_default(),
        }),
        Some(other) => {
            let _ = params;
            Err(AwsError::new(
                ErrorKind::Invalid,
                format!(
                    "sign-in needs the {} challenge, which protoctl does not support (MFA or custom auth): sign in once with the AWS console",
                    sanitize(other.as_str())
                ),
            ))
        }
        None => Err(AwsError::new(
            ErrorKind::Other,
            "sign-in returned neither tokens nor a challenge",
        )),
    }
}

type Step = (
    Option<AuthenticationResultType>,
    Option<ChallengeNameType>,
    Option<String>,
    HashMap<String, String>,
);

async fn password_verifier(
    ctx: &AwsContext,
    user: &PoolUser,
    srp: &SrpClient,
    password: &str,
    params: &HashMap<String, String>,
    session: Option<String>,
    now: DateTime<Utc>,
) -> Result<Step, AwsError> {
    let get = |k: &str| {
        params.get(k).map(String::as_str).ok_or_else(|| {
            AwsError::new(
                ErrorKind::Other,
                format!("the PASSWORD_VERIFIER challenge lacks {k}"),
            )
        })
    };
    let user_id = get("USER_ID_FOR_SRP")?;
    let username = params
        .get("USERNAME")
        .map_or(user.username.as_str(), String::as_str);
    let timestamp = cognito_timestamp(now);
    let secret_block = get("SECRET_BLOCK")?;
    // Cognito sends base64; an emulator may send an opaque id, which is signed as its bytes.
    let block_b64 = if base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        secret_block.trim(),
    )
    .is_ok()
    {
        secret_block.to_string()
    } else {
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            secret_block.as_bytes(),
        )
    };
    let signature = srp
        .password_claim(
            user_id,
            password,
            get("SRP_B")?,
            get("SALT")?,
            &block_b64,
            &timestamp,
        )
        .map_err(|e| AwsError::new(ErrorKind::Invalid, e.to_string()))?;
    let mut req = pool_client(ctx, user)
        .respond_to_auth_challenge()
        .client_id(&user.client_id)
        .challenge_name(ChallengeNameType::PasswordVerifier)
        .challenge_responses("USERNAME", username)
        .challenge_responses("PASSWORD_CLAIM_SECRET_BLOCK", secret_block)
        .challenge_responses("PASSWORD_CLAIM_SIGNATURE", signature)
        .challenge_responses("TIMESTAMP", timestamp)
        .set_session(session);
    if let Some(secret) = &user.client_secret {
        req = req.challenge_responses(
            "SECRET_HASH",
            secret_hash(username, &user.client_id, secret),
        );
    }
    let out = req
        .send()
        .await
        .map_err(|e| auth_error("RespondToAuthChallenge", e, user))?;
    Ok((
        out.authentication_result().cloned(),
        out.challenge_name().cloned(),
        out.session().map(ToString::to_string),
        out.challenge_parameters().cloned().unwrap_or_default(),
    ))
}

/// Answers NEW_PASSWORD_REQUIRED with the user's new password.
pub async fn complete_new_password(
    ctx: &AwsContext,
    user: &PoolUser,
    session: &str,
    new_password: &str,
    now: DateTime<Utc>,
) -> Result<Tokens, AwsError> {
    let mut req = pool_client(ctx, user)
        .respond_to_auth_challenge()
        .client_id(&user.client_id)
        .challenge_name(ChallengeNameType::NewPasswordRequired)
        .challenge_responses("USERNAME", &user.username)
        .challenge_responses("NEW_PASSWORD", new_password)
        .session(session);
    if let Some(secret) = &user.client_secret {
        req = req.challenge_responses(
            "SECRET_HASH",
            secret_hash(&user.username, &user.client_id, secret),
        );
    }
    let out = req
        .send()
        .await
        .map_err(|e| auth_error("RespondToAuthChallenge", e, user))?;
    match out.authentication_result() {
        Some(r) => match tokens_from(r, None, now)? {
            SignIn::Tokens(t) => Ok(t),
            SignIn::NewPasswordRequired { .. } => unreachable_challenge(),
        },
        None => Err(AwsError::new(
            ErrorKind::Invalid,
            "the new password was not accepted (Cognito asked for another challenge)",
        )),
    }
}

fn unreachable_challenge() -> Result<Tokens, AwsError> {
    Err(AwsError::new(ErrorKind::Other, "unexpected challenge"))
}

/// Gets fresh tokens with the refresh token (REFRESH_TOKEN_AUTH); keeps the refresh token.
pub async fn refresh(
    ctx: &AwsContext,
    user: &PoolUser,
    tokens: &Tokens,
    now: DateTime<Utc>,
) -> Result<Tokens, AwsError> {
    let Some(refresh_token) = tokens.refresh_token.as_deref() else {
        return Err(AwsError::new(
            ErrorKind::Credentials,
            "the cached sign-in has no refresh token: run `protoctl login`",
        ));
    };
    tracing::info!(pool = %user.user_pool_id, user = %user.username, "refreshing tokens");
    let mut req = pool_client(ctx, user)
        .initiate_auth()
        .client_id(&user.client_id)
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", refresh_token);
    if let Some(secret) = &user.client_secret {
        // The hash of a refresh is over the user's internal name (the access token's `username`).
        let name = decode_claims(&tokens.access_token)
            .ok()
            .and_then(|c| c.get("username").and_then(|v| v.as_str()).map(String::from))
            .unwrap_or_else(|| user.username.clone());
        req = req.auth_parameters("SECRET_HASH", secret_hash(&name, &user.client_id, secret));
    }
    let out = req
        .send()
        .await
        .map_err(|e| auth_error("InitiateAuth (refresh)", e, user))?;
    match out.authentication_result() {
        Some(r) => match tokens_from(r, tokens.refresh_token.clone(), now)? {
            SignIn::Tokens(t) => Ok(t),
            SignIn::NewPasswordRequired { .. } => unreachable_challenge(),
        },
        None => Err(AwsError::new(
            ErrorKind::Credentials,
            "refreshing the sign-in returned no tokens: run `protoctl login`",
        )),
    }
}

fn tokens_from(
    r: &AuthenticationResultType,
    old_refresh: Option<String>,
    now: DateTime<Utc>,
) -> Result<SignIn, AwsError> {
    let (Some(id), Some(access)) = (r.id_token(), r.access_token()) else {
        return Err(AwsError::new(
            ErrorKind::Other,
            "sign-in returned no id or access token",
        ));
    };
    Ok(SignIn::Tokens(Tokens {
        id_token: id.to_string(),
        access_token: access.to_string(),
        refresh_token: r.refresh_token().map(ToString::to_string).or(old_refresh),
        expires_at: now + TimeDelta::seconds(i64::from(r.expires_in().max(0))),
    }))
}

/// Maps a sign-in failure to one clear line built from the error code only.
fn auth_error<E, R>(op: &str, err: SdkError<E, R>, user: &PoolUser) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: fmt::Debug + Send + Sync + 'static,
{
    let code = err.code().map(ToString::to_string);
    let who = sanitize(&user.username).into_owned();
    let pool = sanitize(&user.user_pool_id).into_owned();
    let msg = match code.as_deref() {
        Some("NotAuthorizedException")
            if err
                .message()
                .is_some_and(|m| m.to_ascii_lowercase().contains("session")) =>
        {
            format!("sign-in refused for {who}: {SPENT_SESSION}")
        }
        Some("NotAuthorizedException") => {
            format!("sign-in refused for {who}: incorrect username or password")
        }
        Some("UserNotFoundException") => format!("sign-in refused: no user {who} in pool {pool}"),
        Some("UserNotConfirmedException") => {
            format!("sign-in refused: user {who} is not confirmed yet")
        }
        Some("PasswordResetRequiredException") => {
            format!("sign-in refused: user {who} must reset the password first")
        }
        Some("InvalidPasswordException") => {
            "the new password does not meet the pool's password policy".to_string()
        }
        Some("ResourceNotFoundException") => {
            format!(
                "sign-in failed: app client or pool {pool} not found (check [cognito] or the stack outputs)"
            )
        }
        Some("InvalidParameterException") => "sign-in failed: the app client rejected the request (is this auth flow enabled, or is a client secret needed?)".to_string(),
        _ => return AwsError::from_sdk(op, err),
    };
    tracing::warn!(operation = op, code = ?code, "sign-in failed");
    AwsError {
        kind: if code.as_deref() == Some("UserNotFoundException") {
            ErrorKind::NotFound
        } else {
            ErrorKind::AccessDenied
        },
        message: msg,
        code,
    }
}
