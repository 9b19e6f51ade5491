//! DynamoDB against the emulator: a private stack with its own table (never the demo data),
//! paging across 1 MB pages, queries on the table and a GSI, filters, export, and the
//! conditional put that refuses to overwrite a concurrent change.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use aws_sdk_cloudformation::types::{StackStatus, Tag};
use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use protoctl::aws::dynamodb::{self, CHANGED_MESSAGE, ItemQuery, TableInfo};
use protoctl::aws::{AwsContext, ErrorKind};
use protoctl::domain::dynamo::{Attr, Item};
use tokio::sync::OnceCell;
use tokio_util::sync::CancellationToken;

use crate::support::{aws, protoctl, run, stderr, stdout};

const BIG: usize = 60;
const SMALL: usize = 120;

/// The fixture: a tagged stack with one table (pk/sk strings, GSI byKind on kind/seq).
struct Fixture {
    stack: String,
    table: String,
}

static FIXTURE: OnceCell<Fixture> = OnceCell::const_new();

fn big_item(i: usize) -> Item {
    Item::from([
        ("pk".to_string(), Attr::S("BIG".into())),
        ("sk".to_string(), Attr::S(format!("B{i:03}"))),
        ("kind".to_string(), Attr::S("big".into())),
        ("seq".to_string(), Attr::N(i.to_string())),
        (
            "blob".to_string(),
            Attr::S(format!("{i}{}", "x".repeat(50_000))),
        ),
    ])
}

fn small_item(i: usize) -> Item {
    Item::from([
        ("pk".to_string(), Attr::S(format!("P{}", i % 4))),
        ("sk".to_string(), Attr::S(format!("S{i:04}"))),
        ("kind".to_string(), Attr::S("small".into())),
        ("seq".to_string(), Attr::N(i.to_string())),
        (
            "exact".to_string(),
            Attr::N(format!("1234567890123456789012345678901234567{}", i % 10)),
        ),
        (
            "tiny".to_string(),
            Attr::N("0.000000000000000000000000000000000001".into()),
        ),
        ("bin".to_string(), Attr::B(vec![0, 255, (i % 256) as u8])),
        (
            "tags".to_string(),
            Attr::Ss(vec!["a".into(), format!("t{}", i % 3)]),
        ),
        (
            "nums".to_string(),
            Attr::Ns(vec!["1.50".into(), "-2".into()]),
        ),
        (
            "doc".to_string(),
            Attr::M(BTreeMap::from([
                (
                    "list".to_string(),
                    Attr::L(vec![Attr::Null, Attr::Bool(i.is_multiple_of(2))]),
                ),
                ("text".to_string(), Attr::S(format!("é ✓ \u{202e} {i}"))),
            ])),
        ),
    ])
}

fn all_items() -> Vec<Item> {
    (0..BIG)
        .map(big_item)
        .chain((0..SMALL).map(small_item))
        .collect()
}

fn template(table: &str) -> String {
    serde_json::json!({
        "Resources": {
            "ItemsTable": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "TableName": table,
                    "BillingMode": "PAY_PER_REQUEST",
                    "AttributeDefinitions": [
                        {"AttributeName": "pk", "AttributeType": "S"},
                        {"AttributeName": "sk", "AttributeType": "S"},
                        {"AttributeName": "kind", "AttributeType": "S"},
                        {"AttributeName": "seq", "AttributeType": "N"}
                    ],
                    "KeySchema": [
                        {"AttributeName": "pk", "KeyType": "HASH"},
                        {"AttributeName": "sk", "KeyType": "RANGE"}
                    ],
                    "GlobalSecondaryIndexes": [{
                        "IndexName": "byKind",
                        "KeySchema": [
                            {"AttributeName": "kind", "KeyType": "HASH"},
                            {"AttributeName": "seq", "KeyType": "RANGE"}
                        ],
                        "Projection": {"ProjectionType": "ALL"}
                    }]
                }
            }
        }
    })
    .to_string()
}

