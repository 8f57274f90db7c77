//! Messages: the filtered, searched, sorted list paged by keyset, and one message's page.

use super::super::errors::{CabinetError, CabinetResult};
use super::super::i18n::{Lang, Tr};
use super::super::layout::{Area, Layout};
use super::super::session::PartnerSession;
use super::super::{CabinetConfig, audit, html, read_only, session};
use super::journal::{actor_journal, actor_label, sender_label};
use super::{DoneQuery, done_counted};
use crate::domain::{GroupId, Millis, StaffId, now_millis};
use crate::error::Error;
use crate::service::messaging::{self, Source};
use crate::service::reminders;
use crate::state::SharedState;
use crate::store::{
    MessageListQuery, MessageListRow, MessageRow, MessageSort, MessageStatus, SendAcks,
    SendReminders, StaffFilter, StaffRow, StaffSearch, decode_cursor, encode_cursor, search_words,
    sender_filter,
};
use askama::Template;
use poem::web::{Data, Form, Path, Query};
use poem::{Request, Response, handler};
use serde::{Deserialize, Serialize};

const DAY_MS: i64 = 86_400_000;

/// Up to this many employees the filter is a list to pick from; a larger company gets a field
/// that takes an ID or a name (a list of 10,000 names was half a megabyte on every page).
const STAFF_SELECT_MAX: usize = 500;

/// The list's query string; everything optional, anything unparseable ignored or reported.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct ListParams {
    #[serde(default, skip_serializing_if = "is_blank")]
    pub staff: String,
    /// A group's ID: its members' messages.
    #[serde(default, skip_serializing_if = "is_blank")]
    pub group: String,
    /// A message's ID: the messages of its send (a bulk, group or scheduled send).
    #[serde(default, skip_serializing_if = "is_blank")]
    pub send: String,
    #[serde(default, skip_serializing_if = "is_blank")]
    pub from: String,
    #[serde(default, skip_serializing_if = "is_blank")]
    pub to: String,
    #[serde(default, skip_serializing_if = "is_blank")]
    pub status: String,
    /// Who sent them, as the journal names actors (`admin`, `admin:<login>`, `api`,
    /// `api:<key>`).
    #[serde(default, skip_serializing_if = "is_blank")]
    pub by: String,
    #[serde(default, skip_serializing_if = "is_blank")]
    pub q: String,
    #[serde(default, skip_serializing_if = "is_blank")]
    pub sort: String,
    #[serde(default, skip_serializing_if = "is_blank")]
    pub dir: String,
    #[serde(default, skip_serializing_if = "is_blank")]
    pub after: String,
}

fn is_blank(s: &str) -> bool {
    s.trim().is_empty()
}

pub struct Row {
    pub id: i64,
    pub staff_name: String,
    pub title: String,
    pub created: String,
    pub status: String,
    pub files: i64,
}

impl Row {
    pub(super) fn of(r: MessageListRow, cfg: &CabinetConfig) -> Self {
        Self {
            id: r.id,
            staff_name: r.staff_name,
            title: r.title,
            created: cfg.datetime(r.created_at),
            status: r.status,
            files: r.files,
        }
    }
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct Column {
    pub label: &'static str,
    pub href: String,
    /// "▲", "▼" or "" when the list is not sorted by this column.
    pub arrow: &'static str,
}

#[derive(Template)]
#[template(path = "messages.html")]
struct ListView {
    l: Layout,
    p: ListParams,
    rows: Vec<Row>,
    columns: Vec<Column>,
    staff: Vec<Choice>,
    /// The employee filter is a list to pick from (`staff`), not a text field.
    staff_select: bool,
    /// The employee the text field found, shown beside it.
    staff_found: Option<String>,
    statuses: Vec<Choice>,
    /// The partner's groups, to filter by one.
    groups: Vec<Choice>,
    /// Who sent them (`sender_choices`).
    senders: Vec<Choice>,
    next: Option<String>,
    first: Option<String>,
    /// The CSV of the whole list as filtered and sorted.
    export: String,
    /// Where to post "push again every message found", when the list is filtered to the
    /// messages whose push did not get through.
    resend_all: Option<String>,
    /// Where to post "remind everyone found", when the list is filtered to the messages
    /// awaiting acknowledgment.
    remind_all: Option<String>,
    /// The list is filtered and finds messages not recalled: "recall every one found".
    recall_all: Option<String>,
    filter_error: Option<String>,
    filtered: bool,
    /// The list is one send's messages: the message it was opened from, and the list without
    /// that filter.
    send_filter: Option<(String, String)>,
}

pub(super) fn href(p: &ListParams) -> String {
    href_at("/cabinet/messages", p)
}

/// `path` with the list's parameters (strings only: serializing them cannot fail).
fn href_at(path: &str, p: &ListParams) -> String {
    match serde_urlencoded::to_string(p) {
        Ok(q) if !q.is_empty() => format!("{path}?{q}"),
        _ => path.to_owned(),
    }
}

fn default_descending(sort: MessageSort) -> bool {
    sort == MessageSort::Created
}

pub(super) struct Parsed {
    pub query: MessageListQuery,
    pub error: Option<String>,
}

/// A bare date is a whole local day: `from` at its start, `to` up to the next day's start.
fn day_bound(
    state: &SharedState,
    raw: &str,
    next_day: bool,
    tr: Tr,
) -> Result<Option<Millis>, String> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    let start = state
        .time
        .parse(raw)
        .map_err(|e| tr.phrase(&e.0).to_owned())?;
    Ok(Some(if next_day { start + DAY_MS } else { start }))
}

