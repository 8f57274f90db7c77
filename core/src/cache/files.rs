//! Queries about the files attached to cached messages: their list, which each sync that
//! brings the message replaces, and their bytes once downloaded.
//!
//! Files never change on the server, so downloaded bytes are kept as long as their message and
//! no longer: a recall, a logout or another employee's login deletes the message and, by the
//! foreign key's cascade, its files. Within that, downloaded files have [`FILE_ROOM`]: a file
//! kept beyond it takes the bytes of those opened longest ago, which stay listed and are
//! downloaded again when opened. A year of payslips fits; a phone does not fill up with them.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::Cache;
use crate::domain::{FileId, MessageId};
use crate::error::{Error, Result};
use crate::model::{Message, MessageFile};

/// A file of a message about to be stored, as a sync page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    pub id: FileId,
    pub name: String,
    pub size: u64,
    pub content_type: String,
}

/// The bytes all downloaded files may take: 100 MiB, some 500 payslips of 200 KB.
pub const FILE_ROOM: u64 = 100 * 1024 * 1024;

/// The next number in the order files were opened; `opened` comes before `data` in the row, so
/// the scan reads no bytes.
const NEXT_OPENED: &str = "(SELECT ifnull(max(opened), 0) + 1 FROM message_files)";

impl Cache {
    /// The bytes of a downloaded file, if the cache has them; the file counts as opened now.
    pub fn file_bytes(&self, message: MessageId, file: FileId) -> Result<Option<Vec<u8>>> {
        self.db.write(|tx| {
            Ok(tx
                .prepare_cached(&format!(
                    "UPDATE message_files SET opened = {NEXT_OPENED}
                     WHERE message_id = ?1 AND file_id = ?2 AND data IS NOT NULL
                     RETURNING data"
                ))?
                .query_row(params![message.get(), file.get()], |r| r.get(0))
                .optional()?)
        })
    }

    /// Downloaded files get `bytes` of room (tests use a small one).
    #[cfg(test)]
    pub(crate) fn with_file_room(self, bytes: u64) -> Self {
        Self {
            file_room: bytes,
            ..self
        }
    }

    /// Keeps the downloaded bytes of a file the cache lists; `false` when it lists none such
    /// (the message is not cached, or came by push and no sync has listed its files yet).
    /// Bytes of another size than the list says are refused rather than kept for good: a
    /// proxy's page or a cut answer must not stand in for the file.
    pub fn keep_file_bytes(&self, message: MessageId, file: FileId, bytes: &[u8]) -> Result<bool> {
        self.db.write(|tx| {
            let listed: Option<i64> = tx
                .prepare_cached(
                    "SELECT size FROM message_files WHERE message_id = ?1 AND file_id = ?2",
                )?
                .query_row(params![message.get(), file.get()], |r| r.get(0))
                .optional()?;
            let Some(size) = listed else {
                return Ok(false);
            };
            if usize::try_from(size).ok() != Some(bytes.len()) {
                return Err(Error::Protocol(format!(
                    "getfile: {} bytes where the message lists {size}",
                    bytes.len()
                )));
            }
            tx.prepare_cached(&format!(
                "UPDATE message_files SET opened = {NEXT_OPENED}, data = ?3
                 WHERE message_id = ?1 AND file_id = ?2"
            ))?
            .execute(params![message.get(), file.get(), bytes])?;
            // Newest opened first, each file's bytes and those of the files opened after it:
            // where that passes the room, the file loses its bytes. The one just kept stays,
            // even alone larger than the room.
            let evicted = tx
                .prepare_cached(
                    "UPDATE message_files SET data = NULL, opened = NULL
                     WHERE (message_id, file_id) IN (
                         SELECT message_id, file_id FROM (
                             SELECT message_id, file_id,
                                    sum(length(data)) OVER (ORDER BY opened DESC) AS taken
                             FROM message_files WHERE length(data) IS NOT NULL)
                         WHERE taken > ?1)
                       AND NOT (message_id = ?2 AND file_id = ?3)",
                )?
                .execute(params![
                    i64::try_from(self.file_room).unwrap_or(i64::MAX),
                    message.get(),
                    file.get()
                ])?;
            if evicted > 0 {
                tracing::debug!(evicted, "downloaded files opened longest ago make room");
            }
            Ok(true)
        })
    }
}

