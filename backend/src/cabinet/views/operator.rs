//! The service operator's area: partners list, create a partner (its token shown once),
//! disable or enable a partner, reset a partner's cabinet password.

use super::super::errors::{CabinetError, CabinetResult};
use super::super::i18n::Lang;
use super::super::layout::{Area, Layout};
use super::super::{CabinetConfig, cookies, html, session};
use super::{DoneQuery, done};
use crate::service::partners::{self, PartnerInput};
use crate::state::SharedState;
use crate::store::SessionKind;
use askama::Template;
use poem::http::StatusCode;
use poem::web::{Data, Form, Path, Query};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;

const OPERATOR: &str = "/operator";

pub struct PartnerItem {
    pub id: i64,
    pub inn: String,
    pub name: String,
    pub full_name: String,
    pub created: String,
    pub disabled: bool,
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
    form: CreateForm,
    error: Option<String>,
    created: Option<Created>,
}

async fn render(
    state: &SharedState,
    cfg: &CabinetConfig,
    l: Layout,
    form: CreateForm,
    error: Option<String>,
    created: Option<Created>,
) -> CabinetResult<Response> {
    let partners = state
        .store
        .list_partners()
        .await?
        .into_iter()
        .map(|p| PartnerItem {
            id: p.id,
            inn: p.inn,
            name: p.short_name,
            full_name: p.full_name,
            created: cfg.date(p.created_at),
            disabled: p.disabled,
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let view = PartnersView {
        l,
        partners,
        form,
        error,
        created,
    };
    Ok(html(view.render()).with_status(status).into_response())
}

#[handler]
pub async fn list(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
    Query(q): Query<DoneQuery>,
) -> CabinetResult<Response> {
    let s = session::operator(req, state).await?;
    let l = Layout::signed_in(
        *lang,
        Area::Operator,
        "partners",
        s.operator.login.clone(),
        s.csrf,
    )
    .with_notice(q.done.as_deref());
    let created = flashed_partner(req, state, cfg).await?;
    render(state, cfg, l, CreateForm::default(), None, created).await
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
            cookies::flash_token(req.cookie(), OPERATOR, token.expose(), cfg.secure_cookies);
            Ok(done(OPERATOR, "partner_created"))
        }
        Err(e) if !e.is_server_fault() => {
            render(state, cfg, l, form, Some(e.to_string()), None).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct DisableForm {
    csrf: String,
    disabled: String,
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
    state
        .store
        .partner_by_id(id)
        .await?
        .ok_or(CabinetError::NotFound)?;
    state.store.set_partner_disabled(id, disabled).await?;
    if disabled {
        // A disabled partner's admins are logged out at once.
        state
            .store
            .delete_sessions_of(SessionKind::Partner, id)
            .await?;
    }
    tracing::info!(
        operator_id = s.operator.id,
        partner_id = id,
        disabled,
        "partner access changed"
    );
    Ok(done(
        "/operator",
        if disabled {
            "partner_disabled"
        } else {
            "partner_enabled"
        },
    ))
}

#[derive(Deserialize)]
pub struct ResetForm {
    csrf: String,
    password: String,
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
    state
        .store
        .partner_by_id(id)
        .await?
        .ok_or(CabinetError::NotFound)?;
    partners::set_password(&state.store, id, &form.password).await?;
    state
        .store
        .delete_sessions_of(SessionKind::Partner, id)
        .await?;
    tracing::info!(
        operator_id = s.operator.id,
        partner_id = id,
        "partner password reset by the operator"
    );
    Ok(done("/operator", "password_reset"))
}
