//! Render-path benchmarks: a frame must cost the same at 1e6 rows as at 1e3, because only
//! the visible rows are built. Run with `cargo bench --bench render`; figures go to
//! docs/benchmarks.md. The screens' states are built through `App::update`, with made-up
//! task results, as the running console builds them.

use protoctl::app::Scoped;
use protoctl::app::detail::{DetailEffect, DetailMsg};
use protoctl::app::dynamo::{DynamoEffect, DynamoMsg};
use protoctl::app::logs::LogsMsg;
use protoctl::app::stacks::{StacksEffect, StacksMsg};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use criterion::{BenchmarkId, Criterion, criterion_group};
use protoctl::app::detail::DetailData;
use protoctl::app::keymap::{Command, Keymap};
use protoctl::app::logs::LogsState;
use protoctl::app::s3::{BucketInfo, S3Action, S3Effect};
use protoctl::app::{Action, App, Effect, HeaderInfo, Screen};
use protoctl::aws::dynamodb::{KeyAttr, Page, TableInfo};
use protoctl::aws::logs::TailMsg;
use protoctl::aws::s3::{BucketRef, ListPage, ObjectEntry};
use protoctl::config::Theme as ThemeName;
use protoctl::domain::dynamo::{Attr, Item};
use protoctl::domain::logbuf::LogEvent;
use protoctl::domain::stack::{Stack, StackResource};
use protoctl::domain::time::Clock;
use protoctl::ui::{Theme, render};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap()
}

fn stack(i: usize) -> Stack {
    Stack {
        name: format!("proto-{i:07}-dev"),
        id: format!("arn:aws:cloudformation:us-east-1:123456789012:stack/proto-{i:07}-dev/x"),
        status: "CREATE_COMPLETE".into(),
        created: now() - chrono::Duration::days((i % 400) as i64),
        last_updated: None,
        tags: BTreeMap::from([
            ("protoctl:prototype".into(), "true".into()),
            ("owner".into(), format!("o{i}")),
        ]),
        termination_protection: false,
        outputs: BTreeMap::new(),
        description: None,
        region: "us-east-1".into(),
        parent_id: None,
        root_id: None,
        nested_stacks: 0,
        profile: None,
        account_alias: None,
    }
}

fn app() -> App {
    let mut app = App::new(
        Keymap::load(&toml::Table::new()).unwrap(),
        Clock::new(Some(now())),
        HeaderInfo::default(),
        protoctl::app::Settings::default(),
    );
    let ctx = protoctl::domain::stack::Connection {
        label: "default · us-east-1".into(),
    };
    let effects = app.update(Action::AwsReady(Ok(ctx)));
    if let Some(Effect::Stacks(StacksEffect::Load { request_id })) = effects.first() {
        app.update(Action::Stacks(StacksMsg::Loaded {
            request_id: *request_id,
            result: Ok(Vec::new()),
        }));
    }
    app
}

fn frame(term: &mut Terminal<TestBackend>, app: &App, theme: &Theme) {
    term.draw(|f| render(f, black_box(app), theme)).unwrap();
}

fn stack_list(c: &mut Criterion) {
    let theme = Theme::new(ThemeName::Dark, false);
    let mut group = c.benchmark_group("stack_list_frame");
    for n in [1_000_usize, 100_000, 1_000_000] {
        let mut app = app();
        let id = match app.update(Action::Command(Command::Refresh)).first() {
            Some(Effect::Stacks(StacksEffect::Load { request_id })) => *request_id,
            _ => 0,
        };
        app.update(Action::Stacks(StacksMsg::Loaded {
            request_id: id,
            result: Ok((0..n).map(stack).collect()),
        }));
        app.update(Action::Command(Command::Bottom));
        let mut term = Terminal::new(TestBackend::new(160, 48)).unwrap();
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| frame(&mut term, &app, &theme));
        });
    }
    group.finish();
}

