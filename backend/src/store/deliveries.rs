//! Push delivery: the outbox of delivery jobs and the status history of messages.
//!
//! A message that can be pushed is stored together with its job in one transaction, so a
//! message accepted by the API is never without a job, and a job never without its message.
//! Workers claim due jobs by pushing `due_at` past a lease; a worker that dies simply lets the
//! lease run out and another one takes the job over.

use super::group_commit::{NewRow, insert_rows_sqlite};
use super::recall::recall_after_push_sql;
use super::{Pool, Store, exec, with_pool, with_writer};
use crate::domain::{Millis, StaffId};
use crate::error::Result;
use crate::phrase::stored;
use crate::store::{MessageStatus, Origin};

/// One entry of a message's status history.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageEvent {
    pub id: i64,
    pub message_id: i64,
    pub status: String,
    /// Why, for people: the provider's answer, the failure reason, where the message came from.
    pub detail: Option<String>,
    pub created_at: Millis,
}

/// A job a worker holds the lease of, with what it needs to push.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedDelivery {
    pub job_id: i64,
    /// Tries so far, this one included.
    pub attempts: i64,
    /// When the job was created: the age limit counts from here.
    pub queued_at: Millis,
    pub message_id: i64,
    pub partner_id: i64,
    pub staff_id: i64,
    pub title: String,
    pub body: String,
    pub status: String,
    pub created_at: Millis,
    pub push_token: Option<String>,
    pub push_device: Option<String>,
    /// The message asks to be acknowledged: the push says so, for the notification's button.
    pub ack_required: bool,
    /// A reminder to acknowledge (see `store::reminders`), not the message's first push.
    pub reminder: bool,
}

/// A push the provider accepted, to be recorded with the others of its round.
#[derive(Debug, Clone)]
pub struct SentPush {
    pub job_id: i64,
    pub message_id: i64,
    /// For the history: which provider took it.
    pub detail: String,
}

/// The words of a send's messages: the same for everyone, or each recipient's own (a name put
/// in, see `domain::personalized`), in the order of the recipients.
#[derive(Debug, Clone, Copy)]
pub enum Texts<'a> {
    Shared { title: &'a str, body: &'a str },
    Personal(&'a [(String, String)]),
}

impl<'a> Texts<'a> {
    /// The title and text of the `i`-th recipient's message.
    pub fn of(&self, i: usize) -> (&'a str, &'a str) {
        match *self {
            Self::Shared { title, body } => (title, body),
            Self::Personal(texts) => (texts[i].0.as_str(), texts[i].1.as_str()),
        }
    }
}

/// One message to many employees as one send: what all its rows share.
#[derive(Debug, Clone, Copy)]
pub(super) struct BulkSend<'a> {
    pub partner_id: i64,
    pub texts: Texts<'a>,
    pub source: &'a str,
    /// Who sent it (`messages.sent_by`); `None` for a send scheduled before it was kept.
    pub sent_by: Option<&'a str>,
    pub now: Millis,
    /// Shared by the send's messages (`messages.send_id`, migration 19).
    pub send_id: i64,
    /// Every message of the send asks to be acknowledged.
    pub ack_required: bool,
}

impl<'a> BulkSend<'a> {
    /// The send's rows for SQLite's insert (`insert_rows_sqlite`), one per recipient in order.
    pub(super) fn rows(&self, recipients: &[(StaffId, MessageStatus)]) -> Vec<NewRow<'a>> {
        recipients
            .iter()
            .enumerate()
            .map(|(i, &(staff, status))| {
                let (title, body) = self.texts.of(i);
                let (partner, source, now) = (self.partner_id, self.source, self.now);
                (
                    partner,
                    staff.0,
                    title,
                    body,
                    source,
                    status,
                    now,
                    None,
                    self.ack_required,
                    self.sent_by,
                )
            })
            .collect()
    }
}

