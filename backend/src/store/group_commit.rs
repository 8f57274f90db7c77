//! Group commit of single messages.
//!
//! Each `createmessage` used to be its own write transaction: on PostgreSQL one WAL flush per
//! message, on SQLite one turn of the single writer lock plus five statements. Concurrent
//! calls now hand their message to one writer task, which stores everything that queued up
//! while the previous batch was committing as one transaction of multi-row INSERTs. A caller is
//! answered only after the commit that holds its message, so an accepted message is as durable
//! as before; an idle server still writes each message at once (a batch of one).
//!
//! If a batch fails as a whole (an employee deleted between the check and the insert trips a
//! foreign key, say), its messages are written again one by one, so each caller gets its own
//! answer and no message is refused for another's fault.
//!
//! The same task writes the push workers' outcomes (see `Store::deliveries_sent`) and hands
//! new delivery jobs to the workers once committed (see `handoff`).

use super::deliveries::creation_detail_template;
use super::handoff::Lease;
use super::recall::recall_after_push_sql;
use super::{ClaimedDelivery, MessageRow, MessageStatus, NewMessage, Pool, SentPush, Store};
use crate::domain::{IdempotencyKey, Millis};
use crate::error::{Error, Result};
use tokio::sync::{mpsc, oneshot};

/// Messages per transaction at most: 7 bound values each stays far below both databases'
/// limits, and a batch this size commits in a few milliseconds.
const MAX_BATCH: usize = 256;

/// Callers waiting beyond this many wait to enqueue: back-pressure instead of memory growth.
const QUEUE: usize = 4 * MAX_BATCH;

/// A `NewMessage` the writer task can own.
#[derive(Debug, Clone)]
pub(super) struct QueuedMessage {
    partner_id: i64,
    staff_id: i64,
    title: String,
    body: String,
    source: String,
    sent_by: String,
    status: MessageStatus,
    now: Millis,
    push_token: Option<String>,
    push_device: Option<String>,
    idempotency_key: Option<IdempotencyKey>,
    ack_required: bool,
}

impl QueuedMessage {
    fn of(m: &NewMessage<'_>) -> Self {
        Self {
            partner_id: m.partner_id,
            staff_id: m.staff_id.0,
            title: m.title.to_owned(),
            body: m.body.to_owned(),
            source: m.source.to_owned(),
            sent_by: m.sent_by.to_owned(),
            status: m.status,
            now: m.now,
            push_token: m.push_token.map(str::to_owned),
            push_device: m.push_device.map(str::to_owned),
            idempotency_key: m.idempotency_key.cloned(),
            ack_required: m.ack_required,
        }
    }

    fn as_new(&self) -> NewMessage<'_> {
        NewMessage {
            partner_id: self.partner_id,
            staff_id: crate::domain::StaffId(self.staff_id),
            title: &self.title,
            body: &self.body,
            source: &self.source,
            sent_by: &self.sent_by,
            status: self.status,
            now: self.now,
            push_token: self.push_token.as_deref(),
            push_device: self.push_device.as_deref(),
            idempotency_key: self.idempotency_key.as_ref(),
            ack_required: self.ack_required,
        }
    }

    /// Its job as the push workers get it (see `handoff`).
    fn handed_job(&self, message_id: i64, job_id: i64) -> ClaimedDelivery {
        ClaimedDelivery {
            job_id,
            attempts: 1,
            queued_at: self.now,
            message_id,
            partner_id: self.partner_id,
            staff_id: self.staff_id,
            title: self.title.clone(),
            body: self.body.clone(),
            status: self.status.as_str().to_owned(),
            created_at: self.now,
            push_token: self.push_token.clone(),
            push_device: self.push_device.clone(),
            ack_required: self.ack_required,
            reminder: false,
        }
    }
}

pub(super) struct Job {
    message: QueuedMessage,
    reply: oneshot::Sender<Result<MessageRow>>,
}

/// A push round's accepted pushes to record (SQLite; see `Store::deliveries_sent`).
pub(super) struct Sent {
    pushes: Vec<SentPush>,
    now: Millis,
    reply: oneshot::Sender<Result<()>>,
}

/// What the writer task is given.
pub(super) enum Work {
    Message(Job),
    Sent(Sent),
}

