//! Messages scheduled for later: from the cabinet's send form and `schedulemessage`.
//!
//! Who gets the message is decided when it is sent, not when it was scheduled: an employee
//! disabled in between is refused then, and "all" means the employees active at that time.

use super::messaging::{self, Content, Recipients};
use crate::domain::{
    FileId, GroupId, IdempotencyKey, MessageText, Millis, Repeat, StaffId, Title, now_millis,
};
use crate::error::{Error, Result};
use crate::phrase::stored;
use crate::state::AppState;
use crate::store::{
    Keyed, NewScheduled, Origin, PartnerRow, ScheduledChange, ScheduledOutcome, ScheduledRow,
};
use std::collections::HashSet;
use std::time::Duration;

/// How far ahead a message may be scheduled.
pub const MAX_AHEAD: Duration = Duration::from_secs(366 * 86_400);

/// Waiting sends one partner may have at once: beyond this, scheduling is refused.
pub const MAX_PENDING: i64 = 1_000;

/// Most recipients listed in one scheduled send ("all" has no limit).
pub const MAX_LISTED: usize = 10_000;

/// Reasons of refusal kept with a sent one, for the cabinet.
const REFUSALS_KEPT: usize = 10;

/// Due sends taken in one round.
const ROUND: i64 = 20;

/// How often the scheduler looks for due sends.
pub const POLL: Duration = Duration::from_secs(1);

/// A message to schedule.
pub struct NewSend<'a> {
    pub to: Recipients<'a>,
    /// The words, and whether the messages ask to be acknowledged.
    pub content: Content<'a>,
    pub send_at: Millis,
    /// Where it comes from and who schedules it: its messages carry them.
    pub origin: Origin<'a>,
    /// The partner's Idempotency-Key: a repeat finds the send it names.
    pub key: Option<&'a IdempotencyKey>,
    /// Sent again a day, a weekday or a week later, until cancelled; `None`: once.
    pub repeat: Option<Repeat>,
    /// A repeating send's last moment: no send of the series goes after it.
    pub repeat_until: Option<Millis>,
}

/// Schedules a message for `send_at`: to the listed employees, who must be the partner's
/// (their state is checked when it is sent), or to all who are active then. The time must be
/// in the future and within `MAX_AHEAD`.
pub async fn schedule(
    state: &AppState,
    partner: &PartnerRow,
    send: NewSend<'_>,
) -> Result<Keyed<ScheduledRow>> {
    let NewSend {
        to,
        content,
        send_at,
        origin,
        key,
        repeat,
        repeat_until,
    } = send;
    let (listed, group) = addressed(to);
    let asked = Asked {
        listed,
        group,
        content,
        send_at,
        repeat,
        repeat_until,
    };
    if let Some(key) = key
        && let Some(earlier) = state
            .store
            .scheduled_by_key(partner.id, key.as_str())
            .await?
    {
        // Before the time's checks: a repeat after the time passed still finds its send.
        let files = state.store.scheduled_file_ids(earlier.id).await?;
        return replay(&asked, Some(key), earlier, &files).map(Keyed::Taken);
    }
    let now = now_millis();
    check_time(state, send_at, now)?;
    check_series(state, repeat, repeat_until, send_at)?;
    check_recipients(state, partner, to, asked.listed.as_deref()).await?;
    let (pending, _) = state.store.scheduled_summary(partner.id).await?;
    if pending >= MAX_PENDING {
        return Err(Error::Conflict(phrase!(
            "Запланировано уже {MAX_PENDING} отправок: дождитесь их или отмените лишние",
            "{MAX_PENDING} sends are already scheduled: wait for them or cancel some"
        )));
    }
    let stored = state
        .store
        .schedule_send(&NewScheduled {
            partner_id: partner.id,
            title: content.title.as_str(),
            body: content.text.as_str(),
            send_at,
            staff: asked.listed.as_deref(),
            group: asked.group,
            repeat: repeat.map(Repeat::as_str),
            repeat_until,
            source: origin.source,
            sent_by: origin.sent_by,
            now,
            key: key.map(IdempotencyKey::as_str),
            ack_required: content.ack_required,
            files: &file_ids(content.files),
        })
        .await?;
    let row = match stored {
        Keyed::Stored(row) => row,
        Keyed::Taken(earlier) => {
            let files = state.store.scheduled_file_ids(earlier.id).await?;
            return replay(&asked, key, earlier, &files).map(Keyed::Taken);
        }
    };
    tracing::info!(
        partner_id = partner.id,
        schedule_id = row.id,
        send_at,
        "message scheduled"
    );
    Ok(Keyed::Stored(row))
}

