-- 10,000 employees with push tokens and 1,000,000 messages (100 each) for partner :pid.
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :staff)
INSERT INTO staff (partner_id, phone, name, device, push_token, push_device, state, created_at, updated_at)
SELECT :pid, '+7901' || printf('%07d', i), 'Сотрудник ' || i, 'android', 'bench-push-' || i, 'android', 'active', :now, :now FROM n;

WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < :messages - 1)
INSERT INTO messages (partner_id, staff_id, title, body, source, status, created_at, sent_at)
SELECT :pid, (SELECT MIN(id) FROM staff WHERE partner_id = :pid) + (i % :staff),
       'Сообщение ' || i, 'Текст уведомления номер ' || i || ' о событии в учётной системе', 'api', 'sent',
       :now - (:messages - i) * 1000, :now - (:messages - i) * 1000 + 50
FROM n;
