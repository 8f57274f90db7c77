//! PostgreSQL known to be out of reach. While the pool cannot connect, every call waits out the
//! pool's acquire timeout (ten seconds) before its 503, and a caller with many threads (a 1C
//! server) piles them all up behind it. So once a call has been answered 503, a probe tries a
//! connection of its own, off every call's path, and until one succeeds the server answers 503
//! at once. The probe connects past the pool: a pool busy under load is not an outage. The
//! background tasks (push workers, webhook sender, scheduler, reminders, housekeeping) park
//! meanwhile, and go on when the probe gets through.

use sqlx::postgres::{PgConnection, PgPool};
use sqlx::{Connection, Executor};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// How long a probe gives PostgreSQL to accept a connection: on a loaded machine it takes
/// milliseconds, so a probe that takes longer finds it out of reach.
const PROBE_WAIT: Duration = Duration::from_secs(2);

/// Between failed probes.
const PROBE_EVERY: Duration = Duration::from_millis(500);

#[derive(Debug, Default)]
pub(crate) struct Outage {
    /// The last probe could not connect.
    down: AtomicBool,
    /// A probe is running; one at a time.
    probing: AtomicBool,
    /// Woken when a probe gets through.
    back: Notify,
    /// Background tasks parked in `until_up`.
    waiting: AtomicUsize,
}

impl Outage {
    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::Acquire)
    }

    /// Returns once no probe runs: at once, or when the probe gets through. For background
    /// rounds, which would otherwise each wait out the pool and log it; they wait for a probe's
    /// first verdict too, so that a round failed for want of the database is not followed by
    /// another before the probe has said whether it is there.
    pub async fn until_up(&self) {
        // The common case, without touching the notifier's lock: on every push worker's round.
        if !self.probing() {
            return;
        }
        loop {
            // Registered before looking, so a probe that gets through meanwhile still wakes us.
            let back = self.back.notified();
            tokio::pin!(back);
            back.as_mut().enable();
            if !self.probing() {
                return;
            }
            let _parked = Parked::new(&self.waiting);
            back.await;
        }
    }

    /// How many background tasks wait in `until_up` now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// True while a probe runs.
    pub fn probing(&self) -> bool {
        self.probing.load(Ordering::Acquire)
    }

    /// Probes PostgreSQL in the background, unless a probe is already running: sets `is_down`
    /// while connections fail, and clears it when one is made.
    pub fn suspect(self: &Arc<Self>, pool: PgPool) {
        if self.probing.swap(true, Ordering::AcqRel) {
            return;
        }
        let outage = self.clone();
        tokio::spawn(async move {
            let since = Instant::now();
            while let Some(why) = unreachable(&pool).await {
                if !outage.down.swap(true, Ordering::AcqRel) {
                    tracing::error!(
                        error = %why,
                        "PostgreSQL cannot be reached: calls are answered 503 at once until it can"
                    );
                }
                tokio::time::sleep(PROBE_EVERY).await;
            }
            outage.reached(since);
        });
    }

    /// A probe got through: calls go on, and so do the parked background tasks.
    fn reached(&self, since: Instant) {
        if self.down.swap(false, Ordering::AcqRel) {
            tracing::warn!(
                secs = since.elapsed().as_secs(),
                "PostgreSQL can be reached again"
            );
        }
        // Before the wake-up, which the parked tasks check it against.
        self.probing.store(false, Ordering::Release);
        self.back.notify_waiters();
    }
}

/// Counts a task parked in `until_up` for as long as it is, including when the wait is dropped
/// (a worker told to stop).
struct Parked<'a>(&'a AtomicUsize);

impl<'a> Parked<'a> {
    fn new(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::Relaxed);
        Self(count)
    }
}

impl Drop for Parked<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// One probe: why PostgreSQL cannot be reached, or `None` when it can. Only a connection that
/// fails on the way is an outage: a server that answers, even to refuse us (too many
/// connections, a password changed), is there, and our pool's open connections may still work.
/// So may they when no new connection can be made (a host name that no longer resolves, a
/// firewall that drops new connections): one of them answering is not an outage either, or the
/// breaker would refuse calls the pool could serve.
async fn unreachable(pool: &PgPool) -> Option<String> {
    let opts = pool.connect_options();
    let why = match tokio::time::timeout(PROBE_WAIT, PgConnection::connect_with(&opts)).await {
        Err(_) => format!("no connection within {PROBE_WAIT:?}"),
        Ok(Ok(conn)) => {
            if let Err(e) = conn.close().await {
                tracing::debug!(error = %e, "the probe's connection did not close cleanly");
            }
            return None;
        }
        Ok(Err(e)) if lost_on_the_way(&e) => e.to_string(),
        Ok(Err(_)) => return None,
    };
    // An idle connection of the pool's, if it has one (a new one is what just failed).
    let Some(mut conn) = pool.try_acquire() else {
        return Some(why);
    };
    match tokio::time::timeout(PROBE_WAIT, conn.execute("SELECT 1")).await {
        Ok(Ok(_)) => None,
        _ => {
            // Broken, or left halfway by the timeout: not one to hand to a call.
            conn.close_on_drop();
            Some(why)
        }
    }
}

fn lost_on_the_way(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) => true,
        sqlx::Error::Database(db) => db
            .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
            .is_some_and(|pg| crate::error::pg_connection_lost(pg.code())),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::postgres::PgConnectOptions;

    #[tokio::test]
    async fn a_refused_connection_is_an_outage() {
        // A port nothing listens on, then a listener on it: as PostgreSQL stopped, then back.
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let opts = PgConnectOptions::new().host("127.0.0.1").port(port);
        let pool = sqlx::postgres::PgPoolOptions::new().connect_lazy_with(opts);
        let outage = Arc::new(Outage::default());
        outage.suspect(pool.clone());
        let deadline = Instant::now() + Duration::from_secs(10);
        while !outage.is_down() {
            assert!(Instant::now() < deadline, "no probe found the port closed");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(outage.probing.load(Ordering::Acquire));
        // A second suspicion while the first probe runs starts none of its own.
        outage.suspect(pool);
        assert!(outage.is_down());
    }

    #[tokio::test]
    async fn background_tasks_park_while_down_and_go_on_when_reached() {
        let outage = Arc::new(Outage::default());
        outage.until_up().await;
        // As a probe that found the database down.
        outage.probing.store(true, Ordering::Release);
        outage.down.store(true, Ordering::Release);
        let park = || {
            let outage = outage.clone();
            tokio::spawn(async move { outage.until_up().await })
        };
        let (going_on, stopped) = (park(), park());
        let deadline = Instant::now() + Duration::from_secs(10);
        while outage.waiting() < 2 {
            assert!(Instant::now() < deadline, "{} parked", outage.waiting());
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // A task told to stop while parked is no longer counted.
        stopped.abort();
        assert!(stopped.await.unwrap_err().is_cancelled());
        assert_eq!(outage.waiting(), 1);
        assert!(!going_on.is_finished());
        outage.reached(Instant::now());
        tokio::time::timeout(Duration::from_secs(10), going_on)
            .await
            .expect("a parked task goes on once the database is reached")
            .unwrap();
        assert_eq!(outage.waiting(), 0);
        assert!(!outage.is_down() && !outage.probing());
    }

    #[test]
    fn only_a_connection_lost_on_the_way_is_an_outage() {
        let refused = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(lost_on_the_way(&refused));
        assert!(!lost_on_the_way(&sqlx::Error::PoolTimedOut));
        assert!(!lost_on_the_way(&sqlx::Error::Protocol("bad".into())));
    }
}
