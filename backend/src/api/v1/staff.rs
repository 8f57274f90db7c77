//! `getstaff`, `deletestaff` and (an addition) `addstaff`.

use super::body::{V1Body, V1ListBody, lenient};
use super::bulk::flag;
use super::envelope::{JsonBytes, V1Error, envelope};
use super::page_json;
use super::security::{Caller, TokenAuth};
use super::{V1Tag, given, required, state};
use crate::cabinet::audit;
use crate::domain::{Phone, StaffId, StaffName, StaffSyncId};
use crate::error::Error;
use crate::service::staff_edit::{self, Edit};
use crate::service::staff_list::{self, Counts, Lenient, Place, Scope};
use crate::service::{messaging, sms_fallback};
use crate::state::{AppState, SharedState};
use crate::store::{ListedStaff, StaffRow, StaffState};
use poem::Request;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use serde::Deserialize;
use std::collections::HashMap;

/// Request of `getstaff` (a JSON body on GET, as documented; `?inn=` works too).
#[derive(Object, Deserialize)]
pub struct GetStaffRequest {
    #[serde(default, deserialize_with = "lenient::string")]
    pub inn: Option<String>,
}

/// One employee of the partner.
#[derive(Object, Debug)]
pub struct StaffItem {
    pub inn: String,
    #[oai(rename = "staffId")]
    pub staff_id: String,
    /// The guide's spelling, with the space.
    #[oai(rename = "staff name")]
    pub staff_name_spaced: String,
    /// Addition: the same name under a key without a space.
    pub staffname: String,
    /// `android`, `apple` or empty before the first login.
    pub device: String,
    pub createdate: String,
    /// `enabled` (receives messages), `disabled` (switched off by the admin) or `pending` (awaiting approval).
    pub statusnotification: String,
    /// Addition: the phone in E.164.
    pub phone: String,
    /// Addition: whether the app registered a push token.
    pub pushregistered: bool,
    /// Addition: the IDs of the employee's groups (`getgroups`), ascending; `[]` for none.
    pub groupids: Vec<String>,
}

// The spec's type only: the answer itself is written by `page_json::write_staff`.
envelope!(
    @type
    /// Answer of `getstaff`.
    StaffListEnvelope,
    Vec<StaffItem>
);

/// Request of `deletestaff`.
#[derive(Object, Deserialize)]
pub struct DeleteStaffRequest {
    #[serde(default, deserialize_with = "lenient::string")]
    pub inn: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub staffid: Option<String>,
}

#[derive(Object, Debug)]
pub struct DeletedData {
    pub message: String,
}

envelope!(
    /// Answer of `deletestaff`.
    DeleteStaffEnvelope,
    DeletedData
);

/// Request of `addstaff`.
#[derive(Object, Deserialize)]
pub struct AddStaffRequest {
    #[serde(default, deserialize_with = "lenient::string")]
    pub inn: Option<String>,
    /// Сотрудники компании, до 10 000: телефон и ФИО каждого.
    #[serde(default)]
    pub staff: Option<Vec<NewStaffEntry>>,
    /// `true` — список и есть весь штат (полная выгрузка из кадровой системы): сотрудники,
    /// которых в нём нет, отключаются от рассылки (не удаляются: история остаётся, включить
    /// можно в кабинете). По умолчанию `false`: список только добавляет.
    #[serde(default, deserialize_with = "lenient::flag")]
    pub disablemissing: Option<String>,
    /// Часть всего штата, передаваемого несколькими вызовами (больше 10 000 сотрудников):
    /// `syncid` из `beginstaffsync`. Не вместе с `disablemissing`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub syncid: Option<String>,
    /// `true` — записи с ошибкой (неверный телефон, пустое ФИО) пропускаются, остальные
    /// добавляются; ответ перечисляет пропущенные в `skipped`. По умолчанию `false`: ошибка в
    /// одной записи — 400, ничего не добавлено. Для всего штата (`disablemissing`, `syncid`):
    /// сотрудник, чья запись пропущена из‑за ФИО, остаётся в штате (по телефону) как был;
    /// запись с нечитаемым телефоном не называет никого, и сотрудника, которого она должна
    /// была назвать, отключат как отсутствующего.
    #[serde(default, deserialize_with = "lenient::flag")]
    pub skipinvalid: Option<String>,
    /// `true` — пригласить в мобильное приложение по SMS тех из списка, кто ещё не входил в
    /// него и не приглашался в последнюю неделю (SMS со ссылкой на приложение и ИНН
    /// организации; в счёт месячного лимита SMS; отправляются в фоне). Если оператор не
    /// подключил компании SMS — 400, ничего не добавлено.
    #[serde(default, deserialize_with = "lenient::flag")]
    pub invite: Option<String>,
}

