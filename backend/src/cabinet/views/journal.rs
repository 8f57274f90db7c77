//! The journal: who did what to the partner's account and employees (the admin, the operator),
//! when and from which address; newest first, a page at a time.

use super::super::errors::CabinetResult;
use super::super::i18n::{Lang, Tr};
use super::super::layout::{Area, Layout};
use super::super::{CabinetConfig, audit, html, session};
use super::csv_file;
use crate::domain::StaffId;
use crate::state::SharedState;
use crate::store::{AuditFilter, AuditRow};
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

/// Who did it, as the journals name them.
pub(super) fn actor_label(actor: &str, tr: Tr) -> String {
    if let Some(login) = actor.strip_prefix("admin:") {
        return format!("{} {login}", tr.s("audit.admin"));
    }
    if let Some(key) = actor.strip_prefix("api:") {
        return format!("{} «{key}»", tr.s("audit.api_key"));
    }
    match (actor, actor.strip_prefix("operator:")) {
        (_, Some(login)) => format!("{} {login}", tr.s("audit.operator")),
        (audit::API, _) => tr.s("audit.api").to_owned(),
        (audit::CLI, _) => tr.s("audit.cli").to_owned(),
        (audit::SERVER, _) => tr.s("audit.server").to_owned(),
        (audit::EMPLOYEE, _) => tr.s("audit.employee").to_owned(),
        (audit::VISITOR, _) => tr.s("audit.visitor").to_owned(),
        // The company's own account: among named admins, "Администратор" alone says too little.
        (audit::ADMIN, _) => tr.s("audit.admin_main").to_owned(),
        _ => tr.s("audit.admin").to_owned(),
    }
}

/// Who sent a message: the actor it keeps, or for one stored before that was kept, its source
/// alone ("АСУ (API)", or an admin not named).
pub(super) fn sender_label(sent_by: Option<&str>, source: &str, tr: Tr) -> String {
    actor_label(sent_by.unwrap_or(source), tr)
}

/// The journal's page of the entries about one employee.
pub(super) fn staff_journal(id: StaffId) -> String {
    format!("{JOURNAL}?staff={}", id.0)
}

/// The journal's page of one actor's entries.
pub(super) fn actor_journal(actor: &str) -> String {
    let query = serde_urlencoded::to_string([("who", actor)]).unwrap_or_default();
    format!("{JOURNAL}?{query}")
}

/// What was done, by its stored key. An action a later version added and an older one reads
/// shows as its key.
pub(super) fn action_label(action: String, tr: Tr) -> String {
    tr.get(&format!("audit.{action}"))
        .map_or(action, str::to_owned)
}

impl Entry {
    pub(super) fn of(r: AuditRow, tr: Tr, cfg: &CabinetConfig) -> Self {
        Self {
            at: cfg.timestamp(r.created_at),
            actor: actor_label(&r.actor, tr),
            action: action_label(r.action, tr),
            detail: tr.stored(&r.detail),
            ip: r.client_ip,
        }
    }
}

/// The employee the journal is filtered by: their name and ID, or their ID alone once deleted
/// (their entries stay).
pub struct StaffNote {
    pub id: i64,
    pub name: String,
    pub exists: bool,
}

/// One choice of the kind filter.
pub struct KindChoice {
    pub key: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

/// One choice of the "who" filter: a stored actor (`operator` for any operator).
pub struct WhoChoice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// Whom the journal can be filtered by: the company's own account, each of its named admins
/// (by login and name), then the others who act on a company.
async fn who_choices(
    state: &SharedState,
    partner_id: i64,
    tr: Tr,
    chosen: Option<&str>,
) -> CabinetResult<Vec<WhoChoice>> {
    let mut choices = vec![(audit::ADMIN.to_owned(), tr.s("audit.who_main").to_owned())];
    for (login, name) in audit::people(&state.store, partner_id).await? {
        let label = format!("{} ({name})", actor_label(&audit::admin(&login), tr));
        choices.push((audit::admin(&login), label));
    }
    choices.push((audit::API.to_owned(), tr.s("audit.api").to_owned()));
    let now = crate::domain::now_millis();
    for k in state.store.api_keys(partner_id, now).await? {
        if !k.name.is_empty() {
            let actor = audit::api_key(&k.name);
            choices.push((actor.clone(), actor_label(&actor, tr)));
        }
    }
    for (value, key) in [
        (audit::EMPLOYEE, "audit.employee"),
        (audit::SERVER, "audit.server"),
        ("operator", "audit.operator"),
        (audit::CLI, "audit.cli"),
        (audit::VISITOR, "audit.visitor"),
    ] {
        choices.push((value.to_owned(), tr.s(key).to_owned()));
    }
    Ok(choices
        .into_iter()
        .map(|(value, label)| WhoChoice {
            selected: Some(value.as_str()) == chosen,
            value,
            label,
        })
        .collect())
}

#[derive(Template)]
#[template(path = "journal.html")]
struct JournalView {
    l: Layout,
    rows: Vec<Entry>,
    kinds: Vec<KindChoice>,
    who: Vec<WhoChoice>,
    staff: Option<StaffNote>,
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
    /// An actor as stored (`admin`, `admin:<login>`, `api`…; `operator` for any operator);
    /// empty means everyone.
    #[serde(default)]
    who: String,
    /// An employee's ID: only the entries about them; anything else means everyone.
    #[serde(default)]
    staff: String,
}

impl JournalQuery {
    fn kind(&self) -> Option<audit::Kind> {
        audit::Kind::parse(self.kind.trim())
    }

