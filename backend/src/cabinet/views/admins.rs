//! The company's named admins (`/cabinet/settings/admins`): the company's own account (the INN)
//! adds people with a login and password of their own, disables, enables, gives a new password
//! to and deletes them. A named admin sees the page's address refused: they cannot make or undo
//! each other.

use super::super::errors::{CabinetError, CabinetResult};
use super::super::i18n::Lang;
use super::super::layout::{Area, Layout};
use super::super::session::PartnerSession;
use super::super::{CabinetConfig, audit, html, session};
use super::{DoneQuery, done};
use crate::error::Error;
use crate::service::{admins, second_factor};
use crate::state::SharedState;
use crate::store::SessionKind;
use askama::Template;
use poem::http::StatusCode;
use poem::web::{Data, Form, Path, Query};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;

const PAGE: &str = "/cabinet/settings/admins";

pub struct Row {
    pub id: i64,
    pub login: String,
    pub name: String,
    pub created: String,
    /// The last login, if any.
    pub last_login: Option<String>,
    pub disabled: bool,
    pub viewer: bool,
    pub sender: bool,
    pub hr: bool,
    /// The roles the admin can be given instead, with their buttons' catalogue keys.
    pub other_roles: Vec<(&'static str, &'static str)>,
    pub second_factor: bool,
}

/// Another company's named admin given access to this company's cabinet.
pub struct Guest {
    pub id: i64,
    pub login: String,
    pub name: String,
    pub created: String,
    /// The last time they entered the cabinet, if ever.
    pub last_login: Option<String>,
    /// Not accepted yet.
    pub waiting: bool,
    /// Their own company, as "name (INN)": shown once they accept.
    pub home: String,
    pub disabled: bool,
    pub viewer: bool,
    pub sender: bool,
    pub hr: bool,
    pub other_roles: Vec<(&'static str, &'static str)>,
}

/// The roles, as stored and posted, with the key of the button that gives each.
const ROLES: [(&str, &str); 4] = [
    (crate::store::ADMIN_ROLE, "admins.make_admin"),
    (crate::store::SENDER, "admins.make_sender"),
    (crate::store::HR, "admins.make_hr"),
    (crate::store::VIEWER, "admins.make_viewer"),
];

#[derive(Template)]
#[template(path = "admins.html")]
struct AdminsView {
    l: Layout,
    rows: Vec<Row>,
    guests: Vec<Guest>,
    max: usize,
    /// A login code is required of every account (by the company or by the operator).
    required: bool,
    /// The operator requires it: the company cannot lift it.
    imposed: bool,
    /// The company's own account logs in with a code (which requiring one takes first).
    own_code: bool,
    /// The add form as typed, with what was wrong.
    login: String,
    name: String,
    /// The access form's login as typed.
    guest_login: String,
    error: Option<String>,
}

/// The journal's detail of an admin, with the role when it is not full rights.
fn with_role(admin: String, role: &str) -> String {
    match role {
        crate::store::VIEWER => crate::phrase::stored::AUDIT_VIEWER.fill(&[&admin]),
        crate::store::SENDER => crate::phrase::stored::AUDIT_SENDER.fill(&[&admin]),
        crate::store::HR => crate::phrase::stored::AUDIT_HR.fill(&[&admin]),
        _ => admin,
    }
}

/// The session of the company's own account; a named admin's is refused.
async fn main_account(req: &Request, state: &SharedState) -> CabinetResult<PartnerSession> {
    let s = session::partner(req, state).await?;
    if !s.is_main() {
        return Err(CabinetError::Forbidden(phrase!(
            "Администраторов добавляет и отключает только главная учётная запись организации (вход по ИНН)",
            "Only the company's main account (the login with the INN) adds and disables admins"
        )));
    }
    Ok(s)
}

