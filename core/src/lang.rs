//! The language the core speaks to people: its own refusals (a wrong INN, no network) and,
//! through `Accept-Language`, the server's. The app sets the phone's language once at start;
//! until then, and for any language but English, it is Russian, the product's first language.
//!
//! Process-wide rather than per client: the FFI parses `Inn` and `Phone` before any client
//! method runs, and a phone has one language for all its clients.

use std::sync::atomic::{AtomicBool, Ordering};

static ENGLISH: AtomicBool = AtomicBool::new(false);

/// Takes the phone's language tag (`en`, `en-US`, `en_GB`, `ru-RU` …).
pub fn set(tag: &str) {
    ENGLISH.store(is_english_tag(tag), Ordering::Relaxed);
}

fn is_english_tag(tag: &str) -> bool {
    let primary = tag.trim().split(['-', '_']).next().unwrap_or_default();
    primary.eq_ignore_ascii_case("en")
}

pub fn is_english() -> bool {
    ENGLISH.load(Ordering::Relaxed)
}

/// The text in the current language.
pub fn say(ru: &str, en: &str) -> String {
    if is_english() { en } else { ru }.to_owned()
}

/// What the requests to the server ask for.
pub fn accept_language() -> &'static str {
    if is_english() { "en" } else { "ru" }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The process-wide value is left alone: other tests read Russian texts meanwhile (the
    // JVM test of the bindings sets it, in a process of its own).
    #[test]
    fn the_phones_language_picks_english_or_russian() {
        for (tag, english) in [
            ("en", true),
            ("en-US", true),
            ("EN_gb", true),
            ("ru-RU", false),
            ("de", false),
            ("", false),
        ] {
            assert_eq!(is_english_tag(tag), english, "{tag}");
        }
        assert!(!is_english(), "Russian until the app says otherwise");
        assert_eq!(say("да", "yes"), "да");
        assert_eq!(accept_language(), "ru");
    }
}
