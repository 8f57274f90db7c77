//! Errors: a rich internal [`Error`] for the core and a small [`ApiError`] for the apps.
//!
//! The conversion from one to the other lives in one place (`From<Error> for ApiError`).
//! Neither carries personal data: no token, code, INN or phone ever ends up in a message.

/// Everything that can go wrong inside the core.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server could not be reached (DNS, connect, TLS, timeout, connection reset).
    #[error("network error: {0}")]
    Network(#[source] reqwest::Error),
    /// The server answered 401: the token is missing, invalid or was replaced by a new login.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// A method that needs a session was called before a login (or after a logout).
    #[error("not logged in")]
    NotLoggedIn,
    /// `confirm_code` was called without a `request_code` before it.
    #[error("no login in progress")]
    NoPendingLogin,
    /// A value given by the app failed to parse (INN, phone, code, name …).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The server refused the request (4xx other than 401 and 429); `message` is the server's text.
    #[error("rejected by the server with status {status}: {message}")]
    Rejected { status: u16, message: String },
    /// The server asks us to slow down (429).
    #[error("rate limited, retry after {retry_after_seconds}s: {message}")]
    RateLimited {
        message: String,
        retry_after_seconds: u64,
    },
    /// The server failed (5xx).
    #[error("server error {status}: {message}")]
    Server { status: u16, message: String },
    /// The server answered something that is not the documented envelope.
    #[error("unexpected answer from the server: {0}")]
    Protocol(String),
    /// The message is not in the offline cache.
    #[error("message {0} is not in the cache")]
    MessageNotFound(i64),
    /// The offline cache failed.
    #[error("cache error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A file system operation failed (creating the data directory).
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// A value stored in the cache could not be decoded.
    #[error("json error: {0}")]
    Json(#[from] serde_json::Error),
}

impl From<reqwest::Error> for Error {
    fn from(error: reqwest::Error) -> Self {
        // `without_url` keeps the server address (and any query string) out of the message.
        Error::Network(error.without_url())
    }
}

/// The core's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The error the apps see. Each variant maps to one reaction of the UI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum ApiError {
    /// No connection to the server: show "нет сети", keep working from the cache.
    #[error("Нет соединения с сервером: {reason}")]
    Network { reason: String },
    /// The session is missing or expired: go back to the login screen.
    #[error("Требуется вход: {reason}")]
    Unauthorized { reason: String },
    /// The input is wrong (bad INN, phone or code, unknown organisation …); `reason` is
    /// the server's message or ours, in Russian, fit to show to the user.
    #[error("{reason}")]
    InvalidInput { reason: String },
    /// Too many attempts (for example SMS codes): try again after `retry_after_seconds`.
    #[error("{reason}")]
    RateLimited {
        reason: String,
        retry_after_seconds: u64,
    },
    /// The server failed or answered something unexpected: try again later.
    #[error("Ошибка сервера: {reason}")]
    Server { reason: String },
    /// The local cache failed (for example, the disk is full).
    #[error("Ошибка хранилища: {reason}")]
    Storage { reason: String },
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        match error {
            Error::Network(e) => ApiError::Network {
                reason: network_reason(&e),
            },
            Error::Unauthorized(message) => ApiError::Unauthorized {
                reason: non_empty(message, "Сессия истекла, войдите снова"),
            },
            Error::NotLoggedIn => ApiError::Unauthorized {
                reason: "Вход не выполнен".into(),
            },
            Error::NoPendingLogin => ApiError::InvalidInput {
                reason: "Сначала запросите код подтверждения".into(),
            },
            Error::InvalidInput(reason) => ApiError::InvalidInput { reason },
            Error::Rejected { message, .. } => ApiError::InvalidInput {
                reason: non_empty(message, "Запрос отклонён сервером"),
            },
            Error::RateLimited {
                message,
                retry_after_seconds,
            } => ApiError::RateLimited {
                reason: non_empty(message, "Слишком много попыток, повторите позже"),
                retry_after_seconds,
            },
            Error::Server { status, message } => ApiError::Server {
                reason: non_empty(message, &format!("код ответа {status}")),
            },
            Error::Protocol(detail) => ApiError::Server { reason: detail },
            Error::MessageNotFound(_) => ApiError::InvalidInput {
                reason: "Сообщение не найдено".into(),
            },
            Error::Sqlite(e) => ApiError::Storage {
                reason: e.to_string(),
            },
            Error::Io(e) => ApiError::Storage {
                reason: e.to_string(),
            },
            Error::Json(e) => ApiError::Storage {
                reason: e.to_string(),
            },
        }
    }
}

fn non_empty(message: String, fallback: &str) -> String {
    if message.trim().is_empty() {
        fallback.to_owned()
    } else {
        message
    }
}

fn network_reason(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "сервер не ответил вовремя".into()
    } else if error.is_connect() {
        "не удалось подключиться".into()
    } else {
        "соединение прервано".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejection_keeps_the_servers_message_for_the_user() {
        let api = ApiError::from(Error::Rejected {
            status: 404,
            message: "Организации с таким ИНН не существует".into(),
        });
        assert_eq!(
            api,
            ApiError::InvalidInput {
                reason: "Организации с таким ИНН не существует".into()
            }
        );
    }

    #[test]
    fn an_empty_server_message_is_replaced_by_a_russian_fallback() {
        let api = ApiError::from(Error::Server {
            status: 502,
            message: " ".into(),
        });
        assert_eq!(
            api,
            ApiError::Server {
                reason: "код ответа 502".into()
            }
        );
    }
}
