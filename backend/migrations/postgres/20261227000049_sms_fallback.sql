-- SMS when a message is not read: `sms_fallback_minutes` after a message was created, an
-- active employee who has not read it gets its title and text by SMS, once (0: off), for the
-- messages that ask to be acknowledged or, with `sms_fallback_all`, for every message. The
-- server walks the partner's messages in the order they were created from a cursor, which
-- starts where the setting was turned on: messages sent before are left alone.
ALTER TABLE partners ADD COLUMN sms_fallback_minutes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE partners ADD COLUMN sms_fallback_all BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE partners ADD COLUMN sms_after_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE partners ADD COLUMN sms_after_id BIGINT NOT NULL DEFAULT 0;
-- The SMS sent in the current month (a number like 202612, in the server's zone): the
-- operator's monthly limit counts them.
ALTER TABLE partners ADD COLUMN sms_month BIGINT NOT NULL DEFAULT 0;
ALTER TABLE partners ADD COLUMN sms_month_sent BIGINT NOT NULL DEFAULT 0;
-- The month the limit was reached in, journaled once.
ALTER TABLE partners ADD COLUMN sms_limit_noted BIGINT NOT NULL DEFAULT 0;
-- The operator's limit of SMS a month for this company (NULL: the server's).
ALTER TABLE partners ADD COLUMN sms_limit BIGINT;
-- When the message went by SMS (or was taken for it: see `store::sms_fallback`).
ALTER TABLE messages ADD COLUMN sms_at BIGINT;
-- The operator's usage report counts a month's SMS by it; a message gets an entry only
-- when it goes by SMS, so `createmessage` writes none.
CREATE INDEX messages_sms ON messages(partner_id, sms_at) WHERE sms_at IS NOT NULL;

-- Invitations to the app by SMS, for employees on the company's list who have not logged in:
-- asked for (the cabinet's button; the server sends them in the background, counted in the
-- month's SMS), and when the last one went (one a week at most).
ALTER TABLE staff ADD COLUMN invite_wanted_at BIGINT;
ALTER TABLE staff ADD COLUMN invited_at BIGINT;
CREATE INDEX staff_invite_wanted ON staff(invite_wanted_at) WHERE invite_wanted_at IS NOT NULL;

-- An SMS is not a status: the webhook keeps reporting statuses only.
DROP TRIGGER webhook_outbox_on_event ON message_events;
CREATE TRIGGER webhook_outbox_on_event AFTER INSERT ON message_events
    FOR EACH ROW WHEN (NEW.status NOT IN ('queued', 'reminder', 'sms')) EXECUTE FUNCTION webhook_outbox_on_event();
