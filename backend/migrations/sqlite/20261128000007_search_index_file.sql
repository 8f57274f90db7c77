-- The full-text index moves to a database file of its own, next to this one (`<file>-search`,
-- see store/search_index.rs). SQLite has one writer per file: FTS5 merges its segments inside
-- the indexing transaction, and while it did (8-36 ms every few batches) every createmessage
-- waited behind it. In its own file it takes only that file's write lock. The index is derived
-- data: the server rebuilds it when the file is missing.
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_update;
DROP TABLE messages_fts;
DROP TABLE fts_progress;

-- A trigger cannot reach another file, so deleted and edited messages are queued here for
-- the indexer, which removes (and, if edited, re-adds) them in the index, then trims the queue.
CREATE TABLE search_changes (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id INTEGER NOT NULL
);
CREATE TRIGGER search_forget AFTER DELETE ON messages BEGIN
    INSERT INTO search_changes (message_id) VALUES (old.id);
END;
CREATE TRIGGER search_reindex AFTER UPDATE OF title, body ON messages BEGIN
    INSERT INTO search_changes (message_id) VALUES (new.id);
END;
