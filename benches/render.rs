//! Render-path benchmarks: a frame must cost the same at 1e6 rows as at 1e3, because only
//! the visible rows are built. Run with `cargo bench --bench render`; figures go to
//! docs/benchmarks.md.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use protoctl::app::keymap::{Command, Keymap};
use protoctl::app::logs::LogsState;
use protoctl::app::{Action, App, Effect, HeaderInfo, Screen};
use protoctl::aws::AwsContext;
use protoctl::config::Theme as ThemeName;
use protoctl::domain::logbuf::LogEvent;
use protoctl::domain::stack::Stack;
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

fn events(n: usize) -> Vec<LogEvent> {
    (0..n)
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

criterion_group!(benches, stack_list, logs);
criterion_main!(benches);
