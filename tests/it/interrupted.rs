//! Interrupted teardowns: the process is killed (SIGKILL) right after each step boundary, made
//! exact by the runner's stall hook, then the command is run again. The rerun finishes the
//! job, nothing is deleted twice, and the audit log shows both runs, the first as unfinished.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{endpoint, log_file, stderr};
use crate::teardown::{audit_lines, unique};
use crate::write_paths::{block, config, fixture_stack, stack_exists, versions_left};

fn teardown_cmd(cfg: &std::path::Path, audit: &std::path::Path, name: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_protoctl"));
    c.arg("--endpoint-url")
        .arg(endpoint())
        .arg("--config")
        .arg(cfg)
        .arg("--log-file")
        .arg(log_file("interrupted"))
        .args(["teardown", name, "--yes", "--output", "json", "--audit-log"])
        .arg(audit);
    c
}

/// How many `step` records named `step` the audit log holds.
fn steps_named(audit: &std::path::Path, step: &str) -> usize {
    audit_lines(&audit.to_path_buf())
        .iter()
        .filter(|l| l["event"] == "step" && l["detail"]["step"] == step)
        .count()
}

/// Starts a teardown that stalls right after the `nth` step called `step`, waits until the
/// audit log holds that step, and kills the process with SIGKILL.
fn kill_after(cfg: &std::path::Path, audit: &std::path::Path, name: &str, step: &str, nth: usize) {
    let mut child = teardown_cmd(cfg, audit, name)
        .env("PROTOCTL_TEST_STALL_AFTER_STEP", format!("{step}:{nth}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while steps_named(audit, step) < nth {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the run ended ({status}) before step {step} #{nth}");
        }
        assert!(Instant::now() < deadline, "step {step} #{nth} never came");
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Versions and delete markers each `empty_bucket` step of the log reports deleted, summed.
fn versions_deleted(lines: &[Value]) -> u64 {
    lines
        .iter()
        .filter(|l| l["event"] == "step" && l["detail"]["step"] == "empty_bucket")
        .filter_map(|l| l["detail"]["detail"].as_str())
        .filter_map(|d| d.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

#[test]
fn teardown_killed_at_each_step_boundary_is_finished_by_the_rerun() {
    let team = unique("int-td");
    let bystander = unique("int-keep");
    let kept_bucket = block(fixture_stack(&bystander, &team, 3));
    let cfg = config(&team, "");
    let boundaries = [
        ("guards", 1),
        ("blockers", 1),
        ("empty_bucket", 1),
        ("guards", 2),
        ("blockers", 2),
    ];
    for (step, nth) in boundaries {
        let name = unique("int-td");
        let bucket = block(fixture_stack(&name, &team, 10));
        let audit = log_file(&format!("audit-{name}")).with_extension("jsonl");
        kill_after(&cfg, &audit, &name, step, nth);
        let first_run = audit_lines(&audit)
            .iter()
            .find(|l| l["event"] == "plan")
            .map(|l| l["run"].clone())
            .unwrap();

        let again = teardown_cmd(&cfg, &audit, &name).output().unwrap();
        assert!(
            again.status.success(),
            "after {step} #{nth}, the rerun finishes: {}",
            stderr(&again)
        );
        assert!(!block(stack_exists(&name)), "{name} deleted after {step}");
        assert_eq!(block(versions_left(&bucket)), None, "{bucket} removed");

        let lines = audit_lines(&audit);
        let runs: Vec<&Value> = lines
            .iter()
            .filter(|l| l["event"] == "plan")
            .map(|l| &l["run"])
            .collect();
        assert_eq!(runs.len(), 2, "both runs are in the log: {lines:?}");
        assert_ne!(runs[0], runs[1]);
        let results: Vec<&Value> = lines
            .iter()
            .filter(|l| l["event"] == "result")
            .map(|l| &l["run"])
            .collect();
        assert_eq!(results, [runs[1]], "only the rerun has a result");
        assert_eq!(lines.last().unwrap()["detail"]["result"], "deleted");
        let unfinished: Vec<&Value> = lines
            .iter()
            .filter(|l| l["event"] == "unfinished")
            .collect();
        assert_eq!(unfinished.len(), 1, "{lines:?}");
        assert_eq!(unfinished[0]["run"], *runs[1]);
        assert_eq!(unfinished[0]["detail"]["run"], first_run);
        assert_eq!(
            unfinished[0]["detail"]["last_step"]["step"], step,
            "the first run is marked as stopped after {step}"
        );
        assert_eq!(
            versions_deleted(&lines),
            20,
            "every version deleted exactly once (killed after {step} #{nth})"
        );
        let stack_deletes = lines
            .iter()
            .filter(|l| l["event"] == "step" && l["detail"]["step"] == "delete_stack")
            .count();
        assert_eq!(stack_deletes, 1, "one DeleteStack");
    }
    assert_eq!(
        block(versions_left(&kept_bucket)),
        Some(6),
        "nothing outside the plan is deleted"
    );
    assert!(block(stack_exists(&bystander)));
}
