//! Acknowledgments ("Ознакомлен(а)"): who of a send has acknowledged its message, for the
//! message's page in the cabinet.

use super::recall::same_send_sql;
use super::{Store, with_pool};
use crate::error::Result;

/// "Asked, not yet given, not recalled" on `messages m`: the condition of the partial index
/// `messages_awaiting_ack` (migration 25), written as each database's index says it so that
/// its planner sees the index applies. The list's filter and the dashboard's count use it.
macro_rules! awaiting_ack_sql {
    (sqlite) => {
        "m.ack_required <> 0 AND m.status NOT IN ('acknowledged', 'recalled')"
    };
    (postgres) => {
        "m.ack_required AND m.status NOT IN ('acknowledged', 'recalled')"
    };
}
pub(super) use awaiting_ack_sql;

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
    /// How many of the partner's messages wait for their employee's acknowledgment, read
    /// through the partial index `messages_awaiting_ack`.
    pub async fn awaiting_ack_count(&self, partner_id: i64) -> Result<i64> {
        macro_rules! count_sql {
            ($db:ident) => {
                concat!(
                    "SELECT COUNT(*) FROM messages m WHERE m.partner_id = $1 AND ",
                    awaiting_ack_sql!($db)
                )
            };
        }
        Ok(match &self.pool {
            super::Pool::Sqlite(p) => {
                sqlx::query_scalar(count_sql!(sqlite))
                    .bind(partner_id)
                    .fetch_one(p)
                    .await?
            }
            super::Pool::Postgres(p) => {
                sqlx::query_scalar(count_sql!(postgres))
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
