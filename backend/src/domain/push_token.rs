//! A device's push token, as FCM and APNs issue them: printable ASCII without spaces (FCM's
//! are letters, digits, `:`, `_` and `-`; APNs's are hex). Anything else cannot be a token,
//! and a NUL would not even be stored by PostgreSQL.

use super::ParseError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushToken(String);

impl PushToken {
    /// FCM's tokens are about 160 characters; room for a longer scheme, not for a document.
    pub const MAX_BYTES: usize = 4096;

    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let s = raw.trim();
        if s.len() > Self::MAX_BYTES {
            return Err(ParseError::new(phrase!(
                "Слишком длинный push-токен",
                "The push token is too long"
            )));
        }
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ParseError::new(phrase!(
                "Неверный push-токен: допустимы латинские буквы, цифры и знаки без пробелов",
                "Wrong push token: Latin letters, digits and signs without spaces expected"
            )));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_what_providers_issue_and_refuses_what_they_cannot() {
        let fcm = "dQw4w9WgXcQ:APA91bH-x_yz0123";
        assert_eq!(
            PushToken::parse(&format!(" {fcm}\n")).unwrap().as_str(),
            fcm
        );
        let apns = "a".repeat(64);
        assert!(PushToken::parse(&apns).is_ok());
        for wrong in ["", "   ", "two words", "tok\u{0}en", "токен", "tab\there"] {
            assert!(PushToken::parse(wrong).is_err(), "{wrong:?}");
        }
        assert!(PushToken::parse(&"x".repeat(PushToken::MAX_BYTES)).is_ok());
        let long = PushToken::parse(&"x".repeat(PushToken::MAX_BYTES + 1)).unwrap_err();
        assert!(long.to_string().contains("длинный"), "{long}");
    }
}
