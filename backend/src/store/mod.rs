//! The one place SQL lives. SQLite (embedded default) and PostgreSQL sit behind one API.
//!
//! Queries are written once in the dialect both databases share (`$1` placeholders,
//! `ON CONFLICT`, `RETURNING`); where they differ, each store function says so.

mod acks;
mod admin_access;
mod admins;
mod api_keys;
mod audit;
mod cabinet;
mod deliveries;
mod direct;
mod erase;
mod files;
mod group_commit;
mod groups;
mod handoff;
mod message_list;
mod messages;
mod operator_journal;
mod outage;
mod partners;
mod recall;
mod reminders;
mod resend;
mod retention;
mod schedule;
mod sealed;
mod search_index;
mod second_factor;
mod sms;
mod sms_fallback;
mod staff;
mod staff_browse;
mod staff_list;
mod staff_lookup;
mod staff_sync;
mod templates;
mod usage;
mod webhooks;

pub use acks::{AwaitingAck, SendAcks};
pub use admin_access::{AccessRow, GrantedAccess, OfferedAccess};
pub use admins::{ADMIN_ROLE, AdminRow, CodePolicy, HR, SENDER, VIEWER};
pub use api_keys::{ApiKey, ApiKeyRow, KeyAccess, MAX_ADDRESSES, NewApiKey, parse_addresses};
pub use audit::{AuditFilter, AuditRow, NewAudit};
pub use cabinet::{LoginFailures, NewSession, OperatorRow, SessionKind, SessionRow};
pub use deliveries::{BulkCreated, Carries, ClaimedDelivery, MessageEvent, SentPush, Texts};
pub use erase::Erased;
pub use files::{FileData, FileListRow, FileRow, FileStored, FilesByMessage, MessageFile};
pub use groups::{GroupDeleted, GroupInput, GroupRow};
pub use handoff::Handoff;
pub use message_list::{
    CursorValue, ListPlan, MessageExportRow, MessageListQuery, MessageListRow, MessageSort,
    MessageStats, OneSend, decode_cursor, encode_cursor, search_words, sender_filter,
};
pub use messages::{
    Keyed, MessageQuery, MessageRow, MessageStatus, NewMessage, Origin, Report, SendKey,
};
pub use operator_journal::{NewOperatorEvent, OperatorEventRow};
pub use partners::{KeyUse, NewPartner, PartnerRow};
pub use recall::{RECALLED_PAGE, Recall};
pub use reminders::{AckCursor, OverdueAcks, SendReminders};
pub use schedule::{
    FilesBySend, NewScheduled, ScheduledChange, ScheduledFile, ScheduledOutcome, ScheduledRow,
};
pub use sealed::{KeyRotation, Resealed, Sealer, SecretCensus};
pub use second_factor::{Awaiting, ChallengeRow, NewChallenge, SecondFactorRow};
pub use sms::SmsCodeRow;
pub use sms_fallback::{DueSms, SmsClaim, SmsCursor, SmsFallback, SmsPartner, WantedInvitation};
pub use staff::{StaffRow, StaffState};
pub use staff_browse::{StaffFilter, StaffSearch, StaffTally};
pub use staff_list::{Listed, ListedStaff, StaffListed};
pub use staff_sync::{SYNC_TTL, StaffSyncRow, SyncFinished};
pub use templates::{TemplateInput, TemplateRow};
pub use usage::PartnerUsage;
pub use webhooks::{
    Delivered, LeasedWebhook, StaffHookEvent, WebhookAttempt, WebhookEvent, WebhookRow,
};

use crate::error::{Error, Result};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::time::Duration;

/// PostgreSQL: jobs through the delivery queue between two vacuums of it by the server (about
/// one a second at full createmessage load on 2 cores; each takes 2–5 ms then).
const QUEUE_VACUUM_EVERY: u64 = 2000;

