//! The cabinet's journal of actions on a partner's account (see migration 9).

use super::{Store, exec, with_pool};
use crate::domain::Millis;
use crate::error::Result;

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

    /// The partner's entries older than `before` (all for `None`), newest first, at most `limit`.
    pub async fn list_audit(
        &self,
        partner_id: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditRow>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT id, actor, action, detail, client_ip, created_at FROM audit_events
             WHERE partner_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
        )
        .bind(partner_id)
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit)
        .fetch_all(p)
        .await)?)
    }
}