/// Request of `beginstaffsync`.
#[derive(Object, Deserialize)]
pub struct BeginStaffSyncRequest {
    #[serde(default, deserialize_with = "lenient::string")]
    pub inn: Option<String>,
}

/// A sync of the whole staff, open for lists.
#[derive(Object, Debug)]
pub struct StaffSyncData {
    /// Передаётся в каждый `addstaff` этой выгрузки и в `finishstaffsync`.
    pub syncid: String,
    pub startdate: String,
    /// Не завершённая к этому времени синхронизация ничего не отключает.
    pub expiresdate: String,
}

envelope!(
    /// Answer of `beginstaffsync`.
    BeginStaffSyncEnvelope,
    StaffSyncData
);

/// Request of `finishstaffsync`.
#[derive(Object, Deserialize)]
pub struct FinishStaffSyncRequest {
    #[serde(default, deserialize_with = "lenient::string")]
    pub inn: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub syncid: Option<String>,
    /// Сколько разных сотрудников в выгрузке: если передано другое число, ничего не
    /// отключается (ошибка 409). Необязательно, но защищает от потерянной части.
    #[serde(default, deserialize_with = "lenient::integer")]
    pub count: Option<i64>,
}

#[derive(Object, Debug)]
pub struct FinishStaffSyncData {
    pub syncid: String,
    /// How many of the company's employees the sync's lists named.
    pub listed: u64,
    /// How many employees not named, there before the sync began, were disabled now.
    pub disabled: u64,
    /// Their IDs, ascending.
    pub disabledstaffids: Vec<String>,
}

envelope!(
    /// Answer of `finishstaffsync`.
    FinishStaffSyncEnvelope,
    FinishStaffSyncData
);

/// An employee of the company's list.
#[derive(Object, Deserialize)]
pub struct NewStaffEntry {
    /// Телефон в любой обычной записи (`+7 923 338-16-38`, `89233381638`).
    #[serde(default, deserialize_with = "lenient::string")]
    pub phone: Option<String>,
    /// ФИО (до 200 символов); принимается и под ключом `staffname`, как в `auth`.
    #[serde(
        default,
        deserialize_with = "lenient::string",
        alias = "staffname",
        alias = "staff name",
        alias = "staffName"
    )]
    pub name: Option<String>,
}

/// Request of `updatestaff`.
#[derive(Object, Deserialize)]
pub struct UpdateStaffRequest {
    #[serde(default, deserialize_with = "lenient::string")]
    pub inn: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub staffid: Option<String>,
    /// Новое ФИО (до 200 символов); принимается и под ключом `staffname`.
    #[serde(
        default,
        deserialize_with = "lenient::string",
        alias = "staffname",
        alias = "staff name",
        alias = "staffName"
    )]
    pub name: Option<String>,
    /// Новый телефон: сотрудник входит в приложение уже с ним, сеанс и история остаются.
    #[serde(default, deserialize_with = "lenient::string")]
    pub phone: Option<String>,
    /// `enabled` — включить в рассылку (ожидающего — подтвердить), `disabled` — отключить.
    #[serde(default, deserialize_with = "lenient::string")]
    pub statusnotification: Option<String>,
}

envelope!(
    /// Answer of `updatestaff`: the employee as they are now.
    UpdateStaffEnvelope,
    StaffItem
);

