//! One error type renders every failure of the cabinet and the operator area: a page in the
//! visitor's language with the right status, or a redirect to the login page.

use super::i18n::{Lang, Tr};
use super::layout::Layout;
use crate::error::{Error, Unavailability};
use crate::phrase::Phrase;
use crate::state::SharedState;
use askama::Template;
use poem::http::StatusCode;
use poem::web::Redirect;
use poem::{Endpoint, IntoResponse, Request, Response};

#[derive(Debug, thiserror::Error)]
pub enum CabinetError {
    /// No session (or an expired one): go to the login page of the area.
    #[error("not logged in")]
    LoggedOut,
    #[error("not found")]
    NotFound,
    #[error("CSRF token missing or wrong")]
    Csrf,
    /// The visitor's input was refused; the reason is shown in their language.
    #[error("{0}")]
    Invalid(Phrase),
    #[error("{0}")]
    Forbidden(Phrase),
    #[error("{message}")]
    Throttled {
        message: Phrase,
        retry_after_secs: u64,
    },
    #[error("internal error: {0}")]
    Internal(Error),
    /// The database cannot be reached for now: "try again in a few seconds", not a fault.
    #[error("database unavailable: {0}")]
    Unavailable(Error),
    /// A form's body did not arrive within the request read timeout (`serve::body_in_time`).
    #[error("the form did not arrive within {secs} s")]
    TooSlow { secs: u64 },
}

pub type CabinetResult<T> = Result<T, CabinetError>;

impl From<Error> for CabinetError {
    fn from(e: Error) -> Self {
        match e {
            Error::NotFound(_) => Self::NotFound,
            Error::Invalid(m) | Error::Conflict(m) | Error::Unauthorized(m) => Self::Invalid(m),
            Error::Forbidden(m) => Self::Forbidden(m),
            Error::TooManyRequests {
                message,
                retry_after_secs,
            } => Self::Throttled {
                message,
                retry_after_secs,
            },
            other if other.is_unavailable() => Self::Unavailable(other),
            other => Self::Internal(other),
        }
    }
}

impl CabinetError {
    /// A form posted a `do` the page does not offer.
    pub fn unknown_action() -> Self {
        Self::Invalid(phrase!("Неизвестное действие", "Unknown action"))
    }

    /// A form that no page of ours posts (a field missing or malformed).
    pub fn bad_form() -> Self {
        Self::Invalid(phrase!("Неверная форма", "Malformed form"))
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::LoggedOut => StatusCode::SEE_OTHER,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Csrf | Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::Invalid(_) => StatusCode::BAD_REQUEST,
            Self::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::TooSlow { .. } => StatusCode::REQUEST_TIMEOUT,
        }
    }
}

