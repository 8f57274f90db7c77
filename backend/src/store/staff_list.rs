//! The company's own staff list: employees added by phone and name before their first login.
//!
//! One transaction per list, whatever its size: SQLite reads the list from one bound JSON array
//! (`json_each`; it caps a statement's variables), PostgreSQL from two bound arrays. The
//! webhook's `added` events come from the insert trigger, in the same transaction.

use super::Store;
use super::staff_sync::{MARK_PG, MARK_SQLITE, listed_in_sync, open_sync};
use crate::domain::{Millis, Phone, StaffName, fold};
use crate::error::{Error, Result};
use std::collections::HashSet;

/// What adding did to one phone of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listed {
    /// A new employee, active, with no device until their first login.
    Added,
    /// Was awaiting the admin's approval: the company's list vouches for them.
    Approved,
    /// Already an employee; left as they are (name, state, device).
    Existing,
}

impl Listed {
    /// As the API says it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Added => "added",
            Self::Approved => "approved",
            Self::Existing => "existing",
        }
    }
}

/// One phone of the list after adding: the employee as stored now.
#[derive(Debug, Clone)]
pub struct ListedStaff {
    pub id: i64,
    pub phone: String,
    pub name: String,
    pub outcome: Listed,
}

/// What adding a list did.
#[derive(Debug, Clone, Default)]
pub struct StaffListed {
    /// Every phone of the list, in the order given.
    pub listed: Vec<ListedStaff>,
    /// With `disable_missing`: the employees not on the list who were switched off now.
    pub disabled: Vec<i64>,
    /// Given a sync: how many of the partner's employees it has listed so far, this list's
    /// included.
    pub sync_listed: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct IdPhoneName {
    id: i64,
    phone: String,
    name: String,
}

const ADD_SQLITE: &str =
    "INSERT INTO staff (partner_id, phone, name, name_key, state, created_at, updated_at)
     SELECT $1, j.value ->> 0, j.value ->> 1, j.value ->> 2, 'active', $2, $2 FROM json_each($3) j WHERE true
     ON CONFLICT (partner_id, phone) DO NOTHING
     RETURNING id";
const APPROVE_SQLITE: &str = "UPDATE staff SET state = 'active', updated_at = $2
     WHERE partner_id = $1 AND state = 'pending' AND phone IN (SELECT value FROM json_each($3))
     RETURNING id";
/// The full-export mode: everyone active or waiting whose phone is not on the list. Disabled,
/// not deleted: their history stays, and the admin can enable them again.
const DISABLE_MISSING_SQLITE: &str = "UPDATE staff SET state = 'disabled', updated_at = $2
     WHERE partner_id = $1 AND state <> 'disabled' AND phone NOT IN (SELECT value FROM json_each($3))
     RETURNING id";
const READ_SQLITE: &str = "SELECT id, phone, name FROM staff
     WHERE partner_id = $1 AND phone IN (SELECT value FROM json_each($2))";

const ADD_PG: &str =
    "INSERT INTO staff (partner_id, phone, name, name_key, state, created_at, updated_at)
     SELECT $1, u.phone, u.name, u.name_key, 'active', $2, $2
     FROM UNNEST($3::text[], $4::text[], $5::text[]) AS u(phone, name, name_key)
     ON CONFLICT (partner_id, phone) DO NOTHING
     RETURNING id";
const APPROVE_PG: &str = "UPDATE staff SET state = 'active', updated_at = $2
     WHERE partner_id = $1 AND state = 'pending' AND phone = ANY($3)
     RETURNING id";
const DISABLE_MISSING_PG: &str = "UPDATE staff SET state = 'disabled', updated_at = $2
     WHERE partner_id = $1 AND state <> 'disabled' AND phone <> ALL($3)
     RETURNING id";
const READ_PG: &str = "SELECT id, phone, name FROM staff WHERE partner_id = $1 AND phone = ANY($2)";

/// The statements after the insert, in a dialect; each binds the list's phones as one value.
struct Dialect {
    approve: &'static str,
    disable_missing: &'static str,
    read: &'static str,
    mark: &'static str,
}

const SQLITE: Dialect = Dialect {
    approve: APPROVE_SQLITE,
    disable_missing: DISABLE_MISSING_SQLITE,
    read: READ_SQLITE,
    mark: MARK_SQLITE,
};
const POSTGRES: Dialect = Dialect {
    approve: APPROVE_PG,
    disable_missing: DISABLE_MISSING_PG,
    read: READ_PG,
    mark: MARK_PG,
};

/// One list in `$tx`, committed: the sync checked and locked if one is given, the insert
/// `$add` (its binds are the dialect's own), then the approvals and the read back, given
/// `$phones`, and the whole-staff disabling and the sync's marks, given `$listed` (the same
/// phones and those of the entries skipped for their names alone).
macro_rules! list_in_tx {
    ($tx:ident, $dialect:expr, $phones:expr, $listed:expr, $add:expr, $partner_id:expr, $now:expr, $disable_missing:expr, $sync:expr) => {{
        if let Some(sync) = $sync {
            open_sync!($tx, sync, $partner_id, $now);
        }
        let added: Vec<i64> = $add.fetch_all(&mut *$tx).await?;
        let approved: Vec<i64> = sqlx::query_scalar($dialect.approve)
            .bind($partner_id)
            .bind($now)
            .bind($phones)
            .fetch_all(&mut *$tx)
            .await?;
        let disabled: Vec<i64> = match $disable_missing {
            true => {
                sqlx::query_scalar($dialect.disable_missing)
                    .bind($partner_id)
                    .bind($now)
                    .bind($listed)
                    .fetch_all(&mut *$tx)
                    .await?
            }
            false => Vec::new(),
        };
        let rows: Vec<IdPhoneName> = sqlx::query_as($dialect.read)
            .bind($partner_id)
            .bind($phones)
            .fetch_all(&mut *$tx)
            .await?;
        let sync_listed = match $sync {
            Some(sync) => {
                sqlx::query($dialect.mark)
                    .bind($partner_id)
                    .bind($listed)
                    .bind(sync)
                    .execute(&mut *$tx)
                    .await?;
                Some(listed_in_sync!($tx, sync, $partner_id))
            }
            None => None,
        };
        $tx.commit().await?;
        (added, approved, disabled, rows, sync_listed)
    }};
}

fn json(value: &impl serde::Serialize) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Internal(format!("staff list: {e}")))
}

