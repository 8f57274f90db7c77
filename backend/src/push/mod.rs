//! Push delivery: a durable outbox in the database, drained by background workers that push
//! through FCM HTTP v1, APNs or the log (the demo).
//!
//! A message and its delivery job are stored in one transaction (`store::deliveries`); the
//! workers (`worker.rs`) claim due jobs, push them through a [`Provider`] and record the outcome
//! as the message's status. Nothing is lost when the process dies: the job's lease runs out
//! and another worker, here or in another server process, pushes it again.

mod apns;
mod fcm;
mod log;
mod settings;
mod worker;

pub use settings::{PUSH_KNOBS, ProviderKind, PushSettings};
pub use worker::{Workers, WorkersHandle};

use crate::config::Settings;
use crate::domain::Device;
use crate::error::Result;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::Notify;

/// What a provider sends for one message.
#[derive(Debug, Clone)]
pub struct Push {
    pub message_id: i64,
    /// The device's push token; never logged above debug.
    pub token: String,
    pub title: String,
    pub body: String,
    /// The message's creation date as the API writes it.
    pub createdate: String,
    /// The message asks to be acknowledged: the app's notification offers the button.
    pub ack_required: bool,
    /// A reminder to acknowledge the message, which the phone has had since its first push:
    /// the notification says "Напоминание" and is shown again.
    pub reminder: bool,
    /// The partner recalled the message after it was pushed: this push shows nothing and tells
    /// the app to delete it (`{"recalled": id}`), so it goes from the phone without waiting for
    /// the app's next sync.
    pub recall: bool,
}

/// Longest text a push carries: both providers cap a payload at 4 KB; the app reads the whole
/// message from the history.
const PREVIEW_CHARS: usize = 500;

impl Push {
    /// The text shortened to fit a push payload, with an ellipsis when cut.
    pub fn preview(&self) -> String {
        crate::domain::shortened(&self.body, PREVIEW_CHARS)
    }
}

/// Why a push did not go through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushError {
    /// Worth another try later: a timeout, a 5xx, a 429, an expired provider token.
    Transient {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// The provider says the device token is dead: the employee's token is cleared.
    DeadToken { reason: String },
    /// The provider refused this message for good.
    Rejected { reason: String },
}

impl PushError {
    pub fn transient(reason: impl Into<String>) -> Self {
        Self::Transient {
            reason: reason.into(),
            retry_after: None,
        }
    }

    pub fn reason(&self) -> &str {
        match self {
            Self::Transient { reason, .. }
            | Self::DeadToken { reason }
            | Self::Rejected { reason } => reason,
        }
    }
}

pub type PushFuture<'a> = Pin<Box<dyn Future<Output = Result<(), PushError>> + Send + 'a>>;

/// A push service: FCM, APNs or the log.
pub trait Provider: Send + Sync {
    /// Short name for the history and the logs.
    fn name(&self) -> &'static str;
    fn send<'a>(&'a self, push: &'a Push) -> PushFuture<'a>;
}

/// The providers configured, and which one serves which device.
#[derive(Clone)]
pub struct Providers {
    android: Option<Arc<dyn Provider>>,
    apple: Option<Arc<dyn Provider>>,
}

impl Providers {
    pub fn from_settings(settings: &PushSettings) -> Result<Self> {
        let client = || {
            reqwest::Client::builder()
                .timeout(settings.timeout)
                .build()
                .map_err(|e| crate::error::Error::Config(format!("push HTTP client: {e}")))
        };
        Ok(match settings.provider {
            ProviderKind::Log => {
                let log: Arc<dyn Provider> = Arc::new(log::LogProvider);
                Self::one(log)
            }
            ProviderKind::Fcm => Self::one(Arc::new(fcm::Fcm::from_settings(settings, client()?)?)),
            ProviderKind::Apns => Self {
                android: None,
                apple: Some(Arc::new(apns::Apns::from_settings(settings)?)),
            },
            ProviderKind::FcmAndApns => Self {
                android: Some(Arc::new(fcm::Fcm::from_settings(settings, client()?)?)),
                apple: Some(Arc::new(apns::Apns::from_settings(settings)?)),
            },
        })
    }