/// The sending half, started with the first message a store writes.
pub(super) type Writer = std::sync::Arc<std::sync::OnceLock<mpsc::Sender<Work>>>;

impl Store {
    fn group_writer(&self) -> &mpsc::Sender<Work> {
        self.group.get_or_init(|| {
            let (tx, rx) = mpsc::channel(QUEUE);
            // The task's own store has no writer of its own, so it does not keep the channel
            // open: when the last store handle goes, the task ends.
            tokio::spawn(run(self.sharing_pools(), rx));
            tx
        })
    }

    /// Records a round's accepted pushes together with the other workers' rounds that finished
    /// meanwhile. SQLite: in the transaction of the next batch of new messages (or alone when
    /// none wait); under `createmessage` load the push rounds were more write transactions
    /// than the batches of messages (5,054 and 3,612 in 6 s), each a turn of the single
    /// writer connection with its hand-offs to sqlx-sqlite's thread. PostgreSQL: one
    /// statement beside the batch (2,150 rounds in 6 s took 2.4 ms each at the median,
    /// mostly waiting for their commits).
    pub(super) async fn deliveries_sent_grouped(
        &self,
        pushes: &[SentPush],
        now: Millis,
    ) -> Result<()> {
        let (reply, answer) = oneshot::channel();
        let sent = Sent {
            pushes: pushes.to_vec(),
            now,
            reply,
        };
        let gone = || Error::Internal("the message writer stopped".into());
        self.group_writer()
            .send(Work::Sent(sent))
            .await
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }

