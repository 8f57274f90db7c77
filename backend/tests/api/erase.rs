//! The operator deletes a company with everything the server holds of it (its contract ended;
//! 152-ФЗ), and nothing of the other company.

use crate::cabinet::Browser;
use crate::helpers::*;
use base64::Engine;
use serde_json::json;
use simo_backend::service::second_factor;
use simo_backend::store::Pool;
use std::collections::BTreeMap;

both_databases!(the_operator_deletes_a_disabled_company_with_all_it_had_and_nothing_else);

/// Every table with a `partner_id` column, read from the database itself, so that a table added
/// later is checked too.
async fn partner_tables(app: &TestApp) -> Vec<String> {
    match app.state.store.pool() {
        Pool::Sqlite(p) => sqlx::query_scalar(
            "SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) c
             WHERE m.type = 'table' AND c.name = 'partner_id' ORDER BY 1",
        )
        .fetch_all(p)
        .await
        .unwrap(),
        Pool::Postgres(p) => sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.columns
             WHERE column_name = 'partner_id' AND table_schema = current_schema() ORDER BY 1",
        )
        .fetch_all(p)
        .await
        .unwrap(),
    }
}

/// How many rows of the company each table holds, and the rows that hang on its messages,
/// employees and groups.
async fn rows_of(
    app: &TestApp,
    tables: &[String],
    p: &Partner,
    admin: i64,
) -> BTreeMap<String, i64> {
    let id = p.id;
    let mut rows = BTreeMap::new();
    for table in tables {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE partner_id = {id}");
        rows.insert(table.clone(), app.count(&sql).await);
    }
    let by_name = [
        (
            "partners",
            format!("SELECT COUNT(*) FROM partners WHERE id = {id}"),
        ),
        (
            "cabinet_sessions",
            format!(
                "SELECT COUNT(*) FROM cabinet_sessions WHERE kind = 'partner' AND subject_id = {id}"
            ),
        ),
        (
            "second_factors",
            format!(
                "SELECT COUNT(*) FROM second_factors WHERE kind = 'partner' AND subject_id = {id}"
            ),
        ),
        (
            "recovery_codes",
            format!(
                "SELECT COUNT(*) FROM recovery_codes WHERE kind = 'partner' AND subject_id = {id}"
            ),
        ),
        (
            "login_challenges",
            format!(
                "SELECT COUNT(*) FROM login_challenges WHERE kind = 'partner' AND subject_id = {id}"
            ),
        ),
        (
            "login_failures",
            format!(
                "SELECT COUNT(*) FROM login_failures WHERE kind = 'partner' AND login = '{}'",
                p.inn
            ),
        ),
        (
            "named admin's cabinet_sessions",
            format!(
                "SELECT COUNT(*) FROM cabinet_sessions WHERE kind = 'admin' AND subject_id = {admin}
                   AND partner_id IS NULL"
            ),
        ),
        (
            "named admin's second_factors",
            format!(
                "SELECT COUNT(*) FROM second_factors WHERE kind = 'admin' AND subject_id = {admin}"
            ),
        ),
        (
            "named admin's recovery_codes",
            format!(
                "SELECT COUNT(*) FROM recovery_codes WHERE kind = 'admin' AND subject_id = {admin}"
            ),
        ),
        (
            "named admin's login_challenges",
            format!(
                "SELECT COUNT(*) FROM login_challenges WHERE kind = 'admin' AND subject_id = {admin}"
            ),
        ),
        (
            "named admin's login_failures",
            format!(
                "SELECT COUNT(*) FROM login_failures WHERE kind = 'partner' AND login = 'admin-{}'",
                p.inn
            ),
        ),
        (
            "deliveries",
            format!(
                "SELECT COUNT(*) FROM deliveries d JOIN messages m ON m.id = d.message_id WHERE m.partner_id = {id}"
            ),
        ),
        (
            "message_events",
            format!(
                "SELECT COUNT(*) FROM message_events e JOIN messages m ON m.id = e.message_id WHERE m.partner_id = {id}"
            ),
        ),
        (
            "message_files",
            format!(
                "SELECT COUNT(*) FROM message_files f JOIN messages m ON m.id = f.message_id WHERE m.partner_id = {id}"
            ),
        ),
        (
            "staff_group_members",
            format!(
                "SELECT COUNT(*) FROM staff_group_members g JOIN staff s ON s.id = g.staff_id WHERE s.partner_id = {id}"
            ),
        ),
    ];
    for (name, sql) in by_name {
        rows.insert(format!("{name} (by name)"), app.count(&sql).await);
    }
    rows
}

