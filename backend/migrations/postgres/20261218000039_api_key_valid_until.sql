-- The moment a key stops working, set by the company for a contractor's system or a trial:
-- NULL for never. Apart from expires_at, which a rotation's grace period or a revocation sets
-- on one token: this one is the key's, and each new token of the key keeps it.
ALTER TABLE partner_tokens ADD COLUMN valid_until BIGINT;
