//! The pushes the server really sends, through the fake FCM and APNs servers, handed to the core
//! as each phone hands them: Android an FCM message's `data`, iOS the notification's whole
//! `userInfo`. The phone stores the message from the push alone, offline-readable before any
//! sync, and a recall push takes it back.

use std::time::{Duration, Instant};

use simo_core::{Device, MessageId};

use crate::fakes::Behaviour;
use crate::fakes::apns::FakeApns;
use crate::fakes::fcm::FakeFcm;
use crate::helpers::{TestClient, TestServer, new_phone};

/// The push the fake accepted for `message_id`, waiting for the server's worker to send it.
async fn pushed(fake: &Behaviour, message_id: i64, recall: bool) -> serde_json::Value {
    pushed_where(fake, message_id, |r| r.recall == recall && !r.reminder).await
}

/// The reminder the fake accepted for `message_id`.
async fn reminded(fake: &Behaviour, message_id: i64) -> serde_json::Value {
    pushed_where(fake, message_id, |r| r.reminder).await
}

async fn pushed_where(
    fake: &Behaviour,
    message_id: i64,
    kind: impl Fn(&crate::fakes::Receipt) -> bool,
) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let found = fake
            .receipts()
            .into_iter()
            .find(|r| r.message_id == message_id && kind(r));
        if let Some(receipt) = found {
            return receipt.payload;
        }
        assert!(
            Instant::now() < deadline,
            "no push of {message_id}; protocol errors: {:?}",
            fake.protocol_errors()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Logs a phone in on `device` and registers its push token, as the apps do.
async fn phone(server: &TestServer, device: Device, token: &str) -> (TestClient, String) {
    let client = server.client();
    let profile = server.login_on(&client, &new_phone(), device).await;
    client.register_push_token(token.into()).await.unwrap();
    assert_eq!(
        server.push_token_of(&profile.staff_id).await.as_deref(),
        Some(token)
    );
    (client, profile.staff_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_server_pushes_is_stored_by_the_phone_before_any_sync() {
    let (fcm, apns) = (FakeFcm::start().await, FakeApns::start().await);
    let server = TestServer::spawn_with(|s| {
        apns.configure(s);
        fcm.configure(s);
        s.apply("push_provider", "fcm+apns").unwrap();
        s.apply("push_poll_ms", "50").unwrap();
    })
    .await;
    let android = phone(&server, Device::Android, "fcm-e2e-token").await;
    let iphone = phone(&server, Device::Apple, "a1b2c3d4e5f6").await;
    // Longer than a push carries: the push brings a preview, the sync the whole text.
    let long = "Смена переносится. ".repeat(40).trim_end().to_owned();

    for ((client, staff_id), fake) in [(&android, &fcm.behaviour), (&iphone, &apns.behaviour)] {
        let short = server
            .create_message(staff_id, "Планёрка", "В 10:00 в переговорной")
            .await;
        let shown = client
            .handle_push(pushed(fake, short, false).await.to_string())
            .unwrap();
        assert_eq!(
            (shown.message_id.get(), shown.is_new, shown.recalled),
            (short, true, false)
        );
        assert_eq!(
            (
                shown.title.as_str(),
                shown.text.as_str(),
                shown.unread_count
            ),
            ("Планёрка", "В 10:00 в переговорной", 1)
        );
        let stored = client.message(MessageId::new(short).unwrap()).unwrap();
        let stored = stored.expect("stored from the push alone, before any sync");
        assert_eq!(
            (stored.title.as_str(), stored.text.as_str()),
            ("Планёрка", "В 10:00 в переговорной")
        );

        let cut = server.create_message(staff_id, "Перенос", &long).await;
        let preview = client
            .handle_push(pushed(fake, cut, false).await.to_string())
            .unwrap();
        assert!(
            preview.text.ends_with('…') && long.starts_with(preview.text.trim_end_matches('…')),
            "a preview of the text: {:?}",
            preview.text
        );
        client.sync().await.unwrap();
        let whole = client
            .message(MessageId::new(cut).unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(whole.text, long, "the sync brings the whole text");
        let synced = client.message(MessageId::new(short).unwrap()).unwrap();
        assert_eq!(
            synced.unwrap().created_at,
            stored.created_at,
            "the push carried the server's date, not the phone's clock"
        );

        // A message to acknowledge says so in its push: the notification can offer the button
        // before any sync, and pressing it works from the push alone.
        let order = server
            .create_order(staff_id, "Приказ № 7", "Смена с 8:00")
            .await;
        let payload = pushed(fake, order, false).await;
        let asked = client.handle_push(payload.to_string()).unwrap();
        assert!(asked.ack_required, "{payload}");
        if let Some(aps) = payload.get("aps") {
            // The category the iOS app registers with its "Ознакомлен(а)" action.
            assert_eq!(aps["category"], "SIMO_ACK", "{payload}");
        }
        assert!(!shown.ack_required, "a plain message asks nothing");
        let stored = client.message(MessageId::new(order).unwrap()).unwrap();
        assert!(stored.unwrap().ack_required);

        // The company reminds: the phone has the message, and shows it again as a reminder.
        while server.status_of(order).await["status"] == "queued" {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(server.remind(&[order]).await, vec![order]);
        let payload = reminded(fake, order).await;
        let reminder = client.handle_push(payload.to_string()).unwrap();
        assert!(
            reminder.reminder && !reminder.is_new && reminder.ack_required,
            "{reminder:?}"
        );
        assert_eq!(reminder.title, "Приказ № 7", "{payload}");
        if let Some(aps) = payload.get("aps") {
            // Worded by the phone in its language: the app's strings hold the key.
            assert_eq!(aps["alert"]["title-loc-key"], "push.reminder_title");
            assert_eq!(aps["category"], "SIMO_ACK", "{payload}");
        }
        assert!(
            server.remind(&[order]).await.is_empty(),
            "once an hour at most"
        );

        client
            .acknowledge(MessageId::new(order).unwrap())
            .await
            .unwrap();
        assert_eq!(server.status_of(order).await["status"], "acknowledged");
        // A reminder that comes after the employee acknowledged on the phone shows nothing.
        let late = client.handle_push(payload.to_string()).unwrap();
        assert!(!late.reminder && !late.is_new, "{late:?}");

        server.recall(&[short]).await;
        let recall = client
            .handle_push(pushed(fake, short, true).await.to_string())
            .unwrap();
        assert!(recall.recalled && !recall.is_new, "{recall:?}");
        let gone = client.message(MessageId::new(short).unwrap()).unwrap();
        assert!(gone.is_none(), "deleted by the recall push: {gone:?}");
        assert!(
            fake.protocol_errors().is_empty(),
            "{:?}",
            fake.protocol_errors()
        );
    }
}
