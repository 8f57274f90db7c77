//! Push delivery through fake FCM and APNs servers: payloads, statuses, dead tokens, retries,
//! and the bulk method.

use crate::fakes::Failure;
use crate::fakes::apns::FakeApns;
use crate::fakes::fcm::FakeFcm;
use crate::helpers::*;
use serde_json::{Value, json};
use simo_backend::config::Settings;
use std::future::Future;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Runs a test on SQLite and on PostgreSQL; the test builds its own app around its fakes.
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    super::$name($crate::helpers::Db::Sqlite).await;
                }
                #[tokio::test]
                async fn postgres() {
                    super::$name($crate::helpers::Db::Postgres).await;
                }
            }
        )*
    };
}
pub(crate) use on_both_databases;

on_both_databases!(
    a_message_is_pushed_through_fcm_and_becomes_sent,
    a_message_to_an_iphone_is_pushed_through_apns_over_http2,
    a_dead_fcm_token_is_cleared_and_the_message_says_no_device,
    a_dead_apns_token_is_cleared_and_the_message_says_no_device,
    throttling_and_server_errors_are_retried_after_retry_after,
    a_message_fails_with_its_reason_after_the_last_try,
    a_push_the_provider_refuses_fails_at_once_and_keeps_the_device,
    every_status_change_is_in_the_history,
    createmessagebulk_sends_to_many_and_refuses_one_by_one,
    the_delivery_queue_is_vacuumed_once_enough_jobs_went_through,
    a_claim_takes_its_batch_and_no_more_after_the_queue_was_vacuumed_empty,
    new_jobs_are_handed_to_the_workers_leased_and_given_back_when_they_stop,
    a_recalled_message_is_recalled_on_the_phone_by_a_push_of_its_own,
    a_message_recalled_while_its_push_is_on_its_way_gets_a_recall_push_after_it,
    the_cabinet_pushes_again_what_did_not_reach_a_phone_once_there_is_one,
    the_cabinet_pushes_again_every_undelivered_message_the_list_finds,
    resendmessage_pushes_again_what_can_go_and_names_the_rest,
);

/// A queued message's job is stored leased to this process's workers and handed to them in
/// memory, with the ids the database gave it (a single message and a group commit of many);
/// nothing is left for a claim. When the workers stop, the jobs they were not given are
/// released to the outbox, untried. A message stored without the employee's device stays in
/// the outbox for a claim. Workers are off here so that the test takes the jobs itself.
async fn new_jobs_are_handed_to_the_workers_leased_and_given_back_when_they_stop(db: Db) {
    use simo_backend::domain::{StaffId, now_millis};
    use simo_backend::store::{MessageStatus, NewMessage};
    let Some(app) = push_app(db, |s| s.apply("push_workers", "0").unwrap()).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let e = employee_with_device(&app, &p, PHONE, "device-token-1", "android").await;
    let store = &app.state.store;
    let claim_all = |round: &'static str| async move {
        let now = now_millis();
        store
            .claim_deliveries(round, 100, now, now + 60_000)
            .await
            .unwrap()
    };

    send(&app, &p, &e, "До запуска").await;
    assert_eq!(
        store.handed_waiting(),
        0,
        "no workers: nothing is handed over"
    );
    assert_eq!(claim_all("test.0").await.len(), 1, "the outbox has it");

    store.open_handoff("test.handoff", Duration::from_secs(60));
    let mut sent = vec![send(&app, &p, &e, "Одно").await];
    let titles: Vec<String> = (0..30).map(|i| format!("Пачка {i}")).collect();
    let many = futures_util::future::join_all(
        titles
            .iter()
            .map(|title| app.create_message(&p, &e.id, title, "Текст")),
    )
    .await;
    sent.extend(
        many.iter()
            .map(|a| a.ok()["messageid"].as_str().unwrap().to_owned()),
    );
    assert_eq!(store.handed_waiting(), 31);
    assert!(
        claim_all("test.1").await.is_empty(),
        "handed jobs are leased: no claim takes them"
    );
    let (first, owner) = store.handed_jobs(16, now_millis());
    assert_eq!(owner.as_deref(), Some("test.handoff"));
    let (rest, _) = store.handed_jobs(100, now_millis());
    assert_eq!((first.len(), rest.len()), (16, 15));
    let mut handed: Vec<(i64, String)> = first
        .iter()
        .chain(&rest)
        .map(|j| {
            assert_eq!(j.push_token.as_deref(), Some("device-token-1"));
            assert_eq!((j.attempts, j.status.as_str()), (1, "queued"));
            (j.job_id, j.message_id.to_string())
        })
        .collect();
    handed.sort();
    let mut messages: Vec<String> = handed.iter().map(|(_, m)| m.clone()).collect();
    messages.sort();
    sent.sort();
    assert_eq!(messages, sent, "one job for each message sent");

    // Without the device, the message goes to the outbox even while the workers run.
    let bare = store
        .insert_message(&NewMessage {
            partner_id: p.id,
            staff_id: StaffId::parse(&e.id).unwrap(),
            title: "Без устройства",
            body: "Текст",
            source: "api",
            sent_by: "api",
            status: MessageStatus::Queued,
            now: now_millis(),
            push_token: None,
            push_device: None,
            idempotency_key: None,
            ack_required: false,
        })
        .await
        .unwrap();
    assert_eq!(store.handed_waiting(), 0);
    let claimed = claim_all("test.2").await;
    assert_eq!(
        claimed.iter().map(|j| j.message_id).collect::<Vec<_>>(),
        [bare.id]
    );

    // Stopping gives the handed jobs back; the database's own ids match the handed ones.
    assert_eq!(store.close_handoff(now_millis()).await.unwrap(), 31);
    let mut released: Vec<(i64, String)> = claim_all("test.3")
        .await
        .into_iter()
        .map(|j| {
            assert_eq!(
                j.attempts, 1,
                "released untried: this claim is the first try"
            );
            (j.job_id, j.message_id.to_string())
        })
        .collect();
    released.sort();
    assert_eq!(released, handed);
    assert_eq!(store.close_handoff(now_millis()).await.unwrap(), 0);
}