/// `statusnotification` as `updatestaff` takes it.
fn wanted_state(raw: &str) -> Result<StaffState, V1Error> {
    match raw.trim() {
        "enabled" => Ok(StaffState::Active),
        "disabled" => Ok(StaffState::Disabled),
        _ => Err(V1Error::bad_request(phrase!(
            "statusnotification: допустимо \"enabled\" или \"disabled\"",
            "statusnotification: \"enabled\" or \"disabled\" expected"
        ))),
    }
}

/// One employee of the list after `addstaff`, in the order asked (each phone once).
#[derive(Object, Debug)]
pub struct ListedItem {
    pub staffid: String,
    /// The phone in E.164.
    pub phone: String,
    /// The name stored: the one given for an employee added, their own for one already there.
    pub staffname: String,
    /// `added` (new, active at once), `approved` (was awaiting approval, active now) or
    /// `existing` (already an employee: left as they were).
    pub result: String,
}

/// An entry of the list skipped with `"skipinvalid": true`.
#[derive(Object, Debug)]
pub struct SkippedItem {
    /// Its place in `staff`, from 0.
    pub index: u64,
    /// As given.
    pub phone: String,
    /// As given.
    pub staffname: String,
    /// Why, in the call's language.
    pub error: String,
    /// `true` when only the name was wrong: an employee with this phone stays on the list (not
    /// disabled by `disablemissing`, kept by the sync) and is left as they are.
    pub phonelisted: bool,
    /// With `disablemissing` or `syncid`, when the phone could not be read but the name could:
    /// the employees of that name (case and ё aside) who stay on the list all the same, not
    /// disabled for a typo in their phone and left as they are. Absent when none.
    #[oai(default, skip_serializing_if_is_empty)]
    pub keptstaffids: Vec<String>,
}

#[derive(Object, Debug)]
pub struct AddStaffData {
    pub added: u64,
    pub approved: u64,
    pub existing: u64,
    pub staff: Vec<ListedItem>,
    /// With `"disablemissing": true`: how many employees not on the list were disabled now.
    pub disabled: u64,
    /// Their IDs, ascending.
    pub disabledstaffids: Vec<String>,
    /// With `syncid`: how many of the company's employees the sync has listed so far, this
    /// list's included.
    #[oai(skip_serializing_if_is_none)]
    pub synclisted: Option<u64>,
    /// With `"skipinvalid": true`: the entries skipped, in the order given (empty if none).
    #[oai(skip_serializing_if_is_none)]
    pub skipped: Option<Vec<SkippedItem>>,
    /// With `"invite": true`: how many of the list were asked an invitation to the app (those
    /// who have not logged in and were not invited in the week).
    #[oai(skip_serializing_if_is_none)]
    pub invited: Option<u64>,
}

envelope!(
    /// Answer of `addstaff`.
    AddStaffEnvelope,
    AddStaffData
);

fn skipped_item(s: staff_list::Skipped) -> SkippedItem {
    let index = match s.place {
        Place::Entry(i) | Place::Line(i) => i as u64,
    };
    SkippedItem {
        index,
        phone: s.phone,
        staffname: s.name,
        error: s.why.get(super::envelope::lang()).to_owned(),
        phonelisted: s.readable.is_some(),
        keptstaffids: s.kept_by_name.iter().map(i64::to_string).collect(),
    }
}

fn listed_item(l: ListedStaff) -> ListedItem {
    ListedItem {
        staffid: l.id.to_string(),
        phone: l.phone,
        staffname: l.name,
        result: l.outcome.as_str().to_owned(),
    }
}

pub(crate) fn staff_item(inn: &str, fmt: &crate::domain::TimeFormat, s: StaffRow) -> StaffItem {
    let status = s.state().as_api();
    StaffItem {
        inn: inn.to_owned(),
        staff_id: s.id.to_string(),
        staff_name_spaced: s.name.clone(),
        staffname: s.name,
        device: s.device.unwrap_or_default(),
        createdate: fmt.format(s.created_at),
        statusnotification: status.to_owned(),
        phone: s.phone,
        pushregistered: s.push_token.is_some(),
        groupids: Vec::new(),
    }
}

