//! Bad input gets a 4xx in the envelope, never a 5xx, and stored data survives it.

use crate::cabinet::Browser;
use crate::helpers::*;
use crate::metrics::scrape;
use crate::push::eventually;
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

both_databases!(
    malformed_bodies_get_400_in_the_envelope_and_leave_data_intact,
    documented_key_spellings_and_loose_types_are_accepted,
    oversized_bodies_get_413,
    unknown_methods_and_missing_tokens_answer_in_the_envelope,
    health_and_readiness_answer,
    errors_are_english_when_the_caller_prefers_english,
    a_company_over_its_rate_gets_429_and_the_others_go_on,
    the_operator_gives_a_company_a_rate_of_its_own,
);

async fn malformed_bodies_get_400_in_the_envelope_and_leave_data_intact(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иванов").await;
    app.create_message(&p, &e.id, "уцелеет", "т").await.ok();
    let bodies: Vec<Vec<u8>> = vec![
        b"{not json".to_vec(),
        b"[1,2,3]".to_vec(),
        b"\"text\"".to_vec(),
        vec![0xff, 0xfe, 0x7b, 0x7d],
        br#"{"staffid": {"nested": true}, "title": "t", "message": "m"}"#.to_vec(),
        br#"{"staffid": [1], "title": "t", "message": "m"}"#.to_vec(),
        br#"{"staffid": "1; DROP TABLE messages; --", "title": "t", "message": "m"}"#.to_vec(),
        br#"{"staffid": "1", "staff_id": "2", "title": "t", "message": "m"}"#.to_vec(),
        format!("{}{}", "[".repeat(5000), "]".repeat(5000)).into_bytes(),
    ];
    for body in bodies {
        let answer = app
            .call(
                "POST",
                "/api/v1/createmessage",
                Some(&p.token),
                Some(body.clone()),
            )
            .await;
        assert!(
            (400..500).contains(&answer.status),
            "{answer:?} for {:?}",
            String::from_utf8_lossy(&body)
        );
        answer.failed(answer.status);
    }
    // The refusal names the field, as folded (`staffId` is `staffid`), and a yes-or-no field
    // says what it takes.
    let body = br#"{"staffId": [1], "title": "t", "message": "m"}"#.to_vec();
    let named = app
        .call("POST", "/api/v1/createmessage", Some(&p.token), Some(body))
        .await;
    assert_eq!(
        named.failed(400),
        "Неверный запрос: «staffid»: ожидалась строка"
    );
    let body = json!({"staffid": e.id, "title": "t", "message": "m", "requireack": {}});
    let flag = app.post("createmessage", Some(&p.token), body).await;
    assert_eq!(
        flag.failed(400),
        "Неверный запрос: «requireack»: ожидалось true или false"
    );
    let evil = "'); DELETE FROM messages; --<script>";
    let stored = app.create_message(&p, &e.id, evil, evil).await.ok().clone();
    assert_eq!(stored["title"], evil, "stored verbatim, as data");
    app.auth(&format!("{INN_A}' OR '1'='1"), PHONE, "x")
        .await
        .failed(400);
    let list = app.get_messages(&p.token, json!({"staffid": e.id})).await;
    assert_eq!(list.ok().as_array().unwrap().len(), 2, "nothing lost");
}

