//! Update tests for the DynamoDB screens: made-up results in, state and effects out.

use crate::app::dynamo::{DynamoEffect, DynamoMsg};
use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::app::keymap::Command;
use crate::app::{Action, App, EditTarget, Effect, Screen};
use crate::domain::dynamo::table::{IndexInfo, IndexKind, KeyAttr, Page, SkOp, TableInfo};
use crate::domain::dynamo::{Attr, Item};
use crate::ui::tests::on_orders_detail;

use super::ItemOutcome;

pub(crate) fn key(name: &str, t: &str) -> KeyAttr {
    KeyAttr {
        name: name.into(),
        attr_type: t.into(),
    }
}

/// The demo table: pk/sk strings, GSI byStatus on status/createdAt.
pub(crate) fn demo_table() -> TableInfo {
    TableInfo {
        name: "orders-dev-items".into(),
        logical_id: "ItemsTable".into(),
        status: "ACTIVE".into(),
        pk: key("pk", "S"),
        sk: Some(key("sk", "S")),
        indexes: vec![IndexInfo {
            name: "byStatus".into(),
            kind: IndexKind::Gsi,
            pk: key("status", "S"),
            sk: Some(key("createdAt", "S")),
            projection: "ALL".into(),
        }],
        item_count: Some(320),
        size_bytes: Some(84_567),
        billing_mode: "PAY_PER_REQUEST".into(),
    }
}

/// A demo item with every attribute type across the set.
pub(crate) fn demo_item(i: usize) -> Item {
    let s = |v: String| Attr::S(v);
    let mut m = Item::new();
    m.insert("pk".into(), s(format!("CUST#{:03}", i % 7)));
    m.insert("sk".into(), s(format!("ORDER#{i:05}")));
    m.insert("status".into(), s(["NEW", "PAID", "SHIPPED"][i % 3].into()));
    m.insert(
        "total".into(),
        Attr::N(format!("{}.{:02}", 10 + i, i % 100)),
    );
    m.insert(
        "createdAt".into(),
        s(format!("2026-11-{:02}T10:00:00Z", 1 + i % 27)),
    );
    if i.is_multiple_of(2) {
        m.insert(
            "ledgerRef".into(),
            Attr::N("12345678901234567890123456789012345678".into()),
        );
    }
    if i.is_multiple_of(3) {
        m.insert(
            "tags".into(),
            Attr::Ss(vec!["express".into(), "gift".into()]),
        );
        m.insert("thumb".into(), Attr::B(vec![0, 1, 2, 250]));
    }
    m.insert(
        "address".into(),
        Attr::M(BTreeMap::from([
            ("city".to_string(), s("Lisbon".into())),
            ("zip".to_string(), s(format!("{:05}", 1000 + i))),
        ])),
    );
    m.insert("gift".into(), Attr::Bool(i % 2 == 1));
    m.insert("note".into(), Attr::Null);
    m
}

fn page(range: std::ops::Range<usize>, more: bool) -> Page {
    let items: Vec<Item> = range.clone().map(demo_item).collect();
    Page {
        last_key: more.then(|| items.last().cloned()).flatten(),
        scanned: range.len() as u64,
        items,
    }
}

/// An app on the tables screen of orders-dev with the demo table loaded.
pub(crate) fn on_tables() -> App {
    let mut a = on_orders_detail();
    let eff = a.update(Action::Command(Command::DynamoTables));
    let [
        Effect::Dynamo(DynamoEffect::LoadTables {
            request_id,
            stack_id,
            ..
        }),
    ] = eff.as_slice()
    else {
        panic!("{eff:?}")
    };
    assert!(stack_id.contains("orders-dev"));
    assert_eq!(a.screen(), Screen::DynamoTables);
    // A stale answer is dropped.
    a.update(Action::Dynamo(DynamoMsg::TablesLoaded {
        request_id: request_id + 100,
        result: Ok(vec![]),
    }));
    assert!(a.views.dynamo().unwrap().tables.is_empty());
    a.update(Action::Dynamo(DynamoMsg::TablesLoaded {
        request_id: *request_id,
        result: Ok(vec![demo_table()]),
    }));
    a
}

