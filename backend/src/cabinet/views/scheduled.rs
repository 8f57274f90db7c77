//! Scheduled sends: the waiting ones (with "cancel") and what became of the latest ones.

use super::super::errors::{CabinetError, CabinetResult};
use super::super::i18n::{Lang, Tr};
use super::super::layout::{Area, Layout};
use super::super::{CabinetConfig, audit, html, read_only, session};
use super::send::{
    GroupOption, group_options, repeat_choices, repeat_key, staff_for_form, typed_recipients,
};
use super::{DoneQuery, done};
use crate::domain::{GroupId, MessageText, Repeat, StaffId, Title, now_millis, shortened};
use crate::error::Error;
use crate::service::messaging::Recipients;
use crate::service::schedule;
use crate::state::SharedState;
use crate::store::{FilesBySend, ScheduledRow};
use askama::Template;
use poem::http::StatusCode;
use poem::web::{Data, Form, Path, Query, Redirect};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};

/// Sent or cancelled sends listed under the waiting ones.
const DONE_LISTED: i64 = 50;

/// Characters of the text shown under the title.
const PREVIEW_CHARS: usize = 120;

pub struct Row {
    pub id: i64,
    pub at: String,
    pub title: String,
    pub preview: String,
    /// "All active employees", "N employees" or the group's name.
    pub recipients: String,
    /// Who scheduled it (the admin, the API key).
    pub scheduled_by: String,
    /// How it repeats ("every day"), or empty for once.
    pub repeat: String,
    pub state: String,
    pub sent: bool,
    pub done_at: String,
    pub created: i64,
    pub refused: i64,
    pub refused_detail: String,
    pub first_message_id: Option<i64>,
    /// Its messages ask to be acknowledged.
    pub ack: bool,
    /// The admin may cancel it (`PartnerSession::may_undo`).
    pub cancellable: bool,
    /// The files its messages carry: (ID, name), in their order.
    pub files: Vec<(i64, String)>,
}

impl Row {
    fn of(
        r: ScheduledRow,
        t: Tr,
        cfg: &CabinetConfig,
        groups: &HashMap<i64, String>,
        files: &mut FilesBySend,
    ) -> Self {
        let files = files
            .remove(&r.id)
            .unwrap_or_default()
            .into_iter()
            .map(|f| (f.id, f.name))
            .collect();
        let recipients = match (r.listed_count(), r.group_id) {
            (_, Some(g)) => match groups.get(&g) {
                Some(name) => format!("{} «{name}»", t.s("sched.to_group")),
                None => format!("{} {g}", t.s("sched.to_group")),
            },
            (None, None) => t.s("sched.to_all").to_owned(),
            (Some(n), None) => format!("{}: {n}", t.s("sched.to_listed")),
        };
        let preview = shortened(&r.body, PREVIEW_CHARS);
        Self {
            id: r.id,
            at: cfg.datetime(r.send_at),
            title: r.title,
            preview,
            recipients,
            scheduled_by: super::journal::sender_label(r.sent_by.as_deref(), &r.source, t),
            repeat: Repeat::stored(r.repeat.as_deref())
                .map(|rep| match r.repeat_until {
                    Some(until) => format!(
                        "{}, {} {}",
                        t.s(repeat_key(rep)),
                        t.s("sched.until"),
                        cfg.datetime(until)
                    ),
                    None => t.s(repeat_key(rep)).to_owned(),
                })
                .unwrap_or_default(),
            state: t.s(&format!("sched.state_{}", r.state)).to_owned(),
            sent: r.state == "sent",
            done_at: r.done_at.map(|at| cfg.datetime(at)).unwrap_or_default(),
            created: r.created_count,
            refused: r.refused_count,
            refused_detail: r.refused_detail.unwrap_or_default(),
            first_message_id: r.first_message_id,
            ack: r.ack_required,
            cancellable: true,
            files,
        }
    }
}

#[derive(Template)]
#[template(path = "scheduled.html")]
struct ScheduledView {
    l: Layout,
    pending: Vec<Row>,
    done: Vec<Row>,
}