fn parse(state: &SharedState, partner_id: i64, p: &ListParams, limit: i64, tr: Tr) -> Parsed {
    let sort = MessageSort::parse(&p.sort).unwrap_or(MessageSort::Created);
    let descending = match p.dir.as_str() {
        "asc" => false,
        "desc" => true,
        _ => default_descending(sort),
    };
    let mut error = None;
    let mut bound = |raw: &str, next| {
        day_bound(state, raw, next, tr).unwrap_or_else(|e| {
            error = Some(e);
            None
        })
    };
    let created_from = bound(&p.from, false);
    let created_before = bound(&p.to, true);
    Parsed {
        query: MessageListQuery {
            partner_id,
            staff_id: StaffId::parse(&p.staff).ok(),
            // Resolved by `read_filters`.
            send: None,
            group_id: GroupId::parse(&p.group).ok().map(|g| g.0),
            created_from,
            created_before,
            status: MessageStatus::parse(&p.status),
            awaiting_ack: p.status == AWAITING_ACK,
            words: search_words(&p.q),
            sent_by: sender_filter(&p.by),
            sort,
            descending,
            after: decode_cursor(&p.after),
            limit: limit + 1,
        },
        error,
    }
}

fn columns(l: &Layout, p: &ListParams, q: &MessageListQuery) -> Vec<Column> {
    MessageSort::ALL
        .into_iter()
        .map(|sort| {
            let current = q.sort == sort;
            let descending = if current {
                !q.descending
            } else {
                default_descending(sort)
            };
            let link = ListParams {
                sort: sort.as_str().to_owned(),
                dir: if descending { "desc" } else { "asc" }.to_owned(),
                after: String::new(),
                ..p.clone()
            };
            Column {
                label: l.t.s(&format!("msg.col_{}", sort.as_str())),
                href: href(&link),
                arrow: match (current, q.descending) {
                    (false, _) => "",
                    (true, true) => "▼",
                    (true, false) => "▲",
                },
            }
        })
        .collect()
}

/// The employee filter: an ID of the partner's employee, or else a name, a phone number or a
/// part of one that must match exactly one employee (the employee list's search). Returns the
/// name of the employee chosen; a text that finds none or several is the filter's error.
async fn resolve_staff(
    state: &SharedState,
    partner_id: i64,
    parsed: &mut Parsed,
    text: &str,
    tr: Tr,
) -> CabinetResult<Option<String>> {
    if let Some(id) = parsed.query.staff_id
        && let Some(row) = state.store.staff_by_id(partner_id, id).await?
    {
        return Ok(Some(row.name));
    }
    parsed.query.staff_id = None;
    if text.is_empty() {
        return Ok(None);
    }
    let search = StaffSearch::parse(text);
    let found = state
        .store
        .staff_ids_found(partner_id, &StaffFilter::default(), &search)
        .await?;
    let one = match found.as_slice() {
        [one] => state.store.staff_by_id(partner_id, StaffId(*one)).await?,
        _ => None,
    };
    match (one, found.len()) {
        (Some(row), _) => {
            parsed.query.staff_id = Some(StaffId(row.id));
            return Ok(Some(row.name));
        }
        (None, 0 | 1) => parsed.error = Some(format!("{} «{text}»", tr.s("msg.staff_none"))),
        (None, many) => {
            parsed.error = Some(format!(
                "{} «{text}»: {many}. {}",
                tr.s("msg.staff_many"),
                tr.s("msg.staff_narrow")
            ))
        }
    }
    Ok(None)
}

