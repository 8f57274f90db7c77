//! The webhook's address: parsed once when the partner saves it and again before each post,
//! and kept out of our own network (SSRF) unless the settings allow it.

use crate::phrase::stored;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Longest address accepted.
const MAX_LEN: usize = 2000;

/// Why an address is refused; each has a text in the cabinet's catalogue (`webhook.err.*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlProblem {
    Invalid,
    Scheme,
    Credentials,
    Private,
}

impl UrlProblem {
    /// The catalogue key of the text the cabinet shows.
    pub fn key(self) -> &'static str {
        match self {
            Self::Invalid => "webhook.err.invalid",
            Self::Scheme => "webhook.err.scheme",
            Self::Credentials => "webhook.err.credentials",
            Self::Private => "webhook.err.private",
        }
    }

    /// For the sender's error column, which is in Russian like the rest of the history.
    pub fn text_ru(self) -> String {
        match self {
            Self::Invalid => stored::URL_INVALID,
            Self::Scheme => stored::URL_SCHEME,
            Self::Credentials => stored::URL_CREDENTIALS,
            Self::Private => stored::URL_PRIVATE,
        }
        .fill(&[])
    }
}

/// An address the sender may post to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl(reqwest::Url);

impl WebhookUrl {
    pub fn parse(raw: &str, allow_private: bool) -> Result<Self, UrlProblem> {
        let raw = raw.trim();
        if raw.is_empty() || raw.len() > MAX_LEN {
            return Err(UrlProblem::Invalid);
        }
        let mut url = reqwest::Url::parse(raw).map_err(|_| UrlProblem::Invalid)?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(UrlProblem::Scheme);
        }
        // The address is shown in the cabinet and the journal: a password in it would be too.
        if !url.username().is_empty() || url.password().is_some() {
            return Err(UrlProblem::Credentials);
        }
        let host = match url.host() {
            Some(host) => host,
            None => return Err(UrlProblem::Invalid),
        };
        if !allow_private {
            let public = match host {
                ::url::Host::Ipv4(ip) => is_public(IpAddr::V4(ip)),
                ::url::Host::Ipv6(ip) => is_public(IpAddr::V6(ip)),
                ::url::Host::Domain(name) => !is_local_name(name),
            };
            if !public {
                return Err(UrlProblem::Private);
            }
        }
        url.set_fragment(None);
        Ok(Self(url))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// Names that never lead out of the host or its network.
fn is_local_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost"
        || [".localhost", ".local", ".internal", ".lan", ".home.arpa"]
            .iter()
            .any(|suffix| name.ends_with(suffix))
        || !name.contains('.')
}

/// An address on the public internet: not this host, a private or link-local network, shared
/// address space, multicast, documentation or reserved ranges.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        // Mapped (::ffff:a.b.c.d) and the old compatible form (::a.b.c.d, ::1 included) reach
        // the IPv4 address inside.
        IpAddr::V6(v6) => match v6.to_ipv4() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && ip.octets()[2] == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || first == 0x2001 && ip.segments()[1] == 0x0db8
        || first == 0x0064 && ip.segments()[1] == 0xff9b)
}

/// The sender's resolver when private addresses are not allowed: a name that resolves into our
/// network (or is made to, after it was saved) is refused when connecting, not just when saved.
pub(super) struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = found.into_iter().filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                let refused: Box<dyn std::error::Error + Send + Sync> =
                    format!("{host}: {}", UrlProblem::Private.text_ru()).into();
                return Err(refused);
            }
            let addrs: reqwest::dns::Addrs = Box::new(public.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_checked_when_saved() {
        let ok = |s: &str| WebhookUrl::parse(s, false).map(|u| u.as_str().to_owned());
        assert_eq!(
            ok("  https://erp.example.ru/simo/hook?x=1#frag "),
            Ok("https://erp.example.ru/simo/hook?x=1".into())
        );
        assert!(ok("http://93.184.216.34:8080/h").is_ok());
        for (raw, problem) in [
            ("", UrlProblem::Invalid),
            ("not a url", UrlProblem::Invalid),
            ("ftp://example.ru/", UrlProblem::Scheme),
            ("javascript:alert(1)", UrlProblem::Scheme),
            ("https://user:pw@example.ru/", UrlProblem::Credentials),
            ("http://127.0.0.1:5432/", UrlProblem::Private),
            ("http://localhost/", UrlProblem::Private),
            ("http://db.internal/", UrlProblem::Private),
            ("http://intranet/", UrlProblem::Private),
            ("http://10.1.2.3/", UrlProblem::Private),
            ("http://172.16.0.1/", UrlProblem::Private),
            ("http://192.168.1.1/", UrlProblem::Private),
            (
                "http://169.254.169.254/latest/meta-data",
                UrlProblem::Private,
            ),
            ("http://100.64.0.1/", UrlProblem::Private),
            ("http://0.0.0.0/", UrlProblem::Private),
            ("http://[::1]/", UrlProblem::Private),
            ("http://[fd00::1]/", UrlProblem::Private),
            ("http://[fe80::1]/", UrlProblem::Private),
            ("http://[::ffff:127.0.0.1]/", UrlProblem::Private),
            ("http://[::7f00:1]/", UrlProblem::Private),
            ("http://[::a00:1]/", UrlProblem::Private),
            ("http://2130706433/", UrlProblem::Private),
        ] {
            assert_eq!(ok(raw), Err(problem), "{raw}");
        }
        let long = format!("https://example.ru/{}", "a".repeat(MAX_LEN));
        assert_eq!(ok(&long), Err(UrlProblem::Invalid));
        // On-premises installs and tests may post inside their network.
        assert!(WebhookUrl::parse("http://127.0.0.1:9000/hook", true).is_ok());
    }
}
