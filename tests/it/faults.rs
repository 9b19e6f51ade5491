//! A fault-injecting HTTP proxy between protoctl and the emulator. At configured rates per
//! request it answers 500 / 503 SlowDown / throttling errors with the body each AWS protocol
//! uses, adds latency, resets the connection, cuts a response body short, or hangs. Its
//! upstream may be the emulator or a test front (which then forwards to the emulator).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

/// What the proxy does to requests, as per-request probabilities (0.0..=1.0).
#[derive(Debug, Clone, Copy, Default)]
pub struct FaultPlan {
    pub server_error: f64,
    pub slow_down: f64,
    pub throttle: f64,
    pub latency: f64,
    pub reset: f64,
    pub truncate: f64,
    /// Never answer this fraction of requests (each hangs until the client gives up).
    pub stall: f64,
    /// Never answer at all (the request hangs until the client gives up).
    pub hang: bool,
    /// Answer every request with 403 ExpiredToken (credentials that have expired).
    pub expired: bool,
    /// Answer the awsJson operation of this name (the `X-Amz-Target` suffix, such as
    /// `DescribeLogGroups`) with 400 AccessDeniedException, as a missing permission does.
    pub deny: Option<&'static str>,
}

impl FaultPlan {
    /// A fault at `rate` overall, spread evenly over every kind.
    pub fn mixed(rate: f64) -> Self {
        let each = rate / 6.0;
        Self {
            server_error: each,
            slow_down: each,
            throttle: each,
            latency: each,
            reset: each,
            truncate: each,
            stall: 0.0,
            hang: false,
            expired: false,
            deny: None,
        }
    }
}

/// Counts of what the proxy did.
#[derive(Debug, Default)]
pub struct Counters {
    pub requests: AtomicU64,
    pub faults: AtomicU64,
}

/// A running proxy; it stops when dropped.
pub struct Proxy {
    pub url: String,
    pub counters: Arc<Counters>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// The AWS protocol of a request, for the shape of an error body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    /// awsJson (DynamoDB, Logs, Cognito): `X-Amz-Target` header.
    Json,
    /// restJson (Lambda).
    RestJson,
    /// restXml (S3).
    S3Xml,
    /// awsQuery (CloudFormation, STS): form body, XML errors.
    Query,
}

fn protocol_of(req: &Request<Incoming>) -> Protocol {
    let h = req.headers();
    if h.contains_key("x-amz-target") {
        Protocol::Json
    } else if req.uri().path().starts_with("/2015-03-31/") {
        Protocol::RestJson
    } else if h
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
    {
        Protocol::Query
    } else {
        Protocol::S3Xml
    }
}

/// The body type of every answer: whole, or cut off part-way.
type Body = BoxBody<Bytes, std::io::Error>;

fn full(b: Bytes) -> Body {
    Full::new(b).map_err(|never| match never {}).boxed()
}

/// A body that delivers `bytes` and then breaks the connection (a short read).
fn cut(bytes: Bytes) -> Body {
    let chunks: Vec<Result<Frame<Bytes>, std::io::Error>> = vec![
        Ok(Frame::data(bytes)),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "injected cut",
        )),
    ];
    StreamBody::new(futures::stream::iter(chunks)).boxed()
}

fn error_response(protocol: Protocol, status: u16, code: &str, message: &str) -> Response<Body> {
    let (ctype, body) = match protocol {
        Protocol::Json | Protocol::RestJson => (
            "application/x-amz-json-1.1",
            format!(r#"{{"__type":"{code}","message":"{message}"}}"#),
        ),
        Protocol::S3Xml => (
            "application/xml",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message><RequestId>fault</RequestId></Error>"
            ),
        ),
        Protocol::Query => (
            "text/xml",
            format!(
                "<ErrorResponse><Error><Type>Receiver</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>fault</RequestId></ErrorResponse>"
            ),
        ),
    };
    let mut resp = Response::new(full(Bytes::from(body)));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    resp.headers_mut()
        .insert("content-type", ctype.parse().unwrap());
    resp.headers_mut()
        .insert("x-amzn-errortype", code.parse().unwrap());
    resp
}

fn throttle_code(p: Protocol) -> (u16, &'static str) {
    match p {
        Protocol::Json => (400, "ThrottlingException"),
        Protocol::RestJson => (429, "TooManyRequestsException"),
        Protocol::S3Xml => (503, "SlowDown"),
        Protocol::Query => (400, "Throttling"),
    }
}

/// A tiny deterministic generator, so a failing run can be replayed.
fn roll(seed: u64, n: u64) -> f64 {
    // splitmix64 of (seed, n): well mixed even for small seeds and request numbers.
    let mut z = (seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ n).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1_u64 << 53) as f64
}

