//! `spawn_app`: the real server on a loopback port over a fresh database, a fake SMS gateway
//! speaking the http provider's protocol, and one helper per API method.

use poem::listener::{Acceptor, Listener, TcpListener};
use poem::web::{Data, Json};
use poem::{EndpointExt, Route, Server, handler, post};
use serde_json::{Value, json};
use simo_backend::config::{Settings, SmsProviderKind};
use simo_backend::service::partners::{self, PartnerInput};
use simo_backend::startup::Application;
use simo_backend::state::SharedState;
use simo_backend::store::{Pool, Store};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::OnceCell;

pub const INN_A: &str = "7707083893";
pub const INN_B: &str = "7736207543";
pub const PHONE: &str = "+79233381638";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Runs one test body on SQLite and on PostgreSQL, as two tests named after it.
macro_rules! both_databases {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    let app = $crate::helpers::spawn_app($crate::helpers::Db::Sqlite).await.expect("sqlite app");
                    super::$name(app).await;
                }
                #[tokio::test]
                async fn postgres() {
                    if let Some(app) = $crate::helpers::spawn_app($crate::helpers::Db::Postgres).await {
                        super::$name(app).await;
                    }
                }
            }
        )*
    };
}
pub(crate) use both_databases;

/// SMS the fake gateway received.
#[derive(Clone, Default)]
pub struct FakeSms {
    pub received: Arc<Mutex<Vec<(String, String)>>>,
    pub fail: Arc<std::sync::atomic::AtomicBool>,
}

impl FakeSms {
    /// The code of the last SMS to `phone`: the last run of digits in its text.
    pub fn last_code(&self, phone: &str) -> Option<String> {
        let phone = simo_backend::domain::Phone::parse(phone)
            .expect("a valid phone")
            .as_str()
            .to_owned();
        let received = self.received.lock().unwrap();
        let (_, text) = received.iter().rev().find(|(p, _)| *p == phone)?;
        let digits: Vec<&str> = text
            .split(|c: char| !c.is_ascii_digit())
            .filter(|s| s.len() >= 4)
            .collect();
        digits.last().map(|s| s.to_string())
    }

    pub fn count(&self) -> usize {
        self.received.lock().unwrap().len()
    }
}

#[handler]
async fn sms_gateway(
    Data(sms): Data<&FakeSms>,
    Json(body): Json<Value>,
) -> poem::Result<Json<Value>> {
    if sms.fail.load(Ordering::SeqCst) {
        return Err(poem::Error::from_status(
            poem::http::StatusCode::SERVICE_UNAVAILABLE,
        ));
    }
    let phone = body["phone"].as_str().unwrap_or_default().to_owned();
    let text = body["text"].as_str().unwrap_or_default().to_owned();
    sms.received.lock().unwrap().push((phone, text));
    Ok(Json(json!({"status": "accepted"})))
}

async fn spawn_fake_sms() -> (String, FakeSms) {
    let sms = FakeSms::default();
    let acceptor = TcpListener::bind("127.0.0.1:0")
        .into_acceptor()
        .await
        .unwrap();
    let port = acceptor.local_addr()[0].as_socket_addr().unwrap().port();
    let app = Route::new().at("/sms", post(sms_gateway)).data(sms.clone());
    tokio::spawn(Server::new_with_acceptor(acceptor).run(app));
    (format!("http://127.0.0.1:{port}/sms"), sms)
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub sms: FakeSms,
    pub state: SharedState,
    pub db: Db,
    /// The PostgreSQL schema that is this app's database.
    schema: Option<String>,
    _dir: Option<tempfile::TempDir>,
    /// Asks the server to stop, as SIGTERM does (`TestApp::stop`); taken then.
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    running: Option<tokio::task::JoinHandle<simo_backend::error::Result<()>>>,
}