/// What the journal says of a send: its title, time, recipients, for a series how it repeats,
/// whether it asks to be acknowledged, and its files; stored words, which the English journal
/// reads back.
pub async fn journal_detail(state: &AppState, row: &ScheduledRow) -> String {
    let files = file_names(state, row.id).await;
    detail_with(state, row, &files).await
}

/// The names of a send's files, in their order, for the journal.
async fn file_names(state: &AppState, id: i64) -> Vec<String> {
    match state.store.scheduled_files(&[id]).await {
        Ok(mut files) => files
            .remove(&id)
            .unwrap_or_default()
            .into_iter()
            .map(|f| f.name)
            .collect(),
        Err(e) => {
            // The send is done; its entry goes without the names rather than not at all.
            tracing::warn!(error = %e, schedule_id = id, "a send's files for the journal");
            Vec::new()
        }
    }
}

async fn detail_with(state: &AppState, row: &ScheduledRow, files: &[String]) -> String {
    let at = state.time.minutes(row.send_at);
    let whom = match (row.group_id, row.listed_count()) {
        (Some(id), _) => {
            let name = match state.store.group(row.partner_id, id).await {
                Ok(Some(group)) => group.name,
                // Deleted since: its send goes to nobody, and the journal names it by ID.
                Ok(None) => id.to_string(),
                Err(e) => {
                    // The send is done; its entry names the group by ID rather than not at all.
                    tracing::warn!(error = %e, group_id = id, "a group's name for the journal");
                    id.to_string()
                }
            };
            stored::TO_GROUP.fill(&[&name])
        }
        (None, Some(n)) => n.to_string(),
        (None, None) => stored::TO_ALL_ACTIVE.fill(&[]),
    };
    let send = match Repeat::stored(row.repeat.as_deref()) {
        Some(r) => stored::AUDIT_SCHEDULED_REPEATING.fill(&[&row.title, &at, &whom, &r.name()]),
        None => stored::AUDIT_SCHEDULED.fill(&[&row.title, &at, &whom]),
    };
    let send = if row.ack_required {
        stored::AUDIT_SCHEDULED_ACK.fill(&[&send])
    } else {
        send
    };
    if files.is_empty() {
        send
    } else {
        stored::AUDIT_SCHEDULED_FILES.fill(&[&send, &files.join(", ")])
    }
}

/// A waiting send as it was and as it is after `change`.
pub struct Changed {
    pub before: ScheduledRow,
    pub after: ScheduledRow,
    /// The names of the files it had, which the store no longer holds for it.
    before_files: Vec<String>,
}

impl Changed {
    /// Written: a change to what the send already was writes nothing (the same `revision`).
    pub fn written(&self) -> bool {
        self.after.revision != self.before.revision
    }

    /// The journal's entry of the change: the send before and after.
    pub async fn journal_detail(&self, state: &AppState) -> String {
        let before = detail_with(state, &self.before, &self.before_files).await;
        let after = journal_detail(state, &self.after).await;
        stored::AUDIT_SCHEDULE_CHANGED.fill(&[&before, &after])
    }
}

