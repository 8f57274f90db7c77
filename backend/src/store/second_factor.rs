//! Second factors of the cabinet's and the operator's accounts, and the logins that wait for
//! their code (see migration 31).

use super::sealed::second_factor_row;
use super::{SessionKind, Store, exec, with_pool, with_writer};
use crate::domain::{Millis, TokenHash};
use crate::error::Result;

/// In `$tx`: the account's recovery codes replaced by `$codes` (hashes).
macro_rules! put_codes {
    ($tx:ident, $kind:expr, $subject_id:expr, $codes:expr, $now:expr) => {
        sqlx::query("DELETE FROM recovery_codes WHERE kind = $1 AND subject_id = $2")
            .bind($kind.as_str())
            .bind($subject_id)
            .execute(&mut *$tx)
            .await?;
        for code in $codes {
            sqlx::query(
                "INSERT INTO recovery_codes (kind, subject_id, code_hash, created_at)
                 VALUES ($1, $2, $3, $4)",
            )
            .bind($kind.as_str())
            .bind($subject_id)
            .bind(&code.0)
            .bind($now)
            .execute(&mut *$tx)
            .await?;
        }
    };
}

#[derive(Debug, Clone)]
pub struct SecondFactorRow {
    /// Base32, as the authenticator app is given it.
    pub secret: String,
    /// As stored (sealed, see `sealed`): what enabling compares, so that a secret staged again
    /// meanwhile is not the one enabled.
    pub stored: String,
    /// `None` while staged: shown to be scanned, no code typed yet.
    pub enabled_at: Option<Millis>,
    pub last_step: i64,
    pub created_at: Millis,
}

/// What a login whose password was right waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Awaiting {
    /// The account's code from the app.
    Code,
    /// The company requires a code and the account has none: its setup.
    Setup,
}

impl Awaiting {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Code => "code",
            Self::Setup => "setup",
        }
    }
}

/// A login whose password was right, to wait behind a cookie whose hash is `token`.
#[derive(Clone, Copy)]
pub struct NewChallenge<'a> {
    pub token: &'a TokenHash,
    pub kind: SessionKind,
    pub subject_id: i64,
    pub login: &'a str,
    pub awaiting: Awaiting,
    pub now: Millis,
    pub expires_at: Millis,
}

/// A login whose password was right, waiting for its code.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChallengeRow {
    /// `SessionKind::as_str`: a cabinet's login may be the company's account or a named admin's.
    pub kind: String,
    pub subject_id: i64,
    /// As typed at the first step: the throttling counts failures by it.
    pub login: String,
    /// `Awaiting::as_str`.
    pub purpose: String,
}

impl ChallengeRow {
    pub fn awaits(&self, what: Awaiting) -> bool {
        self.purpose == what.as_str()
    }
}

impl Store {
    pub async fn second_factor(
        &self,
        kind: SessionKind,
        subject_id: i64,
    ) -> Result<Option<SecondFactorRow>> {
        let row: Option<(String, Option<Millis>, i64, Millis)> = with_pool!(self, p => sqlx::query_as(
            "SELECT secret, enabled_at, last_step, created_at FROM second_factors
             WHERE kind = $1 AND subject_id = $2",
        )
        .bind(kind.as_str())
        .bind(subject_id)
        .fetch_optional(p)
        .await)?;
        let Some((stored, enabled_at, last_step, created_at)) = row else {
            return Ok(None);
        };
        Ok(Some(SecondFactorRow {
            secret: self.open(&stored, &second_factor_row(kind.as_str(), subject_id))?,
            stored,
            enabled_at,
            last_step,
            created_at,
        }))
    }

    /// The accounts of a kind that log in with a code.
    pub async fn second_factor_subjects(&self, kind: SessionKind) -> Result<Vec<i64>> {
        Ok(with_pool!(self, p => sqlx::query_scalar(
            "SELECT subject_id FROM second_factors WHERE kind = $1 AND enabled_at IS NOT NULL",
        )
        .bind(kind.as_str())
        .fetch_all(p)
        .await)?)
    }

    /// Stages a new secret, replacing one staged before; an enabled one is left as it is (false).
    pub async fn stage_second_factor(
        &self,
        kind: SessionKind,
        subject_id: i64,
        secret: &str,
        now: Millis,
    ) -> Result<bool> {
        let secret = self.seal(secret, &second_factor_row(kind.as_str(), subject_id))?;
        Ok(exec!(self, p => sqlx::query(
            "INSERT INTO second_factors (kind, subject_id, secret, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (kind, subject_id) DO UPDATE
                SET secret = excluded.secret, created_at = excluded.created_at, last_step = 0
                WHERE second_factors.enabled_at IS NULL",
        )
        .bind(kind.as_str())
        .bind(subject_id)
        .bind(&secret)
        .bind(now)
        .execute(p)
        .await)?
            == 1)
    }

