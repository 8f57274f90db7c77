-- The service operator requires a login code of every account of the company's cabinet, its own
-- included; the company cannot lift it. Apart from the company's own requirement
-- (second_factor_required), so that lifting one leaves the other as it was.
ALTER TABLE partners ADD COLUMN second_factor_imposed INTEGER NOT NULL DEFAULT 0;
