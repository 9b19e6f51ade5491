//! A Cognito front between protoctl and the emulator: SRP sign-in (`USER_SRP_AUTH` and its
//! `PASSWORD_VERIFIER` challenge) is answered here as Cognito does it, everything else is
//! forwarded. The emulator accepts any `PASSWORD_CLAIM_SIGNATURE`; the front checks it with
//! the server side of SRP-6a, and hashes the identity Cognito uses, `USER_ID_FOR_SRP` (the
//! user's `sub` when signing in with an e-mail alias), which differs from the name typed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use protoctl::aws::audit::random_id;
use protoctl::domain::srp::SrpServer;
use serde_json::{Value, json};

use crate::cfn_front::{Http, forward};

/// A user the front signs in: the name typed, Cognito's SRP identity and the password.
#[derive(Debug, Clone)]
pub struct FrontUser {
    pub username: String,
    pub user_id_for_srp: String,
    pub password: String,
}

/// The pool the front stands for, and its users.
#[derive(Debug, Clone)]
pub struct CognitoPlan {
    pub user_pool_id: String,
    pub users: Vec<FrontUser>,
}

/// What the front saw: sign-ins refused for a wrong signature, and accepted.
#[derive(Debug, Default)]
pub struct Seen {
    pub refused: u32,
    pub accepted: u32,
}

/// A running front; it stops when dropped.
pub struct CognitoFront {
    pub url: String,
    pub seen: Arc<Mutex<Seen>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for CognitoFront {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

struct Pending {
    server: SrpServer,
    srp_a: String,
    secret_block: String,
    user_id_for_srp: String,
}

struct Shared {
    client: Http,
    upstream: String,
    plan: CognitoPlan,
    sessions: Mutex<HashMap<String, Pending>>,
    seen: Arc<Mutex<Seen>>,
}

/// Starts a front forwarding to `upstream`.
pub fn start(upstream: &str, plan: CognitoPlan) -> CognitoFront {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let shared = Arc::new(Shared {
        client: Client::builder(TokioExecutor::new()).build_http(),
        upstream: upstream.trim_end_matches('/').to_owned(),
        plan,
        sessions: Mutex::new(HashMap::new()),
        seen: Arc::clone(&seen),
    });
    let (runtime, url) = crate::cfn_front::serve(move |req| {
        let shared = Arc::clone(&shared);
        async move { handle(req, &shared).await }
    });
    CognitoFront {
        url,
        seen,
        runtime: Some(runtime),
    }
}

fn answer(status: u16, body: &Value) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body.to_string())));
    *resp.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
    resp.headers_mut().insert(
        "content-type",
        "application/x-amz-json-1.1".parse().unwrap(),
    );
    resp
}

fn refuse(kind: &str, message: &str) -> Response<Full<Bytes>> {
    let mut resp = answer(400, &json!({"__type": kind, "message": message}));
    resp.headers_mut()
        .insert("x-amzn-errortype", kind.parse().unwrap());
    resp
}

/// A token shaped like Cognito's (header, claims, signature), valid for an hour.
fn token(user: &FrontUser, token_use: &str) -> String {
    let enc = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let exp = chrono::Utc::now().timestamp() + 3600;
    format!(
        "{}.{}.{}",
        enc(json!({"alg": "RS256", "kid": "front"})),
        enc(json!({
            "sub": user.user_id_for_srp,
            "cognito:username": user.user_id_for_srp,
            "email": user.username,
            "token_use": token_use,
            "exp": exp,
        })),
        random_id()
    )
}

async fn handle(req: Request<Incoming>, shared: &Shared) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let doc: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    match target.as_str() {
        "AWSCognitoIdentityProviderService.InitiateAuth" if doc["AuthFlow"] == "USER_SRP_AUTH" => {
            initiate(shared, &doc)
        }
        "AWSCognitoIdentityProviderService.RespondToAuthChallenge"
            if doc["ChallengeName"] == "PASSWORD_VERIFIER" =>
        {
            respond(shared, &doc)
        }
        _ => {
            let (status, headers, bytes) =
                forward(&shared.client, &shared.upstream, &parts, body).await;
            let mut resp = Response::new(Full::new(bytes));
            *resp.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
            *resp.headers_mut() = headers;
            resp
        }
    }
}

