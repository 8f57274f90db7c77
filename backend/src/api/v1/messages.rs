//! `createmessage`, `getmessage` and the `messagestatus`, `getmessagestatus`, `recallmessage`,
//! `getrecalled`, `resendmessage` and `remindmessage` additions.

use super::body::{V1Body, V1ListBody, lenient};
use super::bulk::flag;
use super::envelope::{JsonBytes, V1Error, envelope};
use super::page_json;
use super::security::{Caller, TokenAuth};
use super::{V1Tag, given, missing, required, state};
use crate::cabinet::audit;
use crate::domain::{IdempotencyKey, MessageId, MessageText, StaffId, Title, now_millis};
use crate::service::files;
use crate::service::messaging::{self, Source};
use crate::service::reminders;
use crate::store::{MessageQuery, MessageStatus, Report};
use poem::Request;
use poem_openapi::param::Header;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use serde::Deserialize;

/// Request of `createmessage`.
#[derive(Object, Deserialize)]
pub struct CreateMessageRequest {
    #[serde(default, deserialize_with = "lenient::string")]
    pub inn: Option<String>,
    /// Идентификатор сотрудника-получателя (also `staffId`, `staff_id`).
    #[serde(default, deserialize_with = "lenient::string")]
    pub staffid: Option<String>,
    /// Заголовок, до 250 символов.
    #[serde(default, deserialize_with = "lenient::string")]
    pub title: Option<String>,
    /// Текст сообщения, до 10 000 символов.
    #[serde(default, deserialize_with = "lenient::string")]
    pub message: Option<String>,
    /// Дополнение: `true` — сотрудник должен подтвердить ознакомление (кнопка «Ознакомлен(а)»
    /// в приложении; например, с приказом или графиком). Подтверждение меняет статус на
    /// `acknowledged` («Ознакомлен»), его время — `ackdate`. По умолчанию `false`.
    #[serde(default, deserialize_with = "lenient::flag")]
    pub requireack: Option<String>,
    /// Дополнение: идентификаторы файлов (uploadfile), приложенных к сообщению, до 5; массив
    /// или строка через запятую. Сотрудник видит их под текстом и открывает в приложении.
    #[serde(default, deserialize_with = "lenient::id_list")]
    pub fileids: Option<Vec<String>>,
}

/// The stored message.
#[derive(Object, Debug)]
pub struct CreatedMessage {
    pub staffname: String,
    #[oai(rename = "staffId")]
    pub staff_id: String,
    pub messageid: String,
    pub title: String,
    pub message: String,
    /// Addition: when the message was stored.
    pub createdate: String,
    /// Addition: `queued`, or `no_device` when the employee has no push token (the message waits in the history).
    pub status: String,
    /// Addition: the employee is asked to acknowledge the message.
    pub requireack: bool,
    /// Addition: the files it carries (`fileids`), in their order.
    pub fileids: Vec<String>,
}

envelope!(
    /// Answer of `createmessage`.
    CreateMessageEnvelope,
    CreatedMessage
);

/// Request of `getmessage`.
#[derive(Object, Deserialize)]
pub struct GetMessageRequest {
    #[serde(default, deserialize_with = "lenient::string")]
    pub inn: Option<String>,
    /// Обязателен с токеном партнёра; с токеном сотрудника по умолчанию он сам.
    #[serde(default, deserialize_with = "lenient::string")]
    pub staffid: Option<String>,
    /// Не раньше этой даты (ISO 8601); пустая строка: без ограничения (also `date_min`).
    #[serde(default, deserialize_with = "lenient::string")]
    pub datemin: Option<String>,
    /// Не позже этой даты (ISO 8601); пустая строка: без ограничения (also `date_max`).
    #[serde(default, deserialize_with = "lenient::string")]
    pub datemax: Option<String>,
    /// Сколько сообщений вернуть; 0: 50 последних; больше 1000 урезается до 1000.
    #[serde(default, deserialize_with = "lenient::integer")]
    pub count: Option<i64>,
    /// Addition for incremental sync: only messages with a greater id.
    #[serde(default, deserialize_with = "lenient::string")]
    pub sinceid: Option<String>,
    /// Addition for paging: only messages with a smaller id.
    #[serde(default, deserialize_with = "lenient::string")]
    pub beforeid: Option<String>,
}

