//! Files sent with messages (migration 50).
//!
//! A file is uploaded once (`uploadfile`, the cabinet's send form) and attached by ID to one
//! message or to every message of a send: a send to 10,000 employees stores its file once.
//! A message's files are linked in the transaction that stores the message, so the push
//! that announces it never comes before its files. `messages.files` counts them: a page of
//! `getmessage` reads its files only when one of its messages has any.
//!
//! A file no message needs is deleted by the housekeeping a day after its upload (see
//! `prune_unused_files`): one uploaded and never attached, or one whose messages were all
//! deleted (the company's retention, an employee deleted).

use super::deliveries::{BeginWrite, insert_one_in_tx};
use super::{
    Keyed, NewMessage, Pool, Store, ids_json, is_unique_violation, with_pool, with_writer,
};
use crate::domain::{FileUpload, IdempotencyKey, Millis};
use crate::error::{Error, Result};
use std::collections::HashMap;

/// A stored file as its lists show it, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FileRow {
    pub id: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub created_at: Millis,
}

/// A file with its bytes, to send to whoever may read it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FileData {
    pub id: i64,
    pub name: String,
    pub content_type: String,
    pub sha256: String,
    pub data: Vec<u8>,
}

/// One file of a message, in the message's order.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MessageFile {
    pub message_id: i64,
    pub id: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
}

/// The files of each message, in their order.
pub type FilesByMessage = HashMap<i64, Vec<MessageFile>>;

/// A file as the cabinet's list of the company's files shows it: what carries it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FileListRow {
    pub id: i64,
    pub name: String,
    pub size: i64,
    pub uploaded_by: String,
    pub created_at: Millis,
    /// Messages that carry it.
    pub messages: i64,
    /// Waiting scheduled sends that carry it.
    pub waiting: i64,
}

/// What an upload came to (`Store::insert_file`).
#[derive(Debug)]
pub enum FileStored {
    /// Stored, or found stored before (the same bytes under the same name).
    Stored(FileRow),
    /// Not stored: the partner's files take `used` bytes, and this one would go beyond the
    /// room it was given.
    NoRoom { used: i64 },
}

/// The bytes of the partner's files, summed by `files_usage`; `$1` is the partner.
const USED_BYTES: &str =
    "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM files WHERE partner_id = $1";

const META: &str = "id, name, content_type, size, sha256, created_at";

impl Store {
    /// Stores an uploaded file of the partner; `sha256` is its digest in hex.
    ///
    /// The same bytes under the same name, uploaded again by the partner, are the file stored
    /// before: a 1C loop that uploads the order with each employee's message stores it once,
    /// not 10,000 times. Its upload time moves to `now`, in the statement that finds it, so
    /// the housekeeping's day starts again: its `DELETE` either went first (then nothing is
    /// found and the file is stored anew) or finds it young.
    ///
    /// A file not stored before must fit in `room` (bytes of all the partner's files; `None`:
    /// no limit). The sum is read on the writer: SQLite's uploads are counted one after
    /// another; PostgreSQL's, at the same moment, may each see the room the other takes.
    pub async fn insert_file(
        &self,
        partner_id: i64,
        file: &FileUpload,
        sha256: &str,
        uploaded_by: &str,
        now: Millis,
        room: Option<i64>,
    ) -> Result<FileStored> {
        Ok(with_writer!(self, p => async {
            let stored: Option<FileRow> = sqlx::query_as(
                "UPDATE files SET created_at = CASE WHEN created_at < $5 THEN $5 ELSE created_at END
                 WHERE id = (SELECT id FROM files
                             WHERE partner_id = $1 AND sha256 = $2 AND name = $3 AND size = $4
                             ORDER BY id LIMIT 1)
                 RETURNING id, name, content_type, size, sha256, created_at",
            )
            .bind(partner_id)
            .bind(sha256)
            .bind(file.name.as_str())
            .bind(file.data.len() as i64)
            .bind(now)
            .fetch_optional(p)
            .await?;
            if let Some(row) = stored {
                return Ok(FileStored::Stored(row));
            }
            if let Some(room) = room {
                let used: i64 = sqlx::query_scalar(USED_BYTES)
                    .bind(partner_id)
                    .fetch_one(p)
                    .await?;
                if used + file.data.len() as i64 > room {
                    return Ok(FileStored::NoRoom { used });
                }
            }
            sqlx::query_as(
                "INSERT INTO files (partner_id, name, content_type, size, sha256, data, uploaded_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 RETURNING id, name, content_type, size, sha256, created_at",
            )
            .bind(partner_id)
            .bind(file.name.as_str())
            .bind(file.name.content_type())
            .bind(file.data.len() as i64)
            .bind(sha256)
            .bind(&file.data)
            .bind(uploaded_by)
            .bind(now)
            .fetch_one(p)
            .await
            .map(FileStored::Stored)
        }
        .await)?)
    }

