//! Snapshots of the errors screen: the groups, an occurrence of mixed text and JSON lines,
//! the loading and empty states, and the stack list's ERRORS column.

use crate::app::Scoped;
use crate::app::errors::tests::{listed, loaded, on_errors, request_events};
use crate::app::errors::{ErrorsEffect, ErrorsMsg, Loaded, action};
use crate::app::keymap::{Command, Keymap};
use crate::app::{Action, App, Effect, HeaderInfo, Settings};
use crate::domain::time::Clock;
use crate::ui::tests::{assert_clean, draw_sized};

fn occurrence_id(effects: &[Effect]) -> u64 {
    match effects {
        [Effect::Errors(Scoped { work: fx, .. })] => match fx.as_ref() {
            ErrorsEffect::Occurrence { request_id, .. } => *request_id,
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

fn app() -> App {
    App::new(
        Keymap::load(&toml::Table::new()).unwrap(),
        Clock::new(Some(crate::app::errors::tests::now())),
        HeaderInfo::default(),
        Settings::default(),
    )
}

#[test]
fn groups() {
    let a = on_errors();
    let t = draw_sized(&a, 120, 20);
    assert_clean(&t);
    insta::assert_snapshot!("errors__groups", t.backend());
}

#[test]
fn occurrence_of_text_and_json_lines() {
    let mut a = on_errors();
    a.update(Action::Command(Command::Bottom));
    let id = occurrence_id(&a.update(Action::Command(Command::Open)));
    insta::assert_snapshot!(
        "errors__occurrence_loading",
        draw_sized(&a, 120, 12).backend()
    );
    a.update(action(ErrorsMsg::Occurrence {
        request_id: id,
        result: Ok(request_events(2)),
    }));
    let t = draw_sized(&a, 120, 24);
    assert_clean(&t);
    insta::assert_snapshot!("errors__occurrence", t.backend());
    // Scrolled: only the lines in view are drawn.
    a.page_rows = crate::ui::list_rows(12);
    a.update(Action::Command(Command::PageDown));
    insta::assert_snapshot!(
        "errors__occurrence_scrolled",
        draw_sized(&a, 120, 12).backend()
    );
}

#[test]
fn loading_and_empty() {
    let mut a = app();
    listed(&mut a);
    let effects = a.update(Action::Command(Command::Errors));
    insta::assert_snapshot!("errors__loading", draw_sized(&a, 100, 10).backend());
    let Some(Effect::Errors(Scoped { work: fx, .. })) = effects.first() else {
        panic!("{effects:?}")
    };
    let ErrorsEffect::Load { request_id, .. } = fx.as_ref() else {
        panic!("{fx:?}")
    };
    a.update(action(ErrorsMsg::Loaded {
        request_id: *request_id,
        result: Box::new(Ok(Loaded::default())),
    }));
    insta::assert_snapshot!("errors__empty", draw_sized(&a, 100, 10).backend());
}

#[test]
fn the_stack_list_fills_its_errors_column_in() {
    let mut a = app();
    let effects = listed(&mut a);
    let request_id = effects
        .iter()
        .find_map(|e| match e {
            Effect::Errors(Scoped { work: fx, .. }) => match fx.as_ref() {
                ErrorsEffect::Counts { request_id, .. } => Some(*request_id),
                _ => None,
            },
            _ => None,
        })
        .unwrap();
    let orders = a
        .stacks
        .stacks
        .iter()
        .find(|s| s.name == "orders-dev")
        .unwrap()
        .id
        .clone();
    a.update(action(ErrorsMsg::Count {
        request_id,
        stack_id: orders,
        result: Ok(loaded().groups.iter().map(|g| g.count).sum()),
    }));
    insta::assert_snapshot!("errors__stack_column", draw_sized(&a, 120, 8).backend());
    // Narrow: the column is left out.
    let narrow = format!("{:?}", draw_sized(&a, 110, 8).backend());
    assert!(!narrow.contains("ERRORS"), "{narrow}");
}
