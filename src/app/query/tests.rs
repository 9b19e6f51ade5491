//! The query screen's `update`: opening, running, progress, cancel, results, export, pickers.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::app::EditTarget;
use crate::app::Scoped;
use crate::app::detail::DetailEffect;
use crate::app::keymap::Command;
use crate::app::{Action, App, Effect, Level, Screen};
use crate::config::SavedQueryConfig;
use crate::domain::queries::ChunkProgress;

fn press(code: KeyCode) -> Action {
    Action::Input(KeyEvent::new(code, KeyModifiers::NONE))
}

fn ctrl(c: char) -> Action {
    Action::Input(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn typed(a: &mut App, text: &str) {
    for c in text.chars() {
        a.update(press(KeyCode::Char(c)));
    }
}

fn last_note(a: &App) -> (Level, String) {
    let n = a.notifications.back().expect("a notification");
    (n.level, n.text.clone())
}

/// The query screen of orders-dev, its groups not found yet.
pub(crate) fn open(a: &mut App) -> u64 {
    let fx = a.update(Action::Command(Command::Query));
    let [Effect::Query(Scoped { work: fx, .. })] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    let QueryEffect::LoadGroups {
        request_id,
        stack_name,
        ..
    } = fx.as_ref()
    else {
        panic!("{fx:?}")
    };
    assert_eq!(stack_name, "orders-dev");
    *request_id
}

/// The query screen of orders-dev with `n` log groups found.
pub(crate) fn with_groups(n: usize) -> App {
    let mut a = crate::ui::tests::on_orders_detail();
    let request_id = open(&mut a);
    a.update(Action::Query(QueryMsg::Groups {
        request_id,
        result: Ok((0..n)
            .map(|i| format!("/aws/lambda/orders-dev-f{i:03}"))
            .collect()),
    }));
    a
}

/// Runs the editor's query (enter in the editor); the run's request id and token.
pub(crate) fn run(a: &mut App) -> (u64, CancellationToken, Vec<String>, (i64, i64)) {
    let fx = a.update(press(KeyCode::Enter));
    let [Effect::Query(Scoped { work: fx, .. })] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    let QueryEffect::Run {
        request_id,
        groups,
        cancel,
        window,
        ..
    } = fx.as_ref()
    else {
        panic!("{fx:?}")
    };
    (*request_id, cancel.clone(), groups.clone(), *window)
}

fn progress(chunk: usize, chunks: usize, status: &str, scanned: f64) -> ChunkProgress {
    ChunkProgress {
        chunk,
        chunks,
        status: status.into(),
        records_scanned: scanned,
        records_matched: scanned / 10.0,
        bytes_scanned: scanned * 100.0,
    }
}

/// `n` rows of `@timestamp, @log, @message, @ptr`.
pub(crate) fn outcome(n: usize) -> QueryOutcome {
    let rows: Vec<Row> = (0..n)
        .map(|i| {
            vec![
                (
                    "@timestamp".into(),
                    format!("2026-11-27 11:{:02}:00.000", 59 - i % 60),
                ),
                (
                    "@log".into(),
                    format!("123456789012:/aws/lambda/orders-dev-f{:03}", i % 3),
                ),
                (
                    "@message".into(),
                    format!("{{\"level\":\"ERROR\",\"message\":\"order {i} failed\"}}"),
                ),
                ("@ptr".into(), format!("ptr{i}")),
            ]
        })
        .collect();
    QueryOutcome {
        columns: plan::columns(&rows),
        rows,
        records_scanned: 1234.0,
        records_matched: 56.0,
        queries: 1,
        approximate: false,
    }
}

pub(crate) fn done(a: &mut App, request_id: u64, outcome: QueryOutcome) {
    a.update(Action::Query(QueryMsg::Done {
        request_id,
        result: Box::new(Ok(outcome)),
    }));
}

#[test]
fn q_opens_from_the_detail_the_list_and_the_palette() {
    let mut a = crate::ui::tests::on_orders_detail();
    open(&mut a);
    assert_eq!(a.screen(), Screen::Query);
    let q = a.views.query().unwrap();
    assert!(q.editing, "the editor has the keyboard");
    assert_eq!(q.window, "1h");
    assert_eq!(q.editor.as_str(), DEFAULT_QUERY);
    assert_eq!(q.saved.len(), 4, "the built-ins");

    // From the stack list: the stack's detail first, then the query screen.
    let mut a = crate::ui::tests::on_orders_detail();
    a.update(Action::Command(Command::Back));
    let fx = a.update(Action::Command(Command::Query));
    assert!(
        matches!(
            fx.as_slice(),
            [Effect::Detail(DetailEffect::Load { .. }), Effect::Query(..)]
        ),
        "{fx:?}"
    );
    assert_eq!(
        a.views.screens(),
        [Screen::Stacks, Screen::Detail, Screen::Query]
    );

    // `:query` from the palette.
    let mut a = crate::ui::tests::on_orders_detail();
    let fx = a.run_palette(crate::app::palette::PaletteAction::Screen("query"));
    assert!(matches!(fx.last(), Some(Effect::Query(..))), "{fx:?}");
    assert_eq!(a.screen(), Screen::Query);
}

#[test]
fn a_run_waits_for_the_groups_and_covers_them_all() {
    let mut a = crate::ui::tests::on_orders_detail();
    open(&mut a);
    assert!(a.update(press(KeyCode::Enter)).is_empty());
    assert_eq!(last_note(&a).1, "the stack's log groups are not found yet");

    let mut a = with_groups(120);
    assert_eq!(a.views.query().unwrap().chunks(), 3);
    let (_, _, groups, (from, to)) = run(&mut a);
    assert_eq!(groups.len(), 120);
    let now = crate::ui::tests::now().timestamp_millis();
    assert_eq!((from, to), (now - 3_600_000, now));
    let q = a.views.query().unwrap();
    assert!(!q.editing);
    let r = q.run.as_ref().unwrap();
    assert_eq!((r.chunks.len(), r.status()), (3, "Scheduled"));

    // An empty query is refused.
    let mut a = with_groups(2);
    a.update(ctrl('u'));
    assert!(a.update(press(KeyCode::Enter)).is_empty());
    assert_eq!(last_note(&a).0, Level::Error);
}

#[test]
fn progress_sums_the_queries_and_stale_answers_are_dropped() {
    let mut a = with_groups(60);
    let (id, ..) = run(&mut a);
    a.update(Action::Query(QueryMsg::Progress {
        request_id: id,
        progress: progress(0, 2, "Running", 100.0),
    }));
    a.update(Action::Query(QueryMsg::Progress {
        request_id: id,
        progress: progress(1, 2, "Scheduled", 0.0),
    }));
    let r = a.views.query().unwrap().run.as_ref().unwrap();
    assert_eq!(
        (r.status(), r.complete(), r.figures()),
        ("Running", 0, (100.0, 10.0))
    );
    a.update(Action::Query(QueryMsg::Progress {
        request_id: id,
        progress: progress(0, 2, "Complete", 400.0),
    }));
    a.update(Action::Query(QueryMsg::Progress {
        request_id: id + 99,
        progress: progress(1, 2, "Complete", 9e9),
    }));
    // A chunk index out of range is ignored, not a panic.
    a.update(Action::Query(QueryMsg::Progress {
        request_id: id,
        progress: progress(7, 2, "Complete", 9e9),
    }));
    let r = a.views.query().unwrap().run.as_ref().unwrap();
    assert_eq!(
        (r.status(), r.complete(), r.figures()),
        ("Running", 1, (400.0, 40.0))
    );
    // A new run replaces the old one: the old one's answers are dropped.
    a.update(Action::Command(Command::QueryEdit));
    let (id2, ..) = run(&mut a);
    done(&mut a, id, outcome(3));
    assert!(a.views.query().unwrap().results.is_none());
    done(&mut a, id2, outcome(3));
    assert_eq!(
        a.views
            .query()
            .unwrap()
            .results
            .as_ref()
            .unwrap()
            .rows
            .len(),
        3
    );
}

#[test]
fn cancel_stops_the_queries_and_esc_cancels_before_it_closes() {
    let mut a = with_groups(2);
    let (id, cancel, ..) = run(&mut a);
    a.update(Action::Command(Command::QueryCancel));
    assert!(cancel.is_cancelled(), "the token StopQuery hangs on");
    assert_eq!(
        a.views.query().unwrap().run.as_ref().unwrap().status(),
        "Cancelling"
    );
    a.update(Action::Query(QueryMsg::Done {
        request_id: id,
        result: Box::new(Err("query cancelled".into())),
    }));
    assert_eq!(
        a.views.query().unwrap().run.as_ref().unwrap().phase,
        Phase::Cancelled
    );
    assert!(a.notifications.iter().all(|n| n.level != Level::Error));
    a.update(Action::Command(Command::QueryCancel));
    assert_eq!(last_note(&a).1, "no query is running");

    // esc while running cancels; the next esc leaves; leaving cancels a run too.
    let mut a = with_groups(2);
    let (_, cancel, ..) = run(&mut a);
    a.update(Action::Command(Command::Back));
    assert!(cancel.is_cancelled());
    assert_eq!(a.screen(), Screen::Query);
    a.update(Action::Command(Command::Back));
    assert_eq!(a.screen(), Screen::Detail);
    assert!(a.views.query().is_none());

    let mut a = with_groups(2);
    let (_, cancel, ..) = run(&mut a);
    a.views.pop();
    assert!(
        cancel.is_cancelled(),
        "dropping the screen stops its queries"
    );
}

#[test]
fn a_failed_run_says_why() {
    let mut a = with_groups(2);
    let (id, ..) = run(&mut a);
    a.update(Action::Query(QueryMsg::Done {
        request_id: id,
        result: Box::new(Err("MalformedQueryException: unexpected symbol".into())),
    }));
    let q = a.views.query().unwrap();
    assert!(matches!(&q.run.as_ref().unwrap().phase, Phase::Failed(e) if e.contains("Malformed")));
    assert_eq!(last_note(&a).0, Level::Error);
}

#[test]
fn results_are_a_table_of_the_fields_and_a_row_opens_in_full() {
    let mut a = with_groups(2);
    let (id, ..) = run(&mut a);
    let mut o = outcome(5);
    o.rows[1][2].1 = "evil\x1b[31m\nsecond line".into();
    done(&mut a, id, o);
    let q = a.views.query().unwrap();
    let r = q.results.as_ref().unwrap();
    assert_eq!(r.columns, ["@timestamp", "@log", "@message"]);
    assert_eq!(r.cells[1][2], "evil\\x1b[31m second line");
    assert!(r.widths.iter().all(|w| *w <= COLUMN_WIDTH));
    assert_eq!(q.run.as_ref().unwrap().status(), "Complete");

    a.update(Action::Command(Command::Down));
    a.update(Action::Command(Command::Open));
    assert_eq!(
        a.views.query().unwrap().record,
        Some(RecordView {
            row: 1,
            scroll: crate::app::widgets::Scroll::default()
        })
    );
    a.update(Action::Command(Command::Down));
    assert_eq!(a.views.query().unwrap().record.unwrap().scroll.top(), 1);
    a.update(Action::Command(Command::Back));
    assert!(a.views.query().unwrap().record.is_none());
    assert_eq!(a.screen(), Screen::Query);

    for _ in 0..5 {
        a.update(Action::Command(Command::QueryRight));
    }
    assert_eq!(
        a.views.query().unwrap().results.as_ref().unwrap().first_col,
        2
    );
    a.update(Action::Command(Command::QueryLeft));
    assert_eq!(
        a.views.query().unwrap().results.as_ref().unwrap().first_col,
        1
    );
}

#[test]
fn rows_are_capped() {
    let r = Results::new(outcome(MAX_ROWS + 5));
    assert_eq!(r.rows.len(), MAX_ROWS);
    assert_eq!(r.cells.len(), MAX_ROWS);
    assert!(r.capped);
    let long = "x".repeat(CELL_CHARS * 3);
    assert_eq!(cell(&long).chars().count(), CELL_CHARS + 1);
}

#[test]
fn a_record_pretty_prints_json_values() {
    let row: Row = vec![
        ("@message".into(), "{\"a\":1,\"b\":[2]}".into()),
        (
            "line".into(),
            "2026-11-27T11:00:00Z\treq-1\tERROR\t{\"err\":\"x\"}".into(),
        ),
        ("plain".into(), "no json \x07 here".into()),
    ];
    let lines = record_lines(&row);
    assert_eq!(
        lines[0].1,
        ["{", "  \"a\": 1,", "  \"b\": [", "    2", "  ]", "}"]
    );
    assert_eq!(lines[1].1[0], "2026-11-27T11:00:00Z\\treq-1\\tERROR");
    assert_eq!(lines[1].1[1], "{");
    assert_eq!(lines[2].1, ["no json \\x07 here"]);
}

#[test]
fn export_writes_the_rows_through_an_effect_and_names_the_file() {
    let mut a = with_groups(2);
    a.update(press(KeyCode::Esc));
    assert!(a.update(Action::Command(Command::QueryExport)).is_empty());
    assert_eq!(last_note(&a).1, "run a query first (enter or ctrl-r)");
    a.update(Action::Command(Command::QueryEdit));
    let (id, ..) = run(&mut a);
    done(&mut a, id, outcome(4));
    let fx = a.update(Action::Command(Command::QueryExport));
    let [Effect::Query(Scoped { work: fx, .. })] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    let QueryEffect::Export {
        request_id,
        path,
        rows,
    } = fx.as_ref()
    else {
        panic!("{fx:?}")
    };
    assert_eq!(path, "orders-dev-query-20261127-120000.jsonl");
    assert_eq!(rows.len(), 4);
    a.update(Action::Query(QueryMsg::Exported {
        request_id: *request_id,
        result: Ok(("/home/me/orders-dev-query-20261127-120000.jsonl".into(), 4)),
    }));
    assert_eq!(
        last_note(&a),
        (
            Level::Info,
            "exported 4 rows to /home/me/orders-dev-query-20261127-120000.jsonl".into()
        )
    );
}

#[test]
fn the_window_picker_takes_a_preset_or_a_typed_window() {
    let mut a = with_groups(2);
    a.update(press(KeyCode::Esc));
    a.update(Action::Command(Command::QueryWindow));
    assert!(a.query_input_focused());
    a.update(press(KeyCode::Down));
    a.update(press(KeyCode::Enter));
    assert_eq!(a.views.query().unwrap().window, "24h");

    a.update(Action::Command(Command::QueryWindow));
    typed(&mut a, "soon");
    a.update(press(KeyCode::Enter));
    assert_eq!(last_note(&a).0, Level::Error);
    assert!(a.views.query().unwrap().picker.is_some(), "stays open");
    a.update(ctrl('u'));
    typed(&mut a, "2026-11-27T10:00/2026-11-27T11:30");
    a.update(press(KeyCode::Enter));
    let q = a.views.query().unwrap();
    assert_eq!(q.window, "2026-11-27T10:00/2026-11-27T11:30");
    assert!(q.picker.is_none());
    a.update(Action::Command(Command::QueryEdit));
    let (.., (from, to)) = run(&mut a);
    assert_eq!(to - from, 90 * 60 * 1000);
}

#[test]
fn the_saved_picker_loads_a_query_into_the_editor() {
    let mut a = crate::ui::tests::on_orders_detail();
    a.settings.queries.saved = vec![
        SavedQueryConfig {
            name: "orders-slow".into(),
            text: "fields @duration | sort @duration desc".into(),
            description: Some("slow orders".into()),
            stacks: Some("orders-*".into()),
        },
        SavedQueryConfig {
            name: "ledger-only".into(),
            text: "fields @message".into(),
            description: None,
            stacks: Some("ledger-*".into()),
        },
    ];
    open(&mut a);
    let names: Vec<&str> = a
        .views
        .query()
        .unwrap()
        .saved
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "recent-errors",
            "slowest-invocations",
            "cold-starts",
            "memory-headroom",
            "orders-slow"
        ]
    );
    a.update(press(KeyCode::Esc));
    a.update(Action::Command(Command::QuerySaved));
    typed(&mut a, "cold");
    a.update(press(KeyCode::Enter));
    let q = a.views.query().unwrap();
    assert!(q.editor.starts_with("filter @type = \"REPORT\""));
    assert!(q.editor.contains("coldStarts"));
    assert!(q.editing && q.picker.is_none());
}

