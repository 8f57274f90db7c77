//! Scheduled sends (migration 12): a message for later, to listed employees or to all.
//!
//! A due send is marked `sent` by the transaction that creates its messages: the UPDATE that
//! moves it from `pending` comes first and decides. A second server (PostgreSQL waits for the
//! first one's row lock, then finds it `sent`) or a cancel that came first leaves it with no
//! row changed, and nothing is created; a crash before the commit leaves it `pending`, sent
//! by the next round. Once, and never lost.

use super::deliveries::{
    BeginWrite, BulkCreated, BulkSend, Texts, created_up_to, insert_messages_bulk_pg, new_send_id,
};
use super::files::{link_scheduled_files, link_send_files};
use super::group_commit::insert_rows_sqlite_in;
use super::{Store, exec, is_unique_violation, with_pool, with_writer};
use crate::domain::{Millis, StaffId};
use crate::error::Result;
use crate::store::{Keyed, MessageStatus, SendKey};
use std::collections::HashMap;

/// A scheduled send as the cabinet and the API show it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ScheduledRow {
    pub id: i64,
    pub partner_id: i64,
    pub title: String,
    pub body: String,
    pub send_at: Millis,
    /// Employee IDs separated by commas; `None`: all active employees at the time of sending.
    pub staff_ids: Option<String>,
    /// A send to a group's members at the time of sending (then `staff_ids` is `None`).
    pub group_id: Option<i64>,
    pub source: String,
    /// Who scheduled it, as the journal names its actors; its messages carry it. `None` for a
    /// send scheduled before it was kept (migration 40).
    pub sent_by: Option<String>,
    /// `daily`, `weekdays` or `weekly`; `None` for a send that goes once.
    pub repeat: Option<String>,
    /// The first send of the series this one repeats; `None` for the first (or a one-off).
    pub series_id: Option<i64>,
    /// The series sends at this moment at the latest; `None`: until cancelled.
    pub repeat_until: Option<Millis>,
    /// When the series' first send was due; `None` on the first (its own `send_at`).
    pub series_start: Option<Millis>,
    /// `pending`, `sent` or `cancelled`.
    pub state: String,
    pub created_at: Millis,
    /// When it was sent or cancelled.
    pub done_at: Option<Millis>,
    pub created_count: i64,
    pub refused_count: i64,
    pub refused_detail: Option<String>,
    pub first_message_id: Option<i64>,
    pub last_message_id: Option<i64>,
    /// The `send_id` its messages share (migration 46); `None` until it went, and for a send
    /// to one employee before migration 19.
    pub send_id: Option<i64>,
    /// Its messages ask to be acknowledged.
    pub ack_required: bool,
    /// How many times it was changed while it waited (`change_scheduled`).
    pub revision: i64,
}

/// What a waiting send's change sets (`Store::change_scheduled`).
pub struct ScheduledChange<'a> {
    pub title: &'a str,
    pub body: &'a str,
    pub send_at: Millis,
    /// When the series' first send was due, which its next sends follow; `None` for the first
    /// (its own `send_at`) and a one-off.
    pub series_start: Option<Millis>,
    /// `None`: all active employees, or the group's.
    pub staff: Option<&'a [StaffId]>,
    pub group: Option<i64>,
    pub repeat: Option<&'a str>,
    pub repeat_until: Option<Millis>,
    pub ack_required: bool,
    /// The partner's files it carries from now, in their order (checked by the caller);
    /// `None` keeps those it has.
    pub files: Option<&'a [i64]>,
}

/// A file a scheduled send carries (migration 51).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ScheduledFile {
    pub scheduled_id: i64,
    pub id: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
}

/// The files of each scheduled send, in their order.
pub type FilesBySend = HashMap<i64, Vec<ScheduledFile>>;

