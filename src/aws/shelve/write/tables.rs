//! A table into the archive: its schema as CreateTable takes it and every item as DynamoDB
//! JSON lines, with their count and digest.

use std::sync::Arc;

use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::{ShelveOptions, Writer};
use crate::aws::shelve::files::items_digest;
use crate::aws::shelve::{AwsError, ErrorKind, Progress, ProgressFn};
use crate::aws::{AwsContext, dynamodb};
use crate::domain::archive::{TableEntry, path_segment};

#[allow(clippy::too_many_arguments)]
pub(super) async fn write_table(
    ctx: &AwsContext,
    w: &mut Writer,
    logical: &str,
    name: &str,
    opts: &ShelveOptions,
    progress: ProgressFn<'_>,
    cancel: &CancellationToken,
) -> Result<TableEntry, AwsError> {
    progress(Progress::Phase(format!("archiving table {logical}")));
    let dir = format!("tables/{}", path_segment(logical));
    let schema_file = format!("{dir}/table.json");
    let items_file = format!("{dir}/items.jsonl");
    w.write_json(&schema_file, &table_schema(ctx, name).await?)
        .await?;
    let info = dynamodb::describe_table(ctx, name, logical).await?;
    let path = w.root.join(&items_file);
    w.create(&items_file).await?;
    let table = logical.to_string();
    let sink: Arc<dyn Fn(u64) + Send + Sync> = Arc::new(|_| {});
    let summary = dynamodb::export_as(
        ctx,
        &info,
        &dynamodb::ItemQuery::default(),
        &path,
        opts.concurrency.clamp(1, 16) as i32,
        1000,
        cancel.clone(),
        sink,
        dynamodb::typed_json_line,
    )
    .await?;
    if summary.cancelled {
        return Err(AwsError::new(ErrorKind::Other, "cancelled"));
    }
    progress(Progress::Items {
        table,
        items: summary.items,
    });
    let digest = items_digest(&path).await?;
    Ok(TableEntry {
        logical_id: logical.to_string(),
        name: name.to_string(),
        items: digest.count(),
        items_digest: digest.hex(),
        schema_file,
        items_file,
    })
}

/// The table's definition: keys, indexes, billing, streams and TTL, as DynamoDB names them.
async fn table_schema(ctx: &AwsContext, name: &str) -> Result<Value, AwsError> {
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
    let keys = |ks: &[aws_sdk_dynamodb::types::KeySchemaElement]| -> Value {
        ks.iter()
            .map(|k| json!({"AttributeName": k.attribute_name(), "KeyType": k.key_type().as_str()}))
            .collect()
    };
    let projection = |p: Option<&aws_sdk_dynamodb::types::Projection>| -> Value {
        p.map_or(Value::Null, |p| {
            json!({
                "ProjectionType": p.projection_type().map(|t| t.as_str().to_string()),
                "NonKeyAttributes": p.non_key_attributes(),
            })
        })
    };
    let ttl = ctx
        .dynamodb()
        .describe_time_to_live()
        .table_name(name)
        .send()
        .await
        .ok()
        .and_then(|o| o.time_to_live_description().cloned());
    Ok(json!({
        "TableName": t.table_name(),
        "AttributeDefinitions": t.attribute_definitions().iter().map(|a| json!({
            "AttributeName": a.attribute_name(), "AttributeType": a.attribute_type().as_str()
        })).collect::<Vec<_>>(),
        "KeySchema": keys(t.key_schema()),
        "BillingMode": t.billing_mode_summary().and_then(|b| b.billing_mode()).map_or("PROVISIONED", |b| b.as_str()),
        "ProvisionedThroughput": t.provisioned_throughput().map(|p| json!({
            "ReadCapacityUnits": p.read_capacity_units(), "WriteCapacityUnits": p.write_capacity_units()
        })),
        "GlobalSecondaryIndexes": t.global_secondary_indexes().iter().map(|g| json!({
            "IndexName": g.index_name(), "KeySchema": keys(g.key_schema()), "Projection": projection(g.projection()),
        })).collect::<Vec<_>>(),
        "LocalSecondaryIndexes": t.local_secondary_indexes().iter().map(|l| json!({
            "IndexName": l.index_name(), "KeySchema": keys(l.key_schema()), "Projection": projection(l.projection()),
        })).collect::<Vec<_>>(),
        "StreamSpecification": t.stream_specification().map(|s| json!({
            "StreamEnabled": s.stream_enabled(), "StreamViewType": s.stream_view_type().map(|v| v.as_str().to_string())
        })),
        "TimeToLive": ttl.map(|d| json!({
            "AttributeName": d.attribute_name(),
            "Status": d.time_to_live_status().map(|s| s.as_str().to_string()),
        })),
        "DeletionProtectionEnabled": t.deletion_protection_enabled(),
        "ItemCount": t.item_count(),
    }))
}
