//! Settings: the partner's data, the API keys (a token shown once when issued, then only its
//! prefix; rotation with a grace period), the password and the employee registration policy.

use super::super::errors::{CabinetError, CabinetResult};
use super::super::i18n::{Lang, Tr};
use super::super::layout::{Area, Layout};
use super::super::session::PartnerSession;
use super::super::{CabinetConfig, audit, cookies, html, session};
use super::{DoneQuery, done};
use crate::domain::{Registration, now_millis};
use crate::error::Result;
use crate::phrase::stored;
use crate::service::{admins, api_keys, partners, passwords, reminders, sms_fallback};
use crate::state::{AppState, SharedState};
use crate::store::{PartnerRow, SessionKind, SmsFallback};
use askama::Template;
use poem::http::StatusCode;
use poem::web::{Data, Form, Query};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;

const SETTINGS: &str = "/cabinet/settings";

/// How long the server may keep messages, in days (0: for good).
pub const KEEP_CHOICES: [i64; 7] = [0, 30, 90, 180, 365, 730, 1825];

pub struct KeepChoice {
    pub days: i64,
    pub label: String,
    pub selected: bool,
}

fn keep_choices(t: Tr, current: i64) -> Vec<KeepChoice> {
    KEEP_CHOICES
        .iter()
        .map(|&days| KeepChoice {
            days,
            label: if days == 0 {
                t.s("settings.keep_forever").to_owned()
            } else {
                t.detail(&crate::phrase::stored::KEEP_DAYS.fill(&[&days.to_string()]))
            },
            selected: days == current,
        })
        .collect()
}

/// A delay as the settings offer it: of automatic reminders (hours), of the SMS of unread
/// messages (minutes).
pub struct DelayChoice {
    pub value: i64,
    pub label: String,
    pub selected: bool,
}

fn auto_remind_choices(t: Tr, current: i64) -> Vec<DelayChoice> {
    reminders::AUTO_HOURS
        .iter()
        .map(|&hours| DelayChoice {
            value: hours,
            label: if hours == 0 {
                t.s("settings.ack_remind_off").to_owned()
            } else {
                t.detail(&stored::REMIND_HOURS.fill(&[&hours.to_string()]))
            },
            selected: hours == current,
        })
        .collect()
}

/// The SMS of unread messages as the settings show them.
pub struct SmsView {
    /// The delays offered, in minutes (0: off).
    pub choices: Vec<DelayChoice>,
    /// For every message, not only those to be acknowledged.
    pub all: bool,
    /// The operator's limit a month (0: not offered) and how many went this month.
    pub limit: i64,
    pub sent: i64,
}

async fn sms_view(state: &AppState, t: Tr, p: &PartnerRow) -> Result<SmsView> {
    let partner_id = p.id;
    let current = state.store.sms_fallback(partner_id).await?;
    let choices = sms_fallback::MINUTES
        .iter()
        .map(|&minutes| DelayChoice {
            value: minutes,
            label: if minutes == 0 {
                t.detail(&stored::SMS_OFF.fill(&[]))
            } else {
                t.s("settings.sms_after")
                    .replace("{}", &minutes.to_string())
            },
            selected: minutes == current.minutes,
        })
        .collect();
    let month = state.time.month_key(now_millis());
    Ok(SmsView {
        choices,
        all: current.all,
        limit: sms_fallback::limit_of(&state.settings, p.sms_limit)?,
        sent: state.store.sms_sent_in(partner_id, month).await?,
    })
}

/// A registration policy as the settings offer it.
pub struct PolicyChoice {
    pub value: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub chosen: bool,
}

fn policy_choices(t: Tr, current: Registration) -> Vec<PolicyChoice> {
    Registration::ALL
        .into_iter()
        .map(|r| PolicyChoice {
            value: r.as_str(),
            label: t.s(&format!("settings.reg_{}", r.as_str())),
            hint: t.s(&format!("settings.reg_{}_hint", r.as_str())),
            chosen: r == current,
        })
        .collect()
}

