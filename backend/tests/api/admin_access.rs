//! One login for several companies: a named admin of one company given access to another's
//! cabinet (an outsourced accountant, a holding's HR), which opens once they accept it, with the
//! right the giving company chose; they move between the companies, each company's data its
//! own, and the company that gave it disables, changes or closes it alone.

use crate::admins::{add, policy};
use crate::cabinet::{Browser, Page};
use crate::helpers::*;
use crate::second_factor::turn_on;

both_databases!(
    another_companys_admin_works_in_the_cabinet_once_given_access_and_accepted,
    an_access_is_disabled_changed_and_closed_by_the_company_that_gave_it,
    a_company_that_requires_a_login_code_lets_another_companys_admin_in_only_with_one,
);

const ADMINS: &str = "/cabinet/settings/admins";
const BUH: &str = "buh@outsource.ru";
const BUH_PASSWORD: &str = "buh-password-1";
const PHONE_A: &str = "+79001112233";

/// The owner's form giving `login` access with `role`.
async fn grant(owner: &Browser, login: &str, role: &str) -> Page {
    let csrf = owner.get(ADMINS).await.csrf();
    owner
        .post(
            &format!("{ADMINS}/access"),
            &[("csrf", &csrf), ("login", login), ("role", role)],
        )
        .await
}

/// The id of `login`'s access to the company.
async fn access_id(app: &TestApp, partner: &Partner) -> i64 {
    app.count(&format!(
        "SELECT x.id FROM admin_access x JOIN partner_admins a ON a.id = x.admin_id
         WHERE a.login = '{BUH}' AND x.partner_id = {}",
        partner.id
    ))
    .await
}

/// The admin's own form on their companies' page: `accept` or `decline`.
async fn answer(b: &Browser, id: i64, what: &str) -> Page {
    let csrf = b.get("/cabinet/access").await.csrf();
    b.post(&format!("/cabinet/access/{id}/{what}"), &[("csrf", &csrf)])
        .await
}

/// Moves the admin's browser into the company.
async fn enter(b: &Browser, partner_id: i64) -> Page {
    let csrf = b.get("/cabinet/access").await.csrf();
    let company = partner_id.to_string();
    b.post(
        "/cabinet/access/enter",
        &[("csrf", &csrf), ("company", &company)],
    )
    .await
}

/// Company A whose owner has added the accountant (full rights at home), logged in; company B
/// and its owner, logged in.
async fn two_companies(app: &TestApp) -> (Partner, Partner, Browser, Browser) {
    let a = app.create_partner(INN_A).await;
    let b = app.create_partner(INN_B).await;
    let a_owner = Browser::new(app);
    a_owner.partner(&a.inn).await;
    let added = add(&a_owner, BUH, "Бухгалтерия Аутсорс", BUH_PASSWORD).await;
    assert_eq!(added.status, 303, "{}", added.body);
    let b_owner = Browser::new(app);
    b_owner.partner(&b.inn).await;
    let buh = Browser::new(app);
    let login = buh.login("cabinet", BUH, BUH_PASSWORD).await;
    assert_eq!(
        login.location.as_deref(),
        Some("/cabinet"),
        "{}",
        login.body
    );
    (a, b, b_owner, buh)
}

