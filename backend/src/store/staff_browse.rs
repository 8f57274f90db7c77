//! The cabinet's employee list, filtered, searched, counted and paged in the database, so a
//! page of a large staff reads a page and a few counts rather than the whole staff (111,000
//! employees: 25 MB held while the page was made).
//!
//! A search matches the name folded (lower case, ё as е), which neither database's `lower()`
//! or `LIKE` gives alike: the server folds each name into `staff.name_key` and the query
//! compares that. A new employee's name is folded as it is added (the app's login, `addstaff`);
//! a renamed one's key is NULL (a trigger clears it on any rename, whatever wrote it), as are
//! those of rows older than the column, until the partner's next search folds it.

use super::{Pool, StaffRow, StaffState, Store, ids_json, with_pool};
use crate::domain::fold;
use crate::error::{Error, Result};

/// What the list is filtered by (all of it: none of them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StaffFilter {
    pub state: Option<StaffState>,
    /// Only those without a push token (no app yet, or it was removed).
    pub without_push: bool,
    /// Only the members of this group of the partner's (another partner's group: nobody).
    pub group: Option<i64>,
}

/// A search of the employee list: every word of it must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StaffSearch {
    /// Parts of the name, folded: each is in the name.
    names: Vec<String>,
    /// Digits (typed with phone punctuation or not): each is in the phone, or is the ID.
    numbers: Vec<String>,
}

/// Digits with phone punctuation only (`+7 900 111-00-03`, `(495)`): a number, not a name.
fn phone_like(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_digit() || "+-() ".contains(c))
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

impl StaffSearch {
    /// The words of what the admin typed, each classified once. A text of only digits and
    /// phone punctuation is one number, spaces and all (`+7 900 111-00-03`); otherwise each
    /// word is a number or a part of the name.
    pub fn parse(text: &str) -> Self {
        let mut search = Self::default();
        if phone_like(text) {
            let number = digits(text);
            if !number.is_empty() {
                search.numbers.push(number);
            }
            return search;
        }
        // No stored name holds a control character (see `StaffName`), and PostgreSQL refuses
        // a NUL in a text: a search leaves them out.
        let text: String = text.chars().filter(|c| !c.is_control()).collect();
        for word in fold(&text).split_whitespace().take(MAX_WORDS) {
            let number = digits(word);
            if phone_like(word) && !number.is_empty() {
                search.numbers.push(number);
            } else {
                search.names.push(word.to_owned());
            }
        }
        search
    }

    /// Nothing to search for: everyone matches.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty() && self.numbers.is_empty()
    }

    /// The IDs the numbers read as (-1, which is no one's, for one too long for an ID).
    fn ids(&self) -> Vec<i64> {
        self.numbers
            .iter()
            .map(|n| n.parse().unwrap_or(-1))
            .collect()
    }
}

/// The partner's employees counted: all, by state, without push (all of them, and the active
/// ones: whom to remind to install the app), and the newest one's ID.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct StaffTally {
    pub total: i64,
    pub active: i64,
    pub disabled: i64,
    pub pending: i64,
    pub without_push: i64,
    pub active_without_push: i64,
    pub newest: i64,
}

impl StaffTally {
    pub fn in_state(&self, state: StaffState) -> i64 {
        match state {
            StaffState::Active => self.active,
            StaffState::Disabled => self.disabled,
            StaffState::Pending => self.pending,
        }
    }
}

