//! What to read: the query form's model and the key-condition and filter expressions.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::table::{KeyAttr, TableInfo};
use crate::domain::dynamo::{Attr, is_valid_number};

pub use crate::domain::dynamo::table::{Filter, FilterOp, ItemQuery, SkOp};

/// A key value typed for the key attribute (N must be a valid number, B base64).
pub fn key_value(key: &KeyAttr, text: &str) -> Result<Attr, String> {
    match key.attr_type.as_str() {
        "N" => {
            if is_valid_number(text) {
                Ok(Attr::N(text.trim().to_string()))
            } else {
                Err(format!(
                    "{:?} is a number key: {text:?} is not a number",
                    key.name
                ))
            }
        }
        "B" => BASE64
            .decode(text.trim())
            .map(Attr::B)
            .map_err(|_| format!("{:?} is a binary key: give the value as base64", key.name)),
        _ => Ok(Attr::S(text.to_string())),
    }
}

/// A filter value: `"quoted"` is a string, a valid number is N (when `numeric`: not for
/// begins_with), `true`/`false` BOOL, else S.
pub fn filter_value(text: &str, numeric: bool) -> Attr {
    let t = text.trim();
    if t.len() >= 2 && t.starts_with('"') && t.ends_with('"') {
        return Attr::S(t[1..t.len() - 1].to_string());
    }
    match t {
        "true" => Attr::Bool(true),
        "false" => Attr::Bool(false),
        _ if is_valid_number(t) && numeric => Attr::N(t.to_string()),
        _ => Attr::S(text.to_string()),
    }
}

/// The expression parts of a read: key condition, filter, names and values.
#[derive(Debug, Default, PartialEq)]
pub struct Expressions {
    pub key_condition: Option<String>,
    pub filter: Option<String>,
    pub names: HashMap<String, String>,
    pub values: HashMap<String, Attr>,
}

/// Builds the key condition and filter for a read; errors name the bad input.
pub fn expressions(table: &TableInfo, q: &ItemQuery) -> Result<Expressions, String> {
    let mut e = Expressions::default();
    let (pk, sk) = table.keys_of(q.index.as_deref()).ok_or_else(|| {
        format!(
            "no index {:?} on table {}",
            q.index.as_deref().unwrap_or(""),
            table.name
        )
    })?;
    if let Some(pkv) = &q.pk {
        e.names.insert("#pk".into(), pk.name.clone());
        e.values.insert(":pk".into(), key_value(&pk, pkv)?);
        let mut cond = "#pk = :pk".to_string();
        if let Some((op, v1, v2)) = &q.sk {
            let sk = sk.ok_or_else(|| "this table or index has no sort key".to_string())?;
            e.names.insert("#sk".into(), sk.name.clone());
            e.values.insert(":sk1".into(), key_value(&sk, v1)?);
            let c = match op {
                SkOp::BeginsWith => "begins_with(#sk, :sk1)".to_string(),
                SkOp::Between => {
                    e.values.insert(":sk2".into(), key_value(&sk, v2)?);
                    "#sk BETWEEN :sk1 AND :sk2".to_string()
                }
                other => format!("#sk {} :sk1", other.label()),
            };
            cond.push_str(" AND ");
            cond.push_str(&c);
        }
        e.key_condition = Some(cond);
    } else if q.sk.is_some() {
        return Err("a sort-key condition needs a partition-key value".into());
    }
    if let Some(f) = &q.filter {
        if f.attr.is_empty() {
            return Err("the filter needs an attribute name".into());
        }
        e.names.insert("#f".into(), f.attr.clone());
        if f.op.needs_value() {
            let numeric = f.op != FilterOp::BeginsWith;
            e.values
                .insert(":f".into(), filter_value(&f.value, numeric));
        }
        e.filter = Some(match f.op {
            FilterOp::Contains => "contains(#f, :f)".into(),
            FilterOp::BeginsWith => "begins_with(#f, :f)".into(),
            FilterOp::Exists => "attribute_exists(#f)".into(),
            FilterOp::NotExists => "attribute_not_exists(#f)".into(),
            other => format!("#f {} :f", other.label()),
        });
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dynamo::table::{IndexInfo, IndexKind};

    fn table() -> TableInfo {
        TableInfo {
            name: "t".into(),
            logical_id: "T".into(),
            status: "ACTIVE".into(),
            pk: KeyAttr {
                name: "pk".into(),
                attr_type: "S".into(),
            },
            sk: Some(KeyAttr {
                name: "sk".into(),
                attr_type: "N".into(),
            }),
            indexes: vec![IndexInfo {
                name: "byStatus".into(),
                kind: IndexKind::Gsi,
                pk: KeyAttr {
                    name: "status".into(),
                    attr_type: "S".into(),
                },
                sk: None,
                projection: "ALL".into(),
            }],
            item_count: Some(1),
            size_bytes: Some(1),
            billing_mode: "PAY_PER_REQUEST".into(),
        }
    }

    #[test]
    fn query_expressions() {
        let q = ItemQuery {
            pk: Some("A".into()),
            sk: Some((
                SkOp::Between,
                "1".into(),
                "12345678901234567890123456789012345678".into(),
            )),
            ..Default::default()
        };
        let e = expressions(&table(), &q).unwrap();
        assert_eq!(
            e.key_condition.as_deref(),
            Some("#pk = :pk AND #sk BETWEEN :sk1 AND :sk2")
        );
        assert_eq!(
            e.values[":sk2"],
            Attr::N("12345678901234567890123456789012345678".into())
        );
        let bad = ItemQuery {
            pk: Some("A".into()),
            sk: Some((SkOp::Lt, "x".into(), String::new())),
            ..Default::default()
        };
        assert!(
            expressions(&table(), &bad)
                .unwrap_err()
                .contains("not a number")
        );
        let gsi = ItemQuery {
            index: Some("byStatus".into()),
            pk: Some("NEW".into()),
            sk: Some((SkOp::Eq, "1".into(), String::new())),
            ..Default::default()
        };
        assert!(
            expressions(&table(), &gsi)
                .unwrap_err()
                .contains("no sort key")
        );
        let nope = ItemQuery {
            index: Some("nope".into()),
            ..Default::default()
        };
        assert!(expressions(&table(), &nope).is_err());
    }

    #[test]
    fn filter_expressions_and_values() {
        let q = ItemQuery {
            filter: Some(Filter {
                attr: "qty".into(),
                op: FilterOp::Ge,
                value: "3".into(),
            }),
            ..Default::default()
        };
        let e = expressions(&table(), &q).unwrap();
        assert_eq!(e.key_condition, None);
        assert_eq!(e.filter.as_deref(), Some("#f >= :f"));
        assert_eq!(e.values[":f"], Attr::N("3".into()));
        assert_eq!(filter_value("\"007\"", true), Attr::S("007".into()));
        assert_eq!(filter_value("007", false), Attr::S("007".into()));
        assert_eq!(filter_value("true", true), Attr::Bool(true));
        assert_eq!(filter_value("SHIPPED", true), Attr::S("SHIPPED".into()));
        let q = ItemQuery {
            filter: Some(Filter {
                attr: "note".into(),
                op: FilterOp::Exists,
                value: String::new(),
            }),
            ..Default::default()
        };
        let e = expressions(&table(), &q).unwrap();
        assert_eq!(e.filter.as_deref(), Some("attribute_exists(#f)"));
        assert!(e.values.is_empty());
    }
}