/// Grace periods offered at rotation, in seconds.
const GRACE_CHOICES: [i64; 5] = [0, 3600, 86_400, 7 * 86_400, 30 * 86_400];

pub struct GraceChoice {
    pub secs: i64,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsView {
    l: Layout,
    p: PartnerRow,
    created: String,
    /// The main key's token prefix; empty when the main key is revoked.
    token_prefix: String,
    /// The main key's open-ended token, to revoke or limit to addresses; its addresses.
    main_key: Option<i64>,
    main_addresses: String,
    /// The main key's old tokens in their grace period after a rotation: id, until when.
    main_old: Vec<(i64, String)>,
    /// The other keys the company added, one for each of its systems.
    keys: Vec<KeyItem>,
    new_token: Option<String>,
    grace: Vec<GraceChoice>,
    keep: Vec<KeepChoice>,
    auto_remind: Vec<DelayChoice>,
    sms: SmsView,
    policies: Vec<PolicyChoice>,
    password_error: Option<String>,
    second_factor_on: bool,
    /// Live sessions of the account, this one included.
    sessions: i64,
    /// A named admin's own account: login and name; `None` for the company's.
    own: Option<(String, String)>,
    /// The company's named admins (shown to the company's own account).
    admins: usize,
}

/// A key that stops within this many days says so on the list and on the dashboard.
pub(super) const ENDS_SOON_DAYS: i64 = 14;

/// A live API key as the list shows it.
pub struct KeyItem {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    /// `full`, `send` or `read` (`KeyAccess::as_str`).
    pub access: &'static str,
    pub created: String,
    pub last_used: Option<String>,
    /// The end of the grace period after a rotation.
    pub until: Option<String>,
    /// The last day the key works, set by the company (as the list and the date field show it).
    pub ends: Option<String>,
    /// It stops within `ENDS_SOON_DAYS`.
    pub ends_soon: bool,
    /// The addresses it is accepted from; empty for any.
    pub addresses: String,
}

fn grace_choices(t: Tr, default_secs: i64) -> Vec<GraceChoice> {
    let mut secs: Vec<i64> = GRACE_CHOICES.to_vec();
    if !secs.contains(&default_secs) {
        secs.push(default_secs);
        secs.sort_unstable();
    }
    secs.into_iter()
        .map(|s| GraceChoice {
            secs: s,
            label: t
                .get(&format!("grace.{s}"))
                .map_or_else(|| format!("{s} s"), str::to_owned),
            selected: s == default_secs,
        })
        .collect()
}

async fn render(
    state: &SharedState,
    cfg: &CabinetConfig,
    l: Layout,
    s: PartnerSession,
    new_token: Option<String>,
    password_error: Option<String>,
) -> CabinetResult<Response> {
    let (kind, account_id) = s.account();
    let own = s.admin.map(|a| (a.login, a.name));
    let p = s.partner;
    let admins = match own {
        None => state.store.admins_of(p.id).await?.len(),
        Some(_) => 0,
    };
    let mut token_prefix = String::new();
    let mut main_key = None;
    let mut main_addresses = String::new();
    let mut main_old = Vec::new();
    let mut keys = Vec::new();
    for k in state.store.api_keys(p.id, now_millis()).await? {
        match (k.name.is_empty(), k.expires_at) {
            // The main key's open-ended token; one in its grace period is the old one.
            (true, None) => {
                token_prefix = k.prefix;
                main_key = Some(k.id);
                main_addresses = k.allowed_ips;
            }
            (true, Some(until)) => main_old.push((k.id, cfg.datetime(until))),
            (false, until) => keys.push(KeyItem {
                access: k.access().as_str(),
                ends: k.valid_until.map(|t| cfg.date(t - 1)),
                ends_soon: k
                    .valid_until
                    .is_some_and(|t| t - now_millis() < ENDS_SOON_DAYS * 86_400_000),
                id: k.id,
                name: k.name,
                prefix: k.prefix,
                created: cfg.datetime(k.created_at),
                last_used: k.last_used_at.map(|t| cfg.datetime(t)),
                until: until.map(|t| cfg.datetime(t)),
                addresses: k.allowed_ips,
            }),
        }
    }
    let keep = keep_choices(l.t, state.store.message_keep_days(p.id).await?);
    let auto_remind = auto_remind_choices(l.t, state.store.ack_remind_hours(p.id).await?);
    let sms = sms_view(state, l.t, &p).await?;
    let sessions = state
        .store
        .count_sessions(kind, account_id, crate::domain::now_millis())
        .await?;
    let second_factor_on = crate::service::second_factor::enabled(&state.store, kind, account_id)
        .await?
        .is_some();
    let status = if password_error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let view = SettingsView {
        created: cfg.datetime(p.created_at),
        token_prefix,
        main_key,
        main_addresses,
        main_old,
        keys,
        new_token,
        grace: grace_choices(l.t, cfg.token_grace_secs),
        keep,
        auto_remind,
        sms,
        policies: policy_choices(l.t, p.registration()),
        l,
        password_error,
        second_factor_on,
        sessions,
        own,
        admins,
        p,
    };
    Ok(html(view.render()).with_status(status).into_response())
}

#[handler]
pub async fn page(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
    Query(q): Query<DoneQuery>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    let l = Layout::signed_in(*lang, Area::Cabinet, "settings", s.who(), s.csrf.clone())
        .with_notice(q.done.as_deref());
    let new_token = flashed_token(req, state, cfg, s.partner.id).await?;
    render(state, cfg, l, s, new_token, None).await
}

/// The token rotated by the form just before, shown on this one page load. It is shown only if
/// it is a live token of this partner, so a planted cookie cannot make the page show anything.
async fn flashed_token(
    req: &Request,
    state: &SharedState,
    cfg: &CabinetConfig,
    partner_id: i64,
) -> CabinetResult<Option<String>> {
    let Some(token) = cookies::take_flash_token(req.cookie(), SETTINGS, cfg.secure_cookies) else {
        return Ok(None);
    };
    let owner = partners::by_token(&state.store, &token).await?;
    Ok(owner.filter(|p| p.id == partner_id).map(|_| token))
}

#[derive(Deserialize)]
pub struct RotateForm {
    csrf: String,
    grace_secs: i64,
    /// A key the company added; none for the main key.
    key: Option<i64>,
}

/// Post/redirect/get: the new token rides a one-time cookie to the settings page, which shows it
/// once; reloading that page shows just the prefix and never rotates again.
#[handler]
pub async fn rotate_token(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Form(form): Form<RotateForm>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let grace = form.grace_secs.clamp(0, 90 * 86_400);
    let pid = s.partner.id;
    let (token, name) = match form.key {
        Some(id) => {
            let (token, key) = api_keys::rotate(&state.store, pid, id, grace).await?;
            (token, key.name)
        }
        None => (
            api_keys::rotate_main(&state.store, pid, grace).await?,
            String::new(),
        ),
    };
    tracing::info!(
        partner_id = pid,
        grace_secs = grace,
        key = %name,
        "API token rotated from the cabinet"
    );
    let (action, until) = if grace > 0 {
        let until = crate::domain::now_millis() + grace * 1000;
        (audit::Action::TokenRotatedGrace, cfg.datetime(until))
    } else {
        (audit::Action::TokenRotated, String::new())
    };
    let detail = match (name.as_str(), until.is_empty()) {
        ("", _) => until,
        (name, true) => audit::key_words(name),
        (name, false) => format!("{until}; {}", audit::key_words(name)),
    };
    audit::record(state, req, pid, &s.actor, action, &detail).await;
    cookies::flash_token(req.cookie(), SETTINGS, token.expose(), cfg.secure_cookies);
    Ok(done(&format!("{SETTINGS}#token"), "token_rotated"))
}

#[derive(Deserialize)]
pub struct PasswordForm {
    csrf: String,
    current: String,
    new: String,
    confirm: String,
}

#[handler]
pub async fn change_password(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
    Form(form): Form<PasswordForm>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let l = Layout::signed_in(*lang, Area::Cabinet, "settings", s.who(), s.csrf.clone());
    let problem = if !passwords::verify(s.password_hash(), &form.current).await? {
        Some(l.t.s("settings.wrong_current").to_owned())
    } else if form.new != form.confirm {
        Some(l.t.s("settings.mismatch").to_owned())
    } else {
        passwords::check_strength(&form.new)
            .err()
            .and_then(|e| e.phrase().map(|p| l.t.phrase(p).to_owned()))
    };
    if problem.is_some() {
        return render(state, cfg, l, s, None, problem).await;
    }
    // Other browsers logged in with the old password are logged out; this one logs in again.
    match &s.admin {
        Some(a) => admins::set_own_password(&state.store, a, &form.new).await?,
        None => {
            partners::set_password(&state.store, s.partner.id, &form.new).await?;
            state
                .store
                .delete_sessions_of(SessionKind::Partner, s.partner.id)
                .await?;
        }
    }
    let (kind, account_id) = s.account();
    session::start(req, state, cfg, kind, account_id, s.working_in()).await?;
    tracing::info!(
        partner_id = s.partner.id,
        admin_id = s.admin.as_ref().map(|a| a.id),
        "cabinet password changed"
    );
    let action = audit::Action::PasswordChanged;
    audit::record(state, req, s.partner.id, &s.actor, action, "").await;
    Ok(done("/cabinet/settings", "password_changed"))
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// Logs the admin out everywhere but this browser: a session left open on another computer.
#[handler]
pub async fn end_other_sessions(
    req: &Request,
    Data(state): Data<&SharedState>,
    Form(form): Form<CsrfForm>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let (kind, account_id) = s.account();
    let ended = match session::current(req, kind) {
        Some(this) => {
            state
                .store
                .delete_other_sessions(kind, account_id, &this)
                .await?
        }
        None => 0,
    };
    tracing::info!(
        partner_id = s.partner.id,
        ended,
        "other cabinet sessions ended"
    );
    if ended > 0 {
        let action = audit::Action::OtherSessionsEnded;
        let detail = ended.to_string();
        audit::record(state, req, s.partner.id, &s.actor, action, &detail).await;
    }
    Ok(done("/cabinet/settings#sessions", "sessions_ended"))
}

/// A number a select of the page posted, if it is one of those it offers.
fn offered(raw: &str, choices: &[i64], refusal: crate::phrase::Phrase) -> CabinetResult<i64> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| choices.contains(n))
        .ok_or(CabinetError::Invalid(refusal))
}

