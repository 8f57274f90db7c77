//! Push settings: the knobs table (`--help`, TOML, environment) and their parsed form.

use crate::config::{Knob, Settings};
use crate::error::{Error, Result};
use std::time::Duration;

pub const PUSH_KNOBS: &[Knob] = &[
    Knob {
        key: "push_provider",
        default: "log",
        help: "log (pushes written to the server log), fcm, apns, or fcm+apns (Android via FCM, iOS via APNs)",
    },
    Knob {
        key: "push_workers",
        default: "4",
        help: "delivery workers in this server process (0: this process pushes nothing)",
    },
    Knob {
        key: "push_batch",
        default: "16",
        help: "jobs one worker claims and sends at once",
    },
    Knob {
        key: "push_poll_ms",
        default: "1000",
        help: "how often idle workers look for jobs other processes queued (own ones wake them at once)",
    },
    Knob {
        key: "push_lease_secs",
        default: "60",
        help: "how long a claimed job stays with its worker; a job of a dead worker is retried after it",
    },
    Knob {
        key: "push_timeout_secs",
        default: "10",
        help: "timeout of one request to a push provider",
    },
    Knob {
        key: "push_max_attempts",
        default: "10",
        help: "tries before a message is marked failed",
    },
    Knob {
        key: "push_max_age_secs",
        default: "86400",
        help: "a message not pushed within this time is marked failed",
    },
    Knob {
        key: "push_retry_base_ms",
        default: "1000",
        help: "first retry delay; doubled each try, with jitter",
    },
    Knob {
        key: "push_retry_max_secs",
        default: "600",
        help: "longest retry delay (Retry-After of the provider included)",
    },
    Knob {
        key: "fcm_service_account",
        default: "",
        help: "path to the Firebase service-account JSON (fcm provider)",
    },
    Knob {
        key: "fcm_project_id",
        default: "",
        help: "Firebase project id; default: project_id of the service account",
    },
    Knob {
        key: "fcm_base_url",
        default: "https://fcm.googleapis.com",
        help: "FCM HTTP v1 endpoint",
    },
    Knob {
        key: "apns_key_file",
        default: "",
        help: "path to the APNs auth key (.p8) (apns provider)",
    },
    Knob {
        key: "apns_key_id",
        default: "",
        help: "key id of the .p8 key",
    },
    Knob {
        key: "apns_team_id",
        default: "",
        help: "Apple developer team id",
    },
    Knob {
        key: "apns_topic",
        default: "",
        help: "the iOS app's bundle id",
    },
    Knob {
        key: "apns_environment",
        default: "production",
        help: "production or sandbox (development builds of the app)",
    },
    Knob {
        key: "apns_base_url",
        default: "",
        help: "APNs endpoint; default by apns_environment (api.push.apple.com or api.sandbox.push.apple.com)",
    },
    Knob {
        key: "apns_priority",
        default: "10",
        help: "apns-priority: 10 (at once) or 5 (power-saving)",
    },
    Knob {
        key: "apns_expiration_secs",
        default: "86400",
        help: "how long APNs keeps trying an offline device (apns-expiration)",
    },
];

/// Which provider a device's pushes go through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    Log,
    Fcm,
    Apns,
    /// Android through FCM, iOS through APNs.
    FcmAndApns,
}

/// The parsed push settings.
#[derive(Debug, Clone)]
pub struct PushSettings {
    pub provider: ProviderKind,
    pub workers: usize,
    pub batch: i64,
    pub poll: Duration,
    pub lease: Duration,
    pub timeout: Duration,
    pub max_attempts: i64,
    pub max_age: Duration,
    pub retry_base: Duration,
    pub retry_max: Duration,
    pub fcm_service_account: String,
    pub fcm_project_id: String,
    pub fcm_base_url: String,
    pub apns_key_file: String,
    pub apns_key_id: String,
    pub apns_team_id: String,
    pub apns_topic: String,
    pub apns_base_url: String,
    pub apns_priority: u8,
    pub apns_expiration: Duration,
}

fn num<T: std::str::FromStr>(settings: &Settings, key: &str) -> Result<T> {
    settings.module_number(key)
}

fn text(settings: &Settings, key: &str) -> String {
    settings.module_setting(key).trim().to_owned()
}

impl PushSettings {
    pub fn from_settings(s: &Settings) -> Result<Self> {
        let provider = match settings_provider(s).as_str() {
            "log" => ProviderKind::Log,
            "fcm" => ProviderKind::Fcm,
            "apns" => ProviderKind::Apns,
            "fcm+apns" | "apns+fcm" => ProviderKind::FcmAndApns,
            other => {
                return Err(Error::Config(format!(
                    "SIMO_PUSH_PROVIDER: unknown provider {other:?} (log, fcm, apns or fcm+apns)"
                )));
            }
        };
        let apns_base_url = match (
            text(s, "apns_base_url"),
            text(s, "apns_environment").as_str(),
        ) {
            (url, _) if !url.is_empty() => url,
            (_, "production") => "https://api.push.apple.com".to_owned(),
            (_, "sandbox") => "https://api.sandbox.push.apple.com".to_owned(),
            (_, other) => {
                return Err(Error::Config(format!(
                    "SIMO_APNS_ENVIRONMENT: {other:?} (production or sandbox)"
                )));
            }
        };
        let apns_priority: u8 = num(s, "apns_priority")?;
        if apns_priority != 10 && apns_priority != 5 && apns_priority != 1 {
            return Err(Error::Config(
                "SIMO_APNS_PRIORITY must be 10, 5 or 1".into(),
            ));
        }
        let out = Self {
            provider,
            workers: num(s, "push_workers")?,
            batch: num::<i64>(s, "push_batch")?.max(1),
            poll: Duration::from_millis(num::<u64>(s, "push_poll_ms")?.max(10)),
            lease: Duration::from_secs(num::<u64>(s, "push_lease_secs")?.max(1)),
            timeout: Duration::from_secs(num::<u64>(s, "push_timeout_secs")?.max(1)),
            max_attempts: num::<i64>(s, "push_max_attempts")?.max(1),
            max_age: Duration::from_secs(num(s, "push_max_age_secs")?),
            retry_base: Duration::from_millis(num::<u64>(s, "push_retry_base_ms")?.max(1)),
            retry_max: Duration::from_secs(num::<u64>(s, "push_retry_max_secs")?.max(1)),
            fcm_service_account: text(s, "fcm_service_account"),
            fcm_project_id: text(s, "fcm_project_id"),
            fcm_base_url: text(s, "fcm_base_url").trim_end_matches('/').to_owned(),
            apns_key_file: text(s, "apns_key_file"),
            apns_key_id: text(s, "apns_key_id"),
            apns_team_id: text(s, "apns_team_id"),
            apns_topic: text(s, "apns_topic"),
            apns_base_url: apns_base_url.trim_end_matches('/').to_owned(),
            apns_priority,
            apns_expiration: Duration::from_secs(num(s, "apns_expiration_secs")?),
        };
        if out.lease <= out.timeout {
            return Err(Error::Config(
                "SIMO_PUSH_LEASE_SECS must be longer than SIMO_PUSH_TIMEOUT_SECS".into(),
            ));
        }
        Ok(out)
    }
}

fn settings_provider(s: &Settings) -> String {
    text(s, "push_provider").to_ascii_lowercase()
}
