//! The web cabinet of the partner's admin (`/cabinet`) and the service operator's area
//! (`/operator`): server-rendered askama pages, a little progressive JavaScript, no build step.

pub mod audit;
mod cookies;
mod csrf;
pub mod errors;
mod headers;
pub mod i18n;
mod layout;
mod read_only;
mod session;
mod views;

use crate::config::{Knob, Settings};
use crate::error::{Error, Result};
use crate::state::SharedState;
use crate::store::SessionKind;
use chrono::{TimeZone, Utc};
use chrono_tz::Tz;
use i18n::Lang;
use poem::endpoint::make_sync;
use poem::middleware::CookieJarManager;
use poem::web::Html;
use poem::{Endpoint, EndpointExt, IntoResponse, Request, Response, Route, get, post};

/// The cabinet's settings (TOML keys; `SIMO_` + upper case in the environment).
pub const KNOBS: &[Knob] = &[
    Knob {
        key: "cabinet_session_ttl_secs",
        default: "43200",
        help: "how long a cabinet or operator login lasts",
    },
    Knob {
        key: "cabinet_login_max_failures",
        default: "5",
        help: "failed cabinet logins per login within the window before refusing",
    },
    Knob {
        key: "cabinet_login_max_failures_per_ip",
        default: "30",
        help: "failed cabinet logins per client address within the window",
    },
    Knob {
        key: "cabinet_login_window_secs",
        default: "900",
        help: "the window failed logins are counted in",
    },
    Knob {
        key: "cabinet_token_grace_secs",
        default: "86400",
        help: "default time the old API token keeps working after a rotation",
    },
    Knob {
        key: "cabinet_page_size",
        default: "50",
        help: "rows per page of the cabinet's message and employee lists",
    },
    Knob {
        key: "cabinet_journal_keep_days",
        default: "0",
        help: "journal entries older than this many days are deleted (hourly); 0 keeps them all",
    },
];

/// The cabinet's settings, parsed once at start-up.
#[derive(Debug, Clone)]
pub struct CabinetConfig {
    pub session_ttl_secs: i64,
    pub throttle: crate::service::accounts::Throttle,
    pub token_grace_secs: i64,
    pub page_size: i64,
    /// Journal entries are deleted after this many days; 0 keeps them.
    pub journal_keep_days: i64,
    /// Cookies get `Secure` when users reach us over HTTPS.
    pub secure_cookies: bool,
    pub zone: Tz,
    /// Pages being made at once (see `in_turn`), shared by the cabinet and the operator's area.
    pub turns: std::sync::Arc<tokio::sync::Semaphore>,
}

/// A non-negative number knob (a negative one is refused as not a valid number).
fn knob(settings: &Settings, key: &str) -> Result<i64> {
    let n: u64 = settings.module_number(key)?;
    i64::try_from(n)
        .map_err(|_| Error::Config(format!("SIMO_{}: too large: {n}", key.to_ascii_uppercase())))
}