impl Store {
    /// Adds the phones not yet the partner's employees (active, under the names given),
    /// approves those awaiting approval, and answers for every phone in the order given.
    /// `entries` holds each phone once. With `disable_missing` the list is the whole staff:
    /// the others are disabled in the same transaction. With `sync` (open, the partner's) the
    /// list is a part of the whole staff, marked for the sync's finish. `kept` are phones on
    /// the list whose entries were skipped (not among `entries`): their employees are neither
    /// disabled nor left out of the sync, and nothing else is done to them.
    pub async fn add_staff(
        &self,
        partner_id: i64,
        entries: &[(Phone, StaffName)],
        kept: &[Phone],
        disable_missing: bool,
        sync: Option<i64>,
        now: Millis,
    ) -> Result<StaffListed> {
        let phones: Vec<&str> = entries.iter().map(|(p, _)| p.as_str()).collect();
        let names: Vec<&str> = entries.iter().map(|(_, n)| n.as_str()).collect();
        // Folded now, so that the next search has no new names to fold (see `staff_browse`).
        let keys: Vec<String> = names.iter().map(|n| fold(n)).collect();
        // Usually nothing is kept: then the list's own phones are bound again, not a copy.
        let with_kept: Option<Vec<&str>> = (!kept.is_empty()).then(|| {
            phones
                .iter()
                .copied()
                .chain(kept.iter().map(Phone::as_str))
                .collect()
        });
        let (added, approved, mut disabled, rows, sync_listed) = match &self.writer {
            super::Pool::Sqlite(p) => {
                let rows: Vec<[&str; 3]> = (phones.iter().zip(&names).zip(&keys))
                    .map(|((p, n), k)| [*p, *n, k.as_str()])
                    .collect();
                let phones = json(&phones)?;
                let with_kept = with_kept.as_ref().map(json).transpose()?;
                let listed = with_kept.as_ref().unwrap_or(&phones);
                let mut tx = p.begin().await?;
                let add = sqlx::query_scalar(ADD_SQLITE)
                    .bind(partner_id)
                    .bind(now)
                    .bind(json(&rows)?);
                list_in_tx!(
                    tx,
                    SQLITE,
                    &phones,
                    listed,
                    add,
                    partner_id,
                    now,
                    disable_missing,
                    sync
                )
            }
            super::Pool::Postgres(p) => {
                let listed = with_kept.as_ref().unwrap_or(&phones);
                let mut tx = p.begin().await?;
                let add = sqlx::query_scalar(ADD_PG)
                    .bind(partner_id)
                    .bind(now)
                    .bind(&phones)
                    .bind(&names)
                    .bind(&keys);
                list_in_tx!(
                    tx,
                    POSTGRES,
                    &phones,
                    listed,
                    add,
                    partner_id,
                    now,
                    disable_missing,
                    sync
                )
            }
        };
        let added: HashSet<i64> = added.into_iter().collect();
        let approved: HashSet<i64> = approved.into_iter().collect();
        let mut by_phone: std::collections::HashMap<String, IdPhoneName> =
            rows.into_iter().map(|r| (r.phone.clone(), r)).collect();
        disabled.sort_unstable();
        let listed = phones
            .iter()
            .map(|phone| {
                // Every phone is in the partner's staff now: added here, or there before. A
                // deletion between the insert and the read is impossible inside one transaction.
                let r = by_phone.remove(*phone).ok_or_else(|| {
                    Error::Internal(format!("staff list: {phone} not found after adding"))
                })?;
                let outcome = if added.contains(&r.id) {
                    Listed::Added
                } else if approved.contains(&r.id) {
                    Listed::Approved
                } else {
                    Listed::Existing
                };
                Ok(ListedStaff {
                    id: r.id,
                    phone: r.phone,
                    name: r.name,
                    outcome,
                })
            })
            .collect::<Result<_>>()?;
        Ok(StaffListed {
            listed,
            disabled,
            sync_listed,
        })
    }
}
