//! Groups of employees: a department, a shift, a site. The page names them and counts their
//! members; members are put in and taken out from the employee list (tick, then "В группу"),
//! where the list can also be filtered by group, and a message goes to a group from the send
//! form.

use super::super::errors::{CabinetError, CabinetResult};
use super::super::i18n::Lang;
use super::super::layout::{Area, Layout};
use super::super::{CabinetConfig, audit, html, session};
use super::done;
use crate::domain::{GroupId, GroupName};
use crate::error::Error;
use crate::service::groups::{self, SaveGroup};
use crate::state::SharedState;
use crate::store::GroupRow;
use askama::Template;
use poem::http::StatusCode;
use poem::web::{Data, Form, Query};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;
use std::collections::HashMap;

pub struct Row {
    pub id: i64,
    pub name: String,
    pub members: i64,
    /// Members who get messages now.
    pub active: usize,
    pub updated: String,
}

#[derive(Template)]
#[template(path = "groups.html")]
struct GroupsView {
    l: Layout,
    rows: Vec<Row>,
    /// The form: the group being renamed (`None` for a new one) and the name typed.
    editing: Option<i64>,
    name: String,
    error: Option<String>,
    name_max: usize,
}

/// The partner's groups with how many of their members are active, by group ID (a group
/// with none is not there).
pub async fn active_members(
    state: &SharedState,
    partner_id: i64,
) -> crate::error::Result<HashMap<i64, usize>> {
    Ok(state
        .store
        .active_members_by_group(partner_id)
        .await?
        .into_iter()
        .map(|(group, n)| (group, n as usize))
        .collect())
}

async fn view(
    state: &SharedState,
    cfg: &CabinetConfig,
    l: Layout,
    partner_id: i64,
    groups: Vec<GroupRow>,
) -> CabinetResult<GroupsView> {
    let active = active_members(state, partner_id).await?;
    let rows = groups
        .into_iter()
        .map(|g| Row {
            active: active.get(&g.id).copied().unwrap_or_default(),
            id: g.id,
            name: g.name,
            members: g.members,
            updated: cfg.datetime(g.updated_at),
        })
        .collect();
    Ok(GroupsView {
        l,
        rows,
        editing: None,
        name: String::new(),
        error: None,
        name_max: GroupName::MAX_CHARS,
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    done: Option<String>,
    /// A group to rename in the form.
    edit: Option<String>,
}

#[handler]
pub async fn page(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
    Query(q): Query<PageQuery>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    let l = Layout::signed_in(*lang, Area::Cabinet, "employees", s.who(), s.csrf)
        .with_notice(q.done.as_deref());
    let groups = state.store.groups(s.partner.id).await?;
    let mut v = view(state, cfg, l, s.partner.id, groups).await?;
    if let Some(raw) = q.edit.as_deref() {
        let id: i64 = raw.trim().parse().map_err(|_| CabinetError::NotFound)?;
        let g = state
            .store
            .group(s.partner.id, id)
            .await?
            .ok_or(CabinetError::NotFound)?;
        v.editing = Some(g.id);
        v.name = g.name;
    }
    Ok(html(v.render()))
}

#[derive(Deserialize)]
pub struct GroupForm {
    csrf: String,
    /// save or delete.
    #[serde(rename = "do")]
    action: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
}

#[handler]
pub async fn submit(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
    Form(form): Form<GroupForm>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let partner_id = s.partner.id;
    let id = match form.id.trim() {
        "" => None,
        raw => Some(GroupId::parse(raw).map_err(|_| CabinetError::NotFound)?),
    };
    let l = Layout::signed_in(*lang, Area::Cabinet, "employees", s.who(), s.csrf.clone());
    let typed = form.name.as_str();
    let refused = |l: Layout, error: String| async move {
        // What was typed stays in the form, with the reason above it.
        let groups = state.store.groups(partner_id).await?;
        let mut v = view(state, cfg, l, partner_id, groups).await?;
        v.editing = id.map(|id| id.0);
        v.name = typed.to_owned();
        v.error = Some(error);
        Ok::<_, CabinetError>(
            html(v.render())
                .with_status(StatusCode::BAD_REQUEST)
                .into_response(),
        )
    };
    match (form.action.as_str(), id) {
        ("delete", Some(id)) => match groups::delete(state, &s.partner, id).await {
            Ok(name) => {
                audit::record(
                    state,
                    req,
                    partner_id,
                    &s.actor,
                    audit::Action::GroupDeleted,
                    &format!("«{name}»"),
                )
                .await;
                Ok(done("/cabinet/groups", "group_deleted"))
            }
            Err(Error::NotFound(_)) => Err(CabinetError::NotFound),
            // Sends scheduled to it wait: the service names them; the page says it in its language.
            Err(Error::Conflict(_)) => {
                let m = l_text(*lang, "grp.in_use");
                refused(l, m).await
            }
            Err(e) => Err(e.into()),
        },
        ("save", _) => {
            let name = match GroupName::parse(&form.name) {
                Ok(name) => name,
                Err(_) if form.name.trim().is_empty() => {
                    return refused(l, l_text(*lang, "grp.name_missing")).await;
                }
                Err(_) => {
                    let m = format!(
                        "{} ({})",
                        l_text(*lang, "grp.name_long"),
                        GroupName::MAX_CHARS
                    );
                    return refused(l, m).await;
                }
            };
            let asked = SaveGroup {
                id,
                name: &name,
                members: None,
                by_name: false,
            };
            match groups::save(state, &s.partner, asked).await {
                Ok(g) => {
                    audit::record(
                        state,
                        req,
                        partner_id,
                        &s.actor,
                        audit::Action::GroupSaved,
                        &format!("«{}»", g.name),
                    )
                    .await;
                    Ok(done("/cabinet/groups", "group_saved"))
                }
                Err(Error::NotFound(_)) => Err(CabinetError::NotFound),
                Err(Error::Conflict(_))
                    if state
                        .store
                        .group_by_name(partner_id, name.as_str())
                        .await?
                        .is_some() =>
                {
                    let m = format!("{} «{}»", l_text(*lang, "grp.name_taken"), name.as_str());
                    refused(l, m).await
                }
                Err(Error::Conflict(m) | Error::Invalid(m)) => {
                    let m = l.t.phrase(&m).to_owned();
                    refused(l, m).await
                }
                Err(e) => Err(e.into()),
            }
        }
        _ => Err(CabinetError::unknown_action()),
    }
}

fn l_text(lang: Lang, key: &str) -> String {
    super::super::i18n::Tr(lang).s(key).to_owned()
}