/// Makes the files listed for `message` those of `files`, in that order. Bytes already
/// downloaded stay with the files still listed (unless the listed size changed); files no
/// longer listed go. An unchanged list, the rule, writes nothing.
pub(super) fn replace_files(
    conn: &Connection,
    message: MessageId,
    files: &[NewFile],
) -> Result<()> {
    let mut upsert = conn.prepare_cached(
        "INSERT INTO message_files (message_id, file_id, position, name, size, content_type)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (message_id, file_id) DO UPDATE SET
             position = excluded.position, name = excluded.name, size = excluded.size,
             content_type = excluded.content_type,
             data = CASE WHEN size = excluded.size THEN data END
         WHERE (position, name, size, content_type)
               IS NOT (excluded.position, excluded.name, excluded.size, excluded.content_type)",
    )?;
    for (position, file) in files.iter().enumerate() {
        let size = i64::try_from(file.size)
            .map_err(|_| Error::Protocol(format!("file {} is too large", file.id)))?;
        upsert.execute(params![
            message.get(),
            file.id.get(),
            i64::try_from(position).unwrap_or(i64::MAX),
            file.name,
            size,
            file.content_type
        ])?;
    }
    let listed: Vec<i64> = files.iter().map(|f| f.id.get()).collect();
    conn.prepare_cached(
        "DELETE FROM message_files
         WHERE message_id = ?1 AND file_id NOT IN (SELECT value FROM json_each(?2))",
    )?
    .execute(params![message.get(), serde_json::to_string(&listed)?])?;
    Ok(())
}

/// Fills in the files of messages read from their own table.
pub(super) fn with_files(conn: &Connection, mut messages: Vec<Message>) -> Result<Vec<Message>> {
    // `length(data)` reads the length the row's header gives; `data IS NOT NULL` would load
    // megabytes of bytes to say yes.
    let mut statement = conn.prepare_cached(
        "SELECT file_id, name, size, content_type, length(data) IS NOT NULL FROM message_files
         WHERE message_id = ?1 ORDER BY position",
    )?;
    for message in &mut messages {
        message.files = statement
            .query_map([message.id.get()], file_from_row)?
            .collect::<Result<_, _>>()?;
    }
    Ok(messages)
}

