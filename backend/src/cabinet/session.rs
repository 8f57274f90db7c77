//! Browser sessions: a random cookie whose hash names a row in `cabinet_sessions`, with the
//! session's CSRF token beside it.

use super::CabinetConfig;
use super::audit;
use super::cookies;
use super::csrf;
use super::errors::{CabinetError, CabinetResult};
use super::layout::Who;
use crate::domain::{TokenHash, now_millis};
use crate::state::AppState;
use crate::store::{
    AccessRow, AdminRow, Awaiting, ChallengeRow, HR, NewChallenge, NewSession, OfferedAccess,
    OperatorRow, PartnerRow, SENDER, SessionKind, VIEWER,
};
use poem::Request;

/// A logged-in partner admin: the company's own account or a named admin.
pub struct PartnerSession {
    /// The company worked in: the account's own, or the one a named admin's access opens.
    pub partner: PartnerRow,
    /// `None` for the company's own account (its INN). The person, as their own company keeps
    /// them (`partner_id` is that company even while they work in another).
    pub admin: Option<AdminRow>,
    /// A named admin working in another company: their access there, whose role counts.
    pub access: Option<AccessRow>,
    /// The accesses to other companies given to a named admin, waiting or accepted.
    pub offers: Vec<OfferedAccess>,
    pub csrf: String,
    /// Whom the journal names: `audit::ADMIN` or `audit::admin(login)`.
    pub actor: String,
}

impl PartnerSession {
    /// The account: its kind and id, as sessions and second factors key it.
    pub fn account(&self) -> (SessionKind, i64) {
        crate::service::accounts::account_of(self.partner.id, self.admin.as_ref())
    }

    pub fn password_hash(&self) -> &str {
        self.admin
            .as_ref()
            .map_or(&self.partner.password_hash, |a| &a.password_hash)
    }

    /// The company's own account, which alone manages the named admins.
    pub fn is_main(&self) -> bool {
        self.admin.is_none()
    }

    /// A named admin's right in the company worked in: their access's in another company.
    fn role(&self) -> Option<&str> {
        match (&self.access, &self.admin) {
            (Some(x), _) => Some(&x.role),
            (None, Some(a)) => Some(&a.role),
            (None, None) => None,
        }
    }

    /// A viewer: reads the cabinet, changes nothing.
    pub fn read_only(&self) -> bool {
        self.role() == Some(VIEWER)
    }

    /// A sender: reads the cabinet, sends messages, changes nothing else.
    pub fn sends_only(&self) -> bool {
        self.role() == Some(SENDER)
    }

    /// An HR officer: everything but the company's settings and webhook.
    pub fn no_settings(&self) -> bool {
        self.role() == Some(HR)
    }

    /// The company a named admin's session works in when it is not their own.
    pub fn working_in(&self) -> Option<i64> {
        self.access.as_ref().map(|x| x.partner_id)
    }

    /// Whether they may undo or change (recall, cancel, change a scheduled one) a send made by
    /// `sent_by` (the journal's actor): with full rights any; a sender only their own, not a
    /// colleague's work.
    pub fn may_undo(&self, sent_by: Option<&str>) -> bool {
        !self.sends_only() || sent_by == Some(self.actor.as_str())
    }

    /// Who is logged in, for the page's header: the INN, or the admin's login and the INN.
    pub fn who(&self) -> Who {
        Who {
            label: match &self.admin {
                // One who works in several companies sees which one by its name too, not by
                // an INN alone: a send goes to the company shown.
                Some(a) if self.offers.iter().any(|o| o.access.accepted_at.is_some()) => {
                    let p = &self.partner;
                    format!("{} · {} · {}", a.login, p.inn, p.short_name)
                }
                Some(a) => format!("{} · {}", a.login, self.partner.inn),
                None => self.partner.inn.clone(),
            },
            read_only: self.read_only(),
            sends_only: self.sends_only(),
            no_settings: self.no_settings(),
            companies: (!self.offers.is_empty()).then(|| {
                let waiting = self
                    .offers
                    .iter()
                    .filter(|o| o.access.accepted_at.is_none());
                waiting.count()
            }),
        }
    }
}

pub struct OperatorSession {
    pub operator: OperatorRow,
    pub csrf: String,
}

