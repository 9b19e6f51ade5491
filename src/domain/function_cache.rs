//! Which Lambda functions each stack owns (and the log group each writes to, when not its
//! default one), remembered between runs.
//!
//! The activity columns need each stack's function names, which only `ListStackResources`
//! tells: one request per stack, the dominant cost of listing a big shelf. A stack's physical
//! resources change only through a stack operation, and every operation moves the stack's
//! `LastUpdatedTime`; so the names are cached under the stack id together with that time (the
//! creation time for a stack never updated), and a changed time is a miss. Stacks with an
//! operation in progress are never cached, a changed status is a miss too, and names are read
//! again after [`MAX_TRUST_HOURS`] whatever the stack says. The cache is bounded: entries unseen for
//! [`MAX_AGE_DAYS`] days are dropped, and at most [`MAX_ENTRIES`] are kept.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::abandon::is_in_progress;
use super::log_groups::default_group;
use super::stack::Stack;

/// Entries kept at most (the most recently seen win).
pub const MAX_ENTRIES: usize = 20_000;
/// Entries not seen for this many days are dropped.
pub const MAX_AGE_DAYS: i64 = 30;

/// Names read longer ago than this are read again, whatever the stack's state says.
pub const MAX_TRUST_HOURS: i64 = 24;

/// Format version of the file; another version reads as empty.
const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    /// The stack's `LastUpdatedTime` (or creation time) the names were read at.
    stamp: DateTime<Utc>,
    /// The stack's status then (a second guard where an emulator reports no update time).
    status: String,
    functions: Vec<String>,
    /// The functions that log to a custom group (`LoggingConfig.LogGroup`), with that group.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    custom_groups: BTreeMap<String, String>,
    /// Whether the stack holds nothing that can block a teardown (no bucket, table, repository
    /// or protected resource): like the names, a fact of its resource list. `None`: not known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nothing_blocks: Option<bool>,
    /// When the names were read.
    read: DateTime<Utc>,
    /// When the entry was last used or written.
    seen: DateTime<Utc>,
}

/// Function names by stack id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionCache {
    version: u32,
    stacks: BTreeMap<String, Entry>,
}

impl Default for FunctionCache {
    fn default() -> Self {
        Self::new()
    }
}

/// The time a stack's resources were last changed at.
fn stamp(stack: &Stack) -> DateTime<Utc> {
    stack.last_updated.unwrap_or(stack.created)
}

