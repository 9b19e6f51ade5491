//! Discovery: which CloudFormation stacks are prototypes, by their tags.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::domain::stack::Stack;

/// One discovery filter: a tag key that must be present, with a value when one is given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagFilter {
    pub key: String,
    pub value: Option<String>,
}

/// Why a `--tag` or config tag filter is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagFilterError {
    #[error("tag filter {0:?} has an empty key: use KEY=VALUE or KEY")]
    EmptyKey(String),
    #[error("tag filter {0:?}: a tag key is at most 128 characters")]
    KeyTooLong(String),
    #[error("tag filter {0:?}: a tag value is at most 256 characters")]
    ValueTooLong(String),
}

impl FromStr for TagFilter {
    type Err = TagFilterError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (key, value) = match s.split_once('=') {
            Some((k, v)) => (k.trim(), Some(v.to_string())),
            None => (s.trim(), None),
        };
        if key.is_empty() {
            return Err(TagFilterError::EmptyKey(s.to_string()));
        }
        if key.chars().count() > 128 {
            return Err(TagFilterError::KeyTooLong(s.to_string()));
        }
        if value.as_ref().is_some_and(|v| v.chars().count() > 256) {
            return Err(TagFilterError::ValueTooLong(s.to_string()));
        }
        Ok(Self {
            key: key.to_string(),
            value,
        })
    }
}

impl fmt::Display for TagFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(v) => write!(f, "{}={}", self.key, v),
            None => write!(f, "{}", self.key),
        }
    }
}

impl TagFilter {
    /// True when `tags` satisfies this filter.
    pub fn matches(&self, tags: &BTreeMap<String, String>) -> bool {
        match (&self.value, tags.get(&self.key)) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(want), Some(have)) => want == have,
        }
    }
}

/// True when the stack's tags satisfy every filter (an empty filter list matches nothing,
/// so that a missing configuration never turns into "every stack in the account").
pub fn matches_all(filters: &[TagFilter], tags: &BTreeMap<String, String>) -> bool {
    !filters.is_empty() && filters.iter().all(|f| f.matches(tags))
}

/// True for stack statuses that mean the stack no longer exists.
pub fn is_deleted_status(status: &str) -> bool {
    status == "DELETE_COMPLETE"
}

/// The prototype stacks among `stacks`: tagged to match, not deleted, sorted by name.
pub fn discover(filters: &[TagFilter], stacks: Vec<Stack>) -> Vec<Stack> {
    let mut out: Vec<Stack> = stacks
        .into_iter()
        .filter(|s| !is_deleted_status(&s.status) && matches_all(filters, &s.tags))
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
    out
}

/// The prototype roots among `stacks`: [`discover`] without the stacks `links` nests in
/// another (child id to parent id), each with the count of stacks nested in it at any depth.
pub fn discover_roots(
    filters: &[TagFilter],
    stacks: Vec<Stack>,
    links: &BTreeMap<String, String>,
) -> Vec<Stack> {
    let counts = crate::domain::nested::nested_counts(links);
    discover(filters, stacks)
        .into_iter()
        .filter(|s| s.parent_id.is_none() && !links.contains_key(&s.id))
        .map(|mut s| {
            s.nested_stacks = counts.get(&s.id).copied().unwrap_or(0);
            s
        })
        .collect()
}

/// A human-readable list of filters, e.g. `team=proto, stage`.
pub fn describe_filters(filters: &[TagFilter]) -> String {
    filters
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use rstest::rstest;

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    fn stack(name: &str, status: &str, t: &[(&str, &str)]) -> Stack {
        Stack {
            id: format!("arn:aws:cloudformation:us-east-1:123456789012:stack/{name}/x"),
            status: status.into(),
            tags: tags(t),
            ..Stack::sample(name, Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap())
        }
    }

    #[rstest]
    #[case("team=proto", "team", Some("proto"))]
    #[case("team", "team", None)]
    #[case("team=", "team", Some(""))]
    #[case("a=b=c", "a", Some("b=c"))]
    #[case(" k =v", "k", Some("v"))]
    fn parses_filters(#[case] input: &str, #[case] key: &str, #[case] value: Option<&str>) {
        let f: TagFilter = input.parse().unwrap();
        assert_eq!(f.key, key);
        assert_eq!(f.value.as_deref(), value);
    }

    #[rstest]
    #[case("")]
    #[case("=x")]
    #[case("  =x")]
    fn rejects_empty_key(#[case] input: &str) {
        let err = input.parse::<TagFilter>().unwrap_err();
        assert!(err.to_string().contains("empty key"), "{err}");
    }

    #[test]
    fn rejects_long_key() {
        let err = "k".repeat(129).parse::<TagFilter>().unwrap_err();
        assert!(matches!(err, TagFilterError::KeyTooLong(_)));
    }

    #[rstest]
    #[case(&[("team", "proto")], true)]
    #[case(&[("team", "other")], false)]
    #[case(&[("owner", "x")], false)]
    #[case(&[("team", "proto"), ("stage", "dev")], true)]
    fn matching(#[case] t: &[(&str, &str)], #[case] expected: bool) {
        let filters = vec!["team=proto".parse().unwrap()];
        assert_eq!(matches_all(&filters, &tags(t)), expected);
    }

    #[test]
    fn all_filters_must_match_and_key_only_matches_any_value() {
        let filters: Vec<TagFilter> = vec!["team=proto".parse().unwrap(), "stage".parse().unwrap()];
        assert!(matches_all(
            &filters,
            &tags(&[("team", "proto"), ("stage", "x")])
        ));
        assert!(!matches_all(&filters, &tags(&[("team", "proto")])));
    }

    #[test]
    fn empty_filters_match_nothing() {
        assert!(!matches_all(&[], &tags(&[("team", "proto")])));
    }

    #[test]
    fn discover_filters_sorts_and_drops_deleted() {
        let filters = vec!["team=proto".parse().unwrap()];
        let got = discover(
            &filters,
            vec![
                stack("zeta", "CREATE_COMPLETE", &[("team", "proto")]),
                stack("alpha", "UPDATE_COMPLETE", &[("team", "proto")]),
                stack("gone", "DELETE_COMPLETE", &[("team", "proto")]),
                stack("other", "CREATE_COMPLETE", &[("team", "other")]),
                stack("untagged", "CREATE_COMPLETE", &[]),
            ],
        );
        let names: Vec<_> = got.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["alpha", "zeta"]);
    }

    #[test]
    fn nested_stacks_are_not_listed_and_are_counted_on_their_root() {
        let filters = vec!["team=proto".parse().unwrap()];
        let t = &[("team", "proto")];
        let root = stack("shop", "CREATE_COMPLETE", t);
        let child = stack("shop-Data-1A2B3C4D5E6F", "CREATE_COMPLETE", t);
        let grand = stack(
            "shop-Data-1A2B3C4D5E6F-Arch-ZZZZZZZZZZZZ",
            "CREATE_COMPLETE",
            &[],
        );
        let mut aws_child = stack("other-child", "CREATE_COMPLETE", t);
        aws_child.parent_id = Some("arn:parent".into());
        let links = BTreeMap::from([
            (child.id.clone(), root.id.clone()),
            (grand.id.clone(), child.id.clone()),
        ]);
        let got = discover_roots(&filters, vec![root, child, grand, aws_child], &links);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].name, "shop");
        assert_eq!(got[0].nested_stacks, 2);
    }
}
