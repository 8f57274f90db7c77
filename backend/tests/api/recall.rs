//! Recalling messages sent by mistake: `recallmessage` for the partner's system, `getrecalled`
//! for the app, and the cabinet's buttons on a message's page.

use crate::cabinet::{Browser, journal};
use crate::helpers::*;
use serde_json::{Value, json};

both_databases!(
    a_recalled_message_leaves_the_employees_history_and_nothing_changes_it,
    a_recall_is_all_or_nothing_and_refuses_what_is_not_asked_right,
    the_cabinet_recalls_one_message_or_the_whole_send,
    messages_stored_before_send_ids_keep_their_sends,
    the_cabinet_recalls_every_message_a_filter_finds,
);

fn id_of(a: &Answer) -> String {
    a.ok()["messageid"].as_str().unwrap().to_owned()
}

async fn recall(app: &TestApp, p: &Partner, body: Value) -> Answer {
    let mut body = body;
    body["inn"] = p.inn.clone().into();
    app.post("recallmessage", Some(&p.token), body).await
}

async fn status_of(app: &TestApp, p: &Partner, id: &str) -> Value {
    app.post(
        "getmessagestatus",
        Some(&p.token),
        json!({"inn": p.inn, "messageids": [id]}),
    )
    .await
    .ok()["messages"][0]
        .clone()
}

