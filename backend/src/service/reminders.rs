//! Reminders to acknowledge: asked for by the partner (`remindmessage`, the message's page), or
//! sent by the server a set number of hours after the message when the partner turned that on
//! in the cabinet's settings.

use crate::cabinet::audit;
use crate::domain::{Millis, now_millis};
use crate::error::Result;
use crate::service::messaging::messages_audit_detail;
use crate::state::AppState;
use crate::store::PartnerRow;
use std::time::Duration;

/// A message is reminded at most once in this time: each reminder is a notification the
/// employee hears, and a script calling `remindmessage` in a loop must not make it a siren.
pub const REMIND_INTERVAL: Duration = Duration::from_secs(3600);

/// The delays the cabinet offers for automatic reminders, in hours (0: off).
pub const AUTO_HOURS: [i64; 6] = [0, 4, 8, 24, 48, 72];

/// How often the server looks for automatic reminders that are due.
pub const AUTO_EVERY: Duration = Duration::from_secs(30);

/// Most messages of one partner reminded automatically in one round; the rest go in the next.
const AUTO_ROUND: i64 = 10_000;

/// When a reminder made after `now` may follow the last one.
fn interval_start(now: Millis) -> Millis {
    now - REMIND_INTERVAL.as_millis() as Millis
}

/// Queues a reminder to acknowledge for those of `ids` that ask for it and wait for it (see
/// `Store::remind_messages`); returns their IDs.
pub async fn remind(state: &AppState, partner: &PartnerRow, ids: &[i64]) -> Result<Vec<i64>> {
    remind_for(state, partner.id, ids, now_millis()).await
}

async fn remind_for(
    state: &AppState,
    partner_id: i64,
    ids: &[i64],
    now: Millis,
) -> Result<Vec<i64>> {
    let reminded = state
        .store
        .remind_messages(partner_id, ids, interval_start(now), now)
        .await?;
    if !reminded.is_empty() {
        state.push_wakeup.jobs_queued();
    }
    Ok(reminded)
}

/// One round of automatic reminders at `now`: each partner's messages past its delay that
/// still await acknowledgment are reminded (those that can be: see `Store::remind_messages`),
/// once, and the journal says so. Returns how many were reminded.
///
/// The cursor moves after the reminders are queued: if the server stops in between, the next
/// round looks at the same messages again, and those reminded already are skipped for the
/// hour, so a reminder is not lost (at worst one is repeated after an hour's outage).
pub async fn remind_overdue(state: &AppState, now: Millis) -> Result<u64> {
    let mut total = 0;
    for due in state.store.overdue_acks(now, AUTO_ROUND).await? {
        // Nothing awaits up to the edge: the cursor may stay, as no message behind the edge
        // can start awaiting (acknowledged and recalled are for good). Not moving it spares a
        // write per partner every round.
        if due.ids.is_empty() {
            continue;
        }
        let reminded = remind_for(state, due.partner_id, &due.ids, now).await?;
        state
            .store
            .advance_ack_cursor(due.partner_id, due.cursor)
            .await?;
        if !reminded.is_empty() {
            let detail = messages_audit_detail(&reminded);
            let action = audit::Action::MessagesReminded;
            audit::record_server(&state.store, due.partner_id, action, &detail).await;
            total += reminded.len() as u64;
        }
    }
    Ok(total)
}

/// Looks for due automatic reminders every `every` until aborted; a failed round is logged and
/// tried again at the next.
pub fn spawn(state: crate::state::SharedState, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            state.store.until_reachable().await;
            match remind_overdue(&state, now_millis()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(reminded = n, "automatic reminders to acknowledge queued"),
                Err(e) => {
                    tracing::warn!(error = %e, "automatic reminders: round failed, trying again");
                    state.store.note_failure(&e);
                }
            }
            tokio::time::sleep(every).await;
        }
    })
}
