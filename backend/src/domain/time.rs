//! Time: stored as Unix milliseconds, shown as ISO 8601 with milliseconds and an offset.

use super::ParseError;
use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use chrono_tz::Tz;

pub type Millis = i64;

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
        let zone = zone_name
            .parse::<Tz>()
            .map_err(|_| ParseError::new(format!("Unknown time zone: {zone_name}")))?;
        Ok(Self { zone })
    }

    /// `2014-09-21T23:00:00.000+03:00`, the form of the v1 guide.
    pub fn format(&self, millis: Millis) -> String {
        let utc = Utc
            .timestamp_millis_opt(millis)
            .single()
            .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
        utc.with_timezone(&self.zone)
            .to_rfc3339_opts(SecondsFormat::Millis, false)
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
        Err(ParseError::new(format!(
            "Неверная дата «{}»: ожидается ISO 8601, например 2014-09-21T23:00:00.000+03:00",
            truncate(raw, 40)
        )))
    }

    fn local(&self, naive: chrono::NaiveDateTime, raw: &str) -> Result<Millis, ParseError> {
        self.zone
            .from_local_datetime(&naive)
            .earliest()
            .map(|dt| dt.timestamp_millis())
            .ok_or_else(|| {
                ParseError::new(format!(
                    "Несуществующее местное время «{}»",
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
    fn formats_in_moscow_with_millis_and_offset() {
        let tf = TimeFormat::new("Europe/Moscow").unwrap();
        let ms = tf.parse("2022-09-21T20:00:00.000Z").unwrap();
        assert_eq!(tf.format(ms), "2022-09-21T23:00:00.000+03:00");
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
