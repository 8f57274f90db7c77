-- Push delivery: the outbox of delivery jobs and every message's status history.

-- One row per message still to be pushed, inserted in the message's own transaction and
-- deleted once the provider has answered for good. A worker claims a job by moving `due_at`
-- past its lease and writing its name in `lease_owner`: a worker that dies loses the lease
-- when `due_at` comes round again, and another one takes the job over.
CREATE TABLE deliveries (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id  INTEGER NOT NULL UNIQUE REFERENCES messages(id) ON DELETE CASCADE,
    attempts    INTEGER NOT NULL DEFAULT 0,
    due_at      INTEGER NOT NULL,
    lease_owner TEXT,
    last_error  TEXT,
    created_at  INTEGER NOT NULL
);
-- The claim: the oldest due jobs first.
CREATE INDEX deliveries_due ON deliveries(due_at, id);

-- Every status a message has had, creation included; the cabinet shows it.
CREATE TABLE message_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id  INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    status      TEXT    NOT NULL,
    detail      TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX message_events_message ON message_events(message_id, id);
