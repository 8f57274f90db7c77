//! Files attached to messages: uploaded by the partner's system, listed by the sync,
//! downloaded once by the core and read from its cache afterwards, offline too.

use simo_core::{ApiError, FileId, MessageFile, MessageId, SimoClient};

use crate::helpers::{TestServer, ids, new_phone};

/// A payslip-like PDF with bytes of every value, so that nothing on the way may treat it as text.
fn payslip() -> Vec<u8> {
    let mut bytes = b"%PDF-1.4\n".to_vec();
    bytes.extend((0..=255u8).cycle().take(20_000));
    bytes
}

fn file_id(uploaded: &serde_json::Value) -> FileId {
    FileId::parse(uploaded["fileid"].as_str().expect("fileid is a string")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_sent_with_a_message_is_listed_downloaded_once_and_read_again_offline() {
    let mut server = TestServer::spawn().await;
    let client = server.client();
    let profile = server.login(&client, &new_phone()).await;
    let (pdf, table) = (payslip(), "Смена;Часы\nутро;8\n".as_bytes().to_vec());
    let first = server.upload_file("Расчётный листок.pdf", &pdf).await;
    let second = server.upload_file("График.csv", &table).await;
    let id = server
        .create_message_with_files(
            &profile.staff_id,
            "Расчётный листок",
            "Листок за ноябрь и график на декабрь",
            &[
                second["fileid"].as_str().unwrap(),
                first["fileid"].as_str().unwrap(),
            ],
        )
        .await;

    let report = client.sync().await.unwrap();
    assert_eq!(ids(&report.new_messages), [id]);
    let message_id = MessageId::new(id).unwrap();
    let listed = client.message(message_id).unwrap().unwrap().files;
    let expected = |uploaded: &serde_json::Value, size: usize, downloaded| MessageFile {
        id: file_id(uploaded),
        name: uploaded["name"].as_str().unwrap().to_owned(),
        size: size as u64,
        content_type: uploaded["contenttype"].as_str().unwrap().to_owned(),
        downloaded,
    };
    assert_eq!(
        listed,
        [
            expected(&second, table.len(), false),
            expected(&first, pdf.len(), false)
        ],
        "in the message's order, nothing downloaded yet"
    );
    assert_eq!(listed[1].name, "Расчётный листок.pdf");
    assert_eq!(listed[1].content_type, "application/pdf");
    assert_eq!(
        report.new_messages[0].files, listed,
        "the sync reports them too"
    );

    assert_eq!(client.file(message_id, file_id(&first)).await.unwrap(), pdf);
    let now = client.message(message_id).unwrap().unwrap().files;
    assert_eq!(
        now.iter().map(|f| f.downloaded).collect::<Vec<_>>(),
        [false, true]
    );

    // No server: the downloaded file still opens, the other one cannot come.
    server.stop().await;
    assert_eq!(client.file(message_id, file_id(&first)).await.unwrap(), pdf);
    let missing = client.file(message_id, file_id(&second)).await;
    assert!(
        matches!(missing, Err(ApiError::Network { .. })),
        "{missing:?}"
    );
    // Nor after the app restarts.
    let restarted = SimoClient::new(server.url.clone(), client.data_dir()).unwrap();
    assert_eq!(
        restarted.file(message_id, file_id(&first)).await.unwrap(),
        pdf
    );

    server.start().await;
    assert_eq!(
        client.file(message_id, file_id(&second)).await.unwrap(),
        table
    );
    assert!(
        client.message(message_id).unwrap().unwrap().files[0].downloaded,
        "kept as well"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_of_another_employees_message_or_of_a_recalled_one_is_not_found() {
    let server = TestServer::spawn().await;
    let (owner, stranger) = (server.client(), server.client());
    let profile = server.login(&owner, &new_phone()).await;
    server.login(&stranger, &new_phone()).await;
    let uploaded = server.upload_file("Приказ.pdf", &payslip()).await;
    let id = server
        .create_message_with_files(
            &profile.staff_id,
            "Приказ",
            "Ознакомьтесь",
            &[uploaded["fileid"].as_str().unwrap()],
        )
        .await;
    owner.sync().await.unwrap();
    let message_id = MessageId::new(id).unwrap();

    let refused = stranger.file(message_id, file_id(&uploaded)).await;
    assert!(
        matches!(refused, Err(ApiError::NotFound { .. })),
        "{refused:?}"
    );
    let unknown = owner
        .file(message_id, FileId::new(i64::from(u32::MAX)).unwrap())
        .await;
    assert!(
        matches!(unknown, Err(ApiError::NotFound { .. })),
        "{unknown:?}"
    );

    // Recalled before it was opened: the server no longer gives it.
    assert_eq!(server.recall(&[id]).await, [id]);
    let recalled = owner.file(message_id, file_id(&uploaded)).await;
    assert!(
        matches!(recalled, Err(ApiError::NotFound { .. })),
        "{recalled:?}"
    );
    assert_eq!(owner.sync().await.unwrap().recalled, [message_id]);
    assert!(owner.message(message_id).unwrap().is_none());
}

/// A push carries no files: the message it stores lists none until the next sync, which
/// refreshes it although the cursor has moved past older messages (the cursor stays a minute
/// behind the newest it saw, and only ever passes messages a sync stored).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_first_stored_from_its_push_gets_its_files_at_the_next_sync() {
    let server = TestServer::spawn().await;
    let client = server.client();
    let profile = server.login(&client, &new_phone()).await;
    // An older message and a newer one: the first sync settles the cursor on the older.
    let old = server
        .create_message(&profile.staff_id, "Собрание", "Было в пятницу")
        .await;
    server
        .state
        .store
        .execute_script(&format!(
            "UPDATE messages SET created_at = created_at - 120000 WHERE id = {old}"
        ))
        .await
        .unwrap();
    let recent = server
        .create_message(&profile.staff_id, "График", "Новый график")
        .await;
    assert_eq!(
        ids(&client.sync().await.unwrap().new_messages),
        [recent, old]
    );

    let uploaded = server.upload_file("Листок.pdf", b"%PDF-1.4 short").await;
    let id = server
        .create_message_with_files(
            &profile.staff_id,
            "Расчётный листок",
            "За ноябрь",
            &[uploaded["fileid"].as_str().unwrap()],
        )
        .await;
    let push = serde_json::json!({"messageid": id.to_string(), "title": "Расчётный листок", "message": "За ноябрь"});
    assert!(client.handle_push(push.to_string()).unwrap().is_new);
    let message_id = MessageId::new(id).unwrap();
    assert!(
        client
            .message(message_id)
            .unwrap()
            .unwrap()
            .files
            .is_empty()
    );

    let report = client.sync().await.unwrap();
    assert!(report.new_messages.is_empty(), "the push brought it");
    let files = client.message(message_id).unwrap().unwrap().files;
    assert_eq!(
        files
            .iter()
            .map(|f| (f.id, f.name.as_str()))
            .collect::<Vec<_>>(),
        [(file_id(&uploaded), "Листок.pdf")]
    );
    assert_eq!(
        client.file(message_id, files[0].id).await.unwrap(),
        b"%PDF-1.4 short"
    );
    assert!(client.message(message_id).unwrap().unwrap().files[0].downloaded);
}
