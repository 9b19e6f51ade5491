//! What each stack of a shelf costs a month: the calls that gather usage for the pricing
//! in `domain::cost`. Metrics for the whole shelf go through GetMetricData 500 at a time.
//!
//! Requests for a shelf of S stacks (F functions, T tables, G log groups, B buckets):
//! per stack ListStackResources (1 per 100 resources) + GetTemplate; T DescribeTable;
//! G DescribeLogGroups; GetFunctionConfiguration only for functions whose memory or
//! architecture the template does not state plainly; ceil(M / 500) ListMetrics pages
//! (M: bucket size metrics in the account) when the shelf has buckets; ceil(Q / 500)
//! GetMetricData calls per region (Q metric queries: 2 per function, 2 per on-demand table
//! and GSI, 1 per log group and API, 1 per bucket storage type); and, for a bucket with
//! no size metric, its ListObjectVersions pages (at most [`MAX_LISTING_PAGES`]).

use std::collections::{BTreeMap, BTreeSet};

use chrono::Duration;
use futures::StreamExt;

use super::{AwsContext, AwsError, ErrorKind, cloudformation, cloudwatch, s3};
use crate::domain::cost::{
    Arch, Inventory, Measured, StackCost, TableFacts, inventory, price_stack, usage,
};
use crate::domain::stack::Stack;
use crate::domain::teardown::template_resources;

/// Requests of one kind in flight at once.
pub const CONCURRENCY: usize = 16;

/// ListObjectVersions pages read for a bucket that publishes no size metric.
pub const MAX_LISTING_PAGES: usize = 100;

pub use crate::domain::cost::CostSettings;

/// Estimates what each stack costs a month, in the order given. Stacks from several
/// regions are measured in their own region.
pub async fn estimate(
    ctx: &AwsContext,
    stacks: &[Stack],
    settings: &CostSettings,
) -> Result<Vec<StackCost>, AwsError> {
    let mut by_region: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, s) in stacks.iter().enumerate() {
        let region = if s.region.is_empty() {
            ctx.region.clone()
        } else {
            s.region.clone()
        };
        by_region.entry(region).or_default().push(i);
    }
    let mut out: Vec<Option<StackCost>> = vec![None; stacks.len()];
    for (region, idx) in by_region {
        let rctx = if region == ctx.region {
            ctx.clone()
        } else {
            ctx.with_region(&region)
        };
        let chosen: Vec<Stack> = idx.iter().map(|i| stacks[*i].clone()).collect();
        let costs = estimate_region(&rctx, &region, &chosen, settings).await?;
        for (i, c) in idx.into_iter().zip(costs) {
            out[i] = Some(c);
        }
    }
    Ok(out.into_iter().flatten().collect())
}

async fn estimate_region(
    ctx: &AwsContext,
    region: &str,
    stacks: &[Stack],
    settings: &CostSettings,
) -> Result<Vec<StackCost>, AwsError> {
    let mut inventories: Vec<Inventory> = futures::stream::iter(stacks.iter().map(|s| async {
        let resources = cloudformation::resources(ctx, &s.id).await?;
        let body = super::teardown::processed_template(ctx, &s.id).await?;
        let mut inv = inventory(s, &resources, &template_resources(&body));
        inv.region = region.to_string();
        Ok::<_, AwsError>(inv)
    }))
    .buffered(CONCURRENCY)
    .collect::<Vec<_>>()
    .await
    .into_iter()
    .collect::<Result<_, _>>()?;

    fill_functions(ctx, &mut inventories).await?;
    fill_tables(ctx, &mut inventories).await?;
    fill_log_groups(ctx, &mut inventories).await?;

    let buckets: BTreeSet<String> = inventories
        .iter()
        .flat_map(|i| i.buckets.iter().map(|b| b.name.clone()))
        .collect();
    let mut measured = Measured {
        storage_types: cloudwatch::bucket_storage_types(ctx, &buckets).await?,
        ..Measured::default()
    };
    let queries: Vec<_> = inventories
        .iter()
        .flat_map(|i| usage::queries(i, &measured.storage_types))
        .collect();
    let start = settings.now - Duration::days(i64::from(settings.days.max(1)));
    measured.metrics = cloudwatch::window_values(ctx, &queries, start, settings.now).await?;
    // A bucket whose size metrics hold no datapoint in the window is listed instead.
    let metrics = &measured.metrics;
    measured.storage_types.retain(|bucket, types| {
        types
            .iter()
            .any(|st| metrics.contains_key(&usage::bucket_size(bucket, st)))
    });
    list_unmeasured_buckets(ctx, &buckets, &mut measured).await?;

    inventories
        .iter()
        .map(|inv| {
            price_stack(inv, &measured, &settings.prices, settings.days)
                .map_err(|e| AwsError::new(ErrorKind::Config, e.to_string()))
        })
        .collect()
}

