//! Pushing again: a message that could not be pushed (`failed`: the provider kept refusing or
//! was down past the retries; `no_device`: the employee had no app to push to) goes back to
//! the queue, once its employee is active and has a device. The message was never lost (the
//! app gets it at its next sync); this is for the notification.

use super::deliveries::BeginWrite;
use super::{Pool, Store, ids_json, with_pool};
use crate::domain::Millis;
use crate::error::Result;

/// The partner's (`$1`) messages among `$ids` that can be pushed again, as `$what`. `$ids` is
/// a list of ids or one send: what drives the query, never the partner's index (`+`), which
/// would walk every failed message of the partner for a few.
macro_rules! resendable_sql {
    ($what:literal, $ids:literal) => {
        concat!(
            "SELECT ",
            $what,
            " FROM messages m JOIN staff s ON s.id = m.staff_id WHERE ",
            $ids,
            " AND +m.partner_id = $1 AND m.status IN ('failed', 'no_device')
              AND s.state = 'active' AND s.push_token IS NOT NULL AND s.push_token <> ''"
        )
    };
}

/// Back to the queue: the status (checked again as the row is updated, so a report from the
/// app that came meanwhile wins), a history entry and an unleased job per message.
macro_rules! resend_sql {
    ($ids:literal) => {
        concat!(
            "WITH changed AS (
               UPDATE messages SET status = 'queued', status_reason = NULL
               WHERE id IN (",
            resendable_sql!("m.id", $ids),
            ") AND status IN ('failed', 'no_device') RETURNING id
             ), events AS (
               INSERT INTO message_events (message_id, status, detail, created_at)
               SELECT id, 'queued', $3, $4 FROM changed
             ), jobs AS (
               INSERT INTO deliveries (message_id, attempts, due_at, created_at)
               SELECT id, 0, $4, $4 FROM changed
             )
             SELECT id FROM changed ORDER BY id"
        )
    };
}

/// SQLite: how many of a JSON array of ids (`$2`) can be pushed again.
pub(super) const RESENDABLE_COUNT_SQLITE: &str =
    resendable_sql!("COUNT(*)", "m.id IN (SELECT value FROM json_each($2))");

impl Store {
    /// How many of `ids` `resend_messages` would queue again.
    pub async fn resendable_count(&self, partner_id: i64, ids: &[i64]) -> Result<i64> {
        Ok(match &self.pool {
            Pool::Sqlite(p) => {
                sqlx::query_scalar(RESENDABLE_COUNT_SQLITE)
                    .bind(partner_id)
                    .bind(ids_json(ids)?)
                    .fetch_one(p)
                    .await?
            }
            Pool::Postgres(p) => {
                sqlx::query_scalar(resendable_sql!("COUNT(*)", "m.id = ANY($2)"))
                    .bind(partner_id)
                    .bind(ids)
                    .fetch_one(p)
                    .await?
            }
        })
    }

    /// How many messages of `id`'s send (`send_id`) `resend_messages` would queue: the count a
    /// failed message's page shows without fetching every ID of a large send.
    pub async fn resendable_in_send(&self, partner_id: i64, id: i64) -> Result<i64> {
        Ok(with_pool!(self, p => sqlx::query_scalar(resendable_sql!(
            "COUNT(*)",
            "m.send_id = (SELECT o.send_id FROM messages o WHERE o.id = $2 AND o.partner_id = $1)"
        ))
        .bind(partner_id)
        .bind(id)
        .fetch_one(p)
        .await)?)
    }

    /// Queues again, in one transaction, those of `ids` that are the partner's, failed or
    /// without a device, and whose employee is active with a device now; returns their IDs.
    /// The history says why (`detail`).
    pub async fn resend_messages(
        &self,
        partner_id: i64,
        ids: &[i64],
        detail: &str,
        now: Millis,
    ) -> Result<Vec<i64>> {
        let queued: Vec<i64> = match &self.writer {
            Pool::Sqlite(p) => {
                // SQLite has no data-modifying CTEs: the same steps in one write transaction.
                let mut tx = p.begin_write().await?;
                let changed: Vec<i64> = sqlx::query_scalar(concat!(
                    "UPDATE messages SET status = 'queued', status_reason = NULL WHERE id IN (",
                    resendable_sql!("m.id", "m.id IN (SELECT value FROM json_each($2))"),
                    ") AND status IN ('failed', 'no_device') RETURNING id"
                ))
                .bind(partner_id)
                .bind(ids_json(ids)?)
                .fetch_all(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO message_events (message_id, status, detail, created_at)
                     SELECT value, 'queued', $2, $3 FROM json_each($1) ORDER BY key;
                     INSERT INTO deliveries (message_id, attempts, due_at, created_at)
                     SELECT value, 0, $3, $3 FROM json_each($1);",
                )
                .bind(ids_json(&changed)?)
                .bind(detail)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                changed
            }
            Pool::Postgres(p) => {
                sqlx::query_scalar(resend_sql!("m.id = ANY($2)"))
                    .bind(partner_id)
                    .bind(ids)
                    .bind(detail)
                    .bind(now)
                    .fetch_all(p)
                    .await?
            }
        };
        if !queued.is_empty() {
            self.hint_outbox();
        }
        let mut queued = queued;
        queued.sort_unstable();
        Ok(queued)
    }
}
