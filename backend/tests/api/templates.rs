//! The cabinet's message templates: kept by name, put into the send form, each partner's own.

use crate::cabinet::{Browser, journal};
use crate::helpers::*;
use crate::push::on_both_databases;

on_both_databases!(
    templates_fill_in_the_send_form_and_stay_each_partners_own,
    a_templates_name_keeps_no_control_characters,
);

/// The `value` of the form field `name` on a page.
fn field(body: &str, name: &str) -> String {
    let input = format!("name=\"{name}\"");
    let after = body.split(&input).nth(1).expect("the field");
    if name == "text" {
        let inner = after.split_once('>').unwrap().1;
        return inner.split("</textarea>").next().unwrap().to_owned();
    }
    let value = after.split("value=\"").nth(1).unwrap();
    value.split('"').next().unwrap().to_owned()
}

async fn templates_fill_in_the_send_form_and_stay_each_partners_own(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let q = app.create_partner(INN_B).await;
    let a = app.login(&p.inn, PHONE, "Иванов И.").await;
    let b = Browser::new(&app);
    b.partner(&p.inn).await;
    let empty = b.get("/cabinet/templates").await;
    assert!(empty.body.contains("id=\"tpl-none\""), "{}", empty.body);
    assert!(
        !b.get("/cabinet/send")
            .await
            .body
            .contains("id=\"tpl-select\""),
        "no list without templates"
    );
    let csrf = empty.csrf();
    let save = |id: &'static str, name: &'static str, title: &'static str, text: &'static str| {
        let csrf = csrf.clone();
        let b = &b;
        async move {
            b.post(
                "/cabinet/templates",
                &[
                    ("csrf", &csrf),
                    ("do", "save"),
                    ("id", id),
                    ("name", name),
                    ("title", title),
                    ("text", text),
                ],
            )
            .await
        }
    };
    let saved = save("", "Планерка", "Планерка", "В 10:00 в переговорной").await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(
        saved.location.as_deref(),
        Some("/cabinet/templates?done=template_saved")
    );
    let list = b.get(saved.location.as_deref().unwrap()).await;
    assert!(list.body.contains("Шаблон сохранён."));
    let id = list
        .body
        .split("<tr data-id=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();

    // Refused, with what was typed kept: a name in use, no name, a title too long.
    let taken = save("", "Планерка", "Другая", "Текст").await;
    assert_eq!(taken.status, 400);
    assert!(
        taken.body.contains("Шаблон «Планерка» уже есть"),
        "{}",
        taken.body
    );
    assert_eq!(field(&taken.body, "title"), "Другая");
    // Control characters are no name (PostgreSQL refuses a NUL: the fuzz found a 500).
    for blank in ["  ", "\0\u{1}\u{202e}"] {
        let unnamed = save("", blank, "Заголовок", "Текст").await;
        assert_eq!(unnamed.status, 400, "{blank:?}: {}", unnamed.body);
        assert!(unnamed.body.contains("Укажите название шаблона"));
    }
    let long: &'static str = "т".repeat(251).leak();
    let too_long = save("", "Длинный", long, "Текст").await;
    assert_eq!(too_long.status, 400);
    assert!(too_long.body.contains("Слишком длинный заголовок"));
    assert_eq!(app.count("SELECT COUNT(*) FROM message_templates").await, 1);

    // Changed in place, under the same ID.
    let edit = b.get(&format!("/cabinet/templates?edit={id}")).await;
    assert_eq!(field(&edit.body, "name"), "Планерка");
    assert_eq!(field(&edit.body, "text"), "В 10:00 в переговорной");
    let id_static: &'static str = id.clone().leak();
    let changed = save(id_static, "Планерка", "Планерка переносится", "В 11:00").await;
    assert_eq!(changed.status, 303, "{}", changed.body);
    save("", "Склад", "Инвентаризация", "Склад закрыт").await;

    // The send form: the list, and a template filled in with the ticked employee kept.
    let form = b
        .get(&format!("/cabinet/send?template={id}&staff={}", a.id))
        .await;
    assert_eq!(field(&form.body, "title"), "Планерка переносится");
    assert_eq!(field(&form.body, "text"), "В 11:00");
    assert!(form.body.contains(&format!(
        "<option value=\"{id}\" selected>Планерка</option>"
    )));
    assert!(
        form.body
            .contains(&format!("name=\"staff\" value=\"{}\" checked", a.id))
    );
    let picker = form.body.split("id=\"tpl-select\"").nth(1).unwrap();
    let picker = picker.split("</select>").next().unwrap();
    let names: Vec<&str> = picker
        .split("<option value=\"")
        .skip(2)
        .map(|o| o.split('>').nth(1).unwrap().trim_end_matches("</option"))
        .collect();
    assert_eq!(names, ["Планерка", "Склад"], "by name");

    // Another partner can neither use, open, change nor delete it.
    let other = Browser::new(&app);
    other.partner(&q.inn).await;
    let theirs = other.get(&format!("/cabinet/send?template={id}")).await;
    assert_eq!(field(&theirs.body, "title"), "");
    assert_eq!(
        other
            .get(&format!("/cabinet/templates?edit={id}"))
            .await
            .status,
        404
    );
    let other_csrf = other.get("/cabinet/templates").await.csrf();
    for action in ["save", "delete"] {
        let page = other
            .post(
                "/cabinet/templates",
                &[
                    ("csrf", &other_csrf),
                    ("do", action),
                    ("id", &id),
                    ("name", "Чужой"),
                    ("title", "t"),
                    ("text", "m"),
                ],
            )
            .await;
        assert_eq!(page.status, 404, "{action}: {}", page.body);
    }
    assert!(
        !other
            .get("/cabinet/templates")
            .await
            .body
            .contains("Планерка")
    );

    // Deleted after a forged form is refused.
    let forged = b
        .post(
            "/cabinet/templates",
            &[("csrf", "forged"), ("do", "delete"), ("id", &id)],
        )
        .await;
    assert_eq!(forged.status, 403);
    let deleted = b
        .post(
            "/cabinet/templates",
            &[("csrf", &csrf), ("do", "delete"), ("id", &id)],
        )
        .await;
    assert_eq!(
        deleted.location.as_deref(),
        Some("/cabinet/templates?done=template_deleted")
    );
    let left = b.get("/cabinet/templates").await;
    assert!(!left.body.contains("Планерка") && left.body.contains("Склад"));
    assert_eq!(app.count("SELECT COUNT(*) FROM message_templates").await, 1);

    let entries = journal(&b.get("/cabinet/journal?kind=sent").await);
    let what: Vec<&str> = entries.iter().map(|(_, what, _)| what.as_str()).collect();
    assert_eq!(
        what,
        [
            "Шаблон удалён: Планерка",
            "Шаблон сохранён: Склад",
            "Шаблон сохранён: Планерка",
            "Шаблон сохранён: Планерка",
        ],
        "{entries:?}"
    );
    let english = b.get("/cabinet/templates?lang=en").await;
    assert!(english.body.contains("Message templates") && english.body.contains("Use"));
    assert_eq!(
        Browser::new(&app)
            .get("/cabinet/templates")
            .await
            .location
            .as_deref(),
        Some("/cabinet/login")
    );
}

async fn a_templates_name_keeps_no_control_characters(db: Db) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let p = app.create_partner(INN_A).await;
    let b = Browser::new(&app);
    b.partner(&p.inn).await;
    let csrf = b.get("/cabinet/templates").await.csrf();
    let saved = b
        .post(
            "/cabinet/templates",
            &[
                ("csrf", csrf.as_str()),
                ("do", "save"),
                ("id", ""),
                ("name", "Звонок\u{7}\0"),
                ("title", "Заголовок"),
                ("text", "Текст"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let kept = "SELECT COUNT(*) FROM message_templates WHERE name = 'Звонок'";
    assert_eq!(
        app.count(kept).await,
        1,
        "kept without the control characters"
    );
}
