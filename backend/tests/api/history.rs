//! `listmessages`: the company's system reads its messages, the API's and the cabinet's, by
//! the cabinet list's filters, a page at a time in created order, and later what is new.

use crate::api_keys::add_key;
use crate::cabinet::Browser;
use crate::groups::save;
use crate::helpers::*;
use serde_json::{Value, json};

both_databases!(
    the_company_lists_its_messages_by_filter_a_page_at_a_time,
    a_wrong_filter_is_refused_and_another_company_sees_none_of_it,
);

async fn list(app: &TestApp, p: &Partner, token: &str, body: Value) -> Answer {
    let mut body = body;
    body["inn"] = json!(p.inn);
    app.post("listmessages", Some(token), body).await
}

/// The titles of a page, in its order.
fn titles(page: &Value) -> Vec<String> {
    page["messages"]
        .as_array()
        .unwrap_or_else(|| panic!("{page}"))
        .iter()
        .map(|m| m["title"].as_str().unwrap().to_owned())
        .collect()
}

async fn the_company_lists_its_messages_by_filter_a_page_at_a_time(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let a = app.login(&p.inn, PHONE, "Иванов Иван").await;
    let b = app.login(&p.inn, "+79233381639", "Петрова Анна").await;
    let group = save(&app, &p, json!({"name": "Склад", "staffids": [b.id]})).await;
    let group_id = group["groupid"].as_str().unwrap().to_owned();
    let created = |staff: &str, title: &str| {
        let (app, p, staff, title) = (&app, &p, staff.to_owned(), title.to_owned());
        async move {
            let answer = app.create_message(p, &staff, &title, "Текст").await;
            answer.ok()["messageid"].as_str().unwrap().to_owned()
        }
    };
    created(&a.id, "Смена с 8:00").await;
    let bonus = created(&b.id, "Премия").await;
    created(&a.id, "Собрание в пятницу").await;
    // One sent by hand in the cabinet.
    let browser = Browser::new(&app);
    browser.partner(&p.inn).await;
    let sent = browser.send_to(&b.id, "Вручную", "Из кабинета").await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    app.post(
        "recallmessage",
        Some(&p.token),
        json!({"inn": p.inn, "messageid": bonus}),
    )
    .await
    .ok();

    // Everything, in created order, each as getmessagestatus gives it.
    let all = list(&app, &p, &p.token, json!({})).await;
    let all = all.ok().clone();
    assert_eq!(
        titles(&all),
        ["Смена с 8:00", "Премия", "Собрание в пятницу", "Вручную"]
    );
    assert_eq!(all["more"], false);
    let first = &all["messages"][0];
    assert_eq!(first["staffId"], json!(a.id));
    assert_eq!(
        (&first["source"], &first["sentby"]),
        (&json!("api"), &json!("api"))
    );
    assert_eq!(all["messages"][1]["status"], "recalled");
    assert!(all["messages"][1]["recalleddate"].is_string());
    assert_eq!(all["messages"][3]["source"], "cabinet");
    let by_ids = app
        .post(
            "getmessagestatus",
            Some(&p.token),
            json!({"inn": p.inn, "messageids": [bonus]}),
        )
        .await;
    assert_eq!(
        all["messages"][1],
        by_ids.ok()["messages"][0],
        "the same state"
    );
    // The texts only when asked: an export of everything said.
    assert!(first.get("message").is_none(), "{first}");
    let with_text = list(&app, &p, &p.token, json!({"withtext": true})).await;
    let texts: Vec<&str> = with_text.ok()["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["message"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["Текст", "Текст", "Текст", "Из кабинета"]);

    // Two at a time: two pages that make the whole.
    let one = list(&app, &p, &p.token, json!({"count": 2})).await;
    let one = one.ok().clone();
    assert_eq!((titles(&one).len(), &one["more"]), (2, &json!(true)));
    let two = list(
        &app,
        &p,
        &p.token,
        json!({"count": "2", "cursor": one["cursor"]}),
    )
    .await;
    let two = two.ok().clone();
    assert_eq!(two["more"], false);
    assert_eq!([titles(&one), titles(&two)].concat(), titles(&all));
    // Later, from the last cursor: only what is new; then nothing, the cursor kept.
    created(&b.id, "Новое").await;
    let new = list(&app, &p, &p.token, json!({"cursor": two["cursor"]})).await;
    let new = new.ok().clone();
    assert_eq!(titles(&new), ["Новое"]);
    let none = list(&app, &p, &p.token, json!({"cursor": new["cursor"]})).await;
    let none = none.ok().clone();
    assert!(titles(&none).is_empty());
    assert_eq!(
        (&none["cursor"], &none["more"]),
        (&new["cursor"], &json!(false))
    );

    // The filters, as the cabinet's list has them.
    let by = |body: Value| {
        let (app, p) = (&app, &p);
        async move { titles(list(app, p, &p.token, body).await.ok()) }
    };
    assert_eq!(
        by(json!({"staffid": a.id})).await,
        ["Смена с 8:00", "Собрание в пятницу"]
    );
    assert_eq!(
        by(json!({"groupid": group_id})).await,
        ["Премия", "Вручную", "Новое"]
    );
    assert_eq!(by(json!({"status": "recalled"})).await, ["Премия"]);
    assert_eq!(by(json!({"sentby": "admin"})).await, ["Вручную"]);
    assert_eq!(by(json!({"sentby": "api"})).await.len(), 4);
    assert_eq!(by(json!({"text": "пятниц"})).await, ["Собрание в пятницу"]);
    let today = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(3 * 3600).unwrap())
        .date_naive();
    let day = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    assert_eq!(
        by(json!({"datefrom": day(today), "dateto": day(today)}))
            .await
            .len(),
        5
    );
    assert!(
        by(json!({"datefrom": day(today.succ_opt().unwrap())}))
            .await
            .is_empty()
    );
    assert!(
        by(json!({"dateto": day(today.pred_opt().unwrap())}))
            .await
            .is_empty()
    );

    // A key that only reads lists them too; the employee's token does not.
    let reader = add_key(&browser, "Отчёты", "read").await;
    assert_eq!(
        titles(list(&app, &p, &reader, json!({})).await.ok()).len(),
        5
    );
    list(&app, &p, &a.token, json!({})).await.failed(403);
}

