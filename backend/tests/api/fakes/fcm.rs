//! Fake FCM: the OAuth2 token endpoint of a service account and `messages:send` of HTTP v1.

use super::{Behaviour, Failure, KEYS, answer, bind, serve};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use poem::web::{Data, Form, Json, Path};
use poem::{EndpointExt, Request, Response, Route, handler, post};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

pub const PROJECT: &str = "simo-test";
pub const CLIENT_EMAIL: &str = "simo-push@simo-test.iam.gserviceaccount.com";

#[derive(Clone)]
struct Shared {
    behaviour: Behaviour,
    token_url: String,
    issued: Arc<Mutex<HashSet<String>>>,
    exchanges: Arc<AtomicUsize>,
}

pub struct FakeFcm {
    pub base_url: String,
    pub behaviour: Behaviour,
    /// A service-account JSON whose `token_uri` points at this fake.
    pub service_account: std::path::PathBuf,
    exchanges: Arc<AtomicUsize>,
    _dir: tempfile::TempDir,
}

impl FakeFcm {
    pub async fn start() -> Self {
        let behaviour = Behaviour::default();
        let (acceptor, port) = bind().await;
        let base_url = format!("http://127.0.0.1:{port}");
        let shared = Shared {
            behaviour: behaviour.clone(),
            token_url: format!("{base_url}/token"),
            issued: Default::default(),
            exchanges: Default::default(),
        };
        let exchanges = shared.exchanges.clone();
        let app = Route::new()
            .at("/token", post(oauth_token))
            .at("/v1/projects/:project/*rest", post(send))
            .data(shared);
        serve(acceptor, app);
        let dir = tempfile::tempdir().unwrap();
        let service_account = dir.path().join("service-account.json");
        let key = std::fs::read_to_string(format!("{KEYS}/fcm-test-key.pem")).unwrap();
        let json = json!({
            "type": "service_account",
            "project_id": PROJECT,
            "private_key_id": "test-key-1",
            "private_key": key,
            "client_email": CLIENT_EMAIL,
            "token_uri": format!("{base_url}/token"),
        });
        std::fs::write(&service_account, json.to_string()).unwrap();
        Self {
            base_url,
            behaviour,
            service_account,
            exchanges,
            _dir: dir,
        }
    }

    /// How many times the server exchanged a JWT for an access token.
    pub fn token_exchanges(&self) -> usize {
        self.exchanges.load(Ordering::SeqCst)
    }

    /// The settings that point SiMO at this fake.
    pub fn configure(&self, s: &mut simo_backend::config::Settings) {
        s.apply("push_provider", "fcm").unwrap();
        s.apply("fcm_base_url", &self.base_url).unwrap();
        s.apply(
            "fcm_service_account",
            self.service_account.to_str().unwrap(),
        )
        .unwrap();
    }
}

#[handler]
async fn oauth_token(Data(s): Data<&Shared>, Form(form): Form<Vec<(String, String)>>) -> Response {
    let field = |k: &str| {
        form.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    if field("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
        return answer(s.behaviour.protocol_error("grant_type".into()));
    }
    let key = std::fs::read(format!("{KEYS}/fcm-test-key.pub.pem")).unwrap();
    let mut v = Validation::new(Algorithm::RS256);
    v.set_audience(&[&s.token_url]);
    v.set_issuer(&[CLIENT_EMAIL]);
    let claims = match jsonwebtoken::decode::<Value>(
        field("assertion"),
        &DecodingKey::from_rsa_pem(&key).unwrap(),
        &v,
    ) {
        Ok(data) if data.header.kid.as_deref() == Some("test-key-1") => data.claims,
        Ok(_) => return answer(s.behaviour.protocol_error("JWT kid".into())),
        Err(e) => return answer(s.behaviour.protocol_error(format!("JWT: {e}"))),
    };
    if claims["scope"] != "https://www.googleapis.com/auth/firebase.messaging" {
        return answer(s.behaviour.protocol_error("JWT scope".into()));
    }
    let n = s.exchanges.fetch_add(1, Ordering::SeqCst);
    let access = format!("ya29.fake-{n}");
    s.issued.lock().unwrap().insert(access.clone());
    poem::IntoResponse::into_response(Json(
        json!({ "access_token": access, "expires_in": 3599, "token_type": "Bearer" }),
    ))
}

#[handler]
async fn send(
    req: &Request,
    Data(s): Data<&Shared>,
    Path((project, rest)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> Response {
    let b = &s.behaviour;
    if let Some(f) = b.before_answer().await {
        return answer(f);
    }
    if project != PROJECT || rest != "messages:send" {
        return answer(b.protocol_error(format!("path {project}/{rest}")));
    }
    let bearer = req
        .header("authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !s.issued.lock().unwrap().contains(bearer) {
        return answer(Failure {
            status: 401,
            body: json!({ "error": { "code": 401, "status": "UNAUTHENTICATED", "message": "bad token" } }),
            retry_after: None,
        });
    }
    let m = &body["message"];
    let token = m["token"].as_str().unwrap_or_default();
    // FCM takes only strings as data values (anything else is INVALID_ARGUMENT), and our app
    // needs data-only messages, so that its service gets every one, in the background too: a
    // `notification` block would be shown by the system, not the app. A message goes at high
    // priority; a recall, which shows nothing, at normal (Android deprioritizes apps whose
    // high-priority messages show nothing).
    let strings = m["data"]
        .as_object()
        .is_some_and(|d| d.values().all(Value::is_string));
    let recall = m["data"]["recalled"].is_string();
    let priority = if recall { "NORMAL" } else { "HIGH" };
    if !strings || !m["notification"].is_null() || m["android"]["priority"] != priority {
        return answer(b.protocol_error(format!("payload {body}")));
    }
    // A recall: data only (a notification block would show something), the id as a string.
    if let Some(recalled) = m["data"]["recalled"].as_str() {
        let Ok(id) = recalled.parse() else {
            return answer(b.protocol_error(format!("payload {body}")));
        };
        if m["data"].as_object().map(|d| d.len()) != Some(1) {
            return answer(b.protocol_error(format!("payload {body}")));
        }
        b.accept_recall(id, token, &m["data"]);
        return poem::IntoResponse::into_response(Json(
            json!({ "name": format!("projects/{PROJECT}/messages/r{id}") }),
        ));
    }
    let data = &m["data"];
    let id = data["messageid"].as_str().and_then(|i| i.parse().ok());
    let (Some(id), Some(title)) = (id, data["title"].as_str()) else {
        return answer(b.protocol_error(format!("payload {body}")));
    };
    if data["createdate"].as_str().is_none() || data["message"].as_str().is_none() {
        return answer(b.protocol_error(format!("payload {body}")));
    }
    if token.starts_with("dead-") {
        return answer(Failure {
            status: 404,
            body: json!({ "error": { "code": 404, "status": "NOT_FOUND", "message": "Requested entity was not found.",
                "details": [{ "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": "UNREGISTERED" }] } }),
            retry_after: None,
        });
    }
    if token.starts_with("bad-") {
        return answer(Failure {
            status: 400,
            body: json!({ "error": { "code": 400, "status": "INVALID_ARGUMENT",
                "message": "The registration token is not a valid FCM registration token",
                "details": [{ "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": "INVALID_ARGUMENT" }] } }),
            retry_after: None,
        });
    }
    b.accept(id, token, title, data);
    poem::IntoResponse::into_response(Json(
        json!({ "name": format!("projects/{PROJECT}/messages/{id}") }),
    ))
}
