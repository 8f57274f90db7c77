//! Scheduled messages: `schedulemessage`, `getschedule`, `cancelschedule`, the scheduler,
//! and the cabinet's "Schedule for" with its page.
//!
//! Sends are scheduled an hour ahead and run with `schedule::run_due` at a later "now", so
//! the tests decide when a send is due; one test leaves it to the server's own scheduler.

use crate::cabinet::{Browser, journal};
use crate::helpers::*;
use crate::push::{employee_with_device, eventually, on_both_databases, wait_status};
use serde_json::{Value, json};
use simo_backend::domain::{StaffId, now_millis};
use simo_backend::service::schedule::run_due;
use simo_backend::store::StaffState;

on_both_databases!(
    a_scheduled_message_goes_out_once_at_its_time_to_those_active_then,
    a_cancelled_send_creates_nothing_and_partners_see_only_their_own,
    bad_schedules_are_refused_and_nothing_is_stored,
    the_servers_scheduler_sends_what_falls_due,
    the_cabinet_schedules_lists_and_cancels,
    a_repeat_with_the_idempotency_key_finds_the_first_send,
    a_repeating_send_goes_again_at_the_same_local_time_until_cancelled,
    a_series_with_an_end_sends_up_to_its_last_day_and_no_further,
    a_monthly_series_goes_on_the_last_day_of_a_shorter_month_and_back_on_the_31st,
    the_cabinet_schedules_a_send_that_repeats,
);

const HOUR_MS: i64 = 3_600_000;

/// An ISO 8601 date `ms` from now, with an offset, as a 1C server would send it.
pub(crate) fn in_ms(ms: i64) -> String {
    let at = chrono::DateTime::from_timestamp_millis(now_millis() + ms).unwrap();
    at.with_timezone(&chrono::FixedOffset::east_opt(3 * 3600).unwrap())
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, false)
}

pub(crate) async fn schedule(app: &TestApp, p: &Partner, body: Value) -> Value {
    let mut body = body;
    body["inn"] = json!(p.inn);
    app.post("schedulemessage", Some(&p.token), body)
        .await
        .ok()
        .clone()
}

async fn get_one(app: &TestApp, p: &Partner, id: &Value) -> Value {
    let list = app
        .post(
            "getschedule",
            Some(&p.token),
            json!({"inn": p.inn, "scheduleid": id}),
        )
        .await
        .ok()
        .clone();
    let both: Vec<Value> = [&list["pending"], &list["done"]]
        .into_iter()
        .flat_map(|l| l.as_array().unwrap().clone())
        .collect();
    assert_eq!(both.len(), 1, "{list}");
    both[0].clone()
}

