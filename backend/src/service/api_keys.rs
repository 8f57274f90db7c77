//! A company's API keys: the main one and those it adds for its other systems, each with full
//! access or reading only, rotated or revoked one by one (see `store::api_keys`).

use crate::domain::{Millis, SecretToken, TimeFormat, TokenKind, now_millis};
use crate::error::{Error, Result};
use crate::store::{ApiKeyRow, KeyAccess, NewApiKey, Store, parse_addresses};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Refusals journaled for the company at most once an hour a name (a key's, an account's) and
/// server process, so that a caller in a loop cannot fill the journal: calls with a key from an
/// address it does not accept (a token copied off the company's server, most likely), and the
/// cabinet's forms posted past an account's right.
#[derive(Default)]
pub struct RefusalNotes {
    noted: Mutex<HashMap<(i64, String), Instant>>,
}

impl RefusalNotes {
    const EVERY: Duration = Duration::from_secs(3600);

    /// True for the first refusal of the company's `name` this hour: the one to journal.
    pub fn first_this_hour(&self, partner_id: i64, name: &str) -> bool {
        let mut noted = self.noted.lock().unwrap_or_else(|e| e.into_inner());
        // Far more than the keys of every company: rather start over than grow.
        if noted.len() >= 10_000 {
            noted.clear();
        }
        let key = (partner_id, name.to_owned());
        match noted.get(&key) {
            Some(at) if at.elapsed() < Self::EVERY => false,
            _ => {
                noted.insert(key, Instant::now());
                true
            }
        }
    }
}

/// Live keys a company may hold at once: one for each of its systems and their rotations.
pub const MAX_KEYS: usize = 20;

/// A key's name as the company types it: 1 to 60 characters, no control characters; the main
/// key's is empty and never typed.
pub fn parse_name(raw: &str) -> Result<String> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 60 || name.chars().any(char::is_control) {
        return Err(Error::Invalid(phrase!(
            "Назовите ключ: от 1 до 60 символов, например «1С:ЗУП»",
            "Name the key: 1 to 60 characters, e.g. \"1C HR\""
        )));
    }
    Ok(name.to_owned())
}

/// The moment a key stops working, from the last day it works as the company types it
/// (`2026-12-31`: the whole of that day in the server's zone); `None` (never) for nothing.
pub fn parse_valid_until(time: &TimeFormat, raw: &str, now: Millis) -> Result<Option<Millis>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let wrong = || {
        Error::Invalid(phrase!(
            "Срок ключа — последний день его работы, например 2026-12-31",
            "A key's end is the last day it works, e.g. 2026-12-31"
        ))
    };
    if chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d").is_err() {
        return Err(wrong());
    }
    let end = time.parse_until(raw).map_err(|_| wrong())? + 1;
    if end <= now {
        return Err(Error::Invalid(phrase!(
            "Этот день уже прошёл: ключ работал бы не дольше, чем сейчас. Укажите сегодняшний день или позже",
            "That day is over: the key would stop at once. Give today or a later day"
        )));
    }
    Ok(Some(end))
}

/// The company's live key `id`.
pub async fn live_key(store: &Store, partner_id: i64, id: i64) -> Result<ApiKeyRow> {
    let keys = store.api_keys(partner_id, now_millis()).await?;
    keys.into_iter().find(|k| k.id == id).ok_or_else(|| {
        Error::not_found(phrase!(
            "Такого действующего ключа у организации нет",
            "The company has no such live key"
        ))
    })
}

/// What a new key is: its name, its access, the addresses it is accepted from ('' for any),
/// and the moment it stops working (`parse_valid_until`).
pub struct KeyInput<'a> {
    pub name: &'a str,
    pub access: KeyAccess,
    pub addresses: &'a str,
    pub valid_until: Option<Millis>,
}

/// A key just added: its token (shown once), its name and addresses as stored.
pub struct Added {
    pub token: SecretToken,
    pub name: String,
    pub allowed_ips: String,
}

