//! One module per page (or small group of pages); each has one view struct per template.

pub mod access;
pub mod admins;
pub mod api_keys;
pub mod company_files;
mod csv_file;
pub mod dashboard;
pub mod docs;
pub mod employee;
pub mod employees;
pub mod groups;
pub mod journal;
pub mod login;
pub mod messages;
pub mod messages_export;
pub mod operator;
pub mod operator_journal;
pub mod scheduled;
pub mod second_factor;
pub mod send;
pub mod settings;
pub mod staff_add;
pub mod templates;
pub mod usage;
pub mod webhook;

use poem::IntoResponse;
use poem::Response;
use poem::web::Redirect;

/// After a successful form: back to a page, with a note to show (`done` key of the catalogue).
/// A `#fragment` of `path` stays at the end, after the query.
pub(crate) fn done(path: &str, key: &str) -> Response {
    let (path, fragment) = path.split_once('#').map_or((path, ""), |(p, f)| (p, f));
    let sep = if path.contains('?') { '&' } else { '?' };
    let hash = if fragment.is_empty() { "" } else { "#" };
    Redirect::see_other(format!("{path}{sep}done={key}{hash}{fragment}")).into_response()
}

/// `done` with how many rows a bulk action changed (`&n=`), for the note to say.
pub(crate) fn done_counted(path: &str, key: &str, n: u64) -> Response {
    done(path, &format!("{key}&n={n}"))
}

/// The common `?done=` parameter of pages that are redirect targets.
#[derive(Debug, Default, serde::Deserialize)]
pub struct DoneQuery {
    pub done: Option<String>,
    /// How many a bulk action changed (`done_counted`); text, so that a mangled one is only
    /// left out of the note.
    pub n: Option<String>,
}

impl DoneQuery {
    pub fn count(&self) -> Option<u64> {
        self.n.as_deref().and_then(|n| n.parse().ok())
    }
}

pub(crate) use crate::domain::fold;

/// One page of a list filtered in memory, and how many rows matched in all.
pub(crate) struct PageOf<T> {
    pub rows: Vec<T>,
    pub matched: usize,
    /// The page shown: the one asked for, or the last one when it asked past the end.
    pub page: usize,
    pub pages: usize,
}

impl<T> PageOf<T> {
    pub fn of(matched: Vec<T>, page: usize, page_size: usize) -> Self {
        let pages = matched.len().div_ceil(page_size).max(1);
        let page = page.clamp(1, pages);
        Self {
            matched: matched.len(),
            rows: matched
                .into_iter()
                .skip((page - 1) * page_size)
                .take(page_size)
                .collect(),
            page,
            pages,
        }
    }
}

/// A `page` query parameter: anything unparseable is the first page.
pub(crate) fn page_number(raw: &str) -> usize {
    raw.trim().parse::<usize>().map_or(1, |p| p.max(1))
}

/// A list's address: `path` with its non-empty parameters and the page (left out for the first).
pub(crate) fn list_href(path: &str, params: &[(&str, &str)], page: usize) -> String {
    let page = page.to_string();
    let pairs: Vec<(&str, &str)> = params
        .iter()
        .copied()
        .chain([("page", if page == "1" { "" } else { page.as_str() })])
        .filter(|(_, v)| !v.is_empty())
        .collect();
    // Pairs of strings always encode.
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}
