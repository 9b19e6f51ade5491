//! A live-tail front between protoctl and the emulator: StartLiveTail is answered here as
//! CloudWatch Logs does it (an event stream of `sessionStart` then `sessionUpdate` events,
//! kept open), everything else is forwarded. The emulator sends one update and ends the
//! session; the front sends several, marks one `sampled`, keeps the first session open so
//! that the follow engine renews it, and ends the second so that it falls back to polling.

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::{Request, Response};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

use crate::cfn_front::{Http, forward};

/// One `sessionUpdate`: `(log stream, message, timestamp ms)` events, and whether the
/// service says it sampled them.
#[derive(Debug, Clone)]
pub struct Update {
    pub events: Vec<(String, String, i64)>,
    pub sampled: bool,
}

/// One session: its updates, then whether the stream stays open (until the client leaves).
#[derive(Debug, Clone)]
pub struct Session {
    pub updates: Vec<Update>,
    pub stay_open: bool,
}

/// A running front; it stops when dropped.
pub struct LiveTailFront {
    pub url: String,
    /// StartLiveTail sessions opened so far.
    pub sessions: Arc<AtomicUsize>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for LiveTailFront {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

type Body = BoxBody<Bytes, Infallible>;

struct Shared {
    client: Http,
    upstream: String,
    plan: Mutex<Vec<Session>>,
    sessions: Arc<AtomicUsize>,
}

/// Starts a front forwarding to `upstream`; the n-th StartLiveTail plays `plan[n]` (a
/// session past the plan sends nothing and stays open).
pub fn start(upstream: &str, plan: Vec<Session>) -> LiveTailFront {
    let sessions = Arc::new(AtomicUsize::new(0));
    let shared = Arc::new(Shared {
        client: Client::builder(TokioExecutor::new()).build_http(),
        upstream: upstream.trim_end_matches('/').to_owned(),
        plan: Mutex::new(plan),
        sessions: Arc::clone(&sessions),
    });
    let (runtime, url) = crate::cfn_front::serve(move |req| {
        let shared = Arc::clone(&shared);
        async move { handle(req, &shared).await }
    });
    LiveTailFront {
        url,
        sessions,
        runtime: Some(runtime),
    }
}

async fn handle(req: Request<Incoming>, shared: &Shared) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    let live = parts
        .headers
        .get("x-amz-target")
        .is_some_and(|v| v.as_bytes().ends_with(b".StartLiveTail"));
    if !live {
        let (status, headers, bytes) =
            forward(&shared.client, &shared.upstream, &parts, body).await;
        let mut resp = Response::new(Full::new(bytes).boxed());
        *resp.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
        *resp.headers_mut() = headers;
        return resp;
    }
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let group = request["logGroupIdentifiers"][0]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let n = shared.sessions.fetch_add(1, Ordering::SeqCst);
    let session = shared
        .plan
        .lock()
        .unwrap()
        .get(n)
        .cloned()
        .unwrap_or(Session {
            updates: Vec::new(),
            stay_open: true,
        });
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(16);
    tokio::spawn(async move {
        let start = json!({
            "requestId": format!("front-{n}"),
            "sessionId": format!("session-{n}"),
            "logGroupIdentifiers": [group],
        });
        if tx.send(event("sessionStart", &start)).await.is_err() {
            return;
        }
        for update in session.updates {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let results: Vec<Value> = update
                .events
                .iter()
                .map(|(stream, message, ts)| {
                    json!({
                        "logGroupIdentifier": group,
                        "logStreamName": stream,
                        "message": message,
                        "timestamp": ts,
                        "ingestionTime": ts + 5,
                    })
                })
                .collect();
            let body = json!({
                "sessionMetadata": {"sampled": update.sampled},
                "sessionResults": results,
            });
            if tx.send(event("sessionUpdate", &body)).await.is_err() {
                return;
            }
        }
        if session.stay_open {
            tx.closed().await;
        }
    });
    let frames = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|b| (Ok::<_, Infallible>(Frame::data(b)), rx))
    });
    let mut resp = Response::new(StreamBody::new(frames).boxed());
    resp.headers_mut().insert(
        "content-type",
        "application/vnd.amazon.eventstream".parse().unwrap(),
    );
    resp
}

