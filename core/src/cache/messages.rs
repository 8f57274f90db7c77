//! Queries about cached messages and their pending delivery reports.
//!
//! A message read here comes with its files (`files.rs`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::Cache;
use super::files::{NewFile, replace_files, with_files};
use crate::api::Report;
use crate::domain::MessageId;
use crate::error::{Error, Result};
use crate::model::Message;

/// A message about to be stored, from a sync page or a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    pub id: MessageId,
    pub title: String,
    pub body: String,
    pub created_ms: i64,
    pub sent_ms: Option<i64>,
    /// The server already counts it as delivered (or read): no delivery report needed.
    pub delivered_on_server: bool,
    /// The server says it was read (on another device or by an earlier report).
    pub read_on_server: bool,
    /// The employee is asked to acknowledge it ("Ознакомлен(а)").
    pub ack_required: bool,
    /// When the server says the employee acknowledged it.
    pub acked_ms: Option<i64>,
    /// The attached files, as a sync page lists them. A push carries none: storing it leaves
    /// the files of a message already cached as they are.
    pub files: Vec<NewFile>,
}

const COLUMNS: &str = "id, title, body, created_ms, sent_ms, is_read, ack_required, acked_ms";

impl Cache {
    /// Stores a page fetched by `sync()`; returns the ids that were not cached before.
    /// Queues a `delivered` report for each message the server does not know is delivered.
    /// Each message's files become those the page lists (a message first stored from its push
    /// gets them here).
    pub fn store_synced(&self, page: &[NewMessage]) -> Result<Vec<MessageId>> {
        self.db.write(|tx| {
            let mut fresh = Vec::new();
            let mut insert = tx.prepare_cached(
                "INSERT INTO messages (id, title, body, created_ms, sent_ms, is_read, from_sync, ack_required, acked_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?8) ON CONFLICT (id) DO NOTHING",
            )?;
            // An acknowledgment made here and not yet reported keeps its own time.
            let mut refresh = tx.prepare_cached(
                "UPDATE messages SET created_ms = ?2, sent_ms = ?3, is_read = max(is_read, ?4), from_sync = 1,
                        ack_required = ?5, acked_ms = coalesce(acked_ms, ?6)
                 WHERE id = ?1",
            )?;
            // Only when the text changed, so that the search index is not rewritten for nothing.
            let mut retext = tx.prepare_cached(
                "UPDATE messages SET title = ?2, body = ?3 WHERE id = ?1 AND (title <> ?2 OR body <> ?3)",
            )?;
            for m in page {
                let id = m.id.get();
                if insert.execute(params![id, m.title, m.body, m.created_ms, m.sent_ms, m.read_on_server, m.ack_required, m.acked_ms])? == 1 {
                    fresh.push(m.id);
                } else {
                    refresh.execute(params![id, m.created_ms, m.sent_ms, m.read_on_server, m.ack_required, m.acked_ms])?;
                    retext.execute(params![id, m.title, m.body])?;
                }
                replace_files(tx, m.id, &m.files)?;
                if !m.delivered_on_server {
                    queue_delivered(tx, m.id)?;
                }
            }
            Ok(fresh)
        })
    }

    /// Stores a message carried by a push; returns whether it is new and the unread count.
    pub fn store_pushed(&self, message: &NewMessage) -> Result<(bool, u32)> {
        self.db.write(|tx| {
            let inserted = tx.execute(
                "INSERT INTO messages (id, title, body, created_ms, sent_ms, is_read, from_sync, ack_required)
                 VALUES (?1, ?2, ?3, ?4, NULL, 0, 0, ?5) ON CONFLICT (id) DO NOTHING",
                params![
                    message.id.get(),
                    message.title,
                    message.body,
                    message.created_ms,
                    message.ack_required
                ],
            )? == 1;
            if inserted {
                queue_delivered(tx, message.id)?;
            }
            Ok((inserted, unread_count(tx)?))
        })
    }

