-- Who sent a message, as the journal names its actors: `api` (the main key) or `api:<name>`
-- (a named API key), `admin` (the company's own login) or `admin:<login>` (a named admin of
-- the cabinet). A scheduled send keeps who scheduled it, and its messages carry that. NULL for
-- messages stored before this: their `source` still says API or cabinet.
ALTER TABLE messages ADD COLUMN sent_by TEXT;
ALTER TABLE scheduled_sends ADD COLUMN sent_by TEXT;