/// Who a send goes to as its row keeps them: each listed employee once, in the order given
/// (`None` for all or a group), and the group.
fn addressed(to: Recipients<'_>) -> (Option<Vec<StaffId>>, Option<i64>) {
    match to {
        Recipients::AllActive => (None, None),
        Recipients::Group(id) => (None, Some(id.0)),
        Recipients::Listed(ids) => {
            let mut seen = HashSet::with_capacity(ids.len());
            let unique = ids.iter().copied().filter(|id| seen.insert(id.0)).collect();
            (Some(unique), None)
        }
    }
}

/// Recipients a send may take: a list of the partner's employees, not empty and within
/// `MAX_LISTED` (`listed`: as `addressed` made it), or a group of the partner's.
async fn check_recipients(
    state: &AppState,
    partner: &PartnerRow,
    to: Recipients<'_>,
    listed: Option<&[StaffId]>,
) -> Result<()> {
    if let Some(unique) = listed {
        if unique.is_empty() {
            return Err(Error::invalid(phrase!(
                "Не указаны получатели",
                "No recipients given"
            )));
        }
        if unique.len() > MAX_LISTED {
            return Err(Error::invalid(phrase!(
                "Получателей больше {MAX_LISTED}: запланируйте отправку частями или всем",
                "More than {MAX_LISTED} recipients: schedule the send in parts, or to everyone"
            )));
        }
        messaging::check_known(state, partner.id, unique).await?;
    }
    if let Recipients::Group(id) = to
        && state.store.group(partner.id, id.0).await?.is_none()
    {
        return Err(messaging::group_not_found(to));
    }
    Ok(())
}

/// A series' end: only with a repeat, and not before the send it starts from.
fn check_series(
    state: &AppState,
    repeat: Option<Repeat>,
    until: Option<Millis>,
    send_at: Millis,
) -> Result<()> {
    match (repeat, until) {
        (None, Some(_)) => Err(Error::invalid(phrase!(
            "Поле «repeatuntil» задаёт конец повторов: укажите и «repeat»",
            "“repeatuntil” ends a series: give “repeat” too"
        ))),
        (Some(_), Some(until)) if until < send_at => Err(Error::invalid(phrase!(
            "Повторы должны закончиться не раньше первой отправки ({})",
            "The repeats cannot end before the first send ({})",
            state.time.format(send_at)
        ))),
        _ => Ok(()),
    }
}

/// What a `schedule` call asked for, to compare a repeat with the send its key names.
struct Asked<'a> {
    /// Each once, in the order given; `None` for all or a group.
    listed: Option<Vec<StaffId>>,
    group: Option<i64>,
    content: Content<'a>,
    send_at: Millis,
    repeat: Option<Repeat>,
    repeat_until: Option<Millis>,
}

/// The answer to a repeated call: the send its key names, if it is the same send.
fn replay(
    asked: &Asked<'_>,
    key: Option<&IdempotencyKey>,
    earlier: ScheduledRow,
    earlier_files: &[i64],
) -> Result<ScheduledRow> {
    let same = earlier.listed() == asked.listed
        && earlier.group_id == asked.group
        && earlier.title == asked.content.title.as_str()
        && earlier.body == asked.content.text.as_str()
        && earlier.send_at == asked.send_at
        && Repeat::stored(earlier.repeat.as_deref()) == asked.repeat
        && earlier.repeat_until == asked.repeat_until
        && earlier.ack_required == asked.content.ack_required
        && earlier_files == file_ids(asked.content.files);
    if !same {
        return Err(Error::Conflict(phrase!(
            "Ключ Idempotency-Key «{}» уже использован для другой отправки (№ {}): повтор запроса \
             должен совпадать с ней в получателях, title, message, senddate, repeat, repeatuntil, \
             requireack и fileids",
            "Idempotency-Key “{}” was already used for another send (No. {}): a repeated call \
             must have the same recipients, title, message, senddate, repeat, repeatuntil, \
             requireack and fileids",
            key.map_or("", IdempotencyKey::as_str),
            earlier.id
        )));
    }
    tracing::info!(
        partner_id = earlier.partner_id,
        schedule_id = earlier.id,
        "repeated call: the send its idempotency key names"
    );
    Ok(earlier)
}