async fn another_companys_admin_works_in_the_cabinet_once_given_access_and_accepted(app: TestApp) {
    let (a, b, b_owner, buh) = two_companies(&app).await;
    let a_employee = app.login(INN_A, PHONE_A, "Алексеева Анна").await;
    let b_employee = app.login(INN_B, PHONE, "Петров Пётр").await;
    let home = buh.get("/cabinet").await.body;
    assert!(home.contains(&format!("{BUH} · {INN_A}")), "{home}");
    assert!(!home.contains("id=\"companies\""), "no other company yet");

    // Refused, the login kept: nobody's, and B's own admin.
    let nobody = grant(&b_owner, "nobody@nowhere.ru", "sender").await;
    assert_eq!(nobody.status, 400, "{}", nobody.body);
    assert!(
        nobody
            .body
            .contains("Администратора с логином nobody@nowhere.ru нет"),
        "{}",
        nobody.body
    );
    assert!(nobody.body.contains("value=\"nobody@nowhere.ru\""));
    assert_eq!(app.count("SELECT COUNT(*) FROM admin_access").await, 0);
    let granted = grant(&b_owner, " BUH@Outsource.ru ", "sender").await;
    assert_eq!(
        granted.location.as_deref(),
        Some("/cabinet/settings/admins?done=access_granted"),
        "{}",
        granted.body
    );
    let again = grant(&b_owner, BUH, "admin").await;
    assert_eq!(again.status, 400);
    assert!(again.body.contains("уже есть доступ"), "{}", again.body);
    let list = b_owner.get(ADMINS).await.body;
    assert!(list.contains(&format!("data-guest=\"{BUH}\"")), "{list}");
    assert!(list.contains("ждёт согласия"), "{list}");
    // Whose admin they are is told once they accept, not to whoever types a login.
    assert!(!list.contains(&format!("({INN_A})")), "{list}");
    // Only a company's main account gives access.
    let csrf = buh.get("/cabinet/settings").await.csrf();
    let forged = buh
        .post(
            &format!("{ADMINS}/access"),
            &[("csrf", &csrf), ("login", BUH), ("role", "admin")],
        )
        .await;
    assert_eq!(forged.status, 403);

    // It waits for them: shown, and it opens nothing before they accept it.
    let waiting = buh.get("/cabinet").await.body;
    assert!(waiting.contains("id=\"companies-waiting\">1<"), "{waiting}");
    let page = buh.get("/cabinet/access").await.body;
    assert!(page.contains(&format!("data-inn=\"{INN_B}\"")), "{page}");
    assert!(page.contains("ждёт вашего согласия"), "{page}");
    assert_eq!(enter(&buh, b.id).await.status, 404);
    let id = access_id(&app, &b).await;
    let accepted = answer(&buh, id, "accept").await;
    assert_eq!(
        accepted.location.as_deref(),
        Some("/cabinet/access?done=access_accepted")
    );
    assert_eq!(answer(&buh, id, "accept").await.status, 400, "once");
    let list = b_owner.get(ADMINS).await.body;
    assert!(
        list.contains(&format!("id=\"guest-home-{id}\">ООО Весна ({INN_A})<")),
        "{list}"
    );

    // A form of company A's page, open in another tab, is not posted into company B.
    let a_csrf = buh.get("/cabinet/templates").await.csrf();
    let entered = enter(&buh, b.id).await;
    assert_eq!(entered.location.as_deref(), Some("/cabinet?done=entered"));
    let stale = buh
        .post(
            "/cabinet/templates",
            &[
                ("csrf", &a_csrf),
                ("do", "save"),
                ("name", "Смена"),
                ("title", "Смена"),
                ("text", "Завтра смена"),
            ],
        )
        .await;
    assert_eq!(stale.status, 403, "{}", stale.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM message_templates").await, 0);

    // In B: B's data alone, with the right B gave (sending).
    let in_b = buh.get("/cabinet").await.body;
    assert!(
        in_b.contains(&format!("{BUH} · {INN_B} · ООО Весна")),
        "{in_b}"
    );
    assert!(in_b.contains("class=\"area-cabinet sends-only\""), "{in_b}");
    let staff = buh.get("/cabinet/employees").await.body;
    assert!(
        staff.contains("Петров Пётр") && !staff.contains("Алексеева"),
        "{staff}"
    );
    let sent = buh.send_to(&b_employee.id, "Табель", "Сдайте табель").await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let stored = format!(
        "SELECT COUNT(*) FROM messages WHERE partner_id = {} AND title = 'Табель'
           AND sent_by = 'admin:{BUH}'",
        b.id
    );
    assert_eq!(app.count(&stored).await, 1);
    let cross = buh.send_to(&a_employee.id, "Чужой", "Не туда").await;
    assert_ne!(cross.status, 200, "A's employee is not B's");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM messages WHERE title = 'Чужой'")
            .await,
        0
    );
    let csrf = buh.get("/cabinet/groups").await.csrf();
    let group = buh
        .post(
            "/cabinet/groups",
            &[("csrf", &csrf), ("do", "save"), ("name", "Смена")],
        )
        .await;
    assert_eq!(group.status, 403, "a sender's right: {}", group.body);
    assert!(group.body.contains("для отправки сообщений"));
    assert_eq!(app.count("SELECT COUNT(*) FROM staff_groups").await, 0);
    // B's admins page stays B's main account's.
    assert_eq!(buh.get(ADMINS).await.status, 403);

    // B's journal names them; A's knows nothing of B.
    let journal = b_owner.get("/cabinet/journal").await.body;
    for words in [
        "Дан доступ к кабинету",
        "Доступ к кабинету принят",
        "переход из другой организации по доступу",
        &format!("Администратор {BUH}"),
    ] {
        assert!(journal.contains(words), "{words}: {journal}");
    }
    assert!(
        journal.contains(&format!(
            "<option value=\"admin:{BUH}\">Администратор {BUH} (Бухгалтерия Аутсорс)</option>"
        )),
        "{journal}"
    );
    let english = b_owner.get("/cabinet/journal?lang=en").await.body;
    assert!(
        english.contains("sending messages, another company&#39;s admin"),
        "{english}"
    );
    let a_owner = Browser::new(&app);
    a_owner.partner(&a.inn).await;
    let a_journal = a_owner.get("/cabinet/journal").await.body;
    assert!(!a_journal.contains("Дан доступ"), "{a_journal}");
    let messages = b_owner
        .get("/cabinet/messages?by=admin%3Abuh%40outsource.ru")
        .await
        .body;
    assert!(messages.contains("Табель"), "{messages}");

    // Back home with full rights; a company without an access is not entered.
    let back = enter(&buh, a.id).await;
    assert_eq!(back.location.as_deref(), Some("/cabinet?done=entered"));
    let home = buh.get("/cabinet").await.body;
    assert!(home.contains(&format!("{BUH} · {INN_A}")), "{home}");
    assert!(!home.contains("sends-only"), "{home}");
    let c = app.create_partner("7728168971").await;
    assert_eq!(enter(&buh, c.id).await.status, 404);
    assert_eq!(enter(&buh, b.id).await.status, 303);
}

