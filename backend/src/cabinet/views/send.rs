//! Sending from the cabinet: one, several or all employees; the result lists what was created.
//! A company of up to `LIST_MAX` active employees picks them from a list; a larger one types or
//! pastes their phones or IDs (a list of 10,000 names was 2 MB of HTML on every visit).

use super::super::errors::{CabinetError, CabinetResult};
use super::super::i18n::{Lang, Tr};
use super::super::layout::{Area, Layout};
use super::super::session::PartnerSession;
use super::super::{CabinetConfig, audit, html, session};
use super::groups::active_members;
use crate::domain::{
    FileId, FileName, FileUpload, GroupId, MessageText, Phone, Repeat, StaffId, Title,
    file_extensions, megabytes, now_millis,
};
use crate::error::Error;
use crate::service::files;
use crate::service::messaging::{self, Recipients, Source};
use crate::service::schedule::{self, NewSend};
use crate::state::SharedState;
use crate::store::{Keyed, PartnerRow, StaffRow, StaffState, TemplateRow};
use askama::Template;
use poem::http::StatusCode;
use poem::web::{Data, Multipart};
use poem::{FromRequest, IntoResponse, Request, RequestBody, Response, handler};
use std::collections::{HashMap, HashSet};
use tokio::io::AsyncReadExt;

/// Up to this many active employees the form lists them to pick from.
const LIST_MAX: usize = 500;

/// Up to this many messages created, the result names each one; more are counted and linked.
const RESULT_LIST_MAX: usize = 100;

pub struct Recipient {
    pub id: i64,
    pub name: String,
    pub phone: String,
    pub has_push: bool,
    pub checked: bool,
}

/// What the form just scheduled.
pub struct ScheduledNote {
    pub at: String,
    /// How many are listed; `None` for all active employees (or the group's) at the time.
    pub listed: Option<usize>,
    /// The group it goes to.
    pub group: Option<String>,
    /// How it repeats (`repeat.*` key), if it does.
    pub repeat: Option<&'static str>,
}

/// A group in the send form's list.
pub struct GroupOption {
    pub id: i64,
    pub name: String,
    /// Members who would get the message now.
    pub active: usize,
    pub selected: bool,
}

/// A message created by this send, or why an employee got none.
pub struct Outcome {
    pub staff_name: String,
    pub message_id: Option<i64>,
    pub error: String,
}

#[derive(Template)]
#[template(path = "send.html")]
struct SendView {
    l: Layout,
    recipients: Vec<Recipient>,
    /// Active employees, the ones "all" sends to.
    active: usize,
    /// The form lists the employees (`recipients`); otherwise it has a field to type them in.
    listed: bool,
    /// What was typed in that field.
    typed: String,
    all: bool,
    title: String,
    text: String,
    error: Option<String>,
    outcomes: Vec<Outcome>,
    /// Messages created by this send: each is in `outcomes` only up to `RESULT_LIST_MAX`.
    created: Option<usize>,
    title_max: usize,
    text_max: usize,
    /// "Schedule for" is chosen.
    later: bool,
    /// The `datetime-local` value typed, and the earliest one offered (now).
    send_at: String,
    send_min: String,
    zone: String,
    scheduled: Option<ScheduledNote>,
    /// The partner's templates, to fill in the title and the text from.
    templates: Vec<TemplateOption>,
    /// The partner's groups, to send to one of them.
    groups: Vec<GroupOption>,
    /// How a scheduled send repeats: `daily`, `weekdays`, `weekly`, or empty for once.
    repeat: String,
    /// Each way to repeat: its value and its name.
    repeats: Vec<(&'static str, &'static str)>,
    /// The last day a series sends on (a `date` value), or empty: until cancelled.
    repeat_until: String,
    /// "Ask to acknowledge" is ticked.
    ack: bool,
    /// The file input's `accept`: the extensions taken.
    file_accept: String,
    /// The largest file, as a person reads it ("5 МБ").
    file_max: String,
    /// How much of its room for files the company takes ("… 12 МБ из 1024 МБ"); empty when
    /// the server sets no limit.
    file_room: String,
}

