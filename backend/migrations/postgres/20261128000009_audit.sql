-- The cabinet's journal: who did what to the partner's account and employees, when and from
-- which address (admins and the operator alike). Read newest first, a page at a time.
CREATE TABLE audit_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner_id  BIGINT NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
    actor       TEXT   NOT NULL,
    action      TEXT   NOT NULL,
    detail      TEXT   NOT NULL DEFAULT '',
    client_ip   TEXT   NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL
);
CREATE INDEX audit_events_partner ON audit_events(partner_id, id);