pub fn test_settings(sms_url: &str) -> Settings {
    Settings {
        listen: "127.0.0.1:0".into(),
        sms_provider: SmsProviderKind::Http,
        sms_http_url: Some(sms_url.into()),
        // Tests send several codes to one phone in a row; the limits have tests of their own.
        sms_resend_cooldown_secs: 0,
        sms_hourly_per_phone: 1000,
        sms_hourly_per_ip: 1000,
        // Both databases seal secrets; the SQLite key file has a test of its own.
        secret_key: Some(simo_backend::store::Sealer::new_key_hex()),
        ..Settings::default()
    }
}

pub fn pg_url() -> String {
    std::env::var("SIMO_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub fn postgres_required() -> bool {
    std::env::var("SIMO_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

static PG_READY: OnceCell<bool> = OnceCell::const_new();
static SCHEMA_SEQ: AtomicUsize = AtomicUsize::new(0);

/// Checks PostgreSQL once per test process and drops schemas left by test processes that are gone.
async fn postgres_available() -> bool {
    *PG_READY
        .get_or_init(|| async {
            let conn = sqlx::PgPool::connect(&pg_url()).await;
            let pool = match conn {
                Ok(p) => p,
                Err(e) if postgres_required() => {
                    panic!("SIMO_REQUIRE_POSTGRES=1 but PostgreSQL is unreachable: {e}")
                }
                Err(e) => {
                    eprintln!("PostgreSQL unreachable ({e}); PostgreSQL variants are skipped");
                    return false;
                }
            };
            let schemas: Vec<String> = sqlx::query_scalar(
                "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'simo_t_%'",
            )
            .fetch_all(&pool)
            .await
            .unwrap();
            for schema in schemas {
                let pid = schema.split('_').nth(2).unwrap_or_default();
                if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
                    let sql = format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
                    sqlx::query(sqlx::AssertSqlSafe(sql))
                        .execute(&pool)
                        .await
                        .unwrap();
                }
            }
            true
        })
        .await
}

pub async fn spawn_app(db: Db) -> Option<TestApp> {
    spawn_app_with(db, |_| {}).await
}

/// Like `spawn_app`, with settings adjusted by the test.
pub async fn spawn_app_with(db: Db, adjust: impl FnOnce(&mut Settings)) -> Option<TestApp> {
    spawn(db, adjust, None).await
}

/// The app on PostgreSQL reached at `url` (a proxy in front of the test server, which a test
/// can cut) instead of the server itself, its calls giving up on the database after `wait`, with
/// settings changed by `adjust` first.
pub async fn spawn_postgres_app_at(
    url: &str,
    wait: Duration,
    adjust: impl FnOnce(&mut Settings),
) -> Option<TestApp> {
    spawn(Db::Postgres, adjust, Some((url, wait))).await
}

async fn spawn(
    db: Db,
    adjust: impl FnOnce(&mut Settings),
    postgres_at: Option<(&str, Duration)>,
) -> Option<TestApp> {
    if std::env::var_os("SIMO_TEST_LOG").is_some() {
        simo_backend::telemetry::init();
    }
    let (sms_url, sms) = spawn_fake_sms().await;
    let mut settings = test_settings(&sms_url);
    adjust(&mut settings);
    let (app, dir, schema) = match db {
        Db::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            settings.database_url = format!("sqlite://{}/simo.db?mode=rwc", dir.path().display());
            (
                Application::build(settings).await.expect("build app"),
                Some(dir),
                None,
            )
        }
        Db::Postgres => {
            if !postgres_available().await {
                return None;
            }
            let schema = format!(
                "simo_t_{}_{}",
                std::process::id(),
                SCHEMA_SEQ.fetch_add(1, Ordering::SeqCst)
            );
            let admin = sqlx::PgPool::connect(&pg_url()).await.unwrap();
            let sql = format!("CREATE SCHEMA \"{schema}\"");
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&admin)
                .await
                .unwrap();
            admin.close().await;
            let store = match postgres_at {
                Some((url, wait)) => Store::connect_pg_schema_waiting(url, &schema, 4, wait).await,
                None => Store::connect_pg_schema(&pg_url(), &schema, 4).await,
            }
            .unwrap();
            (
                Application::build_with_store(settings, store)
                    .await
                    .expect("build app"),
                None,
                Some(schema),
            )
        }
    };
    let base = format!("http://127.0.0.1:{}", app.port());
    let state = app.state();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(app.run_until(async {
        // The sender dropped with the app is no stop: the server runs on, as it always has.
        if stopped.await.is_err() {
            std::future::pending::<()>().await;
        }
    }));
    Some(TestApp {
        base,
        client: reqwest::Client::new(),
        sms,
        state,
        db,
        schema,
        _dir: dir,
        stop: Some(stop),
        running: Some(running),
    })
}

