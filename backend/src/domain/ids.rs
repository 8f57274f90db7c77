//! Identifiers, decimal strings on the wire and integers in the store.

use super::ParseError;

macro_rules! id_type {
    ($name:ident, $what:literal) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i64);

        impl $name {
            pub fn parse(raw: &str) -> Result<Self, ParseError> {
                let s = raw.trim();
                if s.is_empty() {
                    return Err(ParseError::new(concat!("Не указан ", $what)));
                }
                match s.parse::<i64>() {
                    Ok(n) if n > 0 => Ok(Self(n)),
                    _ => Err(ParseError::new(concat!("Неверный ", $what))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id_type!(StaffId, "идентификатор сотрудника (staffid)");
id_type!(MessageId, "идентификатор сообщения (messageid)");
