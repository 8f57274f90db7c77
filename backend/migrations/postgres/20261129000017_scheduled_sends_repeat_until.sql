-- The last moment a series may send at (NULL: until cancelled). The transaction that marks a
-- send sent stores the next one only if it falls at or before it; it is copied to each next send.
ALTER TABLE scheduled_sends ADD COLUMN repeat_until BIGINT;
-- The time of the series' first send (NULL on the first itself): a monthly series keeps its day
-- of the month through shorter months, and the first send may be long deleted by then.
ALTER TABLE scheduled_sends ADD COLUMN series_start BIGINT;