/// One message of the history.
#[derive(Object, Debug)]
pub struct MessageItem {
    pub inn: String,
    #[oai(rename = "staffId")]
    pub staff_id: String,
    #[oai(rename = "messageId")]
    pub message_id: String,
    pub title: String,
    pub message: String,
    pub createdate: String,
    /// When the push provider accepted the notification; `null` until then.
    pub senddate: Option<String>,
    /// Addition: queued, sent, delivered, read, acknowledged (see `requireack`), failed or no_device.
    pub status: String,
    /// Addition: the status in Russian.
    pub statusname: String,
    /// Addition: when the app confirmed receipt.
    pub delivereddate: Option<String>,
    /// Addition: when the employee opened the message.
    pub readdate: Option<String>,
    /// Addition: the employee is asked to acknowledge the message ("Ознакомлен(а)").
    pub requireack: bool,
    /// Addition: when the employee acknowledged it; `null` until then.
    pub ackdate: Option<String>,
    /// Addition: the files it carries (uploadfile), in their order; absent when none. The
    /// app downloads each with getfile.
    #[oai(skip_serializing_if_is_empty)]
    pub files: Vec<MessageFileItem>,
}

/// A file a message carries.
#[derive(Object, Debug)]
pub struct MessageFileItem {
    pub fileid: String,
    pub name: String,
    /// Размер в байтах.
    pub size: i64,
    pub contenttype: String,
}

// The spec's type only: the answer itself is written by `page_json::write_page`.
envelope!(
    @type
    /// Answer of `getmessage`: newest first.
    MessageListEnvelope,
    Vec<MessageItem>
);

/// Request of `messagestatus` (addition): the app reports messages delivered, read or
/// acknowledged.
#[derive(Object, Deserialize)]
pub struct MessageStatusRequest {
    #[serde(default, deserialize_with = "lenient::string")]
    pub inn: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub staffid: Option<String>,
    /// Идентификаторы сообщений (до 1000).
    #[serde(default, deserialize_with = "lenient::id_list")]
    pub messageids: Option<Vec<String>>,
    /// `delivered`, `read` или `acknowledged` (сотрудник нажал «Ознакомлен(а)»; только для
    /// сообщений с `requireack`, остальные не меняются).
    #[serde(default, deserialize_with = "lenient::string")]
    pub status: Option<String>,
}

#[derive(Object, Debug)]
pub struct StatusUpdated {
    /// How many messages changed status (already reported ones do not count).
    pub updated: u64,
}

envelope!(
    /// Answer of `messagestatus`.
    StatusEnvelope,
    StatusUpdated
);

/// Request of `getmessagestatus` (addition): the partner's system asks what became of its messages.
#[derive(Object, Deserialize)]
pub struct GetMessageStatusRequest {
    #[serde(default, deserialize_with = "lenient::string")]
    pub inn: Option<String>,
    /// Идентификаторы сообщений из ответов createmessage (до 1000; список или строка через запятую).
    #[serde(default, deserialize_with = "lenient::id_list")]
    pub messageids: Option<Vec<String>>,
    /// Или идентификатор выполненной запланированной отправки (schedulemessage, getschedule):
    /// тогда ответ — её сообщения по возрастанию ID, до 1000 за запрос.
    #[serde(default, deserialize_with = "lenient::string")]
    pub scheduleid: Option<String>,
    /// Со `scheduleid`: сообщения с ID больше этого (следующая страница: последний `messageid`
    /// предыдущего ответа, когда в нём `more` — true).
    #[serde(default, deserialize_with = "lenient::string")]
    pub afterid: Option<String>,
}

