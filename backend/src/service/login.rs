//! The employee's login: a code by SMS to the phone, then a per-employee API token.

use crate::domain::{Device, Inn, Millis, Phone, SecretToken, StaffName, TokenKind, now_millis};
use crate::error::{Error, Result};
use crate::phrase::Phrase;
use crate::state::AppState;
use crate::store::{PartnerRow, StaffRow, StaffState};
use rand::Rng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The documented text for an unknown INN; existing apps show it as is.
fn unknown_inn() -> Phrase {
    phrase!(
        "Ошибка авторизации. Организации с таким ИНН не существует",
        "Login failed. There is no company with this INN"
    )
}

pub struct CodeRequest<'a> {
    pub inn: &'a str,
    pub phone: &'a str,
    pub name: &'a str,
    pub device: &'a str,
    pub client_ip: &'a str,
}

async fn enabled_partner(state: &AppState, inn: &Inn) -> Result<PartnerRow> {
    match state.store.partner_by_inn(inn).await? {
        Some(p) if !p.disabled => Ok(p),
        _ => Err(Error::NotFound(unknown_inn())),
    }
}

fn hash_code(salt: &str, code: &str) -> String {
    format!(
        "{salt}${}",
        hex::encode(Sha256::digest(format!("{salt}:{code}").as_bytes()))
    )
}

fn code_matches(stored: &str, presented: &str) -> bool {
    let Some((salt, _)) = stored.split_once('$') else {
        return false;
    };
    hash_code(salt, presented)
        .as_bytes()
        .ct_eq(stored.as_bytes())
        .into()
}

fn too_many(message: Phrase, retry_after_secs: i64) -> Error {
    Error::TooManyRequests {
        message,
        retry_after_secs: retry_after_secs.max(1) as u64,
    }
}

/// Creates the employee on first login (or finds them by phone) and sends a fresh code.
pub async fn request_code(state: &AppState, req: CodeRequest<'_>) -> Result<StaffRow> {
    let inn = Inn::parse(req.inn)?;
    let phone = Phone::parse(req.phone)?;
    let name = StaffName::parse(req.name)?;
    let device = Device::parse(req.device)?;
    let partner = enabled_partner(state, &inn).await?;
    let s = &state.settings;
    let now = now_millis();
    let activity = state
        .store
        .sms_activity(&phone, req.client_ip, now - 3_600_000)
        .await?;
    if let Some(last) = activity.last_to_phone {
        let wait = (last + s.sms_resend_cooldown_secs * 1000 - now) / 1000;
        if wait > 0 {
            return Err(too_many(
                phrase!(
                    "Код уже отправлен. Повторная отправка через {wait} с",
                    "The code is sent. Another one in {wait} s"
                ),
                wait,
            ));
        }
    }
    if activity.sent_to_phone >= s.sms_hourly_per_phone {
        return Err(too_many(
            phrase!(
                "Превышено число SMS на этот номер за час. Попробуйте позже",
                "Too many SMS to this number this hour. Try again later"
            ),
            3600,
        ));
    }
    if activity.sent_from_ip >= s.sms_hourly_per_ip {
        return Err(too_many(
            phrase!(
                "Превышено число запросов кода с вашего адреса за час. Попробуйте позже",
                "Too many code requests from your address this hour. Try again later"
            ),
            3600,
        ));
    }

    // After the limits, before any SMS and any row: a stranger with the company's (public)
    // INN leaves only a count against their address, which the limit per address reads, so
    // the refusal cannot test at full speed which phones are the company's employees.
    if partner.staff_list_only
        && state
            .store
            .staff_by_phone(partner.id, &phone)
            .await?
            .is_none()
    {
        state.store.record_login_refusal(req.client_ip, now).await?;
        return Err(Error::forbidden(super::staff_list::not_on_list()));
    }

    let initial = if partner.approval_required {
        StaffState::Pending
    } else {
        StaffState::Active
    };
    let staff = state
        .store
        .upsert_staff_on_login(
            partner.id,
            &phone,
            name.as_str(),
            device.as_str(),
            initial,
            now,
        )
        .await?;

    let code = random_code(s.sms_code_length);
    let salt = hex::encode(rand::random::<[u8; 8]>());
    state
        .store
        .insert_sms_code(
            partner.id,
            &phone,
            req.client_ip,
            &hash_code(&salt, &code),
            now,
            now + s.sms_code_ttl_secs * 1000,
        )
        .await?;
    let text = format!("SiMO: код подтверждения {code}. Никому его не сообщайте.");
    let sent = state.sms.send(&phone, &text).await;
    state.metrics.sms(sent.is_ok());
    sent.map_err(|e| {
        tracing::error!(partner_id = partner.id, error = %e, "SMS not sent");
        e
    })?;
    tracing::info!(
        partner_id = partner.id,
        staff_id = staff.id,
        "SMS code sent"
    );
    Ok(staff)
}

