//! Security headers on every cabinet and operator page: a strict CSP (no inline script or
//! style, nothing from other origins), no framing, no sniffing, no caching of private pages.

use poem::{Endpoint, IntoResponse, Request, Response};

pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub async fn security_headers<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let mut resp = match next.call(req).await {
        Ok(r) => r.into_response(),
        Err(e) => e.into_response(),
    };
    let h = resp.headers_mut();
    let set = [
        ("content-security-policy", CSP),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
        ("cross-origin-opener-policy", "same-origin"),
        (
            "permissions-policy",
            "camera=(), microphone=(), geolocation=()",
        ),
    ];
    for (name, value) in set {
        h.insert(name, poem::http::HeaderValue::from_static(value));
    }
    if !h.contains_key("cache-control") {
        h.insert(
            "cache-control",
            poem::http::HeaderValue::from_static("no-store"),
        );
    }
    Ok(resp)
}
