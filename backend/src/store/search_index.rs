//! SQLite's full-text index of messages: a database file of its own, kept a little behind.
//!
//! The index lives in `<database file>-search` (migration 7 says why), attached as `search`
//! to the connection that writes it (the indexer, one connection) and to the readers that
//! search; never to the writer of messages, whose `BEGIN IMMEDIATE` would take its lock too.
//! The server's maintenance task indexes new messages in batches; deleted and edited ones
//! come through `search_changes` (filled by triggers) and are removed or re-added. A search
//! first indexes whatever is left, so it never misses a message. The file is derived data:
//! missing, it is rebuilt; ahead of its database (the database restored from an older
//! backup), it is emptied and rebuilt. PostgreSQL keeps a tsvector column in step with each
//! row and has nothing to do here.

use super::{Pool, Store};
use crate::error::{Error, Result};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::{Row, SqliteConnection};
use std::sync::Arc;

/// Messages indexed per transaction: large enough for FTS5 to write few segments, small
/// enough that a search that catches up first does not wait long for one.
pub const INDEX_BATCH: i64 = 1000;

/// Where the search index of the database at `opts` lives: next to the file, or, for an
/// in-memory database, in a shared in-memory database named once per store.
pub(super) fn index_location(opts: &SqliteConnectOptions, in_memory: bool) -> Arc<str> {
    if in_memory {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!(
            "file:simo-search-{}-{n}?mode=memory&cache=shared",
            std::process::id()
        )
        .into()
    } else {
        let mut path = opts.get_filename().as_os_str().to_owned();
        path.push("-search");
        path.to_string_lossy().into()
    }
}

/// Attaches the index as `search` (an `after_connect` step of the pools that use it).
pub(super) async fn attach(conn: &mut SqliteConnection, location: &str) -> sqlx::Result<()> {
    sqlx::query("ATTACH DATABASE $1 AS search")
        .bind(location)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The indexer's one connection: the index attached, created if it is not there yet.
pub(super) async fn indexer_pool(
    opts: SqliteConnectOptions,
    location: Arc<str>,
) -> Result<SqlitePool> {
    Ok(SqlitePoolOptions::new()
        .max_connections(1)
        .after_connect(move |conn, _| {
            let location = location.clone();
            Box::pin(async move {
                attach(conn, &location).await?;
                sqlx::raw_sql(
                    "PRAGMA search.journal_mode = WAL;
                     PRAGMA search.synchronous = NORMAL;
                     PRAGMA search.journal_size_limit = 67108864;
                     CREATE VIRTUAL TABLE IF NOT EXISTS search.messages_fts USING fts5(
                         title, body, content = '', contentless_delete = 1,
                         tokenize = 'unicode61 remove_diacritics 2');
                     -- indexed_to: every message up to this id was indexed.
                     -- changes_to: every search_changes row up to this seq was applied.
                     CREATE TABLE IF NOT EXISTS search.progress (
                         id         INTEGER PRIMARY KEY CHECK (id = 1),
                         indexed_to INTEGER NOT NULL,
                         changes_to INTEGER NOT NULL);
                     INSERT OR IGNORE INTO search.progress VALUES (1, 0, 0);",
                )
                .execute(&mut *conn)
                .await?;
                Ok(())
            })
        })
        .connect_with(opts)
        .await?)
}

/// Empties the index if it is ahead of the database: it holds ids or changes the database
/// never gave out (a database restored from a backup, or created anew, next to an old index).
/// Run at connect, before this process writes a message that could take such an id.
pub(super) async fn forget_if_ahead(indexer: &SqlitePool) -> Result<()> {
    if !index_ahead(indexer).await? {
        return Ok(());
    }
    tracing::warn!(
        "the search index is ahead of its database (restored from a backup?): rebuilding it"
    );
    super::sqlite_write_in_one_call(
        indexer,
        sqlx::query(
            "BEGIN;
             INSERT INTO search.messages_fts (messages_fts) VALUES ('delete-all');
             UPDATE search.progress SET indexed_to = 0, changes_to = 0;
             COMMIT;",
        ),
    )
    .await?;
    Ok(())
}

/// Whether the index holds a message id or a change the database has not given out yet.
async fn index_ahead(indexer: &SqlitePool) -> Result<bool> {
    let mut conn = indexer.acquire().await?;
    let has_sequence: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM main.sqlite_master WHERE name = 'sqlite_sequence')",
    )
    .fetch_one(&mut *conn)
    .await?;
    let (messages, changes): (i64, i64) = if has_sequence {
        sqlx::query_as(
            "SELECT COALESCE((SELECT seq FROM main.sqlite_sequence WHERE name = 'messages'), 0),
                    COALESCE((SELECT seq FROM main.sqlite_sequence WHERE name = 'search_changes'), 0)",
        )
        .fetch_one(&mut *conn)
        .await?
    } else {
        (0, 0)
    };
    Ok(
        sqlx::query_scalar("SELECT indexed_to > $1 OR changes_to > $2 FROM search.progress")
            .bind(messages)
            .bind(changes)
            .fetch_one(&mut *conn)
            .await?,
    )
}