/// The form's words on the company's room for files (`SIMO_FILE_QUOTA_BYTES`).
async fn file_room(state: &SharedState, partner: &PartnerRow, t: Tr) -> CabinetResult<String> {
    let Some(quota) = files::room_of(&state.settings, partner.file_room_mb)? else {
        return Ok(String::new());
    };
    let used = state.store.partner_file_bytes(partner.id).await?;
    Ok(format!(
        "{} {} {} {}",
        t.s("send.files_used"),
        super::messages::size_label(used, t),
        t.s("send.files_of"),
        super::messages::size_label(quota, t)
    ))
}

fn recipients(staff: &[StaffRow], chosen: &HashSet<i64>) -> Vec<Recipient> {
    staff
        .iter()
        .filter(|r| r.state() == StaffState::Active)
        .map(|r| Recipient {
            id: r.id,
            name: r.name.clone(),
            phone: r.phone.clone(),
            has_push: r.push_token.is_some(),
            checked: chosen.contains(&r.id),
        })
        .collect()
}

/// The form: `active` employees in all, listed from `staff` if there are at most `LIST_MAX`
/// (a larger company's staff need not be read for it).
fn view(
    l: Layout,
    cfg: &CabinetConfig,
    staff: &[StaffRow],
    active: usize,
    chosen: &HashSet<i64>,
    max_file: usize,
) -> SendView {
    let listed = active <= LIST_MAX;
    let t = l.t;
    let mut typed: Vec<i64> = if listed {
        Vec::new()
    } else {
        chosen.iter().copied().collect()
    };
    typed.sort_unstable();
    SendView {
        l,
        recipients: if listed {
            recipients(staff, chosen)
        } else {
            Vec::new()
        },
        active,
        listed,
        typed: typed
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        all: false,
        title: String::new(),
        text: String::new(),
        error: None,
        outcomes: vec![],
        created: None,
        title_max: Title::MAX_CHARS,
        text_max: MessageText::MAX_CHARS,
        later: false,
        send_at: String::new(),
        send_min: cfg.input_datetime(now_millis()),
        zone: cfg.zone.name().to_owned(),
        scheduled: None,
        templates: Vec::new(),
        groups: Vec::new(),
        repeat: String::new(),
        repeats: repeat_choices(t),
        repeat_until: String::new(),
        ack: false,
        file_accept: file_extensions()
            .split(", ")
            .map(|e| format!(".{e}"))
            .collect::<Vec<_>>()
            .join(","),
        file_max: format!("{} {}", megabytes(max_file), t.s("msg.mb")),
        file_room: String::new(),
    }
}

pub(super) async fn group_options(
    state: &SharedState,
    partner_id: i64,
    chosen: Option<GroupId>,
) -> CabinetResult<Vec<GroupOption>> {
    let active = active_members(state, partner_id).await?;
    Ok(state
        .store
        .groups(partner_id)
        .await?
        .into_iter()
        .map(|g| GroupOption {
            active: active.get(&g.id).copied().unwrap_or_default(),
            selected: Some(g.id) == chosen.map(|c| c.0),
            id: g.id,
            name: g.name,
        })
        .collect())
}

#[handler]
pub async fn page(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    // A large company types its recipients: its staff is not read for the form.
    let active = state.store.staff_tally(s.partner.id).await?.active as usize;
    let staff = match active <= LIST_MAX {
        true => state.store.list_staff(s.partner.id).await?,
        false => Vec::new(),
    };
    let query: Vec<(String, String)> = req
        .uri()
        .query()
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    // `?staff=ID` preselects an employee (links from other pages).
    let pre: HashSet<i64> = query
        .iter()
        .filter(|(k, _)| k == "staff")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    let l = Layout::signed_in(*lang, Area::Cabinet, "send", s.who(), s.csrf);
    let mut v = view(
        l,
        cfg,
        &staff,
        active,
        &pre,
        files::max_bytes(&state.settings)?,
    );
    v.file_room = file_room(state, &s.partner, v.l.t).await?;
    let templates = state.store.templates(s.partner.id).await?;
    // `?template=ID` fills in the title and the text; another partner's ID fills in nothing.
    let chosen = query
        .iter()
        .find(|(k, _)| k == "template")
        .and_then(|(_, v)| v.parse::<i64>().ok());
    if let Some(t) = chosen.and_then(|id| templates.iter().find(|t| t.id == id)) {
        v.title = t.title.clone();
        v.text = t.body.clone();
    }
    v.templates = template_options(&templates, chosen);
    // `?group=ID` (from the groups page) chooses the group.
    let group = query
        .iter()
        .find(|(k, _)| k == "group")
        .and_then(|(_, v)| GroupId::parse(v).ok());
    v.groups = group_options(state, s.partner.id, group).await?;
    Ok(html(v.render()))
}