/// Whom the list can be filtered by: the company's own login, each named admin, the API's main
/// token and each named key; a sender chosen that is none of these now (an admin deleted, a
/// key revoked) is kept, chosen, at the end.
async fn sender_choices(
    state: &SharedState,
    partner_id: i64,
    tr: Tr,
    chosen: Option<&str>,
) -> CabinetResult<Vec<Choice>> {
    let mut senders = vec![(audit::ADMIN.to_owned(), tr.s("audit.who_main").to_owned())];
    for (login, name) in audit::people(&state.store, partner_id).await? {
        let actor = audit::admin(&login);
        let label = format!("{} ({name})", actor_label(&actor, tr));
        senders.push((actor, label));
    }
    senders.push((audit::API.to_owned(), tr.s("msg.by_api_main").to_owned()));
    for k in state.store.api_keys(partner_id, now_millis()).await? {
        if !k.name.is_empty() {
            let actor = audit::api_key(&k.name);
            let label = actor_label(&actor, tr);
            senders.push((actor, label));
        }
    }
    if let Some(by) = chosen
        && !senders.iter().any(|(actor, _)| actor == by)
    {
        senders.push((by.to_owned(), actor_label(by, tr)));
    }
    Ok(senders
        .into_iter()
        .map(|(value, label)| Choice {
            selected: Some(value.as_str()) == chosen,
            value,
            label,
        })
        .collect())
}

/// The list's parameters read as the page reads them, for the page and for its export: the
/// query, the partner's employees to pick from (a company of up to `STAFF_SELECT_MAX`), and
/// the name of the employee the filter chose. A name or phone typed in the filter's field is
/// searched in the database, as the employee list's search is.
pub(super) async fn read_filters(
    state: &SharedState,
    partner_id: i64,
    p: &ListParams,
    limit: i64,
    lang: Lang,
) -> CabinetResult<(Parsed, Option<Vec<StaffRow>>, Option<String>)> {
    let mut parsed = parse(state, partner_id, p, limit, Tr(lang));
    let text = p.staff.trim();
    let found = resolve_staff(state, partner_id, &mut parsed, text, Tr(lang)).await?;
    if let Ok(id) = p.send.trim().parse::<i64>() {
        parsed.query.send = Some(state.store.send_of(partner_id, id).await?);
    }
    let employees = match state.store.staff_tally(partner_id).await?.total as usize {
        n if n <= STAFF_SELECT_MAX => Some(state.store.list_staff(partner_id).await?),
        _ => None,
    };
    Ok((parsed, employees, found))
}