/// A fresh `send_id`: random, so that no counter has to be kept or locked. Sends number far
/// fewer than 2^63, and the ids migration 19 gave older sends are small.
pub(super) fn new_send_id() -> i64 {
    (rand::random::<u64>() >> 1) as i64
}

/// A message `insert_messages_bulk` created.
#[derive(Debug, Clone, Copy)]
pub struct BulkCreated {
    pub staff_id: StaffId,
    pub message_id: i64,
    pub status: MessageStatus,
}

/// A claim's jobs with what their pushes need; `$where` picks the claim. One text for both
/// databases' reads, so the columns cannot drift from `ClaimedDelivery`.
macro_rules! claimed_jobs_sql {
    ($where:literal) => {
        concat!(
            "SELECT d.id AS job_id, d.attempts, d.created_at AS queued_at, m.id AS message_id,
                    m.partner_id, m.staff_id, m.title, m.body, m.status, m.created_at,
                    s.push_token, s.push_device, m.ack_required, d.reminder
             FROM deliveries d JOIN messages m ON m.id = d.message_id JOIN staff s ON s.id = m.staff_id
             WHERE ",
            $where,
            " ORDER BY d.id"
        )
    };
}

/// The jobs of one claim on SQLite (see `Store::claim_deliveries`).
pub(super) const LEASED_JOBS_SQLITE: &str =
    claimed_jobs_sql!("d.due_at = ?2 AND d.lease_owner = ?1");

/// Write transactions. SQLite's default deferred BEGIN takes the write lock only at the first
/// write and, with concurrent writers, may then fail at once with "database is locked";
/// `BEGIN IMMEDIATE` takes it up front and waits out other writers with the busy timeout.
pub(crate) trait BeginWrite {
    type Db: sqlx::Database;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>>
    + Send;
}

impl BeginWrite for sqlx::SqlitePool {
    type Db = sqlx::Sqlite;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>>
    + Send {
        self.begin_with("BEGIN IMMEDIATE")
    }
}

impl BeginWrite for sqlx::PgPool {
    type Db = sqlx::Postgres;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>>
    + Send {
        self.begin()
    }
}