/// PostgreSQL: the server vacuums the delivery queue itself after enough claimed jobs, and not
/// before (vacuum_count comes from the statistics the vacuum itself updates). SQLite has
/// nothing to vacuum.
async fn the_delivery_queue_is_vacuumed_once_enough_jobs_went_through(db: Db) {
    let Some(app) = push_app(db, |_| {}).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let e = employee_with_device(&app, &p, PHONE, "device-token-1", "android").await;
    let ids = [
        send(&app, &p, &e, "Первое").await,
        send(&app, &p, &e, "Второе").await,
    ];
    for id in &ids {
        wait_status(&app, &p, &e, id, "sent").await;
    }
    let store = &app.state.store;
    let vacuums = || async {
        match db {
            Db::Sqlite => 0,
            Db::Postgres => {
                app.count(
                    "SELECT vacuum_count FROM pg_stat_user_tables WHERE relid = 'deliveries'::regclass",
                )
                .await
            }
        }
    };
    let before = vacuums().await;
    assert!(
        !store.vacuum_queue_if_churned(3).await.unwrap(),
        "two jobs are not three"
    );
    assert!(
        store.vacuum_queue_if_churned(2).await.unwrap() == (db == Db::Postgres),
        "two jobs went through"
    );
    assert_eq!(vacuums().await, before + i64::from(db == Db::Postgres));
    assert!(
        !store.vacuum_queue_if_churned(1).await.unwrap(),
        "counted again from zero"
    );
}

/// A worker claims at most its batch. On PostgreSQL the queue is first emptied and vacuumed,
/// which leaves statistics saying it is empty: the plan the old claim got then ran its
/// `LIMIT` subquery once per row, and a claim of 16 took all 40 jobs.
async fn a_claim_takes_its_batch_and_no_more_after_the_queue_was_vacuumed_empty(db: Db) {
    let Some(app) = push_app(db, |s| s.apply("push_workers", "0").unwrap()).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let e = employee_with_device(&app, &p, PHONE, "device-token-1", "android").await;
    let store = &app.state.store;
    for n in 0..40 {
        send(&app, &p, &e, &format!("Старое {n}")).await;
    }
    store
        .execute_script("DELETE FROM deliveries")
        .await
        .unwrap();
    if db == Db::Postgres {
        store
            .execute_script("VACUUM (TRUNCATE false) deliveries")
            .await
            .unwrap();
    }
    let now = simo_backend::domain::now_millis();
    assert!(
        !store.any_delivery_due(now).await.unwrap(),
        "the outbox is empty"
    );
    for n in 0..40 {
        send(&app, &p, &e, &format!("Новое {n}")).await;
    }
    let now = simo_backend::domain::now_millis();
    assert!(store.any_delivery_due(now).await.unwrap(), "40 jobs wait");
    let mut claimed = std::collections::BTreeSet::new();
    // Each claim is named on its own, as the workers' rounds are; the leases share their end,
    // so reading a claim back by anything but its name would return the earlier ones' jobs.
    for (round, expected) in [16, 16, 8, 0].into_iter().enumerate() {
        let jobs = store
            .claim_deliveries(&format!("test-worker.{round}"), 16, now, now + 60_000)
            .await
            .unwrap();
        assert_eq!(jobs.len(), expected, "one claim, one batch");
        for job in jobs {
            assert!(
                claimed.insert(job.job_id),
                "job {} claimed twice",
                job.job_id
            );
        }
    }
    assert!(
        !store.any_delivery_due(now).await.unwrap(),
        "all 40 are leased for a minute"
    );
}

/// Another program holds the SQLite database (a backup, a `sqlite3` shell): idle workers,
/// polling every 10 ms here, look at the outbox with a read, which the held database allows,
/// and leave the one writer connection to the calls. A call that writes is answered 503 with
/// the reason after its own busy wait (10 s), well within the apps' 30 s. When every poll
/// claimed, the four workers each waited out the busy timeout on the writer ahead of it.
#[tokio::test]
async fn idle_workers_leave_a_held_sqlite_database_to_the_calls() {
    use sqlx::Connection;
    let app = push_app(Db::Sqlite, |s| s.apply("push_poll_ms", "10").unwrap())
        .await
        .expect("SQLite is always there");
    let p = app.create_partner(INN_A).await;
    let mut holder = sqlx::SqliteConnection::connect(&app.state.settings.database_url)
        .await
        .unwrap();
    sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut holder)
        .await
        .unwrap();
    // Polls meanwhile: 4 workers, 20 rounds each.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let phone_app = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let body =
        json!({"inn": p.inn, "staffname": "Петров П. П.", "phone": PHONE, "device": "android"});
    let answer = phone_app
        .post(format!("{}/api/v1/auth", app.base))
        .json(&body)
        .send()
        .await
        .expect("answered within the apps' timeout");
    assert_eq!(answer.status(), 503);
    assert_eq!(answer.headers()["retry-after"], "5");
    let envelope: Value = answer.json().await.unwrap();
    assert_eq!(envelope["success"], false);
    let error = envelope["error"].as_str().unwrap();
    assert!(error.contains("база данных занята"), "{error}");

    sqlx::query("ROLLBACK").execute(&mut holder).await.unwrap();
    app.auth(&p.inn, PHONE, "Петров П. П.").await.ok();
}