    /// Enables the staged secret stored as `stored` (the one the code was checked against), its
    /// first code's step used, with these recovery codes (their hashes) in place of any before;
    /// false if it is no longer the staged one.
    pub async fn enable_second_factor(
        &self,
        kind: SessionKind,
        subject_id: i64,
        stored: &str,
        step: i64,
        recovery: &[TokenHash],
        now: Millis,
    ) -> Result<bool> {
        Ok(with_writer!(self, p => async {
            let mut tx = p.begin().await?;
            let enabled = sqlx::query(
                "UPDATE second_factors SET enabled_at = $4, last_step = $5
                 WHERE kind = $1 AND subject_id = $2 AND secret = $3 AND enabled_at IS NULL",
            )
            .bind(kind.as_str())
            .bind(subject_id)
            .bind(stored)
            .bind(now)
            .bind(step)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if !enabled {
                return Ok(false);
            }
            put_codes!(tx, kind, subject_id, recovery, now);
            tx.commit().await.map(|()| true)
        }.await)?)
    }

    /// Replaces the account's recovery codes with these (their hashes).
    pub async fn replace_recovery_codes(
        &self,
        kind: SessionKind,
        subject_id: i64,
        recovery: &[TokenHash],
        now: Millis,
    ) -> Result<()> {
        Ok(with_writer!(self, p => async {
            let mut tx = p.begin().await?;
            put_codes!(tx, kind, subject_id, recovery, now);
            tx.commit().await
        }.await)?)
    }

    /// Takes a recovery code: true only the first time it is given; and how many are left.
    pub async fn take_recovery_code(
        &self,
        kind: SessionKind,
        subject_id: i64,
        code: &TokenHash,
    ) -> Result<(bool, i64)> {
        let taken = exec!(self, p => sqlx::query(
            "DELETE FROM recovery_codes WHERE kind = $1 AND subject_id = $2 AND code_hash = $3",
        )
        .bind(kind.as_str())
        .bind(subject_id)
        .bind(&code.0)
        .execute(p)
        .await)?
            == 1;
        let left = with_writer!(self, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM recovery_codes WHERE kind = $1 AND subject_id = $2",
        )
        .bind(kind.as_str())
        .bind(subject_id)
        .fetch_one(p)
        .await)?;
        Ok((taken, left))
    }

    /// Takes a code's time step: true only the first time, and only for a step after every
    /// one taken before (a code seen once, by anyone, never opens a second login).
    pub async fn take_second_factor_step(
        &self,
        kind: SessionKind,
        subject_id: i64,
        step: i64,
    ) -> Result<bool> {
        Ok(exec!(self, p => sqlx::query(
            "UPDATE second_factors SET last_step = $3
             WHERE kind = $1 AND subject_id = $2 AND enabled_at IS NOT NULL AND last_step < $3",
        )
        .bind(kind.as_str())
        .bind(subject_id)
        .bind(step)
        .execute(p)
        .await)?
            == 1)
    }

    /// Removes the account's second factor, staged or enabled, its recovery codes and its
    /// logins waiting for a code (whose password may be the one a reset just replaced); true if
    /// an enabled one went.
    pub async fn remove_second_factor(&self, kind: SessionKind, subject_id: i64) -> Result<bool> {
        for table in ["recovery_codes", "login_challenges"] {
            let sql = format!("DELETE FROM {table} WHERE kind = $1 AND subject_id = $2");
            exec!(self, p => sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(kind.as_str())
                .bind(subject_id)
                .execute(p)
                .await)?;
        }
        let removed: Vec<Option<Millis>> = with_writer!(self, p => sqlx::query_scalar(
            "DELETE FROM second_factors WHERE kind = $1 AND subject_id = $2 RETURNING enabled_at",
        )
        .bind(kind.as_str())
        .bind(subject_id)
        .fetch_all(p)
        .await)?;
        Ok(removed.into_iter().any(|e| e.is_some()))
    }

    /// Records a login waiting for its code (expired ones are deleted on the way).
    pub async fn create_login_challenge(&self, c: &NewChallenge<'_>) -> Result<()> {
        let NewChallenge {
            token,
            kind,
            subject_id,
            login,
            awaiting,
            now,
            expires_at,
        } = *c;
        with_writer!(self, p => async {
            let mut tx = p.begin().await?;
            sqlx::query("DELETE FROM login_challenges WHERE expires_at <= $1")
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO login_challenges (token_hash, kind, subject_id, login, created_at, expires_at, purpose)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&token.0)
            .bind(kind.as_str())
            .bind(subject_id)
            .bind(login)
            .bind(now)
            .bind(expires_at)
            .bind(awaiting.as_str())
            .execute(&mut *tx)
            .await?;
            tx.commit().await
        }.await)?;
        Ok(())
    }

    /// The login waiting for its code behind a cookie of `area` (as `Store::session`).
    pub async fn login_challenge(
        &self,
        token: &TokenHash,
        area: SessionKind,
        now: Millis,
    ) -> Result<Option<ChallengeRow>> {
        let admin = match area {
            SessionKind::Operator => area,
            _ => SessionKind::Admin,
        };
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT kind, subject_id, login, purpose FROM login_challenges
             WHERE token_hash = $1 AND kind IN ($2, $4) AND expires_at > $3",
        )
        .bind(&token.0)
        .bind(area.as_str())
        .bind(now)
        .bind(admin.as_str())
        .fetch_optional(p)
        .await)?)
    }

    pub async fn delete_login_challenge(&self, token: &TokenHash) -> Result<()> {
        exec!(self, p => sqlx::query("DELETE FROM login_challenges WHERE token_hash = $1")
            .bind(&token.0)
            .execute(p)
            .await)?;
        Ok(())
    }
}
