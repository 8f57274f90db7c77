//! What every request handler and background job shares.

use crate::config::Settings;
use crate::domain::TimeFormat;
use crate::sms::SmsSender;
use crate::store::Store;
use std::sync::Arc;

pub struct AppState {
    pub store: Store,
    pub settings: Settings,
    pub time: TimeFormat,
    pub sms: Arc<dyn SmsSender>,
    /// Wakes this process's push workers when a message is queued.
    pub push_wakeup: Arc<crate::push::Wakeup>,
    /// Posts to partners' webhooks: the sender's and the cabinet's test delivery.
    pub webhooks: Arc<crate::webhook::Poster>,
    /// What `/metrics` shows; the workers and the sender count into it too.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Each company's API calls a second (`SIMO_PARTNER_RATE`, or the operator's for it).
    pub partner_throttle: crate::service::throttle::PartnerThrottle,
    /// Keys refused for their addresses, journaled once an hour each.
    pub key_refusals: crate::service::api_keys::RefusalNotes,
    /// The cabinet's forms refused to a viewer or a sender, journaled once an hour an account.
    pub rights_refusals: crate::service::api_keys::RefusalNotes,
    /// Turns of the uploads read at once (`service::files::upload_turn`).
    pub uploads: Arc<tokio::sync::Semaphore>,
}

pub type SharedState = Arc<AppState>;
