//! What stops CloudFormation from deleting a resource (deletion protection, Object Lock,
//! data it will not throw away), what lifts it, and which deletes are merely slow.
//!
//! Every check takes one resource (its type, physical id and template properties) plus the
//! facts one AWS call found about it, so it applies at every level of a stack tree.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

/// One resource as the checks see it.
#[derive(Debug, Clone, Copy)]
pub struct ResourceRef<'a> {
    pub logical_id: &'a str,
    pub resource_type: &'a str,
    pub physical_id: Option<&'a str>,
    /// Its `Properties` in the processed template (`Value::Null` when unknown).
    pub properties: &'a Value,
}

/// What takes a blocker away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Lift {
    /// `--disable-deletion-protection` switches it off right before DeleteStack.
    DisableDeletionProtection,
    /// `--bypass-governance-retention` deletes the versions with the bypass header.
    BypassGovernanceRetention,
    /// Nothing protoctl does: the retention must expire first.
    WaitForExpiry,
    /// A change the owner makes by hand (the `lifted_by` text says which).
    Manual,
}

impl Lift {
    /// The teardown flag that lifts it, if any.
    pub fn flag(self) -> Option<&'static str> {
        match self {
            Self::DisableDeletionProtection => Some("--disable-deletion-protection"),
            Self::BypassGovernanceRetention => Some("--bypass-governance-retention"),
            Self::WaitForExpiry | Self::Manual => None,
        }
    }
}

/// The flags a teardown was given that lift blockers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Lifts {
    pub disable_deletion_protection: bool,
    pub bypass_governance_retention: bool,
}

impl Lifts {
    /// True when these flags take `lift` away.
    pub fn covers(self, lift: Lift) -> bool {
        match lift {
            Lift::DisableDeletionProtection => self.disable_deletion_protection,
            Lift::BypassGovernanceRetention => self.bypass_governance_retention,
            Lift::WaitForExpiry | Lift::Manual => false,
        }
    }

    /// The chosen flags as typed, e.g. "--disable-deletion-protection".
    pub fn names(self) -> Vec<&'static str> {
        [
            Lift::DisableDeletionProtection,
            Lift::BypassGovernanceRetention,
        ]
        .into_iter()
        .filter(|l| self.covers(*l))
        .filter_map(Lift::flag)
        .collect()
    }
}

/// How deletion protection is switched off for one resource (used by the executor).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "via")]
pub enum Unprotect {
    /// DynamoDB UpdateTable `DeletionProtectionEnabled=false`.
    Table,
    /// Cognito UpdateUserPool `DeletionProtection=INACTIVE` (the pool's settings re-sent).
    UserPool,
    /// Cloud Control UpdateResource with a JSON patch setting `property` to false.
    CloudControl { property: String },
}

/// One blocker: the resource, why CloudFormation cannot delete it, and what lifts it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Blocker {
    pub logical_id: String,
    pub resource_type: String,
    pub physical_id: Option<String>,
    /// `deletion_protection`, `governance_retention`, `compliance_retention`, `legal_hold`
    /// or `holds_data`.
    pub kind: &'static str,
    pub why: String,
    pub lift: Lift,
    /// What lifts it, as the user reads it (a flag, a date, a command).
    pub lifted_by: String,
    /// When a retention ends (COMPLIANCE: the stack cannot go before).
    pub until: Option<DateTime<Utc>>,
    /// True when the teardown's flags take it away.
    pub lifted: bool,
    /// How the executor switches deletion protection off (`None` for other kinds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unprotect: Option<Unprotect>,
}

impl Blocker {
    /// The one line `--yes` prints for it: resource, why, what lifts it.
    pub fn line(&self) -> String {
        format!(
            "{} ({}{}): {}; lifted by {}",
            self.logical_id,
            self.resource_type,
            self.physical_id
                .as_deref()
                .map(|p| format!(" {p}"))
                .unwrap_or_default(),
            self.why,
            self.lifted_by
        )
    }
}

/// A delete that is not blocked but takes long (the plan says how long).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlowDelete {
    pub logical_id: String,
    pub resource_type: String,
    pub why: String,
    pub takes: String,
}

/// What one AWS call found about a resource.
#[derive(Debug, Clone, PartialEq)]
pub enum Facts {
    /// Nothing to look up (or not looked up): the template alone decides.
    Template,
    /// Deletion protection as the service reports it (DescribeTable, DescribeUserPool, or the
    /// resource's live properties from Cloud Control GetResource).
    Live(Value),
    /// An ECR repository's images (ListImages, at most one page).
    Images { at_least: u64 },
    /// A bucket's Object Lock state.
    ObjectLock(ObjectLockFacts),
    /// The lookup failed; the template decides and the plan says it was not checked.
    Unchecked(String),
}

/// A bucket's Object Lock: the configuration and what its versions hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectLockFacts {
    pub enabled: bool,
    /// The bucket's default retention, e.g. "GOVERNANCE 30 days".
    pub default_rule: Option<String>,
    pub governance_versions: u64,
    pub governance_until: Option<DateTime<Utc>>,
    pub compliance_versions: u64,
    pub compliance_until: Option<DateTime<Utc>>,
    pub legal_holds: u64,
    /// Versions looked at (each one HeadObject); `more` when there were more than checked.
    pub checked: u64,
    pub more: bool,
}

