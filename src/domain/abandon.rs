//! Abandonment rules: decides from plain data whether a prototype stack is abandoned or protected.
//!
//! Protection always wins: a protected stack is never reported as abandoned. An unreadable TTL
//! tag value is not read as "expired"; it protects the stack instead, since not deleting is the
//! safe direction. A readable TTL that is still in the future is the owner's declared lifetime
//! and suppresses the idle rule until it passes.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::domain::stack::Stack;

/// Longest tag value quoted back in a reason, so reasons stay one short phrase.
const MAX_QUOTED_VALUE: usize = 40;

/// The knobs of the abandonment rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbandonPolicy {
    /// A stack with no activity for longer than this is abandoned.
    pub idle_after: Duration,
    /// Tags (key, value) that protect a stack; keys match exactly, values case-insensitively.
    pub keep_tags: Vec<(String, String)>,
    /// Tag keys holding an expiry time (see [`parse_ttl`]).
    pub ttl_tags: Vec<String>,
}

impl Default for AbandonPolicy {
    fn default() -> Self {
        Self {
            idle_after: Duration::days(30),
            keep_tags: vec![
                ("protoctl:keep".to_owned(), "true".to_owned()),
                ("cloud-nuke-excluded".to_owned(), "true".to_owned()),
            ],
            ttl_tags: vec!["expires-at".to_owned(), "cloud-nuke-after".to_owned()],
        }
    }
}

/// The verdict on one stack, with human-readable reasons for each side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    pub last_activity: DateTime<Utc>,
    /// Whole days since `last_activity` (0 if it lies in the future).
    pub idle_days: i64,
    pub abandoned: bool,
    /// Why the stack is abandoned; empty when it is not (or when it is protected).
    pub abandoned_reasons: Vec<String>,
    pub protected: bool,
    pub protection_reasons: Vec<String>,
    /// True when a resource blocks the teardown (deletion protection, Object Lock, ...);
    /// filled by the blocker checks, false until they ran.
    pub blocked: bool,
    /// One line per blocker (resource, why, what lifts it), or why they were not checked.
    pub blocked_reasons: Vec<String>,
}

/// True while `CloudFormation` is working on the stack (status ends with `_IN_PROGRESS`).
pub fn is_in_progress(status: &str) -> bool {
    status.ends_with("_IN_PROGRESS")
}

/// Applies the abandonment and protection rules to one stack at the instant `now`.
///
/// `last_log_events` holds the last event time of each of the stack's function log groups.
pub fn assess(
    stack: &Stack,
    last_log_events: &[DateTime<Utc>],
    policy: &AbandonPolicy,
    now: DateTime<Utc>,
) -> Assessment {
    let last_activity = last_log_events
        .iter()
        .copied()
        .chain(stack.last_updated)
        .fold(stack.created, DateTime::max);
    let idle = now.signed_duration_since(last_activity);
    let idle_days = idle.num_days().max(0);

    let mut protection_reasons = Vec::new();
    for (key, value) in &policy.keep_tags {
        if let Some(actual) = stack.tags.get(key)
            && actual.trim().eq_ignore_ascii_case(value.trim())
        {
            protection_reasons.push(format!("tagged {key}={}", quote_short(actual)));
        }
    }
    if stack.termination_protection {
        protection_reasons.push("termination protection is on".to_owned());
    }
    if is_in_progress(&stack.status) {
        protection_reasons.push(format!("operation in progress ({})", stack.status));
    }

    let mut abandoned_reasons = Vec::new();
    let mut ttl_in_future = false;
    for key in &policy.ttl_tags {
        let Some(value) = stack.tags.get(key) else {
            continue;
        };
        match parse_ttl(value) {
            Some(expiry) if expiry <= now => abandoned_reasons.push(format!(
                "{key} {} has passed",
                expiry.to_rfc3339_opts(SecondsFormat::AutoSi, true)
            )),
            Some(_) => ttl_in_future = true,
            None => protection_reasons.push(format!(
                "unreadable {key} value \"{}\"; left alone",
                quote_short(value)
            )),
        }
    }
    if abandoned_reasons.is_empty() && !ttl_in_future && idle > policy.idle_after {
        abandoned_reasons.push(format!(
            "idle {idle_days} days (limit {})",
            policy.idle_after.num_days()
        ));
    }

    let protected = !protection_reasons.is_empty();
    if protected {
        abandoned_reasons.clear();
    }
    Assessment {
        last_activity,
        idle_days,
        abandoned: !abandoned_reasons.is_empty(),
        abandoned_reasons,
        protected,
        protection_reasons,
        blocked: false,
        blocked_reasons: Vec::new(),
    }
}