/// Sizes of the list benchmarks: the frame must not grow from the first to the last.
const SIZES: [usize; 3] = [1_000, 100_000, 1_000_000];

/// The table and the bucket of the detail's stack.
const TABLE: &str = "proto-0000001-dev-items";
const BUCKET: &str = "proto-0000001-dev-data-123456789012";

/// The app on the loaded detail screen of `proto-0000001-dev`.
fn on_detail() -> App {
    let mut app = app();
    let id = match app.update(Action::Command(Command::Refresh)).first() {
        Some(Effect::Stacks(StacksEffect::Load { request_id })) => *request_id,
        other => panic!("{other:?}"),
    };
    app.update(Action::Stacks(StacksMsg::Loaded {
        request_id: id,
        result: Ok(vec![stack(1)]),
    }));
    let id = match app.update(Action::Command(Command::Open)).first() {
        Some(Effect::Detail(DetailEffect::Load { request_id, .. })) => *request_id,
        other => panic!("{other:?}"),
    };
    let resource = |logical: &str, physical: &str, kind: &str| StackResource {
        logical_id: logical.into(),
        physical_id: Some(physical.into()),
        resource_type: kind.into(),
        status: "CREATE_COMPLETE".into(),
        stack_path: "proto-0000001-dev".into(),
    };
    app.update(Action::Detail(DetailMsg::Loaded {
        request_id: id,
        result: Box::new(Ok(DetailData {
            stack: stack(1),
            resources: vec![
                resource("DataBucket", BUCKET, "AWS::S3::Bucket"),
                resource("ItemsTable", TABLE, "AWS::DynamoDB::Table"),
            ],
            events: Vec::new(),
        })),
    }));
    app
}

fn table() -> TableInfo {
    let key = |name: &str| KeyAttr {
        name: name.into(),
        attr_type: "S".into(),
    };
    TableInfo {
        name: TABLE.into(),
        logical_id: "ItemsTable".into(),
        status: "ACTIVE".into(),
        pk: key("pk"),
        sk: Some(key("sk")),
        indexes: Vec::new(),
        item_count: None,
        size_bytes: None,
        billing_mode: "PAY_PER_REQUEST".into(),
    }
}

fn item(i: usize) -> Item {
    Item::from([
        ("pk".into(), Attr::S(format!("CUST#{:03}", i % 97))),
        ("sk".into(), Attr::S(format!("ORDER#{i:07}"))),
        (
            "status".into(),
            Attr::S(["NEW", "PAID", "SHIPPED"][i % 3].into()),
        ),
        (
            "total".into(),
            Attr::N(format!("{}.{:02}", 10 + i % 990, i % 100)),
        ),
        (
            "createdAt".into(),
            Attr::S(format!("2026-11-{:02}T10:00:00Z", 1 + i % 27)),
        ),
    ])
}

/// The app on the items screen of the table with `n` items loaded (one page, nothing more).
fn on_items(n: usize) -> App {
    let mut app = on_detail();
    let id = match app.update(Action::Command(Command::DynamoTables)).first() {
        Some(Effect::Dynamo(DynamoEffect::LoadTables { request_id, .. })) => *request_id,
        other => panic!("{other:?}"),
    };
    app.update(Action::Dynamo(DynamoMsg::TablesLoaded {
        request_id: id,
        result: Ok(vec![table()]),
    }));
    let id = match app.update(Action::Command(Command::Open)).first() {
        Some(Effect::Dynamo(DynamoEffect::LoadPage { request_id, .. })) => *request_id,
        other => panic!("{other:?}"),
    };
    app.update(Action::Dynamo(DynamoMsg::PageLoaded {
        request_id: id,
        result: Box::new(Ok(Page {
            items: (0..n).map(item).collect(),
            last_key: None,
            scanned: n as u64,
        })),
    }));
    assert_eq!(app.screen(), Screen::DynamoItems);
    app
}

