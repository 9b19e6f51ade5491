//! Time helpers of the log tail: activity counts for a sparkline and `--since` values.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

use super::{LogBuffer, LogEvent};

/// Event counts in `buckets` equal slices of `[from_ms, to_ms]`, for a sparkline.
pub fn activity_buckets<'a>(
    events: impl Iterator<Item = &'a LogEvent>,
    from_ms: i64,
    to_ms: i64,
    buckets: usize,
) -> Vec<u64> {
    let mut counts = vec![0u64; buckets];
    if buckets == 0 || to_ms <= from_ms {
        return counts;
    }
    let span = i128::from(to_ms) - i128::from(from_ms);
    let n = buckets as i128;
    for event in events {
        let offset = i128::from(event.timestamp_ms) - i128::from(from_ms);
        if (0..=span).contains(&offset) {
            let idx = (offset * n / span).min(n - 1) as usize;
            counts[idx] += 1;
        }
    }
    counts
}

impl LogBuffer {
    /// The counts of [`activity_buckets`] over every event held, found by binary search on the
    /// buffer's time order: O(buckets × log n) instead of O(n), cheap enough for every frame.
    pub fn activity(&self, from_ms: i64, to_ms: i64, buckets: usize) -> Vec<u64> {
        let mut counts = vec![0u64; buckets];
        if buckets == 0 || to_ms <= from_ms {
            return counts;
        }
        let span = (i128::from(to_ms) - i128::from(from_ms)) as u128;
        let n = buckets as u128;
        // Bucket k takes the offsets o with k·span <= o·n < (k+1)·span, so it starts at offset
        // ceil(k·span / n) (at most span: the time stays within `from_ms..=to_ms`); the last
        // bucket runs to `to_ms` inclusive.
        let start_of = |k: usize| {
            let offset = (k as u128 * span).div_ceil(n);
            self.first_at_or_after((i128::from(from_ms) + offset as i128) as i64)
        };
        let end = self
            .order
            .partition_point(|&s| self.slot(s).timestamp_ms <= to_ms);
        let mut start = start_of(0);
        for (k, count) in counts.iter_mut().enumerate() {
            let next = if k + 1 == buckets {
                end
            } else {
                start_of(k + 1)
            };
            *count = next.saturating_sub(start) as u64;
            start = next;
        }
        counts
    }
}

