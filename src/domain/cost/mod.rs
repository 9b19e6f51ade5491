//! What each prototype costs a month: usage (metrics, sizes, the template) times the list
//! prices of the bundled table. Plain maths; the AWS layer gathers the inputs.

pub mod explorer;
pub mod inventory;
pub mod prices;
pub mod usage;

use std::collections::BTreeMap;

use serde::Serialize;

pub use inventory::{
    ApiFacts, Arch, BucketFacts, FixedFacts, FunctionFacts, HOURS_PER_MONTH, Inventory,
    LogGroupFacts, TableFacts, Unpriced, inventory,
};
pub use prices::{Price, PriceError, PriceTable};
pub use usage::{MetricQuery, Stat};

use crate::domain::teardown::run::StackPlan;
use crate::domain::teardown::{Plan, PlanAction};

/// What the estimate needs besides the stacks.
#[derive(Debug, Clone)]
pub struct CostSettings {
    /// Days of usage to measure (scaled to a 30-day month).
    pub days: u32,
    pub prices: PriceTable,
    pub now: chrono::DateTime<chrono::Utc>,
}

/// Days in the month usage is scaled to (`--days 30` reports the window's usage as is).
pub const DAYS_PER_MONTH: f64 = 30.0;

/// Bytes in the GB storage and ingestion are billed by.
pub const BYTES_PER_GB: f64 = 1_073_741_824.0;

/// One line of a stack's breakdown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostItem {
    pub service: String,
    /// The resource's physical name (function, table, bucket, log group, API).
    pub resource: String,
    /// The resource's logical id in the template (`None`: outside the template, such as
    /// a function's log group Lambda created).
    pub logical_id: Option<String>,
    pub usage_type: String,
    /// Usage in a month of `unit`s.
    pub quantity: f64,
    pub unit: String,
    pub unit_price: f64,
    /// `quantity × unit_price`.
    pub monthly_usd: f64,
    /// Billed whatever the use (hourly or monthly resources, provisioned capacity).
    pub fixed: bool,
    /// The metric, call or template property the quantity came from.
    pub source: String,
    /// The pricing page the unit price came from, and when it was read.
    pub price_source: String,
    pub price_read: String,
}

/// What one stack costs a month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StackCost {
    pub stack: String,
    pub stack_id: String,
    pub region: String,
    /// The currency label prices are in (`[cost] currency`; the bundled table is USD).
    pub currency: String,
    /// The window usage was measured over, in days.
    pub days: u32,
    pub monthly_usd: f64,
    pub fixed_usd: f64,
    pub breakdown: Vec<CostItem>,
    /// Resources with a fixed cost protoctl names but does not price.
    pub unpriced: Vec<Unpriced>,
    /// What the estimate could not see.
    pub notes: Vec<String>,
}

/// What was measured for one shelf: metric values and, for buckets without size metrics,
/// the bytes a listing found by storage class.
#[derive(Debug, Clone, Default)]
pub struct Measured {
    pub metrics: BTreeMap<MetricQuery, f64>,
    /// (bucket, storage type) pairs with a `BucketSizeBytes` metric.
    pub storage_types: BTreeMap<String, Vec<String>>,
    /// Bucket -> storage class -> bytes (every version), for buckets listed instead.
    pub listed: BTreeMap<String, BTreeMap<String, u64>>,
    /// Buckets whose listing stopped at the cap (their size is a lower bound).
    pub listing_capped: Vec<String>,
}

struct Pricer<'a> {
    inv: &'a Inventory,
    table: &'a PriceTable,
    scale: f64,
    days: u32,
    items: Vec<CostItem>,
}

impl Pricer<'_> {
    fn add(
        &mut self,
        key: &str,
        resource: &str,
        logical_id: Option<&str>,
        quantity: f64,
        fixed: bool,
        source: String,
    ) -> Result<(), PriceError> {
        if quantity <= 0.0 {
            return Ok(());
        }
        let p = self.table.price(&self.inv.region, key)?;
        self.items.push(CostItem {
            service: p.service,
            resource: resource.to_string(),
            logical_id: logical_id.map(ToString::to_string),
            usage_type: p.usage_type,
            quantity,
            unit: p.unit,
            unit_price: p.unit_price,
            monthly_usd: quantity * p.unit_price,
            fixed,
            source,
            price_source: p.source,
            price_read: p.read,
        });
        Ok(())
    }

    /// A summed metric scaled from the window to a month, with its description.
    fn monthly(&self, m: &BTreeMap<MetricQuery, f64>, q: &MetricQuery) -> (f64, String) {
        let v = m.get(q).copied().unwrap_or(0.0) * self.scale;
        (v, format!("{} over {} days", q.describe(), self.days))
    }
}

