//! One employee's card: as the company keeps them, their groups, their messages by status and
//! the latest ones; reached from the list and from a message; never another company's.

use crate::admins::{dispatcher, with_role};
use crate::cabinet::{Browser, csv_rows};
use crate::helpers::*;
use simo_backend::domain::StaffId;
use simo_backend::store::{GroupInput, StaffState};

both_databases!(
    an_employees_card_shows_them_their_groups_and_their_messages,
    an_admin_changes_an_employee_on_their_card_and_comes_back_to_it,
    journal_entries_written_before_they_named_their_employee_find_them,
);

/// The card's counts: (status, count), in the order shown.
fn tally(body: &str) -> Vec<(String, i64)> {
    crate::send_tally::counts_in(body, "employee-tally")
}

/// The card's history: each change as "action: detail", newest first.
fn history(body: &str) -> Vec<String> {
    let section = body.split("id=\"employee-history\"").nth(1).unwrap();
    section
        .split("class=\"audit-what\">")
        .skip(1)
        .map(|cell| {
            let cell = cell.split("</td>").next().unwrap();
            cell.replace("<span class=\"audit-detail\">", "")
                .replace("</span>", "")
                .replace("&#62;", ">")
                .replace("&gt;", ">")
        })
        .collect()
}

/// The journal page's rows.
fn journal_rows(body: &str) -> usize {
    body.matches("class=\"audit-what\"").count()
}

/// The latest messages the card lists, by ID.
fn recent(body: &str) -> Vec<i64> {
    body.split("class=\"title-cell\"><a href=\"/cabinet/messages/")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().parse().unwrap())
        .collect()
}