async fn recalled_for(app: &TestApp, e: &Employee) -> Vec<String> {
    let answer = app
        .post("getrecalled", Some(&e.token), json!({"staffid": e.id}))
        .await;
    answer.ok()["messageids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

fn history_ids(a: &Answer) -> Vec<String> {
    a.ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["messageId"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_recalled_message_leaves_the_employees_history_and_nothing_changes_it(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иванов Иван").await;
    let f = app.login(&p.inn, "+79990001122", "Петров Пётр").await;
    // The partner's webhook is on (its address unreachable): its queue shows the events.
    app.state
        .store
        .execute_script(&format!(
            "INSERT INTO partner_webhooks (partner_id, url, secret, created_at, updated_at)
             VALUES ({}, 'https://hook.invalid/simo', 'whsec_x', 0, 0)",
            p.id
        ))
        .await
        .unwrap();
    let wrong = id_of(
        &app.create_message(&p, &e.id, "Премия", "Всем по миллиону")
            .await,
    );
    let other = id_of(
        &app.create_message(&p, &f.id, "Смена", "Завтра в 8:00")
            .await,
    );
    let kept = id_of(&app.create_message(&p, &e.id, "Планерка", "В 10:00").await);
    // A push job that has not gone yet (due in the far future): a recall drops it.
    app.state
        .store
        .execute_script(&format!(
            "INSERT INTO deliveries (message_id, due_at, created_at) VALUES ({other}, 9000000000000, 0)"
        ))
        .await
        .unwrap();

    let done = recall(&app, &p, json!({"messageid": wrong})).await;
    assert_eq!(done.ok()["recalled"], json!([wrong]), "{done:?}");
    assert_eq!(done.ok()["alreadyrecalled"], json!([]));
    let state = status_of(&app, &p, &wrong).await;
    assert_eq!(state["status"], "recalled", "{state}");
    assert_eq!(state["statusname"], "Отозвано");
    let when = state["recalleddate"].as_str().expect("a recall date");
    assert!(when.ends_with("+03:00") && when >= state["createdate"].as_str().unwrap());

    // Gone from the history, for the employee's token and for the partner's.
    let own = app
        .get_messages(&e.token, json!({"inn": p.inn, "staffid": e.id}))
        .await;
    assert_eq!(history_ids(&own), vec![kept.clone()]);
    let partners = app
        .get_messages(&p.token, json!({"inn": p.inn, "staffid": e.id}))
        .await;
    assert_eq!(history_ids(&partners), vec![kept.clone()]);
    // The app learns which to delete; the other employee has nothing recalled.
    assert_eq!(recalled_for(&app, &e).await, vec![wrong.clone()]);
    assert!(recalled_for(&app, &f).await.is_empty());
    // Only with an employee's own token.
    let by_partner = app
        .post("getrecalled", Some(&p.token), json!({"inn": p.inn}))
        .await;
    by_partner.failed(403);
    let not_own = app
        .post("getrecalled", Some(&e.token), json!({"staffid": f.id}))
        .await;
    not_own.failed(403);

    // A report from a phone that still showed it changes nothing.
    let read = app
        .post(
            "messagestatus",
            Some(&e.token),
            json!({"messageids": [wrong], "status": "read"}),
        )
        .await;
    assert_eq!(read.ok()["updated"], 0);
    assert_eq!(status_of(&app, &p, &wrong).await["status"], "recalled");

    // Again, with one more: only the new one is recalled now; its push job is gone.
    let again = recall(&app, &p, json!({"messageids": [other, wrong]})).await;
    assert_eq!(again.ok()["recalled"], json!([other]), "{again:?}");
    assert_eq!(again.ok()["alreadyrecalled"], json!([wrong]));
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM deliveries WHERE message_id = {other}"
        ))
        .await,
        0
    );
    assert_eq!(recalled_for(&app, &f).await, vec![other.clone()]);
    let state = status_of(&app, &p, &kept).await;
    assert_ne!(state["status"], "recalled");
    assert_eq!(state["recalleddate"], Value::Null, "{state}");

    // Each recall once in the history, the webhook's queue and the journal.
    for id in [&wrong, &other] {
        let events = app
            .count(&format!(
                "SELECT COUNT(*) FROM message_events WHERE message_id = {id} AND status = 'recalled'
                   AND detail = 'Сообщение отозвано (api)'"
            ))
            .await;
        assert_eq!(events, 1, "history of {id}");
        let queued = app
            .count(&format!(
                "SELECT COUNT(*) FROM webhook_outbox WHERE message_id = {id} AND status = 'recalled'"
            ))
            .await;
        assert_eq!(queued, 1, "webhook event of {id}");
    }
    let entries = app
        .count(&format!(
            "SELECT COUNT(*) FROM audit_events WHERE partner_id = {} AND action = 'messages_recalled'
               AND actor = 'api' AND detail IN ('сообщений: 1, ID: {wrong}', 'сообщений: 1, ID: {other}')",
            p.id
        ))
        .await;
    assert_eq!(entries, 2);
}

async fn a_recall_is_all_or_nothing_and_refuses_what_is_not_asked_right(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иванов Иван").await;
    let b = app.create_partner(INN_B).await;
    let stranger = app.login(&b.inn, "+79005556677", "Чужой").await;
    let theirs = id_of(
        &app.create_message(&b, &stranger.id, "Чужое", "не для А")
            .await,
    );
    let bulk = app
        .post(
            "createmessagebulk",
            Some(&p.token),
            json!({"inn": p.inn, "staffids": [e.id], "title": "Т", "message": "текст"}),
        )
        .await;
    let mine = bulk.ok()["messages"][0]["messageid"]
        .as_str()
        .unwrap()
        .to_owned();

    // Another partner's message is not found, and then nothing is recalled.
    let mixed = recall(&app, &p, json!({"messageids": [mine, theirs, "999999"]})).await;
    let error = mixed.failed(404);
    assert!(
        error.contains(&theirs) && error.contains("999999") && !error.contains(&mine),
        "{error}"
    );
    assert_ne!(status_of(&app, &p, &mine).await["status"], "recalled");
    // The other partner cannot recall ours either.
    let foreign = recall(&app, &b, json!({"messageid": mine})).await;
    foreign.failed(404);
    assert_ne!(status_of(&app, &p, &mine).await["status"], "recalled");

    // Asked wrong: each refused in the envelope, nothing recalled.
    let both = recall(&app, &p, json!({"messageid": mine, "messageids": [mine]})).await;
    assert!(both.failed(400).contains("messageids"));
    let neither = recall(&app, &p, json!({})).await;
    assert!(neither.failed(400).contains("messageids"));
    let bad = recall(&app, &p, json!({"messageid": "abc"})).await;
    bad.failed(400);
    let too_many: Vec<String> = (1..=10_001).map(|i| i.to_string()).collect();
    let over = recall(&app, &p, json!({"messageids": too_many})).await;
    assert!(over.failed(400).contains("10000"), "{over:?}");
    let by_employee = app
        .post(
            "recallmessage",
            Some(&e.token),
            json!({"inn": p.inn, "messageid": mine}),
        )
        .await;
    by_employee.failed(403);
    let english = app
        .call_with(
            "POST",
            "/api/v1/recallmessage",
            Some(&p.token),
            &[("accept-language", b"en")],
            Some(
                json!({"inn": p.inn, "messageid": "999999"})
                    .to_string()
                    .into_bytes(),
            ),
        )
        .await;
    assert_eq!(
        english.failed(404),
        "Messages not found: 999999; nothing was recalled"
    );
    assert_ne!(status_of(&app, &p, &mine).await["status"], "recalled");

    // A comma-separated string works as a list, and the bulk's message goes.
    let ok = recall(&app, &p, json!({"messageids": format!("{mine}")})).await;
    assert_eq!(ok.ok()["recalled"], json!([mine]));
}

async fn the_cabinet_recalls_one_message_or_the_whole_send(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иванов Иван").await;
    let f = app.login(&p.inn, "+79990001122", "Петров Пётр").await;
    let g = app.login(&p.inn, "+79990003344", "Сидоров Сидор").await;
    let sent: Vec<String> = app
        .bulk_to_all(&p, "Ошибка", "Не то письмо")
        .await
        .into_iter()
        .map(|[_, id, _]| id)
        .collect();
    assert_eq!(sent.len(), 3);
    // The same words by another call: not the same send, even created in the same millisecond
    // (a 1C loop sending one text to each employee does that), which is set here by hand.
    let later = id_of(
        &app.create_message(&p, &e.id, "Ошибка", "Не то письмо")
            .await,
    );
    app.state
        .store
        .execute_script(&format!(
            "UPDATE messages SET created_at = (SELECT created_at FROM messages WHERE id = {})
             WHERE id = {later}",
            sent[0]
        ))
        .await
        .unwrap();

    let browser = Browser::new(&app);
    browser.partner(&p.inn).await;
    let page = browser.get(&format!("/cabinet/messages/{}", sent[0])).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains("Отозвать у всех получателей этой рассылки (3)"),
        "{}",
        page.body
    );
    let csrf = page.csrf();
    // A forged form is refused and recalls nothing.
    let forged = browser
        .post(
            &format!("/cabinet/messages/{}/recall", sent[0]),
            &[("csrf", "0".repeat(64).as_str()), ("scope", "one")],
        )
        .await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert_ne!(status_of(&app, &p, &sent[0]).await["status"], "recalled");

    // One message.
    let one = browser
        .post(
            &format!("/cabinet/messages/{}/recall", sent[0]),
            &[("csrf", csrf.as_str()), ("scope", "one")],
        )
        .await;
    assert_eq!(one.status, 303, "{}", one.body);
    let back = browser.get(one.location.as_deref().unwrap()).await;
    assert!(back.body.contains("Отозвано сообщений: 1"), "{}", back.body);
    assert!(
        back.body
            .contains("Сообщение отозвано (из личного кабинета)"),
        "the source in words, not its code"
    );
    assert!(
        !back.body.contains("name=\"scope\""),
        "no recall buttons on a recalled message"
    );
    assert_eq!(recalled_for(&app, &e).await, vec![sent[0].clone()]);

    // The rest of the send, from another of its messages: two left, the later one stays.
    let second = browser.get(&format!("/cabinet/messages/{}", sent[1])).await;
    assert!(second.body.contains("этой рассылки (2)"), "{}", second.body);
    let rest = browser
        .post(
            &format!("/cabinet/messages/{}/recall", sent[1]),
            &[("csrf", csrf.as_str()), ("scope", "send")],
        )
        .await;
    assert_eq!(rest.status, 303, "{}", rest.body);
    let back = browser.get(rest.location.as_deref().unwrap()).await;
    assert!(back.body.contains("Отозвано сообщений: 2"), "{}", back.body);
    for id in &sent {
        assert_eq!(status_of(&app, &p, id).await["status"], "recalled", "{id}");
    }
    assert_ne!(status_of(&app, &p, &later).await["status"], "recalled");
    assert_eq!(recalled_for(&app, &f).await.len(), 1);
    assert_eq!(recalled_for(&app, &g).await.len(), 1);

    // The list's status filter finds them; the journal names the admin, in English too.
    let list = browser.get("/cabinet/messages?status=recalled").await;
    for id in &sent {
        assert!(
            list.body.contains(&format!("/cabinet/messages/{id}\"")),
            "{id} in the filtered list"
        );
    }
    assert!(!list.body.contains(&format!("/cabinet/messages/{later}\"")));
    let entries = journal(&browser.get("/cabinet/journal").await);
    let recalls: Vec<_> = entries
        .iter()
        .filter(|(_, action, _)| action.contains("Сообщения отозваны"))
        .collect();
    assert_eq!(recalls.len(), 2, "{entries:?}");
    assert!(recalls[0].1.contains("сообщений: 2, ID: "), "{recalls:?}");
    assert!(recalls[1].1.contains("сообщений: 1, ID: "), "{recalls:?}");
    let by_admin = app
        .count(&format!(
            "SELECT COUNT(*) FROM audit_events WHERE partner_id = {} AND action = 'messages_recalled' AND actor = 'admin'",
            p.id
        ))
        .await;
    assert_eq!(by_admin, 2);
    let english = browser.get("/cabinet/journal?lang=en").await;
    assert!(
        english.body.contains("messages: 2, IDs: "),
        "{}",
        english.body
    );
    // Another partner's message ID is simply not found.
    let b = app.create_partner(INN_B).await;
    let stranger = app.login(&b.inn, "+79005556677", "Чужой").await;
    let theirs = id_of(&app.create_message(&b, &stranger.id, "Чужое", "т").await);
    let foreign = browser
        .post(
            &format!("/cabinet/messages/{theirs}/recall"),
            &[("csrf", csrf.as_str()), ("scope", "one")],
        )
        .await;
    assert_eq!(foreign.status, 404);
    assert_ne!(status_of(&app, &b, &theirs).await["status"], "recalled");
}