#[derive(Clone)]
pub enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// How long a call waits for a PostgreSQL connection (a free one, or a new one while the
/// server is unreachable) before it is answered "unavailable, repeat in a few seconds".
const PG_WAIT: Duration = Duration::from_secs(10);

#[derive(Clone)]
pub struct Store {
    pool: Pool,
    /// Where writes go. SQLite: one connection of its own, so the server's writers queue
    /// in-process, in order, instead of meeting on the database lock, where SQLite's busy
    /// handler sleeps 1, 2, 5 … 100 ms between tries (that was the p99 of `createmessage`).
    /// PostgreSQL: the same pool.
    writer: Pool,
    /// The group-commit task's queue (see `group_commit`).
    group: group_commit::Writer,
    /// PostgreSQL: the grouped employee reads' queue (see `staff_lookup`).
    staff_readers: staff_lookup::Readers,
    tokens: partners::TokenCache,
    /// SQLite: the hot reads, run in place (see `direct`); `None` on PostgreSQL.
    direct: Option<std::sync::Arc<direct::SqliteReads>>,
    /// SQLite: the one connection that writes the search index's file (see `search_index`);
    /// `None` on PostgreSQL.
    search_indexer: Option<SqlitePool>,
    /// Jobs claimed since the delivery queue was last vacuumed (see `vacuum_queue_if_churned`).
    queue_churn: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// New jobs on their way to this process's push workers (see `handoff`).
    handoff: std::sync::Arc<Handoff>,
    /// This process stored jobs in the outbox unleased since a worker last looked there (see
    /// `Store::outbox_hinted`).
    outbox_hint: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// PostgreSQL known to be out of reach (see `outage`).
    outage: std::sync::Arc<outage::Outage>,
    /// The server's key that seals secrets at rest (see `sealed`); unset: stored as they are.
    sealer: std::sync::Arc<std::sync::OnceLock<sealed::Sealer>>,
    /// SQLite: where the key lives when none is configured (`<database file>-key`).
    key_file: Option<std::path::PathBuf>,
    /// The key file, open with a shared lock until the store is closed: a `secret-key rotate`
    /// run meanwhile is refused (see `sealed::hold_key_file`).
    key_file_held: std::sync::Arc<std::sync::Mutex<Option<std::fs::File>>>,
}

/// Runs the same query code against whichever pool is configured; the body is
/// type-checked once per driver, so a query that one database cannot take fails to compile.
macro_rules! with_pool {
    ($store:expr, $p:ident => $body:expr) => {
        match &$store.pool {
            $crate::store::Pool::Sqlite($p) => $body,
            $crate::store::Pool::Postgres($p) => $body,
        }
    };
}
pub(crate) use with_pool;

/// SQL text with its bind values: only fixed fragments are ever appended to the text.
pub(crate) struct Sql {
    pub text: String,
    pub binds: Vec<CursorValue>,
}

impl Sql {
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            binds: Vec::new(),
        }
    }

    /// Adds a bind value; returns its placeholder (`$3`) for the text.
    pub fn bind(&mut self, v: CursorValue) -> String {
        self.binds.push(v);
        format!("${}", self.binds.len())
    }
}

/// Binds the values in order onto a query of either driver.
macro_rules! bind_all {
    ($query:expr, $binds:expr) => {{
        let mut query = $query;
        for v in $binds {
            query = match v {
                $crate::store::CursorValue::Int(i) => query.bind(*i),
                $crate::store::CursorValue::Text(t) => query.bind(t.clone()),
            };
        }
        query
    }};
}
pub(crate) use bind_all;

/// `with_pool!` for writes: the body runs on the store's writer (see `Store::writer`).
macro_rules! with_writer {
    ($store:expr, $p:ident => $body:expr) => {
        match &$store.writer {
            $crate::store::Pool::Sqlite($p) => $body,
            $crate::store::Pool::Postgres($p) => $body,
        }
    };
}
pub(crate) use with_writer;

