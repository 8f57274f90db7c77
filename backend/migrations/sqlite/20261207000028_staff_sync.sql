-- A whole staff in several calls, for companies above addstaff's 10,000 a call: beginstaffsync
-- opens a sync, each addstaff given its syncid marks the employees it lists (`staff.sync_id`),
-- and finishstaffsync disables whoever was an employee before the sync began and was not
-- listed. One sync open per partner: beginning another supersedes it. A sync expires a day
-- after it began.
CREATE TABLE staff_syncs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_id  INTEGER NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
    state       TEXT    NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'finished', 'superseded')),
    started_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    ended_at    INTEGER,
    -- At the finish: how many employees were listed, and how many were disabled.
    listed      INTEGER NOT NULL DEFAULT 0,
    disabled    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX staff_syncs_partner ON staff_syncs(partner_id, id);

-- The last sync that listed the employee. Not a trigger column: the webhook's `changed`
-- events watch the name and the state only.
ALTER TABLE staff ADD COLUMN sync_id INTEGER;