/// A send's time: in the future, and within `MAX_AHEAD`.
fn check_time(state: &AppState, send_at: Millis, now: Millis) -> Result<()> {
    if send_at <= now {
        return Err(Error::invalid(phrase!(
            "Время отправки {} уже прошло: укажите время в будущем",
            "The send time {} has passed: give a time in the future",
            state.time.format(send_at)
        )));
    }
    if send_at - now > MAX_AHEAD.as_millis() as Millis {
        return Err(Error::invalid(phrase!(
            "Сообщение можно запланировать не более чем на год вперёд",
            "A message can be scheduled at most a year ahead"
        )));
    }
    Ok(())
}

/// What changes of a waiting send; `None` keeps what it has.
#[derive(Default)]
pub struct Change<'a> {
    pub title: Option<&'a Title>,
    pub text: Option<&'a MessageText>,
    pub send_at: Option<Millis>,
    /// Whom it goes to, in place of whom it went to.
    pub to: Option<Recipients<'a>>,
    /// How it repeats from now: `Some(None)` goes once (and drops the series' end).
    pub repeat: Option<Option<Repeat>>,
    /// The series' last moment: `Some(None)` repeats until cancelled.
    pub repeat_until: Option<Option<Millis>>,
    /// Whether its messages ask to be acknowledged.
    pub ack_required: Option<bool>,
    /// The partner's files it carries from now, checked (`service::files::attachable`);
    /// `Some(&[])` carries none.
    pub files: Option<&'a [FileId]>,
}

impl Change<'_> {
    fn is_empty(&self) -> bool {
        self.title.is_none()
            && self.text.is_none()
            && self.send_at.is_none()
            && self.to.is_none()
            && self.repeat.is_none()
            && self.repeat_until.is_none()
            && self.ack_required.is_none()
            && self.files.is_none()
    }
}