/// `with_writer!` for statements: yields the number of rows they changed.
macro_rules! exec {
    ($store:expr, $p:ident => $body:expr) => {
        match &$store.writer {
            $crate::store::Pool::Sqlite($p) => $body.map(|r| r.rows_affected()),
            $crate::store::Pool::Postgres($p) => $body.map(|r| r.rows_affected()),
        }
    };
}
pub(crate) use exec;

/// IDs as one JSON array, for SQLite's `json_each`: one bound value whatever the count (SQLite
/// caps a statement's variables), where PostgreSQL binds the array itself.
pub(crate) fn ids_json(ids: &[i64]) -> Result<String> {
    serde_json::to_string(ids).map_err(|e| Error::Internal(format!("ids: {e}")))
}

/// SQLite: runs a whole transaction (`BEGIN IMMEDIATE; …; COMMIT;`) as ONE call to the
/// writer connection and returns the rows its statements produced. sqlx-sqlite hands every
/// call and every row across to the connection's thread; on two busy cores each hand-off
/// waits for a scheduler turn while the write lock is held. If a statement fails, the
/// transaction is left open: the connection is closed, which rolls it back, and the pool
/// opens another.
pub(crate) async fn sqlite_write_in_one_call(
    p: &SqlitePool,
    q: sqlx::query::Query<'_, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>,
) -> Result<Vec<sqlx::sqlite::SqliteRow>> {
    let mut conn = p.acquire().await?;
    match q.fetch_all(&mut *conn).await {
        Ok(rows) => Ok(rows),
        Err(e) => {
            conn.close_on_drop();
            Err(e.into())
        }
    }
}

/// `true` when a unique constraint refused the row: the caller turns that into a 409.
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// `result`, with a unique constraint's refusal told as a 409 in the caller's words (`taken`).
pub(crate) fn taken_is_conflict<T>(
    result: std::result::Result<T, sqlx::Error>,
    taken: impl FnOnce() -> crate::phrase::Phrase,
) -> Result<T> {
    result.map_err(|e| match is_unique_violation(&e) {
        true => Error::Conflict(taken()),
        false => e.into(),
    })
}

