//! Reliability: every headless command through the fault-injecting proxy, bad input, and a
//! console that keeps answering keys while every request hangs.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::e2e::Tmux;
use crate::faults::{self, FaultPlan};
use crate::support::{demo_config, endpoint, log_file, stderr, stdout};

/// A config with the demo's discovery tags (plus `owner`, which only the demo stacks carry, so
/// fixtures other tests create meanwhile do not change the output) and short timeouts.
fn fault_config(name: &str, op_timeout: &str, attempt_timeout: &str, attempts: u32) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("protoctl-faults-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(
        &path,
        format!(
            "[discovery]\ntags = [\"protoctl:prototype=true\", \"team=proto-lab\", \"owner\"]\n\n[aws]\noperation_timeout = \"{op_timeout}\"\nattempt_timeout = \"{attempt_timeout}\"\nmax_attempts = {attempts}\n"
        ),
    )
    .unwrap();
    path
}

fn run_via(url: &str, config: &PathBuf, args: &[&str]) -> (Output, Duration) {
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_protoctl"))
        .arg("--endpoint-url")
        .arg(url)
        .arg("--config")
        .arg(config)
        .arg("--log-file")
        .arg(log_file("faults"))
        // A pinned clock: table ages must not differ between two runs.
        .args(["--now", "2030-01-01T00:00:00Z"])
        .args(args)
        .output()
        .unwrap();
    (out, start.elapsed())
}

/// The headless commands checked under faults, each with the output to compare.
pub fn commands() -> Vec<Vec<&'static str>> {
    vec![
        vec!["stacks", "--output", "json"],
        vec!["stacks"],
        vec!["resources", "orders-dev", "--output", "json"],
        vec!["items", "orders-dev", "--output", "json"],
        vec!["objects", "orders-dev", "--recursive", "--output", "json"],
        vec![
            "get-object",
            "orders-dev",
            "notes/readme.txt",
            "--bucket",
            "orders-dev-data-123456789012",
        ],
        vec![
            "logs",
            "orders-dev",
            "--since",
            "2000-01-01T00:00:00Z",
            "--output",
            "json",
        ],
        vec!["teardown", "orders-dev", "--output", "json"],
    ]
}

/// Runs of each command under 20% faults.
const RUNS: u64 = 8;

#[test]
fn twenty_percent_faults_give_identical_results() {
    let config = fault_config("twenty", "120s", "10s", 10);
    let mut total_requests = 0;
    let mut total_faults = 0;
    for (i, args) in commands().into_iter().enumerate() {
        let (clean, _) = run_via(&endpoint(), &config, &args);
        assert!(clean.status.success(), "{args:?}: {}", stderr(&clean));
        // Several runs, each with its own fault sequence, so every kind of fault is met.
        for run in 0..RUNS {
            let proxy = faults::start(&endpoint(), FaultPlan::mixed(0.2), 1000 * i as u64 + run);
            let (faulty, _) = run_via(&proxy.url, &config, &args);
            assert!(
                faulty.status.success(),
                "{args:?} under faults: {}",
                stderr(&faulty)
            );
            assert_eq!(
                stdout(&clean),
                stdout(&faulty),
                "{args:?}: output differs under faults"
            );
            total_requests += proxy
                .counters
                .requests
                .load(std::sync::atomic::Ordering::SeqCst);
            total_faults += proxy
                .counters
                .faults
                .load(std::sync::atomic::Ordering::SeqCst);
        }
    }
    eprintln!(
        "fault suite: {total_requests} requests, {total_faults} faults injected, results identical"
    );
    assert!(
        total_faults > 0,
        "the proxy injected no fault: the test proves nothing"
    );
}

