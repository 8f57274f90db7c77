//! Employees: the list with their device, registration, push and state, searched, filtered
//! by state and paged; enable or disable, approve, rename, delete (with its messages, after a
//! confirmation page). An action brings the admin back to the page of the list they were on.

use super::super::errors::{CabinetError, CabinetResult};
use super::super::i18n::{Lang, Tr};
use super::super::layout::{Area, Layout};
use super::super::session::PartnerSession;
use super::super::{CabinetConfig, audit, html, session};
use super::csv_file::download as csv_download;
use super::{PageOf, done, done_counted, list_href, page_number};
use crate::domain::{GroupId, Phone, StaffId, StaffName, now_millis};
use crate::error::Error;
use crate::service::staff_edit::{self, Edit};
use crate::service::{groups, sms_fallback};
use crate::state::SharedState;
use crate::store::{GroupRow, StaffFilter, StaffRow, StaffSearch, StaffState, StaffTally};
use askama::Template;
use poem::web::{Data, Form, Path, Query};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;
use std::collections::HashMap;

pub struct EmployeeItem {
    pub id: i64,
    pub name: String,
    pub phone: String,
    pub device: String,
    pub registered: String,
    pub has_push: bool,
    pub state: &'static str,
    /// The names of the groups the employee is in.
    pub groups: Vec<String>,
}

impl EmployeeItem {
    pub(super) fn from_row(r: &StaffRow, cfg: &CabinetConfig) -> Self {
        Self {
            id: r.id,
            name: r.name.clone(),
            phone: r.phone.clone(),
            device: r
                .push_device
                .clone()
                .or_else(|| r.device.clone())
                .unwrap_or_default(),
            registered: cfg.datetime(r.created_at),
            has_push: r.push_token.is_some(),
            state: r.state().as_str(),
            groups: Vec::new(),
        }
    }
}

/// The list's query string; anything unparseable means "all" or the first page.
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    state: String,
    /// A group's ID: only its members.
    #[serde(default)]
    group: String,
    /// `none`: only those who get no push yet (not logged in, or push not allowed on the
    /// phone), the ones to remind to install the app.
    #[serde(default)]
    push: String,
    #[serde(default)]
    page: String,
    done: Option<String>,
    /// How many a bulk action changed, for its note.
    #[serde(default)]
    n: String,
}

impl ListParams {
    fn state(&self) -> Option<StaffState> {
        StaffState::parse(self.state.trim())
    }

    fn page(&self) -> usize {
        page_number(&self.page)
    }

    fn without_push(&self) -> bool {
        self.push.trim() == "none"
    }

    fn group(&self) -> Option<GroupId> {
        GroupId::parse(&self.group).ok()
    }

    /// The list's address with this search and filter on `page` (`done` left out).
    fn href(&self, page: usize) -> String {
        let state = self.state().map_or("", StaffState::as_str);
        let group = self.group().map(|g| g.to_string()).unwrap_or_default();
        let push = if self.without_push() { "none" } else { "" };
        list_href(
            LIST,
            &[
                ("q", self.q.trim()),
                ("state", state),
                ("group", &group),
                ("push", push),
            ],
            page,
        )
    }
}

const LIST: &str = "/cabinet/employees";
const EXPORT: &str = "/cabinet/employees.csv";

impl ListParams {
    /// The list's filters but its search.
    fn filter(&self) -> StaffFilter {
        StaffFilter {
            state: self.state(),
            without_push: self.without_push(),
            group: self.group().map(|g| g.0),
        }
    }

    fn search(&self) -> StaffSearch {
        StaffSearch::parse(&self.q)
    }
}

/// Every employee the list's search and filters select, on all its pages, as IDs in the
/// list's order (name, then ID).
async fn found_ids(
    state: &SharedState,
    partner_id: i64,
    p: &ListParams,
) -> CabinetResult<Vec<i64>> {
    Ok(state
        .store
        .staff_ids_found(partner_id, &p.filter(), &p.search())
        .await?)
}

/// The names of the partner's `groups` each of these employees is in, by name, by employee ID.
pub(super) async fn group_names(
    state: &SharedState,
    partner_id: i64,
    groups: &[GroupRow],
    staff_ids: &[i64],
) -> CabinetResult<HashMap<i64, Vec<String>>> {
    let names: HashMap<i64, &str> = groups.iter().map(|g| (g.id, g.name.as_str())).collect();
    let mut of: HashMap<i64, Vec<String>> = HashMap::new();
    for (group, staff_id) in state
        .store
        .group_memberships_of(partner_id, staff_ids)
        .await?
    {
        if let Some(name) = names.get(&group) {
            of.entry(staff_id).or_default().push((*name).to_owned());
        }
    }
    for listed in of.values_mut() {
        listed.sort();
    }
    Ok(of)
}

