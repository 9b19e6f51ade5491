//! Saved Logs Insights queries: the built-ins, and the user's own from `[queries]` (for every
//! stack, or for the stacks whose name matches a `*` pattern).

pub mod plan;

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::config::SavedQueryConfig;
use crate::domain::logbuf::parse_since;

pub use plan::{ChunkProgress, QueryOutcome, Row};

/// The windows the console's picker offers before a typed one.
pub const WINDOWS: &[&str] = &["15m", "1h", "24h", "7d"];

/// A query with a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedQuery {
    /// The name `--saved` and the console's picker use.
    pub name: String,
    /// What it shows, one line.
    pub description: String,
    /// The Logs Insights query text.
    pub text: String,
    /// Built in (false: from the config).
    pub builtin: bool,
}

/// The built-in queries: name, description, text. Each reads both log formats (text REPORT
/// lines give `@type` and `@duration`; JSON `platform.report` records give `record.metrics`).
pub const BUILTIN: &[(&str, &str, &str)] = &[
    (
        "recent-errors",
        "the latest lines that look like errors, newest first",
        "fields @timestamp, @log, @requestId, @message \
| filter @message like /(?i)(error|exception|traceback|task timed out|status: timeout|fatal)/ \
| sort @timestamp desc | limit 100",
    ),
    (
        "slowest-invocations",
        "the 25 longest invocations with their billed time and memory",
        "filter @type = \"REPORT\" or type = \"platform.report\" \
| fields @timestamp, @log, coalesce(@requestId, record.requestId) as requestId, \
coalesce(@duration, record.metrics.durationMs) as durationMs, \
coalesce(@billedDuration, record.metrics.billedDurationMs) as billedMs, \
coalesce(@maxMemoryUsed / 1000000, record.metrics.maxMemoryUsedMB) as maxMemoryMB \
| sort durationMs desc | limit 25",
    ),
    (
        "cold-starts",
        "invocations, cold starts and init time by function",
        "filter @type = \"REPORT\" or type = \"platform.report\" \
| fields coalesce(@initDuration, record.metrics.initDurationMs) as initMs \
| stats count(*) as invocations, count(initMs) as coldStarts, \
avg(initMs) as avgInitMs, max(initMs) as maxInitMs by @log",
    ),
    (
        "memory-headroom",
        "configured memory against the peak used, by function",
        "filter @type = \"REPORT\" or type = \"platform.report\" \
| fields coalesce(@memorySize / 1000000, record.metrics.memorySizeMB) as memoryMB, \
coalesce(@maxMemoryUsed / 1000000, record.metrics.maxMemoryUsedMB) as usedMB \
| stats max(memoryMB) as provisionedMB, max(usedMB) as peakUsedMB, avg(usedMB) as avgUsedMB, \
provisionedMB - peakUsedMB as headroomMB by @log",
    ),
];

/// The queries offered for `stack`: the built-ins, then the config's for every stack or for
/// a matching pattern. A config query with a built-in's name replaces it.
pub fn for_stack(stack: &str, config: &[SavedQueryConfig]) -> Vec<SavedQuery> {
    let mut out: Vec<SavedQuery> = BUILTIN
        .iter()
        .map(|(name, description, text)| SavedQuery {
            name: (*name).to_string(),
            description: (*description).to_string(),
            text: (*text).to_string(),
            builtin: true,
        })
        .collect();
    for q in config {
        if !q
            .stacks
            .as_deref()
            .is_none_or(|p| matches_pattern(p, stack))
        {
            continue;
        }
        let saved = SavedQuery {
            name: q.name.clone(),
            description: q.description.clone().unwrap_or_default(),
            text: q.text.clone(),
            builtin: false,
        };
        match out.iter_mut().find(|s| s.name == q.name) {
            Some(existing) => *existing = saved,
            None => out.push(saved),
        }
    }
    out
}

/// Whether `name` matches `pattern`, where `*` matches any run of characters.
pub fn matches_pattern(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(i) => rest = &rest[i + middle.len()..],
            None => return false,
        }
    }
    true
}

/// Reads a query window: an age (`3h`: from then to `now`), a time (from then to `now`), or
/// `FROM/TO` with either side a time or an age; times may leave out the seconds and the
/// zone (`2026-12-01T10:00` is UTC).
pub fn parse_window(s: &str, now: DateTime<Utc>) -> Result<(DateTime<Utc>, DateTime<Utc>), String> {
    let (from, to) = match s.split_once('/') {
        Some((a, b)) => (point(a, now)?, point(b, now)?),
        None => (point(s, now)?, now),
    };
    if to < from {
        return Err(format!("the window {s:?} ends before it starts"));
    }
    Ok((from, to))
}

