//! Named admins of a company's cabinet: added by the company's own account (the INN), each
//! logging in with a login and password of their own, named in the journal, disabled, given a
//! new password or deleted alone, with a login code of their own; never another company's.

use crate::cabinet::{Browser, Page};
use crate::helpers::*;
use crate::second_factor::{shown_codes, shown_key, turn_on};

both_databases!(
    the_main_account_adds_an_admin_who_logs_in_with_a_login_of_their_own_and_is_named_in_the_journal,
    a_disabled_reset_or_deleted_admin_is_logged_out_at_once,
    a_named_admin_has_a_login_code_of_their_own_and_wrong_codes_are_throttled,
    the_company_requires_a_login_code_and_an_admin_without_one_sets_it_up_before_the_cabinet_opens,
    a_viewer_reads_the_cabinet_and_changes_nothing_but_their_own_account,
    a_sender_sends_recalls_and_writes_to_the_ticked_and_changes_nothing_else,
    an_hr_officer_manages_employees_and_groups_and_sends_but_changes_no_setting,
    the_operator_requires_a_login_code_that_the_company_cannot_lift,
);

const ADMINS: &str = "/cabinet/settings/admins";

/// Adds an admin from the main account's page; answers the page after the redirect.
pub(crate) async fn add(b: &Browser, login: &str, name: &str, password: &str) -> Page {
    let csrf = b.get(ADMINS).await.csrf();
    b.post(
        ADMINS,
        &[
            ("csrf", &csrf),
            ("login", login),
            ("name", name),
            ("password", password),
        ],
    )
    .await
}

/// The admin's id, from the row of the page's list.
async fn admin_id(app: &TestApp, login: &str) -> i64 {
    app.count(&format!(
        "SELECT id FROM partner_admins WHERE login = '{login}'"
    ))
    .await
}

/// An action of the list on an admin: disable, enable, reset (with `password`) or delete.
async fn act(b: &Browser, id: i64, action: &str, password: &str) -> Page {
    let csrf = b.get(ADMINS).await.csrf();
    b.post(
        &format!("{ADMINS}/{id}/{action}"),
        &[("csrf", &csrf), ("password", password)],
    )
    .await
}

/// A company whose own account (logged in, the first browser) has added the admin `kadry`,
/// logged in in the second browser; and the admin's id.
async fn with_kadry(app: &TestApp) -> (Partner, Browser, Browser, i64) {
    let p = app.create_partner(INN_A).await;
    let owner = Browser::new(app);
    owner.partner(&p.inn).await;
    let added = add(&owner, "kadry", "Отдел кадров", "hr-password-1").await;
    assert_eq!(added.status, 303, "{}", added.body);
    let id = admin_id(app, "kadry").await;
    let hr = Browser::new(app);
    let login = hr.login("cabinet", "kadry", "hr-password-1").await;
    assert_eq!(
        login.location.as_deref(),
        Some("/cabinet"),
        "{}",
        login.body
    );
    (p, owner, hr, id)
}