    /// No actor has control characters (PostgreSQL refuses a NUL in a text parameter), nor is
    /// one this long: such a value is no filter.
    fn who(&self) -> Option<&str> {
        Some(self.who.trim())
            .filter(|w| !w.is_empty() && w.len() <= 200 && !w.chars().any(char::is_control))
    }

    fn staff(&self) -> Option<StaffId> {
        StaffId::parse(self.staff.trim()).ok()
    }

    /// What the store selects by.
    fn store_filter<'a>(&'a self, actions: Option<&'a [&'a str]>) -> AuditFilter<'a> {
        AuditFilter {
            actions,
            actor: self.who(),
            staff: self.staff().map(|s| s.0),
        }
    }

    /// The filter as a link carries it (`kind=…&who=…&staff=…`), if any.
    fn filter(&self) -> Option<String> {
        let staff = self.staff().map(|s| s.0.to_string());
        let pairs: Vec<(&str, &str)> = [
            ("kind", self.kind().map(audit::Kind::key)),
            ("who", self.who()),
            ("staff", staff.as_deref()),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
        (!pairs.is_empty()).then(|| serde_urlencoded::to_string(pairs).unwrap_or_default())
    }
}

/// A journal's address with its filter (`kind=staff`, `inn=…`) and `extra`, such as a cursor.
pub(super) fn link(path: &str, filter: Option<&str>, extra: &str) -> String {
    let params: Vec<&str> = filter
        .into_iter()
        .chain((!extra.is_empty()).then_some(extra))
        .collect();
    if params.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", params.join("&"))
    }
}

/// One page of a journal read newest first, `size + 1` rows asked for: the page's rows and, if
/// there are more, the link to the older ones (`older(last id)`).
pub(super) fn cut_page<T>(
    mut rows: Vec<T>,
    size: i64,
    id: impl Fn(&T) -> i64,
    older: impl Fn(i64) -> String,
) -> (Vec<T>, Option<String>) {
    let more = rows.len() as i64 > size;
    rows.truncate(size as usize);
    let link = more.then(|| rows.last().map(|r| older(id(r)))).flatten();
    (rows, link)
}

/// Entries read per query while a download is written.
const EXPORT_PAGE: i64 = 1000;

/// Every entry a journal's filter selects, newest first, read a thousand at a time by `fetch`
/// (`before`, `limit`).
pub(super) async fn read_all<T, Fut>(
    mut fetch: impl FnMut(Option<i64>, i64) -> Fut,
    id: impl Fn(&T) -> i64,
) -> crate::error::Result<Vec<T>>
where
    Fut: std::future::Future<Output = crate::error::Result<Vec<T>>>,
{
    let mut all = Vec::new();
    let mut before = None;
    loop {
        let rows = fetch(before, EXPORT_PAGE).await?;
        let full = rows.len() as i64 == EXPORT_PAGE;
        before = rows.last().map(&id);
        all.extend(rows);
        if !full {
            return Ok(all);
        }
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
    let filter = q.filter();
    let filter = filter.as_deref();
    let actions = kind.map(audit::Kind::actions);
    let size = cfg.page_size;
    let rows = state
        .store
        .list_audit(
            s.partner.id,
            before,
            &q.store_filter(actions.as_deref()),
            size + 1,
        )
        .await?;
    let (rows, older) = cut_page(
        rows,
        size,
        |r| r.id,
        |id| link(JOURNAL, filter, &format!("before={id}")),
    );
    let tr = Tr(*lang);
    let view = JournalView {
        l: Layout::signed_in(*lang, Area::Cabinet, "journal", s.who(), s.csrf),
        rows: rows.into_iter().map(|r| Entry::of(r, tr, cfg)).collect(),
        kinds: audit::Kind::ALL
            .into_iter()
            .map(|k| KindChoice {
                key: k.key(),
                label: tr.s(&format!("audit.kind.{}", k.key())),
                selected: Some(k) == kind,
            })
            .collect(),
        who: who_choices(state, s.partner.id, tr, q.who()).await?,
        staff: match q.staff() {
            Some(id) => Some(match state.store.staff_by_id(s.partner.id, id).await? {
                Some(row) => StaffNote {
                    id: id.0,
                    name: audit::employee(&row.name, id.0),
                    exists: true,
                },
                None => StaffNote {
                    id: id.0,
                    name: format!("ID {}", id.0),
                    exists: false,
                },
            }),
            None => None,
        },
        export: link("/cabinet/journal.csv", filter, ""),
        filtered: filter.is_some(),
        older,
        newest: before.is_some().then(|| link(JOURNAL, filter, "")),
        keep_days: cfg.journal_keep_days,
    };
    Ok(html(view.render()))
}

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
    let filter = q.store_filter(actions.as_deref());
    let tr = Tr(*lang);
    let head = [
        "audit.at",
        "audit.who",
        "audit.what",
        "audit.detail",
        "audit.ip",
    ];
    let rows = read_all(
        |before, limit| state.store.list_audit(s.partner.id, before, &filter, limit),
        |r| r.id,
    )
    .await?;
    let records =
        std::iter::once(head.map(|k| tr.s(k).to_owned())).chain(rows.into_iter().map(|r| {
            let e = Entry::of(r, tr, cfg);
            [e.at, e.actor, e.action, e.detail, e.ip]
        }));
    csv_file::download(&format!("journal-{}.csv", s.partner.inn), records)
}