    /// Stores a message for an employee of the partner, its first history entry and, when it
    /// is `queued`, its delivery job, in one transaction shared with concurrent callers'
    /// messages (see the module comment); returns once it is committed.
    pub async fn insert_message(&self, m: &NewMessage<'_>) -> Result<MessageRow> {
        let sender = self.group_writer();
        let (reply, answer) = oneshot::channel();
        let job = Job {
            message: QueuedMessage::of(m),
            reply,
        };
        let gone = || Error::Internal("the message writer stopped".into());
        sender.send(Work::Message(job)).await.map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

/// A lease for the batch's jobs if all of them can go to the push workers directly: one lease
/// value for the whole statement, and every queued message of the service carries the
/// employee's device.
fn lease_for(store: &Store, batch: &[Job]) -> Option<Lease> {
    let queued = batch
        .iter()
        .map(|j| &j.message)
        .filter(|m| m.status == MessageStatus::Queued);
    if queued.clone().any(|m| m.push_token.is_none()) {
        return None;
    }
    store.handoff.reserve(queued.count())
}

/// Hands the committed jobs of `stored` (in the batch's order) to the push workers, or tells
/// them to claim the jobs from the outbox.
fn hand_over(
    store: &Store,
    lease: Option<Lease>,
    batch: &[Job],
    stored: &[(MessageRow, Option<i64>)],
) {
    let Some(lease) = lease else {
        if stored.iter().any(|(_, job)| job.is_some()) {
            store.hint_outbox();
        }
        return;
    };
    let jobs = batch
        .iter()
        .zip(stored)
        .filter_map(|(job, (row, job_id))| job_id.map(|id| job.message.handed_job(row.id, id)));
    store.handoff.handed(&lease, jobs);
}

async fn run(store: Store, mut rx: mpsc::Receiver<Work>) {
    let mut work = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut work, MAX_BATCH).await > 0 {
        let mut batch = Vec::with_capacity(work.len());
        let mut sent = Vec::new();
        for w in work.drain(..) {
            match w {
                Work::Message(job) => batch.push(job),
                Work::Sent(s) => sent.push(s),
            }
        }
        let pushes: Vec<&SentPush> = sent.iter().flat_map(|s| &s.pushes).collect();
        let sent_at = sent.iter().map(|s| s.now).max().unwrap_or(0);
        let result = match &store.writer {
            Pool::Sqlite(_) => {
                let recorded =
                    !batch.is_empty() && store_batch(&store, batch, &pushes, sent_at).await;
                if recorded || sent.is_empty() {
                    Ok(())
                } else {
                    record_sent_sqlite(&store, &pushes, sent_at).await
                }
            }
            // PostgreSQL runs the two side by side, on two connections.
            Pool::Postgres(p) => {
                let record = async {
                    if pushes.is_empty() {
                        Ok(())
                    } else {
                        super::deliveries::deliveries_sent_pg(p, &pushes, sent_at).await
                    }
                };
                let store_new = async {
                    if !batch.is_empty() {
                        store_batch(&store, batch, &[], 0).await;
                    }
                };
                tokio::join!(store_new, record).1
            }
        };
        for s in sent {
            let _ = s.reply.send(match &result {
                Ok(()) => Ok(()),
                Err(e) => Err(Error::Internal(format!("recording pushes: {e}"))),
            });
        }
    }
}

/// The accepted pushes alone, in a transaction of their own.
async fn record_sent_sqlite(store: &Store, pushes: &[&SentPush], now: Millis) -> Result<()> {
    match &store.writer {
        Pool::Sqlite(p) => insert_rows_sqlite(p, &[], None, pushes, now, None)
            .await
            .map(|_| ()),
        Pool::Postgres(_) => Err(Error::Internal(
            "pushes to record with the messages on PostgreSQL".into(),
        )),
    }
}

/// Stores one batch of messages and answers their callers; on SQLite `pushes` are recorded in
/// the same transaction. Returns whether they were (if not, the caller records them alone).
async fn store_batch(
    store: &Store,
    batch: Vec<Job>,
    pushes: &[&SentPush],
    sent_at: Millis,
) -> bool {
    let lease = lease_for(store, &batch);
    if batch.len() == 1 && matches!(store.writer, Pool::Postgres(_)) {
        // PostgreSQL keeps plain statements for single messages: the batch statement doubled
        // their p50 latency there once (see the README); with the hand-over it makes no
        // measurable difference either way (2026-11-28: paced at 1,700 req/s, p50 4.7 / 4.4
        // vs 4.2 / 4.3 ms; full load 3,350 / 3,131 vs 3,299 / 3,507 req/s).
        let result = store
            .insert_message_alone(&batch[0].message.as_new(), lease.as_ref())
            .await;
        answer_one(store, lease, batch, result);
        return false;
    }
    let messages: Vec<&QueuedMessage> = batch.iter().map(|j| &j.message).collect();
    // A lone message on SQLite goes the batch's way too: one call to the writer connection
    // instead of five (BEGIN, three INSERTs, COMMIT), each a hand-off to sqlx-sqlite's thread
    // while the write lock is held; under load a quarter of the batches were singles.
    let result = insert_batch(store, &messages, lease.as_ref(), pushes, sent_at).await;
    if batch.len() == 1 && pushes.is_empty() {
        // It fails for its own fault only, so its answer is final.
        let result = result.and_then(|rows| rows.into_iter().next().ok_or_else(unmatched));
        answer_one(store, lease, batch, result);
        return false;
    }
    match result {
        Ok(stored) => {
            hand_over(store, lease, &batch, &stored);
            for (job, (row, _)) in batch.into_iter().zip(stored) {
                // A caller that stopped waiting no longer needs its answer.
                let _ = job.reply.send(Ok(row));
            }
            return true;
        }
        Err(e) => match e.unavailability() {
            Some(why) => {
                // One by one, each message would wait out the pool's timeout again (a batch of
                // 32 behind a stopped PostgreSQL: five minutes): every caller hears it at once.
                if let Some(lease) = &lease {
                    store.handoff.cancel(lease);
                }
                let reason = e.to_string();
                for job in batch {
                    let _ = job.reply.send(Err(Error::Unavailable {
                        why,
                        reason: reason.clone(),
                    }));
                }
                return false;
            }
            None => tracing::warn!(
                error = %e,
                messages = messages.len(),
                pushes = pushes.len(),
                "group commit failed; writing its messages one by one"
            ),
        },
    }
    // One by one, unleased: the workers claim these from the outbox.
    if let Some(lease) = &lease {
        store.handoff.cancel(lease);
    }
    for job in batch {
        let result = store
            .insert_message_alone(&job.message.as_new(), None)
            .await;
        if matches!(result, Ok((_, Some(_)))) {
            store.hint_outbox();
        }
        let _ = job.reply.send(result.map(|(row, _)| row));
    }
    false
}

/// Answers the caller of a batch of one, handing its job over once committed.
fn answer_one(
    store: &Store,
    lease: Option<Lease>,
    batch: Vec<Job>,
    result: Result<(MessageRow, Option<i64>)>,
) {
    match &result {
        Ok(stored) => hand_over(store, lease, &batch, std::slice::from_ref(stored)),
        Err(_) => {
            if let Some(lease) = &lease {
                store.handoff.cancel(lease);
            }
        }
    }
    if let Some(job) = batch.into_iter().next() {
        let _ = job.reply.send(result.map(|(row, _)| row));
    }
}

/// One transaction for all `messages`; rows come back in the order given, each with its
/// delivery job's id when it has one.
async fn insert_batch(
    store: &Store,
    messages: &[&QueuedMessage],
    lease: Option<&Lease>,
    pushes: &[&SentPush],
    sent_at: Millis,
) -> Result<Vec<(MessageRow, Option<i64>)>> {
    let mut rows = match &store.writer {
        Pool::Postgres(p) => insert_batch_pg(p, messages, lease).await?,
        Pool::Sqlite(p) => insert_batch_sqlite(p, messages, lease, pushes, sent_at).await?,
    };
    // Both databases number the rows of one INSERT in the order of its rows; RETURNING
    // promises no order, so the ids put them back in it.
    rows.sort_unstable_by_key(|(r, _)| r.id);
    let in_order = rows.len() == messages.len()
        && rows.iter().zip(messages).all(|((r, job), m)| {
            r.staff_id == m.staff_id
                && r.title == m.title
                && r.created_at == m.now
                && job.is_some() == (m.status == MessageStatus::Queued)
        });
    if !in_order {
        return Err(unmatched());
    }
    Ok(rows)
}

fn unmatched() -> Error {
    Error::Internal("group commit: the stored rows do not match the batch".into())
}

/// A stored message with its delivery job's id, as the PostgreSQL batch returns it.
#[derive(sqlx::FromRow)]
struct StoredRow {
    #[sqlx(flatten)]
    message: MessageRow,
    job_id: Option<i64>,
}

/// PostgreSQL: one statement, rows as arrays (see `insert_messages_bulk_pg` for why).
async fn insert_batch_pg(
    p: &sqlx::PgPool,
    messages: &[&QueuedMessage],
    lease: Option<&Lease>,
) -> Result<Vec<(MessageRow, Option<i64>)>> {
    let column = |f: fn(&QueuedMessage) -> i64| messages.iter().map(|m| f(m)).collect::<Vec<_>>();
    let text = |f: fn(&QueuedMessage) -> &str| messages.iter().map(|m| f(m)).collect::<Vec<_>>();
    let rows: Vec<StoredRow> = sqlx::query_as(
        "WITH m AS (
           INSERT INTO messages (partner_id, staff_id, title, body, source, status, created_at, idempotency_key, ack_required, sent_by)
           SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $12::text[], $13::boolean[], $14::text[])
           RETURNING id, partner_id, staff_id, title, body, source, status, status_reason, created_at, sent_at, delivered_at, read_at, ack_required, acked_at
         ), events AS (
           INSERT INTO message_events (message_id, status, detail, created_at)
           SELECT id, status, replace(CASE WHEN status = 'no_device' THEN $8 ELSE $9 END, '{source}', source), created_at FROM m
         ), jobs AS (
           INSERT INTO deliveries (message_id, due_at, created_at, lease_owner, attempts)
           SELECT id, COALESCE($11, created_at), created_at, $10, CASE WHEN $10::text IS NULL THEN 0 ELSE 1 END
           FROM m WHERE status = 'queued'
           RETURNING id, message_id
         )
         SELECT m.*, jobs.id AS job_id FROM m LEFT JOIN jobs ON jobs.message_id = m.id",
    )
    .bind(column(|m| m.partner_id))
    .bind(column(|m| m.staff_id))
    .bind(text(|m| &m.title))
    .bind(text(|m| &m.body))
    .bind(text(|m| &m.source))
    .bind(text(|m| m.status.as_str()))
    .bind(column(|m| m.now))
    .bind(creation_detail_template(MessageStatus::NoDevice))
    .bind(creation_detail_template(MessageStatus::Queued))
    .bind(lease.map(|l| &*l.owner))
    .bind(lease.map(|l| l.until))
    .bind(
        messages
            .iter()
            .map(|m| m.idempotency_key.as_ref().map(IdempotencyKey::as_str))
            .collect::<Vec<_>>(),
    )
    .bind(messages.iter().map(|m| m.ack_required).collect::<Vec<_>>())
    .bind(text(|m| &m.sent_by))
    .fetch_all(p)
    .await?;
    Ok(rows.into_iter().map(|r| (r.message, r.job_id)).collect())
}

