//! A second factor for the cabinet's and the operator's logins: a one-time code from an
//! authenticator app (RFC 6238 TOTP: six digits every 30 seconds, HMAC-SHA-1, what Google
//! Authenticator, Яндекс Ключ, Microsoft Authenticator and the password managers read from a
//! QR code). A stolen password alone no longer opens the account.
//!
//! Turned on in two steps, so that nobody is locked out by a secret their app never got: the
//! secret is staged and shown, and enabled only by a first right code (and the password). A
//! code is accepted once: each account keeps the newest time step it accepted. Lost the phone?
//! One of the ten recovery codes given when it was turned on opens the login once; or the
//! operator's password reset (or `simo-backend … set-password`) removes the second factor.

use crate::domain::{Millis, TokenHash, now_millis};
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

/// Recovery codes given when the login code is turned on.
pub const RECOVERY_CODES: usize = 10;

/// Ten base32 characters (50 random bits), as `ABCDE-FGHJK`: typed once, from paper, with the
/// login's throttling behind it.
fn new_recovery_code() -> String {
    let mut bytes = [0u8; 10];
    rand::thread_rng().fill_bytes(&mut bytes);
    let chars = Secret::from(bytes).to_base32();
    format!("{}-{}", &chars[..5], &chars[5..10])
}

/// What is stored of a recovery code as typed (dashes, spaces and case aside), if it is one.
fn recovery_hash(typed: &str) -> Option<TokenHash> {
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let base32 = |c: char| c.is_ascii_uppercase() || ('2'..='7').contains(&c);
    (code.len() == 10 && code.chars().all(base32)).then(|| TokenHash::of(&code))
}

/// Turns the staged second factor on with its first code; answers its recovery codes, to be
/// shown once, or `None` if the code is wrong (or nothing is staged, or it is on already).
pub async fn enable(
    store: &Store,
    kind: SessionKind,
    subject_id: i64,
    code: &str,
) -> Result<Option<Vec<String>>> {
    let Some(f) = store.second_factor(kind, subject_id).await? else {
        return Ok(None);
    };
    if f.enabled_at.is_some() {
        return Ok(None);
    }
    let now = now_millis();
    let Some(step) = step_of(&f.secret, code, now)? else {
        return Ok(None);
    };
    let codes = new_recovery_codes();
    let hashes: Vec<TokenHash> = codes.iter().filter_map(|c| recovery_hash(c)).collect();
    let on = store
        .enable_second_factor(kind, subject_id, &f.stored, step, &hashes, now)
        .await?;
    Ok(on.then_some(codes))
}

/// Ten new recovery codes in place of the account's, given a right code (the app's or a
/// recovery code); `None` if the code is wrong or the login code is off.
pub async fn renew_recovery_codes(
    store: &Store,
    kind: SessionKind,
    subject_id: i64,
    code: &str,
) -> Result<Option<Vec<String>>> {
    let Some(f) = enabled(store, kind, subject_id).await? else {
        return Ok(None);
    };
    if verify(store, kind, subject_id, &f, code).await? == Verified::No {
        return Ok(None);
    }
    let codes = new_recovery_codes();
    let hashes: Vec<TokenHash> = codes.iter().filter_map(|c| recovery_hash(c)).collect();
    store
        .replace_recovery_codes(kind, subject_id, &hashes, now_millis())
        .await?;
    Ok(Some(codes))
}

fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect()
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

/// What a code typed in place of the app's turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    /// Wrong, or used before.
    No,
    /// The app's code of now.
    Code,
    /// One of the recovery codes, used up now; how many are left.
    Recovery { left: i64 },
}

/// Whether `code` is the app's code of now or a recovery code, not used before; either is
/// taken, so it is not accepted again.
pub async fn verify(
    store: &Store,
    kind: SessionKind,
    subject_id: i64,
    f: &SecondFactorRow,
    code: &str,
) -> Result<Verified> {
    if let Some(hash) = recovery_hash(code) {
        let (taken, left) = store.take_recovery_code(kind, subject_id, &hash).await?;
        return Ok(match taken {
            true => Verified::Recovery { left },
            false => Verified::No,
        });
    }
    Ok(match step_of(&f.secret, code, now_millis())? {
        Some(step)
            if store
                .take_second_factor_step(kind, subject_id, step)
                .await? =>
        {
            Verified::Code
        }
        _ => Verified::No,
    })
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
    fn recovery_codes_are_read_whatever_their_dashes_and_case() {
        let code = new_recovery_code();
        assert_eq!(code.len(), 11, "{code}");
        let hash = recovery_hash(&code).unwrap();
        let typed = code.to_lowercase().replace('-', " ");
        assert_eq!(recovery_hash(&typed).unwrap().0, hash.0);
        assert!(
            recovery_hash("123456").is_none(),
            "an app's code is no recovery code"
        );
        assert!(recovery_hash("ABCDE-FGHI1").is_none(), "1 is not base32");
        assert_ne!(new_recovery_code(), code);
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
