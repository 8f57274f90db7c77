-- A company's own limit of API calls a second, set by the operator (NULL: the server's
-- SIMO_PARTNER_RATE; 0: no limit).
ALTER TABLE partners ADD COLUMN api_rate BIGINT CHECK (api_rate >= 0);