/// SQLite: a batch of single messages, stored by `insert_rows_sqlite`.
async fn insert_batch_sqlite(
    p: &sqlx::SqlitePool,
    messages: &[&QueuedMessage],
    lease: Option<&Lease>,
    pushes: &[&SentPush],
    sent_at: Millis,
) -> Result<Vec<(MessageRow, Option<i64>)>> {
    let rows: Vec<_> = messages
        .iter()
        .map(|m| {
            (
                m.partner_id,
                m.staff_id,
                m.title.as_str(),
                m.body.as_str(),
                m.source.as_str(),
                m.status,
                m.now,
                m.idempotency_key.as_ref().map(IdempotencyKey::as_str),
                m.ack_required,
                Some(m.sent_by.as_str()),
            )
        })
        .collect();
    let (last, mut job_ids) = insert_rows_sqlite(p, &rows, lease, pushes, sent_at, None).await?;
    let n = messages.len() as i64;
    Ok(messages
        .iter()
        .zip(last - n + 1..)
        .map(|(m, id)| {
            let job_id = (m.status == MessageStatus::Queued)
                .then(|| job_ids.next())
                .flatten();
            (stored_row(m, id), job_id)
        })
        .collect())
}

fn stored_row(m: &QueuedMessage, id: i64) -> MessageRow {
    MessageRow {
        id,
        partner_id: m.partner_id,
        staff_id: m.staff_id,
        title: m.title.clone(),
        body: m.body.clone(),
        source: m.source.clone(),
        status: m.status.as_str().to_owned(),
        status_reason: None,
        created_at: m.now,
        sent_at: None,
        delivered_at: None,
        read_at: None,
        ack_required: m.ack_required,
        acked_at: None,
        sent_by: None,
        sms_at: None,
        files: 0,
    }
}

