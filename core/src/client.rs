//! The core's logic behind the exported object: login, push token, reading, marking read.
//! Pure Rust, no FFI types except the records, so it is tested directly.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::api::{ApiClient, Credentials};
use crate::cache::{Cache, PendingLogin, Session};
use crate::domain::{
    Device, FileId, Inn, MessageId, Phone, PushToken, SmsCode, StaffName, StaffState,
};
use crate::error::{Error, Result};
use crate::model::{Message, Profile, PushNotification};
use crate::push::{self, Pushed};

/// Most results `search` returns.
pub const SEARCH_LIMIT: u32 = 100;

/// Most messages `awaiting_ack` returns: a screen's worth of reminders, not an archive.
pub const AWAITING_ACK_LIMIT: u32 = 100;

/// What the app hears about without asking. Called on a background thread.
#[uniffi::export(with_foreign)]
pub trait SimoListener: Send + Sync {
    /// Messages that arrived (by `sync()` or a push) and were not in the cache before, newest first.
    fn on_new_messages(&self, messages: Vec<Message>);
    /// The organisation recalled these messages (sent by mistake) and the core deleted them
    /// from the cache (told by a recall push or by `sync()`): refresh the list and withdraw
    /// their notifications.
    fn on_messages_recalled(&self, ids: Vec<MessageId>);
    /// The server no longer accepts the session (for example, the employee logged in on
    /// another phone): show the login screen. Cached messages stay readable until logout.
    fn on_session_expired(&self);
}

/// One installation of the app talking to one server.
pub struct Client {
    pub(crate) api: ApiClient,
    pub(crate) cache: Cache,
    listener: RwLock<Option<Arc<dyn SimoListener>>>,
    /// One `sync()` at a time in this process; a second caller waits and then finds little to do.
    pub(crate) sync_lock: tokio::sync::Mutex<()>,
}

impl Client {
    /// A client of `server_url` keeping its cache in `data_dir`; restores the stored session.
    pub fn new(server_url: &str, data_dir: &Path) -> Result<Self> {
        Ok(Client {
            api: ApiClient::new(server_url)?,
            cache: Cache::open(data_dir)?,
            listener: RwLock::new(None),
            sync_lock: tokio::sync::Mutex::new(()),
        })
    }

    /// Sets (or replaces) the listener.
    pub fn set_listener(&self, listener: Option<Arc<dyn SimoListener>>) {
        *self.listener.write().unwrap_or_else(|p| p.into_inner()) = listener;
    }

    /// Step 1 of the login: the server sends an SMS code; returns the server's message.
    pub async fn request_code(
        &self,
        inn: &Inn,
        phone: &Phone,
        name: &str,
        device: Device,
    ) -> Result<String> {
        let name = StaffName::parse(name)?;
        let message = self.api.auth(inn, &name, phone, device).await?;
        self.cache
            .set_pending_login(&PendingLogin::new(inn, phone, device))?;
        Ok(message)
    }

    /// Step 2 of the login: exchanges the code for a session, stores it, re-sends the push token.
    pub async fn confirm_code(&self, code: &str) -> Result<Profile> {
        let code = SmsCode::parse(code)?;
        let pending = self.cache.pending_login()?.ok_or(Error::NoPendingLogin)?;
        let (inn, phone) = (Inn::parse(&pending.inn)?, Phone::parse(&pending.phone)?);
        let login = self.api.confirm_sms_code(&inn, &phone, &code).await?;
        let session = Session {
            token: login.apitoken,
            inn: login.inn,
            staff_id: login.staffid,
            staff_name: login.staffname,
            company_name: login.firstname,
            company_full: login.companyname,
            phone: login.phone,
            // The device the login was asked for, if the server's answer does not name one.
            device: Device::from_wire(&login.device).unwrap_or(pending.device),
            state: StaffState::from_server(login.state.as_deref()),
        };
        self.cache.save_session(&session)?;
        tracing::info!("logged in");
        // The login stands even if the token cannot be sent now: sync() sends it later.
        if let Err(error) = self.send_unsent_push_token(&session).await {
            tracing::warn!(%error, "push token not sent after login");
        }
        Ok(profile_of(&session))
    }

    /// Remembers the push token and sends it if a session exists. Offline, it stays queued
    /// for the next `sync()`; only an expired session is an error.
    pub async fn register_push_token(&self, token: &str) -> Result<()> {
        let token = PushToken::parse(token)?;
        self.cache.set_push_token(token.as_str())?;
        let Some(session) = self.cache.session()? else {
            return Ok(());
        };
        queued_unless_unauthorized(self.send_unsent_push_token(&session).await)
    }

