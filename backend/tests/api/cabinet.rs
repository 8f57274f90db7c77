//! The web cabinet and the operator area over real HTTP, as a browser without JavaScript would
//! use them: cookies kept by hand, forms posted with their CSRF token, redirects not followed.

use crate::helpers::*;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Mutex;

both_databases!(
    both_ways_of_the_employee_list_give_the_same_pages,
    messages_older_than_the_partners_retention_leave_the_server_with_their_history,
    a_partner_logs_in_with_inn_and_password_sees_the_inn_and_logs_out,
    forms_without_the_sessions_csrf_token_are_refused,
    partner_b_cannot_open_partner_as_message_by_url,
    repeated_wrong_passwords_are_throttled_even_for_the_right_one,
    a_script_in_a_title_shows_as_text,
    the_message_list_filters_searches_sorts_and_pages,
    a_rotated_token_works_at_once_and_the_old_one_only_for_the_grace_period,
    disabling_an_employee_in_the_cabinet_makes_the_api_refuse_messages_to_them,
    the_operator_creates_disables_and_resets_a_partner,
    the_operator_searches_and_pages_partners_and_comes_back_after_an_action,
    sending_from_the_cabinet_to_all_employees_creates_one_message_each,
    both_plans_of_the_message_list_give_the_same_pages,
    the_employee_list_searches_filters_pages_and_comes_back_after_an_action,
    the_search_finds_employees_by_their_names_however_they_were_written,
    a_large_company_filters_messages_by_an_employee_typed_not_picked,
    a_large_company_types_the_recipients_and_gets_a_counted_result,
    the_message_list_downloads_as_csv_with_its_filters_and_sort,
    employees_change_state_in_bulk_and_the_list_downloads_as_csv,
    the_journal_records_who_did_what_and_when,
    the_operator_sees_each_partners_usage_per_month,
    the_operator_corrects_a_partners_names_and_the_app_shows_the_new_one,
    the_english_cabinet_gives_the_rules_refusals_in_english,
    the_guide_is_in_russian_or_in_english_with_the_partners_own_inn,
    an_admin_ends_the_sessions_left_open_on_other_devices,
);

/// The token a page shows in full (after a rotation or a partner's creation), if any.
pub(crate) fn shown_token(body: &str) -> Option<String> {
    const MARK: &str = "id=\"new-token\" class=\"token\">";
    let start = body.find(MARK)? + MARK.len();
    body[start..].split('<').next().map(str::to_owned)
}

/// A cookie-keeping client that does not follow redirects.
pub(crate) struct Browser {
    base: String,
    client: reqwest::Client,
    cookies: Mutex<HashMap<String, String>>,
}

pub(crate) struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    /// The first CSRF token in the page's forms.
    pub fn csrf(&self) -> String {
        let start = self
            .body
            .find("name=\"csrf\" value=\"")
            .expect("a form with a CSRF token")
            + "name=\"csrf\" value=\"".len();
        self.body[start..start + 64].to_owned()
    }
}

