//! SMS when a message is not read: for an employee without the app, or who has not opened
//! it, the company has the message's title and text sent by SMS a set number of minutes after
//! it, once (see `store::sms_fallback`). The operator caps each company's SMS a month
//! (`SIMO_SMS_FALLBACK_MONTHLY_LIMIT`): they cost money.

use crate::cabinet::audit;
use crate::config::{Knob, Settings};
use crate::domain::{Millis, Phone, now_millis};
use crate::error::{Error, Result};
use crate::phrase::stored;
use crate::service::messaging::messages_audit_detail;
use crate::state::AppState;
use crate::store::{DueSms, PartnerRow, SmsClaim, SmsCursor, SmsPartner, WantedInvitation};
use futures_util::StreamExt;
use std::time::Duration;

pub const SMS_FALLBACK_KNOBS: &[Knob] = &[
    Knob {
        key: "sms_fallback_monthly_limit",
        default: "1000",
        help: "SMS one company may send a month: of unread messages (the cabinet's \"SMS, если сообщение не прочитано\") and invitations to the app, each through the SMS provider; 0: neither is offered (the operator can give a company its own)",
    },
    Knob {
        key: "sms_invite_url",
        default: "",
        help: "the address an invitation to the app gives (a page with the store links); empty: SIMO_PUBLIC_URL",
    },
];

/// The server's monthly limit of SMS a company (0: SMS of unread messages are not offered).
pub fn monthly_limit(settings: &Settings) -> Result<i64> {
    let n: u32 = settings.module_number("sms_fallback_monthly_limit")?;
    Ok(i64::from(n))
}

/// A company's monthly limit: the operator's for it (`own`), or the server's.
pub fn limit_of(settings: &Settings, own: Option<i64>) -> Result<i64> {
    match own {
        Some(n) => Ok(n),
        None => monthly_limit(settings),
    }
}

/// The most the operator can give one company a month.
pub const MAX_LIMIT: i64 = 1_000_000;

/// The operator's form: empty for the server's limit, or a number of SMS a month.
pub fn parse_limit(raw: &str) -> std::result::Result<Option<i64>, crate::phrase::Phrase> {
    crate::service::throttle::parse_own_limit(raw, MAX_LIMIT).ok_or(phrase!(
        "Лимит SMS — целое число в месяц от 0 (не отправлять) до 1 000 000, или пусто (как у сервера)",
        "The SMS limit is a whole number a month from 0 (none) to 1,000,000, or empty (the server's)"
    ))
}

/// The delays the cabinet offers, in minutes (0: off).
pub const MINUTES: [i64; 7] = [0, 5, 15, 30, 60, 120, 240];

/// How often the server looks for SMS that are due.
pub const EVERY: Duration = Duration::from_secs(30);

/// Messages read from the database at a time; a partner's round goes on while they are full.
const PAGE: i64 = 500;

/// SMS handed to the gateway at once.
const IN_FLIGHT: usize = 8;

/// A gateway that refuses an SMS this long past its time: it is given up, and the message's
/// history says so. Until then each round tries it again.
const GIVE_UP_AFTER_MS: Millis = 24 * 3_600_000;

/// Longest SMS text, in characters: four parts of a Cyrillic SMS (67 each), short of five.
const MAX_CHARS: usize = 268;

/// The SMS of a message: the company, the title and the text, cut to `MAX_CHARS` with an
/// ellipsis. Line breaks become spaces: an SMS shows them, but they cost characters.
pub fn sms_text(company: &str, title: &str, body: &str) -> String {
    let flat = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let (company, title, body) = (flat(company), flat(title), flat(body));
    let mut text = if title.is_empty() {
        format!("{company}: {body}")
    } else if body.is_empty() {
        format!("{company}: {title}")
    } else {
        format!("{company}: {title}. {body}")
    };
    if text.chars().count() > MAX_CHARS {
        text = text.chars().take(MAX_CHARS - 1).collect::<String>();
        text.truncate(text.trim_end().len());
        text.push('…');
    }
    text
}

