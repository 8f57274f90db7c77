//! A whole staff in several calls: `beginstaffsync`, `addstaff` with its `syncid`, and
//! `finishstaffsync`, for companies above the 10,000 employees one `addstaff` takes.

use crate::cabinet::{Browser, journal, without_tags};
use crate::helpers::*;
use crate::webhook::by_id;
use serde_json::{Value, json};

both_databases!(
    a_staff_sent_in_parts_disables_on_the_finish_whoever_none_of_them_named,
    a_staff_sync_refuses_what_would_disable_the_wrong_people,
    the_cabinet_takes_a_whole_staff_above_ten_thousand_in_parts,
);

const STAYS: &str = "+79001110001";
const LEFT: &str = "+79001110002";
const OFF: &str = "+79001110003";
const NEW_1: &str = "+79001110004";
const NEW_2: &str = "+79001110005";
const LATE: &str = "+79001110006";

fn entry(phone: &str, name: &str) -> Value {
    json!({"phone": phone, "name": name})
}

async fn begin(app: &TestApp, p: &Partner) -> String {
    let data = app
        .post("beginstaffsync", Some(&p.token), json!({"inn": p.inn}))
        .await
        .ok()
        .clone();
    assert!(
        data["startdate"].as_str().unwrap() < data["expiresdate"].as_str().unwrap(),
        "{data}"
    );
    data["syncid"].as_str().unwrap().to_owned()
}

async fn part(app: &TestApp, p: &Partner, sync: &str, staff: &[Value]) -> Answer {
    app.post(
        "addstaff",
        Some(&p.token),
        json!({"inn": p.inn, "syncid": sync, "staff": staff}),
    )
    .await
}

async fn finish(app: &TestApp, p: &Partner, body: Value) -> Answer {
    let mut body = body;
    body["inn"] = json!(p.inn);
    app.post("finishstaffsync", Some(&p.token), body).await
}

/// The employee's state, or "gone".
async fn state_of(app: &TestApp, id: &str) -> String {
    let states = ["active", "disabled", "pending"];
    for (i, s) in states.iter().enumerate() {
        let sql = format!("SELECT COUNT(*) FROM staff WHERE id = {id} AND state = '{s}'");
        if app.count(&sql).await == 1 {
            return states[i].to_owned();
        }
    }
    "gone".to_owned()
}

