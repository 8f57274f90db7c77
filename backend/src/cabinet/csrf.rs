//! CSRF tokens: one random token per session (or per login form, double-submitted in a cookie),
//! required in the `csrf` field of every form and compared in constant time.

use rand::RngCore;
use subtle::ConstantTimeEq;

/// 256 random bits, hex encoded.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// True only when both are present and equal.
pub fn matches(expected: &str, presented: &str) -> bool {
    !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_only_themselves() {
        let t = new_token();
        assert_eq!(t.len(), 64);
        assert!(matches(&t, &t.clone()));
        assert!(!matches(&t, &new_token()));
        assert!(!matches("", ""));
    }
}
