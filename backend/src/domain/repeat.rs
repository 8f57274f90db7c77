//! How a scheduled send repeats: once (no value), every day, on weekdays, every week, every
//! month.

use super::ParseError;
use crate::phrase::stored;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    Daily,
    /// Monday to Friday.
    Weekdays,
    Weekly,
    /// On the day of the month of the series' first send (the last day of a shorter month).
    Monthly,
}

impl Repeat {
    pub const ALL: [Self; 4] = [Self::Daily, Self::Weekdays, Self::Weekly, Self::Monthly];

    /// `daily`, `weekdays`, `weekly` or `monthly`; blank or `none` is "once" (`None`).
    pub fn parse(raw: &str) -> Result<Option<Self>, ParseError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "" | "none" | "once" => Ok(None),
            "daily" => Ok(Some(Self::Daily)),
            "weekdays" => Ok(Some(Self::Weekdays)),
            "weekly" => Ok(Some(Self::Weekly)),
            "monthly" => Ok(Some(Self::Monthly)),
            _ => Err(ParseError::new(phrase!(
                "Поле «repeat» должно быть daily (каждый день), weekdays (по будням), weekly \
                 (каждую неделю) или monthly (каждый месяц); без него — один раз",
                "“repeat” is daily, weekdays, weekly or monthly; without it a send goes once"
            ))),
        }
    }

    /// The stored value, and the one the API shows.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Daily => "daily",
            Self::Weekdays => "weekdays",
            Self::Weekly => "weekly",
            Self::Monthly => "monthly",
        }
    }

    /// The value as stored (`None` for a send that goes once); an unknown one is "once".
    pub fn stored(value: Option<&str>) -> Option<Self> {
        value.and_then(|v| Self::parse(v).ok().flatten())
    }

    /// As people read it, in Russian (the journal's words; read back in English there).
    pub fn name(self) -> String {
        match self {
            Self::Daily => stored::EVERY_DAY,
            Self::Weekdays => stored::ON_WEEKDAYS,
            Self::Weekly => stored::EVERY_WEEK,
            Self::Monthly => stored::EVERY_MONTH,
        }
        .fill(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_four_and_once() {
        for r in Repeat::ALL {
            assert_eq!(Repeat::parse(r.as_str()), Ok(Some(r)));
            assert_eq!(Repeat::stored(Some(r.as_str())), Some(r));
        }
        assert_eq!(Repeat::parse(" Daily "), Ok(Some(Repeat::Daily)));
        assert_eq!(Repeat::parse(""), Ok(None));
        assert_eq!(Repeat::parse("none"), Ok(None));
        assert!(Repeat::parse("hourly").is_err());
        assert_eq!(Repeat::stored(None), None);
    }
}
