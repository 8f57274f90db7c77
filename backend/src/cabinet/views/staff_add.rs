//! "Добавить сотрудников": the company's staff list pasted in (two columns from Excel, CSV),
//! added in one go. What was pasted stays in the form when a line is refused.

use super::super::CabinetConfig;
use super::super::errors::{CabinetError, CabinetResult};
use super::super::i18n::{Lang, Tr};
use super::super::layout::{Area, Layout};
use super::super::{audit, html, session};
use crate::domain::{Registration, now_millis};
use crate::error::Error;
use crate::service::staff_list::{self, Counts, Lenient};
use crate::state::SharedState;
use askama::Template;
use poem::http::StatusCode;
use poem::web::{Data, Form, Multipart};
use poem::{FromRequest, RequestBody};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;
use tokio::io::AsyncReadExt;

#[derive(Template)]
#[template(path = "employees_add.html")]
struct AddView {
    l: Layout,
    /// Whether anyone not on the list may log in too (the page says how to change it).
    open_policy: bool,
    text: String,
    error: Option<String>,
    result: Option<Counts>,
    /// The partner's latest sync of the whole staff through the API, in words.
    last_sync: Option<String>,
    /// Whether "skip the lines with mistakes" stays ticked.
    skip: bool,
    /// The first `SKIPPED_SHOWN` lines skipped, each with its reason.
    skipped: Vec<String>,
    skipped_total: usize,
    /// The first `RETRY_LINES` skipped lines as `phone;name`, in a form of their own to be
    /// corrected and sent.
    retry: String,
    retry_lines: usize,
    /// After adding new employees, when the company has SMS: the way to invite them to the app.
    invite: bool,
}

/// Skipped lines listed on the page; the rest are counted. A list with thousands of mistakes
/// is the wrong file, and the first hundred say so.
const SKIPPED_SHOWN: usize = 100;

/// Skipped lines given back to correct in the page: a whole file of wrong lines (100,000 and
/// 4 MB) belongs in the file, not in a text box.
const RETRY_LINES: usize = 1000;

/// The latest `beginstaffsync`…`finishstaffsync`, for the admin to see that the nightly
/// export runs and what it did.
async fn last_sync(
    state: &SharedState,
    cfg: &CabinetConfig,
    t: Tr,
    partner_id: i64,
) -> CabinetResult<Option<String>> {
    let Some(sync) = state.store.last_staff_sync(partner_id).await? else {
        return Ok(None);
    };
    let started = cfg.datetime(sync.started_at);
    let ended = sync.ended_at.map(|at| cfg.datetime(at)).unwrap_or_default();
    let words = match sync.state.as_str() {
        "finished" => t
            .s("add.sync_finished")
            .replacen("{}", &started, 1)
            .replacen("{}", &ended, 1)
            .replacen("{}", &sync.listed.to_string(), 1)
            .replacen("{}", &sync.disabled.to_string(), 1),
        // A superseded sync is never the latest: the one that superseded it is.
        _ if sync.expires_at <= now_millis() => t.s("add.sync_expired").replacen("{}", &started, 1),
        _ => t.s("add.sync_open").replacen("{}", &started, 1),
    };
    Ok(Some(words))
}

#[handler]
pub async fn page(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    let open_policy = s.partner.registration() != Registration::ListOnly;
    let last_sync = last_sync(state, cfg, Tr(*lang), s.partner.id).await?;
    let l = Layout::signed_in(*lang, Area::Cabinet, "employees", s.who(), s.csrf);
    let view = AddView {
        l,
        open_policy,
        text: String::new(),
        error: None,
        result: None,
        last_sync,
        skip: false,
        skipped: Vec::new(),
        skipped_total: 0,
        retry: String::new(),
        retry_lines: RETRY_LINES,
        invite: false,
    };
    Ok(html(view.render()))
}

/// The skipped lines as the form reads them back: `phone;name`, the name quoted when it holds
/// the separator or a quote.
fn retry_text(skipped: &[staff_list::Skipped]) -> String {
    let mut out = String::new();
    for s in skipped {
        let name = if s.name.contains([';', '"']) {
            format!("\"{}\"", s.name.replace('"', "\"\""))
        } else {
            s.name.clone()
        };
        out.push_str(&format!("{};{name}\n", s.phone));
    }
    out
}

#[derive(Deserialize, Default)]
pub struct AddForm {
    csrf: String,
    #[serde(default)]
    list: String,
    /// `whole`: the list is the whole staff, the others are disabled.
    #[serde(default, rename = "do")]
    action: String,
    /// Ticked: the lines with mistakes are skipped instead of refusing the list.
    #[serde(default)]
    skip: Option<String>,
}

/// A staff file larger than this is refused: 100,000 lines of a phone and a long name take
/// under 10 MB.
const FILE_LIMIT: usize = 10 * 1024 * 1024;

