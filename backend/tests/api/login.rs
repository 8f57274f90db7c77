use crate::helpers::*;
use serde_json::json;

both_databases!(
    getprofile_tells_the_app_what_the_company_changed_since_the_login,
    auth_sends_a_code_and_confirm_returns_the_documented_profile,
    auth_with_an_unknown_inn_fails_with_the_documented_message,
    logging_in_again_keeps_the_staffid_and_rotates_the_token,
    a_code_is_locked_after_five_wrong_tries,
    an_expired_code_is_refused,
    codes_are_rate_limited_per_phone_with_retry_after,
    bad_inn_and_phone_are_refused_before_any_sms,
    updatepushtoken_stores_the_token_for_the_employee_only,
    an_sms_gateway_failure_is_a_clear_502,
    employees_wait_for_approval_when_the_partner_asks_for_it,
    housekeeping_deletes_old_sms_codes_and_old_journal_entries,
);

/// Old SMS codes (a phone and an address each) go after a day; journal entries only when the
/// operator set a keep time, and then only those older than it; nothing recent is touched.
async fn housekeeping_deletes_old_sms_codes_and_old_journal_entries(app: TestApp) {
    use simo_backend::service::housekeeping::{Pruned, Retention, run_once};
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иванов Иван").await;
    app.auth(&p.inn, "+79001112233", "Петрова Анна").await.ok();
    let now = simo_backend::domain::now_millis();
    let day = 86_400_000;
    let (old, older) = (now - day - 60_000, now - 400 * day);
    app.state
        .store
        .execute_script(&format!(
            "INSERT INTO sms_codes (partner_id, phone, client_ip, code_hash, created_at, expires_at)
             VALUES ({id}, '+79005550001', '10.0.0.1', 'x', {old}, {old} + 300000);
             INSERT INTO audit_events (partner_id, actor, action, detail, client_ip, created_at)
             VALUES ({id}, 'admin', 'login', '', '10.0.0.1', {older}),
                    ({id}, 'admin', 'logout', '', '10.0.0.1', {old});
             INSERT INTO operator_events (actor, action, partner_inn, partner_name, created_at)
             VALUES ('operator:ops', 'partner_created', '{inn}', 'ООО', {older}),
                    ('cli', 'partner_rate_set', '{inn}', 'ООО', {old});
             INSERT INTO scheduled_sends (partner_id, title, body, send_at, source, state, created_at, done_at)
             VALUES ({id}, 'sent long ago', 'b', {older}, 'api', 'sent', {older}, {older}),
                    ({id}, 'cancelled long ago', 'b', {older}, 'api', 'cancelled', {older}, {older}),
                    ({id}, 'sent yesterday', 'b', {old}, 'api', 'sent', {old}, {old}),
                    ({id}, 'waiting since long', 'b', {now} + {day}, 'api', 'pending', {older}, NULL);
             INSERT INTO login_refusals (client_ip, created_at) VALUES ('10.0.0.2', {old}), ('10.0.0.3', {now});",
            id = p.id,
            inn = p.inn
        ))
        .await
        .unwrap();
    let codes = || app.count("SELECT COUNT(*) FROM sms_codes");
    let entries = || app.count("SELECT COUNT(*) FROM audit_events");
    let operator_entries = || app.count("SELECT COUNT(*) FROM operator_events");
    assert_eq!(codes().await, 3);
    assert_eq!(entries().await, 2);
    assert_eq!(operator_entries().await, 2);

    let keep_all = Retention::new(300, 0);
    let pruned = run_once(&app.state.store, keep_all, now).await.unwrap();
    assert_eq!(
        pruned,
        Pruned {
            sms_codes: 1,
            journal: 0,
            operator_journal: 0,
            scheduled: 2,
            messages: 0,
            files: 0,
        }
    );
    let titles: Vec<String> = match app.state.store.pool() {
        simo_backend::store::Pool::Sqlite(p) => {
            sqlx::query_scalar("SELECT title FROM scheduled_sends ORDER BY id")
                .fetch_all(p)
                .await
                .unwrap()
        }
        simo_backend::store::Pool::Postgres(p) => {
            sqlx::query_scalar("SELECT title FROM scheduled_sends ORDER BY id")
                .fetch_all(p)
                .await
                .unwrap()
        }
    };
    assert_eq!(
        titles,
        ["sent yesterday", "waiting since long"],
        "90 days after done; waiting ones stay"
    );
    assert_eq!(codes().await, 2, "the two codes of today stay");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM login_refusals").await,
        1,
        "a refused login of today stays, yesterday's goes with the codes"
    );
    assert_eq!(entries().await, 2, "no keep time: the journal stays whole");
    assert_eq!(operator_entries().await, 2, "and so does the operator's");

    let a_year = Retention::new(300, 365);
    let pruned = run_once(&app.state.store, a_year, now).await.unwrap();
    assert_eq!(
        pruned,
        Pruned {
            sms_codes: 0,
            journal: 1,
            operator_journal: 1,
            scheduled: 0,
            messages: 0,
            files: 0,
        }
    );
    assert_eq!(entries().await, 1, "the entry of yesterday stays");
    assert_eq!(
        operator_entries().await,
        1,
        "the operator's of yesterday too"
    );
    // The code of today still confirms.
    let code = app.sms.last_code("+79001112233").unwrap();
    app.confirm(&p.inn, "+79001112233", &code).await.ok();
    assert!(!e.token.is_empty());
}

