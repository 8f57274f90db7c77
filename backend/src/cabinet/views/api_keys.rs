//! The API keys a company adds beside its main one, one for each of its systems (1С:ЗУП, an
//! ERP, a script that reads statuses), with full access, sending only or reading only: added
//! (the token shown once on the settings page, as a rotation's is), limited to addresses, given
//! a last day, their access changed, and revoked one by one.

use super::super::errors::CabinetResult;
use super::super::session::PartnerSession;
use super::super::{CabinetConfig, audit, cookies, session};
use super::done;
use crate::domain::{Millis, now_millis};
use crate::phrase::stored;
use crate::service::api_keys;
use crate::state::SharedState;
use crate::store::KeyAccess;
use poem::web::{Data, Form, Path};
use poem::{Request, Response, handler};
use serde::Deserialize;

const TOKEN: &str = "/cabinet/settings#token";

#[derive(Deserialize)]
pub struct AddForm {
    csrf: String,
    #[serde(default)]
    name: String,
    /// "read" for reading only, "send" for sending only; anything else is full access.
    #[serde(default)]
    access: String,
    /// Addresses and networks it is accepted from; empty for any.
    #[serde(default)]
    addresses: String,
    /// The last day it works (`2026-12-31`); empty for no end.
    #[serde(default)]
    until: String,
}

/// The journal's words for a key's end (`None`: none).
fn end_words(cfg: &CabinetConfig, valid_until: Option<Millis>) -> String {
    match valid_until {
        None => stored::AUDIT_KEY_NO_END.fill(&[]),
        Some(end) => stored::AUDIT_KEY_END.fill(&[&cfg.date(end - 1)]),
    }
}

/// The journal's words for a key's addresses ('' for any).
fn address_words(allowed_ips: &str) -> String {
    match allowed_ips {
        "" => stored::AUDIT_ANY_ADDRESS.fill(&[]),
        list => stored::AUDIT_ADDRESSES.fill(&[list]),
    }
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
    let access = KeyAccess::parse(&form.access);
    let pid = s.partner.id;
    let input = api_keys::KeyInput {
        name: &form.name,
        access,
        addresses: &form.addresses,
        valid_until: api_keys::parse_valid_until(&state.time, &form.until, now_millis())?,
    };
    let added = api_keys::add(&state.store, pid, &input).await?;
    let name = &added.name;
    tracing::info!(partner_id = pid, key = %name, access = access.as_str(), "API key added");
    let mut detail = match access {
        KeyAccess::Read => stored::AUDIT_KEY_READ.fill(&[name]),
        KeyAccess::Sends => stored::AUDIT_KEY_SENDS.fill(&[name]),
        KeyAccess::Full => stored::AUDIT_KEY.fill(&[name]),
    };
    if !added.allowed_ips.is_empty() {
        detail = format!("{detail}; {}", address_words(&added.allowed_ips));
    }
    if input.valid_until.is_some() {
        detail = format!("{detail}; {}", end_words(cfg, input.valid_until));
    }
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
        added.token.expose(),
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
    end(req, state, id, &form, Ending::Key).await
}

/// Ends a rotated key's old token now, before its grace period is over.
#[handler]
pub async fn end_old(
    req: &Request,
    Data(state): Data<&SharedState>,
    Path(id): Path<i64>,
    Form(form): Form<RevokeForm>,
) -> CabinetResult<Response> {
    end(req, state, id, &form, Ending::OldToken).await
}

/// What `end` ends: a key's every token, or only a rotated key's old one.
enum Ending {
    Key,
    OldToken,
}

