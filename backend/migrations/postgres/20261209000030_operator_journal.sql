-- The operator's journal: what operators (and the server's command line) did to companies and
-- to the operator accounts, across all companies. It names a company by its INN and name, not
-- by a foreign key, so that the deletion of a company (152-ФЗ) leaves the record that it was
-- deleted, by whom and when. Read newest first, a page at a time, optionally for one INN.
CREATE TABLE operator_events (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor         TEXT   NOT NULL,
    action        TEXT   NOT NULL,
    partner_inn   TEXT   NOT NULL DEFAULT '',
    partner_name  TEXT   NOT NULL DEFAULT '',
    detail        TEXT   NOT NULL DEFAULT '',
    client_ip     TEXT   NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL
);
CREATE INDEX operator_events_inn ON operator_events(partner_inn, id);
CREATE INDEX operator_events_created ON operator_events(created_at);