/// A template in the send form's list.
pub struct TemplateOption {
    pub id: i64,
    pub name: String,
    pub selected: bool,
}

fn template_options(templates: &[TemplateRow], chosen: Option<i64>) -> Vec<TemplateOption> {
    templates
        .iter()
        .map(|t| TemplateOption {
            id: t.id,
            name: t.name.clone(),
            selected: Some(t.id) == chosen,
        })
        .collect()
}

/// The entries of a recipients field: separated by commas, semicolons, tabs or new lines.
fn typed_entries(typed: &str) -> impl Iterator<Item = &str> {
    typed
        .split([',', ';', '\n', '\r', '\t'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
}

/// The employees a form may name, by name then ID: with `whole`, every one (the staff list);
/// else those typed (by phone or ID), ticked, or in `group`, looked up alone. A large
/// company's staff (111,000) was read whole on each send to find the few typed.
pub(super) async fn staff_for_form(
    state: &SharedState,
    partner_id: i64,
    whole: bool,
    typed: &str,
    ticked: &HashSet<i64>,
    group: Option<GroupId>,
) -> CabinetResult<Vec<StaffRow>> {
    if whole {
        return Ok(state.store.list_staff(partner_id).await?);
    }
    let mut phones = Vec::new();
    let mut ids: Vec<i64> = ticked.iter().copied().collect();
    // An entry may read as both: `typed_recipients` then takes the phone first.
    for entry in typed_entries(typed) {
        if let Ok(phone) = Phone::parse(entry) {
            phones.push(phone);
        }
        if let Ok(id) = StaffId::parse(entry) {
            ids.push(id.0);
        }
    }
    let phones: Vec<&str> = phones.iter().map(Phone::as_str).collect();
    let mut rows = Vec::new();
    if !phones.is_empty() {
        rows.extend(state.store.staff_by_phones(partner_id, &phones).await?);
    }
    if !ids.is_empty() {
        rows.extend(state.store.staff_by_ids(partner_id, &ids).await?);
    }
    if let Some(g) = group {
        // Not the partner's group: none here, and the caller says it is not found.
        rows.extend(
            state
                .store
                .group_staff(partner_id, g.0)
                .await?
                .unwrap_or_default(),
        );
    }
    rows.sort_by(|a, b| (a.name.as_str(), a.id).cmp(&(b.name.as_str(), b.id)));
    rows.dedup_by_key(|r| r.id);
    Ok(rows)
}

/// The employees typed in the form, each as a phone number (any usual writing) or an ID; the
/// entries that are none of this partner's employees come back as they were typed.
pub(super) fn typed_recipients<'a>(
    staff: &'a [StaffRow],
    typed: &'a str,
) -> (HashSet<i64>, Vec<&'a str>) {
    if typed.trim().is_empty() {
        return (HashSet::new(), Vec::new());
    }
    let by_phone: HashMap<&str, i64> = staff.iter().map(|r| (r.phone.as_str(), r.id)).collect();
    let ids: HashSet<i64> = staff.iter().map(|r| r.id).collect();
    let mut found = HashSet::new();
    let mut unknown = Vec::new();
    for entry in typed_entries(typed) {
        let id = Phone::parse(entry)
            .ok()
            .and_then(|p| by_phone.get(p.as_str()).copied())
            .or_else(|| {
                StaffId::parse(entry)
                    .ok()
                    .map(|id| id.0)
                    .filter(|id| ids.contains(id))
            });
        match id {
            Some(id) => {
                found.insert(id);
            }
            None => unknown.push(entry),
        }
    }
    (found, unknown)
}

/// The form repeats `staff` once per chosen employee, which a struct cannot hold: read pairs.
struct SendForm {
    csrf: String,
    staff: HashSet<i64>,
    /// Phones or IDs typed in, separated by commas, semicolons or new lines.
    typed: String,
    all: bool,
    group: Option<GroupId>,
    title: String,
    text: String,
    later: bool,
    send_at: String,
    repeat: String,
    repeat_until: String,
    ack: bool,
}

fn parse_form(body: &str) -> CabinetResult<SendForm> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(body).map_err(|_| CabinetError::bad_form())?;
    Ok(form_of(pairs))
}

