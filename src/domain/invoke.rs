//! Calling a prototype: the synthesised API Gateway proxy events (REST v1 and HTTP API
//! v2), payload parsing, and the statistics of a fan-out (percentiles, distinct bodies).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// Largest accepted fan-out.
pub const MAX_COUNT: usize = 100_000;
/// Largest accepted concurrency.
pub const MAX_CONCURRENCY: usize = 256;

/// How the function is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// Lambda Invoke with a synthesised API Gateway proxy event.
    Lambda,
    /// An HTTP request to the stack's API.
    Api,
}

/// The stage name from a ServiceEndpoint URL (`https://x.execute-api.../dev` → `dev`).
pub fn stage_of(endpoint: Option<&str>) -> String {
    endpoint
        .and_then(|u| u.split("://").nth(1))
        .and_then(|rest| rest.split('/').nth(1))
        .filter(|s| !s.is_empty())
        .unwrap_or("$default")
        .to_string()
}

/// The API's base URL: the one given for this call, else the stack's `ServiceEndpoint`
/// output, else the config's `[invoke] api_url`.
pub fn api_base_url(
    given: Option<&str>,
    stack: &crate::domain::stack::Stack,
    configured: Option<&str>,
) -> Option<String> {
    given
        .or_else(|| stack.outputs.get("ServiceEndpoint").map(String::as_str))
        .or(configured)
        .map(str::to_string)
}

/// The method of a request: the one given (upper-cased), else POST with a body, else GET.
pub fn method_or_default(given: Option<&str>, has_body: bool) -> String {
    match given.map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => m.to_ascii_uppercase(),
        None if has_body => "POST".into(),
        None => "GET".into(),
    }
}

/// Everything a call is made of, whichever face built it; `aws::invoke::build_target`
/// turns it into a target.
#[derive(Debug, Clone)]
pub struct CallSpec {
    pub via: Via,
    /// The function's physical name (`Via::Lambda`).
    pub function: Option<String>,
    pub request: Request,
    /// The token for Authorization and the event's claims (`None`: only with a raw event).
    pub token: Option<String>,
    /// The event itself, sent without an API Gateway wrapper.
    pub raw_event: Option<Value>,
    pub shape: EventShape,
    /// The stage the synthesised event names.
    pub stage: String,
    /// The API's base URL (`Via::Api`).
    pub base_url: Option<String>,
}

impl CallSpec {
    /// The Lambda event of this call at `now`: the raw event, or a proxy event with the
    /// token's claims.
    pub fn lambda_event(&self, now: DateTime<Utc>) -> Result<Value, String> {
        if let Some(event) = &self.raw_event {
            return Ok(event.clone());
        }
        let token = self.token.as_deref().ok_or("sign in first")?;
        let claims = crate::domain::tokens::decode_claims(token)
            .map_err(|e| format!("the cached token is unusable: {e}"))?;
        Ok(proxy_event(
            self.shape,
            &self.request,
            &claims,
            &self.stage,
            now,
        ))
    }
}

/// How one call ended, for either target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    /// The HTTP status (API) or the Lambda API status.
    pub status: i32,
    pub function_error: Option<String>,
    pub headers: Vec<(String, String)>,
    #[serde(skip)]
    pub body: Vec<u8>,
    pub log_tail: Option<String>,
    pub report: Option<crate::domain::report::Report>,
    pub latency_ms: f64,
}

impl Outcome {
    /// The function's duration from REPORT, else the round trip.
    pub fn duration_ms(&self) -> f64 {
        self.report
            .as_ref()
            .map_or(self.latency_ms, |r| r.duration_ms)
    }

    /// A function error or an HTTP error status.
    pub fn is_error(&self) -> bool {
        self.function_error.is_some() || self.status >= 400
    }
}

/// Which API Gateway proxy event a function is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EventShape {
    /// REST API (payload format 1.0): `requestContext.authorizer.claims`.
    #[default]
    Rest,
    /// HTTP API (payload format 2.0): `requestContext.authorizer.jwt.claims`.
    Http,
}

impl EventShape {
    /// Parses `rest` / `http` (also `v1` / `v2`).
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "rest" | "v1" | "1.0" => Ok(Self::Rest),
            "http" | "v2" | "2.0" => Ok(Self::Http),
            other => Err(format!(
                "unknown event shape {other:?}: use rest (API Gateway v1) or http (v2)"
            )),
        }
    }
}

/// One HTTP request as the user described it (for the API or the synthesised event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// The path, optionally with `?query`.
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

