//! The query form of the items screen: key condition, index, order and a simple filter.

use crate::app::widgets::TextInput;
use crate::domain::dynamo::query::expressions;
use crate::domain::dynamo::table::{Filter, FilterOp, ItemQuery, SkOp, TableInfo};

/// A focusable field of the query form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormField {
    Index,
    Pk,
    SkOp,
    Sk1,
    Sk2,
    Order,
    FilterAttr,
    FilterOp,
    FilterValue,
}

impl FormField {
    /// In display order.
    pub const ALL: [Self; 9] = [
        Self::Index,
        Self::Pk,
        Self::SkOp,
        Self::Sk1,
        Self::Sk2,
        Self::Order,
        Self::FilterAttr,
        Self::FilterOp,
        Self::FilterValue,
    ];

    /// True for fields cycled with ←/→ rather than typed.
    pub fn is_choice(self) -> bool {
        matches!(
            self,
            Self::Index | Self::SkOp | Self::Order | Self::FilterOp
        )
    }
}

/// The query form: key condition, index, order and a simple filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryForm {
    pub field: usize,
    /// 0 = the table, 1.. = `table.indexes[n - 1]`.
    pub index: usize,
    pub pk: TextInput,
    pub sk_op: usize,
    pub sk1: TextInput,
    pub sk2: TextInput,
    pub descending: bool,
    pub f_attr: TextInput,
    pub f_op: usize,
    pub f_value: TextInput,
    pub error: Option<String>,
}

/// Longest text a form field takes.
pub(super) const FIELD_MAX: usize = 1024;

impl QueryForm {
    /// A form showing `q` on `table`, focused on `field`.
    pub fn from_query(table: &TableInfo, q: &ItemQuery, field: FormField) -> Self {
        let index = q
            .index
            .as_ref()
            .and_then(|n| table.indexes.iter().position(|i| &i.name == n))
            .map_or(0, |p| p + 1);
        let (sk_op, sk1, sk2) =
            q.sk.clone()
                .map_or((0, String::new(), String::new()), |(op, a, b)| {
                    (SkOp::ALL.iter().position(|o| *o == op).unwrap_or(0), a, b)
                });
        let f = q.filter.clone().unwrap_or_default();
        Self {
            field: FormField::ALL.iter().position(|f| *f == field).unwrap_or(0),
            index,
            pk: q.pk.clone().unwrap_or_default().into(),
            sk_op,
            sk1: sk1.into(),
            sk2: sk2.into(),
            descending: q.descending,
            f_attr: f.attr.into(),
            f_op: FilterOp::ALL.iter().position(|o| *o == f.op).unwrap_or(0),
            f_value: f.value.into(),
            error: None,
        }
    }

    /// The focused field.
    pub fn focused(&self) -> FormField {
        FormField::ALL[self.field.min(FormField::ALL.len() - 1)]
    }

    /// The query the form describes (checked against the table's keys).
    pub fn to_query(&self, table: &TableInfo) -> Result<ItemQuery, String> {
        let index = match self.index {
            0 => None,
            n => table.indexes.get(n - 1).map(|i| i.name.clone()),
        };
        let pk = (!self.pk.is_empty()).then(|| self.pk.to_string());
        let op = SkOp::ALL[self.sk_op % SkOp::ALL.len()];
        let sk = (!self.sk1.is_empty()).then(|| (op, self.sk1.to_string(), self.sk2.to_string()));
        if op == SkOp::Between && sk.is_some() && self.sk2.is_empty() {
            return Err("between needs a second sort-key value".into());
        }
        let fop = FilterOp::ALL[self.f_op % FilterOp::ALL.len()];
        let filter = (!self.f_attr.is_empty()).then(|| Filter {
            attr: self.f_attr.to_string(),
            op: fop,
            value: self.f_value.to_string(),
        });
        if filter.is_some() && fop.needs_value() && self.f_value.is_empty() {
            return Err(format!("the filter {} needs a value", fop.label()));
        }
        let q = ItemQuery {
            index,
            pk,
            sk,
            descending: self.descending,
            filter,
        };
        expressions(table, &q)?;
        Ok(q)
    }

    /// The text input of `field`, when it is one.
    pub fn text(&self, field: FormField) -> Option<&TextInput> {
        match field {
            FormField::Pk => Some(&self.pk),
            FormField::Sk1 => Some(&self.sk1),
            FormField::Sk2 => Some(&self.sk2),
            FormField::FilterAttr => Some(&self.f_attr),
            FormField::FilterValue => Some(&self.f_value),
            _ => None,
        }
    }

    pub(super) fn text_mut(&mut self) -> Option<&mut TextInput> {
        match self.focused() {
            FormField::Pk => Some(&mut self.pk),
            FormField::Sk1 => Some(&mut self.sk1),
            FormField::Sk2 => Some(&mut self.sk2),
            FormField::FilterAttr => Some(&mut self.f_attr),
            FormField::FilterValue => Some(&mut self.f_value),
            _ => None,
        }
    }

    pub(super) fn cycle(&mut self, n_indexes: usize, back: bool) {
        let step = |v: usize, n: usize| if back { (v + n - 1) % n } else { (v + 1) % n };
        match self.focused() {
            FormField::Index => self.index = step(self.index, n_indexes + 1),
            FormField::SkOp => self.sk_op = step(self.sk_op, SkOp::ALL.len()),
            FormField::Order => self.descending = !self.descending,
            FormField::FilterOp => self.f_op = step(self.f_op, FilterOp::ALL.len()),
            _ => {}
        }
    }
}
