-- The webhook's recent attempts, for the cabinet: when, how many events, what the endpoint
-- answered and how long it took. The newest 50 per partner are kept (pruned on each insert).
CREATE TABLE webhook_attempts (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner_id  BIGINT NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
    url         TEXT    NOT NULL,
    events      BIGINT NOT NULL,
    test        BOOLEAN NOT NULL,
    http_status BIGINT,
    error       TEXT,
    ms          BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX webhook_attempts_partner ON webhook_attempts(partner_id, id);