#[handler]
pub async fn list(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
    Query(p): Query<ListParams>,
    Query(notice): Query<RecallNotice>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    let (mut parsed, employees, staff_found) =
        read_filters(state, s.partner.id, &p, cfg.page_size, *lang).await?;
    let text = p.staff.trim();
    let unresolved = parsed.query.staff_id.is_none() && !text.is_empty();
    let mut found: Vec<MessageListRow> = if unresolved {
        Vec::new()
    } else {
        state.store.list_partner_messages(&parsed.query).await?
    };
    let more = found.len() as i64 > cfg.page_size;
    found.truncate(cfg.page_size as usize);
    let l = Layout::signed_in(*lang, Area::Cabinet, "messages", s.who(), s.csrf)
        .with_counted_notice(notice.done.done.as_deref(), notice.n);
    let next = match found.last() {
        Some(last) if more => Some(href(&ListParams {
            after: encode_cursor(&last.cursor(parsed.query.sort)),
            ..p.clone()
        })),
        _ => None,
    };
    let first = (!p.after.is_empty()).then(|| {
        href(&ListParams {
            after: String::new(),
            ..p.clone()
        })
    });
    let export = href_at(
        "/cabinet/messages.csv",
        &ListParams {
            after: String::new(),
            ..p.clone()
        },
    );
    let found_action = |path: &str| {
        href_at(
            path,
            &ListParams {
                after: String::new(),
                ..p.clone()
            },
        )
    };
    let resend_all = (undelivered(parsed.query.status) && !found.is_empty())
        .then(|| found_action("/cabinet/messages/resend"));
    let remind_all = (parsed.query.awaiting_ack && !found.is_empty())
        .then(|| found_action("/cabinet/messages/remind"));
    let recall_all = (!l.read_only
        && parsed.query.filtered()
        && parsed.query.status != Some(MessageStatus::Recalled)
        && !found.is_empty())
    .then(|| found_action("/cabinet/messages/recall"));
    let staff_select = employees.is_some();
    let staff = employees
        .unwrap_or_default()
        .into_iter()
        .map(|r| Choice {
            selected: parsed.query.staff_id == Some(StaffId(r.id)),
            value: r.id.to_string(),
            label: r.name,
        })
        .collect();
    let mut statuses: Vec<Choice> = MessageStatus::ALL
        .into_iter()
        .map(|st| Choice {
            value: st.as_str().to_owned(),
            label: l.t.status(st.as_str()).to_owned(),
            selected: parsed.query.status == Some(st),
        })
        .collect();
    // Not a status: the messages that still wait for the employee's acknowledgment, whatever
    // became of their push.
    statuses.push(Choice {
        value: AWAITING_ACK.to_owned(),
        label: l.t.s("msg.awaiting_ack").to_owned(),
        selected: parsed.query.awaiting_ack,
    });
    let rows = found.into_iter().map(|r| Row::of(r, cfg)).collect();
    let groups = state
        .store
        .groups(s.partner.id)
        .await?
        .into_iter()
        .map(|g| Choice {
            selected: parsed.query.group_id == Some(g.id),
            value: g.id.to_string(),
            label: g.name,
        })
        .collect();
    let senders = sender_choices(state, s.partner.id, l.t, parsed.query.sent_by.as_deref()).await?;
    let filtered = [
        &p.staff, &p.group, &p.send, &p.from, &p.to, &p.status, &p.by, &p.q,
    ]
    .iter()
    .any(|v| !is_blank(v));
    let send_filter = parsed.query.send.map(|_| {
        let all = ListParams {
            send: String::new(),
            after: String::new(),
            ..p.clone()
        };
        (p.send.trim().to_owned(), href(&all))
    });
    let view = ListView {
        columns: columns(&l, &p, &parsed.query),
        l,
        rows,
        staff,
        staff_select,
        staff_found,
        statuses,
        groups,
        senders,
        next,
        first,
        export,
        resend_all,
        remind_all,
        recall_all,
        filter_error: parsed.error,
        filtered,
        send_filter,
        p,
    };
    Ok(html(view.render()))
}

/// The statuses of a message whose push did not get through.
fn undelivered(status: Option<MessageStatus>) -> bool {
    matches!(
        status,
        Some(MessageStatus::Failed | MessageStatus::NoDevice)
    )
}

/// Messages one "push again every message found" takes at most; a larger list is refused
/// with a request to narrow the filter.
const RESEND_FOUND_MAX: usize = 100_000;

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// Pushes again every message the list's filters find (failed or without a device), whose
/// employees have a device now, and comes back to the list.
#[handler]
pub async fn resend_found(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(lang): Data<&Lang>,
    Query(p): Query<ListParams>,
    Form(form): Form<CsrfForm>,
) -> CabinetResult<Response> {
    push_again_found(req, state, *lang, p, &form, Again::Resend).await
}

/// Reminds every employee of the messages the list's filters find awaiting acknowledgment, and
/// comes back to the list.
#[handler]
pub async fn remind_found(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(lang): Data<&Lang>,
    Query(p): Query<ListParams>,
    Form(form): Form<CsrfForm>,
) -> CabinetResult<Response> {
    push_again_found(req, state, *lang, p, &form, Again::Remind).await
}

/// `push_again` for every message the list's filters find, which must be those it applies to
/// (undelivered for a resend, awaiting acknowledgment for a reminder).
async fn push_again_found(
    req: &Request,
    state: &SharedState,
    lang: Lang,
    p: ListParams,
    form: &CsrfForm,
    again: Again,
) -> CabinetResult<Response> {
    let (s, query) = posted_filters(req, state, lang, &p, form).await?;
    match again {
        Again::Resend if !undelivered(query.status) => {
            return Err(CabinetError::Invalid(phrase!(
                "Отправить ещё раз можно только недоставленные: выберите статус «Нет устройства» или «Ошибка доставки»",
                "Only undelivered messages can be pushed again: choose the status \"No device\" or \"Delivery failed\""
            )));
        }
        Again::Remind if !query.awaiting_ack => {
            return Err(CabinetError::Invalid(phrase!(
                "Напомнить можно только о сообщениях, ждущих ознакомления: выберите этот статус",
                "Only messages awaiting acknowledgment can be reminded of: choose that status"
            )));
        }
        _ => {}
    }
    let ids = found_ids(state, query).await?;
    let mut done = Vec::new();
    for chunk in ids.chunks(10_000) {
        done.extend(match again {
            Again::Resend => messaging::resend(state, &s.partner, chunk, Source::Cabinet).await?,
            Again::Remind => reminders::remind(state, &s.partner, chunk).await?,
        });
    }
    let back = href(&ListParams {
        after: String::new(),
        ..p
    });
    Ok(pushed_again(req, state, &s, again, &done, &back).await)
}