/// Settings that make retries and polling quick enough for tests.
pub fn quick(s: &mut Settings) {
    s.apply("push_poll_ms", "100").unwrap();
    s.apply("push_retry_base_ms", "50").unwrap();
    s.apply("push_retry_max_secs", "2").unwrap();
}

/// The app on `db` pushing through `configure`'s provider, or `None` without PostgreSQL.
pub async fn push_app(db: Db, configure: impl FnOnce(&mut Settings)) -> Option<TestApp> {
    spawn_app_with(db, |s| {
        quick(s);
        configure(s);
    })
    .await
}

/// The app on `db` pushing through a fake FCM, or `None` without PostgreSQL.
pub async fn fcm_app(db: Db) -> Option<(TestApp, FakeFcm)> {
    let fcm = FakeFcm::start().await;
    let app = push_app(db, |s| fcm.configure(s)).await?;
    Some((app, fcm))
}

/// The app on `db` pushing to Android phones through a fake FCM and to iPhones through a fake
/// APNs, or `None` without PostgreSQL.
pub async fn fcm_and_apns_app(db: Db) -> Option<(TestApp, FakeFcm, FakeApns)> {
    let (fcm, apns) = (FakeFcm::start().await, FakeApns::start().await);
    let app = push_app(db, |s| {
        fcm.configure(s);
        apns.configure(s);
        s.apply("push_provider", "fcm+apns").unwrap();
    })
    .await?;
    Some((app, fcm, apns))
}

/// Logs an employee in and registers their device's push token.
pub async fn employee_with_device(
    app: &TestApp,
    p: &Partner,
    phone: &str,
    token: &str,
    device: &str,
) -> Employee {
    let e = app.login(&p.inn, phone, "Иванов Иван").await;
    set_device(app, &e, token, device).await;
    e
}

/// The employee's app registers its push token (the app installed, or push turned on).
pub async fn set_device(app: &TestApp, e: &Employee, token: &str, device: &str) {
    app.post(
        "updatepushtoken",
        Some(&e.token),
        json!({"pushtoken": token, "device": device}),
    )
    .await
    .ok();
}

/// Polls `check` until it holds; fails the test after a generous deadline.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The message as `getmessage` shows it to the partner.
pub async fn message(app: &TestApp, p: &Partner, e: &Employee, id: &str) -> Value {
    let list = app
        .get_messages(&p.token, json!({"staffid": e.id, "count": 1000}))
        .await;
    list.ok()
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["messageId"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("message {id} not in the history"))
}

pub async fn wait_status(
    app: &TestApp,
    p: &Partner,
    e: &Employee,
    id: &str,
    status: &str,
) -> Value {
    eventually(&format!("message {id} {status}"), || async {
        message(app, p, e, id).await["status"] == status
    })
    .await;
    message(app, p, e, id).await
}

pub async fn send(app: &TestApp, p: &Partner, e: &Employee, title: &str) -> String {
    let data = app
        .create_message(p, &e.id, title, "Текст")
        .await
        .ok()
        .clone();
    assert_eq!(data["status"], "queued", "{data}");
    data["messageid"].as_str().unwrap().to_owned()
}

async fn history(app: &TestApp, p: &Partner, id: &str) -> Vec<(String, String)> {
    app.state
        .store
        .message_events(p.id, id.parse().unwrap())
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.status, e.detail.unwrap_or_default()))
        .collect()
}

async fn push_token_of(app: &TestApp, p: &Partner, e: &Employee) -> Option<String> {
    let id = simo_backend::domain::StaffId::parse(&e.id).unwrap();
    app.state
        .store
        .staff_by_id(p.id, id)
        .await
        .unwrap()
        .unwrap()
        .push_token
}

async fn a_message_is_pushed_through_fcm_and_becomes_sent(db: Db) {
    let Some((app, fcm)) = fcm_app(db).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let e = employee_with_device(&app, &p, PHONE, "fcm-token-1", "android").await;

    let first = send(&app, &p, &e, "Планёрка").await;
    let second = send(&app, &p, &e, "Обед").await;
    let m = wait_status(&app, &p, &e, &first, "sent").await;
    wait_status(&app, &p, &e, &second, "sent").await;

    assert_eq!(m["statusname"], "Отправлено");
    assert!(m["senddate"].is_string(), "{m}");
    assert!(
        fcm.behaviour.protocol_errors().is_empty(),
        "{:?}",
        fcm.behaviour.protocol_errors()
    );
    let receipts = fcm.behaviour.receipts();
    assert_eq!(receipts.len(), 2);
    assert!(receipts.iter().all(|r| r.token == "fcm-token-1"));
    assert!(receipts.iter().any(|r| r.title == "Планёрка"));
    assert_eq!(fcm.token_exchanges(), 1, "the access token is cached");
    assert_eq!(app.state.store.pending_deliveries().await.unwrap(), 0);
}

