//! What a shelved stack cannot get back, said before anything is deleted.

use serde::Serialize;

use crate::domain::stack::StackResource;

/// One thing the archive does not keep: what it is and why it is lost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotKept {
    pub subject: String,
    pub reason: String,
}

impl NotKept {
    /// One line for people: "subject: reason".
    pub fn line(&self) -> String {
        format!("{}: {}", self.subject, self.reason)
    }
}

/// Data-holding resource types protoctl does not archive, and what is lost with them.
const UNARCHIVED: &[(&str, &str)] = &[
    (
        "AWS::Cognito::UserPool",
        "its users are not archived, and their passwords cannot be read from AWS at all: users must sign up again",
    ),
    ("AWS::SQS::Queue", "messages waiting in the queue are lost"),
    ("AWS::Kinesis::Stream", "records in the stream are lost"),
    (
        "AWS::RDS::DBInstance",
        "its database is not archived (take a snapshot first)",
    ),
    (
        "AWS::RDS::DBCluster",
        "its database is not archived (take a snapshot first)",
    ),
    ("AWS::EFS::FileSystem", "its files are not archived"),
    (
        "AWS::ElastiCache::CacheCluster",
        "its cached data is not archived",
    ),
    (
        "AWS::OpenSearchService::Domain",
        "its indexes are not archived",
    ),
    ("AWS::Elasticsearch::Domain", "its indexes are not archived"),
    (
        "AWS::SecretsManager::Secret",
        "a generated secret value is not archived: the restored secret gets a new one",
    ),
    (
        "AWS::KMS::Key",
        "the key is scheduled for deletion: data encrypted under it elsewhere becomes unreadable",
    ),
    ("AWS::ECR::Repository", "its images are not archived"),
    ("AWS::Timestream::Table", "its records are not archived"),
    (
        "AWS::CloudFormation::Stack",
        "a nested stack's template is kept, but the data of its own tables and buckets is not",
    ),
];

/// What cannot come back after shelving: unarchived data by resource, NoEcho parameters,
/// log events (unless kept), older object versions (unless kept), and new endpoints.
pub fn not_kept(
    resources: &[StackResource],
    no_echo: &[String],
    keeps_logs: bool,
    all_versions: bool,
) -> Vec<NotKept> {
    let mut out = Vec::new();
    for r in resources.iter().filter(|r| r.status != "DELETE_COMPLETE") {
        if let Some((_, why)) = UNARCHIVED.iter().find(|(t, _)| *t == r.resource_type) {
            out.push(NotKept {
                subject: format!("{} ({})", r.logical_id, r.resource_type),
                reason: (*why).to_string(),
            });
        }
    }
    for p in no_echo {
        out.push(NotKept {
            subject: format!("parameter {p}"),
            reason: "NoEcho: its value cannot be read back; give it on restore with --param".into(),
        });
    }
    if !keeps_logs
        && resources.iter().any(|r| {
            matches!(
                r.resource_type.as_str(),
                "AWS::Lambda::Function" | "AWS::Logs::LogGroup"
            )
        })
    {
        out.push(NotKept {
            subject: "log events".into(),
            reason: "not archived (pass --logs 30d to keep the last 30 days)".into(),
        });
    }
    if !all_versions
        && resources
            .iter()
            .any(|r| r.resource_type == "AWS::S3::Bucket")
    {
        out.push(NotKept {
            subject: "older object versions".into(),
            reason: "only the latest version of each object is kept (pass --all-versions to keep every version)".into(),
        });
    }
    if resources.iter().any(|r| {
        r.resource_type.starts_with("AWS::ApiGateway")
            || r.resource_type.starts_with("AWS::ApiGatewayV2")
            || r.resource_type == "AWS::CloudFront::Distribution"
    }) {
        out.push(NotKept {
            subject: "endpoints".into(),
            reason:
                "the restored API gets new ids, so its URLs (and the outputs naming them) change"
                    .into(),
        });
    }
    out
}
