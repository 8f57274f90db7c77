//! Named admins of a company's cabinet. The company's own account (its INN and password, which
//! the operator gives) adds them, each with a login and password of their own, so that the
//! journal names the person who did a thing, and one who leaves the company is disabled or
//! deleted alone, the others and the back-office system's token untouched.

use super::{passwords, second_factor};
use crate::domain::now_millis;
use crate::error::{Error, Result};
use crate::store::{
    ADMIN_ROLE, AccessRow, AdminRow, GrantedAccess, HR, OfferedAccess, SENDER, SessionKind, Store,
    VIEWER,
};

/// At most this many named admins per company: a cabinet, not a directory.
pub const MAX_ADMINS: usize = 50;

/// A named admin's login: 3 to 64 Latin letters, digits, `.`, `_`, `-`, `@` (an e-mail address
/// does), with a letter among them, so that it is never read as an INN at the login form.
/// Compared without case.
pub fn parse_login(raw: &str) -> Result<String> {
    let login = raw.trim().to_lowercase();
    let ok = (3..=64).contains(&login.len())
        && login
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
        && login.chars().any(|c| c.is_ascii_alphabetic());
    if ok {
        Ok(login)
    } else {
        Err(Error::invalid(phrase!(
            "Логин: от 3 до 64 латинских букв, цифр, точек, дефисов, подчёркиваний и @, хотя бы одна буква (подойдёт адрес почты)",
            "A login is 3 to 64 Latin letters, digits, dots, hyphens, underscores and @, with at least one letter (an e-mail address will do)"
        )))
    }
}

/// The person's name as the journal and the list show it: 1 to 100 characters, without control
/// characters (PostgreSQL refuses a NUL).
fn parse_name(raw: &str) -> Result<String> {
    let name = crate::domain::clean(raw)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if (1..=100).contains(&name.chars().count()) {
        Ok(name)
    } else {
        Err(Error::invalid(phrase!(
            "Укажите имя администратора: от 1 до 100 символов",
            "Give the admin's name: 1 to 100 characters"
        )))
    }
}

/// A role as a form posts it: `viewer`, `sender`, `hr`, or anything else for a full admin.
pub fn role(raw: &str) -> &'static str {
    match raw.trim() {
        VIEWER => VIEWER,
        SENDER => SENDER,
        HR => HR,
        _ => ADMIN_ROLE,
    }
}

pub async fn create(
    store: &Store,
    partner_id: i64,
    login: &str,
    name: &str,
    role: &str,
    password: &str,
) -> Result<AdminRow> {
    let login = parse_login(login)?;
    let name = parse_name(name)?;
    passwords::check_strength(password)?;
    if store.admins_of(partner_id).await?.len() >= MAX_ADMINS {
        return Err(Error::invalid(phrase!(
            "У организации уже {MAX_ADMINS} администраторов: удалите ненужных",
            "The company has {MAX_ADMINS} admins already: delete those it no longer needs"
        )));
    }
    let hash = passwords::hash(password).await?;
    store
        .create_admin(partner_id, &login, &name, role, &hash, now_millis())
        .await
}

fn not_found() -> Error {
    Error::not_found(phrase!(
        "Такого администратора у организации нет",
        "The company has no such admin"
    ))
}

/// The partner's admin of this id.
/// Who requires a login code of a company's accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeRule {
    /// The company's own account, which can lift it.
    Company,
    /// The service operator: the company cannot lift it.
    Operator,
}

/// Sets a rule requiring a login code of every account of the company, or lifts it. Required,
/// the sessions of its accounts without a code end (they set it up at their next login): how
/// many.
pub async fn set_code_required(
    store: &Store,
    partner_id: i64,
    rule: CodeRule,
    required: bool,
) -> Result<u64> {
    match rule {
        CodeRule::Company => {
            store
                .set_second_factor_required(partner_id, required)
                .await?
        }
        CodeRule::Operator => {
            store
                .set_second_factor_imposed(partner_id, required)
                .await?
        }
    }
    match required {
        true => store.end_sessions_without_code(partner_id).await,
        false => Ok(0),
    }
}

