//! Turning the login code on and off: the cabinet's admin (`/cabinet/settings/2fa`) and the
//! operator (`/operator/2fa`) alike. Off, the page shows a staged secret as a QR code and as
//! text, and takes the password and a first code; on, it takes both to turn it off.

use super::super::errors::{CabinetError, CabinetResult};
use super::super::i18n::Lang;
use super::super::layout::{Area, Layout, Who};
use super::super::{CabinetConfig, audit, html, session};
use super::done;
use crate::domain::Millis;
use crate::service::{passwords, second_factor};
use crate::state::SharedState;
use crate::store::SessionKind;
use askama::Template;
use poem::http::StatusCode;
use poem::web::{Data, Form};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;

/// The account behind the session, as the page needs it.
struct Account {
    /// The account's own kind: the company's, a named admin's, or the operator's.
    kind: SessionKind,
    id: i64,
    /// The INN, the named admin's login or the operator's: what the authenticator app shows.
    name: String,
    /// The page header's: who is logged in (a viewer's pages say so).
    who: Who,
    password_hash: String,
    csrf: String,
    /// Where the account's actions go: the company's journal (with whom it names), or the
    /// operator's.
    partner_id: Option<i64>,
    actor: String,
}

impl Account {
    async fn of(req: &Request, state: &SharedState, area: SessionKind) -> CabinetResult<Self> {
        Ok(match area {
            SessionKind::Operator => {
                let s = session::operator(req, state).await?;
                Self {
                    kind: area,
                    id: s.operator.id,
                    who: s.operator.login.clone().into(),
                    actor: audit::operator(&s.operator.login),
                    name: s.operator.login,
                    password_hash: s.operator.password_hash,
                    csrf: s.csrf,
                    partner_id: None,
                }
            }
            _ => {
                let s = session::partner(req, state).await?;
                let (kind, id) = s.account();
                Self {
                    kind,
                    id,
                    name: s
                        .admin
                        .as_ref()
                        .map_or_else(|| s.partner.inn.clone(), |a| a.login.clone()),
                    who: s.who(),
                    password_hash: s.password_hash().to_owned(),
                    partner_id: Some(s.partner.id),
                    actor: s.actor,
                    csrf: s.csrf,
                }
            }
        })
    }

    /// The page's own address.
    fn page(&self) -> &'static str {
        match self.kind {
            SessionKind::Operator => "/operator/2fa",
            _ => "/cabinet/settings/2fa",
        }
    }

    fn layout(&self, lang: Lang) -> Layout {
        let (area, nav) = match self.kind {
            SessionKind::Operator => (Area::Operator, "security"),
            _ => (Area::Cabinet, "settings"),
        };
        let l = Layout::signed_in(lang, area, nav, self.who.clone(), self.csrf.clone());
        let title = l.t.s("tfa.title");
        l.with_title(title)
    }

    /// Records the change where the account's actions go: the company's journal, or the
    /// operator's.
    async fn journal(&self, state: &SharedState, req: &Request, action: audit::Action) {
        match self.partner_id {
            Some(id) => audit::record(state, req, id, &self.actor, action, "").await,
            None => audit::for_operator(state, req, &self.actor, None, action, "").await,
        }
    }
}

#[derive(Template)]
#[template(path = "second_factor.html")]
struct SecondFactorView {
    l: Layout,
    action_base: &'static str,
    /// On since then; `None` while off.
    enabled_at: Option<String>,
    /// Off: what to add to the app.
    setup: Option<second_factor::Setup>,
    /// Just turned on: the recovery codes, shown this once.
    recovery: Vec<String>,
    error: Option<String>,
}

async fn render(
    state: &SharedState,
    cfg: &CabinetConfig,
    lang: Lang,
    a: &Account,
    error: Option<String>,
    done_key: Option<&str>,
    recovery: Vec<String>,
) -> CabinetResult<Response> {
    let on = second_factor::enabled(&state.store, a.kind, a.id).await?;
    let setup = match on {
        Some(_) => None,
        None => second_factor::staged(&state.store, a.kind, a.id, &a.name).await?,
    };
    let status = match error {
        Some(_) => StatusCode::BAD_REQUEST,
        None => StatusCode::OK,
    };
    let view = SecondFactorView {
        l: a.layout(lang).with_notice(done_key),
        action_base: a.page(),
        enabled_at: on.map(|f| cfg.datetime(f.enabled_at.unwrap_or_default() as Millis)),
        setup,
        recovery,
        error,
    };
    Ok(html(view.render()).with_status(status).into_response())
}

#[derive(Deserialize)]
pub struct DoneParam {
    done: Option<String>,
}

async fn page(
    req: &Request,
    state: &SharedState,
    cfg: &CabinetConfig,
    lang: Lang,
    kind: SessionKind,
    done_key: Option<&str>,
) -> CabinetResult<Response> {
    let a = Account::of(req, state, kind).await?;
    render(state, cfg, lang, &a, None, done_key, Vec::new()).await
}

#[derive(Deserialize)]
pub struct CodeForm {
    csrf: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
}