impl Default for Request {
    fn default() -> Self {
        Self {
            method: "GET".into(),
            path: "/".into(),
            headers: Vec::new(),
            body: None,
        }
    }
}

impl Request {
    /// The path without its query string (always starting with `/`).
    pub fn raw_path(&self) -> String {
        let p = self.path.split('?').next().unwrap_or("");
        if p.starts_with('/') {
            p.to_string()
        } else {
            format!("/{p}")
        }
    }

    /// The query string after `?` (empty when none).
    pub fn raw_query(&self) -> &str {
        self.path.split_once('?').map_or("", |(_, q)| q)
    }

    /// The query parameters, in order (no percent-decoding beyond `+`; API Gateway decodes).
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        self.raw_query()
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (k.replace('+', " "), v.replace('+', " "))
            })
            .collect()
    }
}

/// Builds the proxy event API Gateway would send, with `claims` as the Cognito
/// authorizer's claims (the signed-in user's token claims).
pub fn proxy_event(
    shape: EventShape,
    req: &Request,
    claims: &Map<String, Value>,
    stage: &str,
    now: DateTime<Utc>,
) -> Value {
    let path = req.raw_path();
    let method = req.method.to_ascii_uppercase();
    let headers: Map<String, Value> = req
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let query = req.query_pairs();
    let body = req.body.clone().map_or(Value::Null, Value::String);
    let request_id = format!("protoctl-{}", now.timestamp_millis());
    match shape {
        EventShape::Rest => {
            let qs: Map<String, Value> = query
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect();
            let mqs: Map<String, Value> = query
                .iter()
                .map(|(k, _)| {
                    let all: Vec<Value> = query
                        .iter()
                        .filter(|(k2, _)| k2 == k)
                        .map(|(_, v)| Value::String(v.clone()))
                        .collect();
                    (k.clone(), Value::Array(all))
                })
                .collect();
            let mh: Map<String, Value> = headers
                .iter()
                .map(|(k, v)| (k.clone(), Value::Array(vec![v.clone()])))
                .collect();
            json!({
                "resource": path,
                "path": path,
                "httpMethod": method,
                "headers": if headers.is_empty() { Value::Null } else { Value::Object(headers) },
                "multiValueHeaders": if mh.is_empty() { Value::Null } else { Value::Object(mh) },
                "queryStringParameters": if qs.is_empty() { Value::Null } else { Value::Object(qs) },
                "multiValueQueryStringParameters": if mqs.is_empty() { Value::Null } else { Value::Object(mqs) },
                "pathParameters": Value::Null,
                "stageVariables": Value::Null,
                "requestContext": {
                    "resourcePath": path,
                    "httpMethod": method,
                    "path": format!("/{stage}{path}"),
                    "stage": stage,
                    "requestId": request_id,
                    "requestTimeEpoch": now.timestamp_millis(),
                    "identity": { "sourceIp": "127.0.0.1", "userAgent": "protoctl" },
                    "authorizer": { "claims": Value::Object(stringify_claims(claims)) },
                },
                "body": body,
                "isBase64Encoded": false,
            })
        }
        EventShape::Http => {
            let qs: Map<String, Value> = query
                .iter()
                .map(|(k, _)| {
                    let joined = query
                        .iter()
                        .filter(|(k2, _)| k2 == k)
                        .map(|(_, v)| v.as_str())
                        .collect::<Vec<_>>()
                        .join(",");
                    (k.clone(), Value::String(joined))
                })
                .collect();
            json!({
                "version": "2.0",
                "routeKey": format!("{method} {path}"),
                "rawPath": path,
                "rawQueryString": req.raw_query(),
                "headers": Value::Object(headers),
                "queryStringParameters": if qs.is_empty() { Value::Null } else { Value::Object(qs) },
                "requestContext": {
                    "http": { "method": method, "path": path, "protocol": "HTTP/1.1",
                              "sourceIp": "127.0.0.1", "userAgent": "protoctl" },
                    "routeKey": format!("{method} {path}"),
                    "stage": stage,
                    "requestId": request_id,
                    "timeEpoch": now.timestamp_millis(),
                    "authorizer": { "jwt": {
                        "claims": Value::Object(stringify_claims(claims)),
                        "scopes": Value::Null,
                    } },
                },
                "body": body,
                "isBase64Encoded": false,
            })
        }
    }
}

