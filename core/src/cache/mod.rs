//! The offline cache: the one place where SQL lives.
//!
//! `db.rs` owns the connections, `schema.rs` the tables, `messages.rs` the queries about
//! messages and their delivery reports, `files.rs` those about the files attached to them;
//! this file holds the session and small settings.

mod db;
mod files;
mod messages;
pub mod schema;

use std::path::Path;

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

pub use files::NewFile;
pub use messages::NewMessage;

use crate::domain::{Device, Inn, MessageId, Phone, StaffState};
use crate::error::Result;
use db::Db;

/// The file name of the cache inside the app's data directory.
pub const FILE_NAME: &str = "simo-cache.sqlite3";

/// The employee's session as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token: String,
    pub inn: String,
    pub staff_id: String,
    pub staff_name: String,
    pub company_name: String,
    pub company_full: String,
    pub phone: String,
    pub device: Device,
    pub state: StaffState,
}

/// A login between `request_code` and `confirm_code`, kept so that the app can be
/// killed while the employee reads the SMS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingLogin {
    pub inn: String,
    pub phone: String,
    pub device: Device,
}

impl PendingLogin {
    pub fn new(inn: &Inn, phone: &Phone, device: Device) -> Self {
        PendingLogin {
            inn: inn.as_str().to_owned(),
            phone: phone.as_str().to_owned(),
            device,
        }
    }
}

const PUSH_TOKEN: &str = "push_token";
const PUSH_TOKEN_UNSENT: &str = "push_token_unsent";
const PENDING_LOGIN: &str = "pending_login";
const SYNC_CURSOR: &str = "sync_cursor";
const CACHE_OWNER: &str = "cache_owner";

/// The offline cache of one app installation.
#[derive(Debug)]
pub struct Cache {
    db: Db,
    /// Room for downloaded files' bytes (`files::FILE_ROOM`).
    file_room: u64,
}

impl Cache {
    /// Opens the cache in `data_dir`, creating the directory and the file if needed.
    pub fn open(data_dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(data_dir)?;
        Ok(Cache {
            db: Db::open(&data_dir.join(FILE_NAME))?,
            file_room: files::FILE_ROOM,
        })
    }

    /// The stored session, if the employee is logged in.
    pub fn session(&self) -> Result<Option<Session>> {
        self.db.read(|c| {
            let row = c
                .query_row(
                    "SELECT token, inn, staff_id, staff_name, company_name, company_full, phone, device,
                            state
                     FROM session WHERE id = 1",
                    [],
                    |r| {
                        Ok((
                            Session {
                                token: r.get(0)?,
                                inn: r.get(1)?,
                                staff_id: r.get(2)?,
                                staff_name: r.get(3)?,
                                company_name: r.get(4)?,
                                company_full: r.get(5)?,
                                phone: r.get(6)?,
                                device: Device::Android,
                                // The column's CHECK admits the three words only.
                                state: StaffState::from_server(Some(&r.get::<_, String>(8)?)),
                            },
                            r.get::<_, String>(7)?,
                        ))
                    },
                )
                .optional()?;
            row.map(|(session, device)| Ok(Session { device: Device::from_wire(&device)?, ..session }))
                .transpose()
        })
    }