/// The page of the list `p` asks for, filtered, counted and paged in the database (the
/// `tally` already counts the list unfiltered or by state alone). Searched, the IDs of all it
/// finds are read (111,000 are under 1 MB) and the page's rows by them.
async fn find_page(
    state: &SharedState,
    partner_id: i64,
    p: &ListParams,
    page_size: usize,
    tally: &StaffTally,
) -> CabinetResult<PageOf<StaffRow>> {
    let filter = p.filter();
    let search = p.search();
    if !search.is_empty() {
        let ids = state
            .store
            .staff_ids_found(partner_id, &filter, &search)
            .await?;
        let found = PageOf::of(ids, p.page(), page_size);
        return Ok(PageOf {
            rows: state.store.staff_by_ids(partner_id, &found.rows).await?,
            matched: found.matched,
            page: found.page,
            pages: found.pages,
        });
    }
    let matched = match filter {
        StaffFilter {
            state: by_state,
            without_push: false,
            group: None,
        } => by_state.map_or(tally.total, |st| tally.in_state(st)),
        _ => {
            state
                .store
                .count_staff_filtered(partner_id, &filter)
                .await?
        }
    } as usize;
    let pages = matched.div_ceil(page_size).max(1);
    let page = p.page().clamp(1, pages);
    let rows = state
        .store
        .staff_filtered(
            partner_id,
            &filter,
            ((page - 1) * page_size) as i64,
            page_size as i64,
        )
        .await?;
    Ok(PageOf {
        rows,
        matched,
        page,
        pages,
    })
}

/// A group in the list's filter and bulk form.
pub struct GroupChoice {
    pub id: i64,
    pub name: String,
    pub selected: bool,
}

pub struct StateCount {
    pub state: &'static str,
    pub label: &'static str,
    pub count: usize,
    pub href: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "employees.html")]
struct EmployeesView {
    l: Layout,
    rows: Vec<EmployeeItem>,
    q: String,
    /// All the partner's employees, and how many of them are in each state.
    total: usize,
    states: Vec<StateCount>,
    all_href: String,
    /// The "no push yet" filter: on, how many it has (of all the partner's employees), and
    /// the list's address with it toggled.
    without_push: bool,
    without_push_count: usize,
    push_href: String,
    matched: usize,
    state_chosen: bool,
    filtered: bool,
    page: usize,
    pages: usize,
    prev: Option<String>,
    next: Option<String>,
    /// Where an action on a row brings the admin back to: this page of the list.
    back: String,
    /// The same, as the query of the link to a row's delete confirmation.
    back_query: String,
    /// The newest employee's ID when the page was made: "all found" acts on no one newer.
    upto: i64,
    /// The CSV download of what the list selects.
    export_href: String,
    /// The partner's groups, for the filter and the bulk form.
    groups: Vec<GroupChoice>,
    /// Shown with the "no push yet" filter, when the company has SMS: how many employees it
    /// may invite to the app now.
    invitable: Option<i64>,
}

#[derive(Template)]
#[template(path = "employee_delete.html")]
struct DeleteView {
    l: Layout,
    e: EmployeeItem,
    /// The list page the admin came from, for the form and for "cancel".
    back: String,
}

#[derive(Deserialize)]
pub struct BackQuery {
    back: Option<String>,
}