async fn documented_key_spellings_and_loose_types_are_accepted(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иванов").await;
    let id: i64 = e.id.parse().unwrap();
    for (n, body) in [
        json!({"inn": p.inn, "staffid": e.id, "title": "a", "message": "m"}),
        json!({"inn": p.inn, "staffId": e.id, "title": "b", "message": "m"}),
        json!({"inn": p.inn.parse::<i64>().unwrap(), "staff_id": id, "title": "c", "message": "m"}),
    ]
    .into_iter()
    .enumerate()
    {
        let answer = app.post("createmessage", Some(&p.token), body).await;
        assert_eq!(answer.status, 200, "variant {n}: {answer:?}");
    }
    let list = app
        .get_messages(
            &p.token,
            json!({"staff_id": id, "date_min": "", "date_max": null, "count": "0"}),
        )
        .await;
    assert_eq!(list.ok().as_array().unwrap().len(), 3);
    // No Content-Type at all, as some 1C code sends.
    let resp = app
        .client
        .post(format!("{}/api/v1/getmessage", app.base))
        .header("Authorization", &p.token)
        .body(json!({"staffid": e.id}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    // A trailing slash and a BOM do not matter either.
    let bom = [
        &[0xef, 0xbb, 0xbf][..],
        json!({"staffid": e.id}).to_string().as_bytes(),
    ]
    .concat();
    let answer = app
        .call("POST", "/api/v1/getmessage/", Some(&p.token), Some(bom))
        .await;
    assert_eq!(answer.ok().as_array().unwrap().len(), 3);
}

async fn oversized_bodies_get_413(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let big = format!(r#"{{"title":"t","message":"{}"}}"#, "x".repeat(200_000));
    let answer = app
        .call(
            "POST",
            "/api/v1/createmessage",
            Some(&p.token),
            Some(big.into_bytes()),
        )
        .await;
    answer.failed(413);
    // Chunked, so no Content-Length warns the server in advance.
    let stream = futures_stream(300_000);
    let resp = app
        .client
        .post(format!("{}/api/v1/createmessage", app.base))
        .header("Authorization", &p.token)
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["success"], false);
    // The methods that carry up to 10,000 IDs (or a group's members) take them all, however
    // they are written: 10,000 eight-digit IDs as strings are 110 KB, over the usual limit.
    let ids: Vec<String> = (0..10_000).map(|i| (10_000_000 + i).to_string()).collect();
    let listed = serde_json::json!({"inn": p.inn, "staffids": ids, "title": "t", "message": "m"});
    assert!(listed.to_string().len() > 100_000);
    let answer = app
        .post("createmessagebulk", Some(&p.token), listed.clone())
        .await;
    assert_eq!(
        answer.ok()["refused"].as_array().unwrap().len(),
        10_000,
        "read, not refused as too large"
    );
    let group = serde_json::json!({"inn": p.inn, "name": "Все", "staffids": listed["staffids"]});
    let answer = app.post("savegroup", Some(&p.token), group).await;
    let error = answer.failed(404);
    assert!(
        error.starts_with("Сотрудники не найдены: 10000000, 10000001"),
        "{error}"
    );
    assert!(error.ends_with("10000019, … (всего 10000)"), "{error}");
    // Beyond the lists' own limit (2 MiB) they are refused too.
    let huge = format!(
        r#"{{"title":"t","message":"m","staffids":"{}"}}"#,
        "1,".repeat(1_100_000)
    );
    let answer = app
        .call(
            "POST",
            "/api/v1/createmessagebulk",
            Some(&p.token),
            Some(huge.into_bytes()),
        )
        .await;
    answer.failed(413);
}

fn futures_stream(n: usize) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..n / 1000).map(|_| Ok(vec![b' '; 1000])).collect();
    futures_util::stream::iter(chunks)
}

async fn unknown_methods_and_missing_tokens_answer_in_the_envelope(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    app.call(
        "POST",
        "/api/v1/nosuchmethod",
        Some(&p.token),
        Some(b"{}".to_vec()),
    )
    .await
    .failed(404);
    app.call("DELETE", "/api/v1/createmessage", Some(&p.token), None)
        .await
        .failed(405);
    let missing = app.post("createmessage", None, json!({})).await.failed(401);
    assert!(missing.contains("Authorization"), "{missing}");
    app.post("getstaff", Some(""), json!({})).await.failed(401);
    app.post("getstaff", Some("Bearer "), json!({}))
        .await
        .failed(401);
}

async fn health_and_readiness_answer(app: TestApp) {
    for path in ["/healthz", "/readyz"] {
        let resp = app
            .client
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{path}");
    }
    let resp = app
        .client
        .get(format!("{}/api/v1/getstaff", app.base))
        .send()
        .await
        .unwrap();
    assert!(resp.headers().contains_key("x-request-id"));
}