/// Listed recipients as the row keeps them: IDs separated by commas.
fn joined(ids: &[StaffId]) -> String {
    ids.iter()
        .map(|id| id.0.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

impl ScheduledRow {
    /// Which messages it created (its latest run, for a repeating one); `None` before it went.
    pub fn messages(&self) -> Option<SendKey> {
        match (self.send_id, self.first_message_id) {
            (Some(send_id), _) => Some(SendKey::Shared(send_id)),
            // Sent to one employee before sends were kept (migration 19): that message alone.
            (None, Some(first)) => Some(SendKey::Alone(first)),
            (None, None) => None,
        }
    }

    /// The listed recipients; `None` for "all active employees" or a group.
    pub fn listed(&self) -> Option<Vec<StaffId>> {
        self.staff_ids.as_deref().map(|ids| {
            ids.split(',')
                .filter_map(|id| id.parse().ok().map(StaffId))
                .collect()
        })
    }

    /// How many are listed; `None` for "all" or a group.
    pub fn listed_count(&self) -> Option<usize> {
        self.staff_ids
            .as_deref()
            .map(|ids| ids.split(',').filter(|id| !id.is_empty()).count())
    }
}

/// A send to schedule.
pub struct NewScheduled<'a> {
    pub partner_id: i64,
    pub title: &'a str,
    pub body: &'a str,
    pub send_at: Millis,
    /// `None`: all active employees (or the group's) at the time of sending.
    pub staff: Option<&'a [StaffId]>,
    pub group: Option<i64>,
    pub source: &'a str,
    pub sent_by: &'a str,
    pub repeat: Option<&'a str>,
    pub repeat_until: Option<Millis>,
    pub now: Millis,
    /// The partner's Idempotency-Key, unique among its sends.
    pub key: Option<&'a str>,
    pub ack_required: bool,
    /// The partner's files its messages will carry, in their order (checked by the caller).
    pub files: &'a [i64],
}

/// What a due send did, recorded with its messages.
pub struct ScheduledOutcome<'a> {
    pub recipients: &'a [(StaffId, MessageStatus)],
    pub refused_count: i64,
    pub refused_detail: Option<&'a str>,
    pub now: Millis,
    /// When the series' next send goes, for a send that repeats.
    pub next: Option<Millis>,
    /// Each recipient's own title and text (a name put in), in the order of `recipients`;
    /// `None`: the send's own for all.
    pub personal: Option<&'a [(String, String)]>,
}

const COLUMNS: &str =
    "id, partner_id, title, body, send_at, staff_ids, group_id, source, repeat, series_id, repeat_until, series_start, state, created_at, done_at,
     created_count, refused_count, refused_detail, first_message_id, last_message_id, ack_required, sent_by, revision, send_id";

impl Store {
    /// Stores a send, or finds the one a concurrent call with the same key stored.
    pub async fn schedule_send(&self, new: &NewScheduled<'_>) -> Result<Keyed<ScheduledRow>> {
        let staff = new.staff.map(joined);
        let sql = format!(
            "INSERT INTO scheduled_sends (partner_id, title, body, send_at, staff_ids, source, created_at, idempotency_key, group_id, repeat, repeat_until, ack_required, sent_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING {COLUMNS}"
        );
        // The send and its files' links in one transaction: a send never waits without them.
        let stored: std::result::Result<ScheduledRow, sqlx::Error> = with_writer!(self, p => async {
            let mut tx = p.begin_write().await?;
            let row: ScheduledRow = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(new.partner_id)
                .bind(new.title)
                .bind(new.body)
                .bind(new.send_at)
                .bind(staff)
                .bind(new.source)
                .bind(new.now)
                .bind(new.key)
                .bind(new.group)
                .bind(new.repeat)
                .bind(new.repeat_until)
                .bind(new.ack_required)
                .bind(new.sent_by)
                .fetch_one(&mut *tx)
                .await?;
            link_scheduled_files!(tx, row.id, new.files)?;
            tx.commit().await?;
            Ok(row)
        }
        .await);
        match (stored, new.key) {
            (Ok(row), _) => Ok(Keyed::Stored(row)),
            // A concurrent call with the same key stored first: the caller compares with it.
            (Err(e), Some(key)) if is_unique_violation(&e) => {
                match self.scheduled_by_key(new.partner_id, key).await? {
                    Some(row) => Ok(Keyed::Taken(row)),
                    None => Err(e.into()),
                }
            }
            (Err(e), _) => Err(super::files::file_gone_or(e)),
        }
    }

    /// The files of `ids` (scheduled sends), in each send's order.
    pub async fn scheduled_files(&self, ids: &[i64]) -> Result<FilesBySend> {
        let rows: Vec<ScheduledFile> = self
            .linked_files("scheduled_files", "scheduled_id", ids)
            .await?;
        let mut by_send: FilesBySend = HashMap::new();
        for row in rows {
            by_send.entry(row.scheduled_id).or_default().push(row);
        }
        Ok(by_send)
    }