#[handler]
pub async fn list(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
    Query(p): Query<ListParams>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    let page_size = cfg.page_size as usize;
    let groups = state.store.groups(s.partner.id).await?;
    let group_chosen = p.group().map(|g| g.0);
    let tally = state.store.staff_tally(s.partner.id).await?;
    let found = find_page(state, s.partner.id, &p, page_size, &tally).await?;
    let ids: Vec<i64> = found.rows.iter().map(|r| r.id).collect();
    let mut groups_of = group_names(state, s.partner.id, &groups, &ids).await?;
    let chosen = p.state();
    let states = [
        StaffState::Active,
        StaffState::Disabled,
        StaffState::Pending,
    ]
    .into_iter()
    .map(|st| StateCount {
        state: st.as_str(),
        label: Tr(*lang).s(&format!("emp.n_{}", st.as_str())),
        count: tally.in_state(st) as usize,
        href: ListParams {
            q: p.q.clone(),
            state: st.as_str().to_owned(),
            group: p.group.clone(),
            push: p.push.clone(),
            ..ListParams::default()
        }
        .href(1),
        selected: chosen == Some(st),
    })
    .collect();
    let page = found.page;
    // Counted with the filter alone: the list's every view should not walk the staff for it.
    let invitable =
        if p.without_push() && sms_fallback::limit_of(&state.settings, s.partner.sms_limit)? > 0 {
            let since = now_millis() - sms_fallback::INVITE_INTERVAL_MS;
            Some(state.store.invitable_count(s.partner.id, since).await?)
        } else {
            None
        };
    let view = EmployeesView {
        l: Layout::signed_in(*lang, Area::Cabinet, "employees", s.who(), s.csrf)
            .with_counted_notice(p.done.as_deref(), p.n.parse().ok()),
        rows: found
            .rows
            .iter()
            .map(|r| {
                let mut e = EmployeeItem::from_row(r, cfg);
                e.groups = groups_of.remove(&r.id).unwrap_or_default();
                e
            })
            .collect(),
        q: p.q.trim().to_owned(),
        total: tally.total as usize,
        states,
        all_href: ListParams {
            q: p.q.clone(),
            group: p.group.clone(),
            push: p.push.clone(),
            ..ListParams::default()
        }
        .href(1),
        without_push: p.without_push(),
        without_push_count: tally.without_push as usize,
        push_href: ListParams {
            q: p.q.clone(),
            state: p.state.clone(),
            group: p.group.clone(),
            push: if p.without_push() { "" } else { "none" }.to_owned(),
            ..ListParams::default()
        }
        .href(1),
        matched: found.matched,
        state_chosen: chosen.is_some(),
        filtered: !p.q.trim().is_empty()
            || chosen.is_some()
            || group_chosen.is_some()
            || p.without_push(),
        page,
        pages: found.pages,
        prev: (page > 1).then(|| p.href(page - 1)),
        next: (page < found.pages).then(|| p.href(page + 1)),
        back: p.href(page),
        back_query: back_query(&p.href(page)),
        upto: tally.newest,
        export_href: p.href(1).replacen(LIST, EXPORT, 1),
        groups: groups
            .iter()
            .map(|g| GroupChoice {
                id: g.id,
                name: g.name.clone(),
                selected: Some(g.id) == group_chosen,
            })
            .collect(),
        invitable,
    };
    Ok(html(view.render()))
}

/// `?back=…` to carry the list's place through a page in between; nothing for the first page.
pub(super) fn back_query(back: &str) -> String {
    if back == LIST {
        return String::new();
    }
    // A pair of strings always encodes.
    format!(
        "?{}",
        serde_urlencoded::to_string([("back", back)]).unwrap_or_default()
    )
}

/// The page an action came from (its `back` field): an employee's card, or a page of the list
/// (only the list's own parameters are kept), else the list's first page; so the field cannot
/// send the admin anywhere else.
fn back_to(back: Option<&str>) -> String {
    if let Some(card) = back.filter(|b| card_of(b).is_some()) {
        return card.to_owned();
    }
    let p = listed(back);
    p.href(p.page())
}

/// The employee whose card `path` is (`/cabinet/employees/<id>`, digits only).
pub(super) fn card_of(path: &str) -> Option<i64> {
    let id = path.strip_prefix(LIST)?.strip_prefix('/')?;
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    id.parse().ok()
}

/// The list's parameters in a `back` field; none (the whole list) for anything else.
fn listed(back: Option<&str>) -> ListParams {
    let Some(query) = back.and_then(|b| b.strip_prefix(LIST)) else {
        return ListParams::default();
    };
    // `/cabinet/employeesX?…` is not the list.
    let Some(query) = query.strip_prefix('?').or(query.is_empty().then_some("")) else {
        return ListParams::default();
    };
    serde_urlencoded::from_str(query).unwrap_or_default()
}

#[derive(Deserialize)]
pub struct StateForm {
    csrf: String,
    state: String,
    back: Option<String>,
}

