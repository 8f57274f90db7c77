-- The company's own staff list. An employee the company adds (cabinet or `addstaff`) is a row
-- with no device until their first login, active at once: the company vouches for them. With
-- `staff_list_only` set, only the phones on the list may log in to the app; a stranger who
-- knows the company's INN (it is public) gets no SMS and no row.
ALTER TABLE partners ADD COLUMN staff_list_only INTEGER NOT NULL DEFAULT 0;

-- Employee events: a row the company added is `added`; its first login (the device set) is
-- then `registered`, as a login that creates the row has always been.
DROP TRIGGER webhook_staff_registered;
CREATE TRIGGER webhook_staff_registered AFTER INSERT ON staff
BEGIN
    INSERT INTO webhook_staff_outbox (partner_id, staff_id, event, name, phone, state, created_at)
    SELECT NEW.partner_id, NEW.id, CASE WHEN NEW.device IS NULL THEN 'added' ELSE 'registered' END,
           NEW.name, NEW.phone, NEW.state, NEW.created_at
    FROM partner_webhooks w WHERE w.partner_id = NEW.partner_id AND w.staff_events = 1;
END;

CREATE TRIGGER webhook_staff_first_login AFTER UPDATE OF device ON staff
WHEN OLD.device IS NULL AND NEW.device IS NOT NULL
BEGIN
    INSERT INTO webhook_staff_outbox (partner_id, staff_id, event, name, phone, state, created_at)
    SELECT NEW.partner_id, NEW.id, 'registered', NEW.name, NEW.phone, NEW.state, NEW.updated_at
    FROM partner_webhooks w WHERE w.partner_id = NEW.partner_id AND w.staff_events = 1;
END;