/// Partner-token checks are cached: a change made through this server is seen at once; one
/// made behind its back (another process, plain SQL) within `SIMO_AUTH_CACHE_SECS`.
#[tokio::test]
async fn the_token_cache_forgets_changes_made_here_at_once_and_others_after_its_ttl() {
    for db in [Db::Sqlite, Db::Postgres] {
        for ttl in [0_u64, 3600] {
            let Some(app) = spawn_app_with(db, |s| s.auth_cache_secs = ttl).await else {
                continue;
            };
            let p = app.create_partner(INN_A).await;
            let getstaff = || app.post("getstaff", Some(&p.token), json!({"inn": INN_A}));
            getstaff().await.ok();

            // Through the store, as the cabinet and the operator area do: seen at once.
            app.state
                .store
                .set_partner_disabled(p.id, true)
                .await
                .unwrap();
            getstaff().await.failed(401);
            app.state
                .store
                .set_partner_disabled(p.id, false)
                .await
                .unwrap();
            getstaff().await.ok();

            // Behind the server's back: a cached answer stands until the TTL runs out.
            app.state
                .store
                .execute_script("UPDATE partners SET disabled = TRUE")
                .await
                .unwrap();
            let behind = getstaff().await;
            if ttl == 0 {
                behind.failed(401);
            } else {
                behind.ok();
            }
            app.state
                .store
                .set_partner_disabled(p.id, false)
                .await
                .unwrap();

            // A wrong token, repeated by a misconfigured integration, is noted as nobody's
            // and answered without a query; made valid behind our back (an import by another
            // process), it works once the note expires, or at once after a change made here.
            let wrong = format!("simo_p_{}", "0".repeat(48));
            let hash = simo_backend::domain::TokenHash::of(&wrong);
            let with_wrong = || app.post("getstaff", Some(&wrong), json!({"inn": INN_A}));
            with_wrong().await.failed(401);
            assert_eq!(app.state.store.token_recently_unknown(&hash), ttl > 0);
            app.state
                .store
                .execute_script(&format!(
                    "INSERT INTO partner_tokens (partner_id, token_hash, prefix, created_at) \
                     VALUES ({}, '{}', 'simo_p_0000', 0)",
                    p.id, hash.0
                ))
                .await
                .unwrap();
            let imported = with_wrong().await;
            if ttl == 0 {
                imported.ok();
            } else {
                imported.failed(401);
                app.state
                    .store
                    .set_partner_disabled(p.id, false)
                    .await
                    .unwrap();
                with_wrong().await.ok();
            }
            // An employee's token is never noted: it is found.
            let e = app.login(INN_A, PHONE, "Иванов").await;
            app.post("getmessage", Some(&e.token), json!({"inn": INN_A}))
                .await
                .ok();
            assert!(
                !app.state
                    .store
                    .token_recently_unknown(&simo_backend::domain::TokenHash::of(&e.token))
            );
        }
    }
}

/// Russian, as the guide's, for every caller that does not ask otherwise; English for one whose
/// `Accept-Language` puts English before Russian (the app on an English phone, a browser).
async fn errors_are_english_when_the_caller_prefers_english(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иванов").await;
    let call =
        |accept: &'static str, path: &'static str, token: Option<String>, body: &'static [u8]| {
            let app = &app;
            async move {
                let headers: Vec<(&str, &[u8])> = if accept.is_empty() {
                    vec![]
                } else {
                    vec![("accept-language", accept.as_bytes())]
                };
                app.call_with(
                    "POST",
                    path,
                    token.as_deref(),
                    &headers,
                    Some(body.to_vec()),
                )
                .await
            }
        };
    let unknown = br#"{"staffid": "999999", "title": "t", "message": "m"}"#;
    let token = || Some(p.token.clone());
    let vary = app
        .client
        .post(format!("{}/api/v1/getstaff", app.base))
        .header("authorization", &p.token)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(vary.headers()["vary"], "accept-language");
    for (accept, said) in [
        ("", "Сотрудник 999999 не найден"),
        ("ru-RU,ru;q=0.9,en-US;q=0.8", "Сотрудник 999999 не найден"),
        ("de", "Сотрудник 999999 не найден"),
        ("en-US,en;q=0.9", "Employee 999999 not found"),
    ] {
        let answer = call(accept, "/api/v1/createmessage", token(), unknown).await;
        assert_eq!(answer.failed(404), said, "{accept}");
    }
    let en = "en";
    let cases = [
        (
            "/api/v1/createmessage",
            token(),
            "{not json",
            400,
            "Malformed JSON: ",
        ),
        (
            "/api/v1/createmessage",
            token(),
            r#"{"staffid": {"x": 1}, "title": "t", "message": "m"}"#,
            400,
            "Wrong request: “staffid”: a string expected",
        ),
        (
            "/api/v1/addstaff",
            token(),
            r#"{"staff": [{"phone": "+79001112233", "name": "Ия"}], "skipinvalid": [true]}"#,
            400,
            "Wrong request: “skipinvalid”: true or false expected",
        ),
        (
            "/api/v1/addstaff",
            token(),
            r#"{"staff": [{"phone": "+79001112233", "name": ["Ия"]}]}"#,
            400,
            "Wrong request: “staff[0].name”: ",
        ),
        (
            "/api/v1/createmessage",
            None,
            "{}",
            401,
            "Authorization required",
        ),
        (
            "/api/v1/createmessage",
            Some("simo_p_wrong".to_owned()),
            "{}",
            401,
            "Wrong or expired authorization token",
        ),
        (
            "/api/v1/nosuchmethod",
            token(),
            "{}",
            404,
            "No such API method",
        ),
        (
            "/api/v1/createmessage",
            Some(e.token.clone()),
            "{}",
            403,
            "This method takes a partner's token only",
        ),
    ];
    for (path, token, body, status, said) in cases {
        let error = call(en, path, token, body.as_bytes()).await.failed(status);
        assert!(error.starts_with(said), "{path}: {error}");
    }
    // Success bodies keep the guide's words whatever the language.
    let sent = app
        .call_with(
            "POST",
            "/api/v1/auth",
            None,
            &[("accept-language", b"en")],
            Some(
                json!({"inn": p.inn, "phone": "+79990000001", "staffname": "Петров", "device": "android"})
                    .to_string()
                    .into_bytes(),
            ),
        )
        .await;
    assert_eq!(
        sent.ok()["message"],
        "Вам отправлен код подтверждения телефона"
    );
}

