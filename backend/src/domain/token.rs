//! Bearer secrets: random, shown once, stored only as a SHA-256 hash.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// Partner tokens and employee tokens look different so a leaked one is easy to recognise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Partner,
    Staff,
}

impl TokenKind {
    fn prefix(self) -> &'static str {
        match self {
            Self::Partner => "simo_p_",
            Self::Staff => "simo_s_",
        }
    }
}

/// A freshly generated secret; the plaintext leaves the server once and is then forgotten.
pub struct SecretToken(String);

impl SecretToken {
    /// 192 random bits, hex encoded after a readable prefix.
    pub fn generate(kind: TokenKind) -> Self {
        let mut bytes = [0u8; 24];
        rand::thread_rng().fill_bytes(&mut bytes);
        Self(format!("{}{}", kind.prefix(), hex::encode(bytes)))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> TokenHash {
        TokenHash::of(&self.0)
    }

    /// What the cabinet may show after creation: enough to tell tokens apart, useless to an attacker.
    pub fn display_prefix(&self) -> String {
        self.0.chars().take(14).collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenHash(pub String);

impl TokenHash {
    pub fn of(presented: &str) -> Self {
        Self(hex::encode(Sha256::digest(presented.as_bytes())))
    }
}

impl std::fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretToken(***)")
    }
}
