//! Nested stacks: a prototype is its root stack and every stack nested in it
//! (`AWS::CloudFormation::Stack` resources), to any depth.
//!
//! Each resource of a tree carries the path of the stack that owns it: the root's name, then
//! the logical id of each nested stack resource on the way down (`shop/Data/Archive`).

use std::collections::{BTreeMap, BTreeSet};

use crate::domain::stack::{Stack, StackResource};

/// The resource type of a nested stack.
pub const NESTED_STACK_TYPE: &str = "AWS::CloudFormation::Stack";

/// Separator between the levels of a stack path.
pub const PATH_SEP: char = '/';

/// Nesting deeper than this is not followed (CloudFormation trees are far shallower; the
/// bound keeps a malformed answer from looping).
pub const MAX_DEPTH: usize = 16;

/// Nested stacks read at most per tree.
pub const MAX_STACKS: usize = 500;

/// The stack name in a stack id ARN (`arn:…:stack/NAME/UUID`), or the input when it is a name.
pub fn stack_name_of(id_or_name: &str) -> &str {
    if id_or_name.starts_with("arn:") {
        id_or_name
            .rsplit_once(":stack/")
            .and_then(|(_, rest)| rest.split('/').next())
            .filter(|n| !n.is_empty())
            .unwrap_or(id_or_name)
    } else {
        id_or_name
    }
}

/// The path of the stack a nested stack resource creates.
pub fn child_path(parent_path: &str, logical_id: &str) -> String {
    format!("{parent_path}{PATH_SEP}{logical_id}")
}

/// A path without its root's name (`Data/Archive` for `shop/Data/Archive`; empty for the root).
pub fn relative_path<'a>(root: &str, path: &'a str) -> &'a str {
    path.strip_prefix(root)
        .and_then(|rest| rest.strip_prefix(PATH_SEP))
        .unwrap_or(if path == root { "" } else { path })
}

/// How deep a path is (0 for the root).
pub fn depth(path: &str) -> usize {
    path.matches(PATH_SEP).count()
}

/// One nested stack of a tree: its path and the physical id CloudFormation gave it (a stack
/// ARN on AWS; some emulators give the stack name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NestedStack {
    pub path: String,
    pub physical_id: String,
    /// The status of the nested stack resource in its parent (e.g. `UPDATE_IN_PROGRESS`).
    pub status: String,
}

/// The live nested stacks among `resources` (deleted or never-created ones are left out).
pub fn nested_stacks(resources: &[StackResource]) -> Vec<NestedStack> {
    resources
        .iter()
        .filter(|r| r.resource_type == NESTED_STACK_TYPE && r.status != "DELETE_COMPLETE")
        .filter_map(|r| {
            let id = r.physical_id.as_deref().filter(|p| !p.is_empty())?;
            Some(NestedStack {
                path: child_path(&r.stack_path, &r.logical_id),
                physical_id: id.to_string(),
                status: r.status.clone(),
            })
        })
        .collect()
}

/// True when a stack (by id and name) is the one a nested stack resource names.
pub fn is_same_stack(physical_id: &str, stack: &Stack) -> bool {
    physical_id == stack.id || physical_id == stack.name
}

/// The order a tree's resources are shown in: each nested stack's resources right after the
/// nested stack resource itself, depth first, by logical id within a stack.
pub fn sort_tree(resources: &mut [StackResource]) {
    resources.sort_by_cached_key(|r| {
        let mut k: Vec<String> = r.stack_path.split(PATH_SEP).map(str::to_owned).collect();
        k.push(r.logical_id.clone());
        k
    });
}

/// The name of the stack `name` would be nested in, when it has the shape CloudFormation
/// gives nested stacks: `PARENT-LOGICALID-SUFFIX`, the suffix 12 or 13 upper-case letters
/// and digits.
pub fn parent_name_candidate(name: &str) -> Option<&str> {
    let (rest, suffix) = name.rsplit_once('-')?;
    let suffix_ok = (12..=13).contains(&suffix.len())
        && suffix
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    let (parent, logical) = rest.rsplit_once('-')?;
    let logical_ok = !logical.is_empty() && logical.bytes().all(|b| b.is_ascii_alphanumeric());
    (suffix_ok && logical_ok && !parent.is_empty()).then_some(parent)
}

/// The stacks whose resources tell which stacks are nested in them: live stacks without a
/// `ParentId` of their own that some live stack without a `ParentId` names as its likely
/// parent. (Where CloudFormation reports `ParentId`, nothing needs listing.)
pub fn parents_to_confirm(stacks: &[Stack]) -> Vec<&Stack> {
    let live = |s: &&Stack| !crate::domain::discovery::is_deleted_status(&s.status);
    let wanted: BTreeSet<&str> = stacks
        .iter()
        .filter(live)
        .filter(|s| s.parent_id.is_none())
        .filter_map(|s| parent_name_candidate(&s.name))
        .collect();
    stacks
        .iter()
        .filter(live)
        .filter(|s| wanted.contains(s.name.as_str()))
        .collect()
}

/// Links from each nested stack (by id) to its parent (by id): from `ParentId` where
/// CloudFormation gives it, else from the nested stack resources `listed` for a parent.
pub fn parent_links(
    stacks: &[Stack],
    listed: &[(String, Vec<StackResource>)],
) -> BTreeMap<String, String> {
    let mut links: BTreeMap<String, String> = stacks
        .iter()
        .filter_map(|s| Some((s.id.clone(), s.parent_id.clone()?)))
        .collect();
    for (parent_id, resources) in listed {
        for n in nested_stacks(resources) {
            if let Some(child) = stacks
                .iter()
                .find(|s| is_same_stack(&n.physical_id, s) && &s.id != parent_id)
            {
                links
                    .entry(child.id.clone())
                    .or_insert_with(|| parent_id.clone());
            }
        }
    }
    links
}

