//! The journal: who did what to the partner's account and employees (the admin, the operator),
//! when and from which address; newest first, a page at a time.

use super::super::errors::CabinetResult;
use super::super::i18n::{Lang, Tr};
use super::super::layout::{Area, Layout};
use super::super::{CabinetConfig, audit, html, session};
use super::csv_file;
use crate::state::SharedState;
use crate::store::AuditRow;
use askama::Template;
use poem::web::{Data, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;

const JOURNAL: &str = "/cabinet/journal";

pub struct Entry {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub detail: String,
    pub ip: String,
}

impl Entry {
    fn of(r: AuditRow, tr: Tr, cfg: &CabinetConfig) -> Self {
        let actor = match (r.actor.as_str(), r.actor.strip_prefix("operator:")) {
            (_, Some(login)) => format!("{} {login}", tr.s("audit.operator")),
            (audit::API, _) => tr.s("audit.api").to_owned(),
            (audit::CLI, _) => tr.s("audit.cli").to_owned(),
            (audit::SERVER, _) => tr.s("audit.server").to_owned(),
            (audit::EMPLOYEE, _) => tr.s("audit.employee").to_owned(),
            (audit::VISITOR, _) => tr.s("audit.visitor").to_owned(),
            _ => tr.s("audit.admin").to_owned(),
        };
        Self {
            at: cfg.timestamp(r.created_at),
            actor,
            // An action a later version added and an older one reads shows as its key.
            action: tr
                .get(&format!("audit.{}", r.action))
                .map_or(r.action, str::to_owned),
            detail: tr.stored(&r.detail),
            ip: r.client_ip,
        }
    }
}

/// One choice of the kind filter.
pub struct KindChoice {
    pub key: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "journal.html")]
struct JournalView {
    l: Layout,
    rows: Vec<Entry>,
    kinds: Vec<KindChoice>,
    /// The download of every entry the filter selects.
    export: String,
    /// A filter is on: the empty page says no entry matches rather than none exists.
    filtered: bool,
    /// The next (older) page, if there is one.
    older: Option<String>,
    /// Not the first page: a link back to the newest entries.
    newest: Option<String>,
    /// Entries are deleted after this many days (0: kept).
    keep_days: i64,
}

#[derive(Deserialize)]
pub struct JournalQuery {
    /// Entries before this one; anything unparseable means the newest.
    #[serde(default)]
    before: String,
    /// A kind of action (`audit::Kind`); anything else means all.
    #[serde(default)]
    kind: String,
}

impl JournalQuery {
    fn kind(&self) -> Option<audit::Kind> {
        audit::Kind::parse(self.kind.trim())
    }
}

/// The journal's address with the filter (and `extra`, such as a cursor).
fn link(path: &str, kind: Option<audit::Kind>, extra: &str) -> String {
    let mut params: Vec<String> = kind
        .map(|k| format!("kind={}", k.key()))
        .into_iter()
        .collect();
    if !extra.is_empty() {
        params.push(extra.to_owned());
    }
    if params.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", params.join("&"))
    }
}

#[handler]
pub async fn page(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
    Query(q): Query<JournalQuery>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    let before = q.before.trim().parse::<i64>().ok();
    let kind = q.kind();
    let actions = kind.map(audit::Kind::actions);
    let size = cfg.page_size;
    let mut rows = state
        .store
        .list_audit(s.partner.id, before, actions.as_deref(), size + 1)
        .await?;
    let more = rows.len() as i64 > size;
    rows.truncate(size as usize);
    let older = more
        .then(|| {
            rows.last()
                .map(|r| link(JOURNAL, kind, &format!("before={}", r.id)))
        })
        .flatten();
    let tr = Tr(*lang);
    let view = JournalView {
        l: Layout::signed_in(*lang, Area::Cabinet, "journal", s.partner.inn, s.csrf),
        rows: rows.into_iter().map(|r| Entry::of(r, tr, cfg)).collect(),
        kinds: audit::Kind::ALL
            .into_iter()
            .map(|k| KindChoice {
                key: k.key(),
                label: tr.s(&format!("audit.kind.{}", k.key())),
                selected: Some(k) == kind,
            })
            .collect(),
        export: link("/cabinet/journal.csv", kind, ""),
        filtered: kind.is_some(),
        older,
        newest: before.is_some().then(|| link(JOURNAL, kind, "")),
        keep_days: cfg.journal_keep_days,
    };
    Ok(html(view.render()))
}

/// Entries read per query while the download is written.
const EXPORT_PAGE: i64 = 1000;

/// Every entry the filter selects, newest first, as CSV (`journal-<INN>.csv`).
#[handler]
pub async fn export(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
    Query(q): Query<JournalQuery>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    let actions = q.kind().map(audit::Kind::actions);
    let tr = Tr(*lang);
    let mut records = vec![[
        tr.s("audit.at").to_owned(),
        tr.s("audit.who").to_owned(),
        tr.s("audit.what").to_owned(),
        tr.s("audit.detail").to_owned(),
        tr.s("audit.ip").to_owned(),
    ]];
    let mut before = None;
    loop {
        let rows = state
            .store
            .list_audit(s.partner.id, before, actions.as_deref(), EXPORT_PAGE)
            .await?;
        let full = rows.len() as i64 == EXPORT_PAGE;
        before = rows.last().map(|r| r.id);
        records.extend(rows.into_iter().map(|r| {
            let e = Entry::of(r, tr, cfg);
            [e.at, e.actor, e.action, e.detail, e.ip]
        }));
        if !full {
            break;
        }
    }
    csv_file::download(&format!("journal-{}.csv", s.partner.inn), records)
}
