//! What the base layout (`templates/base.html`) needs from every page's view.

use super::i18n::{Lang, Tr};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// Not logged in: no navigation.
    Public,
    Cabinet,
    Operator,
}

pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub active: bool,
}

pub struct Layout {
    pub t: Tr,
    pub lang: &'static str,
    pub title: String,
    pub area: Area,
    /// The active navigation entry.
    pub nav: &'static str,
    /// The INN (cabinet) or login (operator) shown top right.
    pub who: Option<String>,
    /// A viewer's session: the pages hide the forms that change something (the server refuses
    /// them anyway, see `read_only::guard`).
    pub read_only: bool,
    /// A sender's session: the pages hide the forms but those of sending.
    pub sends_only: bool,
    /// An HR officer's session: the settings' and the webhook's pages hide their forms.
    pub no_settings: bool,
    /// `Who::companies`: the link to the admin's companies, with the accesses waiting.
    pub companies: Option<usize>,
    pub csrf: String,
    /// A success note after a redirect (`?done=key`), already translated.
    pub notice: Option<String>,
}

/// Who is logged in, as the page's header shows them.
#[derive(Clone)]
pub struct Who {
    pub label: String,
    /// A viewer, who changes nothing.
    pub read_only: bool,
    /// A sender, who changes nothing but sends.
    pub sends_only: bool,
    /// An HR officer, who changes everything but the settings and the webhook.
    pub no_settings: bool,
    /// A named admin with access to other companies' cabinets: how many accesses wait for
    /// them to accept.
    pub companies: Option<usize>,
}

impl From<String> for Who {
    fn from(label: String) -> Self {
        Self {
            label,
            read_only: false,
            sends_only: false,
            no_settings: false,
            companies: None,
        }
    }
}

const CABINET_NAV: [(&str, &str, &str); 8] = [
    ("dashboard", "/cabinet", "nav.dashboard"),
    ("employees", "/cabinet/employees", "nav.employees"),
    ("messages", "/cabinet/messages", "nav.messages"),
    ("send", "/cabinet/send", "nav.send"),
    ("settings", "/cabinet/settings", "nav.settings"),
    ("webhook", "/cabinet/webhook", "nav.webhook"),
    ("journal", "/cabinet/journal", "nav.journal"),
    ("docs", "/cabinet/docs", "nav.docs"),
];

impl Layout {
    pub fn bare(lang: Lang, title: &str) -> Self {
        Self {
            t: Tr(lang),
            lang: lang.code(),
            title: title.to_owned(),
            area: Area::Public,
            nav: "",
            who: None,
            read_only: false,
            sends_only: false,
            no_settings: false,
            companies: None,
            csrf: String::new(),
            notice: None,
        }
    }

    pub fn signed_in(
        lang: Lang,
        area: Area,
        nav: &'static str,
        who: impl Into<Who>,
        csrf: String,
    ) -> Self {
        let who = who.into();
        let t = Tr(lang);
        let title = match area {
            Area::Operator => t.s("nav.partners"),
            _ => CABINET_NAV
                .iter()
                .find(|(k, _, _)| *k == nav)
                .map(|(_, _, label)| t.s(label))
                .unwrap_or("SiMO"),
        };
        Self {
            t,
            lang: lang.code(),
            title: title.to_owned(),
            area,
            nav,
            who: Some(who.label),
            read_only: who.read_only,
            sends_only: who.sends_only,
            no_settings: who.no_settings,
            companies: who.companies,
            csrf,
            notice: None,
        }
    }

    /// Shows the note for a `done` key, if it is one of ours.
    pub fn with_notice(mut self, done: Option<&str>) -> Self {
        self.notice = done
            .and_then(|k| self.t.get(&format!("done.{k}")))
            .map(str::to_owned);
        self
    }

    /// The note for a `done` key, with how many for a bulk action's (`?done=bulk_…&n=12`).
    pub fn with_counted_notice(mut self, done: Option<&str>, n: Option<u64>) -> Self {
        self = self.with_notice(done);
        if let (Some(text), Some(n)) = (&mut self.notice, n)
            && done.is_some_and(|k| k.starts_with("bulk_"))
        {
            text.push_str(&format!(": {n}"));
        }
        self
    }

    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    pub fn root(&self) -> &'static str {
        match self.area {
            Area::Operator => "/operator",
            _ => "/cabinet",
        }
    }

    pub fn is_operator(&self) -> bool {
        self.area == Area::Operator
    }

    pub fn nav_items(&self) -> Vec<NavItem> {
        match self.area {
            Area::Public => vec![],
            Area::Operator => vec![
                NavItem {
                    href: "/operator",
                    label: self.t.s("nav.partners"),
                    active: !matches!(self.nav, "usage" | "journal" | "security"),
                },
                NavItem {
                    href: "/operator/usage",
                    label: self.t.s("nav.usage"),
                    active: self.nav == "usage",
                },
                NavItem {
                    href: "/operator/journal",
                    label: self.t.s("nav.journal"),
                    active: self.nav == "journal",
                },
                NavItem {
                    href: "/operator/2fa",
                    label: self.t.s("nav.security"),
                    active: self.nav == "security",
                },
            ],
            Area::Cabinet => CABINET_NAV
                .iter()
                .map(|(key, href, label)| NavItem {
                    href,
                    label: self.t.s(label),
                    active: *key == self.nav,
                })
                .collect(),
        }
    }

    /// The link that switches the interface language.
    pub fn other_lang(&self) -> (&'static str, &'static str) {
        if self.lang == "en" {
            ("ru", "Русский")
        } else {
            ("en", "English")
        }
    }
}
