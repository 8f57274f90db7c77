//! A whole staff in several `addstaff` calls (migration 28), for companies above the 10,000 a
//! call that one list in one transaction takes: a sync is opened, each list given its ID marks
//! the employees it names, and the finish disables, in one statement, whoever was an employee
//! before the sync began and was not named. Each call is its own transaction, so a company of
//! 100,000 never holds the writer for the whole export.

use super::Store;
use crate::domain::Millis;
use crate::error::{Error, Result};

/// How long a sync stays open: a nightly export that has not finished by the next night is
/// abandoned, and its marks are never read.
pub const SYNC_TTL: Millis = 24 * 3_600_000;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StaffSyncRow {
    pub id: i64,
    /// `open`, `finished` or `superseded` (by a sync begun after it).
    pub state: String,
    pub started_at: Millis,
    pub expires_at: Millis,
    pub ended_at: Option<Millis>,
    /// At the finish: how many employees were listed, and how many were disabled.
    pub listed: i64,
    pub disabled: i64,
}

/// What finishing a sync did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncFinished {
    /// The partner's employees the sync listed.
    pub listed: i64,
    /// Those disabled now, ascending.
    pub disabled: Vec<i64>,
}

/// Locks the sync's row for the rest of the transaction and reads it. An update rather than a
/// read: on SQLite it makes the transaction a writer from its first statement, on PostgreSQL it
/// takes the row lock, so a list and the finish of one sync never interleave.
pub(crate) const TOUCH: &str =
    "UPDATE staff_syncs SET state = state WHERE id = $1 AND partner_id = $2
     RETURNING id, state, started_at, expires_at, ended_at, listed, disabled";
pub(super) const MARK_SQLITE: &str = "UPDATE staff SET sync_id = $3
     WHERE partner_id = $1 AND phone IN (SELECT value FROM json_each($2))";
pub(super) const MARK_PG: &str =
    "UPDATE staff SET sync_id = $3 WHERE partner_id = $1 AND phone = ANY($2)";
pub(crate) const LISTED: &str = "SELECT COUNT(*) FROM staff WHERE partner_id = $1 AND sync_id = $2";
/// Employees who registered or were added after the sync began are left alone: the export
/// was taken before they were there.
const DISABLE_UNLISTED: &str = "UPDATE staff SET state = 'disabled', updated_at = $3
     WHERE partner_id = $1 AND state <> 'disabled' AND created_at < $4
       AND (sync_id IS NULL OR sync_id <> $2)
     RETURNING id";
const END: &str = "UPDATE staff_syncs SET state = 'finished', ended_at = $2, listed = $3,
     disabled = $4 WHERE id = $1";
const SUPERSEDE: &str = "UPDATE staff_syncs SET state = 'superseded', ended_at = $2
     WHERE partner_id = $1 AND state = 'open'";
const INSERT: &str =
    "INSERT INTO staff_syncs (partner_id, started_at, expires_at) VALUES ($1, $2, $3)
     RETURNING id, state, started_at, expires_at, ended_at, listed, disabled";

fn not_found(id: i64) -> Error {
    Error::not_found(phrase!(
        "Синхронизация штата {id} не найдена",
        "Staff sync {id} not found"
    ))
}

/// The sync, if it can take a list or be finished at `now`; a 404 or a 409 saying why not.
pub(crate) fn check_open(row: Option<StaffSyncRow>, id: i64, now: Millis) -> Result<StaffSyncRow> {
    let row = row.ok_or_else(|| not_found(id))?;
    match row.state.as_str() {
        "finished" => Err(Error::Conflict(phrase!(
            "Синхронизация штата {id} уже завершена: начните новую (beginstaffsync)",
            "Staff sync {id} is finished already: begin a new one (beginstaffsync)"
        ))),
        "superseded" => Err(Error::Conflict(phrase!(
            "Синхронизация штата {id} заменена начатой позже: продолжайте ту или начните новую",
            "Staff sync {id} was superseded by one begun later: go on with that one or begin a new one"
        ))),
        _ if row.expires_at <= now => Err(Error::Conflict(phrase!(
            "Синхронизация штата {id} истекла (открыта 24 ч): начните новую",
            "Staff sync {id} has expired (it stays open 24 hours): begin a new one"
        ))),
        _ => Ok(row),
    }
}

