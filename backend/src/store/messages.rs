//! Messages and their delivery status.

use super::deliveries::{BeginWrite, insert_event, insert_one_in_tx};
use super::{Store, is_unique_violation, with_pool, with_writer};
use crate::domain::{IdempotencyKey, Millis, StaffId};
use crate::error::{Error, Result};
use crate::phrase::stored;

/// Where a message stands: queued -> sent -> delivered -> read, or failed / no_device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageStatus {
    Queued,
    Sent,
    Delivered,
    Read,
    /// The employee confirmed they have read and accept a message that asked for it
    /// (`ack_required`): the last status of such a message, after `read`.
    Acknowledged,
    Failed,
    NoDevice,
    /// Withdrawn by the partner: the app deletes it, nothing changes it afterwards.
    Recalled,
}

impl MessageStatus {
    pub const ALL: [MessageStatus; 8] = [
        Self::Queued,
        Self::Sent,
        Self::Delivered,
        Self::Read,
        Self::Acknowledged,
        Self::Failed,
        Self::NoDevice,
        Self::Recalled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Acknowledged => "acknowledged",
            Self::Failed => "failed",
            Self::NoDevice => "no_device",
            Self::Recalled => "recalled",
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
            Self::Acknowledged => "Ознакомлен",
            Self::Failed => "Ошибка доставки",
            Self::NoDevice => "Нет устройства",
            Self::Recalled => "Отозвано",
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Deserialize)]
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
    /// The employee is asked to acknowledge it ("Ознакомлен(а)" in the app).
    #[serde(deserialize_with = "sqlite_bool")]
    pub ack_required: bool,
    pub acked_at: Option<Millis>,
    /// Who sent it, as the journal names its actors (`api:<key>`, `admin:<login>`); read only
    /// where it is shown (`messages_by_ids`), `None` elsewhere and for messages stored before
    /// it was kept (migration 40).
    #[sqlx(default)]
    #[serde(default)]
    pub sent_by: Option<String>,
    /// When it went by SMS, not read in time (migration 49); read where `sent_by` is.
    #[sqlx(default)]
    #[serde(default)]
    pub sms_at: Option<Millis>,
    /// How many files it carries (migration 50); read by `getmessage`'s page alone, 0
    /// elsewhere.
    #[sqlx(default)]
    #[serde(default)]
    pub files: i64,
}

/// SQLite's JSON functions give its booleans as the integers they are stored as.
fn sqlite_bool<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<bool, D::Error> {
    use serde::Deserialize;
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Flag {
        Bool(bool),
        Int(i64),
    }
    Ok(match Flag::deserialize(d)? {
        Flag::Bool(b) => b,
        Flag::Int(i) => i != 0,
    })
}

impl MessageRow {
    pub fn status(&self) -> MessageStatus {
        MessageStatus::parse(&self.status).unwrap_or(MessageStatus::Queued)
    }
}

/// The partner's (`$1`) messages among the ids of a JSON array (`$2`), each found by its rowid.
/// `+partner_id` keeps SQLite from walking the partner's index instead, every message of the
/// partner for a page of ids (a thousand of a million: 318 ms against 5.8 ms).
pub(super) const MESSAGES_BY_IDS_SQLITE: &str =
    "SELECT id, partner_id, staff_id, title, body, source, status, status_reason, created_at, sent_at, delivered_at, read_at, ack_required, acked_at, sent_by, sms_at
     FROM messages WHERE id IN (SELECT value FROM json_each($2)) AND +partner_id = $1 ORDER BY id";

/// Which messages are one send's (`Store::messages_of_send`).
#[derive(Debug, Clone, Copy)]
pub enum SendKey {
    /// Those sharing this `send_id`.
    Shared(i64),
    /// This message alone: sent by itself, before sends were kept (migration 19).
    Alone(i64),
}

/// What the app reports of messages it has (`messagestatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    Delivered,
    Read,
    /// The employee pressed "Ознакомлен(а)" on a message that asks for it.
    Acknowledged,
}

/// Where messages came from (`api`, `cabinet`) and who sent them, as the journal names its
/// actors (`audit::api_key`, `audit::actor_of`): the message page says "sent by".
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    pub source: &'a str,
    pub sent_by: &'a str,
}

