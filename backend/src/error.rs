//! The crate's one error type; the v1 API and the cabinet each map it in one place.

use crate::domain::ParseError;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The caller sent something we cannot accept; the text is shown to them.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{message}")]
    TooManyRequests {
        message: String,
        retry_after_secs: u64,
    },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("SMS provider error: {0}")]
    Sms(String),
    #[error("configuration error: {0}")]
    Config(String),
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<ParseError> for Error {
    fn from(e: ParseError) -> Self {
        Self::Invalid(e.0)
    }
}

impl Error {
    pub fn invalid(msg: impl Into<String>) -> Self {
        Self::Invalid(msg.into())
    }
    pub fn not_found(msg: impl Into<String>) -> Self {
        Self::NotFound(msg.into())
    }
    pub fn forbidden(msg: impl Into<String>) -> Self {
        Self::Forbidden(msg.into())
    }

    /// True when the fault is ours (or a dependency's), not the caller's.
    pub fn is_server_fault(&self) -> bool {
        matches!(
            self,
            Self::Database(_)
                | Self::Sqlite(_)
                | Self::Migrate(_)
                | Self::Sms(_)
                | Self::Config(_)
                | Self::Io(_)
                | Self::Internal(_)
        )
    }
}