/// A company with something in every place: employees, messages read and with history, a
/// group, a template, a waiting send, an open sync, a webhook with its queues, a second token,
/// a journal, an admin's session, a login code with its recovery codes, a login waiting for its
/// code and a failed login; and a named admin with all of those of their own (whose id it
/// answers too).
async fn filled(app: &TestApp, inn: &str, phones: [&str; 2]) -> (Partner, Employee, Browser, i64) {
    let p = app.create_partner(inn).await;
    let hook = match app.db {
        Db::Sqlite => 1.to_string(),
        Db::Postgres => "true".into(),
    };
    app.state
        .store
        .execute_script(&format!(
            "INSERT INTO partner_webhooks (partner_id, url, secret, staff_events, created_at, updated_at)
             VALUES ({}, 'https://hooks.invalid/simo', 'secret', {hook}, 0, 0)",
            p.id
        ))
        .await
        .unwrap();
    let e = app.login(inn, phones[0], "Уходящая Анна").await;
    let second = app
        .add_listed(&p, &[(phones[1].into(), "Уходящий Борис".into())])
        .await;
    let device = json!({"inn": inn, "pushtoken": "fcm-token", "device": "android"});
    app.post("updatepushtoken", Some(&e.token), device)
        .await
        .ok();
    let pdf = base64::engine::general_purpose::STANDARD.encode(b"%PDF-1.4 order");
    let file = json!({"inn": inn, "name": "Приказ.pdf", "content": pdf});
    let file = app.post("uploadfile", Some(&p.token), file).await;
    let with_file = json!({"inn": inn, "staffid": e.id, "title": "Приказ", "message": "Текст",
                           "fileids": [file.ok()["fileid"]]});
    let sent = app.post("createmessage", Some(&p.token), with_file).await;
    let id = sent.ok()["messageid"].as_str().unwrap().to_owned();
    let read = json!({"inn": inn, "staffid": e.id, "messageids": [id], "status": "read"});
    app.post("messagestatus", Some(&e.token), read).await.ok();
    let both = json!([e.id, second[0].0]);
    let group = json!({"inn": inn, "name": "Склад", "staffids": both});
    app.post("savegroup", Some(&p.token), group).await.ok();
    let later = (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339();
    let send =
        json!({"inn": inn, "all": true, "title": "Позже", "message": "т", "senddate": later});
    app.post("schedulemessage", Some(&p.token), send).await.ok();
    app.post("beginstaffsync", Some(&p.token), json!({"inn": inn}))
        .await
        .ok();
    simo_backend::service::api_keys::rotate_main(&app.state.store, p.id, 3600)
        .await
        .unwrap();
    let b = Browser::new(app);
    b.partner(inn).await;
    let page = b.get("/cabinet/templates").await;
    let template = [
        ("csrf", page.csrf()),
        ("do", "save".into()),
        ("id", String::new()),
        ("name", "Планерка".into()),
        ("title", "Планерка".into()),
        ("text", "В 10:00".into()),
    ];
    let template: Vec<(&str, &str)> = template.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(b.post("/cabinet/templates", &template).await.status, 303);
    // A login code, and a login waiting for one.
    let kind = simo_backend::store::SessionKind::Partner;
    let setup = second_factor::staged(&app.state.store, kind, p.id, inn).await;
    let code = totp_code(&setup.unwrap().unwrap().secret, 0);
    let on = second_factor::enable(&app.state.store, kind, p.id, &code).await;
    assert_eq!(
        on.unwrap().map(|codes| codes.len()),
        Some(10),
        "with recovery codes"
    );
    let waiting = Browser::new(app)
        .login("cabinet", inn, "secret-password")
        .await;
    assert_eq!(waiting.location.as_deref(), Some("/cabinet/login/code"));
    // After the admin's login, which forgets the failures before it.
    let wrong = Browser::new(app);
    let form = wrong.get("/cabinet/login").await;
    let login = [
        ("login", inn),
        ("password", "not-the-password"),
        ("csrf", &form.csrf()),
    ];
    let refused = wrong.post("/cabinet/login", &login).await;
    assert_eq!(refused.status, 401, "{}", refused.body);
    let named = simo_backend::service::admins::create(
        &app.state.store,
        p.id,
        &format!("admin-{inn}"),
        "Кадровик",
        "admin",
        "admin-password",
    )
    .await
    .unwrap();
    let hr = Browser::new(app);
    let session = hr.login("cabinet", &named.login, "admin-password").await;
    assert_eq!(session.status, 303, "{}", session.body);
    let kind = simo_backend::store::SessionKind::Admin;
    let setup = second_factor::staged(&app.state.store, kind, named.id, &named.login).await;
    let code = totp_code(&setup.unwrap().unwrap().secret, 0);
    let on = second_factor::enable(&app.state.store, kind, named.id, &code).await;
    assert!(on.unwrap().is_some());
    let waiting = hr.login("cabinet", &named.login, "admin-password").await;
    assert_eq!(waiting.location.as_deref(), Some("/cabinet/login/code"));
    let refused = hr.login("cabinet", &named.login, "not-the-password").await;
    assert_eq!(refused.status, 401, "{}", refused.body);
    (p, e, b, named.id)
}

async fn the_operator_deletes_a_disabled_company_with_all_it_had_and_nothing_else(app: TestApp) {
    let (p, e, admin, named) = filled(&app, INN_A, [PHONE, "+79233381639"]).await;
    let (q, f, _, their_named) = filled(&app, INN_B, ["+79161234567", "+79161234568"]).await;
    // The other company's admin has access to the company's cabinet, with a session in it.
    let store = &app.state.store;
    let access = store
        .grant_access(p.id, their_named, "admin", 0)
        .await
        .unwrap();
    assert!(
        store
            .accept_access(their_named, access.id, 0)
            .await
            .unwrap()
    );
    let in_it = simo_backend::domain::TokenHash::of("guest-session");
    store
        .create_session(&simo_backend::store::NewSession {
            token: &in_it,
            kind: simo_backend::store::SessionKind::Admin,
            subject_id: their_named,
            csrf_token: "guest-csrf",
            now: simo_backend::domain::now_millis(),
            expires_at: simo_backend::domain::now_millis() + 3_600_000,
            partner_id: Some(p.id),
        })
        .await
        .unwrap();
    let tables = partner_tables(&app).await;
    assert!(tables.len() >= 13, "{tables:?}");
    let before = rows_of(&app, &tables, &p, named).await;
    let empty: Vec<&String> = before
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(t, _)| t)
        .collect();
    // A table the fill does not reach would pass unchecked. These come and go with the
    // workers: a push job is deleted once sent, a webhook attempt made when its turn comes.
    let transient = ["deliveries (by name)", "webhook_attempts"];
    let unfilled: Vec<&String> = empty
        .into_iter()
        .filter(|t| !transient.contains(&t.as_str()))
        .collect();
    assert!(
        unfilled.is_empty(),
        "the fill left {unfilled:?} empty: {before:?}"
    );
    let theirs = rows_of(&app, &tables, &q, their_named).await;

    let ops = Browser::new(&app);
    ops.operator(&app).await;
    let list = ops.get("/operator").await;
    let erase = |confirm: &'static str| {
        let csrf = list.csrf();
        let ops = &ops;
        let path = format!("/operator/partners/{}/erase", p.id);
        async move {
            ops.post(&path, &[("csrf", &csrf), ("confirm", confirm)])
                .await
        }
    };
    // Not while the company is live, and not without its INN typed.
    let live = erase(INN_A).await;
    assert_eq!(live.status, 400);
    assert!(
        live.body.contains("Сначала закройте компании доступ"),
        "{}",
        live.body
    );
    // Disabled behind the operator's back (the form would also end the sessions): the
    // deletion must end them itself.
    app.state
        .store
        .set_partner_disabled(p.id, true)
        .await
        .unwrap();
    let mistyped = erase(INN_B).await;
    assert_eq!(mistyped.status, 400);
    assert!(
        mistyped
            .body
            .contains(&format!("введите ИНН компании: {INN_A}"))
    );
    // The workers may send a push job or make a webhook attempt meanwhile: those come and go.
    let lasting = |rows: BTreeMap<String, i64>| -> BTreeMap<String, i64> {
        rows.into_iter()
            .filter(|(t, _)| !transient.contains(&t.as_str()))
            .collect()
    };
    assert_eq!(
        lasting(rows_of(&app, &tables, &p, named).await),
        lasting(before.clone()),
        "nothing deleted yet"
    );

    let done = erase(INN_A).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let back = done.location.expect("back to the list");
    assert!(back.contains("done=partner_erased"), "{back}");
    let after = rows_of(&app, &tables, &p, named).await;
    assert!(
        after.values().all(|n| *n == 0),
        "left of the company: {after:?}"
    );
    assert_eq!(
        lasting(rows_of(&app, &tables, &q, their_named).await),
        lasting(theirs),
        "the other company's rows"
    );
    let list = ops.get(&back).await;
    assert!(
        list.body.contains("Компания удалена со всеми её данными"),
        "{}",
        list.body
    );
    assert!(!list.body.contains(INN_A), "gone from the list");

    // Its tokens, its employees' and its admin's session are dead; the other company works.
    let body = json!({"inn": INN_A, "staffid": e.id, "title": "т", "message": "т"});
    app.post("createmessage", Some(&p.token), body)
        .await
        .failed(401);
    let profile = json!({"inn": INN_A});
    app.post("getprofile", Some(&e.token), profile)
        .await
        .failed(401);
    assert_eq!(
        admin.get("/cabinet").await.location.as_deref(),
        Some("/cabinet/login")
    );
    app.create_message(&q, &f.id, "Работаем", "т").await.ok();
    // A new company may take the INN again, from nothing.
    let again = app.create_partner(INN_A).await;
    let staff = app.post("getstaff", Some(&again.token), json!({"inn": INN_A}));
    assert_eq!(staff.await.ok(), &json!([]));
}
