//! Secrets the server must read back in clear, sealed at rest with the server's key: a login
//! code's key (the authenticator app's, see migration 31) and a webhook's signing secret. A copy
//! of the database alone (a backup, a dump, a query someone slipped in) then gives neither away.
//!
//! AES-256-GCM with a random 96-bit nonce per value; the row the value belongs to is the
//! associated data, so a sealed value copied into another account's row does not open there.
//! Stored as `s1:` and the base64 of nonce and ciphertext. A value without the prefix is one
//! written before sealing (or with no key configured) and reads as it is;
//! `Store::seal_clear_secrets` seals those at start-up.

use super::{Store, exec, with_pool};
use crate::error::{Error, Result};
use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use rand::RngCore;

const PREFIX: &str = "s1:";
const NONCE_LEN: usize = 12;

/// The server's key, 32 bytes.
#[derive(Clone)]
pub struct Sealer {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(…)")
    }
}

impl Sealer {
    pub fn new(key: &[u8; 32]) -> Self {
        Self {
            cipher: Aes256Gcm::new(key.into()),
        }
    }

    /// A new random key, as 64 hex digits.
    pub fn new_key_hex() -> String {
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        hex::encode(key)
    }

    /// A key from its 64 hex digits.
    pub fn parse_key(hex_key: &str) -> Result<[u8; 32]> {
        let bytes = hex::decode(hex_key.trim())
            .map_err(|e| Error::Config(format!("the secret key: {e}")))?;
        bytes.try_into().map_err(|_| {
            Error::Config("the secret key must be 64 hex digits (32 bytes)".to_owned())
        })
    }

    pub fn seal(&self, clear: &str, row: &str) -> Result<String> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::thread_rng().fill_bytes(&mut nonce);
        let payload = Payload {
            msg: clear.as_bytes(),
            aad: row.as_bytes(),
        };
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), payload)
            .map_err(|_| Error::Internal("sealing a secret failed".to_owned()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{PREFIX}{}", B64.encode(out)))
    }

    /// The clear value of a stored one (of row `row`); a value stored unsealed as it is.
    pub fn open(&self, stored: &str, row: &str) -> Result<String> {
        let Some(encoded) = stored.strip_prefix(PREFIX) else {
            return Ok(stored.to_owned());
        };
        let bytes = B64.decode(encoded).map_err(|_| unopenable(row))?;
        if bytes.len() <= NONCE_LEN {
            return Err(unopenable(row));
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let payload = Payload {
            msg: sealed,
            aad: row.as_bytes(),
        };
        let clear = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), payload)
            .map_err(|_| unopenable(row))?;
        String::from_utf8(clear).map_err(|_| unopenable(row))
    }
}

