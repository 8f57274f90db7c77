//! Messages and their delivery status.

use super::{Store, with_pool};
use crate::domain::{Millis, StaffId};
use crate::error::Result;

/// Where a message stands: queued -> sent -> delivered -> read, or failed / no_device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageStatus {
    Queued,
    Sent,
    Delivered,
    Read,
    Failed,
    NoDevice,
}

impl MessageStatus {
    pub const ALL: [MessageStatus; 6] = [
        Self::Queued,
        Self::Sent,
        Self::Delivered,
        Self::Read,
        Self::Failed,
        Self::NoDevice,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Failed => "failed",
            Self::NoDevice => "no_device",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Russian label for people (cabinet, `statusname`).
    pub fn label_ru(self) -> &'static str {
        match self {
            Self::Queued => "В очереди",
            Self::Sent => "Отправлено",
            Self::Delivered => "Доставлено",
            Self::Read => "Прочитано",
            Self::Failed => "Ошибка доставки",
            Self::NoDevice => "Нет устройства",
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageRow {
    pub id: i64,
    pub partner_id: i64,
    pub staff_id: i64,
    pub title: String,
    pub body: String,
    pub source: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub created_at: Millis,
    pub sent_at: Option<Millis>,
    pub delivered_at: Option<Millis>,
    pub read_at: Option<Millis>,
}

impl MessageRow {
    pub fn status(&self) -> MessageStatus {
        MessageStatus::parse(&self.status).unwrap_or(MessageStatus::Queued)
    }
}

/// One employee's messages, newest first, within optional bounds.
#[derive(Debug, Clone)]
pub struct MessageQuery {
    pub staff_id: StaffId,
    pub created_from: Option<Millis>,
    pub created_to: Option<Millis>,
    pub after_id: Option<i64>,
    pub before_id: Option<i64>,
    pub limit: i64,
}

impl Store {
    /// Stores a message for an employee of the partner.
    pub async fn insert_message(
        &self,
        partner_id: i64,
        staff_id: StaffId,
        title: &str,
        body: &str,
        source: &str,
        status: MessageStatus,
        now: Millis,
    ) -> Result<MessageRow> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "INSERT INTO messages (partner_id, staff_id, title, body, source, status, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             RETURNING id, partner_id, staff_id, title, body, source, status, status_reason, created_at, sent_at, delivered_at, read_at",
        )
        .bind(partner_id)
        .bind(staff_id.0)
        .bind(title)
        .bind(body)
        .bind(source)
        .bind(status.as_str())
        .bind(now)
        .fetch_one(p)
        .await)?)
    }

    /// Bounds left open become sentinels, so one prepared statement serves every filter.
    pub async fn messages_for_staff(&self, q: &MessageQuery) -> Result<Vec<MessageRow>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT id, partner_id, staff_id, title, body, source, status, status_reason, created_at, sent_at, delivered_at, read_at
             FROM messages
             WHERE staff_id = $1 AND created_at >= $2 AND created_at <= $3 AND id > $4 AND id < $5
             ORDER BY created_at DESC, id DESC LIMIT $6",
        )
        .bind(q.staff_id.0)
        .bind(q.created_from.unwrap_or(i64::MIN))
        .bind(q.created_to.unwrap_or(i64::MAX))
        .bind(q.after_id.unwrap_or(0))
        .bind(q.before_id.unwrap_or(i64::MAX))
        .bind(q.limit)
        .fetch_all(p)
        .await)?)
    }

    pub async fn message_by_id(&self, partner_id: i64, id: i64) -> Result<Option<MessageRow>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT id, partner_id, staff_id, title, body, source, status, status_reason, created_at, sent_at, delivered_at, read_at
             FROM messages WHERE partner_id = $1 AND id = $2",
        )
        .bind(partner_id)
        .bind(id)
        .fetch_optional(p)
        .await)?)
    }

    /// The app reports a message delivered or read; ids of other employees are ignored.
    /// Returns how many messages changed. Read implies delivered; nothing moves backwards.
    pub async fn mark_messages(
        &self,
        staff_id: StaffId,
        ids: &[i64],
        read: bool,
        now: Millis,
    ) -> Result<u64> {
        let sql = if read {
            "UPDATE messages SET status = 'read', read_at = COALESCE(read_at, $3), delivered_at = COALESCE(delivered_at, $3)
             WHERE staff_id = $1 AND id = $2 AND status <> 'read'"
        } else {
            "UPDATE messages SET status = 'delivered', delivered_at = COALESCE(delivered_at, $3)
             WHERE staff_id = $1 AND id = $2 AND status NOT IN ('delivered', 'read')"
        };
        let changed = with_pool!(self, p => async {
            let mut tx = p.begin().await?;
            let mut changed = 0;
            for id in ids {
                changed += sqlx::query(sql).bind(staff_id.0).bind(*id).bind(now).execute(&mut *tx).await?.rows_affected();
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(changed)
        }.await)?;
        Ok(changed)
    }
}
