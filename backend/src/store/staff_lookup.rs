//! Employee reads by id on PostgreSQL, in groups.
//!
//! Every `createmessage` reads its recipient first. On PostgreSQL that was a statement, and a
//! transaction, of its own per message: 6,608 of the ~10,900 statements in 4 s of `wrk`
//! against `createmessage`, each a round trip costing 120-170 µs of machine CPU (pgbench of
//! the same `SELECT`, this machine). Concurrent reads now go to one task, which reads all the
//! ids that queued up while its previous read ran in ONE statement (`id = ANY($1)`, an index
//! scan of the primary key). An idle server still reads each id at once (a group of one).
//! SQLite reads in place instead (see `direct`).

use super::staff::{STAFF_BY_ID, select_staff};
use super::{StaffRow, Store};
use crate::domain::StaffId;
use crate::error::{Error, Result};
use sqlx::PgPool;
use std::collections::HashMap;
use tokio::sync::{mpsc, oneshot};

/// Ids per statement at most: one bound array, any size PostgreSQL takes; this keeps a group's
/// answer to a few milliseconds.
const MAX_GROUP: usize = 256;

/// Callers waiting beyond this many wait to enqueue: back-pressure instead of memory growth.
const QUEUE: usize = 4 * MAX_GROUP;

pub(super) struct Lookup {
    partner_id: i64,
    id: i64,
    reply: oneshot::Sender<Result<Option<StaffRow>>>,
}

/// The sending half, started with the first read.
pub(super) type Readers = std::sync::Arc<std::sync::OnceLock<mpsc::Sender<Lookup>>>;

const BY_IDS: &str = select_staff!("FROM staff s WHERE s.id = ANY($1)");

impl Store {
    /// `staff_by_id` on PostgreSQL: read in a group with concurrent callers' ids.
    pub(super) async fn staff_by_id_grouped(
        &self,
        pool: &PgPool,
        partner_id: i64,
        id: StaffId,
    ) -> Result<Option<StaffRow>> {
        let sender = self.staff_readers.get_or_init(|| {
            let (tx, rx) = mpsc::channel(QUEUE);
            tokio::spawn(run(pool.clone(), rx));
            tx
        });
        let (reply, answer) = oneshot::channel();
        let gone = || Error::Internal("the employee reader stopped".into());
        sender
            .send(Lookup {
                partner_id,
                id: id.0,
                reply,
            })
            .await
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

async fn run(pool: PgPool, mut rx: mpsc::Receiver<Lookup>) {
    let mut queued = Vec::with_capacity(MAX_GROUP);
    while rx.recv_many(&mut queued, MAX_GROUP).await > 0 {
        let group = std::mem::take(&mut queued);
        let ids: Vec<i64> = group.iter().map(|l| l.id).collect();
        match sqlx::query_as::<_, StaffRow>(BY_IDS)
            .bind(&ids)
            .fetch_all(&pool)
            .await
        {
            Ok(rows) => {
                let found: HashMap<i64, StaffRow> = rows.into_iter().map(|s| (s.id, s)).collect();
                for l in group {
                    // Tenant-scoped: another partner's employee is not found.
                    let row = found.get(&l.id).filter(|s| s.partner_id == l.partner_id);
                    // A caller that stopped waiting no longer needs its answer.
                    let _ = l.reply.send(Ok(row.cloned()));
                }
            }
            Err(e) => {
                // Each caller gets its own answer, with its own error if there is one.
                tracing::warn!(error = %e, ids = ids.len(), "grouped employee read failed; reading one by one");
                for l in group {
                    let row = sqlx::query_as(STAFF_BY_ID)
                        .bind(l.partner_id)
                        .bind(l.id)
                        .fetch_optional(&pool)
                        .await
                        .map_err(Error::from);
                    let _ = l.reply.send(row);
                }
            }
        }
    }
}
