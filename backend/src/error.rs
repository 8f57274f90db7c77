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
    /// The database could not be reached, was busy, or its disk is full: what the message
    /// writer answers each caller of a batch that met that (see `unavailability`).
    #[error("database unavailable: {reason}")]
    Unavailable { why: Unavailability, reason: String },
}

/// Why the database cannot serve a request for now: each is told to callers in its own words,
/// with its own pause (see `unavailability`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unavailability {
    /// PostgreSQL down or restarting, its connections refused or used up, or no connection of
    /// the pool's free within its wait.
    Unreachable,
    /// SQLite's file locked by another process past the busy timeout.
    Busy,
    /// A write refused for want of disk space: reads go on, and writes once there is room.
    DiskFull,
    /// A write refused by a database that takes none for now: PostgreSQL's standby after a
    /// failover, or in a read-only transaction by default (25006); SQLite's file on a file
    /// system remounted read-only (READONLY). Reads go on.
    ReadOnly,
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

    /// Why the database cannot serve this request for now, if that is what failed: a state
    /// that passes, or that the operator ends, which callers are told to wait out (503 with
    /// `Retry-After`) rather than reported as a fault of ours (500).
    pub fn unavailability(&self) -> Option<Unavailability> {
        use rusqlite::ErrorCode;
        match self {
            Self::Unavailable { why, .. } => Some(*why),
            Self::Database(e) => sqlx_unavailability(e),
            Self::Sqlite(rusqlite::Error::SqliteFailure(f, _)) => match f.code {
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => Some(Unavailability::Busy),
                ErrorCode::DiskFull => Some(Unavailability::DiskFull),
                ErrorCode::ReadOnly => Some(Unavailability::ReadOnly),
                _ => None,
            },
            _ => None,
        }
    }

    pub fn is_unavailable(&self) -> bool {
        self.unavailability().is_some()
    }
}

/// SQLite's primary result codes (the low byte of an extended code) that matter here.
const SQLITE_BUSY: i32 = 5;
const SQLITE_LOCKED: i32 = 6;
const SQLITE_READONLY: i32 = 8;
const SQLITE_FULL: i32 = 13;

fn sqlite_primary_code(db: &dyn sqlx::error::DatabaseError) -> Option<i32> {
    db.code()
        .and_then(|c| c.parse::<i32>().ok())
        .map(|c| c & 0xff)
}

/// PostgreSQL's SQLSTATEs for a connection lost or refused on the way: class 08 (connection
/// exceptions) and 57P01-03 (the server shutting down, crashed, or starting).
pub(crate) fn pg_connection_lost(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03")
}

fn sqlx_unavailability(e: &sqlx::Error) -> Option<Unavailability> {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_) => Some(Unavailability::Unreachable),
        sqlx::Error::Database(db) => {
            if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
                // 53300: too many connections; 53100: disk full; 25006: a read-only transaction.
                let code = pg.code();
                if code == "53100" {
                    Some(Unavailability::DiskFull)
                } else if code == "25006" {
                    Some(Unavailability::ReadOnly)
                } else if pg_connection_lost(code) || code == "53300" {
                    Some(Unavailability::Unreachable)
                } else {
                    None
                }
            } else {
                match sqlite_primary_code(db.as_ref())? {
                    SQLITE_BUSY | SQLITE_LOCKED => Some(Unavailability::Busy),
                    SQLITE_FULL => Some(Unavailability::DiskFull),
                    SQLITE_READONLY => Some(Unavailability::ReadOnly),
                    _ => None,
                }
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_database_is_unavailable_and_other_faults_are_not() {
        let sqlite = |code| {
            Error::Sqlite(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(code),
                None,
            ))
        };
        for (e, why) in [
            (
                Error::Database(sqlx::Error::PoolTimedOut),
                Unavailability::Unreachable,
            ),
            (
                Error::Database(sqlx::Error::Io(std::io::Error::from(
                    std::io::ErrorKind::ConnectionRefused,
                ))),
                Unavailability::Unreachable,
            ),
            (
                Error::Unavailable {
                    why: Unavailability::DiskFull,
                    reason: "the writer's batch".into(),
                },
                Unavailability::DiskFull,
            ),
            (sqlite(rusqlite::ffi::SQLITE_BUSY), Unavailability::Busy),
            (sqlite(rusqlite::ffi::SQLITE_LOCKED), Unavailability::Busy),
            (sqlite(rusqlite::ffi::SQLITE_FULL), Unavailability::DiskFull),
            (
                sqlite(rusqlite::ffi::SQLITE_READONLY),
                Unavailability::ReadOnly,
            ),
        ] {
            assert_eq!(e.unavailability(), Some(why), "{e}");
            assert!(e.is_server_fault(), "{e}");
        }
        for e in [
            Error::Database(sqlx::Error::RowNotFound),
            Error::Internal("a bug".into()),
            sqlite(rusqlite::ffi::SQLITE_CONSTRAINT),
            Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused)),
        ] {
            assert!(!e.is_unavailable(), "{e}");
        }
    }
}
