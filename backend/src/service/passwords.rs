//! Password hashing with argon2id, off the async threads because it is deliberately slow.

use crate::error::{Error, Result};
use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};

pub const MIN_PASSWORD_CHARS: usize = 8;

pub fn check_strength(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Error::invalid(phrase!(
            "Пароль слишком короткий: нужно не меньше {MIN_PASSWORD_CHARS} символов",
            "The password is too short: {MIN_PASSWORD_CHARS} characters at least"
        )));
    }
    Ok(())
}

pub async fn hash(password: &str) -> Result<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::Internal(format!("argon2: {e}")))
    })
    .await
    .map_err(|e| Error::Internal(format!("hashing task: {e}")))?
}

pub async fn verify(stored_hash: &str, password: &str) -> Result<bool> {
    let (stored_hash, password) = (stored_hash.to_owned(), password.to_owned());
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&stored_hash)
            .map_err(|e| Error::Internal(format!("stored hash: {e}")))?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(|e| Error::Internal(format!("hashing task: {e}")))?
}