    /// The newest `limit` messages with an id below `before` (all, if `before` is `None`).
    pub fn messages(&self, limit: u32, before: Option<MessageId>) -> Result<Vec<Message>> {
        let before = before.map_or(i64::MAX, MessageId::get);
        self.db.read(|c| {
            let mut statement = c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM messages WHERE id < ?1 ORDER BY id DESC LIMIT ?2"
            ))?;
            let rows = statement.query_map(params![before, limit], message_from_row)?;
            with_files(c, rows.collect::<Result<_, _>>()?)
        })
    }

    /// The newest `limit` unread messages with an id below `before`, by the partial index
    /// `unread_count()` counts.
    pub fn unread(&self, limit: u32, before: Option<MessageId>) -> Result<Vec<Message>> {
        let before = before.map_or(i64::MAX, MessageId::get);
        self.db.read(|c| {
            let mut statement = c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM messages INDEXED BY messages_unread
                 WHERE is_read = 0 AND id < ?1 ORDER BY id DESC LIMIT ?2"
            ))?;
            let rows = statement.query_map(params![before, limit], message_from_row)?;
            with_files(c, rows.collect::<Result<_, _>>()?)
        })
    }

    /// One message.
    pub fn message(&self, id: MessageId) -> Result<Option<Message>> {
        self.db.read(|c| find(c, id))
    }

    /// How many cached messages are unread.
    pub fn unread_count(&self) -> Result<u32> {
        self.db.read(unread_count)
    }

    /// Messages whose title or text contain every word of `text` (prefixes match too), newest first.
    pub fn search(&self, text: &str, limit: u32) -> Result<Vec<Message>> {
        let Some(query) = fts_query(text) else {
            return Ok(Vec::new());
        };
        self.db.read(|c| {
            let mut statement = c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM messages WHERE id IN (
                     SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?1 ORDER BY rowid DESC LIMIT ?2)
                 ORDER BY id DESC"
            ))?;
            let rows = statement.query_map(params![query, limit], message_from_row)?;
            with_files(c, rows.collect::<Result<_, _>>()?)
        })
    }

    /// Marks a message read and queues the report; returns false if it was read already.
    pub fn mark_read(&self, id: MessageId) -> Result<bool> {
        self.db.write(|tx| {
            if find(tx, id)?.is_none() {
                return Err(Error::MessageNotFound(id.get()));
            }
            if tx.execute(
                "UPDATE messages SET is_read = 1 WHERE id = ?1 AND is_read = 0",
                [id.get()],
            )? == 0
            {
                return Ok(false);
            }
            // Read implies delivered on the server: one report is enough.
            tx.execute(
                "DELETE FROM outbox WHERE message_id = ?1 AND report = 'delivered'",
                [id.get()],
            )?;
            tx.execute(
                "INSERT OR IGNORE INTO outbox (message_id, report) VALUES (?1, 'read')",
                [id.get()],
            )?;
            Ok(true)
        })
    }

    /// Marks every unread message read and queues a report for each, in one transaction;
    /// returns how many it marked.
    pub fn mark_all_read(&self) -> Result<u32> {
        self.db.write(|tx| {
            // Read implies delivered on the server: one report each is enough.
            tx.execute(
                "DELETE FROM outbox WHERE report = 'delivered'
                   AND message_id IN (SELECT id FROM messages WHERE is_read = 0)",
                [],
            )?;
            tx.execute(
                "INSERT OR IGNORE INTO outbox (message_id, report)
                 SELECT id, 'read' FROM messages WHERE is_read = 0",
                [],
            )?;
            let marked = tx.execute("UPDATE messages SET is_read = 1 WHERE is_read = 0", [])?;
            Ok(u32::try_from(marked).unwrap_or(u32::MAX))
        })
    }

    /// Records the employee's acknowledgment ("Ознакомлен(а)") at `now_ms`, which reads the
    /// message too, and queues the report; returns false if it was acknowledged already.
    pub fn acknowledge(&self, id: MessageId, now_ms: i64) -> Result<bool> {
        self.db.write(|tx| {
            let Some(message) = find(tx, id)? else {
                return Err(Error::MessageNotFound(id.get()));
            };
            if !message.ack_required {
                return Err(Error::InvalidInput(crate::lang::say(
                    "Это сообщение не требует подтверждения ознакомления",
                    "This message does not ask to be acknowledged",
                )));
            }
            if message.acked_at.is_some() {
                return Ok(false);
            }
            tx.execute(
                "UPDATE messages SET acked_ms = ?2, is_read = 1 WHERE id = ?1",
                params![id.get(), now_ms],
            )?;
            // Acknowledged implies read and delivered on the server: one report is enough.
            tx.execute(
                "DELETE FROM outbox WHERE message_id = ?1 AND report IN ('delivered', 'read')",
                [id.get()],
            )?;
            tx.execute(
                "INSERT OR IGNORE INTO outbox (message_id, report) VALUES (?1, 'acknowledged')",
                [id.get()],
            )?;
            Ok(true)
        })
    }

    /// Cached messages that ask to be acknowledged and are not, newest first.
    pub fn awaiting_ack(&self, limit: u32) -> Result<Vec<Message>> {
        self.db.read(|c| {
            let mut statement = c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM messages WHERE ack_required = 1 AND acked_ms IS NULL
                 ORDER BY id DESC LIMIT ?1"
            ))?;
            let rows = statement.query_map([limit], message_from_row)?;
            with_files(c, rows.collect::<Result<_, _>>()?)
        })
    }

    /// Reports waiting for the network, oldest message first.
    pub fn pending_reports(&self) -> Result<Vec<(MessageId, Report)>> {
        self.db.read(|c| {
            let mut statement =
                c.prepare_cached("SELECT message_id, report FROM outbox ORDER BY message_id")?;
            let rows =
                statement.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
            let mut reports = Vec::new();
            for row in rows {
                let (id, report) = row?;
                let report = Report::from_wire(&report)
                    .ok_or_else(|| Error::Protocol(format!("bad report {report}")))?;
                reports.push((MessageId::new(id)?, report));
            }
            Ok(reports)
        })
    }

    /// Deletes messages the partner recalled, with their waiting reports; returns those that
    /// were cached. A recalled message that comes back later (a push that was on its way)
    /// is deleted again by the next sync.
    pub fn remove_recalled(&self, ids: &[MessageId]) -> Result<Vec<MessageId>> {
        self.db.write(|tx| {
            let mut outbox = tx.prepare_cached("DELETE FROM outbox WHERE message_id = ?1")?;
            let mut message = tx.prepare_cached("DELETE FROM messages WHERE id = ?1")?;
            let mut removed = Vec::new();
            for id in ids {
                outbox.execute([id.get()])?;
                if message.execute([id.get()])? == 1 {
                    removed.push(*id);
                }
            }
            Ok(removed)
        })
    }

    /// Forgets reports the server has accepted (or refused for good).
    pub fn remove_reports(&self, report: Report, ids: &[MessageId]) -> Result<()> {
        self.db.write(|tx| {
            let mut statement =
                tx.prepare_cached("DELETE FROM outbox WHERE message_id = ?1 AND report = ?2")?;
            for id in ids {
                statement.execute(params![id.get(), report.as_wire()])?;
            }
            Ok(())
        })
    }
}

