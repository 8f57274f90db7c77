//! Words for people in both languages the product speaks. Refusals are written once, where
//! the rule lives; the v1 API shows the Russian (as the original did), the cabinet shows the
//! visitor's language.

use std::borrow::Cow;
use std::fmt;

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

    /// The Russian text, owned: what the v1 envelope carries.
    pub fn into_ru(self) -> String {
        self.ru.into_owned()
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

#[cfg(test)]
mod tests {
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
