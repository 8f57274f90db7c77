//! Concurrent use: the app and its notification extension syncing one cache at once,
//! while the UI thread reads.

use std::sync::Arc;

use simo_core::SimoClient;

use crate::helpers::{RecordingListener, TestServer, new_phone};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clients_syncing_one_data_directory_at_once_store_and_announce_each_message_once() {
    let server = TestServer::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().display().to_string();
    let app = SimoClient::new(server.url.clone(), data_dir.clone()).unwrap();
    let profile = server.login(&app, &new_phone()).await;
    let extension = SimoClient::new(server.url.clone(), data_dir).unwrap();
    let (heard_by_app, heard_by_extension) = (
        Arc::new(RecordingListener::default()),
        Arc::new(RecordingListener::default()),
    );
    app.set_listener(Some(heard_by_app.clone()));
    extension.set_listener(Some(heard_by_extension.clone()));
    let mut created = Vec::new();
    for i in 0..40 {
        created.push(
            server
                .create_message(&profile.staff_id, &format!("Смена {i}"), "Смена перенесена")
                .await,
        );
    }

    let reader = {
        let app = app.clone();
        std::thread::spawn(move || {
            for _ in 0..200 {
                app.messages(50, None).unwrap();
                app.unread_count().unwrap();
            }
        })
    };
    let (a, b, c, d) = tokio::join!(app.sync(), extension.sync(), app.sync(), extension.sync());
    reader.join().unwrap();

    for result in [a, b, c, d] {
        result.expect("every concurrent sync succeeds");
    }
    let mut heard = heard_by_app.new_ids();
    heard.extend(heard_by_extension.new_ids());
    heard.sort_unstable();
    created.sort_unstable();
    assert_eq!(
        heard, created,
        "each message announced exactly once, by one of the two"
    );
    assert_eq!(app.messages(100, None).unwrap().len(), 40);
    assert_eq!(extension.unread_count().unwrap(), 40);
}