impl Browser {
    pub fn new(app: &TestApp) -> Self {
        Self {
            base: app.base.clone(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: Mutex::new(HashMap::new()),
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Page {
        let cookie = self
            .cookies
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let resp = req
            .header("cookie", cookie)
            .send()
            .await
            .expect("request sent");
        for sc in resp.headers().get_all("set-cookie") {
            let sc = sc.to_str().unwrap();
            let (pair, _) = sc.split_once(';').unwrap_or((sc, ""));
            let (k, v) = pair.split_once('=').unwrap();
            let mut jar = self.cookies.lock().unwrap();
            if v.is_empty() || sc.contains("Max-Age=0") {
                jar.remove(k);
            } else {
                jar.insert(k.to_owned(), v.to_owned());
            }
        }
        Page {
            status: resp.status().as_u16(),
            location: resp
                .headers()
                .get("location")
                .map(|v| v.to_str().unwrap().to_owned()),
            headers: resp.headers().clone(),
            body: resp.text().await.unwrap(),
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        self.send(self.client.get(format!("{}{path}", self.base)))
            .await
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        self.send(self.client.post(format!("{}{path}", self.base)).form(form))
            .await
    }

    /// A form with a file, as `enctype="multipart/form-data"` sends it: `(name, file name, bytes)`,
    /// the file name `None` for a plain field.
    pub async fn post_multipart(&self, path: &str, parts: &[(&str, Option<&str>, &[u8])]) -> Page {
        let boundary = "simo-test-boundary-7d1f";
        let mut body = Vec::new();
        for (name, file, bytes) in parts {
            body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            let disposition = match file {
                Some(f) => format!(
                    "form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: text/csv"
                ),
                None => format!("form-data; name=\"{name}\""),
            };
            body.extend_from_slice(
                format!("Content-Disposition: {disposition}\r\n\r\n").as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let request = self
            .client
            .post(format!("{}{path}", self.base))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body);
        self.send(request).await
    }

    /// Logs in through the form, as a person would.
    pub(crate) async fn login(&self, area: &str, login: &str, password: &str) -> Page {
        let form = self.get(&format!("/{area}/login")).await;
        assert_eq!(form.status, 200);
        let csrf = form.csrf();
        self.post(
            &format!("/{area}/login"),
            &[("login", login), ("password", password), ("csrf", &csrf)],
        )
        .await
    }

    /// Creates the operator `ops` and logs this browser in as them.
    pub(crate) async fn operator(&self, app: &TestApp) {
        simo_backend::service::accounts::create_operator(
            &app.state.store,
            "ops",
            "operator-password",
        )
        .await
        .unwrap();
        let page = self.login("operator", "ops", "operator-password").await;
        assert_eq!(page.status, 303, "{}", page.body);
    }

    pub async fn partner(&self, inn: &str) -> Page {
        let page = self.login("cabinet", inn, "secret-password").await;
        assert_eq!(page.status, 303, "{}", page.body);
        assert_eq!(page.location.as_deref(), Some("/cabinet"));
        self.get("/cabinet").await
    }

    /// The send form posted by hand to one employee, as a signed-in admin would; the answer.
    pub async fn send_to(&self, staff: &str, title: &str, text: &str) -> Page {
        let form = self.get("/cabinet/send").await;
        self.post(
            "/cabinet/send",
            &[
                ("csrf", &form.csrf()),
                ("staff", staff),
                ("title", title),
                ("text", text),
            ],
        )
        .await
    }
}

async fn a_partner_logs_in_with_inn_and_password_sees_the_inn_and_logs_out(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let b = Browser::new(&app);
    assert_eq!(b.get("/").await.location.as_deref(), Some("/cabinet/login"));
    assert_eq!(
        b.get("/cabinet/messages").await.location.as_deref(),
        Some("/cabinet/login")
    );

    let wrong = b.login("cabinet", &p.inn, "not-the-password").await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("Неверный логин или пароль"));

    let login = b.login("cabinet", &p.inn, "secret-password").await;
    assert_eq!(login.status, 303);
    let set_cookie: Vec<_> = login
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let session = set_cookie
        .iter()
        .find(|c| c.starts_with("simo_session="))
        .expect("a session cookie");
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax"),
        "{session}"
    );
    assert!(
        !session.contains("Secure"),
        "plain http must not set Secure: {session}"
    );

    let home = b.get("/cabinet").await;
    assert_eq!(home.status, 200);
    assert!(
        home.body.contains(&format!(
            "<span class=\"inn\" title=\"Логин (ИНН)\">{INN_A}</span>"
        )),
        "{}",
        home.body
    );
    let csp = home
        .headers
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert_eq!(home.headers.get("x-frame-options").unwrap(), "DENY");

    let english = b.get("/cabinet?lang=en").await;
    assert!(english.body.contains(">Messages<"), "{}", english.body);
    assert!(
        b.get("/cabinet/employees")
            .await
            .body
            .contains(">Employees<")
    );

    let out = b.post("/cabinet/logout", &[("csrf", &home.csrf())]).await;
    assert_eq!(out.location.as_deref(), Some("/cabinet/login"));
    assert_eq!(
        b.get("/cabinet").await.location.as_deref(),
        Some("/cabinet/login")
    );
}

async fn forms_without_the_sessions_csrf_token_are_refused(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иван Иванов").await;
    let b = Browser::new(&app);
    let form = b.get("/cabinet/login").await;
    let refused = b
        .post(
            "/cabinet/login",
            &[
                ("login", &p.inn),
                ("password", "secret-password"),
                ("csrf", "0"),
            ],
        )
        .await;
    assert_eq!(refused.status, 403, "{}", form.body);
    let home = b.partner(&p.inn).await;
    let path = format!("/cabinet/employees/{}/rename", e.id);
    let missing = b.post(&path, &[("name", "Взломщик")]).await;
    assert_eq!(missing.status, 400, "a form without the field is malformed");
    let wrong = b
        .post(&path, &[("name", "Взломщик"), ("csrf", &"a".repeat(64))])
        .await;
    assert_eq!(wrong.status, 403);
    assert!(wrong.body.contains("Форма устарела"));
    assert!(!b.get("/cabinet/employees").await.body.contains("Взломщик"));

    let ok = b
        .post(&path, &[("name", "Пётр Петров"), ("csrf", &home.csrf())])
        .await;
    assert_eq!(
        ok.location.as_deref(),
        Some("/cabinet/employees?done=renamed")
    );
    let list = b.get("/cabinet/employees?done=renamed").await;
    assert!(list.body.contains("Пётр Петров") && list.body.contains("ФИО сохранено"));
}

async fn partner_b_cannot_open_partner_as_message_by_url(app: TestApp) {
    let a = app.create_partner(INN_A).await;
    let e = app.login(&a.inn, PHONE, "Иван Иванов").await;
    let id = app
        .create_message(&a, &e.id, "Секрет А", "только для А")
        .await
        .ok()["messageid"]
        .as_str()
        .unwrap()
        .to_owned();
    app.create_partner(INN_B).await;

    let browser_a = Browser::new(&app);
    browser_a.partner(INN_A).await;
    let mine = browser_a.get(&format!("/cabinet/messages/{id}")).await;
    assert_eq!(mine.status, 200);
    assert!(mine.body.contains("только для А"));

    let browser_b = Browser::new(&app);
    browser_b.partner(INN_B).await;
    let theirs = browser_b.get(&format!("/cabinet/messages/{id}")).await;
    assert_eq!(theirs.status, 404);
    assert!(!theirs.body.contains("только для А") && !theirs.body.contains("Секрет А"));
    assert!(
        !browser_b
            .get("/cabinet/messages")
            .await
            .body
            .contains("Секрет А")
    );
    assert_eq!(
        browser_b
            .get(&format!("/cabinet/employees/{}/delete", e.id))
            .await
            .status,
        404
    );
    let home = browser_b.get("/cabinet").await;
    let delete = browser_b
        .post(
            &format!("/cabinet/employees/{}/delete", e.id),
            &[("csrf", &home.csrf())],
        )
        .await;
    assert_eq!(delete.status, 404);
    assert_eq!(app.count("SELECT COUNT(*) FROM staff").await, 1);
    // An address whose ID is no number names nothing either: the same page, whichever list.
    for path in [
        "/cabinet/messages/abc",
        "/cabinet/employees/abc/delete",
        "/cabinet/employees/99999999999999999999/delete",
    ] {
        let page = browser_b.get(path).await;
        assert_eq!(page.status, 404, "{path}");
        assert!(
            page.body.contains("Страница не найдена"),
            "{path}: {}",
            page.body
        );
    }
}

async fn repeated_wrong_passwords_are_throttled_even_for_the_right_one(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let b = Browser::new(&app);
    for _ in 0..5 {
        assert_eq!(
            b.login("cabinet", &p.inn, "wrong-password").await.status,
            401
        );
    }
    let refused = b.login("cabinet", &p.inn, "secret-password").await;
    assert_eq!(refused.status, 429, "{}", refused.body);
    assert!(refused.headers.get("retry-after").is_some());
    assert!(refused.body.contains("Слишком много"));
    // Another partner from the same address is not locked out by these five.
    app.create_partner(INN_B).await;
    assert_eq!(
        b.login("cabinet", INN_B, "secret-password").await.status,
        303
    );
}

async fn a_script_in_a_title_shows_as_text(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "<b>Иван</b>").await;
    let title = "<script>alert(1)</script>";
    let id = app
        .create_message(&p, &e.id, title, "\"><img src=x onerror=alert(2)>")
        .await
        .ok()["messageid"]
        .as_str()
        .unwrap()
        .to_owned();
    let b = Browser::new(&app);
    b.partner(INN_A).await;
    for path in [
        "/cabinet/messages".to_owned(),
        format!("/cabinet/messages/{id}"),
        "/cabinet/employees".to_owned(),
    ] {
        let page = b.get(&path).await;
        assert_eq!(page.status, 200);
        assert!(
            !page.body.contains("<script>alert"),
            "{path}: unescaped script"
        );
        assert!(!page.body.contains("<img src=x"), "{path}: unescaped img");
        assert!(!page.body.contains("<b>Иван"), "{path}: unescaped name");
    }
    let page = b.get(&format!("/cabinet/messages/{id}")).await;
    assert!(
        page.body
            .contains("&#60;script&#62;alert(1)&#60;/script&#62;")
            || page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{}",
        page.body
    );
}

async fn the_message_list_filters_searches_sorts_and_pages(_app: TestApp) {
    let app = spawn_app_with(_app.db, |s| s.apply("cabinet_page_size", "5").unwrap())
        .await
        .unwrap();
    let p = app.create_partner(INN_A).await;
    let ivan = app.login(&p.inn, PHONE, "Иванов Иван").await;
    let anna = app.login(&p.inn, "+79001112233", "Аннова Анна").await;
    for i in 0..7 {
        app.create_message(
            &p,
            &ivan.id,
            &format!("Реализация {i}"),
            "Отгрузка со склада",
        )
        .await
        .ok();
    }
    app.create_message(&p, &anna.id, "Планерка", "В 10:00 в переговорной")
        .await
        .ok();
    let b = Browser::new(&app);
    b.partner(INN_A).await;

    let first = b.get("/cabinet/messages").await;
    assert_eq!(first.body.matches("data-message-id=").count(), 5);
    assert!(first.body.contains("Планерка"), "newest first");
    let next = first.body.split("id=\"next-page\"").next().unwrap();
    let href = next
        .rsplit("href=\"")
        .next()
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    let second = b.get(&href).await;
    assert_eq!(second.body.matches("data-message-id=").count(), 3);
    assert!(second.body.contains("Реализация 0") && !second.body.contains("Планерка"));
    assert!(!second.body.contains("id=\"next-page\""));

    let by_anna = b.get(&format!("/cabinet/messages?staff={}", anna.id)).await;
    assert_eq!(by_anna.body.matches("data-message-id=").count(), 1);
    let found = b
        .get("/cabinet/messages?q=%D0%BF%D0%B5%D1%80%D0%B5%D0%B3")
        .await; // "перег": a prefix
    assert_eq!(
        found.body.matches("data-message-id=").count(),
        1,
        "{}",
        found.body
    );
    assert!(found.body.contains("Планерка"));
    let none = b.get("/cabinet/messages?status=read").await;
    assert_eq!(none.body.matches("data-message-id=").count(), 0);
    let today = b
        .get("/cabinet/messages?from=2000-01-01&to=2000-01-02")
        .await;
    assert_eq!(today.body.matches("data-message-id=").count(), 0);

    let by_title = b.get("/cabinet/messages?sort=title&dir=asc").await;
    let first_title = by_title.body.find("Планерка").unwrap();
    let first_real = by_title.body.find("Реализация 0").unwrap();
    assert!(first_title < first_real, "П sorts before Р");
    let by_employee = b.get("/cabinet/messages?sort=employee&dir=asc").await;
    assert!(
        by_employee.body.find("Аннова Анна</td>").unwrap()
            < by_employee.body.find("Иванов Иван</td>").unwrap()
    );
    let bad = b
        .get("/cabinet/messages?from=вчера&after=garbage&sort=nonsense")
        .await;
    assert_eq!(bad.status, 200);
    assert!(bad.body.contains("Неверная дата"));
}

async fn a_rotated_token_works_at_once_and_the_old_one_only_for_the_grace_period(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let b = Browser::new(&app);
    b.partner(INN_A).await;
    let settings = b.get("/cabinet/settings").await;
    assert!(
        settings.body.contains(&p.token[..14]),
        "the prefix is shown"
    );
    assert!(!settings.body.contains(&p.token), "never the whole token");

    let rotated = b
        .post(
            "/cabinet/settings/token",
            &[("csrf", &settings.csrf()), ("grace_secs", "3600")],
        )
        .await;
    assert_eq!(
        (rotated.status, rotated.location.as_deref()),
        (303, Some("/cabinet/settings?done=token_rotated#token")),
        "post/redirect/get: a reload cannot rotate again"
    );
    let shown = b.get("/cabinet/settings?done=token_rotated").await;
    let new_token = shown_token(&shown.body).expect("the new token, once");
    assert!(new_token.starts_with("simo_p_") && new_token != p.token);
    let again = b.get("/cabinet/settings?done=token_rotated").await;
    assert!(!again.body.contains(&new_token) && again.body.contains(&new_token[..14]));

    // The page shows a flashed token only if it is this partner's own live token.
    let other = app.create_partner(INN_B).await;
    b.cookies
        .lock()
        .unwrap()
        .insert("simo_flash_token".into(), other.token.clone());
    let planted = b.get("/cabinet/settings").await;
    assert_eq!(shown_token(&planted.body), None);
    assert!(!planted.body.contains(&other.token));

    let getstaff = |token: String| {
        let app = &app;
        async move {
            app.call(
                "POST",
                "/api/v1/getstaff",
                Some(&token),
                Some(json!({"inn": INN_A}).to_string().into_bytes()),
            )
            .await
        }
    };
    getstaff(new_token.clone()).await.ok();
    getstaff(p.token.clone()).await.ok();

    let now = b
        .post(
            "/cabinet/settings/token",
            &[("csrf", &settings.csrf()), ("grace_secs", "0")],
        )
        .await;
    assert_eq!(now.status, 303);
    getstaff(new_token).await.failed(401);
    getstaff(p.token.clone()).await.failed(401);
}

async fn disabling_an_employee_in_the_cabinet_makes_the_api_refuse_messages_to_them(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иван Иванов").await;
    let b = Browser::new(&app);
    let home = b.partner(INN_A).await;
    let off = b
        .post(
            &format!("/cabinet/employees/{}/state", e.id),
            &[("csrf", &home.csrf()), ("state", "disabled")],
        )
        .await;
    assert_eq!(off.status, 303);
    assert!(b.get("/cabinet/employees").await.body.contains("отключён"));
    let refused = app
        .create_message(&p, &e.id, "Планерка", "В 10:00")
        .await
        .failed(409);
    assert!(refused.contains("отключён"), "{refused}");
    b.post(
        &format!("/cabinet/employees/{}/state", e.id),
        &[("csrf", &home.csrf()), ("state", "active")],
    )
    .await;
    app.create_message(&p, &e.id, "Планерка", "В 10:00")
        .await
        .ok();

    let confirm = b.get(&format!("/cabinet/employees/{}/delete", e.id)).await;
    assert!(confirm.body.contains("все его сообщения"));
    let gone = b
        .post(
            &format!("/cabinet/employees/{}/delete", e.id),
            &[("csrf", &home.csrf())],
        )
        .await;
    assert_eq!(
        gone.location.as_deref(),
        Some("/cabinet/employees?done=deleted")
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM messages").await, 0);
}

async fn the_operator_creates_disables_and_resets_a_partner(app: TestApp) {
    simo_backend::service::accounts::create_operator(&app.state.store, "ops", "operator-password")
        .await
        .unwrap();
    let op = Browser::new(&app);
    assert_eq!(
        op.get("/operator").await.location.as_deref(),
        Some("/operator/login")
    );
    assert_eq!(
        op.login("operator", "ops", "operator-password")
            .await
            .status,
        303
    );
    let list = op.get("/operator").await;
    let created = op
        .post(
            "/operator/partners",
            &[
                ("csrf", &list.csrf()),
                ("inn", INN_B),
                ("name", "ООО Лето"),
                ("full_name", "ООО «Лето»"),
                ("password", "summer-password"),
            ],
        )
        .await;
    assert_eq!(
        (created.status, created.location.as_deref()),
        (303, Some("/operator?done=partner_created")),
        "{}",
        created.body
    );
    let shown = op.get("/operator?done=partner_created").await;
    let token = shown_token(&shown.body).expect("the new partner's token, once");
    assert!(shown.body.contains(INN_B));
    assert_eq!(shown_token(&op.get("/operator").await.body), None);
    app.call(
        "POST",
        "/api/v1/getstaff",
        Some(&token),
        Some(json!({"inn": INN_B}).to_string().into_bytes()),
    )
    .await
    .ok();

    let partner = Browser::new(&app);
    assert_eq!(
        partner
            .login("cabinet", INN_B, "summer-password")
            .await
            .status,
        303
    );
    let id = app.count("SELECT MAX(id) FROM partners").await;
    op.post(
        &format!("/operator/partners/{id}/disabled"),
        &[("csrf", &list.csrf()), ("disabled", "1")],
    )
    .await;
    assert_eq!(
        partner.get("/cabinet").await.location.as_deref(),
        Some("/cabinet/login"),
        "logged out at once"
    );
    assert_eq!(
        partner
            .login("cabinet", INN_B, "summer-password")
            .await
            .status,
        403
    );
    op.post(
        &format!("/operator/partners/{id}/disabled"),
        &[("csrf", &list.csrf()), ("disabled", "0")],
    )
    .await;
    let reset = op
        .post(
            &format!("/operator/partners/{id}/password"),
            &[("csrf", &list.csrf()), ("password", "autumn-password")],
        )
        .await;
    assert_eq!(
        reset.location.as_deref(),
        Some("/operator?done=password_reset")
    );
    assert_eq!(
        partner
            .login("cabinet", INN_B, "summer-password")
            .await
            .status,
        401
    );
    assert_eq!(
        partner
            .login("cabinet", INN_B, "autumn-password")
            .await
            .status,
        303
    );

    // The areas do not share sessions: the operator is not a partner admin.
    assert_eq!(
        op.get("/cabinet").await.location.as_deref(),
        Some("/cabinet/login")
    );
}

/// A valid ten-digit INN: nine digits of `base` and their control digit.
fn inn_of(base: u32) -> String {
    let digits = format!("{base:09}");
    let sum: u32 = digits
        .chars()
        .zip([2, 4, 10, 3, 5, 9, 4, 6, 8])
        .map(|(d, w)| d.to_digit(10).unwrap() * w)
        .sum();
    format!("{digits}{}", sum % 11 % 10)
}

fn partner_rows(page: &Page) -> usize {
    page.body.matches("<tr data-partner-inn=").count()
}

async fn the_operator_searches_and_pages_partners_and_comes_back_after_an_action(_app: TestApp) {
    let app = spawn_app_with(_app.db, |s| s.apply("cabinet_page_size", "5").unwrap())
        .await
        .unwrap();
    assert_eq!(inn_of(770_708_389), INN_A, "the INN helper's control digit");
    let names = [
        ("ООО Вёсна", "Общество «Вёсна»"),
        ("АО Лето", "Акционерное общество «Лето»"),
        ("ООО Осень", "Общество «Осень»"),
        ("ИП Зимин", "Индивидуальный предприниматель Зимин"),
        ("ООО Ромашка", "Общество «Ромашка»"),
        ("ООО Василёк", "Общество «Василёк»"),
        ("ПАО Север", "Публичное акционерное общество «Север»"),
    ];
    let mut ids = HashMap::new();
    for (i, (short_name, full_name)) in names.iter().enumerate() {
        let inn = inn_of(500_100_730 + i as u32);
        let (row, _) = simo_backend::service::partners::create(
            &app.state.store,
            simo_backend::service::partners::PartnerInput {
                inn: &inn,
                short_name,
                full_name,
                password: "secret-password",
                approval_required: false,
            },
        )
        .await
        .unwrap();
        ids.insert(*short_name, (row.id, inn));
    }
    let op = Browser::new(&app);
    op.operator(&app).await;

    let first = op.get("/operator").await;
    assert_eq!(partner_rows(&first), 5, "{}", first.body);
    assert!(
        first.body.contains("ПАО Север") && !first.body.contains("ООО Вёсна"),
        "newest first"
    );
    assert!(first.body.contains("Страница 1 из 2"));
    assert!(link(&first, "prev-page").is_none());
    let second = op.get(&link(&first, "next-page").unwrap()).await;
    assert_eq!(partner_rows(&second), 2);
    assert!(second.body.contains("Страница 2 из 2"));
    assert_eq!(link(&second, "prev-page").as_deref(), Some("/operator"));
    let shown: usize = [&first, &second]
        .iter()
        .map(|page| names.iter().filter(|(n, _)| page.body.contains(n)).count())
        .sum();
    assert_eq!(shown, 7, "every partner on exactly one of the pages");
    let past = op.get("/operator?page=99").await;
    assert!(
        past.body.contains("Страница 2 из 2"),
        "past the end is the last page"
    );
    let junk = op.get("/operator?page=x").await;
    assert_eq!((junk.status, partner_rows(&junk)), (200, 5));

    // Lower case and е for ё, in the short or the full name; a part of the INN.
    let vesna = op.get("/operator?q=%D0%B2%D0%B5%D1%81%D0%BD").await; // "весн"
    assert_eq!(partner_rows(&vesna), 1, "{}", vesna.body);
    assert!(vesna.body.contains("ООО Вёсна"));
    assert!(vesna.body.contains("Найдено: 1 из 7"));
    let joint = op
        .get("/operator?q=%D0%B0%D0%BA%D1%86%D0%B8%D0%BE%D0%BD%D0%B5%D1%80%D0%BD%D0%BE%D0%B5") // "акционерное"
        .await;
    assert_eq!(
        partner_rows(&joint),
        2,
        "АО Лето and ПАО Север by their full names"
    );
    let by_inn = op
        .get(&format!("/operator?q={}", &ids["ООО Осень"].1[4..]))
        .await;
    assert_eq!(partner_rows(&by_inn), 1, "{}", by_inn.body);
    assert!(by_inn.body.contains("ООО Осень"));
    let two_words = op
        .get("/operator?q=%D0%BE%D0%BE%D0%BE+%D1%80%D0%BE%D0%BC")
        .await; // "ооо ром"
    assert_eq!(partner_rows(&two_words), 1);
    assert!(two_words.body.contains("ООО Ромашка"));
    let none = op.get("/operator?q=%D0%AF%D0%BA%D0%BE%D0%B2").await; // "Яков"
    assert_eq!(partner_rows(&none), 0);
    assert!(none.body.contains("Партнёров не нашлось"));

    // An action on a searched page brings the operator back to it, and only to the list.
    let (id, inn) = &ids["ООО Вёсна"];
    let off = op
        .post(
            &format!("/operator/partners/{id}/disabled"),
            &[
                ("csrf", &vesna.csrf()),
                ("disabled", "1"),
                ("back", "/operator?q=весн&page=1&x=https://evil.example"),
            ],
        )
        .await;
    assert_eq!(
        off.location.as_deref(),
        Some("/operator?q=%D0%B2%D0%B5%D1%81%D0%BD&done=partner_disabled")
    );
    let stored = app.state.store.partner_by_id(*id).await.unwrap().unwrap();
    assert!(stored.disabled && &stored.inn == inn);
    for back in [
        "https://evil.example/operator",
        "//evil.example",
        "/operatorx?page=2",
        "/cabinet",
    ] {
        let on = op
            .post(
                &format!("/operator/partners/{id}/disabled"),
                &[("csrf", &vesna.csrf()), ("disabled", "0"), ("back", back)],
            )
            .await;
        assert_eq!(
            on.location.as_deref(),
            Some("/operator?done=partner_enabled"),
            "{back}"
        );
    }
    let reset = op
        .post(
            &format!("/operator/partners/{id}/password"),
            &[
                ("csrf", &vesna.csrf()),
                ("password", "autumn-password"),
                ("back", "/operator?page=2"),
            ],
        )
        .await;
    assert_eq!(
        reset.location.as_deref(),
        Some("/operator?page=2&done=password_reset")
    );
}

async fn sending_from_the_cabinet_to_all_employees_creates_one_message_each(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    app.login(&p.inn, PHONE, "Иван Иванов").await;
    app.login(&p.inn, "+79001112233", "Анна Аннова").await;
    let b = Browser::new(&app);
    b.partner(INN_A).await;
    let form = b.get("/cabinet/send").await;
    let none = b
        .post(
            "/cabinet/send",
            &[
                ("csrf", &form.csrf()),
                ("title", "Собрание"),
                ("text", "В 15:00"),
            ],
        )
        .await;
    assert_eq!(none.status, 400);
    assert!(none.body.contains("Выберите хотя бы одного"));
    let sent = b
        .post(
            "/cabinet/send",
            &[
                ("csrf", &form.csrf()),
                ("all", "1"),
                ("title", "Собрание"),
                ("text", "В 15:00"),
            ],
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert_eq!(
        sent.body.matches("/cabinet/messages/").count(),
        2,
        "{}",
        sent.body
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM messages WHERE source = 'cabinet'")
            .await,
        2
    );
}

/// "Fast at a million messages" as a property of the plan: on SQLite every sort of the
/// unfiltered list is read in index order, never sorted in a temporary tree.
#[tokio::test]
async fn every_sort_of_the_message_list_reads_an_index_in_order_on_sqlite() {
    use simo_backend::store::MessageSort;
    let app = spawn_app(Db::Sqlite).await.unwrap();
    let p = app.create_partner(INN_A).await;
    for sort in MessageSort::ALL {
        for descending in [false, true] {
            let mut q = list_query(p.id, sort);
            q.descending = descending;
            q.limit = 51;
            let plan = sort_first_plan(&app, &q).await;
            assert!(
                !plan.contains("TEMP B-TREE"),
                "{sort:?} desc={descending}:\n{plan}"
            );
        }
    }
}

/// One employee's messages by date are read through the employee's index, in its order: not
/// by walking the partner's index for the employee's few.
#[tokio::test]
async fn one_employees_messages_by_date_read_their_index_on_sqlite() {
    use simo_backend::domain::StaffId;
    use simo_backend::store::MessageSort;
    let app = spawn_app(Db::Sqlite).await.unwrap();
    let p = app.create_partner(INN_A).await;
    for descending in [false, true] {
        let mut q = list_query(p.id, MessageSort::Created);
        q.staff_id = Some(StaffId(5));
        q.descending = descending;
        let plan = sort_first_plan(&app, &q).await;
        assert!(
            plan.contains("messages_staff_created") && !plan.contains("TEMP B-TREE"),
            "desc={descending}:\n{plan}"
        );
    }
}

/// How the database reads the list query `q` in its sort's order.
async fn sort_first_plan(app: &TestApp, q: &simo_backend::store::MessageListQuery) -> String {
    app.state
        .store
        .explain_partner_messages(q, simo_backend::store::ListPlan::SortFirst)
        .await
        .unwrap()
}

/// A list query over partner `partner_id` with no filters, sorted by `sort`.
fn list_query(
    partner_id: i64,
    sort: simo_backend::store::MessageSort,
) -> simo_backend::store::MessageListQuery {
    simo_backend::store::MessageListQuery::unfiltered(partner_id, sort, 7)
}

/// The store reads a filtered list either by walking the sort's index or by sorting the
/// filtered rows; whichever it picks, every page must hold the same rows in the same order.
async fn both_plans_of_the_message_list_give_the_same_pages(app: TestApp) {
    use simo_backend::domain::StaffId;
    use simo_backend::store::{ListPlan, MessageSort, MessageStatus, NewMessage, OneSend};
    let p = app.create_partner(INN_A).await;
    let ivan = app.login(&p.inn, PHONE, "Иванов Иван").await;
    let anna = app.login(&p.inn, "+79230000002", "Аннова Анна").await;
    let staff = [
        StaffId(ivan.id.parse().unwrap()),
        StaffId(anna.id.parse().unwrap()),
    ];
    let titles = ["Планерка", "Аванс", "Планерка", "Отпуск график", "Аванс"];
    let statuses = [
        MessageStatus::Delivered,
        MessageStatus::Read,
        MessageStatus::Failed,
    ];
    let base = 1_767_225_600_000_i64; // 2026-01-01
    for i in 0..45_usize {
        app.state
            .store
            .insert_message(&NewMessage {
                partner_id: p.id,
                staff_id: staff[i % 2],
                title: titles[i % titles.len()],
                body: "текст",
                source: "api",
                sent_by: "api",
                status: statuses[i % statuses.len()],
                // Equal times on purpose: the id must break the tie.
                now: base + (i as i64 / 3) * 3_600_000,
                push_token: None,
                push_device: None,
                idempotency_key: None,
                ack_required: false,
            })
            .await
            .unwrap();
    }

    // Every other message one send (as a bulk send stores them), and a message alone.
    app.state
        .store
        .execute_script(&format!(
            "UPDATE messages SET send_id = 77 WHERE partner_id = {} AND id % 2 = 0",
            p.id
        ))
        .await
        .unwrap();
    let alone = app
        .count(&format!(
            "SELECT MIN(id) FROM messages WHERE partner_id = {} AND send_id IS NULL",
            p.id
        ))
        .await;
    // Every third sent from the cabinet by a named admin.
    app.state
        .store
        .execute_script(&format!(
            "UPDATE messages SET source = 'cabinet', sent_by = 'admin:dispatch'
             WHERE partner_id = {} AND id % 3 = 0",
            p.id
        ))
        .await
        .unwrap();

    // A group of Anna alone: its list is hers, found through the group's members.
    let group = app
        .state
        .store
        .save_group(
            p.id,
            &simo_backend::store::GroupInput {
                id: None,
                name: "Анна",
                members: Some(&staff[1..]),
                now: base,
            },
        )
        .await
        .unwrap()
        .unwrap()
        .id;
    let mut cases = Vec::new();
    let mut twins = Vec::new();
    for sort in MessageSort::ALL {
        for descending in [false, true] {
            let mut q = list_query(p.id, sort);
            q.descending = descending;
            let mut by_group = q.clone();
            by_group.group_id = Some(group);
            let mut by_anna = q.clone();
            by_anna.staff_id = Some(staff[1]);
            let mut group_status = by_group.clone();
            group_status.status = Some(MessageStatus::Read);
            let mut group_searched = by_group.clone();
            group_searched.words = vec!["аванс".into()];
            cases.extend([group_status, group_searched]);
            twins.push((by_group, by_anna));
            let mut by_staff = q.clone();
            by_staff.staff_id = Some(staff[0]);
            let mut by_status = q.clone();
            by_status.status = Some(MessageStatus::Failed);
            let mut both = by_staff.clone();
            both.status = Some(MessageStatus::Delivered);
            let mut dated = q.clone();
            dated.created_from = Some(base + 3 * 3_600_000);
            dated.created_before = Some(base + 11 * 3_600_000);
            let mut searched = q.clone();
            searched.words = vec!["график".into()];
            let mut searched_staff = searched.clone();
            searched_staff.staff_id = Some(staff[1]);
            cases.extend([by_staff, by_status, both, dated, searched, searched_staff]);
            let mut by_send = q.clone();
            by_send.send = Some(OneSend::Of(77));
            let mut send_read = by_send.clone();
            send_read.status = Some(MessageStatus::Read);
            let mut send_dated = by_send.clone();
            send_dated.created_from = Some(base + 3 * 3_600_000);
            let mut by_alone = q.clone();
            by_alone.send = Some(OneSend::Alone(alone));
            cases.extend([by_send, send_read, send_dated, by_alone]);
            let mut by_sender = q.clone();
            by_sender.sent_by = Some("admin:dispatch".into());
            let mut sender_status = by_sender.clone();
            sender_status.status = Some(MessageStatus::Failed);
            sender_status.staff_id = Some(staff[0]);
            let mut by_api = q.clone();
            by_api.sent_by = Some("api".into());
            let mut api_staff = by_api.clone();
            api_staff.staff_id = Some(staff[1]);
            cases.extend([by_sender, sender_status, by_api, api_staff]);
        }
    }
    let all_pages = |q: simo_backend::store::MessageListQuery, plan| {
        let app = &app;
        async move {
            let mut q = q;
            let mut ids = Vec::new();
            loop {
                let rows = app
                    .state
                    .store
                    .list_partner_messages_planned(&q, plan)
                    .await
                    .unwrap();
                ids.extend(rows.iter().map(|r| r.id));
                match rows.last() {
                    Some(last) if rows.len() as i64 == q.limit => {
                        q.after = Some(last.cursor(q.sort))
                    }
                    _ => break,
                }
                assert!(ids.len() <= 45, "paging must end: {q:?}");
            }
            ids
        }
    };
    for (by_group, by_anna) in twins {
        for plan in [ListPlan::SortFirst, ListPlan::FilterFirst] {
            let (group_ids, anna_ids) = (
                all_pages(by_group.clone(), plan).await,
                all_pages(by_anna.clone(), plan).await,
            );
            assert_eq!(group_ids.len(), 22, "{by_group:?}");
            assert_eq!(group_ids, anna_ids, "{by_group:?} {plan:?}");
        }
    }
    for q in cases {
        let mut pages = Vec::new();
        for plan in [ListPlan::SortFirst, ListPlan::FilterFirst] {
            pages.push(all_pages(q.clone(), plan).await);
        }
        assert!(!pages[0].is_empty(), "{q:?}");
        assert_eq!(pages[0], pages[1], "{q:?}");
        let mut unique = pages[0].clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), pages[0].len(), "no row twice: {q:?}");
    }

    // 15 of Ivan's messages are `delivered`: few enough to read them all and sort by title.
    let mut q = list_query(p.id, MessageSort::Title);
    q.staff_id = Some(staff[0]);
    q.status = Some(MessageStatus::Delivered);
    let store = &app.state.store;
    assert_eq!(store.list_plan(&q).await.unwrap(), ListPlan::FilterFirst);
    if app.db == Db::Sqlite {
        let plan = store
            .explain_partner_messages(&q, ListPlan::FilterFirst)
            .await
            .unwrap();
        assert!(
            plan.contains("messages_staff") && plan.contains("TEMP B-TREE"),
            "driven by the employee's index, then sorted:\n{plan}"
        );
    }
    // Sorted by creation, the employee's own index serves both: no count needed.
    q.sort = MessageSort::Created;
    assert_eq!(store.list_plan(&q).await.unwrap(), ListPlan::SortFirst);
    // A send's messages, few: read by the send's index, whatever the sort.
    let mut q = list_query(p.id, MessageSort::Created);
    q.send = Some(OneSend::Of(77));
    read_first_by(&app, &q, "messages_send").await;
    // Words found few times, sorted by creation: counted, then read by the search, each
    // one's employee by ID. Walking the sort's index went through every message for them.
    let mut q = list_query(p.id, MessageSort::Created);
    q.words = vec!["график".into()];
    read_first_by(&app, &q, "messages_fts").await;
    if app.db == Db::Sqlite {
        let plan = store
            .explain_partner_messages(&q, ListPlan::FilterFirst)
            .await
            .unwrap();
        assert!(!plan.contains("staff_partner_name"), "{plan}");
    }
    // A cabinet sender's messages, few: read by the cabinet senders' index.
    let mut q = list_query(p.id, MessageSort::Title);
    q.sent_by = Some("admin:dispatch".into());
    read_first_by(&app, &q, "messages_cabinet_sender").await;
}

/// The list query `q` finds few rows, so they are read first (and then sorted): on SQLite,
/// through `index`.
async fn read_first_by(app: &TestApp, q: &simo_backend::store::MessageListQuery, index: &str) {
    use simo_backend::store::ListPlan;
    let store = &app.state.store;
    assert_eq!(store.list_plan(q).await.unwrap(), ListPlan::FilterFirst);
    if app.db == Db::Sqlite {
        let plan = store
            .explain_partner_messages(q, ListPlan::FilterFirst)
            .await
            .unwrap();
        assert!(plan.contains(index), "{index}: {plan}");
    }
}

/// The `href` of the link with this id, as a path to request.
fn link(page: &Page, id: &str) -> Option<String> {
    let before = page.body.split(&format!("id=\"{id}\"")).next()?;
    if before.len() == page.body.len() {
        return None;
    }
    let href = before.rsplit("href=\"").next()?.split('"').next()?;
    Some(href.replace("&amp;", "&").replace("&#38;", "&"))
}

fn rows(page: &Page) -> usize {
    page.body.matches("<tr data-staff-id=").count()
}

/// The search compares names folded by the server and kept in the database: an employee who
/// logged in, one added by `addstaff`, and names changed by the cabinet, by `updatestaff` and
/// by a statement of no code of ours (the trigger) are all found by what they are called now,
/// never by what they were called, and never another company's.
async fn the_search_finds_employees_by_their_names_however_they_were_written(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let other = app.create_partner(INN_B).await;
    app.login(&other.inn, "+79005550000", "Петров Чужой").await;
    let logged_in = app.login(&p.inn, "+79001110001", "Семёнов Пётр").await;
    let listed = app
        .add_listed(
            &p,
            &[
                ("+79001110002".into(), "Петров Сидор".into()),
                ("+79001110003".into(), "ЁЛКИНА Алёна".into()),
                ("+79001110004".into(), "Иванов Иван".into()),
            ],
        )
        .await;
    let (petrov, elkina, ivanov) = (&listed[0].0, &listed[1].0, &listed[2].0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM staff WHERE name_key IS NULL")
            .await,
        0,
        "every name folded as it was added, by the app's login or by addstaff"
    );
    let b = Browser::new(&app);
    b.partner(INN_A).await;
    let sorted = |ids: &[&String]| {
        let mut v: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    };

    assert_eq!(found(&b, "петр").await, sorted(&[&logged_in.id, petrov]));
    assert_eq!(found(&b, "ПЁТР").await, sorted(&[&logged_in.id, petrov]));
    assert_eq!(found(&b, "елкина").await, sorted(&[elkina]));
    assert_eq!(
        found(&b, "алена ёлкина").await,
        sorted(&[elkina]),
        "every word, any order"
    );
    assert_eq!(found(&b, "алена иван").await, Vec::<String>::new());
    assert_eq!(
        found(&b, "иван 0004").await,
        sorted(&[ivanov]),
        "a name and a part of the phone"
    );
    assert_eq!(found(&b, "иван 0003").await, Vec::<String>::new());
    assert_eq!(found(&b, "+7 900 111-00-03").await, sorted(&[elkina]));
    assert_eq!(found(&b, ivanov).await, sorted(&[ivanov]), "the ID");
    assert_eq!(found(&b, "чужой").await, Vec::<String>::new());
    assert_eq!(
        found(&b, "5550000").await,
        Vec::<String>::new(),
        "another company's phone"
    );

    // Renamed in the cabinet, by the API, and by a statement the server did not write.
    let page = b.get("/cabinet/employees").await;
    let renamed = b
        .post(
            &format!("/cabinet/employees/{}/rename", logged_in.id),
            &[("csrf", &page.csrf()), ("name", "Орлов Олег")],
        )
        .await;
    assert_eq!(renamed.status, 303, "{}", renamed.body);
    app.post(
        "updatestaff",
        Some(&p.token),
        json!({"inn": p.inn, "staffid": petrov, "name": "Сидоров Фёдор"}),
    )
    .await
    .ok();
    app.state
        .store
        .execute_script(&format!(
            "UPDATE staff SET name = 'Жуков Ёжик' WHERE id = {ivanov}"
        ))
        .await
        .unwrap();
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM staff WHERE name_key IS NULL AND partner_id = {}",
            p.id
        ))
        .await,
        3,
        "each rename cleared its folded name"
    );
    assert_eq!(
        found(&b, "петр").await,
        Vec::<String>::new(),
        "no old name found"
    );
    assert_eq!(found(&b, "семенов").await, Vec::<String>::new());
    assert_eq!(found(&b, "орлов").await, sorted(&[&logged_in.id]));
    assert_eq!(found(&b, "федор").await, sorted(&[petrov]));
    assert_eq!(found(&b, "ежик жуков").await, sorted(&[ivanov]));
    assert_eq!(found(&b, "иван").await, Vec::<String>::new());
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM staff WHERE name_key IS NULL AND partner_id = {}",
            p.id
        ))
        .await,
        0
    );
}