    /// The IDs of a scheduled send's files, in its order (read on the writer: a repeated
    /// call compares them with a send stored a moment ago).
    pub async fn scheduled_file_ids(&self, id: i64) -> Result<Vec<i64>> {
        Ok(with_writer!(self, p => sqlx::query_scalar(
            "SELECT file_id FROM scheduled_files WHERE scheduled_id = $1 ORDER BY position",
        )
        .bind(id)
        .fetch_all(p)
        .await)?)
    }

    /// The partner's send its Idempotency-Key names (read on the writer: it may be a moment old).
    pub async fn scheduled_by_key(
        &self,
        partner_id: i64,
        key: &str,
    ) -> Result<Option<ScheduledRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM scheduled_sends WHERE partner_id = $1 AND idempotency_key = $2"
        );
        Ok(
            with_writer!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(partner_id)
            .bind(key)
            .fetch_optional(p)
            .await)?,
        )
    }

    /// The partner's scheduled sends: the waiting ones by time, then up to `done_limit` sent or
    /// cancelled ones, the latest first.
    pub async fn scheduled_sends(
        &self,
        partner_id: i64,
        done_limit: i64,
    ) -> Result<(Vec<ScheduledRow>, Vec<ScheduledRow>)> {
        let pending_sql = format!(
            "SELECT {COLUMNS} FROM scheduled_sends WHERE partner_id = $1 AND state = 'pending'
             ORDER BY send_at, id"
        );
        let done_sql = format!(
            "SELECT {COLUMNS} FROM scheduled_sends WHERE partner_id = $1 AND state <> 'pending'
             ORDER BY done_at DESC, id DESC LIMIT $2"
        );
        let pending = with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(pending_sql))
            .bind(partner_id)
            .fetch_all(p)
            .await)?;
        let done = with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(done_sql))
            .bind(partner_id)
            .bind(done_limit)
            .fetch_all(p)
            .await)?;
        Ok((pending, done))
    }

    /// How many of the partner's sends wait, and when the first of them is due.
    pub async fn scheduled_summary(&self, partner_id: i64) -> Result<(i64, Option<Millis>)> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT COUNT(*), MIN(send_at) FROM scheduled_sends
             WHERE partner_id = $1 AND state = 'pending'",
        )
        .bind(partner_id)
        .fetch_one(p)
        .await)?)
    }

    /// One of the partner's scheduled sends (another partner's is not found).
    pub async fn scheduled_send(&self, partner_id: i64, id: i64) -> Result<Option<ScheduledRow>> {
        let sql =
            format!("SELECT {COLUMNS} FROM scheduled_sends WHERE partner_id = $1 AND id = $2");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(partner_id)
            .bind(id)
            .fetch_optional(p)
            .await)?,
        )
    }

    /// Cancels a waiting send and returns it; `None` when it is not the partner's or no longer
    /// waits.
    pub async fn cancel_scheduled(
        &self,
        partner_id: i64,
        id: i64,
        now: Millis,
    ) -> Result<Option<ScheduledRow>> {
        let sql = format!(
            "UPDATE scheduled_sends SET state = 'cancelled', done_at = $3
             WHERE partner_id = $1 AND id = $2 AND state = 'pending' RETURNING {COLUMNS}"
        );
        Ok(
            with_writer!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(partner_id)
            .bind(id)
            .bind(now)
            .fetch_optional(p)
            .await)?,
        )
    }

    /// Changes a waiting send's words, time (and, for a series, the time its next sends
    /// follow), recipients, repeats and whether it asks to be acknowledged, and returns it;
    /// `None` when it is not the partner's or no longer waits.
    pub async fn change_scheduled(
        &self,
        partner_id: i64,
        id: i64,
        change: &ScheduledChange<'_>,
    ) -> Result<Option<ScheduledRow>> {
        let sql = format!(
            "UPDATE scheduled_sends SET title = $3, body = $4, send_at = $5, series_start = $6,
                    staff_ids = $7, group_id = $8, repeat = $9, repeat_until = $10,
                    ack_required = $11, revision = revision + 1
             WHERE partner_id = $1 AND id = $2 AND state = 'pending' RETURNING {COLUMNS}"
        );
        Ok(with_writer!(self, p => {
            let mut tx = p.begin_write().await?;
            let changed: Option<ScheduledRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(partner_id)
                .bind(id)
                .bind(change.title)
                .bind(change.body)
                .bind(change.send_at)
                .bind(change.series_start)
                .bind(change.staff.map(joined))
                .bind(change.group)
                .bind(change.repeat)
                .bind(change.repeat_until)
                .bind(change.ack_required)
                .fetch_optional(&mut *tx)
                .await?;
            if changed.is_some()
                && let Some(files) = change.files
            {
                sqlx::query("DELETE FROM scheduled_files WHERE scheduled_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                link_scheduled_files!(tx, id, files).map_err(super::files::file_gone_or)?;
            }
            tx.commit().await?;
            changed
        }))
    }

    /// Deletes sends that went or were cancelled before `before`; the messages stay.
    pub async fn prune_scheduled(&self, before: Millis) -> Result<u64> {
        Ok(exec!(self, p => sqlx::query(
            "DELETE FROM scheduled_sends WHERE state <> 'pending' AND done_at < $1",
        )
        .bind(before)
        .execute(p)
        .await)?)
    }

    /// Sends due by `now`, the earliest first.
    pub async fn due_scheduled(&self, now: Millis, limit: i64) -> Result<Vec<ScheduledRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM scheduled_sends WHERE state = 'pending' AND send_at <= $1
             ORDER BY send_at, id LIMIT $2"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(now)
            .bind(limit)
            .fetch_all(p)
            .await)?,
        )
    }

    /// Marks the send `sent` and creates its messages, in one transaction. `None` (and nothing
    /// created) when it no longer waits: sent by another server, or cancelled.
    pub async fn send_scheduled(
        &self,
        row: &ScheduledRow,
        outcome: &ScheduledOutcome<'_>,
    ) -> Result<Option<Vec<BulkCreated>>> {
        let recipients = outcome.recipients;
        let created: Option<Vec<BulkCreated>> = with_writer!(self, p => {
            let mut tx = p.begin_write().await?;
            // Only as it was read: a send changed since (`change_scheduled`) is left for the
            // next round, which reads it as it is now.
            let claimed = sqlx::query(
                "UPDATE scheduled_sends SET state = 'sent', done_at = $2, created_count = $3,
                        refused_count = $4, refused_detail = $5
                 WHERE id = $1 AND state = 'pending' AND revision = $6",
            )
            .bind(row.id)
            .bind(outcome.now)
            .bind(recipients.len() as i64)
            .bind(outcome.refused_count)
            .bind(outcome.refused_detail)
            .bind(row.revision)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if claimed == 0 {
                tx.rollback().await?;
                None
            } else {
                let files: Vec<i64> = sqlx::query_scalar(
                    "SELECT file_id FROM scheduled_files WHERE scheduled_id = $1 ORDER BY position",
                )
                .bind(row.id)
                .fetch_all(&mut *tx)
                .await?;
                let send_id = new_send_id();
                let created = if recipients.is_empty() {
                    Vec::new()
                } else {
                    let texts = match outcome.personal {
                        Some(texts) => Texts::Personal(texts),
                        None => Texts::Shared { title: &row.title, body: &row.body },
                    };
                    let send = bulk_send(row, texts, outcome.now, send_id);
                    let created = self.insert_scheduled_messages(&mut tx, &send, recipients).await?;
                    if !files.is_empty() {
                        link_send_files!(tx, send_id, &files);
                    }
                    created
                };
                if let Some(next) = outcome.next {
                    // The next of the series, by the transaction that marks this one sent:
                    // a crash leaves both as they were, a second server creates neither.
                    let next_id: i64 = sqlx::query_scalar(
                        "INSERT INTO scheduled_sends (partner_id, title, body, send_at, staff_ids,
                             group_id, source, created_at, repeat, series_id, repeat_until,
                             series_start, ack_required, sent_by)
                         SELECT partner_id, title, body, $2, staff_ids, group_id, source, $3,
                             repeat, COALESCE(series_id, id), repeat_until,
                             COALESCE(series_start, send_at), ack_required, sent_by
                         FROM scheduled_sends WHERE id = $1 RETURNING id",
                    )
                    .bind(row.id)
                    .bind(next)
                    .bind(outcome.now)
                    .fetch_one(&mut *tx)
                    .await?;
                    // It carries the same files, which its link keeps while it waits.
                    link_scheduled_files!(tx, next_id, &files)?;
                }
                if let (Some(first), Some(last)) = (created.first(), created.last()) {
                    sqlx::query(
                        "UPDATE scheduled_sends SET first_message_id = $2, last_message_id = $3,
                                send_id = $4
                         WHERE id = $1",
                    )
                    .bind(row.id)
                    .bind(first.message_id)
                    .bind(last.message_id)
                    .bind(send_id)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Some(created)
            }
        });
        if created
            .as_ref()
            .is_some_and(|c| c.iter().any(|c| c.status == MessageStatus::Queued))
        {
            self.hint_outbox();
        }
        Ok(created)
    }
}

