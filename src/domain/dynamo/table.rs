//! What the DynamoDB screens and commands know about a table, and what to read from it:
//! key schema, indexes, one page of items, the query/scan description.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Item;

/// A key attribute: its name and scalar type ("S", "N" or "B").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyAttr {
    pub name: String,
    pub attr_type: String,
}

/// Global or local secondary index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum IndexKind {
    Gsi,
    Lsi,
}

/// A secondary index with its key schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndexInfo {
    pub name: String,
    pub kind: IndexKind,
    pub pk: KeyAttr,
    pub sk: Option<KeyAttr>,
    pub projection: String,
}

/// What the tables list shows about a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableInfo {
    pub name: String,
    pub logical_id: String,
    pub status: String,
    pub pk: KeyAttr,
    pub sk: Option<KeyAttr>,
    pub indexes: Vec<IndexInfo>,
    /// Approximate (DynamoDB updates it about every six hours).
    pub item_count: Option<i64>,
    pub size_bytes: Option<i64>,
    pub billing_mode: String,
}

impl TableInfo {
    /// The key attributes of the base table or of an index, partition key first.
    pub fn keys_of(&self, index: Option<&str>) -> Option<(KeyAttr, Option<KeyAttr>)> {
        match index {
            None => Some((self.pk.clone(), self.sk.clone())),
            Some(n) => self
                .indexes
                .iter()
                .find(|i| i.name == n)
                .map(|i| (i.pk.clone(), i.sk.clone())),
        }
    }

    /// The attribute names that identify an item of the base table.
    pub fn key_names(&self) -> Vec<String> {
        let mut v = vec![self.pk.name.clone()];
        if let Some(sk) = &self.sk {
            v.push(sk.name.clone());
        }
        v
    }

    /// The primary key of `item` (fails when the item lacks a key attribute).
    pub fn key_of(&self, item: &Item) -> Result<Item, String> {
        let mut key = Item::new();
        for name in self.key_names() {
            let v = item
                .get(&name)
                .ok_or_else(|| format!("the item has no key attribute {name:?}"))?;
            key.insert(name, v.clone());
        }
        Ok(key)
    }
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Page {
    pub items: Vec<Item>,
    /// Where the next page starts; `None` at the end.
    pub last_key: Option<Item>,
    /// Items DynamoDB read for this page (before the filter).
    pub scanned: u64,
}

/// A sort-key condition of a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SkOp {
    #[default]
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
    BeginsWith,
    Between,
}

impl SkOp {
    /// Every operator, in the order the query form cycles through them.
    pub const ALL: [Self; 7] = [
        Self::Eq,
        Self::Lt,
        Self::Le,
        Self::Gt,
        Self::Ge,
        Self::BeginsWith,
        Self::Between,
    ];

    /// The operator as written in the form.
    pub fn label(self) -> &'static str {
        match self {
            Self::Eq => "=",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Gt => ">",
            Self::Ge => ">=",
            Self::BeginsWith => "begins_with",
            Self::Between => "between",
        }
    }
}

/// A filter operator (applied server-side, after the key condition).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FilterOp {
    #[default]
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
    BeginsWith,
    Exists,
    NotExists,
}

impl FilterOp {
    /// Every operator, in the order the form cycles through them.
    pub const ALL: [Self; 10] = [
        Self::Eq,
        Self::Ne,
        Self::Lt,
        Self::Le,
        Self::Gt,
        Self::Ge,
        Self::Contains,
        Self::BeginsWith,
        Self::Exists,
        Self::NotExists,
    ];

    /// The operator as written in the form.
    pub fn label(self) -> &'static str {
        match self {
            Self::Eq => "=",
            Self::Ne => "<>",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Gt => ">",
            Self::Ge => ">=",
            Self::Contains => "contains",
            Self::BeginsWith => "begins_with",
            Self::Exists => "exists",
            Self::NotExists => "not_exists",
        }
    }

    /// True when the operator takes a value.
    pub fn needs_value(self) -> bool {
        !matches!(self, Self::Exists | Self::NotExists)
    }
}

/// A simple server-side filter: `attribute op value`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filter {
    pub attr: String,
    pub op: FilterOp,
    pub value: String,
}

/// What to read: a scan (no partition key) or a query, on the table or an index.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ItemQuery {
    pub index: Option<String>,
    pub pk: Option<String>,
    pub sk: Option<(SkOp, String, String)>,
    pub descending: bool,
    pub filter: Option<Filter>,
}

impl ItemQuery {
    /// True when this reads with Query rather than Scan.
    pub fn is_query(&self) -> bool {
        self.pk.is_some()
    }
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExportSummary {
    pub items: u64,
    pub scanned: u64,
    pub bytes: u64,
    pub cancelled: bool,
}

/// Shown when a conditional write finds the item different from what was opened.
pub const CHANGED_MESSAGE: &str =
    "the item changed since you opened it (or was deleted): reload it and try again";

/// The most common attribute names of `items` after the key names, most frequent first
/// (ties by name), at most `max` in all.
pub fn common_columns(
    counts: &BTreeMap<String, usize>,
    keys: &[String],
    max: usize,
) -> Vec<String> {
    let mut cols: Vec<String> = keys.to_vec();
    let mut rest: Vec<(&String, &usize)> =
        counts.iter().filter(|(k, _)| !keys.contains(k)).collect();
    rest.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    cols.extend(rest.into_iter().map(|(k, _)| k.clone()));
    cols.truncate(max.max(keys.len()));
    cols
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_keys_first_then_common() {
        let counts = BTreeMap::from([
            ("pk".to_string(), 3),
            ("b".to_string(), 2),
            ("a".to_string(), 2),
            ("z".to_string(), 3),
            ("rare".to_string(), 1),
        ]);
        let cols = common_columns(&counts, &["pk".to_string(), "sk".to_string()], 5);
        assert_eq!(cols, ["pk", "sk", "z", "a", "b"]);
    }
}
