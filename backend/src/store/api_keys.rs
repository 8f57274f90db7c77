//! A company's API keys: the main one every company gets (name '') and others it adds, one for
//! each of its systems, with full access or reading only. A key's rotation is a new row of the
//! same name and access, the old row expiring after the grace period; a revoked row expires at
//! once. Expired rows stay: the journal may name them.

use super::{Store, exec, with_pool, with_writer};
use crate::domain::{Millis, TokenHash};
use crate::error::Result;

/// The key an API call came with, as the auth cache keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: i64,
    /// '' for the main key.
    pub name: String,
    /// Reading methods only.
    pub read_only: bool,
}

/// A live key, as the cabinet lists it (never the token: only its prefix).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiKeyRow {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub read_only: bool,
    pub created_at: Millis,
    /// Set while the key is in its grace period after a rotation.
    pub expires_at: Option<Millis>,
    pub last_used_at: Option<Millis>,
}

/// A new key's row.
pub struct NewApiKey<'a> {
    pub name: &'a str,
    pub read_only: bool,
    pub token: &'a TokenHash,
    pub prefix: &'a str,
}

/// How often a key's last use is written: an API call reads its key from the auth cache, and
/// a miss must not become a write each time.
const LAST_USED_STEP_MS: Millis = 60_000;

impl Store {
    /// The company's live keys (open-ended, or in their grace period), oldest first.
    pub async fn api_keys(&self, partner_id: i64, now: Millis) -> Result<Vec<ApiKeyRow>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT id, name, prefix, read_only, created_at, expires_at, last_used_at
             FROM partner_tokens
             WHERE partner_id = $1 AND (expires_at IS NULL OR expires_at > $2)
             ORDER BY id",
        )
        .bind(partner_id)
        .bind(now)
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
                "INSERT INTO partner_tokens (partner_id, token_hash, prefix, created_at, name, read_only)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(partner_id)
            .bind(&key.token.0)
            .bind(key.prefix)
            .bind(now)
            .bind(key.name)
            .bind(key.read_only)
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(id)
        }.await)?;
        self.tokens.forget_all();
        Ok(id)
    }

    /// Ends a live key of the company at once; false if it has none such.
    pub async fn revoke_api_key(&self, partner_id: i64, id: i64, now: Millis) -> Result<bool> {
        let n = exec!(self, p => sqlx::query(
            "UPDATE partner_tokens SET expires_at = $3
             WHERE id = $2 AND partner_id = $1 AND (expires_at IS NULL OR expires_at > $3)",
        )
        .bind(partner_id)
        .bind(id)
        .bind(now)
        .execute(p)
        .await)?;
        self.tokens.forget_all();
        Ok(n > 0)
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