#[test]
fn the_editor_takes_keys_and_editor_text() {
    let mut a = with_groups(2);
    a.update(ctrl('u'));
    typed(&mut a, "fields @message | limit 5");
    assert_eq!(
        a.views.query().unwrap().editor.as_str(),
        "fields @message | limit 5"
    );
    // `q` typed in the editor is text, not quit.
    typed(&mut a, "q");
    assert!(!a.should_quit);
    let fx = a.update(ctrl('e'));
    let [
        Effect::EditText {
            target, initial, ..
        },
    ] = fx.as_slice()
    else {
        panic!("{fx:?}")
    };
    assert_eq!(
        (*target, initial.as_str()),
        (EditTarget::QueryText, "fields @message | limit 5q")
    );
    a.update(Action::EditFinished {
        target: EditTarget::QueryText,
        result: Ok(
            "# the newest\nfields @timestamp, @message\n| sort @timestamp desc\n\n| limit 20\n"
                .into(),
        ),
    });
    assert_eq!(
        a.views.query().unwrap().editor.as_str(),
        "fields @timestamp, @message | sort @timestamp desc | limit 20"
    );
    // esc leaves the editor; then keys are commands.
    a.update(press(KeyCode::Esc));
    assert!(!a.query_input_focused());
    let ev = crossterm::event::Event::Key(KeyEvent::new(KeyCode::Char('e'), KeyModifiers::NONE));
    assert!(matches!(
        a.map_event(&ev),
        Some(Action::Command(Command::QueryEdit))
    ));
}