/// The session and the list's filters of a form posted from the list (`?…` its filters),
/// checked: its CSRF token, and the filters' error refused (an employee typed and not found,
/// or found twice, for whom the list shows nothing).
async fn posted_filters(
    req: &Request,
    state: &SharedState,
    lang: Lang,
    p: &ListParams,
    form: &CsrfForm,
) -> CabinetResult<(PartnerSession, MessageListQuery)> {
    let s = session::partner(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let (parsed, _, _) = read_filters(state, s.partner.id, p, PAGE_OF_IDS, lang).await?;
    if let Some(error) = parsed.error {
        return Err(CabinetError::Invalid(crate::phrase::Phrase::new(
            error.clone(),
            error,
        )));
    }
    Ok((s, parsed.query))
}

/// The IDs of every message `query` (`posted_filters`) finds, at most `RESEND_FOUND_MAX`.
async fn found_ids(state: &SharedState, mut query: MessageListQuery) -> CabinetResult<Vec<i64>> {
    query.after = None;
    query.limit = PAGE_OF_IDS;
    let mut ids = Vec::new();
    loop {
        let rows = state.store.list_partner_messages(&query).await?;
        ids.extend(rows.iter().map(|r| r.id));
        if ids.len() > RESEND_FOUND_MAX {
            return Err(CabinetError::Invalid(phrase!(
                "Найдено больше 100 000 сообщений: уточните фильтр",
                "More than 100,000 messages found: narrow the filter"
            )));
        }
        match rows.last() {
            Some(last) if rows.len() as i64 == PAGE_OF_IDS => {
                query.after = Some(last.cursor(query.sort));
            }
            _ => return Ok(ids),
        }
    }
}

/// Recalls every message the list's filters find (a filter is required: never the whole
/// list), a sender's own only, and comes back to the list.
#[handler]
pub async fn recall_found(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(lang): Data<&Lang>,
    Query(p): Query<ListParams>,
    Form(form): Form<CsrfForm>,
) -> CabinetResult<Response> {
    let (s, mut query) = posted_filters(req, state, *lang, &p, &form).await?;
    if !query.filtered() {
        return Err(CabinetError::Invalid(phrase!(
            "Чтобы отозвать найденные сообщения, выберите сотрудника, группу, отправителя, даты, статус или слова поиска",
            "To recall the messages found, choose an employee, a group, a sender, dates, a status or words to search"
        )));
    }
    // A colleague's sends are theirs to undo (`PartnerSession::may_undo`).
    if s.sends_only() {
        query.sent_by = Some(s.actor.clone());
    }
    let ids = found_ids(state, query).await?;
    let mut recalled = Vec::new();
    for chunk in ids.chunks(10_000) {
        let done = messaging::recall(state, &s.partner, chunk, Source::Cabinet).await?;
        recalled.extend(done.recalled);
    }
    if !recalled.is_empty() {
        let detail = messaging::messages_audit_detail(&recalled);
        let action = audit::Action::MessagesRecalled;
        audit::record(state, req, s.partner.id, &s.actor, action, &detail).await;
    }
    let back = href(&ListParams {
        after: String::new(),
        ..p
    });
    Ok(done_counted(&back, "bulk_recalled", recalled.len() as u64))
}

/// The status filter's value for "awaiting acknowledgment".
const AWAITING_ACK: &str = "awaiting_ack";

/// Rows read per page while collecting what the filters find.
const PAGE_OF_IDS: i64 = 1000;

/// One line of a message's history.
pub struct Event {
    pub status: String,
    pub at: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "message.html")]
struct ShowView {
    l: Layout,
    m: MessageRow,
    /// The files it carries, in its order.
    files: Vec<FileView>,
    staff_name: String,
    created: String,
    /// Who sent it, and the journal of their actions when it is known.
    sender: String,
    sender_journal: Option<String>,
    /// The message list filtered to that sender.
    sender_list: Option<String>,
    history: Vec<Event>,
    recalled: bool,
    /// Messages of the same send not yet recalled, this one included (see `Store::same_send`).
    same_send: i64,
    /// The admin may recall it (`PartnerSession::may_undo`).
    may_recall: bool,
    /// The send's messages by status, in the statuses' order, each count a link
    /// (`tally_partial`), and how many in all (recalled ones too); none for a message sent alone.
    tally: Vec<(String, i64)>,
    tally_href: String,
    send_total: i64,
    /// Failed or without a device: the page offers to push it again.
    undelivered: bool,
    /// How many `resend` would queue: this message alone, and its whole send.
    resendable_one: i64,
    resendable_send: i64,
    /// For a message that asks to be acknowledged.
    ack: Option<AckView>,
}

