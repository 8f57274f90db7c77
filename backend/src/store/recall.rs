//! Recalling messages: the partner withdraws what it sent, and the app deletes it at its sync.

use super::deliveries::BeginWrite;
use super::{Pool, Store, ids_json, with_pool};
use crate::domain::Millis;
use crate::error::Result;
use std::collections::{HashMap, HashSet};

/// The messages of one send (see `Store::same_send`), as `$what`: the message itself, and
/// those sharing its `send_id` (a message sent alone has none).
macro_rules! same_send_sql {
    ($what:literal, $tail:literal) => {
        concat!(
            // Two branches, not one OR: with an OR the planners may walk the partner's
            // messages instead of the two indexes.
            "SELECT ",
            $what,
            " FROM (
               SELECT o.id FROM messages o
                WHERE o.id = $2 AND o.partner_id = $1 AND o.status <> 'recalled'
               UNION ALL
               SELECT o.id FROM messages o
                WHERE o.send_id = (SELECT m.send_id FROM messages m WHERE m.id = $2 AND m.partner_id = $1)
                  AND o.id <> $2 AND o.partner_id = $1 AND o.status <> 'recalled'
             ) o ",
            $tail
        )
    };
}
pub(super) use same_send_sql;

/// What a recall did.
#[derive(Debug, PartialEq, Eq)]
pub enum Recall {
    /// Every id is the partner's: these were recalled now, those had been before.
    Done {
        recalled: Vec<i64>,
        already: Vec<i64>,
        /// Recall pushes queued: for the messages recalled now that had been pushed, to an
        /// employee who still has a device.
        pushes: u64,
    },
    /// Some ids are none of the partner's messages: nothing was changed.
    Unknown(Vec<i64>),
}

/// Most recalled ids the app gets at one sync: the newest ones. Older recalls were taken by
/// earlier syncs (deleting them again does nothing), unless the phone was off for that many.
pub const RECALLED_PAGE: i64 = 1000;

/// An employee's messages by status (the card's counts), by the employee's own index. The
/// partner's column is hidden (`+`): without statistics SQLite took its index and walked a
/// million messages for a hundred (250 ms on the card, 2 ms by the employee's).
pub(super) const STAFF_TALLY: &str =
    "SELECT status, COUNT(*) FROM messages WHERE staff_id = $2 AND +partner_id = $1
      GROUP BY status";

/// A send's messages by status (the message page's counts), by the send's index; the
/// partner's column hidden as in [`STAFF_TALLY`].
pub(super) const SEND_TALLY: &str = "SELECT o.status, COUNT(*) FROM messages o
      WHERE o.send_id = (SELECT m.send_id FROM messages m WHERE m.id = $2 AND m.partner_id = $1)
        AND +o.partner_id = $1
      GROUP BY o.status";

impl Store {
    /// Recalls the partner's messages `ids` in one transaction: each takes the status
    /// `recalled` with a history entry (and so a webhook event) saying `detail`, its push job
    /// is dropped if it has not gone yet, and nothing changes its status afterwards. All or
    /// nothing: one id that is not the partner's and no message changes.
    pub async fn recall_messages(
        &self,
        partner_id: i64,
        ids: &[i64],
        detail: &str,
        now: Millis,
    ) -> Result<Recall> {
        let mut unique = HashSet::with_capacity(ids.len());
        let ids: Vec<i64> = ids
            .iter()
            .copied()
            .filter(|id| unique.insert(*id))
            .collect();
        let (found, changed, pushes): (Vec<i64>, Vec<i64>, u64) = match &self.writer {
            Pool::Sqlite(p) => recall_sqlite(p, partner_id, &ids, detail, now).await?,
            Pool::Postgres(p) => {
                // A push round locks its messages in its own order; a deadlock with it aborts
                // one of the two, and the recall tries again (the round will have finished).
                let mut tries = 0;
                loop {
                    match recall_pg(p, partner_id, &ids, detail, now).await {
                        Err(e) if is_deadlock(&e) && tries < 3 => tries += 1,
                        other => break other?,
                    }
                }
            }
        };
        if found.len() < ids.len() {
            let found: HashSet<i64> = found.into_iter().collect();
            return Ok(Recall::Unknown(
                ids.into_iter().filter(|id| !found.contains(id)).collect(),
            ));
        }
        let changed_set: HashSet<i64> = changed.iter().copied().collect();
        let (mut recalled, already): (Vec<i64>, Vec<i64>) =
            ids.into_iter().partition(|id| changed_set.contains(id));
        recalled.sort_unstable();
        Ok(Recall::Done {
            recalled,
            already,
            pushes,
        })
    }

    /// The employee's recalled messages, newest first (at most `RECALLED_PAGE`).
    pub async fn recalled_for_staff(&self, staff_id: i64) -> Result<Vec<i64>> {
        Ok(with_pool!(self, p => sqlx::query_scalar(
            "SELECT id FROM messages WHERE staff_id = $1 AND status = 'recalled' ORDER BY id DESC LIMIT $2",
        )
        .bind(staff_id)
        .bind(RECALLED_PAGE)
        .fetch_all(p)
        .await)?)
    }

