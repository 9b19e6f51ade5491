//! The teardown audit log: JSON lines appended to `audit.jsonl` in the platform data dir
//! (time, account, region, stack id, plan, each step, result).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

/// Where teardown records go; writes are serialised so lines never interleave.
#[derive(Debug)]
pub struct Audit {
    path: PathBuf,
    lock: Mutex<()>,
}

/// One line of the audit log.
#[derive(Debug, Serialize)]
pub struct Entry<'a> {
    pub time: DateTime<Utc>,
    /// One id per teardown run (all stacks of one command share it).
    pub run: &'a str,
    pub account: &'a str,
    pub region: &'a str,
    pub stack_id: &'a str,
    pub stack_name: &'a str,
    /// `plan`, `step`, `result`, or `unfinished` (an earlier run on the stack that never
    /// wrote its result, noted by the run that carries on).
    pub event: &'a str,
    pub detail: Value,
}

impl Audit {
    /// The default file: `audit.jsonl` in the platform data dir.
    pub fn default_path() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "protoctl")
            .map(|d| d.data_local_dir().join("audit.jsonl"))
    }

    /// An audit log at `path` (created with its folder on the first write).
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            lock: Mutex::new(()),
        }
    }

    /// The file written to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one entry as a JSON line.
    pub fn record(&self, entry: &Entry) -> Result<(), String> {
        let mut line = serde_json::to_string(entry).map_err(|e| e.to_string())?;
        line.push('\n');
        let _guard = self.lock.lock().map_err(|_| "audit log lock poisoned")?;
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(|e| format!("cannot open the audit log {}: {e}", self.path.display()))?;
        f.write_all(line.as_bytes())
            .map_err(|e| format!("cannot write the audit log {}: {e}", self.path.display()))
    }
}

impl Audit {
    /// Earlier runs on `stack_id` that wrote a plan and never a result (the process died or
    /// was killed): each run id with the last step it recorded. An unreadable log has none.
    pub fn unfinished_runs(&self, stack_id: &str) -> Vec<(String, Option<Value>)> {
        let Ok(text) = std::fs::read_to_string(&self.path) else {
            return Vec::new();
        };
        let mut open: Vec<(String, Option<Value>)> = Vec::new();
        for line in text.lines() {
            let Ok(v) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            if v["stack_id"] != stack_id {
                continue;
            }
            let run = v["run"].as_str().unwrap_or_default().to_string();
            match v["event"].as_str() {
                Some("plan") => open.push((run, None)),
                Some("step") => {
                    if let Some(o) = open.iter_mut().find(|(r, _)| *r == run) {
                        o.1 = Some(v["detail"].clone());
                    }
                }
                Some("result") => open.retain(|(r, _)| *r != run),
                _ => {}
            }
        }
        open
    }
}

/// Test hook for interrupted runs: `PROTOCTL_TEST_STALL_AFTER_STEP=name[:n]` holds the run
/// right after the n-th (default first) step called `name` of this process is recorded, until
/// `cancel` fires, so a test can kill the process (or quit the console) at an exact step
/// boundary. Without the variable it does nothing.
pub fn stall_if_asked(step: &str, cancel: &tokio_util::sync::CancellationToken) {
    static SEEN: Mutex<Vec<(String, usize)>> = Mutex::new(Vec::new());
    let Ok(want) = std::env::var("PROTOCTL_TEST_STALL_AFTER_STEP") else {
        return;
    };
    let (name, nth) = want
        .split_once(':')
        .map_or((want.as_str(), 1), |(n, k)| (n, k.parse().unwrap_or(1)));
    let seen = {
        let Ok(mut seen) = SEEN.lock() else {
            return;
        };
        let at = if let Some(i) = seen.iter().position(|(s, _)| s == step) {
            i
        } else {
            seen.push((step.to_string(), 0));
            seen.len() - 1
        };
        seen[at].1 += 1;
        seen[at].1
    };
    if name == step && seen == nth {
        while !cancel.is_cancelled() {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

/// A fresh random id (16 hex digits) for a run or a ClientRequestToken.
pub fn random_id() -> String {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
        bytes = nanos.to_le_bytes();
    }
    bytes.iter().fold(String::with_capacity(16), |mut s, b| {
        use std::fmt::Write as _;
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_json_lines() {
        let dir = std::env::temp_dir().join(format!("protoctl-audit-{}", random_id()));
        let audit = Audit::new(dir.join("sub/audit.jsonl"));
        for event in ["plan", "result"] {
            audit
                .record(&Entry {
                    time: Utc::now(),
                    run: "r1",
                    account: "123456789012",
                    region: "us-east-1",
                    stack_id: "arn:x",
                    stack_name: "a\nb",
                    event,
                    detail: serde_json::json!({"ok": true}),
                })
                .unwrap();
        }
        let text = std::fs::read_to_string(audit.path()).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["event"], "plan");
        assert_eq!(lines[1]["stack_name"], "a\nb");
        let _ = std::fs::remove_dir_all(dir);
        assert_ne!(random_id(), random_id());
        assert_eq!(random_id().len(), 16);
    }
}