#[derive(Deserialize)]
pub struct RetentionForm {
    csrf: String,
    days: String,
}

/// How long the server keeps the partner's messages: one of `KEEP_CHOICES`.
#[handler]
pub async fn set_retention(
    req: &Request,
    Data(state): Data<&SharedState>,
    Form(form): Form<RetentionForm>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let days = offered(
        &form.days,
        &KEEP_CHOICES,
        phrase!(
            "Срок хранения — один из предложенных",
            "The retention must be one of those offered"
        ),
    )?;
    let before = state.store.message_keep_days(s.partner.id).await?;
    state
        .store
        .set_message_keep_days(s.partner.id, days)
        .await?;
    if days != before {
        let detail = if days == 0 {
            crate::phrase::stored::KEEP_FOREVER.fill(&[])
        } else {
            crate::phrase::stored::KEEP_DAYS.fill(&[&days.to_string()])
        };
        let action = audit::Action::RetentionChanged;
        audit::record(state, req, s.partner.id, &s.actor, action, &detail).await;
    }
    Ok(done("/cabinet/settings", "retention_saved"))
}

#[derive(Deserialize)]
pub struct AutoRemindForm {
    csrf: String,
    hours: String,
}

/// The partner's automatic reminders to acknowledge: one of `reminders::AUTO_HOURS`.
#[handler]
pub async fn set_auto_reminders(
    req: &Request,
    Data(state): Data<&SharedState>,
    Form(form): Form<AutoRemindForm>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let hours = offered(
        &form.hours,
        &reminders::AUTO_HOURS,
        phrase!(
            "Время напоминания — одно из предложенных",
            "The reminder's delay must be one of those offered"
        ),
    )?;
    let before = state.store.ack_remind_hours(s.partner.id).await?;
    if hours != before {
        state
            .store
            .set_ack_remind_hours(s.partner.id, hours, now_millis())
            .await?;
        let detail = if hours == 0 {
            stored::REMIND_OFF.fill(&[])
        } else {
            stored::REMIND_HOURS.fill(&[&hours.to_string()])
        };
        let action = audit::Action::AutoRemindersChanged;
        audit::record(state, req, s.partner.id, &s.actor, action, &detail).await;
    }
    Ok(done(SETTINGS, "auto_reminders_saved"))
}