/// Prices one stack: usage measured over `days` is scaled to a 30-day month; hourly
/// resources count 730 hours; storage is the size measured (GB-month).
pub fn price_stack(
    inv: &Inventory,
    measured: &Measured,
    table: &PriceTable,
    days: u32,
) -> Result<StackCost, PriceError> {
    let days = days.max(1);
    let mut p = Pricer {
        inv,
        table,
        scale: DAYS_PER_MONTH / f64::from(days),
        days,
        items: Vec::new(),
    };
    let m = &measured.metrics;
    let mut notes = Vec::new();
    for f in &inv.functions {
        let id = Some(f.logical_id.as_str());
        let (requests, src) = p.monthly(m, &usage::lambda("Invocations", &f.name));
        p.add("lambda.requests", &f.name, id, requests, false, src)?;
        let (Some(mem), Some(arch)) = (f.memory_mb, f.arch) else {
            notes.push(format!(
                "function {}: memory or architecture unknown; duration not priced",
                f.name
            ));
            continue;
        };
        let gb = f64::from(mem) / 1024.0;
        let (ms, src) = p.monthly(m, &usage::lambda("Duration", &f.name));
        p.add(
            &format!("lambda.duration.{}", arch.as_str()),
            &f.name,
            id,
            ms / 1000.0 * gb,
            false,
            format!("{src} × {mem} MB"),
        )?;
        if f.provisioned > 0 {
            p.add(
                &format!("lambda.provisioned.{}", arch.as_str()),
                &f.name,
                id,
                f64::from(f.provisioned) * gb * HOURS_PER_MONTH * 3600.0,
                true,
                format!(
                    "template ProvisionedConcurrencyConfig: {} × {mem} MB × 730 h",
                    f.provisioned
                ),
            )?;
        }
    }
    for t in &inv.tables {
        let id = Some(t.logical_id.as_str());
        if t.on_demand {
            for (metric, key) in [
                ("ConsumedReadCapacityUnits", "dynamodb.read_request_units"),
                ("ConsumedWriteCapacityUnits", "dynamodb.write_request_units"),
            ] {
                let mut total = 0.0;
                let mut src = String::new();
                for gsi in std::iter::once(None).chain(t.gsis.iter().map(|g| Some(g.as_str()))) {
                    let (v, s) = p.monthly(m, &usage::dynamodb(metric, &t.name, gsi));
                    total += v;
                    src = s;
                }
                if !t.gsis.is_empty() {
                    src.push_str(&format!(" (table + {} GSIs)", t.gsis.len()));
                }
                p.add(key, &t.name, id, total, false, src)?;
            }
        } else {
            for (units, key) in [
                (t.read_capacity, "dynamodb.rcu_hours"),
                (t.write_capacity, "dynamodb.wcu_hours"),
            ] {
                p.add(
                    key,
                    &t.name,
                    id,
                    units as f64 * HOURS_PER_MONTH,
                    true,
                    format!("DescribeTable ProvisionedThroughput: {units} × 730 h"),
                )?;
            }
        }
        p.add(
            "dynamodb.storage",
            &t.name,
            id,
            t.size_bytes as f64 / BYTES_PER_GB,
            false,
            "DescribeTable TableSizeBytes (+ IndexSizeBytes)".into(),
        )?;
    }
    for b in &inv.buckets {
        price_bucket(&mut p, b, measured)?;
    }
    for g in &inv.log_groups {
        let id = g.logical_id.as_deref();
        let (bytes, src) = p.monthly(m, &usage::log_ingestion(&g.name));
        p.add(
            "logs.ingestion",
            &g.name,
            id,
            bytes / BYTES_PER_GB,
            false,
            src,
        )?;
        p.add(
            "logs.storage",
            &g.name,
            id,
            g.stored_bytes as f64 / BYTES_PER_GB,
            false,
            "DescribeLogGroups storedBytes".into(),
        )?;
    }
    for api in &inv.apis {
        let (logical, key) = match api {
            ApiFacts::Rest { logical_id, .. } => (logical_id, "apigateway.rest_requests"),
            ApiFacts::Http { logical_id, .. } => (logical_id, "apigateway.http_requests"),
        };
        let Some(q) = usage::api_count(api) else {
            notes.push(format!(
                "REST API {logical}: its name is not plain in the template; requests not priced"
            ));
            continue;
        };
        let resource = q.dimensions[0].1.clone();
        let (count, src) = p.monthly(m, &q);
        p.add(key, &resource, Some(logical), count, false, src)?;
    }
    for f in &inv.fixed {
        let (quantity, src) = if f.hourly {
            (
                f.count * HOURS_PER_MONTH,
                format!("template {} × {} × 730 h", f.resource_type, f.count),
            )
        } else {
            (f.count, format!("template {}", f.resource_type))
        };
        p.add(f.key, &f.resource, Some(&f.logical_id), quantity, true, src)?;
    }
    let items = p.items;
    Ok(StackCost {
        stack: inv.stack.clone(),
        stack_id: inv.stack_id.clone(),
        region: inv.region.clone(),
        currency: table.currency.clone(),
        days,
        // `+ 0.0`: an empty float sum is -0.0, which would print as "-0.00".
        monthly_usd: items.iter().map(|i| i.monthly_usd).sum::<f64>() + 0.0,
        fixed_usd: items
            .iter()
            .filter(|i| i.fixed)
            .map(|i| i.monthly_usd)
            .sum::<f64>()
            + 0.0,
        breakdown: items,
        unpriced: inv.unpriced.clone(),
        notes,
    })
}