/// What became of one message.
#[derive(Object, Debug)]
pub struct MessageState {
    pub messageid: String,
    #[oai(rename = "staffId")]
    pub staff_id: String,
    pub title: String,
    /// queued, sent, delivered, read, acknowledged (a message with `requireack` the employee
    /// acknowledged), failed, no_device or recalled (withdrawn by `recallmessage` or the cabinet).
    pub status: String,
    /// The status in Russian.
    pub statusname: String,
    /// Why a message is `failed` or `no_device`; `null` otherwise.
    pub statusreason: Option<String>,
    pub createdate: String,
    /// When the push provider accepted the notification.
    pub senddate: Option<String>,
    /// When the app confirmed receipt.
    pub delivereddate: Option<String>,
    /// When the employee opened the message.
    pub readdate: Option<String>,
    /// The employee is asked to acknowledge the message.
    pub requireack: bool,
    /// When the employee acknowledged it; `null` until then (or without `requireack`).
    pub ackdate: Option<String>,
    /// When the message was recalled (`recallmessage` or the cabinet); `null` otherwise.
    pub recalleddate: Option<String>,
    /// When the employee was last reminded to acknowledge it (`remindmessage`, the cabinet, or
    /// the server's automatic reminder); `null` if never.
    pub reminddate: Option<String>,
    /// When it went by SMS because the employee had not read it in time (the cabinet's
    /// "SMS, если сообщение не прочитано"); `null` if it did not.
    pub smsdate: Option<String>,
    /// Where it was sent from: `api` or `cabinet` (by hand, or a send scheduled there).
    pub source: String,
    /// Who sent it: `api` (the main API key), `api:<key's name>`, `admin` (the company's own
    /// login to the cabinet) or `admin:<login>` (a named admin); a scheduled send's messages,
    /// whoever scheduled it. `null` for messages stored before this was kept.
    pub sentby: Option<String>,
    /// The message's text: given by `listmessages` with `withtext`, absent otherwise.
    #[oai(skip_serializing_if_is_none)]
    pub message: Option<String>,
    /// The files it carries (uploadfile), in their order; absent when none.
    #[oai(skip_serializing_if_is_empty)]
    pub fileids: Vec<String>,
}

#[derive(Object, Debug)]
pub struct MessageStates {
    /// The messages found, in the order asked (each once).
    pub messages: Vec<MessageState>,
    /// Ids that are none of the partner's messages (never created, deleted with their
    /// employee, or another partner's), in the order asked.
    pub notfound: Vec<String>,
    /// With `scheduleid`: true when more of the send's messages follow (ask again with
    /// `afterid`, the last `messageid` here); null with `messageids`.
    pub more: Option<bool>,
}

envelope!(
    /// Answer of `getmessagestatus`.
    MessageStatesEnvelope,
    MessageStates
);

/// Request of `recallmessage` (addition): the partner withdraws messages sent by mistake; also
/// of `resendmessage` and `remindmessage`.
#[derive(Object, Deserialize)]
pub struct RecallMessageRequest {
    #[serde(default, deserialize_with = "lenient::string")]
    pub inn: Option<String>,
    /// Идентификатор одного сообщения из ответа createmessage.
    #[serde(default, deserialize_with = "lenient::string")]
    pub messageid: Option<String>,
    /// Или список идентификаторов (до 10 000, например все из ответа createmessagebulk; список
    /// или строка через запятую).
    #[serde(default, deserialize_with = "lenient::id_list")]
    pub messageids: Option<Vec<String>>,
}

#[derive(Object, Debug)]
pub struct RecallResult {
    /// Сообщения, отозванные этим запросом, по возрастанию ID.
    pub recalled: Vec<String>,
    /// Сообщения, отозванные раньше (повтор запроса ничего не меняет), в порядке запроса.
    pub alreadyrecalled: Vec<String>,
}

envelope!(
    /// Answer of `recallmessage`.
    RecallEnvelope,
    RecallResult
);

#[derive(Object, Debug)]
pub struct ResendResult {
    /// Сообщения, поставленные в очередь на отправку push-уведомления снова, по возрастанию ID.
    pub queued: Vec<String>,
    /// Остальные, в порядке запроса: уже доставленные или ожидающие отправки, отозванные,
    /// сотрудника без устройства или отключённого от рассылки, чужие и несуществующие.
    pub skipped: Vec<String>,
}

envelope!(
    /// Answer of `resendmessage`.
    ResendEnvelope,
    ResendResult
);

#[derive(Object, Debug)]
pub struct RemindResult {
    /// Сообщения, о которых напоминание поставлено в очередь, по возрастанию ID.
    pub reminded: Vec<String>,
    /// Остальные, в порядке запроса: не требующие ознакомления, уже подтверждённые, ещё не
    /// отправленные или не доставленные, отозванные, с напоминанием в течение последнего
    /// часа, сотрудника без устройства или отключённого от рассылки, чужие и несуществующие.
    pub skipped: Vec<String>,
}

envelope!(
    /// Answer of `remindmessage`.
    RemindEnvelope,
    RemindResult
);

/// Request of `getrecalled` (addition): the app asks which of its employee's messages were recalled.
#[derive(Object, Deserialize)]
pub struct GetRecalledRequest {
    #[serde(default, deserialize_with = "lenient::string")]
    pub inn: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub staffid: Option<String>,
}

