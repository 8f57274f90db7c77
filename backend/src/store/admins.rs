//! Named admins of a company's cabinet (see migration 33).

use super::{Store, exec, taken_is_conflict, with_pool, with_writer};
use crate::domain::Millis;
use crate::error::Result;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AdminRow {
    pub id: i64,
    pub partner_id: i64,
    pub login: String,
    pub name: String,
    pub password_hash: String,
    /// `admin`, `sender` (sends, changes nothing else), `hr` (all but the settings and the
    /// webhook) or `viewer` (reads, changes nothing).
    pub role: String,
    pub disabled: bool,
    pub created_at: Millis,
    pub last_login_at: Option<Millis>,
}

const COLUMNS: &str =
    "id, partner_id, login, name, password_hash, role, disabled, created_at, last_login_at";

/// A viewer reads the cabinet and changes nothing.
pub const VIEWER: &str = "viewer";
/// A sender reads the cabinet and sends messages (and recalls them, pushes them again, reminds,
/// cancels a scheduled one), and changes nothing else: an HR officer or a shift's dispatcher
/// who writes to people but should not disable them, nor see the API keys.
pub const SENDER: &str = "sender";
/// An HR officer's right: everything but the company's settings (the API token and keys, the
/// webhook, the login and retention policies): employees, groups and messages, not the
/// integrations that a leak of would hand the company's data to someone else.
pub const HR: &str = "hr";
pub const ADMIN_ROLE: &str = "admin";

impl AdminRow {
    pub fn is_viewer(&self) -> bool {
        self.role == VIEWER
    }

    pub fn is_sender(&self) -> bool {
        self.role == SENDER
    }

    pub fn is_hr(&self) -> bool {
        self.role == HR
    }
}

