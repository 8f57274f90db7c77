//! Parsing a push as the app receives it: an FCM message's `data`, or an APNs notification's
//! whole `userInfo` (its own keys beside `aps`).

use std::collections::HashMap;

use crate::cache::NewMessage;
use crate::domain::MessageId;
use crate::error::{Error, Result};
use crate::lang::say;

/// What a push carries.
#[derive(Debug, PartialEq, Eq)]
pub enum Pushed {
    /// A message to store and show.
    Message(NewMessage),
    /// `"reminder": "1"`: the company reminds the employee to acknowledge this message, which
    /// the phone has had since its first push; show it again, as a reminder.
    Reminder(NewMessage),
    /// `{"recalled": "12"}`: the partner recalled that message; delete it, show nothing.
    Recalled(MessageId),
}

/// Reads a push's data once: a recall when it names one, else a message.
pub fn read(payload: &str, now_ms: i64) -> Result<Pushed> {
    let fields = Fields::parse(payload)?;
    match fields.text("recalled") {
        Some(id) => MessageId::parse(&id)
            .map(Pushed::Recalled)
            .map_err(|_| invalid("неверный recalled", "wrong recalled")),
        None if fields.flag("reminder") => message(&fields, now_ms).map(Pushed::Reminder),
        None => message(&fields, now_ms).map(Pushed::Message),
    }
}

/// Reads `{"messageid": "12", "title": "…", "message": "…", "createdate": "…"}`.
///
/// Keys are matched case-insensitively (`messageId` works too), extra keys are ignored,
/// the id may be a string or a number, and a missing or unreadable date becomes `now_ms`.
/// An APNs push carries its title and text only in `aps.alert` (`{"title", "body"}`, or the
/// text alone as a string); they are read from there when the top level has none.
fn message(fields: &Fields, now_ms: i64) -> Result<NewMessage> {
    let text = |key: &str| fields.text(key);
    let id = text("messageid").ok_or_else(|| invalid("нет messageid", "no messageid"))?;
    let id = MessageId::parse(&id).map_err(|_| invalid("неверный messageid", "wrong messageid"))?;
    let created_ms = text("createdate")
        .and_then(|d| parse_date_ms(&d))
        .unwrap_or(now_ms);
    let alert = fields.0.get("aps").and_then(|aps| aps.get("alert"));
    let alert_text = |key: &str| match alert {
        Some(serde_json::Value::String(body)) if key == "body" => Some(body.clone()),
        Some(alert) => alert
            .get(key)
            .and_then(|v| v.as_str())
            // A reminder's title is worded by the phone: `title-loc-args` holds the message's.
            .or_else(|| {
                (key == "title")
                    .then(|| alert.get("title-loc-args")?.get(0)?.as_str())
                    .flatten()
            })
            .map(str::to_owned),
        None => None,
    };
    Ok(NewMessage {
        id,
        title: text("title")
            .or_else(|| alert_text("title"))
            .unwrap_or_default(),
        body: text("message")
            .or_else(|| alert_text("body"))
            .unwrap_or_default(),
        created_ms,
        sent_ms: None,
        delivered_on_server: false,
        read_on_server: false,
        // `"requireack": "1"` on a message to acknowledge; the sync confirms it either way.
        ack_required: fields.flag("requireack"),
        acked_ms: None,
        // A push has no room for them: the next sync lists them.
        files: Vec::new(),
    })
}

fn invalid(ru: &str, en: &str) -> Error {
    Error::InvalidInput(say(
        &format!("Некорректное push-уведомление: {ru}"),
        &format!("Malformed push notification: {en}"),
    ))
}

/// A push's data: its keys in lower case.
struct Fields(HashMap<String, serde_json::Value>);

impl Fields {
    fn parse(payload: &str) -> Result<Self> {
        let object: HashMap<String, serde_json::Value> = serde_json::from_str(payload)
            .map_err(|_| invalid("ожидается JSON-объект", "a JSON object expected"))?;
        Ok(Self(
            object
                .into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v))
                .collect(),
        ))
    }

    /// `"1"` or `"true"` (FCM carries strings only); absent means no.
    fn flag(&self, key: &str) -> bool {
        matches!(self.text(key).as_deref(), Some("1" | "true"))
    }

    /// A string or a number, as text.
    fn text(&self, key: &str) -> Option<String> {
        match self.0.get(key) {
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            _ => None,
        }
    }
}

