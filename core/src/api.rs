//! HTTP client of the server's v1 API (section 5 of the user guide, plus `sinceid`/`beforeid`,
//! `messagestatus` and `getfile`). Every answer is the `{success, data, error}` envelope, but
//! a file's bytes; this module turns it into data or into an [`Error`] chosen by the HTTP status.

use std::time::Duration;

use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::domain::{Device, FileId, Inn, MessageId, Phone, PushToken, SmsCode, StaffName};
use crate::error::{Error, Result};

/// The largest page `getmessage` returns.
pub const MAX_PAGE: u32 = 1000;

/// How long a file may take to arrive. Longer than a call's 30 seconds: a payslip scan of a
/// few megabytes over a weak mobile network needs it.
const FILE_TIMEOUT: Duration = Duration::from_secs(300);

/// The v1 API of one server.
#[derive(Debug, Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base_url: String,
}

/// The answer of `confirmsmscode`: the employee's token and profile.
#[derive(Debug, Clone, Deserialize)]
pub struct ConfirmedLogin {
    pub apitoken: String,
    pub inn: String,
    pub firstname: String,
    pub companyname: String,
    pub staffname: String,
    pub staffid: String,
    pub device: String,
    pub phone: String,
    /// Absent from servers before `getprofile`: see `StaffState::from_server`.
    #[serde(default)]
    pub state: Option<String>,
}

/// The answer of `getprofile`: the employee and the organisation as the server has them now.
#[derive(Debug, Clone, Deserialize)]
pub struct CurrentProfile {
    pub firstname: String,
    pub companyname: String,
    pub staffname: String,
    pub phone: String,
    #[serde(default)]
    pub state: Option<String>,
}

/// One message as `getmessage` returns it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireMessage {
    pub message_id: String,
    pub title: String,
    pub message: String,
    #[serde(rename = "createdate")]
    pub create_date: String,
    #[serde(rename = "senddate", default)]
    pub send_date: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(rename = "readdate", default)]
    pub read_date: Option<String>,
    /// Absent from servers before acknowledgments: nothing to acknowledge there.
    #[serde(rename = "requireack", default)]
    pub require_ack: bool,
    #[serde(rename = "ackdate", default)]
    pub ack_date: Option<String>,
    /// Absent when the message has none, and from servers before files.
    #[serde(default)]
    pub files: Vec<WireFile>,
}

/// A file attached to a message, as `getmessage` lists it.
#[derive(Debug, Clone, Deserialize)]
pub struct WireFile {
    pub fileid: String,
    pub name: String,
    pub size: u64,
    #[serde(default)]
    pub contenttype: Option<String>,
}

/// The delivery states the app reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Report {
    Delivered,
    Read,
    /// The employee pressed "Ознакомлен(а)".
    Acknowledged,
}

impl Report {
    pub fn as_wire(self) -> &'static str {
        match self {
            Report::Delivered => "delivered",
            Report::Read => "read",
            Report::Acknowledged => "acknowledged",
        }
    }

    pub fn from_wire(raw: &str) -> Option<Self> {
        match raw {
            "delivered" => Some(Report::Delivered),
            "read" => Some(Report::Read),
            "acknowledged" => Some(Report::Acknowledged),
            _ => None,
        }
    }
}

/// Which slice of the employee's messages to fetch.
#[derive(Debug, Clone, Copy, Default)]
pub struct Page {
    pub since: Option<MessageId>,
    pub before: Option<MessageId>,
    pub count: u32,
}

#[derive(Deserialize)]
struct Envelope {
    success: bool,
    #[serde(default)]
    data: serde_json::Value,
    #[serde(default)]
    error: String,
}

#[derive(Deserialize)]
struct Updated {
    updated: u64,
}