/// A message to store: for one employee of the partner, with its first status.
#[derive(Debug, Clone, Copy)]
pub struct NewMessage<'a> {
    pub partner_id: i64,
    pub staff_id: StaffId,
    pub title: &'a str,
    pub body: &'a str,
    /// `api` or `cabinet`.
    pub source: &'a str,
    /// Who sent it, as the journal names its actors (`messages.sent_by`, migration 40).
    pub sent_by: &'a str,
    pub status: MessageStatus,
    pub now: Millis,
    /// The employee's push token and device as read for this message. A `queued` message
    /// that has them goes to this process's push workers directly (see `handoff`); without
    /// them a worker claims it from the outbox.
    pub push_token: Option<&'a str>,
    pub push_device: Option<&'a str>,
    /// The caller's `Idempotency-Key`: unique per partner, a second message with it is refused
    /// by the database (see `insert_message_keyed`).
    pub idempotency_key: Option<&'a IdempotencyKey>,
    /// The employee is asked to acknowledge it.
    pub ack_required: bool,
}

/// What storing a message under an idempotency key did.
#[derive(Debug)]
pub enum Keyed<T = MessageRow> {
    /// Stored now.
    Stored(T),
    /// A call with the same key stored this one before.
    Taken(T),
}

/// One employee's messages, newest first, within optional bounds.
#[derive(Debug, Clone)]
pub struct MessageQuery {
    /// The caller's partner: an employee of another partner is unknown.
    pub partner_id: i64,
    pub staff_id: StaffId,
    pub created_from: Option<Millis>,
    pub created_to: Option<Millis>,
    pub after_id: Option<i64>,
    pub before_id: Option<i64>,
    pub limit: i64,
}

impl Store {
    /// Stores a message for an employee of the partner, its first history entry and, when it
    /// is `queued`, its delivery job: one transaction, so an accepted message is always pushed.
    /// Callers go through `insert_message`, which groups concurrent messages.
    pub(super) async fn insert_message_alone(
        &self,
        m: &NewMessage<'_>,
        lease: Option<&super::handoff::Lease>,
    ) -> Result<(MessageRow, Option<i64>)> {
        Ok(with_writer!(self, p => async {
            let mut tx = p.begin_write().await?;
            let stored = insert_one_in_tx!(tx, m.partner_id, m.staff_id.0, m.title, m.body, m.source, m.sent_by, m.status, m.now, lease, m.idempotency_key.map(IdempotencyKey::as_str), m.ack_required);
            tx.commit().await?;
            Ok::<_, sqlx::Error>(stored)
        }.await)?)
    }

    /// Stores a message that has an idempotency key (through the group commit, as any other),
    /// or finds the message a call with the same key stored before. Two concurrent calls with
    /// one key both get the message the first one committed: the second one's insert fails
    /// on the unique index (its batch is then written again one message at a time, so only
    /// that message fails), and it reads the first one's.
    pub async fn insert_message_keyed(&self, m: &NewMessage<'_>) -> Result<Keyed> {
        let Some(key) = m.idempotency_key else {
            return self.insert_message(m).await.map(Keyed::Stored);
        };
        match self.insert_message(m).await {
            Ok(row) => Ok(Keyed::Stored(row)),
            Err(Error::Database(e)) if is_unique_violation(&e) => {
                self.taken_by_key(m.partner_id, key).await
            }
            Err(e) => Err(e),
        }
    }

    /// The message a concurrent call with the same key committed first.
    pub(super) async fn taken_by_key(
        &self,
        partner_id: i64,
        key: &IdempotencyKey,
    ) -> Result<Keyed> {
        match self.message_by_key(partner_id, key).await? {
            Some(row) => Ok(Keyed::Taken(row)),
            // Deleted (with its employee) in between.
            None => Err(Error::Conflict(phrase!(
                "Сообщение с этим ключом Idempotency-Key только что удалено: повторите запрос",
                "The message of this Idempotency-Key was just deleted: repeat the call"
            ))),
        }
    }