/// The IDs of the employees the list's search for `q` finds (its first page), sorted.
async fn found(b: &Browser, q: &str) -> Vec<String> {
    let query = serde_urlencoded::to_string([("q", q)]).unwrap();
    let page = b.get(&format!("/cabinet/employees?{query}")).await;
    assert_eq!(page.status, 200, "{q}: {}", page.body);
    let mut ids = listed_ids(&page.body);
    ids.sort();
    ids
}

/// The IDs of the employee rows of a list page, in the page's order.
fn listed_ids(body: &str) -> Vec<String> {
    body.split("data-staff-id=\"")
        .skip(1)
        .map(|r| r.split('"').next().unwrap().to_owned())
        .collect()
}

async fn the_employee_list_searches_filters_pages_and_comes_back_after_an_action(_app: TestApp) {
    let app = spawn_app_with(_app.db, |s| s.apply("cabinet_page_size", "5").unwrap())
        .await
        .unwrap();
    let p = app.create_partner(INN_A).await;
    let names = [
        "Семёнов Пётр",
        "Петрова Анна",
        "Иванов Иван",
        "Кузнецова Ольга",
        "Смирнов Олег",
        "Попов Артём",
        "Орлова Мария",
    ];
    let mut ids = HashMap::new();
    for (i, name) in names.iter().enumerate() {
        let e = app.login(&p.inn, &format!("+7900111000{i}"), name).await;
        ids.insert(*name, e.id);
    }
    let other = app.create_partner(INN_B).await;
    app.login(&other.inn, "+79005550000", "Петров Чужой").await;
    let b = Browser::new(&app);
    b.partner(INN_A).await;

    let first = b.get("/cabinet/employees").await;
    assert_eq!(rows(&first), 5, "{}", first.body);
    assert!(first.body.contains("Страница 1 из 2"));
    assert!(first.body.contains("Все: 7") && first.body.contains("В рассылке: 7"));
    assert!(link(&first, "prev-page").is_none());
    let second = b.get(&link(&first, "next-page").unwrap()).await;
    assert_eq!(rows(&second), 2);
    assert!(second.body.contains("Страница 2 из 2"));
    assert!(link(&second, "next-page").is_none());
    assert_eq!(
        link(&second, "prev-page").as_deref(),
        Some("/cabinet/employees")
    );
    let shown: usize = [&first, &second]
        .iter()
        .map(|page| names.iter().filter(|n| page.body.contains(*n)).count())
        .sum();
    assert_eq!(shown, 7, "every employee on exactly one of the pages");
    let past = b.get("/cabinet/employees?page=99").await;
    assert!(
        past.body.contains("Страница 2 из 2"),
        "a page past the end is the last one"
    );

    // Lower case, and е for ё; another partner's «Петров» is not found.
    let petr = b.get("/cabinet/employees?q=%D0%BF%D0%B5%D1%82%D1%80").await; // "петр"
    assert_eq!(rows(&petr), 2, "{}", petr.body);
    assert!(petr.body.contains("Семёнов Пётр") && petr.body.contains("Петрова Анна"));
    assert!(!petr.body.contains("Чужой"));
    let by_phone = b.get("/cabinet/employees?q=%2B7%20900%20111-00-03").await;
    assert_eq!(rows(&by_phone), 1);
    assert!(by_phone.body.contains("Кузнецова Ольга"));
    let by_id = b
        .get(&format!("/cabinet/employees?q={}", ids["Орлова Мария"]))
        .await;
    assert!(by_id.body.contains("Орлова Мария"));
    let nobody = b.get("/cabinet/employees?q=%D0%AF%D0%BA%D0%BE%D0%B2").await; // "Яков"
    assert_eq!(rows(&nobody), 0);
    assert!(nobody.body.contains("Никого не нашлось"));

    // An action on a filtered page brings the admin back to it, and only to the list.
    let id = &ids["Петрова Анна"];
    let off = b
        .post(
            &format!("/cabinet/employees/{id}/state"),
            &[
                ("csrf", &petr.csrf()),
                ("state", "disabled"),
                (
                    "back",
                    "/cabinet/employees?q=петр&page=1&x=https://evil.example",
                ),
            ],
        )
        .await;
    assert_eq!(
        off.location.as_deref(),
        Some("/cabinet/employees?q=%D0%BF%D0%B5%D1%82%D1%80&done=disabled")
    );
    let disabled = b.get("/cabinet/employees?state=disabled").await;
    assert_eq!(rows(&disabled), 1);
    assert!(disabled.body.contains("Петрова Анна"));
    assert!(disabled.body.contains("Отключены: 1") && disabled.body.contains("В рассылке: 6"));
    for back in [
        "https://evil.example/cabinet/employees",
        "//evil.example",
        "/cabinet/messages",
    ] {
        let renamed = b
            .post(
                &format!("/cabinet/employees/{id}/rename"),
                &[
                    ("csrf", &petr.csrf()),
                    ("name", "Петрова Анна Сергеевна"),
                    ("back", back),
                ],
            )
            .await;
        assert_eq!(
            renamed.location.as_deref(),
            Some("/cabinet/employees?done=renamed"),
            "{back}"
        );
    }
    let on_second = b
        .post(
            &format!("/cabinet/employees/{id}/state"),
            &[
                ("csrf", &petr.csrf()),
                ("state", "active"),
                ("back", "/cabinet/employees?page=2"),
            ],
        )
        .await;
    assert_eq!(
        on_second.location.as_deref(),
        Some("/cabinet/employees?page=2&done=enabled")
    );
    let all = b.get("/cabinet/employees?state=nonsense&page=x").await;
    assert_eq!(all.status, 200);
    assert_eq!(
        rows(&all),
        5,
        "an unknown state or page means all, first page"
    );

    // Deleting goes through a confirmation page and still comes back to the search.
    let id = &ids["Семёнов Пётр"];
    let confirm_path = format!(
        "/cabinet/employees/{id}/delete?back=%2Fcabinet%2Femployees%3Fq%3D%25D0%25BF%25D0%25B5%25D1%2582%25D1%2580"
    );
    assert!(
        petr.body.contains(&confirm_path),
        "the row's link carries the list's place: {}",
        petr.body
    );
    let confirm = b.get(&confirm_path).await;
    assert_eq!(
        link(&confirm, "cancel-delete").as_deref(),
        Some("/cabinet/employees?q=%D0%BF%D0%B5%D1%82%D1%80")
    );
    let gone = b
        .post(
            &format!("/cabinet/employees/{id}/delete"),
            &[
                ("csrf", &confirm.csrf()),
                ("back", "/cabinet/employees?q=петр"),
            ],
        )
        .await;
    assert_eq!(
        gone.location.as_deref(),
        Some("/cabinet/employees?q=%D0%BF%D0%B5%D1%82%D1%80&done=deleted")
    );
    let left = b.get("/cabinet/employees?q=%D0%BF%D0%B5%D1%82%D1%80").await;
    assert_eq!(rows(&left), 1);
}

