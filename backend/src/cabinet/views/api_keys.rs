//! The API keys a company adds beside its main one, one for each of its systems (1С:ЗУП, an
//! ERP, a script that reads statuses), with full access or reading only: added (the token
//! shown once on the settings page, as a rotation's is) and revoked one by one.

use super::super::errors::CabinetResult;
use super::super::{CabinetConfig, audit, cookies, session};
use super::done;
use crate::phrase::stored;
use crate::service::api_keys;
use crate::state::SharedState;
use poem::web::{Data, Form, Path};
use poem::{Request, Response, handler};
use serde::Deserialize;

const TOKEN: &str = "/cabinet/settings#token";

#[derive(Deserialize)]
pub struct AddForm {
    csrf: String,
    #[serde(default)]
    name: String,
    /// "read" for reading only; anything else is full access.
    #[serde(default)]
    access: String,
}

#[handler]
pub async fn add(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Form(form): Form<AddForm>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let read_only = form.access == "read";
    let pid = s.partner.id;
    let token = api_keys::add(&state.store, pid, &form.name, read_only).await?;
    let name = api_keys::parse_name(&form.name)?;
    tracing::info!(partner_id = pid, key = %name, read_only, "API key added");
    let detail = match read_only {
        true => stored::AUDIT_KEY_READ.fill(&[&name]),
        false => stored::AUDIT_KEY.fill(&[&name]),
    };
    audit::record(
        state,
        req,
        pid,
        &s.actor,
        audit::Action::ApiKeyAdded,
        &detail,
    )
    .await;
    cookies::flash_token(
        req.cookie(),
        "/cabinet/settings",
        token.expose(),
        cfg.secure_cookies,
    );
    Ok(done(TOKEN, "key_added"))
}

#[derive(Deserialize)]
pub struct RevokeForm {
    csrf: String,
}

/// Ends a key at once: its token is refused from the next call, in every server process within
/// the auth cache's time.
#[handler]
pub async fn revoke(
    req: &Request,
    Data(state): Data<&SharedState>,
    Path(id): Path<i64>,
    Form(form): Form<RevokeForm>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let pid = s.partner.id;
    let key = api_keys::revoke(&state.store, pid, id).await?;
    tracing::info!(partner_id = pid, key_id = id, "API key revoked");
    let detail = match key.name.as_str() {
        "" => stored::AUDIT_MAIN_KEY.fill(&[]),
        name => stored::AUDIT_KEY.fill(&[name]),
    };
    audit::record(
        state,
        req,
        pid,
        &s.actor,
        audit::Action::ApiKeyRevoked,
        &detail,
    )
    .await;
    Ok(done(TOKEN, "key_revoked"))
}
