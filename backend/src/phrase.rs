//! Words for people in both languages the product speaks. Refusals are written once, where
//! the rule lives; the v1 API answers in Russian (as the original did) unless the caller's
//! `Accept-Language` prefers English, the cabinet in the visitor's language.

use std::borrow::Cow;
use std::fmt;

/// The languages of the product: Russian first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Ru,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ru" => Some(Self::Ru),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Ru => "ru",
            Self::En => "en",
        }
    }

    /// What an `Accept-Language` header prefers of ours; Russian when it names neither.
    /// (`en-US,en;q=0.9` is English, `ru-RU,en;q=0.8` and `de` are Russian.)
    pub fn from_accept_language(header: &str) -> Self {
        accept_language::parse(header)
            .iter()
            .find_map(|tag| {
                let primary = tag.split('-').next().unwrap_or_default();
                Self::parse(&primary.to_ascii_lowercase())
            })
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrase {
    ru: Cow<'static, str>,
    en: Cow<'static, str>,
}

impl Phrase {
    pub fn new(ru: impl Into<Cow<'static, str>>, en: impl Into<Cow<'static, str>>) -> Self {
        Self {
            ru: ru.into(),
            en: en.into(),
        }
    }

    pub fn ru(&self) -> &str {
        &self.ru
    }

    pub fn en(&self) -> &str {
        &self.en
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Ru => &self.ru,
            Lang::En => &self.en,
        }
    }
}

/// Russian: logs, the CLI and the v1 API read a phrase this way.
impl fmt::Display for Phrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.ru)
    }
}

/// `phrase!("Сотрудник {id} не найден", "Employee {id} not found")`: the same arguments
/// fill both texts. Written at each refusal so that the two never drift apart in a catalogue.
macro_rules! phrase {
    ($ru:expr, $en:expr $(,)?) => {
        $crate::phrase::Phrase::new(format!($ru), format!($en))
    };
    ($ru:expr, $en:expr, $($arg:tt)+) => {
        $crate::phrase::Phrase::new(format!($ru, $($arg)+), format!($en, $($arg)+))
    };
}

/// Words kept in the database in Russian: a message's history and failure reason, a
/// webhook's last error, a scheduled send's refusals. The v1 API shows them as stored; the
/// English cabinet reads them back through the same pattern they were written from, so a
/// pattern changed here changes both sides. `{}` marks each value.
#[derive(Debug, Clone, Copy)]
pub struct Stored {
    ru: &'static str,
    en: &'static str,
}

impl Stored {
    const fn new(ru: &'static str, en: &'static str) -> Self {
        Self { ru, en }
    }

    /// The Russian, each `{}` filled with the next value: what is stored.
    pub fn fill(&self, values: &[&str]) -> String {
        fill_in(self.ru, values)
    }

    /// Both languages filled, for a refusal said now and stored as well.
    pub fn phrase(&self, values: &[&str]) -> Phrase {
        Phrase::new(fill_in(self.ru, values), fill_in(self.en, values))
    }

    /// The values of `text` if it was filled from this pattern. Each value but the last ends
    /// at the first place the next words occur; the last runs to the pattern's end.
    fn values<'t>(&self, text: &'t str) -> Option<Vec<&'t str>> {
        let parts: Vec<&str> = self.ru.split("{}").collect();
        let mut rest = text.strip_prefix(parts[0])?;
        let mut values = Vec::with_capacity(parts.len() - 1);
        for (i, words) in parts.iter().enumerate().skip(1) {
            if i + 1 == parts.len() {
                values.push(rest.strip_suffix(words)?);
                rest = "";
            } else {
                let at = rest.find(words)?;
                values.push(&rest[..at]);
                rest = &rest[at + words.len()..];
            }
        }
        rest.is_empty().then_some(values)
    }
}

fn fill_in(pattern: &str, values: &[&str]) -> String {
    let mut out = String::with_capacity(pattern.len() + 32);
    let mut values = values.iter();
    for (i, part) in pattern.split("{}").enumerate() {
        if i > 0 {
            out.push_str(values.next().copied().unwrap_or_default());
        }
        out.push_str(part);
    }
    out
}

pub mod stored {
    use super::Stored;

