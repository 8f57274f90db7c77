-- Delivery-status webhooks: the partner's endpoint, and the status changes waiting for it.

-- One row per partner whose webhook is on; no row, no webhook. The sender leases a row
-- (`lease_until`) while it posts, so two server processes do not post the same events at once.
CREATE TABLE partner_webhooks (
    partner_id      BIGINT PRIMARY KEY REFERENCES partners(id) ON DELETE CASCADE,
    url             TEXT    NOT NULL,
    secret          TEXT    NOT NULL,
    failures        BIGINT  NOT NULL DEFAULT 0,
    next_attempt_at BIGINT  NOT NULL DEFAULT 0,
    lease_until     BIGINT  NOT NULL DEFAULT 0,
    last_attempt_at BIGINT,
    last_success_at BIGINT,
    last_error      TEXT,
    dropped         BIGINT  NOT NULL DEFAULT 0,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL
);

-- Status changes not yet accepted by the partner's endpoint, oldest first per partner.
-- Deleted once the endpoint answered 2xx for them. Rows are deleted by id, never by an id
-- range: ids are not committed in order here, and a range would drop an event committed late.
CREATE TABLE webhook_outbox (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner_id  BIGINT  NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
    event_id    BIGINT  NOT NULL,
    message_id  BIGINT  NOT NULL,
    staff_id    BIGINT  NOT NULL,
    status      TEXT    NOT NULL,
    detail      TEXT,
    created_at  BIGINT  NOT NULL
);
CREATE INDEX webhook_outbox_partner ON webhook_outbox(partner_id, id);

-- Every path that changes a message's status writes a history entry in the same transaction
-- (the push workers, the app's confirmations, the bulk send), so a trigger on the history
-- queues the webhook's event atomically with the change, whichever path made it. `queued` is
-- not reported (the caller that created the message has its answer already), and the WHEN
-- clause keeps the function from being called at all for it: createmessage pays nothing.
CREATE FUNCTION webhook_outbox_on_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO webhook_outbox (partner_id, event_id, message_id, staff_id, status, detail, created_at)
    SELECT m.partner_id, NEW.id, m.id, m.staff_id, NEW.status, NEW.detail, NEW.created_at
    FROM messages m JOIN partner_webhooks w ON w.partner_id = m.partner_id
    WHERE m.id = NEW.message_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER webhook_outbox_on_event AFTER INSERT ON message_events
    FOR EACH ROW WHEN (NEW.status <> 'queued') EXECUTE FUNCTION webhook_outbox_on_event();
