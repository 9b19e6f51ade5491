//! CloudWatch metrics for the cost estimate: GetMetricData in batches of up to 500 queries
//! for a whole shelf, and ListMetrics to learn which bucket storage types exist.

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
use chrono::{DateTime, Utc};

use super::{AwsContext, AwsError};
use crate::domain::cost::usage::MAX_QUERIES_PER_CALL;
use crate::domain::cost::{MetricQuery, Stat};

fn smithy_time(t: DateTime<Utc>) -> aws_smithy_types::DateTime {
    aws_smithy_types::DateTime::from_secs(t.timestamp())
}

/// Each query's value over `[start, end)`: one period the length of the window, so each
/// query answers with one or two datapoints (period boundaries), summed (`Sum`) or averaged
/// (`Average`). Queries with no data are absent from the result. Calls: one per 500
/// queries (plus a page when a reply is cut, which one datapoint per query never fills).
pub async fn window_values(
    ctx: &AwsContext,
    queries: &[MetricQuery],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<BTreeMap<MetricQuery, f64>, AwsError> {
    let client = ctx.cloudwatch();
    let window = (end - start).num_seconds().max(60);
    // Periods are whole minutes.
    let period = i32::try_from((window + 59) / 60 * 60).unwrap_or(i32::MAX / 60 * 60);
    let mut out = BTreeMap::new();
    for chunk in queries.chunks(MAX_QUERIES_PER_CALL) {
        let mut req = client
            .get_metric_data()
            .start_time(smithy_time(start))
            .end_time(smithy_time(end));
        for (i, q) in chunk.iter().enumerate() {
            req = req.metric_data_queries(data_query(&format!("q{i}"), q, period));
        }
        let mut values: Vec<Vec<f64>> = vec![Vec::new(); chunk.len()];
        let mut pages = req.into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| AwsError::from_sdk("GetMetricData", e))?;
            for r in page.metric_data_results() {
                let Some(i) = r
                    .id()
                    .and_then(|id| id.strip_prefix('q'))
                    .and_then(|n| n.parse::<usize>().ok())
                    .filter(|i| *i < chunk.len())
                else {
                    continue;
                };
                values[i].extend_from_slice(r.values());
            }
        }
        for (q, v) in chunk.iter().zip(values) {
            if v.is_empty() {
                continue;
            }
            let total: f64 = v.iter().sum();
            let value = match q.stat {
                Stat::Sum => total,
                Stat::Average => total / v.len() as f64,
            };
            out.insert(q.clone(), value);
        }
    }
    Ok(out)
}

fn data_query(id: &str, q: &MetricQuery, period: i32) -> MetricDataQuery {
    let mut metric = Metric::builder()
        .namespace(q.namespace)
        .metric_name(q.metric);
    for (name, value) in &q.dimensions {
        metric = metric.dimensions(Dimension::builder().name(*name).value(value).build());
    }
    MetricDataQuery::builder()
        .id(id)
        .metric_stat(
            MetricStat::builder()
                .metric(metric.build())
                .period(period)
                .stat(q.stat.as_str())
                .build(),
        )
        .return_data(true)
        .build()
}

/// The storage types each bucket publishes `AWS/S3 BucketSizeBytes` for (all pages of
/// ListMetrics, 500 metrics a page), for the buckets in `wanted` only.
pub async fn bucket_storage_types(
    ctx: &AwsContext,
    wanted: &std::collections::BTreeSet<String>,
) -> Result<BTreeMap<String, Vec<String>>, AwsError> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if wanted.is_empty() {
        return Ok(out);
    }
    let mut pages = ctx
        .cloudwatch()
        .list_metrics()
        .namespace("AWS/S3")
        .metric_name("BucketSizeBytes")
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsError::from_sdk("ListMetrics", e))?;
        for m in page.metrics() {
            let dim = |n: &str| {
                m.dimensions()
                    .iter()
                    .find(|d| d.name() == Some(n))
                    .and_then(Dimension::value)
            };
            if let (Some(bucket), Some(st)) = (dim("BucketName"), dim("StorageType"))
                && wanted.contains(bucket)
            {
                let types = out.entry(bucket.to_string()).or_default();
                if !types.iter().any(|t| t == st) {
                    types.push(st.to_string());
                }
            }
        }
    }
    for types in out.values_mut() {
        types.sort();
    }
    Ok(out)
}
