//! Login and logout of both areas.

use super::super::errors::{CabinetError, CabinetResult};
use super::super::i18n::Lang;
use super::super::layout::Layout;
use super::super::{CabinetConfig, audit, html, session};
use crate::api::v1::client_ip;
use crate::service::accounts::{self, Attempt};
use crate::state::SharedState;
use crate::store::SessionKind;
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
        SessionKind::Partner => ("/cabinet/login", "login.title"),
        SessionKind::Operator => ("/operator/login", "login.operator_title"),
    };
    let l = Layout::bare(lang, "");
    let title = l.t.s(title_key);
    LoginView {
        l: l.with_title(title),
        action,
        operator: kind == SessionKind::Operator,
        login,
        csrf: session::login_csrf(
            req,
            cfg,
            if kind == SessionKind::Partner {
                "/cabinet"
            } else {
                "/operator"
            },
        ),
        error,
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
    let attempt = Attempt {
        login: form.login.trim(),
        password: &form.password,
        client_ip: &client_ip(req, state.settings.trust_forwarded_for),
    };
    let subject = match kind {
        SessionKind::Partner => accounts::partner_login(&state.store, cfg.throttle, attempt)
            .await
            .map(|p| (p.id, None)),
        SessionKind::Operator => accounts::operator_login(&state.store, cfg.throttle, attempt)
            .await
            .map(|o| (o.id, Some(o.login))),
    };
    match subject {
        Ok((id, operator)) => {
            session::start(req, state, cfg, kind, id).await?;
            match operator {
                None => audit::record(state, req, id, audit::ADMIN, audit::Action::Login, "").await,
                Some(login) => {
                    let actor = audit::operator(&login);
                    audit::for_operator(state, req, &actor, None, audit::Action::Login, "").await
                }
            }
            let home = if kind == SessionKind::Partner {
                "/cabinet"
            } else {
                "/operator"
            };
            Ok(Redirect::see_other(home).into_response())
        }
        Err(crate::error::Error::Unauthorized(_)) => {
            // A wrong password for a partner's INN goes to that partner's journal.
            let partner = match crate::domain::Inn::parse(form.login.trim()) {
                Ok(inn) if kind == SessionKind::Partner => state.store.partner_by_inn(&inn).await?,
                _ => None,
            };
            if let Some(p) = partner {
                audit::record(
                    state,
                    req,
                    p.id,
                    audit::VISITOR,
                    audit::Action::LoginFailed,
                    "",
                )
                .await;
            }
            if kind == SessionKind::Operator {
                // The login is kept only when it is an operator's: what else was typed may be
                // a password in the wrong field.
                let login = form.login.trim();
                let detail = match state.store.operator_by_login(login).await? {
                    Some(op) => op.login,
                    None => crate::phrase::stored::AUDIT_UNKNOWN_LOGIN.fill(&[]),
                };
                let failed = audit::Action::LoginFailed;
                audit::for_operator(state, req, audit::VISITOR, None, failed, &detail).await;
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
        audit::ADMIN,
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
