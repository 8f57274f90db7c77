//! SQLite's full-text index of messages, kept a little behind them.
//!
//! Messages are indexed by the server's maintenance task in batches, not by a trigger inside
//! each message's transaction (migration 4 says why); `fts_progress.indexed_to` says how far
//! the index goes. A search first indexes whatever is left, so it never misses a message.
//! PostgreSQL keeps a tsvector column in step with each row and has nothing to do here.

use super::{Pool, Store};
use crate::error::Result;

/// Messages indexed per transaction: large enough for FTS5 to write few segments, small
/// enough that a concurrent `createmessage` waits a few milliseconds at most.
pub const INDEX_BATCH: i64 = 1000;

impl Store {
    /// Indexes up to `limit` messages the search index does not hold yet, in one transaction
    /// on the writer connection; returns whether more are waiting.
    pub async fn index_for_search(&self, limit: i64) -> Result<bool> {
        let Pool::Sqlite(writer) = &self.writer else {
            return Ok(false);
        };
        if !self.search_index_behind().await? {
            return Ok(false);
        }
        let answer = super::sqlite_write_in_one_call(
            writer,
            sqlx::query(
                "BEGIN IMMEDIATE;
                 INSERT INTO messages_fts(rowid, title, body)
                   SELECT id, title, body FROM messages
                   WHERE id > (SELECT indexed_to FROM fts_progress) ORDER BY id LIMIT $1;
                 UPDATE fts_progress SET indexed_to = COALESCE(
                   (SELECT max(id) FROM (SELECT id FROM messages WHERE id > fts_progress.indexed_to ORDER BY id LIMIT $1)),
                   indexed_to);
                 SELECT EXISTS (SELECT 1 FROM messages WHERE id > (SELECT indexed_to FROM fts_progress));
                 COMMIT;",
            )
            .bind(limit),
        )
        .await?;
        match answer.as_slice() {
            [row] => Ok(sqlx::Row::try_get(row, 0)?),
            rows => Err(crate::error::Error::Internal(format!(
                "search index: {} rows answered instead of one",
                rows.len()
            ))),
        }
    }

    /// Before a search: indexes every message committed so far.
    pub(super) async fn search_catch_up(&self) -> Result<()> {
        while self.index_for_search(INDEX_BATCH).await? {}
        Ok(())
    }

    /// Whether some message is not in the search index yet (a read; no write lock taken).
    async fn search_index_behind(&self) -> Result<bool> {
        let Pool::Sqlite(p) = &self.pool else {
            return Ok(false);
        };
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM messages WHERE id > (SELECT indexed_to FROM fts_progress))",
        )
        .fetch_one(p)
        .await?)
    }
}