async fn an_access_is_disabled_changed_and_closed_by_the_company_that_gave_it(app: TestApp) {
    let (a, b, b_owner, buh) = two_companies(&app).await;
    assert_eq!(grant(&b_owner, BUH, "admin").await.status, 303);
    let id = access_id(&app, &b).await;
    assert_eq!(answer(&buh, id, "accept").await.status, 303);
    assert_eq!(enter(&buh, b.id).await.status, 303);
    let full = buh.get("/cabinet").await.body;
    assert!(!full.contains("sends-only") && !full.contains("read-only"));

    // A new right counts from the next page.
    let act = |id: i64, what: &'static str| {
        let b_owner = &b_owner;
        async move {
            let csrf = b_owner.get(ADMINS).await.csrf();
            b_owner
                .post(&format!("{ADMINS}/access/{id}/{what}"), &[("csrf", &csrf)])
                .await
        }
    };
    assert_eq!(act(id, "viewer").await.status, 303);
    let viewer = buh.get("/cabinet").await.body;
    assert!(
        viewer.contains("class=\"area-cabinet read-only\""),
        "{viewer}"
    );
    // Another company neither sees nor reaches B's access.
    let a_owner = Browser::new(&app);
    a_owner.partner(&a.inn).await;
    assert!(!a_owner.get(ADMINS).await.body.contains("data-guest"));
    let csrf = a_owner.get(ADMINS).await.csrf();
    let reach = a_owner
        .post(&format!("{ADMINS}/access/{id}/remove"), &[("csrf", &csrf)])
        .await;
    assert_eq!(reach.status, 404);
    assert_eq!(app.count("SELECT COUNT(*) FROM admin_access").await, 1);

    // Disabled: their session in B ends at once, and B stays closed to them.
    assert_eq!(act(id, "disable").await.status, 303);
    assert_eq!(
        buh.get("/cabinet").await.location.as_deref(),
        Some("/cabinet/login")
    );
    let login = buh.login("cabinet", BUH, BUH_PASSWORD).await;
    assert_eq!(login.location.as_deref(), Some("/cabinet"));
    let page = buh.get("/cabinet/access").await.body;
    assert!(page.contains("доступ закрыт"), "{page}");
    let refused = enter(&buh, b.id).await;
    assert_eq!(refused.status, 403);
    assert!(
        refused.body.contains("отключила ваш доступ"),
        "{}",
        refused.body
    );
    assert_eq!(act(id, "enable").await.status, 303);
    assert_eq!(enter(&buh, b.id).await.status, 303);

    // Given up from inside B: back home, B's page no longer theirs.
    let csrf = buh.get("/cabinet/access").await.csrf();
    let given_up = buh
        .post(&format!("/cabinet/access/{id}/decline"), &[("csrf", &csrf)])
        .await;
    assert_eq!(given_up.status, 303, "{}", given_up.body);
    assert!(
        buh.get("/cabinet")
            .await
            .body
            .contains(&format!("{BUH} · {INN_A}"))
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM admin_access").await, 0);
    let journal = b_owner.get("/cabinet/journal").await.body;
    for words in [
        "От доступа к кабинету отказались",
        "Администратор кабинета отключён",
        "Изменены права администратора кабинета",
    ] {
        assert!(journal.contains(words), "{words}: {journal}");
    }

    // Closed by B: the session in B ends.
    assert_eq!(grant(&b_owner, BUH, "admin").await.status, 303);
    let id = access_id(&app, &b).await;
    assert_eq!(answer(&buh, id, "accept").await.status, 303);
    assert_eq!(enter(&buh, b.id).await.status, 303);
    assert_eq!(act(id, "remove").await.status, 303);
    assert_eq!(
        buh.get("/cabinet").await.location.as_deref(),
        Some("/cabinet/login")
    );
    assert!(
        b_owner
            .get("/cabinet/journal")
            .await
            .body
            .contains("Доступ к кабинету закрыт")
    );

    // Their own company gives them a new password: whoever reset it could be them now, so
    // B's access is disabled until B enables it again, and B's journal says why.
    let login = buh.login("cabinet", BUH, BUH_PASSWORD).await;
    assert_eq!(login.location.as_deref(), Some("/cabinet"));
    assert_eq!(grant(&b_owner, BUH, "admin").await.status, 303);
    let id = access_id(&app, &b).await;
    assert_eq!(answer(&buh, id, "accept").await.status, 303);
    assert_eq!(enter(&buh, b.id).await.status, 303);
    let own_id = app
        .count(&format!(
            "SELECT id FROM partner_admins WHERE login = '{BUH}'"
        ))
        .await;
    let csrf = a_owner.get(ADMINS).await.csrf();
    let reset = a_owner
        .post(
            &format!("{ADMINS}/{own_id}/reset"),
            &[("csrf", &csrf), ("password", "buh-password-2")],
        )
        .await;
    assert_eq!(reset.status, 303, "{}", reset.body);
    assert_eq!(
        buh.get("/cabinet").await.location.as_deref(),
        Some("/cabinet/login")
    );
    let disabled = "SELECT COUNT(*) FROM admin_access WHERE disabled = TRUE";
    assert_eq!(app.count(disabled).await, 1);
    let journal = b_owner.get("/cabinet/journal").await.body;
    assert!(
        journal.contains("его организация задала ему новый пароль"),
        "{journal}"
    );
    let login = buh.login("cabinet", BUH, "buh-password-2").await;
    assert_eq!(login.location.as_deref(), Some("/cabinet"));
    assert_eq!(enter(&buh, b.id).await.status, 403);
    assert_eq!(act(id, "enable").await.status, 303);
    assert_eq!(enter(&buh, b.id).await.status, 303);

    // Their own company deletes them: every access goes with them.
    let csrf = a_owner.get(ADMINS).await.csrf();
    let deleted = a_owner
        .post(&format!("{ADMINS}/{own_id}/delete"), &[("csrf", &csrf)])
        .await;
    assert_eq!(deleted.status, 303);
    assert_eq!(app.count("SELECT COUNT(*) FROM admin_access").await, 0);
}