    /// Stores a new session. If it belongs to another employee than the cached messages,
    /// those messages (and their reports and files) are dropped first.
    pub fn save_session(&self, session: &Session) -> Result<()> {
        let owner = format!("{}/{}", session.inn, session.staff_id);
        self.db.write(|tx| {
            let previous: Option<String> = get_setting(tx, CACHE_OWNER)?;
            if previous.as_deref() != Some(owner.as_str()) {
                tx.execute("DELETE FROM messages", [])?;
                delete_setting(tx, SYNC_CURSOR)?;
                set_setting(tx, CACHE_OWNER, &owner)?;
            }
            tx.execute(
                "INSERT OR REPLACE INTO session
                 (id, token, inn, staff_id, staff_name, company_name, company_full, phone, device,
                  state)
                 VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    session.token,
                    session.inn,
                    session.staff_id,
                    session.staff_name,
                    session.company_name,
                    session.company_full,
                    session.phone,
                    session.device.as_wire(),
                    session.state.as_wire()
                ],
            )?;
            delete_setting(tx, PENDING_LOGIN)?;
            // A new session on the server knows no push token yet: send the remembered one.
            if let Some(token) = get_setting(tx, PUSH_TOKEN)? {
                set_setting(tx, PUSH_TOKEN_UNSENT, &token)?;
            }
            Ok(())
        })
    }

    /// Takes the names, phone and state the server has now into the session, if it is still
    /// the one of `token`; `true` if any of them changed.
    pub fn refresh_profile(&self, token: &str, now: &Session) -> Result<bool> {
        self.db.write(|tx| {
            Ok(tx.execute(
                "UPDATE session
                 SET staff_name = ?2, company_name = ?3, company_full = ?4, phone = ?5, state = ?6
                 WHERE id = 1 AND token = ?1
                   AND (staff_name, company_name, company_full, phone, state)
                       IS NOT (?2, ?3, ?4, ?5, ?6)",
                params![
                    token,
                    now.staff_name,
                    now.company_name,
                    now.company_full,
                    now.phone,
                    now.state.as_wire()
                ],
            )? > 0)
        })
    }

    /// Forgets the session if its token is still `token` (another process may have logged in
    /// again meanwhile). Cached messages stay readable until the next login or logout.
    pub fn expire_session(&self, token: &str) -> Result<bool> {
        self.db
            .write(|tx| Ok(tx.execute("DELETE FROM session WHERE token = ?1", [token])? > 0))
    }

    /// Logout: drops the session, the messages, their pending reports and files, and the sync
    /// cursor.
    /// The push token stays: it belongs to the device, and the next login re-sends it.
    pub fn clear_account(&self) -> Result<()> {
        self.db.write(|tx| {
            tx.execute("DELETE FROM session", [])?;
            tx.execute("DELETE FROM messages", [])?;
            for key in [PENDING_LOGIN, SYNC_CURSOR, CACHE_OWNER, PUSH_TOKEN_UNSENT] {
                delete_setting(tx, key)?;
            }
            Ok(())
        })
    }

    /// The device's push token, as last given by the app.
    pub fn push_token(&self) -> Result<Option<String>> {
        self.db.read(|c| get_setting(c, PUSH_TOKEN))
    }

    /// Remembers the device's push token and marks it as still to be sent.
    pub fn set_push_token(&self, token: &str) -> Result<()> {
        self.db.write(|tx| {
            // The apps give the token at every start: the same one is not due again (a new
            // session is given it at its login), a changed one is.
            if get_setting(tx, PUSH_TOKEN)?.as_deref() == Some(token) {
                return Ok(());
            }
            set_setting(tx, PUSH_TOKEN, token)?;
            set_setting(tx, PUSH_TOKEN_UNSENT, token)
        })
    }

    /// The push token the server of the current session has not received yet.
    pub fn unsent_push_token(&self) -> Result<Option<String>> {
        self.db.read(|c| get_setting(c, PUSH_TOKEN_UNSENT))
    }

    /// Records that the server has `token` (unless the app gave a newer one meanwhile).
    pub fn push_token_sent(&self, token: &str) -> Result<()> {
        self.db.write(|tx| {
            tx.execute(
                "DELETE FROM settings WHERE key = ?1 AND value = ?2",
                [PUSH_TOKEN_UNSENT, token],
            )?;
            Ok(())
        })
    }

    /// The login waiting for its SMS code.
    pub fn pending_login(&self) -> Result<Option<PendingLogin>> {
        let raw = self.db.read(|c| get_setting(c, PENDING_LOGIN))?;
        Ok(raw.map(|raw| serde_json::from_str(&raw)).transpose()?)
    }

    /// Remembers the login waiting for its SMS code.
    pub fn set_pending_login(&self, pending: &PendingLogin) -> Result<()> {
        let raw = serde_json::to_string(pending)?;
        self.db.write(|tx| set_setting(tx, PENDING_LOGIN, &raw))
    }

    /// The greatest id up to which every message has been fetched by `sync()`.
    pub fn sync_cursor(&self) -> Result<Option<MessageId>> {
        let raw = self.db.read(|c| get_setting(c, SYNC_CURSOR))?;
        raw.map(|raw| MessageId::parse(&raw)).transpose()
    }

    /// Moves the sync cursor forward (never backward, whatever another process did).
    pub fn advance_sync_cursor(&self, to: MessageId) -> Result<()> {
        self.db.write(|tx| {
            let current: Option<String> = get_setting(tx, SYNC_CURSOR)?;
            let current = current.map(|raw| MessageId::parse(&raw)).transpose()?;
            if current.is_none_or(|c| c < to) {
                set_setting(tx, SYNC_CURSOR, &to.to_string())?;
            }
            Ok(())
        })
    }
}

fn get_setting(conn: &rusqlite::Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
            r.get(0)
        })
        .optional()?)
}

fn set_setting(conn: &rusqlite::Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO settings (key, value) VALUES (?1, ?2)",
        [key, value],
    )?;
    Ok(())
}

fn delete_setting(conn: &rusqlite::Connection, key: &str) -> Result<()> {
    conn.execute("DELETE FROM settings WHERE key = ?1", [key])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shared with the other tests of the cache.
    pub(super) fn session(token: &str) -> Session {
        Session {
            token: token.into(),
            inn: "7707083893".into(),
            staff_id: "5".into(),
            staff_name: "Иванов И.".into(),
            company_name: "ООО Весна".into(),
            company_full: "Общество «Весна»".into(),
            phone: "+79001110001".into(),
            device: Device::Android,
            state: StaffState::Active,
        }
    }

    /// The server's names replace the stored ones once, and only in the session they were
    /// asked for: a login in between (another token) keeps its own.
    #[test]
    fn a_refreshed_profile_changes_the_session_it_was_asked_for_once() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        cache.save_session(&session("old")).unwrap();
        let renamed = Session {
            staff_name: "Иванов Иван Иванович".into(),
            ..session("old")
        };
        assert!(!cache.refresh_profile("old", &session("old")).unwrap());
        assert!(cache.refresh_profile("old", &renamed).unwrap());
        assert_eq!(cache.session().unwrap(), Some(renamed.clone()));
        assert!(!cache.refresh_profile("old", &renamed).unwrap(), "once");

        cache.save_session(&session("new")).unwrap();
        assert!(!cache.refresh_profile("old", &renamed).unwrap());
        assert_eq!(cache.session().unwrap(), Some(session("new")));
    }

    /// Switched off the mailing and back on: each change is one refresh that reports it, and
    /// the state survives the cache being opened again (the app restarted).
    #[test]
    fn the_employees_state_is_kept_and_each_change_reported() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        cache.save_session(&session("t")).unwrap();
        let disabled = Session {
            state: StaffState::Disabled,
            ..session("t")
        };
        assert!(cache.refresh_profile("t", &disabled).unwrap());
        assert!(!cache.refresh_profile("t", &disabled).unwrap(), "once");
        drop(cache);

        let cache = Cache::open(dir.path()).unwrap();
        assert_eq!(
            cache.session().unwrap().unwrap().state,
            StaffState::Disabled
        );
        assert!(
            cache.refresh_profile("t", &session("t")).unwrap(),
            "back on"
        );
        assert_eq!(cache.session().unwrap().unwrap().state, StaffState::Active);
    }
}