impl FunctionCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self {
            version: VERSION,
            stacks: BTreeMap::new(),
        }
    }

    /// Parses a cache file; anything unreadable or of another version is an empty cache.
    pub fn parse(text: &str) -> Self {
        serde_json::from_str::<Self>(text)
            .ok()
            .filter(|c| c.version == VERSION)
            .unwrap_or_default()
    }

    /// The file's text.
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Number of stacks remembered.
    pub fn len(&self) -> usize {
        self.stacks.len()
    }

    /// True when nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.stacks.is_empty()
    }

    /// The stack's function names, when remembered for its current state; marks the entry
    /// seen at `now`.
    pub fn get(&mut self, stack: &Stack, now: DateTime<Utc>) -> Option<Vec<String>> {
        if is_in_progress(&stack.status) {
            return None;
        }
        let entry = self.stacks.get_mut(&stack.id)?;
        if entry.stamp != stamp(stack)
            || entry.status != stack.status
            || now - entry.read >= Duration::hours(MAX_TRUST_HOURS)
        {
            return None;
        }
        entry.seen = now;
        Some(entry.functions.clone())
    }

    /// Remembers the stack's function names (unless an operation is in progress).
    pub fn put(&mut self, stack: &Stack, functions: Vec<String>, now: DateTime<Utc>) {
        if is_in_progress(&stack.status) {
            self.stacks.remove(&stack.id);
            return;
        }
        self.stacks.insert(
            stack.id.clone(),
            Entry {
                stamp: stamp(stack),
                status: stack.status.clone(),
                functions,
                custom_groups: BTreeMap::new(),
                nothing_blocks: None,
                read: now,
                seen: now,
            },
        );
    }

    /// True when the stack's resource list, remembered for its current state, holds nothing
    /// that can block a teardown (the listing's blockers check then needs no request).
    pub fn nothing_blocks(&mut self, stack: &Stack, now: DateTime<Utc>) -> bool {
        self.get(stack, now).is_some()
            && self
                .stacks
                .get(&stack.id)
                .is_some_and(|e| e.nothing_blocks == Some(true))
    }

    /// Remembers whether the stack's resource list holds anything that can block a teardown,
    /// beside its function names. Where no names are remembered for its current state, a
    /// resource list without functions is remembered as such (it is the whole answer); one
    /// with functions is left to the activity lookup, which also learns their log groups.
    pub fn set_nothing_blocks(
        &mut self,
        stack: &Stack,
        nothing_blocks: bool,
        functionless: bool,
        now: DateTime<Utc>,
    ) {
        if self.get(stack, now).is_none() {
            if !functionless {
                return;
            }
            self.put(stack, Vec::new(), now);
        }
        if let Some(entry) = self.stacks.get_mut(&stack.id) {
            entry.nothing_blocks = Some(nothing_blocks);
        }
    }

    /// The stack's functions with the log group each writes to, when remembered for its
    /// current state (as [`FunctionCache::get`]).
    pub fn get_groups(
        &mut self,
        stack: &Stack,
        now: DateTime<Utc>,
    ) -> Option<Vec<(String, String)>> {
        let names = self.get(stack, now)?;
        let custom = &self.stacks.get(&stack.id)?.custom_groups;
        Some(
            names
                .into_iter()
                .map(|f| {
                    let group = custom.get(&f).cloned().unwrap_or_else(|| default_group(&f));
                    (f, group)
                })
                .collect(),
        )
    }

    /// Remembers the stack's functions with their log groups (as [`FunctionCache::put`]).
    pub fn put_groups(
        &mut self,
        stack: &Stack,
        functions: &[(String, String)],
        now: DateTime<Utc>,
    ) {
        self.put(
            stack,
            functions.iter().map(|(f, _)| f.clone()).collect(),
            now,
        );
        if let Some(entry) = self.stacks.get_mut(&stack.id) {
            entry.custom_groups = functions
                .iter()
                .filter(|(f, g)| *g != default_group(f))
                .cloned()
                .collect();
        }
    }

    /// Drops stale entries and keeps at most [`MAX_ENTRIES`], the most recently seen.
    pub fn prune(&mut self, now: DateTime<Utc>) {
        let oldest = now - Duration::days(MAX_AGE_DAYS);
        self.stacks.retain(|_, e| e.seen >= oldest);
        if self.stacks.len() > MAX_ENTRIES {
            let mut seen: Vec<DateTime<Utc>> = self.stacks.values().map(|e| e.seen).collect();
            seen.sort_unstable_by(|a, b| b.cmp(a));
            let cutoff = seen[MAX_ENTRIES - 1];
            self.stacks.retain(|_, e| e.seen >= cutoff);
            // Ties at the cutoff may leave a few more; trim them by id order.
            while self.stacks.len() > MAX_ENTRIES {
                let Some(key) = self
                    .stacks
                    .iter()
                    .find(|(_, e)| e.seen == cutoff)
                    .map(|(k, _)| k.clone())
                else {
                    break;
                };
                self.stacks.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap()
    }

    fn stack(id: &str, updated: Option<DateTime<Utc>>) -> Stack {
        Stack {
            id: id.into(),
            status: "UPDATE_COMPLETE".into(),
            last_updated: updated,
            ..Stack::sample(id, now() - Duration::days(100))
        }
    }

    #[test]
    fn hit_only_for_the_same_stack_state() {
        let mut c = FunctionCache::new();
        let s = stack("a", None);
        assert_eq!(c.get(&s, now()), None);
        c.put(&s, vec!["a-create".into()], now());
        assert_eq!(c.get(&s, now()), Some(vec!["a-create".into()]));
        // An update moves LastUpdatedTime: the names may have changed.
        let updated = stack("a", Some(now() - Duration::days(1)));
        assert_eq!(c.get(&updated, now()), None);
        // So does a changed status (emulators that report no update time).
        let mut s2 = s.clone();
        s2.status = "UPDATE_ROLLBACK_COMPLETE".into();
        assert_eq!(c.get(&s2, now()), None);
        // Names are read again after a day, whatever the stack says.
        assert_eq!(c.get(&s, now() + Duration::hours(MAX_TRUST_HOURS)), None);
        assert!(
            c.get(&s, now() + Duration::hours(MAX_TRUST_HOURS - 1))
                .is_some()
        );
        // Another stack never hits.
        assert_eq!(c.get(&stack("b", None), now()), None);
    }

    #[test]
    fn custom_log_groups_are_remembered_with_the_names() {
        let mut c = FunctionCache::new();
        let s = stack("a", None);
        let pairs = vec![
            ("a-create".to_owned(), "/shared/app".to_owned()),
            ("a-list".to_owned(), "/aws/lambda/a-list".to_owned()),
        ];
        c.put_groups(&s, &pairs, now());
        let back = FunctionCache::parse(&c.to_text());
        assert_eq!(back.clone().get_groups(&s, now()), Some(pairs));
        assert_eq!(
            back.clone().get(&s, now()),
            Some(vec!["a-create".to_owned(), "a-list".to_owned()])
        );
        c.put(&s, vec!["a-create".into()], now());
        assert_eq!(
            c.get_groups(&s, now()),
            Some(vec![(
                "a-create".to_owned(),
                "/aws/lambda/a-create".to_owned()
            )])
        );
    }

    #[test]
    fn nothing_blocks_is_a_fact_of_the_same_stack_state_only() {
        let mut c = FunctionCache::new();
        let s = stack("a", None);
        // Not known without names for this state; setting it then is a no-op for a stack
        // with functions (the activity lookup learns them with their log groups).
        c.set_nothing_blocks(&s, true, false, now());
        assert!(!c.nothing_blocks(&s, now()));
        assert_eq!(c.get(&s, now()), None);
        c.put(&s, vec!["a-create".into()], now());
        assert!(!c.nothing_blocks(&s, now()), "unknown until checked");
        c.set_nothing_blocks(&s, true, false, now());
        let mut back = FunctionCache::parse(&c.to_text());
        assert!(back.nothing_blocks(&s, now()), "kept in the file");
        assert_eq!(back.get(&s, now()), Some(vec!["a-create".into()]));
        // An update may have added a bucket: a miss.
        let updated = stack("a", Some(now() - Duration::days(1)));
        assert!(!c.nothing_blocks(&updated, now()));
        // Read again after a day, like the names.
        assert!(!c.nothing_blocks(&s, now() + Duration::hours(MAX_TRUST_HOURS)));
        // Something that can block is remembered as such: the check reads it live.
        c.set_nothing_blocks(&s, false, false, now());
        assert!(!c.nothing_blocks(&s, now()));
        // New names for the stack forget the old answer.
        c.set_nothing_blocks(&s, true, false, now());
        c.put(&s, vec!["a-create".into(), "a-list".into()], now());
        assert!(!c.nothing_blocks(&s, now()));
        // A stack without functions is learned whole from its resource list.
        let b = stack("b", None);
        c.set_nothing_blocks(&b, true, true, now());
        assert_eq!(c.get(&b, now()), Some(Vec::new()));
        assert!(c.nothing_blocks(&b, now()));
    }

    #[test]
    fn stacks_in_progress_are_never_cached() {
        let mut c = FunctionCache::new();
        let mut s = stack("a", None);
        c.put(&s, vec!["f".into()], now());
        s.status = "UPDATE_IN_PROGRESS".into();
        assert_eq!(c.get(&s, now()), None);
        c.put(&s, vec!["g".into()], now());
        assert!(c.is_empty(), "an in-progress put forgets the stack");
    }

    #[test]
    fn round_trips_and_rejects_garbage() {
        let mut c = FunctionCache::new();
        c.put(&stack("a", None), vec!["f".into(), "g".into()], now());
        c.put(&stack("b", Some(now())), vec![], now());
        let back = FunctionCache::parse(&c.to_text());
        assert_eq!(back, c);
        assert!(FunctionCache::parse("not json").is_empty());
        assert!(FunctionCache::parse(r#"{"version":99,"stacks":{}}"#).is_empty());
        assert!(FunctionCache::parse("").is_empty());
    }

    #[test]
    fn prune_drops_stale_and_bounds_the_size() {
        let mut c = FunctionCache::new();
        c.put(&stack("old", None), vec![], now() - Duration::days(31));
        c.put(&stack("new", None), vec![], now() - Duration::hours(1));
        c.prune(now());
        assert_eq!(c.len(), 1);
        assert!(c.get(&stack("new", None), now()).is_some());

        let mut c = FunctionCache::new();
        for i in 0..MAX_ENTRIES + 50 {
            let age = i64::try_from(i).unwrap();
            c.put(
                &stack(&format!("s{i:06}"), None),
                vec![],
                now() - Duration::seconds(age),
            );
        }
        c.prune(now());
        assert_eq!(c.len(), MAX_ENTRIES);
        // The most recently seen survive.
        assert!(c.get(&stack("s000000", None), now()).is_some());
        assert!(
            c.get(&stack(&format!("s{:06}", MAX_ENTRIES + 49), None), now())
                .is_none()
        );
    }
}
