//! A named admin's access to another company's cabinet (see migration 48).

use super::{Store, exec, taken_is_conflict, with_pool, with_writer};
use crate::domain::Millis;
use crate::error::Result;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccessRow {
    pub id: i64,
    pub admin_id: i64,
    /// The company the access opens.
    pub partner_id: i64,
    /// As a named admin's: `admin`, `sender` or `viewer`.
    pub role: String,
    pub disabled: bool,
    pub created_at: Millis,
    /// `None` until the person accepts it.
    pub accepted_at: Option<Millis>,
    pub last_login_at: Option<Millis>,
}

impl AccessRow {
    /// Accepted and not disabled: it opens the company's cabinet.
    pub fn open(&self) -> bool {
        self.accepted_at.is_some() && !self.disabled
    }
}

/// An access as the company that gave it lists it, with the person's login and name, and their
/// own company's INN and name (shown once they accept: a login mistyped reaches a stranger).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GrantedAccess {
    #[sqlx(flatten)]
    pub access: AccessRow,
    pub login: String,
    pub name: String,
    pub home_inn: String,
    pub home_company: String,
}

/// `GrantedAccess`'s columns and joins, for a `WHERE` on `x` to follow.
const GRANTED: &str = "SELECT x.id, x.admin_id, x.partner_id, x.role, x.disabled, x.created_at,
       x.accepted_at, x.last_login_at, a.login, a.name,
       h.inn AS home_inn, h.short_name AS home_company
  FROM admin_access x JOIN partner_admins a ON a.id = x.admin_id
  JOIN partners h ON h.id = a.partner_id";

/// An access as its person sees it, with the company's INN and name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OfferedAccess {
    #[sqlx(flatten)]
    pub access: AccessRow,
    pub inn: String,
    pub company: String,
    pub company_disabled: bool,
}

const COLUMNS: &str =
    "id, admin_id, partner_id, role, disabled, created_at, accepted_at, last_login_at";
/// `COLUMNS` of `admin_access x` in a join.
const X_COLUMNS: &str = "x.id, x.admin_id, x.partner_id, x.role, x.disabled, x.created_at, \
                         x.accepted_at, x.last_login_at";

