//! One call of a prototype (direct Lambda Invoke or its API) and fan-outs of many calls
//! with bounded concurrency, backoff on throttling, and cancellation.

use std::sync::Arc;

use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use super::api::ApiClient;
use super::lambda::{self, Invocation};
use super::{AwsError, ErrorKind};
use crate::domain::invoke::{CallSpec, Request, Sample, Via, body_hash, throttle_backoff_ms};

/// Attempts per call when throttled (the first plus retries).
const MAX_THROTTLE_ATTEMPTS: u32 = 6;
pub use crate::domain::invoke::{MAX_CONCURRENCY, MAX_COUNT};

/// What to call. `Debug` never shows the token.
#[derive(Clone)]
#[allow(clippy::large_enum_variant)] // one per call or fan-out, never in bulk
pub enum Target {
    /// Lambda Invoke of `function` with `payload` (a synthesised proxy event).
    Lambda {
        client: aws_sdk_lambda::Client,
        function: String,
        payload: Arc<Vec<u8>>,
    },
    /// An HTTP request to the API at `base_url`, `token` in Authorization.
    Api {
        client: ApiClient,
        base_url: String,
        request: Request,
        token: Option<String>,
    },
}

pub use crate::domain::invoke::Outcome;

impl From<Invocation> for Outcome {
    fn from(i: Invocation) -> Self {
        Self {
            status: i.status,
            function_error: i.function_error,
            headers: Vec::new(),
            body: i.payload,
            log_tail: i.log_tail,
            report: i.report,
            latency_ms: i.latency_ms,
        }
    }
}

/// The target of a call: the one builder both faces use. `single`: one call (its log
/// tail is asked for); `now` is the clock of the synthesised event.
pub fn build_target(
    aws: &super::AwsContext,
    spec: CallSpec,
    single: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Target, String> {
    match spec.via {
        Via::Lambda => {
            let event = spec.lambda_event(now)?;
            let function = spec.function.ok_or("the stack has no function")?;
            Ok(Target::Lambda {
                client: lambda::client(aws, single),
                function,
                payload: Arc::new(serde_json::to_vec(&event).map_err(|e| e.to_string())?),
            })
        }
        Via::Api => Ok(Target::Api {
            client: ApiClient::new().map_err(|e| e.message)?,
            base_url: spec
                .base_url
                .ok_or("the stack has no ServiceEndpoint output (set [invoke] api_url)")?,
            request: spec.request,
            token: spec.token,
        }),
    }
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Lambda {
                function, payload, ..
            } => f
                .debug_struct("Lambda")
                .field("function", function)
                .field("payload_bytes", &payload.len())
                .finish_non_exhaustive(),
            Self::Api {
                base_url, request, ..
            } => f
                .debug_struct("Api")
                .field("base_url", base_url)
                .field("method", &request.method)
                .field("path", &request.path)
                .finish_non_exhaustive(),
        }
    }
}

impl Target {
    /// Makes one call.
    pub async fn call(&self) -> Result<Outcome, AwsError> {
        match self {
            Self::Lambda {
                client,
                function,
                payload,
            } => lambda::invoke(client, function, payload)
                .await
                .map(Into::into),
            Self::Api {
                client,
                base_url,
                request,
                token,
            } => {
                let r = client.call(base_url, request, token.as_deref()).await?;
                Ok(Outcome {
                    status: i32::from(r.status),
                    function_error: None,
                    headers: r.headers,
                    body: r.body,
                    log_tail: None,
                    report: None,
                    latency_ms: r.latency_ms,
                })
            }
        }
    }

    /// One call of a fan-out, retried with backoff while throttled (429 or
    /// TooManyRequestsException); never fails, the failure is in the sample.
    pub async fn sample(&self, cancel: &CancellationToken) -> Sample {
        let mut throttled = 0;
        loop {
            let res = self.call().await;
            let is_throttle = match &res {
                Ok(o) => o.status == 429,
                Err(e) => e.kind == ErrorKind::Throttled,
            };
            if is_throttle && throttled + 1 < MAX_THROTTLE_ATTEMPTS && !cancel.is_cancelled() {
                throttled += 1;
                let jitter = f64::from(rand_u16()) / 65_536.0;
                let wait = std::time::Duration::from_millis(throttle_backoff_ms(throttled, jitter));
                tokio::select! {
                    () = tokio::time::sleep(wait) => continue,
                    () = cancel.cancelled() => {}
                }
            }
            return match res {
                Ok(o) => Sample {
                    latency_ms: o.latency_ms,
                    error: o.is_error(),
                    throttled: throttled + u32::from(is_throttle),
                    cold_start: o
                        .report
                        .as_ref()
                        .is_some_and(crate::domain::report::Report::is_cold_start),
                    body_hash: Some(body_hash(&o.body)),
                },
                Err(e) => {
                    tracing::debug!(error = %e, "fan-out call failed");
                    Sample {
                        latency_ms: 0.0,
                        error: true,
                        throttled: throttled + u32::from(is_throttle),
                        cold_start: false,
                        body_hash: None,
                    }
                }
            };
        }
    }
}

fn rand_u16() -> u16 {
    let mut b = [0u8; 2];
    let _ = getrandom::fill(&mut b);
    u16::from_be_bytes(b)
}

/// Runs `count` calls at most `concurrency` at a time, reporting each sample to
/// `on_sample` as it lands; stops starting calls once `cancel` fires.
pub async fn fan_out(
    target: &Target,
    count: usize,
    concurrency: usize,
    cancel: &CancellationToken,
    mut on_sample: impl FnMut(&Sample),
) -> Vec<Sample> {
    let count = count.min(MAX_COUNT);
    let concurrency = concurrency.clamp(1, MAX_CONCURRENCY);
    let mut stream = futures::stream::iter(0..count)
        .take_while(|_| std::future::ready(!cancel.is_cancelled()))
        .map(|_| target.sample(cancel))
        .buffer_unordered(concurrency);
    let mut samples = Vec::with_capacity(count);
    loop {
        tokio::select! {
            next = stream.next() => match next {
                Some(s) => {
                    on_sample(&s);
                    samples.push(s);
                }
                None => break,
            },
            () = cancel.cancelled() => break,
        }
    }
    samples
}