async fn a_large_company_filters_messages_by_an_employee_typed_not_picked(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let anna = app.login(&p.inn, PHONE, "Петрова Анна").await;
    add_employees(&app, p.id, 500).await;
    app.create_message(&p, &anna.id, "Планерка", "В 10:00")
        .await
        .ok();
    let b = Browser::new(&app);
    b.partner(INN_A).await;

    let all = b.get("/cabinet/messages").await;
    assert!(
        !all.body.contains("<select name=\"staff\""),
        "501 employees: no list of names"
    );
    assert!(all.body.contains("id=\"staff-filter\""));
    assert_eq!(all.body.matches("data-message-id=").count(), 1);

    let typed = b
        .get("/cabinet/messages?staff=%D0%B0%D0%BD%D0%BD%D0%B0")
        .await; // "анна"
    assert_eq!(
        typed.body.matches("data-message-id=").count(),
        1,
        "{}",
        typed.body
    );
    assert!(typed.body.contains("id=\"staff-found\">Петрова Анна<"));
    let by_id = b.get(&format!("/cabinet/messages?staff={}", anna.id)).await;
    assert!(by_id.body.contains("id=\"staff-found\">Петрова Анна<"));

    let many = b
        .get("/cabinet/messages?staff=%D0%A1%D0%BE%D1%82%D1%80")
        .await; // "Сотр"
    assert!(
        many.body
            .contains("Подходят несколько сотрудников «Сотр»: 500"),
        "{}",
        many.body
    );
    assert_eq!(many.body.matches("data-message-id=").count(), 0);
    let none = b
        .get("/cabinet/messages?staff=%D0%AF%D0%BA%D0%BE%D0%B2")
        .await; // "Яков"
    assert!(none.body.contains("Нет сотрудника «Яков»"));
    assert_eq!(none.body.matches("data-message-id=").count(), 0);
    let other = b.get("/cabinet/messages?staff=999999").await;
    assert_eq!(other.body.matches("data-message-id=").count(), 0);
}

/// `n` more active employees, «Сотрудник i» at +7 901 000-00-0i and on, straight into the store.
async fn add_employees(app: &TestApp, partner_id: i64, n: usize) {
    for i in 0..n {
        let phone = simo_backend::domain::Phone::parse(&format!("+7901{i:07}")).unwrap();
        app.state
            .store
            .upsert_staff_on_login(
                partner_id,
                &phone,
                &format!("Сотрудник {i}"),
                "android",
                simo_backend::store::StaffState::Active,
                1,
            )
            .await
            .unwrap();
    }
}

