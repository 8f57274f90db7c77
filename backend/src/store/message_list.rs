//! The cabinet's view of a partner's messages: filtered, searched, sorted and paged by keyset,
//! so page 1000 costs what page 1 does; and the dashboard's figures.

use super::acks::awaiting_ack_sql;
use super::{MessageStatus, Pool, Sql, Store, bind_all, with_pool};
use crate::domain::{Millis, StaffId};
use crate::error::Result;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The columns the list can be sorted by. Each sort is a fixed tuple of columns ending in the
/// message id, which makes the order total and the keyset cursor unambiguous.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageSort {
    Created,
    Title,
    Status,
    Employee,
}

impl MessageSort {
    pub const ALL: [MessageSort; 4] = [Self::Employee, Self::Title, Self::Created, Self::Status];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Title => "title",
            Self::Status => "status",
            Self::Employee => "employee",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The ORDER BY columns; each sort has an index that yields rows in this order.
    fn columns(self) -> &'static [&'static str] {
        match self {
            Self::Created => &["m.created_at", "m.id"],
            Self::Title => &["m.title", "m.id"],
            Self::Status => &["m.status", "m.created_at", "m.id"],
            Self::Employee => &["s.name", "s.id", "m.created_at", "m.id"],
        }
    }
}

/// One value of a keyset cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CursorValue {
    Int(i64),
    Text(String),
}

/// Cursor values as `i123` / `t<base64url>` joined by `.`: opaque, URL-safe, and parsed strictly.
pub fn encode_cursor(values: &[CursorValue]) -> String {
    values
        .iter()
        .map(|v| match v {
            CursorValue::Int(i) => format!("i{i}"),
            CursorValue::Text(t) => format!("t{}", URL_SAFE_NO_PAD.encode(t.as_bytes())),
        })
        .collect::<Vec<_>>()
        .join(".")
}

pub fn decode_cursor(raw: &str) -> Option<Vec<CursorValue>> {
    raw.split('.')
        .map(|part| match part.split_at_checked(1)? {
            ("i", n) => n.parse().ok().map(CursorValue::Int),
            ("t", b) => URL_SAFE_NO_PAD
                .decode(b)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .map(CursorValue::Text),
            _ => None,
        })
        .collect()
}

/// A sender as a filter takes one: an actor that sends (`admin…`, `api…`), of a sane length;
/// `None` for anything else.
pub fn sender_filter(raw: &str) -> Option<String> {
    let by = raw.trim();
    let sends = matches!(by, "admin" | "api") || by.starts_with("admin:") || by.starts_with("api:");
    (sends && by.len() <= 200 && !by.chars().any(char::is_control)).then(|| by.to_owned())
}

/// The messages of one send: those stored together (`send_id`), or a message sent alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OneSend {
    Of(i64),
    Alone(i64),
}

/// A page of the message list.
#[derive(Debug, Clone)]
pub struct MessageListQuery {
    pub partner_id: i64,
    pub staff_id: Option<StaffId>,
    /// Only the messages of this send (`Store::send_of`).
    pub send: Option<OneSend>,
    /// Only the messages of this group's members (as they are now).
    pub group_id: Option<i64>,
    pub created_from: Option<Millis>,
    /// Exclusive upper bound.
    pub created_before: Option<Millis>,
    pub status: Option<MessageStatus>,
    /// Only messages that ask to be acknowledged and are not yet (nor recalled).
    pub awaiting_ack: bool,
    /// Words to find in title or text (each as a prefix); empty means no search.
    pub words: Vec<String>,
    /// Only the messages this actor sent (`messages.sent_by`, as the journal names actors): the
    /// list's "sender", and what a sender may recall. The cabinet's senders have an index of
    /// their own (migration 43); an API key's are walked through the list's indexes.
    pub sent_by: Option<String>,
    pub sort: MessageSort,
    pub descending: bool,
    /// The sort key of the last row of the previous page.
    pub after: Option<Vec<CursorValue>>,
    pub limit: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageListRow {
    pub id: i64,
    pub staff_id: i64,
    pub staff_name: String,
    pub title: String,
    pub status: String,
    pub created_at: Millis,
    /// How many files it carries (migration 50): the list marks them, the export names them.
    pub files: i64,
}

/// A row of the list with everything an export of it shows.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageExportRow {
    #[sqlx(flatten)]
    pub row: MessageListRow,
    pub phone: String,
    pub body: String,
    pub source: String,
    /// Who sent it (`messages.sent_by`), as the journal names its actors.
    pub sent_by: Option<String>,
    pub status_reason: Option<String>,
    pub sent_at: Option<Millis>,
    pub delivered_at: Option<Millis>,
    pub read_at: Option<Millis>,
    pub ack_required: bool,
    pub acked_at: Option<Millis>,
    /// The last reminder to acknowledge.
    pub reminded_at: Option<Millis>,
    /// When it went by SMS, not read in time.
    pub sms_at: Option<Millis>,
}