#[derive(Deserialize)]
pub struct SmsFallbackForm {
    csrf: String,
    minutes: String,
    /// `all` for every message; anything else: those to be acknowledged.
    #[serde(default)]
    scope: String,
}

/// The partner's SMS of unread messages: a delay of `sms_fallback::MINUTES`, and for which
/// messages. Refused while the operator offers none.
#[handler]
pub async fn set_sms_fallback(
    req: &Request,
    Data(state): Data<&SharedState>,
    Form(form): Form<SmsFallbackForm>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let minutes = offered(
        &form.minutes,
        &sms_fallback::MINUTES,
        phrase!(
            "Время до SMS — одно из предложенных",
            "The delay before the SMS must be one of those offered"
        ),
    )?;
    if minutes > 0 && sms_fallback::limit_of(&state.settings, s.partner.sms_limit)? == 0 {
        return Err(CabinetError::Invalid(phrase!(
            "Оператор сервиса не подключил SMS для непрочитанных сообщений",
            "The service's operator has not enabled SMS of unread messages"
        )));
    }
    let wanted = SmsFallback {
        minutes,
        all: form.scope == "all",
    };
    let before = state.store.sms_fallback(s.partner.id).await?;
    // Off is off whichever messages it was for.
    if wanted != before && (wanted.minutes > 0 || before.minutes > 0) {
        state
            .store
            .set_sms_fallback(s.partner.id, wanted, now_millis())
            .await?;
        let detail = if minutes == 0 {
            stored::SMS_OFF.fill(&[])
        } else {
            let which = if wanted.all {
                stored::SMS_FOR_ALL.fill(&[])
            } else {
                stored::SMS_FOR_ACK.fill(&[])
            };
            stored::SMS_AFTER.fill(&[&minutes.to_string(), &which])
        };
        let action = audit::Action::SmsFallbackChanged;
        audit::record(state, req, s.partner.id, &s.actor, action, &detail).await;
    }
    Ok(done(SETTINGS, "sms_fallback_saved"))
}

