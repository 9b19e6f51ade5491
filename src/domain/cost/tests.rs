use super::*;
use crate::domain::teardown::{PlanStep, build_plan};
use chrono::{TimeZone, Utc};

fn inv() -> Inventory {
    Inventory {
        stack: "shop".into(),
        stack_id: "arn:aws:cloudformation:us-east-1:1:stack/shop/1".into(),
        region: "us-east-1".into(),
        functions: vec![
            FunctionFacts {
                logical_id: "Arm".into(),
                name: "shop-arm".into(),
                memory_mb: Some(1024),
                arch: Some(Arch::Arm64),
                provisioned: 2,
            },
            FunctionFacts {
                logical_id: "X86".into(),
                name: "shop-x86".into(),
                memory_mb: Some(512),
                arch: Some(Arch::X86_64),
                provisioned: 0,
            },
        ],
        tables: vec![
            TableFacts {
                logical_id: "Orders".into(),
                name: "shop-orders".into(),
                on_demand: true,
                size_bytes: 2 * BYTES_PER_GB as i64,
                gsis: vec!["byUser".into()],
                ..TableFacts::default()
            },
            TableFacts {
                logical_id: "Fixed".into(),
                name: "shop-fixed".into(),
                on_demand: false,
                read_capacity: 5,
                write_capacity: 3,
                ..TableFacts::default()
            },
        ],
        buckets: vec![],
        log_groups: vec![],
        apis: vec![ApiFacts::Http {
            logical_id: "Http".into(),
            id: "abc".into(),
        }],
        fixed: vec![FixedFacts {
            logical_id: "Nat".into(),
            resource: "nat-1".into(),
            resource_type: "AWS::EC2::NatGateway".into(),
            key: "ec2.nat_gateway_hours",
            count: 1.0,
            hourly: true,
        }],
        unpriced: vec![],
    }
}

fn measured() -> Measured {
    let mut m = Measured::default();
    m.metrics
        .insert(usage::lambda("Invocations", "shop-arm"), 1_000_000.0);
    m.metrics
        .insert(usage::lambda("Duration", "shop-arm"), 2_000_000.0);
    m.metrics
        .insert(usage::lambda("Duration", "shop-x86"), 4_000_000.0);
    m.metrics.insert(
        usage::dynamodb("ConsumedReadCapacityUnits", "shop-orders", None),
        300.0,
    );
    m.metrics.insert(
        usage::dynamodb("ConsumedReadCapacityUnits", "shop-orders", Some("byUser")),
        100.0,
    );
    m.metrics.insert(
        usage::dynamodb("ConsumedWriteCapacityUnits", "shop-fixed", None),
        99.0,
    );
    m.metrics.insert(
        usage::api_count(&ApiFacts::Http {
            logical_id: "Http".into(),
            id: "abc".into(),
        })
        .unwrap(),
        2_000.0,
    );
    m
}

fn line<'a>(c: &'a StackCost, resource: &str, usage_type: &str) -> &'a CostItem {
    c.breakdown
        .iter()
        .find(|i| i.resource == resource && i.usage_type.contains(usage_type))
        .unwrap_or_else(|| panic!("no {resource} {usage_type} in {:#?}", c.breakdown))
}

#[test]
fn every_figure_is_quantity_times_unit_price() {
    let table = PriceTable::bundled().unwrap();
    let c = price_stack(&inv(), &measured(), &table, 30).unwrap();
    for i in &c.breakdown {
        assert!(
            (i.monthly_usd - i.quantity * i.unit_price).abs() < 1e-12,
            "{i:?}"
        );
    }
    let total: f64 = c.breakdown.iter().map(|i| i.monthly_usd).sum();
    assert!((c.monthly_usd - total).abs() < 1e-9);
    assert!((line(&c, "shop-arm", "Requests").quantity - 1e6).abs() < 1e-9);
    // 2,000 s × 1 GB on Arm; 4,000 s × 0.5 GB on x86.
    let arm = line(&c, "shop-arm", "Duration (Arm)");
    assert!((arm.quantity - 2000.0).abs() < 1e-9);
    assert!((arm.unit_price - 0.000_013_333_4).abs() < 1e-15);
    let x86 = line(&c, "shop-x86", "Duration (x86)");
    assert!((x86.quantity - 2000.0).abs() < 1e-9);
    assert!((x86.unit_price - 0.000_016_666_7).abs() < 1e-15);
    // On-demand: table + GSI reads; provisioned: capacity by the hour, consumed ignored.
    assert!((line(&c, "shop-orders", "read request").quantity - 400.0).abs() < 1e-9);
    assert!((line(&c, "shop-orders", "Storage").quantity - 2.0).abs() < 1e-12);
    let rcu = line(&c, "shop-fixed", "read capacity");
    assert!(rcu.fixed);
    assert!((rcu.quantity - 5.0 * 730.0).abs() < 1e-9);
    assert!(
        !c.breakdown
            .iter()
            .any(|i| i.resource == "shop-fixed" && i.usage_type.contains("request"))
    );
    let pc = line(&c, "shop-arm", "Provisioned");
    assert!((pc.quantity - 2.0 * 730.0 * 3600.0).abs() < 1e-6);
    assert!(line(&c, "nat-1", "NAT").fixed);
    assert!((line(&c, "abc", "HTTP API").quantity - 2000.0).abs() < 1e-9);
    let fixed: f64 = c
        .breakdown
        .iter()
        .filter(|i| i.fixed)
        .map(|i| i.monthly_usd)
        .sum();
    assert!((c.fixed_usd - fixed).abs() < 1e-12);
    assert!((line(&c, "nat-1", "NAT").monthly_usd - 32.85).abs() < 1e-9);
}