    /// A page of the partner's files, the largest first (what takes its room), with how many
    /// messages and waiting sends carry each; and how many files it has in all.
    pub async fn partner_file_list(
        &self,
        partner_id: i64,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<FileListRow>, i64)> {
        let rows = with_pool!(self, p => sqlx::query_as(
            "SELECT f.id, f.name, f.size, f.uploaded_by, f.created_at,
                    (SELECT COUNT(*) FROM message_files mf WHERE mf.file_id = f.id) AS messages,
                    (SELECT COUNT(*) FROM scheduled_files sf
                     JOIN scheduled_sends s ON s.id = sf.scheduled_id
                     WHERE sf.file_id = f.id AND s.state = 'pending') AS waiting
             FROM files f WHERE f.partner_id = $1
             ORDER BY f.size DESC, f.id DESC LIMIT $2 OFFSET $3",
        )
        .bind(partner_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(p)
        .await)?;
        let total: i64 = with_pool!(self, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM files WHERE partner_id = $1",
        )
        .bind(partner_id)
        .fetch_one(p)
        .await)?;
        Ok((rows, total))
    }

    /// How many bytes the partner's files take.
    pub async fn partner_file_bytes(&self, partner_id: i64) -> Result<i64> {
        Ok(with_pool!(self, p => sqlx::query_scalar(USED_BYTES)
            .bind(partner_id)
            .fetch_one(p)
            .await)?)
    }

