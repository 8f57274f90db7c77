//! The service operator's area: partners list (newest first, searched by INN or name,
//! paged), create a partner (its token shown once), disable or enable a partner, reset a
//! partner's cabinet password. An action brings the operator back to the page of the list
//! they were on.

use super::super::errors::{CabinetError, CabinetResult};
use super::super::i18n::Lang;
use super::super::layout::{Area, Layout};
use super::super::{CabinetConfig, audit, cookies, html, session};
use super::{PageOf, done, fold, list_href, page_number};
use crate::domain::PartnerName;
use crate::service::partners::{self, PartnerInput};
use crate::state::SharedState;
use crate::store::{CodePolicy, PartnerRow, SessionKind};
use askama::Template;
use poem::http::StatusCode;
use poem::web::{Data, Form, Path, Query};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;
use std::collections::HashSet;

const OPERATOR: &str = "/operator";

/// The list's query string; anything unparseable means everyone or the first page.
#[derive(Debug, Default, Deserialize)]
pub struct ListParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: String,
    done: Option<String>,
}

impl ListParams {
    fn page(&self) -> usize {
        page_number(&self.page)
    }

    /// The list's address with this search on `page` (`done` left out).
    fn href(&self, page: usize) -> String {
        list_href(OPERATOR, &[("q", self.q.trim())], page)
    }
}

/// The list page an action came from (its `back` field), or the first page: only the list's
/// own parameters are kept, so the field cannot send the operator anywhere else.
fn back_to(back: Option<&str>) -> String {
    let Some(query) = back.and_then(|b| b.strip_prefix(OPERATOR)) else {
        return OPERATOR.to_owned();
    };
    let Some(query) = query.strip_prefix('?') else {
        return OPERATOR.to_owned();
    };
    let p: ListParams = serde_urlencoded::from_str(query).unwrap_or_default();
    p.href(p.page())
}

/// Whether a partner matches every word of a search: each is a part of the INN or of the
/// short or full name (case and ё folded).
fn matches(p: &PartnerRow, words: &[String]) -> bool {
    let names = fold(&format!("{} {}", p.short_name, p.full_name));
    words
        .iter()
        .all(|w| p.inn.contains(w.as_str()) || names.contains(w.as_str()))
}

pub struct PartnerItem {
    pub id: i64,
    pub inn: String,
    pub name: String,
    pub full_name: String,
    pub created: String,
    pub disabled: bool,
    /// Its admin logs in with a code from an app (the operator's password reset removes it).
    pub login_code: bool,
    /// Named admins of its cabinet.
    pub admins: i64,
    /// Who requires a login code of every account.
    pub code: CodePolicy,
    /// The company's own limit of API calls a second, as the form shows it: empty for the
    /// server's.
    pub rate: String,
    /// The company's own limit of SMS a month; empty for the server's.
    pub sms_limit: String,
    /// The company's own room for files in megabytes; empty for the server's.
    pub file_room: String,
    /// How much its files take ("12 МБ"); empty when it keeps none.
    pub files_used: String,
}

/// What the create form held, to refill it after an error.
#[derive(Default, Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    pub inn: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub full_name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    pub approval_required: Option<String>,
}

/// A partner just created: its token is in this page only.
pub struct Created {
    pub inn: String,
    pub token: String,
}

#[derive(Template)]
#[template(path = "operator.html")]
struct PartnersView {
    l: Layout,
    partners: Vec<PartnerItem>,
    q: String,
    /// All partners, and how many of them the search found.
    total: usize,
    matched: usize,
    page: usize,
    pages: usize,
    prev: Option<String>,
    next: Option<String>,
    /// Where an action on a row brings the operator back to: this page of the list.
    back: String,
    form: CreateForm,
    error: Option<String>,
    created: Option<Created>,
    /// The server's limit of API calls a second, shown where a company has none of its own.
    default_rate: u32,
    default_sms_limit: i64,
    /// The server's room for a company's files, in megabytes (0: no limit).
    default_file_room: i64,
}

