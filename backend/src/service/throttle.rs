//! How fast one company's system may call the API. A runaway integration (a 1C job retrying
//! `createmessage` in a loop from many threads) would otherwise take the whole server, and the
//! other companies' calls would wait behind it; over its rate a partner's token gets a 429 with
//! `Retry-After` instead, in the documented envelope.
//!
//! One GCRA cell per partner (governor's keyed limiter): a lock-free compare-and-swap per call.
//! Cells are never evicted: there is one per company the operator created, and a company idle
//! long enough has a full burst again whether its cell is kept or not.

use crate::domain::{Millis, now_millis};
use crate::error::{Error, Result};
use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, RwLock};

/// The most a company's own rate may be: far above what one server answers.
const MAX_RATE: i64 = 1_000_000;

/// A company's own rate as the operator types it: empty (or `default`) for the server's,
/// 0 for no limit.
pub fn parse_rate(raw: &str) -> std::result::Result<Option<i64>, crate::phrase::Phrase> {
    parse_own_limit(raw, MAX_RATE).ok_or(phrase!(
        "Лимит — целое число вызовов в секунду от 0 (без лимита) до 1 000 000, или пусто (как у сервера)",
        "The limit is a whole number of calls a second from 0 (no limit) to 1,000,000, or empty (the server's)"
    ))
}

/// A company's own limit as the operator types it (spaces between digits allowed): `Some(None)`
/// for the server's (empty or `default`), `Some(Some(n))` for `0..=max`, `None` for anything
/// else.
pub fn parse_own_limit(raw: &str, max: i64) -> Option<Option<i64>> {
    let raw: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    match raw.as_str() {
        "" | "default" => Some(None),
        digits => digits
            .parse::<i64>()
            .ok()
            .filter(|n| (0..=max).contains(n))
            .map(Some),
    }
}

/// The journal's detail of a changed own limit (of calls a second, of SMS a month):
/// `2000 → 500`, `—` for the server's.
pub fn own_limit_change(before: Option<i64>, after: Option<i64>) -> String {
    let shown = |r: Option<i64>| r.map_or_else(|| "—".to_owned(), |r| r.to_string());
    format!("{} → {}", shown(before), shown(after))
}

/// Refusals are shown for a day after the last one; a refusal after a quiet day starts anew.
const REFUSALS_SHOWN_MS: Millis = 24 * 3600 * 1000;

/// A partner's refused calls, for its dashboard: the admin learns that the integration calls
/// too fast, which the integration itself may never log. Counted by this server process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusals {
    pub count: u64,
    pub first_at: Millis,
    pub last_at: Millis,
}

pub struct PartnerThrottle {
    /// The server's rate, for every company without one of its own; `None` when it is 0.
    limiter: Option<RateLimiter<i64, DefaultKeyedStateStore<i64>, DefaultClock>>,
    per_second: u32,
    /// The companies the operator gave a rate of their own: the rate and its cell, made again
    /// when the rate changes.
    own: RwLock<HashMap<i64, (u32, Arc<DefaultDirectRateLimiter>)>>,
    /// Touched only when a call is refused.
    refused: Mutex<HashMap<i64, Refusals>>,
}

impl PartnerThrottle {
    /// `per_second` calls a second for each partner without a rate of its own, `burst` of them
    /// at once (0: as many as `per_second`); 0 for no limit.
    pub fn new(per_second: u32, burst: u32) -> Self {
        let limiter = NonZeroU32::new(per_second).map(|rate| {
            let burst = NonZeroU32::new(burst).unwrap_or(rate);
            RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
        });
        Self {
            limiter,
            per_second,
            own: RwLock::default(),
            refused: Mutex::default(),
        }
    }

    /// The calls a second the partner may make: its own rate, or the server's; 0: no limit.
    pub fn rate_of(&self, own: Option<i64>) -> u32 {
        own.map_or(self.per_second, |r| u32::try_from(r).unwrap_or(u32::MAX))
    }

    /// The partner's refusals of the last day, if any.
    pub fn refusals(&self, partner_id: i64, now: Millis) -> Option<Refusals> {
        let refused = self.refused.lock().unwrap_or_else(|e| e.into_inner());
        refused
            .get(&partner_id)
            .filter(|r| now - r.last_at < REFUSALS_SHOWN_MS)
            .copied()
    }

    /// The cell of a company with a rate of its own, made (again) if its rate is new; `None`
    /// for a rate of 0, no limit.
    fn own_cell(&self, partner_id: i64, rate: u32) -> Option<Arc<DefaultDirectRateLimiter>> {
        let per_second = NonZeroU32::new(rate)?;
        let known = self.own.read().unwrap_or_else(|e| e.into_inner());
        if let Some((r, cell)) = known.get(&partner_id)
            && *r == rate
        {
            return Some(cell.clone());
        }
        drop(known);
        let cell = Arc::new(RateLimiter::direct(Quota::per_second(per_second)));
        let mut known = self.own.write().unwrap_or_else(|e| e.into_inner());
        // Another call may have made it meanwhile: the first one made stays.
        let (_, cell) = known
            .entry(partner_id)
            .and_modify(|e| {
                if e.0 != rate {
                    *e = (rate, cell.clone());
                }
            })
            .or_insert((rate, cell));
        Some(cell.clone())
    }