/// Reads a `--since` value: an age (`15m`, `90s`, `2h`, `1d`, `1w`) before `now`, an RFC3339
/// time, or a `YYYY-MM-DD` date (midnight UTC).
pub fn parse_since(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let text = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        && let Some(t) = d.and_hms_opt(0, 0, 0)
    {
        return Ok(t.and_utc());
    }
    let bad = || {
        format!(
            "invalid time {s:?}: expected an age like 15m, 90s, 2h, 1d or 1w, an RFC3339 time, or YYYY-MM-DD"
        )
    };
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (digits, unit) = text.split_at(split);
    let seconds_per_unit: u64 = match unit.trim_start() {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return Err(bad()),
    };
    let amount: u64 = digits.parse().map_err(|_| bad())?;
    amount
        .checked_mul(seconds_per_unit)
        .and_then(|secs| i64::try_from(secs).ok())
        .and_then(TimeDelta::try_seconds)
        .and_then(|age| now.checked_sub_signed(age))
        .ok_or_else(|| format!("invalid time {s:?}: too far in the past"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    fn ev(ts: i64) -> LogEvent {
        LogEvent {
            timestamp_ms: ts,
            ingestion_ms: None,
            function: "f".into(),
            log_group: "/aws/lambda/f".into(),
            log_stream: "s".into(),
            event_id: ts.to_string(),
            message: String::new(),
        }
    }

    #[rstest]
    #[case::even(&[0, 24, 25, 50, 99, 100], 0, 100, 4, &[2, 1, 1, 2])]
    #[case::outside_ignored(&[-1, 101, 50], 0, 100, 2, &[0, 1])]
    #[case::zero_buckets(&[1], 0, 100, 0, &[])]
    #[case::empty_span(&[5], 5, 5, 3, &[0, 0, 0])]
    #[case::reversed_span(&[5], 10, 0, 2, &[0, 0])]
    #[case::more_buckets_than_ms(&[0, 1, 2], 0, 2, 6, &[1, 0, 0, 1, 0, 1])]
    #[case::extreme_span(&[i64::MIN, 0, i64::MAX], i64::MIN, i64::MAX, 2, &[1, 2])]
    fn activity_buckets_count_events(
        #[case] stamps: &[i64],
        #[case] from: i64,
        #[case] to: i64,
        #[case] buckets: usize,
        #[case] want: &[u64],
    ) {
        let events: Vec<LogEvent> = stamps.iter().map(|t| ev(*t)).collect();
        assert_eq!(activity_buckets(events.iter(), from, to, buckets), want);
    }

    proptest! {
        /// The binary-search counts of a buffer are exactly the linear counts of its events.
        #[test]
        fn buffer_activity_matches_a_linear_count(
            mut stamps in proptest::collection::vec(-1_000i64..1_000, 0..200),
            from in -1_200i64..1_200,
            len in -10i64..2_500,
            buckets in 0usize..300,
        ) {
            stamps.sort_unstable();
            let mut buf = LogBuffer::new(1_000);
            buf.ingest(stamps.iter().enumerate().map(|(i, t)| {
                let mut e = ev(*t);
                e.event_id = format!("{i:04}");
                e
            }));
            let to = from + len;
            prop_assert_eq!(
                buf.activity(from, to, buckets),
                activity_buckets(buf.iter(), from, to, buckets)
            );
        }
    }

    #[test]
    fn buffer_activity_at_extreme_spans() {
        let mut buf = LogBuffer::new(10);
        buf.ingest([ev(i64::MIN), ev(0), ev(i64::MAX)]);
        for buckets in [1, 2, 3, 7] {
            assert_eq!(
                buf.activity(i64::MIN, i64::MAX, buckets),
                activity_buckets(buf.iter(), i64::MIN, i64::MAX, buckets)
            );
        }
    }

    #[rstest]
    #[case::minutes("15m", "2024-05-10T11:45:00Z")]
    #[case::seconds("90s", "2024-05-10T11:58:30Z")]
    #[case::hours("2h", "2024-05-10T10:00:00Z")]
    #[case::days("1d", "2024-05-09T12:00:00Z")]
    #[case::weeks("1w", "2024-05-03T12:00:00Z")]
    #[case::zero("0m", "2024-05-10T12:00:00Z")]
    #[case::padded(" 15 m ", "2024-05-10T11:45:00Z")]
    #[case::rfc3339("2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z")]
    #[case::rfc3339_offset("2024-01-02T05:04:05.5+02:00", "2024-01-02T03:04:05.5Z")]
    #[case::date("2024-01-02", "2024-01-02T00:00:00Z")]
    fn parse_since_accepts(#[case] input: &str, #[case] want: &str) {
        let now =
            DateTime::parse_from_rfc3339("2024-05-10T12:00:00Z").map(|t| t.with_timezone(&Utc));
        let want = DateTime::parse_from_rfc3339(want).map(|t| t.with_timezone(&Utc));
        assert_eq!(parse_since(input, now.unwrap()), Ok(want.unwrap()));
    }

    #[rstest]
    #[case("")]
    #[case("15")]
    #[case("m")]
    #[case("15x")]
    #[case("15M")]
    #[case("-5m")]
    #[case("1.5h")]
    #[case("2024-13-01")]
    #[case("yesterday")]
    #[case("99999999999999999999w")]
    #[case("9999999999999999w")]
    fn parse_since_rejects_naming_the_value(#[case] input: &str) {
        let err = parse_since(input, Utc::now()).unwrap_err();
        assert!(err.contains(&format!("{input:?}")), "{err}");
        assert!(!err.contains('\n'));
    }
}