fn queue_delivered(conn: &Connection, id: MessageId) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO outbox (message_id, report)
         SELECT ?1, 'delivered' WHERE NOT EXISTS (SELECT 1 FROM messages WHERE id = ?1 AND is_read = 1)",
    )?
    .execute([id.get()])?;
    Ok(())
}

fn find(conn: &Connection, id: MessageId) -> Result<Option<Message>> {
    let found = conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM messages WHERE id = ?1"))?
        .query_row([id.get()], message_from_row)
        .optional()?;
    Ok(with_files(conn, found.into_iter().collect())?.pop())
}

fn unread_count(conn: &Connection) -> Result<u32> {
    Ok(
        conn.query_row("SELECT count(*) FROM messages WHERE is_read = 0", [], |r| {
            r.get(0)
        })?,
    )
}

fn message_from_row(row: &Row<'_>) -> rusqlite::Result<Message> {
    let id: i64 = row.get(0)?;
    Ok(Message {
        id: MessageId::new(id).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?,
        title: row.get(1)?,
        text: row.get(2)?,
        created_at: time_from_ms(row.get(3)?),
        sent_at: row.get::<_, Option<i64>>(4)?.map(time_from_ms),
        is_read: row.get(5)?,
        ack_required: row.get(6)?,
        acked_at: row.get::<_, Option<i64>>(7)?.map(time_from_ms),
        files: Vec::new(),
    })
}

fn time_from_ms(ms: i64) -> SystemTime {
    if ms >= 0 {
        UNIX_EPOCH + Duration::from_millis(ms.unsigned_abs())
    } else {
        UNIX_EPOCH - Duration::from_millis(ms.unsigned_abs())
    }
}

