//! Reminders to acknowledge: the company pushes a message again to an employee who has not
//! confirmed it ("Ознакомлен(а)") yet. A reminder is a delivery job marked `reminder`: the
//! worker pushes it although the message was delivered or read, drops it once the message is
//! acknowledged or recalled, and records its outcome as a `reminder` history entry, leaving
//! the status as it is (migration 26).

use super::acks::awaiting_ack_sql;
use super::deliveries::BeginWrite;
use super::recall::same_send_sql;
use super::{Pool, SentPush, Store, exec, ids_json, with_pool, with_writer};
use crate::domain::Millis;
use crate::error::Result;
use std::collections::HashMap;

/// A message `m` (its employee `s`) that can be reminded now: it asks to be acknowledged and
/// was pushed (`sent`, `delivered`, `read`: a queued one is on its way, a failed one is for
/// `resend`), was not reminded after `$3`, has no job waiting, and its employee is active
/// with a device.
macro_rules! remindable_sql {
    () => {
        "m.ack_required AND m.status IN ('sent', 'delivered', 'read')
         AND (m.reminded_at IS NULL OR m.reminded_at <= $3)
         AND s.state = 'active' AND s.push_token IS NOT NULL AND s.push_token <> ''
         AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id)"
    };
}

/// SQLite: the partner's (`$1`) messages among a JSON array of ids (`$2`) that can be reminded,
/// marked reminded; found by rowid (`+`: not by walking the partner's index).
pub(super) const REMIND_SQLITE: &str = concat!(
    "UPDATE messages SET reminded_at = $4 WHERE id IN (
       SELECT m.id FROM messages m JOIN staff s ON s.id = m.staff_id
       WHERE m.id IN (SELECT value FROM json_each($2)) AND +m.partner_id = $1 AND ",
    remindable_sql!(),
    ") RETURNING id"
);

/// The reminders of one send (see `Store::same_send`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SendReminders {
    /// How many of its messages `remind_messages` would remind now.
    pub remindable: i64,
    /// When one of them was last reminded.
    pub last: Option<Millis>,
    /// The message asked about can be reminded now.
    pub this_one: bool,
}

/// Where a partner's automatic reminders have looked up to: the creation time and id of the
/// last message looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AckCursor {
    pub at: Millis,
    pub id: i64,
}

/// The messages of one partner whose automatic reminder is due, oldest first, and where the
/// cursor goes once they are reminded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverdueAcks {
    pub partner_id: i64,
    pub ids: Vec<i64>,
    pub cursor: AckCursor,
}

const HOUR_MS: Millis = 3_600_000;

/// A recall push for message `$1` if it is recalled, its employee still has a token and no
/// push of it waits already.
const RECALL_AGAIN: &str = "INSERT INTO deliveries (message_id, attempts, due_at, created_at)
     SELECT m.id, 0, $2, $2 FROM messages m JOIN staff s ON s.id = m.staff_id
     WHERE m.id = $1 AND m.status = 'recalled' AND s.push_token IS NOT NULL AND s.push_token <> ''
       AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id)";

impl Store {
    /// The partner's automatic reminders: hours after a message is sent (0: off).
    pub async fn ack_remind_hours(&self, partner_id: i64) -> Result<i64> {
        Ok(with_pool!(self, p => sqlx::query_scalar(
            "SELECT ack_remind_hours FROM partners WHERE id = $1",
        )
        .bind(partner_id)
        .fetch_one(p)
        .await)?)
    }

    /// Sets the partner's automatic reminders (`hours`, 0: off). Turned on, they start from
    /// `now`: the messages sent before are left alone. A new delay keeps the cursor.
    pub async fn set_ack_remind_hours(
        &self,
        partner_id: i64,
        hours: i64,
        now: Millis,
    ) -> Result<()> {
        exec!(self, p => sqlx::query(
            // Every SET expression reads the row as it was.
            "UPDATE partners SET
               ack_remind_after_at = CASE WHEN ack_remind_hours = 0 AND $2 > 0 THEN $3 ELSE ack_remind_after_at END,
               ack_remind_after_id = CASE WHEN ack_remind_hours = 0 AND $2 > 0 THEN 0 ELSE ack_remind_after_id END,
               ack_remind_hours = $2
             WHERE id = $1",
        )
        .bind(partner_id)
        .bind(hours)
        .bind(now)
        .execute(p)
        .await)?;
        Ok(())
    }