impl MessageExportRow {
    /// The message as the partner's own row has it (`partner_id`: the list's partner).
    pub fn into_message(self, partner_id: i64) -> super::MessageRow {
        super::MessageRow {
            id: self.row.id,
            partner_id,
            staff_id: self.row.staff_id,
            title: self.row.title,
            body: self.body,
            source: self.source,
            status: self.row.status,
            status_reason: self.status_reason,
            created_at: self.row.created_at,
            sent_at: self.sent_at,
            delivered_at: self.delivered_at,
            read_at: self.read_at,
            ack_required: self.ack_required,
            acked_at: self.acked_at,
            sent_by: self.sent_by,
            sms_at: self.sms_at,
            files: self.row.files,
        }
    }
}

impl MessageListRow {
    /// The row's sort key, to continue after it.
    pub fn cursor(&self, sort: MessageSort) -> Vec<CursorValue> {
        use CursorValue::{Int, Text};
        match sort {
            MessageSort::Created => vec![Int(self.created_at), Int(self.id)],
            MessageSort::Title => vec![Text(self.title.clone()), Int(self.id)],
            MessageSort::Status => vec![
                Text(self.status.clone()),
                Int(self.created_at),
                Int(self.id),
            ],
            MessageSort::Employee => vec![
                Text(self.staff_name.clone()),
                Int(self.staff_id),
                Int(self.created_at),
                Int(self.id),
            ],
        }
    }
}

/// Messages per local day and how many of them were delivered and read.
#[derive(Debug, Clone, Default)]
pub struct MessageStats {
    /// (day number since the epoch in the local zone, messages created that day).
    pub per_day: Vec<(i64, i64)>,
    pub total: i64,
    pub delivered: i64,
    pub read: i64,
}

/// How a filtered list is read. An index that yields the sort order is walked until a page of
/// rows passes the filters: fast when many rows pass, a walk through the whole partner when few
/// do (an employee's 20 messages among a million, sorted by title). Then it is faster to read
/// just the matching rows through the filter's index and sort them. No planner can tell the two
/// apart without knowing how many rows match, so the store counts them first (up to a bound).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListPlan {
    /// Walk the sort's index, filter on the way.
    SortFirst,
    /// Read the rows the filters select, then sort them.
    FilterFirst,
}

/// Up to this many matching rows, reading them all and sorting beats walking the sort index.
const FILTER_FIRST_MAX_ROWS: i64 = 10_000;

impl MessageListQuery {
    /// Every message of the partner, in `sort`'s ascending order, `limit` a page; the callers
    /// set the filters they want on it.
    pub fn unfiltered(partner_id: i64, sort: MessageSort, limit: i64) -> Self {
        Self {
            partner_id,
            staff_id: None,
            send: None,
            group_id: None,
            created_from: None,
            created_before: None,
            status: None,
            awaiting_ack: false,
            words: Vec::new(),
            sent_by: None,
            sort,
            descending: false,
            after: None,
            limit,
        }
    }

    pub fn filtered(&self) -> bool {
        self.staff_id.is_some()
            || self.send.is_some()
            || self.group_id.is_some()
            || self.status.is_some()
            || self.awaiting_ack
            || self.created_from.is_some()
            || self.created_before.is_some()
            || !self.words.is_empty()
            || self.sent_by.is_some()
    }

    /// Whether the sort's own index also narrows the rows by every filter given, so walking it
    /// never reads rows that fail the filters in bulk.
    fn sort_index_serves_filters(&self) -> bool {
        let dated = self.created_from.is_some() || self.created_before.is_some();
        // No index has a group: its members' messages are found by employee. Those awaiting
        // acknowledgment have an index of their own, narrower than any sort's.
        if self.group_id.is_some()
            || self.awaiting_ack
            || self.send.is_some()
            || self.sent_by.is_some()
        {
            return false;
        }
        match self.sort {
            // (staff_id, created_at), (partner_id, status, created_at), (partner_id, created_at);
            // words are checked per row on that walk, which goes through everything when they
            // are rare (0.5 s at a million on PostgreSQL): counted first, like other filters.
            MessageSort::Created => self.words.is_empty(),
            MessageSort::Status => self.staff_id.is_none() && self.words.is_empty() && !dated,
            MessageSort::Employee => self.staff_id.is_some() && self.words.is_empty(),
            MessageSort::Title => false,
        }
    }
}

