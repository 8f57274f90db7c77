//! A figure, not a test: `sync()` of 10,000 messages from the real backend into an empty
//! cache, delivery reports included (the messages are `sent`, so the core reports all
//! 10,000 delivered in batches of 500).
//!
//! `cargo run -p simo-tests --example core_sync_real_server` (dev profile, as the tests run).

#[path = "../tests/core/helpers.rs"]
#[allow(dead_code)]
mod helpers;
#[path = "../tests/core/sms.rs"]
mod sms;

use std::time::Instant;

use helpers::{TestServer, new_phone};

const MESSAGES: u32 = 10_000;

#[tokio::main]
async fn main() {
    let server = TestServer::spawn().await;
    let client = server.client();
    let profile = server.login(&client, &new_phone()).await;
    let now = simo_backend::domain::now_millis();
    let seed = format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {MESSAGES})
         INSERT INTO messages (partner_id, staff_id, title, body, source, status, created_at, sent_at)
         SELECT {partner}, {staff}, 'Сообщение ' || i, 'Текст уведомления номер ' || i || ' о событии', 'api', 'sent',
                {now} - ({MESSAGES} - i) * 1000, {now} - ({MESSAGES} - i) * 1000 + 50 FROM n;",
        partner = server.partner_id,
        staff = profile.staff_id,
        now = now,
    );
    server
        .state
        .store
        .execute_script(&seed)
        .await
        .expect("seeding the messages");

    let started = Instant::now();
    let report = client.sync().await.expect("sync");
    let elapsed = started.elapsed();
    assert_eq!(report.new_messages.len(), MESSAGES as usize);
    assert_eq!((report.reports_sent, report.reports_pending), (MESSAGES, 0));
    println!(
        "sync() of {MESSAGES} from the real backend into an empty cache, with {MESSAGES} delivery reports: {elapsed:.2?}"
    );

    let started = Instant::now();
    let again = client.sync().await.expect("second sync");
    assert!(again.new_messages.is_empty());
    println!(
        "the next sync() with nothing new: {:.2?}",
        started.elapsed()
    );
}