async fn a_large_company_types_the_recipients_and_gets_a_counted_result(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let anna = app.login(&p.inn, PHONE, "Петрова Анна").await;
    add_employees(&app, p.id, 500).await;
    let b = Browser::new(&app);
    b.partner(INN_A).await;

    let form = b.get("/cabinet/send").await;
    assert!(
        !form.body.contains("id=\"staff-list\""),
        "501 employees: no list of names"
    );
    assert!(form.body.contains("id=\"staff-typed\"") && form.body.contains("(501)"));
    let pre = b.get(&format!("/cabinet/send?staff={}", anna.id)).await;
    assert!(
        pre.body.contains(&format!(">{}</textarea>", anna.id)),
        "{}",
        pre.body
    );

    let send = |list: String, all: bool| {
        let csrf = form.csrf();
        let b = &b;
        async move {
            let mut fields = vec![
                ("csrf", csrf),
                ("staff_list", list),
                ("title", "Собрание".to_owned()),
                ("text", "В 15:00".to_owned()),
            ];
            if all {
                fields.push(("all", "1".to_owned()));
            }
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            b.post("/cabinet/send", &fields).await
        }
    };
    // Another company's employee, by ID or phone, is nobody here.
    let q = app.create_partner(INN_B).await;
    let theirs = app.login(&q.inn, "+79005550001", "Чужой Сотрудник").await;
    let typo = send(
        format!(
            "8 (923) 338-16-38\n+7 901 000-00-03, 99999999; Иванов\n{}, +79005550001",
            theirs.id
        ),
        false,
    )
    .await;
    assert_eq!(typo.status, 400);
    assert!(
        typo.body.contains(&format!(
            "нет таких сотрудников: 99999999, Иванов, {}, +79005550001",
            theirs.id
        )),
        "{}",
        typo.body
    );
    assert!(
        typo.body.contains(&format!(
            "+7 901 000-00-03, 99999999; Иванов\n{}, +79005550001</textarea>",
            theirs.id
        )),
        "kept to correct"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM messages").await,
        0,
        "nothing sent"
    );

    // A phone in any usual writing, or an ID; the same employee twice gets one message.
    let two = send(
        format!("8 (923) 338-16-38\n+7 901 000-00-03, {}", anna.id),
        false,
    )
    .await;
    assert_eq!(two.status, 200, "{}", two.body);
    assert!(two.body.contains("Создано сообщений: 2"));
    assert_eq!(
        two.body.matches("/cabinet/messages/").count(),
        2,
        "each one named"
    );
    assert!(two.body.contains("Петрова Анна") && two.body.contains("Сотрудник 3"));
    assert!(two.body.contains("></textarea>"), "emptied after sending");

    let all = send(String::new(), true).await;
    assert_eq!(all.status, 200);
    assert!(all.body.contains("Создано сообщений: 501"), "{}", all.body);
    assert_eq!(
        all.body.matches("/cabinet/messages/").count(),
        0,
        "counted, not listed"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM messages").await, 503);
}

/// The rows of an export: the BOM checked and dropped, `;`-separated, the header row first.
pub(crate) fn csv_rows(page: &Page) -> Vec<Vec<String>> {
    assert_eq!(page.status, 200, "{}", page.body);
    let body = page
        .body
        .strip_prefix('\u{feff}')
        .expect("a BOM, so that Excel reads UTF-8");
    csv::ReaderBuilder::new()
        .delimiter(b';')
        .has_headers(false)
        .from_reader(body.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

async fn the_message_list_downloads_as_csv_with_its_filters_and_sort(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let ivan = app.login(&p.inn, PHONE, "Иванов Иван").await;
    let anna = app.login(&p.inn, "+79001112233", "Аннова Анна").await;
    let text = "Строка 1; \"в кавычках\"\nСтрока 2";
    app.create_message(&p, &ivan.id, "=HYPERLINK(\"http://evil\")", text)
        .await
        .ok();
    app.create_message(&p, &anna.id, "Планерка", "В 10:00 в переговорной")
        .await
        .ok();
    let other = app.create_partner(INN_B).await;
    let stranger = app
        .login(&other.inn, "+79005556677", "Чужой Сотрудник")
        .await;
    app.create_message(&other, &stranger.id, "Чужое", "не для А")
        .await
        .ok();
    // More messages than one read of the export holds (1,000), to cross its pages.
    add_employees(&app, p.id, 1_000).await;
    app.post(
        "createmessagebulk",
        Some(&p.token),
        json!({"inn": p.inn, "all": true, "title": "Собрание", "message": "В 15:00"}),
    )
    .await
    .ok();
    let total = 1_004;

    let b = Browser::new(&app);
    assert_eq!(
        b.get("/cabinet/messages.csv").await.location.as_deref(),
        Some("/cabinet/login"),
        "only for a signed-in admin"
    );
    b.partner(INN_A).await;
    let list = b.get("/cabinet/messages?q=%D0%BF%D0%BB%D0%B0%D0%BD").await; // "план"
    assert!(
        list.body
            .contains("href=\"/cabinet/messages.csv?q=%D0%BF%D0%BB%D0%B0%D0%BD\" id=\"export\""),
        "the link carries the list's filters: {}",
        list.body
    );

    let all = b.get("/cabinet/messages.csv").await;
    assert_eq!(
        all.headers["content-type"].to_str().unwrap(),
        "text/csv; charset=utf-8"
    );
    let disposition = all.headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with(&format!("attachment; filename=\"simo-messages-{INN_A}-"))
            && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    assert!(
        all.body.ends_with("\r\n"),
        "CRLF between records, as Excel expects"
    );
    let rows = csv_rows(&all);
    assert_eq!(
        rows[0],
        [
            "Номер сообщения",
            "ID сотрудника",
            "Сотрудник",
            "Телефон",
            "Заголовок",
            "Текст",
            "Источник",
            "Статус",
            "Причина",
            "Создано",
            "Отправлено",
            "Доставлено",
            "Прочитано",
            "Требуется ознакомление",
            "Ознакомлен",
            "Последнее напоминание",
            "Отправитель",
            "Файлы"
        ]
    );
    assert_eq!(
        rows.len(),
        1 + total,
        "every message, across the export's pages"
    );
    let ids: Vec<i64> = rows[1..].iter().map(|r| r[0].parse().unwrap()).collect();
    assert!(
        ids.windows(2).all(|w| w[0] > w[1]),
        "newest first, each once"
    );
    assert!(
        !all.body.contains("Чужое") && rows.iter().all(|r| r[1] != stranger.id),
        "another partner's messages never appear"
    );
    let evil = rows
        .iter()
        .find(|r| r[4].contains("HYPERLINK"))
        .expect("the message with a formula for a title");
    assert_eq!(evil[1], ivan.id);
    assert_eq!(evil[2], "Иванов Иван");
    assert_eq!(
        evil[3], "'+79233381638",
        "a leading + would be a formula too"
    );
    assert_eq!(evil[4], "'=HYPERLINK(\"http://evil\")", "kept as text");
    assert_eq!(evil[5], text, "separators, quotes and new lines survive");
    assert_eq!(evil[6], "через API");
    assert_eq!(evil[16], "АСУ (API)", "sent with the main key");
    assert_eq!(evil[17], "", "no files");
    let created = &evil[9];
    assert!(
        created.len() == 19 && created.starts_with("20") && created.as_bytes()[10] == b' ',
        "{created}"
    );

    // The page's filters, search and sort apply; the page it was on does not.
    let planerka = csv_rows(
        &b.get("/cabinet/messages.csv?q=%D0%BF%D0%BB%D0%B0%D0%BD&after=i1.i2")
            .await,
    );
    assert_eq!(planerka.len(), 2, "{planerka:?}");
    assert_eq!(planerka[1][4], "Планерка");
    let annas = csv_rows(
        &b.get(&format!(
            "/cabinet/messages.csv?staff={}&sort=title&dir=asc",
            anna.id
        ))
        .await,
    );
    let titles: Vec<&str> = annas[1..].iter().map(|r| r[4].as_str()).collect();
    assert_eq!(titles, ["Планерка", "Собрание"]);
    let by_employee = csv_rows(&b.get("/cabinet/messages.csv?sort=employee&dir=asc").await);
    assert_eq!(by_employee.len(), 1 + total, "a text cursor across pages");
    let mut seen: Vec<&str> = by_employee[1..].iter().map(|r| r[0].as_str()).collect();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), total, "each message once");
    assert_eq!(by_employee[1][2], "Аннова Анна");
    let none = csv_rows(&b.get("/cabinet/messages.csv?status=read").await);
    assert_eq!(none.len(), 1, "the header alone");
    let english = csv_rows(&b.get("/cabinet/messages.csv?status=read&lang=en").await);
    assert_eq!(english[0][0], "Message number");

    // Filters the list cannot read send the admin to the list, which says why.
    for bad in [
        "from=%D0%B2%D1%87%D0%B5%D1%80%D0%B0",
        "staff=%D0%AF%D0%BA%D0%BE%D0%B2",
    ] {
        let page = b.get(&format!("/cabinet/messages.csv?{bad}")).await;
        assert_eq!(page.status, 303, "{bad}");
        assert_eq!(
            page.location.as_deref(),
            Some(format!("/cabinet/messages?{bad}").as_str())
        );
    }
    // Another partner's employee by ID is no employee of this one: nothing of theirs leaks
    // (the ID's digits are then looked for in this partner's phones).
    let theirs = b
        .get(&format!("/cabinet/messages.csv?staff={}", stranger.id))
        .await;
    assert!(!theirs.body.contains("Чужое") && !theirs.body.contains("не для А"));
}

/// An employee as the app's login stores them, in `state`; their ID.
async fn add_staff(app: &TestApp, partner_id: i64, phone: &str, name: &str, state: &str) -> i64 {
    let phone = simo_backend::domain::Phone::parse(phone).unwrap();
    let state = simo_backend::store::StaffState::parse(state).unwrap();
    app.state
        .store
        .upsert_staff_on_login(partner_id, &phone, name, "android", state, 1)
        .await
        .unwrap()
        .id
}

async fn staff_state(app: &TestApp, partner_id: i64, id: i64) -> String {
    app.state
        .store
        .staff_by_id(partner_id, simo_backend::domain::StaffId(id))
        .await
        .unwrap()
        .expect("the employee")
        .state
}

/// The value of the page's hidden field `name`.
pub(crate) fn field(page: &Page, name: &str) -> String {
    let mark = format!("name=\"{name}\" value=\"");
    let start = page.body.find(&mark).expect(name) + mark.len();
    page.body[start..].split('"').next().unwrap().to_owned()
}

async fn employees_change_state_in_bulk_and_the_list_downloads_as_csv(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let mut waiting = vec![];
    for i in 0..6 {
        waiting.push(
            add_staff(
                &app,
                p.id,
                &format!("+7902000000{i}"),
                &format!("Ожидающий {i}"),
                "pending",
            )
            .await,
        );
    }
    let formula = add_staff(
        &app,
        p.id,
        "+79030000000",
        "=HYPERLINK(\"http://evil\")",
        "active",
    )
    .await;
    let other = app.create_partner(INN_B).await;
    let stranger = add_staff(&app, other.id, "+79005556677", "Чужой Ожидающий", "pending").await;

    let b = Browser::new(&app);
    b.partner(INN_A).await;
    let list = b.get("/cabinet/employees?state=pending").await;
    assert_eq!(rows(&list), 6, "{}", list.body);
    assert!(list.body.contains("Все найденные (6)"), "{}", list.body);
    let csrf = list.csrf();
    let back = "/cabinet/employees?state=pending";
    let upto = field(&list, "upto");
    assert_eq!(upto, formula.to_string(), "the partner's newest employee");

    // Ticked rows: two of ours and another partner's ID, which changes nothing of theirs.
    let (a, bb) = (waiting[0].to_string(), waiting[1].to_string());
    let approved = b
        .post(
            "/cabinet/employees/bulk",
            &[
                ("csrf", &csrf),
                ("back", back),
                ("upto", &upto),
                ("id", &a),
                ("id", &bb),
                ("id", &stranger.to_string()),
                ("do", "active"),
            ],
        )
        .await;
    assert_eq!(
        approved.location.as_deref(),
        Some("/cabinet/employees?state=pending&done=bulk_enabled&n=2"),
        "{}",
        approved.body
    );
    assert_eq!(staff_state(&app, p.id, waiting[0]).await, "active");
    assert_eq!(staff_state(&app, p.id, waiting[1]).await, "active");
    assert_eq!(staff_state(&app, other.id, stranger).await, "pending");
    let after = b.get(approved.location.as_deref().unwrap()).await;
    assert!(
        after.body.contains("Включено в рассылку (подтверждено): 2"),
        "{}",
        after.body
    );
    assert_eq!(rows(&after), 4);
    // Ticking one already active changes nothing, and says so.
    let again = b
        .post(
            "/cabinet/employees/bulk",
            &[
                ("csrf", &csrf),
                ("back", back),
                ("id", &a),
                ("do", "active"),
            ],
        )
        .await;
    assert_eq!(
        again.location.as_deref(),
        Some("/cabinet/employees?state=pending&done=bulk_enabled&n=0")
    );
    let none = b
        .post(
            "/cabinet/employees/bulk",
            &[("csrf", &csrf), ("back", back), ("do", "disabled")],
        )
        .await;
    assert_eq!(
        none.location.as_deref(),
        Some("/cabinet/employees?state=pending&done=bulk_none")
    );

    // Everyone found: the page's list (the 4 still waiting), not one who registered after it
    // was shown.
    let newcomer = add_staff(&app, p.id, "+79040000000", "Новенький", "pending").await;
    let all = b
        .post(
            "/cabinet/employees/bulk",
            &[
                ("csrf", &csrf),
                ("back", back),
                ("upto", &upto),
                ("do", "active_all"),
            ],
        )
        .await;
    assert_eq!(
        all.location.as_deref(),
        Some("/cabinet/employees?state=pending&done=bulk_enabled&n=4")
    );
    for id in &waiting {
        assert_eq!(staff_state(&app, p.id, *id).await, "active");
    }
    assert_eq!(
        staff_state(&app, p.id, newcomer).await,
        "pending",
        "not seen, not approved"
    );
    assert_eq!(staff_state(&app, other.id, stranger).await, "pending");

    // "Write to them": the send form with the ticked employees of this partner in the mailing
    // chosen (the newcomer still waits, another partner's ID is nobody here).
    let write = b
        .post(
            "/cabinet/employees/bulk",
            &[
                ("csrf", &csrf),
                ("back", back),
                ("id", &a),
                ("id", &newcomer.to_string()),
                ("id", &stranger.to_string()),
                ("do", "write"),
            ],
        )
        .await;
    assert_eq!(
        write.location.as_deref(),
        Some(format!("/cabinet/send?staff={a}").as_str())
    );
    let form = b.get(write.location.as_deref().unwrap()).await;
    assert!(
        form.body
            .contains(&format!("name=\"staff\" value=\"{a}\" checked")),
        "{}",
        form.body
    );
    let recipients = form.body.split("id=\"send-when\"").next().unwrap();
    assert_eq!(
        recipients.matches("\" checked>").count(),
        1,
        "only the one ticked"
    );
    let nobody = b
        .post(
            "/cabinet/employees/bulk",
            &[
                ("csrf", &csrf),
                ("back", back),
                ("id", &newcomer.to_string()),
                ("do", "write"),
            ],
        )
        .await;
    assert_eq!(
        nobody.location.as_deref(),
        Some("/cabinet/employees?state=pending&done=write_none")
    );

    // Refused forms change nothing.
    for form in [
        vec![("csrf", csrf.as_str()), ("do", "activate"), ("id", &a)],
        vec![("csrf", csrf.as_str()), ("do", "disabled"), ("id", "x")],
        vec![("csrf", csrf.as_str()), ("do", "disabled_all")],
        vec![
            ("csrf", csrf.as_str()),
            ("do", "disabled_all"),
            ("upto", "many"),
        ],
    ] {
        let refused = b.post("/cabinet/employees/bulk", &form).await;
        assert_eq!(refused.status, 400, "{form:?}: {}", refused.body);
    }
    let forged = b
        .post(
            "/cabinet/employees/bulk",
            &[("csrf", &"a".repeat(64)), ("do", "disabled"), ("id", &a)],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(staff_state(&app, p.id, waiting[0]).await, "active");

    // A thousand at once, by a search: only those it finds.
    add_employees(&app, p.id, 1_000).await;
    let found = b
        .get("/cabinet/employees?q=%D1%81%D0%BE%D1%82%D1%80%D1%83%D0%B4%D0%BD%D0%B8%D0%BA")
        .await; // "сотрудник"
    assert!(
        found.body.contains("Все найденные (1000)"),
        "{}",
        found.body
    );
    let off = b
        .post(
            "/cabinet/employees/bulk",
            &[
                ("csrf", &csrf),
                ("back", "/cabinet/employees?q=сотрудник&page=3"),
                ("upto", &field(&found, "upto")),
                ("do", "disabled_all"),
            ],
        )
        .await;
    assert_eq!(
        off.location.as_deref(),
        Some(
            "/cabinet/employees?q=%D1%81%D0%BE%D1%82%D1%80%D1%83%D0%B4%D0%BD%D0%B8%D0%BA&page=3&done=bulk_disabled&n=1000"
        )
    );
    let counts = b.get("/cabinet/employees").await;
    assert!(
        counts.body.contains("Отключены: 1000")
            && counts.body.contains("В рассылке: 7")
            && counts.body.contains("Ждут подтверждения: 1"),
        "{}",
        counts.body
    );

    // The list as CSV: its filters, every page, escaped cells, no other partner's employee.
    let everyone = csv_rows(&b.get("/cabinet/employees.csv").await);
    assert_eq!(
        everyone[0],
        [
            "ID сотрудника",
            "ФИО",
            "Телефон",
            "Состояние",
            "Устройство",
            "Push",
            "Регистрация",
            "Группы"
        ]
    );
    assert_eq!(everyone.len(), 1 + 1_008, "a header and every employee");
    assert!(!everyone.iter().any(|r| r[1].contains("Чужой")));
    let row = everyone
        .iter()
        .find(|r| r[0] == formula.to_string())
        .expect("the formula-named employee");
    assert_eq!(
        row[1], "'=HYPERLINK(\"http://evil\")",
        "a name cannot run as a formula"
    );
    assert_eq!(row[2], "'+79030000000");
    assert_eq!(row[3], "в рассылке");
    assert_eq!(row[5], "нет");
    let pending = csv_rows(&b.get("/cabinet/employees.csv?state=pending").await);
    assert_eq!(pending.len(), 2, "{pending:?}");
    assert_eq!(pending[1][0], newcomer.to_string());
    assert_eq!(pending[1][3], "ждёт подтверждения");
    let english = csv_rows(
        &b.get("/cabinet/employees.csv?state=disabled&q=%2B79010000999&lang=en")
            .await,
    );
    assert_eq!(english[0][1], "Name");
    assert_eq!(english.len(), 2, "{english:?}");
    assert_eq!(english[1][1], "Сотрудник 999");
    assert_eq!(english[1][3], "disabled");
    let page = b
        .get("/cabinet/employees?state=pending&q=%D0%BD%D0%BE%D0%B2")
        .await;
    assert_eq!(
        link(&page, "employees-export").as_deref(),
        Some("/cabinet/employees.csv?q=%D0%BD%D0%BE%D0%B2&state=pending")
    );
    let download = b.get("/cabinet/employees.csv").await;
    assert!(
        download
            .headers
            .get("content-disposition")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with(&format!("attachment; filename=\"simo-employees-{INN_A}-"))
    );

    // Logged out: the login page, for the download and the form alike.
    let stranger_browser = Browser::new(&app);
    let out = stranger_browser.get("/cabinet/employees.csv").await;
    assert_eq!(out.location.as_deref(), Some("/cabinet/login"));
    let out = stranger_browser
        .post(
            "/cabinet/employees/bulk",
            &[("csrf", &csrf), ("do", "disabled_all"), ("upto", "999999")],
        )
        .await;
    assert_eq!(out.location.as_deref(), Some("/cabinet/login"));
    assert_eq!(staff_state(&app, p.id, formula).await, "active");
}

/// The journal's rows, newest first: (who, what, address).
pub(crate) fn journal(page: &Page) -> Vec<(String, String, String)> {
    assert_eq!(page.status, 200, "{}", page.body);
    let cell = |row: &str, label: &str| -> String {
        let mark = format!("data-label=\"{label}\"");
        let after = row.split(&mark).nth(1).unwrap_or_default();
        let inner = after.split_once('>').map_or("", |(_, rest)| rest);
        let text = inner.split("</td>").next().unwrap_or_default();
        // Tags out, entities of the names in.
        without_tags(text)
            .replace("&#34;", "\"")
            .replace("&#38;", "&")
            .replace("&#39;", "'")
    };
    page.body
        .split("<tr>")
        .skip(2)
        .map(|row| {
            (
                cell(row, "Кто"),
                cell(row, "Что сделано"),
                cell(row, "Адрес"),
            )
        })
        .collect()
}

async fn the_journal_records_who_did_what_and_when(_app: TestApp) {
    let app = spawn_app_with(_app.db, |s| {
        s.apply("cabinet_page_size", "5").unwrap();
        s.apply("cabinet_journal_keep_days", "365").unwrap();
    })
    .await
    .unwrap();
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иванов Иван").await;
    let f = app.login(&p.inn, "+79001112233", "Петрова Анна").await;
    let g = app.login(&p.inn, "+79001112234", "Сидоров Пётр").await;
    let h = app.login(&p.inn, "+79001112235", "Козлова Ольга").await;
    let other = app.create_partner(INN_B).await;

    let b = Browser::new(&app);
    let wrong = b.login("cabinet", INN_A, "not-the-password").await;
    assert_eq!(wrong.status, 401);
    let home = b.partner(INN_A).await;
    let csrf = home.csrf();
    let post = |path: String, form: Vec<(&'static str, String)>| {
        let b = &b;
        let csrf = csrf.clone();
        async move {
            let mut form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            form.push(("csrf", &csrf));
            let page = b.post(&path, &form).await;
            assert!(
                page.status == 303 || page.status == 200,
                "{path}: {}",
                page.body
            );
        }
    };
    let state = |id: &str| format!("/cabinet/employees/{id}/state");
    post(state(&e.id), vec![("state", "disabled".into())]).await;
    post(state(&e.id), vec![("state", "disabled".into())]).await; // already: nothing to record
    post(state(&e.id), vec![("state", "active".into())]).await;
    post(
        format!("/cabinet/employees/{}/rename", e.id),
        vec![("name", "Иванов Иван Иванович".into())],
    )
    .await;
    post(
        "/cabinet/employees/bulk".into(),
        vec![
            ("do", "disabled".into()),
            ("id", e.id.clone()),
            ("id", f.id.clone()),
        ],
    )
    .await;
    post(
        "/cabinet/employees/bulk".into(),
        vec![("do", "active".into()), ("id", e.id.clone())],
    )
    .await;
    post(
        "/cabinet/send".into(),
        vec![
            ("staff", e.id.clone()),
            ("title", "Планерка".into()),
            ("text", "В 10:00".into()),
        ],
    )
    .await;
    post(
        "/cabinet/settings/token".into(),
        vec![("grace_secs", "86400".into())],
    )
    .await;
    post(
        "/cabinet/settings/policy".into(),
        vec![("registration", "approval".into())],
    )
    .await;
    post(
        "/cabinet/settings/policy".into(),
        vec![("registration", "approval".into())],
    )
    .await; // unchanged
    post(format!("/cabinet/employees/{}/delete", f.id), vec![]).await;
    // Deleted through the API: by the partner's system, and by the employee from the app.
    app.post("deletestaff", Some(&p.token), json!({"staffid": g.id}))
        .await
        .ok();
    app.post("deletestaff", Some(&h.token), json!({}))
        .await
        .ok();

    // The operator resets the password: the admin is logged out, and the journal says who did it.
    let op = Browser::new(&app);
    op.operator(&app).await;
    let ops = op.get("/operator").await;
    let reset = op
        .post(
            &format!("/operator/partners/{}/password", p.id),
            &[("csrf", &ops.csrf()), ("password", "secret-password")],
        )
        .await;
    assert_eq!(reset.status, 303, "{}", reset.body);
    assert_eq!(
        b.get("/cabinet/journal").await.location.as_deref(),
        Some("/cabinet/login")
    );
    b.partner(INN_A).await;

    let mut all = vec![];
    let mut page = b.get("/cabinet/journal").await;
    assert!(page.body.contains("Журнал действий"), "{}", page.body);
    assert!(
        page.body
            .contains("<span id=\"journal-keep\">Записи хранятся, дней: 365.</span>"),
        "the keep time is said"
    );
    assert!(link(&page, "newest-page").is_none());
    loop {
        let rows = journal(&page);
        assert!(rows.len() <= 5, "a page holds at most the page size");
        all.extend(rows);
        match link(&page, "older-page") {
            Some(older) => {
                page = b.get(&older).await;
                assert_eq!(
                    link(&page, "newest-page").as_deref(),
                    Some("/cabinet/journal")
                );
            }
            None => break,
        }
    }
    let whats: Vec<&str> = all.iter().map(|(_, what, _)| what.as_str()).collect();
    let ivan = format!("Иванов Иван (ID {})", e.id);
    let ivan_full = format!("Иванов Иван Иванович (ID {})", e.id);
    let until = whats
        .iter()
        .find(|w| w.starts_with("Токен API заменён, прежний действует до: "))
        .expect("the rotation with its grace period")
        .to_string();
    let expected: Vec<String> = vec![
        "Вход в кабинет".into(),
        "Пароль кабинета сброшен".into(),
        format!(
            "Сотрудник удалён со всеми сообщениями: Козлова Ольга (ID {})",
            h.id
        ),
        format!(
            "Сотрудник удалён со всеми сообщениями: Сидоров Пётр (ID {})",
            g.id
        ),
        format!(
            "Сотрудник удалён со всеми сообщениями: Петрова Анна (ID {})",
            f.id
        ),
        "Новые сотрудники ждут подтверждения".into(),
        until,
        "Отправлено из кабинета: 1 × «Планерка»".into(),
        "Включено в рассылку списком: 1".into(),
        "Отключено от рассылки списком: 2".into(),
        format!("ФИО изменено: Иванов Иван → {ivan_full}"),
        format!("Сотрудник включён в рассылку: {ivan}"),
        format!("Сотрудник отключён от рассылки: {ivan}"),
        "Вход в кабинет".into(),
        "Неудачный вход (неверный пароль)".into(),
    ];
    assert_eq!(whats, expected, "newest first, each action once");
    let who: Vec<&str> = all.iter().map(|(who, _, _)| who.as_str()).collect();
    assert_eq!(who[1], "Оператор ops");
    assert_eq!(who[2], "Сотрудник (приложение)");
    assert_eq!(who[3], "АСУ (API)");
    // Deleted through the API by the company or by themselves, each is found by their ID.
    for (id, name) in [(&f.id, "Петрова Анна"), (&g.id, "Сидоров Пётр")] {
        let theirs = b.get(&format!("/cabinet/journal?staff={id}")).await.body;
        assert!(
            theirs.contains(&format!(
                "удалён со всеми сообщениями: <span class=\"audit-detail\">{name}"
            )),
            "{theirs}"
        );
    }
    assert!(
        who.iter().enumerate().all(|(i, w)| (1..=3).contains(&i)
            || i == who.len() - 1
            || *w == "Администратор (вход по ИНН)"),
        "{who:?}"
    );
    assert_eq!(
        who.last(),
        Some(&"Посетитель"),
        "a wrong password is nobody's yet"
    );
    assert!(all.iter().all(|(_, _, ip)| ip == "127.0.0.1"), "{all:?}");

    // Filtered by kind, paged with the filter kept.
    let mut staff = vec![];
    let mut page = b.get("/cabinet/journal?kind=staff").await;
    loop {
        staff.extend(journal(&page).into_iter().map(|(_, what, _)| what));
        match link(&page, "older-page") {
            Some(older) => {
                assert!(
                    older.starts_with("/cabinet/journal?kind=staff&before="),
                    "{older}"
                );
                page = b.get(&older).await;
                assert_eq!(
                    link(&page, "newest-page").as_deref(),
                    Some("/cabinet/journal?kind=staff")
                );
            }
            None => break,
        }
    }
    let staff_expected: Vec<String> = expected
        .iter()
        .filter(|w| w.starts_with("Сотрудник") || w.contains("списком") || w.starts_with("ФИО"))
        .cloned()
        .collect();
    assert_eq!(staff.len(), 8);
    assert_eq!(staff, staff_expected);
    let operator = journal(&b.get("/cabinet/journal?kind=operator").await);
    assert_eq!(operator.len(), 1);
    assert_eq!(operator[0].1, "Пароль кабинета сброшен");
    let none = b.get("/cabinet/journal?kind=webhook").await;
    assert!(journal(&none).is_empty());
    assert!(none.body.contains("Таких записей нет."), "{}", none.body);
    assert!(!none.body.contains("id=\"export\""), "nothing to download");
    assert_eq!(
        journal(&b.get("/cabinet/journal?kind=everything").await).len(),
        5,
        "an unknown kind shows all"
    );

    // As CSV: every entry the filter selects, action and details in their own columns.
    let page = b.get("/cabinet/journal?kind=staff").await;
    assert_eq!(
        link(&page, "export").as_deref(),
        Some("/cabinet/journal.csv?kind=staff")
    );
    let csv = b.get("/cabinet/journal.csv").await;
    assert!(
        csv.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&format!("journal-{INN_A}.csv"))
    );
    let rows = csv_rows(&csv);
    assert_eq!(
        rows[0],
        ["Когда", "Кто", "Что сделано", "Подробности", "Адрес"]
    );
    let shown: Vec<String> = rows[1..]
        .iter()
        .map(|r| {
            if r[3].is_empty() {
                r[2].clone()
            } else {
                format!("{}: {}", r[2], r[3])
            }
        })
        .collect();
    assert_eq!(shown, expected);
    assert!(
        rows[1..]
            .iter()
            .all(|r| r[4] == "127.0.0.1" && r[0].len() == 19)
    );
    assert_eq!(rows[2][1], "Оператор ops");
    let staff_csv = csv_rows(&b.get("/cabinet/journal.csv?kind=staff").await);
    assert_eq!(staff_csv.len(), 1 + 8);
    let english = csv_rows(&b.get("/cabinet/journal.csv?kind=operator&lang=en").await);
    assert_eq!(english[0][2], "What");
    assert_eq!(english.len(), 2);

    // Another partner's journal holds none of it; English labels.
    let b2 = Browser::new(&app);
    b2.partner(&other.inn).await;
    let theirs = journal(&b2.get("/cabinet/journal").await);
    assert_eq!(theirs.len(), 1, "{theirs:?}");
    assert_eq!(theirs[0].1, "Вход в кабинет");
    let english = b2.get("/cabinet/journal?lang=en").await;
    assert!(
        english.body.contains("Logged in") && english.body.contains("Admin"),
        "{}",
        english.body
    );
    let junk = b2.get("/cabinet/journal?before=abc").await;
    assert_eq!(journal(&junk).len(), 1, "a junk cursor shows the newest");
    let theirs_csv = csv_rows(&b2.get("/cabinet/journal.csv").await);
    assert_eq!(theirs_csv.len(), 2, "{theirs_csv:?}");
    assert_eq!(
        Browser::new(&app)
            .get("/cabinet/journal.csv")
            .await
            .location
            .as_deref(),
        Some("/cabinet/login")
    );
    assert_eq!(
        Browser::new(&app)
            .get("/cabinet/journal")
            .await
            .location
            .as_deref(),
        Some("/cabinet/login")
    );
}

/// A usage page's figure `k` for the partner with this INN (`total` for the footer).
fn usage_of(page: &Page, inn: &str, k: &str) -> String {
    let row = if inn == "total" {
        page.body.split("id=\"usage-total\"").nth(1)
    } else {
        page.body
            .split(&format!("data-partner-inn=\"{inn}\""))
            .nth(1)
    }
    .unwrap_or_else(|| panic!("no row for {inn}: {}", page.body));
    let row = row.split("</tr>").next().unwrap();
    let cell = row
        .split(&format!("data-k=\"{k}\">"))
        .nth(1)
        .unwrap_or_else(|| panic!("no {k} for {inn}"));
    cell.split("</td>")
        .next()
        .unwrap()
        .replace("<strong>", "")
        .replace("</strong>", "")
}

async fn the_operator_sees_each_partners_usage_per_month(app: TestApp) {
    use chrono::{Datelike, TimeZone};
    use simo_backend::domain::{StaffId, now_millis};
    use simo_backend::store::{MessageStatus, NewMessage};
    let store = &app.state.store;
    let a = app.create_partner(INN_A).await;
    let b = app.create_partner(INN_B).await;
    let c = app.create_partner(&inn_of(500_000_001)).await;
    store.set_partner_disabled(c.id, true).await.unwrap();
    let ea = add_staff(&app, a.id, "+79001110001", "Иванов", "active").await;
    add_staff(&app, a.id, "+79001110002", "Петрова", "disabled").await;
    let eb = add_staff(&app, b.id, "+79001110003", "Сидоров", "active").await;

    // This month began at midnight, Moscow time: a message a millisecond before is last month's.
    let now = now_millis();
    let moscow = chrono_tz::Europe::Moscow;
    let local = moscow.timestamp_millis_opt(now).unwrap();
    let month_start = moscow
        .with_ymd_and_hms(local.year(), local.month(), 1, 0, 0, 0)
        .unwrap()
        .timestamp_millis();
    let message = |partner_id: i64, staff: i64, at: i64| NewMessage {
        partner_id,
        staff_id: StaffId(staff),
        title: "т",
        body: "т",
        source: "api",
        sent_by: "api",
        status: MessageStatus::NoDevice,
        now: at,
        push_token: None,
        push_device: None,
        idempotency_key: None,
        ack_required: false,
    };
    let mut this_month = vec![];
    for at in [month_start, now, now] {
        this_month.push(
            store
                .insert_message(&message(a.id, ea, at))
                .await
                .unwrap()
                .id,
        );
    }
    store
        .insert_message(&message(a.id, ea, month_start - 1))
        .await
        .unwrap();
    store.insert_message(&message(b.id, eb, now)).await.unwrap();
    store
        .mark_messages(
            StaffId(ea),
            &this_month[..1],
            simo_backend::store::Report::Read,
            now,
        )
        .await
        .unwrap();
    store
        .mark_messages(
            StaffId(ea),
            &this_month[1..2],
            simo_backend::store::Report::Delivered,
            now,
        )
        .await
        .unwrap();

    let op = Browser::new(&app);
    assert_eq!(
        op.get("/operator/usage").await.location.as_deref(),
        Some("/operator/login")
    );
    op.operator(&app).await;
    let page = op.get("/operator/usage").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let month = format!("{:04}-{:02}", local.year(), local.month());
    assert!(
        page.body.contains(&format!("Использование: {month}")),
        "{}",
        page.body
    );
    for (inn, k, v) in [
        (INN_A, "messages", "3"),
        (INN_A, "read", "1"),
        (INN_A, "delivered", "1"),
        (INN_A, "no_device", "1"),
        (INN_A, "failed", "0"),
        (INN_A, "sms", "0"),
        (INN_A, "staff", "1 / 2"),
        (INN_B, "messages", "1"),
        (INN_B, "staff", "1 / 1"),
        (c.inn.as_str(), "messages", "0"),
        (c.inn.as_str(), "staff", "0 / 0"),
        ("total", "messages", "4"),
        ("total", "staff", "2 / 3"),
    ] {
        assert_eq!(usage_of(&page, inn, k), v, "{inn} {k}");
    }
    let order: Vec<usize> = [INN_A, INN_B, c.inn.as_str()]
        .iter()
        .map(|inn| {
            page.body
                .find(&format!("data-partner-inn=\"{inn}\""))
                .unwrap()
        })
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "the busiest first");
    assert!(
        link(&page, "next-month").is_none(),
        "no month after this one"
    );

    let prev = op.get(&link(&page, "prev-month").unwrap()).await;
    assert_eq!(
        usage_of(&prev, INN_A, "messages"),
        "1",
        "the message a millisecond before"
    );
    assert_eq!(usage_of(&prev, INN_B, "messages"), "0");
    assert_eq!(
        link(&prev, "next-month").as_deref(),
        Some(format!("/operator/usage?month={month}").as_str())
    );
    for junk in ["2999-01", "2026-13", "abc", "1999-12"] {
        let page = op.get(&format!("/operator/usage?month={junk}")).await;
        assert!(
            page.body.contains(&format!("Использование: {month}")),
            "{junk}"
        );
    }

    let csv = csv_rows(&op.get(&format!("/operator/usage.csv?month={month}")).await);
    assert_eq!(csv[0][0], "Месяц");
    assert_eq!(csv.len(), 4, "{csv:?}");
    assert_eq!(
        csv[1],
        [
            month.as_str(),
            INN_A,
            "ООО Весна",
            "Общество с ограниченной ответственностью Весна",
            "работает",
            "3",
            "1",
            "1",
            "0",
            "1",
            "0",
            "1",
            "2"
        ]
    );
    assert_eq!(csv[3][4], "отключён");
    let english = csv_rows(&op.get("/operator/usage.csv?lang=en").await);
    assert_eq!(english[0][5], "Messages");

    // A partner's admin is not the operator.
    let admin = Browser::new(&app);
    admin.partner(INN_A).await;
    assert_eq!(
        admin.get("/operator/usage.csv").await.location.as_deref(),
        Some("/operator/login")
    );
}

