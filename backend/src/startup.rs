//! Building the application: bind first (so port 0 works), connect, migrate, route, serve.

use crate::api;
use crate::api::v1::envelope::{envelope_any_error, unless_database_down, with_language};
use crate::cabinet::{self, CabinetConfig};
use crate::config::Settings;
use crate::domain::TimeFormat;
use crate::error::{Error, Result};
use crate::state::{AppState, SharedState};
use crate::store::Store;
use poem::endpoint::make_sync;
use poem::listener::{Acceptor, Listener, TcpAcceptor, TcpListener};
use poem::middleware::{AddData, NormalizePath, TrailingSlash};
use poem::web::Redirect;
use poem::{
    Endpoint, EndpointExt, IntoEndpoint, IntoResponse, Request, Response, Route, get, handler,
};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::Instrument;

pub struct Application {
    acceptor: TcpAcceptor,
    port: u16,
    state: SharedState,
    push: crate::push::Workers,
    webhooks: crate::webhook::Sender,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self> {
        settings.validate()?;
        let store =
            Store::connect(&settings.database_url, settings.database_max_connections).await?;
        Self::build_with_store(settings, store).await
    }

    fn with_store(
        acceptor: TcpAcceptor,
        port: u16,
        store: Store,
        settings: Settings,
    ) -> Result<Self> {
        let time =
            TimeFormat::new(&settings.timezone).map_err(|e| Error::Config(e.0.en().to_owned()))?;
        let store = store.with_auth_cache(Duration::from_secs(settings.auth_cache_secs));
        let sms = crate::sms::from_settings(&settings)?;
        CabinetConfig::from_settings(&settings)?;
        let push_wakeup = Arc::new(crate::push::Wakeup::default());
        let metrics = Arc::new(crate::metrics::Metrics::new());
        let push = crate::push::workers(
            &settings,
            store.clone(),
            time,
            push_wakeup.clone(),
            metrics.clone(),
        )?;
        let poster = Arc::new(crate::webhook::Poster::new(
            crate::webhook::WebhookSettings::from_settings(&settings)?,
        )?);
        let webhooks =
            crate::webhook::Sender::new(poster.clone(), store.clone(), time, metrics.clone());
        let partner_throttle = crate::service::throttle::PartnerThrottle::new(
            settings.partner_rate,
            settings.partner_burst,
        );
        let uploads = Arc::new(tokio::sync::Semaphore::new(
            crate::service::files::uploads_at_once(&settings)?,
        ));
        let state = Arc::new(AppState {
            store,
            uploads,
            partner_throttle,
            settings,
            time,
            sms,
            push_wakeup,
            webhooks: poster,
            metrics,
            key_refusals: Default::default(),
            rights_refusals: Default::default(),
        });
        Ok(Self {
            acceptor,
            port,
            state,
            push,
            webhooks,
        })
    }

