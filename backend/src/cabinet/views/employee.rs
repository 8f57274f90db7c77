//! One employee's card: who they are as the company keeps them, their device and groups, and
//! their messages by status with the latest ones; from there to all their messages or the send
//! form. An admin changes them here as on their row of the list (state, name and phone, groups,
//! deletion), and the card is where those forms bring them back to.

use super::super::errors::{CabinetError, CabinetResult};
use super::super::layout::{Area, Layout};
use super::super::{CabinetConfig, html, session};
use super::DoneQuery;
use super::employees::{EmployeeItem, GroupChoice};
use super::journal::{Entry, staff_journal};
use super::messages::Row;
use crate::domain::StaffId;
use crate::state::SharedState;
use crate::store::{AuditFilter, MessageListQuery, MessageSort};
use askama::Template;
use poem::web::{Data, Path, Query};
use poem::{Request, Response, handler};

/// The latest messages, and the latest changes, the card lists; the rest are one link away.
const RECENT: i64 = 10;

#[derive(Template)]
#[template(path = "employee.html")]
struct CardView {
    l: Layout,
    e: EmployeeItem,
    /// This card's address, where its forms bring the admin back to (`employees::back_to`),
    /// and the same as the delete confirmation's query.
    back: String,
    back_query: String,
    /// The company's groups the employee is in, and those they are not in (to add them to).
    groups_in: Vec<GroupChoice>,
    groups_out: Vec<GroupChoice>,
    /// The admin may change the employee: not a viewer nor a sender (the guard refuses them
    /// those forms anyway).
    manages: bool,
    /// When the company or the employee last changed the row.
    updated: String,
    /// Their messages by status, in the statuses' order, each count a link (`tally_partial`),
    /// and how many in all.
    tally: Vec<(String, i64)>,
    tally_href: String,
    total: i64,
    recent: Vec<Row>,
    /// The journal's latest entries about them, and the journal filtered by them.
    history: Vec<Entry>,
    history_href: String,
    /// The last invitation to the app by SMS, and one waiting for its SMS: when.
    invited: Option<String>,
    invite_waiting: Option<String>,
}

#[handler]
pub async fn page(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&super::super::i18n::Lang>,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    let id = StaffId::parse(&id).map_err(|_| CabinetError::NotFound)?;
    // Scoped by partner: another company's employee is simply not found.
    let row = state
        .store
        .staff_by_id(s.partner.id, id)
        .await?
        .ok_or(CabinetError::NotFound)?;
    let e = EmployeeItem::from_row(&row, cfg);
    let member_of = state.store.groups_of(s.partner.id, id).await?;
    // In the groups page's order (by name), as the list's tags are.
    let (groups_in, groups_out) = state
        .store
        .groups(s.partner.id)
        .await?
        .into_iter()
        .map(|g| GroupChoice {
            id: g.id,
            name: g.name,
            selected: false,
        })
        .partition(|g| member_of.contains(&g.id));
    let back = format!("/cabinet/employees/{}", id.0);
    let tally = state.store.staff_message_tally(s.partner.id, id).await?;
    let total = tally.iter().map(|(_, n)| n).sum();
    let recent = if total == 0 {
        Vec::new()
    } else {
        let q = MessageListQuery {
            staff_id: Some(id),
            descending: true,
            ..MessageListQuery::unfiltered(s.partner.id, MessageSort::Created, RECENT)
        };
        state
            .store
            .list_partner_messages(&q)
            .await?
            .into_iter()
            .map(|r| Row::of(r, cfg))
            .collect()
    };
    let about = AuditFilter {
        staff: Some(id.0),
        ..AuditFilter::default()
    };
    let tr = super::super::i18n::Tr(*lang);
    let history = state
        .store
        .list_audit(s.partner.id, None, &about, RECENT)
        .await?
        .into_iter()
        .map(|r| Entry::of(r, tr, cfg))
        .collect();
    let (invited, waiting) = state.store.invitation_of(s.partner.id, id.0).await?;
    let manages = !s.read_only() && !s.sends_only();
    let view = CardView {
        invited: invited.map(|t| cfg.datetime(t)),
        invite_waiting: waiting.map(|t| cfg.datetime(t)),
        manages,
        l: Layout::signed_in(*lang, Area::Cabinet, "employees", s.who(), s.csrf)
            .with_title(row.name.clone())
            .with_counted_notice(q.done.as_deref(), q.count()),
        e,
        back_query: super::employees::back_query(&back),
        back,
        groups_in,
        groups_out,
        updated: cfg.datetime(row.updated_at),
        tally_href: format!("/cabinet/messages?staff={}", id.0),
        tally,
        total,
        recent,
        history,
        history_href: staff_journal(id),
    };
    Ok(html(view.render()))
}