/// The types whose protection property is read from live properties (Cloud Control
/// GetResource) or the template: (type, property, lifted by the flag through Cloud Control).
pub const PROTECTED_TYPES: &[(&str, &str, bool)] = &[
    ("AWS::DynamoDB::Table", "DeletionProtectionEnabled", true),
    ("AWS::Cognito::UserPool", "DeletionProtection", true),
    ("AWS::RDS::DBCluster", "DeletionProtection", true),
    ("AWS::RDS::DBInstance", "DeletionProtection", true),
    ("AWS::DocDB::DBCluster", "DeletionProtection", true),
    ("AWS::Neptune::DBCluster", "DeletionProtection", true),
    ("AWS::QLDB::Ledger", "DeletionProtection", true),
    ("AWS::EC2::Instance", "DisableApiTermination", false),
    (
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "LoadBalancerAttributes",
        false,
    ),
    ("AWS::DynamoDB::GlobalTable", "Replicas", false),
];

/// True when a resource of this type needs the Cloud Control lookup (the types without a
/// service call of their own in protoctl).
pub fn needs_cloud_control(resource_type: &str) -> bool {
    PROTECTED_TYPES.iter().any(|(t, _, _)| *t == resource_type)
        && !matches!(
            resource_type,
            "AWS::DynamoDB::Table" | "AWS::Cognito::UserPool"
        )
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::String(s) => matches!(s.trim().to_ascii_lowercase().as_str(), "true" | "active"),
        _ => false,
    }
}

/// Whether `props` (template or live) turn deletion protection on for this type.
fn protection_on(resource_type: &str, props: &Value) -> Option<(&'static str, bool)> {
    let (_, key, flag) = PROTECTED_TYPES
        .iter()
        .find(|(t, _, _)| *t == resource_type)?;
    let on = match *key {
        "LoadBalancerAttributes" => props.get(key).and_then(Value::as_array).is_some_and(|a| {
            a.iter().any(|kv| {
                kv.get("Key").and_then(Value::as_str) == Some("deletion_protection.enabled")
                    && kv.get("Value").is_some_and(truthy)
            })
        }),
        "Replicas" => props.get(key).and_then(Value::as_array).is_some_and(|a| {
            a.iter()
                .any(|r| r.get("DeletionProtectionEnabled").is_some_and(truthy))
        }),
        // A QLDB ledger is protected unless the property says false.
        "DeletionProtection" if resource_type == "AWS::QLDB::Ledger" => {
            props.get(key).is_none_or(truthy)
        }
        _ => props.get(key).is_some_and(truthy),
    };
    on.then_some((*key, *flag))
}

/// Every blocker of one resource, from its template properties and what the lookup found.
pub fn resource_blockers(
    r: ResourceRef,
    facts: &Facts,
    lifts: Lifts,
    now: DateTime<Utc>,
) -> Vec<Blocker> {
    let mut out = Vec::new();
    let mut push = |kind: &'static str,
                    why: String,
                    lift: Lift,
                    lifted_by: String,
                    until: Option<DateTime<Utc>>,
                    unprotect: Option<Unprotect>| {
        out.push(Blocker {
            logical_id: r.logical_id.to_owned(),
            resource_type: r.resource_type.to_owned(),
            physical_id: r.physical_id.map(str::to_owned),
            kind,
            why,
            lift,
            lifted_by,
            until,
            lifted: lifts.covers(lift),
            unprotect,
        });
    };
    let (props, source) = match facts {
        Facts::Live(live) => (live, "on"),
        _ => (r.properties, "on in the template"),
    };
    if let Some((key, by_flag)) = protection_on(r.resource_type, props) {
        let unprotect = match r.resource_type {
            "AWS::DynamoDB::Table" => Unprotect::Table,
            "AWS::Cognito::UserPool" => Unprotect::UserPool,
            _ => Unprotect::CloudControl {
                property: key.to_owned(),
            },
        };
        let (lift, lifted_by, unprotect) = if by_flag {
            (
                Lift::DisableDeletionProtection,
                "--disable-deletion-protection".to_owned(),
                Some(unprotect),
            )
        } else {
            (
                Lift::Manual,
                format!("switching {key} off yourself (protoctl does not change it)"),
                None,
            )
        };
        push(
            "deletion_protection",
            format!("deletion protection is {source} ({key})"),
            lift,
            lifted_by,
            None,
            unprotect,
        );
    }
    match facts {
        Facts::Images { at_least } if *at_least > 0 && !empty_on_delete(r.properties) => push(
            "holds_data",
            format!(
                "the repository holds {at_least}{} image(s) and EmptyOnDelete is not set, so \
                 CloudFormation cannot delete it",
                if *at_least >= 1000 { "+" } else { "" }
            ),
            Lift::Manual,
            "deleting its images (aws ecr batch-delete-image) or setting EmptyOnDelete: true"
                .to_owned(),
            None,
            None,
        ),
        Facts::ObjectLock(lock) => {
            let at_least = if lock.more { "at least " } else { "" };
            if lock.compliance_versions > 0 {
                let until = lock.compliance_until;
                let date = until.map_or_else(|| "an unknown date".to_owned(), |u| u.to_rfc3339());
                let left = until.map_or(0, |u| (u - now).num_days().max(0));
                push(
                    "compliance_retention",
                    format!(
                        "{at_least}{} version(s) under COMPLIANCE retention until {date}: no one \
                         can delete them before",
                        lock.compliance_versions
                    ),
                    Lift::WaitForExpiry,
                    format!("nothing: the stack cannot go before {date} ({left} days)"),
                    until,
                    None,
                );
            }
            if lock.governance_versions > 0 {
                let date = lock
                    .governance_until
                    .map_or_else(|| "an unknown date".to_owned(), |u| u.to_rfc3339());
                push(
                    "governance_retention",
                    format!(
                        "{at_least}{} version(s) under GOVERNANCE retention until {date}",
                        lock.governance_versions
                    ),
                    Lift::BypassGovernanceRetention,
                    "--bypass-governance-retention (needs s3:BypassGovernanceRetention)".to_owned(),
                    lock.governance_until,
                    None,
                );
            }
            if lock.legal_holds > 0 {
                push(
                    "legal_hold",
                    format!(
                        "{at_least}{} version(s) under a legal hold",
                        lock.legal_holds
                    ),
                    Lift::Manual,
                    "removing the legal holds (aws s3api put-object-legal-hold --legal-hold \
                     Status=OFF; needs s3:PutObjectLegalHold)"
                        .to_owned(),
                    None,
                    None,
                );
            }
        }
        _ => {}
    }
    out
}