async fn render(
    state: &SharedState,
    cfg: &CabinetConfig,
    l: Layout,
    partner_id: i64,
    typed: Typed<'_>,
    error: Option<String>,
) -> CabinetResult<Response> {
    // This company's admins alone, not every admin's of the server.
    let with_code = state.store.admins_with_code(partner_id).await?;
    let policy = state.store.code_policy(partner_id).await?;
    let own_code = second_factor::enabled(&state.store, SessionKind::Partner, partner_id)
        .await?
        .is_some();
    let rows = state
        .store
        .admins_of(partner_id)
        .await?
        .into_iter()
        .map(|a| Row {
            second_factor: with_code.contains(&a.id),
            viewer: a.is_viewer(),
            sender: a.is_sender(),
            hr: a.is_hr(),
            other_roles: ROLES.into_iter().filter(|(r, _)| *r != a.role).collect(),
            created: cfg.datetime(a.created_at),
            last_login: a.last_login_at.map(|t| cfg.datetime(t)),
            id: a.id,
            login: a.login,
            name: a.name,
            disabled: a.disabled,
        })
        .collect();
    let guests = state
        .store
        .access_granted_by(partner_id)
        .await?
        .into_iter()
        .map(|g| Guest {
            id: g.access.id,
            created: cfg.datetime(g.access.created_at),
            last_login: g.access.last_login_at.map(|t| cfg.datetime(t)),
            waiting: g.access.accepted_at.is_none(),
            home: format!("{} ({})", g.home_company, g.home_inn),
            disabled: g.access.disabled,
            viewer: g.access.role == crate::store::VIEWER,
            sender: g.access.role == crate::store::SENDER,
            hr: g.access.role == crate::store::HR,
            other_roles: ROLES
                .into_iter()
                .filter(|(r, _)| *r != g.access.role)
                .collect(),
            login: g.login,
            name: g.name,
        })
        .collect();
    let status = match error {
        Some(_) => StatusCode::BAD_REQUEST,
        None => StatusCode::OK,
    };
    let title = l.t.s("admins.title").to_owned();
    let view = AdminsView {
        l: l.with_title(&title),
        rows,
        guests,
        max: admins::MAX_ADMINS,
        required: policy.required(),
        imposed: policy.by_operator,
        own_code,
        login: typed.login.to_owned(),
        name: typed.name.to_owned(),
        guest_login: typed.guest_login.to_owned(),
        error,
    };
    Ok(html(view.render()).with_status(status).into_response())
}

/// What the page's forms had typed in, shown again with what was wrong (never a password).
#[derive(Default)]
struct Typed<'a> {
    login: &'a str,
    name: &'a str,
    guest_login: &'a str,
}

fn layout(lang: Lang, s: &PartnerSession) -> Layout {
    Layout::signed_in(lang, Area::Cabinet, "settings", s.who(), s.csrf.clone())
}

#[handler]
pub async fn page(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
    Query(q): Query<DoneQuery>,
) -> CabinetResult<Response> {
    let s = main_account(req, state).await?;
    let l = layout(*lang, &s).with_notice(q.done.as_deref());
    render(state, cfg, l, s.partner.id, Typed::default(), None).await
}

#[derive(Deserialize)]
pub struct AddForm {
    csrf: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    name: String,
    /// `viewer`, `sender`, `hr`, or a full admin.
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
}