/// `SIMO_PARTNER_RATE`: one company's runaway integration is refused with a 429 in the envelope
/// (nothing stored for a refused call); another company and the employees' apps go on.
async fn a_company_over_its_rate_gets_429_and_the_others_go_on(_app: TestApp) {
    let app = spawn_app_with(_app.db, |s| {
        s.apply("partner_rate", "1").unwrap();
        s.apply("partner_burst", "3").unwrap();
    })
    .await
    .unwrap();
    let p = app.create_partner(INN_A).await;
    let other = app.create_partner(INN_B).await;
    let e = app.login(&p.inn, PHONE, "Иванов").await;
    let theirs = app.login(&other.inn, "+79001110009", "Петров").await;

    // Three at once, then one a second: however slow this machine, twenty calls made as fast
    // as it goes cannot all pass.
    let started = std::time::Instant::now();
    let (mut passed, mut refused) = (0, Vec::new());
    for i in 0..20 {
        let answer = app.create_message(&p, &e.id, &format!("№{i}"), "т").await;
        match answer.status {
            200 => passed += 1,
            _ => refused.push(answer),
        }
    }
    let allowed = 3 + started.elapsed().as_secs() as usize + 1;
    assert!(
        passed >= 3 && passed <= allowed,
        "{passed} passed, {allowed} allowed"
    );
    let first = refused.first().expect("some were refused");
    assert_eq!(first.status, 429, "{first:?}");
    assert!(
        first.failed(429).starts_with("Слишком много запросов"),
        "{first:?}"
    );
    assert_eq!(first.retry_after.as_deref(), Some("1"), "{first:?}");
    let stored = format!("SELECT COUNT(*) FROM messages WHERE staff_id = {}", e.id);
    assert_eq!(
        app.count(&stored).await,
        passed as i64,
        "nothing stored for a refusal"
    );

    app.create_message(&other, &theirs.id, "Другая компания", "т")
        .await
        .ok();
    let own = app
        .post(
            "getmessage",
            Some(&e.token),
            json!({"inn": p.inn, "staffid": e.id, "count": 0}),
        )
        .await;
    own.ok();

    // The admin learns it on the dashboard; the other company sees nothing of it.
    let b = crate::cabinet::Browser::new(&app);
    b.partner(&p.inn).await;
    let dashboard = b.get("/cabinet").await;
    let banner = crate::webhook::by_id(&dashboard, "throttled").expect("the banner");
    assert!(banner.contains("(1 в секунду)"), "{banner}");
    assert!(
        banner.contains(&format!("отклонено: {},", refused.len())),
        "{banner}"
    );
    let b = crate::cabinet::Browser::new(&app);
    b.partner(&other.inn).await;
    let theirs = b.get("/cabinet").await;
    assert!(!theirs.body.contains("id=\"throttled\""));
}

/// Twenty `createmessage` as fast as they go: how many passed, and the first refusal.
async fn twenty_calls(app: &TestApp, p: &Partner, staff_id: &str) -> (usize, Option<Answer>) {
    let (mut passed, mut refused) = (0, None);
    for i in 0..20 {
        let answer = app.create_message(p, staff_id, &format!("№{i}"), "т").await;
        match answer.status {
            200 => passed += 1,
            _ => {
                refused.get_or_insert(answer);
            }
        }
    }
    (passed, refused)
}

