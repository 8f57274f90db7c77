//! Files sent with messages: `uploadfile`, `fileids` on `createmessage` and
//! `createmessagebulk`, `files` in `getmessage`, `getfile`, and the housekeeping of files no
//! message needs.

use crate::cabinet::{Browser, journal};
use crate::helpers::*;
use crate::schedule::in_ms;
use base64::Engine;
use serde_json::{Value, json};
use simo_backend::domain::now_millis;
use simo_backend::service::housekeeping::{Retention, run_once};
use simo_backend::service::schedule::run_due;

both_databases!(
    a_file_goes_with_its_message_to_that_employee_alone,
    uploads_and_attachments_are_refused_when_wrong_and_nothing_is_stored,
    a_send_to_many_stores_its_files_once_and_a_retry_keeps_them,
    files_no_message_needs_are_deleted_a_day_after_their_upload,
    the_same_file_uploaded_again_is_the_one_stored_and_waits_another_day,
    the_cabinet_marks_messages_with_files_and_its_export_names_them,
    a_scheduled_send_carries_its_files_which_wait_with_it,
);

/// A small PDF, as 1C's `Base64Строка` writes it: lines of 76 characters.
fn payslip() -> Vec<u8> {
    let mut pdf = b"%PDF-1.4\n% payslip \xE2\x82\xBD\n".to_vec();
    pdf.extend((0..600u32).map(|i| (i % 251) as u8));
    pdf
}

fn base64_1c(bytes: &[u8]) -> String {
    let plain = base64::engine::general_purpose::STANDARD.encode(bytes);
    plain
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join("\r\n")
}

async fn upload(app: &TestApp, p: &Partner, name: &str, bytes: &[u8]) -> Answer {
    app.post(
        "uploadfile",
        Some(&p.token),
        json!({"inn": p.inn, "name": name, "content": base64_1c(bytes)}),
    )
    .await
}

async fn uploaded(app: &TestApp, p: &Partner, name: &str, bytes: &[u8]) -> String {
    upload(app, p, name, bytes).await.ok()["fileid"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn send_with(app: &TestApp, p: &Partner, staff: &str, files: Value) -> Answer {
    app.post(
        "createmessage",
        Some(&p.token),
        json!({"inn": p.inn, "staffid": staff, "title": "Расчётный листок",
               "message": "За ноябрь", "fileids": files}),
    )
    .await
}

/// `getfile`'s answer: status, headers and bytes (an error is JSON in the envelope).
struct Download {
    status: u16,
    headers: reqwest::header::HeaderMap,
    bytes: Vec<u8>,
}

impl Download {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name}"))
            .to_str()
            .unwrap()
    }

    fn refused(&self, status: u16) -> String {
        assert_eq!(
            self.status,
            status,
            "{}",
            String::from_utf8_lossy(&self.bytes)
        );
        let body: Value = serde_json::from_slice(&self.bytes).expect("an envelope");
        assert_eq!(body["success"], false);
        body["error"].as_str().unwrap().to_owned()
    }
}

async fn get_file(app: &TestApp, token: &str, body: Value) -> Download {
    let resp = app
        .client
        .post(format!("{}/api/v1/getfile", app.base))
        .header("Authorization", token)
        .json(&body)
        .send()
        .await
        .unwrap();
    Download {
        status: resp.status().as_u16(),
        headers: resp.headers().clone(),
        bytes: resp.bytes().await.unwrap().to_vec(),
    }
}

fn history(a: &Answer) -> Vec<Value> {
    a.ok().as_array().unwrap().clone()
}

