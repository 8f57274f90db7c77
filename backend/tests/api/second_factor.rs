//! A login code from an authenticator app, for the cabinet's admin and the operator: turned on
//! with a first code, asked after the password, each code accepted once, throttled as the
//! password is, and removed by the operator's (or the command line's) password reset.

use crate::cabinet::{Browser, Page};
use crate::helpers::*;

both_databases!(
    an_admin_turns_the_login_code_on_and_a_password_alone_no_longer_opens_the_cabinet,
    wrong_codes_are_throttled_and_the_password_no_longer_clears_the_count,
    the_operator_turns_the_login_code_on_and_off_for_their_own_login,
);

/// The key the setup page shows, in its groups.
pub(crate) fn shown_key(page: &Page) -> String {
    const MARK: &str = "id=\"tfa-secret\">";
    let start = page.body.find(MARK).expect("the key on the page") + MARK.len();
    page.body[start..].split('<').next().unwrap().to_owned()
}

/// A code that is not the one given.
fn other_code(code: &str) -> String {
    let n: u32 = code.parse().unwrap();
    format!("{:06}", (n + 1) % 1_000_000)
}

/// The recovery codes a page shows.
pub(crate) fn shown_codes(page: &Page) -> Vec<String> {
    let Some(list) = page.body.split("id=\"recovery-codes\">").nth(1) else {
        return vec![];
    };
    let list = list.split("</ul>").next().unwrap();
    list.split("<code>")
        .skip(1)
        .map(|c| c.split('<').next().unwrap().to_owned())
        .collect()
}

/// Turns the login code on from the setup page at `page` (posting to `page/on`); answers the
/// key, the step's code used and the recovery codes.
pub(crate) async fn turn_on(
    b: &Browser,
    page: &str,
    password: &str,
) -> (String, String, Vec<String>) {
    let setup = b.get(page).await;
    assert_eq!(setup.status, 200, "{}", setup.body);
    assert!(setup.body.contains("<svg"), "a QR code: {}", setup.body);
    let key = shown_key(&setup);
    assert_eq!(key.split_whitespace().collect::<String>().len(), 32);
    // A reload shows what was scanned, not a new key.
    assert_eq!(shown_key(&b.get(page).await), key);
    let csrf = setup.csrf();
    let code = totp_code(&key, 0);
    let wrong_password = b
        .post(
            &format!("{page}/on"),
            &[("csrf", &csrf), ("password", "not-it"), ("code", &code)],
        )
        .await;
    assert_eq!(wrong_password.status, 400);
    assert!(
        wrong_password
            .body
            .contains("Текущий пароль введён неверно")
    );
    let wrong_code = b
        .post(
            &format!("{page}/on"),
            &[
                ("csrf", &csrf),
                ("password", password),
                ("code", &other_code(&code)),
            ],
        )
        .await;
    assert_eq!(wrong_code.status, 400);
    assert!(wrong_code.body.contains("Код неверный или уже использован"));
    assert!(
        b.get(page).await.body.contains("id=\"tfa-off\""),
        "still off"
    );
    let on = b
        .post(
            &format!("{page}/on"),
            &[("csrf", &csrf), ("password", password), ("code", &code)],
        )
        .await;
    // The answer itself shows the recovery codes, this once.
    assert_eq!(on.status, 200, "{}", on.body);
    assert!(on.body.contains("id=\"tfa-on\""), "{}", on.body);
    let codes = shown_codes(&on);
    assert_eq!(codes.len(), 10, "{}", on.body);
    assert!(
        codes
            .iter()
            .all(|c| c.len() == 11 && c.as_bytes()[5] == b'-'),
        "{codes:?}"
    );
    let shown = b.get(page).await;
    assert!(shown.body.contains("id=\"tfa-on\""), "{}", shown.body);
    assert!(
        !shown.body.contains("tfa-secret"),
        "the key is not shown again"
    );
    assert!(shown_codes(&shown).is_empty(), "nor the recovery codes");
    (key, code, codes)
}