/// The columns of one new message, in `messages` order: partner, employee, title, text,
/// source, status, creation time, idempotency key, whether it asks to be acknowledged, who sent
/// it.
pub(super) type NewRow<'a> = (
    i64,
    i64,
    &'a str,
    &'a str,
    &'a str,
    MessageStatus,
    Millis,
    Option<&'a str>,
    bool,
    Option<&'a str>,
);

/// SQLite: the statements that store new messages, their first history entries and the jobs
/// of the queued ones. Binds: $1 the rows (`new_rows_json`), $2 their number, $3 and $4 the
/// history texts (`creation_detail_template`), $5 and $6 the lease's owner and end (NULL for
/// jobs that wait for any worker), `$send` the send's id (NULL for single messages). They must
/// run under the write lock (BEGIN IMMEDIATE): the history entries and jobs are selected as the
/// last $2 messages.
macro_rules! new_rows_sql {
    ($send:literal) => {
        concat!(
        "INSERT INTO messages (partner_id, staff_id, title, body, source, status, created_at, idempotency_key, ack_required, sent_by, send_id)
           SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, value ->> 7, value ->> 8, value ->> 9, ",
        $send,
        "
           FROM json_each($1) ORDER BY key;
         INSERT INTO message_events (message_id, status, detail, created_at)
           SELECT id, status, replace(CASE WHEN status = 'no_device' THEN $3 ELSE $4 END, '{source}', source), created_at
           FROM messages WHERE id > (SELECT max(id) FROM messages) - $2 ORDER BY id;
         INSERT INTO deliveries (message_id, due_at, created_at, lease_owner, attempts)
           SELECT id, COALESCE($6, created_at), created_at, $5, CASE WHEN $5 IS NULL THEN 0 ELSE 1 END
           FROM messages WHERE id > (SELECT max(id) FROM messages) - $2 AND status = 'queued' ORDER BY id;
         "
        )
    };
}