/// Adds a key named `name` (unique among the live ones, without case).
pub async fn add(store: &Store, partner_id: i64, input: &KeyInput<'_>) -> Result<Added> {
    let name = parse_name(input.name)?;
    let allowed_ips = parse_addresses(input.addresses)?;
    let keys = store.api_keys(partner_id, now_millis()).await?;
    if keys.len() >= MAX_KEYS {
        return Err(Error::Conflict(phrase!(
            "У организации уже {} действующих ключей: отзовите ненужный",
            "The company already has {} live keys: revoke one it does not need",
            MAX_KEYS
        )));
    }
    if keys
        .iter()
        .any(|k| k.name.to_lowercase() == name.to_lowercase())
    {
        return Err(Error::Conflict(phrase!(
            "Ключ «{}» уже есть: выпустите для него новый токен или выберите другое имя",
            "There is a key \"{}\" already: rotate its token or choose another name",
            name
        )));
    }
    let key = Kept {
        name: &name,
        access: input.access,
        allowed_ips: &allowed_ips,
        valid_until: input.valid_until,
    };
    let token = put(store, partner_id, &key, 0).await?;
    Ok(Added {
        token,
        name,
        allowed_ips,
    })
}

/// A new token for the live key `id`, of the same name and access; the old one keeps working
/// `grace_secs`.
pub async fn rotate(
    store: &Store,
    partner_id: i64,
    id: i64,
    grace_secs: i64,
) -> Result<(SecretToken, ApiKeyRow)> {
    let key = live_key(store, partner_id, id).await?;
    let token = put(store, partner_id, &Kept::of(&key), grace_secs).await?;
    Ok((token, key))
}

/// The addresses the live key `id` is accepted from, as typed; '' for any. The key and the
/// addresses as stored.
pub async fn set_addresses(
    store: &Store,
    partner_id: i64,
    id: i64,
    raw: &str,
) -> Result<(ApiKeyRow, String)> {
    let key = live_key(store, partner_id, id).await?;
    let allowed_ips = parse_addresses(raw)?;
    store
        .set_key_addresses(partner_id, &key.name, &allowed_ips, now_millis())
        .await?;
    Ok((key, allowed_ips))
}

/// What the live key `id` may call. The main key keeps full access (a system that needs less
/// gets a key of its own). The key as it was.
pub async fn set_access(
    store: &Store,
    partner_id: i64,
    id: i64,
    access: KeyAccess,
) -> Result<ApiKeyRow> {
    let key = live_key(store, partner_id, id).await?;
    if key.name.is_empty() && access != KeyAccess::Full {
        return Err(Error::Invalid(phrase!(
            "Основной ключ — с полным доступом: для системы, которой нужно меньше, добавьте ключ",
            "The main key has full access: for a system that needs less, add a key"
        )));
    }
    store
        .set_key_access(partner_id, &key.name, access, now_millis())
        .await?;
    Ok(key)
}

/// The moment the live key `id` stops working (`None`: never). The key as it was.
pub async fn set_valid_until(
    store: &Store,
    partner_id: i64,
    id: i64,
    valid_until: Option<Millis>,
) -> Result<ApiKeyRow> {
    let key = live_key(store, partner_id, id).await?;
    store
        .set_key_valid_until(partner_id, &key.name, valid_until, now_millis())
        .await?;
    Ok(key)
}

/// A new token for the company's main key (full access, its addresses kept); the old one keeps
/// working `grace_secs`. The command line's rotation, and the main key made again if it was
/// revoked.
pub async fn rotate_main(store: &Store, partner_id: i64, grace_secs: i64) -> Result<SecretToken> {
    let keys = store.api_keys(partner_id, now_millis()).await?;
    let main = keys.iter().rev().find(|k| k.name.is_empty());
    let key = main.map_or(
        Kept {
            name: "",
            access: KeyAccess::Full,
            allowed_ips: "",
            valid_until: None,
        },
        Kept::of,
    );
    put(store, partner_id, &key, grace_secs).await
}

