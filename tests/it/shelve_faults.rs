//! `shelve` and `restore` under faults and kills. A shelve either writes a verified archive
//! and tears the stack down, or stops with one line having deleted nothing and recorded where
//! it stopped; a restore either brings back identical data or stops with one line; a shelve
//! killed at a step boundary is finished by its rerun with nothing lost or deleted twice.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::faults::{self, FaultPlan};
use crate::interrupted::{kill_after_step, versions_deleted};
use crate::shelve::{
    bucket_contents, deploy_plain, enable_versioning, fill_objects, fill_table_plain, physical,
    table_digest, temp_dir,
};
use crate::support::{endpoint, log_file, stderr, stdout};
use crate::teardown::{audit_lines, gone, unique};
use crate::write_paths::{block, config};

type Objects = BTreeMap<String, (String, Option<String>, BTreeMap<String, String>)>;

/// The stack's data: its table's digest and its bucket's objects.
#[derive(Debug, PartialEq)]
struct Data {
    items: (u64, String),
    objects: Objects,
}

async fn data_of(name: &str) -> Data {
    Data {
        items: table_digest(&physical(name, "Notes").await).await,
        objects: bucket_contents(&physical(name, "Files").await).await,
    }
}

/// A plain stack (a table, a versioned bucket) with a few items and objects: its data.
fn stack_with_data(name: &str, team: &str) -> Data {
    block(async {
        deploy_plain(name, team).await;
        fill_table_plain(&physical(name, "Notes").await, 8).await;
        let files = physical(name, "Files").await;
        enable_versioning(&files).await;
        fill_objects(&files, 3).await;
        data_of(name).await
    })
}

fn cmd(url: &str, cfg: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_protoctl"));
    c.arg("--endpoint-url")
        .arg(url)
        .arg("--config")
        .arg(cfg)
        .arg("--log-file")
        .arg(log_file("shelve-faults"));
    c
}

fn shelve_cmd(url: &str, cfg: &Path, name: &str, to: &Path, audit: &Path) -> Command {
    let mut c = cmd(url, cfg);
    c.args(["shelve", name, "--yes", "--output", "json", "--to"])
        .arg(to)
        .arg("--audit-log")
        .arg(audit);
    c
}

fn shelve(url: &str, cfg: &Path, name: &str, to: &Path, audit: &Path) -> Output {
    shelve_cmd(url, cfg, name, to, audit).output().unwrap()
}

fn restore(url: &str, cfg: &Path, archive: &str) -> Output {
    let mut c = cmd(url, cfg);
    c.args(["restore", archive, "--output", "json"]);
    c.output().unwrap()
}

fn one_line(what: &str, out: &Output) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "{what}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{what}: {err}");
    assert!(err.starts_with("protoctl: "), "{what}: {err}");
    assert!(!err.contains("panicked"), "{what}: {err}");
    err
}

/// The archive a successful shelve reports.
fn location(out: &Output) -> String {
    let v: Vec<Value> =
        serde_json::from_str(&stdout(out)).unwrap_or_else(|e| panic!("{e}: {}", stdout(out)));
    v[0]["location"].as_str().unwrap().to_string()
}

fn verified_items_and_objects(archive: &str) -> (u64, u64) {
    let m = block(protoctl::aws::shelve::verify_dir(
        Path::new(archive),
        &|_| {},
    ))
    .unwrap_or_else(|e| panic!("{archive} does not verify: {e}"));
    (m.items(), m.objects())
}

fn audit_of(name: &str) -> PathBuf {
    log_file(&format!("audit-{name}")).with_extension("jsonl")
}