#[handler]
pub async fn set_state(
    req: &Request,
    Data(state): Data<&SharedState>,
    Path(id): Path<i64>,
    Form(form): Form<StateForm>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let (new_state, key) = match form.state.as_str() {
        "active" => (StaffState::Active, "enabled"),
        "disabled" => (StaffState::Disabled, "disabled"),
        _ => {
            return Err(CabinetError::Invalid(phrase!(
                "Неизвестное состояние сотрудника",
                "Unknown employee state"
            )));
        }
    };
    let edit = Edit {
        state: Some(new_state),
        ..Edit::default()
    };
    let (after, changes) = staff_edit::edit(state, s.partner.id, StaffId(id), edit).await?;
    audit::staff_changes(state, req, s.partner.id, &s.actor, &after, &changes).await;
    Ok(done(&back_to(form.back.as_deref()), key))
}

#[derive(Deserialize)]
pub struct RenameForm {
    csrf: String,
    name: String,
    /// Absent from forms older than the phone's field: the phone stays.
    phone: Option<String>,
    back: Option<String>,
}

#[handler]
pub async fn rename(
    req: &Request,
    Data(state): Data<&SharedState>,
    Path(id): Path<i64>,
    Form(form): Form<RenameForm>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let name = StaffName::parse(&form.name).map_err(|e| CabinetError::Invalid(e.0))?;
    let phone = form
        .phone
        .as_deref()
        .map(Phone::parse)
        .transpose()
        .map_err(|e| CabinetError::Invalid(e.0))?;
    let edit = Edit {
        name: Some(&name),
        phone: phone.as_ref(),
        state: None,
    };
    let (after, changes) = staff_edit::edit(state, s.partner.id, StaffId(id), edit).await?;
    audit::staff_changes(state, req, s.partner.id, &s.actor, &after, &changes).await;
    Ok(done(&back_to(form.back.as_deref()), "renamed"))
}

#[handler]
pub async fn confirm_delete(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
    Path(id): Path<i64>,
    Query(q): Query<BackQuery>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    let row = state
        .store
        .staff_by_id(s.partner.id, StaffId(id))
        .await?
        .ok_or(CabinetError::NotFound)?;
    let view = DeleteView {
        l: Layout::signed_in(*lang, Area::Cabinet, "employees", s.who(), s.csrf),
        e: EmployeeItem::from_row(&row, cfg),
        back: back_to(q.back.as_deref()),
    };
    Ok(html(view.render()))
}

#[derive(Deserialize)]
pub struct DeleteForm {
    csrf: String,
    back: Option<String>,
}

#[handler]
pub async fn delete(
    req: &Request,
    Data(state): Data<&SharedState>,
    Path(id): Path<i64>,
    Form(form): Form<DeleteForm>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let row = state
        .store
        .staff_by_id(s.partner.id, StaffId(id))
        .await?
        .ok_or(CabinetError::NotFound)?;
    if !state.store.delete_staff(s.partner.id, StaffId(id)).await? {
        return Err(CabinetError::NotFound);
    }
    let who = audit::employee(&row.name, id);
    audit::record_about(
        state,
        req,
        s.partner.id,
        &s.actor,
        audit::Action::StaffDeleted,
        &who,
        StaffId(id),
    )
    .await;
    tracing::info!(
        partner_id = s.partner.id,
        staff_id = id,
        "employee deleted from the cabinet"
    );
    // Their card is gone with them: from it, the admin lands on the list.
    let back = back_to(form.back.as_deref());
    let back = if card_of(&back).is_some() {
        LIST.to_owned()
    } else {
        back
    };
    Ok(done(&back, "deleted"))
}

/// What a bulk form asks: ticked rows, or everyone the list it was on selects.
enum BulkScope {
    Ticked(Vec<StaffId>),
    /// Everyone the list selects, up to the newest employee the admin could have seen: one who
    /// registered after the page was made is not approved unseen.
    Listed {
        upto: i64,
    },
}

/// What a bulk form's button does.
enum Intent {
    /// Puts the employees in this state.
    Set(StaffState),
    /// Opens the send form with the ticked employees chosen.
    Write,
    /// Puts the employees in the group chosen beside the buttons (`true`) or takes them out;
    /// `None` when no group was chosen.
    Group(Option<GroupId>, bool),
}

/// The bulk form repeats `id` once per ticked row, which a struct cannot hold: read pairs.
struct BulkForm {
    csrf: String,
    intent: Intent,
    scope: BulkScope,
    back: Option<String>,
}

