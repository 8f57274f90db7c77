-- Named admins of a company's cabinet, beside its own account (the INN and its password): each
-- logs in with a login and password of their own, so that the journal names the person, and
-- one who leaves is disabled alone. Their sessions, second factors and logins waiting for a code
-- are the 'admin' kind of those tables, keyed by this id.
CREATE TABLE partner_admins (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_id    INTEGER NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
    login         TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    -- 'admin': all of the cabinet but its admins; 'viewer': reads, changes nothing.
    role          TEXT    NOT NULL DEFAULT 'admin',
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    -- The last session started, for the list: an account nobody uses is one to disable.
    last_login_at INTEGER
);
CREATE INDEX partner_admins_partner ON partner_admins(partner_id);
