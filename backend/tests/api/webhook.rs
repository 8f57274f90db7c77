//! Delivery-status webhooks: set in the cabinet, posted by the server to a receiver on loopback
//! that checks the signature the way the docs tell a partner to, failing on demand.

use crate::cabinet::{Browser, Page, journal};
use crate::helpers::*;
use crate::push::{employee_with_device, eventually, on_both_databases, push_app, send};
use hmac::{Hmac, Mac};
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::web::Path;
use poem::{EndpointExt, Request, Response, Route, Server, handler, post};
use serde_json::{Value, json};
use sha2::Sha256;
use simo_backend::config::Settings;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

on_both_databases!(
    status_changes_reach_each_partners_webhook_signed_retried_and_only_theirs,
    a_failing_webhook_is_tried_again_later_drops_what_is_too_old_and_can_be_turned_off,
    addresses_in_our_own_network_are_refused_unless_allowed,
    employee_events_reach_the_webhook_only_when_asked_for,
    an_employee_the_company_adds_is_added_then_registered_on_the_webhook,
    an_acknowledgment_reaches_the_webhook_as_a_status,
);

/// One POST the receiver got.
#[derive(Clone, Debug)]
struct Received {
    path: String,
    timestamp: String,
    signature: String,
    delivery: String,
    body: Vec<u8>,
    /// What the receiver answered.
    answered: u16,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    /// What a partner's endpoint computes (see the cabinet's docs) equals what came.
    fn signed_with(&self, secret: &str) -> bool {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(self.timestamp.as_bytes());
        mac.update(b".");
        mac.update(&self.body);
        self.signature == format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    }
}

/// A partner's endpoint: records every POST and answers with the next queued status (200 when
/// none is queued).
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    answers: Arc<Mutex<VecDeque<u16>>>,
    /// Answer this to everything, queued answers aside.
    always: Arc<Mutex<Option<u16>>>,
    /// Paths that answer 503 to everything.
    down: Arc<Mutex<Vec<String>>>,
    base: String,
}

#[handler]
async fn receive(req: &Request, Path(path): Path<String>, body: Vec<u8>) -> Response {
    let r = req.data::<Receiver>().expect("receiver data").clone();
    let header = |name: &str| req.header(name).map(str::to_owned).unwrap_or_default();
    let answered = if r.down.lock().unwrap().contains(&path) {
        503
    } else {
        match r.answers.lock().unwrap().pop_front() {
            Some(status) => status,
            None => r.always.lock().unwrap().unwrap_or(200),
        }
    };
    r.got.lock().unwrap().push(Received {
        path,
        timestamp: header("x-simo-timestamp"),
        signature: header("x-simo-signature"),
        delivery: header("x-simo-delivery"),
        body,
        answered,
    });
    let status = poem::http::StatusCode::from_u16(answered).unwrap();
    let mut resp = Response::builder().status(status);
    if status.is_redirection() {
        resp = resp.header("location", format!("{}/elsewhere", r.base));
    }
    resp.body("receiver says so")
}

impl Receiver {
    async fn start() -> Self {
        let acceptor = TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .unwrap();
        let port = acceptor.local_addr()[0].as_socket_addr().unwrap().port();
        let r = Self {
            base: format!("http://127.0.0.1:{port}"),
            ..Self::default()
        };
        let app = Route::new().at("/:path", post(receive)).data(r.clone());
        tokio::spawn(Server::new_with_acceptor(acceptor).run(app));
        r
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.base)
    }

    fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Every event the endpoint accepted at `path`, in the order posted, with the repeats.
    fn accepted_events(&self, path: &str) -> Vec<Value> {
        self.got()
            .iter()
            .filter(|r| r.path == path && (200..300).contains(&r.answered))
            .flat_map(|r| r.json()["events"].as_array().unwrap().clone())
            .collect()
    }

    /// Every employee event the endpoint accepted at `path`, in the order posted.
    fn accepted_staff(&self, path: &str) -> Vec<Value> {
        self.got()
            .iter()
            .filter(|r| r.path == path && (200..300).contains(&r.answered))
            .flat_map(|r| r.json()["staff"].as_array().cloned().unwrap_or_default())
            .collect()
    }

    async fn wait_staff(&self, path: &str, staffid: &str, event: &str) -> Value {
        let find = || {
            self.accepted_staff(path)
                .into_iter()
                .find(|e| e["staffid"] == staffid && e["event"] == event)
        };
        eventually(
            &format!("{event} of employee {staffid} at /{path}"),
            || async { find().is_some() },
        )
        .await;
        find().unwrap()
    }

    async fn wait_event(&self, path: &str, messageid: &str, status: &str) -> Value {
        eventually(&format!("{status} of {messageid} at /{path}"), || async {
            self.accepted_events(path)
                .iter()
                .any(|e| e["messageid"] == messageid && e["status"] == status)
        })
        .await;
        self.accepted_events(path)
            .into_iter()
            .find(|e| e["messageid"] == messageid && e["status"] == status)
            .unwrap()
    }
}

