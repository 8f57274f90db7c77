//! A company's API keys: besides the main key, one for each of its systems, with full access,
//! sending only or reading only, each rotated or revoked alone, named in the journal; never
//! another company's.

use crate::cabinet::{Browser, shown_token};
use crate::helpers::*;
use serde_json::json;
use simo_backend::service::api_keys::KeyInput;

both_databases!(
    a_company_keeps_a_key_for_each_system_and_a_read_only_key_changes_nothing,
    keys_are_rotated_and_revoked_one_by_one_and_never_another_company_s,
    a_key_limited_to_addresses_is_refused_from_anywhere_else,
    a_key_works_through_its_last_day_and_is_refused_after_it,
    the_dashboard_warns_of_a_key_about_to_end_and_names_one_that_ended,
    a_rotated_keys_old_token_is_ended_before_its_grace_period_is_over,
    a_key_for_sending_only_sends_and_changes_no_employee_nor_group,
    a_keys_access_is_changed_without_a_new_token,
);

const SETTINGS: &str = "/cabinet/settings";

/// What `getstaff` of the first company answers `token` (the HTTP status).
async fn getstaff_status(app: &TestApp, token: String) -> u16 {
    app.post("getstaff", Some(&token), json!({"inn": INN_A}))
        .await
        .status
}

/// Adds a key from the settings page; its token, shown once.
pub(crate) async fn add_key(b: &Browser, name: &str, access: &str) -> String {
    add_key_from(b, name, access, "").await
}

/// Adds a key accepted from `addresses` only ('' for any); its token.
async fn add_key_from(b: &Browser, name: &str, access: &str, addresses: &str) -> String {
    let csrf = b.get(SETTINGS).await.csrf();
    let form = [
        ("csrf", csrf.as_str()),
        ("name", name),
        ("access", access),
        ("addresses", addresses),
    ];
    let added = b.post("/cabinet/settings/keys", &form).await;
    assert_eq!(
        added.location.as_deref(),
        Some("/cabinet/settings?done=key_added#token"),
        "{}",
        added.body
    );
    let page = b.get(SETTINGS).await;
    let token = shown_token(&page.body).expect("the new key's token, once");
    assert!(!b.get(SETTINGS).await.body.contains(&token), "shown once");
    token
}

/// The id of the company's live key `name`.
async fn key_id(app: &TestApp, name: &str) -> i64 {
    app.count(&format!(
        "SELECT id FROM partner_tokens WHERE name = '{name}' AND expires_at IS NULL"
    ))
    .await
}

async fn a_company_keeps_a_key_for_each_system_and_a_read_only_key_changes_nothing(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иван Иванов").await;
    let b = Browser::new(&app);
    b.partner(&p.inn).await;
    let hr = add_key(&b, "1С:ЗУП", "full").await;
    let reports = add_key(&b, "Отчёты", "read").await;
    assert!(hr.starts_with("simo_p_") && reports.starts_with("simo_p_"));
    // Showing a new token once is not a use of the key.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let used = "SELECT COUNT(*) FROM partner_tokens WHERE last_used_at IS NOT NULL";
    assert_eq!(app.count(used).await, 0);
    assert!(b.get(SETTINGS).await.body.contains("ещё не использовался"));

    // A name is required, and unique among the live keys whatever its case.
    let csrf = b.get(SETTINGS).await.csrf();
    for name in ["1с:зуп", "   "] {
        let refused = b
            .post(
                "/cabinet/settings/keys",
                &[("csrf", &csrf), ("name", name), ("access", "full")],
            )
            .await;
        assert_eq!(refused.status, 400, "{name:?}: {}", refused.body);
    }
    let keys = "SELECT COUNT(*) FROM partner_tokens";
    assert_eq!(app.count(keys).await, 3);

    // Reading only: every reading method answers, every method that changes data is a 403 in
    // the envelope, and nothing changes.
    let staff = json!({"inn": p.inn, "staffid": e.id});
    for (method, body) in [
        ("getstaff", json!({"inn": p.inn})),
        ("getmessage", staff.clone()),
        ("getgroups", json!({"inn": p.inn})),
        ("getschedule", json!({"inn": p.inn})),
    ] {
        app.post(method, Some(&reports), body).await.ok();
    }
    let message = json!({"inn": p.inn, "staffid": e.id, "title": "Т", "message": "Текст"});
    for (method, body) in [
        ("createmessage", message.clone()),
        (
            "createmessagebulk",
            json!({"inn": p.inn, "staffids": [e.id], "title": "Т", "message": "Т"}),
        ),
        ("savegroup", json!({"inn": p.inn, "name": "Склад"})),
        (
            "addstaff",
            json!({"inn": p.inn, "staff": [{"phone": "+79990000001", "name": "Пётр"}]}),
        ),
        (
            "updatestaff",
            json!({"inn": p.inn, "staffid": e.id, "name": "Пётр"}),
        ),
        ("deletestaff", staff.clone()),
        (
            "updatepushtoken",
            json!({"inn": p.inn, "staffid": e.id, "pushtoken": "t"}),
        ),
    ] {
        let refused = app.post(method, Some(&reports), body).await;
        let error = refused.failed(403);
        assert!(error.contains("только для чтения"), "{method}: {error}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM messages").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM staff").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM staff_groups").await, 0);

    // Full access: the system's key sends and is named in the journal; the main key still works.
    app.post("createmessage", Some(&hr), message.clone())
        .await
        .ok();
    app.post("createmessage", Some(&p.token), message)
        .await
        .ok();
    app.post(
        "savegroup",
        Some(&hr),
        json!({"inn": p.inn, "name": "Склад"}),
    )
    .await
    .ok();
    let named = "SELECT COUNT(*) FROM audit_events
                 WHERE actor = 'api:1С:ЗУП' AND action = 'group_saved'";
    assert_eq!(app.count(named).await, 1);
    let journal = b.get("/cabinet/journal?who=api").await.body;
    assert!(journal.contains("АСУ (API), ключ «1С:ЗУП»"), "{journal}");
    let by_key = b
        .get("/cabinet/journal?who=api%3A1%D0%A1%3A%D0%97%D0%A3%D0%9F")
        .await
        .body;
    let chosen = "<option value=\"api:1С:ЗУП\" selected>АСУ (API), ключ «1С:ЗУП»";
    assert!(by_key.contains(chosen), "{by_key}");
    assert!(by_key.contains("Группа сохранена"), "{by_key}");
    // That key's entries alone: the keys' additions were the owner's.
    assert!(!by_key.contains("Добавлен ключ API"), "{by_key}");
    let all = b.get("/cabinet/journal").await.body;
    assert!(all.contains("Добавлен ключ API"), "{all}");

    // The list: each key with its access and its last call (written off the call's path).
    let mut used = 0;
    for _ in 0..50 {
        used = app
            .count("SELECT COUNT(*) FROM partner_tokens WHERE last_used_at IS NOT NULL")
            .await;
        if used == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(used, 3, "each key's last call");
    let page = b.get(SETTINGS).await.body;
    for words in [
        "data-key=\"1С:ЗУП\"",
        "data-key=\"Отчёты\"",
        "только чтение",
        &hr[..14],
        &reports[..14],
    ] {
        assert!(page.contains(words), "{words}: {page}");
    }
    assert!(
        !page.contains(&hr) && !page.contains(&reports),
        "never a whole token"
    );
    assert!(!page.contains("ещё не использовался"), "{page}");
    let journal_en = b.get("/cabinet/journal?lang=en").await.body;
    assert!(
        journal_en.contains("Integration (API), key «1С:ЗУП»"),
        "{journal_en}"
    );
    let added_en = "key “Отчёты”, read only";
    assert!(journal_en.contains(added_en), "{journal_en}");
}

