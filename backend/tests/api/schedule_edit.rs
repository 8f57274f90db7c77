//! A waiting send changed in the cabinet and through the API: its time, words, recipients and
//! repeats, checked as when it was scheduled; it goes as changed, a series keeps to its new
//! time, a change that lands while the scheduler sends it is never lost nor half-applied, and
//! the journal has each change, the API's too.

use crate::admins::dispatcher;
use crate::cabinet::{Browser, journal};
use crate::groups::save;
use crate::helpers::*;
use crate::schedule::{in_ms, next_friday_nine, schedule};
use serde_json::json;
use simo_backend::domain::{MessageText, StaffId, Title, now_millis};
use simo_backend::service::messaging::Recipients;
use simo_backend::service::schedule::{Change, change, run_due};
use simo_backend::store::{ScheduledOutcome, ScheduledRow};

both_databases!(
    a_waiting_send_is_changed_in_the_cabinet_and_goes_as_changed,
    a_changed_series_keeps_to_its_new_time_up_to_its_end,
    a_send_changed_while_the_scheduler_reads_it_goes_as_changed,
    the_api_changes_what_it_is_given_of_a_waiting_send,
    the_api_changes_whom_a_send_goes_to_and_how_it_repeats,
    the_cabinet_changes_whom_a_send_goes_to_and_how_it_repeats,
    the_apis_schedules_changes_and_cancels_are_journaled,
    the_messages_of_a_scheduled_send_are_read_by_its_id_a_page_at_a_time,
    whether_a_send_asks_to_be_acknowledged_is_changed_too,
);

const HOUR_MS: i64 = 3_600_000;
const MINUTE_MS: i64 = 60_000;

