//! SMS providers behind one trait: `log` for the demo, `http` for a real gateway.

use crate::config::{Settings, SmsProviderKind};
use crate::domain::Phone;
use crate::error::{Error, Result};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<()>> + Send + 'a>>;

pub trait SmsSender: Send + Sync {
    fn send<'a>(&'a self, phone: &'a Phone, text: &'a str) -> SendFuture<'a>;
}

pub fn from_settings(settings: &Settings) -> Result<Arc<dyn SmsSender>> {
    Ok(match settings.sms_provider {
        SmsProviderKind::Log => Arc::new(LogSms),
        SmsProviderKind::Http => {
            let url = settings
                .sms_http_url
                .clone()
                .ok_or_else(|| Error::Config("SIMO_SMS_HTTP_URL is required".into()))?;
            Arc::new(HttpSms::new(url, settings.sms_http_token.clone())?)
        }
    })
}

/// Writes the code to the server log so the demo works with zero setup.
pub struct LogSms;

impl SmsSender for LogSms {
    fn send<'a>(&'a self, phone: &'a Phone, text: &'a str) -> SendFuture<'a> {
        Box::pin(async move {
            tracing::info!(target: "simo::sms", phone = %phone, text, "SMS (log provider; set SIMO_SMS_PROVIDER=http for a real gateway)");
            Ok(())
        })
    }
}

/// POSTs `{"phone": "+7…", "text": "…"}` to the configured gateway; any 2xx is success.
pub struct HttpSms {
    url: String,
    token: Option<String>,
    client: reqwest::Client,
}

impl HttpSms {
    pub fn new(url: String, token: Option<String>) -> Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| Error::Config(format!("SMS HTTP client: {e}")))?;
        Ok(Self { url, token, client })
    }
}

impl SmsSender for HttpSms {
    fn send<'a>(&'a self, phone: &'a Phone, text: &'a str) -> SendFuture<'a> {
        Box::pin(async move {
            let mut req = self
                .client
                .post(&self.url)
                .json(&serde_json::json!({ "phone": phone.as_str(), "text": text }));
            if let Some(token) = &self.token {
                req = req.bearer_auth(token);
            }
            let resp = req
                .send()
                .await
                .map_err(|e| Error::Sms(format!("gateway unreachable: {e}")))?;
            if !resp.status().is_success() {
                return Err(Error::Sms(format!("gateway answered {}", resp.status())));
            }
            Ok(())
        })
    }
}
