//! Delivery-status webhooks: the partner's system is told of each status its messages take
//! (sent, delivered, read, acknowledged, failed, no device) by signed POSTs, instead of polling for them.
//!
//! The events are queued by a trigger on the status history (migration 10), in the transaction
//! that changed the status, so none is lost and none is made up. A sender task here posts each
//! partner's waiting events in order, in batches, and deletes them once the endpoint answers
//! 2xx: at least once, retried with backoff while the endpoint fails, given up after the keep
//! time. Partners' endpoints are independent: one that fails delays only its own events.

mod address;
mod sender;

pub use address::{UrlProblem, WebhookUrl};
pub use sender::{Sender, SenderHandle};

use crate::config::{Knob, Settings};
use crate::domain::{Millis, TimeFormat, doubled_delay};
use crate::error::{Error, Result};
use crate::phrase::stored;
use crate::store::{MessageStatus, StaffHookEvent, StaffState, WebhookAttempt, WebhookEvent};
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;
use std::time::{Duration, Instant};

pub const WEBHOOK_KNOBS: &[Knob] = &[
    Knob {
        key: "webhook_poll_ms",
        default: "1000",
        help: "how often the webhook sender looks for status changes to post",
    },
    Knob {
        key: "webhook_batch",
        default: "100",
        help: "status changes in one POST to a partner's webhook",
    },
    Knob {
        key: "webhook_timeout_secs",
        default: "10",
        help: "timeout of one POST to a partner's webhook",
    },
    Knob {
        key: "webhook_retry_base_ms",
        default: "10000",
        help: "first retry delay after a failed POST; doubled each failure, with jitter",
    },
    Knob {
        key: "webhook_retry_max_secs",
        default: "3600",
        help: "longest retry delay",
    },
    Knob {
        key: "webhook_keep_hours",
        default: "72",
        help: "status changes a failing webhook has not taken within this time are dropped",
    },
    Knob {
        key: "webhook_allow_private",
        default: "false",
        help: "allow webhook addresses in private networks and on this host (on-premises installs, tests)",
    },
];

/// The parsed webhook settings.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    pub poll: Duration,
    pub batch: i64,
    pub timeout: Duration,
    pub retry_base: Duration,
    pub retry_max: Duration,
    pub keep: Duration,
    pub allow_private: bool,
}

impl WebhookSettings {
    pub fn from_settings(s: &Settings) -> Result<Self> {
        Ok(Self {
            poll: Duration::from_millis(s.module_number::<u64>("webhook_poll_ms")?.max(10)),
            batch: s.module_number::<i64>("webhook_batch")?.clamp(1, 1000),
            timeout: Duration::from_secs(s.module_number::<u64>("webhook_timeout_secs")?.max(1)),
            retry_base: Duration::from_millis(
                s.module_number::<u64>("webhook_retry_base_ms")?.max(1),
            ),
            retry_max: Duration::from_secs(
                s.module_number::<u64>("webhook_retry_max_secs")?.max(1),
            ),
            keep: Duration::from_secs(
                s.module_number::<u64>("webhook_keep_hours")?
                    .clamp(1, 24 * 365)
                    .saturating_mul(3600),
            ),
            allow_private: s.module_flag("webhook_allow_private")?,
        })
    }

    /// The delay before the try after `failures` failed ones in a row: doubled each time up to
    /// the maximum, then a random part of it taken off, so endpoints that failed together (an
    /// outage on their side) are not all tried again at the same moment.
    pub fn backoff(&self, failures: i64) -> Duration {
        let full = doubled_delay(self.retry_base, self.retry_max, failures);
        let jitter: f64 = rand::Rng::gen_range(&mut rand::thread_rng(), 0.0..0.25);
        full.mul_f64(1.0 - jitter)
    }
}

/// The secret the partner's endpoint checks signatures with: 32 random bytes, hex.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut bytes);
    format!("whsec_{}", hex::encode(bytes))
}

