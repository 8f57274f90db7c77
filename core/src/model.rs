//! Records the apps receive: messages, the profile, sync and push results.

use std::time::SystemTime;

use crate::domain::{Device, FileId, MessageId, StaffState};

/// A message as the app shows it, read from the offline cache.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Message {
    /// The server's id; greater is newer.
    pub id: MessageId,
    /// The subject line.
    pub title: String,
    /// The text of the message.
    pub text: String,
    /// When the partner created the message (for a push without a date: when it arrived).
    pub created_at: SystemTime,
    /// When the server handed it to FCM/APNs, if known.
    pub sent_at: Option<SystemTime>,
    /// Whether the employee has read it (on this device or, as the server says, elsewhere).
    pub is_read: bool,
    /// The company asks the employee to acknowledge it: show an "Ознакомлен(а)" button
    /// until `acked_at` is set (see `SimoClient::acknowledge`).
    pub ack_required: bool,
    /// When the employee acknowledged it (here or, as the server says, elsewhere).
    pub acked_at: Option<SystemTime>,
    /// The files attached to it, in the company's order (a payslip, an order to sign). A
    /// message stored from its push lists none until the next sync: a push does not carry them.
    pub files: Vec<MessageFile>,
}

/// A file attached to a message. Its bytes come from `SimoClient::file`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct MessageFile {
    /// The server's id, unique within the message.
    pub id: FileId,
    /// The file's name as the company gave it ("Расчётный листок.pdf"), without any folder:
    /// fit to show and to save under.
    pub name: String,
    /// The size in bytes.
    pub size: u64,
    /// The MIME type ("application/pdf"), for choosing the app that opens it.
    pub content_type: String,
    /// The bytes are in the offline cache: `SimoClient::file` gives them without the network.
    pub downloaded: bool,
}

/// The logged-in employee, as the server confirmed at login.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Profile {
    /// The organisation's INN.
    pub inn: String,
    /// The employee's id on the server.
    pub staff_id: String,
    /// The employee's surname and initials.
    pub staff_name: String,
    /// The organisation's short name ("ООО Весна").
    pub company_name: String,
    /// The organisation's full name.
    pub company_full_name: String,
    /// The phone in E.164 form.
    pub phone: String,
    /// The platform the session was opened on.
    pub device: Device,
    /// Whether messages come: the app says so when the company switched the employee off
    /// the mailing or has not approved the login yet.
    pub state: StaffState,
}

/// What one `sync()` did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncReport {
    /// Messages that were not in the cache before, newest first.
    pub new_messages: Vec<Message>,
    /// Messages the organisation recalled that this sync deleted from the cache.
    pub recalled: Vec<MessageId>,
    /// Delivery and read reports the server accepted during this sync.
    pub reports_sent: u32,
    /// Reports still waiting (for example, the server refused them temporarily).
    pub reports_pending: u32,
    /// The company changed the employee's name, phone or state (switched them off the
    /// mailing or back on, approved the login), or its own name, since the login or the
    /// last sync: `profile()` gives the new ones.
    pub profile_changed: bool,
}

/// What the app should show for a push it received.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PushNotification {
    /// The message the push is about.
    pub message_id: MessageId,
    /// The notification's title.
    pub title: String,
    /// The notification's text.
    pub text: String,
    /// False when the cache already had this message (a repeated push): the app may skip
    /// showing it again.
    pub is_new: bool,
    /// Unread messages in the cache after storing this one, for the badge.
    pub unread_count: u32,
    /// The push says the organisation recalled this message: it was deleted from the cache
    /// (the listener is told); show nothing and withdraw its notification.
    pub recalled: bool,
    /// The message asks to be acknowledged: the notification may offer "Ознакомлен(а)",
    /// which calls `SimoClient::acknowledge`.
    pub ack_required: bool,
    /// The company reminds the employee to acknowledge this message, not acknowledged here
    /// yet: show the notification again (although `is_new` is false), as "Напоминание: …".
    pub reminder: bool,
}
