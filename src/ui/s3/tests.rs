//! Snapshots of the S3 screens, and the rendering cost at 100,000 objects.

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};

use super::browser_rows;
use crate::app::Action;
use crate::app::Scoped;
use crate::app::keymap::Command;
use crate::app::s3::tests::{obj, on_browser, on_buckets, page};
use crate::app::s3::{S3Action, S3Effect};
use crate::app::{App, Effect};
use crate::config::Theme as ThemeName;
use crate::domain::s3::{BucketStats, ListPage, ObjectHead, Preview, VersionEntry};
use crate::ui::Theme;
use crate::ui::tests::{assert_clean, draw, draw_sized};

fn open_object(a: &mut App, key: &str, content_type: &str, bytes: &[u8], total: u64) {
    let effects = a.update(Action::Command(Command::Open));
    let [
        Effect::S3(Scoped {
            work: S3Effect::LoadObject { request_id, .. },
            ..
        }),
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    let head = ObjectHead {
        bucket: "orders-dev-data-123456789012".into(),
        key: key.into(),
        size: total,
        last_modified: Some(Utc.with_ymd_and_hms(2026, 11, 26, 9, 30, 0).unwrap()),
        etag: Some("9b2cf535f27731c974343645a3985328".into()),
        content_type: Some(content_type.into()),
        metadata: BTreeMap::from([("seeded-by".into(), "protoctl-demo".into())]),
        storage_class: Some("STANDARD".into()),
        version_id: Some("3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY".into()),
    };
    a.update(Action::S3(S3Action::ObjectLoaded {
        request_id: *request_id,
        result: Ok((
            head,
            Preview {
                bytes: bytes.to_vec(),
                total,
            },
        )),
    }));
}

#[test]
fn bucket_list() {
    let mut a = on_buckets();
    a.update(Action::Command(Command::S3Count));
    a.update(Action::S3(S3Action::CountProgress {
        bucket: "orders-dev-data-123456789012".into(),
        stats: BucketStats {
            objects: 45,
            bytes: 31_744,
        },
        done: true,
    }));
    insta::assert_snapshot!("s3__buckets", draw_sized(&a, 120, 12).backend());
}

#[test]
fn prefix_browser() {
    let mut a = on_browser(ListPage {
        folders: vec![
            "config/".into(),
            "exports/".into(),
            "images/".into(),
            "uploads/".into(),
        ],
        objects: vec![
            obj("empty.bin", 0),
            obj("readme.txt", 61),
            obj("report 2026 ✓.csv", 1_572_864),
        ],
        next_token: Some("more".into()),
    });
    a.update(Action::Command(Command::Down));
    insta::assert_snapshot!("s3__browser", draw(&a).backend());
}

#[test]
fn preview_json() {
    let mut a = on_browser(ListPage {
        folders: vec![],
        objects: vec![obj("config/settings.json", 80)],
        next_token: None,
    });
    let body = br#"{"version": 3, "feature": {"enabled": true, "ratio": 0.25, "name": "beta"}, "tags": ["a", null]}"#;
    open_object(
        &mut a,
        "config/settings.json",
        "application/json",
        body,
        body.len() as u64,
    );
    insta::assert_snapshot!("s3__preview_json", draw_sized(&a, 100, 30).backend());
}

#[test]
fn preview_text_truncated() {
    let mut a = on_browser(ListPage {
        folders: vec![],
        objects: vec![obj("reports/daily/2026-11-01.csv", 2_000_000)],
        next_token: None,
    });
    let mut csv = String::from("order,customer,total,status\n");
    for r in 0..40 {
        csv.push_str(&format!(
            "ORDER#{r:05},CUST#{:03},{}.50,PAID\n",
            r % 7,
            r * 3
        ));
    }
    open_object(
        &mut a,
        "reports/daily/2026-11-01.csv",
        "text/csv",
        csv.as_bytes(),
        2_000_000,
    );
    insta::assert_snapshot!("s3__preview_text", draw_sized(&a, 100, 30).backend());
}

#[test]
fn preview_hex() {
    let mut a = on_browser(ListPage {
        folders: vec![],
        objects: vec![obj("images/thumb-003.png", 616)],
        next_token: None,
    });
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend((0u8..=200).map(|b| b.wrapping_mul(37)));
    open_object(&mut a, "images/thumb-003.png", "image/png", &png, 616);
    insta::assert_snapshot!("s3__preview_hex", draw_sized(&a, 100, 30).backend());
}

#[test]
fn versions_with_delete_marker() {
    let mut a = on_browser(ListPage {
        folders: vec!["config/".into()],
        objects: vec![],
        next_token: None,
    });
    let effects = a.update(Action::Command(Command::S3Versions));
    let [
        Effect::S3(Scoped {
            work: S3Effect::LoadVersions { request_id, .. },
            ..
        }),
    ] = effects.as_slice()
    else {
        panic!()
    };
    let t = |m| Some(Utc.with_ymd_and_hms(2026, 11, 26, 9, m, 0).unwrap());
    let v = |k: &str, id: &str, latest, dm, size, m| VersionEntry {
        key: k.into(),
        version_id: Some(id.into()),
        is_latest: latest,
        delete_marker: dm,
        size,
        last_modified: t(m),
        etag: None,
        storage_class: None,
    };
    a.update(Action::S3(S3Action::VersionsLoaded {
        request_id: *request_id,
        result: Ok((
            vec![
                v("config/old.json", "v-old-dm", true, true, None, 40),
                v("config/old.json", "v-old-1", false, false, Some(15), 39),
                v("config/settings.json", "v-set-3", true, false, Some(15), 38),
                v(
                    "config/settings.json",
                    "v-set-2",
                    false,
                    false,
                    Some(15),
                    37,
                ),
                v(
                    "config/settings.json",
                    "v-set-1",
                    false,
                    false,
                    Some(15),
                    36,
                ),
            ],
            false,
        )),
    }));
    insta::assert_snapshot!("s3__versions", draw_sized(&a, 110, 16).backend());
}

#[test]
fn download_progress_bar() {
    let mut a = on_browser(page("", 0, 3, None));
    a.update(Action::Command(Command::S3Download));
    insta::assert_snapshot!("s3__download_prompt", draw_sized(&a, 100, 10).backend());
    let ev = crossterm::event::Event::Key(crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Enter,
        crossterm::event::KeyModifiers::NONE,
    ));
    let act = a.map_event(&ev).unwrap();
    let effects = a.update(act);
    let [
        Effect::S3(Scoped {
            work: S3Effect::Download { id, .. },
            ..
        }),
    ] = effects.as_slice()
    else {
        panic!()
    };
    a.update(Action::S3(S3Action::DownloadProgress {
        id: *id,
        done: 3 * 1024 * 1024,
        total: 8 * 1024 * 1024,
    }));
    insta::assert_snapshot!("s3__download_progress", draw_sized(&a, 100, 10).backend());
}