async fn titles_of(app: &TestApp, p: &Partner, e: &Employee) -> Vec<String> {
    let list = app
        .get_messages(&p.token, json!({"staffid": e.id, "count": 0}))
        .await
        .ok()
        .clone();
    list.as_array()
        .unwrap()
        .iter()
        .map(|m| m["title"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_scheduled_message_goes_out_once_at_its_time_to_those_active_then(db: Db) {
    let Some((app, fcm)) = crate::push::fcm_app(db).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let a = employee_with_device(&app, &p, PHONE, "fcm-a", "android").await;
    let b = employee_with_device(&app, &p, "+79233381639", "fcm-b", "android").await;
    let c = app.login(&p.inn, "+79233381640", "Без телефона").await;

    let s = schedule(
        &app,
        &p,
        json!({"staffids": [a.id, b.id, c.id, a.id], "title": "Смена", "message": "Завтра в 8:00",
               "senddate": in_ms(HOUR_MS)}),
    )
    .await;
    assert_eq!(s["state"], "pending", "{s}");
    assert_eq!(s["statename"], "Ожидает отправки");
    assert_eq!(s["all"], false);
    assert_eq!(s["staffids"], json!([a.id, b.id, c.id]), "each once");
    assert_eq!(s["created"], 0);
    assert!(s["firstmessageid"].is_null() && s["donedate"].is_null());
    assert!(s["senddate"].as_str().unwrap().ends_with("+03:00"), "{s}");
    let everyone = schedule(
        &app,
        &p,
        json!({"all": true, "title": "Всем", "message": "Собрание", "senddate": in_ms(2 * HOUR_MS)}),
    )
    .await;
    assert_eq!(everyone["all"], true);
    assert_eq!(everyone["staffids"], json!([]));

    // Not due yet: nothing goes, and the employee sees nothing.
    assert_eq!(run_due(&app.state, now_millis()).await.unwrap(), 0);
    assert!(titles_of(&app, &p, &a).await.is_empty());

    // b is disabled before the time, and d joins: decided when sent, not when scheduled.
    let b_id = StaffId::parse(&b.id).unwrap();
    app.state
        .store
        .set_staff_state(p.id, b_id, StaffState::Disabled, 0)
        .await
        .unwrap();
    let d = employee_with_device(&app, &p, "+79233381641", "fcm-d", "android").await;

    let later = now_millis() + HOUR_MS + 60_000;
    assert_eq!(
        run_due(&app.state, later).await.unwrap(),
        1,
        "only the first"
    );
    let sent = get_one(&app, &p, &s["scheduleid"]).await;
    assert_eq!(sent["state"], "sent", "{sent}");
    assert_eq!(sent["statename"], "Отправлено");
    assert_eq!(sent["created"], 2, "{sent}");
    assert_eq!(sent["refused"], 1);
    assert!(
        sent["refusedreason"]
            .as_str()
            .unwrap()
            .contains(&format!("Сотрудник {} отключён", b.id)),
        "{sent}"
    );
    assert!(sent["donedate"].is_string());
    assert_eq!(titles_of(&app, &p, &a).await, ["Смена"]);
    assert_eq!(titles_of(&app, &p, &c).await, ["Смена"]);
    assert!(titles_of(&app, &p, &b).await.is_empty());
    assert!(titles_of(&app, &p, &d).await.is_empty(), "not listed");
    // The ids named are the messages created, with their statuses by getmessagestatus.
    let (first, last) = (
        sent["firstmessageid"].as_str().unwrap(),
        sent["lastmessageid"].as_str().unwrap(),
    );
    let states = app
        .post(
            "getmessagestatus",
            Some(&p.token),
            json!({"inn": p.inn, "messageids": [first, last]}),
        )
        .await
        .ok()
        .clone();
    let mut staff: Vec<&str> = states["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["staffId"].as_str().unwrap())
        .collect();
    staff.sort_unstable();
    let mut expected = [a.id.as_str(), c.id.as_str()];
    expected.sort_unstable();
    assert_eq!(staff, expected, "{states}");
    let a_message = states["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["staffId"] == a.id.as_str())
        .unwrap()["messageid"]
        .as_str()
        .unwrap()
        .to_owned();
    // It is pushed like any other message; c has no device.
    wait_status(&app, &p, &a, &a_message, "sent").await;
    let c_status = states["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["staffId"] == c.id.as_str())
        .unwrap()["status"]
        .clone();
    assert_eq!(c_status, "no_device");

    // Once: rounds after it, even two at the same time, create nothing more.
    let much_later = now_millis() + 3 * HOUR_MS;
    let (x, y) = tokio::join!(
        run_due(&app.state, much_later),
        run_due(&app.state, much_later)
    );
    assert_eq!(x.unwrap() + y.unwrap(), 1, "the 'all' send, by one round");
    assert_eq!(run_due(&app.state, much_later).await.unwrap(), 0);
    assert_eq!(titles_of(&app, &p, &a).await, ["Всем", "Смена"]);
    assert_eq!(titles_of(&app, &p, &d).await, ["Всем"], "active then");
    assert!(titles_of(&app, &p, &b).await.is_empty(), "disabled then");
    let all_sent = get_one(&app, &p, &everyone["scheduleid"]).await;
    assert_eq!(all_sent["created"], 3, "{all_sent}");
    assert_eq!(all_sent["refused"], 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM messages").await,
        5,
        "2 + 3, nothing twice"
    );
    // a twice and d once; c has no device and b got nothing.
    eventually("the pushes of a and d", || async {
        fcm.behaviour.receipts().len() == 3
    })
    .await;
}

async fn a_cancelled_send_creates_nothing_and_partners_see_only_their_own(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let q = app.create_partner(INN_B).await;
    let a = app.login(&p.inn, PHONE, "Иванов И.").await;
    let qa = app.login(&q.inn, PHONE, "Петров П.").await;
    let s = schedule(
        &app,
        &p,
        json!({"staffids": a.id, "title": "Отмена", "message": "Не придёт", "senddate": in_ms(HOUR_MS)}),
    )
    .await;
    let id = s["scheduleid"].clone();

    // Another partner can neither see, cancel nor address it, nor schedule to p's employee.
    let theirs = app
        .post("getschedule", Some(&q.token), json!({"inn": q.inn}))
        .await
        .ok()
        .clone();
    assert_eq!(theirs, json!({"pending": [], "done": []}));
    let err = app
        .post(
            "getschedule",
            Some(&q.token),
            json!({"inn": q.inn, "scheduleid": id}),
        )
        .await
        .failed(404);
    assert!(err.contains("не найдена"), "{err}");
    app.post(
        "cancelschedule",
        Some(&q.token),
        json!({"inn": q.inn, "scheduleid": id}),
    )
    .await
    .failed(404);
    app.post(
        "schedulemessage",
        Some(&q.token),
        json!({"inn": q.inn, "staffids": [a.id], "title": "t", "message": "m", "senddate": in_ms(HOUR_MS)}),
    )
    .await
    .failed(404);
    // Nor with p's INN.
    app.post(
        "getschedule",
        Some(&q.token),
        json!({"inn": p.inn, "scheduleid": id}),
    )
    .await
    .failed(403);

    let listed = app
        .post("getschedule", Some(&p.token), json!({"inn": p.inn}))
        .await
        .ok()
        .clone();
    assert_eq!(listed["pending"][0]["scheduleid"], id, "{listed}");
    assert_eq!(listed["pending"][0]["message"], "Не придёт");

    let cancelled = app
        .post(
            "cancelschedule",
            Some(&p.token),
            json!({"inn": p.inn, "scheduleid": id}),
        )
        .await
        .ok()
        .clone();
    assert_eq!(cancelled["state"], "cancelled", "{cancelled}");
    assert_eq!(cancelled["statename"], "Отменено");
    assert!(cancelled["donedate"].is_string());
    let again = app
        .post(
            "cancelschedule",
            Some(&p.token),
            json!({"inn": p.inn, "scheduleid": id}),
        )
        .await
        .failed(409);
    assert!(again.contains("уже отменена"), "{again}");
    assert_eq!(
        run_due(&app.state, now_millis() + 2 * HOUR_MS)
            .await
            .unwrap(),
        0
    );
    assert!(titles_of(&app, &p, &a).await.is_empty());
    assert_eq!(app.count("SELECT COUNT(*) FROM messages").await, 0);

    // A sent one cannot be cancelled; q's own send reaches q's employee only.
    let qs = schedule(
        &app,
        &q,
        json!({"all": true, "title": "Для Q", "message": "m", "senddate": in_ms(HOUR_MS)}),
    )
    .await;
    assert_eq!(
        run_due(&app.state, now_millis() + 2 * HOUR_MS)
            .await
            .unwrap(),
        1
    );
    let late = app
        .post(
            "cancelschedule",
            Some(&q.token),
            json!({"inn": q.inn, "scheduleid": qs["scheduleid"]}),
        )
        .await
        .failed(409);
    assert!(late.contains("уже выполнена"), "{late}");
    assert_eq!(titles_of(&app, &q, &qa).await, ["Для Q"]);
    assert!(titles_of(&app, &p, &a).await.is_empty());
    let done = app
        .post("getschedule", Some(&p.token), json!({"inn": p.inn}))
        .await
        .ok()
        .clone();
    assert_eq!(done["pending"], json!([]));
    assert_eq!(
        done["done"].as_array().unwrap().len(),
        1,
        "p's cancelled one only: {done}"
    );
}

async fn bad_schedules_are_refused_and_nothing_is_stored(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let a = app.login(&p.inn, PHONE, "Иванов И.").await;
    let ok = json!({"inn": p.inn, "staffids": [a.id], "title": "t", "message": "m",
                    "senddate": in_ms(HOUR_MS)});
    let with = |key: &str, value: Value| {
        let mut body = ok.clone();
        if value.is_null() {
            body.as_object_mut().unwrap().remove(key);
        } else {
            body[key] = value;
        }
        body
    };
    let cases = [
        (with("senddate", json!(in_ms(-60_000))), 400, "уже прошло"),
        (
            with("senddate", json!(in_ms(400 * 24 * HOUR_MS))),
            400,
            "на год",
        ),
        (with("senddate", json!("завтра")), 400, "Неверная дата"),
        (with("senddate", Value::Null), 400, "senddate"),
        (
            with("staffids", json!(["999999"])),
            404,
            "не найдены: 999999",
        ),
        (with("staffids", json!(["abc"])), 400, "staffid"),
        (with("staffids", Value::Null), 400, "Не указаны получатели"),
        (with("all", json!(true)), 400, "не оба"),
        (with("all", json!("может быть")), 400, "true или false"),
        (with("title", json!("")), 400, "аголов"),
        (with("message", json!("x".repeat(10_001))), 400, "10000"),
    ];
    for (body, status, needle) in cases {
        let err = app
            .post("schedulemessage", Some(&p.token), body.clone())
            .await
            .failed(status);
        assert!(err.contains(needle), "{body}: {err}");
    }
    // An employee's token is not a partner's.
    app.post("schedulemessage", Some(&a.token), ok.clone())
        .await
        .failed(403);
    app.post("schedulemessage", Some("simo_p_wrong"), ok.clone())
        .await
        .failed(401);
    for id in [json!("abc"), json!("0"), json!(-1), Value::Null] {
        let mut body = json!({"inn": p.inn});
        if !id.is_null() {
            body["scheduleid"] = id.clone();
        }
        let err = app
            .post("cancelschedule", Some(&p.token), body)
            .await
            .failed(400);
        assert!(
            err.contains("scheduleid") || err.contains("Неверный"),
            "{id}: {err}"
        );
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM scheduled_sends").await, 0);
    // Malformed bodies to each method: a 4xx in the envelope, never a 5xx.
    let malformed: Vec<Vec<u8>> = vec![
        b"{not json".to_vec(),
        b"[1,2,3]".to_vec(),
        vec![0xff, 0xfe, 0x7b, 0x7d],
        br#"{"scheduleid": {"nested": true}, "staffids": "1", "title": "t", "message": "m"}"#.to_vec(),
        br#"{"scheduleid": [[1]], "senddate": {"at": 1}, "staffids": [[1]], "title": "t", "message": "m"}"#.to_vec(),
        br#"{"scheduleid": "1; DROP TABLE scheduled_sends; --", "all": true, "title": "t", "message": "m", "senddate": 17}"#.to_vec(),
        format!("{}{}", "[".repeat(5000), "]".repeat(5000)).into_bytes(),
    ];
    for method in ["schedulemessage", "getschedule", "cancelschedule"] {
        for body in &malformed {
            let answer = app
                .call(
                    "POST",
                    &format!("/api/v1/{method}"),
                    Some(&p.token),
                    Some(body.clone()),
                )
                .await;
            assert!(
                (400..500).contains(&answer.status),
                "{method}: {answer:?} for {:?}",
                String::from_utf8_lossy(body)
            );
            answer.failed(answer.status);
        }
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM scheduled_sends").await, 0);
    // A bare date is the server's zone (Moscow): 1C sends it so.
    let bare = chrono::DateTime::from_timestamp_millis(now_millis() + HOUR_MS)
        .unwrap()
        .with_timezone(&chrono::FixedOffset::east_opt(3 * 3600).unwrap())
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    let s = schedule(&app, &p, with("senddate", json!(bare))).await;
    assert!(
        s["senddate"].as_str().unwrap().starts_with(&bare),
        "{bare} vs {s}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM scheduled_sends").await, 1);
}

async fn the_servers_scheduler_sends_what_falls_due(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let a = app.login(&p.inn, PHONE, "Иванов И.").await;
    let s = schedule(
        &app,
        &p,
        json!({"staffids": [a.id], "title": "Скоро", "message": "m", "senddate": in_ms(1_500)}),
    )
    .await;
    eventually("the scheduler sends it", || async {
        get_one(&app, &p, &s["scheduleid"]).await["state"] == "sent"
    })
    .await;
    assert_eq!(titles_of(&app, &p, &a).await, ["Скоро"]);
}

async fn the_cabinet_schedules_lists_and_cancels(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let a = app.login(&p.inn, PHONE, "Иванов И.").await;
    let b = app.login(&p.inn, "+79233381639", "Петров П.").await;
    let browser = Browser::new(&app);
    browser.partner(&p.inn).await;
    let form = browser.get("/cabinet/send").await;
    assert!(form.body.contains("name=\"send_at\""), "{}", form.body);
    assert!(form.body.contains("Europe/Moscow"));
    let csrf = form.csrf();
    let local = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(now_millis() + ms)
            .unwrap()
            .with_timezone(&chrono::FixedOffset::east_opt(3 * 3600).unwrap())
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    };

    // A time past, or none, is refused with what was typed kept.
    for (at, needle) in [
        (local(-HOUR_MS), "уже прошло"),
        (String::new(), "Укажите дату и время"),
    ] {
        let refused = browser
            .post(
                "/cabinet/send",
                &[
                    ("csrf", &csrf),
                    ("staff", &a.id),
                    ("title", "Позже"),
                    ("text", "Текст"),
                    ("when", "later"),
                    ("send_at", &at),
                ],
            )
            .await;
        assert_eq!(refused.status, 400, "{}", refused.body);
        assert!(refused.body.contains(needle), "{}", refused.body);
        assert!(refused.body.contains("value=\"Позже\""));
    }
    let tomorrow = local(24 * HOUR_MS);
    let done = browser
        .post(
            "/cabinet/send",
            &[
                ("csrf", &csrf),
                ("staff", &a.id),
                ("staff", &b.id),
                ("title", "Завтрашняя смена"),
                ("text", "Начало в 8:00"),
                ("when", "later"),
                ("send_at", &tomorrow),
            ],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(
        done.body.contains("id=\"schedule-result\"")
            && done.body.contains(&tomorrow.replace('T', " ")),
        "{}",
        done.body
    );
    let everyone = browser
        .post(
            "/cabinet/send",
            &[
                ("csrf", &csrf),
                ("all", "1"),
                ("title", "Всем завтра"),
                ("text", "Текст"),
                ("when", "later"),
                ("send_at", &local(48 * HOUR_MS)),
            ],
        )
        .await;
    assert_eq!(everyone.status, 200, "{}", everyone.body);
    assert!(titles_of(&app, &p, &a).await.is_empty(), "nothing sent now");
    let dashboard = browser.get("/cabinet").await;
    let tile = dashboard
        .body
        .split("id=\"dash-scheduled\"")
        .nth(1)
        .expect("a tile of what is scheduled");
    assert!(
        tile.starts_with("><div class=\"num\">2</div>")
            && tile.contains(&tomorrow.replace('T', " ")),
        "{tile}"
    );

    let page = browser.get("/cabinet/scheduled").await;
    assert_eq!(page.status, 200);
    let pending = page.body.split("id=\"sched-done\"").next().unwrap();
    let first = pending.find("Завтрашняя смена").expect("listed");
    let second = pending.find("Всем завтра").expect("listed");
    assert!(first < second, "by time");
    assert!(pending.contains("сотрудников: 2") && pending.contains("все активные сотрудники"));
    // Who scheduled them: the company's own login.
    assert!(pending.contains("Администратор (вход по ИНН)"));
    // The API sees the cabinet's sends too.
    let api = app
        .post("getschedule", Some(&p.token), json!({"inn": p.inn}))
        .await
        .ok()
        .clone();
    let ids: Vec<String> = api["pending"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["scheduleid"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 2, "{api}");

    // Cancel the second; a forged form is refused.
    let forged = browser
        .post(
            "/cabinet/scheduled/cancel",
            &[("csrf", "forged"), ("id", &ids[1])],
        )
        .await;
    assert_eq!(forged.status, 403);
    let cancel = browser
        .post(
            "/cabinet/scheduled/cancel",
            &[("csrf", &csrf), ("id", &ids[1])],
        )
        .await;
    assert_eq!(cancel.status, 303, "{}", cancel.body);
    let after = browser.get(cancel.location.as_deref().unwrap()).await;
    assert!(after.body.contains("Отправка отменена"), "{}", after.body);
    let (pending, done) = after.body.split_once("id=\"sched-done\"").unwrap();
    assert!(pending.contains("Завтрашняя смена") && !pending.contains("Всем завтра"));
    assert!(done.contains("Всем завтра") && done.contains("Отменено"));
    let again = browser
        .post(
            "/cabinet/scheduled/cancel",
            &[("csrf", &csrf), ("id", &ids[1])],
        )
        .await;
    let too_late = browser.get(again.location.as_deref().unwrap()).await;
    assert!(
        too_late.body.contains("Отменить нельзя"),
        "{}",
        too_late.body
    );

    // The first goes out at its time and says what it created.
    assert_eq!(
        run_due(&app.state, now_millis() + 25 * HOUR_MS)
            .await
            .unwrap(),
        1
    );
    let sent = browser.get("/cabinet/scheduled").await;
    let (pending, done) = sent.body.split_once("id=\"sched-done\"").unwrap();
    assert!(pending.contains("id=\"sched-none\""), "{pending}");
    assert!(done.contains("создано сообщений: 2"), "{done}");
    assert_eq!(titles_of(&app, &p, &b).await, ["Завтрашняя смена"]);
    // Its "list" opens the send's messages, by one of them still kept.
    let sent_id: i64 = app
        .count("SELECT id FROM scheduled_sends WHERE title = 'Завтрашняя смена'")
        .await;
    let link = format!("/cabinet/scheduled/{sent_id}/messages");
    assert!(done.contains(&format!("href=\"{link}\"")), "{done}");
    let ids_of = |who: &str| {
        format!("SELECT id FROM messages WHERE staff_id = {who} AND title = 'Завтрашняя смена'")
    };
    let (to_a, to_b) = (
        app.count(&ids_of(&a.id)).await,
        app.count(&ids_of(&b.id)).await,
    );
    let opened = browser.get(&link).await;
    assert_eq!(opened.status, 303);
    let first = format!("/cabinet/messages?send={}", to_a.min(to_b));
    assert_eq!(opened.location.as_deref(), Some(first.as_str()));
    let list = browser.get(&first).await;
    assert!(
        list.body.contains(&format!("/cabinet/messages/{to_a}\""))
            && list.body.contains(&format!("/cabinet/messages/{to_b}\"")),
        "{}",
        list.body
    );
    // The first message goes with its employee; the list is still there by the other.
    let (first_staff, other_staff, other) = if to_a < to_b {
        (&a.id, &b.id, to_b)
    } else {
        (&b.id, &a.id, to_a)
    };
    let gone = app
        .post(
            "deletestaff",
            Some(&p.token),
            json!({"staffid": first_staff}),
        )
        .await;
    assert_eq!(gone.status, 200, "{gone:?}");
    assert_eq!(
        browser.get(&link).await.location,
        Some(format!("/cabinet/messages?send={other}"))
    );
    // With every message gone, the page says so instead of a page not found.
    app.post(
        "deletestaff",
        Some(&p.token),
        json!({"staffid": other_staff}),
    )
    .await;
    let none = browser.get(&link).await;
    assert_eq!(
        none.location.as_deref(),
        Some("/cabinet/scheduled?done=sched_messages_gone")
    );
    let noticed = browser.get(none.location.as_deref().unwrap()).await;
    assert!(
        noticed.body.contains("Сообщений этой отправки больше нет"),
        "{}",
        noticed.body
    );
    // Another company's send, or no send, is not found.
    let q = app.create_partner(INN_B).await;
    let other_admin = Browser::new(&app);
    other_admin.partner(&q.inn).await;
    assert_eq!(other_admin.get(&link).await.status, 404);
    assert_eq!(
        browser.get("/cabinet/scheduled/x/messages").await.status,
        404
    );

    // The journal names both actions; the page speaks English.
    let entries = journal(&browser.get("/cabinet/journal?kind=sent").await);
    let what: Vec<&str> = entries.iter().map(|(_, what, _)| what.as_str()).collect();
    assert!(
        what.iter()
            .any(|w| w.contains("Запланированная отправка отменена") && w.contains("Всем завтра")),
        "{what:?}"
    );
    assert!(
        what.iter()
            .any(|w| w.contains("Сообщение запланировано") && w.contains("получателей: 2")),
        "{what:?}"
    );
    let english = browser.get("/cabinet/scheduled?lang=en").await;
    assert!(english.body.contains("Scheduled messages") && english.body.contains("Cancelled"));
    // Logged out, the page sends to the login.
    let stranger = Browser::new(&app);
    assert_eq!(
        stranger.get("/cabinet/scheduled").await.location.as_deref(),
        Some("/cabinet/login")
    );
}

async fn schedule_keyed(app: &TestApp, p: &Partner, key: &[u8], body: &Value) -> Answer {
    app.call_with(
        "POST",
        "/api/v1/schedulemessage",
        Some(&p.token),
        &[("Idempotency-Key", key)],
        Some(body.to_string().into_bytes()),
    )
    .await
}

async fn a_repeat_with_the_idempotency_key_finds_the_first_send(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let q = app.create_partner(INN_B).await;
    let a = app.login(&p.inn, PHONE, "Иванов И.").await;
    let body = json!({"inn": p.inn, "staffids": [a.id, a.id], "title": "Смена", "message": "В 8:00",
                      "senddate": in_ms(HOUR_MS)});
    let first = schedule_keyed(&app, &p, b"doc-2026-0001", &body)
        .await
        .ok()
        .clone();
    let again = schedule_keyed(&app, &p, b"doc-2026-0001", &body)
        .await
        .ok()
        .clone();
    assert_eq!(again["scheduleid"], first["scheduleid"], "{again}");
    // The same key with anything else is refused and names the send.
    let mut other = body.clone();
    other["title"] = json!("Другая смена");
    let err = schedule_keyed(&app, &p, b"doc-2026-0001", &other)
        .await
        .failed(409);
    assert!(
        err.contains(&format!("№ {}", first["scheduleid"].as_str().unwrap())),
        "{err}"
    );
    // Another partner's key space is its own.
    let mut theirs = body.clone();
    theirs["inn"] = json!(q.inn);
    theirs["all"] = json!(true);
    theirs.as_object_mut().unwrap().remove("staffids");
    let q_send = schedule_keyed(&app, &q, b"doc-2026-0001", &theirs)
        .await
        .ok()
        .clone();
    assert_ne!(q_send["scheduleid"], first["scheduleid"]);
    // A key that is not visible ASCII, or too long, is refused, never ignored.
    for bad in [
        &b"\xd0\x9a\xd0\xbb\xd1\x8e\xd1\x87"[..],
        "k".repeat(256).as_bytes(),
    ] {
        schedule_keyed(&app, &p, bad, &body).await.failed(400);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM scheduled_sends").await, 2);

    // Repeats at once: one send.
    let mut calls = Vec::new();
    for _ in 0..6 {
        calls.push(schedule_keyed(&app, &p, b"doc-2026-0002", &body));
    }
    let ids: std::collections::HashSet<String> = futures_util::future::join_all(calls)
        .await
        .iter()
        .map(|a| a.ok()["scheduleid"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM scheduled_sends").await, 3);

    // A repeat after the time has passed and the send went still finds it, with what it did.
    let soon = json!({"inn": p.inn, "staffids": [a.id], "title": "Скоро", "message": "m",
                      "senddate": in_ms(1_200)});
    let s = schedule_keyed(&app, &p, b"doc-2026-0003", &soon)
        .await
        .ok()
        .clone();
    eventually("the scheduler sends it", || async {
        get_one(&app, &p, &s["scheduleid"]).await["state"] == "sent"
    })
    .await;
    let late = schedule_keyed(&app, &p, b"doc-2026-0003", &soon)
        .await
        .ok()
        .clone();
    assert_eq!(late["scheduleid"], s["scheduleid"]);
    assert_eq!(late["state"], "sent");
    assert_eq!(late["created"], 1);
    assert_eq!(titles_of(&app, &p, &a).await, ["Скоро"], "sent once");
}

/// The next Friday at 09:00 Moscow time, at least a day from now, as Unix milliseconds.
pub(crate) fn next_friday_nine() -> i64 {
    use chrono::{Datelike, TimeZone};
    let moscow = chrono::FixedOffset::east_opt(3 * 3600).unwrap();
    let mut day = chrono::Utc::now().with_timezone(&moscow).date_naive() + chrono::Days::new(1);
    while day.weekday() != chrono::Weekday::Fri {
        day = day + chrono::Days::new(1);
    }
    moscow
        .from_local_datetime(&day.and_hms_opt(9, 0, 0).unwrap())
        .unwrap()
        .timestamp_millis()
}

async fn a_repeating_send_goes_again_at_the_same_local_time_until_cancelled(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let a = app.login(&p.inn, PHONE, "Иванов И.").await;
    let friday = next_friday_nine();
    let at = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .unwrap()
            .with_timezone(&chrono::FixedOffset::east_opt(3 * 3600).unwrap())
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, false)
    };
    let s = schedule(
        &app,
        &p,
        json!({"staffids": [a.id], "title": "Планерка", "message": "В 9:15", "senddate": at(friday),
               "repeat": "weekdays"}),
    )
    .await;
    assert_eq!(s["repeat"], "weekdays", "{s}");
    assert_eq!(s["seriesid"], s["scheduleid"], "the first of its series");
    let once = schedule(
        &app,
        &p,
        json!({"staffids": [a.id], "title": "Разово", "message": "-", "senddate": at(friday + HOUR_MS)}),
    )
    .await;
    assert!(
        once["repeat"].is_null() && once["seriesid"].is_null(),
        "{once}"
    );
    app.post(
        "cancelschedule",
        Some(&p.token),
        json!({"inn": p.inn, "scheduleid": once["scheduleid"]}),
    )
    .await
    .ok();

    // Friday's goes, and Monday's waits in the same transaction: at 09:00, the weekend skipped.
    let minute = 60_000;
    assert_eq!(run_due(&app.state, friday + minute).await.unwrap(), 1);
    assert_eq!(titles_of(&app, &p, &a).await, ["Планерка"]);
    let list = app
        .post("getschedule", Some(&p.token), json!({"inn": p.inn}))
        .await
        .ok()
        .clone();
    let pending = list["pending"].as_array().unwrap();
    assert_eq!(pending.len(), 1, "{list}");
    let monday = friday + 3 * 24 * HOUR_MS;
    assert_eq!(pending[0]["senddate"], at(monday).as_str());
    assert_eq!(pending[0]["seriesid"], s["scheduleid"]);
    assert_eq!(pending[0]["repeat"], "weekdays");
    assert_eq!(pending[0]["staffids"], json!([a.id]));
    assert_ne!(pending[0]["scheduleid"], s["scheduleid"]);
    let first = get_one(&app, &p, &s["scheduleid"]).await;
    assert_eq!(
        (first["state"].as_str(), first["created"].as_i64()),
        (Some("sent"), Some(1))
    );
    // Nothing more before Monday.
    assert_eq!(run_due(&app.state, monday - minute).await.unwrap(), 0);

    // Two rounds at once on Monday: one message, and exactly one Tuesday waiting.
    let (x, y) = tokio::join!(
        run_due(&app.state, monday + minute),
        run_due(&app.state, monday + minute)
    );
    assert_eq!(x.unwrap() + y.unwrap(), 1);
    assert_eq!(titles_of(&app, &p, &a).await, ["Планерка", "Планерка"]);
    let list = app
        .post("getschedule", Some(&p.token), json!({"inn": p.inn}))
        .await
        .ok()
        .clone();
    let pending = list["pending"].as_array().unwrap();
    assert_eq!(pending.len(), 1, "{list}");
    assert_eq!(pending[0]["senddate"], at(monday + 24 * HOUR_MS).as_str());
    assert_eq!(pending[0]["seriesid"], s["scheduleid"]);

    // Cancelling the waiting one stops the series.
    app.post(
        "cancelschedule",
        Some(&p.token),
        json!({"inn": p.inn, "scheduleid": pending[0]["scheduleid"]}),
    )
    .await
    .ok();
    assert_eq!(
        run_due(&app.state, monday + 30 * 24 * HOUR_MS)
            .await
            .unwrap(),
        0
    );
    assert_eq!(titles_of(&app, &p, &a).await.len(), 2);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM scheduled_sends WHERE state = 'pending'")
            .await,
        0
    );

    // An unknown repeat is refused; a repeat is part of what a key names.
    let bad = app
        .post(
            "schedulemessage",
            Some(&p.token),
            json!({"inn": p.inn, "all": true, "title": "t", "message": "m", "senddate": at(friday), "repeat": "hourly"}),
        )
        .await;
    assert!(bad.failed(400).contains("«repeat»"), "{bad:?}");
    let keyed = |repeat: &'static str| {
        let app = &app;
        let p = &p;
        let body = json!({"inn": p.inn, "all": true, "title": "t", "message": "m",
                          "senddate": at(friday + 7 * 24 * HOUR_MS), "repeat": repeat});
        async move {
            app.call_with(
                "POST",
                "/api/v1/schedulemessage",
                Some(&p.token),
                &[("idempotency-key", b"weekly-1".as_slice())],
                Some(body.to_string().into_bytes()),
            )
            .await
        }
    };
    let weekly = keyed("weekly").await;
    assert_eq!(weekly.ok()["repeat"], "weekly");
    let daily = keyed("daily").await;
    assert!(daily.failed(409).contains("repeat"), "{daily:?}");
}

async fn a_series_with_an_end_sends_up_to_its_last_day_and_no_further(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let a = app.login(&p.inn, PHONE, "Иванов И.").await;
    let friday = next_friday_nine();
    let moscow = chrono::FixedOffset::east_opt(3 * 3600).unwrap();
    let at = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .unwrap()
            .with_timezone(&moscow)
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, false)
    };
    let day = 24 * HOUR_MS;
    let sunday = chrono::DateTime::from_timestamp_millis(friday + 2 * day)
        .unwrap()
        .with_timezone(&moscow)
        .format("%Y-%m-%d")
        .to_string();
    let body = |until: &str| {
        json!({"inn": p.inn, "staffids": [a.id], "title": "Дежурство", "message": "Склад",
               "senddate": at(friday), "repeat": "daily", "repeatuntil": until})
    };
    let s = app
        .post("schedulemessage", Some(&p.token), body(&sunday))
        .await
        .ok()
        .clone();
    // A bare date is the whole of that day.
    let sunday_end = friday + 3 * day - 9 * HOUR_MS - 1;
    assert_eq!(s["repeatuntil"], at(sunday_end).as_str(), "{s}");

    // Friday, Saturday and Sunday go; Sunday's leaves no Monday waiting.
    let minute = 60_000;
    for (n, when) in [friday, friday + day, friday + 2 * day]
        .into_iter()
        .enumerate()
    {
        assert_eq!(
            run_due(&app.state, when + minute).await.unwrap(),
            1,
            "day {n}"
        );
    }
    assert_eq!(titles_of(&app, &p, &a).await.len(), 3);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM scheduled_sends WHERE state = 'pending'")
            .await,
        0
    );
    assert_eq!(run_due(&app.state, friday + 30 * day).await.unwrap(), 0);
    let list = app
        .post("getschedule", Some(&p.token), json!({"inn": p.inn}))
        .await
        .ok()
        .clone();
    let done = list["done"].as_array().unwrap();
    assert_eq!(done.len(), 3, "{list}");
    assert!(
        done.iter().all(
            |d| d["repeatuntil"] == at(sunday_end).as_str() && d["seriesid"] == s["scheduleid"]
        ),
        "each send of the series carries its end: {list}"
    );

    // Refused, and nothing stored: an end without a repeat, an end before the first send, a
    // date that is not one.
    let before = app.count("SELECT COUNT(*) FROM scheduled_sends").await;
    let mut alone = body(&sunday);
    alone.as_object_mut().unwrap().remove("repeat");
    let refused = [
        (alone, "«repeatuntil»"),
        (body(&at(friday - day)), "не раньше первой отправки"),
        (body("послезавтра"), "Неверная дата «послезавтра»"),
    ];
    for (body, said) in refused {
        let answer = app.post("schedulemessage", Some(&p.token), body).await;
        assert!(answer.failed(400).contains(said), "{said}: {answer:?}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM scheduled_sends").await,
        before
    );

    // The end is part of what an Idempotency-Key names.
    let key = b"until-1";
    schedule_keyed(&app, &p, key, &body(&sunday)).await.ok();
    assert_eq!(
        schedule_keyed(&app, &p, key, &body(&sunday)).await.ok()["repeatuntil"],
        at(sunday_end).as_str()
    );
    let other = schedule_keyed(&app, &p, key, &body(&at(friday + 5 * day))).await;
    assert!(other.failed(409).contains("repeatuntil"), "{other:?}");
}

async fn a_monthly_series_goes_on_the_last_day_of_a_shorter_month_and_back_on_the_31st(db: Db) {
    use chrono::{Datelike, TimeZone};
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let a = app.login(&p.inn, PHONE, "Иванов И.").await;
    let moscow = chrono::FixedOffset::east_opt(3 * 3600).unwrap();
    // The next 31st followed by a shorter month (a 30-day one or February).
    let mut day = chrono::Utc::now().with_timezone(&moscow).date_naive() + chrono::Days::new(1);
    while !(day.day() == 31 && (day + chrono::Days::new(31)).day() != 31) {
        day = day + chrono::Days::new(1);
    }
    let nine = |d: chrono::NaiveDate| {
        moscow
            .from_local_datetime(&d.and_hms_opt(9, 0, 0).unwrap())
            .unwrap()
            .timestamp_millis()
    };
    let at = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .unwrap()
            .with_timezone(&moscow)
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, false)
    };
    let next_month = day.with_day(1).unwrap() + chrono::Months::new(1);
    let short_end = next_month + chrono::Months::new(1) - chrono::Days::new(1);
    let back = (next_month + chrono::Months::new(1)).with_day(31).unwrap();
    let s = schedule(
        &app,
        &p,
        json!({"staffids": [a.id], "title": "Табель", "message": "Сдайте табель", "senddate": at(nine(day)),
               "repeat": "monthly"}),
    )
    .await;
    assert_eq!(s["repeat"], "monthly", "{s}");
    let pending = || async {
        app.post("getschedule", Some(&p.token), json!({"inn": p.inn}))
            .await
            .ok()["pending"]
            .clone()
    };
    let minute = 60_000;
    assert_eq!(run_due(&app.state, nine(day) + minute).await.unwrap(), 1);
    assert_eq!(pending().await[0]["senddate"], at(nine(short_end)).as_str());
    assert_eq!(
        run_due(&app.state, nine(short_end) + minute).await.unwrap(),
        1
    );
    let waiting = pending().await;
    assert_eq!(
        waiting[0]["senddate"],
        at(nine(back)).as_str(),
        "back on the 31st: {waiting}"
    );
    assert_eq!(waiting[0]["seriesid"], s["scheduleid"]);
    assert_eq!(titles_of(&app, &p, &a).await, ["Табель", "Табель"]);
}

async fn the_cabinet_schedules_a_send_that_repeats(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let a = app.login(&p.inn, PHONE, "Иванов И.").await;
    let b = Browser::new(&app);
    b.partner(&p.inn).await;
    let form = b.get("/cabinet/send").await;
    assert!(
        form.body
            .contains("<option value=\"weekdays\">по будням</option>"),
        "{}",
        form.body
    );
    let csrf = form.csrf();
    let at = chrono::DateTime::from_timestamp_millis(now_millis() + HOUR_MS)
        .unwrap()
        .with_timezone(&chrono::FixedOffset::east_opt(3 * 3600).unwrap())
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let send = |when: &'static str, repeat: &'static str| {
        let (b, csrf, at, staff) = (&b, csrf.clone(), at.clone(), a.id.clone());
        async move {
            b.post(
                "/cabinet/send",
                &[
                    ("csrf", csrf.as_str()),
                    ("staff", &staff),
                    ("title", "Обход"),
                    ("text", "Склад"),
                    ("when", when),
                    ("send_at", if when == "later" { &at } else { "" }),
                    ("repeat", repeat),
                ],
            )
            .await
        }
    };
    // "Now" with a repeat is a choice to fix, not a send.
    let now = send("now", "daily").await;
    assert_eq!(now.status, 400);
    assert!(
        now.body
            .contains("Повторять можно только запланированную отправку"),
        "{}",
        now.body
    );
    assert!(
        now.body.contains("<option value=\"daily\" selected>"),
        "the choice is kept"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM messages").await, 0);
    let bad = send("later", "hourly").await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("«repeat»"), "{}", bad.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM scheduled_sends").await, 0);

    let scheduled = send("later", "daily").await;
    assert_eq!(scheduled.status, 200, "{}", scheduled.body);
    let note = scheduled
        .body
        .split("id=\"schedule-result\"")
        .nth(1)
        .unwrap();
    assert!(note.contains("каждый день"), "{note}");
    let page = b.get("/cabinet/scheduled").await;
    assert!(page.body.contains("↻ каждый день"), "{}", page.body);
    let list = app
        .post("getschedule", Some(&p.token), json!({"inn": p.inn}))
        .await
        .ok()
        .clone();
    assert_eq!(list["pending"][0]["repeat"], "daily", "{list}");
    let entries = journal(&b.get("/cabinet/journal?kind=sent").await);
    assert!(entries[0].1.ends_with("повтор: каждый день"), "{entries:?}");
    let english = b.get("/cabinet/scheduled?lang=en").await;
    assert!(english.body.contains("↻ every day"), "{}", english.body);
    // The journal keeps the Russian; the English page reads it back through its pattern.
    let english = b.get("/cabinet/journal?kind=sent").await;
    assert!(
        english.body.contains("“Обход” → ")
            && english.body.contains(", recipients: 1, repeats: every day"),
        "{}",
        english.body
    );

    // With a last day: the page says until when; a last day before the first send is refused
    // with what was typed kept, and nothing is scheduled.
    let until = |day: &str| {
        let (b, csrf, at, staff) = (&b, csrf.clone(), at.clone(), a.id.clone());
        let day = day.to_owned();
        async move {
            b.post(
                "/cabinet/send",
                &[
                    ("csrf", csrf.as_str()),
                    ("staff", &staff),
                    ("title", "До пятницы"),
                    ("text", "Склад"),
                    ("when", "later"),
                    ("send_at", &at),
                    ("repeat", "weekdays"),
                    ("repeat_until", &day),
                ],
            )
            .await
        }
    };
    let pending = || app.count("SELECT COUNT(*) FROM scheduled_sends WHERE state = 'pending'");
    let before = pending().await;
    let yesterday = chrono::DateTime::from_timestamp_millis(now_millis() - 24 * HOUR_MS)
        .unwrap()
        .format("%Y-%m-%d")
        .to_string();
    let early = until(&yesterday).await;
    assert_eq!(early.status, 400);
    assert!(
        early
            .body
            .contains("The repeats cannot end before the first send")
            && early.body.contains(&format!("value=\"{yesterday}\"")),
        "{}",
        early.body
    );
    assert_eq!(pending().await, before);
    let ok = until("2099-12-31").await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let page = b.get("/cabinet/scheduled").await;
    assert!(
        page.body.contains("↻ on weekdays, until 2099-12-31 23:59"),
        "{}",
        page.body
    );
    let list = app
        .post("getschedule", Some(&p.token), json!({"inn": p.inn}))
        .await
        .ok()
        .clone();
    assert!(
        list["pending"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["repeatuntil"] == "2099-12-31T23:59:59.999+03:00"),
        "{list}"
    );
}
