//! "Добавить сотрудников": the company's staff list pasted in (two columns from Excel, CSV),
//! added in one go. What was pasted stays in the form when a line is refused.

use super::super::errors::CabinetResult;
use super::super::i18n::Lang;
use super::super::layout::{Area, Layout};
use super::super::{audit, html, session};
use crate::domain::Registration;
use crate::error::Error;
use crate::service::staff_list::{self, Counts};
use crate::state::SharedState;
use askama::Template;
use poem::http::StatusCode;
use poem::web::{Data, Form};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "employees_add.html")]
struct AddView {
    l: Layout,
    /// Whether anyone not on the list may log in too (the page says how to change it).
    open_policy: bool,
    text: String,
    error: Option<String>,
    result: Option<Counts>,
}

#[handler]
pub async fn page(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(lang): Data<&Lang>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    let open_policy = s.partner.registration() != Registration::ListOnly;
    let l = Layout::signed_in(*lang, Area::Cabinet, "employees", s.partner.inn, s.csrf);
    let view = AddView {
        l,
        open_policy,
        text: String::new(),
        error: None,
        result: None,
    };
    Ok(html(view.render()))
}

#[derive(Deserialize)]
pub struct AddForm {
    csrf: String,
    #[serde(default)]
    list: String,
    /// `whole`: the list is the whole staff, the others are disabled.
    #[serde(default, rename = "do")]
    action: String,
}

#[handler]
pub async fn submit(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(lang): Data<&Lang>,
    Form(form): Form<AddForm>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let open_policy = s.partner.registration() != Registration::ListOnly;
    let l = Layout::signed_in(
        *lang,
        Area::Cabinet,
        "employees",
        s.partner.inn.clone(),
        s.csrf,
    );
    let entries = match staff_list::parse_lines(&form.list) {
        Ok(entries) => entries,
        Err(Error::Invalid(why)) => {
            let error = Some(l.t.phrase(&why).to_owned());
            let view = AddView {
                l,
                open_policy,
                text: form.list,
                error,
                result: None,
            };
            return Ok(html(view.render())
                .with_status(StatusCode::BAD_REQUEST)
                .into_response());
        }
        Err(e) => return Err(e.into()),
    };
    let whole_staff = form.action == "whole";
    let result = staff_list::add(state, &s.partner, &entries, whole_staff).await?;
    let c = Counts::of(&result);
    audit::staff_list(state, req, s.partner.id, audit::ADMIN, &c).await;
    // The result in place rather than a redirect: adding the same list again changes nothing.
    let view = AddView {
        l,
        open_policy,
        text: String::new(),
        error: None,
        result: Some(c),
    };
    Ok(html(view.render()))
}
