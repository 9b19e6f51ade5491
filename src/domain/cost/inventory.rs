//! What in a stack can cost money, read from its resources and template: functions with
//! their memory and architecture, tables, buckets, log groups, APIs, and the resources
//! billed by the hour or the month whatever their use.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::domain::stack::{Stack, StackResource};
use crate::domain::teardown::TemplateResource;

/// Hours in a month as AWS bills hourly resources.
pub const HOURS_PER_MONTH: f64 = 730.0;

/// A Lambda function's architecture (priced apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    X86_64,
    Arm64,
}

impl Arch {
    /// The architecture as the price keys and Lambda name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::X86_64 => "x86_64",
            Self::Arm64 => "arm64",
        }
    }
}

/// A function of the stack.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionFacts {
    pub logical_id: String,
    pub name: String,
    /// `None` until known (the template did not say it plainly: ask Lambda).
    pub memory_mb: Option<u32>,
    pub arch: Option<Arch>,
    /// Provisioned concurrent executions configured in the template (aliases and versions).
    pub provisioned: u32,
}

/// A DynamoDB table of the stack (the billing facts come from DescribeTable).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TableFacts {
    pub logical_id: String,
    pub name: String,
    pub on_demand: bool,
    /// Provisioned read / write capacity units, table plus every GSI.
    pub read_capacity: i64,
    pub write_capacity: i64,
    /// Table plus GSI sizes in bytes.
    pub size_bytes: i64,
    pub gsis: Vec<String>,
}

/// A log group of the stack with the bytes it stores.
#[derive(Debug, Clone, PartialEq)]
pub struct LogGroupFacts {
    pub name: String,
    /// The template's logical id when the group is a resource of the stack.
    pub logical_id: Option<String>,
    pub stored_bytes: u64,
}

/// An API Gateway API of the stack and how its request metric is named.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiFacts {
    /// REST API: metrics by `ApiName` (`None` when the name could not be read).
    Rest {
        logical_id: String,
        name: Option<String>,
    },
    /// HTTP API: metrics by `ApiId`.
    Http { logical_id: String, id: String },
}

/// A resource with a price per hour or per month whatever its use.
#[derive(Debug, Clone, PartialEq)]
pub struct FixedFacts {
    pub logical_id: String,
    pub resource: String,
    pub resource_type: String,
    /// The price key.
    pub key: &'static str,
    /// Units billed at once (shards, endpoint AZs, ...).
    pub count: f64,
    /// Billed by the hour (×730) rather than by the month.
    pub hourly: bool,
}

/// A resource with a fixed cost protoctl does not price (instance classes vary too much).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Unpriced {
    pub logical_id: String,
    pub resource_type: String,
    pub why: String,
}

/// A bucket of the stack.
#[derive(Debug, Clone, PartialEq)]
pub struct BucketFacts {
    pub logical_id: String,
    pub name: String,
}

/// Everything in one stack that can cost money.
#[derive(Debug, Clone, PartialEq)]
pub struct Inventory {
    pub stack: String,
    pub stack_id: String,
    pub region: String,
    pub functions: Vec<FunctionFacts>,
    pub tables: Vec<TableFacts>,
    pub buckets: Vec<BucketFacts>,
    pub log_groups: Vec<LogGroupFacts>,
    pub apis: Vec<ApiFacts>,
    pub fixed: Vec<FixedFacts>,
    pub unpriced: Vec<Unpriced>,
}

/// Types with a fixed cost protoctl names but does not price.
const UNPRICED: &[(&str, &str)] = &[
    ("AWS::RDS::DBInstance", "priced by instance class"),
    ("AWS::RDS::DBCluster", "priced by instance class or ACUs"),
    ("AWS::EC2::Instance", "priced by instance type"),
    ("AWS::ElastiCache::CacheCluster", "priced by node type"),
    ("AWS::ElastiCache::ReplicationGroup", "priced by node type"),
    (
        "AWS::ElastiCache::ServerlessCache",
        "priced by data stored and ECPUs",
    ),
    ("AWS::OpenSearchService::Domain", "priced by instance type"),
    ("AWS::Elasticsearch::Domain", "priced by instance type"),
    (
        "AWS::OpenSearchServerless::Collection",
        "priced by OCU-hours",
    ),
    (
        "AWS::ECS::Service",
        "priced by task size (Fargate) or instances",
    ),
    ("AWS::EKS::Cluster", "priced by the hour plus nodes"),
    ("AWS::SageMaker::Endpoint", "priced by instance type"),
    ("AWS::MSK::Cluster", "priced by broker type"),
    ("AWS::Redshift::Cluster", "priced by node type"),
    ("AWS::WAFv2::WebACL", "priced per web ACL, rule and request"),
];

