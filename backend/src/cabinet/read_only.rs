//! A viewer (a named admin with the `viewer` role) reads the cabinet and changes nothing: every
//! form posted to the cabinet is refused to their session but those of their own account and
//! the login's. A sender (`sender`) may post the sending forms besides. An HR officer (`hr`) may
//! post every form but the settings' and the webhook's. Deny by default, in one
//! place, so a form added later is refused too; the pages hide those forms from them as well
//! (`Layout::read_only`, `Layout::sends_only`).

use super::errors::CabinetError;
use super::{audit, session};
use crate::phrase::{Stored, stored};
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
        // Their own accesses to other companies: accepting, giving up, moving between them.
        || path.starts_with("/cabinet/access/")
}

/// The forms a sender may post besides: a message sent, and what the cabinet does with the
/// messages sent (recall, push again, remind, a scheduled one changed or cancelled). The
/// employee list's bulk form is one of them for its "write to the ticked", its only button a
/// sender gets (the handler refuses them the others, see `sender_refused`).
fn sending_form(path: &str) -> bool {
    let on_a_message = path
        .strip_prefix("/cabinet/messages/")
        .and_then(|rest| rest.split_once('/'))
        .is_some_and(|(id, action)| {
            id.parse::<i64>().is_ok() && matches!(action, "recall" | "resend" | "remind")
        });
    let on_a_scheduled = path
        .strip_prefix("/cabinet/scheduled/")
        .and_then(|rest| rest.strip_suffix("/edit"))
        .is_some_and(|id| id.parse::<i64>().is_ok());
    on_a_message
        || on_a_scheduled
        || matches!(
            path,
            "/cabinet/send"
                // The words a sender sends again and again are theirs to keep.
                | "/cabinet/templates"
                | "/cabinet/scheduled/cancel"
                | "/cabinet/messages/resend"
                | "/cabinet/messages/remind"
                | "/cabinet/messages/recall"
                | "/cabinet/employees/bulk"
        )
}

/// The company's settings and its webhook: what an HR officer may not change (the API token and
/// keys, the webhook and its secret, the login, retention and reminder policies). Their own
/// account's forms are let through before this is asked.
fn settings_form(path: &str) -> bool {
    path.starts_with("/cabinet/settings") || path.starts_with("/cabinet/webhook")
}

/// A sender's form other than a sending one, refused.
fn sender_refused() -> CabinetError {
    CabinetError::Forbidden(phrase!(
        "Ваша учётная запись — для отправки сообщений: другие изменения в кабинете ей недоступны",
        "Your account is for sending messages: it cannot change anything else in the cabinet"
    ))
}

/// Refused unless `s` may undo or change (recall, cancel, change a scheduled one) a send made by
/// `sent_by`: a sender only their own (`PartnerSession::may_undo`).
pub async fn check_undo(
    state: &SharedState,
    req: &Request,
    s: &session::PartnerSession,
    sent_by: Option<&str>,
) -> Result<(), CabinetError> {
    if s.may_undo(sent_by) {
        return Ok(());
    }
    let refused = CabinetError::Forbidden(phrase!(
        "Изменить, отозвать или отменить отправку может тот, кто её сделал, или администратор с полными правами",
        "Only who made a send, or an admin with full rights, can change, recall or cancel it"
    ));
    Err(refuse(state, req, s, refused, stored::AUDIT_REFUSED_SENDER).await)
}

/// Refuses `s` the form of `req` past their right (`words` says which right in the journal):
/// logged, and journaled once an hour per account.
pub async fn refuse(
    state: &SharedState,
    req: &Request,
    s: &session::PartnerSession,
    refused: CabinetError,
    words: Stored,
) -> CabinetError {
    tracing::info!(
        partner_id = s.partner.id,
        path = req.original_uri().path(),
        "a viewer's or sender's form refused"
    );
    // The company sees an account trying past its right (a curious colleague, or a password in
    // other hands); once an hour, so that a loop cannot fill the journal.
    if state
        .rights_refusals
        .first_this_hour(s.partner.id, &s.actor)
    {
        let detail = words.fill(&[req.original_uri().path()]);
        let action = audit::Action::RightsRefused;
        audit::record(state, req, s.partner.id, &s.actor, action, &detail).await;
    }
    refused
}

