//! The guide for admins and integrators, with curl and 1C examples filled in with the
//! partner's own INN and this server's address.

use super::super::errors::CabinetResult;
use super::super::i18n::Lang;
use super::super::layout::{Area, Layout};
use super::super::{html, session};
use crate::state::SharedState;
use askama::Template;
use poem::web::Data;
use poem::{Request, Response, handler};

/// What the guide fills its examples with: the partner's INN and this server's address.
struct Guide {
    base: String,
    inn: String,
    /// Host and port for 1C's `HTTPСоединение`, and whether it needs TLS.
    host: String,
    port: u16,
    https: bool,
}

#[derive(Template)]
#[template(path = "docs.html")]
struct DocsRu {
    l: Layout,
    g: Guide,
}

#[derive(Template)]
#[template(path = "docs_en.html")]
struct DocsEn {
    l: Layout,
    g: Guide,
}

/// Splits the public address into what 1C's connection object takes.
fn host_port(public_url: &str) -> (String, u16, bool) {
    let https = public_url.starts_with("https://");
    let rest = public_url
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    let authority = rest.split('/').next().unwrap_or(rest);
    match authority.rsplit_once(':') {
        Some((h, p)) if p.parse::<u16>().is_ok() => (h.to_owned(), p.parse().unwrap_or(80), https),
        _ => (authority.to_owned(), if https { 443 } else { 80 }, https),
    }
}

#[handler]
pub async fn page(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(lang): Data<&Lang>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    let (host, port, https) = host_port(&state.settings.public_url);
    let l = Layout::signed_in(*lang, Area::Cabinet, "docs", s.who(), s.csrf);
    let g = Guide {
        base: state.settings.public_url.clone(),
        inn: s.partner.inn,
        host,
        port,
        https,
    };
    let page = match lang {
        Lang::Ru => DocsRu { l, g }.render(),
        Lang::En => DocsEn { l, g }.render(),
    };
    Ok(html(page))
}

#[cfg(test)]
mod tests {
    use super::host_port;

    #[test]
    fn public_urls_split_into_host_and_port() {
        assert_eq!(
            host_port("https://simo.example.ru"),
            ("simo.example.ru".into(), 443, true)
        );
        assert_eq!(
            host_port("http://127.0.0.1:8080"),
            ("127.0.0.1".into(), 8080, false)
        );
    }
}
