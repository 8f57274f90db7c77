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
/// webhook's last error, a scheduled send's refusals, the journal's details. The v1 API shows
/// them as stored; the English cabinet reads them back through the same pattern they were
/// written from, so a pattern changed here changes both sides. `{}` marks a value kept as it
/// is (a name, a number, a provider's answer), `{*}` one that is stored words itself.
#[derive(Debug, Clone, Copy)]
pub struct Stored {
    ru: &'static str,
    en: &'static str,
}

impl Stored {
    const fn new(ru: &'static str, en: &'static str) -> Self {
        Self { ru, en }
    }

    /// The Russian, each slot filled with the next value: what is stored.
    pub fn fill(&self, values: &[&str]) -> String {
        fill_in(self.ru, values)
    }

    fn get(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Ru => self.ru,
            Lang::En => self.en,
        }
    }

    /// Both languages filled, for a refusal said now and stored as well.
    pub fn phrase(&self, values: &[&str]) -> Phrase {
        Phrase::new(fill_in(self.ru, values), fill_in(self.en, values))
    }

    /// The values of `text` if it was filled from this pattern. Each value but the last ends
    /// at the first place the next words occur; the last runs to the pattern's end.
    fn values<'t>(&self, text: &'t str) -> Option<Vec<&'t str>> {
        let (words, _) = slots(self.ru);
        let mut rest = text.strip_prefix(words[0])?;
        let mut values = Vec::with_capacity(words.len() - 1);
        for (i, between) in words.iter().enumerate().skip(1) {
            if i + 1 == words.len() {
                values.push(rest.strip_suffix(between)?);
                rest = "";
            } else {
                let at = rest.find(between)?;
                values.push(&rest[..at]);
                rest = &rest[at + between.len()..];
            }
        }
        rest.is_empty().then_some(values)
    }

    /// The English of `text` if it was filled from this pattern; the values of `{*}` slots
    /// read back in turn.
    fn english(&self, text: &str) -> Option<String> {
        let values = self.values(text)?;
        let (words, nested) = slots(self.en);
        let mut out = String::with_capacity(self.en.len() + text.len());
        out.push_str(words[0]);
        for ((value, deep), after) in values.into_iter().zip(nested).zip(&words[1..]) {
            match deep.then(|| stored_in_english(value)).flatten() {
                Some(en) => out.push_str(&en),
                None => out.push_str(value),
            }
            out.push_str(after);
        }
        Some(out)
    }
}

/// The words around a pattern's slots, and for each slot whether it holds stored words (`{*}`).
fn slots(pattern: &str) -> (Vec<&str>, Vec<bool>) {
    let (mut words, mut nested) = (Vec::new(), Vec::new());
    let mut rest = pattern;
    loop {
        let (at, deep) = match (rest.find("{}"), rest.find("{*}")) {
            (Some(data), Some(deep)) if deep < data => (deep, true),
            (Some(data), _) => (data, false),
            (None, Some(deep)) => (deep, true),
            (None, None) => break,
        };
        words.push(&rest[..at]);
        nested.push(deep);
        rest = &rest[at + if deep { 3 } else { 2 }..];
    }
    words.push(rest);
    (words, nested)
}

