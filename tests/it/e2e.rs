//! End to end: the real binary in a private tmux server against the emulator.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::{demo_config, endpoint, log_file};

/// A private tmux server (`tmux -L <name>`), killed when dropped.
pub struct Tmux {
    socket: String,
    pub exit_file: PathBuf,
}

/// How long to wait for a screen: generous, and scaled up on CI.
pub fn patience() -> Duration {
    let base = Duration::from_secs(20);
    if std::env::var_os("CI").is_some() {
        base * 3
    } else {
        base
    }
}

impl Tmux {
    /// Starts `protoctl <args>` in a new 120x36 session; its exit code goes to `exit_file`.
    pub fn start(name: &str, args: &[&str]) -> Self {
        Self::start_with(name, &endpoint(), &demo_config(), args)
    }

    /// Like [`Tmux::start`] against another endpoint and config.
    pub fn start_with(name: &str, endpoint: &str, config: &std::path::Path, args: &[&str]) -> Self {
        Self::start_env(name, endpoint, config, &[], args)
    }

    /// Like [`Tmux::start_with`], with extra environment variables for protoctl.
    pub fn start_env(
        name: &str,
        endpoint: &str,
        config: &std::path::Path,
        env: &[(&str, PathBuf)],
        args: &[&str],
    ) -> Self {
        let socket = format!("protoctl-e2e-{name}-{}", std::process::id());
        let exit_file = std::env::temp_dir().join(format!("{socket}.exit"));
        let _ = std::fs::remove_file(&exit_file);
        let bin = env!("CARGO_BIN_EXE_protoctl");
        let mut cmd = String::new();
        for (k, v) in env {
            cmd.push_str(&format!("{k}={} ", v.display()));
        }
        cmd.push_str(&format!(
            "{bin} --endpoint-url {} --config {} --log-file {}",
            endpoint,
            config.display(),
            log_file(&format!("e2e-{name}")).display()
        ));
        for a in args {
            cmd.push(' ');
            cmd.push_str(a);
        }
        let shell = format!("{cmd}; echo $? > {}; sleep 30", exit_file.display());
        let status = Command::new("tmux")
            .args([
                "-L",
                &socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                "120",
                "-y",
                "36",
                "sh",
                "-c",
                &shell,
            ])
            .env("TERM", "xterm-256color")
            .status()
            .expect("tmux must be installed for the end-to-end tests");
        assert!(status.success(), "tmux new-session failed");
        Self { socket, exit_file }
    }

    /// The visible screen as text.
    pub fn capture(&self) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p"])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Sends keys (tmux key names: "Enter", "Escape", "q", ...).
    pub fn send(&self, keys: &[&str]) {
        let status = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys"])
            .args(keys)
            .status()
            .expect("send-keys");
        assert!(status.success());
    }

    /// Waits until the screen contains `needle`; panics with the screen on timeout.
    pub fn wait_for(&self, needle: &str) -> String {
        let deadline = Instant::now() + patience();
        loop {
            let screen = self.capture();
            if screen.contains(needle) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {needle:?}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until `needle` is no longer on the screen (an ESC must not merge with the next
    /// key into alt-KEY, so tests wait for its effect before typing on).
    pub fn wait_gone(&self, needle: &str) {
        let deadline = Instant::now() + patience();
        while self.capture().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "{needle:?} stayed on screen:\n{}",
                self.capture()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for the program to exit and returns its exit code.
    pub fn wait_exit(&self) -> i32 {
        let deadline = Instant::now() + patience();
        loop {
            if let Ok(text) = std::fs::read_to_string(&self.exit_file)
                && let Ok(code) = text.trim().parse()
            {
                return code;
            }
            assert!(
                Instant::now() < deadline,
                "protoctl did not exit; screen:\n{}",
                self.capture()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
        let _ = std::fs::remove_file(&self.exit_file);
    }
}

#[test]
fn palette_switches_region_and_back() {
    let t = Tmux::start("palette", &[]);
    t.wait_for("orders-dev");
    t.send(&[":"]);
    t.wait_for("Command (enter run");
    t.send(&["-l", "region eu-west-1"]);
    t.send(&["Enter"]);
    let screen = t.wait_for("No prototype stacks");
    assert!(
        screen.contains("eu-west-1"),
        "header shows the new region:\n{screen}"
    );
    assert!(!screen.contains("orders-dev"), "{screen}");
    // The picker: `:region` alone, then type to narrow, Enter picks.
    t.send(&[":"]);
    t.send(&["-l", "region"]);
    t.send(&["Enter"]);
    t.wait_for("Choose a region");
    t.send(&["-l", "us-east-1"]);
    t.send(&["Enter"]);
    let screen = t.wait_for("orders-dev");
    assert!(screen.contains("us-east-1"), "{screen}");
    t.send(&["q"]);
    assert_eq!(t.wait_exit(), 0);
}

#[test]
fn stack_list_detail_and_quit() {
    let t = Tmux::start("basic", &[]);
    let screen = t.wait_for("orders-dev");
    assert!(screen.contains("survey-dev"), "{screen}");
    assert!(
        !screen.contains("scratch-dev"),
        "untagged stack shown:\n{screen}"
    );
    assert!(
        !screen.contains("billing-dev"),
        "other team's stack shown:\n{screen}"
    );
    // The list is sorted by name: ledger-dev first. Move to orders-dev and open it.
    t.send(&["/"]);
    t.send(&["-l", "orders"]);
    t.send(&["Enter"]);
    t.wait_for("filter: orders");
    t.send(&["Enter"]);
    let screen = t.wait_for("Resources (");
    assert!(screen.contains("CreateLambdaFunction"), "{screen}");
    assert!(screen.contains("ServiceEndpoint"), "{screen}");
    t.send(&["Escape"]);
    t.wait_gone("Resources (");
    t.send(&["q"]);
    assert_eq!(t.wait_exit(), 0);
}
