//! Realistic demo content: items of every DynamoDB type, objects under nested prefixes,
//! and Lambda log streams with START / END / REPORT lines.

use std::collections::HashMap;

use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use aws_sdk_s3::primitives::{Blob, ByteStream};
use chrono::Utc;

use super::StackSpec;
use crate::aws::{AwsContext, AwsError};

/// A small deterministic generator, so the demo is the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn seed_of(s: &str) -> u64 {
    s.bytes().fold(1_469_598_103_934_665_603_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(1_099_511_628_211)
    })
}

const STATUSES: [&str; 4] = ["NEW", "PAID", "SHIPPED", "CANCELLED"];
const CITIES: [&str; 5] = ["Lisbon", "Berlin", "Zürich", "Kraków", "São Paulo"];

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}
fn n(v: impl Into<String>) -> AttributeValue {
    AttributeValue::N(v.into())
}

/// One demo item: every attribute type DynamoDB has appears across the set.
fn item(i: usize, rng: &mut Rng) -> HashMap<String, AttributeValue> {
    let mut m = HashMap::new();
    let cust = rng.below(40);
    m.insert("pk".into(), s(format!("CUST#{cust:03}")));
    m.insert("sk".into(), s(format!("ORDER#{i:05}")));
    m.insert("status".into(), s(STATUSES[i % 4]));
    m.insert(
        "createdAt".into(),
        s(format!(
            "2026-{:02}-{:02}T{:02}:{:02}:00Z",
            1 + i % 11,
            1 + i % 28,
            i % 24,
            i % 60
        )),
    );
    m.insert(
        "total".into(),
        n(format!("{}.{:02}", rng.below(900) + 1, rng.below(100))),
    );
    m.insert("qty".into(), n((rng.below(9) + 1).to_string()));
    if i.is_multiple_of(7) {
        m.insert(
            "ledgerRef".into(),
            n(format!("1234567890123456789012345678901234567{}", i % 10)),
        );
    }
    if i.is_multiple_of(3) {
        m.insert("gift".into(), AttributeValue::Bool(i.is_multiple_of(2)));
    }
    if i.is_multiple_of(11) {
        m.insert("note".into(), AttributeValue::Null(true));
    } else if i.is_multiple_of(5) {
        m.insert("note".into(), s(format!("leave at door #{i} — ring twice")));
    }
    if i.is_multiple_of(4) {
        m.insert(
            "tags".into(),
            AttributeValue::Ss(vec!["express".into(), format!("batch-{}", i % 6)]),
        );
        m.insert(
            "scores".into(),
            AttributeValue::Ns(vec!["1".into(), format!("{}.5", i % 9), "-3".into()]),
        );
    }
    if i.is_multiple_of(9) {
        let bytes: Vec<u8> = (0..16).map(|_| rng.below(256) as u8).collect();
        m.insert("thumb".into(), AttributeValue::B(Blob::new(bytes)));
    }
    m.insert(
        "address".into(),
        AttributeValue::M(HashMap::from([
            ("city".to_string(), s(CITIES[i % CITIES.len()])),
            ("zip".to_string(), s(format!("{:05}", rng.below(99_999)))),
        ])),
    );
    m.insert(
        "lines".into(),
        AttributeValue::L(
            (0..=(i % 3))
                .map(|l| {
                    AttributeValue::M(HashMap::from([
                        ("sku".to_string(), s(format!("SKU-{}", 100 + l))),
                        ("price".to_string(), n(format!("{}.99", 3 + l))),
                    ]))
                })
                .collect(),
        ),
    );
    m
}

/// Puts the stack's demo items (idempotent: same keys, same values).
pub async fn seed_items(ctx: &AwsContext, spec: &StackSpec, table: &str) -> anyhow::Result<()> {
    let client = ctx.dynamodb();
    let mut rng = Rng(seed_of(&spec.service));
    let items: Vec<_> = (0..spec.items).map(|i| item(i, &mut rng)).collect();
    for chunk in items.chunks(25) {
        let mut pending: Vec<WriteRequest> = chunk
            .iter()
            .map(|it| {
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .set_item(Some(it.clone()))
                            .build()
                            .expect("item set"),
                    )
                    .build()
            })
            .collect();
        for _ in 0..5 {
            if pending.is_empty() {
                break;
            }
            let out = client
                .batch_write_item()
                .request_items(table, pending)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("BatchWriteItem", e))?;
            pending = out
                .unprocessed_items()
                .and_then(|u| u.get(table))
                .cloned()
                .unwrap_or_default();
        }
    }
    Ok(())
}

async fn put(
    ctx: &AwsContext,
    bucket: &str,
    key: &str,
    body: Vec<u8>,
    content_type: &str,
) -> anyhow::Result<()> {
    ctx.s3()
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type(content_type)
        .metadata("seeded-by", "protoctl-demo")
        .body(ByteStream::from(body))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("PutObject", e))?;
    Ok(())
}

