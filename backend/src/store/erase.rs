//! Deleting a company with everything the server holds of it. When its contract ends, the
//! names and phones of its employees have to go (152-ФЗ: personal data are kept no longer than
//! their purpose needs), with its messages, journal, groups, sends, webhook and tokens.

use super::{Store, exec};
use crate::error::Result;

/// Rows deleted per transaction, as the retention's: on SQLite the API's writes wait for each.
const ERASE_BATCH: i64 = 5000;

/// What the deletion removed besides the company's own rows, for the operator and the log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Erased {
    pub messages: u64,
    pub staff: u64,
}

impl Store {
    /// Deletes the partner and everything of it. The messages and the staff go in batches
    /// (their history, jobs, group memberships and search entries with them), then the
    /// partner's row, whose foreign keys take the rest (tokens, SMS codes, journal, groups,
    /// templates, sends, syncs, webhook queues). Its admins' sessions and failed logins are
    /// keyed by subject and login, so they are deleted by name. Safe to run again after a
    /// failure halfway: each step deletes what is left.
    pub async fn erase_partner(&self, partner_id: i64, inn: &str) -> Result<Erased> {
        // First the webhook: deleting the staff queues no "deleted" events for a company that
        // is going.
        exec!(self, p => sqlx::query("DELETE FROM partner_webhooks WHERE partner_id = $1")
            .bind(partner_id)
            .execute(p)
            .await)?;
        let erased = Erased {
            messages: self
                .delete_in_batches(
                    "DELETE FROM messages WHERE id IN (
                       SELECT id FROM messages WHERE partner_id = $1 LIMIT $2)",
                    partner_id,
                )
                .await?,
            staff: self
                .delete_in_batches(
                    "DELETE FROM staff WHERE id IN (
                       SELECT id FROM staff WHERE partner_id = $1 LIMIT $2)",
                    partner_id,
                )
                .await?,
        };
        // Keyed by the account, not by a foreign key: the sessions, the logins waiting for a
        // code, the second factor and its recovery codes; the named admins' first, while their
        // rows (which the partner's takes) still say whose they are.
        self.delete_accounts_rows("partner_id = $1", partner_id)
            .await?;
        // Other companies' admins' sessions in it (their accesses go with the partner's row).
        exec!(self, p => sqlx::query("DELETE FROM cabinet_sessions WHERE partner_id = $1")
            .bind(partner_id)
            .execute(p)
            .await)?;
        for table in [
            "cabinet_sessions",
            "login_challenges",
            "second_factors",
            "recovery_codes",
        ] {
            let sql = format!("DELETE FROM {table} WHERE kind = 'partner' AND subject_id = $1");
            exec!(self, p => sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(partner_id)
                .execute(p)
                .await)?;
        }
        exec!(self, p => sqlx::query(
            "DELETE FROM login_failures WHERE kind = 'partner' AND (login = $1
               OR login IN (SELECT login FROM partner_admins WHERE partner_id = $2))",
        )
        .bind(inn)
        .bind(partner_id)
        .execute(p)
        .await)?;
        exec!(self, p => sqlx::query("DELETE FROM partners WHERE id = $1")
            .bind(partner_id)
            .execute(p)
            .await)?;
        self.tokens.forget_all();
        Ok(erased)
    }

    /// Runs `sql` (binding the partner and `ERASE_BATCH`) until it deletes less than a batch.
    async fn delete_in_batches(&self, sql: &'static str, partner_id: i64) -> Result<u64> {
        let mut deleted = 0;
        loop {
            let n = exec!(self, p => sqlx::query(sql)
                .bind(partner_id)
                .bind(ERASE_BATCH)
                .execute(p)
                .await)?;
            deleted += n;
            if n < ERASE_BATCH as u64 {
                return Ok(deleted);
            }
        }
    }
}
