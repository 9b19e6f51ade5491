//! `login` (SRP) and `invoke` through the fault proxy, which sits in front of the SRP front
//! (`cognito_front.rs`), which forwards everything else to the emulator: per fault kind, a
//! run with some requests failing ends exactly as a clean run or stops with one line, a run
//! with every request failing stops with one line (exit 1), and no token or password reaches
//! stdout, stderr or a trace-level log.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

use crate::cognito_front::{self, CognitoFront, CognitoPlan, FrontUser};
use crate::faults::{self, FaultPlan};
use crate::support::{aws, demo_config, endpoint, stderr, stdout};
use crate::write_paths::block;

const PASSWORD: &str = "Fault-Passw0rd!";

/// Some requests failing (a retry gets through) at 30%.
const SOME: f64 = 0.3;

/// Each fault kind: its name, a plan failing some requests (none for expired credentials,
/// which fail every one) and a plan failing every request.
fn kinds() -> Vec<(&'static str, Option<FaultPlan>, FaultPlan)> {
    let d = FaultPlan::default;
    vec![
        (
            "503",
            Some(FaultPlan {
                slow_down: SOME,
                ..d()
            }),
            FaultPlan {
                slow_down: 1.0,
                ..d()
            },
        ),
        (
            "throttling",
            Some(FaultPlan {
                throttle: SOME,
                ..d()
            }),
            FaultPlan {
                throttle: 1.0,
                ..d()
            },
        ),
        (
            "500",
            Some(FaultPlan {
                server_error: SOME,
                ..d()
            }),
            FaultPlan {
                server_error: 1.0,
                ..d()
            },
        ),
        (
            "reset",
            Some(FaultPlan { reset: SOME, ..d() }),
            FaultPlan { reset: 1.0, ..d() },
        ),
        (
            "short body",
            Some(FaultPlan {
                truncate: SOME,
                ..d()
            }),
            FaultPlan {
                truncate: 1.0,
                ..d()
            },
        ),
        (
            "stall",
            Some(FaultPlan { stall: SOME, ..d() }),
            FaultPlan { hang: true, ..d() },
        ),
        (
            "expired",
            None,
            FaultPlan {
                expired: true,
                ..d()
            },
        ),
    ]
}

/// A private home: token cache, two configs (patient and impatient) and a trace log.
struct Home {
    dir: PathBuf,
    front: CognitoFront,
    user: String,
}