async fn the_main_account_adds_an_admin_who_logs_in_with_a_login_of_their_own_and_is_named_in_the_journal(
    app: TestApp,
) {
    let p = app.create_partner(INN_A).await;
    let owner = Browser::new(&app);
    owner.partner(&p.inn).await;
    let settings = owner.get("/cabinet/settings").await.body;
    assert!(settings.contains("id=\"admins-count\">0<"), "{settings}");
    let empty = owner.get(ADMINS).await;
    assert_eq!(empty.status, 200);
    assert!(empty.body.contains("id=\"admins-none\""));

    // Refused, what was typed kept (but the password): digits alone would be an INN, a short
    // password, no name.
    let digits = add(&owner, "7707083893", "Мария Иванова", "maria-password-1").await;
    assert_eq!(digits.status, 400);
    assert!(
        digits.body.contains("хотя бы одна буква"),
        "{}",
        digits.body
    );
    assert!(digits.body.contains("value=\"Мария Иванова\""));
    let short = add(&owner, "maria", "Мария Иванова", "short").await;
    assert_eq!(short.status, 400);
    let nameless = add(&owner, "maria", "  ", "maria-password-1").await;
    assert_eq!(nameless.status, 400);
    assert!(nameless.body.contains("Укажите имя администратора"));
    assert_eq!(app.count("SELECT COUNT(*) FROM partner_admins").await, 0);

    let added = add(
        &owner,
        " Maria.Ivanova@Corp.RU ",
        "Мария  Иванова",
        "maria-password-1",
    )
    .await;
    assert_eq!(added.status, 303, "{}", added.body);
    let list = owner.get(ADMINS).await.body;
    assert!(
        list.contains("<code>maria.ivanova@corp.ru</code>"),
        "{list}"
    );
    assert!(list.contains("Мария Иванова"));
    assert!(list.contains("ещё не входил"), "{list}");
    assert!(
        owner
            .get("/cabinet/settings")
            .await
            .body
            .contains("id=\"admins-count\">1<")
    );
    // Logins are unique across companies.
    let b_company = app.create_partner(INN_B).await;
    let other_owner = Browser::new(&app);
    other_owner.partner(&b_company.inn).await;
    let taken = add(
        &other_owner,
        "maria.ivanova@corp.ru",
        "Другая Мария",
        "another-password",
    )
    .await;
    assert_eq!(taken.status, 400);
    assert!(taken.body.contains("уже занят"), "{}", taken.body);

    // The admin logs in with the login (any case) and a password of their own.
    let maria = Browser::new(&app);
    let wrong = maria
        .login("cabinet", "maria.ivanova@corp.ru", "secret-password")
        .await;
    assert_eq!(wrong.status, 401, "the company's password is not hers");
    let login = maria
        .login("cabinet", "MARIA.Ivanova@corp.ru", "maria-password-1")
        .await;
    assert_eq!(
        login.location.as_deref(),
        Some("/cabinet"),
        "{}",
        login.body
    );
    let home = maria.get("/cabinet").await.body;
    assert!(
        home.contains(&format!("maria.ivanova@corp.ru · {INN_A}")),
        "{home}"
    );
    // She works in the cabinet: a template saved is hers in the journal.
    let csrf = maria.get("/cabinet/templates").await.csrf();
    let saved = maria
        .post(
            "/cabinet/templates",
            &[
                ("csrf", &csrf),
                ("do", "save"),
                ("name", "Смена"),
                ("title", "Смена"),
                ("text", "Завтра смена с 8:00"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert!(
        !owner.get(ADMINS).await.body.contains("ещё не входил"),
        "her last login is shown"
    );
    // The page of admins is the main account's alone.
    let refused = maria.get(ADMINS).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("только главная учётная запись"));
    let csrf = maria.get("/cabinet/settings").await.csrf();
    let forged = maria
        .post(
            ADMINS,
            &[
                ("csrf", &csrf),
                ("login", "intruder"),
                ("name", "Кто-то"),
                ("password", "intruder-password"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
    let id = admin_id(&app, "maria.ivanova@corp.ru").await;
    let self_enable = maria
        .post(&format!("{ADMINS}/{id}/delete"), &[("csrf", &csrf)])
        .await;
    assert_eq!(self_enable.status, 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM partner_admins").await, 1);
    // Her settings are her own account's.
    let own = maria.get("/cabinet/settings").await.body;
    assert!(
        own.contains("id=\"own-login\">maria.ivanova@corp.ru<"),
        "{own}"
    );
    assert!(!own.contains("admins-count"));

    // Her own password: the company's stays.
    let csrf = maria.get("/cabinet/settings").await.csrf();
    let change = |current: &'static str| {
        let csrf = csrf.clone();
        let maria = &maria;
        async move {
            maria
                .post(
                    "/cabinet/settings/password",
                    &[
                        ("csrf", &csrf),
                        ("current", current),
                        ("new", "maria-password-2"),
                        ("confirm", "maria-password-2"),
                    ],
                )
                .await
        }
    };
    assert_eq!(change("secret-password").await.status, 400);
    assert_eq!(change("maria-password-1").await.status, 303);
    assert_eq!(
        maria.get("/cabinet").await.status,
        200,
        "this browser stays"
    );
    let again = Browser::new(&app);
    let old = again
        .login("cabinet", "maria.ivanova@corp.ru", "maria-password-1")
        .await;
    assert_eq!(old.status, 401);
    let new = again
        .login("cabinet", "maria.ivanova@corp.ru", "maria-password-2")
        .await;
    assert_eq!(new.location.as_deref(), Some("/cabinet"));
    assert_eq!(Browser::new(&app).partner(&p.inn).await.status, 200);

    // The journal names her, and says whose login a wrong password was for.
    let journal = owner.get("/cabinet/journal").await.body;
    for words in [
        "Администратор maria.ivanova@corp.ru",
        "Добавлен администратор кабинета: <span class=\"audit-detail\">maria.ivanova@corp.ru (Мария Иванова)",
        "Шаблон сохранён",
        "Пароль кабинета изменён",
    ] {
        assert!(journal.contains(words), "{words}: {journal}");
    }
    let failed = app
        .count(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'login_failed'
               AND detail = 'maria.ivanova@corp.ru'",
        )
        .await;
    assert_eq!(failed, 2, "two wrong passwords for her login");
    let saved_by = app
        .count(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'template_saved'
               AND actor = 'admin:maria.ivanova@corp.ru'",
        )
        .await;
    assert_eq!(saved_by, 1);
    // The journal filtered by person: hers, the company's account's, and with a kind too.
    assert!(journal.contains("<option value=\"admin:maria.ivanova@corp.ru\">Администратор maria.ivanova@corp.ru (Мария Иванова)</option>"), "{journal}");
    let hers = owner
        .get("/cabinet/journal?who=admin%3Amaria.ivanova%40corp.ru")
        .await
        .body;
    assert!(hers.contains("Шаблон сохранён"), "{hers}");
    assert!(!hers.contains("Добавлен администратор"), "{hers}");
    assert!(
        hers.contains("href=\"/cabinet/journal.csv?who=admin%3Amaria.ivanova%40corp.ru\""),
        "{hers}"
    );
    let main = owner.get("/cabinet/journal?who=admin").await.body;
    assert!(main.contains("Добавлен администратор"), "{main}");
    assert!(!main.contains("Шаблон сохранён"), "{main}");
    let her_security = owner
        .get("/cabinet/journal?kind=security&who=admin%3Amaria.ivanova%40corp.ru")
        .await
        .body;
    assert!(
        her_security.contains("Пароль кабинета изменён"),
        "{her_security}"
    );
    assert!(!her_security.contains("Шаблон сохранён"));
    let csv = owner
        .get("/cabinet/journal.csv?who=admin%3Amaria.ivanova%40corp.ru")
        .await
        .body;
    assert!(
        csv.contains("Шаблон сохранён") && !csv.contains("Добавлен администратор"),
        "{csv}"
    );
    // A value no actor can be is no filter (a NUL was a 500 on PostgreSQL, found by the fuzz).
    let nul = owner.get("/cabinet/journal?who=%00admin").await;
    assert_eq!(nul.status, 200);
    assert!(nul.body.contains("Шаблон сохранён") && nul.body.contains("Добавлен администратор"));
    let nobody = owner.get("/cabinet/journal?who=admin%3Anobody").await.body;
    assert!(nobody.contains("id=\"journal-empty\""), "{nobody}");
    let english = owner.get("/cabinet/journal?lang=en").await.body;
    assert!(english.contains("Admin maria.ivanova@corp.ru"), "{english}");
    assert!(english.contains("Cabinet admin added"));

    // Another company's owner neither sees her nor reaches her by id.
    let theirs = other_owner.get(ADMINS).await.body;
    assert!(!theirs.contains("maria"), "{theirs}");
    let reach = act(&other_owner, id, "disable", "").await;
    assert_eq!(reach.status, 404);
    let reach = act(&other_owner, id, "reset", "their-new-password").await;
    assert_eq!(reach.status, 404);
    let disabled = app
        .count("SELECT COUNT(*) FROM partner_admins WHERE disabled = TRUE")
        .await;
    assert_eq!(disabled, 0);
    assert_eq!(maria.get("/cabinet").await.status, 200);
    // An address that is no admin or no action.
    assert_eq!(act(&owner, id, "promote", "").await.status, 404);
    let csrf = owner.get(ADMINS).await.csrf();
    let abc = owner
        .post(&format!("{ADMINS}/abc/disable"), &[("csrf", &csrf)])
        .await;
    assert_eq!(abc.status, 404);
}

async fn a_disabled_reset_or_deleted_admin_is_logged_out_at_once(app: TestApp) {
    let (p, owner, hr, id) = with_kadry(&app).await;
    assert_eq!(
        add(&owner, "buh", "Бухгалтерия", "buh-password-1")
            .await
            .status,
        303
    );
    let buh = Browser::new(&app);
    assert_eq!(
        buh.login("cabinet", "buh", "buh-password-1").await.status,
        303
    );

    // Disabled: out at once, and refused at the login with the reason.
    assert_eq!(act(&owner, id, "disable", "").await.status, 303);
    assert_eq!(
        hr.get("/cabinet").await.location.as_deref(),
        Some("/cabinet/login")
    );
    let refused = hr.login("cabinet", "kadry", "hr-password-1").await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("отключена"), "{}", refused.body);
    assert!(owner.get(ADMINS).await.body.contains("отключён"));
    assert_eq!(buh.get("/cabinet").await.status, 200, "the others stay");
    // Enabled again.
    assert_eq!(act(&owner, id, "enable", "").await.status, 303);
    assert_eq!(
        hr.login("cabinet", "kadry", "hr-password-1").await.status,
        303
    );
    assert_eq!(hr.get("/cabinet").await.status, 200);

    // A new password: out, the old refused, the new one in; too short refused first.
    let short = act(&owner, id, "reset", "short").await;
    assert_eq!(short.status, 400);
    assert!(short.body.contains("id=\"admins-error\""));
    assert_eq!(hr.get("/cabinet").await.status, 200, "nothing changed");
    assert_eq!(act(&owner, id, "reset", "hr-password-2").await.status, 303);
    assert_eq!(
        hr.get("/cabinet").await.location.as_deref(),
        Some("/cabinet/login")
    );
    assert_eq!(
        hr.login("cabinet", "kadry", "hr-password-1").await.status,
        401
    );
    assert_eq!(
        hr.login("cabinet", "kadry", "hr-password-2").await.status,
        303
    );

    // The operator disables the company: the named admins are out too, and stay out when the
    // company is back.
    let ops = Browser::new(&app);
    ops.operator(&app).await;
    let list = ops.get("/operator").await;
    let csrf = list.csrf();
    assert!(list.body.contains("администраторов: 2"), "{}", list.body);
    let path = format!("/operator/partners/{}/disabled", p.id);
    assert_eq!(
        ops.post(&path, &[("csrf", &csrf), ("disabled", "1")])
            .await
            .status,
        303
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM cabinet_sessions WHERE kind = 'admin'")
            .await,
        0
    );
    let suspended = hr.login("cabinet", "kadry", "hr-password-2").await;
    assert_eq!(suspended.status, 403);
    assert_eq!(
        ops.post(&path, &[("csrf", &csrf), ("disabled", "0")])
            .await
            .status,
        303
    );
    assert_eq!(
        buh.get("/cabinet").await.location.as_deref(),
        Some("/cabinet/login")
    );
    owner.partner(&p.inn).await;
    assert_eq!(
        hr.login("cabinet", "kadry", "hr-password-2").await.status,
        303
    );

    // Deleted: out, the login unknown, nothing of the account left.
    assert_eq!(act(&owner, id, "delete", "").await.status, 303);
    assert_eq!(
        hr.get("/cabinet").await.location.as_deref(),
        Some("/cabinet/login")
    );
    assert_eq!(
        hr.login("cabinet", "kadry", "hr-password-2").await.status,
        401
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM cabinet_sessions WHERE kind = 'admin' AND subject_id = {id}"
        ))
        .await,
        0
    );
    let list = owner.get(ADMINS).await.body;
    assert!(!list.contains("<code>kadry</code>") && list.contains("<code>buh</code>"));
    let journal = owner.get("/cabinet/journal").await.body;
    for words in [
        "Администратор кабинета отключён: <span class=\"audit-detail\">kadry (Отдел кадров)",
        "Администратор кабинета снова допущен",
        "Администратору кабинета задан новый пароль",
        "Администратор кабинета удалён: <span class=\"audit-detail\">kadry (Отдел кадров)",
    ] {
        assert!(journal.contains(words), "{words}: {journal}");
    }
    // The deleted admin's entries keep their name.
    assert!(journal.contains("Администратор kadry"), "{journal}");
    // Filtered to the operator's, whichever operator.
    let by_operator = owner.get("/cabinet/journal?who=operator").await.body;
    for words in [
        "Доступ организации отключён",
        "Доступ организации восстановлен",
    ] {
        assert!(by_operator.contains(words), "{words}: {by_operator}");
    }
    assert!(
        !by_operator.contains("Администратор кабинета"),
        "{by_operator}"
    );
}

async fn a_named_admin_has_a_login_code_of_their_own_and_wrong_codes_are_throttled(app: TestApp) {
    let (p, owner, hr, id) = with_kadry(&app).await;
    let (key, _, _) = turn_on(&hr, "/cabinet/settings/2fa", "hr-password-1").await;
    assert!(owner.get(ADMINS).await.body.contains("вход с кодом"));
    // The company's own login asks for no code: the code is hers.
    let o = Browser::new(&app);
    let direct = o.login("cabinet", &p.inn, "secret-password").await;
    assert_eq!(direct.location.as_deref(), Some("/cabinet"));
    let settings = o.get("/cabinet/settings").await.body;
    assert!(settings.contains("выключен"), "{settings}");

    let c = Browser::new(&app);
    let first = c.login("cabinet", "KADRY", "hr-password-1").await;
    assert_eq!(first.location.as_deref(), Some("/cabinet/login/code"));
    let csrf = c.get("/cabinet/login/code").await.csrf();
    let code = totp_code(&key, 1);
    let opened = c
        .post("/cabinet/login/code", &[("csrf", &csrf), ("code", &code)])
        .await;
    assert_eq!(
        opened.location.as_deref(),
        Some("/cabinet"),
        "{}",
        opened.body
    );
    assert!(c.get("/cabinet").await.body.contains("kadry · "));
    let with_code = app
        .count(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'login' AND actor = 'admin:kadry'
               AND detail <> ''",
        )
        .await;
    assert_eq!(with_code, 1, "the login with a code, journaled as hers");

    let waiting = Browser::new(&app);
    let first = waiting.login("cabinet", "kadry", "hr-password-1").await;
    assert_eq!(first.location.as_deref(), Some("/cabinet/login/code"));
    let waiting_csrf = waiting.get("/cabinet/login/code").await.csrf();

    // Wrong codes count against her login as wrong passwords do: the sixth password waits.
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 7) % 1_000_000);
    let t = Browser::new(&app);
    for _ in 0..5 {
        let first = t.login("cabinet", "kadry", "hr-password-1").await;
        assert_eq!(first.location.as_deref(), Some("/cabinet/login/code"));
        let csrf = t.get("/cabinet/login/code").await.csrf();
        let refused = t
            .post("/cabinet/login/code", &[("csrf", &csrf), ("code", &wrong)])
            .await;
        assert_eq!(refused.status, 401);
    }
    let throttled = t.login("cabinet", "kadry", "hr-password-1").await;
    assert_eq!(throttled.status, 429, "{}", throttled.body);
    let journal = owner.get("/cabinet/journal").await.body;
    assert!(
        journal.contains("kadry; пароль верный, код из приложения неверный"),
        "{journal}"
    );

    // Lost the phone: the main account's new password for her removes the code, and the login
    // waiting for it with the old password (below) ends: no code opens it.
    assert_eq!(act(&owner, id, "reset", "hr-password-2").await.status, 303);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM second_factors WHERE kind = 'admin' AND subject_id = {id}"
        ))
        .await,
        0
    );
    let any = waiting
        .post(
            "/cabinet/login/code",
            &[("csrf", &waiting_csrf), ("code", &wrong)],
        )
        .await;
    assert_eq!(
        any.location.as_deref(),
        Some("/cabinet/login"),
        "{}",
        any.body
    );
    assert_eq!(
        waiting.get("/cabinet").await.location.as_deref(),
        Some("/cabinet/login")
    );
    let journal = owner.get("/cabinet/journal").await.body;
    assert!(
        journal.contains("kadry (Отдел кадров); вход по коду из приложения отключён"),
        "{journal}"
    );
}

