//! Figures for the README: `cargo bench -p simo-core --bench core`.
//!
//! - `sync()` of 10,000 messages into an empty cache, from a loopback server that answers
//!   `getmessage` pages from memory (so the figure is the core's cost: HTTP, JSON, SQLite);
//! - the newest 50 from a cache of 100,000;
//! - a search over 100,000;
//! - every one of 10,000 unread marked read.

use std::sync::Arc;
use std::time::{Duration, Instant};

use simo_core::cache::{Cache, NewMessage, Session};
use simo_core::{Client, Device, MessageId, StaffState};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const WORDS: &[&str] = &[
    "собрание",
    "отпуск",
    "зарплата",
    "смена",
    "склад",
    "инструктаж",
    "пропуск",
    "проверка",
    "отчёт",
    "график",
    "премия",
    "совещание",
    "охрана",
    "доставка",
    "ремонт",
    "обучение",
];

fn text(i: u64) -> (String, String) {
    let w = |k: u64| WORDS[((i * 7 + k * 13) % WORDS.len() as u64) as usize];
    (
        format!("{} №{i}", w(1)),
        format!("Сообщение {i}: {} {} {} завтра в 9:00", w(2), w(3), w(4)),
    )
}

fn message(i: u64) -> NewMessage {
    let (title, body) = text(i);
    NewMessage {
        id: MessageId::new(i as i64).unwrap(),
        title,
        body,
        created_ms: 1_700_000_000_000 + i as i64,
        sent_ms: None,
        delivered_on_server: true,
        read_on_server: false,
        ack_required: false,
        acked_ms: None,
        files: Vec::new(),
    }
}

/// Answers `getmessage` from `total` in-memory messages, honouring sinceid, beforeid and count.
async fn fake_server(total: u64) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 8192];
                loop {
                    let Ok(n) = stream.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                        continue;
                    };
                    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                    let len: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    if buf.len() < end + 4 + len {
                        continue;
                    }
                    let request: serde_json::Value =
                        serde_json::from_slice(&buf[end + 4..end + 4 + len]).unwrap();
                    buf.drain(..end + 4 + len);
                    let answer = page(total, &request).to_string();
                    let response = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{answer}",
                        answer.len()
                    );
                    if stream.write_all(response.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    url
}

fn page(total: u64, request: &serde_json::Value) -> serde_json::Value {
    let id = |key: &str| request[key].as_str().and_then(|s| s.parse::<u64>().ok());
    let since = id("sinceid").unwrap_or(0);
    let before = id("beforeid").unwrap_or(total + 1);
    let count = request["count"].as_u64().filter(|&c| c > 0).unwrap_or(50);
    let data: Vec<_> = (since + 1..before)
        .rev()
        .take(count as usize)
        .map(|i| {
            let (title, body) = text(i);
            serde_json::json!({"inn": "7707083893", "staffId": "1", "messageId": i.to_string(), "title": title,
                "message": body, "createdate": "2026-11-23T10:00:00.000+03:00", "senddate": null,
                "status": "delivered", "delivereddate": null, "readdate": null})
        })
        .collect();
    serde_json::json!({"success": true, "data": data, "error": ""})
}

fn session() -> Session {
    Session {
        token: "bench".into(),
        inn: "7707083893".into(),
        staff_id: "1".into(),
        staff_name: "Иванов".into(),
        company_name: "ООО Весна".into(),
        company_full: "ООО Весна".into(),
        phone: "+79990000000".into(),
        device: Device::Android,
        state: StaffState::Active,
    }
}

fn report(name: &str, runs: &mut [Duration]) {
    runs.sort();
    let median = runs[runs.len() / 2];
    println!(
        "{name:<45} median {median:>10.2?}  (min {:.2?}, max {:.2?}, {} runs)",
        runs[0],
        runs[runs.len() - 1],
        runs.len()
    );
}

#[tokio::main]
async fn main() {
    let url = fake_server(10_000).await;
    let mut runs = Vec::new();
    for _ in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        Cache::open(dir.path())
            .unwrap()
            .save_session(&session())
            .unwrap();
        let client = Client::new(&url, dir.path()).unwrap();
        let started = Instant::now();
        let report = client.sync().await.unwrap();
        runs.push(started.elapsed());
        assert_eq!(report.new_messages.len(), 10_000);
    }
    report("sync() of 10,000 into an empty cache", &mut runs);

    let dir = tempfile::tempdir().unwrap();
    let cache = Arc::new(Cache::open(dir.path()).unwrap());
    let started = Instant::now();
    for chunk in (1..=100_000u64).collect::<Vec<_>>().chunks(10_000) {
        cache
            .store_synced(&chunk.iter().map(|&i| message(i)).collect::<Vec<_>>())
            .unwrap();
    }
    println!(
        "{:<45} {:>17.2?}",
        "filling a cache of 100,000 (store only)",
        started.elapsed()
    );

    let mut runs = Vec::new();
    for _ in 0..200 {
        let started = Instant::now();
        let newest = cache.messages(50, None).unwrap();
        runs.push(started.elapsed());
        assert_eq!(newest[0].id.get(), 100_000);
    }
    report("newest 50 of 100,000", &mut runs);

    let mut runs = Vec::new();
    for _ in 0..200 {
        let started = Instant::now();
        let older = cache
            .messages(50, Some(MessageId::new(50_000).unwrap()))
            .unwrap();
        runs.push(started.elapsed());
        assert_eq!(older.len(), 50);
    }
    report("50 older than id 50,000 (scrolling)", &mut runs);

    for query in ["инструктаж", "склад завтра", "сооб", "Сообщение 99999"]
    {
        let mut runs = Vec::new();
        let mut found = 0;
        for _ in 0..50 {
            let started = Instant::now();
            found = cache.search(query, 100).unwrap().len();
            runs.push(started.elapsed());
        }
        report(
            &format!("search {query:?} over 100,000 ({found} shown)"),
            &mut runs,
        );
    }

    let mut runs = Vec::new();
    for _ in 0..200 {
        let started = Instant::now();
        let unread = cache.unread_count().unwrap();
        runs.push(started.elapsed());
        assert_eq!(unread, 100_000);
    }
    report("unread_count() over 100,000", &mut runs);

    // "Непрочитанные" where most are read: 100,000 read, then 20 new.
    cache.mark_all_read().unwrap();
    let fresh: Vec<NewMessage> = (100_001..=100_020u64).map(message).collect();
    cache.store_synced(&fresh).unwrap();
    let mut runs = Vec::new();
    for _ in 0..200 {
        let started = Instant::now();
        let unread = cache.unread(50, None).unwrap();
        runs.push(started.elapsed());
        assert_eq!(unread.len(), 20);
    }
    report("unread(50) among 100,020 (20 unread)", &mut runs);

    // Last: it reads them all. Each run on a cache of 10,000 unread of its own.
    let mut runs = Vec::new();
    for _ in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::open(dir.path()).unwrap();
        let all: Vec<NewMessage> = (1..=10_000u64).map(message).collect();
        cache.store_synced(&all).unwrap();
        let started = Instant::now();
        let marked = cache.mark_all_read().unwrap();
        runs.push(started.elapsed());
        assert_eq!(marked, 10_000);
    }
    report("mark_all_read() of 10,000 unread", &mut runs);
}
