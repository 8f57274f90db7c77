//! Who sent a message: each keeps the API key or the cabinet's admin that sent it, and a
//! scheduled send who scheduled it; the message page, the scheduled list and the CSV say so.

use crate::admins::dispatcher;
use crate::api_keys::add_key;
use crate::cabinet::{Browser, csv_rows};
use crate::helpers::*;
use serde_json::{Value, json};
use simo_backend::domain::now_millis;
use simo_backend::service::schedule::run_due;

both_databases!(
    every_message_names_who_sent_it_and_a_schedule_who_scheduled_it,
    a_sender_recalls_and_cancels_only_their_own_sends,
    the_message_list_filters_by_who_sent_them,
);

const HOUR_MS: i64 = 3_600_000;

/// The newest message titled `title`.
async fn message_titled(app: &TestApp, title: &str) -> i64 {
    app.count(&format!(
        "SELECT COALESCE(MAX(id), 0) FROM messages WHERE title = '{title}'"
    ))
    .await
}

/// The message page's "sent by": its words, and the journal it links to (if any).
async fn sender_on_page(b: &Browser, id: i64) -> (String, Option<String>) {
    let page = b.get(&format!("/cabinet/messages/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let cell = page
        .body
        .split("id=\"message-sender\">")
        .nth(1)
        .and_then(|rest| rest.split("</dd>").next())
        .expect("the sender's row")
        .to_owned();
    match cell.strip_prefix("<a href=\"") {
        Some(link) => {
            let (href, rest) = link.split_once('"').unwrap();
            let words = rest.split('>').nth(1).unwrap().trim_end_matches("</a");
            (words.to_owned(), Some(href.replace("&amp;", "&")))
        }
        None => (cell, None),
    }
}

async fn api_send(app: &TestApp, token: &str, inn: &str, staff: &str, title: &str) {
    let body = json!({"inn": inn, "staffid": staff, "title": title, "message": "Текст"});
    app.post("createmessage", Some(token), body).await.ok();
}

async fn every_message_names_who_sent_it_and_a_schedule_who_scheduled_it(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иванов Иван").await;
    let (owner, dispatcher, _, _) = dispatcher(&app, &p).await;
    let zup = add_key(&owner, "1С ЗУП", "full").await;

    // The API: the main key and a named one, alone, in bulk, and scheduled.
    api_send(&app, &p.token, &p.inn, &e.id, "Основным ключом").await;
    api_send(&app, &zup, &p.inn, &e.id, "Ключом ЗУП").await;
    let bulk =
        json!({"inn": p.inn, "staffids": [e.id], "title": "Списком ЗУП", "message": "Текст"});
    app.post("createmessagebulk", Some(&zup), bulk).await.ok();
    let at = chrono::DateTime::from_timestamp_millis(now_millis() + HOUR_MS)
        .unwrap()
        .to_rfc3339();
    let scheduled = json!({"inn": p.inn, "staffids": [e.id], "title": "По плану ЗУП",
                           "message": "Текст", "senddate": at, "repeat": "daily"});
    let s: Value = app
        .post("schedulemessage", Some(&zup), scheduled)
        .await
        .ok()
        .clone();
    // The cabinet: a named admin and the company's own login.
    for (b, title) in [(&dispatcher, "Диспетчером"), (&owner, "Владельцем")] {
        let sent = b.send_to(&e.id, title, "Текст").await;
        assert_eq!(sent.status, 200, "{}", sent.body);
    }

    let stored = |title: &'static str| {
        let app = &app;
        async move {
            let id = message_titled(app, title).await;
            assert!(id > 0, "{title} stored");
            id
        }
    };
    let expected = [
        (
            "Основным ключом",
            "АСУ (API)",
            Some("/cabinet/journal?who=api"),
        ),
        (
            "Ключом ЗУП",
            "АСУ (API), ключ «1С ЗУП»",
            Some("/cabinet/journal?who=api%3A1%D0%A1+%D0%97%D0%A3%D0%9F"),
        ),
        (
            "Списком ЗУП",
            "АСУ (API), ключ «1С ЗУП»",
            Some("/cabinet/journal?who=api%3A1%D0%A1+%D0%97%D0%A3%D0%9F"),
        ),
        (
            "Диспетчером",
            "Администратор dispatch",
            Some("/cabinet/journal?who=admin%3Adispatch"),
        ),
        (
            "Владельцем",
            "Администратор (вход по ИНН)",
            Some("/cabinet/journal?who=admin"),
        ),
    ];
    for (title, words, journal) in expected {
        let id = stored(title).await;
        let (shown, link) = sender_on_page(&owner, id).await;
        assert_eq!(shown, words, "{title}");
        assert_eq!(link.as_deref(), journal, "{title}");
        // The link opens the journal filtered by that sender.
        let filtered = owner.get(journal.unwrap()).await;
        assert_eq!(filtered.status, 200);
    }
    // A viewer of the message page in English reads it in English.
    let key_message = stored("Ключом ЗУП").await;
    let english = owner
        .get(&format!("/cabinet/messages/{key_message}?lang=en"))
        .await;
    assert!(
        english
            .body
            .contains(">Integration (API), key «1С ЗУП»</a> · <a href="),
        "{}",
        english.body
    );
    owner.get("/cabinet?lang=ru").await;

    // The scheduled list says who scheduled it, and its messages carry it, the series' next
    // send too.
    let list = owner.get("/cabinet/scheduled").await.body;
    assert!(list.contains("АСУ (API), ключ «1С ЗУП»"), "{list}");
    let later = now_millis() + HOUR_MS + 60_000;
    assert_eq!(run_due(&app.state, later).await.unwrap(), 1);
    let from_schedule = stored("По плану ЗУП").await;
    assert_eq!(
        sender_on_page(&owner, from_schedule).await.0,
        "АСУ (API), ключ «1С ЗУП»"
    );
    let schedule_id = s["scheduleid"].as_str().unwrap();
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM scheduled_sends WHERE series_id = {schedule_id}
               AND state = 'pending' AND sent_by = 'api:1С ЗУП'"
        ))
        .await,
        1,
        "the next of the series keeps who scheduled it"
    );

    // The company's system reads where each came from and who sent it.
    let titles = [
        ("Основным ключом", "api", "api"),
        ("Ключом ЗУП", "api", "api:1С ЗУП"),
        ("Диспетчером", "cabinet", "admin:dispatch"),
        ("Владельцем", "cabinet", "admin"),
        ("По плану ЗУП", "api", "api:1С ЗУП"),
    ];
    let mut ids = Vec::new();
    for (title, _, _) in titles {
        ids.push(stored(title).await.to_string());
    }
    let states = app
        .post(
            "getmessagestatus",
            Some(&p.token),
            json!({"inn": p.inn, "messageids": ids}),
        )
        .await;
    let states = states.ok()["messages"].as_array().unwrap().clone();
    for ((title, source, by), state) in titles.iter().zip(&states) {
        assert_eq!(state["title"], *title, "{state}");
        assert_eq!(
            (state["source"].as_str(), state["sentby"].as_str()),
            (Some(*source), Some(*by)),
            "{title}"
        );
    }

    // A message stored before senders were kept: its source alone, no journal to link.
    for (title, words) in [
        ("Диспетчером", "Администратор"),
        ("Основным ключом", "АСУ (API)"),
    ] {
        let old = stored(title).await;
        app.state
            .store
            .execute_script(&format!(
                "UPDATE messages SET sent_by = NULL WHERE id = {old}"
            ))
            .await
            .unwrap();
        assert_eq!(
            sender_on_page(&owner, old).await,
            (words.to_owned(), None),
            "{title}"
        );
    }

    // The download's column, after those it had before (the files' came after it).
    let rows = csv_rows(&owner.get("/cabinet/messages.csv").await);
    assert_eq!(rows[0][16], "Отправитель");
    let of = |id: i64| {
        rows.iter()
            .find(|r| r[0] == id.to_string())
            .map(|r| r[16].clone())
    };
    assert_eq!(of(key_message).as_deref(), Some("АСУ (API), ключ «1С ЗУП»"));
    assert_eq!(
        of(stored("Владельцем").await).as_deref(),
        Some("Администратор (вход по ИНН)")
    );

    // Another company's message: not shown, and the store gives it nobody.
    let q = app.create_partner(INN_B).await;
    assert_eq!(
        app.state
            .store
            .message_sent_by(q.id, key_message)
            .await
            .unwrap(),
        None
    );
    let stranger = Browser::new(&app);
    stranger.partner(&q.inn).await;
    assert_eq!(
        stranger
            .get(&format!("/cabinet/messages/{key_message}"))
            .await
            .status,
        404
    );
}