async fn render(
    state: &SharedState,
    cfg: &CabinetConfig,
    l: Layout,
    p: &ListParams,
    form: CreateForm,
    error: Option<String>,
    created: Option<Created>,
) -> CabinetResult<Response> {
    let all = state.store.list_partners().await?;
    let with_code: HashSet<i64> = state
        .store
        .second_factor_subjects(SessionKind::Partner)
        .await?
        .into_iter()
        .collect();
    let (admin_counts, code_policies) = state.store.admin_overview().await?;
    let admin_counts: std::collections::HashMap<i64, i64> = admin_counts.into_iter().collect();
    let code_policies: std::collections::HashMap<i64, CodePolicy> =
        code_policies.into_iter().collect();
    let used: std::collections::HashMap<i64, i64> = state
        .store
        .file_bytes_by_partner()
        .await?
        .into_iter()
        .collect();
    let words: Vec<String> = fold(&p.q).split_whitespace().map(str::to_owned).collect();
    let total = all.len();
    // Newest first: a partner just created is on the first page, under its token.
    let found = PageOf::of(
        all.into_iter()
            .rev()
            .filter(|r| matches(r, &words))
            .collect(),
        p.page(),
        cfg.page_size as usize,
    );
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = found.page;
    let t = l.t;
    let view = PartnersView {
        l,
        partners: found
            .rows
            .into_iter()
            .map(|p| PartnerItem {
                id: p.id,
                inn: p.inn,
                name: p.short_name,
                full_name: p.full_name,
                created: cfg.date(p.created_at),
                disabled: p.disabled,
                login_code: with_code.contains(&p.id),
                admins: admin_counts.get(&p.id).copied().unwrap_or(0),
                code: code_policies.get(&p.id).copied().unwrap_or_default(),
                rate: p.api_rate.map(|r| r.to_string()).unwrap_or_default(),
                sms_limit: p.sms_limit.map(|n| n.to_string()).unwrap_or_default(),
                file_room: p.file_room_mb.map(|n| n.to_string()).unwrap_or_default(),
                files_used: used
                    .get(&p.id)
                    .map(|b| super::messages::size_label(*b, t))
                    .unwrap_or_default(),
            })
            .collect(),
        q: p.q.trim().to_owned(),
        total,
        matched: found.matched,
        page,
        pages: found.pages,
        prev: (page > 1).then(|| p.href(page - 1)),
        next: (page < found.pages).then(|| p.href(page + 1)),
        back: p.href(page),
        form,
        error,
        created,
        default_rate: state.partner_throttle.rate_of(None),
        default_sms_limit: crate::service::sms_fallback::monthly_limit(&state.settings)?,
        default_file_room: crate::service::files::quota_bytes(&state.settings)?
            .map_or(0, |b| b / (1024 * 1024)),
    };
    Ok(html(view.render()).with_status(status).into_response())
}

#[handler]
pub async fn list(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
    Query(p): Query<ListParams>,
) -> CabinetResult<Response> {
    let s = session::operator(req, state).await?;
    let l = Layout::signed_in(
        *lang,
        Area::Operator,
        "partners",
        s.operator.login.clone(),
        s.csrf,
    )
    .with_notice(p.done.as_deref());
    let created = flashed_partner(req, state, cfg).await?;
    render(state, cfg, l, &p, CreateForm::default(), None, created).await
}

/// The partner created by the form just before, with its token, shown on this one page load
/// (post/redirect/get, so a reload neither shows the token again nor re-submits the form).
async fn flashed_partner(
    req: &Request,
    state: &SharedState,
    cfg: &CabinetConfig,
) -> CabinetResult<Option<Created>> {
    let Some(token) = cookies::take_flash_token(req.cookie(), OPERATOR, cfg.secure_cookies) else {
        return Ok(None);
    };
    let owner = partners::by_token(&state.store, &token).await?;
    Ok(owner.map(|p| Created { inn: p.inn, token }))
}

