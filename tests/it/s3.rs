//! S3 against the emulator: the core (`aws::s3`) on a fixture stack of our own, and the
//! headless `objects` / `get-object` on it and on the (read-only) demo data.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU32, Ordering};

use aws_sdk_s3::primitives::ByteStream;
use protoctl::aws::AwsContext;
use protoctl::aws::s3::{self, DownloadOutcome};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::support::{aws, protoctl, run, stderr, stdout};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A unique, valid bucket/stack name for this test run.
fn unique(what: &str) -> String {
    format!(
        "it-s3-{what}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A prototype stack (with the demo's discovery tags) owning one versioned bucket.
async fn fixture_stack(ctx: &AwsContext, name: &str) -> String {
    let bucket = format!("{name}-data");
    let template = serde_json::json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "FilesBucket": {
                "Type": "AWS::S3::Bucket",
                "Properties": {
                    "BucketName": bucket,
                    "VersioningConfiguration": {"Status": "Enabled"}
                }
            }
        }
    });
    let tag = |k: &str, v: &str| {
        aws_sdk_cloudformation::types::Tag::builder()
            .key(k)
            .value(v)
            .build()
    };
    ctx.cloudformation()
        .create_stack()
        .stack_name(name)
        .template_body(template.to_string())
        .tags(tag("protoctl:prototype", "true"))
        .tags(tag("team", "proto-lab"))
        .send()
        .await
        .expect("create fixture stack");
    for _ in 0..100 {
        let s = protoctl::aws::cloudformation::describe(ctx, name)
            .await
            .unwrap()
            .unwrap();
        if s.status == "CREATE_COMPLETE" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // Versioning through the API as well (in case the template property is ignored).
    ctx.s3()
        .put_bucket_versioning()
        .bucket(&bucket)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .expect("versioning");
    bucket
}

async fn put(ctx: &AwsContext, bucket: &str, key: &str, body: Vec<u8>) {
    ctx.s3()
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body))
        .send()
        .await
        .unwrap_or_else(|e| panic!("put {key:?}: {e:?}"));
}

/// Puts many small objects, 32 at a time.
async fn put_many(ctx: &AwsContext, bucket: &str, keys: Vec<String>) {
    for chunk in keys.chunks(32) {
        futures::future::join_all(
            chunk
                .iter()
                .map(|k| put(ctx, bucket, k, k.as_bytes().to_vec())),
        )
        .await;
    }
}