/// Locks and checks the sync in `$tx` (see `TOUCH`, `check_open`).
macro_rules! open_sync {
    ($tx:ident, $id:expr, $partner_id:expr, $now:expr) => {{
        let row: Option<$crate::store::staff_sync::StaffSyncRow> =
            sqlx::query_as($crate::store::staff_sync::TOUCH)
                .bind($id)
                .bind($partner_id)
                .fetch_optional(&mut *$tx)
                .await?;
        $crate::store::staff_sync::check_open(row, $id, $now)?
    }};
}
pub(super) use open_sync;

/// How many of the partner's employees the sync has listed so far, in `$tx`.
macro_rules! listed_in_sync {
    ($tx:ident, $id:expr, $partner_id:expr) => {{
        let n: i64 = sqlx::query_scalar($crate::store::staff_sync::LISTED)
            .bind($partner_id)
            .bind($id)
            .fetch_one(&mut *$tx)
            .await?;
        n
    }};
}
pub(super) use listed_in_sync;

/// The finish in `$tx`, committed.
macro_rules! finish_in_tx {
    ($tx:ident, $id:expr, $partner_id:expr, $expected:expr, $now:expr) => {{
        let sync = open_sync!($tx, $id, $partner_id, $now);
        let listed = listed_in_sync!($tx, $id, $partner_id);
        check_listed($id, listed, $expected)?;
        let mut disabled: Vec<i64> = sqlx::query_scalar(DISABLE_UNLISTED)
            .bind($partner_id)
            .bind($id)
            .bind($now)
            .bind(sync.started_at)
            .fetch_all(&mut *$tx)
            .await?;
        sqlx::query(END)
            .bind($id)
            .bind($now)
            .bind(listed)
            .bind(disabled.len() as i64)
            .execute(&mut *$tx)
            .await?;
        $tx.commit().await?;
        disabled.sort_unstable();
        SyncFinished { listed, disabled }
    }};
}

/// Refuses a finish that would disable on a list that is not whole: nobody listed (everyone
/// would go), or not the count the company says it sent.
fn check_listed(id: i64, listed: i64, expected: Option<i64>) -> Result<()> {
    if listed == 0 {
        return Err(Error::Conflict(phrase!(
            "В синхронизацию штата {id} не передан ни один сотрудник: завершить её значило бы отключить всех. Ничего не отключено",
            "No employee was listed in staff sync {id}: finishing it would disable everyone. Nothing was disabled"
        )));
    }
    match expected {
        Some(n) if n != listed => Err(Error::Conflict(phrase!(
            "В синхронизацию штата {id} передано сотрудников: {listed}, а ожидалось {n}. Ничего не отключено: передайте недостающих и завершите снова",
            "Staff sync {id} has listed {listed} employees where {n} were expected. Nothing was disabled: list the missing ones and finish again"
        ))),
        _ => Ok(()),
    }
}

impl Store {
    /// Opens a sync of the partner's whole staff; one still open is superseded.
    pub async fn begin_staff_sync(&self, partner_id: i64, now: Millis) -> Result<StaffSyncRow> {
        super::with_writer!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query(SUPERSEDE)
                .bind(partner_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            let row: StaffSyncRow = sqlx::query_as(INSERT)
                .bind(partner_id)
                .bind(now)
                .bind(now + SYNC_TTL)
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(row)
        })
    }

    /// Finishes the sync: disables the partner's employees who were there before it began and
    /// were not listed. With `expected`, refused unless exactly that many were listed.
    pub async fn finish_staff_sync(
        &self,
        partner_id: i64,
        id: i64,
        expected: Option<i64>,
        now: Millis,
    ) -> Result<SyncFinished> {
        super::with_writer!(self, p => {
            let mut tx = p.begin().await?;
            Ok(finish_in_tx!(tx, id, partner_id, expected, now))
        })
    }

    /// The partner's latest sync, for the cabinet.
    pub async fn last_staff_sync(&self, partner_id: i64) -> Result<Option<StaffSyncRow>> {
        const LAST: &str = "SELECT id, state, started_at, expires_at, ended_at, listed, disabled
             FROM staff_syncs WHERE partner_id = $1 ORDER BY id DESC LIMIT 1";
        super::with_pool!(self, p => Ok(sqlx::query_as(LAST).bind(partner_id).fetch_optional(p).await?))
    }
}
