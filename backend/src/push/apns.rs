//! Apple Push Notification service over HTTP/2 with a provider token.
//!
//! The provider token is an ES256 JWT (`kid` = key id, `iss` = team id, `iat`) signed with the
//! .p8 key; Apple refuses tokens older than an hour and throttles ones renewed more often than
//! every 20 minutes, so it is renewed after 50. Send: `POST {base}/3/device/{token}` with
//! `apns-topic` (the bundle id), `apns-push-type: alert`, `apns-priority`, `apns-expiration`.

use super::{Provider, Push, PushError, PushFuture, PushSettings, retry_after};
use crate::error::{Error, Result};
use crate::phrase::stored;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// The key, in the iOS app's `Localizable.strings`, of a reminder's title.
pub const REMINDER_TITLE_KEY: &str = "push.reminder_title";

/// The notification category of a message to acknowledge: the iOS app registers it with its
/// "Ознакомлен(а)" action (`SimoPush.ackCategory`).
pub const ACK_CATEGORY: &str = "SIMO_ACK";

const TOKEN_LIFETIME: Duration = Duration::from_secs(50 * 60);

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    iat: i64,
}

pub struct Apns {
    client: reqwest::Client,
    base: String,
    topic: String,
    key_id: String,
    team_id: String,
    key: EncodingKey,
    priority: u8,
    expiration: Duration,
    provider_token: Mutex<Option<(String, Instant)>>,
}

impl Apns {
    pub fn from_settings(s: &PushSettings) -> Result<Self> {
        for (value, name) in [
            (&s.apns_key_file, "SIMO_APNS_KEY_FILE"),
            (&s.apns_key_id, "SIMO_APNS_KEY_ID"),
            (&s.apns_team_id, "SIMO_APNS_TEAM_ID"),
            (&s.apns_topic, "SIMO_APNS_TOPIC"),
        ] {
            if value.is_empty() {
                return Err(Error::Config(format!(
                    "the apns push provider needs {name}"
                )));
            }
        }
        let pem = std::fs::read(&s.apns_key_file)
            .map_err(|e| Error::Config(format!("SIMO_APNS_KEY_FILE {}: {e}", s.apns_key_file)))?;
        let key = EncodingKey::from_ec_pem(&pem)
            .map_err(|e| Error::Config(format!("SIMO_APNS_KEY_FILE: not a .p8 key: {e}")))?;
        // APNs speaks HTTP/2 only: over TLS it is negotiated, over plain HTTP (a test double)
        // it must be assumed.
        let client = reqwest::Client::builder()
            .timeout(s.timeout)
            .http2_prior_knowledge()
            .build()
            .map_err(|e| Error::Config(format!("APNs HTTP client: {e}")))?;
        Ok(Self {
            client,
            base: s.apns_base_url.clone(),
            topic: s.apns_topic.clone(),
            key_id: s.apns_key_id.clone(),
            team_id: s.apns_team_id.clone(),
            key,
            priority: s.apns_priority,
            expiration: s.apns_expiration,
            provider_token: Mutex::new(None),
        })
    }