    /// When each of these messages was recalled (its history's `recalled` entry). Asked only
    /// for the recalled ones, so a status query without recalls costs nothing more.
    pub async fn recall_dates(&self, ids: &[i64]) -> Result<HashMap<i64, Millis>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows: Vec<(i64, Millis)> = match &self.pool {
            Pool::Sqlite(p) => {
                sqlx::query_as(
                    "SELECT message_id, MAX(created_at) FROM message_events
                     WHERE message_id IN (SELECT value FROM json_each($1)) AND status = 'recalled'
                     GROUP BY message_id",
                )
                .bind(ids_json(ids)?)
                .fetch_all(p)
                .await?
            }
            Pool::Postgres(p) => {
                sqlx::query_as(
                    "SELECT message_id, MAX(created_at) FROM message_events
                     WHERE message_id = ANY($1) AND status = 'recalled' GROUP BY message_id",
                )
                .bind(ids)
                .fetch_all(p)
                .await?
            }
        };
        Ok(rows.into_iter().collect())
    }

    /// How many `same_send` finds: a message's page shows it on its button, and a send of
    /// 10,000 would otherwise bring 10,000 rows to count them.
    pub async fn same_send_count(&self, partner_id: i64, id: i64) -> Result<i64> {
        Ok(
            with_pool!(self, p => sqlx::query_scalar(same_send_sql!("COUNT(*)", ""))
            .bind(partner_id)
            .bind(id)
            .fetch_one(p)
            .await)?,
        )
    }

    /// The send the partner's message `id` is part of, for the list's filter: its `send_id`, or
    /// the message alone (also when it is not the partner's: the list then finds nothing).
    pub async fn send_of(&self, partner_id: i64, id: i64) -> Result<crate::store::OneSend> {
        let send: Option<Option<i64>> = with_pool!(self, p => sqlx::query_scalar(
            "SELECT send_id FROM messages WHERE id = $2 AND partner_id = $1",
        )
        .bind(partner_id)
        .bind(id)
        .fetch_optional(p)
        .await)?;
        Ok(match send.flatten() {
            Some(send) => crate::store::OneSend::Of(send),
            None => crate::store::OneSend::Alone(id),
        })
    }

    /// How many of the partner's messages to employee `staff` are in each status, in the
    /// statuses' order.
    pub async fn staff_message_tally(
        &self,
        partner_id: i64,
        staff: crate::domain::StaffId,
    ) -> Result<Vec<(String, i64)>> {
        Ok(in_status_order(
            with_pool!(self, p => sqlx::query_as(STAFF_TALLY)
        .bind(partner_id)
        .bind(staff.0)
        .fetch_all(p)
        .await)?,
        ))
    }

    /// How many messages of the send of the partner's message `id` are in each status (in the
    /// statuses' order), recalled ones too; empty for a message sent alone (or not the
    /// partner's).
    pub async fn send_tally(&self, partner_id: i64, id: i64) -> Result<Vec<(String, i64)>> {
        Ok(in_status_order(
            with_pool!(self, p => sqlx::query_as(SEND_TALLY)
        .bind(partner_id)
        .bind(id)
        .fetch_all(p)
        .await)?,
        ))
    }

    /// The messages of the same send as `id`, itself included, not yet recalled: those one
    /// bulk send, group send or scheduled run stored together (`send_id`, migration 19).
    pub async fn same_send(&self, partner_id: i64, id: i64) -> Result<Vec<i64>> {
        Ok(with_pool!(self, p => sqlx::query_scalar(
            same_send_sql!("o.id", "ORDER BY o.id"),
        )
        .bind(partner_id)
        .bind(id)
        .fetch_all(p)
        .await)?)
    }
}

/// The recall pushes of messages recalled while their own push was on its way (handed to a
/// worker, or claimed): when the provider's acceptance is recorded, a message that is
/// `recalled` and has no `sent_at` yet gets its recall push now, since the recall could not
/// know it would reach the phone. `$insert` inserts the job of each message `m` it selects
/// (the pushes joined to their messages); the rest filters. Runs on every recording of
/// pushes, so it is one indexed join that finds nothing almost always.
macro_rules! recall_after_push_sql {
    ($insert:literal) => {
        concat!(
            $insert,
            " JOIN staff s ON s.id = m.staff_id
             WHERE m.status = 'recalled' AND m.sent_at IS NULL
               AND s.push_token IS NOT NULL AND s.push_token <> ''"
        )
    };
}
pub(crate) use recall_after_push_sql;

