//! Shared helpers: the emulator's URL, the binary, the demo config, AWS clients.

use std::path::PathBuf;
use std::process::{Command, Output};

/// The emulator URL; fails loudly (never skips) when the suite runs without it.
pub fn endpoint() -> String {
    std::env::var("PROTOCTL_TEST_ENDPOINT").unwrap_or_else(|_| {
        panic!(
            "PROTOCTL_TEST_ENDPOINT is not set: run the suite with scripts/test, which installs \
             and starts the moto emulator and seeds the demo data"
        )
    })
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The demo config (discovery tags `protoctl:prototype=true`, `team=proto-lab`).
pub fn demo_config() -> PathBuf {
    root().join("assets/demo/config.toml")
}

/// A `protoctl` command aimed at the emulator with the demo config.
pub fn protoctl() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_protoctl"));
    c.arg("--endpoint-url").arg(endpoint());
    c.arg("--config").arg(demo_config());
    c.arg("--log-file").arg(log_file("protoctl"));
    c
}

/// A log file path under the test log dir.
pub fn log_file(name: &str) -> PathBuf {
    let dir = std::env::var("PROTOCTL_TEST_LOG_DIR").map_or_else(
        |_| std::env::temp_dir().join("protoctl-test-logs"),
        PathBuf::from,
    );
    let _ = std::fs::create_dir_all(&dir);
    dir.join(format!("{name}.log"))
}

/// Runs a command and returns its output.
pub fn run(mut c: Command) -> Output {
    c.output().expect("run protoctl")
}

/// Stdout as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[allow(dead_code)]
/// An `AwsContext` on the emulator, for creating fixtures through the AWS APIs.
pub async fn aws() -> protoctl::aws::AwsContext {
    protoctl::aws::AwsContext::load(&protoctl::aws::AwsOptions {
        endpoint_url: Some(endpoint()),
        region: Some("us-east-1".into()),
        ..Default::default()
    })
    .await
    .expect("aws context")
}
