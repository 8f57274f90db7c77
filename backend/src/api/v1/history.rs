//! `listmessages` (addition): the company's system reads its messages as the cabinet's list
//! shows them (by date, employee, group, status, sender, words), a page at a time in the order
//! they were created, and can come back later for what is new after the last one it has.

use super::body::{V1Body, lenient};
use super::bulk::flag;
use super::envelope::{V1Error, envelope};
use super::messages::{MessageState, message_states};
use super::security::TokenAuth;
use super::{V1Tag, given, state};
use crate::domain::{GroupId, StaffId};
use crate::error::Error;
use crate::service::messaging::{self, Recipients};
use crate::store::{
    CursorValue, MessageListQuery, MessageSort, MessageStatus, decode_cursor, encode_cursor,
    search_words, sender_filter,
};
use poem::Request;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use serde::Deserialize;

/// A page holds at most this many messages.
const MAX_COUNT: i64 = 1000;

/// The status that means "asked to acknowledge, and not yet", as the cabinet's filter says it.
const AWAITING_ACK: &str = "awaiting_ack";

/// Request of `listmessages`: every field is a filter, and all of them are optional.
#[derive(Object, Deserialize)]
pub struct ListMessagesRequest {
    #[serde(default, deserialize_with = "lenient::string")]
    pub inn: Option<String>,
    /// Созданные с этого момента: ISO 8601, как в schedulemessage; дата без времени — с
    /// начала этого дня (часовой пояс сервера, если не указан).
    #[serde(default, deserialize_with = "lenient::string")]
    pub datefrom: Option<String>,
    /// Созданные по этот момент включительно; дата без времени — весь этот день.
    #[serde(default, deserialize_with = "lenient::string")]
    pub dateto: Option<String>,
    /// Сообщения одного сотрудника.
    #[serde(default, deserialize_with = "lenient::string")]
    pub staffid: Option<String>,
    /// Сообщения участников группы (getgroups), какими они состоят в ней сейчас.
    #[serde(default, deserialize_with = "lenient::string")]
    pub groupid: Option<String>,
    /// queued, sent, delivered, read, acknowledged, failed, no_device, recalled или
    /// `awaiting_ack` — ждут подтверждения ознакомления.
    #[serde(default, deserialize_with = "lenient::string")]
    pub status: Option<String>,
    /// Кто отправил, как в `sentby` ответа: `api`, `api:<имя ключа>`, `admin`,
    /// `admin:<логин>`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub sentby: Option<String>,
    /// Слова, которые есть в заголовке или тексте (каждое — как начало слова), до 12.
    #[serde(default, deserialize_with = "lenient::string")]
    pub text: Option<String>,
    /// Продолжить после сообщений, уже полученных: `cursor` из предыдущего ответа.
    #[serde(default, deserialize_with = "lenient::string")]
    pub cursor: Option<String>,
    /// Сколько сообщений за запрос, от 1 до 1000; по умолчанию 1000.
    #[serde(default, deserialize_with = "lenient::string")]
    pub count: Option<String>,
    /// `true` — с текстом каждого сообщения (поле `message`); по умолчанию без него.
    #[serde(default, deserialize_with = "lenient::flag")]
    pub withtext: Option<String>,
}

#[derive(Object, Debug)]
pub struct ListedMessages {
    /// The messages, in the order they were created (oldest first); each as
    /// `getmessagestatus` gives it, with its text (`message`) when `withtext` was asked.
    pub messages: Vec<MessageState>,
    /// True when more messages match: ask again with `cursor`.
    pub more: bool,
    /// Where this page ended: give it back as `cursor` for the next page, or later for the
    /// messages created since. The one given when this page is empty; null when nothing was
    /// found and none was given.
    pub cursor: Option<String>,
}

envelope!(
    /// Answer of `listmessages`.
    ListedMessagesEnvelope,
    ListedMessages
);

fn wrong(field: &str, expected_ru: &str, expected_en: &str) -> V1Error {
    V1Error::bad_request(phrase!(
        "Неверное значение «{field}»: {expected_ru}",
        "Wrong “{field}”: {expected_en}"
    ))
}

/// The list's own cursor: where a page of the created-order list ended.
fn cursor(raw: &str) -> Result<Vec<CursorValue>, V1Error> {
    match decode_cursor(raw) {
        Some(values)
            if matches!(
                values.as_slice(),
                [CursorValue::Int(_), CursorValue::Int(_)]
            ) =>
        {
            Ok(values)
        }
        _ => Err(wrong(
            "cursor",
            "передайте «cursor» из предыдущего ответа как есть",
            "give back the “cursor” of the previous answer as it is",
        )),
    }
}

pub struct HistoryApi;

