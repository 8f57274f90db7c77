//! The delivery workers: claim due jobs, push them, record the outcome, retry with backoff.

use super::{Providers, Push, PushError, PushSettings, Wakeup};
use crate::domain::{Millis, StaffId, TimeFormat, doubled_delay, now_millis};
use crate::error::Result;
use crate::metrics::PushOutcome;
use crate::phrase::stored;
use crate::store::{ClaimedDelivery, MessageStatus, SentPush, Store};
use rand::Rng;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tracing::Instrument;

/// The workers of one server process, built but not started.
pub struct Workers {
    settings: PushSettings,
    providers: Providers,
    store: Store,
    time: TimeFormat,
    wakeup: Arc<Wakeup>,
    /// Names this process's leases, so a worker only settles jobs it still holds.
    process: String,
    metrics: Arc<crate::metrics::Metrics>,
}

/// Running workers; dropping the handle aborts them, [`WorkersHandle::stop`] lets them finish.
pub struct WorkersHandle {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    store: Store,
}

impl WorkersHandle {
    /// Asks the workers to stop, waits until the pushes in flight are settled, and gives the
    /// jobs handed to them and not pushed back to the outbox.
    pub async fn stop(mut self) {
        // Receivers may all be gone already (no workers configured): nothing to tell then.
        let _ = self.stop.send(true);
        for task in self.tasks.drain(..) {
            if let Err(e) = task.await {
                tracing::error!(error = %e, "push worker ended abnormally");
            }
        }
        if self.store.database_known_down() {
            // Giving them back would wait out the pool and fail; they are not lost either way.
            self.store.abandon_handoff();
            tracing::warn!(
                "PostgreSQL out of reach: jobs handed to the workers and not pushed keep their lease, and are pushed once it runs out"
            );
            return;
        }
        match self.store.close_handoff(now_millis()).await {
            Ok(0) => {}
            Ok(jobs) => tracing::info!(jobs, "jobs not pushed yet given back to the outbox"),
            // They keep their lease and are claimed when it runs out.
            Err(e) => tracing::error!(error = %e, "handed jobs not given back to the outbox"),
        }
    }
}

impl Drop for WorkersHandle {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
        self.store.abandon_handoff();
    }
}

impl Workers {
    pub(crate) fn new(
        settings: PushSettings,
        providers: Providers,
        store: Store,
        time: TimeFormat,
        wakeup: Arc<Wakeup>,
        metrics: Arc<crate::metrics::Metrics>,
    ) -> Self {
        Self {
            settings,
            providers,
            store,
            time,
            wakeup,
            process: uuid::Uuid::new_v4().simple().to_string(),
            metrics,
        }
    }

    pub fn start(self) -> WorkersHandle {
        let (stop, stopped) = watch::channel(false);
        let count = self.settings.workers;
        if count > 0 {
            self.store
                .open_handoff(&format!("{}.handoff", self.process), self.settings.lease);
        }
        let store = self.store.clone();
        let this = Arc::new(self);
        let tasks = (0..count)
            .map(|i| {
                let owner = format!("{}-{i}", this.process);
                tokio::spawn(this.clone().run(owner, stopped.clone()))
            })
            .collect();
        tracing::info!(workers = count, "push workers started");
        WorkersHandle { stop, tasks, store }
    }

