//! Deleting what is no longer needed, once an hour: SMS codes a day after they were sent (each
//! holds a phone number and a client address; the rate limits look back one hour), scheduled
//! sends 90 days after they went or were cancelled (a daily one leaves 365 a year; the
//! messages they created stay), messages older than their partner's retention (set in the
//! cabinet; none by default), files no message carries a day after their upload, and, when the operator sets `SIMO_CABINET_JOURNAL_KEEP_DAYS`,
//! entries of the companies' journals and of the operator's journal older than that.

use crate::domain::{Millis, now_millis};
use crate::error::Result;
use crate::store::Store;
use std::time::Duration;

/// How long an SMS code is kept at least; longer if codes live longer (`sms_code_ttl_secs`).
const SMS_KEEP: Duration = Duration::from_secs(24 * 3600);

/// How long a scheduled send is kept after it went or was cancelled.
pub const SCHEDULED_KEEP: Duration = Duration::from_secs(90 * 86_400);

/// How often the task runs.
pub const EVERY: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone, Copy)]
pub struct Retention {
    pub sms: Duration,
    /// `None`: the journal is kept whole.
    pub journal: Option<Duration>,
}

impl Retention {
    pub fn new(sms_code_ttl_secs: i64, journal_keep_days: i64) -> Self {
        let ttl = Duration::from_secs(sms_code_ttl_secs.max(0) as u64);
        Self {
            sms: SMS_KEEP.max(ttl + Duration::from_secs(3600)),
            journal: (journal_keep_days > 0)
                .then(|| Duration::from_secs(journal_keep_days as u64 * 86_400)),
        }
    }
}

/// What one run deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub sms_codes: u64,
    pub journal: u64,
    pub operator_journal: u64,
    pub scheduled: u64,
    pub messages: u64,
    pub files: u64,
}

fn before(now: Millis, keep: Duration) -> Millis {
    now - keep.as_millis() as Millis
}

pub async fn run_once(store: &Store, retention: Retention, now: Millis) -> Result<Pruned> {
    let sms_codes = store.prune_sms_codes(before(now, retention.sms)).await?;
    let (journal, operator_journal) = match retention.journal {
        Some(keep) => (
            store.prune_audit(before(now, keep)).await?,
            store.prune_operator_events(before(now, keep)).await?,
        ),
        None => (0, 0),
    };
    let scheduled = store.prune_scheduled(before(now, SCHEDULED_KEEP)).await?;
    let messages = store.prune_old_messages(now).await?;
    // After the messages: a file whose last message went with them goes in the same run.
    let files = store
        .prune_unused_files(crate::service::files::unused_before(now))
        .await?;
    Ok(Pruned {
        sms_codes,
        journal,
        operator_journal,
        scheduled,
        messages,
        files,
    })
}

/// Runs at start and then every hour until aborted; a failed run is logged and tried again
/// at the next.
pub fn spawn(store: Store, retention: Retention) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            store.until_reachable().await;
            match run_once(&store, retention, now_millis()).await {
                Ok(p) if p != Pruned::default() => {
                    tracing::info!(
                        sms_codes = p.sms_codes,
                        journal = p.journal,
                        operator_journal = p.operator_journal,
                        scheduled = p.scheduled,
                        messages = p.messages,
                        files = p.files,
                        "old records deleted"
                    )
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "housekeeping failed; tried again in an hour");
                    store.note_failure(&e);
                }
            }
            tokio::time::sleep(EVERY).await;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_kept_a_day_or_an_hour_past_their_life() {
        assert_eq!(Retention::new(300, 0).sms, SMS_KEEP);
        assert_eq!(
            Retention::new(48 * 3600, 0).sms,
            Duration::from_secs(49 * 3600)
        );
        assert_eq!(Retention::new(300, 0).journal, None);
        assert_eq!(
            Retention::new(300, 365).journal,
            Some(Duration::from_secs(365 * 86_400))
        );
    }
}
