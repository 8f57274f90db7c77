//! Groups of employees: a department, a shift, a site. A message sent to a group goes to its
//! members active at that moment; the admin keeps the groups in the cabinet, or the partner's
//! system syncs them from its own structure (`savegroup`, by name).

use super::messaging;
use crate::domain::{GroupId, GroupName, StaffId, now_millis};
use crate::error::{Error, Result};
use crate::phrase::stored;
use crate::state::AppState;
use crate::store::{GroupDeleted, GroupInput, GroupRow, PartnerRow};
use std::collections::HashSet;

/// Groups one partner may keep.
pub const MAX_GROUPS: usize = 500;

/// Most members set in one call (a partner's whole staff fits).
pub const MAX_MEMBERS: usize = 100_000;

/// A group to save: which one (`None`: a new one, or with `by_name` the one of that name) and
/// what it is from now on.
pub struct SaveGroup<'a> {
    pub id: Option<GroupId>,
    pub name: &'a GroupName,
    /// Its members from now on; `None` keeps them (none for a new group).
    pub members: Option<&'a [StaffId]>,
    /// Without an ID, a group of this name is changed instead of refused as a duplicate: the
    /// partner's system syncs its departments by name, and a repeat is harmless.
    pub by_name: bool,
}

/// Adds or changes a group. Members must all be the partner's employees (any state): an
/// unknown one is a 404 and nothing is changed.
pub async fn save(state: &AppState, partner: &PartnerRow, g: SaveGroup<'_>) -> Result<GroupRow> {
    let members: Option<Vec<StaffId>> = g.members.map(|ids| {
        let mut seen = HashSet::with_capacity(ids.len());
        ids.iter().copied().filter(|id| seen.insert(id.0)).collect()
    });
    if let Some(ids) = &members {
        if ids.len() > MAX_MEMBERS {
            return Err(Error::invalid(phrase!(
                "В группе может быть не более {MAX_MEMBERS} сотрудников",
                "A group has at most {MAX_MEMBERS} employees"
            )));
        }
        messaging::check_known(state, partner.id, ids).await?;
    }
    let mut id = g.id.map(|id| id.0);
    if id.is_none() && g.by_name {
        id = state
            .store
            .group_by_name(partner.id, g.name.as_str())
            .await?
            .map(|row| row.id);
    }
    if id.is_none() && state.store.groups(partner.id).await?.len() >= MAX_GROUPS {
        return Err(Error::Conflict(phrase!(
            "У компании уже {MAX_GROUPS} групп: удалите ненужные",
            "The company already has {MAX_GROUPS} groups: delete those not needed"
        )));
    }
    let input = GroupInput {
        id,
        name: g.name.as_str(),
        members: members.as_deref(),
        now: now_millis(),
    };
    let saved = state
        .store
        .save_group(partner.id, &input)
        .await?
        .ok_or_else(|| not_found(id.unwrap_or_default()))?;
    tracing::info!(
        partner_id = partner.id,
        group_id = saved.id,
        members = saved.members,
        "group saved"
    );
    Ok(saved)
}

/// Puts employees in a group (`add`) or takes them out; how many changed.
pub async fn change_members(
    state: &AppState,
    partner: &PartnerRow,
    id: GroupId,
    ids: &[StaffId],
    add: bool,
) -> Result<u64> {
    if add {
        messaging::check_known(state, partner.id, ids).await?;
    }
    let changed = state
        .store
        .change_group_members(partner.id, id.0, ids, add, now_millis())
        .await?
        .ok_or_else(|| not_found(id.0))?;
    tracing::info!(
        partner_id = partner.id,
        group_id = id.0,
        changed,
        add,
        "group members changed"
    );
    Ok(changed)
}

/// Deletes a group (its members stay employees); its name, for the journal. A group that
/// scheduled sends still wait for is kept: they would go to no one.
pub async fn delete(state: &AppState, partner: &PartnerRow, id: GroupId) -> Result<String> {
    match state.store.delete_group(partner.id, id.0).await? {
        GroupDeleted::Deleted(name) => {
            tracing::info!(partner_id = partner.id, group_id = id.0, "group deleted");
            Ok(name)
        }
        GroupDeleted::NotFound => Err(not_found(id.0)),
        GroupDeleted::InUse(sends) => {
            let sends: Vec<String> = sends.iter().map(i64::to_string).collect();
            let sends = sends.join(", ");
            Err(Error::Conflict(phrase!(
                "Группе {id} запланированы отправки № {sends}: отмените их или дождитесь, затем \
                 удалите группу",
                "Sends No. {sends} are scheduled to group {id}: cancel them or wait for them, \
                 then delete the group"
            )))
        }
    }
}

pub fn not_found(id: i64) -> Error {
    Error::not_found(stored::GROUP_NOT_FOUND.phrase(&[&id.to_string()]))
}
