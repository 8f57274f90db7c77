//! Firebase Cloud Messaging, HTTP v1 API.
//!
//! Auth: an RS256 JWT signed with the service account's key is exchanged at the account's
//! `token_uri` for an OAuth2 access token (the "JWT bearer" grant), cached until shortly
//! before it expires. Send: `POST {base}/v1/projects/{project}/messages:send`.

use super::{Provider, Push, PushError, PushFuture, PushSettings, retry_after};
use crate::error::{Error, Result};
use crate::phrase::stored;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
const GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// A cached access token is renewed this long before Google says it expires.
const RENEW_MARGIN: Duration = Duration::from_secs(300);

/// The fields of a service-account JSON file that matter here.
#[derive(Deserialize)]
struct ServiceAccount {
    client_email: String,
    private_key: String,
    #[serde(default)]
    private_key_id: Option<String>,
    token_uri: String,
    #[serde(default)]
    project_id: Option<String>,
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    scope: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default = "default_expiry")]
    expires_in: u64,
}

fn default_expiry() -> u64 {
    3600
}

pub struct Fcm {
    client: reqwest::Client,
    send_url: String,
    client_email: String,
    key_id: Option<String>,
    token_uri: String,
    key: EncodingKey,
    access: Mutex<Option<(String, Instant)>>,
}

impl Fcm {
    pub fn from_settings(s: &PushSettings, client: reqwest::Client) -> Result<Self> {
        if s.fcm_service_account.is_empty() {
            return Err(Error::Config(
                "SIMO_PUSH_PROVIDER=fcm needs SIMO_FCM_SERVICE_ACCOUNT (path to the JSON key)"
                    .into(),
            ));
        }
        let raw = std::fs::read_to_string(&s.fcm_service_account).map_err(|e| {
            Error::Config(format!(
                "SIMO_FCM_SERVICE_ACCOUNT {}: {e}",
                s.fcm_service_account
            ))
        })?;
        let account: ServiceAccount = serde_json::from_str(&raw).map_err(|e| {
            Error::Config(format!(
                "SIMO_FCM_SERVICE_ACCOUNT: not a service-account JSON: {e}"
            ))
        })?;
        let key = EncodingKey::from_rsa_pem(account.private_key.as_bytes())
            .map_err(|e| Error::Config(format!("SIMO_FCM_SERVICE_ACCOUNT: private_key: {e}")))?;
        let project = match (&*s.fcm_project_id, &account.project_id) {
            ("", Some(p)) => p.clone(),
            ("", None) => {
                return Err(Error::Config(
                    "SIMO_FCM_PROJECT_ID is required: the service account names no project_id"
                        .into(),
                ));
            }
            (p, _) => p.to_owned(),
        };
        Ok(Self {
            client,
            send_url: format!("{}/v1/projects/{project}/messages:send", s.fcm_base_url),
            client_email: account.client_email,
            key_id: account.private_key_id,
            token_uri: account.token_uri,
            key,
            access: Mutex::new(None),
        })
    }

    /// The cached access token, or a fresh one. The lock makes concurrent pushes wait for one
    /// exchange instead of each starting its own.
    async fn access_token(&self) -> Result<String, PushError> {
        let mut cached = self.access.lock().await;
        if let Some((token, until)) = &*cached
            && Instant::now() < *until
        {
            return Ok(token.clone());
        }
        let now = chrono::Utc::now().timestamp();
        let mut header = Header::new(Algorithm::RS256);
        header.kid = self.key_id.clone();
        let claims = Claims {
            iss: &self.client_email,
            scope: SCOPE,
            aud: &self.token_uri,
            iat: now,
            exp: now + 3600,
        };
        let assertion =
            jsonwebtoken::encode(&header, &claims, &self.key).map_err(|e| PushError::Rejected {
                reason: format!("JWT: {e}"),
            })?;
        let resp = self
            .client
            .post(&self.token_uri)
            .form(&[("grant_type", GRANT), ("assertion", assertion.as_str())])
            .send()
            .await
            .map_err(|e| PushError::transient(format!("OAuth: {e}")))?;
        let status = resp.status();
        if !status.is_success() {
            let retry = retry_after(resp.headers());
            let body = resp.text().await.unwrap_or_default();
            return Err(PushError::Transient {
                reason: stored::OAUTH_STATUS
                    .fill(&[&status.to_string(), &crate::domain::shortened(&body, 200)]),
                retry_after: retry,
            });
        }
        let answer: TokenAnswer = resp
            .json()
            .await
            .map_err(|e| PushError::transient(stored::OAUTH_MALFORMED.fill(&[&e.to_string()])))?;
        let lifetime = Duration::from_secs(answer.expires_in).saturating_sub(RENEW_MARGIN);
        *cached = Some((answer.access_token.clone(), Instant::now() + lifetime));
        tracing::debug!(expires_in = answer.expires_in, "FCM access token renewed");
        Ok(answer.access_token)
    }