/// The main account's switch of the requirement: `1` requires a code of everyone.
pub(crate) async fn policy(owner: &Browser, required: &str) -> Page {
    let csrf = owner.get(ADMINS).await.csrf();
    owner
        .post(
            &format!("{ADMINS}/policy"),
            &[("csrf", &csrf), ("required", required)],
        )
        .await
}

async fn the_company_requires_a_login_code_and_an_admin_without_one_sets_it_up_before_the_cabinet_opens(
    app: TestApp,
) {
    let (_, owner, hr, id) = with_kadry(&app).await;
    // Not before the company's own account has a code: it would be the first locked out.
    let early = policy(&owner, "1").await;
    assert_eq!(early.status, 400, "{}", early.body);
    assert!(early.body.contains("Сначала включите вход с кодом"));
    let required = "SELECT COUNT(*) FROM partners WHERE second_factor_required = TRUE";
    assert_eq!(app.count(required).await, 0);
    turn_on(&owner, "/cabinet/settings/2fa", "secret-password").await;
    assert_eq!(policy(&owner, "1").await.status, 303);
    assert_eq!(app.count(required).await, 1);
    let ops = Browser::new(&app);
    ops.operator(&app).await;
    assert!(ops.get("/operator").await.body.contains("код обязателен"));
    assert_eq!(owner.get("/cabinet").await.status, 200, "it has its code");
    // An admin without a code is out at once, and the list says what follows.
    assert_eq!(
        hr.get("/cabinet").await.location.as_deref(),
        Some("/cabinet/login")
    );
    assert!(
        owner
            .get(ADMINS)
            .await
            .body
            .contains("настроит код при входе")
    );

    // The password leads to the setup, which opens nothing else; nor does the code's form take
    // a login waiting for a setup.
    let c = Browser::new(&app);
    let first = c.login("cabinet", "kadry", "hr-password-1").await;
    assert_eq!(first.location.as_deref(), Some("/cabinet/login/setup"));
    assert_eq!(
        c.get("/cabinet").await.location.as_deref(),
        Some("/cabinet/login")
    );
    assert_eq!(
        c.get("/cabinet/login/code").await.location.as_deref(),
        Some("/cabinet/login")
    );
    let setup = c.get("/cabinet/login/setup").await;
    assert_eq!(setup.status, 200, "{}", setup.body);
    assert!(setup.body.contains("<svg"), "a QR code: {}", setup.body);
    let csrf = setup.csrf();
    let bypass = c
        .post(
            "/cabinet/login/code",
            &[("csrf", &csrf), ("code", "000000")],
        )
        .await;
    assert_eq!(bypass.location.as_deref(), Some("/cabinet/login"));
    assert_eq!(
        c.get("/cabinet").await.location.as_deref(),
        Some("/cabinet/login")
    );
    let key = shown_key(&setup);
    let code = totp_code(&key, 0);
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 3) % 1_000_000);
    let refused = c
        .post("/cabinet/login/setup", &[("csrf", &csrf), ("code", &wrong)])
        .await;
    assert_eq!(refused.status, 401, "{}", refused.body);
    assert!(refused.body.contains("Код не подошёл"), "{}", refused.body);
    assert_eq!(shown_key(&refused), key, "the same key again");
    let on = c
        .post("/cabinet/login/setup", &[("csrf", &csrf), ("code", &code)])
        .await;
    assert_eq!(on.status, 200, "{}", on.body);
    assert_eq!(shown_codes(&on).len(), 10, "{}", on.body);
    assert!(on.body.contains("id=\"setup-done\""));
    assert!(c.get("/cabinet").await.body.contains("kadry · "));
    assert_eq!(
        c.get("/cabinet/login/setup").await.location.as_deref(),
        Some("/cabinet/login"),
        "the wait is over"
    );
    // From now on her login asks for her code.
    let d = Browser::new(&app);
    let next = d.login("cabinet", "kadry", "hr-password-1").await;
    assert_eq!(next.location.as_deref(), Some("/cabinet/login/code"));
    // Nobody turns theirs off while it is required.
    let csrf = c.get("/cabinet/settings/2fa").await.csrf();
    let off = |code: String| {
        let csrf = csrf.clone();
        let c = &c;
        async move {
            c.post(
                "/cabinet/settings/2fa/off",
                &[
                    ("csrf", csrf.as_str()),
                    ("password", "hr-password-1"),
                    ("code", code.as_str()),
                ],
            )
            .await
        }
    };
    let kept = off(totp_code(&key, 1)).await;
    assert_eq!(kept.status, 400, "{}", kept.body);
    assert!(kept.body.contains("Организация требует вход с кодом"));
    let enabled = format!(
        "SELECT COUNT(*) FROM second_factors WHERE kind = 'admin' AND subject_id = {id}
           AND enabled_at IS NOT NULL"
    );
    assert_eq!(app.count(&enabled).await, 1);
    // Another company asks nothing of its admin.
    let other = app.create_partner(INN_B).await;
    assert_eq!(Browser::new(&app).partner(&other.inn).await.status, 200);

    // Lifted: her code may go.
    assert_eq!(policy(&owner, "0").await.status, 303);
    assert_eq!(off(totp_code(&key, 1)).await.status, 303);
    assert_eq!(app.count(&enabled).await, 0);
    let journal = owner.get("/cabinet/journal").await.body;
    for words in [
        "Вход с кодом обязателен для всех: <span class=\"audit-detail\">завершено сеансов администраторов без кода: 1",
        "Вход с кодом больше не обязателен",
        "Вход с кодом из приложения отключён",
    ] {
        assert!(journal.contains(words), "{words}: {journal}");
    }
    let set_up = app
        .count(
            "SELECT COUNT(*) FROM audit_events WHERE actor = 'admin:kadry'
               AND action IN ('second_factor_on', 'login')",
        )
        .await;
    assert_eq!(set_up, 3, "her first login, her setup and its login");
}