/// The app on the object browser of the bucket with `n` objects listed (one page).
fn on_objects(n: usize) -> App {
    let mut app = on_detail();
    let id = match app.update(Action::Command(Command::S3Buckets)).first() {
        Some(Effect::S3(Scoped {
            work: S3Effect::LoadBuckets { request_id, .. },
            ..
        })) => *request_id,
        other => panic!("{other:?}"),
    };
    app.update(Action::S3(S3Action::BucketsLoaded {
        request_id: id,
        result: Ok(vec![BucketInfo {
            bucket: BucketRef {
                logical_id: "DataBucket".into(),
                name: BUCKET.into(),
            },
            versioning: None,
            stats: None,
            counting: false,
            count_error: None,
        }]),
    }));
    let id = match app.update(Action::Command(Command::Open)).first() {
        Some(Effect::S3(Scoped {
            work: S3Effect::ListPage { request_id, .. },
            ..
        })) => *request_id,
        other => panic!("{other:?}"),
    };
    let objects = (0..n)
        .map(|i| ObjectEntry {
            key: format!("uploads/2026/11/object-{i:07}.json"),
            size: (i as u64 * 7_919) % 5_000_000,
            last_modified: Some(now() - chrono::Duration::minutes((i % 10_000) as i64)),
            etag: Some(format!("{i:032x}")),
            storage_class: Some("STANDARD".into()),
        })
        .collect();
    app.update(Action::S3(S3Action::PageLoaded {
        request_id: id,
        result: Ok(ListPage {
            folders: Vec::new(),
            objects,
            next_token: None,
        }),
    }));
    assert_eq!(app.screen(), Screen::S3Browser);
    app
}

/// A frame of the screen `setup` builds at each of [`SIZES`], with the cursor on the last row
/// (as in the stack list benchmark: the window furthest from the start).
fn list_frames(
    c: &mut Criterion,
    group: &str,
    setup: fn(usize) -> App,
    last_row: fn(usize) -> String,
) {
    let theme = Theme::new(ThemeName::Dark, false);
    let mut group = c.benchmark_group(group);
    for n in SIZES {
        let mut app = setup(n);
        app.update(Action::Command(Command::Bottom));
        let mut term = Terminal::new(TestBackend::new(160, 48)).unwrap();
        frame(&mut term, &app, &theme);
        let screen = term.backend().to_string();
        assert!(screen.contains(&last_row(n)), "{screen}");
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| frame(&mut term, &app, &theme));
        });
    }
    group.finish();
}

fn items(c: &mut Criterion) {
    list_frames(c, "items_frame", on_items, |n| {
        format!("ORDER#{:07}", n - 1)
    });
}

fn objects(c: &mut Criterion) {
    list_frames(c, "objects_frame", on_objects, |n| {
        format!("object-{:07}.json", n - 1)
    });
}

fn events(n: usize) -> Vec<LogEvent> {
    events_from(0, n)
}

fn events_from(start: usize, n: usize) -> Vec<LogEvent> {
    (start..start + n)
        .map(|i| LogEvent {
            timestamp_ms: 1_790_000_000_000 + i as i64 * 10,
            ingestion_ms: None,
            function: format!("orders-dev-{}", if i % 2 == 0 { "create" } else { "list" }),
            log_group: "/aws/lambda/orders-dev-create".into(),
            log_stream: "2026/11/27/[$LATEST]abc".into(),
            event_id: format!("{i:012}"),
            message: if i % 4 == 3 {
                format!("REPORT RequestId: {i:08x}-0000-4000-8000-000000000000\tDuration: 12.5 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB\t")
            } else {
                format!("2026-11-27T12:00:00.000Z\t{i:08x}-0000-4000-8000-000000000000\tINFO\tprocessing order ORDER#{i:05}")
            },
        })
        .collect()
}