/// Who acknowledged a message that asks for it: this recipient, and the whole send.
struct AckView {
    /// When this message's employee acknowledged it; empty: not yet.
    acked_at: String,
    /// The send's counts and who has not acknowledged, when it went to more than one.
    send: Option<SendAcks>,
    /// More have not acknowledged than `waiting` lists.
    more: i64,
    /// Someone of the send has not acknowledged yet: the page offers reminders.
    someone_waiting: bool,
    /// Who can be reminded now (`Store::send_reminders`); the last reminder of the send.
    reminders: SendReminders,
    last_reminder: String,
    /// The partner's automatic reminders: hours after sending (0: off).
    auto_hours: i64,
}

/// A file a message carries, as its page lists it.
struct FileView {
    id: i64,
    name: String,
    /// Its size as a person reads it ("120 КБ").
    size: String,
}

/// Recipients listed by name on the page as not having acknowledged; the list's filter
/// "awaiting acknowledgment" has them all.
const ACK_WAITING_SHOWN: i64 = 100;

/// The history as the message row records it: creation, then each timestamp it has.
fn history_from_row(m: &MessageRow, cfg: &CabinetConfig) -> Vec<Event> {
    let mut events = vec![Event {
        status: "created".into(),
        at: cfg.datetime(m.created_at),
        detail: m.source.clone(),
    }];
    for (status, at) in [
        ("sent", m.sent_at),
        ("delivered", m.delivered_at),
        ("read", m.read_at),
    ] {
        if let Some(at) = at {
            events.push(Event {
                status: status.into(),
                at: cfg.datetime(at),
                detail: String::new(),
            });
        }
    }
    if matches!(m.status(), MessageStatus::Failed | MessageStatus::NoDevice) {
        events.push(Event {
            status: m.status.clone(),
            at: String::new(),
            detail: m.status_reason.clone().unwrap_or_default(),
        });
    }
    events
}

#[handler]
pub async fn show(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
    Path(id): Path<String>,
    Query(q): Query<RecallNotice>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    let id: i64 = id.parse().map_err(|_| CabinetError::NotFound)?;
    // Scoped by partner: another partner's message id is simply not found.
    let m = state
        .store
        .message_by_id(s.partner.id, id)
        .await?
        .ok_or(CabinetError::NotFound)?;
    let staff_name = state
        .store
        .staff_by_id(s.partner.id, StaffId(m.staff_id))
        .await?
        .map(|r| r.name)
        .unwrap_or_default();
    let sent_by = state.store.message_sent_by(s.partner.id, m.id).await?;
    let sender = sender_label(sent_by.as_deref(), &m.source, Tr(*lang));
    let sender_journal = sent_by.as_deref().map(actor_journal);
    let sender_list = sent_by.as_deref().and_then(sender_filter).map(|by| {
        href(&ListParams {
            by,
            ..ListParams::default()
        })
    });
    let events = state.store.message_events(s.partner.id, m.id).await?;
    // Messages stored before the status history existed have only their row's timestamps.
    let history = if events.is_empty() {
        history_from_row(&m, cfg)
    } else {
        events
            .into_iter()
            .map(|e| Event {
                status: e.status,
                at: cfg.datetime(e.created_at),
                detail: e.detail.unwrap_or_default(),
            })
            .collect()
    };
    let recalled = m.status() == MessageStatus::Recalled;
    let same_send = if recalled {
        0
    } else {
        state.store.same_send_count(s.partner.id, m.id).await?
    };
    let tally = state.store.send_tally(s.partner.id, m.id).await?;
    let send_total = tally.iter().map(|(_, n)| n).sum();
    let undelivered = matches!(m.status(), MessageStatus::Failed | MessageStatus::NoDevice);
    let (mut resendable_one, mut resendable_send) = (0, 0);
    if undelivered {
        resendable_one = state.store.resendable_count(s.partner.id, &[m.id]).await?;
        if same_send > 1 {
            resendable_send = state.store.resendable_in_send(s.partner.id, m.id).await?;
        }
    }
    let ack = if m.ack_required {
        let send = if same_send > 1 {
            Some(
                state
                    .store
                    .send_acks(s.partner.id, m.id, ACK_WAITING_SHOWN)
                    .await?,
            )
        } else {
            None
        };
        let more = send
            .as_ref()
            .map_or(0, |a| (a.total - a.acked - a.waiting.len() as i64).max(0));
        let since = now_millis() - reminders::REMIND_INTERVAL.as_millis() as Millis;
        let remindable = state
            .store
            .send_reminders(s.partner.id, m.id, since)
            .await?;
        let someone_waiting = match &send {
            Some(send) => send.acked < send.total,
            None => m.acked_at.is_none(),
        };
        Some(AckView {
            acked_at: m.acked_at.map(|at| cfg.datetime(at)).unwrap_or_default(),
            someone_waiting,
            send,
            more,
            last_reminder: remindable
                .last
                .map(|at| cfg.datetime(at))
                .unwrap_or_default(),
            reminders: remindable,
            auto_hours: state.store.ack_remind_hours(s.partner.id).await?,
        })
    } else {
        None
    };
    let may_recall = s.may_undo(sent_by.as_deref());
    let l = Layout::signed_in(*lang, Area::Cabinet, "messages", s.who(), s.csrf)
        .with_title(m.title.clone())
        .with_counted_notice(q.done.done.as_deref(), q.n);
    let files = state
        .store
        .files_of_messages(&[m.id])
        .await?
        .remove(&m.id)
        .unwrap_or_default()
        .into_iter()
        .map(|f| FileView {
            id: f.id,
            size: size_label(f.size, Tr(*lang)),
            name: f.name,
        })
        .collect();
    let view = ShowView {
        l,
        files,
        staff_name,
        created: cfg.datetime(m.created_at),
        sender,
        sender_journal,
        sender_list,
        history,
        recalled,
        same_send,
        may_recall,
        tally,
        tally_href: format!("/cabinet/messages?send={}", m.id),
        send_total,
        undelivered,
        resendable_one,
        resendable_send,
        ack,
        m,
    };
    Ok(html(view.render()))
}

