//! Delivery-status webhooks: each partner's endpoint and the events waiting for it (see
//! migration 10; the events are queued by a trigger on the status history).

use super::deliveries::BeginWrite;
use super::sealed::webhook_row;
use super::{Pool, Store, exec, ids_json, with_pool, with_writer};
use crate::domain::Millis;
use crate::error::Result;

/// A partner's webhook as the cabinet shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WebhookRow {
    pub partner_id: i64,
    pub url: String,
    pub secret: String,
    /// Failed posts in a row since the last success.
    pub failures: i64,
    pub next_attempt_at: Millis,
    pub last_attempt_at: Option<Millis>,
    pub last_success_at: Option<Millis>,
    pub last_error: Option<String>,
    /// Events given up after waiting longer than the keep time.
    pub dropped: i64,
    /// Events waiting to be posted, status and employee events together.
    pub pending: i64,
    /// Employee events are posted too (migration 20).
    pub staff_events: bool,
}

/// A webhook the sender leased, to post its waiting events to.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LeasedWebhook {
    pub partner_id: i64,
    pub inn: String,
    pub url: String,
    pub secret: String,
    pub failures: i64,
}

/// One status change waiting for the partner's endpoint.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WebhookEvent {
    pub id: i64,
    /// The history entry's ID: stable, so the receiver can drop a repeat.
    pub event_id: i64,
    pub message_id: i64,
    pub staff_id: i64,
    pub status: String,
    pub detail: Option<String>,
    pub created_at: Millis,
    /// The message's title, where it comes from and who sent it; `None` once it is deleted
    /// (its employee deleted, the retention) and the sender for messages stored before it was
    /// kept.
    pub title: Option<String>,
    pub source: Option<String>,
    pub sent_by: Option<String>,
}

/// One employee event waiting for the partner's endpoint (migration 20).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StaffHookEvent {
    /// The event's number: stable, so the receiver can drop a repeat.
    pub id: i64,
    pub staff_id: i64,
    /// `added`, `registered`, `changed` or `deleted`.
    pub event: String,
    pub name: String,
    pub phone: String,
    pub state: String,
    pub created_at: Millis,
}

/// One post to a partner's endpoint, as the cabinet lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WebhookAttempt {
    pub url: String,
    /// Events carried; 0 for the cabinet's test.
    pub events: i64,
    pub test: bool,
    /// The endpoint's status, when it answered.
    pub http_status: Option<i64>,
    /// Why it was not accepted; `None` when it was.
    pub error: Option<String>,
    pub ms: i64,
    pub created_at: Millis,
}

/// Attempts kept per partner.
const ATTEMPTS_KEPT: i64 = 50;

/// The queue rows a post carried, to delete once the endpoint accepted them.
#[derive(Debug, Default)]
pub struct Delivered {
    /// `webhook_outbox` ids.
    pub events: Vec<i64>,
    /// `webhook_staff_outbox` ids.
    pub staff: Vec<i64>,
}

/// A webhook has events of either kind waiting (`w` is its `partner_webhooks` row).
macro_rules! waiting_sql {
    () => {
        "(EXISTS (SELECT 1 FROM webhook_outbox o WHERE o.partner_id = w.partner_id)
          OR EXISTS (SELECT 1 FROM webhook_staff_outbox o WHERE o.partner_id = w.partner_id))"
    };
}

impl Store {
    /// The partner's webhook with its counters, if it is on.
    pub async fn webhook(&self, partner_id: i64) -> Result<Option<WebhookRow>> {
        let row: Option<WebhookRow> = with_pool!(self, p => sqlx::query_as(
            "SELECT w.partner_id, w.url, w.secret, w.failures, w.next_attempt_at, w.last_attempt_at,
                    w.last_success_at, w.last_error, w.dropped, w.staff_events,
                    (SELECT COUNT(*) FROM webhook_outbox o WHERE o.partner_id = w.partner_id)
                  + (SELECT COUNT(*) FROM webhook_staff_outbox o WHERE o.partner_id = w.partner_id) AS pending
             FROM partner_webhooks w WHERE w.partner_id = $1",
        )
        .bind(partner_id)
        .fetch_optional(p)
        .await)?;
        row.map(|mut w| {
            w.secret = self.open(&w.secret, &webhook_row(partner_id))?;
            Ok(w)
        })
        .transpose()
    }