fn names(kind: SessionKind) -> (&'static str, &'static str) {
    match kind.area() {
        SessionKind::Operator => (cookies::OPERATOR_SESSION, "/operator"),
        _ => (cookies::PARTNER_SESSION, "/cabinet"),
    }
}

/// Starts a session and sets its cookie; a named admin's in another company with `partner_id`.
pub async fn start(
    req: &Request,
    state: &AppState,
    cfg: &CabinetConfig,
    kind: SessionKind,
    subject_id: i64,
    partner_id: Option<i64>,
) -> CabinetResult<()> {
    let token = csrf::new_token();
    let now = now_millis();
    let csrf_token = csrf::new_token();
    state
        .store
        .create_session(&NewSession {
            token: &TokenHash::of(&token),
            kind,
            subject_id,
            csrf_token: &csrf_token,
            now,
            expires_at: now + cfg.session_ttl_secs * 1000,
            partner_id,
        })
        .await?;
    if kind == SessionKind::Admin && partner_id.is_none() {
        state.store.admin_logged_in(subject_id, now).await?;
    }
    let (name, path) = names(kind);
    cookies::session(
        req.cookie(),
        name,
        path,
        &token,
        cfg.session_ttl_secs,
        cfg.secure_cookies,
    );
    cookies::remove(req.cookie(), cookies::LOGIN_CSRF, path, cfg.secure_cookies);
    Ok(())
}

/// How long a login waits for its code: the app shows a new one every 30 seconds.
const CHALLENGE_TTL_SECS: i64 = 300;

/// Makes a login whose password was right wait for its code: a cookie naming the account for
/// five minutes, which opens nothing but the code's form. The login form's token stays for it.
pub async fn challenge(
    req: &Request,
    state: &AppState,
    cfg: &CabinetConfig,
    kind: SessionKind,
    subject_id: i64,
    login: &str,
    awaiting: Awaiting,
) -> CabinetResult<()> {
    let token = csrf::new_token();
    let now = now_millis();
    state
        .store
        .create_login_challenge(&NewChallenge {
            token: &TokenHash::of(&token),
            kind,
            subject_id,
            login,
            awaiting,
            now,
            expires_at: now + CHALLENGE_TTL_SECS * 1000,
        })
        .await?;
    let (_, path) = names(kind);
    cookies::session(
        req.cookie(),
        cookies::LOGIN_CHALLENGE,
        path,
        &token,
        CHALLENGE_TTL_SECS,
        cfg.secure_cookies,
    );
    Ok(())
}

/// The login waiting behind the cookie for `what`, if it has not expired.
pub async fn challenged(
    req: &Request,
    state: &AppState,
    kind: SessionKind,
    what: Awaiting,
) -> CabinetResult<Option<ChallengeRow>> {
    let Some(value) = cookies::value(req.cookie(), cookies::LOGIN_CHALLENGE) else {
        return Ok(None);
    };
    Ok(state
        .store
        .login_challenge(&TokenHash::of(&value), kind, now_millis())
        .await?
        .filter(|c| c.awaits(what)))
}

/// Forgets the login waiting for its code (its code came, or it is given up).
pub async fn end_challenge(
    req: &Request,
    state: &AppState,
    cfg: &CabinetConfig,
    kind: SessionKind,
) -> CabinetResult<()> {
    if let Some(v) = cookies::value(req.cookie(), cookies::LOGIN_CHALLENGE) {
        state
            .store
            .delete_login_challenge(&TokenHash::of(&v))
            .await?;
    }
    let (_, path) = names(kind);
    cookies::remove(
        req.cookie(),
        cookies::LOGIN_CHALLENGE,
        path,
        cfg.secure_cookies,
    );
    Ok(())
}

/// The hash of this browser's session cookie of the area, if it has one.
pub fn current(req: &Request, kind: SessionKind) -> Option<TokenHash> {
    let (name, _) = names(kind);
    cookies::value(req.cookie(), name).map(|v| TokenHash::of(&v))
}

/// Ends the session behind the cookie (if any) and expires the cookie.
pub async fn end(
    req: &Request,
    state: &AppState,
    cfg: &CabinetConfig,
    kind: SessionKind,
) -> CabinetResult<()> {
    let (name, path) = names(kind);
    if let Some(v) = cookies::value(req.cookie(), name) {
        state.store.delete_session(&TokenHash::of(&v)).await?;
    }
    cookies::remove(req.cookie(), name, path, cfg.secure_cookies);
    Ok(())
}

