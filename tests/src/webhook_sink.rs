//! A webhook receiver for tests: answers each request as its script says (a status, or a stall past the
//! sender's timeout), then 200; records every request with its idempotency key, whether its HMAC signature
//! verified, and what it answered.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use shockwave_alerter::delivery::webhook::{Secret, verify};

/// How to answer one request.
#[derive(Debug, Clone, Copy)]
pub enum Reply {
    Status(u16),
    Stall(Duration),
}

#[derive(Debug, Clone)]
pub struct Received {
    pub idempotency_key: String,
    pub signature_ok: bool,
    pub answered: u16,
    pub body: serde_json::Value,
}

#[derive(Clone)]
struct Sink {
    secret: Secret,
    script: Arc<Mutex<VecDeque<Reply>>>,
    received: Arc<Mutex<Vec<Received>>>,
}

async fn receive(State(sink): State<Sink>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let timestamp: i64 = header("x-shockwave-timestamp").parse().unwrap_or(0);
    let signature_ok = verify(
        &sink.secret,
        timestamp,
        &header("idempotency-key"),
        &body,
        &header("x-shockwave-signature"),
        chrono::Utc::now().timestamp(),
    );
    let reply = sink
        .script
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or(Reply::Status(200));
    let answered = match reply {
        Reply::Status(code) => code,
        // Recorded as no answer (0) before the stall: the sender gives up and drops the connection, which
        // cancels this handler.
        Reply::Stall(_) => 0,
    };
    sink.received.lock().unwrap().push(Received {
        idempotency_key: header("idempotency-key"),
        signature_ok,
        answered,
        body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
    });
    if let Reply::Stall(time) = reply {
        tokio::time::sleep(time).await;
    }
    StatusCode::from_u16(answered).unwrap_or(StatusCode::OK)
}

/// A running receiver.
pub struct WebhookSink {
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl WebhookSink {
    /// Listens on `addr` (port 0 for any) and follows `script`.
    pub async fn start(addr: SocketAddr, secret: &str, script: Vec<Reply>) -> WebhookSink {
        let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let sink = Sink {
            secret: Secret::new(secret.into()),
            script: Arc::new(Mutex::new(script.into())),
            received: received.clone(),
        };
        let app = axum::Router::new()
            .route("/hook", post(receive))
            .with_state(sink);
        tokio::spawn(async move { axum::serve(listener, app).await });
        WebhookSink { url, received }
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Requests answered 2xx.
    pub fn accepted(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| (200..300).contains(&r.answered))
            .collect()
    }
}

/// A loopback address nobody listens on (yet).
pub fn free_addr() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}
