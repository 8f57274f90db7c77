//! The offline cache under concurrent use: threads of one process (UI and background work)
//! and two processes on the same file (the iOS app and its Notification Service Extension).

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::thread;

use simo_core::MessageId;
use simo_core::cache::{Cache, NewMessage};

/// Set in the child process: the data directory to write into, and its first message id.
const CHILD_DIR: &str = "SIMO_CORE_TEST_CHILD_DIR";
const CHILD_FIRST_ID: &str = "SIMO_CORE_TEST_CHILD_FIRST_ID";

const BATCHES: i64 = 150;
const PER_BATCH: i64 = 10;

fn message(id: i64) -> NewMessage {
    NewMessage {
        id: MessageId::new(id).unwrap(),
        title: format!("Сообщение {id}"),
        body: "Проверка одновременной записи".into(),
        created_ms: id,
        sent_ms: None,
        delivered_on_server: false,
        read_on_server: false,
        ack_required: false,
        acked_ms: None,
        files: Vec::new(),
    }
}

/// Writes `BATCHES` small transactions starting at `first`, marking every other message
/// read and reading between writes, as the app does while syncing and showing the list.
fn write_and_read(dir: &Path, first: i64) {
    let cache = Cache::open(dir).unwrap();
    for batch in 0..BATCHES {
        let start = first + batch * PER_BATCH;
        let page: Vec<_> = (start..start + PER_BATCH).map(message).collect();
        assert_eq!(cache.store_synced(&page).unwrap().len(), PER_BATCH as usize);
        for id in (start..start + PER_BATCH).step_by(2) {
            assert!(cache.mark_read(MessageId::new(id).unwrap()).unwrap());
        }
        assert!(!cache.messages(50, None).unwrap().is_empty());
        cache.unread_count().unwrap();
        cache.search("одновременной", 20).unwrap();
    }
}

fn assert_complete(dir: &Path, writers: i64) {
    let cache = Cache::open(dir).unwrap();
    let total = writers * BATCHES * PER_BATCH;
    assert_eq!(cache.messages(u32::MAX, None).unwrap().len() as i64, total);
    assert_eq!(i64::from(cache.unread_count().unwrap()), total / 2);
    let reports = cache.pending_reports().unwrap();
    assert_eq!(
        reports.len() as i64,
        total,
        "one report per message: read or delivered"
    );
    assert_eq!(
        cache.search("проверка", 100_000).unwrap().len() as i64,
        total
    );
}

#[test]
fn threads_of_one_process_write_and_read_one_cache_without_losing_a_row() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Arc::new(Cache::open(dir.path()).unwrap());
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let cache = Arc::clone(&cache);
            thread::spawn(move || {
                for batch in 0..BATCHES {
                    let start = 1 + (t * BATCHES + batch) * PER_BATCH;
                    let page: Vec<_> = (start..start + PER_BATCH).map(message).collect();
                    cache.store_synced(&page).unwrap();
                    for id in (start..start + PER_BATCH).step_by(2) {
                        cache.mark_read(MessageId::new(id).unwrap()).unwrap();
                    }
                    cache.messages(50, None).unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    drop(cache);
    assert_complete(dir.path(), 4);
}

#[test]
fn two_processes_write_and_read_one_cache_without_losing_a_row() {
    let dir = tempfile::tempdir().unwrap();
    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_process_writer",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DIR, dir.path())
        .env(CHILD_FIRST_ID, (1 + BATCHES * PER_BATCH).to_string())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    write_and_read(dir.path(), 1);
    let status = child.wait_with_output().unwrap().status;
    assert!(status.success(), "the second process failed: {status}");
    assert_complete(dir.path(), 2);
}

/// The second process of the test above; does nothing when run on its own.
#[test]
fn child_process_writer() {
    if let (Ok(dir), Ok(first)) = (std::env::var(CHILD_DIR), std::env::var(CHILD_FIRST_ID)) {
        write_and_read(Path::new(&dir), first.parse().unwrap());
    }
}