/// A response reduced to what tests look at.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub retry_after: Option<String>,
}

impl Answer {
    pub fn ok(&self) -> &Value {
        assert_eq!(self.status, 200, "expected success, got {self:?}");
        assert_eq!(self.body["success"], true, "{self:?}");
        assert_eq!(self.body["error"], "", "{self:?}");
        &self.body["data"]
    }

    /// Asserts a failure in the documented envelope and returns its message.
    pub fn failed(&self, status: u16) -> String {
        assert_eq!(self.status, status, "unexpected status: {self:?}");
        assert_eq!(self.body["success"], false, "{self:?}");
        assert!(self.body["data"].is_null(), "{self:?}");
        let error = self.body["error"]
            .as_str()
            .expect("error is a string")
            .to_owned();
        assert!(!error.is_empty(), "{self:?}");
        error
    }
}

pub struct Partner {
    pub id: i64,
    pub inn: String,
    pub token: String,
}

pub struct Employee {
    pub id: String,
    pub token: String,
    pub phone: String,
}

impl TestApp {
    /// Stops the server as SIGTERM does, and waits until it has; its database stays (the
    /// SQLite file goes with the app).
    pub async fn stop(&mut self) {
        let (Some(stop), Some(running)) = (self.stop.take(), self.running.take()) else {
            panic!("the server stopped already");
        };
        stop.send(()).expect("the server still running");
        running
            .await
            .expect("the server's task")
            .expect("a clean stop");
    }

    pub async fn create_partner(&self, inn: &str) -> Partner {
        let (row, token) = partners::create(
            &self.state.store,
            PartnerInput {
                inn,
                short_name: "ООО Весна",
                full_name: "Общество с ограниченной ответственностью Весна",
                password: "secret-password",
                approval_required: false,
            },
        )
        .await
        .unwrap();
        Partner {
            id: row.id,
            inn: row.inn,
            token: token.expose().to_owned(),
        }
    }

    /// A number straight from the database, for checks the API cannot make.
    /// Another store on this app's database, as a restarted server (or the command line) opens
    /// it: no key taken yet.
    pub async fn reopen_store(&self) -> Store {
        match &self.schema {
            Some(schema) => Store::connect_pg_schema(&pg_url(), schema, 2).await,
            None => Store::connect(&self.state.settings.database_url, 2).await,
        }
        .unwrap()
    }

