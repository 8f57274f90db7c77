-- How many times a waiting send was changed. The scheduler claims a send only at the revision
-- it read, so a change that lands while it sends (time, words, recipients, repeats) is never
-- sent half-applied: the next round reads it as changed.
ALTER TABLE scheduled_sends ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
