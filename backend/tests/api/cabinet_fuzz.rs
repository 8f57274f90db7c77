//! Any input to any page and form of the cabinet and the operator's area: an answer, never a
//! 5xx, and never another company's data. The pages are found by following the links from
//! the dashboard, the forms read from them, as a person's browser would; each form is then
//! sent with its fields right, wrong (a size, a date, a number, a control character, markup),
//! missing or doubled, and each link with its IDs replaced by wrong and foreign ones. Seeded
//! like the API's fuzz test (`SIMO_FUZZ_SEED`).

use crate::cabinet::{Browser, Page};
use crate::helpers::*;
use serde_json::json;
use std::collections::{BTreeSet, VecDeque};

both_databases!(every_page_and_form_answers_any_input_without_a_5xx);

/// Sends per form found.
const CASES: usize = 10;
/// Pages followed from the start, at most (the lists link to many of the same kind).
const PAGES: usize = 120;

/// What a form field may be sent as when it is not its own value.
fn nasty() -> Vec<String> {
    [
        "",
        " ",
        "0",
        "-1",
        "1.5",
        "99999999999999999999",
        "-9223372036854775808",
        "abc",
        "on",
        "2024-13-45",
        "9999-12-31T23:59",
        "0001-01-01",
        "25:61",
        "'; DROP TABLE staff; --",
        "\u{0}\u{1}\u{202e}",
        "<script>alert(1)</script>",
        "%",
        "../../etc/passwd",
        "+7 (923) 338-16-39",
        "😀🇷🇺",
    ]
    .into_iter()
    .map(str::to_owned)
    .chain(["Ж".repeat(5_000), "+79233381639;Иванова\n".repeat(200)])
    .collect()
}

/// Path segments for an ID.
const WRONG_IDS: [&str; 7] = [
    "0",
    "-1",
    "abc",
    "1.5",
    "99999999999999999999",
    "%00",
    "%D0%96",
];

/// `&amp;` and the rest, as askama writes attributes.
fn unescape(s: &str) -> String {
    s.replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The value of attribute `name` in the tag `tag` (its text from `<` to `>`).
fn attr(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let len = tag[start..].find('"')?;
    Some(unescape(&tag[start..start + len]))
}

/// The tags `<name …>` in `html`, each as its text.
fn tags<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    let open = format!("<{name}");
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find(&open) {
        let tail = &rest[at..];
        let end = tail.find('>').map_or(tail.len(), |e| e + 1);
        let after = tail.as_bytes().get(open.len()).copied();
        if matches!(after, Some(b' ' | b'>' | b'\n')) {
            found.push(&tail[..end]);
        }
        rest = &tail[end..];
    }
    found
}

/// The cabinet's own links in `html`.
fn links(html: &str, area: &str) -> Vec<String> {
    tags(html, "a")
        .into_iter()
        .filter_map(|a| attr(a, "href"))
        .filter(|h| h.starts_with(area) && !h.contains("/logout") && !h.contains("/static/"))
        .map(|h| h.split('#').next().unwrap_or_default().to_owned())
        .collect()
}

/// A form as the page gives it: where it goes, how, and its fields with their own values.
#[derive(Debug, Clone)]
struct Form {
    action: String,
    post: bool,
    multipart: bool,
    fields: Vec<(String, String)>,
}

