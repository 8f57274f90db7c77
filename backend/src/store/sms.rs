//! SMS confirmation codes, stored hashed, with the counters the rate limits need.

use super::{Store, exec, with_pool, with_writer};
use crate::domain::{Millis, Phone};
use crate::error::Result;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SmsCodeRow {
    pub id: i64,
    pub code_hash: String,
    pub attempts: i64,
    pub expires_at: Millis,
}

/// What the rate limiter needs to know about recent codes.
#[derive(Debug, Clone, Copy)]
pub struct SmsActivity {
    pub last_to_phone: Option<Millis>,
    pub sent_to_phone: i64,
    /// Codes sent to this address, and its logins refused for a phone not on a staff list.
    pub sent_from_ip: i64,
}

impl Store {
    pub async fn sms_activity(
        &self,
        phone: &Phone,
        client_ip: &str,
        since: Millis,
    ) -> Result<SmsActivity> {
        let (last_to_phone, sent_to_phone): (Option<Millis>, i64) = with_pool!(self, p => sqlx::query_as(
            "SELECT MAX(created_at), COUNT(*) FROM sms_codes WHERE phone = $1 AND created_at > $2",
        )
        .bind(phone.as_str())
        .bind(since)
        .fetch_one(p)
        .await)?;
        let sent_from_ip: i64 = with_pool!(self, p => sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM sms_codes WHERE client_ip = $1 AND created_at > $2)
                  + (SELECT COUNT(*) FROM login_refusals WHERE client_ip = $1 AND created_at > $2)",
        )
        .bind(client_ip)
        .bind(since)
        .fetch_one(p)
        .await)?;
        Ok(SmsActivity {
            last_to_phone,
            sent_to_phone,
            sent_from_ip,
        })
    }

    /// Stores a new code; older unused codes for the same phone stop working.
    pub async fn insert_sms_code(
        &self,
        partner_id: i64,
        phone: &Phone,
        client_ip: &str,
        code_hash: &str,
        now: Millis,
        expires_at: Millis,
    ) -> Result<()> {
        with_writer!(self, p => async {
            let mut tx = p.begin().await?;
            sqlx::query("UPDATE sms_codes SET consumed = $3 WHERE partner_id = $1 AND phone = $2 AND consumed = $4")
                .bind(partner_id)
                .bind(phone.as_str())
                .bind(true)
                .bind(false)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO sms_codes (partner_id, phone, client_ip, code_hash, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(partner_id)
            .bind(phone.as_str())
            .bind(client_ip)
            .bind(code_hash)
            .bind(now)
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await
        }.await)?;
        Ok(())
    }

    pub async fn live_sms_code(
        &self,
        partner_id: i64,
        phone: &Phone,
    ) -> Result<Option<SmsCodeRow>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT id, code_hash, attempts, expires_at FROM sms_codes
             WHERE partner_id = $1 AND phone = $2 AND consumed = $3 ORDER BY id DESC LIMIT 1",
        )
        .bind(partner_id)
        .bind(phone.as_str())
        .bind(false)
        .fetch_optional(p)
        .await)?)
    }

    /// Takes one try from the code atomically; `false` once `max_attempts` are spent,
    /// so parallel guesses cannot exceed the limit.
    pub async fn take_sms_attempt(&self, id: i64, max_attempts: i64) -> Result<bool> {
        let n = exec!(self, p => sqlx::query(
            "UPDATE sms_codes SET attempts = attempts + 1 WHERE id = $1 AND attempts < $2 AND consumed = $3",
        )
        .bind(id)
        .bind(max_attempts)
        .bind(false)
        .execute(p)
        .await)?;
        Ok(n == 1)
    }

    /// Marks the code used; `false` if another request used it first.
    pub async fn consume_sms_code(&self, id: i64) -> Result<bool> {
        let n = exec!(self, p => sqlx::query("UPDATE sms_codes SET consumed = $2 WHERE id = $1 AND consumed = $3")
            .bind(id)
            .bind(true)
            .bind(false)
            .execute(p)
            .await)?;
        Ok(n == 1)
    }

    /// Deletes SMS codes sent before `before`: each holds a phone and a client address, and
    /// once expired a code is needed only by the hourly limits. Returns how many. Refused
    /// logins older than that go too: they serve the same limits.
    pub async fn prune_sms_codes(&self, before: Millis) -> Result<u64> {
        exec!(self, p => sqlx::query("DELETE FROM login_refusals WHERE created_at < $1")
            .bind(before)
            .execute(p)
            .await)?;
        Ok(
            exec!(self, p => sqlx::query("DELETE FROM sms_codes WHERE created_at < $1")
            .bind(before)
            .execute(p)
            .await)?,
        )
    }

    /// A login refused because the phone is not on the company's staff list (see
    /// `sms_activity`).
    pub async fn record_login_refusal(&self, client_ip: &str, now: Millis) -> Result<()> {
        exec!(self, p => sqlx::query("INSERT INTO login_refusals (client_ip, created_at) VALUES ($1, $2)")
            .bind(client_ip)
            .bind(now)
            .execute(p)
            .await)?;
        Ok(())
    }
}
