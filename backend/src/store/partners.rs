//! Partners (companies) and their API tokens.

use super::api_keys::ApiKey;
use super::{Store, exec, taken_is_conflict, with_pool, with_writer};
use crate::domain::{Inn, Millis, Registration, TokenHash};
use crate::error::Result;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PartnerRow {
    pub id: i64,
    pub inn: String,
    pub short_name: String,
    pub full_name: String,
    pub password_hash: String,
    pub approval_required: bool,
    /// Only the phones on the partner's staff list may log in (see `Registration`).
    pub staff_list_only: bool,
    pub disabled: bool,
    pub created_at: Millis,
    /// The operator's limit of API calls a second for this company; `None`: the server's.
    pub api_rate: Option<i64>,
    /// The operator's limit of SMS of unread messages a month for this company; `None`: the
    /// server's (see `service::sms_fallback`).
    pub sms_limit: Option<i64>,
    /// The operator's room for this company's files, in megabytes (0: no limit); `None`: the
    /// server's (see `service::files::room_of`).
    pub file_room_mb: Option<i64>,
}

impl PartnerRow {
    pub fn inn(&self) -> Inn {
        Inn::from_trusted(self.inn.clone())
    }

    pub fn registration(&self) -> Registration {
        Registration::from_flags(self.approval_required, self.staff_list_only)
    }
}

/// What a token is looked up for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyUse {
    /// An API call: the key's last use.
    Call,
    /// A check (the cabinet's new token, shown once): not a use.
    Check,
}

#[derive(sqlx::FromRow)]
struct TokenPartner {
    #[sqlx(flatten)]
    partner: PartnerRow,
    token_id: i64,
    token_name: String,
    token_read_only: bool,
    token_sends_only: bool,
    /// The earlier of the token's end (a grace period's) and its key's (`valid_until`).
    token_expires_at: Option<Millis>,
    token_last_used_at: Option<Millis>,
    token_allowed_ips: String,
}

/// Recently seen partner tokens (see `Store::partner_by_token`), and tokens recently found to
/// be nobody's (see `Store::token_recently_unknown`). Shared by the clones of a store; any
/// write to a partner or its tokens empties it.
#[derive(Clone, Default)]
pub(super) struct TokenCache {
    ttl: std::time::Duration,
    seen: Arc<Mutex<HashMap<String, CachedToken>>>,
    unknown: Arc<Mutex<HashMap<String, Instant>>>,
}

struct CachedToken {
    partner: PartnerRow,
    key: ApiKey,
    token_expires_at: Option<Millis>,
    fetched: Instant,
}

/// Past this many tokens the cache starts over rather than grow: far more than live tokens.
const TOKEN_CACHE_MAX: usize = 10_000;

impl TokenCache {
    pub(super) fn new(ttl: std::time::Duration) -> Self {
        Self {
            ttl,
            seen: Default::default(),
            unknown: Default::default(),
        }
    }

    fn recently_unknown(&self, token: &TokenHash) -> bool {
        if self.ttl.is_zero() {
            return false;
        }
        let unknown = self.unknown.lock().unwrap_or_else(|e| e.into_inner());
        unknown
            .get(&token.0)
            .is_some_and(|noted| noted.elapsed() < self.ttl)
    }

    fn note_unknown(&self, token: &TokenHash) {
        if self.ttl.is_zero() {
            return;
        }
        let mut unknown = self.unknown.lock().unwrap_or_else(|e| e.into_inner());
        if unknown.len() >= TOKEN_CACHE_MAX {
            unknown.clear();
        }
        unknown.insert(token.0.clone(), Instant::now());
    }

    fn get(&self, token: &TokenHash, now: Millis) -> Option<(PartnerRow, ApiKey)> {
        if self.ttl.is_zero() {
            return None;
        }
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let hit = seen.get(&token.0)?;
        let fresh = hit.fetched.elapsed() < self.ttl
            && hit.token_expires_at.is_none_or(|until| until > now);
        fresh.then(|| (hit.partner.clone(), hit.key.clone()))
    }

    fn put(
        &self,
        token: &TokenHash,
        partner: &PartnerRow,
        key: &ApiKey,
        token_expires_at: Option<Millis>,
    ) {
        if self.ttl.is_zero() {
            return;
        }
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() >= TOKEN_CACHE_MAX {
            seen.clear();
        }
        seen.insert(
            token.0.clone(),
            CachedToken {
                partner: partner.clone(),
                key: key.clone(),
                token_expires_at,
                fetched: Instant::now(),
            },
        );
    }