async fn a_staff_sent_in_parts_disables_on_the_finish_whoever_none_of_them_named(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let other = app.create_partner(INN_B).await;
    let stays = app.login(&p.inn, STAYS, "Иванов").await;
    let left = app.login(&p.inn, LEFT, "Петрова").await;
    let off = app.login(&p.inn, OFF, "Орлов").await;
    let theirs = app.login(&other.inn, LEFT, "Чужая Петрова").await;
    app.post(
        "updatestaff",
        Some(&p.token),
        json!({"inn": p.inn, "staffid": off.id, "statusnotification": "disabled"}),
    )
    .await
    .ok();

    let sync = begin(&app, &p).await;
    let first = part(
        &app,
        &p,
        &sync,
        &[entry(STAYS, "Иванов И."), entry(NEW_1, "Новиков")],
    )
    .await;
    let data = first.ok();
    assert_eq!((&data["added"], &data["existing"]), (&json!(1), &json!(1)));
    assert_eq!(data["synclisted"], 2);
    assert_eq!(data["disabled"], 0, "a part disables nobody");
    // A phone in two parts counts once; the disabled employee is listed and stays disabled.
    let second = part(
        &app,
        &p,
        &sync,
        &[
            entry(NEW_2, "Новикова"),
            entry(STAYS, "Иванов"),
            entry(OFF, "Орлов"),
        ],
    )
    .await;
    assert_eq!(second.ok()["synclisted"], 4);
    // An addition without the sync's ID is not a part of it.
    app.post(
        "addstaff",
        Some(&p.token),
        json!({"inn": p.inn, "staff": [entry(LATE, "Поздний")]}),
    )
    .await
    .ok();
    assert_eq!(state_of(&app, &left.id).await, "active", "nothing yet");

    // The company's system says how many it exported: one part is missing.
    let short = finish(&app, &p, json!({"syncid": sync, "count": 5})).await;
    let why = short.failed(409);
    assert!(why.contains('4') && why.contains('5'), "{why}");
    assert_eq!(state_of(&app, &left.id).await, "active", "nothing disabled");

    let done = finish(&app, &p, json!({"syncid": sync, "count": "4"})).await;
    let data = done.ok();
    assert_eq!(data["syncid"], sync.as_str());
    assert_eq!((&data["listed"], &data["disabled"]), (&json!(4), &json!(1)));
    assert_eq!(data["disabledstaffids"], json!([left.id]));
    assert_eq!(state_of(&app, &left.id).await, "disabled");
    assert_eq!(state_of(&app, &stays.id).await, "active");
    assert_eq!(state_of(&app, &off.id).await, "disabled");
    assert_eq!(
        state_of(&app, &theirs.id).await,
        "active",
        "another company's"
    );
    let late = format!(
        "SELECT COUNT(*) FROM staff WHERE partner_id = {} AND phone = '{LATE}' AND state = 'active'",
        p.id
    );
    assert_eq!(app.count(&late).await, 1, "added after the sync began");

    // Finished: neither another part nor another finish.
    let again = finish(&app, &p, json!({"syncid": sync})).await;
    assert!(again.failed(409).contains("завершена"));
    let after = part(&app, &p, &sync, &[entry("+79001110007", "После")]).await;
    after.failed(409);
    let added_after = "SELECT COUNT(*) FROM staff WHERE phone = '+79001110007'";
    assert_eq!(
        app.count(added_after).await,
        0,
        "a refused part adds nobody"
    );

    // The journal: the parts as additions, the finish with its figures, in both languages.
    let b = Browser::new(&app);
    b.partner(&p.inn).await;
    let entries = journal(&b.get("/cabinet/journal").await);
    let actions: Vec<&str> = entries.iter().map(|(_, what, _)| what.as_str()).collect();
    assert!(
        actions.contains(&"Штат синхронизирован с выгрузкой: в списках: 4, отключено: 1"),
        "{actions:?}"
    );
    let english = without_tags(&b.get("/cabinet/journal?lang=en").await.body);
    assert!(
        english.contains("Staff synchronized with the export: listed: 4, disabled: 1"),
        "{english}"
    );
    let page = without_tags(&b.get("/cabinet/employees/add?lang=ru").await.body);
    assert!(
        page.contains("Последняя синхронизация штата") && page.contains("отключено: 1"),
        "{page}"
    );
}

async fn a_staff_sync_refuses_what_would_disable_the_wrong_people(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let other = app.create_partner(INN_B).await;
    let stays = app.login(&p.inn, STAYS, "Иванов").await;
    let everyone_active = format!(
        "SELECT COUNT(*) FROM staff WHERE partner_id = {} AND state = 'active'",
        p.id
    );

    // Who may: the partner's token, its own INN.
    let employee = app
        .post("beginstaffsync", Some(&stays.token), json!({"inn": p.inn}))
        .await;
    employee.failed(403);
    app.post("beginstaffsync", None, json!({"inn": p.inn}))
        .await
        .failed(401);
    app.post("beginstaffsync", Some(&p.token), json!({"inn": INN_B}))
        .await
        .failed(403);

    let sync = begin(&app, &p).await;
    // Nobody listed: finishing would disable everyone.
    let empty = finish(&app, &p, json!({"syncid": sync})).await;
    assert!(empty.failed(409).contains("ни один"));
    assert_eq!(app.count(&everyone_active).await, 1);

    // Malformed calls.
    let both = app
        .post(
            "addstaff",
            Some(&p.token),
            json!({"inn": p.inn, "syncid": sync, "disablemissing": true, "staff": [entry(NEW_1, "Н")]}),
        )
        .await;
    assert!(both.failed(400).contains("syncid"));
    assert!(
        part(&app, &p, "abc", &[entry(NEW_1, "Н")])
            .await
            .failed(400)
            .contains("syncid")
    );
    assert!(
        finish(&app, &p, json!({}))
            .await
            .failed(400)
            .contains("syncid")
    );
    let zero = finish(&app, &p, json!({"syncid": sync, "count": 0})).await;
    assert!(zero.failed(400).contains("count"));
    let unknown = finish(&app, &p, json!({"syncid": "999999"})).await;
    assert!(unknown.failed(404).contains("999999"));

    // Another company's sync is not found, and its lists add nobody there.
    let theirs = begin(&app, &other).await;
    part(&app, &p, &theirs, &[entry(NEW_1, "Н")])
        .await
        .failed(404);
    finish(&app, &p, json!({"syncid": theirs}))
        .await
        .failed(404);
    let new_1 = format!("SELECT COUNT(*) FROM staff WHERE phone = '{NEW_1}'");
    assert_eq!(app.count(&new_1).await, 0);
    part(&app, &other, &theirs, &[entry(NEW_2, "Их")])
        .await
        .ok();

    // A sync begun later supersedes the open one.
    part(&app, &p, &sync, &[entry(STAYS, "Иванов")]).await.ok();
    let newer = begin(&app, &p).await;
    assert_ne!(newer, sync);
    assert!(
        part(&app, &p, &sync, &[entry(STAYS, "Иванов")])
            .await
            .failed(409)
            .contains("заменена")
    );
    assert!(
        finish(&app, &p, json!({"syncid": sync}))
            .await
            .failed(409)
            .contains("заменена")
    );
    // The newer one has listed nobody: its marks are its own.
    let nobody = finish(&app, &p, json!({"syncid": newer})).await;
    assert!(nobody.failed(409).contains("ни один"));

    // A day later the sync has expired.
    part(&app, &p, &newer, &[entry(STAYS, "Иванов")]).await.ok();
    app.state
        .store
        .execute_script(&format!(
            "UPDATE staff_syncs SET expires_at = 1 WHERE id = {newer}"
        ))
        .await
        .unwrap();
    assert!(
        finish(&app, &p, json!({"syncid": newer}))
            .await
            .failed(409)
            .contains("истекла")
    );
    assert_eq!(app.count(&everyone_active).await, 1, "nobody was disabled");
    // The other company's own sync still finishes: its employee was listed.
    let theirs_done = finish(&app, &other, json!({"syncid": theirs})).await;
    assert_eq!(theirs_done.ok()["listed"], 1);
}

