//! SMS when a message is not read (migration 49): a set number of minutes after a message was
//! created, an active employee who has not read it gets its title and text by SMS, once. The
//! server walks each partner's messages in the order they were created from a cursor, which
//! starts where the setting was turned on, the way automatic reminders do (`reminders`).
//!
//! A message is taken for its SMS (`messages.sms_at`, and one more in the partner's count of
//! the month) before the gateway is asked, and given back if the gateway refuses: an SMS costs
//! money and is heard, so a server stopped between the two loses that SMS rather than sending
//! it twice.
//!
//! Invitations to the app (migration 49 too) go through the same count: the company asks for
//! them (`staff.invite_wanted_at`), the same loop sends them (`staff.invited_at`).

use super::deliveries::BeginWrite;
use super::{Pool, Store, exec, with_pool, with_writer};
use crate::domain::Millis;
use crate::error::Result;

/// A partner's SMS to employees who have not read a message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SmsFallback {
    /// Minutes after a message is created (0: off).
    pub minutes: i64,
    /// Every message, not only those that ask to be acknowledged.
    pub all: bool,
}

/// Where a partner's SMS walk has looked up to: the creation time and id of the last message
/// looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmsCursor {
    pub at: Millis,
    pub id: i64,
}

/// A partner with SMS on, as a round finds it.
#[derive(Debug, Clone)]
pub struct SmsPartner {
    pub partner_id: i64,
    /// Its short name, which each SMS starts with.
    pub company: String,
    pub fallback: SmsFallback,
    pub cursor: SmsCursor,
    /// The operator's limit a month for it (`None`: the server's).
    pub limit: Option<i64>,
}

/// A message whose SMS is due.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DueSms {
    pub id: i64,
    pub created_at: Millis,
    pub phone: String,
    pub title: String,
    pub body: String,
}

/// What taking a message for its SMS found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsClaim {
    /// Taken: send it.
    Taken,
    /// Read, recalled or taken meanwhile: nothing to send.
    Gone,
    /// The month's limit is reached: not sent. `first` the first time this month.
    OverLimit { first: bool },
}

/// The statuses of a message its employee has not read.
macro_rules! unread_statuses {
    () => {
        "('queued', 'sent', 'delivered', 'failed', 'no_device')"
    };
}