/// Reads what can cost money from the stack's live resources and its template.
pub fn inventory(
    stack: &Stack,
    resources: &[StackResource],
    template: &BTreeMap<String, TemplateResource>,
) -> Inventory {
    let live: Vec<&StackResource> = resources
        .iter()
        .filter(|r| !r.status.starts_with("DELETE_COMPLETE"))
        .collect();
    let props = |logical: &str| -> &Value {
        template
            .get(logical)
            .map_or(&Value::Null, |t| &t.properties)
    };
    let mut inv = Inventory {
        stack: stack.name.clone(),
        stack_id: stack.id.clone(),
        region: stack.region.clone(),
        functions: Vec::new(),
        tables: Vec::new(),
        buckets: Vec::new(),
        log_groups: Vec::new(),
        apis: Vec::new(),
        fixed: Vec::new(),
        unpriced: Vec::new(),
    };
    for r in &live {
        let Some(physical) = r.physical_id.clone() else {
            continue;
        };
        let p = props(&r.logical_id);
        let templated = template
            .get(&r.logical_id)
            .is_some_and(|t| t.resource_type == r.resource_type);
        match r.resource_type.as_str() {
            "AWS::Lambda::Function" => inv.functions.push(FunctionFacts {
                logical_id: r.logical_id.clone(),
                name: physical,
                memory_mb: if templated { memory_of(p) } else { None },
                arch: if templated { arch_of(p) } else { None },
                provisioned: 0,
            }),
            "AWS::DynamoDB::Table" => inv.tables.push(TableFacts {
                logical_id: r.logical_id.clone(),
                name: physical,
                ..TableFacts::default()
            }),
            "AWS::S3::Bucket" => inv.buckets.push(BucketFacts {
                logical_id: r.logical_id.clone(),
                name: physical,
            }),
            "AWS::Logs::LogGroup" => inv.log_groups.push(LogGroupFacts {
                name: physical,
                logical_id: Some(r.logical_id.clone()),
                stored_bytes: 0,
            }),
            "AWS::ApiGateway::RestApi" => inv.apis.push(ApiFacts::Rest {
                logical_id: r.logical_id.clone(),
                name: literal_name(p.get("Name"), &stack.name),
            }),
            "AWS::ApiGatewayV2::Api" => {
                let websocket = p.get("ProtocolType").and_then(Value::as_str) == Some("WEBSOCKET");
                if websocket {
                    inv.unpriced.push(Unpriced {
                        logical_id: r.logical_id.clone(),
                        resource_type: r.resource_type.clone(),
                        why: "WebSocket messages and connection minutes are not estimated".into(),
                    });
                } else {
                    inv.apis.push(ApiFacts::Http {
                        logical_id: r.logical_id.clone(),
                        id: physical,
                    });
                }
            }
            t => {
                if let Some(f) = fixed_of(r, &physical, t, p) {
                    inv.fixed.push(f);
                } else if let Some((_, why)) = UNPRICED.iter().find(|(ty, _)| *ty == t) {
                    inv.unpriced.push(Unpriced {
                        logical_id: r.logical_id.clone(),
                        resource_type: t.to_string(),
                        why: (*why).to_string(),
                    });
                }
            }
        }
    }
    // Lambda writes to /aws/lambda/<name> whether or not the template declares the group.
    for f in &inv.functions {
        let name = format!("/aws/lambda/{}", f.name);
        if !inv.log_groups.iter().any(|g| g.name == name) {
            inv.log_groups.push(LogGroupFacts {
                name,
                logical_id: None,
                stored_bytes: 0,
            });
        }
    }
    provisioned_concurrency(&mut inv, template);
    inv
}