    /// Sends the push token the current session has not received yet, if any.
    pub(crate) async fn send_unsent_push_token(&self, session: &Session) -> Result<()> {
        let Some(raw) = self.cache.unsent_push_token()? else {
            return Ok(());
        };
        let token = PushToken::parse(&raw)?;
        let sent = self
            .api
            .update_push_token(&credentials(session), &token, session.device)
            .await;
        self.check_expiry(session, sent)?;
        self.cache.push_token_sent(&raw)
    }

    /// Stores what a push carries and says what to show, before any sync.
    ///
    /// Without a session (after a logout, the server may still push to this device until
    /// it learns the token is gone) nothing is stored and the app shows nothing.
    pub fn handle_push(&self, payload: &str) -> Result<PushNotification> {
        let (message, reminder) = match push::read(payload, now_ms())? {
            Pushed::Message(message) => (message, false),
            Pushed::Reminder(message) => (message, true),
            Pushed::Recalled(id) => return self.recalled_by_push(id),
        };
        self.session()?;
        let (is_new, unread_count) = self.cache.store_pushed(&message)?;
        let stored = self.cache.message(message.id)?;
        // Acknowledged here already (the report may still wait for the network): nothing to
        // remind of.
        let reminder = reminder && stored.as_ref().is_some_and(|m| m.acked_at.is_none());
        if is_new && let Some(stored) = stored {
            self.notify_new(vec![stored]);
        }
        Ok(PushNotification {
            message_id: message.id,
            title: message.title,
            text: message.body,
            is_new,
            unread_count,
            recalled: false,
            ack_required: message.ack_required,
            reminder,
        })
    }

    /// A recall push: the message is deleted, the listener told, nothing shown.
    fn recalled_by_push(&self, id: MessageId) -> Result<PushNotification> {
        self.session()?;
        let removed = self.cache.remove_recalled(&[id])?;
        self.notify_recalled(removed);
        Ok(PushNotification {
            message_id: id,
            title: String::new(),
            text: String::new(),
            is_new: false,
            unread_count: self.cache.unread_count()?,
            recalled: true,
            ack_required: false,
            reminder: false,
        })
    }

    /// Marks a cached message read; the report is sent now if possible, else by the next sync.
    pub async fn mark_read(&self, id: MessageId) -> Result<()> {
        if !self.cache.mark_read(id)? {
            return Ok(());
        }
        let Some(session) = self.cache.session()? else {
            return Ok(());
        };
        let flushed = crate::sync::flush_reports(self, &session).await;
        queued_unless_unauthorized(self.check_expiry(&session, flushed).map(drop))
    }

    /// "Прочитать все": marks every cached unread message read; the reports are sent now if
    /// possible (in batches, as a sync sends them), else by the next sync. Returns how many.
    pub async fn mark_all_read(&self) -> Result<u32> {
        let marked = self.cache.mark_all_read()?;
        if marked == 0 {
            return Ok(0);
        }
        let Some(session) = self.cache.session()? else {
            return Ok(marked);
        };
        let flushed = crate::sync::flush_reports(self, &session).await;
        queued_unless_unauthorized(self.check_expiry(&session, flushed).map(drop))?;
        Ok(marked)
    }

    /// Records the employee's acknowledgment of a message that asks for it (which also reads
    /// it); the report is sent now if possible, else by the next sync.
    pub async fn acknowledge(&self, id: MessageId) -> Result<()> {
        if !self.cache.acknowledge(id, now_ms())? {
            return Ok(());
        }
        let Some(session) = self.cache.session()? else {
            return Ok(());
        };
        let flushed = crate::sync::flush_reports(self, &session).await;
        queued_unless_unauthorized(self.check_expiry(&session, flushed).map(drop))
    }

    /// The bytes of a file attached to a message: from the cache if downloaded before (also
    /// offline, and after the session expired), else from the server, then kept in the cache
    /// for as long as the message is there (files never change on the server) and the
    /// downloaded files fit their room (`cache::files::FILE_ROOM`; those opened longest ago
    /// make room, and are downloaded again when opened).
    pub async fn file(&self, message: MessageId, file: FileId) -> Result<Vec<u8>> {
        if let Some(bytes) = self.cache.file_bytes(message, file)? {
            return Ok(bytes);
        }
        let session = self.session()?;
        let fetched = self
            .api
            .get_file(&credentials(&session), message, file)
            .await;
        let bytes = self.check_expiry(&session, fetched)?;
        // The apps offer the files a sync listed; any other is handed over but not kept.
        if !self.cache.keep_file_bytes(message, file, &bytes)? {
            tracing::debug!(%message, %file, "a file the cache does not list: not kept");
        }
        Ok(bytes)
    }

