-- A named admin of one company given access to another's cabinet: a holding's HR serving each
-- of its legal entities, an outsourced accountant serving several clients. The person keeps one
-- login, password and login code (their own company's account, which alone resets or deletes
-- it); the company that gives access chooses the right and can disable or remove it, and the
-- person accepts it before it opens anything.
CREATE TABLE admin_access (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    admin_id      BIGINT NOT NULL REFERENCES partner_admins(id) ON DELETE CASCADE,
    partner_id    BIGINT NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
    -- As `partner_admins.role`: 'admin', 'sender' or 'viewer'.
    role          TEXT    NOT NULL DEFAULT 'admin',
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    BIGINT NOT NULL,
    -- NULL until the person accepts.
    accepted_at   BIGINT,
    last_login_at BIGINT,
    UNIQUE (admin_id, partner_id)
);
CREATE INDEX admin_access_partner ON admin_access(partner_id);

-- The company a named admin's session works in; NULL is their own.
ALTER TABLE cabinet_sessions ADD COLUMN partner_id BIGINT;
CREATE INDEX cabinet_sessions_partner ON cabinet_sessions(partner_id) WHERE partner_id IS NOT NULL;
