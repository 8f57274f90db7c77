//! New delivery jobs handed to this process's push workers in memory, already leased.
//!
//! A queued message's job used to wait in the outbox until a worker claimed it: per round one
//! more write (the claim's UPDATE, which on PostgreSQL re-inserts the row's index entries)
//! and a read of the jobs back; under `createmessage` load on PostgreSQL those were 5,500 of
//! 13,600 statements, and 1,700 of the claims found nothing (`SIMO_LOG=sqlx::query=debug`,
//! 2026-11-28). Now the transaction that stores a message also writes its job's lease in this
//! process's name, and once committed the job goes to the workers from here. The lease keeps
//! the outbox's promise: if the process dies before the push is recorded, the lease runs out
//! and any server's worker claims the job as before.
//!
//! Jobs are stored unleased, for the workers to claim from the outbox, while no workers run
//! here, when more than `CAPACITY` wait, and for callers that did not read the employee's
//! device (the push needs it).

use super::ClaimedDelivery;
use crate::domain::{Millis, now_millis};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Jobs waiting here or being committed at most; beyond it the workers are behind anyway and
/// the outbox holds the rest.
const CAPACITY: usize = 1024;

#[derive(Default)]
pub struct Handoff {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Set while this process's workers run.
    lease: Option<(Arc<str>, Duration)>,
    /// Jobs promised a place by a transaction not committed yet.
    reserved: usize,
    /// Jobs with the end of their lease.
    ready: VecDeque<(ClaimedDelivery, Millis)>,
}

/// The lease a transaction writes on the jobs it hands over.
#[derive(Debug, Clone)]
pub struct Lease {
    pub owner: Arc<str>,
    pub until: Millis,
    /// Places reserved: give them back with `Handoff::handed` or `Handoff::cancel`.
    pub(super) jobs: usize,
}

impl Handoff {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The workers start: jobs are leased to `owner` for `lease` and handed to them.
    pub fn open(&self, owner: &str, lease: Duration) {
        self.state().lease = Some((owner.into(), lease));
    }

    /// The workers stop: no more jobs are handed over; returns the owner whose leases the jobs
    /// still waiting (and any committed later) carry, so they can be given back to the outbox.
    pub fn close(&self) -> Option<Arc<str>> {
        let mut state = self.state();
        state.ready.clear();
        state.lease.take().map(|(owner, _)| owner)
    }

    /// A lease for `jobs` jobs if there is room for all of them; `None` stores them unleased.
    pub(super) fn reserve(&self, jobs: usize) -> Option<Lease> {
        let mut state = self.state();
        let (owner, lease) = state.lease.clone()?;
        if jobs == 0 || state.reserved + state.ready.len() + jobs > CAPACITY {
            return None;
        }
        state.reserved += jobs;
        Some(Lease {
            owner,
            until: now_millis() + lease.as_millis() as Millis,
            jobs,
        })
    }

    /// The transaction failed: its jobs were not stored with this lease.
    pub(super) fn cancel(&self, lease: &Lease) {
        let mut state = self.state();
        state.reserved = state.reserved.saturating_sub(lease.jobs);
    }

    /// The transaction committed these jobs under `lease`.
    pub(super) fn handed(&self, lease: &Lease, jobs: impl IntoIterator<Item = ClaimedDelivery>) {
        let mut state = self.state();
        state.reserved = state.reserved.saturating_sub(lease.jobs);
        // Closed meanwhile: the jobs keep their lease in the outbox (see `Handoff::close`).
        if state.lease.as_ref().is_some_and(|(o, _)| *o == lease.owner) {
            state
                .ready
                .extend(jobs.into_iter().map(|job| (job, lease.until)));
        }
    }

    /// Up to `max` jobs, oldest first, with the owner of their lease, and how many were dropped
    /// because their lease ends before `held_until`: those are due in the outbox by then, and a
    /// claim there could push them a second time while this worker does.
    pub(super) fn take(
        &self,
        max: usize,
        held_until: Millis,
    ) -> (Vec<ClaimedDelivery>, Option<Arc<str>>, usize) {
        let mut state = self.state();
        let before = state.ready.len();
        state.ready.retain(|(_, until)| *until > held_until);
        let dropped = before - state.ready.len();
        let n = max.min(state.ready.len());
        let jobs = state.ready.drain(..n).map(|(job, _)| job).collect();
        (jobs, state.lease.as_ref().map(|(o, _)| o.clone()), dropped)
    }

    /// Jobs waiting for a worker.
    pub fn waiting(&self) -> usize {
        self.state().ready.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: i64) -> ClaimedDelivery {
        ClaimedDelivery {
            job_id: id,
            attempts: 1,
            queued_at: 0,
            message_id: id,
            partner_id: 1,
            staff_id: 1,
            title: String::new(),
            body: String::new(),
            status: "queued".into(),
            created_at: 0,
            push_token: Some("t".into()),
            push_device: None,
            ack_required: false,
            reminder: false,
        }
    }

    #[test]
    fn nothing_is_handed_over_while_closed_or_full() {
        let h = Handoff::default();
        assert!(
            h.reserve(1).is_none(),
            "no workers: the outbox keeps the jobs"
        );
        h.open("p.handoff", Duration::from_secs(60));
        let first = h.reserve(CAPACITY - 1).expect("room");
        assert!(h.reserve(2).is_none(), "all or nothing: one place is left");
        let last = h.reserve(1).expect("the last place");
        h.cancel(&first);
        h.handed(&last, [job(7)]);
        assert_eq!(h.waiting(), 1);
        let (jobs, owner, dropped) = h.take(16, 0);
        assert_eq!(jobs.iter().map(|j| j.job_id).collect::<Vec<_>>(), [7]);
        assert_eq!(dropped, 0);
        assert_eq!(owner.as_deref(), Some("p.handoff"));
        assert!(
            h.reserve(CAPACITY).is_some(),
            "cancelled and taken places are free again"
        );
    }

    #[test]
    fn a_job_whose_lease_ends_while_it_waits_is_left_to_the_outbox() {
        let h = Handoff::default();
        h.open("p.handoff", Duration::from_secs(60));
        let early = h.reserve(1).expect("room");
        h.handed(&early, [job(1)]);
        h.open("p.handoff", Duration::from_secs(600));
        let late = h.reserve(1).expect("room");
        h.handed(&late, [job(2)]);
        // A push held until 5 minutes from now would outlive the first lease.
        let (jobs, _, dropped) = h.take(16, now_millis() + 300_000);
        assert_eq!(jobs.iter().map(|j| j.job_id).collect::<Vec<_>>(), [2]);
        assert_eq!(dropped, 1);
        assert_eq!(h.waiting(), 0);
    }

    #[test]
    fn jobs_committed_after_closing_stay_in_the_outbox() {
        let h = Handoff::default();
        h.open("p.handoff", Duration::from_secs(60));
        let lease = h.reserve(2).expect("room");
        h.handed(&lease, [job(1)]);
        let pending = h.reserve(1).expect("room");
        assert_eq!(h.close().as_deref(), Some("p.handoff"));
        assert_eq!(
            h.waiting(),
            0,
            "closing drops what waits: its leases are given back"
        );
        h.handed(&pending, [job(2)]);
        assert_eq!(h.waiting(), 0);
        h.open("q.handoff", Duration::from_secs(60));
        h.handed(&pending, [job(3)]);
        assert_eq!(
            h.waiting(),
            0,
            "a lease of the old owner is not handed to the new one"
        );
    }
}