enum Decision {
    Forward {
        delay: Option<Duration>,
        truncate: bool,
    },
    Error(u16, &'static str),
    Reset,
    Hang,
}

fn decide(plan: &FaultPlan, protocol: Protocol, r: f64) -> Decision {
    if plan.hang {
        return Decision::Hang;
    }
    if plan.expired {
        let code = if protocol == Protocol::Json {
            "ExpiredTokenException"
        } else {
            "ExpiredToken"
        };
        return Decision::Error(403, code);
    }
    let mut edge = plan.server_error;
    if r < edge {
        return Decision::Error(500, "InternalError");
    }
    edge += plan.slow_down;
    if r < edge {
        return Decision::Error(
            503,
            if protocol == Protocol::S3Xml {
                "SlowDown"
            } else {
                "ServiceUnavailable"
            },
        );
    }
    edge += plan.throttle;
    if r < edge {
        let (s, c) = throttle_code(protocol);
        return Decision::Error(s, c);
    }
    edge += plan.latency;
    if r < edge {
        return Decision::Forward {
            delay: Some(Duration::from_millis(300)),
            truncate: false,
        };
    }
    edge += plan.reset;
    if r < edge {
        return Decision::Reset;
    }
    edge += plan.truncate;
    if r < edge {
        return Decision::Forward {
            delay: None,
            truncate: true,
        };
    }
    edge += plan.stall;
    if r < edge {
        return Decision::Hang;
    }
    Decision::Forward {
        delay: None,
        truncate: false,
    }
}

/// Starts a proxy to `upstream` (the emulator URL) with `plan`.
pub fn start(upstream: &str, plan: FaultPlan, seed: u64) -> Proxy {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("proxy runtime");
    let listener = runtime
        .block_on(TcpListener::bind("127.0.0.1:0"))
        .expect("bind proxy");
    let addr: SocketAddr = listener.local_addr().unwrap();
    let counters = Arc::new(Counters::default());
    let upstream: Arc<str> = Arc::from(upstream.trim_end_matches('/'));
    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();
    let c2 = Arc::clone(&counters);
    runtime.spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let client = client.clone();
            let upstream = Arc::clone(&upstream);
            let counters = Arc::clone(&c2);
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<Incoming>| {
                    let client = client.clone();
                    let upstream = Arc::clone(&upstream);
                    let counters = Arc::clone(&counters);
                    async move {
                        Ok::<_, Infallible>(
                            handle(req, &client, &upstream, plan, seed, &counters).await,
                        )
                    }
                });
                let _ = http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Proxy {
        url: format!("http://{addr}"),
        counters,
        runtime: Some(runtime),
    }
}

async fn handle(
    req: Request<Incoming>,
    client: &Client<HttpConnector, Full<Bytes>>,
    upstream: &str,
    plan: FaultPlan,
    seed: u64,
    counters: &Counters,
) -> Response<Body> {
    let n = counters.requests.fetch_add(1, Ordering::SeqCst);
    let protocol = protocol_of(&req);
    let denied = plan.deny.is_some_and(|op| {
        req.headers()
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.rsplit('.').next() == Some(op))
    });
    if denied {
        counters.faults.fetch_add(1, Ordering::SeqCst);
        return error_response(
            protocol,
            400,
            "AccessDeniedException",
            "User is not authorized to perform this action",
        );
    }
    let decision = decide(&plan, protocol, roll(seed, n));
    if !matches!(
        decision,
        Decision::Forward {
            delay: None,
            truncate: false
        }
    ) {
        counters.faults.fetch_add(1, Ordering::SeqCst);
    }
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(http_body_util::Collected::to_bytes)
        .unwrap_or_default();
    match decision {
        Decision::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            error_response(protocol, 500, "InternalError", "hung")
        }
        Decision::Error(status, code) => error_response(protocol, status, code, "injected fault"),
        Decision::Reset => {
            // The connection breaks right after the status line and headers.
            let mut resp = Response::new(cut(Bytes::new()));
            resp.headers_mut()
                .insert("content-length", "100".parse().unwrap());
            resp
        }
        Decision::Forward { delay, truncate } => {
            if let Some(d) = delay {
                tokio::time::sleep(d).await;
            }
            let uri = format!(
                "{upstream}{}",
                parts.uri.path_and_query().map_or("/", |p| p.as_str())
            );
            let mut fwd = Request::builder().method(parts.method.clone()).uri(uri);
            for (k, v) in &parts.headers {
                if k != "host" {
                    fwd = fwd.header(k, v);
                }
            }
            let Ok(fwd) = fwd.body(Full::new(body)) else {
                return error_response(protocol, 500, "InternalError", "bad forward");
            };
            match client.request(fwd).await {
                Ok(resp) => {
                    let (mut rparts, rbody) = resp.into_parts();
                    let bytes = rbody
                        .collect()
                        .await
                        .map(http_body_util::Collected::to_bytes)
                        .unwrap_or_default();
                    rparts.headers.remove("transfer-encoding");
                    if truncate && bytes.len() > 1 {
                        // Promise the whole body, deliver half: the client sees a short read.
                        rparts
                            .headers
                            .insert("content-length", bytes.len().to_string().parse().unwrap());
                        let half = bytes.slice(..bytes.len() / 2);
                        return Response::from_parts(rparts, cut(half));
                    }
                    rparts
                        .headers
                        .insert("content-length", bytes.len().to_string().parse().unwrap());
                    Response::from_parts(rparts, full(bytes))
                }
                Err(_) => error_response(protocol, 502, "InternalError", "upstream unreachable"),
            }
        }
    }
}