/// A moment as the cabinet's `datetime-local` field has it (the server's zone is Moscow).
fn local(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap()
        .with_timezone(&chrono::FixedOffset::east_opt(3 * 3600).unwrap())
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

/// The Moscow day of a moment, as a date field has it.
fn local_day(ms: i64) -> String {
    local(ms)[..10].to_owned()
}

/// Moments `local` can say: whole minutes.
fn whole_minute(ms: i64) -> i64 {
    ms - ms.rem_euclid(MINUTE_MS)
}

async fn post_edit(
    b: &Browser,
    id: i64,
    at: &str,
    title: &str,
    text: &str,
) -> crate::cabinet::Page {
    let path = format!("/cabinet/scheduled/{id}/edit");
    let csrf = b.get("/cabinet/scheduled").await.csrf();
    b.post(
        &path,
        &[
            ("csrf", csrf.as_str()),
            ("send_at", at),
            ("title", title),
            ("text", text),
        ],
    )
    .await
}

/// A send's ID as the API answers it.
fn sid(answer: &serde_json::Value) -> i64 {
    let id = &answer["scheduleid"];
    id.as_i64()
        .or_else(|| id.as_str()?.parse().ok())
        .unwrap_or_else(|| panic!("{answer}"))
}

/// A company, its employee, and a send to them scheduled an hour ahead through the API.
async fn waiting_in_an_hour(app: &TestApp, title: &str, text: &str) -> (Partner, Employee, i64) {
    let p = app.create_partner(INN_A).await;
    let a = app.login(&p.inn, PHONE, "Иванов Иван").await;
    let s = schedule(
        app,
        &p,
        json!({"staffids": [a.id], "title": title, "message": text, "senddate": in_ms(HOUR_MS)}),
    )
    .await;
    (p, a, sid(&s))
}

/// A send as stored.
async fn send_row(app: &TestApp, partner_id: i64, id: i64) -> ScheduledRow {
    let row = app
        .state
        .store
        .scheduled_send(partner_id, id)
        .await
        .unwrap();
    row.expect("the send is stored")
}

async fn messages_titled(app: &TestApp, title: &str) -> i64 {
    app.count(&format!(
        "SELECT COUNT(*) FROM messages WHERE title = '{title}'"
    ))
    .await
}

async fn a_waiting_send_is_changed_in_the_cabinet_and_goes_as_changed(app: TestApp) {
    let (p, a, id) = waiting_in_an_hour(&app, "Смена", "В 8:00").await;
    let b = Browser::new(&app);
    b.partner(&p.inn).await;
    let list = b.get("/cabinet/scheduled").await.body;
    let edit = format!("/cabinet/scheduled/{id}/edit");
    assert!(list.contains(&format!("href=\"{edit}\"")), "{list}");
    let form = b.get(&edit).await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(form.body.contains("name=\"title\" value=\"Смена\""));
    assert!(form.body.contains(">В 8:00</textarea>"));
    let row = send_row(&app, p.id, id).await;
    assert!(
        form.body
            .contains(&format!("value=\"{}\"", local(row.send_at)))
    );

    // Refused with what was typed kept, and nothing changed.
    let later = whole_minute(now_millis() + 3 * HOUR_MS);
    for (at, title, needle) in [
        (local(now_millis() - HOUR_MS), "Новое", "уже прошло"),
        ("завтра".to_owned(), "Новое", "Укажите дату и время"),
        (local(later), " ", "заголов"),
        (
            local(now_millis() + 400 * 24 * HOUR_MS),
            "Новое",
            "не более чем на год",
        ),
    ] {
        let refused = post_edit(&b, id, &at, title, "Текст").await;
        assert_eq!(refused.status, 400, "{at} {title}: {}", refused.body);
        assert!(
            refused.body.to_lowercase().contains(&needle.to_lowercase()),
            "{needle}: {}",
            refused.body
        );
        assert!(refused.body.contains("id=\"sched-edit-error\""));
    }
    let unchanged = send_row(&app, p.id, id).await;
    assert_eq!(
        (unchanged.title.as_str(), unchanged.send_at),
        ("Смена", row.send_at)
    );

    // Changed: the list says so, the journal has before and after.
    let changed = post_edit(&b, id, &local(later), "Смена (перенос)", "В 11:00").await;
    assert_eq!(
        changed.location.as_deref(),
        Some("/cabinet/scheduled?done=sched_changed"),
        "{}",
        changed.body
    );
    let after = send_row(&app, p.id, id).await;
    assert_eq!(
        (after.title.as_str(), after.body.as_str(), after.send_at),
        ("Смена (перенос)", "В 11:00", later)
    );
    let journaled = "SELECT COUNT(*) FROM audit_events WHERE action = 'schedule_changed'
        AND detail LIKE '«Смена» → %, получателей: 1 ⇒ «Смена (перенос)» → %, получателей: 1'";
    assert_eq!(app.count(journaled).await, 1);
    assert!(
        b.get("/cabinet/scheduled?done=sched_changed")
            .await
            .body
            .contains("Запланированная отправка изменена")
    );

    // It goes at its new time, not the old one, with its new words.
    assert_eq!(
        run_due(&app.state, row.send_at + MINUTE_MS).await.unwrap(),
        0
    );
    assert_eq!(run_due(&app.state, later + MINUTE_MS).await.unwrap(), 1);
    assert_eq!(messages_titled(&app, "Смена (перенос)").await, 1);
    assert_eq!(messages_titled(&app, "Смена").await, 0);
    // Gone: too late to change; the list says so.
    assert_eq!(
        b.get(&edit).await.location.as_deref(),
        Some("/cabinet/scheduled?done=sched_too_late")
    );
    let late = post_edit(&b, id, &local(later + HOUR_MS), "Ещё раз", "Текст").await;
    assert_eq!(
        late.location.as_deref(),
        Some("/cabinet/scheduled?done=sched_too_late")
    );
    assert_eq!(messages_titled(&app, "Ещё раз").await, 0);

    // Another company's send is not found; a sender changes only their own.
    let waiting = schedule(
        &app,
        &p,
        json!({"staffids": [a.id], "title": "Склад", "message": "-", "senddate": in_ms(HOUR_MS)}),
    )
    .await;
    let waiting = sid(&waiting);
    let other = app.create_partner(INN_B).await;
    let ob = Browser::new(&app);
    ob.partner(&other.inn).await;
    assert_eq!(
        ob.get(&format!("/cabinet/scheduled/{waiting}/edit"))
            .await
            .status,
        404
    );
    let theirs = post_edit(&ob, waiting, &local(later), "Чужое", "-").await;
    assert_eq!(theirs.status, 404);
    let (_, d, _, _) = dispatcher(&app, &p).await;
    let d_list = d.get("/cabinet/scheduled").await.body;
    assert!(!d_list.contains(&format!("/cabinet/scheduled/{waiting}/edit")));
    assert_eq!(
        d.get(&format!("/cabinet/scheduled/{waiting}/edit"))
            .await
            .status,
        403
    );
    assert_eq!(
        post_edit(&d, waiting, &local(later), "Диспетчер", "-")
            .await
            .status,
        403
    );
    let send_form = d.get("/cabinet/send").await;
    let own = d
        .post(
            "/cabinet/send",
            &[
                ("csrf", send_form.csrf().as_str()),
                ("staff", &a.id),
                ("title", "Своё"),
                ("text", "-"),
                ("when", "later"),
                ("send_at", &local(later)),
            ],
        )
        .await;
    assert_eq!(own.status, 200, "{}", own.body);
    let own_id = app
        .count("SELECT id FROM scheduled_sends WHERE title = 'Своё'")
        .await;
    let mine = post_edit(&d, own_id, &local(later), "Своё, исправлено", "-").await;
    assert_eq!(mine.status, 303, "{}", mine.body);
    assert_eq!(send_row(&app, p.id, waiting).await.title, "Склад");
}

async fn a_changed_series_keeps_to_its_new_time_up_to_its_end(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let a = app.login(&p.inn, PHONE, "Иванов Иван").await;
    let friday = next_friday_nine();
    let day = 24 * HOUR_MS;
    let moscow = chrono::FixedOffset::east_opt(3 * 3600).unwrap();
    let date = local_day;
    let at = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .unwrap()
            .with_timezone(&moscow)
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, false)
    };
    // Daily at 9:00 from Friday to Sunday.
    let s = schedule(
        &app,
        &p,
        json!({"staffids": [a.id], "title": "Дежурство", "message": "Склад", "senddate": at(friday),
               "repeat": "daily", "repeatuntil": date(friday + 2 * day)}),
    )
    .await;
    let first = sid(&s);
    let b = Browser::new(&app);
    b.partner(&p.inn).await;
    let form = b
        .get(&format!("/cabinet/scheduled/{first}/edit"))
        .await
        .body;
    assert!(
        form.contains("Следующие отправки серии пойдут в новое время"),
        "{form}"
    );
    // Past the series' end: refused.
    let past_end = post_edit(&b, first, &local(friday + 3 * day), "Дежурство", "Склад").await;
    assert_eq!(past_end.status, 400);
    assert!(past_end.body.contains("заканчиваются"), "{}", past_end.body);

    // Friday's moved to 11:00: Saturday's follows at 11:00 and carries the new words.
    let eleven = friday + 2 * HOUR_MS;
    let moved = post_edit(&b, first, &local(eleven), "Дежурство с 11", "Склад").await;
    assert_eq!(moved.status, 303, "{}", moved.body);
    assert_eq!(run_due(&app.state, friday + MINUTE_MS).await.unwrap(), 0);
    assert_eq!(run_due(&app.state, eleven + MINUTE_MS).await.unwrap(), 1);
    let (pending, _) = app.state.store.scheduled_sends(p.id, 10).await.unwrap();
    assert_eq!(pending.len(), 1);
    let saturday = &pending[0];
    assert_eq!(saturday.send_at, eleven + day);
    assert_eq!(saturday.title, "Дежурство с 11");

    // Saturday's moved back to 10:00: Sunday's follows at 10:00, and none after Sunday.
    let ten = friday + day + HOUR_MS;
    let moved = post_edit(&b, saturday.id, &local(ten), "Дежурство с 10", "Склад").await;
    assert_eq!(moved.status, 303, "{}", moved.body);
    assert_eq!(run_due(&app.state, ten + MINUTE_MS).await.unwrap(), 1);
    let (pending, _) = app.state.store.scheduled_sends(p.id, 10).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].send_at, ten + day);
    assert_eq!(run_due(&app.state, ten + day + MINUTE_MS).await.unwrap(), 1);
    let (pending, _) = app.state.store.scheduled_sends(p.id, 10).await.unwrap();
    assert!(pending.is_empty(), "the series ended on Sunday");
    assert_eq!(messages_titled(&app, "Дежурство с 10").await, 2);
    assert_eq!(messages_titled(&app, "Дежурство с 11").await, 1);
}