/// The company's own account (logged in, the first browser) adds the admin `login` (password
/// `<login>-password`) with `role`, which its list then names as `shown`, and turns its webhook
/// on; the admin logs in in the second browser. Also the admin's id and the webhook's signing
/// secret, which the admin's pages must not show.
pub(crate) async fn with_role(
    app: &TestApp,
    p: &Partner,
    login: &str,
    name: &str,
    role: &str,
    shown: &str,
) -> (Browser, Browser, i64, String) {
    let owner = Browser::new(app);
    owner.partner(&p.inn).await;
    let csrf = owner.get(ADMINS).await.csrf();
    let password = format!("{login}-password");
    let added = owner
        .post(
            ADMINS,
            &[
                ("csrf", csrf.as_str()),
                ("login", login),
                ("name", name),
                ("role", role),
                ("password", &password),
            ],
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.body);
    assert!(owner.get(ADMINS).await.body.contains(shown));
    let id = admin_id(app, login).await;
    crate::sealed::turn_webhook_on(&owner).await;
    let secret = app.state.store.webhook(p.id).await.unwrap().unwrap().secret;
    let admin = Browser::new(app);
    assert_eq!(admin.login("cabinet", login, &password).await.status, 303);
    (owner, admin, id, secret)
}

/// `with_role` for the sender `dispatch` ("Диспетчер"), the usual one.
pub(crate) async fn dispatcher(app: &TestApp, p: &Partner) -> (Browser, Browser, i64, String) {
    with_role(
        app,
        p,
        "dispatch",
        "Диспетчер",
        "sender",
        "отправка сообщений",
    )
    .await
}

