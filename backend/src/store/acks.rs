//! Acknowledgments ("Ознакомлен(а)"): who of a send has acknowledged its message, for the
//! message's page in the cabinet.

use super::recall::same_send_sql;
use super::{Store, with_pool};
use crate::error::Result;

/// A recipient of a send who has not acknowledged its message yet.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AwaitingAck {
    pub message_id: i64,
    pub staff_id: i64,
    pub staff_name: String,
    pub status: String,
}

/// The acknowledgments of one send (its messages not recalled).
#[derive(Debug, Clone, Default)]
pub struct SendAcks {
    pub total: i64,
    pub acked: i64,
    /// Those who have not acknowledged, by name, up to the limit asked.
    pub waiting: Vec<AwaitingAck>,
}

impl Store {
    /// How many of the partner's messages wait for their employee's acknowledgment: asked, not
    /// yet given, not recalled. Read through the partial index `messages_awaiting_ack`, whose
    /// condition the text repeats for each database's planner.
    pub async fn awaiting_ack_count(&self, partner_id: i64) -> Result<i64> {
        Ok(match &self.pool {
            super::Pool::Sqlite(p) => {
                sqlx::query_scalar(
                    "SELECT COUNT(*) FROM messages WHERE partner_id = $1
                       AND ack_required <> 0 AND status NOT IN ('acknowledged', 'recalled')",
                )
                .bind(partner_id)
                .fetch_one(p)
                .await?
            }
            super::Pool::Postgres(p) => {
                sqlx::query_scalar(
                    "SELECT COUNT(*) FROM messages WHERE partner_id = $1
                       AND ack_required AND status NOT IN ('acknowledged', 'recalled')",
                )
                .bind(partner_id)
                .fetch_one(p)
                .await?
            }
        })
    }

    /// The acknowledgments of the send of message `id` (or of that message alone, sent by
    /// itself); another partner's message finds nothing.
    pub async fn send_acks(&self, partner_id: i64, id: i64, limit: i64) -> Result<SendAcks> {
        let (total, acked): (i64, i64) = with_pool!(self, p => sqlx::query_as(concat!(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN m.status = 'acknowledged' THEN 1 ELSE 0 END), 0)
             FROM messages m WHERE m.id IN (",
            same_send_sql!("o.id", ""),
            ")"
        ))
        .bind(partner_id)
        .bind(id)
        .fetch_one(p)
        .await)?;
        let waiting = with_pool!(self, p => sqlx::query_as(concat!(
            "SELECT m.id AS message_id, m.staff_id, s.name AS staff_name, m.status
             FROM messages m JOIN staff s ON s.id = m.staff_id
             WHERE m.id IN (",
            same_send_sql!("o.id", ""),
            ") AND m.status <> 'acknowledged' ORDER BY s.name, m.id LIMIT $3"
        ))
        .bind(partner_id)
        .bind(id)
        .bind(limit)
        .fetch_all(p)
        .await)?;
        Ok(SendAcks {
            total,
            acked,
            waiting,
        })
    }
}