/// Provisioned concurrency declared on aliases and versions, added to their function.
fn provisioned_concurrency(inv: &mut Inventory, template: &BTreeMap<String, TemplateResource>) {
    for t in template.values() {
        if !matches!(
            t.resource_type.as_str(),
            "AWS::Lambda::Alias" | "AWS::Lambda::Version"
        ) {
            continue;
        }
        let Some(n) = t
            .properties
            .get("ProvisionedConcurrencyConfig")
            .and_then(|c| c.get("ProvisionedConcurrentExecutions"))
            .and_then(number_of)
        else {
            continue;
        };
        let target = match t.properties.get("FunctionName") {
            Some(Value::Object(o)) => o
                .get("Ref")
                .or_else(|| o.get("Fn::GetAtt").and_then(|g| g.get(0)))
                .and_then(Value::as_str)
                .map(ToString::to_string),
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        };
        if let Some(target) = target
            && let Some(f) = inv
                .functions
                .iter_mut()
                .find(|f| f.logical_id == target || f.name == target)
        {
            f.provisioned += n as u32;
        }
    }
}

/// The hourly or monthly resources protoctl prices.
fn fixed_of(r: &StackResource, physical: &str, t: &str, p: &Value) -> Option<FixedFacts> {
    let (key, count, hourly) = match t {
        "AWS::EC2::NatGateway" => ("ec2.nat_gateway_hours", 1.0, true),
        "AWS::EC2::EIP" => ("ec2.public_ipv4_hours", 1.0, true),
        "AWS::EC2::VPCEndpoint" => {
            if p.get("VpcEndpointType").and_then(Value::as_str) != Some("Interface") {
                return None;
            }
            let azs = p
                .get("SubnetIds")
                .and_then(Value::as_array)
                .map_or(1, Vec::len)
                .max(1);
            ("ec2.vpc_endpoint_hours", azs as f64, true)
        }
        "AWS::ElasticLoadBalancingV2::LoadBalancer" | "AWS::ElasticLoadBalancing::LoadBalancer" => {
            ("elb.load_balancer_hours", 1.0, true)
        }
        "AWS::Kinesis::Stream" => {
            let on_demand = p
                .get("StreamModeDetails")
                .and_then(|m| m.get("StreamMode"))
                .and_then(Value::as_str)
                == Some("ON_DEMAND");
            if on_demand {
                ("kinesis.on_demand_stream_hours", 1.0, true)
            } else {
                let shards = p.get("ShardCount").and_then(number_of).unwrap_or(1.0);
                ("kinesis.shard_hours", shards, true)
            }
        }
        "AWS::KMS::Key" => ("kms.keys", 1.0, false),
        "AWS::SecretsManager::Secret" => ("secretsmanager.secrets", 1.0, false),
        "AWS::CloudWatch::Alarm" => ("cloudwatch.alarms", 1.0, false),
        "AWS::Route53::HostedZone" => ("route53.hosted_zones", 1.0, false),
        _ => return None,
    };
    Some(FixedFacts {
        logical_id: r.logical_id.clone(),
        resource: physical.to_string(),
        resource_type: t.to_string(),
        key,
        count,
        hourly,
    })
}

