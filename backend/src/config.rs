//! Settings: built-in defaults, then an optional TOML file, then `SIMO_*` environment variables.
//!
//! Every knob is listed once in [`KNOBS`]; `--help`, the TOML reader and the environment reader
//! all use that table, so a setting cannot be documented in one place and missing in another.

use crate::error::{Error, Result};
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmsProviderKind {
    /// Writes the code to the server log: the zero-setup demo.
    Log,
    /// POSTs `{"phone","text"}` as JSON to an HTTP gateway.
    Http,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub database_max_connections: u32,
    pub listen: String,
    pub timezone: String,
    pub public_url: String,
    pub max_body_bytes: usize,
    pub getmessage_max_count: i64,
    pub auth_cache_secs: u64,
    /// See `serve::serve`; read through `request_read_timeout`.
    pub request_read_timeout_secs: u64,
    pub trust_forwarded_for: bool,
    pub sms_provider: SmsProviderKind,
    pub sms_http_url: Option<String>,
    /// 64 hex digits sealing secrets at rest (see `store::sealed`).
    pub secret_key: Option<String>,
    /// Earlier keys still opening what they sealed, during a rotation.
    pub secret_key_previous: Option<String>,
    pub sms_http_token: Option<String>,
    pub sms_code_length: u32,
    pub sms_code_ttl_secs: i64,
    pub sms_max_attempts: i64,
    pub sms_resend_cooldown_secs: i64,
    pub sms_hourly_per_phone: i64,
    pub sms_hourly_per_ip: i64,
    pub partner_rate: u32,
    pub partner_burst: u32,
    /// Everything not named above (push, cabinet …) as raw key/value pairs, read by its owner module.
    pub extra: std::collections::BTreeMap<String, String>,
}

/// One configurable setting: its key in the TOML file, its environment variable, its default and meaning.
pub struct Knob {
    pub key: &'static str,
    pub default: &'static str,
    pub help: &'static str,
}

pub const KNOBS: &[Knob] = &[
    Knob {
        key: "database_url",
        default: "sqlite://simo-data/simo.db?mode=rwc",
        help: "sqlite://FILE?mode=rwc (embedded, default) or postgres://user@host/db",
    },
    Knob {
        key: "database_max_connections",
        default: "8",
        help: "connection pool size",
    },
    Knob {
        key: "listen",
        default: "127.0.0.1:8080",
        help: "address the HTTP server binds",
    },
    Knob {
        key: "timezone",
        default: "Europe/Moscow",
        help: "zone of the dates the API writes (input accepts any offset)",
    },
    Knob {
        key: "public_url",
        default: "http://127.0.0.1:8080",
        help: "the address users reach the server at (links, docs, cookies)",
    },
    Knob {
        key: "max_body_bytes",
        default: "65536",
        help: "largest request body accepted (larger: 413); the methods carrying ID lists take up to 2 MiB",
    },
    Knob {
        key: "getmessage_max_count",
        default: "1000",
        help: "cap on getmessage `count`",
    },
    Knob {
        key: "auth_cache_secs",
        default: "5",
        help: "how long a partner token's check (or finding a token is nobody's) is reused; other processes see a rotation or a disabled partner within this time (0: check every call)",
    },
    Knob {
        key: "request_read_timeout_secs",
        default: "30",
        help: "seconds a client has to send a request's headers (a new or idle connection, its first byte; an HTTP/2 one with no stream open, its next stream), and then its body, so that slow or silent clients cannot hold every socket",
    },
    Knob {
        key: "trust_forwarded_for",
        default: "false",
        help: "take the client address from X-Forwarded-For (behind a proxy only)",
    },
    Knob {
        key: "sms_provider",
        default: "log",
        help: "log (code in the server log) or http",
    },
    Knob {
        key: "secret_key",
        default: "",
        help: "64 hex digits (32 bytes) sealing the login codes' keys and the webhooks' secrets in the database; unset: a key file beside a SQLite database (<file>-key, made at first start), none on PostgreSQL (stored unsealed, with a warning)",
    },
    Knob {
        key: "secret_key_previous",
        default: "",
        help: "earlier secret keys, separated by commas: they still open what they sealed, and the start seals it again with SIMO_SECRET_KEY (a rotation; `simo-backend secret-key status` says when they can go)",
    },
    Knob {
        key: "sms_http_url",
        default: "",
        help: "gateway URL for the http provider: POST {\"phone\",\"text\"}",
    },
    Knob {
        key: "sms_http_token",
        default: "",
        help: "sent as `Authorization: Bearer …` to the SMS gateway, if set",
    },
    Knob {
        key: "sms_code_length",
        default: "4",
        help: "digits in an SMS code (4 to 8)",
    },
    Knob {
        key: "sms_code_ttl_secs",
        default: "300",
        help: "how long an SMS code stays valid",
    },
    Knob {
        key: "sms_max_attempts",
        default: "5",
        help: "wrong tries allowed per code",
    },
    Knob {
        key: "sms_resend_cooldown_secs",
        default: "60",
        help: "minimum pause between two codes to one phone",
    },
    Knob {
        key: "sms_hourly_per_phone",
        default: "5",
        help: "codes per phone per hour",
    },
    Knob {
        key: "sms_hourly_per_ip",
        default: "30",
        help: "codes per client address per hour",
    },
    Knob {
        key: "partner_rate",
        default: "2000",
        help: "API calls a second one company's token may make; over it the call gets a 429 with Retry-After and does nothing (0: no limit)",
    },
    Knob {
        key: "partner_burst",
        default: "0",
        help: "calls a company's token may make at once before partner_rate applies (0: as many as partner_rate)",
    },
];