/// The rules' refusals are written once, in both languages: the Russian cabinet shows the
/// Russian (as the v1 API does), the English one the English, on every page that shows one.
async fn the_english_cabinet_gives_the_rules_refusals_in_english(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иван Иванов").await;
    let b = Browser::new(&app);
    let csrf = b.partner(&p.inn).await.csrf();
    let bad_date = |word: &'static str| format!("/cabinet/messages?from={word}");
    let russian = b.get(&bad_date("вчера")).await;
    assert!(
        russian
            .body
            .contains("Неверная дата «вчера»: ожидается ISO 8601"),
        "{}",
        russian.body
    );

    let id = app
        .create_message(&p, &e.id, "Планерка", "В 9:00")
        .await
        .ok()["messageid"]
        .as_str()
        .unwrap()
        .to_owned();
    let history = b.get(&format!("/cabinet/messages/{id}")).await;
    assert!(
        history.body.contains("Создано (через API), ожидает")
            || history.body.contains("Создано (через API); у сотрудника"),
        "{}",
        history.body
    );
    assert!(!history.body.contains("(api)"), "the source in words");
    // What the server's command line did is in the journal under its own name.
    let row = app.state.store.partner_by_id(p.id).await.unwrap().unwrap();
    simo_backend::cabinet::audit::record_cli(
        &app.state.store,
        &row,
        simo_backend::cabinet::audit::Action::TokenRotated,
        "",
    )
    .await;
    let journal = b.get("/cabinet/journal").await;
    assert!(
        journal.body.contains("Командная строка сервера"),
        "{}",
        journal.body
    );

    assert_eq!(b.get("/cabinet?lang=en").await.status, 200);
    // Stored in Russian (the API shows it so), read back in English through its pattern.
    let history = b.get(&format!("/cabinet/messages/{id}")).await;
    assert!(
        history.body.contains("Created (via the API)"),
        "{}",
        history.body
    );
    assert!(!history.body.contains("Создано"), "{}", history.body);
    let journal = b.get("/cabinet/journal").await;
    assert!(
        journal.body.contains("Server command line"),
        "{}",
        journal.body
    );
    let english = b.get(&bad_date("yesterday")).await;
    assert!(
        english
            .body
            .contains("Wrong date “yesterday”: ISO 8601 expected"),
        "{}",
        english.body
    );
    assert!(!english.body.contains("Неверная дата"));

    let rename = format!("/cabinet/employees/{}/rename", e.id);
    let unnamed = b.post(&rename, &[("csrf", &csrf), ("name", "  ")]).await;
    assert_eq!(unnamed.status, 400);
    assert!(
        unnamed.body.contains("name is missing (staffname)"),
        "{}",
        unnamed.body
    );

    let short = b
        .post(
            "/cabinet/settings/password",
            &[
                ("csrf", &csrf),
                ("current", "secret-password"),
                ("new", "short"),
                ("confirm", "short"),
            ],
        )
        .await;
    assert!(
        short
            .body
            .contains("The password is too short: 8 characters at least"),
        "{}",
        short.body
    );

    let send = |to: String, repeat: &'static str| {
        let csrf = csrf.clone();
        let b = &b;
        async move {
            b.post(
                "/cabinet/send",
                &[
                    ("csrf", &csrf),
                    ("staff", &to),
                    ("title", "Planning"),
                    ("text", "At nine"),
                    ("when", "later"),
                    ("send_at", "2099-01-01T09:00"),
                    ("repeat", repeat),
                ],
            )
            .await
        }
    };
    let hourly = send(e.id.clone(), "hourly").await;
    assert_eq!(hourly.status, 400);
    assert!(
        hourly
            .body
            .contains("is daily, weekdays, weekly or monthly; without it a send goes once"),
        "{}",
        hourly.body
    );
    let far = send(e.id.clone(), "").await;
    assert_eq!(far.status, 400);
    assert!(
        far.body
            .contains("A message can be scheduled at most a year ahead"),
        "{}",
        far.body
    );
    // Nothing of that was stored.
    assert_eq!(app.count("SELECT COUNT(*) FROM scheduled_sends").await, 0);

    let op = Browser::new(&app);
    op.operator(&app).await;
    let list = op.get("/operator?lang=en").await;
    let taken = op
        .post(
            "/operator/partners",
            &[
                ("csrf", &list.csrf()),
                ("inn", INN_A),
                ("name", "ООО Лето"),
                ("full_name", "ООО «Лето»"),
                ("password", "summer-password"),
            ],
        )
        .await;
    assert!(
        taken
            .body
            .contains(&format!("A partner with INN {INN_A} already exists")),
        "{}",
        taken.body
    );
}

