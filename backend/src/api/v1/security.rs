//! Who is calling: a partner's system (partner token) or an employee's app (employee token).

use super::envelope::V1Error;
use crate::domain::{Inn, TokenHash};
use crate::service::partners;
use crate::state::SharedState;
use crate::store::{ApiKey, KeyAccess, PartnerRow, StaffRow};
use poem::Request;
use poem_openapi::SecurityScheme;
use poem_openapi::auth::ApiKey as HeaderKey;

/// `Authorization: <token>` as the guide documents, or `Authorization: Bearer <token>`.
/// A partner token opens every method of that partner (a key for sending only, its sending and
/// reading methods; a key for reading only, its reading methods); an employee token (the
/// `apitoken` of `confirmsmscode`) opens the employee's own methods.
#[derive(SecurityScheme)]
#[oai(
    ty = "api_key",
    key_name = "Authorization",
    key_in = "header",
    checker = "check_token"
)]
pub struct TokenAuth(pub Caller);

pub enum Caller {
    /// A company's system, with one of the company's API keys.
    Partner(PartnerRow, ApiKey),
    Staff {
        staff: StaffRow,
        partner: PartnerRow,
    },
}

impl Caller {
    pub fn partner(&self) -> &PartnerRow {
        match self {
            Self::Partner(p, _) | Self::Staff { partner: p, .. } => p,
        }
    }

    /// A method that changes the staff or the groups, with a partner's token: a key for
    /// reading or sending only is refused.
    pub fn require_writer(&self) -> Result<&PartnerRow, V1Error> {
        let partner = self.require_partner()?;
        self.refuse_limited_key()?;
        Ok(partner)
    }

    /// A method that sends (a message, a scheduled send, a recall, a reminder), with a
    /// partner's token: a key for reading only is refused.
    pub fn require_sender(&self) -> Result<&PartnerRow, V1Error> {
        let partner = self.require_partner()?;
        if let Self::Partner(_, key) = self
            && key.access == KeyAccess::Read
        {
            return Err(read_only_refused());
        }
        Ok(partner)
    }

    /// A method that changes the staff and takes either token: a partner's key for reading or
    /// sending only is refused (an employee's token is not a key).
    pub fn refuse_limited_key(&self) -> Result<(), V1Error> {
        match self {
            Self::Partner(_, key) if key.access == KeyAccess::Read => Err(read_only_refused()),
            Self::Partner(_, key) if key.access == KeyAccess::Sends => {
                Err(V1Error::forbidden(phrase!(
                    "Ключ API только для отправки сообщений, а этот метод изменяет сотрудников или группы: выпустите ключ с полным доступом в кабинете (Настройка → Ключи API)",
                    "The API key is for sending messages only, and this method changes employees or groups: issue a key with full access in the cabinet (Settings → API keys)"
                )))
            }
            _ => Ok(()),
        }
    }

    /// Whom the journal names for this call: the API key by its name, or the employee.
    pub fn actor(&self) -> String {
        match self {
            Self::Partner(_, key) => crate::cabinet::audit::api_key(&key.name),
            Self::Staff { .. } => crate::cabinet::audit::EMPLOYEE.to_owned(),
        }
    }

    /// Partner methods refuse employee tokens.
    pub fn require_partner(&self) -> Result<&PartnerRow, V1Error> {
        match self {
            Self::Partner(p, _) => Ok(p),
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

fn read_only_refused() -> V1Error {
    V1Error::forbidden(phrase!(
        "Ключ API только для чтения, а этот метод изменяет данные: выпустите ключ с полным доступом в кабинете (Настройка → Ключи API)",
        "The API key is for reading only, and this method changes data: issue a key with full access in the cabinet (Settings → API keys)"
    ))
}

fn refusal(e: crate::error::Error) -> poem::Error {
    V1Error::from(e).into()
}

async fn check_token(req: &Request, key: HeaderKey) -> poem::Result<Caller> {
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
        && let Some((partner, key)) = partners::by_hash(&state.store, &hash)
            .await
            .map_err(refusal)?
    {
        if key.allowed.is_some() {
            let client = super::client_ip(req, state.settings.trust_forwarded_for);
            if !key.admits(client.parse().ok()) {
                if state.key_refusals.first_this_hour(partner.id, &key.name) {
                    use crate::cabinet::audit;
                    let from = crate::phrase::stored::AUDIT_FROM.fill(&[&client]);
                    let detail = format!("{}; {from}", audit::key_words(&key.name));
                    let actor = audit::api_key(&key.name);
                    let action = audit::Action::ApiKeyRefused;
                    audit::record(state, req, partner.id, &actor, action, &detail).await;
                }
                return Err(V1Error::forbidden(phrase!(
                    "Этот ключ API принимается только с адресов, заданных в кабинете; запрос пришёл с {}",
                    "This API key is accepted only from the addresses set in the cabinet; the request came from {}",
                    client
                ))
                .into());
            }
        }
        state
            .partner_throttle
            .check(partner.id, partner.api_rate)
            .map_err(refusal)?;
        return Ok(Caller::Partner(partner, key));
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
