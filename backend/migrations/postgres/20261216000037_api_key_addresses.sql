-- The addresses an API key is accepted from (a company's 1C server, its office network), as
-- addresses and networks separated by commas; '' accepts any. A rotation keeps them.
ALTER TABLE partner_tokens ADD COLUMN allowed_ips TEXT NOT NULL DEFAULT '';