fn file_from_row(row: &Row<'_>) -> rusqlite::Result<MessageFile> {
    let conversion = |e: Error| rusqlite::Error::ToSqlConversionFailure(Box::new(e));
    Ok(MessageFile {
        id: FileId::new(row.get(0)?).map_err(conversion)?,
        name: row.get(1)?,
        // The column's CHECK keeps it non-negative.
        size: row.get::<_, i64>(2)?.unsigned_abs(),
        content_type: row.get(3)?,
        downloaded: row.get(4)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::messages::tests::{cache, id, message};
    use crate::cache::{NewMessage, Session};

    fn fid(raw: i64) -> FileId {
        FileId::new(raw).unwrap()
    }

    fn file(id: i64, name: &str, size: u64) -> NewFile {
        NewFile {
            id: fid(id),
            name: name.into(),
            size,
            content_type: "application/pdf".into(),
        }
    }

    fn carrying(id: i64, files: Vec<NewFile>) -> NewMessage {
        NewMessage {
            files,
            ..message(id, "Расчётный листок", "За ноябрь")
        }
    }

    /// (id, name, downloaded) of each file of the cached message, in order.
    fn listed(cache: &Cache, message: i64) -> Vec<(i64, String, bool)> {
        let message = cache.message(id(message)).unwrap().expect("cached");
        message
            .files
            .into_iter()
            .map(|f| (f.id.get(), f.name, f.downloaded))
            .collect()
    }

    fn rows(cache: &Cache) -> i64 {
        cache
            .db
            .read(|c| Ok(c.query_row("SELECT count(*) FROM message_files", [], |r| r.get(0))?))
            .unwrap()
    }

    #[test]
    fn a_synced_message_lists_its_files_in_order_and_a_push_leaves_them_alone() {
        let (_dir, cache) = cache();
        cache.store_pushed(&carrying(9, Vec::new())).unwrap();
        assert!(listed(&cache, 9).is_empty(), "a push carries no files");

        let files = vec![file(17, "Листок.pdf", 3), file(4, "График.xlsx", 5)];
        assert!(
            cache
                .store_synced(&[carrying(9, files.clone())])
                .unwrap()
                .is_empty()
        );
        let both = vec![
            (17, "Листок.pdf".to_owned(), false),
            (4, "График.xlsx".to_owned(), false),
        ];
        assert_eq!(listed(&cache, 9), both);
        let first = &cache.messages(10, None).unwrap()[0].files[0];
        assert_eq!(
            (first.size, first.content_type.as_str()),
            (3, "application/pdf")
        );

        // A repeated push of a cached message changes nothing.
        cache.store_pushed(&carrying(9, Vec::new())).unwrap();
        assert_eq!(listed(&cache, 9), both);
        assert_eq!(cache.search("ноябрь", 10).unwrap()[0].files.len(), 2);
    }

    #[test]
    fn downloaded_bytes_stay_while_their_file_is_listed_and_go_when_it_is_not() {
        let (_dir, cache) = cache();
        let page = |files| [carrying(1, files)];
        cache
            .store_synced(&page(vec![
                file(17, "Листок.pdf", 3),
                file(4, "Приказ.pdf", 2),
            ]))
            .unwrap();
        assert_eq!(cache.file_bytes(id(1), fid(17)).unwrap(), None);
        assert!(cache.keep_file_bytes(id(1), fid(17), b"PDF").unwrap());
        assert_eq!(
            cache.file_bytes(id(1), fid(17)).unwrap().as_deref(),
            Some(&b"PDF"[..])
        );

        // The next sync lists them again, in another order: the bytes stay.
        cache
            .store_synced(&page(vec![
                file(4, "Приказ.pdf", 2),
                file(17, "Листок.pdf", 3),
            ]))
            .unwrap();
        assert_eq!(
            listed(&cache, 1),
            [
                (4, "Приказ.pdf".to_owned(), false),
                (17, "Листок.pdf".to_owned(), true)
            ]
        );

        // A file no longer listed goes with its bytes; a listed size that changed drops them.
        assert!(cache.keep_file_bytes(id(1), fid(4), b"OK").unwrap());
        cache
            .store_synced(&page(vec![file(4, "Приказ.pdf", 7)]))
            .unwrap();
        assert_eq!(listed(&cache, 1), [(4, "Приказ.pdf".to_owned(), false)]);
        assert_eq!(cache.file_bytes(id(1), fid(17)).unwrap(), None);
        assert_eq!(cache.file_bytes(id(1), fid(4)).unwrap(), None);
        cache.store_synced(&page(Vec::new())).unwrap();
        assert_eq!(rows(&cache), 0);
    }

    #[test]
    fn beyond_their_room_the_files_opened_longest_ago_lose_their_bytes() {
        let (_dir, cache) = cache();
        let cache = cache.with_file_room(100);
        let pdf = |n: u8| vec![n; 40];
        cache
            .store_synced(&[
                carrying(1, vec![file(11, "Январь.pdf", 40)]),
                carrying(2, vec![file(12, "Февраль.pdf", 40)]),
                carrying(
                    3,
                    vec![file(13, "Март.pdf", 40), file(14, "Апрель.pdf", 40)],
                ),
                carrying(4, vec![file(15, "График.pdf", 250)]),
            ])
            .unwrap();
        let downloaded = |cache: &Cache| -> Vec<i64> {
            let mut ids: Vec<i64> = cache
                .messages(10, None)
                .unwrap()
                .iter()
                .flat_map(|m| m.files.iter())
                .filter(|f| f.downloaded)
                .map(|f| f.id.get())
                .collect();
            ids.sort_unstable();
            ids
        };
        assert!(cache.keep_file_bytes(id(1), fid(11), &pdf(1)).unwrap());
        assert!(cache.keep_file_bytes(id(2), fid(12), &pdf(2)).unwrap());
        assert_eq!(downloaded(&cache), [11, 12], "80 bytes of 100");
        assert!(cache.keep_file_bytes(id(3), fid(13), &pdf(3)).unwrap());
        assert_eq!(
            downloaded(&cache),
            [12, 13],
            "January, opened first, made room"
        );
        assert_eq!(cache.file_bytes(id(1), fid(11)).unwrap(), None);
        assert_eq!(listed(&cache, 1), [(11, "Январь.pdf".to_owned(), false)]);

        // Opening February again makes March the one opened longest ago.
        assert_eq!(cache.file_bytes(id(2), fid(12)).unwrap(), Some(pdf(2)));
        assert!(cache.keep_file_bytes(id(3), fid(14), &pdf(4)).unwrap());
        assert_eq!(downloaded(&cache), [12, 14]);

        // A file larger than the room is kept, alone; the next file kept takes its room.
        assert!(cache.keep_file_bytes(id(4), fid(15), &[5; 250]).unwrap());
        assert_eq!(downloaded(&cache), [15]);
        assert!(cache.keep_file_bytes(id(1), fid(11), &pdf(1)).unwrap());
        assert_eq!(downloaded(&cache), [11]);
        assert_eq!(cache.file_bytes(id(1), fid(11)).unwrap(), Some(pdf(1)));
    }

    #[test]
    fn bytes_of_another_size_or_of_an_unlisted_file_are_not_kept() {
        let (_dir, cache) = cache();
        cache
            .store_synced(&[carrying(1, vec![file(17, "Листок.pdf", 3)])])
            .unwrap();
        assert!(matches!(
            cache.keep_file_bytes(id(1), fid(17), b"<html>portal</html>"),
            Err(Error::Protocol(_))
        ));
        assert_eq!(listed(&cache, 1), [(17, "Листок.pdf".to_owned(), false)]);
        assert!(!cache.keep_file_bytes(id(1), fid(18), b"PDF").unwrap());
        assert!(!cache.keep_file_bytes(id(2), fid(17), b"PDF").unwrap());
        assert_eq!(rows(&cache), 1);
        // An empty file is a file, and downloaded once kept.
        cache
            .store_synced(&[carrying(3, vec![file(5, "пусто.txt", 0)])])
            .unwrap();
        assert!(cache.keep_file_bytes(id(3), fid(5), b"").unwrap());
        assert_eq!(cache.file_bytes(id(3), fid(5)).unwrap(), Some(Vec::new()));
        assert!(listed(&cache, 3)[0].2);
    }

    #[test]
    fn files_go_with_their_message_on_a_recall_a_logout_and_another_employees_login() {
        let (_dir, cache) = cache();
        let employee = |staff_id: &str| Session {
            staff_id: staff_id.into(),
            ..crate::cache::tests::session(&format!("token-{staff_id}"))
        };
        let store = |cache: &Cache| {
            cache
                .store_synced(&[
                    carrying(1, vec![file(17, "Листок.pdf", 3)]),
                    carrying(2, vec![file(18, "Приказ.pdf", 2)]),
                ])
                .unwrap();
            assert!(cache.keep_file_bytes(id(1), fid(17), b"PDF").unwrap());
            assert!(cache.keep_file_bytes(id(2), fid(18), b"OK").unwrap());
        };
        cache.save_session(&employee("5")).unwrap();
        store(&cache);

        assert_eq!(cache.remove_recalled(&[id(1)]).unwrap(), [id(1)]);
        assert_eq!(cache.file_bytes(id(1), fid(17)).unwrap(), None);
        assert_eq!(rows(&cache), 1, "the other message keeps its file");

        cache.save_session(&employee("6")).unwrap();
        assert_eq!(rows(&cache), 0, "another employee's login");

        store(&cache);
        cache.clear_account().unwrap();
        assert_eq!(rows(&cache), 0, "logout");
        assert_eq!(cache.file_bytes(id(2), fid(18)).unwrap(), None);
    }
}
