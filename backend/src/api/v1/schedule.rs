//! `schedulemessage`, `getschedule`, `changeschedule`, `cancelschedule` (additions): a message
//! sent later.

use super::body::{V1Body, V1ListBody, lenient};
use super::bulk::{Addressed, addressed, flag};
use super::envelope::{V1Error, envelope};
use super::messages::MessageFileItem;
use super::security::TokenAuth;
use super::{V1Tag, given, required, state};
use crate::cabinet::audit;
use crate::domain::{IdempotencyKey, MessageText, Repeat, TimeFormat, Title};
use crate::service::files;
use crate::service::messaging::{self, Source};
use crate::service::schedule::{self, NewSend};
use crate::state::AppState;
use crate::store::{FilesBySend, Keyed, ScheduledRow};
use poem::Request;
use poem_openapi::param::Header;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use serde::Deserialize;

/// Sent or cancelled sends `getschedule` lists after the waiting ones.
const DONE_LISTED: i64 = 100;

/// Request of `schedulemessage`.
#[derive(Object, Deserialize)]
pub struct ScheduleMessageRequest {
    #[serde(default, deserialize_with = "lenient::string")]
    pub inn: Option<String>,
    /// Идентификаторы сотрудников-получателей (до 10 000); массив или строка через запятую.
    #[serde(default, deserialize_with = "lenient::id_list")]
    pub staffids: Option<Vec<String>>,
    /// `true`: всем сотрудникам, активным в момент отправки (тогда `staffids` не указывается).
    #[serde(default, deserialize_with = "lenient::flag")]
    pub all: Option<String>,
    /// Идентификатор группы (getgroups): её участникам, активным в момент отправки (тогда
    /// `staffids` и `all` не указываются). Пока отправка ждёт, группу нельзя удалить.
    #[serde(default, deserialize_with = "lenient::string")]
    pub groupid: Option<String>,
    /// Заголовок, до 250 символов. `{ФИО}` (или `{name}`) заменяется ФИО каждого получателя;
    /// если с ним заголовок длиннее 250 символов, он сокращается с «…».
    #[serde(default, deserialize_with = "lenient::string")]
    pub title: Option<String>,
    /// Текст сообщения, до 10 000 символов; `{ФИО}` — как в заголовке.
    #[serde(default, deserialize_with = "lenient::string")]
    pub message: Option<String>,
    /// Когда отправить: ISO 8601, например `2026-12-01T09:00:00+03:00`; без смещения — время
    /// часового пояса сервера (по умолчанию московское). В будущем, не дальше года.
    #[serde(default, deserialize_with = "lenient::string")]
    pub senddate: Option<String>,
    /// Повтор: `daily` — каждый день, `weekdays` — по будням (пн–пт), `weekly` — каждую
    /// неделю, `monthly` — каждый месяц в тот же день (31-е — в последний день коротких
    /// месяцев), в то же местное время, пока отправку не отменят; без него — один раз.
    #[serde(default, deserialize_with = "lenient::string")]
    pub repeat: Option<String>,
    /// Конец повторов (только с `repeat`): позже этого момента отправок серии не будет. Дата
    /// без времени — весь этот день, например `2026-12-31`; без него — пока не отменят.
    #[serde(default, deserialize_with = "lenient::string")]
    pub repeatuntil: Option<String>,
    /// `true` — сотрудник должен подтвердить ознакомление (кнопка «Ознакомлен(а)»
    /// в приложении; например, с приказом или графиком). Подтверждение меняет статус на
    /// `acknowledged` («Ознакомлен»), его время — `ackdate`. По умолчанию `false`.
    #[serde(default, deserialize_with = "lenient::flag")]
    pub requireack: Option<String>,
    /// Файлы (`fileid` из uploadfile), до 5: их получат сообщения отправки, в этом порядке.
    /// Файл хранится, пока отправка ждёт (у повторяющейся — пока идут повторы), а не сутки.
    #[serde(default, deserialize_with = "lenient::id_list")]
    pub fileids: Option<Vec<String>>,
}

/// Request of `getschedule` and `cancelschedule`.
#[derive(Object, Deserialize)]
pub struct ScheduleIdRequest {
    #[serde(default, deserialize_with = "lenient::string")]
    pub inn: Option<String>,
    /// Идентификатор из ответа schedulemessage; в getschedule необязателен (тогда — список).
    #[serde(default, deserialize_with = "lenient::string")]
    pub scheduleid: Option<String>,
}

