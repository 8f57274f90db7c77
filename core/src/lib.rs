//! SiMO mobile core: the logic the Android and iOS apps share, exported through UniFFI.
//!
//! [`SimoClient`] is a thin shell: each method parses, calls the pure-Rust [`client::Client`]
//! and maps the error to [`ApiError`]. Network calls are async and run on the core's one
//! tokio runtime ([`runtime`]); reads from the offline cache are plain blocking calls that
//! take a few milliseconds.

pub mod api;
pub mod cache;
pub mod client;
pub mod domain;
pub mod error;
pub mod lang;
pub mod model;
pub mod push;
pub mod runtime;
pub mod sync;

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

pub use client::{Client, SimoListener};
pub use domain::{Device, FileId, Inn, MessageId, Phone, StaffState};
pub use error::ApiError;
pub use model::{Message, MessageFile, Profile, PushNotification, SyncReport};

uniffi::setup_scaffolding!();

/// The phone's language (`en`, `en-US`, `ru-RU` …), for the core's messages and the server's:
/// English for English, Russian for anything else. Call it at start and when it changes.
#[uniffi::export]
pub fn set_language(tag: String) {
    lang::set(&tag);
}

/// The SiMO client of one app installation: login, push token, messages, offline cache.
///
/// Create one per process and keep it; it is safe to call from any thread. Two processes
/// (the iOS app and its Notification Service Extension) may share the same `data_dir`.
#[derive(uniffi::Object)]
pub struct SimoClient {
    inner: Arc<Client>,
}

#[uniffi::export]
impl SimoClient {
    /// Opens (or creates) the cache in `data_dir` and restores the stored session.
    /// `server_url` is the server's base address, e.g. `https://simo.example.ru`.
    #[uniffi::constructor]
    pub fn new(server_url: String, data_dir: String) -> Result<Arc<Self>, ApiError> {
        let inner = Client::new(&server_url, Path::new(&data_dir))?;
        Ok(Arc::new(SimoClient {
            inner: Arc::new(inner),
        }))
    }

    /// Sets the listener for new messages and session expiry (`null` removes it).
    pub fn set_listener(&self, listener: Option<Arc<dyn SimoListener>>) {
        self.inner.set_listener(listener);
    }

    /// Login step 1: asks the server to send an SMS code to `phone`; returns the server's message.
    pub async fn request_code(
        &self,
        inn: Inn,
        phone: Phone,
        name: String,
        device: Device,
    ) -> Result<String, ApiError> {
        self.call(move |c| async move { c.request_code(&inn, &phone, &name, device).await })
            .await
    }

    /// Login step 2: sends the code from the SMS; on success the session is stored.
    pub async fn confirm_code(&self, code: String) -> Result<Profile, ApiError> {
        self.call(move |c| async move { c.confirm_code(&code).await })
            .await
    }

    /// Gives the FCM or APNs token; remembered, sent now or with the next sync, re-sent after a new login.
    pub async fn register_push_token(&self, token: String) -> Result<(), ApiError> {
        self.call(move |c| async move { c.register_push_token(&token).await })
            .await
    }

    /// Fetches new messages into the cache and sends queued reports.
    pub async fn sync(&self) -> Result<SyncReport, ApiError> {
        self.call(|c| async move { c.sync().await }).await
    }

    /// Up to `limit` cached messages older than `before` (the newest if `before` is null), newest first.
    pub fn messages(
        &self,
        limit: u32,
        before: Option<MessageId>,
    ) -> Result<Vec<Message>, ApiError> {
        Ok(self.inner.messages(limit, before)?)
    }

    /// "Непрочитанные": up to `limit` cached unread messages older than `before` (the newest if
    /// `before` is null), newest first.
    pub fn unread_messages(
        &self,
        limit: u32,
        before: Option<MessageId>,
    ) -> Result<Vec<Message>, ApiError> {
        Ok(self.inner.unread(limit, before)?)
    }

    /// One cached message, or null.
    pub fn message(&self, id: MessageId) -> Result<Option<Message>, ApiError> {
        Ok(self.inner.message(id)?)
    }

    /// How many cached messages are unread.
    pub fn unread_count(&self) -> Result<u32, ApiError> {
        Ok(self.inner.unread_count()?)
    }

    /// Cached messages containing every word of `text` (word prefixes match), newest first, at most 100.
    pub fn search(&self, text: String) -> Result<Vec<Message>, ApiError> {
        Ok(self.inner.search(&text)?)
    }

    /// Stores the message a push carries (the JSON of its data map) and says what to show.
    pub fn handle_push(&self, payload: String) -> Result<PushNotification, ApiError> {
        Ok(self.inner.handle_push(&payload)?)
    }

    /// Marks a message read; the report is queued and never lost when offline.
    pub async fn mark_read(&self, id: MessageId) -> Result<(), ApiError> {
        self.call(move |c| async move { c.mark_read(id).await })
            .await
    }

    /// "Прочитать все": marks every cached unread message read and returns how many; the
    /// reports are queued and never lost when offline.
    pub async fn mark_all_read(&self) -> Result<u32, ApiError> {
        self.call(move |c| async move { c.mark_all_read().await })
            .await
    }

    /// "Ознакомлен(а)": acknowledges a message whose `ack_required` is set (and reads it); the
    /// report is queued and never lost when offline. A message that does not ask for it is
    /// `InvalidInput`.
    pub async fn acknowledge(&self, id: MessageId) -> Result<(), ApiError> {
        self.call(move |c| async move { c.acknowledge(id).await })
            .await
    }

    /// The bytes of a file of `message.files`: from the cache when downloaded before (also
    /// offline), else downloaded and kept as long as the message stays cached (files never
    /// change) and the downloaded files fit their 100 MiB (those opened longest ago make room
    /// and show `downloaded` false again). A file the server does not give this employee (the message recalled, or
    /// another's) is `NotFound`; without a network and not downloaded yet, `Network`.
    pub async fn file(&self, message_id: MessageId, file_id: FileId) -> Result<Vec<u8>, ApiError> {
        self.call(move |c| async move { c.file(message_id, file_id).await })
            .await
    }

    /// Cached messages that ask to be acknowledged and are not yet, newest first, at most 100.
    pub fn awaiting_ack(&self) -> Result<Vec<Message>, ApiError> {
        Ok(self.inner.awaiting_ack()?)
    }

    /// The logged-in employee, or null when logged out.
    pub fn profile(&self) -> Result<Option<Profile>, ApiError> {
        Ok(self.inner.profile()?)
    }

    /// Forgets the session and the cached messages.
    pub fn logout(&self) -> Result<(), ApiError> {
        Ok(self.inner.logout()?)
    }
}

impl SimoClient {
    /// Runs an async call of the inner client on the core's runtime.
    async fn call<T, F, Fut>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(Arc<Client>) -> Fut,
        Fut: Future<Output = error::Result<T>> + Send + 'static,
        T: Send + 'static,
    {
        Ok(runtime::run(f(self.inner.clone())).await?)
    }
}