async fn a_viewer_reads_the_cabinet_and_changes_nothing_but_their_own_account(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иванов Иван").await;
    app.create_message(&p, &e.id, "Приказ", "Текст").await.ok();
    let (owner, v, id, secret) =
        with_role(&app, &p, "auditor", "Аудитор", "viewer", "только просмотр").await;
    // Reads: the pages, the message, the downloads; told it is view only, the forms hidden.
    for page in [
        "/cabinet",
        "/cabinet/employees",
        "/cabinet/messages",
        "/cabinet/send",
        "/cabinet/settings",
        "/cabinet/settings/2fa",
        "/cabinet/journal",
    ] {
        let got = v.get(page).await;
        assert_eq!(got.status, 200, "{page}");
        assert!(
            got.body.contains("class=\"area-cabinet read-only\""),
            "{page}"
        );
        assert!(got.body.contains("id=\"read-only\""), "{page}");
    }
    assert!(v.get("/cabinet/messages").await.body.contains("Приказ"));
    assert_eq!(v.get("/cabinet/employees.csv").await.status, 200);
    // The webhook's signing secret is not shown to a viewer.
    let webhook = v.get("/cabinet/webhook").await.body;
    assert!(webhook.contains("webhook-secret-hidden"), "{webhook}");
    assert!(!webhook.contains(&secret));

    // Changes nothing: each form refused with the reason, nothing stored.
    let csrf = v.get("/cabinet/settings").await.csrf();
    let messages = "SELECT COUNT(*) FROM messages";
    let before = app.count(messages).await;
    let state_path = format!("/cabinet/employees/{}/state", e.id);
    for (path, form) in [
        (
            "/cabinet/send",
            vec![
                ("to", e.id.as_str()),
                ("title", "От аудитора"),
                ("text", "т"),
            ],
        ),
        ("/cabinet/settings/token", vec![("grace_secs", "0")]),
        (
            "/cabinet/templates",
            vec![("do", "save"), ("name", "x"), ("title", "x"), ("text", "x")],
        ),
        ("/cabinet/webhook", vec![("do", "rotate")]),
        (state_path.as_str(), vec![("state", "disabled")]),
    ] {
        let mut fields = vec![("csrf", csrf.as_str())];
        fields.extend(form);
        let refused = v.post(path, &fields).await;
        assert_eq!(refused.status, 403, "{path}: {}", refused.body);
        assert!(refused.body.contains("только для просмотра"), "{path}");
    }
    assert_eq!(app.count(messages).await, before);
    // Five refusals, one entry in the journal (once an hour): the first, its form and right.
    let refusals = "SELECT COUNT(*) FROM audit_events WHERE action = 'rights_refused' AND actor = 'admin:auditor'";
    assert_eq!(app.count(refusals).await, 1);
    assert_eq!(
        app.state.store.webhook(p.id).await.unwrap().unwrap().secret,
        secret
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM staff WHERE state <> 'active'")
            .await,
        0
    );
    // Their own account is theirs: the password, other sessions, logout.
    let own = v
        .post(
            "/cabinet/settings/password",
            &[
                ("csrf", csrf.as_str()),
                ("current", "auditor-password"),
                ("new", "auditor-password-2"),
                ("confirm", "auditor-password-2"),
            ],
        )
        .await;
    assert_eq!(own.status, 303, "{}", own.body);

    // Given full rights: the same form goes through; the journal says so.
    assert_eq!(act(&owner, id, "admin", "").await.status, 303);
    let csrf = v.get("/cabinet/settings").await.csrf();
    assert!(!v.get("/cabinet").await.body.contains("id=\"read-only\""));
    let template = v
        .post(
            "/cabinet/templates",
            &[
                ("csrf", csrf.as_str()),
                ("do", "save"),
                ("name", "Смена"),
                ("title", "Смена"),
                ("text", "т"),
            ],
        )
        .await;
    assert_eq!(template.status, 303, "{}", template.body);
    assert_eq!(act(&owner, id, "viewer", "").await.status, 303);
    let journal = owner.get("/cabinet/journal").await.body;
    for words in [
        "Отказано: у учётной записи нет права на это действие: <span class=\"audit-detail\">/cabinet/send; учётная запись только для просмотра",
        "Добавлен администратор кабинета: <span class=\"audit-detail\">auditor (Аудитор), только просмотр",
        "Изменены права администратора кабинета: <span class=\"audit-detail\">auditor (Аудитор)</span>",
        "Изменены права администратора кабинета: <span class=\"audit-detail\">auditor (Аудитор), только просмотр",
    ] {
        assert!(journal.contains(words), "{words}: {journal}");
    }
    let english = owner.get("/cabinet/journal?lang=en").await.body;
    assert!(
        english.contains("auditor (Аудитор), view only")
            && english.contains("/cabinet/send; a view-only account"),
        "{english}"
    );
}