fn logs(c: &mut Criterion) {
    let theme = Theme::new(ThemeName::Dark, false);
    let batch = events(100_000);
    c.bench_function("logs_ingest_100k", |b| {
        b.iter(|| {
            let mut st = LogsState::new(stack(1), None, 100_000, 0);
            st.ingest(black_box(batch.clone()));
            st.len()
        });
    });
    let mut app = app();
    let mut st = LogsState::new(stack(1), None, 100_000, 0);
    st.ingest(batch);
    app.views.open(st);
    let mut term = Terminal::new(TestBackend::new(160, 48)).unwrap();
    c.bench_function("logs_frame_100k", |b| {
        b.iter(|| frame(&mut term, &app, &theme));
    });
}

/// The log screen's state holding 100,000 events, with a search active and the rows in
/// by-request order.
fn full_tail() -> LogsState {
    let mut st = LogsState::new(stack(1), None, 100_000, 0);
    st.ingest(events(100_000));
    st.search = "order#00042".into();
    st.by_request = true;
    st.count_matches();
    st.rebuild_view();
    st
}

/// Tail batches of 100 and 500 events arriving at a full 100,000-event buffer, with a search
/// active and the rows in by-request order: the steady-state cost of `update` while tailing;
/// and a frame of that screen.
fn logs_steady_batch(c: &mut Criterion) {
    let mut st = full_tail();
    let mut next = 100_000usize;
    for size in [100, 500] {
        c.bench_function(
            &format!("logs_batch_{size}_into_full_100k_search_by_request"),
            |b| {
                b.iter_batched(
                    || {
                        next += size;
                        events_from(next - size, size)
                    },
                    |batch| {
                        st.ingest(batch);
                        st.matches
                    },
                    criterion::BatchSize::SmallInput,
                );
            },
        );
    }
    let theme = Theme::new(ThemeName::Dark, false);
    let mut app = app();
    app.views.open(st);
    let mut term = Terminal::new(TestBackend::new(160, 48)).unwrap();
    c.bench_function("logs_frame_100k_search_by_request", |b| {
        b.iter(|| frame(&mut term, &app, &theme));
    });
}

/// What reaches the loop: a key, or a tail batch.
enum Input {
    Key(Command),
    Batch(Vec<LogEvent>),
}

/// Key-to-frame time on the log screen holding 100,000 events (search active, by-request
/// order) while the tail brings a 500-event batch every second: one thread sends a key every
/// 5 ms, another the batches, and the loop drains what arrived, updates and draws once, as the
/// console's loop does. Each key's time runs from its sending to the end of the frame that
/// shows it. Prints p50, p99 and the worst over `KEYS` keys.
fn key_to_frame() {
    const KEYS: usize = 2_000;
    let theme = Theme::new(ThemeName::Dark, false);
    let mut app = app();
    app.views.open(full_tail());
    let mut term = Terminal::new(TestBackend::new(160, 48)).unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<(Instant, Input)>();
    let batches = tx.clone();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop = done.clone();
    let tail = std::thread::spawn(move || {
        let mut next = 100_000usize;
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            std::thread::sleep(Duration::from_secs(1));
            let batch = events_from(next, 500);
            next += 500;
            if batches.send((Instant::now(), Input::Batch(batch))).is_err() {
                break;
            }
        }
    });
    let keys = std::thread::spawn(move || {
        for i in 0..KEYS {
            std::thread::sleep(Duration::from_millis(5));
            let key = [
                Command::Up,
                Command::Up,
                Command::Down,
                Command::PageUp,
                Command::PageDown,
            ][i % 5];
            if tx.send((Instant::now(), Input::Key(key))).is_err() {
                break;
            }
        }
    });
    let mut latencies: Vec<Duration> = Vec::with_capacity(KEYS);
    let mut batches_seen = 0;
    while latencies.len() < KEYS {
        let Ok(first) = rx.recv() else { break };
        let mut sent = Vec::new();
        for (at, input) in std::iter::once(first).chain(rx.try_iter()) {
            match input {
                Input::Key(cmd) => {
                    app.update(Action::Command(cmd));
                    sent.push(at);
                }
                Input::Batch(batch) => {
                    batches_seen += 1;
                    app.update(Action::Logs(LogsMsg::Tail {
                        request_id: 0,
                        msg: TailMsg::Events(batch),
                    }));
                }
            }
        }
        frame(&mut term, &app, &theme);
        let drawn = Instant::now();
        latencies.extend(sent.into_iter().map(|at| drawn - at));
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    keys.join().unwrap();
    tail.join().unwrap();
    latencies.sort();
    let at = |pct: usize| latencies[(latencies.len() * pct).div_ceil(100).max(1) - 1];
    println!(
        "logs_key_to_frame_under_tail: {} keys, {batches_seen} batches of 500: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latencies.len(),
        at(50).as_secs_f64() * 1e3,
        at(99).as_secs_f64() * 1e3,
        latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1e3),
    );
}