/// A new named admin; the page again with what was wrong, what was typed kept (but the
/// password).
#[handler]
pub async fn add(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
    Form(form): Form<AddForm>,
) -> CabinetResult<Response> {
    let s = main_account(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let created = admins::create(
        &state.store,
        s.partner.id,
        &form.login,
        &form.name,
        admins::role(&form.role),
        &form.password,
    )
    .await;
    match created {
        Ok(a) => {
            tracing::info!(
                partner_id = s.partner.id,
                admin_id = a.id,
                "cabinet admin added"
            );
            let detail = with_role(format!("{} ({})", a.login, a.name), &a.role);
            let action = audit::Action::AdminAdded;
            audit::record(state, req, s.partner.id, &s.actor, action, &detail).await;
            Ok(done(PAGE, "admin_added"))
        }
        Err(Error::Invalid(why) | Error::Conflict(why)) => {
            let l = layout(*lang, &s);
            let error = l.t.phrase(&why).to_owned();
            let typed = Typed {
                login: &form.login,
                name: &form.name,
                ..Typed::default()
            };
            render(state, cfg, l, s.partner.id, typed, Some(error)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct ActForm {
    csrf: String,
    /// The new password of `reset`.
    #[serde(default)]
    password: String,
}

/// The main account's session for a form on one row of the page (an admin, or an access), and
/// the row's id from the address.
async fn row_form(
    req: &Request,
    state: &SharedState,
    raw_id: &str,
    csrf: &str,
) -> CabinetResult<(PartnerSession, i64)> {
    let s = main_account(req, state).await?;
    session::check_csrf(&s.csrf, csrf)?;
    let id = raw_id.trim().parse().map_err(|_| CabinetError::NotFound)?;
    Ok((s, id))
}

/// `disable`, `enable`, `reset` (a new password: the admin's sessions end and their login code
/// is removed) or `delete` one of the company's admins.
#[handler]
pub async fn act(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
    Path((raw_id, action)): Path<(String, String)>,
    Form(form): Form<ActForm>,
) -> CabinetResult<Response> {
    let (s, id) = row_form(req, state, &raw_id, &form.csrf).await?;
    let store = &state.store;
    let pid = s.partner.id;
    let admin = admins::of_partner(store, pid, id).await?;
    let name = format!("{} ({})", admin.login, admin.name);
    let (action, detail, key) = match action.as_str() {
        "disable" => {
            admins::set_disabled(store, pid, id, true).await?;
            (audit::Action::AdminDisabled, name, "admin_disabled")
        }
        "enable" => {
            admins::set_disabled(store, pid, id, false).await?;
            (audit::Action::AdminEnabled, name, "admin_enabled")
        }
        "reset" => match admins::reset_password(store, pid, id, &form.password).await {
            Ok(reset) => {
                // Each company that gave them access learns why it is disabled.
                let guest = crate::phrase::stored::AUDIT_GUEST.fill(&[&name]);
                let why = crate::phrase::stored::AUDIT_RESET_AT_HOME.fill(&[&guest]);
                for elsewhere in reset.accesses_disabled {
                    let action = audit::Action::AdminDisabled;
                    audit::record_server(store, elsewhere, action, &why).await;
                }
                let detail = match audit::second_factor_removed(reset.second_factor_removed) {
                    note if note.is_empty() => name,
                    note => format!("{name}; {note}"),
                };
                (audit::Action::AdminPasswordReset, detail, "admin_reset")
            }
            Err(Error::Invalid(why)) => {
                let l = layout(*lang, &s);
                let error = l.t.phrase(&why).to_owned();
                return render(state, cfg, l, pid, Typed::default(), Some(error)).await;
            }
            Err(e) => return Err(e.into()),
        },
        "delete" => {
            admins::delete(store, pid, id).await?;
            (audit::Action::AdminDeleted, name, "admin_deleted")
        }
        "viewer" | "sender" | "hr" | "admin" => {
            let role = admins::role(&action);
            admins::set_role(store, pid, id, role).await?;
            let detail = with_role(name, role);
            (audit::Action::AdminRoleChanged, detail, "admin_role")
        }
        _ => return Err(CabinetError::NotFound),
    };
    tracing::info!(
        partner_id = pid,
        admin_id = id,
        key,
        "cabinet admin changed"
    );
    audit::record(state, req, pid, &s.actor, action, &detail).await;
    Ok(done(PAGE, key))
}

#[derive(Deserialize)]
pub struct PolicyForm {
    csrf: String,
    /// `1`: require a login code of every account; anything else: leave it to each.
    #[serde(default)]
    required: String,
}

/// Requires a login code of every account of the company, or no longer. Required, a named admin
/// without one is logged out and sets it up at their next login, before the cabinet opens; the
/// company's own account must have one first, or it would be the first locked into the setup.
#[handler]
pub async fn set_policy(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
    Form(form): Form<PolicyForm>,
) -> CabinetResult<Response> {
    let s = main_account(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let pid = s.partner.id;
    let required = form.required == "1";
    let policy = state.store.code_policy(pid).await?;
    if policy.by_operator {
        return Err(CabinetError::Invalid(phrase!(
            "Вход с кодом для всех требует оператор сервиса: снять это требование может только он",
            "The service operator requires a login code of every account: only they can lift it"
        )));
    }
    if required == policy.by_company {
        return Ok(done(PAGE, "policy_unchanged"));
    }
    if required
        && second_factor::enabled(&state.store, SessionKind::Partner, pid)
            .await?
            .is_none()
    {
        let l = layout(*lang, &s);
        let error = l.t.s("admins.policy_own_first").to_owned();
        return render(state, cfg, l, pid, Typed::default(), Some(error)).await;
    }
    let ended =
        admins::set_code_required(&state.store, pid, admins::CodeRule::Company, required).await?;
    let (action, detail) = audit::code_rule(required, ended);
    let key = match required {
        true => "policy_required",
        false => "policy_optional",
    };
    tracing::info!(partner_id = pid, required, "login code policy changed");
    audit::record(state, req, pid, &s.actor, action, &detail).await;
    Ok(done(PAGE, key))
}

#[derive(Deserialize)]
pub struct GrantForm {
    csrf: String,
    #[serde(default)]
    login: String,
    /// `sender`, `hr`, `viewer`, or full rights.
    #[serde(default)]
    role: String,
}

/// Gives another company's named admin, by their login, access to this company's cabinet: it
/// opens once they accept it. The page again with what was wrong, the login kept.
#[handler]
pub async fn grant(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
    Form(form): Form<GrantForm>,
) -> CabinetResult<Response> {
    let s = main_account(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let pid = s.partner.id;
    match admins::grant_access(&state.store, pid, &form.login, admins::role(&form.role)).await {
        Ok(g) => {
            tracing::info!(
                partner_id = pid,
                admin_id = g.access.admin_id,
                "access given"
            );
            let who = with_role(format!("{} ({})", g.login, g.name), &g.access.role);
            let detail = crate::phrase::stored::AUDIT_GUEST.fill(&[&who]);
            let action = audit::Action::AccessGranted;
            audit::record(state, req, pid, &s.actor, action, &detail).await;
            Ok(done(PAGE, "access_granted"))
        }
        Err(Error::Invalid(why) | Error::Conflict(why)) => {
            let l = layout(*lang, &s);
            let error = l.t.phrase(&why).to_owned();
            let typed = Typed {
                guest_login: &form.login,
                ..Typed::default()
            };
            render(state, cfg, l, pid, typed, Some(error)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `disable`, `enable`, `remove`, or a new right (`admin`, `sender`, `hr`, `viewer`) for an access
/// the company gave. Disabled or removed, the admin's sessions in the company end at once.
#[handler]
pub async fn guest_act(
    req: &Request,
    Data(state): Data<&SharedState>,
    Path((raw_id, action)): Path<(String, String)>,
    Form(form): Form<ActForm>,
) -> CabinetResult<Response> {
    let (s, id) = row_form(req, state, &raw_id, &form.csrf).await?;
    let store = &state.store;
    let pid = s.partner.id;
    let g = admins::granted(store, pid, id).await?;
    let name = format!("{} ({})", g.login, g.name);
    let guest = |who: String| crate::phrase::stored::AUDIT_GUEST.fill(&[&who]);
    let (action, detail, key) = match action.as_str() {
        "disable" | "enable" => {
            let disabled = action == "disable";
            store.set_access_disabled(pid, id, disabled).await?;
            match disabled {
                true => (audit::Action::AdminDisabled, guest(name), "admin_disabled"),
                false => (audit::Action::AdminEnabled, guest(name), "admin_enabled"),
            }
        }
        "remove" => {
            store.remove_access(pid, id).await?;
            (audit::Action::AccessRemoved, guest(name), "access_removed")
        }
        "viewer" | "sender" | "hr" | "admin" => {
            let role = admins::role(&action);
            store.set_access_role(pid, id, role).await?;
            let detail = guest(with_role(name, role));
            (audit::Action::AdminRoleChanged, detail, "admin_role")
        }
        _ => return Err(CabinetError::NotFound),
    };
    tracing::info!(partner_id = pid, access_id = id, key, "access changed");
    audit::record(state, req, pid, &s.actor, action, &detail).await;
    Ok(done(PAGE, key))
}
