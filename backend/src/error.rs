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
    /// The database could not be reached, or its disk is full: what the message writer
    /// answers each caller of a batch that met that (see `is_unavailable`).
    #[error("database unavailable: {reason}")]
    Unavailable { disk_full: bool, reason: String },
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
                | Self::Unavailable { .. }
        )
    }

    /// True when the database could not be reached (PostgreSQL down or restarting, no
    /// connection free within the pool's wait, SQLite's file locked by another process past
    /// the busy timeout) or cannot store (its disk full): a state that passes, or that the
    /// operator ends, which callers are told to wait out (503 with `Retry-After`) rather than
    /// reported as a fault of ours (500).
    pub fn is_unavailable(&self) -> bool {
        self.is_disk_full()
            || match self {
                Self::Unavailable { .. } => true,
                Self::Database(e) => sqlx_unreachable(e),
                Self::Sqlite(rusqlite::Error::SqliteFailure(f, _)) => matches!(
                    f.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ),
                _ => false,
            }
    }

    /// True when the database refused a write for want of disk space (SQLite's FULL,
    /// PostgreSQL's 53100): the server still reads, and writes again once there is room.
    pub fn is_disk_full(&self) -> bool {
        match self {
            Self::Unavailable { disk_full, .. } => *disk_full,
            Self::Sqlite(rusqlite::Error::SqliteFailure(f, _)) => {
                f.code == rusqlite::ErrorCode::DiskFull
            }
            Self::Database(sqlx::Error::Database(db)) => {
                match db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
                    Some(pg) => pg.code() == "53100",
                    None => sqlite_primary_code(db.as_ref()) == Some(SQLITE_FULL),
                }
            }
            _ => false,
        }
    }
}

/// SQLite's primary result codes (the low byte of an extended code) that matter here.
const SQLITE_BUSY: i32 = 5;
const SQLITE_LOCKED: i32 = 6;
const SQLITE_FULL: i32 = 13;

fn sqlite_primary_code(db: &dyn sqlx::error::DatabaseError) -> Option<i32> {
    db.code()
        .and_then(|c| c.parse::<i32>().ok())
        .map(|c| c & 0xff)
}

fn sqlx_unreachable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_) => true,
        sqlx::Error::Database(db) => {
            if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
                // Class 08: connection exceptions; 57P01-03: the server shutting down or
                // starting; 53300: too many connections.
                let code = pg.code();
                code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "53300")
            } else {
                matches!(
                    sqlite_primary_code(db.as_ref()),
                    Some(SQLITE_BUSY | SQLITE_LOCKED)
                )
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_database_is_unavailable_and_other_faults_are_not() {
        for e in [
            Error::Database(sqlx::Error::PoolTimedOut),
            Error::Database(sqlx::Error::Io(std::io::Error::from(
                std::io::ErrorKind::ConnectionRefused,
            ))),
            Error::Unavailable {
                disk_full: false,
                reason: "the writer's batch".into(),
            },
            Error::Sqlite(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                None,
            )),
        ] {
            assert!(e.is_unavailable(), "{e}");
            assert!(!e.is_disk_full(), "{e}");
            assert!(e.is_server_fault(), "{e}");
        }
        let full = Error::Sqlite(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
            None,
        ));
        assert!(full.is_disk_full() && full.is_unavailable(), "{full}");
        for e in [
            Error::Database(sqlx::Error::RowNotFound),
            Error::Internal("a bug".into()),
            Error::Sqlite(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CONSTRAINT),
                None,
            )),
            Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused)),
        ] {
            assert!(!e.is_unavailable(), "{e}");
        }
    }
}
