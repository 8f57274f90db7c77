//! The operator's journal: what the operators and the server's command line did to companies
//! and to the operator accounts, newest first, a page at a time, optionally for one INN. It is
//! where a deleted company's record stays (who deleted it, when, and how much went with it).

use super::super::errors::CabinetResult;
use super::super::i18n::{Lang, Tr};
use super::super::layout::{Area, Layout};
use super::super::{CabinetConfig, html, session};
use super::csv_file;
use super::journal::{action_label, actor_label, cut_page, link, read_all};
use crate::domain::Inn;
use crate::state::SharedState;
use crate::store::OperatorEventRow;
use askama::Template;
use poem::web::{Data, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;

const JOURNAL: &str = "/operator/journal";

pub struct Entry {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub inn: String,
    pub company: String,
    pub detail: String,
    pub ip: String,
}

impl Entry {
    fn of(r: OperatorEventRow, tr: Tr, cfg: &CabinetConfig) -> Self {
        Self {
            at: cfg.timestamp(r.created_at),
            actor: actor_label(&r.actor, tr),
            action: action_label(r.action, tr),
            inn: r.partner_inn,
            company: r.partner_name,
            detail: tr.stored(&r.detail),
            ip: r.client_ip,
        }
    }
}

#[derive(Template)]
#[template(path = "operator_journal.html")]
struct OperatorJournalView {
    l: Layout,
    rows: Vec<Entry>,
    /// The INN as typed, to show in its field again.
    inn: String,
    /// The INN typed is not one: the page says so and shows every entry.
    bad_inn: bool,
    /// The download of every entry the filter selects.
    export: String,
    filtered: bool,
    older: Option<String>,
    newest: Option<String>,
    keep_days: i64,
}

#[derive(Deserialize)]
pub struct OperatorJournalQuery {
    /// Entries before this one; anything unparseable means the newest.
    #[serde(default)]
    before: String,
    /// Only the entries about the company with this INN.
    #[serde(default)]
    inn: String,
}

impl OperatorJournalQuery {
    /// The company asked for; `Err` when something was typed that is no INN.
    fn inn(&self) -> Result<Option<Inn>, ()> {
        match self.inn.trim() {
            "" => Ok(None),
            typed => Inn::parse(typed).map(Some).map_err(|_| ()),
        }
    }
}

#[handler]
pub async fn page(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
    Query(q): Query<OperatorJournalQuery>,
) -> CabinetResult<Response> {
    let s = session::operator(req, state).await?;
    let before = q.before.trim().parse::<i64>().ok();
    let (inn, bad_inn) = match q.inn() {
        Ok(inn) => (inn, false),
        Err(()) => (None, true),
    };
    let filter = inn.as_ref().map(|i| format!("inn={}", i.as_str()));
    let filter = filter.as_deref();
    let size = cfg.page_size;
    let rows = state
        .store
        .list_operator_events(before, inn.as_ref().map(Inn::as_str), size + 1)
        .await?;
    let (rows, older) = cut_page(
        rows,
        size,
        |r| r.id,
        |id| link(JOURNAL, filter, &format!("before={id}")),
    );
    let tr = Tr(*lang);
    let l = Layout::signed_in(*lang, Area::Operator, "journal", s.operator.login, s.csrf);
    let title = l.t.s("opj.title");
    let view = OperatorJournalView {
        l: l.with_title(title),
        rows: rows.into_iter().map(|r| Entry::of(r, tr, cfg)).collect(),
        inn: q.inn.trim().to_owned(),
        bad_inn,
        export: link("/operator/journal.csv", filter, ""),
        filtered: inn.is_some(),
        older,
        newest: before.is_some().then(|| link(JOURNAL, filter, "")),
        keep_days: cfg.journal_keep_days,
    };
    Ok(html(view.render()))
}

/// Every entry the filter selects, newest first, as CSV (`operator-journal.csv`, or
/// `operator-journal-<INN>.csv` for one company).
#[handler]
pub async fn export(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
    Query(q): Query<OperatorJournalQuery>,
) -> CabinetResult<Response> {
    session::operator(req, state).await?;
    let inn = q.inn().unwrap_or(None);
    let tr = Tr(*lang);
    let head = [
        "audit.at",
        "audit.who",
        "audit.what",
        "opj.inn",
        "opj.company",
        "audit.detail",
        "audit.ip",
    ];
    let inn_str = inn.as_ref().map(Inn::as_str);
    let rows = read_all(
        |before, limit| state.store.list_operator_events(before, inn_str, limit),
        |r| r.id,
    )
    .await?;
    let records =
        std::iter::once(head.map(|k| tr.s(k).to_owned())).chain(rows.into_iter().map(|r| {
            let e = Entry::of(r, tr, cfg);
            [e.at, e.actor, e.action, e.inn, e.company, e.detail, e.ip]
        }));
    let name = match &inn {
        Some(inn) => format!("operator-journal-{}.csv", inn.as_str()),
        None => "operator-journal.csv".to_owned(),
    };
    csv_file::download(&name, records)
}
