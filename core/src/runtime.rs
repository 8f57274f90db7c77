//! The one tokio runtime of the process. Exported async methods run their work here and
//! hand the foreign executor (Kotlin coroutines, Swift tasks) a runtime-agnostic join handle.

use std::future::Future;

use once_cell::sync::Lazy;
use tokio::runtime::{Builder, Runtime};

static RUNTIME: Lazy<Runtime> = Lazy::new(|| {
    Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("simo-core")
        .enable_all()
        .build()
        .expect("the tokio runtime of simo-core cannot start")
});

/// Runs `future` on the core's runtime and waits for it from any executor.
///
/// If the caller stops waiting (a cancelled coroutine), the work still completes, so a
/// half-done sync never leaves the cache without its cursor update.
pub async fn run<T: Send + 'static>(future: impl Future<Output = T> + Send + 'static) -> T {
    match RUNTIME.spawn(future).await {
        Ok(value) => value,
        Err(error) => std::panic::resume_unwind(error.into_panic()),
    }
}