async fn a_sender_sends_recalls_and_writes_to_the_ticked_and_changes_nothing_else(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иванов Иван").await;
    let (owner, d, id, secret) = dispatcher(&app, &p).await;
    for page in ["/cabinet", "/cabinet/employees", "/cabinet/settings"] {
        let got = d.get(page).await;
        assert_eq!(got.status, 200, "{page}");
        assert!(
            got.body.contains("class=\"area-cabinet sends-only\""),
            "{page}"
        );
        assert!(got.body.contains("id=\"sends-only\""), "{page}");
    }
    let webhook = d.get("/cabinet/webhook").await.body;
    assert!(webhook.contains("webhook-secret-hidden"), "{webhook}");
    assert!(!webhook.contains(&secret));

    // Sends, and the journal names them.
    let form = d.get("/cabinet/send").await;
    assert!(form.body.contains("class=\"card send-form sending\""));
    let sent = d.send_to(&e.id, "Смена", "С 8:00").await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let message = app
        .count("SELECT MAX(id) FROM messages WHERE title = 'Смена' AND source = 'cabinet'")
        .await;
    assert!(message > 0);
    // Recalls what it sent.
    let csrf = d.get("/cabinet/settings").await.csrf();
    let recalled = d
        .post(
            &format!("/cabinet/messages/{message}/recall"),
            &[("csrf", csrf.as_str()), ("scope", "one")],
        )
        .await;
    assert_eq!(recalled.status, 303, "{}", recalled.body);
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM messages WHERE id = {message} AND status = 'recalled'"
        ))
        .await,
        1
    );
    // The employee list's "write to the ticked" leads to the send form; its other buttons
    // are refused, and the employee stays in the mailing.
    let bulk = |what: &'static str| {
        let (d, csrf, id) = (&d, csrf.clone(), e.id.clone());
        async move {
            d.post(
                "/cabinet/employees/bulk",
                &[
                    ("csrf", csrf.as_str()),
                    ("back", "/cabinet/employees"),
                    ("upto", id.as_str()),
                    ("id", id.as_str()),
                    ("do", what),
                ],
            )
            .await
        }
    };
    let write = bulk("write").await;
    assert_eq!(
        write.location.as_deref(),
        Some(format!("/cabinet/send?staff={}", e.id).as_str())
    );
    for what in ["disabled", "disabled_all", "group_add"] {
        let refused = bulk(what).await;
        assert_eq!(refused.status, 403, "{what}: {}", refused.body);
        assert!(refused.body.contains("для отправки сообщений"), "{what}");
    }

    // Anything else is refused with the reason, and nothing is stored.
    let state_path = format!("/cabinet/employees/{}/state", e.id);
    for (path, form) in [
        ("/cabinet/settings/token", vec![("grace_secs", "0")]),
        (
            "/cabinet/settings/keys",
            vec![("name", "1С"), ("access", "full")],
        ),
        ("/cabinet/groups", vec![("do", "save"), ("name", "Смена")]),
        ("/cabinet/webhook", vec![("do", "rotate")]),
        (state_path.as_str(), vec![("state", "disabled")]),
    ] {
        let mut fields = vec![("csrf", csrf.as_str())];
        fields.extend(form);
        let refused = d.post(path, &fields).await;
        assert_eq!(refused.status, 403, "{path}: {}", refused.body);
        assert!(refused.body.contains("для отправки сообщений"), "{path}");
    }
    // Journaled once this hour: the first form refused (the bulk form's button, refused by
    // its handler rather than the guard), and the right.
    let refusals = "SELECT COUNT(*) FROM audit_events WHERE action = 'rights_refused'
        AND actor = 'admin:dispatch'
        AND detail = '/cabinet/employees/bulk; учётная запись только для отправки сообщений'";
    assert_eq!(app.count(refusals).await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_events WHERE action = 'rights_refused'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM staff WHERE state <> 'active'")
            .await,
        0
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM staff_groups").await, 0);
    // The words they send again and again are theirs to keep: a template saved and deleted.
    let template = [
        ("do", "save"),
        ("name", "Смена"),
        ("title", "Смена"),
        ("text", "В 8:00"),
    ];
    let mut fields = vec![("csrf", csrf.as_str())];
    fields.extend(template);
    let saved = d.post("/cabinet/templates", &fields).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let kept = "SELECT id FROM message_templates WHERE name = 'Смена'";
    let template_id = app.count(kept).await.to_string();
    let deleted = d
        .post(
            "/cabinet/templates",
            &[
                ("csrf", csrf.as_str()),
                ("do", "delete"),
                ("id", template_id.as_str()),
            ],
        )
        .await;
    assert_eq!(deleted.status, 303, "{}", deleted.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM message_templates").await, 0);
    let by_sender = "SELECT COUNT(*) FROM audit_events
        WHERE actor = 'admin:dispatch' AND action IN ('template_saved', 'template_deleted')";
    assert_eq!(app.count(by_sender).await, 2);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM partner_tokens WHERE name <> ''")
            .await,
        0
    );
    assert_eq!(
        app.state.store.webhook(p.id).await.unwrap().unwrap().secret,
        secret
    );
    // Their own password is theirs.
    let own = d
        .post(
            "/cabinet/settings/password",
            &[
                ("csrf", csrf.as_str()),
                ("current", "dispatch-password"),
                ("new", "dispatch-password-2"),
                ("confirm", "dispatch-password-2"),
            ],
        )
        .await;
    assert_eq!(own.status, 303, "{}", own.body);

    // Made a viewer, they send no more; the journal records each right given.
    assert_eq!(act(&owner, id, "viewer", "").await.status, 303);
    let csrf = d.get("/cabinet/send").await.csrf();
    let refused = d
        .post(
            "/cabinet/send",
            &[
                ("csrf", csrf.as_str()),
                ("staff", &e.id),
                ("title", "Ещё"),
                ("text", "т"),
            ],
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("только для просмотра"));
    assert_eq!(act(&owner, id, "sender", "").await.status, 303);
    let journal = owner.get("/cabinet/journal").await.body;
    for words in [
        "Добавлен администратор кабинета: <span class=\"audit-detail\">dispatch (Диспетчер), отправка сообщений",
        "Изменены права администратора кабинета: <span class=\"audit-detail\">dispatch (Диспетчер), только просмотр",
        "Изменены права администратора кабинета: <span class=\"audit-detail\">dispatch (Диспетчер), отправка сообщений",
        "Администратор dispatch",
    ] {
        assert!(journal.contains(words), "{words}: {journal}");
    }
    let english = owner.get("/cabinet/journal?lang=en").await.body;
    assert!(
        english.contains("dispatch (Диспетчер), sending messages"),
        "{english}"
    );
}

