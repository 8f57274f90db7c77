//! Login and logout of both areas.

use super::super::errors::{CabinetError, CabinetResult};
use super::super::i18n::Lang;
use super::super::layout::Layout;
use super::super::{CabinetConfig, audit, html, session};
use crate::api::v1::client_ip;
use crate::service::accounts::{self, Attempt};
use crate::service::second_factor;
use crate::state::SharedState;
use crate::store::{Awaiting, ChallengeRow, SessionKind};
use askama::Template;
use poem::http::StatusCode;
use poem::web::{Data, Form, Redirect};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginView {
    l: Layout,
    action: &'static str,
    operator: bool,
    login: String,
    csrf: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

fn login_view(
    req: &Request,
    cfg: &CabinetConfig,
    lang: Lang,
    kind: SessionKind,
    login: String,
    error: Option<String>,
) -> LoginView {
    let (action, title_key) = match kind {
        SessionKind::Operator => ("/operator/login", "login.operator_title"),
        _ => ("/cabinet/login", "login.title"),
    };
    let l = Layout::bare(lang, "");
    let title = l.t.s(title_key);
    LoginView {
        l: l.with_title(title),
        action,
        operator: kind == SessionKind::Operator,
        login,
        csrf: session::login_csrf(req, cfg, root(kind)),
        error,
    }
}

/// An account whose password was right: whom to start a session (or a wait for the code) for,
/// and where its journal is.
struct Signed {
    kind: SessionKind,
    id: i64,
    /// The company whose journal records it; `None` for the operator (the operator's journal).
    partner_id: Option<i64>,
    actor: String,
    code_follows: bool,
    setup_follows: bool,
}

/// Records a login's event in the journal of the account's area.
async fn journal(
    state: &SharedState,
    req: &Request,
    partner_id: Option<i64>,
    actor: &str,
    action: audit::Action,
    detail: &str,
) {
    match partner_id {
        Some(id) => audit::record(state, req, id, actor, action, detail).await,
        None => audit::for_operator(state, req, actor, None, action, detail).await,
    }
}

async fn submit(
    req: &Request,
    state: &SharedState,
    cfg: &CabinetConfig,
    lang: Lang,
    kind: SessionKind,
    form: LoginForm,
) -> CabinetResult<Response> {
    session::check_login_csrf(req, &form.csrf)?;
    // A cabinet's login is an INN or a named admin's login, which is kept without case; the
    // failures are counted by it as compared.
    let attempt_login = match kind {
        SessionKind::Operator => form.login.trim().to_owned(),
        _ => form.login.trim().to_lowercase(),
    };
    let attempt = Attempt {
        login: &attempt_login,
        password: &form.password,
        client_ip: &client_ip(req, state.settings.trust_forwarded_for),
    };
    let signed = match kind {
        SessionKind::Operator => accounts::operator_login(&state.store, cfg.throttle, attempt)
            .await
            .map(|(o, code_follows)| Signed {
                kind,
                id: o.id,
                partner_id: None,
                actor: audit::operator(&o.login),
                code_follows,
                setup_follows: false,
            }),
        _ => accounts::partner_login(&state.store, cfg.throttle, attempt)
            .await
            .map(|l| {
                let (kind, id) = l.account();
                Signed {
                    kind,
                    id,
                    partner_id: Some(l.partner.id),
                    actor: audit::actor_of(l.admin.as_ref()),
                    code_follows: l.code_follows,
                    setup_follows: l.setup_follows,
                }
            }),
    };
    match signed {
        Ok(s) if s.code_follows || s.setup_follows => {
            let (awaiting, next) = match s.setup_follows {
                true => (Awaiting::Setup, "setup"),
                false => (Awaiting::Code, "code"),
            };
            let login = &attempt_login;
            session::challenge(req, state, cfg, s.kind, s.id, login, awaiting).await?;
            Ok(Redirect::see_other(format!("{}/login/{next}", root(kind))).into_response())
        }
        Ok(s) => {
            session::start(req, state, cfg, s.kind, s.id, None).await?;
            journal(state, req, s.partner_id, &s.actor, audit::Action::Login, "").await;
            Ok(Redirect::see_other(root(kind)).into_response())
        }
        Err(crate::error::Error::Unauthorized(_)) => {
            let failed = audit::Action::LoginFailed;
            if kind == SessionKind::Operator {
                // The login is kept only when it is an operator's: what else was typed may be
                // a password in the wrong field.
                let detail = match state.store.operator_by_login(&attempt_login).await? {
                    Some(op) => op.login,
                    None => crate::phrase::stored::AUDIT_UNKNOWN_LOGIN.fill(&[]),
                };
                audit::for_operator(state, req, audit::VISITOR, None, failed, &detail).await;
            } else if let Ok(inn) = crate::domain::Inn::parse(&attempt_login) {
                // A wrong password for a company's INN goes to that company's journal, and one
                // for a named admin's login to the admin's company's, with the login.
                if let Some(p) = state.store.partner_by_inn(&inn).await? {
                    audit::record(state, req, p.id, audit::VISITOR, failed, "").await;
                }
            } else if let Some(a) = state.store.admin_by_login(&attempt_login).await? {
                audit::record(state, req, a.partner_id, audit::VISITOR, failed, &a.login).await;
            }
            let view = login_view(req, cfg, lang, kind, form.login.trim().to_owned(), None);
            let msg = view.l.t.s("login.bad_credentials").to_owned();
            let view = LoginView {
                error: Some(msg),
                ..view
            };
            Ok(html(view.render())
                .with_status(StatusCode::UNAUTHORIZED)
                .into_response())
        }
        Err(e) => Err(CabinetError::from(e)),
    }
}

/// The area's root: where a login lands.
fn root(kind: SessionKind) -> &'static str {
    match kind.area() {
        SessionKind::Operator => "/operator",
        _ => "/cabinet",
    }
}