async fn an_admin_turns_the_login_code_on_and_a_password_alone_no_longer_opens_the_cabinet(
    app: TestApp,
) {
    let p = app.create_partner(INN_A).await;
    let b = Browser::new(&app);
    let settings = {
        b.partner(&p.inn).await;
        b.get("/cabinet/settings").await
    };
    assert!(settings.body.contains("id=\"second-factor\""));
    assert!(settings.body.contains("выключен"));
    let (key, used, recovery) = turn_on(&b, "/cabinet/settings/2fa", "secret-password").await;
    assert!(b.get("/cabinet/settings").await.body.contains("включён"));

    // The password alone: the code's form, and nothing of the cabinet.
    let c = Browser::new(&app);
    let first = c.login("cabinet", &p.inn, "secret-password").await;
    assert_eq!(first.location.as_deref(), Some("/cabinet/login/code"));
    assert_eq!(
        c.get("/cabinet").await.location.as_deref(),
        Some("/cabinet/login"),
        "waiting for the code is no session"
    );
    let form = c.get("/cabinet/login/code").await;
    assert_eq!(form.status, 200);
    let csrf = form.csrf();
    // The code that turned it on was seen once: it opens nothing again.
    let replay = c
        .post("/cabinet/login/code", &[("csrf", &csrf), ("code", &used)])
        .await;
    assert_eq!(replay.status, 401, "{}", replay.body);
    assert!(replay.body.contains("уже использован"), "{}", replay.body);
    let next = totp_code(&key, 1);
    let spaced = format!("{} {}", &next[..3], &next[3..]);
    let done = c
        .post("/cabinet/login/code", &[("csrf", &csrf), ("code", &spaced)])
        .await;
    assert_eq!(done.location.as_deref(), Some("/cabinet"), "{}", done.body);
    assert_eq!(c.get("/cabinet").await.status, 200);
    // The waiting login is gone with its code: the form sends back to the first step.
    assert_eq!(
        c.get("/cabinet/login/code").await.location.as_deref(),
        Some("/cabinet/login")
    );
    // Nor does the code open a second login.
    let d = Browser::new(&app);
    d.login("cabinet", &p.inn, "secret-password").await;
    let csrf = d.get("/cabinet/login/code").await.csrf();
    let again = d
        .post("/cabinet/login/code", &[("csrf", &csrf), ("code", &next)])
        .await;
    assert_eq!(again.status, 401);

    // A recovery code in place of the app's, once (as typed from paper: lower case, a space).
    let typed = recovery[3].to_lowercase().replace('-', " ");
    let paper = Browser::new(&app);
    paper.login("cabinet", &p.inn, "secret-password").await;
    let csrf = paper.get("/cabinet/login/code").await.csrf();
    let opened = paper
        .post("/cabinet/login/code", &[("csrf", &csrf), ("code", &typed)])
        .await;
    assert_eq!(
        opened.location.as_deref(),
        Some("/cabinet"),
        "{}",
        opened.body
    );
    let twice = Browser::new(&app);
    twice.login("cabinet", &p.inn, "secret-password").await;
    let csrf = twice.get("/cabinet/login/code").await.csrf();
    let refused = twice
        .post(
            "/cabinet/login/code",
            &[("csrf", &csrf), ("code", &recovery[3])],
        )
        .await;
    assert_eq!(refused.status, 401, "a recovery code works once");

    let journal = c.get("/cabinet/journal").await.body;
    assert!(
        journal.contains("с кодом восстановления, осталось кодов: 9"),
        "{journal}"
    );
    for words in [
        "Включён вход с кодом из приложения",
        "Вход в кабинет: <span class=\"audit-detail\">с кодом из приложения",
        "пароль верный, код из приложения неверный",
    ] {
        assert!(journal.contains(words), "{words}: {journal}");
    }

    // Lost the phone: the operator's password reset removes the code, and says so.
    let ops = Browser::new(&app);
    ops.operator(&app).await;
    // The operator sees which companies' admins log in with a code.
    let row = |page: Page| {
        let marker = format!("data-partner-inn=\"{}\"", p.inn);
        let row = page.body.split(&marker).nth(1).expect("the company's row");
        row.split("</tr>").next().unwrap().to_owned()
    };
    let list = ops.get("/operator").await;
    let csrf = list.csrf();
    assert!(row(list).contains("вход с кодом"));
    let reset = ops
        .post(
            &format!("/operator/partners/{}/password", p.id),
            &[("csrf", &csrf), ("password", "new-secret-password")],
        )
        .await;
    assert_eq!(reset.status, 303);
    assert_eq!(
        c.get("/cabinet").await.location.as_deref(),
        Some("/cabinet/login"),
        "the sessions end with the reset"
    );
    assert!(!row(ops.get("/operator").await).contains("вход с кодом"));
    let back = c.login("cabinet", &p.inn, "new-secret-password").await;
    assert_eq!(back.location.as_deref(), Some("/cabinet"), "no code asked");
    let journal = c.get("/cabinet/journal").await.body;
    assert!(
        journal.contains("Пароль кабинета сброшен: <span class=\"audit-detail\">вход по коду из приложения отключён"),
        "{journal}"
    );
    let english = c.get("/cabinet/journal?lang=en").await.body;
    assert!(
        english.contains("login with a code from the app turned off"),
        "{english}"
    );
}

async fn wrong_codes_are_throttled_and_the_password_no_longer_clears_the_count(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let b = Browser::new(&app);
    b.partner(&p.inn).await;
    let (key, _, _) = turn_on(&b, "/cabinet/settings/2fa", "secret-password").await;
    let right = totp_code(&key, 1);
    let wrong = other_code(&right);
    let c = Browser::new(&app);
    // Five wrong codes, each after the right password: the password does not clear the count.
    for _ in 0..5 {
        let first = c.login("cabinet", &p.inn, "secret-password").await;
        assert_eq!(first.location.as_deref(), Some("/cabinet/login/code"));
        let csrf = c.get("/cabinet/login/code").await.csrf();
        let refused = c
            .post("/cabinet/login/code", &[("csrf", &csrf), ("code", &wrong)])
            .await;
        assert_eq!(refused.status, 401);
    }
    let throttled = c.login("cabinet", &p.inn, "secret-password").await;
    assert_eq!(throttled.status, 429, "{}", throttled.body);
    // Another company's admin is not held back.
    app.create_partner(INN_B).await;
    let other = Browser::new(&app);
    assert_eq!(
        other
            .login("cabinet", INN_B, "secret-password")
            .await
            .location
            .as_deref(),
        Some("/cabinet")
    );
}

