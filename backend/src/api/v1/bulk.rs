//! `createmessagebulk` (addition): one message to many employees in one call.

use super::body::{V1ListBody, lenient};
use super::envelope::{V1Error, envelope, lang};
use super::security::TokenAuth;
use super::{V1Tag, given, state};
use crate::domain::{GroupId, MessageText, StaffId, Title};
use crate::service::files;
use crate::service::messaging::{self, Recipients, Source};
use poem::Request;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use serde::Deserialize;

/// Most recipients listed in one request ("all" has no limit).
pub const MAX_RECIPIENTS: usize = 10_000;

/// Request of `createmessagebulk`.
#[derive(Object, Deserialize)]
pub struct CreateMessageBulkRequest {
    #[serde(default, deserialize_with = "lenient::string")]
    pub inn: Option<String>,
    /// Идентификаторы сотрудников-получателей (до 10 000); массив или строка через запятую.
    #[serde(default, deserialize_with = "lenient::id_list")]
    pub staffids: Option<Vec<String>>,
    /// `true`: всем активным сотрудникам партнёра (тогда `staffids` не указывается).
    #[serde(default, deserialize_with = "lenient::flag")]
    pub all: Option<String>,
    /// Дополнение: идентификатор группы (getgroups): всем её участникам, активным сейчас
    /// (тогда `staffids` и `all` не указываются).
    #[serde(default, deserialize_with = "lenient::string")]
    pub groupid: Option<String>,
    /// Заголовок, до 250 символов. `{ФИО}` (или `{name}`) заменяется ФИО каждого получателя;
    /// если с ним заголовок длиннее 250 символов, он сокращается с «…».
    #[serde(default, deserialize_with = "lenient::string")]
    pub title: Option<String>,
    /// Текст сообщения, до 10 000 символов; `{ФИО}` — как в заголовке.
    #[serde(default, deserialize_with = "lenient::string")]
    pub message: Option<String>,
    /// `true` — сотрудник должен подтвердить ознакомление (кнопка «Ознакомлен(а)»
    /// в приложении; например, с приказом или графиком). Подтверждение меняет статус на
    /// `acknowledged` («Ознакомлен»), его время — `ackdate`. По умолчанию `false`.
    #[serde(default, deserialize_with = "lenient::flag")]
    pub requireack: Option<String>,
    /// Дополнение: идентификаторы файлов (uploadfile), приложенных к каждому сообщению, до 5;
    /// массив или строка через запятую. Файл хранится один раз на всю рассылку. Сотрудник
    /// видит файлы под текстом и открывает их в приложении.
    #[serde(default, deserialize_with = "lenient::id_list")]
    pub fileids: Option<Vec<String>>,
}

/// A message created for one recipient.
#[derive(Object, Debug)]
pub struct BulkMessage {
    #[oai(rename = "staffId")]
    pub staff_id: String,
    pub messageid: String,
    /// `queued`, or `no_device` when the employee has no push token.
    pub status: String,
}

/// A recipient no message was created for.
#[derive(Object, Debug)]
pub struct BulkRefusal {
    #[oai(rename = "staffId")]
    pub staff_id: String,
    /// Почему сообщение не создано.
    pub error: String,
}

#[derive(Object, Debug)]
pub struct BulkCreated {
    /// The messages created, one per recipient (duplicates in `staffids` count once).
    pub messages: Vec<BulkMessage>,
    /// Recipients refused: unknown, disabled or awaiting approval.
    pub refused: Vec<BulkRefusal>,
}

envelope!(
    /// Answer of `createmessagebulk`.
    BulkEnvelope,
    BulkCreated
);

pub struct BulkApi;

