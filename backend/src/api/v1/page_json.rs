//! The `getmessage` and `getstaff` answers, written straight from the stored rows into their
//! bytes.
//!
//! Through serde it was a `MessageItem` per message (eleven fields, six `String`s), then
//! serde_json's escaper walking every byte of every string: a quarter of the CPU of a
//! 50-message page (perf under wrk). For `getstaff` it was memory: poem-openapi's `Json`
//! builds a `serde_json::Value` tree of the whole list first, and 111,000 employees took the
//! server from 30 MB to 273 MB. The bytes are the same as poem-openapi's writer gives for
//! `MessageListEnvelope` and `StaffListEnvelope` (keys sorted, compact); tests compare them.

use crate::domain::TimeFormat;
use crate::store::{FilesByMessage, MessageFile, MessageRow, StaffRow};
use std::collections::HashMap;

/// `{"data":[…],"error":"","success":true}` for `rows`, newest first as given.
pub fn write_page(
    inn: &str,
    time: &TimeFormat,
    rows: &[MessageRow],
    files: &FilesByMessage,
) -> Vec<u8> {
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
    out.extend_from_slice(LIST_HEAD);
    for (i, m) in rows.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let status = m.status();
        date(&mut out, b"{\"ackdate\":", m.acked_at);
        date(&mut out, b",\"createdate\":", Some(m.created_at));
        date(&mut out, b",\"delivereddate\":", m.delivered_at);
        if let Some(files) = files.get(&m.id).filter(|f| !f.is_empty()) {
            write_files(&mut out, files);
        }
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
    out.extend_from_slice(LIST_TAIL);
    out
}

/// `,"files":[…]` of a message, each file's keys sorted as `MessageFileItem`'s.
fn write_files(out: &mut Vec<u8>, files: &[MessageFile]) {
    out.extend_from_slice(b",\"files\":[");
    for (i, f) in files.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"contenttype\":");
        string(out, &f.content_type);
        out.extend_from_slice(b",\"fileid\":\"");
        out.extend_from_slice(itoa::Buffer::new().format(f.id).as_bytes());
        out.extend_from_slice(b"\",\"name\":");
        string(out, &f.name);
        out.extend_from_slice(b",\"size\":");
        out.extend_from_slice(itoa::Buffer::new().format(f.size).as_bytes());
        out.push(b'}');
    }
    out.push(b']');
}

/// The bytes before the first item and after the last of any list answer.
pub const LIST_HEAD: &[u8] = b"{\"data\":[";
pub const LIST_TAIL: &[u8] = b"],\"error\":\"\",\"success\":true}";

/// `{"data":[…],"error":"","success":true}` for the partner's employees, in the order given;
/// `groups` holds each one's group IDs (none: `[]`). The server writes it page by page.
#[cfg(test)]
pub fn write_staff(
    inn: &str,
    time: &TimeFormat,
    rows: &[StaffRow],
    groups: &HashMap<i64, Vec<String>>,
) -> Vec<u8> {
    let mut out = LIST_HEAD.to_vec();
    write_staff_items(&mut out, inn, time, rows, groups, true);
    out.extend_from_slice(LIST_TAIL);
    out
}

