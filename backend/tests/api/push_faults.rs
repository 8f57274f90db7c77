//! Push delivery under faults: a provider down then back, a slow provider, the server killed
//! with SIGKILL mid-flight, two servers sharing one PostgreSQL.

use crate::fakes::fcm::FakeFcm;
use crate::helpers::*;
use crate::push::{
    employee_with_device, eventually, on_both_databases, push_app, quick, send, wait_status,
};
use serde_json::json;
use simo_backend::config::Settings;
use simo_backend::domain::PushToken;
use simo_backend::startup::Application;
use simo_backend::store::Store;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::Duration;

on_both_databases!(
    a_provider_down_then_back_gets_the_message_once_it_returns,
    a_slow_provider_does_not_slow_the_api,
);

async fn a_provider_down_then_back_gets_the_message_once_it_returns(db: Db) {
    let Some((app, fcm)) = crate::push::fcm_app(db).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let e = employee_with_device(&app, &p, PHONE, "fcm-token-1", "android").await;
    fcm.behaviour.set_down(true);

    let id = send(&app, &p, &e, "Планёрка").await;
    eventually("two failed tries", || async {
        fcm.behaviour.requests.load(Ordering::SeqCst) >= 2
    })
    .await;
    assert_eq!(
        crate::push::message(&app, &p, &e, &id).await["status"],
        "queued"
    );
    fcm.behaviour.set_down(false);

    wait_status(&app, &p, &e, &id, "sent").await;
    assert_eq!(fcm.behaviour.counts().get(&id.parse().unwrap()), Some(&1));
}

async fn a_slow_provider_does_not_slow_the_api(db: Db) {
    let Some((app, fcm)) = crate::push::fcm_app(db).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let e = employee_with_device(&app, &p, PHONE, "fcm-token-1", "android").await;
    fcm.behaviour.set_delay(Duration::from_secs(5));

    let mut ids = Vec::new();
    for i in 0..20 {
        ids.push(send(&app, &p, &e, &format!("Сообщение {i}")).await);
    }
    // Every answer came while the provider still sat on its first request.
    assert!(
        fcm.behaviour.receipts().is_empty(),
        "the API waited for the provider"
    );
    let list = app.get_messages(&e.token, json!({"count": 0})).await;
    assert_eq!(list.ok().as_array().unwrap().len(), 20);

    fcm.behaviour.set_delay(Duration::ZERO);
    for id in &ids {
        wait_status(&app, &p, &e, id, "sent").await;
    }
}

