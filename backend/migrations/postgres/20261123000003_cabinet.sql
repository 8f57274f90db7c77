-- The web cabinet: operators, browser sessions, login throttling, and what the message list needs.

-- The service operator's accounts (created with `simo-backend operator create`).
CREATE TABLE operators (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login         TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL
);

-- Browser sessions of partners' admins ('partner') and operators ('operator'); only the hash of
-- the cookie is stored. The CSRF token is bound to the session.
CREATE TABLE cabinet_sessions (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash  TEXT    NOT NULL UNIQUE,
    kind        TEXT    NOT NULL,
    subject_id  BIGINT  NOT NULL,
    csrf_token  TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL
);
CREATE INDEX cabinet_sessions_subject ON cabinet_sessions(kind, subject_id);
CREATE INDEX cabinet_sessions_expires ON cabinet_sessions(expires_at);

-- Failed logins, counted per login and per client address within a window.
CREATE TABLE login_failures (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        TEXT    NOT NULL,
    login       TEXT    NOT NULL,
    client_ip   TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL
);
CREATE INDEX login_failures_login ON login_failures(kind, login, created_at);
CREATE INDEX login_failures_ip ON login_failures(client_ip, created_at);

-- The cabinet's message list is a partner's messages, paged by keyset on (sort column, id).
CREATE INDEX messages_partner_created_id ON messages(partner_id, created_at, id);
CREATE INDEX messages_partner_status ON messages(partner_id, status, created_at, id);
CREATE INDEX messages_partner_title ON messages(partner_id, title, id);
-- Sorting by employee walks the partner's employees by name, then each one's messages.
CREATE INDEX staff_partner_name ON staff(partner_id, name, id);

-- Full-text search in title and text: a generated tsvector ('simple': no stemming, so any
-- language and prefix search work alike) under a GIN index.
ALTER TABLE messages ADD COLUMN search tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', title || ' ' || body)) STORED;
CREATE INDEX messages_search ON messages USING GIN (search);
