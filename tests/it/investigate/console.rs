//! The console's errors: the stack list's ERRORS column, `e` on the seeded stack shows its
//! groups with exact counts, `enter` the latest occurrence's whole request.

use crate::e2e::Tmux;
use crate::support::endpoint;

/// The text of `line` under the header column `title` (both as drawn, by character).
fn cell(header: &str, line: &str, title: &str, width: usize) -> String {
    let Some(b) = header.find(title) else {
        panic!("no {title} in {header}")
    };
    let start = header[..b].chars().count();
    line.chars()
        .skip(start)
        .take(width)
        .collect::<String>()
        .trim()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_console_shows_the_groups_and_an_occurrence() {
    let (name, config, _) = super::seeded_stack().await;
    let t = Tmux::start_with("errors", &endpoint(), &config, &[]);
    t.wait_for(&name);
    // The ERRORS column fills in after the list is drawn: 10 failed requests in 24 h.
    let deadline = std::time::Instant::now() + crate::e2e::patience();
    loop {
        let screen = t.capture();
        let header = screen.lines().find(|l| l.contains("ERRORS")).unwrap_or("");
        let row = screen
            .lines()
            .find(|l| l.starts_with('│') && l.contains(&name))
            .unwrap_or("");
        if !header.is_empty() && cell(header, row, "ERRORS", 6) == "10" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no error count; screen:\n{screen}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }

    t.send(&["e"]);
    let screen = t.wait_for("(7 groups)");
    assert!(
        screen.contains(&format!("Errors · {name} · last 24h")),
        "{screen}"
    );
    let header = screen
        .lines()
        .find(|l| l.contains("COUNT") && l.contains("TYPE"))
        .unwrap_or_else(|| panic!("{screen}"));
    let counts = |ty: &str| -> Vec<String> {
        screen
            .lines()
            .filter(|l| cell(header, l, "TYPE", 20).starts_with(ty))
            .map(|l| cell(header, l, "COUNT", 5))
            .collect()
    };
    assert_eq!(counts("NotFound"), ["3"], "{screen}");
    assert_eq!(counts("CardDeclined"), ["2"], "{screen}");
    assert_eq!(counts("Sandbox.Timedout"), ["1", "1"], "{screen}");
    assert_eq!(counts("Runtime.ExitError"), ["1"], "{screen}");
    assert_eq!(counts("KeyError"), ["1"], "{screen}");
    assert_eq!(counts("Runtime.OutOfMemory"), ["1"], "{screen}");
    // Newest first: the out-of-memory (5 min ago) leads, NotFound (45 min ago) is last.
    let types: Vec<String> = screen
        .lines()
        .filter(|l| l.contains('│') || l.contains('|'))
        .map(|l| cell(header, l, "TYPE", 20))
        .filter(|t| !t.is_empty() && t != "TYPE")
        .collect();
    assert_eq!(
        types.first().map(String::as_str),
        Some("Runtime.OutOfMemory"),
        "{types:?}"
    );

    // The last group's latest occurrence: request 5 of the JSON-format function.
    t.send(&["G"]);
    t.send(&["Enter"]);
    let screen = t.wait_for("platform.start");
    assert!(screen.contains("request 00000005-aaaa"), "{screen}");
    assert!(
        screen.contains("\"errorType\": \"NotFound\""),
        "JSON pretty-printed:\n{screen}"
    );
    // The request ends with its REPORT, further down.
    assert!(!screen.contains("platform.report"), "{screen}");
    t.send(&["G"]);
    t.wait_for("platform.report");
    t.send(&["Escape"]);
    t.wait_gone("NotFound · list");
    t.send(&["Escape"]);
    t.wait_for("ERRORS");
    t.send(&["q"]);
    assert_eq!(t.wait_exit(), 0);
}