async fn exists(ctx: &AwsContext, bucket: &str, key: &str) -> anyhow::Result<bool> {
    let out = ctx
        .s3()
        .list_objects_v2()
        .bucket(bucket)
        .prefix(key)
        .max_keys(1)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("ListObjectsV2", e))?;
    Ok(out.key_count().unwrap_or(0) > 0)
}

/// Puts JSON, CSV, text and binary objects under nested prefixes of the data bucket.
pub async fn seed_objects(ctx: &AwsContext, spec: &StackSpec, bucket: &str) -> anyhow::Result<()> {
    // The marker object is written last: when it is there, the bucket is complete.
    if exists(ctx, bucket, "notes/readme.txt").await? {
        return Ok(());
    }
    if spec.versioning == "Enabled" {
        // Emulators ignore the template's VersioningConfiguration: set it through the API
        // too, so the versions and delete marker below really exist.
        ctx.s3()
            .put_bucket_versioning()
            .bucket(bucket)
            .versioning_configuration(
                aws_sdk_s3::types::VersioningConfiguration::builder()
                    .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("PutBucketVersioning", e))?;
    }
    let mut rng = Rng(seed_of(&spec.service) ^ 0xb0b);
    for i in 0..spec.objects {
        let key = match i % 4 {
            0 => format!("uploads/2026/{:02}/receipt-{i:03}.json", 1 + i % 11),
            1 => format!("reports/daily/2026-11-{:02}.csv", 1 + i % 28),
            2 => format!(
                "exports/{}/batch-{i:03}.json",
                STATUSES[i % 4].to_lowercase()
            ),
            _ => format!("images/thumb-{i:03}.png"),
        };
        let (body, ct) = match i % 4 {
            0 | 2 => (
                serde_json::to_vec_pretty(&serde_json::json!({
                    "receipt": i, "customer": format!("CUST#{:03}", rng.below(40)),
                    "total": format!("{}.{:02}", rng.below(500), rng.below(100)),
                    "lines": [{"sku": "SKU-100", "qty": 1 + rng.below(3)}],
                    "paid": i % 3 != 0
                }))?,
                "application/json",
            ),
            1 => {
                let mut csv = String::from("order,customer,total,status\n");
                for r in 0..20 {
                    csv.push_str(&format!(
                        "ORDER#{r:05},CUST#{:03},{}.{:02},{}\n",
                        rng.below(40),
                        rng.below(900),
                        rng.below(100),
                        STATUSES[r % 4]
                    ));
                }
                (csv.into_bytes(), "text/csv")
            }
            _ => {
                let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
                png.extend((0..600).map(|_| rng.below(256) as u8));
                (png, "image/png")
            }
        };
        put(ctx, bucket, &key, body, ct).await?;
    }
    put(
        ctx,
        bucket,
        "uploads/my file (1).txt",
        b"a key with spaces\n".to_vec(),
        "text/plain",
    )
    .await?;
    put(
        ctx,
        bucket,
        "uploads/résumé-日本.txt",
        "unicode key ✓\n".as_bytes().to_vec(),
        "text/plain",
    )
    .await?;
    put(
        ctx,
        bucket,
        "nested/a/b/c/deep.txt",
        b"four prefixes down\n".to_vec(),
        "text/plain",
    )
    .await?;
    put(
        ctx,
        bucket,
        "empty.bin",
        Vec::new(),
        "application/octet-stream",
    )
    .await?;
    if spec.versioning == "Enabled" {
        for v in 1..=3 {
            put(
                ctx,
                bucket,
                "config/settings.json",
                format!("{{\"version\": {v}}}\n").into_bytes(),
                "application/json",
            )
            .await?;
        }
        put(
            ctx,
            bucket,
            "config/old.json",
            b"{\"gone\": true}\n".to_vec(),
            "application/json",
        )
        .await?;
        ctx.s3()
            .delete_object()
            .bucket(bucket)
            .key("config/old.json")
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DeleteObject", e))?;
    }
    put(
        ctx,
        bucket,
        "notes/readme.txt",
        format!(
            "Data of the {} prototype.\nUploads land under uploads/.\n",
            spec.service
        )
        .into_bytes(),
        "text/plain",
    )
    .await?;
    Ok(())
}

