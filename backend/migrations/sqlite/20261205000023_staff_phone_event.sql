-- The admin can correct an employee's phone (a new SIM, a typo on the staff list): that is an
-- employee event too, as a new name is.
DROP TRIGGER webhook_staff_changed;
CREATE TRIGGER webhook_staff_changed AFTER UPDATE OF name, state, phone ON staff
WHEN OLD.name IS NOT NEW.name OR OLD.state IS NOT NEW.state OR OLD.phone IS NOT NEW.phone
BEGIN
    INSERT INTO webhook_staff_outbox (partner_id, staff_id, event, name, phone, state, created_at)
    SELECT NEW.partner_id, NEW.id, 'changed', NEW.name, NEW.phone, NEW.state, NEW.updated_at
    FROM partner_webhooks w WHERE w.partner_id = NEW.partner_id AND w.staff_events = 1;
END;
