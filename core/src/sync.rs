//! `sync()`: fetch what is new since the cursor into the cache, delete what the organisation
//! recalled, then flush the queued reports.
//!
//! The server, not the pushes, is the source of truth: FCM drops everything pending for a
//! device past 100 undelivered messages, so whatever the pushes missed arrives here.

use std::collections::BTreeMap;

use crate::api::{MAX_PAGE, Page, Report, WireFile, WireMessage};
use crate::cache::{NewFile, NewMessage, Session};
use crate::client::{Client, credentials, now_ms};
use crate::domain::{FileId, MessageId, StaffState};
use crate::error::{Error, Result};
use crate::model::SyncReport;
use crate::push::parse_date_ms;

/// Most ids in one `messagestatus` request.
const REPORT_BATCH: usize = 500;

/// How far behind the newest message the cursor stays. Ids come from a sequence, and on
/// PostgreSQL a transaction that took id 7 may commit after the one that took id 8: a sync in
/// between sees 8 but not yet 7. With the cursor at 8, `sinceid` would never return 7. So the
/// cursor only passes messages created this long before the newest one seen; the last minute
/// is fetched again by the next sync (already cached: nothing is announced twice), and a
/// message whose commit lagged by less than this is not lost.
const SETTLE_MS: i64 = 60_000;

impl Client {
    /// Fetches new messages, sends queued reports and the push token if unsent.
    pub async fn sync(&self) -> Result<SyncReport> {
        let _one_at_a_time = self.sync_lock.lock().await;
        let session = self.session()?;
        let result = sync_as(self, &session).await;
        self.check_expiry(&session, result)
    }
}

async fn sync_as(client: &Client, session: &Session) -> Result<SyncReport> {
    let fresh = fetch_new(client, session).await?;
    let recalled = match remove_recalled(client, session).await {
        Ok(removed) => removed,
        Err(error) => keep_going_unless_unauthorized(error, "recalled").map(|()| Vec::new())?,
    };
    let profile_changed = match refresh_profile(client, session).await {
        Ok(changed) => changed,
        Err(error) => keep_going_unless_unauthorized(error, "profile").map(|()| false)?,
    };
    if let Err(error) = client.send_unsent_push_token(session).await {
        keep_going_unless_unauthorized(error, "push token")?;
    }
    let reports_sent = match flush_reports(client, session).await {
        Ok(sent) => sent,
        Err(error) => keep_going_unless_unauthorized(error, "reports").map(|()| 0)?,
    };
    let mut new_messages = Vec::with_capacity(fresh.len());
    for id in fresh.iter().rev() {
        new_messages.extend(client.cache.message(*id)?);
    }
    new_messages.retain(|m| !recalled.contains(&m.id));
    new_messages.sort_by_key(|m| std::cmp::Reverse(m.id));
    client.notify_new(new_messages.clone());
    client.notify_recalled(recalled.clone());
    let reports_pending = u32::try_from(client.cache.pending_reports()?.len()).unwrap_or(u32::MAX);
    Ok(SyncReport {
        new_messages,
        recalled,
        reports_sent,
        reports_pending,
        profile_changed,
    })
}

/// The profile the login stored goes stale when the company renames the employee, gives them
/// a new phone, switches them off the mailing or renames itself: each sync takes the server's. A server without `getprofile`
/// (older) answers 404, which the sync passes over like any failure but an expired session.
async fn refresh_profile(client: &Client, session: &Session) -> Result<bool> {
    let now = client.api.get_profile(&credentials(session)).await?;
    client.cache.refresh_profile(
        &session.token,
        &Session {
            staff_name: now.staffname,
            company_name: now.firstname,
            company_full: now.companyname,
            phone: now.phone,
            state: StaffState::from_server(now.state.as_deref()),
            ..session.clone()
        },
    )
}

/// The messages fetched, the reports sent: a failure of the latter must not hide the former.
fn keep_going_unless_unauthorized(error: Error, what: &str) -> Result<()> {
    match error {
        Error::Unauthorized(_) => Err(error),
        other => {
            tracing::warn!(error = %other, what, "left for the next sync");
            Ok(())
        }
    }
}