    /// Those of `ids` that are the partner's files, in no particular order.
    pub async fn partner_files(&self, partner_id: i64, ids: &[i64]) -> Result<Vec<FileRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(match &self.pool {
            Pool::Sqlite(p) => {
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {META} FROM files
                     WHERE id IN (SELECT value FROM json_each($2)) AND partner_id = $1"
                )))
                .bind(partner_id)
                .bind(ids_json(ids)?)
                .fetch_all(p)
                .await?
            }
            Pool::Postgres(p) => {
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {META} FROM files WHERE id = ANY($2) AND partner_id = $1"
                )))
                .bind(partner_id)
                .bind(ids)
                .fetch_all(p)
                .await?
            }
        })
    }

    /// The files of `ids` (messages), in each message's order.
    pub async fn files_of_messages(&self, ids: &[i64]) -> Result<FilesByMessage> {
        let rows: Vec<MessageFile> = self
            .linked_files("message_files", "message_id", ids)
            .await?;
        let mut by_message: FilesByMessage = HashMap::new();
        for row in rows {
            by_message.entry(row.message_id).or_default().push(row);
        }
        Ok(by_message)
    }

    /// The files `link` (`message_files`, `scheduled_files`) links to `ids` by its column
    /// `owner`, each owner's in their order: rows of (`owner`, id, name, content type, size).
    pub(super) async fn linked_files<R>(
        &self,
        link: &'static str,
        owner: &'static str,
        ids: &[i64],
    ) -> Result<Vec<R>>
    where
        R: Send
            + Unpin
            + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
    {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let select = format!(
            "SELECT l.{owner}, f.id, f.name, f.content_type, f.size
             FROM {link} l JOIN files f ON f.id = l.file_id WHERE l.{owner}"
        );
        let order = format!("ORDER BY l.{owner}, l.position");
        Ok(match &self.pool {
            Pool::Sqlite(p) => {
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{select} IN (SELECT value FROM json_each($1)) {order}"
                )))
                .bind(ids_json(ids)?)
                .fetch_all(p)
                .await?
            }
            Pool::Postgres(p) => {
                sqlx::query_as(sqlx::AssertSqlSafe(format!("{select} = ANY($1) {order}")))
                    .bind(ids)
                    .fetch_all(p)
                    .await?
            }
        })
    }

    /// `files_of_messages` for messages of one partner, asked only when the partner ever
    /// uploaded a file: a company that sends none pays one look-up in `files_partner`, not a
    /// probe per message (a page of `listmessages` holds 1,000).
    pub async fn partner_files_of(&self, partner_id: i64, ids: &[i64]) -> Result<FilesByMessage> {
        let any: bool = with_pool!(self, p => sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM files WHERE partner_id = $1)",
        )
        .bind(partner_id)
        .fetch_one(p)
        .await)?;
        if !any {
            return Ok(HashMap::new());
        }
        self.files_of_messages(ids).await
    }

    /// A file of one of the employee's messages, unless the message was recalled: what the
    /// employee's app may download.
    pub async fn staff_file(
        &self,
        staff_id: i64,
        message_id: i64,
        file_id: i64,
    ) -> Result<Option<FileData>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT f.id, f.name, f.content_type, f.sha256, f.data
             FROM messages m
             JOIN message_files mf ON mf.message_id = m.id
             JOIN files f ON f.id = mf.file_id
             WHERE m.id = $1 AND m.staff_id = $2 AND mf.file_id = $3 AND m.status <> 'recalled'",
        )
        .bind(message_id)
        .bind(staff_id)
        .bind(file_id)
        .fetch_optional(p)
        .await)?)
    }

    /// One of the partner's files with its bytes.
    pub async fn partner_file(&self, partner_id: i64, file_id: i64) -> Result<Option<FileData>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT id, name, content_type, sha256, data FROM files WHERE id = $1 AND partner_id = $2",
        )
        .bind(file_id)
        .bind(partner_id)
        .fetch_optional(p)
        .await)?)
    }

    /// The IDs of a message's files, in its order.
    pub async fn message_file_ids(&self, message_id: i64) -> Result<Vec<i64>> {
        Ok(with_pool!(self, p => sqlx::query_scalar(
            "SELECT file_id FROM message_files WHERE message_id = $1 ORDER BY position",
        )
        .bind(message_id)
        .fetch_all(p)
        .await)?)
    }

    /// Stores a message that carries files, as `insert_message_keyed` stores one that does
    /// not, and links its files (the partner's, checked by the caller) in the same
    /// transaction. Not through the group commit: a message with files is rare and large.
    pub async fn insert_message_with_files(
        &self,
        m: &NewMessage<'_>,
        files: &[i64],
    ) -> Result<Keyed> {
        let stored = with_writer!(self, p => async {
            let mut tx = p.begin_write().await?;
            let (mut row, job) = insert_one_in_tx!(tx, m.partner_id, m.staff_id.0, m.title, m.body, m.source, m.sent_by, m.status, m.now, None, m.idempotency_key.map(IdempotencyKey::as_str), m.ack_required);
            for (position, file) in files.iter().enumerate() {
                sqlx::query("INSERT INTO message_files (message_id, position, file_id) VALUES ($1, $2, $3)")
                    .bind(row.id)
                    .bind(position as i64)
                    .bind(*file)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("UPDATE messages SET files = $2 WHERE id = $1")
                .bind(row.id)
                .bind(files.len() as i64)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            row.files = files.len() as i64;
            Ok::<_, sqlx::Error>((row, job))
        }.await);
        match stored {
            Ok((row, job)) => {
                if job.is_some() {
                    self.hint_outbox();
                }
                Ok(Keyed::Stored(row))
            }
            Err(e)
                if is_unique_violation(&e)
                    && let Some(key) = m.idempotency_key =>
            {
                self.taken_by_key(m.partner_id, key).await
            }
            Err(e) => Err(file_gone_or(e)),
        }
    }

    /// Deletes the files no message and no waiting send carries that were uploaded before
    /// `before`; returns how many.
    ///
    /// The links of sends that went or were cancelled go first, for those files only. The
    /// links have no `ON DELETE CASCADE`: a send scheduled with a file while its `DELETE`
    /// runs makes the `DELETE` fail (and the next round keep the file), where a cascade
    /// would take the file from the send without a word.
    pub async fn prune_unused_files(&self, before: Millis) -> Result<u64> {
        super::exec!(self, p => sqlx::query(
            "DELETE FROM scheduled_files WHERE file_id IN (
               SELECT f.id FROM files f WHERE f.created_at < $1
                 AND NOT EXISTS (SELECT 1 FROM message_files mf WHERE mf.file_id = f.id)
                 AND NOT EXISTS (SELECT 1 FROM scheduled_files sf
                                 JOIN scheduled_sends s ON s.id = sf.scheduled_id
                                 WHERE sf.file_id = f.id AND s.state = 'pending'))",
        )
        .bind(before)
        .execute(p)
        .await)?;
        Ok(super::exec!(self, p => sqlx::query(
            "DELETE FROM files WHERE created_at < $1
               AND NOT EXISTS (SELECT 1 FROM message_files mf WHERE mf.file_id = files.id)
               AND NOT EXISTS (SELECT 1 FROM scheduled_files sf WHERE sf.file_id = files.id)",
        )
        .bind(before)
        .execute(p)
        .await)?)
    }
}

