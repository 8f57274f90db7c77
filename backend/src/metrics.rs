//! Metrics for the operator's monitoring, in the OpenMetrics text format Prometheus scrapes:
//! requests by route and status with their durations, push and webhook outcomes, SMS codes
//! sent, and at scrape time the queues' depths and the process's memory.
//!
//! One registry per application (not a global), so the tests of one process, each with an app
//! of its own, count exactly their own requests.

use crate::config::Knob;
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::time::Duration;

pub const METRICS_KNOBS: &[Knob] = &[Knob {
    key: "metrics_token",
    default: "",
    help: "bearer token that opens GET /metrics (Prometheus); unset: /metrics answers 404",
}];

/// The API v1 methods, each a route label of its own; every other path is counted by area.
/// Fixed, so a client calling made-up paths cannot grow the label set.
pub const API_METHODS: &[&str] = &[
    "auth",
    "confirmsmscode",
    "updatepushtoken",
    "createmessage",
    "createmessagebulk",
    "getmessage",
    "getmessagestatus",
    "messagestatus",
    "getstaff",
    "deletestaff",
    "schedulemessage",
    "getschedule",
    "cancelschedule",
    "getgroups",
    "savegroup",
    "deletegroup",
    "uploadfile",
    "getfile",
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub route: &'static str,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabel {
    pub route: &'static str,
}

