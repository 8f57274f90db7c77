-- A recalled message has the status 'recalled' and keeps it: no later push outcome or report
-- from the app changes it. The app asks for its employee's recalled messages at every sync,
-- to delete them from the phone; recalls are rare, so this index holds few rows and answers
-- that without walking the employee's history.
CREATE INDEX messages_recalled ON messages(staff_id, id) WHERE status = 'recalled';