#[derive(Deserialize)]
pub struct PolicyForm {
    csrf: String,
    #[serde(default)]
    registration: String,
}

/// The journal's entries for a change of policy: each of its two switches that moved.
fn policy_actions(old: Registration, new: Registration) -> Vec<audit::Action> {
    let ((old_approval, old_list), (approval, list)) = (old.flags(), new.flags());
    let mut actions = Vec::new();
    if list != old_list {
        actions.push(match list {
            true => audit::Action::ListOnlyOn,
            false => audit::Action::ListOnlyOff,
        });
    }
    if approval != old_approval {
        actions.push(match approval {
            true => audit::Action::ApprovalOn,
            false => audit::Action::ApprovalOff,
        });
    }
    actions
}

#[handler]
pub async fn set_policy(
    req: &Request,
    Data(state): Data<&SharedState>,
    Form(form): Form<PolicyForm>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    session::check_csrf(&s.csrf, &form.csrf)?;
    let policy = Registration::parse(&form.registration).ok_or_else(|| {
        CabinetError::Invalid(phrase!(
            "Выберите, кто может зарегистрироваться",
            "Choose who may register"
        ))
    })?;
    state.store.set_registration(s.partner.id, policy).await?;
    for action in policy_actions(s.partner.registration(), policy) {
        audit::record(state, req, s.partner.id, &s.actor, action, "").await;
    }
    Ok(done("/cabinet/settings", "policy_saved"))
}
