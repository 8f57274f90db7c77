//! Fake APNs: `POST /3/device/{token}` over HTTP/2 without TLS (h2c, prior knowledge).

use super::{Behaviour, Failure, KEYS, answer, bind, serve};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use poem::web::{Data, Json, Path};
use poem::{EndpointExt, Request, Response, Route, handler, post};
use serde_json::{Value, json};

pub const KEY_ID: &str = "ABC123DEFG";
pub const TEAM_ID: &str = "DEF123GHIJ";
pub const TOPIC: &str = "ru.simo.app";

pub struct FakeApns {
    pub base_url: String,
    pub behaviour: Behaviour,
}

impl FakeApns {
    pub async fn start() -> Self {
        let behaviour = Behaviour::default();
        let (acceptor, port) = bind().await;
        let app = Route::new()
            .at("/3/device/:token", post(push))
            .data(behaviour.clone());
        serve(acceptor, app);
        Self {
            base_url: format!("http://127.0.0.1:{port}"),
            behaviour,
        }
    }

    /// The settings that point SiMO at this fake.
    pub fn configure(&self, s: &mut simo_backend::config::Settings) {
        s.apply("push_provider", "apns").unwrap();
        s.apply("apns_base_url", &self.base_url).unwrap();
        s.apply("apns_key_file", &format!("{KEYS}/apns-test-key.p8"))
            .unwrap();
        s.apply("apns_key_id", KEY_ID).unwrap();
        s.apply("apns_team_id", TEAM_ID).unwrap();
        s.apply("apns_topic", TOPIC).unwrap();
    }
}

/// What APNs checks before it looks at the device token.
fn check_request(req: &Request, body: &Value) -> Result<(), String> {
    if req.version() != poem::http::Version::HTTP_2 {
        return Err(format!("HTTP version {:?}", req.version()));
    }
    let jwt = req
        .header("authorization")
        .and_then(|h| h.strip_prefix("bearer "))
        .ok_or("no bearer authorization")?;
    let key = std::fs::read(format!("{KEYS}/apns-test-key.pub.pem")).unwrap();
    let mut v = Validation::new(Algorithm::ES256);
    v.set_issuer(&[TEAM_ID]);
    v.set_required_spec_claims(&["iss", "iat"]);
    v.validate_exp = false;
    let data = jsonwebtoken::decode::<Value>(jwt, &DecodingKey::from_ec_pem(&key).unwrap(), &v)
        .map_err(|e| format!("JWT: {e}"))?;
    if data.header.kid.as_deref() != Some(KEY_ID) {
        return Err("JWT kid".into());
    }
    let iat = data.claims["iat"].as_i64().ok_or("JWT iat")?;
    if (chrono::Utc::now().timestamp() - iat).abs() > 3600 {
        return Err("JWT older than an hour".into());
    }
    // A recall is a background push: Apple takes it only with that type, at priority 5, with
    // `content-available` and no alert.
    let recall = body.get("recalled").is_some();
    let (push_type, priority) = if recall {
        ("background", "5")
    } else {
        ("alert", "10")
    };
    for (name, ok) in [
        ("apns-topic", req.header("apns-topic") == Some(TOPIC)),
        (
            "apns-push-type",
            req.header("apns-push-type") == Some(push_type),
        ),
        (
            "apns-priority",
            req.header("apns-priority") == Some(priority),
        ),
        (
            "apns-expiration",
            req.header("apns-expiration")
                .and_then(|e| e.parse::<i64>().ok())
                .is_some_and(|e| e > chrono::Utc::now().timestamp()),
        ),
    ] {
        if !ok {
            return Err(format!("header {name}"));
        }
    }
    if recall {
        if body["aps"]["content-available"] != 1 || !body["aps"]["alert"].is_null() {
            return Err(format!("payload {body}"));
        }
        return Ok(());
    }
    // `mutable-content` is ours, not Apple's rule: without it the app's Notification Service
    // Extension does not run, and the message is not stored until the app syncs.
    if alert_title(body).is_none()
        || body["aps"]["alert"]["body"].as_str().is_none()
        || body["aps"]["mutable-content"] != 1
    {
        return Err(format!("payload {body}"));
    }
    Ok(())
}

/// The alert's title: given, or (a reminder's) a key in the app's strings with its arguments,
/// the first of which is the message's title; either is Apple's protocol.
fn alert_title(body: &Value) -> Option<&str> {
    let alert = &body["aps"]["alert"];
    if let Some(title) = alert["title"].as_str() {
        return Some(title);
    }
    alert["title-loc-key"].as_str()?;
    let args = alert["title-loc-args"].as_array()?;
    if !args.iter().all(Value::is_string) {
        return None;
    }
    args.first()?.as_str()
}

fn reason(status: u16, reason: &str) -> Response {
    answer(Failure {
        status,
        body: json!({ "reason": reason }),
        retry_after: None,
    })
}

#[handler]
async fn push(
    req: &Request,
    Data(b): Data<&Behaviour>,
    Path(token): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    if let Some(f) = b.before_answer().await {
        return answer(f);
    }
    if let Err(what) = check_request(req, &body) {
        b.protocol_errors.lock().unwrap().push(what);
        return reason(403, "InvalidProviderToken");
    }
    if token.starts_with("dead-") {
        return answer(Failure {
            status: 410,
            body: json!({ "reason": "Unregistered", "timestamp": 1_700_000_000_000i64 }),
            retry_after: None,
        });
    }
    if token.starts_with("bad-") {
        return reason(400, "BadDeviceToken");
    }
    if let Some(recalled) = body["recalled"].as_str() {
        let Ok(id) = recalled.parse() else {
            b.protocol_errors
                .lock()
                .unwrap()
                .push(format!("payload {body}"));
            return reason(400, "BadMessageId");
        };
        b.accept_recall(id, &token, &body);
        return poem::Response::builder()
            .header("apns-id", uuid::Uuid::new_v4().to_string())
            .body(());
    }
    let Some(id) = body["messageid"].as_str().and_then(|i| i.parse().ok()) else {
        b.protocol_errors
            .lock()
            .unwrap()
            .push(format!("payload {body}"));
        return reason(400, "BadMessageId");
    };
    let title = alert_title(&body).unwrap_or_default();
    b.accept(id, &token, title, &body);
    poem::Response::builder()
        .header("apns-id", uuid::Uuid::new_v4().to_string())
        .body(())
}