async fn auth_sends_a_code_and_confirm_returns_the_documented_profile(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let sent = app
        .auth(&p.inn, "8 (923) 338-16-38", "Алексей Иванов")
        .await;
    assert_eq!(
        sent.ok()["message"],
        "Вам отправлен код подтверждения телефона"
    );

    let code = app
        .sms
        .last_code(PHONE)
        .expect("the gateway got an SMS to the normalised phone");
    assert_eq!(code.len(), 4);
    let data = app
        .confirm(&p.inn, "+79233381638", &code)
        .await
        .ok()
        .clone();

    for key in [
        "apitoken",
        "inn",
        "firstname",
        "companyname",
        "staffname",
        "staffid",
        "device",
        "phone",
    ] {
        assert!(data[key].is_string(), "{key} missing in {data}");
    }
    assert_eq!(data["inn"], INN_A);
    assert_eq!(data["firstname"], "ООО Весна");
    assert_eq!(
        data["companyname"],
        "Общество с ограниченной ответственностью Весна"
    );
    assert_eq!(data["staffname"], "Алексей Иванов");
    assert_eq!(data["device"], "android");
    assert_eq!(data["phone"], PHONE);
    // The code is single-use.
    app.confirm(&p.inn, PHONE, &code).await.failed(400);
}

async fn auth_with_an_unknown_inn_fails_with_the_documented_message(app: TestApp) {
    let answer = app.auth(INN_B, PHONE, "Иванов").await;
    assert_eq!(
        answer.failed(404),
        "Ошибка авторизации. Организации с таким ИНН не существует"
    );
    assert_eq!(app.sms.count(), 0);
}

async fn logging_in_again_keeps_the_staffid_and_rotates_the_token(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let first = app.login(&p.inn, PHONE, "Иванов И. И.").await;
    app.create_message(&p, &first.id, "До переустановки", "текст")
        .await
        .ok();

    let second = app.login(&p.inn, "89233381638", "Иванов Иван").await;
    assert_eq!(first.id, second.id);
    assert_eq!(
        second.phone, PHONE,
        "the domestic form is the same employee, stored in E.164"
    );
    assert_ne!(first.token, second.token);

    let old = app
        .get_messages(
            &first.token,
            json!({"inn": p.inn, "staffid": first.id, "count": 0}),
        )
        .await;
    old.failed(401);
    let history = app
        .get_messages(
            &second.token,
            json!({"inn": p.inn, "staffid": second.id, "count": 0}),
        )
        .await;
    assert_eq!(
        history.ok().as_array().unwrap().len(),
        1,
        "history survives a new login"
    );
}