    async fn provider_token(&self) -> Result<String, PushError> {
        let mut cached = self.provider_token.lock().await;
        if let Some((token, until)) = &*cached
            && Instant::now() < *until
        {
            return Ok(token.clone());
        }
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.key_id.clone());
        let claims = Claims {
            iss: &self.team_id,
            iat: chrono::Utc::now().timestamp(),
        };
        let token =
            jsonwebtoken::encode(&header, &claims, &self.key).map_err(|e| PushError::Rejected {
                reason: format!("JWT: {e}"),
            })?;
        *cached = Some((token.clone(), Instant::now() + TOKEN_LIFETIME));
        tracing::debug!("APNs provider token renewed");
        Ok(token)
    }

    fn payload(push: &Push) -> Value {
        if push.recall {
            // A background push: it shows nothing and wakes the app to delete the message.
            return json!({
                "aps": { "content-available": 1 },
                "recalled": push.message_id.to_string(),
            });
        }
        let mut payload = json!({
            "aps": {
                "alert": { "title": push.title, "body": push.preview() },
                "sound": "default",
                // Runs the app's Notification Service Extension, which stores the message
                // for offline reading even when the app is not running.
                "mutable-content": 1,
            },
            "messageid": push.message_id.to_string(),
            "createdate": push.createdate,
        });
        if push.ack_required {
            // The category the app registers with its "Ознакомлен(а)" action; the flag is for
            // the core, which reads the payload as FCM's, strings.
            payload["aps"]["category"] = json!(ACK_CATEGORY);
            payload["requireack"] = json!("1");
        }
        if push.reminder {
            // The system shows the alert itself: its title is worded from the app's strings
            // in the phone's language ("Напоминание: %@", the message's title put in).
            payload["aps"]["alert"] = json!({
                "title-loc-key": REMINDER_TITLE_KEY,
                "title-loc-args": [push.title],
                "body": push.preview(),
            });
            payload["reminder"] = json!("1");
        }
        payload
    }

    async fn send_once(&self, push: &Push) -> Result<(), PushError> {
        let jwt = self.provider_token().await?;
        let expiration = chrono::Utc::now().timestamp() + self.expiration.as_secs() as i64;
        let resp = self
            .client
            .post(format!("{}/3/device/{}", self.base, push.token))
            .header("authorization", format!("bearer {jwt}"))
            .header("apns-topic", &self.topic)
            // Apple takes background pushes only at priority 5.
            .header(
                "apns-push-type",
                if push.recall { "background" } else { "alert" },
            )
            .header(
                "apns-priority",
                if push.recall { 5 } else { self.priority }.to_string(),
            )
            .header("apns-expiration", expiration.to_string())
            .json(&Self::payload(push))
            .send()
            .await
            .map_err(|e| PushError::transient(stored::NETWORK.fill(&[&e.to_string()])))?;
        let status = resp.status().as_u16();
        if status == 200 {
            return Ok(());
        }
        let retry = retry_after(resp.headers());
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        let reason = body["reason"].as_str().unwrap_or_default().to_owned();
        if matches!(
            reason.as_str(),
            "ExpiredProviderToken" | "InvalidProviderToken"
        ) {
            *self.provider_token.lock().await = None;
        }
        Err(classify(status, &reason, retry))
    }
}

/// Sorts an APNs error answer (`{"reason": …}`) into retry, dead token or refusal.
fn classify(status: u16, reason: &str, retry: Option<Duration>) -> PushError {
    let text = format!("{status} {reason}").trim().to_owned();
    match (status, reason) {
        (410, _) | (_, "BadDeviceToken" | "Unregistered") => PushError::DeadToken { reason: text },
        (429 | 500..=599, _) | (403, "ExpiredProviderToken" | "InvalidProviderToken") => {
            PushError::Transient {
                reason: text,
                retry_after: retry,
            }
        }
        _ => PushError::Rejected { reason: text },
    }
}

impl Provider for Apns {
    fn name(&self) -> &'static str {
        "APNs"
    }

    fn send<'a>(&'a self, push: &'a Push) -> PushFuture<'a> {
        Box::pin(self.send_once(push))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apns_answers_are_sorted() {
        assert!(matches!(
            classify(410, "Unregistered", None),
            PushError::DeadToken { .. }
        ));
        assert!(matches!(
            classify(400, "BadDeviceToken", None),
            PushError::DeadToken { .. }
        ));
        assert!(matches!(
            classify(400, "PayloadTooLarge", None),
            PushError::Rejected { .. }
        ));
        assert!(matches!(
            classify(403, "ExpiredProviderToken", None),
            PushError::Transient { .. }
        ));
        assert!(matches!(
            classify(429, "TooManyRequests", None),
            PushError::Transient { .. }
        ));
        assert!(matches!(
            classify(503, "ServiceUnavailable", None),
            PushError::Transient { .. }
        ));
    }
}
