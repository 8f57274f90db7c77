//! The web cabinet's own tables: operators, browser sessions and failed logins.

use super::{Store, exec, taken_is_conflict, with_pool, with_writer};
use crate::domain::{Millis, TokenHash};
use crate::error::Result;

/// Whose account a browser session, second factor or login waiting for a code is: a company's
/// own (its INN), a company's named admin, or the service operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Partner,
    /// A named admin of a company's cabinet (`partner_admins`).
    Admin,
    Operator,
}

impl SessionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Partner => "partner",
            Self::Admin => "admin",
            Self::Operator => "operator",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Partner, Self::Admin, Self::Operator]
            .into_iter()
            .find(|k| k.as_str() == s)
    }

    /// The area the account logs in to: a named admin's is the company's cabinet. Failed logins
    /// are counted by area, whichever account a login turns out to be.
    pub fn area(self) -> Self {
        match self {
            Self::Admin => Self::Partner,
            k => k,
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: i64,
    /// `SessionKind::as_str`.
    pub kind: String,
    pub subject_id: i64,
    pub csrf_token: String,
    pub expires_at: Millis,
    /// The company a named admin works in through an access; `None`: their own.
    pub partner_id: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OperatorRow {
    pub id: i64,
    pub login: String,
    pub password_hash: String,
    pub created_at: Millis,
}

/// Failed logins within the throttling window: for this login, and from this address.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoginFailures {
    pub for_login: i64,
    pub from_ip: i64,
}

pub struct NewSession<'a> {
    pub token: &'a TokenHash,
    pub kind: SessionKind,
    pub subject_id: i64,
    pub csrf_token: &'a str,
    pub now: Millis,
    pub expires_at: Millis,
    /// A named admin's session in another company (through an access).
    pub partner_id: Option<i64>,
}

impl Store {
    pub async fn create_operator(
        &self,
        login: &str,
        password_hash: &str,
        now: Millis,
    ) -> Result<OperatorRow> {
        let result = with_writer!(self, p => sqlx::query_as(
            "INSERT INTO operators (login, password_hash, created_at) VALUES ($1, $2, $3)
             RETURNING id, login, password_hash, created_at",
        )
        .bind(login)
        .bind(password_hash)
        .bind(now)
        .fetch_one(p)
        .await);
        taken_is_conflict(result, || {
            phrase!(
                "Оператор {login} уже существует",
                "Operator {login} already exists"
            )
        })
    }

    pub async fn set_operator_password(&self, login: &str, password_hash: &str) -> Result<bool> {
        let n = exec!(self, p => sqlx::query("UPDATE operators SET password_hash = $2 WHERE login = $1")
            .bind(login)
            .bind(password_hash)
            .execute(p)
            .await)?;
        Ok(n > 0)
    }

