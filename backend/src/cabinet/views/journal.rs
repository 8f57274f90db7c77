//! The journal: who did what to the partner's account and employees (the admin, the operator),
//! when and from which address; newest first, a page at a time.

use super::super::errors::CabinetResult;
use super::super::i18n::{Lang, Tr};
use super::super::layout::{Area, Layout};
use super::super::{CabinetConfig, audit, html, session};
use crate::state::SharedState;
use crate::store::AuditRow;
use askama::Template;
use poem::web::{Data, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;

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
            detail: r.detail,
            ip: r.client_ip,
        }
    }
}

#[derive(Template)]
#[template(path = "journal.html")]
struct JournalView {
    l: Layout,
    rows: Vec<Entry>,
    /// The next (older) page, if there is one.
    older: Option<String>,
    /// Not the first page: a link back to the newest entries.
    newest: bool,
}

#[derive(Deserialize)]
pub struct JournalQuery {
    /// Entries before this one; anything unparseable means the newest.
    #[serde(default)]
    before: String,
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
    let size = cfg.page_size;
    let mut rows = state
        .store
        .list_audit(s.partner.id, before, size + 1)
        .await?;
    let more = rows.len() as i64 > size;
    rows.truncate(size as usize);
    let older = more
        .then(|| {
            rows.last()
                .map(|r| format!("/cabinet/journal?before={}", r.id))
        })
        .flatten();
    let tr = Tr(*lang);
    let view = JournalView {
        l: Layout::signed_in(*lang, Area::Cabinet, "journal", s.partner.inn, s.csrf),
        rows: rows.into_iter().map(|r| Entry::of(r, tr, cfg)).collect(),
        older,
        newest: before.is_some(),
    };
    Ok(html(view.render()))
}
