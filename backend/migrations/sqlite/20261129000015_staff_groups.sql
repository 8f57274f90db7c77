-- Groups of employees (a department, a shift, a site): a message goes to a group's members.
-- Membership is kept by the admin in the cabinet or synced by the partner's system (savegroup).
CREATE TABLE staff_groups (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_id INTEGER NOT NULL REFERENCES partners(id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX staff_groups_name ON staff_groups(partner_id, name);

-- An employee deleted leaves their groups with them.
CREATE TABLE staff_group_members (
    group_id INTEGER NOT NULL REFERENCES staff_groups(id) ON DELETE CASCADE,
    staff_id INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, staff_id)
);
CREATE INDEX staff_group_members_staff ON staff_group_members(staff_id);

-- A send scheduled to a group: its members at the time of sending. No foreign key: a group
-- with sends waiting is not deleted, and a send whose group went anyway creates nothing.
ALTER TABLE scheduled_sends ADD COLUMN group_id INTEGER;