/// The root of a stack through `links` (the stack itself when it is not nested).
pub fn root_of<'a>(links: &'a BTreeMap<String, String>, id: &'a str) -> &'a str {
    let mut at = id;
    for _ in 0..MAX_DEPTH {
        match links.get(at) {
            Some(parent) if parent != at => at = parent,
            _ => break,
        }
    }
    at
}

/// How many stacks are nested (at any depth) in each root, by root id.
pub fn nested_counts(links: &BTreeMap<String, String>) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for child in links.keys() {
        *counts.entry(root_of(links, child).to_string()).or_insert(0) += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use rstest::rstest;

    fn stack(name: &str, parent: Option<&str>) -> Stack {
        Stack {
            id: format!("arn:aws:cloudformation:us-east-1:123456789012:stack/{name}/u"),
            parent_id: parent.map(Into::into),
            ..Stack::sample(name, Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap())
        }
    }

    fn res(path: &str, logical: &str, physical: &str, t: &str) -> StackResource {
        StackResource {
            logical_id: logical.into(),
            physical_id: Some(physical.into()),
            resource_type: t.into(),
            status: "CREATE_COMPLETE".into(),
            stack_path: path.into(),
        }
    }

    #[rstest]
    #[case("shop-Data-1A2B3C4D5E6F", Some("shop"))]
    #[case("my-app-Data-1A2B3C4D5E6F7", Some("my-app"))]
    #[case(
        "shop-Data-1A2B3C4D5E6F-Archive-ZZZZZZZZZZZZ",
        Some("shop-Data-1A2B3C4D5E6F")
    )]
    #[case("shop-dev", None)]
    #[case("shop-Data-short", None)]
    #[case("shop-Data-1a2b3c4d5e6f", None)]
    #[case("-Data-1A2B3C4D5E6F", None)]
    fn nested_name_shapes(#[case] name: &str, #[case] parent: Option<&str>) {
        assert_eq!(parent_name_candidate(name), parent);
    }

    #[test]
    fn names_from_ids_and_paths() {
        assert_eq!(
            stack_name_of("arn:aws:cloudformation:eu-west-1:1:stack/shop/abc"),
            "shop"
        );
        assert_eq!(stack_name_of("shop"), "shop");
        assert_eq!(relative_path("shop", "shop/Data/Archive"), "Data/Archive");
        assert_eq!(relative_path("shop", "shop"), "");
        assert_eq!(depth("shop/Data/Archive"), 2);
    }

    #[test]
    fn links_come_from_parent_ids_and_listed_nested_resources() {
        let root = stack("shop", None);
        let child = stack("shop-Data-1A2B3C4D5E6F", None);
        let grand = stack("shop-Data-1A2B3C4D5E6F-Arch-ZZZZZZZZZZZZ", None);
        let aws_child = stack("api-Auth-QQQQQQQQQQQQ", Some("arn:api"));
        let other = stack("shop-dev", None);
        let all = vec![
            root.clone(),
            child.clone(),
            grand.clone(),
            aws_child.clone(),
            other,
        ];
        let to_list: Vec<&str> = parents_to_confirm(&all)
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(to_list, ["shop", "shop-Data-1A2B3C4D5E6F"]);
        let listed = vec![
            (
                root.id.clone(),
                vec![res("shop", "Data", &child.name, NESTED_STACK_TYPE)],
            ),
            (
                child.id.clone(),
                vec![res("x", "Arch", &grand.id, NESTED_STACK_TYPE)],
            ),
        ];
        let links = parent_links(&all, &listed);
        assert_eq!(links.get(&child.id), Some(&root.id));
        assert_eq!(links.get(&grand.id), Some(&child.id));
        assert_eq!(root_of(&links, &grand.id), root.id);
        assert_eq!(
            links.get(&aws_child.id).map(String::as_str),
            Some("arn:api")
        );
        let counts = nested_counts(&links);
        assert_eq!(counts.get(&root.id), Some(&2));
        assert_eq!(counts.get("arn:api"), Some(&1));
    }

    #[test]
    fn tree_order_puts_nested_resources_under_their_stack() {
        let mut rs = vec![
            res("shop/Data", "Table", "t", "AWS::DynamoDB::Table"),
            res("shop", "Zeta", "z", "AWS::SNS::Topic"),
            res("shop", "Data", "d", NESTED_STACK_TYPE),
            res("shop/Data/Arch", "Bucket", "b", "AWS::S3::Bucket"),
            res("shop", "Api", "a", "AWS::Lambda::Function"),
            res("shop/Data", "Arch", "n", NESTED_STACK_TYPE),
        ];
        sort_tree(&mut rs);
        let got: Vec<String> = rs
            .iter()
            .map(|r| format!("{}:{}", r.stack_path, r.logical_id))
            .collect();
        assert_eq!(
            got,
            [
                "shop:Api",
                "shop:Data",
                "shop/Data:Arch",
                "shop/Data/Arch:Bucket",
                "shop/Data:Table",
                "shop:Zeta"
            ]
        );
        let n = nested_stacks(&rs);
        assert_eq!(n.len(), 2);
        assert_eq!(n[0].path, "shop/Data");
        assert_eq!(n[1].path, "shop/Data/Arch");
    }
}
