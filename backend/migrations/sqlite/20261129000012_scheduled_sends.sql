-- Messages the admin (or the partner's system) scheduled for later. When one is due, its
-- messages are created in the same transaction that marks it sent, so a scheduled send goes
-- out once even with several servers or a crash in between.
CREATE TABLE scheduled_sends (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_id    INTEGER NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
    title         TEXT    NOT NULL,
    body          TEXT    NOT NULL,
    send_at       INTEGER NOT NULL,
    -- Employee IDs separated by commas; NULL: every active employee at the time of sending.
    staff_ids     TEXT,
    source        TEXT    NOT NULL,
    -- pending | sent | cancelled
    state         TEXT    NOT NULL DEFAULT 'pending',
    created_at    INTEGER NOT NULL,
    done_at       INTEGER,
    created_count INTEGER NOT NULL DEFAULT 0,
    refused_count INTEGER NOT NULL DEFAULT 0,
    -- Why some recipients got nothing, for the cabinet (the first few reasons).
    refused_detail TEXT,
    first_message_id INTEGER,
    last_message_id  INTEGER
);
CREATE INDEX scheduled_sends_due ON scheduled_sends(send_at) WHERE state = 'pending';
CREATE INDEX scheduled_sends_partner ON scheduled_sends(partner_id, id);