impl CabinetConfig {
    pub fn from_settings(s: &Settings) -> Result<Self> {
        Ok(Self {
            session_ttl_secs: knob(s, "cabinet_session_ttl_secs")?.max(60),
            throttle: crate::service::accounts::Throttle {
                max_per_login: knob(s, "cabinet_login_max_failures")?.max(1),
                max_per_ip: knob(s, "cabinet_login_max_failures_per_ip")?.max(1),
                window_secs: knob(s, "cabinet_login_window_secs")?.max(1),
            },
            token_grace_secs: knob(s, "cabinet_token_grace_secs")?,
            page_size: knob(s, "cabinet_page_size")?.clamp(5, 500),
            journal_keep_days: knob(s, "cabinet_journal_keep_days")?.min(100 * 366),
            secure_cookies: s.public_url.starts_with("https://"),
            zone: s
                .timezone
                .parse()
                .map_err(|_| Error::Config(format!("unknown time zone {}", s.timezone)))?,
            turns: std::sync::Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            )),
        })
    }

    /// `2026-11-23 16:47` in the configured zone.
    pub fn datetime(&self, millis: i64) -> String {
        self.local(millis).format("%Y-%m-%d %H:%M").to_string()
    }

    /// `2026-11-23T16:47` in the configured zone: the value of a `datetime-local` input.
    pub fn input_datetime(&self, millis: i64) -> String {
        self.local(millis).format("%Y-%m-%dT%H:%M").to_string()
    }

    /// `2026-11-23 16:47:05` in the configured zone, for exports.
    pub fn timestamp(&self, millis: i64) -> String {
        self.local(millis).format("%Y-%m-%d %H:%M:%S").to_string()
    }

    pub fn date(&self, millis: i64) -> String {
        self.local(millis).format("%Y-%m-%d").to_string()
    }

    /// The month (local zone) that holds `millis`, as (year, month).
    pub fn month_of(&self, millis: i64) -> (i32, u32) {
        use chrono::Datelike;
        let d = self.local(millis);
        (d.year(), d.month())
    }

    /// The first millisecond of a month in the local zone, and of the month after it; `None`
    /// for a month chrono cannot place.
    pub fn month_bounds(&self, year: i32, month: u32) -> Option<(i64, i64)> {
        let start = |y: i32, m: u32| {
            chrono::NaiveDate::from_ymd_opt(y, m, 1)?
                .and_hms_opt(0, 0, 0)?
                .and_local_timezone(self.zone)
                .earliest()
                .map(|t| t.timestamp_millis())
        };
        let (ny, nm) = if month == 12 {
            (year + 1, 1)
        } else {
            (year, month + 1)
        };
        Some((start(year, month)?, start(ny, nm)?))
    }

    fn local(&self, millis: i64) -> chrono::DateTime<Tz> {
        Utc.timestamp_millis_opt(millis)
            .single()
            .unwrap_or_default()
            .with_timezone(&self.zone)
    }

    /// The zone's offset from UTC now, for counting messages per local day.
    pub fn offset_ms(&self) -> i64 {
        use chrono::Offset;
        self.local(crate::domain::now_millis())
            .offset()
            .fix()
            .local_minus_utc() as i64
            * 1000
    }
}

/// A rendered template as an HTML response; a template that fails to render is our bug.
pub(crate) fn html(rendered: askama::Result<String>) -> Response {
    match rendered {
        Ok(body) => Html(body).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed to render");
            "Internal error"
                .with_status(poem::http::StatusCode::INTERNAL_SERVER_ERROR)
                .into_response()
        }
    }
}

/// Picks the language (`?lang=` remembered in a cookie, else the cookie, else Russian).
async fn language<E: Endpoint>(next: E, mut req: Request) -> poem::Result<Response> {
    let asked = req
        .uri()
        .query()
        .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
        .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "lang"))
        .and_then(|(_, v)| Lang::parse(&v));
    let lang = match asked {
        Some(l) => {
            let secure = req
                .data::<CabinetConfig>()
                .is_some_and(|c| c.secure_cookies);
            cookies::lang(req.cookie(), l.code(), secure);
            l
        }
        None => cookies::value(req.cookie(), cookies::LANG)
            .and_then(|v| Lang::parse(&v))
            .unwrap_or_default(),
    };
    req.extensions_mut().insert(lang);
    next.call(req).await.map(IntoResponse::into_response)
}

/// Makes the pages that read the partner's whole staff  one per core at a time,
/// whatever the number of admins. Such a page of a large company holds its staff while it is
/// made (about 25 MB at 111,000 employees): six admins at once took the server to 323 MB, and
/// the cores make no more pages a second by interleaving more of them. The others wait their
/// turn, a page's time (~0.1 s). The turn ends with the handler: a CSV download streams its
/// pages after it. Pages that wait on the network (the webhook's test) are not among them.
async fn in_turn<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let turns = req.data::<CabinetConfig>().map(|c| c.turns.clone());
    let _turn = match turns {
        Some(turns) => Some(turns.acquire_owned().await.map_err(|e| {
            poem::Error::from_string(e.to_string(), poem::http::StatusCode::SERVICE_UNAVAILABLE)
        })?),
        None => None,
    };
    next.call(req).await.map(IntoResponse::into_response)
}

const APP_CSS: &str = include_str!("static/app.css");
const APP_JS: &str = include_str!("static/app.js");

