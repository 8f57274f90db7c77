-- The full-text index no longer grows inside every message's transaction: a background task
-- of the server indexes new messages in large batches (and a search first catches up, so it
-- never misses a message). Per-transaction FTS5 segments cost ~15% of createmessage's
-- throughput and the merges they caused were its worst stalls.
--
-- fts_progress.indexed_to: every message with a smaller or equal id is in messages_fts.
CREATE TABLE fts_progress (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    indexed_to INTEGER NOT NULL
);
INSERT INTO fts_progress (id, indexed_to) SELECT 1, COALESCE(MAX(id), 0) FROM messages;

DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_update;
-- A message not indexed yet has nothing to remove; the indexer reads its current text.
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
WHEN old.id <= (SELECT indexed_to FROM fts_progress) BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF title, body ON messages
WHEN old.id <= (SELECT indexed_to FROM fts_progress) BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
    INSERT INTO messages_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
END;
