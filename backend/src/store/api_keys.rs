//! A company's API keys: the main one every company gets (name '') and others it adds, one for
//! each of its systems, with full access, sending only or reading only. A key's rotation is a
//! new row of the same name and access, the old row expiring after the grace period; a revoked
//! row expires at once. A key may also end on a day the company set (`valid_until`, kept by
//! each new token of it). Expired rows stay: the journal may name them.

use super::{Store, exec, with_pool, with_writer};
use crate::domain::{Millis, TokenHash};
use crate::error::{Error, Result};
use ipnet::IpNet;
use std::net::IpAddr;
use std::sync::Arc;

/// What a key may call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAccess {
    /// Every method.
    Full,
    /// The sending methods (a message, a scheduled send, a recall, a reminder) and the reading
    /// ones; not the staff's or the groups' changes.
    Sends,
    /// The reading methods.
    Read,
}

impl KeyAccess {
    /// As the row keeps it: `read_only` and `sends_only`, never both.
    pub fn of(read_only: bool, sends_only: bool) -> Self {
        match (read_only, sends_only) {
            (true, _) => Self::Read,
            (false, true) => Self::Sends,
            (false, false) => Self::Full,
        }
    }

    /// The cabinet's form value and the command line's word: `full`, `send` or `read`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Sends => "send",
            Self::Read => "read",
        }
    }

    /// `as_str` read back; anything else is full access (the form's default choice).
    pub fn parse(raw: &str) -> Self {
        match raw {
            "read" => Self::Read,
            "send" => Self::Sends,
            _ => Self::Full,
        }
    }
}

/// The key an API call came with, as the auth cache keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: i64,
    /// '' for the main key.
    pub name: String,
    pub access: KeyAccess,
    /// The addresses it is accepted from; `None`: any. Shared, as every call clones the key.
    pub allowed: Option<Arc<[IpNet]>>,
}

impl ApiKey {
    /// Whether a call from `client` may use the key.
    pub fn admits(&self, client: Option<IpAddr>) -> bool {
        match (&self.allowed, client) {
            (None, _) => true,
            (Some(nets), Some(ip)) => nets.iter().any(|n| n.contains(&ip)),
            (Some(_), None) => false,
        }
    }
}

/// Most addresses and networks one key takes.
pub const MAX_ADDRESSES: usize = 20;

/// Addresses and networks as the company types them (`192.0.2.10, 10.0.0.0/24, 2001:db8::/32`,
/// commas, spaces or lines between), in their stored form: each one canonical (host bits of a
/// network cleared), joined by ", "; '' for none (any address).
pub fn parse_addresses(raw: &str) -> Result<String> {
    let nets = raw
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.parse::<IpNet>()
                .map(|n| n.trunc())
                .or_else(|_| p.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    Error::Invalid(phrase!(
                        "«{}» — не IP-адрес и не сеть: пишите, например, 192.0.2.10 или 10.0.0.0/24",
                        "“{}” is neither an IP address nor a network: write e.g. 192.0.2.10 or 10.0.0.0/24",
                        p
                    ))
                })
        })
        .collect::<Result<Vec<_>>>()?;
    if nets.len() > MAX_ADDRESSES {
        return Err(Error::Invalid(phrase!(
            "Не больше {} адресов и сетей на ключ",
            "No more than {} addresses and networks a key",
            MAX_ADDRESSES
        )));
    }
    let mut shown: Vec<String> = Vec::new();
    for n in nets {
        let text = match n.prefix_len() == n.max_prefix_len() {
            true => n.addr().to_string(),
            false => n.to_string(),
        };
        if !shown.contains(&text) {
            shown.push(text);
        }
    }
    Ok(shown.join(", "))
}

/// The stored form read back; `None` for any address.
pub(super) fn allowed_of(stored: &str) -> Option<Arc<[IpNet]>> {
    let nets: Vec<IpNet> = stored
        .split(", ")
        .filter_map(|p| {
            p.parse::<IpNet>()
                .ok()
                .or_else(|| p.parse::<IpAddr>().ok().map(IpNet::from))
        })
        .collect();
    (!nets.is_empty()).then(|| nets.into())
}

/// A live key, as the cabinet lists it (never the token: only its prefix).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiKeyRow {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub read_only: bool,
    pub sends_only: bool,
    pub created_at: Millis,
    /// Set while the key is in its grace period after a rotation.
    pub expires_at: Option<Millis>,
    /// The moment the key stops working, set by the company; `None`: never.
    pub valid_until: Option<Millis>,
    pub last_used_at: Option<Millis>,
    /// As `parse_addresses` stores them; '' for any.
    pub allowed_ips: String,
}

impl ApiKeyRow {
    pub fn access(&self) -> KeyAccess {
        KeyAccess::of(self.read_only, self.sends_only)
    }
}

