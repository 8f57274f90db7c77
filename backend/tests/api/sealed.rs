//! Secrets the server reads back in clear (a login code's key, a webhook's signing secret) are
//! sealed in the database with the server's key; those stored before are sealed at start-up;
//! a SQLite server with no key configured makes a key file of its own.

use crate::cabinet::Browser;
use crate::helpers::*;
use crate::second_factor::turn_on;
use simo_backend::store::{SessionKind, Store};

both_databases!(secrets_are_stored_sealed_and_work_as_before);

/// A login with the code `totp_code(key, step)` after the password: where it lands.
async fn login_with_code(app: &TestApp, inn: &str, key: &str, step: i64) -> Option<String> {
    let b = Browser::new(app);
    let first = b.login("cabinet", inn, "secret-password").await;
    assert_eq!(first.location.as_deref(), Some("/cabinet/login/code"));
    let csrf = b.get("/cabinet/login/code").await.csrf();
    let code = totp_code(key, step);
    let done = b
        .post("/cabinet/login/code", &[("csrf", &csrf), ("code", &code)])
        .await;
    done.location
}

async fn stored(app: &TestApp, table: &str, partner_id: i64) -> String {
    let column = match table {
        "second_factors" => "subject_id",
        _ => "partner_id",
    };
    let sql = format!("SELECT secret FROM {table} WHERE {column} = {partner_id}");
    match app.state.store.pool() {
        simo_backend::store::Pool::Sqlite(p) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(p)
            .await
            .unwrap(),
        simo_backend::store::Pool::Postgres(p) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(p)
            .await
            .unwrap(),
    }
}

async fn secrets_are_stored_sealed_and_work_as_before(app: TestApp) {
    let p = app.create_partner(INN_A).await;
    let b = Browser::new(&app);
    b.partner(&p.inn).await;
    let (key, _, _) = turn_on(&b, "/cabinet/settings/2fa", "secret-password").await;
    let clear_key: String = key.split_whitespace().collect();
    let sealed = stored(&app, "second_factors", p.id).await;
    assert!(sealed.starts_with("s1:"), "{sealed}");
    assert!(!sealed.contains(&clear_key));
    assert_eq!(
        login_with_code(&app, &p.inn, &key, 1).await.as_deref(),
        Some("/cabinet")
    );

    // The webhook's secret: sealed in the table, shown in clear on its page.
    let csrf = b.get("/cabinet/webhook").await.csrf();
    let on = b
        .post(
            "/cabinet/webhook",
            &[
                ("csrf", csrf.as_str()),
                ("do", "save"),
                ("url", "https://hooks.example.ru/simo"),
            ],
        )
        .await;
    assert_eq!(on.status, 303, "{}", on.body);
    let hook = stored(&app, "partner_webhooks", p.id).await;
    assert!(hook.starts_with("s1:"), "{hook}");
    let shown = app.state.store.webhook(p.id).await.unwrap().unwrap().secret;
    assert!(!shown.starts_with("s1:") && !hook.contains(&shown));
    assert!(b.get("/cabinet/webhook").await.body.contains(&shown));

    // Stored before sealing came: read as it is, then sealed at the next start.
    let exec = |sql: String| {
        let store = app.state.store.clone();
        async move { store.execute_script(&sql).await.unwrap() }
    };
    // Each code is taken once (the newest step is kept): the steps are forgotten here so that
    // the test can log in again within the same half-minute.
    exec(format!(
        "UPDATE second_factors SET secret = '{clear_key}', last_step = 0 WHERE subject_id = {}",
        p.id
    ))
    .await;
    exec(format!(
        "UPDATE partner_webhooks SET secret = 'old-clear-secret' WHERE partner_id = {}",
        p.id
    ))
    .await;
    assert_eq!(
        login_with_code(&app, &p.inn, &key, 1).await.as_deref(),
        Some("/cabinet"),
        "an unsealed key still opens"
    );
    assert_eq!(app.state.store.seal_clear_secrets().await.unwrap(), 2);
    assert_eq!(app.state.store.seal_clear_secrets().await.unwrap(), 0);
    assert!(
        stored(&app, "second_factors", p.id)
            .await
            .starts_with("s1:")
    );
    let hook = app.state.store.webhook(p.id).await.unwrap().unwrap();
    assert_eq!(hook.secret, "old-clear-secret");
    exec(format!(
        "UPDATE second_factors SET last_step = 0 WHERE subject_id = {}",
        p.id
    ))
    .await;
    assert_eq!(
        login_with_code(&app, &p.inn, &key, 1).await.as_deref(),
        Some("/cabinet")
    );
}

/// The SQLite default: a key file beside the database, made once, readable by the server's user
/// alone, and read by the next start; another key does not open what it sealed.
#[tokio::test]
async fn a_sqlite_server_without_a_configured_key_keeps_one_beside_the_database() {
    let app = spawn_app_with(Db::Sqlite, |s| s.secret_key = None)
        .await
        .unwrap();
    let url = app.state.settings.database_url.clone();
    let file = url
        .strip_prefix("sqlite://")
        .and_then(|f| f.split('?').next())
        .unwrap()
        .to_owned();
    let key_file = format!("{file}-key");
    let text = std::fs::read_to_string(&key_file).expect("a key file");
    assert_eq!(text.trim().len(), 64, "{text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    let p = app.create_partner(INN_A).await;
    let b = Browser::new(&app);
    b.partner(&p.inn).await;
    let (key, _, _) = turn_on(&b, "/cabinet/settings/2fa", "secret-password").await;
    let clear: String = key.split_whitespace().collect();

    // The next start reads the same file and opens the key.
    let again = Store::connect(&url, 2).await.unwrap();
    again.open_secrets(None).await.unwrap();
    let factor = again
        .second_factor(SessionKind::Partner, p.id)
        .await
        .unwrap();
    assert_eq!(factor.unwrap().secret, clear);
    assert_eq!(
        std::fs::read_to_string(&key_file).unwrap(),
        text,
        "not remade"
    );
    // Another key: a clear server error, not a key that opens.
    let other = Store::connect(&url, 2).await.unwrap();
    other
        .open_secrets(Some(&simo_backend::store::Sealer::new_key_hex()))
        .await
        .unwrap();
    let refused = other.second_factor(SessionKind::Partner, p.id).await;
    let message = refused.unwrap_err().to_string();
    assert!(
        message.contains("does not open with the server's key"),
        "{message}"
    );
}

/// PostgreSQL without a configured key: several servers share the database, so none makes a key
/// of its own; the secrets are stored unsealed (with a warning in the log) and work.
#[tokio::test]
async fn postgres_without_a_key_stores_secrets_unsealed_and_works() {
    let Some(app) = spawn_app_with(Db::Postgres, |s| s.secret_key = None).await else {
        return;
    };
    assert!(!app.state.store.seals_secrets());
    let p = app.create_partner(INN_A).await;
    let b = Browser::new(&app);
    b.partner(&p.inn).await;
    let (key, _, _) = turn_on(&b, "/cabinet/settings/2fa", "secret-password").await;
    let clear: String = key.split_whitespace().collect();
    assert_eq!(stored(&app, "second_factors", p.id).await, clear);
    assert_eq!(
        login_with_code(&app, &p.inn, &key, 1).await.as_deref(),
        Some("/cabinet")
    );
}