fn price_bucket(p: &mut Pricer, b: &BucketFacts, measured: &Measured) -> Result<(), PriceError> {
    let id = Some(b.logical_id.as_str());
    if let Some(types) = measured.storage_types.get(&b.name) {
        for st in types {
            let q = usage::bucket_size(&b.name, st);
            let bytes = measured.metrics.get(&q).copied().unwrap_or(0.0);
            p.add(
                usage::s3_price_key(st),
                &b.name,
                id,
                bytes / BYTES_PER_GB,
                false,
                format!(
                    "CloudWatch AWS/S3 BucketSizeBytes {st} (Average over {} days)",
                    p.days
                ),
            )?;
        }
    } else if let Some(classes) = measured.listed.get(&b.name) {
        let capped = measured.listing_capped.contains(&b.name);
        for (class, bytes) in classes {
            p.add(
                usage::s3_price_key(class),
                &b.name,
                id,
                *bytes as f64 / BYTES_PER_GB,
                false,
                format!(
                    "ListObjectVersions {class} (every version{})",
                    if capped {
                        ", listing capped: at least"
                    } else {
                        ""
                    }
                ),
            )?;
        }
    }
    Ok(())
}

/// What a teardown saves a month and what keeps costing after it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Saving {
    pub saves_monthly_usd: f64,
    pub keeps_monthly_usd: f64,
    pub currency: String,
    /// The lines that keep costing: retained resources (and their log groups).
    pub keeps_costing: Vec<CostItem>,
}

/// Splits a stack's cost by its teardown plan: what survives keeps costing, the rest is
/// saved.
pub fn teardown_saving(cost: &StackCost, plan: &Plan) -> Saving {
    let survivors: Vec<(&str, Option<&str>)> = plan
        .steps
        .iter()
        .filter(|s| matches!(s.action, PlanAction::Survives { .. }))
        .map(|s| {
            (
                s.logical_id.as_deref().unwrap_or_default(),
                s.physical_id.as_deref(),
            )
        })
        .collect();
    let survives = |i: &CostItem| {
        survivors.iter().any(|(logical, physical)| {
            i.logical_id.as_deref() == Some(*logical) || *physical == Some(i.resource.as_str())
        })
    };
    let keeps: Vec<CostItem> = cost
        .breakdown
        .iter()
        .filter(|i| survives(i))
        .cloned()
        .collect();
    let keeps_monthly_usd = keeps.iter().map(|i| i.monthly_usd).sum::<f64>() + 0.0;
    Saving {
        saves_monthly_usd: cost.monthly_usd - keeps_monthly_usd,
        keeps_monthly_usd,
        currency: cost.currency.clone(),
        keeps_costing: keeps,
    }
}

/// Each plan's saving from the shelf's estimates, in plan order; `None` where a stack has
/// no estimate.
pub fn plan_savings(plans: &[StackPlan], costs: &[StackCost]) -> Vec<Option<Saving>> {
    plans
        .iter()
        .map(|p| {
            costs
                .iter()
                .find(|c| c.stack_id == p.stack.id)
                .map(|c| teardown_saving(c, &p.plan))
        })
        .collect()
}

/// A figure for people: `$12.40`, `$0.0031` for small amounts, with the currency label.
pub fn money(amount: f64, currency: &str) -> String {
    let amount = amount + 0.0;
    if amount > 0.0 && amount < 0.000_05 {
        return if currency == "USD" {
            "<$0.0001".into()
        } else {
            format!("<0.0001 {currency}")
        };
    }
    let digits = if amount != 0.0 && amount.abs() < 0.01 {
        4
    } else {
        2
    };
    if currency == "USD" {
        format!("${amount:.digits$}")
    } else {
        format!("{amount:.digits$} {currency}")
    }
}

/// A quantity for people: whole numbers as they are, others with up to four decimals (four
/// significant digits below one).
pub fn quantity_text(q: f64) -> String {
    if q == 0.0 || ((q - q.round()).abs() < 1e-9 && q.abs() >= 1.0) {
        format!("{q:.0}")
    } else if q.abs() < 1e-6 {
        format!("{q:.3e}")
    } else if q.abs() < 1.0 {
        // Small storage (a few KB in GB-months) keeps four significant digits.
        let digits = (3 - q.abs().log10().floor() as i32).clamp(4, 12) as usize;
        trim_zeros(&format!("{q:.digits$}"))
    } else {
        trim_zeros(&format!("{q:.4}"))
    }
}

/// A unit price with the digits it needs (prices per request have ten decimals).
pub fn unit_price_text(p: f64) -> String {
    trim_zeros(&format!("{p:.10}"))
}

fn trim_zeros(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests;
