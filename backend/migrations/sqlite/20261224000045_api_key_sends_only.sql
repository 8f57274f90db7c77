-- A third access of an API key beside full and reading only: sending only. A system that only
-- sends (an ERP's notices) gets the sending methods and the reading ones, not the staff's or the
-- groups' changes. Never set together with read_only.
ALTER TABLE partner_tokens ADD COLUMN sends_only INTEGER NOT NULL DEFAULT 0;