/// Migration 19 gives the messages stored before it the sends they were told by then: equal
/// title, text, source and creation millisecond, the first message's id standing for the
/// send. A message alone in its millisecond gets none. The migration is undone and run again
/// over messages stored the old way.
async fn messages_stored_before_send_ids_keep_their_sends(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иванов Иван").await;
    app.login(&p.inn, "+79990001122", "Петров Пётр").await;
    let sent: Vec<i64> = app
        .bulk_to_all(&p, "Собрание", "В 10:00")
        .await
        .into_iter()
        .map(|[_, id, _]| id.parse().unwrap())
        .collect();
    let same_moment = id_of(&app.create_message(&p, &e.id, "Собрание", "В 10:00").await);
    let alone = id_of(&app.create_message(&p, &e.id, "Собрание", "В 10:00").await);
    let other_words = id_of(&app.create_message(&p, &e.id, "Другое", "В 10:00").await);
    let store = &app.state.store;
    // As a version before 19 stored them: no send_id, and one of the singles created in the
    // bulk's millisecond, the other two later.
    store
        .execute_script(&format!(
            "DROP INDEX messages_send;
             ALTER TABLE messages DROP COLUMN send_id;
             DELETE FROM _sqlx_migrations WHERE version = 20261204000019;
             UPDATE messages SET created_at = (SELECT created_at FROM messages WHERE id = {first})
              WHERE id IN ({same_moment}, {other_words});
             UPDATE messages SET created_at = created_at + 5 WHERE id = {alone};",
            first = sent[0]
        ))
        .await
        .unwrap();
    store.migrate().await.unwrap();

    let send_of = |id: String| {
        let app = &app;
        async move {
            app.count(&format!(
                "SELECT COALESCE(send_id, -1) FROM messages WHERE id = {id}"
            ))
            .await
        }
    };
    for id in sent.iter().map(ToString::to_string).chain([same_moment]) {
        assert_eq!(
            send_of(id).await,
            sent[0],
            "one send, named by its first message"
        );
    }
    assert_eq!(
        send_of(alone).await,
        -1,
        "alone in its millisecond: no send"
    );
    assert_eq!(send_of(other_words).await, -1, "other words: no send");
    // New sends still get theirs.
    let [_, first, _] = app.bulk_to_all(&p, "Собрание", "В 11:00").await.remove(0);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM messages WHERE send_id = (SELECT send_id FROM messages WHERE id = {first})"
        ))
        .await,
        2
    );
}

