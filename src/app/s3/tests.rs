//! `update` tests of the S3 screens: made-up results in, state and effects checked.

use chrono::{TimeZone, Utc};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::app::Scoped;
use crate::app::keymap::Command;
use crate::app::stacks::StacksMsg;
use crate::app::{Action, App, Effect, Level};
use crate::domain::s3::{BucketRef, ListPage, ObjectEntry};

pub(crate) fn obj(key: &str, size: u64) -> ObjectEntry {
    ObjectEntry {
        key: key.into(),
        size,
        last_modified: Some(Utc.with_ymd_and_hms(2026, 11, 26, 9, 30, 0).unwrap()),
        etag: Some("9b2cf535f27731c974343645a3985328".into()),
        storage_class: Some("STANDARD".into()),
    }
}

pub(crate) fn buckets() -> Vec<BucketInfo> {
    vec![
        BucketInfo {
            bucket: BucketRef {
                logical_id: "DataBucket".into(),
                name: "orders-dev-data-123456789012".into(),
            },
            versioning: Some("Enabled".into()),
            stats: None,
            counting: false,
            count_error: None,
        },
        BucketInfo {
            bucket: BucketRef {
                logical_id: "ServerlessDeploymentBucket".into(),
                name: "orders-dev-serverlessdeploymentbucket-1x2y".into(),
            },
            versioning: None,
            stats: None,
            counting: false,
            count_error: None,
        },
    ]
}

