-- A send that repeats (daily, weekdays, weekly; NULL: once). When one goes, the transaction that
-- marks it sent also stores the next one as pending, so a series never loses or doubles a step.
-- series_id: the first send of the series, for the ones after it (NULL for the first).
ALTER TABLE scheduled_sends ADD COLUMN repeat TEXT;
ALTER TABLE scheduled_sends ADD COLUMN series_id INTEGER;