    /// The partner's message stored under this idempotency key, if any.
    pub async fn message_by_key(
        &self,
        partner_id: i64,
        key: &IdempotencyKey,
    ) -> Result<Option<MessageRow>> {
        if let Some(direct) = &self.direct {
            // In place, as the employee read beside it: through sqlx-sqlite's thread this
            // look-up cost keyed calls a third of their rate.
            return direct.message_by_key(partner_id, key.as_str());
        }
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT id, partner_id, staff_id, title, body, source, status, status_reason, created_at, sent_at, delivered_at, read_at, ack_required, acked_at
             FROM messages WHERE partner_id = $1 AND idempotency_key = $2",
        )
        .bind(partner_id)
        .bind(key.as_str())
        .fetch_optional(p)
        .await)?)
    }

    /// One page of an employee's messages, or `None` when the partner has no such employee.
    ///
    /// Bounds left open become sentinels, so one prepared statement serves every filter. The
    /// employee check rides in the same statement: each statement costs ~150 µs of CPU through
    /// sqlx-sqlite, as much as the rest of the request. The page itself is selected by the
    /// employee only (a `partner_id` term there lets SQLite walk the partner's index instead of
    /// the employee's: 3 req/s instead of thousands); it is returned only if the check passed.
    ///
    /// On SQLite through sqlx (in-memory databases; files use `direct`) the page comes back as
    /// ONE row holding a JSON array built by the database: each row sqlx-sqlite hands over
    /// costs ~22 µs of CPU (thread hand-off, value copies), 50 of them dwarfed the rest of the
    /// request; one text value parsed by serde costs a fraction of that. PostgreSQL: see
    /// `messages_for_staff_pg`.
    pub async fn messages_for_staff(&self, q: &MessageQuery) -> Result<Option<Vec<MessageRow>>> {
        let (from, to) = (
            q.created_from.unwrap_or(i64::MIN),
            q.created_to.unwrap_or(i64::MAX),
        );
        let (after, before) = (q.after_id.unwrap_or(0), q.before_id.unwrap_or(i64::MAX));
        if let Some(direct) = &self.direct {
            return direct.messages_for_staff(q, (from, to), (after, before));
        }
        let (known, json): (bool, Option<String>) = match &self.pool {
            super::Pool::Sqlite(p) => sqlx::query_as(
                "SELECT EXISTS (SELECT 1 FROM staff WHERE id = $1 AND partner_id = $7),
                   (SELECT json_group_array(json_object('id', id, 'partner_id', partner_id, 'staff_id', staff_id,
                      'title', title, 'body', body, 'source', source, 'status', status, 'status_reason', status_reason,
                      'created_at', created_at, 'sent_at', sent_at, 'delivered_at', delivered_at, 'read_at', read_at,
                      'ack_required', ack_required, 'acked_at', acked_at, 'files', files))
                    FROM (SELECT * FROM messages
                          WHERE staff_id = $1 AND created_at >= $2 AND created_at <= $3 AND id > $4 AND id < $5
                            AND status <> 'recalled'
                          ORDER BY created_at DESC, id DESC LIMIT $6))",
            )
            .bind(q.staff_id.0).bind(from).bind(to).bind(after).bind(before).bind(q.limit).bind(q.partner_id)
            .fetch_one(p)
            .await?,
            super::Pool::Postgres(p) => return messages_for_staff_pg(p, q, (from, to), (after, before)).await,
        };
        if !known {
            return Ok(None);
        }
        match json {
            None => Ok(Some(Vec::new())),
            Some(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| crate::error::Error::Internal(format!("message page JSON: {e}"))),
        }
    }

    pub async fn message_by_id(&self, partner_id: i64, id: i64) -> Result<Option<MessageRow>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT id, partner_id, staff_id, title, body, source, status, status_reason, created_at, sent_at, delivered_at, read_at, ack_required, acked_at
             FROM messages WHERE partner_id = $1 AND id = $2",
        )
        .bind(partner_id)
        .bind(id)
        .fetch_optional(p)
        .await)?)
    }

    /// The partner's messages among `ids`, in id order; other partners' ids find nothing.
    pub async fn messages_by_ids(&self, partner_id: i64, ids: &[i64]) -> Result<Vec<MessageRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(match &self.pool {
            // The ids as one JSON array: no statement-variable limit, one prepared statement.
            super::Pool::Sqlite(p) => sqlx::query_as(MESSAGES_BY_IDS_SQLITE)
            .bind(partner_id)
            .bind(super::ids_json(ids)?)
            .fetch_all(p)
            .await?,
            super::Pool::Postgres(p) => sqlx::query_as(
                "SELECT id, partner_id, staff_id, title, body, source, status, status_reason, created_at, sent_at, delivered_at, read_at, ack_required, acked_at, sent_by, sms_at
                 FROM messages WHERE id = ANY($2) AND partner_id = $1 ORDER BY id",
            )
            .bind(partner_id)
            .bind(ids)
            .fetch_all(p)
            .await?,
        })
    }

    /// The partner's messages of a send, after `after_id` in id order, at most `limit`.
    pub async fn messages_of_send(
        &self,
        partner_id: i64,
        send: SendKey,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<MessageRow>> {
        // The send's own index: `send_id = …` is what lets both planners take it (partial).
        let (filter, key) = match send {
            SendKey::Shared(send_id) => ("send_id = $2", send_id),
            SendKey::Alone(id) => ("id = $2", id),
        };
        let sql = format!(
            "SELECT id, partner_id, staff_id, title, body, source, status, status_reason, created_at, sent_at, delivered_at, read_at, ack_required, acked_at, sent_by, sms_at
             FROM messages WHERE {filter} AND partner_id = $1 AND id > $3
             ORDER BY id LIMIT $4"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(partner_id)
        .bind(key)
        .bind(after_id)
        .bind(limit)
        .fetch_all(p)
        .await)?,
        )
    }

    /// The app reports messages delivered, read or acknowledged; ids of other employees are
    /// ignored, and so is an acknowledgment of a message that did not ask for one. Returns how
    /// many messages changed. Each report implies the ones before it; nothing moves backwards.
    pub async fn mark_messages(
        &self,
        staff_id: StaffId,
        ids: &[i64],
        report: Report,
        now: Millis,
    ) -> Result<u64> {
        let (sql, status, detail) = match report {
            Report::Acknowledged => (
                "UPDATE messages SET status = 'acknowledged', acked_at = COALESCE(acked_at, $3),
                    read_at = COALESCE(read_at, $3), delivered_at = COALESCE(delivered_at, $3)
                 WHERE staff_id = $1 AND id = $2 AND ack_required AND status NOT IN ('acknowledged', 'recalled')
                 RETURNING id",
                MessageStatus::Acknowledged,
                stored::ACKNOWLEDGED.fill(&[]),
            ),
            Report::Read => (
                "UPDATE messages SET status = 'read', read_at = COALESCE(read_at, $3), delivered_at = COALESCE(delivered_at, $3)
                 WHERE staff_id = $1 AND id = $2 AND status NOT IN ('read', 'acknowledged', 'recalled') RETURNING id",
                MessageStatus::Read,
                stored::OPENED.fill(&[]),
            ),
            Report::Delivered => (
                "UPDATE messages SET status = 'delivered', delivered_at = COALESCE(delivered_at, $3)
                 WHERE staff_id = $1 AND id = $2 AND status NOT IN ('delivered', 'read', 'acknowledged', 'recalled') RETURNING id",
                MessageStatus::Delivered,
                stored::CONFIRMED.fill(&[]),
            ),
        };
        let changed = with_writer!(self, p => async {
            let mut tx = p.begin_write().await?;
            let mut changed = 0;
            for id in ids {
                let updated: Option<i64> = sqlx::query_scalar(sql).bind(staff_id.0).bind(*id).bind(now).fetch_optional(&mut *tx).await?;
                if let Some(id) = updated {
                    insert_event!(tx, id, status, &detail, now)?;
                    changed += 1;
                }
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(changed)
        }.await)?;
        Ok(changed)
    }
}

