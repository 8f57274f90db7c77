//! SMS when a message is not read: the company turns it on in the cabinet's settings, and a
//! set number of minutes after a message an active employee who has not read it gets its title
//! and text by SMS, once, through the SMS gateway (the fake one here, over real HTTP).

use crate::cabinet::{Browser, journal};
use crate::helpers::*;
use crate::push::on_both_databases;
use crate::reminders::{history, order, states};
use serde_json::json;
use simo_backend::domain::now_millis;
use simo_backend::service::sms_fallback::send_overdue;
use simo_backend::store::SmsFallback;

on_both_databases!(
    an_unread_message_goes_by_sms_once_after_the_delay_for_messages_sent_since_turned_on,
    a_refused_sms_is_tried_again_and_the_months_limit_stops_them,
    without_the_operators_limit_the_setting_is_not_offered,
    the_company_invites_those_who_have_not_logged_in_to_the_app,
);

const PHONE_B: &str = "+79233381639";
const PHONE_C: &str = "+79233381640";
const PHONE_O: &str = "+79233381641";
const MINUTE: i64 = 60_000;

/// A message to `e`, asking to be acknowledged when `ack`; returns its id.
async fn send(app: &TestApp, p: &Partner, e: &Employee, title: &str, ack: bool) -> String {
    if ack {
        return order(app, p, e, title).await;
    }
    let answer = app.create_message(p, &e.id, title, "Ознакомьтесь").await;
    answer.ok()["messageid"].as_str().unwrap().to_owned()
}

/// Two companies: three employees of the first logged in, one of the second.
async fn companies(app: &TestApp) -> (Partner, Partner, [Employee; 4]) {
    let p = app.create_partner(INN_A).await;
    let q = app.create_partner(INN_B).await;
    let a = app.login(&p.inn, PHONE, "Иванов Иван").await;
    let b = app.login(&p.inn, PHONE_B, "Петров Пётр").await;
    let c = app.login(&p.inn, PHONE_C, "Сидоров Сидор").await;
    let o = app.login(&q.inn, PHONE_O, "Чужой Сотрудник").await;
    (p, q, [a, b, c, o])
}

/// Moves the partner's messages and its SMS cursor `ms` into the past.
async fn age(app: &TestApp, p: &Partner, ms: i64) {
    let sql = format!(
        "UPDATE messages SET created_at = created_at - {ms} WHERE partner_id = {id};
         UPDATE partners SET sms_after_at = sms_after_at - {ms} WHERE id = {id};",
        id = p.id
    );
    app.state.store.execute_script(&sql).await.unwrap();
}

/// The SMS the gateway took that are not login codes: (phone, text).
fn messages_by_sms(app: &TestApp) -> Vec<(String, String)> {
    app.sms
        .received
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, text)| text.starts_with("ООО Весна: "))
        .cloned()
        .collect()
}

/// The message's SMS entries of its history ("sms: detail").
async fn sms_history(app: &TestApp, p: &Partner, id: &str) -> Vec<String> {
    let mut entries = history(app, p, id).await;
    entries.retain(|e| e.starts_with("sms: "));
    entries
}

async fn smsdate(app: &TestApp, p: &Partner, id: &str) -> serde_json::Value {
    states(app, p, &[id]).await[0]["smsdate"].clone()
}

async fn set_sms(browser: &Browser, minutes: &str, scope: &str) -> crate::cabinet::Page {
    let page = browser.get("/cabinet/settings").await;
    browser
        .post(
            "/cabinet/settings/sms-fallback",
            &[
                ("csrf", page.csrf().as_str()),
                ("minutes", minutes),
                ("scope", scope),
            ],
        )
        .await
}

/// The app with the operator's monthly limit of SMS a company at `limit`.
async fn app_with_limit(db: Db, limit: &str) -> Option<TestApp> {
    spawn_app_with(db, |s| {
        s.apply("sms_fallback_monthly_limit", limit).unwrap();
        s.apply("metrics_token", "scrape-secret").unwrap();
    })
    .await
}