/// What became of one push.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum PushOutcome {
    /// The provider accepted it.
    sent,
    /// Tried again later.
    retried,
    /// Given up after the last try or the age limit, or refused by the provider.
    failed,
    /// The device's token is dead, or there is none.
    no_device,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabel {
    pub outcome: PushOutcome,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PoolLabels {
    /// SQLite: `read` or `write` (one connection of its own); PostgreSQL: `main`.
    pub pool: &'static str,
    /// `in_use` or `idle`.
    pub state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PoolLabel {
    pub pool: &'static str,
}

/// One database connection pool at scrape time.
#[derive(Debug, Clone, Copy)]
pub struct PoolStats {
    pub pool: &'static str,
    /// Connections open, busy or idle.
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabel {
    /// ok or failed.
    pub result: &'static str,
}

fn request_histogram() -> Histogram {
    // 0.25 ms to 4 s: the API answers in about a millisecond, the cabinet's exports in seconds.
    Histogram::new([
        0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 4.0,
    ])
}

pub struct Metrics {
    registry: Registry,
    http_requests: Family<HttpLabels, Counter>,
    http_seconds: Family<RouteLabel, Histogram, fn() -> Histogram>,
    pushes: Family<OutcomeLabel, Counter>,
    webhook_posts: Family<ResultLabel, Counter>,
    webhook_events: Counter,
    sms: Family<ResultLabel, Counter>,
    sms_unread: Family<ResultLabel, Counter>,
    sms_invites: Family<ResultLabel, Counter>,
    push_queue: Gauge,
    webhook_queue: Gauge,
    webhooks_failing: Gauge,
    scheduled_pending: Gauge,
    scheduled_overdue: Gauge,
    db_connections: Family<PoolLabels, Gauge>,
    db_connections_max: Family<PoolLabel, Gauge>,
    database_up: Gauge,
    background_waiting: Gauge,
    rss: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("simo");
        let http_requests = Family::<HttpLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route (API method or area) and status",
            http_requests.clone(),
        );
        let http_seconds = Family::<RouteLabel, Histogram, fn() -> Histogram>::new_with_constructor(
            request_histogram,
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer, by route",
            http_seconds.clone(),
        );
        let pushes = Family::<OutcomeLabel, Counter>::default();
        registry.register("pushes", "Push attempts by outcome", pushes.clone());
        let webhook_posts = Family::<ResultLabel, Counter>::default();
        registry.register(
            "webhook_posts",
            "POSTs to partners' webhooks by the sender, accepted (2xx) or not",
            webhook_posts.clone(),
        );
        let webhook_events = Counter::default();
        registry.register(
            "webhook_events_delivered",
            "Status changes partners' webhooks accepted",
            webhook_events.clone(),
        );
        let sms = Family::<ResultLabel, Counter>::default();
        registry.register("sms", "SMS codes handed to the gateway", sms.clone());
        let sms_unread = Family::<ResultLabel, Counter>::default();
        registry.register(
            "sms_unread",
            "SMS of messages not read in time: sent, refused by the gateway, over the month's limit",
            sms_unread.clone(),
        );
        let sms_invites = Family::<ResultLabel, Counter>::default();
        registry.register(
            "sms_invites",
            "Invitations to the app by SMS: sent, refused by the gateway, over the month's limit",
            sms_invites.clone(),
        );
        let push_queue = Gauge::default();
        registry.register(
            "push_queue_jobs",
            "Delivery jobs not finished (waiting, leased or between retries), at scrape time",
            push_queue.clone(),
        );
        let webhook_queue = Gauge::default();
        registry.register(
            "webhook_queue_events",
            "Status changes and employee events waiting for partners' webhooks, at scrape time",
            webhook_queue.clone(),
        );
        let webhooks_failing = Gauge::default();
        registry.register(
            "webhooks_failing",
            "Partners' webhooks whose last post failed, at scrape time",
            webhooks_failing.clone(),
        );
        let scheduled_pending = Gauge::default();
        registry.register(
            "scheduled_pending",
            "Scheduled sends waiting for their time, at scrape time",
            scheduled_pending.clone(),
        );
        let scheduled_overdue = Gauge::default();
        registry.register(
            "scheduled_overdue",
            "Scheduled sends still waiting a minute past their time (the scheduler is behind or failing), at scrape time",
            scheduled_overdue.clone(),
        );
        let db_connections = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "db_connections",
            "Database connections open, in use or idle, by pool, at scrape time (all in use and requests slow: the pool is too small)",
            db_connections.clone(),
        );
        let db_connections_max = Family::<PoolLabel, Gauge>::default();
        registry.register(
            "db_connections_max",
            "Most connections a pool opens (SIMO_DATABASE_MAX_CONNECTIONS)",
            db_connections_max.clone(),
        );
        let database_up = Gauge::default();
        registry.register(
            "database_up",
            "1 when this scrape read the queues' depths from the database, 0 when it could not (the queue gauges then keep their last values)",
            database_up.clone(),
        );
        let background_waiting = Gauge::default();
        registry.register(
            "background_tasks_waiting_for_database",
            "Background tasks (push workers, webhook sender, scheduler, reminders, housekeeping) parked while PostgreSQL is known to be out of reach; they go on when it is back",
            background_waiting.clone(),
        );
        let rss = Gauge::default();
        registry.register(
            "process_resident_memory_bytes",
            "Resident memory of this server process, at scrape time",
            rss.clone(),
        );
        Self {
            registry,
            http_requests,
            http_seconds,
            pushes,
            webhook_posts,
            webhook_events,
            sms,
            sms_unread,
            sms_invites,
            push_queue,
            webhook_queue,
            webhooks_failing,
            scheduled_pending,
            scheduled_overdue,
            db_connections,
            db_connections_max,
            database_up,
            background_waiting,
            rss,
        }
    }

    /// One answered request on `route` (see [`route`]).
    pub fn request(&self, route: &'static str, status: u16, took: Duration) {
        self.http_requests
            .get_or_create(&HttpLabels { route, status })
            .inc();
        self.http_seconds
            .get_or_create(&RouteLabel { route })
            .observe(took.as_secs_f64());
    }

    pub fn pushes(&self, outcome: PushOutcome, n: u64) {
        self.pushes
            .get_or_create(&OutcomeLabel { outcome })
            .inc_by(n);
    }

    /// A post of the webhook sender: accepted with `events`, or not.
    pub fn webhook_post(&self, accepted: bool, events: u64) {
        let result = if accepted { "ok" } else { "failed" };
        self.webhook_posts
            .get_or_create(&ResultLabel { result })
            .inc();
        if accepted {
            self.webhook_events.inc_by(events);
        }
    }

    /// An SMS of a message not read in time: `ok`, `failed` or `over_limit`.
    pub fn sms_unread(&self, result: &'static str) {
        self.sms_unread.get_or_create(&ResultLabel { result }).inc();
    }

    /// An invitation to the app by SMS: `ok`, `failed` or `over_limit`.
    pub fn sms_invite(&self, result: &'static str) {
        self.sms_invites
            .get_or_create(&ResultLabel { result })
            .inc();
    }

    pub fn sms(&self, sent: bool) {
        let result = if sent { "ok" } else { "failed" };
        self.sms.get_or_create(&ResultLabel { result }).inc();
    }

    /// The text Prometheus scrapes, with the gauges read now.
    pub fn render(
        &self,
        depths: Option<QueueDepths>,
        pools: &[PoolStats],
        background_waiting: usize,
    ) -> Result<String, std::fmt::Error> {
        for p in pools {
            let idle = p.idle.min(p.open);
            let labels = |state| PoolLabels {
                pool: p.pool,
                state,
            };
            self.db_connections
                .get_or_create(&labels("in_use"))
                .set(i64::from(p.open - idle));
            self.db_connections
                .get_or_create(&labels("idle"))
                .set(i64::from(idle));
            self.db_connections_max
                .get_or_create(&PoolLabel { pool: p.pool })
                .set(i64::from(p.max));
        }
        // Without the database the rest still tells the operator what callers got meanwhile.
        self.database_up.set(i64::from(depths.is_some()));
        self.background_waiting
            .set(i64::try_from(background_waiting).unwrap_or(i64::MAX));
        if let Some(depths) = depths {
            self.push_queue.set(depths.push_jobs);
            self.webhook_queue.set(depths.webhook_events);
            self.webhooks_failing.set(depths.webhooks_failing);
            self.scheduled_pending.set(depths.scheduled_pending);
            self.scheduled_overdue.set(depths.scheduled_overdue);
        }
        self.rss.set(resident_bytes().unwrap_or(0));
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

/// The queues as the database has them at scrape time.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueueDepths {
    pub push_jobs: i64,
    pub webhook_events: i64,
    pub webhooks_failing: i64,
    pub scheduled_pending: i64,
    /// Waiting a minute past their time.
    pub scheduled_overdue: i64,
}

/// The route label of a path: the API method, or the area.
pub fn route(path: &str) -> &'static str {
    if let Some(method) = path.strip_prefix("/api/v1/") {
        return API_METHODS
            .iter()
            .find(|m| **m == method)
            .copied()
            .unwrap_or("api_other");
    }
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    match first {
        "cabinet" => "cabinet",
        "operator" => "operator",
        "api" => "api_docs",
        "healthz" | "readyz" => "health",
        "metrics" => "metrics",
        _ => "other",
    }
}

