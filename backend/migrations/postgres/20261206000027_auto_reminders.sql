-- Automatic reminders to acknowledge: `ack_remind_hours` after a message that asks for it was
-- sent, an employee who has not acknowledged it is reminded once (0: off). The server walks the
-- partner's messages in the order they were created, from a cursor (the creation time and id of
-- the last one it looked at), which starts where the setting was turned on: messages sent
-- before are left alone.
ALTER TABLE partners ADD COLUMN ack_remind_hours BIGINT NOT NULL DEFAULT 0;
ALTER TABLE partners ADD COLUMN ack_remind_after_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE partners ADD COLUMN ack_remind_after_id BIGINT NOT NULL DEFAULT 0;