async fn an_unread_message_goes_by_sms_once_after_the_delay_for_messages_sent_since_turned_on(
    db: Db,
) {
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let (p, q, [a, b, c, o]) = companies(&app).await;
    let before = send(&app, &p, &a, "До включения", true).await;

    // The setting: a forged form and a delay not offered are refused, nothing changes.
    let browser = Browser::new(&app);
    browser.partner(&p.inn).await;
    let settings = browser.get("/cabinet/settings").await;
    assert!(
        settings.body.contains("id=\"sms-minutes\""),
        "{}",
        settings.body
    );
    assert!(settings.body.contains("0 / 1000"));
    let forged = browser
        .post(
            "/cabinet/settings/sms-fallback",
            &[("csrf", &"a".repeat(64)), ("minutes", "15")],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(set_sms(&browser, "7", "ack").await.status, 400);
    assert_eq!(set_sms(&browser, "полчаса", "ack").await.status, 400);
    let store = &app.state.store;
    assert_eq!(
        store.sms_fallback(p.id).await.unwrap(),
        SmsFallback::default()
    );
    let saved = set_sms(&browser, "15", "ack").await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(
        saved.location.as_deref(),
        Some("/cabinet/settings?done=sms_fallback_saved")
    );
    let on = SmsFallback {
        minutes: 15,
        all: false,
    };
    assert_eq!(store.sms_fallback(p.id).await.unwrap(), on);
    let settings = browser.get("/cabinet/settings").await;
    assert!(
        settings
            .body
            .contains("<option value=\"15\" selected>через 15 мин</option>"),
        "{}",
        settings.body
    );

    let to_a = send(&app, &p, &a, "Приказ № 7", true).await;
    let to_b = send(&app, &p, &b, "Приказ № 7", true).await;
    let plain = send(&app, &p, &a, "Новость", false).await;
    let to_c = send(&app, &p, &c, "Приказ № 7", true).await;
    let recalled = send(&app, &p, &b, "Отменённый приказ", true).await;
    let theirs = send(&app, &q, &o, "Чужой приказ", true).await;
    // B read theirs; C is switched off the mailing since; one order was recalled.
    let read = app
        .post(
            "messagestatus",
            Some(&b.token),
            json!({"messageids": [to_b], "status": "read"}),
        )
        .await;
    assert_eq!(read.ok()["updated"], 1);
    store
        .execute_script(&format!(
            "UPDATE staff SET state = 'disabled' WHERE id = {}",
            c.id
        ))
        .await
        .unwrap();
    let recall = app
        .post(
            "recallmessage",
            Some(&p.token),
            json!({"inn": p.inn, "messageids": [recalled]}),
        )
        .await;
    assert_eq!(recall.ok()["recalled"].as_array().unwrap().len(), 1);

    // Not yet 15 minutes: nothing.
    assert_eq!(send_overdue(&app.state, now_millis()).await.unwrap(), 0);
    assert!(messages_by_sms(&app).is_empty());
    // Later: A's order alone. Not the one sent before it was on, not B's (read), not the
    // plain message (not to be acknowledged), not C's (disabled), not the recalled one, not
    // another company's.
    age(&app, &p, 15 * MINUTE + 1_000).await;
    age(&app, &q, 15 * MINUTE + 1_000).await;
    assert_eq!(send_overdue(&app.state, now_millis()).await.unwrap(), 1);
    let phone_a = simo_backend::domain::Phone::parse(PHONE).unwrap();
    assert_eq!(
        messages_by_sms(&app),
        [(
            phone_a.as_str().to_owned(),
            "ООО Весна: Приказ № 7. Ознакомьтесь".to_owned()
        )]
    );
    assert_eq!(
        sms_history(&app, &p, &to_a).await,
        [format!(
            "sms: Не прочитано вовремя: SMS отправлено на {}",
            phone_a.as_str()
        )]
    );
    assert!(smsdate(&app, &p, &to_a).await.is_string());
    for id in [&before, &to_b, &plain, &to_c, &recalled] {
        assert!(sms_history(&app, &p, id).await.is_empty(), "{id}");
        assert!(smsdate(&app, &p, id).await.is_null(), "{id}");
    }
    assert!(sms_history(&app, &q, &theirs).await.is_empty());
    let listed = app
        .post("listmessages", Some(&p.token), json!({"inn": p.inn}))
        .await;
    let listed = listed.ok()["messages"].as_array().unwrap().clone();
    let listed_sms = |id: &str| {
        let m = listed.iter().find(|m| m["messageid"] == id).unwrap();
        m["smsdate"].clone()
    };
    assert!(listed_sms(&to_a).is_string());
    assert!(listed_sms(&to_b).is_null());
    // Once: the next rounds send nothing.
    assert_eq!(send_overdue(&app.state, now_millis()).await.unwrap(), 0);
    age(&app, &p, 60 * MINUTE).await;
    assert_eq!(send_overdue(&app.state, now_millis()).await.unwrap(), 0);
    assert_eq!(messages_by_sms(&app).len(), 1);

    // The message's page and the journal say so.
    let page = browser.get(&format!("/cabinet/messages/{to_a}")).await;
    assert!(page.body.contains("SMS отправлено на"), "{}", page.body);
    let entries = journal(&browser.get("/cabinet/journal").await);
    let by_server: Vec<&(String, String, String)> = entries
        .iter()
        .filter(|(who, _, _)| who == "Сервер (автоматически)")
        .collect();
    assert_eq!(by_server.len(), 1, "{entries:?}");
    assert!(
        by_server[0]
            .1
            .starts_with("Непрочитанные сообщения отправлены по SMS"),
        "{entries:?}"
    );
    assert!(by_server[0].1.contains(&to_a), "{entries:?}");
    assert!(
        entries.iter().any(
            |(_, what, _)| what.contains("SMS, если сообщение не прочитано")
                && what.contains("через 15 мин, сообщения, требующие ознакомления")
        ),
        "{entries:?}"
    );

    // Every message: one sent since goes; the plain one of before stays behind the cursor.
    assert_eq!(set_sms(&browser, "15", "all").await.status, 303);
    assert!(store.sms_fallback(p.id).await.unwrap().all);
    let news = send(&app, &p, &a, "Новость 2", false).await;
    age(&app, &p, 16 * MINUTE).await;
    assert_eq!(send_overdue(&app.state, now_millis()).await.unwrap(), 1);
    assert_eq!(sms_history(&app, &p, &news).await.len(), 1);
    assert!(sms_history(&app, &p, &plain).await.is_empty());
    let settings = browser.get("/cabinet/settings").await;
    assert!(settings.body.contains("2 / 1000"), "{}", settings.body);

    // Turned off: a later message is not sent.
    assert_eq!(set_sms(&browser, "0", "all").await.status, 303);
    let after_off = send(&app, &p, &a, "После выключения", true).await;
    age(&app, &p, 60 * MINUTE).await;
    assert_eq!(send_overdue(&app.state, now_millis()).await.unwrap(), 0);
    assert!(sms_history(&app, &p, &after_off).await.is_empty());
    assert_eq!(messages_by_sms(&app).len(), 2);

    let english = browser.get("/cabinet/journal?lang=en").await;
    assert!(english.body.contains("Unread messages sent by SMS"));
    assert!(english.body.contains("after 15 min, every message"));
    let english = browser
        .get(&format!("/cabinet/messages/{to_a}?lang=en"))
        .await;
    assert!(english.body.contains("Not read in time: SMS sent to"));
}

async fn a_refused_sms_is_tried_again_and_the_months_limit_stops_them(db: Db) {
    let Some(app) = app_with_limit(db, "2").await else {
        return;
    };
    let (p, q, [a, b, c, o]) = companies(&app).await;
    let store = &app.state.store;
    let every = SmsFallback {
        minutes: 5,
        all: true,
    };
    store
        .set_sms_fallback(p.id, every, now_millis())
        .await
        .unwrap();
    let first = send(&app, &p, &a, "Первое", false).await;
    let second = send(&app, &p, &b, "Второе", false).await;
    age(&app, &p, 6 * MINUTE).await;
    let month = app.state.time.month_key(now_millis());

    // The gateway refuses: nothing is taken, nothing counted, the history is silent.
    app.sms
        .fail
        .store(true, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(send_overdue(&app.state, now_millis()).await.unwrap(), 0);
    assert_eq!(store.sms_sent_in(p.id, month).await.unwrap(), 0);
    assert!(sms_history(&app, &p, &first).await.is_empty());
    assert!(smsdate(&app, &p, &first).await.is_null());
    // Back: the next round sends both, then the limit (two) refuses the third and the fourth,
    // and the journal says so once.
    app.sms
        .fail
        .store(false, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(send_overdue(&app.state, now_millis()).await.unwrap(), 2);
    assert_eq!(store.sms_sent_in(p.id, month).await.unwrap(), 2);
    for id in [&first, &second] {
        assert_eq!(sms_history(&app, &p, id).await.len(), 1, "{id}");
    }
    let third = send(&app, &p, &c, "Третье", false).await;
    age(&app, &p, 6 * MINUTE).await;
    assert_eq!(send_overdue(&app.state, now_millis()).await.unwrap(), 0);
    assert_eq!(
        sms_history(&app, &p, &third).await,
        ["sms: SMS не отправлено: исчерпан лимит — 2 SMS в месяц"]
    );
    assert!(smsdate(&app, &p, &third).await.is_null());
    let fourth = send(&app, &p, &a, "Четвёртое", false).await;
    age(&app, &p, 6 * MINUTE).await;
    assert_eq!(send_overdue(&app.state, now_millis()).await.unwrap(), 0);
    assert_eq!(sms_history(&app, &p, &fourth).await.len(), 1);
    assert_eq!(messages_by_sms(&app).len(), 2);
    let browser = Browser::new(&app);
    browser.partner(&p.inn).await;
    let entries = journal(&browser.get("/cabinet/journal").await);
    let limits: Vec<_> = entries
        .iter()
        .filter(|(_, what, _)| what.starts_with("Лимит SMS на месяц исчерпан"))
        .collect();
    assert_eq!(limits.len(), 1, "{entries:?}");
    assert!(limits[0].1.contains("лимит: 2 SMS в месяц"), "{entries:?}");
    let settings = browser.get("/cabinet/settings").await;
    assert!(settings.body.contains("2 / 2"), "{}", settings.body);

    // Another company's own count; a message its gateway refused for a day is given up.
    store
        .set_sms_fallback(q.id, every, now_millis())
        .await
        .unwrap();
    let late = send(&app, &q, &o, "Позднее", false).await;
    app.sms
        .fail
        .store(true, std::sync::atomic::Ordering::SeqCst);
    age(&app, &q, 6 * MINUTE).await;
    assert_eq!(send_overdue(&app.state, now_millis()).await.unwrap(), 0);
    assert!(sms_history(&app, &q, &late).await.is_empty());
    age(&app, &q, 24 * 60 * MINUTE).await;
    assert_eq!(send_overdue(&app.state, now_millis()).await.unwrap(), 0);
    let gave_up = sms_history(&app, &q, &late).await;
    assert_eq!(gave_up.len(), 1, "{gave_up:?}");
    assert!(
        gave_up[0].starts_with("sms: SMS не отправлено: шлюз не принимал его сутки ("),
        "{gave_up:?}"
    );
    app.sms
        .fail
        .store(false, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(send_overdue(&app.state, now_millis()).await.unwrap(), 0);
    assert_eq!(store.sms_sent_in(q.id, month).await.unwrap(), 0);
    assert_eq!(messages_by_sms(&app).len(), 2);

    // The operator's usage report counts the month's SMS a company.
    let op = Browser::new(&app);
    op.operator(&app).await;
    let usage = op.get("/operator/usage").await;
    let row = |inn: &str| {
        let from = usage
            .body
            .split(&format!("data-partner-inn=\"{inn}\""))
            .nth(1);
        from.and_then(|r| r.split("</tr>").next())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        row(INN_A).contains("data-k=\"sms\">2</td>"),
        "{}",
        usage.body
    );
    assert!(
        row(INN_B).contains("data-k=\"sms\">0</td>"),
        "{}",
        usage.body
    );

    let metrics = crate::metrics::scrape(&app, "scrape-secret").await;
    for (result, n) in [("ok", 2.0), ("over_limit", 2.0), ("failed", 4.0)] {
        let key = format!("simo_sms_unread_total{{result=\"{result}\"}}");
        assert_eq!(metrics.get(&key), Some(&n), "{key}: {metrics:?}");
    }
}

/// The server offers none (its limit 0); the operator gives one company a limit of its own,
/// which the setting and the walk follow, and takes it back.
async fn without_the_operators_limit_the_setting_is_not_offered(db: Db) {
    let Some(app) = app_with_limit(db, "0").await else {
        return;
    };
    let (p, q, [a, ..]) = companies(&app).await;
    let browser = Browser::new(&app);
    browser.partner(&p.inn).await;
    let settings = browser.get("/cabinet/settings").await;
    assert!(settings.body.contains("id=\"sms-unavailable\""));
    assert!(!settings.body.contains("id=\"sms-minutes\""));
    let refused = set_sms(&browser, "15", "all").await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("Оператор сервиса не подключил SMS"));
    let store = &app.state.store;
    assert_eq!(
        store.sms_fallback(p.id).await.unwrap(),
        SmsFallback::default()
    );
    // Turning it off stays possible.
    assert_eq!(set_sms(&browser, "0", "ack").await.status, 303);

    // The operator gives this company three a month; junk is refused.
    let op = Browser::new(&app);
    op.operator(&app).await;
    let list = op.get("/operator").await;
    let form = format!("action=\"/operator/partners/{}/sms-limit\"", p.id);
    assert!(list.body.contains(&form), "{}", list.body);
    let set_limit = |limit: &'static str| {
        let (op, csrf) = (&op, list.csrf());
        async move {
            let path = format!("/operator/partners/{}/sms-limit", p.id);
            op.post(&path, &[("csrf", &csrf), ("limit", limit)]).await
        }
    };
    for junk in ["много", "-1", "1000001"] {
        assert_eq!(set_limit(junk).await.status, 400, "{junk}");
    }
    let done = set_limit("3").await;
    assert_eq!(
        done.location.as_deref(),
        Some("/operator?done=partner_sms_limit")
    );
    let settings = browser.get("/cabinet/settings").await;
    assert!(settings.body.contains("0 / 3"), "{}", settings.body);
    assert_eq!(set_sms(&browser, "5", "all").await.status, 303);
    let entries = journal(&browser.get("/cabinet/journal").await);
    assert!(
        entries.iter().any(
            |(_, what, _)| what.starts_with("Оператор изменил лимит SMS в месяц")
                && what.contains("— → 3")
        ),
        "{entries:?}"
    );
    // The other company is still at the server's none.
    let theirs = Browser::new(&app);
    theirs.partner(&q.inn).await;
    let settings = theirs.get("/cabinet/settings").await;
    assert!(settings.body.contains("id=\"sms-unavailable\""));
    // Nor can it invite its employees to the app by SMS.
    let without_app = theirs.get("/cabinet/employees?push=none").await;
    assert!(!without_app.body.contains("id=\"invite\""));
    let invite = theirs
        .post(
            "/cabinet/employees/invite",
            &[("csrf", without_app.csrf().as_str())],
        )
        .await;
    assert_eq!(invite.status, 400, "{}", invite.body);
    let body = json!({"inn": q.inn, "invite": true, "staff": [{"phone": "+79001110008", "name": "Новый"}]});
    let refused = app.post("addstaff", Some(&q.token), body).await;
    assert!(
        refused.failed(400).contains("приглашения недоступны"),
        "{refused:?}"
    );
    let staff_of_q = format!("SELECT COUNT(*) FROM staff WHERE partner_id = {}", q.id);
    assert_eq!(app.count(&staff_of_q).await, 1, "nothing added");

    let sent = send(&app, &p, &a, "Своим лимитом", false).await;
    age(&app, &p, 6 * MINUTE).await;
    assert_eq!(send_overdue(&app.state, now_millis()).await.unwrap(), 1);
    assert_eq!(sms_history(&app, &p, &sent).await.len(), 1);

    // An invitation asked for while it had a limit.
    let listed = [("+79001110005".to_owned(), "Новикова Нина".to_owned())];
    app.add_listed(&p, &listed).await;
    let without_app = browser.get("/cabinet/employees?push=none").await;
    let csrf = without_app.csrf();
    let asked = browser
        .post("/cabinet/employees/invite", &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(
        asked.location.as_deref(),
        Some("/cabinet/employees?push=none&done=bulk_invited&n=1")
    );

    // Taken back to none: the setting waits, nothing is walked or sent; the invitation is
    // dropped, in a new month too (its first SMS is not let through).
    assert_eq!(set_limit("0").await.status, 303);
    let new_month = format!("UPDATE partners SET sms_month = 0 WHERE id = {}", p.id);
    store.execute_script(&new_month).await.unwrap();
    use simo_backend::service::sms_fallback::send_invitations;
    assert_eq!(send_invitations(&app.state, now_millis()).await.unwrap(), 0);
    assert!(invitations(&app).is_empty());
    let wanted = "SELECT COUNT(*) FROM staff WHERE invite_wanted_at IS NOT NULL";
    assert_eq!(app.count(wanted).await, 0);
    let waiting = send(&app, &p, &a, "Без лимита", false).await;
    age(&app, &p, 6 * MINUTE).await;
    assert_eq!(send_overdue(&app.state, now_millis()).await.unwrap(), 0);
    assert!(sms_history(&app, &p, &waiting).await.is_empty());
    let settings = browser.get("/cabinet/settings").await;
    assert!(settings.body.contains("id=\"sms-unavailable\""));
}

/// The SMS the gateway took that are invitations: (phone, text).
fn invitations(app: &TestApp) -> Vec<(String, String)> {
    let received = app.sms.received.lock().unwrap();
    received
        .iter()
        .filter(|(_, text)| text.contains("приглашает вас в приложение"))
        .cloned()
        .collect()
}

async fn the_company_invites_those_who_have_not_logged_in_to_the_app(db: Db) {
    use simo_backend::service::sms_fallback::send_invitations;
    let Some(app) = spawn_app(db).await else {
        return;
    };
    let (p, q, [a, ..]) = companies(&app).await;
    // On the list, never logged in: two of this company's (a third disabled), one of another's.
    let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter()
            .map(|(phone, name)| (phone.to_string(), name.to_string()))
            .collect()
    };
    let added = app
        .add_listed(
            &p,
            &pairs(&[
                ("+79001110001", "Орлова Ольга"),
                ("+79001110002", "Павлов Павел"),
                ("+79001110003", "Уволен Уволенный"),
            ]),
        )
        .await;
    let store = &app.state.store;
    let sql = format!(
        "UPDATE staff SET state = 'disabled' WHERE id = {}",
        added[2].0
    );
    store.execute_script(&sql).await.unwrap();
    app.add_listed(&q, &pairs(&[("+79001110004", "Чужой")]))
        .await;

    // The card is on the list of those without the app, and nowhere else.
    let browser = Browser::new(&app);
    browser.partner(&p.inn).await;
    let all = browser.get("/cabinet/employees").await;
    assert!(!all.body.contains("id=\"invite\""));
    let without_app = browser.get("/cabinet/employees?push=none").await;
    assert!(
        without_app
            .body
            .contains("Пригласить в приложение по SMS (2)"),
        "{}",
        without_app.body
    );
    let forged = browser
        .post("/cabinet/employees/invite", &[("csrf", &"a".repeat(64))])
        .await;
    assert_eq!(forged.status, 403);
    let invite = || async {
        let page = browser.get("/cabinet/employees?push=none").await;
        let csrf = page.csrf();
        browser
            .post("/cabinet/employees/invite", &[("csrf", csrf.as_str())])
            .await
    };
    let asked = invite().await;
    assert_eq!(
        asked.location.as_deref(),
        Some("/cabinet/employees?push=none&done=bulk_invited&n=2")
    );
    let waiting = browser.get("/cabinet/employees?push=none").await;
    assert!(
        waiting.body.contains("id=\"invite-none\""),
        "{}",
        waiting.body
    );
    let card = format!("/cabinet/employees/{}", added[0].0);
    let invited = |page: &crate::cabinet::Page| {
        let at = page.body.split("id=\"employee-invited\">").nth(1);
        at.and_then(|t| t.split("</dd>").next())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        invited(&browser.get(&card).await).starts_with("ждёт отправки с "),
        "the card says it waits"
    );

    // The server sends them: the company, the app's address and the INN; once.
    assert_eq!(send_invitations(&app.state, now_millis()).await.unwrap(), 2);
    let sent = invitations(&app);
    // Eight go to the gateway at once: in any order.
    let mut phones: Vec<&str> = sent.iter().map(|(phone, _)| phone.as_str()).collect();
    phones.sort_unstable();
    assert_eq!(phones, ["+79001110001", "+79001110002"]);
    let public_url = &app.state.settings.public_url;
    assert_eq!(
        sent[0].1,
        format!(
            "ООО Весна приглашает вас в приложение SiMO для сообщений компании: {public_url} Вход: ИНН {} и этот номер телефона.",
            p.inn
        )
    );
    assert_eq!(send_invitations(&app.state, now_millis()).await.unwrap(), 0);
    assert!(invited(&browser.get(&card).await).starts_with("SMS отправлено "));
    let never = format!("/cabinet/employees/{}", added[2].0);
    assert!(!browser.get(&never).await.body.contains("employee-invited"));
    let month = app.state.time.month_key(now_millis());
    assert_eq!(store.sms_sent_in(p.id, month).await.unwrap(), 2);
    assert_eq!(store.sms_sent_in(q.id, month).await.unwrap(), 0);
    // Not again within the week.
    let again = invite().await;
    assert_eq!(
        again.location.as_deref(),
        Some("/cabinet/employees?push=none&done=bulk_invited&n=0")
    );
    let entries = journal(&browser.get("/cabinet/journal").await);
    assert!(
        entries
            .iter()
            .any(|(who, what, _)| who != "Сервер (автоматически)"
                && what.starts_with("Приглашения в приложение по SMS запрошены")
                && what.contains("сотрудников, не входивших в приложение: 2")),
        "{entries:?}"
    );
    let by_server: Vec<_> = entries
        .iter()
        .filter(|(who, _, _)| who == "Сервер (автоматически)")
        .collect();
    assert_eq!(by_server.len(), 1, "{entries:?}");
    assert!(
        by_server[0].1.contains("отправлено приглашений: 2"),
        "{entries:?}"
    );

    // A week later: one of them logged in meanwhile, the other is invited again; a gateway
    // that refuses keeps the invitation waiting, and it goes once the gateway is back.
    let week = 8 * 24 * 60 * MINUTE;
    let sql = format!(
        "UPDATE staff SET invited_at = invited_at - {week} WHERE partner_id = {}",
        p.id
    );
    store.execute_script(&sql).await.unwrap();
    app.login(&p.inn, "+79001110001", "Орлова Ольга").await;
    let asked = invite().await;
    assert_eq!(
        asked.location.as_deref(),
        Some("/cabinet/employees?push=none&done=bulk_invited&n=1")
    );
    app.sms
        .fail
        .store(true, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(send_invitations(&app.state, now_millis()).await.unwrap(), 0);
    let wanted = "SELECT COUNT(*) FROM staff WHERE invite_wanted_at IS NOT NULL";
    assert_eq!(app.count(wanted).await, 1);
    assert_eq!(store.sms_sent_in(p.id, month).await.unwrap(), 2);
    app.sms
        .fail
        .store(false, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(send_invitations(&app.state, now_millis()).await.unwrap(), 1);
    assert_eq!(app.count(wanted).await, 0);
    let sent = invitations(&app);
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[2].0, "+79001110002");
    let invited_elsewhere = format!(
        "SELECT COUNT(*) FROM staff WHERE partner_id = {} AND invited_at IS NOT NULL",
        q.id
    );
    assert_eq!(app.count(&invited_elsewhere).await, 0);
    drop(a);

    // The company's system invites those it adds: `addstaff` with `invite`.
    let body = json!({"inn": q.inn, "invite": true, "staff": [
        {"phone": "+79001110006", "name": "Новый Сотрудник"},
        {"phone": "+79001110004", "name": "Чужой"},
        {"phone": PHONE_O, "name": "Чужой Сотрудник"},
    ]});
    let added = app.post("addstaff", Some(&q.token), body).await;
    // The new one and the one listed before; not the one who logged in.
    assert_eq!(added.ok()["invited"], 2, "{added:?}");
    assert_eq!(send_invitations(&app.state, now_millis()).await.unwrap(), 2);
    assert_eq!(app.count(&invited_elsewhere).await, 2);
    let plain =
        json!({"inn": q.inn, "staff": [{"phone": "+79001110007", "name": "Без приглашения"}]});
    let added = app.post("addstaff", Some(&q.token), plain).await;
    assert!(added.ok().get("invited").is_none(), "{added:?}");

    let english = browser.get("/cabinet/journal?lang=en").await;
    assert!(english.body.contains("Invitations to the app sent by SMS"));
    assert!(english.body.contains("invitations sent: 1"));
}