impl Store {
    /// Connects (creating the SQLite file and its folder on first start) without migrating.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self> {
        if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)
                .map_err(|e| Error::Config(format!("SIMO_DATABASE_URL: {e}")))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // NORMAL in WAL mode loses at most the last commits on power loss, never integrity.
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                // Statements that need scratch space (RETURNING, sorts) otherwise create and
                // unlink a file in /var/tmp each time: ~20 per second under load.
                .pragma("temp_store", "memory")
                // The server checkpoints in the background (`spawn_maintenance`); this is the
                // backstop for when it does not run (CLI commands) or falls behind: 32 MB.
                .pragma("wal_autocheckpoint", "8192")
                // After a burst the WAL file is cut back to 64 MB instead of keeping its peak size.
                .pragma("journal_size_limit", "67108864")
                .busy_timeout(Duration::from_secs(10));
            if let Some(parent) = opts.get_filename().parent()
                && !parent.as_os_str().is_empty()
            {
                std::fs::create_dir_all(parent)?;
            }
            let opts_path = &opts.get_filename().to_owned();
            // An in-memory database lives inside sqlx's connections: nothing else can open it.
            let in_memory = url.contains(":memory:") || url.contains("mode=memory");
            let search = search_index::index_location(&opts, in_memory);
            // First: the index's tables must exist before a reader attaches it.
            let indexer = search_index::indexer_pool(opts.clone(), search.clone()).await?;
            search_index::forget_if_ahead(&indexer).await?;
            let writer = SqlitePoolOptions::new()
                .max_connections(1)
                .after_connect(|conn, _| Box::pin(direct::plan_once_sqlx(conn)))
                .connect_with(opts.clone())
                .await?;
            let readers = SqlitePoolOptions::new()
                .max_connections(max_connections.max(1))
                .after_connect(move |conn, _| {
                    let search = search.clone();
                    Box::pin(async move {
                        direct::plan_once_sqlx(conn).await?;
                        search_index::attach(conn, &search).await
                    })
                })
                .connect_with(opts)
                .await?;
            let direct =
                (!in_memory).then(|| std::sync::Arc::new(direct::SqliteReads::new(opts_path)));
            let mut store = Self::from_pools(Pool::Sqlite(readers), Pool::Sqlite(writer), direct);
            store.search_indexer = Some(indexer);
            store.key_file = (!in_memory).then(|| {
                let mut path = opts_path.as_os_str().to_owned();
                path.push("-key");
                path.into()
            });
            Ok(store)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let opts = PgConnectOptions::from_str(url)
                .map_err(|e| Error::Config(format!("SIMO_DATABASE_URL: {e}")))?;
            let opts = plain_on_loopback(opts, url, std::env::var_os("PGSSLMODE").is_some());
            let pool = Pool::Postgres(Self::pg_pool(opts, max_connections, PG_WAIT).await?);
            Ok(Self::from_pools(pool.clone(), pool, None))
        } else {
            Err(Error::Config(
                "SIMO_DATABASE_URL must start with sqlite: or postgres:".into(),
            ))
        }
    }

    fn from_pools(
        pool: Pool,
        writer: Pool,
        direct: Option<std::sync::Arc<direct::SqliteReads>>,
    ) -> Self {
        Self {
            pool,
            writer,
            tokens: Default::default(),
            group: Default::default(),
            staff_readers: Default::default(),
            direct,
            search_indexer: None,
            queue_churn: Default::default(),
            handoff: Default::default(),
            // Jobs of an earlier run may be waiting.
            outbox_hint: std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true)),
            outage: Default::default(),
            sealer: Default::default(),
            key_file: None,
            key_file_held: Default::default(),
        }
    }

    /// Keeps the database in shape in the background, every `every`, so that none of it
    /// happens inside a message's commit. SQLite: indexes new messages for search (see
    /// `search_index`) and checkpoints the WAL (see `direct::SqliteReads::checkpoint`).
    /// PostgreSQL: vacuums the delivery queue once enough jobs went through it. Runs until
    /// aborted; `None` for an in-memory SQLite database.
    pub fn spawn_maintenance(&self, every: Duration) -> Option<tokio::task::JoinHandle<()>> {
        let store = self.sharing_pools();
        if let Pool::Postgres(_) = &self.writer {
            return Some(tokio::spawn(async move {
                loop {
                    tokio::time::sleep(every).await;
                    store.until_reachable().await;
                    if let Err(e) = store.vacuum_queue_if_churned(QUEUE_VACUUM_EVERY).await {
                        tracing::warn!(error = %e, "vacuum of the delivery queue failed");
                        store.note_failure(&e);
                    }
                }
            }));
        }
        let direct = std::sync::Arc::downgrade(self.direct.as_ref()?);
        Some(tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                if let Err(e) = store.search_catch_up().await {
                    tracing::warn!(error = %e, "search indexing failed; retried next round");
                }
                let Some(direct) = direct.upgrade() else {
                    return;
                };
                match tokio::task::spawn_blocking(move || direct.checkpoint()).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => tracing::warn!(error = %e, "WAL checkpoint failed"),
                    Err(e) => tracing::warn!(error = %e, "WAL checkpoint task failed"),
                }
            }
        }))
    }

    /// SQLite: one checkpoint now, what the background task does (`None` on PostgreSQL).
    /// Returns the frames in the WAL and how many of them the database file now holds.
    pub fn checkpoint_wal(&self) -> Result<Option<(i64, i64)>> {
        self.direct.as_ref().map(|d| d.checkpoint()).transpose()
    }

    /// Keeps partner-token lookups for `ttl` (zero: never); see `partner_by_token`.
    pub fn with_auth_cache(mut self, ttl: Duration) -> Self {
        self.tokens = partners::TokenCache::new(ttl);
        self
    }

    /// A store sharing this one's pools and queue-churn count, but not its group-commit
    /// writer task.
    fn sharing_pools(&self) -> Self {
        Self {
            queue_churn: self.queue_churn.clone(),
            handoff: self.handoff.clone(),
            outbox_hint: self.outbox_hint.clone(),
            search_indexer: self.search_indexer.clone(),
            sealer: self.sealer.clone(),
            key_file_held: self.key_file_held.clone(),
            key_file: self.key_file.clone(),
            outage: self.outage.clone(),
            ..Self::from_pools(self.pool.clone(), self.writer.clone(), self.direct.clone())
        }
    }

    async fn pg_pool(
        opts: PgConnectOptions,
        max_connections: u32,
        wait: Duration,
    ) -> Result<PgPool> {
        Ok(PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(wait)
            .connect_with(opts)
            .await?)
    }

    /// A PostgreSQL store confined to one schema: how tests get a fresh database cheaply.
    pub async fn connect_pg_schema(url: &str, schema: &str, max_connections: u32) -> Result<Self> {
        Self::connect_pg_schema_waiting(url, schema, max_connections, PG_WAIT).await
    }

    /// `connect_pg_schema` whose calls give up on the database after `wait` (a test of an
    /// outage need not wait the server's ten seconds).
    pub async fn connect_pg_schema_waiting(
        url: &str,
        schema: &str,
        max_connections: u32,
        wait: Duration,
    ) -> Result<Self> {
        let opts = PgConnectOptions::from_str(url)
            .map_err(|e| Error::Config(format!("postgres url: {e}")))?
            .options([("search_path", schema)]);
        let opts = plain_on_loopback(opts, url, std::env::var_os("PGSSLMODE").is_some());
        let pool = Pool::Postgres(Self::pg_pool(opts, max_connections, wait).await?);
        Ok(Self::from_pools(pool.clone(), pool, None))
    }

    pub async fn migrate(&self) -> Result<()> {
        match &self.pool {
            Pool::Sqlite(p) => sqlx::migrate!("./migrations/sqlite").run(p).await?,
            Pool::Postgres(p) => sqlx::migrate!("./migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// The connection pools as they are now, for the metrics.
    pub fn pool_stats(&self) -> Vec<crate::metrics::PoolStats> {
        fn stats<DB: sqlx::Database>(
            pool: &'static str,
            p: &sqlx::Pool<DB>,
        ) -> crate::metrics::PoolStats {
            crate::metrics::PoolStats {
                pool,
                open: p.size(),
                idle: u32::try_from(p.num_idle()).unwrap_or(u32::MAX),
                max: p.options().get_max_connections(),
            }
        }
        match &self.pool {
            // One pool for reads and writes.
            Pool::Postgres(p) => vec![stats("main", p)],
            Pool::Sqlite(read) => {
                let mut all = vec![stats("read", read)];
                if let Pool::Sqlite(write) = &self.writer {
                    all.push(stats("write", write));
                }
                all
            }
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.pool, Pool::Postgres(_))
    }

    /// True while PostgreSQL is known to be out of reach (see `outage`): calls are then
    /// answered 503 at once instead of after the pool's wait. Never on SQLite.
    pub fn database_known_down(&self) -> bool {
        self.outage.is_down()
    }

    /// A call was answered 503: probes PostgreSQL off the call's path, so that while it cannot
    /// be reached `database_known_down` says so. Nothing on SQLite, where a 503 is a lock or a
    /// full disk, which hold up a write while reads go on.
    pub fn suspect_outage(&self) {
        if let Pool::Postgres(p) = &self.pool {
            self.outage.suspect(p.clone());
        }
    }

    /// A call or a background round failed with `e`: if the database could not serve it, has
    /// the store probe whether PostgreSQL is out of reach (`suspect_outage`).
    pub fn note_failure(&self, e: &Error) {
        if e.is_unavailable() {
            self.suspect_outage();
        }
    }

    /// Returns once no probe of PostgreSQL runs: at once, or when the probe gets through.
    /// Background rounds wait here, so that during an outage they do not each wait out the pool
    /// and log it, and they go on as soon as the database is back.
    pub async fn until_reachable(&self) {
        self.outage.until_up().await
    }

    /// True while a probe of PostgreSQL runs (see `suspect_outage`).
    pub fn probing_outage(&self) -> bool {
        self.outage.probing()
    }

    /// How many background tasks wait in `until_reachable` now, for `/metrics`.
    pub fn background_waiting(&self) -> usize {
        self.outage.waiting()
    }

    /// For `/readyz`: the database answers a trivial query.
    pub async fn ping(&self) -> Result<()> {
        exec!(self, p => sqlx::query("SELECT 1").execute(p).await)?;
        Ok(())
    }

    /// Runs trusted SQL as is: for tests and maintenance, never with user input.
    #[doc(hidden)]
    pub async fn execute_script(&self, sql: &str) -> Result<u64> {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        Ok(exec!(self, p => sqlx::raw_sql(sql).execute(p).await)?)
    }

    pub async fn close(&self) {
        with_pool!(self, p => p.close().await);
        with_writer!(self, p => p.close().await);
        if let Some(indexer) = &self.search_indexer {
            indexer.close().await
        }
        // Unlocked: the key file is the command line's to rotate now.
        self.key_file_held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
    }
}

/// A database on this machine is reached without TLS unless the URL (or `PGSSLMODE`) asks
/// for it. The driver's default, `prefer`, encrypts whenever the server offers it, and over
/// loopback that protects nothing (whoever can read loopback traffic can read the database
/// files) but costs: 166 against 119 µs of machine CPU per round trip of an indexed
/// `SELECT` (pgbench, 32 clients, this machine), and `createmessage` makes one or two.
fn plain_on_loopback(opts: PgConnectOptions, url: &str, env_sslmode: bool) -> PgConnectOptions {
    let asked = env_sslmode || url.contains("sslmode=") || url.contains("ssl-mode=");
    let host = opts.get_host();
    let local = host.starts_with('/')
        || host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if local && !asked {
        opts.ssl_mode(sqlx::postgres::PgSslMode::Disable)
    } else {
        opts
    }
}

/// A migrated SQLite store in a fresh folder, with its writer pool, for unit tests that look
/// at SQL directly; the folder goes when the `TempDir` does.
#[cfg(test)]
pub(crate) async fn temp_sqlite() -> (tempfile::TempDir, Store, SqlitePool) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
    let store = Store::connect(&url, 1).await.unwrap();
    store.migrate().await.unwrap();
    let Pool::Sqlite(p) = store.writer.clone() else {
        unreachable!("a sqlite: URL")
    };
    (dir, store, p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::postgres::PgSslMode;

    fn mode(url: &str, env: bool) -> PgSslMode {
        let opts = PgConnectOptions::from_str(url).unwrap();
        plain_on_loopback(opts, url, env).get_ssl_mode()
    }

    #[test]
    fn loopback_goes_without_tls_unless_asked() {
        for url in [
            "postgres://postgres@127.0.0.1:5432/simo",
            "postgres://postgres@localhost/simo",
            "postgres://postgres@[::1]:5432/simo",
            "postgres://postgres@127.0.0.2/simo",
            "postgres:///simo?host=/var/run/postgresql",
        ] {
            assert!(matches!(mode(url, false), PgSslMode::Disable), "{url}");
        }
        let asked = "postgres://postgres@127.0.0.1/simo?sslmode=require";
        assert!(matches!(mode(asked, false), PgSslMode::Require));
        // PGSSLMODE set: whatever the driver read from it stands.
        assert!(!matches!(
            mode("postgres://postgres@127.0.0.1/simo", true),
            PgSslMode::Disable
        ));
        assert!(matches!(
            mode("postgres://postgres@db.example.ru/simo", false),
            PgSslMode::Prefer
        ));
    }

    /// SQLite's plan of `sql`, a line per step (`EXPLAIN QUERY PLAN`'s detail column).
    async fn plan_of(p: &SqlitePool, sql: &str) -> Vec<String> {
        let rows: Vec<(i64, i64, i64, String)> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
                .fetch_all(p)
                .await
                .unwrap();
        rows.into_iter().map(|row| row.3).collect()
    }

    /// The card's and the message page's counts read the employee's and the send's own index,
    /// not the partner's (which SQLite without statistics prefers for an equality).
    #[tokio::test]
    async fn an_employees_and_a_sends_counts_read_their_own_index() {
        let (_dir, _store, p) = temp_sqlite().await;
        for (sql, index) in [
            (recall::STAFF_TALLY, "messages_staff_created (staff_id=?)"),
            (recall::SEND_TALLY, "messages_send (send_id=?)"),
        ] {
            let plan = plan_of(&p, sql).await;
            assert!(
                plan.iter()
                    .any(|row| row.ends_with(&format!("USING INDEX {index}"))),
                "{sql}\n{plan:?}"
            );
            assert!(
                !plan.iter().any(|row| row.contains("partner")),
                "{sql}\n{plan:?}"
            );
        }
    }

    /// The SMS walk reads the partner's messages by creation time from its cursor, whatever
    /// other index of the partner's SQLite could take for `partner_id = ?`.
    #[tokio::test]
    async fn the_sms_walk_reads_the_partners_messages_from_its_cursor() {
        let (_dir, _store, p) = temp_sqlite().await;
        let sql = sms_fallback::DUE_SQLITE;
        let plan = plan_of(&p, sql).await;
        assert!(
            plan.iter().any(|row| row.starts_with(
                "SEARCH m USING INDEX messages_partner_created (partner_id=? AND created_at>? AND created_at<?)"
            )),
            "{sql}\n{plan:?}"
        );
    }

    /// The phones typed in the cabinet's send form are found by the (partner, phone) key, not
    /// by walking the partner's employees.
    #[tokio::test]
    async fn typed_phones_are_found_by_their_key() {
        let (_dir, _store, p) = temp_sqlite().await;
        let sql = staff::STAFF_BY_PHONES_SQLITE;
        let plan = plan_of(&p, sql).await;
        assert!(
            plan.iter().any(|row| row.starts_with("SEARCH s USING")
                && row.ends_with("(partner_id=? AND phone=?)")),
            "{sql}\n{plan:?}"
        );
    }

    /// Each statement that takes a list of ids finds them by rowid: the list is bounded, the
    /// partner's messages (or staff) are not. SQLite without statistics picked the partner's
    /// index for these, walking a million messages for a page of a thousand ids.
    #[tokio::test]
    async fn a_list_of_ids_is_found_by_rowid_not_by_walking_the_partner() {
        let (_dir, _store, p) = temp_sqlite().await;
        let statements = [
            ("messages", messages::MESSAGES_BY_IDS_SQLITE),
            ("messages", recall::RECALL_FOUND_SQLITE),
            ("messages", recall::RECALL_SET_SQLITE),
            ("m", reminders::REMIND_SQLITE),
            ("m", resend::RESENDABLE_COUNT_SQLITE),
            ("staff", staff::SET_STATES_SQLITE),
            ("s", groups::ADD_SQLITE),
            ("s", groups::GROUP_STAFF),
        ];
        for (table, sql) in statements {
            let plan = plan_of(&p, sql).await;
            let by_rowid = format!("SEARCH {table} USING INTEGER PRIMARY KEY (rowid=?)");
            assert!(plan.contains(&by_rowid), "{sql}\n{plan:?}");
            assert!(
                !plan
                    .iter()
                    .any(|row| row.contains(&format!("SEARCH {table} USING"))
                        && row.contains("partner")),
                "{sql}\n{plan:?}"
            );
        }
    }
}