async fn the_operator_turns_the_login_code_on_and_off_for_their_own_login(app: TestApp) {
    let ops = Browser::new(&app);
    ops.operator(&app).await;
    let (key, used, _) = turn_on(&ops, "/operator/2fa", "operator-password").await;

    // Turning it off takes the password and a code not used before.
    let csrf = ops.get("/operator/2fa").await.csrf();
    let off = |code: String| {
        let csrf = csrf.clone();
        let ops = &ops;
        async move {
            ops.post(
                "/operator/2fa/off",
                &[
                    ("csrf", csrf.as_str()),
                    ("password", "operator-password"),
                    ("code", &code),
                ],
            )
            .await
        }
    };
    assert_eq!(off(used).await.status, 400);
    let done = off(totp_code(&key, 1)).await;
    assert_eq!(
        done.location.as_deref(),
        Some("/operator/2fa?done=tfa_off"),
        "{}",
        done.body
    );
    let plain = Browser::new(&app);
    assert_eq!(
        plain
            .login("operator", "ops", "operator-password")
            .await
            .location
            .as_deref(),
        Some("/operator")
    );

    // On again, with a new key; then the login asks for its code.
    let (key, _, codes) = turn_on(&ops, "/operator/2fa", "operator-password").await;
    let again = Browser::new(&app);
    let first = again.login("operator", "ops", "operator-password").await;
    assert_eq!(first.location.as_deref(), Some("/operator/login/code"));
    assert_eq!(
        again.get("/operator").await.location.as_deref(),
        Some("/operator/login")
    );
    // The operator's waiting login opens no company's code form.
    assert_eq!(
        again.get("/cabinet/login/code").await.location.as_deref(),
        Some("/cabinet/login")
    );
    let csrf = again.get("/operator/login/code").await.csrf();
    let next = totp_code(&key, 1);
    let wrong = again
        .post(
            "/operator/login/code",
            &[("csrf", &csrf), ("code", &other_code(&next))],
        )
        .await;
    assert_eq!(wrong.status, 401);
    let done = again
        .post("/operator/login/code", &[("csrf", &csrf), ("code", &next)])
        .await;
    assert_eq!(done.location.as_deref(), Some("/operator"));
    assert_eq!(again.get("/operator").await.status, 200);

    let events: Vec<(String, String, String)> = app
        .state
        .store
        .list_operator_events(None, None, 20)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.actor, e.action, e.detail))
        .collect();
    let e = |a: &str, b: &str, c: &str| (a.to_owned(), b.to_owned(), c.to_owned());
    assert_eq!(
        events,
        [
            e("operator:ops", "login", "с кодом из приложения"),
            e(
                "visitor",
                "login_failed",
                "ops; пароль верный, код из приложения неверный"
            ),
            e("operator:ops", "second_factor_on", ""),
            e("operator:ops", "login", ""),
            e("operator:ops", "second_factor_off", ""),
            e("operator:ops", "second_factor_on", ""),
            e("operator:ops", "login", ""),
        ]
    );

    // New recovery codes, given an old one: the old ones stop working, the new ones open.
    let page = again.get("/operator/2fa").await;
    let renewed = again
        .post(
            "/operator/2fa/recovery",
            &[
                ("csrf", &page.csrf()),
                ("password", "operator-password"),
                ("code", &codes[0]),
            ],
        )
        .await;
    assert_eq!(renewed.status, 200, "{}", renewed.body);
    let fresh = shown_codes(&renewed);
    assert_eq!(fresh.len(), 10);
    assert!(fresh.iter().all(|c| !codes.contains(c)), "{fresh:?}");
    let third = Browser::new(&app);
    third.login("operator", "ops", "operator-password").await;
    let csrf = third.get("/operator/login/code").await.csrf();
    let old = third
        .post(
            "/operator/login/code",
            &[("csrf", &csrf), ("code", &codes[1])],
        )
        .await;
    assert_eq!(old.status, 401, "an old code no longer works");
    let new = third
        .post(
            "/operator/login/code",
            &[("csrf", &csrf), ("code", &fresh[1])],
        )
        .await;
    assert_eq!(new.location.as_deref(), Some("/operator"));
    let newest: Vec<String> = app
        .state
        .store
        .list_operator_events(None, None, 3)
        .await
        .unwrap()
        .into_iter()
        .map(|e| format!("{} {}", e.action, e.detail))
        .collect();
    assert_eq!(
        newest,
        [
            "login с кодом восстановления, осталось кодов: 9",
            "login_failed ops; пароль верный, код из приложения неверный",
            "recovery_codes_renewed ",
        ]
    );
}
