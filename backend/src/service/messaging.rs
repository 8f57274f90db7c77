//! Sending messages to employees and reading them back.

use crate::domain::{
    FileId, GroupId, IdempotencyKey, MessageText, StaffId, Title, has_name_placeholder, now_millis,
    personalized,
};
use crate::error::{Error, Result};
use crate::phrase::{Phrase, stored};
use crate::state::AppState;
use crate::store::{
    BulkCreated, Carries, Keyed, MessageQuery, MessageRow, MessageStatus, NewMessage, Origin,
    PartnerRow, Recall, StaffRow, StaffState, Texts,
};
use std::collections::{HashMap, HashSet};

/// Where a message came from: the partner's system or the cabinet's send form.
#[derive(Debug, Clone, Copy)]
pub enum Source {
    Api,
    Cabinet,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Cabinet => "cabinet",
        }
    }

    /// Messages from here sent by `actor`, as the journal names them (`audit::api_key`,
    /// `audit::actor_of`).
    pub fn by(self, actor: &str) -> Origin<'_> {
        Origin {
            source: self.as_str(),
            sent_by: actor,
        }
    }
}

/// What a message says, and whether it asks the employee to acknowledge it ("Ознакомлен(а)"
/// in the app: an order, a rule, a new schedule).
#[derive(Debug, Clone, Copy)]
pub struct Content<'a> {
    pub title: &'a Title,
    pub text: &'a MessageText,
    pub ack_required: bool,
    /// The partner's files it carries, checked (see `service::files::attachable`).
    pub files: &'a [FileId],
}

/// The employee of this partner who may receive a message now, or why not.
pub async fn recipient(
    state: &AppState,
    partner: &PartnerRow,
    staff_id: StaffId,
) -> Result<StaffRow> {
    let staff = state
        .store
        .staff_by_id(partner.id, staff_id)
        .await?
        .ok_or_else(|| Error::not_found(staff_not_found(staff_id)))?;
    match staff.state() {
        StaffState::Active => Ok(staff),
        StaffState::Disabled => Err(Error::Conflict(phrase!(
            "Сотрудник {staff_id} отключён от рассылки: сообщение не отправлено",
            "Employee {staff_id} is excluded from the mailing: the message was not sent"
        ))),
        StaffState::Pending => Err(Error::Conflict(phrase!(
            "Сотрудник {staff_id} ожидает подтверждения администратором: сообщение не отправлено",
            "Employee {staff_id} awaits the administrator's approval: the message was not sent"
        ))),
    }
}

/// Stores a message for one employee; nothing is stored when the employee cannot receive it.
/// With an idempotency key, a call the partner's system repeats (after a timeout, say) gets
/// the message the key already names instead of a second one.
pub async fn send(
    state: &AppState,
    partner: &PartnerRow,
    staff_id: StaffId,
    content: &Content<'_>,
    origin: Origin<'_>,
    key: Option<&IdempotencyKey>,
) -> Result<(StaffRow, MessageRow)> {
    let asked = Asked {
        staff_id,
        content,
        key,
    };
    if let Some(key) = key
        && let Some(earlier) = state.store.message_by_key(partner.id, key).await?
    {
        // Before the employee's checks: the message exists whatever became of them since.
        return replay(state, partner, &asked, earlier).await;
    }
    let staff = recipient(state, partner, staff_id).await?;
    let status = initial_status(&staff);
    let new = NewMessage {
        partner_id: partner.id,
        staff_id: staff.staff_id(),
        title: content.title.as_str(),
        body: content.text.as_str(),
        source: origin.source,
        sent_by: origin.sent_by,
        status,
        now: now_millis(),
        push_token: staff.push_token.as_deref(),
        push_device: staff.push_device.as_deref(),
        idempotency_key: key,
        ack_required: content.ack_required,
    };
    let stored = if content.files.is_empty() {
        state.store.insert_message_keyed(&new).await?
    } else {
        state
            .store
            .insert_message_with_files(&new, &file_ids(content.files))
            .await?
    };
    let message = match stored {
        Keyed::Stored(row) => row,
        Keyed::Taken(earlier) => return replay(state, partner, &asked, earlier).await,
    };
    if status == MessageStatus::Queued {
        state.push_wakeup.jobs_queued();
    }
    tracing::info!(
        partner_id = partner.id,
        staff_id = staff.id,
        message_id = message.id,
        "message stored"
    );
    Ok((staff, message))
}

