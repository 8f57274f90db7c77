use crate::helpers::*;
use serde_json::{Value, json};

both_databases!(
    createmessage_stores_the_message_and_answers_the_documented_fields,
    createmessage_refuses_a_disabled_or_unknown_employee_and_stores_nothing,
    createmessage_refuses_an_employee_token_and_invalid_texts,
    getmessage_returns_the_50_newest_first_when_count_is_zero,
    getmessage_filters_by_dates_and_pages_by_id,
    an_employee_reads_only_their_own_messages,
    messagestatus_moves_messages_forward_only,
    dates_are_iso_8601_with_millis_in_moscow,
    concurrent_messages_commit_together_and_each_caller_gets_its_own_answer,
    another_partners_employee_is_unknown_to_getmessage,
    a_recorded_push_moves_only_messages_not_yet_confirmed,
    concurrent_employee_reads_each_answer_for_their_own_partner,
    a_repeated_createmessage_with_an_idempotency_key_stores_one_message,
    concurrent_calls_with_one_idempotency_key_store_one_message,
    getmessagestatus_tells_the_partner_what_became_of_its_messages,
);

/// The worker records pushes the provider took in one call: a message the app has not
/// confirmed becomes `sent` with a history entry; one it already read only gets `sent_at`.
async fn a_recorded_push_moves_only_messages_not_yet_confirmed(app: TestApp) {
    use simo_backend::domain::{StaffId, now_millis};
    use simo_backend::store::{MessageStatus, NewMessage, SentPush};
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Алексей Иванов").await;
    let staff = StaffId(e.id.parse().unwrap());
    let store = &app.state.store;
    let now = now_millis();
    // no_device: no delivery job, so the running workers leave these two alone.
    let new = |title| NewMessage {
        partner_id: p.id,
        staff_id: staff,
        title,
        body: "текст",
        source: "api",
        sent_by: "api",
        status: MessageStatus::NoDevice,
        now,
        push_token: None,
        push_device: None,
        idempotency_key: None,
        ack_required: false,
    };
    let read = store
        .insert_message(&new("Прочитано раньше"))
        .await
        .unwrap();
    let fresh = store
        .insert_message(&new("Ещё не доставлено"))
        .await
        .unwrap();
    assert_eq!(
        store
            .mark_messages(
                staff,
                &[read.id],
                simo_backend::store::Report::Read,
                now + 1
            )
            .await
            .unwrap(),
        1
    );
    let pushes: Vec<SentPush> = [&read, &fresh]
        .iter()
        .map(|m| SentPush {
            job_id: -m.id,
            message_id: m.id,
            detail: format!("Принято провайдером «{}»", m.title),
        })
        .collect();
    store.deliveries_sent(&pushes, now + 2).await.unwrap();

    let read = store.message_by_id(p.id, read.id).await.unwrap().unwrap();
    assert_eq!(
        (read.status.as_str(), read.sent_at),
        ("read", Some(now + 2))
    );
    let fresh = store.message_by_id(p.id, fresh.id).await.unwrap().unwrap();
    assert_eq!(
        (fresh.status.as_str(), fresh.sent_at, fresh.status_reason),
        ("sent", Some(now + 2), None)
    );
    let sent_events = |events: Vec<simo_backend::store::MessageEvent>| {
        events
            .into_iter()
            .filter(|e| e.status == "sent")
            .map(|e| e.detail.unwrap_or_default())
            .collect::<Vec<_>>()
    };
    assert!(sent_events(store.message_events(p.id, read.id).await.unwrap()).is_empty());
    assert_eq!(
        sent_events(store.message_events(p.id, fresh.id).await.unwrap()),
        ["Принято провайдером «Ещё не доставлено»"]
    );
}

async fn another_partners_employee_is_unknown_to_getmessage(app: TestApp) {
    let a = app.create_partner(INN_A).await;
    let b = app.create_partner(INN_B).await;
    let e = app.login(&a.inn, PHONE, "Алексей Иванов").await;
    app.create_message(&a, &e.id, "Секретная планерка", "Только для А")
        .await
        .ok();
    let refused = app
        .get_messages(&b.token, json!({"staffid": e.id, "count": 0}))
        .await
        .failed(404);
    assert!(!refused.contains("Секретная"), "{refused}");
    let own = app
        .get_messages(&a.token, json!({"staffid": e.id, "count": 0}))
        .await;
    assert_eq!(own.ok().as_array().unwrap().len(), 1);
}

/// On PostgreSQL concurrent reads of employees by id go out as one statement for all their
/// ids (see `store::staff_lookup`); each caller still gets only an employee of its partner.
async fn concurrent_employee_reads_each_answer_for_their_own_partner(app: TestApp) {
    use simo_backend::domain::StaffId;
    let a = app.create_partner(INN_A).await;
    let b = app.create_partner(INN_B).await;
    let ea = app.login(&a.inn, PHONE, "Алексей Иванов").await;
    let eb = app.login(&b.inn, "+79161234567", "Борис Петров").await;
    let (ea, eb) = (
        StaffId(ea.id.parse().unwrap()),
        StaffId(eb.id.parse().unwrap()),
    );
    let asks: Vec<(i64, StaffId, Option<&str>)> = (0..60)
        .map(|i| match i % 5 {
            0 => (a.id, ea, Some("Алексей Иванов")),
            1 => (b.id, eb, Some("Борис Петров")),
            2 => (a.id, eb, None),
            3 => (b.id, ea, None),
            _ => (a.id, StaffId(999_999), None),
        })
        .collect();
    let store = &app.state.store;
    let answers = futures_util::future::join_all(
        asks.iter()
            .map(|&(partner, id, _)| async move { store.staff_by_id(partner, id).await }),
    )
    .await;
    for ((partner, id, expected), answer) in asks.iter().zip(answers) {
        let found = answer.unwrap();
        assert_eq!(
            found.as_ref().map(|s| s.name.as_str()),
            *expected,
            "partner {partner}, employee {id}"
        );
        if let Some(s) = found {
            assert_eq!((s.partner_id, s.id), (*partner, id.0));
        }
    }
}

