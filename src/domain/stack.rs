//! The stack model: a prototype is a root CloudFormation stack and the stacks nested in it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// One CloudFormation stack as protoctl sees it (strings exactly as AWS sent them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stack {
    pub name: String,
    pub id: String,
    pub status: String,
    pub created: DateTime<Utc>,
    pub last_updated: Option<DateTime<Utc>>,
    pub tags: BTreeMap<String, String>,
    pub termination_protection: bool,
    pub outputs: BTreeMap<String, String>,
    pub description: Option<String>,
    /// The account/region the stack was discovered in (from the stack id ARN).
    pub region: String,
    /// The stack this one is nested in (`ParentId`), when CloudFormation reports it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    /// The root of the tree this stack is nested in (`RootId`), when CloudFormation reports it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root_id: Option<String>,
    /// How many stacks are nested in this one, at any depth (filled in by discovery).
    pub nested_stacks: usize,
    /// The `[discovery] profiles` entry whose credentials found the stack (`None`: the
    /// session's own context).
    #[serde(skip)]
    pub profile: Option<String>,
    /// The alias of the stack's account, where IAM gives one.
    #[serde(skip)]
    pub account_alias: Option<String>,
}

#[cfg(test)]
impl Stack {
    /// A stack for tests: `name` in us-east-1 of account 123456789012, created at `created`,
    /// complete, with nothing else set.
    pub(crate) fn sample(name: &str, created: chrono::DateTime<chrono::Utc>) -> Self {
        Self {
            name: name.into(),
            id: format!("arn:aws:cloudformation:us-east-1:123456789012:stack/{name}/0000"),
            status: "CREATE_COMPLETE".into(),
            created,
            last_updated: None,
            tags: BTreeMap::new(),
            termination_protection: false,
            outputs: BTreeMap::new(),
            description: None,
            region: "us-east-1".into(),
            parent_id: None,
            root_id: None,
            nested_stacks: 0,
            profile: None,
            account_alias: None,
        }
    }
}

/// Where a stack is reached: the profile that found it and its region. Every effect of a
/// screen opened from a stack carries its scope, and runs with that profile's credentials
/// in that region.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Scope {
    /// `None`: the session's context (no `[discovery] profiles`).
    pub profile: Option<String>,
    /// Empty: the context's own region.
    pub region: String,
}

/// The session's connection as the console shows it (`profile · region`, and the endpoint
/// when one is set); the context itself stays with the task runner.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Connection {
    pub label: String,
}

impl Stack {
    /// The profile and region that reach this stack.
    pub fn scope(&self) -> Scope {
        Scope {
            profile: self.profile.clone(),
            region: self.region.clone(),
        }
    }
}

/// The stacks grouped by scope (profile and region), in the order each scope first appears:
/// each group is read with the one context that reaches it.
pub fn by_scope(stacks: Vec<Stack>) -> Vec<(Scope, Vec<Stack>)> {
    let mut groups: Vec<(Scope, Vec<Stack>)> = Vec::new();
    for s in stacks {
        let scope = s.scope();
        match groups.iter_mut().find(|(g, _)| *g == scope) {
            Some((_, g)) => g.push(s),
            None => groups.push((scope, vec![s])),
        }
    }
    groups
}

/// One resource of a stack, from DescribeStackResources / ListStackResources.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StackResource {
    pub logical_id: String,
    pub physical_id: Option<String>,
    #[serde(rename = "type")]
    pub resource_type: String,
    pub status: String,
    /// The path of the stack that owns it: the root's name, then the logical id of each
    /// nested stack on the way down (`shop/Data/Archive`).
    pub stack_path: String,
}

/// One stack event (newest first when listed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StackEvent {
    pub timestamp: DateTime<Utc>,
    pub logical_id: String,
    pub resource_type: String,
    pub status: String,
    pub reason: Option<String>,
}