async fn a_code_is_locked_after_five_wrong_tries(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    app.auth(&p.inn, PHONE, "Иванов").await.ok();
    let code = app.sms.last_code(PHONE).unwrap();
    let wrong = if code == "0000" { "1111" } else { "0000" };
    for _ in 0..5 {
        let msg = app.confirm(&p.inn, PHONE, wrong).await.failed(400);
        assert_eq!(msg, "Неверный код подтверждения");
    }
    let locked = app.confirm(&p.inn, PHONE, &code).await;
    locked.failed(429);
    assert!(locked.retry_after.is_some());
    // A new code works again.
    app.auth(&p.inn, PHONE, "Иванов").await.ok();
    let fresh = app.sms.last_code(PHONE).unwrap();
    app.confirm(&p.inn, PHONE, &fresh).await.ok();
}

async fn an_expired_code_is_refused(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    app.auth(&p.inn, PHONE, "Иванов").await.ok();
    let code = app.sms.last_code(PHONE).unwrap();
    // Age the code instead of sleeping.
    app.state
        .store
        .execute_script("UPDATE sms_codes SET expires_at = 0")
        .await
        .unwrap();
    let msg = app.confirm(&p.inn, PHONE, &code).await.failed(400);
    assert!(msg.contains("истёк"), "{msg}");
}

async fn codes_are_rate_limited_per_phone_with_retry_after(app: TestApp) {
    let app = spawn_app_with(app.db, |s| {
        s.sms_resend_cooldown_secs = 60;
    })
    .await
    .unwrap();
    let p = app.create_partner(INN_A).await;
    app.auth(&p.inn, PHONE, "Иванов").await.ok();
    let again = app.auth(&p.inn, PHONE, "Иванов").await;
    again.failed(429);
    let wait: u64 = again.retry_after.expect("Retry-After").parse().unwrap();
    assert!((1..=60).contains(&wait));
    assert_eq!(app.sms.count(), 1);
    // Another phone is not affected by this phone's cooldown.
    app.auth(&p.inn, "+79990001122", "Петров").await.ok();

    let capped = spawn_app_with(app.db, |s| s.sms_hourly_per_phone = 2)
        .await
        .unwrap();
    let p = capped.create_partner(INN_A).await;
    capped.auth(&p.inn, PHONE, "Иванов").await.ok();
    capped.auth(&p.inn, PHONE, "Иванов").await.ok();
    capped.auth(&p.inn, PHONE, "Иванов").await.failed(429);

    let per_ip = spawn_app_with(app.db, |s| s.sms_hourly_per_ip = 1)
        .await
        .unwrap();
    let p = per_ip.create_partner(INN_A).await;
    per_ip.auth(&p.inn, PHONE, "Иванов").await.ok();
    per_ip
        .auth(&p.inn, "+79990001122", "Петров")
        .await
        .failed(429);
}

async fn bad_inn_and_phone_are_refused_before_any_sms(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    assert!(
        app.auth("7707083894", PHONE, "Иванов")
            .await
            .failed(400)
            .contains("ИНН")
    );
    assert!(
        app.auth(&p.inn, "12345", "Иванов")
            .await
            .failed(400)
            .contains("телефон")
    );
    app.auth(&p.inn, PHONE, "").await.failed(400);
    let bad_device = app
        .post(
            "auth",
            None,
            json!({"inn": p.inn, "staffname": "И", "phone": PHONE, "device": "nokia"}),
        )
        .await;
    bad_device.failed(400);
    assert_eq!(app.sms.count(), 0);
}