    async fn run(self: Arc<Self>, owner: String, mut stopped: watch::Receiver<bool>) {
        let mut rounds: u64 = 0;
        let mut outbox = Outbox::default();
        loop {
            if *stopped.borrow() {
                break;
            }
            tokio::select! {
                _ = self.store.until_reachable() => {}
                // Told to stop: the check above ends the loop.
                _ = stopped.changed() => continue,
            }
            // Registered before looking, so a job queued while we look still wakes us.
            let notified = self.wakeup.notify().notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            self.wakeup.looking();
            rounds += 1;
            let hinted = self.store.outbox_hinted();
            let more = if outbox.due(self.settings.poll, hinted) {
                self.outbox_round(&format!("{owner}.{rounds}"), &mut outbox, hinted)
                    .await
            } else {
                match self.handed_round().await {
                    Ok(Some(more)) => {
                        outbox.skipped();
                        Ok(more || hinted)
                    }
                    Ok(None) if hinted => {
                        self.outbox_round(&format!("{owner}.{rounds}"), &mut outbox, true)
                            .await
                    }
                    Ok(None) => Ok(false),
                    Err(e) => Err(e),
                }
            };
            match more {
                Ok(true) => continue,
                // The queue was empty behind this round; what comes later wakes a worker.
                Ok(false) => {}
                Err(e) => {
                    tracing::error!(error = %e, "push worker cannot reach the database");
                    self.store.note_failure(&e);
                }
            }
            tokio::select! {
                _ = &mut notified => {}
                _ = tokio::time::sleep(self.settings.poll) => {}
                changed = stopped.changed() => if changed.is_err() { break },
            }
        }
        tracing::debug!(owner, "push worker stopped");
    }

    /// Pushes a batch of the jobs handed over by the transactions that stored them; `None`
    /// when none wait, else whether more do.
    async fn handed_round(self: &Arc<Self>) -> Result<Option<bool>> {
        // A push takes up to twice the provider timeout (see `deliver`). With a lease shorter
        // than twice that, claimed jobs run the same risk; half the lease is the floor there,
        // so such settings still hand jobs over.
        let hold = (self.settings.timeout * 2).min(self.settings.lease / 2);
        let held_until = now_millis() + hold.as_millis() as Millis;
        let (jobs, owner) = self
            .store
            .handed_jobs(self.settings.batch as usize, held_until);
        let Some(owner) = owner.filter(|_| !jobs.is_empty()) else {
            return Ok(None);
        };
        let more = self.store.handed_waiting() > 0;
        if more {
            // Another worker takes them while this one pushes.
            self.wakeup.jobs_queued();
        }
        self.push_all(&owner, jobs).await?;
        Ok(Some(more))
    }

    /// Claims one batch from the outbox and pushes it; returns whether more may be due.
    /// `lease` names this round's claim (see `Store::claim_deliveries`). Without a hint (the
    /// poll) the outbox is looked at with a read first: the claim is a write, which on SQLite
    /// takes the write lock even when it finds nothing. Idle workers claimed every poll, and
    /// while another program held the database each of them waited out the busy timeout on
    /// the one writer connection, ahead of the API's writes: a call waited 10 s per worker
    /// before its 503 instead of its own 10 s (the apps' 30 s timeout ran out first).
    async fn outbox_round(
        self: &Arc<Self>,
        lease: &str,
        outbox: &mut Outbox,
        hinted: bool,
    ) -> Result<bool> {
        let now = now_millis();
        let due = match hinted {
            true => Ok(true),
            false => self.store.any_delivery_due(now).await,
        };
        // Nothing due is an empty claim: the rest of the round still runs, so that jobs handed
        // over meanwhile get the next round (a poll round is taken instead of theirs).
        let jobs = match due {
            Ok(false) => Ok(Vec::new()),
            Ok(true) => {
                let lease_until = now + self.settings.lease.as_millis() as Millis;
                // Before the claim: jobs stored while it runs may be behind it, and hint again.
                self.store.claiming_from_outbox();
                self.store
                    .claim_deliveries(lease, self.settings.batch, now, lease_until)
                    .await
            }
            Err(e) => Err(e),
        };
        let full = jobs
            .as_ref()
            .map_or(true, |j| j.len() as i64 >= self.settings.batch);
        if full {
            // More may be due (or the claim failed): the next rounds look again.
            self.store.hint_outbox();
        }
        outbox.looked();
        let jobs = jobs?;
        if full || self.store.handed_waiting() > 0 {
            // More may be due: another worker takes them while this one pushes.
            self.wakeup.jobs_queued();
        }
        self.push_all(lease, jobs).await?;
        Ok(full || self.store.handed_waiting() > 0)
    }

