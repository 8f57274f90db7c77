//! Bounded, trimmed texts: names, titles and message bodies.

use super::ParseError;

/// Control characters other than line breaks and tabs have no place in a notification.
fn clean(raw: &str) -> String {
    let kept: String = raw
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
        .collect();
    kept.trim().to_owned()
}

macro_rules! bounded_text {
    ($name:ident, $max:expr, $empty:literal, $long:literal) => {
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            pub const MAX_CHARS: usize = $max;

            pub fn parse(raw: &str) -> Result<Self, ParseError> {
                let s = clean(raw);
                if s.is_empty() {
                    return Err(ParseError::new($empty));
                }
                let n = s.chars().count();
                if n > Self::MAX_CHARS {
                    return Err(ParseError::new(format!(
                        concat!($long, ": {} символов при максимуме {}"),
                        n,
                        Self::MAX_CHARS
                    )));
                }
                Ok(Self(s))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_inner(self) -> String {
                self.0
            }
        }
    };
}

/// The first `max_chars` characters of `text`, with an ellipsis when it was longer.
pub fn shortened(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

bounded_text!(
    Title,
    250,
    "Не указан заголовок сообщения (title)",
    "Слишком длинный заголовок"
);
bounded_text!(
    MessageText,
    10_000,
    "Не указан текст сообщения (message)",
    "Слишком длинный текст сообщения"
);
bounded_text!(
    StaffName,
    200,
    "Не указано ФИО сотрудника (staffname)",
    "Слишком длинное ФИО"
);
bounded_text!(
    GroupName,
    100,
    "Не указано название группы (name)",
    "Слишком длинное название группы"
);
bounded_text!(
    PartnerName,
    500,
    "Не указано название организации",
    "Слишком длинное название"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_bounds_titles() {
        assert_eq!(
            Title::parse("  Планерка \u{0007}").unwrap().as_str(),
            "Планерка"
        );
        assert!(Title::parse("   ").is_err());
        assert!(Title::parse(&"я".repeat(251)).is_err());
        assert!(Title::parse(&"я".repeat(250)).is_ok());
    }
}