/// Milliseconds since the epoch of an ISO 8601 date with offset (`2014-09-21T23:00:00.000+03:00`).
pub fn parse_date_ms(raw: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(raw.trim())
        .ok()
        .map(|d| d.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(payload: &str, now_ms: i64) -> Result<NewMessage> {
        match read(payload, now_ms)? {
            Pushed::Message(m) | Pushed::Reminder(m) => Ok(m),
            Pushed::Recalled(id) => panic!("a recall of {id}"),
        }
    }

    fn recalled(payload: &str) -> Result<Option<MessageId>> {
        Ok(match read(payload, 0)? {
            Pushed::Recalled(id) => Some(id),
            Pushed::Message(_) | Pushed::Reminder(_) => None,
        })
    }

    #[test]
    fn a_documented_payload_parses() {
        let m = parse(
            r#"{"messageid":"134123","title":"Собрание","message":"В пятницу","createdate":"2014-09-21T23:00:00.000+03:00"}"#,
            0,
        )
        .unwrap();
        assert_eq!(m.id.get(), 134123);
        assert_eq!(
            (m.title.as_str(), m.body.as_str()),
            ("Собрание", "В пятницу")
        );
        assert_eq!(m.created_ms, 1_411_329_600_000);
        assert!(!m.ack_required, "absent means no");
    }

    #[test]
    fn a_message_to_acknowledge_says_so() {
        let m = parse(r#"{"messageid":"5","title":"Приказ","requireack":"1"}"#, 0).unwrap();
        assert!(m.ack_required);
        let m = parse(r#"{"messageid":"5","title":"Приказ","requireack":"0"}"#, 0).unwrap();
        assert!(!m.ack_required);
    }

    #[test]
    fn a_reminder_is_told_apart_and_an_apns_one_gives_its_title_from_the_loc_args() {
        let fcm =
            r#"{"messageid":"5","title":"Приказ","message":"М","requireack":"1","reminder":"1"}"#;
        assert!(
            matches!(read(fcm, 0).unwrap(), Pushed::Reminder(m) if m.title == "Приказ" && m.ack_required)
        );
        let first = r#"{"messageid":"5","title":"Приказ","requireack":"1","reminder":"0"}"#;
        assert!(matches!(read(first, 0).unwrap(), Pushed::Message(_)));
        let apns = r#"{"aps":{"alert":{"title-loc-key":"push.reminder_title","title-loc-args":["Приказ №7"],"body":"Текст"},
                       "category":"SIMO_ACK"},"messageid":"5","requireack":"1","reminder":"1"}"#;
        let Pushed::Reminder(m) = read(apns, 0).unwrap() else {
            panic!("not a reminder")
        };
        assert_eq!((m.title.as_str(), m.body.as_str()), ("Приказ №7", "Текст"));
    }

    #[test]
    fn extra_keys_other_case_numeric_id_and_no_date_are_tolerated() {
        let m = parse(
            r#"{"messageId":7,"title":"Т","message":"М","click_action":"OPEN","from":"x"}"#,
            42,
        )
        .unwrap();
        assert_eq!(m.id.get(), 7);
        assert_eq!(m.created_ms, 42);
    }

    #[test]
    fn an_apns_push_gives_its_title_and_text_from_the_alert() {
        let m = parse(
            r#"{"aps":{"alert":{"title":"Собрание","body":"В пятницу"},"sound":"default","mutable-content":1},
                "messageid":"9","createdate":"2014-09-21T23:00:00.000+03:00"}"#,
            0,
        )
        .unwrap();
        assert_eq!(
            (m.id.get(), m.title.as_str(), m.body.as_str()),
            (9, "Собрание", "В пятницу")
        );
        assert_eq!(m.created_ms, 1_411_329_600_000);

        let text_only = parse(r#"{"aps":{"alert":"Только текст"},"messageid":"9"}"#, 0).unwrap();
        assert_eq!(
            (text_only.title.as_str(), text_only.body.as_str()),
            ("", "Только текст")
        );
        // The top level wins: an FCM payload that also had an `aps` would keep its own words.
        let both = parse(
            r#"{"aps":{"alert":{"title":"A","body":"B"}},"messageid":"9","title":"Т","message":"М"}"#,
            0,
        )
        .unwrap();
        assert_eq!((both.title.as_str(), both.body.as_str()), ("Т", "М"));
    }

    #[test]
    fn a_recall_push_names_its_message_and_others_name_none() {
        assert_eq!(
            recalled(r#"{"recalled":"12"}"#).unwrap(),
            Some(MessageId::new(12).unwrap())
        );
        assert_eq!(
            recalled(r#"{"Recalled":12}"#).unwrap(),
            Some(MessageId::new(12).unwrap())
        );
        assert_eq!(recalled(r#"{"messageid":"12","title":"Т"}"#).unwrap(), None);
        assert!(matches!(
            recalled(r#"{"recalled":"x"}"#),
            Err(Error::InvalidInput(_))
        ));
        assert!(matches!(recalled("not json"), Err(Error::InvalidInput(_))));
    }

    #[test]
    fn a_payload_without_an_id_or_not_json_is_refused() {
        assert!(matches!(
            parse(r#"{"title":"Т"}"#, 0),
            Err(Error::InvalidInput(_))
        ));
        assert!(matches!(parse("not json", 0), Err(Error::InvalidInput(_))));
        assert!(matches!(
            parse(r#"{"messageid":"-1"}"#, 0),
            Err(Error::InvalidInput(_))
        ));
    }
}