    /// Pushes `jobs`, held under `lease`, concurrently and records the accepted pushes.
    async fn push_all(self: &Arc<Self>, lease: &str, jobs: Vec<ClaimedDelivery>) -> Result<()> {
        let mut set = JoinSet::new();
        let (mut sent, mut reminded) = (Vec::new(), Vec::new());
        for job in jobs {
            let this = self.clone();
            let owner = lease.to_owned();
            let span = tracing::info_span!(
                "push",
                message_id = job.message_id,
                partner_id = job.partner_id,
                staff_id = job.staff_id,
                attempt = job.attempts
            );
            set.spawn(async move { this.deliver(&owner, job).await }.instrument(span));
        }
        while let Some(done) = set.join_next().await {
            match done {
                Ok(Ok(Some(Accepted::Message(pushed)))) => sent.push(pushed),
                Ok(Ok(Some(Accepted::Reminder(pushed)))) => reminded.push(pushed),
                Ok(Ok(None)) => {}
                // The job keeps its lease and is retried when it runs out.
                Ok(Err(e)) => tracing::error!(error = %e, "push outcome not recorded"),
                Err(e) => tracing::error!(error = %e, "push task failed"),
            }
        }
        // The round's accepted pushes are recorded in one transaction: one write per round
        // instead of one per message keeps SQLite's single writer free for new messages. If
        // it fails, the jobs keep their leases and are pushed again when those run out.
        if !sent.is_empty() {
            self.store.deliveries_sent(&sent, now_millis()).await?;
            self.metrics.pushes(PushOutcome::sent, sent.len() as u64);
        }
        // Apart: their recording moves no status.
        if !reminded.is_empty() {
            self.store.reminders_sent(&reminded, now_millis()).await?;
            self.metrics
                .pushes(PushOutcome::sent, reminded.len() as u64);
        }
        Ok(())
    }

    /// Pushes one job. An accepted push is returned for the round to record with the others;
    /// every other outcome is recorded here.
    ///
    /// Every round spawns one task per job, and spawning copies the task's future: with the
    /// store calls of the failure paths inlined, this one was 15,800 bytes, and its copies were
    /// 3% of the server's time under `createmessage` load. Those paths are boxed, so the future
    /// is as large as the accepted push needs.
    async fn deliver(&self, owner: &str, mut job: ClaimedDelivery) -> Result<Option<Accepted>> {
        let status = MessageStatus::parse(&job.status);
        let recall = status == Some(MessageStatus::Recalled);
        // A reminder goes to a message the app confirmed already; the first push does not.
        let moot = if job.reminder {
            status == Some(MessageStatus::Acknowledged)
        } else {
            matches!(
                status,
                Some(MessageStatus::Delivered | MessageStatus::Read | MessageStatus::Acknowledged)
            )
        };
        if moot {
            tracing::debug!(
                reminder = job.reminder,
                "already confirmed by the app; not pushed"
            );
            return Box::pin(self.store.delivery_dropped(job.job_id))
                .await
                .map(|()| None);
        }
        let Some(token) = job.push_token.take().filter(|t| !t.trim().is_empty()) else {
            let reason = stored::NO_TOKEN.fill(&[]);
            return Box::pin(self.give_up(&job, MessageStatus::NoDevice, &reason))
                .await
                .map(|()| None);
        };
        let Some(provider) = self.providers.for_device(job.push_device.as_deref()) else {
            let reason = stored::NO_PROVIDER.fill(&[job.push_device.as_deref().unwrap_or("?")]);
            return Box::pin(self.give_up(&job, MessageStatus::Failed, &reason))
                .await
                .map(|()| None);
        };
        let push = Push {
            message_id: job.message_id,
            token,
            // Nothing after the push reads them from the job.
            title: std::mem::take(&mut job.title),
            body: std::mem::take(&mut job.body),
            createdate: self.time.format(job.created_at),
            ack_required: job.ack_required,
            reminder: job.reminder && !recall,
            recall,
        };
        // Bounds a provider that takes longer than its HTTP timeouts (token exchange + send).
        let outcome =
            match tokio::time::timeout(self.settings.timeout * 2, provider.send(&push)).await {
                Ok(outcome) => outcome,
                Err(_) => Err(PushError::transient(stored::PROVIDER_SILENT.fill(&[
                    provider.name(),
                    &(self.settings.timeout * 2).as_secs().to_string(),
                ]))),
            };
        match outcome {
            Ok(()) if push.reminder => {
                tracing::info!(provider = provider.name(), "reminder pushed");
                Ok(Some(Accepted::Reminder(SentPush {
                    job_id: job.job_id,
                    message_id: job.message_id,
                    detail: stored::REMINDER_SENT.fill(&[provider.name()]),
                })))
            }
            Ok(()) => {
                tracing::info!(provider = provider.name(), "pushed");
                Ok(Some(Accepted::Message(SentPush {
                    job_id: job.job_id,
                    message_id: job.message_id,
                    detail: stored::ACCEPTED.fill(&[provider.name()]),
                })))
            }
            Err(error) => {
                Box::pin(self.not_pushed(owner, &job, provider.name(), &push.token, error))
                    .await
                    .map(|()| None)
            }
        }
    }