async fn the_cabinet_recalls_every_message_a_filter_finds(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let ivan = app.login(&p.inn, PHONE, "Иванов Иван").await;
    let anna = app.login(&p.inn, "+79230000002", "Петрова Анна").await;
    // A system's mistake: each its own send, so no message's "recall the send" reaches the rest.
    let mut wrong = Vec::new();
    for e in [&ivan, &anna, &ivan] {
        wrong.push(id_of(
            &app.create_message(&p, &e.id, "Ошибочная рассылка", "Не читайте")
                .await,
        ));
    }
    let right = id_of(&app.create_message(&p, &ivan.id, "Нужное", "Читайте").await);
    let other = app.create_partner(INN_B).await;
    let stranger = app.login(&other.inn, "+79230000009", "Чужой").await;
    let theirs = id_of(
        &app.create_message(&other, &stranger.id, "Ошибочная рассылка", "Чужое")
            .await,
    );
    let b = Browser::new(&app);
    b.partner(&p.inn).await;

    // The whole list offers no such button; a search does.
    let all = b.get("/cabinet/messages").await.body;
    assert!(!all.contains("id=\"recall-found\""));
    let found = b.get("/cabinet/messages?q=Ошибочная").await;
    let action =
        "/cabinet/messages/recall?q=%D0%9E%D1%88%D0%B8%D0%B1%D0%BE%D1%87%D0%BD%D0%B0%D1%8F";
    assert!(
        found.body.contains(&format!("action=\"{action}\"")),
        "{}",
        found.body
    );
    let csrf = found.csrf();
    // Posted without a filter: refused, nothing recalled.
    let unfiltered = b.post("/cabinet/messages/recall", &[("csrf", &csrf)]).await;
    assert_eq!(unfiltered.status, 400, "{}", unfiltered.body);
    let recalled = "SELECT COUNT(*) FROM messages WHERE status = 'recalled'";
    assert_eq!(app.count(recalled).await, 0);
    // An employee typed and not found, or found twice, is refused, whatever else the filter
    // says: the list then shows nothing, and the other filters alone would find more.
    for (typed, refusal) in [
        ("Никто", "Нет сотрудника «Никто»"),
        ("ов", "Подходят несколько сотрудников «ов»"),
    ] {
        let path = format!("/cabinet/messages/recall?q=Ошибочная&staff={typed}");
        let refused = b.post(&path, &[("csrf", &csrf)]).await;
        assert_eq!(refused.status, 400, "{}", refused.body);
        assert!(refused.body.contains(refusal), "{}", refused.body);
    }
    assert_eq!(app.count(recalled).await, 0);

    let done = b.post(action, &[("csrf", &csrf)]).await;
    assert_eq!(
        done.location.as_deref(),
        Some(
            "/cabinet/messages?q=%D0%9E%D1%88%D0%B8%D0%B1%D0%BE%D1%87%D0%BD%D0%B0%D1%8F&done=bulk_recalled&n=3"
        ),
        "{}",
        done.body
    );
    for id in &wrong {
        assert_eq!(status_of(&app, &p, id).await["status"], "recalled", "{id}");
    }
    assert_ne!(status_of(&app, &p, &right).await["status"], "recalled");
    assert_ne!(status_of(&app, &other, &theirs).await["status"], "recalled");
    let journaled = "SELECT COUNT(*) FROM audit_events WHERE action = 'messages_recalled'";
    assert_eq!(app.count(journaled).await, 1);
    // Again: nothing more to recall; the list of recalled ones offers no button.
    let again = b.post(action, &[("csrf", &csrf)]).await;
    assert!(again.location.unwrap().ends_with("done=bulk_recalled&n=0"));
    let listed = b.get("/cabinet/messages?status=recalled").await.body;
    assert!(!listed.contains("id=\"recall-found\""));

    // A sender recalls only their own among those found.
    let (_, d, _, _) = crate::admins::dispatcher(&app, &p).await;
    let form = d.get("/cabinet/send").await;
    for title in ["Диспетчер: ошибка", "Диспетчер: ошибка"] {
        let sent = d
            .post(
                "/cabinet/send",
                &[
                    ("csrf", form.csrf().as_str()),
                    ("staff", &anna.id),
                    ("title", title),
                    ("text", "-"),
                ],
            )
            .await;
        assert_eq!(sent.status, 200, "{}", sent.body);
    }
    let by_api = id_of(
        &app.create_message(&p, &anna.id, "Диспетчер: ошибка", "-")
            .await,
    );
    let theirs_page = d.get("/cabinet/messages?q=Диспетчер").await.body;
    assert!(theirs_page.contains("Отзываются только отправленные вами"));
    let mine = d
        .post(
            "/cabinet/messages/recall?q=Диспетчер",
            &[("csrf", form.csrf().as_str())],
        )
        .await;
    let location = mine.location.as_deref().unwrap_or_default();
    assert!(
        location.ends_with("done=bulk_recalled&n=2"),
        "{location} {}",
        mine.body
    );
    assert_ne!(status_of(&app, &p, &by_api).await["status"], "recalled");
}