// The limit counts the SMS in flight: should one of them then be refused by the gateway, the
// limit may have refused one that would have fit (a failing gateway at the month's very limit).

/// What became of one due message.
enum Outcome {
    Sent,
    /// Nothing more to do for it: read meanwhile, over the limit, or given up.
    Done,
    /// The gateway refused it: the next round tries again.
    Again,
}

/// One round at `now`: for each partner with SMS on, the messages past its delay that are
/// still unread go by SMS, and the journal says which. Returns how many were sent.
///
/// The cursor stops before the first message the gateway refused, so the next round tries it
/// again; those sent after it were taken and are not sent twice.
pub async fn send_overdue(state: &AppState, now: Millis) -> Result<u64> {
    let server = monthly_limit(&state.settings)?;
    let month = state.time.month_key(now);
    let mut total = 0;
    for partner in state.store.sms_partners().await? {
        let limit = partner.limit.unwrap_or(server);
        // Not offered (any more): its setting waits, its messages are not walked.
        if limit == 0 {
            continue;
        }
        let edge = now - partner.fallback.minutes * 60_000;
        let mut cursor = partner.cursor;
        if edge < cursor.at {
            continue;
        }
        loop {
            let due = state.store.due_sms(&partner, cursor, now, PAGE).await?;
            let full = due.len() as i64 >= PAGE;
            let partner = &partner;
            let outcomes: Vec<(DueSms, Result<Outcome>)> = futures_util::stream::iter(due)
                .map(|m| async move {
                    let outcome = send_one(state, partner, &m, month, limit, now).await;
                    (m, outcome)
                })
                .buffered(IN_FLIGHT)
                .collect()
                .await;
            let mut sent = Vec::new();
            let mut stopped = None;
            let mut last = None;
            for (m, outcome) in outcomes {
                match outcome? {
                    Outcome::Sent => sent.push(m.id),
                    Outcome::Done => {}
                    Outcome::Again => {
                        stopped.get_or_insert(SmsCursor {
                            at: m.created_at,
                            id: m.id - 1,
                        });
                    }
                }
                last = Some(SmsCursor {
                    at: m.created_at,
                    id: m.id,
                });
            }
            cursor = match (stopped, last) {
                (Some(before), _) => before,
                (None, Some(last)) if full => last,
                // All of them: nothing up to the edge is left to look at.
                _ => SmsCursor {
                    at: edge,
                    id: i64::MAX,
                },
            };
            state
                .store
                .advance_sms_cursor(partner.partner_id, cursor)
                .await?;
            if !sent.is_empty() {
                sent.sort_unstable();
                let detail = messages_audit_detail(&sent);
                let action = audit::Action::MessagesSms;
                audit::record_server(&state.store, partner.partner_id, action, &detail).await;
                total += sent.len() as u64;
            }
            if stopped.is_some() || !full {
                break;
            }
        }
    }
    Ok(total)
}

/// Hands `text` to the SMS gateway for a stored `phone`.
async fn send_sms(state: &AppState, phone: &str, text: &str) -> Result<()> {
    match Phone::parse(phone) {
        Ok(phone) => state.sms.send(&phone, text).await,
        // Stored phones were parsed when stored; one that no longer parses is the gateway's
        // refusal in effect, and given up the same way.
        Err(e) => Err(Error::Sms(e.to_string())),
    }
}

/// The journal says the partner reached its month's `limit` (once a month).
async fn limit_reached(state: &AppState, partner_id: i64, limit: &str) {
    let detail = stored::AUDIT_SMS_LIMIT.fill(&[limit]);
    let action = audit::Action::SmsLimitReached;
    audit::record_server(&state.store, partner_id, action, &detail).await;
}

