//! Snapshots and flow of the shelve screen (`S`), the shelf (`:archives`) and restore.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::app::archives::RestorePhase;
use crate::app::keymap::Command;
use crate::app::palette::PaletteAction;
use crate::app::shelf::ShelfWork;
use crate::app::shelf::{Planned, ShelfEffect, ShelfMsg, Step};
use crate::app::stacks::StacksEffect;
use crate::app::teardown::{COUNTDOWN_TICKS, Phase};
use crate::app::{Action, App, Effect, Screen};
use crate::domain::archive::shelve::{
    ArchiveSummary, BucketCheck, Preview, PreviewEntry, Progress, RestoreReport, Shelved,
    TableCheck,
};
use crate::domain::archive::{Manifest, NotKept};
use crate::domain::teardown::run::{Outcome, OutcomeKind};
use crate::ui::teardown::tests::{loaded, plan_for, type_text};
use crate::ui::tests::{draw_sized, now};

fn enter() -> Action {
    Action::Input(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE))
}

fn preview(stack: &str) -> Preview {
    Preview {
        stack: stack.into(),
        location: format!("/home/ana/.local/share/protoctl/archives/{stack}-20261127T120000Z"),
        tables: vec![PreviewEntry {
            logical_id: "ItemsTable".into(),
            name: format!("{stack}-items"),
            count: Some(50_000),
        }],
        buckets: vec![
            PreviewEntry {
                logical_id: "DataBucket".into(),
                name: format!("{stack}-data-123456789012"),
                count: Some(1200),
            },
            PreviewEntry {
                logical_id: "UploadsBucket".into(),
                name: "kept-uploads".into(),
                count: Some(4),
            },
        ],
        log_groups: 0,
        no_echo: vec!["DbPassword".into()],
        not_kept: vec![
            NotKept {
                subject: "UserPool (AWS::Cognito::UserPool)".into(),
                reason: "its users are not archived; passwords cannot be read from AWS".into(),
            },
            NotKept {
                subject: "parameter DbPassword".into(),
                reason: "NoEcho: give it again on restore".into(),
            },
        ],
    }
}

/// The loaded stack list, archives in a fixed folder (not this machine's data dir).
fn shelf_app() -> App {
    let mut a = loaded();
    a.settings.shelve_locations = vec!["/home/ana/.local/share/protoctl/archives".into()];
    a
}

/// The list filtered to abandoned stacks, `S` on legacy-quiz-dev, its plan back.
fn planned() -> (App, u64) {
    let mut a = shelf_app();
    a.update(Action::Command(Command::AbandonedFilter));
    let effects = a.update(Action::Command(Command::Shelve));
    let Some(Effect::Shelf(ShelfWork { work: fx, .. })) = effects.first() else {
        panic!("{effects:?}")
    };
    let ShelfEffect::Preview {
        request_id, stack, ..
    } = fx.as_ref()
    else {
        panic!("{fx:?}")
    };
    assert_eq!(stack.name, "legacy-quiz-dev");
    let (request_id, plan) = (*request_id, plan_for(stack));
    a.update(Action::Shelf(ShelfMsg::Previewed {
        request_id,
        result: Box::new(Ok(Planned {
            account: "123456789012".into(),
            preview: preview(&plan.stack.name),
            plan,
        })),
    }));
    (a, request_id)
}

fn manifest() -> Manifest {
    Manifest {
        format: "protoctl-archive".into(),
        version: 1,
        stack_name: "legacy-quiz-dev".into(),
        stack_id: "arn:aws:cloudformation:us-east-1:123456789012:stack/legacy-quiz-dev/6f1c".into(),
        account: "123456789012".into(),
        region: "us-east-1".into(),
        archived_at: now(),
        template_file: "template.json".into(),
        nested: vec![],
        tables: vec![crate::domain::archive::TableEntry {
            logical_id: "ItemsTable".into(),
            name: "legacy-quiz-dev-items".into(),
            items: 50_000,
            items_digest: String::new(),
            schema_file: "tables/ItemsTable/table.json".into(),
            items_file: "tables/ItemsTable/items.jsonl".into(),
        }],
        buckets: vec![],
        logs: vec![],
        no_echo: vec![],
        not_kept: vec![],
        files: vec![],
    }
}

