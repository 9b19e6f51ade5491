//! A CloudFormation front between protoctl and the emulator: everything is forwarded, but
//! DeleteStack behaves as AWS documents where moto does not. It can fail a chosen resource
//! (the stack goes to DELETE_FAILED with the resource's event and reason, as AWS reports
//! them; a retry with `RetainResources` naming it is forwarded), refuse DeleteStack while
//! termination protection is on (the front turns it on, as a colleague might in the window
//! between protoctl's last guard and its call; the emulator has no UpdateTerminationProtection), or never answer DeleteStack at all.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

/// The resource whose delete fails, and the reason CloudFormation gives.
#[derive(Debug, Clone)]
pub struct FailOn {
    pub logical_id: String,
    pub resource_type: String,
    pub reason: String,
}

/// What the front does to DeleteStack.
#[derive(Debug, Clone, Default)]
pub struct FrontPlan {
    pub fail: Option<FailOn>,
    /// Turn termination protection on when DeleteStack arrives, then refuse it as AWS does.
    pub protect_on_delete: bool,
    /// Never answer DeleteStack.
    pub hang_delete: bool,
}

#[derive(Default)]
struct State {
    /// The stack (by id) that is in DELETE_FAILED, and when it failed.
    failed: Option<(String, String)>,
    /// The stack (by id) whose termination protection the front turned on.
    protected: Option<String>,
}

/// A running front; it stops when dropped.
pub struct Front {
    pub url: String,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for Front {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

pub(crate) type Http = Client<HttpConnector, Full<Bytes>>;

/// Starts a front forwarding to `upstream`.
pub fn start(upstream: &str, plan: FrontPlan) -> Front {
    let upstream: Arc<str> = Arc::from(upstream.trim_end_matches('/'));
    let client: Http = Client::builder(TokioExecutor::new()).build_http();
    let state = Arc::new(Mutex::new(State::default()));
    let plan = Arc::new(plan);
    let (runtime, url) = serve(move |req| {
        let (client, upstream, state, plan) = (
            client.clone(),
            Arc::clone(&upstream),
            Arc::clone(&state),
            Arc::clone(&plan),
        );
        async move { handle(req, &client, &upstream, &plan, &state).await }
    });
    Front {
        url,
        runtime: Some(runtime),
    }
}

/// Serves HTTP/1 on a free 127.0.0.1 port, on a runtime of its own: every request is answered
/// by `handle`. Returns the runtime (dropping it stops the server) and the server's URL.
pub(crate) fn serve<F, Fut, B>(handle: F) -> (tokio::runtime::Runtime, String)
where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Response<B>> + Send + 'static,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("front runtime");
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind front");
    std_listener.set_nonblocking(true).unwrap();
    let addr: SocketAddr = std_listener.local_addr().unwrap();
    let listener = {
        let _inside = runtime.enter();
        TcpListener::from_std(std_listener).expect("front listener")
    };
    runtime.spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let handle = handle.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<Incoming>| {
                    let answer = handle(req);
                    async move { Ok::<_, Infallible>(answer.await) }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (runtime, format!("http://{addr}"))
}

/// The form parameters of a query-protocol request.
fn form(body: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(body);
    text.split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("00");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn param<'a>(params: &'a [(String, String)], key: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn xml(status: u16, body: String) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
    resp.headers_mut()
        .insert("content-type", "text/xml".parse().unwrap());
    resp
}

pub(crate) async fn forward(
    client: &Http,
    upstream: &str,
    parts: &hyper::http::request::Parts,
    body: Bytes,
) -> (u16, hyper::HeaderMap, Bytes) {
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
    let resp = client
        .request(fwd.body(Full::new(body)).unwrap())
        .await
        .expect("upstream");
    let (rparts, rbody) = resp.into_parts();
    let bytes = rbody.collect().await.unwrap().to_bytes();
    (rparts.status.as_u16(), rparts.headers, bytes)
}

async fn handle(
    req: Request<Incoming>,
    client: &Http,
    upstream: &str,
    plan: &FrontPlan,
    state: &Mutex<State>,
) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    let params = form(&body);
    let action = param(&params, "Action").unwrap_or_default().to_owned();
    if action == "DeleteStack" {
        let stack = param(&params, "StackName").unwrap_or_default().to_owned();
        if plan.hang_delete {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        if plan.protect_on_delete {
            // The emulator has no UpdateTerminationProtection: the front keeps the switch.
            state.lock().unwrap().protected = Some(stack.clone());
            return xml(
                400,
                format!(
                    "<ErrorResponse xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack [{stack}] cannot be deleted while TerminationProtection is enabled</Message></Error><RequestId>front</RequestId></ErrorResponse>"
                ),
            );
        }
        if let Some(fail) = &plan.fail {
            let retained = params
                .iter()
                .any(|(k, v)| k.starts_with("RetainResources.member.") && *v == fail.logical_id);
            if !retained {
                let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
                state.lock().unwrap().failed = Some((stack, now));
                return xml(
                    200,
                    "<DeleteStackResponse xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\"><ResponseMetadata><RequestId>front</RequestId></ResponseMetadata></DeleteStackResponse>".into(),
                );
            }
            state.lock().unwrap().failed = None;
        }
    }
    let (status, headers, bytes) = forward(client, upstream, &parts, body).await;
    let (failed, protected) = {
        let st = state.lock().unwrap();
        (st.failed.clone(), st.protected.clone())
    };
    let mut text = String::from_utf8_lossy(&bytes).into_owned();
    if let Some(id) = protected.filter(|_| action == "DescribeStacks") {
        text = protected_stacks(&text, &id);
    }
    let rewritten = match (&plan.fail, failed) {
        (Some(fail), Some((id, at))) if status == 200 => match action.as_str() {
            "DescribeStacks" => Some(failed_stacks(&text, &id, fail)),
            "ListStackResources" => Some(failed_resources(&text, fail)),
            "DescribeStackEvents" if text.contains(&id) => {
                Some(failed_events(&text, &id, &at, fail))
            }
            _ => None,
        },
        _ => None,
    };
    let out = Bytes::from(rewritten.unwrap_or(text));
    let mut resp = Response::new(Full::new(out));
    *resp.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
    for (k, v) in &headers {
        if k != "content-length" && k != "transfer-encoding" {
            resp.headers_mut().insert(k, v.clone());
        }
    }
    resp
}

/// The protected stack's member of DescribeStacks with termination protection on.
fn protected_stacks(text: &str, id: &str) -> String {
    let marker = format!("<member><StackId>{id}</StackId>");
    let Some(start) = text.find(&marker) else {
        return text.to_owned();
    };
    let (head, member) = text.split_at(start);
    format!(
        "{head}{}",
        member.replacen(
            "<EnableTerminationProtection>false</EnableTerminationProtection>",
            "<EnableTerminationProtection>true</EnableTerminationProtection>",
            1
        )
    )
}

/// The failed stack's member of DescribeStacks in DELETE_FAILED with AWS's reason.
fn failed_stacks(text: &str, id: &str, fail: &FailOn) -> String {
    let marker = format!("<member><StackId>{id}</StackId>");
    let Some(start) = text.find(&marker) else {
        return text.to_owned();
    };
    let (head, member) = text.split_at(start);
    let Some(s) = member.find("<StackStatus>") else {
        return text.to_owned();
    };
    let e = member[s..]
        .find("</StackStatus>")
        .map_or(s, |e| s + e + "</StackStatus>".len());
    format!(
        "{head}{}<StackStatus>DELETE_FAILED</StackStatus><StackStatusReason>The following resource(s) failed to delete: [{}]. </StackStatusReason>{}",
        &member[..s],
        fail.logical_id,
        &member[e..]
    )
}

/// The resources of the failed stack: the chosen one DELETE_FAILED, the others deleted.
fn failed_resources(text: &str, fail: &FailOn) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, part) in text.split("<member>").enumerate() {
        if i > 0 {
            out.push_str("<member>");
        }
        let status = if part.contains(&format!(
            "<LogicalResourceId>{}</LogicalResourceId>",
            fail.logical_id
        )) {
            "DELETE_FAILED"
        } else {
            "DELETE_COMPLETE"
        };
        match (
            part.find("<ResourceStatus>"),
            part.find("</ResourceStatus>"),
        ) {
            (Some(s), Some(e)) => {
                out.push_str(&part[..s]);
                out.push_str(&format!("<ResourceStatus>{status}</ResourceStatus>"));
                out.push_str(&part[e + "</ResourceStatus>".len()..]);
            }
            _ => out.push_str(part),
        }
    }
    out
}