async fn keys_are_rotated_and_revoked_one_by_one_and_never_another_company_s(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let b = Browser::new(&app);
    b.partner(&p.inn).await;
    let hr = add_key(&b, "1С:ЗУП", "full").await;
    let reports = add_key(&b, "Отчёты", "read").await;
    let works = |token: String| getstaff_status(&app, token);

    // A rotation of one key with a grace period: its old and new tokens work, the rest as before.
    let id = key_id(&app, "1С:ЗУП").await;
    let csrf = b.get(SETTINGS).await.csrf();
    let id_text = id.to_string();
    let rotated = b
        .post(
            "/cabinet/settings/token",
            &[("csrf", &csrf), ("grace_secs", "3600"), ("key", &id_text)],
        )
        .await;
    assert_eq!(rotated.status, 303, "{}", rotated.body);
    let hr2 = shown_token(&b.get(SETTINGS).await.body).expect("the rotated key's token");
    for token in [&hr, &hr2, &reports, &p.token] {
        assert_eq!(works(token.clone()).await, 200);
    }
    // Its new token keeps the key's name and access.
    let kept = "SELECT COUNT(*) FROM partner_tokens WHERE name = '1С:ЗУП' AND read_only = FALSE";
    assert_eq!(app.count(kept).await, 2);
    let detail = "SELECT COUNT(*) FROM audit_events WHERE action = 'token_rotated_grace'
                  AND detail LIKE '%; ключ «1С:ЗУП»'";
    assert_eq!(app.count(detail).await, 1);

    // Another company can neither revoke nor rotate this company's keys.
    let other = app.create_partner(INN_B).await;
    let ob = Browser::new(&app);
    ob.partner(&other.inn).await;
    let ocsrf = ob.get(SETTINGS).await.csrf();
    let reports_id = key_id(&app, "Отчёты").await;
    let theirs = ob
        .post(
            &format!("/cabinet/settings/keys/{reports_id}/revoke"),
            &[("csrf", &ocsrf)],
        )
        .await;
    assert_eq!(theirs.status, 404, "{}", theirs.body);
    let theirs = ob
        .post(
            "/cabinet/settings/token",
            &[
                ("csrf", &ocsrf),
                ("grace_secs", "0"),
                ("key", &reports_id.to_string()),
            ],
        )
        .await;
    assert_eq!(theirs.status, 404, "{}", theirs.body);
    assert_eq!(works(reports.clone()).await, 200);
    assert!(!ob.get(SETTINGS).await.body.contains("Отчёты"));

    // Revoked: refused from the next call; the other keys go on.
    let revoked = b
        .post(
            &format!("/cabinet/settings/keys/{reports_id}/revoke"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(
        revoked.location.as_deref(),
        Some("/cabinet/settings?done=key_revoked#token")
    );
    assert_eq!(works(reports.clone()).await, 401);
    assert_eq!(works(hr2.clone()).await, 200);
    let again = b
        .post(
            &format!("/cabinet/settings/keys/{reports_id}/revoke"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(again.status, 404, "a revoked key is not live");

    // The main key, revoked too: the systems' keys still work; issued again, it works.
    let main_id = app
        .count(&format!(
            "SELECT id FROM partner_tokens WHERE partner_id = {} AND name = '' AND expires_at IS NULL",
            p.id
        ))
        .await;
    let page = b.get(SETTINGS).await.body;
    assert!(page.contains(&format!("/cabinet/settings/keys/{main_id}/revoke")));
    b.post(
        &format!("/cabinet/settings/keys/{main_id}/revoke"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(works(p.token.clone()).await, 401);
    assert_eq!(works(hr2.clone()).await, 200);
    assert!(
        b.get(SETTINGS)
            .await
            .body
            .contains("id=\"main-key-revoked\"")
    );
    b.post(
        "/cabinet/settings/token",
        &[("csrf", &csrf), ("grace_secs", "0")],
    )
    .await;
    let main = shown_token(&b.get(SETTINGS).await.body).expect("the main key again");
    assert_eq!(works(main).await, 200);
    assert_eq!(
        works(hr2.clone()).await,
        200,
        "the main key's rotation left it"
    );
    for (action, detail) in [
        ("api_key_added", "ключ «Отчёты», только чтение"),
        ("api_key_added", "ключ «1С:ЗУП»"),
        ("api_key_revoked", "ключ «Отчёты»"),
        ("api_key_revoked", "основной ключ"),
    ] {
        let sql = format!(
            "SELECT COUNT(*) FROM audit_events WHERE partner_id = {} AND action = '{action}'
               AND detail = '{detail}'",
            p.id
        );
        assert_eq!(app.count(&sql).await, 1, "{action} {detail}");
    }

    // No more than twenty live keys.
    for i in 0..20 {
        let name = format!("k{i}");
        let input = KeyInput {
            name: &name,
            access: simo_backend::store::KeyAccess::Read,
            addresses: "",
            valid_until: None,
        };
        let added = simo_backend::service::api_keys::add(&app.state.store, p.id, &input).await;
        let live = app
            .count(&format!(
                "SELECT COUNT(*) FROM partner_tokens WHERE partner_id = {} AND
                   (expires_at IS NULL OR expires_at > {})",
                p.id,
                simo_backend::domain::now_millis()
            ))
            .await;
        assert!(live <= 20, "{live}");
        // Three live already: the main key, and the rotated key's old and new tokens.
        assert_eq!(added.is_err(), i >= 17, "{i}: {live} live");
    }

    // Revoking a key ends all its tokens: the old one in its grace period too.
    let id = key_id(&app, "1С:ЗУП").await;
    let revoked = b
        .post(
            &format!("/cabinet/settings/keys/{id}/revoke"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(revoked.status, 303, "{}", revoked.body);
    for token in [hr, hr2] {
        assert_eq!(works(token).await, 401);
    }
}

/// Posts the key `id`'s form `action` with its one field from `b`'s settings page; the answer.
async fn key_form(
    b: &Browser,
    id: i64,
    action: &str,
    field: &str,
    value: &str,
) -> crate::cabinet::Page {
    let csrf = b.get(SETTINGS).await.csrf();
    b.post(
        &format!("/cabinet/settings/keys/{id}/{action}"),
        &[("csrf", csrf.as_str()), (field, value)],
    )
    .await
}

/// Sets the addresses of the key `id` from its form; the answer.
async fn set_addresses(b: &Browser, id: i64, addresses: &str) -> crate::cabinet::Page {
    key_form(b, id, "addresses", "addresses", addresses).await
}

/// Sets the last day of the key `id` from its form ('' for none); the answer.
async fn set_end(b: &Browser, id: i64, until: &str) -> crate::cabinet::Page {
    key_form(b, id, "end", "until", until).await
}

async fn a_key_limited_to_addresses_is_refused_from_anywhere_else(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иван Иванов").await;
    let b = Browser::new(&app);
    b.partner(&p.inn).await;
    // The tests call from 127.0.0.1.
    let hr = add_key_from(&b, "1С:ЗУП", "full", "192.0.2.0/24").await;
    let call = |method: &'static str, token: String| {
        let app = &app;
        let body = json!({"inn": INN_A, "staffid": e.id, "title": "Т", "message": "Текст"});
        async move { app.post(method, Some(&token), body).await }
    };
    for method in ["getstaff", "createmessage"] {
        let refused = call(method, hr.clone()).await.failed(403);
        assert!(
            refused.contains("только с адресов") && refused.contains("127.0.0.1"),
            "{method}: {refused}"
        );
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM messages").await, 0);
    // The company learns of it: once an hour a key, whatever the caller repeats.
    let refused = |key: &str| {
        format!(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'api_key_refused'
               AND detail = '{key}; с адреса 127.0.0.1'"
        )
    };
    assert_eq!(app.count(&refused("ключ «1С:ЗУП»")).await, 1);
    let journal = b.get("/cabinet/journal").await.body;
    assert!(
        journal.contains("Отказ: ключ API вызван с чужого адреса"),
        "{journal}"
    );
    let id = key_id(&app, "1С:ЗУП").await;
    let page = b.get(SETTINGS).await.body;
    assert!(page.contains("Адреса: 192.0.2.0/24"), "{page}");

    // Its own address added: accepted. A wrong one: refused, the addresses kept.
    let saved = set_addresses(&b, id, "192.0.2.0/24 127.0.0.1").await;
    assert_eq!(
        saved.location.as_deref(),
        Some("/cabinet/settings?done=key_addresses#token")
    );
    call("createmessage", hr.clone()).await.ok();
    let wrong = set_addresses(&b, id, "127.0.0.1, 1С-сервер").await;
    assert_eq!(wrong.status, 400, "{}", wrong.body);
    assert!(wrong.body.contains("не IP-адрес"), "{}", wrong.body);
    let stored = "SELECT COUNT(*) FROM partner_tokens
                  WHERE name = '1С:ЗУП' AND allowed_ips = '192.0.2.0/24, 127.0.0.1'";
    assert_eq!(app.count(stored).await, 1);

    // A rotation keeps them; a change applies to the old token in its grace period too.
    let csrf = b.get(SETTINGS).await.csrf();
    let id_text = id.to_string();
    b.post(
        "/cabinet/settings/token",
        &[("csrf", &csrf), ("grace_secs", "3600"), ("key", &id_text)],
    )
    .await;
    let hr2 = shown_token(&b.get(SETTINGS).await.body).expect("the rotated token");
    assert_eq!(app.count(stored).await, 2, "the new token keeps them");
    call("getstaff", hr2.clone()).await.ok();
    let new_id = key_id(&app, "1С:ЗУП").await;
    set_addresses(&b, new_id, "192.0.2.1").await;
    call("getstaff", hr2.clone()).await.failed(403);
    call("getstaff", hr.clone()).await.failed(403);

    // The main key too; emptied, any address again.
    let main_id = app
        .count(&format!(
            "SELECT id FROM partner_tokens WHERE partner_id = {} AND name = '' AND expires_at IS NULL",
            p.id
        ))
        .await;
    set_addresses(&b, main_id, "10.0.0.0/8").await;
    call("getstaff", p.token.clone()).await.failed(403);
    assert_eq!(
        app.count(&refused("ключ «1С:ЗУП»")).await,
        1,
        "its new token too"
    );
    assert_eq!(app.count(&refused("основной ключ")).await, 1);
    assert!(b.get(SETTINGS).await.body.contains("Адреса: 10.0.0.0/8"));
    set_addresses(&b, main_id, "").await;
    call("getstaff", p.token.clone()).await.ok();
    for detail in [
        "ключ «1С:ЗУП»; адреса: 192.0.2.0/24, 127.0.0.1",
        "ключ «1С:ЗУП»; адреса: 192.0.2.1",
        "основной ключ; адреса: 10.0.0.0/8",
        "основной ключ; адреса: любые",
    ] {
        let sql = format!(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'api_key_addresses'
               AND detail = '{detail}'"
        );
        assert_eq!(app.count(&sql).await, 1, "{detail}");
    }
    let added = "SELECT COUNT(*) FROM audit_events WHERE action = 'api_key_added'
                 AND detail = 'ключ «1С:ЗУП»; адреса: 192.0.2.0/24'";
    assert_eq!(app.count(added).await, 1);
}

/// Behind a trusted proxy the key's addresses are checked against the caller's, not the proxy's.
#[tokio::test]
async fn behind_a_trusted_proxy_a_key_takes_the_forwarded_address() {
    let app = spawn_app_with(Db::Sqlite, |s| s.trust_forwarded_for = true)
        .await
        .unwrap();
    let p = app.create_partner(INN_A).await;
    let b = Browser::new(&app);
    b.partner(&p.inn).await;
    let hr = add_key_from(&b, "1С:ЗУП", "full", "192.0.2.0/24").await;
    let from = |forwarded: &'static str| {
        let app = &app;
        let hr = hr.clone();
        async move {
            app.client
                .post(format!("{}/api/v1/getstaff", app.base))
                .header("authorization", hr)
                .header("x-forwarded-for", forwarded)
                .json(&json!({"inn": INN_A}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(from("192.0.2.7, 10.1.1.1").await, 200);
    assert_eq!(from("203.0.113.9").await, 403);
    assert_eq!(from("not an address").await, 403);
}

/// The local date (the server's zone) `days` from now, as a date field holds it.
fn day(app: &TestApp, days: i64) -> String {
    let at = simo_backend::domain::now_millis() + days * 86_400_000;
    app.state.time.format(at)[..10].to_owned()
}

async fn a_key_works_through_its_last_day_and_is_refused_after_it(app: TestApp) {
    use simo_backend::domain::TokenHash;
    use simo_backend::store::KeyUse;
    let p = app.create_partner(INN_A).await;
    let b = Browser::new(&app);
    b.partner(&p.inn).await;
    let works = |token: String| getstaff_status(&app, token);
    // Added with a last day: it works, and the list says until when.
    let csrf = b.get(SETTINGS).await.csrf();
    let add = |name: &'static str, until: String| {
        let (b, csrf) = (&b, csrf.clone());
        async move {
            let form = [
                ("csrf", csrf.as_str()),
                ("name", name),
                ("access", "full"),
                ("until", until.as_str()),
            ];
            b.post("/cabinet/settings/keys", &form).await
        }
    };
    let month = day(&app, 30);
    let added = add("Подрядчик", month.clone()).await;
    assert_eq!(added.status, 303, "{}", added.body);
    let contractor = shown_token(&b.get(SETTINGS).await.body).expect("the key's token");
    assert_eq!(works(contractor.clone()).await, 200);
    let page = b.get(SETTINGS).await.body;
    assert!(page.contains(&format!("работает по {month}")), "{page}");
    assert!(!page.contains("скоро перестанет работать"));
    // A day gone by, or not a day, is refused, and no key is added.
    let yesterday = day(&app, -1);
    for (until, says) in [
        (yesterday.as_str(), "уже прошёл"),
        ("31.12.2099", "последний день его работы"),
    ] {
        let refused = add("Пробный", until.to_owned()).await;
        assert_eq!(refused.status, 400, "{until}: {}", refused.body);
        assert!(refused.body.contains(says), "{until}: {}", refused.body);
    }
    let trial = "SELECT COUNT(*) FROM partner_tokens WHERE name = 'Пробный'";
    assert_eq!(app.count(trial).await, 0);

    // No end, then an end in three days, which the list marks; each journaled.
    let id = key_id(&app, "Подрядчик").await;
    let open = set_end(&b, id, "").await;
    assert_eq!(
        open.location.as_deref(),
        Some("/cabinet/settings?done=key_end#token")
    );
    let no_end =
        "SELECT COUNT(*) FROM partner_tokens WHERE name = 'Подрядчик' AND valid_until IS NULL";
    assert_eq!(app.count(no_end).await, 1);
    assert!(!b.get(SETTINGS).await.body.contains("class=\"key-ends\""));
    let soon = day(&app, 3);
    assert_eq!(set_end(&b, id, &soon).await.status, 303);
    let page = b.get(SETTINGS).await.body;
    assert!(page.contains(&format!("работает по {soon}")), "{page}");
    assert!(page.contains("скоро перестанет работать"), "{page}");
    let refused = set_end(&b, id, &yesterday).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    // Another company cannot set it.
    let other = app.create_partner(INN_B).await;
    let ob = Browser::new(&app);
    ob.partner(&other.inn).await;
    assert_eq!(set_end(&ob, id, "").await.status, 404);

    // A rotation keeps the end, on the new token and on the old one in its grace period.
    let csrf = b.get(SETTINGS).await.csrf();
    let rotated = b
        .post(
            "/cabinet/settings/token",
            &[
                ("csrf", csrf.as_str()),
                ("grace_secs", "3600"),
                ("key", &id.to_string()),
            ],
        )
        .await;
    assert_eq!(rotated.status, 303, "{}", rotated.body);
    let renewed = shown_token(&b.get(SETTINGS).await.body).expect("the rotated token");
    let end = app
        .count("SELECT MAX(valid_until) FROM partner_tokens WHERE name = 'Подрядчик'")
        .await;
    let kept = format!(
        "SELECT COUNT(*) FROM partner_tokens WHERE name = 'Подрядчик' AND valid_until = {end}"
    );
    assert_eq!(app.count(&kept).await, 2);
    assert_eq!(
        end,
        app.state.time.parse_until(&soon).unwrap() + 1,
        "the end of that day in the server's zone"
    );

    // The auth (its cache too, just filled by these calls) takes neither token from that
    // moment, while the company's other keys go on.
    // The old token's grace period ends first: it is taken within it.
    let in_grace = simo_backend::domain::now_millis() + 60_000;
    for (token, before) in [(&contractor, in_grace), (&renewed, end - 1)] {
        assert_eq!(works(token.clone()).await, 200);
        let hash = TokenHash::of(token);
        let store = &app.state.store;
        let taken = store.partner_by_token(&hash, before, KeyUse::Check).await;
        assert!(taken.unwrap().is_some());
        let after = store.partner_by_token(&hash, end, KeyUse::Check).await;
        assert!(after.unwrap().is_none());
    }
    let listed = app.state.store.api_keys(p.id, end).await.unwrap();
    assert!(listed.iter().all(|k| k.name != "Подрядчик"), "{listed:?}");
    // Over HTTP: the end moved to a moment gone, the next call is refused.
    let gone = simo_backend::domain::now_millis() - 1;
    app.state
        .store
        .set_key_valid_until(p.id, "Подрядчик", Some(gone), gone)
        .await
        .unwrap();
    for token in [&contractor, &renewed] {
        assert_eq!(works(token.clone()).await, 401);
    }
    assert_eq!(works(p.token.clone()).await, 200);
    assert!(!b.get(SETTINGS).await.body.contains("Подрядчик"));

    let journal = b.get("/cabinet/journal").await.body;
    for words in [
        format!("ключ «Подрядчик»; работает по {month}"),
        "ключ «Подрядчик»; без срока окончания".to_owned(),
        format!("ключ «Подрядчик»; работает по {soon}"),
    ] {
        assert!(journal.contains(&words), "{words}: {journal}");
    }
    let english = b.get("/cabinet/journal?lang=en").await.body;
    assert!(
        english.contains(&format!("works through {soon}")),
        "{english}"
    );
    assert!(english.contains("with no end date"), "{english}");
}

/// The dashboard's notes on keys: (id, words) of each, in order.
async fn key_notes(b: &Browser, path: &str) -> Vec<(String, String)> {
    let page = b.get(path).await;
    assert_eq!(page.status, 200);
    page.body
        .split("key-ending\" ")
        .skip(1)
        .map(|rest| {
            let id = rest.split('"').nth(3).unwrap().to_owned();
            let words = rest.split_once('>').unwrap().1;
            let words = words.split(" <a ").next().unwrap().to_owned();
            (id, words)
        })
        .collect()
}

/// Sets the key `name`'s last moment `ago` milliseconds back, as if its last day had passed.
async fn ended(app: &TestApp, name: &str, ago: i64) -> String {
    let until = simo_backend::domain::now_millis() - ago;
    app.state
        .store
        .execute_script(&format!(
            "UPDATE partner_tokens SET valid_until = {until} WHERE name = '{name}'"
        ))
        .await
        .unwrap();
    app.state.time.format(until - 1)[..10].to_owned()
}

async fn the_dashboard_warns_of_a_key_about_to_end_and_names_one_that_ended(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let b = Browser::new(&app);
    b.partner(&p.inn).await;
    assert!(key_notes(&b, "/cabinet").await.is_empty(), "no key ends");
    for name in ["Подрядчик", "Пробный", "Далёкий", "Старый"] {
        add_key(&b, name, "full").await;
    }
    let soon = day(&app, 3);
    let id = key_id(&app, "Подрядчик").await;
    assert_eq!(set_end(&b, id, &soon).await.status, 303);
    let id = key_id(&app, "Далёкий").await;
    assert_eq!(set_end(&b, id, &day(&app, 30)).await.status, 303);
    let trial_day = ended(&app, "Пробный", 2 * 86_400_000).await;
    ended(&app, "Старый", 8 * 86_400_000).await;

    // The one within its last 14 days and the one that stopped two days ago; not the one a
    // month away, nor the one that stopped over a week ago.
    let notes = key_notes(&b, "/cabinet").await;
    assert_eq!(
        notes,
        [
            (
                "key-ended-1".to_owned(),
                format!(
                    "Ключ API «Пробный» перестал работать после {trial_day}: вызовы с ним \
                     отклоняются (401). Выпустите системе новый ключ."
                )
            ),
            (
                "key-ends-2".to_owned(),
                format!(
                    "Ключ API «Подрядчик» работает по {soon}: после этого дня вызовы с ним \
                     будут отклонены. Продлите срок или выпустите системе новый ключ."
                )
            ),
        ],
        "soonest first"
    );
    let english = key_notes(&b, "/cabinet?lang=en").await;
    assert!(
        english[0]
            .1
            .starts_with("The API key «Пробный» stopped working after"),
        "{english:?}"
    );
    b.get("/cabinet?lang=ru").await;
    // Another company's dashboard says nothing of them.
    let other = app.create_partner(INN_B).await;
    let ob = Browser::new(&app);
    ob.partner(&other.inn).await;
    assert!(key_notes(&ob, "/cabinet").await.is_empty());

    // A new key under the stopped one's name deals with it; a revoked key is not "ending".
    add_key(&b, "Пробный", "full").await;
    let csrf = b.get(SETTINGS).await.csrf();
    let id = key_id(&app, "Подрядчик").await;
    let revoked = b
        .post(
            &format!("/cabinet/settings/keys/{id}/revoke"),
            &[("csrf", csrf.as_str())],
        )
        .await;
    assert_eq!(revoked.status, 303, "{}", revoked.body);
    assert!(key_notes(&b, "/cabinet").await.is_empty());
}

/// Rotates the key `id` (`None`: the main key) with an hour's grace; the new token.
async fn rotate(b: &Browser, id: Option<i64>) -> String {
    let csrf = b.get(SETTINGS).await.csrf();
    let id = id.map(|id| id.to_string());
    let mut form = vec![("csrf", csrf.as_str()), ("grace_secs", "3600")];
    if let Some(id) = &id {
        form.push(("key", id));
    }
    let rotated = b.post("/cabinet/settings/token", &form).await;
    assert_eq!(rotated.status, 303, "{}", rotated.body);
    shown_token(&b.get(SETTINGS).await.body).expect("the new token, once")
}

/// The id of the company's old token of key `name` in its grace period.
async fn old_token_id(app: &TestApp, partner_id: i64, name: &str) -> i64 {
    app.count(&format!(
        "SELECT id FROM partner_tokens WHERE partner_id = {partner_id} AND name = '{name}'
           AND expires_at IS NOT NULL"
    ))
    .await
}

async fn end_old(b: &Browser, id: i64) -> crate::cabinet::Page {
    let csrf = b.get(SETTINGS).await.csrf();
    b.post(
        &format!("/cabinet/settings/keys/{id}/end-old"),
        &[("csrf", csrf.as_str())],
    )
    .await
}

async fn a_rotated_keys_old_token_is_ended_before_its_grace_period_is_over(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let b = Browser::new(&app);
    b.partner(&p.inn).await;
    let works = |token: String| getstaff_status(&app, token);

    // The main key, rotated with an hour's grace: both tokens work, the page offers to end
    // the old one.
    let new = rotate(&b, None).await;
    assert_eq!(works(p.token.clone()).await, 200);
    assert_eq!(works(new.clone()).await, 200);
    let old = old_token_id(&app, p.id, "").await;
    let page = b.get(SETTINGS).await.body;
    assert!(
        page.contains(&format!("class=\"stack end-old\" data-token=\"{old}\""))
            && page.contains("Прежний токен основного ключа"),
        "{page}"
    );
    // Not another company's, not a live token.
    let other = app.create_partner(INN_B).await;
    let ob = Browser::new(&app);
    ob.partner(&other.inn).await;
    assert_eq!(end_old(&ob, old).await.status, 404);
    let live = app
        .count(&format!(
            "SELECT id FROM partner_tokens WHERE partner_id = {} AND name = '' AND expires_at IS NULL",
            p.id
        ))
        .await;
    assert_eq!(end_old(&b, live).await.status, 404);
    assert_eq!(
        works(p.token.clone()).await,
        200,
        "still in its grace period"
    );
    assert_eq!(works(new.clone()).await, 200);

    // Ended: refused from the next call (the auth cache forgets it), the new one works.
    let ended = end_old(&b, old).await;
    assert_eq!(
        ended.location.as_deref(),
        Some("/cabinet/settings?done=key_old_ended#token"),
        "{}",
        ended.body
    );
    assert_eq!(works(p.token.clone()).await, 401);
    assert_eq!(works(new.clone()).await, 200);
    assert!(!b.get(SETTINGS).await.body.contains("end-old"));
    assert_eq!(end_old(&b, old).await.status, 404, "once");

    // A named key's, from its row on the list.
    let hr = add_key(&b, "1С", "full").await;
    let hr_new = rotate(&b, Some(key_id(&app, "1С").await)).await;
    let hr_old = old_token_id(&app, p.id, "1С").await;
    assert!(
        b.get(SETTINGS)
            .await
            .body
            .contains(&format!("data-token=\"{hr_old}\""))
    );
    assert_eq!(works(hr.clone()).await, 200);
    assert_eq!(end_old(&b, hr_old).await.status, 303);
    assert_eq!(works(hr).await, 401);
    assert_eq!(works(hr_new).await, 200);

    // Journaled, naming the key.
    let journal = b.get("/cabinet/journal").await.body;
    let ended: Vec<&str> = journal
        .split("Прежний токен ключа API отключён до конца переходного периода")
        .skip(1)
        .map(|rest| rest.split("</tr>").next().unwrap())
        .collect();
    assert_eq!(ended.len(), 2, "{journal}");
    assert!(ended[0].contains("ключ «1С»"), "newest first: {}", ended[0]);
    assert!(ended[1].contains("основной ключ"), "{}", ended[1]);
}

async fn a_key_for_sending_only_sends_and_changes_no_employee_nor_group(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иван Иванов").await;
    let group = app
        .post(
            "savegroup",
            Some(&p.token),
            json!({"inn": p.inn, "name": "Склад", "staffids": [e.id]}),
        )
        .await
        .ok()["groupid"]
        .clone();
    let b = Browser::new(&app);
    b.partner(&p.inn).await;
    let erp = add_key(&b, "ERP", "send").await;

    // The sending methods and the reading ones answer, and the ERP is named for what it did.
    let message = json!({"inn": p.inn, "staffid": e.id, "title": "Т", "message": "Текст"});
    let sent = app.post("createmessage", Some(&erp), message).await;
    let id = sent.ok()["messageid"].clone();
    let bulk = json!({"inn": p.inn, "groupid": group, "title": "Т", "message": "Т"});
    app.post("createmessagebulk", Some(&erp), bulk).await.ok();
    let scheduled = json!({"inn": p.inn, "all": true, "title": "Позже", "message": "-",
                           "senddate": crate::schedule::in_ms(3_600_000)});
    let sid = app
        .post("schedulemessage", Some(&erp), scheduled)
        .await
        .ok()["scheduleid"]
        .clone();
    for (method, body) in [
        (
            "changeschedule",
            json!({"inn": p.inn, "scheduleid": sid, "title": "Позже!"}),
        ),
        ("cancelschedule", json!({"inn": p.inn, "scheduleid": sid})),
        ("resendmessage", json!({"inn": p.inn, "messageid": id})),
        ("remindmessage", json!({"inn": p.inn, "messageid": id})),
        ("recallmessage", json!({"inn": p.inn, "messageid": id})),
        ("getstaff", json!({"inn": p.inn})),
        ("getmessage", json!({"inn": p.inn, "staffid": e.id})),
        (
            "getmessagestatus",
            json!({"inn": p.inn, "messageids": [id]}),
        ),
        ("getgroups", json!({"inn": p.inn})),
        ("getschedule", json!({"inn": p.inn})),
    ] {
        let answer = app.post(method, Some(&erp), body).await;
        assert_eq!(answer.status, 200, "{method}: {answer:?}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM messages").await, 2);
    let by_erp = "SELECT COUNT(*) FROM audit_events WHERE actor = 'api:ERP'";
    assert!(
        app.count(by_erp).await >= 4,
        "scheduled, changed, cancelled, recalled"
    );

    // The staff's and the groups' changes are a 403 in the envelope, and nothing changes.
    let refused_by = |token: String| {
        let (app, inn, staff, group) = (&app, p.inn.clone(), e.id.clone(), group.clone());
        async move {
            let one = json!({"inn": inn, "staffid": staff});
            for (method, body) in [
                ("savegroup", json!({"inn": inn, "name": "Офис"})),
                ("deletegroup", json!({"inn": inn, "groupid": group})),
                (
                    "addstaff",
                    json!({"inn": inn, "staff": [{"phone": "+79990000001", "name": "Пётр"}]}),
                ),
                ("beginstaffsync", json!({"inn": inn})),
                ("finishstaffsync", json!({"inn": inn, "syncid": "1"})),
                (
                    "updatestaff",
                    json!({"inn": inn, "staffid": staff, "name": "Пётр"}),
                ),
                ("deletestaff", one.clone()),
                (
                    "updatepushtoken",
                    json!({"inn": inn, "staffid": staff, "pushtoken": "t"}),
                ),
            ] {
                let error = app.post(method, Some(&token), body).await.failed(403);
                assert!(
                    error.contains("только для отправки сообщений"),
                    "{method}: {error}"
                );
            }
        }
    };
    refused_by(erp.clone()).await;
    let staff = "SELECT COUNT(*) FROM staff WHERE name = 'Иван Иванов'";
    assert_eq!(app.count(staff).await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM staff").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM staff_groups").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM staff_syncs").await, 0);

    // The list and the journal say what it is, in both languages; a rotation keeps it.
    let page = b.get(SETTINGS).await.body;
    assert!(page.contains("только отправка</span>"), "{page}");
    let journal = b.get("/cabinet/journal").await.body;
    assert!(
        journal.contains("ключ «ERP», только отправка сообщений"),
        "{journal}"
    );
    let english = b.get("/cabinet/journal?lang=en").await.body;
    assert!(
        english.contains("key “ERP”, sending messages only"),
        "{english}"
    );
    let key = key_id(&app, "ERP").await;
    let (rotated, row) = simo_backend::service::api_keys::rotate(&app.state.store, p.id, key, 0)
        .await
        .unwrap();
    assert_eq!(row.access(), simo_backend::store::KeyAccess::Sends);
    let rotated = rotated.expose().to_owned();
    refused_by(rotated.clone()).await;
    let again = json!({"inn": p.inn, "staffid": e.id, "title": "Т", "message": "Ещё"});
    app.post("createmessage", Some(&rotated), again).await.ok();
}

async fn a_keys_access_is_changed_without_a_new_token(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иван Иванов").await;
    let b = Browser::new(&app);
    b.partner(&p.inn).await;
    let erp = add_key(&b, "ERP", "full").await;
    let key = key_id(&app, "ERP").await;
    let rename = |token: String, name: &'static str| {
        let (app, inn, staff) = (&app, p.inn.clone(), e.id.clone());
        async move {
            let body = json!({"inn": inn, "staffid": staff, "name": name});
            app.post("updatestaff", Some(&token), body).await
        }
    };
    let send = |token: String| {
        let (app, inn, staff) = (&app, p.inn.clone(), e.id.clone());
        async move {
            let body = json!({"inn": inn, "staffid": staff, "title": "Т", "message": "Т"});
            app.post("createmessage", Some(&token), body).await.status
        }
    };
    rename(erp.clone(), "Иванов И.").await.ok();

    // Sending only, from the very next call (the auth cache forgotten), with the same token.
    let changed = key_form(&b, key, "access", "access", "send").await;
    assert_eq!(
        changed.location.as_deref(),
        Some("/cabinet/settings?done=key_access#token"),
        "{}",
        changed.body
    );
    rename(erp.clone(), "Петров П.").await.failed(403);
    assert_eq!(send(erp.clone()).await, 200);
    let page = b.get(SETTINGS).await.body;
    assert!(page.contains("только отправка</span>"), "{page}");
    // Reading only, then full again.
    key_form(&b, key, "access", "access", "read").await;
    assert_eq!(send(erp.clone()).await, 403);
    key_form(&b, key, "access", "access", "full").await;
    rename(erp.clone(), "Петров П.").await.ok();
    // The same again changes nothing and is not journaled.
    key_form(&b, key, "access", "access", "full").await;
    let journaled = "SELECT COUNT(*) FROM audit_events WHERE action = 'api_key_access'";
    assert_eq!(app.count(journaled).await, 3);
    let journal = b.get("/cabinet/journal").await.body;
    assert!(
        journal.contains("ключ «ERP»; доступ: только отправка сообщений"),
        "{journal}"
    );
    let english = b.get("/cabinet/journal?lang=en").await.body;
    assert!(
        english.contains("key “ERP”; access: read only"),
        "{english}"
    );

    // The main key stays full; another company's key is not found.
    let main = app
        .count("SELECT id FROM partner_tokens WHERE name = '' AND expires_at IS NULL")
        .await;
    let refused = key_form(&b, main, "access", "access", "read").await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(send(p.token.clone()).await, 200);
    let other = app.create_partner(INN_B).await;
    let ob = Browser::new(&app);
    ob.partner(&other.inn).await;
    assert_eq!(
        key_form(&ob, key, "access", "access", "read").await.status,
        404
    );
    rename(erp, "Сидоров С.").await.ok();
}