/// The policy from the config's `[abandon]` values: `after`, `keep_tags` as `KEY=VALUE`
/// (a bare `KEY` means `KEY=true`), `ttl_tags`.
pub fn policy_from_config(
    after: std::time::Duration,
    keep_tags: &[String],
    ttl_tags: &[String],
) -> AbandonPolicy {
    AbandonPolicy {
        idle_after: Duration::from_std(after).unwrap_or(Duration::MAX),
        keep_tags: keep_tags
            .iter()
            .map(|t| match t.split_once('=') {
                Some((k, v)) => (k.trim().to_owned(), v.trim().to_owned()),
                None => (t.trim().to_owned(), "true".to_owned()),
            })
            .filter(|(k, _)| !k.is_empty())
            .collect(),
        ttl_tags: ttl_tags.iter().map(|t| t.trim().to_owned()).collect(),
    }
}

/// Like [`assess`], but when the functions' log activity could not be read the stack is
/// protected (an unknown activity must never make a busy stack look idle).
pub fn assess_with_activity(
    stack: &Stack,
    activity: Result<&[DateTime<Utc>], &str>,
    policy: &AbandonPolicy,
    now: DateTime<Utc>,
) -> Assessment {
    match activity {
        Ok(events) => assess(stack, events, policy, now),
        Err(e) => {
            let mut a = assess(stack, &[], policy, now);
            a.abandoned = false;
            a.abandoned_reasons.clear();
            a.protected = true;
            a.protection_reasons.push(format!(
                "log activity unknown ({}); left alone",
                quote_short(e)
            ));
            a
        }
    }
}

/// Assesses one stack from its looked-up activity (missing or failed = protected).
pub fn assess_stack(
    stack: &Stack,
    activity: Option<&Result<Vec<DateTime<Utc>>, String>>,
    policy: &AbandonPolicy,
    now: DateTime<Utc>,
) -> Assessment {
    let activity = match activity {
        Some(Ok(v)) => Ok(v.as_slice()),
        Some(Err(e)) => Err(e.as_str()),
        None => Err("not looked up"),
    };
    assess_with_activity(stack, activity, policy, now)
}

/// Parses a TTL tag value into the instant the stack expires.
///
/// Accepts RFC 3339 (which covers cloud-nuke's `2006-01-02T15:04:05Z`) or a bare date
/// `YYYY-MM-DD`, which expires at the END of that day in UTC, i.e. at the following midnight.
pub fn parse_ttl(value: &str) -> Option<DateTime<Utc>> {
    let value = value.trim();
    if let Ok(instant) = DateTime::parse_from_rfc3339(value) {
        return Some(instant.with_timezone(&Utc));
    }
    let is_plain_date = value.len() == 10
        && value.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !is_plain_date {
        return None;
    }
    let date = NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()?;
    Some(date.succ_opt()?.and_time(NaiveTime::MIN).and_utc())
}