/// Bytes that differ at every offset (so a misplaced chunk shows).
fn big_body(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

const ODD_KEYS: [&str; 4] = [
    "odd/with space (1).txt",
    "odd/résumé-日本 ✓.txt",
    "odd/ctl\u{1}\u{1b}[2J.txt",
    "odd/plus+percent%41.txt",
];

#[test]
fn core_lists_previews_downloads_and_versions() {
    rt().block_on(async {
        let ctx = aws().await;
        let stack = unique("core");
        let bucket = fixture_stack(&ctx, &stack).await;

        // Paging (100 keys a page here; the CLI test goes past the service's 1,000).
        let many: Vec<String> = (0..250).map(|i| format!("many/k{i:05}")).collect();
        put_many(&ctx, &bucket, many).await;
        put(&ctx, &bucket, "nested/a/b/deep.txt", b"deep".to_vec()).await;
        put(&ctx, &bucket, "empty.bin", Vec::new()).await;
        let big = big_body(5 * 1024 * 1024 + 123);
        put(&ctx, &bucket, "big.bin", big.clone()).await;
        for k in ODD_KEYS {
            put(&ctx, &bucket, k, k.as_bytes().to_vec()).await;
        }

        // Delimiter navigation.
        let root = s3::list_page(&ctx, &bucket, "", Some("/"), None, 1000)
            .await
            .unwrap();
        assert_eq!(root.folders, ["many/", "nested/", "odd/"]);
        let keys: Vec<&str> = root.objects.iter().map(|o| o.key.as_str()).collect();
        assert_eq!(keys, ["big.bin", "empty.bin"]);
        assert_eq!(root.objects[1].size, 0);
        let nested = s3::list_page(&ctx, &bucket, "nested/", Some("/"), None, 1000)
            .await
            .unwrap();
        assert_eq!(nested.folders, ["nested/a/"]);
        assert!(nested.objects.is_empty());

        // Pages with continuation tokens.
        let mut token: Option<String> = None;
        let mut sizes = Vec::new();
        let mut all = Vec::new();
        loop {
            let p = s3::list_page(&ctx, &bucket, "many/", Some("/"), token.as_deref(), 100)
                .await
                .unwrap();
            sizes.push(p.objects.len());
            all.extend(p.objects.into_iter().map(|o| o.key));
            match p.next_token {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        assert_eq!(sizes, [100, 100, 50]);
        let expected: Vec<String> = (0..250).map(|i| format!("many/k{i:05}")).collect();
        assert_eq!(all, expected, "every key once, in order");

        // Keys with spaces, unicode and control characters come back exactly.
        let odd = s3::list_page(&ctx, &bucket, "odd/", Some("/"), None, 1000)
            .await
            .unwrap();
        let got: BTreeSet<&str> = odd.objects.iter().map(|o| o.key.as_str()).collect();
        assert_eq!(got, ODD_KEYS.into_iter().collect::<BTreeSet<_>>());

        // Count with progress (page by page).
        let mut reports = 0;
        let stats = s3::count(&ctx, &bucket, "", &CancellationToken::new(), |_| {
            reports += 1;
        })
        .await
        .unwrap();
        assert_eq!(stats.objects, 250 + 3 + ODD_KEYS.len() as u64);
        assert!(stats.bytes > big.len() as u64);
        assert!(reports >= 1, "progress per page");

        // Head and a bounded Range preview.
        let head = s3::head(&ctx, &bucket, "big.bin", None).await.unwrap();
        assert_eq!(head.size, big.len() as u64);
        assert!(head.version_id.is_some(), "versioned bucket");
        let p = s3::preview(&ctx, &bucket, "big.bin", None, head.size, 4096)
            .await
            .unwrap();
        assert_eq!(p.bytes, big[..4096]);
        assert_eq!(p.total, big.len() as u64);
        assert!(p.truncated());
        let e = s3::preview(&ctx, &bucket, "empty.bin", None, 0, 4096)
            .await
            .unwrap();
        assert!(e.bytes.is_empty());
        let missing = s3::head(&ctx, &bucket, "nope", None).await.unwrap_err();
        assert!(missing.is_not_found(), "{missing}");

        // Streamed download, byte for byte, with progress; the temp file is renamed away.
        let dir = std::env::temp_dir().join(unique("dl"));
        std::fs::create_dir_all(&dir).unwrap();
        let mut last = (0, 0);
        let out = s3::download(
            &ctx,
            &bucket,
            "big.bin",
            None,
            &dir.join("big.bin"),
            &CancellationToken::new(),
            |p| last = (p.done, p.total),
        )
        .await
        .unwrap();
        assert_eq!(
            out,
            DownloadOutcome::Done {
                bytes: big.len() as u64,
                path: Some(dir.join("big.bin"))
            }
        );
        assert_eq!(last, (big.len() as u64, big.len() as u64));
        assert!(
            std::fs::read(dir.join("big.bin")).unwrap() == big,
            "bytes differ"
        );
        // Into a folder: named after the key.
        s3::download(
            &ctx,
            &bucket,
            ODD_KEYS[1],
            None,
            &dir,
            &CancellationToken::new(),
            |_| {},
        )
        .await
        .unwrap();
        assert_eq!(
            std::fs::read(dir.join("résumé-日本 ✓.txt")).unwrap(),
            ODD_KEYS[1].as_bytes()
        );
        // Cancelled: nothing left behind.
        let cancel = CancellationToken::new();
        cancel.cancel();
        let out = s3::download(
            &ctx,
            &bucket,
            "big.bin",
            None,
            &dir.join("c.bin"),
            &cancel,
            |_| {},
        )
        .await
        .unwrap();
        assert_eq!(out, DownloadOutcome::Cancelled);
        let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(left.len(), 2, "only the two finished files: {left:?}");
        // An unwritable path fails clearly, before fetching.
        let err = s3::download(
            &ctx,
            &bucket,
            "big.bin",
            None,
            std::path::Path::new("/nonexistent-protoctl-dir/x.bin"),
            &CancellationToken::new(),
            |_| {},
        )
        .await
        .unwrap_err();
        assert_eq!(
            format!("{err:#}"),
            "cannot write /nonexistent-protoctl-dir/x.bin: no such folder"
        );
        std::fs::remove_dir_all(&dir).unwrap();

        // Versions and delete markers.
        for v in 1..=3 {
            put(
                &ctx,
                &bucket,
                "cfg/settings.json",
                format!("{{\"v\":{v}}}").into_bytes(),
            )
            .await;
        }
        put(&ctx, &bucket, "cfg/old.json", b"{}".to_vec()).await;
        ctx.s3()
            .delete_object()
            .bucket(&bucket)
            .key("cfg/old.json")
            .send()
            .await
            .unwrap();
        let (vs, truncated) = s3::versions(&ctx, &bucket, "cfg/settings.json", true, 100)
            .await
            .unwrap();
        assert!(!truncated);
        assert_eq!(vs.len(), 3);
        assert!(vs[0].is_latest && !vs[0].delete_marker);
        assert!(vs.iter().all(|v| v.key == "cfg/settings.json"));
        let old_id = vs[2].version_id.clone().unwrap();
        let p = s3::preview(&ctx, &bucket, "cfg/settings.json", Some(&old_id), 7, 100)
            .await
            .unwrap();
        assert_eq!(p.bytes, b"{\"v\":1}");
        let (vs, _) = s3::versions(&ctx, &bucket, "cfg/", false, 100)
            .await
            .unwrap();
        let old: Vec<_> = vs.iter().filter(|v| v.key == "cfg/old.json").collect();
        assert_eq!(old.len(), 2);
        assert!(old[0].delete_marker && old[0].is_latest, "{old:?}");
        assert!(!old[1].delete_marker && !old[1].is_latest);

        // A presigned URL names the object and expires.
        let url = s3::presign_get(
            &ctx,
            &bucket,
            "big.bin",
            None,
            std::time::Duration::from_secs(600),
        )
        .await
        .unwrap();
        assert!(
            url.contains("big.bin") && url.contains("X-Amz-Expires=600"),
            "{url}"
        );
    });
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn headless_objects_and_get_object() {
    let (stack, bucket) = rt().block_on(async {
        let ctx = aws().await;
        let stack = unique("cli");
        let bucket = fixture_stack(&ctx, &stack).await;
        put_many(
            &ctx,
            &bucket,
            (0..1003).map(|i| format!("p/{i:04}")).collect(),
        )
        .await;
        for k in ODD_KEYS {
            put(&ctx, &bucket, k, k.as_bytes().to_vec()).await;
        }
        put(&ctx, &bucket, "bin/all-bytes", (0..=255u8).collect()).await;
        (stack, bucket)
    });

    // One level, folders as type=folder lines.
    let mut c = protoctl();
    c.args(["objects", &stack, "--output", "json"]);
    let out = run(c);
    assert!(out.status.success(), "{}", stderr(&out));
    let lines = json_lines(&stdout(&out));
    let folders: Vec<&str> = lines
        .iter()
        .filter(|l| l["type"] == "folder")
        .map(|l| l["key"].as_str().unwrap())
        .collect();
    assert_eq!(folders, ["bin/", "odd/", "p/"]);
    assert!(lines.iter().all(|l| l["bucket"] == bucket.as_str()));
    assert!(lines[0]["size"].is_null());

    // Recursive: every key across pages, exact (control characters JSON-escaped).
    let mut c = protoctl();
    c.args([
        "objects",
        &stack,
        "--recursive",
        "--bucket",
        "FilesBucket",
        "--output",
        "json",
    ]);
    let out = run(c);
    assert!(out.status.success(), "{}", stderr(&out));
    let raw = stdout(&out);
    assert!(!raw.contains('\u{1b}'), "raw control char in JSON output");
    let lines = json_lines(&raw);
    assert_eq!(lines.len(), 1003 + ODD_KEYS.len() + 1);
    let keys: BTreeSet<&str> = lines.iter().map(|l| l["key"].as_str().unwrap()).collect();
    for k in ODD_KEYS {
        assert!(keys.contains(k), "{k:?} missing or altered");
    }
    let first = lines.iter().find(|l| l["key"] == "p/0000").unwrap();
    assert_eq!(first["size"], 6);
    assert_eq!(first["type"], "object");
    assert_eq!(first["storage_class"], "STANDARD");
    assert!(first["etag"].as_str().unwrap().len() >= 32);
    assert!(chrono::DateTime::parse_from_rfc3339(first["last_modified"].as_str().unwrap()).is_ok());

    // Table output sanitises the key.
    let mut c = protoctl();
    c.args(["objects", &stack, "--prefix", "odd/"]);
    let out = run(c);
    let text = stdout(&out);
    assert!(text.starts_with("SIZE"), "{text}");
    assert!(text.contains("odd/ctl\\x01\\x1b[2J.txt"), "{text}");
    assert!(!text.contains('\u{1b}'));

    // get-object: exact bytes to stdout and to a file.
    let mut c = protoctl();
    c.args(["get-object", &stack, "bin/all-bytes"]);
    let out = run(c);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(out.stdout, (0..=255u8).collect::<Vec<_>>());
    let mut c = protoctl();
    c.args(["get-object", &stack, ODD_KEYS[2], "-o", "-"]);
    assert_eq!(run(c).stdout, ODD_KEYS[2].as_bytes());
    let path = std::env::temp_dir().join(unique("get"));
    let mut c = protoctl();
    c.args(["get-object", &stack, ODD_KEYS[0], "-o"]).arg(&path);
    let out = run(c);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read(&path).unwrap(), ODD_KEYS[0].as_bytes());
    std::fs::remove_file(&path).unwrap();

    // Errors: one line, exit 1.
    let mut c = protoctl();
    c.args(["get-object", &stack, "no/such/key"]);
    let out = run(c);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("no object \"no/such/key\""), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    let mut c = protoctl();
    c.args([
        "get-object",
        &stack,
        "p/0000",
        "-o",
        "/nonexistent-protoctl-dir/f",
    ]);
    let out = run(c);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no such folder"), "{}", stderr(&out));
}

#[test]
fn demo_versions_and_buckets() {
    // Every bucket of the stack without --bucket; versions of the demo's config/ prefix.
    let mut c = protoctl();
    c.args(["objects", "orders-dev", "--output", "json"]);
    let out = run(c);
    assert!(out.status.success(), "{}", stderr(&out));
    let lines = json_lines(&stdout(&out));
    let buckets: BTreeSet<&str> = lines
        .iter()
        .map(|l| l["bucket"].as_str().unwrap())
        .collect();
    assert_eq!(buckets.len(), 2, "data and deployment buckets: {buckets:?}");

    let mut c = protoctl();
    c.args([
        "objects",
        "orders-dev",
        "--bucket",
        "DataBucket",
        "--prefix",
        "config/",
        "--versions",
        "--output",
        "json",
    ]);
    let out = run(c);
    assert!(out.status.success(), "{}", stderr(&out));
    let lines = json_lines(&stdout(&out));
    let settings: Vec<&Value> = lines
        .iter()
        .filter(|l| l["key"] == "config/settings.json")
        .collect();
    assert_eq!(settings.len(), 3);
    assert_eq!(settings[0]["is_latest"], true);
    assert!(
        settings
            .iter()
            .all(|l| l["delete_marker"] == false && l["version_id"].is_string())
    );
    let old: Vec<&Value> = lines
        .iter()
        .filter(|l| l["key"] == "config/old.json")
        .collect();
    assert_eq!(old.len(), 2);
    assert_eq!(old[0]["delete_marker"], true);
    assert_eq!(old[0]["is_latest"], true);
    assert!(old[0]["size"].is_null());

    let mut c = protoctl();
    c.args(["get-object", "orders-dev", "notes/readme.txt"]);
    let out = run(c);
    assert_eq!(out.status.code(), Some(1), "two buckets: must name one");
    assert!(stderr(&out).contains("2 buckets"), "{}", stderr(&out));
}

#[test]
fn console_walks_previews_and_shows_versions() {
    let t = crate::e2e::Tmux::start("s3", &[]);
    t.wait_for("orders-dev");
    t.send(&["/"]);
    t.send(&["-l", "orders"]);
    t.send(&["Enter"]);
    t.wait_for("filter: orders");
    t.send(&["Enter"]);
    t.wait_for("Resources (");
    t.send(&["b"]);
    t.wait_for("Buckets of orders-dev");
    // The table (and its header) appears once the buckets are loaded.
    let screen = t.wait_for("VERSIONING");
    assert!(screen.contains("orders-dev-data-123456789012"), "{screen}");
    assert!(screen.contains("ServerlessDeploymentBucket"), "{screen}");
    t.send(&["Enter"]);
    t.wait_for("uploads/");
    // Jump to a typed prefix, open the object: detail and preview.
    t.send(&["J"]);
    t.send(&["-l", "nested/a/b/c/"]);
    t.send(&["Enter"]);
    t.wait_for("deep.txt");
    t.send(&["Enter"]);
    let screen = t.wait_for("four prefixes down");
    assert!(screen.contains("text/plain"), "{screen}");
    assert!(screen.contains("Preview · text"), "{screen}");
    // Back up to the root, into config/, versions of the folder: the delete marker shows.
    // Each key waits for the screen it leaves to go: two keys in one read are one key.
    t.send(&["Escape"]);
    t.wait_gone("four prefixes down");
    t.wait_for("deep.txt");
    t.send(&["Escape"]);
    t.wait_gone("deep.txt");
    t.wait_for("uploads/");
    t.send(&["V"]);
    t.wait_for("Versions of config/*");
    let screen = t.wait_for("marker (latest)");
    assert!(screen.contains("config/settings.json"), "{screen}");
    t.send(&["Escape"]);
    t.wait_gone("Versions of config/*");
    t.send(&["Escape"]);
    t.wait_for("Buckets of orders-dev");
    t.send(&["Escape"]);
    t.wait_for("Resources (");
    t.send(&["q"]);
    assert_eq!(t.wait_exit(), 0);
}

#[tokio::test]
async fn versioning_status_of_never_versioned_and_versioned_buckets() {
    let ctx = aws().await;
    let plain = format!("it-versioning-plain-{}", std::process::id());
    ctx.s3()
        .create_bucket()
        .bucket(&plain)
        .send()
        .await
        .unwrap();
    assert_eq!(s3::versioning(&ctx, &plain).await.unwrap(), None);
    for status in [
        aws_sdk_s3::types::BucketVersioningStatus::Enabled,
        aws_sdk_s3::types::BucketVersioningStatus::Suspended,
    ] {
        ctx.s3()
            .put_bucket_versioning()
            .bucket(&plain)
            .versioning_configuration(
                aws_sdk_s3::types::VersioningConfiguration::builder()
                    .status(status.clone())
                    .build(),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(
            s3::versioning(&ctx, &plain).await.unwrap().as_deref(),
            Some(status.as_str())
        );
    }
    let err = s3::versioning(&ctx, "it-no-such-bucket-anywhere")
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
}
