//! Without a network: reads from the cache, queued read reports, typed network errors.

use simo_core::{ApiError, MessageId, SimoClient};

use crate::helpers::{INN, TestServer, ids, new_phone};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_server_down_messages_stay_readable_and_mark_read_is_flushed_later() {
    let mut server = TestServer::spawn().await;
    let client = server.client();
    let phone = new_phone();
    let profile = server.login(&client, &phone).await;
    let id = server
        .create_message(
            &profile.staff_id,
            "Инструктаж",
            "Инструктаж по охране труда в 10:00",
        )
        .await;
    client.sync().await.unwrap();

    server.stop().await;
    assert_eq!(ids(&client.messages(50, None).unwrap()), [id]);
    assert_eq!(ids(&client.search("охран".into()).unwrap()), [id]);
    client
        .mark_read(MessageId::new(id).unwrap())
        .await
        .expect("queued, not an error");
    assert_eq!(client.unread_count().unwrap(), 0);
    assert!(matches!(client.sync().await, Err(ApiError::Network { .. })));

    server.start().await;
    let report = client.sync().await.unwrap();
    assert_eq!((report.reports_sent, report.reports_pending), (1, 0));

    // The server has it: another login of the same employee sees the message read.
    let other = server.client();
    server.login(&other, &phone).await;
    other.sync().await.unwrap();
    assert!(
        other
            .message(MessageId::new(id).unwrap())
            .unwrap()
            .unwrap()
            .is_read
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mark_all_read_reads_everything_offline_and_the_server_learns_it_on_the_next_sync() {
    let mut server = TestServer::spawn().await;
    let client = server.client();
    let profile = server.login(&client, &new_phone()).await;
    let mut sent = Vec::new();
    for title in ["Смена", "Премия", "Инструктаж"] {
        sent.push(
            server
                .create_message(&profile.staff_id, title, "Текст")
                .await,
        );
    }
    client.sync().await.unwrap();
    assert_eq!(client.unread_count().unwrap(), 3);

    // Offline: read in the cache at once, the reports queued.
    server.stop().await;
    assert_eq!(
        client.mark_all_read().await.expect("queued, not an error"),
        3
    );
    assert_eq!(client.unread_count().unwrap(), 0);
    assert_eq!(client.mark_all_read().await.unwrap(), 0);
    server.start().await;
    let report = client.sync().await.unwrap();
    assert_eq!((report.reports_sent, report.reports_pending), (3, 0));
    assert_eq!(
        server_statuses(&server, &sent).await,
        ["read", "read", "read"]
    );

    // Online: a new one is read and reported by the call itself.
    let fourth = server
        .create_message(&profile.staff_id, "Собрание", "Текст")
        .await;
    client.sync().await.unwrap();
    assert_eq!(server_statuses(&server, &[fourth]).await, ["delivered"]);
    assert_eq!(client.mark_all_read().await.unwrap(), 1);
    assert_eq!(server_statuses(&server, &[fourth]).await, ["read"]);
}

/// The statuses the company's system reads of `ids`, in that order.
async fn server_statuses(server: &TestServer, ids: &[i64]) -> Vec<String> {
    let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
    let data = server
        .as_partner("getmessagestatus", json!({"inn": INN, "messageids": ids}))
        .await;
    data["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["status"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_and_the_cache_survive_a_restart_of_the_app() {
    let server = TestServer::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().display().to_string();
    let client = SimoClient::new(server.url.clone(), data_dir.clone()).unwrap();
    let profile = server.login(&client, &new_phone()).await;
    let id = server
        .create_message(&profile.staff_id, "Премия", "Премия за квартал")
        .await;
    client.sync().await.unwrap();
    drop(client);

    let restarted = SimoClient::new(server.url.clone(), data_dir).unwrap();
    assert_eq!(restarted.profile().unwrap(), Some(profile.clone()));
    assert_eq!(ids(&restarted.messages(50, None).unwrap()), [id]);
    let later = server
        .create_message(&profile.staff_id, "График", "Новый график")
        .await;
    assert_eq!(
        ids(&restarted.sync().await.unwrap().new_messages),
        [later],
        "the stored token still works"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_cannot_be_reached_is_a_network_error_not_a_crash() {
    let (_dir, client) = {
        let dir = tempfile::tempdir().unwrap();
        let client = SimoClient::new(
            "http://127.0.0.1:1".into(),
            dir.path().display().to_string(),
        )
        .unwrap();
        (dir, client)
    };
    let result = client
        .request_code(
            simo_core::Inn::parse("7707083893").unwrap(),
            simo_core::Phone::parse(&new_phone()).unwrap(),
            "Иванов".into(),
            simo_core::Device::Android,
        )
        .await;
    assert!(
        matches!(result, Err(ApiError::Network { .. })),
        "{result:?}"
    );
    assert!(
        matches!(client.sync().await, Err(ApiError::Unauthorized { .. })),
        "no session yet"
    );
}

/// The server's database held by another program: a call that writes is answered 503 after the
/// server's busy wait, which the core gives the app as `Unavailable` with the server's words and
/// pause, while the cache still reads. Released, the same call goes through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_whose_database_is_held_is_unavailable_for_a_while_not_broken() {
    let server = TestServer::spawn().await;
    let client = server.client();
    let profile = server.login(&client, &new_phone()).await;
    let id = server
        .create_message(&profile.staff_id, "Инструктаж", "В 10:00")
        .await;
    client.sync().await.unwrap();

    let holder = rusqlite::Connection::open(server.database_file()).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let newcomer = server.client();
    let phone = simo_core::Phone::parse(&new_phone()).unwrap();
    let ask = || {
        newcomer.request_code(
            simo_core::Inn::parse(INN).unwrap(),
            phone.clone(),
            "Петров".into(),
            simo_core::Device::Android,
        )
    };
    match ask().await {
        Err(ApiError::Unavailable {
            reason,
            retry_after_seconds,
        }) => {
            assert!(reason.contains("база данных занята"), "{reason}");
            assert_eq!(retry_after_seconds, 5);
        }
        other => panic!("expected Unavailable, got {other:?}"),
    }
    assert_eq!(ids(&client.messages(50, None).unwrap()), [id]);

    holder.execute_batch("ROLLBACK").unwrap();
    ask()
        .await
        .expect("the code is sent once the database is free");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acknowledgment_made_offline_reaches_the_company_at_the_next_sync() {
    let mut server = TestServer::spawn().await;
    let client = server.client();
    let phone = new_phone();
    let profile = server.login(&client, &phone).await;
    let order = server
        .create_order(
            &profile.staff_id,
            "Приказ № 7",
            "С 1 декабря смена начинается в 8:00",
        )
        .await;
    let news = server
        .create_message(&profile.staff_id, "Новость", "Без подписи")
        .await;
    client.sync().await.unwrap();
    let (order_id, news_id) = (
        MessageId::new(order).unwrap(),
        MessageId::new(news).unwrap(),
    );
    let asked = client.message(order_id).unwrap().unwrap();
    assert!(asked.ack_required && asked.acked_at.is_none());
    assert!(!client.message(news_id).unwrap().unwrap().ack_required);
    assert_eq!(ids(&client.awaiting_ack().unwrap()), [order]);

    server.stop().await;
    client
        .acknowledge(order_id)
        .await
        .expect("queued, not an error");
    let done = client.message(order_id).unwrap().unwrap();
    assert!(done.acked_at.is_some() && done.is_read);
    assert!(client.awaiting_ack().unwrap().is_empty());
    assert!(matches!(
        client.acknowledge(news_id).await,
        Err(ApiError::InvalidInput { .. })
    ));

    server.start().await;
    assert_ne!(server.status_of(order).await["status"], "acknowledged");
    let report = client.sync().await.unwrap();
    assert_eq!(report.reports_pending, 0);
    let seen = server.status_of(order).await;
    assert_eq!(seen["status"], "acknowledged", "{seen}");
    assert!(seen["ackdate"].is_string());

    // Another login of the same employee sees it acknowledged, with nothing left to press.
    let other = server.client();
    server.login(&other, &phone).await;
    other.sync().await.unwrap();
    let there = other.message(order_id).unwrap().unwrap();
    assert!(there.ack_required && there.acked_at.is_some() && there.is_read);
    assert!(other.awaiting_ack().unwrap().is_empty());
}
