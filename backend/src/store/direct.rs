//! The hottest SQLite reads, run in place on the calling thread with rusqlite.
//!
//! sqlx-sqlite gives every connection a worker thread and hands each statement and each
//! result row across to it: six context switches per `getmessage` on that thread alone and
//! four more on the runtime's (measured with /proc/PID/task/*/status under wrk), ~10 µs
//! each, more than the query itself. These reads take 5-80 µs of SQLite work, about what
//! serializing the answer costs, so they run where the request already is. Writes stay on
//! the single writer connection (see `Store::writer`); WAL readers never wait for it.

use super::{ClaimedDelivery, MessageQuery, MessageRow, StaffRow};
use crate::domain::{StaffId, TokenHash};
use crate::error::Result;
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, params};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// Idle connections kept; more are opened when more requests read at once, then dropped.
const MAX_IDLE: usize = 16;

pub(super) struct SqliteReads {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    /// The background checkpointer's connection (see `checkpoint`), opened on first use.
    checkpointer: Mutex<Option<Connection>>,
}

/// The statements are whole constants: `prepare_cached` looks them up by text, and building
/// the text with `format!` on every call was an allocation per request for nothing.
macro_rules! staff_sql {
    ($rest:literal) => {
        concat!(
            "SELECT id, partner_id, phone, name, device, push_token, push_device, state, created_at, updated_at FROM staff ",
            $rest
        )
    };
}

/// A page of `getstaff` by its IDs (a JSON array), each found by its rowid. The `+` keeps
/// SQLite, which has no statistics, from walking the partner's whole index instead for every
/// page: 1,000 rowid look-ups against 111,000 index entries (`getstaff` of 111,000: 1.09 s
/// with the walk).
pub(super) const STAFF_BY_IDS: &str =
    staff_sql!("WHERE +partner_id = ?1 AND id IN (SELECT value FROM json_each(?2))");