    pub const CREATED_QUEUED: Stored = Stored::new(
        "Создано ({}), ожидает отправки",
        "Created ({}), waiting to be sent",
    );
    pub const CREATED_NO_DEVICE: Stored = Stored::new(
        "Создано ({}); у сотрудника нет push-токена, сообщение доступно в истории",
        "Created ({}); the employee has no push token, the message is in their history",
    );
    pub const ACCEPTED: Stored = Stored::new("Принято провайдером {}", "Accepted by {}");
    pub const OPENED: Stored = Stored::new(
        "Сотрудник открыл сообщение",
        "The employee opened the message",
    );
    pub const CONFIRMED: Stored = Stored::new(
        "Приложение подтвердило получение",
        "The app confirmed receipt",
    );
    pub const NO_TOKEN: Stored = Stored::new(
        "У сотрудника нет push-токена: сообщение доступно в истории",
        "The employee has no push token: the message is in their history",
    );
    pub const NO_PROVIDER: Stored = Stored::new(
        "Для устройства {} не настроен push-провайдер",
        "No push provider is set up for device {}",
    );
    pub const PROVIDER_SILENT: Stored =
        Stored::new("{}: нет ответа за {} с", "{}: no answer in {} s");
    pub const DEAD_TOKEN: Stored = Stored::new(
        "Push-токен устройства недействителен и удалён ({}: {}); сообщение доступно в истории",
        "The device's push token is invalid and was removed ({}: {}); the message is in their \
         history",
    );
    pub const REJECTED: Stored = Stored::new(
        "{} отклонил уведомление: {}",
        "{} refused the notification: {}",
    );
    pub const GAVE_UP: Stored = Stored::new(
        "Не доставлено, попыток: {}: {}",
        "Not delivered after {} attempts: {}",
    );
    pub const NETWORK: Stored = Stored::new("сеть: {}", "network: {}");
    pub const OAUTH_STATUS: Stored = Stored::new("OAuth: ответ {}: {}", "OAuth: answer {}: {}");
    pub const OAUTH_MALFORMED: Stored =
        Stored::new("OAuth: неверный ответ: {}", "OAuth: malformed answer: {}");
    pub const HOOK_SILENT: Stored = Stored::new("нет ответа за {} с", "no answer in {} s");
    pub const HOOK_UNREACHABLE: Stored =
        Stored::new("не удалось соединиться: {}", "could not connect: {}");
    pub const HOOK_REDIRECT: Stored = Stored::new(
        "HTTP {} (перенаправления не выполняются)",
        "HTTP {} (redirects are not followed)",
    );
    pub const URL_INVALID: Stored = Stored::new("адрес не разобран", "the address does not parse");
    pub const URL_SCHEME: Stored = Stored::new(
        "адрес должен начинаться с https:// или http://",
        "the address must start with https:// or http://",
    );
    pub const URL_CREDENTIALS: Stored = Stored::new(
        "в адресе не должно быть логина и пароля",
        "the address must not hold a login and password",
    );
    pub const URL_PRIVATE: Stored = Stored::new(
        "адрес ведёт во внутреннюю сеть",
        "the address leads into an internal network",
    );
    pub const PARTNER_DISABLED: Stored = Stored::new(
        "Компания отключена оператором",
        "The company is disabled by the operator",
    );

    pub const STAFF_NOT_FOUND: Stored =
        Stored::new("Сотрудник {} не найден", "Employee {} not found");
    pub const STAFF_DISABLED: Stored = Stored::new(
        "Сотрудник {} отключён от рассылки",
        "Employee {} is excluded from the mailing",
    );
    pub const STAFF_PENDING: Stored = Stored::new(
        "Сотрудник {} ожидает подтверждения администратором",
        "Employee {} awaits the administrator's approval",
    );
    pub const GROUP_NOT_FOUND: Stored = Stored::new("Группа {} не найдена", "Group {} not found");

    /// Every pattern, the more particular before the more general.
    pub(super) const ALL: &[Stored] = &[
        CREATED_QUEUED,
        CREATED_NO_DEVICE,
        ACCEPTED,
        OPENED,
        CONFIRMED,
        NO_TOKEN,
        NO_PROVIDER,
        DEAD_TOKEN,
        GAVE_UP,
        OAUTH_STATUS,
        OAUTH_MALFORMED,
        NETWORK,
        HOOK_REDIRECT,
        HOOK_UNREACHABLE,
        PROVIDER_SILENT,
        HOOK_SILENT,
        REJECTED,
        URL_INVALID,
        URL_SCHEME,
        URL_CREDENTIALS,
        URL_PRIVATE,
        PARTNER_DISABLED,
        STAFF_NOT_FOUND,
        STAFF_DISABLED,
        STAFF_PENDING,
        GROUP_NOT_FOUND,
    ];
}