    pub async fn count(&self, sql: &str) -> i64 {
        let sql = || sqlx::AssertSqlSafe(sql.to_owned());
        match self.state.store.pool() {
            Pool::Sqlite(p) => sqlx::query_scalar(sql()).fetch_one(p).await.unwrap(),
            Pool::Postgres(p) => sqlx::query_scalar(sql()).fetch_one(p).await.unwrap(),
        }
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> Answer {
        self.call_with(method, path, token, &[], body).await
    }

    /// `call` with extra headers (raw bytes: a test may send what no header should carry).
    pub async fn call_with(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &[u8])],
        body: Option<Vec<u8>>,
    ) -> Answer {
        let url = format!("{}{}", self.base, path);
        let mut req = self.client.request(method.parse().unwrap(), url);
        for (name, value) in headers {
            let value = reqwest::header::HeaderValue::from_bytes(value).expect("a header value");
            req = req.header(*name, value);
        }
        if let Some(t) = token {
            req = req.header("Authorization", t);
        }
        if let Some(b) = body {
            req = req.header("Content-Type", "application/json").body(b);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        let text = resp.text().await.unwrap();
        let body =
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
        Answer {
            status,
            body,
            retry_after,
        }
    }

    pub async fn post(&self, method: &str, token: Option<&str>, body: Value) -> Answer {
        self.call(
            "POST",
            &format!("/api/v1/{method}"),
            token,
            Some(body.to_string().into_bytes()),
        )
        .await
    }

    pub async fn auth(&self, inn: &str, phone: &str, name: &str) -> Answer {
        self.post(
            "auth",
            None,
            json!({"inn": inn, "staffname": name, "phone": phone, "device": "android"}),
        )
        .await
    }

    pub async fn confirm(&self, inn: &str, phone: &str, code: &str) -> Answer {
        self.post(
            "confirmsmscode",
            None,
            json!({"inn": inn, "phone": phone, "smscode": code}),
        )
        .await
    }

    /// The whole documented login of an employee.
    /// `addstaff` of these (phone, name) pairs, all new; their (staffid, name), in the order given.
    pub async fn add_listed(
        &self,
        p: &Partner,
        staff: &[(String, String)],
    ) -> Vec<(String, String)> {
        let list: Vec<Value> = staff
            .iter()
            .map(|(phone, name)| json!({"phone": phone, "name": name}))
            .collect();
        let added = self
            .post(
                "addstaff",
                Some(&p.token),
                json!({"inn": p.inn, "staff": list}),
            )
            .await;
        assert_eq!(added.ok()["added"], staff.len(), "{added:?}");
        added.ok()["staff"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let field = |k: &str| s[k].as_str().unwrap().to_owned();
                (field("staffid"), field("staffname"))
            })
            .collect()
    }

    pub async fn login(&self, inn: &str, phone: &str, name: &str) -> Employee {
        self.auth(inn, phone, name).await.ok();
        let code = self.sms.last_code(phone).expect("an SMS with a code");
        let data = self.confirm(inn, phone, &code).await.ok().clone();
        Employee {
            id: data["staffid"].as_str().unwrap().to_owned(),
            token: data["apitoken"].as_str().unwrap().to_owned(),
            phone: data["phone"].as_str().unwrap().to_owned(),
        }
    }

    /// `createmessagebulk` to every employee of `p`: (staffId, messageid, status) of each.
    pub async fn bulk_to_all(&self, p: &Partner, title: &str, text: &str) -> Vec<[String; 3]> {
        let bulk = self
            .post(
                "createmessagebulk",
                Some(&p.token),
                json!({"inn": p.inn, "all": true, "title": title, "message": text}),
            )
            .await;
        let field = |m: &Value, k: &str| m[k].as_str().unwrap().to_owned();
        bulk.ok()["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                [
                    field(m, "staffId"),
                    field(m, "messageid"),
                    field(m, "status"),
                ]
            })
            .collect()
    }

    pub async fn create_message(
        &self,
        p: &Partner,
        staff_id: &str,
        title: &str,
        text: &str,
    ) -> Answer {
        self.post(
            "createmessage",
            Some(&p.token),
            json!({"inn": p.inn, "staffid": staff_id, "title": title, "message": text}),
        )
        .await
    }

    pub async fn get_messages(&self, token: &str, body: Value) -> Answer {
        self.post("getmessage", Some(token), body).await
    }
}

/// The code an authenticator app shows for the key a page gave (base32 in groups), `steps`
/// time steps of 30 s from now.
pub fn totp_code(key: &str, steps: i64) -> String {
    let key: String = key.split_whitespace().collect();
    let secret = totp_rs::Secret::try_from_base32(&key).expect("a base32 key");
    let totp = totp_rs::Builder::new()
        .with_secret(secret)
        .build()
        .expect("the key makes a TOTP");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    totp.generate((now + steps * 30) as u64).to_string()
}

/// splitmix64, for the fuzz tests: small, seeded, and the same on every machine.
pub struct Rng(pub u64);

impl Rng {
    /// Seeded by `SIMO_FUZZ_SEED`, or by the fixed seed the tests run with, so that a failure
    /// happens again the same way.
    pub fn from_env() -> (Self, u64) {
        let seed = std::env::var("SIMO_FUZZ_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(20261205);
        (Self(seed), seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }
}