#[handler]
pub async fn page(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
    Query(q): Query<DoneQuery>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    // A part of sending: the menu marks "Отправить".
    let l = Layout::signed_in(*lang, Area::Cabinet, "send", s.who(), s.csrf.clone())
        .with_notice(q.done.as_deref());
    let (pending, done) = state
        .store
        .scheduled_sends(s.partner.id, DONE_LISTED)
        .await?;
    let t = l.t;
    let groups: HashMap<i64, String> = state
        .store
        .groups(s.partner.id)
        .await?
        .into_iter()
        .map(|g| (g.id, g.name))
        .collect();
    let ids: Vec<i64> = pending.iter().chain(&done).map(|r| r.id).collect();
    let mut files = state.store.scheduled_files(&ids).await?;
    let mut rows = |rows: Vec<ScheduledRow>| -> Vec<Row> {
        rows.into_iter()
            .map(|r| Row {
                cancellable: s.may_undo(r.sent_by.as_deref()),
                ..Row::of(r, t, cfg, &groups, &mut files)
            })
            .collect()
    };
    let view = ScheduledView {
        pending: rows(pending),
        done: rows(done),
        l,
    };
    Ok(html(view.render()))
}

#[derive(Deserialize)]
pub struct CancelForm {
    csrf: String,
    id: String,
}

#[handler]
pub async fn cancel(
    req: &Request,
    Data(state): Data<&SharedState>,
    Form(form): Form<CancelForm>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let id: i64 = form.id.trim().parse().map_err(|_| CabinetError::NotFound)?;
    // Only a sender's right depends on who scheduled it.
    if s.sends_only()
        && let Some(row) = state.store.scheduled_send(s.partner.id, id).await?
    {
        read_only::check_undo(state, req, &s, row.sent_by.as_deref()).await?;
    }
    let row = match schedule::cancel(state, &s.partner, id).await {
        Ok(row) => row,
        // Sent or cancelled meanwhile (by the scheduler, another tab): the list says which.
        Err(Error::Conflict(_)) => return Ok(done("/cabinet/scheduled", "sched_too_late")),
        Err(e) => return Err(e.into()),
    };
    let detail = schedule::journal_detail(state, &row).await;
    audit::record(
        state,
        req,
        s.partner.id,
        &s.actor,
        audit::Action::ScheduleCancelled,
        &detail,
    )
    .await;
    Ok(done("/cabinet/scheduled", "sched_cancelled"))
}

/// The page to change a waiting send: its time, words, recipients and repeats.
#[derive(Template)]
#[template(path = "scheduled_edit.html")]
struct EditView {
    l: Layout,
    row: Row,
    /// As in the form: typed, or the send's own.
    send_at: String,
    send_min: String,
    title: String,
    text: String,
    title_max: usize,
    text_max: usize,
    zone: String,
    /// The recipients chosen: `keep` (as they are), `all`, `group` or `list`.
    to: String,
    /// The partner's groups, the send's (or the one chosen) selected.
    groups: Vec<GroupOption>,
    /// Phones or IDs typed for `list`.
    typed: String,
    /// `daily`, …, or empty for once.
    repeat: String,
    repeats: Vec<(&'static str, &'static str)>,
    /// The series' last day (`YYYY-MM-DD`), or empty.
    repeat_until: String,
    /// Its messages ask to be acknowledged.
    ack: bool,
    /// "Send without the files" is ticked.
    drop_files: bool,
    error: Option<String>,
}

impl EditView {
    fn render_with(&self, status: StatusCode) -> CabinetResult<Response> {
        Ok(html(self.render()).with_status(status).into_response())
    }
}

/// The send `id` of the session's partner (in the address: anything else is not found).
async fn partners_send(
    state: &SharedState,
    s: &session::PartnerSession,
    id: &str,
) -> CabinetResult<ScheduledRow> {
    let id: i64 = id.trim().parse().map_err(|_| CabinetError::NotFound)?;
    state
        .store
        .scheduled_send(s.partner.id, id)
        .await?
        .ok_or(CabinetError::NotFound)
}

/// The waiting send `id` of the session's partner that they may change, as the list shows it.
async fn waiting_send(
    req: &Request,
    state: &SharedState,
    s: &session::PartnerSession,
    id: &str,
) -> CabinetResult<ScheduledRow> {
    let row = partners_send(state, s, id).await?;
    read_only::check_undo(state, req, s, row.sent_by.as_deref()).await?;
    Ok(row)
}

/// A sent send's messages: the list of its send, by a message of it still kept (the first one
/// may be gone with its employee).
#[handler]
pub async fn messages(
    req: &Request,
    Data(state): Data<&SharedState>,
    Path(id): Path<String>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    let row = partners_send(state, &s, &id).await?;
    let kept = match row.messages() {
        Some(key) => {
            state
                .store
                .messages_of_send(s.partner.id, key, 0, 1)
                .await?
        }
        None => Vec::new(),
    };
    Ok(match kept.first() {
        Some(m) => Redirect::see_other(format!("/cabinet/messages?send={}", m.id)).into_response(),
        None => done("/cabinet/scheduled", "sched_messages_gone"),
    })
}