async fn a_send_changed_while_the_scheduler_reads_it_goes_as_changed(app: TestApp) {
    let (p, _, id) = waiting_in_an_hour(&app, "Было", "-").await;
    // The scheduler has read it as due…
    let due = app
        .state
        .store
        .due_scheduled(now_millis() + 2 * HOUR_MS, 10)
        .await
        .unwrap();
    assert_eq!(due.len(), 1);
    // …when an admin changes it…
    let partner = app.state.store.partner_by_id(p.id).await.unwrap().unwrap();
    let (title, text) = (
        Title::parse("Стало").unwrap(),
        MessageText::parse("-").unwrap(),
    );
    let soon = now_millis() + HOUR_MS / 2;
    let to = Change {
        title: Some(&title),
        text: Some(&text),
        send_at: Some(soon),
        ..Change::default()
    };
    change(&app.state, &partner, id, to).await.unwrap();
    // …so the send it read is not sent as it was: nothing is created with the old words…
    let outcome = ScheduledOutcome {
        recipients: &[],
        refused_count: 0,
        refused_detail: None,
        now: now_millis(),
        next: None,
        personal: None,
    };
    let claims = |read: ScheduledRow| {
        let (store, outcome) = (&app.state.store, &outcome);
        async move {
            store
                .send_scheduled(&read, outcome)
                .await
                .unwrap()
                .is_some()
        }
    };
    assert!(
        !claims(due[0].clone()).await,
        "the stale read claims nothing"
    );
    // A change of whom it goes to alone (the time and words as read) is a change too.
    let due = app
        .state
        .store
        .due_scheduled(soon + MINUTE_MS, 10)
        .await
        .unwrap();
    let b = app.login(&p.inn, "+79230000002", "Петров Пётр").await;
    let b_id = StaffId(b.id.parse().unwrap());
    let to = Change {
        to: Some(Recipients::Listed(&[b_id])),
        ..Change::default()
    };
    change(&app.state, &partner, id, to).await.unwrap();
    assert!(
        !claims(due[0].clone()).await,
        "a read before the recipients changed claims nothing"
    );
    // …and the next round sends it as changed, to whom it goes now.
    assert_eq!(run_due(&app.state, soon + MINUTE_MS).await.unwrap(), 1);
    assert_eq!(messages_titled(&app, "Стало").await, 1);
    assert_eq!(messages_titled(&app, "Было").await, 0);
    let to_b = format!(
        "SELECT COUNT(*) FROM messages WHERE title = 'Стало' AND staff_id = {}",
        b.id
    );
    assert_eq!(app.count(&to_b).await, 1);
}

