//! `{ФИО}` in a message to many: each recipient's own name, in bulk, cabinet and scheduled
//! sends; `createmessage`, the guide's method, stores its words as they are.

use crate::cabinet::Browser;
use crate::helpers::*;
use serde_json::{Value, json};
use simo_backend::domain::now_millis;
use simo_backend::service::schedule::run_due;

both_databases!(each_recipient_of_a_send_is_greeted_by_their_own_name,);

/// The newest message of the employee as the partner reads it: (title, text).
async fn newest(app: &TestApp, p: &Partner, staff_id: &str) -> (String, String) {
    let list = app
        .get_messages(&p.token, json!({"staffid": staff_id, "count": 0}))
        .await
        .ok()
        .clone();
    let m: &Value = &list[0];
    (
        m["title"].as_str().unwrap().to_owned(),
        m["message"].as_str().unwrap().to_owned(),
    )
}

async fn each_recipient_of_a_send_is_greeted_by_their_own_name(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let a = app.login(&p.inn, PHONE, "Иванов Иван").await;
    let b = app.login(&p.inn, "+79233381639", "Петрова Анна").await;
    let long_name = "Я".repeat(200);
    let listed = app
        .post(
            "addstaff",
            Some(&p.token),
            json!({"inn": p.inn, "staff": [{"phone": "+79233381640", "name": long_name}]}),
        )
        .await;
    let c = listed.ok()["staff"][0]["staffid"]
        .as_str()
        .unwrap()
        .to_owned();

    let bulk = app
        .post(
            "createmessagebulk",
            Some(&p.token),
            json!({"inn": p.inn, "staffids": [a.id, b.id, c],
                   "title": "{ФИО}, смена завтра в 8:00 на складе, не опаздывайте, пожалуйста",
                   "message": "Здравствуйте, {name}! Смена в 8:00. {ФИО}, не опаздывайте."}),
        )
        .await;
    assert_eq!(
        bulk.ok()["messages"].as_array().unwrap().len(),
        3,
        "{bulk:?}"
    );
    assert_eq!(
        newest(&app, &p, &a.id).await,
        (
            "Иванов Иван, смена завтра в 8:00 на складе, не опаздывайте, пожалуйста".to_owned(),
            "Здравствуйте, Иванов Иван! Смена в 8:00. Иванов Иван, не опаздывайте.".to_owned()
        )
    );
    assert_eq!(
        newest(&app, &p, &b.id).await.0,
        "Петрова Анна, смена завтра в 8:00 на складе, не опаздывайте, пожалуйста"
    );
    // 200 characters of name and the rest of the title: cut to the title's 250, not refused.
    let (title, text) = newest(&app, &p, &c).await;
    assert_eq!(title.chars().count(), 250);
    assert!(
        title.starts_with(&long_name) && title.ends_with('…'),
        "{title}"
    );
    assert!(
        text.contains(&format!("{long_name}, не опаздывайте")),
        "{text}"
    );

    // The guide's createmessage keeps its words as given.
    let single = app.create_message(&p, &a.id, "{ФИО}", "{name}").await;
    assert_eq!(single.ok()["title"], "{ФИО}");
    assert_eq!(
        newest(&app, &p, &a.id).await,
        ("{ФИО}".into(), "{name}".into())
    );

    // The cabinet's form, to one employee.
    let browser = Browser::new(&app);
    browser.partner(&p.inn).await;
    let sent = browser.send_to(&b.id, "Пропуск для {ФИО}", "Готов").await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert_eq!(newest(&app, &p, &b.id).await.0, "Пропуск для Петрова Анна");

    // A scheduled send uses the names as they are when it goes: renamed in between.
    let at = chrono::DateTime::from_timestamp_millis(now_millis() + 3_600_000)
        .unwrap()
        .to_rfc3339();
    app.post(
        "schedulemessage",
        Some(&p.token),
        json!({"inn": p.inn, "all": true, "title": "Привет, {ФИО}", "message": "т", "senddate": at}),
    )
    .await
    .ok();
    let id: i64 = a.id.parse().unwrap();
    app.state
        .store
        .rename_staff(
            p.id,
            simo_backend::domain::StaffId(id),
            "Иванов И. И.",
            now_millis(),
        )
        .await
        .unwrap();
    assert_eq!(
        run_due(&app.state, now_millis() + 3_700_000).await.unwrap(),
        1
    );
    assert_eq!(newest(&app, &p, &a.id).await.0, "Привет, Иванов И. И.");
    assert_eq!(newest(&app, &p, &b.id).await.0, "Привет, Петрова Анна");
}