    fn one(p: Arc<dyn Provider>) -> Self {
        Self {
            android: Some(p.clone()),
            apple: Some(p),
        }
    }

    /// The provider for a device as the app registered it (`android` or `apple`).
    pub fn for_device(&self, device: Option<&str>) -> Option<&Arc<dyn Provider>> {
        match device.map(Device::parse) {
            Some(Ok(Device::Apple)) => self.apple.as_ref(),
            _ => self.android.as_ref(),
        }
    }
}

/// Wakes the workers of this process when a job is queued, so it does not wait for the poll.
///
/// One worker at a time: the callers of one group commit each announce their message, and
/// waking every idle worker for each made two of every five claims under load find nothing,
/// each a write transaction (on PostgreSQL `createmessage` gained 17-20% without them). A
/// worker that claims a full batch wakes the next one (see `Workers::round`), so a backlog
/// still gets them all.
#[derive(Default)]
pub struct Wakeup {
    notify: Notify,
    /// A worker was woken and has not started looking yet: its look will see these jobs too.
    pending: AtomicBool,
}

impl Wakeup {
    /// New jobs are committed: a worker looks, unless one is already about to.
    pub fn jobs_queued(&self) {
        if !self.pending.swap(true, Ordering::SeqCst) {
            self.notify.notify_one();
        }
    }

    /// A worker starts looking: jobs committed from now on may be missed by it and need a
    /// wake-up of their own. Called after the worker registered for the next wake-up.
    pub(crate) fn looking(&self) {
        self.pending.store(false, Ordering::SeqCst);
    }

    pub(crate) fn notify(&self) -> &Notify {
        &self.notify
    }
}

/// Builds the workers from the settings; they start with [`Workers::start`].
pub fn workers(
    settings: &Settings,
    store: crate::store::Store,
    time: crate::domain::TimeFormat,
    wakeup: Arc<Wakeup>,
    metrics: Arc<crate::metrics::Metrics>,
) -> Result<Workers> {
    let push = PushSettings::from_settings(settings)?;
    let providers = Providers::from_settings(&push)?;
    Ok(Workers::new(push, providers, store, time, wakeup, metrics))
}

/// `Retry-After` as seconds or an HTTP date, relative to now.
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let raw = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = raw.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(raw).ok()?;
    let ms = at.timestamp_millis() - crate::domain::now_millis();
    Some(Duration::from_millis(ms.max(0) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether a worker's registered wake-up has fired, without waiting for it.
    fn woken(n: std::pin::Pin<&mut tokio::sync::futures::Notified<'_>>) -> bool {
        use std::future::Future;
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        n.poll(&mut cx).is_ready()
    }

    #[test]
    fn a_burst_of_jobs_wakes_one_worker_until_it_looks() {
        let w = Wakeup::default();
        let (a, b) = (w.notify().notified(), w.notify().notified());
        tokio::pin!(a, b);
        a.as_mut().enable();
        b.as_mut().enable();
        for _ in 0..3 {
            w.jobs_queued();
        }
        assert!(woken(a.as_mut()), "the first idle worker is woken");
        assert!(!woken(b.as_mut()), "one worker for the whole burst");
        w.jobs_queued();
        assert!(!woken(b.as_mut()), "the woken worker has not looked yet");
        w.looking();
        w.jobs_queued();
        assert!(woken(b.as_mut()), "jobs after a look wake a worker again");
    }

    #[test]
    fn preview_cuts_on_a_character_boundary() {
        assert_eq!(crate::domain::shortened("привет", 10), "привет");
        assert_eq!(crate::domain::shortened("привет", 3), "при…");
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut h = reqwest::header::HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert("retry-after", "7".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            "retry-after",
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
    }
}