/// Pages down from the newest message to the cursor, storing each page as it comes; moves
/// the cursor only when every page arrived, so an interrupted sync resumes where it was.
///
/// Paging stops at an empty page rather than a short one: the server may cap `count` below
/// what we ask (its `getmessage_max_count`), and a short page must not end the sync early.
///
/// A message first stored from its push (which carries no files) gets its files from the next
/// sync: the cursor only ever passes messages a sync stored, so that one is above it.
async fn fetch_new(client: &Client, session: &Session) -> Result<Vec<MessageId>> {
    let since = client.cache.sync_cursor()?;
    let creds = credentials(session);
    let mut before: Option<MessageId> = None;
    let mut seen: Vec<(MessageId, i64)> = Vec::new();
    let mut fresh = Vec::new();
    loop {
        let page = Page {
            since,
            before,
            count: MAX_PAGE,
        };
        let wire = client.api.get_messages(&creds, page).await?;
        let mut parsed = wire.iter().map(new_message).collect::<Result<Vec<_>>>()?;
        // Guards against a server that ignores `sinceid` or `beforeid`: no endless loop.
        parsed.retain(|m| since.is_none_or(|s| m.id > s) && before.is_none_or(|b| m.id < b));
        let Some(oldest) = parsed.iter().map(|m| m.id).min() else {
            break;
        };
        seen.extend(parsed.iter().map(|m| (m.id, m.created_ms)));
        fresh.extend(client.cache.store_synced(&parsed)?);
        before = Some(oldest);
    }
    if let Some(settled) = settled_cursor(&seen) {
        client.cache.advance_sync_cursor(settled)?;
    }
    Ok(fresh)
}

/// Deletes the messages the server lists as recalled; returns those that were cached. A server
/// from before recalls answers 404 for the method: nothing was recalled there.
async fn remove_recalled(client: &Client, session: &Session) -> Result<Vec<MessageId>> {
    match client.api.get_recalled(&credentials(session)).await {
        Ok(ids) => client.cache.remove_recalled(&ids),
        Err(Error::Rejected { status: 404, .. }) => Ok(Vec::new()),
        Err(error) => Err(error),
    }
}

/// The greatest id of the messages (id, created ms) created `SETTLE_MS` or more before the
/// newest of them.
fn settled_cursor(seen: &[(MessageId, i64)]) -> Option<MessageId> {
    let newest_ms = seen.iter().map(|&(_, created)| created).max()?;
    seen.iter()
        .filter(|&&(_, created)| created <= newest_ms.saturating_sub(SETTLE_MS))
        .map(|&(id, _)| id)
        .max()
}

fn new_message(wire: &WireMessage) -> Result<NewMessage> {
    let status = wire.status.as_deref().unwrap_or_default();
    let acked_ms = wire.ack_date.as_deref().and_then(parse_date_ms);
    let read_on_server = status == "read" || wire.read_date.is_some() || acked_ms.is_some();
    Ok(NewMessage {
        id: MessageId::parse(&wire.message_id)
            .map_err(|_| Error::Protocol("bad messageId".into()))?,
        title: wire.title.clone(),
        body: wire.message.clone(),
        created_ms: parse_date_ms(&wire.create_date).unwrap_or_else(now_ms),
        sent_ms: wire.send_date.as_deref().and_then(parse_date_ms),
        delivered_on_server: read_on_server || status == "delivered",
        read_on_server,
        ack_required: wire.require_ack,
        acked_ms,
        files: wire.files.iter().map(new_file).collect::<Result<_>>()?,
    })
}

fn new_file(wire: &WireFile) -> Result<NewFile> {
    let id = FileId::parse(&wire.fileid).map_err(|_| Error::Protocol("bad fileid".into()))?;
    Ok(NewFile {
        id,
        name: file_name(&wire.name, id),
        size: wire.size,
        content_type: wire
            .contenttype
            .clone()
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| "application/octet-stream".into()),
    })
}

/// The name to show a file by and to save it under in the app's folder: what follows the last
/// `/` or `\`, without control characters, so that no name reaches outside that folder; a name
/// left empty or made of dots only becomes `file-<id>`.
fn file_name(raw: &str, id: FileId) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let name: String = last.chars().filter(|c| !c.is_control()).collect();
    let name = name.trim();
    if name.chars().all(|c| c == '.') {
        format!("file-{id}")
    } else {
        name.to_owned()
    }
}

