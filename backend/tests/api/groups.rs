//! Groups of employees: `getgroups`, `savegroup`, `deletegroup`, messages to a group now and
//! scheduled, and the cabinet's groups page, employee list and send form.

use crate::cabinet::{Browser, journal};
use crate::helpers::*;
use crate::push::on_both_databases;
use serde_json::{Value, json};
use simo_backend::domain::{StaffId, now_millis};
use simo_backend::service::schedule::run_due;
use simo_backend::store::StaffState;

on_both_databases!(
    groups_sync_by_name_and_messages_go_to_their_active_members,
    groups_are_each_partners_own,
    bad_group_requests_are_refused_and_nothing_is_changed,
    the_cabinet_keeps_groups_fills_them_from_the_list_and_sends_to_one,
);

const HOUR_MS: i64 = 3_600_000;

pub(crate) async fn save(app: &TestApp, p: &Partner, body: Value) -> Value {
    let mut body = body;
    body["inn"] = json!(p.inn);
    app.post("savegroup", Some(&p.token), body)
        .await
        .ok()
        .clone()
}

async fn groups(app: &TestApp, p: &Partner) -> Value {
    app.post("getgroups", Some(&p.token), json!({"inn": p.inn}))
        .await
        .ok()
        .clone()
}

/// The titles of an employee's messages, newest first.
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

fn in_an_hour() -> String {
    let at = chrono::DateTime::from_timestamp_millis(now_millis() + HOUR_MS).unwrap();
    at.to_rfc3339()
}

