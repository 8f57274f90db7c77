-- Employee events on the webhook, for partners who ask for them (`staff_events`): an employee
-- logged in to the app for the first time (`registered`), was renamed, switched off or on, or
-- approved (`changed`), or was deleted (`deleted`). The partner's system learns at once whom
-- it can send to, instead of polling getstaff. Off by default: a receiver written for status
-- events sees nothing new.
ALTER TABLE partner_webhooks ADD COLUMN staff_events INTEGER NOT NULL DEFAULT 0;

-- Waiting for the partner's endpoint beside webhook_outbox, and posted with it. The id is the
-- event's number: AUTOINCREMENT never reuses one, so a repeat keeps it and a new event is new.
CREATE TABLE webhook_staff_outbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_id  INTEGER NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
    staff_id    INTEGER NOT NULL,
    event       TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    phone       TEXT    NOT NULL,
    state       TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX webhook_staff_outbox_partner ON webhook_staff_outbox(partner_id, id);

-- Triggers, as for the status events: every path that changes an employee (the app's login,
-- the cabinet, deletestaff) is covered in its own transaction, paths added later too.
CREATE TRIGGER webhook_staff_registered AFTER INSERT ON staff
BEGIN
    INSERT INTO webhook_staff_outbox (partner_id, staff_id, event, name, phone, state, created_at)
    SELECT NEW.partner_id, NEW.id, 'registered', NEW.name, NEW.phone, NEW.state, NEW.created_at
    FROM partner_webhooks w WHERE w.partner_id = NEW.partner_id AND w.staff_events = 1;
END;

CREATE TRIGGER webhook_staff_changed AFTER UPDATE OF name, state ON staff
WHEN OLD.name IS NOT NEW.name OR OLD.state IS NOT NEW.state
BEGIN
    INSERT INTO webhook_staff_outbox (partner_id, staff_id, event, name, phone, state, created_at)
    SELECT NEW.partner_id, NEW.id, 'changed', NEW.name, NEW.phone, NEW.state, NEW.updated_at
    FROM partner_webhooks w WHERE w.partner_id = NEW.partner_id AND w.staff_events = 1;
END;

CREATE TRIGGER webhook_staff_deleted AFTER DELETE ON staff
BEGIN
    INSERT INTO webhook_staff_outbox (partner_id, staff_id, event, name, phone, state, created_at)
    SELECT OLD.partner_id, OLD.id, 'deleted', OLD.name, OLD.phone, OLD.state,
           CAST(unixepoch('subsec') * 1000 AS INTEGER)
    FROM partner_webhooks w WHERE w.partner_id = OLD.partner_id AND w.staff_events = 1;
END;