const TALLY: &str = "SELECT COUNT(*) AS total,
        CAST(COALESCE(SUM(CASE WHEN state = 'active' THEN 1 ELSE 0 END), 0) AS BIGINT) AS active,
        CAST(COALESCE(SUM(CASE WHEN state = 'disabled' THEN 1 ELSE 0 END), 0) AS BIGINT) AS disabled,
        CAST(COALESCE(SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END), 0) AS BIGINT) AS pending,
        CAST(COALESCE(SUM(CASE WHEN push_token IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS without_push,
        CAST(COALESCE(SUM(CASE WHEN state = 'active' AND push_token IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT)
            AS active_without_push,
        CAST(COALESCE(MAX(id), 0) AS BIGINT) AS newest
     FROM staff WHERE partner_id = $1";

/// The filter's rows `s` of partner `$1`: state `$2`, without push `$3`, in group `$4` (each
/// null or false: not filtered). One text per dialect, for PostgreSQL's typed parameters.
macro_rules! filtered_sql {
    (sqlite, $head:literal, $tail:literal) => {
        concat!(
            $head,
            " FROM staff s WHERE s.partner_id = $1
              AND ($2 IS NULL OR s.state = $2)
              AND ($3 = 0 OR s.push_token IS NULL)
              AND ($4 IS NULL OR EXISTS (SELECT 1 FROM staff_group_members m
                   JOIN staff_groups g ON g.id = m.group_id
                   WHERE m.staff_id = s.id AND m.group_id = $4 AND g.partner_id = $1))",
            $tail
        )
    };
    (postgres, $head:literal, $tail:literal) => {
        concat!(
            $head,
            " FROM staff s WHERE s.partner_id = $1
              AND ($2::text IS NULL OR s.state = $2::text)
              AND (NOT $3::boolean OR s.push_token IS NULL)
              AND ($4::bigint IS NULL OR EXISTS (SELECT 1 FROM staff_group_members m
                   JOIN staff_groups g ON g.id = m.group_id
                   WHERE m.staff_id = s.id AND m.group_id = $4::bigint AND g.partner_id = $1))",
            $tail
        )
    };
}

/// The filter's rows, to which `found_sql` adds a condition for each word of a search.
const FOUND_SQLITE: &str = filtered_sql!(sqlite, "SELECT s.id", "");
const FOUND_PG: &str = filtered_sql!(postgres, "SELECT s.id", "");

/// Most words a search takes (the rest are left out): a person types two or three, and the
/// statement has a condition for each.
const MAX_WORDS: usize = 12;

/// The statement of `staff_ids_found`: a condition for each word, numbered after the filter's
/// four parameters, each name's part (`$5`, …) then each number's digits and ID, pairwise.
/// A name's key not folded yet is NULL and matches no part. One condition a word rather than a
/// list bound as one value: SQLite read a JSON list again for every employee (111,000 in
/// Python's SQLite 3.40, in memory: 106 ms against 43 ms).
fn found_sql(base: &str, search: &StaffSearch, find: &str) -> String {
    let mut sql = base.to_owned();
    let mut n = 4;
    for _ in &search.names {
        n += 1;
        sql.push_str(&format!(" AND COALESCE({find}(s.name_key, ${n}), 0) > 0"));
    }
    for _ in &search.numbers {
        n += 2;
        let (digits, id) = (n - 1, n);
        sql.push_str(&format!(
            " AND ({find}(s.phone, ${digits}) > 0 OR s.id = ${id})"
        ));
    }
    sql.push_str(" ORDER BY s.name, s.id");
    sql
}

/// The folded names of a batch (`$2`: [id, name, key] each) written, each where the name is
/// still the one folded. The `+`s keep SQLite from walking the partner's index for every
/// element: each element finds its row by ID (a batch of 5,000 in a staff of 111,000 took 513 s
/// the other way, 18 ms this way; a test checks the plan).
const FOLD_SQLITE: &str = "UPDATE staff SET name_key = u.value ->> 2 FROM json_each($2) u
     WHERE staff.id = u.value ->> 0 AND +staff.partner_id = $1 AND +staff.name = u.value ->> 1";

/// Names to fold a batch at a time: a search right after a staff of 100,000 was loaded folds
/// them all once, in transactions short enough not to hold the writer long.
const FOLD_BATCH: i64 = 5_000;

const COUNT_SQLITE: &str = filtered_sql!(sqlite, "SELECT COUNT(*)", "");
const COUNT_PG: &str = filtered_sql!(postgres, "SELECT COUNT(*)", "");
const PAGE_SQLITE: &str = filtered_sql!(
    sqlite,
    "SELECT s.id, s.partner_id, s.phone, s.name, s.device, s.push_token, s.push_device, s.state, s.created_at, s.updated_at",
    " ORDER BY s.name, s.id LIMIT $5 OFFSET $6"
);
const PAGE_PG: &str = filtered_sql!(
    postgres,
    "SELECT s.id, s.partner_id, s.phone, s.name, s.device, s.push_token, s.push_device, s.state, s.created_at, s.updated_at",
    " ORDER BY s.name, s.id LIMIT $5 OFFSET $6"
);

/// Binds a filter's values after the partner, in the order the texts number them.
macro_rules! bind_filter {
    ($query:expr, $partner_id:expr, $f:expr) => {
        $query
            .bind($partner_id)
            .bind($f.state.map(StaffState::as_str))
            .bind($f.without_push)
            .bind($f.group)
    };
}

impl Store {
    /// The partner's employees counted (see `StaffTally`), in one pass over them: the
    /// dashboard's tiles, the employee list's chips, the send form's and the message list's
    /// choice between a list and a field.
    pub async fn staff_tally(&self, partner_id: i64) -> Result<StaffTally> {
        Ok(with_pool!(self, p => sqlx::query_as(TALLY).bind(partner_id).fetch_one(p).await)?)
    }

    /// How many of the partner's employees the filter selects.
    pub async fn count_staff_filtered(&self, partner_id: i64, f: &StaffFilter) -> Result<i64> {
        Ok(match &self.pool {
            Pool::Sqlite(p) => {
                bind_filter!(sqlx::query_scalar(COUNT_SQLITE), partner_id, f)
                    .fetch_one(p)
                    .await
            }
            Pool::Postgres(p) => {
                bind_filter!(sqlx::query_scalar(COUNT_PG), partner_id, f)
                    .fetch_one(p)
                    .await
            }
        }?)
    }

    /// `limit` of them after `offset`, in `list_staff`'s order (name, then ID).
    pub async fn staff_filtered(
        &self,
        partner_id: i64,
        f: &StaffFilter,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<StaffRow>> {
        Ok(match &self.pool {
            Pool::Sqlite(p) => {
                bind_filter!(sqlx::query_as(PAGE_SQLITE), partner_id, f)
                    .bind(limit)
                    .bind(offset)
                    .fetch_all(p)
                    .await
            }
            Pool::Postgres(p) => {
                bind_filter!(sqlx::query_as(PAGE_PG), partner_id, f)
                    .bind(limit)
                    .bind(offset)
                    .fetch_all(p)
                    .await
            }
        }?)
    }

    /// The IDs of the partner's employees the filter and the search select, in `list_staff`'s
    /// order (name, then ID): a searched list's matches to count and page, and the employees
    /// "all found" acts on. The names not folded yet are folded first.
    pub async fn staff_ids_found(
        &self,
        partner_id: i64,
        f: &StaffFilter,
        search: &StaffSearch,
    ) -> Result<Vec<i64>> {
        self.fold_staff_names(partner_id).await?;
        let ids = search.ids();
        let sql = match &self.pool {
            Pool::Sqlite(_) => found_sql(FOUND_SQLITE, search, "instr"),
            Pool::Postgres(_) => found_sql(FOUND_PG, search, "strpos"),
        };
        Ok(with_pool!(self, p => {
            let mut q = bind_filter!(sqlx::query_scalar(sqlx::AssertSqlSafe(sql)), partner_id, f);
            for part in &search.names {
                q = q.bind(part);
            }
            for (digits, id) in search.numbers.iter().zip(&ids) {
                q = q.bind(digits).bind(id);
            }
            q.fetch_all(p).await
        })?)
    }

    /// Writes the folded name of each of the partner's employees added or renamed since its
    /// last search; returns how many. A name renamed meanwhile is left for the next search
    /// (the update checks the name it folded is still the name).
    pub async fn fold_staff_names(&self, partner_id: i64) -> Result<u64> {
        let mut folded = 0;
        loop {
            // Read from the readers: nothing is new at most searches, and on SQLite the writer
            // is the one connection every API write queues for.
            let rows: Vec<(i64, String)> = with_pool!(self, p => sqlx::query_as(
                "SELECT id, name FROM staff WHERE partner_id = $1 AND name_key IS NULL LIMIT $2",
            )
            .bind(partner_id)
            .bind(FOLD_BATCH)
            .fetch_all(p)
            .await)?;
            if rows.is_empty() {
                return Ok(folded);
            }
            let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
            let names: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
            let keys: Vec<String> = names.iter().map(|n| fold(n)).collect();
            let n = match &self.writer {
                Pool::Sqlite(p) => {
                    let triples: Vec<(i64, &str, &str)> = rows
                        .iter()
                        .zip(&keys)
                        .map(|((id, name), key)| (*id, name.as_str(), key.as_str()))
                        .collect();
                    let json = serde_json::to_string(&triples)
                        .map_err(|e| Error::Internal(format!("folded names: {e}")))?;
                    sqlx::query(FOLD_SQLITE)
                        .bind(partner_id)
                        .bind(json)
                        .execute(p)
                        .await
                        .map(|r| r.rows_affected())
                }
                Pool::Postgres(p) => sqlx::query(
                    "UPDATE staff s SET name_key = u.key
                         FROM unnest($2::bigint[], $3::text[], $4::text[]) AS u(id, name, key)
                         WHERE s.id = u.id AND s.partner_id = $1 AND s.name = u.name",
                )
                .bind(partner_id)
                .bind(&ids)
                .bind(&names)
                .bind(&keys)
                .execute(p)
                .await
                .map(|r| r.rows_affected()),
            }?;
            folded += n;
            if n == 0 {
                // Every one renamed meanwhile: the next search folds them.
                return Ok(folded);
            }
        }
    }

    /// How many active members each of the partner's groups has (groups with none left out).
    pub async fn active_members_by_group(&self, partner_id: i64) -> Result<Vec<(i64, i64)>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT m.group_id, COUNT(*) FROM staff_group_members m
             JOIN staff_groups g ON g.id = m.group_id
             JOIN staff s ON s.id = m.staff_id
             WHERE g.partner_id = $1 AND s.state = 'active'
             GROUP BY m.group_id",
        )
        .bind(partner_id)
        .fetch_all(p)
        .await)?)
    }

    /// The memberships (group, employee) of these employees in the partner's groups.
    pub async fn group_memberships_of(
        &self,
        partner_id: i64,
        staff_ids: &[i64],
    ) -> Result<Vec<(i64, i64)>> {
        Ok(match &self.pool {
            Pool::Sqlite(p) => {
                sqlx::query_as(
                    "SELECT m.group_id, m.staff_id FROM staff_group_members m
                     JOIN staff_groups g ON g.id = m.group_id
                     WHERE g.partner_id = $1 AND m.staff_id IN (SELECT value FROM json_each($2))",
                )
                .bind(partner_id)
                .bind(ids_json(staff_ids)?)
                .fetch_all(p)
                .await
            }
            Pool::Postgres(p) => {
                sqlx::query_as(
                    "SELECT m.group_id, m.staff_id FROM staff_group_members m
                     JOIN staff_groups g ON g.id = m.group_id
                     WHERE g.partner_id = $1 AND m.staff_id = ANY($2)",
                )
                .bind(partner_id)
                .bind(staff_ids)
                .fetch_all(p)
                .await
            }
        }?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn folding_a_batch_finds_each_employee_by_rowid() {
        let (_dir, _store, p) = crate::store::temp_sqlite().await;
        let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "EXPLAIN QUERY PLAN {FOLD_SQLITE}"
        )))
        .bind(1_i64)
        .bind("[[1, \"Пётр\", \"петр\"]]")
        .fetch_all(&p)
        .await
        .unwrap();
        assert!(
            plan.iter()
                .any(|r| r.3.contains("staff USING INTEGER PRIMARY KEY (rowid=?)")),
            "{plan:?}"
        );
    }

    #[tokio::test]
    async fn names_are_folded_once_and_again_after_a_rename() {
        let (_dir, store, _p) = crate::store::temp_sqlite().await;
        store
            .execute_script(
                "INSERT INTO partners (id, inn, short_name, full_name, password_hash, created_at)
                   VALUES (1, '7707083893', 'В', 'В', '-', 0);
                 INSERT INTO staff (id, partner_id, phone, name, created_at, updated_at)
                   VALUES (5, 1, '+79990000005', 'Семёнов ПЁТР', 0, 0),
                          (6, 1, '+79990000006', 'Иванов Иван', 0, 0);",
            )
            .await
            .unwrap();
        assert_eq!(store.fold_staff_names(1).await.unwrap(), 2);
        assert_eq!(store.fold_staff_names(1).await.unwrap(), 0, "nothing new");
        let search = StaffSearch::parse("петр");
        let found = store
            .staff_ids_found(1, &StaffFilter::default(), &search)
            .await
            .unwrap();
        assert_eq!(found, [5]);
        store
            .execute_script("UPDATE staff SET name = 'Петрова Анна' WHERE id = 6")
            .await
            .unwrap();
        let found = store
            .staff_ids_found(1, &StaffFilter::default(), &search)
            .await
            .unwrap();
        assert_eq!(found, [6, 5], "by name: Петрова, then Семёнов");
        let by_phone = StaffSearch::parse("+7 999 000-00-06");
        let found = store
            .staff_ids_found(1, &StaffFilter::default(), &by_phone)
            .await
            .unwrap();
        assert_eq!(found, [6]);
    }

    #[test]
    fn a_search_reads_numbers_and_parts_of_names_apart() {
        let phone = StaffSearch::parse(" +7 900 111-00-03 ");
        assert_eq!(phone.numbers, ["79001110003"]);
        assert!(phone.names.is_empty());
        let mixed = StaffSearch::parse("Пётр  (495) 007 Иванов-Петров");
        assert_eq!(mixed.names, ["петр", "иванов-петров"]);
        assert_eq!(mixed.numbers, ["495", "007"]);
        assert_eq!(mixed.ids(), [495, 7]);
        assert_eq!(
            StaffSearch::parse("123456789012345678901234").ids(),
            [-1],
            "too long for an ID: a part of a phone only"
        );
        assert!(StaffSearch::parse(" - ( ) ").is_empty());
        assert!(StaffSearch::parse("").is_empty());
        assert_eq!(StaffSearch::parse("\0иван\u{1}").names, ["иван"]);
        assert!(StaffSearch::parse("\0 \u{1}").is_empty());
    }
}
