-- Messages the employee must acknowledge ("Ознакомлен(а)"): an order, a rule, a schedule.
-- The app's confirmation makes the message `acknowledged`, the last status, after `read`.
ALTER TABLE messages ADD COLUMN ack_required BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE messages ADD COLUMN acked_at BIGINT;
ALTER TABLE scheduled_sends ADD COLUMN ack_required BOOLEAN NOT NULL DEFAULT FALSE;

-- The cabinet's "awaiting acknowledgment" filter and counts: a few rows per send, while the
-- status index would walk every read message of the partner.
CREATE INDEX messages_awaiting_ack ON messages(partner_id, created_at)
    WHERE ack_required AND status NOT IN ('acknowledged', 'recalled');