/// Turns what the user typed into an FTS5 query: every word must match as a prefix.
/// Quoting each word keeps FTS5 syntax (`AND`, `*`, `"`, `:`) out of the user's hands;
/// `ё` is folded to `е` as in the index (see `schema.rs`).
fn fts_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(16)
        .map(|w| format!("\"{}\"*", w.replace('ё', "е").replace('Ё', "Е")))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// Shared with the other tests of the cache.
#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(in crate::cache) fn cache() -> (tempfile::TempDir, Cache) {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        (dir, cache)
    }

    pub(in crate::cache) fn message(id: i64, title: &str, body: &str) -> NewMessage {
        NewMessage {
            id: MessageId::new(id).unwrap(),
            title: title.into(),
            body: body.into(),
            created_ms: 1_411_329_600_000 + id,
            sent_ms: None,
            delivered_on_server: false,
            read_on_server: false,
            ack_required: false,
            acked_ms: None,
            files: Vec::new(),
        }
    }

    pub(in crate::cache) fn id(raw: i64) -> MessageId {
        MessageId::new(raw).unwrap()
    }

    #[test]
    fn pages_are_newest_first_and_continue_below_before() {
        let (_dir, cache) = cache();
        let page: Vec<_> = (1..=5).map(|i| message(i, "Т", "текст")).collect();
        assert_eq!(cache.store_synced(&page).unwrap().len(), 5);
        let ids = |v: Vec<Message>| v.into_iter().map(|m| m.id.get()).collect::<Vec<_>>();
        assert_eq!(ids(cache.messages(2, None).unwrap()), [5, 4]);
        assert_eq!(ids(cache.messages(2, Some(id(4))).unwrap()), [3, 2]);
        assert_eq!(ids(cache.messages(10, Some(id(2))).unwrap()), [1]);
    }

    #[test]
    fn a_message_synced_after_its_push_is_not_new_again() {
        let (_dir, cache) = cache();
        let (is_new, unread) = cache
            .store_pushed(&message(9, "Пуш", "из уведомления"))
            .unwrap();
        assert!(is_new);
        assert_eq!(unread, 1);
        assert!(
            !cache
                .store_pushed(&message(9, "Пуш", "из уведомления"))
                .unwrap()
                .0
        );
        let fresh = cache
            .store_synced(&[message(9, "Пуш", "полный текст"), message(10, "Б", "в")])
            .unwrap();
        assert_eq!(fresh, [id(10)]);
        assert_eq!(cache.message(id(9)).unwrap().unwrap().text, "полный текст");
    }

    #[test]
    fn search_matches_russian_words_by_prefix_and_ignores_case_and_yo() {
        let (_dir, cache) = cache();
        cache
            .store_synced(&[
                message(1, "Собрание", "Общее собрание в пятницу"),
                message(2, "Отпуск", "Ёлка в офисе"),
                message(3, "Зарплата", "Перечислена зарплата"),
            ])
            .unwrap();
        let ids = |q: &str| {
            cache
                .search(q, 10)
                .unwrap()
                .into_iter()
                .map(|m| m.id.get())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids("собран"), [1]);
        assert_eq!(ids("ЗАРПЛАТА"), [3]);
        assert_eq!(ids("елка"), [2]);
        assert_eq!(ids("ёлка"), [2]);
        assert_eq!(ids("общее пятницу"), [1]);
        assert!(ids("общее зарплата").is_empty());
        assert!(
            ids("\" OR * :").is_empty(),
            "FTS syntax in the input is not an error"
        );
    }

    #[test]
    fn mark_read_replaces_the_delivered_report_and_counts_down_unread() {
        let (_dir, cache) = cache();
        cache
            .store_synced(&[message(1, "А", "б"), message(2, "В", "г")])
            .unwrap();
        assert_eq!(cache.unread_count().unwrap(), 2);
        assert!(cache.mark_read(id(1)).unwrap());
        assert!(!cache.mark_read(id(1)).unwrap());
        assert_eq!(cache.unread_count().unwrap(), 1);
        let reports = cache.pending_reports().unwrap();
        assert_eq!(reports, [(id(1), Report::Read), (id(2), Report::Delivered)]);
        cache.remove_reports(Report::Read, &[id(1)]).unwrap();
        assert_eq!(
            cache.pending_reports().unwrap(),
            [(id(2), Report::Delivered)]
        );
        assert!(matches!(
            cache.mark_read(id(3)),
            Err(Error::MessageNotFound(3))
        ));
    }

    #[test]
    fn mark_all_read_reads_every_unread_message_once_with_one_report_each() {
        let (_dir, cache) = cache();
        cache
            .store_synced(&[
                message(1, "А", "б"),
                message(2, "В", "г"),
                message(3, "Д", "е"),
            ])
            .unwrap();
        assert!(cache.mark_read(id(2)).unwrap());
        assert_eq!(cache.mark_all_read().unwrap(), 2);
        assert_eq!(cache.unread_count().unwrap(), 0);
        assert!(cache.messages(10, None).unwrap().iter().all(|m| m.is_read));
        // A read report each, in place of the delivered ones; the one read before kept once.
        assert_eq!(
            cache.pending_reports().unwrap(),
            [
                (id(1), Report::Read),
                (id(2), Report::Read),
                (id(3), Report::Read)
            ]
        );
        assert_eq!(cache.mark_all_read().unwrap(), 0, "nothing left to read");
    }

    #[test]
    fn the_unread_are_listed_newest_first_a_page_at_a_time() {
        let (_dir, cache) = cache();
        let page: Vec<NewMessage> = (1..=6).map(|n| message(n, "Заголовок", "текст")).collect();
        cache.store_synced(&page).unwrap();
        for read in [2, 5] {
            assert!(cache.mark_read(id(read)).unwrap());
        }
        let ids = |list: Vec<Message>| list.iter().map(|m| m.id.get()).collect::<Vec<_>>();
        assert_eq!(ids(cache.unread(3, None).unwrap()), [6, 4, 3]);
        assert_eq!(ids(cache.unread(3, Some(id(3))).unwrap()), [1]);
        assert!(cache.unread(3, None).unwrap().iter().all(|m| !m.is_read));
        cache.mark_all_read().unwrap();
        assert!(cache.unread(10, None).unwrap().is_empty());
    }

    #[test]
    fn acknowledging_reads_the_message_and_replaces_its_other_reports() {
        let (_dir, cache) = cache();
        let mut order = message(1, "Приказ № 7", "Ознакомьтесь с графиком");
        order.ack_required = true;
        cache
            .store_synced(&[order.clone(), message(2, "В", "г")])
            .unwrap();
        assert_eq!(cache.awaiting_ack(10).unwrap().len(), 1);
        assert!(cache.acknowledge(id(1), 5_000).unwrap());
        assert!(!cache.acknowledge(id(1), 9_000).unwrap(), "once");
        let stored = cache.message(id(1)).unwrap().unwrap();
        assert!(stored.is_read);
        assert_eq!(stored.acked_at, Some(time_from_ms(5_000)));
        assert!(cache.awaiting_ack(10).unwrap().is_empty());
        assert_eq!(
            cache.pending_reports().unwrap(),
            [(id(1), Report::Acknowledged), (id(2), Report::Delivered)]
        );
        // A sync before the report went keeps the time it was pressed.
        cache.store_synced(&[order]).unwrap();
        let stored = cache.message(id(1)).unwrap().unwrap();
        assert_eq!(stored.acked_at, Some(time_from_ms(5_000)));
        assert!(matches!(
            cache.acknowledge(id(2), 5_000),
            Err(Error::InvalidInput(_))
        ));
        assert!(matches!(
            cache.acknowledge(id(3), 5_000),
            Err(Error::MessageNotFound(3))
        ));
    }

    #[test]
    fn an_acknowledgment_the_server_has_is_not_reported_again() {
        let (_dir, cache) = cache();
        let mut elsewhere = message(1, "Приказ", "текст");
        elsewhere.ack_required = true;
        elsewhere.acked_ms = Some(7_000);
        elsewhere.delivered_on_server = true;
        elsewhere.read_on_server = true;
        cache.store_synced(&[elsewhere]).unwrap();
        assert!(cache.awaiting_ack(10).unwrap().is_empty());
        assert!(!cache.acknowledge(id(1), 9_000).unwrap());
        assert!(cache.pending_reports().unwrap().is_empty());
    }

    #[test]
    fn messages_the_server_saw_read_are_read_and_need_no_report() {
        let (_dir, cache) = cache();
        let mut seen = message(1, "А", "б");
        seen.delivered_on_server = true;
        seen.read_on_server = true;
        cache.store_synced(&[seen]).unwrap();
        assert!(cache.message(id(1)).unwrap().unwrap().is_read);
        assert!(cache.pending_reports().unwrap().is_empty());
    }
}
