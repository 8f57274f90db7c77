//! Who is calling: a partner's system (partner token) or an employee's app (employee token).

use super::envelope::V1Error;
use crate::domain::{Inn, TokenHash};
use crate::service::partners;
use crate::state::SharedState;
use crate::store::{PartnerRow, StaffRow};
use poem::Request;
use poem_openapi::SecurityScheme;
use poem_openapi::auth::ApiKey;

/// `Authorization: <token>` as the guide documents, or `Authorization: Bearer <token>`.
/// A partner token opens every method of that partner; an employee token (the `apitoken` of
/// `confirmsmscode`) opens the employee's own methods.
#[derive(SecurityScheme)]
#[oai(
    ty = "api_key",
    key_name = "Authorization",
    key_in = "header",
    checker = "check_token"
)]
pub struct TokenAuth(pub Caller);

pub enum Caller {
    Partner(PartnerRow),
    Staff {
        staff: StaffRow,
        partner: PartnerRow,
    },
}

impl Caller {
    pub fn partner(&self) -> &PartnerRow {
        match self {
            Self::Partner(p) | Self::Staff { partner: p, .. } => p,
        }
    }

    /// Partner methods refuse employee tokens.
    pub fn require_partner(&self) -> Result<&PartnerRow, V1Error> {
        match self {
            Self::Partner(p) => Ok(p),
            Self::Staff { .. } => Err(V1Error::forbidden(phrase!(
                "Метод доступен только с токеном партнёра",
                "This method takes a partner's token only"
            ))),
        }
    }

    /// The `inn` in a body is optional, but when given it must be the caller's own.
    pub fn check_inn(&self, given: Option<&str>) -> Result<(), V1Error> {
        let Some(raw) = given.filter(|s| !s.trim().is_empty()) else {
            return Ok(());
        };
        let inn = Inn::parse(raw)?;
        if inn.as_str() != self.partner().inn {
            return Err(V1Error::forbidden(phrase!(
                "ИНН в запросе не соответствует токену",
                "The INN of the request is not the token's"
            )));
        }
        Ok(())
    }
}

fn refusal(e: crate::error::Error) -> poem::Error {
    V1Error::from(e).into()
}

async fn check_token(req: &Request, key: ApiKey) -> poem::Result<Caller> {
    let state = req
        .data::<SharedState>()
        .ok_or_else(|| refusal(crate::error::Error::Internal("state missing".into())))?;
    let raw = key.key.trim();
    let token = raw
        .strip_prefix("Bearer ")
        .or_else(|| raw.strip_prefix("bearer "))
        .unwrap_or(raw)
        .trim();
    let unauthorized = || -> poem::Error {
        V1Error::unauthorized(phrase!(
            "Неверный или устаревший токен авторизации",
            "Wrong or expired authorization token"
        ))
        .into()
    };
    if token.is_empty() {
        return Err(unauthorized());
    }
    let hash = TokenHash::of(token);
    // Employee tokens carry their own prefix; partner tokens issued by other means may not.
    if !token.starts_with("simo_s_")
        && let Some(partner) = partners::by_hash(&state.store, &hash)
            .await
            .map_err(refusal)?
    {
        state
            .partner_throttle
            .check(partner.id, partner.api_rate)
            .map_err(refusal)?;
        return Ok(Caller::Partner(partner));
    }
    // The partner look-up above answers a noted token without a query; this one must not ask.
    if state.store.token_recently_unknown(&hash) {
        return Err(unauthorized());
    }
    let Some(staff) = state.store.staff_by_token(&hash).await.map_err(refusal)? else {
        state.store.note_unknown_token(&hash);
        return Err(unauthorized());
    };
    match state
        .store
        .partner_by_id(staff.partner_id)
        .await
        .map_err(refusal)?
    {
        Some(partner) if !partner.disabled => Ok(Caller::Staff { staff, partner }),
        _ => Err(unauthorized()),
    }
}