/// An app on the items screen with `n` items loaded (and more to come when `more`).
pub(crate) fn on_items(n: usize, more: bool) -> App {
    let mut a = on_tables();
    let eff = a.update(Action::Command(Command::Open));
    let [
        Effect::Dynamo(DynamoEffect::LoadPage {
            request_id,
            start: None,
            limit: 200,
            ..
        }),
    ] = eff.as_slice()
    else {
        panic!("{eff:?}")
    };
    a.update(Action::Dynamo(DynamoMsg::PageLoaded {
        request_id: *request_id,
        result: Box::new(Ok(page(0..n, more))),
    }));
    a
}

fn items_of(a: &App) -> &super::ItemsState {
    a.views.dynamo().unwrap().items.as_ref().unwrap()
}

#[test]
fn pages_load_lazily_as_the_cursor_nears_the_end() {
    let mut a = on_items(100, true);
    a.page_rows = 10;
    assert_eq!(items_of(&a).items.len(), 100);
    assert!(
        !items_of(&a).load.is_loading(),
        "100 rows fill the screen: no second page yet"
    );
    assert!(a.update(Action::Command(Command::Down)).is_empty());
    let eff = a.update(Action::Command(Command::Bottom));
    let [
        Effect::Dynamo(DynamoEffect::LoadPage {
            request_id,
            start: Some(start),
            ..
        }),
    ] = eff.as_slice()
    else {
        panic!("{eff:?}")
    };
    assert_eq!(start.get("sk"), Some(&Attr::S("ORDER#00099".into())));
    // No second request while one is in flight.
    assert!(a.update(Action::Command(Command::Up)).is_empty());
    a.update(Action::Dynamo(DynamoMsg::PageLoaded {
        request_id: *request_id,
        result: Box::new(Ok(page(100..150, false))),
    }));
    let it = items_of(&a);
    assert_eq!((it.items.len(), it.scanned, it.pages), (150, 150, 2));
    assert!(!it.has_more());
    assert!(
        a.update(Action::Command(Command::Bottom)).is_empty(),
        "the end"
    );
    // Key columns first, then the most common attributes.
    let cols = &items_of(&a).columns;
    assert_eq!(
        cols,
        &[
            "pk",
            "sk",
            "address",
            "createdAt",
            "gift",
            "note",
            "status",
            "total",
            "ledgerRef",
            "tags",
            "thumb"
        ]
    );
}

