//! `login` and `invoke` against the emulator: password and SRP sign-in, refresh, sign-in
//! errors, direct invoke whose echoed event carries the user's claims, fan-out counts,
//! the API path against a small HTTP server that verifies the JWT with the pool's JWKS,
//! the token cache's permissions, and no JWT in a trace-level log.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

use base64::Engine as _;
use num_bigint::BigUint;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::support::{aws, demo_config, endpoint, log_file, run, stderr, stdout};

const PASSWORD: &str = "Fixture-Passw0rd!";
static SEQ: AtomicU32 = AtomicU32::new(0);

/// An isolated home for one test: its own token cache, config and log file.
struct Home {
    dir: PathBuf,
    config: PathBuf,
    log: PathBuf,
}

impl Home {
    fn new(name: &str, cognito: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "protoctl-it-invoke-{name}-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let config = dir.join("config.toml");
        let base = std::fs::read_to_string(demo_config()).unwrap();
        std::fs::write(&config, format!("{base}\n[cognito]\n{cognito}\n")).unwrap();
        Self {
            log: log_file(&format!("invoke-{name}-{}", std::process::id())),
            dir,
            config,
        }
    }

    fn cmd(&self, password: Option<&str>) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_protoctl"));
        c.arg("--endpoint-url").arg(endpoint());
        c.arg("--config").arg(&self.config);
        c.arg("--log-file").arg(&self.log);
        c.env("XDG_CACHE_HOME", self.dir.join("cache"));
        c.env_remove("PROTOCTL_PASSWORD");
        c.env_remove("PROTOCTL_NEW_PASSWORD");
        if let Some(p) = password {
            c.env("PROTOCTL_PASSWORD", p);
        }
        c
    }

    fn tokens_dir(&self) -> PathBuf {
        self.dir.join("cache/protoctl/tokens")
    }

    fn cache_file(&self) -> PathBuf {
        std::fs::read_dir(self.tokens_dir())
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "json"))
            .expect("a token cache file")
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The demo pool and client, from orders-dev's outputs.
async fn demo_pool() -> (String, String) {
    let ctx = aws().await;
    let stack = protoctl::aws::cloudformation::describe(&ctx, "orders-dev")
        .await
        .unwrap()
        .unwrap();
    (
        stack.outputs["UserPoolId"].clone(),
        stack.outputs["UserPoolClientId"].clone(),
    )
}

/// A fresh confirmed user of the demo pool (a fixture no other test sees).
fn fixture_user(name: &str) -> String {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let ctx = aws().await;
        let (pool, _) = demo_pool().await;
        let user = format!(
            "it-{name}-{}-{}@example.com",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::SeqCst)
        );
        let c = ctx.cognito();
        c.admin_create_user()
            .user_pool_id(&pool)
            .username(&user)
            .message_action(aws_sdk_cognitoidentityprovider::types::MessageActionType::Suppress)
            .send()
            .await
            .unwrap();
        c.admin_set_user_password()
            .user_pool_id(&pool)
            .username(&user)
            .password(PASSWORD)
            .permanent(true)
            .send()
            .await
            .unwrap();
        user
    })
}

fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "status {:?}, stderr: {}",
        out.status,
        stderr(out)
    );
    serde_json::from_str(&stdout(out)).unwrap_or_else(|e| panic!("{e}: {}", stdout(out)))
}

fn login(home: &Home, user: &str) -> Value {
    let mut c = home.cmd(Some(PASSWORD));
    c.args([
        "login",
        "--stack",
        "orders-dev",
        "--user",
        user,
        "--output",
        "json",
    ]);
    json(&run(c))
}

fn decode_jwt_part(part: &str) -> Value {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[test]
fn password_sign_in_caches_tokens_privately() {
    let user = fixture_user("pw");
    let home = Home::new("pw", "auth_flow = \"password\"");
    let v = login(&home, &user);
    assert_eq!(v["user"], user.as_str());
    assert!(
        v.get("id_token").is_none(),
        "tokens only with --print-token"
    );
    let file = home.cache_file();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&file), 0o600, "cache file mode");
        assert_eq!(mode(&home.tokens_dir()), 0o700, "cache dir mode");
    }
    let cached: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let claims = decode_jwt_part(
        cached["id_token"]
            .as_str()
            .unwrap()
            .split('.')
            .nth(1)
            .unwrap(),
    );
    assert_eq!(claims["cognito:username"], user.as_str());
}

