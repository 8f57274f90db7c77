-- A scheduled send keeps the `send_id` of the messages it created, so that `getmessagestatus`
-- by `scheduleid` finds them by the send's own index even once its first message is deleted
-- (its employee deleted, the retention). Filled for the sends that went before by migration 47.
ALTER TABLE scheduled_sends ADD COLUMN send_id BIGINT;
