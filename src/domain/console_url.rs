//! AWS console addresses of the things protoctl shows: a stack, a resource of a stack by
//! its type and physical id, an S3 object, a log group. Plain string building, no I/O, so
//! the console's "open" key and the headless `console_url` fields share it.

/// The console host of a region's partition (China and GovCloud have their own).
fn console_host(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "console.amazonaws.cn"
    } else if region.starts_with("us-gov-") {
        "console.amazonaws-us-gov.com"
    } else {
        "console.aws.amazon.com"
    }
}

fn regional(region: &str) -> String {
    format!("https://{region}.{}", console_host(region))
}

/// Percent-encodes everything but the unreserved characters (RFC 3986).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A CloudWatch console path segment: encoded twice, with `$` for `%`.
fn cloudwatch_segment(s: &str) -> String {
    encode(&encode(s)).replace('%', "$")
}

/// The stack's page in the CloudFormation console.
pub fn stack(region: &str, stack_id: &str) -> String {
    format!(
        "{}/cloudformation/home?region={region}#/stacks/stackinfo?stackId={}",
        regional(region),
        encode(stack_id)
    )
}

/// A log group's page in the CloudWatch console.
pub fn log_group(region: &str, name: &str) -> String {
    format!(
        "{}/cloudwatch/home?region={region}#logsV2:log-groups/log-group/{}",
        regional(region),
        cloudwatch_segment(name)
    )
}

/// The Logs Insights page of the CloudWatch console (the query itself is copied with `y`:
/// the page's query-in-the-address format is not documented).
pub fn logs_insights(region: &str) -> String {
    format!(
        "{}/cloudwatch/home?region={region}#logsV2:logs-insights",
        regional(region)
    )
}

/// An S3 object's page.
pub fn s3_object(region: &str, bucket: &str, key: &str) -> String {
    format!(
        "https://s3.{}/s3/object/{}?region={region}&prefix={}",
        console_host(region),
        encode(bucket),
        encode(key)
    )
}

/// A "folder" (key prefix) of a bucket.
pub fn s3_prefix(region: &str, bucket: &str, prefix: &str) -> String {
    format!(
        "https://s3.{}/s3/buckets/{}?region={region}&prefix={}",
        console_host(region),
        encode(bucket),
        encode(prefix)
    )
}

/// The page of a stack's resource by its CloudFormation type and physical id; `None` for
/// types without a page of their own here (the stack's page lists them).
pub fn resource(region: &str, resource_type: &str, physical_id: &str) -> Option<String> {
    let r = regional(region);
    let id = encode(physical_id);
    Some(match resource_type {
        "AWS::Lambda::Function" => format!("{r}/lambda/home?region={region}#/functions/{id}"),
        "AWS::DynamoDB::Table" => format!("{r}/dynamodbv2/home?region={region}#table?name={id}"),
        "AWS::S3::Bucket" => format!(
            "https://s3.{}/s3/buckets/{id}?region={region}",
            console_host(region)
        ),
        "AWS::Logs::LogGroup" => log_group(region, physical_id),
        "AWS::Cognito::UserPool" => {
            format!("{r}/cognito/v2/idp/user-pools/{id}/overview?region={region}")
        }
        "AWS::ApiGateway::RestApi" => {
            format!("{r}/apigateway/main/apis/{id}/resources?api={id}&region={region}")
        }
        "AWS::ApiGatewayV2::Api" => {
            format!("{r}/apigateway/main/api-detail?api={id}&region={region}")
        }
        "AWS::SQS::Queue" => format!("{r}/sqs/v3/home?region={region}#/queues/{id}"),
        "AWS::SNS::Topic" => format!("{r}/sns/v3/home?region={region}#/topic/{physical_id}"),
        "AWS::IAM::Role" => format!(
            "https://{}/iam/home#/roles/details/{id}",
            console_host(region)
        ),
        "AWS::CloudFormation::Stack" => stack(region, physical_id),
        "AWS::ECR::Repository" => {
            format!("{r}/ecr/repositories/private/{id}?region={region}")
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stacks_and_resources_have_their_console_pages() {
        assert_eq!(
            stack("eu-west-1", "arn:aws:cloudformation:eu-west-1:1:stack/a/b"),
            "https://eu-west-1.console.aws.amazon.com/cloudformation/home?region=eu-west-1#/stacks/stackinfo?stackId=arn%3Aaws%3Acloudformation%3Aeu-west-1%3A1%3Astack%2Fa%2Fb"
        );
        assert_eq!(
            resource("us-east-1", "AWS::Lambda::Function", "orders-dev-create").unwrap(),
            "https://us-east-1.console.aws.amazon.com/lambda/home?region=us-east-1#/functions/orders-dev-create"
        );
        assert_eq!(
            resource("us-east-1", "AWS::S3::Bucket", "data").unwrap(),
            "https://s3.console.aws.amazon.com/s3/buckets/data?region=us-east-1"
        );
        assert_eq!(
            log_group("us-east-1", "/aws/lambda/f"),
            "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logsV2:log-groups/log-group/$252Faws$252Flambda$252Ff"
        );
        assert!(resource("us-east-1", "AWS::Lambda::Permission", "x").is_none());
        assert!(stack("cn-north-1", "x").contains("console.amazonaws.cn"));
        assert_eq!(
            s3_object("us-east-1", "b", "a b/ü.json"),
            "https://s3.console.aws.amazon.com/s3/object/b?region=us-east-1&prefix=a%20b%2F%C3%BC.json"
        );
    }
}