/// One history entry, inside the transaction that changed the status.
macro_rules! insert_event {
    ($tx:expr, $message_id:expr, $status:expr, $detail:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO message_events (message_id, status, detail, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind($message_id)
        .bind($status.as_str())
        .bind($detail)
        .bind($now)
        .execute(&mut *$tx)
        .await
    };
}
pub(crate) use insert_event;

/// What the history says when a message is stored.
pub(crate) fn creation_detail(status: MessageStatus, source: &str) -> String {
    match status {
        MessageStatus::NoDevice => stored::CREATED_NO_DEVICE.fill(&[source]),
        _ => stored::CREATED_QUEUED.fill(&[source]),
    }
}

/// Inserts a message, its first history entry and (when it is queued) its delivery job,
/// leased when `$lease` is a `Some(&Lease)` (see `handoff`). Runs inside the caller's
/// transaction; yields the message and the job's id.
macro_rules! insert_one_in_tx {
    ($tx:expr, $partner_id:expr, $staff_id:expr, $title:expr, $body:expr, $source:expr, $sent_by:expr, $status:expr, $now:expr, $lease:expr, $key:expr, $ack:expr) => {{
        let key: Option<&str> = $key;
        let row: crate::store::MessageRow = sqlx::query_as(
            "INSERT INTO messages (partner_id, staff_id, title, body, source, status, created_at, idempotency_key, ack_required, sent_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             RETURNING id, partner_id, staff_id, title, body, source, status, status_reason, created_at, sent_at, delivered_at, read_at, ack_required, acked_at",
        )
        .bind($partner_id)
        .bind($staff_id)
        .bind($title)
        .bind($body)
        .bind($source)
        .bind($status.as_str())
        .bind($now)
        .bind(key)
        .bind($ack)
        .bind($sent_by)
        .fetch_one(&mut *$tx)
        .await?;
        sqlx::query(
            "INSERT INTO message_events (message_id, status, detail, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(row.id)
        .bind($status.as_str())
        .bind(crate::store::deliveries::creation_detail($status, $source))
        .bind($now)
        .execute(&mut *$tx)
        .await?;
        let mut job_id = None;
        if $status == crate::store::MessageStatus::Queued {
            let lease: Option<&crate::store::handoff::Lease> = $lease;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO deliveries (message_id, due_at, created_at, lease_owner, attempts)
                 VALUES ($1, COALESCE($3, $2), $2, $4, CASE WHEN $4 IS NULL THEN 0 ELSE 1 END) RETURNING id",
            )
            .bind(row.id)
            .bind($now)
            .bind(lease.map(|l| l.until))
            .bind(lease.map(|l| &*l.owner))
            .fetch_one(&mut *$tx)
            .await?;
            job_id = Some(id);
        }
        (row, job_id)
    }};
}
pub(crate) use insert_one_in_tx;

/// The history text of a new message, with `{source}` where `replace()` in SQL puts the source.
pub(super) fn creation_detail_template(status: MessageStatus) -> String {
    creation_detail(status, "{source}")
}

/// The bulk insert on PostgreSQL; `$select` gives each message's columns from `u`, the row of
/// the arrays.
macro_rules! bulk_pg_sql {
    ($select:literal, $unnest:literal) => {
        concat!(
            "WITH m AS (
               INSERT INTO messages (partner_id, staff_id, title, body, source, status, created_at, send_id, ack_required, sent_by)
               SELECT ", $select, " FROM UNNEST(", $unnest, ")
               RETURNING id, staff_id, status
             ), events AS (
               INSERT INTO message_events (message_id, status, detail, created_at)
               SELECT id, status, CASE WHEN status = 'no_device' THEN $8 ELSE $9 END, $5 FROM m
             ), jobs AS (
               INSERT INTO deliveries (message_id, due_at, created_at) SELECT id, $5, $5 FROM m WHERE status = 'queued'
             )
             SELECT id, staff_id, status FROM m ORDER BY id"
        )
    };
}
/// `$2` and `$3` the title and text of every message.
const BULK_PG_SHARED: &str = bulk_pg_sql!(
    "$1, u.staff, $2, $3, $4, u.status, $5, $10, $11, $12",
    "$6::bigint[], $7::text[]) AS u(staff, status"
);
/// `$2` and `$3` arrays: each recipient's own title and text.
const BULK_PG_PERSONAL: &str = bulk_pg_sql!(
    "$1, u.staff, u.title, u.body, $4, u.status, $5, $10, $11, $12",
    "$6::bigint[], $7::text[], $2::text[], $3::text[]) AS u(staff, status, title, body"
);

/// `insert_messages_bulk` on PostgreSQL: ONE statement whatever the number of recipients. The
/// rows travel as arrays (UNNEST) and the history entries and jobs are inserted by CTEs from
/// the messages' RETURNING. Multi-row VALUES cost PostgreSQL ~45 ms of planning per 500 rows
/// (1.3 s for 10,000 recipients); arrays do not.
pub(super) async fn insert_messages_bulk_pg(
    p: impl sqlx::PgExecutor<'_>,
    send: &BulkSend<'_>,
    recipients: &[(StaffId, MessageStatus)],
) -> Result<Vec<BulkCreated>> {
    let staff: Vec<i64> = recipients.iter().map(|(s, _)| s.0).collect();
    let statuses: Vec<&str> = recipients.iter().map(|(_, st)| st.as_str()).collect();
    // Shared words are bound once; each recipient's own travel as two more arrays.
    let (titles, bodies): (Vec<&str>, Vec<&str>) = match send.texts {
        Texts::Shared { .. } => (Vec::new(), Vec::new()),
        Texts::Personal(texts) => texts.iter().map(|(t, b)| (t.as_str(), b.as_str())).unzip(),
    };
    let query = match send.texts {
        Texts::Shared { title, body } => sqlx::query_as(BULK_PG_SHARED)
            .bind(send.partner_id)
            .bind(title)
            .bind(body),
        Texts::Personal(_) => sqlx::query_as(BULK_PG_PERSONAL)
            .bind(send.partner_id)
            .bind(&titles)
            .bind(&bodies),
    };
    let rows: Vec<(i64, i64, String)> = query
        .bind(send.source)
        .bind(send.now)
        .bind(&staff)
        .bind(&statuses)
        .bind(creation_detail(MessageStatus::NoDevice, send.source))
        .bind(creation_detail(MessageStatus::Queued, send.source))
        .bind(send.send_id)
        .bind(send.ack_required)
        .bind(send.sent_by)
        .fetch_all(p)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, staff, status)| BulkCreated {
            staff_id: StaffId(staff),
            message_id: id,
            status: MessageStatus::parse(&status).unwrap_or(MessageStatus::Queued),
        })
        .collect())
}

