//! The CloudWatch metrics a shelf's estimate needs, named once so the AWS layer can fetch
//! them in batches and the pricing can read them back.

use std::collections::BTreeMap;

use super::inventory::{ApiFacts, Inventory};

/// Metric queries GetMetricData takes in one call.
pub const MAX_QUERIES_PER_CALL: usize = 500;

/// How a metric's datapoints are combined over the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stat {
    /// Added up (requests, milliseconds, bytes ingested, units consumed).
    Sum,
    /// Averaged (a size measured once a day).
    Average,
}

impl Stat {
    /// The statistic as CloudWatch names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sum => "Sum",
            Self::Average => "Average",
        }
    }
}

/// One metric over the whole window.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MetricQuery {
    pub namespace: &'static str,
    pub metric: &'static str,
    /// Dimension name and value pairs, exactly as the service publishes them.
    pub dimensions: Vec<(&'static str, String)>,
    pub stat: Stat,
}

impl MetricQuery {
    fn new(namespace: &'static str, metric: &'static str, dims: &[(&'static str, &str)]) -> Self {
        Self {
            namespace,
            metric,
            dimensions: dims.iter().map(|(k, v)| (*k, (*v).to_string())).collect(),
            stat: Stat::Sum,
        }
    }

    /// Where a breakdown line's figure came from, e.g. "CloudWatch AWS/Lambda Duration (Sum)".
    pub fn describe(&self) -> String {
        format!(
            "CloudWatch {} {} ({})",
            self.namespace,
            self.metric,
            self.stat.as_str()
        )
    }
}

/// A Lambda metric of one function.
pub fn lambda(metric: &'static str, function: &str) -> MetricQuery {
    MetricQuery::new("AWS/Lambda", metric, &[("FunctionName", function)])
}

/// A DynamoDB consumed-capacity metric of a table or one of its GSIs.
pub fn dynamodb(metric: &'static str, table: &str, gsi: Option<&str>) -> MetricQuery {
    match gsi {
        Some(g) => MetricQuery::new(
            "AWS/DynamoDB",
            metric,
            &[("TableName", table), ("GlobalSecondaryIndexName", g)],
        ),
        None => MetricQuery::new("AWS/DynamoDB", metric, &[("TableName", table)]),
    }
}

/// The bytes ingested into a log group.
pub fn log_ingestion(group: &str) -> MetricQuery {
    MetricQuery::new("AWS/Logs", "IncomingBytes", &[("LogGroupName", group)])
}

/// The request count of an API (`None` when a REST API's name is unknown).
pub fn api_count(api: &ApiFacts) -> Option<MetricQuery> {
    match api {
        ApiFacts::Rest { name, .. } => name
            .as_deref()
            .map(|n| MetricQuery::new("AWS/ApiGateway", "Count", &[("ApiName", n)])),
        ApiFacts::Http { id, .. } => Some(MetricQuery::new(
            "AWS/ApiGateway",
            "Count",
            &[("ApiId", id)],
        )),
    }
}

/// The daily size of one storage type of a bucket.
pub fn bucket_size(bucket: &str, storage_type: &str) -> MetricQuery {
    MetricQuery {
        stat: Stat::Average,
        ..MetricQuery::new(
            "AWS/S3",
            "BucketSizeBytes",
            &[("BucketName", bucket), ("StorageType", storage_type)],
        )
    }
}

/// Every metric query an inventory needs; `storage_types` holds the (bucket, storage
/// type) pairs the account publishes sizes for (from ListMetrics).
pub fn queries(inv: &Inventory, storage_types: &BTreeMap<String, Vec<String>>) -> Vec<MetricQuery> {
    let mut out = Vec::new();
    for f in &inv.functions {
        out.push(lambda("Invocations", &f.name));
        out.push(lambda("Duration", &f.name));
    }
    for t in inv.tables.iter().filter(|t| t.on_demand) {
        for metric in ["ConsumedReadCapacityUnits", "ConsumedWriteCapacityUnits"] {
            out.push(dynamodb(metric, &t.name, None));
            for g in &t.gsis {
                out.push(dynamodb(metric, &t.name, Some(g)));
            }
        }
    }
    for g in &inv.log_groups {
        out.push(log_ingestion(&g.name));
    }
    out.extend(inv.apis.iter().filter_map(api_count));
    for b in &inv.buckets {
        for st in storage_types.get(&b.name).into_iter().flatten() {
            out.push(bucket_size(&b.name, st));
        }
    }
    out
}

/// The price key of an S3 storage type (`BucketSizeBytes` dimension) or storage class
/// (a listing's `StorageClass`).
pub fn s3_price_key(storage: &str) -> &'static str {
    let s = storage.to_ascii_lowercase().replace('_', "");
    if s.contains("s3objectoverhead") {
        "s3.standard"
    } else if s.contains("intelligenttieringdaa") || s.contains("deeparchive") {
        "s3.deep_archive"
    } else if s.contains("intelligenttieringaia")
        || s.contains("glacierir")
        || s.contains("glacierinstant")
    {
        "s3.glacier_ir"
    } else if s.contains("intelligenttieringaa") || s.contains("glacier") {
        "s3.glacier"
    } else if s.contains("onezoneia") {
        "s3.onezone_ia"
    } else if s.contains("standardia") || s.contains("intelligenttieringia") {
        "s3.standard_ia"
    } else {
        "s3.standard"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_types_and_classes_map_to_their_prices() {
        for (st, key) in [
            ("StandardStorage", "s3.standard"),
            ("STANDARD", "s3.standard"),
            ("StandardIAStorage", "s3.standard_ia"),
            ("STANDARD_IA", "s3.standard_ia"),
            ("OneZoneIAStorage", "s3.onezone_ia"),
            ("GlacierInstantRetrievalStorage", "s3.glacier_ir"),
            ("GLACIER_IR", "s3.glacier_ir"),
            ("GlacierStorage", "s3.glacier"),
            ("GlacierS3ObjectOverhead", "s3.standard"),
            ("DeepArchiveStorage", "s3.deep_archive"),
            ("IntelligentTieringFAStorage", "s3.standard"),
            ("IntelligentTieringIAStorage", "s3.standard_ia"),
            ("IntelligentTieringAIAStorage", "s3.glacier_ir"),
            ("IntelligentTieringAAStorage", "s3.glacier"),
            ("IntelligentTieringDAAStorage", "s3.deep_archive"),
        ] {
            assert_eq!(s3_price_key(st), key, "{st}");
        }
    }
}