impl SqliteReads {
    pub(super) fn new(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
            idle: Mutex::new(Vec::new()),
            checkpointer: Mutex::new(None),
        }
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(5))?;
        plan_once(&conn)?;
        Ok(conn)
    }

    fn open_reader(&self) -> rusqlite::Result<Connection> {
        let conn = self.open()?;
        // A reader never writes: a bug here must fail, not change data.
        conn.pragma_update(None, "query_only", true)?;
        conn.set_prepared_statement_cache_capacity(32);
        Ok(conn)
    }

    /// Runs `f` on an idle connection (opening one if none is idle) and puts it back.
    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        let taken = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match taken {
            Some(conn) => conn,
            None => self.open_reader()?,
        };
        let result = f(&conn);
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
        Ok(result?)
    }

    /// Copies what the WAL holds into the database file, without waiting for the writer or
    /// for readers (PASSIVE). Left to SQLite, the committing writer does this itself every
    /// 1,000 pages, and `createmessage` waits behind it (with no checkpoint in the commits,
    /// 6,600 -> 7,700 req/s under wrk), so a background task does it. Returns the frames in
    /// the WAL and how many of them the database file now holds.
    pub(super) fn checkpoint(&self) -> Result<(i64, i64)> {
        let mut slot = self.checkpointer.lock().unwrap_or_else(|e| e.into_inner());
        let conn = match slot.take() {
            Some(conn) => conn,
            None => self.open()?,
        };
        let frames = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
            Ok((r.get(1)?, r.get(2)?))
        })?;
        *slot = Some(conn);
        Ok(frames)
    }

    pub(super) fn staff_by_id(&self, partner_id: i64, id: StaffId) -> Result<Option<StaffRow>> {
        self.with(|c| {
            c.prepare_cached(staff_sql!("WHERE partner_id = ?1 AND id = ?2"))?
                .query_row(params![partner_id, id.0], staff_row)
                .optional()
        })
    }

    pub(super) fn staff_by_token(&self, token: &TokenHash) -> Result<Option<StaffRow>> {
        self.with(|c| {
            c.prepare_cached(staff_sql!("WHERE token_hash = ?1"))?
                .query_row(params![token.0], staff_row)
                .optional()
        })
    }

    /// All of a partner's employees, by name: the recipients of a bulk to everyone, 10,000
    /// rows in a few milliseconds instead of a hand-off per row.
    pub(super) fn list_staff(&self, partner_id: i64) -> Result<Vec<StaffRow>> {
        self.with(|c| {
            c.prepare_cached(staff_sql!("WHERE partner_id = ?1 ORDER BY name, id"))?
                .query_map(params![partner_id], staff_row)?
                .collect()
        })
    }

    /// See `Store::staff_ids_by_name`.
    pub(super) fn staff_ids_by_name(&self, partner_id: i64) -> Result<Vec<i64>> {
        self.with(|c| {
            c.prepare_cached("SELECT id FROM staff WHERE partner_id = ?1 ORDER BY name, id")?
                .query_map(params![partner_id], |r| r.get(0))?
                .collect()
        })
    }

    /// See `Store::staff_by_ids`: the rows in no order.
    pub(super) fn staff_by_ids(&self, partner_id: i64, ids: &[i64]) -> Result<Vec<StaffRow>> {
        let ids = serde_json::to_string(ids)
            .map_err(|e| crate::error::Error::Internal(format!("staff ids: {e}")))?;
        self.with(|c| {
            c.prepare_cached(STAFF_BY_IDS)?
                .query_map(params![partner_id, ids], staff_row)?
                .collect()
        })
    }

    /// The jobs of one claim (see `Store::claim_deliveries`).
    pub(super) fn leased_jobs(
        &self,
        lease: &str,
        lease_until: i64,
    ) -> Result<Vec<ClaimedDelivery>> {
        self.with(|c| {
            c.prepare_cached(super::deliveries::LEASED_JOBS_SQLITE)?
                .query_map(params![lease, lease_until], claimed_row)?
                .collect()
        })
    }

    /// See `Store::message_by_key`: read before every keyed `createmessage`.
    pub(super) fn message_by_key(&self, partner_id: i64, key: &str) -> Result<Option<MessageRow>> {
        self.with(|c| {
            c.prepare_cached(
                "SELECT id, partner_id, staff_id, title, body, source, status, status_reason,
                        created_at, sent_at, delivered_at, read_at, ack_required, acked_at
                 FROM messages WHERE partner_id = ?1 AND idempotency_key = ?2",
            )?
            .query_row(params![partner_id, key], message_row)
            .optional()
        })
    }

    /// See `Store::messages_for_staff`; the page is selected by the employee only, so SQLite
    /// walks `messages_staff_created`, and returned only when the partner has that employee.
    pub(super) fn messages_for_staff(
        &self,
        q: &MessageQuery,
        (from, to): (i64, i64),
        (after, before): (i64, i64),
    ) -> Result<Option<Vec<MessageRow>>> {
        self.with(|c| {
            let known = c
                .prepare_cached("SELECT 1 FROM staff WHERE id = ?1 AND partner_id = ?2")?
                .query_row(params![q.staff_id.0, q.partner_id], |_| Ok(()))
                .optional()?
                .is_some();
            if !known {
                return Ok(None);
            }
            let mut stmt = c.prepare_cached(
                "SELECT id, partner_id, staff_id, title, body, source, status, status_reason,
                        created_at, sent_at, delivered_at, read_at, ack_required, acked_at, files
                 FROM messages
                 WHERE staff_id = ?1 AND created_at >= ?2 AND created_at <= ?3 AND id > ?4 AND id < ?5
                   AND status <> 'recalled'
                 ORDER BY created_at DESC, id DESC LIMIT ?6",
            )?;
            let rows = stmt.query_map(
                params![q.staff_id.0, from, to, after, before, q.limit],
                |r| {
                    Ok(MessageRow {
                        files: r.get(14)?,
                        ..message_row(r)?
                    })
                },
            )?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map(Some)
        })
    }
}

/// Turns on the query planner stability guarantee. Without it SQLite (3.51) marks a statement
/// whose plan could depend on a bound value (a `LIMIT ?`, a range it could estimate) and
/// parses and plans it again every time it runs with new bindings: the `getmessage` page was
/// compiled anew on every call (20% of the server's CPU under wrk, `sqlite3Reprepare` in
/// perf), the push worker's claim too. Our plans never depend on those values.
pub(super) fn plan_once(conn: &Connection) -> rusqlite::Result<()> {
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    Ok(())
}

/// `plan_once` for a connection of sqlx's pools, run once as each connects.
pub(super) async fn plan_once_sqlx(conn: &mut sqlx::SqliteConnection) -> sqlx::Result<()> {
    on_sqlx_handle(conn, plan_once).await
}

