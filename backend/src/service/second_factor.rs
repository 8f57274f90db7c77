//! A second factor for the cabinet's and the operator's logins: a one-time code from an
//! authenticator app (RFC 6238 TOTP: six digits every 30 seconds, HMAC-SHA-1, what Google
//! Authenticator, Яндекс Ключ, Microsoft Authenticator and the password managers read from a
//! QR code). A stolen password alone no longer opens the account.
//!
//! Turned on in two steps, so that nobody is locked out by a secret their app never got: the
//! secret is staged and shown, and enabled only by a first right code (and the password). A
//! code is accepted once: each account keeps the newest time step it accepted. Lost the phone?
//! The operator's password reset (or `simo-backend … set-password`) removes the second factor.

use crate::domain::{Millis, now_millis};
use crate::error::{Error, Result};
use crate::store::{SecondFactorRow, SessionKind, Store};
use rand::RngCore;
use totp_rs::{Secret, Totp};

/// The issuer the authenticator app shows beside the account.
const ISSUER: &str = "SiMO";

/// What the admin needs to add the account to their app.
pub struct Setup {
    /// Base32, in groups of four, for typing by hand.
    pub secret: String,
    /// `otpauth://totp/…`, the QR code's content.
    pub url: String,
    /// The QR code as an inline SVG (presentation attributes only: the pages' CSP allows no
    /// inline style).
    pub qr_svg: String,
}

fn totp(secret_base32: &str, account: &str) -> Result<Totp> {
    let secret = Secret::try_from_base32(secret_base32)
        .map_err(|e| Error::Internal(format!("second factor secret: {e:?}")))?;
    totp_rs::Builder::new()
        .with_secret(secret)
        .with_account_name(account)
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(|e| Error::Internal(format!("second factor: {e:?}")))
}

/// 160 random bits, base32: RFC 4226's recommended length.
fn new_secret() -> String {
    let mut bytes = [0u8; 20];
    rand::thread_rng().fill_bytes(&mut bytes);
    Secret::from(bytes).to_base32()
}

/// The staged secret to show (a new one unless one is staged already, so that a reloaded page
/// shows what was scanned), or `None` when a second factor is already on.
pub async fn staged(
    store: &Store,
    kind: SessionKind,
    subject_id: i64,
    account: &str,
) -> Result<Option<Setup>> {
    let secret = match store.second_factor(kind, subject_id).await? {
        Some(f) if f.enabled_at.is_some() => return Ok(None),
        Some(f) => f.secret,
        None => {
            let secret = new_secret();
            if !store
                .stage_second_factor(kind, subject_id, &secret, now_millis())
                .await?
            {
                return Ok(None);
            }
            secret
        }
    };
    let url = totp(&secret, account)?
        .to_url()
        .map_err(|e| Error::Internal(format!("second factor url: {e:?}")))?;
    let qr = qrcode::QrCode::new(url.as_bytes())
        .map_err(|e| Error::Internal(format!("second factor QR: {e}")))?;
    let qr_svg = qr
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    let secret = secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    Ok(Some(Setup {
        secret,
        url,
        qr_svg,
    }))
}

/// The time step of `code` if it is right for the secret now (a step either side allowed for
/// a clock a little off); spaces typed inside the code are ignored.
fn step_of(secret: &str, code: &str, now: Millis) -> Result<Option<i64>> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let t = totp(secret, "-")?;
    Ok(t.check(&code, (now / 1000).max(0) as u64)
        .map(|step| step as i64))
}

/// Turns the staged second factor on with its first code; false if the code is wrong (or
/// nothing is staged).
pub async fn enable(store: &Store, kind: SessionKind, subject_id: i64, code: &str) -> Result<bool> {
    let Some(f) = store.second_factor(kind, subject_id).await? else {
        return Ok(false);
    };
    if f.enabled_at.is_some() {
        return Ok(true);
    }
    let now = now_millis();
    let Some(step) = step_of(&f.secret, code, now)? else {
        return Ok(false);
    };
    store
        .enable_second_factor(kind, subject_id, &f.secret, step, now)
        .await
}

/// The account's second factor if one is on.
pub async fn enabled(
    store: &Store,
    kind: SessionKind,
    subject_id: i64,
) -> Result<Option<SecondFactorRow>> {
    Ok(store
        .second_factor(kind, subject_id)
        .await?
        .filter(|f| f.enabled_at.is_some()))
}

/// True if `code` is right now and was not used before; the step is taken, so it is not
/// accepted again.
pub async fn verify(
    store: &Store,
    kind: SessionKind,
    subject_id: i64,
    f: &SecondFactorRow,
    code: &str,
) -> Result<bool> {
    match step_of(&f.secret, code, now_millis())? {
        Some(step) => store.take_second_factor_step(kind, subject_id, step).await,
        None => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_right_in_its_step_and_the_next_and_the_one_before_only() {
        let secret = new_secret();
        assert_eq!(secret.len(), 32, "160 bits in base32");
        let t = totp(&secret, "7707083893").unwrap();
        let at: Millis = 1_800_000_000_000;
        let code = t.generate((at / 1000) as u64).to_string();
        let step = at / 1000 / 30;
        assert_eq!(step_of(&secret, &code, at).unwrap(), Some(step));
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(step_of(&secret, &spaced, at).unwrap(), Some(step));
        assert_eq!(step_of(&secret, &code, at + 30_000).unwrap(), Some(step));
        assert_eq!(step_of(&secret, &code, at - 30_000).unwrap(), Some(step));
        assert_eq!(step_of(&secret, &code, at + 90_000).unwrap(), None);
        assert_eq!(step_of(&secret, "12345", at).unwrap(), None);
        assert_eq!(step_of(&secret, "abcdef", at).unwrap(), None);
        let other = new_secret();
        assert_ne!(other, secret);
    }

    #[test]
    fn the_url_names_the_issuer_and_the_account() {
        let secret = new_secret();
        let url = totp(&secret, "7707083893").unwrap().to_url().unwrap();
        assert!(url.starts_with("otpauth://totp/SiMO:7707083893?"), "{url}");
        assert!(url.contains(&format!("secret={secret}")), "{url}");
        assert!(url.contains("issuer=SiMO"), "{url}");
    }
}