/// What one indexing round did.
struct Round {
    /// More messages wait to be indexed.
    more: bool,
    /// Applied changes are still queued in the database up to this seq: trim them.
    trim_to: Option<i64>,
}

impl Store {
    /// Applies the queued changes and indexes up to `limit` new messages, in one transaction
    /// on the index's file; returns whether more messages are waiting.
    pub async fn index_for_search(&self, limit: i64) -> Result<bool> {
        let Some(indexer) = &self.search_indexer else {
            return Ok(false);
        };
        if !self.search_index_behind().await? {
            return Ok(false);
        }
        let round = index_round(indexer, limit).await?;
        if let (Some(seq), Pool::Sqlite(writer)) = (round.trim_to, &self.writer) {
            sqlx::query("DELETE FROM search_changes WHERE seq <= $1")
                .bind(seq)
                .execute(writer)
                .await?;
        }
        Ok(round.more)
    }

    /// Before a search: indexes every message committed so far.
    pub(super) async fn search_catch_up(&self) -> Result<()> {
        while self.index_for_search(INDEX_BATCH).await? {}
        Ok(())
    }

    /// Whether the index lacks a message or a change (a read; no write lock taken).
    async fn search_index_behind(&self) -> Result<bool> {
        let (Pool::Sqlite(p), Some(_)) = (&self.pool, &self.search_indexer) else {
            return Ok(false);
        };
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM main.messages WHERE id > p.indexed_to)
                 OR EXISTS (SELECT 1 FROM main.search_changes WHERE seq > p.changes_to)
                 OR EXISTS (SELECT 1 FROM main.search_changes WHERE seq <= p.changes_to)
             FROM search.progress p",
        )
        .fetch_one(p)
        .await?)
    }

    /// The ids of the messages the index itself finds for an FTS5 query, without looking at
    /// the messages: for tests that check what the index holds.
    #[doc(hidden)]
    pub async fn search_index_ids(&self, fts_query: &str) -> Result<Vec<i64>> {
        let Some(indexer) = &self.search_indexer else {
            return Ok(Vec::new());
        };
        Ok(sqlx::query_scalar(
            "SELECT rowid FROM search.messages_fts WHERE messages_fts MATCH $1 ORDER BY rowid",
        )
        .bind(fts_query)
        .fetch_all(indexer)
        .await?)
    }

    /// FTS5's own consistency check of the index (`Ok` on PostgreSQL).
    #[doc(hidden)]
    pub async fn check_search_index(&self) -> Result<()> {
        if let Some(indexer) = &self.search_indexer {
            sqlx::query(
                "INSERT INTO search.messages_fts (messages_fts) VALUES ('integrity-check')",
            )
            .execute(indexer)
            .await?;
        }
        Ok(())
    }
}

/// One round, as one call to the indexer's connection. A deferred transaction: it reads the
/// messages file and writes only the index's, so it takes only the index's write lock.
async fn index_round(indexer: &SqlitePool, limit: i64) -> Result<Round> {
    let rows = super::sqlite_write_in_one_call(
        indexer,
        sqlx::query(
            "BEGIN;
             DELETE FROM search.messages_fts WHERE rowid IN (
               SELECT message_id FROM main.search_changes
               WHERE seq > (SELECT changes_to FROM search.progress)
                 AND message_id <= (SELECT indexed_to FROM search.progress));
             INSERT INTO search.messages_fts (rowid, title, body)
               SELECT id, title, body FROM main.messages WHERE id IN (
                 SELECT message_id FROM main.search_changes
                 WHERE seq > (SELECT changes_to FROM search.progress)
                   AND message_id <= (SELECT indexed_to FROM search.progress));
             UPDATE search.progress
               SET changes_to = COALESCE((SELECT max(seq) FROM main.search_changes), changes_to);
             INSERT INTO search.messages_fts (rowid, title, body)
               SELECT id, title, body FROM main.messages
               WHERE id > (SELECT indexed_to FROM search.progress) ORDER BY id LIMIT $1;
             UPDATE search.progress SET indexed_to = COALESCE(
               (SELECT max(id) FROM (SELECT id FROM main.messages
                                     WHERE id > search.progress.indexed_to ORDER BY id LIMIT $1)),
               indexed_to);
             SELECT EXISTS (SELECT 1 FROM main.messages WHERE id > p.indexed_to),
                    CASE WHEN EXISTS (SELECT 1 FROM main.search_changes WHERE seq <= p.changes_to)
                         THEN p.changes_to END
               FROM search.progress p;
             COMMIT;",
        )
        .bind(limit),
    )
    .await?;
    match rows.as_slice() {
        [row] => Ok(Round {
            more: row.try_get(0)?,
            trim_to: row.try_get(1)?,
        }),
        rows => Err(Error::Internal(format!(
            "search index: {} rows answered instead of one",
            rows.len()
        ))),
    }
}