/// A pasted list above one transaction's 10,000: added in parts, and as the whole staff
/// through a sync, so the others are disabled once, after every part is in.
async fn the_cabinet_takes_a_whole_staff_above_ten_thousand_in_parts(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let stays = app.login(&p.inn, STAYS, "Иванов").await;
    let left = app.login(&p.inn, LEFT, "Петрова").await;
    let mut list: Vec<String> = (0..10_004)
        .map(|i| format!("+7903{i:07};Сотрудник {i}"))
        .collect();
    list.insert(5_000, format!("{STAYS};Иванов"));
    let list = list.join("\n");
    let b = Browser::new(&app);
    b.partner(&p.inn).await;
    let add = |action: &'static str| {
        let (b, list) = (&b, &list);
        async move {
            let page = b.get("/cabinet/employees/add?lang=ru").await;
            let done = b
                .post(
                    "/cabinet/employees/add",
                    &[("csrf", &page.csrf()), ("list", list), ("do", action)],
                )
                .await;
            assert_eq!(done.status, 200, "{}", done.body);
            let n = |id: &str| by_id(&done, id).unwrap_or_default();
            (n("n-added"), n("n-existing"), n("n-disabled"))
        }
    };
    let counted = |a: &str, e: &str, d: &str| (a.to_owned(), e.to_owned(), d.to_owned());
    assert_eq!(add("whole").await, counted("10004", "1", "1"));
    assert_eq!(state_of(&app, &left.id).await, "disabled");
    assert_eq!(state_of(&app, &stays.id).await, "active");
    let active = format!(
        "SELECT COUNT(*) FROM staff WHERE partner_id = {} AND state = 'active'",
        p.id
    );
    assert_eq!(app.count(&active).await, 10_005);
    let page = without_tags(&b.get("/cabinet/employees/add").await.body);
    assert!(page.contains("в списках: 10005, отключено: 1"), "{page}");

    // The same list as an addition: all there, nobody disabled, no sync.
    assert_eq!(add("add").await, counted("0", "10005", ""));
    let syncs = format!(
        "SELECT COUNT(*) FROM staff_syncs WHERE partner_id = {}",
        p.id
    );
    assert_eq!(app.count(&syncs).await, 1);
    let entries = journal(&b.get("/cabinet/journal").await);
    let actions: Vec<&str> = entries.iter().map(|(_, what, _)| what.as_str()).collect();
    assert!(
        actions.contains(&"Отключено от рассылки списком: 1"),
        "{actions:?}"
    );
}