    pub async fn operator_by_login(&self, login: &str) -> Result<Option<OperatorRow>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT id, login, password_hash, created_at FROM operators WHERE login = $1",
        )
        .bind(login)
        .fetch_optional(p)
        .await)?)
    }

    pub async fn operator_by_id(&self, id: i64) -> Result<Option<OperatorRow>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT id, login, password_hash, created_at FROM operators WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(p)
        .await)?)
    }

    /// Stores a new session and drops the expired ones (cheap: indexed by expiry).
    pub async fn create_session(&self, s: &NewSession<'_>) -> Result<()> {
        with_writer!(self, p => async {
            let mut tx = p.begin().await?;
            sqlx::query("DELETE FROM cabinet_sessions WHERE expires_at <= $1")
                .bind(s.now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO cabinet_sessions
                   (token_hash, kind, subject_id, csrf_token, created_at, expires_at, partner_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&s.token.0)
            .bind(s.kind.as_str())
            .bind(s.subject_id)
            .bind(s.csrf_token)
            .bind(s.now)
            .bind(s.expires_at)
            .bind(s.partner_id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await
        }.await)?;
        Ok(())
    }

    /// The live session behind a cookie of an account that logs in to `area` (a cabinet's
    /// cookie opens a company's own account or a named admin's).
    pub async fn session(
        &self,
        token: &TokenHash,
        area: SessionKind,
        now: Millis,
    ) -> Result<Option<SessionRow>> {
        let admin = match area {
            SessionKind::Operator => area,
            _ => SessionKind::Admin,
        };
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT id, kind, subject_id, csrf_token, expires_at, partner_id FROM cabinet_sessions
             WHERE token_hash = $1 AND kind IN ($2, $4) AND expires_at > $3",
        )
        .bind(&token.0)
        .bind(area.as_str())
        .bind(now)
        .bind(admin.as_str())
        .fetch_optional(p)
        .await)?)
    }

    pub async fn delete_session(&self, token: &TokenHash) -> Result<()> {
        exec!(self, p => sqlx::query("DELETE FROM cabinet_sessions WHERE token_hash = $1")
            .bind(&token.0)
            .execute(p)
            .await)?;
        Ok(())
    }

    /// Ends an account's sessions but the one behind `keep` (the admin's "log out everywhere
    /// else"); returns how many ended.
    pub async fn delete_other_sessions(
        &self,
        kind: SessionKind,
        subject_id: i64,
        keep: &TokenHash,
    ) -> Result<u64> {
        Ok(exec!(self, p => sqlx::query(
            "DELETE FROM cabinet_sessions WHERE kind = $1 AND subject_id = $2 AND token_hash <> $3",
        )
        .bind(kind.as_str())
        .bind(subject_id)
        .bind(&keep.0)
        .execute(p)
        .await)?)
    }

    /// How many live sessions an account has.
    pub async fn count_sessions(
        &self,
        kind: SessionKind,
        subject_id: i64,
        now: Millis,
    ) -> Result<i64> {
        Ok(with_pool!(self, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM cabinet_sessions WHERE kind = $1 AND subject_id = $2 AND expires_at > $3",
        )
        .bind(kind.as_str())
        .bind(subject_id)
        .bind(now)
        .fetch_one(p)
        .await)?)
    }

    /// Ends every session of a partner or operator (password changed, partner disabled).
    pub async fn delete_sessions_of(&self, kind: SessionKind, subject_id: i64) -> Result<u64> {
        Ok(
            exec!(self, p => sqlx::query("DELETE FROM cabinet_sessions WHERE kind = $1 AND subject_id = $2")
            .bind(kind.as_str())
            .bind(subject_id)
            .execute(p)
            .await)?,
        )
    }

    pub async fn record_login_failure(
        &self,
        kind: SessionKind,
        login: &str,
        client_ip: &str,
        now: Millis,
    ) -> Result<()> {
        exec!(self, p => sqlx::query(
            "INSERT INTO login_failures (kind, login, client_ip, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(kind.as_str())
        .bind(login)
        .bind(client_ip)
        .bind(now)
        .execute(p)
        .await)?;
        Ok(())
    }

    pub async fn login_failures_since(
        &self,
        kind: SessionKind,
        login: &str,
        client_ip: &str,
        since: Millis,
    ) -> Result<LoginFailures> {
        let (for_login, from_ip): (i64, i64) = with_pool!(self, p => sqlx::query_as(
            "SELECT
               (SELECT COUNT(*) FROM login_failures WHERE kind = $1 AND login = $2 AND created_at > $4),
               (SELECT COUNT(*) FROM login_failures WHERE client_ip = $3 AND created_at > $4)",
        )
        .bind(kind.as_str())
        .bind(login)
        .bind(client_ip)
        .bind(since)
        .fetch_one(p)
        .await)?;
        Ok(LoginFailures { for_login, from_ip })
    }

    /// A successful login forgets that login's failures (and old rows of everyone).
    pub async fn clear_login_failures(
        &self,
        kind: SessionKind,
        login: &str,
        older_than: Millis,
    ) -> Result<()> {
        exec!(self, p => sqlx::query(
            "DELETE FROM login_failures WHERE (kind = $1 AND login = $2) OR created_at < $3",
        )
        .bind(kind.as_str())
        .bind(login)
        .bind(older_than)
        .execute(p)
        .await)?;
        Ok(())
    }
}