fn empty_on_delete(props: &Value) -> bool {
    props.get("EmptyOnDelete").is_some_and(truthy)
}

/// True when the repository's template asks CloudFormation to delete its images.
pub fn repository_empties_itself(props: &Value) -> bool {
    empty_on_delete(props)
}

/// A note for a lookup that failed (the plan shows it; the template decided instead).
pub fn unchecked_note(facts: &Facts) -> Option<String> {
    match facts {
        Facts::Unchecked(e) => Some(format!("blockers not checked live ({e})")),
        _ => None,
    }
}

/// The slow delete of one resource, if it is one (not a blocker: the plan says how long).
/// `edge_functions` are the stack's Lambda@Edge functions (see [`edge_functions`]).
pub fn slow_delete(r: ResourceRef, edge_functions: &[String]) -> Option<SlowDelete> {
    let slow = |why: &str, takes: &str| {
        Some(SlowDelete {
            logical_id: r.logical_id.to_owned(),
            resource_type: r.resource_type.to_owned(),
            why: why.to_owned(),
            takes: takes.to_owned(),
        })
    };
    match r.resource_type {
        "AWS::CloudFront::Distribution" => slow(
            "CloudFront disables the distribution on every edge location before deleting it",
            "15-90 minutes",
        ),
        "AWS::Lambda::Function" if edge_functions.iter().any(|f| f == r.logical_id) => slow(
            "a Lambda@Edge function cannot be deleted until CloudFront has removed its replicas \
             (a DELETE_FAILED until then; retry later)",
            "a few hours after its distribution is gone",
        ),
        "AWS::Lambda::Function"
            if r.properties
                .get("VpcConfig")
                .is_some_and(|v| v.to_string().contains("SubnetIds")) =>
        {
            slow(
                "a VPC-attached function's network interfaces are released by Lambda after \
                 the function goes; its security groups and subnets wait for them",
                "up to 20-40 minutes",
            )
        }
        _ => None,
    }
}

/// The logical ids of the functions a CloudFront distribution runs at the edge (its
/// `LambdaFunctionAssociations` point at a version `Ref` or `Fn::GetAtt` of one).
pub fn edge_functions<'a>(
    resources: impl Iterator<Item = (&'a str, &'a str, &'a Value)>,
) -> Vec<String> {
    let all: Vec<(&str, &str, &Value)> = resources.collect();
    let mut out = Vec::new();
    for (_, ty, props) in &all {
        if *ty != "AWS::CloudFront::Distribution" {
            continue;
        }
        let text = props.to_string();
        if !text.contains("LambdaFunctionAssociations") {
            continue;
        }
        for (id, fty, fprops) in &all {
            let named = text.contains(&format!("\"{id}\""));
            if *fty == "AWS::Lambda::Function" && named {
                out.push((*id).to_owned());
            }
            // A version of a function: the function is the edge function.
            if *fty == "AWS::Lambda::Version"
                && named
                && let Some(f) = fprops
                    .get("FunctionName")
                    .and_then(|f| f.get("Ref"))
                    .and_then(Value::as_str)
            {
                out.push(f.to_owned());
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
#[path = "blockers_tests.rs"]
mod tests;
