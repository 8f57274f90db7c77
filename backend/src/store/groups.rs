//! Groups of employees (migration 15): a name, and the partner's employees in it.
//!
//! Members are written in one statement per change, whatever their number: SQLite reads the
//! IDs from a JSON array (`json_each`), PostgreSQL from an array parameter. Each statement
//! joins `staff` on the partner, so another partner's employee can never be put in a group.

use super::{Pool, Store, is_unique_violation, with_pool, with_writer};
use crate::domain::{Millis, StaffId};
use crate::error::{Error, Result};
use crate::store::StaffRow;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GroupRow {
    pub id: i64,
    pub name: String,
    /// Employees in the group, in any state.
    pub members: i64,
    pub updated_at: Millis,
}

/// A group to store: new (`id` is `None`) or changed.
pub struct GroupInput<'a> {
    pub id: Option<i64>,
    pub name: &'a str,
    /// The members it has from now on; `None` keeps them.
    pub members: Option<&'a [StaffId]>,
    pub now: Millis,
}

/// What deleting a group did.
#[derive(Debug)]
pub enum GroupDeleted {
    /// Deleted; its name, for the journal.
    Deleted(String),
    /// Not the partner's, or gone.
    NotFound,
    /// Sends scheduled to it wait (their IDs): it stays, or they would create nothing.
    InUse(Vec<i64>),
}

const GROUP_COLUMNS: &str = "g.id, g.name, g.updated_at,
     (SELECT COUNT(*) FROM staff_group_members m WHERE m.group_id = g.id) AS members";

/// Puts the partner's employees among `ids` in the group; the others are left out.
pub(super) const ADD_SQLITE: &str = "INSERT INTO staff_group_members (group_id, staff_id)
     SELECT $1, s.id FROM staff s WHERE +s.partner_id = $2
       AND s.id IN (SELECT value FROM json_each($3))
     ON CONFLICT DO NOTHING";
const ADD_PG: &str = "INSERT INTO staff_group_members (group_id, staff_id)
     SELECT $1, s.id FROM staff s WHERE s.partner_id = $2 AND s.id = ANY($3)
     ON CONFLICT DO NOTHING";
const REMOVE_SQLITE: &str = "DELETE FROM staff_group_members
     WHERE group_id = $1 AND staff_id IN (SELECT value FROM json_each($2))";
const REMOVE_PG: &str =
    "DELETE FROM staff_group_members WHERE group_id = $1 AND staff_id = ANY($2)";

/// How one group is looked up.
#[derive(Clone, Copy)]
enum Key<'a> {
    Id(i64),
    Name(&'a str),
}

fn raw_ids(ids: &[StaffId]) -> Vec<i64> {
    ids.iter().map(|id| id.0).collect()
}

fn json_ids(ids: &[StaffId]) -> String {
    let list: Vec<String> = ids.iter().map(|id| id.0.to_string()).collect();
    format!("[{}]", list.join(","))
}

