//! One module per page (or small group of pages); each has one view struct per template.

pub mod dashboard;
pub mod docs;
pub mod employees;
pub mod login;
pub mod messages;
pub mod operator;
pub mod send;
pub mod settings;

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

/// The common `?done=` parameter of pages that are redirect targets.
#[derive(Debug, Default, serde::Deserialize)]
pub struct DoneQuery {
    pub done: Option<String>,
}
