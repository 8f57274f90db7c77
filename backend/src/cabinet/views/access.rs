//! A named admin's companies (`/cabinet/access`): their own, and those whose cabinets other
//! companies gave them access to (a holding's HR, an outsourced accountant). They accept or
//! decline an access given, give one up, and move between the companies with one login.

use super::super::errors::{CabinetError, CabinetResult};
use super::super::i18n::Lang;
use super::super::layout::{Area, Layout};
use super::super::session::PartnerSession;
use super::super::{CabinetConfig, audit, html, session};
use super::{DoneQuery, done};
use crate::phrase::stored;
use crate::service::admins;
use crate::state::SharedState;
use crate::store::AdminRow;
use askama::Template;
use poem::web::{Data, Form, Path, Query};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;

const PAGE: &str = "/cabinet/access";

pub struct Company {
    /// The access's id; `None` for the admin's own company.
    pub access_id: Option<i64>,
    pub partner_id: i64,
    pub name: String,
    pub inn: String,
    /// The catalogue key of the right there.
    pub role: &'static str,
    /// This browser works in it now.
    pub current: bool,
    pub waiting: bool,
    /// Disabled by the company, or the company disabled by the operator.
    pub closed: bool,
    pub since: String,
}

#[derive(Template)]
#[template(path = "access.html")]
struct AccessView {
    l: Layout,
    login: String,
    companies: Vec<Company>,
}

fn role_key(role: &str) -> &'static str {
    match role {
        crate::store::VIEWER => "admins.viewer",
        crate::store::SENDER => "admins.sender",
        crate::store::HR => "admins.hr",
        _ => "access.full",
    }
}

/// The session of a named admin; the company's own account has no other companies.
async fn named(req: &Request, state: &SharedState) -> CabinetResult<(PartnerSession, AdminRow)> {
    let s = session::partner(req, state).await?;
    match s.admin.clone() {
        Some(a) => Ok((s, a)),
        None => Err(CabinetError::Forbidden(phrase!(
            "Доступ к кабинетам других организаций бывает у именных администраторов: главная учётная запись организации работает в своём кабинете",
            "Access to other companies' cabinets is for named admins: the company's main account works in its own cabinet"
        ))),
    }
}

#[handler]
pub async fn page(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
    Query(q): Query<DoneQuery>,
) -> CabinetResult<Response> {
    let (s, admin) = named(req, state).await?;
    let own = state
        .store
        .partner_by_id(admin.partner_id)
        .await?
        .ok_or(CabinetError::LoggedOut)?;
    let mut companies = vec![Company {
        access_id: None,
        partner_id: own.id,
        name: own.short_name,
        inn: own.inn,
        role: role_key(&admin.role),
        current: s.access.is_none(),
        waiting: false,
        closed: false,
        since: cfg.datetime(admin.created_at),
    }];
    companies.extend(s.offers.iter().map(|o| Company {
        access_id: Some(o.access.id),
        partner_id: o.access.partner_id,
        name: o.company.clone(),
        inn: o.inn.clone(),
        role: role_key(&o.access.role),
        current: s.working_in() == Some(o.access.partner_id),
        waiting: o.access.accepted_at.is_none(),
        closed: o.access.disabled || o.company_disabled,
        since: cfg.datetime(o.access.created_at),
    }));
    let l = Layout::signed_in(*lang, Area::Cabinet, "", s.who(), s.csrf.clone())
        .with_notice(q.done.as_deref());
    let title = l.t.s("access.title").to_owned();
    let view = AccessView {
        l: l.with_title(title),
        login: admin.login,
        companies,
    };
    Ok(html(view.render()).into_response())
}

#[derive(Deserialize)]
pub struct EnterForm {
    csrf: String,
    /// The company's id; the admin's own company's to go back.
    #[serde(default)]
    company: String,
}

/// Moves this browser into a company's cabinet: the admin's own, or one they have an open
/// access to. Journaled in the company entered.
#[handler]
pub async fn enter(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Form(form): Form<EnterForm>,
) -> CabinetResult<Response> {
    let (s, admin) = named(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let pid: i64 = form
        .company
        .trim()
        .parse()
        .map_err(|_| CabinetError::bad_form())?;
    if pid == admin.partner_id {
        session::enter(req, state, cfg, admin.id, None).await?;
        return Ok(done("/cabinet", "entered"));
    }
    let access = admins::may_enter(&state.store, &admin, pid).await?;
    session::enter(req, state, cfg, admin.id, Some(pid)).await?;
    state
        .store
        .access_entered(access.id, crate::domain::now_millis())
        .await?;
    tracing::info!(
        partner_id = pid,
        admin_id = admin.id,
        "admin entered another company's cabinet"
    );
    let detail = stored::AUDIT_ENTERED.fill(&[]);
    audit::record(state, req, pid, &s.actor, audit::Action::Login, &detail).await;
    Ok(done("/cabinet", "entered"))
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// `accept` or `decline` an access waiting, or `decline` (give up) one accepted. Journaled in
/// the company that gave it.
#[handler]
pub async fn act(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Path((raw_id, action)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> CabinetResult<Response> {
    let (s, admin) = named(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let id: i64 = raw_id.trim().parse().map_err(|_| CabinetError::NotFound)?;
    let (offer, action, key) = match action.as_str() {
        "accept" => {
            let offer = admins::accept(&state.store, &admin, id).await?;
            (offer, audit::Action::AccessAccepted, "access_accepted")
        }
        "decline" => {
            let offer = admins::decline(&state.store, &admin, id).await?;
            (offer, audit::Action::AccessDeclined, "access_declined")
        }
        _ => return Err(CabinetError::NotFound),
    };
    let pid = offer.access.partner_id;
    tracing::info!(partner_id = pid, admin_id = admin.id, key, "admin's access");
    let detail = stored::AUDIT_GUEST.fill(&[&format!("{} ({})", admin.login, admin.name)]);
    audit::record(state, req, pid, &s.actor, action, &detail).await;
    // Given up from inside that company, this browser's session there has ended with it.
    if s.working_in() == Some(pid) {
        session::enter(req, state, cfg, admin.id, None).await?;
    }
    Ok(done(PAGE, key))
}
