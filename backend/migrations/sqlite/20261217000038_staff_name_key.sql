-- The employee's name folded for the cabinet's search (lower case, ё as е), so a search is
-- a query rather than the whole staff read into the server. The server folds it (neither
-- database's lower() folds Cyrillic alike, SQLite's not at all): NULL until the first search
-- of the partner after the employee was added or renamed, whichever way that was done.
ALTER TABLE staff ADD COLUMN name_key TEXT;
CREATE INDEX staff_unfolded ON staff(partner_id) WHERE name_key IS NULL;
CREATE TRIGGER staff_name_refold AFTER UPDATE OF name ON staff
    WHEN NEW.name IS NOT OLD.name
BEGIN
    UPDATE staff SET name_key = NULL WHERE id = NEW.id;
END;
