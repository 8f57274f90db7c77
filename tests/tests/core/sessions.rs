//! Sessions: wrong codes, unknown organisations, expiry by a login elsewhere, logout.

use std::sync::atomic::Ordering;

use simo_core::{ApiError, Device, Inn, Phone};

use crate::helpers::{TestServer, new_phone};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_on_another_phone_expires_the_session_and_tells_the_listener() {
    let server = TestServer::spawn().await;
    let first = server.client();
    let listener = &first.listener;
    let phone = new_phone();
    let profile = server.login(&first, &phone).await;
    let id = server
        .create_message(&profile.staff_id, "Склад", "Инвентаризация склада")
        .await;
    first.sync().await.unwrap();

    let second = server.client();
    server.login(&second, &phone).await;

    assert!(matches!(
        first.sync().await,
        Err(ApiError::Unauthorized { .. })
    ));
    assert_eq!(listener.expired.load(Ordering::SeqCst), 1);
    assert_eq!(first.profile().unwrap(), None, "back to the login screen");
    assert_eq!(
        first.messages(10, None).unwrap()[0].id.get(),
        id,
        "the cache stays readable"
    );
    assert!(matches!(
        first.sync().await,
        Err(ApiError::Unauthorized { .. })
    ));
    assert_eq!(listener.expired.load(Ordering::SeqCst), 1, "told once");
    assert!(second.sync().await.is_ok(), "the new session works");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_input_comes_back_as_invalid_input_with_a_russian_message() {
    let server = TestServer::spawn().await;
    let client = server.client();
    let phone = new_phone();

    let unknown = client
        .request_code(
            Inn::parse("7736207543").unwrap(),
            Phone::parse(&phone).unwrap(),
            "Иванов".into(),
            Device::Apple,
        )
        .await;
    let Err(ApiError::InvalidInput { reason }) = unknown else {
        panic!("{unknown:?}")
    };
    assert!(reason.chars().any(|c| ('а'..='я').contains(&c)), "{reason}");

    let no_name = client
        .request_code(
            Inn::parse("7707083893").unwrap(),
            Phone::parse(&phone).unwrap(),
            "  ".into(),
            Device::Apple,
        )
        .await;
    assert!(matches!(no_name, Err(ApiError::InvalidInput { .. })));
    assert!(
        matches!(
            client.confirm_code("1234".into()).await,
            Err(ApiError::InvalidInput { .. })
        ),
        "no code asked yet"
    );

    client
        .request_code(
            Inn::parse("7707083893").unwrap(),
            Phone::parse(&phone).unwrap(),
            "Иванов".into(),
            Device::Apple,
        )
        .await
        .unwrap();
    let code = server.sms.next_code(&phone).await;
    let wrong = if code.starts_with('0') {
        "1".repeat(code.len())
    } else {
        "0".repeat(code.len())
    };
    assert!(matches!(
        client.confirm_code(wrong).await,
        Err(ApiError::InvalidInput { .. })
    ));
    assert!(matches!(
        client.confirm_code("12".into()).await,
        Err(ApiError::InvalidInput { .. })
    ));
    let profile = client.confirm_code(code).await.unwrap();
    assert_eq!(profile.device, Device::Apple);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_clears_the_session_and_the_cache_and_a_new_employee_starts_empty() {
    let server = TestServer::spawn().await;
    let client = server.client();
    let profile = server.login(&client, &new_phone()).await;
    server
        .create_message(&profile.staff_id, "Ремонт", "Ремонт лифта")
        .await;
    client.sync().await.unwrap();

    client.logout().unwrap();
    assert_eq!(client.profile().unwrap(), None);
    assert!(client.messages(10, None).unwrap().is_empty());
    assert!(client.search("ремонт".into()).unwrap().is_empty());
    assert!(matches!(
        client.sync().await,
        Err(ApiError::Unauthorized { .. })
    ));
    let late_push = client
        .handle_push(r#"{"messageid":"999","title":"Ремонт","message":"после выхода"}"#.into());
    assert!(
        matches!(late_push, Err(ApiError::Unauthorized { .. })),
        "a push after logout is not stored"
    );
    assert!(client.messages(10, None).unwrap().is_empty());

    let other = server.login(&client, &new_phone()).await;
    assert_ne!(other.staff_id, profile.staff_id);
    assert!(
        client.sync().await.unwrap().new_messages.is_empty(),
        "nothing of the previous employee"
    );
}
