//! The cabinet's view of a partner's messages: filtered, searched, sorted and paged by keyset,
//! so page 1000 costs what page 1 does; and the dashboard's figures.

use super::{MessageStatus, Pool, Store, with_pool};
use crate::domain::{Millis, StaffId};
use crate::error::Result;

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

/// A page of the message list.
#[derive(Debug, Clone)]
pub struct MessageListQuery {
    pub partner_id: i64,
    pub staff_id: Option<StaffId>,
    pub created_from: Option<Millis>,
    /// Exclusive upper bound.
    pub created_before: Option<Millis>,
    pub status: Option<MessageStatus>,
    /// Words to find in title or text (each as a prefix); empty means no search.
    pub words: Vec<String>,
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

#[derive(Debug, Clone, Copy, Default, sqlx::FromRow)]
pub struct StaffStats {
    pub total: i64,
    pub active_without_push: i64,
    pub pending: i64,
}

/// SQL text with its bind values: only fixed fragments are ever appended to the text.
struct Sql {
    text: String,
    binds: Vec<CursorValue>,
}

impl Sql {
    fn bind(&mut self, v: CursorValue) -> String {
        self.binds.push(v);
        format!("${}", self.binds.len())
    }
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

fn build_list_sql(q: &MessageListQuery, postgres: bool) -> Sql {
    use CursorValue::{Int, Text};
    // Sorted by employee, the employees must be the outer loop. SQLite keeps the tables of a
    // CROSS JOIN in the written order whatever its statistics say; PostgreSQL plans it freely.
    let from = if q.sort == MessageSort::Employee {
        "FROM staff s CROSS JOIN messages m WHERE m.staff_id = s.id AND m.partner_id = "
    } else {
        "FROM messages m JOIN staff s ON s.id = m.staff_id WHERE m.partner_id = "
    };
    let mut sql = Sql {
        text: format!(
            "SELECT m.id, m.staff_id, s.name AS staff_name, m.title, m.status, m.created_at {from}"
        ),
        binds: Vec::new(),
    };
    // The partner bound on both tables: sorting by employee then walks the partner's
    // employees in name order (index staff_partner_name) instead of sorting every message.
    let p = sql.bind(Int(q.partner_id));
    sql.text.push_str(&format!("{p} AND s.partner_id = {p}"));
    if let Some(staff) = q.staff_id {
        let p = sql.bind(Int(staff.0));
        sql.text.push_str(&format!(" AND m.staff_id = {p}"));
    }
    if let Some(from) = q.created_from {
        let p = sql.bind(Int(from));
        sql.text.push_str(&format!(" AND m.created_at >= {p}"));
    }
    if let Some(before) = q.created_before {
        let p = sql.bind(Int(before));
        sql.text.push_str(&format!(" AND m.created_at < {p}"));
    }
    if let Some(status) = q.status {
        let p = sql.bind(Text(status.as_str().to_owned()));
        sql.text.push_str(&format!(" AND m.status = {p}"));
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
            let expr = q
                .words
                .iter()
                .map(|w| format!("\"{w}\"*"))
                .collect::<Vec<_>>()
                .join(" ");
            let p = sql.bind(Text(expr));
            sql.text.push_str(&format!(
                " AND m.id IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH {p})"
            ));
        }
    }
    let columns = q.sort.columns();
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

/// Binds the values in order onto a query of either driver.
macro_rules! bind_all {
    ($query:expr, $binds:expr) => {{
        let mut query = $query;
        for v in $binds {
            query = match v {
                CursorValue::Int(i) => query.bind(*i),
                CursorValue::Text(t) => query.bind(t.clone()),
            };
        }
        query
    }};
}

impl Store {
    /// One page of the partner's messages; ask for one more row than shown to know if more follow.
    pub async fn list_partner_messages(&self, q: &MessageListQuery) -> Result<Vec<MessageListRow>> {
        let sql = build_list_sql(q, self.is_postgres());
        let text = sqlx::AssertSqlSafe(sql.text);
        Ok(with_pool!(self, p => bind_all!(sqlx::query_as(text), &sql.binds).fetch_all(p).await)?)
    }

    /// Shows how the database runs a list query (for the benchmark script and the tests).
    pub async fn explain_partner_messages(&self, q: &MessageListQuery) -> Result<String> {
        let sql = build_list_sql(q, self.is_postgres());
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

    /// Figures for the dashboard over messages created since `since`; days are counted in the
    /// zone `offset_ms` away from UTC.
    pub async fn message_stats(
        &self,
        partner_id: i64,
        since: Millis,
        offset_ms: i64,
    ) -> Result<MessageStats> {
        let per_day: Vec<(i64, i64)> = with_pool!(self, p => sqlx::query_as(
            "SELECT (created_at + $2) / 86400000 AS day, COUNT(*) AS n FROM messages
             WHERE partner_id = $1 AND created_at >= $3 GROUP BY 1 ORDER BY 1",
        )
        .bind(partner_id)
        .bind(offset_ms)
        .bind(since)
        .fetch_all(p)
        .await)?;
        // Counted by status, which the covering index (partner_id, status, created_at) answers
        // without reading the messages themselves; read implies delivered.
        let by_status: Vec<(String, i64)> = with_pool!(self, p => sqlx::query_as(
            "SELECT status, COUNT(*) FROM messages
             WHERE partner_id = $1 AND created_at >= $2 GROUP BY status",
        )
        .bind(partner_id)
        .bind(since)
        .fetch_all(p)
        .await)?;
        let count = |wanted: &[MessageStatus]| -> i64 {
            by_status
                .iter()
                .filter(|(s, _)| MessageStatus::parse(s).is_some_and(|s| wanted.contains(&s)))
                .map(|(_, n)| n)
                .sum()
        };
        Ok(MessageStats {
            per_day,
            total: by_status.iter().map(|(_, n)| n).sum(),
            delivered: count(&[MessageStatus::Delivered, MessageStatus::Read]),
            read: count(&[MessageStatus::Read]),
        })
    }

    pub async fn staff_stats(&self, partner_id: i64) -> Result<StaffStats> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT COUNT(*) AS total,
               COALESCE(SUM(CASE WHEN state = 'active' AND push_token IS NULL THEN 1 ELSE 0 END), 0) AS active_without_push,
               COALESCE(SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END), 0) AS pending
             FROM staff WHERE partner_id = $1",
        )
        .bind(partner_id)
        .fetch_one(p)
        .await)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            partner_id: 1,
            staff_id: None,
            created_from: None,
            created_before: None,
            status: None,
            words: vec![],
            sort: MessageSort::Title,
            descending: false,
            after: Some(vec![CursorValue::Text("a".into()), CursorValue::Int(5)]),
            limit: 51,
        };
        let sql = build_list_sql(&q, false);
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
