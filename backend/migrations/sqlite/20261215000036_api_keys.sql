-- Several API keys per company, each for one of its systems (1С:ЗУП, an ERP, a script that reads
-- statuses): a name the journal and the cabinet show ('' is the main key every company gets),
-- full access or reading only, and when it was last used. A key's rotation is a new row of the
-- same name and access; the old row expires (the grace period), as a revoked one does at once.
ALTER TABLE partner_tokens ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE partner_tokens ADD COLUMN read_only INTEGER NOT NULL DEFAULT 0;
ALTER TABLE partner_tokens ADD COLUMN last_used_at INTEGER;
