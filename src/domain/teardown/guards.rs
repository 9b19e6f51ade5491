//! The safety guards that must all pass right before protoctl calls `DeleteStack`.

use serde::Serialize;

use crate::domain::abandon::{Assessment, is_in_progress};
use crate::domain::stack::Stack;

/// Names of the guards a [`Refusal`] can come from.
pub mod guard {
    pub const DISCOVERY_TAGS: &str = "discovery_tags";
    pub const BLOCKED_ACCOUNT: &str = "blocked_account";
    pub const ACCOUNT_NOT_ALLOWED: &str = "account_not_allowed";
    pub const PROTECTED: &str = "protected";
    pub const TERMINATION_PROTECTION: &str = "termination_protection";
    pub const STALE_STATE: &str = "stale_state";
    pub const READ_ONLY: &str = "read_only";
    pub const IN_PROGRESS: &str = "in_progress";
    pub const ALREADY_DELETED: &str = "already_deleted";
}

/// Why a teardown must not go ahead; `guard` is one of the [`guard`] names.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Refusal {
    pub guard: &'static str,
    pub reason: String,
}

/// Everything the guards look at right before a delete.
pub struct GuardInput<'a> {
    pub stack: &'a Stack,
    /// Whether the stack carries the configured discovery tags.
    pub matches_discovery: bool,
    /// The discovery tags as shown to the user, e.g. "protoctl:managed=true".
    pub discovery_tags_text: String,
    /// The account the session runs in.
    pub account: &'a str,
    pub blocked_accounts: &'a [String],
    /// `None` allows every account that is not blocked.
    pub allowed_accounts: Option<&'a [String]>,
    pub assessment: &'a Assessment,
    pub read_only: bool,
    /// The stack described again by `StackId` right before delete; `None` = not found.
    pub redescribed: Option<&'a Stack>,
}

/// Runs every guard and returns all refusals (empty = the delete may proceed).
///
/// Termination protection always refuses: protoctl never switches it off.
pub fn check_guards(input: &GuardInput) -> Vec<Refusal> {
    let stack = input.stack;
    let name = &stack.name;
    let mut refusals = Vec::new();
    let mut refuse = |guard: &'static str, reason: String| refusals.push(Refusal { guard, reason });

    if !input.matches_discovery {
        refuse(
            guard::DISCOVERY_TAGS,
            format!(
                "stack {name} does not carry the discovery tags ({})",
                input.discovery_tags_text
            ),
        );
    }

    let session = input.account.trim();
    let owner = account_from_stack_id(&stack.id);
    let mut accounts = vec![session];
    match owner.as_deref() {
        Some(owner) if owner != session => {
            refuse(
                guard::ACCOUNT_NOT_ALLOWED,
                format!(
                    "stack {name} belongs to account {owner}, not the session account {session}"
                ),
            );
            accounts.push(owner);
        }
        _ => {}
    }
    if session.is_empty() {
        refuse(
            guard::ACCOUNT_NOT_ALLOWED,
            format!("the account of stack {name} is unknown"),
        );
    }
    for account in accounts.iter().filter(|a| !a.is_empty()) {
        if input.blocked_accounts.iter().any(|b| b.trim() == *account) {
            refuse(
                guard::BLOCKED_ACCOUNT,
                format!("stack {name} is in blocked account {account}"),
            );
        }
        if let Some(allowed) = input.allowed_accounts
            && !allowed.iter().any(|a| a.trim() == *account)
        {
            refuse(
                guard::ACCOUNT_NOT_ALLOWED,
                format!(
                    "stack {name} is in account {account}, which is not in the allowed accounts"
                ),
            );
        }
    }

    if input.assessment.protected {
        refuse(
            guard::PROTECTED,
            format!(
                "stack {name} is protected: {}",
                input.assessment.protection_reasons.join("; ")
            ),
        );
    }
    let current = input.redescribed;
    if stack.termination_protection || current.is_some_and(|c| c.termination_protection) {
        refuse(
            guard::TERMINATION_PROTECTION,
            format!("stack {name} has termination protection on; protoctl never switches it off"),
        );
    }
    if input.read_only {
        refuse(
            guard::READ_ONLY,
            format!("read-only mode: stack {name} is not deleted"),
        );
    }
    let statuses = || {
        std::iter::once(stack)
            .chain(current)
            .map(|s| s.status.as_str())
    };
    if let Some(status) = statuses().find(|s| is_in_progress(s)) {
        refuse(
            guard::IN_PROGRESS,
            format!("stack {name} is busy ({status})"),
        );
    }
    if statuses().any(|s| s == "DELETE_COMPLETE") {
        refuse(
            guard::ALREADY_DELETED,
            format!("stack {name} is already deleted"),
        );
    }
    match current {
        None => refuse(
            guard::STALE_STATE,
            format!("stack {name} is no longer found; plan again"),
        ),
        Some(current) => {
            let changes = stale_changes(stack, current);
            if !changes.is_empty() {
                refuse(
                    guard::STALE_STATE,
                    format!(
                        "stack {name} changed since the plan ({}); plan again",
                        changes.join(", ")
                    ),
                );
            }
        }
    }
    refusals
}