fn forms(html: &str, page: &str) -> Vec<Form> {
    let mut found = Vec::new();
    for part in html.split("<form").skip(1) {
        let body = part.split("</form>").next().unwrap_or_default();
        let head = &body[..body.find('>').unwrap_or(body.len())];
        let head = format!("<form{head}>");
        let mut fields = Vec::new();
        for tag in tags(body, "input")
            .into_iter()
            .chain(tags(body, "textarea"))
            .chain(tags(body, "button"))
        {
            let Some(name) = attr(tag, "name") else {
                continue;
            };
            let value = attr(tag, "value").unwrap_or_else(|| {
                if attr(tag, "type").as_deref() == Some("checkbox") {
                    "on".into()
                } else {
                    String::new()
                }
            });
            if attr(tag, "type").as_deref() == Some("radio") {
                // A browser sends the one chosen: the checked one, else the first.
                match fields.iter().position(|(n, _)| *n == name) {
                    Some(i) if tag.contains(" checked") => fields[i].1 = value,
                    Some(_) => {}
                    None => fields.push((name, value)),
                }
                continue;
            }
            fields.push((name, value));
        }
        for select in body.split("<select").skip(1) {
            let name = attr(&format!("<select{}", select), "name").unwrap_or_default();
            let first = tags(select, "option")
                .into_iter()
                .filter_map(|o| attr(o, "value"))
                .next();
            if !name.is_empty() {
                fields.push((name, first.unwrap_or_default()));
            }
        }
        found.push(Form {
            action: attr(&head, "action").unwrap_or_else(|| page.to_owned()),
            post: attr(&head, "method").is_some_and(|m| m.eq_ignore_ascii_case("post")),
            multipart: attr(&head, "enctype").is_some_and(|e| e.contains("multipart")),
            fields,
        });
    }
    found
}

/// Checks one answer: no 5xx, words on an error page, nothing of the other company's.
fn check(page: &Page, what: &str, secrets: &[&str]) {
    assert!(page.status < 500, "a 5xx for {what}: {}", page.status);
    if page.status >= 400 {
        assert!(
            !page.body.trim().is_empty(),
            "an empty {} for {what}",
            page.status
        );
    }
    for secret in secrets {
        assert!(
            !page.body.contains(secret),
            "the other company's {secret:?} in {what}"
        );
    }
}