#[handler]
pub async fn create_partner(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
    Form(form): Form<CreateForm>,
) -> CabinetResult<Response> {
    let s = session::operator(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let l = Layout::signed_in(
        *lang,
        Area::Operator,
        "partners",
        s.operator.login.clone(),
        s.csrf,
    );
    let result = partners::create(
        &state.store,
        PartnerInput {
            inn: &form.inn,
            short_name: &form.name,
            full_name: &form.full_name,
            password: &form.password,
            approval_required: form.approval_required.is_some(),
        },
    )
    .await;
    match result {
        Ok((p, token)) => {
            tracing::info!(
                operator_id = s.operator.id,
                partner_id = p.id,
                "partner created by the operator"
            );
            audit::by_operator(
                state,
                req,
                &s.operator.login,
                &p,
                audit::Action::PartnerCreated,
                "",
            )
            .await;
            cookies::flash_token(req.cookie(), OPERATOR, token.expose(), cfg.secure_cookies);
            Ok(done(OPERATOR, "partner_created"))
        }
        Err(e) if !e.is_server_fault() => {
            let first = ListParams::default();
            let problem = e.phrase().map(|p| l.t.phrase(p).to_owned());
            render(state, cfg, l, &first, form, problem, None).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The partner an action on its row is about; a 404 for an ID that is nobody's.
async fn partner_of_row(state: &SharedState, id: i64) -> CabinetResult<PartnerRow> {
    state
        .store
        .partner_by_id(id)
        .await?
        .ok_or(CabinetError::NotFound)
}

#[derive(Deserialize)]
pub struct DisableForm {
    csrf: String,
    disabled: String,
    back: Option<String>,
}

#[handler]
pub async fn set_disabled(
    req: &Request,
    Data(state): Data<&SharedState>,
    Path(id): Path<i64>,
    Form(form): Form<DisableForm>,
) -> CabinetResult<Response> {
    let s = session::operator(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let disabled = form.disabled == "1";
    let before = partner_of_row(state, id).await?;
    state.store.set_partner_disabled(id, disabled).await?;
    if disabled {
        // A disabled partner's admins, named ones too, are logged out at once.
        state.store.delete_company_sessions(id).await?;
    }
    tracing::info!(
        operator_id = s.operator.id,
        partner_id = id,
        disabled,
        "partner access changed"
    );
    if before.disabled != disabled {
        let action = if disabled {
            audit::Action::PartnerDisabled
        } else {
            audit::Action::PartnerEnabled
        };
        audit::by_operator(state, req, &s.operator.login, &before, action, "").await;
    }
    Ok(done(
        &back_to(form.back.as_deref()),
        if disabled {
            "partner_disabled"
        } else {
            "partner_enabled"
        },
    ))
}

#[derive(Deserialize)]
pub struct EraseForm {
    csrf: String,
    /// The company's INN, typed again: a deletion for good is never one slip of the mouse.
    confirm: String,
    back: Option<String>,
}

/// Deletes a disabled partner with everything the server holds of it.
#[handler]
pub async fn erase(
    req: &Request,
    Data(state): Data<&SharedState>,
    Path(id): Path<i64>,
    Form(form): Form<EraseForm>,
) -> CabinetResult<Response> {
    let s = session::operator(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let partner = partner_of_row(state, id).await?;
    if form.confirm.trim() != partner.inn {
        let inn = &partner.inn;
        return Err(CabinetError::Invalid(phrase!(
            "Для подтверждения введите ИНН компании: {inn}",
            "To confirm, type the company's INN: {inn}"
        )));
    }
    let erased = partners::erase(&state.store, &partner).await?;
    tracing::info!(
        operator_id = s.operator.id,
        operator = %s.operator.login,
        partner_id = id,
        "partner erased by the operator"
    );
    audit::for_operator(
        state,
        req,
        &audit::operator(&s.operator.login),
        Some(&partner),
        audit::Action::PartnerErased,
        &audit::erased(&erased),
    )
    .await;
    Ok(done(&back_to(form.back.as_deref()), "partner_erased"))
}

#[derive(Deserialize)]
pub struct NamesForm {
    csrf: String,
    name: String,
    full_name: String,
    back: Option<String>,
}

/// Corrects a company's names (a typo at creation, a new legal form). The app shows the short
/// name in the employee's profile at their next login; the partner's journal records the
/// change with the operator's login.
#[handler]
pub async fn rename(
    req: &Request,
    Data(state): Data<&SharedState>,
    Path(id): Path<i64>,
    Form(form): Form<NamesForm>,
) -> CabinetResult<Response> {
    let s = session::operator(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let short = PartnerName::parse(&form.name).map_err(|e| CabinetError::Invalid(e.0))?;
    let full = PartnerName::parse(&form.full_name).map_err(|e| CabinetError::Invalid(e.0))?;
    let before = partner_of_row(state, id).await?;
    if !state
        .store
        .rename_partner(id, short.as_str(), full.as_str())
        .await?
    {
        return Err(CabinetError::NotFound);
    }
    if (before.short_name.as_str(), before.full_name.as_str()) != (short.as_str(), full.as_str()) {
        let detail = format!(
            "«{}» → «{}»; «{}» → «{}»",
            before.short_name,
            short.as_str(),
            before.full_name,
            full.as_str()
        );
        audit::by_operator(
            state,
            req,
            &s.operator.login,
            &before,
            audit::Action::PartnerRenamed,
            &detail,
        )
        .await;
    }
    Ok(done(&back_to(form.back.as_deref()), "partner_renamed"))
}

#[derive(Deserialize)]
pub struct RateForm {
    csrf: String,
    /// Calls a second; empty for the server's (`SIMO_PARTNER_RATE`), 0 for no limit.
    #[serde(default)]
    rate: String,
    back: Option<String>,
}

/// Gives a company a limit of API calls a second of its own (a large client's integration
/// that needs more than the server's default, or one to hold back), or back the server's.
#[handler]
pub async fn set_rate(
    req: &Request,
    Data(state): Data<&SharedState>,
    Path(id): Path<i64>,
    Form(form): Form<RateForm>,
) -> CabinetResult<Response> {
    let s = session::operator(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let rate = crate::service::throttle::parse_rate(&form.rate).map_err(CabinetError::Invalid)?;
    let before = partner_of_row(state, id).await?;
    if !state.store.set_partner_rate(id, rate).await? {
        return Err(CabinetError::NotFound);
    }
    if before.api_rate != rate {
        let detail = crate::service::throttle::own_limit_change(before.api_rate, rate);
        audit::by_operator(
            state,
            req,
            &s.operator.login,
            &before,
            audit::Action::PartnerRateSet,
            &detail,
        )
        .await;
    }
    Ok(done(&back_to(form.back.as_deref()), "partner_rate"))
}

#[derive(Deserialize)]
pub struct SmsLimitForm {
    csrf: String,
    /// SMS a month; empty for the server's (`SIMO_SMS_FALLBACK_MONTHLY_LIMIT`), 0 for none.
    #[serde(default)]
    limit: String,
    back: Option<String>,
}

/// Gives a company a limit of SMS of unread messages a month of its own (a client who pays
/// for more, or none), or back the server's.
#[handler]
pub async fn set_sms_limit(
    req: &Request,
    Data(state): Data<&SharedState>,
    Path(id): Path<i64>,
    Form(form): Form<SmsLimitForm>,
) -> CabinetResult<Response> {
    let s = session::operator(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let limit =
        crate::service::sms_fallback::parse_limit(&form.limit).map_err(CabinetError::Invalid)?;
    let before = partner_of_row(state, id).await?;
    if !state.store.set_partner_sms_limit(id, limit).await? {
        return Err(CabinetError::NotFound);
    }
    if before.sms_limit != limit {
        let detail = crate::service::throttle::own_limit_change(before.sms_limit, limit);
        let action = audit::Action::PartnerSmsLimitSet;
        audit::by_operator(state, req, &s.operator.login, &before, action, &detail).await;
    }
    Ok(done(&back_to(form.back.as_deref()), "partner_sms_limit"))
}

#[derive(Deserialize)]
pub struct FileRoomForm {
    csrf: String,
    /// Megabytes; empty for the server's (`SIMO_FILE_QUOTA_BYTES`), 0 for no limit.
    #[serde(default)]
    room: String,
    back: Option<String>,
}

/// Gives a company a room for files of its own (a client who sends scans, or one to hold
/// back), or back the server's. Files already kept stay: a smaller room refuses new uploads.
#[handler]
pub async fn set_file_room(
    req: &Request,
    Data(state): Data<&SharedState>,
    Path(id): Path<i64>,
    Form(form): Form<FileRoomForm>,
) -> CabinetResult<Response> {
    let s = session::operator(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let room = crate::service::files::parse_room(&form.room).map_err(CabinetError::Invalid)?;
    let before = partner_of_row(state, id).await?;
    if !state.store.set_partner_file_room(id, room).await? {
        return Err(CabinetError::NotFound);
    }
    if before.file_room_mb != room {
        let detail = crate::service::throttle::own_limit_change(before.file_room_mb, room);
        let action = audit::Action::PartnerFileRoomSet;
        audit::by_operator(state, req, &s.operator.login, &before, action, &detail).await;
    }
    Ok(done(&back_to(form.back.as_deref()), "partner_file_room"))
}

#[derive(Deserialize)]
pub struct CodeForm {
    csrf: String,
    imposed: String,
    back: Option<String>,
}

/// Requires a login code of every account of the company, its own included, or no longer (a
/// client's security policy, a company whose password has leaked). The company cannot lift it;
/// an account without a code is logged out and sets one up at its next login. The company's
/// own requirement, if it has one, stays as it is either way.
#[handler]
pub async fn set_code_policy(
    req: &Request,
    Data(state): Data<&SharedState>,
    Path(id): Path<i64>,
    Form(form): Form<CodeForm>,
) -> CabinetResult<Response> {
    let s = session::operator(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let imposed = form.imposed == "1";
    let partner = partner_of_row(state, id).await?;
    let back = back_to(form.back.as_deref());
    if state.store.code_policy(id).await?.by_operator == imposed {
        return Ok(done(&back, "code_policy_unchanged"));
    }
    let rule = crate::service::admins::CodeRule::Operator;
    let ended = crate::service::admins::set_code_required(&state.store, id, rule, imposed).await?;
    let (action, detail) = audit::code_rule(imposed, ended);
    let key = match imposed {
        true => "code_imposed",
        false => "code_lifted",
    };
    tracing::info!(
        operator_id = s.operator.id,
        partner_id = id,
        imposed,
        "login code imposed by the operator"
    );
    audit::by_operator(state, req, &s.operator.login, &partner, action, &detail).await;
    Ok(done(&back, key))
}

#[derive(Deserialize)]
pub struct ResetForm {
    csrf: String,
    password: String,
    back: Option<String>,
}

#[handler]
pub async fn reset_password(
    req: &Request,
    Data(state): Data<&SharedState>,
    Path(id): Path<i64>,
    Form(form): Form<ResetForm>,
) -> CabinetResult<Response> {
    let s = session::operator(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let partner = partner_of_row(state, id).await?;
    let second_factor_removed = partners::reset_password(&state.store, id, &form.password).await?;
    tracing::info!(
        operator_id = s.operator.id,
        partner_id = id,
        "partner password reset by the operator"
    );
    audit::by_operator(
        state,
        req,
        &s.operator.login,
        &partner,
        audit::Action::PasswordReset,
        &audit::second_factor_removed(second_factor_removed),
    )
    .await;
    Ok(done(&back_to(form.back.as_deref()), "password_reset"))
}