/// Ends the key of the live token `id` at once: all its tokens, the old one of a rotation too.
pub async fn revoke(store: &Store, partner_id: i64, id: i64) -> Result<ApiKeyRow> {
    let key = live_key(store, partner_id, id).await?;
    store
        .revoke_api_key(partner_id, &key.name, now_millis())
        .await?;
    Ok(key)
}

/// Ends a rotated key's old token before its grace period is over (every system has the new
/// one; the old may have leaked): refused from the next call. The key's name.
pub async fn end_old_token(store: &Store, partner_id: i64, id: i64) -> Result<String> {
    store
        .end_old_token(partner_id, id, now_millis())
        .await?
        .ok_or_else(|| {
            Error::not_found(phrase!(
                "Прежнего токена с таким номером у организации нет: он уже не действует",
                "The company has no old token of that number: it no longer works"
            ))
        })
}

/// What a key's new token keeps of it.
struct Kept<'a> {
    name: &'a str,
    access: KeyAccess,
    allowed_ips: &'a str,
    valid_until: Option<Millis>,
}

impl<'a> Kept<'a> {
    fn of(key: &'a ApiKeyRow) -> Self {
        Self {
            name: &key.name,
            access: key.access(),
            allowed_ips: &key.allowed_ips,
            valid_until: key.valid_until,
        }
    }
}

async fn put(
    store: &Store,
    partner_id: i64,
    kept: &Kept<'_>,
    grace_secs: i64,
) -> Result<SecretToken> {
    let token = SecretToken::generate(TokenKind::Partner);
    let now = now_millis();
    let key = NewApiKey {
        name: kept.name,
        access: kept.access,
        allowed_ips: kept.allowed_ips,
        valid_until: kept.valid_until,
        token: &token.hash(),
        prefix: &token.display_prefix(),
    };
    store
        .put_api_key(partner_id, &key, now, now + grace_secs.max(0) * 1000)
        .await?;
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names_are_short_printable_and_trimmed() {
        assert_eq!(parse_name("  1С:ЗУП ").unwrap(), "1С:ЗУП");
        assert!(parse_name("   ").is_err());
        assert!(parse_name(&"я".repeat(61)).is_err());
        assert!(parse_name(&"я".repeat(60)).is_ok());
        assert!(parse_name("a\u{0}b").is_err());
    }

    #[test]
    fn a_keys_end_is_the_end_of_the_last_day_it_works_and_not_past() {
        let time = TimeFormat::new("Europe/Moscow").unwrap();
        // 2026-12-06 12:00 Moscow.
        let now = time.parse("2026-12-06T12:00:00+03:00").unwrap();
        let end = parse_valid_until(&time, " 2026-12-31 ", now)
            .unwrap()
            .unwrap();
        assert_eq!(end, time.parse("2027-01-01T00:00:00+03:00").unwrap());
        let today = parse_valid_until(&time, "2026-12-06", now)
            .unwrap()
            .unwrap();
        assert_eq!(today, time.parse("2026-12-07T00:00:00+03:00").unwrap());
        assert_eq!(parse_valid_until(&time, "  ", now).unwrap(), None);
        for wrong in ["2026-12-05", "31.12.2026", "2026-13-01", "завтра"] {
            assert!(parse_valid_until(&time, wrong, now).is_err(), "{wrong}");
        }
    }

    #[test]
    fn a_refused_key_is_journaled_once_an_hour_per_company_and_key() {
        let notes = RefusalNotes::default();
        assert!(notes.first_this_hour(1, "1С:ЗУП"));
        assert!(!notes.first_this_hour(1, "1С:ЗУП"));
        assert!(notes.first_this_hour(1, ""));
        assert!(notes.first_this_hour(2, "1С:ЗУП"));
        assert!(!notes.first_this_hour(2, "1С:ЗУП"));
    }
}
