//! The company's staff list: `addstaff`, the cabinet's "Добавить сотрудников", and the
//! registration policy that admits only the list.

use crate::cabinet::{Browser, Page, csv_rows, field, journal, without_tags};
use crate::helpers::*;
use crate::webhook::by_id;
use serde_json::{Value, json};
use simo_backend::domain::Registration;

both_databases!(
    addstaff_adds_the_companys_list_once_and_leaves_employees_already_there_as_they_are,
    a_bad_staff_list_is_refused_whole_and_names_its_entry,
    with_the_list_only_policy_only_the_listed_phones_log_in,
    a_list_given_as_the_whole_staff_disables_the_employees_not_on_it,
    a_staff_file_from_excel_in_windows_1251_is_read_like_a_pasted_list,
    the_admin_corrects_an_employees_phone_and_they_log_in_with_the_new_one,
    updatestaff_renames_moves_and_switches_an_employee_from_the_partners_system,
    refused_phones_count_toward_the_limit_per_address,
    the_list_finds_whom_to_remind_to_install_the_app,
    asked_to_a_list_skips_its_mistakes_and_keeps_employees_whose_names_alone_were_wrong,
    a_file_of_mistakes_gives_back_its_first_thousand_lines_to_correct,
    a_whole_staff_keeps_the_employees_a_line_with_an_unreadable_phone_names,
);

const IVANOV: &str = "+79001110001";
const PETROVA: &str = "+79001110002";
const ORLOV: &str = "+79001110003";

fn results(data: &Value) -> Vec<(String, String, String)> {
    data["staff"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let f = |k: &str| s[k].as_str().unwrap().to_owned();
            (f("phone"), f("staffname"), f("result"))
        })
        .collect()
}

/// A partner (INN_A) that admits only its staff list, with these employees on it.
async fn list_only_partner(app: &TestApp, staff: &[(&str, &str)]) -> Partner {
    let p = app.create_partner(INN_A).await;
    app.state
        .store
        .set_registration(p.id, Registration::ListOnly)
        .await
        .unwrap();
    let staff: Vec<Value> = staff
        .iter()
        .map(|(phone, name)| json!({"phone": phone, "name": name}))
        .collect();
    app.post(
        "addstaff",
        Some(&p.token),
        json!({"inn": p.inn, "staff": staff}),
    )
    .await
    .ok();
    p
}

fn t(phone: &str, name: &str, result: &str) -> (String, String, String) {
    (phone.to_owned(), name.to_owned(), result.to_owned())
}

async fn addstaff_adds_the_companys_list_once_and_leaves_employees_already_there_as_they_are(
    app: TestApp,
) {
    let p = app.create_partner(INN_A).await;
    let other = app.create_partner(INN_B).await;
    // Already employees: one who logged in, one awaiting approval.
    let petrova = app.login(&p.inn, PETROVA, "Петрова А.").await;
    let store = &app.state.store;
    store
        .set_registration(p.id, Registration::Approval)
        .await
        .unwrap();
    let orlov = app.login(&p.inn, ORLOV, "Орлов").await;
    store
        .set_registration(p.id, Registration::Open)
        .await
        .unwrap();

    let list = json!({"inn": p.inn, "staff": [
        {"phone": "+7 900 111-00-01", "name": "Иванов Иван Иванович"},
        {"phone": "89001110002", "name": "Петрова Анна"},
        {"phone": ORLOV, "staff name": "Орлов Олег"},
        {"phone": IVANOV, "name": "Иванов-дубль"},
    ]});
    let added = app.post("addstaff", Some(&p.token), list.clone()).await;
    let data = added.ok();
    assert_eq!(
        (&data["added"], &data["approved"], &data["existing"]),
        (&json!(1), &json!(1), &json!(1))
    );
    assert_eq!(
        results(data),
        [
            t(IVANOV, "Иванов Иван Иванович", "added"),
            t(PETROVA, "Петрова А.", "existing"),
            t(ORLOV, "Орлов", "approved"),
        ],
        "each phone once, in the order given; names already there are kept"
    );
    assert_eq!(data["staff"][1]["staffid"], petrova.id.as_str());
    assert_eq!(data["staff"][2]["staffid"], orlov.id.as_str());
    let ivanov_id = data["staff"][0]["staffid"].as_str().unwrap().to_owned();

    // getstaff: active, no device and no push until the first login.
    let staff = app
        .post("getstaff", Some(&p.token), json!({"inn": p.inn}))
        .await;
    let staff = staff.ok().as_array().unwrap().clone();
    let ivanov = staff
        .iter()
        .find(|s| s["staffId"] == ivanov_id.as_str())
        .unwrap();
    assert_eq!(ivanov["staff name"], "Иванов Иван Иванович");
    assert_eq!(ivanov["device"], "");
    assert_eq!(ivanov["statusnotification"], "enabled");
    assert_eq!(ivanov["pushregistered"], false);
    let orlov_row = staff
        .iter()
        .find(|s| s["staffId"] == orlov.id.as_str())
        .unwrap();
    assert_eq!(orlov_row["statusnotification"], "enabled");

    // Another partner's list is its own: the same phone is another employee, unseen by us.
    let theirs = app
        .post(
            "addstaff",
            Some(&other.token),
            json!({"inn": other.inn, "staff": [{"phone": IVANOV, "name": "Чужой Иванов"}]}),
        )
        .await;
    assert_eq!(theirs.ok()["added"], 1);
    assert_ne!(theirs.ok()["staff"][0]["staffid"], ivanov_id.as_str());
    let ours = app
        .post("getstaff", Some(&p.token), json!({"inn": p.inn}))
        .await;
    assert_eq!(ours.ok().as_array().unwrap().len(), 3);

    // Again: nothing changes, and the journal has the first call only.
    let again = app.post("addstaff", Some(&p.token), list).await;
    let data = again.ok();
    assert_eq!(
        (&data["added"], &data["approved"], &data["existing"]),
        (&json!(0), &json!(0), &json!(3))
    );
    let journal_rows = format!(
        "SELECT COUNT(*) FROM audit_events WHERE partner_id = {} AND action = 'staff_added'",
        p.id
    );
    assert_eq!(app.count(&journal_rows).await, 1);

    // Written to before the app is installed: kept, and in the app after the first login,
    // which finds the company's employee and keeps the company's name.
    let before = app
        .create_message(&p, &ivanov_id, "Добро пожаловать", "Установите приложение")
        .await;
    let message_id = before.ok()["messageid"].as_str().unwrap().to_owned();
    let e = app.login(&p.inn, "89001110001", "Ваня").await;
    assert_eq!(e.id, ivanov_id);
    let got = app
        .get_messages(&e.token, json!({"inn": p.inn, "staffid": e.id, "count": 0}))
        .await;
    let got = got.ok().as_array().unwrap().clone();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["messageId"], message_id.as_str());
    assert_eq!(got[0]["title"], "Добро пожаловать");
    let staff = app
        .post("getstaff", Some(&p.token), json!({"inn": p.inn}))
        .await;
    let ivanov = staff
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["staffId"] == ivanov_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(ivanov["staff name"], "Иванов Иван Иванович");
    assert_eq!(ivanov["device"], "android");

    // Only the partner's system adds: an employee's token is refused.
    let refused = app
        .post(
            "addstaff",
            Some(&e.token),
            json!({"inn": p.inn, "staff": [{"phone": "+79001110009", "name": "Самозванец"}]}),
        )
        .await;
    refused.failed(403);
}