    /// Records why a push of `job` through `provider` with device `token` failed.
    async fn not_pushed(
        &self,
        owner: &str,
        job: &ClaimedDelivery,
        provider: &str,
        token: &str,
        error: PushError,
    ) -> Result<()> {
        let now = now_millis();
        match error {
            PushError::DeadToken { reason } => {
                tracing::info!(provider, reason, "dead push token cleared");
                self.store
                    .clear_dead_push_token(StaffId(job.staff_id), token, now)
                    .await?;
                let reason = stored::DEAD_TOKEN.fill(&[provider, &reason]);
                self.give_up(job, MessageStatus::NoDevice, &reason).await
            }
            PushError::Rejected { reason } => {
                tracing::warn!(provider, reason, "push rejected");
                let reason = stored::REJECTED.fill(&[provider, &reason]);
                self.give_up(job, MessageStatus::Failed, &reason).await
            }
            PushError::Transient {
                reason,
                retry_after,
            } => {
                self.retry_or_fail(owner, job, &reason, retry_after, now)
                    .await
            }
        }
    }

    async fn retry_or_fail(
        &self,
        owner: &str,
        job: &ClaimedDelivery,
        reason: &str,
        retry_after: Option<Duration>,
        now: Millis,
    ) -> Result<()> {
        let age = Duration::from_millis((now - job.queued_at).max(0) as u64);
        if job.attempts >= self.settings.max_attempts || age >= self.settings.max_age {
            tracing::warn!(reason, attempts = job.attempts, "push given up");
            let reason = stored::GAVE_UP.fill(&[&job.attempts.to_string(), reason]);
            return self.give_up(job, MessageStatus::Failed, &reason).await;
        }
        let delay = backoff(&self.settings, job.attempts, retry_after);
        tracing::info!(
            reason,
            delay_ms = delay.as_millis() as u64,
            "push will be retried"
        );
        let kept = self
            .store
            .delivery_retry_at(job.job_id, owner, now + delay.as_millis() as Millis, reason)
            .await?;
        self.metrics.pushes(PushOutcome::retried, 1);
        if !kept {
            tracing::warn!("lease lost to another worker before the retry was scheduled");
        }
        Ok(())
    }

