//! The `getmessage` answer, written straight from the stored rows into its bytes.
//!
//! Through serde it was a `MessageItem` per message (eleven fields, six `String`s), then
//! serde_json's escaper walking every byte of every string: a quarter of the CPU of a
//! 50-message page (perf under wrk). The bytes are the same as poem-openapi's writer
//! gives for `MessageListEnvelope` (keys sorted, compact); a test compares them.

use crate::domain::TimeFormat;
use crate::store::MessageRow;

/// `{"data":[…],"error":"","success":true}` for `rows`, newest first as given.
pub fn write_page(inn: &str, time: &TimeFormat, rows: &[MessageRow]) -> Vec<u8> {
    // 460 bytes covers a message of a short title and a sentence of text, with its dates.
    let mut out = Vec::with_capacity(64 + rows.len() * 460);
    let date = |out: &mut Vec<u8>, key: &[u8], at: Option<i64>| {
        out.extend_from_slice(key);
        match at {
            Some(at) => {
                out.push(b'"');
                time.write(at, out);
                out.push(b'"');
            }
            None => out.extend_from_slice(b"null"),
        }
    };
    out.extend_from_slice(b"{\"data\":[");
    for (i, m) in rows.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let status = m.status();
        date(&mut out, b"{\"ackdate\":", m.acked_at);
        date(&mut out, b",\"createdate\":", Some(m.created_at));
        date(&mut out, b",\"delivereddate\":", m.delivered_at);
        out.extend_from_slice(b",\"inn\":");
        string(&mut out, inn);
        out.extend_from_slice(b",\"message\":");
        string(&mut out, &m.body);
        out.extend_from_slice(b",\"messageId\":\"");
        out.extend_from_slice(itoa::Buffer::new().format(m.id).as_bytes());
        date(&mut out, b"\",\"readdate\":", m.read_at);
        out.extend_from_slice(if m.ack_required {
            b",\"requireack\":true"
        } else {
            b",\"requireack\":false"
        });
        date(&mut out, b",\"senddate\":", m.sent_at);
        out.extend_from_slice(b",\"staffId\":\"");
        out.extend_from_slice(itoa::Buffer::new().format(m.staff_id).as_bytes());
        out.extend_from_slice(b"\",\"status\":");
        string(&mut out, status.as_str());
        out.extend_from_slice(b",\"statusname\":");
        string(&mut out, status.label_ru());
        out.extend_from_slice(b",\"title\":");
        string(&mut out, &m.title);
        out.push(b'}');
    }
    out.extend_from_slice(b"],\"error\":\"\",\"success\":true}");
    out
}

/// A JSON string. Almost no stored text needs escaping, and finding that out over the whole
/// string at once (no early exit, so the compiler checks many bytes per instruction) is far
/// cheaper than serde_json's byte-at-a-time escaper; the rare string that does need it goes
/// through serde_json, so escapes are written exactly as before.
fn string(out: &mut Vec<u8>, s: &str) {
    let needs_escape = s.bytes().fold(false, |acc, b| {
        acc | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    if needs_escape {
        serde_json::to_writer(&mut *out, s).expect("a str always serializes");
    } else {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::v1::messages::{MessageItem, MessageListEnvelope};
    use poem_openapi::types::ToJSON;

    fn row(id: i64, title: &str, body: &str, status: &str, dates: Option<i64>) -> MessageRow {
        MessageRow {
            id,
            partner_id: 3,
            staff_id: id / 2 + 1,
            title: title.into(),
            body: body.into(),
            source: "api".into(),
            status: status.into(),
            status_reason: None,
            created_at: 1_764_140_400_000 + id % 1000,
            sent_at: dates,
            delivered_at: dates.map(|d| d + 1),
            read_at: dates.map(|d| d + 2),
            ack_required: id % 2 == 0,
            acked_at: dates.filter(|_| id % 4 == 0).map(|d| d + 3),
        }
    }

    /// What poem-openapi's `Json` writes for the same page.
    fn reference(inn: &str, time: &TimeFormat, rows: &[MessageRow]) -> String {
        let fmt = |t: Option<i64>| t.map(|t| time.format(t));
        let data = rows
            .iter()
            .map(|m| MessageItem {
                inn: inn.to_owned(),
                staff_id: m.staff_id.to_string(),
                message_id: m.id.to_string(),
                title: m.title.clone(),
                message: m.body.clone(),
                createdate: time.format(m.created_at),
                senddate: fmt(m.sent_at),
                status: m.status().as_str().to_owned(),
                statusname: m.status().label_ru().to_owned(),
                delivereddate: fmt(m.delivered_at),
                readdate: fmt(m.read_at),
                requireack: m.ack_required,
                ackdate: fmt(m.acked_at),
            })
            .collect();
        let envelope = MessageListEnvelope {
            success: true,
            data,
            error: String::new(),
        };
        serde_json::to_string(&envelope.to_json().unwrap()).unwrap()
    }

    #[test]
    fn writes_what_poem_openapi_writes() {
        let time = TimeFormat::new("Europe/Moscow").unwrap();
        let rows = [
            row(1, "Планерка", "В 10:00 в переговорной", "sent", None),
            row(
                2,
                "Кавычки \"так\" и \\ слеш </script>",
                "Строка\nвторая\t\r\u{1}\u{1f}\u{7f} ё 🚀",
                "read",
                Some(1_764_140_401_500),
            ),
            row(3, "", "", "no_device", Some(-1)),
            row(
                4,
                "Приказ № 7",
                "Ознакомьтесь",
                "acknowledged",
                Some(1_764_140_402_000),
            ),
            row(i64::MAX, "x", "y", "not-a-status", None),
        ];
        for inn in ["7707083893", "77\"07"] {
            for n in 0..=rows.len() {
                let ours = String::from_utf8(write_page(inn, &time, &rows[..n])).unwrap();
                assert_eq!(ours, reference(inn, &time, &rows[..n]), "{n} rows");
            }
        }
    }

    #[test]
    fn escapes_only_what_json_needs() {
        for s in [
            "",
            "plain",
            "ё",
            "a\"b",
            "a\\b",
            "\u{0}",
            "tab\there",
            "\u{7f}€",
        ] {
            let mut out = Vec::new();
            string(&mut out, s);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(s).unwrap()
            );
        }
    }
}
