//! The message list as a CSV file: the same filters, search and sort as the page, every row.

use super::super::errors::CabinetResult;
use super::super::i18n::{Lang, Tr};
use super::super::{CabinetConfig, session};
use super::csv_file::{attachment, cell, writer};
use super::journal::sender_label;
use super::messages::{ListParams, href, read_filters};
use crate::domain::Millis;
use crate::state::SharedState;
use crate::store::{FilesByMessage, ListPlan, MessageExportRow, MessageListQuery};
use poem::web::{Data, Query, Redirect};
use poem::{Body, IntoResponse, Request, Response, handler};

/// Rows read per query: an export of a million messages holds one such page in memory.
const CHUNK: i64 = 1_000;

/// The header row, by catalogue key.
const COLUMNS: [&str; 18] = [
    "exp.id",
    "exp.staff_id",
    "exp.staff",
    "exp.phone",
    "exp.title",
    "exp.text",
    "exp.source",
    "exp.status",
    "exp.reason",
    "exp.created",
    "exp.sent",
    "exp.delivered",
    "exp.read",
    "exp.ack_required",
    "exp.acked",
    "exp.reminded",
    // Last, so that a sheet reading the columns by place before they were added still reads them.
    "exp.sent_by",
    "exp.files",
];

/// What the body's stream carries from one page of rows to the next.
struct Export {
    state: SharedState,
    query: MessageListQuery,
    plan: ListPlan,
    tr: Tr,
    cfg: CabinetConfig,
    /// The BOM and the header row are still to be written.
    first: bool,
    done: bool,
}

impl Export {
    fn date(&self, at: Option<Millis>) -> String {
        at.map(|ms| self.cfg.timestamp(ms)).unwrap_or_default()
    }

    fn write(&self, rows: &[MessageExportRow], files: &FilesByMessage) -> csv::Result<Vec<u8>> {
        let mut w = writer(Vec::with_capacity(256 * (rows.len() + 1)), self.first);
        if self.first {
            w.write_record(COLUMNS.map(|key| self.tr.s(key)))?;
        }
        for r in rows {
            let m = &r.row;
            let reason = self
                .tr
                .detail(r.status_reason.as_deref().unwrap_or_default());
            let ack_required = if r.ack_required {
                self.tr.s("exp.yes")
            } else {
                ""
            };
            let sender = sender_label(r.sent_by.as_deref(), &r.source, self.tr);
            let names = files.get(&m.id).map_or_else(String::new, |f| {
                f.iter()
                    .map(|f| f.name.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            });
            let record: [&str; 18] = [
                &m.id.to_string(),
                &m.staff_id.to_string(),
                &cell(&m.staff_name),
                &cell(&r.phone),
                &cell(&m.title),
                &cell(&r.body),
                &self.tr.detail(&r.source),
                self.tr.status(&m.status),
                &cell(&reason),
                &self.cfg.timestamp(m.created_at),
                &self.date(r.sent_at),
                &self.date(r.delivered_at),
                &self.date(r.read_at),
                ack_required,
                &self.date(r.acked_at),
                &self.date(r.reminded_at),
                &cell(&sender),
                &cell(&names),
            ];
            w.write_record(record)?;
        }
        w.into_inner().map_err(|e| e.into_error().into())
    }

    /// The next piece of the file, or `None` after the last page.
    async fn next(mut self) -> std::io::Result<Option<(Vec<u8>, Self)>> {
        if self.done {
            return Ok(None);
        }
        let rows = self
            .state
            .store
            .export_partner_messages(&self.query, self.plan)
            .await
            .map_err(cut_short)?;
        self.done = (rows.len() as i64) < self.query.limit;
        if let Some(last) = rows.last() {
            self.query.after = Some(last.row.cursor(self.query.sort));
        }
        // Looked up only for a chunk that has a message with files: a company that sends
        // none exports as before.
        let with_files: Vec<i64> = rows
            .iter()
            .filter(|r| r.row.files > 0)
            .map(|r| r.row.id)
            .collect();
        let files = self
            .state
            .store
            .files_of_messages(&with_files)
            .await
            .map_err(cut_short)?;
        let bytes = self.write(&rows, &files).map_err(std::io::Error::other)?;
        self.first = false;
        Ok(Some((bytes, self)))
    }
}

/// A read that failed mid-download: the status line is long gone, so the client sees the
/// download cut short, and the log says why.
fn cut_short(e: crate::error::Error) -> std::io::Error {
    tracing::error!(error = %e, "message export failed");
    std::io::Error::other(e.to_string())
}

#[handler]
pub async fn export(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
    Query(p): Query<ListParams>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    let (parsed, _, _) = read_filters(state, s.partner.id, &p, CHUNK, *lang).await?;
    if parsed.error.is_some() {
        // The list page says what is wrong with the filters.
        let list = ListParams {
            after: String::new(),
            ..p
        };
        return Ok(Redirect::see_other(href(&list)).into_response());
    }
    let mut query = parsed.query;
    // The whole list, whichever of its pages the link was on.
    query.after = None;
    query.limit = CHUNK;
    let plan = state.store.list_plan(&query).await?;
    let name = format!(
        "simo-messages-{}-{}.csv",
        s.partner.inn,
        cfg.date(crate::domain::now_millis())
    );
    let export = Export {
        state: state.clone(),
        query,
        plan,
        tr: Tr(*lang),
        cfg: cfg.clone(),
        first: true,
        done: false,
    };
    let body = futures_util::stream::try_unfold(export, Export::next);
    Ok(attachment(&name, Body::from_bytes_stream(body)))
}