    async fn give_up(
        &self,
        job: &ClaimedDelivery,
        status: MessageStatus,
        reason: &str,
    ) -> Result<()> {
        if job.reminder && job.status != MessageStatus::Recalled.as_str() {
            // The message itself reached the phone before: only the reminder failed.
            let detail = stored::REMINDER_FAILED.fill(&[reason]);
            self.store
                .reminder_failed(job.job_id, job.message_id, &detail, now_millis())
                .await?;
        } else {
            self.store
                .delivery_given_up(job.job_id, job.message_id, status, reason, now_millis())
                .await?;
        }
        let outcome = match status {
            MessageStatus::NoDevice => PushOutcome::no_device,
            _ => PushOutcome::failed,
        };
        self.metrics.pushes(outcome, 1);
        Ok(())
    }
}

/// A push the provider accepted, for its round to record.
enum Accepted {
    /// A message's push: it becomes `sent`.
    Message(SentPush),
    /// A reminder to acknowledge: the history says so, the status stays.
    Reminder(SentPush),
}

/// When a worker last claimed from the outbox. Jobs handed over come first, but the outbox
/// holds what they cannot carry: bulk sends, retries, jobs of other processes and of ones that
/// died. A worker claims from it when this process hinted that jobs wait there (every other
/// round while handed jobs wait too, so neither starves), and once every poll interval for
/// what no hint announces. Without a hint an empty hand-over is not followed by a claim: that
/// was most of the claims under `createmessage` load, each a write that found nothing.
#[derive(Debug)]
struct Outbox {
    looked_at: std::time::Instant,
    /// The last round claimed from the outbox.
    last: bool,
}

impl Default for Outbox {
    fn default() -> Self {
        Self {
            looked_at: std::time::Instant::now(),
            last: false,
        }
    }
}

impl Outbox {
    fn due(&self, poll: Duration, hinted: bool) -> bool {
        (hinted && !self.last) || self.looked_at.elapsed() >= poll
    }

    fn looked(&mut self) {
        self.looked_at = std::time::Instant::now();
        self.last = true;
    }

    fn skipped(&mut self) {
        self.last = false;
    }
}

/// Exponential backoff with jitter (half to full of the doubled delay), never sooner than the
/// provider's `Retry-After`, never longer than the configured ceiling.
fn backoff(settings: &PushSettings, attempts: i64, retry_after: Option<Duration>) -> Duration {
    let full = doubled_delay(
        settings.retry_base,
        settings.retry_max,
        attempts.saturating_sub(1),
    );
    let half = full / 2;
    let jittered = half + rand::thread_rng().gen_range(Duration::ZERO..=full - half);
    jittered
        .max(retry_after.unwrap_or_default())
        .min(settings.retry_max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    #[test]
    fn the_outbox_takes_turns_with_handed_jobs_while_hinted() {
        let hour = Duration::from_secs(3600);
        let mut outbox = Outbox::default();
        assert!(
            !outbox.due(hour, false),
            "no hint, no poll due: handed jobs only"
        );
        assert!(outbox.due(hour, true), "a hint: claim");
        outbox.looked();
        assert!(
            !outbox.due(hour, true),
            "after a claim, handed jobs get a round"
        );
        outbox.skipped();
        assert!(outbox.due(hour, true), "then the outbox again");
        assert!(outbox.due(Duration::ZERO, false), "the poll interval is up");
    }

    #[test]
    fn backoff_doubles_within_jitter_and_honours_retry_after() {
        let s = PushSettings::from_settings(&Settings::default()).unwrap();
        for attempt in 1..=5 {
            let full = s.retry_base * 2u32.pow(attempt as u32 - 1);
            let d = backoff(&s, attempt, None);
            assert!(d >= full / 2 && d <= full, "{attempt}: {d:?}");
        }
        let capped = backoff(&s, 50, None);
        assert!(
            capped >= s.retry_max / 2 && capped <= s.retry_max,
            "{capped:?}"
        );
        assert_eq!(
            backoff(&s, 1, Some(Duration::from_secs(30))),
            Duration::from_secs(30)
        );
        assert_eq!(
            backoff(&s, 1, Some(Duration::from_secs(100_000))),
            s.retry_max
        );
    }
}