/// SQLite: the messages stored for `recipients`, in order, the last of them `last` (the write
/// lock held from BEGIN IMMEDIATE to COMMIT keeps their AUTOINCREMENT ids consecutive).
pub(super) fn created_up_to(
    recipients: &[(StaffId, MessageStatus)],
    last: i64,
) -> Vec<BulkCreated> {
    recipients
        .iter()
        .zip(last - recipients.len() as i64 + 1..)
        .map(|(&(staff_id, status), message_id)| BulkCreated {
            staff_id,
            message_id,
            status,
        })
        .collect()
}

/// What every message of a send carries besides its words.
#[derive(Debug, Clone, Copy, Default)]
pub struct Carries<'a> {
    /// The employee is asked to acknowledge it.
    pub ack_required: bool,
    /// The partner's files it carries (checked by the caller), in their order.
    pub files: &'a [i64],
}

impl Store {
    /// Stores one message per recipient, with history entries and delivery jobs, in one
    /// transaction: all of them or none, one send (a fresh `send_id`). SQLite: one call
    /// (`insert_rows_sqlite`); PostgreSQL: one statement (`insert_messages_bulk_pg`).
    pub async fn insert_messages_bulk(
        &self,
        partner_id: i64,
        recipients: &[(StaffId, MessageStatus)],
        texts: Texts<'_>,
        origin: Origin<'_>,
        now: Millis,
        carries: Carries<'_>,
    ) -> Result<Vec<BulkCreated>> {
        let Carries {
            ack_required,
            files,
        } = carries;
        let send = BulkSend {
            partner_id,
            texts,
            source: origin.source,
            sent_by: Some(origin.sent_by),
            now,
            send_id: new_send_id(),
            ack_required,
        };
        let created = if !files.is_empty() {
            // The messages and their files in one transaction, as a scheduled send's are.
            use super::schedule::InsertScheduled;
            with_writer!(self, p => {
                let mut tx = p.begin_write().await?;
                let created = self.insert_scheduled_messages(&mut tx, &send, recipients).await?;
                super::files::link_send_files!(tx, send.send_id, files);
                tx.commit().await?;
                created
            })
        } else {
            match &self.writer {
                Pool::Postgres(p) => insert_messages_bulk_pg(p, &send, recipients).await?,
                Pool::Sqlite(p) => {
                    let rows = send.rows(recipients);
                    let (last, _) =
                        insert_rows_sqlite(p, &rows, None, &[], now, Some(send.send_id)).await?;
                    created_up_to(recipients, last)
                }
            }
        };
        // The jobs wait in the outbox: thousands at once are more than the hand-over holds.
        if created.iter().any(|c| c.status == MessageStatus::Queued) {
            self.hint_outbox();
        }
        Ok(created)
    }

