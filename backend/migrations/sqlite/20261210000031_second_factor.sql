-- A second factor for the logins of the cabinet ('partner') and the operator's area
-- ('operator'): a TOTP secret (RFC 6238, base32) per account. Staged (enabled_at NULL) while the
-- admin scans it and types a first code; last_step is the newest time step a code was accepted
-- for, so that no code is accepted twice.
CREATE TABLE second_factors (
    kind        TEXT    NOT NULL,
    subject_id  INTEGER NOT NULL,
    secret      TEXT    NOT NULL,
    enabled_at  INTEGER,
    last_step   INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (kind, subject_id)
);

-- A login whose password was right and whose code is awaited: a random cookie whose hash names
-- the row, for five minutes. Not a session: nothing of the area opens with it.
CREATE TABLE login_challenges (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash  TEXT    NOT NULL UNIQUE,
    kind        TEXT    NOT NULL,
    subject_id  INTEGER NOT NULL,
    login       TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX login_challenges_expires ON login_challenges(expires_at);
CREATE INDEX login_challenges_subject ON login_challenges(kind, subject_id);