impl BulkForm {
    fn parse(body: &str) -> CabinetResult<Self> {
        let invalid = CabinetError::bad_form;
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(body).map_err(|_| invalid())?;
        let (mut csrf, mut action, mut back, mut upto) = (String::new(), None, None, None);
        let mut ids = Vec::new();
        let mut group = None;
        for (k, v) in pairs {
            match k.as_str() {
                "csrf" => csrf = v,
                "group" => group = GroupId::parse(&v).ok(),
                "do" => action = Some(v),
                "back" => back = Some(v),
                "upto" => upto = Some(v.parse::<i64>().map_err(|_| invalid())?),
                "id" => ids.push(StaffId(v.parse::<i64>().map_err(|_| invalid())?)),
                _ => {}
            }
        }
        if action.as_deref() == Some("write") {
            return Ok(Self {
                csrf,
                intent: Intent::Write,
                scope: BulkScope::Ticked(ids),
                back,
            });
        }
        let (intent, everyone) = match action.as_deref() {
            Some("active") => (Intent::Set(StaffState::Active), false),
            Some("disabled") => (Intent::Set(StaffState::Disabled), false),
            Some("active_all") => (Intent::Set(StaffState::Active), true),
            Some("disabled_all") => (Intent::Set(StaffState::Disabled), true),
            Some("group_add") => (Intent::Group(group, true), false),
            Some("group_remove") => (Intent::Group(group, false), false),
            Some("group_add_all") => (Intent::Group(group, true), true),
            _ => {
                return Err(CabinetError::unknown_action());
            }
        };
        let scope = if everyone {
            BulkScope::Listed {
                upto: upto.ok_or_else(invalid)?,
            }
        } else {
            BulkScope::Ticked(ids)
        };
        Ok(Self {
            csrf,
            intent,
            scope,
            back,
        })
    }
}

/// Enables or disables (approves) the ticked employees, or all the list selects, at once.
#[handler]
pub async fn bulk(
    req: &Request,
    Data(state): Data<&SharedState>,
    body: String,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    let form = BulkForm::parse(&body)?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    if s.sends_only() && !matches!(form.intent, Intent::Write) {
        return Err(super::super::read_only::refuse_sender(state, req, &s).await);
    }
    let back = back_to(form.back.as_deref());
    let ids = match form.scope {
        BulkScope::Ticked(ids) => ids,
        BulkScope::Listed { upto } => {
            let p = listed(form.back.as_deref());
            found_ids(state, s.partner.id, &p)
                .await?
                .into_iter()
                .filter(|id| *id <= upto)
                .map(StaffId)
                .collect()
        }
    };
    if ids.is_empty() {
        return Ok(done(&back, "bulk_none"));
    }
    let new_state = match form.intent {
        Intent::Set(st) => st,
        Intent::Write => return write_to(state, s.partner.id, &ids, &back).await,
        Intent::Group(None, _) => return Ok(done(&back, "group_none")),
        Intent::Group(Some(group), add) => {
            return to_group(req, state, &s, group, &ids, add, &back).await;
        }
    };
    let changed = state
        .store
        .set_staff_state_many(s.partner.id, &ids, new_state, now_millis())
        .await?;
    tracing::info!(
        partner_id = s.partner.id,
        asked = ids.len(),
        changed,
        state = new_state.as_str(),
        "employees' state set in bulk"
    );
    let key = match new_state {
        StaffState::Disabled => "bulk_disabled",
        _ => "bulk_enabled",
    };
    if changed > 0 {
        let action = match new_state {
            StaffState::Disabled => audit::Action::StaffBulkDisabled,
            _ => audit::Action::StaffBulkEnabled,
        };
        let detail = changed.to_string();
        audit::record(state, req, s.partner.id, &s.actor, action, &detail).await;
    }
    Ok(done_counted(&back, key, changed))
}

