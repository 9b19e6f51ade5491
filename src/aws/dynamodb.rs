//! DynamoDB: table descriptions, one page of a scan or query, conditional writes, and the
//! parallel-segment export. Values cross this boundary as `domain::dynamo::Attr`.

use std::collections::HashMap;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue, KeyType, Select};

mod export;

pub use crate::domain::dynamo::query::{
    Expressions, Filter, FilterOp, ItemQuery, SkOp, expressions, filter_value, key_value,
};
pub use export::{ExportSummary, export, export_as, json_line, typed_json_line};

use super::{AwsContext, AwsError, ErrorKind};
use crate::domain::dynamo::{Attr, Item};

/// Conditions compare at most this many attributes (expressions are limited to 4 KB).
const MAX_COMPARED_ATTRS: usize = 150;

pub use crate::domain::dynamo::table::{
    CHANGED_MESSAGE, IndexInfo, IndexKind, KeyAttr, Page, TableInfo, common_columns,
};

/// Converts an SDK value (unknown future types become NULL).
pub fn attr_from_sdk(v: &AttributeValue) -> Attr {
    match v {
        AttributeValue::S(s) => Attr::S(s.clone()),
        AttributeValue::N(n) => Attr::N(n.clone()),
        AttributeValue::B(b) => Attr::B(b.as_ref().to_vec()),
        AttributeValue::Bool(b) => Attr::Bool(*b),
        AttributeValue::L(l) => Attr::L(l.iter().map(attr_from_sdk).collect()),
        AttributeValue::M(m) => Attr::M(
            m.iter()
                .map(|(k, v)| (k.clone(), attr_from_sdk(v)))
                .collect(),
        ),
        AttributeValue::Ss(s) => Attr::Ss(s.clone()),
        AttributeValue::Ns(s) => Attr::Ns(s.clone()),
        AttributeValue::Bs(s) => Attr::Bs(s.iter().map(|b| b.as_ref().to_vec()).collect()),
        _ => Attr::Null,
    }
}

/// Converts a domain value to the SDK's.
pub fn attr_to_sdk(a: &Attr) -> AttributeValue {
    match a {
        Attr::S(s) => AttributeValue::S(s.clone()),
        Attr::N(n) => AttributeValue::N(n.clone()),
        Attr::B(b) => AttributeValue::B(Blob::new(b.clone())),
        Attr::Bool(b) => AttributeValue::Bool(*b),
        Attr::Null => AttributeValue::Null(true),
        Attr::L(l) => AttributeValue::L(l.iter().map(attr_to_sdk).collect()),
        Attr::M(m) => {
            AttributeValue::M(m.iter().map(|(k, v)| (k.clone(), attr_to_sdk(v))).collect())
        }
        Attr::Ss(s) => AttributeValue::Ss(s.clone()),
        Attr::Ns(s) => AttributeValue::Ns(s.clone()),
        Attr::Bs(s) => AttributeValue::Bs(s.iter().map(|b| Blob::new(b.clone())).collect()),
    }
}

/// Converts an SDK item.
pub fn item_from_sdk<S: std::hash::BuildHasher>(m: &HashMap<String, AttributeValue, S>) -> Item {
    m.iter()
        .map(|(k, v)| (k.clone(), attr_from_sdk(v)))
        .collect()
}

/// Converts a domain item for the SDK.
pub fn item_to_sdk(item: &Item) -> HashMap<String, AttributeValue> {
    item.iter()
        .map(|(k, v)| (k.clone(), attr_to_sdk(v)))
        .collect()
}

fn key_attr(
    schema: &[aws_sdk_dynamodb::types::KeySchemaElement],
    defs: &[aws_sdk_dynamodb::types::AttributeDefinition],
    kind: &KeyType,
) -> Option<KeyAttr> {
    let name = schema
        .iter()
        .find(|k| k.key_type() == kind)?
        .attribute_name()
        .to_string();
    let attr_type = defs
        .iter()
        .find(|d| d.attribute_name() == name)
        .map_or_else(
            || "S".to_string(),
            |d| d.attribute_type().as_str().to_string(),
        );
    Some(KeyAttr { name, attr_type })
}