pub async fn of_partner(store: &Store, partner_id: i64, id: i64) -> Result<AdminRow> {
    match store.admin_by_id(id).await? {
        Some(a) if a.partner_id == partner_id => Ok(a),
        _ => Err(not_found()),
    }
}

/// Disables or enables an admin; a disabled admin's sessions end at once.
pub async fn set_disabled(store: &Store, partner_id: i64, id: i64, disabled: bool) -> Result<()> {
    if !store.set_admin_disabled(partner_id, id, disabled).await? {
        return Err(not_found());
    }
    if disabled {
        store.delete_sessions_of(SessionKind::Admin, id).await?;
    }
    Ok(())
}

/// Makes an admin a viewer or a full admin; the sessions stay (the role is read at each page).
pub async fn set_role(store: &Store, partner_id: i64, id: i64, role: &str) -> Result<()> {
    if store.set_admin_role(partner_id, id, role).await? {
        Ok(())
    } else {
        Err(not_found())
    }
}

/// What a password reset did besides: the second factor removed, and the other companies whose
/// access it disabled.
pub struct Reset {
    pub second_factor_removed: bool,
    pub accesses_disabled: Vec<i64>,
}

/// Gives an admin a new password (forgotten, or told to someone), ends their sessions and
/// removes their second factor (a lost phone is the other reason to ask). Their accesses to
/// other companies are disabled: the one who reset the password could now be them, and those
/// companies gave access to the person (each enables it again once it has heard from them).
pub async fn reset_password(
    store: &Store,
    partner_id: i64,
    id: i64,
    password: &str,
) -> Result<Reset> {
    passwords::check_strength(password)?;
    let hash = passwords::hash(password).await?;
    if !store.set_admin_password(partner_id, id, &hash).await? {
        return Err(not_found());
    }
    let second_factor_removed = store.remove_second_factor(SessionKind::Admin, id).await?;
    store.delete_sessions_of(SessionKind::Admin, id).await?;
    let accesses_disabled = store.disable_accesses_of(id).await?;
    Ok(Reset {
        second_factor_removed,
        accesses_disabled,
    })
}

/// An admin changing their own password: the other sessions end, as the company account's do.
pub async fn set_own_password(store: &Store, admin: &AdminRow, password: &str) -> Result<()> {
    let hash = passwords::hash(password).await?;
    if !store
        .set_admin_password(admin.partner_id, admin.id, &hash)
        .await?
    {
        return Err(not_found());
    }
    store
        .delete_sessions_of(SessionKind::Admin, admin.id)
        .await?;
    Ok(())
}

/// Gives the named admin of another company with this login access to the company's cabinet
/// with the role: a holding's HR, an outsourced accountant keeps one login for every company
/// they serve. It opens nothing until they accept it; it counts toward `MAX_ADMINS`.
pub async fn grant_access(
    store: &Store,
    partner_id: i64,
    login: &str,
    role: &str,
) -> Result<GrantedAccess> {
    let login = parse_login(login)?;
    let admin = match store.admin_by_login(&login).await? {
        Some(a) if a.partner_id != partner_id => a,
        Some(_) => {
            return Err(Error::invalid(phrase!(
                "{login} — администратор вашей организации: его права меняются в списке выше",
                "{login} is your company's own admin: their rights are changed in the list above"
            )));
        }
        None => {
            return Err(Error::invalid(phrase!(
                "Администратора с логином {login} нет. Логин заводит его организация: попросите её главную учётную запись добавить его",
                "There is no admin with the login {login}. Their own company creates it: ask its main account to add them"
            )));
        }
    };
    let given =
        store.admins_of(partner_id).await?.len() + store.access_granted_by(partner_id).await?.len();
    if given >= MAX_ADMINS {
        return Err(Error::invalid(phrase!(
            "У организации уже {MAX_ADMINS} администраторов: удалите ненужных",
            "The company has {MAX_ADMINS} admins already: delete those it no longer needs"
        )));
    }
    let access = store
        .grant_access(partner_id, admin.id, role, now_millis())
        .await?;
    granted(store, partner_id, access.id).await
}