async fn the_api_changes_what_it_is_given_of_a_waiting_send(app: TestApp) {
    let (p, _, id) = waiting_in_an_hour(&app, "Смена", "В 8:00").await;
    let call = |body: serde_json::Value| {
        let (app, token, inn) = (&app, p.token.clone(), p.inn.clone());
        async move {
            let mut body = body;
            body["inn"] = json!(inn);
            app.post("changeschedule", Some(&token), body).await
        }
    };
    let before = send_row(&app, p.id, id).await;

    // The title alone: the time and text stay.
    let retitled = call(json!({"scheduleid": id.to_string(), "title": "Смена (уточнение)"})).await;
    let data = retitled.ok();
    assert_eq!(data["title"], "Смена (уточнение)");
    assert_eq!(data["message"], "В 8:00");
    assert_eq!(data["state"], "pending");
    let after = send_row(&app, p.id, id).await;
    assert_eq!(after.send_at, before.send_at);
    // The time and text, the ID as a number: the title stays.
    let later = in_ms(3 * HOUR_MS);
    let moved = call(json!({"scheduleid": id, "senddate": later, "message": "В 11:00"})).await;
    let data = moved.ok();
    assert_eq!(data["title"], "Смена (уточнение)");
    assert_eq!(data["message"], "В 11:00");
    assert_eq!(data["senddate"], later.as_str());

    // Refused in the envelope, and nothing changed.
    for (body, status, needle) in [
        (json!({"scheduleid": id}), 400, "Укажите, что изменить"),
        (
            json!({"scheduleid": id, "title": "  "}),
            400,
            "Укажите, что изменить",
        ),
        (
            json!({"scheduleid": id, "senddate": in_ms(-HOUR_MS)}),
            400,
            "уже прошло",
        ),
        (
            json!({"scheduleid": id, "senddate": "когда-нибудь"}),
            400,
            "Неверная дата",
        ),
        (
            json!({"scheduleid": id, "title": "x".repeat(300)}),
            400,
            "250",
        ),
        (
            json!({"scheduleid": "abc", "title": "Новое"}),
            400,
            "Неверный идентификатор",
        ),
        (json!({"title": "Новое"}), 400, "scheduleid"),
        (
            json!({"scheduleid": id + 1000, "title": "Новое"}),
            404,
            "не найдена",
        ),
    ] {
        let refused = call(body.clone()).await;
        let error = refused.failed(status);
        assert!(error.contains(needle), "{body}: {error}");
    }
    // Another company's send is not found; a read-only key changes nothing.
    let other = app.create_partner(INN_B).await;
    let theirs = app
        .post(
            "changeschedule",
            Some(&other.token),
            json!({"inn": other.inn, "scheduleid": id, "title": "Чужое"}),
        )
        .await;
    theirs.failed(404);
    let b = Browser::new(&app);
    b.partner(&p.inn).await;
    let reader = crate::api_keys::add_key(&b, "Отчёты", "read").await;
    let read_only = app
        .post(
            "changeschedule",
            Some(&reader),
            json!({"inn": p.inn, "scheduleid": id, "title": "Читатель"}),
        )
        .await;
    read_only.failed(403);
    let now = send_row(&app, p.id, id).await;
    assert_eq!(
        (now.title.as_str(), now.body.as_str()),
        ("Смена (уточнение)", "В 11:00")
    );

    // It goes as changed; then it is too late.
    assert_eq!(
        run_due(&app.state, now.send_at + MINUTE_MS).await.unwrap(),
        1
    );
    assert_eq!(messages_titled(&app, "Смена (уточнение)").await, 1);
    let gone = call(json!({"scheduleid": id, "title": "Поздно"})).await;
    assert!(gone.failed(409).contains("уже выполнена"));
}

/// `changeschedule` of the company's send, with its INN.
async fn change_by_api(app: &TestApp, p: &Partner, body: serde_json::Value) -> Answer {
    let mut body = body;
    body["inn"] = json!(p.inn);
    app.post("changeschedule", Some(&p.token), body).await
}

