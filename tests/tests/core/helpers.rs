//! `TestServer`: the real simo-backend in-process on a loopback port over a fresh SQLite
//! database, with the fake SMS gateway; it can be stopped and started again on the same
//! port to take the network away from the core. Plus a recording listener and login helpers.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use simo_backend::config::{Settings, SmsProviderKind};
use simo_backend::service::partners::{self, PartnerInput};
use simo_backend::startup::Application;
use simo_backend::state::SharedState;
use simo_core::{Device, Message, MessageId, Profile, SimoClient, SimoListener};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::sms::FakeSmsGateway;

pub const INN: &str = "7707083893";

static PHONES: AtomicUsize = AtomicUsize::new(0);

/// A phone number no other test uses.
pub fn new_phone() -> String {
    format!(
        "+7999{:07}",
        std::process::id() % 1000 * 10_000 + PHONES.fetch_add(1, Ordering::SeqCst) as u32
    )
}

pub struct TestServer {
    pub url: String,
    pub sms: FakeSmsGateway,
    pub partner_token: String,
    pub partner_id: i64,
    pub state: SharedState,
    settings: Settings,
    running: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl TestServer {
    /// A fresh server with one partner (INN 7707083893).
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Like `spawn`, with settings changed by `tune` first.
    pub async fn spawn_with(tune: impl FnOnce(&mut Settings)) -> Self {
        let sms = FakeSmsGateway::start().await;
        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings {
            listen: "127.0.0.1:0".into(),
            database_url: format!("sqlite://{}/simo.db?mode=rwc", dir.path().display()),
            sms_provider: SmsProviderKind::Http,
            sms_http_url: Some(sms.url.clone()),
            // Tests log one phone in several times a minute; the limits have tests of their own.
            sms_resend_cooldown_secs: 0,
            sms_hourly_per_phone: 1000,
            sms_hourly_per_ip: 1000,
            ..Settings::default()
        };
        tune(&mut settings);
        let app = Application::build(settings.clone())
            .await
            .expect("the backend starts");
        // Restarts must come back on the same port: the core keeps its server URL.
        settings.listen = format!("127.0.0.1:{}", app.port());
        let state = app.state();
        let (partner, token) = partners::create(
            &state.store,
            PartnerInput {
                inn: INN,
                short_name: "ООО Весна",
                full_name: "Общество с ограниченной ответственностью Весна",
                password: "secret123",
                approval_required: false,
            },
        )
        .await
        .expect("the partner is created");
        let mut server = TestServer {
            url: format!("http://127.0.0.1:{}", app.port()),
            sms,
            partner_token: token.expose().to_owned(),
            partner_id: partner.id,
            state,
            settings,
            running: None,
            http: reqwest::Client::new(),
            _dir: dir,
        };
        server.run(app);
        server
    }

    fn run(&mut self, app: Application) {
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            app.run_until(async {
                let _ = stopped.await;
            })
            .await
            .expect("the backend runs");
        });
        self.running = Some((stop, task));
    }

    /// Stops the server: the core now gets "connection refused".
    pub async fn stop(&mut self) {
        if let Some((stop, task)) = self.running.take() {
            let _ = stop.send(());
            task.await.unwrap();
        }
    }

    /// Starts the server again on the same port and database.
    pub async fn start(&mut self) {
        let app = Application::build(self.settings.clone())
            .await
            .expect("the backend restarts");
        self.state = app.state();
        self.run(app);
    }

    /// The server's SQLite file, for a test to hold it as another program would.
    pub fn database_file(&self) -> std::path::PathBuf {
        self._dir.path().join("simo.db")
    }

    /// A client with a fresh data directory and a recording listener.
    pub fn client(&self) -> TestClient {
        let dir = tempfile::tempdir().unwrap();
        let client = SimoClient::new(self.url.clone(), dir.path().display().to_string()).unwrap();
        let listener = Arc::new(RecordingListener::default());
        client.set_listener(Some(listener.clone()));
        TestClient {
            client,
            listener,
            _dir: dir,
        }
    }

    /// Logs `client` in as the employee with `phone`, reading the code from the fake gateway.
    pub async fn login(&self, client: &SimoClient, phone: &str) -> Profile {
        self.login_on(client, phone, Device::Android).await
    }

    /// `login` from an Android phone or an iPhone.
    pub async fn login_on(&self, client: &SimoClient, phone: &str, device: Device) -> Profile {
        let inn = simo_core::Inn::parse(INN).unwrap();
        let parsed = simo_core::Phone::parse(phone).unwrap();
        let answer = client
            .request_code(inn, parsed, "Иванов А. И.".into(), device)
            .await
            .expect("request_code");
        assert!(
            !answer.trim().is_empty(),
            "the server says the code was sent"
        );
        let code = self.sms.next_code(phone).await;
        client.confirm_code(code).await.expect("confirm_code")
    }

    /// The company's registration policy, as its admin sets it in the cabinet.
    pub async fn set_registration(&self, policy: simo_backend::domain::Registration) {
        self.state
            .store
            .set_registration(self.partner_id, policy)
            .await
            .unwrap();
    }

    /// `POST /api/v1/{method}` with the partner's token; returns the envelope's `data`.
    pub async fn as_partner(&self, method: &str, body: Value) -> Value {
        let answer: Value = self
            .http
            .post(format!("{}/api/v1/{method}", self.url))
            .header("Authorization", &self.partner_token)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(answer["success"], true, "{method}: {answer}");
        answer["data"].clone()
    }

    /// `POST /api/v1/createmessage` as the partner's system; returns the message id.
    pub async fn create_message(&self, staff_id: &str, title: &str, text: &str) -> i64 {
        let body = json!({"inn": INN, "staffid": staff_id, "title": title, "message": text});
        let data = self.as_partner("createmessage", body).await;
        data["messageid"].as_str().unwrap().parse().unwrap()
    }

    /// `POST /api/v1/uploadfile` as the partner's system; returns the envelope's `data`
    /// (`fileid`, `name`, `size`, `contenttype`, `sha256`).
    pub async fn upload_file(&self, name: &str, bytes: &[u8]) -> Value {
        let body = json!({"inn": INN, "name": name, "content": base64(bytes)});
        self.as_partner("uploadfile", body).await
    }

    /// `createmessage` with `fileids`: the files go with the message, in that order.
    pub async fn create_message_with_files(
        &self,
        staff_id: &str,
        title: &str,
        text: &str,
        file_ids: &[&str],
    ) -> i64 {
        let body = json!({"inn": INN, "staffid": staff_id, "title": title, "message": text, "fileids": file_ids});
        let data = self.as_partner("createmessage", body).await;
        data["messageid"].as_str().unwrap().parse().unwrap()
    }

    /// `createmessage` with `"requireack": true`: the employee is asked to acknowledge it.
    pub async fn create_order(&self, staff_id: &str, title: &str, text: &str) -> i64 {
        let body = json!({"inn": INN, "staffid": staff_id, "title": title, "message": text, "requireack": true});
        let data = self.as_partner("createmessage", body).await;
        assert_eq!(data["requireack"], true, "{data}");
        data["messageid"].as_str().unwrap().parse().unwrap()
    }

    /// The message as `getmessagestatus` tells the partner's system.
    pub async fn status_of(&self, id: i64) -> Value {
        let data = self
            .as_partner(
                "getmessagestatus",
                json!({"inn": INN, "messageids": [id.to_string()]}),
            )
            .await;
        data["messages"][0].clone()
    }

    /// `POST /api/v1/addstaff` as the partner's system, one employee; returns their id.
    pub async fn add_staff(&self, phone: &str, name: &str) -> String {
        let body = json!({"inn": INN, "staff": [{"phone": phone, "name": name}]});
        let data = self.as_partner("addstaff", body).await;
        data["staff"][0]["staffid"].as_str().unwrap().to_owned()
    }

    /// `POST /api/v1/recallmessage` as the partner's system; returns the ids recalled now.
    pub async fn recall(&self, ids: &[i64]) -> Vec<i64> {
        self.on_messages("recallmessage", ids, "recalled").await
    }

    /// `POST /api/v1/remindmessage` as the partner's system; returns the ids reminded now.
    pub async fn remind(&self, ids: &[i64]) -> Vec<i64> {
        self.on_messages("remindmessage", ids, "reminded").await
    }

    /// A method taking `messageids`; returns the ids its answer lists under `done`.
    async fn on_messages(&self, method: &str, ids: &[i64], done: &str) -> Vec<i64> {
        let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
        let data = self
            .as_partner(method, json!({"inn": INN, "messageids": ids}))
            .await;
        data[done]
            .as_array()
            .unwrap()
            .iter()
            .map(|id| id.as_str().unwrap().parse().unwrap())
            .collect()
    }

    /// The push token the server holds for the employee with `staff_id`.
    pub async fn push_token_of(&self, staff_id: &str) -> Option<String> {
        let staff = self.state.store.list_staff(self.partner_id).await.unwrap();
        let row = staff
            .into_iter()
            .find(|s| s.id.to_string() == staff_id)
            .expect("the employee exists");
        row.push_token
    }
}