/// Concurrent messages share a transaction (group commit); a message that cannot be stored
/// (here: an unknown employee, refused by the foreign key) fails alone, the others are stored
/// with their own rows, history entries and delivery jobs.
async fn concurrent_messages_commit_together_and_each_caller_gets_its_own_answer(app: TestApp) {
    use simo_backend::domain::{StaffId, now_millis};
    use simo_backend::store::{MessageStatus, NewMessage};
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Алексей Иванов").await;
    let staff = StaffId(e.id.parse().unwrap());
    let titles: Vec<String> = (0..40).map(|i| format!("Сообщение {i}")).collect();
    let store = &app.state.store;
    let now = now_millis();
    let results =
        futures_util::future::join_all(titles.iter().enumerate().map(|(i, title)| async move {
            store
                .insert_message(&NewMessage {
                    partner_id: p.id,
                    staff_id: if i == 17 { StaffId(999_999) } else { staff },
                    title,
                    body: "текст",
                    source: "api",
                    sent_by: "api",
                    status: if i % 2 == 0 {
                        MessageStatus::Queued
                    } else {
                        MessageStatus::NoDevice
                    },
                    now: now + i as i64,
                    push_token: None,
                    push_device: None,
                    idempotency_key: None,
                    ack_required: false,
                })
                .await
        }))
        .await;
    let mut ids = Vec::new();
    for (i, r) in results.iter().enumerate() {
        if i == 17 {
            assert!(r.is_err(), "an unknown employee's message is refused");
            continue;
        }
        let row = r.as_ref().unwrap();
        assert_eq!(
            (row.title.as_str(), row.staff_id, row.created_at),
            (titles[i].as_str(), staff.0, now + i as i64)
        );
        // The id answered is the id of this very message in the database.
        let stored = store.message_by_id(p.id, row.id).await.unwrap().unwrap();
        assert_eq!(
            (stored.title.as_str(), stored.created_at),
            (titles[i].as_str(), now + i as i64)
        );
        ids.push(row.id);
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 39);
    assert_eq!(app.count("SELECT COUNT(*) FROM messages").await, 39);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM message_events WHERE status IN ('queued', 'no_device')")
            .await,
        39
    );
    // The history says where each came from and, without a device, why it is not pushed.
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM message_events WHERE status = 'no_device'
               AND detail = 'Создано (api); у сотрудника нет push-токена, сообщение доступно в истории'"
        )
        .await,
        19
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM message_events
             WHERE status = 'queued' AND detail = 'Создано (api), ожидает отправки'"
        )
        .await,
        20
    );
    // Every queued message got its job: pending now, or already pushed (and marked sent).
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM messages m WHERE m.status <> 'no_device'
               AND (EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id) OR m.status <> 'queued')"
        )
        .await,
        20
    );
}

async fn createmessage_stores_the_message_and_answers_the_documented_fields(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Алексей Иванов").await;
    let data = app
        .create_message(&p, &e.id, "какой то текст", "Текст Сообщения")
        .await
        .ok()
        .clone();
    assert_eq!(data["staffname"], "Алексей Иванов");
    assert_eq!(data["staffId"], e.id.as_str());
    assert_eq!(data["title"], "какой то текст");
    assert_eq!(data["message"], "Текст Сообщения");
    assert!(data["messageid"].as_str().unwrap().parse::<i64>().is_ok());
    assert_eq!(data["status"], "no_device", "no push token registered yet");

    let list = app
        .get_messages(
            &p.token,
            json!({"inn": p.inn, "staffid": e.id, "datemin": "", "datemax": "", "count": 0}),
        )
        .await;
    let list = list.ok().as_array().unwrap().clone();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["messageId"], data["messageid"]);
    assert_eq!(list[0]["staffId"], e.id.as_str());
    assert_eq!(list[0]["inn"], INN_A);
    assert!(list[0]["senddate"].is_null());
}

async fn createmessage_refuses_a_disabled_or_unknown_employee_and_stores_nothing(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иванов").await;
    let id = simo_backend::domain::StaffId::parse(&e.id).unwrap();
    app.state
        .store
        .set_staff_state(p.id, id, simo_backend::store::StaffState::Disabled, 0)
        .await
        .unwrap();

    let msg = app
        .create_message(&p, &e.id, "Планерка", "В 10:00")
        .await
        .failed(409);
    assert!(msg.contains("отключён"), "{msg}");
    app.create_message(&p, "999999", "Планерка", "В 10:00")
        .await
        .failed(404);
    app.create_message(&p, "abc", "Планерка", "В 10:00")
        .await
        .failed(400);

    let list = app
        .get_messages(&p.token, json!({"staffid": e.id, "count": 0}))
        .await;
    assert!(list.ok().as_array().unwrap().is_empty(), "nothing stored");
}

