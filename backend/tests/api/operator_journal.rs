//! The operator's journal: what the operators and the server's command line did, across all
//! companies, kept after a company is deleted.

use crate::cabinet::{Browser, Page, csv_rows};
use crate::helpers::*;
use simo_backend::store::OperatorEventRow;

both_databases!(
    the_operator_journal_records_each_operator_action_and_outlives_a_deleted_company,
    the_operator_journal_filters_by_inn_pages_and_downloads,
);

/// The journal's entries as stored, newest first: actor, action, INN, detail.
async fn stored(app: &TestApp) -> Vec<(String, String, String, String)> {
    let rows: Vec<OperatorEventRow> = app
        .state
        .store
        .list_operator_events(None, None, 1000)
        .await
        .unwrap();
    rows.into_iter()
        .map(|r| (r.actor, r.action, r.partner_inn, r.detail))
        .collect()
}

fn entry(actor: &str, action: &str, inn: &str, detail: &str) -> (String, String, String, String) {
    (actor.into(), action.into(), inn.into(), detail.into())
}

/// The table's rows as shown: each cell's text without its tags.
fn shown(page: &Page) -> Vec<Vec<String>> {
    assert_eq!(page.status, 200, "{}", page.body);
    let Some(body) = page.body.split("<tbody>").nth(1) else {
        return vec![];
    };
    let body = body.split("</tbody>").next().unwrap();
    body.split("<tr")
        .skip(1)
        .map(|row| {
            row.split("<td")
                .skip(1)
                .map(|cell| {
                    let inner = &cell[cell.find('>').unwrap() + 1..];
                    let inner = inner.split("</td>").next().unwrap();
                    let mut text = String::new();
                    let mut in_tag = false;
                    for c in inner.chars() {
                        match c {
                            '<' => in_tag = true,
                            '>' => in_tag = false,
                            c if !in_tag => text.push(c),
                            _ => {}
                        }
                    }
                    text.split_whitespace().collect::<Vec<_>>().join(" ")
                })
                .collect()
        })
        .collect()
}

async fn the_operator_journal_records_each_operator_action_and_outlives_a_deleted_company(
    app: TestApp,
) {
    simo_backend::service::accounts::create_operator(&app.state.store, "ops", "operator-password")
        .await
        .unwrap();
    let ops = Browser::new(&app);
    assert_eq!(
        ops.login("operator", "ops", "wrong-password").await.status,
        401
    );
    // A password typed into the login field is not kept.
    assert_eq!(
        ops.login("operator", "Pa55word-in-the-wrong-field", "x")
            .await
            .status,
        401
    );
    assert_eq!(
        ops.login("operator", "ops", "operator-password")
            .await
            .status,
        303
    );

    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иванов Иван").await;
    app.create_message(&p, &e.id, "Смена", "В 8:00").await.ok();
    let list = ops.get("/operator").await;
    let csrf = list.csrf();
    let created = ops
        .post(
            "/operator/partners",
            &[
                ("csrf", &csrf),
                ("inn", INN_B),
                ("name", "ООО Лето"),
                ("full_name", "ООО «Лето»"),
                ("password", "summer-password"),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let row = |action: &str| format!("/operator/partners/{}/{action}", p.id);
    for (action, form) in [
        ("rate", vec![("rate", "500")]),
        (
            "names",
            vec![("name", "ООО Осень"), ("full_name", "ООО «Осень»")],
        ),
        ("password", vec![("password", "autumn-password")]),
        ("disabled", vec![("disabled", "1")]),
        ("erase", vec![("confirm", INN_A)]),
    ] {
        let mut fields = vec![("csrf", csrf.as_str())];
        fields.extend(form);
        let done = ops.post(&row(action), &fields).await;
        assert_eq!(done.status, 303, "{action}: {}", done.body);
    }
    let erased_at = stored(&app).await.len();
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_events WHERE partner_id = {}",
            p.id
        ))
        .await,
        0,
        "the company's own journal went with it"
    );

    let ops_ = "operator:ops";
    let renamed = "«ООО Весна» → «ООО Осень»; \
                   «Общество с ограниченной ответственностью Весна» → «ООО «Осень»»";
    assert_eq!(
        stored(&app).await,
        [
            entry(
                ops_,
                "partner_erased",
                INN_A,
                "удалено сообщений: 1, сотрудников: 1"
            ),
            entry(ops_, "partner_disabled", INN_A, ""),
            entry(ops_, "password_reset", INN_A, ""),
            entry(ops_, "partner_renamed", INN_A, renamed),
            entry(ops_, "partner_rate_set", INN_A, "— → 500"),
            entry(ops_, "partner_created", INN_B, ""),
            entry(ops_, "login", "", ""),
            entry("visitor", "login_failed", "", "неизвестный логин"),
            entry("visitor", "login_failed", "", "ops"),
        ]
    );
    assert_eq!(erased_at, 9);

    // The page names the company as it was named then, with its INN.
    let page = ops.get("/operator/journal").await;
    assert!(!page.body.contains("Pa55word"), "{}", page.body);
    let rows = shown(&page);
    assert_eq!(rows.len(), 9, "{rows:?}");
    assert_eq!(
        rows[0][1..],
        [
            "Оператор ops",
            "Организация удалена со всеми её данными: удалено сообщений: 1, сотрудников: 1",
            "7707083893 ООО Осень",
            "127.0.0.1",
        ]
    );
    assert_eq!(rows[4][3], "7707083893 ООО Весна", "before the renaming");
    assert_eq!(
        rows[8][1..3],
        ["Посетитель", "Неудачный вход (неверный пароль): ops"]
    );
    let english = shown(&ops.get("/operator/journal?lang=en").await);
    assert_eq!(
        english[0][2],
        "Organisation deleted with all its data: messages deleted: 1, employees: 1"
    );
    assert_eq!(
        english[7][2],
        "Failed login (wrong password): unknown login"
    );

    // Logging out is the last entry; only an operator reads the journal.
    let logout = ops.post("/operator/logout", &[("csrf", &csrf)]).await;
    assert_eq!(logout.status, 303);
    assert_eq!(stored(&app).await[0], entry(ops_, "logout", "", ""));
    for path in ["/operator/journal", "/operator/journal.csv"] {
        assert_eq!(
            ops.get(path).await.location.as_deref(),
            Some("/operator/login"),
            "{path}"
        );
        let admin = Browser::new(&app);
        let signed_in = admin.login("cabinet", INN_B, "summer-password").await;
        assert_eq!(signed_in.location.as_deref(), Some("/cabinet"));
        let refused = admin.get(path).await;
        assert_eq!(
            refused.location.as_deref(),
            Some("/operator/login"),
            "a company's admin is no operator: {path}"
        );
    }
}