/// Describes one table (`logical_id` is the stack's name for it, for display).
pub async fn describe_table(
    ctx: &AwsContext,
    name: &str,
    logical_id: &str,
) -> Result<TableInfo, AwsError> {
    let out = ctx
        .dynamodb()
        .describe_table()
        .table_name(name)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("DescribeTable", e))?;
    let t = out
        .table()
        .ok_or_else(|| AwsError::new(ErrorKind::Other, "DescribeTable: no table in the reply"))?;
    let defs = t.attribute_definitions();
    let pk = key_attr(t.key_schema(), defs, &KeyType::Hash).ok_or_else(|| {
        AwsError::new(
            ErrorKind::Other,
            "DescribeTable: the table has no partition key",
        )
    })?;
    let sk = key_attr(t.key_schema(), defs, &KeyType::Range);
    let mut indexes = Vec::new();
    for g in t.global_secondary_indexes() {
        if let Some(pk) = key_attr(g.key_schema(), defs, &KeyType::Hash) {
            indexes.push(IndexInfo {
                name: g.index_name().unwrap_or("").to_string(),
                kind: IndexKind::Gsi,
                pk,
                sk: key_attr(g.key_schema(), defs, &KeyType::Range),
                projection: g
                    .projection()
                    .and_then(|p| p.projection_type())
                    .map_or_else(|| "ALL".into(), |p| p.as_str().to_string()),
            });
        }
    }
    for l in t.local_secondary_indexes() {
        if let Some(pk) = key_attr(l.key_schema(), defs, &KeyType::Hash) {
            indexes.push(IndexInfo {
                name: l.index_name().unwrap_or("").to_string(),
                kind: IndexKind::Lsi,
                pk,
                sk: key_attr(l.key_schema(), defs, &KeyType::Range),
                projection: l
                    .projection()
                    .and_then(|p| p.projection_type())
                    .map_or_else(|| "ALL".into(), |p| p.as_str().to_string()),
            });
        }
    }
    let billing_mode = t
        .billing_mode_summary()
        .and_then(|b| b.billing_mode())
        .map_or_else(|| "PROVISIONED".to_string(), |b| b.as_str().to_string());
    Ok(TableInfo {
        name: t.table_name().unwrap_or(name).to_string(),
        logical_id: logical_id.to_string(),
        status: t
            .table_status()
            .map_or_else(String::new, |s| s.as_str().to_string()),
        pk,
        sk,
        indexes,
        item_count: t.item_count(),
        size_bytes: t.table_size_bytes(),
        billing_mode,
    })
}

/// Describes the stack's tables (`(physical name, logical id)` pairs), in the given order.
pub async fn describe_tables(
    ctx: &AwsContext,
    tables: &[(String, String)],
) -> Result<Vec<TableInfo>, AwsError> {
    let futs = tables
        .iter()
        .map(|(name, logical)| describe_table(ctx, name, logical));
    futures::future::join_all(futs).await.into_iter().collect()
}

/// Reads one page: Query when a partition key is given, else Scan (optionally one segment).
pub async fn page(
    ctx: &AwsContext,
    table: &TableInfo,
    q: &ItemQuery,
    start: Option<&Item>,
    limit: i32,
    segment: Option<(i32, i32)>,
) -> Result<Page, AwsError> {
    let e = expressions(table, q).map_err(|m| AwsError::new(ErrorKind::Invalid, m))?;
    let names = (!e.names.is_empty()).then(|| e.names.clone());
    let values = (!e.values.is_empty()).then(|| {
        e.values
            .iter()
            .map(|(k, v)| (k.clone(), attr_to_sdk(v)))
            .collect::<HashMap<_, _>>()
    });
    let start = start.map(item_to_sdk);
    let limit = (limit > 0).then_some(limit);
    let client = ctx.dynamodb();
    if let Some(kc) = e.key_condition {
        let out = client
            .query()
            .table_name(&table.name)
            .set_index_name(q.index.clone())
            .key_condition_expression(kc)
            .set_filter_expression(e.filter)
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(values)
            .set_exclusive_start_key(start)
            .set_limit(limit)
            .scan_index_forward(!q.descending)
            .select(Select::AllAttributes.clone())
            .send()
            .await
            .map_err(|err| AwsError::from_sdk("Query", err))?;
        let select_ok = out.items().iter().map(item_from_sdk).collect();
        Ok(Page {
            items: select_ok,
            last_key: out.last_evaluated_key().map(item_from_sdk),
            scanned: out.scanned_count().max(0) as u64,
        })
    } else {
        let out = client
            .scan()
            .table_name(&table.name)
            .set_index_name(q.index.clone())
            .set_filter_expression(e.filter)
            .set_expression_attribute_names(names)
            .set_expression_attribute_values(values)
            .set_exclusive_start_key(start)
            .set_limit(limit)
            .set_segment(segment.map(|s| s.0))
            .set_total_segments(segment.map(|s| s.1))
            .send()
            .await
            .map_err(|err| AwsError::from_sdk("Scan", err))?;
        Ok(Page {
            items: out.items().iter().map(item_from_sdk).collect(),
            last_key: out.last_evaluated_key().map(item_from_sdk),
            scanned: out.scanned_count().max(0) as u64,
        })
    }
}

