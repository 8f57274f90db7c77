//! One employee's card: as the company keeps them, their groups, their messages by status and
//! the latest ones; reached from the list and from a message; never another company's.

use crate::admins::with_role;
use crate::cabinet::Browser;
use crate::helpers::*;
use simo_backend::domain::StaffId;
use simo_backend::store::{GroupInput, StaffState};

both_databases!(an_employees_card_shows_them_their_groups_and_their_messages,);

/// The card's counts: (status, count), in the order shown.
fn tally(body: &str) -> Vec<(String, i64)> {
    crate::send_tally::counts_in(body, "employee-tally")
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
    let other = app.create_partner(INN_B).await;
    let ob = Browser::new(&app);
    ob.partner(&other.inn).await;
    assert_eq!(ob.get(&card).await.status, 404);
    assert_eq!(b.get("/cabinet/employees/x1").await.status, 404);
}