/// A number written as a JSON number or a string of digits (YAML scalars are strings).
fn number_of(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The template's MemorySize: the CloudFormation default (128) when absent, `None` when
/// not a plain number (a parameter or condition: Lambda is asked instead).
fn memory_of(p: &Value) -> Option<u32> {
    match p.get("MemorySize") {
        None => Some(128),
        Some(v) => number_of(v).map(|n| n as u32),
    }
}

/// The template's architecture: x86_64 when absent, `None` when not plain.
fn arch_of(p: &Value) -> Option<Arch> {
    let text = match p.get("Architectures") {
        None => return Some(Arch::X86_64),
        Some(Value::Array(a)) => match a.first() {
            Some(Value::String(s)) => s.clone(),
            _ => return None,
        },
        Some(Value::String(s)) => s.clone(),
        Some(_) => return None,
    };
    if text.contains("arm64") {
        Some(Arch::Arm64)
    } else if text.contains("x86_64") {
        Some(Arch::X86_64)
    } else {
        None
    }
}

/// A name written plainly, or through `${AWS::StackName}` alone.
fn literal_name(v: Option<&Value>, stack: &str) -> Option<String> {
    match v? {
        Value::String(s) if !s.contains("${") && !s.contains('!') => Some(s.clone()),
        Value::Object(o) => {
            if o.get("Ref").and_then(Value::as_str) == Some("AWS::StackName") {
                return Some(stack.to_string());
            }
            let sub = o.get("Fn::Sub").and_then(Value::as_str)?;
            let s = sub.replace("${AWS::StackName}", stack);
            (!s.contains("${")).then_some(s)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::teardown::template_resources;
    use chrono::{TimeZone, Utc};

    fn stack() -> Stack {
        Stack {
            name: "shop".into(),
            id: "arn:aws:cloudformation:eu-west-1:1:stack/shop/1".into(),
            status: "CREATE_COMPLETE".into(),
            created: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            last_updated: None,
            tags: BTreeMap::new(),
            termination_protection: false,
            outputs: BTreeMap::new(),
            description: None,
            region: "eu-west-1".into(),
            parent_id: None,
            root_id: None,
            nested_stacks: 0,
            profile: None,
            account_alias: None,
        }
    }

    fn res(id: &str, ty: &str, physical: &str) -> StackResource {
        StackResource {
            logical_id: id.into(),
            physical_id: Some(physical.into()),
            resource_type: ty.into(),
            status: "CREATE_COMPLETE".into(),
            stack_path: "shop".into(),
        }
    }

    #[test]
    fn reads_memory_arch_provisioned_concurrency_and_fixed_costs() {
        let template = template_resources(
            r#"{"Resources": {
              "Arm": {"Type": "AWS::Lambda::Function", "Properties": {"MemorySize": 1024, "Architectures": ["arm64"]}},
              "Plain": {"Type": "AWS::Lambda::Function", "Properties": {}},
              "Param": {"Type": "AWS::Lambda::Function", "Properties": {"MemorySize": {"Ref": "Mem"}}},
              "Live": {"Type": "AWS::Lambda::Alias", "Properties": {"FunctionName": {"Ref": "Arm"},
                 "ProvisionedConcurrencyConfig": {"ProvisionedConcurrentExecutions": 2}}},
              "Nat": {"Type": "AWS::EC2::NatGateway"},
              "Endpoint": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {"VpcEndpointType": "Interface", "SubnetIds": ["a", "b"]}},
              "Gw": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {"VpcEndpointType": "Gateway"}},
              "Db": {"Type": "AWS::RDS::DBInstance"},
              "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": {"Fn::Sub": "${AWS::StackName}-api"}}}
            }}"#,
        );
        let resources = [
            res("Arm", "AWS::Lambda::Function", "shop-arm"),
            res("Plain", "AWS::Lambda::Function", "shop-plain"),
            res("Param", "AWS::Lambda::Function", "shop-param"),
            res("Live", "AWS::Lambda::Alias", "arn:alias"),
            res("Nat", "AWS::EC2::NatGateway", "nat-1"),
            res("Endpoint", "AWS::EC2::VPCEndpoint", "vpce-1"),
            res("Gw", "AWS::EC2::VPCEndpoint", "vpce-2"),
            res("Db", "AWS::RDS::DBInstance", "db-1"),
            res("Api", "AWS::ApiGateway::RestApi", "abc123"),
        ];
        let inv = inventory(&stack(), &resources, &template);
        let f = |id: &str| inv.functions.iter().find(|f| f.logical_id == id).unwrap();
        assert_eq!(f("Arm").memory_mb, Some(1024));
        assert_eq!(f("Arm").arch, Some(Arch::Arm64));
        assert_eq!(f("Arm").provisioned, 2);
        assert_eq!(f("Plain").memory_mb, Some(128));
        assert_eq!(f("Plain").arch, Some(Arch::X86_64));
        assert_eq!(f("Param").memory_mb, None);
        assert_eq!(inv.fixed.len(), 2);
        assert_eq!(inv.fixed[0].key, "ec2.nat_gateway_hours");
        assert!((inv.fixed[1].count - 2.0).abs() < f64::EPSILON);
        assert_eq!(inv.unpriced[0].logical_id, "Db");
        assert_eq!(
            inv.apis,
            vec![ApiFacts::Rest {
                logical_id: "Api".into(),
                name: Some("shop-api".into())
            }]
        );
        assert_eq!(inv.log_groups.len(), 3);
        assert!(
            inv.log_groups
                .iter()
                .any(|g| g.name == "/aws/lambda/shop-arm")
        );
    }
}