    /// Like `build`, over a store the caller prepared (tests use a fresh PostgreSQL schema).
    pub async fn build_with_store(settings: Settings, store: Store) -> Result<Self> {
        let acceptor = TcpListener::bind(settings.listen.clone())
            .into_acceptor()
            .await
            .map_err(|e| Error::Config(format!("cannot listen on {}: {e}", settings.listen)))?;
        let port = acceptor
            .local_addr()
            .first()
            .and_then(|a| a.as_socket_addr().map(|s| s.port()))
            .ok_or_else(|| Error::Internal("listener has no address".into()))?;
        store.migrate().await?;
        let resealed = store
            .open_secrets(
                settings.secret_key.as_deref(),
                settings.secret_key_previous.as_deref(),
            )
            .await?;
        if resealed.previous > 0 {
            crate::cabinet::audit::record_server_for_operator(
                &store,
                crate::cabinet::audit::Action::SecretKeyRotated,
                &crate::cabinet::audit::resealed(resealed.previous),
            )
            .await;
        }
        Self::with_store(acceptor, port, store, settings)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> SharedState {
        self.state.clone()
    }

    /// Serves until SIGINT or SIGTERM, then lets requests in flight finish (up to 10 s).
    pub async fn run_until_stopped(self) -> Result<()> {
        let stop = shutdown_signal()?;
        self.run_until(stop).await
    }

    pub async fn run_until(self, stop: impl std::future::Future<Output = ()> + Send) -> Result<()> {
        tracing::info!(
            port = self.port,
            "listening on http://{}",
            self.state.settings.listen
        );
        let app = routes(self.state.clone());
        let push = self.push.start();
        let webhooks = self.webhooks.start();
        let cabinet = CabinetConfig::from_settings(&self.state.settings)?;
        let housekeeping = crate::service::housekeeping::spawn(
            self.state.store.clone(),
            crate::service::housekeeping::Retention::new(
                self.state.settings.sms_code_ttl_secs,
                cabinet.journal_keep_days,
            ),
        );
        let scheduler =
            crate::service::schedule::spawn(self.state.clone(), crate::service::schedule::POLL);
        let reminders = crate::service::reminders::spawn(
            self.state.clone(),
            crate::service::reminders::AUTO_EVERY,
        );
        // A limit that does not parse stops the start, not each round.
        crate::service::sms_fallback::monthly_limit(&self.state.settings)?;
        crate::service::files::max_bytes(&self.state.settings)?;
        let sms_fallback = crate::service::sms_fallback::spawn(
            self.state.clone(),
            crate::service::sms_fallback::EVERY,
        );
        let maintenance = self
            .state
            .store
            .spawn_maintenance(Duration::from_millis(100));
        let served = crate::serve::serve(
            self.acceptor,
            app,
            stop,
            self.state.settings.request_read_timeout(),
            Duration::from_secs(10),
        )
        .await;
        // Pushes in flight are settled before the pool closes; unsent jobs wait in the outbox.
        push.stop().await;
        webhooks.stop().await;
        if let Some(task) = maintenance {
            task.abort();
        }
        housekeeping.abort();
        scheduler.abort();
        reminders.abort();
        sms_fallback.abort();
        served?;
        self.state.store.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Resolves on SIGINT or SIGTERM. The handlers are installed when this is called, not when the
/// future is first polled, so a signal sent right after start-up is not lost.
pub fn shutdown_signal() -> Result<impl std::future::Future<Output = ()> + Send> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        Ok(async move {
            tokio::select! { _ = term.recv() => {}, _ = int.recv() => {} }
            tracing::info!("shutdown requested");
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}

#[handler]
async fn healthz() -> &'static str {
    "ok"
}

/// Ready when the database answers: at once "no" while it is known to be out of reach, and a
/// failed ping has the store probe it (see `store::outage`), so a load balancer's checks find
/// an outage before any caller waits on it.
#[handler]
async fn readyz(req: &Request) -> Response {
    let ready = match req.data::<SharedState>() {
        Some(state) if state.store.database_known_down() => false,
        Some(state) => match state.store.ping().await {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = %e, "not ready: the database did not answer");
                state.store.note_failure(&e);
                false
            }
        },
        None => false,
    };
    if ready {
        "ready".into_response()
    } else {
        "database unavailable"
            .with_status(poem::http::StatusCode::SERVICE_UNAVAILABLE)
            .into_response()
    }
}

pub fn routes(state: SharedState) -> impl Endpoint {
    let v1 = api::v1_service();
    let spec = api::v1_spec_json();
    let docs = api::v1_docs_html();
    let cabinet = CabinetConfig::from_settings(&state.settings)
        .expect("cabinet settings are validated by Application::build");
    Route::new()
        // Body size is enforced while reading (`V1Body`), which also covers chunked uploads.
        .nest(
            "/api/v1",
            v1.into_endpoint()
                .catch_all_error(envelope_any_error)
                .around(unless_database_down)
                .around(with_language),
        )
        .at(
            "/api/openapi.json",
            make_sync(move |_| {
                spec.clone()
                    .with_content_type("application/json; charset=utf-8")
            }),
        )
        .at(
            "/api/docs",
            make_sync(move |_| poem::web::Html(docs.clone())),
        )
        .at("/healthz", get(healthz))
        .at("/metrics", get(metrics_text))
        .at("/readyz", get(readyz))
        .nest("/cabinet", cabinet::cabinet_routes(&state, &cabinet))
        .nest("/operator", cabinet::operator_routes(&state, &cabinet))
        .at(
            "/",
            get(make_sync(|_| Redirect::see_other("/cabinet/login"))),
        )
        .with(NormalizePath::new(TrailingSlash::Trim))
        .with(AddData::new(state.clone()))
        .around(move |next, req| log_request(next, req, state.metrics.clone()))
}

/// The operator's metrics (`crate::metrics`) for Prometheus, behind `SIMO_METRICS_TOKEN`: they
/// tell how busy each partner-facing route is, which is not for everyone to read. Without a token
/// configured the route is not there (404).
#[handler]
async fn metrics_text(req: &Request) -> Response {
    use poem::http::StatusCode;
    let Some(state) = req.data::<SharedState>() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let token = state.settings.module_setting("metrics_token");
    if token.is_empty() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let given = req
        .header("authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
        .unwrap_or("");
    if !bool::from(subtle::ConstantTimeEq::ct_eq(
        given.as_bytes(),
        token.as_bytes(),
    )) {
        return "a bearer token is required (SIMO_METRICS_TOKEN)"
            .with_status(StatusCode::UNAUTHORIZED)
            .with_header("www-authenticate", "Bearer")
            .into_response();
    }
    // The counters are this process's: they are served when the database is not there.
    let depths = match state.store.database_known_down() {
        true => None,
        false => match state.store.queue_depths().await {
            Ok(d) => Some(d),
            Err(e) => {
                tracing::error!(error = %e, "queue depths not read for /metrics");
                state.store.note_failure(&e);
                None
            }
        },
    };
    let store = &state.store;
    match state
        .metrics
        .render(depths, &store.pool_stats(), store.background_waiting())
    {
        Ok(text) => text
            .with_content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "metrics not encoded");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// One span per request with an id (the caller's `X-Request-Id` if sane), echoed in the answer;
/// counted and timed for the metrics.
async fn log_request<E: Endpoint>(
    next: E,
    req: Request,
    metrics: Arc<crate::metrics::Metrics>,
) -> poem::Result<Response> {
    let id = req
        .header("x-request-id")
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path());
    let route = crate::metrics::route(req.uri().path());
    async move {
        let start = Instant::now();
        let mut resp = match next.call(req).await {
            Ok(r) => r.into_response(),
            Err(e) => e.into_response(),
        };
        let took = start.elapsed();
        let status = resp.status().as_u16();
        tracing::info!(status, ms = took.as_millis() as u64, "handled");
        metrics.request(route, status, took);
        if let Ok(v) = id.parse() {
            resp.headers_mut().insert("x-request-id", v);
        }
        Ok(resp)
    }
    .instrument(span)
    .await
}