/// Each employee's group IDs, for `getstaff`: one read of the partner's memberships, ordered
/// by group.
async fn groups_by_staff(
    state: &AppState,
    partner_id: i64,
) -> Result<HashMap<i64, Vec<String>>, V1Error> {
    let mut by_staff: HashMap<i64, Vec<String>> = HashMap::new();
    for (group_id, staff_id) in state.store.group_memberships(partner_id).await? {
        by_staff
            .entry(staff_id)
            .or_default()
            .push(group_id.to_string());
    }
    Ok(by_staff)
}

pub struct StaffApi;

/// Employees a page of `getstaff`'s answer: about 300 KB.
const STAFF_PAGE: usize = 1_000;

/// What `getstaff`'s body stream carries from one page of employees to the next.
struct StaffPages {
    state: SharedState,
    partner_id: i64,
    inn: String,
    groups: HashMap<i64, Vec<String>>,
    /// Who the answer lists, in its order, read when it started: each of them once, as they
    /// are when their page is read (one deleted meanwhile is left out).
    ids: Vec<i64>,
    /// The page read before the answer started (so that a failing database is still an error
    /// in the envelope), then none.
    ready: Option<Vec<StaffRow>>,
    /// Where in `ids` the next page starts.
    at: usize,
    first: bool,
    done: bool,
}

impl StaffPages {
    /// The next piece of the answer, or `None` after its end.
    async fn next(mut self) -> std::io::Result<Option<(Vec<u8>, Self)>> {
        if self.done {
            return Ok(None);
        }
        let page = &self.ids[self.at..(self.at + STAFF_PAGE).min(self.ids.len())];
        let rows = match self.ready.take() {
            Some(rows) => rows,
            None => self
                .state
                .store
                .staff_by_ids(self.partner_id, page)
                .await
                .map_err(|e| {
                    // The status line is long gone: the client sees the answer cut short.
                    tracing::error!(error = %e, "getstaff failed while writing");
                    std::io::Error::other(e.to_string())
                })?,
        };
        self.at += page.len();
        let mut out = Vec::new();
        if self.first {
            out.extend_from_slice(page_json::LIST_HEAD);
        }
        let time = &self.state.time;
        page_json::write_staff_items(&mut out, &self.inn, time, &rows, &self.groups, self.first);
        self.first = false;
        if self.at >= self.ids.len() {
            out.extend_from_slice(page_json::LIST_TAIL);
            self.done = true;
        }
        Ok(Some((out, self)))
    }
}

impl StaffApi {
    async fn list(
        req: &Request,
        auth: TokenAuth,
        body: V1Body<GetStaffRequest>,
    ) -> Result<JsonBytes<StaffListEnvelope>, V1Error> {
        let state = state(req)?;
        let partner = auth.0.require_partner()?;
        auth.0.check_inn(given(&body.0.inn))?;
        let groups = groups_by_staff(state, partner.id).await?;
        let ids = state.store.staff_ids_by_name(partner.id).await?;
        let first = &ids[..STAFF_PAGE.min(ids.len())];
        let ready = state.store.staff_by_ids(partner.id, first).await?;
        let pages = StaffPages {
            state: state.clone(),
            partner_id: partner.id,
            inn: partner.inn.clone(),
            groups,
            ids,
            ready: Some(ready),
            at: 0,
            first: true,
            done: false,
        };
        let body = futures_util::stream::try_unfold(pages, StaffPages::next);
        Ok(JsonBytes::stream(poem::Body::from_bytes_stream(body)))
    }
}

#[OpenApi(tag = "V1Tag::Staff")]
impl StaffApi {
    /// Получить список сотрудников
    ///
    /// Токен партнёра. Как в руководстве, тело JSON передаётся с GET; `?inn=` тоже принимается.
    #[oai(path = "/getstaff", method = "get")]
    async fn get_staff(
        &self,
        req: &Request,
        auth: TokenAuth,
        body: V1Body<GetStaffRequest>,
    ) -> Result<JsonBytes<StaffListEnvelope>, V1Error> {
        Self::list(req, auth, body).await
    }