/// Runs `body` in a transaction on the writer, whichever database it is.
macro_rules! in_tx {
    ($store:expr, $tx:ident => $body:expr) => {
        match &$store.writer {
            Pool::Sqlite(p) => {
                let mut $tx = p.begin().await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
            Pool::Postgres(p) => {
                let mut $tx = p.begin().await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
        }
    };
}

/// Adding or removing members, in each database's way of passing a list.
trait Members {
    async fn change_members(
        &mut self,
        add: bool,
        group_id: i64,
        partner_id: i64,
        ids: &[StaffId],
    ) -> std::result::Result<u64, sqlx::Error>;
}

impl Members for sqlx::SqliteConnection {
    async fn change_members(
        &mut self,
        add: bool,
        group_id: i64,
        partner_id: i64,
        ids: &[StaffId],
    ) -> std::result::Result<u64, sqlx::Error> {
        let q = if add {
            sqlx::query(ADD_SQLITE).bind(group_id).bind(partner_id)
        } else {
            sqlx::query(REMOVE_SQLITE).bind(group_id)
        };
        Ok(q.bind(json_ids(ids)).execute(self).await?.rows_affected())
    }
}

impl Members for sqlx::PgConnection {
    async fn change_members(
        &mut self,
        add: bool,
        group_id: i64,
        partner_id: i64,
        ids: &[StaffId],
    ) -> std::result::Result<u64, sqlx::Error> {
        let q = if add {
            sqlx::query(ADD_PG).bind(group_id).bind(partner_id)
        } else {
            sqlx::query(REMOVE_PG).bind(group_id)
        };
        Ok(q.bind(raw_ids(ids)).execute(self).await?.rows_affected())
    }
}

/// A group's employees (`Store::group_staff`). The partner's column is hidden (`+`): seeing
/// its equality, SQLite walked every employee by name for the members' few.
pub(super) const GROUP_STAFF: &str = super::staff::select_staff!(
    "FROM staff s WHERE +s.partner_id = $1
       AND s.id IN (SELECT m.staff_id FROM staff_group_members m WHERE m.group_id = $2)
     ORDER BY s.name, s.id"
);

impl Store {
    /// The partner's groups by name, with how many employees each has.
    pub async fn groups(&self, partner_id: i64) -> Result<Vec<GroupRow>> {
        let sql = format!(
            "SELECT {GROUP_COLUMNS} FROM staff_groups g WHERE g.partner_id = $1 ORDER BY g.name, g.id"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(partner_id)
            .fetch_all(p)
            .await)?,
        )
    }

    /// One of the partner's groups (another partner's is not found).
    pub async fn group(&self, partner_id: i64, id: i64) -> Result<Option<GroupRow>> {
        self.group_where(partner_id, Key::Id(id)).await
    }

    /// The partner's group of this name (names are unique per partner).
    pub async fn group_by_name(&self, partner_id: i64, name: &str) -> Result<Option<GroupRow>> {
        self.group_where(partner_id, Key::Name(name)).await
    }

    async fn group_where(&self, partner_id: i64, key: Key<'_>) -> Result<Option<GroupRow>> {
        let column = match key {
            Key::Id(_) => "g.id",
            Key::Name(_) => "g.name",
        };
        let sql = format!(
            "SELECT {GROUP_COLUMNS} FROM staff_groups g WHERE g.partner_id = $1 AND {column} = $2"
        );
        Ok(with_pool!(self, p => {
            let q = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(partner_id);
            let q = match key {
                Key::Id(id) => q.bind(id),
                Key::Name(name) => q.bind(name),
            };
            q.fetch_optional(p).await
        })?)
    }

    /// The employees of one of the partner's groups, in the staff list's order (name, then
    /// ID); `None` when the group is not its.
    pub async fn group_staff(&self, partner_id: i64, id: i64) -> Result<Option<Vec<StaffRow>>> {
        if self.group(partner_id, id).await?.is_none() {
            return Ok(None);
        }
        Ok(Some(with_pool!(self, p => sqlx::query_as(GROUP_STAFF)
            .bind(partner_id)
            .bind(id)
            .fetch_all(p)
            .await)?))
    }

    /// The members of one of the partner's groups, by ID; `None` when the group is not its.
    pub async fn group_members(&self, partner_id: i64, id: i64) -> Result<Option<Vec<StaffId>>> {
        if self.group(partner_id, id).await?.is_none() {
            return Ok(None);
        }
        let ids: Vec<i64> = with_pool!(self, p => sqlx::query_scalar(
            "SELECT m.staff_id FROM staff_group_members m
             JOIN staff_groups g ON g.id = m.group_id
             WHERE g.partner_id = $1 AND m.group_id = $2 ORDER BY m.staff_id",
        )
        .bind(partner_id)
        .bind(id)
        .fetch_all(p)
        .await)?;
        Ok(Some(ids.into_iter().map(StaffId).collect()))
    }

    /// The IDs of one employee's groups, ascending (through `staff_group_members_staff`).
    pub async fn groups_of(&self, partner_id: i64, staff: StaffId) -> Result<Vec<i64>> {
        Ok(with_pool!(self, p => sqlx::query_scalar(
            "SELECT m.group_id FROM staff_group_members m
             JOIN staff_groups g ON g.id = m.group_id
             WHERE m.staff_id = $2 AND g.partner_id = $1 ORDER BY m.group_id",
        )
        .bind(partner_id)
        .bind(staff.0)
        .fetch_all(p)
        .await)?)
    }

    /// Every membership of the partner's groups: (group, employee), by group then employee.
    pub async fn group_memberships(&self, partner_id: i64) -> Result<Vec<(i64, i64)>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT m.group_id, m.staff_id FROM staff_group_members m
             JOIN staff_groups g ON g.id = m.group_id
             WHERE g.partner_id = $1 ORDER BY m.group_id, m.staff_id",
        )
        .bind(partner_id)
        .fetch_all(p)
        .await)?)
    }

    /// Adds or changes a group, and with `members` sets who is in it, in one transaction;
    /// `None` when the one to change is not the partner's (or gone). A name the partner uses
    /// for another group is a conflict. Members not among the partner's employees are left out
    /// (the service refuses them first).
    pub async fn save_group(
        &self,
        partner_id: i64,
        g: &GroupInput<'_>,
    ) -> Result<Option<GroupRow>> {
        let saved: std::result::Result<Option<i64>, sqlx::Error> = async {
            Ok(in_tx!(self, tx => {
                let id: Option<i64> = match g.id {
                    None => sqlx::query_scalar(
                        "INSERT INTO staff_groups (partner_id, name, created_at, updated_at)
                         VALUES ($1, $2, $3, $3) RETURNING id",
                    )
                    .bind(partner_id)
                    .bind(g.name)
                    .bind(g.now)
                    .fetch_optional(&mut *tx)
                    .await?,
                    Some(id) => sqlx::query_scalar(
                        "UPDATE staff_groups SET name = $3, updated_at = $4
                         WHERE partner_id = $1 AND id = $2 RETURNING id",
                    )
                    .bind(partner_id)
                    .bind(id)
                    .bind(g.name)
                    .bind(g.now)
                    .fetch_optional(&mut *tx)
                    .await?,
                };
                if let (Some(id), Some(members)) = (id, g.members) {
                    sqlx::query("DELETE FROM staff_group_members WHERE group_id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    tx.change_members(true, id, partner_id, members).await?;
                }
                id
            }))
        }
        .await;
        match saved {
            Ok(Some(id)) => self.group(partner_id, id).await,
            Ok(None) => Ok(None),
            Err(e) if is_unique_violation(&e) => Err(Error::Conflict(phrase!(
                "Группа «{}» уже есть: выберите другое название",
                "Group “{}” already exists: choose another name",
                g.name
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// Puts employees in one of the partner's groups (`add`) or takes them out; how many
    /// memberships changed, or `None` when the group is not the partner's. Employees of
    /// other partners are left out.
    pub async fn change_group_members(
        &self,
        partner_id: i64,
        group_id: i64,
        ids: &[StaffId],
        add: bool,
        now: Millis,
    ) -> Result<Option<u64>> {
        let changed: Option<u64> = in_tx!(self, tx => {
            let touched = sqlx::query(
                "UPDATE staff_groups SET updated_at = $3 WHERE partner_id = $1 AND id = $2",
            )
            .bind(partner_id)
            .bind(group_id)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if touched == 0 {
                None
            } else {
                Some(tx.change_members(add, group_id, partner_id, ids).await?)
            }
        });
        Ok(changed)
    }

    /// Deletes one of the partner's groups unless a scheduled send still waits for it.
    pub async fn delete_group(&self, partner_id: i64, id: i64) -> Result<GroupDeleted> {
        let deleted = with_writer!(self, p => async {
            let mut tx = p.begin().await?;
            let waiting: Vec<i64> = sqlx::query_scalar(
                "SELECT id FROM scheduled_sends
                 WHERE partner_id = $1 AND group_id = $2 AND state = 'pending' ORDER BY id",
            )
            .bind(partner_id)
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
            if !waiting.is_empty() {
                return Ok::<_, sqlx::Error>(GroupDeleted::InUse(waiting));
            }
            let name: Option<String> = sqlx::query_scalar(
                "DELETE FROM staff_groups WHERE partner_id = $1 AND id = $2 RETURNING name",
            )
            .bind(partner_id)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(name.map_or(GroupDeleted::NotFound, GroupDeleted::Deleted))
        }.await)?;
        Ok(deleted)
    }
}
