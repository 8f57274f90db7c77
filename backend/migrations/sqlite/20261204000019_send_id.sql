-- The messages stored together by one send (a bulk send, a group's, a scheduled run) share a
-- `send_id`; a message sent alone (`createmessage`, the cabinet's form to one employee) has
-- none and is a send of its own. The cabinet recalls "every recipient of this send" by it.
-- Until now a send was told by equal title, text, source and creation millisecond, which also
-- took in single messages with the same words created in that millisecond (a 1C loop sending
-- one text to each employee does that many times a second).
ALTER TABLE messages ADD COLUMN send_id INTEGER;

-- Messages stored before this keep that grouping, the id of a group's first message standing
-- for its send; a message alone in its millisecond gets no send_id.
UPDATE messages SET send_id = s.first
FROM (SELECT partner_id, created_at, title, body, source, MIN(id) AS first
      FROM messages GROUP BY partner_id, created_at, title, body, source
      HAVING COUNT(*) > 1) AS s
WHERE messages.partner_id = s.partner_id AND messages.created_at = s.created_at
  AND messages.title = s.title AND messages.body = s.body AND messages.source = s.source;

-- Only the messages of multi-recipient sends are in it.
CREATE INDEX messages_send ON messages(send_id) WHERE send_id IS NOT NULL;