impl ApiClient {
    /// A client of the server at `base_url` (`https://simo.example.ru`, no trailing `/api`).
    pub fn new(base_url: &str) -> Result<Self> {
        let base_url = base_url.trim().trim_end_matches('/').to_owned();
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(Error::InvalidInput(crate::lang::say(
                "Адрес сервера должен начинаться с http:// или https://",
                "The server address must start with http:// or https://",
            )));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("simo-core/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(ApiClient { http, base_url })
    }

    /// `POST /api/v1/auth`: asks the server to send an SMS code; returns the server's message.
    pub async fn auth(
        &self,
        inn: &Inn,
        name: &StaffName,
        phone: &Phone,
        device: Device,
    ) -> Result<String> {
        #[derive(Deserialize)]
        struct Sent {
            message: String,
        }
        let body = serde_json::json!({
            "inn": inn.as_str(), "staffname": name.as_str(), "phone": phone.as_str(), "device": device.as_wire(),
        });
        let sent: Sent = self.post("auth", None, &body).await?;
        Ok(sent.message)
    }

    /// `POST /api/v1/confirmsmscode`: exchanges the SMS code for the employee's token.
    pub async fn confirm_sms_code(
        &self,
        inn: &Inn,
        phone: &Phone,
        code: &SmsCode,
    ) -> Result<ConfirmedLogin> {
        let body = serde_json::json!({ "inn": inn.as_str(), "phone": phone.as_str(), "smscode": code.as_str() });
        self.post("confirmsmscode", None, &body).await
    }

    /// `POST /api/v1/updatepushtoken`.
    pub async fn update_push_token(
        &self,
        session: &Credentials<'_>,
        token: &PushToken,
        device: Device,
    ) -> Result<()> {
        let body = serde_json::json!({
            "inn": session.inn, "staffId": session.staff_id, "pushtoken": token.as_str(), "device": device.as_wire(),
        });
        let _: serde_json::Value = self
            .post("updatepushtoken", Some(session.token), &body)
            .await?;
        Ok(())
    }

    /// `POST /api/v1/getmessage`: newest first.
    pub async fn get_messages(
        &self,
        session: &Credentials<'_>,
        page: Page,
    ) -> Result<Vec<WireMessage>> {
        let mut body = serde_json::json!({
            "inn": session.inn, "staffid": session.staff_id, "datemin": "", "datemax": "", "count": page.count,
        });
        if let Some(since) = page.since {
            body["sinceid"] = since.to_string().into();
        }
        if let Some(before) = page.before {
            body["beforeid"] = before.to_string().into();
        }
        self.post("getmessage", Some(session.token), &body).await
    }

    /// `POST /api/v1/getrecalled`: the employee's messages the partner recalled, newest first.
    pub async fn get_recalled(&self, session: &Credentials<'_>) -> Result<Vec<MessageId>> {
        let body = serde_json::json!({ "inn": session.inn, "staffid": session.staff_id });
        let list: RecalledList = self.post("getrecalled", Some(session.token), &body).await?;
        list.messageids
            .iter()
            .map(|id| MessageId::parse(id).map_err(|_| Error::Protocol("bad messageid".into())))
            .collect()
    }

    /// `POST /api/v1/getprofile`: the names and phone as the company keeps them now.
    pub async fn get_profile(&self, session: &Credentials<'_>) -> Result<CurrentProfile> {
        let body = serde_json::json!({ "inn": session.inn });
        self.post("getprofile", Some(session.token), &body).await
    }

    /// `POST /api/v1/messagestatus`: returns how many messages changed state.
    pub async fn message_status(
        &self,
        session: &Credentials<'_>,
        ids: &[MessageId],
        report: Report,
    ) -> Result<u64> {
        let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
        let body = serde_json::json!({
            "inn": session.inn, "staffid": session.staff_id, "messageids": ids, "status": report.as_wire(),
        });
        let updated: Updated = self
            .post("messagestatus", Some(session.token), &body)
            .await?;
        Ok(updated.updated)
    }

    /// `POST /api/v1/getfile`: the bytes of a file attached to one of the employee's
    /// messages. A 404 (the message recalled, another employee's, no such file) is
    /// [`Error::FileNotFound`].
    pub async fn get_file(
        &self,
        session: &Credentials<'_>,
        message: MessageId,
        file: FileId,
    ) -> Result<Vec<u8>> {
        let body =
            serde_json::json!({ "messageid": message.to_string(), "fileid": file.to_string() });
        let response = self
            .request("getfile", Some(session.token), &body)
            .timeout(FILE_TIMEOUT)
            .send()
            .await?;
        let status = response.status().as_u16();
        let retry_after = retry_after_seconds(&response);
        let bytes = response.bytes().await?;
        tracing::debug!(method = "getfile", status, size = bytes.len(), "v1 answer");
        // The bytes themselves, whatever their type: a JSON file is a file too.
        if (200..=299).contains(&status) {
            return Ok(bytes.to_vec());
        }
        let message = serde_json::from_slice::<Envelope>(&bytes)
            .map(|e| e.error)
            .unwrap_or_default();
        Err(match status {
            404 => Error::FileNotFound(message),
            _ => refusal(status, message, retry_after),
        })
    }

    async fn post<T: DeserializeOwned>(
        &self,
        method: &str,
        token: Option<&str>,
        body: &impl Serialize,
    ) -> Result<T> {
        let response = self.request(method, token, body).send().await?;
        let status = response.status().as_u16();
        let retry_after = retry_after_seconds(&response);
        let bytes = response.bytes().await?;
        tracing::debug!(method, status, "v1 answer");
        let envelope: Option<Envelope> = serde_json::from_slice(&bytes).ok();
        let message = envelope
            .as_ref()
            .map(|e| e.error.clone())
            .unwrap_or_default();
        match (status, envelope) {
            (
                200..=299,
                Some(Envelope {
                    success: true,
                    data,
                    ..
                }),
            ) => serde_json::from_value(data)
                .map_err(|e| Error::Protocol(format!("{method}: unexpected data: {e}"))),
            (200..=299, Some(_)) => Err(Error::Rejected { status, message }),
            (200..=299, None) => Err(Error::Protocol(format!(
                "{method}: the answer is not an envelope"
            ))),
            _ => Err(refusal(status, message, retry_after)),
        }
    }

    /// A v1 call with the language and, for authorised calls, the token.
    fn request(
        &self,
        method: &str,
        token: Option<&str>,
        body: &impl Serialize,
    ) -> reqwest::RequestBuilder {
        let url = format!("{}/api/v1/{method}", self.base_url);
        let request = self
            .http
            .post(url)
            .header(
                reqwest::header::ACCEPT_LANGUAGE,
                crate::lang::accept_language(),
            )
            .json(body);
        match token {
            Some(token) => request.header(reqwest::header::AUTHORIZATION, token),
            None => request,
        }
    }
}

/// The error of a call the server did not answer with success, by its HTTP status.
fn refusal(status: u16, message: String, retry_after: Option<u64>) -> Error {
    match status {
        401 => Error::Unauthorized(message),
        429 => Error::RateLimited {
            message,
            retry_after_seconds: retry_after.unwrap_or(60),
        },
        400..=499 => Error::Rejected { status, message },
        503 => Error::Unavailable {
            message,
            retry_after_seconds: retry_after.unwrap_or(UNAVAILABLE_RETRY_SECS),
        },
        _ => Error::Server { status, message },
    }
}

#[derive(Debug, Deserialize)]
struct RecalledList {
    messageids: Vec<String>,
}

/// What an authorised call needs from the session.
#[derive(Debug, Clone, Copy)]
pub struct Credentials<'a> {
    pub token: &'a str,
    pub inn: &'a str,
    pub staff_id: &'a str,
}