async fn the_api_changes_whom_a_send_goes_to_and_how_it_repeats(app: TestApp) {
    let (p, a, id) = waiting_in_an_hour(&app, "Смена", "В 8:00").await;
    let b = app.login(&p.inn, "+79230000002", "Петров Пётр").await;
    let group = save(&app, &p, json!({"name": "Склад", "staffids": [b.id]})).await;
    let group_id = group["groupid"].as_str().unwrap().to_owned();
    let send_at = send_row(&app, p.id, id).await.send_at;
    let listed = |ids: &[&str]| -> Vec<StaffId> {
        ids.iter().map(|id| StaffId(id.parse().unwrap())).collect()
    };

    // To another employee, then a group, then everyone: the answer and the row say so.
    let to_b = change_by_api(
        &app,
        &p,
        json!({"scheduleid": id, "staffids": [b.id, b.id]}),
    )
    .await;
    assert_eq!(to_b.ok()["staffids"], json!([b.id]), "each once");
    assert_eq!(
        send_row(&app, p.id, id).await.listed(),
        Some(listed(&[&b.id]))
    );
    let to_group = change_by_api(&app, &p, json!({"scheduleid": id, "groupid": group_id})).await;
    assert_eq!(to_group.ok()["groupid"], group_id.as_str());
    let row = send_row(&app, p.id, id).await;
    assert_eq!((row.listed(), row.group_id), (None, group_id.parse().ok()));
    let to_all = change_by_api(&app, &p, json!({"scheduleid": id, "all": true})).await;
    assert_eq!(to_all.ok()["all"], true);
    let row = send_row(&app, p.id, id).await;
    assert_eq!((row.listed(), row.group_id), (None, None));
    assert_eq!(row.title, "Смена", "the rest stays");

    // Refused in the envelope, and nothing changed.
    let until_before_send = chrono::DateTime::from_timestamp_millis(send_at - 2 * HOUR_MS)
        .unwrap()
        .to_rfc3339();
    for (body, status, needle) in [
        (
            json!({"scheduleid": id, "staffids": ["999999"]}),
            404,
            "999999",
        ),
        (
            json!({"scheduleid": id, "groupid": "999999"}),
            404,
            "999999",
        ),
        (
            json!({"scheduleid": id, "all": true, "groupid": group_id}),
            400,
            "что-то одно",
        ),
        (
            json!({"scheduleid": id, "staffids": ["abc"]}),
            400,
            "Неверный идентификатор сотрудника",
        ),
        (json!({"scheduleid": id, "repeat": "hourly"}), 400, "repeat"),
        (
            json!({"scheduleid": id, "repeatuntil": "2099-01-01"}),
            400,
            "укажите и «repeat»",
        ),
        (
            json!({"scheduleid": id, "repeat": "daily", "repeatuntil": until_before_send}),
            400,
            "не раньше первой отправки",
        ),
        (
            json!({"scheduleid": id, "repeat": "daily", "repeatuntil": "вчера"}),
            400,
            "Неверная дата",
        ),
    ] {
        let refused = change_by_api(&app, &p, body.clone()).await;
        let error = refused.failed(status);
        assert!(error.contains(needle), "{body}: {error}");
    }
    let row = send_row(&app, p.id, id).await;
    assert_eq!((row.listed(), row.group_id, row.repeat), (None, None, None));

    // Repeating daily to the last day, then until cancelled, then once again.
    let last_day = local_day(send_at + 72 * HOUR_MS);
    let series = change_by_api(
        &app,
        &p,
        json!({"scheduleid": id, "repeat": "daily", "repeatuntil": last_day, "staffids": [a.id]}),
    )
    .await;
    let data = series.ok();
    assert_eq!(data["repeat"], "daily", "{data}");
    assert!(
        data["repeatuntil"].as_str().unwrap().starts_with(&last_day),
        "{data}"
    );
    let row = send_row(&app, p.id, id).await;
    assert_eq!(row.repeat.as_deref(), Some("daily"));
    assert!(row.repeat_until.is_some());
    assert_eq!(row.listed(), Some(listed(&[&a.id])));
    let endless = change_by_api(&app, &p, json!({"scheduleid": id, "repeatuntil": "none"})).await;
    endless.ok();
    let row = send_row(&app, p.id, id).await;
    assert_eq!(
        (row.repeat.as_deref(), row.repeat_until),
        (Some("daily"), None)
    );
    let bounded = change_by_api(&app, &p, json!({"scheduleid": id, "repeatuntil": last_day})).await;
    bounded.ok();
    let once = change_by_api(&app, &p, json!({"scheduleid": id, "repeat": "once"})).await;
    once.ok();
    let row = send_row(&app, p.id, id).await;
    assert_eq!(
        (row.repeat.as_deref(), row.repeat_until),
        (None, None),
        "going once drops the series' end"
    );

    // A daily send to the group goes to its members; the next of the series keeps to them.
    let daily = change_by_api(
        &app,
        &p,
        json!({"scheduleid": id, "repeat": "daily", "groupid": group_id}),
    )
    .await;
    daily.ok();
    assert_eq!(run_due(&app.state, send_at + MINUTE_MS).await.unwrap(), 1);
    let to_b = format!(
        "SELECT COUNT(*) FROM messages WHERE title = 'Смена' AND staff_id = {}",
        b.id
    );
    assert_eq!(app.count(&to_b).await, 1);
    assert_eq!(messages_titled(&app, "Смена").await, 1, "{} got none", a.id);
    let (pending, _) = app.state.store.scheduled_sends(p.id, 10).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].group_id, group_id.parse().ok());
    assert_eq!(pending[0].send_at, send_at + 24 * HOUR_MS);
}

