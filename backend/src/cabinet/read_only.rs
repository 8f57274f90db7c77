//! A viewer (a named admin with the `viewer` role) reads the cabinet and changes nothing: every
//! form posted to the cabinet is refused to their session but those of their own account and
//! the login's. Deny by default, in one place, so a form added later is refused too; the pages
//! hide those forms from a viewer as well (`Layout::read_only`).

use super::errors::CabinetError;
use super::session;
use crate::state::SharedState;
use poem::http::Method;
use poem::{Endpoint, IntoResponse, Request, Response};

/// The forms a viewer may post: the login's, and their own account's.
fn own_account_form(path: &str) -> bool {
    matches!(
        path,
        "/cabinet/login"
            | "/cabinet/login/code"
            | "/cabinet/login/setup"
            | "/cabinet/logout"
            | "/cabinet/settings/password"
            | "/cabinet/settings/sessions"
    ) || path.starts_with("/cabinet/settings/2fa/")
}

pub async fn guard<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let path = req.original_uri().path();
    if req.method() == Method::POST
        && path.starts_with("/cabinet/")
        && !own_account_form(path)
        && let Some(state) = req.data::<SharedState>()
        && let Ok(s) = session::partner(&req, state).await
        && s.read_only()
    {
        tracing::info!(
            partner_id = s.partner.id,
            path = req.original_uri().path(),
            "a viewer's form refused"
        );
        return Err(CabinetError::Forbidden(phrase!(
            "Ваша учётная запись — только для просмотра: изменять что-либо в кабинете нельзя",
            "Your account is view only: nothing in the cabinet can be changed with it"
        ))
        .into());
    }
    next.call(req).await.map(IntoResponse::into_response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_viewer_posts_only_their_own_accounts_forms() {
        for own in [
            "/cabinet/logout",
            "/cabinet/settings/password",
            "/cabinet/settings/2fa/on",
        ] {
            assert!(own_account_form(own), "{own}");
        }
        for other in [
            "/cabinet/send",
            "/cabinet/settings/token",
            "/cabinet/settings/keys",
            "/cabinet/settings/keys/7/revoke",
            "/cabinet/settings/2fa",
            "/cabinet/settings/admins",
            "/cabinet/employees/1/disable",
        ] {
            assert!(!own_account_form(other), "{other}");
        }
    }
}
