-- Cheaper writes of messages and of the delivery queue (issue 5; figures in the README).

-- (partner_id, created_at) is a prefix of messages_partner_created_id, which serves every
-- query the shorter one did; each index costs every message insert.
DROP INDEX IF EXISTS messages_partner_created;

-- One foreign key instead of two: a message's employee AND partner are checked with one
-- lookup, and a message can no longer name a partner other than its employee's.
ALTER TABLE staff ADD CONSTRAINT staff_id_partner UNIQUE (id, partner_id);
ALTER TABLE messages
    ADD CONSTRAINT messages_staff_partner_fkey FOREIGN KEY (staff_id, partner_id)
        REFERENCES staff (id, partner_id) ON DELETE CASCADE,
    DROP CONSTRAINT messages_partner_id_fkey,
    DROP CONSTRAINT messages_staff_id_fkey;

-- The queue is all churn: each job is inserted and deleted within seconds, so dead rows
-- outnumber live ones at once and every claim walks them. Autovacuum's default (20% of a
-- table that holds a few hundred live rows) comes too late; the server also vacuums it itself
-- (Store::vacuum_queue_if_churned), for servers where autovacuum is off or slow.
ALTER TABLE deliveries SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000,
                            autovacuum_vacuum_cost_delay = 0);
