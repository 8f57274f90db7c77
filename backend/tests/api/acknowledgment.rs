//! Messages the employee must acknowledge ("Ознакомлен(а)"): asked for by `requireack` in
//! the API and a tick in the cabinet, given by the app through `messagestatus`, seen by the
//! company in `getmessagestatus`, the message list, the message's page and the export.

use crate::cabinet::Browser;
use crate::helpers::*;
use crate::webhook::by_id;
use serde_json::{Value, json};
use simo_backend::domain::now_millis;
use simo_backend::service::schedule::run_due;

both_databases!(
    an_order_is_acknowledged_once_and_the_company_sees_when,
    a_send_to_many_shows_who_has_not_acknowledged_yet,
    a_scheduled_send_asks_to_acknowledge_when_it_goes,
);

async fn report(app: &TestApp, e: &Employee, ids: &[&str], status: &str) -> Answer {
    app.post(
        "messagestatus",
        Some(&e.token),
        json!({"messageids": ids, "status": status}),
    )
    .await
}

async fn state_of(app: &TestApp, p: &Partner, id: &str) -> Value {
    let answer = app
        .post(
            "getmessagestatus",
            Some(&p.token),
            json!({"messageids": [id]}),
        )
        .await;
    answer.ok()["messages"][0].clone()
}

async fn an_order_is_acknowledged_once_and_the_company_sees_when(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let a = app.login(&p.inn, PHONE, "Иванов Иван").await;
    let b = app.login(&p.inn, "+79233381639", "Петрова Анна").await;

    let order = app
        .post(
            "createmessage",
            Some(&p.token),
            json!({"inn": p.inn, "staffid": a.id, "title": "Приказ № 7",
                   "message": "С 1 декабря смена начинается в 8:00", "requireack": true}),
        )
        .await;
    assert_eq!(order.ok()["requireack"], true, "{order:?}");
    let order = order.ok()["messageid"].as_str().unwrap().to_owned();
    let plain = app
        .create_message(&p, &a.id, "Новость", "Без подтверждения")
        .await;
    assert_eq!(plain.ok()["requireack"], false);
    let plain = plain.ok()["messageid"].as_str().unwrap().to_owned();

    // A value that is not a yes or a no is refused in the envelope, and nothing is stored.
    let before = app.count("SELECT COUNT(*) FROM messages").await;
    let bad = app
        .post(
            "createmessage",
            Some(&p.token),
            json!({"inn": p.inn, "staffid": a.id, "title": "т", "message": "т", "requireack": "может быть"}),
        )
        .await;
    assert!(bad.failed(400).contains("requireack"), "{bad:?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM messages").await, before);

    // The app sees what to ask for.
    let page = app.get_messages(&a.token, json!({"count": 0})).await;
    let item = |id: &str| -> Value {
        page.ok()
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["messageId"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(item(&order)["requireack"], true);
    assert_eq!(item(&order)["ackdate"], Value::Null);
    assert_eq!(item(&plain)["requireack"], false);

    // Another employee cannot acknowledge for her; a message that did not ask is not changed.
    assert_eq!(
        report(&app, &b, &[&order], "acknowledged").await.ok()["updated"],
        0
    );
    assert_eq!(
        report(&app, &a, &[&plain], "acknowledged").await.ok()["updated"],
        0
    );
    assert_eq!(state_of(&app, &p, &plain).await["status"], "no_device");
    assert_eq!(state_of(&app, &p, &plain).await["ackdate"], Value::Null);

    assert_eq!(
        report(&app, &a, &[&order, &plain], "acknowledged")
            .await
            .ok()["updated"],
        1
    );
    assert_eq!(
        report(&app, &a, &[&order], "acknowledged").await.ok()["updated"],
        0
    );
    // Nothing moves it back.
    assert_eq!(report(&app, &a, &[&order], "read").await.ok()["updated"], 0);
    assert_eq!(
        report(&app, &a, &[&order], "delivered").await.ok()["updated"],
        0
    );

    let seen = state_of(&app, &p, &order).await;
    assert_eq!(seen["status"], "acknowledged", "{seen}");
    assert_eq!(seen["statusname"], "Ознакомлен");
    assert_eq!(seen["requireack"], true);
    let acked = seen["ackdate"].as_str().expect("an ackdate").to_owned();
    // Acknowledged implies read and delivered, at the same moment when not reported before.
    assert_eq!(seen["readdate"], acked.as_str());
    assert_eq!(seen["delivereddate"], acked.as_str());
    let page = app.get_messages(&a.token, json!({"count": 0})).await;
    let mine = page
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["messageId"] == order.as_str())
        .unwrap()
        .clone();
    assert_eq!(mine["ackdate"], acked.as_str());
    assert_eq!(mine["status"], "acknowledged");

    let history = app
        .count(&format!(
            "SELECT COUNT(*) FROM message_events WHERE message_id = {order} AND status = 'acknowledged'"
        ))
        .await;
    assert_eq!(history, 1);

    // A wrong status names the three it may be.
    let wrong = report(&app, &a, &[&order], "ознакомлен").await;
    assert!(wrong.failed(400).contains("acknowledged"), "{wrong:?}");

    // A repeat under the same key must ask the same: requireack included.
    let keyed = |ack: bool| {
        let body = json!({"inn": p.inn, "staffid": a.id, "title": "Приказ № 8", "message": "т", "requireack": ack});
        let (app, token) = (&app, p.token.clone());
        async move {
            app.call_with(
                "POST",
                "/api/v1/createmessage",
                Some(&token),
                &[("Idempotency-Key", b"order-8")],
                Some(body.to_string().into_bytes()),
            )
            .await
        }
    };
    keyed(true).await.ok();
    let conflict = keyed(false).await;
    assert!(conflict.failed(409).contains("requireack"), "{conflict:?}");
}

