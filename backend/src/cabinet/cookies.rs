//! Every cookie the cabinet sets is built here: HttpOnly, SameSite=Lax, Secure behind HTTPS.

use poem::web::cookie::{Cookie, CookieJar, SameSite};
use std::time::Duration;

/// The partner admin's session (path `/cabinet`).
pub const PARTNER_SESSION: &str = "simo_session";
/// The operator's session (path `/operator`), separate so one browser can hold both.
pub const OPERATOR_SESSION: &str = "simo_operator";
/// A login whose password was right, waiting for its code (path `/cabinet` or `/operator`).
pub const LOGIN_CHALLENGE: &str = "simo_login_code";
/// The double-submit token of a login form, before any session exists.
pub const LOGIN_CSRF: &str = "simo_login_csrf";
/// The chosen language (`ru` or `en`).
pub const LANG: &str = "simo_lang";
/// A token just issued (rotation, new partner), carried across the redirect that follows the
/// form so a reload cannot submit it again; read once by the page and expired at once.
pub const FLASH_TOKEN: &str = "simo_flash_token";
/// Long enough for the redirect, short enough that an unread token does not linger.
const FLASH_TTL_SECS: u64 = 120;

fn base(name: &str, value: &str, path: &str, secure: bool) -> Cookie {
    let mut c = Cookie::new_with_str(name, value);
    c.set_path(path);
    c.set_http_only(true);
    c.set_same_site(SameSite::Lax);
    c.set_secure(secure);
    c
}

/// A session cookie: it lives as long as the session row does.
pub fn session(jar: &CookieJar, name: &str, path: &str, value: &str, ttl_secs: i64, secure: bool) {
    let mut c = base(name, value, path, secure);
    c.set_max_age(Duration::from_secs(ttl_secs.max(1) as u64));
    jar.add(c);
}

pub fn login_csrf(jar: &CookieJar, path: &str, value: &str, secure: bool) {
    let mut c = base(LOGIN_CSRF, value, path, secure);
    c.set_max_age(Duration::from_secs(3600));
    jar.add(c);
}

pub fn lang(jar: &CookieJar, value: &str, secure: bool) {
    let mut c = base(LANG, value, "/", secure);
    c.set_max_age(Duration::from_secs(365 * 24 * 3600));
    jar.add(c);
}

pub fn flash_token(jar: &CookieJar, path: &str, value: &str, secure: bool) {
    let mut c = base(FLASH_TOKEN, value, path, secure);
    c.set_same_site(SameSite::Strict);
    c.set_max_age(Duration::from_secs(FLASH_TTL_SECS));
    jar.add(c);
}

/// The flashed token, if any; the cookie is expired in the same answer.
pub fn take_flash_token(jar: &CookieJar, path: &str, secure: bool) -> Option<String> {
    let v = value(jar, FLASH_TOKEN)?;
    remove(jar, FLASH_TOKEN, path, secure);
    Some(v)
}

/// Expires a cookie in the browser.
pub fn remove(jar: &CookieJar, name: &str, path: &str, secure: bool) {
    let mut c = base(name, "", path, secure);
    c.make_removal();
    jar.add(c);
}

pub fn value(jar: &CookieJar, name: &str) -> Option<String> {
    jar.get(name)
        .map(|c| c.value_str().to_owned())
        .filter(|v| !v.is_empty())
}
