//! Employees: the list with their device, registration, push and state; enable or disable,
//! approve, rename, delete (with its messages, after a confirmation page).

use super::super::errors::{CabinetError, CabinetResult};
use super::super::i18n::Lang;
use super::super::layout::{Area, Layout};
use super::super::{CabinetConfig, html, session};
use super::{DoneQuery, done};
use crate::domain::{StaffId, StaffName, now_millis};
use crate::state::SharedState;
use crate::store::{StaffRow, StaffState};
use askama::Template;
use poem::web::{Data, Form, Path, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;

pub struct EmployeeItem {
    pub id: i64,
    pub name: String,
    pub phone: String,
    pub device: String,
    pub registered: String,
    pub has_push: bool,
    pub state: &'static str,
}

impl EmployeeItem {
    fn from_row(r: &StaffRow, cfg: &CabinetConfig) -> Self {
        Self {
            id: r.id,
            name: r.name.clone(),
            phone: r.phone.clone(),
            device: r
                .push_device
                .clone()
                .or_else(|| r.device.clone())
                .unwrap_or_default(),
            registered: cfg.datetime(r.created_at),
            has_push: r.push_token.is_some(),
            state: r.state().as_str(),
        }
    }
}

#[derive(Template)]
#[template(path = "employees.html")]
struct EmployeesView {
    l: Layout,
    rows: Vec<EmployeeItem>,
}

#[derive(Template)]
#[template(path = "employee_delete.html")]
struct DeleteView {
    l: Layout,
    e: EmployeeItem,
}

#[handler]
pub async fn list(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
    Query(q): Query<DoneQuery>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    let rows = state.store.list_staff(s.partner.id).await?;
    let view = EmployeesView {
        l: Layout::signed_in(
            *lang,
            Area::Cabinet,
            "employees",
            s.partner.inn.clone(),
            s.csrf,
        )
        .with_notice(q.done.as_deref()),
        rows: rows
            .iter()
            .map(|r| EmployeeItem::from_row(r, cfg))
            .collect(),
    };
    Ok(html(view.render()))
}

#[derive(Deserialize)]
pub struct StateForm {
    csrf: String,
    state: String,
}

#[handler]
pub async fn set_state(
    req: &Request,
    Data(state): Data<&SharedState>,
    Path(id): Path<i64>,
    Form(form): Form<StateForm>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let (new_state, key) = match form.state.as_str() {
        "active" => (StaffState::Active, "enabled"),
        "disabled" => (StaffState::Disabled, "disabled"),
        _ => {
            return Err(CabinetError::Invalid(
                "Неизвестное состояние сотрудника".into(),
            ));
        }
    };
    if !state
        .store
        .set_staff_state(s.partner.id, StaffId(id), new_state, now_millis())
        .await?
    {
        return Err(CabinetError::NotFound);
    }
    tracing::info!(
        partner_id = s.partner.id,
        staff_id = id,
        state = new_state.as_str(),
        "employee state set"
    );
    Ok(done("/cabinet/employees", key))
}

#[derive(Deserialize)]
pub struct RenameForm {
    csrf: String,
    name: String,
}

#[handler]
pub async fn rename(
    req: &Request,
    Data(state): Data<&SharedState>,
    Path(id): Path<i64>,
    Form(form): Form<RenameForm>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let name = StaffName::parse(&form.name).map_err(|e| CabinetError::Invalid(e.0))?;
    if !state
        .store
        .rename_staff(s.partner.id, StaffId(id), name.as_str(), now_millis())
        .await?
    {
        return Err(CabinetError::NotFound);
    }
    Ok(done("/cabinet/employees", "renamed"))
}

#[handler]
pub async fn confirm_delete(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
    Path(id): Path<i64>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    let row = state
        .store
        .staff_by_id(s.partner.id, StaffId(id))
        .await?
        .ok_or(CabinetError::NotFound)?;
    let view = DeleteView {
        l: Layout::signed_in(
            *lang,
            Area::Cabinet,
            "employees",
            s.partner.inn.clone(),
            s.csrf,
        ),
        e: EmployeeItem::from_row(&row, cfg),
    };
    Ok(html(view.render()))
}

#[derive(Deserialize)]
pub struct DeleteForm {
    csrf: String,
}

#[handler]
pub async fn delete(
    req: &Request,
    Data(state): Data<&SharedState>,
    Path(id): Path<i64>,
    Form(form): Form<DeleteForm>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    if !state.store.delete_staff(s.partner.id, StaffId(id)).await? {
        return Err(CabinetError::NotFound);
    }
    tracing::info!(
        partner_id = s.partner.id,
        staff_id = id,
        "employee deleted from the cabinet"
    );
    Ok(done("/cabinet/employees", "deleted"))
}