/// VmRSS of this process, from /proc (Linux); `None` elsewhere.
fn resident_bytes() -> Option<i64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: i64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_a_bounded_set_of_routes() {
        assert_eq!(route("/api/v1/createmessage"), "createmessage");
        assert_eq!(route("/api/v1/createmessage/"), "api_other");
        assert_eq!(route("/api/v1/no-such-method"), "api_other");
        assert_eq!(route("/api/openapi.json"), "api_docs");
        assert_eq!(route("/cabinet/messages/12"), "cabinet");
        assert_eq!(route("/operator"), "operator");
        assert_eq!(route("/healthz"), "health");
        assert_eq!(route("/wp-login.php"), "other");
    }

    #[test]
    fn the_text_has_the_counters_and_gauges() {
        let m = Metrics::new();
        m.request(route("/api/v1/getstaff"), 200, Duration::from_millis(2));
        m.request(route("/api/v1/getstaff"), 401, Duration::from_micros(300));
        m.pushes(PushOutcome::sent, 3);
        m.webhook_post(true, 100);
        let text = m
            .render(
                Some(QueueDepths {
                    push_jobs: 7,
                    webhook_events: 5,
                    webhooks_failing: 1,
                    scheduled_pending: 4,
                    scheduled_overdue: 2,
                }),
                &[PoolStats {
                    pool: "read",
                    open: 3,
                    idle: 1,
                    max: 8,
                }],
                0,
            )
            .unwrap();
        for line in [
            "simo_http_requests_total{route=\"getstaff\",status=\"200\"} 1",
            "simo_http_requests_total{route=\"getstaff\",status=\"401\"} 1",
            "simo_http_request_duration_seconds_count{route=\"getstaff\"} 2",
            "simo_http_request_duration_seconds_bucket{le=\"0.0005\",route=\"getstaff\"} 1",
            "simo_pushes_total{outcome=\"sent\"} 3",
            "simo_webhook_posts_total{result=\"ok\"} 1",
            "simo_webhook_events_delivered_total 100",
            "simo_push_queue_jobs 7",
            "simo_webhook_queue_events 5",
            "simo_webhooks_failing 1",
            "simo_scheduled_pending 4",
            "simo_scheduled_overdue 2",
            "simo_db_connections{pool=\"read\",state=\"in_use\"} 2",
            "simo_db_connections{pool=\"read\",state=\"idle\"} 1",
            "simo_db_connections_max{pool=\"read\"} 8",
            "simo_database_up 1",
            "simo_background_tasks_waiting_for_database 0",
        ] {
            assert!(text.contains(line), "{line} in\n{text}");
        }
        assert!(text.ends_with("# EOF\n"));
        // The database out of reach at the next scrape: said so, the queues as last read.
        let text = m.render(None, &[], 6).unwrap();
        for line in [
            "simo_database_up 0",
            "simo_push_queue_jobs 7",
            "simo_background_tasks_waiting_for_database 6",
        ] {
            assert!(text.contains(line), "{line} in\n{text}");
        }
    }
}
