//! The `log` provider: writes each push to the server log, so the demo runs with zero setup.

use super::{Provider, Push, PushFuture};

pub struct LogProvider;

impl Provider for LogProvider {
    fn name(&self) -> &'static str {
        "log"
    }

    fn send<'a>(&'a self, push: &'a Push) -> PushFuture<'a> {
        Box::pin(async move {
            tracing::info!(
                target: "simo::push",
                message_id = push.message_id,
                title = push.title,
                recall = push.recall,
                "push (log provider; set SIMO_PUSH_PROVIDER=fcm or apns for real devices)"
            );
            tracing::debug!(target: "simo::push", token = push.token, "push token");
            Ok(())
        })
    }
}
