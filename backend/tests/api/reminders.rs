//! Reminders to acknowledge: the company pushes an order again to the employees who have not
//! confirmed it, through `remindmessage` or the message's page; the reminder changes no status,
//! goes at most once an hour, and its outcome is in the message's history.

use crate::cabinet::Browser;
use crate::fakes::fcm::FakeFcm;
use crate::helpers::*;
use crate::push::{employee_with_device, eventually, on_both_databases, wait_status};
use serde_json::{Value, json};

on_both_databases!(
    remindmessage_pushes_the_order_again_to_whoever_has_not_acknowledged,
    a_reminder_changes_no_status_and_one_that_fails_or_comes_too_late_says_so,
    the_cabinet_reminds_one_employee_or_everyone_of_the_send,
    automatic_reminders_go_once_after_the_delay_for_messages_sent_since_turned_on,
    the_cursor_of_automatic_reminders_walks_a_bulk_send_in_rounds,
    the_list_awaiting_acknowledgment_reminds_everyone_it_finds,
    a_reminder_still_in_flight_when_its_message_is_recalled_is_followed_by_the_recall,
);

/// `createmessage` with `requireack`; returns the message's id.
pub(crate) async fn order(app: &TestApp, p: &Partner, e: &Employee, title: &str) -> String {
    let answer = app
        .post(
            "createmessage",
            Some(&p.token),
            json!({"inn": p.inn, "staffid": e.id, "title": title, "message": "Ознакомьтесь", "requireack": true}),
        )
        .await;
    answer.ok()["messageid"].as_str().unwrap().to_owned()
}

async fn remind(app: &TestApp, p: &Partner, body: Value) -> Answer {
    app.post("remindmessage", Some(&p.token), body).await
}

/// The messages as `getmessagestatus` tells the partner.
pub(crate) async fn states(app: &TestApp, p: &Partner, ids: &[&str]) -> Vec<Value> {
    let answer = app
        .post(
            "getmessagestatus",
            Some(&p.token),
            json!({"inn": p.inn, "messageids": ids}),
        )
        .await;
    answer.ok()["messages"].as_array().unwrap().clone()
}

/// The message's history as "status: detail".
pub(crate) async fn history(app: &TestApp, p: &Partner, id: &str) -> Vec<String> {
    app.state
        .store
        .message_events(p.id, id.parse().unwrap())
        .await
        .unwrap()
        .into_iter()
        .map(|e| format!("{}: {}", e.status, e.detail.unwrap_or_default()))
        .collect()
}

/// The history's last entry once it is a reminder's outcome.
async fn reminder_outcome(app: &TestApp, p: &Partner, id: &str) -> String {
    eventually(&format!("the reminder of {id} recorded"), || async {
        history(app, p, id)
            .await
            .last()
            .is_some_and(|e| e.starts_with("reminder: "))
    })
    .await;
    history(app, p, id).await.pop().unwrap()
}

/// The devices the fake FCM took reminders for, sorted, once it took `count`.
async fn reminded_devices(fcm: &FakeFcm, count: usize) -> Vec<String> {
    eventually(&format!("{count} reminders pushed"), || async {
        fcm.behaviour.reminders().len() == count
    })
    .await;
    let mut tokens: Vec<String> = fcm
        .behaviour
        .reminders()
        .iter()
        .map(|r| r.token.clone())
        .collect();
    tokens.sort();
    tokens
}

/// As if the last reminder of `id` went more than an hour ago.
async fn an_hour_passes(app: &TestApp, id: &str) {
    let sql = format!("UPDATE messages SET reminded_at = reminded_at - 3600001 WHERE id = {id}");
    app.state.store.execute_script(&sql).await.unwrap();
}