#[test]
fn r_retries_the_groups_after_a_failure() {
    let mut a = crate::ui::tests::on_orders_detail();
    let request_id = open(&mut a);
    a.update(Action::Query(QueryMsg::Groups {
        request_id,
        result: Err("AccessDenied: logs:DescribeLogGroups".into()),
    }));
    assert_eq!(last_note(&a).0, Level::Error);
    a.update(press(KeyCode::Esc));
    let fx = a.update(Action::Command(Command::Refresh));
    assert!(
        matches!(fx.as_slice(), [Effect::Query(Scoped { work: f, .. })] if matches!(f.as_ref(), QueryEffect::LoadGroups { .. })),
        "{fx:?}"
    );
}

#[test]
fn y_copies_the_query_or_the_selected_row_and_o_the_insights_page() {
    let mut a = with_groups(2);
    // Leave the editor (it has the keyboard when the screen opens).
    a.update(press(KeyCode::Esc));
    let effects = a.update(Action::Command(Command::Copy));
    let [Effect::CopyNamed { what, text }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(*what, "query");
    assert!(text.contains("fields"), "{text}");
    a.update(Action::Command(Command::QueryEdit));
    let (request_id, ..) = run(&mut a);
    done(&mut a, request_id, outcome(3));
    let effects = a.update(Action::Command(Command::Copy));
    let [Effect::CopyNamed { what, text }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(*what, "result row");
    assert!(text.contains("order 0 failed"), "{text}");
    let effects = a.update(Action::Command(Command::Console));
    let [Effect::CopyNamed { text, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert!(text.ends_with("#logsV2:logs-insights"), "{text}");
}
