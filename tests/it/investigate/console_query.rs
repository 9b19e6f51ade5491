//! The console's Logs Insights screen in tmux: `Q` on a stack, a window, a typed query, the
//! rows on screen, and the export (`E`) holding the rows the AWS CLI gets on the emulator.

use chrono::{Duration, Utc};
use serde_json::Value;

use super::query::cli_rows;
use super::seeded_stack;
use crate::e2e::Tmux;
use crate::support::endpoint;

#[tokio::test(flavor = "multi_thread")]
async fn q_runs_a_query_shows_its_rows_and_exports_the_aws_cli_rows() {
    let (name, config, _) = seeded_stack().await;
    let dir = std::env::temp_dir().join(format!("protoctl-query-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    let t = Tmux::start_in("query", &endpoint(), &config, Some(&dir), &[]);
    // The stack's name is in the header's tags at once: wait for its row.
    t.wait_for("CREATE_COMPLETE");
    t.send(&["Q"]);
    t.wait_for("3 log groups");
    // Leave the editor, pick a 4 hour window, edit and run the query.
    t.send(&["Escape"]);
    t.wait_for("e edits");
    t.send(&["w"]);
    t.wait_for("Window · enter picks");
    t.send(&["-l", "4h"]);
    t.send(&["Enter"]);
    t.wait_for("window 4h");
    t.send(&["e"]);
    t.wait_for("enter runs");
    t.send(&["C-u"]);
    let query = "fields @timestamp, @message, @log | sort @timestamp desc | limit 15";
    t.send(&["-l", query]);
    let from = Utc::now() - Duration::hours(4);
    t.send(&["Enter"]);
    let screen = t.wait_for("Complete · 15 rows");
    let to = Utc::now();
    assert!(screen.contains("@timestamp"), "{screen}");
    assert!(screen.contains("records scanned"), "{screen}");
    assert!(screen.contains(&format!("/custom/{name}/app")), "{screen}");
    // A row in full, then back.
    t.send(&["Enter"]);
    t.wait_for("in full");
    t.send(&["Escape"]);
    t.wait_gone("in full");
    t.send(&["E"]);
    let screen = t.wait_for("exported 15 rows to");
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .unwrap_or_else(|| panic!("no export in {}: {screen}", dir.display()));
    let ours: Vec<Value> = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let groups = [
        format!("/aws/lambda/{name}-create"),
        format!("/aws/lambda/{name}-list"),
        format!("/custom/{name}/app"),
    ];
    let theirs = cli_rows(
        &groups,
        from - Duration::minutes(1),
        to + Duration::minutes(1),
        query,
    );
    assert_eq!(theirs.len(), 15);
    assert_eq!(ours, theirs);
    t.send(&["q"]);
    assert_eq!(t.wait_exit(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}