#[test]
fn a_short_filtered_page_fetches_the_next_one() {
    let mut a = on_items(0, false);
    let eff = a.update(Action::Command(Command::Refresh));
    let [Effect::Dynamo(DynamoEffect::LoadPage { request_id, .. })] = eff.as_slice() else {
        panic!("{eff:?}")
    };
    let eff = a.update(Action::Dynamo(DynamoMsg::PageLoaded {
        request_id: *request_id,
        result: Box::new(Ok(Page {
            items: vec![],
            last_key: Some(demo_item(7)),
            scanned: 200,
        })),
    }));
    let [
        Effect::Dynamo(DynamoEffect::LoadPage {
            start: Some(start), ..
        }),
    ] = eff.as_slice()
    else {
        panic!("an empty page with a next key goes on reading: {eff:?}")
    };
    assert_eq!(start, &demo_item(7));
    assert_eq!(items_of(&a).scanned, 200);
    // A filter that matches nothing pauses after a while; a key reads on.
    let mut request_id = match eff.as_slice() {
        [Effect::Dynamo(DynamoEffect::LoadPage { request_id, .. })] => *request_id,
        _ => unreachable!(),
    };
    for n in 1..super::EMPTY_PAGES_BEFORE_PAUSE {
        let eff = a.update(Action::Dynamo(DynamoMsg::PageLoaded {
            request_id,
            result: Box::new(Ok(Page {
                items: vec![],
                last_key: Some(demo_item(7)),
                scanned: 200,
            })),
        }));
        match eff.as_slice() {
            [Effect::Dynamo(DynamoEffect::LoadPage { request_id: r, .. })] => request_id = *r,
            [] => {
                assert_eq!(n + 1, super::EMPTY_PAGES_BEFORE_PAUSE, "paused too early");
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(!items_of(&a).load.is_loading(), "paused");
    let eff = a.update(Action::Command(Command::Down));
    assert!(
        matches!(
            eff.as_slice(),
            [Effect::Dynamo(DynamoEffect::LoadPage { .. })]
        ),
        "{eff:?}"
    );
}

fn typ(a: &mut App, s: &str) {
    for c in s.chars() {
        a.update(Action::Input(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        )));
    }
}

fn press(a: &mut App, code: KeyCode) -> Vec<Effect> {
    a.update(Action::Input(KeyEvent::new(code, KeyModifiers::NONE)))
}

#[test]
fn the_query_form_builds_a_gsi_query() {
    let mut a = on_items(5, false);
    a.update(Action::Command(Command::ItemQuery));
    assert!(a.input_focused());
    // index field: choose byStatus
    press(&mut a, KeyCode::BackTab);
    press(&mut a, KeyCode::Right);
    press(&mut a, KeyCode::Tab);
    typ(&mut a, "SHIPPED");
    press(&mut a, KeyCode::Tab);
    for _ in 0..5 {
        press(&mut a, KeyCode::Right); // = < <= > >= begins_with
    }
    press(&mut a, KeyCode::Tab);
    typ(&mut a, "2026-11");
    press(&mut a, KeyCode::Tab);
    press(&mut a, KeyCode::Tab);
    press(&mut a, KeyCode::Right); // descending
    press(&mut a, KeyCode::Tab);
    typ(&mut a, "total");
    press(&mut a, KeyCode::Tab);
    for _ in 0..5 {
        press(&mut a, KeyCode::Right); // >=
    }
    press(&mut a, KeyCode::Tab);
    typ(&mut a, "12.5");
    let eff = press(&mut a, KeyCode::Enter);
    let [
        Effect::Dynamo(DynamoEffect::LoadPage {
            query, start: None, ..
        }),
    ] = eff.as_slice()
    else {
        panic!("{eff:?}")
    };
    assert_eq!(query.index.as_deref(), Some("byStatus"));
    assert_eq!(query.pk.as_deref(), Some("SHIPPED"));
    assert_eq!(
        query.sk,
        Some((SkOp::BeginsWith, "2026-11".into(), String::new()))
    );
    assert!(query.descending);
    let f = query.filter.clone().unwrap();
    assert_eq!(
        (f.attr.as_str(), f.op.label(), f.value.as_str()),
        ("total", ">=", "12.5")
    );
    assert!(!a.input_focused(), "the new query closes the form");
    assert!(items_of(&a).items.is_empty(), "the old pages are dropped");
}

#[test]
fn the_query_form_reports_bad_input_and_esc_closes() {
    let mut a = on_items(5, false);
    a.update(Action::Command(Command::ItemQuery));
    press(&mut a, KeyCode::Tab); // sk op
    press(&mut a, KeyCode::Tab); // sk1
    typ(&mut a, "ORDER#1");
    assert!(press(&mut a, KeyCode::Enter).is_empty());
    let err = items_of(&a).form.as_ref().unwrap().error.clone().unwrap();
    assert!(err.contains("partition-key"), "{err}");
    press(&mut a, KeyCode::Esc);
    assert!(!a.input_focused());
}

fn open_item(a: &mut App) {
    a.update(Action::Command(Command::Open));
    assert_eq!(a.screen(), Screen::DynamoItem);
}

fn view(a: &App) -> &super::ItemView {
    a.views.dynamo().unwrap().view.as_ref().unwrap()
}

#[test]
fn item_view_toggles_copies_and_edits_conditionally() {
    let mut a = on_items(5, false);
    a.update(Action::Command(Command::Down));
    open_item(&mut a);
    assert!(
        view(&a).text.contains("\"total\": 11.01"),
        "{}",
        view(&a).text
    );
    a.update(Action::Command(Command::ItemTyped));
    assert!(view(&a).text.contains("\"N\": \"11.01\""));
    let eff = a.update(Action::Command(Command::ItemCopy));
    assert!(
        matches!(eff.as_slice(), [Effect::CopyToClipboard(t)] if t.contains("\"N\": \"11.01\""))
    );
    let eff = a.update(Action::Command(Command::ItemEdit));
    let [
        Effect::EditText {
            target, initial, ..
        },
    ] = eff.as_slice()
    else {
        panic!("{eff:?}")
    };
    assert_eq!(*target, EditTarget::DynamoItem { typed: true });
    let edited = initial.replace("\"11.01\"", "\"99999999999999999999999999999999999999\"");
    let eff = a.update(Action::EditFinished {
        target: *target,
        result: Ok(edited),
    });
    let [
        Effect::Dynamo(DynamoEffect::PutItem {
            request_id,
            old,
            new,
            ..
        }),
    ] = eff.as_slice()
    else {
        panic!("{eff:?}")
    };
    assert_eq!(old, &demo_item(1));
    assert_eq!(
        new.get("total"),
        Some(&Attr::N("99999999999999999999999999999999999999".into()))
    );
    // The conflict comes back as a clear message; the view keeps the old item.
    a.update(Action::Dynamo(DynamoMsg::ItemDone {
        request_id: *request_id,
        result: Box::new(Err(crate::domain::dynamo::table::CHANGED_MESSAGE.into())),
    }));
    assert!(
        a.notifications
            .back()
            .unwrap()
            .text
            .contains("changed since you opened it")
    );
    assert_eq!(view(&a).item, demo_item(1));
    // A successful save updates the view and the loaded row.
    let new = new.clone();
    let eff = a.update(Action::EditFinished {
        target: EditTarget::DynamoItem { typed: true },
        result: Ok(crate::domain::dynamo::item_to_typed_json(&new).to_string()),
    });
    let [Effect::Dynamo(DynamoEffect::PutItem { request_id, .. })] = eff.as_slice() else {
        panic!("{eff:?}")
    };
    a.update(Action::Dynamo(DynamoMsg::ItemDone {
        request_id: *request_id,
        result: Box::new(Ok(ItemOutcome::Saved(new.clone()))),
    }));
    assert_eq!(view(&a).item, new);
    assert_eq!(items_of(&a).items[1], new);
}

#[test]
fn edits_that_change_the_key_or_break_json_are_refused() {
    let mut a = on_items(3, false);
    open_item(&mut a);
    for text in [
        "{not json",
        "{\"pk\": \"OTHER\", \"sk\": \"ORDER#00000\"}",
        "{\"pk\": {\"S\": 1}}",
    ] {
        let eff = a.update(Action::EditFinished {
            target: EditTarget::DynamoItem { typed: false },
            result: Ok(text.into()),
        });
        assert!(eff.is_empty());
        assert!(
            a.notifications.back().unwrap().text.contains("not saved"),
            "{text}"
        );
    }
}

#[test]
fn delete_needs_confirmation_and_read_only_refuses_writes() {
    let mut a = on_items(3, false);
    open_item(&mut a);
    assert!(a.update(Action::Command(Command::ItemDelete)).is_empty());
    assert!(view(&a).confirm_delete);
    // Any other key cancels.
    a.update(Action::Command(Command::Down));
    assert!(!view(&a).confirm_delete);
    a.update(Action::Command(Command::ItemDelete));
    let eff = a.update(Action::Command(Command::ItemConfirm));
    let [
        Effect::Dynamo(DynamoEffect::DeleteItem {
            request_id, old, ..
        }),
    ] = eff.as_slice()
    else {
        panic!("{eff:?}")
    };
    assert_eq!(old, &demo_item(0));
    a.update(Action::Dynamo(DynamoMsg::ItemDone {
        request_id: *request_id,
        result: Box::new(Ok(ItemOutcome::Deleted)),
    }));
    assert_eq!(a.screen(), Screen::DynamoItems);
    assert_eq!(items_of(&a).items.len(), 2);

    a.header.read_only = true;
    open_item(&mut a);
    assert!(a.update(Action::Command(Command::ItemEdit)).is_empty());
    assert!(a.notifications.back().unwrap().text.contains("--read-only"));
    assert!(a.update(Action::Command(Command::ItemDelete)).is_empty());
    assert!(!view(&a).confirm_delete);
    assert!(a.update(Action::Command(Command::ItemConfirm)).is_empty());
    let eff = a.update(Action::EditFinished {
        target: EditTarget::DynamoItem { typed: false },
        result: Ok("{\"pk\": \"CUST#001\", \"sk\": \"ORDER#00001\"}".into()),
    });
    assert!(eff.is_empty());
}

#[test]
fn export_runs_cancels_and_back_cancels_it() {
    let mut a = on_items(3, false);
    let eff = a.update(Action::Command(Command::ItemExport));
    let [
        Effect::Dynamo(DynamoEffect::Export {
            request_id,
            path,
            segments: 4,
            cancel,
            ..
        }),
    ] = eff.as_slice()
    else {
        panic!("{eff:?}")
    };
    assert_eq!(path, "orders-dev-items-20261127-120000.jsonl");
    a.update(Action::Dynamo(DynamoMsg::ExportProgress {
        request_id: *request_id,
        written: 120,
    }));
    assert_eq!(items_of(&a).export.as_ref().unwrap().written, 120);
    assert_eq!(items_of(&a).export.as_ref().unwrap().total, Some(320));
    a.update(Action::Command(Command::ItemCancel));
    assert!(cancel.is_cancelled());
    let eff = a.update(Action::Command(Command::ItemExport));
    assert!(eff.is_empty(), "still running until the task reports");
    a.update(Action::Dynamo(DynamoMsg::ExportDone {
        request_id: *request_id,
        result: Ok(crate::domain::dynamo::table::ExportSummary {
            items: 130,
            scanned: 130,
            bytes: 1000,
            cancelled: true,
        }),
    }));
    assert!(a.notifications.back().unwrap().text.contains("cancelled"));
    let eff = a.update(Action::Command(Command::ItemExport));
    let [Effect::Dynamo(DynamoEffect::Export { cancel, .. })] = eff.as_slice() else {
        panic!("{eff:?}")
    };
    let cancel = cancel.clone();
    a.update(Action::Command(Command::Back));
    assert!(
        cancel.is_cancelled(),
        "closing the screen cancels the export"
    );
    assert_eq!(a.screen(), Screen::DynamoTables);
}

#[test]
fn the_window_stays_small_at_a_million_items() {
    let mut a = on_items(10, false);
    let it = a.views.dynamo_mut().unwrap().items.as_mut().unwrap();
    it.items.resize(1_000_000, Item::new());
    it.list.set_len(1_000_000);
    it.list.selected = 999_999;
    let win = it.list.visible(30);
    assert_eq!(win, 999_970..1_000_000);
    it.list.selected = 500_000;
    assert_eq!(it.list.visible(30).len(), 30);
}

#[test]
fn paging_stops_at_max_rows_with_a_notice() {
    let mut a = on_tables();
    a.settings.dynamo.max_rows = 150;
    let eff = a.update(Action::Command(Command::Open));
    let [Effect::Dynamo(DynamoEffect::LoadPage { request_id, .. })] = eff.as_slice() else {
        panic!("{eff:?}")
    };
    a.update(Action::Dynamo(DynamoMsg::PageLoaded {
        request_id: *request_id,
        result: Box::new(Ok(page(0..100, true))),
    }));
    let eff = a.update(Action::Command(Command::Bottom));
    let [Effect::Dynamo(DynamoEffect::LoadPage { request_id, .. })] = eff.as_slice() else {
        panic!("{eff:?}")
    };
    a.update(Action::Dynamo(DynamoMsg::PageLoaded {
        request_id: *request_id,
        result: Box::new(Ok(page(100..200, true))),
    }));
    let note = &a.notifications.back().unwrap().text;
    assert!(note.contains("max_rows = 150"), "{note}");
    assert!(items_of(&a).has_more());
    assert!(a.update(Action::Command(Command::Bottom)).is_empty());
    assert_eq!(items_of(&a).items.len(), 200);
}

#[test]
fn y_copies_the_table_name_and_the_item_key_and_o_the_table_page() {
    let mut a = on_tables();
    let eff = a.update(Action::Command(Command::Copy));
    assert!(
        matches!(eff.as_slice(), [Effect::CopyNamed { what: "table name", text }] if text == "orders-dev-items"),
        "{eff:?}"
    );
    let mut a = on_items(3, false);
    let eff = a.update(Action::Command(Command::Copy));
    assert!(
        matches!(eff.as_slice(), [Effect::CopyNamed { what: "item key", text }]
            if text == r#"{"pk":"CUST#000","sk":"ORDER#00000"}"#),
        "{eff:?}"
    );
    let eff = a.update(Action::Command(Command::Console));
    assert!(
        matches!(eff.as_slice(), [Effect::CopyNamed { what: "console URL", text }]
            if text.ends_with("/dynamodbv2/home?region=us-east-1#table?name=orders-dev-items")),
        "{eff:?}"
    );
}
