//! Changing one employee: the name, the phone (a new SIM), the state (enabled, disabled,
//! approved). The cabinet's employee list and the API's `updatestaff` both come here, so the
//! rules and what the journal learns are the same.

use super::messaging::staff_not_found;
use crate::domain::{Phone, StaffId, StaffName, now_millis};
use crate::error::{Error, Result};
use crate::phrase::Phrase;
use crate::state::AppState;
use crate::store::{StaffRow, StaffState};

/// What to change; `None` leaves it.
#[derive(Debug, Default, Clone, Copy)]
pub struct Edit<'a> {
    pub name: Option<&'a StaffName>,
    pub phone: Option<&'a Phone>,
    pub state: Option<StaffState>,
}

/// A change that happened, with what was there before (for the journal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Renamed { old: String },
    PhoneChanged { old: String },
    State { old: StaffState },
}

fn phone_taken(phone: &Phone, holder: &StaffRow) -> Error {
    let who = crate::cabinet::audit::employee(&holder.name, holder.id);
    Error::Conflict(Phrase::new(
        format!("Номер {} уже у сотрудника {who}", phone.as_str()),
        format!(
            "Number {} already belongs to employee {who}",
            phone.as_str()
        ),
    ))
}

/// Applies `edit` to the partner's employee and answers them as they are now, with what
/// changed (nothing for values already so). The phone goes first: it is the one change that
/// can be refused (another employee has it), and then nothing has changed.
pub async fn edit(
    state: &AppState,
    partner_id: i64,
    id: StaffId,
    edit: Edit<'_>,
) -> Result<(StaffRow, Vec<Change>)> {
    let store = &state.store;
    let gone = || Error::not_found(staff_not_found(id));
    let row = store.staff_by_id(partner_id, id).await?.ok_or_else(gone)?;
    let now = now_millis();
    let mut changes = Vec::new();
    if let Some(phone) = edit.phone.filter(|p| p.as_str() != row.phone) {
        match store.set_staff_phone(partner_id, id, phone, now).await? {
            Ok(true) => changes.push(Change::PhoneChanged {
                old: row.phone.clone(),
            }),
            Ok(false) => return Err(gone()),
            Err(holder) => return Err(phone_taken(phone, &holder)),
        }
    }
    if let Some(name) = edit.name.filter(|n| n.as_str() != row.name) {
        if !store
            .rename_staff(partner_id, id, name.as_str(), now)
            .await?
        {
            return Err(gone());
        }
        changes.push(Change::Renamed {
            old: row.name.clone(),
        });
    }
    if let Some(new_state) = edit.state.filter(|s| *s != row.state()) {
        if !store
            .set_staff_state(partner_id, id, new_state, now)
            .await?
        {
            return Err(gone());
        }
        changes.push(Change::State { old: row.state() });
    }
    let after = match changes.is_empty() {
        true => row,
        false => store.staff_by_id(partner_id, id).await?.ok_or_else(gone)?,
    };
    if !changes.is_empty() {
        tracing::info!(partner_id, staff_id = id.0, ?changes, "employee changed");
    }
    Ok((after, changes))
}
