//! The happy path: SMS login, push token, a partner's message arriving by sync and by push.

use simo_backend::domain::PushToken;
use simo_core::{ApiError, MessageId};

use crate::helpers::{TestServer, ids, new_phone};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_employee_logs_in_by_sms_and_receives_a_partner_message_by_sync() {
    let server = TestServer::spawn().await;
    let client = server.client();
    let listener = &client.listener;
    let phone = new_phone();

    let profile = server.login(&client, &phone).await;
    assert_eq!(profile.phone, phone);
    assert_eq!(profile.inn, "7707083893");
    assert_eq!(profile.company_name, "ООО Весна");
    assert_eq!(client.profile().unwrap(), Some(profile.clone()));

    let first = server
        .create_message(&profile.staff_id, "Собрание", "Общее собрание в пятницу")
        .await;
    let second = server
        .create_message(&profile.staff_id, "Зарплата", "Зарплата перечислена")
        .await;
    let report = client.sync().await.unwrap();

    assert_eq!(ids(&report.new_messages), [second, first], "newest first");
    assert_eq!(listener.new_ids(), [second, first]);
    assert_eq!(client.unread_count().unwrap(), 2);
    let stored = client
        .message(MessageId::new(first).unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.title.as_str(), stored.text.as_str()),
        ("Собрание", "Общее собрание в пятницу")
    );
    assert_eq!(report.reports_sent, 2, "both messages reported delivered");

    let again = client.sync().await.unwrap();
    assert!(
        again.new_messages.is_empty(),
        "incremental: nothing new the second time"
    );
    assert_eq!(
        listener.new_ids().len(),
        2,
        "the listener is not told twice"
    );
}

