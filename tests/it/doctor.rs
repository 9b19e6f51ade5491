//! `protoctl doctor` against the emulator: a sound set-up passes, and each broken one
//! (no credentials, expired credentials, a mistyped region, a bad config file, tags that
//! match nothing, a denied permission, an expired SSO session) fails with its fix.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::faults::{self, FaultPlan};
use crate::support::{demo_config, endpoint, log_file, protoctl, run, stderr, stdout};

/// A doctor run in a terminal that can do everything, with `extra` arguments.
fn doctor(mut c: Command, extra: &[&str]) -> (bool, Vec<Value>) {
    c.env("TERM", "xterm-256color")
        .env_remove("TERM_PROGRAM")
        .env_remove("NO_COLOR")
        .env_remove("TMUX")
        .args(extra)
        .args(["doctor", "--output", "json"]);
    let out = run(c);
    let checks: Value = serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| {
        panic!(
            "doctor JSON: {e}\nstdout: {}\nstderr: {}",
            stdout(&out),
            stderr(&out)
        )
    });
    (out.status.success(), checks.as_array().unwrap().clone())
}

fn check<'a>(checks: &'a [Value], name: &str) -> &'a Value {
    checks
        .iter()
        .find(|c| c["check"] == name)
        .unwrap_or_else(|| panic!("no {name} check in {checks:#?}"))
}

fn failed(checks: &[Value]) -> Vec<String> {
    checks
        .iter()
        .filter(|c| c["ok"] == false)
        .map(|c| c["check"].as_str().unwrap().to_string())
        .collect()
}

fn bare_protoctl(endpoint: &str, config: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_protoctl"));
    c.arg("--endpoint-url").arg(endpoint);
    c.arg("--config").arg(config);
    c.arg("--log-file").arg(log_file("doctor"));
    c
}

#[test]
fn a_sound_set_up_passes_every_check() {
    let (ok, checks) = doctor(protoctl(), &[]);
    assert!(ok, "failed: {:?}\n{checks:#?}", failed(&checks));
    for c in &checks {
        for field in ["check", "ok", "detail", "fix"] {
            assert!(c.get(field).is_some(), "{field} missing: {c}");
        }
    }
    assert!(
        check(&checks, "credentials")["detail"]
            .as_str()
            .unwrap()
            .contains("123456789012")
    );
    assert!(
        check(&checks, "discovery")["detail"]
            .as_str()
            .unwrap()
            .contains("stacks carry")
    );
    assert_eq!(check(&checks, "permissions:read")["ok"], true);
    for name in [
        "config",
        "region",
        "endpoint",
        "sso",
        "terminal:colours",
        "terminal:osc52",
        "terminal:mouse",
    ] {
        assert_eq!(check(&checks, name)["ok"], true, "{name}");
    }
}

#[test]
fn no_credentials_fail_with_how_to_get_some() {
    let home = tempfile_dir("doctor-nocreds");
    std::fs::write(home.join("config"), "").unwrap();
    std::fs::write(home.join("credentials"), "").unwrap();
    let mut c = protoctl();
    c.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", home.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials"))
        .env("HOME", &home);
    let (ok, checks) = doctor(c, &[]);
    assert!(!ok);
    let creds = check(&checks, "credentials");
    assert_eq!(creds["ok"], false, "{creds}");
    assert!(
        creds["fix"].as_str().unwrap().contains("aws configure"),
        "{creds}"
    );
    assert!(
        failed(&checks).iter().all(|f| f == "credentials"),
        "{:?}",
        failed(&checks)
    );
}

#[test]
fn expired_credentials_say_so() {
    let proxy = faults::start(
        &endpoint(),
        FaultPlan {
            expired: true,
            ..FaultPlan::default()
        },
        1,
    );
    let (ok, checks) = doctor(bare_protoctl(&proxy.url, &demo_config()), &[]);
    assert!(!ok);
    let creds = check(&checks, "credentials");
    assert_eq!(creds["ok"], false);
    assert!(
        creds["detail"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("expired"),
        "{creds}"
    );
}

#[test]
fn an_endpoint_that_does_not_answer_says_to_start_it() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let (ok, checks) = doctor(bare_protoctl(&url, &demo_config()), &[]);
    assert!(!ok);
    let e = check(&checks, "endpoint");
    assert_eq!(e["ok"], false, "{e}");
    assert!(
        e["fix"].as_str().unwrap().contains("start the emulator"),
        "{e}"
    );
    assert!(
        failed(&checks).iter().all(|f| f == "endpoint"),
        "{:?}",
        failed(&checks)
    );
}