#[derive(Template)]
#[template(path = "login_code.html")]
struct CodeView {
    l: Layout,
    operator: bool,
    action: String,
    csrf: String,
    error: Option<String>,
}

fn code_view(req: &Request, cfg: &CabinetConfig, lang: Lang, kind: SessionKind) -> CodeView {
    let l = Layout::bare(lang, "");
    let title = l.t.s("code.title");
    CodeView {
        l: l.with_title(title),
        operator: kind == SessionKind::Operator,
        action: format!("{}/login/code", root(kind)),
        csrf: session::login_csrf(req, cfg, root(kind)),
        error: None,
    }
}

/// The second step of a login with a second factor: the code's form, for a login whose
/// password was right a moment ago; anyone else goes to the first step.
async fn code_page(
    req: &Request,
    state: &SharedState,
    cfg: &CabinetConfig,
    lang: Lang,
    kind: SessionKind,
) -> CabinetResult<Response> {
    if session::challenged(req, state, kind, Awaiting::Code)
        .await?
        .is_none()
    {
        return Ok(Redirect::see_other(format!("{}/login", root(kind))).into_response());
    }
    Ok(html(code_view(req, cfg, lang, kind).render()))
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    csrf: String,
}

/// The account a login waits for: its kind, the company whose journal records it (`None`: the
/// operator's) and whom the journal names; `None` if it was deleted meanwhile.
async fn waiting_account(
    state: &SharedState,
    ch: &ChallengeRow,
) -> CabinetResult<Option<(SessionKind, Option<i64>, String)>> {
    Ok(match SessionKind::parse(&ch.kind) {
        Some(SessionKind::Operator) => {
            Some((SessionKind::Operator, None, audit::operator(&ch.login)))
        }
        Some(SessionKind::Admin) => state.store.admin_by_id(ch.subject_id).await?.map(|a| {
            (
                SessionKind::Admin,
                Some(a.partner_id),
                audit::admin(&a.login),
            )
        }),
        _ => Some((
            SessionKind::Partner,
            Some(ch.subject_id),
            audit::ADMIN.to_owned(),
        )),
    })
}

