-- The employee of entries written before migration 41, read from their detail, where the
-- server wrote the employee as "<name> (ID <id>)": at its end, or before ": <old phone> → <new>"
-- for a phone changed. The last "(ID " is the server's own (a name can hold anything), found
-- by stripping the trailing digits and ")". Runs again harmlessly: only NULLs are filled.
UPDATE audit_events
SET staff_id = CAST(substr(detail, length(rtrim(detail, '0123456789)')) + 1) AS INTEGER)
WHERE staff_id IS NULL
  AND action IN ('staff_approved', 'staff_enabled', 'staff_disabled', 'staff_renamed', 'staff_deleted')
  AND substr(detail, -1) = ')'
  AND rtrim(detail, '0123456789)') LIKE '%(ID ';

UPDATE audit_events
SET staff_id = CAST(substr(substr(detail, 1, instr(detail, '): +')),
    length(rtrim(substr(detail, 1, instr(detail, '): +')), '0123456789)')) + 1) AS INTEGER)
WHERE staff_id IS NULL
  AND action = 'staff_phone_changed'
  AND instr(detail, '): +') > 0
  AND rtrim(substr(detail, 1, instr(detail, '): +')), '0123456789)') LIKE '%(ID ';