async fn a_bad_staff_list_is_refused_whole_and_names_its_entry(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let count = "SELECT COUNT(*) FROM staff";
    let bad_phone = app
        .post(
            "addstaff",
            Some(&p.token),
            json!({"inn": p.inn, "staff": [
                {"phone": IVANOV, "name": "Иванов"},
                {"phone": "12345", "name": "Петрова"},
            ]}),
        )
        .await;
    assert_eq!(bad_phone.failed(400), "staff[1]: Неверный номер телефона");
    let no_name = app
        .post(
            "addstaff",
            Some(&p.token),
            json!({"inn": p.inn, "staff": [{"phone": IVANOV}]}),
        )
        .await;
    assert!(no_name.failed(400).starts_with("staff[0]: Не указано ФИО"));
    for body in [json!({"inn": p.inn}), json!({"inn": p.inn, "staff": []})] {
        let empty = app.post("addstaff", Some(&p.token), body).await;
        assert!(empty.failed(400).contains("пуст"), "{empty:?}");
    }
    let not_a_list = app
        .post(
            "addstaff",
            Some(&p.token),
            json!({"inn": p.inn, "staff": "Иванов"}),
        )
        .await;
    not_a_list.failed(400);
    let many: Vec<Value> = (0..10_001)
        .map(|i| json!({"phone": format!("+7900{i:07}"), "name": format!("Сотрудник {i}")}))
        .collect();
    let too_many = app
        .post(
            "addstaff",
            Some(&p.token),
            json!({"inn": p.inn, "staff": many}),
        )
        .await;
    assert!(too_many.failed(400).contains("10 000"), "{too_many:?}");
    let wrong_inn = app
        .post(
            "addstaff",
            Some(&p.token),
            json!({"inn": INN_B, "staff": [{"phone": IVANOV, "name": "Иванов"}]}),
        )
        .await;
    assert!(
        wrong_inn.status >= 400 && wrong_inn.status < 500,
        "{wrong_inn:?}"
    );
    let no_token = app
        .post(
            "addstaff",
            None,
            json!({"inn": p.inn, "staff": [{"phone": IVANOV, "name": "Иванов"}]}),
        )
        .await;
    no_token.failed(401);
    assert_eq!(app.count(count).await, 0, "nothing stored");
}