/// Puts the employees in a group or takes them out, and says how many changed.
async fn to_group(
    req: &Request,
    state: &SharedState,
    s: &PartnerSession,
    group: GroupId,
    ids: &[StaffId],
    add: bool,
    back: &str,
) -> CabinetResult<Response> {
    let partner = &s.partner;
    let changed = match groups::change_members(state, partner, group, ids, add).await {
        Ok(n) => n,
        Err(Error::NotFound(_)) => return Err(CabinetError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let (action, key) = if add {
        (audit::Action::GroupMembersAdded, "bulk_group_added")
    } else {
        (audit::Action::GroupMembersRemoved, "bulk_group_removed")
    };
    if changed > 0 {
        let name = state
            .store
            .group(partner.id, group.0)
            .await?
            .map(|g| g.name)
            .unwrap_or_default();
        let detail = format!("«{name}»: {changed}");
        audit::record(state, req, partner.id, &s.actor, action, &detail).await;
    }
    Ok(done_counted(back, key, changed))
}

/// The send form with the ticked employees chosen: those of this partner in the mailing (a
/// message to anyone else would be refused). Only their IDs ride in the address.
async fn write_to(
    state: &SharedState,
    partner_id: i64,
    ids: &[StaffId],
    back: &str,
) -> CabinetResult<Response> {
    let ticked: Vec<i64> = ids.iter().map(|id| id.0).collect();
    let staff = state.store.staff_by_ids(partner_id, &ticked).await?;
    let chosen: Vec<(&str, String)> = staff
        .iter()
        .filter(|r| r.state() == StaffState::Active)
        .map(|r| ("staff", r.id.to_string()))
        .collect();
    if chosen.is_empty() {
        return Ok(done(back, "write_none"));
    }
    // Pairs of strings always encode.
    let query = serde_urlencoded::to_string(&chosen).unwrap_or_default();
    Ok(poem::web::Redirect::see_other(format!("/cabinet/send?{query}")).into_response())
}

/// The employee list as a CSV file: everyone the search and state filter select, all pages.
#[handler]
pub async fn export(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
    Query(p): Query<ListParams>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    let ids = found_ids(state, s.partner.id, &p).await?;
    let found = state.store.staff_by_ids(s.partner.id, &ids).await?;
    let groups = state.store.groups(s.partner.id).await?;
    let groups_of = group_names(state, s.partner.id, &groups, &ids).await?;
    let tr = Tr(*lang);
    let rows: Vec<[String; 8]> = found
        .iter()
        .map(|r| {
            let e = EmployeeItem::from_row(r, cfg);
            let groups = groups_of
                .get(&r.id)
                .map(|g| g.join(", "))
                .unwrap_or_default();
            [
                e.id.to_string(),
                e.name,
                e.phone,
                tr.state(e.state).to_owned(),
                e.device,
                tr.s(if e.has_push {
                    "common.yes"
                } else {
                    "common.no"
                })
                .to_owned(),
                cfg.timestamp(r.created_at),
                groups,
            ]
        })
        .collect();
    let header = [
        "emp.id",
        "emp.name",
        "emp.phone",
        "emp.state",
        "emp.device",
        "emp.push",
        "emp.registered",
        "emp.groups",
    ]
    .map(|key| tr.s(key).to_owned());
    let name = format!(
        "simo-employees-{}-{}.csv",
        s.partner.inn,
        cfg.date(now_millis())
    );
    csv_download(&name, std::iter::once(header).chain(rows))
}

#[derive(Deserialize)]
pub struct InviteForm {
    csrf: String,
}

/// Asks for an invitation to the app by SMS for every active employee who has not logged in
/// and was not invited in the last week; the server sends them in the background (see
/// `service::sms_fallback::send_invitations`), counted in the month's SMS.
#[handler]
pub async fn invite(
    req: &Request,
    Data(state): Data<&SharedState>,
    Form(form): Form<InviteForm>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    sms_fallback::invitations_offered(&state.settings, &s.partner)?;
    let n = sms_fallback::want_invitations(state, s.partner.id, None).await?;
    audit::invitations_wanted(state, req, s.partner.id, &s.actor, n).await;
    Ok(done_counted(INVITE_BACK, "bulk_invited", n))
}

/// Where the invitation form brings the admin back: the employees without the app.
const INVITE_BACK: &str = "/cabinet/employees?push=none";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_action_goes_back_to_the_card_or_the_list_it_came_from_and_nowhere_else() {
        assert_eq!(card_of("/cabinet/employees/42"), Some(42));
        for not_a_card in [
            "/cabinet/employees",
            "/cabinet/employees/",
            "/cabinet/employees/+42",
            "/cabinet/employees/42/delete",
            "/cabinet/employees/42?x=1",
            "/cabinet/employeesX/42",
            "https://example.com/cabinet/employees/42",
        ] {
            assert_eq!(card_of(not_a_card), None, "{not_a_card}");
        }
        assert_eq!(
            back_to(Some("/cabinet/employees/42")),
            "/cabinet/employees/42"
        );
        assert_eq!(back_to(Some("/cabinet/employees/42/delete")), LIST);
        assert_eq!(back_to(Some("https://example.com/")), LIST);
        assert_eq!(back_to(None), LIST);
    }
}
