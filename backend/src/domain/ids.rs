//! Identifiers, decimal strings on the wire and integers in the store.

use super::ParseError;

macro_rules! id_type {
    ($name:ident, $what:literal, $what_en:literal) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i64);

        impl $name {
            pub fn parse(raw: &str) -> Result<Self, ParseError> {
                let s = raw.trim();
                if s.is_empty() {
                    return Err(ParseError::new(phrase!(
                        concat!("Не указан ", $what),
                        concat!("The ", $what_en, " is missing")
                    )));
                }
                match s.parse::<i64>() {
                    Ok(n) if n > 0 => Ok(Self(n)),
                    _ => Err(ParseError::new(phrase!(
                        concat!("Неверный ", $what),
                        concat!("Wrong ", $what_en)
                    ))),
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

id_type!(
    StaffId,
    "идентификатор сотрудника (staffid)",
    "employee ID (staffid)"
);
id_type!(
    MessageId,
    "идентификатор сообщения (messageid)",
    "message ID (messageid)"
);
id_type!(
    GroupId,
    "идентификатор группы (groupid)",
    "group ID (groupid)"
);
id_type!(FileId, "идентификатор файла (fileid)", "file ID (fileid)");
id_type!(
    StaffSyncId,
    "идентификатор синхронизации штата (syncid)",
    "staff sync ID (syncid)"
);

/// The `Idempotency-Key` of a `createmessage` call: whatever the caller's system uses to name
/// one message it means to send (a UUID, a document number), unique per partner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub const MAX_LEN: usize = 255;

    /// 1 to 255 visible ASCII characters, as an HTTP header carries them without encoding.
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        Self::from_header(raw.as_bytes())
    }

    /// The header's bytes as they came: anything but visible ASCII is refused, never dropped.
    pub fn from_header(raw: &[u8]) -> Result<Self, ParseError> {
        let s = raw.trim_ascii();
        if s.is_empty() || s.len() > Self::MAX_LEN || !s.iter().all(u8::is_ascii_graphic) {
            return Err(ParseError::new(phrase!(
                "Неверный заголовок Idempotency-Key: нужно от 1 до 255 видимых символов ASCII \
                 (латиница, цифры, знаки) без пробелов",
                "Wrong Idempotency-Key header: 1 to 255 visible ASCII characters, no spaces"
            )));
        }
        // Visible ASCII is UTF-8.
        Ok(Self(String::from_utf8_lossy(s).into_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_keys_are_visible_ascii_up_to_255() {
        assert_eq!(
            IdempotencyKey::parse(" 3f1c-r42/2026 ").unwrap().as_str(),
            "3f1c-r42/2026"
        );
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
        for bad in ["", "  ", "ключ", "a b", "a\tb", &"k".repeat(256)] {
            assert!(IdempotencyKey::parse(bad).is_err(), "{bad:?}");
        }
    }
}
