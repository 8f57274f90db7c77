use crate::helpers::*;
use serde_json::json;

both_databases!(
    getstaff_takes_a_json_body_on_get_or_the_inn_in_the_query,
    deletestaff_removes_the_employee_and_all_their_messages,
    an_employee_can_delete_only_their_own_account,
    partners_never_see_each_others_data,
    getstaff_of_a_large_staff_lists_everyone_once_by_name,
    getstaff_pages_hold_who_was_there_when_the_answer_started,
);

async fn getstaff_takes_a_json_body_on_get_or_the_inn_in_the_query(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иван Иванов").await;
    let body = json!({"inn": p.inn}).to_string().into_bytes();
    let on_get = app
        .call("GET", "/api/v1/getstaff", Some(&p.token), Some(body))
        .await;
    let list = on_get.ok().as_array().unwrap().clone();
    assert_eq!(list.len(), 1);
    let s = &list[0];
    assert_eq!(s["inn"], INN_A);
    assert_eq!(s["staffId"], e.id.as_str());
    assert_eq!(s["staff name"], "Иван Иванов");
    assert_eq!(s["device"], "android");
    assert_eq!(s["statusnotification"], "enabled");
    assert!(s["createdate"].as_str().unwrap().ends_with("+03:00"));

    let by_query = app
        .call(
            "GET",
            &format!("/api/v1/getstaff?inn={INN_A}"),
            Some(&p.token),
            None,
        )
        .await;
    assert_eq!(by_query.ok().as_array().unwrap().len(), 1);
    let bearer = format!("Bearer {}", p.token);
    let by_post = app
        .call(
            "POST",
            "/api/v1/getstaff",
            Some(&bearer),
            Some(b"{}".to_vec()),
        )
        .await;
    assert_eq!(by_post.ok().as_array().unwrap().len(), 1);
    app.call(
        "GET",
        &format!("/api/v1/getstaff?inn={INN_B}"),
        Some(&p.token),
        None,
    )
    .await
    .failed(403);
    app.call("GET", "/api/v1/getstaff", Some(&e.token), None)
        .await
        .failed(403);
}

async fn deletestaff_removes_the_employee_and_all_their_messages(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иванов").await;
    let keep = app.login(&p.inn, "+79990001122", "Петров").await;
    app.create_message(&p, &e.id, "1", "т").await.ok();
    app.create_message(&p, &keep.id, "2", "т").await.ok();

    let gone = app
        .post(
            "deletestaff",
            Some(&p.token),
            json!({"inn": p.inn, "staffid": e.id}),
        )
        .await;
    assert_eq!(gone.ok()["message"], "Профиль сотрудника удален на сервере");
    app.get_messages(&p.token, json!({"staffid": e.id}))
        .await
        .failed(404);
    app.get_messages(&e.token, json!({})).await.failed(401);
    app.post("deletestaff", Some(&p.token), json!({"staffid": e.id}))
        .await
        .failed(404);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM messages").await,
        1,
        "only the other employee's message remains"
    );
    // Their history and delivery jobs went with them (PostgreSQL: a statement trigger, not
    // foreign keys), and the other employee's history stayed.
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM message_events WHERE message_id NOT IN (SELECT id FROM messages)"
        )
        .await,
        0
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM deliveries WHERE message_id NOT IN (SELECT id FROM messages)"
        )
        .await,
        0
    );
    assert!(app.count("SELECT COUNT(*) FROM message_events").await >= 1);
    // Logging in again starts a new, empty history.
    let back = app.login(&p.inn, PHONE, "Иванов").await;
    assert_ne!(back.id, e.id);
}

async fn an_employee_can_delete_only_their_own_account(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иванов").await;
    let other = app.login(&p.inn, "+79990001122", "Петров").await;
    app.post("deletestaff", Some(&e.token), json!({"staffid": other.id}))
        .await
        .failed(403);
    app.post("deletestaff", Some(&e.token), json!({}))
        .await
        .ok();
    let staff = app
        .post("getstaff", Some(&p.token), json!({}))
        .await
        .ok()
        .clone();
    assert_eq!(staff.as_array().unwrap().len(), 1);
}

async fn partners_never_see_each_others_data(app: TestApp) {
    let a = app.create_partner(INN_A).await;
    let b = app.create_partner(INN_B).await;
    let ea = app.login(&a.inn, PHONE, "Иванов").await;
    app.create_message(&a, &ea.id, "секрет А", "т").await.ok();

    app.get_messages(&b.token, json!({"staffid": ea.id}))
        .await
        .failed(404);
    app.get_messages(&b.token, json!({"inn": a.inn, "staffid": ea.id}))
        .await
        .failed(403);
    app.create_message(&b, &ea.id, "чужой", "т")
        .await
        .failed(404);
    app.post("deletestaff", Some(&b.token), json!({"staffid": ea.id}))
        .await
        .failed(404);
    let staff_b = app.post("getstaff", Some(&b.token), json!({})).await;
    assert!(staff_b.ok().as_array().unwrap().is_empty());
    // The same phone at partner B is a different employee with a separate history.
    let eb = app.login(&b.inn, PHONE, "Иванов").await;
    assert_ne!(eb.id, ea.id);
    assert!(
        app.get_messages(&eb.token, json!({}))
            .await
            .ok()
            .as_array()
            .unwrap()
            .is_empty()
    );
    app.get_messages(&eb.token, json!({"staffid": ea.id}))
        .await
        .failed(403);
    let still = app.get_messages(&a.token, json!({"staffid": ea.id})).await;
    assert_eq!(still.ok().as_array().unwrap().len(), 1);
}