/// On PostgreSQL a message may become visible after a newer one (its transaction took the
/// smaller id but committed later). Simulated here by hiding a message from its employee (it
/// belongs to a colleague for a moment) while the app syncs, then giving it back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_that_becomes_visible_after_a_newer_one_is_still_synced() {
    let server = TestServer::spawn().await;
    let client = server.client();
    let colleague = server.client();
    let profile = server.login(&client, &new_phone()).await;
    let other = server.login(&colleague, &new_phone()).await;

    let first = server
        .create_message(&profile.staff_id, "Собрание", "В пятницу")
        .await;
    let late = server
        .create_message(&profile.staff_id, "Отпуск", "График отпусков")
        .await;
    let last = server
        .create_message(&profile.staff_id, "Зарплата", "Перечислена")
        .await;
    let reassign = |to: &str| format!("UPDATE messages SET staff_id = {to} WHERE id = {late}");
    let store = &server.state.store;
    store
        .execute_script(&reassign(&other.staff_id))
        .await
        .unwrap();
    let report = client.sync().await.unwrap();
    assert_eq!(ids(&report.new_messages), [last, first]);

    store
        .execute_script(&reassign(&profile.staff_id))
        .await
        .unwrap();
    let report = client.sync().await.unwrap();
    assert_eq!(
        ids(&report.new_messages),
        [late],
        "the late one arrives, the others not again"
    );
    assert_eq!(client.listener.new_ids(), [last, first, late]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_push_token_is_sent_and_sent_again_after_a_new_login() {
    let server = TestServer::spawn().await;
    let client = server.client();
    let phone = new_phone();

    // Given before any login: remembered, sent by the login.
    client
        .register_push_token("fcm-token-1".into())
        .await
        .unwrap();
    let profile = server.login(&client, &phone).await;
    assert_eq!(
        server.push_token_of(&profile.staff_id).await.as_deref(),
        Some("fcm-token-1")
    );

    client
        .register_push_token("fcm-token-2".into())
        .await
        .unwrap();
    assert_eq!(
        server.push_token_of(&profile.staff_id).await.as_deref(),
        Some("fcm-token-2")
    );

    // The apps give the token at every start; the same one again costs no request. The
    // server's copy is changed behind the app's back to show that nothing was sent.
    let staff_id = simo_backend::domain::StaffId::parse(&profile.staff_id).unwrap();
    let store = &server.state.store;
    store
        .set_push_token(
            staff_id,
            Some(&PushToken::parse("moved").unwrap()),
            "android",
            0,
        )
        .await
        .unwrap();
    client
        .register_push_token("fcm-token-2".into())
        .await
        .unwrap();
    assert_eq!(
        server.push_token_of(&profile.staff_id).await.as_deref(),
        Some("moved"),
        "the same token again is not sent"
    );
    store
        .set_push_token(
            staff_id,
            Some(&PushToken::parse("fcm-token-2").unwrap()),
            "android",
            0,
        )
        .await
        .unwrap();

    client.logout().unwrap();
    let profile = server.login(&client, &phone).await;
    assert_eq!(
        server.push_token_of(&profile.staff_id).await.as_deref(),
        Some("fcm-token-2")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_is_shown_at_once_and_the_following_sync_does_not_repeat_it() {
    let server = TestServer::spawn().await;
    let client = server.client();
    let listener = &client.listener;
    let profile = server.login(&client, &new_phone()).await;
    let id = server
        .create_message(&profile.staff_id, "Пропуск", "Пропуск готов")
        .await;

    let payload = format!(
        r#"{{"messageid":"{id}","title":"Пропуск","message":"Пропуск готов","google.sent_time":1}}"#
    );
    let shown = client.handle_push(payload.clone()).unwrap();
    assert_eq!(
        (shown.message_id.get(), shown.is_new, shown.unread_count),
        (id, true, 1)
    );
    assert_eq!(client.messages(10, None).unwrap()[0].text, "Пропуск готов");
    assert!(
        !client.handle_push(payload).unwrap().is_new,
        "a repeated push is not new"
    );

    let report = client.sync().await.unwrap();
    assert!(report.new_messages.is_empty());
    assert_eq!(listener.new_ids(), [id], "told once, by the push");
    assert_eq!(
        report.reports_sent, 1,
        "the push's delivery report went with the sync"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_pages_through_a_server_that_caps_the_page_below_what_the_core_asks() {
    let server = TestServer::spawn_with(|s| s.getmessage_max_count = 5).await;
    let client = server.client();
    let profile = server.login(&client, &new_phone()).await;
    let mut created = Vec::new();
    for i in 0..12 {
        created.push(
            server
                .create_message(&profile.staff_id, &format!("№{i}"), "текст")
                .await,
        );
    }
    let report = client.sync().await.unwrap();
    created.reverse();
    assert_eq!(ids(&report.new_messages), created);

    let newer = server
        .create_message(&profile.staff_id, "ещё", "текст")
        .await;
    assert_eq!(ids(&client.sync().await.unwrap().new_messages), [newer]);
    assert_eq!(client.messages(100, None).unwrap().len(), 13);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_employees_on_two_clients_see_only_their_own_messages_and_search_them() {
    let server = TestServer::spawn().await;
    let alice = server.client();
    let boris = server.client();
    let alice_profile = server.login(&alice, &new_phone()).await;
    let boris_profile = server.login(&boris, &new_phone()).await;
    let for_alice = server
        .create_message(&alice_profile.staff_id, "Отпуск", "Ваш отпуск согласован")
        .await;
    let for_boris = server
        .create_message(&boris_profile.staff_id, "Смена", "Смена перенесена на утро")
        .await;

    alice.sync().await.unwrap();
    boris.sync().await.unwrap();

    assert_eq!(ids(&alice.messages(50, None).unwrap()), [for_alice]);
    assert_eq!(ids(&boris.messages(50, None).unwrap()), [for_boris]);
    assert_eq!(
        ids(&alice.search("ОТПУСК соглас".into()).unwrap()),
        [for_alice]
    );
    assert!(alice.search("смена".into()).unwrap().is_empty());
    assert!(matches!(
        alice.mark_read(MessageId::new(for_boris).unwrap()).await,
        Err(ApiError::InvalidInput { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_the_partner_recalls_is_deleted_from_the_phone_at_the_next_sync() {
    let server = TestServer::spawn().await;
    let client = server.client();
    let listener = &client.listener;
    let profile = server.login(&client, &new_phone()).await;
    let kept = server
        .create_message(&profile.staff_id, "Собрание", "В пятницу")
        .await;
    let wrong = server
        .create_message(&profile.staff_id, "Премия", "Всем по миллиону")
        .await;
    assert_eq!(
        ids(&client.sync().await.unwrap().new_messages),
        [wrong, kept]
    );
    assert_eq!(client.unread_count().unwrap(), 2);

    assert_eq!(server.recall(&[wrong]).await, [wrong]);
    let report = client.sync().await.unwrap();
    assert_eq!(report.recalled, [MessageId::new(wrong).unwrap()]);
    assert!(report.new_messages.is_empty());
    assert_eq!(*listener.recalled.lock().unwrap(), [wrong]);
    assert_eq!(
        client.message(MessageId::new(wrong).unwrap()).unwrap(),
        None
    );
    assert_eq!(ids(&client.messages(10, None).unwrap()), [kept]);
    assert!(
        client.search("миллиону".into()).unwrap().is_empty(),
        "out of the search too"
    );
    assert_eq!(client.unread_count().unwrap(), 1);

    // A push that was on its way brings it back for a moment; the next sync deletes it again.
    let payload =
        format!(r#"{{"messageid":"{wrong}","title":"Премия","message":"Всем по миллиону"}}"#);
    assert!(client.handle_push(payload).unwrap().is_new);
    assert_eq!(
        client.sync().await.unwrap().recalled,
        [MessageId::new(wrong).unwrap()]
    );
    assert_eq!(ids(&client.messages(10, None).unwrap()), [kept]);
    // Nothing cached to delete: nothing reported.
    assert!(client.sync().await.unwrap().recalled.is_empty());

    // The recall push deletes a message at once, without a sync, and shows nothing.
    let pushed = server
        .create_message(&profile.staff_id, "Отпуск", "График")
        .await;
    assert_eq!(ids(&client.sync().await.unwrap().new_messages), [pushed]);
    server.recall(&[pushed]).await;
    let shown = client
        .handle_push(format!(r#"{{"recalled":"{pushed}"}}"#))
        .unwrap();
    assert!(shown.recalled && !shown.is_new, "{shown:?}");
    assert_eq!(shown.message_id.get(), pushed);
    assert_eq!(shown.unread_count, 1);
    assert_eq!(ids(&client.messages(10, None).unwrap()), [kept]);
    assert_eq!(*listener.recalled.lock().unwrap(), [wrong, wrong, pushed]);
    // A repeated recall push finds nothing to delete and tells no one.
    assert!(
        client
            .handle_push(format!(r#"{{"recalled":{pushed}}}"#))
            .unwrap()
            .recalled
    );
    assert_eq!(listener.recalled.lock().unwrap().len(), 3);

    // Recalled before the phone ever synced it: it never arrives.
    let never = server
        .create_message(&profile.staff_id, "Ошибка", "Не то")
        .await;
    server.recall(&[never]).await;
    let report = client.sync().await.unwrap();
    assert!(
        report.new_messages.is_empty() && report.recalled.is_empty(),
        "{report:?}"
    );
    assert_eq!(ids(&client.messages(10, None).unwrap()), [kept]);
    assert_eq!(listener.recalled.lock().unwrap().len(), 3);
}

/// A company that admits only its staff list: the app shows a stranger the server's reason,
/// and a listed employee logs in to find what was sent before they installed the app.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_companys_listed_phones_log_in_and_find_what_was_sent_before() {
    let server = TestServer::spawn().await;
    server
        .set_registration(simo_backend::domain::Registration::ListOnly)
        .await;
    let client = server.client();
    let stranger = simo_core::Phone::parse(&new_phone()).unwrap();
    let inn = simo_core::Inn::parse("7707083893").unwrap();
    let refused = client
        .request_code(
            inn,
            stranger,
            "Посторонний".into(),
            simo_core::Device::Android,
        )
        .await;
    match refused {
        Err(ApiError::InvalidInput { reason }) => {
            assert!(reason.contains("нет в списке сотрудников"), "{reason}")
        }
        other => panic!("expected the server's refusal, got {other:?}"),
    }

    let phone = new_phone();
    let staff_id = server.add_staff(&phone, "Иванова Анна").await;
    let before = server
        .create_message(
            &staff_id,
            "Добро пожаловать",
            "Правила внутреннего распорядка",
        )
        .await;
    let profile = server.login(&client, &phone).await;
    assert_eq!(profile.staff_id, staff_id);
    let report = client.sync().await.unwrap();
    assert_eq!(ids(&report.new_messages), [before]);
}

/// The company renames the employee and gives them a new phone after the login: the next sync
/// takes them into the app's profile, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_brings_the_name_and_phone_the_company_changed_since_the_login() {
    let server = TestServer::spawn().await;
    let client = server.client();
    let phone = new_phone();
    let profile = server.login(&client, &phone).await;
    let first = client.sync().await.unwrap();
    assert!(!first.profile_changed, "nothing changed since the login");

    let new_phone = crate::helpers::new_phone();
    server
        .as_partner(
            "updatestaff",
            serde_json::json!({"inn": "7707083893", "staffid": profile.staff_id,
                               "name": "Иванова-Петрова Анна", "phone": new_phone}),
        )
        .await;
    let changed = client.sync().await.unwrap();
    assert!(changed.profile_changed);
    let now = client.profile().unwrap().unwrap();
    assert_eq!(now.staff_name, "Иванова-Петрова Анна");
    assert_eq!(now.phone, new_phone);
    assert_eq!(
        (now.staff_id, now.company_name, now.inn),
        (profile.staff_id, profile.company_name, profile.inn),
        "the rest as it was"
    );
    assert!(!client.sync().await.unwrap().profile_changed, "told once");
}

/// The company switches the employee off the mailing, then back on: each sync after a change
/// reports it, and `profile()` says which, so the app can tell the employee why nothing comes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_tells_the_app_that_the_company_switched_the_employee_off_the_mailing() {
    let server = TestServer::spawn().await;
    let client = server.client();
    let profile = server.login(&client, &new_phone()).await;
    assert_eq!(profile.state, simo_core::StaffState::Active);
    assert!(!client.sync().await.unwrap().profile_changed);

    for (word, state) in [
        ("disabled", simo_core::StaffState::Disabled),
        ("enabled", simo_core::StaffState::Active),
    ] {
        server
            .as_partner(
                "updatestaff",
                serde_json::json!({"inn": "7707083893", "staffid": profile.staff_id,
                                   "statusnotification": word}),
            )
            .await;
        assert!(client.sync().await.unwrap().profile_changed, "{word}");
        assert_eq!(client.profile().unwrap().unwrap().state, state, "{word}");
        assert!(
            !client.sync().await.unwrap().profile_changed,
            "{word}: told once"
        );
    }
}

/// A company that approves each login: the app knows from the login that the employee waits,
/// and from the sync after the admin's approval that messages come now.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_knows_a_login_waits_for_approval_until_the_company_approves_it() {
    let server = TestServer::spawn().await;
    server
        .set_registration(simo_backend::domain::Registration::Approval)
        .await;
    let client = server.client();
    let profile = server.login(&client, &new_phone()).await;
    assert_eq!(profile.state, simo_core::StaffState::Pending);
    assert_eq!(
        client.profile().unwrap().unwrap().state,
        simo_core::StaffState::Pending,
        "kept from the login"
    );
    assert!(!client.sync().await.unwrap().profile_changed);

    server
        .as_partner(
            "updatestaff",
            serde_json::json!({"inn": "7707083893", "staffid": profile.staff_id,
                               "statusnotification": "enabled"}),
        )
        .await;
    assert!(client.sync().await.unwrap().profile_changed);
    assert_eq!(
        client.profile().unwrap().unwrap().state,
        simo_core::StaffState::Active
    );
}