/// A file's size in КБ or МБ (KB, MB), as a list shows it.
pub fn size_label(bytes: i64, t: Tr) -> String {
    let kb = (bytes as f64 / 1024.0).max(0.1);
    if kb < 1024.0 {
        format!("{} {}", trimmed(kb), t.s("msg.kb"))
    } else {
        format!("{} {}", trimmed(kb / 1024.0), t.s("msg.mb"))
    }
}

/// One decimal, none when it is zero: 12 КБ, 1.5 МБ.
fn trimmed(n: f64) -> String {
    let s = format!("{n:.1}");
    s.strip_suffix(".0").map(str::to_owned).unwrap_or(s)
}

/// Downloads a file of one of the partner's messages.
#[handler]
pub async fn file(
    req: &Request,
    Data(state): Data<&SharedState>,
    Path((id, file)): Path<(String, String)>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    let (Ok(id), Ok(file)) = (id.parse::<i64>(), file.parse::<i64>()) else {
        return Err(CabinetError::NotFound);
    };
    // The message must be the partner's and carry the file: a file ID alone is not enough.
    state
        .store
        .message_by_id(s.partner.id, id)
        .await?
        .ok_or(CabinetError::NotFound)?;
    let carried = state.store.message_file_ids(id).await?;
    if !carried.contains(&file) {
        return Err(CabinetError::NotFound);
    }
    download(state, s.partner.id, file).await
}

/// One of the partner's files, as a download (the caller checked what carries it).
pub(super) async fn download(
    state: &SharedState,
    partner_id: i64,
    file_id: i64,
) -> CabinetResult<Response> {
    let f = state
        .store
        .partner_file(partner_id, file_id)
        .await?
        .ok_or(CabinetError::NotFound)?;
    Ok(Response::builder()
        .content_type(f.content_type)
        .header(
            "Content-Disposition",
            crate::service::files::content_disposition(&f.name),
        )
        .header("X-Content-Type-Options", "nosniff")
        .header("Cache-Control", "private, no-store")
        .body(f.data))
}

/// `?done=bulk_recalled&n=…` after a recall.
#[derive(Debug, Default, Deserialize)]
pub struct RecallNotice {
    #[serde(flatten)]
    done: DoneQuery,
    n: Option<u64>,
}

/// The recall's and the resend's form.
#[derive(Deserialize)]
pub struct RecallForm {
    csrf: String,
    /// `one`: this message; `send`: every message of its send (`Store::same_send`).
    scope: String,
}

