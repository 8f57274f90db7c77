//! Employees ("staff" on the wire): unique per partner and phone.

use super::{Store, exec, with_pool, with_writer};
use crate::domain::{Millis, Phone, PushToken, StaffId, TokenHash};
use crate::error::{Error, Result};

/// Whether an employee receives messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffState {
    Active,
    /// Switched off from the mailing by the admin.
    Disabled,
    /// Self-registered, waiting for the admin's approval (when the partner asks for it).
    Pending,
}

impl StaffState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Disabled => "disabled",
            Self::Pending => "pending",
        }
    }

    /// A state as the cabinet's filter names it; `None` for anything else.
    /// As the API says it: getstaff's `statusnotification`, the webhook's employee events.
    pub fn as_api(self) -> &'static str {
        match self {
            Self::Active => "enabled",
            Self::Disabled => "disabled",
            Self::Pending => "pending",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Active, Self::Disabled, Self::Pending]
            .into_iter()
            .find(|st| st.as_str() == s)
    }

    pub fn from_db(s: &str) -> Self {
        match s {
            "disabled" => Self::Disabled,
            "pending" => Self::Pending,
            _ => Self::Active,
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StaffRow {
    pub id: i64,
    pub partner_id: i64,
    pub phone: String,
    pub name: String,
    pub device: Option<String>,
    pub push_token: Option<String>,
    pub push_device: Option<String>,
    pub state: String,
    pub created_at: Millis,
    pub updated_at: Millis,
}

impl StaffRow {
    pub fn state(&self) -> StaffState {
        StaffState::from_db(&self.state)
    }
    pub fn staff_id(&self) -> StaffId {
        StaffId(self.id)
    }
    pub fn phone(&self) -> Phone {
        Phone::from_trusted(self.phone.clone())
    }
}

macro_rules! select_staff {
    ($rest:literal) => {
        concat!(
            "SELECT s.id, s.partner_id, s.phone, s.name, s.device, s.push_token, s.push_device, s.state, s.created_at, s.updated_at ",
            $rest
        )
    };
}
pub(super) use select_staff;

/// `Store::staff_by_phones` on SQLite: each phone by the (partner, phone) key.
pub(super) const STAFF_BY_PHONES_SQLITE: &str = select_staff!(
    "FROM staff s WHERE s.partner_id = $1 AND s.phone IN (SELECT value FROM json_each($2))"
);

/// An employee of the partner by id (tenant-scoped), on either database.
pub(super) const STAFF_BY_ID: &str =
    select_staff!("FROM staff s WHERE s.partner_id = $1 AND s.id = $2");

/// `partner_id + 0`: SQLite has no statistics to tell it that the employee's index narrows
/// far more than the partner's; by the partner's it walked every message of the partner
/// (170 ms instead of 9 ms at 1,000,000 messages, holding the writer all along).
const DELETE_STAFF_MESSAGES: &str =
    "DELETE FROM messages WHERE (partner_id + 0) = $1 AND staff_id = $2";

impl Store {
    /// The employee with this phone, created on first login; a known one keeps id, name and history.
    pub async fn upsert_staff_on_login(
        &self,
        partner_id: i64,
        phone: &Phone,
        name: &str,
        device: &str,
        initial_state: StaffState,
        now: Millis,
    ) -> Result<StaffRow> {
        Ok(with_writer!(self, p => sqlx::query_as(
            "INSERT INTO staff (partner_id, phone, name, device, state, created_at, updated_at, name_key)
             VALUES ($1, $2, $3, $4, $5, $6, $6, $7)
             ON CONFLICT (partner_id, phone) DO UPDATE SET device = excluded.device, updated_at = excluded.updated_at
             RETURNING id, partner_id, phone, name, device, push_token, push_device, state, created_at, updated_at",
        )
        .bind(partner_id)
        .bind(phone.as_str())
        .bind(name)
        .bind(device)
        .bind(initial_state.as_str())
        .bind(now)
        // Folded now, so that the next search has no new name to fold (see `staff_browse`).
        .bind(crate::domain::fold(name))
        .fetch_one(p)
        .await)?)
    }

    pub async fn staff_by_phone(&self, partner_id: i64, phone: &Phone) -> Result<Option<StaffRow>> {
        Ok(
            with_pool!(self, p => sqlx::query_as(select_staff!("FROM staff s WHERE s.partner_id = $1 AND s.phone = $2"))
            .bind(partner_id)
            .bind(phone.as_str())
            .fetch_optional(p)
            .await)?,
        )
    }

    /// The partner's employees with these phones (as `Phone` writes them), in no order;
    /// phones no one has are left out. Found by the (partner, phone) key, one look-up each.
    pub async fn staff_by_phones(&self, partner_id: i64, phones: &[&str]) -> Result<Vec<StaffRow>> {
        Ok(match &self.pool {
            super::Pool::Postgres(p) => {
                sqlx::query_as(select_staff!(
                    "FROM staff s WHERE s.partner_id = $1 AND s.phone = ANY($2)"
                ))
                .bind(partner_id)
                .bind(phones)
                .fetch_all(p)
                .await?
            }
            super::Pool::Sqlite(p) => {
                let phones = serde_json::to_string(phones)
                    .map_err(|e| Error::Internal(format!("staff phones: {e}")))?;
                sqlx::query_as(STAFF_BY_PHONES_SQLITE)
                    .bind(partner_id)
                    .bind(phones)
                    .fetch_all(p)
                    .await?
            }
        })
    }

    /// Tenant-scoped: another partner's employee is simply not found.
    pub async fn staff_by_id(&self, partner_id: i64, id: StaffId) -> Result<Option<StaffRow>> {
        if let Some(direct) = &self.direct {
            return direct.staff_by_id(partner_id, id);
        }
        match &self.pool {
            super::Pool::Postgres(p) => self.staff_by_id_grouped(p, partner_id, id).await,
            super::Pool::Sqlite(p) => Ok(sqlx::query_as(STAFF_BY_ID)
                .bind(partner_id)
                .bind(id.0)
                .fetch_optional(p)
                .await?),
        }
    }

    pub async fn staff_by_token(&self, token: &TokenHash) -> Result<Option<StaffRow>> {
        if let Some(direct) = &self.direct {
            return direct.staff_by_token(token);
        }
        Ok(
            with_pool!(self, p => sqlx::query_as(select_staff!("FROM staff s WHERE s.token_hash = $1"))
            .bind(&token.0)
            .fetch_optional(p)
            .await)?,
        )
    }

    /// Replaces the employee's token: the previous device's session ends.
    pub async fn set_staff_token(&self, id: StaffId, token: &TokenHash, now: Millis) -> Result<()> {
        exec!(self, p => sqlx::query("UPDATE staff SET token_hash = $2, updated_at = $3 WHERE id = $1")
            .bind(id.0)
            .bind(&token.0)
            .bind(now)
            .execute(p)
            .await)?;
        Ok(())
    }

    pub async fn set_push_token(
        &self,
        id: StaffId,
        push_token: Option<&PushToken>,
        device: &str,
        now: Millis,
    ) -> Result<()> {
        exec!(self, p => sqlx::query(
            "UPDATE staff SET push_token = $2, push_device = $3, device = $3, updated_at = $4 WHERE id = $1",
        )
        .bind(id.0)
        .bind(push_token.map(PushToken::as_str))
        .bind(device)
        .bind(now)
        .execute(p)
        .await)?;
        Ok(())
    }

    pub async fn list_staff(&self, partner_id: i64) -> Result<Vec<StaffRow>> {
        if let Some(direct) = &self.direct {
            // Thousands of rows: off the async workers, where the point reads run in place.
            let direct = direct.clone();
            return tokio::task::spawn_blocking(move || direct.list_staff(partner_id))
                .await
                .map_err(|e| Error::Internal(format!("staff list task: {e}")))?;
        }
        Ok(
            with_pool!(self, p => sqlx::query_as(select_staff!("FROM staff s WHERE s.partner_id = $1 ORDER BY s.name, s.id"))
            .bind(partner_id)
            .fetch_all(p)
            .await)?,
        )
    }

    /// The partner's employees' IDs in `list_staff`'s order (name, then id), from the index on
    /// (partner, name) alone: who a long `getstaff` answer lists, and in what order, fixed when
    /// it starts (111,000 IDs are under 1 MB), whatever is renamed while it is written.
    pub async fn staff_ids_by_name(&self, partner_id: i64) -> Result<Vec<i64>> {
        if let Some(direct) = &self.direct {
            let direct = direct.clone();
            return tokio::task::spawn_blocking(move || direct.staff_ids_by_name(partner_id))
                .await
                .map_err(|e| Error::Internal(format!("staff ids task: {e}")))?;
        }
        Ok(with_pool!(self, p => sqlx::query_scalar(
            "SELECT id FROM staff WHERE partner_id = $1 ORDER BY name, id"
        )
        .bind(partner_id)
        .fetch_all(p)
        .await)?)
    }

    /// These of the partner's employees, in `ids`' order; those deleted meanwhile are left out.
    pub async fn staff_by_ids(&self, partner_id: i64, ids: &[i64]) -> Result<Vec<StaffRow>> {
        let rows: Vec<StaffRow> = if let Some(direct) = &self.direct {
            let (direct, ids) = (direct.clone(), ids.to_vec());
            tokio::task::spawn_blocking(move || direct.staff_by_ids(partner_id, &ids))
                .await
                .map_err(|e| Error::Internal(format!("staff by ids task: {e}")))??
        } else {
            match &self.pool {
                super::Pool::Postgres(p) => {
                    sqlx::query_as(select_staff!(
                        "FROM staff s WHERE s.partner_id = $1 AND s.id = ANY($2)"
                    ))
                    .bind(partner_id)
                    .bind(ids)
                    .fetch_all(p)
                    .await?
                }
                super::Pool::Sqlite(p) => {
                    let ids = serde_json::to_string(ids)
                        .map_err(|e| Error::Internal(format!("staff ids: {e}")))?;
                    sqlx::query_as(super::direct::STAFF_BY_IDS)
                        .bind(partner_id)
                        .bind(ids)
                        .fetch_all(p)
                        .await?
                }
            }
        };
        let mut by_id: std::collections::HashMap<i64, StaffRow> =
            rows.into_iter().map(|r| (r.id, r)).collect();
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    /// Deletes the employee and all their messages in one transaction; `false` if not found.
    pub async fn delete_staff(&self, partner_id: i64, id: StaffId) -> Result<bool> {
        let deleted = with_writer!(self, p => async {
            let mut tx = p.begin().await?;
            sqlx::query(DELETE_STAFF_MESSAGES)
                .bind(partner_id)
                .bind(id.0)
                .execute(&mut *tx)
                .await?;
            let n = sqlx::query("DELETE FROM staff WHERE partner_id = $1 AND id = $2")
                .bind(partner_id)
                .bind(id.0)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            Ok::<_, sqlx::Error>(n)
        }.await)?;
        Ok(deleted > 0)
    }

    pub async fn set_staff_state(
        &self,
        partner_id: i64,
        id: StaffId,
        state: StaffState,
        now: Millis,
    ) -> Result<bool> {
        let n = exec!(self, p => sqlx::query("UPDATE staff SET state = $3, updated_at = $4 WHERE partner_id = $1 AND id = $2")
            .bind(partner_id)
            .bind(id.0)
            .bind(state.as_str())
            .bind(now)
            .execute(p)
            .await)?;
        Ok(n > 0)
    }

    /// Puts these employees of the partner in `state` in one statement (all or none); ids of
    /// other partners' employees are not touched. Returns how many changed state: those already
    /// in it are left as they are (their `updated_at` too).
    pub async fn set_staff_state_many(
        &self,
        partner_id: i64,
        ids: &[StaffId],
        state: StaffState,
        now: Millis,
    ) -> Result<u64> {
        if ids.is_empty() {
            return Ok(0);
        }
        let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
        let n = match &self.writer {
            // One bound JSON array rather than a placeholder per id: SQLite caps a statement's
            // variables, and a company approves thousands at once.
            super::Pool::Sqlite(p) => sqlx::query(SET_STATES_SQLITE)
                .bind(partner_id)
                .bind(super::ids_json(&ids)?)
                .bind(state.as_str())
                .bind(now)
                .execute(p)
                .await?
                .rows_affected(),
            super::Pool::Postgres(p) => sqlx::query(
                "UPDATE staff SET state = $3, updated_at = $4 \
                 WHERE partner_id = $1 AND state <> $3 AND id = ANY($2)",
            )
            .bind(partner_id)
            .bind(&ids)
            .bind(state.as_str())
            .bind(now)
            .execute(p)
            .await?
            .rows_affected(),
        };
        Ok(n)
    }

    pub async fn rename_staff(
        &self,
        partner_id: i64,
        id: StaffId,
        name: &str,
        now: Millis,
    ) -> Result<bool> {
        let n = exec!(self, p => sqlx::query("UPDATE staff SET name = $3, updated_at = $4 WHERE partner_id = $1 AND id = $2")
            .bind(partner_id)
            .bind(id.0)
            .bind(name)
            .bind(now)
            .execute(p)
            .await)?;
        Ok(n > 0)
    }

    /// Gives the employee another phone; their session, push token and history stay. `Err`
    /// with the partner's employee who has that phone already (phones are unique per partner).
    pub async fn set_staff_phone(
        &self,
        partner_id: i64,
        id: StaffId,
        phone: &Phone,
        now: Millis,
    ) -> Result<std::result::Result<bool, StaffRow>> {
        let changed = exec!(self, p => sqlx::query(
            "UPDATE staff SET phone = $3, updated_at = $4 WHERE partner_id = $1 AND id = $2",
        )
            .bind(partner_id)
            .bind(id.0)
            .bind(phone.as_str())
            .bind(now)
            .execute(p)
            .await);
        match changed {
            Ok(n) => Ok(Ok(n > 0)),
            Err(e) if super::is_unique_violation(&e) => {
                match self.staff_by_phone(partner_id, phone).await? {
                    Some(holder) => Ok(Err(holder)),
                    // Deleted in between: the phone is free now, a retry takes it.
                    None => Err(e.into()),
                }
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// SQLite: the partner's (`$1`) employees among a JSON array of ids (`$2`) put in a state
/// (`$3`); found by rowid (`+`: not by walking the partner's index, every employee).
pub(super) const SET_STATES_SQLITE: &str = "UPDATE staff SET state = $3, updated_at = $4
     WHERE +partner_id = $1 AND state <> $3 AND id IN (SELECT value FROM json_each($2))";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn deleting_an_employee_walks_their_messages_not_all_of_the_partners() {
        let (_dir, _store, p) = crate::store::temp_sqlite().await;
        let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "EXPLAIN QUERY PLAN {DELETE_STAFF_MESSAGES}"
        )))
        .bind(1_i64)
        .bind(2_i64)
        .fetch_all(&p)
        .await
        .unwrap();
        let first = &plan[0].3;
        assert!(
            first.contains("messages_staff_created (staff_id=?)"),
            "{plan:?}"
        );
    }

    #[tokio::test]
    async fn a_page_of_getstaff_finds_each_employee_by_rowid() {
        let (_dir, _store, p) = crate::store::temp_sqlite().await;
        let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "EXPLAIN QUERY PLAN {}",
            super::super::direct::STAFF_BY_IDS
        )))
        .bind(1_i64)
        .bind("[1, 2]")
        .fetch_all(&p)
        .await
        .unwrap();
        assert!(
            plan[0].3.contains("USING INTEGER PRIMARY KEY (rowid=?)"),
            "{plan:?}"
        );
    }
}