/// A file chosen in the send form, not stored yet.
struct ChosenFile {
    name: String,
    data: Vec<u8>,
}

/// The page's own encoding, which carries files; a plain urlencoded post carries none.
fn is_multipart(req: &Request) -> bool {
    req.content_type()
        .is_some_and(|t| t.starts_with("multipart/form-data"))
}

/// A multipart form larger than the words of a send can be: files are chosen (a length not
/// given may be anything).
fn carries_files(req: &Request) -> bool {
    let length = req
        .header("content-length")
        .and_then(|n| n.parse::<u64>().ok());
    is_multipart(req) && length.is_none_or(|n| n > 64 * 1024)
}

/// The form as either encoding sends it: the page's own (multipart, for its files) or a
/// plain urlencoded post (no files).
async fn read_form(
    req: &Request,
    body: poem::Body,
    max_file: usize,
) -> CabinetResult<(SendForm, Vec<ChosenFile>)> {
    if !is_multipart(req) {
        let text = body
            .into_string()
            .await
            .map_err(|_| CabinetError::bad_form())?;
        return Ok((parse_form(&text)?, Vec::new()));
    }
    let mut parts = Multipart::from_request(req, &mut RequestBody::new(body))
        .await
        .map_err(|_| CabinetError::bad_form())?;
    let mut pairs = Vec::new();
    let mut files = Vec::new();
    while let Some(field) = parts
        .next_field()
        .await
        .map_err(|_| CabinetError::bad_form())?
    {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let mut bytes = Vec::new();
        // One byte over the limit is enough to refuse it with the file's own words.
        let mut reader = field.into_async_read().take(max_file as u64 + 1);
        reader
            .read_to_end(&mut bytes)
            .await
            .map_err(|_| CabinetError::bad_form())?;
        match (name.as_str(), file_name) {
            // A file input left empty sends a part with no name and no bytes.
            ("files", Some(file_name)) if !file_name.is_empty() || !bytes.is_empty() => {
                if files.len() == files::MAX_PER_MESSAGE {
                    return Err(CabinetError::Invalid(phrase!(
                        "К сообщению можно приложить не более {} файлов",
                        "A message carries {} files at most",
                        files::MAX_PER_MESSAGE
                    )));
                }
                files.push(ChosenFile {
                    name: file_name,
                    data: bytes,
                });
            }
            ("files", _) => {}
            _ => pairs.push((name, String::from_utf8_lossy(&bytes).into_owned())),
        }
    }
    Ok((form_of(pairs), files))
}

fn form_of(pairs: Vec<(String, String)>) -> SendForm {
    let mut f = SendForm {
        csrf: String::new(),
        staff: HashSet::new(),
        typed: String::new(),
        all: false,
        group: None,
        title: String::new(),
        text: String::new(),
        later: false,
        send_at: String::new(),
        repeat: String::new(),
        repeat_until: String::new(),
        ack: false,
    };
    for (k, v) in pairs {
        match k.as_str() {
            "csrf" => f.csrf = v,
            "staff" => f.staff.extend(v.parse::<i64>().ok()),
            "staff_list" => f.typed = v,
            "all" => f.all = v == "1" || v == "on",
            "group" => f.group = GroupId::parse(&v).ok(),
            "title" => f.title = v,
            "text" => f.text = v,
            "when" => f.later = v == "later",
            "send_at" => f.send_at = v,
            "repeat" => f.repeat = v,
            "repeat_until" => f.repeat_until = v,
            "ack" => f.ack = v == "1" || v == "on",
            _ => {}
        }
    }
    f
}