/// A column as the SQL should name it: as itself, or wrapped so that no index can serve it
/// (SQLite's unary `+`, which keeps the column's collation; a no-op operation in PostgreSQL,
/// `+ 0` on the integer columns — the `…id` and `…_at` ones — and `|| ''` on text).
/// Wrapping the sort columns forces a sort of the filtered rows; wrapping a filter's column
/// keeps SQLite from driving the query by that filter's index instead of a better one.
fn col(name: &str, hide: bool, postgres: bool) -> String {
    if !hide {
        name.to_owned()
    } else if !postgres {
        format!("+{name}")
    } else if name.ends_with("id") || name.ends_with("_at") {
        format!("({name} + 0)")
    } else {
        format!("({name} || '')")
    }
}

/// An FTS5 query of every word as a prefix (see `search_words`).
fn fts_match(words: &[String]) -> String {
    words
        .iter()
        .map(|w| format!("\"{w}\"*"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Words become prefix terms: `"слово"*` for FTS5, `слово:*` for PostgreSQL's tsquery. Only
/// letters and digits survive, so user input can never be query syntax.
pub fn search_words(raw: &str) -> Vec<String> {
    raw.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(8)
        .map(|w| w.to_lowercase())
        .collect()
}

/// The columns an export reads beside the list's own.
const EXPORT_COLUMNS: &str = ", s.phone, m.body, m.source, m.sent_by, m.status_reason, m.sent_at, m.delivered_at, m.read_at, m.ack_required, m.acked_at, m.reminded_at, m.sms_at";

fn build_list_sql(q: &MessageListQuery, postgres: bool, plan: ListPlan, export: bool) -> Sql {
    use CursorValue::Int;
    let filter_first = plan == ListPlan::FilterFirst;
    // Sorted by employee, the employees must be the outer loop. SQLite keeps the tables of a
    // CROSS JOIN in the written order whatever its statistics say; PostgreSQL plans it freely.
    let from = if q.sort == MessageSort::Employee && !filter_first {
        "FROM staff s CROSS JOIN messages m WHERE m.staff_id = s.id AND m.partner_id = "
    } else {
        "FROM messages m JOIN staff s ON s.id = m.staff_id WHERE "
    };
    let extra = if export { EXPORT_COLUMNS } else { "" };
    let mut sql = Sql {
        text: format!(
            "SELECT m.id, m.staff_id, s.name AS staff_name, m.title, m.status, m.created_at, m.files{extra} {from}"
        ),
        binds: Vec::new(),
    };
    // Reading filter first, the most selective filter's index drives: the employee's, then the
    // search's, then the partner's (status, dates); the other filters are checked per row.
    // A group is its members: their messages by the employee index, as for one employee.
    let by_staff = q.staff_id.is_some() || q.group_id.is_some();
    // One employee's messages by date: their index (staff_id, created_at) is in the sort's
    // order too, but SQLite, with no statistics, took the partner's (partner_id, created_at)
    // and walked all the partner's messages for the employee's few (0.6 s at 100,000).
    let one_by_date = q.staff_id.is_some() && q.sort == MessageSort::Created;
    let (hide_partner, hide_status, hide_dates) = match (filter_first, by_staff, &q.words) {
        (false, ..) if one_by_date => (true, false, false),
        (false, ..) => (false, false, false),
        (true, true, _) => (true, true, false),
        (true, false, w) if !w.is_empty() || q.send.is_some() => (true, true, true),
        (true, false, _) => (false, false, false),
    };
    let p = sql.bind(Int(q.partner_id));
    if filter_first || q.sort != MessageSort::Employee {
        sql.text.push_str(&format!(
            "{} = {p}",
            col("m.partner_id", hide_partner, postgres)
        ));
    } else {
        sql.text.push_str(&p);
    }
    // The partner bound on both tables: sorting by employee then walks the partner's
    // employees in name order (index staff_partner_name) instead of sorting every message.
    // Found by the search's or the send's index, each message's employee is looked up by ID:
    // seeing that equality, SQLite walked every employee's messages instead (0.14 s for one
    // match at a million). PostgreSQL's statistics see which side is small.
    let by_message = filter_first && !by_staff && (!q.words.is_empty() || q.send.is_some());
    sql.text.push_str(&format!(
        " AND {} = {p}",
        col("s.partner_id", by_message && !postgres, postgres)
    ));
    filters(&mut sql, q, postgres, (hide_status, hide_dates));
    let columns: Vec<String> = q
        .sort
        .columns()
        .iter()
        .map(|c| col(c, filter_first, postgres))
        .collect();
    if let Some(after) = q.after.as_ref().filter(|a| a.len() == columns.len()) {
        let params: Vec<String> = after.iter().map(|v| sql.bind(v.clone())).collect();
        let op = if q.descending { "<" } else { ">" };
        sql.text.push_str(&format!(
            " AND ({}) {op} ({})",
            columns.join(", "),
            params.join(", ")
        ));
    }
    let dir = if q.descending { " DESC" } else { " ASC" };
    let order: Vec<String> = columns.iter().map(|c| format!("{c}{dir}")).collect();
    let p = sql.bind(Int(q.limit));
    sql.text
        .push_str(&format!(" ORDER BY {} LIMIT {p}", order.join(", ")));
    sql
}

/// The filters of a list query, as ` AND …` terms on `messages m`.
fn filters(sql: &mut Sql, q: &MessageListQuery, postgres: bool, hide: (bool, bool)) {
    use CursorValue::{Int, Text};
    let (hide_status, hide_dates) = hide;
    if let Some(staff) = q.staff_id {
        let p = sql.bind(Int(staff.0));
        sql.text.push_str(&format!(" AND m.staff_id = {p}"));
    }
    match q.send {
        Some(OneSend::Of(send)) => {
            let p = sql.bind(Int(send));
            sql.text.push_str(&format!(" AND m.send_id = {p}"));
        }
        Some(OneSend::Alone(id)) => {
            let p = sql.bind(Int(id));
            sql.text.push_str(&format!(" AND m.id = {p}"));
        }
        None => {}
    }
    if let Some(by) = &q.sent_by {
        let p = sql.bind(Text(by.clone()));
        sql.text.push_str(&format!(" AND m.sent_by = {p}"));
        // Written out, so that both planners see the partial index's condition.
        if by == "admin" || by.starts_with("admin:") {
            sql.text.push_str(" AND m.source = 'cabinet'");
        }
    }
    if let Some(group) = q.group_id {
        // Members of another partner's group have none of this partner's messages.
        let p = sql.bind(Int(group));
        sql.text.push_str(&format!(
            " AND m.staff_id IN (SELECT gm.staff_id FROM staff_group_members gm WHERE gm.group_id = {p})"
        ));
    }
    let created = col("m.created_at", hide_dates, postgres);
    if let Some(from) = q.created_from {
        let p = sql.bind(Int(from));
        sql.text.push_str(&format!(" AND {created} >= {p}"));
    }
    if let Some(before) = q.created_before {
        let p = sql.bind(Int(before));
        sql.text.push_str(&format!(" AND {created} < {p}"));
    }
    if let Some(status) = q.status {
        let p = sql.bind(Text(status.as_str().to_owned()));
        let c = col("m.status", hide_status, postgres);
        sql.text.push_str(&format!(" AND {c} = {p}"));
    }
    if q.awaiting_ack {
        sql.text.push_str(if postgres {
            concat!(" AND ", awaiting_ack_sql!(postgres))
        } else {
            concat!(" AND ", awaiting_ack_sql!(sqlite))
        });
    }
    if !q.words.is_empty() {
        if postgres {
            let expr = q
                .words
                .iter()
                .map(|w| format!("{w}:*"))
                .collect::<Vec<_>>()
                .join(" & ");
            let p = sql.bind(Text(expr));
            sql.text
                .push_str(&format!(" AND m.search @@ to_tsquery('simple', {p})"));
        } else {
            let p = sql.bind(Text(fts_match(&q.words)));
            sql.text.push_str(&format!(
                " AND m.id IN (SELECT rowid FROM search.messages_fts WHERE messages_fts MATCH {p})"
            ));
        }
    }
}

/// Counts the rows matching the filters, up to `FILTER_FIRST_MAX_ROWS + 1`.
fn build_probe_sql(q: &MessageListQuery, postgres: bool) -> Sql {
    let mut sql = Sql {
        text: String::new(),
        binds: Vec::new(),
    };
    let p = sql.bind(CursorValue::Int(q.partner_id));
    let by_staff = q.staff_id.is_some() || q.group_id.is_some();
    // A send's messages are found by its index (or the one message by its ID), as the
    // search's are by the search's.
    let narrow = !q.words.is_empty() || q.send.is_some();
    let hide = by_staff || narrow;
    // SQLite reads a list `IN (SELECT … MATCH)` whole before the first row: a common word
    // was a million IDs to count ten thousand (0.29 s). The search's rows in turn stop at
    // the limit.
    let search_first = !postgres && !by_staff && !q.words.is_empty();
    let from = if search_first {
        let words = sql.bind(CursorValue::Text(fts_match(&q.words)));
        format!(
            "search.messages_fts f CROSS JOIN messages m WHERE f.messages_fts MATCH {words}
              AND m.id = f.rowid AND"
        )
    } else {
        "messages m WHERE".to_owned()
    };
    sql.text = format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM {from} {} = {p}",
        col("m.partner_id", hide, postgres)
    );
    let mut rest = q.clone();
    if search_first {
        rest.words.clear();
    }
    filters(&mut sql, &rest, postgres, (hide, !by_staff && narrow));
    let p = sql.bind(CursorValue::Int(FILTER_FIRST_MAX_ROWS + 1));
    sql.text.push_str(&format!(" LIMIT {p}) AS matching"));
    sql
}

impl Store {
    /// One page of the partner's messages; ask for one more row than shown to know if more follow.
    pub async fn list_partner_messages(&self, q: &MessageListQuery) -> Result<Vec<MessageListRow>> {
        let plan = self.list_plan(q).await?;
        self.list_partner_messages_planned(q, plan).await
    }

    /// A list page read the way `plan` says; both plans give the same rows.
    pub async fn list_partner_messages_planned(
        &self,
        q: &MessageListQuery,
        plan: ListPlan,
    ) -> Result<Vec<MessageListRow>> {
        self.read_list(q, plan, false).await
    }

    /// The rows of a list page with their texts, phones and dates, for an export; read in
    /// pages (`limit`, `after`) like the list itself, so an export of any size holds one page.
    pub async fn export_partner_messages(
        &self,
        q: &MessageListQuery,
        plan: ListPlan,
    ) -> Result<Vec<MessageExportRow>> {
        self.read_list(q, plan, true).await
    }

    async fn read_list<R>(
        &self,
        q: &MessageListQuery,
        plan: ListPlan,
        export: bool,
    ) -> Result<Vec<R>>
    where
        R: Send
            + Unpin
            + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
    {
        if !q.words.is_empty() {
            self.search_catch_up().await?;
        }
        let sql = build_list_sql(q, self.is_postgres(), plan, export);
        let text = sqlx::AssertSqlSafe(sql.text);
        Ok(with_pool!(self, p => bind_all!(sqlx::query_as(text), &sql.binds).fetch_all(p).await)?)
    }

    /// Picks how to read a list page (see `ListPlan`); counts the matching rows only when the
    /// sort's index cannot serve the filters.
    pub async fn list_plan(&self, q: &MessageListQuery) -> Result<ListPlan> {
        if !q.filtered() || q.sort_index_serves_filters() {
            return Ok(ListPlan::SortFirst);
        }
        if !q.words.is_empty() {
            self.search_catch_up().await?;
        }
        let sql = build_probe_sql(q, self.is_postgres());
        let text = sqlx::AssertSqlSafe(sql.text);
        let matching: i64 = with_pool!(self, p => bind_all!(sqlx::query_scalar(text), &sql.binds).fetch_one(p).await)?;
        Ok(if matching <= FILTER_FIRST_MAX_ROWS {
            ListPlan::FilterFirst
        } else {
            ListPlan::SortFirst
        })
    }

    /// Shows how the database runs a list query (for the benchmark script and the tests).
    pub async fn explain_partner_messages(
        &self,
        q: &MessageListQuery,
        plan: ListPlan,
    ) -> Result<String> {
        let sql = build_list_sql(q, self.is_postgres(), plan, false);
        let lines: Vec<String> = match &self.pool {
            Pool::Sqlite(p) => {
                let text = sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {}", sql.text));
                let rows: Vec<(i64, i64, i64, String)> =
                    bind_all!(sqlx::query_as(text), &sql.binds)
                        .fetch_all(p)
                        .await?;
                rows.into_iter().map(|r| r.3).collect()
            }
            Pool::Postgres(p) => {
                let text = sqlx::AssertSqlSafe(format!("EXPLAIN {}", sql.text));
                bind_all!(sqlx::query_scalar(text), &sql.binds)
                    .fetch_all(p)
                    .await?
            }
        };
        Ok(lines.join("\n"))
    }

    /// Figures for the dashboard over `days` local days starting at `since` (a local midnight);
    /// days are numbered in the zone `offset_ms` away from UTC.
    ///
    /// Every figure is a count over a range of a covering index: one range per day of
    /// (partner_id, created_at), one per status of (partner_id, status, created_at). Grouping
    /// by a computed day would sort every message of the window instead (0.7–1 s at a million).
    pub async fn message_stats(
        &self,
        partner_id: i64,
        since: Millis,
        days: i64,
        offset_ms: i64,
    ) -> Result<MessageStats> {
        const DAY: i64 = 86_400_000;
        let per_day: Vec<(i64, i64)> = with_pool!(self, p => sqlx::query_as(
            "WITH RECURSIVE days(d) AS (
               SELECT CAST($2 AS BIGINT) UNION ALL SELECT d + 86400000 FROM days WHERE d + 86400000 < $3
             )
             SELECT d, (SELECT COUNT(*) FROM messages m WHERE m.partner_id = $1
                          AND m.created_at >= days.d AND m.created_at < days.d + 86400000)
             FROM days ORDER BY d",
        )
        .bind(partner_id)
        .bind(since)
        .bind(since + days * DAY)
        .fetch_all(p)
        .await)?;
        // Read implies delivered, acknowledged implies read; the IN list makes each status its
        // own index range.
        let by_status: Vec<(String, i64)> = with_pool!(self, p => sqlx::query_as(
            "SELECT status, COUNT(*) FROM messages
             WHERE partner_id = $1 AND status IN ('delivered', 'read', 'acknowledged') AND created_at >= $2
             GROUP BY status",
        )
        .bind(partner_id)
        .bind(since)
        .fetch_all(p)
        .await)?;
        let count = |wanted: MessageStatus| -> i64 {
            by_status
                .iter()
                .filter(|(s, _)| MessageStatus::parse(s) == Some(wanted))
                .map(|(_, n)| n)
                .sum()
        };
        let read = count(MessageStatus::Read) + count(MessageStatus::Acknowledged);
        Ok(MessageStats {
            total: per_day.iter().map(|(_, n)| n).sum(),
            per_day: per_day
                .into_iter()
                .filter(|&(_, n)| n > 0)
                .map(|(d, n)| ((d + offset_ms).div_euclid(DAY), n))
                .collect(),
            delivered: count(MessageStatus::Delivered) + read,
            read,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let c = vec![
            CursorValue::Text("Планерка <b>".into()),
            CursorValue::Int(-5),
            CursorValue::Int(42),
        ];
        let s = encode_cursor(&c);
        assert!(
            s.chars()
                .all(|ch| ch.is_ascii_alphanumeric() || "-_.".contains(ch)),
            "{s}"
        );
        assert_eq!(decode_cursor(&s), Some(c));
        assert_eq!(decode_cursor("x1"), None);
        assert_eq!(decode_cursor("iabc"), None);
    }

    #[test]
    fn search_words_keep_only_letters_and_digits() {
        assert_eq!(
            search_words("Планерка\" OR 1=1 -- *"),
            vec!["планерка", "or", "1", "1"]
        );
        assert!(search_words("  \"*() ").is_empty());
    }

    #[test]
    fn keyset_condition_follows_the_sort_columns() {
        let q = MessageListQuery {
            after: Some(vec![CursorValue::Text("a".into()), CursorValue::Int(5)]),
            ..MessageListQuery::unfiltered(1, MessageSort::Title, 51)
        };
        let sql = build_list_sql(&q, false, ListPlan::SortFirst, false);
        assert!(
            sql.text.contains("AND (m.title, m.id) > ($2, $3)"),
            "{}",
            sql.text
        );
        assert!(
            sql.text
                .ends_with("ORDER BY m.title ASC, m.id ASC LIMIT $4"),
            "{}",
            sql.text
        );
        assert_eq!(sql.binds.len(), 4);
    }
}