#[test]
fn srp_sign_in_works() {
    let user = fixture_user("srp");
    let home = Home::new("srp", "auth_flow = \"srp\"");
    let v = login(&home, &user);
    assert_eq!(v["user"], user.as_str());
    assert!(!v["sub"].as_str().unwrap().is_empty());
}

#[test]
fn wrong_password_and_unknown_user_are_one_clear_line() {
    let user = fixture_user("bad");
    let home = Home::new("bad", "auth_flow = \"password\"");
    let mut c = home.cmd(Some("Wrong-Passw0rd!"));
    c.args(["login", "--stack", "orders-dev", "--user", &user]);
    let out = run(c);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("incorrect username or password"), "{err}");
    assert!(!err.contains("Wrong-Passw0rd!"), "password echoed: {err}");

    let mut c = home.cmd(Some(PASSWORD));
    c.args([
        "login",
        "--stack",
        "orders-dev",
        "--user",
        "nobody-here@example.com",
    ]);
    let out = run(c);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("no user nobody-here@example.com"), "{err}");

    // No password and no terminal: a clear refusal, not a hang.
    let mut c = home.cmd(None);
    c.args(["login", "--stack", "orders-dev", "--user", &user]);
    c.stdin(std::process::Stdio::null());
    let out = run(c);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("PROTOCTL_PASSWORD"),
        "{}",
        stderr(&out)
    );
}

fn invoke(home: &Home, args: &[&str]) -> Output {
    let mut c = home.cmd(None);
    c.args(["invoke", "orders-dev"])
        .args(args)
        .args(["--output", "json"]);
    run(c)
}

#[test]
fn direct_invoke_event_carries_the_users_claims() {
    let user = fixture_user("direct");
    let home = Home::new("direct", "");
    login(&home, &user);
    let v = json(&invoke(
        &home,
        &[
            "create",
            "--payload",
            "{\"title\":\"hello\"}",
            "--path",
            "/items?limit=5",
            "--user",
            &user,
        ],
    ));
    assert_eq!(v["status"], 200);
    assert_eq!(v["function_error"], Value::Null);
    let event = &v["payload"];
    assert_eq!(event["httpMethod"], "POST");
    assert_eq!(event["path"], "/items");
    assert_eq!(event["queryStringParameters"]["limit"], "5");
    assert_eq!(event["body"], "{\"title\":\"hello\"}");
    assert_eq!(
        event["requestContext"]["authorizer"]["claims"]["cognito:username"],
        user.as_str()
    );
    assert_eq!(event["requestContext"]["stage"], "dev");

    // The HTTP API (v2) shape, chosen by flag.
    let v = json(&invoke(
        &home,
        &["orders-dev-list", "--event-shape", "http", "--user", &user],
    ));
    let event = &v["payload"];
    assert_eq!(event["version"], "2.0");
    assert_eq!(event["routeKey"], "GET /");
    assert_eq!(
        event["requestContext"]["authorizer"]["jwt"]["claims"]["cognito:username"],
        user.as_str()
    );
}

#[test]
fn expired_tokens_are_refreshed_before_invoking() {
    let user = fixture_user("refresh");
    let home = Home::new("refresh", "");
    login(&home, &user);
    let file = home.cache_file();
    let mut cached: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let old_id = cached["id_token"].as_str().unwrap().to_string();
    // Two minutes left: under the five-minute margin.
    cached["expires_at"] =
        Value::String((chrono::Utc::now() + chrono::Duration::minutes(2)).to_rfc3339());
    std::fs::write(&file, cached.to_string()).unwrap();

    let v = json(&invoke(&home, &["create", "--user", &user]));
    assert_eq!(
        v["payload"]["requestContext"]["authorizer"]["claims"]["cognito:username"],
        user.as_str()
    );
    let after: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let expires: chrono::DateTime<chrono::Utc> =
        after["expires_at"].as_str().unwrap().parse().unwrap();
    assert!(
        expires > chrono::Utc::now() + chrono::Duration::minutes(30),
        "refreshed expiry {expires}"
    );
    assert_ne!(after["id_token"].as_str().unwrap(), old_id, "new id token");
    assert_eq!(
        after["refresh_token"], cached["refresh_token"],
        "refresh token kept"
    );
}