/// The spec the server serves.
async fn served_spec(app: &TestApp) -> Value {
    let url = format!("{}/api/openapi.json", app.base);
    app.client
        .get(url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The properties of the spec's schema `name`, sorted.
fn properties(spec: &Value, name: &str) -> Vec<String> {
    let schema = &spec["components"]["schemas"][name]["properties"];
    assert!(schema.is_object(), "{name} in the spec");
    keys(schema)
}

/// A JSON object's keys, sorted.
fn keys(object: &Value) -> Vec<String> {
    let mut keys: Vec<String> = object.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

fn quick_webhooks(s: &mut Settings) {
    s.apply("webhook_poll_ms", "30").unwrap();
    s.apply("webhook_retry_base_ms", "50").unwrap();
    s.apply("webhook_retry_max_secs", "1").unwrap();
    s.apply("webhook_allow_private", "true").unwrap();
    s.apply("metrics_token", "scrape-secret").unwrap();
}

/// The text of the element with this id (no nested tags), entities of URLs decoded.
pub(crate) fn by_id(page: &Page, id: &str) -> Option<String> {
    let mark = format!("id=\"{id}\"");
    let after = page.body.split(&mark).nth(1)?;
    let inner = after.split_once('>')?.1;
    Some(
        inner
            .split('<')
            .next()?
            .replace("&#38;", "&")
            .replace("&#34;", "\"")
            .trim()
            .to_owned(),
    )
}

/// The page's latest attempts: (ok or failed, result, events), newest first.
fn attempt_rows(page: &Page) -> Vec<(String, String, String)> {
    let Some(table) = page.body.split("id=\"attempts\"").nth(1) else {
        return Vec::new();
    };
    let cell = |row: &str, label: &str| -> String {
        let after = row
            .split(&format!("data-label=\"{label}\""))
            .nth(1)
            .unwrap_or_default();
        let inner = after.split_once('>').map_or("", |(_, rest)| rest);
        let text = inner.split("</td>").next().unwrap_or_default();
        // The badge's tag out: what follows it is the result.
        text.rsplit("</span>")
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned()
    };
    table
        .split("<tr class=\"attempt-")
        .skip(1)
        .map(|row| {
            let kind = row.split('"').next().unwrap_or_default().to_owned();
            (kind, cell(row, "Результат"), cell(row, "Событий"))
        })
        .collect()
}

async fn set_webhook(b: &Browser, url: &str) -> Page {
    let page = b.get("/cabinet/webhook").await;
    b.post(
        "/cabinet/webhook",
        &[("csrf", &page.csrf()), ("do", "save"), ("url", url)],
    )
    .await
}

async fn act(b: &Browser, action: &str) -> Page {
    let page = b.get("/cabinet/webhook").await;
    b.post(
        "/cabinet/webhook",
        &[("csrf", &page.csrf()), ("do", action)],
    )
    .await
}

/// A server whose partner (INN_A, signed in to the cabinet) has its webhook at `/a` of a
/// fresh receiver.
async fn hooked(db: Db) -> Option<(TestApp, Receiver, Partner, Browser)> {
    let app = push_app(db, quick_webhooks).await?;
    let rx = Receiver::start().await;
    let p = app.create_partner(INN_A).await;
    let a = Browser::new(&app);
    a.partner(&p.inn).await;
    assert_eq!(set_webhook(&a, &rx.url("a")).await.status, 303);
    Some((app, rx, p, a))
}

async fn outbox(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM webhook_outbox").await
}

async fn status_changes_reach_each_partners_webhook_signed_retried_and_only_theirs(db: Db) {
    let Some(app) = push_app(db, quick_webhooks).await else {
        return;
    };
    let rx = Receiver::start().await;
    let pa = app.create_partner(INN_A).await;
    let pb = app.create_partner(INN_B).await;
    let ea = employee_with_device(&app, &pa, PHONE, "token-a", "android").await;

    // Before the webhook is on, status changes queue nothing.
    let m0 = send(&app, &pa, &ea, "До вебхука").await;
    crate::push::wait_status(&app, &pa, &ea, &m0, "sent").await;
    assert_eq!(outbox(&app).await, 0);

    let a = Browser::new(&app);
    a.partner(&pa.inn).await;
    let page = a.get("/cabinet/webhook").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("id=\"webhook-off-state\""),
        "{}",
        page.body
    );
    // A refused address keeps what was typed and says why; nothing is stored.
    let refused = set_webhook(&a, "ftp://erp.example.ru/hook").await;
    assert_eq!(refused.status, 400);
    assert!(by_id(&refused, "url-error").unwrap().contains("https://"));
    assert!(refused.body.contains("value=\"ftp://erp.example.ru/hook\""));
    assert!(app.state.store.webhook(pa.id).await.unwrap().is_none());

    let on = set_webhook(&a, &rx.url("a")).await;
    assert_eq!(on.status, 303, "{}", on.body);
    assert_eq!(
        on.location.as_deref(),
        Some("/cabinet/webhook?done=webhook_on")
    );
    let page = a.get("/cabinet/webhook?done=webhook_on").await;
    let secret_a = by_id(&page, "webhook-secret").expect("the secret is shown");
    assert!(secret_a.starts_with("whsec_"), "{secret_a}");
    assert!(page.body.contains(&format!("value=\"{}\"", rx.url("a"))));

    // Partner B's webhook goes elsewhere; its secret is its own.
    let b = Browser::new(&app);
    b.partner(&pb.inn).await;
    assert_eq!(set_webhook(&b, &rx.url("b")).await.status, 303);
    let secret_b = by_id(&b.get("/cabinet/webhook").await, "webhook-secret").unwrap();
    assert_ne!(secret_a, secret_b);

    // The test delivery: posted at once, signed, its outcome on the page.
    let tested = act(&a, "test").await;
    assert_eq!(tested.status, 200);
    let result = by_id(&tested, "test-result").unwrap();
    assert!(
        result.starts_with("Проверочный запрос принят: HTTP 200"),
        "{result}"
    );
    let test = rx.got().into_iter().find(|r| r.path == "a").unwrap();
    assert!(test.signed_with(&secret_a));
    assert!(!test.signed_with(&secret_b));
    assert_eq!(
        test.json(),
        json!({"inn": pa.inn, "test": true, "events": []})
    );
    let ts: i64 = test.timestamp.parse().unwrap();
    let now = simo_backend::domain::now_millis() / 1000;
    assert!((now - ts).abs() < 300, "{ts} vs {now}");
    assert_eq!(test.delivery.len(), 36, "a UUID per post");

    // Pushed, then read in the app: both reach A's endpoint, signed, with the message's data.
    let m1 = send(&app, &pa, &ea, "После вебхука").await;
    let sent = rx.wait_event("a", &m1, "sent").await;
    assert_eq!(sent["staffid"], ea.id);
    assert_eq!(sent["statusname"], "Отправлено");
    assert!(
        sent["eventid"].as_str().unwrap().parse::<i64>().is_ok(),
        "{sent}"
    );
    assert!(sent["date"].as_str().unwrap().ends_with("+03:00"), "{sent}");
    // What the message is and who sent it: the main key here.
    assert_eq!(
        (&sent["title"], &sent["source"], &sent["sentby"]),
        (&json!("После вебхука"), &json!("api"), &json!("api")),
        "{sent}"
    );
    // The spec's `webhooks` describes what comes, field for field.
    let spec = served_spec(&app).await;
    assert_eq!(properties(&spec, "WebhookEvent"), keys(&sent));
    assert_eq!(
        keys(&test.json()),
        ["events", "inn", "test"],
        "no staff field unless asked for"
    );
    assert_eq!(
        properties(&spec, "WebhookPayload"),
        ["events", "inn", "staff", "test"]
    );
    let headers: Vec<&str> = spec["webhooks"]["messagestatus"]["post"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        headers,
        ["X-Simo-Timestamp", "X-Simo-Signature", "X-Simo-Delivery"]
    );
    app.post(
        "messagestatus",
        Some(&ea.token),
        json!({"messageids": [m1], "status": "read"}),
    )
    .await
    .ok();
    let read = rx.wait_event("a", &m1, "read").await;
    assert_eq!(read["statusname"], "Прочитано");
    assert_ne!(read["eventid"], sent["eventid"]);
    for r in rx.got().iter().filter(|r| r.path == "a") {
        assert!(r.signed_with(&secret_a), "{r:?}");
        assert_eq!(r.json()["inn"], pa.inn);
    }
    // The message before the webhook never shows up.
    assert!(!rx.accepted_events("a").iter().any(|e| e["messageid"] == m0));

    // The endpoint fails twice: the same events come again, with the same IDs, until accepted.
    rx.answers.lock().unwrap().extend([500, 503]);
    let m2 = send(&app, &pa, &ea, "Повтор").await;
    let accepted = rx.wait_event("a", &m2, "sent").await;
    let tries: Vec<Received> = rx
        .got()
        .into_iter()
        .filter(|r| {
            r.path == "a"
                && r.json()["events"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e["messageid"] == m2)
        })
        .collect();
    assert_eq!(
        tries.iter().map(|r| r.answered).collect::<Vec<_>>(),
        [500, 503, 200]
    );
    for t in &tries {
        let ids: Vec<Value> = t.json()["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["messageid"] == m2)
            .map(|e| e["eventid"].clone())
            .collect();
        assert_eq!(ids, [accepted["eventid"].clone()]);
    }
    assert_ne!(tries[0].delivery, tries[1].delivery);
    eventually("nothing left waiting", || async { outbox(&app).await == 0 }).await;
    let page = a.get("/cabinet/webhook").await;
    assert_eq!(by_id(&page, "webhook-pending").as_deref(), Some("0"));
    assert!(
        by_id(&page, "webhook-last-error").is_none(),
        "cleared by the success"
    );
    assert!(by_id(&a.get("/cabinet").await, "webhook-failing").is_none());
    // The latest attempts, newest first: the success, the two failures, ..., the test.
    let attempts = attempt_rows(&page);
    assert_eq!(attempts[0].0, "ok", "{attempts:?}");
    assert!(attempts[0].1.starts_with("HTTP 200, "), "{attempts:?}");
    assert_eq!(attempts[1].0, "failed");
    assert!(
        attempts[1].1.starts_with("HTTP 503: receiver says so ("),
        "{attempts:?}"
    );
    assert!(
        attempts[2].1.starts_with("HTTP 500: receiver says so ("),
        "{attempts:?}"
    );
    assert_eq!(attempts.last().unwrap().2, "проверка", "{attempts:?}");
    assert!(
        !by_id(&page, "webhook-last-success")
            .unwrap()
            .contains("ещё")
    );

    // While A's endpoint is down with an event of A's waiting, B's bulk to an employee without
    // a device: `no_device` at once, to B's endpoint only, and A's event not with it (on
    // PostgreSQL the bulk is one statement of CTEs: the trigger sees its rows).
    rx.down.lock().unwrap().push("a".into());
    let mx = send(&app, &pa, &ea, "Пока лежит").await;
    eventually("A's endpoint refused the event", || async {
        rx.got()
            .iter()
            .any(|r| r.path == "a" && r.answered == 503 && r.json()["events"][0]["messageid"] == mx)
    })
    .await;
    let eb = app.login(&pb.inn, "+79233381639", "Без телефона").await;
    let bulk = app
        .post(
            "createmessagebulk",
            Some(&pb.token),
            json!({"inn": pb.inn, "staffids": [eb.id], "title": "Всем", "message": "Текст"}),
        )
        .await
        .ok()
        .clone();
    let mb = bulk["messages"][0]["messageid"]
        .as_str()
        .unwrap()
        .to_owned();
    let nd = rx.wait_event("b", &mb, "no_device").await;
    assert_eq!(nd["staffid"], eb.id);
    assert!(
        nd["detail"].as_str().unwrap().contains("нет push-токена"),
        "{nd}"
    );
    for r in rx.got().iter().filter(|r| r.path == "b") {
        assert!(r.signed_with(&secret_b));
        assert_eq!(r.json()["inn"], pb.inn);
    }
    let a_ids: Vec<Value> = rx
        .accepted_events("a")
        .iter()
        .map(|e| e["messageid"].clone())
        .collect();
    assert!(
        !a_ids.contains(&json!(mb)),
        "B's message reached A: {a_ids:?}"
    );
    assert!(
        rx.accepted_events("b").iter().all(|e| e["messageid"] == mb),
        "only B's message at B"
    );
    rx.down.lock().unwrap().clear();
    rx.wait_event("a", &mx, "sent").await;
    assert!(
        rx.got()
            .iter()
            .filter(|r| r.path == "b")
            .all(|r| r.json()["events"]
                .as_array()
                .unwrap()
                .iter()
                .all(|e| e["messageid"] == mb)),
        "A's event posted to B"
    );

    // A new secret signs from the next post on.
    assert_eq!(act(&a, "rotate").await.status, 303);
    let secret_a2 = by_id(&a.get("/cabinet/webhook").await, "webhook-secret").unwrap();
    assert_ne!(secret_a2, secret_a);
    let m3 = send(&app, &pa, &ea, "Новый секрет").await;
    rx.wait_event("a", &m3, "sent").await;
    let last = rx.got().into_iter().rev().find(|r| r.path == "a").unwrap();
    assert!(last.signed_with(&secret_a2) && !last.signed_with(&secret_a));

    // Pointing it elsewhere keeps the secret; the journal names both addresses.
    assert_eq!(set_webhook(&a, &rx.url("a2")).await.status, 303);
    let page = a.get("/cabinet/webhook").await;
    assert_eq!(by_id(&page, "webhook-secret"), Some(secret_a2.clone()));
    let entries = journal(&a.get("/cabinet/journal").await);
    let actions: Vec<&str> = entries.iter().map(|(_, what, _)| what.as_str()).collect();
    assert_eq!(
        actions[..3],
        [
            format!("Адрес вебхука изменён: {} → {}", rx.url("a"), rx.url("a2")).as_str(),
            "Новый секрет подписи вебхука",
            format!("Вебхук включён: {}", rx.url("a")).as_str(),
        ]
    );

    // Forms the page does not make are refused and change nothing.
    let page = a.get("/cabinet/webhook").await;
    let odd = a
        .post(
            "/cabinet/webhook",
            &[("csrf", &page.csrf()), ("do", "explode")],
        )
        .await;
    assert_eq!(odd.status, 400);
    let forged = a
        .post(
            "/cabinet/webhook",
            &[("csrf", &"0".repeat(64)), ("do", "off")],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert!(app.state.store.webhook(pa.id).await.unwrap().is_some());
    // The sender's posts in the metrics, as the receiver counted them (the tests aside).
    let posts = |answered_ok: bool| {
        rx.got()
            .iter()
            .filter(|r| !r.json()["test"].as_bool().unwrap())
            .filter(|r| (200..300).contains(&r.answered) == answered_ok)
            .count() as f64
    };
    eventually("the metrics count every post", || async {
        let m = crate::metrics::scrape(&app, "scrape-secret").await;
        m.get("simo_webhook_posts_total{result=\"ok\"}") == Some(&posts(true))
            && m.get("simo_webhook_posts_total{result=\"failed\"}") == Some(&posts(false))
    })
    .await;
    let m = crate::metrics::scrape(&app, "scrape-secret").await;
    let delivered = rx.accepted_events("a").len()
        + rx.accepted_events("b").len()
        + rx.accepted_events("a2").len();
    assert_eq!(m["simo_webhook_events_delivered_total"], delivered as f64);
    // English.
    let en = a.get("/cabinet/webhook?lang=en").await;
    assert!(en.body.contains("Signing secret"), "{}", en.body);
    // Logged out: the login page.
    let stranger = Browser::new(&app).get("/cabinet/webhook").await;
    assert_eq!(stranger.status, 303);
}

async fn a_failing_webhook_is_tried_again_later_drops_what_is_too_old_and_can_be_turned_off(
    db: Db,
) {
    let Some(app) = push_app(db, quick_webhooks).await else {
        return;
    };
    let rx = Receiver::start().await;
    *rx.always.lock().unwrap() = Some(500);
    let pa = app.create_partner(INN_A).await;
    let ea = employee_with_device(&app, &pa, PHONE, "token-a", "android").await;
    let a = Browser::new(&app);
    a.partner(&pa.inn).await;
    assert_eq!(set_webhook(&a, &rx.url("a")).await.status, 303);
    let tested = act(&a, "test").await;
    let result = by_id(&tested, "test-result").unwrap();
    assert_eq!(
        result,
        "Проверочный запрос не принят: HTTP 500: receiver says so"
    );

    // An event queued four days ago (the keep time is 72 hours) and a fresh one.
    let old = simo_backend::domain::now_millis() - 96 * 3600 * 1000;
    app.state
        .store
        .execute_script(&format!(
            "INSERT INTO webhook_outbox (partner_id, event_id, message_id, staff_id, status, detail, created_at)
             VALUES ({}, 999999, 999999, 1, 'read', NULL, {old})",
            pa.id
        ))
        .await
        .unwrap();
    let m1 = send(&app, &pa, &ea, "Не дойдёт").await;
    eventually("a few failed tries", || async {
        rx.got().iter().filter(|r| r.path == "a").count() >= 4
    })
    .await;
    eventually("the old event dropped", || async {
        let w = app.state.store.webhook(pa.id).await.unwrap().unwrap();
        w.dropped == 1
    })
    .await;
    let w = app.state.store.webhook(pa.id).await.unwrap().unwrap();
    assert!(w.failures >= 2, "{w:?}");
    assert_eq!(w.pending, 1, "the fresh event waits: {w:?}");
    assert_eq!(w.last_error.as_deref(), Some("HTTP 500: receiver says so"));
    // The dashboard says so too, for an admin who never opens the webhook's page.
    let home = a.get("/cabinet").await;
    let banner = by_id(&home, "webhook-failing").expect("a banner on the dashboard");
    assert!(
        banner.starts_with(
            "Вебхук не принимает события: HTTP 500: receiver says so. Ждут отправки: 1."
        ),
        "{banner}"
    );
    let page = a.get("/cabinet/webhook").await;
    assert_eq!(by_id(&page, "webhook-dropped").as_deref(), Some("1"));
    assert_eq!(by_id(&page, "webhook-pending").as_deref(), Some("1"));
    assert!(by_id(&page, "webhook-failures").is_some());
    assert!(
        by_id(&page, "webhook-last-error")
            .unwrap()
            .ends_with("HTTP 500: receiver says so")
    );
    // The tries after the drop carry the fresh event alone.
    let posted = |r: &Received| -> Vec<Value> {
        r.json()["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["messageid"].clone())
            .collect()
    };
    eventually("a try with the fresh event alone", || async {
        rx.got()
            .iter()
            .filter(|r| r.path == "a")
            .any(|r| posted(r) == [json!(m1)])
    })
    .await;
    let first = rx
        .got()
        .into_iter()
        .find(|r| r.path == "a" && !r.json()["events"].as_array().unwrap().is_empty())
        .unwrap();
    // Before the first failure nothing is dropped: the old event went first.
    assert_eq!(posted(&first)[0], json!("999999"));

    // A redirect is a failure, not followed.
    *rx.always.lock().unwrap() = Some(302);
    let redirected = act(&a, "test").await;
    assert!(
        by_id(&redirected, "test-result")
            .unwrap()
            .contains("HTTP 302 (перенаправления не выполняются)")
    );
    assert!(!rx.got().iter().any(|r| r.path == "elsewhere"));

    // Turned off: the waiting event is gone, nothing more is posted, the page says off.
    let off = act(&a, "off").await;
    assert_eq!(
        off.location.as_deref(),
        Some("/cabinet/webhook?done=webhook_off")
    );
    assert_eq!(outbox(&app).await, 0);
    let page = a.get("/cabinet/webhook?done=webhook_off").await;
    assert!(page.body.contains("id=\"webhook-off-state\""));
    assert!(by_id(&a.get("/cabinet").await, "webhook-failing").is_none());
    assert!(page.body.contains("Вебхук выключен"));
    let posts = rx.got().len();
    let m2 = send(&app, &pa, &ea, "После выключения").await;
    crate::push::wait_status(&app, &pa, &ea, &m2, "sent").await;
    assert_eq!(outbox(&app).await, 0, "no webhook, nothing queued");
    // A round of the sender's poll later, still nothing new.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(rx.got().len(), posts);
    // A test with the webhook off only says it is off.
    let again = act(&a, "test").await;
    assert_eq!(
        again.location.as_deref(),
        Some("/cabinet/webhook?done=webhook_off")
    );
    // The page lists the newest 50 attempts at most, 20 of them (the sender is quiet now).
    let a_row = |i: i64| simo_backend::store::WebhookAttempt {
        url: rx.url("a"),
        events: i,
        test: false,
        http_status: Some(500),
        error: Some("HTTP 500".into()),
        ms: 1,
        created_at: simo_backend::domain::now_millis(),
    };
    for i in 0..60 {
        app.state
            .store
            .record_webhook_attempt(pa.id, &a_row(1000 + i))
            .await
            .unwrap();
    }
    let kept = app.state.store.webhook_attempts(pa.id, 100).await.unwrap();
    assert_eq!(kept.len(), 50);
    assert_eq!(kept[0].events, 1059);
    assert_eq!(kept[49].events, 1010);
    // The sender's own write keeps 50 too (on PostgreSQL its prune sees the log without the
    // row it inserts).
    let now = simo_backend::domain::now_millis();
    for i in 0..3 {
        app.state
            .store
            .webhook_posted(pa.id, &Default::default(), &a_row(2000 + i), now, now)
            .await
            .unwrap();
    }
    let kept = app.state.store.webhook_attempts(pa.id, 100).await.unwrap();
    assert_eq!(kept.len(), 50);
    assert_eq!(kept[0].events, 2002);
    assert_eq!(kept[49].events, 1013);
    let shown = attempt_rows(&a.get("/cabinet/webhook").await);
    assert_eq!(shown.len(), 20);
    assert_eq!(shown[0].2, "2002");

    let entries = journal(&a.get("/cabinet/journal").await);
    assert_eq!(entries[0].1, "Вебхук отключён");
}

async fn addresses_in_our_own_network_are_refused_unless_allowed(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let rx = Receiver::start().await;
    let pa = app.create_partner(INN_A).await;
    let a = Browser::new(&app);
    a.partner(&pa.inn).await;
    for url in [
        rx.url("a"),
        "http://localhost:5432/".to_owned(),
        "http://169.254.169.254/latest/meta-data".to_owned(),
        "http://[::1]/hook".to_owned(),
    ] {
        let page = set_webhook(&a, &url).await;
        assert_eq!(page.status, 400, "{url}");
        let error = by_id(&page, "url-error").unwrap();
        assert!(error.contains("внутреннюю сеть"), "{url}: {error}");
    }
    assert!(app.state.store.webhook(pa.id).await.unwrap().is_none());
    // A public name is taken (nothing is posted until there are events or a test).
    let page = set_webhook(&a, "https://erp.example.ru/simo/webhook").await;
    assert_eq!(page.status, 303);
    assert!(rx.got().is_empty());
}

/// Employee events: off by default (a receiver written for status events sees nothing new),
/// then registered, changed and deleted as they happen, by whatever path, with the employee's
/// staffid, name, phone and state; turned off, none more.
async fn employee_events_reach_the_webhook_only_when_asked_for(db: Db) {
    let Some(app) = push_app(db, quick_webhooks).await else {
        return;
    };
    let rx = Receiver::start().await;
    let pa = app.create_partner(INN_A).await;
    let pb = app.create_partner(INN_B).await;
    let a = Browser::new(&app);
    a.partner(&pa.inn).await;
    assert_eq!(set_webhook(&a, &rx.url("a")).await.status, 303);
    let page = a.get("/cabinet/webhook").await;
    assert_eq!(
        by_id(&page, "webhook-staff-state").as_deref(),
        Some("Не сообщаются")
    );

    // Not asked for yet: a new employee is not told of, and the payload has no staff field.
    let before = employee_with_device(&app, &pa, PHONE, "token-a", "android").await;
    let m = send(&app, &pa, &before, "Первое").await;
    rx.wait_event("a", &m, "sent").await;
    assert!(rx.got().iter().all(|r| r.json().get("staff").is_none()));
    assert_eq!(
        app.count("SELECT COUNT(*) FROM webhook_staff_outbox").await,
        0
    );

    let on = act(&a, "staff_on").await;
    assert_eq!(
        on.location.as_deref(),
        Some("/cabinet/webhook?done=webhook_staff_on")
    );
    let page = a.get("/cabinet/webhook").await;
    assert_eq!(
        by_id(&page, "webhook-staff-state").as_deref(),
        Some("Сообщаются")
    );

    // The app's first login.
    let phone = "+79990007788";
    let e = app.login(&pa.inn, phone, "Смирнова Анна").await;
    let registered = rx.wait_staff("a", &e.id, "registered").await;
    assert_eq!(registered["name"], "Смирнова Анна");
    assert_eq!(registered["phone"], phone);
    assert_eq!(registered["statusnotification"], "enabled");
    assert!(registered["date"].as_str().unwrap().ends_with("+03:00"));
    let first: i64 = registered["eventid"].as_str().unwrap().parse().unwrap();
    // Another partner's new employee is not ours to hear of.
    let theirs = app.login(&pb.inn, "+79990007799", "Чужой").await;

    // Logging in again changes nothing worth telling.
    app.login(&pa.inn, phone, "Смирнова Анна").await;

    // The cabinet switches her off, renames her; the API deletes her.
    let home = a.get("/cabinet/employees").await;
    let off = a
        .post(
            &format!("/cabinet/employees/{}/state", e.id),
            &[("csrf", &home.csrf()), ("state", "disabled")],
        )
        .await;
    assert_eq!(off.status, 303);
    let renamed = a
        .post(
            &format!("/cabinet/employees/{}/rename", e.id),
            &[("csrf", &home.csrf()), ("name", "Смирнова А. В.")],
        )
        .await;
    assert_eq!(renamed.status, 303);
    let gone = app
        .post(
            "deletestaff",
            Some(&pa.token),
            json!({"inn": pa.inn, "staffid": e.id}),
        )
        .await;
    assert_eq!(gone.status, 200, "{:?}", gone.body);
    let deleted = rx.wait_staff("a", &e.id, "deleted").await;
    assert_eq!(deleted["name"], "Смирнова А. В.");

    let hers: Vec<(String, String, String)> = rx
        .accepted_staff("a")
        .iter()
        .filter(|x| x["staffid"] == e.id.as_str())
        .map(|x| {
            let s = |k: &str| x[k].as_str().unwrap().to_owned();
            (s("event"), s("name"), s("statusnotification"))
        })
        .collect();
    let t = |e: &str, n: &str, s: &str| (e.to_owned(), n.to_owned(), s.to_owned());
    assert_eq!(
        hers,
        [
            t("registered", "Смирнова Анна", "enabled"),
            t("changed", "Смирнова Анна", "disabled"),
            t("changed", "Смирнова А. В.", "disabled"),
            t("deleted", "Смирнова А. В.", "disabled"),
        ]
    );
    let ids: Vec<i64> = rx
        .accepted_staff("a")
        .iter()
        .map(|x| x["eventid"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]) && ids[0] == first,
        "{ids:?}"
    );
    assert!(
        rx.accepted_staff("a")
            .iter()
            .all(|x| x["staffid"] != theirs.id.as_str() && x["staffid"] != before.id.as_str()),
        "only this partner's, only after it asked"
    );
    // The spec's WebhookStaffEvent is what came, field for field.
    let spec = served_spec(&app).await;
    assert_eq!(properties(&spec, "WebhookStaffEvent"), keys(&deleted));

    // Turned off: none more, and the journal has both.
    let off = act(&a, "staff_off").await;
    assert_eq!(
        off.location.as_deref(),
        Some("/cabinet/webhook?done=webhook_staff_off")
    );
    let told = rx.accepted_staff("a").len();
    let late = app.login(&pa.inn, "+79990007766", "Поздний").await;
    let m = send(&app, &pa, &before, "После").await;
    rx.wait_event("a", &m, "sent").await;
    assert_eq!(rx.accepted_staff("a").len(), told, "{}", late.id);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM webhook_staff_outbox").await,
        0
    );
    let entries = journal(&a.get("/cabinet/journal").await);
    let actions: Vec<&str> = entries.iter().map(|(_, what, _)| what.as_str()).collect();
    assert!(
        actions.contains(&"Вебхук сообщает о сотрудниках")
            && actions.contains(&"Вебхук больше не сообщает о сотрудниках"),
        "{actions:?}"
    );
}

/// `addstaff` tells of an `added` employee; their first login is then `registered`, once.
async fn an_employee_the_company_adds_is_added_then_registered_on_the_webhook(db: Db) {
    let Some((app, rx, p, a)) = hooked(db).await else {
        return;
    };
    act(&a, "staff_on").await;
    let phone = "+79990007788";
    let listed = app
        .post(
            "addstaff",
            Some(&p.token),
            json!({"inn": p.inn, "staff": [{"phone": phone, "name": "Смирнова Анна"}]}),
        )
        .await;
    let id = listed.ok()["staff"][0]["staffid"]
        .as_str()
        .unwrap()
        .to_owned();
    let added = rx.wait_staff("a", &id, "added").await;
    assert_eq!(added["name"], "Смирнова Анна");
    assert_eq!(added["phone"], phone);
    assert_eq!(added["statusnotification"], "enabled");
    let e = app.login(&p.inn, phone, "Анна").await;
    assert_eq!(e.id, id);
    rx.wait_staff("a", &id, "registered").await;
    // Logging in again and registering a push token are nothing new.
    let e = app.login(&p.inn, phone, "Анна").await;
    crate::push::set_device(&app, &e, "token-a", "android").await;
    let m = send(&app, &p, &e, "После входа").await;
    rx.wait_event("a", &m, "sent").await;
    // A new SIM: the admin changes her phone.
    let list = a.get("/cabinet/employees").await;
    let moved = a
        .post(
            &format!("/cabinet/employees/{id}/rename"),
            &[
                ("csrf", &list.csrf()),
                ("name", "Смирнова Анна"),
                ("phone", "+79990007789"),
            ],
        )
        .await;
    assert_eq!(moved.status, 303, "{}", moved.body);
    rx.wait_staff("a", &id, "changed").await;
    let events: Vec<(String, String, String)> = rx
        .accepted_staff("a")
        .iter()
        .map(|x| {
            let s = |k: &str| x[k].as_str().unwrap().to_owned();
            (s("event"), s("name"), s("phone"))
        })
        .collect();
    let t = |e: &str, p: &str| (e.to_owned(), "Смирнова Анна".to_owned(), p.to_owned());
    assert_eq!(
        events,
        [
            t("added", phone),
            t("registered", phone),
            t("changed", "+79990007789")
        ]
    );
}

async fn an_acknowledgment_reaches_the_webhook_as_a_status(db: Db) {
    let Some((app, rx, p, _cabinet)) = hooked(db).await else {
        return;
    };
    let e = employee_with_device(&app, &p, PHONE, "token-a", "android").await;
    let order = app
        .post(
            "createmessage",
            Some(&p.token),
            json!({"inn": p.inn, "staffid": e.id, "title": "Приказ", "message": "т", "requireack": 1}),
        )
        .await;
    let id = order.ok()["messageid"].as_str().unwrap().to_owned();
    rx.wait_event("a", &id, "sent").await;
    // A reminder is not a status: its history entry posts nothing.
    let reminded = app
        .post("remindmessage", Some(&p.token), json!({"messageid": id}))
        .await;
    assert_eq!(reminded.ok()["reminded"], json!([id]));
    let message_id: i64 = id.parse().unwrap();
    crate::push::eventually("the reminder recorded", || async {
        let events = app.state.store.message_events(p.id, message_id).await;
        events.unwrap().iter().any(|e| e.status == "reminder")
    })
    .await;
    app.post(
        "messagestatus",
        Some(&e.token),
        json!({"messageids": [id], "status": "acknowledged"}),
    )
    .await
    .ok();
    let event = rx.wait_event("a", &id, "acknowledged").await;
    assert_eq!(event["statusname"], "Ознакомлен");
    assert_eq!(event["detail"], "Сотрудник подтвердил ознакомление");
    let mut statuses: Vec<Value> = rx
        .accepted_events("a")
        .into_iter()
        .filter(|e| e["messageid"] == id.as_str())
        .map(|e| e["status"].clone())
        .collect();
    statuses.dedup();
    assert_eq!(statuses, [json!("sent"), json!("acknowledged")]);
}