/// Request of `changeschedule`: what is given changes, the rest stays.
#[derive(Object, Deserialize)]
pub struct ChangeScheduleRequest {
    #[serde(default, deserialize_with = "lenient::string")]
    pub inn: Option<String>,
    /// Идентификатор ожидающей отправки из ответа schedulemessage.
    #[serde(default, deserialize_with = "lenient::string")]
    pub scheduleid: Option<String>,
    /// Новое время отправки, как в schedulemessage; у повторяющейся отправки в это время дня
    /// (и день недели или месяца) пойдут и следующие.
    #[serde(default, deserialize_with = "lenient::string")]
    pub senddate: Option<String>,
    /// Новый заголовок, до 250 символов (`{ФИО}` — как в schedulemessage).
    #[serde(default, deserialize_with = "lenient::string")]
    pub title: Option<String>,
    /// Новый текст, до 10 000 символов.
    #[serde(default, deserialize_with = "lenient::string")]
    pub message: Option<String>,
    /// Новые получатели вместо прежних: сотрудники (до 10 000), как в schedulemessage.
    /// Получателей задаёт что-то одно из `staffids`, `groupid` и `all`.
    #[serde(default, deserialize_with = "lenient::id_list")]
    pub staffids: Option<Vec<String>>,
    /// `true`: всем сотрудникам, активным в момент отправки.
    #[serde(default, deserialize_with = "lenient::flag")]
    pub all: Option<String>,
    /// Участникам группы (getgroups), активным в момент отправки.
    #[serde(default, deserialize_with = "lenient::string")]
    pub groupid: Option<String>,
    /// Новый повтор: `daily`, `weekdays`, `weekly`, `monthly`, как в schedulemessage, или
    /// `once` — отправить один раз (конец повторов тогда тоже снимается).
    #[serde(default, deserialize_with = "lenient::string")]
    pub repeat: Option<String>,
    /// Новый конец повторов, как в schedulemessage; `none` — повторять, пока не отменят.
    #[serde(default, deserialize_with = "lenient::string")]
    pub repeatuntil: Option<String>,
    /// `true` — просить подтвердить ознакомление, `false` — не просить (как в
    /// schedulemessage).
    #[serde(default, deserialize_with = "lenient::flag")]
    pub requireack: Option<String>,
    /// Новые файлы вместо прежних (`fileid` из uploadfile), до 5; `none` — без файлов.
    #[serde(default, deserialize_with = "lenient::id_list")]
    pub fileids: Option<Vec<String>>,
}

/// A scheduled send.
#[derive(Object, Debug)]
pub struct Scheduled {
    pub scheduleid: String,
    pub title: String,
    pub message: String,
    /// When it is (or was) due.
    pub senddate: String,
    /// `true` when it goes to every employee active at the time of sending.
    pub all: bool,
    /// The group whose members active at the time of sending get it; null otherwise.
    pub groupid: Option<String>,
    /// The listed recipients; empty when `all`.
    pub staffids: Vec<String>,
    /// `daily`, `weekdays`, `weekly` or `monthly` for a send that repeats; null for one that
    /// goes once.
    pub repeat: Option<String>,
    /// For a send that repeats: the `scheduleid` of its series' first send (its own for the
    /// first), the same for every send of the series; null for one that goes once.
    pub seriesid: Option<String>,
    /// The series sends at this moment at the latest; null: until cancelled.
    pub repeatuntil: Option<String>,
    /// Its messages ask the employees to acknowledge them.
    pub requireack: bool,
    /// `pending`, `sent` or `cancelled`.
    pub state: String,
    /// The state in Russian.
    pub statename: String,
    pub createdate: String,
    /// When it was sent or cancelled.
    pub donedate: Option<String>,
    /// Messages created when it was sent (their statuses: getmessagestatus, or the webhook).
    pub created: i64,
    /// Recipients who got no message (disabled, deleted, awaiting approval).
    pub refused: i64,
    /// Why, for the first ten of them (separated by "; ").
    pub refusedreason: Option<String>,
    /// The ids of the messages created are consecutive from this one to `lastmessageid`
    /// only when no other message was created meanwhile; null before sending.
    pub firstmessageid: Option<String>,
    pub lastmessageid: Option<String>,
    /// The files its messages carry (`fileids`), in their order; empty when none. A sent or
    /// cancelled send lists its files until they are deleted (a day after the upload, once
    /// no message carries them).
    pub files: Vec<MessageFileItem>,
}

