//! One send to many: a message's page counts the send's recipients by status, and each count
//! opens the message list filtered to that send (and status); never another company's.

use crate::cabinet::{Browser, csv_rows};
use crate::helpers::*;
use serde_json::json;

both_databases!(a_sends_page_counts_its_recipients_by_status_and_lists_them,);

/// The messages a list page shows, in order: (ID, title).
pub(crate) async fn listed_rows(b: &Browser, path: &str) -> Vec<(i64, String)> {
    let page = b.get(path).await;
    assert_eq!(page.status, 200, "{path}: {}", page.body);
    page.body
        .split("class=\"title-cell\"><a href=\"/cabinet/messages/")
        .skip(1)
        .map(|rest| {
            let (id, link) = rest.split_once('"').unwrap();
            let title = link
                .split_once('>')
                .unwrap()
                .1
                .split("</a>")
                .next()
                .unwrap();
            (id.parse().unwrap(), title.to_owned())
        })
        .collect()
}

/// The messages a list page shows, by ID, in order.
async fn listed(b: &Browser, path: &str) -> Vec<i64> {
    let rows = listed_rows(b, path).await;
    rows.into_iter().map(|(id, _)| id).collect()
}

/// The message page's counts of its send: (status, count), in the order shown.
async fn tally(b: &Browser, id: i64) -> Vec<(String, i64)> {
    let page = b.get(&format!("/cabinet/messages/{id}")).await.body;
    counts_in(&page, "send-tally")
}

/// The counts by status (`tally_partial`) in the section `id` of a page, in the order shown.
pub(crate) fn counts_in(page: &str, id: &str) -> Vec<(String, i64)> {
    let Some(card) = page.split(&format!("id=\"{id}\"")).nth(1) else {
        return Vec::new();
    };
    let card = card.split("</section>").next().unwrap();
    card.split("data-status=\"")
        .skip(1)
        .map(|rest| {
            let status = rest.split('"').next().unwrap().to_owned();
            let n = rest.split("<span class=\"n\">").nth(1).unwrap();
            (status, n.split('<').next().unwrap().parse().unwrap())
        })
        .collect()
}

async fn a_sends_page_counts_its_recipients_by_status_and_lists_them(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let mut staff = Vec::new();
    for (i, name) in ["Иванов Иван", "Петрова Анна", "Сидоров Пётр"]
        .iter()
        .enumerate()
    {
        staff.push(app.login(&p.inn, &format!("+7923338160{i}"), name).await.id);
    }
    let bulk = app
        .post(
            "createmessagebulk",
            Some(&p.token),
            json!({"inn": p.inn, "staffids": staff, "title": "Собрание", "message": "В 10:00"}),
        )
        .await;
    let sent: Vec<i64> = bulk.ok()["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["messageid"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(sent.len(), 3);
    let alone: i64 = app
        .create_message(&p, &staff[0], "Лично", "Текст")
        .await
        .ok()["messageid"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    // One read, one delivered, one without a device.
    app.state
        .store
        .execute_script(&format!(
            "UPDATE messages SET status = 'read' WHERE id = {};
             UPDATE messages SET status = 'delivered' WHERE id = {};",
            sent[0], sent[1]
        ))
        .await
        .unwrap();
    // Another company's send of its own.
    let q = app.create_partner(INN_B).await;
    let theirs = app.login(&q.inn, "+79005550000", "Чужой").await;
    let their_bulk = app
        .post(
            "createmessagebulk",
            Some(&q.token),
            json!({"inn": q.inn, "all": true, "title": "Чужое", "message": "Текст"}),
        )
        .await;
    let their_id: i64 = their_bulk.ok()["messages"][0]["messageid"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(!theirs.id.is_empty());

    let b = Browser::new(&app);
    b.partner(&p.inn).await;
    let counts = vec![
        ("delivered".to_owned(), 1),
        ("read".to_owned(), 1),
        ("no_device".to_owned(), 1),
    ];
    for id in &sent {
        assert_eq!(
            tally(&b, *id).await,
            counts,
            "the same on each of its pages"
        );
    }
    let page = b.get(&format!("/cabinet/messages/{}", sent[2])).await.body;
    assert!(
        page.contains(&format!(
            "<a href=\"/cabinet/messages?send={}\" id=\"send-recipients\">3</a>",
            sent[2]
        )),
        "{page}"
    );
    assert!(
        tally(&b, alone).await.is_empty(),
        "a message alone has no send"
    );

    // The list of the send, newest first; by status; a message alone; another company's.
    let mut newest_first = sent.clone();
    newest_first.reverse();
    let send = format!("/cabinet/messages?send={}", sent[1]);
    assert_eq!(listed(&b, &send).await, newest_first);
    let list = b.get(&send).await.body;
    assert!(
        list.contains(&format!("name=\"send\" value=\"{}\"", sent[1]))
            && list.contains("id=\"send-filter-clear\""),
        "the filter is shown and kept: {list}"
    );
    assert_eq!(listed(&b, &format!("{send}&status=read")).await, [sent[0]]);
    assert_eq!(
        listed(&b, &format!("{send}&status=no_device&sort=title")).await,
        [sent[2]]
    );
    assert_eq!(
        listed(&b, &format!("/cabinet/messages?send={alone}")).await,
        [alone]
    );
    assert!(
        listed(&b, &format!("/cabinet/messages?send={their_id}"))
            .await
            .is_empty(),
        "another company's send"
    );
    assert_eq!(
        listed(&b, "/cabinet/messages?send=junk").await.len(),
        4,
        "not a number: no filter"
    );
    // The download takes the filter too.
    let rows = csv_rows(
        &b.get(&format!("/cabinet/messages.csv?send={}", sent[0]))
            .await,
    );
    let mut ids: Vec<i64> = rows[1..].iter().map(|r| r[0].parse().unwrap()).collect();
    ids.sort_unstable();
    assert_eq!(ids, sent);

    // A recalled recipient still counts, under its status.
    let csrf = b.get(&send).await.csrf();
    let recalled = b
        .post(
            &format!("/cabinet/messages/{}/recall", sent[2]),
            &[("csrf", csrf.as_str()), ("scope", "one")],
        )
        .await;
    assert_eq!(recalled.status, 303, "{}", recalled.body);
    assert_eq!(
        tally(&b, sent[0]).await,
        vec![
            ("delivered".to_owned(), 1),
            ("read".to_owned(), 1),
            ("recalled".to_owned(), 1),
        ]
    );
}
