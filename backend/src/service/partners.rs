//! Partners: creation by the operator, API tokens, passwords.

use super::passwords;
use crate::domain::{Inn, PartnerName, SecretToken, TokenHash, TokenKind, now_millis};
use crate::error::{Error, Result};
use crate::store::{ApiKey, Erased, KeyUse, NewPartner, PartnerRow, Store};

pub struct PartnerInput<'a> {
    pub inn: &'a str,
    pub short_name: &'a str,
    pub full_name: &'a str,
    pub password: &'a str,
    pub approval_required: bool,
}

/// Creates the partner; the returned token is shown once and never stored in clear.
pub async fn create(store: &Store, input: PartnerInput<'_>) -> Result<(PartnerRow, SecretToken)> {
    let inn = Inn::parse(input.inn)?;
    let short = PartnerName::parse(input.short_name)?;
    let full = PartnerName::parse(input.full_name)?;
    passwords::check_strength(input.password)?;
    let password_hash = passwords::hash(input.password).await?;
    let token = SecretToken::generate(TokenKind::Partner);
    let row = store
        .create_partner(
            &NewPartner {
                inn: &inn,
                short_name: short.as_str(),
                full_name: full.as_str(),
                password_hash: &password_hash,
                approval_required: input.approval_required,
            },
            &token.hash(),
            &token.display_prefix(),
            now_millis(),
        )
        .await?;
    Ok((row, token))
}

pub async fn by_inn(store: &Store, raw_inn: &str) -> Result<PartnerRow> {
    let inn = Inn::parse(raw_inn)?;
    store.partner_by_inn(&inn).await?.ok_or_else(|| {
        Error::not_found(phrase!(
            "Партнёр с ИНН {inn} не найден",
            "No partner with INN {inn}"
        ))
    })
}

/// Deletes a company with everything the server holds of it (see `Store::erase_partner`). Only
/// a company whose access is closed already: the operator disables it first, which logs its
/// admins out and stops its token, and a deletion is never one click away from a live one.
pub async fn erase(store: &Store, partner: &PartnerRow) -> Result<Erased> {
    if !partner.disabled {
        return Err(Error::Conflict(phrase!(
            "Сначала закройте компании доступ: удалить можно только отключённую",
            "Disable the company first: only a disabled one can be deleted"
        )));
    }
    let erased = store.erase_partner(partner.id, &partner.inn).await?;
    tracing::warn!(
        partner_id = partner.id,
        inn = %partner.inn,
        messages = erased.messages,
        staff = erased.staff,
        "partner erased with all its data"
    );
    Ok(erased)
}

pub async fn set_password(store: &Store, partner_id: i64, password: &str) -> Result<()> {
    passwords::check_strength(password)?;
    let hash = passwords::hash(password).await?;
    store.set_partner_password(partner_id, &hash).await
}

/// The operator's reset of a company's password, for an admin who lost it or their phone: the
/// new password, the admin's second factor removed and their sessions ended. True if a second
/// factor was on (the journal says so).
pub async fn reset_password(store: &Store, partner_id: i64, password: &str) -> Result<bool> {
    set_password(store, partner_id, password).await?;
    let kind = crate::store::SessionKind::Partner;
    let removed = store.remove_second_factor(kind, partner_id).await?;
    store.delete_sessions_of(kind, partner_id).await?;
    Ok(removed)
}

/// The partner behind a presented API token, if it is live and the partner is enabled: a
/// check, not a use of the key (the cabinet's new token, about to be shown).
pub async fn by_token(store: &Store, presented: &str) -> Result<Option<PartnerRow>> {
    let token = TokenHash::of(presented);
    let found = store
        .partner_by_token(&token, now_millis(), KeyUse::Check)
        .await?;
    Ok(found.filter(|(p, _)| !p.disabled).map(|(p, _)| p))
}

/// The partner and key of an API call's token, hashed, if it is live and the partner enabled.
pub async fn by_hash(store: &Store, token: &TokenHash) -> Result<Option<(PartnerRow, ApiKey)>> {
    let found = store
        .partner_by_token(token, now_millis(), KeyUse::Call)
        .await?;
    Ok(found.filter(|(p, _)| !p.disabled))
}
