//! The webhook page: the address status changes are posted to, its signing secret, a test
//! delivery, and how the deliveries go (waiting, last success, last error, next try).

use super::super::errors::CabinetResult;
use super::super::i18n::Tr;
use super::super::layout::{Area, Layout};
use super::super::{CabinetConfig, audit, html, session};
use super::{DoneQuery, done};
use crate::domain::now_millis;
use crate::state::SharedState;
use crate::store::{WebhookAttempt, WebhookRow};
use askama::Template;
use poem::http::StatusCode;
use poem::web::{Data, Form, Query};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;

const WEBHOOK: &str = "/cabinet/webhook";

/// The webhook as the page shows it, dates in the cabinet's zone.
pub struct Shown {
    pub url: String,
    pub secret: String,
    pub pending: i64,
    pub failures: i64,
    pub dropped: i64,
    pub last_success: Option<String>,
    pub last_error: Option<String>,
    pub last_attempt: Option<String>,
    /// When the sender tries again, while the endpoint fails.
    pub next_attempt: Option<String>,
    /// Employee events are posted too.
    pub staff_events: bool,
}

impl Shown {
    fn of(w: WebhookRow, cfg: &CabinetConfig) -> Self {
        Self {
            next_attempt: (w.failures > 0 && w.pending > 0)
                .then(|| cfg.timestamp(w.next_attempt_at)),
            url: w.url,
            secret: w.secret,
            pending: w.pending,
            failures: w.failures,
            dropped: w.dropped,
            staff_events: w.staff_events,
            last_success: w.last_success_at.map(|t| cfg.timestamp(t)),
            last_error: w.last_error,
            last_attempt: w.last_attempt_at.map(|t| cfg.timestamp(t)),
        }
    }
}

/// One of the latest posts, as the page lists it.
pub struct Attempt {
    pub at: String,
    /// How many events, or that it was the test.
    pub what: String,
    pub ok: bool,
    pub result: String,
    pub url: String,
}

impl Attempt {
    fn of(a: WebhookAttempt, t: Tr, cfg: &CabinetConfig) -> Self {
        Self {
            at: cfg.timestamp(a.created_at),
            what: if a.test {
                t.s("webhook.test_attempt").to_owned()
            } else {
                a.events.to_string()
            },
            ok: a.error.is_none(),
            result: Self::result(&a),
            url: a.url,
        }
    }

    /// `HTTP 200, 35 ms`, or the reason it was not accepted.
    fn result(a: &WebhookAttempt) -> String {
        match (&a.error, a.http_status) {
            (Some(error), _) => format!("{error} ({} ms)", a.ms),
            (None, Some(status)) => format!("HTTP {status}, {} ms", a.ms),
            (None, None) => format!("{} ms", a.ms),
        }
    }
}

/// Attempts the page lists.
const ATTEMPTS_SHOWN: i64 = 20;

#[derive(Template)]
#[template(path = "webhook.html")]
struct WebhookView {
    l: Layout,
    hook: Option<Shown>,
    /// What is in the address field: the saved address, or what was typed and refused.
    url: String,
    url_error: Option<String>,
    /// The test delivery's outcome: accepted or not, and the details.
    test: Option<(bool, String)>,
    attempts: Vec<Attempt>,
}

async fn render(
    state: &SharedState,
    cfg: &CabinetConfig,
    l: Layout,
    partner_id: i64,
    typed: Option<String>,
    url_error: Option<String>,
    test: Option<(bool, String)>,
) -> CabinetResult<Response> {
    let hook = state
        .store
        .webhook(partner_id)
        .await?
        .map(|w| Shown::of(w, cfg));
    let url = typed.unwrap_or_else(|| hook.as_ref().map(|h| h.url.clone()).unwrap_or_default());
    let attempts = state
        .store
        .webhook_attempts(partner_id, ATTEMPTS_SHOWN)
        .await?
        .into_iter()
        .map(|a| Attempt::of(a, l.t, cfg))
        .collect();
    let status = if url_error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let view = WebhookView {
        l,
        hook,
        url,
        url_error,
        test,
        attempts,
    };
    Ok(html(view.render()).with_status(status).into_response())
}

