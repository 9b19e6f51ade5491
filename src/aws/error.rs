//! AWS errors as the user sees them: a short cause and a hint, the full chain in the log.

use std::error::Error as StdError;
use std::fmt;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::domain::sanitize::sanitize;

/// What kind of failure, so callers can react (retry, "not found", ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    NotFound,
    AccessDenied,
    Credentials,
    Throttled,
    Network,
    Timeout,
    Conflict,
    Invalid,
    Config,
    Other,
}

/// An AWS failure with a one-line, sanitised message fit for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    pub kind: ErrorKind,
    pub message: String,
    pub code: Option<String>,
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for AwsError {}

impl AwsError {
    /// An error made by protoctl itself (not from an SDK call).
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            code: None,
        }
    }

    /// Maps an SDK error of operation `op` to a short message and logs the full cause chain.
    #[allow(clippy::needless_pass_by_value)] // taking ownership lets callers write `map_err(|e| ..from_sdk(op, e))`
    pub fn from_sdk<E, R>(op: &str, err: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
        R: fmt::Debug + Send + Sync + 'static,
    {
        tracing::warn!(operation = op, error = %full_chain(&err), "AWS call failed");
        match &err {
            SdkError::ServiceError(se) => {
                let e = se.err();
                match e.code() {
                    Some(code) => Self::from_code(op, code, e.message().unwrap_or("")),
                    None => not_aws(op, se.raw()).unwrap_or_else(|| {
                        Self::from_code(op, "Unknown", e.message().unwrap_or(""))
                    }),
                }
            }
            SdkError::TimeoutError(_) => Self::new(
                ErrorKind::Timeout,
                format!(
                    "{op}: timed out (the endpoint did not answer in time; check your network or raise [aws] operation_timeout)"
                ),
            ),
            SdkError::DispatchFailure(df) => {
                let chain = full_chain(&err);
                if df.is_timeout() {
                    Self::new(
                        ErrorKind::Timeout,
                        format!("{op}: timed out connecting to AWS"),
                    )
                } else if chain.contains("credentials") || chain.contains("Credentials") {
                    Self::new(
                        ErrorKind::Credentials,
                        format!(
                            "{op}: no usable AWS credentials (run `aws sso login`, set AWS_PROFILE, or pass --profile)"
                        ),
                    )
                } else {
                    Self::new(
                        ErrorKind::Network,
                        format!(
                            "{op}: cannot reach the AWS endpoint (check the network, --endpoint-url or the emulator)"
                        ),
                    )
                }
            }
            SdkError::ResponseError(re) => not_aws(op, re.raw()).unwrap_or_else(|| {
                Self::new(
                    ErrorKind::Network,
                    format!(
                        "{op}: the response could not be read (connection cut or malformed reply)"
                    ),
                )
            }),
            SdkError::ConstructionFailure(_) => {
                let chain = full_chain(&err);
                let kind = if chain.contains("credentials") {
                    ErrorKind::Credentials
                } else {
                    ErrorKind::Invalid
                };
                Self::new(
                    kind,
                    format!("{op}: request could not be built: {}", one_line(&chain)),
                )
            }
            _ => Self::new(
                ErrorKind::Other,
                format!("{op}: {}", one_line(&full_chain(&err))),
            ),
        }
    }

    /// Classifies a service error code.
    pub fn from_code(op: &str, code: &str, msg: &str) -> Self {
        let kind = match code {
            "ThrottlingException"
            | "Throttling"
            | "TooManyRequestsException"
            | "ProvisionedThroughputExceededException"
            | "RequestLimitExceeded"
            | "SlowDown" => ErrorKind::Throttled,
            "AccessDenied"
            | "AccessDeniedException"
            | "UnauthorizedOperation"
            | "NotAuthorizedException" => ErrorKind::AccessDenied,
            "ExpiredToken"
            | "ExpiredTokenException"
            | "InvalidClientTokenId"
            | "UnrecognizedClientException"
            | "InvalidAccessKeyId"
            | "SignatureDoesNotMatch" => ErrorKind::Credentials,
            "ResourceNotFoundException"
            | "NoSuchBucket"
            | "NoSuchKey"
            | "NotFound"
            | "UserNotFoundException" => ErrorKind::NotFound,
            "ConditionalCheckFailedException" | "PreconditionFailed" => ErrorKind::Conflict,
            "ValidationError" if msg.contains("does not exist") => ErrorKind::NotFound,
            "ValidationError"
            | "ValidationException"
            | "InvalidParameterValue"
            | "InvalidParameterException" => ErrorKind::Invalid,
            _ => ErrorKind::Other,
        };
        let hint = match kind {
            ErrorKind::Credentials => {
                " (credentials expired or invalid: run `aws sso login` or check your profile)"
            }
            ErrorKind::AccessDenied => " (the credentials lack permission for this)",
            ErrorKind::Throttled => " (throttled by AWS even after retries: try again shortly)",
            _ => "",
        };
        let msg = one_line(&crate::domain::tokens::redact(msg));
        let text = if msg.is_empty() {
            format!("{op}: {code}{hint}")
        } else {
            format!("{op}: {code}: {msg}{hint}")
        };
        Self {
            kind,
            message: sanitize(&text).into_owned(),
            code: Some(code.to_string()),
        }
    }

    /// True when this failure means the thing asked for does not exist.
    pub fn is_not_found(&self) -> bool {
        self.kind == ErrorKind::NotFound
    }
}

