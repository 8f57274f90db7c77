//! The offline cache's schema: [`VERSION`], the SQL of a fresh database, and
//! [`upgrade_from`] for databases written by older versions of the app.
//!
//! The version lives in `PRAGMA user_version`. Upgrade steps are append-only: a step that
//! shipped is never edited. `tests::an_upgraded_database_matches_a_fresh_one` checks that
//! upgrading the oldest snapshot gives exactly the schema of a fresh database.

use rusqlite::{Connection, TransactionBehavior};

use crate::error::{Error, Result};

/// The version a fresh database is created at.
pub const VERSION: i64 = 5;

/// Tables of version 1, the first shipped schema.
const V1_TABLES: &str = "
-- The employee's session: at most one row.
CREATE TABLE session (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    token          TEXT NOT NULL,
    inn            TEXT NOT NULL,
    staff_id       TEXT NOT NULL,
    staff_name     TEXT NOT NULL,
    company_name   TEXT NOT NULL,
    company_full   TEXT NOT NULL,
    phone          TEXT NOT NULL,
    device         TEXT NOT NULL
);

-- Small values: push token, pending login, sync cursor, owner of the cached messages.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- Messages, newest = greatest id (ids grow monotonically on the server).
CREATE TABLE messages (
    id             INTEGER PRIMARY KEY,
    title          TEXT NOT NULL,
    body           TEXT NOT NULL,
    created_ms     INTEGER NOT NULL,
    sent_ms        INTEGER,
    is_read        INTEGER NOT NULL DEFAULT 0 CHECK (is_read IN (0, 1)),
    from_sync      INTEGER NOT NULL DEFAULT 0 CHECK (from_sync IN (0, 1))
);

-- unread_count() counts this partial index only.
CREATE INDEX messages_unread ON messages (id) WHERE is_read = 0;

-- Delivery reports waiting for the network; flushed by sync(), deleted once the server has them.
CREATE TABLE outbox (
    message_id     INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    report         TEXT NOT NULL CHECK (report IN ('delivered', 'read')),
    PRIMARY KEY (message_id, report)
) WITHOUT ROWID;
";

/// Version 2: full-text search over titles and bodies.
///
/// A contentless FTS5 table (the text lives in `messages`) kept by triggers. It indexes the
/// text with `ё` folded to `е`, which `unicode61` does not do by itself; `messages.rs` folds
/// the query the same way.
const V2_SEARCH: &str = "
CREATE VIRTUAL TABLE messages_fts USING fts5 (
    title, body,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, title, body)
    VALUES (new.id, replace(replace(new.title, 'ё', 'е'), 'Ё', 'Е'), replace(replace(new.body, 'ё', 'е'), 'Ё', 'Е'));
END;

CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    DELETE FROM messages_fts WHERE rowid = old.id;
END;

CREATE TRIGGER messages_fts_update AFTER UPDATE OF title, body ON messages BEGIN
    DELETE FROM messages_fts WHERE rowid = old.id;
    INSERT INTO messages_fts (rowid, title, body)
    VALUES (new.id, replace(replace(new.title, 'ё', 'е'), 'Ё', 'Е'), replace(replace(new.body, 'ё', 'е'), 'Ё', 'Е'));
END;
";

/// Indexes the messages an older version cached before search existed.
const V2_BACKFILL: &str = "
INSERT INTO messages_fts (rowid, title, body)
SELECT id, replace(replace(title, 'ё', 'е'), 'Ё', 'Е'), replace(replace(body, 'ё', 'е'), 'Ё', 'Е') FROM messages;
";

/// Version 3: messages the employee is asked to acknowledge ("Ознакомлен(а)"), and the
/// `acknowledged` report. The outbox is rebuilt because SQLite cannot change a CHECK.
const V3_ACK: &str = "
ALTER TABLE messages ADD COLUMN ack_required INTEGER NOT NULL DEFAULT 0 CHECK (ack_required IN (0, 1));
ALTER TABLE messages ADD COLUMN acked_ms INTEGER;

CREATE TABLE outbox_v3 (
    message_id     INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    report         TEXT NOT NULL CHECK (report IN ('delivered', 'read', 'acknowledged')),
    PRIMARY KEY (message_id, report)
) WITHOUT ROWID;
INSERT INTO outbox_v3 (message_id, report) SELECT message_id, report FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v3 RENAME TO outbox;
";

/// Version 4: whether the company sends the employee messages (`StaffState`), as
/// `confirmsmscode` and `getprofile` say. A session stored before knew nothing else.
const V4_STATE: &str = "
ALTER TABLE session ADD COLUMN state TEXT NOT NULL DEFAULT 'active'
    CHECK (state IN ('active', 'disabled', 'pending'));
";

/// Version 5: files attached to messages, in the message's order, with their bytes once
/// downloaded. Files never change on the server: the bytes stay as long as their message and go
/// with it (a recall, a logout, another employee's login), or until the downloaded files outgrow
/// their room and the least recently opened lose their bytes (`opened` orders them). `data` is
/// last so that listing the files, or ordering them, does not read the bytes.
const V5_FILES: &str = "
CREATE TABLE message_files (
    message_id     INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    file_id        INTEGER NOT NULL,
    position       INTEGER NOT NULL,
    name           TEXT NOT NULL,
    size           INTEGER NOT NULL CHECK (size >= 0),
    content_type   TEXT NOT NULL,
    opened         INTEGER,
    data           BLOB,
    PRIMARY KEY (message_id, file_id)
);
";

