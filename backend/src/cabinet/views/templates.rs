//! Message templates: a title and a text the admin sends often, kept by name and put into the
//! send form with one choice.

use super::super::errors::{CabinetError, CabinetResult};
use super::super::i18n::Lang;
use super::super::layout::{Area, Layout};
use super::super::{CabinetConfig, audit, html, session};
use super::done;
use crate::domain::{MessageText, Title, now_millis, shortened};
use crate::error::Error;
use crate::state::SharedState;
use crate::store::{TemplateInput, TemplateRow};
use askama::Template;
use poem::http::StatusCode;
use poem::web::{Data, Form, Query};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;

/// Templates one partner may keep.
pub const MAX_TEMPLATES: usize = 200;

/// Characters of a template's name.
pub const NAME_MAX: usize = 100;

/// Characters of the text shown in the list.
const PREVIEW_CHARS: usize = 160;

pub struct Row {
    pub id: i64,
    pub name: String,
    pub title: String,
    pub preview: String,
    pub updated: String,
}

#[derive(Template)]
#[template(path = "templates.html")]
struct TemplatesView {
    l: Layout,
    rows: Vec<Row>,
    /// The form: the template being changed (`None` for a new one) and what it holds.
    editing: Option<i64>,
    name: String,
    title: String,
    text: String,
    error: Option<String>,
    name_max: usize,
    title_max: usize,
    text_max: usize,
}

impl TemplatesView {
    fn new(l: Layout, templates: Vec<TemplateRow>, cfg: &CabinetConfig) -> Self {
        let rows = templates
            .into_iter()
            .map(|t| Row {
                preview: shortened(&t.body, PREVIEW_CHARS),
                id: t.id,
                name: t.name,
                title: t.title,
                updated: cfg.datetime(t.updated_at),
            })
            .collect();
        Self {
            l,
            rows,
            editing: None,
            name: String::new(),
            title: String::new(),
            text: String::new(),
            error: None,
            name_max: NAME_MAX,
            title_max: Title::MAX_CHARS,
            text_max: MessageText::MAX_CHARS,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    done: Option<String>,
    /// A template to change in the form.
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
    let l = Layout::signed_in(*lang, Area::Cabinet, "send", s.who(), s.csrf)
        .with_notice(q.done.as_deref());
    let mut v = TemplatesView::new(l, state.store.templates(s.partner.id).await?, cfg);
    if let Some(raw) = q.edit.as_deref() {
        let id: i64 = raw.trim().parse().map_err(|_| CabinetError::NotFound)?;
        let t = state
            .store
            .template(s.partner.id, id)
            .await?
            .ok_or(CabinetError::NotFound)?;
        v.editing = Some(t.id);
        v.name = t.name;
        v.title = t.title;
        v.text = t.body;
    }
    Ok(html(v.render()))
}

#[derive(Deserialize)]
pub struct TemplateForm {
    csrf: String,
    /// save or delete.
    #[serde(rename = "do")]
    action: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    text: String,
}

#[handler]
pub async fn submit(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
    Form(form): Form<TemplateForm>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let partner_id = s.partner.id;
    let id = match form.id.trim() {
        "" => None,
        raw => Some(raw.parse::<i64>().map_err(|_| CabinetError::NotFound)?),
    };
    let actor = s.actor.clone();
    let record = |action, detail: String| async move {
        audit::record(state, req, partner_id, &actor, action, &detail).await;
    };
    match (form.action.as_str(), id) {
        ("delete", Some(id)) => {
            let name = state
                .store
                .delete_template(partner_id, id)
                .await?
                .ok_or(CabinetError::NotFound)?;
            record(audit::Action::TemplateDeleted, name).await;
            Ok(done("/cabinet/templates", "template_deleted"))
        }
        ("save", _) => {
            let templates = state.store.templates(partner_id).await?;
            let l = Layout::signed_in(*lang, Area::Cabinet, "send", s.who(), s.csrf);
            // Cleaned as titles are: PostgreSQL refuses a NUL, and no name needs a control
            // character (the fuzz typed one).
            let name = crate::domain::clean(&form.name);
            let name = name.as_str();
            let checked = if name.is_empty() {
                Err(l.t.s("tpl.name_missing").to_owned())
            } else if name.chars().count() > NAME_MAX {
                Err(format!("{} ({NAME_MAX})", l.t.s("tpl.name_long")))
            } else if id.is_none() && templates.len() >= MAX_TEMPLATES {
                Err(format!("{} ({MAX_TEMPLATES})", l.t.s("tpl.too_many")))
            } else {
                Title::parse(&form.title)
                    .and_then(|t| MessageText::parse(&form.text).map(|m| (t, m)))
                    .map_err(|e| l.t.phrase(&e.0).to_owned())
            };
            let saved = match checked {
                Ok((title, text)) => {
                    let input = TemplateInput {
                        id,
                        name,
                        title: title.as_str(),
                        body: text.as_str(),
                        now: now_millis(),
                    };
                    match state.store.save_template(partner_id, &input).await {
                        Ok(Some(saved)) => Ok(saved),
                        Ok(None) => return Err(CabinetError::NotFound),
                        Err(Error::Conflict(m)) => Err(l.t.phrase(&m).to_owned()),
                        Err(e) => return Err(e.into()),
                    }
                }
                Err(m) => Err(m),
            };
            match saved {
                Ok(t) => {
                    record(audit::Action::TemplateSaved, t.name).await;
                    Ok(done("/cabinet/templates", "template_saved"))
                }
                Err(error) => {
                    // What was typed stays in the form, with the reason above it.
                    let mut v = TemplatesView::new(l, templates, cfg);
                    v.editing = id;
                    v.name = form.name;
                    v.title = form.title;
                    v.text = form.text;
                    v.error = Some(error);
                    Ok(html(v.render())
                        .with_status(StatusCode::BAD_REQUEST)
                        .into_response())
                }
            }
        }
        _ => Err(CabinetError::unknown_action()),
    }
}
