//! Calling a prototype's API over HTTP(S) as the signed-in user: the hyper + rustls stack
//! the AWS SDK already compiles (no extra HTTP crate), the token in `Authorization`.

use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::Serialize;

use super::{AwsError, ErrorKind};
use crate::domain::invoke::Request;

/// Longest response body read (larger bodies are an error, not a truncation).
pub const MAX_BODY: usize = 4 * 1024 * 1024;
const TIMEOUT: Duration = Duration::from_secs(30);

/// One HTTP response.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    #[serde(skip)]
    pub body: Vec<u8>,
    pub latency_ms: f64,
}

type Https = hyper_rustls::HttpsConnector<HttpConnector>;

/// A reusable HTTP(S) client (connection pooling across a fan-out).
#[derive(Clone, Debug)]
pub struct ApiClient {
    client: Client<Https, Full<Bytes>>,
}

impl ApiClient {
    /// A client trusting the platform's root certificates.
    pub fn new() -> Result<Self, AwsError> {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
            .map_err(|e| {
                AwsError::new(ErrorKind::Config, format!("no TLS root certificates: {e}"))
            })?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Self {
            client: Client::builder(TokioExecutor::new()).build(https),
        })
    }

    /// Sends `req` to `base_url` + its path, with `Authorization: <token>` when given.
    pub async fn call(
        &self,
        base_url: &str,
        req: &Request,
        token: Option<&str>,
    ) -> Result<ApiResponse, AwsError> {
        let url = join_url(base_url, &req.path);
        let shown = crate::domain::sanitize::sanitize(&url).into_owned();
        let method = hyper::Method::from_bytes(req.method.to_ascii_uppercase().as_bytes())
            .map_err(|_| {
                AwsError::new(
                    ErrorKind::Invalid,
                    format!("{:?} is not an HTTP method", req.method),
                )
            })?;
        let mut builder = hyper::Request::builder().method(method).uri(&url);
        for (k, v) in &req.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        if let Some(t) = token {
            builder = builder.header(hyper::header::AUTHORIZATION, t);
        }
        if req.body.is_some()
            && !req
                .headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        {
            builder = builder.header(hyper::header::CONTENT_TYPE, "application/json");
        }
        let body = Full::new(Bytes::from(req.body.clone().unwrap_or_default()));
        let request = builder.body(body).map_err(|_| {
            AwsError::new(
                ErrorKind::Invalid,
                format!("invalid request to {shown} (check the URL and headers)"),
            )
        })?;
        let started = Instant::now();
        let resp = tokio::time::timeout(TIMEOUT, self.client.request(request))
            .await
            .map_err(|_| AwsError::new(ErrorKind::Timeout, format!("{shown}: timed out")))?
            .map_err(|e| {
                tracing::warn!(url = %shown, error = %crate::aws::error::full_chain(&e), "API call failed");
                AwsError::new(ErrorKind::Network, format!("cannot reach {shown}"))
            })?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let bytes =
            tokio::time::timeout(TIMEOUT, Limited::new(resp.into_body(), MAX_BODY).collect())
                .await
                .map_err(|_| {
                    AwsError::new(
                        ErrorKind::Timeout,
                        format!("{shown}: timed out reading the body"),
                    )
                })?
                .map_err(|_| {
                    AwsError::new(
                        ErrorKind::Network,
                        format!(
                            "{shown}: the body could not be read (cut, or over {} MiB)",
                            MAX_BODY >> 20
                        ),
                    )
                })?
                .to_bytes();
        Ok(ApiResponse {
            status,
            headers,
            body: bytes.to_vec(),
            latency_ms: started.elapsed().as_secs_f64() * 1000.0,
        })
    }
}

/// `base` + `path` with exactly one slash between them.
pub fn join_url(base: &str, path: &str) -> String {
    let base = base.trim_end_matches('/');
    let path = path.trim_start_matches('/');
    if path.is_empty() {
        base.to_string()
    } else {
        format!("{base}/{path}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_join_with_one_slash() {
        assert_eq!(
            join_url("https://x/dev/", "/items?a=1"),
            "https://x/dev/items?a=1"
        );
        assert_eq!(join_url("https://x/dev", "items"), "https://x/dev/items");
        assert_eq!(join_url("https://x/dev", "/"), "https://x/dev");
    }
}