fn fill_in(pattern: &str, values: &[&str]) -> String {
    let (words, _) = slots(pattern);
    let mut out = String::with_capacity(pattern.len() + 32);
    let mut values = values.iter();
    for (i, between) in words.iter().enumerate() {
        if i > 0 {
            out.push_str(values.next().copied().unwrap_or_default());
        }
        out.push_str(between);
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
    pub const ACKNOWLEDGED: Stored = Stored::new(
        "Сотрудник подтвердил ознакомление",
        "The employee acknowledged the message",
    );
    pub const REMINDER_SENT: Stored = Stored::new(
        "Напоминание об ознакомлении принято провайдером {}",
        "Reminder to acknowledge accepted by {}",
    );
    pub const REMINDER_FAILED: Stored =
        Stored::new("Напоминание не отправлено: {*}", "Reminder not sent: {*}");
    pub const SMS_SENT: Stored = Stored::new(
        "Не прочитано вовремя: SMS отправлено на {}",
        "Not read in time: SMS sent to {}",
    );
    pub const SMS_OVER_LIMIT: Stored = Stored::new(
        "SMS не отправлено: исчерпан лимит — {} SMS в месяц",
        "SMS not sent: the limit of {} SMS a month is reached",
    );
    pub const SMS_GAVE_UP: Stored = Stored::new(
        "SMS не отправлено: шлюз не принимал его сутки ({})",
        "SMS not sent: the gateway refused it for a day ({})",
    );
    pub const SMS_AFTER: Stored = Stored::new("через {} мин, {*}", "after {} min, {*}");
    pub const SMS_FOR_ACK: Stored = Stored::new(
        "сообщения, требующие ознакомления",
        "messages to be acknowledged",
    );
    pub const SMS_FOR_ALL: Stored = Stored::new("все сообщения", "every message");
    pub const SMS_OFF: Stored = Stored::new("не отправлять", "off");
    pub const AUDIT_SMS_LIMIT: Stored =
        Stored::new("лимит: {} SMS в месяц", "limit: {} SMS a month");
    pub const AUDIT_INVITES_SENT: Stored =
        Stored::new("отправлено приглашений: {}", "invitations sent: {}");
    pub const AUDIT_INVITES_WANTED: Stored = Stored::new(
        "сотрудников, не входивших в приложение: {}",
        "employees who have not logged in to the app: {}",
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
        "Не доставлено, попыток: {}: {*}",
        "Not delivered after {} attempts: {*}",
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

    pub const AUDIT_SCHEDULED: Stored =
        Stored::new("«{}» → {}, получателей: {*}", "“{}” → {}, recipients: {*}");
    pub const AUDIT_SCHEDULED_REPEATING: Stored = Stored::new(
        "«{}» → {}, получателей: {*}, повтор: {*}",
        "“{}” → {}, recipients: {*}, repeats: {*}",
    );
    /// A waiting send changed: the send before and after, each as `AUDIT_SCHEDULED` says it.
    pub const AUDIT_SCHEDULE_CHANGED: Stored = Stored::new("{*} ⇒ {*}", "{*} ⇒ {*}");
    /// A scheduled send whose messages ask to be acknowledged, as the journal says it.
    pub const AUDIT_SCHEDULED_ACK: Stored = Stored::new(
        "{*}, с подтверждением ознакомления",
        "{*}, to be acknowledged",
    );
    /// A scheduled send that carries files, as the journal says it: their names.
    pub const AUDIT_SCHEDULED_FILES: Stored = Stored::new("{*}, файлы: {}", "{*}, files: {}");
    pub const TO_GROUP: Stored = Stored::new("группа «{}»", "group “{}”");
    pub const TO_ALL_ACTIVE: Stored = Stored::new("все активные", "all active");
    pub const EVERY_DAY: Stored = Stored::new("каждый день", "every day");
    pub const ON_WEEKDAYS: Stored = Stored::new("по будням", "on weekdays");
    pub const EVERY_WEEK: Stored = Stored::new("каждую неделю", "every week");
    pub const EVERY_MONTH: Stored = Stored::new("каждый месяц", "every month");
    pub const AUDIT_GROUP_SAVED: Stored = Stored::new("«{}», участников: {}", "“{}”, members: {}");
    pub const RECALLED: Stored = Stored::new("Сообщение отозвано ({})", "Message recalled ({})");
    pub const RESENT: Stored = Stored::new("Отправка повторена ({})", "Sent again ({})");
    pub const KEEP_DAYS: Stored = Stored::new("{} дн.", "{} days");
    pub const KEEP_FOREVER: Stored = Stored::new("бессрочно", "for good");
    pub const REMIND_HOURS: Stored = Stored::new("через {} ч", "after {} hours");
    pub const REMIND_OFF: Stored = Stored::new("не напоминать", "no reminders");
    pub const AUDIT_RECALLED: Stored =
        Stored::new("сообщений: {}, ID: {}", "messages: {}, IDs: {}");
    pub const AUDIT_STAFF_ADDED: Stored = Stored::new(
        "добавлено: {}, подтверждено: {}, уже были: {}",
        "added: {}, approved: {}, already there: {}",
    );
    pub const AUDIT_STAFF_SYNCED: Stored =
        Stored::new("в списках: {}, отключено: {}", "listed: {}, disabled: {}");
    pub const AUDIT_PARTNER_ERASED: Stored = Stored::new(
        "удалено сообщений: {}, сотрудников: {}",
        "messages deleted: {}, employees: {}",
    );
    /// A failed operator login with a login no operator has: what was typed is not kept (it
    /// may be a password typed in the wrong field).
    pub const AUDIT_UNKNOWN_LOGIN: Stored = Stored::new("неизвестный логин", "unknown login");
    pub const AUDIT_SECOND_FACTOR_REMOVED: Stored = Stored::new(
        "вход по коду из приложения отключён",
        "login with a code from the app turned off",
    );
    pub const AUDIT_SESSIONS_ENDED: Stored = Stored::new(
        "завершено сеансов администраторов без кода: {}",
        "sessions of admins without a code ended: {}",
    );
    pub const AUDIT_KEY: Stored = Stored::new("ключ «{}»", "key “{}”");
    pub const AUDIT_MAIN_KEY: Stored = Stored::new("основной ключ", "the main key");
    pub const AUDIT_ADDRESSES: Stored = Stored::new("адреса: {}", "addresses: {}");
    pub const AUDIT_FROM: Stored = Stored::new("с адреса {}", "from {}");
    pub const AUDIT_ANY_ADDRESS: Stored = Stored::new("адреса: любые", "addresses: any");
    pub const AUDIT_KEY_NO_END: Stored = Stored::new("без срока окончания", "with no end date");
    pub const AUDIT_KEY_END: Stored = Stored::new("работает по {}", "works through {}");
    pub const AUDIT_KEY_READ: Stored =
        Stored::new("ключ «{}», только чтение", "key “{}”, read only");
    pub const AUDIT_KEY_SENDS: Stored = Stored::new(
        "ключ «{}», только отправка сообщений",
        "key “{}”, sending messages only",
    );
    pub const ACCESS_FULL: Stored = Stored::new("доступ: полный", "access: full");
    pub const ACCESS_SENDS: Stored = Stored::new(
        "доступ: только отправка сообщений",
        "access: sending messages only",
    );
    pub const ACCESS_READ: Stored = Stored::new("доступ: только чтение", "access: read only");
    pub const AUDIT_RESEALED: Stored = Stored::new(
        "секретов зашифровано новым ключом: {}",
        "secrets sealed with the new key: {}",
    );
    pub const AUDIT_VIEWER: Stored = Stored::new("{}, только просмотр", "{}, view only");
    pub const AUDIT_SENDER: Stored = Stored::new("{}, отправка сообщений", "{}, sending messages");
    pub const AUDIT_HR: Stored = Stored::new(
        "{}, сотрудники и сообщения без настроек",
        "{}, employees and messages without the settings",
    );
    pub const AUDIT_GUEST: Stored = Stored::new(
        "{*}, администратор другой организации",
        "{*}, another company's admin",
    );
    pub const AUDIT_RESET_AT_HOME: Stored = Stored::new(
        "{*}: доступ отключён, его организация задала ему новый пароль",
        "{*}: access disabled, their own company gave them a new password",
    );
    pub const AUDIT_ENTERED: Stored = Stored::new(
        "переход из другой организации по доступу",
        "came over from another company through an access",
    );
    pub const AUDIT_REFUSED_VIEWER: Stored = Stored::new(
        "{}; учётная запись только для просмотра",
        "{}; a view-only account",
    );
    pub const AUDIT_REFUSED_HR: Stored = Stored::new(
        "{}; учётная запись без доступа к настройкам",
        "{}; an account without the settings",
    );
    pub const AUDIT_REFUSED_SENDER: Stored = Stored::new(
        "{}; учётная запись только для отправки сообщений",
        "{}; an account for sending messages only",
    );
    pub const AUDIT_WITH_CODE: Stored =
        Stored::new("с кодом из приложения", "with a code from the app");
    pub const AUDIT_WITH_RECOVERY: Stored = Stored::new(
        "с кодом восстановления, осталось кодов: {}",
        "with a recovery code, codes left: {}",
    );
    pub const AUDIT_WRONG_CODE: Stored = Stored::new(
        "пароль верный, код из приложения неверный",
        "right password, wrong code from the app",
    );

    /// Every pattern, the more particular before the more general.
    pub(super) const ALL: &[Stored] = &[
        CREATED_QUEUED,
        CREATED_NO_DEVICE,
        ACCEPTED,
        OPENED,
        CONFIRMED,
        ACKNOWLEDGED,
        REMINDER_SENT,
        REMINDER_FAILED,
        SMS_SENT,
        SMS_OVER_LIMIT,
        SMS_GAVE_UP,
        SMS_AFTER,
        SMS_FOR_ACK,
        SMS_FOR_ALL,
        SMS_OFF,
        AUDIT_SMS_LIMIT,
        AUDIT_INVITES_SENT,
        AUDIT_INVITES_WANTED,
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
        // Before the two it holds, which would take its first as theirs and the rest as a value.
        AUDIT_SCHEDULE_CHANGED,
        // Before those it follows, whose last value would take it.
        AUDIT_SCHEDULED_FILES,
        // Before the two it follows, whose last value would take it.
        AUDIT_SCHEDULED_ACK,
        AUDIT_SCHEDULED_REPEATING,
        AUDIT_SCHEDULED,
        TO_GROUP,
        TO_ALL_ACTIVE,
        EVERY_DAY,
        ON_WEEKDAYS,
        EVERY_WEEK,
        EVERY_MONTH,
        AUDIT_GROUP_SAVED,
        RECALLED,
        RESENT,
        KEEP_DAYS,
        REMIND_HOURS,
        REMIND_OFF,
        KEEP_FOREVER,
        AUDIT_RECALLED,
        AUDIT_STAFF_ADDED,
        AUDIT_STAFF_SYNCED,
        AUDIT_PARTNER_ERASED,
        AUDIT_UNKNOWN_LOGIN,
        AUDIT_SECOND_FACTOR_REMOVED,
        AUDIT_WITH_CODE,
        AUDIT_WITH_RECOVERY,
        AUDIT_WRONG_CODE,
        AUDIT_SESSIONS_ENDED,
        AUDIT_RESEALED,
        AUDIT_KEY,
        AUDIT_MAIN_KEY,
        // Before the pattern "адреса: {}", which would read it as a list of addresses.
        AUDIT_ANY_ADDRESS,
        AUDIT_ADDRESSES,
        AUDIT_KEY_NO_END,
        AUDIT_KEY_END,
        AUDIT_FROM,
        AUDIT_KEY_READ,
        AUDIT_KEY_SENDS,
        ACCESS_FULL,
        ACCESS_SENDS,
        ACCESS_READ,
        AUDIT_VIEWER,
        AUDIT_SENDER,
        AUDIT_HR,
        AUDIT_RESET_AT_HOME,
        AUDIT_GUEST,
        AUDIT_ENTERED,
        AUDIT_REFUSED_VIEWER,
        AUDIT_REFUSED_SENDER,
        AUDIT_REFUSED_HR,
    ];
}

/// The English of words stored in Russian, value by value; `None` when no pattern wrote them
/// (a provider's own answer, say), which is then shown as it is.
pub fn stored_in_english(text: &str) -> Option<String> {
    stored::ALL.iter().find_map(|p| p.english(text))
}

/// `text` as shown in `lang` when a pattern whose one value is a message's source code (`api`,
/// `cabinet`) wrote it: with `words` of that code in its place ("Создано (через API), …"
/// rather than "Создано (api), …"). `None` for any other text, or a code `words` does not know.
pub fn with_source_words<'w>(
    text: &str,
    lang: Lang,
    words: impl Fn(&str) -> Option<&'w str>,
) -> Option<String> {
    use stored::{CREATED_NO_DEVICE, CREATED_QUEUED, RECALLED, RESENT};
    [CREATED_QUEUED, CREATED_NO_DEVICE, RECALLED, RESENT]
        .iter()
        .find_map(|p| {
            let code = match p.values(text)?.as_slice() {
                [code] => *code,
                _ => return None,
            };
            Some(fill_in(p.get(lang), &[words(code)?]))
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
    fn a_source_code_shows_as_words_in_either_language() {
        let words = |code: &str| match code {
            "api" => Some("через API"),
            _ => None,
        };
        let created = stored::CREATED_NO_DEVICE.fill(&["api"]);
        assert_eq!(
            with_source_words(&created, Lang::Ru, words).as_deref(),
            Some("Создано (через API); у сотрудника нет push-токена, сообщение доступно в истории")
        );
        let recalled = stored::RECALLED.fill(&["api"]);
        assert_eq!(
            with_source_words(&recalled, Lang::En, |_| Some("via the API")).as_deref(),
            Some("Message recalled (via the API)")
        );
        assert_eq!(
            with_source_words(&stored::RECALLED.fill(&["cli"]), Lang::Ru, words),
            None,
            "a code without words"
        );
        let accepted = stored::ACCEPTED.fill(&["api"]);
        assert_eq!(with_source_words(&accepted, Lang::Ru, words), None);
    }

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
            let (_, kinds) = slots(p.ru);
            assert_eq!(slots(p.en).1, kinds, "the same slots in both: {}", p.ru);
            let values: Vec<String> = (0..kinds.len()).map(|i| format!("v{i}")).collect();
            let values: Vec<&str> = values.iter().map(String::as_str).collect();
            let en = stored_in_english(&p.fill(&values)).unwrap();
            assert_eq!(en, fill_in(p.en, &values), "{}", p.ru);
        }
    }

    #[test]
    fn only_slots_of_words_are_read_back() {
        // A title that happens to be one of our phrases stays the title.
        let title = stored::EVERY_DAY.fill(&[]);
        let every = stored::EVERY_WEEK.fill(&[]);
        let whom = stored::TO_GROUP.fill(&["Склад"]);
        let scheduled =
            stored::AUDIT_SCHEDULED_REPEATING.fill(&[&title, "2026-12-01 09:00", &whom, &every]);
        assert_eq!(
            stored_in_english(&scheduled).as_deref(),
            Some(
                "“каждый день” → 2026-12-01 09:00, recipients: group “Склад”, repeats: every week"
            )
        );
        let once = stored::AUDIT_SCHEDULED.fill(&["Планерка", "2026-12-01 09:00", "12"]);
        assert_eq!(
            stored_in_english(&once).as_deref(),
            Some("“Планерка” → 2026-12-01 09:00, recipients: 12")
        );
        // A change holds both, each read back whole.
        let changed = stored::AUDIT_SCHEDULE_CHANGED.fill(&[&once, &scheduled]);
        assert_eq!(
            stored_in_english(&changed).as_deref(),
            Some(
                "“Планерка” → 2026-12-01 09:00, recipients: 12 ⇒ “каждый день” → 2026-12-01 \
                 09:00, recipients: group “Склад”, repeats: every week"
            )
        );
        // One asking to be acknowledged, changed to one that does not.
        let asks = stored::AUDIT_SCHEDULED_ACK.fill(&[&once]);
        let changed = stored::AUDIT_SCHEDULE_CHANGED.fill(&[&asks, &scheduled]);
        assert_eq!(
            stored_in_english(&changed).as_deref(),
            Some(
                "“Планерка” → 2026-12-01 09:00, recipients: 12, to be acknowledged ⇒ “каждый \
                 день” → 2026-12-01 09:00, recipients: group “Склад”, repeats: every week"
            )
        );
        // One with files, changed to none: the names stay as they are.
        let with_files = stored::AUDIT_SCHEDULED_FILES.fill(&[&asks, "Приказ.pdf, График.png"]);
        let changed = stored::AUDIT_SCHEDULE_CHANGED.fill(&[&with_files, &once]);
        assert_eq!(
            stored_in_english(&changed).as_deref(),
            Some(
                "“Планерка” → 2026-12-01 09:00, recipients: 12, to be acknowledged, files: \
                 Приказ.pdf, График.png ⇒ “Планерка” → 2026-12-01 09:00, recipients: 12"
            )
        );
        // A provider's answer that looks like ours is the provider's.
        let rejected = stored::REJECTED.fill(&["fcm", &stored::NETWORK.fill(&["x"])]);
        assert_eq!(
            stored_in_english(&rejected).as_deref(),
            Some("fcm refused the notification: сеть: x")
        );
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
