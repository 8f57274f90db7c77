//! Domain types parsed at the edge: a value that exists is valid.
//!
//! The FFI lifts `Inn`, `Phone`, `MessageId` and `FileId` through these parsers
//! (`uniffi::custom_type!`), so Kotlin and Swift cannot hand the core an invalid INN: they get
//! `ApiError.InvalidInput`.

use crate::error::{ApiError, Error, Result};
use crate::lang::say;

/// Taxpayer number of the organisation: 10 digits (company) or 12 (sole trader), checksum verified.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Inn(String);

impl Inn {
    /// Parses an INN, ignoring surrounding whitespace.
    pub fn parse(raw: &str) -> Result<Self> {
        let digits = raw.trim();
        if !digits.bytes().all(|b| b.is_ascii_digit())
            || !(digits.len() == 10 || digits.len() == 12)
        {
            return Err(Error::InvalidInput(say(
                "ИНН должен состоять из 10 или 12 цифр",
                "An INN has 10 or 12 digits",
            )));
        }
        let d: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
        let check = |weights: &[u32]| -> u32 {
            let sum: u32 = weights.iter().zip(&d).map(|(w, x)| w * x).sum();
            sum % 11 % 10
        };
        let valid = if d.len() == 10 {
            check(&[2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[9]
        } else {
            check(&[7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[10]
                && check(&[3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[11]
        };
        if !valid {
            return Err(Error::InvalidInput(say(
                "Неверная контрольная сумма ИНН",
                "Wrong INN: its check digit does not match",
            )));
        }
        Ok(Inn(digits.to_owned()))
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A Russian mobile phone number in E.164 form, `+7` and ten digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    /// Accepts `+7 (923) 338-16-38`, `8 923 338 16 38`, `79233381638` or `9233381638`.
    pub fn parse(raw: &str) -> Result<Self> {
        let allowed = |c: char| c.is_ascii_digit() || " ()-+".contains(c);
        let trimmed = raw.trim();
        let plus_ok = trimmed.rfind('+').is_none_or(|i| i == 0);
        if trimmed.is_empty() || !trimmed.chars().all(allowed) || !plus_ok {
            return Err(Error::InvalidInput(say(
                "Неверный формат номера телефона",
                "Wrong phone number format",
            )));
        }
        let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
        let national = match (trimmed.starts_with('+'), digits.len()) {
            (true, 11) if digits.starts_with('7') => &digits[1..],
            (false, 11) if digits.starts_with('7') || digits.starts_with('8') => &digits[1..],
            (false, 10) => &digits[..],
            _ => {
                return Err(Error::InvalidInput(say(
                    "Номер телефона должен быть российским: +7 и 10 цифр",
                    "The phone number must be Russian: +7 and 10 digits",
                )));
            }
        };
        if !national.starts_with('9') {
            return Err(Error::InvalidInput(say(
                "Укажите номер мобильного телефона",
                "Give a mobile phone number",
            )));
        }
        Ok(Phone(format!("+7{national}")))
    }

    /// The number in E.164 form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The employee's surname and initials as typed on the login screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffName(String);

impl StaffName {
    const MAX_CHARS: usize = 200;

    /// Trims and checks the length.
    pub fn parse(raw: &str) -> Result<Self> {
        let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.is_empty() {
            return Err(Error::InvalidInput(say(
                "Укажите фамилию и инициалы",
                "Give your surname and initials",
            )));
        }
        if name.chars().count() > Self::MAX_CHARS || name.chars().any(char::is_control) {
            return Err(Error::InvalidInput(say(
                "Слишком длинное или недопустимое имя",
                "The name is too long or not allowed",
            )));
        }
        Ok(StaffName(name))
    }

    /// The normalised name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The confirmation code from the SMS: 4 to 8 digits.
#[derive(Clone, PartialEq, Eq)]
pub struct SmsCode(String);

impl SmsCode {
    /// Trims and checks that the code is 4 to 8 digits.
    pub fn parse(raw: &str) -> Result<Self> {
        let code = raw.trim();
        if (4..=8).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit()) {
            Ok(SmsCode(code.to_owned()))
        } else {
            Err(Error::InvalidInput(say(
                "Код из СМС должен состоять из 4–8 цифр",
                "The SMS code has 4 to 8 digits",
            )))
        }
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

// Never print the code, even at debug.
impl std::fmt::Debug for SmsCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SmsCode(…)")
    }
}

/// The push token given by FCM or APNs.
#[derive(Clone, PartialEq, Eq)]
pub struct PushToken(String);

impl PushToken {
    /// Checks that the token is non-empty printable ASCII of a sane length.
    pub fn parse(raw: &str) -> Result<Self> {
        let token = raw.trim();
        if token.is_empty() || token.len() > 4096 || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::InvalidInput(say(
                "Недопустимый push-токен",
                "The push token is not allowed",
            )));
        }
        Ok(PushToken(token.to_owned()))
    }

    /// The token.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PushToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PushToken(…)")
    }
}

/// The mobile platform, as the server knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, uniffi::Enum)]
#[serde(rename_all = "lowercase")]
pub enum Device {
    /// `"android"` on the wire.
    Android,
    /// `"apple"` on the wire.
    Apple,
}

impl Device {
    /// The reserved word the server expects.
    pub fn as_wire(self) -> &'static str {
        match self {
            Device::Android => "android",
            Device::Apple => "apple",
        }
    }

    /// Parses the reserved word.
    pub fn from_wire(raw: &str) -> Result<Self> {
        match raw {
            "android" => Ok(Device::Android),
            "apple" => Ok(Device::Apple),
            other => Err(Error::Protocol(format!("unknown device {other:?}"))),
        }
    }
}

/// Whether the company sends the employee messages, as the server says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum StaffState {
    /// In the mailing: messages come.
    Active,
    /// The company switched the employee off the mailing: no new messages come until it
    /// switches them back; the history stays readable.
    Disabled,
    /// The login waits for the company admin's approval: no messages come until then.
    Pending,
}

impl StaffState {
    /// The word stored in the cache and sent by the server.
    pub fn as_wire(self) -> &'static str {
        match self {
            StaffState::Active => "active",
            StaffState::Disabled => "disabled",
            StaffState::Pending => "pending",
        }
    }

    /// Reads the server's word. A server older than `state` sends none: its employees are
    /// all active as far as the app can tell. A word this version does not know is taken as
    /// active too (logged), so that a newer server never locks an older app out of its sync.
    pub fn from_server(raw: Option<&str>) -> Self {
        match raw {
            None | Some("active") => StaffState::Active,
            Some("disabled") => StaffState::Disabled,
            Some("pending") => StaffState::Pending,
            Some(other) => {
                tracing::warn!(state = other, "unknown employee state, taken as active");
                StaffState::Active
            }
        }
    }
}

/// A message id: a positive integer, a decimal string on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageId(i64);

impl MessageId {
    /// Accepts a positive integer.
    pub fn new(id: i64) -> Result<Self> {
        if id > 0 {
            Ok(MessageId(id))
        } else {
            Err(Error::InvalidInput(say(
                "Неверный идентификатор сообщения",
                "Wrong message ID",
            )))
        }
    }

    /// Parses the decimal string of the wire.
    pub fn parse(raw: &str) -> Result<Self> {
        raw.trim()
            .parse::<i64>()
            .map_err(|_| {
                Error::InvalidInput(say("Неверный идентификатор сообщения", "Wrong message ID"))
            })
            .and_then(Self::new)
    }

    /// The integer.
    pub fn get(self) -> i64 {
        self.0
    }
}

impl std::fmt::Display for MessageId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A file attached to a message: a positive integer, a decimal string on the wire (`"fileid"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(i64);

impl FileId {
    /// Accepts a positive integer.
    pub fn new(id: i64) -> Result<Self> {
        if id > 0 {
            Ok(FileId(id))
        } else {
            Err(Error::InvalidInput(say(
                "Неверный идентификатор файла",
                "Wrong file ID",
            )))
        }
    }

    /// Parses the decimal string of the wire.
    pub fn parse(raw: &str) -> Result<Self> {
        raw.trim()
            .parse::<i64>()
            .map_err(|_| Error::InvalidInput(say("Неверный идентификатор файла", "Wrong file ID")))
            .and_then(Self::new)
    }

    /// The integer.
    pub fn get(self) -> i64 {
        self.0
    }
}

impl std::fmt::Display for FileId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A failed lift becomes `ApiError::InvalidInput` on the foreign side (uniffi downcasts it).
fn lift_error(error: Error) -> uniffi::deps::anyhow::Error {
    ApiError::from(error).into()
}

uniffi::custom_type!(Inn, String, {
    try_lift: |raw| Inn::parse(&raw).map_err(lift_error),
    lower: |inn| inn.0,
});

uniffi::custom_type!(Phone, String, {
    try_lift: |raw| Phone::parse(&raw).map_err(lift_error),
    lower: |phone| phone.0,
});

uniffi::custom_type!(MessageId, i64, {
    try_lift: |raw| MessageId::new(raw).map_err(lift_error),
    lower: |id| id.0,
});

uniffi::custom_type!(FileId, i64, {
    try_lift: |raw| FileId::new(raw).map_err(lift_error),
    lower: |id| id.0,
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inns_with_a_valid_checksum_parse() {
        for inn in ["7707083893", "7736207543", "500100732259", " 7707083893 "] {
            assert_eq!(Inn::parse(inn).unwrap().as_str(), inn.trim());
        }
    }

    #[test]
    fn inns_with_a_wrong_checksum_or_length_are_refused() {
        for inn in [
            "7707083894",
            "500100732258",
            "500100732269",
            "770708389",
            "77070838930",
            "77O7083893",
            "",
        ] {
            assert!(
                matches!(Inn::parse(inn), Err(Error::InvalidInput(_))),
                "{inn}"
            );
        }
    }

    #[test]
    fn russian_mobile_numbers_are_normalised_to_e164() {
        for raw in [
            "+7 (923) 338-16-38",
            "8 923 338 16 38",
            "79233381638",
            "9233381638",
            "+79233381638",
        ] {
            assert_eq!(Phone::parse(raw).unwrap().as_str(), "+79233381638", "{raw}");
        }
    }

    #[test]
    fn foreign_landline_and_garbage_numbers_are_refused() {
        for raw in [
            "+1 923 338 16 38",
            "+7 495 123 45 67",
            "92333816",
            "9233381638a",
            "7+9233381638",
            "",
            "+8 923 338 16 38",
        ] {
            assert!(Phone::parse(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn names_are_trimmed_and_must_not_be_empty() {
        assert_eq!(
            StaffName::parse("  Иванов   А.  И. ").unwrap().as_str(),
            "Иванов А. И."
        );
        assert!(StaffName::parse("   ").is_err());
        assert!(StaffName::parse(&"я".repeat(201)).is_err());
    }

    #[test]
    fn sms_codes_are_four_to_eight_digits_and_never_printed() {
        assert!(SmsCode::parse("1234").is_ok());
        assert!(SmsCode::parse("123").is_err());
        assert!(SmsCode::parse("12a4").is_err());
        assert_eq!(
            format!("{:?}", SmsCode::parse("987654").unwrap()),
            "SmsCode(…)"
        );
    }

    #[test]
    fn message_ids_are_positive_decimal_integers() {
        assert_eq!(MessageId::parse("134123").unwrap().get(), 134123);
        assert!(MessageId::parse("0").is_err());
        assert!(MessageId::parse("-4").is_err());
        assert!(MessageId::parse("12x").is_err());
    }

    #[test]
    fn file_ids_are_positive_decimal_integers() {
        assert_eq!(FileId::parse(" 17 ").unwrap().get(), 17);
        for raw in ["0", "-17", "17a", ""] {
            assert!(
                matches!(FileId::parse(raw), Err(Error::InvalidInput(_))),
                "{raw}"
            );
        }
    }
}