#[OpenApi(tag = "V1Tag::Messages")]
impl HistoryApi {
    /// Список сообщений компании (дополнение)
    ///
    /// Для АСУ партнёра (токен партнёра, в том числе ключ только для чтения): сообщения,
    /// отправленные через API и из кабинета, по порядку создания, до 1000 за запрос, каждое —
    /// как в getmessagestatus. Отбор — по дате создания (`datefrom`, `dateto`), сотруднику,
    /// группе, статусу, отправителю и словам; всё необязательно. Следующая страница — с
    /// `cursor` из ответа, пока `more` — true. Чтобы выгружать только новое, сохраните `cursor`
    /// последнего ответа и передайте его в следующий раз; сообщения последних секунд ещё могут
    /// дописываться, поэтому для такой выгрузки задавайте `dateto` не позже минуты назад.
    #[oai(path = "/listmessages", method = "post")]
    async fn list_messages(
        &self,
        req: &Request,
        auth: TokenAuth,
        body: V1Body<ListMessagesRequest>,
    ) -> Result<Json<ListedMessagesEnvelope>, V1Error> {
        let state = state(req)?;
        let partner = auth.0.require_partner()?;
        let b = body.0;
        auth.0.check_inn(given(&b.inn))?;
        let count = match given(&b.count) {
            None => MAX_COUNT,
            Some(raw) => raw
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=MAX_COUNT).contains(n))
                .ok_or_else(|| wrong("count", "число от 1 до 1000", "a number from 1 to 1000"))?,
        };
        let mut q = MessageListQuery::unfiltered(partner.id, MessageSort::Created, count + 1);
        q.created_from = given(&b.datefrom)
            .map(|raw| state.time.parse(raw))
            .transpose()?;
        // The list's bound is exclusive; the day named, or the moment, is in.
        q.created_before = given(&b.dateto)
            .map(|raw| state.time.parse_until(raw).map(|last| last + 1))
            .transpose()?;
        if let (Some(from), Some(before)) = (q.created_from, q.created_before)
            && before <= from
        {
            return Err(V1Error::bad_request(phrase!(
                "«dateto» раньше «datefrom»",
                "“dateto” is before “datefrom”"
            )));
        }
        if let Some(raw) = given(&b.staffid) {
            let id = StaffId::parse(raw)?;
            if state.store.staff_by_id(partner.id, id).await?.is_none() {
                return Err(Error::not_found(messaging::staff_not_found(id)).into());
            }
            q.staff_id = Some(id);
        }
        if let Some(raw) = given(&b.groupid) {
            let id = GroupId::parse(raw)?;
            if state.store.group(partner.id, id.0).await?.is_none() {
                return Err(messaging::group_not_found(Recipients::Group(id)).into());
            }
            q.group_id = Some(id.0);
        }
        match given(&b.status) {
            None => {}
            Some(AWAITING_ACK) => q.awaiting_ack = true,
            Some(raw) => {
                q.status = Some(MessageStatus::parse(raw).ok_or_else(|| {
                    wrong(
                        "status",
                        "queued, sent, delivered, read, acknowledged, failed, no_device, \
                         recalled или awaiting_ack",
                        "queued, sent, delivered, read, acknowledged, failed, no_device, \
                         recalled or awaiting_ack",
                    )
                })?)
            }
        }
        if let Some(by) = given(&b.sentby) {
            q.sent_by = Some(sender_filter(by).ok_or_else(|| {
                wrong(
                    "sentby",
                    "api, api:<имя ключа>, admin или admin:<логин>",
                    "api, api:<key's name>, admin or admin:<login>",
                )
            })?);
        }
        if let Some(text) = given(&b.text) {
            q.words = search_words(text);
        }
        let with_text = flag(&b.withtext, "withtext")?.unwrap_or(false);
        let given_cursor = given(&b.cursor).map(cursor).transpose()?;
        q.after = given_cursor.clone();

        // The export's read of a page carries every field of each message: read once, in the
        // list's order, and said as getmessagestatus says it.
        let plan = state.store.list_plan(&q).await?;
        let mut rows = state.store.export_partner_messages(&q, plan).await?;
        let more = rows.len() as i64 > count;
        rows.truncate(count as usize);
        let next = match rows.last() {
            Some(last) => Some(encode_cursor(&last.row.cursor(MessageSort::Created))),
            None => given_cursor.map(|c| encode_cursor(&c)),
        };
        let rows = rows
            .into_iter()
            .map(|r| r.into_message(partner.id))
            .collect();
        let messages = message_states(state, rows, with_text)
            .await?
            .into_iter()
            .map(|(_, m)| m)
            .collect();
        Ok(ListedMessagesEnvelope::ok(ListedMessages {
            messages,
            more,
            cursor: next,
        }))
    }
}