/// The text a person reads on a page: tags, code samples (1C's language is Russian) and inline
/// code out.
fn prose(body: &str) -> String {
    let mut text = body.to_owned();
    for (open, close) in [
        ("<pre", "</pre>"),
        ("<code>", "</code>"),
        ("<script", "</script>"),
    ] {
        while let Some(start) = text.find(open) {
            let end = text[start..]
                .find(close)
                .map_or(text.len(), |e| start + e + close.len());
            text.replace_range(start..end, " ");
        }
    }
    without_tags(&text)
}

async fn the_guide_is_in_russian_or_in_english_with_the_partners_own_inn(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let b = Browser::new(&app);
    b.partner(&p.inn).await;
    let russian = b.get("/cabinet/docs").await;
    assert_eq!(russian.status, 200);
    assert!(russian.body.contains("Подключение АСУ по API"));
    assert!(!russian.body.contains("Connecting your system"));
    let english = b.get("/cabinet/docs?lang=en").await;
    assert_eq!(english.status, 200);
    for section in [
        "id=\"createmessage\"",
        "id=\"recallmessage\"",
        "id=\"webhook\"",
        "id=\"schedulemessage\"",
        "id=\"groups\"",
        "id=\"onec\"",
    ] {
        assert!(russian.body.contains(section), "{section} in Russian");
        assert!(english.body.contains(section), "{section} in English");
    }
    // The code both pages share: 1C's connection to this server, the signature check.
    for code in [
        "Соединение = Новый HTTPСоединение(\"127.0.0.1\"",
        "hmac.new(SECRET.encode()",
    ] {
        assert!(russian.body.contains(code), "{code} in Russian");
        assert!(english.body.contains(code), "{code} in English");
    }
    assert!(english.body.contains("Connecting your system over the API"));
    assert!(english.body.contains(&format!("\"inn\":\"{}\"", p.inn)));
    // Every word a person reads is English; only code (1C's is Russian) and the product's
    // own Russian names in <code> are left.
    // The guide itself: the header's logo letter and language switch are the layout's.
    let guide = english
        .body
        .split("class=\"docs\"")
        .nth(1)
        .unwrap_or_default();
    let guide = guide.split("<footer").next().unwrap_or_default();
    let words = prose(guide);
    let cyrillic: Vec<&str> = words
        .split_whitespace()
        .filter(|w| {
            w.chars()
                .any(|c| ('а'..='я').contains(&c.to_lowercase().next().unwrap_or(c)) || c == 'ё')
        })
        .collect();
    assert!(
        cyrillic.is_empty(),
        "Russian words on the English guide: {cyrillic:?}"
    );
}