#[derive(Object, Debug)]
pub struct RecalledList {
    /// ID отозванных сообщений сотрудника, новые первыми (до 1000).
    pub messageids: Vec<String>,
}

envelope!(
    /// Answer of `getrecalled`.
    RecalledEnvelope,
    RecalledList
);

pub const MAX_IDS: usize = 1000;

/// Most messages one `recallmessage` takes: as many as one bulk send creates, so a mistaken
/// send is recalled with the IDs its answer gave, in one call.
pub const MAX_RECALL: usize = super::bulk::MAX_RECIPIENTS;

/// `messageid`, or a list of `messageids` (up to `MAX_RECALL`), not both.
fn one_or_many(one: &Option<String>, many: Option<Vec<String>>) -> Result<Vec<i64>, V1Error> {
    match (given(one), many) {
        (Some(_), Some(_)) => Err(V1Error::bad_request(phrase!(
            "Укажите «messageid» или «messageids», но не оба",
            "Give “messageid” or “messageids”, not both"
        ))),
        (Some(one), None) => Ok(vec![MessageId::parse(one)?.0]),
        (None, many) => Ok(message_ids(many, MAX_RECALL)?.iter().map(|m| m.0).collect()),
    }
}

/// Those of `asked` not `done`, each once, in the order asked.
fn not_in(asked: &[i64], done: &[i64]) -> Vec<String> {
    let done: std::collections::HashSet<i64> = done.iter().copied().collect();
    let mut seen = std::collections::HashSet::new();
    asked
        .iter()
        .filter(|id| !done.contains(id) && seen.insert(**id))
        .map(ToString::to_string)
        .collect()
}

/// What became of each of `rows`, in their order, with its ID: its status and dates, its
/// recall's and its last reminder's time read for those that have one, and its text when
/// `with_text`.
pub(super) async fn message_states(
    state: &crate::state::AppState,
    rows: Vec<crate::store::MessageRow>,
    with_text: bool,
) -> Result<Vec<(i64, MessageState)>, V1Error> {
    let recalled: Vec<i64> = rows
        .iter()
        .filter(|r| r.status() == MessageStatus::Recalled)
        .map(|r| r.id)
        .collect();
    let recall_dates = state.store.recall_dates(&recalled).await?;
    let asked_ack: Vec<i64> = rows
        .iter()
        .filter(|r| r.ack_required)
        .map(|r| r.id)
        .collect();
    let remind_dates = state.store.reminder_dates(&asked_ack).await?;
    let mut files = match rows.first() {
        Some(first) => {
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            state.store.partner_files_of(first.partner_id, &ids).await?
        }
        None => Default::default(),
    };
    let date = |at: Option<i64>| at.map(|ms| state.time.format(ms));
    Ok(rows
        .into_iter()
        .map(|m| {
            let status = m.status();
            let found = MessageState {
                messageid: m.id.to_string(),
                staff_id: m.staff_id.to_string(),
                statusname: status.label_ru().to_owned(),
                status: m.status,
                statusreason: m.status_reason,
                createdate: state.time.format(m.created_at),
                senddate: date(m.sent_at),
                delivereddate: date(m.delivered_at),
                readdate: date(m.read_at),
                requireack: m.ack_required,
                ackdate: date(m.acked_at),
                recalleddate: date(recall_dates.get(&m.id).copied()),
                reminddate: date(remind_dates.get(&m.id).copied()),
                smsdate: date(m.sms_at),
                title: m.title,
                source: m.source,
                sentby: m.sent_by,
                message: with_text.then_some(m.body),
                fileids: files
                    .remove(&m.id)
                    .unwrap_or_default()
                    .iter()
                    .map(|f| f.id.to_string())
                    .collect(),
            };
            (m.id, found)
        })
        .collect())
}

/// `messageids` of a request: present, at most `max`, each a message id.
fn message_ids(raw: Option<Vec<String>>, max: usize) -> Result<Vec<MessageId>, V1Error> {
    let raw = raw.unwrap_or_default();
    if raw.is_empty() {
        return Err(missing("messageids"));
    }
    if raw.len() > max {
        return Err(V1Error::bad_request(phrase!(
            "Не более {max} сообщений за один запрос",
            "{max} messages at most in one request"
        )));
    }
    Ok(raw
        .iter()
        .map(|id| MessageId::parse(id))
        .collect::<Result<Vec<_>, _>>()?)
}