async fn a_message_to_an_iphone_is_pushed_through_apns_over_http2(db: Db) {
    let apns = FakeApns::start().await;
    let Some(app) = push_app(db, |s| apns.configure(s)).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let e = employee_with_device(&app, &p, PHONE, "a1b2c3", "apple").await;

    let id = send(&app, &p, &e, "Смена").await;
    wait_status(&app, &p, &e, &id, "sent").await;

    assert!(
        apns.behaviour.protocol_errors().is_empty(),
        "{:?}",
        apns.behaviour.protocol_errors()
    );
    let receipts = apns.behaviour.receipts();
    assert_eq!(receipts.len(), 1);
    assert_eq!(receipts[0].token, "a1b2c3");
    assert_eq!(receipts[0].message_id.to_string(), id);
}

async fn a_dead_fcm_token_is_cleared_and_the_message_says_no_device(db: Db) {
    let Some((app, fcm)) = fcm_app(db).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let gone = employee_with_device(&app, &p, PHONE, "dead-1", "android").await;
    let broken = employee_with_device(&app, &p, "+79233381639", "bad-1", "android").await;

    let id = send(&app, &p, &gone, "Планёрка").await;
    let m = wait_status(&app, &p, &gone, &id, "no_device").await;
    assert_eq!(m["statusname"], "Нет устройства");
    assert_eq!(push_token_of(&app, &p, &gone).await, None);
    let id2 = send(&app, &p, &broken, "Планёрка").await;
    wait_status(&app, &p, &broken, &id2, "no_device").await;
    assert_eq!(push_token_of(&app, &p, &broken).await, None);

    let events = history(&app, &p, &id).await;
    assert!(
        events.last().unwrap().1.contains("UNREGISTERED"),
        "{events:?}"
    );
    // The next message is not even tried: there is no token to push to.
    let requests = fcm
        .behaviour
        .requests
        .load(std::sync::atomic::Ordering::SeqCst);
    let data = app
        .create_message(&p, &gone.id, "Ещё", "Текст")
        .await
        .ok()
        .clone();
    assert_eq!(data["status"], "no_device");
    assert_eq!(
        fcm.behaviour
            .requests
            .load(std::sync::atomic::Ordering::SeqCst),
        requests
    );
}

async fn a_dead_apns_token_is_cleared_and_the_message_says_no_device(db: Db) {
    let apns = FakeApns::start().await;
    let Some(app) = push_app(db, |s| apns.configure(s)).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let e = employee_with_device(&app, &p, PHONE, "dead-phone", "apple").await;

    let id = send(&app, &p, &e, "Планёрка").await;
    wait_status(&app, &p, &e, &id, "no_device").await;
    assert_eq!(push_token_of(&app, &p, &e).await, None);
    let events = history(&app, &p, &id).await;
    assert!(events.last().unwrap().1.contains("410"), "{events:?}");
    assert!(apns.behaviour.receipts().is_empty());
}

async fn throttling_and_server_errors_are_retried_after_retry_after(db: Db) {
    let Some((app, fcm)) = fcm_app(db).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let e = employee_with_device(&app, &p, PHONE, "fcm-token-1", "android").await;
    fcm.behaviour.fail_next(Failure {
        status: 429,
        body: json!({"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "details": [{"errorCode": "QUOTA_EXCEEDED"}]}}),
        retry_after: Some("1"),
    });
    fcm.behaviour.fail_next(Failure {
        status: 500,
        body: json!({"error": {"code": 500, "status": "INTERNAL"}}),
        retry_after: None,
    });

    let started = Instant::now();
    let id = send(&app, &p, &e, "Планёрка").await;
    wait_status(&app, &p, &e, &id, "sent").await;

    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was honoured"
    );
    assert_eq!(
        fcm.behaviour
            .requests
            .load(std::sync::atomic::Ordering::SeqCst),
        3
    );
    assert_eq!(fcm.behaviour.receipts().len(), 1);
}

async fn a_message_fails_with_its_reason_after_the_last_try(db: Db) {
    let fcm = FakeFcm::start().await;
    let Some(app) = push_app(db, |s| {
        fcm.configure(s);
        s.apply("push_max_attempts", "3").unwrap();
    })
    .await
    else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let e = employee_with_device(&app, &p, PHONE, "fcm-token-1", "android").await;
    fcm.behaviour.set_down(true);

    let id = send(&app, &p, &e, "Планёрка").await;
    let m = wait_status(&app, &p, &e, &id, "failed").await;

    assert_eq!(m["statusname"], "Ошибка доставки");
    assert_eq!(
        fcm.behaviour
            .requests
            .load(std::sync::atomic::Ordering::SeqCst),
        3
    );
    let events = history(&app, &p, &id).await;
    let (status, reason) = events.last().unwrap();
    assert_eq!(status, "failed");
    assert!(
        reason.contains("попыток: 3") && reason.contains("503"),
        "{reason}"
    );
    assert_eq!(
        push_token_of(&app, &p, &e).await.as_deref(),
        Some("fcm-token-1")
    );
}

/// A refusal that is about the message, not the device (FCM `INVALID_ARGUMENT` on the payload):
/// not retried, the message `failed` with the provider's words, the device token kept.
async fn a_push_the_provider_refuses_fails_at_once_and_keeps_the_device(db: Db) {
    let Some((app, fcm)) = fcm_app(db).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let e = employee_with_device(&app, &p, PHONE, "fcm-token-1", "android").await;
    fcm.behaviour.fail_next(Failure {
        status: 400,
        body: json!({"error": {"code": 400, "status": "INVALID_ARGUMENT",
            "message": "Message is too big",
            "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": "INVALID_ARGUMENT"}]}}),
        retry_after: None,
    });

    let id = send(&app, &p, &e, "Планёрка").await;
    let m = wait_status(&app, &p, &e, &id, "failed").await;

    assert_eq!(m["statusname"], "Ошибка доставки");
    let events = history(&app, &p, &id).await;
    let (status, reason) = events.last().unwrap();
    assert_eq!(status, "failed");
    assert!(
        reason.starts_with("FCM отклонил уведомление: 400 INVALID_ARGUMENT Message is too big"),
        "{reason}"
    );
    assert_eq!(
        fcm.behaviour
            .requests
            .load(std::sync::atomic::Ordering::SeqCst),
        1,
        "a refusal is not retried"
    );
    assert_eq!(
        push_token_of(&app, &p, &e).await.as_deref(),
        Some("fcm-token-1")
    );
}