/// Runs `f` on the SQLite handle under a sqlx connection, for what sqlx has no setting for.
async fn on_sqlx_handle<T>(
    conn: &mut sqlx::SqliteConnection,
    f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
) -> sqlx::Result<T> {
    let mut handle = conn.lock_handle().await?;
    let raw = handle.as_raw_handle();
    // SAFETY: the handle stays locked (no statement runs on it) while `borrowed` lives, and
    // `from_handle` borrows it: dropping `borrowed` does not close sqlx's connection.
    #[allow(unsafe_code)]
    let borrowed = unsafe { Connection::from_handle(raw.as_ptr()) }
        .map_err(|e| sqlx::Error::Configuration(Box::new(e)))?;
    f(&borrowed).map_err(|e| sqlx::Error::Configuration(Box::new(e)))
}

fn staff_row(r: &Row<'_>) -> rusqlite::Result<StaffRow> {
    Ok(StaffRow {
        id: r.get(0)?,
        partner_id: r.get(1)?,
        phone: r.get(2)?,
        name: r.get(3)?,
        device: r.get(4)?,
        push_token: r.get(5)?,
        push_device: r.get(6)?,
        state: r.get(7)?,
        created_at: r.get(8)?,
        updated_at: r.get(9)?,
    })
}

fn claimed_row(r: &Row<'_>) -> rusqlite::Result<ClaimedDelivery> {
    Ok(ClaimedDelivery {
        job_id: r.get(0)?,
        attempts: r.get(1)?,
        queued_at: r.get(2)?,
        message_id: r.get(3)?,
        partner_id: r.get(4)?,
        staff_id: r.get(5)?,
        title: r.get(6)?,
        body: r.get(7)?,
        status: r.get(8)?,
        created_at: r.get(9)?,
        push_token: r.get(10)?,
        push_device: r.get(11)?,
        ack_required: r.get(12)?,
        reminder: r.get(13)?,
    })
}

fn message_row(r: &Row<'_>) -> rusqlite::Result<MessageRow> {
    Ok(MessageRow {
        id: r.get(0)?,
        partner_id: r.get(1)?,
        staff_id: r.get(2)?,
        title: r.get(3)?,
        body: r.get(4)?,
        source: r.get(5)?,
        status: r.get(6)?,
        status_reason: r.get(7)?,
        created_at: r.get(8)?,
        sent_at: r.get(9)?,
        delivered_at: r.get(10)?,
        read_at: r.get(11)?,
        ack_required: r.get(12)?,
        acked_at: r.get(13)?,
        sent_by: None,
        sms_at: None,
        // Read by the page alone, its 15th column.
        files: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::StatementStatus;
    use sqlx::sqlite::SqlitePoolOptions;

    /// How many times SQLite compiled the statement again over three runs with new LIMITs.
    fn recompiles(conn: &Connection) -> i32 {
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS t (x INTEGER); INSERT INTO t VALUES (1), (2);",
        )
        .unwrap();
        let mut stmt = conn
            .prepare("SELECT x FROM t WHERE x > ?1 LIMIT ?2")
            .unwrap();
        for limit in 1..=3 {
            let rows: Vec<i64> = stmt
                .query_map(params![0, limit], |r| r.get(0))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            assert_eq!(rows.len(), (limit as usize).min(2));
        }
        stmt.get_status(StatementStatus::RePrepare)
    }

    #[test]
    fn a_statement_is_planned_once_whatever_its_bindings() {
        let plain = Connection::open_in_memory().unwrap();
        assert!(
            recompiles(&plain) > 0,
            "SQLite no longer recompiles on new bindings"
        );
        let fixed = Connection::open_in_memory().unwrap();
        plan_once(&fixed).unwrap();
        assert_eq!(recompiles(&fixed), 0);
    }

    #[tokio::test]
    async fn sqlx_connections_get_the_same_setting() {
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .after_connect(|conn, _| Box::pin(plan_once_sqlx(conn)))
            .connect("sqlite::memory:")
            .await
            .unwrap();
        let mut conn = pool.acquire().await.unwrap();
        let qpsg = on_sqlx_handle(&mut conn, |c| {
            c.db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG)
        })
        .await
        .unwrap();
        assert!(qpsg);
    }
}
