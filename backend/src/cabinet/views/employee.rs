//! One employee's card: who they are as the company keeps them, their device and groups, and
//! their messages by status with the latest ones; from there to all their messages or the send
//! form.

use super::super::errors::{CabinetError, CabinetResult};
use super::super::layout::{Area, Layout};
use super::super::{CabinetConfig, html, session};
use super::employees::EmployeeItem;
use super::messages::Row;
use crate::domain::StaffId;
use crate::state::SharedState;
use crate::store::{MessageListQuery, MessageSort};
use askama::Template;
use poem::web::{Data, Path};
use poem::{Request, Response, handler};

/// The latest messages the card lists; the rest are one link away.
const RECENT: i64 = 10;

#[derive(Template)]
#[template(path = "employee.html")]
struct CardView {
    l: Layout,
    e: EmployeeItem,
    /// When the company or the employee last changed the row.
    updated: String,
    /// Their messages by status, in the statuses' order, each count a link (`tally_partial`),
    /// and how many in all.
    tally: Vec<(String, i64)>,
    tally_href: String,
    total: i64,
    recent: Vec<Row>,
}

#[handler]
pub async fn page(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&super::super::i18n::Lang>,
    Path(id): Path<String>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    let id = StaffId::parse(&id).map_err(|_| CabinetError::NotFound)?;
    // Scoped by partner: another company's employee is simply not found.
    let row = state
        .store
        .staff_by_id(s.partner.id, id)
        .await?
        .ok_or(CabinetError::NotFound)?;
    let mut e = EmployeeItem::from_row(&row, cfg);
    let groups = state.store.groups(s.partner.id).await?;
    e.groups = super::employees::group_names(state, s.partner.id, &groups, &[row.id])
        .await?
        .remove(&row.id)
        .unwrap_or_default();
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
    let view = CardView {
        l: Layout::signed_in(*lang, Area::Cabinet, "employees", s.who(), s.csrf)
            .with_title(row.name.clone()),
        e,
        updated: cfg.datetime(row.updated_at),
        tally_href: format!("/cabinet/messages?staff={}", id.0),
        tally,
        total,
        recent,
    };
    Ok(html(view.render()))
}