/// The employee whose history the caller may read.
/// Whose history is asked for. A partner's caller may name any employee id here: whether the
/// partner has that employee is checked by the page query itself (one statement fewer).
fn history_owner(caller: &Caller, staffid: Option<&str>) -> Result<StaffId, V1Error> {
    match caller {
        Caller::Staff { staff, .. } => match staffid {
            Some(id) if StaffId::parse(id)? != staff.staff_id() => Err(only_own_messages()),
            _ => Ok(staff.staff_id()),
        },
        Caller::Partner(..) => Ok(StaffId::parse(staffid.ok_or_else(|| missing("staffid"))?)?),
    }
}

fn staff_token_only() -> V1Error {
    V1Error::forbidden(phrase!(
        "Метод доступен только с токеном сотрудника",
        "This method takes an employee's token only"
    ))
}

fn only_own_messages() -> V1Error {
    V1Error::forbidden(phrase!(
        "Токен сотрудника даёт доступ только к его собственным сообщениям",
        "An employee's token gives access to their own messages only"
    ))
}

pub struct MessagesApi;

#[OpenApi(tag = "V1Tag::Messages")]
impl MessagesApi {
    /// Создать сообщение для сотрудника
    ///
    /// Для АСУ партнёра (токен партнёра). Сообщение сохраняется и отправляется push-уведомлением.
    /// Отключённому или неизвестному сотруднику сообщение не создаётся.
    ///
    /// Дополнение: заголовок `Idempotency-Key` делает повтор запроса безопасным. Повтор с тем же
    /// ключом (после тайм-аута или обрыва связи) не создаёт второе сообщение, а возвращает
    /// созданное первым запросом, в его нынешнем состоянии; ключ с другими staffid, title или
    /// message — ошибка 409.
    #[oai(path = "/createmessage", method = "post")]
    async fn create_message(
        &self,
        req: &Request,
        auth: TokenAuth,
        body: V1Body<CreateMessageRequest>,
        /// Дополнение: ключ идемпотентности, уникальный в пределах партнёра (например, UUID или
        /// номер документа 1С), от 1 до 255 видимых символов ASCII.
        #[oai(name = "Idempotency-Key")]
        _idempotency_key: Header<Option<String>>,
    ) -> Result<Json<CreateMessageEnvelope>, V1Error> {
        let state = state(req)?;
        let partner = auth.0.require_sender()?;
        let b = body.0;
        auth.0.check_inn(given(&b.inn))?;
        let staff_id = StaffId::parse(required(&b.staffid, "staffid")?)?;
        let title = Title::parse(b.title.as_deref().unwrap_or_default())?;
        let text = MessageText::parse(b.message.as_deref().unwrap_or_default())?;
        let files = files::attachable(state, partner.id, b.fileids).await?;
        let content = messaging::Content {
            title: &title,
            text: &text,
            ack_required: flag(&b.requireack, "requireack")?.unwrap_or(false),
            files: &files,
        };
        // Read raw: the typed parameter (there for the spec) reads a value that is not
        // visible ASCII as no header at all, and a key must never be dropped silently.
        let key = req
            .headers()
            .get("idempotency-key")
            .map(|v| IdempotencyKey::from_header(v.as_bytes()))
            .transpose()?;
        let (staff, m) = messaging::send(
            state,
            partner,
            staff_id,
            &content,
            Source::Api.by(&auth.0.actor()),
            key.as_ref(),
        )
        .await?;
        Ok(CreateMessageEnvelope::ok(CreatedMessage {
            staffname: staff.name,
            staff_id: staff.id.to_string(),
            messageid: m.id.to_string(),
            title: m.title,
            message: m.body,
            createdate: state.time.format(m.created_at),
            status: m.status,
            requireack: m.ack_required,
            fileids: files.iter().map(ToString::to_string).collect(),
        }))
    }

