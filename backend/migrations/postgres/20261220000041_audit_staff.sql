-- The employee a journal entry is about (approved, enabled, disabled, renamed, their phone
-- changed, deleted), for their card's history and the journal's filter by employee. No foreign
-- key: a deleted employee's entries keep their ID. NULL for any other entry. The index holds
-- only the entries about someone.
ALTER TABLE audit_events ADD COLUMN staff_id BIGINT;
CREATE INDEX audit_events_staff ON audit_events(partner_id, staff_id, id) WHERE staff_id IS NOT NULL;
