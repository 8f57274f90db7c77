//! Secrets the server must read back in clear, sealed at rest with the server's key: a login
//! code's key (the authenticator app's, see migration 31) and a webhook's signing secret. A copy
//! of the database alone (a backup, a dump, a query someone slipped in) then gives neither away.
//!
//! AES-256-GCM with a random 96-bit nonce per value; the row the value belongs to is the
//! associated data, so a sealed value copied into another account's row does not open there.
//! Stored as `s1:` and the base64 of nonce and ciphertext. A value without the prefix is one
//! written before sealing (or with no key configured) and reads as it is.
//!
//! Keys rotate: earlier keys (`SIMO_SECRET_KEY_PREVIOUS`, or the key file's lines after the
//! first) still open what they sealed, and `Store::reseal_secrets` seals at start-up, with the
//! current key, whatever is stored unsealed or under an earlier key. `simo-backend secret-key
//! rotate` does all of it for a SQLite server's key file.

use super::{Store, exec, with_pool};
use crate::error::{Error, Result};
use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use rand::RngCore;

const PREFIX: &str = "s1:";
const NONCE_LEN: usize = 12;

/// The server's key, 32 bytes, and the earlier keys that still open what they sealed.
#[derive(Clone)]
pub struct Sealer {
    cipher: Aes256Gcm,
    previous: Vec<Aes256Gcm>,
}

/// A stored secret as the keys read it.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Opened {
    /// Sealed with the current key.
    Current(String),
    /// Sealed with an earlier key: to seal again.
    Previous(String),
    /// Stored before sealing, or while no key was configured.
    Unsealed(String),
}

/// How the stored secrets are sealed (`simo-backend secret-key status`).
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SecretCensus {
    pub current: u64,
    pub previous: u64,
    pub unsealed: u64,
    /// Sealed with no key the server has: lost until reset (a login code) or replaced (a
    /// webhook's secret).
    pub unopenable: u64,
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
            previous: Vec::new(),
        }
    }

    /// With earlier keys that open what they sealed (newest first), never seal.
    pub fn with_previous(mut self, keys: &[[u8; 32]]) -> Self {
        self.previous = keys.iter().map(|k| Aes256Gcm::new(k.into())).collect();
        self
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

    /// Keys separated by spaces, commas or lines (`SIMO_SECRET_KEY_PREVIOUS`, a key file).
    pub fn parse_keys(text: &str) -> Result<Vec<[u8; 32]>> {
        text.split(|c: char| c == ',' || c.is_whitespace())
            .filter(|k| !k.is_empty())
            .map(Self::parse_key)
            .collect()
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
        match self.read(stored, row)? {
            Opened::Current(clear) | Opened::Previous(clear) | Opened::Unsealed(clear) => Ok(clear),
        }
    }

    /// The clear value and the key that opened it. An authentication tag that fails tells a
    /// wrong key apart from the right one, so the keys are simply tried in turn.
    pub(super) fn read(&self, stored: &str, row: &str) -> Result<Opened> {
        let Some(encoded) = stored.strip_prefix(PREFIX) else {
            return Ok(Opened::Unsealed(stored.to_owned()));
        };
        let bytes = B64.decode(encoded).map_err(|_| unopenable(row))?;
        if bytes.len() <= NONCE_LEN {
            return Err(unopenable(row));
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let open = |cipher: &Aes256Gcm| {
            let payload = Payload {
                msg: sealed,
                aad: row.as_bytes(),
            };
            cipher.decrypt(Nonce::from_slice(nonce), payload).ok()
        };
        let (clear, current) = match open(&self.cipher) {
            Some(clear) => (clear, true),
            None => (
                self.previous
                    .iter()
                    .find_map(open)
                    .ok_or_else(|| unopenable(row))?,
                false,
            ),
        };
        let clear = String::from_utf8(clear).map_err(|_| unopenable(row))?;
        Ok(match current {
            true => Opened::Current(clear),
            false => Opened::Previous(clear),
        })
    }
}

/// The keys of a key file: the current one first, earlier ones after it.
fn read_key_file(path: &std::path::Path) -> Result<Option<Vec<[u8; 32]>>> {
    match std::fs::read_to_string(path) {
        Ok(text) => match Sealer::parse_keys(&text) {
            Ok(keys) if !keys.is_empty() => Ok(Some(keys)),
            _ => Err(Error::Config(format!(
                "the key file {} does not hold keys of 64 hex digits, one a line",
                path.display()
            ))),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(key_file_error(path, e)),
    }
}

fn key_file_error(path: &std::path::Path, e: std::io::Error) -> Error {
    Error::Config(format!("the key file {}: {e}", path.display()))
}

/// Writes `keys` (current first) to the key file in one step: a new file (mode 0600), synced,
/// then renamed over the old one, so a crash leaves either file whole.
fn write_key_file(path: &std::path::Path, keys: &[[u8; 32]]) -> Result<()> {
    let what = |e: std::io::Error| key_file_error(path, e);
    let mut next = path.as_os_str().to_owned();
    next.push(".new");
    let next = std::path::PathBuf::from(next);
    // A `.new` file left by a run that stopped before its rename.
    match std::fs::remove_file(&next) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(what(e)),
        _ => {}
    }
    write_new_file(&next, keys)?;
    std::fs::rename(&next, path).map_err(what)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(what)?;
    }
    Ok(())
}