/// Asks Lambda for the memory and architecture the template did not state plainly.
async fn fill_functions(ctx: &AwsContext, invs: &mut [Inventory]) -> Result<(), AwsError> {
    let client = ctx.lambda();
    let unknown: Vec<String> = invs
        .iter()
        .flat_map(|i| &i.functions)
        .filter(|f| f.memory_mb.is_none() || f.arch.is_none())
        .map(|f| f.name.clone())
        .collect();
    let answers: BTreeMap<String, (Option<u32>, Option<Arch>)> =
        futures::stream::iter(unknown.into_iter().map(|name| {
            let client = client.clone();
            async move {
                let out = client
                    .get_function_configuration()
                    .function_name(&name)
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("GetFunctionConfiguration", e))?;
                let memory = out.memory_size().and_then(|m| u32::try_from(m).ok());
                let arch = match out
                    .architectures()
                    .first()
                    .map(aws_sdk_lambda::types::Architecture::as_str)
                {
                    Some("arm64") => Some(Arch::Arm64),
                    _ => Some(Arch::X86_64),
                };
                Ok::<_, AwsError>((name, (memory, arch)))
            }
        }))
        .buffer_unordered(CONCURRENCY)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    for f in invs.iter_mut().flat_map(|i| &mut i.functions) {
        if let Some((memory, arch)) = answers.get(&f.name) {
            f.memory_mb = f.memory_mb.or(*memory);
            f.arch = f.arch.or(*arch);
        }
    }
    Ok(())
}

/// DescribeTable for every table: billing mode, provisioned capacity, sizes, GSIs.
async fn fill_tables(ctx: &AwsContext, invs: &mut [Inventory]) -> Result<(), AwsError> {
    let client = ctx.dynamodb();
    let names: Vec<String> = invs
        .iter()
        .flat_map(|i| i.tables.iter().map(|t| t.name.clone()))
        .collect();
    let facts: BTreeMap<String, TableFacts> =
        futures::stream::iter(names.into_iter().map(|name| {
            let client = client.clone();
            async move {
                let out = client
                    .describe_table()
                    .table_name(&name)
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("DescribeTable", e))?;
                let mut f = TableFacts {
                    name: name.clone(),
                    ..TableFacts::default()
                };
                if let Some(t) = out.table() {
                    f.on_demand = t
                        .billing_mode_summary()
                        .and_then(|b| b.billing_mode())
                        .is_some_and(|m| m.as_str() == "PAY_PER_REQUEST");
                    f.size_bytes = t.table_size_bytes().unwrap_or(0);
                    if let Some(p) = t.provisioned_throughput() {
                        f.read_capacity = p.read_capacity_units().unwrap_or(0);
                        f.write_capacity = p.write_capacity_units().unwrap_or(0);
                    }
                    for g in t.global_secondary_indexes() {
                        f.gsis.push(g.index_name().unwrap_or_default().to_string());
                        f.size_bytes += g.index_size_bytes().unwrap_or(0);
                        if let Some(p) = g.provisioned_throughput() {
                            f.read_capacity += p.read_capacity_units().unwrap_or(0);
                            f.write_capacity += p.write_capacity_units().unwrap_or(0);
                        }
                    }
                }
                if f.on_demand {
                    f.read_capacity = 0;
                    f.write_capacity = 0;
                }
                Ok::<_, AwsError>((name, f))
            }
        }))
        .buffer_unordered(CONCURRENCY)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    for t in invs.iter_mut().flat_map(|i| &mut i.tables) {
        if let Some(f) = facts.get(&t.name) {
            *t = TableFacts {
                logical_id: std::mem::take(&mut t.logical_id),
                ..f.clone()
            };
        }
    }
    Ok(())
}