/// The English of words stored in Russian, value by value; `None` when no pattern wrote them
/// (a provider's own answer, say), which is then shown as it is.
pub fn stored_in_english(text: &str) -> Option<String> {
    stored::ALL.iter().find_map(|p| {
        let values = p.values(text)?;
        let mut out = String::with_capacity(p.en.len() + text.len());
        let mut values = values.into_iter();
        for (i, part) in p.en.split("{}").enumerate() {
            if i > 0 {
                let v = values.next().unwrap_or_default();
                match stored_in_english(v) {
                    Some(en) => out.push_str(&en),
                    None => out.push_str(v),
                }
            }
            out.push_str(part);
        }
        Some(out)
    })
}

/// Stored words for the English cabinet: a whole text a pattern wrote, or a list of them
/// joined by "; " (a scheduled send's refusals), each piece read back; others as they are.
pub fn stored_english_or_as_is(text: &str) -> String {
    if let Some(en) = stored_in_english(text) {
        return en;
    }
    if text.contains("; ") {
        return text
            .split("; ")
            .map(|piece| stored_in_english(piece).unwrap_or_else(|| piece.to_owned()))
            .collect::<Vec<_>>()
            .join("; ");
    }
    text.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_words_read_back_in_english_value_by_value() {
        let silent = stored::PROVIDER_SILENT.fill(&["fcm", "10"]);
        assert_eq!(silent, "fcm: нет ответа за 10 с");
        let gave_up = stored::GAVE_UP.fill(&["5", &silent]);
        assert_eq!(
            stored_in_english(&gave_up).as_deref(),
            Some("Not delivered after 5 attempts: fcm: no answer in 10 s")
        );
        let dead = stored::DEAD_TOKEN.fill(&["apns", "410: Unregistered"]);
        assert_eq!(
            stored_in_english(&dead).as_deref(),
            Some(
                "The device's push token is invalid and was removed (apns: 410: Unregistered); \
                 the message is in their history"
            )
        );
        assert_eq!(
            stored_in_english("Принято провайдером fcm").as_deref(),
            Some("Accepted by fcm")
        );
        // Words no pattern wrote (a provider's own) stay as they are.
        assert_eq!(stored_in_english("INVALID_ARGUMENT"), None);
        assert_eq!(stored_in_english("Принято провайдером"), None);
        assert_eq!(stored_in_english("Сотрудник открыл сообщение!"), None);
        let refused = [
            stored::STAFF_DISABLED.fill(&["7"]),
            stored::PARTNER_DISABLED.fill(&[]),
            "…".to_owned(),
        ]
        .join("; ");
        assert_eq!(
            stored_english_or_as_is(&refused),
            "Employee 7 is excluded from the mailing; The company is disabled by the operator; …"
        );
        let p = stored::STAFF_NOT_FOUND.phrase(&["12"]);
        assert_eq!(
            (p.ru(), p.en()),
            ("Сотрудник 12 не найден", "Employee 12 not found")
        );
    }

    #[test]
    fn every_pattern_reads_back_what_it_wrote() {
        for p in stored::ALL {
            let n = p.ru.matches("{}").count();
            let values: Vec<String> = (0..n).map(|i| format!("v{i}")).collect();
            let values: Vec<&str> = values.iter().map(String::as_str).collect();
            let en = stored_in_english(&p.fill(&values)).unwrap();
            let mut expected = p.en.to_owned();
            for v in &values {
                expected = expected.replacen("{}", v, 1);
            }
            assert_eq!(en, expected, "{}", p.ru);
            assert_eq!(p.en.matches("{}").count(), n, "{}", p.ru);
        }
    }

    #[test]
    fn the_api_speaks_english_only_when_english_comes_before_russian() {
        for (header, lang) in [
            ("en-US,en;q=0.9", Lang::En),
            ("EN", Lang::En),
            ("de-DE, en;q=0.5, ru;q=0.4", Lang::En),
            ("ru-RU,ru;q=0.9,en-US;q=0.8", Lang::Ru),
            ("en;q=0.3, ru", Lang::Ru),
            ("de, fr", Lang::Ru),
            ("", Lang::Ru),
            ("*", Lang::Ru),
        ] {
            assert_eq!(Lang::from_accept_language(header), lang, "{header}");
        }
    }

    #[test]
    fn both_texts_take_the_same_arguments() {
        let id = 7;
        let p = phrase!("Сотрудник {id} не найден", "Employee {id} not found");
        assert_eq!(p.ru(), "Сотрудник 7 не найден");
        assert_eq!(p.en(), "Employee 7 not found");
        assert_eq!(p.to_string(), "Сотрудник 7 не найден");
        let q = phrase!("{} из {}", "{} of {}", 1, 2);
        assert_eq!(q.en(), "1 of 2");
    }
}