/// `X-Simo-Signature`: HMAC-SHA256 of `<timestamp>.<body>` with the secret, hex, after
/// `sha256=`. The timestamp is signed too, so a captured request cannot be replayed later
/// with a fresh `X-Simo-Timestamp`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC takes a key of any length: `new_from_slice` cannot fail for it.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of every length"),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Одно изменение статуса сообщения.
#[derive(Debug, Serialize, poem_openapi::Object)]
#[oai(rename = "WebhookEvent")]
pub struct EventJson {
    /// Номер события: уникален и не меняется, повтор уже принятого события приходит с тем же номером.
    pub eventid: String,
    /// Номер сообщения из ответа createmessage.
    pub messageid: String,
    /// Сотрудник, которому адресовано сообщение.
    pub staffid: String,
    /// sent, delivered, read, acknowledged (сотрудник подтвердил ознакомление), failed, no_device
    /// или recalled (сообщение отозвано партнёром).
    pub status: String,
    /// Статус по-русски.
    pub statusname: String,
    /// Пояснение для людей: ответ push-сервиса, причина ошибки.
    pub detail: Option<String>,
    /// Когда статус изменился (в формате дат API).
    pub date: String,
    /// Заголовок сообщения; `null`, если сообщение уже удалено (вместе с сотрудником или по
    /// сроку хранения).
    pub title: Option<String>,
    /// Откуда отправлено: `api` или `cabinet` (вручную в кабинете или запланированное там).
    pub source: Option<String>,
    /// Кто отправил: `api` — основной ключ API, `api:<имя ключа>` — ключ системы, `admin` —
    /// учётная запись компании в кабинете, `admin:<логин>` — администратор кабинета; у
    /// запланированной отправки — кто её запланировал. `null` для сообщений, созданных до того,
    /// как это сохранялось.
    pub sentby: Option<String>,
}

/// Изменение сотрудника (если на странице «Вебхук» включено «Сообщать о сотрудниках»).
#[derive(Debug, Serialize, poem_openapi::Object)]
#[oai(rename = "WebhookStaffEvent")]
pub struct StaffEventJson {
    /// Номер события сотрудника: уникален среди них и не меняется, повтор приходит с тем же номером.
    pub eventid: String,
    /// added — добавлен компанией (addstaff, кабинет), ещё не входил; registered — впервые
    /// вошёл в приложение; changed — изменены ФИО, телефон или состояние
    /// (рассылка отключена или включена, вход подтверждён); deleted — удалён.
    pub event: String,
    /// Идентификатор сотрудника для createmessage.
    pub staffid: String,
    /// ФИО сотрудника.
    pub name: String,
    /// Телефон, +7XXXXXXXXXX.
    pub phone: String,
    /// Как в getstaff: enabled — получает сообщения, disabled — рассылка отключена, pending —
    /// ждёт подтверждения.
    pub statusnotification: String,
    /// Когда это произошло (в формате дат API).
    pub date: String,
}

/// Тело запроса на адрес вебхука.
#[derive(Debug, Serialize, poem_openapi::Object)]
#[oai(rename = "WebhookPayload")]
pub struct Payload {
    /// ИНН организации.
    pub inn: String,
    /// true — проверочный запрос из кабинета (events пуст).
    pub test: bool,
    /// События, старые первыми, до 100 в запросе.
    pub events: Vec<EventJson>,
    /// События сотрудников, старые первыми, до 100 в запросе; поля нет, пока они выключены
    /// или их нет.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[oai(skip_serializing_if_is_empty)]
    pub staff: Vec<StaffEventJson>,
}

/// Что ответить на запрос вебхука.
#[derive(poem_openapi::ApiResponse)]
pub enum WebhookAnswer {
    /// Принято (любой код 2xx): события удаляются из очереди.
    #[oai(status = 200)]
    Accepted,
    /// Любой другой ответ, таймаут или перенаправление: запрос повторяется позже с теми же событиями.
    #[oai(status = 503)]
    TryAgain,
}