/// Knobs owned by other modules (push, cabinet): each module declares its own table and names it
/// here, so `--help`, the TOML file and the environment know them; values land in `Settings::extra`.
const MODULE_KNOBS: &[&[Knob]] = &[
    crate::push::PUSH_KNOBS,
    crate::cabinet::KNOBS,
    crate::webhook::WEBHOOK_KNOBS,
    crate::service::sms_fallback::SMS_FALLBACK_KNOBS,
    crate::service::files::FILE_KNOBS,
    crate::metrics::METRICS_KNOBS,
];

fn module_knobs() -> impl Iterator<Item = &'static Knob> {
    MODULE_KNOBS.iter().flat_map(|table| table.iter())
}

/// `SIMO_*` variables read elsewhere (logging, tests), not settings.
const NOT_SETTINGS: &[&str] = &[
    "config",
    "log",
    "log_format",
    "require_postgres",
    "test_pg_url",
];

fn env_name(key: &str) -> String {
    format!("SIMO_{}", key.to_ascii_uppercase())
}

/// The text `--help` prints under "Settings".
pub fn help_text() -> String {
    let mut out = String::from(
        "Settings (TOML file given by --config or SIMO_CONFIG, overridden by environment variables):\n",
    );
    for knob in KNOBS.iter().chain(module_knobs()) {
        let default = if knob.default.is_empty() {
            "(unset)"
        } else {
            knob.default
        };
        out.push_str(&format!(
            "  {:<34} {}\n      default {}\n",
            env_name(knob.key),
            knob.help,
            default
        ));
    }
    out.push_str("  SIMO_LOG                           log filter, e.g. info or simo_backend=debug\n      default info,sqlx=warn\n");
    out.push_str("  SIMO_LOG_FORMAT                    json for one JSON object per line\n      default (text)\n");
    out
}

