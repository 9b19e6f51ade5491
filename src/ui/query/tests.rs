//! Snapshots of the query screen: the editor, a run, the results table, a row in full, the
//! saved-query picker.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::app::Action;
use crate::app::keymap::Command;
use crate::app::query::QueryMsg;
use crate::app::query::tests::{done, outcome, run, with_groups};
use crate::domain::queries::ChunkProgress;
use crate::ui::tests::{assert_clean, draw};

#[test]
fn editor_with_its_groups() {
    let a = with_groups(3);
    insta::assert_snapshot!("query__editor", draw(&a).backend());
}

#[test]
fn running_with_progress() {
    let mut a = with_groups(60);
    let (request_id, ..) = run(&mut a);
    a.update(Action::Query(QueryMsg::Progress {
        request_id,
        progress: ChunkProgress {
            chunk: 0,
            chunks: 2,
            status: "Complete".into(),
            records_scanned: 5000.0,
            records_matched: 12.0,
            bytes_scanned: 1e6,
        },
    }));
    insta::assert_snapshot!("query__running", draw(&a).backend());
}

#[test]
fn results_table_and_a_row_in_full() {
    let mut a = with_groups(3);
    let (request_id, ..) = run(&mut a);
    let mut o = outcome(30);
    o.rows[0][2].1 = "\u{1b}[2Jhostile\u{202e} text".into();
    done(&mut a, request_id, o);
    let t = draw(&a);
    assert_clean(&t);
    insta::assert_snapshot!("query__results", t.backend());
    a.update(Action::Command(Command::QueryRight));
    insta::assert_snapshot!("query__results_scrolled", draw(&a).backend());
    a.update(Action::Command(Command::Down));
    a.update(Action::Command(Command::Open));
    insta::assert_snapshot!("query__record", draw(&a).backend());
}

#[test]
fn saved_query_picker() {
    let mut a = with_groups(3);
    a.update(Action::Input(KeyEvent::new(
        KeyCode::Esc,
        KeyModifiers::NONE,
    )));
    a.update(Action::Command(Command::QuerySaved));
    insta::assert_snapshot!("query__saved", draw(&a).backend());
}

#[test]
fn room_left_over_goes_to_the_cut_columns() {
    use crate::app::query::Results;
    use crate::domain::queries::QueryOutcome;
    let rows = vec![vec![
        ("@timestamp".to_string(), "1796230161295".to_string()),
        ("@message".to_string(), "m".repeat(70)),
        (
            "@log".to_string(),
            "/aws/lambda/orders-dev-create".to_string(),
        ),
    ]];
    let r = Results::new(QueryOutcome {
        columns: Vec::new(),
        rows,
        ..QueryOutcome::default()
    });
    // 13 + 2 + 40 + 2 + 29 = 86 of 116: the message grows to its 70, the last takes the rest.
    assert_eq!(super::visible_columns(&r, 116), [(0, 13), (1, 70), (2, 29)]);
    // No room to spare: the capped widths, the last one cut.
    assert_eq!(super::visible_columns(&r, 60), [(0, 13), (1, 40), (2, 3)]);
}