/// The operator holds one company back to 1 call a second (or lets a large one go faster)
/// without touching the others; the company's journal says so; back to the server's rate.
async fn the_operator_gives_a_company_a_rate_of_its_own(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let other = app.create_partner(INN_B).await;
    let e = app.login(&p.inn, PHONE, "Иванов").await;
    let theirs = app.login(&other.inn, "+79001110009", "Петров").await;
    let op = crate::cabinet::Browser::new(&app);
    op.operator(&app).await;
    let list = op.get("/operator").await;
    let form = format!("action=\"/operator/partners/{}/rate\"", p.id);
    assert!(list.body.contains(&form), "{}", list.body);
    let set = |rate: &'static str| {
        let (op, csrf) = (&op, list.csrf());
        async move {
            op.post(
                &format!("/operator/partners/{}/rate", p.id),
                &[("csrf", &csrf), ("rate", rate)],
            )
            .await
        }
    };
    assert_eq!(set("много").await.status, 400);
    assert_eq!(set("-1").await.status, 400);
    let done = set("1").await;
    assert_eq!(
        done.location.as_deref(),
        Some("/operator?done=partner_rate")
    );

    let started = std::time::Instant::now();
    let (passed, refused) = twenty_calls(&app, &p, &e.id).await;
    let allowed = 1 + started.elapsed().as_secs() as usize + 1;
    assert!(passed <= allowed, "{passed} passed, {allowed} allowed");
    let refused = refused.expect("some were refused");
    assert!(
        refused.failed(429).contains("не больше 1 в секунду"),
        "{refused:?}"
    );
    let (theirs_passed, _) = twenty_calls(&app, &other, &theirs.id).await;
    assert_eq!(theirs_passed, 20, "the server's rate for the others");

    let b = crate::cabinet::Browser::new(&app);
    b.partner(&p.inn).await;
    let entries = crate::cabinet::journal(&b.get("/cabinet/journal").await);
    assert!(
        entries.iter().any(|(_, what, _)| what.contains("— → 1")),
        "{entries:?}"
    );

    assert_eq!(
        set("").await.location.as_deref(),
        Some("/operator?done=partner_rate")
    );
    let (passed, _) = twenty_calls(&app, &p, &e.id).await;
    assert_eq!(passed, 20, "back to the server's rate");
}

/// A TCP proxy in front of the test PostgreSQL that a test can cut and restore: the database's
/// host going off the network and coming back, with the real server behind. Cut, the open
/// connections are dropped and new ones are held with no answer, so that a connection is waited
/// for until the pool gives up, as on a real network fault; restored, those held are closed and
/// new ones go through.
struct Outage {
    url: String,
    up: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<tokio::task::AbortHandle>>>,
    held: Arc<Mutex<Vec<tokio::net::TcpStream>>>,
}

impl Outage {
    async fn start() -> Self {
        let mut url = reqwest::Url::parse(&pg_url()).unwrap();
        let server = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        url.set_host(Some("127.0.0.1")).unwrap();
        url.set_port(Some(listener.local_addr().unwrap().port()))
            .unwrap();
        let up = Arc::new(AtomicBool::new(true));
        let links = Arc::new(Mutex::new(Vec::new()));
        let held = Arc::new(Mutex::new(Vec::new()));
        let (accepting, opened, holding) = (up.clone(), links.clone(), held.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !accepting.load(Ordering::SeqCst) {
                    holding.lock().unwrap().push(client);
                    continue;
                }
                let server = server.clone();
                let link = tokio::spawn(async move {
                    let mut upstream = tokio::net::TcpStream::connect(&server).await.unwrap();
                    // Either side closing ends the link; how is no matter here.
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                });
                opened.lock().unwrap().push(link.abort_handle());
            }
        });
        Self {
            url: url.to_string(),
            up,
            links,
            held,
        }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }

    /// New connections are held with no answer while those open go on: a host name that no
    /// longer resolves, or a firewall that drops new connections.
    fn refuse_new(&self) {
        self.up.store(false, Ordering::SeqCst);
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
        self.held.lock().unwrap().clear();
    }
}