/// The requests the server makes to partners' endpoints, as the spec's `webhooks` describes them.
#[poem_openapi::Webhook]
pub trait StatusWebhook {
    /// Статусы сообщений изменились
    ///
    /// Сервер отправляет POST на адрес со страницы «Вебхук» кабинета при каждом новом статусе
    /// сообщений организации (кроме queued), а если там включено «Сообщать о сотрудниках», то и
    /// при изменениях сотрудников (поле staff). Доставка «хотя бы один раз»: пропускайте
    /// повторы по eventid. Подпись: X-Simo-Signature = "sha256=" + hex(HMAC-SHA256(секрет,
    /// X-Simo-Timestamp + "." + тело запроса)).
    #[oai(
        name = "messagestatus",
        method = "post",
        operation_id = "webhook_messagestatus"
    )]
    fn messagestatus(
        &self,
        /// Время отправки запроса, секунды Unix; входит в подпись.
        #[oai(name = "X-Simo-Timestamp")]
        timestamp: poem_openapi::param::Header<i64>,
        /// sha256= и HMAC-SHA256 строки «X-Simo-Timestamp.тело» с секретом вебхука, hex.
        #[oai(name = "X-Simo-Signature")]
        signature: poem_openapi::param::Header<String>,
        /// UUID попытки: у повтора — новый.
        #[oai(name = "X-Simo-Delivery")]
        delivery: poem_openapi::param::Header<String>,
        body: poem_openapi::payload::Json<Payload>,
    ) -> WebhookAnswer;
}

/// The body of one POST.
pub fn payload(
    inn: &str,
    events: Vec<WebhookEvent>,
    staff: Vec<StaffHookEvent>,
    time: &TimeFormat,
) -> Result<Vec<u8>> {
    let events = events
        .into_iter()
        .map(|e| EventJson {
            eventid: e.event_id.to_string(),
            messageid: e.message_id.to_string(),
            staffid: e.staff_id.to_string(),
            statusname: MessageStatus::parse(&e.status)
                .map_or("", MessageStatus::label_ru)
                .to_owned(),
            status: e.status,
            detail: e.detail,
            date: time.format(e.created_at),
            title: e.title,
            source: e.source,
            sentby: e.sent_by,
        })
        .collect();
    let staff = staff
        .into_iter()
        .map(|e| StaffEventJson {
            eventid: e.id.to_string(),
            event: e.event,
            staffid: e.staff_id.to_string(),
            name: e.name,
            phone: e.phone,
            // Stored by the triggers as the staff table holds it; said the way getstaff says it.
            statusnotification: StaffState::from_db(&e.state).as_api().to_owned(),
            date: time.format(e.created_at),
        })
        .collect();
    let body = Payload {
        inn: inn.to_owned(),
        test: false,
        events,
        staff,
    };
    serde_json::to_vec(&body).map_err(|e| Error::Internal(format!("webhook payload: {e}")))
}

/// The body of the cabinet's test delivery.
pub fn test_payload(inn: &str) -> Result<Vec<u8>> {
    let body = Payload {
        inn: inn.to_owned(),
        test: true,
        events: Vec::new(),
        staff: Vec::new(),
    };
    serde_json::to_vec(&body).map_err(|e| Error::Internal(format!("webhook payload: {e}")))
}

/// Posts to partners' endpoints: the sender's client and the cabinet's test delivery share it.
pub struct Poster {
    client: reqwest::Client,
    settings: WebhookSettings,
}

impl Poster {
    pub fn new(settings: WebhookSettings) -> Result<Self> {
        let mut builder = reqwest::Client::builder()
            .timeout(settings.timeout)
            .user_agent(concat!("SiMO-Webhook/", env!("CARGO_PKG_VERSION")))
            // A redirect could lead into our own network past the address check; proxies
            // from the environment would resolve names where the check cannot see.
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy();
        if !settings.allow_private {
            builder = builder.dns_resolver(std::sync::Arc::new(address::PublicOnly));
        }
        let client = builder
            .build()
            .map_err(|e| Error::Config(format!("webhook HTTP client: {e}")))?;
        Ok(Self { client, settings })
    }

    pub fn settings(&self) -> &WebhookSettings {
        &self.settings
    }

    /// Checks an address the partner typed.
    pub fn check_url(&self, raw: &str) -> std::result::Result<WebhookUrl, UrlProblem> {
        WebhookUrl::parse(raw, self.settings.allow_private)
    }