fn stale_changes(planned: &Stack, current: &Stack) -> Vec<String> {
    let mut changes = Vec::new();
    if planned.id != current.id {
        changes.push("stack id".to_owned());
    }
    if planned.status != current.status {
        changes.push(format!("status {} -> {}", planned.status, current.status));
    }
    if planned.last_updated != current.last_updated {
        changes.push("last updated".to_owned());
    }
    if planned.tags != current.tags {
        changes.push("tags".to_owned());
    }
    if planned.termination_protection != current.termination_protection {
        changes.push("termination protection".to_owned());
    }
    changes
}

/// Reads the 12-digit account from `arn:PARTITION:cloudformation:REGION:ACCOUNT:stack/NAME/UUID`.
pub fn account_from_stack_id(stack_id: &str) -> Option<String> {
    let mut parts = stack_id.trim().splitn(6, ':');
    let (arn, partition, service, region, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    let valid = arn == "arn"
        && partition.starts_with("aws")
        && service == "cloudformation"
        && !region.is_empty()
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && resource.starts_with("stack/");
    valid.then(|| account.to_owned())
}

#[cfg(test)]
mod tests {
    use super::guard::*;
    use super::*;
    use crate::domain::abandon::{AbandonPolicy, assess};
    use chrono::{Duration, TimeZone, Utc};
    use rstest::rstest;
    use std::collections::{BTreeMap, BTreeSet};

    const ACCOUNT: &str = "123456789012";
    const OTHER: &str = "999999999999";

    fn stack_in(account: &str) -> Stack {
        Stack {
            name: "proto-demo".into(),
            id: format!("arn:aws:cloudformation:eu-west-1:{account}:stack/proto-demo/0a1b"),
            status: "UPDATE_COMPLETE".into(),
            created: Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap(),
            last_updated: Some(Utc.with_ymd_and_hms(2025, 2, 1, 0, 0, 0).unwrap()),
            tags: BTreeMap::from([("protoctl:managed".to_owned(), "true".to_owned())]),
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

    fn assessment(stack: &Stack) -> Assessment {
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
        assess(stack, &[], &AbandonPolicy::default(), now)
    }

    fn guards_for(
        stack: &Stack,
        account: &str,
        blocked: &[String],
        allowed: Option<&[String]>,
        redescribed: Option<&Stack>,
    ) -> Vec<Refusal> {
        let a = assessment(stack);
        check_guards(&GuardInput {
            stack,
            matches_discovery: true,
            discovery_tags_text: "protoctl:managed=true".into(),
            account,
            blocked_accounts: blocked,
            allowed_accounts: allowed,
            assessment: &a,
            read_only: false,
            redescribed,
        })
    }

    fn names(refusals: &[Refusal]) -> BTreeSet<&'static str> {
        refusals.iter().map(|r| r.guard).collect()
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    enum AccountCase {
        Allowed,
        Blocked,
        NotAllowed,
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    struct Case {
        tag_match: bool,
        keep_tag: bool,
        termination: bool,
        account: AccountCase,
        read_only: bool,
        stale: bool,
    }

    fn run(case: Case) -> Vec<Refusal> {
        let mut stack = stack_in(ACCOUNT);
        if case.keep_tag {
            stack.tags.insert("protoctl:keep".into(), "true".into());
        }
        stack.termination_protection = case.termination;
        let mut current = stack.clone();
        if case.stale {
            current.tags.insert("owner".into(), "someone".into());
        }
        let blocked = [if case.account == AccountCase::Blocked {
            ACCOUNT
        } else {
            OTHER
        }
        .to_owned()];
        let allowed = [if case.account == AccountCase::NotAllowed {
            OTHER
        } else {
            ACCOUNT
        }
        .to_owned()];
        let a = assessment(&stack);
        check_guards(&GuardInput {
            stack: &stack,
            matches_discovery: case.tag_match,
            discovery_tags_text: "protoctl:managed=true".into(),
            account: ACCOUNT,
            blocked_accounts: &blocked,
            allowed_accounts: Some(&allowed),
            assessment: &a,
            read_only: case.read_only,
            redescribed: Some(&current),
        })
    }

    fn expected(case: Case) -> BTreeSet<&'static str> {
        let account = match case.account {
            AccountCase::Allowed => None,
            AccountCase::Blocked => Some(BLOCKED_ACCOUNT),
            AccountCase::NotAllowed => Some(ACCOUNT_NOT_ALLOWED),
        };
        [
            (!case.tag_match).then_some(DISCOVERY_TAGS),
            (case.keep_tag || case.termination).then_some(PROTECTED),
            case.termination.then_some(TERMINATION_PROTECTION),
            account,
            case.read_only.then_some(READ_ONLY),
            case.stale.then_some(STALE_STATE),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    #[test]
    fn safety_matrix_only_all_clear_passes() {
        let accounts = [
            AccountCase::Allowed,
            AccountCase::Blocked,
            AccountCase::NotAllowed,
        ];
        let cases: BTreeSet<Case> = (0..96)
            .map(|n: usize| Case {
                tag_match: n & 1 != 0,
                keep_tag: n & 2 != 0,
                termination: n & 4 != 0,
                read_only: n & 8 != 0,
                stale: n & 16 != 0,
                account: accounts[n / 32],
            })
            .collect();
        assert_eq!(cases.len(), 2 * 2 * 2 * 3 * 2 * 2);
        let all_clear = Case {
            tag_match: true,
            keep_tag: false,
            termination: false,
            account: AccountCase::Allowed,
            read_only: false,
            stale: false,
        };
        let mut passed = Vec::new();
        for &case in &cases {
            let refusals = run(case);
            assert_eq!(names(&refusals), expected(case), "{case:?}");
            assert_eq!(
                refusals.len(),
                expected(case).len(),
                "{case:?}: {refusals:?}"
            );
            assert!(
                refusals.iter().all(|r| r.reason.contains("proto-demo")),
                "{refusals:?}"
            );
            if refusals.is_empty() {
                passed.push(case);
            }
        }
        assert_eq!(passed, [all_clear]);
    }

    #[rstest]
    #[case::status(|s: &mut Stack| s.status = "UPDATE_ROLLBACK_COMPLETE".into(), "status UPDATE_COMPLETE -> UPDATE_ROLLBACK_COMPLETE")]
    #[case::last_updated(|s: &mut Stack| s.last_updated = s.last_updated.map(|t| t + Duration::seconds(1)), "last updated")]
    #[case::tag_removed(|s: &mut Stack| { s.tags.clear(); }, "tags")]
    #[case::tag_value(|s: &mut Stack| { s.tags.insert("protoctl:managed".into(), "false".into()); }, "tags")]
    #[case::stack_id(|s: &mut Stack| s.id.push('x'), "stack id")]
    fn stale_state_names_what_changed(#[case] change: fn(&mut Stack), #[case] what: &str) {
        let stack = stack_in(ACCOUNT);
        let mut current = stack.clone();
        change(&mut current);
        let refusals = guards_for(&stack, ACCOUNT, &[], None, Some(&current));
        assert_eq!(names(&refusals), BTreeSet::from([STALE_STATE]));
        assert_eq!(
            refusals[0].reason,
            format!("stack proto-demo changed since the plan ({what}); plan again")
        );
    }

    #[test]
    fn termination_protection_switched_on_after_plan() {
        let stack = stack_in(ACCOUNT);
        let mut current = stack.clone();
        current.termination_protection = true;
        let refusals = guards_for(&stack, ACCOUNT, &[], None, Some(&current));
        assert_eq!(
            names(&refusals),
            BTreeSet::from([STALE_STATE, TERMINATION_PROTECTION])
        );
    }

    #[test]
    fn vanished_stack_is_stale() {
        let stack = stack_in(ACCOUNT);
        let refusals = guards_for(&stack, ACCOUNT, &[], None, None);
        assert_eq!(
            refusals,
            [Refusal {
                guard: STALE_STATE,
                reason: "stack proto-demo is no longer found; plan again".into()
            }]
        );
    }

    #[test]
    fn deleted_meanwhile_is_already_deleted_and_stale() {
        let stack = stack_in(ACCOUNT);
        let mut current = stack.clone();
        current.status = "DELETE_COMPLETE".into();
        let refusals = guards_for(&stack, ACCOUNT, &[], None, Some(&current));
        assert_eq!(
            names(&refusals),
            BTreeSet::from([ALREADY_DELETED, STALE_STATE])
        );
    }

    #[rstest]
    #[case("UPDATE_IN_PROGRESS", "UPDATE_IN_PROGRESS")]
    #[case("UPDATE_COMPLETE", "DELETE_IN_PROGRESS")]
    fn busy_stack_is_refused(#[case] planned: &str, #[case] now: &str) {
        let mut stack = stack_in(ACCOUNT);
        stack.status = planned.into();
        let mut current = stack.clone();
        current.status = now.into();
        let refusals = guards_for(&stack, ACCOUNT, &[], None, Some(&current));
        let busy: Vec<_> = refusals.iter().filter(|r| r.guard == IN_PROGRESS).collect();
        assert_eq!(busy.len(), 1, "{refusals:?}");
        assert!(busy[0].reason.contains("_IN_PROGRESS"));
    }

    #[test]
    fn stack_from_another_account_is_refused() {
        let stack = stack_in(OTHER);
        let refusals = guards_for(&stack, ACCOUNT, &[OTHER.to_owned()], None, Some(&stack));
        assert_eq!(
            names(&refusals),
            BTreeSet::from([ACCOUNT_NOT_ALLOWED, BLOCKED_ACCOUNT])
        );
        assert!(refusals[0].reason.contains(OTHER) && refusals[0].reason.contains(ACCOUNT));
    }

    #[test]
    fn unknown_account_is_refused() {
        let mut stack = stack_in(ACCOUNT);
        stack.id = "garbage".into();
        let refusals = guards_for(&stack, " ", &[], None, Some(&stack));
        assert_eq!(
            refusals,
            [Refusal {
                guard: ACCOUNT_NOT_ALLOWED,
                reason: "the account of stack proto-demo is unknown".into()
            }]
        );
    }

    #[test]
    fn blocked_and_not_allowed_are_both_reported() {
        let stack = stack_in(ACCOUNT);
        let blocked = [format!(" {ACCOUNT} ")];
        let refusals = guards_for(&stack, ACCOUNT, &blocked, Some(&[]), Some(&stack));
        assert_eq!(
            names(&refusals),
            BTreeSet::from([ACCOUNT_NOT_ALLOWED, BLOCKED_ACCOUNT])
        );
    }

    #[test]
    fn protected_reason_lists_protections() {
        let mut stack = stack_in(ACCOUNT);
        stack.tags.insert("expires-at".into(), "someday".into());
        let refusals = guards_for(&stack, ACCOUNT, &[], None, Some(&stack));
        assert_eq!(
            refusals,
            [Refusal {
                guard: PROTECTED,
                reason: "stack proto-demo is protected: unreadable expires-at value \"someday\"; left alone".into()
            }]
        );
    }

    #[rstest]
    #[case(
        "arn:aws:cloudformation:eu-west-1:123456789012:stack/proto/0a1b-2c",
        Some(ACCOUNT)
    )]
    #[case(
        "arn:aws-cn:cloudformation:cn-north-1:123456789012:stack/p/u",
        Some(ACCOUNT)
    )]
    #[case(
        "arn:aws-us-gov:cloudformation:us-gov-west-1:123456789012:stack/a:b/u",
        Some(ACCOUNT)
    )]
    #[case("arn:aws:cloudformation:eu-west-1:12345678901:stack/p/u", None)]
    #[case("arn:aws:cloudformation:eu-west-1:12345678901x:stack/p/u", None)]
    #[case("arn:aws:s3:eu-west-1:123456789012:stack/p/u", None)]
    #[case("arn:aws:cloudformation::123456789012:stack/p/u", None)]
    #[case("arn:aws:cloudformation:eu-west-1:123456789012:stackset/p:u", None)]
    #[case("arn:aws:cloudformation:eu-west-1:123456789012", None)]
    #[case("proto-demo", None)]
    #[case("", None)]
    fn account_from_arn(#[case] id: &str, #[case] account: Option<&str>) {
        assert_eq!(account_from_stack_id(id).as_deref(), account);
    }
}