/// The API's view of `row`, with its files from `files` (`Store::scheduled_files`).
fn scheduled(time: &TimeFormat, row: ScheduledRow, files: &mut FilesBySend) -> Scheduled {
    let files = files
        .remove(&row.id)
        .unwrap_or_default()
        .into_iter()
        .map(|f| MessageFileItem {
            fileid: f.id.to_string(),
            name: f.name,
            size: f.size,
            contenttype: f.content_type,
        })
        .collect();
    let staffids: Vec<String> = row
        .listed()
        .unwrap_or_default()
        .iter()
        .map(ToString::to_string)
        .collect();
    Scheduled {
        scheduleid: row.id.to_string(),
        senddate: time.format(row.send_at),
        all: row.staff_ids.is_none() && row.group_id.is_none(),
        groupid: row.group_id.map(|id| id.to_string()),
        staffids,
        statename: state_name(&row.state).to_owned(),
        seriesid: row
            .repeat
            .is_some()
            .then(|| row.series_id.unwrap_or(row.id).to_string()),
        repeat: row.repeat,
        repeatuntil: row.repeat_until.map(|at| time.format(at)),
        requireack: row.ack_required,
        state: row.state,
        createdate: time.format(row.created_at),
        donedate: row.done_at.map(|at| time.format(at)),
        created: row.created_count,
        refused: row.refused_count,
        refusedreason: row.refused_detail,
        firstmessageid: row.first_message_id.map(|id| id.to_string()),
        lastmessageid: row.last_message_id.map(|id| id.to_string()),
        title: row.title,
        message: row.body,
        files,
    }
}

/// The answer about one send, with its files.
async fn answer(state: &AppState, row: ScheduledRow) -> Result<Scheduled, V1Error> {
    let mut files = state.store.scheduled_files(&[row.id]).await?;
    Ok(scheduled(&state.time, row, &mut files))
}

/// The state as people read it.
fn state_name(state: &str) -> &'static str {
    match state {
        "pending" => "Ожидает отправки",
        "sent" => "Отправлено",
        _ => "Отменено",
    }
}

envelope!(
    /// Answer of `schedulemessage`, `changeschedule` and `cancelschedule`.
    ScheduledEnvelope,
    Scheduled
);

#[derive(Object, Debug)]
pub struct ScheduleList {
    /// Waiting sends, the earliest first.
    pub pending: Vec<Scheduled>,
    /// The latest 100 sent or cancelled, the latest first.
    pub done: Vec<Scheduled>,
}

envelope!(
    /// Answer of `getschedule`.
    ScheduleListEnvelope,
    ScheduleList
);

pub(super) fn schedule_id(raw: &Option<String>) -> Result<i64, V1Error> {
    let raw = required(raw, "scheduleid")?;
    raw.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| {
        V1Error::bad_request(phrase!(
            "Неверный идентификатор отправки «{}»",
            "Wrong send ID “{}”",
            raw.chars().take(40).collect::<String>()
        ))
    })
}

pub struct ScheduleApi;