/// The key in `path`, or a new one written there (mode 0600) if there is no file yet.
fn key_from_file(path: &std::path::Path) -> Result<[u8; 32]> {
    let what = |e: std::io::Error| Error::Config(format!("the key file {}: {e}", path.display()));
    match std::fs::read_to_string(path) {
        Ok(text) => Sealer::parse_key(&text).map_err(|_| {
            Error::Config(format!(
                "the key file {} does not hold 64 hex digits",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let hex_key = Sealer::new_key_hex();
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(path).map_err(what)?;
            std::io::Write::write_all(&mut file, format!("{hex_key}\n").as_bytes())
                .map_err(what)?;
            file.sync_all().map_err(what)?;
            tracing::info!(file = %path.display(), "a new key sealing secrets at rest");
            Sealer::parse_key(&hex_key)
        }
        Err(e) => Err(what(e)),
    }
}

/// A server error, not the visitor's: the key changed, or the value was altered.
fn unopenable(row: &str) -> Error {
    Error::Internal(format!(
        "the secret of {row} does not open with the server's key (was SIMO_SECRET_KEY or the \
         key file changed?): the operator's password reset removes a login code, a new webhook \
         secret replaces the old"
    ))
}

pub(super) fn is_sealed(stored: &str) -> bool {
    stored.starts_with(PREFIX)
}

/// The row a login code's key belongs to.
pub(super) fn second_factor_row(kind: &str, subject_id: i64) -> String {
    format!("second_factors/{kind}/{subject_id}")
}

/// The row a webhook's signing secret belongs to.
pub(super) fn webhook_row(partner_id: i64) -> String {
    format!("partner_webhooks/{partner_id}")
}

impl Store {
    /// Seals the secrets written from now on with `key`, and opens those sealed with it. Once
    /// per store, at start-up.
    pub fn use_secret_key(&self, key: &[u8; 32]) {
        if self.sealer.set(Sealer::new(key)).is_err() {
            tracing::warn!("the secret key was set twice: the first one stays");
        }
    }

    /// Takes the server's key: the one configured, or else a SQLite database's key file (made
    /// with a new key at the first start, readable by the server's user alone); a database in
    /// memory gets a key for its life. On PostgreSQL without a configured key the secrets stay
    /// unsealed, with a warning: several servers share the database, and a key file each would
    /// not open each other's. Then seals what is stored unsealed.
    pub async fn open_secrets(&self, configured: Option<&str>) -> Result<()> {
        let key = match (configured, &self.key_file, &self.pool) {
            (Some(hex_key), _, _) => Some(Sealer::parse_key(hex_key)?),
            (None, Some(path), _) => Some(key_from_file(path)?),
            (None, None, super::Pool::Sqlite(_)) => {
                Some(Sealer::parse_key(&Sealer::new_key_hex())?)
            }
            (None, None, super::Pool::Postgres(_)) => {
                tracing::warn!(
                    "SIMO_SECRET_KEY is not set: the login codes' keys and the webhooks' secrets                      are stored unsealed in the database"
                );
                None
            }
        };
        if let Some(key) = key {
            self.use_secret_key(&key);
        }
        let sealed = self.seal_clear_secrets().await?;
        if sealed > 0 {
            tracing::info!(sealed, "secrets stored unsealed are now sealed");
        }
        Ok(())
    }

    /// Whether secrets are sealed (a key was given).
    pub fn seals_secrets(&self) -> bool {
        self.sealer.get().is_some()
    }

    /// `clear`, sealed for `row` when there is a key; as it is otherwise.
    pub(super) fn seal(&self, clear: &str, row: &str) -> Result<String> {
        match self.sealer.get() {
            Some(s) => s.seal(clear, row),
            None => Ok(clear.to_owned()),
        }
    }

    /// The clear value of a stored secret of `row`.
    pub(super) fn open(&self, stored: &str, row: &str) -> Result<String> {
        match (self.sealer.get(), is_sealed(stored)) {
            (Some(s), _) => s.open(stored, row),
            (None, false) => Ok(stored.to_owned()),
            (None, true) => Err(Error::Config(format!(
                "the secret of {row} is sealed, and no key is configured (SIMO_SECRET_KEY)"
            ))),
        }
    }

    /// Seals the secrets stored unsealed (before sealing came, or while no key was configured);
    /// how many. Each is replaced only if it is still the value read, so a secret changed
    /// meanwhile is left for the next start.
    pub async fn seal_clear_secrets(&self) -> Result<u64> {
        if !self.seals_secrets() {
            return Ok(0);
        }
        let mut sealed = 0;
        let factors: Vec<(String, i64, String)> = with_pool!(self, p => sqlx::query_as(
            "SELECT kind, subject_id, secret FROM second_factors WHERE secret NOT LIKE 's1:%'",
        )
        .fetch_all(p)
        .await)?;
        for (kind, subject_id, secret) in factors {
            let value = self.seal(&secret, &second_factor_row(&kind, subject_id))?;
            sealed += exec!(self, p => sqlx::query(
                "UPDATE second_factors SET secret = $4
                 WHERE kind = $1 AND subject_id = $2 AND secret = $3",
            )
            .bind(&kind)
            .bind(subject_id)
            .bind(&secret)
            .bind(&value)
            .execute(p)
            .await)?;
        }
        let hooks: Vec<(i64, String)> = with_pool!(self, p => sqlx::query_as(
            "SELECT partner_id, secret FROM partner_webhooks WHERE secret NOT LIKE 's1:%'",
        )
        .fetch_all(p)
        .await)?;
        for (partner_id, secret) in hooks {
            let value = self.seal(&secret, &webhook_row(partner_id))?;
            sealed += exec!(self, p => sqlx::query(
                "UPDATE partner_webhooks SET secret = $3 WHERE partner_id = $1 AND secret = $2",
            )
            .bind(partner_id)
            .bind(&secret)
            .bind(&value)
            .execute(p)
            .await)?;
        }
        Ok(sealed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(byte: u8) -> Sealer {
        Sealer::new(&[byte; 32])
    }

    #[test]
    fn a_sealed_secret_opens_with_its_key_and_row_only() {
        let s = sealer(7);
        let stored = s
            .seal("JBSWY3DPEHPK3PXP", "second_factors/admin/3")
            .unwrap();
        assert!(stored.starts_with("s1:"), "{stored}");
        assert!(!stored.contains("JBSWY3DPEHPK3PXP"));
        assert_eq!(
            s.open(&stored, "second_factors/admin/3").unwrap(),
            "JBSWY3DPEHPK3PXP"
        );
        // Another row (a value copied to another account), another key, an altered value.
        assert!(s.open(&stored, "second_factors/admin/4").is_err());
        assert!(sealer(8).open(&stored, "second_factors/admin/3").is_err());
        let mut altered = stored.clone().into_bytes();
        let last = altered.len() - 2;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).unwrap();
        assert!(s.open(&altered, "second_factors/admin/3").is_err());
        assert!(s.open("s1:", "second_factors/admin/3").is_err());
        // Two seals of one value differ: the nonce is new each time.
        assert_ne!(s.seal("x", "r").unwrap(), s.seal("x", "r").unwrap());
    }

    #[test]
    fn a_value_stored_before_sealing_reads_as_it_is() {
        assert_eq!(sealer(1).open("JBSWY3DP", "r").unwrap(), "JBSWY3DP");
    }

    #[test]
    fn keys_are_64_hex_digits() {
        let key = Sealer::new_key_hex();
        assert_eq!(key.len(), 64);
        assert!(Sealer::parse_key(&key).is_ok());
        assert!(Sealer::parse_key("abcd").is_err());
        assert!(Sealer::parse_key(&"zz".repeat(32)).is_err());
    }
}
