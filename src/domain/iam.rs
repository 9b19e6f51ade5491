//! The least-privilege IAM policies protoctl documents (`assets/iam/*.json`, shown in
//! docs/iam.md): what each grants, and how a caller's ARN is named for the IAM simulator.

use serde_json::Value;

/// One documented policy: its file name, what it is for and its JSON text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// The short name (`read`, `invoke`, `edit`, `teardown`), also the asset's file stem.
    pub name: &'static str,
    /// One line: which commands need it.
    pub purpose: &'static str,
    /// The policy document, ready to paste.
    pub json: &'static str,
}

/// Every documented policy; `read` is the base the others are attached on top of.
pub const POLICIES: [Policy; 4] = [
    Policy {
        name: "read",
        purpose: "browse stacks, resources, items, objects, logs, errors, queries and cost",
        json: include_str!("../../assets/iam/read.json"),
    },
    Policy {
        name: "invoke",
        purpose: "call functions (invoke, the console's invoke screen)",
        json: include_str!("../../assets/iam/invoke.json"),
    },
    Policy {
        name: "edit",
        purpose: "change DynamoDB items and S3 objects from the console",
        json: include_str!("../../assets/iam/edit.json"),
    },
    Policy {
        name: "teardown",
        purpose: "tear down, shelve and restore stacks",
        json: include_str!("../../assets/iam/teardown.json"),
    },
];

/// The `Action` entries of every `Allow` statement of a policy document, in order.
pub fn actions(json: &str) -> Result<Vec<String>, serde_json::Error> {
    let doc: Value = serde_json::from_str(json)?;
    let mut out = Vec::new();
    let statements = match &doc["Statement"] {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    for st in statements.iter().filter(|s| s["Effect"] == "Allow") {
        match &st["Action"] {
            Value::String(a) => out.push(a.clone()),
            Value::Array(a) => out.extend(a.iter().filter_map(|v| v.as_str().map(String::from))),
            _ => {}
        }
    }
    Ok(out)
}

/// The policy named `name`.
pub fn policy(name: &str) -> Option<&'static Policy> {
    POLICIES.iter().find(|p| p.name == name)
}

/// The principal ARN the IAM policy simulator takes for a caller identity ARN: an assumed
/// role session (`arn:aws:sts::1:assumed-role/R/s`) is simulated as its role
/// (`arn:aws:iam::1:role/R`); users and roles are taken as they are. The root user and
/// federated users cannot be simulated (`None`).
pub fn simulation_principal(caller_arn: &str) -> Option<String> {
    let parts: Vec<&str> = caller_arn.splitn(6, ':').collect();
    let [arn, partition, service, _, account, resource] = parts.as_slice() else {
        return None;
    };
    if *arn != "arn" {
        return None;
    }
    match *service {
        "iam" if resource.starts_with("user/") || resource.starts_with("role/") => {
            Some(caller_arn.to_string())
        }
        "sts" => {
            let rest = resource.strip_prefix("assumed-role/")?;
            let role = rest.split('/').next().filter(|r| !r.is_empty())?;
            Some(format!("arn:{partition}:iam::{account}:role/{role}"))
        }
        _ => None,
    }
}

#[cfg(test)]
mod coverage;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_policy_parses_and_grants_something() {
        for p in &POLICIES {
            let a = actions(p.json).unwrap_or_else(|e| panic!("assets/iam/{}.json: {e}", p.name));
            assert!(!a.is_empty(), "{} grants nothing", p.name);
            let mut sorted = a.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted.len(), a.len(), "{} lists an action twice", p.name);
        }
        assert!(policy("read").is_some());
        assert!(policy("nope").is_none());
    }

    #[test]
    fn simulation_principal_of_each_identity_kind() {
        assert_eq!(
            simulation_principal("arn:aws:sts::123456789012:assumed-role/Dev/alice").as_deref(),
            Some("arn:aws:iam::123456789012:role/Dev")
        );
        assert_eq!(
            simulation_principal("arn:aws:iam::123456789012:user/bob").as_deref(),
            Some("arn:aws:iam::123456789012:user/bob")
        );
        assert_eq!(simulation_principal("arn:aws:iam::123456789012:root"), None);
        assert_eq!(
            simulation_principal("arn:aws:sts::1:federated-user/x"),
            None
        );
        assert_eq!(simulation_principal("garbage"), None);
    }
}