/// What a `send` call asked for, to compare a retry with the message its key names.
struct Asked<'a> {
    staff_id: StaffId,
    content: &'a Content<'a>,
    key: Option<&'a IdempotencyKey>,
}

/// The answer to a repeated call: the message its key names, if it is the same message.
async fn replay(
    state: &AppState,
    partner: &PartnerRow,
    asked: &Asked<'_>,
    earlier: MessageRow,
) -> Result<(StaffRow, MessageRow)> {
    let same = earlier.staff_id == asked.staff_id.0
        && earlier.title == asked.content.title.as_str()
        && earlier.body == asked.content.text.as_str()
        && earlier.ack_required == asked.content.ack_required
        && state.store.message_file_ids(earlier.id).await? == file_ids(asked.content.files);
    if !same {
        return Err(Error::Conflict(phrase!(
            "Ключ Idempotency-Key «{}» уже использован для другого сообщения (№ {}): \
             повтор запроса должен совпадать с ним в staffid, title, message, requireack и fileids",
            "Idempotency-Key “{}” was already used for another message (No. {}): \
             a repeated call must have the same staffid, title, message, requireack and fileids",
            asked.key.map_or("", IdempotencyKey::as_str),
            earlier.id
        )));
    }
    let staff = state
        .store
        .staff_by_id(partner.id, asked.staff_id)
        .await?
        .ok_or_else(|| Error::not_found(staff_not_found(asked.staff_id)))?;
    tracing::info!(
        partner_id = partner.id,
        message_id = earlier.id,
        "repeated call: the message its idempotency key names"
    );
    Ok((staff, earlier))
}

/// A recipient of a bulk send the message was not created for, and why.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub staff_id: StaffId,
    pub reason: Phrase,
}

pub fn staff_not_found(id: StaffId) -> Phrase {
    stored::STAFF_NOT_FOUND.phrase(&[&id.to_string()])
}

/// What `send_bulk` did: the messages created and the recipients refused.
#[derive(Debug, Clone, Default)]
pub struct BulkOutcome {
    pub created: Vec<BulkCreated>,
    pub refused: Vec<Refusal>,
}

/// Who a bulk message goes to.
#[derive(Debug, Clone, Copy)]
pub enum Recipients<'a> {
    /// Every employee of the partner who receives messages now.
    AllActive,
    /// These employees (duplicates ignored); unknown, disabled and unapproved ones are
    /// refused one by one, the others still get the message.
    Listed(&'a [StaffId]),
    /// The members of one of the partner's groups at the time of sending: like "all" within
    /// the group, members disabled or awaiting approval are left out, not refused.
    Group(GroupId),
}

/// Stores one message per recipient and their delivery jobs in one transaction.
pub async fn send_bulk(
    state: &AppState,
    partner: &PartnerRow,
    to: Recipients<'_>,
    content: &Content<'_>,
    origin: Origin<'_>,
) -> Result<BulkOutcome> {
    let Content { title, text, .. } = *content;
    let Audience {
        recipients,
        refused,
        staff,
    } = audience(state, partner.id, to)
        .await?
        .ok_or_else(|| group_not_found(to))?;
    let mut outcome = BulkOutcome {
        created: Vec::new(),
        refused,
    };
    let started = std::time::Instant::now();
    if !recipients.is_empty() {
        let personal = personal_texts(title.as_str(), text.as_str(), &recipients, &staff)?;
        let texts = match &personal {
            Some(texts) => Texts::Personal(texts),
            None => Texts::Shared {
                title: title.as_str(),
                body: text.as_str(),
            },
        };
        outcome.created = state
            .store
            .insert_messages_bulk(
                partner.id,
                &recipients,
                texts,
                origin,
                now_millis(),
                Carries {
                    ack_required: content.ack_required,
                    files: &file_ids(content.files),
                },
            )
            .await?;
    }
    if outcome
        .created
        .iter()
        .any(|c| c.status == MessageStatus::Queued)
    {
        state.push_wakeup.jobs_queued();
    }
    tracing::info!(
        partner_id = partner.id,
        created = outcome.created.len(),
        refused = outcome.refused.len(),
        store_ms = started.elapsed().as_millis() as u64,
        "bulk messages stored"
    );
    Ok(outcome)
}