async fn end(
    req: &Request,
    state: &SharedState,
    id: i64,
    form: &RevokeForm,
    what: Ending,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let pid = s.partner.id;
    let (name, action, notice) = match what {
        Ending::Key => (
            api_keys::revoke(&state.store, pid, id).await?.name,
            audit::Action::ApiKeyRevoked,
            "key_revoked",
        ),
        Ending::OldToken => (
            api_keys::end_old_token(&state.store, pid, id).await?,
            audit::Action::ApiKeyOldEnded,
            "key_old_ended",
        ),
    };
    tracing::info!(
        partner_id = pid,
        token_id = id,
        action = action.key(),
        "API key ended"
    );
    let detail = audit::key_words(&name);
    audit::record(state, req, pid, &s.actor, action, &detail).await;
    Ok(done(TOKEN, notice))
}

/// Journals a change to one of a key's settings: the key, then the setting as it is now.
async fn record_change(
    state: &SharedState,
    req: &Request,
    s: &PartnerSession,
    key_name: &str,
    now: &str,
    action: audit::Action,
) {
    let detail = format!("{}; {now}", audit::key_words(key_name));
    audit::record(state, req, s.partner.id, &s.actor, action, &detail).await;
}

#[derive(Deserialize)]
pub struct AddressesForm {
    csrf: String,
    #[serde(default)]
    addresses: String,
}

/// The addresses a key is accepted from (the company's 1C server, its office network), or any:
/// a token copied off that server is then refused elsewhere.
#[handler]
pub async fn set_addresses(
    req: &Request,
    Data(state): Data<&SharedState>,
    Path(id): Path<i64>,
    Form(form): Form<AddressesForm>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let pid = s.partner.id;
    let (key, allowed_ips) =
        api_keys::set_addresses(&state.store, pid, id, &form.addresses).await?;
    if key.allowed_ips != allowed_ips {
        tracing::info!(
            partner_id = pid,
            key_id = id,
            allowed_ips,
            "API key's addresses set"
        );
        let now = address_words(&allowed_ips);
        record_change(
            state,
            req,
            &s,
            &key.name,
            &now,
            audit::Action::ApiKeyAddresses,
        )
        .await;
    }
    Ok(done(TOKEN, "key_addresses"))
}

#[derive(Deserialize)]
pub struct AccessForm {
    csrf: String,
    /// `full`, `send` or `read` (`KeyAccess::parse`).
    #[serde(default)]
    access: String,
}

/// What a key may call, changed without a new token: a system that turned out to need less
/// (or more) keeps its token.
#[handler]
pub async fn set_access(
    req: &Request,
    Data(state): Data<&SharedState>,
    Path(id): Path<i64>,
    Form(form): Form<AccessForm>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let pid = s.partner.id;
    let access = KeyAccess::parse(&form.access);
    let key = api_keys::set_access(&state.store, pid, id, access).await?;
    if key.access() != access {
        tracing::info!(
            partner_id = pid,
            key_id = id,
            access = access.as_str(),
            "API key's access set"
        );
        let now = match access {
            KeyAccess::Full => stored::ACCESS_FULL,
            KeyAccess::Sends => stored::ACCESS_SENDS,
            KeyAccess::Read => stored::ACCESS_READ,
        }
        .fill(&[]);
        record_change(state, req, &s, &key.name, &now, audit::Action::ApiKeyAccess).await;
    }
    Ok(done(TOKEN, "key_access"))
}

#[derive(Deserialize)]
pub struct EndForm {
    csrf: String,
    #[serde(default)]
    until: String,
}

/// The last day a key works (a contractor's system, a trial), or none: after it the key's
/// tokens are refused, the old one of a rotation too.
#[handler]
pub async fn set_end(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Path(id): Path<i64>,
    Form(form): Form<EndForm>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let pid = s.partner.id;
    let valid_until = api_keys::parse_valid_until(&state.time, &form.until, now_millis())?;
    let key = api_keys::set_valid_until(&state.store, pid, id, valid_until).await?;
    if key.valid_until != valid_until {
        tracing::info!(
            partner_id = pid,
            key_id = id,
            ?valid_until,
            "API key's end set"
        );
        let now = end_words(cfg, valid_until);
        record_change(state, req, &s, &key.name, &now, audit::Action::ApiKeyEnd).await;
    }
    Ok(done(TOKEN, "key_end"))
}