/// One event-stream message (the `application/vnd.amazon.eventstream` framing): prelude
/// with lengths and its CRC-32, string headers, the JSON payload, the message's CRC-32.
fn event(event_type: &str, payload: &Value) -> Bytes {
    let payload = payload.to_string().into_bytes();
    let mut headers = Vec::new();
    for (name, value) in [
        (":message-type", "event"),
        (":event-type", event_type),
        (":content-type", "application/json"),
    ] {
        headers.push(u8::try_from(name.len()).unwrap());
        headers.extend_from_slice(name.as_bytes());
        headers.push(7);
        headers.extend_from_slice(&u16::try_from(value.len()).unwrap().to_be_bytes());
        headers.extend_from_slice(value.as_bytes());
    }
    let total = 12 + headers.len() + payload.len() + 4;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&u32::try_from(total).unwrap().to_be_bytes());
    out.extend_from_slice(&u32::try_from(headers.len()).unwrap().to_be_bytes());
    let prelude_crc = crc32(&out);
    out.extend_from_slice(&prelude_crc.to_be_bytes());
    out.extend_from_slice(&headers);
    out.extend_from_slice(&payload);
    let message_crc = crc32(&out);
    out.extend_from_slice(&message_crc.to_be_bytes());
    Bytes::from(out)
}

/// CRC-32 (IEEE), bit by bit.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFF_u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use protoctl::aws::logs::{self, FollowOptions, TailMode, TailMsg};
    use protoctl::domain::logbuf::LogBuffer;
    use protoctl::domain::stack::StackResource;
    use tokio_util::sync::CancellationToken;

    use super::*;
    use crate::support::{aws, endpoint};

    #[test]
    fn crc32_matches_the_reference_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn several_updates_a_sampled_one_a_renewal_and_an_ended_session() {
        let real = aws().await;
        let group = format!(
            "/protoctl-test/live-front-{}",
            protoctl::aws::audit::random_id()
        );
        real.logs()
            .create_log_group()
            .log_group_name(&group)
            .send()
            .await
            .unwrap();
        let now = chrono::Utc::now().timestamp_millis();
        let line = |n: i64, text: &str| ("s1".to_owned(), text.to_owned(), now + n);
        let plan = vec![
            Session {
                updates: vec![
                    Update {
                        events: vec![line(1, "one")],
                        sampled: false,
                    },
                    Update {
                        events: vec![line(2, "two"), line(3, "three")],
                        sampled: true,
                    },
                    Update {
                        events: vec![line(4, "four")],
                        sampled: false,
                    },
                ],
                stay_open: true,
            },
            Session {
                updates: vec![Update {
                    events: vec![line(4, "four"), line(5, "five")],
                    sampled: false,
                }],
                stay_open: false,
            },
        ];
        let front = start(&endpoint(), plan);
        let ctx = protoctl::aws::AwsContext::load(&protoctl::aws::AwsOptions {
            endpoint_url: Some(front.url.clone()),
            region: Some("us-east-1".into()),
            ..Default::default()
        })
        .await
        .unwrap();
        let groups = logs::stack_log_groups(
            &ctx,
            "no-such-stack",
            &[StackResource {
                logical_id: "FrontLogGroup".into(),
                physical_id: Some(group.clone()),
                resource_type: "AWS::Logs::LogGroup".into(),
                status: "CREATE_COMPLETE".into(),
                stack_path: "no-such-stack".into(),
            }],
        )
        .await
        .unwrap();
        assert_eq!(groups.len(), 1);

        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let cancel = CancellationToken::new();
        let mut opts = FollowOptions::new(now - 1_000, None);
        opts.interval = Duration::from_millis(150);
        opts.session_limit = Duration::from_millis(1_500);
        let c = cancel.clone();
        tokio::spawn(async move { logs::follow(&ctx, &groups, &opts, &c, &tx).await });

        let mut buf = LogBuffer::new(100);
        let mut shown: BTreeMap<String, usize> = BTreeMap::new();
        let (mut modes, mut sampled) = (Vec::new(), Vec::new());
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while !modes.iter().any(|m| matches!(m, TailMode::Polling { .. })) {
            let msg = tokio::time::timeout_at(deadline, rx.recv())
                .await
                .expect("timed out waiting for the tail")
                .expect("tail ended");
            match msg {
                TailMsg::Events(batch) => {
                    buf.ingest_with(batch, |e| {
                        *shown.entry(e.message.clone()).or_default() += 1;
                    });
                }
                TailMsg::Mode(m) => modes.push(m),
                TailMsg::Sampled(s) => sampled.push(s),
                TailMsg::Warning(_) => {}
            }
        }
        cancel.cancel();
        assert_eq!(front.sessions.load(Ordering::SeqCst), 2, "{modes:?}");
        assert!(
            matches!(modes[0], TailMode::Live { sessions: 1 }),
            "{modes:?}"
        );
        assert!(
            matches!(modes[1], TailMode::Live { sessions: 1 }),
            "renewed: {modes:?}"
        );
        assert!(
            matches!(&modes[2], TailMode::Polling { reason } if reason.contains("ended")),
            "{modes:?}"
        );
        assert_eq!(sampled, [false, true, false, false]);
        let once: BTreeMap<String, usize> = ["five", "four", "one", "three", "two"]
            .iter()
            .map(|m| ((*m).to_owned(), 1))
            .collect();
        assert_eq!(shown, once, "each line once, across the renewal");
    }
}
