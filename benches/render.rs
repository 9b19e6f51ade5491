//! Render-path benchmarks: a frame must cost the same at 1e6 rows as at 1e3, because only
//! the visible rows are built. Run with `cargo bench --bench render`; figures go to
//! docs/benchmarks.md. The screens' states are built through `App::update`, with made-up
//! task results, as the running console builds them.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use protoctl::app::detail::DetailData;
use protoctl::app::keymap::{Command, Keymap};
use protoctl::app::logs::LogsState;
use protoctl::app::s3::{BucketInfo, S3Action, S3Effect};
use protoctl::app::{Action, App, Effect, HeaderInfo, Screen};
use protoctl::aws::AwsContext;
use protoctl::aws::dynamodb::{KeyAttr, Page, TableInfo};
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
    }
}

fn app() -> App {
    let mut app = App::new(
        Keymap::load(&toml::Table::new()).unwrap(),
        Clock::new(Some(now())),
        HeaderInfo::default(),
        protoctl::app::Settings::default(),
    );
    let ctx = AwsContext {
        sdk: aws_config::SdkConfig::builder().build(),
        profile: None,
        region: "us-east-1".into(),
        endpoint_url: None,
    };
    let effects = app.update(Action::AwsReady(Ok(Arc::new(ctx))));
    if let Some(Effect::LoadStacks { request_id }) = effects.first() {
        app.update(Action::StacksLoaded {
            request_id: *request_id,
            result: Ok(Vec::new()),
        });
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
            Some(Effect::LoadStacks { request_id }) => *request_id,
            _ => 0,
        };
        app.update(Action::StacksLoaded {
            request_id: id,
            result: Ok((0..n).map(stack).collect()),
        });
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
        Some(Effect::LoadStacks { request_id }) => *request_id,
        other => panic!("{other:?}"),
    };
    app.update(Action::StacksLoaded {
        request_id: id,
        result: Ok(vec![stack(1)]),
    });
    let id = match app.update(Action::Command(Command::Open)).first() {
        Some(Effect::LoadDetail { request_id, .. }) => *request_id,
        other => panic!("{other:?}"),
    };
    let resource = |logical: &str, physical: &str, kind: &str| StackResource {
        logical_id: logical.into(),
        physical_id: Some(physical.into()),
        resource_type: kind.into(),
        status: "CREATE_COMPLETE".into(),
    };
    app.update(Action::DetailLoaded {
        request_id: id,
        result: Box::new(Ok(DetailData {
            stack: stack(1),
            resources: vec![
                resource("DataBucket", BUCKET, "AWS::S3::Bucket"),
                resource("ItemsTable", TABLE, "AWS::DynamoDB::Table"),
            ],
            events: Vec::new(),
        })),
    });
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
        Some(Effect::LoadDynamoTables { request_id, .. }) => *request_id,
        other => panic!("{other:?}"),
    };
    app.update(Action::DynamoTablesLoaded {
        request_id: id,
        result: Ok(vec![table()]),
    });
    let id = match app.update(Action::Command(Command::Open)).first() {
        Some(Effect::LoadDynamoPage { request_id, .. }) => *request_id,
        other => panic!("{other:?}"),
    };
    app.update(Action::DynamoPageLoaded {
        request_id: id,
        result: Box::new(Ok(Page {
            items: (0..n).map(item).collect(),
            last_key: None,
            scanned: n as u64,
        })),
    });
    assert_eq!(app.screen(), Screen::DynamoItems);
    app
}

/// The app on the object browser of the bucket with `n` objects listed (one page).
fn on_objects(n: usize) -> App {
    let mut app = on_detail();
    let id = match app.update(Action::Command(Command::S3Buckets)).first() {
        Some(Effect::S3(S3Effect::LoadBuckets { request_id, .. })) => *request_id,
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
        Some(Effect::S3(S3Effect::ListPage { request_id, .. })) => *request_id,
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
    app.logs = Some(st);
    app.screens.push(Screen::Logs);
    let mut term = Terminal::new(TestBackend::new(160, 48)).unwrap();
    c.bench_function("logs_frame_100k", |b| {
        b.iter(|| frame(&mut term, &app, &theme));
    });
}

/// A tail batch of 100 events arriving at a full 100,000-event buffer, with a search active
/// and the rows in by-request order: the steady-state cost of `update` while tailing.
fn logs_steady_batch(c: &mut Criterion) {
    let mut st = LogsState::new(stack(1), None, 100_000, 0);
    st.ingest(events(100_000));
    st.search = "order#00042".into();
    st.by_request = true;
    st.rebuild_view();
    let mut next = 100_000usize;
    c.bench_function("logs_batch_100_into_full_100k_search_by_request", |b| {
        b.iter_batched(
            || {
                next += 100;
                events_from(next - 100, 100)
            },
            |batch| {
                st.ingest(batch);
                st.matches
            },
            criterion::BatchSize::SmallInput,
        );
    });
}

criterion_group!(benches, stack_list, items, objects, logs, logs_steady_batch);
criterion_main!(benches);