fn asset(body: &'static str, content_type: &'static str) -> impl Endpoint {
    make_sync(move |_| {
        body.with_content_type(content_type)
            .with_header("cache-control", "public, max-age=3600")
    })
}

/// Wraps an area's routes: language, error pages, security headers, cookies.
fn area(
    route: Route,
    root: &'static str,
    state: &SharedState,
    cfg: &CabinetConfig,
) -> impl Endpoint + use<> {
    route
        .around(read_only::guard)
        .around(crate::serve::body_in_time)
        .around(errors::render_errors)
        .around(language)
        .around(headers::security_headers)
        .with(CookieJarManager::new())
        .data(errors::AreaRoot(root))
        .data(cfg.clone())
        .data(state.clone())
}

/// `/cabinet`: the partner admin's pages.
pub fn cabinet_routes(state: &SharedState, cfg: &CabinetConfig) -> impl Endpoint + use<> {
    use views::{
        access, admins, api_keys, company_files, dashboard, docs, employee, employees, groups,
        journal, login, messages, messages_export, scheduled, second_factor, send, settings,
        staff_add, templates, webhook,
    };
    let route = Route::new()
        .at("/", get(dashboard::page))
        .at(
            "/login",
            get(login::partner_page).post(login::partner_submit),
        )
        .at(
            "/login/code",
            get(login::code_form)
                .post(login::code_sent)
                .data(SessionKind::Partner),
        )
        .at(
            "/login/setup",
            get(login::setup_form).post(login::setup_sent),
        )
        .at("/logout", post(login::partner_logout))
        .at("/employees", get(employees::list).around(in_turn))
        .at("/employees.csv", get(employees::export).around(in_turn))
        .at("/employees/bulk", post(employees::bulk).around(in_turn))
        .at("/employees/invite", post(employees::invite))
        .at(
            "/employees/add",
            get(staff_add::page).post(staff_add::submit),
        )
        .at(
            "/groups",
            get(groups::page).post(groups::submit).around(in_turn),
        )
        .at("/employees/:id", get(employee::page))
        .at("/employees/:id/state", post(employees::set_state))
        .at("/employees/:id/rename", post(employees::rename))
        .at(
            "/employees/:id/delete",
            get(employees::confirm_delete).post(employees::delete),
        )
        .at("/messages", get(messages::list).around(in_turn))
        .at(
            "/messages.csv",
            get(messages_export::export).around(in_turn),
        )
        .at("/messages/:id", get(messages::show))
        .at("/messages/:id/files/:file", get(messages::file))
        .at("/files", get(company_files::page))
        .at("/files/:id", get(company_files::file))
        .at("/messages/:id/recall", post(messages::recall))
        .at("/messages/:id/resend", post(messages::resend))
        .at("/messages/:id/remind", post(messages::remind))
        .at("/messages/resend", post(messages::resend_found))
        .at("/messages/remind", post(messages::remind_found))
        .at("/messages/recall", post(messages::recall_found))
        .at("/send", get(send::page).post(send::submit).around(in_turn))
        .at("/scheduled", get(scheduled::page))
        .at("/scheduled/cancel", post(scheduled::cancel))
        .at("/scheduled/:id/files/:file", get(scheduled::file))
        .at("/scheduled/:id/messages", get(scheduled::messages))
        .at(
            "/scheduled/:id/edit",
            get(scheduled::edit_form).post(scheduled::edit),
        )
        .at("/templates", get(templates::page).post(templates::submit))
        .at("/settings", get(settings::page))
        .at("/settings/token", post(settings::rotate_token))
        .at("/settings/keys", post(api_keys::add))
        .at("/settings/keys/:id/revoke", post(api_keys::revoke))
        .at("/settings/keys/:id/end", post(api_keys::set_end))
        .at("/settings/keys/:id/access", post(api_keys::set_access))
        .at("/settings/keys/:id/end-old", post(api_keys::end_old))
        .at(
            "/settings/keys/:id/addresses",
            post(api_keys::set_addresses),
        )
        .at("/settings/password", post(settings::change_password))
        .at("/settings/sessions", post(settings::end_other_sessions))
        .at("/settings/admins", get(admins::page).post(admins::add))
        .at("/settings/admins/policy", post(admins::set_policy))
        .at("/settings/admins/:id/:action", post(admins::act))
        .at("/settings/admins/access", post(admins::grant))
        .at(
            "/settings/admins/access/:id/:action",
            post(admins::guest_act),
        )
        .at("/access", get(access::page))
        .at("/access/enter", post(access::enter))
        .at("/access/:id/:action", post(access::act))
        .at(
            "/settings/2fa",
            get(second_factor::page_of).data(SessionKind::Partner),
        )
        .at(
            "/settings/2fa/:action",
            post(second_factor::act).data(SessionKind::Partner),
        )
        .at("/settings/policy", post(settings::set_policy))
        .at("/settings/retention", post(settings::set_retention))
        .at(
            "/settings/ack-reminders",
            post(settings::set_auto_reminders),
        )
        .at("/settings/sms-fallback", post(settings::set_sms_fallback))
        .at("/webhook", get(webhook::page).post(webhook::submit))
        .at("/journal", get(journal::page))
        .at("/journal.csv", get(journal::export))
        .at("/docs", get(docs::page))
        .at("/static/app.css", asset(APP_CSS, "text/css; charset=utf-8"))
        .at(
            "/static/app.js",
            asset(APP_JS, "text/javascript; charset=utf-8"),
        );
    area(route, "/cabinet", state, cfg)
}