/// A condition that holds only while the stored item still equals `old`.
fn unchanged_condition(
    old: &Item,
    new: Option<&Item>,
) -> (
    String,
    HashMap<String, String>,
    HashMap<String, AttributeValue>,
) {
    let mut parts = Vec::new();
    let mut names = HashMap::new();
    let mut values = HashMap::new();
    for (i, (name, value)) in old.iter().take(MAX_COMPARED_ATTRS).enumerate() {
        names.insert(format!("#o{i}"), name.clone());
        values.insert(format!(":o{i}"), attr_to_sdk(value));
        parts.push(format!("#o{i} = :o{i}"));
    }
    if let Some(new) = new {
        for (i, name) in new
            .keys()
            .filter(|k| !old.contains_key(*k))
            .take(MAX_COMPARED_ATTRS)
            .enumerate()
        {
            names.insert(format!("#n{i}"), name.clone());
            parts.push(format!("attribute_not_exists(#n{i})"));
        }
    }
    (parts.join(" AND "), names, values)
}

fn conflict_or(e: AwsError) -> AwsError {
    if e.kind == ErrorKind::Conflict {
        AwsError::new(ErrorKind::Conflict, CHANGED_MESSAGE)
    } else {
        e
    }
}

/// Fails with the "changed" conflict unless the stored item equals `old` exactly. An
/// attribute added by someone else is only visible this way (a condition expression can
/// compare known attributes but cannot say "no other attributes"); the condition on the
/// write then closes the window for changes to the known ones.
async fn ensure_unchanged(ctx: &AwsContext, table: &TableInfo, old: &Item) -> Result<(), AwsError> {
    match get_item(ctx, table, old).await? {
        Some(current) if &current == old => Ok(()),
        _ => Err(AwsError::new(ErrorKind::Conflict, CHANGED_MESSAGE)),
    }
}

/// Replaces `old` with `new` only if the stored item still equals `old`; the key must not change.
pub async fn put_if_unchanged(
    ctx: &AwsContext,
    table: &TableInfo,
    old: &Item,
    new: &Item,
) -> Result<(), AwsError> {
    let old_key = table
        .key_of(old)
        .map_err(|m| AwsError::new(ErrorKind::Invalid, m))?;
    let new_key = table
        .key_of(new)
        .map_err(|m| AwsError::new(ErrorKind::Invalid, m))?;
    if old_key != new_key {
        return Err(AwsError::new(
            ErrorKind::Invalid,
            format!(
                "the key attributes ({}) cannot be changed by an edit",
                table.key_names().join(", ")
            ),
        ));
    }
    ensure_unchanged(ctx, table, old).await?;
    let (cond, names, values) = unchanged_condition(old, Some(new));
    let res = ctx
        .dynamodb()
        .put_item()
        .table_name(&table.name)
        .set_item(Some(item_to_sdk(new)))
        .condition_expression(cond)
        .set_expression_attribute_names(Some(names))
        .set_expression_attribute_values((!values.is_empty()).then_some(values))
        .send()
        .await;
    match res {
        Ok(_) => Ok(()),
        Err(e) => {
            let err = conflict_or(AwsError::from_sdk("PutItem", e));
            // A retry after a lost answer fails its condition against this very write.
            if err.kind == ErrorKind::Conflict
                && get_item(ctx, table, new).await.ok().flatten().as_ref() == Some(new)
            {
                return Ok(());
            }
            Err(err)
        }
    }
}