impl Store {
    pub async fn create_admin(
        &self,
        partner_id: i64,
        login: &str,
        name: &str,
        role: &str,
        password_hash: &str,
        now: Millis,
    ) -> Result<AdminRow> {
        let sql = format!(
            "INSERT INTO partner_admins (partner_id, login, name, password_hash, created_at, role)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {COLUMNS}"
        );
        let result = with_writer!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(partner_id)
            .bind(login)
            .bind(name)
            .bind(password_hash)
            .bind(now)
            .bind(role)
            .fetch_one(p)
            .await);
        taken_is_conflict(result, || {
            phrase!(
                "Логин {login} уже занят: выберите другой",
                "The login {login} is taken: choose another"
            )
        })
    }

    pub async fn admin_by_login(&self, login: &str) -> Result<Option<AdminRow>> {
        let sql = format!("SELECT {COLUMNS} FROM partner_admins WHERE login = $1");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(login)
            .fetch_optional(p)
            .await)?,
        )
    }

    pub async fn admin_by_id(&self, id: i64) -> Result<Option<AdminRow>> {
        let sql = format!("SELECT {COLUMNS} FROM partner_admins WHERE id = $1");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(id)
            .fetch_optional(p)
            .await)?,
        )
    }

    /// The company's named admins, by login.
    pub async fn admins_of(&self, partner_id: i64) -> Result<Vec<AdminRow>> {
        let sql =
            format!("SELECT {COLUMNS} FROM partner_admins WHERE partner_id = $1 ORDER BY login");
        Ok(
            with_pool!(self, p => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(partner_id)
            .fetch_all(p)
            .await)?,
        )
    }

    /// How many named admins each company has (those with any), and who requires a login code
    /// of the companies where someone does: for the operator's list.
    pub async fn admin_overview(&self) -> Result<(Vec<(i64, i64)>, Vec<(i64, CodePolicy)>)> {
        let counts = with_pool!(self, p => sqlx::query_as(
            "SELECT partner_id, COUNT(*) FROM partner_admins GROUP BY partner_id",
        )
        .fetch_all(p)
        .await)?;
        let required: Vec<(i64, bool, bool)> = with_pool!(self, p => sqlx::query_as(
            "SELECT id, second_factor_required, second_factor_imposed FROM partners
             WHERE second_factor_required = TRUE OR second_factor_imposed = TRUE",
        )
        .fetch_all(p)
        .await)?;
        let policies = required
            .into_iter()
            .map(|(id, by_company, by_operator)| {
                let policy = CodePolicy {
                    by_company,
                    by_operator,
                };
                (id, policy)
            })
            .collect();
        Ok((counts, policies))
    }

    /// Notes a session started for the admin.
    pub async fn admin_logged_in(&self, id: i64, now: Millis) -> Result<()> {
        exec!(self, p => sqlx::query("UPDATE partner_admins SET last_login_at = $2 WHERE id = $1")
            .bind(id)
            .bind(now)
            .execute(p)
            .await)?;
        Ok(())
    }

    /// The partner's admins who log in with a code.
    pub async fn admins_with_code(&self, partner_id: i64) -> Result<Vec<i64>> {
        Ok(with_pool!(self, p => sqlx::query_scalar(
            "SELECT a.id FROM partner_admins a JOIN second_factors f
               ON f.kind = 'admin' AND f.subject_id = a.id AND f.enabled_at IS NOT NULL
             WHERE a.partner_id = $1",
        )
        .bind(partner_id)
        .fetch_all(p)
        .await)?)
    }

    /// Disables or enables one of the partner's admins; false if the partner has no such admin.
    pub async fn set_admin_disabled(
        &self,
        partner_id: i64,
        id: i64,
        disabled: bool,
    ) -> Result<bool> {
        let n = exec!(self, p => sqlx::query(
            "UPDATE partner_admins SET disabled = $3 WHERE partner_id = $1 AND id = $2",
        )
        .bind(partner_id)
        .bind(id)
        .bind(disabled)
        .execute(p)
        .await)?;
        Ok(n > 0)
    }

    pub async fn set_admin_role(&self, partner_id: i64, id: i64, role: &str) -> Result<bool> {
        let n = exec!(self, p => sqlx::query(
            "UPDATE partner_admins SET role = $3 WHERE partner_id = $1 AND id = $2",
        )
        .bind(partner_id)
        .bind(id)
        .bind(role)
        .execute(p)
        .await)?;
        Ok(n > 0)
    }

    pub async fn set_admin_password(
        &self,
        partner_id: i64,
        id: i64,
        password_hash: &str,
    ) -> Result<bool> {
        let n = exec!(self, p => sqlx::query(
            "UPDATE partner_admins SET password_hash = $3 WHERE partner_id = $1 AND id = $2",
        )
        .bind(partner_id)
        .bind(id)
        .bind(password_hash)
        .execute(p)
        .await)?;
        Ok(n > 0)
    }

    /// Deletes one of the partner's admins with their sessions, second factor, recovery codes
    /// and logins waiting for a code (keyed by the account, not by a foreign key); false if the
    /// partner has no such admin.
    pub async fn delete_admin(&self, partner_id: i64, id: i64) -> Result<bool> {
        let deleted = exec!(self, p => sqlx::query(
            "DELETE FROM partner_admins WHERE partner_id = $1 AND id = $2",
        )
        .bind(partner_id)
        .bind(id)
        .execute(p)
        .await)?;
        if deleted == 0 {
            return Ok(false);
        }
        self.delete_accounts_rows("id = $1", id).await?;
        Ok(true)
    }

    /// Deletes what is keyed by the 'admin' accounts that `filter` (on `partner_admins`, binding
    /// `$1`) picks, or that no longer exist: sessions, logins waiting for a code, second factors,
    /// recovery codes.
    pub(super) async fn delete_accounts_rows(&self, filter: &str, bind: i64) -> Result<()> {
        for table in [
            "cabinet_sessions",
            "login_challenges",
            "second_factors",
            "recovery_codes",
        ] {
            let sql = format!(
                "DELETE FROM {table} WHERE kind = 'admin' AND (
                   subject_id IN (SELECT id FROM partner_admins WHERE {filter})
                   OR subject_id NOT IN (SELECT id FROM partner_admins))"
            );
            exec!(self, p => sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(bind)
                .execute(p)
                .await)?;
        }
        Ok(())
    }

    /// Whether the company requires a login code of every account of its cabinet.
    /// Whether a login code is required of every account of the company: by the company or
    /// by the operator.
    pub async fn second_factor_required(&self, partner_id: i64) -> Result<bool> {
        Ok(self.code_policy(partner_id).await?.required())
    }

    /// Whether a login code is required of the admin by their own company or by a company whose
    /// cabinet they have accepted access to: turning it off would open that cabinet without it.
    pub async fn code_required_of_admin(&self, admin_id: i64) -> Result<Option<CodePolicy>> {
        let rows: Vec<(bool, bool)> = with_pool!(self, p => sqlx::query_as(
            "SELECT p.second_factor_required, p.second_factor_imposed FROM partners p
             WHERE p.id = (SELECT partner_id FROM partner_admins WHERE id = $1)
                OR p.id IN (SELECT partner_id FROM admin_access
                            WHERE admin_id = $1 AND accepted_at IS NOT NULL)",
        )
        .bind(admin_id)
        .fetch_all(p)
        .await)?;
        let policy = rows
            .into_iter()
            .map(|(by_company, by_operator)| CodePolicy {
                by_company,
                by_operator,
            })
            .filter(|p| p.required())
            .fold(None, |all: Option<CodePolicy>, p| {
                let all = all.unwrap_or_default();
                Some(CodePolicy {
                    by_company: all.by_company || p.by_company,
                    by_operator: all.by_operator || p.by_operator,
                })
            });
        Ok(policy)
    }

    /// Who requires a login code of the company's accounts.
    pub async fn code_policy(&self, partner_id: i64) -> Result<CodePolicy> {
        let row: Option<(bool, bool)> = with_pool!(self, p => sqlx::query_as(
            "SELECT second_factor_required, second_factor_imposed FROM partners WHERE id = $1",
        )
        .bind(partner_id)
        .fetch_optional(p)
        .await)?;
        let (by_company, by_operator) = row.unwrap_or_default();
        Ok(CodePolicy {
            by_company,
            by_operator,
        })
    }

    /// The operator requires a login code of the company's accounts, or no longer.
    pub async fn set_second_factor_imposed(&self, partner_id: i64, imposed: bool) -> Result<()> {
        exec!(self, p => sqlx::query("UPDATE partners SET second_factor_imposed = $2 WHERE id = $1")
            .bind(partner_id)
            .bind(imposed)
            .execute(p)
            .await)?;
        Ok(())
    }

    pub async fn set_second_factor_required(&self, partner_id: i64, required: bool) -> Result<()> {
        exec!(self, p => sqlx::query("UPDATE partners SET second_factor_required = $2 WHERE id = $1")
            .bind(partner_id)
            .bind(required)
            .execute(p)
            .await)?;
        Ok(())
    }

    /// Ends the sessions of the company's accounts, its own and its named admins', and those of
    /// other companies' admins in it, that have no login code turned on (a code has just been
    /// required: they set it up at their next login); how many ended.
    pub async fn end_sessions_without_code(&self, partner_id: i64) -> Result<u64> {
        Ok(exec!(self, p => sqlx::query(
            "DELETE FROM cabinet_sessions WHERE (kind = 'admin' AND subject_id IN (
               SELECT a.id FROM partner_admins a WHERE a.partner_id = $1 AND NOT EXISTS (
                 SELECT 1 FROM second_factors f WHERE f.kind = 'admin' AND f.subject_id = a.id
                   AND f.enabled_at IS NOT NULL)))
             OR (kind = 'admin' AND partner_id = $1 AND NOT EXISTS (
                 SELECT 1 FROM second_factors f WHERE f.kind = 'admin'
                   AND f.subject_id = cabinet_sessions.subject_id AND f.enabled_at IS NOT NULL))
             OR (kind = 'partner' AND subject_id = $1 AND NOT EXISTS (
                 SELECT 1 FROM second_factors f WHERE f.kind = 'partner' AND f.subject_id = $1
                   AND f.enabled_at IS NOT NULL))",
        )
        .bind(partner_id)
        .execute(p)
        .await)?)
    }

    /// Ends the sessions of every account of a company: its own and its named admins', and those
    /// of other companies' admins in it (the company disabled).
    pub async fn delete_company_sessions(&self, partner_id: i64) -> Result<u64> {
        Ok(exec!(self, p => sqlx::query(
            "DELETE FROM cabinet_sessions WHERE (kind = 'partner' AND subject_id = $1)
               OR (kind = 'admin' AND subject_id IN
                   (SELECT id FROM partner_admins WHERE partner_id = $1))
               OR (kind = 'admin' AND partner_id = $1)",
        )
        .bind(partner_id)
        .execute(p)
        .await)?)
    }
}

/// Who requires a login code of a company's accounts: the company itself (its own account's
/// choice, which it can lift) and the service operator (which it cannot).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CodePolicy {
    pub by_company: bool,
    pub by_operator: bool,
}

impl CodePolicy {
    pub fn required(self) -> bool {
        self.by_company || self.by_operator
    }
}