async fn code_submit(
    req: &Request,
    state: &SharedState,
    cfg: &CabinetConfig,
    lang: Lang,
    kind: SessionKind,
    form: CodeForm,
) -> CabinetResult<Response> {
    session::check_login_csrf(req, &form.csrf)?;
    let Some(ch) = session::challenged(req, state, kind, Awaiting::Code).await? else {
        return Ok(Redirect::see_other(format!("{}/login", root(kind))).into_response());
    };
    let attempt = Attempt {
        login: &ch.login,
        password: &form.code,
        client_ip: &client_ip(req, state.settings.trust_forwarded_for),
    };
    let Some((account, partner_id, actor)) = waiting_account(state, &ch).await? else {
        session::end_challenge(req, state, cfg, kind).await?;
        return Ok(Redirect::see_other(format!("{}/login", root(kind))).into_response());
    };
    let outcome =
        accounts::confirm_code(&state.store, cfg.throttle, account, ch.subject_id, attempt).await;
    match outcome {
        Ok(verified) => {
            session::end_challenge(req, state, cfg, kind).await?;
            session::start(req, state, cfg, account, ch.subject_id, None).await?;
            let detail = match verified {
                second_factor::Verified::Recovery { left } => {
                    crate::phrase::stored::AUDIT_WITH_RECOVERY.fill(&[&left.to_string()])
                }
                _ => crate::phrase::stored::AUDIT_WITH_CODE.fill(&[]),
            };
            journal(
                state,
                req,
                partner_id,
                &actor,
                audit::Action::Login,
                &detail,
            )
            .await;
            Ok(Redirect::see_other(root(kind)).into_response())
        }
        Err(crate::error::Error::Unauthorized(why)) => {
            // The password was right: someone who has it, and not the phone, is worth knowing.
            let detail = crate::phrase::stored::AUDIT_WRONG_CODE.fill(&[]);
            let detail = match account {
                SessionKind::Partner => detail,
                _ => format!("{}; {detail}", ch.login),
            };
            let failed = audit::Action::LoginFailed;
            journal(state, req, partner_id, audit::VISITOR, failed, &detail).await;
            let view = code_view(req, cfg, lang, kind);
            let error = Some(view.l.t.phrase(&why).to_owned());
            Ok(html(CodeView { error, ..view }.render())
                .with_status(StatusCode::UNAUTHORIZED)
                .into_response())
        }
        Err(e) => Err(CabinetError::from(e)),
    }
}

// The code's form for both areas: the route gives the area's kind of account.

#[handler]
pub async fn code_form(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
    Data(kind): Data<&SessionKind>,
) -> CabinetResult<Response> {
    code_page(req, state, cfg, *lang, *kind).await
}

#[handler]
pub async fn code_sent(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
    Data(kind): Data<&SessionKind>,
    Form(form): Form<CodeForm>,
) -> CabinetResult<Response> {
    code_submit(req, state, cfg, *lang, *kind, form).await
}

#[derive(Template)]
#[template(path = "login_setup.html")]
struct SetupView {
    l: Layout,
    csrf: String,
    /// What to add to the app; `None` once the code is on.
    setup: Option<second_factor::Setup>,
    /// The recovery codes, shown in the answer that turned the code on.
    recovery: Vec<String>,
    error: Option<String>,
}

impl SetupView {
    async fn of(
        req: &Request,
        state: &SharedState,
        cfg: &CabinetConfig,
        lang: Lang,
        account: SessionKind,
        ch: &ChallengeRow,
    ) -> CabinetResult<Self> {
        let l = Layout::bare(lang, "");
        let title = l.t.s("setup.title");
        let setup = second_factor::staged(&state.store, account, ch.subject_id, &ch.login).await?;
        Ok(Self {
            l: l.with_title(title),
            csrf: session::login_csrf(req, cfg, "/cabinet"),
            setup,
            recovery: Vec::new(),
            error: None,
        })
    }
}

/// The login waiting for the setup its company requires, and its account; `Err` is where to
/// go instead (the first step).
async fn waiting_setup(
    req: &Request,
    state: &SharedState,
    cfg: &CabinetConfig,
) -> CabinetResult<Result<(ChallengeRow, SessionKind, Option<i64>, String), Response>> {
    let area = SessionKind::Partner;
    let to_login = || Redirect::see_other("/cabinet/login").into_response();
    let Some(ch) = session::challenged(req, state, area, Awaiting::Setup).await? else {
        return Ok(Err(to_login()));
    };
    let Some((account, partner_id, actor)) = waiting_account(state, &ch).await? else {
        session::end_challenge(req, state, cfg, area).await?;
        return Ok(Err(to_login()));
    };
    Ok(Ok((ch, account, partner_id, actor)))
}