/// The live session of the area behind the cookie: its account's kind and id, its CSRF token,
/// and the other company a named admin works in.
async fn live(
    req: &Request,
    state: &AppState,
    area: SessionKind,
) -> CabinetResult<(SessionKind, i64, String, Option<i64>)> {
    let (name, _) = names(area);
    let value = cookies::value(req.cookie(), name).ok_or(CabinetError::LoggedOut)?;
    let row = state
        .store
        .session(&TokenHash::of(&value), area, now_millis())
        .await?
        .ok_or(CabinetError::LoggedOut)?;
    let kind = SessionKind::parse(&row.kind).ok_or(CabinetError::LoggedOut)?;
    Ok((kind, row.subject_id, row.csrf_token, row.partner_id))
}

pub async fn partner(req: &Request, state: &AppState) -> CabinetResult<PartnerSession> {
    let (kind, id, csrf, working_in) = live(req, state, SessionKind::Partner).await?;
    let (partner_id, admin, access, offers) = match kind {
        SessionKind::Admin => match state.store.admin_by_id(id).await? {
            Some(a) if !a.disabled => {
                let offers = state.store.access_offered_to(a.id).await?;
                match working_in {
                    // An access disabled or removed ends these sessions; one that ended
                    // otherwise opens nothing either.
                    Some(pid) if pid != a.partner_id => {
                        let found = offers.iter().find(|o| o.access.partner_id == pid);
                        match found.map(|o| &o.access).filter(|x| x.open()) {
                            Some(x) => (pid, Some(a), Some(x.clone()), offers),
                            None => return Err(CabinetError::LoggedOut),
                        }
                    }
                    _ => (a.partner_id, Some(a), None, offers),
                }
            }
            _ => return Err(CabinetError::LoggedOut),
        },
        _ => (id, None, None, Vec::new()),
    };
    match state.store.partner_by_id(partner_id).await? {
        Some(partner) if !partner.disabled => Ok(PartnerSession {
            actor: audit::actor_of(admin.as_ref()),
            partner,
            admin,
            access,
            offers,
            csrf,
        }),
        _ => Err(CabinetError::LoggedOut),
    }
}

/// Moves this browser's named admin into another company's cabinet (`Some`) or back to their
/// own: a new session, so that a form of the company left, open in another tab, is refused
/// (its CSRF token was the old session's) rather than posted to the company entered.
pub async fn enter(
    req: &Request,
    state: &AppState,
    cfg: &CabinetConfig,
    admin_id: i64,
    partner_id: Option<i64>,
) -> CabinetResult<()> {
    if let Some(v) = cookies::value(req.cookie(), names(SessionKind::Admin).0) {
        state.store.delete_session(&TokenHash::of(&v)).await?;
    }
    start(req, state, cfg, SessionKind::Admin, admin_id, partner_id).await
}

pub async fn operator(req: &Request, state: &AppState) -> CabinetResult<OperatorSession> {
    let (_, id, csrf, _) = live(req, state, SessionKind::Operator).await?;
    let operator = state
        .store
        .operator_by_id(id)
        .await?
        .ok_or(CabinetError::LoggedOut)?;
    Ok(OperatorSession { operator, csrf })
}

/// Refuses a form whose `csrf` field is not the session's token.
pub fn check_csrf(expected: &str, presented: &str) -> CabinetResult<()> {
    if csrf::matches(expected, presented) {
        Ok(())
    } else {
        tracing::warn!("form refused: CSRF token mismatch");
        Err(CabinetError::Csrf)
    }
}

/// The login form's token: the one in the cookie, or a new one set in the cookie.
pub fn login_csrf(req: &Request, cfg: &CabinetConfig, path: &str) -> String {
    match cookies::value(req.cookie(), cookies::LOGIN_CSRF) {
        Some(v) if v.len() == 64 => v,
        _ => {
            let v = csrf::new_token();
            cookies::login_csrf(req.cookie(), path, &v, cfg.secure_cookies);
            v
        }
    }
}

/// A login form must echo the token of its cookie (double submit).
pub fn check_login_csrf(req: &Request, presented: &str) -> CabinetResult<()> {
    let expected = cookies::value(req.cookie(), cookies::LOGIN_CSRF).unwrap_or_default();
    check_csrf(&expected, presented)
}
