-- The webhook's recent attempts, for the cabinet: when, how many events, what the endpoint
-- answered and how long it took. The newest 50 per partner are kept (pruned on each insert).
CREATE TABLE webhook_attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_id  INTEGER NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
    url         TEXT    NOT NULL,
    events      INTEGER NOT NULL,
    test        INTEGER NOT NULL,
    http_status INTEGER,
    error       TEXT,
    ms          INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX webhook_attempts_partner ON webhook_attempts(partner_id, id);