fn events(audit: &Path) -> Vec<String> {
    audit_lines(&audit.to_path_buf())
        .iter()
        .map(|l| l["event"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// 20% mixed faults on shelve, then on restore.
#[test]
fn shelve_and_restore_under_faults_end_as_a_clean_run_or_stop_with_one_line() {
    let team = unique("shf-mix");
    let patient = config(
        &team,
        "max_attempts = 10\noperation_timeout = \"60s\"\nattempt_timeout = \"5s\"",
    );
    let (mut shelve_stops, mut restore_stops) = (0, 0);
    for seed in 0..1_u64 {
        let name = unique("shf-mix");
        let before = stack_with_data(&name, &team);
        let dir = temp_dir(&name);
        let audit = audit_of(&name);
        let proxy = faults::start(&endpoint(), FaultPlan::mixed(0.2), 3100 + seed);
        let out = shelve(&proxy.url, &patient, &name, &dir, &audit);
        drop(proxy);
        let archive = if out.status.success() {
            location(&out)
        } else {
            shelve_stops += 1;
            let err = one_line("shelve", &out);
            let evs = events(&audit);
            if err.contains("nothing was deleted") {
                assert!(!block(gone(&name)), "{err}");
                assert_eq!(block(data_of(&name)), before, "nothing deleted: {err}");
                assert!(
                    evs.iter().any(|e| e == "shelve_stopped"),
                    "where it stopped is recorded: {evs:?}"
                );
            } else {
                assert!(err.contains("archived to"), "{err}");
                assert!(evs.iter().any(|e| e == "result"), "{evs:?}");
            }
            let again = shelve(&endpoint(), &patient, &name, &dir, &audit);
            assert!(again.status.success(), "the rerun: {}", stderr(&again));
            location(&again)
        };
        assert!(block(gone(&name)), "{name} torn down");
        assert_eq!(verified_items_and_objects(&archive), (8, 4), "{archive}");

        let proxy = faults::start(&endpoint(), FaultPlan::mixed(0.2), 3200 + seed);
        let out = restore(&proxy.url, &patient, &archive);
        drop(proxy);
        if out.status.success() {
            assert_eq!(block(data_of(&name)), before, "restored identical");
        } else {
            restore_stops += 1;
            one_line("restore", &out);
        }
    }
    eprintln!("20% faults: {shelve_stops} shelve and {restore_stops} restore stop(s)");
}

fn every_request_failing() -> [FaultPlan; 7] {
    [
        FaultPlan {
            server_error: 1.0,
            ..FaultPlan::default()
        },
        FaultPlan {
            throttle: 1.0,
            ..FaultPlan::default()
        },
        FaultPlan {
            truncate: 1.0,
            ..FaultPlan::default()
        },
        FaultPlan {
            reset: 1.0,
            ..FaultPlan::default()
        },
        FaultPlan {
            slow_down: 1.0,
            ..FaultPlan::default()
        },
        FaultPlan {
            expired: true,
            ..FaultPlan::default()
        },
        FaultPlan {
            hang: true,
            ..FaultPlan::default()
        },
    ]
}

/// A config for `team` that gives up fast: two attempts of a second, three seconds in all.
fn impatient(team: &str) -> PathBuf {
    let path = log_file(&format!("config-impatient-{team}")).with_extension("toml");
    std::fs::write(
        &path,
        format!(
            "[discovery]\ntags = [\"protoctl:prototype=true\", \"team={team}\"]\n[aws]\nmax_attempts = 2\noperation_timeout = \"3s\"\nattempt_timeout = \"1s\"\n"
        ),
    )
    .unwrap();
    path
}

/// Every request failing: one line, nothing deleted; a permission missing half-way leaves a
/// record of where the shelve stopped.
#[test]
fn shelve_with_every_request_failing_stops_with_one_line_and_deletes_nothing() {
    let team = unique("shf-all");
    let name = unique("shf-all");
    let before = stack_with_data(&name, &team);
    let cfg = impatient(&team);
    let dir = temp_dir(&name);
    let audit = audit_of(&name);
    for plan in every_request_failing() {
        let proxy = faults::start(&endpoint(), plan, 17);
        let out = shelve(&proxy.url, &cfg, &name, &dir, &audit);
        one_line(&format!("shelve {plan:?}"), &out);
    }
    // A read denied half-way (the table's Scan): the archive stops, the record says so.
    let proxy = faults::start(
        &endpoint(),
        FaultPlan {
            deny: Some("Scan"),
            ..FaultPlan::default()
        },
        17,
    );
    let err = one_line(
        "denied Scan",
        &shelve(&proxy.url, &cfg, &name, &dir, &audit),
    );
    drop(proxy);
    assert!(err.contains("nothing was deleted"), "{err}");
    let stopped = audit_lines(&audit)
        .into_iter()
        .rfind(|l| l["event"] == "shelve_stopped")
        .expect("a shelve_stopped record");
    assert!(
        stopped["detail"]["error"]
            .as_str()
            .unwrap()
            .contains("nothing was deleted"),
        "{stopped}"
    );
    assert!(!block(gone(&name)));
    assert_eq!(block(data_of(&name)), before, "nothing deleted");
}

/// Every request failing: one line, no stack created; then a clean restore is identical.
#[test]
fn restore_with_every_request_failing_stops_with_one_line_and_creates_nothing() {
    let team = unique("shf-rall");
    let name = unique("shf-rall");
    let before = stack_with_data(&name, &team);
    let (cfg, clean) = (impatient(&team), config(&team, ""));
    let dir = temp_dir(&name);
    let out = shelve(&endpoint(), &clean, &name, &dir, &audit_of(&name));
    assert!(out.status.success(), "{}", stderr(&out));
    let archive = location(&out);
    for plan in every_request_failing() {
        let proxy = faults::start(&endpoint(), plan, 19);
        let out = restore(&proxy.url, &cfg, &archive);
        one_line(&format!("restore {plan:?}"), &out);
        assert!(block(gone(&name)), "nothing created ({plan:?})");
    }
    let out = restore(&endpoint(), &clean, &archive);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(block(data_of(&name)), before);
}

/// SIGKILL right after a shelve's archive steps, then the same command again: nothing was
/// deleted, the rerun archives anew and finishes.
#[test]
fn shelve_killed_while_archiving_is_finished_by_the_rerun() {
    killed_and_rerun(&[("archive_written", false), ("archived", false)]);
}

/// SIGKILL once the shelve's teardown began (a bucket emptied; DeleteStack sent): the rerun
/// keeps the first archive and finishes without deleting anything twice.
#[test]
fn shelve_killed_while_tearing_down_is_finished_by_the_rerun() {
    killed_and_rerun(&[("empty_bucket", true), ("delete_stack", true)]);
}

/// Kills a shelve right after each step of `boundaries` (a fresh stack each), reruns it, and
/// checks the archive (the first one when `kept`), the deletes and a restore.
fn killed_and_rerun(boundaries: &[(&str, bool)]) {
    let team = unique("shf-kill");
    let cfg = config(&team, "");
    for &(step, kept) in boundaries {
        let name = unique("shf-kill");
        let before = stack_with_data(&name, &team);
        let dir = temp_dir(&name);
        let audit = audit_of(&name);
        kill_after_step(
            shelve_cmd(&endpoint(), &cfg, &name, &dir, &audit),
            &audit,
            step,
            1,
        );
        let first = audit_lines(&audit)
            .into_iter()
            .find(|l| l["event"] == "archived")
            .map(|l| l["detail"]["location"].as_str().unwrap().to_string());

        let again = shelve(&endpoint(), &cfg, &name, &dir, &audit);
        assert!(
            again.status.success(),
            "killed after {step}, the rerun finishes: {}",
            stderr(&again)
        );
        assert!(block(gone(&name)), "{name} torn down after {step}");
        let archive = location(&again);
        if kept {
            assert_eq!(
                Some(&archive),
                first.as_ref(),
                "after {step} the rerun keeps the first archive"
            );
        }
        assert_eq!(
            verified_items_and_objects(&archive),
            (8, 4),
            "nothing lost (killed after {step})"
        );
        let lines = audit_lines(&audit);
        let sent = lines
            .iter()
            .filter(|l| l["event"] == "step" && l["detail"]["step"] == "delete_stack")
            .count();
        assert_eq!(sent, 1, "one DeleteStack (killed after {step})");
        // Four objects (three and a binary), one version each.
        assert_eq!(
            versions_deleted(&lines),
            4,
            "each version deleted once ({step})"
        );
        let out = restore(&endpoint(), &cfg, &archive);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(block(data_of(&name)), before, "restored identical ({step})");
    }
}