    /// Whether any job is due at `now`: a read, which a held SQLite database does not block.
    pub async fn any_delivery_due(&self, now: Millis) -> Result<bool> {
        Ok(with_pool!(self, p => sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM deliveries WHERE due_at <= $1)"
        )
        .bind(now)
        .fetch_one(p)
        .await)?)
    }

    /// Takes up to `limit` due jobs for `lease` until `lease_until`. PostgreSQL skips rows other
    /// servers are claiming right now; SQLite runs one writer at a time, so the single
    /// UPDATE is already exclusive.
    ///
    /// `lease` must name this claim alone (the worker numbers its rounds): on SQLite the
    /// claimed jobs are read back by it, through `deliveries_due`, instead of coming back from
    /// the UPDATE row by row, each row a hand-off to sqlx-sqlite's thread while the write lock
    /// is held.
    pub async fn claim_deliveries(
        &self,
        lease: &str,
        limit: i64,
        now: Millis,
        lease_until: Millis,
    ) -> Result<Vec<ClaimedDelivery>> {
        let jobs = match &self.writer {
            Pool::Sqlite(p) => {
                let claimed = sqlx::query(
                    "UPDATE deliveries SET due_at = $2, lease_owner = $3, attempts = attempts + 1
                     WHERE id IN (SELECT id FROM deliveries WHERE due_at <= $1 ORDER BY due_at, id LIMIT $4)",
                )
                .bind(now)
                .bind(lease_until)
                .bind(lease)
                .bind(limit)
                .execute(p)
                .await?
                .rows_affected();
                if claimed == 0 {
                    return Ok(Vec::new());
                }
                match (&self.direct, &self.pool) {
                    (Some(direct), _) => direct.leased_jobs(lease, lease_until)?,
                    (None, Pool::Sqlite(p)) => {
                        sqlx::query_as(LEASED_JOBS_SQLITE)
                            .bind(lease)
                            .bind(lease_until)
                            .fetch_all(p)
                            .await?
                    }
                    (None, Pool::Postgres(_)) => {
                        return Err(crate::error::Error::Internal(
                            "an SQLite writer with a PostgreSQL pool".into(),
                        ));
                    }
                }
            }
            Pool::Postgres(p) => {
                // The jobs are picked once (an InitPlan), then updated by id. As `id IN
                // (SELECT … LIMIT $4 FOR UPDATE SKIP LOCKED)`, PostgreSQL ran the subquery
                // again for every row of a nested loop, which it picks when the statistics
                // say the queue is empty, as they do after every vacuum of an emptied queue:
                // each run skipped the rows already updated and returned new ones, so a claim
                // of 16 took the whole queue (9,616 jobs of a 10,000-message bulk in 94 s,
                // while three other workers did the same; `scripts/bench.py`, 2026-11-26).
                let leased: Vec<(i64,)> = sqlx::query_as(
                    "UPDATE deliveries SET due_at = $2, lease_owner = $3, attempts = attempts + 1
                     WHERE id = ANY (ARRAY (
                       SELECT id FROM deliveries WHERE due_at <= $1 ORDER BY due_at, id LIMIT $4
                       FOR UPDATE SKIP LOCKED))
                     RETURNING id",
                )
                .bind(now)
                .bind(lease_until)
                .bind(lease)
                .bind(limit)
                .fetch_all(p)
                .await?;
                if leased.is_empty() {
                    return Ok(Vec::new());
                }
                sqlx::query_as(claimed_jobs_sql!("d.lease_owner = $1 AND d.id = ANY ($2)"))
                    .bind(lease)
                    .bind(leased.iter().map(|l| l.0).collect::<Vec<_>>())
                    .fetch_all(p)
                    .await?
            }
        };
        self.queue_churn
            .fetch_add(jobs.len() as u64, std::sync::atomic::Ordering::Relaxed);
        tracing::debug!(
            lease,
            claimed = jobs.len(),
            oldest = jobs.iter().map(|j| j.queued_at).min(),
            most_attempts = jobs.iter().map(|j| j.attempts).max(),
            "jobs claimed"
        );
        Ok(jobs)
    }

    /// This process's push workers start (`lease`: how long a job stays theirs): from now on
    /// new jobs are handed to them directly (see `handoff`).
    pub fn open_handoff(&self, owner: &str, lease: std::time::Duration) {
        self.handoff.open(owner, lease);
    }

    /// Up to `limit` jobs handed over by the transactions that stored them, with the lease
    /// they carry; empty when none wait. Jobs whose lease ends before `held_until` (the
    /// longest a push may take from now) are left to the outbox, where they come due.
    pub fn handed_jobs(
        &self,
        limit: usize,
        held_until: Millis,
    ) -> (Vec<ClaimedDelivery>, Option<std::sync::Arc<str>>) {
        let (jobs, owner, dropped) = self.handoff.take(limit, held_until);
        if dropped > 0 {
            tracing::warn!(
                jobs = dropped,
                "handed jobs waited past their lease; the outbox has them"
            );
            self.hint_outbox();
        }
        self.queue_churn
            .fetch_add(jobs.len() as u64, std::sync::atomic::Ordering::Relaxed);
        (jobs, owner)
    }

    /// Whether this process stored jobs in the outbox for a claim (not handed over) since
    /// `claiming_from_outbox`. Jobs of other processes and retries coming due are found by
    /// the workers' poll instead.
    pub(crate) fn outbox_hinted(&self) -> bool {
        self.outbox_hint.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// A worker is about to claim from the outbox: what is stored from now on hints again.
    pub(crate) fn claiming_from_outbox(&self) {
        self.outbox_hint
            .store(false, std::sync::atomic::Ordering::SeqCst);
    }

    /// Jobs were stored in the outbox for a claim, or a claim came back full.
    pub(crate) fn hint_outbox(&self) {
        self.outbox_hint
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Jobs handed over and not yet taken by a worker.
    pub fn handed_waiting(&self) -> usize {
        self.handoff.waiting()
    }

    /// The workers are gone without `close_handoff` (aborted): nothing more is handed to
    /// them; what they held keeps its lease until it runs out.
    pub(crate) fn abandon_handoff(&self) {
        self.handoff.close();
    }

    /// This process's push workers stopped: jobs still leased to them for the hand-over go
    /// back to the outbox, due now, so any server's worker takes them at once instead of when
    /// the lease runs out. They were never tried, so their try does not count. Returns how many.
    pub async fn close_handoff(&self, now: Millis) -> Result<u64> {
        let Some(owner) = self.handoff.close() else {
            return Ok(0);
        };
        let released = exec!(self, p => sqlx::query(
            "UPDATE deliveries SET due_at = $2, lease_owner = NULL, attempts = attempts - 1 WHERE lease_owner = $1",
        )
        .bind(&*owner)
        .bind(now)
        .execute(p)
        .await)?;
        self.hint_outbox();
        Ok(released)
    }

    /// PostgreSQL: vacuums the delivery queue if at least `min_jobs` jobs were claimed since the
    /// last time; returns whether it did. Each job leaves two or more dead rows (its claim, its
    /// deletion) that every later claim walks until a vacuum removes them: with autovacuum off
    /// the queue never shrank (8.5 ms for a claim of an empty queue after 90,000 jobs, 3,000
    /// pages), and autovacuum's own schedule (a database visited once a minute) lets a minute
    /// of churn pile up under load. SQLite reuses freed pages at once: nothing to do there.
    pub async fn vacuum_queue_if_churned(&self, min_jobs: u64) -> Result<bool> {
        use std::sync::atomic::Ordering;
        let Pool::Postgres(p) = &self.writer else {
            return Ok(false);
        };
        let churn = self.queue_churn.load(Ordering::Relaxed);
        if churn < min_jobs {
            return Ok(false);
        }
        self.queue_churn.fetch_sub(churn, Ordering::Relaxed);
        // SKIP_LOCKED: another server's vacuum of the same queue is as good as ours. TRUNCATE
        // false: giving empty pages back takes an exclusive lock on the queue, which every
        // createmessage inserts into; with it a vacuum took 317 ms on average and up to 1 s
        // under load (pg_stat_statements), without it 2 ms, at most 5.
        sqlx::raw_sql("VACUUM (SKIP_LOCKED, TRUNCATE false) deliveries")
            .execute(p)
            .await?;
        Ok(true)
    }

    /// The provider accepted these pushes: their jobs are done and their messages `sent`,
    /// except those the app already reported delivered or read (they only get `sent_at`).
    /// One transaction for the rounds of all workers that finished meanwhile: on SQLite the
    /// transaction of the next batch of new messages, on PostgreSQL one statement beside it
    /// (see `group_commit`).
    pub async fn deliveries_sent(&self, pushes: &[SentPush], now: Millis) -> Result<()> {
        self.deliveries_sent_grouped(pushes, now).await
    }

    /// The job ends without a push: the message becomes `failed` or `no_device` with the reason.
    /// A message the app already confirmed keeps its status.
    pub async fn delivery_given_up(
        &self,
        job_id: i64,
        message_id: i64,
        status: MessageStatus,
        reason: &str,
        now: Millis,
    ) -> Result<()> {
        with_writer!(self, p => async {
            let mut tx = p.begin_write().await?;
            sqlx::query("DELETE FROM deliveries WHERE id = $1").bind(job_id).execute(&mut *tx).await?;
            let changed = sqlx::query(
                "UPDATE messages SET status = $2, status_reason = $3 WHERE id = $1 AND status = 'queued'",
            )
            .bind(message_id)
            .bind(status.as_str())
            .bind(reason)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed > 0 {
                insert_event!(tx, message_id, status, reason, now)?;
            }
            tx.commit().await
        }.await)?;
        Ok(())
    }

    /// The app already confirmed the message (it synced the history first): nothing to push.
    pub async fn delivery_dropped(&self, job_id: i64) -> Result<()> {
        exec!(self, p => sqlx::query("DELETE FROM deliveries WHERE id = $1").bind(job_id).execute(p).await)?;
        Ok(())
    }

    /// Another try at `due_at`; `false` when the lease was lost to another worker meanwhile.
    pub async fn delivery_retry_at(
        &self,
        job_id: i64,
        owner: &str,
        due_at: Millis,
        error: &str,
    ) -> Result<bool> {
        let n = exec!(self, p => sqlx::query(
            "UPDATE deliveries SET due_at = $3, lease_owner = NULL, last_error = $4 WHERE id = $1 AND lease_owner = $2",
        )
        .bind(job_id)
        .bind(owner)
        .bind(due_at)
        .bind(error)
        .execute(p)
        .await)?;
        Ok(n > 0)
    }

    /// The provider said the device token is dead: forget it, unless the app has registered
    /// a new one since. Returns whether it was cleared.
    pub async fn clear_dead_push_token(
        &self,
        staff_id: StaffId,
        token: &str,
        now: Millis,
    ) -> Result<bool> {
        let n = exec!(self, p => sqlx::query(
            "UPDATE staff SET push_token = NULL, updated_at = $3 WHERE id = $1 AND push_token = $2",
        )
        .bind(staff_id.0)
        .bind(token)
        .bind(now)
        .execute(p)
        .await)?;
        Ok(n > 0)
    }

    /// Jobs not finished yet (waiting, leased or between retries).
    pub async fn pending_deliveries(&self) -> Result<i64> {
        Ok(
            with_pool!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM deliveries").fetch_one(p).await)?,
        )
    }

    /// The queues' depths for `/metrics`: delivery jobs, webhook events waiting, failing webhooks.
    pub async fn queue_depths(&self) -> Result<crate::metrics::QueueDepths> {
        // A send a minute past its time is one the scheduler (polling each second) missed.
        let overdue_before = crate::domain::now_millis() - 60_000;
        let counts: (i64, i64, i64, i64, i64) = with_pool!(self, p => sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM deliveries),
                    (SELECT COUNT(*) FROM webhook_outbox) + (SELECT COUNT(*) FROM webhook_staff_outbox),
                    (SELECT COUNT(*) FROM partner_webhooks WHERE failures > 0),
                    (SELECT COUNT(*) FROM scheduled_sends WHERE state = 'pending'),
                    (SELECT COUNT(*) FROM scheduled_sends WHERE state = 'pending' AND send_at < $1)",
        )
        .bind(overdue_before)
        .fetch_one(p)
        .await)?;
        let (push_jobs, webhook_events, webhooks_failing, scheduled_pending, scheduled_overdue) =
            counts;
        Ok(crate::metrics::QueueDepths {
            push_jobs,
            webhook_events,
            webhooks_failing,
            scheduled_pending,
            scheduled_overdue,
        })
    }

    /// A message's status history, oldest first; empty for another partner's message.
    pub async fn message_events(
        &self,
        partner_id: i64,
        message_id: i64,
    ) -> Result<Vec<MessageEvent>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT e.id, e.message_id, e.status, e.detail, e.created_at
             FROM message_events e JOIN messages m ON m.id = e.message_id
             WHERE m.partner_id = $1 AND e.message_id = $2 ORDER BY e.id",
        )
        .bind(partner_id)
        .bind(message_id)
        .fetch_all(p)
        .await)?)
    }

    /// Who sent the partner's message, as the journal names its actors; `None` when it was
    /// stored before that was kept (or is not the partner's).
    pub async fn message_sent_by(
        &self,
        partner_id: i64,
        message_id: i64,
    ) -> Result<Option<String>> {
        let by: Option<Option<String>> = with_pool!(self, p => sqlx::query_scalar(
            "SELECT sent_by FROM messages WHERE partner_id = $1 AND id = $2",
        )
        .bind(partner_id)
        .bind(message_id)
        .fetch_optional(p)
        .await)?;
        Ok(by.flatten())
    }
}

