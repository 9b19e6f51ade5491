//! The buffer's incremental state (search count, request order, insights' percentiles) against
//! a recomputation from scratch after every step of random tails.

use std::collections::HashMap;

use proptest::prelude::*;

use super::insights::{Window, nearest_rank};
use super::*;
use crate::domain::report::request_id_of;

/// The request order worked out from the buffer's time order alone.
fn request_order_from_scratch(buf: &LogBuffer) -> Vec<(i64, String)> {
    let mut first: HashMap<(String, String), usize> = HashMap::new();
    let mut keyed: Vec<(usize, usize)> = Vec::new();
    for (i, e) in buf.iter().enumerate() {
        let group = match request_id_of(&e.message) {
            Some(id) => *first
                .entry((e.function.clone(), id.to_owned()))
                .or_insert(i),
            None => i,
        };
        keyed.push((group, i));
    }
    keyed.sort_unstable();
    keyed
        .into_iter()
        .filter_map(|(_, i)| buf.get(i))
        .map(|e| (e.timestamp_ms, e.event_id.clone()))
        .collect()
}

fn event(ts: i64, id: u32, function: u8, request: Option<u8>, word: u8) -> LogEvent {
    let word = ["order", "ORDER#7", "Timeout", "ok"][usize::from(word % 4)];
    let message = match request {
        Some(r) if r % 3 == 0 => format!("START RequestId: req-{r} Version: $LATEST"),
        Some(r) if r % 3 == 1 => format!("REPORT RequestId: req-{r}\tDuration: {ts}.5 ms\t{word}"),
        Some(r) => format!(
            "2026-01-01T00:00:00.000Z\t00000000-0000-4000-8000-0000000000{r:02}\tINFO\t{word}"
        ),
        None => format!("plain line {word}"),
    };
    LogEvent {
        timestamp_ms: ts,
        ingestion_ms: None,
        function: format!("fn-{}", function % 3),
        log_group: String::new(),
        log_stream: String::new(),
        event_id: format!("id-{id}"),
        message,
    }
}

#[derive(Debug, Clone)]
enum Step {
    Batch(Vec<(i64, u32, u8, Option<u8>, u8)>),
    Search(u8),
    Group(bool),
    Clear,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        8 => proptest::collection::vec(
            (0i64..400, 0u32..600, any::<u8>(), proptest::option::of(0u8..12), any::<u8>()),
            0..40
        )
        .prop_map(Step::Batch),
        2 => (0u8..5).prop_map(Step::Search),
        2 => any::<bool>().prop_map(Step::Group),
        1 => Just(Step::Clear),
    ]
}

fn check(buf: &LogBuffer, term: &str) -> Result<(), TestCaseError> {
    let mut needle = CaseInsensitive::new(term);
    let want = if term.is_empty() {
        0
    } else {
        buf.iter().filter(|e| needle.matches(&e.message)).count()
    };
    prop_assert_eq!(buf.search_matches(), want);
    for (i, e) in buf.iter().enumerate() {
        prop_assert_eq!(
            buf.is_match(i),
            !term.is_empty() && needle.matches(&e.message)
        );
        prop_assert_eq!(buf.position(e.timestamp_ms, &e.event_id), Some(i));
    }
    if buf.is_grouped_by_request() {
        let want = request_order_from_scratch(buf);
        let got: Vec<(i64, String)> = (0..buf.len())
            .filter_map(|row| buf.by_request(row))
            .map(|e| (e.timestamp_ms, e.event_id.clone()))
            .collect();
        prop_assert_eq!(&got, &want);
        for (row, (ts, id)) in want.iter().enumerate() {
            prop_assert_eq!(buf.by_request_row(*ts, id), Some(row));
        }
        prop_assert!(buf.by_request(buf.len()).is_none());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Late, duplicate and evicting batches, with the search and the grouping switched on and
    /// off between them: the kept state always equals the state worked out from scratch.
    #[test]
    fn incremental_state_equals_a_recomputation(
        cap in 1usize..60,
        steps in proptest::collection::vec(step(), 1..40),
    ) {
        let terms = ["", "order", "ORDER#7", "timeout", "req-1"];
        let mut buf = LogBuffer::new(cap);
        let mut term = "";
        let mut clock = 0i64;
        for s in steps {
            match s {
                Step::Batch(events) => {
                    clock += 50;
                    buf.ingest(events.into_iter().map(|(ts, id, f, r, w)| {
                        event(clock + ts - 200, id, f, r, w)
                    }));
                }
                Step::Search(t) => {
                    term = terms[usize::from(t)];
                    buf.set_search(term);
                }
                Step::Group(on) => buf.group_by_request(on),
                Step::Clear => buf.clear(),
            }
            prop_assert!(buf.len() <= cap);
            check(&buf, term)?;
        }
    }

    /// The percentiles kept over a sliding window of durations equal sorting the window.
    #[test]
    fn kept_percentiles_equal_sorting_the_window(
        durations in proptest::collection::vec(0u32..50, 1..300),
        window in 1usize..40,
    ) {
        let mut ins = Window::new(window);
        for (i, d) in durations.iter().enumerate() {
            ins.push(f64::from(*d) / 2.0);
            let from = (i + 1).saturating_sub(window);
            let mut sorted: Vec<f64> = durations[from..=i].iter().map(|d| f64::from(*d) / 2.0).collect();
            sorted.sort_by(f64::total_cmp);
            prop_assert_eq!(ins.percentiles(), (nearest_rank(&sorted, 50), nearest_rank(&sorted, 95)));
        }
    }
}