    /// Turns the webhook on with `url` and `secret`, or points it elsewhere: the secret is kept
    /// then (`secret` is used only for a new webhook), and so are the events waiting, which go
    /// to the new address at once. Returns whether the webhook is new. One statement, so two
    /// saves at once (a double click) cannot both insert.
    pub async fn set_webhook(
        &self,
        partner_id: i64,
        url: &str,
        secret: &str,
        now: Millis,
    ) -> Result<bool> {
        let secret = &self.seal(secret, &webhook_row(partner_id))?;
        let kept: String = with_writer!(self, p => sqlx::query_scalar(
            "INSERT INTO partner_webhooks (partner_id, url, secret, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $4)
             ON CONFLICT (partner_id) DO UPDATE
               SET url = excluded.url, updated_at = excluded.updated_at, next_attempt_at = 0, failures = 0
             RETURNING secret",
        )
        .bind(partner_id)
        .bind(url)
        .bind(secret)
        .bind(now)
        .fetch_one(p)
        .await)?;
        Ok(&kept == secret)
    }

    /// Turns the employee events on or off; `false` when the webhook is off. Turned off, the
    /// ones waiting are forgotten, as turning the webhook off forgets its events.
    pub async fn set_webhook_staff_events(
        &self,
        partner_id: i64,
        on: bool,
        now: Millis,
    ) -> Result<bool> {
        let n = with_writer!(self, p => async {
            let mut tx = p.begin_write().await?;
            let n = sqlx::query(
                "UPDATE partner_webhooks SET staff_events = $2, updated_at = $3 WHERE partner_id = $1",
            )
            .bind(partner_id)
            .bind(on)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if !on {
                sqlx::query("DELETE FROM webhook_staff_outbox WHERE partner_id = $1")
                    .bind(partner_id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(n)
        }.await)?;
        Ok(n > 0)
    }

    /// A new signing secret; `false` when the webhook is off.
    pub async fn rotate_webhook_secret(
        &self,
        partner_id: i64,
        secret: &str,
        now: Millis,
    ) -> Result<bool> {
        let secret = &self.seal(secret, &webhook_row(partner_id))?;
        let n = exec!(self, p => sqlx::query(
            "UPDATE partner_webhooks SET secret = $2, updated_at = $3 WHERE partner_id = $1",
        )
        .bind(partner_id)
        .bind(secret)
        .bind(now)
        .execute(p)
        .await)?;
        Ok(n > 0)
    }

    /// Turns the webhook off and forgets the events waiting for it; `false` if it was off.
    pub async fn delete_webhook(&self, partner_id: i64) -> Result<bool> {
        let n = with_writer!(self, p => async {
            let mut tx = p.begin_write().await?;
            let n = sqlx::query("DELETE FROM partner_webhooks WHERE partner_id = $1")
                .bind(partner_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            for sql in [
                "DELETE FROM webhook_outbox WHERE partner_id = $1",
                "DELETE FROM webhook_staff_outbox WHERE partner_id = $1",
            ] {
                sqlx::query(sql).bind(partner_id).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(n)
        }.await)?;
        Ok(n > 0)
    }

    /// Leases up to `limit` webhooks that have events waiting and are due, until `lease_until`.
    /// The lease is checked again in the outer WHERE: on PostgreSQL a concurrent claim of the
    /// same row re-reads only that, after the other one's commit.
    pub async fn lease_due_webhooks(
        &self,
        now: Millis,
        lease_until: Millis,
        limit: i64,
    ) -> Result<Vec<LeasedWebhook>> {
        // Looked for with a read first: the sender polls every second, and an UPDATE that
        // finds nothing would still take SQLite's write lock from the API's writes each time.
        let due: bool = with_pool!(self, p => sqlx::query_scalar(
            concat!(
                "SELECT EXISTS (SELECT 1 FROM partner_webhooks w
                WHERE w.lease_until <= $1 AND w.next_attempt_at <= $1 AND ",
                waiting_sql!(),
                ")"
            ),
        )
        .bind(now)
        .fetch_one(p)
        .await)?;
        if !due {
            return Ok(Vec::new());
        }
        let leased: Vec<(i64,)> = with_writer!(self, p => sqlx::query_as(
            concat!(
            "UPDATE partner_webhooks SET lease_until = $2
             WHERE lease_until <= $1 AND next_attempt_at <= $1 AND partner_id IN (
                 SELECT w.partner_id FROM partner_webhooks w
                 WHERE w.lease_until <= $1 AND w.next_attempt_at <= $1 AND ",
                waiting_sql!(),
                "
                 ORDER BY w.next_attempt_at, w.partner_id LIMIT $3)
             RETURNING partner_id"
            ),
        )
        .bind(now)
        .bind(lease_until)
        .bind(limit)
        .fetch_all(p)
        .await)?;
        if leased.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = leased.into_iter().map(|(id,)| id).collect();
        let hooks: Vec<LeasedWebhook> = match &self.writer {
            Pool::Sqlite(p) => {
                sqlx::query_as(
                    "SELECT w.partner_id, p.inn, w.url, w.secret, w.failures
                 FROM partner_webhooks w JOIN partners p ON p.id = w.partner_id
                 WHERE w.partner_id IN (SELECT value FROM json_each($1)) ORDER BY w.partner_id",
                )
                .bind(ids_json(&ids)?)
                .fetch_all(p)
                .await?
            }
            Pool::Postgres(p) => {
                sqlx::query_as(
                    "SELECT w.partner_id, p.inn, w.url, w.secret, w.failures
                 FROM partner_webhooks w JOIN partners p ON p.id = w.partner_id
                 WHERE w.partner_id = ANY($1) ORDER BY w.partner_id",
                )
                .bind(&ids)
                .fetch_all(p)
                .await?
            }
        };
        hooks
            .into_iter()
            .map(|mut h| {
                h.secret = self.open(&h.secret, &webhook_row(h.partner_id))?;
                Ok(h)
            })
            .collect()
    }

    /// The partner's oldest waiting events, at most `limit`.
    pub async fn webhook_events(&self, partner_id: i64, limit: i64) -> Result<Vec<WebhookEvent>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT o.id, o.event_id, o.message_id, o.staff_id, o.status, o.detail, o.created_at,
                    m.title, m.source, m.sent_by
             FROM webhook_outbox o LEFT JOIN messages m ON m.id = o.message_id
             WHERE o.partner_id = $1 ORDER BY o.id LIMIT $2",
        )
        .bind(partner_id)
        .bind(limit)
        .fetch_all(p)
        .await)?)
    }