async fn send_one(
    state: &AppState,
    partner: &SmsPartner,
    m: &DueSms,
    month: i64,
    limit: i64,
    now: Millis,
) -> Result<Outcome> {
    let store = &state.store;
    let id = partner.partner_id;
    match store.claim_sms(id, m.id, month, limit, now).await? {
        SmsClaim::Gone => return Ok(Outcome::Done),
        SmsClaim::OverLimit { first } => {
            state.metrics.sms_unread("over_limit");
            let limit = limit.to_string();
            let detail = stored::SMS_OVER_LIMIT.fill(&[&limit]);
            store.record_sms(m.id, &detail, now).await?;
            if first {
                limit_reached(state, id, &limit).await;
            }
            return Ok(Outcome::Done);
        }
        SmsClaim::Taken => {}
    }
    let text = sms_text(&partner.company, &m.title, &m.body);
    match send_sms(state, &m.phone, &text).await {
        Ok(()) => {
            state.metrics.sms_unread("ok");
            let detail = stored::SMS_SENT.fill(&[&m.phone]);
            store.record_sms(m.id, &detail, now).await?;
            Ok(Outcome::Sent)
        }
        Err(e) => {
            state.metrics.sms_unread("failed");
            store.release_sms(id, m.id, month).await?;
            let due_at = m.created_at + partner.fallback.minutes * 60_000;
            if now - due_at >= GIVE_UP_AFTER_MS {
                let detail = stored::SMS_GAVE_UP.fill(&[&e.to_string()]);
                store.record_sms(m.id, &detail, now).await?;
                tracing::warn!(message = m.id, error = %e, "SMS of an unread message given up after a day");
                return Ok(Outcome::Done);
            }
            tracing::warn!(message = m.id, error = %e, "SMS of an unread message refused by the gateway; trying again");
            Ok(Outcome::Again)
        }
    }
}

/// An employee is invited to the app at most once in this time.
pub const INVITE_INTERVAL_MS: Millis = 7 * 24 * 3_600_000;

/// Refused (400) while the company has no SMS: its limit a month is 0.
pub fn invitations_offered(settings: &Settings, partner: &PartnerRow) -> Result<()> {
    if limit_of(settings, partner.sms_limit)? == 0 {
        return Err(Error::Invalid(phrase!(
            "Оператор сервиса не подключил SMS для вашей компании: приглашения недоступны",
            "The service's operator has not enabled SMS for your company: no invitations"
        )));
    }
    Ok(())
}

/// Asks for an invitation for the partner's employees who may be invited now (active, never
/// logged in, not invited in the week): among `ids`, or all of them; returns how many.
pub async fn want_invitations(
    state: &AppState,
    partner_id: i64,
    ids: Option<&[i64]>,
) -> Result<u64> {
    let now = now_millis();
    let since = now - INVITE_INTERVAL_MS;
    let store = &state.store;
    match ids {
        Some(ids) => store.want_invitations_of(partner_id, ids, since, now).await,
        None => store.want_invitations(partner_id, since, now).await,
    }
}

/// The SMS of an invitation: who invites, where the app is, and what to log in with (the
/// company's INN, which the employee may not know, and this phone).
pub fn invite_text(company: &str, inn: &str, url: &str) -> String {
    let company = company.split_whitespace().collect::<Vec<_>>().join(" ");
    format!(
        "{company} приглашает вас в приложение SiMO для сообщений компании: {url} Вход: ИНН {inn} и этот номер телефона."
    )
}

/// The address an invitation gives.
fn invite_url(settings: &Settings) -> &str {
    match settings.module_setting("sms_invite_url").trim() {
        "" => settings.public_url.as_str(),
        url => url,
    }
}

/// One round of invitations at `now`: those asked for go by SMS, oldest first, and the
/// journal says how many for each company. A page the gateway refused part of ends the round
/// (those are tried again at the next); after a day of refusals one is given up.
pub async fn send_invitations(state: &AppState, now: Millis) -> Result<u64> {
    let server = monthly_limit(&state.settings)?;
    let month = state.time.month_key(now);
    let url = invite_url(&state.settings);
    let mut sent_by_partner = std::collections::BTreeMap::<i64, u64>::new();
    loop {
        let wanted = state.store.wanted_invitations(PAGE).await?;
        let full = wanted.len() as i64 >= PAGE;
        let outcomes: Vec<(WantedInvitation, Result<Outcome>)> = futures_util::stream::iter(wanted)
            .map(|w| async move {
                let limit = w.sms_limit.unwrap_or(server);
                let outcome = invite_one(state, &w, url, month, limit, now).await;
                (w, outcome)
            })
            .buffered(IN_FLIGHT)
            .collect()
            .await;
        let mut again = false;
        for (w, outcome) in outcomes {
            match outcome? {
                Outcome::Sent => *sent_by_partner.entry(w.partner_id).or_default() += 1,
                Outcome::Done => {}
                Outcome::Again => again = true,
            }
        }
        if again || !full {
            break;
        }
    }
    let mut total = 0;
    for (partner_id, sent) in sent_by_partner {
        let detail = stored::AUDIT_INVITES_SENT.fill(&[&sent.to_string()]);
        let action = audit::Action::StaffInvitesSent;
        audit::record_server(&state.store, partner_id, action, &detail).await;
        total += sent;
    }
    Ok(total)
}

