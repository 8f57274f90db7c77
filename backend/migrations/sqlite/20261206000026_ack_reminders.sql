-- Reminders to acknowledge: the company pushes a message again to an employee who has not
-- yet confirmed it. The reminder is a delivery job like any other (one per message at a
-- time), marked so that the worker pushes it although the message was delivered or read,
-- and records its outcome as a `reminder` history entry without changing the status.
ALTER TABLE deliveries ADD COLUMN reminder INTEGER NOT NULL DEFAULT 0;
-- The last reminder queued: a message is reminded at most once an hour.
ALTER TABLE messages ADD COLUMN reminded_at INTEGER;

-- A reminder is not a status: the webhook keeps reporting statuses only.
DROP TRIGGER webhook_outbox_on_event;
CREATE TRIGGER webhook_outbox_on_event AFTER INSERT ON message_events
WHEN NEW.status NOT IN ('queued', 'reminder')
BEGIN
    INSERT INTO webhook_outbox (partner_id, event_id, message_id, staff_id, status, detail, created_at)
    SELECT m.partner_id, NEW.id, m.id, m.staff_id, NEW.status, NEW.detail, NEW.created_at
    FROM messages m JOIN partner_webhooks w ON w.partner_id = m.partner_id
    WHERE m.id = NEW.message_id;
END;