    /// For each partner with automatic reminders on, its messages past the delay at `now`, past
    /// its cursor and still awaiting acknowledgment: at most `limit`, read through the partial
    /// index `messages_awaiting_ack`. The cursor returned is the last of them, or the delay's
    /// edge when they were all.
    pub async fn overdue_acks(&self, now: Millis, limit: i64) -> Result<Vec<OverdueAcks>> {
        let partners: Vec<(i64, i64, Millis, i64)> = with_pool!(self, p => sqlx::query_as(
            "SELECT id, ack_remind_hours, ack_remind_after_at, ack_remind_after_id FROM partners
             WHERE ack_remind_hours > 0 AND NOT disabled ORDER BY id",
        )
        .fetch_all(p)
        .await)?;
        macro_rules! overdue_sql {
            ($db:ident) => {
                concat!(
                    "SELECT m.id, m.created_at FROM messages m
                     WHERE m.partner_id = $1 AND ",
                    awaiting_ack_sql!($db),
                    " AND m.created_at >= $2 AND (m.created_at > $2 OR m.id > $3)
                      AND m.created_at <= $4
                     ORDER BY m.created_at, m.id LIMIT $5"
                )
            };
        }
        let mut overdue = Vec::new();
        for (partner_id, hours, after_at, after_id) in partners {
            let edge = now - hours * HOUR_MS;
            if edge < after_at {
                continue;
            }
            macro_rules! fetch {
                ($p:expr, $db:ident) => {
                    sqlx::query_as(overdue_sql!($db))
                        .bind(partner_id)
                        .bind(after_at)
                        .bind(after_id)
                        .bind(edge)
                        .bind(limit)
                        .fetch_all($p)
                        .await?
                };
            }
            let rows: Vec<(i64, Millis)> = match &self.pool {
                Pool::Sqlite(p) => fetch!(p, sqlite),
                Pool::Postgres(p) => fetch!(p, postgres),
            };
            let cursor = match rows.last() {
                Some(&(id, at)) if rows.len() as i64 >= limit => AckCursor { at, id },
                // All of them: nothing up to the edge is left to look at.
                _ => AckCursor {
                    at: edge,
                    id: i64::MAX,
                },
            };
            overdue.push(OverdueAcks {
                partner_id,
                ids: rows.into_iter().map(|(id, _)| id).collect(),
                cursor,
            });
        }
        Ok(overdue)
    }

    /// Moves the partner's cursor of automatic reminders forward (never back).
    pub async fn advance_ack_cursor(&self, partner_id: i64, cursor: AckCursor) -> Result<()> {
        exec!(self, p => sqlx::query(
            "UPDATE partners SET ack_remind_after_at = $2, ack_remind_after_id = $3
             WHERE id = $1 AND ack_remind_hours > 0
               AND (ack_remind_after_at < $2 OR (ack_remind_after_at = $2 AND ack_remind_after_id < $3))",
        )
        .bind(partner_id)
        .bind(cursor.at)
        .bind(cursor.id)
        .execute(p)
        .await)?;
        Ok(())
    }

