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
use governor::{Quota, RateLimiter};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Mutex;

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
    limiter: RateLimiter<i64, DefaultKeyedStateStore<i64>, DefaultClock>,
    per_second: u32,
    /// Touched only when a call is refused.
    refused: Mutex<HashMap<i64, Refusals>>,
}

impl PartnerThrottle {
    /// `per_second` calls a second for each partner, `burst` of them at once (0: as many as
    /// `per_second`); `None` when `per_second` is 0, for no limit.
    pub fn new(per_second: u32, burst: u32) -> Option<Self> {
        let rate = NonZeroU32::new(per_second)?;
        let burst = NonZeroU32::new(burst).unwrap_or(rate);
        Some(Self {
            limiter: RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)),
            per_second,
            refused: Mutex::default(),
        })
    }

    /// The calls a second each partner may make.
    pub fn per_second(&self) -> u32 {
        self.per_second
    }

    /// The partner's refusals of the last day, if any.
    pub fn refusals(&self, partner_id: i64, now: Millis) -> Option<Refusals> {
        let refused = self.refused.lock().unwrap_or_else(|e| e.into_inner());
        refused
            .get(&partner_id)
            .filter(|r| now - r.last_at < REFUSALS_SHOWN_MS)
            .copied()
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

    /// Counts a call of the partner's token; refused, with the seconds to wait, over its rate.
    pub fn check(&self, partner_id: i64) -> Result<()> {
        let Err(not_until) = self.limiter.check_key(&partner_id) else {
            return Ok(());
        };
        self.note_refusal(partner_id, now_millis());
        let wait = not_until.wait_time_from(self.limiter.clock().now());
        // Whole seconds, rounded up: a client that waits as told is let in.
        let secs = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
        let rate = self.per_second;
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
            limiter: RateLimiter::keyed(
                Quota::with_period(std::time::Duration::from_secs(60))
                    .unwrap()
                    .allow_burst(NonZeroU32::new(3).unwrap()),
            ),
            per_second: 1,
            refused: Mutex::default(),
        };
        for _ in 0..3 {
            t.check(1).unwrap();
        }
        match t.check(1) {
            Err(Error::TooManyRequests {
                retry_after_secs, ..
            }) => assert!((1..=60).contains(&retry_after_secs), "{retry_after_secs}"),
            other => panic!("expected a refusal, got {other:?}"),
        }
        t.check(2).expect("another partner's burst is its own");
        let now = now_millis();
        let seen = t.refusals(1, now).expect("the refusal is counted");
        assert_eq!(seen.count, 1);
        assert_eq!(t.refusals(2, now), None);
        assert_eq!(t.refusals(1, now + REFUSALS_SHOWN_MS), None, "a day later");
        t.note_refusal(1, now + REFUSALS_SHOWN_MS);
        let anew = t.refusals(1, now + REFUSALS_SHOWN_MS).unwrap();
        assert_eq!((anew.count, anew.first_at), (1, now + REFUSALS_SHOWN_MS));
        assert!(PartnerThrottle::new(0, 10).is_none());
        assert!(PartnerThrottle::new(5, 0).is_some());
    }
}