/// The recall pushes, queued as delivery jobs (unleased: a worker claims them): one for each
/// message recalled now that had been pushed (`sent_at`), whose employee still has a token. The
/// worker sees the status `recalled` and sends the recall instead of the message; its outcome
/// changes no status (only queued, failed and no-device messages become sent or failed).
macro_rules! recall_pushes_sql {
    ($ids:literal) => {
        concat!(
            "INSERT INTO deliveries (message_id, attempts, due_at, created_at)
             SELECT m.id, 0, $2, $2 FROM messages m JOIN staff s ON s.id = m.staff_id
             WHERE ",
            $ids,
            " AND m.sent_at IS NOT NULL AND s.push_token IS NOT NULL AND s.push_token <> ''"
        )
    };
}
const RECALL_PUSHES_SQLITE: &str = recall_pushes_sql!("m.id IN (SELECT value FROM json_each($1))");
const RECALL_PUSHES_PG: &str = recall_pushes_sql!("m.id = ANY($1)");

/// The partner's (`$1`) messages among a JSON array of ids (`$2`), found by rowid (`+`: not by
/// walking the partner's or the status's index, every message of the partner for a few).
pub(super) const RECALL_FOUND_SQLITE: &str =
    "SELECT id FROM messages WHERE id IN (SELECT value FROM json_each($2)) AND +partner_id = $1";
/// Those of them not recalled yet, recalled; found as `RECALL_FOUND_SQLITE` finds them.
pub(super) const RECALL_SET_SQLITE: &str =
    "UPDATE messages SET status = 'recalled', status_reason = NULL
     WHERE id IN (SELECT value FROM json_each($2)) AND +partner_id = $1 AND +status <> 'recalled'
     RETURNING id";

/// SQLite's recall transaction (the write lock taken up front): the messages found and those
/// changed.
async fn recall_sqlite(
    p: &sqlx::SqlitePool,
    partner_id: i64,
    ids: &[i64],
    detail: &str,
    now: Millis,
) -> Result<(Vec<i64>, Vec<i64>, u64)> {
    let json = ids_json(ids)?;
    let mut tx = p.begin_write().await?;
    let found: Vec<i64> = sqlx::query_scalar(RECALL_FOUND_SQLITE)
        .bind(partner_id)
        .bind(&json)
        .fetch_all(&mut *tx)
        .await?;
    if found.len() < ids.len() {
        return Ok((found, Vec::new(), 0));
    }
    let changed: Vec<i64> = sqlx::query_scalar(RECALL_SET_SQLITE)
        .bind(partner_id)
        .bind(&json)
        .fetch_all(&mut *tx)
        .await?;
    let changed_json = ids_json(&changed)?;
    sqlx::query("DELETE FROM deliveries WHERE message_id IN (SELECT value FROM json_each($1))")
        .bind(&changed_json)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO message_events (message_id, status, detail, created_at)
         SELECT value, 'recalled', $2, $3 FROM json_each($1) ORDER BY key",
    )
    .bind(&changed_json)
    .bind(detail)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let pushes = sqlx::query(RECALL_PUSHES_SQLITE)
        .bind(&changed_json)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    Ok((found, changed, pushes))
}

fn is_deadlock(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.code().as_deref() == Some("40P01"))
}

/// PostgreSQL's recall transaction: the messages found (locked, in id order) and those changed.
async fn recall_pg(
    p: &sqlx::PgPool,
    partner_id: i64,
    ids: &[i64],
    detail: &str,
    now: Millis,
) -> std::result::Result<(Vec<i64>, Vec<i64>, u64), sqlx::Error> {
    let mut tx = p.begin_write().await?;
    // Locked: a push outcome or the app's report waits for this transaction, then finds the
    // status `recalled` and leaves it.
    let found: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM messages WHERE id = ANY($2) AND partner_id = $1 ORDER BY id FOR UPDATE",
    )
    .bind(partner_id)
    .bind(ids)
    .fetch_all(&mut *tx)
    .await?;
    if found.len() < ids.len() {
        return Ok((found, Vec::new(), 0));
    }
    let changed: Vec<i64> = sqlx::query_scalar(
        "WITH changed AS (
             UPDATE messages SET status = 'recalled', status_reason = NULL
             WHERE id = ANY($1) AND partner_id = $2 AND status <> 'recalled'
             RETURNING id),
         gone AS (DELETE FROM deliveries WHERE message_id IN (SELECT id FROM changed)),
         events AS (
             INSERT INTO message_events (message_id, status, detail, created_at)
             SELECT id, 'recalled', $3, $4 FROM changed ORDER BY id)
         SELECT id FROM changed",
    )
    .bind(ids)
    .bind(partner_id)
    .bind(detail)
    .bind(now)
    .fetch_all(&mut *tx)
    .await?;
    let pushes = sqlx::query(RECALL_PUSHES_PG)
        .bind(&changed)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    Ok((found, changed, pushes))
}

/// Counts by status in the statuses' lifecycle order (queued … recalled), not the alphabet's.
fn in_status_order(mut counts: Vec<(String, i64)>) -> Vec<(String, i64)> {
    counts.sort_by_key(|(status, _)| {
        crate::store::MessageStatus::ALL
            .iter()
            .position(|st| st.as_str() == status)
    });
    counts
}
