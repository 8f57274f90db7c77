//! Fakes of the push providers, speaking their real protocols over real HTTP on loopback:
//! FCM HTTP v1 (OAuth token endpoint + send) and APNs (HTTP/2 without TLS). They verify the
//! JWT signatures against the test keys in `keys/` (made for these tests, trusted by nothing),
//! the headers and the payload, and can be told to fail, stall, throttle or call a token dead.
//!
//! Device tokens steer the answer: `dead-…` is unregistered, `bad-…` malformed.

#![allow(dead_code)] // The benchmark example includes these fakes and uses only some of them.

pub mod apns;
pub mod fcm;

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

// By way of the workspace root, so that the end-to-end crate (tests/), which includes these
// fakes too, finds the keys as well.
pub const KEYS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../backend/tests/api/fakes/keys"
);

/// One scripted failure: the status, the provider's error body and an optional Retry-After.
#[derive(Clone, Debug)]
pub struct Failure {
    pub status: u16,
    pub body: serde_json::Value,
    pub retry_after: Option<&'static str>,
}

/// A push the fake accepted.
#[derive(Clone, Debug)]
pub struct Receipt {
    pub message_id: i64,
    pub token: String,
    pub title: String,
    /// A recall push (`{"recalled": id}`, nothing shown) rather than the message.
    pub recall: bool,
    /// A reminder to acknowledge (`"reminder": "1"`) rather than the message's first push.
    pub reminder: bool,
    /// What the app is handed: an FCM message's `data`, an APNs notification's whole body.
    pub payload: serde_json::Value,
    pub at: Instant,
}

/// What both fakes share: what they received, and how they are told to misbehave.
#[derive(Clone, Default)]
pub struct Behaviour {
    pub receipts: Arc<Mutex<Vec<Receipt>>>,
    /// Every send request, accepted or not.
    pub requests: Arc<AtomicUsize>,
    /// Requests refused because a signature, header or payload was wrong.
    pub protocol_errors: Arc<Mutex<Vec<String>>>,
    /// Answer 503 to everything while set.
    pub down: Arc<AtomicBool>,
    /// Answered, in order, before anything else.
    pub script: Arc<Mutex<VecDeque<Failure>>>,
    /// Each answer waits this long first.
    pub delay: Arc<Mutex<Duration>>,
}

impl Behaviour {
    pub fn fail_next(&self, f: Failure) {
        self.script.lock().unwrap().push_back(f);
    }

    pub fn set_delay(&self, d: Duration) {
        *self.delay.lock().unwrap() = d;
    }

    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    pub fn receipts(&self) -> Vec<Receipt> {
        self.receipts.lock().unwrap().clone()
    }

    /// How many times each message was accepted.
    pub fn counts(&self) -> HashMap<i64, usize> {
        let mut out = HashMap::new();
        for r in self.receipts.lock().unwrap().iter() {
            *out.entry(r.message_id).or_insert(0) += 1;
        }
        out
    }

    pub fn protocol_errors(&self) -> Vec<String> {
        self.protocol_errors.lock().unwrap().clone()
    }

    fn protocol_error(&self, what: String) -> Failure {
        self.protocol_errors.lock().unwrap().push(what.clone());
        Failure {
            status: 400,
            body: serde_json::json!({ "error": { "code": 400, "message": what, "status": "FAKE_PROTOCOL_ERROR" } }),
            retry_after: None,
        }
    }

    /// Waits the configured delay, then the scripted or "down" failure, if any.
    async fn before_answer(&self) -> Option<Failure> {
        self.requests.fetch_add(1, Ordering::SeqCst);
        let delay = *self.delay.lock().unwrap();
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        if let Some(f) = self.script.lock().unwrap().pop_front() {
            return Some(f);
        }
        self.down.load(Ordering::SeqCst).then(|| Failure {
            status: 503,
            body: serde_json::json!({ "error": { "code": 503, "status": "UNAVAILABLE", "message": "down" }, "reason": "ServiceUnavailable" }),
            retry_after: None,
        })
    }

    fn accept(&self, message_id: i64, token: &str, title: &str, payload: &serde_json::Value) {
        self.record(message_id, token, title, false, payload);
    }

    fn accept_recall(&self, message_id: i64, token: &str, payload: &serde_json::Value) {
        self.record(message_id, token, "", true, payload);
    }

    fn record(
        &self,
        message_id: i64,
        token: &str,
        title: &str,
        recall: bool,
        payload: &serde_json::Value,
    ) {
        self.receipts.lock().unwrap().push(Receipt {
            message_id,
            token: token.to_owned(),
            title: title.to_owned(),
            recall,
            reminder: payload["reminder"] == "1",
            payload: payload.clone(),
            at: Instant::now(),
        });
    }

    /// The recall pushes accepted.
    pub fn recalls(&self) -> Vec<Receipt> {
        self.receipts().into_iter().filter(|r| r.recall).collect()
    }

    /// The reminders to acknowledge it accepted.
    pub fn reminders(&self) -> Vec<Receipt> {
        self.receipts().into_iter().filter(|r| r.reminder).collect()
    }
}

fn answer(f: Failure) -> poem::Response {
    let mut resp = poem::Response::builder()
        .status(poem::http::StatusCode::from_u16(f.status).unwrap())
        .content_type("application/json");
    if let Some(ra) = f.retry_after {
        resp = resp.header("retry-after", ra);
    }
    resp.body(f.body.to_string())
}

/// A loopback listener, bound before the app is built so the app can know its own address.
async fn bind() -> (poem::listener::TcpAcceptor, u16) {
    use poem::listener::{Acceptor, Listener, TcpListener};
    let acceptor = TcpListener::bind("127.0.0.1:0")
        .into_acceptor()
        .await
        .unwrap();
    let port = acceptor.local_addr()[0].as_socket_addr().unwrap().port();
    (acceptor, port)
}

/// Serves `app` (HTTP/1.1 and, with prior knowledge, HTTP/2 without TLS).
fn serve(acceptor: poem::listener::TcpAcceptor, app: impl poem::Endpoint + 'static) {
    tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(app));
}