/// The account behind the session, the form's CSRF token checked and its password right; the
/// page again, saying so, when the password is wrong.
async fn with_password(
    req: &Request,
    state: &SharedState,
    cfg: &CabinetConfig,
    lang: Lang,
    kind: SessionKind,
    form: &CodeForm,
) -> CabinetResult<Result<Account, Response>> {
    let a = Account::of(req, state, kind).await?;
    session::check_csrf(&a.csrf, &form.csrf)?;
    if passwords::verify(&a.password_hash, &form.password).await? {
        return Ok(Ok(a));
    }
    let wrong = a.layout(lang).t.s("settings.wrong_current").to_owned();
    Ok(Err(render(
        state,
        cfg,
        lang,
        &a,
        Some(wrong),
        None,
        Vec::new(),
    )
    .await?))
}

/// Turns the login code on (`on`) or off, given the password and a right code; the page again
/// with what was wrong otherwise.
async fn switch(
    req: &Request,
    state: &SharedState,
    cfg: &CabinetConfig,
    lang: Lang,
    kind: SessionKind,
    on: bool,
    form: CodeForm,
) -> CabinetResult<Response> {
    let a = match with_password(req, state, cfg, lang, kind, &form).await? {
        Ok(a) => a,
        Err(page) => return Ok(page),
    };
    let l = a.layout(lang);
    // A code required stays: the company's main account lifts its own requirement, the
    // operator theirs.
    if let (false, Some(pid)) = (on, a.partner_id) {
        // A named admin's code serves every company they enter: any of them requiring it
        // keeps it on, their own or one whose access they accepted.
        let policy = match a.kind {
            SessionKind::Admin => {
                (state.store.code_required_of_admin(a.id).await?).unwrap_or_default()
            }
            _ => state.store.code_policy(pid).await?,
        };
        let refused = match (policy.by_operator, policy.by_company) {
            (true, _) => Some("tfa.imposed"),
            (false, true) => Some("tfa.required"),
            (false, false) => None,
        };
        if let Some(key) = refused {
            let refused = l.t.s(key).to_owned();
            return render(state, cfg, lang, &a, Some(refused), None, Vec::new()).await;
        }
    }
    // Turned on: its recovery codes; turned off: none.
    let switched: Option<Vec<String>> = match (
        on,
        second_factor::enabled(&state.store, a.kind, a.id).await?,
    ) {
        (true, None) => second_factor::enable(&state.store, a.kind, a.id, &form.code).await?,
        (false, Some(f)) => {
            let verified = second_factor::verify(&state.store, a.kind, a.id, &f, &form.code);
            (verified.await? != second_factor::Verified::No
                && state.store.remove_second_factor(a.kind, a.id).await?)
                .then(Vec::new)
        }
        // Already as asked (a form sent twice): nothing to change.
        (true, Some(_)) | (false, None) => return Ok(done(a.page(), "tfa_unchanged")),
    };
    let Some(recovery) = switched else {
        let wrong = l.t.s("tfa.wrong_code").to_owned();
        return render(state, cfg, lang, &a, Some(wrong), None, Vec::new()).await;
    };
    let (action, key) = match on {
        true => (audit::Action::SecondFactorOn, "tfa_on"),
        false => (audit::Action::SecondFactorOff, "tfa_off"),
    };
    tracing::info!(
        kind = a.kind.as_str(),
        subject_id = a.id,
        on,
        "login code switched"
    );
    a.journal(state, req, action).await;
    if on {
        // The recovery codes in this answer and never again: no redirect to lose them in, and
        // a reload sends the form again, which now changes nothing.
        return render(state, cfg, lang, &a, None, Some(key), recovery).await;
    }
    Ok(done(a.page(), key))
}

/// Ten new recovery codes in place of the old, given the password and a right code (the app's
/// or one of the old recovery codes), shown in the answer once.
async fn renew(
    req: &Request,
    state: &SharedState,
    cfg: &CabinetConfig,
    lang: Lang,
    kind: SessionKind,
    form: CodeForm,
) -> CabinetResult<Response> {
    let a = match with_password(req, state, cfg, lang, kind, &form).await? {
        Ok(a) => a,
        Err(page) => return Ok(page),
    };
    let l = a.layout(lang);
    let renewed = second_factor::renew_recovery_codes(&state.store, a.kind, a.id, &form.code);
    let Some(codes) = renewed.await? else {
        let wrong = l.t.s("tfa.wrong_code").to_owned();
        return render(state, cfg, lang, &a, Some(wrong), None, Vec::new()).await;
    };
    a.journal(state, req, audit::Action::RecoveryCodesRenewed)
        .await;
    render(state, cfg, lang, &a, None, Some("tfa_recovery"), codes).await
}

// One handler per action for both areas: the route gives the area's kind of account.

#[handler]
pub async fn page_of(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
    Data(kind): Data<&SessionKind>,
    poem::web::Query(q): poem::web::Query<DoneParam>,
) -> CabinetResult<Response> {
    page(req, state, cfg, *lang, *kind, q.done.as_deref()).await
}

/// The page's forms, by the last part of their address: `on`, `off` or `recovery`.
#[handler]
pub async fn act(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
    Data(kind): Data<&SessionKind>,
    poem::web::Path(action): poem::web::Path<String>,
    Form(form): Form<CodeForm>,
) -> CabinetResult<Response> {
    match action.as_str() {
        "on" => switch(req, state, cfg, *lang, *kind, true, form).await,
        "off" => switch(req, state, cfg, *lang, *kind, false, form).await,
        "recovery" => renew(req, state, cfg, *lang, *kind, form).await,
        _ => Err(CabinetError::NotFound),
    }
}
