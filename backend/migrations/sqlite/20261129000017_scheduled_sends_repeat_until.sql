-- The last moment a series may send at (NULL: until cancelled). The transaction that marks a
-- send sent stores the next one only if it falls at or before it; it is copied to each next send.
ALTER TABLE scheduled_sends ADD COLUMN repeat_until INTEGER;
