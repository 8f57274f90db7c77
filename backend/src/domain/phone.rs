//! A phone number normalised to E.164, the one form we store and compare.

use super::ParseError;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    /// Russian habits first: `89233381638` and `+7 (923) 338-16-38` both become `+79233381638`.
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let wrong = || ParseError::new(phrase!("Неверный номер телефона", "Wrong phone number"));
        let s = raw.trim();
        if s.is_empty() {
            return Err(ParseError::new(phrase!(
                "Не указан номер телефона",
                "The phone number is missing"
            )));
        }
        if s.len() > 32 {
            return Err(ParseError::new(phrase!(
                "Слишком длинный номер телефона",
                "The phone number is too long"
            )));
        }
        let digits: String = s.chars().filter(char::is_ascii_digit).collect();
        // A bare 11-digit number starting with 8 is the domestic Russian form of +7.
        let candidate = if !s.starts_with('+') && digits.len() == 11 && digits.starts_with('8') {
            format!("+7{}", &digits[1..])
        } else {
            s.to_owned()
        };
        let parsed = phonenumber::parse(Some(phonenumber::country::Id::RU), &candidate)
            .map_err(|_| wrong())?;
        if !phonenumber::is_valid(&parsed) {
            return Err(wrong());
        }
        Ok(Self(
            parsed.format().mode(phonenumber::Mode::E164).to_string(),
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn from_trusted(s: String) -> Self {
        Self(s)
    }
}

impl std::fmt::Display for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_russian_forms_to_e164() {
        for raw in [
            "89233381638",
            "+7 (923) 338-16-38",
            "+79233381638",
            "9233381638",
            "8 923 338 16 38",
        ] {
            assert_eq!(Phone::parse(raw).unwrap().as_str(), "+79233381638", "{raw}");
        }
    }

    #[test]
    fn rejects_garbage() {
        for raw in ["", "abc", "123", "+7923", "'; DROP TABLE staff; --"] {
            assert!(Phone::parse(raw).is_err(), "{raw}");
        }
    }
}
