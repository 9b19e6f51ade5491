//! The price table: list prices per unit for every commercial region, bundled from
//! `assets/prices.toml` (never fetched), with the config's overrides applied on top.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// The bundled price table's text.
const BUNDLED: &str = include_str!("../../../assets/prices.toml");

/// What went wrong reading prices or finding one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriceError {
    #[error("the price table is unreadable: {0}")]
    Unreadable(String),
    #[error(
        "no prices for region {0}: the bundled table covers the commercial regions; set each price under [cost.prices] in the config"
    )]
    UnknownRegion(String),
    #[error("[cost.prices]: unknown price {0:?} (known: {1})")]
    UnknownKey(String, String),
    #[error("[cost.prices]: price {0:?} must be a finite number >= 0")]
    BadValue(String),
}

/// One price as a breakdown line shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Price {
    pub key: String,
    pub service: String,
    pub usage_type: String,
    pub unit: String,
    pub unit_price: f64,
    /// When the figure was read from its page (or "config" for an override).
    pub read: String,
    /// The public pricing page the figure came from (or "config").
    pub source: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    service: String,
    usage_type: String,
    unit: String,
    price: f64,
    source: String,
    #[serde(default)]
    read: Option<String>,
    #[serde(default)]
    regions: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    currency: String,
    read: String,
    regions: Vec<String>,
    prices: BTreeMap<String, Entry>,
}

/// Every price by key, for every region the table covers.
#[derive(Debug, Clone)]
pub struct PriceTable {
    /// The currency label figures are shown with.
    pub currency: String,
    read: String,
    regions: BTreeSet<String>,
    entries: BTreeMap<String, Entry>,
    /// Config overrides: `(region or None for all, key) -> unit price`.
    overrides: BTreeMap<(Option<String>, String), f64>,
}

impl PriceTable {
    /// The table bundled with protoctl.
    pub fn bundled() -> Result<Self, PriceError> {
        Self::parse(BUNDLED)
    }

    /// Parses a table in the bundled format.
    pub fn parse(text: &str) -> Result<Self, PriceError> {
        let file: File = toml::from_str(text).map_err(|e| PriceError::Unreadable(e.to_string()))?;
        Ok(Self {
            currency: file.currency,
            read: file.read,
            regions: file.regions.into_iter().collect(),
            entries: file.prices,
            overrides: BTreeMap::new(),
        })
    }

    /// Applies `[cost.prices]`: `KEY = price` for every region, `"REGION/KEY" = price` for
    /// one; and the currency label when given.
    pub fn with_overrides(
        mut self,
        prices: &BTreeMap<String, f64>,
        currency: Option<&str>,
    ) -> Result<Self, PriceError> {
        for (name, value) in prices {
            let (region, key) = match name.split_once('/') {
                Some((r, k)) => (Some(r.to_string()), k.to_string()),
                None => (None, name.clone()),
            };
            if !self.entries.contains_key(&key) {
                let known: Vec<&str> = self.entries.keys().map(String::as_str).collect();
                return Err(PriceError::UnknownKey(name.clone(), known.join(", ")));
            }
            if !value.is_finite() || *value < 0.0 {
                return Err(PriceError::BadValue(name.clone()));
            }
            self.overrides.insert((region, key), *value);
        }
        if let Some(c) = currency {
            c.clone_into(&mut self.currency);
        }
        Ok(self)
    }

    /// Every price key the table knows.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// The price of `key` in `region`: a config override first, then the region's own
    /// figure, then the table's figure for every region.
    pub fn price(&self, region: &str, key: &str) -> Result<Price, PriceError> {
        let entry = self.entries.get(key).ok_or_else(|| {
            PriceError::UnknownKey(key.to_string(), self.keys().collect::<Vec<_>>().join(", "))
        })?;
        let overridden = self
            .overrides
            .get(&(Some(region.to_string()), key.to_string()))
            .or_else(|| self.overrides.get(&(None, key.to_string())));
        let (unit_price, read, source) = if let Some(p) = overridden {
            (*p, "config".to_string(), "config [cost.prices]".to_string())
        } else {
            if !self.regions.contains(region) {
                return Err(PriceError::UnknownRegion(region.to_string()));
            }
            (
                entry.regions.get(region).copied().unwrap_or(entry.price),
                entry.read.clone().unwrap_or_else(|| self.read.clone()),
                entry.source.clone(),
            )
        };
        Ok(Price {
            key: key.to_string(),
            service: entry.service.clone(),
            usage_type: entry.usage_type.clone(),
            unit: entry.unit.clone(),
            unit_price,
            read,
            source,
        })
    }

    /// True when the table (or an override for every key used) covers `region`.
    pub fn covers(&self, region: &str) -> bool {
        self.regions.contains(region)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_table_reads_and_every_entry_is_complete() {
        let t = PriceTable::bundled().unwrap();
        assert_eq!(t.currency, "USD");
        assert!(t.regions.len() >= 30);
        for (key, e) in &t.entries {
            assert!(e.price > 0.0, "{key}");
            assert!(e.source.starts_with("https://aws.amazon.com/"), "{key}");
            assert!(!e.unit.is_empty(), "{key}");
            for r in e.regions.keys() {
                assert!(t.regions.contains(r), "{key}: {r} is not a listed region");
            }
        }
        for r in &t.regions {
            assert!(t.price(r, "lambda.requests").is_ok(), "{r}");
        }
    }

    #[test]
    fn region_figure_then_default_then_override() {
        let t = PriceTable::bundled().unwrap();
        let us = t.price("us-east-1", "s3.standard").unwrap();
        assert!((us.unit_price - 0.023).abs() < 1e-12);
        assert!(us.source.contains("s3/pricing"));
        let sa = t.price("sa-east-1", "s3.standard").unwrap();
        assert!((sa.unit_price - 0.0405).abs() < 1e-12);
        let prices = BTreeMap::from([
            ("s3.standard".to_string(), 0.02),
            ("sa-east-1/s3.standard".to_string(), 0.03),
        ]);
        let t = t.with_overrides(&prices, Some("EUR")).unwrap();
        assert_eq!(t.currency, "EUR");
        assert!((t.price("us-east-1", "s3.standard").unwrap().unit_price - 0.02).abs() < 1e-12);
        let sa = t.price("sa-east-1", "s3.standard").unwrap();
        assert!((sa.unit_price - 0.03).abs() < 1e-12);
        assert_eq!(sa.read, "config");
    }

    #[test]
    fn bad_overrides_and_unknown_regions_are_clear_errors() {
        let t = PriceTable::bundled().unwrap();
        let bad = BTreeMap::from([("lambda.reqs".to_string(), 1.0)]);
        let e = t.clone().with_overrides(&bad, None).unwrap_err();
        assert!(
            e.to_string().contains("unknown price \"lambda.reqs\""),
            "{e}"
        );
        let neg = BTreeMap::from([("lambda.requests".to_string(), -1.0)]);
        assert!(matches!(
            t.clone().with_overrides(&neg, None),
            Err(PriceError::BadValue(_))
        ));
        let e = t.price("cn-north-1", "lambda.requests").unwrap_err();
        assert!(
            e.to_string().contains("no prices for region cn-north-1"),
            "{e}"
        );
    }
}