#[handler]
pub async fn submit(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
    body: poem::Body,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    let max_file = files::max_bytes(&state.settings)?;
    // A form that carries files is read in an upload's turn, as `uploadfile` is.
    let _turn = match carries_files(req) {
        true => Some(files::upload_turn(state, state.settings.request_read_timeout()).await?),
        false => None,
    };
    let (form, chosen_files) = read_form(req, body, max_file).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let active = state.store.staff_tally(s.partner.id).await?.active as usize;
    // The form lists a small company's staff; "all" sends to every active one.
    let whole = active <= LIST_MAX || form.all;
    let staff = staff_for_form(
        state,
        s.partner.id,
        whole,
        &form.typed,
        &form.staff,
        form.group,
    )
    .await?;
    let l = Layout::signed_in(*lang, Area::Cabinet, "send", s.who(), s.csrf.clone());
    let mut v = view(l, cfg, &staff, active, &form.staff, max_file);
    v.file_room = file_room(state, &s.partner, v.l.t).await?;
    v.templates = template_options(&state.store.templates(s.partner.id).await?, None);
    v.groups = group_options(state, s.partner.id, form.group).await?;
    v.later = form.later;
    v.send_at = form.send_at.clone();
    v.repeat = form.repeat.clone();
    v.repeat_until = form.repeat_until.clone();
    v.ack = form.ack;
    let repeat = match Repeat::parse(&form.repeat) {
        Ok(r) if r.is_none() || form.later => r,
        // Only a scheduled send repeats: "now" with a repeat is a choice the admin must fix.
        Ok(_) => {
            v.error = Some(v.l.t.s("send.repeat_later").to_owned());
            return bad_request(&v);
        }
        Err(e) => {
            v.error = Some(v.l.t.phrase(&e.0).to_owned());
            return bad_request(&v);
        }
    };
    v.all = form.all;
    v.title = form.title.clone();
    v.text = form.text.clone();
    v.typed = form.typed.clone();
    let (typed, unknown) = typed_recipients(&staff, &form.typed);
    if form.group.is_some() && (form.all || !form.staff.is_empty() || !typed.is_empty()) {
        // Nothing is sent: the admin meant one of the ways, and only they know which.
        v.error = Some(v.l.t.s("send.one_way").to_owned());
        return bad_request(&v);
    }
    if !form.all && !unknown.is_empty() {
        // Nothing is sent: the admin corrects the list and sends once, to everyone meant.
        v.error = Some(format!(
            "{}: {}",
            v.l.t.s("send.unknown"),
            unknown.join(", ")
        ));
        return Ok(html(v.render())
            .with_status(StatusCode::BAD_REQUEST)
            .into_response());
    }
    let members: Option<HashSet<i64>> = match form.group {
        Some(g) => Some(
            state
                .store
                .group_members(s.partner.id, g.0)
                .await?
                .ok_or(CabinetError::NotFound)?
                .iter()
                .map(|id| id.0)
                .collect(),
        ),
        None => None,
    };
    let chosen: Vec<&StaffRow> = if form.all {
        staff
            .iter()
            .filter(|r| r.state() == StaffState::Active)
            .collect()
    } else if let Some(members) = &members {
        staff
            .iter()
            .filter(|r| members.contains(&r.id) && r.state() == StaffState::Active)
            .collect()
    } else {
        staff
            .iter()
            .filter(|r| form.staff.contains(&r.id) || typed.contains(&r.id))
            .collect()
    };
    let parsed =
        Title::parse(&form.title).and_then(|t| MessageText::parse(&form.text).map(|m| (t, m)));
    // A group may have members by the time a scheduled message goes.
    let may_be_empty = form.later && form.group.is_some();
    let (title, text) = match &parsed {
        Ok(pair) if !chosen.is_empty() || may_be_empty => pair,
        Ok(_) => {
            v.error = Some(v.l.t.s("send.no_recipients").to_owned());
            return Ok(html(v.render())
                .with_status(StatusCode::BAD_REQUEST)
                .into_response());
        }
        Err(e) => {
            v.error = Some(v.l.t.phrase(&e.0).to_owned());
            return Ok(html(v.render())
                .with_status(StatusCode::BAD_REQUEST)
                .into_response());
        }
    };
    // Every file checked before any is stored: a refused one stores none.
    let mut uploads = Vec::with_capacity(chosen_files.len());
    for f in chosen_files {
        let checked =
            FileName::parse(&f.name).and_then(|name| FileUpload::new(name, f.data, max_file));
        match checked {
            Ok(upload) => uploads.push(upload),
            Err(e) => {
                v.error = Some(format!(
                    "{} {}",
                    v.l.t.phrase(&e.0),
                    v.l.t.s("send.files_again")
                ));
                return bad_request(&v);
            }
        }
    }
    let mut file_ids = Vec::with_capacity(uploads.len());
    for upload in uploads {
        match files::store(state, &s.partner, upload, &s.actor).await {
            Ok(row) => file_ids.push(FileId(row.id)),
            // No room left: nothing is sent (the files stored before it wait a day, unused).
            Err(Error::Conflict(m)) => {
                v.error = Some(format!(
                    "{} {}",
                    v.l.t.phrase(&m),
                    v.l.t.s("send.files_again")
                ));
                return bad_request(&v);
            }
            Err(e) => return Err(e.into()),
        }
    }
    if !file_ids.is_empty() {
        v.file_room = file_room(state, &s.partner, v.l.t).await?;
    }
    let ids: Vec<StaffId> = chosen.iter().map(|r| StaffId(r.id)).collect();
    let to = match form.group {
        _ if form.all => Recipients::AllActive,
        Some(g) => Recipients::Group(g),
        None => Recipients::Listed(&ids),
    };
    let content = messaging::Content {
        title,
        text,
        ack_required: form.ack,
        files: &file_ids,
    };
    if form.later {
        let asked = ToSchedule {
            to,
            content,
            send_at: &form.send_at,
            repeat,
            repeat_until: &form.repeat_until,
        };
        return schedule_from_form(req, state, cfg, &s, v, asked).await;
    }
    let to = match to {
        // "All" sends to those the admin saw counted; a group, to its members active now.
        Recipients::AllActive => Recipients::Listed(&ids),
        other => other,
    };
    let result = messaging::send_bulk(
        state,
        &s.partner,
        to,
        &content,
        Source::Cabinet.by(&s.actor),
    )
    .await?;
    if !result.created.is_empty() {
        let detail = format!("{} × «{}»", result.created.len(), title.as_str());
        audit::record(
            state,
            req,
            s.partner.id,
            &s.actor,
            audit::Action::Sent,
            &detail,
        )
        .await;
    }
    // Up to every employee of the partner: a map, not a search per outcome.
    let names: HashMap<i64, &str> = chosen.iter().map(|r| (r.id, r.name.as_str())).collect();
    let name = |id: StaffId| names.get(&id.0).copied().unwrap_or_default().to_owned();
    v.created = Some(result.created.len());
    if result.created.len() <= RESULT_LIST_MAX {
        v.outcomes.extend(result.created.iter().map(|c| Outcome {
            staff_name: name(c.staff_id),
            message_id: Some(c.message_id),
            error: String::new(),
        }));
    }
    let t = v.l.t;
    v.outcomes
        .extend(result.refused.into_iter().map(|r| Outcome {
            staff_name: name(r.staff_id),
            message_id: None,
            error: t.phrase(&r.reason).to_owned(),
        }));
    v.title.clear();
    v.text.clear();
    v.typed.clear();
    for r in v.recipients.iter_mut() {
        r.checked = false;
    }
    v.all = false;
    for g in v.groups.iter_mut() {
        g.selected = false;
    }
    Ok(html(v.render()))
}