fn random_code(len: u32) -> String {
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
        .collect()
}

/// A confirmed login: the profile the app keeps and the new token, shown once.
pub struct Confirmed {
    pub partner: PartnerRow,
    pub staff: StaffRow,
    pub token: SecretToken,
}

pub async fn confirm_code(
    state: &AppState,
    inn: &str,
    phone: &str,
    code: &str,
) -> Result<Confirmed> {
    let inn = Inn::parse(inn)?;
    let phone = Phone::parse(phone)?;
    let code = code.trim();
    if code.is_empty() {
        return Err(Error::invalid(phrase!(
            "Не указан код из SMS (smscode)",
            "The SMS code is missing (smscode)"
        )));
    }
    let partner = enabled_partner(state, &inn).await?;
    let now: Millis = now_millis();
    let wrong = || Error::invalid(phrase!("Неверный код подтверждения", "Wrong code"));
    let Some(sms) = state.store.live_sms_code(partner.id, &phone).await? else {
        return Err(Error::invalid(phrase!(
            "Код не запрашивался или уже использован. Запросите новый код",
            "No code was requested, or it was used. Request a new code"
        )));
    };
    if sms.expires_at <= now {
        return Err(Error::invalid(phrase!(
            "Срок действия кода истёк. Запросите новый код",
            "The code has expired. Request a new code"
        )));
    }
    if !state
        .store
        .take_sms_attempt(sms.id, state.settings.sms_max_attempts)
        .await?
    {
        return Err(too_many(
            phrase!(
                "Превышено число попыток ввода кода. Запросите новый код",
                "Too many tries of the code. Request a new code"
            ),
            60,
        ));
    }
    if !code_matches(&sms.code_hash, code) {
        return Err(wrong());
    }
    if !state.store.consume_sms_code(sms.id).await? {
        return Err(Error::invalid(phrase!(
            "Код уже использован. Запросите новый код",
            "The code is used. Request a new code"
        )));
    }
    let staff = state
        .store
        .staff_by_phone(partner.id, &phone)
        .await?
        .ok_or_else(|| {
            Error::not_found(phrase!(
                "Сотрудник удалён. Войдите заново",
                "The employee was deleted. Log in again"
            ))
        })?;
    let token = SecretToken::generate(TokenKind::Staff);
    state
        .store
        .set_staff_token(staff.staff_id(), &token.hash(), now)
        .await?;
    tracing::info!(
        partner_id = partner.id,
        staff_id = staff.id,
        "employee logged in"
    );
    Ok(Confirmed {
        partner,
        staff,
        token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_the_configured_length_and_verify_only_themselves() {
        let code = random_code(6);
        assert_eq!(code.len(), 6);
        assert!(code.chars().all(|c| c.is_ascii_digit()));
        let stored = hash_code("abcd", &code);
        assert!(code_matches(&stored, &code));
        assert!(!code_matches(&stored, "x"));
        assert!(!code_matches("garbage", &code));
    }
}