/// The employees' items of `getstaff`'s list, each after a comma but the very first (`first`):
/// one page of an answer written page by page.
pub fn write_staff_items(
    out: &mut Vec<u8>,
    inn: &str,
    time: &TimeFormat,
    rows: &[StaffRow],
    groups: &HashMap<i64, Vec<String>>,
    first: bool,
) {
    // An employee with a short name and no groups takes about 280 bytes.
    out.reserve(rows.len() * 300);
    for (i, s) in rows.iter().enumerate() {
        if i > 0 || !first {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"createdate\":\"");
        time.write(s.created_at, out);
        out.extend_from_slice(b"\",\"device\":");
        string(out, s.device.as_deref().unwrap_or_default());
        out.extend_from_slice(b",\"groupids\":[");
        for (j, g) in groups.get(&s.id).into_iter().flatten().enumerate() {
            if j > 0 {
                out.push(b',');
            }
            string(out, g);
        }
        out.extend_from_slice(b"],\"inn\":");
        string(out, inn);
        out.extend_from_slice(b",\"phone\":");
        string(out, &s.phone);
        out.extend_from_slice(if s.push_token.is_some() {
            b",\"pushregistered\":true"
        } else {
            b",\"pushregistered\":false"
        });
        out.extend_from_slice(b",\"staff name\":");
        string(out, &s.name);
        out.extend_from_slice(b",\"staffId\":\"");
        out.extend_from_slice(itoa::Buffer::new().format(s.id).as_bytes());
        out.extend_from_slice(b"\",\"staffname\":");
        string(out, &s.name);
        out.extend_from_slice(b",\"statusnotification\":");
        string(out, s.state().as_api());
        out.push(b'}');
    }
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
    use crate::api::v1::messages::{MessageFileItem, MessageItem, MessageListEnvelope};
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
            sent_by: None,
            sms_at: None,
            files: 0,
        }
    }

    /// What poem-openapi's `Json` writes for the same page.
    fn reference(
        inn: &str,
        time: &TimeFormat,
        rows: &[MessageRow],
        files: &FilesByMessage,
    ) -> String {
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
                files: files
                    .get(&m.id)
                    .into_iter()
                    .flatten()
                    .map(|f| MessageFileItem {
                        fileid: f.id.to_string(),
                        name: f.name.clone(),
                        size: f.size,
                        contenttype: f.content_type.clone(),
                    })
                    .collect(),
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
        let file = |message_id, id, name: &str| MessageFile {
            message_id,
            id,
            name: name.into(),
            content_type: "application/pdf".into(),
            size: id * 1000,
        };
        let with_files: FilesByMessage = [
            (
                2,
                vec![file(2, 7, "Листок \"март\".pdf"), file(2, 9, "b.pdf")],
            ),
            (4, vec![file(4, 7, "a.pdf")]),
        ]
        .into_iter()
        .collect();
        for files in [FilesByMessage::new(), with_files] {
            for inn in ["7707083893", "77\"07"] {
                for n in 0..=rows.len() {
                    let ours =
                        String::from_utf8(write_page(inn, &time, &rows[..n], &files)).unwrap();
                    assert_eq!(ours, reference(inn, &time, &rows[..n], &files), "{n} rows");
                }
            }
        }
    }

    fn employee(
        id: i64,
        name: &str,
        device: Option<&str>,
        token: Option<&str>,
        state: &str,
    ) -> StaffRow {
        StaffRow {
            id,
            partner_id: 3,
            phone: format!("+7900111{:04}", id % 10_000),
            name: name.into(),
            device: device.map(Into::into),
            push_token: token.map(Into::into),
            push_device: device.map(Into::into),
            state: state.into(),
            created_at: 1_764_140_400_000 + id % 1000,
            updated_at: 1_764_140_400_000,
        }
    }

    #[test]
    fn writes_the_staff_as_poem_openapi_writes_it() {
        use crate::api::v1::staff::{StaffListEnvelope, staff_item};
        let time = TimeFormat::new("Europe/Moscow").unwrap();
        let rows = [
            employee(1, "Иванов Иван", Some("android"), Some("tok"), "active"),
            employee(2, "Кавычки \"так\" \\ \u{1}", None, None, "pending"),
            employee(3, "", Some("apple"), None, "disabled"),
            employee(i64::MAX, "x", None, Some(""), "not-a-state"),
        ];
        let groups: HashMap<i64, Vec<String>> = [
            (1, vec!["4".to_owned(), "17".to_owned()]),
            (3, vec!["4".to_owned()]),
        ]
        .into();
        for inn in ["7707083893", "77\"07"] {
            for n in 0..=rows.len() {
                let ours = String::from_utf8(write_staff(inn, &time, &rows[..n], &groups)).unwrap();
                let data = rows[..n]
                    .iter()
                    .map(|s| {
                        let mut item = staff_item(inn, &time, s.clone());
                        item.groupids = groups.get(&s.id).cloned().unwrap_or_default();
                        item
                    })
                    .collect();
                let envelope = StaffListEnvelope {
                    success: true,
                    data,
                    error: String::new(),
                };
                let reference = serde_json::to_string(&envelope.to_json().unwrap()).unwrap();
                assert_eq!(ours, reference, "{n} employees");
                // Page by page, as the answer streams: the same bytes.
                let mut paged = LIST_HEAD.to_vec();
                for (i, page) in rows[..n].chunks(2).enumerate() {
                    write_staff_items(&mut paged, inn, &time, page, &groups, i == 0);
                }
                paged.extend_from_slice(LIST_TAIL);
                assert_eq!(String::from_utf8(paged).unwrap(), reference, "{n} in pages");
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