/// A failed write that links files: a file deleted by the housekeeping since the caller
/// checked it (a day after its upload) is the caller's 404, anything else the error it is.
pub(crate) fn file_gone_or(e: sqlx::Error) -> Error {
    match e {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => Error::not_found(phrase!(
            "Файл сообщения только что удалён (файл, не приложенный ни к одному сообщению, хранится сутки): загрузите его снова",
            "A file of the message was just deleted (a file no message carries is kept for a day): upload it again"
        )),
        e => e.into(),
    }
}

/// Links `$files` to every message of the send `$send_id`, inside the transaction `$tx` that
/// stored them (either database's), in a function that answers the crate's `Result`.
macro_rules! link_send_files {
    ($tx:expr, $send_id:expr, $files:expr) => {{
        let files: &[i64] = $files;
        for (position, file) in files.iter().enumerate() {
            sqlx::query(
                "INSERT INTO message_files (message_id, position, file_id)
                 SELECT id, $2, $3 FROM messages WHERE send_id = $1",
            )
            .bind($send_id)
            .bind(position as i64)
            .bind(*file)
            .execute(&mut *$tx)
            .await
            .map_err($crate::store::files::file_gone_or)?;
        }
        sqlx::query("UPDATE messages SET files = $2 WHERE send_id = $1")
            .bind($send_id)
            .bind(files.len() as i64)
            .execute(&mut *$tx)
            .await?;
    }};
}
pub(super) use link_send_files;

/// Links `$files` to the scheduled send `$id`, in their order, inside the transaction `$tx`
/// (either database's); yields the statements' `Result<(), sqlx::Error>`.
macro_rules! link_scheduled_files {
    ($tx:expr, $id:expr, $files:expr) => {
        async {
            let files: &[i64] = $files;
            for (position, file) in files.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO scheduled_files (scheduled_id, position, file_id) VALUES ($1, $2, $3)",
                )
                .bind($id)
                .bind(position as i64)
                .bind(*file)
                .execute(&mut *$tx)
                .await?;
            }
            Ok::<(), sqlx::Error>(())
        }
        .await
    };
}
pub(super) use link_scheduled_files;
