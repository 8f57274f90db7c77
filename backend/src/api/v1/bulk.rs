//! `createmessagebulk` (addition): one message to many employees in one call.

use super::body::{V1Body, lenient};
use super::envelope::{V1Error, envelope};
use super::security::TokenAuth;
use super::{V1Tag, given, state};
use crate::domain::{MessageText, StaffId, Title};
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
    #[serde(default, deserialize_with = "lenient::string")]
    pub all: Option<String>,
    /// Заголовок, до 250 символов.
    #[serde(default, deserialize_with = "lenient::string")]
    pub title: Option<String>,
    /// Текст сообщения, до 10 000 символов.
    #[serde(default, deserialize_with = "lenient::string")]
    pub message: Option<String>,
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
    /// (`staffids`) или всем активным (`"all": true`); все сообщения сохраняются одной
    /// транзакцией и отправляются push-уведомлениями. Неизвестные и отключённые сотрудники
    /// перечислены в `refused`, остальные сообщение получают. Заголовок `Idempotency-Key` здесь
    /// не поддерживается (ошибка 400): повтор создаёт сообщения заново.
    #[oai(path = "/createmessagebulk", method = "post")]
    async fn create_message_bulk(
        &self,
        req: &Request,
        auth: TokenAuth,
        body: V1Body<CreateMessageBulkRequest>,
    ) -> Result<Json<BulkEnvelope>, V1Error> {
        let state = state(req)?;
        let partner = auth.0.require_partner()?;
        if req.headers().contains_key("idempotency-key") {
            // Ignored, it would promise a safe retry that a repeated bulk does not give.
            return Err(V1Error::bad_request(
                "Заголовок Idempotency-Key поддерживается только методом createmessage: \
                 повтор createmessagebulk создаёт сообщения заново",
            ));
        }
        let b = body.0;
        auth.0.check_inn(given(&b.inn))?;
        let title = Title::parse(b.title.as_deref().unwrap_or_default())?;
        let text = MessageText::parse(b.message.as_deref().unwrap_or_default())?;
        let ids = listed_recipients(&b.all, b.staffids)?;
        let to = match &ids {
            None => Recipients::AllActive,
            Some(ids) => Recipients::Listed(ids),
        };
        let outcome = messaging::send_bulk(state, partner, to, &title, &text, Source::Api).await?;
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
                    error: r.reason,
                })
                .collect(),
        }))
    }
}

/// The recipients of a request with `staffids` or `"all": true`: `None` for all.
pub(super) fn listed_recipients(
    all: &Option<String>,
    staffids: Option<Vec<String>>,
) -> Result<Option<Vec<StaffId>>, V1Error> {
    let all = match given(all).map(str::to_ascii_lowercase).as_deref() {
        None | Some("false" | "0") => false,
        Some("true" | "1") => true,
        Some(_) => {
            return Err(V1Error::bad_request(
                "Поле «all» должно быть true или false",
            ));
        }
    };
    let listed = staffids.unwrap_or_default();
    match (all, listed.is_empty()) {
        (true, true) => Ok(None),
        (false, false) if listed.len() <= MAX_RECIPIENTS => Ok(Some(
            listed
                .iter()
                .map(|id| StaffId::parse(id))
                .collect::<Result<_, _>>()?,
        )),
        (false, false) => Err(V1Error::bad_request(format!(
            "Не более {MAX_RECIPIENTS} получателей за один запрос; для всех сотрудников укажите \"all\": true"
        ))),
        (true, false) => Err(V1Error::bad_request(
            "Укажите либо «staffids», либо «all», но не оба",
        )),
        (false, true) => Err(V1Error::bad_request(
            "Не указаны получатели: «staffids» или «all»: true",
        )),
    }
}
