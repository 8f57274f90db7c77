-- 10,000 employees with push tokens and 1,000,000 messages (100 each) for partner :pid.
INSERT INTO staff (partner_id, phone, name, device, push_token, push_device, state, created_at, updated_at)
SELECT :pid, '+7901' || lpad(i::text, 7, '0'), 'Сотрудник ' || i, 'android', 'bench-push-' || i, 'android', 'active', :now, :now
FROM generate_series(1, :staff) AS i;

INSERT INTO messages (partner_id, staff_id, title, body, source, status, created_at, sent_at)
SELECT :pid, (SELECT MIN(id) FROM staff WHERE partner_id = :pid) + (i % :staff),
       'Сообщение ' || i, 'Текст уведомления номер ' || i || ' о событии в учётной системе', 'api', 'sent',
       :now - (:messages - i)::bigint * 1000, :now - (:messages - i)::bigint * 1000 + 50
FROM generate_series(0, :messages - 1) AS i;
ANALYZE;