/// `/operator`: the service operator's pages.
pub fn operator_routes(state: &SharedState, cfg: &CabinetConfig) -> impl Endpoint + use<> {
    use views::{login, operator, operator_journal, second_factor, usage};
    let route = Route::new()
        .at("/", get(operator::list))
        .at(
            "/login",
            get(login::operator_page).post(login::operator_submit),
        )
        .at(
            "/login/code",
            get(login::code_form)
                .post(login::code_sent)
                .data(SessionKind::Operator),
        )
        .at("/logout", post(login::operator_logout))
        .at("/partners", post(operator::create_partner))
        .at("/partners/:id/disabled", post(operator::set_disabled))
        .at("/partners/:id/password", post(operator::reset_password))
        .at("/partners/:id/names", post(operator::rename))
        .at("/partners/:id/rate", post(operator::set_rate))
        .at("/partners/:id/sms-limit", post(operator::set_sms_limit))
        .at("/partners/:id/file-room", post(operator::set_file_room))
        .at("/partners/:id/code", post(operator::set_code_policy))
        .at("/partners/:id/erase", post(operator::erase))
        .at("/usage", get(usage::page))
        .at("/usage.csv", get(usage::export))
        .at(
            "/2fa",
            get(second_factor::page_of).data(SessionKind::Operator),
        )
        .at(
            "/2fa/:action",
            post(second_factor::act).data(SessionKind::Operator),
        )
        .at("/journal", get(operator_journal::page))
        .at("/journal.csv", get(operator_journal::export));
    area(route, "/operator", state, cfg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// However many requests come at once, no more pages are made at a time than there are
    /// turns, and every turn is given back.
    #[tokio::test]
    async fn pages_in_turn_are_made_as_many_at_a_time_as_there_are_turns() {
        let now = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let (n, m) = (now.clone(), most.clone());
        let page = poem::endpoint::make(move |_| {
            let (n, m) = (n.clone(), m.clone());
            async move {
                let at_once = n.fetch_add(1, Ordering::SeqCst) + 1;
                m.fetch_max(at_once, Ordering::SeqCst);
                // Long enough for the other requests to arrive while this one is made.
                tokio::time::sleep(std::time::Duration::from_millis(30)).await;
                n.fetch_sub(1, Ordering::SeqCst);
                "page"
            }
        });
        let mut cfg = CabinetConfig::from_settings(&Settings::default()).unwrap();
        cfg.turns = Arc::new(tokio::sync::Semaphore::new(2));
        let turns = cfg.turns.clone();
        let app = Route::new().at("/", page.around(in_turn)).data(cfg);
        let requests = (0..6).map(|_| app.call(Request::builder().uri_str("/").finish()));
        for resp in futures_util::future::join_all(requests).await {
            assert!(resp.unwrap().status().is_success());
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
        assert_eq!(turns.available_permits(), 2);
    }
}