async fn createmessage_refuses_an_employee_token_and_invalid_texts(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иванов").await;
    let body = json!({"inn": p.inn, "staffid": e.id, "title": "t", "message": "m"});
    app.post("createmessage", Some(&e.token), body)
        .await
        .failed(403);
    app.create_message(&p, &e.id, "", "текст").await.failed(400);
    app.create_message(&p, &e.id, "заголовок", "   ")
        .await
        .failed(400);
    let long = "я".repeat(251);
    assert!(
        app.create_message(&p, &e.id, &long, "текст")
            .await
            .failed(400)
            .contains("250")
    );
    let huge = "я".repeat(10_001);
    app.create_message(&p, &e.id, "заголовок", &huge)
        .await
        .failed(400);
    let wrong_inn = json!({"inn": INN_B, "staffid": e.id, "title": "t", "message": "m"});
    app.post("createmessage", Some(&p.token), wrong_inn)
        .await
        .failed(403);
}

async fn getmessage_returns_the_50_newest_first_when_count_is_zero(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иванов").await;
    for i in 0..55 {
        app.create_message(&p, &e.id, &format!("Сообщение {i}"), "текст")
            .await
            .ok();
    }
    let all = app
        .get_messages(&p.token, json!({"inn": p.inn, "staffid": e.id, "count": 0}))
        .await;
    let all = all.ok().as_array().unwrap().clone();
    assert_eq!(all.len(), 50);
    assert_eq!(all[0]["title"], "Сообщение 54");
    assert_eq!(all[49]["title"], "Сообщение 5");
    let three = app
        .get_messages(&p.token, json!({"staffid": e.id, "count": "3"}))
        .await;
    assert_eq!(three.ok().as_array().unwrap().len(), 3);
    app.get_messages(&p.token, json!({"staffid": e.id, "count": -1}))
        .await
        .failed(400);

    let capped = spawn_app_with(app.db, |s| s.getmessage_max_count = 10)
        .await
        .unwrap();
    let p2 = capped.create_partner(INN_A).await;
    let e2 = capped.login(&p2.inn, PHONE, "Иванов").await;
    for _ in 0..12 {
        capped.create_message(&p2, &e2.id, "т", "т").await.ok();
    }
    let many = capped
        .get_messages(&p2.token, json!({"staffid": e2.id, "count": 100000}))
        .await;
    assert_eq!(
        many.ok().as_array().unwrap().len(),
        10,
        "count is capped, not refused"
    );
}