    /// Получить список сотрудников (POST)
    ///
    /// То же, что GET, для клиентов, которые не умеют отправлять тело с GET.
    #[oai(path = "/getstaff", method = "post")]
    async fn get_staff_post(
        &self,
        req: &Request,
        auth: TokenAuth,
        body: V1Body<GetStaffRequest>,
    ) -> Result<JsonBytes<StaffListEnvelope>, V1Error> {
        Self::list(req, auth, body).await
    }

    /// Добавить сотрудников по списку компании (дополнение)
    ///
    /// Для АСУ партнёра (токен партнёра): до 10 000 сотрудников за вызов, `{"phone", "name"}`
    /// каждый. Новые телефоны становятся сотрудниками, сразу включёнными в рассылку (устройства
    /// у них нет до первого входа в приложение: сообщения им сохраняются и появятся в
    /// приложении после входа). Кто уже есть, остаётся как был (ФИО, состояние), а ожидавшие
    /// подтверждения подтверждаются: список компании за них ручается. Повтор ничего не портит —
    /// так можно выгружать весь штат из кадровой системы. Ошибка в одной записи (400 с её
    /// номером, `staff[N]`, с нуля) — ничего не добавлено; с `"skipinvalid": true` такие
    /// записи пропускаются и перечисляются в `skipped`. Если в настройках выбран вход
    /// «только по списку», войти в приложение можно только с этих телефонов. С
    /// `"disablemissing": true` список — это весь штат: кого в нём нет, тот отключается от
    /// рассылки в той же транзакции (уволенные перестают получать сообщения, история остаётся).
    #[oai(path = "/addstaff", method = "post")]
    async fn add_staff(
        &self,
        req: &Request,
        auth: TokenAuth,
        body: V1ListBody<AddStaffRequest>,
    ) -> Result<Json<AddStaffEnvelope>, V1Error> {
        let state = state(req)?;
        let partner = auth.0.require_writer()?;
        let b = body.0;
        auth.0.check_inn(given(&b.inn))?;
        let skip_invalid = flag(&b.skipinvalid, "skipinvalid")?.unwrap_or(false);
        let staff = b.staff.unwrap_or_default();
        let raw = staff.iter().enumerate().map(|(i, e)| {
            (
                Place::Entry(i),
                e.phone.as_deref().unwrap_or_default(),
                e.name.as_deref().unwrap_or_default(),
            )
        });
        let mut list = match skip_invalid {
            true => Lenient::read(raw, staff_list::MAX_LIST)?,
            false => {
                let entries = raw
                    .map(|(place, phone, name)| staff_list::entry(place, phone, name))
                    .collect::<Result<Vec<_>, _>>()?;
                Lenient {
                    entries: staff_list::distinct(entries, staff_list::MAX_LIST)?,
                    skipped: Vec::new(),
                }
            }
        };
        let whole_staff = flag(&b.disablemissing, "disablemissing")?.unwrap_or(false);
        let invite = flag(&b.invite, "invite")?.unwrap_or(false);
        if invite {
            sms_fallback::invitations_offered(&state.settings, partner)?;
        }
        let sync = given(&b.syncid).map(StaffSyncId::parse).transpose()?;
        let scope = match (whole_staff, sync) {
            (true, Some(_)) => {
                return Err(V1Error::bad_request(phrase!(
                    "Укажите либо disablemissing (весь штат одним вызовом), либо syncid (часть штата), но не оба",
                    "Give either disablemissing (the whole staff in one call) or syncid (a part of it), not both"
                )));
            }
            (true, None) => Scope::WholeStaff,
            (false, Some(id)) => Scope::PartOf(id),
            (false, None) => Scope::Addition,
        };
        let mut kept = list.kept();
        if scope != Scope::Addition {
            kept.extend(staff_list::keep_by_name(state, partner, &mut list).await?);
        }
        let result = staff_list::add(state, partner, &list.entries, &kept, scope).await?;
        let c = Counts::of(&result);
        audit::staff_list(state, req, partner.id, &auth.0.actor(), &c).await;
        let invited = if invite {
            let ids: Vec<i64> = result.listed.iter().map(|l| l.id).collect();
            let n = sms_fallback::want_invitations(state, partner.id, Some(&ids)).await?;
            audit::invitations_wanted(state, req, partner.id, &auth.0.actor(), n).await;
            Some(n)
        } else {
            None
        };
        Ok(AddStaffEnvelope::ok(AddStaffData {
            added: c.added as u64,
            approved: c.approved as u64,
            existing: c.existing as u64,
            staff: result.listed.into_iter().map(listed_item).collect(),
            disabled: c.disabled as u64,
            disabledstaffids: result.disabled.iter().map(i64::to_string).collect(),
            synclisted: result.sync_listed.map(|n| n as u64),
            skipped: skip_invalid.then(|| list.skipped.into_iter().map(skipped_item).collect()),
            invited,
        }))
    }

