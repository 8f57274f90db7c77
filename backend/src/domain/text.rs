//! Bounded, trimmed texts: names, titles and message bodies.

use super::ParseError;

/// Control characters other than line breaks and tabs have no place in a notification. A text
/// of nothing but invisible characters (zero-width spaces, direction marks, a BOM) is empty:
/// the phone would show a blank notification. Inside visible text they stay (the joiner of
/// an emoji family, a soft hyphen). Also for names kept without a type of their own (a
/// template's).
pub fn clean(raw: &str) -> String {
    let kept: String = raw
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
        .collect();
    let kept = kept.trim();
    if kept.chars().all(|c| c.is_whitespace() || invisible(c)) {
        return String::new();
    }
    kept.to_owned()
}

/// Lower case with ё as е: what a person types to find «Пётр» or «петр», and how two
/// spellings of one name are told to be the same.
pub fn fold(s: &str) -> String {
    s.chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'ё' { 'е' } else { c })
        .collect()
}

/// Format characters and fillers that draw nothing (Unicode's default-ignorable code points).
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{FFF0}'..='\u{FFF8}' | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
}

macro_rules! bounded_text {
    ($name:ident, $max:expr, [$empty:literal, $empty_en:literal], [$long:literal, $long_en:literal]) => {
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            pub const MAX_CHARS: usize = $max;

            pub fn parse(raw: &str) -> Result<Self, ParseError> {
                let s = clean(raw);
                if s.is_empty() {
                    return Err(ParseError::new(phrase!($empty, $empty_en)));
                }
                let n = s.chars().count();
                if n > Self::MAX_CHARS {
                    return Err(ParseError::new(phrase!(
                        concat!($long, ": {} символов при максимуме {}"),
                        concat!($long_en, ": {} characters, at most {}"),
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
    [
        "Не указан заголовок сообщения (title)",
        "The message title is missing (title)"
    ],
    ["Слишком длинный заголовок", "The title is too long"]
);
bounded_text!(
    MessageText,
    10_000,
    [
        "Не указан текст сообщения (message)",
        "The message text is missing (message)"
    ],
    [
        "Слишком длинный текст сообщения",
        "The message text is too long"
    ]
);
bounded_text!(
    StaffName,
    200,
    [
        "Не указано ФИО сотрудника (staffname)",
        "The employee's name is missing (staffname)"
    ],
    ["Слишком длинное ФИО", "The name is too long"]
);
bounded_text!(
    GroupName,
    100,
    [
        "Не указано название группы (name)",
        "The group's name is missing (name)"
    ],
    [
        "Слишком длинное название группы",
        "The group's name is too long"
    ]
);
/// Where a sent-to-many message names each recipient: `{ФИО}` (or `{name}`) becomes the
/// employee's name as the company keeps it.
pub const NAME_PLACEHOLDERS: [&str; 2] = ["{ФИО}", "{name}"];

pub fn has_name_placeholder(text: &str) -> bool {
    NAME_PLACEHOLDERS.iter().any(|p| text.contains(p))
}

/// `template` for one recipient, kept within `max_chars`: a long name in a long title is cut
/// with an ellipsis rather than refusing the whole send for one employee.
pub fn personalized(template: &str, name: &str, max_chars: usize) -> String {
    let text = NAME_PLACEHOLDERS
        .iter()
        .fold(template.to_owned(), |t, p| t.replace(p, name));
    match text.chars().count() > max_chars {
        true => shortened(&text, max_chars - 1),
        false => text,
    }
}

bounded_text!(
    PartnerName,
    500,
    [
        "Не указано название организации",
        "The company's name is missing"
    ],
    ["Слишком длинное название", "The name is too long"]
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
        // Nothing to see: zero-width space, RTL override, BOM, a word joiner.
        let blank = Title::parse("\u{200B}\u{202E} \u{FEFF}\u{2060}").unwrap_err();
        assert!(blank.to_string().contains("Не указан заголовок"), "{blank}");
        assert!(MessageText::parse("\u{0}\u{1}\u{202E}").is_err());
        // Inside visible text they stay: the joiners of an emoji family.
        let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}";
        assert_eq!(Title::parse(family).unwrap().as_str(), family);
        assert!(Title::parse(&"я".repeat(251)).is_err());
        assert!(Title::parse(&"я".repeat(250)).is_ok());
    }

    #[test]
    fn names_fill_their_placeholders_within_the_limit() {
        let title = "{ФИО}, смена {name} завтра";
        assert!(has_name_placeholder(title) && !has_name_placeholder("{ФИ}"));
        assert_eq!(
            personalized(title, "Иванов И.", 250),
            "Иванов И., смена Иванов И. завтра"
        );
        let long = personalized("Уважаемый {ФИО}!", &"я".repeat(300), Title::MAX_CHARS);
        assert_eq!(long.chars().count(), Title::MAX_CHARS);
        assert!(long.starts_with("Уважаемый я") && long.ends_with('…'));
        assert_eq!(personalized("Без имени", "Иванов", 250), "Без имени");
    }
}