async fn with_the_list_only_policy_only_the_listed_phones_log_in(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let b = Browser::new(&app);
    let home = b.partner(&p.inn).await;
    let policy = |value: &'static str| {
        let b = &b;
        let csrf = home.csrf();
        async move {
            b.post(
                "/cabinet/settings/policy",
                &[("csrf", &csrf), ("registration", value)],
            )
            .await
        }
    };
    let forged = b
        .post(
            "/cabinet/settings/policy",
            &[("csrf", &"a".repeat(64)), ("registration", "list")],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(policy("everyone").await.status, 400);
    let saved = policy("list").await;
    assert_eq!(
        saved.location.as_deref(),
        Some("/cabinet/settings?done=policy_saved")
    );
    let page = b.get("/cabinet/settings").await;
    assert!(
        page.body
            .contains("<input type=\"radio\" name=\"registration\" value=\"list\" checked>"),
        "{}",
        page.body
    );

    // A stranger with the company's INN: refused, no SMS, no employee.
    let sms_before = app.sms.count();
    let stranger = app.auth(&p.inn, PHONE, "Посторонний").await;
    assert!(
        stranger.failed(403).contains("нет в списке сотрудников"),
        "{stranger:?}"
    );
    assert_eq!(app.sms.count(), sms_before);
    assert_eq!(app.count("SELECT COUNT(*) FROM staff").await, 0);

    // The admin pastes the list; a bad line keeps what was pasted and adds nobody.
    let add = b.get("/cabinet/employees/add").await;
    assert_eq!(add.status, 200);
    assert!(
        by_id(&add, "open-policy").is_none(),
        "the list is the policy"
    );
    let pasted = "ФИО\tТелефон\nИванов Иван\t+7 900 111-00-01\nПетрова Анна\t12345\n";
    let bad = b
        .post(
            "/cabinet/employees/add",
            &[("csrf", &add.csrf()), ("list", pasted)],
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(
        by_id(&bad, "add-error").as_deref(),
        Some("Строка 3: Неверный номер телефона")
    );
    assert!(bad.body.contains("Петрова Анна\t12345"), "{}", bad.body);
    assert_eq!(app.count("SELECT COUNT(*) FROM staff").await, 0);
    let pasted = "ФИО\tТелефон\nИванов Иван\t+7 900 111-00-01\nПетрова Анна\t89001110002\n";
    let done = b
        .post(
            "/cabinet/employees/add",
            &[("csrf", &add.csrf()), ("list", pasted)],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(by_id(&done, "n-added").as_deref(), Some("2"));
    assert_eq!(by_id(&done, "n-existing").as_deref(), Some("0"));
    let list = b.get("/cabinet/employees").await;
    assert!(
        list.body.contains("Иванов Иван")
            && list.body.contains("+79001110002")
            && list.body.contains("ещё не входил в приложение"),
        "{}",
        list.body
    );

    // The listed phone logs in, active at once.
    let e = app.login(&p.inn, IVANOV, "Иванов И.").await;
    let staff = app
        .post("getstaff", Some(&p.token), json!({"inn": p.inn}))
        .await;
    let me = staff
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["staffId"] == e.id.as_str())
        .unwrap()
        .clone();
    assert_eq!(me["statusnotification"], "enabled");
    assert_eq!(me["staff name"], "Иванов Иван");

    // Approval instead: strangers may register again, and wait for the admin.
    assert_eq!(policy("approval").await.status, 303);
    app.login(&p.inn, PHONE, "Посторонний").await;
    let pending = format!(
        "SELECT COUNT(*) FROM staff WHERE partner_id = {} AND state = 'pending'",
        p.id
    );
    assert_eq!(app.count(&pending).await, 1);
    let add = b.get("/cabinet/employees/add").await;
    assert!(by_id(&add, "open-policy").is_some());

    // The journal: the list switched on and off, approval on, the list added (in English too).
    let entries = journal(&b.get("/cabinet/journal").await);
    let actions: Vec<&str> = entries.iter().map(|(_, what, _)| what.as_str()).collect();
    for expected in [
        "Вход в приложение только по списку сотрудников",
        "Вход в приложение не только по списку сотрудников",
        "Новые сотрудники ждут подтверждения",
        "Сотрудники добавлены списком: добавлено: 2, подтверждено: 0, уже были: 0",
    ] {
        assert!(actions.contains(&expected), "{expected}: {actions:?}");
    }
    let english = without_tags(&b.get("/cabinet/journal?lang=en").await.body);
    assert!(
        english.contains("Employees added from a list: added: 2, approved: 0, already there: 0"),
        "{english}"
    );
}

/// An HR system's full export: those who left are disabled (not deleted), in the same call.
async fn a_list_given_as_the_whole_staff_disables_the_employees_not_on_it(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let other = app.create_partner(INN_B).await;
    let stays = app.login(&p.inn, IVANOV, "Иванов").await;
    let left = app.login(&p.inn, PETROVA, "Петрова").await;
    let off_already = app.login(&p.inn, ORLOV, "Орлов").await;
    let theirs = app.login(&other.inn, "+79001110004", "Чужой").await;
    app.state
        .store
        .set_staff_state_many(
            p.id,
            &[simo_backend::domain::StaffId(
                off_already.id.parse().unwrap(),
            )],
            simo_backend::store::StaffState::Disabled,
            simo_backend::domain::now_millis(),
        )
        .await
        .unwrap();
    let message = app
        .create_message(&p, &left.id, "Расчётный лист", "За ноябрь")
        .await;
    message.ok();

    let odd = app
        .post(
            "addstaff",
            Some(&p.token),
            json!({"inn": p.inn, "disablemissing": "yes", "staff": [{"phone": IVANOV, "name": "Иванов"}]}),
        )
        .await;
    assert!(odd.failed(400).contains("disablemissing"));
    let state_of = |id: &str| {
        format!(
            "SELECT COUNT(*) + CASE WHEN MIN(state) = 'disabled' THEN 1 ELSE 0 END FROM staff WHERE id = {id}"
        )
    };
    assert_eq!(
        app.count(&state_of(&left.id)).await,
        1,
        "a refused call changes nothing"
    );

    let whole = app
        .post(
            "addstaff",
            Some(&p.token),
            json!({"inn": p.inn, "disablemissing": true, "staff": [
                {"phone": IVANOV, "name": "Иванов"},
                {"phone": "+79001110005", "name": "Новикова"},
            ]}),
        )
        .await;
    let data = whole.ok();
    assert_eq!(
        (&data["added"], &data["existing"], &data["disabled"]),
        (&json!(1), &json!(1), &json!(1))
    );
    assert_eq!(data["disabledstaffids"], json!([left.id]));
    assert_eq!(app.count(&state_of(&stays.id)).await, 1);
    assert_eq!(app.count(&state_of(&left.id)).await, 2, "left: disabled");
    assert_eq!(app.count(&state_of(&off_already.id)).await, 2);
    assert_eq!(
        app.count(&state_of(&theirs.id)).await,
        1,
        "another partner's"
    );
    let history = format!("SELECT COUNT(*) FROM messages WHERE staff_id = {}", left.id);
    assert_eq!(app.count(&history).await, 1, "disabled, not deleted");
    let refused = app
        .create_message(&p, &left.id, "После увольнения", "т")
        .await;
    refused.failed(409);

    // The cabinet's button does the same; the journal names both.
    let b = Browser::new(&app);
    b.partner(&p.inn).await;
    let add = b.get("/cabinet/employees/add").await;
    assert!(
        add.body.contains("id=\"add-whole\" data-confirm="),
        "{}",
        add.body
    );
    let done = b
        .post(
            "/cabinet/employees/add",
            &[
                ("csrf", &add.csrf()),
                ("list", "+79001110005;Новикова"),
                ("do", "whole"),
            ],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(by_id(&done, "n-disabled").as_deref(), Some("1"));
    assert_eq!(app.count(&state_of(&stays.id)).await, 2);
    let entries = journal(&b.get("/cabinet/journal").await);
    let disabled: Vec<&str> = entries
        .iter()
        .map(|(_, what, _)| what.as_str())
        .filter(|w| w.starts_with("Отключено от рассылки"))
        .collect();
    assert_eq!(disabled.len(), 2, "{entries:?}");
}

/// Excel on a Russian Windows saves "CSV (разделители — запятые)" with `;` in Windows-1251.
async fn a_staff_file_from_excel_in_windows_1251_is_read_like_a_pasted_list(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let b = Browser::new(&app);
    b.partner(&p.inn).await;
    let page = b.get("/cabinet/employees/add").await;
    assert!(
        page.body.contains("enctype=\"multipart/form-data\""),
        "{}",
        page.body
    );
    let csv = "ФИО;Телефон\r\nЁлкина Мария;+7 900 111-00-51\r\n\"Щукин, Пётр\";89001110052\r\n";
    let (cp1251, _, lossy) = encoding_rs::WINDOWS_1251.encode(csv);
    assert!(!lossy);
    let csrf = page.csrf();
    let done = b
        .post_multipart(
            "/cabinet/employees/add",
            &[
                ("csrf", None, csrf.as_bytes()),
                ("list", None, b"+79001110099;ignored while a file is chosen"),
                ("file", Some("staff.csv"), &cp1251),
                ("do", None, b"add"),
            ],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(by_id(&done, "n-added").as_deref(), Some("2"));
    let staff = app
        .post("getstaff", Some(&p.token), json!({"inn": p.inn}))
        .await;
    let mut names: Vec<String> = staff
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{} {}",
                s["phone"].as_str().unwrap(),
                s["staffname"].as_str().unwrap()
            )
        })
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["+79001110051 Ёлкина Мария", "+79001110052 Щукин, Пётр"]
    );
    // UTF-8 with a BOM, and a bad line named; a forged token is refused before anything.
    let bad = "\u{feff}+79001110053;Новиков\n12345;Плохой\n".as_bytes();
    let refused = b
        .post_multipart(
            "/cabinet/employees/add",
            &[
                ("csrf", None, csrf.as_bytes()),
                ("file", Some("s.txt"), bad),
            ],
        )
        .await;
    assert_eq!(refused.status, 400);
    assert_eq!(
        by_id(&refused, "add-error").as_deref(),
        Some("Строка 2: Неверный номер телефона")
    );
    let forged = b
        .post_multipart(
            "/cabinet/employees/add",
            &[
                ("csrf", None, &[b'a'; 64]),
                ("file", Some("s.txt"), b"+79001110054;X"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM staff").await, 2);
}

/// A new SIM: the admin gives the employee the new number; the same employee logs in with it,
/// and on a list-only company the old number no longer gets in.
async fn the_admin_corrects_an_employees_phone_and_they_log_in_with_the_new_one(app: TestApp) {
    let p = list_only_partner(&app, &[(IVANOV, "Иванов"), (PETROVA, "Петрова")]).await;
    let other = app.create_partner(INN_B).await;
    let e = app.login(&p.inn, IVANOV, "Иванов").await;
    let theirs = app.login(&other.inn, ORLOV, "Чужой").await;
    let petrova = app
        .post("getstaff", Some(&p.token), json!({"inn": p.inn}))
        .await
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["phone"] == PETROVA)
        .unwrap()["staffId"]
        .as_str()
        .unwrap()
        .to_owned();

    let b = Browser::new(&app);
    b.partner(&p.inn).await;
    let list = b.get("/cabinet/employees").await;
    assert!(list.body.contains("name=\"phone\""), "{}", list.body);
    let edit = |id: String, name: &'static str, phone: &'static str| {
        let (b, csrf) = (&b, list.csrf());
        async move {
            b.post(
                &format!("/cabinet/employees/{id}/rename"),
                &[("csrf", &csrf), ("name", name), ("phone", phone)],
            )
            .await
        }
    };
    let new_phone = "+79001110009";
    let moved = edit(e.id.clone(), "Иванов", "8 900 111-00-09").await;
    assert_eq!(moved.status, 303, "{}", moved.body);
    let phone_of =
        |id: &str| format!("SELECT COUNT(*) FROM staff WHERE id = {id} AND phone = '{new_phone}'");
    assert_eq!(app.count(&phone_of(&e.id)).await, 1);

    // The session stays; the new number logs in as the same employee, the old one is refused.
    app.get_messages(&e.token, json!({"inn": p.inn, "staffid": e.id, "count": 0}))
        .await
        .ok();
    let again = app.login(&p.inn, new_phone, "Иванов").await;
    assert_eq!(again.id, e.id);
    let old = app.auth(&p.inn, IVANOV, "Иванов").await;
    assert!(old.failed(403).contains("нет в списке"));

    // Taken by a colleague, malformed, or not ours: refused, nothing changes.
    let taken = edit(petrova.clone(), "Петрова", new_phone).await;
    assert_eq!(taken.status, 400);
    assert!(
        taken.body.contains(&format!(
            "Номер {new_phone} уже у сотрудника Иванов (ID {})",
            e.id
        )),
        "{}",
        taken.body
    );
    assert_eq!(app.count(&phone_of(&petrova)).await, 0);
    assert_eq!(edit(petrova.clone(), "Петрова", "12345").await.status, 400);
    assert_eq!(
        edit(theirs.id.clone(), "Чужой", "+79001110008")
            .await
            .status,
        404
    );
    let forged = b
        .post(
            &format!("/cabinet/employees/{}/rename", e.id),
            &[
                ("csrf", &"a".repeat(64)),
                ("name", "Иванов"),
                ("phone", IVANOV),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(app.count(&phone_of(&e.id)).await, 1);

    let entries = journal(&b.get("/cabinet/journal").await);
    let expected = format!(
        "Изменён телефон сотрудника: Иванов (ID {}): {IVANOV} → {new_phone}",
        e.id
    );
    assert!(
        entries.iter().any(|(_, what, _)| *what == expected),
        "{entries:?}"
    );
}

async fn updatestaff_renames_moves_and_switches_an_employee_from_the_partners_system(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let other = app.create_partner(INN_B).await;
    let e = app.login(&p.inn, IVANOV, "Иванов").await;
    app.state
        .store
        .set_registration(p.id, Registration::Approval)
        .await
        .unwrap();
    let f = app.login(&p.inn, PETROVA, "Петрова").await;
    let theirs = app.login(&other.inn, ORLOV, "Чужой").await;
    let update = |body: Value| {
        let mut body = body;
        body["inn"] = json!(p.inn);
        let app = &app;
        let token = p.token.clone();
        async move { app.post("updatestaff", Some(&token), body).await }
    };

    let renamed = update(json!({"staffid": e.id, "staffname": "Иванов Иван Иванович"})).await;
    let data = renamed.ok();
    assert_eq!(data["staff name"], "Иванов Иван Иванович");
    assert_eq!(data["phone"], IVANOV);
    assert_eq!(data["statusnotification"], "enabled");

    let moved = update(json!({"staffid": e.id, "phone": "8 900 111-00-09"})).await;
    assert_eq!(moved.ok()["phone"], "+79001110009");
    app.get_messages(&e.token, json!({"inn": p.inn, "staffid": e.id, "count": 0}))
        .await
        .ok();
    let before = e.id.clone();
    let e = app.login(&p.inn, "+79001110009", "Иванов").await;
    assert_eq!(e.id, before, "the same employee");

    let approved = update(json!({"staffid": f.id, "statusnotification": "enabled"})).await;
    assert_eq!(approved.ok()["statusnotification"], "enabled");
    let off = update(json!({"staffid": e.id, "statusnotification": "disabled"})).await;
    assert_eq!(off.ok()["statusnotification"], "disabled");
    app.create_message(&p, &e.id, "Т", "т").await.failed(409);

    // A colleague's phone: 409 naming her, and the name given with it is not changed either.
    let taken = update(json!({"staffid": e.id, "phone": PETROVA, "name": "Не сменится"})).await;
    let msg = taken.failed(409);
    assert!(
        msg.contains(&format!("уже у сотрудника Петрова (ID {})", f.id)),
        "{msg}"
    );
    let names = "SELECT COUNT(*) FROM staff WHERE name = 'Не сменится'";
    assert_eq!(app.count(names).await, 0);

    for (body, status) in [
        (json!({"staffid": e.id}), 400),
        (
            json!({"staffid": e.id, "statusnotification": "pending"}),
            400,
        ),
        (json!({"staffid": e.id, "phone": "12345"}), 400),
        (json!({"staffid": e.id, "name": " "}), 400),
        (json!({"name": "Без номера"}), 400),
        (json!({"staffid": "999999", "name": "Никто"}), 404),
        (
            json!({"staffid": theirs.id, "name": "Чужой, переименованный"}),
            404,
        ),
    ] {
        update(body.clone()).await.failed(status);
    }
    let by_employee = app
        .post(
            "updatestaff",
            Some(&e.token),
            json!({"inn": p.inn, "staffid": e.id, "name": "Сам себя"}),
        )
        .await;
    by_employee.failed(403);
    let their_name = format!(
        "SELECT COUNT(*) FROM staff WHERE id = {} AND name = 'Чужой'",
        theirs.id
    );
    assert_eq!(app.count(&their_name).await, 1);

    // Groups show on the employee: getstaff and updatestaff give their IDs.
    let group = |name: &str, ids: Vec<&str>| {
        let body = json!({"inn": p.inn, "name": name, "staffids": ids});
        let (app, token) = (&app, p.token.clone());
        async move {
            app.post("savegroup", Some(&token), body).await.ok()["groupid"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let warehouse = group("Склад", vec![&e.id, &f.id]).await;
    let night = group("Ночная смена", vec![&e.id]).await;
    let staff = app
        .post("getstaff", Some(&p.token), json!({"inn": p.inn}))
        .await
        .ok()
        .clone();
    let groups_of = |id: &str| {
        staff
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["staffId"] == id)
            .unwrap()["groupids"]
            .clone()
    };
    assert_eq!(groups_of(&e.id), json!([warehouse, night]));
    assert_eq!(groups_of(&f.id), json!([warehouse]));
    let again = update(json!({"staffid": f.id, "name": "Петрова Анна"})).await;
    assert_eq!(again.ok()["groupids"], json!([warehouse]));
    let theirs_staff = app
        .post("getstaff", Some(&other.token), json!({"inn": other.inn}))
        .await;
    assert_eq!(theirs_staff.ok()[0]["groupids"], json!([]));

    // The journal, by the partner's system: each change its entry.
    let b = Browser::new(&app);
    b.partner(&p.inn).await;
    let entries = journal(&b.get("/cabinet/journal").await);
    let by_api: Vec<&str> = entries
        .iter()
        .filter(|(who, what, _)| who == "АСУ (API)" && !what.starts_with("Группа"))
        .map(|(_, what, _)| what.as_str())
        .collect();
    assert_eq!(
        by_api,
        [
            format!("ФИО изменено: Петрова → Петрова Анна (ID {})", f.id),
            format!(
                "Сотрудник отключён от рассылки: Иванов Иван Иванович (ID {})",
                e.id
            ),
            format!("Сотрудник подтверждён: Петрова (ID {})", f.id),
            format!(
                "Изменён телефон сотрудника: Иванов Иван Иванович (ID {}): {IVANOV} → +79001110009",
                e.id
            ),
            format!("ФИО изменено: Иванов → Иванов Иван Иванович (ID {})", e.id),
        ],
        "newest first, nothing for what was refused"
    );
}

/// Probing which phones are a list-only company's employees costs what sending codes does:
/// refusals count toward the hourly limit per address, and past it nothing is answered but 429.
async fn refused_phones_count_toward_the_limit_per_address(app: TestApp) {
    let app = spawn_app_with(app.db, |s| s.sms_hourly_per_ip = 3)
        .await
        .unwrap();
    let p = list_only_partner(&app, &[(IVANOV, "Иванов")]).await;
    for probe in ["+79001110081", "+79001110082"] {
        app.auth(&p.inn, probe, "Проба").await.failed(403);
    }
    app.auth(&p.inn, IVANOV, "Иванов").await.ok();
    // Three tries this hour from this address: a listed phone and an unlisted one alike wait.
    let listed = app.auth(&p.inn, PETROVA, "Проба").await;
    assert!(listed.failed(429).contains("адреса"), "{listed:?}");
    app.auth(&p.inn, IVANOV, "Иванов").await.failed(429);
    assert_eq!(app.sms.count(), 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM login_refusals").await,
        2,
        "a try refused by the limit is not counted again"
    );
}

/// After a list is added: who gets no push yet (not logged in, or push not allowed), found,
/// downloaded and acted on like any other filter of the list; the dashboard's tile leads there.
async fn the_list_finds_whom_to_remind_to_install_the_app(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let with_push = app.login(&p.inn, IVANOV, "Иванов С Push").await;
    crate::push::set_device(&app, &with_push, "fcm-1", "android").await;
    app.login(&p.inn, PETROVA, "Петрова Без Push").await;
    app.post(
        "addstaff",
        Some(&p.token),
        json!({"inn": p.inn, "staff": [{"phone": ORLOV, "name": "Орлов Не Входил"}]}),
    )
    .await
    .ok();
    let b = Browser::new(&app);
    b.partner(&p.inn).await;
    let dashboard = b.get("/cabinet").await;
    assert!(
        dashboard
            .body
            .contains("href=\"/cabinet/employees?state=active&amp;push=none\" id=\"tile-no-push\""),
        "{}",
        dashboard.body
    );
    let list = b.get("/cabinet/employees?state=active&push=none").await;
    assert_eq!(by_id(&list, "without-push").as_deref(), Some("Без push: 2"));
    assert!(
        list.body.contains("Петрова Без Push")
            && list.body.contains("Орлов Не Входил")
            && !list.body.contains("Иванов С Push"),
        "{}",
        list.body
    );
    let names = |rows: Vec<Vec<String>>| -> Vec<String> {
        let mut names: Vec<String> = rows.iter().skip(1).map(|r| r[1].clone()).collect();
        names.sort();
        names
    };
    let export = csv_rows(&b.get("/cabinet/employees.csv?push=none").await);
    assert_eq!(names(export), ["Орлов Не Входил", "Петрова Без Push"]);
    // Everyone found, on all pages: only those two are disabled.
    let bulk = b
        .post(
            "/cabinet/employees/bulk",
            &[
                ("csrf", &list.csrf()),
                ("back", "/cabinet/employees?push=none"),
                ("upto", &field(&list, "upto")),
                ("do", "disabled_all"),
            ],
        )
        .await;
    assert_eq!(
        bulk.location.as_deref(),
        Some("/cabinet/employees?push=none&done=bulk_disabled&n=2")
    );
    let active = format!(
        "SELECT COUNT(*) FROM staff WHERE partner_id = {} AND state = 'active'",
        p.id
    );
    assert_eq!(app.count(&active).await, 1, "the one with push stays");
}

/// `skipinvalid` (and the cabinet's box): the wrong entries are set aside and listed, the rest
/// added. As the whole staff, an employee whose entry was wrong in the name alone stays on it.
async fn asked_to_a_list_skips_its_mistakes_and_keeps_employees_whose_names_alone_were_wrong(
    app: TestApp,
) {
    let p = app.create_partner(INN_A).await;
    let stays = app.login(&p.inn, IVANOV, "Иванов").await;
    let misnamed = app.login(&p.inn, PETROVA, "Петрова").await;
    let left = app.login(&p.inn, ORLOV, "Орлов").await;
    let state_of =
        |id: &str| format!("SELECT COUNT(*) FROM staff WHERE id = {id} AND state = 'active'");

    let odd = app
        .post(
            "addstaff",
            Some(&p.token),
            json!({"inn": p.inn, "skipinvalid": "yes", "staff": [{"phone": IVANOV, "name": "Иванов"}]}),
        )
        .await;
    assert!(odd.failed(400).contains("skipinvalid"));
    let nothing_right = app
        .post(
            "addstaff",
            Some(&p.token),
            json!({"inn": p.inn, "skipinvalid": true, "disablemissing": true, "staff": [
                {"phone": "12345", "name": "Кто-то"},
                {"phone": PETROVA, "name": ""},
            ]}),
        )
        .await;
    assert_eq!(
        nothing_right.failed(400),
        "Ни одной верной записи. staff[0]: Неверный номер телефона"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM staff WHERE state = 'active'")
            .await,
        3,
        "a refused list disables nobody"
    );

    let whole = app
        .post(
            "addstaff",
            Some(&p.token),
            json!({"inn": p.inn, "skipinvalid": true, "disablemissing": true, "staff": [
                {"phone": IVANOV, "name": "Иванов"},
                {"phone": "12345", "name": "Кто-то"},
                {"phone": PETROVA, "name": ""},
                {"phone": "+79001110005", "name": "Новикова"},
            ]}),
        )
        .await;
    let data = whole.ok();
    assert_eq!(
        (&data["added"], &data["existing"], &data["disabled"]),
        (&json!(1), &json!(1), &json!(1)),
        "{data}"
    );
    assert_eq!(data["disabledstaffids"], json!([left.id]));
    assert_eq!(
        results(data),
        [
            t(IVANOV, "Иванов", "existing"),
            t("+79001110005", "Новикова", "added")
        ]
    );
    let skipped = data["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 2, "{data}");
    assert_eq!(
        (
            &skipped[0]["index"],
            &skipped[0]["phone"],
            &skipped[0]["phonelisted"]
        ),
        (&json!(1), &json!("12345"), &json!(false))
    );
    assert_eq!(skipped[0]["error"], "staff[1]: Неверный номер телефона");
    assert_eq!(
        (
            &skipped[1]["index"],
            &skipped[1]["staffname"],
            &skipped[1]["phonelisted"]
        ),
        (&json!(2), &json!(""), &json!(true))
    );
    assert!(
        skipped[1]["error"]
            .as_str()
            .unwrap()
            .starts_with("staff[2]: Не указано ФИО"),
        "{data}"
    );
    assert_eq!(app.count(&state_of(&stays.id)).await, 1);
    assert_eq!(
        app.count(&state_of(&misnamed.id)).await,
        1,
        "wrong in the name alone: still on the staff"
    );
    let name = format!(
        "SELECT COUNT(*) FROM staff WHERE id = {} AND name = 'Петрова'",
        misnamed.id
    );
    assert_eq!(app.count(&name).await, 1, "and left as she was");
    assert_eq!(
        app.count(&state_of(&left.id)).await,
        0,
        "not on the list: disabled"
    );

    // Without the flag the answer has no `skipped`, and a mistake still refuses the list.
    let plain = app
        .post(
            "addstaff",
            Some(&p.token),
            json!({"inn": p.inn, "staff": [{"phone": IVANOV, "name": "Иванов"}]}),
        )
        .await;
    assert!(plain.ok().get("skipped").is_none());

    // A part of a sync: the misnamed employee is marked, so the finish keeps her.
    let sync = app
        .post("beginstaffsync", Some(&p.token), json!({"inn": p.inn}))
        .await;
    let syncid = sync.ok()["syncid"].as_str().unwrap().to_owned();
    let part = app
        .post(
            "addstaff",
            Some(&p.token),
            json!({"inn": p.inn, "syncid": syncid, "skipinvalid": true, "staff": [
                {"phone": IVANOV, "name": "Иванов"},
                {"phone": PETROVA, "name": "П".repeat(201)},
            ]}),
        )
        .await;
    let data = part.ok();
    assert_eq!(data["synclisted"], 2, "{data}");
    assert_eq!(data["skipped"][0]["phonelisted"], true);
    let done = app
        .post(
            "finishstaffsync",
            Some(&p.token),
            json!({"inn": p.inn, "syncid": syncid, "count": 2}),
        )
        .await;
    let data = done.ok();
    assert_eq!(data["disabled"], 1, "Новикова, not named: {data}");
    assert_eq!(app.count(&state_of(&misnamed.id)).await, 1);

    // The cabinet: the box ticked, the lines with mistakes listed, the rest added.
    let b = Browser::new(&app);
    b.partner(&p.inn).await;
    let add = b.get("/cabinet/employees/add").await;
    assert!(add.body.contains("id=\"add-skip\""), "{}", add.body);
    let list = "+79001110006;Сидоров\n12345;Плохой номер\n+79001110007;\n";
    let refused = b
        .post(
            "/cabinet/employees/add",
            &[("csrf", &add.csrf()), ("list", list), ("do", "add")],
        )
        .await;
    assert_eq!(refused.status, 400, "unticked, a mistake refuses the list");
    let done = add_skipping(&b, list).await;
    assert_eq!(by_id(&done, "n-added").as_deref(), Some("1"));
    assert_eq!(by_id(&done, "n-skipped").as_deref(), Some("2"));
    let text = without_tags(&done.body);
    assert!(text.contains("Строка 2: Неверный номер телефона"), "{text}");
    assert!(text.contains("Строка 3: Не указано ФИО"), "{text}");
    // The skipped lines wait in a form of their own, to be corrected and added.
    assert_eq!(retry_text(&done), "12345;Плохой номер\n+79001110007;\n");
    let corrected = b
        .post(
            "/cabinet/employees/add",
            &[
                ("csrf", &add.csrf()),
                ("list", "+79001110008;Плохой номер\n+79001110007;Новиков\n"),
                ("do", "add"),
            ],
        )
        .await;
    assert_eq!(by_id(&corrected, "n-added").as_deref(), Some("2"));
    assert!(!corrected.body.contains("id=\"add-retry\""));
    let added = "SELECT COUNT(*) FROM staff WHERE phone = '+79001110006'";
    assert_eq!(app.count(added).await, 1);
}

/// The lines a list skipped come back in a form to correct, a thousand at most: a whole file
/// of wrong lines is corrected in the file.
async fn a_file_of_mistakes_gives_back_its_first_thousand_lines_to_correct(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let b = Browser::new(&app);
    b.partner(&p.inn).await;
    let mut list = String::from("+79001110006;Сидоров\n");
    for i in 0..1005 {
        list.push_str(&format!("{i};Плохой номер {i}\n"));
    }
    let done = add_skipping(&b, &list).await;
    assert_eq!(by_id(&done, "n-added").as_deref(), Some("1"));
    assert_eq!(by_id(&done, "n-skipped").as_deref(), Some("1005"));
    let text = retry_text(&done);
    assert_eq!(text.lines().count(), 1000, "the first thousand");
    assert!(text.starts_with("0;Плохой номер 0\n"), "{}", &text[..40]);
    assert!(text.ends_with("999;Плохой номер 999\n"));
    let cut = by_id(&done, "add-retry-cut").expect("the note that the rest is left out");
    assert!(cut.contains("первые 1000 строк"), "{cut}");

    // A few mistakes come back whole, with no such note.
    let few = add_skipping(&b, "+79001110007;Петров\n12;Плохой\n").await;
    assert_eq!(retry_text(&few), "12;Плохой\n");
    assert!(by_id(&few, "add-retry-cut").is_none());
}

/// `list` through the cabinet's "Добавить сотрудников", "skip the lines with mistakes" ticked.
async fn add_skipping(b: &Browser, list: &str) -> Page {
    let add = b.get("/cabinet/employees/add").await;
    let done = b
        .post(
            "/cabinet/employees/add",
            &[
                ("csrf", &add.csrf()),
                ("list", list),
                ("do", "add"),
                ("skip", "1"),
            ],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    done
}

/// The skipped lines the page gives back in a form of their own, to correct and add.
fn retry_text(page: &Page) -> &str {
    let form = page
        .body
        .split("id=\"add-retry\"")
        .nth(1)
        .expect("the form");
    let text = form
        .split_once("<textarea")
        .unwrap()
        .1
        .split_once('>')
        .unwrap()
        .1;
    text.split("</textarea>").next().unwrap()
}

/// As the whole staff, a line whose phone cannot be read but whose name can was meant for the
/// employee of that name: kept as they were, not disabled for a typo (both, when two share the
/// name); the answer says whom. A mere addition reads nothing of the kind.
async fn a_whole_staff_keeps_the_employees_a_line_with_an_unreadable_phone_names(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let other = app.create_partner(INN_B).await;
    let listed = app
        .add_listed(
            &p,
            &[
                (IVANOV.into(), "Иванов Иван".into()),
                (PETROVA.into(), "Петрова Алёна".into()),
                (ORLOV.into(), "Орлов Олег".into()),
                ("+79001110008".into(), "Сидоров Сергей".into()),
                ("+79001110009".into(), "Сидоров Сергей".into()),
            ],
        )
        .await;
    let id = |name: &str| {
        listed
            .iter()
            .filter(|(_, n)| n == name)
            .map(|(id, _)| id.clone())
            .collect::<Vec<_>>()
    };
    // Another company's namesake is nobody's concern here.
    app.add_listed(&other, &[(ORLOV.into(), "Петрова Алёна".into())])
        .await;
    let active =
        |id: &str| format!("SELECT COUNT(*) FROM staff WHERE id = {id} AND state = 'active'");

    let addition = app
        .post(
            "addstaff",
            Some(&p.token),
            json!({"inn": p.inn, "skipinvalid": true, "staff": [
                {"phone": IVANOV, "name": "Иванов Иван"},
                {"phone": "8-900-111", "name": "Петрова Алёна"},
            ]}),
        )
        .await;
    assert!(
        addition.ok()["skipped"][0].get("keptstaffids").is_none(),
        "{addition:?}"
    );

    let whole = app
        .post(
            "addstaff",
            Some(&p.token),
            json!({"inn": p.inn, "skipinvalid": true, "disablemissing": true, "staff": [
                {"phone": IVANOV, "name": "Иванов Иван"},
                {"phone": "8-900-111", "name": "  петрова   АЛЕНА "},
                {"phone": "+7900", "name": "Сидоров Сергей"},
                {"phone": "", "name": "Никто Никтович"},
            ]}),
        )
        .await;
    let data = whole.ok();
    assert_eq!(data["disabledstaffids"], json!(id("Орлов Олег")), "{data}");
    let kept = |i: usize| data["skipped"][i]["keptstaffids"].clone();
    assert_eq!(kept(0), json!(id("Петрова Алёна")));
    assert_eq!(kept(1), json!(id("Сидоров Сергей")), "both namesakes");
    assert!(data["skipped"][2].get("keptstaffids").is_none(), "{data}");
    for name in ["Петрова Алёна", "Сидоров Сергей"] {
        for staff in id(name) {
            assert_eq!(app.count(&active(&staff)).await, 1, "{name} stays");
        }
    }
    let phone = format!(
        "SELECT COUNT(*) FROM staff WHERE id = {} AND phone = '{PETROVA}'",
        id("Петрова Алёна")[0]
    );
    assert_eq!(app.count(&phone).await, 1, "left as she was");

    // A part of a sync: the finish keeps her too.
    let sync = app
        .post("beginstaffsync", Some(&p.token), json!({"inn": p.inn}))
        .await;
    let syncid = sync.ok()["syncid"].as_str().unwrap().to_owned();
    let part = app
        .post(
            "addstaff",
            Some(&p.token),
            json!({"inn": p.inn, "syncid": syncid, "skipinvalid": true, "staff": [
                {"phone": IVANOV, "name": "Иванов Иван"},
                {"phone": "900-111", "name": "Петрова Алёна"},
            ]}),
        )
        .await;
    let data = part.ok();
    assert_eq!(
        data["skipped"][0]["keptstaffids"],
        json!(id("Петрова Алёна"))
    );
    let done = app
        .post(
            "finishstaffsync",
            Some(&p.token),
            json!({"inn": p.inn, "syncid": syncid}),
        )
        .await;
    let disabled = done.ok()["disabledstaffids"].clone();
    assert_eq!(disabled, json!(id("Сидоров Сергей")), "not named this time");
    assert_eq!(app.count(&active(&id("Петрова Алёна")[0])).await, 1);

    // The cabinet's whole-staff list says whom it kept, by ID.
    let b = Browser::new(&app);
    b.partner(&p.inn).await;
    let add = b.get("/cabinet/employees/add").await;
    let done = b
        .post(
            "/cabinet/employees/add",
            &[
                ("csrf", &add.csrf()),
                ("list", "+79001110001;Иванов Иван\n8900;Петрова Алёна\n"),
                ("do", "whole"),
                ("skip", "1"),
            ],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    let petrova = &id("Петрова Алёна")[0];
    assert!(
        done.body.contains(&format!(
            "сотрудник с этим именем не отключён, ID: {petrova}"
        )),
        "{}",
        done.body
    );
    assert_eq!(app.count(&active(petrova)).await, 1);
}