async fn create_fixture() -> Fixture {
    let ctx = aws().await;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let stack = format!("ddb-it-{}-{nanos}", std::process::id());
    let table = format!("{stack}-items");
    let tag = |k: &str, v: &str| Tag::builder().key(k).value(v).build();
    ctx.cloudformation()
        .create_stack()
        .stack_name(&stack)
        .template_body(template(&table))
        .tags(tag("protoctl:prototype", "true"))
        .tags(tag("team", "proto-lab"))
        .send()
        .await
        .expect("create the fixture stack");
    for _ in 0..120 {
        let out = ctx
            .cloudformation()
            .describe_stacks()
            .stack_name(&stack)
            .send()
            .await
            .unwrap();
        match out.stacks()[0].stack_status() {
            Some(StackStatus::CreateComplete) => break,
            Some(StackStatus::CreateInProgress) => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            other => panic!("fixture stack ended in {other:?}"),
        }
    }
    let client = ctx.dynamodb();
    for chunk in all_items().chunks(25) {
        let mut pending: Vec<WriteRequest> = chunk
            .iter()
            .map(|it| {
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .set_item(Some(dynamodb::item_to_sdk(it)))
                            .build()
                            .unwrap(),
                    )
                    .build()
            })
            .collect();
        while !pending.is_empty() {
            let out = client
                .batch_write_item()
                .request_items(&table, pending)
                .send()
                .await
                .expect("BatchWriteItem");
            pending = out
                .unprocessed_items()
                .and_then(|m: &HashMap<String, Vec<WriteRequest>>| m.get(&table).cloned())
                .unwrap_or_default();
        }
    }
    Fixture { stack, table }
}

async fn fixture() -> &'static Fixture {
    FIXTURE.get_or_init(create_fixture).await
}

async fn table_info(ctx: &AwsContext, f: &Fixture) -> TableInfo {
    dynamodb::describe_table(ctx, &f.table, "ItemsTable")
        .await
        .unwrap()
}

fn lines_of(items: &[Item]) -> Vec<String> {
    let mut v: Vec<String> = items
        .iter()
        .map(|i| dynamodb::json_line(i).trim_end().to_string())
        .collect();
    v.sort();
    v
}