/// The company requires a login code and the account has none: its setup, after the password
/// and before anything of the cabinet opens.
#[handler]
pub async fn setup_form(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
) -> CabinetResult<Response> {
    let (ch, account, _, _) = match waiting_setup(req, state, cfg).await? {
        Ok(waiting) => waiting,
        Err(elsewhere) => return Ok(elsewhere),
    };
    let view = SetupView::of(req, state, cfg, *lang, account, &ch).await?;
    Ok(html(view.render()))
}

/// The first code for the key shown: the code is on, the session starts, and the answer shows
/// the recovery codes once.
#[handler]
pub async fn setup_sent(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
    Form(form): Form<CodeForm>,
) -> CabinetResult<Response> {
    session::check_login_csrf(req, &form.csrf)?;
    let (ch, account, partner_id, actor) = match waiting_setup(req, state, cfg).await? {
        Ok(waiting) => waiting,
        Err(elsewhere) => return Ok(elsewhere),
    };
    let attempt = Attempt {
        login: &ch.login,
        password: &form.code,
        client_ip: &client_ip(req, state.settings.trust_forwarded_for),
    };
    match accounts::enroll(&state.store, cfg.throttle, account, ch.subject_id, attempt).await {
        Ok(recovery) => {
            let area = SessionKind::Partner;
            session::end_challenge(req, state, cfg, area).await?;
            session::start(req, state, cfg, account, ch.subject_id, None).await?;
            let on = audit::Action::SecondFactorOn;
            journal(state, req, partner_id, &actor, on, "").await;
            let with_code = crate::phrase::stored::AUDIT_WITH_CODE.fill(&[]);
            let login = audit::Action::Login;
            journal(state, req, partner_id, &actor, login, &with_code).await;
            let view = SetupView::of(req, state, cfg, *lang, account, &ch).await?;
            Ok(html(SetupView { recovery, ..view }.render()))
        }
        Err(crate::error::Error::Unauthorized(why)) => {
            let view = SetupView::of(req, state, cfg, *lang, account, &ch).await?;
            let error = Some(view.l.t.phrase(&why).to_owned());
            Ok(html(SetupView { error, ..view }.render())
                .with_status(StatusCode::UNAUTHORIZED)
                .into_response())
        }
        Err(e) => Err(CabinetError::from(e)),
    }
}

#[handler]
pub async fn partner_page(
    req: &Request,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
) -> Response {
    html(login_view(req, cfg, *lang, SessionKind::Partner, String::new(), None).render())
}

#[handler]
pub async fn partner_submit(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
    Form(form): Form<LoginForm>,
) -> CabinetResult<Response> {
    submit(req, state, cfg, *lang, SessionKind::Partner, form).await
}

#[handler]
pub async fn operator_page(
    req: &Request,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
) -> Response {
    html(login_view(req, cfg, *lang, SessionKind::Operator, String::new(), None).render())
}

#[handler]
pub async fn operator_submit(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
    Form(form): Form<LoginForm>,
) -> CabinetResult<Response> {
    submit(req, state, cfg, *lang, SessionKind::Operator, form).await
}

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

#[handler]
pub async fn partner_logout(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Form(form): Form<LogoutForm>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    session::end(req, state, cfg, SessionKind::Partner).await?;
    audit::record(
        state,
        req,
        s.partner.id,
        &s.actor,
        audit::Action::Logout,
        "",
    )
    .await;
    Ok(Redirect::see_other("/cabinet/login").into_response())
}

#[handler]
pub async fn operator_logout(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Form(form): Form<LogoutForm>,
) -> CabinetResult<Response> {
    let s = session::operator(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    session::end(req, state, cfg, SessionKind::Operator).await?;
    let actor = audit::operator(&s.operator.login);
    audit::for_operator(state, req, &actor, None, audit::Action::Logout, "").await;
    Ok(Redirect::see_other("/operator/login").into_response())
}
