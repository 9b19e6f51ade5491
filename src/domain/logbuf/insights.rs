//! Per-function figures gathered incrementally from Lambda's START/REPORT/timeout/error lines.

use std::collections::{BTreeMap, VecDeque};

use super::{LogEvent, RecentIds};
use crate::domain::report::{LambdaLine, parse_line};

/// How many of the latest durations per function the percentiles are computed over.
pub const DURATION_WINDOW: usize = 10_000;
/// How many request ids per function are remembered to count each failed request once.
const FAILED_IDS: usize = 1_024;
/// How many log streams per function remember their in-flight request.
const STREAMS: usize = 64;

/// Per-function statistics from REPORT/Timeout/Error lines.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct FunctionInsights {
    /// REPORT lines seen.
    pub invocations: u64,
    /// REPORT lines carrying an `Init Duration` or a `Restore Duration`.
    pub cold_starts: u64,
    /// Requests that logged a runtime error or reported `Status: error` (each counted once).
    pub errors: u64,
    /// Requests that timed out (each counted once).
    pub timeouts: u64,
    /// Nearest-rank median over the latest [`DURATION_WINDOW`] durations.
    pub p50_ms: Option<f64>,
    /// Nearest-rank 95th percentile over the latest [`DURATION_WINDOW`] durations.
    pub p95_ms: Option<f64>,
    /// Longest duration ever seen.
    pub max_ms: Option<f64>,
    /// Configured memory size from the latest REPORT.
    pub memory_mb: Option<u64>,
    /// Highest `Max Memory Used` ever seen.
    pub peak_memory_mb: Option<u64>,
}

impl FunctionInsights {
    /// Fraction of invocations that were cold starts (0 when none were seen).
    pub fn cold_start_share(&self) -> f64 {
        if self.invocations == 0 {
            0.0
        } else {
            self.cold_starts as f64 / self.invocations as f64
        }
    }