async fn getmessage_filters_by_dates_and_pages_by_id(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иванов").await;
    let mut ids = vec![];
    for i in 0..5 {
        let d = app
            .create_message(&p, &e.id, &format!("m{i}"), "т")
            .await
            .ok()
            .clone();
        ids.push(d["messageid"].as_str().unwrap().to_owned());
    }
    // Spread the messages over five days so the date filters have something to cut.
    for (day, id) in ids.iter().enumerate() {
        let ms = 1_700_000_000_000i64 + day as i64 * 86_400_000;
        let sql = format!("UPDATE messages SET created_at = {ms} WHERE id = {id}");
        app.state.store.execute_script(&sql).await.unwrap();
    }
    let q = json!({"staffid": e.id, "date_min": "2023-11-15T22:13:20.000Z", "date_max": "2023-11-17T22:13:20.000Z", "count": 0});
    let titles: Vec<String> = app
        .get_messages(&p.token, q)
        .await
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["title"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(titles, ["m3", "m2", "m1"]);

    let since = app
        .get_messages(&p.token, json!({"staffid": e.id, "sinceid": ids[2]}))
        .await;
    assert_eq!(since.ok().as_array().unwrap().len(), 2);
    let before = app
        .get_messages(&p.token, json!({"staffid": e.id, "beforeid": ids[1]}))
        .await;
    assert_eq!(before.ok()[0]["messageId"], ids[0].as_str());
    app.get_messages(&p.token, json!({"staffid": e.id, "datemin": "вчера"}))
        .await
        .failed(400);
}

async fn an_employee_reads_only_their_own_messages(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let a = app.login(&p.inn, PHONE, "Иванов").await;
    let b = app.login(&p.inn, "+79990001122", "Петров").await;
    app.create_message(&p, &a.id, "для Иванова", "т").await.ok();
    app.create_message(&p, &b.id, "для Петрова", "т").await.ok();

    let own = app
        .get_messages(&a.token, json!({"inn": p.inn, "staffid": a.id, "count": 0}))
        .await;
    let own = own.ok().as_array().unwrap().clone();
    assert_eq!(own.len(), 1);
    assert_eq!(own[0]["title"], "для Иванова");
    let implicit = app.get_messages(&a.token, json!({})).await;
    assert_eq!(implicit.ok().as_array().unwrap().len(), 1);
    app.get_messages(&a.token, json!({"staffid": b.id}))
        .await
        .failed(403);
}

async fn messagestatus_moves_messages_forward_only(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иванов").await;
    let other = app.login(&p.inn, "+79990001122", "Петров").await;
    let m = app.create_message(&p, &e.id, "т", "т").await.ok()["messageid"]
        .as_str()
        .unwrap()
        .to_owned();
    let foreign = app.create_message(&p, &other.id, "т", "т").await.ok()["messageid"]
        .as_str()
        .unwrap()
        .to_owned();

    let read = app
        .post(
            "messagestatus",
            Some(&e.token),
            json!({"messageids": [m, foreign], "status": "read"}),
        )
        .await;
    assert_eq!(
        read.ok()["updated"],
        1,
        "another employee's message is not touched"
    );
    let again = app
        .post(
            "messagestatus",
            Some(&e.token),
            json!({"messageids": [m], "status": "delivered"}),
        )
        .await;
    assert_eq!(
        again.ok()["updated"],
        0,
        "read does not go back to delivered"
    );
    let list = app.get_messages(&e.token, json!({})).await.ok().clone();
    assert_eq!(list[0]["status"], "read");
    assert!(list[0]["readdate"].is_string() && list[0]["delivereddate"].is_string());

    app.post(
        "messagestatus",
        Some(&p.token),
        json!({"messageids": [m], "status": "read"}),
    )
    .await
    .failed(403);
    app.post(
        "messagestatus",
        Some(&e.token),
        json!({"messageids": [m], "status": "lost"}),
    )
    .await
    .failed(400);
    app.post(
        "messagestatus",
        Some(&e.token),
        json!({"messageids": [], "status": "read"}),
    )
    .await
    .failed(400);
}

async fn dates_are_iso_8601_with_millis_in_moscow(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иванов").await;
    let created = app.create_message(&p, &e.id, "т", "т").await.ok()["createdate"]
        .as_str()
        .unwrap()
        .to_owned();
    // 2014-09-21T23:00:00.000+03:00
    assert_eq!(created.len(), 29, "{created}");
    assert!(created.ends_with("+03:00"), "{created}");
    assert_eq!(&created[19..20], ".", "{created}");
}

/// SQLite: the checkpoint the server runs in the background copies every committed frame of
/// the WAL into the database file (PASSIVE: it waits for nobody).
#[tokio::test]
async fn sqlite_wal_checkpoint_copies_committed_frames() {
    let app = spawn_app(Db::Sqlite).await.expect("sqlite app");
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Алексей Иванов").await;
    app.create_message(&p, &e.id, "Планерка", "В 10:00")
        .await
        .ok();
    let (frames, copied) = app.state.store.checkpoint_wal().unwrap().expect("SQLite");
    assert!(frames >= 1, "the writes went through the WAL");
    assert_eq!(copied, frames);
}

/// A bare SQLite store with one partner and two employees, for the search index tests: no
/// server, so no maintenance task indexes behind a test's back.
struct SearchFixture {
    store: simo_backend::store::Store,
    partner_id: i64,
    staff: Vec<simo_backend::domain::StaffId>,
}

impl SearchFixture {
    async fn open(db: &std::path::Path) -> Self {
        use simo_backend::domain::{Inn, Phone, StaffId, TokenHash, now_millis};
        use simo_backend::store::{NewPartner, StaffState, Store};
        let store = Store::connect(&format!("sqlite://{}?mode=rwc", db.display()), 4)
            .await
            .unwrap();
        store.migrate().await.unwrap();
        let now = now_millis();
        let inn = Inn::parse(INN_A).unwrap();
        let partner = match store.partner_by_inn(&inn).await.unwrap() {
            Some(p) => p,
            None => store
                .create_partner(
                    &NewPartner {
                        inn: &inn,
                        short_name: "А",
                        full_name: "ООО «А»",
                        password_hash: "-",
                        approval_required: false,
                    },
                    &TokenHash::of("t"),
                    "t",
                    now,
                )
                .await
                .unwrap(),
        };
        let mut staff = Vec::new();
        for phone in ["+79230000001", "+79230000002"] {
            let s = store
                .upsert_staff_on_login(
                    partner.id,
                    &Phone::parse(phone).unwrap(),
                    "Сотрудник",
                    "android",
                    StaffState::Active,
                    now,
                )
                .await
                .unwrap();
            staff.push(StaffId(s.id));
        }
        Self {
            store,
            partner_id: partner.id,
            staff,
        }
    }

    async fn send(&self, staff: usize, title: &str) -> i64 {
        use simo_backend::store::{MessageStatus, NewMessage};
        self.store
            .insert_message(&NewMessage {
                partner_id: self.partner_id,
                staff_id: self.staff[staff],
                title,
                body: "текст",
                source: "api",
                sent_by: "api",
                status: MessageStatus::NoDevice,
                now: simo_backend::domain::now_millis(),
                push_token: None,
                push_device: None,
                idempotency_key: None,
                ack_required: false,
            })
            .await
            .unwrap()
            .id
    }

    /// What the cabinet's search finds (it catches the index up first).
    async fn found(&self, word: &str) -> Vec<i64> {
        use simo_backend::store::{MessageListQuery, MessageSort};
        let q = MessageListQuery {
            words: vec![word.to_owned()],
            ..MessageListQuery::unfiltered(self.partner_id, MessageSort::Created, 50)
        };
        let rows = self.store.list_partner_messages(&q).await.unwrap();
        rows.into_iter().map(|m| m.id).collect()
    }

    /// What the index file itself holds for `word`, whatever the messages table says.
    async fn indexed(&self, word: &str) -> Vec<i64> {
        self.store
            .search_index_ids(&format!("\"{word}\"*"))
            .await
            .unwrap()
    }

    /// A count read from the messages' database (trusted SQL).
    async fn count(&self, sql: &str) -> i64 {
        let simo_backend::store::Pool::Sqlite(p) = self.store.pool() else {
            unreachable!("a sqlite: URL")
        };
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(p)
            .await
            .unwrap()
    }

    /// Caught up, the index passes FTS5's own integrity check.
    async fn consistent(&self) {
        while self.store.index_for_search(100).await.unwrap() {}
        self.store
            .check_search_index()
            .await
            .expect("FTS5 integrity check");
    }
}

/// SQLite indexes messages for search behind their commits, in a file of its own
/// (store/search_index.rs). Messages deleted or renamed before or after indexing are gone from
/// the index itself (not only from the answers), and a search finds a message created a
/// moment ago.
#[tokio::test]
async fn sqlite_search_index_stays_exact_whenever_it_catches_up() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let f = SearchFixture::open(&db).await;
    assert!(
        std::fs::metadata(dir.path().join("s.db-search")).is_ok(),
        "the index has a file of its own"
    );

    // Indexed, then deleted (with its employee).
    let first = f.send(0, "Инвентаризация склада").await;
    assert!(
        !f.store.index_for_search(100).await.unwrap(),
        "all indexed in one batch"
    );
    assert_eq!(f.indexed("инвент").await, [first]);
    // Not indexed yet, then deleted; and one that stays.
    f.send(0, "Инвентаризация офиса").await;
    let kept = f.send(1, "Инвентаризация кассы").await;
    assert!(
        f.store
            .delete_staff(f.partner_id, f.staff[0])
            .await
            .unwrap()
    );
    // A search catches up first: the message just created is found, the deleted ones are
    // not, and the index no longer holds them.
    assert_eq!(f.found("инвент").await, [kept]);
    assert_eq!(f.indexed("инвент").await, [kept]);
    f.consistent().await;
    // Renamed after indexing: found by the new title only.
    f.store
        .execute_script(&format!(
            "UPDATE messages SET title = 'Ревизия кассы' WHERE id = {kept}"
        ))
        .await
        .unwrap();
    assert!(f.found("инвент").await.is_empty());
    assert!(f.indexed("инвент").await.is_empty());
    assert_eq!(f.found("ревиз").await, [kept]);
    f.consistent().await;
    // Applied changes are trimmed from the database's queue.
    assert_eq!(f.count("SELECT COUNT(*) FROM search_changes").await, 0);
    // Batches: more waiting is reported until the index has caught up.
    for title in ["Первое", "Второе", "Третье"] {
        f.send(1, title).await;
    }
    assert!(f.store.index_for_search(2).await.unwrap());
    assert!(!f.store.index_for_search(2).await.unwrap());
    assert!(
        !f.store.index_for_search(2).await.unwrap(),
        "nothing left: no write at all"
    );
    f.consistent().await;
    assert_eq!(f.found("трет").await.len(), 1);
}