fn new_rows_json(rows: &[NewRow<'_>]) -> Result<String> {
    serde_json::to_string(
        &rows
            .iter()
            .map(
                |&(partner, staff, title, body, source, status, now, key, ack, sent_by)| {
                    (
                        partner,
                        staff,
                        title,
                        body,
                        source,
                        status.as_str(),
                        now,
                        key,
                        ack,
                        sent_by,
                    )
                },
            )
            .collect::<Vec<_>>(),
    )
    .map_err(|e| Error::Internal(format!("new message rows: {e}")))
}

/// SQLite: stores `rows` as `insert_rows_sqlite` does (jobs unleased), as the send `send_id`,
/// inside the caller's transaction, which must hold the write lock; returns the id of the last
/// message.
pub(super) async fn insert_rows_sqlite_in(
    conn: &mut sqlx::SqliteConnection,
    rows: &[NewRow<'_>],
    send_id: i64,
) -> Result<i64> {
    let last: i64 = sqlx::query_scalar(concat!(
        new_rows_sql!("$7"),
        "SELECT COALESCE(max(id), 0) FROM messages;"
    ))
    .bind(new_rows_json(rows)?)
    .bind(rows.len() as i64)
    .bind(creation_detail_template(MessageStatus::NoDevice))
    .bind(creation_detail_template(MessageStatus::Queued))
    .bind(None::<&str>)
    .bind(None::<Millis>)
    .bind(send_id)
    .fetch_one(conn)
    .await?;
    Ok(last)
}

/// SQLite: stores `rows` (messages, their first history entries and the delivery jobs of the
/// queued ones, leased when `lease` is given) as ONE transaction in ONE call to the writer
/// connection, and returns the id of the last message (the others are the consecutive ids
/// before it, in the order given) and the ids of the jobs, in the order of the queued rows.
/// `send_id` is the send the rows are (`None`: each message is its own). `pushes` accepted by
/// the providers are recorded in the same transaction, first (see
/// `Store::deliveries_sent`): their jobs deleted, their messages `sent` unless the app
/// confirmed them meanwhile (those only get `sent_at`), history entries for the ones that moved.
///
/// Three INSERTs with RETURNING cost 5 + n hand-offs to sqlx-sqlite's thread (a 10,000
/// recipient bulk spent a third of its time there). Here the rows travel as one JSON array
/// (one statement text whatever the count, so it is prepared once), the history entries and
/// jobs are selected from the messages just inserted, and one row comes back (see
/// `sqlite_write_in_one_call`). BEGIN IMMEDIATE holds the write lock until COMMIT, so the
/// AUTOINCREMENT ids are the consecutive `last - n + 1 ..= last`, and so are the jobs'.
pub(super) async fn insert_rows_sqlite(
    p: &sqlx::SqlitePool,
    rows: &[NewRow<'_>],
    lease: Option<&Lease>,
    pushes: &[&SentPush],
    sent_at: Millis,
    send_id: Option<i64>,
) -> Result<(i64, std::ops::Range<i64>)> {
    let queued = rows.iter().filter(|r| r.5 == MessageStatus::Queued).count() as i64;
    let json = new_rows_json(rows)?;
    let pushes = serde_json::to_string(
        &pushes
            .iter()
            .map(|push| (push.job_id, push.message_id, push.detail.as_str()))
            .collect::<Vec<_>>(),
    )
    .map_err(|e| Error::Internal(format!("sent pushes: {e}")))?;
    let answer = super::sqlite_write_in_one_call(
        p,
        sqlx::query(concat!(
            "BEGIN IMMEDIATE;
             DELETE FROM deliveries WHERE id IN (SELECT value ->> 0 FROM json_each($7));
             INSERT INTO message_events (message_id, status, detail, created_at)
               SELECT m.id, 'sent', j.value ->> 2, $8
               FROM json_each($7) j JOIN messages m ON m.id = j.value ->> 1
               WHERE m.status IN ('queued', 'failed', 'no_device') ORDER BY j.key;
             ",
            recall_after_push_sql!(
                "INSERT INTO deliveries (message_id, attempts, due_at, created_at)
                 SELECT m.id, 0, $8, $8 FROM json_each($7) j JOIN messages m ON m.id = j.value ->> 1"
            ),
            ";
             UPDATE messages
               SET sent_at = COALESCE(sent_at, $8),
                   status_reason = CASE WHEN status IN ('queued', 'failed', 'no_device') THEN NULL ELSE status_reason END,
                   status = CASE WHEN status IN ('queued', 'failed', 'no_device') THEN 'sent' ELSE status END
               WHERE id IN (SELECT value ->> 1 FROM json_each($7));
             ",
            new_rows_sql!("$9"),
            "SELECT COALESCE(max(id), 0), (SELECT max(id) FROM deliveries) FROM messages;
             COMMIT;"
        ))
        .bind(json)
        .bind(rows.len() as i64)
        .bind(creation_detail_template(MessageStatus::NoDevice))
        .bind(creation_detail_template(MessageStatus::Queued))
        .bind(lease.map(|l| &*l.owner))
        .bind(lease.map(|l| l.until))
        .bind(pushes)
        .bind(sent_at)
        .bind(send_id),
    )
    .await?;
    match answer.as_slice() {
        [row] => {
            let last_job: Option<i64> = sqlx::Row::try_get(row, 1)?;
            let last_job = last_job.unwrap_or(0);
            Ok((
                sqlx::Row::try_get(row, 0)?,
                last_job - queued + 1..last_job + 1,
            ))
        }
        rows => Err(Error::Internal(format!(
            "storing messages: {} rows answered instead of one",
            rows.len()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SQLite: a round's pushes recorded in the transaction of new messages move only the
    /// messages still waiting for a push (one the app confirmed keeps its status and gets
    /// `sent_at`), delete their jobs, write history for the ones that moved, and the new
    /// messages get their rows, history and jobs as when stored alone.
    #[tokio::test]
    async fn pushes_recorded_with_new_messages_move_only_those_waiting() {
        let (_dir, store, p) = crate::store::temp_sqlite().await;
        let p = &p;
        store
            .execute_script(
                "INSERT INTO partners (id, inn, short_name, full_name, password_hash, created_at)
                   VALUES (1, '7707083893', 'В', 'В', '-', 0);
                 INSERT INTO staff (id, partner_id, phone, name, created_at, updated_at)
                   VALUES (5, 1, '+79990000000', 'И', 0, 0);",
            )
            .await
            .unwrap();
        let row = |title| {
            (
                1,
                5,
                title,
                "текст",
                "api",
                MessageStatus::Queued,
                10,
                None,
                false,
                Some("api"),
            )
        };
        let (last, jobs) =
            insert_rows_sqlite(p, &[row("первое"), row("второе")], None, &[], 0, None)
                .await
                .unwrap();
        let (first, second) = (last - 1, last);
        store
            .execute_script(&format!(
                "UPDATE messages SET status = 'read' WHERE id = {second}"
            ))
            .await
            .unwrap();
        let pushes: Vec<SentPush> = [first, second]
            .into_iter()
            .zip(jobs)
            .map(|(message_id, job_id)| SentPush {
                job_id,
                message_id,
                detail: "Принято провайдером test".into(),
            })
            .collect();
        let pushes: Vec<&SentPush> = pushes.iter().collect();
        let (third, new_jobs) = insert_rows_sqlite(p, &[row("третье")], None, &pushes, 20, None)
            .await
            .unwrap();
        assert_eq!(third, second + 1);

        let messages: Vec<(i64, String, Option<i64>)> =
            sqlx::query_as("SELECT id, status, sent_at FROM messages ORDER BY id")
                .fetch_all(p)
                .await
                .unwrap();
        assert_eq!(
            messages,
            [
                (first, "sent".into(), Some(20)),
                (second, "read".into(), Some(20)),
                (third, "queued".into(), None),
            ]
        );
        let queue: Vec<(i64, i64)> = sqlx::query_as("SELECT id, message_id FROM deliveries")
            .fetch_all(p)
            .await
            .unwrap();
        assert_eq!(
            queue,
            [(new_jobs.start, third)],
            "only the new message's job is left"
        );
        assert_eq!(new_jobs.end - new_jobs.start, 1);
        let sent_events: Vec<(i64,)> =
            sqlx::query_as("SELECT message_id FROM message_events WHERE status = 'sent'")
                .fetch_all(p)
                .await
                .unwrap();
        assert_eq!(
            sent_events,
            [(first,)],
            "history only for the message that moved"
        );
        let created: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM message_events WHERE message_id = $1 AND status = 'queued'",
        )
        .bind(third)
        .fetch_one(p)
        .await
        .unwrap();
        assert_eq!(created, 1);
    }
}