    /// Queues a reminder for each of `ids` that is the partner's and can be reminded now
    /// (none reminded after `since`), in one transaction; returns their IDs, ascending.
    pub async fn remind_messages(
        &self,
        partner_id: i64,
        ids: &[i64],
        since: Millis,
        now: Millis,
    ) -> Result<Vec<i64>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut reminded: Vec<i64> = match &self.writer {
            Pool::Sqlite(p) => {
                // No data-modifying CTEs in SQLite: the same steps in one write transaction,
                // which no other writer enters, so no job can appear between them.
                let mut tx = p.begin_write().await?;
                let changed: Vec<i64> = sqlx::query_scalar(REMIND_SQLITE)
                    .bind(partner_id)
                    .bind(ids_json(ids)?)
                    .bind(since)
                    .bind(now)
                    .fetch_all(&mut *tx)
                    .await?;
                sqlx::query(
                    "INSERT INTO deliveries (message_id, attempts, due_at, created_at, reminder)
                     SELECT value, 0, $2, $2, 1 FROM json_each($1)",
                )
                .bind(ids_json(&changed)?)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                changed
            }
            Pool::Postgres(p) => {
                // The row's own conditions are repeated on the UPDATE: when two reminders race
                // for one message, the second re-reads the row the first changed and skips it.
                // A job that appeared meanwhile (a recall's) wins, and the message is not
                // counted as reminded.
                sqlx::query_scalar(concat!(
                    "WITH changed AS (
                       UPDATE messages SET reminded_at = $4 WHERE id IN (
                         SELECT m.id FROM messages m JOIN staff s ON s.id = m.staff_id
                         WHERE m.id = ANY($2) AND m.partner_id = $1 AND ",
                    remindable_sql!(),
                    ") AND status IN ('sent', 'delivered', 'read')
                         AND (reminded_at IS NULL OR reminded_at <= $3)
                       RETURNING id
                     ), jobs AS (
                       INSERT INTO deliveries (message_id, attempts, due_at, created_at, reminder)
                       SELECT id, 0, $4, $4, TRUE FROM changed
                       ON CONFLICT (message_id) DO NOTHING RETURNING message_id
                     )
                     SELECT message_id FROM jobs"
                ))
                .bind(partner_id)
                .bind(ids)
                .bind(since)
                .bind(now)
                .fetch_all(p)
                .await?
            }
        };
        if !reminded.is_empty() {
            self.hint_outbox();
        }
        reminded.sort_unstable();
        Ok(reminded)
    }

    /// The reminders of `id`'s send (or of that message alone, sent by itself): how many can
    /// be reminded now (none reminded after `since`), whether `id` is one, and the last
    /// reminder; another partner's message finds nothing.
    pub async fn send_reminders(
        &self,
        partner_id: i64,
        id: i64,
        since: Millis,
    ) -> Result<SendReminders> {
        let (remindable, last, this_one): (i64, Option<Millis>, i64) = with_pool!(self, p => sqlx::query_as(concat!(
            "SELECT COALESCE(SUM(CASE WHEN ",
            remindable_sql!(),
            " THEN 1 ELSE 0 END), 0), MAX(m.reminded_at),
             CAST(COALESCE(MAX(CASE WHEN m.id = $2 AND ",
            remindable_sql!(),
            " THEN 1 ELSE 0 END), 0) AS BIGINT)
             FROM messages m JOIN staff s ON s.id = m.staff_id WHERE m.id IN (",
            same_send_sql!("o.id", ""),
            ")"
        ))
        .bind(partner_id)
        .bind(id)
        .bind(since)
        .fetch_one(p)
        .await)?;
        Ok(SendReminders {
            remindable,
            last,
            this_one: this_one > 0,
        })
    }

    /// When each of these messages was last reminded, for those that were. Asked only for
    /// messages that ask to be acknowledged, so a status query without them costs nothing more.
    pub async fn reminder_dates(&self, ids: &[i64]) -> Result<HashMap<i64, Millis>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows: Vec<(i64, Millis)> = match &self.pool {
            Pool::Sqlite(p) => {
                sqlx::query_as(
                    "SELECT id, reminded_at FROM messages
                     WHERE id IN (SELECT value FROM json_each($1)) AND reminded_at IS NOT NULL",
                )
                .bind(ids_json(ids)?)
                .fetch_all(p)
                .await?
            }
            Pool::Postgres(p) => {
                sqlx::query_as(
                    "SELECT id, reminded_at FROM messages
                     WHERE id = ANY($1) AND reminded_at IS NOT NULL",
                )
                .bind(ids)
                .fetch_all(p)
                .await?
            }
        };
        Ok(rows.into_iter().collect())
    }

    /// A reminder that could not be pushed: its job ends, the history says why (`detail`).
    pub async fn reminder_failed(
        &self,
        job_id: i64,
        message_id: i64,
        detail: &str,
        now: Millis,
    ) -> Result<()> {
        self.reminders_done(&[(job_id, message_id, detail)], false, now)
            .await
    }

    /// The reminders of a push round the provider accepted, recorded in one transaction.
    pub async fn reminders_sent(&self, pushes: &[SentPush], now: Millis) -> Result<()> {
        let done: Vec<(i64, i64, &str)> = pushes
            .iter()
            .map(|p| (p.job_id, p.message_id, p.detail.as_str()))
            .collect();
        self.reminders_done(&done, true, now).await
    }

    /// Reminders' jobs end (job, message, what happened): each message's history says so, its
    /// status stays. Nothing is written for a job gone already: the message was recalled
    /// meanwhile. If that reminder was `accepted` all the same, its recall push may have
    /// reached the phone first, and the reminder would bring the message back there: the
    /// recall is pushed again, after it.
    async fn reminders_done(
        &self,
        done: &[(i64, i64, &str)],
        accepted: bool,
        now: Millis,
    ) -> Result<()> {
        with_writer!(self, p => async {
            let mut tx = p.begin_write().await?;
            for &(job_id, message_id, detail) in done {
                let gone = sqlx::query("DELETE FROM deliveries WHERE id = $1")
                    .bind(job_id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if gone == 0 && accepted {
                    sqlx::query(RECALL_AGAIN)
                        .bind(message_id)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                } else if gone > 0 {
                    sqlx::query(
                        "INSERT INTO message_events (message_id, status, detail, created_at)
                         VALUES ($1, 'reminder', $2, $3)",
                    )
                    .bind(message_id)
                    .bind(detail)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            tx.commit().await
        }.await)?;
        Ok(())
    }
}