/// The operator's switch of a company's login code: `imposed` "1" or "0".
async fn impose(ops: &Browser, partner_id: i64, imposed: &str) -> Page {
    let csrf = ops.get("/operator").await.csrf();
    ops.post(
        &format!("/operator/partners/{partner_id}/code"),
        &[("csrf", &csrf), ("imposed", imposed), ("back", "/operator")],
    )
    .await
}

async fn the_operator_requires_a_login_code_that_the_company_cannot_lift(app: TestApp) {
    let (p, owner, hr, _) = with_kadry(&app).await;
    let other = app.create_partner(INN_B).await;
    let other_owner = Browser::new(&app);
    other_owner.partner(&other.inn).await;
    let ops = Browser::new(&app);
    ops.operator(&app).await;
    assert!(ops.get("/operator").await.body.contains("Требовать код"));

    let on = impose(&ops, p.id, "1").await;
    assert_eq!(on.status, 303, "{}", on.body);
    assert!(on.location.unwrap().contains("done=code_imposed"));
    let list = ops.get("/operator").await.body;
    assert!(
        list.contains("код обязателен по требованию оператора"),
        "{list}"
    );
    assert!(list.contains("Не требовать код"));
    // Every account of the company without a code is out at once, its own included; the other
    // company's is not.
    for b in [&owner, &hr] {
        let out = b.get("/cabinet").await;
        assert_eq!(out.location.as_deref(), Some("/cabinet/login"));
    }
    assert_eq!(other_owner.get("/cabinet").await.status, 200);

    // The company's own account sets its code up at its login, before the cabinet opens.
    let o = Browser::new(&app);
    let first = o.login("cabinet", &p.inn, "secret-password").await;
    assert_eq!(first.location.as_deref(), Some("/cabinet/login/setup"));
    assert_eq!(
        o.get("/cabinet").await.location.as_deref(),
        Some("/cabinet/login")
    );
    let setup = o.get("/cabinet/login/setup").await;
    let csrf = setup.csrf();
    let key = shown_key(&setup);
    let code = totp_code(&key, 0);
    let set_up = o
        .post("/cabinet/login/setup", &[("csrf", &csrf), ("code", &code)])
        .await;
    assert_eq!(set_up.status, 200, "{}", set_up.body);
    assert_eq!(o.get("/cabinet").await.status, 200);

    // It cannot lift the requirement, nor turn its code off; its page says who requires it.
    let page = o.get(ADMINS).await.body;
    assert!(page.contains("id=\"policy-imposed\""), "{page}");
    assert!(!page.contains("id=\"policy-switch\""), "{page}");
    let lifted = policy(&o, "0").await;
    assert_eq!(lifted.status, 400, "{}", lifted.body);
    assert!(lifted.body.contains("снять это требование может только он"));
    let off = |step: i64| {
        let o = &o;
        let key = key.clone();
        async move {
            let csrf = o.get("/cabinet/settings/2fa").await.csrf();
            let code = totp_code(&key, step);
            let form = [
                ("csrf", csrf.as_str()),
                ("password", "secret-password"),
                ("code", code.as_str()),
            ];
            o.post("/cabinet/settings/2fa/off", &form).await
        }
    };
    let kept = off(1).await;
    assert_eq!(kept.status, 400, "{}", kept.body);
    assert!(kept.body.contains("Оператор сервиса требует вход с кодом"));

    // Both journals name the operator and the sessions ended (the owner's and the admin's).
    let journaled = format!(
        "SELECT COUNT(*) FROM audit_events WHERE partner_id = {} AND actor = 'operator:ops'
           AND action = 'second_factor_required'
           AND detail = 'завершено сеансов администраторов без кода: 2'",
        p.id
    );
    assert_eq!(app.count(&journaled).await, 1);
    let operator_journaled = format!(
        "SELECT COUNT(*) FROM operator_events WHERE partner_inn = '{}' AND actor = 'operator:ops'
           AND action = 'second_factor_required'",
        p.inn
    );
    assert_eq!(app.count(&operator_journaled).await, 1);
    // Asked again, nothing changes and nothing more is journaled.
    let again = impose(&ops, p.id, "1").await;
    assert!(
        again
            .location
            .unwrap()
            .contains("done=code_policy_unchanged")
    );
    assert_eq!(app.count(&operator_journaled).await, 1);

    // Lifted by the operator: the company's own choice again, and the code may go.
    let lift = impose(&ops, p.id, "0").await;
    assert!(lift.location.unwrap().contains("done=code_lifted"));
    assert_eq!(off(1).await.status, 303);
    let h = Browser::new(&app);
    let login = h.login("cabinet", "kadry", "hr-password-1").await;
    assert_eq!(login.location.as_deref(), Some("/cabinet"));
    let lifted = format!(
        "SELECT COUNT(*) FROM operator_events WHERE partner_inn = '{}'
           AND action = 'second_factor_optional'",
        p.inn
    );
    assert_eq!(app.count(&lifted).await, 1);
}