    /// Начать синхронизацию всего штата (дополнение)
    ///
    /// Для компаний больше 10 000 сотрудников, которые не помещаются в один `addstaff` с
    /// `disablemissing`. Токен партнёра. Ответ — `syncid`: его передают в каждый `addstaff`
    /// выгрузки (по 10 000 за вызов, каждый — своя транзакция), а затем в `finishstaffsync`,
    /// который отключает от рассылки тех, кто был сотрудником до начала синхронизации и не
    /// попал ни в один список. Новая синхронизация заменяет незавершённую; синхронизация
    /// открыта 24 часа. Незавершённая ничего не отключает.
    #[oai(path = "/beginstaffsync", method = "post")]
    async fn begin_staff_sync(
        &self,
        req: &Request,
        auth: TokenAuth,
        body: V1Body<BeginStaffSyncRequest>,
    ) -> Result<Json<BeginStaffSyncEnvelope>, V1Error> {
        let state = state(req)?;
        let partner = auth.0.require_writer()?;
        auth.0.check_inn(given(&body.0.inn))?;
        let sync = staff_list::begin_sync(state, partner).await?;
        Ok(BeginStaffSyncEnvelope::ok(StaffSyncData {
            syncid: sync.id.to_string(),
            startdate: state.time.format(sync.started_at),
            expiresdate: state.time.format(sync.expires_at),
        }))
    }

    /// Завершить синхронизацию всего штата (дополнение)
    ///
    /// Токен партнёра. Отключает от рассылки (не удаляет: история остаётся, включить можно в
    /// кабинете) сотрудников, которые были до начала синхронизации и не попали ни в один
    /// `addstaff` с её `syncid`; кто появился позже (вошёл в приложение, добавлен), не
    /// затрагивается. С `count` — только если списки назвали ровно столько сотрудников, иначе
    /// 409 и ничего не отключено (можно передать недостающих и завершить снова). Синхронизация
    /// без единого сотрудника не завершается (отключила бы всех). Завершённая, заменённая или
    /// истёкшая — 409.
    #[oai(path = "/finishstaffsync", method = "post")]
    async fn finish_staff_sync(
        &self,
        req: &Request,
        auth: TokenAuth,
        body: V1Body<FinishStaffSyncRequest>,
    ) -> Result<Json<FinishStaffSyncEnvelope>, V1Error> {
        let state = state(req)?;
        let partner = auth.0.require_writer()?;
        let b = body.0;
        auth.0.check_inn(given(&b.inn))?;
        let id = StaffSyncId::parse(required(&b.syncid, "syncid")?)?;
        if b.count.is_some_and(|n| n < 1) {
            return Err(V1Error::bad_request(phrase!(
                "Поле «count» — число сотрудников в выгрузке, от 1",
                "“count” is the number of employees exported, from 1"
            )));
        }
        let done = staff_list::finish_sync(state, partner, id, b.count).await?;
        audit::staff_synced(state, req, partner.id, &auth.0.actor(), &done).await;
        Ok(FinishStaffSyncEnvelope::ok(FinishStaffSyncData {
            syncid: id.to_string(),
            listed: done.listed as u64,
            disabled: done.disabled.len() as u64,
            disabledstaffids: done.disabled.iter().map(i64::to_string).collect(),
        }))
    }

