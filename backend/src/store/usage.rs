//! What each partner used in a period: the operator's usage report (for billing).

use super::Store;
use crate::domain::Millis;
use crate::error::Result;

/// One partner's messages created in the period, by the status they have now, and employees.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct PartnerUsage {
    pub partner_id: i64,
    pub messages: i64,
    pub delivered: i64,
    pub read: i64,
    pub failed: i64,
    pub no_device: i64,
    /// SMS of messages not read in time sent in the period (by when they went).
    pub sms: i64,
    pub staff_active: i64,
    pub staff_total: i64,
}

/// Index range counts per partner (`messages_partner_created`, `messages_partner_status`,
/// `messages_sms`):
/// a walk of the period's index entries of each partner, never of other periods' messages.
/// The same statement on both databases.
const USAGE: &str = "SELECT p.id AS partner_id,
   (SELECT COUNT(*) FROM messages m WHERE m.partner_id = p.id AND m.created_at >= $1 AND m.created_at < $2) AS messages,
   (SELECT COUNT(*) FROM messages m WHERE m.partner_id = p.id AND m.status = 'delivered' AND m.created_at >= $1 AND m.created_at < $2) AS delivered,
   (SELECT COUNT(*) FROM messages m WHERE m.partner_id = p.id AND m.status IN ('read', 'acknowledged') AND m.created_at >= $1 AND m.created_at < $2) AS read,
   (SELECT COUNT(*) FROM messages m WHERE m.partner_id = p.id AND m.status = 'failed' AND m.created_at >= $1 AND m.created_at < $2) AS failed,
   (SELECT COUNT(*) FROM messages m WHERE m.partner_id = p.id AND m.status = 'no_device' AND m.created_at >= $1 AND m.created_at < $2) AS no_device,
   (SELECT COUNT(*) FROM messages m WHERE m.partner_id = p.id AND m.sms_at IS NOT NULL AND m.sms_at >= $1 AND m.sms_at < $2) AS sms,
   (SELECT COUNT(*) FROM staff s WHERE s.partner_id = p.id AND s.state = 'active') AS staff_active,
   (SELECT COUNT(*) FROM staff s WHERE s.partner_id = p.id) AS staff_total
 FROM partners p ORDER BY p.id";

impl Store {
    /// Every partner's usage of `[from, to)`, in partner id order (partners without messages
    /// included, with zeros). `delivered` counts messages delivered and not (yet) read.
    pub async fn usage(&self, from: Millis, to: Millis) -> Result<Vec<PartnerUsage>> {
        Ok(match &self.pool {
            super::Pool::Sqlite(p) => {
                sqlx::query_as(USAGE)
                    .bind(from)
                    .bind(to)
                    .fetch_all(p)
                    .await?
            }
            super::Pool::Postgres(p) => {
                // The subqueries are planned once for every partner: while the statistics say
                // one partner holds the messages (before autovacuum has run), PostgreSQL chose a
                // whole-table scan for EACH partner: 1,000,000 messages of one partner and 49
                // others with none took 9.0-9.2 s, 0.45-0.48 s with index scans forced (EXPLAIN
                // ANALYZE; vacuumed, 0.20-0.23 s either way). SQLite always takes the indexes.
                let mut tx = p.begin().await?;
                sqlx::query("SET LOCAL enable_seqscan = off")
                    .execute(&mut *tx)
                    .await?;
                let rows = sqlx::query_as(USAGE)
                    .bind(from)
                    .bind(to)
                    .fetch_all(&mut *tx)
                    .await?;
                tx.commit().await?;
                rows
            }
        })
    }
}
