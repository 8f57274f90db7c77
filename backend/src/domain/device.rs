//! The device platform: "android" and "apple" are the reserved words of the v1 API.

use super::ParseError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    Android,
    Apple,
}

impl Device {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "android" => Ok(Self::Android),
            "apple" | "ios" => Ok(Self::Apple),
            _ => Err(ParseError::new(phrase!(
                "Неверное устройство: допустимо \"android\" или \"apple\"",
                "Wrong device: \"android\" or \"apple\" expected"
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Android => "android",
            Self::Apple => "apple",
        }
    }
}