async fn a_send_to_many_shows_who_has_not_acknowledged_yet(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let a = app.login(&p.inn, PHONE, "Иванов Иван").await;
    let b = app.login(&p.inn, "+79233381639", "Петрова Анна").await;
    let c = app.login(&p.inn, "+79233381640", "Сидоров Пётр").await;

    // The cabinet's form with the tick.
    let browser = Browser::new(&app);
    browser.partner(&p.inn).await;
    let form = browser.get("/cabinet/send").await;
    assert!(form.body.contains("id=\"send-ack\""), "the form offers it");
    let sent = browser
        .post(
            "/cabinet/send",
            &[
                ("csrf", &form.csrf()),
                ("staff", &a.id),
                ("staff", &b.id),
                ("staff", &c.id),
                ("title", "Правила пожарной безопасности"),
                ("text", "Прочитайте и подтвердите"),
                ("ack", "1"),
            ],
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let bulk = app
        .post(
            "createmessagebulk",
            Some(&p.token),
            json!({"inn": p.inn, "staffids": [a.id], "title": "Без подтверждения", "message": "т"}),
        )
        .await;
    assert_eq!(bulk.ok()["messages"].as_array().unwrap().len(), 1);

    let newest = |e: &Employee| {
        let app = &app;
        let token = e.token.clone();
        async move {
            let page = app
                .get_messages(&token, json!({"count": 0}))
                .await
                .ok()
                .clone();
            page.as_array()
                .unwrap()
                .iter()
                .find(|m| m["title"] == "Правила пожарной безопасности")
                .unwrap()
                .clone()
        }
    };
    let of_a = newest(&a).await;
    assert_eq!(of_a["requireack"], true);
    let id_a = of_a["messageId"].as_str().unwrap().to_owned();
    let id_b = newest(&b).await["messageId"].as_str().unwrap().to_owned();
    assert_eq!(
        report(&app, &a, &[&id_a], "acknowledged").await.ok()["updated"],
        1
    );
    assert_eq!(report(&app, &b, &[&id_b], "read").await.ok()["updated"], 1);

    // The message's page: her time, the send's count, who has not.
    let page = browser.get(&format!("/cabinet/messages/{id_a}")).await;
    assert_eq!(page.status, 200);
    assert!(
        by_id(&page, "ack-own")
            .unwrap()
            .starts_with("Сотрудник ознакомился:"),
        "{}",
        page.body
    );
    assert_eq!(by_id(&page, "ack-count").as_deref(), Some("1"));
    assert_eq!(by_id(&page, "ack-total").as_deref(), Some("3"));
    let waiting = page.body.split("id=\"ack-waiting\"").nth(1).unwrap();
    let waiting = waiting.split("</ul>").next().unwrap();
    assert!(waiting.contains("Петрова Анна") && waiting.contains("Сидоров Пётр"));
    assert!(!waiting.contains("Иванов Иван"), "{waiting}");
    let page_b = browser.get(&format!("/cabinet/messages/{id_b}")).await;
    assert_eq!(
        by_id(&page_b, "ack-own").as_deref(),
        Some("Сотрудник ещё не подтвердил ознакомление.")
    );
    let plain = bulk.ok()["messages"][0]["messageid"].as_str().unwrap();
    let plain_page = browser.get(&format!("/cabinet/messages/{plain}")).await;
    assert!(!plain_page.body.contains("id=\"ack\""));

    // The list's filters: awaiting acknowledgment (read or not), and acknowledged.
    let ids_in = |page: &crate::cabinet::Page| -> Vec<String> {
        let mut ids: Vec<String> = page
            .body
            .split("href=\"/cabinet/messages/")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .filter(|s| s.chars().all(|c| c.is_ascii_digit()))
            .map(str::to_owned)
            .collect();
        ids.sort();
        ids.dedup();
        ids
    };
    let awaiting = browser.get("/cabinet/messages?status=awaiting_ack").await;
    let found = ids_in(&awaiting);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found.contains(&id_b) && !found.contains(&id_a));
    assert!(awaiting.body.contains("value=\"awaiting_ack\" selected"));
    // The dashboard counts them, linking to the filter.
    let dashboard = browser.get("/cabinet").await;
    let tile = dashboard
        .body
        .split("id=\"tile-awaiting-ack\"")
        .nth(1)
        .unwrap();
    assert!(
        tile.starts_with('>') && tile.contains("<div class=\"num\">2</div>"),
        "{tile}"
    );
    let acked = browser.get("/cabinet/messages?status=acknowledged").await;
    assert_eq!(ids_in(&acked), [id_a.as_str()]);

    // The export says who was asked and when they acknowledged.
    let csv = browser
        .get("/cabinet/messages.csv?status=acknowledged")
        .await;
    assert_eq!(csv.status, 200);
    let rows: Vec<Vec<String>> = crate::cabinet::csv_rows(&csv);
    let header = &rows[0];
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[1][col("Требуется ознакомление")], "да");
    assert!(!rows[1][col("Ознакомлен")].is_empty());
}

