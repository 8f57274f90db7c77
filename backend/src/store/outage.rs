//! PostgreSQL known to be out of reach. While the pool cannot connect, every call waits out the
//! pool's acquire timeout (ten seconds) before its 503, and a caller with many threads (a 1C
//! server) piles them all up behind it. So once a call has been answered 503, a probe tries a
//! connection of its own, off every call's path, and until one succeeds the server answers 503
//! at once. The probe connects past the pool: a pool busy under load is not an outage.

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long a probe gives PostgreSQL to accept a connection: on a loaded machine it takes
/// milliseconds, so a probe that takes longer finds it out of reach.
const PROBE_WAIT: Duration = Duration::from_secs(2);

/// Between failed probes: the time a caller is answered 503 after the database is back, at
/// most.
const PROBE_EVERY: Duration = Duration::from_millis(500);

#[derive(Debug, Default)]
pub(crate) struct Outage {
    /// The last probe could not connect.
    down: AtomicBool,
    /// A probe is running; one at a time.
    probing: AtomicBool,
}

impl Outage {
    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::Acquire)
    }

    /// Probes PostgreSQL in the background, unless a probe is already running: sets `is_down`
    /// while connections fail, and clears it when one is made.
    pub fn suspect(self: &Arc<Self>, opts: Arc<PgConnectOptions>) {
        if self.probing.swap(true, Ordering::AcqRel) {
            return;
        }
        let outage = self.clone();
        tokio::spawn(async move {
            let since = Instant::now();
            while let Some(why) = unreachable(&opts).await {
                if !outage.down.swap(true, Ordering::AcqRel) {
                    tracing::error!(
                        error = %why,
                        "PostgreSQL cannot be reached: calls are answered 503 at once until it can"
                    );
                }
                tokio::time::sleep(PROBE_EVERY).await;
            }
            if outage.down.swap(false, Ordering::AcqRel) {
                tracing::warn!(
                    secs = since.elapsed().as_secs(),
                    "PostgreSQL can be reached again"
                );
            }
            outage.probing.store(false, Ordering::Release);
        });
    }
}

/// One probe: why PostgreSQL cannot be reached, or `None` when it can. Only a connection that
/// fails on the way is an outage: a server that answers, even to refuse us (too many
/// connections, a password changed), is there, and our pool's open connections may still work.
async fn unreachable(opts: &PgConnectOptions) -> Option<String> {
    match tokio::time::timeout(PROBE_WAIT, PgConnection::connect_with(opts)).await {
        Err(_) => Some(format!("no connection within {PROBE_WAIT:?}")),
        Ok(Ok(conn)) => {
            if let Err(e) = conn.close().await {
                tracing::debug!(error = %e, "the probe's connection did not close cleanly");
            }
            None
        }
        Ok(Err(e)) => lost_on_the_way(&e).then(|| e.to_string()),
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

    #[tokio::test]
    async fn a_refused_connection_is_an_outage() {
        // A port nothing listens on, then a listener on it: as PostgreSQL stopped, then back.
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let opts = Arc::new(PgConnectOptions::new().host("127.0.0.1").port(port));
        let outage = Arc::new(Outage::default());
        outage.suspect(opts.clone());
        let deadline = Instant::now() + Duration::from_secs(10);
        while !outage.is_down() {
            assert!(Instant::now() < deadline, "no probe found the port closed");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(outage.probing.load(Ordering::Acquire));
        // A second suspicion while the first probe runs starts none of its own.
        outage.suspect(opts);
        assert!(outage.is_down());
    }

    #[test]
    fn only_a_connection_lost_on_the_way_is_an_outage() {
        let refused = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(lost_on_the_way(&refused));
        assert!(!lost_on_the_way(&sqlx::Error::PoolTimedOut));
        assert!(!lost_on_the_way(&sqlx::Error::Protocol("bad".into())));
    }
}