#[handler]
pub async fn page(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&super::super::i18n::Lang>,
    Query(q): Query<DoneQuery>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    let l = Layout::signed_in(*lang, Area::Cabinet, "webhook", s.who(), s.csrf)
        .with_notice(q.done.as_deref());
    render(state, cfg, l, s.partner.id, None, None, None).await
}

#[derive(Deserialize)]
pub struct WebhookForm {
    csrf: String,
    /// save, test, rotate, staff_on, staff_off or off.
    #[serde(rename = "do")]
    action: String,
    #[serde(default)]
    url: String,
}

#[handler]
pub async fn submit(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&super::super::i18n::Lang>,
    Form(form): Form<WebhookForm>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let partner_id = s.partner.id;
    let l = Layout::signed_in(*lang, Area::Cabinet, "webhook", s.who(), s.csrf.clone());
    let now = now_millis();
    match form.action.as_str() {
        "save" => {
            let url = match state.webhooks.check_url(&form.url) {
                Ok(url) => url,
                Err(problem) => {
                    let error = l.t.s(problem.key()).to_owned();
                    let typed = Some(form.url);
                    return render(state, cfg, l, partner_id, typed, Some(error), None).await;
                }
            };
            let before = state.store.webhook(partner_id).await?;
            let secret = crate::webhook::new_secret();
            let new = state
                .store
                .set_webhook(partner_id, url.as_str(), &secret, now)
                .await?;
            if new {
                let action = audit::Action::WebhookOn;
                audit::record(state, req, partner_id, &s.actor, action, url.as_str()).await;
                return Ok(done(WEBHOOK, "webhook_on"));
            }
            if let Some(old) = before.filter(|old| old.url != url.as_str()) {
                let detail = format!("{} → {}", old.url, url.as_str());
                let action = audit::Action::WebhookMoved;
                audit::record(state, req, partner_id, &s.actor, action, &detail).await;
            }
            Ok(done(WEBHOOK, "webhook_saved"))
        }
        "test" => {
            let Some(hook) = state.store.webhook(partner_id).await? else {
                return Ok(done(WEBHOOK, "webhook_off"));
            };
            let body = crate::webhook::test_payload(&s.partner.inn)?;
            let outcome = state
                .webhooks
                .post(&hook.url, &hook.secret, body, now)
                .await;
            let attempt = outcome.attempt(&hook.url, 0, true, now);
            state
                .store
                .record_webhook_attempt(partner_id, &attempt)
                .await?;
            let test = match outcome.error {
                None => (true, Attempt::result(&attempt)),
                Some(reason) => (false, reason),
            };
            render(state, cfg, l, partner_id, None, None, Some(test)).await
        }
        "rotate" => {
            let secret = crate::webhook::new_secret();
            if state
                .store
                .rotate_webhook_secret(partner_id, &secret, now)
                .await?
            {
                let action = audit::Action::WebhookSecretRotated;
                audit::record(state, req, partner_id, &s.actor, action, "").await;
            }
            Ok(done(WEBHOOK, "webhook_secret"))
        }
        "staff_on" | "staff_off" => {
            let on = form.action == "staff_on";
            if !state
                .store
                .set_webhook_staff_events(partner_id, on, now)
                .await?
            {
                return Ok(done(WEBHOOK, "webhook_off"));
            }
            let (action, key) = if on {
                (audit::Action::WebhookStaffOn, "webhook_staff_on")
            } else {
                (audit::Action::WebhookStaffOff, "webhook_staff_off")
            };
            audit::record(state, req, partner_id, &s.actor, action, "").await;
            Ok(done(WEBHOOK, key))
        }
        "off" => {
            if state.store.delete_webhook(partner_id).await? {
                let action = audit::Action::WebhookOff;
                audit::record(state, req, partner_id, &s.actor, action, "").await;
            }
            Ok(done(WEBHOOK, "webhook_off"))
        }
        _ => Err(super::super::errors::CabinetError::unknown_action()),
    }
}