async fn an_employees_card_shows_them_their_groups_and_their_messages(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let ivan = app.login(&p.inn, PHONE, "Иванов Иван").await;
    let anna = app.login(&p.inn, "+79230000002", "Петрова Анна").await;
    let ivan_id = StaffId::parse(&ivan.id).unwrap();
    app.state
        .store
        .save_group(
            p.id,
            &GroupInput {
                id: None,
                name: "Склад",
                members: Some(&[ivan_id]),
                now: 0,
            },
        )
        .await
        .unwrap();
    let mut sent = Vec::new();
    for title in ["Первое", "Второе"] {
        let id: i64 = app.create_message(&p, &ivan.id, title, "Текст").await.ok()["messageid"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        sent.push(id);
    }
    app.create_message(&p, &anna.id, "Анне", "Текст").await.ok();
    app.state
        .store
        .execute_script(&format!(
            "UPDATE messages SET status = 'read' WHERE id = {}",
            sent[0]
        ))
        .await
        .unwrap();

    let b = Browser::new(&app);
    b.partner(&p.inn).await;
    let card = format!("/cabinet/employees/{}", ivan.id);
    let page = b.get(&card).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let body = &page.body;
    assert!(body.contains("<h1 id=\"employee-name\">Иванов Иван</h1>"));
    assert!(body.contains(&format!("<dd id=\"employee-phone\">{PHONE}</dd>")));
    assert!(body.contains("<span class=\"tag\">Склад</span>"), "{body}");
    assert_eq!(
        tally(body),
        [("read".to_owned(), 1), ("no_device".to_owned(), 1)]
    );
    assert_eq!(recent(body), [sent[1], sent[0]], "newest first, only his");
    assert!(body.contains(&format!(
        "href=\"/cabinet/messages?staff={}\" id=\"employee-messages\"",
        ivan.id
    )));
    assert!(body.contains(&format!(
        "href=\"/cabinet/send?staff={}\" id=\"employee-write\"",
        ivan.id
    )));
    // Reached from the list and from his message.
    let list = b.get("/cabinet/employees").await.body;
    assert!(list.contains(&format!(
        "<a href=\"{card}\" class=\"employee-link\">Иванов Иван</a>"
    )));
    let message = b.get(&format!("/cabinet/messages/{}", sent[0])).await.body;
    assert!(message.contains(&format!("<a href=\"{card}\" id=\"message-employee\">")));
    // English.
    let english = b.get(&format!("{card}?lang=en")).await.body;
    assert!(english.contains("Messages to the employee"), "{english}");
    b.get("/cabinet?lang=ru").await;

    // Disabled: no "write". No messages yet: said so.
    let anna_id = StaffId::parse(&anna.id).unwrap();
    app.state
        .store
        .set_staff_state(p.id, anna_id, StaffState::Disabled, 1)
        .await
        .unwrap();
    let anna_card = b.get(&format!("/cabinet/employees/{}", anna.id)).await.body;
    assert!(!anna_card.contains("id=\"employee-write\""));
    assert_eq!(tally(&anna_card), [("no_device".to_owned(), 1)]);
    let new = app.login(&p.inn, "+79230000003", "Новый Сотрудник").await;
    let new_card = b.get(&format!("/cabinet/employees/{}", new.id)).await.body;
    assert!(new_card.contains("id=\"employee-none\""), "{new_card}");

    // A viewer reads it without "write"; another company, or no number, finds nothing.
    let (_, viewer, _, _) =
        with_role(&app, &p, "auditor", "Аудитор", "viewer", "только просмотр").await;
    let seen = viewer.get(&card).await;
    assert_eq!(seen.status, 200);
    assert!(!seen.body.contains("id=\"employee-write\""));
    assert!(!seen.body.contains("id=\"employee-manage\""));
    assert!(!seen.body.contains("id=\"employee-group-add\""));
    // A sender writes to them but changes nothing of theirs.
    let (_, sender, _, _) = dispatcher(&app, &p).await;
    let seen = sender.get(&card).await.body;
    assert!(seen.contains("id=\"employee-write\""));
    assert!(!seen.contains("id=\"employee-manage\""));
    assert!(!seen.contains("action=\"/cabinet/employees/bulk\""));
    let other = app.create_partner(INN_B).await;
    let ob = Browser::new(&app);
    ob.partner(&other.inn).await;
    assert_eq!(ob.get(&card).await.status, 404);
    assert_eq!(b.get("/cabinet/employees/x1").await.status, 404);
}

async fn an_admin_changes_an_employee_on_their_card_and_comes_back_to_it(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let ivan = app.login(&p.inn, PHONE, "Иванов Иван").await;
    let ivan_id = StaffId::parse(&ivan.id).unwrap();
    let mut groups = Vec::new();
    for name in ["Склад", "Офис"] {
        let input = GroupInput {
            id: None,
            name,
            members: None,
            now: 0,
        };
        let saved = app.state.store.save_group(p.id, &input).await.unwrap();
        groups.push(saved.unwrap().id);
    }
    let (store, office) = (groups[0].to_string(), groups[1].to_string());
    let b = Browser::new(&app);
    b.partner(&p.inn).await;
    let card = format!("/cabinet/employees/{}", ivan.id);
    let page = b.get(&card).await;
    let csrf = page.csrf();
    // The forms on the card bring the admin back to it.
    assert!(page.body.contains(&format!(
        "<input type=\"hidden\" name=\"back\" value=\"{card}\">"
    )));
    assert!(
        page.body
            .contains("<span class=\"muted\">Ни в одной группе</span>")
    );
    let back_to_card = |done: &str| Some(format!("{card}?done={done}"));

    let disabled = b
        .post(
            &format!("{card}/state"),
            &[("csrf", &csrf), ("state", "disabled"), ("back", &card)],
        )
        .await;
    assert_eq!(disabled.location, back_to_card("disabled"));
    let shown = b.get(disabled.location.as_deref().unwrap()).await.body;
    assert!(shown.contains("Сотрудник отключён от рассылки"), "{shown}");
    assert!(shown.contains("name=\"enable\""));
    assert!(!shown.contains("id=\"employee-write\""));
    let row = app
        .state
        .store
        .staff_by_id(p.id, ivan_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.state, StaffState::Disabled.as_str());

    let enabled = b
        .post(
            &format!("{card}/state"),
            &[("csrf", &csrf), ("state", "active"), ("back", &card)],
        )
        .await;
    assert_eq!(enabled.location, back_to_card("enabled"));

    let renamed = b
        .post(
            &format!("{card}/rename"),
            &[
                ("csrf", &csrf),
                ("name", "Иванов Иван Петрович"),
                ("phone", "+7 923 000-00-09"),
                ("back", &card),
            ],
        )
        .await;
    assert_eq!(renamed.location, back_to_card("renamed"));
    let shown = b.get(&card).await.body;
    assert!(shown.contains("<h1 id=\"employee-name\">Иванов Иван Петрович</h1>"));
    assert!(
        shown.contains("<dd id=\"employee-phone\">+79230000009</dd>"),
        "{shown}"
    );

    // Into a group and out of it, from the card.
    let added = b
        .post(
            "/cabinet/employees/bulk",
            &[
                ("csrf", &csrf),
                ("do", "group_add"),
                ("group", &office),
                ("id", &ivan.id),
                ("back", &card),
            ],
        )
        .await;
    assert_eq!(added.location, back_to_card("bulk_group_added&n=1"));
    let shown = b.get(added.location.as_deref().unwrap()).await.body;
    assert!(shown.contains("Добавлено в группу: 1"), "{shown}");
    assert!(shown.contains("<span class=\"tag\">Офис</span>"));
    // Only the group he is not in is offered to add him to.
    let offered = shown.split("id=\"employee-group-add\"").nth(1).unwrap();
    let offered = offered.split("</form>").next().unwrap();
    assert!(offered.contains(&format!("<option value=\"{store}\">Склад</option>")));
    assert!(!offered.contains("Офис"), "{offered}");
    assert_eq!(
        app.state.store.groups_of(p.id, ivan_id).await.unwrap(),
        [groups[1]]
    );
    let removed = b
        .post(
            "/cabinet/employees/bulk",
            &[
                ("csrf", &csrf),
                ("do", "group_remove"),
                ("group", &office),
                ("id", &ivan.id),
                ("back", &card),
            ],
        )
        .await;
    assert_eq!(removed.location, back_to_card("bulk_group_removed&n=1"));
    assert!(
        app.state
            .store
            .groups_of(p.id, ivan_id)
            .await
            .unwrap()
            .is_empty()
    );

    // The card lists what was done to him, newest first, and leads to the journal by him.
    let anna = app.login(&p.inn, "+79230000002", "Петрова Анна").await;
    let anna_csrf = b
        .get(&format!("/cabinet/employees/{}", anna.id))
        .await
        .csrf();
    b.post(
        &format!("/cabinet/employees/{}/state", anna.id),
        &[("csrf", &anna_csrf), ("state", "disabled")],
    )
    .await;
    let shown = b.get(&card).await.body;
    let history = history(&shown);
    assert_eq!(
        history,
        [
            "ФИО изменено: Иванов Иван → Иванов Иван Петрович (ID 1)",
            "Изменён телефон сотрудника: Иванов Иван Петрович (ID 1): PHONE → +79230000009",
            "Сотрудник включён в рассылку: Иванов Иван (ID 1)",
            "Сотрудник отключён от рассылки: Иванов Иван (ID 1)",
        ]
        .map(|h| h
            .replace("ID 1", &format!("ID {}", ivan.id))
            .replace("PHONE", PHONE)),
        "{shown}"
    );
    let journal = format!("/cabinet/journal?staff={}", ivan.id);
    assert!(shown.contains(&format!("href=\"{journal}\" id=\"employee-journal\"")));
    let by_him = b.get(&journal).await.body;
    assert_eq!(journal_rows(&by_him), 4, "{by_him}");
    assert!(by_him.contains(&format!(
        "О сотруднике: <a href=\"{card}\">Иванов Иван Петрович (ID {})</a>",
        ivan.id
    )));
    assert!(!by_him.contains("Петрова Анна"));
    // With a kind and an actor too; the CSV the same.
    let states = b.get(&format!("{journal}&kind=staff&who=admin")).await.body;
    assert_eq!(journal_rows(&states), 4);
    assert_eq!(
        journal_rows(&b.get(&format!("{journal}&who=api")).await.body),
        0
    );
    let csv = b
        .get(&format!("/cabinet/journal.csv?staff={}", ivan.id))
        .await;
    assert_eq!(csv_rows(&csv).len(), 1 + 4);
    // A number that is no employee of this company finds nothing; not a number is no filter.
    let other = app.create_partner(INN_B).await;
    let their = app
        .login(&other.inn, "+79230000005", "Чужой Сотрудник")
        .await;
    let theirs = b
        .get(&format!("/cabinet/journal?staff={}", their.id))
        .await
        .body;
    assert_eq!(journal_rows(&theirs), 0);
    let all = b.get("/cabinet/journal?staff=x").await.body;
    assert!(journal_rows(&all) > 4);

    // A `back` elsewhere than the card or the list lands on the list.
    let elsewhere = b
        .post(
            &format!("{card}/state"),
            &[
                ("csrf", &csrf),
                ("state", "active"),
                ("back", "https://example.com/cabinet/employees/1"),
            ],
        )
        .await;
    assert_eq!(
        elsewhere.location.as_deref(),
        Some("/cabinet/employees?done=enabled")
    );

    // Deleted from the card: asked first (cancel leads back to the card), then the list.
    let delete_href = format!("{card}/delete?back=%2Fcabinet%2Femployees%2F{}", ivan.id);
    assert!(shown.contains(&format!("href=\"{delete_href}\" id=\"employee-delete\"")));
    let confirm = b.get(&delete_href).await.body;
    assert!(
        confirm.contains(&format!("href=\"{card}\" id=\"cancel-delete\"")),
        "{confirm}"
    );
    let deleted = b
        .post(
            &format!("{card}/delete"),
            &[("csrf", &csrf), ("back", &card)],
        )
        .await;
    assert_eq!(
        deleted.location.as_deref(),
        Some("/cabinet/employees?done=deleted")
    );
    assert_eq!(b.get(&card).await.status, 404);
    // His entries stay in the journal, the deletion the newest.
    let after = b.get(&journal).await.body;
    assert!(after.contains(&format!("О сотруднике: ID {}</p>", ivan.id)));
    let newest = after.split("class=\"audit-what\">").nth(1).unwrap();
    assert!(
        newest.starts_with("Сотрудник удалён со всеми сообщениями"),
        "{newest}"
    );
}

async fn journal_entries_written_before_they_named_their_employee_find_them(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    // (action, detail, the employee the backfill finds)
    let entries = [
        ("staff_disabled", "Иванов Иван (ID 7)", Some(7)),
        ("staff_approved", "Иванов Иван (ID 7)", Some(7)),
        // A name may hold anything; the server's own "(ID …)" is the last.
        (
            "staff_renamed",
            "Старое (ID 9) имя → Новое (ID 3) (ID 12)",
            Some(12),
        ),
        (
            "staff_phone_changed",
            "Иванов (ID 3) Иван (ID 7): +79230000001 → +79230000002",
            Some(7),
        ),
        ("staff_deleted", "Петров Пётр (ID 15)", Some(15)),
        ("staff_enabled", "без номера", None),
        ("staff_bulk_disabled", "2 (ID 5)", None),
        ("login", "Иванов Иван (ID 7)", None),
    ];
    for (action, detail, _) in entries {
        app.state
            .store
            .execute_script(&format!(
                "INSERT INTO audit_events (partner_id, actor, action, detail, client_ip, created_at)
                 VALUES ({}, 'admin', '{action}', '{detail}', '', 1)",
                p.id
            ))
            .await
            .unwrap();
    }
    let backfill = if app.state.store.is_postgres() {
        include_str!("../../migrations/postgres/20261221000042_audit_staff_backfill.sql")
    } else {
        include_str!("../../migrations/sqlite/20261221000042_audit_staff_backfill.sql")
    };
    // Twice: the second finds nothing more to fill and changes nothing.
    for _ in 0..2 {
        app.state.store.execute_script(backfill).await.unwrap();
        for (action, detail, staff) in entries {
            let found = app
                .count(&format!(
                    "SELECT COALESCE(MAX(staff_id), -1) FROM audit_events
                     WHERE action = '{action}' AND detail = '{detail}'"
                ))
                .await;
            assert_eq!(found, staff.unwrap_or(-1), "{action}: {detail}");
        }
    }
    // The journal by employee 7 lists them, the employee deleted long ago named by ID alone.
    let b = Browser::new(&app);
    b.partner(&p.inn).await;
    let by_seven = b.get("/cabinet/journal?staff=7").await.body;
    assert_eq!(journal_rows(&by_seven), 3, "{by_seven}");
    assert!(by_seven.contains("О сотруднике: ID 7</p>"), "{by_seven}");
}