async fn a_company_that_requires_a_login_code_lets_another_companys_admin_in_only_with_one(
    app: TestApp,
) {
    let (a, b, b_owner, buh) = two_companies(&app).await;
    assert_eq!(grant(&b_owner, BUH, "admin").await.status, 303);
    let id = access_id(&app, &b).await;
    assert_eq!(answer(&buh, id, "accept").await.status, 303);
    assert_eq!(enter(&buh, b.id).await.status, 303);

    // B requires a code: their session in B, without one, ends.
    turn_on(&b_owner, "/cabinet/settings/2fa", "secret-password").await;
    assert_eq!(policy(&b_owner, "1").await.status, 303);
    assert_eq!(
        buh.get("/cabinet").await.location.as_deref(),
        Some("/cabinet/login")
    );
    // Their own company asks nothing, so they log in; B stays closed until their code is on.
    let login = buh.login("cabinet", BUH, BUH_PASSWORD).await;
    assert_eq!(login.location.as_deref(), Some("/cabinet"));
    let refused = enter(&buh, b.id).await;
    assert_eq!(refused.status, 403);
    assert!(
        refused.body.contains("требует вход с кодом"),
        "{}",
        refused.body
    );
    let (key, _, _) = turn_on(&buh, "/cabinet/settings/2fa", BUH_PASSWORD).await;
    assert_eq!(enter(&buh, b.id).await.status, 303);

    // Nor do they turn it off at home while B requires it.
    assert_eq!(enter(&buh, a.id).await.status, 303);
    let csrf = buh.get("/cabinet/settings/2fa").await.csrf();
    let code = totp_code(&key, 1);
    let off = buh
        .post(
            "/cabinet/settings/2fa/off",
            &[
                ("csrf", csrf.as_str()),
                ("password", BUH_PASSWORD),
                ("code", code.as_str()),
            ],
        )
        .await;
    assert_eq!(off.status, 400, "{}", off.body);
    assert!(off.body.contains("требует вход с кодом"), "{}", off.body);
    let on = "SELECT COUNT(*) FROM second_factors WHERE kind = 'admin' AND enabled_at IS NOT NULL";
    assert_eq!(app.count(on).await, 1);
}