impl Store {
    /// Gives the admin access to the company's cabinet, waiting for them to accept it.
    pub async fn grant_access(
        &self,
        partner_id: i64,
        admin_id: i64,
        role: &str,
        now: Millis,
    ) -> Result<AccessRow> {
        let sql = format!(
            "INSERT INTO admin_access (admin_id, partner_id, role, created_at)
             VALUES ($1, $2, $3, $4) RETURNING {COLUMNS}"
        );
        let result = with_writer!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(admin_id)
            .bind(partner_id)
            .bind(role)
            .bind(now)
            .fetch_one(p)
            .await);
        taken_is_conflict(result, || {
            phrase!(
                "У этого администратора уже есть доступ к кабинету организации",
                "This admin has access to the company's cabinet already"
            )
        })
    }

    /// The accesses the company has given, by login.
    pub async fn access_granted_by(&self, partner_id: i64) -> Result<Vec<GrantedAccess>> {
        let sql = format!("{GRANTED} WHERE x.partner_id = $1 ORDER BY a.login");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(partner_id)
            .fetch_all(p)
            .await)?,
        )
    }

    /// One access the company has given.
    pub async fn access_granted(&self, partner_id: i64, id: i64) -> Result<Option<GrantedAccess>> {
        let sql = format!("{GRANTED} WHERE x.partner_id = $1 AND x.id = $2");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(partner_id)
            .bind(id)
            .fetch_optional(p)
            .await)?,
        )
    }

    /// The accesses given to the admin, by the company's name.
    pub async fn access_offered_to(&self, admin_id: i64) -> Result<Vec<OfferedAccess>> {
        let sql = format!(
            "SELECT {X_COLUMNS}, p.inn, p.short_name AS company, p.disabled AS company_disabled
               FROM admin_access x JOIN partners p ON p.id = x.partner_id
             WHERE x.admin_id = $1 ORDER BY p.short_name, p.id"
        );
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(admin_id)
            .fetch_all(p)
            .await)?,
        )
    }

    /// The admin's access to the company, if they have one.
    pub async fn access(&self, admin_id: i64, partner_id: i64) -> Result<Option<AccessRow>> {
        let sql =
            format!("SELECT {COLUMNS} FROM admin_access WHERE admin_id = $1 AND partner_id = $2");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(admin_id)
            .bind(partner_id)
            .fetch_optional(p)
            .await)?,
        )
    }

    /// The admin accepts an access given to them; false if they have no such access waiting.
    pub async fn accept_access(&self, admin_id: i64, id: i64, now: Millis) -> Result<bool> {
        let n = exec!(self, p => sqlx::query(
            "UPDATE admin_access SET accepted_at = $3
             WHERE id = $1 AND admin_id = $2 AND accepted_at IS NULL",
        )
        .bind(id)
        .bind(admin_id)
        .bind(now)
        .execute(p)
        .await)?;
        Ok(n > 0)
    }

    /// Notes the admin entering the company's cabinet through the access.
    pub async fn access_entered(&self, id: i64, now: Millis) -> Result<()> {
        exec!(self, p => sqlx::query("UPDATE admin_access SET last_login_at = $2 WHERE id = $1")
            .bind(id)
            .bind(now)
            .execute(p)
            .await)?;
        Ok(())
    }

    /// Disables or enables an access the company gave; disabled, the admin's sessions in the
    /// company end with it. False if the company gave no such access.
    pub async fn set_access_disabled(
        &self,
        partner_id: i64,
        id: i64,
        disabled: bool,
    ) -> Result<bool> {
        let changed = with_writer!(self, p => async {
            let mut tx = p.begin().await?;
            let n = sqlx::query(
                "UPDATE admin_access SET disabled = $3 WHERE partner_id = $1 AND id = $2",
            )
            .bind(partner_id)
            .bind(id)
            .bind(disabled)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n > 0 && disabled {
                sqlx::query(END_SESSIONS_IN)
                    .bind(partner_id)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await.map(|()| n > 0)
        }.await)?;
        Ok(changed)
    }

    /// Disables each open access of the admin, and answers the companies it was to: their own
    /// company has given them a new password, so whoever holds it now may not be the person
    /// those companies let in.
    pub async fn disable_accesses_of(&self, admin_id: i64) -> Result<Vec<i64>> {
        Ok(with_writer!(self, p => sqlx::query_scalar(
            "UPDATE admin_access SET disabled = TRUE
             WHERE admin_id = $1 AND disabled = FALSE RETURNING partner_id",
        )
        .bind(admin_id)
        .fetch_all(p)
        .await)?)
    }

    pub async fn set_access_role(&self, partner_id: i64, id: i64, role: &str) -> Result<bool> {
        let n = exec!(self, p => sqlx::query(
            "UPDATE admin_access SET role = $3 WHERE partner_id = $1 AND id = $2",
        )
        .bind(partner_id)
        .bind(id)
        .bind(role)
        .execute(p)
        .await)?;
        Ok(n > 0)
    }

    /// Removes an access to the company (the company takes it back, or its admin declines or
    /// gives it up) with the admin's sessions in the company; false if there is no such access.
    pub async fn remove_access(&self, partner_id: i64, id: i64) -> Result<bool> {
        let removed = with_writer!(self, p => async {
            let mut tx = p.begin().await?;
            sqlx::query(END_SESSIONS_IN)
                .bind(partner_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let n = sqlx::query("DELETE FROM admin_access WHERE partner_id = $1 AND id = $2")
                .bind(partner_id)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await.map(|()| n > 0)
        }.await)?;
        Ok(removed)
    }
}

/// Ends the sessions that the access `$2` opened in the company `$1`.
const END_SESSIONS_IN: &str =
    "DELETE FROM cabinet_sessions WHERE kind = 'admin' AND partner_id = $1
    AND subject_id = (SELECT admin_id FROM admin_access WHERE id = $2)";