/// A new key's row.
pub struct NewApiKey<'a> {
    pub name: &'a str,
    pub access: KeyAccess,
    /// As `parse_addresses` stores them.
    pub allowed_ips: &'a str,
    pub valid_until: Option<Millis>,
    pub token: &'a TokenHash,
    pub prefix: &'a str,
}

/// How often a key's last use is written: an API call reads its key from the auth cache, and
/// a miss must not become a write each time.
const LAST_USED_STEP_MS: Millis = 60_000;

impl Store {
    /// The company's live keys (open-ended, or in their grace period, and not past their end),
    /// oldest first.
    pub async fn api_keys(&self, partner_id: i64, now: Millis) -> Result<Vec<ApiKeyRow>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT id, name, prefix, read_only, sends_only, created_at, expires_at, valid_until,
                    last_used_at, allowed_ips
             FROM partner_tokens
             WHERE partner_id = $1 AND (expires_at IS NULL OR expires_at > $2)
               AND (valid_until IS NULL OR valid_until > $2)
             ORDER BY id",
        )
        .bind(partner_id)
        .bind(now)
        .fetch_all(p)
        .await)?)
    }

    /// The company's keys whose last moment (`valid_until`) falls in `since..=until`, soonest
    /// first: those about to stop and those that stopped lately. A revoked key, or the old
    /// token of a rotation, is not one of them.
    pub async fn api_keys_ending(
        &self,
        partner_id: i64,
        since: Millis,
        until: Millis,
    ) -> Result<Vec<ApiKeyRow>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT id, name, prefix, read_only, sends_only, created_at, expires_at, valid_until,
                    last_used_at, allowed_ips
             FROM partner_tokens
             WHERE partner_id = $1 AND expires_at IS NULL AND valid_until > $2 AND valid_until <= $3
             ORDER BY valid_until, id",
        )
        .bind(partner_id)
        .bind(since)
        .bind(until)
        .fetch_all(p)
        .await)?)
    }

    /// A new key for the company; the open-ended keys of the same name now expire at
    /// `old_valid_until` (a rotation's grace period; none for a key just added).
    pub async fn put_api_key(
        &self,
        partner_id: i64,
        key: &NewApiKey<'_>,
        now: Millis,
        old_valid_until: Millis,
    ) -> Result<i64> {
        let id = with_writer!(self, p => async {
            let mut tx = p.begin().await?;
            sqlx::query(
                "UPDATE partner_tokens SET expires_at = $3
                 WHERE partner_id = $1 AND name = $2 AND (expires_at IS NULL OR expires_at > $3)",
            )
            .bind(partner_id)
            .bind(key.name)
            .bind(old_valid_until)
            .execute(&mut *tx)
            .await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO partner_tokens
                   (partner_id, token_hash, prefix, created_at, name, read_only, allowed_ips,
                    valid_until, sends_only)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(partner_id)
            .bind(&key.token.0)
            .bind(key.prefix)
            .bind(now)
            .bind(key.name)
            .bind(key.access == KeyAccess::Read)
            .bind(key.allowed_ips)
            .bind(key.valid_until)
            .bind(key.access == KeyAccess::Sends)
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(id)
        }.await)?;
        self.tokens.forget_all();
        Ok(id)
    }

    /// The addresses a live key of the company is accepted from (as `parse_addresses` stores
    /// them); false if it has no such key. Every live token of the key's name takes them, the
    /// old one of a rotation too.
    pub async fn set_key_addresses(
        &self,
        partner_id: i64,
        name: &str,
        allowed_ips: &str,
        now: Millis,
    ) -> Result<bool> {
        let n = exec!(self, p => sqlx::query(
            "UPDATE partner_tokens SET allowed_ips = $3
             WHERE partner_id = $1 AND name = $2 AND (expires_at IS NULL OR expires_at > $4)",
        )
        .bind(partner_id)
        .bind(name)
        .bind(allowed_ips)
        .bind(now)
        .execute(p)
        .await)?;
        self.tokens.forget_all();
        Ok(n > 0)
    }

    /// The access of the company's live key `name`; false if it has no such key. Every live
    /// token of the key takes it, the old one of a rotation too, from the next call.
    pub async fn set_key_access(
        &self,
        partner_id: i64,
        name: &str,
        access: KeyAccess,
        now: Millis,
    ) -> Result<bool> {
        let n = exec!(self, p => sqlx::query(
            "UPDATE partner_tokens SET read_only = $3, sends_only = $4
             WHERE partner_id = $1 AND name = $2 AND (expires_at IS NULL OR expires_at > $5)",
        )
        .bind(partner_id)
        .bind(name)
        .bind(access == KeyAccess::Read)
        .bind(access == KeyAccess::Sends)
        .bind(now)
        .execute(p)
        .await)?;
        self.tokens.forget_all();
        Ok(n > 0)
    }

    /// The moment the company's live key `name` stops working (`None`: never); false if it has
    /// no such key. Every live token of the key takes it, the old one of a rotation too.
    pub async fn set_key_valid_until(
        &self,
        partner_id: i64,
        name: &str,
        valid_until: Option<Millis>,
        now: Millis,
    ) -> Result<bool> {
        let n = exec!(self, p => sqlx::query(
            "UPDATE partner_tokens SET valid_until = $3
             WHERE partner_id = $1 AND name = $2 AND (expires_at IS NULL OR expires_at > $4)
               AND (valid_until IS NULL OR valid_until > $4)",
        )
        .bind(partner_id)
        .bind(name)
        .bind(valid_until)
        .bind(now)
        .execute(p)
        .await)?;
        self.tokens.forget_all();
        Ok(n > 0)
    }

    /// Ends the company's live key `name` at once, every token of it (the old one of a rotation
    /// in its grace period too); false if it has none such.
    pub async fn revoke_api_key(&self, partner_id: i64, name: &str, now: Millis) -> Result<bool> {
        let n = exec!(self, p => sqlx::query(
            "UPDATE partner_tokens SET expires_at = $3
             WHERE name = $2 AND partner_id = $1 AND (expires_at IS NULL OR expires_at > $3)",
        )
        .bind(partner_id)
        .bind(name)
        .bind(now)
        .execute(p)
        .await)?;
        self.tokens.forget_all();
        Ok(n > 0)
    }

    /// Ends at `now` the company's token `id` if it is an old one in its grace period after a
    /// rotation; the key's name, or `None` when `id` is no such token of the company.
    pub async fn end_old_token(
        &self,
        partner_id: i64,
        id: i64,
        now: Millis,
    ) -> Result<Option<String>> {
        let name: Option<String> = with_writer!(self, p => sqlx::query_scalar(
            "UPDATE partner_tokens SET expires_at = $3
             WHERE partner_id = $1 AND id = $2 AND expires_at > $3 RETURNING name",
        )
        .bind(partner_id)
        .bind(id)
        .bind(now)
        .fetch_optional(p)
        .await)?;
        self.tokens.forget_all();
        Ok(name)
    }

    /// Notes the key's use when the stored one is a minute old or more, off the call's path.
    pub(super) fn note_key_used(&self, id: i64, last_used_at: Option<Millis>, now: Millis) {
        if last_used_at.is_some_and(|t| now - t < LAST_USED_STEP_MS) {
            return;
        }
        let store = self.clone();
        tokio::spawn(async move {
            let written = exec!(store, p => sqlx::query(
                "UPDATE partner_tokens SET last_used_at = $2 WHERE id = $1",
            )
            .bind(id)
            .bind(now)
            .execute(p)
            .await);
            if let Err(e) = written {
                tracing::warn!(key_id = id, error = %e, "an API key's last use not written");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(stored: &str) -> ApiKey {
        ApiKey {
            id: 1,
            name: String::new(),
            access: KeyAccess::Full,
            allowed: allowed_of(stored),
        }
    }

    #[test]
    fn access_reads_back_as_the_form_and_the_row_say_it() {
        for a in [KeyAccess::Full, KeyAccess::Sends, KeyAccess::Read] {
            assert_eq!(KeyAccess::parse(a.as_str()), a);
            assert_eq!(
                KeyAccess::of(a == KeyAccess::Read, a == KeyAccess::Sends),
                a
            );
        }
        assert_eq!(KeyAccess::parse("anything"), KeyAccess::Full);
        assert_eq!(
            KeyAccess::of(true, true),
            KeyAccess::Read,
            "the narrower wins"
        );
    }

    #[test]
    fn addresses_are_stored_canonical_and_admit_their_networks_only() {
        let stored = parse_addresses(" 192.0.2.10,10.0.0.7/24\n2001:db8::/32 192.0.2.10 ").unwrap();
        assert_eq!(stored, "192.0.2.10, 10.0.0.0/24, 2001:db8::/32");
        assert_eq!(parse_addresses(" ").unwrap(), "");
        assert!(parse_addresses("192.0.2.300").is_err());
        assert!(parse_addresses("10.0.0.0/33").is_err());
        assert!(parse_addresses("1С-сервер").is_err());
        let many: Vec<String> = (0..21).map(|i| format!("10.0.0.{i}")).collect();
        assert!(parse_addresses(&many.join(",")).is_err());

        let k = key(&stored);
        for ip in ["192.0.2.10", "10.0.0.1", "10.0.0.255", "2001:db8::1"] {
            assert!(k.admits(ip.parse().ok()), "{ip}");
        }
        for ip in ["192.0.2.11", "10.0.1.1", "127.0.0.1", "2001:db9::1"] {
            assert!(!k.admits(ip.parse().ok()), "{ip}");
        }
        assert!(!k.admits(None), "an unknown address is not in a list");
        assert!(key("").admits(None) && key("").admits("203.0.113.5".parse().ok()));
    }
}