/// Resident memory of this process in KiB (Linux `/proc/self/statm`), if known.
fn rss_kib() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4)
}

/// Memory of the items screen with 1,000,000 items loaded through paging, 200 a page as the
/// console reads them (the row cap lifted): the growth of the resident set, per item.
fn items_memory() {
    const N: usize = 1_000_000;
    const PAGE: usize = 200;
    let mut app = on_detail();
    app.settings.dynamo.max_rows = usize::MAX;
    let id = match app.update(Action::Command(Command::DynamoTables)).first() {
        Some(Effect::Dynamo(DynamoEffect::LoadTables { request_id, .. })) => *request_id,
        other => panic!("{other:?}"),
    };
    app.update(Action::Dynamo(DynamoMsg::TablesLoaded {
        request_id: id,
        result: Ok(vec![table()]),
    }));
    let before = rss_kib().unwrap_or(0);
    let mut effects = app.update(Action::Command(Command::Open));
    let mut loaded = 0;
    while let Some(Effect::Dynamo(DynamoEffect::LoadPage { request_id, .. })) = effects.first() {
        let items: Vec<Item> = (loaded..(loaded + PAGE).min(N)).map(item).collect();
        loaded += items.len();
        let more = app.update(Action::Dynamo(DynamoMsg::PageLoaded {
            request_id: *request_id,
            result: Box::new(Ok(Page {
                last_key: (loaded < N).then(|| items.last().cloned()).flatten(),
                scanned: items.len() as u64,
                items,
            })),
        }));
        // The page's answer asks for the next one while the cursor is near the end; else
        // the cursor moves there.
        effects = if more.is_empty() {
            app.update(Action::Command(Command::Bottom))
        } else {
            more
        };
    }
    let after = rss_kib().unwrap_or(0);
    let held = app
        .views
        .dynamo()
        .and_then(|d| d.items.as_ref())
        .map_or(0, |i| i.items.len());
    assert_eq!(held, loaded, "the items screen holds every item loaded");
    let grown = after.saturating_sub(before) as f64;
    println!(
        "items_memory: {loaded} items loaded in {} pages: resident set +{:.1} MB, {:.2} KB an item",
        loaded.div_ceil(PAGE),
        grown / 1024.0,
        grown / loaded.max(1) as f64
    );
}

criterion_group!(benches, stack_list, items, objects, logs, logs_steady_batch);

/// Criterion's benchmarks, then the key-to-frame and items-memory measurements when no filter
/// is given or a filter names them (`cargo bench --bench render -- key_to_frame items_memory`).
fn main() {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-') && a.parse::<f64>().is_err())
        .collect();
    let wanted =
        |name: &str| filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()));
    // First, in a fresh process: the other benchmarks' set-ups leave the allocator holding
    // memory that the items would reuse, hiding their growth.
    if wanted("items_memory") {
        items_memory();
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
    if wanted("logs_key_to_frame_under_tail") {
        key_to_frame();
    }
}
