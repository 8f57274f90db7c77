-- Reminders to acknowledge: the company pushes a message again to an employee who has not
-- yet confirmed it. The reminder is a delivery job like any other (one per message at a
-- time), marked so that the worker pushes it although the message was delivered or read,
-- and records its outcome as a `reminder` history entry without changing the status.
ALTER TABLE deliveries ADD COLUMN reminder BOOLEAN NOT NULL DEFAULT FALSE;
-- The last reminder queued: a message is reminded at most once an hour.
ALTER TABLE messages ADD COLUMN reminded_at BIGINT;

-- A reminder is not a status: the webhook keeps reporting statuses only.
DROP TRIGGER webhook_outbox_on_event ON message_events;
CREATE TRIGGER webhook_outbox_on_event AFTER INSERT ON message_events
    FOR EACH ROW WHEN (NEW.status NOT IN ('queued', 'reminder')) EXECUTE FUNCTION webhook_outbox_on_event();