/// Follows the links from `start` (breadth first, `PAGES` at most), then sends every form found
/// `CASES` times and every link with each of its numbers replaced. Answers the forms' actions,
/// their numbers out.
async fn fuzz_area(
    b: &Browser,
    rng: &mut Rng,
    seed: u64,
    area: &str,
    start: &str,
    foreign: &[String],
    secrets: &[&str],
) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from([start.to_owned()]);
    let mut found_forms: Vec<Form> = Vec::new();
    let mut kinds = BTreeSet::new();
    let mut pages = Vec::new();
    while let Some(url) = queue.pop_front() {
        if seen.len() >= PAGES || !seen.insert(url.clone()) {
            continue;
        }
        let page = b.get(&url).await;
        check(&page, &format!("GET {url} (seed {seed})"), secrets);
        if page.status != 200 {
            continue;
        }
        pages.push(url.clone());
        for link in links(&page.body, area) {
            if !seen.contains(&link) {
                queue.push_back(link);
            }
        }
        for form in forms(&page.body, &url) {
            // One of each kind: the same form on every row of a list is sent once.
            let mut names: Vec<&str> = form.fields.iter().map(|(n, _)| n.as_str()).collect();
            names.sort();
            let shape = numbers_out(&form.action);
            if form.action.contains("/logout") || !kinds.insert((shape, names.join(","))) {
                continue;
            }
            found_forms.push(form);
        }
    }
    assert!(pages.len() > 5, "the crawl found only {pages:?}");
    let nasty = nasty();
    for form in &found_forms {
        let mut taken = false;
        for case in 0..CASES {
            let mut sent: Vec<(String, String)> = Vec::new();
            for (name, own) in &form.fields {
                // What a person would send: the page's value, or words where it has none.
                let own = if own.is_empty() {
                    "Проверка связи".to_owned()
                } else {
                    own.clone()
                };
                if name == "csrf" || case == 0 {
                    sent.push((name.clone(), own));
                    continue;
                }
                match rng.below(10) {
                    0..4 => sent.push((name.clone(), own.clone())),
                    4..8 => sent.push((name.clone(), nasty[rng.below(nasty.len())].clone())),
                    8 => {}
                    _ => {
                        sent.push((name.clone(), own.clone()));
                        sent.push((name.clone(), nasty[rng.below(nasty.len())].clone()));
                    }
                }
            }
            let pairs: Vec<(&str, &str)> =
                sent.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
            let shown: String = format!("{pairs:?}").chars().take(400).collect();
            let what = format!("{} case {case} (seed {seed}): {shown}", form.action);
            let page = if !form.post {
                // An address holds 64 KB at most (the `http` crate's limit): the long values
                // are for the forms sent in a body.
                let pairs: Vec<(&str, &str)> = pairs
                    .into_iter()
                    .map(|(n, v)| (n, if v.len() > 2000 { "длинное" } else { v }))
                    .collect();
                let query = serde_urlencoded::to_string(&pairs).unwrap();
                b.get(&format!("{}?{query}", form.action)).await
            } else if form.multipart {
                let parts: Vec<(&str, Option<&str>, &[u8])> = pairs
                    .iter()
                    .map(|(n, v)| {
                        let file = (*n == "file").then_some("staff.csv");
                        (*n, file, v.as_bytes())
                    })
                    .collect();
                b.post_multipart(&form.action, &parts).await
            } else {
                b.post(&form.action, &pairs).await
            };
            check(&page, &what, secrets);
            // Past the session and the form's token: the form's own rules answered.
            taken |= !page.body.contains("Форма устарела")
                && !page
                    .location
                    .as_deref()
                    .is_some_and(|l| l.ends_with("/login"));
        }
        assert!(
            taken,
            "{} never got past its CSRF token (seed {seed})",
            form.action
        );
    }
    for url in &pages {
        let segments: Vec<&str> = url.split(['/', '?', '&', '=']).collect();
        for number in segments.iter().filter(|s| s.parse::<i64>().is_ok()) {
            for wrong in WRONG_IDS
                .iter()
                .map(|s| s.to_string())
                .chain(foreign.iter().cloned())
            {
                let changed = url.replacen(&format!("/{number}"), &format!("/{wrong}"), 1);
                let changed = changed.replacen(&format!("={number}"), &format!("={wrong}"), 1);
                let page = b.get(&changed).await;
                check(&page, &format!("GET {changed} (seed {seed})"), secrets);
            }
        }
    }
    found_forms.iter().map(|f| numbers_out(&f.action)).collect()
}

