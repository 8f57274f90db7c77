//! Who may log in to the app with the company's INN: the partner's registration policy.

/// The INN is public, so "anyone" is a choice the company makes, not a safe default for all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registration {
    /// Anyone with the INN; active at once.
    Open,
    /// Anyone with the INN; they receive nothing until the admin approves them.
    Approval,
    /// Only the phones the company put on its staff list (cabinet or `addstaff`).
    ListOnly,
}

impl Registration {
    pub const ALL: [Self; 3] = [Self::Open, Self::Approval, Self::ListOnly];

    /// From the partner's two stored flags; the list wins, as it admits nobody unknown.
    pub fn from_flags(approval_required: bool, list_only: bool) -> Self {
        match (approval_required, list_only) {
            (_, true) => Self::ListOnly,
            (true, false) => Self::Approval,
            (false, false) => Self::Open,
        }
    }

    /// The stored flags: `(approval_required, staff_list_only)`.
    pub fn flags(self) -> (bool, bool) {
        match self {
            Self::Open => (false, false),
            Self::Approval => (true, false),
            Self::ListOnly => (false, true),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Approval => "approval",
            Self::ListOnly => "list",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }
}

#[cfg(test)]
mod tests {
    use super::Registration;

    #[test]
    fn each_policy_survives_its_flags_and_its_name() {
        for r in Registration::ALL {
            let (approval, list) = r.flags();
            assert_eq!(Registration::from_flags(approval, list), r);
            assert_eq!(Registration::parse(r.as_str()), Some(r));
        }
        assert_eq!(Registration::from_flags(true, true), Registration::ListOnly);
        assert_eq!(Registration::parse("anyone"), None);
    }
}
