-- Employee events on the webhook, for partners who ask for them (`staff_events`): an employee
-- logged in to the app for the first time (`registered`), was renamed, switched off or on, or
-- approved (`changed`), or was deleted (`deleted`). The partner's system learns at once whom
-- it can send to, instead of polling getstaff. Off by default: a receiver written for status
-- events sees nothing new.
ALTER TABLE partner_webhooks ADD COLUMN staff_events BOOLEAN NOT NULL DEFAULT false;

-- Waiting for the partner's endpoint beside webhook_outbox, and posted with it. The id is the
-- event's number: a sequence never gives one twice, so a repeat keeps it and a new event is new.
CREATE TABLE webhook_staff_outbox (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner_id  BIGINT  NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
    staff_id    BIGINT  NOT NULL,
    event       TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    phone       TEXT    NOT NULL,
    state       TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL
);
CREATE INDEX webhook_staff_outbox_partner ON webhook_staff_outbox(partner_id, id);

-- Triggers, as for the status events: every path that changes an employee (the app's login,
-- the cabinet, deletestaff) is covered in its own transaction, paths added later too.
CREATE FUNCTION webhook_staff_event() RETURNS trigger LANGUAGE plpgsql AS $$
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
        kind := 'registered';
        happened := NEW.created_at;
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
CREATE TRIGGER webhook_staff_registered AFTER INSERT ON staff
    FOR EACH ROW EXECUTE FUNCTION webhook_staff_event();
CREATE TRIGGER webhook_staff_changed AFTER UPDATE OF name, state ON staff
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION webhook_staff_event();
CREATE TRIGGER webhook_staff_deleted AFTER DELETE ON staff
    FOR EACH ROW EXECUTE FUNCTION webhook_staff_event();
