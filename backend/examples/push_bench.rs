//! The push pipeline's throughput and latency, from `createmessage` to the fake FCM's receipt.
//!
//! ```text
//! cargo run --release -p simo-backend --example push_bench -- sqlite 5000 64
//! cargo run --release -p simo-backend --example push_bench -- postgres 5000 64
//! cargo run --release -p simo-backend --example push_bench -- sqlite 10000 bulk
//! ```
//! Arguments: database (`sqlite` or `postgres`, the latter at `SIMO_TEST_PG_URL` or
//! postgres://postgres@127.0.0.1:5432/postgres), messages, and either the number of concurrent
//! `createmessage` callers or `bulk` (one `createmessagebulk` to that many employees).
//! `SIMO_PUSH_*` variables tune the workers as in production.

#[path = "../tests/api/fakes/mod.rs"]
mod fakes;

use futures_util::StreamExt;
use serde_json::json;
use simo_backend::config::Settings;
use simo_backend::domain::{Phone, PushToken};
use simo_backend::service::partners::{self, PartnerInput};
use simo_backend::startup::Application;
use simo_backend::store::{StaffState, Store};
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    simo_backend::telemetry::init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let db = args
        .first()
        .map(String::as_str)
        .unwrap_or("sqlite")
        .to_owned();
    let messages: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(2000);
    let mode = args.get(2).cloned().unwrap_or_else(|| "32".into());

    let fcm = fakes::fcm::FakeFcm::start().await;
    let mut settings = Settings::default();
    settings
        .apply_env(std::env::vars())
        .expect("SIMO_* variables");
    settings.listen = "127.0.0.1:0".into();
    fcm.configure(&mut settings);
    let dir = tempfile::tempdir().unwrap();
    let pg_url = std::env::var("SIMO_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let schema = format!("simo_bench_{}", std::process::id());
    let app = match db.as_str() {
        "sqlite" => {
            settings.database_url = format!("sqlite://{}/bench.db?mode=rwc", dir.path().display());
            Application::build(settings).await.expect("app")
        }
        "postgres" => {
            let admin = sqlx::PgPool::connect(&pg_url).await.expect("PostgreSQL");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
                .execute(&admin)
                .await
                .unwrap();
            let store = Store::connect_pg_schema(&pg_url, &schema, 16)
                .await
                .unwrap();
            Application::build_with_store(settings, store)
                .await
                .expect("app")
        }
        other => panic!("unknown database {other:?}: sqlite or postgres"),
    };
    let base = format!("http://127.0.0.1:{}", app.port());
    let state = app.state();
    tokio::spawn(app.run_until(std::future::pending()));

    let employees = if mode == "bulk" { messages } else { 100 };
    let (partner, token) = partners::create(
        &state.store,
        PartnerInput {
            inn: "7707083893",
            short_name: "Bench",
            full_name: "Bench",
            password: "secret-password",
            approval_required: false,
        },
    )
    .await
    .unwrap();
    let token = token.expose().to_owned();
    let mut staff_ids = Vec::with_capacity(employees);
    for i in 0..employees {
        let phone = Phone::parse(&format!("+7900{:07}", i)).unwrap();
        let s = state
            .store
            .upsert_staff_on_login(
                partner.id,
                &phone,
                "Bench",
                "android",
                StaffState::Active,
                0,
            )
            .await
            .unwrap();
        state
            .store
            .set_push_token(
                s.staff_id(),
                Some(&PushToken::parse(&format!("bench-{i}")).unwrap()),
                "android",
                0,
            )
            .await
            .unwrap();
        staff_ids.push(s.id);
    }

    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut sent_at: Vec<(i64, Instant)> = Vec::with_capacity(messages);
    if mode == "bulk" {
        let t0 = Instant::now();
        let resp: serde_json::Value = client
            .post(format!("{base}/api/v1/createmessagebulk"))
            .header("Authorization", &token)
            .json(&json!({"all": true, "title": "Bench", "message": "Текст"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        println!(
            "createmessagebulk for {messages} employees answered in {:?}",
            t0.elapsed()
        );
        for m in resp["data"]["messages"].as_array().expect("messages") {
            sent_at.push((m["messageid"].as_str().unwrap().parse().unwrap(), t0));
        }
    } else {
        let concurrency: usize = mode.parse().expect("concurrency or bulk");
        let calls = futures_util::stream::iter(0..messages)
            .map(|i| {
                let (client, base, token) = (client.clone(), base.clone(), token.clone());
                let staff = staff_ids[i % staff_ids.len()];
                async move {
                    let t0 = Instant::now();
                    let resp: serde_json::Value = client
                        .post(format!("{base}/api/v1/createmessage"))
                        .header("Authorization", token)
                        .json(&json!({"staffid": staff.to_string(), "title": format!("№{i}"), "message": "Текст"}))
                        .send()
                        .await
                        .unwrap()
                        .json()
                        .await
                        .unwrap();
                    (resp["data"]["messageid"].as_str().unwrap_or_else(|| panic!("{resp}")).parse::<i64>().unwrap(), t0)
                }
            })
            .buffer_unordered(concurrency);
        sent_at = calls.collect().await;
        println!(
            "{messages} createmessage calls ({concurrency} at a time) answered in {:?}",
            started.elapsed()
        );
    }

    let deadline = Instant::now() + Duration::from_secs(600);
    while fcm.behaviour.receipts().len() < sent_at.len() {
        assert!(Instant::now() < deadline, "pushes did not all arrive");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let receipts = fcm.behaviour.receipts();
    let received: std::collections::HashMap<i64, Instant> =
        receipts.iter().map(|r| (r.message_id, r.at)).collect();
    let mut latencies: Vec<Duration> = sent_at
        .iter()
        .map(|(id, t0)| received[id].duration_since(*t0))
        .collect();
    latencies.sort();
    let last = receipts.iter().map(|r| r.at).max().unwrap();
    let total = last.duration_since(started);
    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!(
        "{db}: {} messages pushed in {total:?}: {:.0} messages/s; latency p50 {:?}, p99 {:?}; duplicates {}",
        sent_at.len(),
        sent_at.len() as f64 / total.as_secs_f64(),
        pct(0.50),
        pct(0.99),
        receipts.len() - sent_at.len(),
    );
    if db == "postgres" {
        state.store.close().await;
        let admin = sqlx::PgPool::connect(&pg_url).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
            .execute(&admin)
            .await
            .unwrap();
    }
}