    /// Получить список сообщений
    ///
    /// С токеном партнёра: сообщения любого его сотрудника; с токеном сотрудника: только свои.
    /// Всегда по убыванию даты создания.
    #[oai(path = "/getmessage", method = "post")]
    async fn get_message(
        &self,
        req: &Request,
        auth: TokenAuth,
        body: V1Body<GetMessageRequest>,
    ) -> Result<JsonBytes<MessageListEnvelope>, V1Error> {
        let state = state(req)?;
        let b = body.0;
        auth.0.check_inn(given(&b.inn))?;
        let staff_id = history_owner(&auth.0, given(&b.staffid))?;
        let limit = match b.count.unwrap_or(0) {
            n if n < 0 => {
                return Err(V1Error::bad_request(phrase!(
                    "Поле «count» не может быть отрицательным",
                    "“count” cannot be negative"
                )));
            }
            0 => 50,
            n => n.min(state.settings.getmessage_max_count),
        };
        let parse_date = |v: &Option<String>| given(v).map(|d| state.time.parse(d)).transpose();
        let parse_id = |v: &Option<String>| {
            given(v)
                .map(|d| MessageId::parse(d).map(|m| m.0))
                .transpose()
        };
        let query = MessageQuery {
            partner_id: auth.0.partner().id,
            staff_id,
            created_from: parse_date(&b.datemin)?,
            created_to: parse_date(&b.datemax)?,
            after_id: parse_id(&b.sinceid)?,
            before_id: parse_id(&b.beforeid)?,
            limit,
        };
        let rows = messaging::list_for_staff(state, &query).await?;
        let with_files: Vec<i64> = rows.iter().filter(|m| m.files > 0).map(|m| m.id).collect();
        let files = state.store.files_of_messages(&with_files).await?;
        Ok(JsonBytes::new(page_json::write_page(
            &auth.0.partner().inn,
            &state.time,
            &rows,
            &files,
        )))
    }

    /// Отметить сообщения доставленными, прочитанными или подтвердить ознакомление (дополнение)
    ///
    /// Для мобильного приложения (токен сотрудника). Повторные отметки ничего не меняют;
    /// «прочитано» включает «доставлено», «ознакомлен» (`acknowledged`, только для сообщений с
    /// `requireack`) — «прочитано».
    #[oai(path = "/messagestatus", method = "post")]
    async fn message_status(
        &self,
        req: &Request,
        auth: TokenAuth,
        body: V1Body<MessageStatusRequest>,
    ) -> Result<Json<StatusEnvelope>, V1Error> {
        let state = state(req)?;
        let b = body.0;
        let Caller::Staff { staff, .. } = &auth.0 else {
            return Err(staff_token_only());
        };
        auth.0.check_inn(given(&b.inn))?;
        if let Some(id) = given(&b.staffid)
            && StaffId::parse(id)? != staff.staff_id()
        {
            return Err(only_own_messages());
        }
        let report = match given(&b.status) {
            Some("acknowledged") => Report::Acknowledged,
            Some("read") => Report::Read,
            Some("delivered") => Report::Delivered,
            _ => {
                return Err(V1Error::bad_request(phrase!(
                    "Поле «status» должно быть \"delivered\", \"read\" или \"acknowledged\"",
                    "“status” is \"delivered\", \"read\" or \"acknowledged\""
                )));
            }
        };
        let ids: Vec<i64> = message_ids(b.messageids, MAX_IDS)?
            .iter()
            .map(|m| m.0)
            .collect();
        let updated = state
            .store
            .mark_messages(staff.staff_id(), &ids, report, now_millis())
            .await?;
        Ok(StatusEnvelope::ok(StatusUpdated { updated }))
    }

    /// Отозвать сообщения (дополнение)
    ///
    /// Для АСУ партнёра (токен партнёра): сообщение, отправленное по ошибке, исчезает из
    /// приложения сотрудника: уже доставленное — по беззвучному push-уведомлению об отзыве,
    /// а также при каждой синхронизации приложения; getmessage его больше не возвращает. Ещё не
    /// отправленное push-уведомление не отправляется. Статус сообщения становится `recalled` («Отозвано») и больше не меняется;
    /// вебхук сообщает о нём. Укажите `messageid` или `messageids` (до 10 000). Всё или ничего:
    /// если хотя бы одного сообщения у партнёра нет, ошибка 404 называет такие ID и ничего не
    /// отзывается. Повтор запроса безопасен.
    #[oai(path = "/recallmessage", method = "post")]
    async fn recall_message(
        &self,
        req: &Request,
        auth: TokenAuth,
        body: V1ListBody<RecallMessageRequest>,
    ) -> Result<Json<RecallEnvelope>, V1Error> {
        let state = state(req)?;
        let partner = auth.0.require_sender()?;
        let b = body.0;
        auth.0.check_inn(given(&b.inn))?;
        let asked = one_or_many(&b.messageid, b.messageids)?;
        let done = messaging::recall(state, partner, &asked, Source::Api).await?;
        if !done.recalled.is_empty() {
            audit::record(
                state,
                req,
                partner.id,
                &auth.0.actor(),
                audit::Action::MessagesRecalled,
                &messaging::messages_audit_detail(&done.recalled),
            )
            .await;
        }
        let strings = |ids: Vec<i64>| ids.iter().map(ToString::to_string).collect();
        Ok(RecallEnvelope::ok(RecallResult {
            recalled: strings(done.recalled),
            alreadyrecalled: strings(done.already),
        }))
    }

