//! Cabinet logins: partners' admins by INN and password, the service operator by login and
//! password; both throttled per login and per client address.

use super::passwords;
use super::second_factor::{self, Verified};
use crate::domain::{Inn, Millis, now_millis};
use crate::error::{Error, Result};
use crate::phrase::Phrase;
use crate::store::{AdminRow, OperatorRow, PartnerRow, SessionKind, Store};

/// The wording never tells which half of the pair was wrong.
fn bad_credentials() -> Phrase {
    phrase!("Неверный логин или пароль", "Wrong login or password")
}

/// How many failed logins are tolerated within the window before the next try is refused.
#[derive(Debug, Clone, Copy)]
pub struct Throttle {
    pub max_per_login: i64,
    pub max_per_ip: i64,
    pub window_secs: i64,
}

pub struct Attempt<'a> {
    pub login: &'a str,
    pub password: &'a str,
    pub client_ip: &'a str,
}

async fn refuse_if_throttled(
    store: &Store,
    kind: SessionKind,
    a: &Attempt<'_>,
    t: Throttle,
    now: Millis,
) -> Result<()> {
    let since = now - t.window_secs * 1000;
    let f = store
        .login_failures_since(kind.area(), a.login, a.client_ip, since)
        .await?;
    if f.for_login >= t.max_per_login || f.from_ip >= t.max_per_ip {
        tracing::warn!(kind = kind.as_str(), "cabinet login throttled");
        return Err(Error::TooManyRequests {
            message: phrase!(
                "Слишком много неудачных попыток входа. Попробуйте через {} мин",
                "Too many failed logins. Try again in {} min",
                (t.window_secs + 59) / 60
            ),
            retry_after_secs: t.window_secs.max(1) as u64,
        });
    }
    Ok(())
}

async fn failed(store: &Store, kind: SessionKind, a: &Attempt<'_>, now: Millis) -> Error {
    match store
        .record_login_failure(kind, a.login, a.client_ip, now)
        .await
    {
        Ok(()) => Error::Unauthorized(bad_credentials()),
        Err(e) => e,
    }
}

/// A right password forgets the login's failures, unless a code must follow: then only the
/// right code does, or someone who has the password could try codes on and on, the password
/// clearing the count between tries. True if a code must follow.
async fn clear_failures_unless_code_follows(
    store: &Store,
    kind: SessionKind,
    subject_id: i64,
    a: &Attempt<'_>,
    throttle: Throttle,
    now: Millis,
) -> Result<bool> {
    let code_follows = second_factor::enabled(store, kind, subject_id)
        .await?
        .is_some();
    if !code_follows {
        store
            .clear_login_failures(kind.area(), a.login, now - throttle.window_secs * 1000)
            .await?;
    }
    Ok(code_follows)
}

/// The second step of a login whose account has a second factor: `a.password` is the code
/// from the app. Throttled as the first step, and a wrong code counts as a failed login of the
/// login typed first, so six digits cannot be tried through.
pub async fn confirm_code(
    store: &Store,
    throttle: Throttle,
    kind: SessionKind,
    subject_id: i64,
    a: Attempt<'_>,
) -> Result<Verified> {
    let now = now_millis();
    refuse_if_throttled(store, kind, &a, throttle, now).await?;
    let verified = match second_factor::enabled(store, kind, subject_id).await? {
        Some(f) => second_factor::verify(store, kind, subject_id, &f, a.password).await?,
        // Removed between the two steps: a reset replaced the password that was typed, so the
        // login starts over (the removal deletes the waiting logins; this is the race).
        None => {
            return Err(Error::forbidden(phrase!(
                "Вход с кодом отключён, пока вы вводили код: войдите снова",
                "The login code was turned off while you typed it: log in again"
            )));
        }
    };
    if verified == Verified::No {
        store
            .record_login_failure(kind.area(), a.login, a.client_ip, now)
            .await?;
        return Err(Error::Unauthorized(phrase!(
            "Неверный код или он уже использован: введите код, который приложение показывает сейчас, или код восстановления",
            "Wrong code, or one already used: type the code the app shows now, or a recovery code"
        )));
    }
    store
        .clear_login_failures(kind.area(), a.login, now - throttle.window_secs * 1000)
        .await?;
    Ok(verified)
}

/// The second step of a login whose company requires a code and whose account has none: the
/// first code from the app for the key the setup page shows turns the code on and answers the
/// recovery codes. Throttled as a login; a wrong code is a failed login of the login typed first.
pub async fn enroll(
    store: &Store,
    throttle: Throttle,
    kind: SessionKind,
    subject_id: i64,
    a: Attempt<'_>,
) -> Result<Vec<String>> {
    let now = now_millis();
    refuse_if_throttled(store, kind, &a, throttle, now).await?;
    match second_factor::enable(store, kind, subject_id, a.password).await? {
        Some(codes) => {
            store
                .clear_login_failures(kind.area(), a.login, now - throttle.window_secs * 1000)
                .await?;
            Ok(codes)
        }
        None => {
            store
                .record_login_failure(kind.area(), a.login, a.client_ip, now)
                .await?;
            Err(Error::Unauthorized(phrase!(
                "Код не подошёл: введите код, который приложение показывает для этого ключа сейчас",
                "The code did not match: type the code the app shows for this key now"
            )))
        }
    }
}