    pub(super) fn forget_all(&self) {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).clear();
        self.unknown
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

pub struct NewPartner<'a> {
    pub inn: &'a Inn,
    pub short_name: &'a str,
    pub full_name: &'a str,
    pub password_hash: &'a str,
    pub approval_required: bool,
}

/// A `SELECT` of every partner column (aliased `p`) followed by the rest of the query.
macro_rules! select_partner {
    ($rest:literal) => {
        concat!(
            "SELECT p.id, p.inn, p.short_name, p.full_name, p.password_hash, p.approval_required, p.staff_list_only, p.disabled, p.created_at, p.api_rate, p.sms_limit, p.file_room_mb ",
            $rest
        )
    };
}

impl Store {
    /// Inserts the partner and its first API token together.
    pub async fn create_partner(
        &self,
        new: &NewPartner<'_>,
        token: &TokenHash,
        token_prefix: &str,
        now: Millis,
    ) -> Result<PartnerRow> {
        let result = with_writer!(self, p => async {
            let mut tx = p.begin().await?;
            let row: PartnerRow = sqlx::query_as(
                "INSERT INTO partners (inn, short_name, full_name, password_hash, approval_required, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 RETURNING id, inn, short_name, full_name, password_hash, approval_required, staff_list_only, disabled, created_at, api_rate, sms_limit, file_room_mb",
            )
            .bind(new.inn.as_str())
            .bind(new.short_name)
            .bind(new.full_name)
            .bind(new.password_hash)
            .bind(new.approval_required)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query("INSERT INTO partner_tokens (partner_id, token_hash, prefix, created_at) VALUES ($1, $2, $3, $4)")
                .bind(row.id)
                .bind(&token.0)
                .bind(token_prefix)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(row)
        }.await);
        taken_is_conflict(result, || {
            phrase!(
                "Партнёр с ИНН {} уже существует",
                "A partner with INN {} already exists",
                new.inn
            )
        })
    }

    pub async fn partner_by_inn(&self, inn: &Inn) -> Result<Option<PartnerRow>> {
        let sql = select_partner!("FROM partners p WHERE p.inn = $1");
        Ok(with_pool!(self, p => sqlx::query_as(sql).bind(inn.as_str()).fetch_optional(p).await)?)
    }

    pub async fn partner_by_id(&self, id: i64) -> Result<Option<PartnerRow>> {
        let sql = select_partner!("FROM partners p WHERE p.id = $1");
        Ok(with_pool!(self, p => sqlx::query_as(sql).bind(id).fetch_optional(p).await)?)
    }

    /// The partner a live (unexpired) API token belongs to, and which of its keys it is.
    ///
    /// Every partner API call starts here, so answers are kept for the auth cache's TTL
    /// (`SIMO_AUTH_CACHE_SECS`): a rotation or a disabled partner is seen at once by this
    /// process (those writes empty the cache) and within the TTL by other processes.
    /// `call`: an API call, which the key's last use notes (a check of a token the cabinet is
    /// about to show is not one).
    pub async fn partner_by_token(
        &self,
        token: &TokenHash,
        now: Millis,
        call: KeyUse,
    ) -> Result<Option<(PartnerRow, ApiKey)>> {
        if let Some(hit) = self.tokens.get(token, now) {
            return Ok(Some(hit));
        }
        // After the good tokens' cache: a caller with a good token never takes this lock.
        if self.tokens.recently_unknown(token) {
            return Ok(None);
        }
        let sql = select_partner!(
            ", t.id AS token_id, t.name AS token_name, t.read_only AS token_read_only,
               t.sends_only AS token_sends_only,
               CASE WHEN t.valid_until IS NOT NULL
                         AND (t.expires_at IS NULL OR t.valid_until < t.expires_at)
                    THEN t.valid_until ELSE t.expires_at END AS token_expires_at,
               t.last_used_at AS token_last_used_at, t.allowed_ips AS token_allowed_ips
             FROM partner_tokens t JOIN partners p ON p.id = t.partner_id
             WHERE t.token_hash = $1 AND (t.expires_at IS NULL OR t.expires_at > $2)
               AND (t.valid_until IS NULL OR t.valid_until > $2)"
        );
        let found: Option<TokenPartner> = with_pool!(self, p => sqlx::query_as(sql).bind(&token.0).bind(now).fetch_optional(p).await)?;
        Ok(found.map(|f| {
            let key = ApiKey {
                id: f.token_id,
                name: f.token_name,
                access: super::api_keys::KeyAccess::of(f.token_read_only, f.token_sends_only),
                allowed: super::api_keys::allowed_of(&f.token_allowed_ips),
            };
            // Only a call fills the cache: a check's entry would let the calls after it hit the
            // cache and never note the key's use.
            if call == KeyUse::Call {
                self.tokens.put(token, &f.partner, &key, f.token_expires_at);
                self.note_key_used(key.id, f.token_last_used_at, now);
            }
            (f.partner, key)
        }))
    }