fn quote_short(value: &str) -> String {
    let mut chars = value.chars();
    let head: String = chars.by_ref().take(MAX_QUOTED_VALUE).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rstest::rstest;
    use std::collections::BTreeMap;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
    }

    fn stack(created: DateTime<Utc>, tags: &[(&str, &str)]) -> Stack {
        Stack {
            name: "proto-demo".into(),
            id: "arn:aws:cloudformation:eu-west-1:123456789012:stack/proto-demo/abc".into(),
            status: "CREATE_COMPLETE".into(),
            created,
            last_updated: None,
            tags: tags
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<BTreeMap<_, _>>(),
            termination_protection: false,
            outputs: BTreeMap::new(),
            description: None,
            region: "eu-west-1".into(),
            parent_id: None,
            root_id: None,
            nested_stacks: 0,
            profile: None,
            account_alias: None,
        }
    }

    fn days_ago(n: i64) -> DateTime<Utc> {
        now() - Duration::days(n)
    }

    #[rstest]
    #[case::busy(stack(days_ago(2), &[]), vec![], false, &[][..], &[][..])]
    #[case::idle_31_days(stack(days_ago(31), &[]), vec![], true, &["idle 31 days (limit 30)"][..], &[][..])]
    #[case::idle_exactly_limit(stack(days_ago(30), &[]), vec![], false, &[][..], &[][..])]
    #[case::ttl_rfc3339_passed(
        stack(days_ago(1), &[("expires-at", "2026-01-01T00:00:00Z")]), vec![], true,
        &["expires-at 2026-01-01T00:00:00Z has passed"][..], &[][..])]
    #[case::ttl_offset_normalised(
        stack(days_ago(1), &[("expires-at", "2026-02-01T02:00:00+02:00")]), vec![], true,
        &["expires-at 2026-02-01T00:00:00Z has passed"][..], &[][..])]
    #[case::ttl_date_passed(
        stack(days_ago(1), &[("expires-at", "2026-02-27")]), vec![], true,
        &["expires-at 2026-02-28T00:00:00Z has passed"][..], &[][..])]
    #[case::ttl_date_today_not_yet(
        stack(days_ago(1), &[("expires-at", "2026-03-01")]), vec![], false, &[][..], &[][..])]
    #[case::cloud_nuke_after_passed(
        stack(days_ago(1), &[("cloud-nuke-after", "2026-02-10T15:04:05Z")]), vec![], true,
        &["cloud-nuke-after 2026-02-10T15:04:05Z has passed"][..], &[][..])]
    #[case::ttl_in_future_busy(
        stack(days_ago(1), &[("expires-at", "2026-06-01")]), vec![], false, &[][..], &[][..])]
    #[case::ttl_in_future_overrides_idle(
        stack(days_ago(90), &[("expires-at", "2026-06-01")]), vec![], false, &[][..], &[][..])]
    #[case::keep_tag(
        stack(days_ago(90), &[("protoctl:keep", "TRUE")]), vec![], false,
        &[][..], &["tagged protoctl:keep=TRUE"][..])]
    #[case::keep_tag_other_value(
        stack(days_ago(90), &[("protoctl:keep", "false")]), vec![], true,
        &["idle 90 days (limit 30)"][..], &[][..])]
    #[case::cloud_nuke_excluded(
        stack(days_ago(1), &[("cloud-nuke-excluded", "true"), ("expires-at", "2020-01-01")]),
        vec![], false, &[][..], &["tagged cloud-nuke-excluded=true"][..])]
    #[case::unreadable_ttl(
        stack(days_ago(90), &[("expires-at", "soon")]), vec![], false,
        &[][..], &["unreadable expires-at value \"soon\"; left alone"][..])]
    #[case::log_activity_keeps_stale_stack_active(
        stack(days_ago(200), &[]), vec![days_ago(40), days_ago(3)], false, &[][..], &[][..])]
    #[case::old_log_activity_still_idle(
        stack(days_ago(200), &[]), vec![days_ago(45)], true, &["idle 45 days (limit 30)"][..], &[][..])]
    fn abandonment_rules(
        #[case] stack: Stack,
        #[case] logs: Vec<DateTime<Utc>>,
        #[case] abandoned: bool,
        #[case] reasons: &[&str],
        #[case] protections: &[&str],
    ) {
        let a = assess(&stack, &logs, &AbandonPolicy::default(), now());
        assert_eq!(a.abandoned, abandoned, "{a:?}");
        assert_eq!(a.abandoned_reasons, reasons);
        assert_eq!(a.protection_reasons, protections);
        assert_eq!(a.protected, !protections.is_empty());
    }

    #[test]
    fn termination_protection_protects_expired_stack() {
        let mut s = stack(days_ago(90), &[("expires-at", "2020-01-01")]);
        s.termination_protection = true;
        let a = assess(&s, &[], &AbandonPolicy::default(), now());
        assert!(a.protected && !a.abandoned);
        assert!(a.abandoned_reasons.is_empty());
        assert_eq!(a.protection_reasons, ["termination protection is on"]);
    }

    #[test]
    fn update_in_progress_protects_idle_stack() {
        let mut s = stack(days_ago(90), &[]);
        s.status = "UPDATE_IN_PROGRESS".into();
        let a = assess(&s, &[], &AbandonPolicy::default(), now());
        assert!(a.protected && !a.abandoned);
        assert_eq!(
            a.protection_reasons,
            ["operation in progress (UPDATE_IN_PROGRESS)"]
        );
    }

    #[test]
    fn last_activity_is_latest_of_created_updated_and_logs() {
        let mut s = stack(days_ago(100), &[]);
        s.last_updated = Some(days_ago(50));
        let a = assess(&s, &[days_ago(70)], &AbandonPolicy::default(), now());
        assert_eq!(a.last_activity, days_ago(50));
        assert_eq!(a.idle_days, 50);
        let b = assess(&s, &[days_ago(10)], &AbandonPolicy::default(), now());
        assert_eq!(b.last_activity, days_ago(10));
        assert!(!b.abandoned);
    }

    #[test]
    fn future_activity_gives_zero_idle_days() {
        let a = assess(
            &stack(now() + Duration::days(2), &[]),
            &[],
            &AbandonPolicy::default(),
            now(),
        );
        assert_eq!(a.idle_days, 0);
        assert!(!a.abandoned);
    }

    #[test]
    fn passed_ttl_and_idle_report_only_ttl_and_all_passed_ttls() {
        let s = stack(
            days_ago(90),
            &[
                ("expires-at", "2026-01-01"),
                ("cloud-nuke-after", "2026-02-01T00:00:00Z"),
            ],
        );
        let a = assess(&s, &[], &AbandonPolicy::default(), now());
        assert_eq!(
            a.abandoned_reasons,
            [
                "expires-at 2026-01-02T00:00:00Z has passed",
                "cloud-nuke-after 2026-02-01T00:00:00Z has passed"
            ]
        );
    }

    #[test]
    fn custom_policy_is_honoured() {
        let policy = AbandonPolicy {
            idle_after: Duration::days(7),
            keep_tags: vec![("owner-keep".into(), "Yes".into())],
            ttl_tags: vec!["ttl".into()],
        };
        let a = assess(&stack(days_ago(8), &[]), &[], &policy, now());
        assert_eq!(a.abandoned_reasons, ["idle 8 days (limit 7)"]);
        let b = assess(
            &stack(
                days_ago(8),
                &[("owner-keep", "yes"), ("protoctl:keep", "true")],
            ),
            &[],
            &policy,
            now(),
        );
        assert_eq!(b.protection_reasons, ["tagged owner-keep=yes"]);
        let c = assess(
            &stack(days_ago(1), &[("ttl", "2026-01-01"), ("expires-at", "x")]),
            &[],
            &policy,
            now(),
        );
        assert!(c.abandoned && !c.protected);
    }

    #[test]
    fn long_unreadable_value_is_shortened() {
        let long = "x".repeat(200);
        let a = assess(
            &stack(days_ago(1), &[("expires-at", &long)]),
            &[],
            &AbandonPolicy::default(),
            now(),
        );
        assert_eq!(
            a.protection_reasons,
            [format!(
                "unreadable expires-at value \"{}…\"; left alone",
                "x".repeat(40)
            )]
        );
    }

    #[rstest]
    #[case("2026-01-01T00:00:00Z", Some(at(2026, 1, 1)))]
    #[case(" 2006-01-02T15:04:05Z ", Some(Utc.with_ymd_and_hms(2006, 1, 2, 15, 4, 5).unwrap()))]
    #[case("2026-01-01T05:30:00+05:30", Some(at(2026, 1, 1)))]
    #[case("2026-01-01", Some(at(2026, 1, 2)))]
    #[case("2024-02-28", Some(at(2024, 2, 29)))]
    #[case("2025-12-31", Some(at(2026, 1, 1)))]
    #[case("2026-02-30", None)]
    #[case("2026-1-01", None)]
    #[case("+026-01-01", None)]
    #[case("2026-01-01T00:00:00", None)]
    #[case("1767225600", None)]
    #[case("", None)]
    #[case("never", None)]
    #[case("２０２６-01-01", None)]
    fn ttl_parsing(#[case] input: &str, #[case] expected: Option<DateTime<Utc>>) {
        assert_eq!(parse_ttl(input), expected);
    }

    #[test]
    fn policy_from_config_values() {
        let p = policy_from_config(
            std::time::Duration::from_secs(7 * 86_400),
            &["protoctl:keep=true".into(), " pin ".into(), "=x".into()],
            &["expires-at".into()],
        );
        assert_eq!(p.idle_after, Duration::days(7));
        assert_eq!(
            p.keep_tags,
            [
                ("protoctl:keep".to_owned(), "true".to_owned()),
                ("pin".to_owned(), "true".to_owned())
            ]
        );
        assert_eq!(p.ttl_tags, ["expires-at"]);
    }

    #[test]
    fn unknown_activity_protects() {
        let s = stack(days_ago(90), &[]);
        let a = assess_with_activity(&s, Err("AccessDenied"), &AbandonPolicy::default(), now());
        assert!(a.protected && !a.abandoned, "{a:?}");
        assert_eq!(
            a.protection_reasons,
            ["log activity unknown (AccessDenied); left alone"]
        );
        let b = assess_with_activity(&s, Ok(&[]), &AbandonPolicy::default(), now());
        assert!(b.abandoned);
    }

    #[test]
    fn default_policy_matches_spec() {
        let p = AbandonPolicy::default();
        assert_eq!(p.idle_after, Duration::days(30));
        assert_eq!(
            p.keep_tags,
            [
                ("protoctl:keep".to_owned(), "true".to_owned()),
                ("cloud-nuke-excluded".to_owned(), "true".to_owned())
            ]
        );
        assert_eq!(p.ttl_tags, ["expires-at", "cloud-nuke-after"]);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use chrono::Days;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn never_panics(value in "\\PC{0,40}") {
            let _ = parse_ttl(&value);
        }

        #[test]
        fn date_form_expires_at_next_midnight(days in 0u64..200_000) {
            let date = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap() + Days::new(days);
            let expiry = parse_ttl(&date.format("%Y-%m-%d").to_string()).unwrap();
            prop_assert_eq!(expiry, (date + Days::new(1)).and_time(NaiveTime::MIN).and_utc());
        }

        #[test]
        fn rfc3339_round_trips(secs in 0i64..10_000_000_000) {
            let instant = DateTime::from_timestamp(secs, 0).unwrap();
            prop_assert_eq!(parse_ttl(&instant.to_rfc3339_opts(SecondsFormat::Secs, true)), Some(instant));
        }
    }
}
