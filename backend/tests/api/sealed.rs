//! Secrets the server reads back in clear (a login code's key, a webhook's signing secret) are
//! sealed in the database with the server's key; those stored before are sealed at start-up;
//! a SQLite server with no key configured makes a key file of its own; keys rotate, the old key
//! opening what it sealed until the start (or the command line) seals it again.

use crate::cabinet::Browser;
use crate::helpers::*;
use crate::second_factor::turn_on;
use simo_backend::config::Settings;
use simo_backend::startup::Application;
use simo_backend::store::{Sealer, SecretCensus, SessionKind, Store};

both_databases!(
    secrets_are_stored_sealed_and_work_as_before,
    a_new_key_with_the_old_as_previous_seals_everything_again
);

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

/// A webhook turned on from the cabinet: its signing secret is stored.
pub(crate) async fn turn_webhook_on(b: &Browser) {
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
    turn_webhook_on(&b).await;
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
    let resealed = app.state.store.reseal_secrets().await.unwrap();
    assert_eq!((resealed.unsealed, resealed.previous), (2, 0));
    assert_eq!(app.state.store.reseal_secrets().await.unwrap().total(), 0);
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
    let key_file = key_file_of(&url);
    let text = std::fs::read_to_string(&key_file).expect("a key file");
    assert_eq!(text.trim().len(), 64, "{text}");
    assert_owner_only(&key_file);
    let p = app.create_partner(INN_A).await;
    let b = Browser::new(&app);
    b.partner(&p.inn).await;
    let (key, _, _) = turn_on(&b, "/cabinet/settings/2fa", "secret-password").await;
    let clear: String = key.split_whitespace().collect();

    // The next start reads the same file and opens the key.
    let again = Store::connect(&url, 2).await.unwrap();
    again.open_secrets(None, None).await.unwrap();
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
        .open_secrets(Some(&simo_backend::store::Sealer::new_key_hex()), None)
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

/// A company whose admin logs in with a code and whose webhook is on: its two secrets, in clear.
async fn two_secrets(app: &TestApp) -> (Partner, String, String) {
    let p = app.create_partner(INN_A).await;
    let b = Browser::new(app);
    b.partner(&p.inn).await;
    let (key, _, _) = turn_on(&b, "/cabinet/settings/2fa", "secret-password").await;
    let clear_key: String = key.split_whitespace().collect();
    turn_webhook_on(&b).await;
    let hook_secret = app.state.store.webhook(p.id).await.unwrap().unwrap().secret;
    (p, clear_key, hook_secret)
}

/// The key file beside a SQLite database of `url`.
fn key_file_of(url: &str) -> String {
    let file = url
        .strip_prefix("sqlite://")
        .and_then(|f| f.split('?').next());
    format!("{}-key", file.unwrap())
}

fn assert_owner_only(path: &str) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
}

fn census(current: u64, previous: u64, unsealed: u64, unopenable: u64) -> SecretCensus {
    SecretCensus {
        current,
        previous,
        unsealed,
        unopenable,
    }
}

/// A rotation of a configured key: the new key in SIMO_SECRET_KEY, the old one in
/// SIMO_SECRET_KEY_PREVIOUS. The start seals everything with the new key and the operator's
/// journal says so; from then on the new key alone opens everything and the old one nothing.
async fn a_new_key_with_the_old_as_previous_seals_everything_again(app: TestApp) {
    let (p, clear_key, hook_secret) = two_secrets(&app).await;
    let factor_before = stored(&app, "second_factors", p.id).await;
    let old = app.state.settings.secret_key.clone().unwrap();
    let new = Sealer::new_key_hex();

    // The new key alone opens neither: that is what the previous key is for.
    let alone = app.reopen_store().await;
    alone.load_secret_keys(Some(&new), None).unwrap();
    assert_eq!(alone.secret_census().await.unwrap(), census(0, 0, 0, 2));
    assert!(
        alone
            .second_factor(SessionKind::Partner, p.id)
            .await
            .is_err()
    );
    // Without a key file there is nothing for the command line to rotate.
    let refused = app.reopen_store().await.rotate_key_file(Some(&new)).await;
    assert!(
        refused
            .unwrap_err()
            .to_string()
            .contains("SIMO_SECRET_KEY_PREVIOUS")
    );

    // The restart, as a server starts, with another earlier key in the list as well.
    let restart = |previous: Option<String>| {
        let mut settings = Settings::clone(&app.state.settings);
        settings.secret_key = Some(new.clone());
        settings.secret_key_previous = previous;
        let app = &app;
        async move {
            Application::build_with_store(settings, app.reopen_store().await)
                .await
                .unwrap()
        }
    };
    let started = restart(Some(format!("{}, {old}", Sealer::new_key_hex()))).await;
    let store = &started.state().store;
    assert_eq!(store.secret_census().await.unwrap(), census(2, 0, 0, 0));
    assert_ne!(stored(&app, "second_factors", p.id).await, factor_before);
    let rotated = "SELECT COUNT(*) FROM operator_events
                   WHERE action = 'secret_key_rotated' AND actor = 'server'
                   AND detail = 'секретов зашифровано новым ключом: 2'";
    assert_eq!(app.count(rotated).await, 1);
    // The next start has nothing to seal again, and says nothing.
    let again = restart(Some(old.clone())).await;
    assert_eq!(
        again.state().store.reseal_secrets().await.unwrap().total(),
        0
    );
    assert_eq!(app.count(rotated).await, 1);

    // The new key alone opens both now; the old one neither.
    let after = app.reopen_store().await;
    after.load_secret_keys(Some(&new), None).unwrap();
    let factor = after.second_factor(SessionKind::Partner, p.id).await;
    assert_eq!(factor.unwrap().unwrap().secret, clear_key);
    let hook = after.webhook(p.id).await.unwrap().unwrap();
    assert_eq!(hook.secret, hook_secret);
    let before = app.reopen_store().await;
    before.load_secret_keys(Some(&old), None).unwrap();
    assert_eq!(before.secret_census().await.unwrap(), census(0, 0, 0, 2));
}