/// Sends the queued delivery and read reports; returns how many the server took.
///
/// A batch the server refuses for good (an unknown message, 404) is retried one id at a
/// time so that one bad id cannot hold the others back; only ids refused alone are dropped.
pub(crate) async fn flush_reports(client: &Client, session: &Session) -> Result<u32> {
    let creds = credentials(session);
    let mut by_report: BTreeMap<&'static str, (Report, Vec<MessageId>)> = BTreeMap::new();
    for (id, report) in client.cache.pending_reports()? {
        by_report
            .entry(report.as_wire())
            .or_insert((report, Vec::new()))
            .1
            .push(id);
    }
    let mut sent = 0;
    for (report, ids) in by_report.into_values() {
        for batch in ids.chunks(REPORT_BATCH) {
            match client.api.message_status(&creds, batch, report).await {
                Ok(_) => {
                    client.cache.remove_reports(report, batch)?;
                    sent += batch.len();
                }
                Err(Error::Rejected { .. }) => {
                    for id in batch {
                        match client
                            .api
                            .message_status(&creds, std::slice::from_ref(id), report)
                            .await
                        {
                            Ok(_) => sent += 1,
                            Err(Error::Rejected { status, .. }) => {
                                tracing::warn!(status, %id, "report dropped")
                            }
                            Err(other) => return Err(other),
                        }
                        client
                            .cache
                            .remove_reports(report, std::slice::from_ref(id))?;
                    }
                }
                Err(other) => return Err(other),
            }
        }
    }
    Ok(u32::try_from(sent).unwrap_or(u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: i64) -> MessageId {
        MessageId::new(n).unwrap()
    }

    #[test]
    fn the_cursor_stays_a_minute_behind_the_newest_message() {
        assert_eq!(settled_cursor(&[]), None);
        // All within a minute of the newest: the cursor does not move.
        assert_eq!(settled_cursor(&[(id(8), 100_000), (id(9), 150_000)]), None);
        // 5 and 6 are old enough; 9 is the newest, 8 too recent, and id order is not time order.
        let seen = [
            (id(9), 200_000),
            (id(6), 120_000),
            (id(8), 150_000),
            (id(5), 100_000),
        ];
        assert_eq!(settled_cursor(&seen), Some(id(6)));
    }

    #[test]
    fn a_file_name_never_reaches_outside_the_apps_folder() {
        let file = FileId::new(17).unwrap();
        for (raw, name) in [
            ("Расчётный листок.pdf", "Расчётный листок.pdf"),
            ("../../shared_prefs/session.xml", "session.xml"),
            ("C:\\Users\\hr\\Приказ.docx", "Приказ.docx"),
            ("стр\n1.txt", "стр1.txt"),
            ("..", "file-17"),
            ("docs/", "file-17"),
            ("  ", "file-17"),
        ] {
            assert_eq!(file_name(raw, file), name, "{raw:?}");
        }
    }

    #[test]
    fn a_file_without_a_type_is_plain_bytes_and_a_bad_fileid_is_refused() {
        let wire: WireMessage = serde_json::from_str(
            r#"{"messageId":"12","title":"Т","message":"Текст","createdate":"2024-01-01T00:00:00Z",
                "files":[{"fileid":"17","name":"a.bin","size":3}]}"#,
        )
        .unwrap();
        let message = new_message(&wire).unwrap();
        assert_eq!(
            message.files,
            [NewFile {
                id: FileId::new(17).unwrap(),
                name: "a.bin".into(),
                size: 3,
                content_type: "application/octet-stream".into(),
            }]
        );
        let bad: WireMessage = serde_json::from_str(
            r#"{"messageId":"12","title":"Т","message":"Текст","createdate":"2024-01-01T00:00:00Z",
                "files":[{"fileid":"x","name":"a.bin","size":3}]}"#,
        )
        .unwrap();
        assert!(matches!(new_message(&bad), Err(Error::Protocol(_))));
    }
}