async fn the_operator_journal_filters_by_inn_pages_and_downloads(_app: TestApp) {
    let app = spawn_app_with(_app.db, |s| s.apply("cabinet_page_size", "5").unwrap())
        .await
        .unwrap();
    let ops = Browser::new(&app);
    ops.operator(&app).await;
    let now = simo_backend::domain::now_millis();
    let mut sql = String::new();
    for i in 0..15 {
        let inn = if i % 5 == 0 { INN_B } else { INN_A };
        sql.push_str(&format!(
            "INSERT INTO operator_events (actor, action, partner_inn, partner_name, detail, created_at)
             VALUES ('cli', 'partner_rate_set', '{inn}', 'ООО', '— → {i}', {at});\n",
            at = now + i
        ));
    }
    app.state.store.execute_script(&sql).await.unwrap();

    // Every entry once, newest first, a page at a time: 15 and the operator's login.
    let mut details = vec![];
    let mut path = Some("/operator/journal".to_owned());
    let mut pages = 0;
    while let Some(p) = path {
        let page = ops.get(&p).await;
        let rows = shown(&page);
        assert!(rows.len() <= 5, "{p}: {rows:?}");
        details.extend(rows.into_iter().map(|r| r[2].clone()));
        path = page
            .body
            .split("id=\"older-page\"")
            .next()
            .filter(|_| page.body.contains("id=\"older-page\""))
            .and_then(|before| before.rsplit("href=\"").next())
            .map(|h| h.split('"').next().unwrap().replace("&amp;", "&"));
        pages += 1;
    }
    assert_eq!(pages, 4);
    let expected: Vec<String> = (0..15)
        .rev()
        .map(|i| {
            format!("Оператор изменил лимит вызовов API в секунду (— — как у сервера): — → {i}")
        })
        .chain(["Вход в кабинет".to_owned()])
        .collect();
    assert_eq!(details, expected);

    // One company's entries, by its INN.
    let b = shown(&ops.get(&format!("/operator/journal?inn={INN_B}")).await);
    assert_eq!(b.len(), 3, "{b:?}");
    assert!(b.iter().all(|r| r[3] == format!("{INN_B} ООО")), "{b:?}");
    let nobody = ops.get("/operator/journal?inn=7702070139").await;
    assert!(
        nobody.body.contains("id=\"journal-empty\""),
        "{}",
        nobody.body
    );
    assert!(
        nobody
            .body
            .contains("Записей об организации с этим ИНН нет.")
    );
    // What is no INN is said so, and everything is shown.
    let bad = ops.get("/operator/journal?inn=12%3Cb%3E3").await;
    assert!(bad.body.contains("id=\"bad-inn\""), "{}", bad.body);
    assert!(!bad.body.contains("<b>3"), "the value is escaped");
    assert_eq!(shown(&bad).len(), 5);

    // The downloads: every entry the filter selects, with the company's INN and name.
    let all = csv_rows(&ops.get("/operator/journal.csv").await);
    assert_eq!(all.len(), 1 + 16);
    assert_eq!(
        all[0],
        [
            "Когда",
            "Кто",
            "Что сделано",
            "ИНН организации",
            "Организация",
            "Подробности",
            "Адрес"
        ]
    );
    let a = ops
        .get(&format!("/operator/journal.csv?inn={INN_A}&lang=en"))
        .await;
    assert!(
        a.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&format!("operator-journal-{INN_A}.csv")),
        "{:?}",
        a.headers
    );
    let a = csv_rows(&a);
    assert_eq!(a.len(), 1 + 12);
    assert_eq!(a[0][3], "Organisation's INN");
    assert!(
        a[1..]
            .iter()
            .all(|r| r[1] == "Server command line" && r[3] == INN_A)
    );
}
