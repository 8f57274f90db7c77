-- The employee of entries written before migration 41, read from their detail, where the
-- server wrote the employee as "<name> (ID <id>)": at its end, or before ": <old phone> → <new>"
-- for a phone changed. The last "(ID <digits>)" is the server's own (a name can hold anything;
-- a phone holds no parenthesis). Runs again harmlessly: only NULLs are filled.
UPDATE audit_events
SET staff_id = CAST(substring(detail FROM '^.*\(ID ([0-9]{1,18})\)') AS BIGINT)
WHERE staff_id IS NULL
  AND action IN ('staff_approved', 'staff_enabled', 'staff_disabled', 'staff_renamed',
                 'staff_phone_changed', 'staff_deleted')
  AND detail ~ '\(ID [0-9]{1,18}\)';
