//! What to read: the query form's model and the key-condition and filter expressions.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::{KeyAttr, TableInfo};
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