#[OpenApi(tag = "V1Tag::Messages")]
impl BulkApi {
    /// Создать сообщение для многих сотрудников (дополнение)
    ///
    /// Для АСУ партнёра (токен партнёра). Одно сообщение каждому указанному сотруднику
    /// (`staffids`), всем активным (`"all": true`) или активным участникам группы (`groupid`,
    /// см. getgroups); все сообщения сохраняются одной
    /// транзакцией и отправляются push-уведомлениями. Неизвестные и отключённые сотрудники
    /// перечислены в `refused`, остальные сообщение получают. Заголовок `Idempotency-Key` здесь
    /// не поддерживается (ошибка 400): повтор создаёт сообщения заново.
    #[oai(path = "/createmessagebulk", method = "post")]
    async fn create_message_bulk(
        &self,
        req: &Request,
        auth: TokenAuth,
        body: V1ListBody<CreateMessageBulkRequest>,
    ) -> Result<Json<BulkEnvelope>, V1Error> {
        let state = state(req)?;
        let partner = auth.0.require_sender()?;
        if req.headers().contains_key("idempotency-key") {
            // Ignored, it would promise a safe retry that a repeated bulk does not give.
            return Err(V1Error::bad_request(phrase!(
                "Заголовок Idempotency-Key поддерживается только методом createmessage: \
                 повтор createmessagebulk создаёт сообщения заново",
                "Only createmessage takes the Idempotency-Key header: a repeated \
                 createmessagebulk creates the messages again"
            )));
        }
        let b = body.0;
        auth.0.check_inn(given(&b.inn))?;
        let title = Title::parse(b.title.as_deref().unwrap_or_default())?;
        let text = MessageText::parse(b.message.as_deref().unwrap_or_default())?;
        let to = addressed(&b.all, b.staffids, &b.groupid)?;
        let files = files::attachable(state, partner.id, b.fileids).await?;
        let content = messaging::Content {
            title: &title,
            text: &text,
            ack_required: flag(&b.requireack, "requireack")?.unwrap_or(false),
            files: &files,
        };
        let actor = auth.0.actor();
        let origin = Source::Api.by(&actor);
        let outcome =
            messaging::send_bulk(state, partner, to.recipients(), &content, origin).await?;
        Ok(BulkEnvelope::ok(BulkCreated {
            messages: outcome
                .created
                .iter()
                .map(|c| BulkMessage {
                    staff_id: c.staff_id.to_string(),
                    messageid: c.message_id.to_string(),
                    status: c.status.as_str().to_owned(),
                })
                .collect(),
            refused: outcome
                .refused
                .into_iter()
                .map(|r| BulkRefusal {
                    staff_id: r.staff_id.to_string(),
                    error: r.reason.get(lang()).to_owned(),
                })
                .collect(),
        }))
    }
}

/// Who a request sends to: `staffids`, `"all": true` or `groupid`, exactly one of them.
pub(super) enum Addressed {
    All,
    Listed(Vec<StaffId>),
    Group(GroupId),
}

impl Addressed {
    pub(super) fn recipients(&self) -> Recipients<'_> {
        match self {
            Self::All => Recipients::AllActive,
            Self::Listed(ids) => Recipients::Listed(ids),
            Self::Group(id) => Recipients::Group(*id),
        }
    }
}

/// A yes-or-no field: `true`/`false` (as JSON or as text) or `1`/`0`; `None` when not given.
pub(super) fn flag(value: &Option<String>, field: &str) -> Result<Option<bool>, V1Error> {
    match given(value).map(str::to_ascii_lowercase).as_deref() {
        None => Ok(None),
        Some("false" | "0") => Ok(Some(false)),
        Some("true" | "1") => Ok(Some(true)),
        Some(_) => Err(V1Error::bad_request(phrase!(
            "Поле «{field}» должно быть true или false",
            "“{field}” is true or false"
        ))),
    }
}

/// The recipients of a request with `staffids`, `"all": true` or `groupid`.
pub(super) fn addressed(
    all: &Option<String>,
    staffids: Option<Vec<String>>,
    groupid: &Option<String>,
) -> Result<Addressed, V1Error> {
    let all = flag(all, "all")?.unwrap_or(false);
    let listed = staffids.unwrap_or_default();
    let group = given(groupid).map(GroupId::parse).transpose()?;
    match (all, listed.is_empty(), group) {
        (true, true, None) => Ok(Addressed::All),
        (false, true, Some(id)) => Ok(Addressed::Group(id)),
        (false, false, None) if listed.len() <= MAX_RECIPIENTS => Ok(Addressed::Listed(
            listed
                .iter()
                .map(|id| StaffId::parse(id))
                .collect::<Result<_, _>>()?,
        )),
        (false, false, None) => Err(V1Error::bad_request(phrase!(
            "Не более {MAX_RECIPIENTS} получателей за один запрос; для всех сотрудников укажите \"all\": true",
            "{MAX_RECIPIENTS} recipients at most in one request; for everyone give \"all\": true"
        ))),
        (false, true, None) => Err(V1Error::bad_request(phrase!(
            "Не указаны получатели: «staffids», «groupid» или «all»: true",
            "No recipients: give “staffids”, “groupid” or “all”: true"
        ))),
        _ => Err(V1Error::bad_request(phrase!(
            "Укажите что-то одно из «staffids», «groupid» и «all», но не оба сразу",
            "Give one of “staffids”, “groupid” and “all”, not more"
        ))),
    }
}