/// `deliveries_sent` on PostgreSQL: ONE statement, so one round trip and no transaction of
/// our own, instead of BEGIN, a DELETE, an UPDATE, an INSERT, a second UPDATE and COMMIT,
/// each statement text also prepared anew for every size of round. The status moves only
/// where the row, as it is when updated, still waits for a push (`moved`); the history
/// entries are for exactly those; a message the app confirmed meanwhile only gets `sent_at`.
pub(super) async fn deliveries_sent_pg(
    p: &sqlx::PgPool,
    pushes: &[&SentPush],
    now: Millis,
) -> Result<()> {
    let jobs: Vec<i64> = pushes.iter().map(|push| push.job_id).collect();
    let messages: Vec<i64> = pushes.iter().map(|push| push.message_id).collect();
    let details: Vec<&str> = pushes.iter().map(|push| push.detail.as_str()).collect();
    sqlx::query(concat!(
        "WITH gone AS (DELETE FROM deliveries WHERE id = ANY($2)),
         moved AS (
             UPDATE messages SET status = 'sent', status_reason = NULL, sent_at = COALESCE(sent_at, $1)
             WHERE id = ANY($3) AND status IN ('queued', 'failed', 'no_device') RETURNING id),
         events AS (
             INSERT INTO message_events (message_id, status, detail, created_at)
             SELECT p.message_id, 'sent', p.detail, $1
             FROM unnest($3::bigint[], $4::text[]) WITH ORDINALITY AS p(message_id, detail, n)
             WHERE p.message_id IN (SELECT id FROM moved) ORDER BY p.n),
         recalls AS (",
        recall_after_push_sql!(
            "INSERT INTO deliveries (message_id, attempts, due_at, created_at)
             SELECT m.id, 0, $1, $1 FROM messages m"
        ),
        " AND m.id = ANY($3))
         UPDATE messages SET sent_at = $1
         WHERE id = ANY($3) AND sent_at IS NULL AND id NOT IN (SELECT id FROM moved)",
    ))
    .bind(now)
    .bind(&jobs)
    .bind(&messages)
    .bind(&details)
    .execute(p)
    .await?;
    Ok(())
}