    fn note_refusal(&self, partner_id: i64, now: Millis) {
        let mut refused = self.refused.lock().unwrap_or_else(|e| e.into_inner());
        let r = refused.entry(partner_id).or_insert(Refusals {
            count: 0,
            first_at: now,
            last_at: now,
        });
        if now - r.last_at >= REFUSALS_SHOWN_MS {
            *r = Refusals {
                count: 0,
                first_at: now,
                last_at: now,
            };
        }
        r.count += 1;
        r.last_at = now;
    }

    /// Counts a call of the partner's token (`own`: its own rate, from its row); refused, with
    /// the seconds to wait, over its rate.
    pub fn check(&self, partner_id: i64, own: Option<i64>) -> Result<()> {
        // The wait is measured on the clock of the cell that refused.
        let wait = match own {
            None => match &self.limiter {
                Some(limiter) => match limiter.check_key(&partner_id) {
                    Ok(()) => return Ok(()),
                    Err(not_until) => not_until.wait_time_from(limiter.clock().now()),
                },
                None => return Ok(()),
            },
            Some(_) => match self.own_cell(partner_id, self.rate_of(own)) {
                Some(cell) => match cell.check() {
                    Ok(()) => return Ok(()),
                    Err(not_until) => not_until.wait_time_from(cell.clock().now()),
                },
                None => return Ok(()),
            },
        };
        self.note_refusal(partner_id, now_millis());
        // Whole seconds, rounded up: a client that waits as told is let in.
        let secs = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
        let rate = self.rate_of(own);
        Err(Error::TooManyRequests {
            message: phrase!(
                "Слишком много запросов с токеном компании: не больше {rate} в секунду. Повторите через {secs} с; для рассылки многим сотрудникам есть createmessagebulk",
                "Too many requests with the company's token: at most {rate} a second. Retry in {secs} s; createmessagebulk sends to many employees at once"
            ),
            retry_after_secs: secs,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_partner_has_its_own_burst_and_no_rate_means_no_limit() {
        // One call a minute: nothing comes back during the test, however slow the machine.
        let t = PartnerThrottle {
            limiter: Some(RateLimiter::keyed(
                Quota::with_period(std::time::Duration::from_secs(60))
                    .unwrap()
                    .allow_burst(NonZeroU32::new(3).unwrap()),
            )),
            per_second: 1,
            own: RwLock::default(),
            refused: Mutex::default(),
        };
        for _ in 0..3 {
            t.check(1, None).unwrap();
        }
        match t.check(1, None) {
            Err(Error::TooManyRequests {
                retry_after_secs, ..
            }) => assert!((1..=60).contains(&retry_after_secs), "{retry_after_secs}"),
            other => panic!("expected a refusal, got {other:?}"),
        }
        t.check(2, None)
            .expect("another partner's burst is its own");
        for _ in 0..100 {
            t.check(1, Some(0))
                .expect("a rate of its own of 0: no limit");
        }
        let now = now_millis();
        let seen = t.refusals(1, now).expect("the refusal is counted");
        assert_eq!(seen.count, 1);
        assert_eq!(t.refusals(2, now), None);
        assert_eq!(t.refusals(1, now + REFUSALS_SHOWN_MS), None, "a day later");
        t.note_refusal(1, now + REFUSALS_SHOWN_MS);
        let anew = t.refusals(1, now + REFUSALS_SHOWN_MS).unwrap();
        assert_eq!((anew.count, anew.first_at), (1, now + REFUSALS_SHOWN_MS));
        let unlimited = PartnerThrottle::new(0, 10);
        for _ in 0..100 {
            unlimited.check(1, None).expect("no server rate: no limit");
        }
    }

    #[test]
    fn the_operators_rate_is_a_whole_number_or_nothing() {
        assert_eq!(parse_rate(" "), Ok(None));
        assert_eq!(parse_rate("default"), Ok(None));
        assert_eq!(parse_rate("0"), Ok(Some(0)));
        assert_eq!(parse_rate("5 000"), Ok(Some(5_000)));
        for bad in ["-1", "1000001", "2.5", "много"] {
            assert!(parse_rate(bad).is_err(), "{bad}");
        }
    }

    /// A company's own rate replaces the server's, and a new one takes effect at once.
    #[test]
    fn a_rate_of_its_own_is_the_companys_alone() {
        let t = PartnerThrottle::new(1_000_000, 0);
        let started = std::time::Instant::now();
        t.check(7, Some(1)).unwrap();
        let second = t.check(7, Some(1));
        // One a second: a second call within the second is refused.
        if started.elapsed() < std::time::Duration::from_millis(900) {
            assert!(second.is_err(), "a burst of its rate, 1");
        }
        assert_eq!(t.rate_of(Some(1)), 1);
        assert_eq!(t.rate_of(None), 1_000_000);
        t.check(8, None).expect("the others keep the server's");
        t.check(7, Some(2))
            .expect("a new rate: a new cell, its burst whole");
        t.check(7, Some(0)).expect("0: no limit");
    }
}