async fn a_file_goes_with_its_message_to_that_employee_alone(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let q = app.create_partner(INN_B).await;
    let e = app.login(&p.inn, PHONE, "Иванов Иван").await;
    let f = app.login(&p.inn, "+79990001122", "Петров Пётр").await;
    let g = app.login(&q.inn, "+79990003344", "Сидоров Сидор").await;
    let pdf = payslip();

    let answer = upload(&app, &p, "Расчётный листок, ноябрь.pdf", &pdf).await;
    let file = answer.ok().clone();
    assert_eq!(file["name"], "Расчётный листок, ноябрь.pdf");
    assert_eq!(file["size"], pdf.len());
    assert_eq!(file["contenttype"], "application/pdf");
    use sha2::Digest;
    assert_eq!(file["sha256"], hex::encode(sha2::Sha256::digest(&pdf)));
    let id = file["fileid"].as_str().unwrap().to_owned();

    let plain = app.create_message(&p, &e.id, "Планерка", "В 10:00").await;
    assert_eq!(plain.ok()["fileids"], json!([]));
    let sent = send_with(&app, &p, &e.id, json!([id])).await;
    assert_eq!(sent.ok()["fileids"], json!([id]));
    let message = sent.ok()["messageid"].as_str().unwrap().to_owned();

    // The history lists the file under its message; a message without files has no key.
    let page = history(&app.get_messages(&e.token, json!({})).await);
    assert_eq!(page.len(), 2);
    assert_eq!(
        page[0]["files"],
        json!([{"fileid": id, "name": "Расчётный листок, ноябрь.pdf",
                "size": pdf.len(), "contenttype": "application/pdf"}])
    );
    assert!(page[1].get("files").is_none(), "{:?}", page[1]);
    let partners = history(
        &app.get_messages(&p.token, json!({"inn": p.inn, "staffid": e.id}))
            .await,
    );
    assert_eq!(partners[0]["files"], page[0]["files"]);

    // The company's system sees which files went, by ID and in its list; none without.
    let states = app
        .post(
            "getmessagestatus",
            Some(&p.token),
            json!({"inn": p.inn, "messageids": [message, plain.ok()["messageid"]]}),
        )
        .await;
    assert_eq!(states.ok()["messages"][0]["fileids"], json!([id]));
    assert!(states.ok()["messages"][1].get("fileids").is_none());
    let listed = app
        .post("listmessages", Some(&p.token), json!({"inn": p.inn}))
        .await;
    let listed: Vec<&Value> = listed.ok()["messages"].as_array().unwrap().iter().collect();
    assert_eq!(listed.len(), 2);
    assert_eq!(
        listed[1]["fileids"],
        json!([id]),
        "created order: {listed:?}"
    );
    assert!(listed[0].get("fileids").is_none());

    // The employee downloads it, by their message.
    let got = get_file(&app, &e.token, json!({"messageid": message, "fileid": id})).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.bytes, pdf);
    assert_eq!(got.header("content-type"), "application/pdf");
    assert_eq!(got.header("x-content-type-options"), "nosniff");
    let disposition = got.header("content-disposition");
    assert!(
        disposition.starts_with("attachment; filename=\"")
            && disposition.contains("filename*=UTF-8''%D0%A0%D0%B0%D1%81"),
        "{disposition}"
    );
    assert_eq!(
        got.header("etag"),
        format!("\"{}\"", file["sha256"].as_str().unwrap())
    );
    // Without the message, or with another employee's token, or another message of theirs.
    get_file(&app, &e.token, json!({"fileid": id}))
        .await
        .refused(400);
    get_file(&app, &f.token, json!({"messageid": message, "fileid": id}))
        .await
        .refused(404);
    let plain_id = plain.ok()["messageid"].as_str().unwrap();
    get_file(&app, &e.token, json!({"messageid": plain_id, "fileid": id}))
        .await
        .refused(404);
    // The company's system reads its own files; another company neither reads nor attaches them.
    let own = get_file(&app, &p.token, json!({"inn": p.inn, "fileid": id})).await;
    assert_eq!((own.status, own.bytes), (200, pdf.clone()));
    get_file(&app, &q.token, json!({"inn": q.inn, "fileid": id}))
        .await
        .refused(404);
    let foreign = send_with(&app, &q, &g.id, json!([id])).await.failed(404);
    assert!(
        foreign.contains(&format!("Файл {id} не найден")),
        "{foreign}"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM messages WHERE partner_id = {}",
            q.id
        ))
        .await,
        0,
        "nothing stored for the refused message"
    );
    get_file(&app, &g.token, json!({"messageid": message, "fileid": id}))
        .await
        .refused(404);

    // Recalled, it gives its file to nobody but the company.
    app.post(
        "recallmessage",
        Some(&p.token),
        json!({"inn": p.inn, "messageid": message}),
    )
    .await
    .ok();
    let gone = get_file(&app, &e.token, json!({"messageid": message, "fileid": id}))
        .await
        .refused(404);
    assert!(gone.contains("отозвано"), "{gone}");
    assert_eq!(
        get_file(&app, &p.token, json!({"inn": p.inn, "fileid": id}))
            .await
            .status,
        200
    );
}

