-- (staff_id, id) served no query: every read of an employee's messages walks
-- messages_staff_created (staff_id, created_at, id), in both databases, with or without an id
-- range (checked with EXPLAIN). It cost every insert a leaf at a random place: a message to
-- 10,000 employees dirtied ~4,000 more pages of 4 KB on SQLite (10,600 -> 6,600 WAL frames,
-- 0.50 -> 0.33 s) and ~4,900 more full-page images on PostgreSQL after a checkpoint
-- (1.25 -> 0.88 s).
DROP INDEX IF EXISTS messages_staff_id;
