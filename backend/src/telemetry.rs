//! Structured logs: human-readable by default, JSON with `SIMO_LOG_FORMAT=json`.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter =
        EnvFilter::try_from_env("SIMO_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let json = std::env::var("SIMO_LOG_FORMAT").is_ok_and(|v| v == "json");
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second init (tests spawning several apps) is harmless and ignored.
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