    /// Peak memory used as a fraction of the configured memory size.
    pub fn peak_memory_share(&self) -> Option<f64> {
        match (self.peak_memory_mb, self.memory_mb) {
            (Some(peak), Some(size)) if size > 0 => Some(peak as f64 / size as f64),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
struct FunctionState {
    figures: FunctionInsights,
    durations: Window,
    error_ids: RecentIds,
    timeout_ids: RecentIds,
    /// `(log_stream, request_id)` of the request each stream is running, newest last.
    in_flight: VecDeque<(String, String)>,
}

impl Default for FunctionState {
    fn default() -> Self {
        Self {
            figures: FunctionInsights::default(),
            durations: Window::new(DURATION_WINDOW),
            error_ids: RecentIds::new(FAILED_IDS),
            timeout_ids: RecentIds::new(FAILED_IDS),
            in_flight: VecDeque::new(),
        }
    }
}

impl FunctionState {
    fn observe(&mut self, stream: &str, line: LambdaLine) {
        match line {
            LambdaLine::Start { request_id, .. } => {
                self.in_flight.retain(|(s, _)| s != stream);
                self.in_flight.push_back((stream.to_owned(), request_id));
                if self.in_flight.len() > STREAMS {
                    self.in_flight.pop_front();
                }
            }
            LambdaLine::End { request_id } => {
                self.in_flight
                    .retain(|(s, id)| s != stream || *id != request_id);
            }
            LambdaLine::Report(r) => {
                let f = &mut self.figures;
                f.invocations += 1;
                if r.is_cold_start() {
                    f.cold_starts += 1;
                }
                f.max_ms = Some(f.max_ms.map_or(r.duration_ms, |m| m.max(r.duration_ms)));
                if r.memory_mb.is_some() {
                    f.memory_mb = r.memory_mb;
                }
                if let Some(used) = r.max_memory_mb {
                    f.peak_memory_mb = Some(f.peak_memory_mb.unwrap_or(0).max(used));
                }
                self.durations.push(r.duration_ms);
                if r.is_timeout() {
                    self.timed_out(Some(&r.request_id));
                } else if r.is_failure() {
                    self.failed(Some(&r.request_id));
                }
            }
            LambdaLine::Timeout { request_id, .. } => {
                let id = request_id.or_else(|| self.in_flight_on(stream));
                self.timed_out(id.as_deref());
            }
            LambdaLine::Error { request_id } => {
                let id = request_id.or_else(|| self.in_flight_on(stream));
                self.failed(id.as_deref());
            }
            LambdaLine::InitReport(_) | LambdaLine::Other { .. } => {}
        }
    }

    fn in_flight_on(&self, stream: &str) -> Option<String> {
        self.in_flight
            .iter()
            .find(|(s, _)| s == stream)
            .map(|(_, id)| id.clone())
    }

    fn failed(&mut self, request_id: Option<&str>) {
        if request_id.is_none_or(|id| self.error_ids.insert(id)) {
            self.figures.errors += 1;
        }
    }

    fn timed_out(&mut self, request_id: Option<&str>) {
        if request_id.is_none_or(|id| self.timeout_ids.insert(id)) {
            self.figures.timeouts += 1;
        }
    }

    fn snapshot(&self) -> FunctionInsights {
        let (p50_ms, p95_ms) = self.durations.percentiles();
        FunctionInsights {
            p50_ms,
            p95_ms,
            ..self.figures.clone()
        }
    }
}

/// The latest durations, up to a cap, with a sorted copy kept as they come and go, so that
/// percentiles need no sort: a binary search and a shift per duration.
#[derive(Debug, Clone)]
pub(super) struct Window {
    cap: usize,
    latest: VecDeque<f64>,
    sorted: Vec<f64>,
}

impl Window {
    pub(super) fn new(cap: usize) -> Self {
        Self {
            cap,
            latest: VecDeque::new(),
            sorted: Vec::new(),
        }
    }

    /// Adds a duration, dropping the oldest beyond the cap.
    pub(super) fn push(&mut self, ms: f64) {
        self.latest.push_back(ms);
        let at = self.sorted.partition_point(|d| d.total_cmp(&ms).is_le());
        self.sorted.insert(at, ms);
        // Of equal durations the last one goes, which shifts the fewest.
        if self.latest.len() > self.cap
            && let Some(old) = self.latest.pop_front()
        {
            let end = self.sorted.partition_point(|d| d.total_cmp(&old).is_le());
            if end > 0 && self.sorted[end - 1].total_cmp(&old).is_eq() {
                self.sorted.remove(end - 1);
            }
        }
    }

    /// Nearest-rank `(p50, p95)` of the durations held.
    pub(super) fn percentiles(&self) -> (Option<f64>, Option<f64>) {
        (
            nearest_rank(&self.sorted, 50),
            nearest_rank(&self.sorted, 95),
        )
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.latest.len()
    }
}

/// The value at nearest rank `ceil(pct/100 * n)` of an ascending slice.
pub(super) fn nearest_rank(sorted: &[f64], pct: usize) -> Option<f64> {
    let rank = (sorted.len() * pct).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// Incremental per-function insights; feed each new event once with [`Insights::observe`].
#[derive(Debug, Clone, Default)]
pub struct Insights {
    functions: BTreeMap<String, FunctionState>,
}

impl Insights {
    /// Insights with nothing observed yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes one event into account (every function seen gets an entry, even without REPORTs).
    pub fn observe(&mut self, event: &LogEvent) {
        let line = parse_line(&event.message);
        if let Some(state) = self.functions.get_mut(&event.function) {
            state.observe(&event.log_stream, line);
        } else {
            let mut state = FunctionState::default();
            state.observe(&event.log_stream, line);
            self.functions.insert(event.function.clone(), state);
        }
    }

    /// Number of functions seen.
    pub fn len(&self) -> usize {
        self.functions.len()
    }

    /// Whether no function has been seen.
    pub fn is_empty(&self) -> bool {
        self.functions.is_empty()
    }

    /// Current figures of every function seen, in function-name order, without a map.
    pub fn iter(&self) -> impl Iterator<Item = (&str, FunctionInsights)> {
        self.functions
            .iter()
            .map(|(name, state)| (name.as_str(), state.snapshot()))
    }

    /// Current figures of every function seen, by function name.
    pub fn per_function(&self) -> BTreeMap<String, FunctionInsights> {
        self.functions
            .iter()
            .map(|(name, state)| (name.clone(), state.snapshot()))
            .collect()
    }

    /// Current figures of one function.
    pub fn function(&self, name: &str) -> Option<FunctionInsights> {
        self.functions.get(name).map(FunctionState::snapshot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn line(function: &str, stream: &str, message: String) -> LogEvent {
        LogEvent {
            timestamp_ms: 0,
            ingestion_ms: None,
            function: function.into(),
            log_group: format!("/aws/lambda/{function}"),
            log_stream: stream.into(),
            event_id: String::new(),
            message,
        }
    }

    fn report_line(id: &str, duration: f64, used: u64, init: Option<f64>, status: &str) -> String {
        let init = init.map(|ms| format!("Init Duration: {ms} ms\t"));
        format!(
            "REPORT RequestId: {id}\tDuration: {duration:.2} ms\tBilled Duration: {} ms\tMemory Size: 128 MB\tMax Memory Used: {used} MB\t{}{status}",
            duration.ceil(),
            init.unwrap_or_default()
        )
    }

    #[test]
    fn figures_on_a_known_set() {
        let mut insights = Insights::new();
        for i in 1..=100_u32 {
            let id = format!("req-{i}");
            let init = (i % 10 == 1).then_some(150.0);
            let used = 50 + u64::from(i % 20);
            for msg in [
                format!("START RequestId: {id} Version: $LATEST"),
                format!("2024-01-01T00:00:00.000Z\t{id}\tINFO\thello"),
                format!("END RequestId: {id}"),
                report_line(&id, f64::from(i), used, init, ""),
            ] {
                insights.observe(&line("api", "s1", msg));
            }
        }
        insights.observe(&line("quiet", "s9", "just text".into()));
        let all = insights.per_function();
        assert_eq!(all.keys().collect::<Vec<_>>(), ["api", "quiet"]);
        let api = &all["api"];
        assert_eq!(api.invocations, 100);
        assert_eq!(api.cold_starts, 10);
        assert_eq!(
            (api.p50_ms, api.p95_ms, api.max_ms),
            (Some(50.0), Some(95.0), Some(100.0))
        );
        assert_eq!((api.memory_mb, api.peak_memory_mb), (Some(128), Some(69)));
        assert_eq!((api.errors, api.timeouts), (0, 0));
        assert!((api.cold_start_share() - 0.1).abs() < 1e-12);
        assert_eq!(api.peak_memory_share(), Some(69.0 / 128.0));
        let quiet = &all["quiet"];
        assert_eq!(*quiet, FunctionInsights::default());
        assert!(quiet.cold_start_share().abs() < f64::EPSILON);
        assert_eq!(quiet.peak_memory_share(), None);
        assert_eq!(insights.function("api").as_ref(), Some(api));
        assert_eq!(insights.function("nope"), None);
    }

    #[test]
    fn each_failed_request_counts_once() {
        let mut ins = Insights::new();
        let msgs = [
            ("s1", "START RequestId: aaaaaaaa-0000-0000-0000-000000000001 Version: $LATEST".to_owned()),
            ("s1", "2024-01-01T00:00:00.000Z\taaaaaaaa-0000-0000-0000-000000000001\tERROR\tInvoke Error \t{}".to_owned()),
            ("s1", report_line("aaaaaaaa-0000-0000-0000-000000000001", 5.0, 60, None, "Status: error\tError Type: Runtime.ExitError")),
            ("s2", "START RequestId: r-2 Version: $LATEST".to_owned()),
            ("s2", "Runtime.ExitError".to_owned()),
            ("s2", "RequestId: r-2 Error: Runtime exited with error: exit status 1".to_owned()),
            ("s2", report_line("r-2", 5.0, 60, None, "Status: error")),
            ("s2", "END RequestId: r-2".to_owned()),
            ("s2", "[ERROR] Runtime.ImportModuleError: Unable to import module 'app'".to_owned()),
            ("s3", "2024-01-01T00:00:00.000Z cccccccc-0000-0000-0000-000000000003 Task timed out after 3.00 seconds".to_owned()),
            ("s3", "START RequestId: cccccccc-0000-0000-0000-000000000003 Version: 1".to_owned()),
            ("s3", "2024-01-01T00:00:00.000Z Task timed out after 3.00 seconds".to_owned()),
            ("s3", report_line("cccccccc-0000-0000-0000-000000000003", 3000.0, 60, Some(99.5), "Status: timeout")),
        ];
        for (stream, msg) in msgs {
            ins.observe(&line("f", stream, msg));
        }
        let f = ins.function("f").unwrap_or_default();
        assert_eq!(
            f.errors, 3,
            "aaaa once, r-2 once, the id-less import error once"
        );
        assert_eq!(f.timeouts, 1);
        assert_eq!((f.invocations, f.cold_starts), (3, 1));
    }

    #[test]
    fn durations_window_is_bounded_but_counts_and_max_are_not() {
        let mut ins = Insights::new();
        let total = DURATION_WINDOW as u32 + 50;
        for i in 1..=total {
            ins.observe(&line(
                "f",
                "s",
                report_line(&format!("r{i}"), f64::from(i), 1, None, ""),
            ));
        }
        let state = &ins.functions["f"];
        assert_eq!(state.durations.len(), DURATION_WINDOW);
        assert_eq!(state.durations.sorted.len(), DURATION_WINDOW);
        let f = state.snapshot();
        assert_eq!(f.invocations, u64::from(total));
        assert_eq!(f.p50_ms, Some(5_050.0));
        assert_eq!(f.max_ms, Some(f64::from(total)));
    }

    #[test]
    fn figures_stay_current_after_every_report() {
        let mut ins = Insights::new();
        let report = |i: u32| {
            line(
                "f",
                "s",
                report_line(&format!("r{i}"), f64::from(i), 1, None, ""),
            )
        };
        for i in (1..=40).rev() {
            ins.observe(&report(i));
        }
        ins.observe(&line("g", "s", "just text".into()));
        let fresh = ins.per_function();
        assert_eq!((ins.len(), ins.is_empty()), (2, false));
        let listed: Vec<(&str, FunctionInsights)> = ins.iter().collect();
        assert_eq!(listed[0], ("f", fresh["f"].clone()));
        assert_eq!(fresh["f"].p50_ms, Some(20.0));
        ins.observe(&report(1_000));
        let f = ins.function("f").unwrap_or_default();
        assert_eq!(
            (f.p50_ms, f.p95_ms, f.invocations),
            (Some(21.0), Some(39.0), 41)
        );
        assert!(Insights::new().is_empty());
    }

    #[test]
    fn in_flight_and_failed_id_memory_is_bounded() {
        let mut ins = Insights::new();
        for i in 0..5_000 {
            ins.observe(&line(
                "f",
                &format!("s{i}"),
                format!("START RequestId: r{i}"),
            ));
            ins.observe(&line("f", &format!("s{i}"), "ERROR boom".into()));
            ins.observe(&line(
                "f",
                "x",
                format!("RequestId: r{i} Error: Runtime exited"),
            ));
        }
        let state = &ins.functions["f"];
        assert_eq!(state.in_flight.len(), STREAMS);
        assert_eq!(state.error_ids.len(), FAILED_IDS);
        assert_eq!(
            state.figures.errors, 5_000,
            "the id-less line is the in-flight request's"
        );
    }

    #[rstest]
    #[case(&[], None, None)]
    #[case(&[7.0], Some(7.0), Some(7.0))]
    #[case(&[1.0, 2.0], Some(1.0), Some(2.0))]
    #[case(&[1.0, 2.0, 3.0, 4.0], Some(2.0), Some(4.0))]
    fn nearest_rank_percentiles(
        #[case] sorted: &[f64],
        #[case] p50: Option<f64>,
        #[case] p95: Option<f64>,
    ) {
        assert_eq!(
            (nearest_rank(sorted, 50), nearest_rank(sorted, 95)),
            (p50, p95)
        );
    }
}
