//! Errors: a rich internal [`Error`] for the core and a small [`ApiError`] for the apps.
//!
//! The conversion from one to the other lives in one place (`From<Error> for ApiError`).
//! Neither carries personal data: no token, code, INN or phone ever ends up in a message.

use crate::lang::say;

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
    /// The server cannot serve requests for a while (503: its database restarting, its disk
    /// full, maintenance).
    #[error("service unavailable, retry after {retry_after_seconds}s: {message}")]
    Unavailable {
        message: String,
        retry_after_seconds: u64,
    },
    /// The server failed (5xx other than 503).
    #[error("server error {status}: {message}")]
    Server { status: u16, message: String },
    /// The server answered something that is not the documented envelope.
    #[error("unexpected answer from the server: {0}")]
    Protocol(String),
    /// The message is not in the offline cache.
    #[error("message {0} is not in the cache")]
    MessageNotFound(i64),
    /// `getfile` answered 404: the message was recalled, is another employee's or has no such
    /// file; the server's text, if any.
    #[error("file not found: {0}")]
    FileNotFound(String),
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

/// The error the apps see. Each variant maps to one reaction of the UI. Every `reason` is fit
/// to show to the user, in the language set by `set_language` (Russian unless English).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Error)]
pub enum ApiError {
    /// No connection to the server: show "нет сети", keep working from the cache.
    Network { reason: String },
    /// The session is missing or expired: go back to the login screen.
    Unauthorized { reason: String },
    /// The input is wrong (bad INN, phone or code, unknown organisation …); `reason` is
    /// the server's message or ours.
    InvalidInput { reason: String },
    /// Too many attempts (for example SMS codes): try again after `retry_after_seconds`.
    RateLimited {
        reason: String,
        retry_after_seconds: u64,
    },
    /// The service is down for a while (its database restarting, maintenance): keep working
    /// from the cache, try again after `retry_after_seconds`.
    Unavailable {
        reason: String,
        retry_after_seconds: u64,
    },
    /// What was asked for is not there for this employee (a file of a message the company
    /// recalled): say so; the next sync takes a recalled message off the list.
    NotFound { reason: String },
    /// The server failed or answered something unexpected: try again later.
    Server { reason: String },
    /// The local cache failed (for example, the disk is full).
    Storage { reason: String },
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (ru, en, reason) = match self {
            ApiError::Network { reason } => (
                "Нет соединения с сервером: ",
                "No connection to the server: ",
                reason,
            ),
            ApiError::Unauthorized { reason } => ("Требуется вход: ", "Log in: ", reason),
            ApiError::InvalidInput { reason }
            | ApiError::NotFound { reason }
            | ApiError::RateLimited { reason, .. }
            | ApiError::Unavailable { reason, .. } => ("", "", reason),
            ApiError::Server { reason } => ("Ошибка сервера: ", "Server error: ", reason),
            ApiError::Storage { reason } => ("Ошибка хранилища: ", "Storage error: ", reason),
        };
        write!(f, "{}{reason}", say(ru, en))
    }
}

impl std::error::Error for ApiError {}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        match error {
            Error::Network(e) => ApiError::Network {
                reason: network_reason(&e),
            },
            Error::Unauthorized(message) => ApiError::Unauthorized {
                reason: non_empty(
                    message,
                    say(
                        "Сессия истекла, войдите снова",
                        "The session expired, log in again",
                    ),
                ),
            },
            Error::NotLoggedIn => ApiError::Unauthorized {
                reason: say("Вход не выполнен", "Not logged in"),
            },
            Error::NoPendingLogin => ApiError::InvalidInput {
                reason: say(
                    "Сначала запросите код подтверждения",
                    "Request a confirmation code first",
                ),
            },
            Error::InvalidInput(reason) => ApiError::InvalidInput { reason },
            Error::Rejected { message, .. } => ApiError::InvalidInput {
                reason: non_empty(
                    message,
                    say("Запрос отклонён сервером", "The server refused the request"),
                ),
            },
            Error::RateLimited {
                message,
                retry_after_seconds,
            } => ApiError::RateLimited {
                reason: non_empty(
                    message,
                    say(
                        "Слишком много попыток, повторите позже",
                        "Too many tries, try again later",
                    ),
                ),
                retry_after_seconds,
            },
            Error::Unavailable {
                message,
                retry_after_seconds,
            } => ApiError::Unavailable {
                // The server's words say what and for how long; a proxy's 503 has none.
                reason: non_empty(
                    message,
                    say(
                        "Сервис временно недоступен, повторите позже",
                        "The service is unavailable for now, try again later",
                    ),
                ),
                retry_after_seconds,
            },
            Error::Server { status, message } => ApiError::Server {
                reason: non_empty(
                    message,
                    say(
                        &format!("код ответа {status}"),
                        &format!("answer code {status}"),
                    ),
                ),
            },
            Error::Protocol(detail) => ApiError::Server { reason: detail },
            Error::MessageNotFound(_) => ApiError::InvalidInput {
                reason: say("Сообщение не найдено", "Message not found"),
            },
            Error::FileNotFound(message) => ApiError::NotFound {
                reason: non_empty(
                    message,
                    say(
                        "Файл недоступен: сообщение отозвано или удалено",
                        "The file is not available: the message was recalled or deleted",
                    ),
                ),
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

fn non_empty(message: String, fallback: String) -> String {
    if message.trim().is_empty() {
        fallback
    } else {
        message
    }
}

fn network_reason(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        say(
            "сервер не ответил вовремя",
            "the server did not answer in time",
        )
    } else if error.is_connect() {
        say("не удалось подключиться", "could not connect")
    } else {
        say("соединение прервано", "the connection broke")
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
    fn an_unavailable_service_keeps_its_words_and_pause_or_says_so_itself() {
        let told = ApiError::from(Error::Unavailable {
            message: "Сервис временно недоступен: нет связи с базой данных".into(),
            retry_after_seconds: 5,
        });
        assert_eq!(
            told,
            ApiError::Unavailable {
                reason: "Сервис временно недоступен: нет связи с базой данных".into(),
                retry_after_seconds: 5,
            }
        );
        assert_eq!(
            told.to_string(),
            "Сервис временно недоступен: нет связи с базой данных"
        );
        let proxy = ApiError::from(Error::Unavailable {
            message: String::new(),
            retry_after_seconds: 30,
        });
        assert_eq!(
            proxy.to_string(),
            "Сервис временно недоступен, повторите позже"
        );
    }

    #[test]
    fn a_missing_file_is_not_found_in_the_servers_words_or_ours() {
        let told = ApiError::from(Error::FileNotFound("Файл не найден".into()));
        assert_eq!(
            told,
            ApiError::NotFound {
                reason: "Файл не найден".into()
            }
        );
        let silent = ApiError::from(Error::FileNotFound(String::new()));
        assert_eq!(
            silent.to_string(),
            "Файл недоступен: сообщение отозвано или удалено"
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