impl RecallForm {
    /// The messages the form means: message `id`, or every message of its send.
    async fn messages(
        &self,
        state: &SharedState,
        partner_id: i64,
        id: i64,
    ) -> CabinetResult<Vec<i64>> {
        match self.scope.as_str() {
            "one" => Ok(vec![id]),
            "send" => Ok(state.store.same_send(partner_id, id).await?),
            _ => Err(CabinetError::unknown_action()),
        }
    }
}

/// Recalls the message, or its whole send, and comes back to its page.
#[handler]
pub async fn recall(
    req: &Request,
    Data(state): Data<&SharedState>,
    Path(id): Path<String>,
    Form(form): Form<RecallForm>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let id: i64 = id.parse().map_err(|_| CabinetError::NotFound)?;
    // A send's messages share their sender: the one asked for answers for them all. Only a
    // sender's right depends on it.
    if s.sends_only() {
        let sent_by = state.store.message_sent_by(s.partner.id, id).await?;
        read_only::check_undo(state, req, &s, sent_by.as_deref()).await?;
    }
    let mut ids = form.messages(state, s.partner.id, id).await?;
    if ids.is_empty() {
        // The whole send was recalled meanwhile (another tab): this one then answers "already".
        ids.push(id);
    }
    let done = match messaging::recall(state, &s.partner, &ids, Source::Cabinet).await {
        Ok(done) => done,
        Err(Error::NotFound(_)) => return Err(CabinetError::NotFound),
        Err(e) => return Err(e.into()),
    };
    if !done.recalled.is_empty() {
        audit::record(
            state,
            req,
            s.partner.id,
            &s.actor,
            audit::Action::MessagesRecalled,
            &messaging::messages_audit_detail(&done.recalled),
        )
        .await;
    }
    Ok(done_counted(
        &format!("/cabinet/messages/{id}"),
        "bulk_recalled",
        done.recalled.len() as u64,
    ))
}

/// Pushes again the message, or every undelivered message of its send, whose employees have a
/// device now, and comes back to its page.
#[handler]
pub async fn resend(
    req: &Request,
    Data(state): Data<&SharedState>,
    Path(id): Path<String>,
    Form(form): Form<RecallForm>,
) -> CabinetResult<Response> {
    push_again(req, state, &id, &form, Again::Resend).await
}

/// Reminds the employee of the message, or everyone of its send who has not acknowledged it
/// yet, and comes back to its page.
#[handler]
pub async fn remind(
    req: &Request,
    Data(state): Data<&SharedState>,
    Path(id): Path<String>,
    Form(form): Form<RecallForm>,
) -> CabinetResult<Response> {
    push_again(req, state, &id, &form, Again::Remind).await
}

/// What a message's page pushes again.
#[derive(Debug, Clone, Copy)]
enum Again {
    /// What could not be pushed (`messaging::resend`).
    Resend,
    /// A reminder to acknowledge (`messaging::remind`).
    Remind,
}

/// The resend and the reminder of message `id` or its send (`form.scope`): the journal says
/// which were pushed again, the page how many.
async fn push_again(
    req: &Request,
    state: &SharedState,
    id: &str,
    form: &RecallForm,
    again: Again,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let id: i64 = id.parse().map_err(|_| CabinetError::NotFound)?;
    // Scoped by partner: another partner's message id is simply not found.
    if state.store.message_by_id(s.partner.id, id).await?.is_none() {
        return Err(CabinetError::NotFound);
    }
    let ids = form.messages(state, s.partner.id, id).await?;
    let done = match again {
        Again::Resend => messaging::resend(state, &s.partner, &ids, Source::Cabinet).await?,
        Again::Remind => reminders::remind(state, &s.partner, &ids).await?,
    };
    let back = format!("/cabinet/messages/{id}");
    Ok(pushed_again(req, state, &s, again, &done, &back).await)
}

/// The journal's entry for the messages `done` pushed again, and the way `back` saying how many.
async fn pushed_again(
    req: &Request,
    state: &SharedState,
    s: &PartnerSession,
    again: Again,
    done: &[i64],
    back: &str,
) -> Response {
    let (action, notice) = match again {
        Again::Resend => (audit::Action::MessagesResent, "bulk_resent"),
        Again::Remind => (audit::Action::MessagesReminded, "bulk_reminded"),
    };
    if !done.is_empty() {
        let detail = messaging::messages_audit_detail(done);
        audit::record(state, req, s.partner.id, &s.actor, action, &detail).await;
    }
    done_counted(back, notice, done.len() as u64)
}