/// A sender's form other than a sending one, refused past the guard (a sending form's button
/// that is not sending: the employee list's bulk form).
pub async fn refuse_sender(
    state: &SharedState,
    req: &Request,
    s: &session::PartnerSession,
) -> CabinetError {
    refuse(
        state,
        req,
        s,
        sender_refused(),
        stored::AUDIT_REFUSED_SENDER,
    )
    .await
}

pub async fn guard<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let path = req.original_uri().path();
    if req.method() == Method::POST
        && path.starts_with("/cabinet/")
        && !own_account_form(path)
        && let Some(state) = req.data::<SharedState>()
        && let Ok(s) = session::partner(&req, state).await
    {
        let refused = if s.read_only() {
            Some((
                CabinetError::Forbidden(phrase!(
                    "Ваша учётная запись — только для просмотра: изменять что-либо в кабинете нельзя",
                    "Your account is view only: nothing in the cabinet can be changed with it"
                )),
                stored::AUDIT_REFUSED_VIEWER,
            ))
        } else if s.sends_only() && !sending_form(path) {
            Some((sender_refused(), stored::AUDIT_REFUSED_SENDER))
        } else if s.no_settings() && settings_form(path) {
            Some((
                CabinetError::Forbidden(phrase!(
                    "Ваша учётная запись — для сотрудников и сообщений: настройки, ключи API и вебхук организации ей недоступны",
                    "Your account is for employees and messages: the company's settings, API keys and webhook are not for it"
                )),
                stored::AUDIT_REFUSED_HR,
            ))
        } else {
            None
        };
        if let Some((refused, words)) = refused {
            return Err(refuse(state, &req, &s, refused, words).await.into());
        }
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
            "/cabinet/access/enter",
            "/cabinet/access/3/accept",
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
            "/cabinet/settings/admins/access",
            "/cabinet/employees/1/disable",
        ] {
            assert!(!own_account_form(other), "{other}");
        }
    }

    #[test]
    fn an_hr_officer_is_refused_the_settings_and_the_webhook() {
        for settings in [
            "/cabinet/settings/token",
            "/cabinet/settings/keys/7/revoke",
            "/cabinet/settings/policy",
            "/cabinet/settings/retention",
            "/cabinet/webhook",
        ] {
            assert!(settings_form(settings), "{settings}");
        }
        for other in [
            "/cabinet/employees/1/state",
            "/cabinet/employees/add",
            "/cabinet/groups",
            "/cabinet/send",
            "/cabinet/messages/12/recall",
        ] {
            assert!(!settings_form(other), "{other}");
        }
    }

    #[test]
    fn a_sender_posts_the_sending_forms_besides() {
        for sending in [
            "/cabinet/send",
            "/cabinet/scheduled/cancel",
            "/cabinet/messages/resend",
            "/cabinet/messages/remind",
            "/cabinet/messages/recall",
            "/cabinet/messages/12/recall",
            "/cabinet/messages/12/resend",
            "/cabinet/messages/12/remind",
            "/cabinet/employees/bulk",
            "/cabinet/scheduled/12/edit",
            "/cabinet/templates",
        ] {
            assert!(sending_form(sending), "{sending}");
        }
        for other in [
            "/cabinet/templates/1",
            "/cabinet/groups",
            "/cabinet/employees/add",
            "/cabinet/employees/1/state",
            "/cabinet/employees/1/rename",
            "/cabinet/messages/x/recall",
            "/cabinet/messages/12/recall/more",
            "/cabinet/messages/12/delete",
            "/cabinet/settings/token",
            "/cabinet/settings/keys",
            "/cabinet/webhook",
            "/cabinet/sendx",
        ] {
            assert!(!sending_form(other), "{other}");
        }
    }
}