#[test]
fn fan_out_counts_every_call() {
    let user = fixture_user("fan");
    let home = Home::new("fan", "");
    login(&home, &user);
    let v = json(&invoke(
        &home,
        &[
            "create",
            "--user",
            &user,
            "--count",
            "24",
            "--concurrency",
            "6",
        ],
    ));
    assert_eq!(v["count"], 24);
    assert_eq!(v["ok"], 24);
    assert_eq!(v["errors"], 0);
    assert_eq!(v["throttled"], 0);
    assert_eq!(v["cold_starts"], 0, "the emulator writes no REPORT line");
    assert_eq!(v["distinct_responses"], 1, "the echo of one event");
    let l = &v["latency_ms"];
    let (p50, p99, max) = (
        l["p50"].as_f64().unwrap(),
        l["p99"].as_f64().unwrap(),
        l["max"].as_f64().unwrap(),
    );
    assert!(p50 > 0.0 && p50 <= p99 && p99 <= max, "{l}");
}

#[test]
fn invoke_refusals_are_one_line() {
    let home = Home::new("refuse", "");
    let mut c = home.cmd(None);
    c.args(["--read-only", "invoke", "orders-dev", "create"]);
    let out = run(c);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--read-only"), "{}", stderr(&out));

    let out = invoke(&home, &["create", "--payload", "{\"a\": }"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("invalid JSON payload at line 1"), "{err}");

    let out = invoke(&home, &["create", "--user", "never-signed-in@example.com"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("protoctl login"), "{}", stderr(&out));
}

// ── The API path: a small HTTP server that verifies the JWT against the pool's JWKS ──

/// A plain HTTP GET (the emulator speaks HTTP/1.1 on 127.0.0.1).
fn http_get(url: &str) -> String {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut s = TcpStream::connect(host).unwrap();
    write!(s, "GET /{path} HTTP/1.0\r\nHost: {host}\r\n\r\n").unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    text.split_once("\r\n\r\n").unwrap().1.to_string()
}

/// RS256 verification (RSASSA-PKCS1-v1_5 with SHA-256) of `jwt` against `jwks`;
/// returns the claims when the signature holds.
fn verify_rs256(jwt: &str, jwks: &Value) -> Option<Value> {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut parts = jwt.split('.');
    let (head, body, sig_part) = (parts.next()?, parts.next()?, parts.next()?);
    let header = decode_jwt_part(head);
    if header["alg"] != "RS256" {
        return None;
    }
    let key = jwks["keys"]
        .as_array()?
        .iter()
        .find(|k| k["kid"] == header["kid"])?;
    let modulus = BigUint::from_bytes_be(&b64.decode(key["n"].as_str()?).ok()?);
    let exponent = BigUint::from_bytes_be(&b64.decode(key["e"].as_str()?).ok()?);
    let sig = BigUint::from_bytes_be(&b64.decode(sig_part).ok()?);
    let k = modulus.to_bytes_be().len();
    let em = sig.modpow(&exponent, &modulus).to_bytes_be();
    let mut em_padded = vec![0u8; k.saturating_sub(em.len())];
    em_padded.extend(em);
    let digest = Sha256::digest(format!("{head}.{body}").as_bytes());
    let prefix: [u8; 19] = [
        0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
        0x05, 0x00, 0x04, 0x20,
    ];
    let mut expected = vec![0x00, 0x01];
    expected.extend(std::iter::repeat_n(0xff, k - 3 - prefix.len() - 32));
    expected.push(0x00);
    expected.extend(prefix);
    expected.extend(digest);
    (em_padded == expected).then(|| decode_jwt_part(body))
}

/// Serves `requests` requests: 200 with `{method, path, claims}` when the bearer JWT
/// verifies against `jwks`, else 401.
fn serve(listener: &TcpListener, jwks: &Value, requests: usize) {
    for stream in listener.incoming().take(requests) {
        let mut stream = stream.unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let mut words = line.split_whitespace();
        let (method, path) = (
            words.next().unwrap_or("").to_string(),
            words.next().unwrap_or("").to_string(),
        );
        let mut auth = None;
        let mut length = 0usize;
        loop {
            let mut h = String::new();
            reader.read_line(&mut h).unwrap();
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                match k.to_ascii_lowercase().as_str() {
                    "authorization" => auth = Some(v.trim().to_string()),
                    "content-length" => length = v.trim().parse().unwrap_or(0),
                    _ => {}
                }
            }
        }
        let mut body = vec![0u8; length];
        reader.read_exact(&mut body).unwrap();
        let claims = auth
            .as_deref()
            .and_then(|t| verify_rs256(t.strip_prefix("Bearer ").unwrap_or(t), jwks));
        let (status, reply) = match claims {
            Some(c) => (
                "200 OK",
                serde_json::json!({"method": method, "path": path, "claims": c,
                                   "body": String::from_utf8_lossy(&body)}),
            ),
            None => (
                "401 Unauthorized",
                serde_json::json!({"message": "Unauthorized"}),
            ),
        };
        let reply = reply.to_string();
        write!(
            stream,
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\nx-test: verified\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
            reply.len()
        )
        .unwrap();
    }
}

fn start_api(requests: usize) -> (String, std::thread::JoinHandle<()>, Value) {
    let (pool, _) = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(demo_pool());
    let jwks: Value = serde_json::from_str(&http_get(&format!(
        "{}/{pool}/.well-known/jwks.json",
        endpoint()
    )))
    .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/dev", listener.local_addr().unwrap());
    let keys = jwks.clone();
    let handle = std::thread::spawn(move || serve(&listener, &keys, requests));
    (url, handle, jwks)
}

#[test]
fn api_invoke_sends_a_token_the_jwks_verifies() {
    let user = fixture_user("api");
    let home = Home::new("api", "");
    login(&home, &user);
    let (url, server, jwks) = start_api(2);

    // The verifier itself rejects a tampered token.
    let cached: Value =
        serde_json::from_str(&std::fs::read_to_string(home.cache_file()).unwrap()).unwrap();
    let id = cached["id_token"].as_str().unwrap();
    assert!(
        verify_rs256(id, &jwks).is_some(),
        "the pool's own token verifies"
    );
    let mut parts: Vec<&str> = id.split('.').collect();
    let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(br#"{"cognito:username":"mallory"}"#);
    parts[1] = &forged;
    assert!(
        verify_rs256(&parts.join("."), &jwks).is_none(),
        "forgery rejected"
    );

    let v = json(&invoke(
        &home,
        &[
            "--via",
            "api",
            "--api-url",
            &url,
            "--method",
            "PUT",
            "--path",
            "/items/42?x=1",
            "--payload",
            "{\"n\":1}",
            "--header",
            "x-extra: yes",
            "--user",
            &user,
        ],
    ));
    assert_eq!(v["status"], 200, "{v}");
    assert_eq!(v["payload"]["method"], "PUT");
    assert_eq!(v["payload"]["path"], "/dev/items/42?x=1");
    assert_eq!(v["payload"]["body"], "{\"n\":1}");
    assert_eq!(v["payload"]["claims"]["cognito:username"], user.as_str());
    assert_eq!(v["headers"]["x-test"], "verified");
    assert!(v["latency_ms"].as_f64().unwrap() > 0.0);

    // A request without a valid token is refused by the server: the CLI says so (exit 1).
    let mut c = home.cmd(None);
    c.env("XDG_CACHE_HOME", home.dir.join("empty-cache"));
    c.args([
        "invoke",
        "orders-dev",
        "--via",
        "api",
        "--api-url",
        &url,
        "--user",
        &user,
    ]);
    let out = run(c);
    assert_eq!(out.status.code(), Some(1), "not signed in there");
    // Let the server finish with one unauthenticated request.
    let mut s =
        TcpStream::connect(url.trim_start_matches("http://").split('/').next().unwrap()).unwrap();
    write!(s, "GET /dev HTTP/1.0\r\n\r\n").unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 401"), "{reply}");
    server.join().unwrap();
}

#[test]
fn no_token_or_password_reaches_a_trace_log() {
    let user = fixture_user("trace");
    let home = Home::new("trace", "");
    let (url, server, _) = start_api(1);
    let trace = |mut c: Command| {
        c.env("PROTOCTL_LOG", "trace");
        c
    };
    let mut c = trace(home.cmd(Some(PASSWORD)));
    c.args(["login", "--stack", "orders-dev", "--user", &user]);
    assert!(run(c).status.success());
    for args in [
        vec!["create", "--user", &user],
        vec!["create", "--user", &user, "--count", "5"],
        vec!["--via", "api", "--api-url", &url, "--user", &user],
    ] {
        let mut c = trace(home.cmd(None));
        c.args(["invoke", "orders-dev"]).args(&args);
        let out = run(c);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
    server.join().unwrap();
    let log = std::fs::read_to_string(&home.log).unwrap();
    assert!(
        log.contains("TRACE") || log.contains("DEBUG"),
        "trace level was on"
    );
    assert!(
        !log.contains("eyJ"),
        "a JWT reached the log file {}",
        home.log.display()
    );
    assert!(!log.contains(PASSWORD), "the password reached the log file");
}

/// The console: from the stack detail, sign in once, call the function, fan out 100 calls.
#[test]
fn console_signs_in_calls_and_fans_out() {
    let user = fixture_user("e2e");
    let t = crate::e2e::Tmux::start("invoke", &[]);
    t.wait_for("orders-dev");
    t.send(&["/"]);
    t.send(&["-l", "orders"]);
    t.send(&["Enter"]);
    t.wait_for("filter: orders");
    t.send(&["Enter"]);
    t.wait_for("CreateLambdaFunction");
    t.send(&["i"]);
    t.wait_for("Invoke · orders-dev");
    t.send(&["-l", &user]);
    t.send(&["Enter"]);
    t.send(&["-l", PASSWORD]);
    let screen = t.wait_for("••••");
    assert!(!screen.contains(PASSWORD), "password on screen:\n{screen}");
    t.send(&["Enter"]);
    t.wait_for("signed in");
    // Tab to the payload, type an invalid then a valid JSON body.
    for _ in 0..4 {
        t.send(&["Tab"]);
    }
    t.send(&["-l", "{\"title\":"]);
    t.wait_for("invalid JSON payload");
    t.send(&["-l", "\"from-e2e\"}"]);
    t.wait_for("valid JSON");
    t.send(&["C-r"]);
    let screen = t.wait_for("status 200");
    assert!(screen.contains("\"resource\""), "{screen}");
    t.send(&["C-f"]);
    let screen = t.wait_for("ok 100");
    assert!(screen.contains("distinct responses 1"), "{screen}");
    assert!(screen.contains("p50"), "{screen}");
    t.send(&["Escape"]);
    t.wait_for("Resources (");
    t.send(&["q"]);
    assert_eq!(t.wait_exit(), 0);
}

#[test]
fn new_password_required_is_answered() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let user = rt.block_on(async {
        let ctx = aws().await;
        let (pool, _) = demo_pool().await;
        let user = format!(
            "it-newpw-{}-{}@example.com",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::SeqCst)
        );
        ctx.cognito()
            .admin_create_user()
            .user_pool_id(&pool)
            .username(&user)
            .temporary_password("Temp-Passw0rd!")
            .message_action(aws_sdk_cognitoidentityprovider::types::MessageActionType::Suppress)
            .send()
            .await
            .unwrap();
        user
    });
    let home = Home::new("newpw", "auth_flow = \"password\"");
    // Without a new password and no terminal: a clear refusal.
    let mut c = home.cmd(Some("Temp-Passw0rd!"));
    c.args(["login", "--stack", "orders-dev", "--user", &user]);
    c.stdin(std::process::Stdio::null());
    let out = run(c);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("PROTOCTL_NEW_PASSWORD"),
        "{}",
        stderr(&out)
    );

    let mut c = home.cmd(Some("Temp-Passw0rd!"));
    c.env("PROTOCTL_NEW_PASSWORD", PASSWORD);
    c.args([
        "login",
        "--stack",
        "orders-dev",
        "--user",
        &user,
        "--output",
        "json",
    ]);
    let v = json(&run(c));
    assert_eq!(v["user"], user.as_str());
    // The new password now signs in directly.
    let v = login(&home, &user);
    assert_eq!(v["user"], user.as_str());
}
