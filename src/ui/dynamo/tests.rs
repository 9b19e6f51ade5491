//! Snapshots of the DynamoDB screens.

use crate::app::Action;
use crate::app::dynamo::tests::{demo_item, on_items, on_tables};
use crate::app::keymap::Command;
use crate::domain::dynamo::{Attr, Item};
use crate::ui::tests::{assert_clean, draw, draw_sized};

#[test]
fn tables_list() {
    let a = on_tables();
    insta::assert_snapshot!("dynamo__tables", draw(&a).backend());
}

#[test]
fn items_screen() {
    let mut a = on_items(40, true);
    a.update(Action::Command(Command::Down));
    a.update(Action::Command(Command::Down));
    insta::assert_snapshot!("dynamo__items", draw_sized(&a, 120, 24).backend());
}

#[test]
fn query_form() {
    let mut a = on_items(40, true);
    a.update(Action::Command(Command::ItemQuery));
    for c in "CUST#003".chars() {
        a.update(Action::Input(crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::Char(c),
            crossterm::event::KeyModifiers::NONE,
        )));
    }
    insta::assert_snapshot!("dynamo__query_form", draw_sized(&a, 120, 24).backend());
}

#[test]
fn item_view_plain_and_typed() {
    let mut a = on_items(5, false);
    a.update(Action::Command(Command::Open));
    insta::assert_snapshot!("dynamo__item_plain", draw_sized(&a, 100, 30).backend());
    a.update(Action::Command(Command::ItemTyped));
    a.update(Action::Command(Command::ItemDelete));
    insta::assert_snapshot!(
        "dynamo__item_typed_confirm",
        draw_sized(&a, 100, 30).backend()
    );
}

#[test]
fn a_million_items_draw_only_the_window() {
    let mut a = on_items(10, false);
    let it = a.views.dynamo_mut().unwrap().items.as_mut().unwrap();
    it.items.resize(999_999, Item::new());
    it.items.push(demo_item(424_242));
    it.list.set_len(1_000_000);
    a.update(Action::Command(Command::Bottom));
    let t = draw_sized(&a, 120, 24);
    let text = format!("{}", t.backend());
    assert!(text.contains("ORDER#424242"), "{text}");
    assert!(text.contains("1000000 loaded"), "{text}");
}

#[test]
fn hostile_values_are_sanitised() {
    let mut a = on_items(3, false);
    let evil = "\x1b]52;c;ZXZpbA==\x07\x1b[2J\u{9b}31m\u{202e}";
    let it = a.views.dynamo_mut().unwrap().items.as_mut().unwrap();
    let mut item = it.items[0].clone();
    item.insert(evil.into(), Attr::S(evil.into()));
    item.insert("note".into(), Attr::S(evil.into()));
    it.items[0] = item.clone();
    *it.counts.entry(evil.into()).or_insert(0) += 10;
    it.columns.insert(2, evil.into());
    assert_clean(&draw_sized(&a, 160, 24));
    a.update(Action::Command(Command::Open));
    assert_clean(&draw(&a));
    a.update(Action::Command(Command::ItemTyped));
    assert_clean(&draw(&a));
}