#[test]
fn usage_is_scaled_from_the_window_to_thirty_days() {
    let table = PriceTable::bundled().unwrap();
    let c = price_stack(&inv(), &measured(), &table, 10).unwrap();
    assert!((line(&c, "shop-arm", "Requests").quantity - 3e6).abs() < 1e-6);
    // Storage and hourly resources do not scale with the window.
    assert!((line(&c, "shop-orders", "Storage").quantity - 2.0).abs() < 1e-12);
    assert!((line(&c, "nat-1", "NAT").quantity - 730.0).abs() < 1e-9);
}

#[test]
fn a_stack_without_usage_costs_nothing_and_lists_nothing() {
    let table = PriceTable::bundled().unwrap();
    let mut i = inv();
    i.fixed.clear();
    i.tables.retain(|t| t.on_demand);
    i.tables[0].size_bytes = 0;
    for f in &mut i.functions {
        f.provisioned = 0;
    }
    let c = price_stack(&i, &Measured::default(), &table, 30).unwrap();
    assert!(c.breakdown.is_empty(), "{:#?}", c.breakdown);
    assert!(c.monthly_usd.abs() < f64::EPSILON && c.fixed_usd.abs() < f64::EPSILON);
}

#[test]
fn unknown_memory_is_a_note_not_a_guess() {
    let table = PriceTable::bundled().unwrap();
    let mut i = inv();
    i.functions[1].memory_mb = None;
    let c = price_stack(&i, &measured(), &table, 30).unwrap();
    assert!(
        c.notes.iter().any(|n| n.contains("shop-x86")),
        "{:?}",
        c.notes
    );
    assert!(!c.breakdown.iter().any(|l| l.resource == "shop-x86"));
}

#[test]
fn teardown_saves_all_but_what_survives() {
    let table = PriceTable::bundled().unwrap();
    let c = price_stack(&inv(), &measured(), &table, 30).unwrap();
    let stack = crate::domain::stack::Stack {
        id: c.stack_id.clone(),
        ..crate::domain::stack::Stack::sample(
            "shop",
            Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        )
    };
    let mut plan = build_plan(&stack, &[], &BTreeMap::new(), vec![], vec![], vec![]);
    plan.steps.push(PlanStep {
        stack_path: "shop".into(),
        logical_id: Some("Orders".into()),
        physical_id: Some("shop-orders".into()),
        resource_type: "AWS::DynamoDB::Table".into(),
        action: PlanAction::Survives {
            policy: "Retain".into(),
            costs: true,
        },
        note: None,
        keeps_data: true,
    });
    let s = teardown_saving(&c, &plan);
    let kept: f64 = c
        .breakdown
        .iter()
        .filter(|i| i.resource == "shop-orders")
        .map(|i| i.monthly_usd)
        .sum();
    assert!(kept > 0.0);
    assert!((s.keeps_monthly_usd - kept).abs() < 1e-12);
    assert!((s.saves_monthly_usd - (c.monthly_usd - kept)).abs() < 1e-9);
    assert!(s.keeps_costing.iter().all(|i| i.resource == "shop-orders"));
}

#[test]
fn money_reads_well() {
    assert_eq!(money(12.4, "USD"), "$12.40");
    assert_eq!(money(0.0031, "USD"), "$0.0031");
    assert_eq!(money(0.0, "USD"), "$0.00");
    assert_eq!(money(3.0, "EUR"), "3.00 EUR");
}

/// A stack of `name` in us-east-1 with nothing else set.
pub(crate) fn stack_named(name: &str) -> crate::domain::stack::Stack {
    crate::domain::stack::Stack {
        id: format!("arn:aws:cloudformation:us-east-1:1:stack/{name}/1"),
        ..crate::domain::stack::Stack::sample(
            name,
            Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        )
    }
}

#[test]
fn every_price_has_a_unit_a_date_and_a_page() {
    let table = PriceTable::bundled().unwrap();
    for region in ["us-east-1", "eu-west-1", "ap-southeast-2", "sa-east-1"] {
        for key in table.keys() {
            let p = table.price(region, key).unwrap();
            assert!(!p.unit.is_empty(), "{key}: unit");
            assert!(
                chrono::NaiveDate::parse_from_str(&p.read, "%Y-%m-%d").is_ok(),
                "{key}: read date {:?}",
                p.read
            );
            assert!(
                p.source.starts_with("https://aws.amazon.com/"),
                "{key}: source"
            );
            assert!(p.unit_price.is_finite() && p.unit_price >= 0.0, "{key}");
        }
    }
}