/// An action with its numbers taken out: `/cabinet/employees/7/state` is one kind of form.
fn numbers_out(action: &str) -> String {
    action
        .split('/')
        .map(|s| if s.parse::<i64>().is_ok() { "#" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

async fn every_page_and_form_answers_any_input_without_a_5xx(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let q = app.create_partner(INN_B).await;
    let e = app.login(&p.inn, PHONE, "Иванова Анна").await;
    app.add_listed(&p, &[("+79233381639".into(), "Петров Пётр".into())])
        .await;
    app.create_message(&p, &e.id, "Проверка", "Текст")
        .await
        .ok();
    app.post(
        "createmessage",
        Some(&p.token),
        json!({"inn": p.inn, "staffid": e.id, "title": "Ознакомиться", "message": "т",
               "requireack": true}),
    )
    .await
    .ok();
    app.post(
        "savegroup",
        Some(&p.token),
        json!({"inn": p.inn, "name": "Склад", "staffids": [e.id]}),
    )
    .await
    .ok();
    app.post(
        "schedulemessage",
        Some(&p.token),
        json!({"inn": p.inn, "all": true, "title": "Позже", "message": "т",
               "senddate": (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339()}),
    )
    .await
    .ok();
    // The other company: a message, an employee and a group whose words must never show.
    let f = app.login(&q.inn, "+79161234567", "Чужакова Вера").await;
    let theirs = app
        .create_message(&q, &f.id, "ЧУЖАЯ-ТАЙНА", "ЧУЖАЯ-ТАЙНА")
        .await
        .ok()["messageid"]
        .as_str()
        .unwrap()
        .to_owned();
    let group = app
        .post(
            "savegroup",
            Some(&q.token),
            json!({"inn": q.inn, "name": "Чужой отдел", "staffids": [f.id]}),
        )
        .await
        .ok()["groupid"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_default();
    let their_send = app
        .post(
            "schedulemessage",
            Some(&q.token),
            json!({"inn": q.inn, "all": true, "title": "ЧУЖАЯ-ТАЙНА", "message": "т",
                   "senddate": (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339()}),
        )
        .await
        .ok()["scheduleid"]
        .to_string()
        .trim_matches('"')
        .to_owned();
    // A named admin of each company: ours for the list's forms, theirs never to be reached.
    let store = &app.state.store;
    // A system's key, for its forms (addresses, last day, rotation, revocation).
    let key = simo_backend::service::api_keys::KeyInput {
        name: "Фазз",
        access: simo_backend::store::KeyAccess::Full,
        addresses: "",
        valid_until: None,
    };
    simo_backend::service::api_keys::add(store, p.id, &key)
        .await
        .unwrap();
    simo_backend::service::admins::create(
        store,
        p.id,
        "fuzz-admin",
        "Свой Админ",
        "admin",
        "fuzz-password",
    )
    .await
    .unwrap();
    let their_admin = simo_backend::service::admins::create(
        store,
        q.id,
        "their-admin",
        "Чужой Админ",
        "admin",
        "x-password",
    )
    .await
    .unwrap();
    let foreign = vec![
        theirs,
        f.id.clone(),
        group,
        their_admin.id.to_string(),
        their_send.clone(),
    ];
    let secrets = ["ЧУЖАЯ-ТАЙНА", "Чужакова", "Чужой отдел", "Чужой Админ"];

    let (mut rng, seed) = Rng::from_env();
    let admin = Browser::new(&app);
    admin.partner(&p.inn).await;
    let sent = fuzz_area(
        &admin, &mut rng, seed, "/cabinet", "/cabinet", &foreign, &secrets,
    )
    .await;

    // The other company disabled, so that the operator's rows offer its deletion too: no
    // value the fuzz sends is its INN, so it must survive every one of them.
    app.state
        .store
        .set_partner_disabled(q.id, true)
        .await
        .unwrap();
    let operator = Browser::new(&app);
    operator.operator(&app).await;
    let sent_by_operator = fuzz_area(
        &operator,
        &mut rng,
        seed,
        "/operator",
        "/operator",
        &[],
        &[],
    )
    .await;
    for action in [
        "/cabinet/send",
        "/cabinet/employees/add",
        "/cabinet/settings/password",
        "/cabinet/settings/admins",
        "/cabinet/settings/admins/#/disable",
        "/cabinet/settings/keys/#/end",
        "/cabinet/scheduled/#/edit",
    ] {
        assert!(sent.contains(action), "{action} not found: {sent:?}");
    }
    assert!(
        sent_by_operator.contains("/operator/partners/#/erase"),
        "{sent_by_operator:?}"
    );
    let theirs_kept = format!(
        "SELECT COUNT(*) FROM partner_admins WHERE id = {} AND disabled = FALSE",
        their_admin.id
    );
    assert_eq!(
        app.count(&theirs_kept).await,
        1,
        "the other company's admin"
    );
    let their_send_kept = format!(
        "SELECT COUNT(*) FROM scheduled_sends WHERE id = {their_send} AND state = 'pending'
         AND title = 'ЧУЖАЯ-ТАЙНА'"
    );
    assert_eq!(
        app.count(&their_send_kept).await,
        1,
        "the other company's send"
    );
    let kept = format!("SELECT COUNT(*) FROM messages WHERE partner_id = {}", q.id);
    assert_eq!(
        app.count(&kept).await,
        1,
        "the other company is still there"
    );
}