    fn payload(push: &Push) -> Value {
        let id = push.message_id.to_string();
        if push.recall {
            // Data only: nothing for the system to show, the app's service deletes the message.
            // At normal priority: Android deprioritizes an app whose high-priority messages
            // show nothing, and a recall can wait for the phone to wake.
            return json!({
                "message": {
                    "token": push.token,
                    "data": { "recalled": id },
                    "android": { "priority": "NORMAL" },
                }
            });
        }
        // Data only, at high priority: Android then hands every push to the app's service,
        // in the background too, which stores the message for offline reading before it
        // shows the notification itself, under the message's ID, so that a recall can take
        // it back. With a `notification` block the system would show it unseen by the app.
        let mut message = json!({
            "message": {
                "token": push.token,
                "data": {
                    "messageid": id,
                    "title": push.title,
                    "message": push.preview(),
                    "createdate": push.createdate,
                },
                "android": { "priority": "HIGH" },
            }
        });
        if push.ack_required {
            // FCM takes string values only; absent means no.
            message["message"]["data"]["requireack"] = json!("1");
        }
        if push.reminder {
            // The app words the notification ("Напоминание: …") in the phone's language.
            message["message"]["data"]["reminder"] = json!("1");
        }
        message
    }

    async fn send_once(&self, push: &Push) -> Result<(), PushError> {
        let token = self.access_token().await?;
        let resp = self
            .client
            .post(&self.send_url)
            .bearer_auth(token)
            .json(&Self::payload(push))
            .send()
            .await
            .map_err(|e| PushError::transient(stored::NETWORK.fill(&[&e.to_string()])))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(());
        }
        let retry = retry_after(resp.headers());
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        if status == reqwest::StatusCode::UNAUTHORIZED {
            // The access token was revoked or expired early: fetch a new one next time.
            *self.access.lock().await = None;
        }
        Err(classify(status.as_u16(), &body, retry))
    }
}

/// Sorts an FCM error answer into retry, dead token or refusal.
fn classify(status: u16, body: &Value, retry: Option<Duration>) -> PushError {
    let error = &body["error"];
    let message = error["message"].as_str().unwrap_or_default();
    let details = error["details"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let code = details
        .iter()
        .find_map(|d| d["errorCode"].as_str())
        .or_else(|| error["status"].as_str())
        .unwrap_or_default();
    let reason = format!("{status} {code} {message}").trim().to_owned();
    let about_token = details.iter().any(|d| {
        d["fieldViolations"]
            .as_array()
            .is_some_and(|v| v.iter().any(|f| f["field"] == "message.token"))
    }) || message.to_ascii_lowercase().contains("registration token");
    match (status, code) {
        (_, "UNREGISTERED") => PushError::DeadToken { reason },
        (_, "INVALID_ARGUMENT") if about_token => PushError::DeadToken { reason },
        (429 | 500..=599 | 401, _) | (_, "UNAVAILABLE" | "INTERNAL" | "QUOTA_EXCEEDED") => {
            PushError::Transient {
                reason,
                retry_after: retry,
            }
        }
        _ => PushError::Rejected { reason },
    }
}

impl Provider for Fcm {
    fn name(&self) -> &'static str {
        "FCM"
    }

    fn send<'a>(&'a self, push: &'a Push) -> PushFuture<'a> {
        Box::pin(self.send_once(push))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dead_tokens_are_told_from_other_errors() {
        let unregistered = json!({"error": {"code": 404, "status": "NOT_FOUND", "message": "Requested entity was not found.",
            "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": "UNREGISTERED"}]}});
        assert!(matches!(
            classify(404, &unregistered, None),
            PushError::DeadToken { .. }
        ));
        let bad_token = json!({"error": {"code": 400, "status": "INVALID_ARGUMENT",
            "message": "The registration token is not a valid FCM registration token",
            "details": [{"errorCode": "INVALID_ARGUMENT"}]}});
        assert!(matches!(
            classify(400, &bad_token, None),
            PushError::DeadToken { .. }
        ));
        let bad_payload = json!({"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": "Invalid JSON payload",
            "details": [{"errorCode": "INVALID_ARGUMENT"}]}});
        assert!(matches!(
            classify(400, &bad_payload, None),
            PushError::Rejected { .. }
        ));
        let busy = classify(429, &Value::Null, Some(Duration::from_secs(3)));
        assert_eq!(
            busy,
            PushError::Transient {
                reason: "429".into(),
                retry_after: Some(Duration::from_secs(3))
            }
        );
        assert!(matches!(
            classify(503, &Value::Null, None),
            PushError::Transient { .. }
        ));
    }
}