    /// Messages that ask to be acknowledged and are not yet, newest first.
    pub fn awaiting_ack(&self) -> Result<Vec<Message>> {
        self.cache.awaiting_ack(AWAITING_ACK_LIMIT)
    }

    /// Newest first, below `before`.
    pub fn messages(&self, limit: u32, before: Option<MessageId>) -> Result<Vec<Message>> {
        self.cache.messages(limit, before)
    }

    /// Unread, newest first, below `before`.
    pub fn unread(&self, limit: u32, before: Option<MessageId>) -> Result<Vec<Message>> {
        self.cache.unread(limit, before)
    }

    /// One cached message.
    pub fn message(&self, id: MessageId) -> Result<Option<Message>> {
        self.cache.message(id)
    }

    /// Unread messages in the cache.
    pub fn unread_count(&self) -> Result<u32> {
        self.cache.unread_count()
    }

    /// Full-text search over the cache, newest first, at most [`SEARCH_LIMIT`] results.
    pub fn search(&self, text: &str) -> Result<Vec<Message>> {
        self.cache.search(text, SEARCH_LIMIT)
    }

    /// The logged-in employee, if any.
    pub fn profile(&self) -> Result<Option<Profile>> {
        Ok(self.cache.session()?.as_ref().map(profile_of))
    }

    /// Forgets the session and the cached messages (the push token stays for the next login).
    pub fn logout(&self) -> Result<()> {
        self.cache.clear_account()?;
        tracing::info!("logged out");
        Ok(())
    }

    /// The current session or [`Error::NotLoggedIn`].
    pub(crate) fn session(&self) -> Result<Session> {
        self.cache.session()?.ok_or(Error::NotLoggedIn)
    }

    /// On a 401, forgets the session (if no newer login replaced it) and tells the listener.
    pub(crate) fn check_expiry<T>(&self, session: &Session, result: Result<T>) -> Result<T> {
        if let Err(Error::Unauthorized(_)) = &result
            && self.cache.expire_session(&session.token)?
        {
            tracing::info!("session expired");
            self.with_listener(|l| l.on_session_expired());
        }
        result
    }

    pub(crate) fn notify_new(&self, messages: Vec<Message>) {
        if !messages.is_empty() {
            self.with_listener(move |l| l.on_new_messages(messages));
        }
    }

    pub(crate) fn notify_recalled(&self, ids: Vec<MessageId>) {
        if !ids.is_empty() {
            self.with_listener(move |l| l.on_messages_recalled(ids));
        }
    }

    /// Calls the listener outside any lock; an exception thrown by the app's listener must
    /// not break the core's work.
    fn with_listener(&self, call: impl FnOnce(&dyn SimoListener)) {
        let listener = self
            .listener
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some(listener) = listener
            && catch_unwind(AssertUnwindSafe(|| call(listener.as_ref()))).is_err()
        {
            tracing::warn!("the app's listener failed");
        }
    }
}

/// For work that stays queued when it cannot be done now: only an expired session is the
/// caller's business; anything else (no network, a server error) is retried by `sync()`.
fn queued_unless_unauthorized(result: Result<()>) -> Result<()> {
    match result {
        Err(Error::Unauthorized(message)) => Err(Error::Unauthorized(message)),
        Err(error) => {
            tracing::debug!(%error, "queued for the next sync");
            Ok(())
        }
        Ok(()) => Ok(()),
    }
}

pub(crate) fn credentials(session: &Session) -> Credentials<'_> {
    Credentials {
        token: &session.token,
        inn: &session.inn,
        staff_id: &session.staff_id,
    }
}

fn profile_of(session: &Session) -> Profile {
    Profile {
        inn: session.inn.clone(),
        staff_id: session.staff_id.clone(),
        staff_name: session.staff_name.clone(),
        company_name: session.company_name.clone(),
        company_full_name: session.company_full.clone(),
        phone: session.phone.clone(),
        device: session.device,
        state: session.state,
    }
}

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