/// An app on the detail of orders-dev with its buckets loaded.
pub(crate) fn on_buckets() -> App {
    let mut a = crate::ui::tests::app();
    let id = crate::ui::tests::ready(&mut a);
    a.update(Action::Stacks(StacksMsg::Loaded {
        request_id: id,
        result: Ok(crate::ui::tests::demo_stacks()),
    }));
    a.update(Action::Command(Command::Down));
    a.update(Action::Command(Command::Down));
    a.update(Action::Command(Command::Open));
    assert_eq!(a.views.detail().unwrap().stack.name, "orders-dev");
    let effects = a.update(Action::Command(Command::S3Buckets));
    let [
        Effect::S3(Scoped {
            work: S3Effect::LoadBuckets { request_id, .. },
            ..
        }),
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(a.screen(), Screen::S3Buckets);
    a.update(Action::S3(S3Action::BucketsLoaded {
        request_id: *request_id,
        result: Ok(buckets()),
    }));
    a
}

fn list_request(effects: &[Effect]) -> (u64, String, Option<String>) {
    match effects {
        [
            Effect::S3(Scoped {
                work:
                    S3Effect::ListPage {
                        request_id,
                        prefix,
                        token,
                        ..
                    },
                ..
            }),
        ] => (*request_id, prefix.clone(), token.clone()),
        other => panic!("expected one ListPage, got {other:?}"),
    }
}

/// A page of `n` objects `p/key-00000` … under `prefix`.
pub(crate) fn page(prefix: &str, from: usize, n: usize, next: Option<&str>) -> ListPage {
    ListPage {
        folders: Vec::new(),
        objects: (from..from + n)
            .map(|i| obj(&format!("{prefix}key-{i:06}"), i as u64))
            .collect(),
        next_token: next.map(Into::into),
    }
}

/// Opens the browser on the data bucket and feeds it `first`.
pub(crate) fn on_browser(first: ListPage) -> App {
    let mut a = on_buckets();
    let effects = a.update(Action::Command(Command::Open));
    let (request_id, prefix, token) = list_request(&effects);
    assert_eq!((prefix.as_str(), token), ("", None));
    a.update(Action::S3(S3Action::PageLoaded {
        request_id,
        result: Ok(first),
    }));
    a
}

fn type_text(a: &mut App, text: &str) -> Vec<Effect> {
    let mut out = Vec::new();
    for c in text.chars() {
        let ev = Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        if let Some(action) = a.map_event(&ev) {
            out.extend(a.update(action));
        }
    }
    out
}

fn key(a: &mut App, code: KeyCode) -> Vec<Effect> {
    let ev = Event::Key(KeyEvent::new(code, KeyModifiers::NONE));
    a.map_event(&ev)
        .map(|act| a.update(act))
        .unwrap_or_default()
}

#[test]
fn b_opens_the_buckets_and_back_returns_to_the_detail() {
    let mut a = on_buckets();
    let s = a.views.s3().unwrap();
    assert_eq!(s.buckets.len(), 2);
    assert_eq!(s.load, LoadState::Loaded);
    a.update(Action::Command(Command::Back));
    assert_eq!(a.screen(), Screen::Detail);
    assert!(a.views.s3().is_none());
}

#[test]
fn stale_bucket_results_are_dropped() {
    let mut a = on_buckets();
    a.update(Action::S3(S3Action::BucketsLoaded {
        request_id: 9999,
        result: Ok(Vec::new()),
    }));
    assert_eq!(a.views.s3().unwrap().buckets.len(), 2);
}

#[test]
fn counting_shows_progress_and_can_be_cancelled() {
    let mut a = on_buckets();
    let effects = a.update(Action::Command(Command::S3Count));
    let [
        Effect::S3(Scoped {
            work: S3Effect::Count { bucket, cancel },
            ..
        }),
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    let cancel = cancel.clone();
    assert_eq!(bucket, "orders-dev-data-123456789012");
    a.update(Action::S3(S3Action::CountProgress {
        bucket: bucket.clone(),
        stats: BucketStats {
            objects: 1000,
            bytes: 5000,
        },
        done: false,
    }));
    let b = &a.views.s3().unwrap().buckets[0];
    assert!(b.counting);
    assert_eq!(b.stats.unwrap().objects, 1000);
    a.update(Action::Command(Command::S3Cancel));
    assert!(cancel.is_cancelled());
    assert!(!a.views.s3().unwrap().buckets[0].counting);
}

#[test]
fn closing_the_screens_cancels_running_work() {
    let mut a = on_buckets();
    let effects = a.update(Action::Command(Command::S3Count));
    let [
        Effect::S3(Scoped {
            work: S3Effect::Count { cancel, .. },
            ..
        }),
    ] = effects.as_slice()
    else {
        panic!()
    };
    let cancel = cancel.clone();
    a.update(Action::Command(Command::Back));
    assert!(cancel.is_cancelled());
}

#[test]
fn folders_are_entered_and_left_with_the_cursor_restored() {
    let mut a = on_browser(ListPage {
        folders: vec!["config/".into(), "uploads/".into()],
        objects: vec![obj("empty.bin", 0)],
        next_token: None,
    });
    let b = a.views.s3().unwrap().browser.as_ref().unwrap();
    let names: Vec<&str> = b.entries.iter().map(Entry::key).collect();
    assert_eq!(names, ["config/", "empty.bin", "uploads/"]);
    a.update(Action::Command(Command::Bottom));
    let (rid, prefix, _) = list_request(&a.update(Action::Command(Command::Open)));
    assert_eq!(prefix, "uploads/");
    a.update(Action::S3(S3Action::PageLoaded {
        request_id: rid,
        result: Ok(ListPage {
            folders: vec!["uploads/2026/".into()],
            objects: vec![obj("uploads/my file (1).txt", 18)],
            next_token: None,
        }),
    }));
    let b = a.views.s3().unwrap().browser.as_ref().unwrap();
    assert_eq!(b.name_of(&b.entries[1]), "my file (1).txt");
    let (rid, prefix, _) = list_request(&a.update(Action::Command(Command::Back)));
    assert_eq!(prefix, "");
    a.update(Action::S3(S3Action::PageLoaded {
        request_id: rid,
        result: Ok(ListPage {
            folders: vec!["config/".into(), "uploads/".into()],
            objects: vec![obj("empty.bin", 0)],
            next_token: None,
        }),
    }));
    let b = a.views.s3().unwrap().browser.as_ref().unwrap();
    assert_eq!(b.list.selected, 2, "cursor back on uploads/");
    a.update(Action::Command(Command::Back));
    assert_eq!(a.screen(), Screen::S3Buckets);
}

#[test]
fn next_page_loads_as_the_cursor_nears_the_end() {
    let mut a = on_browser(page("", 0, 1000, Some("t1")));
    assert!(a.update(Action::Command(Command::Down)).is_empty());
    let (rid, _, token) = list_request(&a.update(Action::Command(Command::Bottom)));
    assert_eq!(token.as_deref(), Some("t1"));
    // No second request while one is in flight.
    assert!(a.update(Action::Command(Command::Up)).is_empty());
    a.update(Action::S3(S3Action::PageLoaded {
        request_id: rid,
        result: Ok(page("", 1000, 1000, None)),
    }));
    let b = a.views.s3().unwrap().browser.as_ref().unwrap();
    assert_eq!(b.entries.len(), 2000);
    assert_eq!(b.pages, 2);
    assert!(
        a.update(Action::Command(Command::Bottom)).is_empty(),
        "last page"
    );
}

#[test]
fn a_stale_page_of_another_prefix_is_dropped() {
    let mut a = on_browser(ListPage {
        folders: vec!["a/".into()],
        objects: Vec::new(),
        next_token: None,
    });
    let (old, _, _) = list_request(&a.update(Action::Command(Command::Refresh)));
    let (new, _, _) = list_request(&a.update(Action::Command(Command::Refresh)));
    a.update(Action::S3(S3Action::PageLoaded {
        request_id: old,
        result: Ok(page("", 0, 5, None)),
    }));
    assert!(
        a.views
            .s3()
            .unwrap()
            .browser
            .as_ref()
            .unwrap()
            .entries
            .is_empty()
    );
    a.update(Action::S3(S3Action::PageLoaded {
        request_id: new,
        result: Ok(page("", 0, 4, None)),
    }));
    assert_eq!(
        a.views
            .s3()
            .unwrap()
            .browser
            .as_ref()
            .unwrap()
            .entries
            .len(),
        4
    );
}

#[test]
fn filter_narrows_the_loaded_listing() {
    let mut a = on_browser(page("", 0, 300, None));
    a.update(Action::Command(Command::Filter));
    assert!(a.input_focused());
    type_text(&mut a, "00012");
    let b = a.views.s3().unwrap().browser.as_ref().unwrap();
    assert_eq!(b.view.len(), 11, "key-000012, key-000120 … key-000129");
    assert_eq!(b.filter, "00012");
    key(&mut a, KeyCode::Enter);
    assert!(!a.input_focused());
    // esc (back) clears the filter before leaving the folder.
    a.update(Action::Command(Command::Back));
    let b = a.views.s3().unwrap().browser.as_ref().unwrap();
    assert_eq!(b.view.len(), 300);
    assert_eq!(a.screen(), Screen::S3Browser);
}

#[test]
fn jump_lists_a_typed_prefix() {
    let mut a = on_browser(page("", 0, 3, None));
    a.update(Action::Command(Command::S3Jump));
    type_text(&mut a, "nested/a/");
    let (_, prefix, _) = list_request(&key(&mut a, KeyCode::Enter));
    assert_eq!(prefix, "nested/a/");
}

#[test]
fn opening_an_object_asks_for_head_and_a_bounded_preview() {
    let mut a = on_browser(page("", 0, 3, None));
    a.settings.s3.preview_kib = 8;
    let effects = a.update(Action::Command(Command::Open));
    let [
        Effect::S3(Scoped {
            work: S3Effect::LoadObject {
                key, preview_bytes, ..
            },
            ..
        }),
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(key, "key-000000");
    assert_eq!(*preview_bytes, 8 * 1024);
    assert_eq!(a.screen(), Screen::S3Object);
}

#[test]
fn download_prompts_for_a_path_then_streams_with_progress() {
    let mut a = on_browser(page("uploads/", 0, 3, None));
    a.update(Action::Command(Command::S3Download));
    assert!(a.input_focused());
    let s = a.views.s3().unwrap();
    assert_eq!(s.input.as_ref().unwrap().text, "./key-000000");
    for _ in 0.."./key-000000".len() {
        key(&mut a, KeyCode::Backspace);
    }
    type_text(&mut a, "/tmp/out.bin");
    let effects = key(&mut a, KeyCode::Enter);
    let [
        Effect::S3(Scoped {
            work:
                S3Effect::Download {
                    id,
                    path,
                    cancel,
                    key,
                    ..
                },
            ..
        }),
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(key, "uploads/key-000000");
    assert_eq!(path, &PathBuf::from("/tmp/out.bin"));
    let (id, cancel) = (*id, cancel.clone());
    a.update(Action::S3(S3Action::DownloadProgress {
        id,
        done: 512,
        total: 1024,
    }));
    assert_eq!(a.views.s3().unwrap().download.as_ref().unwrap().done, 512);
    a.update(Action::Command(Command::S3Cancel));
    assert!(cancel.is_cancelled());
    a.update(Action::S3(S3Action::DownloadFinished {
        id,
        result: Ok(DownloadOutcome::Cancelled),
    }));
    assert!(a.views.s3().unwrap().download.is_none());
    assert_eq!(a.notifications.back().unwrap().text, "download cancelled");
}

#[test]
fn download_errors_are_notified() {
    let mut a = on_browser(page("", 0, 3, None));
    a.update(Action::Command(Command::S3Download));
    let effects = key(&mut a, KeyCode::Enter);
    let [
        Effect::S3(Scoped {
            work: S3Effect::Download { id, .. },
            ..
        }),
    ] = effects.as_slice()
    else {
        panic!()
    };
    a.update(Action::S3(S3Action::DownloadFinished {
        id: *id,
        result: Err("cannot write ./key-000000: permission denied".into()),
    }));
    let n = a.notifications.back().unwrap();
    assert_eq!(n.level, Level::Error);
    assert!(n.text.contains("permission denied"), "{}", n.text);
}

#[test]
fn copies_key_uri_and_presigned_url() {
    let mut a = on_browser(page("uploads/", 0, 3, None));
    let e = a.update(Action::Command(Command::S3CopyKey));
    assert!(matches!(e.as_slice(), [Effect::CopyToClipboard(k)] if k == "uploads/key-000000"));
    let e = a.update(Action::Command(Command::S3CopyUri));
    assert!(matches!(e.as_slice(),
        [Effect::CopyToClipboard(k)] if k == "s3://orders-dev-data-123456789012/uploads/key-000000"));
    let e = a.update(Action::Command(Command::S3CopyUrl));
    let [
        Effect::S3(Scoped {
            work: S3Effect::Presign { key, expiry, .. },
            ..
        }),
    ] = e.as_slice()
    else {
        panic!("{e:?}")
    };
    assert_eq!(key, "uploads/key-000000");
    assert_eq!(*expiry, std::time::Duration::from_secs(3600));
    let e = a.update(Action::S3(S3Action::Presigned(Ok("https://signed".into()))));
    assert!(matches!(e.as_slice(), [Effect::CopyToClipboard(u)] if u == "https://signed"));
}

#[test]
fn versions_of_a_key_and_of_a_prefix() {
    let mut a = on_browser(ListPage {
        folders: vec!["config/".into()],
        objects: vec![obj("empty.bin", 0)],
        next_token: None,
    });
    let e = a.update(Action::Command(Command::S3Versions));
    assert!(matches!(e.as_slice(),
        [Effect::S3(Scoped { work: S3Effect::LoadVersions { key, exact: false, .. }, .. })] if key == "config/"));
    assert_eq!(a.screen(), Screen::S3Versions);
    a.update(Action::Command(Command::Back));
    a.update(Action::Command(Command::Down));
    let e = a.update(Action::Command(Command::S3Versions));
    assert!(matches!(e.as_slice(),
        [Effect::S3(Scoped { work: S3Effect::LoadVersions { key, exact: true, .. }, .. })] if key == "empty.bin"));
}

#[test]
fn listing_stops_at_max_objects_with_a_notice() {
    let mut a = on_buckets();
    a.settings.s3.max_objects = 1500;
    let effects = a.update(Action::Command(Command::Open));
    let (request_id, _, _) = list_request(&effects);
    a.update(Action::S3(S3Action::PageLoaded {
        request_id,
        result: Ok(page("", 0, 1000, Some("t1"))),
    }));
    let (rid, _, _) = list_request(&a.update(Action::Command(Command::Bottom)));
    a.update(Action::S3(S3Action::PageLoaded {
        request_id: rid,
        result: Ok(page("", 1000, 1000, Some("t2"))),
    }));
    let note = &a.notifications.back().unwrap().text;
    assert!(note.contains("max_objects = 1500"), "{note}");
    assert!(a.update(Action::Command(Command::Bottom)).is_empty());
    let b = a.views.s3().unwrap().browser.as_ref().unwrap();
    assert_eq!(b.entries.len(), 2000);
}

#[test]
fn o_gives_the_console_page_of_the_bucket_folder_or_object() {
    let console = |a: &mut App| {
        let eff = key(a, KeyCode::Char('o'));
        match eff.as_slice() {
            [
                Effect::CopyNamed {
                    what: "console URL",
                    text,
                },
            ] => text.clone(),
            other => panic!("{other:?}"),
        }
    };
    let mut a = on_buckets();
    let bucket = a
        .views
        .s3()
        .unwrap()
        .selected_bucket()
        .unwrap()
        .bucket
        .name
        .clone();
    let url = console(&mut a);
    assert!(
        url.starts_with("https://s3.console.aws.amazon.com/s3/buckets/")
            && url.contains(&bucket)
            && url.ends_with("region=us-east-1&prefix="),
        "{url}"
    );
    let mut a = on_browser(page("", 0, 3, None));
    let url = console(&mut a);
    assert!(
        url.contains("/s3/object/") && url.ends_with("&prefix=key-000000"),
        "{url}"
    );
}