    /// Posts `body` signed with `secret`. The outcome's error says why it was not accepted, in
    /// words for the cabinet: the endpoint's status and the start of its answer, a timeout, a
    /// refused address.
    pub async fn post(&self, url: &str, secret: &str, body: Vec<u8>, now: Millis) -> Outcome {
        let started = Instant::now();
        let (status, error) = self.send(url, secret, body, now).await;
        Outcome {
            status,
            took: started.elapsed(),
            error,
        }
    }

    async fn send(
        &self,
        url: &str,
        secret: &str,
        body: Vec<u8>,
        now: Millis,
    ) -> (Option<u16>, Option<String>) {
        // Checked again: the address was saved under older settings, or by hand in the database.
        let url = match self.check_url(url) {
            Ok(url) => url,
            Err(problem) => return (None, Some(problem.text_ru().to_owned())),
        };
        let timestamp = now.div_euclid(1000);
        let answer = self
            .client
            .post(url.as_str())
            .header("content-type", "application/json; charset=utf-8")
            .header("x-simo-timestamp", timestamp.to_string())
            .header("x-simo-signature", signature(secret, timestamp, &body))
            .header("x-simo-delivery", uuid::Uuid::new_v4().to_string())
            .body(body)
            .send()
            .await;
        let resp = match answer {
            Ok(resp) => resp,
            Err(e) if e.is_timeout() => {
                let secs = self.settings.timeout.as_secs();
                return (None, Some(stored::HOOK_SILENT.fill(&[&secs.to_string()])));
            }
            Err(e) => {
                let why = stored::HOOK_UNREACHABLE.fill(&[&error_chain(&e)]);
                return (None, Some(why));
            }
        };
        let status = resp.status();
        let code = status.as_u16();
        if status.is_success() {
            return (Some(code), None);
        }
        let text = resp.text().await.unwrap_or_default();
        let text: String = text.chars().take(200).collect();
        let text = text.trim();
        let why = if status.is_redirection() {
            stored::HOOK_REDIRECT.fill(&[&code.to_string()])
        } else if text.is_empty() {
            format!("HTTP {code}")
        } else {
            format!("HTTP {code}: {text}")
        };
        (Some(code), Some(why))
    }
}

/// What became of one post.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The endpoint's status, when it answered.
    pub status: Option<u16>,
    pub took: Duration,
    /// Why it was not accepted; `None` when it was (a 2xx).
    pub error: Option<String>,
}

impl Outcome {
    /// The post as the cabinet's list of attempts shows it.
    pub fn attempt(&self, url: &str, events: usize, test: bool, at: Millis) -> WebhookAttempt {
        WebhookAttempt {
            url: url.to_owned(),
            events: events as i64,
            test,
            http_status: self.status.map(i64::from),
            error: self.error.clone(),
            ms: self.took.as_millis() as i64,
            created_at: at,
        }
    }
}

/// The error with its causes: reqwest's own text is only "error sending request".
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_the_timestamp_and_the_body() {
        // The value Python's `hmac.new(b"whsec_test", b"1700000000.{...}", sha256)` gives: what
        // the docs tell a receiver to compute.
        let body = br#"{"inn":"7707083893"}"#;
        assert_eq!(
            signature("whsec_test", 1_700_000_000, body),
            "sha256=4496606a2edeb7d7a38ea6f482172156569b953c75a5a240b4931304544f29f7"
        );
        assert_ne!(
            signature("whsec_test", 1_700_000_001, body),
            signature("whsec_test", 1_700_000_000, body)
        );
    }

    #[test]
    fn backoff_doubles_up_to_the_maximum_with_some_taken_off() {
        let s = WebhookSettings {
            poll: Duration::from_secs(1),
            batch: 100,
            timeout: Duration::from_secs(10),
            retry_base: Duration::from_secs(10),
            retry_max: Duration::from_secs(3600),
            keep: Duration::from_secs(72 * 3600),
            allow_private: false,
        };
        for (failures, full) in [(0, 10), (1, 20), (2, 40), (9, 3600), (1000, 3600)] {
            let d = s.backoff(failures);
            let full = Duration::from_secs(full);
            assert!(d <= full && d >= full.mul_f64(0.75), "{failures}: {d:?}");
        }
    }

    #[test]
    fn secrets_are_long_random_and_prefixed() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert!(a.starts_with("whsec_") && a.len() == 6 + 64, "{a}");
    }
}
