-- The company's own staff list. An employee the company adds (cabinet or `addstaff`) is a row
-- with no device until their first login, active at once: the company vouches for them. With
-- `staff_list_only` set, only the phones on the list may log in to the app; a stranger who
-- knows the company's INN (it is public) gets no SMS and no row.
ALTER TABLE partners ADD COLUMN staff_list_only BOOLEAN NOT NULL DEFAULT false;

-- Employee events: a row the company added is `added`; its first login (the device set) is
-- then `registered`, as a login that creates the row has always been.
CREATE OR REPLACE FUNCTION webhook_staff_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    emp staff%ROWTYPE;
    kind TEXT;
    happened BIGINT;
BEGIN
    IF TG_OP = 'DELETE' THEN
        emp := OLD;
        kind := 'deleted';
        happened := (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT;
    ELSIF TG_OP = 'INSERT' THEN
        emp := NEW;
        kind := CASE WHEN NEW.device IS NULL THEN 'added' ELSE 'registered' END;
        happened := NEW.created_at;
    ELSIF TG_NAME = 'webhook_staff_first_login' THEN
        emp := NEW;
        kind := 'registered';
        happened := NEW.updated_at;
    ELSE
        emp := NEW;
        kind := 'changed';
        happened := NEW.updated_at;
    END IF;
    INSERT INTO webhook_staff_outbox (partner_id, staff_id, event, name, phone, state, created_at)
    SELECT emp.partner_id, emp.id, kind, emp.name, emp.phone, emp.state, happened
    FROM partner_webhooks w WHERE w.partner_id = emp.partner_id AND w.staff_events;
    RETURN NULL;
END
$$;
CREATE TRIGGER webhook_staff_first_login AFTER UPDATE OF device ON staff
    FOR EACH ROW WHEN (OLD.device IS NULL AND NEW.device IS NOT NULL)
    EXECUTE FUNCTION webhook_staff_event();
