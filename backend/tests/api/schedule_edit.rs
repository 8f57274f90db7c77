//! A waiting send changed in the cabinet: its time and words, checked as when it was
//! scheduled; it goes as changed, a series keeps to its new time, and a change that lands
//! while the scheduler sends it is never lost nor half-applied.

use crate::admins::dispatcher;
use crate::cabinet::Browser;
use crate::helpers::*;
use crate::schedule::{in_ms, next_friday_nine, schedule};
use serde_json::json;
use simo_backend::domain::{MessageText, Title, now_millis};
use simo_backend::service::schedule::{Change, change, run_due};
use simo_backend::store::{ScheduledOutcome, ScheduledRow};

both_databases!(
    a_waiting_send_is_changed_in_the_cabinet_and_goes_as_changed,
    a_changed_series_keeps_to_its_new_time_up_to_its_end,
    a_send_changed_while_the_scheduler_reads_it_goes_as_changed,
    the_api_changes_what_it_is_given_of_a_waiting_send,
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
        AND detail LIKE '«Смена» → % ⇒ «Смена (перенос)» → %'";
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
    let date = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .unwrap()
            .with_timezone(&moscow)
            .format("%Y-%m-%d")
            .to_string()
    };
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
    let stale = app
        .state
        .store
        .send_scheduled(&due[0], &outcome)
        .await
        .unwrap();
    assert!(stale.is_none(), "the stale read claims nothing");
    // …and the next round sends it as changed.
    assert_eq!(run_due(&app.state, soon + MINUTE_MS).await.unwrap(), 1);
    assert_eq!(messages_titled(&app, "Стало").await, 1);
    assert_eq!(messages_titled(&app, "Было").await, 0);
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