macro_rules! due_sql {
    ($ack:literal) => {
        concat!(
            "SELECT m.id, m.created_at, s.phone, m.title, m.body
             FROM messages m JOIN staff s ON s.id = m.staff_id
             WHERE m.partner_id = $1 AND m.created_at >= $2 AND (m.created_at > $2 OR m.id > $3)
               AND m.created_at <= $4 AND ($5 = 1 OR ",
            $ack,
            ") AND m.status IN ",
            unread_statuses!(),
            " AND m.sms_at IS NULL AND s.state = 'active'
               AND NOT EXISTS (SELECT 1 FROM message_events e WHERE e.message_id = m.id AND e.status = 'sms')
             ORDER BY m.created_at, m.id LIMIT $6"
        )
    };
}

/// SQLite's statement of `Store::due_sms` (read by its plan's test).
pub(super) const DUE_SQLITE: &str = due_sql!("m.ack_required <> 0");

const MINUTE_MS: Millis = 60_000;

/// A message `$1` taken for its SMS at `$2`, unless read, recalled or taken meanwhile.
const TAKE_MESSAGE: &str = concat!(
    "UPDATE messages SET sms_at = $2 WHERE id = $1 AND sms_at IS NULL AND status IN ",
    unread_statuses!()
);

/// Employee `$1`'s invitation taken for its SMS at `$2`, unless they logged in, were disabled
/// or it was taken meanwhile.
const TAKE_INVITATION: &str = "UPDATE staff SET invited_at = $2, invite_wanted_at = NULL
     WHERE id = $1 AND invite_wanted_at IS NOT NULL AND state = 'active' AND device IS NULL";

/// One more SMS in partner `$1`'s month `$2`, unless it has `$3` already (then nothing changes;
/// a limit of 0 allows none, the month's first included).
const COUNT_SMS: &str = "UPDATE partners SET
       sms_month_sent = CASE WHEN sms_month = $2 THEN sms_month_sent + 1 ELSE 1 END,
       sms_month = $2
     WHERE id = $1 AND $3 > 0 AND (sms_month <> $2 OR sms_month_sent < $3)";

/// One SMS fewer in partner `$1`'s month `$2` (one the gateway refused).
const UNCOUNT_SMS: &str = "UPDATE partners SET sms_month_sent = sms_month_sent - 1
     WHERE id = $1 AND sms_month = $2 AND sms_month_sent > 0";

impl Store {
    /// The partner's SMS setting.
    pub async fn sms_fallback(&self, partner_id: i64) -> Result<SmsFallback> {
        let (minutes, all): (i64, bool) = with_pool!(self, p => sqlx::query_as(
            "SELECT sms_fallback_minutes, sms_fallback_all FROM partners WHERE id = $1",
        )
        .bind(partner_id)
        .fetch_one(p)
        .await)?;
        Ok(SmsFallback { minutes, all })
    }

    /// Sets the partner's SMS. Turned on, they start from `now`: the messages sent before are
    /// left alone. Changed while on, the cursor stays: the new setting applies to the messages
    /// whose time has not come yet.
    pub async fn set_sms_fallback(
        &self,
        partner_id: i64,
        fallback: SmsFallback,
        now: Millis,
    ) -> Result<()> {
        exec!(self, p => sqlx::query(
            // Every SET expression reads the row as it was.
            "UPDATE partners SET
               sms_after_at = CASE WHEN sms_fallback_minutes = 0 AND $2 > 0 THEN $4 ELSE sms_after_at END,
               sms_after_id = CASE WHEN sms_fallback_minutes = 0 AND $2 > 0 THEN 0 ELSE sms_after_id END,
               sms_fallback_minutes = $2, sms_fallback_all = $3
             WHERE id = $1",
        )
        .bind(partner_id)
        .bind(fallback.minutes)
        .bind(fallback.all)
        .bind(now)
        .execute(p)
        .await)?;
        Ok(())
    }

    /// How many SMS of unread messages the partner sent in `month` (see `TimeFormat::month_key`).
    pub async fn sms_sent_in(&self, partner_id: i64, month: i64) -> Result<i64> {
        Ok(with_pool!(self, p => sqlx::query_scalar(
            "SELECT CASE WHEN sms_month = $2 THEN sms_month_sent ELSE 0 END FROM partners WHERE id = $1",
        )
        .bind(partner_id)
        .bind(month)
        .fetch_one(p)
        .await)?)
    }

    /// The partners with SMS on, not disabled.
    pub async fn sms_partners(&self) -> Result<Vec<SmsPartner>> {
        type Row = (i64, String, i64, bool, Millis, i64, Option<i64>);
        let rows: Vec<Row> = with_pool!(self, p => sqlx::query_as(
            "SELECT id, short_name, sms_fallback_minutes, sms_fallback_all, sms_after_at, sms_after_id, sms_limit
             FROM partners WHERE sms_fallback_minutes > 0 AND NOT disabled ORDER BY id",
        )
        .fetch_all(p)
        .await)?;
        Ok(rows
            .into_iter()
            .map(
                |(partner_id, company, minutes, all, at, id, limit)| SmsPartner {
                    partner_id,
                    company,
                    fallback: SmsFallback { minutes, all },
                    cursor: SmsCursor { at, id },
                    limit,
                },
            )
            .collect())
    }

    /// The partner's messages past its delay at `now` and past `cursor` whose SMS is due, at
    /// most `limit`, oldest first: not read (nor acknowledged or recalled), not taken for an
    /// SMS, their employee active; only those that ask to be acknowledged unless `all`. One
    /// whose history has an SMS entry is done, sent or not (refused by the limit, given up):
    /// the cursor may walk it again after a refusal before it.
    pub async fn due_sms(
        &self,
        partner: &SmsPartner,
        cursor: SmsCursor,
        now: Millis,
        limit: i64,
    ) -> Result<Vec<DueSms>> {
        let edge = now - partner.fallback.minutes * MINUTE_MS;
        macro_rules! fetch {
            ($p:expr, $sql:expr) => {
                sqlx::query_as($sql)
                    .bind(partner.partner_id)
                    .bind(cursor.at)
                    .bind(cursor.id)
                    .bind(edge)
                    .bind(i64::from(partner.fallback.all))
                    .bind(limit)
                    .fetch_all($p)
                    .await?
            };
        }
        Ok(match &self.pool {
            Pool::Sqlite(p) => fetch!(p, DUE_SQLITE),
            Pool::Postgres(p) => fetch!(p, due_sql!("m.ack_required")),
        })
    }

    /// Moves the partner's SMS cursor forward (never back).
    pub async fn advance_sms_cursor(&self, partner_id: i64, cursor: SmsCursor) -> Result<()> {
        exec!(self, p => sqlx::query(
            "UPDATE partners SET sms_after_at = $2, sms_after_id = $3
             WHERE id = $1 AND sms_fallback_minutes > 0
               AND (sms_after_at < $2 OR (sms_after_at = $2 AND sms_after_id < $3))",
        )
        .bind(partner_id)
        .bind(cursor.at)
        .bind(cursor.id)
        .execute(p)
        .await)?;
        Ok(())
    }

    /// Takes message `id` for its SMS at `now`, counting it in the partner's `month`, in one
    /// transaction: unless it was read, recalled or taken meanwhile, or the month has `limit`
    /// already (then the first such refusal of the month says so, once).
    pub async fn claim_sms(
        &self,
        partner_id: i64,
        id: i64,
        month: i64,
        limit: i64,
        now: Millis,
    ) -> Result<SmsClaim> {
        self.claim_counted(TAKE_MESSAGE, partner_id, id, month, limit, now)
            .await
    }

    /// Runs `take` (binding `id` and `now`) and counts one more SMS in the partner's `month`,
    /// in one transaction: `Gone` when `take` changed nothing, `OverLimit` (and nothing taken)
    /// when the month has `limit` already.
    async fn claim_counted(
        &self,
        take: &'static str,
        partner_id: i64,
        id: i64,
        month: i64,
        limit: i64,
        now: Millis,
    ) -> Result<SmsClaim> {
        let claim = with_writer!(self, p => async {
            let mut tx = p.begin_write().await?;
            let taken = sqlx::query(take)
                .bind(id)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if taken == 0 {
                return Ok::<_, sqlx::Error>(SmsClaim::Gone);
            }
            let counted = sqlx::query(COUNT_SMS)
                .bind(partner_id)
                .bind(month)
                .bind(limit)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if counted == 0 {
                tx.rollback().await?;
                return Ok(SmsClaim::OverLimit { first: false });
            }
            tx.commit().await?;
            Ok(SmsClaim::Taken)
        }
        .await)?;
        match claim {
            SmsClaim::OverLimit { .. } => Ok(SmsClaim::OverLimit {
                first: self.note_sms_limit(partner_id, month).await?,
            }),
            _ => Ok(claim),
        }
    }

    /// The partner reached its limit in `month`: `true` the first time that month.
    async fn note_sms_limit(&self, partner_id: i64, month: i64) -> Result<bool> {
        let noted = exec!(self, p => sqlx::query(
            "UPDATE partners SET sms_limit_noted = $2 WHERE id = $1 AND sms_limit_noted <> $2",
        )
        .bind(partner_id)
        .bind(month)
        .execute(p)
        .await)?;
        Ok(noted > 0)
    }

    /// Gives back a message taken for an SMS the gateway did not accept: no longer taken, and
    /// not counted in the partner's `month`.
    pub async fn release_sms(&self, partner_id: i64, id: i64, month: i64) -> Result<()> {
        let give_back = "UPDATE messages SET sms_at = $2 WHERE id = $1";
        self.release_counted(give_back, partner_id, id, None, month)
            .await
    }

    /// Runs `give_back` (binding `id` and `value`) and counts one SMS fewer in the partner's
    /// `month`, in one transaction.
    async fn release_counted(
        &self,
        give_back: &'static str,
        partner_id: i64,
        id: i64,
        value: Option<i64>,
        month: i64,
    ) -> Result<()> {
        with_writer!(self, p => async {
            let mut tx = p.begin_write().await?;
            sqlx::query(give_back)
                .bind(id)
                .bind(value)
                .execute(&mut *tx)
                .await?;
            sqlx::query(UNCOUNT_SMS)
                .bind(partner_id)
                .bind(month)
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        }
        .await)?;
        Ok(())
    }

    /// The message's history says what became of its SMS (`detail`).
    pub async fn record_sms(&self, id: i64, detail: &str, now: Millis) -> Result<()> {
        exec!(self, p => sqlx::query(
            "INSERT INTO message_events (message_id, status, detail, created_at)
             VALUES ($1, 'sms', $2, $3)",
        )
        .bind(id)
        .bind(detail)
        .bind(now)
        .execute(p)
        .await)?;
        Ok(())
    }
}

/// An invitation to the app the company asked for, waiting for its SMS.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WantedInvitation {
    pub staff_id: i64,
    pub partner_id: i64,
    pub phone: String,
    /// The company's short name and INN, which the SMS gives.
    pub company: String,
    pub inn: String,
    pub wanted_at: Millis,
    /// The operator's limit a month for the company (`None`: the server's).
    pub sms_limit: Option<i64>,
}

