//! The dashboard: messages per day as a small inline SVG chart, delivery and read rates,
//! employees who cannot get pushes.

use super::super::errors::CabinetResult;
use super::super::i18n::Lang;
use super::super::layout::{Area, Layout};
use super::super::{CabinetConfig, html, session};
use crate::domain::now_millis;
use crate::state::SharedState;
use crate::store::StaffTally;
use askama::Template;
use poem::web::Data;
use poem::{Request, Response, handler};

const DAYS: i64 = 14;
const DAY_MS: i64 = 86_400_000;
const CHART_HEIGHT: i64 = 120;
const BAR_STEP: i64 = 40;

/// One bar of the chart, positioned in SVG user units.
pub struct Bar {
    pub x: i64,
    pub y: i64,
    pub height: i64,
    pub count: i64,
    pub label: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardView {
    l: Layout,
    bars: Vec<Bar>,
    chart_width: i64,
    chart_height: i64,
    total: i64,
    delivered_pct: i64,
    read_pct: i64,
    staff: StaffTally,
    /// The webhook's last post failed: its error and how many events wait.
    webhook_failing: Option<(String, i64)>,
    /// Sends waiting, and when the first one goes.
    scheduled: Option<(i64, String)>,
    /// Messages whose employees have not acknowledged them yet.
    awaiting_ack: i64,
    /// The company's API calls refused over its rate in the last day: the banner's words.
    throttled: Option<String>,
    /// API keys about to stop working, or stopped lately, soonest first.
    keys_ending: Vec<KeyEnding>,
}

/// An API key whose last day is near or past: an admin who never opens the settings learns
/// it before the system using it is refused, or why it is.
struct KeyEnding {
    name: String,
    /// The last day it works (or worked).
    last_day: String,
    ended: bool,
}

/// A key that stopped this many days ago is still named on the dashboard.
const ENDED_SHOWN_DAYS: i64 = 7;

fn percent(part: i64, whole: i64) -> i64 {
    if whole == 0 {
        0
    } else {
        (part * 100 + whole / 2) / whole
    }
}

/// Fills the days without messages with zeros and scales the bars to the busiest day.
fn bars(per_day: &[(i64, i64)], today: i64) -> Vec<Bar> {
    let max = per_day.iter().map(|d| d.1).max().unwrap_or(0).max(1);
    (0..DAYS)
        .map(|i| {
            let day = today - (DAYS - 1) + i;
            let count = per_day.iter().find(|d| d.0 == day).map_or(0, |d| d.1);
            let height = if count == 0 {
                2
            } else {
                (count * (CHART_HEIGHT - 20) / max).max(4)
            };
            let date = chrono::DateTime::from_timestamp(day * 86_400, 0).unwrap_or_default();
            Bar {
                x: i * BAR_STEP + 6,
                y: CHART_HEIGHT - 18 - height,
                height,
                count,
                label: date.format("%d.%m").to_string(),
            }
        })
        .collect()
}

#[handler]
pub async fn page(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
) -> CabinetResult<Response> {
    let s = session::partner(req, state).await?;
    let offset = cfg.offset_ms();
    let now = now_millis();
    let today = (now + offset) / DAY_MS;
    let since = (today - (DAYS - 1)) * DAY_MS - offset;
    let stats = state
        .store
        .message_stats(s.partner.id, since, DAYS, offset)
        .await?;
    let staff = state.store.staff_tally(s.partner.id).await?;
    // An admin who set a webhook and never opens its page should still see it failing.
    let webhook_failing = state
        .store
        .webhook(s.partner.id)
        .await?
        .filter(|w| w.failures > 0)
        .map(|w| (w.last_error.unwrap_or_default(), w.pending));
    let scheduled = match state.store.scheduled_summary(s.partner.id).await? {
        (n, Some(first)) if n > 0 => Some((n, cfg.datetime(first))),
        _ => None,
    };
    let awaiting_ack = state.store.awaiting_ack_count(s.partner.id).await?;
    let ending = state
        .store
        .api_keys_ending(
            s.partner.id,
            now - ENDED_SHOWN_DAYS * DAY_MS,
            now + super::settings::ENDS_SOON_DAYS * DAY_MS,
        )
        .await?;
    // A key that stopped and was added again under its name is dealt with.
    let live: Vec<String> = match ending.iter().any(|k| k.valid_until <= Some(now)) {
        true => state
            .store
            .api_keys(s.partner.id, now)
            .await?
            .into_iter()
            .map(|k| k.name)
            .collect(),
        false => Vec::new(),
    };
    let keys_ending = ending
        .into_iter()
        .filter_map(|k| {
            let end = k.valid_until?;
            if end <= now && live.contains(&k.name) {
                return None;
            }
            Some(KeyEnding {
                name: k.name,
                // The moment is the end of the last day: the day is the one before it.
                last_day: cfg.date(end - 1),
                ended: end <= now,
            })
        })
        .collect();
    let t = super::super::i18n::Tr(*lang);
    let throttle = &state.partner_throttle;
    let throttled = throttle.refusals(s.partner.id, now).map(|r| {
        t.s("dash.throttled")
            .replacen("{}", &throttle.rate_of(s.partner.api_rate).to_string(), 1)
            .replacen("{}", &cfg.datetime(r.first_at), 1)
            .replacen("{}", &r.count.to_string(), 1)
            .replacen("{}", &cfg.datetime(r.last_at), 1)
    });
    let view = DashboardView {
        l: Layout::signed_in(*lang, Area::Cabinet, "dashboard", s.who(), s.csrf),
        bars: bars(&stats.per_day, today),
        chart_width: DAYS * BAR_STEP,
        chart_height: CHART_HEIGHT,
        total: stats.total,
        delivered_pct: percent(stats.delivered, stats.total),
        read_pct: percent(stats.read, stats.total),
        staff,
        webhook_failing,
        scheduled,
        awaiting_ack,
        throttled,
        keys_ending,
    };
    Ok(html(view.render()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_day_gets_a_bar_and_the_busiest_is_tallest() {
        let b = bars(&[(100, 5), (97, 10)], 100);
        assert_eq!(b.len(), DAYS as usize);
        assert_eq!(b.last().unwrap().count, 5);
        let tallest = b.iter().max_by_key(|x| x.height).unwrap();
        assert_eq!(tallest.count, 10);
        assert_eq!(percent(1, 3), 33);
        assert_eq!(percent(0, 0), 0);
    }
}