#[test]
fn a_mistyped_region_suggests_the_right_one() {
    let (ok, checks) = doctor(protoctl(), &["--region", "us-eats-1"]);
    assert!(!ok);
    let region = check(&checks, "region");
    assert_eq!(region["ok"], false);
    assert!(
        region["fix"].as_str().unwrap().contains("us-east-1"),
        "{region}"
    );
    assert!(
        region["detail"].as_str().unwrap().contains("--region"),
        "{region}"
    );
}

#[test]
fn a_bad_config_file_names_its_line_and_the_rest_still_runs() {
    let dir = tempfile_dir("doctor-badconfig");
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        "[discovery]\ntags = [\"protoctl:prototype=true\"]\ncolour = \"blue\"\n",
    )
    .unwrap();
    let (ok, checks) = doctor(bare_protoctl(&endpoint(), &path), &[]);
    assert!(!ok);
    let config = check(&checks, "config");
    assert_eq!(config["ok"], false);
    assert!(
        config["detail"].as_str().unwrap().contains("line 3"),
        "{config}"
    );
    assert!(
        config["fix"].as_str().unwrap().contains("line 3 of"),
        "{config}"
    );
    assert_eq!(check(&checks, "credentials")["ok"], true);
}

#[test]
fn tags_that_match_nothing_say_how_many_stacks_there_are() {
    let (ok, checks) = doctor(protoctl(), &["--tag", "owner=nobody-at-all"]);
    assert!(!ok);
    let d = check(&checks, "discovery");
    assert_eq!(d["ok"], false);
    assert!(d["detail"].as_str().unwrap().contains("none of the"), "{d}");
    assert!(d["fix"].as_str().unwrap().contains("--tag"), "{d}");
    assert_eq!(failed(&checks), ["discovery"]);
}

#[test]
fn a_denied_permission_names_the_policy_to_attach() {
    let proxy = faults::start(
        &endpoint(),
        FaultPlan {
            deny: Some("DescribeLogGroups"),
            ..FaultPlan::default()
        },
        1,
    );
    let (ok, checks) = doctor(bare_protoctl(&proxy.url, &demo_config()), &[]);
    assert!(!ok);
    let p = check(&checks, "permissions:read");
    assert_eq!(p["ok"], false, "{p}");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("logs:DescribeLogGroups"),
        "{p}"
    );
    assert!(
        p["fix"].as_str().unwrap().contains("assets/iam/read.json"),
        "{p}"
    );
}

#[test]
fn an_expired_sso_session_says_to_log_in_again() {
    let home = tempfile_dir("doctor-sso");
    let cache = home.join(".aws/sso/cache");
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::write(
        home.join("config"),
        "[profile corp]\nsso_session = corp\nregion = us-east-1\n\n[sso-session corp]\nsso_start_url = https://corp.example/start\nsso_region = us-east-1\n",
    )
    .unwrap();
    std::fs::write(
        cache.join("token.json"),
        r#"{"startUrl":"https://corp.example/start","region":"us-east-1","accessToken":"x","expiresAt":"2020-01-01T00:00:00Z"}"#,
    )
    .unwrap();
    let mut c = protoctl();
    c.env("AWS_CONFIG_FILE", home.join("config"))
        .env("HOME", &home);
    let (ok, checks) = doctor(c, &["--profile", "corp"]);
    assert!(!ok);
    let sso = check(&checks, "sso");
    assert_eq!(sso["ok"], false, "{sso}");
    assert_eq!(sso["fix"], "run `aws sso login --profile corp`");
}

#[test]
fn the_table_lists_each_check_and_its_fix() {
    let mut c = protoctl();
    c.env("TERM", "dumb").args(["doctor"]);
    let out = run(c);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("CHECK") && text.contains("FIX"), "{text}");
    assert!(text.contains("terminal:colours"), "{text}");
}

fn tempfile_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("protoctl-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