/// PostgreSQL gone: calls are answered 503 in the envelope with `Retry-After`, the cabinet
/// says so on a page of its own, and nothing is stored by halves. Once the outage is known,
/// calls are refused at once rather than each after the pool's wait. Back: calls go through
/// again, with what was stored before the outage still there.
#[tokio::test]
async fn a_database_gone_and_back_answers_503_meanwhile_and_loses_nothing() {
    const WAIT: Duration = Duration::from_secs(3);
    let outage = Outage::start().await;
    let Some(app) = spawn_postgres_app_at(&outage.url, WAIT, |s| {
        s.apply("metrics_token", "scrape-secret").unwrap()
    })
    .await
    else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иванов").await;
    app.create_message(&p, &e.id, "До сбоя", "т").await.ok();
    let browser = Browser::new(&app);
    browser.partner(INN_A).await;

    outage.cut();
    let during = app.create_message(&p, &e.id, "Во время сбоя", "т").await;
    let error = during.failed(503);
    assert!(error.contains("нет связи с базой данных"), "{error}");
    assert_eq!(during.retry_after.as_deref(), Some("5"));
    // That 503 had the store probe PostgreSQL, which it finds out of reach.
    eventually("the outage known", || async {
        app.state.store.database_known_down()
    })
    .await;
    let start = Instant::now();
    for _ in 0..20 {
        let read = app
            .get_messages(&p.token, json!({"staffid": e.id, "count": 10}))
            .await;
        let error = read.failed(503);
        assert!(error.contains("нет связи с базой данных"), "{error}");
        assert_eq!(read.retry_after.as_deref(), Some("5"));
    }
    // Each would have waited out the pool: twenty of them, twenty times `WAIT`.
    let took = start.elapsed();
    assert!(took < WAIT, "20 calls during a known outage took {took:?}");
    // The background tasks park until the probe gets through, rather than each waiting out the
    // pool round after round: four push workers, the webhook sender and the scheduler (the
    // reminders and the housekeeping sleep between rounds far longer than this test).
    eventually("the background tasks parked", || async {
        app.state.store.background_waiting() >= 6
    })
    .await;
    // The load balancer is told, and the operator's Prometheus still gets what callers got.
    assert_eq!(readiness(&app).await, 503);
    let metrics = scrape(&app, "scrape-secret").await;
    let parked = metrics["simo_background_tasks_waiting_for_database"];
    assert!(parked >= 6.0, "{parked} parked in {metrics:?}");
    for (series, value) in [
        ("simo_database_up", 0.0),
        (
            "simo_http_requests_total{route=\"getmessage\",status=\"503\"}",
            20.0,
        ),
        (
            "simo_http_requests_total{route=\"createmessage\",status=\"503\"}",
            1.0,
        ),
    ] {
        assert_eq!(metrics.get(series), Some(&value), "{series} in {metrics:?}");
    }
    let page = browser.get("/cabinet").await;
    assert_eq!(page.status, 503, "{}", page.body);
    assert!(
        page.body.contains("Сервис временно недоступен"),
        "{}",
        page.body
    );
    assert_eq!(page.headers["retry-after"], "5");
    // The page's own stylesheet needs no database.
    assert_eq!(browser.get("/cabinet/static/app.css").await.status, 200);

    outage.restore();
    eventually("the database back", || async {
        app.create_message(&p, &e.id, "После сбоя", "т")
            .await
            .status
            == 200
    })
    .await;
    let list = app
        .get_messages(&p.token, json!({"staffid": e.id, "count": 10}))
        .await;
    let titles: Vec<&str> = list
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["После сбоя", "До сбоя"]);
    assert_eq!(browser.get("/cabinet").await.status, 200);
    assert_eq!(readiness(&app).await, 200);
    eventually("the background tasks back at work", || async {
        app.state.store.background_waiting() == 0
    })
    .await;
    let metrics = scrape(&app, "scrape-secret").await;
    assert_eq!(metrics["simo_database_up"], 1.0);
    assert_eq!(metrics["simo_background_tasks_waiting_for_database"], 0.0);
}

/// Stopped (SIGTERM) while PostgreSQL is known to be out of reach, the server does not wait out
/// the pool to give the push workers' handed jobs back: they keep their lease, as when the
/// database fails the give-back, and are pushed once it runs out.
#[tokio::test]
async fn a_server_stopped_during_a_known_outage_stops_at_once() {
    const WAIT: Duration = Duration::from_secs(3);
    let outage = Outage::start().await;
    let Some(mut app) = spawn_postgres_app_at(&outage.url, WAIT, |_| {}).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    app.login(&p.inn, PHONE, "Иванов").await;
    outage.cut();
    app.state.store.suspect_outage();
    eventually("the outage known", || async {
        app.state.store.database_known_down()
    })
    .await;
    let start = Instant::now();
    app.stop().await;
    let took = start.elapsed();
    assert!(took < WAIT, "the stop took {took:?}");
    outage.restore();
}