/// The employee's app reports `status` (`read`, `acknowledged`) of message `id`.
async fn report(app: &TestApp, e: &Employee, id: &str, status: &str) {
    let answer = app
        .post(
            "messagestatus",
            Some(&e.token),
            json!({"messageids": [id], "status": status}),
        )
        .await;
    assert_eq!(answer.ok()["updated"], 1, "{status} of {id}");
}

async fn remindmessage_pushes_the_order_again_to_whoever_has_not_acknowledged(db: Db) {
    let Some((app, fcm, apns)) = crate::push::fcm_and_apns_app(db).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let other = app.create_partner(INN_B).await;
    let a = employee_with_device(&app, &p, PHONE, "fcm-a", "android").await;
    let b = employee_with_device(&app, &p, "+79233381639", "apns-b", "apple").await;
    let c = app.login(&p.inn, "+79233381640", "Без телефона").await;
    let o = employee_with_device(&app, &other, "+79233381641", "fcm-o", "android").await;
    let to_a = order(&app, &p, &a, "Приказ № 7").await;
    let to_b = order(&app, &p, &b, "Приказ № 7").await;
    let to_c = order(&app, &p, &c, "Приказ № 7").await;
    let plain = app.create_message(&p, &a.id, "Новость", "т").await;
    let plain = plain.ok()["messageid"].as_str().unwrap().to_owned();
    let theirs = order(&app, &other, &o, "Чужой приказ").await;
    for (e, id) in [(&a, &to_a), (&b, &to_b), (&a, &plain)] {
        wait_status(&app, &p, e, id, "sent").await;
    }

    // Only pushed orders not acknowledged, of this partner, to an employee with a device.
    let asked = json!([to_c, to_b, plain, theirs, "999999", to_a, to_b]);
    let done = remind(&app, &p, json!({"inn": p.inn, "messageids": asked})).await;
    assert_eq!(done.ok()["reminded"], json!([to_a, to_b]));
    assert_eq!(done.ok()["skipped"], json!([to_c, plain, theirs, "999999"]));
    eventually("both reminders pushed", || async {
        !fcm.behaviour.reminders().is_empty() && !apns.behaviour.reminders().is_empty()
    })
    .await;
    for errors in [
        fcm.behaviour.protocol_errors(),
        apns.behaviour.protocol_errors(),
    ] {
        assert!(errors.is_empty(), "{errors:?}");
    }
    let on_android = fcm.behaviour.reminders().into_iter().next();
    let on_android = on_android.unwrap();
    assert_eq!(on_android.message_id.to_string(), to_a);
    assert_eq!(on_android.payload["title"], "Приказ № 7");
    assert_eq!(on_android.payload["requireack"], "1");
    let on_iphone = apns.behaviour.reminders().into_iter().next();
    let on_iphone = on_iphone.unwrap().payload;
    assert_eq!(on_iphone["messageid"], to_b.as_str());
    let alert = &on_iphone["aps"]["alert"];
    assert_eq!(alert["title-loc-key"], "push.reminder_title", "{on_iphone}");
    assert_eq!(alert["title-loc-args"], json!(["Приказ № 7"]));
    assert_eq!(on_iphone["aps"]["category"], "SIMO_ACK");
    let last = reminder_outcome(&app, &p, &to_a).await;
    assert_eq!(
        last,
        "reminder: Напоминание об ознакомлении принято провайдером FCM"
    );
    // The status is what it was.
    for m in states(&app, &p, &[&to_a, &to_b]).await {
        assert_eq!(m["status"], "sent", "{m}");
        assert!(m["reminddate"].is_string(), "{m}");
    }
    for m in states(&app, &p, &[&to_c, &plain]).await {
        assert!(m["reminddate"].is_null(), "{m}");
    }

    // Once an hour at most; an acknowledged order is not reminded.
    let again = remind(&app, &p, json!({"messageids": [to_a, to_b]})).await;
    assert_eq!(again.ok()["reminded"], json!([]));
    assert_eq!(again.ok()["skipped"], json!([to_a, to_b]));
    report(&app, &a, &to_a, "acknowledged").await;
    an_hour_passes(&app, &to_a).await;
    an_hour_passes(&app, &to_b).await;
    let later = remind(&app, &p, json!({"messageids": [to_a, to_b]})).await;
    assert_eq!(later.ok()["reminded"], json!([to_b]));
    eventually("the second reminder", || async {
        apns.behaviour.reminders().len() == 2
    })
    .await;
    assert_eq!(fcm.behaviour.reminders().len(), 1);

    // The journal names who asked.
    let cabinet = Browser::new(&app);
    cabinet.partner(&p.inn).await;
    let entries = crate::cabinet::journal(&cabinet.get("/cabinet/journal").await);
    let reminded = entries
        .iter()
        .filter(|(_, what, _)| what.starts_with("Напоминание об ознакомлении"))
        .count();
    assert_eq!(reminded, 2, "{entries:?}");

    // Refused in the envelope: both fields, neither, a word, too many, a wrong INN, an
    // employee's token, no token; nothing is queued.
    let jobs = app.count("SELECT COUNT(*) FROM deliveries").await;
    for body in [
        json!({"messageid": to_b, "messageids": [to_b]}),
        json!({}),
        json!({"messageid": "abc"}),
        json!({"messageids": (1..=10_001).collect::<Vec<i64>>()}),
    ] {
        let refused = remind(&app, &p, body).await;
        assert_eq!(refused.status, 400, "{:?}", refused.body);
        assert_eq!(refused.body["success"], false);
    }
    let wrong_inn = remind(&app, &p, json!({"inn": INN_B, "messageid": to_b})).await;
    assert_eq!(wrong_inn.body["success"], false);
    assert!(wrong_inn.status >= 400 && wrong_inn.status < 500);
    let employee = app
        .post("remindmessage", Some(&b.token), json!({"messageid": to_b}))
        .await;
    assert_eq!(employee.status, 403, "{:?}", employee.body);
    let nobody = app
        .post("remindmessage", None, json!({"messageid": to_b}))
        .await;
    assert_eq!(nobody.status, 401, "{:?}", nobody.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM deliveries").await, jobs);
}

async fn a_reminder_changes_no_status_and_one_that_fails_or_comes_too_late_says_so(db: Db) {
    let Some((app, fcm)) = crate::push::fcm_app(db).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let a = employee_with_device(&app, &p, PHONE, "fcm-a", "android").await;
    let b = employee_with_device(&app, &p, "+79233381639", "fcm-b", "android").await;
    let to_a = order(&app, &p, &a, "Инструктаж").await;
    let to_b = order(&app, &p, &b, "Инструктаж").await;
    wait_status(&app, &p, &a, &to_a, "sent").await;
    wait_status(&app, &p, &b, &to_b, "sent").await;
    // Read, not acknowledged: still reminded.
    report(&app, &a, &to_a, "read").await;

    // A's app is gone from the phone: FCM says the token is dead.
    crate::push::set_device(&app, &a, "dead-a", "android").await;
    let done = remind(&app, &p, json!({"messageids": [to_a]})).await;
    assert_eq!(done.ok()["reminded"], json!([to_a]));
    let last = reminder_outcome(&app, &p, &to_a).await;
    assert!(
        last.starts_with("reminder: Напоминание не отправлено: "),
        "{last}"
    );
    assert_eq!(
        wait_status(&app, &p, &a, &to_a, "read").await["status"],
        "read",
        "the message itself reached the phone before: its status stays"
    );
    let token = app
        .state
        .store
        .staff_by_id(p.id, simo_backend::domain::StaffId::parse(&a.id).unwrap())
        .await
        .unwrap()
        .unwrap()
        .push_token;
    assert_eq!(token, None, "the dead token is cleared");

    // The provider is down when B is reminded, and B acknowledges before it is back.
    fcm.behaviour
        .down
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let done = remind(&app, &p, json!({"messageids": [to_b]})).await;
    assert_eq!(done.ok()["reminded"], json!([to_b]));
    report(&app, &b, &to_b, "acknowledged").await;
    fcm.behaviour
        .down
        .store(false, std::sync::atomic::Ordering::SeqCst);
    eventually("the queue drained", || async {
        app.state.store.pending_deliveries().await.unwrap() == 0
    })
    .await;
    assert!(
        fcm.behaviour.reminders().is_empty(),
        "no reminder of an acknowledged order"
    );
    assert!(
        !history(&app, &p, &to_b)
            .await
            .iter()
            .any(|e| e.starts_with("reminder")),
        "{:?}",
        history(&app, &p, &to_b).await
    );
    // Recalled: nothing to remind of.
    an_hour_passes(&app, &to_a).await;
    crate::push::set_device(&app, &a, "fcm-a2", "android").await;
    let recalled = app
        .post("recallmessage", Some(&p.token), json!({"messageid": to_a}))
        .await;
    assert_eq!(recalled.ok()["recalled"], json!([to_a]));
    let after = remind(&app, &p, json!({"messageid": to_a})).await;
    assert_eq!(after.ok()["skipped"], json!([to_a]));
}

async fn the_cabinet_reminds_one_employee_or_everyone_of_the_send(db: Db) {
    let Some((app, fcm)) = crate::push::fcm_app(db).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let a = employee_with_device(&app, &p, PHONE, "fcm-a", "android").await;
    let b = employee_with_device(&app, &p, "+79233381639", "fcm-b", "android").await;
    let c = employee_with_device(&app, &p, "+79233381640", "fcm-c", "android").await;
    let d = app.login(&p.inn, "+79233381641", "Без телефона").await;
    let sent = app
        .post(
            "createmessagebulk",
            Some(&p.token),
            json!({"inn": p.inn, "staffids": [a.id, b.id, c.id, d.id], "title": "График отпусков",
                   "message": "Ознакомьтесь до пятницы", "requireack": true}),
        )
        .await;
    let of = |e: &Employee| -> String {
        sent.ok()["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["staffId"] == e.id.as_str())
            .unwrap()["messageid"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (to_a, to_b, to_c) = (of(&a), of(&b), of(&c));
    for (e, id) in [(&a, &to_a), (&b, &to_b), (&c, &to_c)] {
        wait_status(&app, &p, e, id, "sent").await;
    }
    report(&app, &c, &to_c, "acknowledged").await;

    let browser = Browser::new(&app);
    browser.partner(&p.inn).await;
    let page = browser.get(&format!("/cabinet/messages/{to_a}")).await;
    assert!(page.body.contains("id=\"remind-one\""), "{}", page.body);
    assert!(
        page.body.contains("Напомнить всем, кто не ознакомился (2)"),
        "A and B; C acknowledged, D has no app: {}",
        page.body
    );
    assert!(!page.body.contains("id=\"remind-last\""));
    let path = format!("/cabinet/messages/{to_a}/remind");
    let forged = browser
        .post(&path, &[("csrf", &"a".repeat(64)), ("scope", "one")])
        .await;
    assert_eq!(forged.status, 403);
    let unknown = browser
        .post(&path, &[("csrf", &page.csrf()), ("scope", "all")])
        .await;
    assert_eq!(unknown.status, 400, "{}", unknown.body);
    assert_eq!(app.state.store.pending_deliveries().await.unwrap(), 0);

    let one = browser
        .post(&path, &[("csrf", &page.csrf()), ("scope", "one")])
        .await;
    assert_eq!(one.status, 303, "{}", one.body);
    assert_eq!(
        one.location,
        Some(format!("/cabinet/messages/{to_a}?done=bulk_reminded&n=1"))
    );
    // The rest of the send: B only (A was reminded just now).
    let rest = browser
        .post(&path, &[("csrf", &page.csrf()), ("scope", "send")])
        .await;
    assert_eq!(
        rest.location,
        Some(format!("/cabinet/messages/{to_a}?done=bulk_reminded&n=1"))
    );
    assert_eq!(reminded_devices(&fcm, 2).await, ["fcm-a", "fcm-b"]);

    // The page: when, and nobody to remind before the hour is out; the history says it.
    eventually("the history", || async {
        history(&app, &p, &to_a)
            .await
            .iter()
            .any(|e| e.starts_with("reminder"))
    })
    .await;
    let page = browser.get(&format!("/cabinet/messages/{to_a}")).await;
    assert!(page.body.contains("id=\"remind-last\""), "{}", page.body);
    assert!(page.body.contains("id=\"remind-none\""), "{}", page.body);
    assert!(!page.body.contains("id=\"remind-one\""));
    assert!(page.body.contains("status-reminder"), "{}", page.body);
    assert!(
        page.body
            .contains("Напоминание об ознакомлении принято провайдером FCM")
    );
    // The export says when each was reminded.
    let csv = crate::cabinet::csv_rows(&browser.get("/cabinet/messages.csv").await);
    let col = |name: &str| csv[0].iter().position(|h| h == name).unwrap();
    let (id, last) = (col("Номер сообщения"), col("Последнее напоминание"));
    for row in &csv[1..] {
        let reminded = row[id] == to_a || row[id] == to_b;
        assert_eq!(!row[last].is_empty(), reminded, "{row:?}");
    }
    // In English too.
    let english = browser
        .get(&format!("/cabinet/messages/{to_a}?lang=en"))
        .await;
    assert!(
        english
            .body
            .contains("Reminder to acknowledge accepted by FCM"),
        "{}",
        english.body
    );
    assert!(english.body.contains("Last reminder:"));
    // An acknowledged one's page offers nothing for it alone.
    let page_c = browser.get(&format!("/cabinet/messages/{to_c}")).await;
    assert!(!page_c.body.contains("id=\"remind-one\""));

    // Another partner's message is not found.
    let other = app.create_partner(INN_B).await;
    let stranger = Browser::new(&app);
    stranger.partner(&other.inn).await;
    let home = stranger.get("/cabinet/messages").await;
    let theirs = stranger
        .post(&path, &[("csrf", &home.csrf()), ("scope", "send")])
        .await;
    assert_eq!(theirs.status, 404);
}

/// Turns the partner's automatic reminders to `hours` in the cabinet's settings.
async fn set_auto(browser: &Browser, hours: &str) -> crate::cabinet::Page {
    let page = browser.get("/cabinet/settings").await;
    browser
        .post(
            "/cabinet/settings/ack-reminders",
            &[("csrf", &page.csrf()), ("hours", hours)],
        )
        .await
}

/// Moves the partner's messages and its reminders' cursor `ms` into the past.
async fn age(app: &TestApp, p: &Partner, ms: i64) {
    let sql = format!(
        "UPDATE messages SET created_at = created_at - {ms} WHERE partner_id = {id};
         UPDATE partners SET ack_remind_after_at = ack_remind_after_at - {ms} WHERE id = {id};",
        id = p.id
    );
    app.state.store.execute_script(&sql).await.unwrap();
}

async fn automatic_reminders_go_once_after_the_delay_for_messages_sent_since_turned_on(db: Db) {
    use simo_backend::domain::now_millis;
    use simo_backend::service::reminders::remind_overdue;
    let Some((app, fcm)) = crate::push::fcm_app(db).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let q = app.create_partner(INN_B).await;
    let a = employee_with_device(&app, &p, PHONE, "fcm-a", "android").await;
    let b = employee_with_device(&app, &p, "+79233381639", "fcm-b", "android").await;
    let o = employee_with_device(&app, &q, "+79233381641", "fcm-o", "android").await;
    let before = order(&app, &p, &a, "До включения").await;

    // The setting: a forged form and a delay not offered are refused, nothing changes.
    let browser = Browser::new(&app);
    browser.partner(&p.inn).await;
    let settings = browser.get("/cabinet/settings").await;
    assert!(settings.body.contains("id=\"ack-remind-hours\""));
    let forged = browser
        .post(
            "/cabinet/settings/ack-reminders",
            &[("csrf", &"a".repeat(64)), ("hours", "24")],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(set_auto(&browser, "5").await.status, 400);
    assert_eq!(set_auto(&browser, "сутки").await.status, 400);
    assert_eq!(app.state.store.ack_remind_hours(p.id).await.unwrap(), 0);
    let saved = set_auto(&browser, "24").await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(
        saved.location.as_deref(),
        Some("/cabinet/settings?done=auto_reminders_saved")
    );
    assert_eq!(app.state.store.ack_remind_hours(p.id).await.unwrap(), 24);
    let settings = browser.get("/cabinet/settings").await;
    assert!(
        settings
            .body
            .contains("<option value=\"24\" selected>через 24 ч</option>")
    );

    let to_a = order(&app, &p, &a, "Приказ № 9").await;
    let to_b = order(&app, &p, &b, "Приказ № 9").await;
    let plain = app.create_message(&p, &a.id, "Новость", "т").await;
    let plain = plain.ok()["messageid"].as_str().unwrap().to_owned();
    let theirs = order(&app, &q, &o, "Чужой приказ").await;
    for (e, id) in [(&a, &before), (&a, &to_a), (&b, &to_b), (&a, &plain)] {
        wait_status(&app, &p, e, id, "sent").await;
    }
    wait_status(&app, &q, &o, &theirs, "sent").await;
    report(&app, &b, &to_b, "acknowledged").await;
    let page = browser.get(&format!("/cabinet/messages/{to_a}")).await;
    assert!(page.body.contains("id=\"remind-auto\""), "{}", page.body);

    // Not yet a day: nothing.
    assert_eq!(remind_overdue(&app.state, now_millis()).await.unwrap(), 0);
    // A day later: A's order, sent since the setting, not acknowledged; not the one sent
    // before, not B's (acknowledged), not the plain message, not another company's.
    age(&app, &p, 24 * 3_600_000 + 60_000).await;
    age(&app, &q, 24 * 3_600_000 + 60_000).await;
    assert_eq!(remind_overdue(&app.state, now_millis()).await.unwrap(), 1);
    eventually("the automatic reminder", || async {
        !fcm.behaviour.reminders().is_empty()
    })
    .await;
    let pushed: Vec<String> = fcm
        .behaviour
        .reminders()
        .iter()
        .map(|r| r.message_id.to_string())
        .collect();
    assert_eq!(pushed, [to_a.as_str()]);
    assert_eq!(
        reminder_outcome(&app, &p, &to_a).await,
        "reminder: Напоминание об ознакомлении принято провайдером FCM"
    );
    // Once: the next rounds find nothing, an hour later too.
    assert_eq!(remind_overdue(&app.state, now_millis()).await.unwrap(), 0);
    an_hour_passes(&app, &to_a).await;
    assert_eq!(remind_overdue(&app.state, now_millis()).await.unwrap(), 0);
    let entries = crate::cabinet::journal(&browser.get("/cabinet/journal").await);
    let by_server: Vec<&(String, String, String)> = entries
        .iter()
        .filter(|(who, _, _)| who == "Сервер (автоматически)")
        .collect();
    assert_eq!(by_server.len(), 1, "{entries:?}");
    assert!(by_server[0].1.starts_with("Напоминание об ознакомлении"));
    assert!(
        entries.iter().any(|(_, what, _)| what
            .contains("Автоматические напоминания об ознакомлении")
            && what.contains("через 24 ч")),
        "{entries:?}"
    );

    // Turned off: a later order is not reminded.
    assert_eq!(set_auto(&browser, "0").await.status, 303);
    let after_off = order(&app, &p, &a, "После выключения").await;
    wait_status(&app, &p, &a, &after_off, "sent").await;
    age(&app, &p, 48 * 3_600_000).await;
    assert_eq!(remind_overdue(&app.state, now_millis()).await.unwrap(), 0);
    let english = browser.get("/cabinet/journal?lang=en").await;
    assert!(
        english.body.contains("Server (automatic)"),
        "{}",
        english.body
    );
    assert!(english.body.contains("no reminders"));
}

async fn the_cursor_of_automatic_reminders_walks_a_bulk_send_in_rounds(db: Db) {
    use simo_backend::domain::now_millis;
    let Some(app) = spawn_app_with(db, |_| {}).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let mut staff = Vec::new();
    for phone in [PHONE, "+79233381639", "+79233381640"] {
        staff.push(app.login(&p.inn, phone, "Сотрудник").await);
    }
    app.state
        .store
        .set_ack_remind_hours(p.id, 4, now_millis())
        .await
        .unwrap();
    let ids: Vec<String> = staff.iter().map(|e| e.id.clone()).collect();
    let bulk = app
        .post(
            "createmessagebulk",
            Some(&p.token),
            json!({"inn": p.inn, "staffids": ids, "title": "Т", "message": "т", "requireack": true}),
        )
        .await;
    let mut sent: Vec<i64> = bulk.ok()["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["messageid"].as_str().unwrap().parse().unwrap())
        .collect();
    sent.sort_unstable();
    age(&app, &p, 5 * 3_600_000).await;

    // One creation time for all three: two in the first round, the third in the next.
    let now = now_millis();
    let store = &app.state.store;
    let round = || async {
        let mut rounds = store.overdue_acks(now, 2).await.unwrap();
        assert_eq!(rounds.len(), 1, "one partner with reminders on");
        rounds.remove(0)
    };
    let advance = |cursor| async move { store.advance_ack_cursor(p.id, cursor).await.unwrap() };
    let first = round().await;
    assert_eq!(first.ids, sent[..2]);
    assert_eq!(first.cursor.id, sent[1]);
    advance(first.cursor).await;
    let second = round().await;
    assert_eq!(second.ids, sent[2..]);
    advance(second.cursor).await;
    assert!(round().await.ids.is_empty());
    // The cursor never goes back.
    advance(first.cursor).await;
    assert!(round().await.ids.is_empty());
}

async fn the_list_awaiting_acknowledgment_reminds_everyone_it_finds(db: Db) {
    let Some((app, fcm)) = crate::push::fcm_app(db).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let a = employee_with_device(&app, &p, PHONE, "fcm-a", "android").await;
    let b = employee_with_device(&app, &p, "+79233381639", "fcm-b", "android").await;
    let c = app.login(&p.inn, "+79233381640", "Без телефона").await;
    let to_a = order(&app, &p, &a, "Приказ № 3").await;
    let to_b = order(&app, &p, &b, "Приказ № 4").await;
    order(&app, &p, &c, "Приказ № 3").await;
    let plain = app.create_message(&p, &a.id, "Новость", "т").await;
    let plain = plain.ok()["messageid"].as_str().unwrap().to_owned();
    for (e, id) in [(&a, &to_a), (&b, &to_b), (&a, &plain)] {
        wait_status(&app, &p, e, id, "sent").await;
    }

    let browser = Browser::new(&app);
    browser.partner(&p.inn).await;
    let sent = browser.get("/cabinet/messages?status=sent").await;
    assert!(!sent.body.contains("id=\"remind-found\""));
    let awaiting = browser.get("/cabinet/messages?status=awaiting_ack").await;
    assert!(
        awaiting
            .body
            .contains("action=\"/cabinet/messages/remind?status=awaiting_ack\""),
        "{}",
        awaiting.body
    );
    let csrf = awaiting.csrf();
    let forged = browser
        .post(
            "/cabinet/messages/remind?status=awaiting_ack",
            &[("csrf", &"a".repeat(64))],
        )
        .await;
    assert_eq!(forged.status, 403);
    let not_awaiting = browser
        .post("/cabinet/messages/remind?status=sent", &[("csrf", &csrf)])
        .await;
    assert_eq!(not_awaiting.status, 400, "{}", not_awaiting.body);
    assert_eq!(app.state.store.pending_deliveries().await.unwrap(), 0);

    // Those with a device, each once; C has no app.
    let done = browser
        .post(
            "/cabinet/messages/remind?status=awaiting_ack",
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let location = done.location.unwrap_or_default();
    assert!(location.starts_with("/cabinet/messages?"), "{location}");
    assert!(location.contains("status=awaiting_ack"), "{location}");
    assert!(location.ends_with("done=bulk_reminded&n=2"), "{location}");
    assert_eq!(reminded_devices(&fcm, 2).await, ["fcm-a", "fcm-b"]);
    // Within the hour: nobody again.
    let again = browser
        .post(
            "/cabinet/messages/remind?status=awaiting_ack",
            &[("csrf", &csrf)],
        )
        .await;
    assert!(
        again.location.unwrap_or_default().ends_with("n=0"),
        "{}",
        again.body
    );
    let entries = crate::cabinet::journal(&browser.get("/cabinet/journal").await);
    let reminded = entries
        .iter()
        .filter(|(_, what, _)| what.starts_with("Напоминание об ознакомлении"))
        .count();
    assert_eq!(reminded, 1, "{entries:?}");
}

/// The recall's own push can reach the phone before a reminder that was already on its way,
/// which would bring the message back there: the recall is pushed again after the reminder.
async fn a_reminder_still_in_flight_when_its_message_is_recalled_is_followed_by_the_recall(db: Db) {
    let Some((app, fcm)) = crate::push::fcm_app(db).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let e = employee_with_device(&app, &p, PHONE, "fcm-race", "android").await;
    let id = order(&app, &p, &e, "Приказ").await;
    wait_status(&app, &p, &e, &id, "sent").await;
    let asked = || {
        fcm.behaviour
            .requests
            .load(std::sync::atomic::Ordering::SeqCst)
    };
    let before = asked();

    // The provider holds the reminder (long enough for the recall to be pushed meanwhile on a
    // loaded machine); the recall's push goes straight in.
    fcm.behaviour.set_delay(std::time::Duration::from_secs(4));
    remind(&app, &p, json!({"messageid": id})).await.ok();
    eventually("the reminder is at the provider", || async {
        asked() > before
    })
    .await;
    fcm.behaviour.set_delay(std::time::Duration::ZERO);
    let recalled = app
        .post("recallmessage", Some(&p.token), json!({"messageid": id}))
        .await;
    assert_eq!(recalled.ok()["recalled"], json!([id]));
    let of_message = || {
        fcm.behaviour
            .receipts()
            .into_iter()
            .filter(|r| r.message_id.to_string() == id)
            .map(|r| match (r.recall, r.reminder) {
                (true, _) => "recall",
                (_, true) => "reminder",
                _ => "message",
            })
            .collect::<Vec<_>>()
    };
    eventually("the reminder and the recall after it went", || async {
        of_message().ends_with(&["reminder", "recall"])
    })
    .await;
    assert_eq!(
        of_message(),
        ["message", "recall", "reminder", "recall"],
        "the recall overtook the reminder, and was pushed again after it"
    );
    eventually("the queue drained", || async {
        app.state.store.pending_deliveries().await.unwrap() == 0
    })
    .await;
    assert_eq!(
        history(&app, &p, &id)
            .await
            .iter()
            .filter(|e| e.starts_with("reminder"))
            .count(),
        0,
        "a recalled message's history gets no reminder"
    );
}