#[OpenApi(tag = "V1Tag::Messages")]
impl ScheduleApi {
    /// Запланировать сообщение (дополнение)
    ///
    /// Для АСУ партнёра (токен партнёра). Сообщение будет создано и отправлено указанным
    /// сотрудникам (`staffids`), всем активным (`"all": true`) или активным участникам группы
    /// (`groupid`) в момент `senddate`.
    /// С `repeat` отправка повторяется каждый день, по будням или каждую неделю: когда она
    /// выполнена, следующая сразу ждёт своего времени (в getschedule — с тем же `seriesid`),
    /// до `repeatuntil`, если он указан; остановить повторы — отменить ожидающую
    /// (cancelschedule).
    /// Получатели определяются в момент отправки: отключённые к тому времени сообщения не
    /// получат. С `fileids` сообщения получат файлы (uploadfile), и файл хранится, пока
    /// отправка ждёт. Неизвестные идентификаторы — ошибка 404, ничего не запланировано.
    /// Отменить — cancelschedule, узнать результат — getschedule.
    #[oai(path = "/schedulemessage", method = "post")]
    async fn schedule_message(
        &self,
        req: &Request,
        auth: TokenAuth,
        body: V1ListBody<ScheduleMessageRequest>,
        /// Дополнение: ключ идемпотентности, как у createmessage: повтор с тем же ключом не
        /// планирует вторую отправку, а возвращает запланированную первым запросом.
        #[oai(name = "Idempotency-Key")]
        _idempotency_key: Header<Option<String>>,
    ) -> Result<Json<ScheduledEnvelope>, V1Error> {
        let state = state(req)?;
        let partner = auth.0.require_sender()?;
        let b = body.0;
        auth.0.check_inn(given(&b.inn))?;
        let title = Title::parse(b.title.as_deref().unwrap_or_default())?;
        let text = MessageText::parse(b.message.as_deref().unwrap_or_default())?;
        let send_at = state.time.parse(required(&b.senddate, "senddate")?)?;
        let to = addressed(&b.all, b.staffids, &b.groupid)?;
        // Read raw, as createmessage does: a key that is not visible ASCII is refused, not dropped.
        let key = req
            .headers()
            .get("idempotency-key")
            .map(|v| IdempotencyKey::from_header(v.as_bytes()))
            .transpose()?;
        let repeat = Repeat::parse(b.repeat.as_deref().unwrap_or_default())?;
        let repeat_until = given(&b.repeatuntil)
            .map(|raw| state.time.parse_until(raw))
            .transpose()?;
        let actor = auth.0.actor();
        let send = NewSend {
            repeat,
            repeat_until,
            to: to.recipients(),
            content: messaging::Content {
                title: &title,
                text: &text,
                ack_required: flag(&b.requireack, "requireack")?.unwrap_or(false),
                files: &files::attachable(state, partner.id, b.fileids).await?,
            },
            send_at,
            origin: Source::Api.by(&actor),
            key: key.as_ref(),
        };
        let row = match schedule::schedule(state, partner, send).await? {
            Keyed::Stored(row) => {
                let detail = schedule::journal_detail(state, &row).await;
                let action = audit::Action::Scheduled;
                audit::record(state, req, partner.id, &actor, action, &detail).await;
                row
            }
            // A repeated call: journaled when first made.
            Keyed::Taken(row) => row,
        };
        Ok(ScheduledEnvelope::ok(answer(state, row).await?))
    }

    /// Запланированные отправки (дополнение)
    ///
    /// Для АСУ партнёра (токен партнёра): с `scheduleid` — одна отправка (в `pending` или
    /// `done`), без него — все ожидающие и 100 последних выполненных или отменённых.
    #[oai(path = "/getschedule", method = "post")]
    async fn get_schedule(
        &self,
        req: &Request,
        auth: TokenAuth,
        body: V1Body<ScheduleIdRequest>,
    ) -> Result<Json<ScheduleListEnvelope>, V1Error> {
        let state = state(req)?;
        let partner = auth.0.require_partner()?;
        let b = body.0;
        auth.0.check_inn(given(&b.inn))?;
        let (pending, done) = if given(&b.scheduleid).is_some() {
            let id = schedule_id(&b.scheduleid)?;
            let row = state
                .store
                .scheduled_send(partner.id, id)
                .await?
                .ok_or_else(|| V1Error::from(schedule::send_not_found(id)))?;
            if row.state == "pending" {
                (vec![row], vec![])
            } else {
                (vec![], vec![row])
            }
        } else {
            state.store.scheduled_sends(partner.id, DONE_LISTED).await?
        };
        let ids: Vec<i64> = pending.iter().chain(&done).map(|r| r.id).collect();
        let mut files = state.store.scheduled_files(&ids).await?;
        let mut list = |rows: Vec<ScheduledRow>| {
            rows.into_iter()
                .map(|r| scheduled(&state.time, r, &mut files))
                .collect()
        };
        Ok(ScheduleListEnvelope::ok(ScheduleList {
            pending: list(pending),
            done: list(done),
        }))
    }