/// An employee the company may invite to the app (`s`): active, never logged in (no device
/// yet), not invited after `$2` nor waiting for an invitation.
macro_rules! invitable_sql {
    () => {
        "s.state = 'active' AND s.device IS NULL AND s.invite_wanted_at IS NULL
         AND (s.invited_at IS NULL OR s.invited_at <= $2)"
    };
}

impl Store {
    /// How many of the partner's employees it may invite now (none invited after `since`).
    pub async fn invitable_count(&self, partner_id: i64, since: Millis) -> Result<i64> {
        Ok(with_pool!(self, p => sqlx::query_scalar(concat!(
            "SELECT COUNT(*) FROM staff s WHERE s.partner_id = $1 AND ",
            invitable_sql!()
        ))
        .bind(partner_id)
        .bind(since)
        .fetch_one(p)
        .await)?)
    }

    /// Asks for an invitation for each of the partner's employees it may invite (none invited
    /// after `since`); returns how many.
    pub async fn want_invitations(
        &self,
        partner_id: i64,
        since: Millis,
        now: Millis,
    ) -> Result<u64> {
        Ok(exec!(self, p => sqlx::query(concat!(
            "UPDATE staff SET invite_wanted_at = $3 WHERE id IN (
               SELECT s.id FROM staff s WHERE s.partner_id = $1 AND ",
            invitable_sql!(),
            ")"
        ))
        .bind(partner_id)
        .bind(since)
        .bind(now)
        .execute(p)
        .await)?)
    }