/// The events of the delete, newest first, as AWS reports a failed resource.
fn failed_events(text: &str, id: &str, at: &str, fail: &FailOn) -> String {
    let name = id.split('/').nth(1).unwrap_or(id);
    let event = |n: u32, logical: &str, ty: &str, status: &str, reason: &str| {
        format!(
            "<member><StackId>{id}</StackId><EventId>front-{n}</EventId><StackName>{name}</StackName><LogicalResourceId>{logical}</LogicalResourceId><ResourceType>{ty}</ResourceType><Timestamp>{at}</Timestamp><ResourceStatus>{status}</ResourceStatus><ResourceStatusReason>{reason}</ResourceStatusReason></member>"
        )
    };
    let reason = fail
        .reason
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;");
    let events = [
        event(
            3,
            name,
            "AWS::CloudFormation::Stack",
            "DELETE_FAILED",
            &format!(
                "The following resource(s) failed to delete: [{}]. ",
                fail.logical_id
            ),
        ),
        event(
            2,
            &fail.logical_id,
            &fail.resource_type,
            "DELETE_FAILED",
            &reason,
        ),
        event(
            1,
            name,
            "AWS::CloudFormation::Stack",
            "DELETE_IN_PROGRESS",
            "User Initiated",
        ),
    ]
    .concat();
    text.replacen("<StackEvents>", &format!("<StackEvents>{events}"), 1)
}