/// The server binary, pushing to `fcm` from the SQLite file at `db_url`.
fn server(db_url: &str, port: u16, fcm: &FakeFcm) -> Child {
    Command::new(env!("CARGO_BIN_EXE_simo-backend"))
        .arg("serve")
        .env("SIMO_DATABASE_URL", db_url)
        .env("SIMO_LISTEN", format!("127.0.0.1:{port}"))
        .env("SIMO_PUSH_PROVIDER", "fcm")
        .env("SIMO_FCM_BASE_URL", &fcm.base_url)
        .env("SIMO_FCM_SERVICE_ACCOUNT", &fcm.service_account)
        .env("SIMO_PUSH_WORKERS", "2")
        .env("SIMO_PUSH_BATCH", "4")
        .env("SIMO_PUSH_TIMEOUT_SECS", "1")
        .env("SIMO_PUSH_LEASE_SECS", "3")
        .env("SIMO_PUSH_POLL_MS", "100")
        .env("SIMO_PUSH_RETRY_BASE_MS", "50")
        .env("SIMO_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("server binary starts")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn wait_healthy(client: &reqwest::Client, base: &str) {
    eventually("server healthy", || async {
        client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    })
    .await;
}

#[tokio::test]
async fn a_server_killed_mid_flight_loses_nothing_after_restart() {
    /// Workers × batch: the most pushes one process can have in flight.
    const IN_FLIGHT: usize = 2 * 4;
    const MESSAGES: usize = 40;
    let fcm = FakeFcm::start().await;
    fcm.behaviour.set_delay(Duration::from_millis(300));
    let dir = tempfile::tempdir().unwrap();
    let db_url = format!("sqlite://{}/simo.db?mode=rwc", dir.path().display());
    let store = Store::connect(&db_url, 2).await.unwrap();
    store.migrate().await.unwrap();
    let (partner, token) = simo_backend::service::partners::create(
        &store,
        simo_backend::service::partners::PartnerInput {
            inn: INN_A,
            short_name: "ООО Весна",
            full_name: "ООО «Весна»",
            password: "secret-password",
            approval_required: false,
        },
    )
    .await
    .unwrap();
    let phone = simo_backend::domain::Phone::parse(PHONE).unwrap();
    let staff = store
        .upsert_staff_on_login(
            partner.id,
            &phone,
            "Иванов",
            "android",
            simo_backend::store::StaffState::Active,
            0,
        )
        .await
        .unwrap();
    store
        .set_push_token(
            staff.staff_id(),
            Some(&push_token("fcm-token-1")),
            "android",
            0,
        )
        .await
        .unwrap();
    store.close().await;

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut first = server(&db_url, port, &fcm);
    wait_healthy(&client, &base).await;
    let mut accepted = Vec::new();
    for i in 0..MESSAGES {
        let resp: serde_json::Value = client
            .post(format!("{base}/api/v1/createmessage"))
            .header("Authorization", token.expose())
            .json(&json!({"staffid": staff.id.to_string(), "title": format!("№{i}"), "message": "Текст"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(resp["success"], true, "{resp}");
        accepted.push(
            resp["data"]["messageid"]
                .as_str()
                .unwrap()
                .parse::<i64>()
                .unwrap(),
        );
    }
    eventually("some pushes done", || async {
        fcm.behaviour.receipts().len() >= 4
    })
    .await;
    first.kill().unwrap(); // SIGKILL: no shutdown code runs.
    first.wait().unwrap();
    let before_restart = fcm.behaviour.receipts().len();
    assert!(
        before_restart < MESSAGES,
        "the kill came too late to test anything"
    );

    fcm.behaviour.set_delay(Duration::ZERO);
    let mut second = server(&db_url, port, &fcm);
    wait_healthy(&client, &base).await;
    eventually("every accepted message pushed", || async {
        let counts = fcm.behaviour.counts();
        accepted.iter().all(|id| counts.contains_key(id))
    })
    .await;
    let store = Store::connect(&db_url, 2).await.unwrap();
    eventually("every message marked sent", || async {
        store.pending_deliveries().await.unwrap() == 0
    })
    .await;
    second.kill().unwrap();
    second.wait().unwrap();

    let duplicates = fcm.behaviour.receipts().len() - MESSAGES;
    assert!(
        duplicates <= IN_FLIGHT,
        "{duplicates} duplicates, more than {IN_FLIGHT} in flight"
    );
    for id in &accepted {
        let m = store.message_by_id(partner.id, *id).await.unwrap().unwrap();
        assert_eq!(m.status, "sent", "message {id}");
    }
}

#[tokio::test]
async fn two_servers_on_one_postgres_push_each_message_once() {
    const MESSAGES: usize = 60;
    let fcm = FakeFcm::start().await;
    let Some(a) = push_app(Db::Postgres, |s| fcm.configure(s)).await else {
        return;
    };
    let schema: String = match a.state.store.pool() {
        simo_backend::store::Pool::Postgres(p) => {
            sqlx::query_scalar("SELECT current_schema()::text")
                .fetch_one(p)
                .await
                .unwrap()
        }
        simo_backend::store::Pool::Sqlite(_) => unreachable!("a PostgreSQL app"),
    };
    let mut settings = Settings {
        listen: "127.0.0.1:0".into(),
        ..Settings::default()
    };
    quick(&mut settings);
    fcm.configure(&mut settings);
    let store = Store::connect_pg_schema(&pg_url(), &schema, 4)
        .await
        .unwrap();
    let b = Application::build_with_store(settings, store)
        .await
        .unwrap();
    let b_base = format!("http://127.0.0.1:{}", b.port());
    tokio::spawn(b.run_until(std::future::pending()));

    let p = a.create_partner(INN_A).await;
    let e = employee_with_device(&a, &p, PHONE, "fcm-token-1", "android").await;
    fcm.behaviour.set_delay(Duration::from_millis(20));
    let body = |i: usize| json!({"staffid": e.id, "title": format!("№{i}"), "message": "Текст"});
    for i in 0..MESSAGES {
        // Half through each server, so both wake their own workers.
        let base = if i % 2 == 0 { &a.base } else { &b_base };
        let resp: serde_json::Value = a
            .client
            .post(format!("{base}/api/v1/createmessage"))
            .header("Authorization", &p.token)
            .json(&body(i))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(resp["success"], true, "{resp}");
    }
    eventually("every message pushed", || async {
        fcm.behaviour.counts().len() == MESSAGES
    })
    .await;
    eventually("outbox empty", || async {
        a.state.store.pending_deliveries().await.unwrap() == 0
    })
    .await;

    let counts = fcm.behaviour.counts();
    assert!(counts.values().all(|&n| n == 1), "pushed twice: {counts:?}");
    assert_eq!(fcm.behaviour.requests.load(Ordering::SeqCst), MESSAGES);
}

fn push_token(raw: &str) -> PushToken {
    PushToken::parse(raw).unwrap()
}
