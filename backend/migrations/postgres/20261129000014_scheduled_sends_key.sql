-- `schedulemessage` takes an Idempotency-Key like `createmessage`: a repeated call finds the send
-- its key names instead of scheduling a second one.
ALTER TABLE scheduled_sends ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX scheduled_sends_key ON scheduled_sends(partner_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