/// No new connection to PostgreSQL can be made, but the pool's open ones work: the probe a
/// 503 starts finds the database there through them, so calls the pool can serve are not
/// refused at once by a breaker that thinks it down.
#[tokio::test]
async fn a_database_that_takes_no_new_connections_is_not_an_outage_while_open_ones_work() {
    let outage = Outage::start().await;
    let Some(app) = spawn_postgres_app_at(&outage.url, Duration::from_secs(3), |_| {}).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иванов").await;
    app.create_message(&p, &e.id, "До", "т").await.ok();

    outage.refuse_new();
    // As after a 503 of a call that wanted one more connection than the pool had open.
    app.state.store.suspect_outage();
    assert!(app.state.store.probing_outage());
    eventually("the probe done", || async {
        !app.state.store.probing_outage()
    })
    .await;
    assert!(!app.state.store.database_known_down());
    app.create_message(&p, &e.id, "Через открытое соединение", "т")
        .await
        .ok();
    outage.restore();
}

async fn readiness(app: &TestApp) -> u16 {
    let url = format!("{}/readyz", app.base);
    app.client.get(url).send().await.unwrap().status().as_u16()
}

/// PostgreSQL taking no writes for a while (a standby after a failover, or every transaction
/// read-only by default): sends are answered 503 in the envelope, all of a batch at once, reads
/// go on and nothing is stored by halves. Writable again: sends go through.
#[tokio::test]
async fn a_database_that_takes_no_writes_answers_503_to_sends_and_reads_go_on() {
    // A login of its own, whose sessions alone are made read-only.
    const ROLE: &str = "simo_test_standby";
    let Ok(admin) = sqlx::PgPool::connect(&pg_url()).await else {
        assert!(!postgres_required(), "PostgreSQL is required");
        return;
    };
    let sql = |text: String| sqlx::query(sqlx::AssertSqlSafe(text));
    let standby = |on: bool| {
        let setting = match on {
            true => "SET default_transaction_read_only = on",
            false => "RESET default_transaction_read_only",
        };
        (
            format!("ALTER ROLE {ROLE} {setting}"),
            // Its open sessions end; the pool's next ones start as the role now says.
            format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{ROLE}'"
            ),
        )
    };
    sql(format!(
        "DO $$ BEGIN CREATE ROLE {ROLE} LOGIN SUPERUSER; \
         EXCEPTION WHEN duplicate_object THEN NULL; END $$"
    ))
    .execute(&admin)
    .await
    .unwrap();
    let (reset, _) = standby(false);
    sql(reset).execute(&admin).await.unwrap();
    let mut url = reqwest::Url::parse(&pg_url()).unwrap();
    url.set_username(ROLE).unwrap();
    let Some(app) = spawn_postgres_app_at(url.as_str(), Duration::from_secs(3), |_| {}).await
    else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иванов").await;
    app.create_message(&p, &e.id, "До", "т").await.ok();

    let (alter, end_sessions) = standby(true);
    sql(alter).execute(&admin).await.unwrap();
    sql(end_sessions).execute(&admin).await.unwrap();
    let texts: Vec<String> = (0..8).map(|i| format!("т {i}")).collect();
    let sends = texts
        .iter()
        .map(|text| app.create_message(&p, &e.id, "Во время", text));
    for during in futures_util::future::join_all(sends).await {
        let error = during.failed(503);
        assert!(error.contains("только для чтения"), "{error}");
        assert_eq!(during.retry_after.as_deref(), Some("5"));
    }
    let read = app
        .get_messages(&p.token, json!({"staffid": e.id, "count": 10}))
        .await;
    assert_eq!(
        read.ok().as_array().unwrap().len(),
        1,
        "only the first stored"
    );

    let (reset, end_sessions) = standby(false);
    sql(reset).execute(&admin).await.unwrap();
    sql(end_sessions).execute(&admin).await.unwrap();
    app.create_message(&p, &e.id, "После", "т").await.ok();
    let read = app
        .get_messages(&p.token, json!({"staffid": e.id, "count": 10}))
        .await;
    assert_eq!(read.ok().as_array().unwrap().len(), 2);
    admin.close().await;
}