/// Writes `keys` (one a line) to a file that must not exist yet, readable by the server's user
/// alone, and syncs it.
fn write_new_file(path: &std::path::Path, keys: &[[u8; 32]]) -> Result<()> {
    let what = |e: std::io::Error| key_file_error(path, e);
    let text: String = keys
        .iter()
        .map(|k| format!("{}\n", hex::encode(k)))
        .collect();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(what)?;
    std::io::Write::write_all(&mut file, text.as_bytes()).map_err(what)?;
    file.sync_all().map_err(what)
}

/// The keys in `path`, or a new key written there (mode 0600) if there is no file yet.
fn keys_from_file(path: &std::path::Path) -> Result<Vec<[u8; 32]>> {
    if let Some(keys) = read_key_file(path)? {
        return Ok(keys);
    }
    let key = Sealer::parse_key(&Sealer::new_key_hex())?;
    // Never over another's: two servers starting at once on one database keep one key.
    write_new_file(path, &[key])?;
    tracing::info!(file = %path.display(), "a new key sealing secrets at rest");
    Ok(vec![key])
}

/// The key file open with a shared lock, held while this process uses its keys: a server
/// running on the database, so that `secret-key rotate` (which takes it exclusively) is refused
/// rather than leaving the server sealing new secrets with a key the file no longer has.
fn hold_key_file(path: &std::path::Path) -> Result<std::fs::File> {
    let file = std::fs::File::open(path).map_err(|e| key_file_error(path, e))?;
    match file.try_lock_shared() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::Config(format!(
            "{} is being rotated (simo-backend secret-key rotate): start once it is done",
            path.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(key_file_error(path, e)),
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
    /// Seals the secrets written from now on with `key`, and opens those sealed with it or with
    /// one of `previous`. Once per store, at start-up.
    pub fn use_secret_keys(&self, key: &[u8; 32], previous: &[[u8; 32]]) {
        if self
            .sealer
            .set(Sealer::new(key).with_previous(previous))
            .is_err()
        {
            tracing::warn!("the secret key was set twice: the first one stays");
        }
    }

    /// Takes the server's keys: the one configured, or else a SQLite database's key file (made
    /// with a new key at the first start, readable by the server's user alone); a database in
    /// memory gets a key for its life. On PostgreSQL without a configured key the secrets stay
    /// unsealed, with a warning: several servers share the database, and a key file each would
    /// not open each other's. `previous`: earlier keys, still opening what they sealed.
    pub fn load_secret_keys(&self, configured: Option<&str>, previous: Option<&str>) -> Result<()> {
        let mut earlier = match previous {
            Some(text) => Sealer::parse_keys(text)?,
            None => Vec::new(),
        };
        let key = match (configured, &self.key_file, &self.pool) {
            (Some(hex_key), _, _) => Some(Sealer::parse_key(hex_key)?),
            (None, Some(path), _) => {
                let mut keys = keys_from_file(path)?;
                let mut held = self
                    .key_file_held
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if held.is_none() {
                    *held = Some(hold_key_file(path)?);
                }
                let current = keys.remove(0);
                keys.append(&mut earlier);
                earlier = keys;
                Some(current)
            }
            (None, None, super::Pool::Sqlite(_)) => {
                Some(Sealer::parse_key(&Sealer::new_key_hex())?)
            }
            (None, None, super::Pool::Postgres(_)) => {
                tracing::warn!(
                    "SIMO_SECRET_KEY is not set: the login codes' keys and the webhooks' secrets \
                     are stored unsealed in the database"
                );
                None
            }
        };
        if let Some(key) = key {
            self.use_secret_keys(&key, &earlier);
        }
        Ok(())
    }

    /// [`Self::load_secret_keys`], then seals with the current key what is stored unsealed or
    /// under an earlier key. At start-up.
    /// What it sealed again is returned: a server's start that re-seals secrets of an earlier
    /// key is a key rotation the operator's journal records.
    pub async fn open_secrets(
        &self,
        configured: Option<&str>,
        previous: Option<&str>,
    ) -> Result<Resealed> {
        self.load_secret_keys(configured, previous)?;
        let resealed = self.reseal_secrets().await?;
        if resealed.total() > 0 {
            tracing::info!(
                from_earlier_keys = resealed.previous,
                from_unsealed = resealed.unsealed,
                "secrets sealed with the current key"
            );
        }
        let census = self.secret_census().await?;
        if census.unopenable > 0 {
            tracing::warn!(
                unopenable = census.unopenable,
                "secrets sealed with no key this server has: an operator's password reset \
                 removes a login code, a new webhook secret replaces the old"
            );
        }
        if previous.is_some() && census.previous == 0 {
            tracing::info!(
                "nothing is sealed with SIMO_SECRET_KEY_PREVIOUS any more: it can be removed"
            );
        }
        Ok(resealed)
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

    /// Every stored secret: its row, the table's key columns, and the value.
    async fn stored_secrets(&self) -> Result<Vec<StoredSecret>> {
        let factors: Vec<(String, i64, String)> = with_pool!(self, p => sqlx::query_as(
            "SELECT kind, subject_id, secret FROM second_factors ORDER BY kind, subject_id",
        )
        .fetch_all(p)
        .await)?;
        let hooks: Vec<(i64, String)> = with_pool!(self, p => sqlx::query_as(
            "SELECT partner_id, secret FROM partner_webhooks ORDER BY partner_id",
        )
        .fetch_all(p)
        .await)?;
        let factors = factors
            .into_iter()
            .map(|(kind, subject_id, value)| StoredSecret {
                row: second_factor_row(&kind, subject_id),
                key: SecretKey::Factor(kind, subject_id),
                value,
            });
        let hooks = hooks.into_iter().map(|(partner_id, value)| StoredSecret {
            row: webhook_row(partner_id),
            key: SecretKey::Webhook(partner_id),
            value,
        });
        Ok(factors.chain(hooks).collect())
    }

    /// How the stored secrets are sealed, with the keys this store has.
    pub async fn secret_census(&self) -> Result<SecretCensus> {
        let mut census = SecretCensus::default();
        for secret in self.stored_secrets().await? {
            let read = match self.sealer.get() {
                Some(s) => s.read(&secret.value, &secret.row).ok(),
                None if is_sealed(&secret.value) => None,
                None => Some(Opened::Unsealed(String::new())),
            };
            match read {
                Some(Opened::Current(_)) => census.current += 1,
                Some(Opened::Previous(_)) => census.previous += 1,
                Some(Opened::Unsealed(_)) => census.unsealed += 1,
                None => census.unopenable += 1,
            }
        }
        Ok(census)
    }

    /// Seals with the current key the secrets stored unsealed (before sealing came, or while no
    /// key was configured) or under an earlier key. Each is replaced only if it is
    /// still the value read, so a secret changed meanwhile is left for the next start. One that
    /// no key opens is left as it is (counted by [`Self::secret_census`]).
    pub async fn reseal_secrets(&self) -> Result<Resealed> {
        let mut resealed = Resealed::default();
        let Some(sealer) = self.sealer.get() else {
            return Ok(resealed);
        };
        for secret in self.stored_secrets().await? {
            let (clear, count) = match sealer.read(&secret.value, &secret.row) {
                Ok(Opened::Previous(clear)) => (clear, &mut resealed.previous),
                Ok(Opened::Unsealed(clear)) => (clear, &mut resealed.unsealed),
                Ok(Opened::Current(_)) | Err(_) => continue,
            };
            let value = sealer.seal(&clear, &secret.row)?;
            *count += match &secret.key {
                SecretKey::Factor(kind, subject_id) => exec!(self, p => sqlx::query(
                    "UPDATE second_factors SET secret = $4
                     WHERE kind = $1 AND subject_id = $2 AND secret = $3",
                )
                .bind(kind)
                .bind(subject_id)
                .bind(&secret.value)
                .bind(&value)
                .execute(p)
                .await)?,
                SecretKey::Webhook(partner_id) => exec!(self, p => sqlx::query(
                    "UPDATE partner_webhooks SET secret = $3 WHERE partner_id = $1 AND secret = $2",
                )
                .bind(partner_id)
                .bind(&secret.value)
                .bind(&value)
                .execute(p)
                .await)?,
            };
        }
        Ok(resealed)
    }

    /// A new key for a SQLite server's key file (`simo-backend secret-key rotate`, the server
    /// stopped; refused while one holds the file): the file gets the new key with the old ones after it, every secret is sealed
    /// with the new key, then the old keys leave the file. A crash at any step leaves a file
    /// that opens everything. Refused with a configured key (the operator rotates it, see
    /// `SIMO_SECRET_KEY_PREVIOUS`) and without a key file (PostgreSQL, a database in memory).
    pub async fn rotate_key_file(&self, configured: Option<&str>) -> Result<KeyRotation> {
        if configured.is_some() {
            return Err(Error::Config(
                "SIMO_SECRET_KEY is set, so the key file is not used: set SIMO_SECRET_KEY to a \
                 new key (simo-backend secret-key new) and SIMO_SECRET_KEY_PREVIOUS to the old \
                 one, and restart: the start seals everything with the new key"
                    .to_owned(),
            ));
        }
        let Some(path) = &self.key_file else {
            return Err(Error::Config(
                "this database has no key file (PostgreSQL, or SQLite in memory): rotate \
                 SIMO_SECRET_KEY with SIMO_SECRET_KEY_PREVIOUS"
                    .to_owned(),
            ));
        };
        if self.seals_secrets() {
            return Err(Error::Internal(
                "the keys of this store are already taken".to_owned(),
            ));
        }
        // Held to the end: a server started meanwhile is refused (see `hold_key_file`).
        let _rotating = match std::fs::File::open(path) {
            Ok(file) => match file.try_lock() {
                Ok(()) => Some(file),
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(Error::Config(format!(
                        "a server is running on this database (it holds {}): stop it, run \
                         simo-backend secret-key rotate, then start it",
                        path.display()
                    )));
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(key_file_error(path, e)),
            },
            // No key file yet: said below.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(key_file_error(path, e)),
        };
        let Some(old) = read_key_file(path)? else {
            return Err(Error::Config(format!(
                "there is no key file {} yet: the server's first start makes one",
                path.display()
            )));
        };
        let new = Sealer::parse_key(&Sealer::new_key_hex())?;
        let mut ring = vec![new];
        ring.extend_from_slice(&old);
        write_key_file(path, &ring)?;
        self.use_secret_keys(&new, &old);
        let resealed = self.reseal_secrets().await?.total();
        let census = self.secret_census().await?;
        // A secret still under an old key (changed while this ran) keeps its key in the file.
        let kept_previous = census.previous > 0;
        if !kept_previous {
            write_key_file(path, &[new])?;
        }
        Ok(KeyRotation {
            resealed,
            census,
            kept_previous,
        })
    }
}

/// What `reseal_secrets` sealed with the current key, by what it was.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Resealed {
    /// Sealed with an earlier key.
    pub previous: u64,
    /// Stored unsealed.
    pub unsealed: u64,
}

impl Resealed {
    pub fn total(self) -> u64 {
        self.previous + self.unsealed
    }
}

/// What `rotate_key_file` did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct KeyRotation {
    pub resealed: u64,
    pub census: SecretCensus,
    /// Old keys stayed in the file: some secret is still sealed with one.
    pub kept_previous: bool,
}

struct StoredSecret {
    row: String,
    key: SecretKey,
    value: String,
}

/// Where a stored secret is: its table's key.
enum SecretKey {
    Factor(String, i64),
    Webhook(i64),
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
    fn an_earlier_key_still_opens_what_it_sealed_and_says_so() {
        let old = sealer(1).seal("secret", "partner_webhooks/9").unwrap();
        let ring = Sealer::new(&[2; 32]).with_previous(&[[3; 32], [1; 32]]);
        assert_eq!(
            ring.read(&old, "partner_webhooks/9").unwrap(),
            Opened::Previous("secret".to_owned())
        );
        let new = ring.seal("secret", "partner_webhooks/9").unwrap();
        assert_eq!(
            ring.read(&new, "partner_webhooks/9").unwrap(),
            Opened::Current("secret".to_owned())
        );
        assert!(sealer(1).open(&new, "partner_webhooks/9").is_err());
        assert_eq!(
            ring.read("clear", "r").unwrap(),
            Opened::Unsealed("clear".to_owned())
        );
        // An earlier key does not open another row's value either.
        assert!(ring.read(&old, "partner_webhooks/8").is_err());
        assert!(
            Sealer::new(&[2; 32])
                .read(&old, "partner_webhooks/9")
                .is_err()
        );
    }

    #[test]
    fn a_key_file_is_replaced_whole_and_readable_by_its_owner_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("simo.db-key");
        assert_eq!(read_key_file(&path).unwrap(), None);
        let first = keys_from_file(&path).unwrap();
        assert_eq!(first.len(), 1);
        assert_eq!(keys_from_file(&path).unwrap(), first, "read, not remade");
        write_key_file(&path, &[[5; 32], first[0]]).unwrap();
        assert_eq!(read_key_file(&path).unwrap(), Some(vec![[5; 32], first[0]]));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        }
        assert!(!dir.path().join("simo.db-key.new").exists());
        std::fs::write(&path, "not a key\n").unwrap();
        assert!(read_key_file(&path).is_err());
    }

    #[test]
    fn keys_are_64_hex_digits() {
        let key = Sealer::new_key_hex();
        assert_eq!(key.len(), 64);
        assert!(Sealer::parse_key(&key).is_ok());
        assert!(Sealer::parse_key("abcd").is_err());
        assert!(Sealer::parse_key(&"zz".repeat(32)).is_err());
        let two = format!("{key}, {}\n", Sealer::new_key_hex());
        assert_eq!(Sealer::parse_keys(&two).unwrap().len(), 2);
        assert!(Sealer::parse_keys(&format!("{key} abcd")).is_err());
        assert!(Sealer::parse_keys(" \n").unwrap().is_empty());
    }
}