/// Bytes of an unreadable answer shown to the user.
const SHOWN_BYTES: usize = 120;

/// Describes an answer that is not an AWS response (an HTML error page, JSON where XML was
/// due): its status, content type and first bytes, sanitised, and what to check. `None`
/// when `raw` is not an HTTP response.
fn not_aws<R: 'static>(op: &str, raw: &R) -> Option<AwsError> {
    let raw =
        (raw as &dyn std::any::Any).downcast_ref::<aws_smithy_runtime_api::http::Response>()?;
    let status = raw.status().as_u16();
    let ctype = raw
        .headers()
        .get("content-type")
        .unwrap_or("no content type");
    let body = raw.body().bytes().unwrap_or_default();
    Some(AwsError::new(
        if status >= 500 {
            ErrorKind::Other
        } else {
            ErrorKind::Invalid
        },
        unreadable_answer(op, status, ctype, body),
    ))
}

/// The one line for an answer that is not an AWS response.
pub fn unreadable_answer(op: &str, status: u16, content_type: &str, body: &[u8]) -> String {
    let head = String::from_utf8_lossy(&body[..body.len().min(SHOWN_BYTES)]);
    let head = one_line(&crate::domain::tokens::redact(&head));
    let more = if body.len() > SHOWN_BYTES { "…" } else { "" };
    let shown = if head.is_empty() {
        "an empty body".to_owned()
    } else {
        format!("{head:?}{more}")
    };
    let text = format!(
        "{op}: the endpoint answered HTTP {status} ({content_type}) with something that is not an          AWS response: {shown} (check --endpoint-url / AWS_ENDPOINT_URL, a proxy or captive          portal in the way, or the emulator's log)"
    );
    sanitize(&text).into_owned()
}

/// The whole `source()` chain of an error on one line (for the log file).
pub fn full_chain(err: &dyn StdError) -> String {
    let mut out = err.to_string();
    let mut cur = err.source();
    while let Some(e) = cur {
        out.push_str(": ");
        out.push_str(&e.to_string());
        cur = e.source();
    }
    crate::domain::tokens::redact(&out)
}

/// Folds whitespace to one line and bounds the length.
fn one_line(s: &str) -> String {
    let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.chars().count() > 300 {
        let mut t: String = joined.chars().take(300).collect();
        t.push('…');
        t
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_codes() {
        assert_eq!(
            AwsError::from_code("X", "ThrottlingException", "").kind,
            ErrorKind::Throttled
        );
        assert_eq!(
            AwsError::from_code(
                "DescribeStacks",
                "ValidationError",
                "Stack with id x does not exist"
            )
            .kind,
            ErrorKind::NotFound
        );
        let e = AwsError::from_code("ListBuckets", "ExpiredToken", "The token expired");
        assert_eq!(e.kind, ErrorKind::Credentials);
        assert!(e.message.contains("aws sso login"), "{}", e.message);
    }

    #[test]
    fn unreadable_answers_say_what_came_back() {
        let m = unreadable_answer(
            "DescribeStacks",
            500,
            "text/html",
            b"<html>\x1b[2J<body>Internal Server Error\n</body></html>",
        );
        assert!(m.contains("HTTP 500 (text/html)"), "{m}");
        assert!(m.contains("Internal Server Error"), "{m}");
        assert!(m.contains("--endpoint-url"), "{m}");
        assert!(
            !m.contains('\x1b') && !m.contains('\n') && !m.contains("Unknown"),
            "{m}"
        );
        let long = unreadable_answer("Op", 200, "application/json", &[b'a'; 500]);
        assert!(long.contains('…') && long.len() < 500, "{long}");
        assert!(unreadable_answer("Op", 502, "x", b"").contains("an empty body"));
    }

    #[test]
    fn messages_are_sanitised_and_one_line() {
        let e = AwsError::from_code("Op", "Bad", "a\nb \x1b[2J c");
        assert!(!e.message.contains('\x1b'));
        assert!(!e.message.contains('\n'));
    }
}
