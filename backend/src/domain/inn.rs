//! ИНН: the taxpayer number that identifies a partner (10 digits for a company, 12 for a person).

use super::ParseError;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Inn(String);

const W10: [u32; 9] = [2, 4, 10, 3, 5, 9, 4, 6, 8];
const W11: [u32; 10] = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8];
const W12: [u32; 11] = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8];

fn check_digit(digits: &[u32], weights: &[u32]) -> u32 {
    let sum: u32 = digits.iter().zip(weights).map(|(d, w)| d * w).sum();
    sum % 11 % 10
}

impl Inn {
    /// Accepts surrounding spaces; everything else must be 10 or 12 digits with valid check digits.
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(ParseError::new(phrase!(
                "Не указан ИНН организации",
                "The company's INN is missing"
            )));
        }
        let digits: Option<Vec<u32>> = s.chars().map(|c| c.to_digit(10)).collect();
        let Some(d) = digits else {
            return Err(ParseError::new(phrase!(
                "ИНН должен состоять только из цифр",
                "An INN consists of digits only"
            )));
        };
        let valid = match d.len() {
            10 => check_digit(&d[..9], &W10) == d[9],
            12 => check_digit(&d[..10], &W11) == d[10] && check_digit(&d[..11], &W12) == d[11],
            _ => {
                return Err(ParseError::new(phrase!(
                    "ИНН должен содержать 10 или 12 цифр",
                    "An INN has 10 or 12 digits"
                )));
            }
        };
        if !valid {
            return Err(ParseError::new(phrase!(
                "Неверный ИНН: не сходится контрольное число",
                "Wrong INN: its check digit does not match"
            )));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For rows read back from our own store, which only ever holds parsed values.
    pub(crate) fn from_trusted(s: String) -> Self {
        Self(s)
    }
}

impl std::fmt::Display for Inn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_real_company_and_person_inns() {
        for ok in ["7707083893", "7736207543", " 500100732259 "] {
            assert!(Inn::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn rejects_bad_checksum_length_and_letters() {
        for bad in [
            "7707083894",
            "123",
            "77070838931",
            "77O7083893",
            "",
            "500100732258",
        ] {
            assert!(Inn::parse(bad).is_err(), "{bad}");
        }
    }
}