/// The text of HTML with its tags taken out.
pub(crate) fn without_tags(html: &str) -> String {
    let mut plain = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => plain.push(c),
            _ => {}
        }
    }
    plain
}

/// The admin sets how long messages stay on the server; the hourly housekeeping deletes older
/// ones with their history and jobs, for that partner only, and nothing newer.
async fn messages_older_than_the_partners_retention_leave_the_server_with_their_history(
    app: TestApp,
) {
    use simo_backend::service::housekeeping::{Retention, run_once};
    let p = app.create_partner(INN_A).await;
    let other = app.create_partner(INN_B).await;
    let e = app.login(&p.inn, PHONE, "Иванов Иван").await;
    let o = app.login(&other.inn, "+79990001122", "Петров Пётр").await;
    let id = |a: Answer| a.ok()["messageid"].as_str().unwrap().to_owned();
    let old = id(app.create_message(&p, &e.id, "Старое", "Год назад").await);
    let recent = id(app.create_message(&p, &e.id, "Свежее", "Вчера").await);
    let theirs = id(app
        .create_message(&other, &o.id, "Чужое", "Год назад")
        .await);
    let now = simo_backend::domain::now_millis();
    let day = 86_400_000;
    app.state
        .store
        .execute_script(&format!(
            "UPDATE messages SET created_at = {} WHERE id IN ({old}, {theirs});
             UPDATE messages SET created_at = {} WHERE id = {recent};",
            now - 400 * day,
            now - day
        ))
        .await
        .unwrap();

    let b = Browser::new(&app);
    let home = b.partner(&p.inn).await;
    let page = b.get("/cabinet/settings").await;
    assert!(
        page.body
            .contains("<option value=\"0\" selected>бессрочно</option>"),
        "{}",
        page.body
    );
    let forged = b
        .post(
            "/cabinet/settings/retention",
            &[("csrf", &"a".repeat(64)), ("days", "30")],
        )
        .await;
    assert_eq!(forged.status, 403);
    let odd = b
        .post(
            "/cabinet/settings/retention",
            &[("csrf", &home.csrf()), ("days", "31")],
        )
        .await;
    assert_eq!(odd.status, 400);
    assert!(
        odd.body.contains("Срок хранения — один из предложенных"),
        "{}",
        odd.body
    );
    // Nothing set: housekeeping keeps everything.
    let keep_all = Retention::new(300, 0);
    let pruned = run_once(&app.state.store, keep_all, now).await.unwrap();
    assert_eq!(pruned.messages, 0);

    let saved = b
        .post(
            "/cabinet/settings/retention",
            &[("csrf", &home.csrf()), ("days", "365")],
        )
        .await;
    assert_eq!(
        saved.location.as_deref(),
        Some("/cabinet/settings?done=retention_saved")
    );
    let page = b.get("/cabinet/settings").await;
    assert!(
        page.body
            .contains("<option value=\"365\" selected>365 дн.</option>"),
        "{}",
        page.body
    );
    let events_of =
        |id: &str| format!("SELECT COUNT(*) FROM message_events WHERE message_id = {id}");
    assert!(app.count(&events_of(&old)).await > 0);

    let pruned = run_once(&app.state.store, keep_all, now).await.unwrap();
    assert_eq!(pruned.messages, 1);
    assert_eq!(
        app.count(&events_of(&old)).await,
        0,
        "its history went with it"
    );
    let count = |id: &str| format!("SELECT COUNT(*) FROM messages WHERE id = {id}");
    assert_eq!(app.count(&count(&old)).await, 0);
    assert_eq!(app.count(&count(&recent)).await, 1, "within the year");
    assert_eq!(
        app.count(&count(&theirs)).await,
        1,
        "another partner's retention is its own"
    );
    let status = app
        .post(
            "getmessagestatus",
            Some(&p.token),
            json!({"inn": p.inn, "messageids": [old, recent]}),
        )
        .await;
    assert_eq!(status.ok()["notfound"], json!([old]));
    assert_eq!(b.get(&format!("/cabinet/messages/{old}")).await.status, 404);
    // The journal has the change, in either language.
    let entries = journal(&b.get("/cabinet/journal").await);
    assert!(
        entries
            .iter()
            .any(|(_, what, _)| what == "Срок хранения сообщений: 365 дн."),
        "{entries:?}"
    );
    let english = without_tags(&b.get("/cabinet/journal?lang=en").await.body);
    assert!(english.contains("Message retention: 365 days"), "{english}");
}

/// A typo at creation, or a new legal form: the operator corrects the names; employees see the
/// new short name at their next login; the partner's journal says who changed what.
async fn the_operator_corrects_a_partners_names_and_the_app_shows_the_new_one(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let other = app.create_partner(INN_B).await;
    let op = Browser::new(&app);
    op.operator(&app).await;
    let list = op.get("/operator").await;
    assert!(
        list.body
            .contains(&format!("action=\"/operator/partners/{}/names\"", p.id))
    );
    let rename = |id: i64, name: &'static str, full: &'static str, csrf: String| {
        let op = &op;
        async move {
            op.post(
                &format!("/operator/partners/{id}/names"),
                &[("csrf", &csrf), ("name", name), ("full_name", full)],
            )
            .await
        }
    };
    let forged = rename(p.id, "АО Весна", "АО «Весна»", "a".repeat(64)).await;
    assert_eq!(forged.status, 403);
    let empty = rename(p.id, " ", "АО «Весна»", list.csrf()).await;
    assert_eq!(empty.status, 400);
    assert_eq!(rename(999_999, "X", "Y", list.csrf()).await.status, 404);
    let done = rename(
        p.id,
        "АО Весна",
        "Акционерное общество «Весна»",
        list.csrf(),
    )
    .await;
    assert_eq!(
        done.location.as_deref(),
        Some("/operator?done=partner_renamed")
    );

    // The app's profile after a login carries the new short name; the other partner's is kept.
    let e = app.login(&p.inn, PHONE, "Иванов").await;
    let code = {
        app.auth(&p.inn, PHONE, "Иванов").await.ok();
        app.sms.last_code(PHONE).unwrap()
    };
    let profile = app.confirm(&p.inn, PHONE, &code).await;
    assert_eq!(profile.ok()["staffid"], e.id.as_str());
    let names = |id: i64| {
        format!("SELECT COUNT(*) FROM partners WHERE id = {id} AND short_name = 'АО Весна'")
    };
    assert_eq!(app.count(&names(p.id)).await, 1);
    assert_eq!(app.count(&names(other.id)).await, 0);
    let shown = serde_json::to_string(profile.ok()).unwrap();
    assert!(shown.contains("АО Весна"), "{shown}");

    let b = Browser::new(&app);
    b.partner(&p.inn).await;
    let entries = journal(&b.get("/cabinet/journal").await);
    let expected = "Оператор изменил название организации: «ООО Весна» → «АО Весна»; \
                    «Общество с ограниченной ответственностью Весна» → «Акционерное общество «Весна»»";
    assert!(
        entries
            .iter()
            .any(|(who, what, _)| what == expected && who.contains("ops")),
        "{entries:?}"
    );
    // Saving the same names again records nothing.
    rename(
        p.id,
        "АО Весна",
        "Акционерное общество «Весна»",
        list.csrf(),
    )
    .await;
    let renamed = format!(
        "SELECT COUNT(*) FROM audit_events WHERE partner_id = {} AND action = 'partner_renamed'",
        p.id
    );
    assert_eq!(app.count(&renamed).await, 1);
}

/// The employee list is paged by `LIMIT` unless it is searched, and by the IDs of all it found
/// when it is: a search every employee matches must give, under every filter, the same pages,
/// counts and rows as no search at all.
async fn both_ways_of_the_employee_list_give_the_same_pages(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let other = app.create_partner(INN_B).await;
    app.login(&other.inn, "+79001119999", "Сотрудник чужой")
        .await;
    // 123 employees, names out of phone order and some twice (then ordered by ID).
    let staff: Vec<(String, String)> = (0..123)
        .map(|i| {
            (
                format!("+7900111{i:04}"),
                format!("Сотрудник {:03}", (i * 37) % 101),
            )
        })
        .collect();
    let ids: Vec<String> = app
        .add_listed(&p, &staff)
        .await
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let sql = format!(
        "UPDATE staff SET state = 'disabled' WHERE id IN ({});
         UPDATE staff SET state = 'pending' WHERE id IN ({});
         UPDATE staff SET push_token = 'tok', device = 'android', push_device = 'android' WHERE id IN ({});",
        ids.iter().step_by(5).cloned().collect::<Vec<_>>().join(","),
        ids.iter().skip(2).step_by(7).cloned().collect::<Vec<_>>().join(","),
        ids.iter().skip(1).step_by(3).cloned().collect::<Vec<_>>().join(","),
    );
    app.state.store.execute_script(&sql).await.unwrap();
    let members: Vec<&String> = ids.iter().skip(4).step_by(2).collect();
    let group = app
        .post(
            "savegroup",
            Some(&p.token),
            json!({"inn": p.inn, "name": "Смена", "staffids": members}),
        )
        .await;
    let group = group.ok()["groupid"].as_str().unwrap().to_owned();
    let theirs = app
        .post(
            "savegroup",
            Some(&other.token),
            json!({"inn": other.inn, "name": "Их", "staffids": []}),
        )
        .await;
    let theirs = theirs.ok()["groupid"].as_str().unwrap().to_owned();

    let b = Browser::new(&app);
    b.partner(&p.inn).await;
    let rows = listed_ids;
    let mut seen = 0;
    for state in ["", "active", "disabled", "pending"] {
        for push in ["", "none"] {
            for g in ["", group.as_str(), theirs.as_str()] {
                for page in ["1", "2", "3", "9"] {
                    let query = format!("state={state}&push={push}&group={g}&page={page}");
                    let paged = b.get(&format!("/cabinet/employees?{query}")).await;
                    let searched = b
                        .get(&format!("/cabinet/employees?{query}&q=сотрудник"))
                        .await;
                    assert_eq!(paged.status, 200);
                    assert_eq!(rows(&paged.body), rows(&searched.body), "{query}");
                    // The same counts and the same pager.
                    let facts = |body: &str| {
                        let chips: Vec<String> = body
                            .split("class=\"chip")
                            .skip(1)
                            .map(|c| {
                                without_tags(&format!("<a {}", c.split("</a>").next().unwrap()))
                            })
                            .collect();
                        let matched = body
                            .split("value=\"active_all\" data-confirm=\"")
                            .nth(1)
                            .map(|c| c.split('"').next().unwrap().to_owned());
                        let page_of = body
                            .split("id=\"page-of\">")
                            .nth(1)
                            .map(|c| c.split('<').next().unwrap().to_owned());
                        (chips, matched, page_of)
                    };
                    assert_eq!(facts(&paged.body), facts(&searched.body), "{query}");
                    seen += rows(&paged.body).len();
                }
            }
        }
    }
    assert!(seen > 500, "the filters select rows: {seen}");
    // Unfiltered, the first page is the 50 first by name then ID.
    let first = rows(&b.get("/cabinet/employees").await.body);
    assert_eq!(first.len(), 50);
    assert!(!first.iter().any(|id| id == &ids[0]) || first[0] == ids[0]);
}

/// "Завершить другие сеансы": the admin's other browsers are logged out, this one stays, and
/// another company's admin is not touched.
async fn an_admin_ends_the_sessions_left_open_on_other_devices(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    app.create_partner(INN_B).await;
    let [here, office, home] = [Browser::new(&app), Browser::new(&app), Browser::new(&app)];
    for b in [&here, &office, &home] {
        b.partner(&p.inn).await;
    }
    let other = Browser::new(&app);
    other.partner(INN_B).await;
    let open = |page: &Page| {
        let at = page.body.find("id=\"sessions-open\">").expect("the count") + 19;
        page.body[at..].split('<').next().unwrap().to_owned()
    };
    let settings = here.get("/cabinet/settings").await;
    assert_eq!(open(&settings), "3");
    let ended = here
        .post("/cabinet/settings/sessions", &[("csrf", &settings.csrf())])
        .await;
    assert_eq!(
        ended.location.as_deref(),
        Some("/cabinet/settings?done=sessions_ended#sessions")
    );
    for b in [&office, &home] {
        assert_eq!(
            b.get("/cabinet").await.location.as_deref(),
            Some("/cabinet/login")
        );
    }
    assert_eq!(here.get("/cabinet").await.status, 200);
    assert_eq!(other.get("/cabinet").await.status, 200, "another company's");
    let settings = here.get("/cabinet/settings?done=sessions_ended").await;
    assert_eq!(open(&settings), "1");
    assert!(settings.body.contains("id=\"end-sessions\" disabled"));
    assert!(
        settings
            .body
            .contains("Сеансы на других устройствах завершены")
    );
    let journal = here.get("/cabinet/journal").await.body;
    assert!(
        journal.contains("Завершены сеансы на других устройствах: <span class=\"audit-detail\">2"),
        "{journal}"
    );
}
