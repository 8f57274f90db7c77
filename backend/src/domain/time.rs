//! Time: stored as Unix milliseconds, shown as ISO 8601 with milliseconds and an offset.

use super::{ParseError, Repeat};
use chrono::{DateTime, Datelike, Offset, SecondsFormat, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use std::time::Duration;

pub type Millis = i64;

/// `base` doubled `n` times (`n` from 0), at most `max`: the retry delays of the push workers
/// and the webhook sender, before each takes its own jitter.
pub fn doubled_delay(base: Duration, max: Duration, n: i64) -> Duration {
    let exp = u32::try_from(n.clamp(0, 30)).unwrap_or(30);
    base.saturating_mul(2u32.saturating_pow(exp)).min(max)
}

pub fn now_millis() -> Millis {
    Utc::now().timestamp_millis()
}

/// Formats dates in the zone the operator configured (Moscow unless told otherwise).
#[derive(Debug, Clone, Copy)]
pub struct TimeFormat {
    zone: Tz,
}

impl TimeFormat {
    pub fn new(zone_name: &str) -> Result<Self, ParseError> {
        let zone = zone_name.parse::<Tz>().map_err(|_| {
            ParseError::new(phrase!(
                "Неизвестный часовой пояс: {zone_name}",
                "Unknown time zone: {zone_name}"
            ))
        })?;
        Ok(Self { zone })
    }

    /// The month that holds `millis` in this zone as one number, `202612` for December 2026:
    /// what monthly limits count in.
    pub fn month_key(&self, millis: Millis) -> i64 {
        let local = Utc
            .timestamp_millis_opt(millis)
            .single()
            .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
            .with_timezone(&self.zone);
        i64::from(local.year()) * 100 + i64::from(local.month())
    }

    /// `2014-09-21T23:00:00.000+03:00`, the form of the v1 guide.
    pub fn format(&self, millis: Millis) -> String {
        let mut out = Vec::with_capacity(29);
        self.write(millis, &mut out);
        String::from_utf8(out).expect("ASCII digits and signs")
    }

    /// `format`, appended to `out` without a `String` of its own: a `getmessage` page writes
    /// up to four dates per message. Against chrono's RFC 3339 writer through a `String` each,
    /// `getmessage` did 4,595 req/s to 3,751 (means of four noisy alternating runs, wrk).
    pub fn write(&self, millis: Millis, out: &mut Vec<u8>) {
        let utc = Utc
            .timestamp_millis_opt(millis)
            .single()
            .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
        let local = utc.with_timezone(&self.zone);
        let year = local.year();
        if !(0..=9999).contains(&year) {
            // RFC 3339 has no form for these; chrono's writer decides.
            let text = local.to_rfc3339_opts(SecondsFormat::Millis, false);
            out.extend_from_slice(text.as_bytes());
            return;
        }
        let digits = |out: &mut Vec<u8>, n: u32, width: usize| {
            let mut buf = [b'0'; 4];
            let mut n = n;
            for slot in buf[..width].iter_mut().rev() {
                *slot = b'0' + (n % 10) as u8;
                n /= 10;
            }
            out.extend_from_slice(&buf[..width]);
        };
        digits(out, year as u32, 4);
        out.push(b'-');
        digits(out, local.month(), 2);
        out.push(b'-');
        digits(out, local.day(), 2);
        out.push(b'T');
        digits(out, local.hour(), 2);
        out.push(b':');
        digits(out, local.minute(), 2);
        out.push(b':');
        digits(out, local.second(), 2);
        out.push(b'.');
        digits(out, local.timestamp_subsec_millis().min(999), 3);
        let offset = local.offset().fix().local_minus_utc();
        out.push(if offset < 0 { b'-' } else { b'+' });
        // Rounded to the nearest minute, as chrono does (old local mean times have seconds).
        let minutes = (offset.unsigned_abs() + 30) / 60;
        digits(out, minutes / 60, 2);
        out.push(b':');
        digits(out, minutes % 60, 2);
    }

    /// `2026-11-23 16:47` in the configured zone, as the journals write a time.
    pub fn minutes(&self, millis: Millis) -> String {
        self.naive(millis).format("%Y-%m-%d %H:%M").to_string()
    }

    /// Any offset is accepted; a date without one is read in the configured zone,
    /// because that is what a 1C server in Moscow means when it sends a bare date.
    pub fn parse(&self, raw: &str) -> Result<Millis, ParseError> {
        let s = raw.trim();
        if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
            return Ok(dt.timestamp_millis());
        }
        let naive_formats = [
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M",
        ];
        for f in naive_formats {
            if let Ok(naive) = chrono::NaiveDateTime::parse_from_str(s, f) {
                return self.local(naive, raw);
            }
        }
        if let Ok(date) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            return self.local(date.and_hms_opt(0, 0, 0).expect("midnight exists"), raw);
        }
        Err(ParseError::new(phrase!(
            "Неверная дата «{}»: ожидается ISO 8601, например 2014-09-21T23:00:00.000+03:00",
            "Wrong date “{}”: ISO 8601 expected, e.g. 2014-09-21T23:00:00.000+03:00",
            truncate(raw, 40)
        )))
    }

    /// The last moment `raw` names: a bare date is the whole of that local day, to its last
    /// millisecond ("until 2026-12-31" includes the 31st); anything else, the moment itself.
    pub fn parse_until(&self, raw: &str) -> Result<Millis, ParseError> {
        match chrono::NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d") {
            Ok(day) => {
                let next = day.succ_opt().unwrap_or(day);
                let midnight = next.and_hms_opt(0, 0, 0).expect("midnight exists");
                Ok(self.local(midnight, raw)? - 1)
            }
            Err(_) => self.parse(raw),
        }
    }

    /// The first time after `after` that a send repeating from `at` goes: the same local
    /// time (in the configured zone) a day, a weekday, a week or a month on. A monthly series
    /// keeps the day of its `first` send: the 31st goes on the last day of a shorter month and
    /// on the 31st again after it. Times it missed (the server was down) are skipped, not sent
    /// in a burst. A local time a clock change skips is taken an hour later.
    pub fn next_occurrence(
        &self,
        repeat: Repeat,
        first: Millis,
        at: Millis,
        after: Millis,
    ) -> Millis {
        let mut local = self.naive(at);
        if repeat == Repeat::Monthly {
            let anchor = self.naive(first);
            let mut month = local.date().with_day(1).unwrap_or(local.date());
            // A hundred years of months at most: then it is a month after `after`.
            for _ in 0..1200 {
                month = month
                    .checked_add_months(chrono::Months::new(1))
                    .unwrap_or(month);
                let last = month
                    .checked_add_months(chrono::Months::new(1))
                    .and_then(|next| next.pred_opt())
                    .map_or(28, |d| d.day());
                let day = month.with_day(anchor.day().min(last)).unwrap_or(month);
                if let Some(when) = self.resolved(day.and_time(anchor.time()))
                    && when > after
                {
                    return when;
                }
            }
            return after + 31 * 86_400_000;
        }
        // Ten years of days at most: then it is a day after `after`.
        for _ in 0..3700 {
            local += chrono::Duration::days(match repeat {
                Repeat::Weekly => 7,
                Repeat::Daily | Repeat::Weekdays | Repeat::Monthly => 1,
            });
            if repeat == Repeat::Weekdays
                && matches!(local.weekday(), chrono::Weekday::Sat | chrono::Weekday::Sun)
            {
                continue;
            }
            if let Some(when) = self.resolved(local)
                && when > after
            {
                return when;
            }
        }
        after + 86_400_000
    }

    fn naive(&self, millis: Millis) -> chrono::NaiveDateTime {
        Utc.timestamp_millis_opt(millis)
            .single()
            .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
            .with_timezone(&self.zone)
            .naive_local()
    }

    /// A local time as a moment; one a clock change skips, an hour later.
    fn resolved(&self, local: chrono::NaiveDateTime) -> Option<Millis> {
        self.zone
            .from_local_datetime(&local)
            .earliest()
            .or_else(|| {
                self.zone
                    .from_local_datetime(&(local + chrono::Duration::hours(1)))
                    .earliest()
            })
            .map(|dt| dt.timestamp_millis())
    }

    fn local(&self, naive: chrono::NaiveDateTime, raw: &str) -> Result<Millis, ParseError> {
        self.zone
            .from_local_datetime(&naive)
            .earliest()
            .map(|dt| dt.timestamp_millis())
            .ok_or_else(|| {
                ParseError::new(phrase!(
                    "Несуществующее местное время «{}»",
                    "“{}” does not exist in local time (the clock skips it)",
                    truncate(raw, 40)
                ))
            })
    }
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_key_is_the_local_month() {
        let tf = TimeFormat::new("Europe/Moscow").unwrap();
        // 2026-11-30 21:30 UTC is already 1 December in Moscow.
        let eve = tf.parse("2026-11-30T21:30:00Z").unwrap();
        assert_eq!(tf.month_key(eve), 202612);
        assert_eq!(tf.month_key(eve - 3_600_000), 202611);
    }

    #[test]
    fn repeats_keep_the_local_time_and_skip_what_was_missed() {
        let tf = TimeFormat::new("Europe/Moscow").unwrap();
        // Friday 2026-12-04 09:00 Moscow.
        let friday = tf.parse("2026-12-04T09:00:00").unwrap();
        let next = |r, after| tf.format(tf.next_occurrence(r, friday, friday, after));
        assert_eq!(next(Repeat::Daily, friday), "2026-12-05T09:00:00.000+03:00");
        assert_eq!(
            next(Repeat::Weekdays, friday),
            "2026-12-07T09:00:00.000+03:00"
        );
        assert_eq!(
            next(Repeat::Weekly, friday),
            "2026-12-11T09:00:00.000+03:00"
        );
        // Three days late: the missed ones are skipped.
        let late = tf.parse("2026-12-07T10:00:00").unwrap();
        assert_eq!(next(Repeat::Daily, late), "2026-12-08T09:00:00.000+03:00");
        assert_eq!(
            next(Repeat::Weekdays, late),
            "2026-12-08T09:00:00.000+03:00"
        );
        // Across a clock change the local time stays: Berlin goes to summer time on 29 March.
        let berlin = TimeFormat::new("Europe/Berlin").unwrap();
        let before = berlin.parse("2026-03-28T09:00:00").unwrap();
        assert_eq!(
            berlin.format(berlin.next_occurrence(Repeat::Daily, before, before, before)),
            "2026-03-29T09:00:00.000+02:00"
        );
        // 02:30 does not exist that night: an hour later.
        let skipped = berlin.parse("2026-03-28T02:30:00").unwrap();
        assert_eq!(
            berlin.format(berlin.next_occurrence(Repeat::Daily, skipped, skipped, skipped)),
            "2026-03-29T03:30:00.000+02:00"
        );
    }

    #[test]
    fn a_monthly_series_keeps_its_first_day_through_short_months() {
        let tf = TimeFormat::new("Europe/Moscow").unwrap();
        let first = tf.parse("2027-01-31T10:00:00").unwrap();
        let mut at = first;
        let mut seen = vec![];
        for _ in 0..4 {
            at = tf.next_occurrence(Repeat::Monthly, first, at, at);
            seen.push(tf.format(at));
        }
        assert_eq!(
            seen,
            [
                "2027-02-28T10:00:00.000+03:00",
                "2027-03-31T10:00:00.000+03:00",
                "2027-04-30T10:00:00.000+03:00",
                "2027-05-31T10:00:00.000+03:00",
            ]
        );
        // A leap year's February has the 29th; the 15th stays the 15th.
        let leap = tf.parse("2028-01-30T08:00:00").unwrap();
        assert_eq!(
            tf.format(tf.next_occurrence(Repeat::Monthly, leap, leap, leap)),
            "2028-02-29T08:00:00.000+03:00"
        );
        let mid = tf.parse("2027-12-15T08:00:00").unwrap();
        assert_eq!(
            tf.format(tf.next_occurrence(Repeat::Monthly, mid, mid, mid)),
            "2028-01-15T08:00:00.000+03:00"
        );
        // Three months late: the missed ones are skipped.
        let late = tf.parse("2027-05-01T00:00:00").unwrap();
        assert_eq!(
            tf.format(tf.next_occurrence(Repeat::Monthly, first, first, late)),
            "2027-05-31T10:00:00.000+03:00"
        );
    }

    #[test]
    fn formats_in_moscow_with_millis_and_offset() {
        let tf = TimeFormat::new("Europe/Moscow").unwrap();
        let ms = tf.parse("2022-09-21T20:00:00.000Z").unwrap();
        assert_eq!(tf.format(ms), "2022-09-21T23:00:00.000+03:00");
    }

    #[test]
    fn writes_what_chrono_writes_in_any_zone() {
        let samples = [
            0,
            1,
            -1,
            999,
            1_700_000_000_123,
            1_414_875_600_000, // Moscow went from +04:00 to +03:00 on 2014-10-26
            1_414_274_399_999,
            253_402_300_799_999, // 9999-12-31T23:59:59.999Z
            -62_135_596_800_000, // 0001-01-01
        ];
        for zone in ["Europe/Moscow", "UTC", "America/St_Johns", "Asia/Kathmandu"] {
            let tf = TimeFormat::new(zone).unwrap();
            let tz: Tz = zone.parse().unwrap();
            for ms in samples {
                let chrono = Utc
                    .timestamp_millis_opt(ms)
                    .unwrap()
                    .with_timezone(&tz)
                    .to_rfc3339_opts(SecondsFormat::Millis, false);
                assert_eq!(tf.format(ms), chrono, "{zone} {ms}");
            }
        }
    }

    #[test]
    fn accepts_any_offset_and_bare_local_dates() {
        let tf = TimeFormat::new("Europe/Moscow").unwrap();
        let a = tf.parse("2022-09-21T23:00:00.000+03:00").unwrap();
        let b = tf.parse("2022-09-21T15:00:00-05:00").unwrap();
        let c = tf.parse("2022-09-21T23:00:00").unwrap();
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert!(tf.parse("вчера").is_err());
    }
}
