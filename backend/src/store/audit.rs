//! The cabinet's journal of actions on a partner's account (see migration 9).

use super::{Pool, Store, exec, with_pool};
use crate::domain::Millis;
use crate::error::{Error, Result};

/// One entry to record.
pub struct NewAudit<'a> {
    pub partner_id: i64,
    /// `admin`, or `operator:<login>`.
    pub actor: &'a str,
    /// A key of the catalogue's `audit.*` texts.
    pub action: &'a str,
    /// Names, IDs, counts: shown as they are, in any language.
    pub detail: &'a str,
    pub client_ip: &'a str,
    pub now: Millis,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    pub id: i64,
    pub actor: String,
    pub action: String,
    pub detail: String,
    pub client_ip: String,
    pub created_at: Millis,
}

impl Store {
    pub async fn record_audit(&self, e: &NewAudit<'_>) -> Result<()> {
        exec!(self, p => sqlx::query(
            "INSERT INTO audit_events (partner_id, actor, action, detail, client_ip, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(e.partner_id)
        .bind(e.actor)
        .bind(e.action)
        .bind(e.detail)
        .bind(e.client_ip)
        .bind(e.now)
        .execute(p)
        .await)?;
        Ok(())
    }

    /// The partner's entries older than `before` (all for `None`), newest first, at most `limit`;
    /// with `actions`, only entries of those action keys; with `actor`, only those of that actor
    /// (`operator`: of any operator).
    pub async fn list_audit(
        &self,
        partner_id: i64,
        before: Option<i64>,
        actions: Option<&[&str]>,
        actor: Option<&str>,
        limit: i64,
    ) -> Result<Vec<AuditRow>> {
        let before = before.unwrap_or(i64::MAX);
        let actor = actor.unwrap_or_default();
        Ok(match (&self.pool, actions) {
            (_, None) => with_pool!(self, p => sqlx::query_as(
                "SELECT id, actor, action, detail, client_ip, created_at FROM audit_events
                 WHERE partner_id = $1 AND id < $2 AND ($4 = '' OR actor = $4
                   OR ($4 = 'operator' AND actor LIKE 'operator:%')
                   OR ($4 = 'api' AND actor LIKE 'api:%'))
                 ORDER BY id DESC LIMIT $3",
            )
            .bind(partner_id)
            .bind(before)
            .bind(limit)
            .bind(actor)
            .fetch_all(p)
            .await)?,
            (Pool::Sqlite(p), Some(actions)) => {
                sqlx::query_as(
                    "SELECT id, actor, action, detail, client_ip, created_at FROM audit_events
                 WHERE partner_id = $1 AND id < $2 AND action IN (SELECT value FROM json_each($4))
                   AND ($5 = '' OR actor = $5 OR ($5 = 'operator' AND actor LIKE 'operator:%')
                   OR ($5 = 'api' AND actor LIKE 'api:%'))
                 ORDER BY id DESC LIMIT $3",
                )
                .bind(partner_id)
                .bind(before)
                .bind(limit)
                .bind(serde_json::to_string(actions).map_err(|e| Error::Internal(e.to_string()))?)
                .bind(actor)
                .fetch_all(p)
                .await?
            }
            (Pool::Postgres(p), Some(actions)) => {
                sqlx::query_as(
                    "SELECT id, actor, action, detail, client_ip, created_at FROM audit_events
                 WHERE partner_id = $1 AND id < $2 AND action = ANY($4)
                   AND ($5 = '' OR actor = $5 OR ($5 = 'operator' AND actor LIKE 'operator:%')
                   OR ($5 = 'api' AND actor LIKE 'api:%'))
                 ORDER BY id DESC LIMIT $3",
                )
                .bind(partner_id)
                .bind(before)
                .bind(limit)
                .bind(actions)
                .bind(actor)
                .fetch_all(p)
                .await?
            }
        })
    }

    /// Deletes the journal's entries older than `before`; returns how many.
    pub async fn prune_audit(&self, before: Millis) -> Result<u64> {
        Ok(
            exec!(self, p => sqlx::query("DELETE FROM audit_events WHERE created_at < $1")
            .bind(before)
            .execute(p)
            .await)?,
        )
    }
}
