//! The operator's journal (see migration 30): what operators and the server's command line did,
//! across all companies, kept apart from each company's journal so that it outlives a deleted
//! company.

use super::{Store, exec, with_pool};
use crate::domain::Millis;
use crate::error::Result;

/// One entry to record.
pub struct NewOperatorEvent<'a> {
    /// `operator:<login>`, `cli`, or `visitor` (a failed login).
    pub actor: &'a str,
    /// A key of the catalogue's `audit.*` texts.
    pub action: &'a str,
    /// The company acted on, as it was named then; empty for an action on the operator accounts.
    pub partner_inn: &'a str,
    pub partner_name: &'a str,
    pub detail: &'a str,
    pub client_ip: &'a str,
    pub now: Millis,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OperatorEventRow {
    pub id: i64,
    pub actor: String,
    pub action: String,
    pub partner_inn: String,
    pub partner_name: String,
    pub detail: String,
    pub client_ip: String,
    pub created_at: Millis,
}

impl Store {
    pub async fn record_operator_event(&self, e: &NewOperatorEvent<'_>) -> Result<()> {
        exec!(self, p => sqlx::query(
            "INSERT INTO operator_events
                (actor, action, partner_inn, partner_name, detail, client_ip, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(e.actor)
        .bind(e.action)
        .bind(e.partner_inn)
        .bind(e.partner_name)
        .bind(e.detail)
        .bind(e.client_ip)
        .bind(e.now)
        .execute(p)
        .await)?;
        Ok(())
    }

    /// Entries older than `before` (all for `None`), newest first, at most `limit`; with `inn`,
    /// only those about that company.
    pub async fn list_operator_events(
        &self,
        before: Option<i64>,
        inn: Option<&str>,
        limit: i64,
    ) -> Result<Vec<OperatorEventRow>> {
        let before = before.unwrap_or(i64::MAX);
        Ok(match inn {
            None => with_pool!(self, p => sqlx::query_as(
                "SELECT id, actor, action, partner_inn, partner_name, detail, client_ip, created_at
                 FROM operator_events WHERE id < $1 ORDER BY id DESC LIMIT $2",
            )
            .bind(before)
            .bind(limit)
            .fetch_all(p)
            .await)?,
            Some(inn) => with_pool!(self, p => sqlx::query_as(
                "SELECT id, actor, action, partner_inn, partner_name, detail, client_ip, created_at
                 FROM operator_events WHERE partner_inn = $1 AND id < $2
                 ORDER BY id DESC LIMIT $3",
            )
            .bind(inn)
            .bind(before)
            .bind(limit)
            .fetch_all(p)
            .await)?,
        })
    }

    /// Deletes the entries older than `before`; returns how many.
    pub async fn prune_operator_events(&self, before: Millis) -> Result<u64> {
        Ok(
            exec!(self, p => sqlx::query("DELETE FROM operator_events WHERE created_at < $1")
            .bind(before)
            .execute(p)
            .await)?,
        )
    }
}
