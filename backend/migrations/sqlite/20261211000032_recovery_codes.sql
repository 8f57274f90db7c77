-- One-time recovery codes of a login with a second factor, for a lost phone: ten given when it
-- is turned on, each accepted once in place of the app's code. Only their SHA-256 is kept.
CREATE TABLE recovery_codes (
    kind        TEXT    NOT NULL,
    subject_id  INTEGER NOT NULL,
    code_hash   TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (kind, subject_id, code_hash)
);
