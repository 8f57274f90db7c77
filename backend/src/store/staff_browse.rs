//! The cabinet's employee list when it is not searched: filtered, counted and paged in the
//! database, so a page of a large staff reads a page and a few counts rather than the whole
//! staff (111,000 employees: 25 MB held while the page was made). A search still reads the
//! staff in memory, for the Unicode case folding that neither database's `LIKE` gives.

use super::{Pool, StaffRow, StaffState, Store, ids_json, with_pool};
use crate::error::Result;

/// What the list is filtered by (all of it: none of them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StaffFilter {
    pub state: Option<StaffState>,
    /// Only those without a push token (no app yet, or it was removed).
    pub without_push: bool,
    /// Only the members of this group of the partner's (another partner's group: nobody).
    pub group: Option<i64>,
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