#[test]
fn shelve_plan_confirm_progress_done() {
    let (mut a, id) = planned();
    assert_eq!(a.screen(), Screen::Shelve);
    insta::assert_snapshot!("shelve__plan", draw_sized(&a, 120, 30).backend());

    a.update(Action::Command(Command::Open));
    assert!(a.input_focused());
    type_text(&mut a, "legacy-quiz");
    a.update(enter());
    assert_eq!(a.views.shelve().unwrap().phase, Phase::Confirm);
    type_text(&mut a, "-dev");
    insta::assert_snapshot!("shelve__confirm", draw_sized(&a, 120, 12).backend());
    a.update(enter());
    assert_eq!(
        a.views.shelve().unwrap().phase,
        Phase::Countdown(COUNTDOWN_TICKS)
    );
    for _ in 0..COUNTDOWN_TICKS - 1 {
        assert!(a.update(Action::Tick).is_empty());
    }
    let effects = a.update(Action::Tick);
    let Some(Effect::Shelf(ShelfWork { work: fx, .. })) = effects.first() else {
        panic!("{effects:?}")
    };
    let ShelfEffect::Shelve { account, plan, .. } = fx.as_ref() else {
        panic!("{fx:?}")
    };
    assert_eq!(
        (account.as_str(), plan.stack.name.as_str()),
        ("123456789012", "legacy-quiz-dev")
    );
    for progress in [
        Progress::Phase("archiving table ItemsTable".into()),
        Progress::Items {
            table: "ItemsTable".into(),
            items: 50_000,
        },
        Progress::Objects {
            bucket: "DataBucket".into(),
            objects: 1200,
            bytes: 5 * 1024 * 1024,
        },
        Progress::Phase("verifying the archive".into()),
        Progress::Verified {
            files: 700,
            total: 1210,
        },
    ] {
        a.update(Action::Shelf(ShelfMsg::Progress {
            request_id: id,
            progress,
        }));
    }
    assert_eq!(a.views.shelve().unwrap().step, Some(Step::Verifying));
    insta::assert_snapshot!("shelve__progress", draw_sized(&a, 100, 16).backend());

    a.update(Action::Shelf(ShelfMsg::Shelved {
        request_id: id,
        result: Box::new(Ok(Shelved {
            location: preview("legacy-quiz-dev").location,
            manifest: manifest(),
            outcome: Outcome {
                note: None,
                stack_name: "legacy-quiz-dev".into(),
                stack_id: "arn".into(),
                result: OutcomeKind::Deleted,
                steps: vec![],
                refusals: vec![],
                failed_resources: vec![],
                error: None,
            },
        })),
    }));
    assert_eq!(a.views.shelve().unwrap().phase, Phase::Done);
    insta::assert_snapshot!("shelve__done", draw_sized(&a, 100, 17).backend());
    let effects = a.update(Action::Command(Command::Back));
    assert!(matches!(
        effects.first(),
        Some(Effect::Stacks(StacksEffect::Load { .. }))
    ));
    assert!(a.views.shelve().is_none());
    assert_eq!(a.screen(), Screen::Stacks);
}

#[test]
fn esc_while_running_cancels_and_a_failure_deletes_nothing() {
    let (mut a, id) = planned();
    a.update(Action::Command(Command::Open));
    type_text(&mut a, "legacy-quiz-dev");
    a.update(enter());
    for _ in 0..COUNTDOWN_TICKS {
        a.update(Action::Tick);
    }
    let cancel = a.views.shelve().unwrap().cancel.clone().unwrap();
    a.update(Action::Command(Command::Back));
    assert!(cancel.is_cancelled());
    assert_eq!(a.screen(), Screen::Shelve, "esc cancels, the screen stays");
    a.update(Action::Shelf(ShelfMsg::Shelved {
        request_id: id,
        result: Box::new(Err(
            "shelving legacy-quiz-dev failed: cancelled; nothing was deleted".into(),
        )),
    }));
    let screen = format!("{:?}", draw_sized(&a, 100, 14).backend());
    assert!(screen.contains("nothing was deleted"), "{screen}");
    // Nothing was deleted: back does not reload the list.
    assert!(a.update(Action::Command(Command::Back)).is_empty());
}

#[test]
fn read_only_refuses_shelve_and_restore() {
    let (mut a, _) = planned();
    a.header.read_only = true;
    a.update(Action::Command(Command::Open));
    assert_eq!(a.views.shelve().unwrap().phase, Phase::Review);
    let screen = format!("{:?}", draw_sized(&a, 120, 30).backend());
    assert!(screen.contains("READ-ONLY: shelve is refused"), "{screen}");

    let mut a = listed();
    a.header.read_only = true;
    a.update(Action::Command(Command::Open));
    assert_eq!(a.screen(), Screen::Archives);
    assert!(a.views.archives().unwrap().restore.is_none());
}

