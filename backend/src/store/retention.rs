//! How long each partner's messages are kept on the server (migration 21), and deleting the
//! older ones.

use super::{Store, exec, with_pool};
use crate::domain::Millis;
use crate::error::Result;

/// Messages deleted per transaction: on SQLite the API's writes wait for each.
const PRUNE_BATCH: i64 = 5000;

const DAY_MS: Millis = 86_400_000;

impl Store {
    /// The partner's retention in days; 0 keeps messages for good.
    pub async fn message_keep_days(&self, partner_id: i64) -> Result<i64> {
        Ok(with_pool!(self, p => sqlx::query_scalar(
            "SELECT message_keep_days FROM partners WHERE id = $1",
        )
        .bind(partner_id)
        .fetch_one(p)
        .await)?)
    }

    pub async fn set_message_keep_days(&self, partner_id: i64, days: i64) -> Result<()> {
        exec!(self, p => sqlx::query("UPDATE partners SET message_keep_days = $2 WHERE id = $1")
            .bind(partner_id)
            .bind(days)
            .execute(p)
            .await)?;
        Ok(())
    }

    /// Deletes the messages older than their partner's retention, in batches; returns how
    /// many. Their history and jobs go with them (a foreign key on SQLite, a trigger on
    /// PostgreSQL), and so do they from the search index.
    pub async fn prune_old_messages(&self, now: Millis) -> Result<u64> {
        let partners: Vec<(i64, i64)> = with_pool!(self, p => sqlx::query_as(
            "SELECT id, message_keep_days FROM partners WHERE message_keep_days > 0 ORDER BY id",
        )
        .fetch_all(p)
        .await)?;
        let mut deleted = 0;
        for (partner_id, days) in partners {
            let before = now - days * DAY_MS;
            loop {
                let n = exec!(self, p => sqlx::query(
                    "DELETE FROM messages WHERE id IN (
                       SELECT id FROM messages WHERE partner_id = $1 AND created_at < $2
                       ORDER BY created_at LIMIT $3)",
                )
                .bind(partner_id)
                .bind(before)
                .bind(PRUNE_BATCH)
                .execute(p)
                .await)?;
                deleted += n;
                if n < PRUNE_BATCH as u64 {
                    break;
                }
            }
        }
        Ok(deleted)
    }
}
