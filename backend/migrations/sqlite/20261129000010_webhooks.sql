-- Delivery-status webhooks: the partner's endpoint, and the status changes waiting for it.

-- One row per partner whose webhook is on; no row, no webhook. The sender leases a row
-- (`lease_until`) while it posts, so two server processes do not post the same events at once.
CREATE TABLE partner_webhooks (
    partner_id      INTEGER PRIMARY KEY REFERENCES partners(id) ON DELETE CASCADE,
    url             TEXT    NOT NULL,
    secret          TEXT    NOT NULL,
    failures        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    lease_until     INTEGER NOT NULL DEFAULT 0,
    last_attempt_at INTEGER,
    last_success_at INTEGER,
    last_error      TEXT,
    dropped         INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

-- Status changes not yet accepted by the partner's endpoint, oldest first per partner.
-- Deleted once the endpoint answered 2xx for them.
CREATE TABLE webhook_outbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_id  INTEGER NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
    event_id    INTEGER NOT NULL,
    message_id  INTEGER NOT NULL,
    staff_id    INTEGER NOT NULL,
    status      TEXT    NOT NULL,
    detail      TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX webhook_outbox_partner ON webhook_outbox(partner_id, id);

-- Every path that changes a message's status writes a history entry in the same transaction
-- (the push workers, the app's confirmations, the group commit, the bulk send), so a trigger on
-- the history queues the webhook's event atomically with the change, whichever path made it.
-- `queued` is not reported: the caller that created the message has its answer already.
CREATE TRIGGER webhook_outbox_on_event AFTER INSERT ON message_events
WHEN NEW.status <> 'queued'
BEGIN
    INSERT INTO webhook_outbox (partner_id, event_id, message_id, staff_id, status, detail, created_at)
    SELECT m.partner_id, NEW.id, m.id, m.staff_id, NEW.status, NEW.detail, NEW.created_at
    FROM messages m JOIN partner_webhooks w ON w.partner_id = m.partner_id
    WHERE m.id = NEW.message_id;
END;
