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

/// How many records of `step` the audit log holds: teardown and shelve steps of that name,
/// or events of that name (`archived`).
pub(crate) fn steps_named(audit: &std::path::Path, step: &str) -> usize {
    audit_lines(&audit.to_path_buf())
        .iter()
        .filter(|l| {
            l["event"] == step
                || ((l["event"] == "step" || l["event"] == "shelve_step")
                    && l["detail"]["step"] == step)
        })
        .count()
}

/// Starts `cmd` so that it stalls right after the `nth` record of `step`, waits until the
/// audit log holds that record, and kills the process with SIGKILL.
pub(crate) fn kill_after_step(mut cmd: Command, audit: &std::path::Path, step: &str, nth: usize) {
    let before = steps_named(audit, step);
    let mut child = cmd
        .env("PROTOCTL_TEST_STALL_AFTER_STEP", format!("{step}:{nth}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while steps_named(audit, step) < before + nth {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the run ended ({status}) before step {step} #{nth}");
        }
        assert!(Instant::now() < deadline, "step {step} #{nth} never came");
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

fn kill_after(cfg: &std::path::Path, audit: &std::path::Path, name: &str, step: &str, nth: usize) {
    kill_after_step(teardown_cmd(cfg, audit, name), audit, step, nth);
}

/// Versions and delete markers each `empty_bucket` step of the log reports deleted, summed.
pub(crate) fn versions_deleted(lines: &[Value]) -> u64 {
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

/// Killed right after DeleteStack was sent: the rerun follows that delete to its end, sends no
/// second DeleteStack, and records the result for both runs.
#[test]
fn teardown_killed_after_delete_stack_is_sent_is_recorded_by_the_rerun() {
    let team = unique("int-ds");
    let bystander = unique("int-ds-keep");
    let kept_bucket = block(fixture_stack(&bystander, &team, 2));
    let cfg = config(&team, "");
    let name = unique("int-ds");
    let bucket = block(fixture_stack(&name, &team, 5));
    let audit = log_file(&format!("audit-{name}")).with_extension("jsonl");
    kill_after(&cfg, &audit, &name, "delete_stack", 1);
    let first_run = audit_lines(&audit)[0]["run"].clone();

    let again = teardown_cmd(&cfg, &audit, &name).output().unwrap();
    assert!(again.status.success(), "{}", stderr(&again));
    let out: Vec<Value> = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(out[0]["result"], "deleted", "{out:?}");
    assert!(
        out[0]["note"]
            .as_str()
            .unwrap()
            .contains("nothing was sent again"),
        "{out:?}"
    );
    assert!(!block(stack_exists(&name)));
    assert_eq!(block(versions_left(&bucket)), None);

    let lines = audit_lines(&audit);
    let sent = lines
        .iter()
        .filter(|l| l["event"] == "step" && l["detail"]["step"] == "delete_stack")
        .count();
    assert_eq!(sent, 1, "DeleteStack sent once: {lines:?}");
    let unfinished: Vec<&Value> = lines
        .iter()
        .filter(|l| l["event"] == "unfinished")
        .collect();
    assert_eq!(unfinished.len(), 1, "{lines:?}");
    assert_eq!(unfinished[0]["detail"]["run"], first_run);
    assert_eq!(unfinished[0]["detail"]["last_step"]["step"], "delete_stack");
    let last = lines.last().unwrap();
    assert_eq!(last["event"], "result");
    assert_eq!(last["detail"]["result"], "deleted");
    assert_ne!(last["run"], first_run);
    assert_eq!(versions_deleted(&lines), 10);

    // A third run finds nothing left to do: the stack is unknown, one line, exit 1.
    let third = teardown_cmd(&cfg, &audit, &name).output().unwrap();
    assert_eq!(third.status.code(), Some(1), "{}", stderr(&third));
    assert!(stderr(&third).contains("not found"), "{}", stderr(&third));
    assert_eq!(block(versions_left(&kept_bucket)), Some(4));
    assert!(block(stack_exists(&bystander)));
}

/// Quitting the console while a teardown runs asks first; no changes nothing, yes stops the
/// runner between steps and the audit log says "interrupted" with the last step. The stall
/// hook holds the run right after its first guards check, so the timing is exact.
#[test]
fn console_quit_during_a_teardown_asks_then_stops_between_steps() {
    let team = unique("int-quit");
    let name = unique("int-quit");
    let bucket = block(fixture_stack(&name, &team, 3));
    let cfg = config(&team, "");
    let data = std::env::temp_dir().join(format!("protoctl-it-quit-{name}"));
    let _ = std::fs::remove_dir_all(&data);
    let audit = data.join("protoctl/audit.jsonl");
    let data_dir = data.display().to_string();
    let t = crate::e2e::Tmux::start_env(
        "quit-teardown",
        &endpoint(),
        &cfg,
        &[
            ("XDG_DATA_HOME", &data_dir),
            ("PROTOCTL_TEST_STALL_AFTER_STEP", "guards:1"),
        ],
        &[],
    );
    t.wait_for(&name);
    t.send(&["D"]);
    t.wait_for("enter to confirm");
    t.send(&["Enter"]);
    t.wait_for("to confirm:");
    t.send(&["-l", &name]);
    t.send(&["Enter"]);
    let deadline = Instant::now() + crate::e2e::patience();
    while steps_named(&audit, "guards") < 1 {
        assert!(
            Instant::now() < deadline,
            "no guards step:\n{}",
            t.capture()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    t.send(&["q"]);
    t.wait_for("a teardown is running: quit and stop it between steps? y/n");
    t.send(&["n"]);
    t.wait_for("the teardown goes on");
    let events = |audit: &std::path::Path| -> Vec<String> {
        audit_lines(&audit.to_path_buf())
            .iter()
            .map(|l| l["event"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert!(!events(&audit).contains(&"interrupted".to_string()));
    t.send(&["C-c"]);
    t.wait_for("quit and stop it between steps? y/n");
    t.send(&["y"]);
    assert_eq!(t.wait_exit(), 0);
    let lines = audit_lines(&audit);
    let interrupted = lines
        .iter()
        .find(|l| l["event"] == "interrupted")
        .unwrap_or_else(|| panic!("no interrupted record: {lines:?}"));
    assert_eq!(interrupted["detail"]["last_step"]["step"], "guards");
    assert_eq!(lines.last().unwrap()["detail"]["result"], "cancelled");
    assert!(
        block(stack_exists(&name)),
        "stopped before deleting anything"
    );
    assert_eq!(block(versions_left(&bucket)), Some(6));
    // The command line finishes the job.
    let again = teardown_cmd(&cfg, &audit, &name).output().unwrap();
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(!block(stack_exists(&name)));
    let _ = std::fs::remove_dir_all(&data);
}