/// Changes a waiting send of the partner: its words, its time, whom it goes to and how it
/// repeats, each checked as when it was scheduled. A series' next sends keep to the new time
/// (their day and hour follow it) and take the rest, as they copy the send before them.
/// Answers the send before and after; a change to what it already is writes nothing and
/// answers it twice, at the same `revision`.
pub async fn change(
    state: &AppState,
    partner: &PartnerRow,
    id: i64,
    change: Change<'_>,
) -> Result<Changed> {
    let before = state
        .store
        .scheduled_send(partner.id, id)
        .await?
        .ok_or_else(|| send_not_found(id))?;
    if before.state != "pending" {
        return Err(no_longer_waits(&before));
    }
    if change.is_empty() {
        return Err(Error::invalid(phrase!(
            "Укажите, что изменить: senddate, title, message, получателей (staffids, groupid \
             или all), repeat, repeatuntil, requireack или fileids",
            "Say what to change: senddate, title, message, the recipients (staffids, groupid \
             or all), repeat, repeatuntil, requireack or fileids"
        )));
    }
    let send_at = change.send_at.unwrap_or(before.send_at);
    if change.send_at.is_some() {
        check_time(state, send_at, now_millis())?;
    }
    let repeat = change
        .repeat
        .unwrap_or_else(|| Repeat::stored(before.repeat.as_deref()));
    let repeat_until = match change.repeat_until {
        Some(until) => {
            check_series(state, repeat, until, send_at)?;
            until
        }
        // A send made to go once has no series to end.
        None if repeat.is_none() => None,
        None => match before.repeat_until {
            Some(until) if send_at > until => {
                return Err(Error::invalid(phrase!(
                    "Повторы этой отправки заканчиваются {}: укажите время не позже",
                    "This send's repeats end at {}: give a time no later",
                    state.time.format(until)
                )));
            }
            kept => kept,
        },
    };
    let (listed, group) = match change.to {
        Some(to) => {
            let (listed, group) = addressed(to);
            check_recipients(state, partner, to, listed.as_deref()).await?;
            (listed, group)
        }
        None => (before.listed(), before.group_id),
    };
    let title = change.title.map_or(before.title.as_str(), Title::as_str);
    let body = change
        .text
        .map_or(before.body.as_str(), MessageText::as_str);
    let ack_required = change.ack_required.unwrap_or(before.ack_required);
    let files = change.files.map(file_ids);
    let had = state
        .store
        .scheduled_files(&[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    let same_files = files
        .as_ref()
        .is_none_or(|files| files.iter().eq(had.iter().map(|f| &f.id)));
    let before_files: Vec<String> = had.into_iter().map(|f| f.name).collect();
    let same = same_files
        && title == before.title
        && ack_required == before.ack_required
        && body == before.body
        && send_at == before.send_at
        && listed == before.listed()
        && group == before.group_id
        && repeat == Repeat::stored(before.repeat.as_deref())
        && repeat_until == before.repeat_until;
    if same {
        // Nothing to write nor to journal: the same revision says so.
        return Ok(Changed {
            after: before.clone(),
            before,
            before_files,
        });
    }
    let series_start = before.series_start.map(|_| send_at);
    let changed = state
        .store
        .change_scheduled(
            partner.id,
            id,
            &ScheduledChange {
                title,
                body,
                send_at,
                series_start,
                staff: listed.as_deref(),
                group,
                repeat: repeat.map(Repeat::as_str),
                repeat_until,
                ack_required,
                files: files.as_deref(),
            },
        )
        .await?;
    match changed {
        Some(after) => {
            tracing::info!(
                partner_id = partner.id,
                schedule_id = id,
                send_at = after.send_at,
                "scheduled send changed"
            );
            Ok(Changed {
                before,
                after,
                before_files,
            })
        }
        // Sent or cancelled in between: say which.
        None => match state.store.scheduled_send(partner.id, id).await? {
            Some(now) => Err(no_longer_waits(&now)),
            None => Err(send_not_found(id)),
        },
    }
}

/// Why a send that went or was cancelled cannot be changed or cancelled.
fn no_longer_waits(row: &ScheduledRow) -> Error {
    let id = row.id;
    if row.state == "cancelled" {
        Error::Conflict(phrase!(
            "Отправка {id} уже отменена",
            "Send {id} is already cancelled"
        ))
    } else {
        Error::Conflict(phrase!(
            "Отправка {id} уже выполнена: её сообщения созданы",
            "Send {id} has already gone: its messages are created"
        ))
    }
}

/// Cancels a waiting send of the partner.
pub async fn cancel(state: &AppState, partner: &PartnerRow, id: i64) -> Result<ScheduledRow> {
    let cancelled = state
        .store
        .cancel_scheduled(partner.id, id, now_millis())
        .await?;
    if let Some(row) = cancelled {
        return Ok(row);
    }
    // Not cancelled: say why, from what the send is now.
    match state.store.scheduled_send(partner.id, id).await? {
        None => Err(send_not_found(id)),
        Some(row) => Err(no_longer_waits(&row)),
    }
}

fn file_ids(files: &[FileId]) -> Vec<i64> {
    files.iter().map(|f| f.0).collect()
}

pub fn send_not_found(id: i64) -> Error {
    Error::not_found(phrase!(
        "Запланированная отправка {id} не найдена",
        "Scheduled send {id} not found"
    ))
}

/// Sends what is due by `due_by` (now, but for tests); returns how many sends went out. The
/// messages are created at the time they really are. A send that fails stays pending for the
/// next round and is logged; the others of the round still go, so one cannot hold up the rest.
pub async fn run_due(state: &AppState, due_by: Millis) -> Result<usize> {
    let mut sent = 0;
    for row in state.store.due_scheduled(due_by, ROUND).await? {
        match send_one(state, &row).await {
            Ok(true) => sent += 1,
            Ok(false) => {}
            Err(e) => tracing::error!(
                schedule_id = row.id,
                partner_id = row.partner_id,
                error = %e,
                "scheduled send failed; it stays pending for the next round"
            ),
        }
    }
    Ok(sent)
}

async fn send_one(state: &AppState, row: &ScheduledRow) -> Result<bool> {
    let partner = state.store.partner_by_id(row.partner_id).await?;
    let listed = row.listed();
    let to = match (&listed, row.group_id) {
        (_, Some(group)) => Recipients::Group(GroupId(group)),
        (Some(ids), None) => Recipients::Listed(ids),
        (None, None) => Recipients::AllActive,
    };
    // A group deleted in a race with the send's scheduling sends nothing; the send says why.
    let (mut recipients, mut refused, staff, gone) =
        match messaging::audience(state, row.partner_id, to).await? {
            Some(a) => (a.recipients, a.refused, a.staff, None),
            None => (
                Vec::new(),
                Vec::new(),
                Vec::new(),
                Some(messaging::group_not_found(to).to_string()),
            ),
        };
    if partner.is_none_or(|p| p.disabled) {
        // The operator disabled the company: its messages stop, scheduled ones included.
        refused.extend(
            recipients
                .drain(..)
                .map(|(staff_id, _)| messaging::Refusal {
                    staff_id,
                    reason: stored::PARTNER_DISABLED.phrase(&[]),
                }),
        );
    }
    let detail = (!refused.is_empty()).then(|| {
        let mut reasons: Vec<&str> = refused
            .iter()
            .take(REFUSALS_KEPT)
            .map(|r| r.reason.ru())
            .collect();
        if refused.len() > REFUSALS_KEPT {
            reasons.push("…");
        }
        reasons.join("; ")
    });
    let detail = gone.or(detail);
    let now = now_millis();
    let personal = messaging::personal_texts(&row.title, &row.body, &recipients, &staff)?;
    let outcome = ScheduledOutcome {
        personal: personal.as_deref(),
        recipients: &recipients,
        refused_count: refused.len() as i64,
        refused_detail: detail.as_deref(),
        now,
        next: Repeat::stored(row.repeat.as_deref())
            .map(|r| {
                let first = row.series_start.unwrap_or(row.send_at);
                state.time.next_occurrence(r, first, row.send_at, now)
            })
            .filter(|next| row.repeat_until.is_none_or(|until| *next <= until)),
    };
    let started = std::time::Instant::now();
    let Some(created) = state.store.send_scheduled(row, &outcome).await? else {
        tracing::info!(
            schedule_id = row.id,
            "scheduled send taken by another server or cancelled"
        );
        return Ok(false);
    };
    if created
        .iter()
        .any(|c| c.status == crate::store::MessageStatus::Queued)
    {
        state.push_wakeup.jobs_queued();
    }
    tracing::info!(
        partner_id = row.partner_id,
        schedule_id = row.id,
        created = created.len(),
        refused = refused.len(),
        late_ms = now - row.send_at,
        store_ms = started.elapsed().as_millis() as u64,
        next_send_at = ?outcome.next,
        "scheduled message sent"
    );
    Ok(true)
}

/// Looks for due sends every `every` until aborted; a failed round is logged and the send
/// stays waiting for the next one.
pub fn spawn(state: crate::state::SharedState, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            state.store.until_reachable().await;
            if let Err(e) = run_due(&state, now_millis()).await {
                tracing::warn!(error = %e, "scheduled sends: round failed, trying again");
                state.store.note_failure(&e);
            }
            tokio::time::sleep(every).await;
        }
    })
}