/// The command line rotates a SQLite server's key file: a new key, every secret sealed with it,
/// the old key gone from the file, and the operator's journal says so. `status` tells how the
/// secrets are sealed; `new` prints a key; a configured key is refused with what to do instead,
/// and so is a rotation while the server runs (it would go on sealing with the old key).
#[tokio::test]
async fn the_command_line_rotates_a_sqlite_key_file() {
    let mut app = spawn_app_with(Db::Sqlite, |s| s.secret_key = None)
        .await
        .unwrap();
    let url = app.state.settings.database_url.clone();
    let (p, clear_key, hook_secret) = two_secrets(&app).await;
    let key_file = key_file_of(&url);
    let old_key = std::fs::read_to_string(&key_file).unwrap();

    let simo = |args: &[&str], key: Option<&str>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_simo-backend"));
        cmd.args(args)
            .env("SIMO_DATABASE_URL", &url)
            .env_remove("SIMO_SECRET_KEY")
            .env_remove("SIMO_SECRET_KEY_PREVIOUS")
            .stdin(std::process::Stdio::null());
        if let Some(key) = key {
            cmd.env("SIMO_SECRET_KEY", key);
        }
        let out = cmd.output().expect("binary runs");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.success(), stdout, stderr)
    };
    let json = |text: &str| serde_json::from_str::<serde_json::Value>(text).unwrap();

    let (ok, out, err) = simo(&["secret-key", "new"], None);
    assert!(ok, "{err}");
    assert!(Sealer::parse_key(&out).is_ok(), "{out}");
    let (ok, out, err) = simo(&["secret-key", "status"], None);
    assert!(ok, "{err}");
    let status = json(&out);
    assert_eq!(status["sealing"], true, "{out}");
    assert_eq!(status["secrets"]["current"], 2, "{out}");
    assert_eq!(status["secrets"]["unopenable"], 0, "{out}");

    // A configured key is not the key file's to rotate.
    let (ok, _, err) = simo(&["secret-key", "rotate"], Some(&Sealer::new_key_hex()));
    assert!(!ok && err.contains("SIMO_SECRET_KEY_PREVIOUS"), "{err}");
    assert_eq!(std::fs::read_to_string(&key_file).unwrap(), old_key);

    let (ok, _, err) = simo(&["secret-key", "rotate"], None);
    assert!(
        !ok && err.contains("a server is running on this database"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&key_file).unwrap(), old_key);

    app.stop().await;
    let (ok, out, err) = simo(&["secret-key", "rotate"], None);
    assert!(ok, "{err}");
    let rotation = json(&out);
    assert_eq!(rotation["resealed"], 2, "{out}");
    assert_eq!(rotation["kept_previous"], false, "{out}");
    let new_key = std::fs::read_to_string(&key_file).unwrap();
    assert_eq!(new_key.lines().count(), 1, "{new_key}");
    assert_ne!(new_key, old_key);
    assert_owner_only(&key_file);
    let rotated = "SELECT COUNT(*) FROM operator_events
                   WHERE action = 'secret_key_rotated' AND actor = 'cli'
                   AND detail = 'секретов зашифровано новым ключом: 2'";

    // The next start reads the new key from the file and opens both; the old key neither.
    let next = Store::connect(&url, 2).await.unwrap();
    next.open_secrets(None, None).await.unwrap();
    let simo_backend::store::Pool::Sqlite(pool) = next.pool() else {
        unreachable!("a SQLite store")
    };
    let journaled: i64 = sqlx::query_scalar(rotated).fetch_one(pool).await.unwrap();
    assert_eq!(journaled, 1);
    let factor = next.second_factor(SessionKind::Partner, p.id).await;
    assert_eq!(factor.unwrap().unwrap().secret, clear_key);
    assert_eq!(
        next.webhook(p.id).await.unwrap().unwrap().secret,
        hook_secret
    );
    let (ok, out, err) = simo(&["secret-key", "status"], Some(old_key.trim()));
    assert!(ok, "{err}");
    assert_eq!(json(&out)["secrets"]["unopenable"], 2, "{out}");
}