fn bad_request(v: &SendView) -> CabinetResult<Response> {
    Ok(html(v.render())
        .with_status(StatusCode::BAD_REQUEST)
        .into_response())
}

/// What the form asks to schedule.
struct ToSchedule<'a> {
    to: Recipients<'a>,
    content: messaging::Content<'a>,
    /// As typed (a `datetime-local` value, in the configured zone).
    send_at: &'a str,
    repeat: Option<Repeat>,
    /// As typed (a `date` value), empty for "until cancelled".
    repeat_until: &'a str,
}

/// "Schedule for": the message is stored for later; "all" means the employees active then.
async fn schedule_from_form(
    req: &Request,
    state: &SharedState,
    cfg: &CabinetConfig,
    s: &PartnerSession,
    mut v: SendView,
    asked: ToSchedule<'_>,
) -> CabinetResult<Response> {
    let partner = &s.partner;
    let ToSchedule {
        to,
        content,
        send_at,
        repeat,
        repeat_until,
    } = asked;
    // Ignored without a repeat: the field stays in the form whatever "Repeat" says.
    let repeat_until = match repeat_until.trim() {
        "" => None,
        _ if repeat.is_none() => None,
        raw => match state.time.parse_until(raw) {
            Ok(until) => Some(until),
            Err(e) => {
                v.error = Some(v.l.t.phrase(&e.0).to_owned());
                return bad_request(&v);
            }
        },
    };
    let send_at = match state.time.parse(send_at) {
        Ok(at) => at,
        _ => {
            v.error = Some(v.l.t.s("send.when_invalid").to_owned());
            return bad_request(&v);
        }
    };
    if send_at <= now_millis() {
        v.error = Some(v.l.t.s("send.when_past").to_owned());
        return bad_request(&v);
    }
    let row = match schedule::schedule(
        state,
        partner,
        NewSend {
            to,
            content,
            send_at,
            origin: Source::Cabinet.by(&s.actor),
            key: None,
            repeat,
            repeat_until,
        },
    )
    .await
    {
        // The form has no Idempotency-Key: each post is a send of its own.
        Ok(Keyed::Stored(row) | Keyed::Taken(row)) => row,
        Err(Error::Invalid(m) | Error::Conflict(m) | Error::NotFound(m)) => {
            v.error = Some(v.l.t.phrase(&m).to_owned());
            return bad_request(&v);
        }
        Err(e) => return Err(e.into()),
    };
    let at = cfg.datetime(row.send_at);
    let listed = row.listed_count();
    let group = v
        .groups
        .iter()
        .find(|g| Some(g.id) == row.group_id)
        .map(|g| g.name.clone());
    let detail = schedule::journal_detail(state, &row).await;
    audit::record(
        state,
        req,
        partner.id,
        &s.actor,
        audit::Action::Scheduled,
        &detail,
    )
    .await;
    v.scheduled = Some(ScheduledNote {
        at,
        listed,
        group,
        repeat: repeat.map(repeat_key),
    });
    v.repeat.clear();
    v.repeat_until.clear();
    v.title.clear();
    v.text.clear();
    v.typed.clear();
    v.send_at.clear();
    v.later = false;
    v.all = false;
    for r in v.recipients.iter_mut() {
        r.checked = false;
    }
    for g in v.groups.iter_mut() {
        g.selected = false;
    }
    Ok(html(v.render()))
}

/// The repeat select's options: each value and its words.
pub(super) fn repeat_choices(t: Tr) -> Vec<(&'static str, &'static str)> {
    Repeat::ALL
        .iter()
        .map(|&r| (r.as_str(), t.s(repeat_key(r))))
        .collect()
}

/// The catalogue key naming how a send repeats.
pub fn repeat_key(r: Repeat) -> &'static str {
    match r {
        Repeat::Daily => "repeat.daily",
        Repeat::Weekdays => "repeat.weekdays",
        Repeat::Weekly => "repeat.weekly",
        Repeat::Monthly => "repeat.monthly",
    }
}