/// PostgreSQL's page: plain rows, not a JSON array. Building the JSON was most of the
/// statement's cost there (pgbench, 1M messages: 0.72 ms with `json_agg`, 0.42 ms as rows),
/// and sqlx-postgres decodes rows on the calling task, without SQLite's thread hand-off per
/// row. The employee check still rides in the same statement: no row at all means no such
/// employee; one row of NULLs, an employee with an empty page.
async fn messages_for_staff_pg(
    p: &sqlx::PgPool,
    q: &MessageQuery,
    (from, to): (Millis, Millis),
    (after, before): (i64, i64),
) -> Result<Option<Vec<MessageRow>>> {
    use sqlx::Row;
    let rows = sqlx::query(
        "SELECT m.id, m.partner_id, m.staff_id, m.title, m.body, m.source, m.status, m.status_reason,
                m.created_at, m.sent_at, m.delivered_at, m.read_at, m.ack_required, m.acked_at, m.files
         FROM staff s LEFT JOIN LATERAL (
             SELECT id, partner_id, staff_id, title, body, source, status, status_reason,
                    created_at, sent_at, delivered_at, read_at, ack_required, acked_at, files
             FROM messages
             WHERE staff_id = s.id AND created_at >= $2 AND created_at <= $3 AND id > $4 AND id < $5
               AND status <> 'recalled'
             ORDER BY created_at DESC, id DESC LIMIT $6) m ON true
         WHERE s.id = $1 AND s.partner_id = $7",
    )
    .bind(q.staff_id.0)
    .bind(from)
    .bind(to)
    .bind(after)
    .bind(before)
    .bind(q.limit)
    .bind(q.partner_id)
    .fetch_all(p)
    .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let mut page = Vec::with_capacity(rows.len());
    for row in &rows {
        let Some(id) = row.try_get::<Option<i64>, _>(0)? else {
            continue;
        };
        page.push(MessageRow {
            id,
            partner_id: row.try_get(1)?,
            staff_id: row.try_get(2)?,
            title: row.try_get(3)?,
            body: row.try_get(4)?,
            source: row.try_get(5)?,
            status: row.try_get(6)?,
            status_reason: row.try_get(7)?,
            created_at: row.try_get(8)?,
            sent_at: row.try_get(9)?,
            delivered_at: row.try_get(10)?,
            read_at: row.try_get(11)?,
            ack_required: row.try_get(12)?,
            acked_at: row.try_get(13)?,
            sent_by: None,
            sms_at: None,
            files: row.try_get(14)?,
        });
    }
    Ok(Some(page))
}