/// Deletes the item only if it still equals `old`.
pub async fn delete_if_unchanged(
    ctx: &AwsContext,
    table: &TableInfo,
    old: &Item,
) -> Result<(), AwsError> {
    let key = table
        .key_of(old)
        .map_err(|m| AwsError::new(ErrorKind::Invalid, m))?;
    ensure_unchanged(ctx, table, old).await?;
    let (cond, names, values) = unchanged_condition(old, None);
    let res = ctx
        .dynamodb()
        .delete_item()
        .table_name(&table.name)
        .set_key(Some(item_to_sdk(&key)))
        .condition_expression(cond)
        .set_expression_attribute_names(Some(names))
        .set_expression_attribute_values((!values.is_empty()).then_some(values))
        .send()
        .await;
    match res {
        Ok(_) => Ok(()),
        Err(e) => {
            let err = conflict_or(AwsError::from_sdk("DeleteItem", e));
            // A retry after a lost answer finds the item already deleted by this call.
            if err.kind == ErrorKind::Conflict
                && matches!(get_item(ctx, table, old).await, Ok(None))
            {
                return Ok(());
            }
            Err(err)
        }
    }
}

/// Re-reads one item by its key (strongly consistent); `None` when it is gone.
pub async fn get_item(
    ctx: &AwsContext,
    table: &TableInfo,
    item: &Item,
) -> Result<Option<Item>, AwsError> {
    let key = table
        .key_of(item)
        .map_err(|m| AwsError::new(ErrorKind::Invalid, m))?;
    let out = ctx
        .dynamodb()
        .get_item()
        .table_name(&table.name)
        .set_key(Some(item_to_sdk(&key)))
        .consistent_read(true)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("GetItem", e))?;
    Ok(out.item().map(item_from_sdk))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn sdk_round_trip_is_exact() {
        let mut item = Item::new();
        item.insert(
            "n".into(),
            Attr::N("12345678901234567890123456789012345678".into()),
        );
        item.insert("b".into(), Attr::B(vec![0, 255, 1]));
        item.insert("ns".into(), Attr::Ns(vec!["1.50".into(), "-3".into()]));
        item.insert(
            "m".into(),
            Attr::M(BTreeMap::from([(
                "x".to_string(),
                Attr::L(vec![Attr::Null, Attr::Bool(false)]),
            )])),
        );
        item.insert("bs".into(), Attr::Bs(vec![vec![1], vec![]]));
        assert_eq!(item_from_sdk(&item_to_sdk(&item)), item);
    }

    fn attr_strategy() -> impl proptest::strategy::Strategy<Value = Attr> {
        use proptest::prelude::*;
        let number = "-?[1-9][0-9]{0,37}(\\.[0-9]{1,5})?";
        let leaf = prop_oneof![
            ".{0,12}".prop_map(Attr::S),
            number.prop_map(Attr::N),
            proptest::collection::vec(any::<u8>(), 0..8).prop_map(Attr::B),
            any::<bool>().prop_map(Attr::Bool),
            Just(Attr::Null),
            proptest::collection::btree_set("[a-z]{1,4}", 1..4)
                .prop_map(|s| Attr::Ss(s.into_iter().collect())),
            proptest::collection::btree_set(number, 1..4)
                .prop_map(|s| Attr::Ns(s.into_iter().collect())),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Attr::L),
                proptest::collection::btree_map("[a-z]{1,5}", inner, 0..4).prop_map(Attr::M),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn sdk_and_json_lines_round_trip(item in proptest::collection::btree_map("[a-z]{1,6}", attr_strategy(), 1..6)) {
            proptest::prop_assert_eq!(&item_from_sdk(&item_to_sdk(&item)), &item);
            let line = json_line(&item);
            proptest::prop_assert!(line.ends_with('\n') && line.matches('\n').count() == 1);
            let parsed: serde_json::Value = serde_json::from_str(&line).unwrap();
            proptest::prop_assert_eq!(parsed, crate::domain::dynamo::item_to_plain_json(&item));
        }
    }

    #[test]
    fn conditions_cover_old_and_new_attributes() {
        let old = Item::from([
            ("pk".to_string(), Attr::S("a".into())),
            ("v".to_string(), Attr::N("1".into())),
        ]);
        let mut new = old.clone();
        new.insert("w".into(), Attr::S("x".into()));
        let (cond, names, values) = unchanged_condition(&old, Some(&new));
        assert_eq!(
            cond,
            "#o0 = :o0 AND #o1 = :o1 AND attribute_not_exists(#n0)"
        );
        assert_eq!(names["#n0"], "w");
        assert_eq!(values.len(), 2);
    }
}
