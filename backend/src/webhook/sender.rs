//! The sender: leases the webhooks that have events waiting, posts each one's oldest batch,
//! deletes what the endpoint accepted, and backs off from an endpoint that fails.

use super::{Poster, payload};
use crate::domain::{Millis, TimeFormat, now_millis};
use crate::error::Result;
use crate::store::{Delivered, LeasedWebhook, Store};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Webhooks posted to at once by one round.
const PARALLEL: i64 = 8;

/// How long a leased webhook stays this sender's beyond the post's own timeout.
const LEASE_MARGIN: Duration = Duration::from_secs(30);

pub struct Sender {
    poster: Arc<Poster>,
    store: Store,
    time: TimeFormat,
    metrics: Arc<crate::metrics::Metrics>,
}

/// The running sender; [`SenderHandle::stop`] lets a post in flight finish.
pub struct SenderHandle {
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl SenderHandle {
    pub async fn stop(mut self) {
        // The task may have ended already; nothing to tell it then.
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take()
            && let Err(e) = task.await
        {
            tracing::error!(error = %e, "webhook sender ended abnormally");
        }
    }
}

impl Drop for SenderHandle {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

impl Sender {
    pub fn new(
        poster: Arc<Poster>,
        store: Store,
        time: TimeFormat,
        metrics: Arc<crate::metrics::Metrics>,
    ) -> Self {
        Self {
            poster,
            store,
            time,
            metrics,
        }
    }

    pub fn start(self) -> SenderHandle {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(Arc::new(self).run(stopped));
        SenderHandle {
            stop,
            task: Some(task),
        }
    }

    async fn run(self: Arc<Self>, mut stopped: watch::Receiver<bool>) {
        let poll = self.poster.settings().poll;
        loop {
            if *stopped.borrow() {
                break;
            }
            tokio::select! {
                _ = self.store.until_reachable() => {}
                // Told to stop: the check above ends the loop.
                _ = stopped.changed() => continue,
            }
            match self.round(now_millis()).await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => {
                    tracing::error!(error = %e, "webhook sender cannot reach the database");
                    self.store.note_failure(&e);
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(poll) => {}
                changed = stopped.changed() => if changed.is_err() { break },
            }
        }
    }

    /// One round over the due webhooks; `true` when some have more waiting right now.
    pub async fn round(&self, now: Millis) -> Result<bool> {
        let lease = self.poster.settings().timeout + LEASE_MARGIN;
        let until = now + lease.as_millis() as Millis;
        let hooks = self.store.lease_due_webhooks(now, until, PARALLEL).await?;
        if hooks.is_empty() {
            return Ok(false);
        }
        let full = hooks.len() as i64 == PARALLEL;
        let results =
            futures_util::future::join_all(hooks.into_iter().map(|hook| self.deliver(hook, now)))
                .await;
        let mut more = full;
        for result in results {
            more |= result?;
        }
        Ok(more)
    }

    /// Posts the partner's oldest waiting events; `true` when a full batch went and more may wait.
    async fn deliver(&self, hook: LeasedWebhook, now: Millis) -> Result<bool> {
        let settings = self.poster.settings();
        if hook.failures > 0 {
            let cutoff = now - settings.keep.as_millis() as Millis;
            let dropped = self
                .store
                .drop_stale_webhook_events(hook.partner_id, cutoff)
                .await?;
            if dropped > 0 {
                tracing::warn!(
                    partner_id = hook.partner_id,
                    dropped,
                    "webhook events older than the keep time dropped: the endpoint kept failing"
                );
            }
        }
        let events = self
            .store
            .webhook_events(hook.partner_id, settings.batch)
            .await?;
        let staff = self
            .store
            .webhook_staff_events(hook.partner_id, settings.batch)
            .await?;
        if events.is_empty() && staff.is_empty() {
            self.store.release_webhook(hook.partner_id).await?;
            return Ok(false);
        }
        let ids = Delivered {
            events: events.iter().map(|e| e.id).collect(),
            staff: staff.iter().map(|e| e.id).collect(),
        };
        let count = ids.events.len() + ids.staff.len();
        let full = [&ids.events, &ids.staff]
            .iter()
            .any(|ids| ids.len() as i64 == settings.batch);
        let body = payload(&hook.inn, events, staff, &self.time)?;
        let outcome = self.poster.post(&hook.url, &hook.secret, body, now).await;
        let attempt = outcome.attempt(&hook.url, count, false, now);
        let finished = now_millis();
        self.metrics
            .webhook_post(outcome.error.is_none(), count as u64);
        match &outcome.error {
            None => {
                self.store
                    .webhook_posted(hook.partner_id, &ids, &attempt, 0, finished)
                    .await?;
                tracing::debug!(
                    partner_id = hook.partner_id,
                    events = count,
                    status = outcome.status,
                    ms = outcome.took.as_millis() as u64,
                    "webhook events delivered"
                );
                Ok(full)
            }
            Some(reason) => {
                let delay = settings.backoff(hook.failures);
                let retry_at = finished + delay.as_millis() as Millis;
                self.store
                    .webhook_posted(
                        hook.partner_id,
                        &Delivered::default(),
                        &attempt,
                        retry_at,
                        finished,
                    )
                    .await?;
                tracing::warn!(
                    partner_id = hook.partner_id,
                    failures = hook.failures + 1,
                    retry_in_ms = delay.as_millis() as u64,
                    reason,
                    "webhook post failed"
                );
                Ok(false)
            }
        }
    }
}
