//! API v1, exactly as the original guide documents it, plus additions that old clients ignore.

pub mod body;
mod bulk;
pub mod envelope;
mod files;
mod groups;
mod history;
mod login;
mod messages;
mod page_json;
mod schedule;
pub mod security;
mod staff;

use crate::state::SharedState;
use envelope::V1Error;
use poem::Request;

pub use bulk::BulkApi;
pub use files::FilesApi;
pub use groups::GroupsApi;
pub use history::HistoryApi;
pub use login::LoginApi;
pub use messages::MessagesApi;
pub use schedule::ScheduleApi;
pub use staff::StaffApi;

/// Tags group the methods in the interactive docs.
#[derive(poem_openapi::Tags)]
pub enum V1Tag {
    /// Вход сотрудника в мобильное приложение (SMS-код) и push-токен.
    MobileAuth,
    /// Сообщения: отправка из АСУ партнёра, история, статусы.
    Messages,
    /// Сотрудники партнёра.
    Staff,
}

pub(crate) fn state(req: &Request) -> Result<&SharedState, V1Error> {
    req.data::<SharedState>()
        .ok_or_else(|| V1Error::from(crate::error::Error::Internal("state missing".into())))
}

/// A required string field: absent, null or blank is a 400 naming the field.
pub(crate) fn required<'a>(value: &'a Option<String>, field: &str) -> Result<&'a str, V1Error> {
    match value.as_deref().map(str::trim) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(missing(field)),
    }
}

/// The 400 of a required field not given.
pub(crate) fn missing(field: &str) -> V1Error {
    V1Error::bad_request(phrase!(
        "Не указано обязательное поле «{field}»",
        "Required field “{field}” is missing"
    ))
}

/// An optional field where the guide's clients send `""` for "not given".
pub(crate) fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// The client's address for the SMS limits: the socket peer, or the proxy's word when trusted.
pub(crate) fn client_ip(req: &Request, trust_forwarded_for: bool) -> String {
    if trust_forwarded_for
        && let Some(first) = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
    {
        return first.trim().to_owned();
    }
    req.remote_addr()
        .as_socket_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}