/// DescribeLogGroups for every group: the bytes it stores; groups that do not exist are
/// dropped (they neither store nor ingest).
async fn fill_log_groups(ctx: &AwsContext, invs: &mut [Inventory]) -> Result<(), AwsError> {
    let client = ctx.logs();
    let names: Vec<String> = invs
        .iter()
        .flat_map(|i| i.log_groups.iter().map(|g| g.name.clone()))
        .collect();
    let stored: BTreeMap<String, u64> = futures::stream::iter(names.into_iter().map(|name| {
        let client = client.clone();
        async move {
            let out = client
                .describe_log_groups()
                .log_group_name_prefix(&name)
                .limit(5)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("DescribeLogGroups", e))?;
            let bytes = out
                .log_groups()
                .iter()
                .find(|g| g.log_group_name() == Some(name.as_str()))
                .map(|g| g.stored_bytes().unwrap_or(0).max(0) as u64);
            Ok::<_, AwsError>((name, bytes))
        }
    }))
    .buffer_unordered(CONCURRENCY)
    .collect::<Vec<_>>()
    .await
    .into_iter()
    .filter_map(|r| match r {
        Ok((name, Some(b))) => Some(Ok((name, b))),
        Ok((_, None)) => None,
        Err(e) => Some(Err(e)),
    })
    .collect::<Result<_, _>>()?;
    for inv in invs.iter_mut() {
        inv.log_groups.retain(|g| stored.contains_key(&g.name));
        for g in &mut inv.log_groups {
            g.stored_bytes = stored.get(&g.name).copied().unwrap_or(0);
        }
    }
    Ok(())
}

/// Lists every version of the buckets with no size datapoint in the window (S3 publishes
/// sizes daily; a bucket made today has none yet), up to [`MAX_LISTING_PAGES`] pages each.
async fn list_unmeasured_buckets(
    ctx: &AwsContext,
    buckets: &BTreeSet<String>,
    measured: &mut Measured,
) -> Result<(), AwsError> {
    let unmeasured: Vec<&String> = buckets
        .iter()
        .filter(|b| !measured.storage_types.contains_key(*b))
        .collect();
    let listed = futures::stream::iter(unmeasured.into_iter().map(|bucket| async move {
        let mut classes: BTreeMap<String, u64> = BTreeMap::new();
        let mut marker: Option<(String, Option<String>)> = None;
        for _ in 0..MAX_LISTING_PAGES {
            let page =
                s3::versions_page(ctx, bucket, "", None, marker.as_ref(), s3::PAGE_KEYS).await?;
            for v in page.versions.iter().filter(|v| !v.delete_marker) {
                let class = v.storage_class.clone().unwrap_or_else(|| "STANDARD".into());
                *classes.entry(class).or_default() += v.size.unwrap_or(0);
            }
            marker = page.next;
            if marker.is_none() {
                return Ok::<_, AwsError>((bucket.clone(), classes, false));
            }
        }
        Ok((bucket.clone(), classes, true))
    }))
    .buffer_unordered(CONCURRENCY)
    .collect::<Vec<_>>()
    .await;
    for r in listed {
        match r {
            Ok((bucket, classes, capped)) => {
                if capped {
                    measured.listing_capped.push(bucket.clone());
                }
                measured.listed.insert(bucket, classes);
            }
            // A bucket deleted outside the stack costs nothing.
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
