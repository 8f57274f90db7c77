-- The admin can correct an employee's phone (a new SIM, a typo on the staff list): that is an
-- employee event too, as a new name is.
DROP TRIGGER webhook_staff_changed ON staff;
CREATE TRIGGER webhook_staff_changed AFTER UPDATE OF name, state, phone ON staff
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.state IS DISTINCT FROM NEW.state
                       OR OLD.phone IS DISTINCT FROM NEW.phone)
    EXECUTE FUNCTION webhook_staff_event();
