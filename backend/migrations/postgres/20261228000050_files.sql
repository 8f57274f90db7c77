-- Files sent with messages (a payslip, a schedule, a signed order): uploaded once by the
-- company's system (`uploadfile`) or the cabinet's send form, then attached by ID to one
-- message or to a whole send. The bytes live in the database, so a backup holds them and a
-- second server reads them; a file no message needs any more is deleted by the housekeeping
-- (see `store::files`).
CREATE TABLE files (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner_id   BIGINT NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    size         BIGINT NOT NULL,
    sha256       TEXT    NOT NULL,
    data         BYTEA   NOT NULL,
    uploaded_by  TEXT    NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX files_partner ON files(partner_id, created_at);
-- An upload of bytes the company stored before finds them (see `Store::insert_file`).
CREATE INDEX files_digest ON files(partner_id, sha256);

-- Which files a message carries, in the order given.
CREATE TABLE message_files (
    message_id BIGINT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    position   BIGINT NOT NULL,
    file_id    BIGINT NOT NULL REFERENCES files(id),
    PRIMARY KEY (message_id, position)
);
CREATE INDEX message_files_file ON message_files(file_id);

-- How many files the message carries: `getmessage` reads its page's files only when one of
-- them has any, so a company that sends none pays nothing for them.
ALTER TABLE messages ADD COLUMN files BIGINT NOT NULL DEFAULT 0;