async fn the_cabinet_changes_whom_a_send_goes_to_and_how_it_repeats(app: TestApp) {
    let (p, a, id) = waiting_in_an_hour(&app, "Смена", "В 8:00").await;
    let b_phone = "+79230000002";
    let b = app.login(&p.inn, b_phone, "Петров Пётр").await;
    let group = save(&app, &p, json!({"name": "Склад", "staffids": [b.id]})).await;
    let group_id = group["groupid"].as_str().unwrap().to_owned();
    let row = send_row(&app, p.id, id).await;
    let at = local(row.send_at);
    let browser = Browser::new(&app);
    browser.partner(&p.inn).await;
    let path = format!("/cabinet/scheduled/{id}/edit");
    let form = browser.get(&path).await;
    assert!(
        form.body.contains("id=\"sched-to-keep\" checked"),
        "{}",
        form.body
    );
    assert!(form.body.contains("Склад"), "the group is offered");
    let post = |fields: Vec<(&'static str, String)>| {
        let (browser, path, at) = (&browser, path.clone(), at.clone());
        async move {
            let csrf = browser.get(&path).await.csrf();
            let mut all = vec![
                ("csrf", csrf),
                ("send_at", at),
                ("title", "Смена".to_owned()),
                ("text", "В 8:00".to_owned()),
            ];
            all.extend(fields);
            let pairs: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
            browser.post(&path, &pairs).await
        }
    };

    // A list with one entry that is nobody: refused whole, naming it, with what was typed kept.
    let typed = format!("{b_phone}, 999999");
    let refused = post(vec![("to", "list".into()), ("staff_list", typed.clone())]).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains("нет таких сотрудников: 999999"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains(&format!(">{typed}</textarea>")));
    assert!(refused.body.contains("id=\"sched-to-list\" checked"));
    let no_group = post(vec![("to", "group".into())]).await;
    assert_eq!(no_group.status, 400);
    assert!(
        no_group.body.contains("Выберите группу"),
        "{}",
        no_group.body
    );
    let bad_day = post(vec![
        ("repeat", "daily".into()),
        ("repeat_until", "скоро".into()),
    ])
    .await;
    assert_eq!(bad_day.status, 400, "{}", bad_day.body);
    assert_eq!(send_row(&app, p.id, id).await.listed(), row.listed());

    // By phone: the row lists them.
    let changed = post(vec![
        ("to", "list".into()),
        ("staff_list", "8 923 000-00-02".into()),
    ])
    .await;
    assert_eq!(changed.status, 303, "{}", changed.body);
    let b_id = StaffId(b.id.parse().unwrap());
    assert_eq!(send_row(&app, p.id, id).await.listed(), Some(vec![b_id]));
    // To the group, repeating weekly to a last day.
    let last_day = local_day(row.send_at + 30 * 24 * HOUR_MS);
    let weekly = post(vec![
        ("to", "group".into()),
        ("group", group_id.clone()),
        ("repeat", "weekly".into()),
        ("repeat_until", last_day.clone()),
    ])
    .await;
    assert_eq!(weekly.status, 303, "{}", weekly.body);
    let now = send_row(&app, p.id, id).await;
    assert_eq!(
        (now.group_id, now.repeat.as_deref()),
        (group_id.parse().ok(), Some("weekly"))
    );
    let page = browser.get(&path).await.body;
    assert!(page.contains(&format!("value=\"{last_day}\"")), "{page}");
    assert!(
        page.contains("<option value=\"weekly\" selected>"),
        "{page}"
    );

    // An end the API set at an hour stays at that hour when the form keeps its day.
    let noon = format!("{last_day}T12:00:00+03:00");
    change_by_api(&app, &p, json!({"scheduleid": id, "repeatuntil": noon}))
        .await
        .ok();
    let set = send_row(&app, p.id, id).await.repeat_until;
    let kept = post(vec![
        ("repeat", "weekly".into()),
        ("repeat_until", last_day.clone()),
    ])
    .await;
    assert_eq!(kept.status, 303, "{}", kept.body);
    assert_eq!(send_row(&app, p.id, id).await.repeat_until, set);
    // Once, to everyone active: the end goes with the repeat.
    let once = post(vec![
        ("to", "all".into()),
        ("repeat", String::new()),
        ("repeat_until", last_day.clone()),
    ])
    .await;
    assert_eq!(once.status, 303, "{}", once.body);
    let now = send_row(&app, p.id, id).await;
    assert_eq!(
        (now.listed(), now.group_id, now.repeat, now.repeat_until),
        (None, None, None, None)
    );

    // The journal has each change, the recipients and repeat said; the English page reads it.
    let entries = journal(&browser.get("/cabinet/journal?kind=sent").await);
    let changes: Vec<&str> = entries
        .iter()
        .map(|(_, what, _)| what.as_str())
        .filter(|what| what.contains(" ⇒ "))
        .collect();
    // The list, the group, the API's end and everyone: the form that changed nothing is not
    // journaled.
    assert_eq!(changes.len(), 4, "{entries:?}");
    assert!(
        changes[2].contains("получателей: группа «Склад», повтор: каждую неделю"),
        "{changes:?}"
    );
    assert!(
        changes[0].ends_with("получателей: все активные"),
        "{changes:?}"
    );
    let english = browser.get("/cabinet/journal?kind=sent&lang=en").await.body;
    assert!(
        english.contains("recipients: group “Склад”, repeats: every week ⇒"),
        "{english}"
    );
    // Still goes, to everyone active then.
    assert_eq!(
        run_due(&app.state, row.send_at + MINUTE_MS).await.unwrap(),
        1
    );
    assert_eq!(
        messages_titled(&app, "Смена").await,
        2,
        "{} and {}",
        a.id,
        b.id
    );
}