async fn uploads_and_attachments_are_refused_when_wrong_and_nothing_is_stored(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иванов Иван").await;
    let pdf = payslip();
    let refused = |answer: Answer, status: u16, words: &str| {
        let error = answer.failed(status);
        assert!(error.contains(words), "{words:?} not in {error:?}");
    };
    refused(
        app.post(
            "uploadfile",
            Some(&p.token),
            json!({"content": base64_1c(&pdf)}),
        )
        .await,
        400,
        "name",
    );
    refused(
        app.post("uploadfile", Some(&p.token), json!({"name": "a.pdf"}))
            .await,
        400,
        "content",
    );
    refused(
        upload(&app, &p, "setup.exe", &pdf).await,
        400,
        "не отправляются",
    );
    refused(
        upload(&app, &p, "../../etc/a.pdf", &pdf).await,
        400,
        "папок",
    );
    refused(
        upload(&app, &p, "листок.pdf", b"MZ\x90\x00 not a pdf").await,
        400,
        "не похоже на файл PDF",
    );
    // An empty file is no content at all.
    refused(upload(&app, &p, "пусто.txt", b"").await, 400, "content");
    refused(
        app.post(
            "uploadfile",
            Some(&p.token),
            json!({"name": "a.pdf", "content": "это не base64"}),
        )
        .await,
        400,
        "Base64",
    );
    // One byte over the server's 5 MB, and a body larger than any file's.
    let mut big = b"%PDF-".to_vec();
    big.resize(5 * 1024 * 1024 + 1, b'0');
    refused(upload(&app, &p, "big.pdf", &big).await, 400, "больше 5 МБ");
    big.resize(8 * 1024 * 1024, b'0');
    refused(
        upload(&app, &p, "bigger.pdf", &big).await,
        413,
        "Слишком большой",
    );
    // An employee's token uploads nothing.
    assert_eq!(
        app.post(
            "uploadfile",
            Some(&e.token),
            json!({"name": "a.pdf", "content": base64_1c(&pdf)}),
        )
        .await
        .status,
        403
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM files").await, 0);

    let ids: Vec<String> = ["1.pdf", "2.pdf", "3.pdf", "4.pdf", "5.pdf", "6.pdf"]
        .iter()
        .map(|n| n.to_string())
        .collect();
    let mut fileids = Vec::new();
    for name in &ids {
        fileids.push(uploaded(&app, &p, name, &pdf).await);
    }
    refused(
        send_with(&app, &p, &e.id, json!(fileids)).await,
        400,
        "не более 5 файлов",
    );
    refused(
        send_with(&app, &p, &e.id, json!([fileids[0], fileids[0]])).await,
        400,
        "дважды",
    );
    refused(
        send_with(&app, &p, &e.id, json!(["x"])).await,
        400,
        "fileid",
    );
    refused(
        send_with(&app, &p, &e.id, json!(["999999"])).await,
        404,
        "не найден",
    );
    refused(
        app.post(
            "createmessagebulk",
            Some(&p.token),
            json!({"inn": p.inn, "all": true, "title": "T", "message": "M",
                   "fileids": ["999999"]}),
        )
        .await,
        404,
        "не найден",
    );
    refused(
        app.post(
            "schedulemessage",
            Some(&p.token),
            json!({"inn": p.inn, "all": true, "title": "T", "message": "M",
                   "senddate": "2099-01-01T10:00:00+03:00", "fileids": ["999999"]}),
        )
        .await,
        404,
        "не найден",
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM messages").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM scheduled_sends").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM message_files").await, 0);
    // Five are as many as a message carries, in the order given.
    let five: Vec<&String> = fileids[..5].iter().rev().collect();
    send_with(&app, &p, &e.id, json!(five)).await.ok();
    let page = history(&app.get_messages(&e.token, json!({})).await);
    let names: Vec<&str> = page[0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["5.pdf", "4.pdf", "3.pdf", "2.pdf", "1.pdf"]);
}

async fn a_send_to_many_stores_its_files_once_and_a_retry_keeps_them(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let staff = [
        app.login(&p.inn, PHONE, "Иванов Иван").await,
        app.login(&p.inn, "+79990001122", "Петров Пётр").await,
        app.login(&p.inn, "+79990003344", "Сидоров Сидор").await,
    ];
    let order = uploaded(&app, &p, "Приказ.pdf", &payslip()).await;
    let schedule = uploaded(&app, &p, "График.png", b"\x89PNG\r\n\x1A\n....").await;
    let bulk = app
        .post(
            "createmessagebulk",
            Some(&p.token),
            json!({"inn": p.inn, "all": true, "title": "Приказ", "message": "Ознакомьтесь",
                   "requireack": true, "fileids": [order, schedule]}),
        )
        .await;
    assert_eq!(bulk.ok()["messages"].as_array().unwrap().len(), 3);
    for e in &staff {
        let page = history(&app.get_messages(&e.token, json!({})).await);
        let files: Vec<(&str, &str)> = page[0]["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["fileid"].as_str().unwrap(),
                    f["contenttype"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            files,
            [
                (order.as_str(), "application/pdf"),
                (schedule.as_str(), "image/png")
            ]
        );
        let message = page[0]["messageId"].as_str().unwrap();
        let got = get_file(
            &app,
            &e.token,
            json!({"messageid": message, "fileid": schedule}),
        )
        .await;
        assert_eq!(got.bytes, b"\x89PNG\r\n\x1A\n....");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM files").await, 2);
    assert_eq!(app.count("SELECT COUNT(*) FROM message_files").await, 6);

    // A retry with the same key is the same message with its files; other files are a 409.
    let keyed = |files: Value| {
        let body = json!({"inn": p.inn, "staffid": staff[0].id, "title": "Листок",
                          "message": "Ноябрь", "fileids": files});
        let app = &app;
        let token = p.token.clone();
        async move {
            app.call_with(
                "POST",
                "/api/v1/createmessage",
                Some(&token),
                &[("Idempotency-Key", b"payslip-2026-11-ivanov")],
                Some(body.to_string().into_bytes()),
            )
            .await
        }
    };
    let first = keyed(json!([order])).await;
    let again = keyed(json!([order])).await;
    assert_eq!(again.ok()["messageid"], first.ok()["messageid"]);
    assert_eq!(again.ok()["fileids"], json!([order]));
    let other = keyed(json!([schedule])).await.failed(409);
    assert!(other.contains("fileids"), "{other}");
    let none = keyed(json!([])).await.failed(409);
    assert!(none.contains("Idempotency-Key"), "{none}");
    assert_eq!(app.count("SELECT COUNT(*) FROM message_files").await, 7);
}

async fn files_no_message_needs_are_deleted_a_day_after_their_upload(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иванов Иван").await;
    let kept = uploaded(&app, &p, "attached.pdf", &payslip()).await;
    let unused = uploaded(&app, &p, "never.pdf", &payslip()).await;
    send_with(&app, &p, &e.id, json!([kept])).await.ok();
    let now = simo_backend::domain::now_millis();
    let keep_all = Retention::new(300, 0);

    let pruned = run_once(&app.state.store, keep_all, now).await.unwrap();
    assert_eq!(pruned.files, 0, "both are younger than a day");
    let tomorrow = now + 25 * 3600 * 1000;
    let pruned = run_once(&app.state.store, keep_all, tomorrow)
        .await
        .unwrap();
    assert_eq!(pruned.files, 1);
    let late = send_with(&app, &p, &e.id, json!([unused]))
        .await
        .failed(404);
    assert!(late.contains("хранится сутки"), "{late}");
    assert_eq!(
        get_file(&app, &p.token, json!({"inn": p.inn, "fileid": kept}))
            .await
            .status,
        200,
        "a file a message carries stays"
    );

    // Its employee deleted with their messages, nothing needs it.
    app.post("deletestaff", Some(&p.token), json!({"staffid": e.id}))
        .await
        .ok();
    assert_eq!(app.count("SELECT COUNT(*) FROM message_files").await, 0);
    let pruned = run_once(&app.state.store, keep_all, tomorrow)
        .await
        .unwrap();
    assert_eq!(pruned.files, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM files").await, 0);
}

/// A 1C loop that uploads the order with each employee's message: the same bytes under the
/// same name are the file stored before, and its day to be attached starts again. Another
/// name, other bytes or another company store a file of their own.
async fn the_same_file_uploaded_again_is_the_one_stored_and_waits_another_day(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let other = app.create_partner(INN_B).await;
    let e = app.login(&p.inn, PHONE, "Иванов Иван").await;
    let first = upload(&app, &p, "Приказ.pdf", &payslip())
        .await
        .ok()
        .clone();
    // Uploaded two days ago, and attached to nothing since.
    app.state
        .store
        .execute_script("UPDATE files SET created_at = created_at - 172800000")
        .await
        .unwrap();
    let again = upload(&app, &p, "Приказ.pdf", &payslip())
        .await
        .ok()
        .clone();
    assert_eq!(again, first, "the same fileid, size, type and digest");
    assert_eq!(app.count("SELECT COUNT(*) FROM files").await, 1);
    let now = simo_backend::domain::now_millis();
    let pruned = run_once(&app.state.store, Retention::new(300, 0), now)
        .await
        .unwrap();
    assert_eq!(pruned.files, 0, "its day starts again at the second upload");
    let fileid = first["fileid"].as_str().unwrap();
    send_with(&app, &p, &e.id, json!([fileid])).await.ok();

    let renamed = uploaded(&app, &p, "Приказ № 2.pdf", &payslip()).await;
    let mut edited = payslip();
    edited.push(b'\n');
    let edited = uploaded(&app, &p, "Приказ.pdf", &edited).await;
    let theirs = uploaded(&app, &other, "Приказ.pdf", &payslip()).await;
    let ids: std::collections::BTreeSet<&str> =
        [fileid, &renamed, &edited, &theirs].into_iter().collect();
    assert_eq!(ids.len(), 4, "{ids:?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM files").await, 4);
    let refused = get_file(
        &app,
        &other.token,
        json!({"inn": other.inn, "fileid": fileid}),
    )
    .await;
    assert_eq!(
        refused.status, 404,
        "the other company's upload found its own file"
    );
}

/// The cabinet's message list and an employee's card mark a message that carries files with a
/// paperclip and their number; the CSV export names them in its last column.
async fn the_cabinet_marks_messages_with_files_and_its_export_names_them(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иванов Иван").await;
    app.create_message(&p, &e.id, "Без файлов", "Текст")
        .await
        .ok();
    let order = uploaded(&app, &p, "Приказ.pdf", &payslip()).await;
    let chart = uploaded(&app, &p, "=График.png", b"\x89PNG\r\n\x1A\n....").await;
    send_with(&app, &p, &e.id, json!([order, chart])).await.ok();

    let b = crate::cabinet::Browser::new(&app);
    b.partner(INN_A).await;
    let mark = "role=\"img\" aria-label=\"Файлы: 2\" title=\"Файлы: 2\">📎2</span>";
    for page in [
        "/cabinet/messages".to_owned(),
        format!("/cabinet/employees/{}", e.id),
    ] {
        let body = b.get(&page).await.body;
        assert_eq!(body.matches(mark).count(), 1, "{page}: {body}");
        assert_eq!(
            body.matches("files-count").count(),
            1,
            "{page}: one message has files"
        );
    }
    let rows = crate::cabinet::csv_rows(&b.get("/cabinet/messages.csv").await);
    assert_eq!(rows[0][17], "Файлы");
    assert_eq!(rows[1][4], "Расчётный листок");
    assert_eq!(
        rows[1][17], "Приказ.pdf; =График.png",
        "in the message's order; a leading = is no formula inside the cell"
    );
    assert_eq!(rows[2][4], "Без файлов");
    assert_eq!(rows[2][17], "");
}

/// `SIMO_FILE_UPLOADS_AT_ONCE` uploads are read at once; the others wait their turn. One that
/// waits longer than the read timeout is answered 429 with `Retry-After`, and nothing is
/// stored. The turns are the server's own (`AppState::uploads`), taken here to be held.
#[tokio::test]
async fn uploads_wait_their_turn_and_are_told_to_come_back_when_it_does_not_come() {
    let app = spawn_app_with(Db::Sqlite, |s| {
        s.apply("file_uploads_at_once", "2").unwrap();
        s.apply("request_read_timeout_secs", "1").unwrap();
    })
    .await
    .expect("SQLite is always there");
    let p = app.create_partner(INN_A).await;
    let turns = app.state.uploads.clone();

    let held = turns.clone().acquire_many_owned(2).await.unwrap();
    let refused = upload(&app, &p, "Приказ.pdf", &payslip()).await;
    assert_eq!(refused.retry_after.as_deref(), Some("5"));
    let words = refused.failed(429);
    assert!(words.contains("принимает другие файлы"), "{words}");
    assert_eq!(app.count("SELECT COUNT(*) FROM files").await, 0);
    // Other calls do not wait for an upload's turn.
    app.login(&p.inn, PHONE, "Иванов Иван").await;
    drop(held);
    upload(&app, &p, "Приказ.pdf", &payslip()).await.ok();

    // Eight at once through two turns (and the usual 30 s to wait): each waits, none is
    // refused, and every turn comes back.
    let app = spawn_app_with(Db::Sqlite, |s| {
        s.apply("file_uploads_at_once", "2").unwrap()
    })
    .await
    .expect("SQLite is always there");
    let p = app.create_partner(INN_A).await;
    let turns = app.state.uploads.clone();
    let uploads = (0..8).map(|n| {
        let (app, p) = (&app, &p);
        async move { upload(app, p, &format!("Листок {n}.pdf"), &payslip()).await }
    });
    for answer in futures_util::future::join_all(uploads).await {
        answer.ok();
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM files").await, 8);
    assert_eq!(turns.available_permits(), 2);
}

/// The names of a scheduled send's files, as `getschedule`, `schedulemessage` and
/// `changeschedule` answer them.
fn file_names(send: &Value) -> Vec<&str> {
    send["files"]
        .as_array()
        .unwrap_or_else(|| panic!("files: {send}"))
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect()
}

async fn waiting(app: &TestApp, p: &Partner) -> Vec<Value> {
    let list = app
        .post("getschedule", Some(&p.token), json!({"inn": p.inn}))
        .await
        .ok()
        .clone();
    list["pending"].as_array().unwrap().clone()
}

/// A payslip scheduled for the morning goes with its files, however long it waits: the
/// housekeeping keeps a file a waiting send carries (not a day), a series' next send carries
/// it too, a change replaces or drops them, and a cancelled send's file goes a day after its
/// upload like any file nothing needs.
async fn a_scheduled_send_carries_its_files_which_wait_with_it(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let e = app.login(&p.inn, PHONE, "Иванов Иван").await;
    let order = uploaded(&app, &p, "Приказ.pdf", &payslip()).await;
    let plan = uploaded(&app, &p, "График.png", b"\x89PNG\r\n\x1A\n....").await;
    let schedule = |body: Value, key: Option<&'static str>| {
        let mut body = body;
        body["inn"] = json!(p.inn);
        body["staffids"] = json!([e.id]);
        let headers: Vec<(&str, &[u8])> = key
            .map(|k| ("Idempotency-Key", k.as_bytes()))
            .into_iter()
            .collect();
        let (app, token) = (&app, p.token.clone());
        async move {
            app.call_with(
                "POST",
                "/api/v1/schedulemessage",
                Some(&token),
                &headers,
                Some(body.to_string().into_bytes()),
            )
            .await
        }
    };
    let at = in_ms(3_600_000);
    let asked = json!({"title": "Приказ", "message": "Ознакомьтесь", "senddate": at,
                       "repeat": "daily", "fileids": [order, plan]});
    let send = schedule(asked.clone(), Some("k-1")).await.ok().clone();
    assert_eq!(file_names(&send), ["Приказ.pdf", "График.png"]);
    assert_eq!(send["files"][0]["fileid"], json!(order));
    assert_eq!(send["files"][1]["contenttype"], "image/png");
    // The same key: the same send, but only with the same files.
    let again = schedule(asked.clone(), Some("k-1")).await.ok().clone();
    assert_eq!(again["scheduleid"], send["scheduleid"]);
    let mut other = asked.clone();
    other["fileids"] = json!([plan, order]);
    let taken = schedule(other, Some("k-1")).await.failed(409);
    assert!(taken.contains("fileids"), "{taken}");
    // Another company's file, or one never uploaded, schedules nothing.
    let q = app.create_partner(INN_B).await;
    let theirs = uploaded(&app, &q, "Чужой.pdf", &payslip()).await;
    for wrong in [json!([theirs]), json!(["999999"])] {
        let mut body = asked.clone();
        body["fileids"] = wrong;
        let refused = schedule(body, None).await.failed(404);
        assert!(refused.contains("не найден"), "{refused}");
    }
    assert_eq!(waiting(&app, &p).await.len(), 1);
    assert_eq!(
        file_names(&waiting(&app, &p).await[0]),
        ["Приказ.pdf", "График.png"]
    );

    // Two days pass before it goes: a waiting send's files are kept.
    let keep_all = Retention::new(300, 0);
    let in_two_days = now_millis() + 49 * 3_600_000;
    let pruned = run_once(&app.state.store, keep_all, in_two_days)
        .await
        .unwrap();
    assert_eq!(
        pruned.files, 1,
        "the other company's upload, attached to nothing"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM files").await,
        2,
        "a waiting send keeps its files"
    );

    assert_eq!(
        run_due(&app.state, now_millis() + 3_660_000).await.unwrap(),
        1
    );
    let page = history(&app.get_messages(&e.token, json!({})).await);
    assert_eq!(page.len(), 1);
    let names: Vec<&str> = page[0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Приказ.pdf", "График.png"]);
    let message = page[0]["messageId"].as_str().unwrap().to_owned();
    let got = get_file(
        &app,
        &e.token,
        json!({"messageid": message, "fileid": order}),
    )
    .await;
    assert_eq!(
        (got.status, got.bytes.as_slice()),
        (200, payslip().as_slice())
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM message_files").await, 2);

    // The series' next send waits with the same files; a change replaces them, or drops them.
    let next = waiting(&app, &p).await;
    assert_eq!(next.len(), 1);
    assert_eq!(file_names(&next[0]), ["Приказ.pdf", "График.png"]);
    let change = |fileids: Value| {
        app.post(
            "changeschedule",
            Some(&p.token),
            json!({"inn": p.inn, "scheduleid": next[0]["scheduleid"], "fileids": fileids}),
        )
    };
    let changed = change(json!([plan])).await.ok().clone();
    assert_eq!(file_names(&changed), ["График.png"]);
    let refused = change(json!(["999999"])).await.failed(404);
    assert!(refused.contains("не найден"), "{refused}");
    assert_eq!(
        file_names(&waiting(&app, &p).await[0]),
        ["График.png"],
        "unchanged"
    );
    let dropped = change(json!("none")).await.ok().clone();
    assert!(file_names(&dropped).is_empty(), "{dropped}");
    // The journal names the files a change replaced and dropped.
    let b = Browser::new(&app);
    b.partner(&p.inn).await;
    let entries = journal(&b.get("/cabinet/journal?who=api").await);
    let what: Vec<&str> = entries.iter().map(|(_, what, _)| what.as_str()).collect();
    assert!(
        what[1].contains("файлы: Приказ.pdf, График.png ⇒ ")
            && what[1].ends_with("файлы: График.png"),
        "{what:?}"
    );
    assert!(
        what[0].contains("файлы: График.png ⇒ ") && !what[0].ends_with(".png"),
        "{what:?}"
    );
    // The same files again change nothing: no new revision.
    let same = change(json!("none")).await.ok().clone();
    assert_eq!(same["scheduleid"], dropped["scheduleid"]);

    // A one-off with a file of its own, cancelled: the file goes a day after its upload, and
    // the cancelled send no longer lists it.
    let memo = uploaded(
        &app,
        &p,
        "Памятка.txt",
        "Только для этой отправки".as_bytes(),
    )
    .await;
    let once = schedule(
        json!({"title": "Памятка", "message": "М", "senddate": at, "fileids": [memo]}),
        None,
    )
    .await
    .ok()
    .clone();
    app.post(
        "cancelschedule",
        Some(&p.token),
        json!({"inn": p.inn, "scheduleid": once["scheduleid"]}),
    )
    .await
    .ok();
    let pruned = run_once(&app.state.store, keep_all, in_two_days)
        .await
        .unwrap();
    assert_eq!(pruned.files, 1, "the cancelled send's file alone");
    let done = app
        .post(
            "getschedule",
            Some(&p.token),
            json!({"inn": p.inn, "scheduleid": once["scheduleid"]}),
        )
        .await
        .ok()
        .clone();
    assert_eq!(done["done"][0]["state"], "cancelled");
    assert!(file_names(&done["done"][0]).is_empty(), "{done}");
    assert_eq!(
        get_file(&app, &p.token, json!({"inn": p.inn, "fileid": memo}))
            .await
            .status,
        404
    );
    // The sent messages keep theirs.
    assert_eq!(
        get_file(&app, &p.token, json!({"inn": p.inn, "fileid": order}))
            .await
            .status,
        200
    );
}

/// A company keeps files up to its room (`SIMO_FILE_QUOTA_BYTES`): an upload beyond it is a
/// 409 that says how much is taken, with nothing stored; the same file again needs no room;
/// another company has a room of its own; the housekeeping gives room back; the send form
/// shows how much is taken.
#[tokio::test]
async fn a_company_keeps_files_up_to_its_room() {
    for db in [Db::Sqlite, Db::Postgres] {
        let Some(app) = spawn_app_with(db, |s| s.apply("file_quota_bytes", "2000").unwrap()).await
        else {
            continue;
        };
        let p = app.create_partner(INN_A).await;
        let e = app.login(&p.inn, PHONE, "Иванов Иван").await;
        let size = payslip().len() as i64;
        let first = upload(&app, &p, "Листок 1.pdf", &payslip()).await;
        assert_eq!(first.ok()["usedbytes"], size);
        assert_eq!(first.ok()["quotabytes"], 2000);
        let second = upload(&app, &p, "Листок 2.pdf", &payslip()).await;
        assert_eq!(second.ok()["usedbytes"], 2 * size);
        // The same file again is the one stored: it takes no more room.
        let again = upload(&app, &p, "Листок 1.pdf", &payslip()).await;
        assert_eq!(again.ok()["fileid"], first.ok()["fileid"]);
        assert_eq!(again.ok()["usedbytes"], 2 * size);
        let mut big = payslip();
        big.extend(std::iter::repeat_n(7u8, 800 - big.len()));
        let refused = upload(&app, &p, "Большой.pdf", &big).await.failed(409);
        assert!(
            refused.contains("занимают 0.0 МБ из 0.0 МБ") && refused.contains("не помещается"),
            "{refused}"
        );
        assert_eq!(app.count("SELECT COUNT(*) FROM files").await, 2);
        // Another company's room is its own.
        let q = app.create_partner(INN_B).await;
        assert_eq!(
            upload(&app, &q, "Большой.pdf", &big).await.ok()["usedbytes"],
            800
        );
        // The send form says how much is taken.
        let b = crate::cabinet::Browser::new(&app);
        b.partner(&p.inn).await;
        let form = b.get("/cabinet/send").await;
        assert!(
            form.body
                .contains("Файлы организации занимают 1.2 КБ из 2 КБ"),
            "{}",
            form.body
        );
        // The company's page of files: the largest first, what carries each, a download; the
        // form's words link to it.
        assert!(
            form.body.contains("href=\"/cabinet/files\""),
            "{}",
            form.body
        );
        let send = send_with(&app, &p, &e.id, json!([first.ok()["fileid"]])).await;
        send.ok();
        let page = b.get("/cabinet/files").await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("Файлы организации (2)"), "{}", page.body);
        let rows: Vec<&str> = page.body.split("<tr data-file-id=").skip(1).collect();
        assert_eq!(rows.len(), 2, "{}", page.body);
        assert!(rows[0].contains("Листок 2.pdf") && rows[0].contains("ни в чём, удалится"));
        assert!(rows[1].contains("Листок 1.pdf") && rows[1].contains("сообщений: 1"));
        let id = first.ok()["fileid"].as_str().unwrap().to_owned();
        let got = b.get(&format!("/cabinet/files/{id}")).await;
        assert_eq!(got.status, 200);
        let theirs = crate::cabinet::Browser::new(&app);
        theirs.partner(&q.inn).await;
        assert_eq!(
            theirs.get(&format!("/cabinet/files/{id}")).await.status,
            404
        );

        // The operator sees what each company's files take, and gives this one a megabyte
        // of its own (junk refused), then no limit, then the server's again.
        let op = crate::cabinet::Browser::new(&app);
        op.operator(&app).await;
        let list = op.get("/operator").await;
        assert!(list.body.contains("Файлы: 1.2 КБ"), "{}", list.body);
        let set_room = |room: &'static str| {
            let (op, csrf) = (&op, list.csrf());
            async move {
                let path = format!("/operator/partners/{}/file-room", p.id);
                op.post(&path, &[("csrf", &csrf), ("room", room)]).await
            }
        };
        for junk in ["много", "-1", "1048577"] {
            assert_eq!(set_room(junk).await.status, 400, "{junk}");
        }
        let done = set_room("1").await;
        assert_eq!(
            done.location.as_deref(),
            Some("/operator?done=partner_file_room")
        );
        let fits = upload(&app, &p, "Большой.pdf", &big).await;
        assert_eq!(fits.ok()["quotabytes"], 1024 * 1024);
        assert_eq!(fits.ok()["usedbytes"], 2 * size + 800);
        set_room("0").await;
        let unlimited = upload(&app, &p, "Ещё один.pdf", &big).await;
        assert_eq!(unlimited.ok()["quotabytes"], Value::Null);
        set_room("").await;
        let refused = upload(&app, &p, "Третий.pdf", &big).await.failed(409);
        assert!(refused.contains("не помещается"), "{refused}");
        let entries = journal(&b.get("/cabinet/journal").await);
        let rooms: Vec<&str> = entries
            .iter()
            .filter(|(_, what, _)| what.starts_with("Оператор изменил место для файлов"))
            .map(|(_, what, _)| what.as_str())
            .collect();
        assert_eq!(rooms.len(), 3, "{entries:?}");
        assert!(rooms[2].ends_with("— → 1"), "{rooms:?}");
        assert!(rooms[0].ends_with("0 → —"), "{rooms:?}");

        // A day later the unattached files are gone (the message's stays), and there is room
        // again.
        let tomorrow = simo_backend::domain::now_millis() + 25 * 3600 * 1000;
        run_once(&app.state.store, Retention::new(300, 0), tomorrow)
            .await
            .unwrap();
        assert_eq!(
            upload(&app, &p, "Большой.pdf", &big).await.ok()["usedbytes"],
            size + 800
        );
    }
}
