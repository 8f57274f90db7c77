//! Sending messages to employees and reading them back.

use crate::domain::{MessageText, StaffId, Title, now_millis};
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::store::{MessageQuery, MessageRow, MessageStatus, PartnerRow, StaffRow, StaffState};

/// Where a message came from: the partner's system or the cabinet's send form.
#[derive(Debug, Clone, Copy)]
pub enum Source {
    Api,
    Cabinet,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Cabinet => "cabinet",
        }
    }
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
        .ok_or_else(|| Error::not_found(format!("Сотрудник {staff_id} не найден")))?;
    match staff.state() {
        StaffState::Active => Ok(staff),
        StaffState::Disabled => Err(Error::Conflict(format!(
            "Сотрудник {staff_id} отключён от рассылки: сообщение не отправлено"
        ))),
        StaffState::Pending => Err(Error::Conflict(format!(
            "Сотрудник {staff_id} ожидает подтверждения администратором: сообщение не отправлено"
        ))),
    }
}

/// Stores a message for one employee; nothing is stored when the employee cannot receive it.
pub async fn send(
    state: &AppState,
    partner: &PartnerRow,
    staff_id: StaffId,
    title: &Title,
    text: &MessageText,
    source: Source,
) -> Result<(StaffRow, MessageRow)> {
    let staff = recipient(state, partner, staff_id).await?;
    let status = if staff.push_token.is_some() {
        MessageStatus::Queued
    } else {
        MessageStatus::NoDevice
    };
    let message = state
        .store
        .insert_message(
            partner.id,
            staff.staff_id(),
            title.as_str(),
            text.as_str(),
            source.as_str(),
            status,
            now_millis(),
        )
        .await?;
    tracing::info!(
        partner_id = partner.id,
        staff_id = staff.id,
        message_id = message.id,
        "message stored"
    );
    Ok((staff, message))
}

pub async fn list_for_staff(state: &AppState, query: &MessageQuery) -> Result<Vec<MessageRow>> {
    state.store.messages_for_staff(query).await
}