fn summary(stack: &str, hours_ago: i64, no_echo: &[&str]) -> ArchiveSummary {
    let at = now() - chrono::Duration::hours(hours_ago);
    ArchiveSummary {
        stack: stack.into(),
        archived_at: at,
        location: format!(
            "/home/ana/.local/share/protoctl/archives/{stack}-{}",
            at.format("%Y%m%dT%H%M%SZ")
        ),
        size_bytes: 12_800_000,
        tables: 1,
        items: 50_000,
        buckets: 2,
        objects: 1204,
        account: "123456789012".into(),
        region: "us-east-1".into(),
        version: 1,
        no_echo: no_echo.iter().map(ToString::to_string).collect(),
    }
}

/// `:archives` with two archives listed.
fn listed() -> App {
    let mut a = shelf_app();
    let effects = a.run_palette(PaletteAction::Archives);
    let Some(Effect::Shelf(ShelfWork { work: fx, .. })) = effects.first() else {
        panic!("{effects:?}")
    };
    let ShelfEffect::List { request_id, places } = fx.as_ref() else {
        panic!("{fx:?}")
    };
    assert_eq!(places.len(), 1, "the default location");
    let request_id = *request_id;
    a.update(Action::Shelf(ShelfMsg::Listed {
        request_id,
        result: Ok(vec![
            summary("legacy-quiz-dev", 1, &["DbPassword"]),
            summary("survey-dev", 72, &[]),
        ]),
    }));
    a
}

#[test]
fn archives_list_restore_form_run_and_check() {
    let mut a = listed();
    assert_eq!(a.screen(), Screen::Archives);
    insta::assert_snapshot!("archives__list", draw_sized(&a, 140, 10).backend());

    a.update(Action::Command(Command::Open));
    assert_eq!(a.screen(), Screen::Restore);
    assert!(a.input_focused());
    insta::assert_snapshot!("archives__restore_form", draw_sized(&a, 100, 14).backend());
    // The NoEcho parameter is empty: enter does not start.
    a.update(enter());
    let r = a.views.archives().unwrap().restore.as_ref().unwrap();
    assert_eq!(r.phase, RestorePhase::Form);
    // A new name (typed characters outside a stack name's are dropped), then the password.
    for _ in 0.."legacy-quiz-dev".len() {
        a.update(Action::Input(KeyEvent::new(
            KeyCode::Backspace,
            KeyModifiers::NONE,
        )));
    }
    type_text(&mut a, "quiz again!");
    a.update(Action::Input(KeyEvent::new(
        KeyCode::Tab,
        KeyModifiers::NONE,
    )));
    type_text(&mut a, "s3cret");
    let screen = format!("{:?}", draw_sized(&a, 100, 14).backend());
    assert!(!screen.contains("s3cret"), "a NoEcho value is masked");
    let effects = a.update(enter());
    let Some(Effect::Shelf(ShelfWork { work: fx, .. })) = effects.first() else {
        panic!("{effects:?}")
    };
    let ShelfEffect::Restore {
        request_id, opts, ..
    } = fx.as_ref()
    else {
        panic!("{fx:?}")
    };
    assert_eq!(opts.name.as_deref(), Some("quizagain"));
    assert_eq!(
        opts.params.get("DbPassword").map(String::as_str),
        Some("s3cret")
    );
    let id = *request_id;
    for progress in [
        Progress::Phase("loading table ItemsTable".into()),
        Progress::Items {
            table: "ItemsTable".into(),
            items: 20_000,
        },
    ] {
        a.update(Action::Shelf(ShelfMsg::Progress {
            request_id: id,
            progress,
        }));
    }
    insta::assert_snapshot!(
        "archives__restore_running",
        draw_sized(&a, 100, 10).backend()
    );
    a.update(Action::Shelf(ShelfMsg::Restored {
        request_id: id,
        result: Box::new(Ok(RestoreReport {
            stack_name: "quizagain".into(),
            stack_id: "arn".into(),
            status: "CREATE_COMPLETE".into(),
            two_phase: false,
            tables: vec![TableCheck {
                logical_id: "ItemsTable".into(),
                name: "quizagain-items".into(),
                expected_items: 50_000,
                items: 50_000,
                digest_matches: true,
            }],
            buckets: vec![BucketCheck {
                logical_id: "DataBucket".into(),
                name: "quizagain-data".into(),
                expected_objects: 1200,
                objects: 1200,
                checksums_match: true,
            }],
        })),
    }));
    insta::assert_snapshot!("archives__restore_done", draw_sized(&a, 100, 12).backend());
    let effects = a.update(Action::Command(Command::Back));
    assert_eq!(a.screen(), Screen::Archives);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Stacks(StacksEffect::Load { .. })))
    );
}