async fn a_sender_recalls_and_cancels_only_their_own_sends(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иванов Иван").await;
    let (owner, dispatcher, _, _) = dispatcher(&app, &p).await;
    // The same sends twice: one by the company's own login, one by the dispatcher; each a
    // message now and one an hour later.
    let later = chrono::DateTime::from_timestamp_millis(now_millis() + HOUR_MS)
        .unwrap()
        .with_timezone(&chrono::FixedOffset::east_opt(3 * 3600).unwrap())
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    for (b, who) in [(&owner, "Владелец"), (&dispatcher, "Диспетчер")] {
        let csrf = b.get("/cabinet/send").await.csrf();
        for (when, at) in [("now", ""), ("later", later.as_str())] {
            let title = format!("{who} {when}");
            let form = [
                ("csrf", csrf.as_str()),
                ("staff", &e.id),
                ("title", &title),
                ("text", "Текст"),
                ("when", when),
                ("send_at", at),
            ];
            let sent = b.post("/cabinet/send", &form).await;
            assert_eq!(sent.status, 200, "{}", sent.body);
        }
    }
    let (owners, theirs) = (
        message_titled(&app, "Владелец now").await,
        message_titled(&app, "Диспетчер now").await,
    );
    let api = {
        api_send(&app, &p.token, &p.inn, &e.id, "По API").await;
        message_titled(&app, "По API").await
    };
    let scheduled = |title: &'static str| {
        let app = &app;
        async move {
            app.count(&format!(
                "SELECT id FROM scheduled_sends WHERE title = '{title}'"
            ))
            .await
        }
    };
    let (owners_later, theirs_later) = (
        scheduled("Владелец later").await,
        scheduled("Диспетчер later").await,
    );
    assert!(owners > 0 && theirs > 0 && api > 0 && owners_later > 0 && theirs_later > 0);

    // The pages: the recall form on their own message only, the cancel on their own schedule.
    for (id, recallable) in [(theirs, true), (owners, false), (api, false)] {
        let page = dispatcher
            .get(&format!("/cabinet/messages/{id}"))
            .await
            .body;
        assert_eq!(
            page.contains(&format!("action=\"/cabinet/messages/{id}/recall\"")),
            recallable,
            "{id}"
        );
        assert_eq!(
            page.contains("id=\"recall-not-yours\""),
            !recallable,
            "{id}"
        );
    }
    let list = dispatcher.get("/cabinet/scheduled").await.body;
    let row = |id: i64| {
        list.split(&format!("<tr data-id=\"{id}\">"))
            .nth(1)
            .and_then(|r| r.split("</tr>").next())
            .expect("listed")
            .to_owned()
    };
    assert!(row(theirs_later).contains("name=\"id\" value=\""));
    assert!(row(owners_later).contains("отменить может запланировавший"));
    assert!(!row(owners_later).contains("/cabinet/scheduled/cancel"));
    // The company's own login recalls and cancels anyone's.
    let owner_list = owner.get("/cabinet/scheduled").await.body;
    assert!(!owner_list.contains("отменить может запланировавший"));
    let owner_page = owner.get(&format!("/cabinet/messages/{theirs}")).await.body;
    assert!(owner_page.contains(&format!("action=\"/cabinet/messages/{theirs}/recall\"")));

    // Posted anyway: refused, nothing recalled or cancelled, journaled once.
    let csrf = dispatcher.get("/cabinet/scheduled").await.csrf();
    for id in [owners, api] {
        for scope in ["one", "send"] {
            let refused = dispatcher
                .post(
                    &format!("/cabinet/messages/{id}/recall"),
                    &[("csrf", csrf.as_str()), ("scope", scope)],
                )
                .await;
            assert_eq!(refused.status, 403, "{id} {scope}: {}", refused.body);
            assert!(refused.body.contains("может тот, кто её сделал"));
        }
    }
    let cancel = |id: i64| {
        let (dispatcher, csrf) = (&dispatcher, csrf.clone());
        async move {
            dispatcher
                .post(
                    "/cabinet/scheduled/cancel",
                    &[("csrf", csrf.as_str()), ("id", id.to_string().as_str())],
                )
                .await
        }
    };
    assert_eq!(cancel(owners_later).await.status, 403);
    let recalled = "SELECT COUNT(*) FROM messages WHERE status = 'recalled'";
    assert_eq!(app.count(recalled).await, 0);
    let waiting = "SELECT COUNT(*) FROM scheduled_sends WHERE state = 'pending'";
    assert_eq!(app.count(waiting).await, 2);
    let refusals = format!(
        "SELECT COUNT(*) FROM audit_events WHERE action = 'rights_refused'
         AND actor = 'admin:dispatch'
         AND detail = '/cabinet/messages/{owners}/recall; учётная запись только для отправки сообщений'"
    );
    assert_eq!(app.count(&refusals).await, 1);

    // Their own: recalled and cancelled.
    let own = dispatcher
        .post(
            &format!("/cabinet/messages/{theirs}/recall"),
            &[("csrf", csrf.as_str()), ("scope", "send")],
        )
        .await;
    assert_eq!(own.status, 303, "{}", own.body);
    assert_eq!(cancel(theirs_later).await.status, 303);
    assert_eq!(app.count(recalled).await, 1);
    assert_eq!(app.count(waiting).await, 1);
}

