//! Cognito sign-in for the shared user pool: USER_PASSWORD_AUTH and USER_SRP_AUTH (with
//! the PASSWORD_VERIFIER challenge), NEW_PASSWORD_REQUIRED, refresh, and the token cache.
//!
//! Passwords and tokens never reach an error message or the log: errors are built from the
//! error code alone, and `Tokens` has a redacting `Debug`.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;

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
use crate::domain::tokens::{Tokens, cache_key, decode_claims};

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
pub fn pool_for(
    config: &CognitoConfig,
    stack: Option<&Stack>,
) -> Result<(String, String), AwsError> {
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
        _ => Err(AwsError::new(
            ErrorKind::Config,
            "no Cognito user pool: set [cognito] user_pool_id and client_id in the config, or name a stack with UserPoolId and UserPoolClientId outputs",
        )),
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
    pub fn parse(s: &str) -> Result<Self, AwsError> {
        match s {
            "srp" | "" => Ok(Self::Srp),
            "password" => Ok(Self::Password),
            other => Err(AwsError::new(
                ErrorKind::Config,
                format!(
                    "[cognito] auth_flow {:?}: use srp or password",
                    sanitize(other)
                ),
            )),
        }
    }
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

/// The token cache: one JSON file per pool + client + user, mode 0600, in a 0700 directory
/// under the platform cache dir. (No OS keyring: see docs/invoke.md.)
#[derive(Debug, Clone)]
pub struct TokenCache {
    dir: PathBuf,
}

impl TokenCache {
    /// The cache under the platform cache dir (`$XDG_CACHE_HOME/protoctl/tokens` on Linux).
    pub fn platform() -> Result<Self, AwsError> {
        directories::ProjectDirs::from("", "", "protoctl")
            .map(|d| Self::at(d.cache_dir().join("tokens")))
            .ok_or_else(|| {
                AwsError::new(ErrorKind::Config, "no home directory for the token cache")
            })
    }

    /// A cache in `dir` (tests).
    pub fn at(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// The file holding `user`'s tokens.
    pub fn path(&self, user: &PoolUser) -> PathBuf {
        self.dir.join(format!(
            "{}.json",
            cache_key(&user.user_pool_id, &user.client_id, &user.username)
        ))
    }

    fn lock_path(&self, user: &PoolUser) -> PathBuf {
        self.path(user).with_extension("lock")
    }

    fn last_user_path(&self, pool: &str, client: &str) -> PathBuf {
        self.dir
            .join(format!("{}.last-user", cache_key(pool, client, "")))
    }

    /// The cached tokens of `user`, if any (an unreadable file counts as none).
    pub fn load(&self, user: &PoolUser) -> Option<Tokens> {
        let text = std::fs::read_to_string(self.path(user)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// The user who last signed in to this pool and client.
    pub fn last_user(&self, pool: &str, client: &str) -> Option<String> {
        let s = std::fs::read_to_string(self.last_user_path(pool, client)).ok()?;
        let s = s.trim();
        (!s.is_empty()).then(|| s.to_string())
    }

    /// Stores `tokens` for `user` (atomically, private to the user).
    pub fn store(&self, user: &PoolUser, tokens: &Tokens) -> Result<(), AwsError> {
        let io = |e: std::io::Error| {
            AwsError::new(
                ErrorKind::Config,
                format!(
                    "cannot write the token cache in {}: {e}",
                    self.dir.display()
                ),
            )
        };
        self.ensure_dir().map_err(io)?;
        let json = serde_json::to_vec(tokens)
            .map_err(|e| AwsError::new(ErrorKind::Other, e.to_string()))?;
        write_private(&self.path(user), &json).map_err(io)?;
        write_private(
            &self.last_user_path(&user.user_pool_id, &user.client_id),
            user.username.as_bytes(),
        )
        .map_err(io)
    }

    /// Forgets `user`'s tokens.
    pub fn remove(&self, user: &PoolUser) {
        let _ = std::fs::remove_file(self.path(user));
    }

    fn ensure_dir(&self) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(())
    }
}

/// Temp files written so far by this process: with the pid, a unique name per write, so two
/// tasks (or two processes) storing at once never share a half-written file.
static TMP_SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let seq = TMP_SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_extension(format!("tmp{}-{seq}", std::process::id()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let written = opts.open(&tmp).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(())
}

/// How long a refresh waits for another process's refresh of the same user to finish.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// An exclusive advisory lock on one user's cache entry, held while its tokens are refreshed
/// and stored, so two processes never refresh the same sign-in at once. Released on drop.
struct EntryLock {
    _file: std::fs::File,
}

impl EntryLock {
    /// Waits (without blocking the runtime) up to [`LOCK_WAIT`] for the lock; `None` when
    /// it cannot be had (an unlockable file system, or a holder that never lets go), in which
    /// case the caller goes on unlocked: the atomic replace still keeps the file whole.
    async fn acquire(path: &std::path::Path) -> Option<Self> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .ok()?;
        let deadline = tokio::time::Instant::now() + LOCK_WAIT;
        loop {
            match file.try_lock() {
                Ok(()) => return Some(Self { _file: file }),
                Err(std::fs::TryLockError::WouldBlock)
                    if tokio::time::Instant::now() < deadline =>
                {
                    tokio::time::sleep(std::time::Duration::from_millis(25)).await;
                }
                Err(e) => {
                    tracing::warn!("token cache lock {}: {e:?}", path.display());
                    return None;
                }
            }
        }
    }
}

/// The cached tokens of `user`, refreshed (and re-cached) when under 5 minutes remain.
/// `Ok(None)` when there is no usable sign-in.
pub async fn cached_tokens(
    ctx: &AwsContext,
    cache: &TokenCache,
    user: &PoolUser,
    now: DateTime<Utc>,
) -> Result<Option<Tokens>, AwsError> {
    let Some(tokens) = cache.load(user) else {
        return Ok(None);
    };
    if !tokens.needs_refresh(now) {
        return Ok(Some(tokens));
    }
    let _lock = match cache.ensure_dir() {
        Ok(()) => EntryLock::acquire(&cache.lock_path(user)).await,
        Err(_) => None,
    };
    // Another process may have refreshed while this one waited for the lock.
    let Some(tokens) = cache.load(user) else {
        return Ok(None);
    };
    if !tokens.needs_refresh(now) {
        return Ok(Some(tokens));
    }
    match refresh(ctx, user, &tokens, now).await {
        Ok(fresh) => {
            cache.store(user, &fresh)?;
            Ok(Some(fresh))
        }
        Err(e) if e.kind == ErrorKind::AccessDenied || e.kind == ErrorKind::Credentials => {
            cache.remove(user);
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
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
    use std::collections::BTreeMap;

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

    #[cfg(unix)]
    #[test]
    fn concurrent_stores_never_leave_a_half_written_cache() {
        let base = std::env::temp_dir().join(format!("protoctl-cache-race-{}", std::process::id()));
        let cache = TokenCache::at(base.join("tokens"));
        let u = user("race@example.com");
        let write = |n: usize| Tokens {
            id_token: format!("id.{n}.{}", "x".repeat(n % 7 * 512)),
            access_token: format!("access.{n}"),
            refresh_token: Some(format!("r{n}")),
            expires_at: Utc::now(),
        };
        cache.store(&u, &write(0)).unwrap();
        std::thread::scope(|s| {
            for t in 0..6 {
                let (cache, u) = (&cache, &u);
                s.spawn(move || {
                    for i in 0..40 {
                        cache.store(u, &write(t * 100 + i)).unwrap();
                    }
                });
            }
            s.spawn(|| {
                for _ in 0..400 {
                    let t = cache
                        .load(&u)
                        .expect("always a whole, parseable cache file");
                    let n = t.access_token.trim_start_matches("access.");
                    assert_eq!(t.refresh_token.as_deref(), Some(format!("r{n}").as_str()));
                }
            });
        });
        let leftovers: Vec<_> = std::fs::read_dir(base.join("tokens"))
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
        let _ = std::fs::remove_dir_all(base);
    }

    #[tokio::test]
    async fn the_entry_lock_is_exclusive_and_released_on_drop() {
        let base = std::env::temp_dir().join(format!("protoctl-cache-lock-{}", std::process::id()));
        std::fs::create_dir_all(&base).unwrap();
        let path = base.join("u.lock");
        let held = EntryLock::acquire(&path).await.expect("first holder");
        let other = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        assert!(matches!(
            other.try_lock(),
            Err(std::fs::TryLockError::WouldBlock)
        ));
        drop(held);
        assert!(other.try_lock().is_ok());
        let _ = std::fs::remove_dir_all(base);
    }

    #[test]
    fn cache_files_are_private_and_round_trip() {
        use std::os::unix::fs::PermissionsExt;
        let base = std::env::temp_dir().join(format!("protoctl-cache-{}", std::process::id()));
        let cache = TokenCache::at(base.join("tokens"));
        let u = user("ana@example.com");
        let t = Tokens {
            id_token: "a.b.c".into(),
            access_token: "d.e.f".into(),
            refresh_token: Some("r".into()),
            expires_at: Utc::now(),
        };
        cache.store(&u, &t).unwrap();
        let back = cache.load(&u).unwrap();
        assert_eq!(back.id_token, "a.b.c");
        assert_eq!(
            cache.last_user("us-east-1_abc", "client1").as_deref(),
            Some("ana@example.com")
        );
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&cache.path(&u)), 0o600);
        assert_eq!(mode(&base.join("tokens")), 0o700);
        assert!(cache.load(&user("other")).is_none());
        let _ = std::fs::remove_dir_all(base);
    }
}