async fn every_status_change_is_in_the_history(db: Db) {
    let Some((app, _fcm)) = fcm_app(db).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let other = app.create_partner(INN_B).await;
    let e = employee_with_device(&app, &p, PHONE, "fcm-token-1", "android").await;

    let id = send(&app, &p, &e, "Планёрка").await;
    wait_status(&app, &p, &e, &id, "sent").await;
    for status in ["delivered", "read", "read"] {
        app.post(
            "messagestatus",
            Some(&e.token),
            json!({"messageids": [id], "status": status}),
        )
        .await
        .ok();
    }

    let statuses: Vec<String> = history(&app, &p, &id)
        .await
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    assert_eq!(statuses, ["queued", "sent", "delivered", "read"]);
    assert!(
        history(&app, &other, &id).await.is_empty(),
        "another partner sees nothing"
    );
}

async fn createmessagebulk_sends_to_many_and_refuses_one_by_one(db: Db) {
    let Some((app, fcm)) = fcm_app(db).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let a = employee_with_device(&app, &p, PHONE, "fcm-a", "android").await;
    let b = employee_with_device(&app, &p, "+79233381639", "fcm-b", "android").await;
    let c = app.login(&p.inn, "+79233381640", "Без телефона").await;
    let off = app.login(&p.inn, "+79233381641", "Отключён").await;
    let off_id = simo_backend::domain::StaffId::parse(&off.id).unwrap();
    app.state
        .store
        .set_staff_state(p.id, off_id, simo_backend::store::StaffState::Disabled, 0)
        .await
        .unwrap();

    // Another company's employee is nobody here.
    let q = app.create_partner(INN_B).await;
    let theirs = app.login(&q.inn, "+79233381642", "Чужой").await;

    let body = json!({"inn": p.inn, "staffids": [a.id, b.id, c.id, off.id, "999999", theirs.id, a.id],
        "title": "Собрание", "message": "В 15:00"});
    let data = app
        .post("createmessagebulk", Some(&p.token), body)
        .await
        .ok()
        .clone();

    let messages = data["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 3, "{data}");
    let status_of =
        |staff: &str| messages.iter().find(|m| m["staffId"] == staff).unwrap()["status"].clone();
    assert_eq!(status_of(&a.id), "queued");
    assert_eq!(status_of(&c.id), "no_device");
    // The ids answered are those stored for each employee (SQLite computes them from the
    // transaction's last id).
    for m in messages {
        let stored = app
            .get_messages(&p.token, json!({"staffid": m["staffId"], "count": 1}))
            .await
            .ok()
            .clone();
        assert_eq!(stored[0]["messageId"], m["messageid"], "{m} vs {stored}");
        assert_eq!(stored[0]["title"], "Собрание");
    }
    let refused: Vec<&str> = data["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["staffId"].as_str().unwrap())
        .collect();
    assert_eq!(refused, [off.id.as_str(), "999999", theirs.id.as_str()]);
    assert!(
        data["refused"][0]["error"]
            .as_str()
            .unwrap()
            .contains("отключён")
    );
    eventually("both pushes", || async {
        fcm.behaviour.receipts().len() == 2
    })
    .await;
    let id_a = messages.iter().find(|m| m["staffId"] == a.id).unwrap()["messageid"]
        .as_str()
        .unwrap()
        .to_owned();
    wait_status(&app, &p, &a, &id_a, "sent").await;

    let all = json!({"all": true, "title": "Всем", "message": "Привет"});
    let data = app
        .post("createmessagebulk", Some(&p.token), all)
        .await
        .ok()
        .clone();
    assert_eq!(
        data["messages"].as_array().unwrap().len(),
        3,
        "active employees only: {data}"
    );
    app.post(
        "createmessagebulk",
        Some(&p.token),
        json!({"title": "t", "message": "m"}),
    )
    .await
    .failed(400);
    app.post(
        "createmessagebulk",
        Some(&a.token),
        json!({"all": true, "title": "t", "message": "m"}),
    )
    .await
    .failed(403);
}

#[test]
fn the_spec_documents_createmessagebulk() {
    let spec: Value = serde_json::from_str(&simo_backend::api::v1_spec_json()).unwrap();
    let op = &spec["paths"]["/createmessagebulk"]["post"];
    assert!(op.is_object(), "createmessagebulk missing from the spec");
    assert!(
        op["summary"]
            .as_str()
            .unwrap()
            .contains("многих сотрудников")
    );
}

#[test]
fn push_settings_are_listed_in_help() {
    let help = simo_backend::config::help_text();
    for knob in [
        "SIMO_PUSH_PROVIDER",
        "SIMO_FCM_SERVICE_ACCOUNT",
        "SIMO_APNS_KEY_FILE",
        "SIMO_PUSH_MAX_ATTEMPTS",
    ] {
        assert!(help.contains(knob), "{knob} missing from --help");
    }
    let mut s = Settings::default();
    assert!(
        s.apply("push_provider", "pigeon").is_ok(),
        "stored raw, checked at build"
    );
    assert!(simo_backend::push::PushSettings::from_settings(&s).is_err());
}

/// A message recalled after it was pushed gets a push of its own that shows nothing and names
/// it (FCM data only; APNs a background push); one never pushed gets none; the recall push
/// changes no status and writes no history.
async fn a_recalled_message_is_recalled_on_the_phone_by_a_push_of_its_own(db: Db) {
    let Some((app, fcm, apns)) = fcm_and_apns_app(db).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let android = employee_with_device(&app, &p, PHONE, "fcm-token-9", "android").await;
    let iphone = employee_with_device(&app, &p, "+79233381639", "a9b8c7", "apple").await;
    let none = app.login(&p.inn, "+79233381640", "Без телефона").await;
    let on_android = send(&app, &p, &android, "Премия").await;
    let on_iphone = send(&app, &p, &iphone, "Премия").await;
    wait_status(&app, &p, &android, &on_android, "sent").await;
    wait_status(&app, &p, &iphone, &on_iphone, "sent").await;
    let nowhere = app.create_message(&p, &none.id, "Премия", "Текст").await;
    assert_eq!(nowhere.ok()["status"], "no_device");
    let nowhere = nowhere.ok()["messageid"].as_str().unwrap().to_owned();
    let events_before = history(&app, &p, &on_android).await.len();

    let ids = json!([on_android, on_iphone, nowhere]);
    let done = app
        .post(
            "recallmessage",
            Some(&p.token),
            json!({"inn": p.inn, "messageids": ids}),
        )
        .await;
    assert_eq!(done.ok()["recalled"].as_array().unwrap().len(), 3);
    eventually("the recall pushes", || async {
        fcm.behaviour.recalls().len() == 1 && apns.behaviour.recalls().len() == 1
    })
    .await;
    eventually("the queue drained", || async {
        app.state.store.pending_deliveries().await.unwrap() == 0
    })
    .await;
    for errors in [
        fcm.behaviour.protocol_errors(),
        apns.behaviour.protocol_errors(),
    ] {
        assert!(errors.is_empty(), "{errors:?}");
    }
    let (f, a) = (&fcm.behaviour.recalls()[0], &apns.behaviour.recalls()[0]);
    assert_eq!(
        (f.message_id.to_string(), f.token.as_str()),
        (on_android.clone(), "fcm-token-9")
    );
    assert_eq!(
        (a.message_id.to_string(), a.token.as_str()),
        (on_iphone.clone(), "a9b8c7")
    );
    // The never-pushed one got no push; nothing was pushed twice as a message.
    assert_eq!(fcm.behaviour.receipts().len(), 2);
    assert_eq!(apns.behaviour.receipts().len(), 2);
    let states = app
        .post(
            "getmessagestatus",
            Some(&p.token),
            json!({"inn": p.inn, "messageids": ids}),
        )
        .await;
    for m in states.ok()["messages"].as_array().unwrap() {
        assert_eq!(m["status"], "recalled", "{m}");
    }
    let events = history(&app, &p, &on_android).await;
    assert_eq!(events.len(), events_before + 1, "{events:?}");
    assert_eq!(events.last().unwrap().0, "recalled");
}

/// A recall that commits while the message's own push is with the provider cannot stop it:
/// the phone shows the message. When the provider's acceptance is recorded, the message is
/// recalled and was not known to be pushed, so its recall push goes then.
async fn a_message_recalled_while_its_push_is_on_its_way_gets_a_recall_push_after_it(db: Db) {
    let Some((app, fcm)) = fcm_app(db).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let e = employee_with_device(&app, &p, PHONE, "fcm-token-5", "android").await;
    // The provider holds each answer: the push is on its way while the recall commits.
    fcm.behaviour.set_delay(Duration::from_millis(700));
    let id = send(&app, &p, &e, "Не тому").await;
    eventually("the push reached the provider", || async {
        fcm.behaviour.requests.load(Ordering::SeqCst) > 0
    })
    .await;
    let done = app
        .post(
            "recallmessage",
            Some(&p.token),
            json!({"inn": p.inn, "messageid": id}),
        )
        .await;
    assert_eq!(done.ok()["recalled"], json!([id]));
    fcm.behaviour.set_delay(Duration::ZERO);
    eventually("the recall push after the message's", || async {
        fcm.behaviour.recalls().len() == 1
    })
    .await;
    eventually("the queue drained", || async {
        app.state.store.pending_deliveries().await.unwrap() == 0
    })
    .await;
    let receipts = fcm.behaviour.receipts();
    let order: Vec<(String, bool)> = receipts
        .iter()
        .map(|r| (r.message_id.to_string(), r.recall))
        .collect();
    assert_eq!(order, [(id.clone(), false), (id.clone(), true)]);
    assert!(fcm.behaviour.protocol_errors().is_empty());
    // It stays recalled, and the history has no `sent` after the recall.
    let states = app
        .post(
            "getmessagestatus",
            Some(&p.token),
            json!({"inn": p.inn, "messageids": [id]}),
        )
        .await;
    assert_eq!(states.ok()["messages"][0]["status"], "recalled");
    let events = history(&app, &p, &id).await;
    assert_eq!(events.last().unwrap().0, "recalled", "{events:?}");
    // A recall push's own acceptance queues nothing more.
    assert_eq!(fcm.behaviour.recalls().len(), 1);
}

/// A message without a device (or failed) can be pushed again from the cabinet once its
/// employee has one: this message, or every undelivered one of its send; nothing else moves.
async fn the_cabinet_pushes_again_what_did_not_reach_a_phone_once_there_is_one(db: Db) {
    let Some((app, fcm)) = fcm_app(db).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иванов Иван").await;
    let f = app.login(&p.inn, "+79990001122", "Петров Пётр").await;
    let g = app.login(&p.inn, "+79990003344", "Сидоров Сидор").await;
    let sent = app.bulk_to_all(&p, "Смена", "Завтра в 8:00").await;
    assert!(
        sent.iter().all(|[_, _, status]| status == "no_device"),
        "{sent:?}"
    );
    let of = |who: &Employee| sent.iter().find(|[s, _, _]| *s == who.id).unwrap()[1].clone();
    let (to_e, to_f, to_g) = (of(&e), of(&f), of(&g));

    let b = crate::cabinet::Browser::new(&app);
    b.partner(&p.inn).await;
    // Nobody has a device yet: nothing to push to, and the page says so.
    let page = b.get(&format!("/cabinet/messages/{to_e}")).await;
    assert!(page.body.contains("id=\"resend-none\""), "{}", page.body);

    // E and F install the app; G does not.
    for (who, token) in [(&e, "fcm-e"), (&f, "fcm-f")] {
        set_device(&app, who, token, "android").await;
    }
    let page = b.get(&format!("/cabinet/messages/{to_g}")).await;
    assert!(page.body.contains("id=\"resend-send\""), "{}", page.body);
    assert!(!page.body.contains("id=\"resend-one\""), "G has no device");
    assert!(
        page.body
            .contains("Отправить ещё раз всем недоставленным этой рассылки (2)"),
        "{}",
        page.body
    );
    let page = b.get(&format!("/cabinet/messages/{to_e}")).await;
    let csrf = page.csrf();
    let path = format!("/cabinet/messages/{to_e}/resend");
    let forged = b
        .post(&path, &[("csrf", &"a".repeat(64)), ("scope", "one")])
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(app.state.store.pending_deliveries().await.unwrap(), 0);

    let one = b.post(&path, &[("csrf", &csrf), ("scope", "one")]).await;
    assert_eq!(one.status, 303, "{}", one.body);
    assert_eq!(
        one.location,
        Some(format!("/cabinet/messages/{to_e}?done=bulk_resent&n=1"))
    );
    wait_status(&app, &p, &e, &to_e, "sent").await;
    // The rest of the send from G's page: F's goes, G's has nowhere to go, E's is sent.
    let send_path = format!("/cabinet/messages/{to_g}/resend");
    let rest = b
        .post(&send_path, &[("csrf", &csrf), ("scope", "send")])
        .await;
    assert_eq!(
        rest.location,
        Some(format!("/cabinet/messages/{to_g}?done=bulk_resent&n=1"))
    );
    wait_status(&app, &p, &f, &to_f, "sent").await;
    eventually("the queue drained", || async {
        app.state.store.pending_deliveries().await.unwrap() == 0
    })
    .await;
    let pushed: Vec<(String, String)> = fcm
        .behaviour
        .receipts()
        .iter()
        .map(|r| (r.message_id.to_string(), r.token.clone()))
        .collect();
    assert_eq!(
        pushed,
        [
            (to_e.clone(), "fcm-e".into()),
            (to_f.clone(), "fcm-f".into())
        ]
    );
    let statuses = app
        .post(
            "getmessagestatus",
            Some(&p.token),
            json!({"inn": p.inn, "messageids": [to_g]}),
        )
        .await;
    assert_eq!(statuses.ok()["messages"][0]["status"], "no_device");
    let events: Vec<String> = history(&app, &p, &to_e)
        .await
        .into_iter()
        .map(|(status, detail)| format!("{status}: {detail}"))
        .collect();
    assert_eq!(events.len(), 3, "{events:?}");
    assert_eq!(events[1], "queued: Отправка повторена (cabinet)");
    assert!(events[2].starts_with("sent: "), "{events:?}");

    // A sent message: nothing to do. Another partner's: not found.
    let again = b.post(&path, &[("csrf", &csrf), ("scope", "one")]).await;
    assert_eq!(
        again.location,
        Some(format!("/cabinet/messages/{to_e}?done=bulk_resent&n=0"))
    );
    let other = app.create_partner(INN_B).await;
    let c = crate::cabinet::Browser::new(&app);
    c.partner(&other.inn).await;
    let home = c.get("/cabinet/messages").await;
    let theirs = c
        .post(&path, &[("csrf", &home.csrf()), ("scope", "one")])
        .await;
    assert_eq!(theirs.status, 404);
    let entries = crate::cabinet::journal(&b.get("/cabinet/journal").await);
    let resent: Vec<&String> = entries
        .iter()
        .filter(|(_, what, _)| what.starts_with("Сообщения отправлены повторно"))
        .map(|(_, what, _)| what)
        .collect();
    assert_eq!(resent.len(), 2, "{entries:?}");
}

/// After an outage, or once many employees install the app: the message list filtered to the
/// undelivered pushes them all again, on every page, this partner's only.
async fn the_cabinet_pushes_again_every_undelivered_message_the_list_finds(db: Db) {
    let fcm = FakeFcm::start().await;
    let Some(app) = push_app(db, |s| {
        fcm.configure(s);
        s.apply("cabinet_page_size", "5").unwrap();
    })
    .await
    else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let other = app.create_partner(INN_B).await;
    let e = app.login(&p.inn, PHONE, "Иванов Иван").await;
    let f = app.login(&p.inn, "+79990001122", "Петров Пётр").await;
    let o = app.login(&other.inn, "+79990001133", "Чужой").await;
    let mut undelivered = Vec::new();
    let sends = [(&f, "Первое"), (&e, "Второе"), (&e, "Третье")];
    for (who, title) in sends.into_iter().chain([(&e, "Ещё"); 3]) {
        let m = app.create_message(&p, &who.id, title, "Текст").await;
        assert_eq!(m.ok()["status"], "no_device");
        undelivered.push(m.ok()["messageid"].as_str().unwrap().to_owned());
    }
    let theirs = app.create_message(&other, &o.id, "Чужое", "Текст").await;
    // E installs the app, and so does the other partner's employee; F does not.
    for (who, token) in [(&e, "fcm-e"), (&o, "fcm-o")] {
        set_device(&app, who, token, "android").await;
    }

    let b = crate::cabinet::Browser::new(&app);
    let home = b.partner(&p.inn).await;
    assert!(
        !b.get("/cabinet/messages")
            .await
            .body
            .contains("id=\"resend-found\"")
    );
    let page = b.get("/cabinet/messages?status=no_device").await;
    assert!(page.body.contains("id=\"resend-found\""), "{}", page.body);
    assert!(
        page.body.contains("id=\"next-page\""),
        "six on pages of five"
    );
    let unfiltered = b
        .post("/cabinet/messages/resend", &[("csrf", &home.csrf())])
        .await;
    assert_eq!(unfiltered.status, 400, "only the undelivered");
    let forged = b
        .post(
            "/cabinet/messages/resend?status=no_device",
            &[("csrf", &"a".repeat(64))],
        )
        .await;
    assert_eq!(forged.status, 403);

    let done = b
        .post(
            "/cabinet/messages/resend?status=no_device",
            &[("csrf", &home.csrf())],
        )
        .await;
    assert_eq!(
        done.location.as_deref(),
        Some("/cabinet/messages?status=no_device&done=bulk_resent&n=5")
    );
    let back = b.get(done.location.as_deref().unwrap()).await;
    assert!(
        back.body
            .contains("Поставлено в очередь на отправку повторно: 5"),
        "{}",
        back.body
    );
    for id in &undelivered[1..] {
        wait_status(&app, &p, &e, id, "sent").await;
    }
    let state = |id: &str| {
        let app = &app;
        let id = id.to_owned();
        async move {
            app.count(&format!(
                "SELECT COUNT(*) FROM messages WHERE id = {id} AND status = 'no_device'"
            ))
            .await
        }
    };
    assert_eq!(state(&undelivered[0]).await, 1, "F has no device yet");
    let theirs = theirs.ok()["messageid"].as_str().unwrap().to_owned();
    assert_eq!(state(&theirs).await, 1, "another partner's list is its own");
}

/// The API's way to push again: what can go is queued, the rest is named, not refused.
async fn resendmessage_pushes_again_what_can_go_and_names_the_rest(db: Db) {
    let Some((app, fcm)) = fcm_app(db).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let other = app.create_partner(INN_B).await;
    let e = app.login(&p.inn, PHONE, "Иванов Иван").await;
    let f = app.login(&p.inn, "+79990001122", "Петров Пётр").await;
    let o = app.login(&other.inn, "+79990001133", "Чужой").await;
    let id = |a: Answer| a.ok()["messageid"].as_str().unwrap().to_owned();
    let to_e = id(app.create_message(&p, &e.id, "Пропуск", "Готов").await);
    let to_f = id(app.create_message(&p, &f.id, "Пропуск", "Готов").await);
    let theirs = id(app.create_message(&other, &o.id, "Чужое", "Текст").await);
    set_device(&app, &e, "fcm-e", "android").await;
    set_device(&app, &o, "fcm-o", "android").await;

    let resend = |body: Value| {
        let app = &app;
        let token = p.token.clone();
        async move { app.post("resendmessage", Some(&token), body).await }
    };
    let ids = json!([to_f, to_e, theirs, "999999", to_e]);
    let done = resend(json!({"inn": p.inn, "messageids": ids})).await;
    assert_eq!(done.ok()["queued"], json!([to_e]));
    assert_eq!(done.ok()["skipped"], json!([to_f, theirs, "999999"]));
    wait_status(&app, &p, &e, &to_e, "sent").await;
    // Sent now: a repeat queues nothing.
    let again = resend(json!({"inn": p.inn, "messageid": to_e})).await;
    assert_eq!(again.ok()["queued"], json!([]));
    assert_eq!(again.ok()["skipped"], json!([to_e]));
    assert_eq!(fcm.behaviour.receipts().len(), 1);

    // Refused in the envelope: both fields, neither, a word, too many, an employee's token.
    for body in [
        json!({"inn": p.inn, "messageid": to_e, "messageids": [to_e]}),
        json!({"inn": p.inn}),
        json!({"inn": p.inn, "messageid": "abc"}),
        json!({"inn": p.inn, "messageids": (1..=10_001).collect::<Vec<i64>>()}),
    ] {
        let refused = resend(body).await;
        assert_eq!(refused.status, 400, "{:?}", refused.body);
        assert_eq!(refused.body["success"], false);
    }
    let employee = app
        .post("resendmessage", Some(&e.token), json!({"messageid": to_e}))
        .await;
    assert_eq!(employee.status, 403, "{:?}", employee.body);
}
