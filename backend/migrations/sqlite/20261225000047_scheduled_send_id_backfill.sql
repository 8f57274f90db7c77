-- The sends that went before migration 46 read their `send_id` from their first message while
-- it is there. A send that went to one employee before migration 19 has none (its message is
-- found alone). Fills only what is empty: run again, it changes nothing.
UPDATE scheduled_sends SET send_id = (
    SELECT m.send_id FROM messages m WHERE m.id = scheduled_sends.first_message_id
) WHERE send_id IS NULL AND first_message_id IS NOT NULL;