fn point(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let t = s.trim();
    for f in [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t, f) {
            return Ok(n.and_utc());
        }
    }
    parse_since(t, now)
}

/// An age as the shortest window text: `15m`, `1h`, `7d`, `90s`.
pub fn age_label(d: std::time::Duration) -> String {
    let s = d.as_secs();
    match s {
        0 => "0m".to_string(),
        _ if s.is_multiple_of(86_400) => format!("{}d", s / 86_400),
        _ if s.is_multiple_of(3_600) => format!("{}h", s / 3_600),
        _ if s.is_multiple_of(60) => format!("{}m", s / 60),
        _ => format!("{s}s"),
    }
}

/// One result row as a JSON object, the query's fields as keys in their order (`@ptr` left
/// out): the shape of `query --output json` and of the console's export.
pub fn row_json(row: &[(String, String)]) -> serde_json::Value {
    serde_json::Value::Object(
        row.iter()
            .filter(|(f, _)| f != "@ptr")
            .map(|(f, v)| (f.clone(), serde_json::Value::String(v.clone())))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("orders-*", "orders-dev", true)]
    #[case("orders-*", "ledger-dev", false)]
    #[case("*-dev", "orders-dev", true)]
    #[case("*", "anything", true)]
    #[case("a*b*c", "axxbyyc", true)]
    #[case("a*b*c", "acb", false)]
    #[case("ab*ba", "aba", false)]
    #[case("orders-dev", "orders-dev", true)]
    fn patterns(#[case] p: &str, #[case] name: &str, #[case] want: bool) {
        assert_eq!(matches_pattern(p, name), want);
    }

    fn cfg(name: &str, stacks: Option<&str>) -> SavedQueryConfig {
        SavedQueryConfig {
            name: name.into(),
            text: format!("fields {name}"),
            description: None,
            stacks: stacks.map(Into::into),
        }
    }

    #[test]
    fn builtins_then_the_users_for_this_stack() {
        let config = vec![
            cfg("mine", None),
            cfg("orders-only", Some("orders-*")),
            cfg("recent-errors", None),
        ];
        let names: Vec<String> = for_stack("orders-dev", &config)
            .into_iter()
            .map(|q| q.name)
            .collect();
        assert_eq!(
            names,
            [
                "recent-errors",
                "slowest-invocations",
                "cold-starts",
                "memory-headroom",
                "mine",
                "orders-only"
            ]
        );
        let ledger = for_stack("ledger-dev", &config);
        assert!(!ledger.iter().any(|q| q.name == "orders-only"));
        let replaced = ledger.iter().find(|q| q.name == "recent-errors").unwrap();
        assert!(!replaced.builtin);
        assert_eq!(replaced.text, "fields recent-errors");
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[rstest]
    #[case("3h", "2026-12-02T09:00:00Z", "2026-12-02T12:00:00Z")]
    #[case("15m", "2026-12-02T11:45:00Z", "2026-12-02T12:00:00Z")]
    #[case(
        "2026-12-01T10:00/2026-12-01T12:00",
        "2026-12-01T10:00:00Z",
        "2026-12-01T12:00:00Z"
    )]
    #[case(
        "2026-12-01T10:00:30Z/1h",
        "2026-12-01T10:00:30Z",
        "2026-12-02T11:00:00Z"
    )]
    #[case("2026-12-01", "2026-12-01T00:00:00Z", "2026-12-02T12:00:00Z")]
    fn windows(#[case] text: &str, #[case] from: &str, #[case] to: &str) {
        let now = at("2026-12-02T12:00:00Z");
        assert_eq!(parse_window(text, now), Ok((at(from), at(to))));
    }

    #[test]
    fn bad_windows_say_why() {
        let now = at("2026-12-02T12:00:00Z");
        assert!(parse_window("soon", now).unwrap_err().contains("\"soon\""));
        assert!(
            parse_window("1h/3h", now)
                .unwrap_err()
                .contains("ends before it starts")
        );
    }

    #[test]
    fn ages_print_short() {
        use std::time::Duration;
        assert_eq!(age_label(Duration::from_secs(3600)), "1h");
        assert_eq!(age_label(Duration::from_secs(900)), "15m");
        assert_eq!(age_label(Duration::from_secs(7 * 86_400)), "7d");
        assert_eq!(age_label(Duration::from_secs(90)), "90s");
    }

    #[test]
    fn rows_keep_field_order_without_ptr() {
        let row = vec![
            ("@timestamp".to_string(), "1".to_string()),
            ("@ptr".to_string(), "p".to_string()),
            ("@message".to_string(), "m".to_string()),
        ];
        assert_eq!(
            serde_json::to_string(&row_json(&row)).unwrap(),
            r#"{"@timestamp":"1","@message":"m"}"#
        );
    }
}