    /// The partner's oldest waiting employee events, at most `limit`.
    pub async fn webhook_staff_events(
        &self,
        partner_id: i64,
        limit: i64,
    ) -> Result<Vec<StaffHookEvent>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT id, staff_id, event, name, phone, state, created_at
             FROM webhook_staff_outbox WHERE partner_id = $1 ORDER BY id LIMIT $2",
        )
        .bind(partner_id)
        .bind(limit)
        .fetch_all(p)
        .await)?)
    }

    /// Forgets the partner's events (of both kinds) older than `cutoff`; returns how many,
    /// counted in `dropped` for the cabinet.
    pub async fn drop_stale_webhook_events(&self, partner_id: i64, cutoff: Millis) -> Result<u64> {
        let n = with_writer!(self, p => async {
            let mut tx = p.begin_write().await?;
            let mut n = 0;
            for sql in [
                "DELETE FROM webhook_outbox WHERE partner_id = $1 AND created_at < $2",
                "DELETE FROM webhook_staff_outbox WHERE partner_id = $1 AND created_at < $2",
            ] {
                n += sqlx::query(sql)
                    .bind(partner_id)
                    .bind(cutoff)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            }
            if n > 0 {
                sqlx::query("UPDATE partner_webhooks SET dropped = dropped + $2 WHERE partner_id = $1")
                    .bind(partner_id)
                    .bind(n as i64)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(n)
        }.await)?;
        Ok(n)
    }

    /// Records a post of the sender in one transaction: the events the endpoint accepted
    /// (`delivered`, status and employee events, empty when it did not) leave the queue; the webhook's counters move (back
    /// to no failures, or one more with the next try at `retry_at`) and its lease ends; the
    /// attempt is logged and the log pruned to the newest 50. One transaction per batch, not
    /// three: on SQLite each is a turn of the write lock the API's group commit waits for.
    pub async fn webhook_posted(
        &self,
        partner_id: i64,
        delivered: &Delivered,
        attempt: &WebhookAttempt,
        retry_at: Millis,
        now: Millis,
    ) -> Result<()> {
        match &self.writer {
            Pool::Sqlite(p) => {
                super::sqlite_write_in_one_call(
                    p,
                    sqlx::query(
                        "BEGIN IMMEDIATE;
                         DELETE FROM webhook_outbox WHERE partner_id = $1 AND id IN (SELECT value FROM json_each($2));
                         DELETE FROM webhook_staff_outbox WHERE partner_id = $1 AND id IN (SELECT value FROM json_each($12));
                         INSERT INTO webhook_attempts (partner_id, url, events, test, http_status, error, ms, created_at)
                           VALUES ($1, $3, $4, 0, $5, $6, $7, $8);
                         DELETE FROM webhook_attempts WHERE partner_id = $1 AND id <= (
                           SELECT id FROM webhook_attempts WHERE partner_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $9);
                         UPDATE partner_webhooks SET
                           failures = CASE WHEN $6 IS NULL THEN 0 ELSE failures + 1 END,
                           next_attempt_at = CASE WHEN $6 IS NULL THEN 0 ELSE $10 END,
                           last_success_at = CASE WHEN $6 IS NULL THEN $11 ELSE last_success_at END,
                           lease_until = 0, last_attempt_at = $11, last_error = $6
                         WHERE partner_id = $1;
                         COMMIT;",
                    )
                    .bind(partner_id)
                    .bind(ids_json(&delivered.events)?)
                    .bind(&attempt.url)
                    .bind(attempt.events)
                    .bind(attempt.http_status)
                    .bind(&attempt.error)
                    .bind(attempt.ms)
                    .bind(attempt.created_at)
                    .bind(ATTEMPTS_KEPT)
                    .bind(retry_at)
                    .bind(now)
                    .bind(ids_json(&delivered.staff)?),
                )
                .await?;
            }
            // The CTEs see the attempts as they were before this statement's insert: the
            // prune keeps 49 of them beside the new one.
            Pool::Postgres(p) => {
                sqlx::query(
                    "WITH gone AS (DELETE FROM webhook_outbox WHERE partner_id = $1 AND id = ANY($2)),
                     staff_gone AS (DELETE FROM webhook_staff_outbox WHERE partner_id = $1 AND id = ANY($12)),
                     logged AS (
                       INSERT INTO webhook_attempts (partner_id, url, events, test, http_status, error, ms, created_at)
                       VALUES ($1, $3, $4, false, $5, $6, $7, $8)),
                     pruned AS (
                       DELETE FROM webhook_attempts WHERE partner_id = $1 AND id <= (
                         SELECT id FROM webhook_attempts WHERE partner_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $9))
                     UPDATE partner_webhooks SET
                       failures = CASE WHEN $6::text IS NULL THEN 0 ELSE failures + 1 END,
                       next_attempt_at = CASE WHEN $6::text IS NULL THEN 0 ELSE $10 END,
                       last_success_at = CASE WHEN $6::text IS NULL THEN $11 ELSE last_success_at END,
                       lease_until = 0, last_attempt_at = $11, last_error = $6
                     WHERE partner_id = $1",
                )
                .bind(partner_id)
                .bind(&delivered.events)
                .bind(&attempt.url)
                .bind(attempt.events)
                .bind(attempt.http_status)
                .bind(&attempt.error)
                .bind(attempt.ms)
                .bind(attempt.created_at)
                .bind(ATTEMPTS_KEPT - 1)
                .bind(retry_at)
                .bind(now)
                .bind(&delivered.staff)
                .execute(p)
                .await?;
            }
        }
        Ok(())
    }

    /// Records a post and forgets the partner's attempts older than the newest 50.
    pub async fn record_webhook_attempt(&self, partner_id: i64, a: &WebhookAttempt) -> Result<()> {
        with_writer!(self, p => async {
            let mut tx = p.begin_write().await?;
            sqlx::query(
                "INSERT INTO webhook_attempts (partner_id, url, events, test, http_status, error, ms, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(partner_id)
            .bind(&a.url)
            .bind(a.events)
            .bind(a.test)
            .bind(a.http_status)
            .bind(&a.error)
            .bind(a.ms)
            .bind(a.created_at)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "DELETE FROM webhook_attempts WHERE partner_id = $1 AND id <= (
                     SELECT id FROM webhook_attempts WHERE partner_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)",
            )
            .bind(partner_id)
            .bind(ATTEMPTS_KEPT)
            .execute(&mut *tx)
            .await?;
            tx.commit().await
        }.await)?;
        Ok(())
    }

    /// The partner's latest attempts, newest first.
    pub async fn webhook_attempts(
        &self,
        partner_id: i64,
        limit: i64,
    ) -> Result<Vec<WebhookAttempt>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT url, events, test, http_status, error, ms, created_at FROM webhook_attempts
             WHERE partner_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(partner_id)
        .bind(limit)
        .fetch_all(p)
        .await)?)
    }

    /// Ends a lease without a post (nothing was waiting after all).
    pub async fn release_webhook(&self, partner_id: i64) -> Result<()> {
        exec!(self, p => sqlx::query("UPDATE partner_webhooks SET lease_until = 0 WHERE partner_id = $1")
            .bind(partner_id)
            .execute(p)
            .await)?;
        Ok(())
    }
}