async fn a_wrong_filter_is_refused_and_another_company_sees_none_of_it(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let a = app.login(&p.inn, PHONE, "Иванов Иван").await;
    app.create_message(&p, &a.id, "Своё", "Текст").await.ok();
    let q = app.create_partner(INN_B).await;
    let qa = app.login(&q.inn, "+79001112233", "Сотрудник Другой").await;
    app.create_message(&q, &qa.id, "Чужое", "Текст").await.ok();
    let q_group = save(&app, &q, json!({"name": "Чужая", "staffids": [qa.id]})).await;

    for (body, field) in [
        (json!({"count": 0}), "count"),
        (json!({"count": 1001}), "count"),
        (json!({"count": "много"}), "count"),
        (json!({"status": "lost"}), "status"),
        (json!({"sentby": "someone"}), "sentby"),
        (json!({"cursor": "garbage"}), "cursor"),
        (json!({"cursor": "tQQ.i1"}), "cursor"),
        (json!({"datefrom": "вчера"}), "вчера"),
        (
            json!({"datefrom": "2026-12-02", "dateto": "2026-12-01"}),
            "dateto",
        ),
        (json!({"staffid": "x"}), "staffid"),
        (json!({"withtext": "иногда"}), "withtext"),
    ] {
        let refused = list(&app, &p, &p.token, body.clone()).await;
        let error = refused.failed(400);
        assert!(error.contains(field), "{body}: {error}");
    }
    // Another company's employee and group are none of this one's.
    list(&app, &p, &p.token, json!({"staffid": qa.id}))
        .await
        .failed(404);
    list(&app, &p, &p.token, json!({"groupid": q_group["groupid"]}))
        .await
        .failed(404);
    // Each sees its own only, whatever the cursor.
    let mine = list(&app, &p, &p.token, json!({})).await;
    assert_eq!(titles(mine.ok()), ["Своё"]);
    let theirs = list(&app, &q, &q.token, json!({"cursor": "i0.i0"})).await;
    assert_eq!(titles(theirs.ok()), ["Чужое"]);
    // Nothing found and no cursor given: none to give back.
    let empty = list(&app, &p, &p.token, json!({"status": "failed"})).await;
    assert!(empty.ok()["cursor"].is_null());
}