/// Creates or upgrades the schema. Runs in an immediate transaction and re-reads the version
/// inside it, so two processes opening the same cache at once migrate it only once.
pub fn init(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    match version {
        0 => create(&tx)?,
        v if v == VERSION => return Ok(()),
        v if v < VERSION => upgrade_from(&tx, v)?,
        v => {
            return Err(Error::Protocol(format!(
                "the cache was written by a newer app (schema {v}, this one knows {VERSION})"
            )));
        }
    }
    tx.pragma_update(None, "user_version", VERSION)?;
    tx.commit()?;
    Ok(())
}

fn create(conn: &Connection) -> Result<()> {
    conn.execute_batch(V1_TABLES)?;
    conn.execute_batch(V2_SEARCH)?;
    // As an upgrade does it, so that a fresh schema and an upgraded one are the same text.
    conn.execute_batch(V3_ACK)?;
    conn.execute_batch(V4_STATE)?;
    conn.execute_batch(V5_FILES)?;
    Ok(())
}

/// Brings a database of `version` up to [`VERSION`], one step at a time.
fn upgrade_from(conn: &Connection, version: i64) -> Result<()> {
    tracing::info!(from = version, to = VERSION, "upgrading the offline cache");
    if version < 2 {
        conn.execute_batch(V2_SEARCH)?;
        conn.execute_batch(V2_BACKFILL)?;
    }
    if version < 3 {
        conn.execute_batch(V3_ACK)?;
    }
    if version < 4 {
        conn.execute_batch(V4_STATE)?;
    }
    if version < 5 {
        conn.execute_batch(V5_FILES)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The schema as SQLite reports it, sorted, for comparing two databases.
    fn schema_of(conn: &Connection) -> Vec<(String, String, String)> {
        let mut statement = conn
            .prepare("SELECT type, name, ifnull(sql, '') FROM sqlite_schema ORDER BY type, name")
            .unwrap();
        statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    fn version_of(conn: &Connection) -> i64 {
        conn.query_row("PRAGMA user_version", [], |row| row.get(0))
            .unwrap()
    }

    #[test]
    fn an_upgraded_database_matches_a_fresh_one() {
        let mut fresh = Connection::open_in_memory().unwrap();
        init(&mut fresh).unwrap();

        // A snapshot of version 1 with a message in it, as an older app left it.
        let mut old = Connection::open_in_memory().unwrap();
        old.execute_batch(V1_TABLES).unwrap();
        old.pragma_update(None, "user_version", 1).unwrap();
        old.execute(
            "INSERT INTO messages (id, title, body, created_ms) VALUES (7, 'Собрание', 'Общее собрание в пятницу, всё решим', 0)",
            [],
        )
        .unwrap();
        old.execute(
            "INSERT INTO outbox (message_id, report) VALUES (7, 'read')",
            [],
        )
        .unwrap();
        old.execute(
            "INSERT INTO session VALUES (1, 't', '7707083893', '5', 'Иванов И.', 'Весна', 'ООО «Весна»', '+79001110001', 'android')",
            [],
        )
        .unwrap();

        init(&mut old).unwrap();
        let waiting: String = old
            .query_row("SELECT report FROM outbox WHERE message_id = 7", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(waiting, "read", "a report waiting for the network survives");
        let state: String = old
            .query_row("SELECT state FROM session WHERE token = 't'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(state, "active", "a session stored before states is active");
        old.execute(
            "INSERT INTO outbox (message_id, report) VALUES (7, 'acknowledged')",
            [],
        )
        .unwrap();

        old.execute(
            "INSERT INTO message_files (message_id, file_id, position, name, size, content_type)
             VALUES (7, 17, 0, 'Листок.pdf', 3, 'application/pdf')",
            [],
        )
        .unwrap();

        assert_eq!(version_of(&old), VERSION);
        assert_eq!(schema_of(&old), schema_of(&fresh));
        let found: i64 = old
            .query_row(
                "SELECT rowid FROM messages_fts WHERE messages_fts MATCH 'пятницу'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(
            found, 7,
            "the upgrade indexes the messages that were already cached"
        );
        let folded: i64 = old
            .query_row(
                "SELECT rowid FROM messages_fts WHERE messages_fts MATCH 'все'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(folded, 7, "ё is indexed as е");
    }

    #[test]
    fn opening_twice_is_a_no_op() {
        let mut conn = Connection::open_in_memory().unwrap();
        init(&mut conn).unwrap();
        let before = schema_of(&conn);
        init(&mut conn).unwrap();
        assert_eq!(schema_of(&conn), before);
        assert_eq!(version_of(&conn), VERSION);
    }

    #[test]
    fn a_cache_from_a_newer_app_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", VERSION + 1)
            .unwrap();
        assert!(init(&mut conn).is_err());
    }
}