/// API Gateway hands claims to the function as strings (numbers and arrays flattened).
fn stringify_claims(claims: &Map<String, Value>) -> Map<String, Value> {
    claims
        .iter()
        .map(|(k, v)| {
            let s = match v {
                Value::String(s) => s.clone(),
                Value::Array(items) => format!(
                    "[{}]",
                    items
                        .iter()
                        .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
                other => other.to_string(),
            };
            (k.clone(), Value::String(s))
        })
        .collect()
}

/// Parses a JSON payload; the error is one line with the position, for inline display.
pub fn parse_payload(text: &str) -> Result<Value, String> {
    if text.trim().is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_str(text).map_err(|e| {
        let msg = e.to_string();
        let msg = msg.split(" at line").next().unwrap_or(&msg).to_string();
        format!(
            "invalid JSON payload at line {}, column {}: {msg}",
            e.line(),
            e.column()
        )
    })
}

/// A response body as JSON where it is JSON, else as a (lossy UTF-8) string.
pub fn body_value(bytes: &[u8]) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

/// A response body pretty-printed when it is JSON, else as text.
pub fn pretty_body(bytes: &[u8]) -> String {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v) => serde_json::to_string_pretty(&v).unwrap_or_default(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// How one call of a fan-out ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub latency_ms: f64,
    /// True for a function error, an HTTP status of 400 and above, or a failed call.
    pub error: bool,
    /// Throttled attempts that were retried (or gave up) for this call.
    pub throttled: u32,
    pub cold_start: bool,
    /// A hash of the response body (None when the call failed without one).
    pub body_hash: Option<[u8; 32]>,
}

/// Hashes a response body for counting distinct responses.
pub fn body_hash(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Latency percentiles of a fan-out, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Latency {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

/// The summary of a fan-out (the JSON of `invoke --count`).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Summary {
    pub count: usize,
    pub ok: usize,
    pub errors: usize,
    pub throttled: u64,
    pub cold_starts: usize,
    pub latency_ms: Latency,
    pub distinct_responses: usize,
    /// Calls not made because the fan-out was cancelled.
    pub cancelled: usize,
}

/// Latency histogram buckets (upper bounds in ms) shown in the console.
pub const HISTOGRAM_BOUNDS: [f64; 8] = [10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, f64::MAX];

impl Summary {
    /// Summarises the samples of `requested` calls (fewer samples means cancelled).
    pub fn of(samples: &[Sample], requested: usize) -> Self {
        let mut lat: Vec<f64> = samples.iter().map(|s| s.latency_ms).collect();
        lat.sort_by(f64::total_cmp);
        let distinct: HashSet<[u8; 32]> = samples.iter().filter_map(|s| s.body_hash).collect();
        let errors = samples.iter().filter(|s| s.error).count();
        Self {
            count: samples.len(),
            ok: samples.len() - errors,
            errors,
            throttled: samples.iter().map(|s| u64::from(s.throttled)).sum(),
            cold_starts: samples.iter().filter(|s| s.cold_start).count(),
            latency_ms: Latency {
                p50: percentile(&lat, 50.0),
                p90: percentile(&lat, 90.0),
                p99: percentile(&lat, 99.0),
                max: percentile(&lat, 100.0),
            },
            distinct_responses: distinct.len(),
            cancelled: requested.saturating_sub(samples.len()),
        }
    }

    /// Counts of samples per `HISTOGRAM_BOUNDS` bucket.
    pub fn histogram(samples: &[Sample]) -> [usize; HISTOGRAM_BOUNDS.len()] {
        let mut out = [0; HISTOGRAM_BOUNDS.len()];
        for s in samples {
            let i = HISTOGRAM_BOUNDS
                .iter()
                .position(|b| s.latency_ms <= *b)
                .unwrap_or(HISTOGRAM_BOUNDS.len() - 1);
            out[i] += 1;
        }
        out
    }
}

/// The nearest-rank percentile of sorted values (0 when empty), rounded to 0.1 ms.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    let v = sorted[rank.clamp(1, sorted.len()) - 1];
    (v * 10.0).round() / 10.0
}

/// Backoff before retry `attempt` (1-based) after throttling: 100 ms doubling, capped at
/// 3.2 s, with up to 50% jitter from `jitter` in [0, 1).
pub fn throttle_backoff_ms(attempt: u32, jitter: f64) -> u64 {
    let base = 100u64 << attempt.saturating_sub(1).min(5);
    base + (base as f64 * 0.5 * jitter.clamp(0.0, 1.0)) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn claims() -> Map<String, Value> {
        let v = json!({"sub": "abc", "email": "demo@example.com", "exp": 1_800_000_000,
                       "cognito:groups": ["admin", "dev"]});
        v.as_object().unwrap().clone()
    }

    fn req() -> Request {
        Request {
            method: "post".into(),
            path: "orders?limit=5&tag=a&tag=b".into(),
            headers: vec![("content-type".into(), "application/json".into())],
            body: Some("{\"x\":1}".into()),
        }
    }

    #[test]
    fn rest_event_carries_claims_as_strings() {
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap();
        let e = proxy_event(EventShape::Rest, &req(), &claims(), "dev", now);
        assert_eq!(e["httpMethod"], "POST");
        assert_eq!(e["path"], "/orders");
        assert_eq!(e["queryStringParameters"]["limit"], "5");
        assert_eq!(
            e["multiValueQueryStringParameters"]["tag"],
            json!(["a", "b"])
        );
        let c = &e["requestContext"]["authorizer"]["claims"];
        assert_eq!(c["email"], "demo@example.com");
        assert_eq!(c["exp"], "1800000000");
        assert_eq!(c["cognito:groups"], "[admin dev]");
        assert_eq!(e["body"], "{\"x\":1}");
    }

    #[test]
    fn http_event_has_v2_shape() {
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap();
        let e = proxy_event(EventShape::Http, &req(), &claims(), "$default", now);
        assert_eq!(e["version"], "2.0");
        assert_eq!(e["routeKey"], "POST /orders");
        assert_eq!(e["rawQueryString"], "limit=5&tag=a&tag=b");
        assert_eq!(e["queryStringParameters"]["tag"], "a,b");
        assert_eq!(
            e["requestContext"]["authorizer"]["jwt"]["claims"]["sub"],
            "abc"
        );
    }

    #[test]
    fn shapes_parse() {
        assert_eq!(EventShape::parse("HTTP").unwrap(), EventShape::Http);
        assert_eq!(EventShape::parse("rest").unwrap(), EventShape::Rest);
        assert!(EventShape::parse("grpc").is_err());
    }

    #[test]
    fn invalid_payload_is_one_line_with_position() {
        let e = parse_payload("{\n  \"a\": ,\n}").unwrap_err();
        assert!(e.starts_with("invalid JSON payload at line 2"), "{e}");
        assert!(!e.contains('\n'));
        assert_eq!(parse_payload("  ").unwrap(), json!({}));
        assert_eq!(parse_payload("[1]").unwrap(), json!([1]));
    }

    fn sample(ms: f64, error: bool, body: &[u8]) -> Sample {
        Sample {
            latency_ms: ms,
            error,
            throttled: u32::from(error),
            cold_start: ms > 90.0,
            body_hash: Some(body_hash(body)),
        }
    }

    #[test]
    fn summary_percentiles_and_counts() {
        let samples: Vec<Sample> = (1..=100)
            .map(|i| {
                sample(
                    f64::from(i),
                    i % 10 == 0,
                    if i % 2 == 0 { b"a" } else { b"b" },
                )
            })
            .collect();
        let s = Summary::of(&samples, 120);
        assert_eq!(s.count, 100);
        assert_eq!(s.errors, 10);
        assert_eq!(s.ok, 90);
        assert_eq!(s.throttled, 10);
        assert_eq!(s.cold_starts, 10);
        assert_eq!(s.distinct_responses, 2);
        assert_eq!(s.cancelled, 20);
        assert!((s.latency_ms.p50 - 50.0).abs() < f64::EPSILON);
        assert!((s.latency_ms.p90 - 90.0).abs() < f64::EPSILON);
        assert!((s.latency_ms.p99 - 99.0).abs() < f64::EPSILON);
        assert!((s.latency_ms.max - 100.0).abs() < f64::EPSILON);
        let h = Summary::histogram(&samples);
        assert_eq!(h.iter().sum::<usize>(), 100);
        assert_eq!(h[0], 10);
    }

    #[test]
    fn empty_summary_is_zero() {
        let s = Summary::of(&[], 0);
        assert_eq!(s.count, 0);
        assert!(s.latency_ms.p99.abs() < f64::EPSILON);
    }

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(throttle_backoff_ms(1, 0.0), 100);
        assert_eq!(throttle_backoff_ms(2, 0.0), 200);
        assert_eq!(throttle_backoff_ms(10, 0.0), 3200);
        assert_eq!(throttle_backoff_ms(1, 0.999), 149);
    }

    #[test]
    fn request_paths() {
        let r = Request {
            path: "items".into(),
            ..Request::default()
        };
        assert_eq!(r.raw_path(), "/items");
        assert_eq!(r.raw_query(), "");
        assert!(r.query_pairs().is_empty());
    }
}