/// The point of the index's own file: whoever holds its write lock (the indexer, in the middle
/// of a merge) does not hold up a message's commit. Here another connection holds it; the
/// message commits at once (were the index attached to the messages' writer, its
/// `BEGIN IMMEDIATE` would wait for that lock and fail after the busy timeout).
#[tokio::test]
async fn sqlite_a_message_commits_while_the_search_index_is_locked() {
    use sqlx::Connection;
    let dir = tempfile::tempdir().unwrap();
    let f = SearchFixture::open(&dir.path().join("s.db")).await;
    let mut holder = sqlx::SqliteConnection::connect_with(
        &sqlx::sqlite::SqliteConnectOptions::new()
            .filename(dir.path().join("s.db-search"))
            .busy_timeout(std::time::Duration::ZERO),
    )
    .await
    .unwrap();
    sqlx::raw_sql("BEGIN IMMEDIATE; UPDATE progress SET changes_to = changes_to;")
        .execute(&mut holder)
        .await
        .unwrap();
    let id = f.send(0, "Пока индекс занят").await;
    let stored = f
        .count(&format!("SELECT COUNT(*) FROM messages WHERE id = {id}"))
        .await;
    assert_eq!(stored, 1);
    sqlx::raw_sql("ROLLBACK")
        .execute(&mut holder)
        .await
        .unwrap();
    assert_eq!(
        f.found("индекс").await,
        [id],
        "indexed once the lock is gone"
    );
}