impl Default for Settings {
    fn default() -> Self {
        let mut s = Self {
            database_url: String::new(),
            database_max_connections: 0,
            listen: String::new(),
            timezone: String::new(),
            public_url: String::new(),
            max_body_bytes: 0,
            getmessage_max_count: 0,
            auth_cache_secs: 0,
            request_read_timeout_secs: 0,
            trust_forwarded_for: false,
            sms_provider: SmsProviderKind::Log,
            sms_http_url: None,
            secret_key: None,
            secret_key_previous: None,
            sms_http_token: None,
            sms_code_length: 0,
            sms_code_ttl_secs: 0,
            sms_max_attempts: 0,
            sms_resend_cooldown_secs: 0,
            sms_hourly_per_phone: 0,
            sms_hourly_per_ip: 0,
            partner_rate: 0,
            partner_burst: 0,
            extra: Default::default(),
        };
        for knob in KNOBS.iter().chain(module_knobs()) {
            s.apply(knob.key, knob.default)
                .expect("built-in defaults are valid");
        }
        s
    }
}

fn num<T: std::str::FromStr>(key: &str, value: &str) -> Result<T> {
    value
        .trim()
        .parse()
        .map_err(|_| Error::Config(format!("{}: not a valid number: {value:?}", env_name(key))))
}

fn opt(value: &str) -> Option<String> {
    let v = value.trim();
    (!v.is_empty()).then(|| v.to_owned())
}