    /// Invitations waiting, oldest first, at most `limit`; a disabled company's wait.
    pub async fn wanted_invitations(&self, limit: i64) -> Result<Vec<WantedInvitation>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT s.id AS staff_id, s.partner_id, s.phone, p.short_name AS company, p.inn,
                    s.invite_wanted_at AS wanted_at, p.sms_limit
             FROM staff s JOIN partners p ON p.id = s.partner_id
             WHERE s.invite_wanted_at IS NOT NULL AND NOT p.disabled
             ORDER BY s.invite_wanted_at, s.id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(p)
        .await)?)
    }

    /// Takes the invitation of employee `staff_id` for its SMS at `now`, counting it in the
    /// partner's `month`, in one transaction; as `claim_sms`. One made moot meanwhile (the
    /// employee logged in or was disabled) or over the limit is no longer wanted.
    pub async fn claim_invitation(
        &self,
        partner_id: i64,
        staff_id: i64,
        month: i64,
        limit: i64,
        now: Millis,
    ) -> Result<SmsClaim> {
        let claim = self
            .claim_counted(TAKE_INVITATION, partner_id, staff_id, month, limit, now)
            .await?;
        if claim != SmsClaim::Taken {
            exec!(self, p => sqlx::query("UPDATE staff SET invite_wanted_at = NULL WHERE id = $1")
                .bind(staff_id)
                .execute(p)
                .await)?;
        }
        Ok(claim)
    }

    /// Gives back an invitation the gateway did not accept: wanted again as it was (`wanted_at`),
    /// unless `again` is false (given up), and not counted in the partner's `month`.
    pub async fn release_invitation(
        &self,
        partner_id: i64,
        staff_id: i64,
        wanted_at: Millis,
        again: bool,
        month: i64,
    ) -> Result<()> {
        let give_back = "UPDATE staff SET invited_at = NULL, invite_wanted_at = $2 WHERE id = $1";
        let wanted = again.then_some(wanted_at);
        self.release_counted(give_back, partner_id, staff_id, wanted, month)
            .await
    }

    /// `want_invitations` for those of `ids` alone (a list just added); returns how many.
    pub async fn want_invitations_of(
        &self,
        partner_id: i64,
        ids: &[i64],
        since: Millis,
        now: Millis,
    ) -> Result<u64> {
        if ids.is_empty() {
            return Ok(0);
        }
        Ok(match &self.writer {
            Pool::Sqlite(p) => sqlx::query(concat!(
                "UPDATE staff SET invite_wanted_at = $3 WHERE id IN (
                       SELECT s.id FROM staff s WHERE s.id IN (SELECT value FROM json_each($4))
                         AND +s.partner_id = $1 AND ",
                invitable_sql!(),
                ")"
            ))
            .bind(partner_id)
            .bind(since)
            .bind(now)
            .bind(super::ids_json(ids)?)
            .execute(p)
            .await?
            .rows_affected(),
            Pool::Postgres(p) => sqlx::query(concat!(
                "UPDATE staff SET invite_wanted_at = $3 WHERE id IN (
                       SELECT s.id FROM staff s WHERE s.id = ANY($4) AND s.partner_id = $1 AND ",
                invitable_sql!(),
                ")"
            ))
            .bind(partner_id)
            .bind(since)
            .bind(now)
            .bind(ids)
            .execute(p)
            .await?
            .rows_affected(),
        })
    }

    /// When the partner's employee was last invited to the app by SMS, and since when an
    /// invitation waits for its SMS; both `None` for another partner's.
    pub async fn invitation_of(
        &self,
        partner_id: i64,
        staff_id: i64,
    ) -> Result<(Option<Millis>, Option<Millis>)> {
        let row: Option<(Option<Millis>, Option<Millis>)> = with_pool!(self, p => sqlx::query_as(
            "SELECT invited_at, invite_wanted_at FROM staff WHERE id = $1 AND partner_id = $2",
        )
        .bind(staff_id)
        .bind(partner_id)
        .fetch_optional(p)
        .await)?;
        Ok(row.unwrap_or_default())
    }
}