async fn groups_sync_by_name_and_messages_go_to_their_active_members(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let a = app.login(&p.inn, PHONE, "Иванов И.").await;
    let b = app.login(&p.inn, "+79233381639", "Петров П.").await;
    let c = app.login(&p.inn, "+79233381640", "Сидоров С.").await;
    let d = app.login(&p.inn, "+79233381641", "Орлов О.").await;
    assert_eq!(groups(&app, &p).await, json!([]));

    // Created by name, then the same name again: the same group, its members replaced.
    let g = save(
        &app,
        &p,
        json!({"name": " Склад ", "staffids": [a.id, b.id, a.id]}),
    )
    .await;
    assert_eq!(g["name"], "Склад", "{g}");
    assert_eq!(g["staffids"], json!([a.id, b.id]), "each once");
    let id = g["groupid"].as_str().unwrap().to_owned();
    let again = save(&app, &p, json!({"name": "Склад", "staffids": [a.id, c.id]})).await;
    assert_eq!(
        again["groupid"],
        id.as_str(),
        "synced by name, not a second group"
    );
    assert_eq!(again["staffids"], json!([a.id, c.id]));
    // Without staffids the members stay; with the ID the name changes.
    let renamed = save(&app, &p, json!({"groupid": id, "name": "Склад №1"})).await;
    assert_eq!(renamed["name"], "Склад №1");
    assert_eq!(renamed["staffids"], json!([a.id, c.id]));
    let office = save(&app, &p, json!({"name": "Офис", "staffids": d.id.clone()})).await;
    let listed = groups(&app, &p).await;
    assert_eq!(
        listed,
        json!([
            {"groupid": office["groupid"], "name": "Офис", "staffids": [d.id], "memberscount": 1},
            {"groupid": id, "name": "Склад №1", "staffids": [a.id, c.id], "memberscount": 2},
        ]),
        "by name"
    );
    // One group, or the list without its members (a large company's 500 groups stay small).
    let get = |body: Value| app.post("getgroups", Some(&p.token), body);
    assert_eq!(
        get(json!({"inn": p.inn, "groupid": id})).await.ok(),
        &json!([{"groupid": id, "name": "Склад №1", "staffids": [a.id, c.id], "memberscount": 2}])
    );
    assert_eq!(
        get(json!({"inn": p.inn, "members": false})).await.ok(),
        &json!([
            {"groupid": office["groupid"], "name": "Офис", "memberscount": 1},
            {"groupid": id, "name": "Склад №1", "memberscount": 2},
        ])
    );
    assert_eq!(
        get(json!({"groupid": office["groupid"], "members": "0"}))
            .await
            .ok(),
        &json!([{"groupid": office["groupid"], "name": "Офис", "memberscount": 1}])
    );
    assert_eq!(
        get(json!({"groupid": "999999"})).await.failed(404),
        "Группа 999999 не найдена"
    );
    assert_eq!(
        get(json!({"members": "some"})).await.failed(400),
        "Поле «members» должно быть true или false"
    );

    // c is disabled: a message to the group now goes to a only, and c is left out, not refused.
    let c_id = StaffId::parse(&c.id).unwrap();
    app.state
        .store
        .set_staff_state(p.id, c_id, StaffState::Disabled, 0)
        .await
        .unwrap();
    let sent = app
        .post(
            "createmessagebulk",
            Some(&p.token),
            json!({"inn": p.inn, "groupid": id, "title": "Инвентаризация", "message": "В пятницу"}),
        )
        .await
        .ok()
        .clone();
    let to: Vec<&str> = sent["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["staffId"].as_str().unwrap())
        .collect();
    assert_eq!(to, [a.id.as_str()], "{sent}");
    assert_eq!(sent["refused"], json!([]));
    assert_eq!(titles_of(&app, &p, &a).await, ["Инвентаризация"]);
    assert!(titles_of(&app, &p, &b).await.is_empty(), "b left the group");
    assert!(
        titles_of(&app, &p, &d).await.is_empty(),
        "d is in another group"
    );

    // Scheduled to the group: the members at the time of sending get it (b joins meanwhile).
    let s = app
        .post(
            "schedulemessage",
            Some(&p.token),
            json!({"inn": p.inn, "groupid": id, "title": "Смена", "message": "Завтра в 8:00",
                   "senddate": in_an_hour()}),
        )
        .await
        .ok()
        .clone();
    assert_eq!(s["groupid"], id.as_str(), "{s}");
    assert_eq!(s["all"], false);
    assert_eq!(s["staffids"], json!([]));
    let schedule_id = s["scheduleid"].as_str().unwrap().to_owned();
    save(
        &app,
        &p,
        json!({"groupid": id, "name": "Склад №1", "staffids": [a.id, b.id, c.id]}),
    )
    .await;

    // The group cannot go while the send waits for it: the send would go to no one.
    let refused = app
        .post(
            "deletegroup",
            Some(&p.token),
            json!({"inn": p.inn, "groupid": id}),
        )
        .await;
    assert!(
        refused.failed(409).contains(&format!("№ {schedule_id}")),
        "{refused:?}"
    );
    assert_eq!(groups(&app, &p).await.as_array().unwrap().len(), 2);

    assert_eq!(
        run_due(&app.state, now_millis() + HOUR_MS + 60_000)
            .await
            .unwrap(),
        1
    );
    assert_eq!(titles_of(&app, &p, &a).await, ["Смена", "Инвентаризация"]);
    assert_eq!(
        titles_of(&app, &p, &b).await,
        ["Смена"],
        "joined before the time"
    );
    assert!(titles_of(&app, &p, &c).await.is_empty(), "disabled");
    assert!(titles_of(&app, &p, &d).await.is_empty(), "not in the group");

    // Sent: now the group can go; its employees stay.
    let deleted = app
        .post(
            "deletegroup",
            Some(&p.token),
            json!({"inn": p.inn, "groupid": id}),
        )
        .await
        .ok()
        .clone();
    assert_eq!(deleted["groupid"], id.as_str());
    assert_eq!(groups(&app, &p).await.as_array().unwrap().len(), 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM staff").await, 4);
    let again = app
        .post(
            "deletegroup",
            Some(&p.token),
            json!({"inn": p.inn, "groupid": id}),
        )
        .await;
    assert!(again.failed(404).contains("не найдена"), "{again:?}");

    // An employee deleted leaves the groups with them.
    let gone = app
        .post(
            "deletestaff",
            Some(&p.token),
            json!({"inn": p.inn, "staffid": d.id}),
        )
        .await;
    gone.ok();
    assert_eq!(
        groups(&app, &p).await,
        json!([{"groupid": office["groupid"], "name": "Офис", "staffids": [], "memberscount": 0}])
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM staff_group_members").await,
        0
    );
}

async fn groups_are_each_partners_own(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let q = app.create_partner(INN_B).await;
    let a = app.login(&p.inn, PHONE, "Иванов И.").await;
    let theirs = app.login(&q.inn, PHONE, "Чужой Ч.").await;
    let g = save(&app, &p, json!({"name": "Склад", "staffids": [a.id]})).await;
    let id = g["groupid"].as_str().unwrap().to_owned();

    // The other partner sees none of ours, and may use the same name for its own.
    assert_eq!(groups(&app, &q).await, json!([]));
    let same_name = save(&app, &q, json!({"name": "Склад", "staffids": [theirs.id]})).await;
    assert_ne!(same_name["groupid"], id.as_str());

    let call = |method: &'static str, body: Value| {
        let app = &app;
        let token = q.token.clone();
        let mut body = body;
        body["inn"] = json!(q.inn);
        async move { app.post(method, Some(&token), body).await }
    };
    for (method, body) in [
        ("getgroups", json!({"groupid": id})),
        ("savegroup", json!({"groupid": id, "name": "Захват"})),
        ("deletegroup", json!({"groupid": id})),
        (
            "createmessagebulk",
            json!({"groupid": id, "title": "t", "message": "m"}),
        ),
        (
            "schedulemessage",
            json!({"groupid": id, "title": "t", "message": "m", "senddate": in_an_hour()}),
        ),
    ] {
        let answer = call(method, body).await;
        assert!(
            answer
                .failed(404)
                .contains(&format!("Группа {id} не найдена")),
            "{method}: {answer:?}"
        );
    }
    // Our employee cannot be put in their group.
    let ours_in_theirs = call(
        "savegroup",
        json!({"name": "Склад", "staffids": [theirs.id, a.id]}),
    )
    .await;
    assert!(
        ours_in_theirs
            .failed(404)
            .contains(&format!("Сотрудники не найдены: {}", a.id)),
        "{ours_in_theirs:?}"
    );
    // Our INN with their token is refused.
    let foreign = app
        .post("getgroups", Some(&q.token), json!({"inn": p.inn}))
        .await;
    foreign.failed(403);
    // Ours is as it was.
    assert_eq!(
        groups(&app, &p).await,
        json!([{"groupid": id, "name": "Склад", "staffids": [a.id], "memberscount": 1}])
    );
    assert_eq!(
        groups(&app, &q).await[0]["staffids"],
        json!([theirs.id]),
        "the refused call changed nothing"
    );
}

async fn bad_group_requests_are_refused_and_nothing_is_changed(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let a = app.login(&p.inn, PHONE, "Иванов И.").await;
    let g = save(&app, &p, json!({"name": "Склад", "staffids": [a.id]})).await;
    let other = save(&app, &p, json!({"name": "Офис"})).await;
    assert_eq!(
        other["staffids"],
        json!([]),
        "a new group without staffids is empty"
    );
    let id = g["groupid"].as_str().unwrap().to_owned();
    let before = groups(&app, &p).await;

    let long = "я".repeat(101);
    for (method, body, status, error) in [
        (
            "savegroup",
            json!({"name": ""}),
            400,
            "Не указано название группы",
        ),
        (
            "savegroup",
            json!({"name": long}),
            400,
            "Слишком длинное название группы",
        ),
        (
            "savegroup",
            json!({"groupid": "x", "name": "A"}),
            400,
            "Неверный идентификатор группы",
        ),
        (
            "savegroup",
            json!({"groupid": "999", "name": "A"}),
            404,
            "Группа 999 не найдена",
        ),
        (
            "savegroup",
            json!({"name": "Склад", "staffids": [a.id, "999"]}),
            404,
            "Сотрудники не найдены: 999",
        ),
        (
            "savegroup",
            json!({"name": "Склад", "staffids": ["-1"]}),
            400,
            "Неверный идентификатор сотрудника",
        ),
        (
            "savegroup",
            json!({"groupid": id, "name": "Офис"}),
            409,
            "Группа «Офис» уже есть",
        ),
        ("deletegroup", json!({}), 400, "«groupid»"),
        (
            "deletegroup",
            json!({"groupid": "0"}),
            400,
            "Неверный идентификатор группы",
        ),
        (
            "createmessagebulk",
            json!({"groupid": id, "all": true, "title": "t", "message": "m"}),
            400,
            "не оба",
        ),
        (
            "createmessagebulk",
            json!({"groupid": id, "staffids": [a.id], "title": "t", "message": "m"}),
            400,
            "не оба",
        ),
        (
            "createmessagebulk",
            json!({"groupid": "abc", "title": "t", "message": "m"}),
            400,
            "Неверный идентификатор группы",
        ),
        (
            "createmessagebulk",
            json!({"title": "t", "message": "m"}),
            400,
            "«groupid»",
        ),
        (
            "schedulemessage",
            json!({"groupid": id, "all": "1", "title": "t", "message": "m", "senddate": in_an_hour()}),
            400,
            "не оба",
        ),
    ] {
        let mut body = body;
        body["inn"] = json!(p.inn);
        let answer = app.post(method, Some(&p.token), body.clone()).await;
        let text = answer.failed(status);
        assert!(text.contains(error), "{method} {body}: {text}");
    }
    // Malformed bodies get the envelope, never a 5xx.
    let malformed: Vec<Vec<u8>> = vec![
        b"{not json".to_vec(),
        b"[1,2,3]".to_vec(),
        vec![0xff, 0xfe, 0x7b, 0x7d],
        br#"{"groupid": {"nested": true}, "name": "A"}"#.to_vec(),
        br#"{"groupid": [[1]], "name": {"x": 1}, "staffids": [[1]]}"#.to_vec(),
        br#"{"groupid": "1; DROP TABLE staff_groups; --", "name": "A"}"#.to_vec(),
        format!("{}{}", "[".repeat(5000), "]".repeat(5000)).into_bytes(),
    ];
    for method in ["getgroups", "savegroup", "deletegroup"] {
        for body in &malformed {
            let answer = app
                .call(
                    "POST",
                    &format!("/api/v1/{method}"),
                    Some(&p.token),
                    Some(body.clone()),
                )
                .await;
            // getgroups reads only the INN: what it can read of a body is a list.
            if method == "getgroups" && answer.status == 200 {
                assert!(body.starts_with(b"{\"groupid\""), "{answer:?}");
                continue;
            }
            assert!(
                (400..500).contains(&answer.status),
                "{method}: {answer:?} for {:?}",
                String::from_utf8_lossy(body)
            );
            answer.failed(answer.status);
        }
    }
    // An employee's token and a wrong token.
    let as_employee = app
        .post("getgroups", Some(&a.token), json!({"inn": p.inn}))
        .await;
    as_employee.failed(403);
    let wrong = app
        .post("getgroups", Some("simo_p_wrong"), json!({"inn": p.inn}))
        .await;
    wrong.failed(401);

    assert_eq!(groups(&app, &p).await, before, "nothing changed");
    assert_eq!(app.count("SELECT COUNT(*) FROM messages").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM scheduled_sends").await, 0);
}

async fn the_cabinet_keeps_groups_fills_them_from_the_list_and_sends_to_one(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let q = app.create_partner(INN_B).await;
    let a = app.login(&p.inn, PHONE, "Иванов И.").await;
    let b = app.login(&p.inn, "+79233381639", "Петров П.").await;
    let c = app.login(&p.inn, "+79233381640", "Сидоров С.").await;
    let theirs = app.login(&q.inn, PHONE, "Чужой Ч.").await;
    let br = Browser::new(&app);
    br.partner(&p.inn).await;
    let empty = br.get("/cabinet/groups").await;
    assert!(empty.body.contains("id=\"grp-none\""), "{}", empty.body);
    assert!(
        !br.get("/cabinet/send")
            .await
            .body
            .contains("id=\"send-group\""),
        "no group choice without groups"
    );
    let csrf = empty.csrf();

    // Created; a second one of the same name is refused with the name kept.
    let made = br
        .post(
            "/cabinet/groups",
            &[
                ("csrf", &csrf),
                ("do", "save"),
                ("id", ""),
                ("name", "Смена А"),
            ],
        )
        .await;
    assert_eq!(
        made.location.as_deref(),
        Some("/cabinet/groups?done=group_saved")
    );
    let twice = br
        .post(
            "/cabinet/groups",
            &[
                ("csrf", &csrf),
                ("do", "save"),
                ("id", ""),
                ("name", "Смена А"),
            ],
        )
        .await;
    assert_eq!(twice.status, 400);
    assert!(
        twice.body.contains("Такая группа уже есть «Смена А»"),
        "{}",
        twice.body
    );
    assert!(twice.body.contains("value=\"Смена А\""), "typed kept");
    let blank = br
        .post(
            "/cabinet/groups",
            &[("csrf", &csrf), ("do", "save"), ("id", ""), ("name", "  ")],
        )
        .await;
    assert_eq!(blank.status, 400);
    assert!(blank.body.contains("Укажите название группы"));
    let forged = br
        .post(
            "/cabinet/groups",
            &[("csrf", "x"), ("do", "save"), ("id", ""), ("name", "Чужая")],
        )
        .await;
    assert_eq!(forged.status, 403);
    let listed = groups(&app, &p).await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    let id = listed[0]["groupid"].as_str().unwrap().to_owned();

    // Ticked employees go in from the list, and the list filters by the group.
    let list = br.get("/cabinet/employees").await;
    assert!(list.body.contains("id=\"bulk-group\""), "{}", list.body);
    let added = br
        .post(
            "/cabinet/employees/bulk",
            &[
                ("csrf", &csrf),
                ("do", "group_add"),
                ("group", &id),
                ("id", &a.id),
                ("id", &b.id),
                ("back", "/cabinet/employees?q=ов"),
            ],
        )
        .await;
    assert_eq!(
        added.location.as_deref(),
        Some("/cabinet/employees?q=%D0%BE%D0%B2&done=bulk_group_added&n=2")
    );
    assert!(
        br.get(added.location.as_deref().unwrap())
            .await
            .body
            .contains("Добавлено в группу: 2")
    );
    let no_group = br
        .post(
            "/cabinet/employees/bulk",
            &[
                ("csrf", &csrf),
                ("do", "group_add"),
                ("group", ""),
                ("id", &c.id),
            ],
        )
        .await;
    assert_eq!(
        no_group.location.as_deref(),
        Some("/cabinet/employees?done=group_none")
    );
    // Another partner's employee cannot be put in, nor can ours in another partner's group.
    let foreign = br
        .post(
            "/cabinet/employees/bulk",
            &[
                ("csrf", &csrf),
                ("do", "group_add"),
                ("group", &id),
                ("id", &theirs.id),
            ],
        )
        .await;
    assert_eq!(foreign.status, 404);
    let their_group = save(&app, &q, json!({"name": "Их"})).await;
    let into_theirs = br
        .post(
            "/cabinet/employees/bulk",
            &[
                ("csrf", &csrf),
                ("do", "group_add"),
                ("group", their_group["groupid"].as_str().unwrap()),
                ("id", &c.id),
            ],
        )
        .await;
    assert_eq!(into_theirs.status, 404);
    assert_eq!(groups(&app, &q).await[0]["staffids"], json!([]));
    assert_eq!(groups(&app, &p).await[0]["staffids"], json!([a.id, b.id]));

    let filtered = br.get(&format!("/cabinet/employees?group={id}")).await;
    let rows: Vec<&str> = filtered
        .body
        .split("data-staff-id=\"")
        .skip(1)
        .map(|r| r.split('"').next().unwrap())
        .collect();
    assert_eq!(
        rows,
        [a.id.as_str(), b.id.as_str()],
        "only members, by name"
    );
    assert!(filtered.body.contains("<span class=\"tag\">Смена А</span>"));
    // The CSV of the filtered list: the members, each with their groups.
    let csv = br.get(&format!("/cabinet/employees.csv?group={id}")).await;
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines.len(), 3, "a header and the two members: {}", csv.body);
    assert!(lines[0].ends_with(";Группы"), "{}", lines[0]);
    assert!(
        lines[1..].iter().all(|l| l.ends_with("Смена А")),
        "{}",
        csv.body
    );
    let everyone = br.get("/cabinet/employees").await;
    assert_eq!(
        everyone
            .body
            .matches("<span class=\"tag\">Смена А</span>")
            .count(),
        2
    );
    // "Everyone found" in the group filter acts on the members only.
    let removed = br
        .post(
            "/cabinet/employees/bulk",
            &[
                ("csrf", &csrf),
                ("do", "group_remove"),
                ("group", &id),
                ("id", &b.id),
                ("back", &format!("/cabinet/employees?group={id}")),
            ],
        )
        .await;
    assert_eq!(
        removed.location.as_deref(),
        Some(format!("/cabinet/employees?group={id}&done=bulk_group_removed&n=1").as_str())
    );
    let all_found = br
        .post(
            "/cabinet/employees/bulk",
            &[
                ("csrf", &csrf),
                ("do", "group_add_all"),
                ("group", &id),
                ("upto", &c.id),
                ("back", "/cabinet/employees?q=Сидоров"),
            ],
        )
        .await;
    assert!(
        all_found.location.as_deref().unwrap().ends_with("n=1"),
        "{:?}",
        all_found.location
    );
    assert_eq!(groups(&app, &p).await[0]["staffids"], json!([a.id, c.id]));
    let groups_page = br.get("/cabinet/groups").await;
    assert!(
        groups_page
            .body
            .contains("<td data-label=\"Участников\" class=\"members\">2"),
        "{}",
        groups_page.body
    );

    // The send form: the group is chosen from its page; ticks beside it are refused.
    let form = br.get(&format!("/cabinet/send?group={id}")).await;
    assert!(
        form.body.contains(&format!(
            "<option value=\"{id}\" selected>Смена А (активных: 2)"
        )),
        "{}",
        form.body
    );
    let both = br
        .post(
            "/cabinet/send",
            &[
                ("csrf", &csrf),
                ("group", &id),
                ("staff", &b.id),
                ("title", "t"),
                ("text", "m"),
                ("when", "now"),
            ],
        )
        .await;
    assert_eq!(both.status, 400);
    assert!(both.body.contains("одним способом"), "{}", both.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM messages").await, 0);
    let sent = br
        .post(
            "/cabinet/send",
            &[
                ("csrf", &csrf),
                ("group", &id),
                ("title", "Пересменка"),
                ("text", "В 20:00"),
                ("when", "now"),
            ],
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert!(sent.body.contains("Создано сообщений: 2"), "{}", sent.body);
    assert_eq!(titles_of(&app, &p, &a).await, ["Пересменка"]);
    assert_eq!(titles_of(&app, &p, &c).await, ["Пересменка"]);
    assert!(titles_of(&app, &p, &b).await.is_empty());
    // The message list filters by the group (its members now), and so does its CSV.
    app.create_message(&p, &b.id, "Не группе", "-").await.ok();
    let listed = br.get(&format!("/cabinet/messages?group={id}")).await;
    assert_eq!(listed.status, 200);
    assert!(
        listed
            .body
            .contains(&format!("<option value=\"{id}\" selected>Смена А</option>")),
        "{}",
        listed.body
    );
    assert_eq!(
        listed.body.matches("Пересменка").count(),
        2,
        "{}",
        listed.body
    );
    assert!(!listed.body.contains("Не группе"));
    assert!(br.get("/cabinet/messages").await.body.contains("Не группе"));
    let csv = br.get(&format!("/cabinet/messages.csv?group={id}")).await;
    assert_eq!(csv.status, 200);
    assert_eq!(
        csv.body.lines().count(),
        3,
        "a header and two rows: {}",
        csv.body
    );
    assert!(!csv.body.contains("Не группе"));

    // Scheduled to the group: listed with its name; the group cannot be deleted meanwhile.
    let at = chrono::DateTime::from_timestamp_millis(now_millis() + HOUR_MS)
        .unwrap()
        .with_timezone(&chrono::FixedOffset::east_opt(3 * 3600).unwrap())
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let later = br
        .post(
            "/cabinet/send",
            &[
                ("csrf", &csrf),
                ("group", &id),
                ("title", "Завтра"),
                ("text", "Склад закрыт"),
                ("when", "later"),
                ("send_at", &at),
            ],
        )
        .await;
    assert_eq!(later.status, 200, "{}", later.body);
    assert!(later.body.contains("группа «Смена А»"), "{}", later.body);
    let scheduled = br.get("/cabinet/scheduled").await;
    assert!(
        scheduled.body.contains("группа «Смена А»"),
        "{}",
        scheduled.body
    );
    let kept = br
        .post(
            "/cabinet/groups",
            &[("csrf", &csrf), ("do", "delete"), ("id", &id)],
        )
        .await;
    assert_eq!(kept.status, 400);
    assert!(
        kept.body
            .contains("Группе запланированы отправки: отмените их на странице"),
        "{}",
        kept.body
    );

    // Renamed; another partner's group is not ours to see or change.
    let renamed = br
        .post(
            "/cabinet/groups",
            &[
                ("csrf", &csrf),
                ("do", "save"),
                ("id", &id),
                ("name", "Смена Б"),
            ],
        )
        .await;
    assert_eq!(renamed.status, 303);
    let their_id = their_group["groupid"].as_str().unwrap();
    assert_eq!(
        br.get(&format!("/cabinet/groups?edit={their_id}"))
            .await
            .status,
        404
    );
    for action in ["save", "delete"] {
        let page = br
            .post(
                "/cabinet/groups",
                &[
                    ("csrf", &csrf),
                    ("do", action),
                    ("id", their_id),
                    ("name", "Захват"),
                ],
            )
            .await;
        assert_eq!(page.status, 404, "{action}");
    }
    assert_eq!(groups(&app, &q).await[0]["name"], "Их");

    // Cancelled, then the group goes; its employees stay.
    let send_id = app
        .post("getschedule", Some(&p.token), json!({"inn": p.inn}))
        .await
        .ok()["pending"][0]["scheduleid"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(
        "cancelschedule",
        Some(&p.token),
        json!({"inn": p.inn, "scheduleid": send_id}),
    )
    .await
    .ok();
    let deleted = br
        .post(
            "/cabinet/groups",
            &[("csrf", &csrf), ("do", "delete"), ("id", &id)],
        )
        .await;
    assert_eq!(
        deleted.location.as_deref(),
        Some("/cabinet/groups?done=group_deleted")
    );
    assert_eq!(groups(&app, &p).await, json!([]));
    assert_eq!(app.count("SELECT COUNT(*) FROM staff").await, 4);

    let entries = journal(&br.get("/cabinet/journal?kind=staff").await);
    let what: Vec<&str> = entries.iter().map(|(_, what, _)| what.as_str()).collect();
    assert_eq!(
        what,
        [
            "Группа удалена: «Смена Б»",
            "Группа сохранена: «Смена Б»",
            "Сотрудники добавлены в группу: «Смена А»: 1",
            "Сотрудники убраны из группы: «Смена А»: 1",
            "Сотрудники добавлены в группу: «Смена А»: 2",
            "Группа сохранена: «Смена А»",
        ],
        "{entries:?}"
    );
    let english = br.get("/cabinet/groups?lang=en").await;
    assert!(english.body.contains("Employee groups"), "{}", english.body);
    let office = [
        ("csrf", csrf.as_str()),
        ("do", "save"),
        ("id", ""),
        ("name", "Офис"),
    ];
    assert_eq!(br.post("/cabinet/groups", &office).await.status, 303);
    let taken = br.post("/cabinet/groups", &office).await;
    assert_eq!(taken.status, 400);
    assert!(
        taken.body.contains("There already is a group named «Офис»"),
        "{}",
        taken.body
    );
    let anonymous = Browser::new(&app);
    assert_eq!(
        anonymous.get("/cabinet/groups").await.location.as_deref(),
        Some("/cabinet/login")
    );
}