    /// Изменить сотрудника (дополнение)
    ///
    /// Для АСУ партнёра (токен партнёра): ФИО (`name`), телефон (`phone`, новая SIM-карта:
    /// сотрудник входит в приложение уже с ним, его `staffid`, сеанс и история остаются) и
    /// рассылку (`statusnotification`: `enabled` включает или подтверждает, `disabled`
    /// отключает). Указанное меняется, остальное остаётся; нужно хотя бы одно. Номер,
    /// который уже у другого сотрудника, — ошибка 409 с его именем, и ничего не меняется.
    /// Ответ — сотрудник, как в `getstaff`.
    #[oai(path = "/updatestaff", method = "post")]
    async fn update_staff(
        &self,
        req: &Request,
        auth: TokenAuth,
        body: V1Body<UpdateStaffRequest>,
    ) -> Result<Json<UpdateStaffEnvelope>, V1Error> {
        let state = state(req)?;
        let partner = auth.0.require_writer()?;
        let b = body.0;
        auth.0.check_inn(given(&b.inn))?;
        let id = StaffId::parse(required(&b.staffid, "staffid")?)?;
        let name = given(&b.name).map(StaffName::parse).transpose()?;
        let phone = given(&b.phone).map(Phone::parse).transpose()?;
        let wanted = given(&b.statusnotification).map(wanted_state).transpose()?;
        if name.is_none() && phone.is_none() && wanted.is_none() {
            return Err(V1Error::bad_request(phrase!(
                "Укажите, что изменить: name, phone или statusnotification",
                "Say what to change: name, phone or statusnotification"
            )));
        }
        let edit = Edit {
            name: name.as_ref(),
            phone: phone.as_ref(),
            state: wanted,
        };
        let (after, changes) = staff_edit::edit(state, partner.id, id, edit).await?;
        audit::staff_changes(state, req, partner.id, &auth.0.actor(), &after, &changes).await;
        let id = after.id;
        let mut item = staff_item(&partner.inn, &state.time, after);
        item.groupids = state
            .store
            .groups_of(partner.id, StaffId(id))
            .await?
            .iter()
            .map(i64::to_string)
            .collect();
        Ok(UpdateStaffEnvelope::ok(item))
    }

    /// Удалить сотрудника и все его сообщения
    ///
    /// Токен партнёра (любой его сотрудник) или токен сотрудника (удаление собственного аккаунта).
    #[oai(path = "/deletestaff", method = "post")]
    async fn delete_staff(
        &self,
        req: &Request,
        auth: TokenAuth,
        body: V1Body<DeleteStaffRequest>,
    ) -> Result<Json<DeleteStaffEnvelope>, V1Error> {
        let state = state(req)?;
        let b = body.0;
        auth.0.check_inn(given(&b.inn))?;
        auth.0.refuse_limited_key()?;
        let id = match &auth.0 {
            Caller::Partner(..) => StaffId::parse(required(&b.staffid, "staffid")?)?,
            Caller::Staff { staff, .. } => match given(&b.staffid) {
                Some(raw) if StaffId::parse(raw)? != staff.staff_id() => {
                    return Err(V1Error::forbidden(phrase!(
                        "Токен сотрудника позволяет удалить только собственный аккаунт",
                        "An employee's token can delete its own account only"
                    )));
                }
                _ => staff.staff_id(),
            },
        };
        let partner_id = auth.0.partner().id;
        // The name, for the cabinet's journal: read before it is gone.
        let Some(row) = state.store.staff_by_id(partner_id, id).await? else {
            return Err(Error::not_found(messaging::staff_not_found(id)).into());
        };
        if !state.store.delete_staff(partner_id, id).await? {
            return Err(Error::not_found(messaging::staff_not_found(id)).into());
        }
        let actor = auth.0.actor();
        let who = audit::employee(&row.name, id.0);
        audit::record_about(
            state,
            req,
            partner_id,
            &actor,
            audit::Action::StaffDeleted,
            &who,
            id,
        )
        .await;
        tracing::info!(
            partner_id = auth.0.partner().id,
            staff_id = id.0,
            "employee deleted"
        );
        Ok(DeleteStaffEnvelope::ok(DeletedData {
            message: "Профиль сотрудника удален на сервере".into(),
        }))
    }
}