/// The index file is derived data: deleted, it is rebuilt from the messages; left next to a
/// database restored from an older backup (so ids it holds are given out again), it is
/// emptied and rebuilt instead of answering for messages that no longer exist.
#[tokio::test]
async fn sqlite_search_index_is_rebuilt_when_missing_or_ahead_of_its_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let file = |suffix: &str| dir.path().join(format!("s.db{suffix}"));

    let f = SearchFixture::open(&db).await;
    let kept = f.send(0, "Отчёт за квартал").await;
    f.consistent().await;
    f.store.close().await;
    drop(f);
    for suffix in ["-search", "-search-wal", "-search-shm"] {
        std::fs::remove_file(file(suffix)).ok();
    }
    let f = SearchFixture::open(&db).await;
    assert_eq!(f.found("отчёт").await, [kept], "rebuilt from the messages");
    // The backup: the database as it is now.
    f.store.close().await;
    drop(f);
    for (from, to) in [("", ".bak"), ("-wal", ".bak-wal")] {
        if std::fs::metadata(file(from)).is_ok() {
            std::fs::copy(file(from), file(to)).unwrap();
        }
    }

    let f = SearchFixture::open(&db).await;
    let lost = f.send(1, "Секретный приказ").await;
    assert_eq!(f.found("секрет").await, [lost]);
    f.store.close().await;
    drop(f);
    // Restored from the backup, the index file left as it was.
    for suffix in ["-wal", "-shm"] {
        std::fs::remove_file(file(suffix)).ok();
    }
    for (from, to) in [(".bak", ""), (".bak-wal", "-wal")] {
        if std::fs::metadata(file(from)).is_ok() {
            std::fs::copy(file(from), file(to)).unwrap();
        }
    }
    let f = SearchFixture::open(&db).await;
    let reused = f.send(1, "График отпусков").await;
    assert_eq!(reused, lost, "the restored database gives the id out again");
    assert!(f.found("секрет").await.is_empty());
    assert!(f.indexed("секрет").await.is_empty());
    assert_eq!(f.found("график").await, [reused]);
    assert_eq!(f.found("отчёт").await, [kept]);
    f.consistent().await;
}

/// An in-memory SQLite database exists only inside sqlx's connections; the reads that bypass
/// sqlx on a file database must not open a file of that name instead.
#[tokio::test]
async fn an_in_memory_sqlite_store_reads_through_its_own_connections() {
    use simo_backend::domain::StaffId;
    use simo_backend::store::{MessageQuery, Store};
    let store = Store::connect("sqlite::memory:", 1).await.unwrap();
    store.migrate().await.unwrap();
    assert!(store.staff_by_id(1, StaffId(1)).await.unwrap().is_none());
    let page = store
        .messages_for_staff(&MessageQuery {
            partner_id: 1,
            staff_id: StaffId(1),
            created_from: None,
            created_to: None,
            after_id: None,
            before_id: None,
            limit: 50,
        })
        .await
        .unwrap();
    assert!(page.is_none(), "no such employee");
    assert!(store.checkpoint_wal().unwrap().is_none());

    // The push workers' claim reads its jobs back through the same connections.
    store
        .execute_script(
            "INSERT INTO partners (id, inn, short_name, full_name, password_hash, created_at)
               VALUES (1, '7707083893', 'П', 'П', 'x', 0);
             INSERT INTO staff (id, partner_id, phone, name, push_token, push_device, created_at, updated_at)
               VALUES (1, 1, '+79230000001', 'Петров', 'tok', 'android', 0, 0);
             INSERT INTO messages (id, partner_id, staff_id, title, body, created_at) VALUES (7, 1, 1, 'T', 'B', 5);
             INSERT INTO deliveries (message_id, due_at, created_at) VALUES (7, 5, 5);",
        )
        .await
        .unwrap();
    let jobs = store.claim_deliveries("w.1", 16, 10, 1_000).await.unwrap();
    let ids: Vec<_> = jobs
        .iter()
        .map(|j| (j.message_id, j.attempts, j.push_token.as_deref()))
        .collect();
    assert_eq!(ids, [(7, 1, Some("tok"))]);
    assert!(
        store
            .claim_deliveries("w.2", 16, 10, 1_000)
            .await
            .unwrap()
            .is_empty(),
        "leased already"
    );
}

/// `createmessage` with an `Idempotency-Key` header (raw bytes).
async fn keyed(app: &TestApp, p: &Partner, key: &[u8], staff_id: &str, title: &str) -> Answer {
    let body = json!({"inn": p.inn, "staffid": staff_id, "title": title, "message": "Отгрузка"});
    app.call_with(
        "POST",
        "/api/v1/createmessage",
        Some(&p.token),
        &[("Idempotency-Key", key)],
        Some(body.to_string().into_bytes()),
    )
    .await
}

