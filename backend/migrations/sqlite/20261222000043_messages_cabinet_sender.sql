-- The message list's filter by sender: the cabinet's sends by who sent them. Only the cabinet's
-- rows are in it, so the API's inserts (nearly all of them) write no more than before; a filter
-- by an API key walks the list's own indexes, where such a key's messages are many.
CREATE INDEX messages_cabinet_sender ON messages(partner_id, sent_by, created_at) WHERE source = 'cabinet';