/// The titles the message list shows at `path`, in order.
async fn listed(b: &Browser, path: &str) -> Vec<String> {
    let rows = crate::send_tally::listed_rows(b, path).await;
    rows.into_iter().map(|(_, title)| title).collect()
}

async fn the_message_list_filters_by_who_sent_them(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иванов Иван").await;
    let (owner, dispatcher, _, _) = dispatcher(&app, &p).await;
    let zup = add_key(&owner, "1С ЗУП", "full").await;
    api_send(&app, &p.token, &p.inn, &e.id, "Основным").await;
    api_send(&app, &zup, &p.inn, &e.id, "Ключом ЗУП").await;
    for (b, title) in [(&dispatcher, "Диспетчером"), (&owner, "Владельцем")] {
        let form = b.get("/cabinet/send").await;
        let fields = [
            ("csrf", form.csrf()),
            ("staff", e.id.clone()),
            ("title", title.to_owned()),
            ("text", "Текст".to_owned()),
        ];
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(b.post("/cabinet/send", &fields).await.status, 200);
    }
    let everyone = listed(&owner, "/cabinet/messages").await;
    assert_eq!(everyone.len(), 4, "{everyone:?}");
    for (by, titles) in [
        ("admin", vec!["Владельцем"]),
        ("admin:dispatch", vec!["Диспетчером"]),
        ("api", vec!["Основным"]),
        ("api:1С ЗУП", vec!["Ключом ЗУП"]),
        ("admin:nobody", vec![]),
    ] {
        let path = format!(
            "/cabinet/messages?{}",
            serde_urlencoded::to_string([("by", by)]).unwrap()
        );
        assert_eq!(listed(&owner, &path).await, titles, "{by}");
    }
    // Not a sender's name: no filter.
    assert_eq!(
        listed(&owner, "/cabinet/messages?by=employee").await.len(),
        4
    );
    // With a status too, and the CSV the same.
    let none_read = listed(&owner, "/cabinet/messages?by=admin%3Adispatch&status=read").await;
    assert!(none_read.is_empty());
    let csv = owner.get("/cabinet/messages.csv?by=admin%3Adispatch").await;
    let rows = crate::cabinet::csv_rows(&csv);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows[1].contains(&"Диспетчером".to_owned()), "{rows:?}");
    // The choices: the company's login, each admin, the main token and each key, chosen kept.
    let page = owner
        .get("/cabinet/messages?by=admin%3Adispatch")
        .await
        .body;
    let select = page.split("id=\"by-filter\"").nth(1).unwrap();
    let select = select.split("</select>").next().unwrap();
    for option in [
        "<option value=\"admin\">",
        "<option value=\"admin:dispatch\" selected>",
        "<option value=\"api\">АСУ (API), основной токен</option>",
        "<option value=\"api:1С ЗУП\">",
    ] {
        assert!(select.contains(option), "{option}: {select}");
    }
    // A message's page leads to the list of its sender's messages.
    let theirs = message_titled(&app, "Ключом ЗУП").await;
    let page = owner.get(&format!("/cabinet/messages/{theirs}")).await.body;
    let link =
        "href=\"/cabinet/messages?by=api%3A1%D0%A1+%D0%97%D0%A3%D0%9F\" id=\"message-sender-list\"";
    assert!(page.contains(link), "{page}");
    assert_eq!(
        listed(
            &owner,
            "/cabinet/messages?by=api%3A1%D0%A1+%D0%97%D0%A3%D0%9F"
        )
        .await,
        ["Ключом ЗУП"]
    );
    let english = owner.get("/cabinet/messages?lang=en").await.body;
    assert!(english.contains("Sender"));
    owner.get("/cabinet?lang=ru").await;
}