async fn a_scheduled_send_asks_to_acknowledge_when_it_goes(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let a = app.login(&p.inn, PHONE, "Иванов Иван").await;
    let at = chrono::DateTime::from_timestamp_millis(now_millis() + 3_600_000)
        .unwrap()
        .to_rfc3339();
    let scheduled = app
        .post(
            "schedulemessage",
            Some(&p.token),
            json!({"inn": p.inn, "all": true, "title": "График на январь", "message": "т",
                   "senddate": at, "requireack": "true"}),
        )
        .await;
    assert_eq!(scheduled.ok()["requireack"], true, "{scheduled:?}");
    let id = scheduled.ok()["scheduleid"].as_str().unwrap().to_owned();
    let listed = app
        .post("getschedule", Some(&p.token), json!({"scheduleid": id}))
        .await;
    assert_eq!(listed.ok()["pending"][0]["requireack"], true, "{listed:?}");
    let browser = Browser::new(&app);
    browser.partner(&p.inn).await;
    let page = browser.get("/cabinet/scheduled").await;
    assert!(
        page.body.contains("class=\"muted small ack-asked\""),
        "{}",
        page.body
    );
    assert_eq!(
        run_due(&app.state, now_millis() + 3_700_000).await.unwrap(),
        1
    );
    let page = app.get_messages(&a.token, json!({"count": 0})).await;
    assert_eq!(page.ok()[0]["title"], "График на январь");
    assert_eq!(page.ok()[0]["requireack"], true);
}