async fn the_apis_schedules_changes_and_cancels_are_journaled(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let a = app.login(&p.inn, PHONE, "Иванов Иван").await;
    let body = json!({"inn": p.inn, "staffids": [a.id], "title": "Инвентаризация",
                      "message": "-", "senddate": in_ms(HOUR_MS)});
    let keyed = |body: serde_json::Value| {
        let (app, token) = (&app, p.token.clone());
        async move {
            app.call_with(
                "POST",
                "/api/v1/schedulemessage",
                Some(&token),
                &[("Idempotency-Key", b"inv-1".as_slice())],
                Some(body.to_string().into_bytes()),
            )
            .await
        }
    };
    let first = keyed(body.clone()).await;
    let id = sid(first.ok());
    // A repeat of the call after a timeout is the same send, journaled once.
    assert_eq!(sid(keyed(body).await.ok()), id);
    change_by_api(
        &app,
        &p,
        json!({"scheduleid": id, "title": "Инвентаризация склада", "repeat": "weekly"}),
    )
    .await
    .ok();
    app.post(
        "cancelschedule",
        Some(&p.token),
        json!({"inn": p.inn, "scheduleid": id}),
    )
    .await
    .ok();
    let b = Browser::new(&app);
    b.partner(&p.inn).await;
    let entries = journal(&b.get("/cabinet/journal?who=api").await);
    let what: Vec<&str> = entries.iter().map(|(_, what, _)| what.as_str()).collect();
    assert_eq!(what.len(), 3, "{what:?}");
    assert!(
        what[2].starts_with("Сообщение запланировано") && what[2].contains("«Инвентаризация» → "),
        "{what:?}"
    );
    assert!(
        what[1].contains("получателей: 1 ⇒ «Инвентаризация склада» → ")
            && what[1].ends_with("повтор: каждую неделю"),
        "{what:?}"
    );
    assert!(
        what[0].starts_with("Запланированная отправка отменена")
            && what[0].contains("«Инвентаризация склада»"),
        "{what:?}"
    );
    // Refused calls change nothing and journal nothing.
    let refused = change_by_api(&app, &p, json!({"scheduleid": id, "title": "Поздно"})).await;
    refused.failed(409);
    let again = journal(&b.get("/cabinet/journal?who=api").await);
    assert_eq!(again.len(), 3);
    // Another company's journal has none of it.
    let other = app.create_partner(INN_B).await;
    let ob = Browser::new(&app);
    ob.partner(&other.inn).await;
    let theirs = journal(&ob.get("/cabinet/journal?kind=sent").await);
    assert!(theirs.is_empty(), "{theirs:?}");
}