/// The messages of a due send, inside its transaction: the bulk send's statements.
pub(super) trait InsertScheduled<Db: sqlx::Database> {
    async fn insert_scheduled_messages(
        &self,
        tx: &mut sqlx::Transaction<'static, Db>,
        send: &BulkSend<'_>,
        recipients: &[(StaffId, MessageStatus)],
    ) -> Result<Vec<BulkCreated>>;
}

impl InsertScheduled<sqlx::Sqlite> for Store {
    async fn insert_scheduled_messages(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
        send: &BulkSend<'_>,
        recipients: &[(StaffId, MessageStatus)],
    ) -> Result<Vec<BulkCreated>> {
        let last = insert_rows_sqlite_in(tx, &send.rows(recipients), send.send_id).await?;
        Ok(created_up_to(recipients, last))
    }
}

impl InsertScheduled<sqlx::Postgres> for Store {
    async fn insert_scheduled_messages(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
        send: &BulkSend<'_>,
        recipients: &[(StaffId, MessageStatus)],
    ) -> Result<Vec<BulkCreated>> {
        insert_messages_bulk_pg(&mut **tx, send, recipients).await
    }
}

/// The messages a due send creates: one send, its `send_id` fresh and kept on the row.
fn bulk_send<'a>(
    row: &'a ScheduledRow,
    texts: Texts<'a>,
    now: Millis,
    send_id: i64,
) -> BulkSend<'a> {
    BulkSend {
        partner_id: row.partner_id,
        texts,
        source: &row.source,
        sent_by: row.sent_by.as_deref(),
        now,
        send_id,
        ack_required: row.ack_required,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The metrics' counts: a send past its time by more than a minute is overdue until it
    /// goes; a later one only waits.
    #[tokio::test]
    async fn overdue_sends_are_counted_until_they_go() {
        let (_dir, store, _) = crate::store::temp_sqlite().await;
        store
            .execute_script(
                "INSERT INTO partners (id, inn, short_name, full_name, password_hash, created_at)
                   VALUES (1, '7707083893', 'В', 'В', '-', 0);",
            )
            .await
            .unwrap();
        let now = crate::domain::now_millis();
        let new = |send_at| NewScheduled {
            partner_id: 1,
            title: "t",
            body: "b",
            send_at,
            staff: None,
            group: None,
            source: "api",
            sent_by: "api",
            repeat: None,
            repeat_until: None,
            now,
            key: None,
            ack_required: false,
            files: &[],
        };
        let Keyed::Stored(late) = store.schedule_send(&new(now - 120_000)).await.unwrap() else {
            panic!("stored")
        };
        store.schedule_send(&new(now + 3_600_000)).await.unwrap();
        let depths = store.queue_depths().await.unwrap();
        assert_eq!((depths.scheduled_pending, depths.scheduled_overdue), (2, 1));
        let outcome = ScheduledOutcome {
            recipients: &[],
            refused_count: 0,
            refused_detail: None,
            now,
            next: None,
            personal: None,
        };
        let sent = store.send_scheduled(&late, &outcome).await.unwrap();
        assert_eq!(sent.map(|c| c.len()), Some(0), "sent, to nobody");
        assert!(
            store
                .send_scheduled(&late, &outcome)
                .await
                .unwrap()
                .is_none(),
            "once"
        );
        let depths = store.queue_depths().await.unwrap();
        assert_eq!((depths.scheduled_pending, depths.scheduled_overdue), (1, 0));
    }
}
