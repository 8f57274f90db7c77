-- createmessage's Idempotency-Key header: a call retried after a timeout or a lost answer
-- finds the message its first try stored instead of storing it twice. The key lives with its
-- message (and goes with it); the index holds only keyed messages, so the other writes do
-- not touch it.
ALTER TABLE messages ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX messages_idempotency ON messages (partner_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