async fn the_messages_of_a_scheduled_send_are_read_by_its_id_a_page_at_a_time(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let a = app.login(&p.inn, PHONE, "Иванов Иван").await;
    // 1,001 employees: the one who logged in and a staff list of 1,000.
    let listed: Vec<(String, String)> = (0..1000)
        .map(|i| (format!("+7991{i:07}"), format!("Сотрудник {i}")))
        .collect();
    app.add_listed(&p, &listed).await;
    let all = schedule(
        &app,
        &p,
        json!({"all": true, "title": "Всем", "message": "-", "senddate": in_ms(HOUR_MS)}),
    )
    .await;
    let id = sid(&all);
    let statuses = |body: serde_json::Value| {
        let (app, p) = (&app, &p);
        async move {
            let mut body = body;
            body["inn"] = json!(p.inn);
            app.post("getmessagestatus", Some(&p.token), body).await
        }
    };
    // Waiting: nothing yet.
    let waiting = statuses(json!({"scheduleid": id})).await;
    assert_eq!(
        (&waiting.ok()["messages"], &waiting.ok()["more"]),
        (&json!([]), &json!(false))
    );
    // A single message sent alone meanwhile is none of the send's.
    app.create_message(&p, &a.id, "Отдельно", "-").await.ok();
    let due = send_row(&app, p.id, id).await.send_at + MINUTE_MS;
    assert_eq!(run_due(&app.state, due).await.unwrap(), 1);

    // Two pages: 1,000 and one, in id order, all of the send.
    let first = statuses(json!({"scheduleid": id.to_string()})).await;
    let first = first.ok().clone();
    let page: Vec<i64> = first["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["messageid"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!((page.len(), &first["more"]), (1000, &json!(true)));
    assert!(page.windows(2).all(|w| w[0] < w[1]), "in id order");
    assert!(
        first["messages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["title"] == "Всем")
    );
    let last = page.last().unwrap();
    let second = statuses(json!({"scheduleid": id, "afterid": last.to_string()})).await;
    let second = second.ok().clone();
    assert_eq!(second["messages"].as_array().unwrap().len(), 1);
    assert_eq!(second["more"], false);
    assert_eq!(second["messages"][0]["title"], "Всем");
    let of_the_send = app
        .count("SELECT COUNT(*) FROM messages WHERE title = 'Всем'")
        .await;
    assert_eq!(of_the_send, 1001);
    // By ids, as before: no `more`.
    let by_ids = statuses(json!({"messageids": [last.to_string()]})).await;
    assert!(by_ids.ok()["more"].is_null());

    // Refused: both ways at once, a wrong afterid; another company's send is not found.
    let both = statuses(json!({"scheduleid": id, "messageids": [last.to_string()]})).await;
    assert!(both.failed(400).contains("что-то одно"));
    for wrong in ["x", "-1"] {
        let refused = statuses(json!({"scheduleid": id, "afterid": wrong})).await;
        assert!(refused.failed(400).contains("afterid"), "{wrong}");
    }
    let from_zero = statuses(json!({"scheduleid": id, "afterid": "0"})).await;
    assert_eq!(from_zero.ok()["messages"].as_array().unwrap().len(), 1000);

    // The send keeps its messages' send_id; a send that went before migration 46 reads it from
    // its first message (migration 47, run twice: the second changes nothing).
    let row = send_row(&app, p.id, id).await;
    let kept = row.send_id.expect("the send keeps its send_id");
    let first_id = row.first_message_id.unwrap();
    let shared = app
        .count(&format!(
            "SELECT COUNT(*) FROM messages WHERE send_id = {kept}"
        ))
        .await;
    assert_eq!(shared, 1001);
    // One statement, the same in both databases' migration.
    let backfill =
        include_str!("../../migrations/sqlite/20261225000047_scheduled_send_id_backfill.sql");
    assert_eq!(
        backfill,
        include_str!("../../migrations/postgres/20261225000047_scheduled_send_id_backfill.sql")
    );
    app.state
        .store
        .execute_script(&format!(
            "UPDATE scheduled_sends SET send_id = NULL WHERE id = {id}"
        ))
        .await
        .unwrap();
    for _ in 0..2 {
        app.state.store.execute_script(backfill).await.unwrap();
        assert_eq!(send_row(&app, p.id, id).await.send_id, Some(kept));
    }
    // Its first message's employee deleted (with their messages): the rest are still found.
    let first_staff = app
        .count(&format!(
            "SELECT staff_id FROM messages WHERE id = {first_id}"
        ))
        .await;
    app.post(
        "deletestaff",
        Some(&p.token),
        json!({"inn": p.inn, "staffid": first_staff.to_string()}),
    )
    .await
    .ok();
    let after_delete = statuses(json!({"scheduleid": id})).await;
    let after_delete = after_delete.ok().clone();
    let left = after_delete["messages"].as_array().unwrap();
    assert_eq!((left.len(), &after_delete["more"]), (1000, &json!(false)));
    assert!(
        left.iter()
            .all(|m| m["messageid"] != json!(first_id.to_string())),
        "the deleted one is gone"
    );
    statuses(json!({"scheduleid": id + 1000})).await.failed(404);
    let other = app.create_partner(INN_B).await;
    let theirs = app
        .post(
            "getmessagestatus",
            Some(&other.token),
            json!({"inn": other.inn, "scheduleid": id}),
        )
        .await;
    theirs.failed(404);
}

async fn whether_a_send_asks_to_be_acknowledged_is_changed_too(app: TestApp) {
    let (p, a, id) = waiting_in_an_hour(&app, "Приказ", "О графике").await;
    assert!(!send_row(&app, p.id, id).await.ack_required);
    // The API: asked to be acknowledged; a wrong value, or nothing else to change, changes
    // nothing.
    let asked = change_by_api(&app, &p, json!({"scheduleid": id, "requireack": true})).await;
    assert_eq!(asked.ok()["requireack"], true);
    let row = send_row(&app, p.id, id).await;
    assert!(row.ack_required);
    let wrong = change_by_api(
        &app,
        &p,
        json!({"scheduleid": id, "requireack": "возможно"}),
    )
    .await;
    assert!(wrong.failed(400).contains("requireack"));
    let same = change_by_api(&app, &p, json!({"scheduleid": id, "requireack": "1"})).await;
    same.ok();
    let unchanged = send_row(&app, p.id, id).await;
    assert_eq!(
        (unchanged.ack_required, unchanged.revision),
        (true, row.revision)
    );
    let b = Browser::new(&app);
    b.partner(&p.inn).await;
    let entries = journal(&b.get("/cabinet/journal?who=api").await);
    let what: Vec<&str> = entries.iter().map(|(_, what, _)| what.as_str()).collect();
    // Scheduled, then changed once: the same asks nothing new.
    assert_eq!(what.len(), 2, "{what:?}");
    assert!(
        what[0].contains("получателей: 1 ⇒ «Приказ» → ")
            && what[0].ends_with("получателей: 1, с подтверждением ознакомления"),
        "{what:?}"
    );
    let en = b.get("/cabinet/journal?who=api&lang=en").await.body;
    assert!(en.contains("recipients: 1, to be acknowledged"), "{en}");

    // The cabinet's edit shows it ticked; unticked, the send no longer asks.
    let path = format!("/cabinet/scheduled/{id}/edit");
    let form = b.get(&path).await;
    assert!(
        form.body
            .contains(r#"name="ack" value="1" id="sched-edit-ack" checked"#),
        "{}",
        form.body
    );
    let at = local(row.send_at);
    let post = |ack: &'static [(&'static str, &'static str)]| {
        let (b, path, at) = (&b, &path, &at);
        async move {
            let csrf = b.get("/cabinet/scheduled").await.csrf();
            let mut fields = vec![
                ("csrf", csrf.as_str()),
                ("send_at", at.as_str()),
                ("title", "Приказ"),
                ("text", "О графике"),
            ];
            fields.extend_from_slice(ack);
            b.post(path, &fields).await
        }
    };
    let page = post(&[("ack_shown", "1")]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(!send_row(&app, p.id, id).await.ack_required);
    // A form without the checkbox (one loaded before it was there) keeps what the send asks.
    post(&[("ack_shown", "1"), ("ack", "1")]).await;
    assert!(send_row(&app, p.id, id).await.ack_required);
    post(&[]).await;
    let kept = send_row(&app, p.id, id).await;
    assert!(kept.ack_required);

    // It goes asking: its message waits for the employee's acknowledgment.
    let due = kept.send_at + MINUTE_MS;
    assert_eq!(run_due(&app.state, due).await.unwrap(), 1);
    let ack = app
        .count(&format!(
            "SELECT COUNT(*) FROM messages WHERE staff_id = {} AND ack_required",
            a.id
        ))
        .await;
    assert_eq!(ack, 1);
}