impl Settings {
    /// Defaults, then the TOML file (if any), then the environment.
    pub fn load(config_file: Option<&Path>) -> Result<Self> {
        let mut s = Self::default();
        if let Some(path) = config_file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Error::Config(format!("cannot read {}: {e}", path.display())))?;
            s.apply_toml(&text)?;
        }
        s.apply_env(std::env::vars())?;
        s.validate()?;
        Ok(s)
    }

    pub fn apply_toml(&mut self, text: &str) -> Result<()> {
        let table: toml::Table = text
            .parse()
            .map_err(|e| Error::Config(format!("TOML: {e}")))?;
        for (key, value) in table {
            let v = match value {
                toml::Value::String(s) => s,
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                other => return Err(Error::Config(format!("{key}: unsupported value {other}"))),
            };
            self.apply(&key, &v)?;
        }
        Ok(())
    }

    pub fn apply_env(&mut self, vars: impl Iterator<Item = (String, String)>) -> Result<()> {
        for (name, value) in vars {
            if let Some(key) = name.strip_prefix("SIMO_") {
                let key = key.to_ascii_lowercase();
                if NOT_SETTINGS.contains(&key.as_str()) {
                    continue;
                }
                self.apply(&key, &value)?;
            }
        }
        Ok(())
    }

    /// Sets one knob from its textual form.
    pub fn apply(&mut self, key: &str, value: &str) -> Result<()> {
        match key {
            "database_url" => self.database_url = value.trim().to_owned(),
            "database_max_connections" => self.database_max_connections = num(key, value)?,
            "listen" => self.listen = value.trim().to_owned(),
            "timezone" => self.timezone = value.trim().to_owned(),
            "public_url" => self.public_url = value.trim().trim_end_matches('/').to_owned(),
            "max_body_bytes" => self.max_body_bytes = num(key, value)?,
            "getmessage_max_count" => self.getmessage_max_count = num(key, value)?,
            "auth_cache_secs" => self.auth_cache_secs = num(key, value)?,
            "request_read_timeout_secs" => self.request_read_timeout_secs = num(key, value)?,
            "trust_forwarded_for" => self.trust_forwarded_for = parse_bool(key, value)?,
            "sms_provider" => {
                self.sms_provider = match value.trim() {
                    "log" => SmsProviderKind::Log,
                    "http" => SmsProviderKind::Http,
                    other => {
                        return Err(Error::Config(format!(
                            "SIMO_SMS_PROVIDER: unknown provider {other:?} (log or http)"
                        )));
                    }
                }
            }
            "sms_http_url" => self.sms_http_url = opt(value),
            "secret_key" => self.secret_key = opt(value),
            "secret_key_previous" => self.secret_key_previous = opt(value),
            "sms_http_token" => self.sms_http_token = opt(value),
            "sms_code_length" => self.sms_code_length = num(key, value)?,
            "sms_code_ttl_secs" => self.sms_code_ttl_secs = num(key, value)?,
            "sms_max_attempts" => self.sms_max_attempts = num(key, value)?,
            "sms_resend_cooldown_secs" => self.sms_resend_cooldown_secs = num(key, value)?,
            "sms_hourly_per_phone" => self.sms_hourly_per_phone = num(key, value)?,
            "sms_hourly_per_ip" => self.sms_hourly_per_ip = num(key, value)?,
            "partner_rate" => self.partner_rate = num(key, value)?,
            "partner_burst" => self.partner_burst = num(key, value)?,
            other => {
                if !module_knobs().any(|k| k.key == other) {
                    return Err(Error::Config(format!(
                        "unknown setting {other:?} ({})",
                        env_name(other)
                    )));
                }
                self.extra.insert(other.to_owned(), value.to_owned());
            }
        }
        Ok(())
    }

    pub fn validate(&self) -> Result<()> {
        if let Some(key) = &self.secret_key {
            crate::store::Sealer::parse_key(key)
                .map_err(|_| Error::Config("SIMO_SECRET_KEY must be 64 hex digits".into()))?;
        }
        if let Some(keys) = &self.secret_key_previous {
            crate::store::Sealer::parse_keys(keys).map_err(|_| {
                Error::Config(
                    "SIMO_SECRET_KEY_PREVIOUS must be keys of 64 hex digits, separated by commas"
                        .into(),
                )
            })?;
        }
        crate::domain::TimeFormat::new(&self.timezone)
            .map_err(|e| Error::Config(e.0.en().to_owned()))?;
        if !(4..=8).contains(&self.sms_code_length) {
            return Err(Error::Config("SIMO_SMS_CODE_LENGTH must be 4 to 8".into()));
        }
        if self.sms_provider == SmsProviderKind::Http && self.sms_http_url.is_none() {
            return Err(Error::Config(
                "SIMO_SMS_PROVIDER=http needs SIMO_SMS_HTTP_URL".into(),
            ));
        }
        if self.getmessage_max_count < 1 {
            return Err(Error::Config(
                "SIMO_GETMESSAGE_MAX_COUNT must be positive".into(),
            ));
        }
        if self.request_read_timeout_secs < 1 {
            return Err(Error::Config(
                "SIMO_REQUEST_READ_TIMEOUT_SECS must be positive".into(),
            ));
        }
        Ok(())
    }

    /// What a client has to send a request's headers in, and again its body (see `serve`).
    pub fn request_read_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.request_read_timeout_secs)
    }

    /// Reads a knob of another module's table (always present: defaults are applied first).
    pub fn module_setting(&self, key: &str) -> &str {
        self.extra.get(key).map(String::as_str).unwrap_or("")
    }

    /// A number knob of another module's table.
    pub fn module_number<T: std::str::FromStr>(&self, key: &str) -> Result<T> {
        let raw = self.module_setting(key);
        raw.trim()
            .parse()
            .map_err(|_| Error::Config(format!("{}: not a valid number: {raw:?}", env_name(key))))
    }

    /// A true/false knob of another module's table.
    pub fn module_flag(&self, key: &str) -> Result<bool> {
        parse_bool(key, self.module_setting(key))
    }
}

fn parse_bool(key: &str, value: &str) -> Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        _ => Err(Error::Config(format!(
            "{}: expected true or false",
            env_name(key)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_then_env_override_defaults() {
        let mut s = Settings::default();
        assert_eq!(s.listen, "127.0.0.1:8080");
        s.apply_toml("listen = \"0.0.0.0:9000\"\nsms_code_length = 6\n")
            .unwrap();
        s.apply_env([("SIMO_LISTEN".to_string(), "127.0.0.1:1".to_string())].into_iter())
            .unwrap();
        assert_eq!(s.listen, "127.0.0.1:1");
        assert_eq!(s.sms_code_length, 6);
        assert!(s.apply("no_such_knob", "1").is_err());
    }
}