async fn an_hr_officer_manages_employees_and_groups_and_sends_but_changes_no_setting(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иванов Иван").await;
    let (owner, hr, _, secret) =
        with_role(&app, &p, "kadrovik", "Кадровик", "hr", "без настроек").await;
    let home = hr.get("/cabinet").await.body;
    assert!(home.contains("no-settings"), "{home}");
    let settings = hr.get("/cabinet/settings").await.body;
    assert!(settings.contains("id=\"no-settings\""), "{settings}");
    let webhook = hr.get("/cabinet/webhook").await.body;
    assert!(webhook.contains("webhook-secret-hidden"), "{webhook}");
    assert!(!webhook.contains(&secret));

    // The employees, the groups and the messages are theirs to change.
    let csrf = hr.get("/cabinet/settings").await.csrf();
    let state_path = format!("/cabinet/employees/{}/state", e.id);
    let disabled = hr
        .post(
            &state_path,
            &[("csrf", csrf.as_str()), ("state", "disabled")],
        )
        .await;
    assert_eq!(disabled.status, 303, "{}", disabled.body);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM staff WHERE state = 'disabled'")
            .await,
        1
    );
    let enabled = hr
        .post(&state_path, &[("csrf", csrf.as_str()), ("state", "active")])
        .await;
    assert_eq!(enabled.status, 303, "{}", enabled.body);
    let group = hr
        .post(
            "/cabinet/groups",
            &[("csrf", csrf.as_str()), ("do", "save"), ("name", "Смена")],
        )
        .await;
    assert_eq!(group.status, 303, "{}", group.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM staff_groups").await, 1);
    let sent = hr.send_to(&e.id, "Смена", "С 8:00").await;
    assert_eq!(sent.status, 200, "{}", sent.body);

    // The settings and the webhook are refused with the reason, and nothing changes.
    let tokens = "SELECT COUNT(*) FROM partner_tokens";
    let before = app.count(tokens).await;
    for (path, form) in [
        ("/cabinet/settings/token", vec![("grace_secs", "0")]),
        (
            "/cabinet/settings/keys",
            vec![("name", "1С"), ("access", "full")],
        ),
        ("/cabinet/settings/policy", vec![("policy", "list")]),
        ("/cabinet/settings/retention", vec![("days", "30")]),
        ("/cabinet/webhook", vec![("do", "rotate")]),
    ] {
        let mut fields = vec![("csrf", csrf.as_str())];
        fields.extend(form);
        let refused = hr.post(path, &fields).await;
        assert_eq!(refused.status, 403, "{path}: {}", refused.body);
        assert!(
            refused.body.contains("настройки, ключи API и вебхук"),
            "{path}"
        );
    }
    assert_eq!(app.count(tokens).await, before);
    let hook = app.state.store.webhook(p.id).await.unwrap().unwrap();
    assert_eq!(hook.secret, secret);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM partners WHERE staff_list_only = TRUE")
            .await,
        0
    );
    // Their own password is theirs.
    let own = hr
        .post(
            "/cabinet/settings/password",
            &[
                ("csrf", csrf.as_str()),
                ("current", "kadrovik-password"),
                ("new", "kadrovik-password-2"),
                ("confirm", "kadrovik-password-2"),
            ],
        )
        .await;
    assert_eq!(own.status, 303, "{}", own.body);

    // The journal says so, in both languages.
    let refusals = "SELECT COUNT(*) FROM audit_events WHERE action = 'rights_refused'
        AND actor = 'admin:kadrovik'
        AND detail = '/cabinet/settings/token; учётная запись без доступа к настройкам'";
    assert_eq!(app.count(refusals).await, 1);
    let journal = owner.get("/cabinet/journal").await.body;
    assert!(
        journal.contains("kadrovik (Кадровик), сотрудники и сообщения без настроек"),
        "{journal}"
    );
    let english = owner.get("/cabinet/journal?lang=en").await.body;
    assert!(
        english.contains("employees and messages without the settings"),
        "{english}"
    );
}
