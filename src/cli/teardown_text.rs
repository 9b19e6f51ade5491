//! The teardown plans as text for people: blockers first, then what survives with its
//! data, slow deletes, and every resource in aligned columns (long logical ids wrap).

use crate::aws::teardown::StackPlan;
use crate::domain::sanitize::sanitize;
use crate::domain::teardown::{Plan, PlanAction};

/// Widest logical id column before an id goes on a line of its own.
const MAX_ID: usize = 48;
/// Widest resource type column.
const MAX_TYPE: usize = 44;

/// The plans as text (every AWS string sanitised).
pub fn plans_text(plans: &[StackPlan]) -> String {
    let mut s = String::new();
    for sp in plans {
        let p = &sp.plan;
        s.push_str(&format!(
            "{} ({} · account {} · {})\n",
            sanitize(&p.stack_name),
            sanitize(&sp.stack.status),
            sanitize(&p.account),
            sanitize(&p.region)
        ));
        if sp.assessment.abandoned {
            s.push_str(&format!(
                "  abandoned: {}\n",
                sanitize(&sp.assessment.abandoned_reasons.join("; "))
            ));
        } else if !sp.assessment.protected {
            s.push_str(&format!(
                "  not abandoned: last activity {} days ago\n",
                sp.assessment.idle_days
            ));
        }
        header_lines(&mut s, p);
        resource_lines(&mut s, p);
        for r in &p.refusals {
            s.push_str(&format!("  REFUSED: {}\n", sanitize(&r.reason)));
        }
    }
    s
}

fn header_lines(s: &mut String, p: &Plan) {
    for b in &p.blockers {
        let word = if b.lifted { "lifted: " } else { "BLOCKED:" };
        s.push_str(&format!("  {word} {}\n", sanitize(&b.line())));
    }
    for st in p.steps.iter().filter(|st| st.keeps_data) {
        s.push_str(&format!(
            "  KEEPS DATA: {} ({}) survives the teardown: {}\n",
            sanitize(&st.tree_id(&p.stack_name)),
            sanitize(&st.resource_type),
            sanitize(st.note.as_deref().unwrap_or("it keeps costing"))
        ));
    }
    for d in &p.slow_deletes {
        s.push_str(&format!(
            "  slow: {} ({}) takes {}: {}\n",
            sanitize(&d.logical_id),
            sanitize(&d.resource_type),
            sanitize(&d.takes),
            sanitize(&d.why)
        ));
    }
    for u in &p.unchecked {
        s.push_str(&format!("  not checked: {}\n", sanitize(u)));
    }
}

fn resource_lines(s: &mut String, p: &Plan) {
    let rows: Vec<(String, String, String)> = p
        .steps
        .iter()
        .map(|st| {
            let action = match &st.action {
                PlanAction::Survives { .. } if st.keeps_data => {
                    format!("SURVIVES WITH ITS DATA: {}", st.action.describe())
                }
                a => a.describe(),
            };
            (
                sanitize(&st.tree_id(&p.stack_name)).into_owned(),
                sanitize(&st.resource_type).into_owned(),
                format!(
                    "{action}{}",
                    st.note
                        .as_deref()
                        .map(|n| format!(" ({})", sanitize(n)))
                        .unwrap_or_default()
                ),
            )
        })
        .collect();
    let id_w = rows
        .iter()
        .map(|r| r.0.chars().count())
        .filter(|w| *w <= MAX_ID)
        .max()
        .unwrap_or(1);
    let ty_w = rows
        .iter()
        .map(|r| r.1.chars().count())
        .max()
        .unwrap_or(1)
        .min(MAX_TYPE);
    for (id, ty, what) in rows {
        let id_len = id.chars().count();
        if id_len > id_w {
            s.push_str(&format!("  {id}\n  {:id_w$} ", ""));
        } else {
            s.push_str(&format!("  {id}{} ", " ".repeat(id_w - id_len)));
        }
        let ty_len = ty.chars().count();
        s.push_str(&ty);
        s.push_str(&" ".repeat(ty_w.saturating_sub(ty_len) + 1));
        s.push_str(&what);
        s.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::abandon::{AbandonPolicy, assess};
    use crate::domain::stack::{Stack, StackResource};
    use crate::domain::teardown::{DeletionPolicy, build_plan};
    use chrono::{TimeZone, Utc};
    use std::collections::BTreeMap;

    #[test]
    fn columns_stay_aligned_with_a_131_character_logical_id() {
        let long = format!("ApiGatewayResource{}OptionsMethod", "Xy".repeat(50));
        assert_eq!(long.len(), 131);
        let stack = Stack {
            name: "s".into(),
            id: "arn:aws:cloudformation:eu-west-1:123456789012:stack/s/1".into(),
            status: "CREATE_COMPLETE".into(),
            created: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            last_updated: None,
            tags: BTreeMap::new(),
            termination_protection: false,
            outputs: BTreeMap::new(),
            description: None,
            region: "eu-west-1".into(),
            parent_id: None,
            root_id: None,
            nested_stacks: 0,
            profile: None,
            account_alias: None,
        };
        let r = |id: &str, ty: &str| StackResource {
            logical_id: id.into(),
            physical_id: Some("p".into()),
            resource_type: ty.into(),
            status: "CREATE_COMPLETE".into(),
            stack_path: "s".into(),
        };
        let resources = [
            r("Fn", "AWS::Lambda::Function"),
            r(&long, "AWS::ApiGateway::Method"),
            r("Table", "AWS::DynamoDB::Table"),
        ];
        let policies = BTreeMap::from([("Table".to_string(), DeletionPolicy::Retain)]);
        let plan = build_plan(&stack, &resources, &policies, vec![], vec![], vec![]);
        let assessment = assess(&stack, &[], &AbandonPolicy::default(), stack.created);
        let text = plans_text(&[StackPlan {
            stack,
            assessment,
            plan,
        }]);
        let type_columns: Vec<usize> = text
            .lines()
            .filter_map(|l| {
                l.find("AWS::")
                    .filter(|_| l.starts_with("  ") && !l.contains("KEEPS"))
            })
            .collect();
        assert_eq!(type_columns.len(), 3, "{text}");
        assert!(type_columns.iter().all(|c| *c == type_columns[0]), "{text}");
        assert!(text.contains(&format!("  {long}\n")), "{text}");
        assert!(text.contains("KEEPS DATA: Table"), "{text}");
        assert!(text.contains("SURVIVES WITH ITS DATA"), "{text}");
    }
}