async fn a_repeated_createmessage_with_an_idempotency_key_stores_one_message(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иванов Иван").await;
    let body =
        json!({"inn": p.inn, "staffId": e.id, "pushtoken": "fcm-token-1", "device": "android"});
    app.post("updatepushtoken", Some(&e.token), body).await.ok();
    let messages = || app.count("SELECT COUNT(*) FROM messages");

    let first = keyed(&app, &p, b"1c-doc-42", &e.id, "Реализация 42")
        .await
        .ok()
        .clone();
    let again = keyed(&app, &p, b"1c-doc-42", &e.id, "Реализация 42")
        .await
        .ok()
        .clone();
    assert_eq!(again["messageid"], first["messageid"], "the same message");
    assert_eq!(again["createdate"], first["createdate"]);
    assert_eq!(again["staffname"], "Иванов Иван");
    assert_eq!(messages().await, 1);
    let id = first["messageid"].as_str().unwrap().to_owned();

    // Stored outside the group commit, it is still pushed (the log provider "sends" it).
    let mut status = String::new();
    for _ in 0..100 {
        let page = app
            .get_messages(&p.token, json!({"inn": p.inn, "staffid": e.id, "count": 0}))
            .await;
        status = page.ok()[0]["status"].as_str().unwrap().to_owned();
        if status == "sent" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(status, "sent", "the keyed message is pushed");
    let replayed = keyed(&app, &p, b"1c-doc-42", &e.id, "Реализация 42")
        .await
        .ok()
        .clone();
    assert_eq!(
        replayed["status"], "sent",
        "a replay tells the message as it is now"
    );

    let other_title = keyed(&app, &p, b"1c-doc-42", &e.id, "Реализация 43")
        .await
        .failed(409);
    assert!(
        other_title.contains("Idempotency-Key") && other_title.contains(&id),
        "{other_title}"
    );
    assert_eq!(messages().await, 1, "a key names one message");
    let next = keyed(&app, &p, b"1c-doc-43", &e.id, "Реализация 43")
        .await
        .ok()
        .clone();
    assert_ne!(next["messageid"], first["messageid"]);
    for _ in 0..2 {
        app.create_message(&p, &e.id, "Без ключа", "Отгрузка")
            .await
            .ok();
    }
    assert_eq!(
        messages().await,
        4,
        "without a key every call stores a message, as before"
    );

    // Keys are per partner: another one's same key is a key of its own, and its refusal
    // names only its own message.
    let b = app.create_partner(INN_B).await;
    let theirs = app.login(&b.inn, "+79005556677", "Петров Пётр").await;
    let their_first = keyed(&app, &b, b"1c-doc-42", &theirs.id, "Реализация 42")
        .await
        .ok()
        .clone();
    assert_ne!(their_first["messageid"], first["messageid"]);
    let refused = keyed(&app, &b, b"1c-doc-42", &e.id, "Реализация 42")
        .await
        .failed(409);
    assert!(!refused.contains(&format!("№ {id})")), "{refused}");
    assert_eq!(messages().await, 5);

    // A repeat finds its message even after the employee was disabled: it was accepted then.
    let staff = simo_backend::domain::StaffId::parse(&e.id).unwrap();
    app.state
        .store
        .set_staff_state(p.id, staff, simo_backend::store::StaffState::Disabled, 0)
        .await
        .unwrap();
    let late = keyed(&app, &p, b"1c-doc-42", &e.id, "Реализация 42")
        .await
        .ok()
        .clone();
    assert_eq!(late["messageid"], first["messageid"]);
    keyed(&app, &p, b"1c-doc-44", &e.id, "Реализация 44")
        .await
        .failed(409);

    // Keys no header should carry, or too long: refused, nothing stored.
    let long = "k".repeat(256);
    for bad in [&b""[..], b"a b", "ключ".as_bytes(), long.as_bytes()] {
        let answer = keyed(&app, &p, bad, &theirs.id, "Реализация").await;
        assert_eq!(answer.status, 400, "{bad:?}: {:?}", answer.body);
        assert_eq!(answer.body["success"], false);
        assert!(!answer.body["error"].as_str().unwrap().is_empty());
    }
    assert_eq!(messages().await, 5);

    // The bulk method keeps no keys: a key there is refused rather than trusted in vain.
    let bulk = app
        .call_with(
            "POST",
            "/api/v1/createmessagebulk",
            Some(&b.token),
            &[("Idempotency-Key", b"bulk-1")],
            Some(
                json!({"inn": b.inn, "all": true, "title": "Собрание", "message": "В 15:00"})
                    .to_string()
                    .into_bytes(),
            ),
        )
        .await
        .failed(400);
    assert!(bulk.contains("только методом createmessage"), "{bulk}");
    assert_eq!(messages().await, 5);
}

async fn concurrent_calls_with_one_idempotency_key_store_one_message(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иванов Иван").await;
    let calls = (0..16).map(|_| keyed(&app, &p, b"retry-storm", &e.id, "Планерка"));
    let answers = futures_util::future::join_all(calls).await;
    let ids: std::collections::HashSet<String> = answers
        .iter()
        .map(|a| a.ok()["messageid"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 1, "every caller gets the one message: {ids:?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM messages").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM message_events").await, 1);

    // Straight to the store, past the service's look-up: the 16 land in one group-commit batch
    // (or a few), whose insert the unique index fails; written again one by one, one is stored
    // and the others find it.
    use simo_backend::domain::{IdempotencyKey, StaffId, now_millis};
    use simo_backend::store::{Keyed, MessageStatus, NewMessage};
    let key = IdempotencyKey::parse("same-batch").unwrap();
    let new = NewMessage {
        partner_id: p.id,
        staff_id: StaffId::parse(&e.id).unwrap(),
        title: "Собрание",
        body: "В 15:00",
        source: "api",
        sent_by: "api",
        status: MessageStatus::NoDevice,
        now: now_millis(),
        push_token: None,
        push_device: None,
        idempotency_key: Some(&key),
        ack_required: false,
    };
    let tries = (0..16).map(|_| app.state.store.insert_message_keyed(&new));
    let outcomes = futures_util::future::join_all(tries).await;
    let (mut stored, mut taken) = (Vec::new(), Vec::new());
    for outcome in outcomes {
        match outcome.expect("stored or found, never an error") {
            Keyed::Stored(row) => stored.push(row.id),
            Keyed::Taken(row) => taken.push(row.id),
        }
    }
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert!(taken.iter().all(|id| *id == stored[0]), "{taken:?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM messages").await, 2);
}

async fn status_of(app: &TestApp, p: &Partner, ids: Value) -> Answer {
    app.post(
        "getmessagestatus",
        Some(&p.token),
        json!({"inn": p.inn, "messageids": ids}),
    )
    .await
}

async fn getmessagestatus_tells_the_partner_what_became_of_its_messages(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иванов Иван").await;
    let body =
        json!({"inn": p.inn, "staffId": e.id, "pushtoken": "fcm-token-1", "device": "android"});
    app.post("updatepushtoken", Some(&e.token), body).await.ok();
    let f = app.login(&p.inn, "+79990001122", "Петров Пётр").await;
    let id_of = |a: &Answer| a.ok()["messageid"].as_str().unwrap().to_owned();
    let pushed = id_of(&app.create_message(&p, &e.id, "Планерка", "В 10:00").await);
    let waiting = id_of(&app.create_message(&p, &f.id, "Зарплата", "Начислена").await);
    let b = app.create_partner(INN_B).await;
    let stranger = app.login(&b.inn, "+79005556677", "Чужой").await;
    let theirs = id_of(
        &app.create_message(&b, &stranger.id, "Чужое", "не для А")
            .await,
    );

    // The log provider "sends" the pushed one; the partner sees it move.
    let mut sent = Value::Null;
    for _ in 0..100 {
        sent = status_of(&app, &p, json!([pushed])).await.ok()["messages"][0].clone();
        if sent["status"] == "sent" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(sent["status"], "sent", "{sent}");
    assert_eq!(sent["statusname"], "Отправлено");
    assert!(
        sent["senddate"].is_string() && sent["readdate"].is_null(),
        "{sent}"
    );

    app.post(
        "messagestatus",
        Some(&e.token),
        json!({"messageids": [pushed], "status": "read"}),
    )
    .await
    .ok();
    // Repeats and unknown ids: each found message once, in the order asked; the rest named.
    let answer = status_of(&app, &p, json!([waiting, pushed, pushed, "999999", theirs]))
        .await
        .ok()
        .clone();
    let messages = answer["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2, "{answer}");
    assert_eq!(messages[0]["messageid"], waiting.as_str());
    assert_eq!(messages[0]["staffId"], f.id.as_str());
    assert_eq!(messages[0]["title"], "Зарплата");
    assert_eq!(messages[0]["status"], "no_device");
    assert_eq!(messages[0]["statusname"], "Нет устройства");
    assert!(messages[0]["senddate"].is_null() && messages[0]["createdate"].is_string());
    let read = &messages[1];
    assert_eq!(read["messageid"], pushed.as_str());
    assert_eq!(read["staffId"], e.id.as_str());
    assert_eq!(read["status"], "read");
    assert_eq!(read["statusname"], "Прочитано");
    for date in ["createdate", "senddate", "delivereddate", "readdate"] {
        let d = read[date]
            .as_str()
            .unwrap_or_else(|| panic!("{date}: {read}"));
        assert!(d.ends_with("+03:00"), "{date}: {d}");
    }
    assert_eq!(
        answer["notfound"],
        json!(["999999", theirs]),
        "another partner's message is not found, not shown"
    );
    // The partner that owns it sees it.
    let own = status_of(&app, &b, json!(theirs)).await.ok().clone();
    assert_eq!(own["messages"][0]["title"], "Чужое");
    // A comma-separated string and numbers are lists too (as `messagestatus` takes them).
    let loose = status_of(&app, &p, json!(format!("{waiting}, {pushed}"))).await;
    assert_eq!(loose.ok()["messages"].as_array().unwrap().len(), 2);
    let numbers = status_of(&app, &p, json!([waiting.parse::<i64>().unwrap()])).await;
    assert_eq!(numbers.ok()["messages"][0]["messageid"], waiting.as_str());
    // A thousand ids at once (one statement: no limit of bound variables).
    let many: Vec<String> = (1..=1000).map(|i| i.to_string()).collect();
    let thousand = status_of(&app, &p, json!(many)).await.ok().clone();
    assert_eq!(
        thousand["messages"].as_array().unwrap().len()
            + thousand["notfound"].as_array().unwrap().len(),
        1000
    );
    assert_eq!(
        thousand["messages"].as_array().unwrap().len(),
        2,
        "A's two among 1..=1000"
    );

    // Refused: in the envelope, with what is wrong.
    let too_many: Vec<String> = (1..=1001).map(|i| i.to_string()).collect();
    assert!(
        status_of(&app, &p, json!(too_many))
            .await
            .failed(400)
            .contains("1000")
    );
    status_of(&app, &p, json!([])).await.failed(400);
    status_of(&app, &p, json!(["12", "abc"])).await.failed(400);
    status_of(&app, &p, json!({"id": 1})).await.failed(400);
    app.post("getmessagestatus", Some(&p.token), json!({"inn": p.inn}))
        .await
        .failed(400);
    app.post(
        "getmessagestatus",
        Some(&p.token),
        json!({"inn": b.inn, "messageids": [theirs]}),
    )
    .await
    .failed(403);
    app.post(
        "getmessagestatus",
        Some(&e.token),
        json!({"messageids": [pushed]}),
    )
    .await
    .failed(403);
    app.post("getmessagestatus", None, json!({"messageids": [pushed]}))
        .await
        .failed(401);
}