/// A file's text: UTF-8 (with or without a BOM), or Windows-1251, which is what Excel on a
/// Russian Windows writes as "CSV (разделители — запятые)".
pub fn file_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.trim_start_matches('\u{feff}').to_owned(),
        Err(_) => encoding_rs::WINDOWS_1251.decode(bytes).0.into_owned(),
    }
}

fn file_too_large() -> CabinetError {
    CabinetError::Invalid(phrase!(
        "Файл больше 10 МБ: разделите список на части",
        "The file is over 10 MB: split the list"
    ))
}

/// The form as either encoding sends it: the page's own (multipart, for the file) or a plain
/// urlencoded post. A file, when one was chosen, is the list.
async fn read_form(req: &Request, body: &mut RequestBody) -> CabinetResult<AddForm> {
    let multipart = req
        .content_type()
        .is_some_and(|t| t.starts_with("multipart/form-data"));
    if !multipart {
        let Form(form) = Form::<AddForm>::from_request(req, body)
            .await
            .map_err(|_| CabinetError::unknown_action())?;
        return Ok(form);
    }
    let mut parts = Multipart::from_request(req, body)
        .await
        .map_err(|_| CabinetError::unknown_action())?;
    let mut form = AddForm::default();
    let mut file: Option<String> = None;
    while let Some(field) = parts
        .next_field()
        .await
        .map_err(|_| CabinetError::unknown_action())?
    {
        let name = field.name().unwrap_or_default().to_owned();
        let mut bytes = Vec::new();
        let mut reader = field.into_async_read().take(FILE_LIMIT as u64 + 1);
        reader
            .read_to_end(&mut bytes)
            .await
            .map_err(|_| CabinetError::unknown_action())?;
        if bytes.len() > FILE_LIMIT {
            return Err(file_too_large());
        }
        match name.as_str() {
            "csrf" => form.csrf = String::from_utf8_lossy(&bytes).into_owned(),
            "list" => form.list = String::from_utf8_lossy(&bytes).into_owned(),
            "do" => form.action = String::from_utf8_lossy(&bytes).into_owned(),
            "skip" => form.skip = Some(String::from_utf8_lossy(&bytes).into_owned()),
            "file" if !bytes.is_empty() => file = Some(file_text(&bytes)),
            _ => {}
        }
    }
    if let Some(text) = file {
        form.list = text;
    }
    Ok(form)
}

#[handler]
pub async fn submit(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(lang): Data<&Lang>,
    body: poem::Body,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    let form = read_form(req, &mut RequestBody::new(body)).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let open_policy = s.partner.registration() != Registration::ListOnly;
    let l = Layout::signed_in(*lang, Area::Cabinet, "employees", s.who(), s.csrf);
    let skip = form.skip.is_some();
    let read = match skip {
        true => staff_list::parse_lines_lenient(&form.list),
        false => staff_list::parse_lines(&form.list).map(|entries| Lenient {
            entries,
            skipped: Vec::new(),
        }),
    };
    let mut list = match read {
        Ok(list) => list,
        Err(Error::Invalid(why)) => {
            let error = Some(l.t.phrase(&why).to_owned());
            let view = AddView {
                l,
                open_policy,
                text: form.list,
                error,
                result: None,
                last_sync: None,
                skip,
                skipped: Vec::new(),
                skipped_total: 0,
                retry: String::new(),
                retry_lines: RETRY_LINES,
                invite: false,
            };
            return Ok(html(view.render())
                .with_status(StatusCode::BAD_REQUEST)
                .into_response());
        }
        Err(e) => return Err(e.into()),
    };
    let whole_staff = form.action == "whole";
    let mut kept = list.kept();
    if whole_staff {
        kept.extend(staff_list::keep_by_name(state, &s.partner, &mut list).await?);
    }
    let c = staff_list::add_in_parts(state, &s.partner, &list.entries, &kept, whole_staff).await?;
    audit::staff_list(state, req, s.partner.id, &s.actor, &c).await;
    let skipped = list
        .skipped
        .iter()
        .take(SKIPPED_SHOWN)
        .map(|s| {
            let why = l.t.phrase(&s.why);
            match s.kept_by_name.as_slice() {
                [] => why.to_owned(),
                ids => {
                    let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
                    format!("{why} ({}: {})", l.t.s("add.kept_by_name"), ids.join(", "))
                }
            }
        })
        .collect();
    let invite = c.added > 0
        && crate::service::sms_fallback::limit_of(&state.settings, s.partner.sms_limit)? > 0;
    // The result in place rather than a redirect: adding the same list again changes nothing.
    let view = AddView {
        l,
        open_policy,
        text: String::new(),
        error: None,
        result: Some(c),
        last_sync: None,
        skip,
        skipped,
        skipped_total: list.skipped.len(),
        retry: retry_text(&list.skipped[..list.skipped.len().min(RETRY_LINES)]),
        retry_lines: RETRY_LINES,
        invite,
    };
    Ok(html(view.render()))
}