/// Who logged in to a company's cabinet.
pub struct CabinetLogin {
    pub partner: PartnerRow,
    /// A named admin; `None` for the company's own account (its INN).
    pub admin: Option<AdminRow>,
    /// A code from the app must follow before the session starts.
    pub code_follows: bool,
    /// The company requires a code and the account has none: its setup must follow.
    pub setup_follows: bool,
}

impl CabinetLogin {
    /// The account: its kind and id, as sessions and second factors key it.
    pub fn account(&self) -> (SessionKind, i64) {
        account_of(self.partner.id, self.admin.as_ref())
    }
}

/// The account of a company's cabinet login, as sessions and second factors key it: the named
/// admin's, or the company's own.
pub fn account_of(partner_id: i64, admin: Option<&AdminRow>) -> (SessionKind, i64) {
    match admin {
        Some(a) => (SessionKind::Admin, a.id),
        None => (SessionKind::Partner, partner_id),
    }
}

/// The account whose login (a company's INN, or a named admin's login) and password these
/// are, and whether a code must follow. Neither a disabled company nor a disabled admin logs in.
pub async fn partner_login(
    store: &Store,
    throttle: Throttle,
    a: Attempt<'_>,
) -> Result<CabinetLogin> {
    let area = SessionKind::Partner;
    let now = now_millis();
    refuse_if_throttled(store, area, &a, throttle, now).await?;
    let (partner, admin) = match Inn::parse(a.login) {
        Ok(inn) => (store.partner_by_inn(&inn).await?, None),
        Err(_) => match store.admin_by_login(&a.login.to_lowercase()).await? {
            Some(admin) => (store.partner_by_id(admin.partner_id).await?, Some(admin)),
            None => (None, None),
        },
    };
    let Some(partner) = partner else {
        return Err(failed(store, area, &a, now).await);
    };
    let hash = admin
        .as_ref()
        .map_or(&partner.password_hash, |a| &a.password_hash);
    if !passwords::verify(hash, a.password).await? {
        return Err(failed(store, area, &a, now).await);
    }
    if partner.disabled {
        return Err(Error::forbidden(phrase!(
            "Доступ организации приостановлен. Обратитесь к оператору сервиса",
            "The company's access is suspended. Contact the service operator"
        )));
    }
    if admin.as_ref().is_some_and(|a| a.disabled) {
        return Err(Error::forbidden(phrase!(
            "Ваша учётная запись в кабинете отключена. Обратитесь к главному администратору организации",
            "Your cabinet account is disabled. Contact your company's main administrator"
        )));
    }
    let mut login = CabinetLogin {
        partner,
        admin,
        code_follows: false,
        setup_follows: false,
    };
    let (kind, id) = login.account();
    login.code_follows =
        clear_failures_unless_code_follows(store, kind, id, &a, throttle, now).await?;
    login.setup_follows =
        !login.code_follows && store.second_factor_required(login.partner.id).await?;
    tracing::info!(
        partner_id = login.partner.id,
        admin_id = login.admin.as_ref().map(|a| a.id),
        "cabinet login"
    );
    Ok(login)
}

pub async fn operator_login(
    store: &Store,
    throttle: Throttle,
    a: Attempt<'_>,
) -> Result<(OperatorRow, bool)> {
    let kind = SessionKind::Operator;
    let now = now_millis();
    refuse_if_throttled(store, kind, &a, throttle, now).await?;
    let Some(op) = store.operator_by_login(a.login.trim()).await? else {
        return Err(failed(store, kind, &a, now).await);
    };
    if !passwords::verify(&op.password_hash, a.password).await? {
        return Err(failed(store, kind, &a, now).await);
    }
    let code_follows =
        clear_failures_unless_code_follows(store, kind, op.id, &a, throttle, now).await?;
    tracing::info!(operator_id = op.id, "operator login");
    Ok((op, code_follows))
}

/// Operator logins are short Latin names: letters, digits, `.`, `_`, `-`.
fn check_operator_login(login: &str) -> Result<()> {
    let ok = (1..=64).contains(&login.len())
        && login
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(phrase!(
            "Логин оператора: от 1 до 64 латинских букв, цифр, точек, дефисов и подчёркиваний",
            "An operator's login is 1 to 64 Latin letters, digits, dots, hyphens and underscores"
        )))
    }
}

/// Creates an operator account (from the CLI only).
pub async fn create_operator(store: &Store, login: &str, password: &str) -> Result<OperatorRow> {
    check_operator_login(login)?;
    passwords::check_strength(password)?;
    let hash = passwords::hash(password).await?;
    store.create_operator(login, &hash, now_millis()).await
}

/// Sets an operator's password, removes their second factor and ends their sessions; true if
/// a second factor was on.
pub async fn set_operator_password(store: &Store, login: &str, password: &str) -> Result<bool> {
    passwords::check_strength(password)?;
    let hash = passwords::hash(password).await?;
    if !store.set_operator_password(login, &hash).await? {
        return Err(Error::not_found(phrase!(
            "Оператор {login} не найден",
            "Operator {login} not found"
        )));
    }
    // The server's administrator resets a lost password or phone: the second factor goes too.
    let mut removed = false;
    if let Some(op) = store.operator_by_login(login).await? {
        removed = store
            .remove_second_factor(SessionKind::Operator, op.id)
            .await?;
        store
            .delete_sessions_of(SessionKind::Operator, op.id)
            .await?;
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_logins_are_plain_names() {
        assert!(check_operator_login("admin.ops-1").is_ok());
        assert!(check_operator_login("").is_err());
        assert!(check_operator_login("админ").is_err());
        assert!(check_operator_login("a b").is_err());
    }
}