fn no_access() -> Error {
    Error::not_found(phrase!(
        "У вас нет доступа к кабинету этой организации",
        "You have no access to this company's cabinet"
    ))
}

/// The access through which the admin enters the company's cabinet: accepted, not disabled, the
/// company not disabled, and with a login code on when the company requires one.
pub async fn may_enter(store: &Store, admin: &AdminRow, partner_id: i64) -> Result<AccessRow> {
    let access = store
        .access(admin.id, partner_id)
        .await?
        .filter(|x| x.accepted_at.is_some())
        .ok_or_else(no_access)?;
    if access.disabled {
        return Err(Error::forbidden(phrase!(
            "Организация отключила ваш доступ к своему кабинету",
            "The company has disabled your access to its cabinet"
        )));
    }
    if store
        .partner_by_id(partner_id)
        .await?
        .is_none_or(|p| p.disabled)
    {
        return Err(no_access());
    }
    if store.second_factor_required(partner_id).await?
        && second_factor::enabled(store, SessionKind::Admin, admin.id)
            .await?
            .is_none()
    {
        return Err(Error::forbidden(phrase!(
            "Организация требует вход с кодом: включите его для своей учётной записи (Настройка → Вход с кодом), затем войдите в её кабинет",
            "The company requires a login code: turn yours on (Settings → Login code), then enter its cabinet"
        )));
    }
    Ok(access)
}

/// The admin accepts an access waiting for them.
pub async fn accept(store: &Store, admin: &AdminRow, id: i64) -> Result<OfferedAccess> {
    let offer = offered(store, admin, id).await?;
    if !store.accept_access(admin.id, id, now_millis()).await? {
        return Err(Error::Conflict(phrase!(
            "Этот доступ уже принят",
            "This access is accepted already"
        )));
    }
    Ok(offer)
}

/// The admin declines an access waiting for them, or gives up one they had.
pub async fn decline(store: &Store, admin: &AdminRow, id: i64) -> Result<OfferedAccess> {
    let offer = offered(store, admin, id).await?;
    store.remove_access(offer.access.partner_id, id).await?;
    Ok(offer)
}

async fn offered(store: &Store, admin: &AdminRow, id: i64) -> Result<OfferedAccess> {
    store
        .access_offered_to(admin.id)
        .await?
        .into_iter()
        .find(|o| o.access.id == id)
        .ok_or_else(no_access)
}

/// One access the company gave.
pub async fn granted(store: &Store, partner_id: i64, id: i64) -> Result<GrantedAccess> {
    store
        .access_granted(partner_id, id)
        .await?
        .ok_or_else(not_found)
}

pub async fn delete(store: &Store, partner_id: i64, id: i64) -> Result<()> {
    if store.delete_admin(partner_id, id).await? {
        Ok(())
    } else {
        Err(not_found())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_are_latin_with_a_letter_and_without_case() {
        assert_eq!(
            parse_login(" Maria.Ivanova@Corp.RU ").unwrap(),
            "maria.ivanova@corp.ru"
        );
        assert_eq!(parse_login("hr-1").unwrap(), "hr-1");
        // Digits alone would be read as an INN at the login form.
        assert!(parse_login("7707083893").is_err());
        assert!(parse_login("ab").is_err());
        assert!(parse_login("мария").is_err());
        assert!(parse_login("a b c").is_err());
        assert!(parse_login(&"a".repeat(65)).is_err());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(parse_name("  Мария   Иванова ").unwrap(), "Мария Иванова");
        assert!(parse_name("   ").is_err());
        assert_eq!(parse_name("\0Мария\u{1} Иванова").unwrap(), "Мария Иванова");
        assert!(parse_name("\0\u{7}").is_err());
        assert!(parse_name(&"я".repeat(101)).is_err());
    }
}