fn cli_lines(args: &[&str]) -> Vec<String> {
    let mut c = protoctl();
    c.args(args).args(["--output", "json"]);
    let out = run(c);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    stdout(&out).lines().map(str::to_string).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describes_keys_indexes_and_billing() {
    let f = fixture().await;
    let ctx = aws().await;
    let t = table_info(&ctx, f).await;
    assert_eq!((t.pk.name.as_str(), t.pk.attr_type.as_str()), ("pk", "S"));
    assert_eq!(t.sk.as_ref().map(|k| k.name.as_str()), Some("sk"));
    assert_eq!(t.indexes.len(), 1);
    let ix = &t.indexes[0];
    assert_eq!(ix.name, "byKind");
    assert_eq!(
        ix.sk
            .as_ref()
            .map(|k| (k.name.as_str(), k.attr_type.as_str())),
        Some(("seq", "N"))
    );
    assert_eq!(t.billing_mode, "PAY_PER_REQUEST");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scans_page_across_one_megabyte_pages_and_print_exact_values() {
    let f = fixture().await;
    let ctx = aws().await;
    let t = table_info(&ctx, f).await;
    let mut start: Option<Item> = None;
    let mut pages = Vec::new();
    loop {
        let p = dynamodb::page(&ctx, &t, &ItemQuery::default(), start.as_ref(), 1000, None)
            .await
            .unwrap();
        pages.push(p.items.len());
        match p.last_key {
            Some(k) => start = Some(k),
            None => break,
        }
    }
    assert!(
        pages.len() >= 3,
        "60 items of 50 KB need several 1 MB pages: {pages:?}"
    );
    assert!(pages[0] < BIG, "the first page is cut at 1 MB: {pages:?}");
    assert_eq!(pages.iter().sum::<usize>(), BIG + SMALL);

    let mut got = cli_lines(&["items", &f.stack]);
    got.sort();
    assert_eq!(got, lines_of(&all_items()), "every item, every value exact");
    let one = got.iter().find(|l| l.contains("\"S0007\"")).unwrap();
    assert!(
        one.contains("\"exact\":12345678901234567890123456789012345677"),
        "{one}"
    );
    assert!(
        one.contains("\"tiny\":0.000000000000000000000000000000000001"),
        "{one}"
    );
    assert!(one.contains("\"bin\":\"AP8H\""), "{one}");
    assert!(one.contains("\"nums\":[1.50,-2]"), "{one}");

    assert_eq!(cli_lines(&["items", &f.stack, "--limit", "7"]).len(), 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_the_table_and_the_gsi_with_filters() {
    let f = fixture().await;
    let got = cli_lines(&["items", &f.stack, "--pk", "P1", "--sk-begins-with", "S00"]);
    let want: Vec<String> = (0..100)
        .filter(|i| i % 4 == 1)
        .map(|i| dynamodb::json_line(&small_item(i)).trim_end().to_string())
        .collect();
    assert_eq!(got, want, "query on the base table, ascending by sort key");

    let got = cli_lines(&[
        "items", &f.stack, "--index", "byKind", "--pk", "small", "--desc", "--limit", "5",
    ]);
    let seqs: Vec<String> = got
        .iter()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["seq"].to_string())
        .collect();
    assert_eq!(seqs, ["119", "118", "117", "116", "115"]);

    let got = cli_lines(&[
        "items",
        &f.stack,
        "--index",
        "byKind",
        "--pk",
        "big",
        "--filter",
        "blob begins_with 1",
    ]);
    assert_eq!(got.len(), 11, "1 and 10..=19");
    assert!(got[0].contains("\"sk\":\"B001\""), "ascending by seq");
    assert!(got[1].contains("\"sk\":\"B010\""));

    let got = cli_lines(&["items", &f.stack, "--filter", "tags contains t2"]);
    assert_eq!(got.len(), SMALL / 3);
    let got = cli_lines(&["items", &f.stack, "--filter", "blob exists"]);
    assert_eq!(got.len(), BIG);

    let mut c = protoctl();
    c.args(["items", &f.stack, "--index", "nope"]);
    let out = run(c);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no index \"nope\""),
        "{}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_the_table_exactly_with_parallel_segments() {
    let fx = fixture().await;
    let dir = std::env::temp_dir().join(format!("protoctl-ddb-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("all.jsonl");
    let mut cmd = protoctl();
    cmd.args(["items", &fx.stack, "--export"]).arg(&path);
    let out = run(cmd);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains(&format!("exported {} items", BIG + SMALL)));
    let mut got: Vec<String> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    got.sort();
    assert_eq!(got, lines_of(&all_items()));

    // A query export, and a cancelled one.
    let ctx = aws().await;
    let t = table_info(&ctx, fx).await;
    let q = ItemQuery {
        pk: Some("P3".into()),
        ..Default::default()
    };
    let qpath = dir.join("p3.jsonl");
    let sum = dynamodb::export(
        &ctx,
        &t,
        &q,
        &qpath,
        4,
        7,
        CancellationToken::new(),
        std::sync::Arc::new(|_| {}),
    )
    .await
    .unwrap();
    assert_eq!(sum.items, (SMALL / 4) as u64);
    assert!(!sum.cancelled);
    let cancel = CancellationToken::new();
    cancel.cancel();
    let sum = dynamodb::export(
        &ctx,
        &t,
        &ItemQuery::default(),
        &dir.join("c.jsonl"),
        4,
        10,
        cancel,
        std::sync::Arc::new(|_| {}),
    )
    .await
    .unwrap();
    assert!(sum.cancelled);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conditional_put_refuses_a_concurrent_change() {
    let ctx = aws().await;
    // A table of its own, so other tests' expectations stay intact.
    let name = format!("ddb-it-conflict-{}", std::process::id());
    ctx.dynamodb()
        .create_table()
        .table_name(&name)
        .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .attribute_definitions(
            aws_sdk_dynamodb::types::AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(aws_sdk_dynamodb::types::ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            aws_sdk_dynamodb::types::AttributeDefinition::builder()
                .attribute_name("sk")
                .attribute_type(aws_sdk_dynamodb::types::ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            aws_sdk_dynamodb::types::KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(aws_sdk_dynamodb::types::KeyType::Hash)
                .build()
                .unwrap(),
        )
        .key_schema(
            aws_sdk_dynamodb::types::KeySchemaElement::builder()
                .attribute_name("sk")
                .key_type(aws_sdk_dynamodb::types::KeyType::Range)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("CreateTable");
    let t = dynamodb::describe_table(&ctx, &name, "Conflict")
        .await
        .unwrap();
    let mut opened = small_item(7);
    opened.insert("sk".into(), Attr::S("EDIT-ME".into()));
    dynamodb::put_if_unchanged(&ctx, &t, &opened, &opened)
        .await
        .expect_err("not there yet");
    ctx.dynamodb()
        .put_item()
        .table_name(&name)
        .set_item(Some(dynamodb::item_to_sdk(&opened)))
        .send()
        .await
        .unwrap();

    let mut mine = opened.clone();
    mine.insert(
        "seq".into(),
        Attr::N("99999999999999999999999999999999999999".into()),
    );
    let mut theirs = opened.clone();
    theirs.insert("note".into(), Attr::S("changed by someone else".into()));
    dynamodb::put_if_unchanged(&ctx, &t, &opened, &theirs)
        .await
        .unwrap();

    let err = dynamodb::put_if_unchanged(&ctx, &t, &opened, &mine)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Conflict);
    assert_eq!(err.message, CHANGED_MESSAGE);
    let stored = dynamodb::get_item(&ctx, &t, &opened)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored, theirs, "the other change survives");

    // Starting from the current item, the edit goes through, exactly.
    let mut mine = theirs.clone();
    mine.insert(
        "seq".into(),
        Attr::N("99999999999999999999999999999999999999".into()),
    );
    dynamodb::put_if_unchanged(&ctx, &t, &theirs, &mine)
        .await
        .unwrap();
    assert_eq!(
        dynamodb::get_item(&ctx, &t, &opened).await.unwrap(),
        Some(mine.clone())
    );

    // A key change is refused; a stale delete too; a current one works.
    let mut moved = mine.clone();
    moved.insert("sk".into(), Attr::S("ELSEWHERE".into()));
    let err = dynamodb::put_if_unchanged(&ctx, &t, &mine, &moved)
        .await
        .unwrap_err();
    assert!(err.message.contains("cannot be changed"), "{}", err.message);
    let err = dynamodb::delete_if_unchanged(&ctx, &t, &theirs)
        .await
        .unwrap_err();
    assert_eq!(err.message, CHANGED_MESSAGE);
    dynamodb::delete_if_unchanged(&ctx, &t, &mine)
        .await
        .unwrap();
    assert_eq!(dynamodb::get_item(&ctx, &t, &opened).await.unwrap(), None);
}

#[test]
fn console_browses_queries_and_inspects_items() {
    let t = crate::e2e::Tmux::start("ddb", &["--read-only"]);
    t.wait_for("orders-dev");
    t.send(&["/"]);
    t.send(&["-l", "orders"]);
    t.send(&["Enter"]);
    t.wait_for("filter: orders");
    t.send(&["Enter"]);
    t.wait_for("Resources (");
    t.send(&["t"]);
    let screen = t.wait_for("on-demand");
    assert!(screen.contains("orders-dev-items"), "{screen}");
    assert!(screen.contains("byStatus"), "{screen}");
    t.send(&["Enter"]);
    let screen = t.wait_for("CUST#");
    assert!(
        screen.contains("200 loaded"),
        "one page of [dynamodb] page_size:\n{screen}"
    );
    // Query the GSI: index → byStatus, partition key SHIPPED, descending.
    t.send(&["f"]);
    t.wait_for("Query");
    t.send(&["BTab"]);
    t.send(&["Right"]);
    t.send(&["Tab"]);
    t.send(&["-l", "SHIPPED"]);
    t.send(&["Enter"]);
    t.wait_for("query byStatus status = \"SHIPPED\"");
    let screen = t.wait_for("› SHIPPED");
    assert!(!screen.contains(" NEW "), "only SHIPPED items:\n{screen}");
    t.send(&["Enter"]);
    t.wait_for("plain JSON");
    t.send(&["t"]);
    t.wait_for("DynamoDB JSON");
    t.send(&["e"]);
    t.wait_for("--read-only is set");
    // One key at a time: escapes sent together can arrive as alt-esc.
    t.send(&["Escape"]);
    t.wait_for(" scanned · ");
    t.send(&["Escape"]);
    t.wait_for("DynamoDB tables of");
    t.send(&["Escape"]);
    t.wait_for("Resources (");
    t.send(&["q"]);
    assert_eq!(t.wait_exit(), 0);
}