fn initiate(shared: &Shared, doc: &Value) -> Response<Full<Bytes>> {
    let typed = doc["AuthParameters"]["USERNAME"]
        .as_str()
        .unwrap_or_default();
    let srp_a = doc["AuthParameters"]["SRP_A"].as_str().unwrap_or_default();
    let Some(user) = shared.plan.users.iter().find(|u| u.username == typed) else {
        return refuse("NotAuthorizedException", "Incorrect username or password.");
    };
    let salt = random_id();
    let b = format!(
        "{}{}{}{}",
        random_id(),
        random_id(),
        random_id(),
        random_id()
    );
    let server = SrpServer::new(
        &shared.plan.user_pool_id,
        &user.user_id_for_srp,
        &user.password,
        &salt,
        &b,
    )
    .expect("front SRP state");
    let secret_block = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}{}{}",
        random_id(),
        random_id(),
        random_id()
    ));
    let session = random_id();
    let params = json!({
        "SALT": server.salt_hex(),
        "SRP_B": server.srp_b_hex(),
        "SECRET_BLOCK": secret_block,
        "USER_ID_FOR_SRP": user.user_id_for_srp,
        "USERNAME": user.user_id_for_srp,
    });
    shared.sessions.lock().unwrap().insert(
        session.clone(),
        Pending {
            server,
            srp_a: srp_a.to_owned(),
            secret_block,
            user_id_for_srp: user.user_id_for_srp.clone(),
        },
    );
    answer(
        200,
        &json!({"ChallengeName": "PASSWORD_VERIFIER", "ChallengeParameters": params, "Session": session}),
    )
}

fn respond(shared: &Shared, doc: &Value) -> Response<Full<Bytes>> {
    let session = doc["Session"].as_str().unwrap_or_default();
    let Some(pending) = shared.sessions.lock().unwrap().remove(session) else {
        return refuse("NotAuthorizedException", "Invalid session for the user.");
    };
    let r = &doc["ChallengeResponses"];
    let field = |k: &str| r[k].as_str().unwrap_or_default();
    let verified = field("USERNAME") == pending.user_id_for_srp
        && field("PASSWORD_CLAIM_SECRET_BLOCK") == pending.secret_block
        && pending
            .server
            .verify(
                &pending.srp_a,
                &pending.secret_block,
                field("TIMESTAMP"),
                field("PASSWORD_CLAIM_SIGNATURE"),
            )
            .unwrap_or(false);
    if !verified {
        shared.seen.lock().unwrap().refused += 1;
        return refuse("NotAuthorizedException", "Incorrect username or password.");
    }
    shared.seen.lock().unwrap().accepted += 1;
    let user = shared
        .plan
        .users
        .iter()
        .find(|u| u.user_id_for_srp == pending.user_id_for_srp)
        .expect("the session's user");
    answer(
        200,
        &json!({
            "ChallengeParameters": {},
            "AuthenticationResult": {
                "AccessToken": token(user, "access"),
                "IdToken": token(user, "id"),
                "RefreshToken": random_id(),
                "ExpiresIn": 3600,
                "TokenType": "Bearer",
            }
        }),
    )
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use super::*;
    use crate::support::{aws, demo_config, endpoint, log_file, run, stderr, stdout};

    fn login(
        front: &CognitoFront,
        home: &std::path::Path,
        user: &str,
        password: &str,
    ) -> std::process::Output {
        let config = home.join("config.toml");
        let base = std::fs::read_to_string(demo_config()).unwrap();
        std::fs::write(&config, format!("{base}\n[cognito]\nauth_flow = \"srp\"\n")).unwrap();
        let mut c = Command::new(env!("CARGO_BIN_EXE_protoctl"));
        c.arg("--endpoint-url").arg(&front.url);
        c.arg("--config").arg(&config);
        c.arg("--log-file").arg(log_file("cognito-front"));
        c.env("XDG_CACHE_HOME", home.join("cache"));
        c.env_remove("PROTOCTL_NEW_PASSWORD");
        c.env("PROTOCTL_PASSWORD", password);
        c.args([
            "login",
            "--stack",
            "orders-dev",
            "--user",
            user,
            "--output",
            "json",
        ]);
        run(c)
    }

    #[test]
    fn srp_sign_in_signs_for_user_id_for_srp_and_a_wrong_password_is_refused() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let pool = rt.block_on(async {
            let ctx = aws().await;
            protoctl::aws::cloudformation::describe(&ctx, "orders-dev")
                .await
                .unwrap()
                .unwrap()
                .outputs["UserPoolId"]
                .clone()
        });
        let user = FrontUser {
            username: "dana.front@example.com".into(),
            user_id_for_srp: "3b9e6f1a-2c4d-4e5f-8a7b-6c5d4e3f2a1b".into(),
            password: "Front-Passw0rd!".into(),
        };
        let front = start(
            &endpoint(),
            CognitoPlan {
                user_pool_id: pool,
                users: vec![user.clone()],
            },
        );
        let home = std::env::temp_dir().join(format!("protoctl-it-cognito-front-{}", random_id()));
        std::fs::create_dir_all(&home).unwrap();

        let ok = login(&front, &home, &user.username, &user.password);
        assert!(ok.status.success(), "{}", stderr(&ok));
        let v: Value = serde_json::from_str(&stdout(&ok)).unwrap();
        assert_eq!(v["user"], user.username.as_str());
        assert_eq!(front.seen.lock().unwrap().accepted, 1);

        let bad = login(&front, &home, &user.username, "Front-Passw0rd?");
        assert_eq!(bad.status.code(), Some(1), "{}", stderr(&bad));
        let err = stderr(&bad);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(!err.contains("Front-Passw0rd"), "{err}");
        assert_eq!(front.seen.lock().unwrap().refused, 1);
        let _ = std::fs::remove_dir_all(&home);
    }
}