/// Slow or silent clients cannot hold the server's sockets: a connection that sends nothing,
/// one whose headers stop halfway, a keep-alive one idle after its answer, and an HTTP/2 one
/// with no stream open are each closed once `SIMO_REQUEST_READ_TIMEOUT_SECS` has passed; a
/// request sent in time is answered.
#[tokio::test]
async fn connections_that_send_nothing_or_half_their_headers_are_closed() {
    let Some((_app, addr)) = reads_timing_out().await else {
        return;
    };
    let mut silent = connected(&addr, b"").await;
    let mut halfway = connected(&addr, b"POST /api/v1/getstaff HTTP/1.1\r\nHost: simo\r\n").await;
    let mut idle = connected(&addr, b"GET /healthz HTTP/1.1\r\nHost: simo\r\n\r\n").await;
    // HTTP/2 with prior knowledge: the preface and an empty SETTINGS frame, then nothing.
    let mut h2 = connected(
        &addr,
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0",
    )
    .await;

    let (_, _, answered, h2) = tokio::join!(
        until_closed(&mut silent),
        until_closed(&mut halfway),
        until_closed(&mut idle),
        until_closed(&mut h2),
    );
    let answered = String::from_utf8_lossy(&answered);
    assert!(answered.starts_with("HTTP/1.1 200"), "{answered}");
    assert!(answered.ends_with("\r\n\r\nok"), "{answered}");
    // The server's SETTINGS first, and a GOAWAY before it closed: closed, and said so.
    const SETTINGS: u8 = 0x4;
    const GOAWAY: u8 = 0x7;
    let kinds = frame_kinds(&h2);
    assert_eq!(kinds.first(), Some(&SETTINGS), "{kinds:?}");
    assert!(kinds.contains(&GOAWAY), "{kinds:?}");
}

/// The types of the HTTP/2 frames in `bytes`, in order.
fn frame_kinds(mut bytes: &[u8]) -> Vec<u8> {
    let mut kinds = Vec::new();
    while bytes.len() >= 9 {
        let len = usize::from(bytes[0]) << 16 | usize::from(bytes[1]) << 8 | usize::from(bytes[2]);
        kinds.push(bytes[3]);
        bytes = &bytes[(9 + len).min(bytes.len())..];
    }
    kinds
}

/// A body that trickles in is cut off at the request read timeout: the API answers 408 in the
/// envelope, and a cabinet form gets a 408 page that says why; neither holds its connection
/// longer.
#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_is_refused() {
    let Some((_app, addr)) = reads_timing_out().await else {
        return;
    };
    let mut api = connected(
        &addr,
        b"POST /api/v1/auth HTTP/1.1\r\nHost: simo\r\nContent-Type: application/json\r\n\
          Content-Length: 100\r\n\r\n{\"inn\":",
    )
    .await;
    let mut form = connected(
        &addr,
        b"POST /cabinet/login HTTP/1.1\r\nHost: simo\r\n\
          Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ninn=77",
    )
    .await;

    let (api, form) = tokio::join!(until_closed(&mut api), until_closed(&mut form));
    let api = String::from_utf8_lossy(&api);
    assert!(api.starts_with("HTTP/1.1 408"), "{api}");
    assert!(api.contains("Тело запроса не получено за 1 с"), "{api}");
    let form = String::from_utf8_lossy(&form);
    assert!(form.starts_with("HTTP/1.1 408"), "{form}");
    assert!(form.contains("Форма не пришла целиком за 1 с"), "{form}");
}

/// An app whose clients have a second to send a request's headers, and again its body; with its
/// address for raw connections.
async fn reads_timing_out() -> Option<(TestApp, String)> {
    let app = spawn_app_with(Db::Sqlite, |s| s.request_read_timeout_secs = 1).await?;
    let addr = app.base.trim_start_matches("http://").to_owned();
    Some((app, addr))
}

/// A raw connection to `addr` that has sent `bytes`.
async fn connected(addr: &str, bytes: &[u8]) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    conn.write_all(bytes).await.unwrap();
    conn
}

/// What the server sends on a raw connection until it closes it.
async fn until_closed(conn: &mut tokio::net::TcpStream) -> Vec<u8> {
    use tokio::io::AsyncReadExt;
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        let read = tokio::time::timeout(Duration::from_secs(20), conn.read(&mut buf))
            .await
            .expect("the connection is still open 20 s on");
        match read {
            Ok(0) | Err(_) => return got,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
}