    /// Отправить push-уведомление ещё раз (дополнение)
    ///
    /// Для АСУ партнёра (токен партнёра): сообщения, push-уведомление которых не дошло
    /// (`no_device` — у сотрудника не было приложения; `failed` — push-сервис отказал или был
    /// недоступен), снова ставятся в очередь, если у сотрудника теперь есть устройство и он не
    /// отключён от рассылки. Само сообщение не теряется: приложение получает его при
    /// синхронизации. Укажите `messageid` или `messageids` (до 10 000). Остальные ID
    /// возвращаются в `skipped`; повтор запроса безопасен.
    #[oai(path = "/resendmessage", method = "post")]
    async fn resend_message(
        &self,
        req: &Request,
        auth: TokenAuth,
        body: V1ListBody<RecallMessageRequest>,
    ) -> Result<Json<ResendEnvelope>, V1Error> {
        let state = state(req)?;
        let partner = auth.0.require_sender()?;
        let b = body.0;
        auth.0.check_inn(given(&b.inn))?;
        let asked = one_or_many(&b.messageid, b.messageids)?;
        let queued = messaging::resend(state, partner, &asked, Source::Api).await?;
        if !queued.is_empty() {
            let detail = messaging::messages_audit_detail(&queued);
            let action = audit::Action::MessagesResent;
            audit::record(state, req, partner.id, &auth.0.actor(), action, &detail).await;
        }
        Ok(ResendEnvelope::ok(ResendResult {
            skipped: not_in(&asked, &queued),
            queued: queued.iter().map(ToString::to_string).collect(),
        }))
    }

    /// Напомнить об ознакомлении (дополнение)
    ///
    /// Для АСУ партнёра (токен партнёра): сотрудник, который ещё не подтвердил ознакомление с
    /// сообщением (`requireack`), снова получает push-уведомление с ним, с пометкой
    /// «Напоминание». Напоминание идёт только по сообщению, которое уже было отправлено
    /// (`sent`, `delivered`, `read`), сотруднику с устройством, не отключённому от рассылки, и
    /// не чаще раза в час на сообщение. Статус сообщения не меняется; в истории сообщения в
    /// кабинете появляется запись «Напоминание». Укажите `messageid` или `messageids` (до
    /// 10 000, например все из ответа createmessagebulk). Остальные ID возвращаются в
    /// `skipped`; повтор запроса безопасен.
    #[oai(path = "/remindmessage", method = "post")]
    async fn remind_message(
        &self,
        req: &Request,
        auth: TokenAuth,
        body: V1ListBody<RecallMessageRequest>,
    ) -> Result<Json<RemindEnvelope>, V1Error> {
        let state = state(req)?;
        let partner = auth.0.require_sender()?;
        let b = body.0;
        auth.0.check_inn(given(&b.inn))?;
        let asked = one_or_many(&b.messageid, b.messageids)?;
        let reminded = reminders::remind(state, partner, &asked).await?;
        if !reminded.is_empty() {
            let detail = messaging::messages_audit_detail(&reminded);
            let action = audit::Action::MessagesReminded;
            audit::record(state, req, partner.id, &auth.0.actor(), action, &detail).await;
        }
        Ok(RemindEnvelope::ok(RemindResult {
            skipped: not_in(&asked, &reminded),
            reminded: reminded.iter().map(ToString::to_string).collect(),
        }))
    }