#[handler]
pub async fn edit_form(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
    Path(id): Path<String>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    let row = waiting_send(req, state, &s, &id).await?;
    if row.state != "pending" {
        // Gone or cancelled meanwhile: the list says which.
        return Ok(done("/cabinet/scheduled", "sched_too_late"));
    }
    let l = Layout::signed_in(*lang, Area::Cabinet, "send", s.who(), s.csrf.clone());
    let groups = group_options(state, s.partner.id, row.group_id.map(GroupId)).await?;
    let mut files = state.store.scheduled_files(&[row.id]).await?;
    let view = EditView {
        send_at: cfg.input_datetime(row.send_at),
        send_min: cfg.input_datetime(now_millis()),
        title: row.title.clone(),
        text: row.body.clone(),
        title_max: Title::MAX_CHARS,
        text_max: MessageText::MAX_CHARS,
        zone: cfg.zone.name().to_owned(),
        to: "keep".to_owned(),
        typed: String::new(),
        repeat: row.repeat.clone().unwrap_or_default(),
        repeats: repeat_choices(l.t),
        repeat_until: row.repeat_until.map(|u| cfg.date(u)).unwrap_or_default(),
        ack: row.ack_required,
        drop_files: false,
        error: None,
        row: Row::of(row, l.t, cfg, &names(&groups), &mut files),
        groups,
        l,
    };
    view.render_with(StatusCode::OK)
}

/// The groups' names by ID, for the recipients' line.
fn names(groups: &[GroupOption]) -> HashMap<i64, String> {
    groups.iter().map(|g| (g.id, g.name.clone())).collect()
}

/// The change form; a field not posted keeps what the send has.
#[derive(Deserialize)]
pub struct EditForm {
    csrf: String,
    send_at: String,
    title: String,
    text: String,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    staff_list: String,
    #[serde(default)]
    repeat: Option<String>,
    #[serde(default)]
    repeat_until: Option<String>,
    /// Posted with the checkbox: without it (a form of before), whether the send asks to be
    /// acknowledged stays as it is.
    #[serde(default)]
    ack_shown: Option<String>,
    #[serde(default)]
    ack: Option<String>,
    /// Ticked: the send goes without the files it has.
    #[serde(default)]
    drop_files: Option<String>,
}

