//! The crate's one error type; the v1 API and the cabinet each map it in one place.

use crate::domain::ParseError;
use crate::phrase::Phrase;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The caller sent something we cannot accept; the text is shown to them.
    #[error("{0}")]
    Invalid(Phrase),
    #[error("{0}")]
    Unauthorized(Phrase),
    #[error("{0}")]
    Forbidden(Phrase),
    #[error("{0}")]
    NotFound(Phrase),
    #[error("{0}")]
    Conflict(Phrase),
    #[error("{message}")]
    TooManyRequests {
        message: Phrase,
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
    pub fn invalid(msg: Phrase) -> Self {
        Self::Invalid(msg)
    }
    pub fn not_found(msg: Phrase) -> Self {
        Self::NotFound(msg)
    }
    pub fn forbidden(msg: Phrase) -> Self {
        Self::Forbidden(msg)
    }

    /// What to tell the person whose request this was: `None` when the fault is ours.
    pub fn phrase(&self) -> Option<&Phrase> {
        match self {
            Self::Invalid(p)
            | Self::Unauthorized(p)
            | Self::Forbidden(p)
            | Self::NotFound(p)
            | Self::Conflict(p)
            | Self::TooManyRequests { message: p, .. } => Some(p),
            _ => None,
        }
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
