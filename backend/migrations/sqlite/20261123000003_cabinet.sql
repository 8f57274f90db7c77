-- The web cabinet: operators, browser sessions, login throttling, and what the message list needs.

-- The service operator's accounts (created with `simo-backend operator create`).
CREATE TABLE operators (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    login         TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
);

-- Browser sessions of partners' admins ('partner') and operators ('operator'); only the hash of
-- the cookie is stored. The CSRF token is bound to the session.
CREATE TABLE cabinet_sessions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash  TEXT    NOT NULL UNIQUE,
    kind        TEXT    NOT NULL,
    subject_id  INTEGER NOT NULL,
    csrf_token  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX cabinet_sessions_subject ON cabinet_sessions(kind, subject_id);
CREATE INDEX cabinet_sessions_expires ON cabinet_sessions(expires_at);

-- Failed logins, counted per login and per client address within a window.
CREATE TABLE login_failures (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT    NOT NULL,
    login       TEXT    NOT NULL,
    client_ip   TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX login_failures_login ON login_failures(kind, login, created_at);
CREATE INDEX login_failures_ip ON login_failures(client_ip, created_at);

-- The cabinet's message list is a partner's messages, paged by keyset on (sort column, id).
-- SQLite appends the rowid to every index, so (partner_id, created_at) of the first migration
-- already serves "newest first"; these serve the other sorts and the status filter.
CREATE INDEX messages_partner_status ON messages(partner_id, status, created_at);
CREATE INDEX messages_partner_title ON messages(partner_id, title);
-- Sorting by employee walks the partner's employees by name, then each one's messages.
CREATE INDEX staff_partner_name ON staff(partner_id, name);

-- Full-text search in title and text: an external-content FTS5 index kept in step by triggers.
CREATE VIRTUAL TABLE messages_fts USING fts5(
    title, body, content = 'messages', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO messages_fts(messages_fts) VALUES ('rebuild');
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF title, body ON messages BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
    INSERT INTO messages_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
END;
