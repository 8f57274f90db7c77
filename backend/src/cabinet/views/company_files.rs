//! The company's files: what takes its room (`SIMO_FILE_QUOTA_BYTES`, or the operator's for
//! it), the largest first, with what carries each, to download.

use super::super::errors::{CabinetError, CabinetResult};
use super::super::i18n::Lang;
use super::super::layout::{Area, Layout};
use super::super::{CabinetConfig, html, session};
use super::journal::actor_label;
use super::messages::size_label;
use super::{list_href, page_number};
use crate::service::files::{self, KEEP_UNUSED};
use crate::state::SharedState;
use askama::Template;
use poem::web::{Data, Path, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;

pub struct FileItem {
    pub id: i64,
    pub name: String,
    pub size: String,
    pub uploaded: String,
    pub uploaded_by: String,
    pub messages: i64,
    pub waiting: i64,
    /// When the housekeeping deletes it, for a file nothing carries; empty otherwise.
    pub deleted_at: String,
}

#[derive(Template)]
#[template(path = "company_files.html")]
struct FilesView {
    l: Layout,
    files: Vec<FileItem>,
    total: i64,
    /// "1.2 МБ", and the room ("1024 МБ"; empty: no limit).
    used: String,
    room: String,
    page: usize,
    pages: usize,
    prev: Option<String>,
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct FilesQuery {
    #[serde(default)]
    page: String,
}

#[handler]
pub async fn page(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
    Query(q): Query<FilesQuery>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    // A part of sending: the menu marks "Отправить".
    let l = Layout::signed_in(*lang, Area::Cabinet, "send", s.who(), s.csrf.clone());
    let t = l.t;
    let size = cfg.page_size;
    let asked = page_number(&q.page);
    let offset = (asked as i64 - 1).saturating_mul(size);
    let (rows, total) = state
        .store
        .partner_file_list(s.partner.id, size, offset)
        .await?;
    let pages = (total.max(1) as usize).div_ceil(size as usize);
    let page = asked.min(pages);
    let used = state.store.partner_file_bytes(s.partner.id).await?;
    let room = files::room_of(&state.settings, s.partner.file_room_mb)?;
    let keep = KEEP_UNUSED.as_millis() as i64;
    let view = FilesView {
        files: rows
            .into_iter()
            .map(|f| FileItem {
                id: f.id,
                size: size_label(f.size, t),
                uploaded: cfg.datetime(f.created_at),
                uploaded_by: actor_label(&f.uploaded_by, t),
                messages: f.messages,
                waiting: f.waiting,
                deleted_at: if f.messages == 0 && f.waiting == 0 {
                    cfg.datetime(f.created_at + keep)
                } else {
                    String::new()
                },
                name: f.name,
            })
            .collect(),
        total,
        used: size_label(used, t),
        room: room.map(|r| size_label(r, t)).unwrap_or_default(),
        prev: (page > 1).then(|| list_href("/cabinet/files", &[], page - 1)),
        next: (page < pages).then(|| list_href("/cabinet/files", &[], page + 1)),
        page,
        pages,
        l,
    };
    Ok(html(view.render()))
}

/// Downloads one of the company's files.
#[handler]
pub async fn file(
    req: &Request,
    Data(state): Data<&SharedState>,
    Path(raw): Path<String>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    let file_id: i64 = raw.trim().parse().map_err(|_| CabinetError::NotFound)?;
    // Another company's file is not found: `download` reads the session's partner's only.
    super::messages::download(state, s.partner.id, file_id).await
}