/// An app installation: the core's client over its own data directory, and what it heard.
pub struct TestClient {
    pub client: Arc<SimoClient>,
    pub listener: Arc<RecordingListener>,
    _dir: tempfile::TempDir,
}

impl TestClient {
    /// The data directory, for another client over the same cache (the app restarted).
    pub fn data_dir(&self) -> String {
        self._dir.path().display().to_string()
    }
}

impl std::ops::Deref for TestClient {
    type Target = SimoClient;

    fn deref(&self) -> &SimoClient {
        &self.client
    }
}

/// Records what the core tells the app.
#[derive(Default)]
pub struct RecordingListener {
    pub new_messages: Mutex<Vec<Message>>,
    pub recalled: Mutex<Vec<i64>>,
    pub expired: AtomicUsize,
}

impl RecordingListener {
    pub fn new_ids(&self) -> Vec<i64> {
        self.new_messages
            .lock()
            .unwrap()
            .iter()
            .map(|m| m.id.get())
            .collect()
    }
}

impl SimoListener for RecordingListener {
    fn on_new_messages(&self, messages: Vec<Message>) {
        self.new_messages.lock().unwrap().extend(messages);
    }

    fn on_messages_recalled(&self, ids: Vec<MessageId>) {
        self.recalled
            .lock()
            .unwrap()
            .extend(ids.iter().map(|id| id.get()));
    }

    fn on_session_expired(&self) {
        self.expired.fetch_add(1, Ordering::SeqCst);
    }
}

/// Standard base64 with padding (RFC 4648), as `uploadfile` takes a file's content.
pub fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The ids of a list of messages.
pub fn ids(messages: &[Message]) -> Vec<i64> {
    messages.iter().map(|m| m.id.get()).collect()
}