async fn updatepushtoken_stores_the_token_for_the_employee_only(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иванов").await;
    let other = app.login(&p.inn, "+79990001122", "Петров").await;

    let body =
        json!({"inn": p.inn, "staffId": e.id, "pushtoken": "fcm-token-1", "device": "apple"});
    let answer = app.post("updatepushtoken", Some(&e.token), body).await;
    assert_eq!(answer.ok()["message"], "Push token успешно обновлен.");
    let staff = app
        .post("getstaff", Some(&p.token), json!({"inn": p.inn}))
        .await
        .ok()
        .clone();
    let me = staff
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["staffId"] == e.id.as_str())
        .unwrap();
    assert_eq!(me["pushregistered"], true);
    assert_eq!(me["device"], "apple");

    // No provider issues a token with a NUL or a space; PostgreSQL could not even store a NUL
    // (it was a 500 there). Refused, and the token stored before is kept.
    for wrong in ["fcm\u{0}token", "two words", "токен"] {
        let body = json!({"inn": p.inn, "pushtoken": wrong, "device": "android"});
        let refused = app.post("updatepushtoken", Some(&e.token), body).await;
        assert!(refused.failed(400).contains("push-токен"), "{refused:?}");
    }
    let long = json!({"inn": p.inn, "pushtoken": "x".repeat(4097)});
    let refused = app.post("updatepushtoken", Some(&e.token), long).await;
    assert_eq!(refused.failed(400), "Слишком длинный push-токен");
    let kept = app.count(&format!("SELECT COUNT(*) FROM staff WHERE id = {} AND push_token = 'fcm-token-1' AND device = 'apple'", e.id)).await;
    assert_eq!(kept, 1, "the token stored before is kept");

    let foreign = json!({"inn": p.inn, "staffId": other.id, "pushtoken": "x", "device": "android"});
    app.post("updatepushtoken", Some(&e.token), foreign)
        .await
        .failed(403);
    app.post("updatepushtoken", None, json!({"pushtoken": "x"}))
        .await
        .failed(401);
    app.post(
        "updatepushtoken",
        Some("nonsense"),
        json!({"pushtoken": "x"}),
    )
    .await
    .failed(401);
}

async fn an_sms_gateway_failure_is_a_clear_502(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    app.sms
        .fail
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let msg = app.auth(&p.inn, PHONE, "Иванов").await.failed(502);
    assert!(msg.contains("SMS"), "{msg}");
}

async fn employees_wait_for_approval_when_the_partner_asks_for_it(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    app.state
        .store
        .set_registration(p.id, simo_backend::domain::Registration::Approval)
        .await
        .unwrap();
    let e = app.login(&p.inn, PHONE, "Иванов").await;
    let msg = app.create_message(&p, &e.id, "Т", "т").await.failed(409);
    assert!(msg.contains("подтверждения"), "{msg}");
    let staff = app
        .post("getstaff", Some(&p.token), json!({}))
        .await
        .ok()
        .clone();
    assert_eq!(staff[0]["statusnotification"], "pending");
}

/// The app's profile is the login's until it asks again: `getprofile` gives the name, phone
/// and state the company set since, to the employee's own token only.
async fn getprofile_tells_the_app_what_the_company_changed_since_the_login(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иванов И.").await;
    let profile = |token: Option<String>| {
        let app = &app;
        async move {
            app.post("getprofile", token.as_deref(), json!({"inn": INN_A}))
                .await
        }
    };
    let before = profile(Some(e.token.clone())).await;
    let data = before.ok();
    assert_eq!(data["staffname"], "Иванов И.");
    assert_eq!(data["staffid"], e.id.as_str());
    assert_eq!(data["phone"], PHONE);
    assert_eq!(data["state"], "active");
    assert_eq!(
        (&data["inn"], &data["firstname"]),
        (&json!(INN_A), &json!("ООО Весна"))
    );
    assert!(data.get("apitoken").is_none(), "{data}");

    app.post(
        "updatestaff",
        Some(&p.token),
        json!({"inn": p.inn, "staffid": e.id, "name": "Иванов Иван Иванович",
               "phone": "+79233381699", "statusnotification": "disabled"}),
    )
    .await
    .ok();
    let after = profile(Some(e.token.clone())).await;
    let data = after.ok();
    assert_eq!(data["staffname"], "Иванов Иван Иванович");
    assert_eq!(data["phone"], "+79233381699");
    assert_eq!(data["state"], "disabled");

    assert!(
        profile(Some(p.token.clone()))
            .await
            .failed(403)
            .contains("сотрудника")
    );
    profile(None).await.failed(401);
    let other_inn = app
        .post("getprofile", Some(&e.token), json!({"inn": INN_B}))
        .await;
    other_inn.failed(403);
}