/// A staff larger than the pages the answer is written in: everyone once, by name then ID,
/// another partner's nobody, each with their groups, as one valid JSON envelope.
async fn getstaff_of_a_large_staff_lists_everyone_once_by_name(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let other = app.create_partner(INN_B).await;
    app.login(&other.inn, PHONE, "Чужой").await;
    // Names out of phone order, and two of the same name (ordered by ID between them).
    let staff: Vec<(String, String)> = (0..2_345)
        .map(|i| {
            (
                format!("+7900{i:07}"),
                format!("Сотрудник {:04}", (i * 7919) % 2_344),
            )
        })
        .collect();
    let added = app.add_listed(&p, &staff).await;
    let (last_by_name, _) = added
        .into_iter()
        .find(|(_, name)| name == "Сотрудник 2343")
        .unwrap();
    let group = app
        .post(
            "savegroup",
            Some(&p.token),
            json!({"inn": p.inn, "name": "Склад", "staffids": [last_by_name]}),
        )
        .await;
    let group = group.ok()["groupid"].as_str().unwrap().to_owned();

    let answer = app
        .post("getstaff", Some(&p.token), json!({"inn": p.inn}))
        .await;
    let list = answer.ok().as_array().unwrap();
    assert_eq!(list.len(), 2_345);
    let keys: Vec<(String, i64)> = list
        .iter()
        .map(|s| {
            assert_eq!(s["inn"], INN_A);
            let id = s["staffId"].as_str().unwrap().parse().unwrap();
            (s["staffname"].as_str().unwrap().to_owned(), id)
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(keys, sorted, "by name, then ID, each once");
    assert_eq!(keys[0].0, "Сотрудник 0000");
    assert_eq!(keys[0].0, keys[1].0, "the one name given twice");
    let last = list.last().unwrap();
    assert_eq!(last["staffId"], last_by_name.as_str());
    assert_eq!(last["groupids"], json!([group]));
    assert_eq!(list[0]["groupids"], json!([]));
}

/// `getstaff` reads who it lists, and in what order, when its answer starts, and their rows a
/// page at a time (the store calls it makes): an employee renamed to the front while a long
/// answer is written is listed once, as renamed, one deleted is left out, one added waits for
/// the next call. Read by (name, id) page after page, the renamed one would have been missed.
async fn getstaff_pages_hold_who_was_there_when_the_answer_started(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let staff: Vec<(String, String)> = ["Борисов", "Васильев", "Григорьев", "Дмитриев", "Егоров"]
        .iter()
        .enumerate()
        .map(|(i, name)| (format!("+7900111000{i}"), name.to_string()))
        .collect();
    let listed = app.add_listed(&p, &staff).await;
    let id_of = |name: &str| listed.iter().find(|(_, n)| n == name).unwrap().0.clone();
    let store = &app.state.store;
    let ids = store.staff_ids_by_name(p.id).await.unwrap();
    let names = |rows: Vec<simo_backend::store::StaffRow>| -> Vec<String> {
        rows.into_iter().map(|r| r.name).collect()
    };
    let first = names(store.staff_by_ids(p.id, &ids[..2]).await.unwrap());
    assert_eq!(first, ["Борисов", "Васильев"]);

    // While the rest is written:
    app.post(
        "updatestaff",
        Some(&p.token),
        json!({"inn": p.inn, "staffid": id_of("Егоров"), "name": "Абрамов"}),
    )
    .await
    .ok();
    app.post(
        "deletestaff",
        Some(&p.token),
        json!({"inn": p.inn, "staffid": id_of("Григорьев")}),
    )
    .await
    .ok();
    app.add_listed(&p, &[("+79001110099".into(), "Анисимов".into())])
        .await;

    let rest = names(store.staff_by_ids(p.id, &ids[2..]).await.unwrap());
    assert_eq!(rest, ["Дмитриев", "Абрамов"], "each once, as they are now");
    let next = app
        .post("getstaff", Some(&p.token), json!({"inn": p.inn}))
        .await;
    let next: Vec<&str> = next
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["staff name"].as_str().unwrap())
        .collect();
    assert_eq!(
        next,
        ["Абрамов", "Анисимов", "Борисов", "Васильев", "Дмитриев"],
        "the next call lists them by name"
    );
}