/// The pause after a 503 that names none (a proxy's in front of the server): ours name 5 or 60
/// seconds.
const UNAVAILABLE_RETRY_SECS: u64 = 30;

fn retry_after_seconds(response: &reqwest::Response) -> Option<u64> {
    response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wire_message_with_nulls_parses() {
        let raw = r#"{"inn":"7707083893","staffId":"3","messageId":"12","title":"Т","message":"Текст",
            "createdate":"2014-09-21T23:00:00.000+03:00","senddate":null,"status":"queued",
            "delivereddate":null,"readdate":null}"#;
        let message: WireMessage = serde_json::from_str(raw).unwrap();
        assert_eq!(message.message_id, "12");
        assert_eq!(message.send_date, None);
        assert_eq!(message.status.as_deref(), Some("queued"));
        assert!(message.files.is_empty(), "no files key, no files");
    }

    #[test]
    fn a_wire_message_lists_its_files_in_order() {
        let raw = r#"{"messageId":"12","title":"Т","message":"Текст","createdate":"2014-09-21T23:00:00.000+03:00",
            "files":[{"fileid":"17","name":"Расчётный листок.pdf","size":12345,"contenttype":"application/pdf"},
                     {"fileid":"9","name":"График.xlsx","size":0}]}"#;
        let message: WireMessage = serde_json::from_str(raw).unwrap();
        let listed: Vec<_> = message
            .files
            .iter()
            .map(|f| (f.fileid.as_str(), f.name.as_str(), f.size))
            .collect();
        assert_eq!(
            listed,
            [
                ("17", "Расчётный листок.pdf", 12345),
                ("9", "График.xlsx", 0)
            ]
        );
        assert_eq!(
            message.files[0].contenttype.as_deref(),
            Some("application/pdf")
        );
        assert_eq!(message.files[1].contenttype, None);
    }

    #[test]
    fn a_server_url_without_scheme_is_refused() {
        assert!(matches!(
            ApiClient::new("simo.example.ru"),
            Err(Error::InvalidInput(_))
        ));
        assert!(ApiClient::new("http://127.0.0.1:1/").is_ok());
    }
}