async fn invite_one(
    state: &AppState,
    w: &WantedInvitation,
    url: &str,
    month: i64,
    limit: i64,
    now: Millis,
) -> Result<Outcome> {
    let store = &state.store;
    match store
        .claim_invitation(w.partner_id, w.staff_id, month, limit, now)
        .await?
    {
        SmsClaim::Gone => return Ok(Outcome::Done),
        SmsClaim::OverLimit { first } => {
            state.metrics.sms_invite("over_limit");
            if first {
                limit_reached(state, w.partner_id, &limit.to_string()).await;
            }
            return Ok(Outcome::Done);
        }
        SmsClaim::Taken => {}
    }
    let text = invite_text(&w.company, &w.inn, url);
    match send_sms(state, &w.phone, &text).await {
        Ok(()) => {
            state.metrics.sms_invite("ok");
            Ok(Outcome::Sent)
        }
        Err(e) => {
            state.metrics.sms_invite("failed");
            let again = now - w.wanted_at < GIVE_UP_AFTER_MS;
            store
                .release_invitation(w.partner_id, w.staff_id, w.wanted_at, again, month)
                .await?;
            tracing::warn!(staff = w.staff_id, error = %e, again, "an invitation to the app refused by the SMS gateway");
            Ok(if again { Outcome::Again } else { Outcome::Done })
        }
    }
}

/// Looks for due SMS and invitations every `every` until aborted; a failed round is logged and
/// tried again at the next.
pub fn spawn(state: crate::state::SharedState, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            state.store.until_reachable().await;
            match send_overdue(&state, now_millis()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(sent = n, "SMS of unread messages sent"),
                Err(e) => {
                    tracing::warn!(error = %e, "SMS of unread messages: round failed, trying again");
                    state.store.note_failure(&e);
                }
            }
            match send_invitations(&state, now_millis()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(sent = n, "invitations to the app sent by SMS"),
                Err(e) => {
                    tracing::warn!(error = %e, "invitations to the app: round failed, trying again");
                    state.store.note_failure(&e);
                }
            }
            tokio::time::sleep(every).await;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invitation_fits_in_three_parts_of_a_cyrillic_sms() {
        let text = invite_text(
            "ООО  Ромашка-Сервис",
            "7707083893",
            "https://simo.example.ru/app",
        );
        assert!(text.starts_with("ООО Ромашка-Сервис приглашает"), "{text}");
        assert!(text.contains("ИНН 7707083893"), "{text}");
        assert!(text.chars().count() <= 3 * 67, "{}", text.chars().count());
    }

    #[test]
    fn an_sms_names_the_company_and_is_cut_with_an_ellipsis() {
        assert_eq!(
            sms_text("ООО  Ромашка", "Смена\nотменена", "Завтра  не выходить"),
            "ООО Ромашка: Смена отменена. Завтра не выходить"
        );
        assert_eq!(sms_text("Р", "", "Текст"), "Р: Текст");
        assert_eq!(sms_text("Р", "Заголовок", " "), "Р: Заголовок");
        let long = sms_text("Р", "Т", &"слово ".repeat(100));
        assert_eq!(long.chars().count(), MAX_CHARS);
        assert!(long.starts_with("Р: Т. слово слово"), "{long}");
        assert!(long.ends_with('…'), "{long}");
    }
}