    /// Изменить запланированное сообщение (дополнение)
    ///
    /// Для АСУ партнёра (токен партнёра). Меняет время (`senddate`), заголовок (`title`),
    /// текст (`message`), получателей (`staffids`, `groupid` или `all`), повтор (`repeat`,
    /// `repeatuntil`), подтверждение ознакомления (`requireack`) и файлы (`fileids`) ожидающей отправки: что
    /// указано, то и меняется, остальное остаётся;
    /// ничего не указано — ошибка 400. Всё проверяется, как в schedulemessage. У
    /// повторяющейся отправки следующие пойдут в новое время, с новым текстом и новым
    /// получателям. Уже выполненная или отменённая — ошибка 409. Изменение записывается в
    /// журнал кабинета.
    #[oai(path = "/changeschedule", method = "post")]
    async fn change_schedule(
        &self,
        req: &Request,
        auth: TokenAuth,
        body: V1ListBody<ChangeScheduleRequest>,
    ) -> Result<Json<ScheduledEnvelope>, V1Error> {
        let state = state(req)?;
        let partner = auth.0.require_sender()?;
        let b = body.0;
        auth.0.check_inn(given(&b.inn))?;
        let id = schedule_id(&b.scheduleid)?;
        // An empty field is one not given: it keeps what the send has.
        let title = given(&b.title)
            .and(b.title.as_deref())
            .map(Title::parse)
            .transpose()?;
        let text = given(&b.message)
            .and(b.message.as_deref())
            .map(MessageText::parse)
            .transpose()?;
        let send_at = given(&b.senddate)
            .map(|raw| state.time.parse(raw))
            .transpose()?;
        let recipients_given = given(&b.all).is_some()
            || given(&b.groupid).is_some()
            || b.staffids.as_ref().is_some_and(|ids| !ids.is_empty());
        let to = recipients_given
            .then(|| addressed(&b.all, b.staffids, &b.groupid))
            .transpose()?;
        let repeat = given(&b.repeat).map(Repeat::parse).transpose()?;
        // `none` drops the files; an empty list, like an empty field, keeps them.
        let files = match b.fileids {
            Some(ids) if ids.len() == 1 && ids[0].eq_ignore_ascii_case("none") => Some(Vec::new()),
            Some(ids) if !ids.is_empty() => {
                Some(files::attachable(state, partner.id, Some(ids)).await?)
            }
            _ => None,
        };
        let repeat_until = given(&b.repeatuntil)
            .map(|raw| match raw.trim().to_ascii_lowercase().as_str() {
                "none" => Ok(None),
                _ => state.time.parse_until(raw).map(Some),
            })
            .transpose()?;
        let change = schedule::Change {
            title: title.as_ref(),
            text: text.as_ref(),
            send_at,
            to: to.as_ref().map(Addressed::recipients),
            repeat,
            repeat_until,
            ack_required: flag(&b.requireack, "requireack")?,
            files: files.as_deref(),
        };
        let changed = schedule::change(state, partner, id, change).await?;
        if changed.written() {
            let detail = changed.journal_detail(state).await;
            let action = audit::Action::ScheduleChanged;
            audit::record(state, req, partner.id, &auth.0.actor(), action, &detail).await;
        }
        Ok(ScheduledEnvelope::ok(answer(state, changed.after).await?))
    }

    /// Отменить запланированное сообщение (дополнение)
    ///
    /// Для АСУ партнёра (токен партнёра). Отменить можно только ожидающую отправку; уже
    /// выполненная или отменённая — ошибка 409.
    #[oai(path = "/cancelschedule", method = "post")]
    async fn cancel_schedule(
        &self,
        req: &Request,
        auth: TokenAuth,
        body: V1Body<ScheduleIdRequest>,
    ) -> Result<Json<ScheduledEnvelope>, V1Error> {
        let state = state(req)?;
        let partner = auth.0.require_sender()?;
        let b = body.0;
        auth.0.check_inn(given(&b.inn))?;
        let id = schedule_id(&b.scheduleid)?;
        let row = schedule::cancel(state, partner, id).await?;
        let detail = schedule::journal_detail(state, &row).await;
        let action = audit::Action::ScheduleCancelled;
        audit::record(state, req, partner.id, &auth.0.actor(), action, &detail).await;
        Ok(ScheduledEnvelope::ok(answer(state, row).await?))
    }
}