#[test]
fn hostile_keys_and_bytes_are_sanitised() {
    let evil = "\x1b]52;c;ZXZpbA==\x07\x1b[2J\u{9b}31m\u{202e}";
    let mut a = on_browser(ListPage {
        folders: vec![format!("dir{evil}/")],
        objects: vec![obj(&format!("key{evil}"), 3)],
        next_token: None,
    });
    assert_clean(&draw(&a));
    a.update(Action::Command(Command::Down));
    open_object(
        &mut a,
        &format!("key{evil}"),
        evil,
        format!("text {evil}\nline").as_bytes(),
        20,
    );
    assert_clean(&draw_sized(&a, 120, 30));
    a.update(Action::Command(Command::Back));
    open_object(
        &mut a,
        "j.json",
        "application/json",
        format!("{{\"{evil}\": \"{}\"}}", "\\u001b").as_bytes(),
        30,
    );
    assert_clean(&draw_sized(&a, 120, 30));
}

/// Builds the listing screen's rows at 100 and 100,000 objects: only the visible window is
/// built, so a frame does not grow with the listing (its speed is measured by
/// `benches/render.rs`, not here).
#[test]
fn rendering_builds_only_the_visible_rows() {
    let theme = Theme::new(ThemeName::Dark, false);
    for n in [100, 100_000] {
        let mut a = on_browser(page("p/", 0, n, None));
        a.update(Action::Command(Command::Bottom));
        let b = a.views.s3().unwrap().browser.as_ref().unwrap();
        assert_eq!(b.entries.len(), n);
        assert_eq!(browser_rows(b, 40, &theme).len(), 40, "{n} objects");
        let screen = draw_sized(&a, 120, 45).backend().to_string();
        assert!(
            screen.contains(&format!("key-{:06}", n - 1)),
            "{n}: the last row is drawn"
        );
    }
}
