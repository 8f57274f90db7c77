//! The operator's usage report: per partner, the messages created in a month (by the status
//! they have now) and the employees; on the page, and as CSV for billing.

use super::super::errors::CabinetResult;
use super::super::i18n::{Lang, Tr};
use super::super::layout::{Area, Layout};
use super::super::{CabinetConfig, html, session};
use super::csv_file::download as csv_download;
use crate::domain::now_millis;
use crate::state::SharedState;
use crate::store::{PartnerRow, PartnerUsage};
use askama::Template;
use poem::web::{Data, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;
use std::collections::HashMap;

pub struct UsageRow {
    pub inn: String,
    pub name: String,
    pub full_name: String,
    pub disabled: bool,
    pub u: PartnerUsage,
}

#[derive(Template)]
#[template(path = "usage.html")]
struct UsageView {
    l: Layout,
    /// `2026-11`.
    month: String,
    prev: String,
    next: Option<String>,
    rows: Vec<UsageRow>,
    total: PartnerUsage,
    export_href: String,
}

#[derive(Deserialize)]
pub struct MonthQuery {
    /// `YYYY-MM`; anything else (or nothing) means this month.
    #[serde(default)]
    month: String,
}

/// A month the report can show: `YYYY-MM` from 2000 on, not after the current one.
fn parse_month(s: &str, current: (i32, u32)) -> Option<(i32, u32)> {
    let (y, m) = s.trim().split_once('-')?;
    let (y, m) = (y.parse::<i32>().ok()?, m.parse::<u32>().ok()?);
    ((1..=12).contains(&m) && y >= 2000 && (y, m) <= current).then_some((y, m))
}

fn month_name((y, m): (i32, u32)) -> String {
    format!("{y:04}-{m:02}")
}

fn shift((y, m): (i32, u32), forward: bool) -> (i32, u32) {
    match (forward, m) {
        (true, 12) => (y + 1, 1),
        (true, _) => (y, m + 1),
        (false, 1) => (y - 1, 12),
        (false, _) => (y, m - 1),
    }
}

/// The month asked for, its partners' usage (newest partner first) and the sum of all.
async fn report(
    state: &SharedState,
    cfg: &CabinetConfig,
    q: &MonthQuery,
) -> CabinetResult<((i32, u32), Vec<UsageRow>, PartnerUsage)> {
    let current = cfg.month_of(now_millis());
    let month = parse_month(&q.month, current).unwrap_or(current);
    let (from, to) = cfg
        .month_bounds(month.0, month.1)
        .or_else(|| cfg.month_bounds(current.0, current.1))
        .unwrap_or((0, 0));
    let partners: HashMap<i64, PartnerRow> = state
        .store
        .list_partners()
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let mut total = PartnerUsage::default();
    let mut rows: Vec<UsageRow> = state
        .store
        .usage(from, to)
        .await?
        .into_iter()
        .filter_map(|u| {
            let p = partners.get(&u.partner_id)?;
            total.messages += u.messages;
            total.delivered += u.delivered;
            total.read += u.read;
            total.failed += u.failed;
            total.no_device += u.no_device;
            total.sms += u.sms;
            total.staff_active += u.staff_active;
            total.staff_total += u.staff_total;
            Some(UsageRow {
                inn: p.inn.clone(),
                name: p.short_name.clone(),
                full_name: p.full_name.clone(),
                disabled: p.disabled,
                u,
            })
        })
        .collect();
    // The busiest first: what billing and capacity look at.
    rows.sort_by(|a, b| b.u.messages.cmp(&a.u.messages).then(a.inn.cmp(&b.inn)));
    Ok((month, rows, total))
}

#[handler]
pub async fn page(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
    Query(q): Query<MonthQuery>,
) -> CabinetResult<Response> {
    let s = session::operator(req, state).await?;
    let (month, rows, total) = report(state, cfg, &q).await?;
    let current = cfg.month_of(now_millis());
    let l = Layout::signed_in(*lang, Area::Operator, "usage", s.operator.login, s.csrf);
    let title = l.t.s("usage.title");
    let view = UsageView {
        l: l.with_title(title),
        month: month_name(month),
        prev: format!("/operator/usage?month={}", month_name(shift(month, false))),
        next: (month < current)
            .then(|| format!("/operator/usage?month={}", month_name(shift(month, true)))),
        rows,
        total,
        export_href: format!("/operator/usage.csv?month={}", month_name(month)),
    };
    Ok(html(view.render()))
}

#[handler]
pub async fn export(
    req: &Request,
    Data(state): Data<&SharedState>,
    Data(cfg): Data<&CabinetConfig>,
    Data(lang): Data<&Lang>,
    Query(q): Query<MonthQuery>,
) -> CabinetResult<Response> {
    session::operator(req, state).await?;
    let (month, rows, _) = report(state, cfg, &q).await?;
    let tr = Tr(*lang);
    let header = [
        "usage.month",
        "login.inn",
        "settings.short_name",
        "settings.full_name",
        "emp.state",
        "usage.messages",
        "usage.delivered",
        "usage.read",
        "usage.failed",
        "usage.no_device",
        "usage.sms",
        "usage.staff_active",
        "usage.staff_total",
    ]
    .map(|key| tr.s(key).to_owned());
    let name = month_name(month);
    let records = rows.into_iter().map(|r| {
        [
            name.clone(),
            r.inn,
            r.name,
            r.full_name,
            tr.s(if r.disabled {
                "op.disabled"
            } else {
                "op.enabled"
            })
            .to_owned(),
            r.u.messages.to_string(),
            r.u.delivered.to_string(),
            r.u.read.to_string(),
            r.u.failed.to_string(),
            r.u.no_device.to_string(),
            r.u.sms.to_string(),
            r.u.staff_active.to_string(),
            r.u.staff_total.to_string(),
        ]
    });
    csv_download(
        &format!("simo-usage-{name}.csv"),
        std::iter::once(header).chain(records),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_parse_within_the_reports_range_and_shift_across_years() {
        let now = (2026, 11);
        assert_eq!(parse_month("2026-11", now), Some((2026, 11)));
        assert_eq!(parse_month(" 2025-01 ", now), Some((2025, 1)));
        for bad in [
            "2026-12", "2027-01", "2026-13", "2026-00", "1999-12", "2026", "x-y", "",
        ] {
            assert_eq!(parse_month(bad, now), None, "{bad}");
        }
        assert_eq!(shift((2026, 1), false), (2025, 12));
        assert_eq!(shift((2025, 12), true), (2026, 1));
        assert_eq!(month_name((2026, 3)), "2026-03");
    }
}
