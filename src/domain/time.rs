//! Clock and age formatting: one place that knows "now" (pinned by `--now` in tests).

use chrono::{DateTime, Utc};

/// The clock every age, idle and TTL computation reads.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    pinned: Option<DateTime<Utc>>,
}

impl Clock {
    /// A clock that reads the system time, or always `pinned` when given.
    pub fn new(pinned: Option<DateTime<Utc>>) -> Self {
        Self { pinned }
    }

    /// The current time.
    pub fn now(&self) -> DateTime<Utc> {
        self.pinned.unwrap_or_else(Utc::now)
    }
}

/// A short age such as `45s`, `12m`, `3h`, `9d`, `2y` (future times show as `0s`).
pub fn short_age(then: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - then).num_seconds().max(0);
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s if s < 365 * 86_400 => format!("{}d", s / 86_400),
        s => format!("{}y", s / (365 * 86_400)),
    }
}

/// RFC3339 with seconds precision and a `Z`.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn ages() {
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap();
        let age = |s: i64| short_age(now - chrono::Duration::seconds(s), now);
        assert_eq!(age(5), "5s");
        assert_eq!(age(125), "2m");
        assert_eq!(age(7200), "2h");
        assert_eq!(age(86_400 * 9), "9d");
        assert_eq!(age(86_400 * 800), "2y");
        assert_eq!(age(-50), "0s");
    }

    #[test]
    fn pinned_clock() {
        let t = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        assert_eq!(Clock::new(Some(t)).now(), t);
        assert_eq!(rfc3339(t), "2026-01-02T03:04:05Z");
    }
}