impl Home {
    fn new(name: &str) -> Self {
        let pool = block(async {
            protoctl::aws::cloudformation::describe(&aws().await, "orders-dev")
                .await
                .unwrap()
                .unwrap()
                .outputs["UserPoolId"]
                .clone()
        });
        let user = format!("{name}.faults@example.com");
        let front = cognito_front::start(
            &endpoint(),
            CognitoPlan {
                user_pool_id: pool,
                users: vec![FrontUser {
                    username: user.clone(),
                    user_id_for_srp: "6f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0".into(),
                    password: PASSWORD.into(),
                }],
            },
        );
        let dir = std::env::temp_dir().join(format!(
            "protoctl-it-auth-faults-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let base = std::fs::read_to_string(demo_config()).unwrap();
        for (file, aws) in [
            (
                "patient.toml",
                "max_attempts = 10\noperation_timeout = \"30s\"\nattempt_timeout = \"2s\"",
            ),
            (
                "impatient.toml",
                "max_attempts = 2\noperation_timeout = \"3s\"\nattempt_timeout = \"1s\"",
            ),
        ] {
            std::fs::write(
                dir.join(file),
                format!("{base}\n[cognito]\nauth_flow = \"srp\"\n[aws]\n{aws}\n"),
            )
            .unwrap();
        }
        Self { dir, front, user }
    }

    fn log(&self) -> PathBuf {
        self.dir.join("trace.log")
    }

    fn run(&self, url: &str, patient: bool, args: &[&str]) -> Output {
        let config = self.dir.join(if patient {
            "patient.toml"
        } else {
            "impatient.toml"
        });
        let mut c = Command::new(env!("CARGO_BIN_EXE_protoctl"));
        c.arg("--endpoint-url").arg(url);
        c.arg("--config").arg(config);
        c.arg("--log-file").arg(self.log());
        c.env("XDG_CACHE_HOME", self.dir.join("cache"));
        c.env("PROTOCTL_LOG", "trace");
        c.env("PROTOCTL_PASSWORD", PASSWORD);
        c.env_remove("PROTOCTL_NEW_PASSWORD");
        c.args(args).args(["--output", "json"]);
        c.output().unwrap()
    }

    fn login(&self, url: &str, patient: bool) -> Output {
        self.run(
            url,
            patient,
            &["login", "--stack", "orders-dev", "--user", &self.user],
        )
    }

    fn invoke(&self, url: &str, patient: bool) -> Output {
        self.run(
            url,
            patient,
            &[
                "invoke",
                "orders-dev",
                "create",
                "--payload",
                "{\"n\":1}",
                "--user",
                &self.user,
            ],
        )
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The JSON output without what differs between two clean runs (times, ids, latencies).
fn stable(out: &Output) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                for k in [
                    "expires_at",
                    "latency_ms",
                    "duration_ms",
                    "headers",
                    "requestId",
                    "requestTimeEpoch",
                    "timeEpoch",
                ] {
                    m.remove(k);
                }
                m.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut v: Value =
        serde_json::from_str(&stdout(out)).unwrap_or_else(|e| panic!("{e}: {}", stdout(out)));
    strip(&mut v);
    v
}

fn no_secret(what: &str, text: &str) {
    assert!(!text.contains("eyJ"), "a JWT in {what}: {text}");
    assert!(!text.contains(PASSWORD), "the password in {what}");
}

/// One line on stderr, exit 1, no panic, no secret.
fn clean_stop(what: &str, out: &Output) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "{what}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{what}: {err}");
    assert!(err.starts_with("protoctl: "), "{what}: {err}");
    assert!(!err.contains("panicked"), "{what}: {err}");
}

/// Which runs of each fault kind: some requests failing (identical or a clean stop), or
/// every request failing (a clean stop).
#[derive(Clone, Copy, PartialEq)]
enum Share {
    Some,
    All,
}

/// Runs `call` through each kind of fault at `share`. Returns how many runs stopped.
fn through_every_fault(
    home: &Home,
    clean: &Value,
    share: Share,
    call: impl Fn(&str, bool) -> Output,
) -> usize {
    let mut stopped = 0;
    for (seed, (kind, some, all)) in kinds().into_iter().enumerate() {
        if let (Some(plan), Share::Some) = (some, share) {
            // A seed whose run meets at least one fault (a few requests at 30% may meet none).
            for attempt in 0..4_u64 {
                let proxy = faults::start(&home.front.url, plan, 900 + 10 * attempt + seed as u64);
                let out = call(&proxy.url, true);
                let injected = proxy
                    .counters
                    .faults
                    .load(std::sync::atomic::Ordering::SeqCst);
                drop(proxy);
                no_secret(kind, &format!("{}{}", stdout(&out), stderr(&out)));
                if out.status.success() {
                    assert_eq!(&stable(&out), clean, "{kind}: not the clean run's result");
                } else {
                    stopped += 1;
                    clean_stop(kind, &out);
                }
                eprintln!(
                    "{kind}: {injected} fault(s) injected, exit {:?} {}",
                    out.status.code(),
                    stderr(&out).trim()
                );
                if injected > 0 {
                    break;
                }
            }
        }
        if share == Share::Some {
            continue;
        }
        stopped += 1;
        let proxy = faults::start(&home.front.url, all, 950 + seed as u64);
        let out = call(&proxy.url, false);
        drop(proxy);
        no_secret(kind, &format!("{}{}", stdout(&out), stderr(&out)));
        clean_stop(&format!("{kind} on every request"), &out);
    }
    let log = std::fs::read_to_string(home.log()).unwrap_or_default();
    assert!(
        log.contains("TRACE") || log.contains("DEBUG"),
        "trace was on"
    );
    no_secret("the trace log", &log);
    stopped
}

/// A home signed in through the front, and the clean run's result of `call`.
fn clean_run(name: &str, call: fn(&Home, &str, bool) -> Output) -> (Home, Value) {
    let home = Home::new(name);
    let signed_in = home.login(&home.front.url, true);
    assert!(signed_in.status.success(), "{}", stderr(&signed_in));
    let out = call(&home, &home.front.url, true);
    assert!(out.status.success(), "{}", stderr(&out));
    let clean = stable(&out);
    (home, clean)
}

#[test]
fn login_with_some_requests_failing_ends_as_a_clean_run() {
    let (home, clean) = clean_run("login-some", Home::login);
    assert_eq!(clean["user"], home.user.as_str());
    let stopped = through_every_fault(&home, &clean, Share::Some, |url, patient| {
        home.login(url, patient)
    });
    eprintln!("login: {stopped} partial run(s) stopped");
}

#[test]
fn login_with_every_request_failing_stops_with_one_line() {
    let (home, clean) = clean_run("login-all", Home::login);
    through_every_fault(&home, &clean, Share::All, |url, patient| {
        home.login(url, patient)
    });
}

#[test]
fn invoke_with_some_requests_failing_ends_as_a_clean_run() {
    let (home, clean) = clean_run("invoke-some", Home::invoke);
    assert_eq!(clean["status"], 200);
    let stopped = through_every_fault(&home, &clean, Share::Some, |url, patient| {
        home.invoke(url, patient)
    });
    eprintln!("invoke: {stopped} partial run(s) stopped");
}

#[test]
fn invoke_with_every_request_failing_stops_with_one_line() {
    let (home, clean) = clean_run("invoke-all", Home::invoke);
    through_every_fault(&home, &clean, Share::All, |url, patient| {
        home.invoke(url, patient)
    });
    // The cached tokens survived every failed call.
    let again = home.invoke(&home.front.url, true);
    assert_eq!(stable(&again), clean);
}