    /// Отозванные сообщения сотрудника (дополнение)
    ///
    /// Для мобильного приложения (токен сотрудника): ID сообщений, которые партнёр отозвал,
    /// новые первыми, до 1000. Приложение удаляет их из своей истории при каждой синхронизации.
    #[oai(path = "/getrecalled", method = "post")]
    async fn get_recalled(
        &self,
        req: &Request,
        auth: TokenAuth,
        body: V1Body<GetRecalledRequest>,
    ) -> Result<Json<RecalledEnvelope>, V1Error> {
        let state = state(req)?;
        let b = body.0;
        let Caller::Staff { staff, .. } = &auth.0 else {
            return Err(staff_token_only());
        };
        auth.0.check_inn(given(&b.inn))?;
        if let Some(id) = given(&b.staffid)
            && StaffId::parse(id)? != staff.staff_id()
        {
            return Err(only_own_messages());
        }
        let ids = state.store.recalled_for_staff(staff.staff_id().0).await?;
        Ok(RecalledEnvelope::ok(RecalledList {
            messageids: ids.iter().map(ToString::to_string).collect(),
        }))
    }

    /// Узнать состояние сообщений (дополнение)
    ///
    /// Для АСУ партнёра (токен партнёра): статус и даты отправки, доставки и прочтения
    /// сообщений по их идентификаторам (`messageid` из ответа createmessage), до 1000 за запрос.
    /// Идентификаторы, которых у партнёра нет, возвращаются в `notfound`, а не ошибкой.
    /// Или со `scheduleid` — сообщения, созданные запланированной отправкой, страницами по 1000
    /// (`afterid`, `more`); ещё не выполненная отправка — пустой список.
    #[oai(path = "/getmessagestatus", method = "post")]
    async fn get_message_status(
        &self,
        req: &Request,
        auth: TokenAuth,
        body: V1Body<GetMessageStatusRequest>,
    ) -> Result<Json<MessageStatesEnvelope>, V1Error> {
        let state = state(req)?;
        let partner = auth.0.require_partner()?;
        let b = body.0;
        auth.0.check_inn(given(&b.inn))?;
        if given(&b.scheduleid).is_some() {
            if b.messageids.as_ref().is_some_and(|ids| !ids.is_empty()) {
                return Err(V1Error::bad_request(phrase!(
                    "Укажите что-то одно: «messageids» или «scheduleid»",
                    "Give one of “messageids” and “scheduleid”"
                )));
            }
            let id = super::schedule::schedule_id(&b.scheduleid)?;
            let send = state
                .store
                .scheduled_send(partner.id, id)
                .await?
                .ok_or_else(|| V1Error::from(crate::service::schedule::send_not_found(id)))?;
            let after = match given(&b.afterid) {
                None => 0,
                Some(raw) => raw
                    .trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|n| *n >= 0)
                    .ok_or_else(|| {
                        V1Error::bad_request(phrase!(
                            "Неверное значение «afterid»: нужен номер сообщения (messageid) или 0",
                            "Wrong “afterid”: a message ID (messageid) or 0"
                        ))
                    })?,
            };
            let page = MAX_IDS as i64;
            let mut rows = match send.messages() {
                Some(key) => {
                    state
                        .store
                        .messages_of_send(partner.id, key, after, page + 1)
                        .await?
                }
                None => Vec::new(),
            };
            let more = rows.len() > MAX_IDS;
            rows.truncate(MAX_IDS);
            let in_order = message_states(state, rows, false).await?;
            return Ok(MessageStatesEnvelope::ok(MessageStates {
                messages: in_order.into_iter().map(|(_, m)| m).collect(),
                notfound: Vec::new(),
                more: Some(more),
            }));
        }
        let mut asked = message_ids(b.messageids, MAX_IDS)?;
        // Each once, in the order first asked.
        let mut seen = std::collections::HashSet::with_capacity(asked.len());
        asked.retain(|id| seen.insert(id.0));
        let ids: Vec<i64> = asked.iter().map(|m| m.0).collect();
        let rows = state.store.messages_by_ids(partner.id, &ids).await?;
        let mut found: std::collections::HashMap<i64, MessageState> =
            message_states(state, rows, false)
                .await?
                .into_iter()
                .collect();
        let (mut messages, mut notfound) = (Vec::with_capacity(found.len()), Vec::new());
        for id in asked {
            match found.remove(&id.0) {
                Some(m) => messages.push(m),
                None => notfound.push(id.0.to_string()),
            }
        }
        Ok(MessageStatesEnvelope::ok(MessageStates {
            messages,
            notfound,
            more: None,
        }))
    }
}