/// Each recipient's own title and text when either names them (`{ФИО}`), in the order of
/// `recipients`; `None` when neither does, and the send's words are shared. The names are
/// those of `staff`, the audience's read: a send scheduled last week greets by this week's
/// name.
pub fn personal_texts(
    title: &str,
    text: &str,
    recipients: &[(StaffId, MessageStatus)],
    staff: &[StaffRow],
) -> Result<Option<Vec<(String, String)>>> {
    if !has_name_placeholder(title) && !has_name_placeholder(text) {
        return Ok(None);
    }
    let names: HashMap<i64, &str> = staff.iter().map(|s| (s.id, s.name.as_str())).collect();
    recipients
        .iter()
        .map(|(id, _)| {
            // Every recipient was chosen from `staff`.
            let name = names.get(&id.0).ok_or_else(|| {
                Error::Internal(format!("recipient {} is not in the audience's staff", id.0))
            })?;
            Ok((
                personalized(title, name, Title::MAX_CHARS),
                personalized(text, name, MessageText::MAX_CHARS),
            ))
        })
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

/// The 404 of a group that is not the partner's (or no longer exists).
pub fn group_not_found(to: Recipients<'_>) -> Error {
    match to {
        Recipients::Group(id) => {
            Error::not_found(stored::GROUP_NOT_FOUND.phrase(&[&id.to_string()]))
        }
        _ => Error::not_found(phrase!("Получатели не найдены", "No recipients found")),
    }
}

/// Who of the partner's employees gets a message now (with the status it starts in), and who
/// is refused and why; `None` when the group it goes to is not the partner's.
pub async fn audience(
    state: &AppState,
    partner_id: i64,
    to: Recipients<'_>,
) -> Result<Option<Audience>> {
    let staff = match to {
        Recipients::AllActive => state.store.list_staff(partner_id).await?,
        // Those listed alone: a send to five of 111,000 read every employee (0.1 s and 30 MB).
        Recipients::Listed(ids) => {
            let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
            state.store.staff_by_ids(partner_id, &ids).await?
        }
        // In the staff list's order (name, then ID), which the messages' IDs follow.
        Recipients::Group(id) => match state.store.group_staff(partner_id, id.0).await? {
            None => return Ok(None),
            Some(members) => members,
        },
    };
    let listed = match to {
        Recipients::Listed(ids) => Some(ids),
        _ => None,
    };
    let (recipients, refused) = resolve(&staff, listed);
    Ok(Some(Audience {
        recipients,
        refused,
        staff,
    }))
}

/// Who a send goes to, who is refused, and the employees they were chosen from (read once:
/// their names fill `{ФИО}`).
pub struct Audience {
    pub recipients: Vec<(StaffId, MessageStatus)>,
    pub refused: Vec<Refusal>,
    pub staff: Vec<StaffRow>,
}

/// Who of `staff` gets a message now: the `listed` ones (refused one by one when they cannot
/// receive it), or with `None` every active one.
fn resolve(
    staff: &[StaffRow],
    listed: Option<&[StaffId]>,
) -> (Vec<(StaffId, MessageStatus)>, Vec<Refusal>) {
    let mut refused = Vec::new();
    let recipients: Vec<(StaffId, MessageStatus)> =
        match listed {
            None => staff
                .iter()
                .filter(|s| s.state() == StaffState::Active)
                .map(|s| (s.staff_id(), initial_status(s)))
                .collect(),
            Some(ids) => {
                let staff: HashMap<i64, &StaffRow> = staff.iter().map(|s| (s.id, s)).collect();
                let mut seen = HashSet::with_capacity(ids.len());
                let mut recipients = Vec::with_capacity(ids.len());
                for &id in ids {
                    if !seen.insert(id.0) {
                        continue;
                    }
                    let refuse = |reason: Phrase| Refusal {
                        staff_id: id,
                        reason,
                    };
                    match staff.get(&id.0) {
                        None => refused.push(refuse(staff_not_found(id))),
                        Some(s) => match s.state() {
                            StaffState::Active => recipients.push((id, initial_status(s))),
                            StaffState::Disabled => refused
                                .push(refuse(stored::STAFF_DISABLED.phrase(&[&id.to_string()]))),
                            StaffState::Pending => refused
                                .push(refuse(stored::STAFF_PENDING.phrase(&[&id.to_string()]))),
                        },
                    }
                }
                recipients
            }
        };
    (recipients, refused)
}

/// A 404 naming the IDs that are none of the partner's employees (in any state).
pub async fn check_known(state: &AppState, partner_id: i64, ids: &[StaffId]) -> Result<()> {
    let asked: Vec<i64> = ids.iter().map(|id| id.0).collect();
    let staff = state.store.staff_by_ids(partner_id, &asked).await?;
    let known: HashSet<i64> = staff.iter().map(|s| s.id).collect();
    let unknown: Vec<StaffId> = ids
        .iter()
        .copied()
        .filter(|id| !known.contains(&id.0))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    let (named, total) = first_named(&unknown);
    Err(Error::not_found(if total > NAMED {
        phrase!(
            "Сотрудники не найдены: {named}, … (всего {total})",
            "Employees not found: {named}, … ({total} in all)"
        )
    } else {
        phrase!(
            "Сотрудники не найдены: {named}",
            "Employees not found: {named}"
        )
    }))
}

/// How many IDs a refusal names: the first ones name the mistake; ten thousand would only
/// bloat the answer.
const NAMED: usize = 20;

/// The first `NAMED` of `ids` joined by commas, and how many there are.
fn first_named<T: ToString>(ids: &[T]) -> (String, usize) {
    let named: Vec<String> = ids.iter().take(NAMED).map(ToString::to_string).collect();
    (named.join(", "), ids.len())
}

/// What a recall did: the messages recalled now, and those recalled before.
#[derive(Debug)]
pub struct Recalled {
    pub recalled: Vec<i64>,
    pub already: Vec<i64>,
}

/// Recalls the partner's messages: all of them, or none when one is not the partner's (a
/// 404 naming those). The journal says who recalled how many.
pub async fn recall(
    state: &AppState,
    partner: &PartnerRow,
    ids: &[i64],
    source: Source,
) -> Result<Recalled> {
    let detail = stored::RECALLED.fill(&[source.as_str()]);
    match state
        .store
        .recall_messages(partner.id, ids, &detail, now_millis())
        .await?
    {
        Recall::Done {
            recalled,
            already,
            pushes,
        } => {
            if pushes > 0 {
                state.push_wakeup.jobs_queued();
            }
            Ok(Recalled { recalled, already })
        }
        Recall::Unknown(unknown) => {
            let (named, total) = first_named(&unknown);
            Err(Error::not_found(if total > NAMED {
                phrase!(
                    "Сообщения не найдены: {named}, … (всего {total}); ничего не отозвано",
                    "Messages not found: {named}, … ({total} in all); nothing was recalled"
                )
            } else {
                phrase!(
                    "Сообщения не найдены: {named}; ничего не отозвано",
                    "Messages not found: {named}; nothing was recalled"
                )
            }))
        }
    }
}

/// Queues again the pushes of those of `ids` that could not go, once their employees have a
/// device (see `Store::resend_messages`); returns their IDs.
pub async fn resend(
    state: &AppState,
    partner: &PartnerRow,
    ids: &[i64],
    source: Source,
) -> Result<Vec<i64>> {
    let detail = stored::RESENT.fill(&[source.as_str()]);
    let queued = state
        .store
        .resend_messages(partner.id, ids, &detail, now_millis())
        .await?;
    if !queued.is_empty() {
        state.push_wakeup.jobs_queued();
    }
    Ok(queued)
}

/// The journal's words for messages recalled or sent again: how many, and the first IDs.
pub fn messages_audit_detail(ids: &[i64]) -> String {
    let (named, total) = first_named(ids);
    let named = if total > NAMED {
        format!("{named}, …")
    } else {
        named
    };
    stored::AUDIT_RECALLED.fill(&[&total.to_string(), &named])
}

/// `queued` when the employee has a device to push to, `no_device` otherwise.
fn initial_status(staff: &StaffRow) -> MessageStatus {
    if staff.push_token.as_deref().is_some_and(|t| !t.is_empty()) {
        MessageStatus::Queued
    } else {
        MessageStatus::NoDevice
    }
}

fn file_ids(files: &[FileId]) -> Vec<i64> {
    files.iter().map(|f| f.0).collect()
}

pub async fn list_for_staff(state: &AppState, query: &MessageQuery) -> Result<Vec<MessageRow>> {
    state
        .store
        .messages_for_staff(query)
        .await?
        .ok_or_else(|| Error::not_found(staff_not_found(query.staff_id)))
}