#[handler]
pub async fn edit(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
    Path(id): Path<String>,
    Form(form): Form<EditForm>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let before = waiting_send(req, state, &s, &id).await?;
    let l = Layout::signed_in(*lang, Area::Cabinet, "send", s.who(), s.csrf.clone());
    let chosen_group = form.group.as_deref().and_then(|g| GroupId::parse(g).ok());
    let groups = group_options(
        state,
        s.partner.id,
        chosen_group.or(before.group_id.map(GroupId)),
    )
    .await?;
    let t = l.t;
    let before_day = before.repeat_until.map(|u| cfg.date(u));
    let ack_required = form.ack_shown.is_some().then_some(form.ack.is_some());
    let mut view = EditView {
        send_at: form.send_at.clone(),
        send_min: cfg.input_datetime(now_millis()),
        title: form.title.clone(),
        text: form.text.clone(),
        title_max: Title::MAX_CHARS,
        text_max: MessageText::MAX_CHARS,
        zone: cfg.zone.name().to_owned(),
        to: form.to.clone().unwrap_or_else(|| "keep".to_owned()),
        typed: form.staff_list.clone(),
        repeat: form
            .repeat
            .clone()
            .unwrap_or_else(|| before.repeat.clone().unwrap_or_default()),
        repeats: repeat_choices(t),
        repeat_until: form
            .repeat_until
            .clone()
            .unwrap_or_else(|| before_day.clone().unwrap_or_default()),
        ack: ack_required.unwrap_or(before.ack_required),
        drop_files: form.drop_files.is_some(),
        error: None,
        row: Row::of(
            before.clone(),
            t,
            cfg,
            &names(&groups),
            &mut state.store.scheduled_files(&[before.id]).await?,
        ),
        groups,
        l,
    };
    let parsed =
        Title::parse(&form.title).and_then(|t| MessageText::parse(&form.text).map(|m| (t, m)));
    let (title, text) = match &parsed {
        Ok(pair) => pair,
        Err(e) => {
            view.error = Some(t.phrase(&e.0).to_owned());
            return view.render_with(StatusCode::BAD_REQUEST);
        }
    };
    let Ok(send_at) = state.time.parse(&form.send_at) else {
        view.error = Some(t.s("send.when_invalid").to_owned());
        return view.render_with(StatusCode::BAD_REQUEST);
    };
    let repeat = match form.repeat.as_deref().map(Repeat::parse).transpose() {
        Ok(repeat) => repeat,
        Err(e) => {
            view.error = Some(t.phrase(&e.0).to_owned());
            return view.render_with(StatusCode::BAD_REQUEST);
        }
    };
    let repeat_until = match (repeat, form.repeat_until.as_deref().map(str::trim)) {
        // Going once, there is no end to set; not posted, it stays.
        (Some(None), _) | (_, None) => None,
        // The day as shown: the end stays to the moment it is (the API may have set an hour).
        (_, Some(day)) if Some(day) == before_day.as_deref() => None,
        (_, Some("")) => Some(None),
        (_, Some(day)) => match state.time.parse_until(day) {
            Ok(until) => Some(Some(until)),
            Err(e) => {
                view.error = Some(t.phrase(&e.0).to_owned());
                return view.render_with(StatusCode::BAD_REQUEST);
            }
        },
    };
    let listed: Vec<StaffId>;
    let to = match form.to.as_deref().unwrap_or("keep") {
        "keep" => None,
        "all" => Some(Recipients::AllActive),
        "group" => match chosen_group {
            Some(g) => Some(Recipients::Group(g)),
            None => {
                view.error = Some(t.s("sched.edit_no_group").to_owned());
                return view.render_with(StatusCode::BAD_REQUEST);
            }
        },
        "list" => {
            let staff = staff_for_form(
                state,
                s.partner.id,
                false,
                &form.staff_list,
                &HashSet::new(),
                None,
            )
            .await?;
            let (found, unknown) = typed_recipients(&staff, &form.staff_list);
            if !unknown.is_empty() {
                // Nothing changes: the admin corrects the list, which then holds everyone meant.
                view.error = Some(format!(
                    "{}: {}",
                    t.s("sched.edit_unknown"),
                    unknown.join(", ")
                ));
                return view.render_with(StatusCode::BAD_REQUEST);
            }
            if found.is_empty() {
                view.error = Some(t.s("send.no_recipients").to_owned());
                return view.render_with(StatusCode::BAD_REQUEST);
            }
            let mut ids: Vec<StaffId> = found.into_iter().map(StaffId).collect();
            ids.sort_unstable_by_key(|id| id.0);
            listed = ids;
            Some(Recipients::Listed(&listed))
        }
        _ => return Err(CabinetError::bad_form()),
    };
    let change = schedule::Change {
        title: Some(title),
        text: Some(text),
        send_at: Some(send_at),
        to,
        repeat,
        repeat_until,
        ack_required,
        files: form.drop_files.is_some().then_some(&[]),
    };
    let changed = match schedule::change(state, &s.partner, before.id, change).await {
        Ok(changed) => changed,
        Err(Error::Invalid(m) | Error::NotFound(m)) => {
            view.error = Some(t.phrase(&m).to_owned());
            return view.render_with(StatusCode::BAD_REQUEST);
        }
        // Sent or cancelled meanwhile: the list says which.
        Err(Error::Conflict(_)) => return Ok(done("/cabinet/scheduled", "sched_too_late")),
        Err(e) => return Err(e.into()),
    };
    if changed.written() {
        let detail = changed.journal_detail(state).await;
        audit::record(
            state,
            req,
            s.partner.id,
            &s.actor,
            audit::Action::ScheduleChanged,
            &detail,
        )
        .await;
    }
    Ok(done("/cabinet/scheduled", "sched_changed"))
}

/// Downloads a file of one of the partner's scheduled sends.
#[handler]
pub async fn file(
    req: &Request,
    Data(state): Data<&SharedState>,
    Path((id, raw_file)): Path<(String, String)>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    let row = partners_send(state, &s, &id).await?;
    let file_id: i64 = raw_file.parse().map_err(|_| CabinetError::NotFound)?;
    // The send must carry the file: a file ID alone is not enough. Read on the reader pool: a
    // download needs no write lock's freshness.
    let carried = state.store.scheduled_files(&[row.id]).await?;
    if !carried
        .get(&row.id)
        .is_some_and(|files| files.iter().any(|f| f.id == file_id))
    {
        return Err(CabinetError::NotFound);
    }
    super::messages::download(state, s.partner.id, file_id).await
}