/// Puts what `serverless deploy` leaves in its deployment bucket.
pub async fn seed_deployment_artifacts(
    ctx: &AwsContext,
    spec: &StackSpec,
    bucket: &str,
) -> anyhow::Result<()> {
    let prefix = format!(
        "serverless/{}/{}/1764201600000-2025-11-27T00:00:00.000Z",
        spec.service, spec.stage
    );
    if exists(ctx, bucket, &prefix).await? {
        return Ok(());
    }
    put(
        ctx,
        bucket,
        &format!("{prefix}/compiled-cloudformation-template.json"),
        br#"{"AWSTemplateFormatVersion":"2010-09-09"}"#.to_vec(),
        "application/json",
    )
    .await?;
    put(
        ctx,
        bucket,
        &format!("{prefix}/{}.zip", spec.service),
        b"PK\x03\x04demo-artifact".to_vec(),
        "application/zip",
    )
    .await?;
    Ok(())
}

fn request_id(rng: &mut Rng) -> String {
    format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        rng.next() as u32,
        rng.below(0xffff),
        rng.below(0xfff),
        rng.below(0xfff),
        rng.next() & 0xffff_ffff_ffff
    )
}

/// Lambda-shaped log lines for `count` invocations in one stream, starting at `start_ms`.
fn invocations(
    fn_name: &str,
    count: usize,
    start_ms: i64,
    step_ms: i64,
    memory: u64,
    rng: &mut Rng,
) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    let mut t = start_ms;
    for i in 0..count {
        let id = request_id(rng);
        if i == 0 {
            out.push((t, "INIT_START Runtime Version: nodejs:20.v31\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:demo".to_string()));
        }
        out.push((t, format!("START RequestId: {id} Version: $LATEST")));
        let iso = chrono::DateTime::from_timestamp_millis(t)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        if i % 3 == 0 {
            out.push((t + 1, format!("{{\"level\":\"info\",\"msg\":\"{fn_name} handled\",\"requestId\":\"{id}\",\"items\":{}}}", rng.below(50))));
        } else {
            out.push((
                t + 1,
                format!(
                    "{iso}\t{id}\tINFO\t{fn_name}: processing order ORDER#{:05}",
                    rng.below(320)
                ),
            ));
        }
        let errored = i % 13 == 7;
        if errored {
            out.push((t + 2, format!("{iso}\t{id}\tERROR\tInvoke Error \t{{\"errorType\":\"ValidationError\",\"errorMessage\":\"total must be positive\"}}")));
        }
        let duration = 20.0 + rng.below(400) as f64 + rng.below(100) as f64 / 100.0;
        let init = if i == 0 {
            format!(
                "\tInit Duration: {}.{:02} ms",
                150 + rng.below(400),
                rng.below(100)
            )
        } else {
            String::new()
        };
        let status = if errored {
            "\tStatus: error\tError Type: Runtime.HandlerError"
        } else {
            ""
        };
        let end = t + duration as i64;
        out.push((end, format!("END RequestId: {id}")));
        out.push((end, format!(
            "REPORT RequestId: {id}\tDuration: {duration:.2} ms\tBilled Duration: {} ms\tMemory Size: {memory} MB\tMax Memory Used: {} MB{init}{status}\t",
            duration.ceil() as u64, 60 + rng.below(memory / 4)
        )));
        t += step_ms;
    }
    out
}

/// Writes log streams for each function of the stack (skipped when streams exist).
pub async fn seed_logs(ctx: &AwsContext, spec: &StackSpec) -> anyhow::Result<()> {
    if spec.logs == "none" {
        return Ok(());
    }
    let client = ctx.logs();
    let now = Utc::now().timestamp_millis();
    for (fn_name, memory) in [("create", 1024_u64), ("list", 512)] {
        let group = format!("/aws/lambda/{}-{}-{fn_name}", spec.service, spec.stage);
        let streams = client
            .describe_log_streams()
            .log_group_name(&group)
            .limit(1)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DescribeLogStreams", e))?;
        if !streams.log_streams().is_empty() {
            continue;
        }
        let mut rng = Rng(seed_of(&group));
        let (containers, per, start, step) = if spec.logs == "busy" {
            (3, 40, now - 50 * 60_000, 20_000)
        } else {
            (1, 6, now - 10 * 86_400_000, 60_000)
        };
        for c in 0..containers {
            let stream = format!(
                "2026/11/27/[$LATEST]{:032x}",
                seed_of(&format!("{group}{c}"))
            );
            client
                .create_log_stream()
                .log_group_name(&group)
                .log_stream_name(&stream)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("CreateLogStream", e))?;
            let lines = invocations(fn_name, per, start + c * 7_000, step, memory, &mut rng);
            let events: Vec<InputLogEvent> = lines
                .into_iter()
                .map(|(t, m)| {
                    InputLogEvent::builder()
                        .timestamp(t)
                        .message(m)
                        .build()
                        .expect("timestamp and message set")
                })
                .collect();
            for chunk in events.chunks(1000) {
                client
                    .put_log_events()
                    .log_group_name(&group)
                    .log_stream_name(&stream)
                    .set_log_events(Some(chunk.to_vec()))
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("PutLogEvents", e))?;
            }
        }
    }
    Ok(())
}