    /// True when `token` was presented within the auth cache's time and matched no partner
    /// and no employee (`note_unknown_token`): a caller repeating a wrong token, a
    /// misconfigured integration in a retry loop, costs no query. Every token we issue is
    /// random and new, so none can be noted before it exists; a token imported by other means
    /// into another process is accepted once its note expires.
    pub fn token_recently_unknown(&self, token: &TokenHash) -> bool {
        self.tokens.recently_unknown(token)
    }

    pub fn note_unknown_token(&self, token: &TokenHash) {
        self.tokens.note_unknown(token);
    }

    pub async fn list_partners(&self) -> Result<Vec<PartnerRow>> {
        let sql = select_partner!("FROM partners p ORDER BY p.id");
        Ok(with_pool!(self, p => sqlx::query_as(sql).fetch_all(p).await)?)
    }

    pub async fn set_partner_password(&self, partner_id: i64, password_hash: &str) -> Result<()> {
        exec!(self, p => sqlx::query("UPDATE partners SET password_hash = $2 WHERE id = $1")
            .bind(partner_id)
            .bind(password_hash)
            .execute(p)
            .await)?;
        self.tokens.forget_all();
        Ok(())
    }

    pub async fn set_partner_disabled(&self, partner_id: i64, disabled: bool) -> Result<()> {
        exec!(self, p => sqlx::query("UPDATE partners SET disabled = $2 WHERE id = $1")
            .bind(partner_id)
            .bind(disabled)
            .execute(p)
            .await)?;
        self.tokens.forget_all();
        Ok(())
    }

    /// The company's names as the operator corrects them (the app shows the short one).
    pub async fn rename_partner(&self, partner_id: i64, short: &str, full: &str) -> Result<bool> {
        let n = exec!(self, p => sqlx::query(
            "UPDATE partners SET short_name = $2, full_name = $3 WHERE id = $1",
        )
            .bind(partner_id)
            .bind(short)
            .bind(full)
            .execute(p)
            .await)?;
        self.tokens.forget_all();
        Ok(n > 0)
    }

    /// The company's own limit of API calls a second (`None`: the server's); `false` if there
    /// is no such partner. Cached partner rows are dropped, so it applies at once here.
    pub async fn set_partner_rate(&self, partner_id: i64, rate: Option<i64>) -> Result<bool> {
        let n = exec!(self, p => sqlx::query("UPDATE partners SET api_rate = $2 WHERE id = $1")
            .bind(partner_id)
            .bind(rate)
            .execute(p)
            .await)?;
        self.tokens.forget_all();
        Ok(n > 0)
    }

    /// The company's own limit of SMS of unread messages a month (`None`: the server's);
    /// `false` if there is no such partner.
    pub async fn set_partner_sms_limit(&self, partner_id: i64, limit: Option<i64>) -> Result<bool> {
        let n = exec!(self, p => sqlx::query("UPDATE partners SET sms_limit = $2 WHERE id = $1")
            .bind(partner_id)
            .bind(limit)
            .execute(p)
            .await)?;
        self.tokens.forget_all();
        Ok(n > 0)
    }

    /// The company's own room for files in megabytes (`None`: the server's); `false` if there
    /// is no such partner.
    pub async fn set_partner_file_room(&self, partner_id: i64, mb: Option<i64>) -> Result<bool> {
        let n = exec!(self, p => sqlx::query("UPDATE partners SET file_room_mb = $2 WHERE id = $1")
            .bind(partner_id)
            .bind(mb)
            .execute(p)
            .await)?;
        self.tokens.forget_all();
        Ok(n > 0)
    }

    /// How many bytes each partner's files take (partners with none are not listed).
    pub async fn file_bytes_by_partner(&self) -> Result<Vec<(i64, i64)>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT partner_id, CAST(SUM(size) AS BIGINT) FROM files GROUP BY partner_id",
        )
        .fetch_all(p)
        .await)?)
    }

    pub async fn set_registration(&self, partner_id: i64, policy: Registration) -> Result<()> {
        let (approval, list_only) = policy.flags();
        exec!(self, p => sqlx::query(
            "UPDATE partners SET approval_required = $2, staff_list_only = $3 WHERE id = $1",
        )
            .bind(partner_id)
            .bind(approval)
            .bind(list_only)
            .execute(p)
            .await)?;
        self.tokens.forget_all();
        Ok(())
    }
}