impl From<CabinetError> for poem::Error {
    fn from(e: CabinetError) -> Self {
        let status = e.status();
        poem::Error::new(e, status)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorView {
    l: Layout,
    heading: &'static str,
    detail: String,
    back: &'static str,
}

/// The area's root path (`/cabinet` or `/operator`): where "log in again" and "back" lead.
/// Nested routes see paths without it, so each area names its own.
#[derive(Debug, Clone, Copy)]
pub struct AreaRoot(pub &'static str);

/// Renders the failure as a page; used as the outermost layer of both areas. While PostgreSQL
/// is known to be out of reach (`Store::database_known_down`) a page is refused at once, and a
/// page refused 503 has the store probe whether it is, as the v1 API's calls do.
pub async fn render_errors<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let lang = req.extensions().get::<Lang>().copied().unwrap_or_default();
    let root = req
        .extensions()
        .get::<AreaRoot>()
        .map_or("/cabinet", |r| r.0);
    let state = req.data::<SharedState>().cloned();
    // The stylesheet and script come from no database, and the 503 page itself wants them.
    let known_down = state
        .as_ref()
        .is_some_and(|s| s.store.database_known_down())
        && !req.uri().path().contains("/static/");
    let err = match known_down {
        true => CabinetError::Unavailable(Error::Unavailable {
            why: Unavailability::Unreachable,
            reason: "PostgreSQL known to be out of reach since the last probe".into(),
        })
        .into(),
        false => match next.call(req).await {
            Ok(r) => return Ok(r.into_response()),
            Err(e) => e,
        },
    };
    if err.status() == StatusCode::SERVICE_UNAVAILABLE
        && let Some(state) = &state
    {
        state.store.suspect_outage();
    }
    let t = Tr(lang);
    let (status, heading, detail, retry) = match err.downcast_ref::<CabinetError>() {
        Some(CabinetError::LoggedOut) => {
            return Ok(Redirect::see_other(format!("{root}/login")).into_response());
        }
        Some(e @ CabinetError::NotFound) => (
            e.status(),
            t.s("error.not_found"),
            t.s("error.not_found_detail").to_owned(),
            None,
        ),
        Some(e @ CabinetError::Csrf) => (
            e.status(),
            t.s("error.csrf"),
            t.s("error.csrf_detail").to_owned(),
            None,
        ),
        Some(e @ CabinetError::Invalid(m)) => (
            e.status(),
            t.s("error.invalid"),
            t.phrase(m).to_owned(),
            None,
        ),
        Some(e @ CabinetError::Forbidden(m)) => (
            e.status(),
            t.s("error.forbidden"),
            t.phrase(m).to_owned(),
            None,
        ),
        Some(
            e @ CabinetError::Throttled {
                message,
                retry_after_secs,
            },
        ) => (
            e.status(),
            t.s("error.throttled"),
            t.phrase(message).to_owned(),
            Some(*retry_after_secs),
        ),
        Some(e @ CabinetError::Internal(inner)) => {
            tracing::error!(error = %inner, "cabinet request failed");
            (
                e.status(),
                t.s("error.internal"),
                t.s("error.internal_detail").to_owned(),
                None,
            )
        }
        Some(e @ CabinetError::Unavailable(inner)) => {
            // Not logged per page while the outage is known: the probe logged it once.
            if !known_down {
                tracing::error!(error = %inner, "cabinet request failed: the database is unavailable");
            }
            use crate::api::v1::envelope::{DISK_FULL_RETRY_SECS, UNAVAILABLE_RETRY_SECS};
            let (detail, retry) = match inner.unavailability() {
                Some(Unavailability::DiskFull) => ("error.disk_full_detail", DISK_FULL_RETRY_SECS),
                Some(Unavailability::Busy) => ("error.busy_detail", UNAVAILABLE_RETRY_SECS),
                Some(Unavailability::ReadOnly) => {
                    ("error.read_only_detail", UNAVAILABLE_RETRY_SECS)
                }
                _ => ("error.unavailable_detail", UNAVAILABLE_RETRY_SECS),
            };
            (
                e.status(),
                t.s("error.unavailable"),
                t.s(detail).to_owned(),
                Some(retry),
            )
        }
        Some(e @ CabinetError::TooSlow { secs }) => (
            e.status(),
            t.s("error.too_slow"),
            t.phrase(&phrase!(
                "Форма не пришла целиком за {secs} с: связь слишком медленная. Отправьте её ещё раз.",
                "The form did not arrive in full within {secs} s: the connection is too slow. Send it again."
            ))
            .to_owned(),
            None,
        ),
        // An ID in the address that is no number names nothing, like one that is not there.
        None if err.status() == StatusCode::NOT_FOUND
            || err.status() == StatusCode::METHOD_NOT_ALLOWED
            || err.is::<poem::error::ParsePathError>() =>
        {
            (
                StatusCode::NOT_FOUND,
                t.s("error.not_found"),
                t.s("error.not_found_detail").to_owned(),
                None,
            )
        }
        None if err.status().is_client_error() => (
            err.status(),
            t.s("error.invalid"),
            t.s("error.bad_form").to_owned(),
            None,
        ),
        None => {
            tracing::error!(error = %err, "cabinet request failed");
            (
                err.status(),
                t.s("error.internal"),
                t.s("error.internal_detail").to_owned(),
                None,
            )
        }
    };
    let view = ErrorView {
        l: Layout::bare(lang, heading),
        heading,
        detail,
        back: root,
    };
    let mut resp = super::html(view.render())
        .with_status(status)
        .into_response();
    if let Some(secs) = retry
        && let Ok(v) = secs.to_string().parse()
    {
        resp.headers_mut().insert("retry-after", v);
    }
    Ok(resp)
}