#[test]
fn every_request_failing_exits_with_one_line() {
    let config = fault_config("all", "20s", "5s", 2);
    for kind in ["server_error", "throttle", "slow_down", "reset"] {
        let mut plan = FaultPlan::default();
        match kind {
            "server_error" => plan.server_error = 1.0,
            "throttle" => plan.throttle = 1.0,
            "slow_down" => plan.slow_down = 1.0,
            _ => plan.reset = 1.0,
        }
        let proxy = faults::start(&endpoint(), plan, 7);
        for args in commands() {
            let (out, took) = run_via(&proxy.url, &config, &args);
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(1), "{kind} {args:?}: {err}");
            assert_eq!(
                err.trim_end().lines().count(),
                1,
                "{kind} {args:?}: one line: {err}"
            );
            assert!(err.starts_with("protoctl: "), "{err}");
            assert!(!err.contains("panicked"), "{err}");
            assert!(
                took < Duration::from_secs(60),
                "{kind} {args:?} took {took:?}"
            );
        }
    }
}

#[test]
fn hanging_endpoint_times_out_with_a_hint() {
    let config = fault_config("hang", "3s", "1s", 2);
    let proxy = faults::start(
        &endpoint(),
        FaultPlan {
            hang: true,
            ..FaultPlan::default()
        },
        1,
    );
    let (out, took) = run_via(&proxy.url, &config, &["stacks"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("timed out"), "{}", stderr(&out));
    assert!(took < Duration::from_secs(20), "took {took:?}");
}

#[test]
fn console_answers_keys_while_requests_hang() {
    let proxy = faults::start(
        &endpoint(),
        FaultPlan {
            hang: true,
            ..FaultPlan::default()
        },
        1,
    );
    let config = fault_config("hang-tui", "600s", "300s", 1);
    let t = Tmux::start_with("hang", &proxy.url, &config, &[]);
    t.wait_for("Discovering prototype stacks");
    let started = Instant::now();
    t.send(&["j"]);
    t.send(&["?"]);
    t.wait_for("Keys (any key closes)");
    t.send(&["Escape"]);
    t.wait_gone("Keys (any key closes)");
    t.send(&[":"]);
    t.wait_for("Command (enter run");
    t.send(&["Escape"]);
    t.wait_gone("Command (enter run");
    t.send(&["q"]);
    assert_eq!(t.wait_exit(), 0);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "keys took {:?}",
        started.elapsed()
    );
}

#[test]
fn bad_config_is_named_with_file_line_and_key() {
    let dir = std::env::temp_dir().join(format!("protoctl-badcfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        (
            "unknown.toml",
            "[discovery]\ntags = []\ncolour = \"red\"\n",
            "line 3",
            "`colour`",
        ),
        (
            "mistyped.toml",
            "[logs]\nbuffer = \"lots\"\n",
            "line 2",
            "`buffer`",
        ),
        ("syntax.toml", "[aws\nregion = 1\n", "line 1", ""),
        (
            "keys.toml",
            "[keys.global]\n\"q\" = \"explode\"\n",
            "line 2",
            "unknown command",
        ),
    ];
    for (name, text, line, key) in cases {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_protoctl"))
            .args(["--endpoint-url", &endpoint(), "--config"])
            .arg(&path)
            .arg("stacks")
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{name}: {err}");
        assert!(
            err.contains(name) && err.contains(line) && err.contains(key),
            "{name}: {err}"
        );
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    }
}

#[test]
fn missing_credentials_say_what_to_do() {
    let empty = std::env::temp_dir().join("protoctl-no-such-aws-file");
    let out = Command::new(env!("CARGO_BIN_EXE_protoctl"))
        .args(["--endpoint-url", &endpoint(), "--config"])
        .arg(demo_config())
        .arg("stacks")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", &empty)
        .env("AWS_SHARED_CREDENTIALS_FILE", &empty)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("credentials"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn expired_credentials_say_what_to_do() {
    let proxy = faults::start(
        &endpoint(),
        FaultPlan {
            expired: true,
            ..FaultPlan::default()
        },
        1,
    );
    let config = fault_config("expired", "20s", "5s", 3);
    let (out, _) = run_via(&proxy.url, &config, &["stacks"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("ExpiredToken") && err.contains("aws sso login"),
        "{err}"
    );
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        vec!["--tag", "=x", "stacks"],
        vec!["stacks", "--output", "yaml"],
        vec!["no-such-command"],
        vec!["resources"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_protoctl"))
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"));
    }
}
