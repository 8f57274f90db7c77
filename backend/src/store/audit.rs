//! The cabinet's journal of actions on a partner's account (see migration 9).

use super::{CursorValue, Sql, Store, bind_all, exec, with_pool};
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
    /// The employee the entry is about, if one (their changes).
    pub staff_id: Option<i64>,
}

/// Which of a partner's entries a journal lists; the default, all.
#[derive(Debug, Default, Clone, Copy)]
pub struct AuditFilter<'a> {
    /// Only entries of these action keys.
    pub actions: Option<&'a [&'a str]>,
    /// Only those of this actor (`operator`: any operator; `api`: the API's every key).
    pub actor: Option<&'a str>,
    /// Only those about this employee.
    pub staff: Option<i64>,
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
            "INSERT INTO audit_events (partner_id, actor, action, detail, client_ip, created_at, staff_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(e.partner_id)
        .bind(e.actor)
        .bind(e.action)
        .bind(e.detail)
        .bind(e.client_ip)
        .bind(e.now)
        .bind(e.staff_id)
        .execute(p)
        .await)?;
        Ok(())
    }

    /// The partner's entries older than `before` (all for `None`) that `filter` selects, newest
    /// first, at most `limit`.
    pub async fn list_audit(
        &self,
        partner_id: i64,
        before: Option<i64>,
        filter: &AuditFilter<'_>,
        limit: i64,
    ) -> Result<Vec<AuditRow>> {
        use CursorValue::{Int, Text};
        let mut sql = Sql::new(
            "SELECT id, actor, action, detail, client_ip, created_at FROM audit_events
             WHERE partner_id = $1 AND id < $2",
        );
        sql.bind(Int(partner_id));
        sql.bind(Int(before.unwrap_or(i64::MAX)));
        if let Some(staff) = filter.staff {
            // By the index of the entries about someone, however long the journal.
            let p = sql.bind(Int(staff));
            sql.text.push_str(&format!(" AND staff_id = {p}"));
        }
        if let Some(actions) = filter.actions {
            let params: Vec<String> = actions
                .iter()
                .map(|a| sql.bind(Text((*a).to_owned())))
                .collect();
            sql.text
                .push_str(&format!(" AND action IN ({})", params.join(", ")));
        }
        if let Some(actor) = filter.actor {
            let p = sql.bind(Text(actor.to_owned()));
            // Any operator; the API's main key and every named one.
            let also = match actor {
                "operator" => " OR actor LIKE 'operator:%'",
                "api" => " OR actor LIKE 'api:%'",
                _ => "",
            };
            sql.text.push_str(&format!(" AND (actor = {p}{also})"));
        }
        let p = sql.bind(Int(limit));
        sql.text.push_str(&format!(" ORDER BY id DESC LIMIT {p}"));
        let text = sqlx::AssertSqlSafe(sql.text);
        Ok(with_pool!(self, p => bind_all!(sqlx::query_as(text), &sql.binds).fetch_all(p).await)?)
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
